// SPDX-License-Identifier: Apache-2.0
/*
 * guard.c - the connection guard: request head and body deadlines, timers
 * for suspended connections, and the heap trim after a burst of
 * connections (see guard.h).
 */
#include "fl-common.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "alloc.h"
#include "http/guard.h"
#include "http/response.h"
#include "log.h"
#include "timeutil.h"

struct fl_guard {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool stopping;
	int64_t period_ns;
	int64_t header_ns, body_ns;
	unsigned header_sec, body_sec;
	struct fl_guard_conn head; /* list sentinel */
	int64_t next_wake_ns;      /* earliest timer, 0 = none */
	size_t nconns;             /* connections in the list */
	size_t peak;               /* most connections at once since the last trim */
	atomic_size_t trims;       /* heap trims done */
	/* the 408 answers written before closing a plain-HTTP connection */
	char *answer[3];
	size_t answer_len[3];
};

/* A complete 408 with the JSON error body of response.c and Connection: close. */
static char *make_answer(const char *msg, size_t *len)
{
	struct fl_response r;
	struct fl_buf b = FL_BUF_INIT(0);
	char *out;

	fl_response_init(&r);
	fl_response_error(&r, 408, msg);
	fl_buf_addf(&b,
		    "HTTP/1.1 408 %s\r\nConnection: close\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		    fl_response_reason(408), r.content_type ? r.content_type : "application/json", r.body.len);
	fl_buf_add(&b, r.body.ptr, r.body.len);
	fl_response_release(&r);
	out = fl_buf_detach(&b, len);
	return out;
}

/*
 * Called with the lock held.  True when a burst of connections closed since
 * the last trim: at least FL_GUARD_TRIM_CLOSED fewer than at the peak, and
 * at most half of the peak left.  A steady flow of connections (as many
 * opened as closed) never trims.
 */
static bool burst_closed(struct fl_guard *g)
{
	if (g->peak - g->nconns < FL_GUARD_TRIM_CLOSED || g->nconns > g->peak / 2)
		return false;
	g->peak = g->nconns;
	return true;
}

/*
 * Give the free pages inside the heap back to the kernel.  glibc returns
 * only the top of an arena by itself; the memory of closed connections
 * (libmicrohttpd's pools of 32 KiB or less are malloc'ed) lies in between
 * and would stay resident.  The walk locks one arena at a time; it runs
 * here, never on a thread that serves requests.
 */
static void trim_heap(struct fl_guard *g)
{
	int64_t t0 = fl_time_mono_ns();

#if defined(__GLIBC__)
	malloc_trim(0);
#endif
	atomic_fetch_add_explicit(&g->trims, 1, memory_order_relaxed);
	FL_LOG_D(NULL, "connections closed: free heap pages returned to the kernel in %.3f ms",
		 (double)(fl_time_mono_ns() - t0) / 1e6);
}

static void timespec_at(struct timespec *ts, int64_t mono_ns)
{
	ts->tv_sec = (time_t)(mono_ns / FL_NS_PER_SEC);
	ts->tv_nsec = (long)(mono_ns % FL_NS_PER_SEC);
}

size_t fl_guard_scan(struct fl_guard *g, int64_t now_ns)
{
	size_t closed[3] = { 0, 0, 0 };
	int64_t next = 0;
	bool trim;

	pthread_mutex_lock(&g->lock);
	for (struct fl_guard_conn *c = g->head.next; c != &g->head; c = c->next) {
		int_least64_t d = atomic_load_explicit(&c->deadline_ns, memory_order_acquire);

		if (c->wake_ns) {
			if (c->wake_ns <= now_ns) {
				fl_guard_wake_fn wake = c->wake;
				c->wake_ns = 0;
				c->wake = NULL;
				/* the connection is suspended: it cannot go away while its timer is set */
				wake(c);
			} else if (!next || c->wake_ns < next) {
				next = c->wake_ns;
			}
		}
		if (d && d <= now_ns &&
		    atomic_compare_exchange_strong_explicit(&c->deadline_ns, &d, 0, memory_order_acq_rel,
							    memory_order_relaxed)) {
			int phase = atomic_load_explicit(&c->phase, memory_order_relaxed);

			if (phase != FL_GUARD_HEAD && phase != FL_GUARD_BODY)
				continue;
			atomic_store_explicit(&c->expired, phase, memory_order_relaxed);
			if (!c->tls)
				(void)send(c->fd, g->answer[phase], g->answer_len[phase], MSG_DONTWAIT | MSG_NOSIGNAL);
			shutdown(c->fd, SHUT_RDWR);
			closed[phase]++;
		}
	}
	g->next_wake_ns = next;
	trim = burst_closed(g);
	pthread_mutex_unlock(&g->lock);
	if (trim)
		trim_heap(g);
	if (closed[FL_GUARD_HEAD] || closed[FL_GUARD_BODY])
		FL_LOG_I(NULL,
			 "closed %zu connections whose request headers took longer than %u s and %zu whose body took "
			 "longer than %u s (408)",
			 closed[FL_GUARD_HEAD], g->header_sec, closed[FL_GUARD_BODY], g->body_sec);
	return closed[FL_GUARD_HEAD] + closed[FL_GUARD_BODY];
}

static void *guard_main(void *arg)
{
	struct fl_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		int64_t now, until;
		struct timespec ts;

		pthread_mutex_unlock(&g->lock);
		now = fl_time_mono_ns();
		fl_guard_scan(g, now);
		pthread_mutex_lock(&g->lock);
		until = now + g->period_ns;
		if (g->next_wake_ns && g->next_wake_ns < until)
			until = g->next_wake_ns;
		if (g->stopping)
			break;
		timespec_at(&ts, until);
		pthread_cond_timedwait(&g->cond, &g->lock, &ts);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int fl_guard_start(struct fl_guard **out, const struct fl_guard_config *cfg, struct fl_error *err)
{
	struct fl_guard *g = fl_xcalloc(1, sizeof(*g));
	pthread_condattr_t ca;
	char msg[96];
	int rc;

	*out = NULL;
	g->period_ns = cfg->period_ns > 0 ? cfg->period_ns : 500 * FL_NS_PER_MS;
	g->header_sec = cfg->header_timeout_sec;
	g->body_sec = cfg->body_timeout_sec;
	g->header_ns = (int64_t)cfg->header_timeout_sec * FL_NS_PER_SEC;
	g->body_ns = (int64_t)cfg->body_timeout_sec * FL_NS_PER_SEC;
	g->head.next = g->head.prev = &g->head;
	snprintf(msg, sizeof(msg), "request headers not received within %u s", cfg->header_timeout_sec);
	g->answer[FL_GUARD_HEAD] = make_answer(msg, &g->answer_len[FL_GUARD_HEAD]);
	snprintf(msg, sizeof(msg), "request body not received within %u s", cfg->body_timeout_sec);
	g->answer[FL_GUARD_BODY] = make_answer(msg, &g->answer_len[FL_GUARD_BODY]);
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&g->thread, NULL, guard_main, g);
	if (rc) {
		pthread_cond_destroy(&g->cond);
		pthread_mutex_destroy(&g->lock);
		free(g->answer[FL_GUARD_HEAD]);
		free(g->answer[FL_GUARD_BODY]);
		free(g);
		return fl_error_set(err, FL_ERROR, "cannot start the connection guard thread: %s", strerror(rc));
	}
	*out = g;
	return FL_OK;
}

void fl_guard_stop(struct fl_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = true;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g->answer[FL_GUARD_HEAD]);
	free(g->answer[FL_GUARD_BODY]);
	free(g);
}

