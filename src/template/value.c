/* SPDX-License-Identifier: Apache-2.0 */
/*
 * value.c - the reference-counted values of the template language.
 *
 * Every value the evaluator, the filters and the engine pass around is a
 * struct fl_val: scalars, strings, arrays, insertion-ordered objects with a
 * hash index, times and functions.  nil, true and false are immortal
 * singletons (no counting, no allocation); everything else carries an
 * atomic reference count so a compiled template's literals can be shared by
 * renders on several threads.  The file also holds the semantics shared by
 * the evaluator and the filters (truthiness, type-strict equality, the
 * pongo2 String() rendering) and the bridge to and from jansson.
 */
#include "fl-common.h"

#include <jansson.h>
#include <math.h>

#include "alloc.h"
#include "builtin.h"
#include "buf.h"
#include "error.h"
#include "timeutil.h"
#include "value.h"

/* Objects switch from a linear scan to the hash index above this size. */
#define OBJ_LINEAR_MAX 8
/* Refcount of the immortal singletons; never changed. */
#define REFS_IMMORTAL (-1L)
/* Containers nested deeper than this render as null (bounded recursion). */
#define RENDER_DEPTH_MAX 128

struct obj_entry {
	char *key;
	size_t keylen;
	uint32_t hash;
	fl_val *val;
};

struct fl_val {
	long refs;
	uint8_t type;
	bool safe;
	union {
		bool b;
		int64_t i;
		double d;
		struct {
			char *p;
			size_t n;
		} s;
		struct {
			fl_val **items;
			size_t n, cap;
		} a;
		struct {
			struct obj_entry *e;
			size_t n, cap;
			uint32_t *index; /* slot -> entry index + 1; 0 = empty */
			size_t index_cap;
		} o;
		struct {
			int64_t ns;
			int off;
		} t;
		struct {
			const char *name;
			fl_val_func_fn fn;
		} f;
	} u;
};

static fl_val val_nil = { REFS_IMMORTAL, FL_VAL_NIL, false, { .b = false } };
static fl_val val_true = { REFS_IMMORTAL, FL_VAL_BOOL, false, { .b = true } };
static fl_val val_false = { REFS_IMMORTAL, FL_VAL_BOOL, false, { .b = false } };

static long live_count;

static fl_val *val_alloc(enum fl_val_type type, size_t extra)
{
	fl_val *v = fl_xmalloc(sizeof(*v) + extra);

	memset(v, 0, sizeof(*v));
	v->refs = 1;
	v->type = (uint8_t)type;
	__atomic_add_fetch(&live_count, 1, __ATOMIC_RELAXED);
	return v;
}

long fl_val_live_count(void)
{
	return __atomic_load_n(&live_count, __ATOMIC_RELAXED);
}

/* --- constructors --- */

fl_val *fl_val_nil(void)
{
	return &val_nil;
}

fl_val *fl_val_bool(bool b)
{
	return b ? &val_true : &val_false;
}

fl_val *fl_val_int(int64_t i)
{
	fl_val *v = val_alloc(FL_VAL_INT, 0);
	v->u.i = i;
	return v;
}

fl_val *fl_val_float(double d)
{
	fl_val *v = val_alloc(FL_VAL_FLOAT, 0);
	v->u.d = d;
	return v;
}

static fl_val *str_new(const char *s, size_t n, bool safe)
{
	fl_val *v;

	if (n > SIZE_MAX - sizeof(*v) - 1)
		FL_BUG("string too large");
	v = val_alloc(FL_VAL_STR, n + 1);
	v->u.s.p = (char *)(v + 1);
	if (n)
		memcpy(v->u.s.p, s, n);
	v->u.s.p[n] = '\0';
	v->u.s.n = n;
	v->safe = safe;
	return v;
}

fl_val *fl_val_str(const char *s, size_t n)
{
	return str_new(s, n, false);
}

fl_val *fl_val_strz(const char *s)
{
	return str_new(s, strlen(s), false);
}

fl_val *fl_val_str_safe(const char *s, size_t n)
{
	return str_new(s, n, true);
}

fl_val *fl_val_str_own(char *p, size_t n)
{
	fl_val *v = val_alloc(FL_VAL_STR, 0);
	v->u.s.p = p;
	v->u.s.n = n;
	return v;
}

