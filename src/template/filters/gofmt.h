/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gofmt.h - Go's fmt.Sprintf for one operand, and Go's float formatting.
 *
 * The stringformat filter is fmt.Sprintf(param, value) in pongo2, so flows
 * depend on Go's verbs, flags and error spellings ("%!d(string=x)",
 * "%!(EXTRA float64=5)", "%!s(MISSING)").  Supported: verbs v T t d b o O x
 * X c q U e E f F g G s, flags + - # 0 space, width and precision (also
 * '*'), explicit argument indexes [n].  Values render as their Go
 * counterparts: int, float64, string, bool, nil, []interface{},
 * map[string]interface{} (sorted keys) and time.Time (via its String()).
 */
#ifndef FL_GOFMT_H
#define FL_GOFMT_H

#include "buf.h"
#include "fl-common.h"
#include "value.h"

/* Append fmt.Sprintf(format, arg) to out; arg NULL is a nil interface. */
void fl_gofmt_sprintf(struct fl_buf *out, const char *format, size_t len, const fl_val *arg);

/*
 * strconv.FormatFloat(d, verb, prec, 64) for verb 'e' 'E' 'f' 'g' 'G';
 * prec -1 is the shortest representation that reads back exactly.
 */
void fl_gofmt_float(struct fl_buf *out, double d, char verb, int prec);

#endif
