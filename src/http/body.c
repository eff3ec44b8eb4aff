// SPDX-License-Identifier: Apache-2.0
/*
 * body.c - turns a buffered request body into a jansson value, JSON or
 * YAML, enforcing the depth, size and alias limits from the configuration.
 */
#include "fl-common.h"

#include "http/body.h"
#include "jsonscan.h"
#include "yaml/yaml.h"

bool fl_body_is_yaml(const char *content_type)
{
	return content_type && strcmp(content_type, "application/x-yaml") == 0;
}

int fl_body_json_scan(const char *p, size_t n, const struct fl_body_limits *lim, struct fl_error *err)
{
	switch (fl_jsonscan_check(p, n, lim->max_depth, lim->max_elements)) {
	case FL_JSONSCAN_TOO_DEEP:
		return fl_error_set(err, FL_EINVALID, "request body nests deeper than %zu levels", lim->max_depth);
	case FL_JSONSCAN_TOO_MANY:
		return fl_error_set(err, FL_EINVALID, "request body has more than %zu values", lim->max_elements);
	case FL_JSONSCAN_OK:
		break;
	}
	return FL_OK;
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

int fl_body_decode(const char *content_type, const char *p, size_t n, const struct fl_body_limits *lim,
		   json_t **out, struct fl_error *err)
{
	json_error_t jerr;
	json_t *v;
	int rc;

	*out = NULL;
	if (blank(p, n))
		return fl_error_set(err, FL_EINVALID, "request body is empty");
	if (fl_body_is_yaml(content_type)) {
		struct fl_yaml_limits yl = { lim->max_depth, lim->max_elements, lim->max_aliases };
		return fl_yaml_to_json(out, p, n, &yl, err);
	}
	rc = fl_body_json_scan(p, n, lim, err);
	if (rc)
		return rc;
	v = json_loadb(p, n, JSON_DECODE_ANY, &jerr);
	if (!v)
		return fl_error_set(err, FL_EINVALID, "invalid JSON at line %d column %d: %s", jerr.line,
				    jerr.column, jerr.text);
	*out = v;
	return FL_OK;
}

int fl_body_content_length(const char *value, uint64_t *out)
{
	uint64_t v = 0;

	if (!value || !*value)
		return FL_EINVALID;
	for (const char *p = value; *p; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (*p < '0' || *p > '9' || v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
			return FL_EINVALID;
		v = v * 10 + d;
	}
	*out = v;
	return FL_OK;
}
