/* SPDX-License-Identifier: Apache-2.0 */
/*
 * minifly.c - the scripted Flyte stand-in of the client tests (see
 * minifly.h).  Only what libflyte exercises is implemented; URLs and link
 * rels follow the real server so that rel-suffix discovery is tested too.
 */
#include "minifly.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static void deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool known_pack(struct minifly *m, const char *id)
{
	for (int i = 0; i < m->n_packs; i++)
		if (!strcmp(m->packs[i], id))
			return true;
	return false;
}

static void pack_id(const char *body, char *out, size_t outlen)
{
	json_t *root = json_loads(body, 0, NULL);
	const char *name = json_string_value(json_object_get(root, "name"));
	json_t *labels = json_object_get(root, "labels");
	size_t n = 0;

	snprintf(out, outlen, "%s", name ? name : "");
	if (json_is_object(labels)) {
		/* keys in byte order, as the server derives ids */
		const char *keys[32];
		const char *k;
		json_t *v;
		json_object_foreach(labels, k, v) {
			if (n < 32)
				keys[n++] = k;
		}
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
				const char *t = keys[j];
				keys[j] = keys[j - 1];
				keys[j - 1] = t;
			}
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(out);
			snprintf(out + len, outlen - len, ".%s.%s", keys[i],
				 json_string_value(json_object_get(labels, keys[i])));
		}
	}
	json_decref(root);
}

static void pack_links(struct minifly *m, struct fake_resp *r, const char *id)
{
	const char *u = fake_url(m->srv);
	fake_body(r,
		  "{\"id\":\"%s\",\"links\":[{\"href\":\"%s/v1/packs/%s\",\"rel\":\"self\"},"
		  "{\"href\":\"%s/v1/packs/%s/actions/take\",\"rel\":\"%s/swagger#!/action/takeAction\"},"
		  "{\"href\":\"%s/v1/packs/%s/events\",\"rel\":\"%s/swagger#/event\"}]}",
		  id, u, id, u, id, u, u, id, u);
}

