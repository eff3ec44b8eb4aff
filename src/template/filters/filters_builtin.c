/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters_builtin.c - the pongo2 built-in filters.
 *
 * Each filter returns what pongo2 (at the commit Flyte pins) returns for the
 * same input, quirks included: the input is seen through pongo2's Value
 * conversions (conv.h), numbers keep their int/float kind where pongo2 keeps
 * it, and where pongo2 panics (a negative slice bound, wordwrap's uneven
 * line count) the filter fails with an error, as the panic does in Flyte.
 * Output built from input is capped at the render's max_output.
 */
#include "fl-common.h"

#include "alloc.h"
#include "buf.h"
#include "builtin.h"
#include "error.h"
#include "filters/conv.h"
#include "filters/gofmt.h"
#include "filters/regex.h"
#include "filters/unicase.h"
#include "hex.h"
#include "value.h"

/* --- helpers --- */

/* The String() of a value: borrowed bytes for strings, rendered text otherwise. */
struct text {
	const char *p;
	size_t n;
	struct fl_buf own;
};

static void text_of(struct text *t, const fl_val *v)
{
	fl_buf_init(&t->own, 0);
	if (v && fl_val_type(v) == FL_VAL_STR) {
		t->p = fl_val_get_str(v, &t->n);
		return;
	}
	fl_conv_string(&t->own, v);
	t->p = t->own.ptr;
	t->n = t->own.len;
}

static void text_release(struct text *t)
{
	fl_buf_release(&t->own);
}

static void out_init(struct fl_tmpl_call *call, struct fl_buf *b)
{
	fl_buf_init(b, call->limits->max_output);
}

static int too_big(struct fl_tmpl_call *call)
{
	return fl_error_set(call->err, FL_ELIMIT, "filter output exceeds %zu bytes", call->limits->max_output);
}

/* Turn a built buffer into the filter's string result (releases b). */
static int finish(struct fl_tmpl_call *call, struct fl_buf *b, bool safe, fl_val **out)
{
	if (fl_buf_failed(b)) {
		fl_buf_release(b);
		return too_big(call);
	}
	*out = safe ? fl_val_str_safe(b->ptr, b->len) : fl_val_str(b->ptr, b->len);
	fl_buf_release(b);
	return FL_OK;
}

/* A transformation of text, appended to b. */
typedef void (*text_fn)(struct fl_buf *b, const char *s, size_t n);

/* The filters that write a transformation of their input's String(). */
static int text_filter(struct fl_tmpl_call *call, fl_val *in, text_fn fn, bool safe, fl_val **out)
{
	struct text t;
	struct fl_buf b;

	text_of(&t, in);
	out_init(call, &b);
	fn(&b, t.p, t.n);
	text_release(&t);
	return finish(call, &b, safe, out);
}

/* Define filter `name` as text_filter with fn. */
#define TEXT_FILTER(name, fn, safe)                                                                          \
	static int name(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out) \
	{                                                                                                    \
		(void)param, (void)state;                                                                    \
		return text_filter(call, in, fn, safe, out);                                                 \
	}

static fl_val *ref_or_nil(fl_val *v)
{
	return v ? fl_val_ref(v) : fl_val_nil();
}

/* Append n spaces, failing the buffer when n is beyond its cap. */
static void add_spaces(struct fl_buf *b, int64_t n)
{
	size_t max = b->max ? b->max : FL_BUF_DEFAULT_MAX;

	if (n <= 0)
		return;
	if ((uint64_t)n > max - FL_MIN(b->len, max)) {
		b->failed = true;
		b->error = FL_ETOOBIG;
		return;
	}
	if (!fl_buf_grow(b, (size_t)n))
		return;
	memset(b->ptr + b->len, ' ', (size_t)n);
	b->len += (size_t)n;
	b->ptr[b->len] = '\0';
}

static bool is_str(const fl_val *v)
{
	return v && fl_val_type(v) == FL_VAL_STR;
}

/* Go's strings.Fields: the words of s as (offset, length) pairs appended to a growing array. */
struct words {
	size_t *off;
	size_t *len;
	size_t n, cap;
};

static void words_split(struct words *w, const char *s, size_t n)
{
	size_t i = 0, width;

	memset(w, 0, sizeof(*w));
	while (i < n) {
		size_t start;
		while (i < n && fl_unicase_is_space(fl_utf8_decode_rune(s + i, n - i, &width)))
			i += width;
		if (i >= n)
			break;
		start = i;
		while (i < n && !fl_unicase_is_space(fl_utf8_decode_rune(s + i, n - i, &width)))
			i += width;
		if (w->n == w->cap) {
			size_t cap = w->cap;
			w->off = fl_xgrow(w->off, &cap, w->n + 1, sizeof(*w->off));
			w->len = fl_xreallocarray(w->len, cap, sizeof(*w->len));
			w->cap = cap;
		}
		w->off[w->n] = start;
		w->len[w->n] = i - start;
		w->n++;
	}
}

static void words_release(struct words *w)
{
	free(w->off);
	free(w->len);
}

/* Go's url.QueryEscape of s, appended to b. */
static void query_escape(struct fl_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			fl_buf_addc(b, (char)c);
		} else if (c == ' ') {
			fl_buf_addc(b, '+');
		} else {
			char e[3] = { '%' };
			fl_hex_byte(e + 1, c, true);
			fl_buf_add(b, e, 3);
		}
	}
}

/* Go's strings.Split(s, sep) as an array value. */
static fl_val *split_value(const char *s, size_t n, const char *sep, size_t seplen)
{
	fl_val *arr = fl_val_array_new(8);
	size_t i = 0, w;

	if (seplen == 0) {
		for (i = 0; i < n; i += w) {
			(void)fl_utf8_decode_rune(s + i, n - i, &w);
			fl_val_array_push(arr, fl_val_str(s + i, w));
		}
		return arr;
	}
	for (;;) {
		const char *hit = n - i >= seplen ? memmem(s + i, n - i, sep, seplen) : NULL;
		if (!hit) {
			fl_val_array_push(arr, fl_val_str(s + i, n - i));
			break;
		}
		fl_val_array_push(arr, fl_val_str(s + i, (size_t)(hit - (s + i))));
		i = (size_t)(hit - s) + seplen;
	}
	return arr;
}

