// SPDX-License-Identifier: Apache-2.0
/*
 * yaml.c - YAML <-> JSON for request and response bodies, and YAML to a
 * node tree for the policy file.
 *
 * Input: one event pump over libyaml's parser (a UTF-8 gate in front, one
 * set of error messages) feeds either a small stack machine that builds
 * jansson values directly (the YAML 1.2 core schema for plain scalars is
 * applied here, so `yes`/`on`/`0755` stay strings).  libyaml replaced
 * libfyaml 0.7.12 here, which hung, crashed or leaked on some malformed
 * request bodies.  Anchors are remembered with the number of values
 * and the depth they contain; an alias is expanded by copying the anchored
 * value only after its size has been charged to the element, depth and
 * alias budgets.  Nothing is resolved by the parser itself, so the cost of a
 * document is bounded by the limits, whatever its aliases.
 *
 * Output: a direct walk of the jansson value, writing block YAML.
 */
#include "fl-common.h"

#include <yaml.h>
#include <math.h>
#include <strings.h>

#include "alloc.h"
#include "json/json.h"
#include "utf8.h"
#include "yaml/yaml.h"

/* ------------------------------------------------------------- input */

struct anchor {
	char *name;
	json_t *value;   /* reference held */
	size_t elements; /* values inside, itself included */
	size_t depth;    /* collection levels inside (0 for a scalar) */
};

struct frame {
	json_t *node;       /* array or object */
	bool is_map;
	char *key;          /* pending key of a map, owned; NULL = a key comes next */
	bool key_is_merge;  /* pending key is the plain "<<" */
	char *anchor;       /* anchor of this collection, owned, or NULL */
	size_t level;       /* absolute depth of this collection (root = 1) */
	size_t max_level;   /* deepest level reached inside */
	size_t elements_at_start;
};

struct conv {
	const struct fl_yaml_limits *lim;
	struct frame *stack;
	size_t depth;
	size_t elements, aliases;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	json_t *root;
	bool have_root;
	struct fl_error *err;
};

static int fail_at(struct fl_error *err, int line, int col, const char *what)
{
	if (line > 0)
		return fl_error_set(err, FL_EINVALID, "invalid YAML at line %d column %d: %s", line, col, what);
	return fl_error_set(err, FL_EINVALID, "invalid YAML: %s", what);
}

static int fail(struct conv *c, int line, int col, const char *what)
{
	return fail_at(c->err, line, col, what);
}

static int count_element(struct conv *c, size_t n)
{
	c->elements += n;
	if (c->elements > c->lim->max_elements)
		return fl_error_set(c->err, FL_EINVALID, "request body has more than %zu values", c->lim->max_elements);
	return FL_OK;
}

static bool all_digits(const char *s, size_t n, int base)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = base == 16 ? ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))
				     : (ch >= '0' && ch < (char)('0' + base));
		if (!ok)
			return false;
	}
	return true;
}

/*
 * Numbers as JSON writes them, plus a leading '+', ".5" and "1." (YAML 1.2
 * core).  A leading zero before another digit ("0755", "01234") is not a
 * number: such values stay strings (YAML 1.2 core schema).
 */
static bool is_number(const char *s, size_t n, bool *integer)
{
	size_t i = 0, int_digits = 0, frac_digits = 0;

	*integer = false;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i + 1 < n && s[i] == '0' && s[i + 1] >= '0' && s[i + 1] <= '9')
		return false;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, int_digits++;
	if (i == n && int_digits) {
		*integer = true;
		return true;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, frac_digits++;
	}
	if (!int_digits && !frac_digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp = 0;
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++, exp++;
		if (!exp)
			return false;
	}
	return i == n;
}

static bool text_in(const char *s, size_t n, const char *const *set, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(set[i]) == n && memcmp(set[i], s, n) == 0)
			return true;
	return false;
}

/* A plain scalar under the YAML 1.2 core schema. */
static const char *const yaml_nulls[] = { "", "~", "null", "Null", "NULL" };

