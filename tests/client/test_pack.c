/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pack.c - libflyte's pack behaviour against a scripted server
 * (minifly): the action round trip, FATAL results, re-registration after a
 * 404, retried result posts, a server that is down at start or restarts
 * mid-run, bounded event retries, attach mode, graceful stop; leases:
 * what the registration declares, heartbeats while a handler runs (and
 * only then), transient heartbeat failures, a lost lease.
 */
#include "fl-common.h"

#include <pthread.h>
#include <unistd.h>

#include <jansson.h>

#include "fltest.h"
#include "internal.h"
#include "minifly.h"

#define WAIT_MS 15000

static struct minifly mf;
static char sbuf[4096];
static struct flyte_client *client;
static struct flyte_pack *pack;
static atomic_int active, max_active;
static atomic_bool gate_open;
static atomic_long seen_attempt;
static atomic_int seen_lost;

static void fast_options(struct flyte_pack_options *po)
{
	flyte_pack_options_init(po);
	po->retry_initial_ms = 10;
	po->retry_max_ms = 100;
	po->stop_timeout_ms = 10000;
}

static void make_client(const char *url, const char *jwt)
{
	struct flyte_client_options o;

	flyte_client_options_init(&o);
	o.api_url = url;
	o.jwt = jwt;
	o.timeout_ms = 5000;
	if (getenv("FLYTE_TEST_LOG"))
		o.log_fn = flyte_log_stderr, o.log_level = FLYTE_LOG_DEBUG;
	if (flyte_client_new(&client, &o))
		FLT_FAIL("client: %s", flyte_last_error());
}

static int echo(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	(void)len;
	(void)payload;
	return flyte_result_set(out, "Done", in);
}

static int fail_with_message(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	return flyte_result_fatal(out, "boom: %s", in);
}

static int fail_silently(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	flyte_result_set(out, "Done", "1"); /* ignored: the handler failed */
	return 3;
}

static int no_result(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	return 0;
}

static int slow(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	int now = atomic_fetch_add(&active, 1) + 1;
	int m = atomic_load(&max_active);
	while (now > m && !atomic_compare_exchange_weak(&max_active, &m, now))
		;
	usleep(30000);
	atomic_fetch_sub(&active, 1);
	return flyte_result_set(out, "Done", in);
}

static int gated(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	atomic_store(&seen_attempt, flyte_result_attempt(out));
	atomic_fetch_add(&active, 1);
	while (!atomic_load(&gate_open)) {
		if (flyte_result_lease_lost(out))
			atomic_store(&seen_lost, 1);
		usleep(2000);
	}
	return flyte_result_set(out, "Done", in);
}

static const char *const done_events[] = { "Done" };

static void start_pack(const struct flyte_pack_options *po)
{
	static const struct flyte_command_def cmds[] = {
		{ "Echo", done_events, 1, echo, NULL, NULL },
		{ "FailMsg", NULL, 0, fail_with_message, NULL, NULL },
		{ "FailQuiet", NULL, 0, fail_silently, NULL, NULL },
		{ "NoResult", NULL, 0, no_result, NULL, NULL },
		{ "Slow", done_events, 1, slow, NULL, NULL },
		{ "Gated", done_events, 1, gated, NULL, NULL },
	};
	struct flyte_pack_def def = { 0 };
	struct flyte_pack_options defaults;

	def.name = "Test";
	def.commands = cmds;
	def.n_commands = FL_ARRAY_LEN(cmds);
	if (!po) {
		fast_options(&defaults);
		po = &defaults;
	}
	if (flyte_pack_new(&pack, client, &def, po))
		FLT_FAIL("pack: %s", flyte_last_error());
	if (flyte_pack_start(pack))
		FLT_FAIL("start: %s", flyte_last_error());
}

static void teardown(void);

static void setup(void)
{
	teardown(); /* leftovers of a test that failed half-way */
	atomic_store(&active, 0);
	atomic_store(&max_active, 0);
	atomic_store(&gate_open, false);
	atomic_store(&seen_attempt, -1);
	atomic_store(&seen_lost, 0);
	if (mf_start(&mf, 0))
		FLT_FAIL("cannot start the fake server");
	make_client(fake_url(mf.srv), NULL);
}

