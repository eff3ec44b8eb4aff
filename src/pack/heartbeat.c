/* SPDX-License-Identifier: Apache-2.0 */
/*
 * heartbeat.c - lease heartbeats of running handlers.
 *
 * A take of a command with a lease holds the action until the lease ends;
 * a heartbeat (POST to the result link with /heartbeat in place of /result,
 * same ?attempt= query) makes it run again from now.  While a handler runs,
 * its action is on the pack's lease list, and one heartbeat thread per pack
 * posts a heartbeat for it every period (a third of the lease), whatever the
 * handler does: a slow or blocked handler never misses one.  The rules:
 *
 *  - 200: the lease runs again; next heartbeat one period later;
 *  - 409: another attempt holds the action now (or it is no longer
 *    PENDING): the lease is lost.  Logged as an error, the handler goes on
 *    (flyte_result_lease_lost() tells it), no more heartbeats for it;
 *  - network errors, 5xx, 408, 429: tried again sooner (backoff bounded by
 *    the period), so a short outage does not cost the lease;
 *  - another 4xx: the server refuses heartbeats for this action for good;
 *    logged once, no more heartbeats (the result decides).
 *
 * When the handler returns, its entry leaves the list; if a heartbeat for it
 * is being posted at that moment, the heartbeat thread frees it afterwards,
 * so a worker never waits for a heartbeat.
 */
#include "fl-common.h"

#include <jansson.h>

#include "internal.h"

char *flyte__heartbeat_url(const char *result_url)
{
	static const char res[] = "/result", hb[] = "/heartbeat";
	size_t path_len = strcspn(result_url, "?#"), rl = sizeof(res) - 1;
	struct fl_buf b = FL_BUF_INIT(0);

	if (path_len < rl || memcmp(result_url + path_len - rl, res, rl) != 0)
		return NULL;
	fl_buf_add(&b, result_url, path_len - rl);
	fl_buf_adds(&b, hb);
	fl_buf_adds(&b, result_url + path_len);
	return fl_buf_detach(&b, NULL);
}

static void lease_free(struct flyte__lease *l)
{
	if (!l)
		return;
	free(l->url);
	free(l->command);
	free(l);
}

static void unlink_lease(struct flyte_pack *p, struct flyte__lease *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		p->leases = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->next = l->prev = NULL;
}

struct flyte__lease *flyte__lease_begin(struct flyte_pack *p, const struct flyte__job *j)
{
	struct flyte__lease *l;

	if (!j->heartbeat_ms || !j->heartbeat_url || !p->hb_started)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL; /* the lease then only lasts its first period: logged by the caller's result */
	l->url = strdup(j->heartbeat_url);
	l->command = strdup(j->command);
	if (!l->url || !l->command) {
		lease_free(l);
		flyte__log(p->client, FLYTE_LOG_ERROR, "out of memory: no heartbeats for an action of command '%s'",
			   j->command);
		return NULL;
	}
	l->attempt = j->attempt;
	l->period_ms = j->heartbeat_ms;
	l->due = flyte__mono_ms() + l->period_ms;
	atomic_init(&l->lost, false);
	pthread_mutex_lock(&p->hb_mu);
	l->next = p->leases;
	if (p->leases)
		p->leases->prev = l;
	p->leases = l;
	pthread_cond_signal(&p->hb_cond);
	pthread_mutex_unlock(&p->hb_mu);
	return l;
}

void flyte__lease_end(struct flyte_pack *p, struct flyte__lease *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&p->hb_mu);
	if (l->in_flight) {
		l->removed = true; /* the heartbeat thread frees it once its post returns */
	} else {
		unlink_lease(p, l);
		lease_free(l);
	}
	pthread_mutex_unlock(&p->hb_mu);
}

/* The "error" message of a JSON error answer, or "" (copied into buf). */
static const char *error_text(const struct flyte_response *resp, char *buf, size_t len)
{
	json_t *j = resp->body_len ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
	const char *m = json_string_value(json_object_get(j, "error"));

	snprintf(buf, len, "%s", m ? m : "");
	json_decref(j);
	return buf;
}

static bool retryable(int status)
{
	return status >= 500 || status == 408 || status == 429;
}