static json_t *plain_scalar(const char *s, size_t n)
{
	static const char *const trues[] = { "true", "True", "TRUE" };
	static const char *const falses[] = { "false", "False", "FALSE" };
	char tmp[64];
	bool integer;

	if (text_in(s, n, yaml_nulls, FL_ARRAY_LEN(yaml_nulls)))
		return json_null();
	if (text_in(s, n, trues, FL_ARRAY_LEN(trues)))
		return json_true();
	if (text_in(s, n, falses, FL_ARRAY_LEN(falses)))
		return json_false();
	if (n >= sizeof(tmp))
		return json_stringn(s, n);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (n > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x') && all_digits(s + 2, n - 2, s[1] == 'o' ? 8 : 16)) {
		unsigned long long v;
		errno = 0;
		v = strtoull(tmp + 2, NULL, s[1] == 'o' ? 8 : 16);
		if (!errno && v <= (unsigned long long)LLONG_MAX)
			return json_integer((json_int_t)v);
		return json_stringn(s, n);
	}
	if (is_number(s, n, &integer)) {
		if (integer) {
			long long v;
			errno = 0;
			v = strtoll(tmp, NULL, 10);
			if (!errno)
				return json_integer(v);
		}
		double d = strtod(tmp, NULL);
		if (isfinite(d))
			return json_real(d);
	}
	return json_stringn(s, n);
}

/* An explicit !!str tag (the parser gives the resolved form of the tag). */
static bool tag_is_str(const yaml_char_t *tag)
{
	return tag && strcmp((const char *)tag, "tag:yaml.org,2002:str") == 0;
}

static char *anchor_dup(const yaml_char_t *anchor)
{
	return anchor ? fl_xstrdup((const char *)anchor) : NULL;
}

static int remember(struct conv *c, char *name, json_t *value, size_t elements, size_t depth)
{
	struct anchor *a;

	if (!name)
		return FL_OK;
	FL_GROW(c->anchors, c->capanchors, c->nanchors + 1);
	a = &c->anchors[c->nanchors++];
	a->name = name;
	a->value = json_incref(value);
	a->elements = elements;
	a->depth = depth;
	return FL_OK;
}

static const struct anchor *find_anchor(const struct conv *c, const char *s, size_t n)
{
	for (size_t i = c->nanchors; i-- > 0;)
		if (strlen(c->anchors[i].name) == n && memcmp(c->anchors[i].name, s, n) == 0)
			return &c->anchors[i];
	return NULL;
}

static int merge_into(struct conv *c, json_t *target, json_t *src)
{
	const char *k;
	json_t *v;

	if (json_is_array(src)) {
		size_t i;
		json_t *item;
		json_array_foreach(src, i, item) {
			if (!json_is_object(item))
				return fail(c, 0, 0, "a merge key '<<' needs a mapping or a list of mappings");
			json_object_foreach(item, k, v) {
				if (!json_object_get(target, k))
					json_object_set(target, k, v);
			}
		}
		return FL_OK;
	}
	if (!json_is_object(src))
		return fail(c, 0, 0, "a merge key '<<' needs a mapping or a list of mappings");
	json_object_foreach(src, k, v) {
		if (!json_object_get(target, k))
			json_object_set(target, k, v);
	}
	return FL_OK;
}

/* Place a finished value (reference stolen) into the open collection or as the root. */
static int place(struct conv *c, json_t *v)
{
	struct frame *top;
	int rc = FL_OK;

	if (!v)
		return fail(c, 0, 0, "a scalar is not valid UTF-8");
	if (c->depth == 0) {
		c->root = v;
		c->have_root = true;
		return FL_OK;
	}
	top = &c->stack[c->depth - 1];
	if (!top->is_map) {
		json_array_append_new(top->node, v);
		return FL_OK;
	}
	if (!top->key) {
		/* only scalar keys reach here through place_key() */
		json_decref(v);
		return fail(c, 0, 0, "mapping keys must be scalars");
	}
	if (top->key_is_merge)
		rc = merge_into(c, top->node, v);
	else
		json_object_set_new(top->node, top->key, json_incref(v));
	json_decref(v);
	free(top->key);
	top->key = NULL;
	top->key_is_merge = false;
	return rc;
}

