/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output.c - how flytectl prints: aligned tables for people, indented JSON
 * or YAML for scripts (-o json|yaml).
 *
 * The YAML writer emits block style from a jansson value.  Strings that
 * YAML would read as something else (true, 1.5, null, "- x", text with
 * ": " or a leading space, multi-line text ...) are written double-quoted
 * with JSON escapes, which YAML reads back unchanged; everything else is
 * written plain.  Column widths of tables count UTF-8 characters, not bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "utf8.h"

struct ctl_table {
	int ncols;
	char **cells; /* rows * ncols, row 0 = headers */
	size_t rows, cap;
};

struct ctl_table *ctl_table_new(int ncols, const char *const *headers)
{
	struct ctl_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	ctl_table_row(t, headers);
	return t;
}

void ctl_table_row(struct ctl_table *t, const char *const *cells)
{
	if (!t)
		return;
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*c));
		if (!c)
			return;
		t->cells = c;
		t->cap = cap;
	}
	for (int i = 0; i < t->ncols; i++) {
		const char *s = cells[i] && cells[i][0] ? cells[i] : "-";
		char *d = strdup(s);
		/* one line per row: newlines and tabs become spaces */
		for (char *p = d; p && *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		t->cells[t->rows * (size_t)t->ncols + (size_t)i] = d;
	}
	t->rows++;
}

/* Characters of a cell (a cell is NULL only when it could not be copied). */
static size_t display_width(const char *s)
{
	return s ? fl_utf8_count(s, strlen(s)) : 0;
}

void ctl_table_print(struct ctl_table *t, FILE *f)
{
	size_t *w;

	if (!t)
		return;
	w = calloc((size_t)t->ncols, sizeof(*w));
	if (!w)
		return;
	for (size_t r = 0; r < t->rows; r++)
		for (int c = 0; c < t->ncols; c++) {
			size_t n = display_width(t->cells[r * (size_t)t->ncols + (size_t)c]);
			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
			fputs(s ? s : "-", f);
			if (c + 1 < t->ncols)
				for (size_t k = display_width(s); k < w[c] + 2; k++)
					fputc(' ', f);
		}
		fputc('\n', f);
	}
	free(w);
}

void ctl_table_free(struct ctl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->rows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

int ctl_table_done(struct ctl_table *t, json_t *answer)
{
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	json_decref(answer);
	return CTL_OK;
}

void ctl_print_json(FILE *f, json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s) {
		fputs(s, f);
		fputc('\n', f);
		free(s);
	}
}

static bool looks_numeric(const char *s)
{
	char *end;
	if (!*s)
		return false;
	strtod(s, &end);
	return *end == '\0' || !strncmp(s, "0x", 2) || !strncmp(s, "0o", 2);
}

static bool yaml_plain_ok(const char *s, size_t len)
{
	static const char *const special[] = {
		"true", "false", "True", "False", "TRUE", "FALSE", "yes", "no", "Yes", "No", "YES", "NO",
		"on", "off", "On", "Off", "ON", "OFF", "y", "n", "Y", "N", "null", "Null", "NULL", "~",
		".inf", ".nan", "-.inf", ".Inf", ".NaN",
	};

	if (!len || strlen(s) != len)
		return false;
	if (strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) || s[len - 1] == ' ' || s[len - 1] == ':')
		return false;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(s, special[i]))
			return false;
	if (looks_numeric(s))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		if ((c == ':' && (i + 1 == len || s[i + 1] == ' ')) || (c == '#' && s[i - 1] == ' '))
			return false;
	}
	return true;
}

static void yaml_scalar(FILE *f, json_t *v)
{
	char *s;

	if (json_is_string(v) && yaml_plain_ok(json_string_value(v), json_string_length(v))) {
		fputs(json_string_value(v), f);
		return;
	}
	if (json_is_null(v)) {
		fputs("null", f);
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY); /* JSON scalars are valid YAML flow scalars */
	if (s) {
		fputs(s, f);
		free(s);
	}
}

static bool is_block(json_t *v)
{
	return (json_is_object(v) && json_object_size(v)) || (json_is_array(v) && json_array_size(v));
}

static void indent(FILE *f, int n)
{
	for (int i = 0; i < n; i++)
		fputc(' ', f);
}

static void yaml_value(FILE *f, json_t *v, int ind);

static void yaml_key(FILE *f, const char *key)
{
	json_t *k = json_string(key);
	yaml_scalar(f, k);
	json_decref(k);
	fputc(':', f);
}

/* Write a block collection; the first line continues the current line when inline_first. */
static void yaml_block(FILE *f, json_t *v, int ind, bool inline_first)
{
	bool first = true;

	if (json_is_object(v)) {
		const char *key;
		json_t *val;
		json_object_foreach(v, key, val) {
			if (!(first && inline_first))
				indent(f, ind);
			first = false;
			yaml_key(f, key);
			if (is_block(val)) {
				fputc('\n', f);
				yaml_block(f, val, json_is_array(val) ? ind : ind + 2, false);
			} else {
				fputc(' ', f);
				yaml_value(f, val, ind);
				fputc('\n', f);
			}
		}
		return;
	}
	size_t i;
	json_t *val;
	json_array_foreach(v, i, val) {
		if (!(first && inline_first))
			indent(f, ind);
		first = false;
		fputs("- ", f);
		if (is_block(val)) {
			if (json_is_object(val))
				yaml_block(f, val, ind + 2, true);
			else {
				fputc('\n', f);
				yaml_block(f, val, ind + 2, false);
			}
		} else {
			yaml_value(f, val, ind);
			fputc('\n', f);
		}
	}
}

static void yaml_value(FILE *f, json_t *v, int ind)
{
	if (json_is_object(v) && !json_object_size(v))
		fputs("{}", f);
	else if (json_is_array(v) && !json_array_size(v))
		fputs("[]", f);
	else if (is_block(v))
		yaml_block(f, v, ind, true);
	else
		yaml_scalar(f, v);
}

void ctl_print_yaml(FILE *f, json_t *v)
{
	if (is_block(v)) {
		yaml_block(f, v, 0, false);
	} else {
		yaml_value(f, v, 0);
		fputc('\n', f);
	}
}

int ctl_print_structured(struct ctl *ctl, json_t *v)
{
	if (ctl->format == CTL_YAML)
		ctl_print_yaml(stdout, v);
	else
		ctl_print_json(stdout, v);
	return CTL_OK;
}

const char *ctl_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

char *ctl_labels_text(json_t *labels)
{
	size_t cap = 1, len = 0;
	const char *k;
	json_t *v;
	char *out;

	json_object_foreach(labels, k, v)
		cap += strlen(k) + strlen(json_string_value(v) ? json_string_value(v) : "") + 2;
	out = malloc(cap);
	if (!out)
		return NULL;
	out[0] = '\0';
	json_object_foreach(labels, k, v)
		len += (size_t)snprintf(out + len, cap - len, "%s%s=%s", len ? "," : "", k,
					json_string_value(v) ? json_string_value(v) : "");
	return out;
}

char *ctl_read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *buf = NULL, *p;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			p = realloc(buf, cap);
			if (!p) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	if (f != stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

void ctl_append(char *buf, size_t cap, const char *sep, const char *s)
{
	size_t len = strlen(buf);

	if (len + 1 >= cap)
		return;
	snprintf(buf + len, cap - len, "%s%s", len ? sep : "", s ? s : "");
}
