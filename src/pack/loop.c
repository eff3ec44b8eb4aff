/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loop.c - the action loop of a pack: long-poll take, worker pool, result
 * posting, and the start / run / stop lifecycle.
 *
 * One loop thread registers the pack and then long-polls the take link.  It
 * takes an action only when a worker is free (at most `concurrency` actions
 * are queued or running), hands it to the queue and polls again at once.
 * Workers run the handler and post the result.  The reliability rules:
 *
 *  - a 204 is polled again immediately (the server long-polls); only if a
 *    server answers 204 without waiting does the loop slow down, so a server
 *    that does not long-poll is not hammered;
 *  - network errors and 5xx on take back off exponentially with jitter;
 *  - a 404 on take means the pack record is gone: register again (the Go
 *    client exits the process instead);
 *  - a result post that fails is retried from memory until the server
 *    accepts it; only a definitive refusal (4xx other than 404/408/429) or
 *    the stop deadline drops it, and both are logged as errors.
 *
 * Stopping fires the take token (interrupting the long-poll), lets workers
 * finish queued and running actions and post their results, and after
 * stop_timeout_ms fires the results token so that posts still retrying give
 * up.
 */
#include "fl-common.h"

#include <poll.h>
#include <unistd.h>

#include <jansson.h>

#include "internal.h"
#include "timeutil.h"

static void job_free(struct flyte__job *j)
{
	if (!j)
		return;
	free(j->command);
	free(j->input);
	free(j->result_url);
	free(j->heartbeat_url);
	free(j);
}

static const struct flyte__cmd *find_cmd(const struct flyte_pack *p, const char *name)
{
	for (size_t i = 0; i < p->n_cmds; i++)
		if (!strcmp(p->cmds[i].name, name))
			return &p->cmds[i];
	return NULL;
}

/* Href of the first link in a JSON links array whose rel ends with suffix (borrowed). */
static const char *find_link(json_t *links, const char *suffix)
{
	size_t sl = strlen(suffix), i;
	json_t *l;

	json_array_foreach(links, i, l) {
		const char *rel = json_string_value(json_object_get(l, "rel"));
		const char *href = json_string_value(json_object_get(l, "href"));
		size_t rl = rel ? strlen(rel) : 0;
		if (href && rl >= sl && !strcmp(rel + rl - sl, suffix))
			return href;
	}
	return NULL;
}

/*
 * Heartbeat period of a taken action: a third of the lease its command was
 * registered with, else (a lease the server chose) a third of what is left
 * of leaseUntil, at least a second.  0 when the take has no lease.
 */
static long heartbeat_period(const struct flyte_pack *p, const struct flyte__cmd *cmd, json_t *lease_until)
{
	const char *lu = json_string_value(lease_until);
	long lease = cmd ? flyte__pack_command_lease(p, cmd) : 0;
	int64_t until, left;

	if (!lu)
		return 0; /* a server without leases, or a command without one */
	if (lease > 0)
		return lease * 1000 / 3;
	if (fl_time_parse_rfc3339(lu, strlen(lu), &until, NULL) != 0)
		return 1000;
	left = (until - fl_time_now_ns()) / 1000000 / 3;
	return left < 1000 ? 1000 : (long)left;
}

/* Turn a 200 take answer into a job. */
static int parse_action(struct flyte_pack *p, const struct flyte_response *resp, struct flyte__job **out)
{
	struct flyte__job *j = NULL;
	struct flyte__span input = { "null", 4 };
	json_t *root = NULL;
	const char *command, *href;
	int rc;

	*out = NULL;
	root = json_loadb(resp->body, resp->body_len, 0, NULL);
	command = json_string_value(json_object_get(root, "command"));
	if (!command) {
		rc = flyte__error(p, FLYTE_EPROTOCOL, "take answered an action without a command name");
		goto out;
	}
	href = find_link(json_object_get(root, "links"), "actionResult");
	if (!href) {
		rc = flyte__error(p, FLYTE_EPROTOCOL, "take answered action '%s' without an '*actionResult' link",
				  command);
		goto out;
	}
	/* The input goes to the handler as the exact bytes the server sent. */
	flyte__json_member(resp->body, resp->body_len, "input", &input);
	j = calloc(1, sizeof(*j));
	if (!j) {
		rc = flyte__error_oom(p);
		goto out;
	}
	j->cmd = find_cmd(p, command);
	j->command = strdup(command);
	j->input = strndup(input.ptr, input.len);
	j->input_len = input.len;
	j->result_url = strdup(href);
	if (!j->command || !j->input || !j->result_url) {
		rc = flyte__error_oom(p);
		goto out;
	}
	/* flyte's additions: which take this is, and the lease it holds */
	if (json_is_integer(json_object_get(root, "attempt")))
		j->attempt = (long)json_integer_value(json_object_get(root, "attempt"));
	j->heartbeat_ms = heartbeat_period(p, j->cmd, json_object_get(root, "leaseUntil"));
	if (j->heartbeat_ms) {
		j->heartbeat_url = flyte__heartbeat_url(href);
		if (!j->heartbeat_url) {
			flyte__log(p->client, FLYTE_LOG_WARN,
				   "result link '%s' does not end in /result: no heartbeats for command '%s'", href,
				   command);
			j->heartbeat_ms = 0;
		}
	}
	*out = j;
	j = NULL;
	rc = FLYTE_OK;
out:
	job_free(j);
	json_decref(root);
	return rc;
}

