/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cancel.c - cancellation tokens, interruptible sleeps and retry backoff.
 *
 * A pack's threads spend their time either inside an HTTP transfer (a
 * long-poll take can last a minute) or sleeping before a retry.  Stopping the
 * pack must interrupt both at once.  A token therefore keeps a condition
 * variable for sleepers and the list of curl multi handles whose transfers
 * wait on its behalf; firing it sets the flag, wakes the sleepers and calls
 * curl_multi_wakeup() on every registered handle.
 *
 * The backoff is exponential with jitter: retry n waits a random time in
 * [d/2, d] where d = initial * 2^n capped at max, so many packs restarted
 * together do not hit a recovering server in lockstep.
 */
#include "fl-common.h"

#include "grow.h"
#include "internal.h"
#include "timeutil.h"

int flyte__cancel_init(struct flyte__cancel *c)
{
	pthread_condattr_t attr;

	memset(c, 0, sizeof(*c));
	atomic_init(&c->fired, false);
	if (pthread_mutex_init(&c->mu, NULL))
		return FLYTE_ERROR;
	if (pthread_condattr_init(&attr)) {
		pthread_mutex_destroy(&c->mu);
		return FLYTE_ERROR;
	}
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&c->cond, &attr)) {
		pthread_condattr_destroy(&attr);
		pthread_mutex_destroy(&c->mu);
		return FLYTE_ERROR;
	}
	pthread_condattr_destroy(&attr);
	return FLYTE_OK;
}

void flyte__cancel_release(struct flyte__cancel *c)
{
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->mu);
	free(c->waiting);
	c->waiting = NULL;
	c->n_waiting = c->cap_waiting = 0;
}

void flyte__cancel_fire(struct flyte__cancel *c)
{
	pthread_mutex_lock(&c->mu);
	atomic_store(&c->fired, true);
	for (size_t i = 0; i < c->n_waiting; i++)
		curl_multi_wakeup(c->waiting[i]);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->mu);
}

bool flyte__cancel_fired(struct flyte__cancel *c)
{
	return c && (atomic_load(&c->fired) || (c->linked && atomic_load(c->linked)));
}

int flyte__cancel_watch(struct flyte__cancel *c, CURLM *m)
{
	CURLM **w;
	int rc = FLYTE_OK;

	pthread_mutex_lock(&c->mu);
	w = fl_grow_try(c->waiting, &c->cap_waiting, c->n_waiting + 1, sizeof(*w));
	if (w) {
		c->waiting = w;
		c->waiting[c->n_waiting++] = m;
	} else {
		rc = FLYTE_ENOMEM;
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void flyte__cancel_unwatch(struct flyte__cancel *c, CURLM *m)
{
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n_waiting; i++) {
		if (c->waiting[i] == m) {
			c->waiting[i] = c->waiting[--c->n_waiting];
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
}

int64_t flyte__mono_ms(void)
{
	return fl_time_mono_ns() / FL_NS_PER_MS;
}

bool flyte__cancel_sleep(struct flyte__cancel *c, long ms)
{
	struct timespec deadline;
	bool fired;

	if (ms <= 0)
		return flyte__cancel_fired(c);
	if (!c) {
		struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
		while (nanosleep(&d, &d) && errno == EINTR)
			;
		return false;
	}
	deadline = fl_time_deadline(CLOCK_MONOTONIC, ms);
	pthread_mutex_lock(&c->mu);
	while (!flyte__cancel_fired(c)) {
		struct timespec slice = deadline;
		if (c->linked) {
			/* wake up now and then to notice the linked flag */
			slice = fl_time_deadline(CLOCK_MONOTONIC, FLYTE__CANCEL_CHECK_MS);
			if (slice.tv_sec > deadline.tv_sec ||
			    (slice.tv_sec == deadline.tv_sec && slice.tv_nsec > deadline.tv_nsec))
				slice = deadline;
		}
		if (pthread_cond_timedwait(&c->cond, &c->mu, &slice) == ETIMEDOUT &&
		    slice.tv_sec == deadline.tv_sec && slice.tv_nsec == deadline.tv_nsec)
			break;
	}
	fired = flyte__cancel_fired(c);
	pthread_mutex_unlock(&c->mu);
	return fired;
}

/* A small xorshift generator per thread; jitter needs no cryptographic quality. */
static uint64_t jitter_rand(void)
{
	static _Thread_local uint64_t state;

	if (!state) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&state;
		if (!state)
			state = 0x9e3779b97f4a7c15ULL;
	}
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

long flyte__backoff_ms(unsigned attempt, long initial_ms, long max_ms)
{
	long d = initial_ms > 0 ? initial_ms : 1;

	if (max_ms < d)
		max_ms = d;
	for (unsigned i = 0; i < attempt && d < max_ms; i++)
		d = d > max_ms / 2 ? max_ms : d * 2;
	if (d > max_ms)
		d = max_ms;
	return d / 2 + (long)(jitter_rand() % (uint64_t)(d - d / 2 + 1));
}