/* --- escaping --- */

static void escape_html(struct fl_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			fl_buf_adds(b, "&amp;");
			break;
		case '>':
			fl_buf_adds(b, "&gt;");
			break;
		case '<':
			fl_buf_adds(b, "&lt;");
			break;
		case '"':
			fl_buf_adds(b, "&quot;");
			break;
		case '\'':
			fl_buf_adds(b, "&#39;");
			break;
		default:
			fl_buf_addc(b, s[i]);
			break;
		}
	}
}

TEXT_FILTER(f_escape, escape_html, true)

static int f_safe(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	(void)call, (void)param, (void)state;
	if (is_str(in)) {
		size_t n;
		const char *s = fl_val_get_str(in, &n);
		*out = fl_val_str_safe(s, n);
	} else {
		*out = ref_or_nil(in);
	}
	return FL_OK;
}

static void escape_js(struct fl_buf *b, const char *s, size_t n)
{
	size_t i = 0, w;

	while (i < n) {
		uint32_t c = fl_utf8_decode_rune(s + i, n - i, &w);
		if (c == FL_UTF8_REPLACEMENT) {
			i += w;
			continue;
		}
		if (c == '\\' && i + 1 < n && (s[i + 1] == 'r' || s[i + 1] == 'n')) {
			fl_buf_adds(b, s[i + 1] == 'r' ? "\\u000D" : "\\u000A");
			i += 2;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ' ' || c == '/')
			fl_buf_addc(b, (char)c);
		else
			fl_buf_addf(b, "\\u%04" PRIX32, c);
		i += w;
	}
}

TEXT_FILTER(f_escapejs, escape_js, true)

static void add_slashes(struct fl_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"' || s[i] == '\'')
			fl_buf_addc(b, '\\');
		fl_buf_addc(b, s[i]);
	}
}

TEXT_FILTER(f_addslashes, add_slashes, false)

static bool iri_safe(unsigned char c)
{
	return c && strchr("/#%[]=:;$&()+,!?*@'~", c) != NULL;
}

static void iri_encode(struct fl_buf *b, const char *s, size_t n)
{
	size_t w;

	for (size_t i = 0; i < n; i += w) {
		struct fl_buf one = FL_BUF_INIT(0);
		uint32_t r = fl_utf8_decode_rune(s + i, n - i, &w);
		if (r < 0x80 && iri_safe((unsigned char)r)) {
			fl_buf_addc(b, (char)r);
			continue;
		}
		fl_buf_add_utf8(&one, r);
		query_escape(b, one.ptr, one.len);
		fl_buf_release(&one);
	}
}

TEXT_FILTER(f_iriencode, iri_encode, false)

TEXT_FILTER(f_urlencode, query_escape, false)

/* --- numbers --- */

static int f_add(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	(void)state;
	if (fl_val_is_number(in) && param && fl_val_is_number(param)) {
		if (fl_val_type(in) == FL_VAL_FLOAT || fl_val_type(param) == FL_VAL_FLOAT)
			*out = fl_val_float(fl_conv_float(in) + fl_conv_float(param));
		else
			*out = fl_val_int((int64_t)((uint64_t)fl_val_get_int(in) + (uint64_t)fl_val_get_int(param)));
		return FL_OK;
	} else {
		struct fl_buf b;
		out_init(call, &b);
		fl_conv_string(&b, in);
		fl_conv_string(&b, param);
		return finish(call, &b, false, out);
	}
}

static int f_divisibleby(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t d = fl_conv_integer(param);

	(void)call, (void)state;
	if (d == 0)
		*out = fl_val_bool(false);
	else if (d == -1)
		*out = fl_val_bool(true);
	else
		*out = fl_val_bool(fl_conv_integer(in) % d == 0);
	return FL_OK;
}

static int f_floatformat(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	double val = fl_conv_float(in);
	int64_t decimals = -1;
	bool trim = !(param && fl_val_is_number(param));
	struct fl_buf b;

	(void)state;
	if (!fl_conv_is_nil(param))
		decimals = fl_conv_integer(param);
	if (decimals <= 0) {
		decimals = decimals == INT64_MIN ? INT64_MAX : -decimals;
		trim = true;
	}
	if (trim && (double)fl_conv_f2i(val) == val) {
		*out = fl_val_int(fl_conv_integer(in));
		return FL_OK;
	}
	if ((uint64_t)decimals > call->limits->max_output || decimals > INT_MAX)
		return too_big(call);
	out_init(call, &b);
	fl_gofmt_float(&b, val, 'f', (int)decimals);
	return finish(call, &b, false, out);
}

static int f_get_digit(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t i = fl_conv_integer(param);
	struct text t;

	(void)call, (void)state;
	text_of(&t, in);
	if (i <= 0 || (uint64_t)i > t.n)
		*out = ref_or_nil(in);
	else
		*out = fl_val_int((uint8_t)((unsigned char)t.p[t.n - (size_t)i] - 48));
	text_release(&t);
	return FL_OK;
}

static int f_float(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	(void)call, (void)param, (void)state;
	*out = fl_val_float(fl_conv_float(in));
	return FL_OK;
}

static int f_integer(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	(void)call, (void)param, (void)state;
	*out = fl_val_int(fl_conv_integer(in));
	return FL_OK;
}

