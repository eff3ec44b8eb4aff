/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters_flyte.c - the filters Flyte registers on top of pongo2.
 *
 * kvp, key, index, match, extractMatch, matchesCron, removedupwhitespaces
 * and safecopypaste, with the behaviour of Flyte's template package
 * (flyte-api.md §d.4): an invalid regex makes match False but extractMatch
 * fail, key on a non-map fails the way Go's reflect panics, index reads
 * characters of strings.  Regexes are Go RE2 syntax (regex.h) and literal
 * patterns and cron expressions are compiled once, when the template is.
 */
#include "fl-common.h"

#include "alloc.h"
#include "buf.h"
#include "builtin.h"
#include "error.h"
#include "filters/conv.h"
#include "filters/cron.h"
#include "filters/regex.h"
#include "filters/unicase.h"
#include "timeutil.h"
#include "value.h"

/* The String() of a value into a fresh buffer. */
static void string_of(struct fl_buf *b, const fl_val *v)
{
	fl_buf_init(b, 0);
	fl_conv_string(b, v);
}

static int finish(struct fl_tmpl_call *call, struct fl_buf *b, fl_val **out)
{
	if (fl_buf_failed(b)) {
		fl_buf_release(b);
		return fl_error_set(call->err, FL_ELIMIT, "filter output exceeds %zu bytes", call->limits->max_output);
	}
	*out = fl_val_str(b->ptr, b->len);
	fl_buf_release(b);
	return FL_OK;
}

/* --- kvp, key, index --- */

static int f_kvp(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct fl_buf s;
	fl_val *obj = fl_val_object_new(4);
	size_t start = 0;

	(void)call, (void)param, (void)state;
	string_of(&s, in);
	for (;;) {
		const char *comma = memchr(s.ptr + start, ',', s.len - start);
		size_t end = comma ? (size_t)(comma - s.ptr) : s.len;
		const char *piece = s.ptr + start;
		size_t n = end - start;
		const char *eq = memchr(piece, '=', n);

		/* exactly one '=' */
		if (eq && !memchr(eq + 1, '=', n - (size_t)(eq + 1 - piece))) {
			const char *k = piece, *v = eq + 1;
			size_t kl = (size_t)(eq - piece), vl = n - kl - 1;
			fl_unicase_trim_space(&k, &kl);
			fl_unicase_trim_space(&v, &vl);
			fl_val_object_set(obj, k, kl, fl_val_str(v, vl));
		}
		if (!comma)
			break;
		start = end + 1;
	}
	fl_buf_release(&s);
	*out = obj;
	return FL_OK;
}

static int f_key(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct fl_buf k;
	fl_val *v;

	(void)state;
	if (fl_conv_is_nil(in)) {
		*out = fl_val_nil();
		return FL_OK;
	}
	if (fl_val_type(in) != FL_VAL_OBJECT)
		return fl_error_set(call->err, FL_EINVALID, "reflect: call of reflect.Value.MapIndex on %s Value",
				    fl_conv_go_kind(in));
	string_of(&k, param);
	v = fl_val_object_get(in, k.ptr, k.len);
	fl_buf_release(&k);
	*out = v ? fl_val_ref(v) : fl_val_nil();
	return FL_OK;
}

static int f_index(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	int64_t i;

	(void)state;
	if (!fl_conv_can_slice(in) || fl_conv_len(in) == 0) {
		*out = fl_val_str("", 0);
		return FL_OK;
	}
	i = fl_conv_integer(param);
	*out = fl_conv_index(in, i);
	if (!*out)
		return fl_error_set(call->err, FL_EINVALID, "index out of range [%" PRId64 "]", i);
	return FL_OK;
}

/* --- regexes --- */

/* A pattern compiled once: the regex, or why it failed. */
struct re_state {
	struct fl_regex *re;
	struct fl_error err;
};

static int re_prepare(fl_val *param, const struct fl_tmpl_limits *lim, void **state, struct fl_error *err)
{
	struct re_state *st = fl_xcalloc(1, sizeof(*st));
	struct fl_buf pat;

	(void)err;
	string_of(&pat, param);
	(void)fl_regex_compile(&st->re, pat.ptr, pat.len, lim ? lim->max_regex_len : 0, &st->err);
	fl_buf_release(&pat);
	*state = st;
	return FL_OK;
}

