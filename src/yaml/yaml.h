/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yaml.h - YAML in and out, on libyaml: request bodies to JSON values, the
 * policy file to a node tree with line numbers, JSON values to YAML answers.
 *
 * Input uses the YAML 1.2 core schema: only plain scalars are typed (null,
 * true/false, integers, floats); `yes`, `on`, `0755` stay strings.  Anchors,
 * aliases and `<<` merge keys are expanded by our own walker, which counts
 * every expansion against the limits, so an alias bomb fails fast with
 * FL_EINVALID instead of exhausting memory.  Text that is not UTF-8 is
 * refused before libyaml sees it.
 *
 * Output is block YAML with map keys sorted, strings always double-quoted
 * (so "true" or "123" stay strings), for `Accept: application/x-yaml`.
 */
#ifndef FL_YAML_H
#define FL_YAML_H

#include <jansson.h>

#include "buf.h"
#include "error.h"
#include "fl-common.h"

struct fl_yaml_limits {
	size_t max_depth;    /* nesting of sequences/mappings */
	size_t max_elements; /* values in the document (aliases count what they expand to) */
	size_t max_aliases;  /* alias expansions */
};

/*
 * Convert one YAML document (p[0..n)) to a JSON value (*out, caller owns).
 * An empty document is JSON null.  FL_EINVALID with "invalid YAML at line
 * L column C: …" or a limit message.
 */
int fl_yaml_to_json(json_t **out, const char *p, size_t n, const struct fl_yaml_limits *lim,
		    struct fl_error *err);

/* ---- node trees: the document as written, with positions ---- */

enum fl_yaml_kind {
	FL_YAML_SCALAR,
	FL_YAML_SEQUENCE,
	FL_YAML_MAPPING,
};

struct fl_yaml_node {
	enum fl_yaml_kind kind;
	int line, col;  /* 1-based position where the node starts */
	bool plain;     /* scalar written plain (not quoted, no !!str): subject to typing */
	char *text;     /* scalar text, NUL-terminated (may contain NULs: use len) */
	size_t len;
	/* sequence: the items; mapping: key, value, key, value, ... */
	struct fl_yaml_node **items;
	size_t n, cap;
};

/*
 * Parse one document into a tree (*out caller owns, NULL for an empty
 * document).  Scalars keep their text (no typing); aliases are refused;
 * max_aliases is not used.  Errors as fl_yaml_to_json.
 */
int fl_yaml_parse_tree(struct fl_yaml_node **out, const char *p, size_t n, const struct fl_yaml_limits *lim,
		       struct fl_error *err);
void fl_yaml_node_free(struct fl_yaml_node *n);
/* A missing node, or a plain scalar that the core schema reads as null ("", "~", "null", ...). */
bool fl_yaml_node_is_null(const struct fl_yaml_node *n);

/* ---- output ---- */

/* Append v as a YAML document to out (ends with a newline). */
void fl_yaml_from_json(struct fl_buf *out, const json_t *v);
/*
 * One element of a block sequence at `indent` columns ("- " and the value),
 * exactly as fl_yaml_from_json writes the elements of an array nested at that
 * indentation: used to stream a long list element by element.
 */
void fl_yaml_item_from_json(struct fl_buf *out, const json_t *v, unsigned indent);

#endif