/* Handle the outcome of one heartbeat of l; called with hb_mu held. */
static void heartbeat_done(struct flyte_pack *p, struct flyte__lease *l, int rc, const struct flyte_response *resp)
{
	char msg[256];
	int64_t now = flyte__mono_ms();

	if (!rc && resp->status >= 200 && resp->status <= 299) {
		if (l->fails)
			flyte__log(p->client, FLYTE_LOG_INFO,
				   "heartbeat for command '%s' (attempt %ld) accepted again after %u failure(s)",
				   l->command, l->attempt, l->fails);
		l->fails = 0;
		l->due = now + l->period_ms;
		atomic_fetch_add(&p->st_heartbeats, 1);
		return;
	}
	if (!rc && resp->status == 409) {
		atomic_store(&l->lost, true);
		atomic_fetch_add(&p->st_leases_lost, 1);
		flyte__log(p->client, FLYTE_LOG_ERROR,
			   "lease lost: action of command '%s' (attempt %ld) now belongs to another taker (%s); the "
			   "handler keeps running but its result will be refused",
			   l->command, l->attempt, *error_text(resp, msg, sizeof(msg)) ? msg : "HTTP 409");
		return;
	}
	if (!rc && !retryable(resp->status)) {
		l->stopped = true;
		flyte__log(p->client, FLYTE_LOG_WARN,
			   "heartbeat for command '%s' (attempt %ld) to '%s' refused with HTTP %d (%s); no more "
			   "heartbeats for it",
			   l->command, l->attempt, l->url, resp->status, error_text(resp, msg, sizeof(msg)));
		return;
	}
	/* transport error or a transient answer: again soon, never later than one period */
	{
		long wait = flyte__backoff_ms(l->fails, p->opts.retry_initial_ms, p->opts.retry_max_ms);
		if (wait > l->period_ms)
			wait = l->period_ms;
		if (!l->fails)
			flyte__log(p->client, FLYTE_LOG_WARN,
				   "heartbeat for command '%s' (attempt %ld) failed (%s); retrying in %ld ms", l->command,
				   l->attempt, rc ? flyte_last_error() : "server error", wait);
		l->fails++;
		l->due = now + wait;
	}
}

/* The next lease to beat (earliest due), or NULL; called with hb_mu held. */
static struct flyte__lease *next_due(struct flyte_pack *p)
{
	struct flyte__lease *best = NULL;

	for (struct flyte__lease *l = p->leases; l; l = l->next)
		if (!l->in_flight && !l->removed && !l->stopped && !atomic_load(&l->lost) &&
		    (!best || l->due < best->due))
			best = l;
	return best;
}

static void *heartbeat_main(void *arg)
{
	struct flyte_pack *p = arg;

	pthread_mutex_lock(&p->hb_mu);
	while (!p->hb_stop) {
		struct flyte__lease *l = next_due(p);
		struct flyte_response resp;
		int64_t now = flyte__mono_ms();
		long timeout;
		char *url;
		int rc;

		if (!l) {
			pthread_cond_wait(&p->hb_cond, &p->hb_mu);
			continue;
		}
		if (l->due > now) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			int64_t ns = (int64_t)ts.tv_nsec + (l->due - now) * 1000000;
			ts.tv_sec += (time_t)(ns / 1000000000);
			ts.tv_nsec = (long)(ns % 1000000000);
			pthread_cond_timedwait(&p->hb_cond, &p->hb_mu, &ts);
			continue;
		}
		l->in_flight = true;
		url = strdup(l->url);
		/* one slow answer must not cost the other leases theirs */
		timeout = l->period_ms < 1000 ? 1000 : l->period_ms;
		if (p->client->timeout_ms > 0 && timeout > p->client->timeout_ms)
			timeout = p->client->timeout_ms;
		pthread_mutex_unlock(&p->hb_mu);
		flyte_response_init(&resp);
		rc = url ? flyte__request(&resp, p->client, p, NULL, timeout, "POST", url, NULL, NULL, 0)
			 : flyte__error_oom(p);
		free(url);
		pthread_mutex_lock(&p->hb_mu);
		l->in_flight = false;
		if (l->removed) {
			unlink_lease(p, l);
			lease_free(l);
		} else {
			heartbeat_done(p, l, rc, &resp);
		}
		flyte_response_release(&resp);
	}
	pthread_mutex_unlock(&p->hb_mu);
	return NULL;
}

int flyte__heartbeat_start(struct flyte_pack *p)
{
	if (pthread_create(&p->hb_thread, NULL, heartbeat_main, p))
		return flyte__error(p, FLYTE_ERROR, "cannot start the heartbeat thread of pack '%s'", p->name);
	p->hb_started = true;
	return FLYTE_OK;
}

void flyte__heartbeat_stop(struct flyte_pack *p)
{
	if (!p->hb_started)
		return;
	pthread_mutex_lock(&p->hb_mu);
	p->hb_stop = true;
	pthread_cond_broadcast(&p->hb_cond);
	pthread_mutex_unlock(&p->hb_mu);
	pthread_join(p->hb_thread, NULL);
	p->hb_started = false;
	/* every handler has returned: what is left was removed in flight or never removed */
	while (p->leases) {
		struct flyte__lease *l = p->leases;
		unlink_lease(p, l);
		lease_free(l);
	}
}