static void re_state_free(void *state)
{
	struct re_state *st = state;

	if (!st)
		return;
	fl_regex_free(st->re);
	free(st);
}

/*
 * The regex of a call: the prepared one, or param compiled now (*owned is
 * then the caller's to free).  Returns FL_OK, or the compile error with
 * call->err set.
 */
static int get_regex(struct fl_tmpl_call *call, fl_val *param, void *state, const struct fl_regex **re,
		     struct fl_regex **owned)
{
	const struct re_state *st = state;
	struct fl_buf pat;
	int rc;

	*owned = NULL;
	if (st) {
		*re = st->re;
		if (st->re)
			return FL_OK;
		return fl_error_set(call->err, st->err.code, "%s", st->err.msg);
	}
	string_of(&pat, param);
	rc = fl_regex_compile(owned, pat.ptr, pat.len, call->limits->max_regex_len, call->err);
	fl_buf_release(&pat);
	*re = *owned;
	return rc;
}

/*
 * Charge a search to the render's step budget: about size x length simple
 * steps, which the PCRE2 match limit does not count (a long fixed repeat
 * does not backtrack, it is just long).
 */
static int charge(struct fl_tmpl_call *call, const struct fl_regex *re, size_t len)
{
	return fl_tmpl_call_step(call, fl_regex_cost(re) * (uint64_t)len / 1024 + 1);
}

static void limits_of(const struct fl_tmpl_call *call, struct fl_regex_limits *lim)
{
	lim->match_limit = call->limits->regex_match_limit;
	lim->depth_limit = call->limits->regex_depth_limit;
}

static int f_match(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	const struct fl_regex *re;
	struct fl_regex *owned;
	struct fl_regex_limits lim;
	struct fl_buf s;
	int rc = get_regex(call, param, state, &re, &owned);

	if (rc == FL_EINVALID) {
		/* Flyte ignores the compile error: an invalid regex never matches */
		fl_error_clear(call->err);
		*out = fl_val_bool(false);
		return FL_OK;
	}
	if (rc)
		return rc;
	limits_of(call, &lim);
	string_of(&s, in);
	rc = charge(call, re, s.len);
	if (rc == FL_OK)
		rc = fl_regex_match(re, s.ptr, s.len, &lim, call->err);
	fl_buf_release(&s);
	fl_regex_free(owned);
	if (rc < 0)
		return rc;
	*out = fl_val_bool(rc == 1);
	return FL_OK;
}

static int f_extract_match(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	const struct fl_regex *re;
	struct fl_regex *owned;
	struct fl_regex_limits lim;
	struct fl_buf s;
	size_t ov[4];
	int rc = get_regex(call, param, state, &re, &owned);

	if (rc)
		return rc;
	limits_of(call, &lim);
	string_of(&s, in);
	rc = charge(call, re, s.len);
	if (rc == FL_OK)
		rc = fl_regex_groups(re) >= 1 ? fl_regex_search(re, s.ptr, s.len, 0, &lim, ov, 2, call->err) : 0;
	fl_regex_free(owned);
	if (rc < 0) {
		fl_buf_release(&s);
		return rc;
	}
	if (rc == 1) {
		if (ov[2] == FL_REGEX_UNSET)
			*out = fl_val_str("", 0);
		else
			*out = fl_val_str(s.ptr + ov[2], ov[3] - ov[2]);
		fl_buf_release(&s);
		return FL_OK;
	}
	return finish(call, &s, out);
}

/* --- cron --- */

static int cron_prepare(fl_val *param, const struct fl_tmpl_limits *lim, void **state, struct fl_error *err)
{
	struct fl_error ignored = FL_ERROR_INIT;
	struct fl_cron *c = NULL;
	struct fl_buf expr;

	(void)lim, (void)err;
	string_of(&expr, param);
	/* an invalid literal is reported when the filter runs, as Flyte does */
	(void)fl_cron_parse(&c, expr.ptr, expr.len, &ignored);
	fl_buf_release(&expr);
	*state = c;
	return FL_OK;
}

static void cron_state_free(void *state)
{
	fl_cron_free(state);
}