static void teardown(void)
{
	atomic_store(&gate_open, true);
	flyte_pack_free(pack);
	pack = NULL;
	flyte_client_free(client);
	client = NULL;
	if (mf.srv)
		mf_stop(&mf);
}

/* Event name and payload text of the result of action i. */
static void result_of(int i, char *event, size_t elen, char *payload, size_t plen)
{
	const char *body = mf_result_for(&mf, i);
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	char *p;

	if (!j)
		FLT_FAIL("no result for action %d", i);
	snprintf(event, elen, "%s", json_string_value(json_object_get(j, "event")));
	p = json_dumps(json_object_get(j, "payload"), JSON_ENCODE_ANY | JSON_COMPACT);
	snprintf(payload, plen, "%s", p ? p : "");
	free(p);
	json_decref(j);
}

FLT_TEST(action_round_trip)
{
	char ev[64], pl[256];
	struct flyte_pack_stats st;
	int a;

	setup();
	start_pack(NULL);
	FLT_EQ_INT(mf_wait_registrations(&mf, 1, WAIT_MS), 1);
	FLT_ASSERT(strstr(mf_str(&mf, mf.last_registration, sbuf, sizeof(sbuf)), "\"name\":\"Test\""));
	/* The input reaches the handler byte for byte (no re-encoding of 1.50). */
	a = mf_add_action(&mf, "Echo", "{\"n\":1.50,\"s\":\"h\\u00e9\"}");
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	result_of(a, ev, sizeof(ev), pl, sizeof(pl));
	FLT_EQ_STR(ev, "Done");
	FLT_ASSERT(strstr(mf_result_for(&mf, a), "\"payload\":{\"n\":1.50,\"s\":\"h\\u00e9\"}"));
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	flyte_pack_get_stats(pack, &st);
	FLT_EQ_INT(st.actions_taken, 1);
	FLT_EQ_INT(st.results_posted, 1);
	FLT_EQ_INT(st.results_dropped, 0);
	teardown();
}

/* Takes ask for the long-poll wait their own timeout affords (RFC 7240), two seconds to spare. */
FLT_TEST(takes_ask_for_a_wait_their_timeout_affords)
{
	struct flyte_pack_options po;

	setup();
	start_pack(NULL); /* poll_timeout_ms 70,000: at most a minute */
	FLT_EQ_INT(mf_wait_registrations(&mf, 1, WAIT_MS), 1);
	mf_add_action(&mf, "Echo", "1");
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	FLT_EQ_STR(mf_str(&mf, mf.last_take_prefer, sbuf, sizeof(sbuf)), "wait=60");
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	teardown();

	setup();
	fast_options(&po);
	po.poll_timeout_ms = 5000; /* a client with the Python client's timeout */
	start_pack(&po);
	mf_add_action(&mf, "Echo", "2");
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	FLT_EQ_STR(mf_str(&mf, mf.last_take_prefer, sbuf, sizeof(sbuf)), "wait=3");
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	teardown();
}

FLT_TEST(failures_complete_as_fatal)
{
	char ev[64], pl[256];
	int a1, a2, a3, a4;

	setup();
	start_pack(NULL);
	a1 = mf_add_action(&mf, "Nope", "null");
	a2 = mf_add_action(&mf, "FailMsg", "\"x\"");
	a3 = mf_add_action(&mf, "FailQuiet", "1");
	a4 = mf_add_action(&mf, "NoResult", "1");
	FLT_EQ_INT(mf_wait_results(&mf, 4, WAIT_MS), 4);
	result_of(a1, ev, sizeof(ev), pl, sizeof(pl));
	FLT_EQ_STR(ev, "FATAL");
	FLT_EQ_STR(pl, "\"no handler for command \\\"Nope\\\"\"");
	result_of(a2, ev, sizeof(ev), pl, sizeof(pl));
	FLT_EQ_STR(ev, "FATAL");
	FLT_EQ_STR(pl, "\"boom: \\\"x\\\"\"");
	result_of(a3, ev, sizeof(ev), pl, sizeof(pl));
	FLT_EQ_STR(ev, "FATAL");
	FLT_EQ_STR(pl, "\"handler for command 'FailQuiet' failed\"");
	result_of(a4, ev, sizeof(ev), pl, sizeof(pl));
	FLT_EQ_STR(ev, "FATAL");
	FLT_EQ_STR(pl, "\"handler for command 'NoResult' set no result\"");
	teardown();
}

