/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conv.h - pongo2's value conversions, shared by the filters.
 *
 * pongo2 filters see their input through a handful of conversions
 * (Value.String, Integer, Float, Len, CanSlice, Index, Slice) whose
 * behaviour on odd input is part of what flows observe: Integer of the
 * string "3.7" is 3, Len of a number is 0, Index of a string is its n-th
 * rune.  These functions reproduce them on fl_val.  A NULL value is nil.
 */
#ifndef FL_CONV_H
#define FL_CONV_H

#include "buf.h"
#include "fl-common.h"
#include "value.h"

/* Value.String(): appended to out. */
void fl_conv_string(struct fl_buf *out, const fl_val *v);
/* Value.Integer(): ints as is, floats truncated, strings through ParseFloat, else 0. */
int64_t fl_conv_integer(const fl_val *v);
/* Value.Float(): numbers, strings through ParseFloat, else 0. */
double fl_conv_float(const fl_val *v);
/* Value.Len(): runes of a string, entries of an array/object, else 0. */
size_t fl_conv_len(const fl_val *v);
/* Value.CanSlice(): arrays and strings. */
bool fl_conv_can_slice(const fl_val *v);
/* Value.IsNil(). */
bool fl_conv_is_nil(const fl_val *v);

/*
 * Value.Index(i) on an array or string (new reference): the element, nil
 * past the end of an array, "" past the end of a string.  A negative index
 * is Go's "index out of range" panic: returns NULL.
 */
fl_val *fl_conv_index(const fl_val *v, int64_t i);
/* Value.Slice(i, j) on an array or string (0 <= i <= j <= Len). */
fl_val *fl_conv_slice(const fl_val *v, size_t i, size_t j);

/* Go's strconv.ParseFloat(s, 64); false on a syntax or range error. */
bool fl_conv_parse_float(const char *s, size_t n, double *out);
/* Go's int(f) on amd64: truncation, INT64_MIN when out of range or NaN. */
int64_t fl_conv_f2i(double f);

/* Go's %T name of a value ("float64", "map[string]interface {}", "<nil>", ...). */
const char *fl_conv_go_type(const fl_val *v);
/* Go's reflect Kind name of a value ("invalid", "slice", "map", ...), as pongo2 prints it in errors. */
const char *fl_conv_go_kind(const fl_val *v);

#endif
