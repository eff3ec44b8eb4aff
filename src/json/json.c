// SPDX-License-Identifier: Apache-2.0
/*
 * json.c - the JSON writer of answers (HTTP and YAML): compact, insertion-ordered,
 * with Go-compatible number formatting.
 */
#include "fl-common.h"

#include <math.h>

#include "json/json.h"

void fl_json_format_real(char *buf, size_t len, double d)
{
	if (!isfinite(d)) {
		snprintf(buf, len, "null");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
}

static void dump(struct fl_buf *out, const json_t *v, unsigned depth)
{
	char num[40];

	if (depth > 4096) { /* values come from bounded bodies; this is a backstop */
		fl_buf_adds(out, "null");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *item;
		bool first = true;

		fl_buf_addc(out, '{');
		json_object_foreach((json_t *)v, k, item) {
			if (!first)
				fl_buf_addc(out, ',');
			first = false;
			fl_buf_add_json_str(out, k, strlen(k));
			fl_buf_addc(out, ':');
			dump(out, item, depth + 1);
		}
		fl_buf_addc(out, '}');
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *item;

		fl_buf_addc(out, '[');
		json_array_foreach(v, i, item) {
			if (i)
				fl_buf_addc(out, ',');
			dump(out, item, depth + 1);
		}
		fl_buf_addc(out, ']');
		break;
	}
	case JSON_STRING:
		fl_buf_add_json_str(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		fl_buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		fl_json_format_real(num, sizeof(num), json_real_value(v));
		fl_buf_adds(out, num);
		break;
	case JSON_TRUE:
		fl_buf_adds(out, "true");
		break;
	case JSON_FALSE:
		fl_buf_adds(out, "false");
		break;
	default:
		fl_buf_adds(out, "null");
		break;
	}
}

void fl_json_dump(struct fl_buf *out, const json_t *v)
{
	if (!v)
		fl_buf_adds(out, "null");
	else
		dump(out, v, 0);
}
