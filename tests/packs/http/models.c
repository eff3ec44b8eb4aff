/* SPDX-License-Identifier: Apache-2.0 */
/*
 * models.c - helpers of the product models and pack tests (models.h).
 */
#include "fl-common.h"

#include <ctype.h>
#include <strings.h>

#include "b64.h"
#include "buf.h"
#include "fltest.h"
#include "fsutil.h"
#include "models.h"

void md_basic(char *buf, size_t len, const char *user, const char *password)
{
	struct fl_buf raw = FL_BUF_INIT(0), enc = FL_BUF_INIT(0);

	fl_buf_addf(&raw, "%s:%s", user, password);
	fl_b64_encode(&enc, raw.ptr, raw.len, FL_B64_PAD);
	snprintf(buf, len, "Basic %s", enc.ptr);
	fl_buf_release(&raw);
	fl_buf_release(&enc);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) into out; -1 on a malformed escape. */
static int decode(const char *s, size_t n, char *out, size_t outlen, bool plus_space)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		if (s[i] == '%') {
			int h, l;
			if (i + 2 >= n)
				return -1;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			out[o++] = (char)(h * 16 + l);
			i += 2;
		} else {
			out[o++] = plus_space && s[i] == '+' ? ' ' : s[i];
		}
	}
	out[o] = '\0';
	return 0;
}

int md_segments(const char *path, char segs[][256], int max)
{
	int n = 0;
	const char *p = path;

	if (*p == '/')
		p++;
	while (n < max) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (decode(p, len, segs[n], 256, false))
			return -1;
		n++;
		if (!e)
			break;
		p = e + 1;
	}
	return n;
}

bool md_query(const char *query, const char *key, char *buf, size_t len)
{
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&'), *eq;
		size_t plen = amp ? (size_t)(amp - p) : strlen(p);
		char k[256];
		eq = memchr(p, '=', plen);
		if (!decode(p, eq ? (size_t)(eq - p) : plen, k, sizeof(k), true) && !strcmp(k, key)) {
			if (eq)
				return decode(eq + 1, plen - (size_t)(eq + 1 - p), buf, len, true) == 0;
			buf[0] = '\0';
			return true;
		}
		p = amp ? amp + 1 : NULL;
	}
	return false;
}

int md_query_count(const char *query)
{
	int n = 0;

	if (!query || !*query)
		return 0;
	for (const char *p = query; p; p = strchr(p, '&'), p = p ? p + 1 : NULL)
		n++;
	return n;
}

json_t *md_body(const struct standin_req *q)
{
	return json_loadb(q->body, q->body_len, JSON_DECODE_ANY, NULL);
}

bool md_json_ctype(const struct standin_req *q)
{
	const char *ct = standin_req_header(q, "Content-Type");
	size_t n = strlen("application/json");

	return ct && !strncasecmp(ct, "application/json", n) && (ct[n] == '\0' || ct[n] == ';');
}

void md_last(struct standin *s, struct standin_req *out)
{
	size_t n = standin_count(s);

	if (!n || standin_get(s, n - 1, out))
		FLH_FAIL("the stand-in received no request");
}

bool md_same(json_t *got, const char *expected, bool ordered, char *why, size_t whylen)
{
	json_t *x = flh_json(expected);
	bool same;

	if (!x) {
		snprintf(why, whylen, "test bug: expected value is not JSON");
		return false;
	}
	same = got && flh_json_same(got, x, ordered, why, whylen);
	if (!got)
		snprintf(why, whylen, "no value");
	json_decref(x);
	return same;
}

const char *md_help(const char *bin)
{
	static char out[8192];
	char cmd[512];
	size_t n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "'%s' --help 2>&1", bin);
	f = popen(cmd, "r");
	if (!f)
		return NULL;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	return pclose(f) == 0 ? out : NULL;
}

void md_answer(struct standin_resp *r, int status, const char *ctype, json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	standin_text(r, status, ctype, t);
	free(t);
	json_decref(j);
}