static int f_pluralize(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t n;
	const char *ending = "";
	size_t ending_len = 0;
	struct text t;

	(void)state;
	if (!fl_val_is_number(in))
		return fl_error_set(call->err, FL_EINVALID, "filter 'pluralize' does only work on numbers");
	n = fl_conv_integer(in);
	if (fl_conv_len(param) == 0) {
		*out = fl_val_strz(n != 1 ? "s" : "");
		return FL_OK;
	}
	text_of(&t, param);
	{
		const char *c1 = memchr(t.p, ',', t.n);
		const char *c2 = c1 ? memchr(c1 + 1, ',', t.n - (size_t)(c1 + 1 - t.p)) : NULL;
		if (c2) {
			text_release(&t);
			return fl_error_set(call->err, FL_EINVALID,
					    "you cannot pass more than 2 arguments to filter 'pluralize'");
		}
		if (!c1) {
			if (n != 1)
				ending = t.p, ending_len = t.n;
		} else if (n != 1) {
			ending = c1 + 1, ending_len = t.n - (size_t)(c1 + 1 - t.p);
		} else {
			ending = t.p, ending_len = (size_t)(c1 - t.p);
		}
	}
	*out = fl_val_str(ending, ending_len);
	text_release(&t);
	return FL_OK;
}

/* --- sequences --- */

static int f_first(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	(void)call, (void)param, (void)state;
	if (fl_conv_can_slice(in) && fl_conv_len(in) > 0)
		*out = fl_conv_index(in, 0);
	else
		*out = fl_val_str("", 0);
	return FL_OK;
}

static int f_last(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	size_t n = fl_conv_len(in);

	(void)call, (void)param, (void)state;
	if (fl_conv_can_slice(in) && n > 0)
		*out = fl_conv_index(in, (int64_t)n - 1);
	else
		*out = fl_val_str("", 0);
	return FL_OK;
}

static int f_length(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	(void)call, (void)param, (void)state;
	*out = fl_val_int((int64_t)fl_conv_len(in));
	return FL_OK;
}

static int f_length_is(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	(void)call, (void)state;
	*out = fl_val_bool((int64_t)fl_conv_len(in) == fl_conv_integer(param));
	return FL_OK;
}

static int f_join(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text sep;
	struct fl_buf b;
	size_t n;

	(void)state;
	if (!fl_conv_can_slice(in)) {
		*out = ref_or_nil(in);
		return FL_OK;
	}
	text_of(&sep, param);
	out_init(call, &b);
	n = fl_conv_len(in);
	for (size_t i = 0; i < n && !fl_buf_failed(&b); i++) {
		fl_val *e = fl_conv_index(in, (int64_t)i);
		if (i > 0)
			fl_buf_add(&b, sep.p, sep.n);
		fl_conv_string(&b, e);
		fl_val_unref(e);
	}
	text_release(&sep);
	return finish(call, &b, false, out);
}

static int f_make_list(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text t;
	fl_val *arr;
	size_t w;

	(void)call, (void)param, (void)state;
	text_of(&t, in);
	arr = fl_val_array_new(t.n);
	for (size_t i = 0; i < t.n; i += w) {
		struct fl_buf one = FL_BUF_INIT(0);
		fl_buf_add_utf8(&one, fl_utf8_decode_rune(t.p + i, t.n - i, &w));
		fl_val_array_push(arr, fl_val_str(one.ptr, one.len));
		fl_buf_release(&one);
	}
	text_release(&t);
	*out = arr;
	return FL_OK;
}

static int f_random(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	size_t n = fl_conv_len(in);

	(void)param, (void)state;
	if (!fl_conv_can_slice(in) || n == 0) {
		*out = ref_or_nil(in);
		return FL_OK;
	}
	*out = fl_conv_index(in, (int64_t)fl_tmpl_call_random_below(call, n));
	return FL_OK;
}

static int f_slice(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text t;
	const char *colon;
	int64_t from, to, vto, len;
	fl_val *a, *b;

	(void)state;
	text_of(&t, param);
	colon = memchr(t.p, ':', t.n);
	if (!colon || memchr(colon + 1, ':', t.n - (size_t)(colon + 1 - t.p))) {
		text_release(&t);
		return fl_error_set(call->err, FL_EINVALID,
				    "Slice string must have the format 'from:to' [from/to can be omitted, but the ':' is required]");
	}
	if (!fl_conv_can_slice(in)) {
		text_release(&t);
		*out = ref_or_nil(in);
		return FL_OK;
	}
	a = fl_val_str(t.p, (size_t)(colon - t.p));
	b = fl_val_str(colon + 1, t.n - (size_t)(colon + 1 - t.p));
	from = fl_conv_integer(a);
	vto = fl_conv_integer(b);
	fl_val_unref(a);
	fl_val_unref(b);
	text_release(&t);
	len = (int64_t)fl_conv_len(in);
	to = len;
	if (from > to)
		from = to;
	if (vto >= from && vto <= len)
		to = vto;
	if (from < 0)
		return fl_error_set(call->err, FL_EINVALID, "slice bounds out of range [%" PRId64 ":%" PRId64 "]", from, to);
	*out = fl_conv_slice(in, (size_t)from, (size_t)to);
	return FL_OK;
}

static int f_split(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text s, sep;

	(void)call, (void)state;
	text_of(&s, in);
	text_of(&sep, param);
	*out = split_value(s.p, s.n, sep.p, sep.n);
	text_release(&s);
	text_release(&sep);
	return FL_OK;
}

/* --- strings --- */

static int f_capfirst(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text t;
	struct fl_buf b;
	size_t w;

	(void)param, (void)state;
	if (fl_conv_len(in) == 0) {
		*out = fl_val_str("", 0);
		return FL_OK;
	}
	text_of(&t, in);
	out_init(call, &b);
	fl_buf_add_utf8(&b, fl_unicase_upper(fl_utf8_decode_rune(t.p, t.n, &w)));
	fl_buf_add(&b, t.p + w, t.n - w);
	text_release(&t);
	return finish(call, &b, false, out);
}

static int f_center(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t width = fl_conv_integer(param);
	int64_t slen = (int64_t)fl_conv_len(in);
	int64_t spaces;
	struct fl_buf b;

	(void)state;
	if (width <= slen) {
		*out = ref_or_nil(in);
		return FL_OK;
	}
	spaces = width - slen;
	out_init(call, &b);
	add_spaces(&b, spaces / 2 + spaces % 2);
	fl_conv_string(&b, in);
	add_spaces(&b, spaces / 2);
	return finish(call, &b, false, out);
}

