/* SPDX-License-Identifier: Apache-2.0 */
/*
 * b64.h - base64 in the standard and URL-safe alphabets (RFC 4648).
 */
#ifndef FL_B64_H
#define FL_B64_H

#include "buf.h"
#include "fl-common.h"

enum fl_b64_flags {
	FL_B64_URL = (1 << 0), /* '-' and '_' instead of '+' and '/' */
	FL_B64_PAD = (1 << 1), /* emit '=' padding (encode) / require it (decode) */
	/*
	 * Decode the way Go's encoding/base64 does without Strict(): CR and LF
	 * are skipped and the unused bits of the last character are not
	 * checked (the template function base64Decode).
	 */
	FL_B64_LAX = (1 << 2),
};

/* Append the encoding of data to out. */
void fl_b64_encode(struct fl_buf *out, const void *data, size_t len, unsigned flags);
/*
 * Append the decoding of s to out.  Strict: characters outside the chosen
 * alphabet, padding when FL_B64_PAD is not set (or missing when it is), and
 * non-zero trailing bits (unless FL_B64_LAX) are errors.  Returns 0 or -1.
 */
int fl_b64_decode(struct fl_buf *out, const char *s, size_t len, unsigned flags);
/*
 * fl_b64_decode that also says where it failed: *err_off is the offset of
 * the first byte outside the alphabet, or of the last character when the
 * text ends in the middle of a byte (one character too many) or with
 * non-zero unused bits.  Padding and allocation failures give len.
 */
int fl_b64_decode_at(struct fl_buf *out, const char *s, size_t len, unsigned flags, size_t *err_off);

#endif
