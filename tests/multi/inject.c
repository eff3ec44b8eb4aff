/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inject.c - store failures injected into one of two servers on one
 * PostgreSQL database (suite multi; builds with -Dfault_injection=true,
 * as ./dev test makes them).
 *
 * A batch that fails takes the notifications its sync had read with it: the
 * server must read its take queues again, and offer what it finds to the
 * takes parked on it, instead of leaving them to wait for the end of their
 * long poll while the action sits in its queue.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"
#include "mlt.h"
#include "fsutil.h"

#include <pthread.h>
#include <unistd.h>

#define TAKE_WAIT_MS MLT_TAKE_WAIT_MAX_MS

static char g_rules[512];

static int set_rules(const char *text)
{
	FILE *f = fopen(g_rules, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		printf("# cannot write %s: %s\n", g_rules, strerror(errno));
		return -1;
	}
	return 0;
}

static void remove_rules(void)
{
	if (g_rules[0])
		unlink(g_rules);
}

/* Lines of the server's log about a failed batch. */
static size_t failed_batches(struct flh_server *s)
{
	char *log = flh_server_log(s);
	size_t n = 0;

	for (const char *p = log; p && (p = strstr(p, "batch transaction failed")); p++)
		n++;
	free(log);
	return n;
}

struct parked {
	pthread_t th;
	struct flh_server *srv;
	long status;
	char input[32];
};

static void *parked_main(void *arg)
{
	struct parked *p = arg;
	struct flh_resp *r = flh_post_json(p->srv, "/v1/packs/IWork/actions/take", "null");
	const char *in = r->status == 200 ? flh_json_str(flh_resp_json(r), "input") : NULL;

	p->status = r->status;
	snprintf(p->input, sizeof(p->input), "%s", in ? in : "");
	flh_resp_free(r);
	return NULL;
}

FLT_TEST(parked_take_gets_an_action_announced_to_a_batch_that_failed)
{
	static struct flh_server *a, *b;
	char url[1024], faults[600];
	const char *env[] = { faults, NULL };
	struct parked p = { 0 };
	size_t before;
	bool ok;

	snprintf(g_rules, sizeof(g_rules), "%s/flyte-faults-%ld", flt_tmp_root(), (long)getpid());
	atexit(remove_rules);
	FLH_ASSERT(set_rules("") == 0);
	snprintf(faults, sizeof(faults), "FLYTE_STORE_FAULTS=@%s", g_rules);
	FLH_ASSERT(mlt_database(url, sizeof(url)) == 0);
	FLH_ASSERT(mlt_servers_start(&a, 1, url, TAKE_WAIT_MS, NULL) == 0);
	FLH_ASSERT(mlt_servers_start(&b, 1, url, TAKE_WAIT_MS, env) == 0);

	FLH_EQ_INT(api_post_json(a, "/v1/packs", "{\"name\":\"ISrc\"}"), 201);
	FLH_EQ_INT(api_post_json(a, "/v1/packs", "{\"name\":\"IWork\"}"), 201);
	FLH_EQ_INT(api_post_json(a, "/v1/flows",
			"{\"name\":\"inject\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"ISrc\",\"name\":\"Go\"},"
			"\"command\":{\"packName\":\"IWork\",\"name\":\"Job\",\"input\":\"{{ Event.Payload.i }}\"}}]}"),
		   201);
	p.srv = b;
	FLH_ASSERT(pthread_create(&p.th, NULL, parked_main, &p) == 0);
	flh_sleep_ms(300);

	/* every batch of B fails in its sync, after it took the notifications */
	FLH_ASSERT(set_rules("changes eio\n") == 0);
	flh_sleep_ms(100);
	FLH_EQ_INT(api_post_json(a, "/v1/packs/ISrc/events", "{\"event\":\"Go\",\"payload\":{\"i\":\"7\"}}"), 202);
	flh_sleep_ms(100); /* B heard of the action by now */
	before = failed_batches(b);
	FLH_WAIT_FOR(ok, 10000, failed_batches(b) > before);
	FLH_ASSERT_MSG(ok, "no batch of server B failed");
	FLH_ASSERT(set_rules("") == 0);

	/* B's next batch reads its queues again and hands the action to the parked take */
	pthread_join(p.th, NULL);
	FLH_EQ_INT(p.status, 200);
	FLH_EQ_STR(p.input, "7");
	flh_server_free(a);
	flh_server_free(b);
	a = b = NULL;
}

FLT_MAIN(parked_take_gets_an_action_announced_to_a_batch_that_failed)
