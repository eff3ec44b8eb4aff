/* SPDX-License-Identifier: Apache-2.0 */
/*
 * load.c - flyte-load, the load generator: drives a running flyte server
 * through libflyte, the same way real packs do, and prints throughput and
 * latency figures.
 *
 * Scenarios:
 *  loop     N pack instances ("Load", labels instance=i) each run commands
 *           Work and Finish; flow load-loop maps event LoadGen/Start to
 *           Work and Work's result Done to Finish.  A closed loop keeps
 *           `window` loops in flight; a loop counts when its Finish action
 *           reaches the handler (both actions taken, the first completed);
 *           results/s counts the results of both steps the server accepted.
 *           Reports full loops per second.
 *  ingest   `concurrency` threads post events that match no flow, as fast
 *           as the server accepts them.  Reports events per second.
 *  latency  events LoadGen/Ping are sent at a fixed rate (open loop: the
 *           schedule does not wait for answers); flow load-latency turns
 *           each into an action for pack Lat whose input carries the send
 *           time; the handler notes when the take delivered it.  Reports
 *           event→take latency percentiles (monotonic clock, one process).
 *
 * Several servers sharing one database (--server URL1,URL2,...): pack
 * instances, senders and ingest threads are spread over them in turn, and
 * in the latency scenario the events go to the first server while the
 * taking pack polls the second, so the figure is the latency across
 * servers.
 *
 * The generator only uses the public libflyte API, so its numbers include
 * the client library's cost, as a real pack would see it.
 *
 * Cost per unit of work (--server-pid): the CPU time the server process
 * spent (user and sys from /proc/PID/stat) and the context switches of its
 * threads (/proc/PID/task/<tid>/status) over the measured window, divided
 * by the loops (events) of that window; the generator's own figures come
 * from getrusage().  On a machine shared with other work these per-unit
 * figures move far less than the rates.  --probe runs a command (perf stat,
 * strace -c, ...) during the loop scenario and prints the loops completed
 * while it ran, so its counts can be divided per loop.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <flyte.h>

#define MAX_SERVERS 8

struct opts {
	const char *server; /* one URL, or several separated by commas */
	const char *scenario;
	double duration;
	unsigned packs, pack_concurrency, window, senders, concurrency, pollers;
	double rate;
	const char *server_pids; /* --server-pid: one pid, or several separated by commas */
	const char *probe;       /* --probe: command run during the loop scenario */
};

static struct flyte_client *clients[MAX_SERVERS];
static unsigned nclients;
static unsigned pollers = 1;