/* ---------------------------------------------------------------- results */

static bool retryable_status(int status)
{
	return status >= 500 || status == 408 || status == 429;
}

/*
 * Post a result until the server accepts it or refuses it for good.  While
 * the pack runs, failures are retried without limit; once a stop has begun,
 * a result that still cannot be posted is retried for stop_timeout_ms more
 * and then dropped (logged as an error).
 */
static void post_result(struct flyte_pack *p, const struct flyte__job *j, const struct fl_buf *body, bool lease_lost)
{
	bool reregistered = false;
	unsigned attempt = 0;
	int64_t give_up_at = 0;

	for (;;) {
		struct flyte_response resp;
		int rc;
		unsigned long gen = flyte__pack_generation(p);

		rc = flyte__request(&resp, p->client, p, NULL, -1, "POST", j->result_url, "application/json",
				    body->ptr, body->len);
		if (!rc) {
			int st = resp.status;
			flyte_response_release(&resp);
			if (st >= 200 && st <= 299) {
				atomic_fetch_add(&p->st_posted, 1);
				return;
			}
			if (st == 404 && !reregistered) {
				/* The pack record may be gone (server restarted with a fresh store):
				 * register again, then try once more. */
				reregistered = true;
				flyte__log(p->client, FLYTE_LOG_WARN,
					   "result for command '%s' to '%s' answered HTTP 404; registering pack '%s' again",
					   j->command, j->result_url, p->name);
				if (flyte__pack_register(p, &p->stop_take, 0, gen) == FLYTE_OK)
					continue;
			} else if (!retryable_status(st)) {
				atomic_fetch_add(&p->st_dropped, 1);
				if (st == 409 && j->attempt)
					flyte__log(p->client, FLYTE_LOG_ERROR,
						   "result for command '%s' (attempt %ld) refused by '%s' with HTTP 409: %s; "
						   "dropping it",
						   j->command, j->attempt, j->result_url,
						   lease_lost ? "its lease was lost, another attempt owns the action"
							      : "the attempt no longer holds the action");
				else
					flyte__log(p->client, FLYTE_LOG_ERROR,
						   "result for command '%s' refused by '%s' with HTTP %d; dropping it",
						   j->command, j->result_url, st);
				return;
			}
			flyte__error(p, flyte_err_from_status(st), "HTTP %d", st);
		}
		long wait = flyte__backoff_ms(attempt++, p->opts.retry_initial_ms, p->opts.retry_max_ms);
		if (flyte__cancel_fired(&p->stop_take)) {
			int64_t now = flyte__mono_ms();
			if (!give_up_at)
				give_up_at = now + p->opts.stop_timeout_ms;
			if (now >= give_up_at) {
				atomic_fetch_add(&p->st_dropped, 1);
				atomic_fetch_add(&p->st_stop_lost, 1);
				flyte__log(p->client, FLYTE_LOG_ERROR,
					   "result for command '%s' to '%s' not posted within %ld ms of the stop; it is lost",
					   j->command, j->result_url, p->opts.stop_timeout_ms);
				return;
			}
			if (wait > give_up_at - now)
				wait = (long)(give_up_at - now);
		}
		atomic_fetch_add(&p->st_result_retries, 1);
		flyte__log(p->client, FLYTE_LOG_WARN, "posting result for command '%s' failed (%s); retrying in %ld ms",
			   j->command, flyte_last_error(), wait);
		flyte__cancel_sleep(NULL, wait);
	}
}