static bool expecting_key(const struct conv *c)
{
	return c->depth > 0 && c->stack[c->depth - 1].is_map && !c->stack[c->depth - 1].key;
}

static int set_key(struct conv *c, const char *s, size_t n, bool merge)
{
	struct frame *top = &c->stack[c->depth - 1];
	json_t *check;

	if (memchr(s, '\0', n))
		return fail(c, 0, 0, "a mapping key contains a NUL character");
	check = json_stringn(s, n);
	if (!check)
		return fail(c, 0, 0, "a mapping key is not valid UTF-8");
	json_decref(check);
	top->key = fl_xmemdup0(s, n);
	top->key_is_merge = merge;
	return FL_OK;
}

static int on_scalar(struct conv *c, yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	char *anchor = anchor_dup(ev->data.scalar.anchor);
	json_t *v;
	int rc;

	if (!s) {
		s = "";
		n = 0;
	}
	rc = count_element(c, 1);
	if (rc)
		goto fail;
	if (memchr(s, '\0', n)) {
		rc = fail(c, 0, 0, "a scalar contains a NUL character");
		goto fail;
	}
	if (expecting_key(c)) {
		rc = set_key(c, s, n, plain && n == 2 && memcmp(s, "<<", 2) == 0);
		if (!rc && anchor) {
			v = json_stringn(s, n);
			remember(c, anchor, v, 1, 0);
			json_decref(v);
			anchor = NULL;
		}
		goto fail;
	}
	if (plain && !tag_is_str(ev->data.scalar.tag))
		v = plain_scalar(s, n);
	else
		v = json_stringn(s, n);
	if (v && anchor) {
		remember(c, anchor, v, 1, 0);
		anchor = NULL;
	}
	free(anchor);
	return place(c, v);
fail:
	free(anchor);
	return rc;
}

static int on_alias(struct conv *c, yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.alias.anchor;
	const struct anchor *a = s ? find_anchor(c, s, strlen(s)) : NULL;
	size_t level = c->depth;
	int rc;

	if (!a)
		return fail(c, 0, 0, "an alias refers to an unknown anchor");
	if (++c->aliases > c->lim->max_aliases)
		return fl_error_set(c->err, FL_EINVALID, "request body expands more than %zu YAML aliases",
				    c->lim->max_aliases);
	rc = count_element(c, a->elements);
	if (rc)
		return rc;
	if (level + a->depth > c->lim->max_depth)
		return fl_error_set(c->err, FL_EINVALID, "request body nests deeper than %zu levels",
				    c->lim->max_depth);
	if (c->depth > 0 && c->stack[c->depth - 1].max_level < level + a->depth)
		c->stack[c->depth - 1].max_level = level + a->depth;
	if (expecting_key(c)) {
		if (!json_is_string(a->value))
			return fail(c, 0, 0, "mapping keys must be scalars");
		return set_key(c, json_string_value(a->value), json_string_length(a->value), false);
	}
	return place(c, json_deep_copy(a->value));
}

static int on_start(struct conv *c, yaml_event_t *ev, bool is_map)
{
	const yaml_char_t *anchor = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	struct frame *f;
	int rc;

	if (expecting_key(c))
		return fail(c, 0, 0, "mapping keys must be scalars");
	if (c->depth >= c->lim->max_depth)
		return fl_error_set(c->err, FL_EINVALID, "request body nests deeper than %zu levels",
				    c->lim->max_depth);
	rc = count_element(c, 1);
	if (rc)
		return rc;
	f = &c->stack[c->depth++];
	memset(f, 0, sizeof(*f));
	f->node = is_map ? json_object() : json_array();
	f->is_map = is_map;
	f->anchor = anchor_dup(anchor);
	f->level = c->depth;
	f->max_level = c->depth;
	f->elements_at_start = c->elements;
	return FL_OK;
}

static int on_end(struct conv *c)
{
	struct frame f;

	if (c->depth == 0)
		return fail(c, 0, 0, "unbalanced collection");
	f = c->stack[--c->depth];
	free(f.key);
	if (c->depth > 0 && c->stack[c->depth - 1].max_level < f.max_level)
		c->stack[c->depth - 1].max_level = f.max_level;
	if (f.anchor)
		remember(c, f.anchor, f.node, c->elements - f.elements_at_start + 1, f.max_level - f.level + 1);
	return place(c, f.node);
}

