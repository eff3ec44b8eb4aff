/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unicase.h - simple case mapping of runes, the way Go does it.
 *
 * Strings are read as runes with common/utf8.h (fl_utf8_decode_rune, Go's
 * utf8.DecodeRuneInString: an invalid or truncated sequence is one byte
 * wide and reads as U+FFFD) and written with fl_buf_add_utf8.  Case mapping is Unicode's
 * simple (one rune to one rune) mapping for the scripts flows meet in
 * practice: ASCII, Latin-1, Latin Extended-A and -B (digraphs included),
 * Latin Extended Additional, Greek, Cyrillic, Armenian, Georgian and the
 * fullwidth forms.  Runes outside those blocks map to themselves.
 */
#ifndef FL_UNICASE_H
#define FL_UNICASE_H

#include "buf.h"
#include "fl-common.h"
#include "utf8.h"

uint32_t fl_unicase_upper(uint32_t r);
uint32_t fl_unicase_lower(uint32_t r);
uint32_t fl_unicase_title(uint32_t r);

/* Go's unicode.IsSpace. */
bool fl_unicase_is_space(uint32_t r);

enum fl_unicase_mode {
	FL_UNICASE_UPPER,
	FL_UNICASE_LOWER,
	FL_UNICASE_TITLE_WORDS, /* Go's strings.Title: title-case the first letter of each word */
};

/* Append s mapped rune by rune (invalid bytes become U+FFFD, as Go's strings.Map does). */
void fl_unicase_map(struct fl_buf *out, const char *s, size_t n, enum fl_unicase_mode mode);

/* Go's strings.TrimSpace: the bounds of s without leading/trailing Unicode spaces. */
void fl_unicase_trim_space(const char **s, size_t *n);

#endif