static int f_ljust(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t width = fl_conv_integer(param);
	int64_t slen = (int64_t)fl_conv_len(in);
	struct fl_buf b;

	(void)state;
	out_init(call, &b);
	fl_conv_string(&b, in);
	if (width > slen)
		add_spaces(&b, width - slen);
	return finish(call, &b, false, out);
}

static int f_rjust(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	char format[32];
	struct text t;
	struct fl_buf b;
	fl_val *s;
	int64_t width = fl_conv_integer(param);

	(void)state;
	if (width > (int64_t)call->limits->max_output)
		return too_big(call);
	snprintf(format, sizeof(format), "%%%" PRId64 "s", width);
	text_of(&t, in);
	s = fl_val_str(t.p, t.n);
	text_release(&t);
	out_init(call, &b);
	fl_gofmt_sprintf(&b, format, strlen(format), s);
	fl_val_unref(s);
	return finish(call, &b, false, out);
}

static int f_cut(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text t, cut;
	struct fl_buf b;
	size_t i = 0;

	(void)state;
	text_of(&t, in);
	text_of(&cut, param);
	out_init(call, &b);
	if (cut.n == 0) {
		fl_buf_add(&b, t.p, t.n);
	} else {
		for (;;) {
			const char *hit = t.n - i >= cut.n ? memmem(t.p + i, t.n - i, cut.p, cut.n) : NULL;
			if (!hit) {
				fl_buf_add(&b, t.p + i, t.n - i);
				break;
			}
			fl_buf_add(&b, t.p + i, (size_t)(hit - (t.p + i)));
			i = (size_t)(hit - t.p) + cut.n;
		}
	}
	text_release(&t);
	text_release(&cut);
	return finish(call, &b, false, out);
}

static void to_lower(struct fl_buf *b, const char *s, size_t n)
{
	fl_unicase_map(b, s, n, FL_UNICASE_LOWER);
}

static void to_upper(struct fl_buf *b, const char *s, size_t n)
{
	fl_unicase_map(b, s, n, FL_UNICASE_UPPER);
}

TEXT_FILTER(f_lower, to_lower, false)

TEXT_FILTER(f_upper, to_upper, false)

static int f_title(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct fl_buf lower = FL_BUF_INIT(0), b;
	size_t n;
	const char *s;

	(void)param, (void)state;
	if (!is_str(in)) {
		*out = fl_val_str("", 0);
		return FL_OK;
	}
	s = fl_val_get_str(in, &n);
	fl_unicase_map(&lower, s, n, FL_UNICASE_LOWER);
	out_init(call, &b);
	fl_unicase_map(&b, lower.ptr, lower.len, FL_UNICASE_TITLE_WORDS);
	fl_buf_release(&lower);
	return finish(call, &b, false, out);
}

static void phone_to_numeric(struct fl_buf *b, const char *s, size_t n)
{
	static const char keypad[] = "22233344455566677778889999";

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			c = keypad[c - 'a'];
		else if (c >= 'A' && c <= 'Z')
			c = keypad[c - 'A'];
		fl_buf_addc(b, c);
	}
}

TEXT_FILTER(f_phone2numeric, phone_to_numeric, false)

static void breaks_to_br(struct fl_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			fl_buf_adds(b, "<br />");
		else
			fl_buf_addc(b, s[i]);
	}
}

TEXT_FILTER(f_linebreaksbr, breaks_to_br, false)

/* Whether a line is blank for Go's strings.TrimSpace. */
static bool blank(const char *s, size_t n)
{
	fl_unicase_trim_space(&s, &n);
	return n == 0;
}

static int f_linebreaks(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text t;
	struct fl_buf b;
	bool opened = false;
	size_t start = 0;

	(void)param, (void)state;
	if (fl_conv_len(in) == 0) {
		*out = ref_or_nil(in);
		return FL_OK;
	}
	text_of(&t, in);
	out_init(call, &b);
	for (;;) {
		const char *nl = memchr(t.p + start, '\n', t.n - start);
		size_t end = nl ? (size_t)(nl - t.p) : t.n;
		if (!opened) {
			fl_buf_adds(&b, "<p>");
			opened = true;
		}
		fl_buf_add(&b, t.p + start, end - start);
		if (nl && !blank(t.p + start, end - start)) {
			const char *nl2 = memchr(nl + 1, '\n', t.n - end - 1);
			size_t end2 = nl2 ? (size_t)(nl2 - t.p) : t.n;
			if (blank(nl + 1, end2 - end - 1)) {
				fl_buf_adds(&b, "</p>");
				opened = false;
			} else {
				fl_buf_adds(&b, "<br />");
			}
		}
		if (!nl)
			break;
		start = end + 1;
	}
	if (opened)
		fl_buf_adds(&b, "</p>");
	text_release(&t);
	return finish(call, &b, false, out);
}

static void number_lines(struct fl_buf *b, const char *s, size_t n)
{
	size_t start = 0;
	unsigned long line = 1;

	for (;;) {
		const char *nl = memchr(s + start, '\n', n - start);
		size_t end = nl ? (size_t)(nl - s) : n;
		if (line > 1)
			fl_buf_addc(b, '\n');
		fl_buf_addf(b, "%lu. ", line++);
		fl_buf_add(b, s + start, end - start);
		if (!nl || fl_buf_failed(b))
			break;
		start = end + 1;
	}
}

TEXT_FILTER(f_linenumbers, number_lines, false)

/* Remove "<...>" runs (pongo2's <[^>]*?> replaced by nothing), then trim spaces. */
static int f_striptags(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text t;
	struct fl_buf b, res;
	size_t i = 0;
	const char *s;
	size_t n;

	(void)param, (void)state;
	text_of(&t, in);
	fl_buf_init(&b, 0);
	while (i < t.n) {
		const char *lt = memchr(t.p + i, '<', t.n - i);
		const char *gt = lt ? memchr(lt, '>', t.n - (size_t)(lt - t.p)) : NULL;
		if (!lt || !gt) {
			fl_buf_add(&b, t.p + i, t.n - i);
			break;
		}
		fl_buf_add(&b, t.p + i, (size_t)(lt - (t.p + i)));
		i = (size_t)(gt - t.p) + 1;
	}
	text_release(&t);
	s = b.ptr;
	n = b.len;
	fl_unicase_trim_space(&s, &n);
	out_init(call, &res);
	fl_buf_add(&res, s, n);
	fl_buf_release(&b);
	return finish(call, &res, false, out);
}

