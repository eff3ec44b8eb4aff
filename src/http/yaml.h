/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yaml.h - YAML request bodies to JSON values and JSON values to YAML text.
 *
 * Input uses the YAML 1.2 core schema (libfyaml): only plain scalars are
 * typed (null, true/false, integers, floats); `yes`, `on`, `0755` stay
 * strings.  Anchors, aliases and `<<` merge keys are expanded by our own
 * walker, which counts every expansion against the limits, so an alias
 * bomb fails fast with FL_EINVALID instead of exhausting memory.
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
#include "http/body.h"

/*
 * Convert one YAML document (p[0..n)) to a JSON value (*out, caller owns).
 * An empty document is JSON null.  FL_EINVALID with "invalid YAML at line
 * L column C: …" or a limit message.
 */
int fl_yaml_to_json(json_t **out, const char *p, size_t n, const struct fl_body_limits *lim,
		    struct fl_error *err);

/* Append v as a YAML document to out (ends with a newline). */
void fl_yaml_from_json(struct fl_buf *out, const json_t *v);
/*
 * One element of a block sequence at `indent` columns ("- " and the value),
 * exactly as fl_yaml_from_json writes the elements of an array nested at that
 * indentation: used to stream a long list element by element.
 */
void fl_yaml_item_from_json(struct fl_buf *out, const json_t *v, unsigned indent);

#endif
