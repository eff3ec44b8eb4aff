/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ticker.c - the Ticker pack's schedule: boundaries aligned to the
 * wall-clock minute (or interval), catch-up after missed boundaries, no
 * duplicates when the clock goes back, the payload format and the queue of
 * unsent ticks.
 */
#include "fl-common.h"

#include "fltest.h"
#include "ticker.h"

#define S(x) ((int64_t)(x) * TICKER_NS_PER_SEC)
/* 2024-03-01T12:34:00Z */
#define T0 S(1709296440)

FLT_TEST(next_boundary_is_the_next_whole_minute)
{
	FLT_EQ_INT(T0 % S(60), 0);
	FLT_EQ_INT(ticker_next_boundary(T0, 60), T0 + S(60)); /* exactly on a boundary: the next one */
	FLT_EQ_INT(ticker_next_boundary(T0 + 1, 60), T0 + S(60));
	FLT_EQ_INT(ticker_next_boundary(T0 + S(59) + 999999999, 60), T0 + S(60));
	FLT_EQ_INT(ticker_next_boundary(T0 + S(60), 60), T0 + S(120));
	/* other intervals align to their own multiples */
	FLT_EQ_INT(ticker_next_boundary(T0 + S(7), 5), T0 + S(10));
	FLT_EQ_INT(ticker_next_boundary(T0 + S(7), 1), T0 + S(8));
	FLT_EQ_INT(ticker_next_boundary(-1, 60), 0);
}

FLT_TEST(due_emits_each_boundary_once)
{
	int64_t out[8];

	/* nothing due before the next boundary */
	FLT_EQ_INT(ticker_due(T0, T0 + S(59), 60, out, 8), 0);
	/* the boundary itself is due the moment the clock reaches it */
	FLT_EQ_INT(ticker_due(T0, T0 + S(60), 60, out, 8), 1);
	FLT_EQ_INT(out[0], T0 + S(60));
	/* waking late within the minute still yields that minute, once */
	FLT_EQ_INT(ticker_due(T0, T0 + S(60) + 123456789, 60, out, 8), 1);
	FLT_EQ_INT(out[0], T0 + S(60));
	FLT_EQ_INT(ticker_due(T0 + S(60), T0 + S(60) + 123456789, 60, out, 8), 0);
}

FLT_TEST(due_catches_up_missed_minutes)
{
	int64_t out[8];

	/* suspended for 3.5 minutes: three boundaries, oldest first */
	FLT_EQ_INT(ticker_due(T0, T0 + S(210), 60, out, 8), 3);
	FLT_EQ_INT(out[0], T0 + S(60));
	FLT_EQ_INT(out[1], T0 + S(120));
	FLT_EQ_INT(out[2], T0 + S(180));
	/* more than fit: the newest are kept */
	FLT_EQ_INT(ticker_due(T0, T0 + S(600), 60, out, 4), 4);
	FLT_EQ_INT(out[0], T0 + S(420));
	FLT_EQ_INT(out[3], T0 + S(600));
	FLT_EQ_INT(ticker_due(T0, T0 + S(600), 60, out, 0), 0);
}

FLT_TEST(clock_going_back_emits_nothing_twice)
{
	int64_t out[8];

	FLT_EQ_INT(ticker_due(T0 + S(600), T0, 60, out, 8), 0);
	FLT_EQ_INT(ticker_due(T0 + S(600), T0 + S(600), 60, out, 8), 0);
	FLT_EQ_INT(ticker_due(T0 + S(600), T0 + S(660), 60, out, 8), 1);
	FLT_EQ_INT(out[0], T0 + S(660));
}

FLT_TEST(payload_is_rfc3339_utc_with_fraction)
{
	char buf[96];

	ticker_payload(T0 + S(60), buf, sizeof(buf));
	FLT_EQ_STR(buf, "{\"time\":\"2024-03-01T12:35:00.000000000Z\"}");
	ticker_payload(T0 + 765525000, buf, sizeof(buf));
	FLT_EQ_STR(buf, "{\"time\":\"2024-03-01T12:34:00.765525000Z\"}");
}

FLT_TEST(queue_keeps_order_and_drops_oldest_when_full)
{
	static struct ticker_queue q;
	int64_t t;

	memset(&q, 0, sizeof(q));
	FLT_ASSERT(!ticker_queue_peek(&q, &t));
	for (int i = 0; i < TICKER_MAX_PENDING + 3; i++)
		ticker_queue_push(&q, i);
	FLT_EQ_INT(q.n, TICKER_MAX_PENDING);
	FLT_EQ_INT(q.dropped, 3);
	FLT_ASSERT(ticker_queue_peek(&q, &t));
	FLT_EQ_INT(t, 3);
	ticker_queue_pop(&q);
	FLT_ASSERT(ticker_queue_peek(&q, &t));
	FLT_EQ_INT(t, 4);
	while (q.n)
		ticker_queue_pop(&q);
	ticker_queue_pop(&q);
	FLT_EQ_INT(q.n, 0);
}

FLT_MAIN(next_boundary_is_the_next_whole_minute, due_emits_each_boundary_once, due_catches_up_missed_minutes,
	 clock_going_back_emits_nothing_twice, payload_is_rfc3339_utc_with_fraction,
	 queue_keeps_order_and_drops_oldest_when_full)