static void replace_with_nothing(struct fl_buf *out, const char *s, const size_t *ovec, unsigned pairs, void *payload)
{
	(void)out, (void)s, (void)ovec, (void)pairs, (void)payload;
}

static int f_removetags(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	const struct fl_regex_limits lim = { call->limits->regex_match_limit, call->limits->regex_depth_limit };
	struct text t, tags;
	struct fl_buf cur = FL_BUF_INIT(0), pat = FL_BUF_INIT(0), res;
	size_t start = 0;
	const char *s;
	size_t n;
	int rc = FL_OK;

	(void)state;
	text_of(&t, in);
	text_of(&tags, param);
	fl_buf_add(&cur, t.p, t.n);
	text_release(&t);
	for (;;) {
		const char *comma = memchr(tags.p + start, ',', tags.n - start);
		size_t end = comma ? (size_t)(comma - tags.p) : tags.n;
		struct fl_buf next = FL_BUF_INIT(0);
		struct fl_regex *re = NULL;

		fl_buf_reset(&pat);
		fl_buf_adds(&pat, "</?");
		fl_buf_add(&pat, tags.p + start, end - start);
		fl_buf_adds(&pat, "/?>");
		rc = fl_regex_compile(&re, pat.ptr, pat.len, call->limits->max_regex_len, call->err);
		if (rc) {
			if (rc == FL_EINVALID)
				fl_error_prefix(call->err, "regexp: Compile(`%.*s`)", (int)FL_MIN(pat.len, (size_t)64),
						pat.ptr);
			break;
		}
		rc = fl_tmpl_call_step(call, fl_regex_cost(re) * (uint64_t)cur.len / 1024 + 1);
		if (!rc)
			rc = fl_regex_replace_all(&next, re, cur.ptr, cur.len, &lim, replace_with_nothing, NULL,
						  call->err);
		fl_regex_free(re);
		fl_buf_release(&cur);
		cur = next;
		if (rc || !comma)
			break;
		start = end + 1;
	}
	text_release(&tags);
	fl_buf_release(&pat);
	if (rc) {
		fl_buf_release(&cur);
		return rc;
	}
	s = cur.ptr;
	n = cur.len;
	fl_unicase_trim_space(&s, &n);
	out_init(call, &res);
	fl_buf_add(&res, s, n);
	fl_buf_release(&cur);
	return finish(call, &res, false, out);
}

static int f_stringformat(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text f;
	struct fl_buf b;

	(void)state;
	text_of(&f, param);
	out_init(call, &b);
	fl_gofmt_sprintf(&b, f.p, f.n, in);
	text_release(&f);
	return finish(call, &b, false, out);
}

static int f_date(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text layout;
	struct fl_buf b;
	int64_t ns;
	int off;

	(void)state;
	if (!in || fl_val_type(in) != FL_VAL_TIME)
		return fl_error_set(call->err, FL_EINVALID, "filter input argument must be of type 'time.Time'");
	ns = fl_val_get_time(in, &off);
	text_of(&layout, param);
	out_init(call, &b);
	fl_tmpl_format_go_layout(&b, layout.p, layout.n, ns, off);
	text_release(&layout);
	return finish(call, &b, false, out);
}

/* --- truncation --- */

static int f_truncatechars(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t keep = fl_conv_integer(param);
	struct text t;
	struct fl_buf b;
	size_t runes, i = 0, w;

	(void)state;
	text_of(&t, in);
	runes = fl_utf8_count(t.p, t.n);
	if (keep < 0) {
		/* runes[:keep] panics in Go */
		text_release(&t);
		return fl_error_set(call->err, FL_EINVALID, "slice bounds out of range [:%" PRId64 "]", keep);
	}
	out_init(call, &b);
	if (keep >= 0 && (uint64_t)keep < runes) {
		int64_t n = keep >= 3 ? keep - 3 : keep;
		for (int64_t k = 0; k < n; k++, i += w)
			fl_buf_add_utf8(&b, fl_utf8_decode_rune(t.p + i, t.n - i, &w));
		if (keep >= 3)
			fl_buf_adds(&b, "...");
	} else {
		for (; i < t.n; i += w)
			fl_buf_add_utf8(&b, fl_utf8_decode_rune(t.p + i, t.n - i, &w));
	}
	text_release(&t);
	return finish(call, &b, false, out);
}

static int f_truncatewords(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t keep = fl_conv_integer(param);
	struct text t;
	struct words w;
	struct fl_buf b;
	size_t n;

	(void)state;
	if (keep <= 0) {
		*out = fl_val_str("", 0);
		return FL_OK;
	}
	text_of(&t, in);
	words_split(&w, t.p, t.n);
	n = (uint64_t)keep < w.n ? (size_t)keep : w.n;
	out_init(call, &b);
	for (size_t k = 0; k < n; k++) {
		if (k > 0)
			fl_buf_addc(&b, ' ');
		fl_buf_add(&b, t.p + w.off[k], w.len[k]);
	}
	if ((uint64_t)keep < w.n)
		fl_buf_adds(&b, n > 0 ? " ..." : "...");
	words_release(&w);
	text_release(&t);
	return finish(call, &b, false, out);
}

/*
 * pongo2's filterTruncateHTMLHelper: copy tags, count text with `step`, stop
 * when `done` says so, then close the tags still open.
 */
struct html_trunc {
	const char *s;
	size_t n;
	struct fl_buf *out;
	int64_t limit;
	int64_t count;
	bool words; /* count words (truncatewords_html) instead of characters */
};

static bool trunc_done(const struct html_trunc *h)
{
	return h->count >= h->limit;
}