fl_val *fl_val_array_new(size_t capacity_hint)
{
	fl_val *v = val_alloc(FL_VAL_ARRAY, 0);

	if (capacity_hint > 1024)
		capacity_hint = 1024;
	if (capacity_hint) {
		v->u.a.items = fl_xmallocarray(capacity_hint, sizeof(fl_val *));
		v->u.a.cap = capacity_hint;
	}
	return v;
}

fl_val *fl_val_object_new(size_t capacity_hint)
{
	fl_val *v = val_alloc(FL_VAL_OBJECT, 0);

	if (capacity_hint > 1024)
		capacity_hint = 1024;
	if (capacity_hint) {
		v->u.o.e = fl_xmallocarray(capacity_hint, sizeof(struct obj_entry));
		v->u.o.cap = capacity_hint;
	}
	return v;
}

fl_val *fl_val_time(int64_t ns, int offset_sec)
{
	fl_val *v = val_alloc(FL_VAL_TIME, 0);
	v->u.t.ns = ns;
	v->u.t.off = offset_sec;
	return v;
}

fl_val *fl_val_func(const char *name, fl_val_func_fn fn)
{
	fl_val *v = val_alloc(FL_VAL_FUNC, 0);
	v->u.f.name = name;
	v->u.f.fn = fn;
	return v;
}

/* --- reference counting --- */

fl_val *fl_val_ref(fl_val *v)
{
	/* values may be shared between threads (a compiled template's literals) */
	if (v && __atomic_load_n(&v->refs, __ATOMIC_RELAXED) != REFS_IMMORTAL)
		__atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
	return v;
}

static void val_free(fl_val *v)
{
	switch ((enum fl_val_type)v->type) {
	case FL_VAL_STR:
		if (v->u.s.p != (char *)(v + 1))
			free(v->u.s.p);
		break;
	case FL_VAL_ARRAY:
		for (size_t i = 0; i < v->u.a.n; i++)
			fl_val_unref(v->u.a.items[i]);
		free(v->u.a.items);
		break;
	case FL_VAL_OBJECT:
		for (size_t i = 0; i < v->u.o.n; i++) {
			free(v->u.o.e[i].key);
			fl_val_unref(v->u.o.e[i].val);
		}
		free(v->u.o.e);
		free(v->u.o.index);
		break;
	default:
		break;
	}
	__atomic_sub_fetch(&live_count, 1, __ATOMIC_RELAXED);
	free(v);
}

void fl_val_unref(fl_val *v)
{
	if (!v || __atomic_load_n(&v->refs, __ATOMIC_RELAXED) == REFS_IMMORTAL)
		return;
	if (__atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL) == 0)
		val_free(v);
}

/* --- containers --- */

void fl_val_array_push(fl_val *arr, fl_val *v)
{
	if (!arr || arr->type != FL_VAL_ARRAY) {
		fl_val_unref(v);
		return;
	}
	FL_GROW(arr->u.a.items, arr->u.a.cap, arr->u.a.n + 1);
	arr->u.a.items[arr->u.a.n++] = v ? v : &val_nil;
}

/* FNV-1a, 32 bits. */
static uint32_t key_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

static void index_insert(fl_val *obj, size_t entry)
{
	size_t mask = obj->u.o.index_cap - 1;
	size_t slot = obj->u.o.e[entry].hash & mask;

	while (obj->u.o.index[slot])
		slot = (slot + 1) & mask;
	obj->u.o.index[slot] = (uint32_t)(entry + 1);
}

static void index_rebuild(fl_val *obj)
{
	size_t cap = 16;

	while (cap < obj->u.o.n * 2)
		cap *= 2;
	free(obj->u.o.index);
	obj->u.o.index = fl_xcalloc(cap, sizeof(uint32_t));
	obj->u.o.index_cap = cap;
	for (size_t i = 0; i < obj->u.o.n; i++)
		index_insert(obj, i);
}

static long object_find(const fl_val *obj, const char *key, size_t keylen, uint32_t h)
{
	const struct obj_entry *e = obj->u.o.e;

	if (!obj->u.o.index) {
		for (size_t i = 0; i < obj->u.o.n; i++)
			if (e[i].keylen == keylen && e[i].hash == h && memcmp(e[i].key, key, keylen) == 0)
				return (long)i;
		return -1;
	}
	size_t mask = obj->u.o.index_cap - 1;
	for (size_t slot = h & mask;; slot = (slot + 1) & mask) {
		uint32_t ix = obj->u.o.index[slot];
		if (!ix)
			return -1;
		const struct obj_entry *c = &e[ix - 1];
		if (c->hash == h && c->keylen == keylen && memcmp(c->key, key, keylen) == 0)
			return (long)(ix - 1);
	}
}