static void run_job(struct flyte_pack *p, const struct flyte__job *j)
{
	struct flyte_result r;
	struct fl_buf body = FL_BUF_INIT(0);
	struct flyte__lease *lease = NULL;
	bool lost = false;

	flyte__result_init(&r, j->command);
	r.attempt = j->attempt;
	if (!j->cmd || !j->cmd->handler) {
		flyte_result_fatal(&r, "no handler for command \"%s\"", j->command);
		flyte__log(p->client, FLYTE_LOG_WARN, "pack '%s' has no handler for command '%s'", p->name,
			   j->command);
	} else {
		int hrc;

		/* heartbeats keep the lease while the handler runs, however long */
		lease = flyte__lease_begin(p, j);
		r.lease = lease;
		hrc = j->cmd->handler(j->input, j->input_len, &r, j->cmd->payload);
		lost = lease && atomic_load(&lease->lost);
		r.lease = NULL;
		flyte__lease_end(p, lease);
		if (hrc && !(r.event && !strcmp(r.event, FLYTE_EVENT_FATAL)))
			flyte_result_fatal(&r, "handler for command '%s' failed", j->command);
		else if (!hrc && !r.event)
			flyte_result_fatal(&r, "handler for command '%s' set no result", j->command);
	}
	if (!r.event) {
		/* Out of memory while building the result: still complete the action. */
		flyte__event_body(&body, FLYTE_EVENT_FATAL, "\"out of memory\"");
	} else {
		flyte__event_body(&body, r.event, r.payload);
	}
	if (fl_buf_failed(&body)) {
		fl_buf_release(&body);
		flyte__event_body(&body, FLYTE_EVENT_FATAL, "\"result too large\"");
	}
	post_result(p, j, &body, lost);
	fl_buf_release(&body);
	flyte__result_release(&r);
}

/* Wait until a worker slot is free and reserve it; false when stopping. */
static bool reserve_slot(struct flyte_pack *p)
{
	bool ok;

	pthread_mutex_lock(&p->qmu);
	while (p->busy >= p->opts.concurrency && !flyte__cancel_fired(&p->stop_take))
		pthread_cond_wait(&p->q_slot, &p->qmu);
	ok = !flyte__cancel_fired(&p->stop_take);
	if (ok)
		p->busy++;
	pthread_mutex_unlock(&p->qmu);
	return ok;
}

static void release_slot(struct flyte_pack *p)
{
	pthread_mutex_lock(&p->qmu);
	p->busy--;
	pthread_cond_signal(&p->q_slot);
	pthread_mutex_unlock(&p->qmu);
}

static void *worker_main(void *arg)
{
	struct flyte_pack *p = arg;

	for (;;) {
		struct flyte__job *j;

		pthread_mutex_lock(&p->qmu);
		/* exit only when no poller can queue anything any more */
		while (!p->qhead && !(p->draining && p->loop_done))
			pthread_cond_wait(&p->q_work, &p->qmu);
		j = p->qhead;
		if (!j) {
			p->workers_alive--;
			pthread_mutex_unlock(&p->qmu);
			return NULL;
		}
		p->qhead = j->next;
		if (!p->qhead)
			p->qtail = NULL;
		pthread_mutex_unlock(&p->qmu);

		run_job(p, j);
		job_free(j);
		release_slot(p);
	}
}

/* ------------------------------------------------------------- take loop */

/* Queue a job into the slot reserved for it. */
static void enqueue(struct flyte_pack *p, struct flyte__job *j)
{
	pthread_mutex_lock(&p->qmu);
	j->next = NULL;
	if (p->qtail)
		p->qtail->next = j;
	else
		p->qhead = j;
	p->qtail = j;
	pthread_cond_signal(&p->q_work);
	pthread_mutex_unlock(&p->qmu);
}

/*
 * The long-poll wait a take asks the server for (RFC 7240 `Prefer: wait=N`,
 * which the server caps at its FLYTE_TAKE_WAIT_MAX_MS): what the take's own
 * timeout affords with two seconds to spare, at most a minute.  Servers that
 * do not know the preference ignore it.
 */
static void prefer_wait(const struct flyte_pack *p, char *out, size_t len)
{
	long sec = (p->opts.poll_timeout_ms - 2000) / 1000;

	if (sec < 0)
		sec = 0;
	if (sec > 60)
		sec = 60;
	snprintf(out, len, "Prefer: wait=%ld", sec);
}

