/* SPDX-License-Identifier: Apache-2.0 */
/*
 * longpoll.c - black-box tests of long-polling takes (FLYTE_TAKE_WAIT_MS).
 *
 * A take parked before any action exists is answered 200 with the action
 * as soon as an event creates one (wake-up, not a re-check at the end of
 * the wait: the wait is set to the 9 s maximum and the take must still be
 * parked when the event is posted); with nothing to take the answer is 204
 * after the wait; an unknown pack is 404; when many takes are parked, one
 * event's action goes to exactly one of them; a parked take filtered on
 * another command is not handed the action; a parked take whose client
 * gave up does not swallow the next action.
 *
 * Takes run in threads.  A take is known to have reached the server when
 * the pack's lastSeen changes (every take refreshes it, spec §g); no test
 * asserts how long anything took.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>

#define LONG_WAIT_MS 9000
#define MID_WAIT_MS 5000
#define PARKED 8

static struct flh_server *g_long, *g_mid, *g_short;
static bool g_long_failed, g_mid_failed, g_short_failed;

static struct flh_server *get(struct flh_server **s, bool *failed, int wait_ms)
{
	if (!*s && !*failed) {
		*s = api_start(wait_ms, NULL);
		*failed = *s == NULL;
	}
	FLH_ASSERT_MSG(*s, "the server did not start");
	return *s;
}

static void setup_flow(struct flh_server *s, const char *flow, struct flh_pack *src, const char *src_def,
		       struct flh_pack *worker, const char *worker_def)
{
	FLH_EQ_INT(flh_pack_register(src, s, src_def), 201);
	FLH_EQ_INT(flh_pack_register(worker, s, worker_def), 201);
	FLH_EQ_INT(api_post_flow(s, flow), 201);
}

FLT_TEST(parked_take_is_woken_by_event)
{
	static const char flow[] =
		"{\"name\":\"lp_flow\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"LpSrc\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"LpWorker\",\"name\":\"Job\",\"input\":\"{{ Event.Payload.id }}\"}}]}";
	struct flh_server *s = get(&g_long, &g_long_failed, LONG_WAIT_MS);
	struct flh_pack src, worker;
	struct api_taker t;

	setup_flow(s, flow, &src, "{\"name\":\"LpSrc\"}", &worker,
		   "{\"name\":\"LpWorker\",\"commands\":[{\"name\":\"Job\"}]}");
	api_taker_park(&t, &worker, NULL);
	FLH_ASSERT_MSG(!atomic_load(&t.done), "the take returned %ld before any event was posted", t.status);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{\"id\":\"wake-1\"}"), 202);
	pthread_join(t.th, NULL);
	FLH_EQ_INT(t.status, 200);
	FLH_EQ_STR(t.a.command, "Job");
	FLH_EQ_STR(json_string_value(t.a.input), "wake-1");
	FLH_ASSERT(t.a.result_href != NULL);
	FLH_EQ_INT(flh_action_result(s, &t.a, "Done", NULL), 202);
	flh_action_release(&t.a);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

FLT_TEST(take_with_nothing_is_204_after_wait)
{
	struct flh_server *s = get(&g_short, &g_short_failed, 300);
	struct flh_pack p;
	struct flh_resp *r;
	FLH_EQ_INT(flh_pack_register(&p, s, "{\"name\":\"LpIdle\",\"commands\":[{\"name\":\"Job\"}]}"), 201);
	r = flh_post_json(s, p.take_href, "null");
	FLH_STATUS(r, 204);
	FLH_EQ_INT(r->body_len, 0);
	flh_resp_free(r);
	/* Empty body (Python client) and a commandName filter behave the same. */
	r = flh_send(s, "POST", p.take_href, NULL, NULL);
	FLH_STATUS(r, 204);
	flh_resp_free(r);
	r = flh_post_json(s, flh_path("%s?commandName=Job", p.take_href), "null");
	FLH_STATUS(r, 204);
	flh_resp_free(r);
	flh_pack_release(&p);
}

FLT_TEST(take_for_unknown_pack_is_404)
{
	struct flh_server *s = get(&g_short, &g_short_failed, 300);
	struct flh_resp *r = flh_post_json(s, "/v1/packs/NoSuchPack.env.x/actions/take", "null");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
}