void fl_val_object_set(fl_val *obj, const char *key, size_t keylen, fl_val *v)
{
	uint32_t h;
	long at;

	if (!obj || obj->type != FL_VAL_OBJECT) {
		fl_val_unref(v);
		return;
	}
	if (!v)
		v = &val_nil;
	h = key_hash(key, keylen);
	at = object_find(obj, key, keylen, h);
	if (at >= 0) {
		fl_val_unref(obj->u.o.e[at].val);
		obj->u.o.e[at].val = v;
		return;
	}
	if (obj->u.o.n >= UINT32_MAX - 1)
		FL_BUG("object too large");
	FL_GROW(obj->u.o.e, obj->u.o.cap, obj->u.o.n + 1);
	struct obj_entry *e = &obj->u.o.e[obj->u.o.n++];
	e->key = fl_xmemdup0(key, keylen);
	e->keylen = keylen;
	e->hash = h;
	e->val = v;
	if (obj->u.o.index) {
		if (obj->u.o.n * 2 > obj->u.o.index_cap)
			index_rebuild(obj);
		else
			index_insert(obj, obj->u.o.n - 1);
	} else if (obj->u.o.n > OBJ_LINEAR_MAX) {
		index_rebuild(obj);
	}
}

void fl_val_object_setz(fl_val *obj, const char *key, fl_val *v)
{
	fl_val_object_set(obj, key, strlen(key), v);
}

/* --- inspection --- */

enum fl_val_type fl_val_type(const fl_val *v)
{
	return v ? (enum fl_val_type)v->type : FL_VAL_NIL;
}

const char *fl_val_type_name(const fl_val *v)
{
	static const char *const names[] = {
		[FL_VAL_NIL] = "nil",      [FL_VAL_BOOL] = "bool",    [FL_VAL_INT] = "int",
		[FL_VAL_FLOAT] = "float",  [FL_VAL_STR] = "string",   [FL_VAL_ARRAY] = "array",
		[FL_VAL_OBJECT] = "object", [FL_VAL_TIME] = "time",   [FL_VAL_FUNC] = "func",
	};
	return names[fl_val_type(v)];
}

bool fl_val_get_bool(const fl_val *v)
{
	return v && v->type == FL_VAL_BOOL && v->u.b;
}

int64_t fl_val_get_int(const fl_val *v)
{
	return v && v->type == FL_VAL_INT ? v->u.i : 0;
}

double fl_val_get_float(const fl_val *v)
{
	return v && v->type == FL_VAL_FLOAT ? v->u.d : 0.0;
}

const char *fl_val_get_str(const fl_val *v, size_t *len)
{
	if (!v || v->type != FL_VAL_STR) {
		if (len)
			*len = 0;
		return "";
	}
	if (len)
		*len = v->u.s.n;
	return v->u.s.p;
}

bool fl_val_is_safe(const fl_val *v)
{
	return v && v->type == FL_VAL_STR && v->safe;
}

int64_t fl_val_get_time(const fl_val *v, int *offset_sec)
{
	if (!v || v->type != FL_VAL_TIME) {
		if (offset_sec)
			*offset_sec = 0;
		return 0;
	}
	if (offset_sec)
		*offset_sec = v->u.t.off;
	return v->u.t.ns;
}

fl_val_func_fn fl_val_get_func(const fl_val *v, const char **name)
{
	if (!v || v->type != FL_VAL_FUNC) {
		if (name)
			*name = NULL;
		return NULL;
	}
	if (name)
		*name = v->u.f.name;
	return v->u.f.fn;
}

size_t fl_val_len(const fl_val *v)
{
	switch (fl_val_type(v)) {
	case FL_VAL_STR:
		return v->u.s.n;
	case FL_VAL_ARRAY:
		return v->u.a.n;
	case FL_VAL_OBJECT:
		return v->u.o.n;
	default:
		return 0;
	}
}

fl_val *fl_val_array_get(const fl_val *arr, size_t i)
{
	if (!arr || arr->type != FL_VAL_ARRAY || i >= arr->u.a.n)
		return NULL;
	return arr->u.a.items[i];
}

