/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api-util.c - helpers shared by the black-box API suites.
 *
 * Everything here goes through the public HTTP API of the server started
 * by the harness; nothing reaches into the server's internals.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"

#include "buf.h"
#include "oid.h"
#include "timeutil.h"

struct flh_server *api_start(int take_wait_ms, const char *const *extra_env)
{
	char wait_kv[64];
	const char *env[32];
	size_t n = 0;
	struct flh_server_opts opts = { 0 };
	struct flh_server *s = NULL;

	snprintf(wait_kv, sizeof(wait_kv), "FLYTE_TAKE_WAIT_MS=%d", take_wait_ms);
	env[n++] = wait_kv;
	for (size_t i = 0; extra_env && extra_env[i] && n < FL_ARRAY_LEN(env) - 1; i++)
		env[n++] = extra_env[i];
	env[n] = NULL;
	opts.env = env;
	if (flh_server_start(&s, &opts) != 0)
		return NULL;
	return s;
}

struct flh_server *api_srv(void)
{
	static struct flh_server *srv;
	static bool start_failed;

	if (!srv && !start_failed) {
		srv = api_start(300, NULL);
		start_failed = srv == NULL;
	}
	FLH_ASSERT_MSG(srv, "the server did not start");
	return srv;
}

const char *api_base(void)
{
	return flh_server_url(api_srv());
}

void api_get_same(const char *path, const char *const *headers, const char *tmpl, const char *base)
{
	struct flh_req req = { .url = path, .headers = headers };
	struct flh_resp *r = flh_http(api_srv(), &req);
	json_t *want = api_expect_json(tmpl, base ? base : api_base());

	FLH_STATUS(r, 200);
	FLH_ASSERT_MSG(flh_resp_ctype_is(r, "application/json"), "Content-Type is %s",
		       flh_resp_header(r, "Content-Type"));
	FLH_JSON_SAME(flh_resp_json(r), want, true);
	json_decref(want);
	flh_resp_free(r);
}

static void *taker_main(void *arg)
{
	struct api_taker *t = arg;

	t->status = flh_pack_take(t->pack, t->query, &t->a);
	atomic_store(&t->done, 1);
	return NULL;
}

void api_taker_start(struct api_taker *t, struct flh_pack *p, const char *query)
{
	memset(t, 0, sizeof(*t));
	t->pack = p;
	t->query = query;
	atomic_init(&t->done, 0);
	FLH_ASSERT(pthread_create(&t->th, NULL, taker_main, t) == 0);
}

bool api_take_arrived(struct flh_pack *p, const char *before)
{
	bool ok;
	char *now = NULL;

	FLH_WAIT_FOR(ok, 3000, (free(now), now = flh_pack_last_seen(p), now && before && strcmp(now, before) != 0));
	if (!ok)
		printf("# lastSeen of %s did not change after a take (still %s)\n", p->id, now ? now : "(none)");
	free(now);
	return ok;
}

void api_taker_park(struct api_taker *t, struct flh_pack *p, const char *query)
{
	char *before = flh_pack_last_seen(p);

	FLH_ASSERT_MSG(before != NULL, "pack %s has no lastSeen", p->id);
	api_taker_start(t, p, query);
	api_take_arrived(p, before);
	free(before);
}

long api_post_flow(struct flh_server *s, const char *json)
{
	return api_post_json(s, "/v1/flows", json);
}

long api_post_json(struct flh_server *s, const char *path, const char *json)
{
	return api_post_status(s, path, "application/json", json);
}

long api_post_status(struct flh_server *s, const char *path, const char *ctype, const char *body)
{
	struct flh_resp *r = flh_send(s, "POST", path, ctype, body);
	long st = r->status;
	if (st < 200 || st > 299)
		flh_resp_print(r);
	flh_resp_free(r);
	return st;
}

long api_put_item(struct flh_server *s, const char *key, const void *data, size_t len, const char *type,
		  const char *description, const char *query)
{
	struct flh_part parts[2];
	struct flh_req req = { 0 };
	struct flh_resp *r;
	char url[1024];
	size_t n = 0;
	long st;

	parts[n++] = (struct flh_part){ .name = "value", .data = data, .len = len, .filename = "value",
					.type = type };
	if (description)
		parts[n++] = (struct flh_part){ .name = "description", .data = description };
	snprintf(url, sizeof(url), "/v1/datastore/%s%s%s", key, query ? "?" : "", query ? query : "");
	req.method = "PUT";
	req.url = url;
	req.parts = parts;
	req.nparts = n;
	r = flh_http(s, &req);
	st = r->status;
	if (st != 201 && st != 204)
		flh_resp_print(r);
	flh_resp_free(r);
	return st;
}

json_t *api_audit_wait(struct flh_server *s, const char *query, size_t min_flows,
		       bool (*pred)(json_t *answer, void *arg), void *arg, int timeout_ms)
{
	int64_t dl = flh_deadline(timeout_ms);
	char url[2048];
	json_t *last = NULL;

	snprintf(url, sizeof(url), "/v1/audit/flows%s%s", query && *query ? "?" : "", query ? query : "");
	for (;;) {
		struct flh_resp *r = flh_get(s, url);
		json_t *j = r->status == 200 ? flh_resp_json(r) : NULL;
		if (j) {
			json_t *flows = json_object_get(j, "flows");
			if (last)
				json_decref(last);
			last = json_incref(j);
			if (json_array_size(flows) >= min_flows && (!pred || pred(j, arg))) {
				flh_resp_free(r);
				return last;
			}
		}
		flh_resp_free(r);
		if (flh_expired(dl))
			return last;
		flh_sleep_ms(50);
	}
}

size_t api_audit_action_count(json_t *answer)
{
	size_t i, n = 0;
	json_t *f;
	json_array_foreach(json_object_get(answer, "flows"), i, f)
		n += json_object_size(json_object_get(f, "actions"));
	return n;
}

char *api_subst(const char *tmpl, const char *base)
{
	struct fl_buf b = FL_BUF_INIT(0);
	const char *p = tmpl, *hit;
	while ((hit = strstr(p, "{B}")) != NULL) {
		fl_buf_add(&b, p, (size_t)(hit - p));
		fl_buf_adds(&b, base);
		p = hit + 3;
	}
	fl_buf_adds(&b, p);
	return fl_buf_detach(&b, NULL);
}

json_t *api_expect_json(const char *tmpl, const char *base)
{
	char *text = api_subst(tmpl, base);
	json_t *j = flh_json(text);
	if (!j)
		printf("# api: expected JSON does not parse: %s\n", text);
	free(text);
	return j;
}

bool api_alive(struct flh_server *s)
{
	struct flh_req req = { .url = "/health", .timeout_ms = 10000 };
	struct flh_resp *r = flh_http(s, &req);
	bool ok = r->status == 200;
	if (!ok)
		flh_resp_print(r);
	flh_resp_free(r);
	return ok;
}

bool api_time_near_now(const char *rfc3339, int slack_sec)
{
	int64_t ns, now = fl_time_now_ns(), d;
	if (!rfc3339 || fl_time_parse_rfc3339(rfc3339, strlen(rfc3339), &ns, NULL) != 0)
		return false;
	d = ns > now ? ns - now : now - ns;
	return d <= (int64_t)slack_sec * FL_NS_PER_SEC;
}

bool api_is_oid(const char *s)
{
	return s && strlen(s) == FL_OID_LEN && fl_oid_valid(s, FL_OID_LEN);
}
