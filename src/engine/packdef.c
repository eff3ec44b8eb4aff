/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packdef.c - validation and shapes of pack definitions.
 *
 * A pack registers {name, labels, commands, events, links}; the server keeps
 * a normalised copy, derives the id from name and sorted labels, and answers
 * with the shapes of the packs API.  Limits bound every array so a hostile
 * registration cannot make the server build huge structures.
 */
#include "fl-common.h"

#include <jansson.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "flow/flowdef.h"
#include "packdef.h"
#include "str.h"
#include "timeutil.h"

#define MAX_ITEMS 1000  /* commands, events, links, labels, events per command */
#define MAX_NAME 1024   /* bytes of a pack name, label key or value */

#define LIVE_NS (INT64_C(600) * FL_NS_PER_SEC)
#define WARNING_NS (INT64_C(86400) * FL_NS_PER_SEC)

/* Pack-level link rels reserved for the server's own links. */
static const char *const reserved_rel_exact[] = { "self", "up" };
static const char *const reserved_rel_suffix[] = { "/actionResult", "/takeAction", "/event" };

void fl_packdef_release(struct fl_packdef *p)
{
	if (!p)
		return;
	free(p->id);
	free(p->name);
	json_decref(p->labels);
	json_decref(p->def);
	memset(p, 0, sizeof(*p));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *fl_packdef_id(const char *name, const json_t *labels)
{
	struct fl_buf b = FL_BUF_INIT(0);
	size_t n = json_is_object(labels) ? json_object_size(labels) : 0, i = 0;
	const char **keys = NULL;
	const char *k;
	json_t *v;

	fl_buf_adds(&b, name);
	if (n) {
		keys = fl_xcalloc(n, sizeof(*keys));
		json_object_foreach ((json_t *)labels, k, v)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_str);
		for (i = 0; i < n; i++) {
			const char *val = json_string_value(json_object_get(labels, keys[i]));
			fl_buf_addf(&b, ".%s.%s", keys[i], val ? val : "");
		}
		free(keys);
	}
	return fl_buf_detach(&b, NULL);
}

const char *fl_packdef_status(int64_t last_seen, int64_t now)
{
	int64_t age = now - last_seen;

	if (age < LIVE_NS)
		return "live";
	if (age < WARNING_NS)
		return "warning";
	return "critical";
}

void fl_packdef_format_time(char *out, size_t outlen, int64_t ns)
{
	if (fl_time_format_rfc3339(out, outlen, ns, 0, -1) < 0 && outlen)
		out[0] = '\0';
}

bool fl_packdef_labels_subset(const json_t *required, const json_t *have)
{
	const char *k;
	json_t *v;

	if (!json_is_object(required))
		return true;
	json_object_foreach ((json_t *)required, k, v) {
		json_t *h = json_is_object(have) ? json_object_get(have, k) : NULL;
		if (!h || !json_equal(h, v))
			return false;
	}
	return true;
}

/* ----------------------------------------------------------- parsing */

static int bad(struct fl_error *err, const char *field, const char *what)
{
	return fl_error_set(err, FL_EINVALID, "field '%s' %s", field, what);
}

/* Copy a labels object (strings only) into *out (NULL when absent/null). */
static int parse_labels(json_t **out, const json_t *v, const char *field, struct fl_error *err)
{
	const char *k;
	json_t *x;
	char path[160];

	*out = json_object();
	if (!v || json_is_null(v))
		return FL_OK;
	if (!json_is_object(v))
		return bad(err, field, "must be an object of strings");
	if (json_object_size(v) > MAX_ITEMS)
		return bad(err, field, "has too many labels");
	json_object_foreach ((json_t *)v, k, x) {
		snprintf(path, sizeof(path), "%s.%s", field, k);
		if (!json_is_string(x))
			return bad(err, path, "must be a string");
		if (strlen(k) > MAX_NAME || json_string_length(x) > MAX_NAME)
			return bad(err, path, "is too long");
		json_object_set_new(*out, k, json_string(json_string_value(x)));
	}
	return FL_OK;
}