FLT_TEST(take_404_registers_again)
{
	struct flyte_pack_stats st;

	setup();
	start_pack(NULL);
	mf_add_action(&mf, "Echo", "1");
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	mf_forget_packs(&mf);
	FLT_ASSERT(mf_wait_registrations(&mf, 2, WAIT_MS) >= 2);
	mf_add_action(&mf, "Echo", "2");
	FLT_EQ_INT(mf_wait_results(&mf, 2, WAIT_MS), 2);
	FLT_ASSERT(mf_int(&mf, &mf.take_404s) >= 1);
	flyte_pack_get_stats(pack, &st);
	FLT_ASSERT(st.registrations >= 2);
	teardown();
}

FLT_TEST(failed_result_posts_are_retried)
{
	struct flyte_pack_stats st;
	char ev[64], pl[64];

	setup();
	mf_set(&mf, &mf.fail_results, 2);
	mf_set(&mf, &mf.drop_results, 1);
	start_pack(NULL);
	int a = mf_add_action(&mf, "Echo", "\"keep me\"");
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	result_of(a, ev, sizeof(ev), pl, sizeof(pl));
	FLT_EQ_STR(pl, "\"keep me\"");
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	flyte_pack_get_stats(pack, &st);
	/* curl itself may resend once on a reused connection that died, so the
	 * library sees 2 or 3 failures; the server saw all 4 posts either way. */
	FLT_ASSERT(st.result_retries >= 2);
	FLT_EQ_INT(st.results_posted, 1);
	FLT_EQ_INT(st.results_dropped, 0);
	FLT_EQ_INT(mf_int(&mf, &mf.result_posts), 4);
	teardown();
}

FLT_TEST(refused_result_is_not_retried)
{
	struct flyte_pack_stats st;

	setup();
	mf_set(&mf, &mf.refuse_results, 1);
	start_pack(NULL);
	mf_add_action(&mf, "Echo", "1");
	mf_add_action(&mf, "Echo", "2");
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	flyte_pack_get_stats(pack, &st);
	FLT_EQ_INT(st.results_dropped, 1);
	FLT_EQ_INT(st.results_posted, 1);
	FLT_EQ_INT(mf_int(&mf, &mf.result_posts), 2);
	teardown();
}

