/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conv.c - pongo2's Value conversions over fl_val, and Go's ParseFloat.
 *
 * See conv.h.  Strings are read as runes the Go way (an invalid byte is one
 * U+FFFD rune) whenever pongo2 converts them to []rune.
 */
#include "fl-common.h"

#include <math.h>

#include "alloc.h"
#include "filters/conv.h"
#include "filters/unicase.h"

bool fl_conv_is_nil(const fl_val *v)
{
	return !v || fl_val_type(v) == FL_VAL_NIL;
}

void fl_conv_string(struct fl_buf *out, const fl_val *v)
{
	if (v)
		fl_val_render(v, out);
}

int64_t fl_conv_f2i(double f)
{
	if (isnan(f) || f >= 9223372036854775808.0 || f < -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)f;
}

static char lower_ascii(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Length of the common prefix of s and the lower-case word w, ignoring case. */
static size_t prefix_nocase(const char *s, size_t n, const char *w)
{
	size_t k = 0;
	while (k < n && w[k] && lower_ascii(s[k]) == w[k])
		k++;
	return k;
}

/* Go's strconv special(): Inf, Infinity and NaN; 0 when s is not one. */
static bool parse_special(const char *s, size_t n, double *out)
{
	double sign = 1;
	size_t i = 0, k;

	if (n == 0)
		return false;
	if (s[0] == '+' || s[0] == '-') {
		sign = s[0] == '-' ? -1 : 1;
		i = 1;
	} else if (lower_ascii(s[0]) == 'n') {
		if (n == 3 && prefix_nocase(s, n, "nan") == 3) {
			*out = NAN;
			return true;
		}
		return false;
	}
	k = prefix_nocase(s + i, n - i, "infinity");
	if ((k == 3 && n - i == 3) || (k == 8 && n - i == 8)) {
		*out = sign * INFINITY;
		return true;
	}
	return false;
}

/* Go's underscoreOK: underscores only between digits (or after a base prefix). */
static bool underscores_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	bool hex = false;

	if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '0' && (lower_ascii(s[1]) == 'b' || lower_ascii(s[1]) == 'o' || lower_ascii(s[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower_ascii(s[1]) == 'x';
	}
	for (; i < n; i++) {
		char c = lower_ascii(s[i]);
		if ((c >= '0' && c <= '9') || (hex && c >= 'a' && c <= 'f')) {
			saw = '0';
			continue;
		}
		if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

/* The syntax of Go's readFloat; true when all of s is one number. */
static bool float_syntax(const char *s, size_t n, bool *underscores)
{
	size_t i = 0;
	bool hex = false, dot = false, digits = false;

	*underscores = false;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i + 2 < n && s[i] == '0' && lower_ascii(s[i + 1]) == 'x') {
		hex = true;
		i += 2;
	}
	for (; i < n; i++) {
		char c = lower_ascii(s[i]);
		if (c == '_') {
			*underscores = true;
		} else if (c == '.') {
			if (dot)
				break;
			dot = true;
		} else if ((c >= '0' && c <= '9') || (hex && c >= 'a' && c <= 'f')) {
			digits = true;
		} else {
			break;
		}
	}
	if (!digits)
		return false;
	if (i < n && lower_ascii(s[i]) == (hex ? 'p' : 'e')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return false;
		for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'); i++) {
			if (s[i] == '_')
				*underscores = true;
		}
	} else if (hex) {
		return false;
	}
	return i == n;
}

bool fl_conv_parse_float(const char *s, size_t n, double *out)
{
	bool underscores;
	char *copy, *end;
	size_t k = 0;
	double d;

	if (parse_special(s, n, out))
		return true;
	if (!float_syntax(s, n, &underscores) || (underscores && !underscores_ok(s, n)))
		return false;
	copy = fl_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '_')
			copy[k++] = s[i];
	}
	copy[k] = '\0';
	d = strtod(copy, &end);
	free(copy);
	if (isinf(d))
		return false; /* ErrRange: pongo2 then falls back to 0 */
	*out = d;
	return true;
}

int64_t fl_conv_integer(const fl_val *v)
{
	const char *s;
	size_t n;
	double d;

	switch (v ? fl_val_type(v) : FL_VAL_NIL) {
	case FL_VAL_INT:
		return fl_val_get_int(v);
	case FL_VAL_FLOAT:
		return fl_conv_f2i(fl_val_get_float(v));
	case FL_VAL_STR:
		s = fl_val_get_str(v, &n);
		return fl_conv_parse_float(s, n, &d) ? fl_conv_f2i(d) : 0;
	default:
		return 0;
	}
}