static void handle(struct fake_srv *s, const struct fake_req *req, struct fake_resp *r, void *ud)
{
	struct minifly *m = ud;
	const char *u = fake_url(s);
	char id[128];
	int action;

	pthread_mutex_lock(&m->mu);
	snprintf(m->last_auth, sizeof(m->last_auth), "%s", req->authorization);
	if (!strcmp(req->method, "GET") && !strcmp(req->path, "/v1")) {
		if (m->fail_discovery > 0) {
			m->fail_discovery--;
			r->status = 503;
			goto out;
		}
		r->status = 200;
		fake_body(r,
			  "{\"links\":[{\"href\":\"%s/v1\",\"rel\":\"self\"},"
			  "{\"href\":\"%s/health\",\"rel\":\"%s/swagger#!/info/health\"},"
			  "{\"href\":\"%s/v1/packs\",\"rel\":\"%s/swagger#!/pack/listPacks\"}]}",
			  u, u, u, u, u);
		goto out;
	}
	if (!strcmp(req->method, "POST") && !strcmp(req->path, "/v1/packs")) {
		if (m->fail_registration > 0) {
			m->fail_registration--;
			r->status = 500;
			goto out;
		}
		pack_id(req->body, id, sizeof(id));
		if (!known_pack(m, id) && m->n_packs < 16)
			snprintf(m->packs[m->n_packs++], sizeof(m->packs[0]), "%s", id);
		m->registrations++;
		snprintf(m->last_registration, sizeof(m->last_registration), "%s", req->body);
		r->status = 201;
		snprintf(r->location, sizeof(r->location), "%s/v1/packs/%s", u, id);
		if (m->links_only_at_location)
			fake_body(r, "{\"id\":\"%s\"}", id);
		else
			pack_links(m, r, id);
		pthread_cond_broadcast(&m->cond);
		goto out;
	}
	if (!strcmp(req->method, "GET") && sscanf(req->path, "/v1/packs/%127[^/]", id) == 1 &&
	    !strchr(req->path + 10, '/')) {
		if (!known_pack(m, id))
			goto out; /* 404 */
		r->status = 200;
		pack_links(m, r, id);
		goto out;
	}
	if (!strcmp(req->method, "POST") && sscanf(req->path, "/v1/packs/%127[^/]/actions/take", id) == 1 &&
	    strstr(req->path, "/actions/take")) {
		struct timespec dl;
		m->takes++;
		snprintf(m->last_take_prefer, sizeof(m->last_take_prefer), "%s", req->prefer);
		if (!known_pack(m, id)) {
			m->take_404s++;
			goto out;
		}
		deadline_in(&dl, m->take_wait_ms ? m->take_wait_ms : 100);
		for (;;) {
			for (int i = 0; i < m->n_actions; i++) {
				if (!m->taken[i]) {
					m->taken[i] = true;
					m->attempts[i]++;
					r->status = 200;
					if (m->lease_ms > 0) {
						char until[64];
						time_t t = time(NULL) + (m->lease_ms + 999) / 1000;
						struct tm tm;
						gmtime_r(&t, &tm);
						strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
						fake_body(r,
							  "{\"command\":\"%s\",\"input\":%s,\"links\":[{\"href\":"
							  "\"%s/v1/packs/%s/actions/%d/result?attempt=%d\",\"rel\":"
							  "\"%s/swagger#/actionResult\"}],\"attempt\":%d,\"leaseUntil\":\"%s\"}",
							  m->commands[i], m->inputs[i], u, id, i, m->attempts[i], u,
							  m->attempts[i], until);
					} else {
						fake_body(r,
							  "{\"command\":\"%s\",\"input\":%s,\"links\":[{\"href\":"
							  "\"%s/v1/packs/%s/actions/%d/result\",\"rel\":\"%s/swagger#/actionResult\"}]}",
							  m->commands[i], m->inputs[i], u, id, i, u);
					}
					goto out;
				}
			}
			if (pthread_cond_timedwait(&m->cond, &m->mu, &dl) == ETIMEDOUT)
				break;
		}
		r->status = 204;
		goto out;
	}
	if (!strcmp(req->method, "POST") &&
	    sscanf(req->path, "/v1/packs/%127[^/]/actions/%d/heartbeat", id, &action) == 2 &&
	    strstr(req->path, "/heartbeat")) {
		const char *q = strstr(req->path, "?attempt=");
		m->heartbeat_posts++;
		if (!known_pack(m, id) || action < 0 || action >= m->n_actions)
			goto out; /* 404 */
		if (m->fail_heartbeats > 0) {
			m->fail_heartbeats--;
			r->status = 503;
			fake_body(r, "{\"error\":\"store unavailable\"}");
			goto out;
		}
		if (m->lost[action]) {
			r->status = 409;
			fake_body(r, "{\"error\":\"attempt %s no longer holds action '%d'\"}", q ? q + 9 : "?", action);
			goto out;
		}
		m->heartbeats[action]++;
		m->heartbeat_attempt[action] = q ? (int)strtol(q + 9, NULL, 10) : 0;
		r->status = 200;
		fake_body(r, "{\"attempt\":%d,\"leaseUntil\":\"2030-01-01T00:00:00Z\"}", m->attempts[action]);
		pthread_cond_broadcast(&m->cond);
		goto out;
	}
	if (!strcmp(req->method, "POST") &&
	    sscanf(req->path, "/v1/packs/%127[^/]/actions/%d/result", id, &action) == 2) {
		const char *q = strstr(req->path, "?attempt=");
		m->result_posts++;
		if (!known_pack(m, id))
			goto out; /* 404 */
		if (action >= 0 && action < m->n_actions && m->lost[action]) {
			r->status = 409;
			fake_body(r, "{\"error\":\"result refused\"}");
			goto out;
		}
		if (m->drop_results > 0) {
			m->drop_results--;
			r->drop = true;
			goto out;
		}
		if (m->fail_results > 0) {
			m->fail_results--;
			r->status = 500;
			goto out;
		}
		if (m->refuse_results > 0) {
			m->refuse_results--;
			r->status = 409;
			goto out;
		}
		if (m->n_results < MF_MAX) {
			m->results[m->n_results].action = action;
			m->results[m->n_results].attempt = q ? (int)strtol(q + 9, NULL, 10) : 0;
			m->results[m->n_results].body = strdup(req->body);
			m->n_results++;
		}
		r->status = 202;
		pthread_cond_broadcast(&m->cond);
		goto out;
	}
	if (!strcmp(req->method, "POST") && sscanf(req->path, "/v1/packs/%127[^/]/events", id) == 1) {
		m->event_posts++;
		if (!known_pack(m, id))
			goto out;
		if (m->fail_events > 0) {
			m->fail_events--;
			r->status = 503;
			goto out;
		}
		if (m->n_events < MF_MAX) {
			snprintf(m->events[m->n_events].pack, sizeof(m->events[0].pack), "%s", id);
			m->events[m->n_events].body = strdup(req->body);
			m->n_events++;
		}
		r->status = 202;
		goto out;
	}
out:
	pthread_mutex_unlock(&m->mu);
}