fl_val *fl_val_object_get(const fl_val *obj, const char *key, size_t keylen)
{
	long at;

	if (!obj || obj->type != FL_VAL_OBJECT || !obj->u.o.n)
		return NULL;
	at = object_find(obj, key, keylen, key_hash(key, keylen));
	return at < 0 ? NULL : obj->u.o.e[at].val;
}

uint32_t fl_val_key_hash(const char *key, size_t keylen)
{
	return key_hash(key, keylen);
}

fl_val *fl_val_object_get_hashed(const fl_val *obj, const char *key, size_t keylen, uint32_t hash)
{
	long at;

	if (!obj || obj->type != FL_VAL_OBJECT || !obj->u.o.n)
		return NULL;
	at = object_find(obj, key, keylen, hash);
	return at < 0 ? NULL : obj->u.o.e[at].val;
}

bool fl_val_object_entry(const fl_val *obj, size_t i, const char **key, size_t *keylen, fl_val **val)
{
	if (!obj || obj->type != FL_VAL_OBJECT || i >= obj->u.o.n)
		return false;
	if (key)
		*key = obj->u.o.e[i].key;
	if (keylen)
		*keylen = obj->u.o.e[i].keylen;
	if (val)
		*val = obj->u.o.e[i].val;
	return true;
}

/* --- semantics --- */

bool fl_val_truthy(const fl_val *v)
{
	switch (fl_val_type(v)) {
	case FL_VAL_BOOL:
		return v->u.b;
	case FL_VAL_INT:
		return v->u.i != 0;
	case FL_VAL_FLOAT:
		return v->u.d != 0.0;
	case FL_VAL_STR:
		return v->u.s.n > 0;
	case FL_VAL_ARRAY:
		return v->u.a.n > 0;
	case FL_VAL_OBJECT:
		return v->u.o.n > 0;
	case FL_VAL_TIME:
		return true; /* a struct is always true in pongo2 */
	case FL_VAL_NIL:
	case FL_VAL_FUNC:
		break;
	}
	return false;
}

bool fl_val_is_number(const fl_val *v)
{
	return v && (v->type == FL_VAL_INT || v->type == FL_VAL_FLOAT);
}

double fl_val_as_double(const fl_val *v)
{
	if (!v)
		return 0.0;
	if (v->type == FL_VAL_INT)
		return (double)v->u.i;
	if (v->type == FL_VAL_FLOAT)
		return v->u.d;
	return 0.0;
}

static bool equal_depth(const fl_val *a, const fl_val *b, int depth)
{
	enum fl_val_type ta = fl_val_type(a), tb = fl_val_type(b);

	if (ta != tb)
		return false;
	if (a == b && ta != FL_VAL_FLOAT) /* NaN is not equal to itself */
		return true;
	if (depth > RENDER_DEPTH_MAX)
		return false;
	switch (ta) {
	case FL_VAL_NIL:
		return true;
	case FL_VAL_BOOL:
		return a->u.b == b->u.b;
	case FL_VAL_INT:
		return a->u.i == b->u.i;
	case FL_VAL_FLOAT:
		return a->u.d == b->u.d;
	case FL_VAL_STR:
		return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
	case FL_VAL_TIME:
		return a->u.t.ns == b->u.t.ns && a->u.t.off == b->u.t.off;
	case FL_VAL_FUNC:
		return a->u.f.fn == b->u.f.fn;
	case FL_VAL_ARRAY:
		if (a->u.a.n != b->u.a.n)
			return false;
		for (size_t i = 0; i < a->u.a.n; i++)
			if (!equal_depth(a->u.a.items[i], b->u.a.items[i], depth + 1))
				return false;
		return true;
	case FL_VAL_OBJECT:
		if (a->u.o.n != b->u.o.n)
			return false;
		for (size_t i = 0; i < a->u.o.n; i++) {
			const struct obj_entry *e = &a->u.o.e[i];
			const fl_val *o = fl_val_object_get(b, e->key, e->keylen);
			if (!o || !equal_depth(e->val, o, depth + 1))
				return false;
		}
		return true;
	}
	return false;
}

bool fl_val_equal(const fl_val *a, const fl_val *b)
{
	return equal_depth(a, b, 0);
}

/* --- rendering --- */

