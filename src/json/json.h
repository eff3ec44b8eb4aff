/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - compact JSON output for responses.
 *
 * Like json_dumps(JSON_COMPACT) but numbers are written the way Go writes
 * float64 values: the shortest form that reads back to the same double
 * (0.1, not 0.10000000000000001), and whole numbers without ".0".  Object
 * members are written in insertion order; callers build objects in the
 * wire order.
 */
#ifndef FL_JSON_H
#define FL_JSON_H

#include <jansson.h>

#include "buf.h"
#include "fl-common.h"

/* Append v to out as compact JSON. */
void fl_json_dump(struct fl_buf *out, const json_t *v);

/* Write the shortest round-trip form of d into buf (at least 32 bytes). */
void fl_json_format_real(char *buf, size_t len, double d);

#endif