void fl_guard_add(struct fl_guard *g, struct fl_guard_conn *c, int fd, bool tls)
{
	c->fd = fd;
	c->tls = tls;
	c->wake_ns = 0;
	c->wake = NULL;
	pthread_mutex_lock(&g->lock);
	c->next = &g->head;
	c->prev = g->head.prev;
	g->head.prev->next = c;
	g->head.prev = c;
	if (++g->nconns > g->peak)
		g->peak = g->nconns;
	pthread_mutex_unlock(&g->lock);
}

void fl_guard_remove(struct fl_guard *g, struct fl_guard_conn *c)
{
	pthread_mutex_lock(&g->lock);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->next = c->prev = NULL;
	c->wake_ns = 0;
	g->nconns--;
	pthread_mutex_unlock(&g->lock);
}

void fl_guard_wake_at(struct fl_guard *g, struct fl_guard_conn *c, int64_t at_ns, fl_guard_wake_fn wake)
{
	if (at_ns <= 0)
		at_ns = 1;
	pthread_mutex_lock(&g->lock);
	c->wake_ns = at_ns;
	c->wake = wake;
	if (!g->next_wake_ns || at_ns < g->next_wake_ns) {
		g->next_wake_ns = at_ns;
		pthread_cond_signal(&g->cond);
	}
	pthread_mutex_unlock(&g->lock);
}

size_t fl_guard_trims(struct fl_guard *g)
{
	return atomic_load_explicit(&g->trims, memory_order_relaxed);
}

int64_t fl_guard_header_ns(const struct fl_guard *g)
{
	return g->header_ns;
}

int64_t fl_guard_body_ns(const struct fl_guard *g)
{
	return g->body_ns;
}