/* Go's fmt %f: NaN and infinities are spelled the Go way. */
static void render_float(struct fl_buf *out, double d)
{
	if (isnan(d))
		fl_buf_adds(out, "NaN");
	else if (isinf(d))
		fl_buf_adds(out, d > 0 ? "+Inf" : "-Inf");
	else
		fl_buf_addf(out, "%f", d);
}

static void render_int(struct fl_buf *out, int64_t i)
{
	char tmp[24];
	char *p = tmp + sizeof(tmp);
	uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		*--p = '-';
	fl_buf_add(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

/*
 * A float as Go's encoding/json writes it: the shortest representation that
 * reads back to the same double, in fixed notation unless the exponent is
 * below -6 or at least 21.  NaN and infinities (which Go refuses) give null.
 */
static void render_json_float(struct fl_buf *out, double d)
{
	char digits[40], *e;
	int prec, exp10;

	if (!isfinite(d)) {
		fl_buf_adds(out, "null");
		return;
	}
	if (d == 0) {
		fl_buf_adds(out, signbit(d) ? "-0" : "0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(digits, sizeof(digits), "%.*e", prec - 1, d);
		if (strtod(digits, NULL) == d)
			break;
	}
	e = strchr(digits, 'e');
	if (!e)
		return;
	exp10 = (int)strtol(e + 1, NULL, 10);
	if (exp10 < -6 || exp10 >= 21) {
		/* mantissa, then e+XX / e-XX with at least two digits as Go does */
		fl_buf_add(out, digits, (size_t)(e - digits));
		if (exp10 < 0)
			fl_buf_addf(out, "e-%d", -exp10);
		else
			fl_buf_addf(out, "e+%02d", exp10);
		return;
	}
	fl_buf_addf(out, "%.*f", prec - 1 - exp10 > 0 ? prec - 1 - exp10 : 0, d);
}

static void render_time_rfc3339(struct fl_buf *out, const fl_val *v)
{
	char tmp[64];
	int n = fl_time_format_rfc3339(tmp, sizeof(tmp), v->u.t.ns, v->u.t.off, -1);
	if (n > 0)
		fl_buf_add(out, tmp, (size_t)n);
}

static void render_json(const fl_val *v, struct fl_buf *out, int depth)
{
	if (depth > RENDER_DEPTH_MAX) {
		fl_buf_adds(out, "null");
		return;
	}
	switch (fl_val_type(v)) {
	case FL_VAL_NIL:
	case FL_VAL_FUNC:
		fl_buf_adds(out, "null");
		break;
	case FL_VAL_BOOL:
		fl_buf_adds(out, v->u.b ? "true" : "false");
		break;
	case FL_VAL_INT:
		render_int(out, v->u.i);
		break;
	case FL_VAL_FLOAT:
		render_json_float(out, v->u.d);
		break;
	case FL_VAL_STR:
		fl_buf_add_json_str(out, v->u.s.p, v->u.s.n);
		break;
	case FL_VAL_TIME:
		fl_buf_addc(out, '"');
		render_time_rfc3339(out, v);
		fl_buf_addc(out, '"');
		break;
	case FL_VAL_ARRAY:
		fl_buf_addc(out, '[');
		for (size_t i = 0; i < v->u.a.n && !out->failed; i++) {
			if (i)
				fl_buf_addc(out, ',');
			render_json(v->u.a.items[i], out, depth + 1);
		}
		fl_buf_addc(out, ']');
		break;
	case FL_VAL_OBJECT:
		fl_buf_addc(out, '{');
		for (size_t i = 0; i < v->u.o.n && !out->failed; i++) {
			if (i)
				fl_buf_addc(out, ',');
			fl_buf_add_json_str(out, v->u.o.e[i].key, v->u.o.e[i].keylen);
			fl_buf_addc(out, ':');
			render_json(v->u.o.e[i].val, out, depth + 1);
		}
		fl_buf_addc(out, '}');
		break;
	}
}

void fl_val_render(const fl_val *v, struct fl_buf *out)
{
	static const char go_time_layout[] = "2006-01-02 15:04:05.999999999 -0700 MST";

	switch (fl_val_type(v)) {
	case FL_VAL_NIL:
	case FL_VAL_FUNC:
		break;
	case FL_VAL_BOOL:
		fl_buf_adds(out, v->u.b ? "True" : "False");
		break;
	case FL_VAL_INT:
		render_int(out, v->u.i);
		break;
	case FL_VAL_FLOAT:
		render_float(out, v->u.d);
		break;
	case FL_VAL_STR:
		fl_buf_add(out, v->u.s.p, v->u.s.n);
		break;
	case FL_VAL_TIME:
		fl_tmpl_format_go_layout(out, go_time_layout, sizeof(go_time_layout) - 1, v->u.t.ns, v->u.t.off);
		break;
	case FL_VAL_ARRAY:
	case FL_VAL_OBJECT:
		render_json(v, out, 0);
		break;
	}
}

/* --- JSON bridge --- */

static fl_val *from_json_depth(const json_t *j, unsigned flags, int depth)
{
	fl_val *v;

	if (!j || depth > RENDER_DEPTH_MAX)
		return &val_nil;
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *item;
		v = fl_val_object_new(json_object_size(j));
		json_object_foreach((json_t *)j, key, item) {
			size_t kl = json_object_iter_key_len(json_object_key_to_iter(key));
			fl_val_object_set(v, key, kl, from_json_depth(item, flags, depth + 1));
		}
		return v;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *item;
		v = fl_val_array_new(json_array_size(j));
		json_array_foreach(j, i, item)
			fl_val_array_push(v, from_json_depth(item, flags, depth + 1));
		return v;
	}
	case JSON_STRING:
		return fl_val_str(json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		if (flags & FL_VAL_JSON_NUMBERS_AS_FLOAT)
			return fl_val_float((double)json_integer_value(j));
		return fl_val_int(json_integer_value(j));
	case JSON_REAL:
		return fl_val_float(json_real_value(j));
	case JSON_TRUE:
		return &val_true;
	case JSON_FALSE:
		return &val_false;
	case JSON_NULL:
		break;
	}
	return &val_nil;
}

fl_val *fl_val_from_json(const struct json_t *j, unsigned flags)
{
	return from_json_depth(j, flags, 0);
}

fl_val *fl_val_parse_json(const char *s, size_t len, unsigned flags, struct fl_error *err)
{
	json_error_t jerr;
	json_t *j;
	fl_val *v;

	/* As floats (Go's interface{} decoding), integers beyond int64 are fine too. */
	j = json_loadb(s, len,
		       JSON_DECODE_ANY | JSON_ALLOW_NUL |
			       ((flags & FL_VAL_JSON_NUMBERS_AS_FLOAT) ? JSON_DECODE_INT_AS_REAL : 0),
		       &jerr);
	if (!j) {
		fl_error_set(err, FL_EINVALID, "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
			     jerr.text);
		return NULL;
	}
	v = fl_val_from_json(j, flags);
	json_decref(j);
	return v;
}

static json_t *to_json_depth(const fl_val *v, int depth)
{
	json_t *j;
	char tmp[64];
	int n;

	if (depth > RENDER_DEPTH_MAX)
		return json_null();
	switch (fl_val_type(v)) {
	case FL_VAL_BOOL:
		return json_boolean(v->u.b);
	case FL_VAL_INT:
		return json_integer(v->u.i);
	case FL_VAL_FLOAT:
		return isfinite(v->u.d) ? json_real(v->u.d) : json_null();
	case FL_VAL_STR:
		return json_stringn_nocheck(v->u.s.p, v->u.s.n);
	case FL_VAL_TIME:
		n = fl_time_format_rfc3339(tmp, sizeof(tmp), v->u.t.ns, v->u.t.off, -1);
		return json_stringn(tmp, n > 0 ? (size_t)n : 0);
	case FL_VAL_ARRAY:
		j = json_array();
		for (size_t i = 0; i < v->u.a.n; i++)
			json_array_append_new(j, to_json_depth(v->u.a.items[i], depth + 1));
		return j;
	case FL_VAL_OBJECT:
		j = json_object();
		for (size_t i = 0; i < v->u.o.n; i++)
			json_object_setn_new_nocheck(j, v->u.o.e[i].key, v->u.o.e[i].keylen,
						     to_json_depth(v->u.o.e[i].val, depth + 1));
		return j;
	case FL_VAL_NIL:
	case FL_VAL_FUNC:
		break;
	}
	return json_null();
}

struct json_t *fl_val_to_json(const fl_val *v)
{
	return to_json_depth(v, 0);
}
