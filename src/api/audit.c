// SPDX-License-Identifier: Apache-2.0
/*
 * audit.c - flow executions as recorded by the audit (flyte-api.md §a.8):
 * the filtered, paged list and one execution by correlation id.
 */
#include "fl-common.h"

#include "alloc.h"
#include "api/api.h"
#include "json/json.h"
#include "http/links.h"
#include "yaml/yaml.h"
#include "log.h"

#define DEFAULT_LIMIT 50

/* A copy of an execution object with its self link last (base: the links base of the request). */
static json_t *execution_json(const char *base, const json_t *exec)
{
	json_t *n = fl_api_normalize(exec), *o = json_object(), *v;
	const char *k, *corr = json_string_value(json_object_get(exec, "correlationId"));

	json_object_foreach(n, k, v) {
		if (strcmp(k, "links") != 0)
			json_object_set(o, k, v);
	}
	json_object_set_new(o, "links", fl_api_self_links_at(base, "/v1/audit/flows/", corr ? corr : ""));
	json_decref(n);
	return o;
}

static void add_label(json_t *o, const char *k, size_t kl, const char *v, size_t vl)
{
	char *key = fl_xmemdup0(k, kl);
	json_t *val = json_stringn(v, vl);

	if (val && json_object_set_new(o, key, val) != 0)
		FL_LOG_D(NULL, "ignoring a label filter that is not valid UTF-8");
	free(key);
}

/* "k1:v1, k2:v2" -> {"k1":"v1","k2":"v2"}; items not of the form a:b are ignored. */
static json_t *parse_labels(const char *s)
{
	json_t *o = json_object();

	while (*s) {
		size_t n = strcspn(s, ","), kl, vl;
		const char *colon = memchr(s, ':', n), *k = s, *v;

		if (colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - s))) {
			v = colon + 1;
			kl = (size_t)(colon - s);
			vl = n - (size_t)(v - s);
			while (kl && (*k == ' ' || *k == '\t'))
				k++, kl--;
			while (kl && (k[kl - 1] == ' ' || k[kl - 1] == '\t'))
				kl--;
			while (vl && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			add_label(o, k, kl, v, vl);
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return o;
}

/* Integer query parameter: absent or not an integer -> def (as the original). */
static int64_t int_param(struct fl_request *req, const char *name, int64_t def)
{
	const char *s = fl_request_query(req, name);
	char *end = NULL;
	long long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return def;
	return v;
}

/* Bytes of answer made per call while a list is streamed. */
#define PIECE (32 * 1024)

/* A list of executions on its way out: {"flows":[...],"links":[...]} piece by piece. */
struct list_stream {
	struct fl_engine_audit_cursor *cur;
	char base[FL_LINKS_BASE_MAX];
	bool yaml;
	bool opened, closed;
	size_t n; /* executions written */
};

static void list_stream_free(void *p)
{
	struct list_stream *ls = p;

	if (ls) {
		fl_engine_audit_close(ls->cur);
		free(ls);
	}
}

static void list_close(struct list_stream *ls, struct fl_buf *out)
{
	json_t *links = fl_api_list_links(ls->base, "/v1/audit/flows", "/swagger#/flowExecs"), *item;
	size_t i;

	if (ls->yaml) {
		if (!ls->n)
			fl_buf_adds(out, "flows: []\n");
		fl_buf_adds(out, "links:\n");
		json_array_foreach(links, i, item)
			fl_yaml_item_from_json(out, item, 2);
	} else {
		fl_buf_adds(out, "],\"links\":");
		fl_json_dump(out, links);
		fl_buf_addc(out, '}');
	}
	json_decref(links);
	ls->closed = true;
}

static int list_produce(void *state, struct fl_buf *out)
{
	struct list_stream *ls = state;
	struct fl_error err = FL_ERROR_INIT;
	json_t *e = NULL, *o;
	int rc;

	if (ls->closed)
		return FL_OK;
	if (!ls->opened && !ls->yaml)
		fl_buf_adds(out, "{\"flows\":[");
	ls->opened = true;
	while (out->len < PIECE) {
		rc = fl_engine_audit_next(ls->cur, &e, &err);
		if (rc) {
			FL_LOG_E(NULL, "audit list failed after %zu executions: %s", ls->n, err.msg);
			return rc;
		}
		if (!e) {
			list_close(ls, out);
			break;
		}
		o = execution_json(ls->base, e);
		if (ls->yaml) {
			if (!ls->n)
				fl_buf_adds(out, "flows:\n");
			fl_yaml_item_from_json(out, o, 2);
		} else {
			if (ls->n)
				fl_buf_addc(out, ',');
			fl_json_dump(out, o);
		}
		ls->n++;
		json_decref(o);
		json_decref(e);
	}
	return FL_OK;
}

/*
 * The list is streamed: executions are read and written a piece at a time,
 * so memory does not grow with `limit`, and a reader never holds a snapshot
 * or an HTTP thread for longer than one piece.
 */
static int list_executions(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_audit_filter f = { 0 };
	const char *labels = fl_request_query(req, "actionPackLabels");
	struct list_stream *ls;
	int rc;

	f.flow_name = fl_request_query(req, "flowName");
	f.step_id = fl_request_query(req, "stepId");
	f.action_name = fl_request_query(req, "actionName");
	f.action_pack_name = fl_request_query(req, "actionPackName");
	f.start = int_param(req, "start", 0);
	f.limit = int_param(req, "limit", DEFAULT_LIMIT);
	if (f.start < 0) {
		fl_error_set(&err, FL_EINVALID, "query parameter 'start' must not be negative");
		return fl_api_fail(req, &err);
	}
	if (f.limit <= 0) {
		fl_error_set(&err, FL_EINVALID, "query parameter 'limit' must be positive");
		return fl_api_fail(req, &err);
	}
	if (labels && *labels)
		f.action_pack_labels = parse_labels(labels);
	ls = fl_xcalloc(1, sizeof(*ls));
	rc = fl_engine_audit_open(fl_api_of(req)->engine, &f, &ls->cur, &err);
	json_decref(f.action_pack_labels);
	if (rc != FL_OK) {
		list_stream_free(ls);
		return fl_api_fail(req, &err);
	}
	snprintf(ls->base, sizeof(ls->base), "%s", req->base);
	ls->yaml = fl_request_wants_yaml(req);
	fl_response_stream(&req->resp, 200,
			   ls->yaml ? "application/x-yaml; charset=utf-8" : "application/json; charset=utf-8",
			   list_produce, ls, list_stream_free);
	return FL_OK;
}

static int get_execution(struct fl_request *req)
{
	struct fl_error err = FL_ERROR_INIT;
	json_t *e = NULL, *o;

	if (fl_engine_audit_get(fl_api_of(req)->engine, fl_request_param(req, "correlationId"), &e, &err) != FL_OK)
		return fl_api_fail(req, &err);
	o = execution_json(req->base, e);
	fl_request_reply_json(req, 200, o);
	json_decref(o);
	json_decref(e);
	return FL_OK;
}

const struct fl_route fl_api_audit_routes[] = {
	{ "GET", "/v1/audit/flows", list_executions, "flow executions, newest first, filtered and paged" },
	{ "GET", "/v1/audit/flows/{correlationId}", get_execution, "one flow execution with all its actions" },
};
const size_t fl_api_audit_routes_len = FL_ARRAY_LEN(fl_api_audit_routes);