/* Consume text at idx; returns the new index. */
static size_t trunc_step(struct html_trunc *h, uint32_t c, size_t w, size_t idx)
{
	bool found = false;

	if (!h->words) {
		h->count++;
		fl_buf_add_utf8(h->out, c);
		return idx + w;
	}
	while (idx < h->n) {
		size_t w2;
		uint32_t c2 = fl_utf8_decode_rune(h->s + idx, h->n - idx, &w2);
		if (c2 == FL_UTF8_REPLACEMENT) {
			idx += w2;
			continue;
		}
		if (c2 == '<')
			return idx;
		fl_buf_add_utf8(h->out, c2);
		idx += w2;
		if (c2 == ' ' || c2 == '.' || c2 == ',' || c2 == ';')
			break;
		found = true;
	}
	if (found)
		h->count++;
	return idx;
}

struct tag_stack {
	char **tags;
	size_t n, cap;
};

static void tags_push(struct tag_stack *st, struct fl_buf *tag)
{
	FL_GROW(st->tags, st->cap, st->n + 1);
	st->tags[st->n++] = fl_xmemdup0(tag->ptr, tag->len);
}

static void html_truncate(struct html_trunc *h)
{
	struct tag_stack st = { NULL, 0, 0 };
	size_t idx = 0;

	while (idx < h->n && !trunc_done(h) && !fl_buf_failed(h->out)) {
		size_t w;
		uint32_t c = fl_utf8_decode_rune(h->s + idx, h->n - idx, &w);
		if (c == FL_UTF8_REPLACEMENT) {
			idx += w;
			continue;
		}
		if (c != '<') {
			idx = trunc_step(h, c, w, idx);
			continue;
		}
		fl_buf_addc(h->out, '<');
		idx += w;
		if (idx + 1 >= h->n)
			continue;
		if (h->s[idx] == '/') {
			struct fl_buf tag = FL_BUF_INIT(0);
			fl_buf_addc(h->out, '/');
			idx++;
			while (idx < h->n) {
				size_t w2;
				uint32_t c2 = fl_utf8_decode_rune(h->s + idx, h->n - idx, &w2);
				if (c2 == FL_UTF8_REPLACEMENT) {
					idx += w2;
					continue;
				}
				if (c2 == '>') {
					idx++;
					break;
				}
				fl_buf_add_utf8(&tag, c2);
				idx += w2;
			}
			/* remove the innermost matching tag (swapped with the top, as pongo2 does) */
			for (size_t k = st.n; k-- > 0;) {
				if (strlen(st.tags[k]) == tag.len && memcmp(st.tags[k], tag.ptr, tag.len) == 0) {
					free(st.tags[k]);
					st.tags[k] = st.tags[st.n - 1];
					st.n--;
					break;
				}
			}
			fl_buf_add(h->out, tag.ptr, tag.len);
			fl_buf_addc(h->out, '>');
			fl_buf_release(&tag);
		} else {
			struct fl_buf tag = FL_BUF_INIT(0);
			bool params = false;
			while (idx < h->n) {
				size_t w2;
				uint32_t c2 = fl_utf8_decode_rune(h->s + idx, h->n - idx, &w2);
				if (c2 == FL_UTF8_REPLACEMENT) {
					idx += w2;
					continue;
				}
				fl_buf_add_utf8(h->out, c2);
				if (c2 == '>') {
					idx++;
					break;
				}
				if (!params) {
					if (c2 == ' ')
						params = true;
					else
						fl_buf_add_utf8(&tag, c2);
				}
				idx += w2;
			}
			tags_push(&st, &tag);
			fl_buf_release(&tag);
		}
	}
	if (h->words ? h->count >= h->limit : (h->count >= h->limit && (uint64_t)h->count < h->n))
		fl_buf_adds(h->out, "...");
	for (size_t k = st.n; k-- > 0;) {
		fl_buf_addf(h->out, "</%s>", st.tags[k]);
		free(st.tags[k]);
	}
	free(st.tags);
}

static int f_truncatechars_html(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t keep = fl_conv_integer(param);
	struct text t;
	struct fl_buf b;
	struct html_trunc h;

	(void)state;
	text_of(&t, in);
	out_init(call, &b);
	h = (struct html_trunc){ t.p, t.n, &b, keep > 3 ? keep - 3 : 0, 0, false };
	html_truncate(&h);
	text_release(&t);
	return finish(call, &b, true, out);
}

static int f_truncatewords_html(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t keep = fl_conv_integer(param);
	struct text t;
	struct fl_buf b;
	struct html_trunc h;

	(void)state;
	text_of(&t, in);
	out_init(call, &b);
	h = (struct html_trunc){ t.p, t.n, &b, keep > 0 ? keep : 0, 0, true };
	html_truncate(&h);
	text_release(&t);
	return finish(call, &b, true, out);
}

/* --- urlize --- */

struct urlize {
	bool autoescape;
	int64_t trunc;
};

static void add_title(struct fl_buf *out, const char *t, size_t n, int64_t trunc, bool escape)
{
	struct fl_buf tmp = FL_BUF_INIT(0);

	if (trunc > 3 && (uint64_t)trunc < n) {
		fl_buf_add(&tmp, t, (size_t)trunc - 3);
		fl_buf_adds(&tmp, "...");
	} else {
		fl_buf_add(&tmp, t, n);
	}
	for (size_t i = 0; i < tmp.len; i++) {
		const char *rep = NULL;
		if (escape) {
			switch (tmp.ptr[i]) {
			case '&':
				rep = "&amp;";
				break;
			case '>':
				rep = "&gt;";
				break;
			case '<':
				rep = "&lt;";
				break;
			case '"':
				rep = "&quot;";
				break;
			case '\'':
				rep = "&#39;";
				break;
			default:
				break;
			}
		}
		if (rep)
			fl_buf_adds(out, rep);
		else
			fl_buf_addc(out, tmp.ptr[i]);
	}
	fl_buf_release(&tmp);
}

