/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_engine.c - an in-process load generator for the engine (no HTTP).
 *
 * Built next to the engine tests but not run by them (it measures time).
 *   bench-engine [clients [seconds [events_per_second]]]
 * Phase 1: `clients` threads each loop "post event, take, result, take the
 * next step, result" and the program prints events/s and take+result/s.
 * Phase 2: events are posted at a fixed rate while 32 threads wait in
 * parked takes; it prints the event -> take latency percentiles.
 * The database lives in a temporary directory that is removed at the end.
 */
#include "fl-common.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "drive.h"
#include "engine/engine.h"
#include "log.h"
#include "timeutil.h"

#define MAX_LAT 200000
#define TAKERS 32

static struct fl_engine *eng;
static atomic_int stop;
static atomic_long loops, events, nlat;
static int64_t t0;
static int64_t lat[MAX_LAT];

static void on_async(const struct fl_engine_result *er, void *p)
{
	(void)p;
	if (er->code)
		fprintf(stderr, "async call failed: %s\n", er->err.msg);
}

/* Wait for the answer of a call that returned rc; its body (new reference) or NULL. */
static json_t *res_wait(struct fld_res *r, int rc)
{
	json_t *b;

	fld_wait(r, rc);
	b = r->body;
	r->body = NULL;
	fld_res_release(r);
	return b;
}

enum kind { K_PACK, K_FLOW, K_EVENT };

static int call(enum kind k, const char *id, const char *text)
{
	struct fld_res r;
	json_t *j = json_loads(text, 0, NULL);
	int rc;

	fld_res_init(&r);
	rc = k == K_PACK ? fl_engine_pack_register(eng, j, fld_on_done, &r)
	     : k == K_FLOW ? fl_engine_flow_put(eng, j, 0, fld_on_done, &r)
			   : fl_engine_event_post(eng, id, j, fld_on_done, &r);
	json_decref(j);
	rc = fld_wait(&r, rc);
	fld_res_release(&r);
	return rc;
}

static json_t *take(const char *pack, int wait_ms)
{
	struct fld_res r;

	fld_res_init(&r);
	return res_wait(&r, fl_engine_action_take(eng, pack, NULL, wait_ms, fld_on_done, &r));
}

static void complete(const char *pack, json_t *a)
{
	struct fld_res r;
	json_t *e = json_pack("{s:s,s:{s:b}}", "event", "Done", "payload", "ok", 1);

	fld_res_init(&r);
	json_decref(res_wait(&r, fl_engine_action_result(eng, pack, json_string_value(json_object_get(a, "id")),
							  json_integer_value(json_object_get(a, "attempt")), e,
							  fld_on_done, &r)));
	json_decref(e);
}

static void *loop_client(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		if (call(K_EVENT, "Src", "{\"event\":\"Go\",\"payload\":{\"who\":\"x\"}}") != FL_OK)
			break;
		atomic_fetch_add(&events, 1);
		for (int k = 0; k < 2; k++) {
			json_t *a = take("Worker", 5000);
			if (!a)
				continue;
			complete("Worker", a);
			json_decref(a);
			atomic_fetch_add(&loops, 1);
		}
	}
	return NULL;
}

static void *taker(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		json_t *a = take("Lat", 1000);
		int64_t now = fl_time_mono_ns();
		const char *in;
		long i;

		if (!a)
			continue;
		in = json_string_value(json_object_get(a, "input"));
		i = atomic_fetch_add(&nlat, 1);
		if (i < MAX_LAT && in)
			lat[i] = now - (t0 + (int64_t)strtod(in, NULL) * 1000);
		complete("Lat", a);
		json_decref(a);
	}
	return NULL;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static long arg(int argc, char **argv, int i, long def)
{
	return argc > i ? strtol(argv[i], NULL, 10) : def;
}

