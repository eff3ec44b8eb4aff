/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault_pack.c - flyte-fault-pack, a small pack on libflyte for the fault
 * suite: command Hold (result event Done).
 *
 *   flyte-fault-pack hold [CONCURRENCY]   the handler never returns (the
 *                                         process is meant to be killed);
 *                                         libflyte keeps its leases alive
 *   flyte-fault-pack work [CONCURRENCY]   the handler answers at once with
 *                                         Done {"input": <input>, "attempt": n}
 *
 * Each handler call prints one line "taken attempt=<n> input=<json>
 * at=<wall ms>" (flushed), which the tests read.  The server URL, labels and
 * lease come from the environment (FLYTE_API, FLYTE_LABELS,
 * FLYTE_LEASE_SECONDS).  SIGTERM/SIGINT stop a "work" pack gracefully.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <flyte.h>

static struct flyte_pack *pack;
static int holding;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

static void on_signal(int sig)
{
	(void)sig;
	flyte_pack_request_stop(pack);
}

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int hold(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	char json[512];
	long attempt = flyte_result_attempt(out);

	(void)payload;
	pthread_mutex_lock(&out_mu);
	printf("taken attempt=%ld input=%.*s at=%lld\n", attempt, (int)(len < 200 ? len : 200), input, wall_ms());
	fflush(stdout);
	pthread_mutex_unlock(&out_mu);
	while (holding)
		sleep(1); /* until the process is killed */
	if (len > 200)
		return flyte_result_fatal(out, "input too long");
	snprintf(json, sizeof(json), "{\"input\":%.*s,\"attempt\":%ld}", (int)len, input, attempt);
	return flyte_result_set(out, "Done", json);
}

int main(int argc, char **argv)
{
	static const char *const done[] = { "Done" };
	struct flyte_command_def cmd = { "Hold", done, 1, hold, NULL, NULL };
	struct flyte_client_options copts;
	struct flyte_pack_options popts;
	struct flyte_client *client = NULL;
	struct flyte_labels *labels = NULL;
	struct flyte_pack_def def;
	int rc = 1;

	if (argc < 2 || (strcmp(argv[1], "hold") && strcmp(argv[1], "work"))) {
		fprintf(stderr, "usage: flyte-fault-pack hold|work [CONCURRENCY]\n");
		return 2;
	}
	holding = !strcmp(argv[1], "hold");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (flyte_client_options_from_env(&copts) || flyte_labels_from_env(&labels)) {
		fprintf(stderr, "flyte-fault-pack: %s\n", flyte_last_error());
		goto out;
	}
	copts.log_fn = flyte_log_stderr;
	if (flyte_client_new(&client, &copts)) {
		fprintf(stderr, "flyte-fault-pack: %s\n", flyte_last_error());
		goto out;
	}
	flyte_pack_options_init(&popts);
	popts.concurrency = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 8;
	popts.retry_initial_ms = 50;
	popts.retry_max_ms = 500;
	memset(&def, 0, sizeof(def));
	def.name = "FpWorker";
	def.labels = labels;
	def.commands = &cmd;
	def.n_commands = 1;
	if (flyte_pack_new(&pack, client, &def, &popts)) {
		fprintf(stderr, "flyte-fault-pack: %s\n", flyte_last_error());
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = flyte_pack_run(pack) == FLYTE_OK ? 0 : 1;
out:
	flyte_pack_free(pack);
	flyte_labels_free(labels);
	flyte_client_free(client);
	return rc;
}