FLT_TEST(server_down_at_start)
{
	char url[64];
	int port;

	teardown();
	port = fake_free_port();
	FLT_ASSERT(port > 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	make_client(url, NULL);
	start_pack(NULL);
	/* the pack keeps trying while nothing listens */
	usleep(300000);
	FLT_EQ_INT(flyte_pack_send_event(pack, "E", NULL), FLYTE_EAGAIN);
	if (mf_start(&mf, port))
		FLT_FAIL("cannot start the fake server on port %d", port);
	FLT_EQ_INT(mf_wait_registrations(&mf, 1, WAIT_MS), 1);
	mf_add_action(&mf, "Echo", "1");
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	teardown();
}

FLT_TEST(server_restart_loses_no_result)
{
	char ev[64], pl[64];
	int port;

	setup();
	port = fake_port(mf.srv);
	start_pack(NULL);
	mf_add_action(&mf, "Gated", "\"survivor\"");
	while (atomic_load(&active) == 0)
		usleep(2000);
	/* The server goes away while the handler runs... */
	mf_stop(&mf);
	atomic_store(&gate_open, true);
	usleep(200000); /* ...so the result post fails and is kept for retry */
	/* A new server with an empty store: the pack must register again and post. */
	if (mf_start(&mf, port))
		FLT_FAIL("cannot restart the fake server on port %d", port);
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	result_of(0, ev, sizeof(ev), pl, sizeof(pl));
	FLT_EQ_STR(ev, "Done");
	FLT_EQ_STR(pl, "\"survivor\"");
	FLT_ASSERT(mf_int(&mf, &mf.registrations) >= 1);
	/* and it keeps taking work afterwards */
	mf_add_action(&mf, "Echo", "2");
	FLT_EQ_INT(mf_wait_results(&mf, 2, WAIT_MS), 2);
	teardown();
}

FLT_TEST(events_retry_a_bounded_number_of_times)
{
	struct flyte_pack_options po;
	struct flyte_pack_def def = { 0 };
	struct flyte_event_def evs[] = { { "Ping", NULL } };

	setup();
	fast_options(&po);
	po.event_attempts = 3;
	def.name = "Sender";
	def.events = evs;
	def.n_events = 1;
	FLT_EQ_INT(flyte_pack_new(&pack, client, &def, &po), FLYTE_OK);
	FLT_EQ_INT(flyte_pack_send_event(pack, "Ping", NULL), FLYTE_EAGAIN);
	FLT_ASSERT(strstr(flyte_pack_last_error(pack), "not registered"));
	FLT_EQ_INT(flyte_pack_register(pack), FLYTE_OK);

	mf_set(&mf, &mf.fail_events, 2);
	FLT_EQ_INT(flyte_pack_send_event(pack, "Ping", "{\"n\":1}"), FLYTE_OK);
	FLT_EQ_INT(mf_int(&mf, &mf.event_posts), 3);
	FLT_EQ_INT(mf_int(&mf, &mf.n_events), 1);
	FLT_ASSERT(strstr(mf_event(&mf, 0, 0, sbuf, sizeof(sbuf)), "\"event\":\"Ping\",\"payload\":{\"n\":1}"));

	mf_set(&mf, &mf.fail_events, 5);
	FLT_EQ_INT(flyte_pack_send_event(pack, "Ping", "2"), FLYTE_ESERVER);
	FLT_ASSERT(strstr(flyte_pack_last_error(pack), "HTTP 503"));
	FLT_EQ_INT(mf_int(&mf, &mf.event_posts), 6);

	FLT_EQ_INT(flyte_pack_send_event(pack, "Ping", "{bad"), FLYTE_EINVALID);
	FLT_EQ_INT(mf_int(&mf, &mf.event_posts), 6);

	/* the server forgot the pack: one re-registration, then the event goes through */
	mf_forget_packs(&mf);
	mf_set(&mf, &mf.fail_events, 0);
	FLT_EQ_INT(flyte_pack_send_event(pack, "Ping", "3"), FLYTE_OK);
	FLT_EQ_INT(mf_int(&mf, &mf.registrations), 2);
	teardown();
}

FLT_TEST(attach_uses_an_existing_pack)
{
	struct flyte_pack_options po;
	struct flyte_pack_def def = { 0 };
	struct flyte_pack *other = NULL;

	setup();
	start_pack(NULL);
	FLT_EQ_INT(mf_wait_registrations(&mf, 1, WAIT_MS), 1);
	fast_options(&po);
	po.flags = FLYTE_PACK_ATTACH;
	po.register_attempts = 1;
	def.name = "Test";
	FLT_EQ_INT(flyte_pack_new(&other, client, &def, &po), FLYTE_OK);
	FLT_EQ_INT(flyte_pack_register(other), FLYTE_OK);
	FLT_EQ_INT(mf_int(&mf, &mf.registrations), 1); /* the real pack's definition was not replaced */
	FLT_EQ_INT(flyte_pack_send_event(other, "Hello", "\"hi\""), FLYTE_OK);
	FLT_EQ_STR(mf_event(&mf, 0, 1, sbuf, sizeof(sbuf)), "Test");
	flyte_pack_free(other);

	/* an identity nobody registered is created */
	def.name = "Fresh";
	FLT_EQ_INT(flyte_pack_new(&other, client, &def, &po), FLYTE_OK);
	FLT_EQ_INT(flyte_pack_register(other), FLYTE_OK);
	FLT_EQ_INT(mf_int(&mf, &mf.registrations), 2);
	flyte_pack_free(other);
	teardown();
}

FLT_TEST(links_from_location_and_bearer_token)
{
	setup();
	flyte_client_free(client);
	make_client(fake_url(mf.srv), "secret-token");
	mf.links_only_at_location = true; /* set before the pack starts */
	start_pack(NULL);
	mf_add_action(&mf, "Echo", "1");
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	FLT_EQ_STR(mf_str(&mf, mf.last_auth, sbuf, sizeof(sbuf)), "Bearer secret-token");
	teardown();
}

FLT_TEST(register_attempts_are_bounded_when_asked)
{
	struct flyte_pack_options po;
	struct flyte_pack_def def = { 0 };

	setup();
	mf_set(&mf, &mf.fail_registration, 10);
	fast_options(&po);
	po.register_attempts = 2;
	def.name = "Bounded";
	FLT_EQ_INT(flyte_pack_new(&pack, client, &def, &po), FLYTE_OK);
	FLT_EQ_INT(flyte_pack_register(pack), FLYTE_ESERVER);
	FLT_ASSERT(strstr(flyte_pack_last_error(pack), "HTTP 500"));
	FLT_EQ_INT(mf_int(&mf, &mf.fail_registration), 8);
	teardown();
}

FLT_TEST(concurrency_is_bounded_and_all_results_arrive)
{
	struct flyte_pack_options po;
	struct flyte_pack_stats st;

	setup();
	fast_options(&po);
	po.concurrency = 2;
	start_pack(&po);
	for (int i = 0; i < 8; i++)
		mf_add_action(&mf, "Slow", "1");
	FLT_EQ_INT(mf_wait_results(&mf, 8, WAIT_MS), 8);
	FLT_ASSERT(atomic_load(&max_active) <= 2);
	FLT_ASSERT(atomic_load(&max_active) >= 1);
	flyte_pack_get_stats(pack, &st);
	FLT_EQ_INT(st.actions_taken, 8);
	teardown();
}

static void *opener(void *arg)
{
	(void)arg;
	usleep(100000);
	atomic_store(&gate_open, true);
	return NULL;
}

FLT_TEST(several_pollers_share_the_slots)
{
	/* 2 pollers feeding 4 workers, then 5 pollers capped at 3 running their actions inline */
	static const unsigned conc[] = { 4, 3 }, pollers[] = { 2, 5 };
	struct flyte_pack_options po;
	struct flyte_pack_stats st;

	for (int k = 0; k < 2; k++) {
		setup();
		fast_options(&po);
		po.concurrency = conc[k];
		po.pollers = pollers[k];
		start_pack(&po);
		FLT_EQ_INT(pack->inline_jobs, k == 1);
		for (int i = 0; i < 12; i++)
			mf_add_action(&mf, "Slow", "1");
		FLT_EQ_INT(mf_wait_results(&mf, 12, WAIT_MS), 12);
		FLT_ASSERT(atomic_load(&max_active) <= (int)conc[k]);
		FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
		flyte_pack_get_stats(pack, &st);
		FLT_EQ_INT(st.actions_taken, 12);
		FLT_EQ_INT(st.results_posted, 12);
		teardown();
	}
}

FLT_TEST(inline_stop_finishes_the_running_handler)
{
	struct flyte_pack_options po;
	pthread_t t;

	setup();
	fast_options(&po);
	po.concurrency = 2;
	po.pollers = 2;
	start_pack(&po);
	mf_add_action(&mf, "Gated", "\"late\"");
	while (atomic_load(&active) == 0)
		usleep(2000);
	pthread_create(&t, NULL, opener, NULL);
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	pthread_join(t, NULL);
	FLT_EQ_INT(mf_int(&mf, &mf.n_results), 1);
	teardown();
}

FLT_TEST(stop_finishes_running_handlers)
{
	struct flyte_pack_options po;

	setup();
	fast_options(&po);
	po.stop_timeout_ms = 20; /* shorter than the handler: the handler's time does not count */
	start_pack(&po);
	mf_add_action(&mf, "Gated", "\"late\"");
	while (atomic_load(&active) == 0)
		usleep(2000);
	/* the gate opens while flyte_pack_stop() is already waiting */
	pthread_t t;
	pthread_create(&t, NULL, opener, NULL);
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	pthread_join(t, NULL);
	FLT_EQ_INT(mf_int(&mf, &mf.n_results), 1);
	FLT_EQ_INT(flyte_pack_start(pack), FLYTE_EMISUSE);
	teardown();
}

FLT_TEST(stop_deadline_drops_unpostable_results)
{
	struct flyte_pack_options po;
	struct flyte_pack_stats st;

	setup();
	mf_set(&mf, &mf.fail_results, 1 << 30); /* the server never accepts the result */
	fast_options(&po);
	po.stop_timeout_ms = 300;
	start_pack(&po);
	mf_add_action(&mf, "Echo", "1");
	while (mf_int(&mf, &mf.result_posts) < 2) /* it is being retried */
		usleep(5000);
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_ETIMEOUT);
	flyte_pack_get_stats(pack, &st);
	FLT_EQ_INT(st.results_dropped, 1);
	FLT_EQ_INT(st.results_posted, 0);
	FLT_ASSERT(st.result_retries >= 1);
	teardown();
}