static void take_loop(struct flyte_pack *p)
{
	unsigned fails = 0, quick_204 = 0;
	char prefer[40];

	prefer_wait(p, prefer, sizeof(prefer));

	while (reserve_slot(p)) {
		struct flyte_response resp;
		struct flyte__job *j = NULL;
		unsigned long gen = flyte__pack_generation(p);
		char *url = flyte__pack_take_url(p);
		int64_t t0 = flyte__mono_ms();
		int rc;

		if (!url) {
			release_slot(p);
			rc = flyte__error_oom(p);
			goto fail;
		}
		rc = flyte__request_h(&resp, p->client, p, &p->stop_take, p->opts.poll_timeout_ms, "POST", url,
				      "application/json", "null", 4, prefer);
		free(url);
		if (rc != FLYTE_OK || resp.status != 200)
			release_slot(p); /* only a taken action keeps its slot */
		if (rc == FLYTE_ECANCELLED)
			break;
		if (rc == FLYTE_ETIMEOUT) {
			/* A long-poll outlived our timeout: just ask again. */
			flyte_response_release(&resp);
			continue;
		}
		if (rc)
			goto fail;
		switch (resp.status) {
		case 200:
			rc = parse_action(p, &resp, &j);
			flyte_response_release(&resp);
			if (rc) {
				release_slot(p);
				goto fail;
			}
			atomic_fetch_add(&p->st_taken, 1);
			fails = quick_204 = 0;
			if (p->inline_jobs) {
				run_job(p, j);
				job_free(j);
				release_slot(p);
			} else {
				enqueue(p, j);
			}
			continue;
		case 204:
			flyte_response_release(&resp);
			fails = 0;
			if (flyte__mono_ms() - t0 < 20) {
				/* The server did not wait: poll gently instead of spinning. */
				long wait = 50L << (quick_204 < 5 ? quick_204 : 5);
				quick_204++;
				if (flyte__cancel_sleep(&p->stop_take, wait > 1000 ? 1000 : wait))
					return;
			} else {
				quick_204 = 0;
			}
			continue;
		case 404:
			flyte_response_release(&resp);
			flyte__log(p->client, FLYTE_LOG_WARN,
				   "pack '%s' not found while taking actions; registering again", p->name);
			if (flyte__pack_register(p, &p->stop_take, 0, gen))
				return;
			continue;
		default:
			rc = flyte__error(p, flyte_err_from_status(resp.status), "take answered HTTP %d",
					  resp.status);
			flyte_response_release(&resp);
			goto fail;
		}
fail:
		atomic_fetch_add(&p->st_take_errors, 1);
		{
			long wait = flyte__backoff_ms(fails++, p->opts.retry_initial_ms, p->opts.retry_max_ms);
			flyte__log(p->client, FLYTE_LOG_WARN, "taking actions for pack '%s' failed (%s); retrying in %ld ms",
				   p->name, flyte_last_error(), wait);
			if (flyte__cancel_sleep(&p->stop_take, wait))
				return;
		}
	}
}

static void *poller_main(void *arg)
{
	take_loop(arg);
	return NULL;
}

static void loop_body(struct flyte_pack *p)
{
	pthread_t extra[256];
	unsigned n_extra = 0;

	if (flyte__pack_generation(p) == 0 && flyte__pack_register(p, &p->stop_take, 0, 0))
		return; /* stopped before registration succeeded */
	if (!p->n_cmds)
		return;
	while (n_extra + 1 < p->opts.pollers && n_extra < FL_ARRAY_LEN(extra) &&
	       pthread_create(&extra[n_extra], NULL, poller_main, p) == 0)
		n_extra++;
	take_loop(p);
	for (unsigned i = 0; i < n_extra; i++)
		pthread_join(extra[i], NULL);
}

static void *loop_main(void *arg)
{
	struct flyte_pack *p = arg;

	loop_body(p);
	pthread_mutex_lock(&p->qmu);
	p->loop_done = true;
	pthread_cond_broadcast(&p->q_work);
	pthread_mutex_unlock(&p->qmu);
	return NULL;
}

/* -------------------------------------------------------------- lifecycle */

static void wake_runner(struct flyte_pack *p)
{
	int saved = errno;
	ssize_t w;

	atomic_store(&p->stop_requested, true);
	w = write(p->wake[1], "s", 1);
	(void)w; /* a full pipe already holds a wake-up */
	errno = saved;
}

