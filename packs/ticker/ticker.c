/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ticker.c - tick scheduling of the Ticker pack.
 *
 * The Go pack ticked every 60 s from its start, so a tick could fall at any
 * second and a failed POST lost that minute.  Here ticks are aligned to the
 * wall clock: the loop sleeps until the next multiple of the interval since
 * the epoch (re-reading the clock after every wake-up, so an early wake-up
 * never emits early), queues one tick per boundary that has passed (a
 * suspended process catches up on every missed minute) and sends the queue
 * oldest first.  A tick that cannot be sent stays queued and is retried with
 * backoff; its "time" is the minute it stands for, not the time it finally
 * got through, so cron-style criteria still match the right minute.
 */
#include "fl-common.h"

#include <poll.h>

#include "packenv.h"
#include "ticker.h"
#include "timeutil.h"

int64_t ticker_next_boundary(int64_t now_ns, long interval_sec)
{
	int64_t step = (int64_t)interval_sec * TICKER_NS_PER_SEC;
	int64_t q = now_ns / step;

	if (now_ns < 0 && now_ns % step)
		q--; /* floor for times before the epoch */
	return (q + 1) * step;
}

size_t ticker_due(int64_t last_ns, int64_t now_ns, long interval_sec, int64_t *out, size_t max)
{
	int64_t step = (int64_t)interval_sec * TICKER_NS_PER_SEC;
	int64_t newest = ticker_next_boundary(now_ns, interval_sec) - step; /* latest boundary <= now */
	int64_t first = ticker_next_boundary(last_ns, interval_sec);      /* first boundary > last */
	size_t n = 0;

	if (!max || first > newest)
		return 0;
	if ((newest - first) / step + 1 > (int64_t)max)
		first = newest - (int64_t)(max - 1) * step;
	for (int64_t t = first; t <= newest; t += step)
		out[n++] = t;
	return n;
}

void ticker_payload(int64_t t_ns, char *buf, size_t len)
{
	char date[48];

	fl_time_format_rfc3339(date, sizeof(date), t_ns, 0, 9);
	snprintf(buf, len, "{\"time\":\"%s\"}", date);
}

int ticker_from_env(struct ticker *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	t->interval_sec = 60;
	t->wake_fd = -1;
	t->retry_initial_ms = 200;
	t->retry_max_ms = 10000;
	return packenv_long("FLYTE_TICKER_INTERVAL_SEC", 1, 86400, &t->interval_sec, err, errlen);
}

void ticker_queue_push(struct ticker_queue *q, int64_t t_ns)
{
	if (q->n == TICKER_MAX_PENDING) {
		q->head = (q->head + 1) % TICKER_MAX_PENDING;
		q->n--;
		q->dropped++;
	}
	q->t[(q->head + q->n) % TICKER_MAX_PENDING] = t_ns;
	q->n++;
}

bool ticker_queue_peek(const struct ticker_queue *q, int64_t *t_ns)
{
	if (!q->n)
		return false;
	*t_ns = q->t[q->head];
	return true;
}

void ticker_queue_pop(struct ticker_queue *q)
{
	if (!q->n)
		return;
	q->head = (q->head + 1) % TICKER_MAX_PENDING;
	q->n--;
}

static int64_t mono_ms(void)
{
	return fl_time_mono_ns() / FL_NS_PER_MS;
}

/* Sleep up to ns nanoseconds; true if the stop fd became readable. */
static bool wait_or_stop(int fd, int64_t ns)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct timespec ts;

	if (ns < 0)
		ns = 0;
	ts.tv_sec = (time_t)(ns / TICKER_NS_PER_SEC);
	ts.tv_nsec = (long)(ns % TICKER_NS_PER_SEC);
	return ppoll(&pfd, 1, &ts, NULL) > 0;
}

int ticker_loop(struct ticker *t)
{
	static struct ticker_queue q;        /* large; one ticker per process */
	static int64_t due[TICKER_MAX_PENDING];
	int64_t step = (int64_t)t->interval_sec * TICKER_NS_PER_SEC;
	int64_t last, retry_at = 0;
	unsigned fails = 0;
	char payload[96];

	memset(&q, 0, sizeof(q));
	/* The boundary just passed is not emitted: the first tick is the next one. */
	last = ticker_next_boundary(fl_time_now_ns(), t->interval_sec) - step;
	for (;;) {
		int64_t now, next, sleep_ns, tick;
		size_t n = ticker_due(last, fl_time_now_ns(), t->interval_sec, due, TICKER_MAX_PENDING);

		for (size_t i = 0; i < n; i++)
			ticker_queue_push(&q, due[i]);
		if (n)
			last = due[n - 1];

		while (ticker_queue_peek(&q, &tick) && mono_ms() >= retry_at) {
			int rc;
			ticker_payload(tick, payload, sizeof(payload));
			rc = flyte_pack_send_event(t->pack, "Tick", payload);
			if (rc == FLYTE_OK || rc == FLYTE_EINVALID) {
				ticker_queue_pop(&q); /* sent, or can never be accepted */
				fails = 0;
				continue;
			}
			if (rc == FLYTE_ECANCELLED)
				return 0;
			long d = t->retry_initial_ms << (fails < 6 ? fails : 6);
			retry_at = mono_ms() + (d > t->retry_max_ms ? t->retry_max_ms : d);
			fails++;
		}

		now = fl_time_now_ns();
		next = ticker_next_boundary(now, t->interval_sec);
		if (next - step > last)
			continue; /* a boundary passed while sending */
		sleep_ns = next - now;
		if (q.n) {
			int64_t r = (retry_at - mono_ms()) * 1000000;
			if (r < sleep_ns)
				sleep_ns = r;
		}
		if (wait_or_stop(t->wake_fd, sleep_ns))
			return 0;
	}
}