static void urlize_url(struct fl_buf *out, const char *s, const size_t *ovec, unsigned pairs, void *payload)
{
	const struct urlize *u = payload;
	const char *raw = s + ovec[0];
	size_t n = ovec[1] - ovec[0];
	bool prefix = n > 0 && raw[0] == ' ';
	bool suffix = n > 0 && raw[n - 1] == ' ';
	struct fl_buf url = FL_BUF_INIT(0);

	(void)pairs;
	fl_unicase_trim_space(&raw, &n);
	iri_encode(&url, raw, n);
	if (prefix)
		fl_buf_addc(out, ' ');
	fl_buf_adds(out, "<a href=\"");
	if (url.len < 4 || memcmp(url.ptr, "http", 4) != 0)
		fl_buf_adds(out, "http://");
	fl_buf_add(out, url.ptr, url.len);
	fl_buf_adds(out, "\" rel=\"nofollow\">");
	add_title(out, raw, n, u->trunc, u->autoescape);
	fl_buf_adds(out, "</a>");
	if (suffix)
		fl_buf_addc(out, ' ');
	fl_buf_release(&url);
}

static void urlize_mail(struct fl_buf *out, const char *s, const size_t *ovec, unsigned pairs, void *payload)
{
	const struct urlize *u = payload;
	const char *mail = s + ovec[0];
	size_t n = ovec[1] - ovec[0];

	(void)pairs;
	fl_buf_adds(out, "<a href=\"mailto:");
	fl_buf_add(out, mail, n);
	fl_buf_adds(out, "\">");
	add_title(out, mail, n, u->trunc, false);
	fl_buf_adds(out, "</a>");
}

static const char urlize_url_re[] = "((((http|https)://)|www\\.|((^|[ ])[0-9A-Za-z_\\-]+(\\.com|\\.net|\\.org|\\.info|"
				    "\\.biz|\\.de))))(?U:.*)([ ]+|$)";
static const char urlize_mail_re[] = "(\\w+@\\w+\\.\\w{2,4})";

static int urlize_run(struct fl_tmpl_call *call, fl_val *in, struct urlize *u, fl_val **out)
{
	const struct fl_regex_limits lim = { call->limits->regex_match_limit, call->limits->regex_depth_limit };
	struct fl_regex *re_url = NULL, *re_mail = NULL;
	struct fl_buf mid = FL_BUF_INIT(0), b;
	struct text t;
	int rc;

	out_init(call, &b);
	text_of(&t, in);
	rc = fl_regex_compile(&re_url, urlize_url_re, sizeof(urlize_url_re) - 1, 0, call->err);
	if (!rc)
		rc = fl_regex_compile(&re_mail, urlize_mail_re, sizeof(urlize_mail_re) - 1, 0, call->err);
	if (!rc)
		rc = fl_tmpl_call_step(call, (fl_regex_cost(re_url) + fl_regex_cost(re_mail)) * (uint64_t)t.n / 1024 + 1);
	if (!rc)
		rc = fl_regex_replace_all(&mid, re_url, t.p, t.n, &lim, urlize_url, u, call->err);
	if (!rc)
		rc = fl_regex_replace_all(&b, re_mail, mid.ptr, mid.len, &lim, urlize_mail, u, call->err);
	fl_regex_free(re_url);
	fl_regex_free(re_mail);
	fl_buf_release(&mid);
	text_release(&t);
	if (rc) {
		fl_buf_release(&b);
		return rc;
	}
	return finish(call, &b, false, out);
}

static int f_urlize(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct urlize u = { true, -1 };

	(void)state;
	if (param && fl_val_type(param) == FL_VAL_BOOL)
		u.autoescape = fl_val_get_bool(param);
	return urlize_run(call, in, &u, out);
}

static int f_urlizetrunc(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct urlize u = { true, fl_conv_integer(param) };

	(void)state;
	return urlize_run(call, in, &u, out);
}

/* --- words --- */

static int f_wordcount(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text t;
	struct words w;

	(void)call, (void)param, (void)state;
	text_of(&t, in);
	words_split(&w, t.p, t.n);
	*out = fl_val_int((int64_t)w.n);
	words_release(&w);
	text_release(&t);
	return FL_OK;
}

static int f_wordwrap(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t at = fl_conv_integer(param);
	struct text t;
	struct words w;
	struct fl_buf b;
	uint64_t lines;
	int rc = FL_OK;

	(void)state;
	if (at <= 0) {
		*out = ref_or_nil(in);
		return FL_OK;
	}
	text_of(&t, in);
	words_split(&w, t.p, t.n);
	/* pongo2 computes len/at + len%at lines and panics past the last word */
	lines = w.n / (uint64_t)at + w.n % (uint64_t)at;
	out_init(call, &b);
	for (uint64_t i = 0; i < lines && !fl_buf_failed(&b); i++) {
		uint64_t lo = (uint64_t)at * i, hi = FL_MIN((uint64_t)at * (i + 1), (uint64_t)w.n);
		if (lo > hi) {
			rc = fl_error_set(call->err, FL_EINVALID, "slice bounds out of range [%" PRIu64 ":%" PRIu64 "]",
					  lo, hi);
			break;
		}
		if (i > 0)
			fl_buf_addc(&b, '\n');
		for (uint64_t k = lo; k < hi; k++) {
			if (k > lo)
				fl_buf_addc(&b, ' ');
			fl_buf_add(&b, t.p + w.off[k], w.len[k]);
		}
	}
	words_release(&w);
	text_release(&t);
	if (rc) {
		fl_buf_release(&b);
		return rc;
	}
	return finish(call, &b, false, out);
}

