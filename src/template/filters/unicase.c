/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unicase.c - simple case mapping as Go does it.
 *
 * The filters upper, lower, title and capfirst read strings the way Go
 * does (fl_utf8_decode_rune: one invalid byte is one U+FFFD rune).  Case
 * mapping is table driven: blocks where upper and lower case differ by a
 * constant, blocks where they alternate rune by rune, and a short list of
 * one-off pairs.  The coverage is listed in unicase.h.
 */
#include "fl-common.h"

#include "filters/unicase.h"

/* Upper-case runes [lo, hi] whose lower case is r + delta. */
struct delta_block {
	uint32_t lo, hi;
	int32_t delta;
};

static const struct delta_block delta_blocks[] = {
	{ 0x41, 0x5A, 32 },       { 0xC0, 0xD6, 32 },     { 0xD8, 0xDE, 32 },      { 0x388, 0x38A, 37 },
	{ 0x38E, 0x38F, 63 },     { 0x391, 0x3A1, 32 },   { 0x3A3, 0x3AB, 32 },    { 0x400, 0x40F, 80 },
	{ 0x410, 0x42F, 32 },     { 0x531, 0x556, 48 },   { 0x10A0, 0x10C5, 7264 }, { 0x10C7, 0x10C7, 7264 },
	{ 0x10CD, 0x10CD, 7264 }, { 0xFF21, 0xFF3A, 32 },
};

/* Blocks where upper and lower case alternate: upper is the even (or odd) rune. */
struct alt_block {
	uint32_t lo, hi;
	uint32_t upper_parity;
};

static const struct alt_block alt_blocks[] = {
	{ 0x100, 0x12F, 0 },   { 0x132, 0x137, 0 },   { 0x139, 0x148, 1 },   { 0x14A, 0x177, 0 },
	{ 0x179, 0x17E, 1 },   { 0x182, 0x185, 0 },   { 0x187, 0x188, 1 },   { 0x18B, 0x18C, 1 },
	{ 0x191, 0x192, 1 },   { 0x198, 0x199, 0 },   { 0x1A0, 0x1A5, 0 },   { 0x1A7, 0x1A8, 1 },
	{ 0x1AC, 0x1AD, 0 },   { 0x1AF, 0x1B0, 1 },   { 0x1B3, 0x1B6, 1 },   { 0x1B8, 0x1B9, 0 },
	{ 0x1BC, 0x1BD, 0 },   { 0x1CD, 0x1DC, 1 },   { 0x1DE, 0x1EF, 0 },   { 0x1F4, 0x1F5, 0 },
	{ 0x1F8, 0x21F, 0 },   { 0x222, 0x233, 0 },   { 0x246, 0x24F, 0 },   { 0x3D8, 0x3EF, 0 },
	{ 0x460, 0x481, 0 },   { 0x48A, 0x4BF, 0 },   { 0x4C1, 0x4CE, 1 },   { 0x4D0, 0x52F, 0 },
	{ 0x1E00, 0x1E95, 0 }, { 0x1EA0, 0x1EFF, 0 },
};

/* One-off pairs: upper <-> lower (both directions unless marked one-way). */
struct pair {
	uint32_t upper, lower;
	bool to_lower; /* lower(upper) == lower */
	bool to_upper; /* upper(lower) == upper */
};

static const struct pair pairs[] = {
	{ 0x386, 0x3AC, true, true },  { 0x38C, 0x3CC, true, true },  { 0x178, 0xFF, true, true },
	{ 0x4C0, 0x4CF, true, true },  { 0x3A3, 0x3C2, false, true }, { 0x39C, 0xB5, false, true },
	{ 0x49, 0x131, false, true },  { 0x130, 0x69, true, false },  { 0x53, 0x17F, false, true },
	{ 0x1E9E, 0xDF, true, false },
};

/* Latin digraphs with a separate title case: upper, title, lower. */
static const uint32_t digraphs[][3] = {
	{ 0x1C4, 0x1C5, 0x1C6 },
	{ 0x1C7, 0x1C8, 0x1C9 },
	{ 0x1CA, 0x1CB, 0x1CC },
	{ 0x1F1, 0x1F2, 0x1F3 },
};

