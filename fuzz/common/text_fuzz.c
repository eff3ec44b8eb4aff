/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text_fuzz.c - libFuzzer target: UTF-8 decoding, the JSON string escaper
 * and the JSON pre-scan, on arbitrary bytes.
 *
 * Checks that decoding rune by rune covers the input exactly (forwards and
 * backwards) and that every decoded code point encodes back to the same
 * bytes; that the escaper always writes a JSON string jansson accepts,
 * equal to the input when the input is UTF-8; and that the pre-scan never
 * reports a depth below the one jansson finds.
 */
#include "fl-common.h"

#include <jansson.h>

#include "buf.h"
#include "jsonscan.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t depth_of(const json_t *v)
{
	size_t d = 0, i;
	const char *k;
	json_t *item;

	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			d = FL_MAX(d, depth_of(item));
		return d + 1;
	}
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, item)
			d = FL_MAX(d, depth_of(item));
		return d + 1;
	}
	return 0;
}

static void check_utf8(const char *s, size_t n)
{
	size_t i = 0, runes = 0, w;

	while (i < n) {
		uint32_t cp, r = fl_utf8_decode_rune(s + i, n - i, &w);
		size_t len = fl_utf8_decode(s + i, n - i, &cp);
		char enc[FL_UTF8_MAX];

		if (w == 0 || w > FL_UTF8_MAX || i + w > n)
			abort();
		if (len) {
			if (len != w || cp != r || fl_utf8_encode(enc, cp) != len || memcmp(enc, s + i, len) != 0)
				abort();
		} else if (w != 1 || r != FL_UTF8_REPLACEMENT) {
			abort();
		}
		i += w;
		runes++;
	}
	if (runes != fl_utf8_count(s, n))
		abort();
	/* backwards: the same runes, as long as the text is well-formed */
	if (fl_utf8_first_invalid(s, n, false) == n) {
		size_t end = n;
		while (end > 0) {
			(void)fl_utf8_decode_last_rune(s, end, &w);
			if (w == 0 || w > end)
				abort();
			end -= w;
			runes--;
		}
		if (runes != 0)
			abort();
	}
}

static void check_escaper(const char *s, size_t n)
{
	struct fl_buf b = FL_BUF_INIT(0);
	json_t *j;

	fl_buf_add_json_str(&b, s, n);
	if (fl_buf_failed(&b))
		abort();
	j = json_loadb(b.ptr, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!j || !json_is_string(j))
		abort();
	if (fl_utf8_first_invalid(s, n, false) == n &&
	    (json_string_length(j) != n || memcmp(json_string_value(j), s, n) != 0))
		abort();
	json_decref(j);
	fl_buf_release(&b);
}

static void check_prescan(const char *s, size_t n)
{
	/* duplicate keys rejected: a later value would hide how deep the text nests */
	json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	size_t d;

	if (!j)
		return;
	d = depth_of(j);
	json_decref(j);
	if (fl_jsonscan_check(s, n, SIZE_MAX, SIZE_MAX) != FL_JSONSCAN_OK)
		abort();
	if (fl_jsonscan_check(s, n, d, SIZE_MAX) != FL_JSONSCAN_OK)
		abort();
	if (d > 0 && fl_jsonscan_check(s, n, d - 1, SIZE_MAX) != FL_JSONSCAN_TOO_DEEP)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	check_utf8(s, size);
	check_escaper(s, size);
	check_prescan(s, size);
	return 0;
}
