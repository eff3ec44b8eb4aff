/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ticker.h - the Ticker pack: a "Tick" event at every wall-clock minute
 * (or every multiple of FLYTE_TICKER_INTERVAL_SEC), never skipping one.
 */
#ifndef TICKER_PACK_H
#define TICKER_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flyte.h>

#define TICKER_NS_PER_SEC INT64_C(1000000000)
/* Ticks kept while the server cannot be reached (a day of minutes). */
#define TICKER_MAX_PENDING 1440

/*
 * The first tick boundary strictly after now_ns: the next multiple of
 * interval_sec seconds since the Unix epoch (for 60, the next :00 second of
 * the wall clock).
 */
int64_t ticker_next_boundary(int64_t now_ns, long interval_sec);

/*
 * The boundaries to emit when the clock reads now_ns and the last emitted
 * boundary was last_ns: every boundary b with last_ns < b <= now_ns, oldest
 * first, at most max of them (the newest are kept if more are due, e.g.
 * after a long suspend).  A clock that went backwards yields nothing until
 * it passes last_ns again, so no minute is emitted twice.  Returns how many
 * were written to out.
 */
size_t ticker_due(int64_t last_ns, int64_t now_ns, long interval_sec, int64_t *out, size_t max);

/* The Tick payload for a tick at t_ns: {"time":"<RFC 3339, UTC, ns>"}. */
void ticker_payload(int64_t t_ns, char *buf, size_t len);

/* A queue of ticks not yet accepted by the server. */
struct ticker_queue {
	int64_t t[TICKER_MAX_PENDING];
	size_t head, n;
	size_t dropped; /* oldest ticks discarded because the queue was full */
};

void ticker_queue_push(struct ticker_queue *q, int64_t t_ns);
bool ticker_queue_peek(const struct ticker_queue *q, int64_t *t_ns);
void ticker_queue_pop(struct ticker_queue *q);

struct ticker {
	struct flyte_pack *pack;
	long interval_sec;
	int wake_fd; /* readable when the ticker must stop */
	long retry_initial_ms, retry_max_ms;
};

/*
 * The defaults (a tick a minute, retries from 200 ms to 10 s) and
 * FLYTE_TICKER_INTERVAL_SEC (1..86400).  Returns 0, or -1 with a message in
 * err.
 */
int ticker_from_env(struct ticker *t, char *err, size_t errlen);

/* Emit ticks until wake_fd becomes readable.  Returns 0. */
int ticker_loop(struct ticker *t);

#endif