static void *stopper(void *arg)
{
	usleep(100000);
	flyte_pack_request_stop(arg);
	return NULL;
}

FLT_TEST(run_returns_after_request_stop)
{
	pthread_t t;

	setup();
	start_pack(NULL);
	pthread_create(&t, NULL, stopper, pack);
	FLT_EQ_INT(flyte_pack_run(pack), FLYTE_OK);
	pthread_join(t, NULL);
	teardown();
}


/* ------------------------------------------------------------------ leases */

/* The "leaseSeconds" / "maxAttempts" of command `name` in the last registration (-1 = absent). */
static void declared(const char *name, long *lease, long *max_attempts)
{
	json_t *reg = json_loads(mf_str(&mf, mf.last_registration, sbuf, sizeof(sbuf)), 0, NULL), *c;
	size_t i;

	*lease = *max_attempts = -2;
	json_array_foreach(json_object_get(reg, "commands"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")), name))
			continue;
		*lease = json_is_integer(json_object_get(c, "leaseSeconds"))
				 ? (long)json_integer_value(json_object_get(c, "leaseSeconds"))
				 : -1;
		*max_attempts = json_is_integer(json_object_get(c, "maxAttempts"))
					? (long)json_integer_value(json_object_get(c, "maxAttempts"))
					: -1;
	}
	json_decref(reg);
	if (*lease == -2)
		FLT_FAIL("command '%s' not in the registration", name);
}

/* Register a fresh pack with the commands of start_pack() and options po; registration only. */
static int register_with(const struct flyte_pack_options *po)
{
	static const struct flyte_command_def cmds[] = {
		{ "Echo", done_events, 1, echo, NULL, NULL },
		{ "Gated", done_events, 1, gated, NULL, NULL },
	};
	struct flyte_pack_def def = { 0 };
	int rc;

	flyte_pack_free(pack);
	pack = NULL;
	def.name = "Test";
	def.commands = cmds;
	def.n_commands = FL_ARRAY_LEN(cmds);
	rc = flyte_pack_new(&pack, client, &def, po);
	if (rc)
		return rc;
	return flyte_pack_register(pack);
}

FLT_TEST(registration_declares_leases)
{
	struct flyte_pack_options po;
	long lease, att;

	setup();
	unsetenv("FLYTE_LEASE_SECONDS");
	/* default: 60 s for every command, maxAttempts left to the server */
	FLT_EQ_INT(register_with(NULL), FLYTE_OK);
	declared("Echo", &lease, &att);
	FLT_EQ_INT(lease, 60);
	FLT_EQ_INT(att, -1);
	declared("Gated", &lease, &att);
	FLT_EQ_INT(lease, 60);

	/* the environment sets the pack's default; a command overrides it */
	setenv("FLYTE_LEASE_SECONDS", "7", 1);
	flyte_pack_free(pack);
	pack = NULL;
	{
		static const struct flyte_command_def cmds[] = {
			{ "Echo", done_events, 1, echo, NULL, NULL },
			{ "Gated", done_events, 1, gated, NULL, NULL },
		};
		struct flyte_pack_def def = { 0 };
		def.name = "Test";
		def.commands = cmds;
		def.n_commands = 2;
		FLT_EQ_INT(flyte_pack_new(&pack, client, &def, NULL), FLYTE_OK);
		FLT_EQ_INT(flyte_pack_set_command_lease(pack, "Gated", 2, 5), FLYTE_OK);
		FLT_EQ_INT(flyte_pack_set_command_lease(pack, "Nope", 2, 5), FLYTE_ENOTFOUND);
		FLT_EQ_INT(flyte_pack_set_command_lease(pack, "Echo", 31536001, 0), FLYTE_EINVALID);
		FLT_EQ_INT(flyte_pack_set_command_lease(pack, "Echo", 1, 1001), FLYTE_EINVALID);
		FLT_EQ_INT(flyte_pack_register(pack), FLYTE_OK);
		/* too late once registered: the server already has the definition */
		FLT_EQ_INT(flyte_pack_set_command_lease(pack, "Echo", 3, 0), FLYTE_EMISUSE);
	}
	declared("Echo", &lease, &att);
	FLT_EQ_INT(lease, 7);
	FLT_EQ_INT(att, -1);
	declared("Gated", &lease, &att);
	FLT_EQ_INT(lease, 2);
	FLT_EQ_INT(att, 5);

	/* an explicit option wins over the environment; negative declares none */
	fast_options(&po);
	po.lease_seconds = 20;
	po.max_attempts = 4;
	FLT_EQ_INT(register_with(&po), FLYTE_OK);
	declared("Echo", &lease, &att);
	FLT_EQ_INT(lease, 20);
	FLT_EQ_INT(att, 4);
	po.lease_seconds = -1;
	po.max_attempts = 0;
	FLT_EQ_INT(register_with(&po), FLYTE_OK);
	declared("Echo", &lease, &att);
	FLT_EQ_INT(lease, -1);
	FLT_EQ_INT(att, -1);

	/* out of range or malformed */
	po.lease_seconds = 31536001;
	FLT_EQ_INT(register_with(&po), FLYTE_EINVALID);
	po.lease_seconds = 0;
	setenv("FLYTE_LEASE_SECONDS", "10s", 1);
	FLT_EQ_INT(register_with(&po), FLYTE_EINVALID);
	FLT_ASSERT(strstr(flyte_last_error(), "FLYTE_LEASE_SECONDS"));
	setenv("FLYTE_LEASE_SECONDS", "0", 1);
	FLT_EQ_INT(register_with(&po), FLYTE_EINVALID);
	unsetenv("FLYTE_LEASE_SECONDS");
	teardown();
}

/* A pack whose Gated command has a 1 s lease (heartbeats every 333 ms). */
static void start_leased_pack(void)
{
	static const struct flyte_command_def cmds[] = {
		{ "Echo", done_events, 1, echo, NULL, NULL },
		{ "Gated", done_events, 1, gated, NULL, NULL },
	};
	struct flyte_pack_def def = { 0 };
	struct flyte_pack_options po;

	fast_options(&po);
	def.name = "Test";
	def.commands = cmds;
	def.n_commands = FL_ARRAY_LEN(cmds);
	if (flyte_pack_new(&pack, client, &def, &po) || flyte_pack_set_command_lease(pack, "Gated", 1, 0))
		FLT_FAIL("pack: %s", flyte_last_error());
	if (flyte_pack_start(pack))
		FLT_FAIL("start: %s", flyte_last_error());
}

FLT_TEST(heartbeats_while_the_handler_runs)
{
	struct flyte_pack_stats st;
	int a, n;

	setup();
	mf.lease_ms = 1000;
	start_leased_pack();
	a = mf_add_action(&mf, "Gated", "\"slow\"");
	/* the handler blocks without calling anything; heartbeats keep coming */
	FLT_EQ_INT(mf_wait_heartbeats(&mf, a, 4, WAIT_MS), 4);
	FLT_EQ_INT(mf_int(&mf, &mf.heartbeat_attempt[a]), 1);
	FLT_EQ_INT(atomic_load(&seen_attempt), 1);
	atomic_store(&gate_open, true);
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	FLT_EQ_INT(mf_result_attempt(&mf, a), 1);
	/* no heartbeat after the handler returned */
	n = mf_int(&mf, &mf.heartbeats[a]);
	usleep(1000000);
	FLT_EQ_INT(mf_int(&mf, &mf.heartbeats[a]), n);
	/* a quick action needs none */
	a = mf_add_action(&mf, "Echo", "1");
	FLT_EQ_INT(mf_wait_results(&mf, 2, WAIT_MS), 2);
	FLT_EQ_INT(mf_int(&mf, &mf.heartbeats[a]), 0);
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	flyte_pack_get_stats(pack, &st);
	FLT_EQ_INT(st.heartbeats, (unsigned long)n);
	FLT_EQ_INT(st.leases_lost, 0);
	FLT_EQ_INT(st.results_posted, 2);
	teardown();
}

FLT_TEST(failed_heartbeats_are_retried)
{
	struct flyte_pack_stats st;
	int a;

	setup();
	mf.lease_ms = 1000;
	mf.fail_heartbeats = 3; /* 503 three times: tried again, the lease is not lost */
	start_leased_pack();
	a = mf_add_action(&mf, "Gated", "1");
	FLT_EQ_INT(mf_wait_heartbeats(&mf, a, 2, WAIT_MS), 2);
	FLT_ASSERT(mf_int(&mf, &mf.heartbeat_posts) >= 5);
	FLT_EQ_INT(atomic_load(&seen_lost), 0);
	atomic_store(&gate_open, true);
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	flyte_pack_get_stats(pack, &st);
	FLT_EQ_INT(st.leases_lost, 0);
	FLT_EQ_INT(st.results_posted, 1);
	teardown();
}

FLT_TEST(lost_lease_is_reported_and_the_pack_goes_on)
{
	struct flyte_pack_stats st;
	int a, posts;

	setup();
	mf.lease_ms = 1000;
	start_leased_pack();
	a = mf_add_action(&mf, "Gated", "1");
	FLT_EQ_INT(mf_wait_heartbeats(&mf, a, 1, WAIT_MS), 1);
	/* the action goes to another taker: heartbeats and the result get 409 */
	mf_lose_lease(&mf, a);
	for (int i = 0; i < 1500 && !atomic_load(&seen_lost); i++)
		usleep(10000);
	FLT_EQ_INT(atomic_load(&seen_lost), 1); /* the handler learnt it while running */
	posts = mf_int(&mf, &mf.heartbeat_posts);
	usleep(800000);
	FLT_EQ_INT(mf_int(&mf, &mf.heartbeat_posts), posts); /* no more heartbeats for it */
	atomic_store(&gate_open, true);
	for (int i = 0; i < 1500 && mf_int(&mf, &mf.result_posts) < 1; i++)
		usleep(10000);
	/* the pack keeps working */
	mf_add_action(&mf, "Echo", "2");
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	FLT_EQ_INT(flyte_pack_stop(pack), FLYTE_OK);
	flyte_pack_get_stats(pack, &st);
	FLT_EQ_INT(st.leases_lost, 1);
	FLT_EQ_INT(st.results_dropped, 1); /* the refused result is not retried */
	FLT_EQ_INT(st.results_posted, 1);
	FLT_EQ_INT(mf_int(&mf, &mf.result_posts), 2);
	teardown();
}

FLT_TEST(no_lease_no_heartbeats)
{
	setup();
	/* a server without leases: no attempt, no leaseUntil, plain result link */
	start_leased_pack();
	mf_add_action(&mf, "Gated", "1");
	while (atomic_load(&active) == 0)
		usleep(2000);
	usleep(800000);
	atomic_store(&gate_open, true);
	FLT_EQ_INT(mf_wait_results(&mf, 1, WAIT_MS), 1);
	FLT_EQ_INT(mf_int(&mf, &mf.heartbeat_posts), 0);
	FLT_EQ_INT(atomic_load(&seen_attempt), 0);
	FLT_EQ_INT(mf_result_attempt(&mf, 0), 0);
	teardown();
}

FLT_MAIN(action_round_trip, takes_ask_for_a_wait_their_timeout_affords, failures_complete_as_fatal, take_404_registers_again, failed_result_posts_are_retried,
	 refused_result_is_not_retried, server_down_at_start, server_restart_loses_no_result,
	 events_retry_a_bounded_number_of_times, attach_uses_an_existing_pack, links_from_location_and_bearer_token,
	 register_attempts_are_bounded_when_asked, concurrency_is_bounded_and_all_results_arrive,
	 several_pollers_share_the_slots, inline_stop_finishes_the_running_handler,
	 stop_finishes_running_handlers, stop_deadline_drops_unpostable_results, run_returns_after_request_stop,
	 registration_declares_leases, heartbeats_while_the_handler_runs, failed_heartbeats_are_retried,
	 lost_lease_is_reported_and_the_pack_goes_on, no_lease_no_heartbeats)