FLYTE_API int flyte_pack_start(struct flyte_pack *p)
{
	int rc = FLYTE_OK;

	if (!p)
		return flyte__error(NULL, FLYTE_EMISUSE, "flyte_pack_start: pack is required");
	pthread_mutex_lock(&p->life_mu);
	if (p->started || p->stopped) {
		rc = flyte__error(p, FLYTE_EMISUSE, "pack '%s' was already %s", p->name,
				  p->stopped ? "stopped" : "started");
		goto out;
	}
	if (p->n_cmds && !p->inline_jobs) {
		p->workers = calloc(p->opts.concurrency, sizeof(*p->workers));
		if (!p->workers) {
			rc = flyte__error_oom(p);
			goto out;
		}
		for (unsigned i = 0; i < p->opts.concurrency; i++) {
			if (pthread_create(&p->workers[i], NULL, worker_main, p)) {
				rc = flyte__error(p, FLYTE_ERROR, "cannot start worker threads for pack '%s'", p->name);
				break;
			}
			pthread_mutex_lock(&p->qmu);
			p->workers_alive++;
			pthread_mutex_unlock(&p->qmu);
			p->n_workers++;
		}
	}
	if (!rc && p->n_cmds)
		rc = flyte__heartbeat_start(p);
	if (!rc) {
		if (pthread_create(&p->loop_thread, NULL, loop_main, p))
			rc = flyte__error(p, FLYTE_ERROR, "cannot start the action loop of pack '%s'", p->name);
		else
			p->loop_started = true;
	}
	p->started = true;
out:
	pthread_mutex_unlock(&p->life_mu);
	if (rc && p->started)
		flyte_pack_stop(p);
	return rc;
}

FLYTE_API void flyte_pack_request_stop(struct flyte_pack *p)
{
	if (p)
		wake_runner(p);
}

FLYTE_API int flyte_pack_stop(struct flyte_pack *p)
{
	unsigned long dropped;
	int rc = FLYTE_OK;

	if (!p)
		return FLYTE_OK;
	pthread_mutex_lock(&p->life_mu);
	if (p->stopped)
		goto out;
	p->stopped = true;
	dropped = atomic_load(&p->st_stop_lost); /* refused results are not the stop's doing */
	wake_runner(p);
	flyte__cancel_fire(&p->stop_take);
	pthread_mutex_lock(&p->qmu);
	pthread_cond_broadcast(&p->q_slot);
	p->draining = true;
	if (!p->loop_started)
		p->loop_done = true;
	pthread_cond_broadcast(&p->q_work);
	pthread_mutex_unlock(&p->qmu);
	/* Pollers finish their inline actions, workers their queued and running
	 * ones; each posts its result (post_result bounds retries after a stop). */
	if (p->loop_started)
		pthread_join(p->loop_thread, NULL);
	for (unsigned i = 0; i < p->n_workers; i++)
		pthread_join(p->workers[i], NULL);
	/* every handler has returned: no lease needs a heartbeat any more */
	flyte__heartbeat_stop(p);
	if (atomic_load(&p->st_stop_lost) != dropped)
		rc = flyte__error(p, FLYTE_ETIMEOUT, "pack '%s' stopped with %lu result(s) not posted", p->name,
				  atomic_load(&p->st_stop_lost) - dropped);
	flyte__log(p->client, FLYTE_LOG_INFO, "pack '%s' stopped", p->name);
out:
	pthread_mutex_unlock(&p->life_mu);
	return rc;
}

FLYTE_API int flyte_pack_run(struct flyte_pack *p)
{
	int rc;
	bool started;

	if (!p)
		return flyte__error(NULL, FLYTE_EMISUSE, "flyte_pack_run: pack is required");
	pthread_mutex_lock(&p->life_mu);
	started = p->started;
	pthread_mutex_unlock(&p->life_mu);
	if (!started) {
		rc = flyte_pack_start(p);
		if (rc)
			return rc;
	}
	while (!atomic_load(&p->stop_requested)) {
		struct pollfd pfd = { p->wake[0], POLLIN, 0 };
		char drain[16];
		if (poll(&pfd, 1, -1) > 0) {
			while (read(p->wake[0], drain, sizeof(drain)) > 0)
				;
		}
	}
	return flyte_pack_stop(p);
}

FLYTE_API void flyte_pack_free(struct flyte_pack *p)
{
	if (!p)
		return;
	flyte_pack_stop(p);
	flyte__pack_destroy(p);
}
