/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jsonscan.h - the linear pre-scan of JSON text against nesting and size limits.
 *
 * Before a JSON text from outside (a request body, a token's header or
 * payload) reaches jansson, which recurses once per nesting level, one pass
 * over the bytes measures how deep it nests and bounds how many values it
 * holds.  Strings are skipped (escapes included), so brackets inside them
 * do not count.  Syntax is not checked: that is the parser's job.
 */
#ifndef FL_JSONSCAN_H
#define FL_JSONSCAN_H

#include "fl-common.h"

enum fl_jsonscan_result {
	FL_JSONSCAN_OK = 0,
	FL_JSONSCAN_TOO_DEEP,  /* some '[' or '{' opens level max_depth + 1 */
	FL_JSONSCAN_TOO_MANY,  /* more than max_values values */
};

/*
 * Scan p[0..n).  The depth is the number of '[' / '{' open at a point
 * (closers never take it below 0); the number of values is counted as
 * 1 + the '[', '{' and ',' outside strings, an upper bound of the real
 * count.  Stops at the first limit exceeded; SIZE_MAX disables a limit.
 */
enum fl_jsonscan_result fl_jsonscan_check(const char *p, size_t n, size_t max_depth, size_t max_values);

#endif