/* ------------------------------------------------------- event pump */

/* What a consumer of the event stream does with each event. */
struct sink {
	int (*start)(void *ctx, yaml_event_t *ev, bool is_map);
	int (*end)(void *ctx, yaml_event_t *ev);
	int (*scalar)(void *ctx, yaml_event_t *ev);
	int (*alias)(void *ctx, yaml_event_t *ev);
};

static int parse_error(const yaml_parser_t *yp, struct fl_error *err)
{
	char what[160];

	if (yp->error == YAML_MEMORY_ERROR)
		return fl_error_set(err, FL_ENOMEM, "out of memory reading YAML");
	snprintf(what, sizeof(what), "%s%s%s", yp->context ? yp->context : "", yp->context ? ": " : "",
		 yp->problem ? yp->problem : "syntax error");
	return fail_at(err, (int)yp->problem_mark.line + 1, (int)yp->problem_mark.column + 1, what);
}

/*
 * Feed the events of one YAML document (p[0..n), UTF-8 only) to a sink.
 * Every consumer gets the same gate in front of libyaml and the same error
 * messages, and a parser that stops (YAML_NO_EVENT) never loops.
 */
static int pump(const char *p, size_t n, const struct sink *s, void *ctx, struct fl_error *err)
{
	yaml_parser_t yp;
	yaml_event_t ev;
	bool done = false;
	size_t docs = 0;
	int rc = FL_OK;

	/* libyaml reads UTF-8 only; a clear message beats its generic one. */
	size_t bad = fl_utf8_first_invalid(p, n, true);
	if (bad < n)
		return fl_error_set(err, FL_EINVALID, "invalid YAML: byte 0x%02x at offset %zu is not UTF-8 text",
				    (unsigned char)p[bad], bad);
	if (!yaml_parser_initialize(&yp))
		return fl_error_set(err, FL_ENOMEM, "cannot create the YAML parser");
	yaml_parser_set_input_string(&yp, (const unsigned char *)p, n);
	yaml_parser_set_encoding(&yp, YAML_UTF8_ENCODING);
	while (!done && !rc) {
		if (!yaml_parser_parse(&yp, &ev)) {
			rc = parse_error(&yp, err);
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				rc = fail_at(err, 0, 0, "only one document is accepted");
			break;
		case YAML_MAPPING_START_EVENT:
			rc = s->start(ctx, &ev, true);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = s->start(ctx, &ev, false);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			rc = s->end(ctx, &ev);
			break;
		case YAML_SCALAR_EVENT:
			rc = s->scalar(ctx, &ev);
			break;
		case YAML_ALIAS_EVENT:
			rc = s->alias(ctx, &ev);
			break;
		case YAML_STREAM_END_EVENT:
		case YAML_NO_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	return rc;
}

/* ------------------------------------------------------ YAML to JSON */

static int json_start(void *ctx, yaml_event_t *ev, bool is_map)
{
	return on_start(ctx, ev, is_map);
}

static int json_end(void *ctx, yaml_event_t *ev)
{
	(void)ev;
	return on_end(ctx);
}

static int json_scalar(void *ctx, yaml_event_t *ev)
{
	return on_scalar(ctx, ev);
}

static int json_alias(void *ctx, yaml_event_t *ev)
{
	return on_alias(ctx, ev);
}

static const struct sink json_sink = { json_start, json_end, json_scalar, json_alias };

int fl_yaml_to_json(json_t **out, const char *p, size_t n, const struct fl_yaml_limits *lim,
		    struct fl_error *err)
{
	struct conv c = { 0 };
	int rc;

	*out = NULL;
	c.lim = lim;
	c.err = err;
	c.stack = fl_xcalloc(lim->max_depth + 1, sizeof(*c.stack));
	rc = pump(p, n, &json_sink, &c, err);
	if (!rc) {
		*out = c.have_root ? c.root : json_null();
		c.root = NULL;
	}
	while (c.depth > 0) {
		struct frame *f = &c.stack[--c.depth];
		json_decref(f->node);
		free(f->key);
		free(f->anchor);
	}
	json_decref(c.root);
	for (size_t i = 0; i < c.nanchors; i++) {
		free(c.anchors[i].name);
		json_decref(c.anchors[i].value);
	}
	free(c.anchors);
	free(c.stack);
	return rc;
}

/* ------------------------------------------------------ YAML to a tree */

struct tree {
	struct fl_yaml_node **stack; /* open collections */
	size_t depth;
	size_t nodes;
	const struct fl_yaml_limits *lim;
	struct fl_yaml_node *root;
	struct fl_error *err;
};

void fl_yaml_node_free(struct fl_yaml_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		fl_yaml_node_free(n->items[i]);
	free(n->items);
	free(n->text);
	free(n);
}

/* Attach a new node to the open collection (or make it the root). */
static int tree_add(struct tree *t, struct fl_yaml_node *node)
{
	struct fl_yaml_node *top;

	if (++t->nodes > t->lim->max_elements) {
		fl_yaml_node_free(node);
		return fl_error_set(t->err, FL_EINVALID, "YAML document has more than %zu values", t->lim->max_elements);
	}
	if (t->depth == 0) {
		if (t->root) {
			fl_yaml_node_free(node);
			return fail_at(t->err, node->line, node->col, "more than one root value");
		}
		t->root = node;
		return FL_OK;
	}
	top = t->stack[t->depth - 1];
	if (top->kind == FL_YAML_MAPPING && top->n % 2 == 0 && node->kind != FL_YAML_SCALAR) {
		int line = node->line, col = node->col;
		fl_yaml_node_free(node);
		return fail_at(t->err, line, col, "mapping keys must be scalars");
	}
	FL_GROW(top->items, top->cap, top->n + 1);
	top->items[top->n++] = node;
	return FL_OK;
}

static struct fl_yaml_node *tree_node(enum fl_yaml_kind kind, const yaml_event_t *ev)
{
	struct fl_yaml_node *node = fl_xcalloc(1, sizeof(*node));

	node->kind = kind;
	node->line = (int)ev->start_mark.line + 1;
	node->col = (int)ev->start_mark.column + 1;
	return node;
}

static int tree_start(void *ctx, yaml_event_t *ev, bool is_map)
{
	struct tree *t = ctx;
	struct fl_yaml_node *node = tree_node(is_map ? FL_YAML_MAPPING : FL_YAML_SEQUENCE, ev);
	int rc;

	if (t->depth >= t->lim->max_depth) {
		fl_yaml_node_free(node);
		return fl_error_set(t->err, FL_EINVALID, "YAML document nests deeper than %zu levels",
				    t->lim->max_depth);
	}
	rc = tree_add(t, node);
	if (!rc)
		t->stack[t->depth++] = node;
	return rc;
}

static int tree_end(void *ctx, yaml_event_t *ev)
{
	struct tree *t = ctx;

	(void)ev;
	if (t->depth == 0)
		return fail_at(t->err, 0, 0, "unbalanced collection");
	t->depth--;
	return FL_OK;
}

static int tree_scalar(void *ctx, yaml_event_t *ev)
{
	struct tree *t = ctx;
	struct fl_yaml_node *node = tree_node(FL_YAML_SCALAR, ev);
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = s ? ev->data.scalar.length : 0;

	node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag_is_str(ev->data.scalar.tag);
	node->text = fl_xmemdup0(s ? s : "", n);
	node->len = n;
	return tree_add(t, node);
}

static int tree_alias(void *ctx, yaml_event_t *ev)
{
	struct tree *t = ctx;

	return fail_at(t->err, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
		       "aliases are not accepted here");
}

static const struct sink tree_sink = { tree_start, tree_end, tree_scalar, tree_alias };

int fl_yaml_parse_tree(struct fl_yaml_node **out, const char *p, size_t n, const struct fl_yaml_limits *lim,
		       struct fl_error *err)
{
	struct tree t = { 0 };
	int rc;

	*out = NULL;
	t.lim = lim;
	t.err = err;
	t.stack = fl_xcalloc(lim->max_depth + 1, sizeof(*t.stack));
	rc = pump(p, n, &tree_sink, &t, err);
	free(t.stack);
	if (rc) {
		fl_yaml_node_free(t.root);
		return rc;
	}
	*out = t.root;
	return FL_OK;
}

bool fl_yaml_node_is_null(const struct fl_yaml_node *n)
{
	return !n || (n->kind == FL_YAML_SCALAR && n->plain &&
		      text_in(n->text, n->len, yaml_nulls, FL_ARRAY_LEN(yaml_nulls)));
}

/* ------------------------------------------------------------ output */

static void indent(struct fl_buf *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fl_buf_addc(out, ' ');
}

/* A key that reads back as the same string when written plain. */
static bool plain_key(const char *k)
{
	static const char *const reserved[] = { "y", "n", "yes", "no", "on", "off", "true", "false", "null" };
	size_t n = strlen(k);

	if (n == 0 || !((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z') || k[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(reserved); i++)
		if (strcasecmp(k, reserved[i]) == 0)
			return false;
	return true;
}

static void key_out(struct fl_buf *out, const char *k)
{
	if (plain_key(k))
		fl_buf_adds(out, k);
	else
		fl_buf_add_json_str(out, k, strlen(k));
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_nonempty_collection(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) || (json_is_array(v) && json_array_size(v) > 0);
}

static void node_out(struct fl_buf *out, const json_t *v, size_t ind, bool inline_first);

/*
 * A value that is not a non-empty collection, and the end of its line:
 * scalars, {} and [] are written as in JSON (the JSON writer's text is
 * valid YAML, see fl_buf_add_json_str).
 */
static void leaf_out(struct fl_buf *out, const json_t *v)
{
	fl_json_dump(out, v);
	fl_buf_addc(out, '\n');
}

/* One element of a block sequence at ind columns (the indentation written only when `lead`). */
static void item_out(struct fl_buf *out, const json_t *item, size_t ind, bool lead)
{
	if (lead)
		indent(out, ind);
	fl_buf_adds(out, "- ");
	if (is_nonempty_collection(item)) {
		node_out(out, item, ind + 2, true);
	} else {
		leaf_out(out, item);
	}
}

/*
 * Write the entries of a non-empty collection at indentation ind.  When
 * inline_first, the first line continues the current line (after "- ").
 */
static void node_out(struct fl_buf *out, const json_t *v, size_t ind, bool inline_first)
{
	if (json_is_object(v)) {
		size_t n = json_object_size(v), i = 0;
		const char **keys = fl_xcalloc(n ? n : 1, sizeof(*keys));
		const char *k;
		json_t *val;

		json_object_foreach((json_t *)v, k, val)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_keys);
		for (i = 0; i < n; i++) {
			const json_t *item = json_object_get(v, keys[i]);

			size_t start;

			if (i > 0 || !inline_first)
				indent(out, ind);
			start = out->len;
			key_out(out, keys[i]);
			if (out->len - start > 1000) {
				/* YAML limits implicit keys to 1024 characters: use an explicit key */
				fl_buf_truncate(out, start);
				fl_buf_adds(out, "? ");
				key_out(out, keys[i]);
				fl_buf_addc(out, '\n');
				indent(out, ind);
			}
			fl_buf_addc(out, ':');
			if (is_nonempty_collection(item)) {
				fl_buf_addc(out, '\n');
				node_out(out, item, ind + 2, false);
			} else {
				fl_buf_addc(out, ' ');
				leaf_out(out, item);
			}
		}
		free(keys);
		return;
	}
	if (json_is_array(v)) {
		size_t i;
		const json_t *item;

		json_array_foreach(v, i, item)
			item_out(out, item, ind, i > 0 || !inline_first);
	}
}

void fl_yaml_item_from_json(struct fl_buf *out, const json_t *v, unsigned ind)
{
	item_out(out, v, ind, true);
}

void fl_yaml_from_json(struct fl_buf *out, const json_t *v)
{
	if (is_nonempty_collection(v))
		node_out(out, v, 0, false);
	else
		leaf_out(out, v);
}
