/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.h - the one UTF-8 decoder and encoder.
 *
 * Well-formed means RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF, no truncated sequence.  Parsers check text here before
 * they hand it to a third-party library, so that malformed bytes are
 * refused with a clear message and a position; writers that must repair
 * text (JSON output, Go's string semantics in templates) decode with
 * fl_utf8_decode_rune, which reads each malformed byte as U+FFFD.
 */
#ifndef FL_UTF8_H
#define FL_UTF8_H

#include "fl-common.h"

#define FL_UTF8_REPLACEMENT 0xFFFDu /* U+FFFD REPLACEMENT CHARACTER */
#define FL_UTF8_MAX 4               /* bytes of the longest sequence */

/*
 * Decode the sequence at the start of s[0..n): returns its length (1 to 4)
 * and stores the code point in *cp, or returns 0 (and leaves *cp alone)
 * when the bytes there are not a well-formed sequence or n is 0.
 */
size_t fl_utf8_decode(const char *s, size_t n, uint32_t *cp);

/*
 * Decode the way Go reads strings (utf8.DecodeRuneInString): never fails
 * for n > 0.  A malformed or truncated sequence is one byte wide and reads
 * as U+FFFD.  Stores the width (>= 1) in *width.
 */
uint32_t fl_utf8_decode_rune(const char *s, size_t n, size_t *width);

/*
 * The last rune of s[0..n), n > 0, read as fl_utf8_decode_rune would read
 * it forwards (Go's utf8.DecodeLastRuneInString); *width >= 1.
 */
uint32_t fl_utf8_decode_last_rune(const char *s, size_t n, size_t *width);

/*
 * Write the encoding of cp into out (at least FL_UTF8_MAX bytes, no NUL)
 * and return its length.  Surrogates and values above U+10FFFF are written
 * as U+FFFD.
 */
size_t fl_utf8_encode(char *out, uint32_t cp);

/* Number of runes in s[0..n), each malformed byte counting as one (Go's utf8.RuneCount). */
size_t fl_utf8_count(const char *s, size_t n);

/*
 * Offset of the first byte that is not part of well-formed UTF-8 or, with
 * `text_only`, that is a control character other than tab, LF and CR.
 * Returns len when all of s is valid.
 */
size_t fl_utf8_first_invalid(const char *s, size_t len, bool text_only);

#endif
