/* SPDX-License-Identifier: Apache-2.0 */
/*
 * functions.c - the static template functions.
 *
 * randomInt, randomAlpha, base64Encode, base64Decode, datastore, template
 * and unmarshalJson, as Flyte registers them (flyte-api.md §d.5).  pongo2
 * calls a Go function only with arguments of exactly the declared Go types,
 * so the checks below are strict the same way: randomInt(2.0) is an error,
 * as is datastore(5).  Errors keep Flyte's messages ("invalid argument to
 * Intn", "word length must be non-negative", "cannot find datastore item
 * key=...").
 */
#include "fl-common.h"

#include "buf.h"
#include "builtin.h"
#include "error.h"
#include "filters/conv.h"
#include "b64.h"
#include "value.h"

/* The Go parameter types the functions declare. */
enum arg_type { ARG_INT, ARG_STRING, ARG_MAP, ARG_ANY };

static const char *const arg_type_names[] = {
	[ARG_INT] = "int",
	[ARG_STRING] = "string",
	[ARG_MAP] = "map[string]interface {}",
	[ARG_ANY] = "*pongo2.Value",
};

static bool arg_ok(const fl_val *v, enum arg_type t)
{
	switch (t) {
	case ARG_INT:
		return fl_val_type(v) == FL_VAL_INT;
	case ARG_STRING:
		return fl_val_type(v) == FL_VAL_STR;
	case ARG_MAP:
		return fl_val_type(v) == FL_VAL_OBJECT;
	case ARG_ANY:
		return true;
	}
	return false;
}

/* pongo2's check of a call against the function's Go signature. */
static int check_args(struct fl_tmpl_call *call, const char *name, fl_val *const *args, size_t nargs,
		      const enum arg_type *types, size_t ntypes)
{
	if (nargs != ntypes)
		return fl_error_set(call->err, FL_EINVALID,
				    "function input argument count (%zu) of '%s' must be equal to the calling argument count (%zu)",
				    ntypes, name, nargs);
	for (size_t i = 0; i < ntypes; i++) {
		if (!arg_ok(args[i], types[i]))
			return fl_error_set(call->err, FL_EINVALID,
					    "function input argument %zu of '%s' must be of type %s (not %s)", i, name,
					    arg_type_names[types[i]], fl_conv_go_type(args[i]));
	}
	return FL_OK;
}

static int fn_random_int(struct fl_tmpl_call *call, fl_val *const *args, size_t nargs, fl_val **out)
{
	static const enum arg_type types[] = { ARG_INT };
	int64_t n;
	int rc = check_args(call, "randomInt", args, nargs, types, 1);

	if (rc)
		return rc;
	n = fl_val_get_int(args[0]);
	if (n <= 0)
		return fl_error_set(call->err, FL_EINVALID, "invalid argument to Intn");
	*out = fl_val_int((int64_t)fl_tmpl_call_random_below(call, (uint64_t)n));
	return FL_OK;
}