FLT_TEST(one_event_goes_to_exactly_one_parked_take)
{
	static const char flow[] =
		"{\"name\":\"lp_many\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"LpSrc2\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"LpMany\",\"name\":\"Job\",\"input\":\"only-one\"}}]}";
	struct flh_server *s = get(&g_mid, &g_mid_failed, MID_WAIT_MS);
	struct flh_pack src, worker;
	struct api_taker t[PARKED];
	char *seen0;
	int ok = 0, empty = 0;

	setup_flow(s, flow, &src, "{\"name\":\"LpSrc2\"}", &worker, "{\"name\":\"LpMany\"}");
	seen0 = flh_pack_last_seen(&worker);
	FLH_ASSERT(seen0 != NULL);
	for (int i = 0; i < PARKED; i++)
		api_taker_start(&t[i], &worker, NULL);
	api_take_arrived(&worker, seen0);
	free(seen0);
	FLH_EQ_INT(flh_pack_event(&src, "Go", NULL), 202);
	for (int i = 0; i < PARKED; i++)
		pthread_join(t[i].th, NULL);
	for (int i = 0; i < PARKED; i++) {
		if (t[i].status == 200) {
			ok++;
			FLH_EQ_STR(t[i].a.command, "Job");
			FLH_EQ_STR(json_string_value(t[i].a.input), "only-one");
		} else if (t[i].status == 204) {
			empty++;
		} else {
			printf("# take %d answered %ld\n", i, t[i].status);
		}
	}
	for (int i = 0; i < PARKED; i++)
		flh_action_release(&t[i].a);
	FLH_EQ_INT(ok, 1);
	FLH_EQ_INT(empty, PARKED - 1);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

FLT_TEST(parked_take_filtered_on_other_command_is_not_served)
{
	static const char flow[] =
		"{\"name\":\"lp_filter\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"LpSrc3\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"LpFilter\",\"name\":\"Job\"}}]}";
	struct flh_server *s = get(&g_mid, &g_mid_failed, MID_WAIT_MS);
	struct flh_pack src, worker;
	struct flh_action a;
	struct api_taker t;

	setup_flow(s, flow, &src, "{\"name\":\"LpSrc3\"}", &worker,
		   "{\"name\":\"LpFilter\",\"commands\":[{\"name\":\"Job\"},{\"name\":\"Other\"}]}");
	api_taker_park(&t, &worker, "commandName=Other");
	FLH_EQ_INT(flh_pack_event(&src, "Go", NULL), 202);
	pthread_join(t.th, NULL);
	if (t.status == 200)
		printf("# the take filtered on Other got %s\n", t.a.command ? t.a.command : "-");
	FLH_EQ_INT(t.status, 204);
	flh_action_release(&t.a);
	FLH_EQ_INT(flh_pack_take_wait(&worker, "commandName=Job", &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a.command, "Job");
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

FLT_TEST(abandoned_parked_take_does_not_swallow_action)
{
	static const char flow[] =
		"{\"name\":\"lp_abandon\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"LpSrc4\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"LpAbandon\",\"name\":\"Job\",\"input\":\"kept\"}}]}";
	struct flh_server *s = get(&g_long, &g_long_failed, LONG_WAIT_MS);
	struct flh_pack src, worker;
	struct flh_req req = { .method = "POST", .body = "null", .content_type = "application/json",
			       .timeout_ms = 1500 };
	struct flh_resp *r;
	struct flh_action a;

	setup_flow(s, flow, &src, "{\"name\":\"LpSrc4\"}", &worker, "{\"name\":\"LpAbandon\"}");
	/* A client that gives up on its parked take and goes away. */
	req.url = worker.take_href;
	r = flh_http(s, &req);
	FLH_ASSERT_MSG(r->status == 0, "the take answered %ld before the client gave up", r->status);
	flh_resp_free(r);
	/* The action created now must reach a live taker. */
	FLH_EQ_INT(flh_pack_event(&src, "Go", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a.command, "Job");
	FLH_EQ_STR(json_string_value(a.input), "kept");
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

/* ---- what clients with their own timeouts get ----------------------------- */

/* A server on the default wait (no FLYTE_TAKE_WAIT_MS). */
static struct flh_server *default_server(void)
{
	struct flh_server *s = NULL;

	FLH_ASSERT_MSG(flh_server_start(&s, NULL) == 0, "the server did not start");
	return s;
}

/* One idle take with a client-side timeout; returns the response (status 0 when the client timed out). */
static struct flh_resp *idle_take(struct flh_server *s, const char *pack, long client_timeout_ms, const char *prefer)
{
	const char *headers[] = { prefer, NULL };
	struct flh_req req = { .method = "POST", .url = flh_path("/v1/packs/%s/actions/take", pack),
			       .headers = prefer ? headers : NULL, .timeout_ms = client_timeout_ms };

	return flh_http(s, &req);
}

FLT_TEST(idle_take_fits_the_original_clients_timeouts)
{
	struct flh_server *s = default_server();
	struct flh_pack p = { 0 };
	struct flh_resp *r;

	FLH_EQ_INT(flh_pack_register(&p, s, "{\"name\":\"Idle\",\"commands\":[{\"name\":\"C\"}]}"), 201);
	/* the Python client's default timeout is 5 s, the Go client's 10 s: both get 204, not a timeout */
	r = idle_take(s, "Idle", 5000, NULL);
	FLH_EQ_INT(r->status, 204);
	FLH_ASSERT(flh_resp_header(r, "Preference-Applied") == NULL);
	flh_resp_free(r);
	r = idle_take(s, "Idle", 10000, NULL);
	FLH_EQ_INT(r->status, 204);
	flh_resp_free(r);
	flh_pack_release(&p);
	flh_server_free(s);
}

FLT_TEST(prefer_wait_sets_the_wait_of_a_take)
{
	struct flh_server *s = default_server();
	struct flh_pack p = { 0 };
	struct flh_resp *r;

	FLH_EQ_INT(flh_pack_register(&p, s, "{\"name\":\"Pref\",\"commands\":[{\"name\":\"C\"}]}"), 201);
	/* a client with a 2 s timeout asks for 1 s (RFC 7240) */
	r = idle_take(s, "Pref", 2000, "Prefer: wait=1");
	FLH_EQ_INT(r->status, 204);
	FLH_EQ_STR(flh_resp_header(r, "Preference-Applied"), "wait=1");
	flh_resp_free(r);
	/* other preferences and spacing are tolerated */
	r = idle_take(s, "Pref", 2000, "Prefer: respond-async, WAIT = 0");
	FLH_EQ_INT(r->status, 204);
	FLH_EQ_STR(flh_resp_header(r, "Preference-Applied"), "wait=0");
	flh_resp_free(r);
	/* more than the server allows is capped (FLYTE_TAKE_WAIT_MAX_MS, 9 s): the Go client's 10 s suffice */
	r = idle_take(s, "Pref", 10000, "Prefer: wait=600");
	FLH_EQ_INT(r->status, 204);
	FLH_EQ_STR(flh_resp_header(r, "Preference-Applied"), "wait=9");
	flh_resp_free(r);
	flh_pack_release(&p);
	flh_server_free(s);

	/* on a server with other limits: a number past any integer type is the cap (no
	 * overflow); a preference that is not a number is ignored (the default wait) */
	{
		static const char *const env[] = { "FLYTE_TAKE_WAIT_MS=500", "FLYTE_TAKE_WAIT_MAX_MS=1000", NULL };
		struct flh_server_opts o = { .env = env };
		FLH_ASSERT(flh_server_start(&s, &o) == 0);
	}
	FLH_EQ_INT(flh_pack_register(&p, s, "{\"name\":\"Pref\",\"commands\":[{\"name\":\"C\"}]}"), 201);
	r = idle_take(s, "Pref", 5000, "Prefer: wait=99999999999999999999999");
	FLH_EQ_INT(r->status, 204);
	FLH_EQ_STR(flh_resp_header(r, "Preference-Applied"), "wait=1");
	flh_resp_free(r);
	r = idle_take(s, "Pref", 5000, "Prefer: wait=soon");
	FLH_EQ_INT(r->status, 204);
	FLH_ASSERT(flh_resp_header(r, "Preference-Applied") == NULL);
	flh_resp_free(r);
	flh_pack_release(&p);
	flh_server_free(s);
}

FLT_MAIN(parked_take_is_woken_by_event, take_with_nothing_is_204_after_wait, take_for_unknown_pack_is_404,
	 one_event_goes_to_exactly_one_parked_take, parked_take_filtered_on_other_command_is_not_served,
	 abandoned_parked_take_does_not_swallow_action, idle_take_fits_the_original_clients_timeouts,
	 prefer_wait_sets_the_wait_of_a_take)
