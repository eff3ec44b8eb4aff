/* SPDX-License-Identifier: Apache-2.0 */
/*
 * value.h - the value model of the template language.
 *
 * A fl_val is a reference-counted, immutable-once-shared value: nil, bool,
 * int (int64), float (double), string (bytes + "safe" flag for autoescape),
 * array, object (string keys, insertion order kept, lookup by hash), time
 * (instant + UTC offset, for Event.CreatedAt) or function (the static
 * template functions such as randomInt).
 *
 * Ownership, in jq's style: **functions consume their fl_val arguments**
 * unless the parameter is marked `borrowed`; use fl_val_ref to keep one.
 * Functions returning fl_val * return a new reference the caller owns,
 * except the accessors marked `borrowed` (valid while the parent lives).
 * Constructors never return NULL (allocation failure aborts the server).
 * Thread-safety: the refcount is atomic, so compiled templates holding
 * literal values may be rendered from several threads.
 */
#ifndef FL_TEMPLATE_VALUE_H
#define FL_TEMPLATE_VALUE_H

#include "buf.h"
#include "error.h"
#include "fl-common.h"

typedef struct fl_val fl_val;

enum fl_val_type {
	FL_VAL_NIL = 0,
	FL_VAL_BOOL,
	FL_VAL_INT,
	FL_VAL_FLOAT,
	FL_VAL_STR,
	FL_VAL_ARRAY,
	FL_VAL_OBJECT,
	FL_VAL_TIME,
	FL_VAL_FUNC,
};

struct fl_tmpl_call; /* runtime of one render, see builtin.h */

/* A template function: args are borrowed; *out receives a new reference. */
typedef int (*fl_val_func_fn)(struct fl_tmpl_call *call, fl_val *const *args, size_t nargs, fl_val **out);

/* --- constructors (return a new reference) --- */
fl_val *fl_val_nil(void);
fl_val *fl_val_bool(bool b);
fl_val *fl_val_int(int64_t i);
fl_val *fl_val_float(double d);
/* Copies n bytes. */
fl_val *fl_val_str(const char *s, size_t n);
fl_val *fl_val_strz(const char *s);
/* A string marked safe (not escaped by autoescape). */
fl_val *fl_val_str_safe(const char *s, size_t n);
/* Takes ownership of a malloc'd buffer p of n bytes (p[n] must be NUL). */
fl_val *fl_val_str_own(char *p, size_t n);
fl_val *fl_val_array_new(size_t capacity_hint);
fl_val *fl_val_object_new(size_t capacity_hint);
/* ns since epoch, offset in seconds east of UTC. */
fl_val *fl_val_time(int64_t ns, int offset_sec);
/* name is a static string. */
fl_val *fl_val_func(const char *name, fl_val_func_fn fn);

/* --- reference counting --- */
fl_val *fl_val_ref(fl_val *v);   /* returns v; NULL-tolerant */
void fl_val_unref(fl_val *v);    /* NULL-tolerant */
/* Number of live values (debug counter for leak assertions in tests). */
long fl_val_live_count(void);

/* --- building containers (only while the container is not yet shared) --- */
/* Consumes v. */
void fl_val_array_push(fl_val *arr, fl_val *v);
/* Consumes v; replaces an existing key (keeping its position). */
void fl_val_object_set(fl_val *obj, const char *key, size_t keylen, fl_val *v);
void fl_val_object_setz(fl_val *obj, const char *key, fl_val *v);

/* --- inspection (all borrowed) --- */
enum fl_val_type fl_val_type(const fl_val *v);
const char *fl_val_type_name(const fl_val *v); /* "nil", "bool", "int", ... */
bool fl_val_get_bool(const fl_val *v);         /* undefined for non-bool: false */
int64_t fl_val_get_int(const fl_val *v);       /* 0 for non-int */
double fl_val_get_float(const fl_val *v);      /* 0 for non-float */
/* String bytes and length; "" for non-strings. Always NUL-terminated. */
const char *fl_val_get_str(const fl_val *v, size_t *len);
bool fl_val_is_safe(const fl_val *v);
int64_t fl_val_get_time(const fl_val *v, int *offset_sec);
fl_val_func_fn fl_val_get_func(const fl_val *v, const char **name);

size_t fl_val_len(const fl_val *v); /* array/object element count, string byte length */
/* Borrowed element; NULL when out of range. */
fl_val *fl_val_array_get(const fl_val *arr, size_t i);
/* Borrowed value for key; NULL when missing or not an object. */
fl_val *fl_val_object_get(const fl_val *obj, const char *key, size_t keylen);
/* The hash objects use for key, so that a fixed key can be hashed once. */
uint32_t fl_val_key_hash(const char *key, size_t keylen);
/* fl_val_object_get with hash == fl_val_key_hash(key, keylen). */
fl_val *fl_val_object_get_hashed(const fl_val *obj, const char *key, size_t keylen, uint32_t hash);
/* i-th entry in insertion order; key and value borrowed. false when out of range. */
bool fl_val_object_entry(const fl_val *obj, size_t i, const char **key, size_t *keylen, fl_val **val);

/* --- semantics shared by the evaluator and the filters --- */
/* pongo2 IsTrue: nil/false/0/0.0/""/empty array/empty object are false. */
bool fl_val_truthy(const fl_val *v);
/* pongo2 String() rendering appended to out (see the spec §d.2, documented
 * improvement: arrays/objects render as compact JSON). */
void fl_val_render(const fl_val *v, struct fl_buf *out);
/* Type-strict equality (int 5 != float 5.0, "5" != 5), deep for containers. */
bool fl_val_equal(const fl_val *a, const fl_val *b);
/* Numeric view: ints and floats; true when v is a number. */
bool fl_val_is_number(const fl_val *v);
double fl_val_as_double(const fl_val *v);

/* --- JSON bridge (jansson) --- */
enum fl_val_json_flags {
	/* Decode every JSON number as float, as Go's encoding/json does for
	 * interface{} (payloads, datastore values, unmarshalJson). */
	FL_VAL_JSON_NUMBERS_AS_FLOAT = (1 << 0),
};
struct json_t;
/* Convert a jansson value (borrowed) to a new fl_val. */
fl_val *fl_val_from_json(const struct json_t *j, unsigned flags);
/* Parse JSON text; NULL (with err set to FL_EINVALID) on malformed input. */
fl_val *fl_val_parse_json(const char *s, size_t len, unsigned flags, struct fl_error *err);
/* Convert to a new jansson value (time -> RFC 3339 string, func -> null). */
struct json_t *fl_val_to_json(const fl_val *v);

#endif