void md_expect_last(struct standin *s, const char *method, const char *target, const char *auth)
{
	struct standin_req q;

	md_last(s, &q);
	if (strcmp(q.method, method) || strcmp(q.target, target)) {
		printf("# got %s %s\n", q.method, q.target);
		standin_req_release(&q);
		FLH_FAIL("expected %s %s", method, target);
	}
	if (auth && (!standin_req_header(&q, "Authorization") || strcmp(standin_req_header(&q, "Authorization"), auth))) {
		printf("# Authorization: %s\n", standin_req_header(&q, "Authorization") ? standin_req_header(&q, "Authorization") : "(none)");
		standin_req_release(&q);
		FLH_FAIL("%s %s: not sent with Authorization %s", method, target, auth);
	}
	standin_req_release(&q);
}

void md_post_flow(struct flh_server *srv, const char *json)
{
	struct flh_resp *r = flh_post_json(srv, "/v1/flows", json);

	FLH_STATUS(r, 201);
	flh_resp_free(r);
}

void md_post_flow_file(struct flh_server *srv, const char *path)
{
	char *flow = path ? flt_read_file(path, 0, NULL) : NULL;
	struct flh_resp *r;

	FLH_ASSERT_MSG(flow != NULL, "cannot read the flow file %s", path ? path : "(not set)");
	r = flh_post_json(srv, "/v1/flows", flow);
	free(flow);
	FLH_STATUS(r, 201);
	flh_resp_free(r);
}

json_t *md_triggers(struct flh_server *srv, const char *flow)
{
	struct flh_resp *r = flh_get(srv, flh_path("/v1/audit/flows?flowName=%s&limit=1000", flow));
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(json_object_get(flh_resp_json(r), "flows"), i, e)
		json_array_append(out, flh_json_get(e, "actions.s.trigger.payload"));
	flh_resp_free(r);
	return out;
}

int md_count_with(struct flh_server *srv, const char *flow, const char *path, const char *value)
{
	json_t *t = md_triggers(srv, flow), *p;
	size_t i;
	int n = 0;

	json_array_foreach(t, i, p) {
		const char *v = flh_json_str(p, path);
		n += v && !strcmp(v, value);
	}
	json_decref(t);
	return n;
}

json_t *md_payload_with(struct flh_server *srv, const char *flow, const char *path, const char *value)
{
	json_t *t = md_triggers(srv, flow), *p, *found = NULL;
	size_t i;

	json_array_foreach(t, i, p) {
		const char *v = flh_json_str(p, path);
		if (!found && v && !strcmp(v, value))
			found = json_incref(p);
	}
	json_decref(t);
	return found;
}

bool md_wait_with(struct flh_server *srv, const char *flow, const char *path, const char *value, int n)
{
	bool ok;

	FLH_WAIT_FOR(ok, FLH_WAIT_MS, md_count_with(srv, flow, path, value) >= n);
	return ok;
}

bool md_label_flow_done(struct flh_server *srv)
{
	struct flh_resp *x = flh_get(srv, "/v1/audit/flows?flowName=LabelBuildFlow");
	json_t *e = json_array_get(json_object_get(flh_resp_json(x), "flows"), 0);
	const char *s1 = flh_json_str(e, "actions.hipchat_start_to_bamboo.result.event");
	const char *s2 = flh_json_str(e, "actions.bamboo_to_hipchat.result.event");
	bool done = s1 && s2 && !strcmp(s1, "AddedLabel") && !strcmp(s2, "MessageSent");

	flh_resp_free(x);
	return done;
}

void md_help_lists(const char *bin, const char *const *names)
{
	const char *h = bin ? md_help(bin) : NULL;

	FLH_ASSERT_MSG(h != NULL, "'%s --help' failed", bin ? bin : "(no binary)");
	for (size_t i = 0; names[i]; i++)
		FLH_ASSERT_MSG(strstr(h, names[i]) != NULL, "--help does not name %s", names[i]);
}

void md_expect_body(struct standin *s, const char *method, const char *target, const char *body)
{
	struct standin_req q;
	bool same;

	md_last(s, &q);
	same = (!method || !strcmp(q.method, method)) && !strcmp(q.target, target);
	if (!same)
		printf("# got %s %s\n", q.method, q.target);
	if (!same) {
		standin_req_release(&q);
		FLH_FAIL("expected %s %s", method ? method : "a request to", target);
	}
	MD_BODY(&q, body);
	standin_req_release(&q);
}