/*
 * Instants are int64 nanoseconds, which span the years 1678 to 2261; a
 * timestamp outside them is reported as an invalid date.
 */
static bool year_in_range(const char *s, size_t n)
{
	int y = 0;

	if (n < 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		y = y * 10 + (s[i] - '0');
	}
	return y >= 1678 && y <= 2261;
}

static int f_matches_cron(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct fl_error ignored = FL_ERROR_INIT;
	struct fl_cron *owned = NULL;
	const struct fl_cron *c = state;
	struct fl_buf s;
	int64_t ns;
	int off;

	string_of(&s, in);
	if (!year_in_range(s.ptr, s.len) || fl_time_parse_rfc3339(s.ptr, s.len, &ns, &off) != 0) {
		int rc = fl_error_set(call->err, FL_EINVALID, "invalid date: '%.*s'", (int)FL_MIN(s.len, (size_t)100),
				      s.ptr);
		fl_buf_release(&s);
		return rc;
	}
	fl_buf_release(&s);
	if (!c) {
		struct fl_buf expr;
		string_of(&expr, param);
		(void)fl_cron_parse(&owned, expr.ptr, expr.len, &ignored);
		fl_buf_release(&expr);
		if (!owned)
			return fl_error_set(call->err, FL_EINVALID, "Invalid Cron Expression");
		c = owned;
	}
	*out = fl_val_bool(fl_cron_is_due(c, ns, off));
	fl_cron_free(owned);
	return FL_OK;
}

/* --- whitespace --- */

static bool go_regex_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int f_removedupwhitespaces(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct fl_buf s, b;

	(void)param, (void)state;
	string_of(&s, in);
	fl_buf_init(&b, call->limits->max_output);
	for (size_t i = 0; i < s.len;) {
		if (go_regex_space(s.ptr[i])) {
			fl_buf_addc(&b, ' ');
			while (i < s.len && go_regex_space(s.ptr[i]))
				i++;
		} else {
			fl_buf_addc(&b, s.ptr[i++]);
		}
	}
	fl_buf_release(&s);
	while (b.len > 0 && b.ptr[b.len - 1] == ' ' && !fl_buf_failed(&b))
		fl_buf_truncate(&b, b.len - 1);
	return finish(call, &b, out);
}

static int f_safecopypaste(struct fl_tmpl_call *call, fl_val *in, fl_val *param, void *state, fl_val **out)
{
	struct fl_buf s, b;

	(void)param, (void)state;
	string_of(&s, in);
	fl_buf_init(&b, call->limits->max_output);
	for (size_t i = 0; i < s.len; i++) {
		if ((unsigned char)s.ptr[i] == 0xC2 && i + 1 < s.len && (unsigned char)s.ptr[i + 1] == 0xA0) {
			fl_buf_addc(&b, ' ');
			i++;
		} else {
			fl_buf_addc(&b, s.ptr[i]);
		}
	}
	fl_buf_release(&s);
	return finish(call, &b, out);
}

const struct fl_tmpl_filter fl_tmpl_filters_flyte[] = {
	{ "kvp", 0, f_kvp, NULL, NULL, "parse \"a=1, b=2\" into a map (pieces without exactly one '=' are dropped)" },
	{ "key", 0, f_key, NULL, NULL, "look up a map by key (nil gives nil, a non-map is an error)" },
	{ "index", 0, f_index, NULL, NULL, "n-th element of a list or character of a string (\"\" when empty)" },
	{ "match", 0, f_match, re_prepare, re_state_free,
	  "whether the Go regex matches the value (an invalid regex gives False)" },
	{ "matchesCron", 0, f_matches_cron, cron_prepare, cron_state_free,
	  "whether an RFC 3339 timestamp is due for a cron expression, in the timestamp's own offset" },
	{ "extractMatch", 0, f_extract_match, re_prepare, re_state_free,
	  "capture group 1 of the first match, else the input (an invalid regex is an error)" },
	{ "removedupwhitespaces", 0, f_removedupwhitespaces, NULL, NULL,
	  "collapse whitespace runs to one space and trim trailing spaces" },
	{ "safecopypaste", 0, f_safecopypaste, NULL, NULL, "replace non-breaking spaces (U+00A0) with spaces" },
	{ NULL, 0, NULL, NULL, NULL, NULL },
};