int mf_start(struct minifly *m, int port)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->srv = fake_start(port, handle, m);
	return m->srv ? 0 : -1;
}

void mf_stop(struct minifly *m)
{
	fake_stop(m->srv);
	m->srv = NULL;
	for (int i = 0; i < m->n_actions; i++) {
		free(m->commands[i]);
		free(m->inputs[i]);
	}
	for (int i = 0; i < m->n_results; i++)
		free(m->results[i].body);
	for (int i = 0; i < m->n_events; i++)
		free(m->events[i].body);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->mu);
}

int mf_add_action(struct minifly *m, const char *command, const char *input_json)
{
	int i;

	pthread_mutex_lock(&m->mu);
	i = m->n_actions++;
	m->commands[i] = strdup(command);
	m->inputs[i] = strdup(input_json);
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
	return i;
}

void mf_forget_packs(struct minifly *m)
{
	pthread_mutex_lock(&m->mu);
	m->n_packs = 0;
	pthread_mutex_unlock(&m->mu);
}

static int wait_count(struct minifly *m, const int *counter, int n, int timeout_ms)
{
	struct timespec dl;
	int got;

	deadline_in(&dl, timeout_ms);
	pthread_mutex_lock(&m->mu);
	while (*counter < n)
		if (pthread_cond_timedwait(&m->cond, &m->mu, &dl) == ETIMEDOUT)
			break;
	got = *counter;
	pthread_mutex_unlock(&m->mu);
	return got;
}

int mf_wait_results(struct minifly *m, int n, int timeout_ms)
{
	return wait_count(m, &m->n_results, n, timeout_ms);
}

int mf_wait_registrations(struct minifly *m, int n, int timeout_ms)
{
	return wait_count(m, &m->registrations, n, timeout_ms);
}

const char *mf_result_for(struct minifly *m, int action)
{
	const char *b = NULL;

	pthread_mutex_lock(&m->mu);
	for (int i = 0; i < m->n_results; i++)
		if (m->results[i].action == action)
			b = m->results[i].body;
	pthread_mutex_unlock(&m->mu);
	return b;
}

int mf_result_attempt(struct minifly *m, int action)
{
	int a = -1;

	pthread_mutex_lock(&m->mu);
	for (int i = 0; i < m->n_results; i++)
		if (m->results[i].action == action)
			a = m->results[i].attempt;
	pthread_mutex_unlock(&m->mu);
	return a;
}

int mf_wait_heartbeats(struct minifly *m, int action, int n, int timeout_ms)
{
	return wait_count(m, &m->heartbeats[action], n, timeout_ms);
}

void mf_lose_lease(struct minifly *m, int action)
{
	pthread_mutex_lock(&m->mu);
	m->lost[action] = true;
	pthread_mutex_unlock(&m->mu);
}

int mf_int(struct minifly *m, const int *field)
{
	int v;

	pthread_mutex_lock(&m->mu);
	v = *field;
	pthread_mutex_unlock(&m->mu);
	return v;
}

void mf_set(struct minifly *m, int *field, int value)
{
	pthread_mutex_lock(&m->mu);
	*field = value;
	pthread_mutex_unlock(&m->mu);
}

const char *mf_str(struct minifly *m, const char *field, char *buf, size_t len)
{
	pthread_mutex_lock(&m->mu);
	snprintf(buf, len, "%s", field);
	pthread_mutex_unlock(&m->mu);
	return buf;
}

const char *mf_event(struct minifly *m, int i, int what, char *buf, size_t len)
{
	pthread_mutex_lock(&m->mu);
	snprintf(buf, len, "%s", i < m->n_events ? (what ? m->events[i].pack : m->events[i].body) : "");
	pthread_mutex_unlock(&m->mu);
	return buf;
}