double fl_conv_float(const fl_val *v)
{
	const char *s;
	size_t n;
	double d;

	switch (v ? fl_val_type(v) : FL_VAL_NIL) {
	case FL_VAL_INT:
		return (double)fl_val_get_int(v);
	case FL_VAL_FLOAT:
		return fl_val_get_float(v);
	case FL_VAL_STR:
		s = fl_val_get_str(v, &n);
		return fl_conv_parse_float(s, n, &d) ? d : 0.0;
	default:
		return 0.0;
	}
}

size_t fl_conv_len(const fl_val *v)
{
	const char *s;
	size_t n;

	switch (v ? fl_val_type(v) : FL_VAL_NIL) {
	case FL_VAL_ARRAY:
	case FL_VAL_OBJECT:
		return fl_val_len(v);
	case FL_VAL_STR:
		s = fl_val_get_str(v, &n);
		return fl_utf8_count(s, n);
	default:
		return 0;
	}
}

bool fl_conv_can_slice(const fl_val *v)
{
	return v && (fl_val_type(v) == FL_VAL_ARRAY || fl_val_type(v) == FL_VAL_STR);
}

/* Byte offset of rune number `idx` in s (n when past the end). */
static size_t rune_offset(const char *s, size_t n, size_t idx)
{
	size_t i = 0, w;

	while (idx > 0 && i < n) {
		(void)fl_utf8_decode_rune(s + i, n - i, &w);
		i += w;
		idx--;
	}
	return i;
}

fl_val *fl_conv_index(const fl_val *v, int64_t i)
{
	struct fl_buf b = FL_BUF_INIT(0);
	const char *s;
	size_t n, off, w;
	fl_val *r;

	if (i < 0)
		return NULL;
	if (fl_val_type(v) == FL_VAL_ARRAY) {
		fl_val *e = (uint64_t)i < fl_val_len(v) ? fl_val_array_get(v, (size_t)i) : NULL;
		return e ? fl_val_ref(e) : fl_val_nil();
	}
	s = fl_val_get_str(v, &n);
	off = rune_offset(s, n, (size_t)i);
	if (off >= n)
		return fl_val_str("", 0);
	fl_buf_add_utf8(&b, fl_utf8_decode_rune(s + off, n - off, &w));
	r = fl_val_str(b.ptr, b.len);
	fl_buf_release(&b);
	return r;
}

fl_val *fl_conv_slice(const fl_val *v, size_t i, size_t j)
{
	if (fl_val_type(v) == FL_VAL_ARRAY) {
		fl_val *arr = fl_val_array_new(j - i);
		for (size_t k = i; k < j; k++)
			fl_val_array_push(arr, fl_val_ref(fl_val_array_get(v, k)));
		return arr;
	} else {
		struct fl_buf b = FL_BUF_INIT(0);
		const char *s;
		size_t n, w, off;
		fl_val *r;

		s = fl_val_get_str(v, &n);
		off = rune_offset(s, n, i);
		for (size_t k = i; k < j && off < n; k++, off += w)
			fl_buf_add_utf8(&b, fl_utf8_decode_rune(s + off, n - off, &w));
		r = fl_val_str(b.ptr, b.len);
		fl_buf_release(&b);
		return r;
	}
}

/* Go's names of each value's type (%T, argument errors) and reflect kind (pongo2's errors). */
static const struct {
	const char *type, *kind;
} go_names[] = {
	[FL_VAL_NIL] = { "<nil>", "invalid" },
	[FL_VAL_BOOL] = { "bool", "bool" },
	[FL_VAL_INT] = { "int", "int" },
	[FL_VAL_FLOAT] = { "float64", "float64" },
	[FL_VAL_STR] = { "string", "string" },
	[FL_VAL_ARRAY] = { "[]interface {}", "slice" },
	[FL_VAL_OBJECT] = { "map[string]interface {}", "map" },
	[FL_VAL_TIME] = { "time.Time", "struct" },
	[FL_VAL_FUNC] = { "func", "func" },
};

const char *fl_conv_go_type(const fl_val *v)
{
	return go_names[v ? fl_val_type(v) : FL_VAL_NIL].type;
}

const char *fl_conv_go_kind(const fl_val *v)
{
	return go_names[v ? fl_val_type(v) : FL_VAL_NIL].kind;
}