enum which { TO_UPPER, TO_LOWER, TO_TITLE };

static uint32_t map_rune(uint32_t r, enum which w)
{
	size_t k;

	if (r < 0x80) {
		if (w != TO_LOWER && r >= 'a' && r <= 'z')
			return r - 32;
		if (w == TO_LOWER && r >= 'A' && r <= 'Z')
			return r + 32;
		return r;
	}
	for (k = 0; k < FL_ARRAY_LEN(digraphs); k++) {
		for (int j = 0; j < 3; j++) {
			if (digraphs[k][j] == r)
				return digraphs[k][w == TO_UPPER ? 0 : w == TO_TITLE ? 1 : 2];
		}
	}
	for (k = 0; k < FL_ARRAY_LEN(pairs); k++) {
		if (w == TO_LOWER && pairs[k].to_lower && pairs[k].upper == r)
			return pairs[k].lower;
		if (w != TO_LOWER && pairs[k].to_upper && pairs[k].lower == r)
			return pairs[k].upper;
	}
	for (k = 0; k < FL_ARRAY_LEN(delta_blocks); k++) {
		const struct delta_block *b = &delta_blocks[k];
		if (w == TO_LOWER && r >= b->lo && r <= b->hi)
			return (uint32_t)((int32_t)r + b->delta);
		if (w != TO_LOWER && r >= b->lo + (uint32_t)b->delta && r <= b->hi + (uint32_t)b->delta)
			return (uint32_t)((int32_t)r - b->delta);
	}
	for (k = 0; k < FL_ARRAY_LEN(alt_blocks); k++) {
		const struct alt_block *b = &alt_blocks[k];
		if (r < b->lo || r > b->hi)
			continue;
		if ((r & 1u) == b->upper_parity)
			return w == TO_LOWER && r + 1 <= b->hi ? r + 1 : r;
		return w != TO_LOWER && r - 1 >= b->lo ? r - 1 : r;
	}
	return r;
}

uint32_t fl_unicase_upper(uint32_t r)
{
	return map_rune(r, TO_UPPER);
}

uint32_t fl_unicase_lower(uint32_t r)
{
	return map_rune(r, TO_LOWER);
}

uint32_t fl_unicase_title(uint32_t r)
{
	return map_rune(r, TO_TITLE);
}

bool fl_unicase_is_space(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
		return true;
	default:
		return r >= 0x2000 && r <= 0x200A;
	}
}

/* Go's strings.Title word separators (letters and digits never are). */
static bool is_separator(uint32_t r)
{
	if (r < 0x80)
		return !((r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r == '_');
	return fl_unicase_is_space(r);
}

void fl_unicase_map(struct fl_buf *out, const char *s, size_t n, enum fl_unicase_mode mode)
{
	uint32_t prev = ' ';
	size_t w;

	for (size_t i = 0; i < n; i += w) {
		uint32_t r = fl_utf8_decode_rune(s + i, n - i, &w);
		uint32_t m = r;
		switch (mode) {
		case FL_UNICASE_UPPER:
			m = fl_unicase_upper(r);
			break;
		case FL_UNICASE_LOWER:
			m = fl_unicase_lower(r);
			break;
		case FL_UNICASE_TITLE_WORDS:
			if (is_separator(prev))
				m = fl_unicase_title(r);
			prev = r;
			break;
		}
		fl_buf_add_utf8(out, m);
	}
}

void fl_unicase_trim_space(const char **s, size_t *n)
{
	const char *p = *s;
	size_t len = *n, w;

	while (len > 0) {
		uint32_t r = fl_utf8_decode_rune(p, len, &w);
		if (!fl_unicase_is_space(r))
			break;
		p += w;
		len -= w;
	}
	while (len > 0) {
		uint32_t r = fl_utf8_decode_last_rune(p, len, &w);
		if (!fl_unicase_is_space(r))
			break;
		len -= w;
	}
	*s = p;
	*n = len;
}