/* The client of the i-th pack instance, sender or thread: the servers in turn. */
static struct flyte_client *client_for(unsigned i)
{
	return clients[i % nclients];
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t_ns)
{
	struct timespec ts = { (time_t)(t_ns / 1000000000), (long)(t_ns % 1000000000) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int die(const char *what)
{
	fprintf(stderr, "flyte-load: %s: %s\n", what, flyte_last_error());
	return 1;
}

static int apply_flow(const char *json)
{
	struct flyte_response r;
	int rc = flyte_client_request(&r, clients[0], "POST", "/v1/flows", "application/json", json, strlen(json));

	if (!rc && r.status != 201) {
		fprintf(stderr, "flyte-load: applying a flow answered HTTP %d: %.200s\n", r.status, r.body);
		rc = -1;
	}
	flyte_response_release(&r);
	return rc ? (rc == -1 ? 1 : die("apply flow")) : 0;
}

/* A pack with no commands that sends the generator's events (through client c). */
static struct flyte_pack *event_source(struct flyte_client *c)
{
	struct flyte_pack_def def = { 0 };
	struct flyte_pack_options po;
	struct flyte_pack *p = NULL;

	def.name = "LoadGen";
	flyte_pack_options_init(&po);
	po.register_attempts = 5;
	if (flyte_pack_new(&p, c, &def, &po) || flyte_pack_register(p)) {
		die("register LoadGen");
		flyte_pack_free(p);
		return NULL;
	}
	return p;
}

static struct flyte_pack *command_pack(struct flyte_client *c, const char *name, int instance,
				       const struct flyte_command_def *cmds, size_t n, unsigned concurrency)
{
	struct flyte_pack_def def = { 0 };
	struct flyte_pack_options po;
	struct flyte_labels *labels = NULL;
	struct flyte_pack *p = NULL;
	char inst[16];

	snprintf(inst, sizeof(inst), "%d", instance);
	if (flyte_labels_new(&labels) || flyte_labels_set(labels, "instance", inst))
		return NULL;
	def.name = name;
	def.labels = labels;
	def.commands = cmds;
	def.n_commands = n;
	flyte_pack_options_init(&po);
	po.concurrency = concurrency;
	po.pollers = pollers;
	if (flyte_pack_new(&p, c, &def, &po) || flyte_pack_register(p) || flyte_pack_start(p)) {
		die("start pack");
		flyte_pack_free(p);
		p = NULL;
	}
	flyte_labels_free(labels);
	return p;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_ms(const int64_t *sorted, size_t n, double p)
{
	size_t i;
	if (!n)
		return 0;
	i = (size_t)ceil(p / 100.0 * (double)n);
	i = i ? i - 1 : 0;
	return (double)sorted[i < n ? i : n - 1] / 1e6;
}

/* ------------------------------------------------------------------ cost */

#define MAX_PIDS MAX_SERVERS

static long pids[MAX_PIDS];
static unsigned npids;

/* CPU and context switches of the servers (all of them) and of this process. */
struct cost {
	double srv_user_us, srv_sys_us, srv_cs;
	double gen_user_us, gen_sys_us, gen_cs;
	bool have_srv;
};

/* utime and stime of a process in µs (all its threads); false when unreadable. */
static bool proc_cpu(long pid, double *user_us, double *sys_us)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	double tick = (double)sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields after the command name, which may contain spaces: ") state ppid ..." */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return false;
	*user_us += (double)ut * 1e6 / tick;
	*sys_us += (double)st * 1e6 / tick;
	return true;
}

/* Voluntary + involuntary context switches summed over the threads of pid. */
static double proc_cs(long pid)
{
	char path[96], line[256];
	double total = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	if (!(d = opendir(path)))
		return 0;
	while ((de = readdir(d)) != NULL) {
		FILE *f;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%.20s/status", pid, de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		while (fgets(line, sizeof(line), f)) {
			unsigned long v;
			if (sscanf(line, "voluntary_ctxt_switches: %lu", &v) == 1 ||
			    sscanf(line, "nonvoluntary_ctxt_switches: %lu", &v) == 1)
				total += (double)v;
		}
		fclose(f);
	}
	closedir(d);
	return total;
}

/* Resident set of a process in KiB, 0 when unknown. */
static long proc_rss_kib(long pid)
{
	char path[64], line[256];
	long kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static void cost_snap(struct cost *c)
{
	struct rusage ru;

	memset(c, 0, sizeof(*c));
	c->have_srv = npids > 0;
	for (unsigned i = 0; i < npids; i++) {
		if (!proc_cpu(pids[i], &c->srv_user_us, &c->srv_sys_us))
			c->have_srv = false;
		c->srv_cs += proc_cs(pids[i]);
	}
	getrusage(RUSAGE_SELF, &ru);
	c->gen_user_us = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec;
	c->gen_sys_us = (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
	c->gen_cs = (double)ru.ru_nvcsw + (double)ru.ru_nivcsw;
}

/* "server cpu/<unit>: ... µs (user ... + sys ...), ... cs; generator ..." for the window a..b. */
static void cost_print(const struct cost *a, const struct cost *b, double units, const char *unit)
{
	double gu = b->gen_user_us - a->gen_user_us, gs = b->gen_sys_us - a->gen_sys_us;

	if (units <= 0)
		return;
	if (a->have_srv && b->have_srv) {
		double su = b->srv_user_us - a->srv_user_us, ss = b->srv_sys_us - a->srv_sys_us;
		printf("         server cpu/%s=%.0fus (user %.0f + sys %.0f)  server context switches/%s=%.1f  ", unit,
		       (su + ss) / units, su / units, ss / units, unit, (b->srv_cs - a->srv_cs) / units);
	} else {
		printf("         ");
	}
	printf("generator cpu/%s=%.0fus (user %.0f + sys %.0f)  generator context switches/%s=%.1f\n", unit,
	       (gu + gs) / units, gu / units, gs / units, unit, (b->gen_cs - a->gen_cs) / units);
}

static int parse_pids(const char *list)
{
	while (list && *list && npids < MAX_PIDS) {
		char *end;
		long v = strtol(list, &end, 10);
		if (end == list || v <= 0)
			return -1;
		pids[npids++] = v;
		list = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

/* Resident sets of the servers: "server rss=... KiB" (what), nothing without --server-pid. */
static void print_rss(const char *what)
{
	if (!npids)
		return;
	printf("rss:     %s", what);
	for (unsigned i = 0; i < npids; i++)
		printf(" %s%.1f MB", i ? "+ " : "", (double)proc_rss_kib(pids[i]) / 1024.0);
	printf("\n");
}

/* ------------------------------------------------------------------ loop */

struct loop_state {
	struct flyte_pack *src[MAX_SERVERS]; /* one event source per server */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	unsigned in_flight, window;
	atomic_bool stop;
	atomic_ulong sent, finished, errors;
};

static struct loop_state L;

static int work_handler(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	(void)len;
	(void)payload;
	return flyte_result_set(out, "Done", in);
}

static int finish_handler(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	(void)in;
	(void)len;
	(void)payload;
	atomic_fetch_add(&L.finished, 1);
	pthread_mutex_lock(&L.mu);
	L.in_flight--;
	pthread_cond_signal(&L.cond);
	pthread_mutex_unlock(&L.mu);
	return flyte_result_set(out, "Finished", NULL);
}

static void *loop_sender(void *arg)
{
	struct flyte_pack *src = arg;
	char payload[64];

	while (!atomic_load(&L.stop)) {
		pthread_mutex_lock(&L.mu);
		while (L.in_flight >= L.window && !atomic_load(&L.stop))
			pthread_cond_wait(&L.cond, &L.mu);
		L.in_flight++;
		pthread_mutex_unlock(&L.mu);
		if (atomic_load(&L.stop))
			break;
		snprintf(payload, sizeof(payload), "{\"i\":%lu}", atomic_fetch_add(&L.sent, 1));
		if (flyte_pack_send_event(src, "Start", payload)) {
			atomic_fetch_add(&L.errors, 1);
			pthread_mutex_lock(&L.mu);
			L.in_flight--;
			pthread_cond_signal(&L.cond);
			pthread_mutex_unlock(&L.mu);
		}
	}
	return NULL;
}

/* --probe: a command run while loops go on; the loops finished meanwhile are counted. */
struct probe {
	const char *cmd;
	pthread_t t;
	unsigned long loops;
	double secs;
	int status;
};

static void *probe_main(void *arg)
{
	struct probe *pr = arg;
	unsigned long f0 = atomic_load(&L.finished);
	int64_t t0 = mono_ns();

	fflush(stdout);
	pr->status = system(pr->cmd);
	pr->loops = atomic_load(&L.finished) - f0;
	pr->secs = (double)(mono_ns() - t0) / 1e9;
	return NULL;
}

static unsigned long posted(struct flyte_pack **packs, unsigned n)
{
	unsigned long total = 0;
	for (unsigned i = 0; i < n; i++) {
		struct flyte_pack_stats st;
		flyte_pack_get_stats(packs[i], &st);
		total += st.results_posted;
	}
	return total;
}

static int scenario_loop(const struct opts *o)
{
	static const char *const work_out[] = { "Done" }, *const finish_out[] = { "Finished" };
	static const struct flyte_command_def cmds[] = {
		{ "Work", work_out, 1, work_handler, NULL, NULL },
		{ "Finish", finish_out, 1, finish_handler, NULL, NULL },
	};
	static const char flow[] =
		"{\"name\":\"load-loop\",\"description\":\"flyte-load full loop\",\"steps\":["
		"{\"id\":\"work\",\"event\":{\"packName\":\"LoadGen\",\"name\":\"Start\"},"
		"\"command\":{\"packName\":\"Load\",\"name\":\"Work\",\"input\":\"{{ Event.Payload.i }}\"}},"
		"{\"id\":\"finish\",\"dependsOn\":[\"work\"],\"event\":{\"packName\":\"Load\",\"name\":\"Done\"},"
		"\"command\":{\"packName\":\"Load\",\"name\":\"Finish\",\"input\":\"{{ Event.Payload }}\"}}]}";
	struct flyte_pack **packs = calloc(o->packs, sizeof(*packs));
	pthread_t *threads = calloc(o->senders, sizeof(*threads));
	unsigned long f0, f1, p0, p1, e0;
	int64_t t0, t1, drain;
	struct cost c0, c1;
	struct probe pr = { o->probe, 0, 0, 0, 0 };
	int rc = 1;

	if (!packs || !threads || apply_flow(flow))
		goto out;
	memset(&L, 0, sizeof(L));
	pthread_mutex_init(&L.mu, NULL);
	pthread_cond_init(&L.cond, NULL);
	L.window = o->window;
	for (unsigned i = 0; i < nclients; i++)
		if (!(L.src[i] = event_source(clients[i])))
			goto out;
	for (unsigned i = 0; i < o->packs; i++)
		if (!(packs[i] = command_pack(client_for(i), "Load", (int)i, cmds, 2, o->pack_concurrency)))
			goto out;
	for (unsigned i = 0; i < o->senders; i++)
		pthread_create(&threads[i], NULL, loop_sender, L.src[i % nclients]);
	sleep_until(mono_ns() + 1000000000); /* warm-up: 1 s */
	f0 = atomic_load(&L.finished);
	p0 = posted(packs, o->packs);
	e0 = atomic_load(&L.errors);
	cost_snap(&c0);
	t0 = mono_ns();
	if (pr.cmd)
		pthread_create(&pr.t, NULL, probe_main, &pr);
	sleep_until(t0 + (int64_t)(o->duration * 1e9));
	f1 = atomic_load(&L.finished);
	p1 = posted(packs, o->packs);
	cost_snap(&c1);
	t1 = mono_ns();
	if (pr.cmd)
		pthread_join(pr.t, NULL);
	atomic_store(&L.stop, true);
	pthread_mutex_lock(&L.mu);
	pthread_cond_broadcast(&L.cond);
	pthread_mutex_unlock(&L.mu);
	for (unsigned i = 0; i < o->senders; i++)
		pthread_join(threads[i], NULL);
	/* let the loops in flight finish */
	drain = mono_ns() + 15000000000LL;
	while (mono_ns() < drain && posted(packs, o->packs) < 2 * atomic_load(&L.finished))
		sleep_until(mono_ns() + 10000000);
	while (mono_ns() < drain && atomic_load(&L.finished) + atomic_load(&L.errors) < atomic_load(&L.sent))
		sleep_until(mono_ns() + 10000000);
	{
		double secs = (double)(t1 - t0) / 1e9;
		printf("loop:    servers=%u packs=%u pollers=%u window=%u senders=%u duration=%.1fs  full loops=%lu  loops/s=%.0f  "
		       "results/s=%.0f  send errors=%lu  unfinished after drain=%ld\n",
		       nclients, o->packs, o->pollers, o->window, o->senders, secs, f1 - f0, (double)(f1 - f0) / secs,
		       (double)(p1 - p0) / secs, atomic_load(&L.errors) - e0,
		       (long)(atomic_load(&L.sent) - atomic_load(&L.finished) - atomic_load(&L.errors)));
		cost_print(&c0, &c1, (double)(f1 - f0), "loop");
		if (pr.cmd)
			printf("probe:   %lu full loops while the probe ran (%.2fs, exit status %d)\n", pr.loops, pr.secs,
			       pr.status);
	}
	rc = 0;
out:
	for (unsigned i = 0; packs && i < o->packs; i++)
		flyte_pack_free(packs[i]);
	for (unsigned i = 0; i < nclients; i++) {
		flyte_pack_free(L.src[i]);
		L.src[i] = NULL;
	}
	free(packs);
	free(threads);
	return rc;
}

/* ---------------------------------------------------------------- ingest */

struct ingest_thread {
	pthread_t t;
	struct flyte_pack *src;
	int64_t until;
	unsigned long sent, errors;
	int64_t *lat;
	size_t n_lat, cap_lat;
};

static void *ingest_main(void *arg)
{
	struct ingest_thread *it = arg;
	char payload[64];

	while (mono_ns() < it->until) {
		int64_t s = mono_ns();
		snprintf(payload, sizeof(payload), "{\"n\":%lu}", it->sent);
		if (flyte_pack_send_event(it->src, "Noise", payload)) {
			it->errors++;
			continue;
		}
		it->sent++;
		if (it->n_lat < it->cap_lat)
			it->lat[it->n_lat++] = mono_ns() - s;
	}
	return NULL;
}

static int scenario_ingest(const struct opts *o)
{
	struct ingest_thread *th = calloc(o->concurrency, sizeof(*th));
	struct flyte_pack *src[MAX_SERVERS] = { NULL };
	unsigned long sent = 0, errors = 0;
	size_t n = 0, cap = 0;
	int64_t *all = NULL, t0, t1;
	struct cost c0, c1;
	bool ok = th != NULL;

	for (unsigned i = 0; ok && i < nclients; i++)
		ok = (src[i] = event_source(clients[i])) != NULL;
	if (!ok) {
		free(th);
		for (unsigned i = 0; i < nclients; i++)
			flyte_pack_free(src[i]);
		return 1;
	}
	cost_snap(&c0);
	t0 = mono_ns();
	for (unsigned i = 0; i < o->concurrency; i++) {
		th[i].src = src[i % nclients];
		th[i].until = t0 + (int64_t)(o->duration * 1e9);
		th[i].cap_lat = 1 << 20;
		th[i].lat = malloc(th[i].cap_lat * sizeof(int64_t));
		pthread_create(&th[i].t, NULL, ingest_main, &th[i]);
	}
	for (unsigned i = 0; i < o->concurrency; i++) {
		pthread_join(th[i].t, NULL);
		sent += th[i].sent;
		errors += th[i].errors;
		cap += th[i].n_lat;
	}
	cost_snap(&c1);
	t1 = mono_ns();
	all = malloc((cap ? cap : 1) * sizeof(*all));
	for (unsigned i = 0; all && i < o->concurrency; i++) {
		memcpy(all + n, th[i].lat, th[i].n_lat * sizeof(*all));
		n += th[i].n_lat;
	}
	if (all)
		qsort(all, n, sizeof(*all), cmp_i64);
	printf("ingest:  servers=%u concurrency=%u duration=%.1fs  events=%lu  events/s=%.0f  errors=%lu  "
	       "post latency p50=%.2fms p99=%.2fms max=%.2fms\n",
	       nclients, o->concurrency, (double)(t1 - t0) / 1e9, sent, (double)sent / ((double)(t1 - t0) / 1e9), errors,
	       pct_ms(all, n, 50), pct_ms(all, n, 99), n ? (double)all[n - 1] / 1e6 : 0.0);
	cost_print(&c0, &c1, (double)sent, "event");
	for (unsigned i = 0; i < o->concurrency; i++)
		free(th[i].lat);
	free(all);
	free(th);
	for (unsigned i = 0; i < nclients; i++)
		flyte_pack_free(src[i]);
	return 0;
}

/* --------------------------------------------------------------- latency */

static struct {
	struct flyte_pack *src;
	int64_t t0, period_ns;
	unsigned long total;
	atomic_ulong next, send_errors, received, late_sends;
	int64_t *lat; /* indexed by event number */
} T;

static int pong_handler(const char *in, size_t len, struct flyte_result *out, void *payload)
{
	int64_t now = mono_ns();
	long long sent_at = 0;
	unsigned long k = 0;

	(void)len;
	(void)payload;
	/* input: "<k>:<send time ns>" as a JSON string */
	if (sscanf(in, "\"%lu:%lld\"", &k, &sent_at) == 2 && k < T.total) {
		T.lat[k] = now - sent_at;
		atomic_fetch_add(&T.received, 1);
	}
	return flyte_result_set(out, "Ponged", NULL);
}

static void *latency_sender(void *arg)
{
	char payload[96];
	(void)arg;

	for (;;) {
		unsigned long k = atomic_fetch_add(&T.next, 1);
		int64_t due, now;
		if (k >= T.total)
			return NULL;
		due = T.t0 + (int64_t)k * T.period_ns;
		sleep_until(due);
		now = mono_ns();
		if (now - due > 1000000)
			atomic_fetch_add(&T.late_sends, 1); /* the schedule slipped by more than 1 ms */
		snprintf(payload, sizeof(payload), "{\"t\":\"%lu:%lld\"}", k, (long long)now);
		if (flyte_pack_send_event(T.src, "Ping", payload))
			atomic_fetch_add(&T.send_errors, 1);
	}
}

static int scenario_latency(const struct opts *o)
{
	static const char *const pong_out[] = { "Ponged" };
	static const struct flyte_command_def cmd = { "Pong", pong_out, 1, pong_handler, NULL, NULL };
	static const char flow[] =
		"{\"name\":\"load-latency\",\"description\":\"flyte-load event to take latency\",\"steps\":["
		"{\"id\":\"pong\",\"event\":{\"packName\":\"LoadGen\",\"name\":\"Ping\"},"
		"\"command\":{\"packName\":\"Lat\",\"name\":\"Pong\",\"input\":\"{{ Event.Payload.t }}\"}}]}";
	struct flyte_pack *lat = NULL;
	pthread_t th[8];
	int64_t *sorted = NULL, deadline;
	struct cost c0, c1;
	size_t n = 0;
	int rc = 1;

	memset(&T, 0, sizeof(T));
	T.total = (unsigned long)(o->rate * o->duration);
	T.period_ns = (int64_t)(1e9 / o->rate);
	T.lat = calloc(T.total ? T.total : 1, sizeof(*T.lat));
	sorted = calloc(T.total ? T.total : 1, sizeof(*sorted));
	/* events to the first server, takes on the second (when there is one) */
	if (!T.lat || !sorted || apply_flow(flow) || !(T.src = event_source(clients[0])) ||
	    !(lat = command_pack(client_for(1), "Lat", 0, &cmd, 1, o->pack_concurrency)))
		goto out;
	sleep_until(mono_ns() + 500000000); /* let the take loop park */
	cost_snap(&c0);
	T.t0 = mono_ns() + 10000000;
	for (int i = 0; i < 8; i++)
		pthread_create(&th[i], NULL, latency_sender, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	deadline = mono_ns() + 10000000000LL;
	while (atomic_load(&T.received) + atomic_load(&T.send_errors) < T.total && mono_ns() < deadline)
		sleep_until(mono_ns() + 10000000);
	cost_snap(&c1);
	for (unsigned long k = 0; k < T.total; k++)
		if (T.lat[k] > 0)
			sorted[n++] = T.lat[k];
	qsort(sorted, n, sizeof(*sorted), cmp_i64);
	printf("latency: %s rate=%.0f/s duration=%.1fs  sent=%lu  taken=%zu  lost=%lu  send errors=%lu  late sends=%lu  "
	       "event->take p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms\n",
	       nclients > 1 ? "across servers" : "one server", o->rate, o->duration, T.total - atomic_load(&T.send_errors), n,
	       T.total - atomic_load(&T.send_errors) - n, atomic_load(&T.send_errors), atomic_load(&T.late_sends),
	       pct_ms(sorted, n, 50), pct_ms(sorted, n, 90), pct_ms(sorted, n, 99),
	       n ? (double)sorted[n - 1] / 1e6 : 0.0);
	cost_print(&c0, &c1, (double)n, "event");
	rc = 0;
out:
	flyte_pack_free(lat);
	flyte_pack_free(T.src);
	free(T.lat);
	free(sorted);
	return rc;
}

/* ------------------------------------------------------------------ main */

static const char usage[] =
	"usage: flyte-load [--server URL] [--scenario loop|ingest|latency|all] [--duration SEC]\n"
	"                  [--packs N] [--pack-concurrency N] [--window N] [--senders N]\n"
	"                  [--pollers N] [--concurrency N] [--rate PER_SEC]\n"
	"                  [--server-pid PID[,PID...]] [--probe CMD]\n"
	"  --server URL[,URL...]  flyte server (default $FLYTE_API or http://127.0.0.1:8080); several\n"
	"                         servers on one database share the load, and the latency\n"
	"                         scenario sends to the first and takes from the second\n"
	"  --scenario S           loop, ingest, latency or all (default all)\n"
	"  --duration SEC         measured time per scenario (default 10)\n"
	"  --packs N              loop: pack instances (default 8)\n"
	"  --pack-concurrency N   loop and latency: handlers per pack instance (default 8)\n"
	"  --window N             loop: loops in flight (default 256)\n"
	"  --senders N            loop: threads posting Start events (default 8)\n"
	"  --pollers N            loop and latency: take requests open per pack (default 8:\n"
	"                         as many as handlers, so each poller runs its own actions)\n"
	"  --concurrency N        ingest: sending threads (default 16)\n"
	"  --rate PER_SEC         latency: events per second (default 1000)\n"
	"  --server-pid PID[,PID] print the CPU time and context switches of these server\n"
	"                         processes per loop / event (from /proc), and their memory\n"
	"  --probe CMD            loop: run CMD (a shell command) during the measured window\n"
	"                         and print how many loops completed while it ran\n";

static int parse(struct opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			exit(0);
		}
		if (!v)
			return -1;
		i++;
		if (!strcmp(a, "--server"))
			o->server = v;
		else if (!strcmp(a, "--scenario"))
			o->scenario = v;
		else if (!strcmp(a, "--duration"))
			o->duration = strtod(v, NULL);
		else if (!strcmp(a, "--packs"))
			o->packs = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--pack-concurrency"))
			o->pack_concurrency = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--window"))
			o->window = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--senders"))
			o->senders = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--pollers"))
			o->pollers = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--concurrency"))
			o->concurrency = (unsigned)strtoul(v, NULL, 10);
		else if (!strcmp(a, "--rate"))
			o->rate = strtod(v, NULL);
		else if (!strcmp(a, "--server-pid"))
			o->server_pids = v;
		else if (!strcmp(a, "--probe"))
			o->probe = v;
		else
			return -1;
	}
	return o->duration > 0 && o->packs && o->pack_concurrency && o->window && o->senders && o->concurrency && o->pollers &&
			       o->rate > 0
		       ? 0
		       : -1;
}

int main(int argc, char **argv)
{
	struct opts o = { getenv("FLYTE_API"), "all", 10, 8, 8, 256, 8, 16, 8, 1000, NULL, NULL };
	struct flyte_client_options co;
	bool all;
	int rc = 0;

	if (parse(&o, argc, argv)) {
		fputs(usage, stderr);
		return 2;
	}
	{
		const char *list = o.server ? o.server : "http://127.0.0.1:8080";
		static char urls[MAX_SERVERS][512];
		while (*list && nclients < MAX_SERVERS) {
			size_t len = strcspn(list, ",");
			snprintf(urls[nclients], sizeof(urls[nclients]), "%.*s", (int)len, list);
			flyte_client_options_init(&co);
			co.api_url = urls[nclients];
			if (flyte_client_new(&clients[nclients], &co))
				return die("client");
			nclients++;
			list += len + (list[len] == ',');
		}
		if (!nclients)
			return die("no server");
	}
	pollers = o.pollers;
	if (parse_pids(o.server_pids)) {
		fputs(usage, stderr);
		return 2;
	}
	print_rss("servers before the run:");
	all = !strcmp(o.scenario, "all");
	if (!rc && (all || !strcmp(o.scenario, "loop")))
		rc = scenario_loop(&o);
	if (!rc && (all || !strcmp(o.scenario, "ingest")))
		rc = scenario_ingest(&o);
	if (!rc && (all || !strcmp(o.scenario, "latency")))
		rc = scenario_latency(&o);
	if (!rc) {
		sleep_until(mono_ns() + 1000000000); /* let the server settle */
		print_rss("servers after the run (idle):");
	}
	for (unsigned i = 0; i < nclients; i++)
		flyte_client_free(clients[i]);
	return rc;
}
