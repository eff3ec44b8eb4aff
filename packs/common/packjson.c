/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packjson.c - action inputs and event payloads of the bundled packs (see
 * packjson.h).
 */
#include "fl-common.h"

#include <ctype.h>

#include "buf.h"
#include "packjson.h"
#include "utf8.h"

/* Go's names of JSON types in unmarshalling errors. */
const char *packjson_go_type(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	default: return "null";
	}
}

int packjson_object(json_t **out, const char *input, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;

	*out = NULL;
	j = json_loadb(input ? input : "", input ? len : 0, JSON_DECODE_ANY, &je);
	if (!j) {
		snprintf(err, errlen, "invalid JSON input: %s", je.text);
		return -1;
	}
	if (json_is_null(j)) {
		json_decref(j);
		j = json_object();
		if (!j) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (!json_is_object(j)) {
		snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type object", packjson_go_type(j));
		json_decref(j);
		return -1;
	}
	*out = j;
	return 0;
}

int packjson_input(json_t **in, const char *input, size_t len, char *err, size_t errlen, ...)
{
	const char *key;
	va_list ap;
	int rc;

	va_start(ap, errlen);
	for (key = va_arg(ap, const char *); key; key = va_arg(ap, const char *))
		*va_arg(ap, const char **) = "";
	va_end(ap);
	rc = packjson_object(in, input, len, err, errlen);
	va_start(ap, errlen);
	for (key = va_arg(ap, const char *); key && !rc; key = va_arg(ap, const char *))
		rc = packjson_str(*in, key, NULL, va_arg(ap, const char **), err, errlen);
	va_end(ap);
	return rc;
}

const char *packjson_sv(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

int packjson_str(const json_t *obj, const char *key, const char *def, const char **out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		*out = def ? def : "";
		return 0;
	}
	if (!json_is_string(v)) {
		*out = def ? def : "";
		snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field .%s of type string", packjson_go_type(v),
			 key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int packjson_int(const json_t *obj, const char *key, long long def, long long *out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	*out = def;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_integer(v)) {
		*out = (long long)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d == (double)(long long)d) {
			*out = (long long)d;
			return 0;
		}
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;
		long long n;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (*s && !isspace((unsigned char)*s) && !errno && !*end) {
			*out = n;
			return 0;
		}
	}
	snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field .%s of type int", packjson_go_type(v), key);
	return -1;
}

json_t *packjson_stringn(const char *s, size_t n)
{
	struct fl_buf b = FL_BUF_INIT(0);
	json_t *j;
	size_t i = 0;

	if (!s)
		return json_string("");
	if (fl_utf8_first_invalid(s, n, false) == n)
		return json_stringn(s, n);
	while (i < n) {
		size_t ok = fl_utf8_first_invalid(s + i, n - i, false);
		fl_buf_add(&b, s + i, ok);
		i += ok;
		if (i < n) {
			fl_buf_adds(&b, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
		}
	}
	j = fl_buf_failed(&b) ? NULL : json_stringn(b.ptr, b.len);
	fl_buf_release(&b);
	return j;
}

json_t *packjson_string(const char *s)
{
	return packjson_stringn(s, s ? strlen(s) : 0);
}

int packjson_set_str(json_t *obj, const char *key, const char *value)
{
	json_t *v = packjson_string(value);
	return v && !json_object_set_new(obj, key, v) ? 0 : -1;
}

json_t *packjson_with_error(json_t *p, const char *error)
{
	if (p && error && packjson_set_str(p, "error", error)) {
		json_decref(p);
		return NULL;
	}
	return p;
}

json_t *packjson_strs(const char *key, ...)
{
	json_t *o = json_object();
	va_list ap;

	va_start(ap, key);
	for (const char *k = key; k && o; k = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		if (packjson_set_str(o, k, v)) {
			json_decref(o);
			o = NULL;
		}
	}
	va_end(ap);
	return o;
}

int packjson_result(struct flyte_result *out, const char *event, json_t *payload)
{
	char *text;
	int rc;

	if (!payload)
		return flyte_result_fatal(out, "out of memory while building the %s payload", event);
	text = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(payload);
	if (!text)
		return flyte_result_fatal(out, "cannot serialise the %s payload", event);
	rc = flyte_result_set(out, event, text);
	free(text);
	return rc == FLYTE_OK ? 0 : flyte_result_fatal(out, "cannot set the %s result", event);
}

static bool word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

bool packjson_find_key(const char *s, size_t n, size_t *start, size_t *len)
{
	size_t i = 0;

	while (i < n) {
		size_t j;
		if (!word(s[i])) {
			i++;
			continue;
		}
		/* \w+ can only be followed by '-' at the end of the word run */
		for (j = i; j < n && word(s[j]); j++)
			;
		if (j + 1 < n && s[j] == '-' && isdigit((unsigned char)s[j + 1])) {
			size_t k = j + 1;
			while (k < n && isdigit((unsigned char)s[k]))
				k++;
			*start = i;
			*len = k - i;
			return true;
		}
		i = j;
	}
	return false;
}