int main(int argc, char **argv)
{
	struct fl_engine_config cfg;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_engine_stats st;
	long nclients = FL_MIN(arg(argc, argv, 1, 64), 256), secs = arg(argc, argv, 2, 5), rate = arg(argc, argv, 3, 500);
	struct fld_dir dir;
	pthread_t th[256];
	int64_t start, period, next;
	double el;
	long sent = 0, n;

	if (fld_dir_make(&dir, "fl-bench") != 0)
		return 1;
	fl_log_set_level(FL_LOG_ERROR);
	fl_engine_config_default(&cfg);
	cfg.db_path = dir.db;
	if (fl_engine_open(&eng, &cfg, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	if (call(K_PACK, NULL, "{\"name\":\"Src\"}") || call(K_PACK, NULL, "{\"name\":\"Worker\"}") ||
	    call(K_PACK, NULL, "{\"name\":\"Lat\"}") ||
	    call(K_FLOW, NULL,
		 "{\"name\":\"wf\",\"steps\":[{\"id\":\"s1\",\"event\":{\"name\":\"Go\",\"packName\":\"Src\"},"
		 "\"context\":{\"who\":\"{{ Event.Payload.who }}\"},\"command\":{\"name\":\"Run\",\"packName\":"
		 "\"Worker\",\"input\":{\"text\":\"hi {{ Event.Payload.who }}\",\"n\":5}}},{\"id\":\"s2\","
		 "\"dependsOn\":[\"s1\"],\"event\":{\"name\":\"Done\",\"packName\":\"Worker\"},\"criteria\":"
		 "\"{{ Event.Payload.ok }}\",\"command\":{\"name\":\"Report\",\"packName\":\"Worker\",\"input\":"
		 "\"{{ Context.who }} done\"}}]}") ||
	    call(K_FLOW, NULL,
		 "{\"name\":\"lat\",\"steps\":[{\"id\":\"l\",\"event\":{\"name\":\"Ping\",\"packName\":\"Src\"},"
		 "\"command\":{\"name\":\"Pong\",\"packName\":\"Lat\",\"input\":\"{{ Event.Payload.t }}\"}}]}")) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}

	/* 1. throughput */
	start = fl_time_mono_ns();
	for (long i = 0; i < nclients; i++)
		pthread_create(&th[i], NULL, loop_client, NULL);
	if (nclients)
		sleep((unsigned)secs);
	atomic_store(&stop, 1);
	for (long i = 0; i < nclients; i++)
		pthread_join(th[i], NULL);
	el = (double)(fl_time_mono_ns() - start) / 1e9;
	fl_engine_stats(eng, &st);
	if (nclients)
		printf("throughput: %ld clients, %.1f s: %.0f events/s, %.0f take+result/s, %.1f jobs per commit\n",
		       nclients, el, (double)atomic_load(&events) / el, (double)atomic_load(&loops) / el,
		       st.commits ? (double)st.jobs / (double)st.commits : 0.0);

	/* 2. latency at a fixed event rate with parked takes */
	atomic_store(&stop, 0);
	t0 = fl_time_mono_ns();
	for (int i = 0; i < TAKERS; i++)
		pthread_create(&th[i], NULL, taker, NULL);
	usleep(100000);
	period = FL_NS_PER_SEC / FL_MAX(rate, 1);
	next = fl_time_mono_ns();
	while (fl_time_mono_ns() - t0 < (int64_t)secs * FL_NS_PER_SEC) {
		char body[128];
		json_t *j;
		int64_t now = fl_time_mono_ns();
		if (now < next) {
			struct timespec ts = { 0, (long)(next - now) };
			nanosleep(&ts, NULL);
		}
		next += period;
		snprintf(body, sizeof(body), "{\"event\":\"Ping\",\"payload\":{\"t\":%" PRId64 "}}",
			 (fl_time_mono_ns() - t0) / 1000);
		j = json_loads(body, 0, NULL);
		fl_engine_event_post(eng, "Src", j, on_async, NULL);
		json_decref(j);
		sent++;
	}
	usleep(500000);
	atomic_store(&stop, 1);
	for (int i = 0; i < TAKERS; i++)
		pthread_join(th[i], NULL);
	n = FL_MIN(atomic_load(&nlat), (long)MAX_LAT);
	qsort(lat, (size_t)n, sizeof(lat[0]), cmp64);
	printf("latency: %ld events at %ld/s, %ld taken; event->take p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", sent,
	       rate, n, n ? (double)lat[n / 2] / 1e6 : 0.0, n ? (double)lat[n * 99 / 100] / 1e6 : 0.0,
	       n ? (double)lat[n - 1] / 1e6 : 0.0);
	fl_engine_free(eng);
	fld_dir_remove(&dir);
	return 0;
}