/* Copy a links array ([{href, rel?}] or null) into *out (NULL when empty). */
static int parse_links(json_t **out, const json_t *v, const char *field, bool reserved_check, struct fl_error *err)
{
	char path[160];
	size_t i;
	json_t *l;

	*out = NULL;
	if (!v || json_is_null(v))
		return FL_OK;
	if (!json_is_array(v))
		return bad(err, field, "must be an array of links");
	if (json_array_size(v) > MAX_ITEMS)
		return bad(err, field, "has too many links");
	*out = json_array();
	json_array_foreach (v, i, l) {
		json_t *href, *rel, *o;
		snprintf(path, sizeof(path), "%s[%zu]", field, i);
		if (!json_is_object(l))
			return bad(err, path, "must be an object with 'href' and 'rel'");
		href = json_object_get(l, "href");
		rel = json_object_get(l, "rel");
		if (href && !json_is_null(href) && !json_is_string(href)) {
			snprintf(path, sizeof(path), "%s[%zu].href", field, i);
			return bad(err, path, "must be a string");
		}
		if (rel && !json_is_null(rel) && !json_is_string(rel)) {
			snprintf(path, sizeof(path), "%s[%zu].rel", field, i);
			return bad(err, path, "must be a string");
		}
		if (reserved_check && json_is_string(rel)) {
			struct fl_str r = fl_str_make(json_string_value(rel), json_string_length(rel));
			for (size_t k = 0; k < FL_ARRAY_LEN(reserved_rel_exact); k++)
				if (fl_str_eqs(r, reserved_rel_exact[k]))
					return fl_error_set(err, FL_EINVALID, "link rel '%s' is reserved",
							    json_string_value(rel));
			for (size_t k = 0; k < FL_ARRAY_LEN(reserved_rel_suffix); k++)
				if (fl_str_ends_with(r, reserved_rel_suffix[k]))
					return fl_error_set(err, FL_EINVALID, "link rel '%s' is reserved",
							    json_string_value(rel));
		}
		o = json_object();
		json_object_set_new(o, "href", json_string(json_is_string(href) ? json_string_value(href) : ""));
		if (json_is_string(rel) && json_string_length(rel))
			json_object_set(o, "rel", rel);
		json_array_append_new(*out, o);
	}
	if (json_array_size(*out) == 0) {
		json_decref(*out);
		*out = NULL;
	}
	return FL_OK;
}

/* Optional lease settings of a command (not sent by the original clients). */
static const struct {
	const char *name;
	int64_t min, max;
} lease_fields[] = {
	{ "leaseSeconds", 1, FL_PACKDEF_MAX_LEASE_SEC },
	{ "maxAttempts", 1, FL_PACKDEF_MAX_ATTEMPTS },
};

static int parse_commands(json_t **out, const json_t *v, struct fl_error *err)
{
	char path[160];
	size_t i, j;
	json_t *c, *e;
	int rc;

	*out = NULL;
	if (!v || json_is_null(v))
		return FL_OK;
	if (!json_is_array(v))
		return bad(err, "commands", "must be an array");
	if (json_array_size(v) > MAX_ITEMS)
		return bad(err, "commands", "has too many entries");
	*out = json_array();
	json_array_foreach (v, i, c) {
		json_t *name, *events, *links = NULL, *o, *evs;
		snprintf(path, sizeof(path), "commands[%zu]", i);
		if (!json_is_object(c))
			return bad(err, path, "must be an object");
		name = json_object_get(c, "name");
		snprintf(path, sizeof(path), "commands[%zu].name", i);
		if (!json_is_string(name))
			return bad(err, path, "must be a string");
		events = json_object_get(c, "events");
		evs = json_null();
		if (events && !json_is_null(events)) {
			snprintf(path, sizeof(path), "commands[%zu].events", i);
			if (!json_is_array(events) || json_array_size(events) > MAX_ITEMS) {
				json_decref(evs);
				return bad(err, path, "must be an array of strings");
			}
			json_decref(evs);
			evs = json_array();
			json_array_foreach (events, j, e) {
				if (!json_is_string(e)) {
					json_decref(evs);
					snprintf(path, sizeof(path), "commands[%zu].events[%zu]", i, j);
					return bad(err, path, "must be a string");
				}
				json_array_append(evs, e);
			}
		}
		snprintf(path, sizeof(path), "commands[%zu].links", i);
		rc = parse_links(&links, json_object_get(c, "links"), path, false, err);
		if (rc) {
			json_decref(evs);
			json_decref(links);
			return rc;
		}
		o = json_object();
		json_object_set(o, "name", name);
		json_object_set_new(o, "events", evs);
		if (links)
			json_object_set_new(o, "links", links);
		json_array_append_new(*out, o);
		/* flyte's additions: how actions of this command are leased */
		for (size_t k = 0; k < FL_ARRAY_LEN(lease_fields); k++) {
			json_t *f = json_object_get(c, lease_fields[k].name);
			if (!f || json_is_null(f))
				continue;
			snprintf(path, sizeof(path), "commands[%zu].%s", i, lease_fields[k].name);
			if (!json_is_integer(f) || json_integer_value(f) < lease_fields[k].min ||
			    json_integer_value(f) > lease_fields[k].max) {
				char why[80];
				snprintf(why, sizeof(why), "must be an integer from %" PRId64 " to %" PRId64,
					 lease_fields[k].min, lease_fields[k].max);
				return bad(err, path, why);
			}
			json_object_set(o, lease_fields[k].name, f);
		}
	}
	return FL_OK;
}

static int parse_events(json_t **out, const json_t *v, struct fl_error *err)
{
	char path[160];
	size_t i;
	json_t *e;
	int rc;

	*out = NULL;
	if (!v || json_is_null(v))
		return FL_OK;
	if (!json_is_array(v))
		return bad(err, "events", "must be an array");
	if (json_array_size(v) > MAX_ITEMS)
		return bad(err, "events", "has too many entries");
	*out = json_array();
	json_array_foreach (v, i, e) {
		json_t *name, *links = NULL, *o;
		snprintf(path, sizeof(path), "events[%zu]", i);
		if (!json_is_object(e))
			return bad(err, path, "must be an object");
		name = json_object_get(e, "name");
		snprintf(path, sizeof(path), "events[%zu].name", i);
		if (!json_is_string(name))
			return bad(err, path, "must be a string");
		snprintf(path, sizeof(path), "events[%zu].links", i);
		rc = parse_links(&links, json_object_get(e, "links"), path, false, err);
		if (rc) {
			json_decref(links);
			return rc;
		}
		o = json_object();
		json_object_set(o, "name", name);
		if (links)
			json_object_set_new(o, "links", links);
		json_array_append_new(*out, o);
	}
	return FL_OK;
}

