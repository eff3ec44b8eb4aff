// SPDX-License-Identifier: Apache-2.0
/*
 * guard.c - unit tests of the connection guard (src/http/guard.c) on
 * socket pairs: a connection past its head or body deadline gets the 408
 * answer and is shut down, one without a deadline or before it is left
 * alone, a TLS connection is shut down without a plain-text answer,
 * timers fire once, and the heap is trimmed once after a burst of
 * connections closed, never while as many open as close.  Scans are driven with explicit times (the thread's
 * own scans use the real clock, far behind the times used here).
 */
#include "fl-common.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fltest.h"
#include "http/guard.h"
#include "timeutil.h"

#define SEC FL_NS_PER_SEC

/* Everything readable on fd now ("" if nothing); EOF appends "<EOF>". */
static void drain(int fd, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		if (poll(&p, 1, 0) <= 0)
			break;
		r = recv(fd, out + n, len - 1 - n, MSG_DONTWAIT);
		if (r <= 0) {
			snprintf(out + n, len - n, "<EOF>");
			return;
		}
		n += (size_t)r;
		out[n] = '\0';
		if (n + 1 >= len)
			break;
	}
}

static struct fl_guard *start(void)
{
	struct fl_guard_config cfg = { 10, 60, 3600 * SEC };
	struct fl_error err = FL_ERROR_INIT;
	struct fl_guard *g = NULL;

	FLT_EQ_INT(fl_guard_start(&g, &cfg, &err), FL_OK);
	return g;
}

FLT_TEST(test_head_deadline)
{
	struct fl_guard *g = start();
	struct fl_guard_conn a, b;
	int sa[2], sb[2];
	char buf[512];
	int64_t t0 = fl_time_mono_ns() + 1000 * SEC; /* far ahead of the thread's own clock */

	FLT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sa) == 0);
	FLT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sb) == 0);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	fl_guard_add(g, &a, sa[0], false);
	fl_guard_add(g, &b, sb[0], false);
	fl_guard_arm(&a, FL_GUARD_HEAD, t0 + fl_guard_header_ns(g));
	fl_guard_arm(&b, FL_GUARD_NONE, 0);
	FLT_EQ_INT(fl_guard_scan(g, t0 + 9 * SEC), 0);
	drain(sa[1], buf, sizeof(buf));
	FLT_EQ_STR(buf, "");
	FLT_EQ_INT(fl_guard_scan(g, t0 + 11 * SEC), 1);
	drain(sa[1], buf, sizeof(buf));
	FLT_ASSERT(strncmp(buf, "HTTP/1.1 408 Request Timeout\r\n", 30) == 0);
	FLT_ASSERT(strstr(buf, "Connection: close\r\n") != NULL);
	FLT_ASSERT(strstr(buf, "{\"error\":\"request headers not received within 10 s\",\"status\":408}<EOF>") != NULL);
	FLT_EQ_INT(atomic_load(&a.expired), FL_GUARD_HEAD);
	/* only once */
	FLT_EQ_INT(fl_guard_scan(g, t0 + 12 * SEC), 0);
	/* the connection without a deadline is untouched */
	drain(sb[1], buf, sizeof(buf));
	FLT_EQ_STR(buf, "");
	FLT_EQ_INT(atomic_load(&b.expired), 0);
	fl_guard_remove(g, &a);
	fl_guard_remove(g, &b);
	fl_guard_stop(g);
	close(sa[0]);
	close(sa[1]);
	close(sb[0]);
	close(sb[1]);
}