static int f_yesno(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct text t;
	const char *choice[3] = { "yes", "no", "maybe" };
	size_t len[3] = { 3, 2, 5 };
	int pick;

	(void)state;
	text_of(&t, param);
	if (t.n > 0) {
		const char *c1 = memchr(t.p, ',', t.n);
		const char *c2 = c1 ? memchr(c1 + 1, ',', t.n - (size_t)(c1 + 1 - t.p)) : NULL;
		const char *c3 = c2 ? memchr(c2 + 1, ',', t.n - (size_t)(c2 + 1 - t.p)) : NULL;
		if (c3 || !c1) {
			int rc = fl_error_set(call->err, FL_EINVALID,
					      c3 ? "You cannot pass more than 3 options to the 'yesno'-filter (got: '%.*s')."
						 : "You must pass either no or at least 2 arguments to the 'yesno'-filter (got: '%.*s').",
					      (int)FL_MIN(t.n, (size_t)100), t.p);
			text_release(&t);
			return rc;
		}
		choice[0] = t.p, len[0] = (size_t)(c1 - t.p);
		if (c2) {
			choice[1] = c1 + 1, len[1] = (size_t)(c2 - c1 - 1);
			choice[2] = c2 + 1, len[2] = t.n - (size_t)(c2 + 1 - t.p);
		} else {
			choice[1] = c1 + 1, len[1] = t.n - (size_t)(c1 + 1 - t.p);
		}
	}
	if (fl_conv_is_nil(in))
		pick = 2;
	else
		pick = fl_val_truthy(in) ? 0 : 1;
	*out = fl_val_str(choice[pick], len[pick]);
	text_release(&t);
	return FL_OK;
}

static int f_default(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	(void)call, (void)state;
	*out = (in && fl_val_truthy(in)) ? fl_val_ref(in) : ref_or_nil(param);
	return FL_OK;
}

static int f_default_if_none(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	(void)call, (void)state;
	*out = fl_conv_is_nil(in) ? ref_or_nil(param) : fl_val_ref(in);
	return FL_OK;
}

#define FILTER(name, fn, help) { name, 0, fn, NULL, NULL, help }

const struct fl_tmpl_filter fl_tmpl_filters_builtin[] = {
	FILTER("escape", f_escape, "HTML-escape & < > \" ' (result is safe)"),
	FILTER("safe", f_safe, "mark a string safe from autoescaping"),
	FILTER("escapejs", f_escapejs, "escape for a JavaScript string: all but letters, space and / become \\uXXXX"),
	FILTER("add", f_add, "add numbers (int unless one is a float), otherwise concatenate the strings"),
	FILTER("addslashes", f_addslashes, "backslash-escape \\ \" and '"),
	FILTER("capfirst", f_capfirst, "upper-case the first character"),
	FILTER("center", f_center, "center in a field of the given width"),
	FILTER("cut", f_cut, "remove every occurrence of the argument"),
	FILTER("date", f_date, "format a time value with a Go layout (\"2006-01-02T15:04:05Z07:00\")"),
	FILTER("default", f_default, "the argument when the value is false-ish"),
	FILTER("default_if_none", f_default_if_none, "the argument when the value is nil"),
	FILTER("divisibleby", f_divisibleby, "whether the integer value is divisible by the argument"),
	FILTER("first", f_first, "first element of a list or first character of a string"),
	FILTER("floatformat", f_floatformat, "format a number with the given decimals (whole numbers lose them unless the argument is a positive number)"),
	FILTER("get_digit", f_get_digit, "the n-th digit from the right"),
	FILTER("iriencode", f_iriencode, "percent-encode an IRI, keeping reserved characters"),
	FILTER("join", f_join, "join list elements (or characters) with the argument"),
	FILTER("last", f_last, "last element of a list or last character of a string"),
	FILTER("length", f_length, "number of elements or characters (0 for other values)"),
	FILTER("length_is", f_length_is, "whether the length equals the argument"),
	FILTER("linebreaks", f_linebreaks, "wrap paragraphs in <p> and single newlines in <br />"),
	FILTER("linebreaksbr", f_linebreaksbr, "replace newlines with <br />"),
	FILTER("linenumbers", f_linenumbers, "prefix each line with its number"),
	FILTER("ljust", f_ljust, "left-justify in a field of the given width"),
	FILTER("lower", f_lower, "lower-case"),
	FILTER("make_list", f_make_list, "list of the characters of the value"),
	FILTER("phone2numeric", f_phone2numeric, "letters to phone keypad digits"),
	FILTER("pluralize", f_pluralize, "plural suffix for a number: 's', or 'y,ies' style arguments"),
	FILTER("random", f_random, "a random element of a list or character of a string"),
	FILTER("removetags", f_removetags, "remove the listed (comma separated) HTML tags, then trim"),
	FILTER("rjust", f_rjust, "right-justify in a field of the given width"),
	FILTER("slice", f_slice, "slice a list or string with 'from:to'"),
	FILTER("split", f_split, "split a string on the argument into a list"),
	FILTER("stringformat", f_stringformat, "format the value with a Go fmt verb string (\"%05d\", \"%.2f\", \"%v\")"),
	FILTER("striptags", f_striptags, "remove all <...> tags, then trim"),
	FILTER("time", f_date, "same as date"),
	FILTER("title", f_title, "title-case a string (non-strings give \"\")"),
	FILTER("truncatechars", f_truncatechars, "cut to n characters, ending in ..."),
	FILTER("truncatechars_html", f_truncatechars_html, "cut text to n characters keeping HTML tags balanced"),
	FILTER("truncatewords", f_truncatewords, "keep the first n words, then ..."),
	FILTER("truncatewords_html", f_truncatewords_html, "keep the first n words keeping HTML tags balanced"),
	FILTER("upper", f_upper, "upper-case"),
	FILTER("urlencode", f_urlencode, "query-escape (space becomes +)"),
	FILTER("urlize", f_urlize, "turn URLs and e-mail addresses into links"),
	FILTER("urlizetrunc", f_urlizetrunc, "urlize with link texts cut to n characters"),
	FILTER("wordcount", f_wordcount, "number of words"),
	FILTER("wordwrap", f_wordwrap, "put every n words on a line"),
	FILTER("yesno", f_yesno, "map true/false/nil to 'yes,no,maybe' or the given choices"),
	FILTER("float", f_float, "convert to a float (strings are parsed, other values give 0.0)"),
	FILTER("integer", f_integer, "convert to an integer (floats truncate, strings are parsed)"),
	{ NULL, 0, NULL, NULL, NULL, NULL },
};