int fl_packdef_parse(struct fl_packdef *out, const json_t *body, struct fl_error *err)
{
	json_t *name, *labels = NULL, *commands = NULL, *events = NULL, *links = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return fl_error_set(err, FL_EINVALID, "pack definition must be a JSON object");
	name = json_object_get(body, "name");
	if ((rc = fl_flowdef_check_name(name, err)))
		return rc;
	rc = parse_labels(&labels, json_object_get(body, "labels"), "labels", err);
	if (!rc)
		rc = parse_commands(&commands, json_object_get(body, "commands"), err);
	if (!rc)
		rc = parse_events(&events, json_object_get(body, "events"), err);
	if (!rc)
		rc = parse_links(&links, json_object_get(body, "links"), "links", true, err);
	if (rc)
		goto fail;

	out->name = fl_xstrdup(json_string_value(name));
	out->labels = labels;
	out->id = fl_packdef_id(out->name, labels);
	out->def = json_object();
	json_object_set_new(out->def, "name", json_string(out->name));
	if (json_object_size(labels))
		json_object_set(out->def, "labels", labels);
	if (commands && json_array_size(commands))
		json_object_set(out->def, "commands", commands);
	if (events && json_array_size(events))
		json_object_set(out->def, "events", events);
	if (links)
		json_object_set(out->def, "links", links);
	json_decref(commands);
	json_decref(events);
	json_decref(links);
	return FL_OK;
fail:
	json_decref(labels);
	json_decref(commands);
	json_decref(events);
	json_decref(links);
	return rc;
}

/* ------------------------------------------------------------ shapes */

static void add_seen(json_t *o, int64_t last_seen, int64_t now)
{
	char ts[48];

	fl_packdef_format_time(ts, sizeof(ts), last_seen);
	json_object_set_new(o, "lastSeen", json_string(ts));
	json_object_set_new(o, "status", json_string(fl_packdef_status(last_seen, now)));
}

json_t *fl_packdef_summary_json(const char *id, const char *name, const json_t *labels, int64_t last_seen,
				int64_t now)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "name", json_string(name));
	if (json_is_object(labels) && json_object_size(labels))
		json_object_set_new(o, "labels", json_deep_copy(labels));
	add_seen(o, last_seen, now);
	return o;
}

json_t *fl_packdef_to_json(const char *id, const json_t *def, int64_t last_seen, int64_t now)
{
	json_t *o = json_object(), *cmds, *evs, *links, *name, *labels;
	size_t i;
	json_t *c;

	name = json_object_get(def, "name");
	labels = json_object_get(def, "labels");
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "name", json_string(json_is_string(name) ? json_string_value(name) : ""));
	if (json_is_object(labels) && json_object_size(labels))
		json_object_set_new(o, "labels", json_deep_copy(labels));
	cmds = json_object_get(def, "commands");
	if (json_is_array(cmds) && json_array_size(cmds)) {
		json_t *arr = json_array();
		json_array_foreach (cmds, i, c) {
			json_t *x = json_object(), *e = json_object_get(c, "events");
			json_object_set(x, "name", json_object_get(c, "name"));
			json_object_set_new(x, "events", e ? json_deep_copy(e) : json_null());
			for (size_t k = 0; k < FL_ARRAY_LEN(lease_fields); k++)
				if (json_object_get(c, lease_fields[k].name))
					json_object_set(x, lease_fields[k].name, json_object_get(c, lease_fields[k].name));
			json_array_append_new(arr, x);
		}
		json_object_set_new(o, "commands", arr);
	}
	evs = json_object_get(def, "events");
	if (json_is_array(evs) && json_array_size(evs))
		json_object_set_new(o, "events", json_deep_copy(evs));
	links = json_object_get(def, "links");
	json_object_set_new(o, "links", json_is_array(links) ? json_deep_copy(links) : json_array());
	add_seen(o, last_seen, now);
	return o;
}

void fl_packdef_command_lease(const json_t *commands, const char *command, int64_t *lease_sec, int64_t *max_attempts)
{
	size_t i;
	json_t *c;

	json_array_foreach ((json_t *)commands, i, c) {
		json_t *v;
		if (!command || !json_is_string(json_object_get(c, "name")) ||
		    strcmp(json_string_value(json_object_get(c, "name")), command) != 0)
			continue;
		if ((v = json_object_get(c, "leaseSeconds")) && json_is_integer(v))
			*lease_sec = json_integer_value(v);
		if ((v = json_object_get(c, "maxAttempts")) && json_is_integer(v))
			*max_attempts = json_integer_value(v);
		return;
	}
}
