/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guard.h - a thread that watches the server's connections for what
 * libmicrohttpd 0.9.75 does not bound itself.
 *
 * libmicrohttpd's timeout counts only silence: a client that sends one byte
 * of its request every few seconds keeps its connection forever.  The guard
 * knows every connection (fl_guard_add at accept, fl_guard_remove before
 * the socket is closed) and a deadline per connection that the transport
 * arms as the request advances: the head must be complete by one deadline,
 * the body by another; a connection that is being answered, or is
 * suspended waiting for the engine, has none.  Twice a second the guard
 * closes the connections whose deadline passed: on plain HTTP it first
 * writes a 408 with a JSON error body (nothing else is being written to the
 * socket in those phases), then shuts the socket down, which libmicrohttpd
 * sees as end-of-file and cleans up on its own thread.
 *
 * The guard also runs timers for suspended connections: fl_guard_wake_at()
 * calls the connection's wake callback on the guard thread at (or shortly
 * after) the given time; mhd.c resumes the connection there.
 *
 * And it gives the heap back after a burst: connections hold malloc'ed
 * memory (libmicrohttpd's pool, its connection, the request) that glibc
 * keeps resident once freed unless it lies at the top of an arena.  When a
 * scan sees that at least FL_GUARD_TRIM_CLOSED connections closed since the
 * peak and at most half of the peak remain, it calls malloc_trim(), which
 * returns the free pages inside the heap to the kernel.
 *
 * Threads: deadlines are atomics written by the connection's thread without
 * a lock; the list, the timers and the socket (which stays open until
 * fl_guard_remove returns) are under the guard's mutex.
 */
#ifndef FL_GUARD_H
#define FL_GUARD_H

#include <stdatomic.h>

#include "error.h"
#include "fl-common.h"

enum fl_guard_phase {
	FL_GUARD_NONE = 0, /* no deadline (answering, suspended) */
	FL_GUARD_HEAD,     /* receiving the request line and headers */
	FL_GUARD_BODY,     /* receiving the request body */
};

struct fl_guard_conn;

/* Connections that must close (from the peak, down to half of it or fewer) before the heap is trimmed. */
#define FL_GUARD_TRIM_CLOSED 256

typedef void (*fl_guard_wake_fn)(struct fl_guard_conn *c);

/* Embedded in the transport's per-connection state; zero it before fl_guard_add. */
struct fl_guard_conn {
	struct fl_guard_conn *prev, *next; /* under the guard's mutex */
	int fd;
	bool tls;
	atomic_int_least64_t deadline_ns; /* monotonic; 0 = none */
	atomic_int phase;                 /* enum fl_guard_phase of the deadline */
	atomic_int expired;               /* phase in which the guard closed it; 0 = never */
	int64_t wake_ns;                  /* timer, under the mutex; 0 = none */
	fl_guard_wake_fn wake;
};

struct fl_guard_config {
	unsigned header_timeout_sec;
	unsigned body_timeout_sec;
	int64_t period_ns; /* scan period; 0 = 500 ms */
};

struct fl_guard;

/* Start the guard thread.  FL_ERROR when the thread cannot be created. */
int fl_guard_start(struct fl_guard **out, const struct fl_guard_config *cfg, struct fl_error *err);
/* Stop the thread and free the guard.  No connection may still be added.  NULL-tolerant. */
void fl_guard_stop(struct fl_guard *g);

/* Watch a connection (fd stays valid until fl_guard_remove). */
void fl_guard_add(struct fl_guard *g, struct fl_guard_conn *c, int fd, bool tls);
/* Stop watching it; after this returns the guard no longer touches c or its fd. */
void fl_guard_remove(struct fl_guard *g, struct fl_guard_conn *c);

/* Arm (or clear, with FL_GUARD_NONE) the deadline of c; lock-free, from the connection's thread. */
static inline void fl_guard_arm(struct fl_guard_conn *c, enum fl_guard_phase phase, int64_t deadline_ns)
{
	atomic_store_explicit(&c->phase, (int)phase, memory_order_relaxed);
	atomic_store_explicit(&c->deadline_ns, phase == FL_GUARD_NONE ? 0 : deadline_ns, memory_order_release);
}

/* Call wake(c) on the guard thread once at_ns (monotonic) has passed. */
void fl_guard_wake_at(struct fl_guard *g, struct fl_guard_conn *c, int64_t at_ns, fl_guard_wake_fn wake);

/* The configured timeouts, in ns. */
int64_t fl_guard_header_ns(const struct fl_guard *g);
int64_t fl_guard_body_ns(const struct fl_guard *g);

/*
 * One pass at time now_ns (what the thread does each period): close
 * connections past their deadline, fire due timers, trim the heap after a
 * burst.  Returns the number of connections closed.  Exposed for tests.
 */
size_t fl_guard_scan(struct fl_guard *g, int64_t now_ns);

/* How many times the heap was trimmed after a burst (for tests). */
size_t fl_guard_trims(struct fl_guard *g);

#endif
