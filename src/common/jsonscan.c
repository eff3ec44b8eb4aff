/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonscan.c - nesting depth and value count of JSON text in one pass.
 */
#include "fl-common.h"

#include "jsonscan.h"

enum fl_jsonscan_result fl_jsonscan_check(const char *p, size_t n, size_t max_depth, size_t max_values)
{
	size_t depth = 0, values = 1;
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			continue;
		case '[':
		case '{':
			if (++depth > max_depth)
				return FL_JSONSCAN_TOO_DEEP;
			values++;
			break;
		case ']':
		case '}':
			if (depth)
				depth--;
			continue;
		case ',':
			values++;
			break;
		default:
			continue;
		}
		if (values > max_values)
			return FL_JSONSCAN_TOO_MANY;
	}
	return FL_JSONSCAN_OK;
}