static int fn_random_alpha(struct fl_tmpl_call *call, fl_val *const *args, size_t nargs, fl_val **out)
{
	static const enum arg_type types[] = { ARG_INT };
	static const char charset[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	struct fl_buf b;
	int64_t n;
	int rc = check_args(call, "randomAlpha", args, nargs, types, 1);

	if (rc)
		return rc;
	n = fl_val_get_int(args[0]);
	if (n < 0)
		return fl_error_set(call->err, FL_EINVALID, "word length must be non-negative");
	if ((uint64_t)n > call->limits->max_output)
		return fl_error_set(call->err, FL_ELIMIT, "randomAlpha(%" PRId64 ") exceeds the output limit of %zu bytes",
				    n, call->limits->max_output);
	fl_buf_init(&b, 0);
	for (int64_t i = 0; i < n; i++)
		fl_buf_addc(&b, charset[fl_tmpl_call_random_below(call, sizeof(charset) - 1)]);
	if (fl_buf_failed(&b)) {
		fl_buf_release(&b);
		return fl_error_set_oom(call->err);
	}
	*out = fl_val_str(b.ptr, b.len);
	fl_buf_release(&b);
	return FL_OK;
}

static int fn_base64_encode(struct fl_tmpl_call *call, fl_val *const *args, size_t nargs, fl_val **out)
{
	static const enum arg_type types[] = { ARG_STRING };
	struct fl_buf b;
	const char *s;
	size_t n;
	int rc = check_args(call, "base64Encode", args, nargs, types, 1);

	if (rc)
		return rc;
	s = fl_val_get_str(args[0], &n);
	fl_buf_init(&b, call->limits->max_output);
	fl_b64_encode(&b, s, n, FL_B64_URL);
	if (fl_buf_failed(&b)) {
		fl_buf_release(&b);
		return fl_error_set(call->err, FL_ELIMIT, "base64Encode output exceeds %zu bytes",
				    call->limits->max_output);
	}
	*out = fl_val_str(b.ptr, b.len);
	fl_buf_release(&b);
	return FL_OK;
}

static int fn_base64_decode(struct fl_tmpl_call *call, fl_val *const *args, size_t nargs, fl_val **out)
{
	static const enum arg_type types[] = { ARG_STRING };
	struct fl_buf b = FL_BUF_INIT(0);
	const char *s;
	size_t n, bad_at = 0;
	int rc = check_args(call, "base64Decode", args, nargs, types, 1);

	if (rc)
		return rc;
	s = fl_val_get_str(args[0], &n);
	/* Go's base64.RawURLEncoding: no padding ('=' is illegal), CR and LF skipped, unused bits unchecked */
	if (fl_b64_decode_at(&b, s, n, FL_B64_URL | FL_B64_LAX, &bad_at) != 0) {
		fl_buf_release(&b);
		return fl_error_set(call->err, FL_EINVALID, "illegal base64 data at input byte %zu", bad_at);
	}
	*out = fl_val_str(b.ptr, b.len);
	fl_buf_release(&b);
	return FL_OK;
}

/* Parse a JSON object as Go's json.Unmarshal into map[string]interface{} would. */
static int parse_json_object(struct fl_tmpl_call *call, const char *s, size_t n, fl_val **out)
{
	fl_val *v = fl_val_parse_json(s, n, FL_VAL_JSON_NUMBERS_AS_FLOAT, call->err);

	if (!v) {
		if (call->err->code == FL_OK)
			fl_error_set(call->err, FL_EINVALID, "invalid JSON");
		return call->err->code;
	}
	switch (fl_val_type(v)) {
	case FL_VAL_OBJECT:
		*out = v;
		return FL_OK;
	case FL_VAL_NIL:
		/* json.Unmarshal of null into a map leaves it empty */
		fl_val_unref(v);
		*out = fl_val_object_new(0);
		return FL_OK;
	default: {
		static const struct {
			enum fl_val_type type;
			const char *go;
		} names[] = {
			{ FL_VAL_ARRAY, "array" }, { FL_VAL_STR, "string" }, { FL_VAL_FLOAT, "number" },
			{ FL_VAL_INT, "number" },  { FL_VAL_BOOL, "bool" },
		};
		const char *what = "value";
		for (size_t i = 0; i < FL_ARRAY_LEN(names); i++) {
			if (names[i].type == fl_val_type(v))
				what = names[i].go;
		}
		fl_val_unref(v);
		return fl_error_set(call->err, FL_EINVALID,
				    "json: cannot unmarshal %s into Go value of type map[string]interface {}", what);
	}
	}
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int fn_datastore(struct fl_tmpl_call *call, fl_val *const *args, size_t nargs, fl_val **out)
{
	static const enum arg_type types[] = { ARG_STRING };
	const struct fl_tmpl_env *env = call->env;
	char *value = NULL, *ctype = NULL;
	size_t vlen = 0, klen;
	const char *key;
	int rc = check_args(call, "datastore", args, nargs, types, 1);

	if (rc)
		return rc;
	key = fl_val_get_str(args[0], &klen);
	if (!env || !env->datastore)
		return fl_error_set(call->err, FL_ENOTFOUND, "cannot find datastore item key=%.*s: no datastore",
				    (int)FL_MIN(klen, (size_t)100), key);
	rc = env->datastore(env->datastore_payload, key, klen, &value, &vlen, &ctype, call->err);
	if (rc == FL_ENOTFOUND) {
		rc = fl_error_set(call->err, FL_ENOTFOUND, "cannot find datastore item key=%.*s: not found",
				  (int)FL_MIN(klen, (size_t)100), key);
		goto done;
	}
	if (rc) {
		if (call->err->code == FL_OK)
			fl_error_set(call->err, rc, "cannot find datastore item key=%.*s", (int)FL_MIN(klen, (size_t)100),
				     key);
		goto done;
	}
	if (has_prefix(ctype, "application/json") || has_prefix(ctype, "text/json")) {
		rc = parse_json_object(call, value ? value : "", vlen, out);
		if (rc)
			fl_error_prefix(call->err, "cannot unmarshal datastore item key=%.*s", (int)FL_MIN(klen, (size_t)100),
					key);
	} else {
		*out = fl_val_str(value ? value : "", vlen);
	}
done:
	free(value);
	free(ctype);
	return rc;
}

static int fn_template(struct fl_tmpl_call *call, fl_val *const *args, size_t nargs, fl_val **out)
{
	static const enum arg_type types[] = { ARG_ANY, ARG_MAP };
	struct fl_buf src = FL_BUF_INIT(0), b;
	int rc = check_args(call, "template", args, nargs, types, 2);

	if (rc)
		return rc;
	fl_conv_string(&src, args[0]);
	fl_buf_init(&b, call->limits->max_output);
	rc = fl_tmpl_render_nested(call, src.ptr, src.len, args[1], &b);
	fl_buf_release(&src);
	if (!rc && fl_buf_failed(&b))
		rc = fl_error_set(call->err, FL_ELIMIT, "template() output exceeds %zu bytes", call->limits->max_output);
	if (!rc)
		*out = fl_val_str(b.ptr, b.len);
	fl_buf_release(&b);
	return rc;
}

static int fn_unmarshal_json(struct fl_tmpl_call *call, fl_val *const *args, size_t nargs, fl_val **out)
{
	static const enum arg_type types[] = { ARG_STRING };
	const char *s;
	size_t n;
	int rc = check_args(call, "unmarshalJson", args, nargs, types, 1);

	if (rc)
		return rc;
	s = fl_val_get_str(args[0], &n);
	return parse_json_object(call, s, n, out);
}

const struct fl_tmpl_function fl_tmpl_functions[] = {
	{ "randomInt", fn_random_int, "randomInt(n): a random integer in [0, n); n must be a positive int" },
	{ "randomAlpha", fn_random_alpha, "randomAlpha(n): n random letters [A-Za-z]" },
	{ "base64Encode", fn_base64_encode, "base64Encode(s): URL-safe base64 without padding" },
	{ "base64Decode", fn_base64_decode, "base64Decode(s): inverse of base64Encode ('=', '+' and '/' are errors)" },
	{ "datastore", fn_datastore,
	  "datastore(key): the datastore item; JSON content types give a map, others the raw string" },
	{ "template", fn_template, "template(tpl, ctx): render tpl with the map ctx as its whole context" },
	{ "unmarshalJson", fn_unmarshal_json, "unmarshalJson(s): parse a JSON object string into a map" },
	{ NULL, NULL, NULL },
};