FLT_TEST(test_body_deadline_and_tls)
{
	struct fl_guard *g = start();
	struct fl_guard_conn a, t;
	int sa[2], st[2];
	char buf[512];
	int64_t t0 = fl_time_mono_ns() + 1000 * SEC;

	FLT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sa) == 0);
	FLT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, st) == 0);
	memset(&a, 0, sizeof(a));
	memset(&t, 0, sizeof(t));
	fl_guard_add(g, &a, sa[0], false);
	fl_guard_add(g, &t, st[0], true);
	fl_guard_arm(&a, FL_GUARD_BODY, t0 + fl_guard_body_ns(g));
	fl_guard_arm(&t, FL_GUARD_HEAD, t0 + fl_guard_header_ns(g));
	FLT_EQ_INT(fl_guard_scan(g, t0 + 30 * SEC), 1); /* the TLS head */
	drain(st[1], buf, sizeof(buf));
	FLT_EQ_STR(buf, "<EOF>");
	FLT_EQ_INT(fl_guard_scan(g, t0 + 61 * SEC), 1); /* the body */
	drain(sa[1], buf, sizeof(buf));
	FLT_ASSERT(strstr(buf, "request body not received within 60 s") != NULL);
	FLT_EQ_INT(atomic_load(&a.expired), FL_GUARD_BODY);
	/* re-armed (next request) after being cleared: not closed again before its time */
	fl_guard_remove(g, &a);
	fl_guard_remove(g, &t);
	fl_guard_stop(g);
	close(sa[0]);
	close(sa[1]);
	close(st[0]);
	close(st[1]);
}

static atomic_int woken;

static void on_wake(struct fl_guard_conn *c)
{
	(void)c;
	woken++;
}

FLT_TEST(test_timer)
{
	struct fl_guard *g = start();
	struct fl_guard_conn c;
	int s[2];
	int64_t t0 = fl_time_mono_ns() + 1000 * SEC;

	FLT_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0);
	memset(&c, 0, sizeof(c));
	fl_guard_add(g, &c, s[0], false);
	atomic_store(&woken, 0);
	fl_guard_wake_at(g, &c, t0 + SEC, on_wake);
	fl_guard_scan(g, t0);
	FLT_EQ_INT(woken, 0);
	fl_guard_scan(g, t0 + SEC);
	FLT_EQ_INT(woken, 1);
	fl_guard_scan(g, t0 + 2 * SEC);
	FLT_EQ_INT(woken, 1);
	/* the guard thread fires a timer that is due now by itself */
	fl_guard_wake_at(g, &c, fl_time_mono_ns(), on_wake);
	for (int i = 0; i < 500 && woken < 2; i++)
		usleep(10 * 1000);
	FLT_EQ_INT(woken, 2);
	fl_guard_remove(g, &c);
	fl_guard_stop(g);
	close(s[0]);
	close(s[1]);
}

FLT_TEST(test_trim_after_burst)
{
	enum { N = FL_GUARD_TRIM_CLOSED * 2 };
	struct fl_guard *g = start();
	struct fl_guard_conn *c = calloc(N, sizeof(*c));
	int64_t t0 = fl_time_mono_ns() + 1000 * SEC;

	FLT_ASSERT(c != NULL);
	/* a steady flow: one open at a time, many more than the threshold in all */
	for (int i = 0; i < N; i++) {
		fl_guard_add(g, &c[0], -1, false);
		fl_guard_remove(g, &c[0]);
		fl_guard_scan(g, t0);
	}
	FLT_EQ_INT(fl_guard_trims(g), 0);
	/* a burst: N open, half of them close: not yet (half still open is not "at most half") */
	for (int i = 0; i < N; i++)
		fl_guard_add(g, &c[i], -1, false);
	for (int i = 0; i < FL_GUARD_TRIM_CLOSED - 1; i++)
		fl_guard_remove(g, &c[i]);
	fl_guard_scan(g, t0);
	FLT_EQ_INT(fl_guard_trims(g), 0);
	fl_guard_remove(g, &c[FL_GUARD_TRIM_CLOSED - 1]);
	fl_guard_scan(g, t0); /* the guard thread may have seen it first: either way once */
	FLT_EQ_INT(fl_guard_trims(g), 1);
	/* the rest close: measured from the new peak, FL_GUARD_TRIM_CLOSED again */
	for (int i = FL_GUARD_TRIM_CLOSED; i < N - 1; i++)
		fl_guard_remove(g, &c[i]);
	fl_guard_scan(g, t0);
	FLT_EQ_INT(fl_guard_trims(g), 1);
	fl_guard_remove(g, &c[N - 1]);
	fl_guard_scan(g, t0);
	FLT_EQ_INT(fl_guard_trims(g), 2);
	fl_guard_stop(g);
	free(c);
}

FLT_MAIN(test_head_deadline, test_body_deadline_and_tls, test_timer, test_trim_after_burst)
