/* SPDX-License-Identifier: Apache-2.0 */
/*
 * disk.c - the database on a file system that fills up or turns read-only.
 *
 * Each case mounts a small tmpfs (the test runs as root; if mount(2) is
 * refused the case fails, it does not skip) and puts the server's database
 * there.
 *
 * disk_full: with the tmpfs filled to the last few KiB by another file,
 * every write (events with large payloads; then, with not a byte left, a
 * registration, a flow, a datastore item, a small event, a result) answers
 * either its 2xx or 503 with a JSON error, never anything else, and writes
 * of both kinds are refused; the server
 * stays up and reads are served.  Once the filler file is removed, writes
 * succeed again without a restart.  Every acknowledged event has its action
 * (checked through the API, then again after kill -9 and a restart), and
 * PRAGMA integrity_check is ok.
 *
 * read_only: Linux refuses to remount a file system read-only while a
 * process holds a file on it open for writing (EBUSY), which is what a
 * running server does; the case shows that, then stops the server, remounts
 * the tmpfs read-only and starts the server on it: it must refuse to start
 * with a clear message and a non-zero exit status, and leave the database
 * untouched.  Remounted read-write, the server starts on the same database
 * with everything acknowledged before, takes writes again, and
 * integrity_check is ok.  (A store that turns read-only under a running
 * server is the injected-fault suite's "every write fails" case.)
 */
#include "fl-common.h"

#include "api-util.h"
#include "fault-util.h"
#include "fltest.h"
#include "harness.h"
#include "fsutil.h"

#include <sys/stat.h>
#include <unistd.h>

#define MAX_EVENTS 4096
#define FLOW                                                                                        \
	"{\"name\":\"df\",\"steps\":[{\"id\":\"job\",\"event\":{\"packName\":\"DfSrc\",\"name\":\"Go\"}," \
	"\"command\":{\"packName\":\"DfWorker\",\"name\":\"Job\",\"input\":\"{{ Event.Payload.i }}\"}}]}"

static char mnt[256];
static char db_path[300];
static bool acked[MAX_EVENTS];
static int next_event;

static void cleanup(void)
{
	if (mnt[0]) {
		fu_umount(mnt);
		flt_tmpdir_remove(mnt);
		mnt[0] = '\0';
	}
}

/* A fresh tmpfs of size_kib and a server with its database there. */
static struct flh_server *start_on_tmpfs(long size_kib)
{
	char dbenv[330];
	const char *env[] = { dbenv, "LOGLEVEL=warn", NULL };
	struct flh_server_opts so = { env, NULL, 0 };
	struct flh_server *srv = NULL;

	cleanup();
	FLH_ASSERT(flt_tmpdir_make(mnt, sizeof(mnt), "flyte-fault") == 0);
	FLH_ASSERT_MSG(fu_mount_tmpfs(mnt, size_kib) == 0, "mounting a tmpfs failed");
	snprintf(db_path, sizeof(db_path), "%s/flyte.db", mnt);
	snprintf(dbenv, sizeof(dbenv), "FLYTE_DB_PATH=%s", db_path);
	FLH_ASSERT(flh_server_start(&srv, &so) == 0);
	return srv;
}

static void setup_flow(struct flh_server *srv, struct flh_pack *src, struct flh_pack *worker)
{
	FLH_EQ_INT(api_post_flow(srv, FLOW), 201);
	FLH_EQ_INT(flh_pack_register(src, srv, "{\"name\":\"DfSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(worker, srv, "{\"name\":\"DfWorker\",\"commands\":[{\"name\":\"Job\"}]}"), 201);
	FLH_EQ_INT(api_put_item(srv, "k0", "v0", 2, "text/plain", NULL, NULL), 201);
}

/* Post event i (with `pad` bytes of padding); returns the status, which must be 202 or 503 + JSON. */
static long post_event(struct flh_pack *src, int i, size_t pad)
{
	static char body[65536];
	struct flh_resp *r;
	long st;
	int n;

	FLH_ASSERT(pad < sizeof(body) - 128);
	n = snprintf(body, sizeof(body), "{\"event\":\"Go\",\"payload\":{\"i\":\"%d\",\"pad\":\"", i);
	memset(body + n, 'p', pad);
	snprintf(body + n + pad, sizeof(body) - (size_t)n - pad, "\"}}");
	r = flh_post_json(src->srv, src->event_href, body);
	st = r->status;
	if (st == 503)
		FLH_ERROR(r, 503);
	else
		FLH_STATUS(r, 202);
	flh_resp_free(r);
	if (st == 202)
		acked[i] = true;
	return st;
}

static int count_acked(void)
{
	int n = 0;

	for (int k = 0; k < next_event; k++)
		n += acked[k];
	return n;
}

/* Every acknowledged event has its action (through the audit API). */
static void check_acked(struct flh_server *srv, const char *when)
{
	static bool seen[MAX_EVENTS];
	struct flh_resp *r = flh_get(srv, "/v1/audit/flows?flowName=df&limit=5000");
	json_t *flows = json_object_get(flh_resp_json(r), "flows"), *e;
	size_t i;
	int missing = 0, dups = 0, n_acked = 0;

	FLH_STATUS(r, 200);
	memset(seen, 0, sizeof(seen));
	json_array_foreach(flows, i, e) {
		const char *in = flh_json_str(e, "actions.job.input");
		long n = in ? strtol(in, NULL, 10) : -1;
		if (n < 0 || n >= MAX_EVENTS)
			continue;
		dups += seen[n];
		seen[n] = true;
	}
	for (int k = 0; k < next_event; k++) {
		n_acked += acked[k];
		missing += acked[k] && !seen[k];
	}
	flh_resp_free(r);
	printf("# %s: %d events acknowledged, %d missing, %d duplicated\n", when, n_acked, missing, dups);
	FLH_EQ_INT(missing, 0);
	FLH_EQ_INT(dups, 0);
}

/* A read that must be served (200) whatever happens to writes. */
static void must_read(struct flh_server *srv, const char *path)
{
	struct flh_resp *r = flh_get(srv, path);
	FLH_STATUS(r, 200);
	flh_resp_free(r);
}

/* A write answered with `ok` or 503 + JSON; returns the status. */
static long write_status(struct flh_resp *r, long ok)
{
	long st = r->status;

	if (st == 503)
		FLH_ERROR(r, 503);
	else
		FLH_STATUS(r, ok);
	flh_resp_free(r);
	return st;
}

FLT_TEST(disk_full)
{
	struct flh_server *srv = start_on_tmpfs(8192);
	struct flh_pack src = { 0 }, worker = { 0 };
	struct flh_action a = { 0 };
	char filler[sizeof(mnt) + 16];
	int refused = 0, accepted_full = 0, other_refused = 0, tries = 0;
	long st;
	bool ok = false;

	memset(acked, 0, sizeof(acked));
	next_event = 0;
	setup_flow(srv, &src, &worker);
	for (int k = 0; k < 20; k++)
		FLH_EQ_INT(post_event(&src, next_event++, 16), 202);

	/* the disk fills up */
	FLH_EQ_INT(fu_fill(mnt, "filler", 64 * 1024), 0);
	printf("# %lld bytes left on the tmpfs\n", fu_free_bytes(mnt));
	for (tries = 0; tries < 400 && refused < 10; tries++) {
		st = post_event(&src, next_event++, 24 * 1024);
		refused += st == 503;
		accepted_full += st == 202;
	}
	FLH_ASSERT_MSG(refused >= 10, "only %d of %d large events were refused on a full disk", refused, tries);
	/* not a byte left: other writes get their 2xx (when a page was still free) or 503 */
	FLH_EQ_INT(fu_fill(mnt, "filler2", 0), 0);
	other_refused += write_status(flh_post_json(srv, "/v1/packs", "{\"name\":\"DfNew\"}"), 201) == 503;
	other_refused += write_status(flh_post_json(srv, "/v1/flows",
						    "{\"name\":\"df2\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":"
						    "\"DfSrc\",\"name\":\"Other\"},\"command\":{\"packName\":\"DfWorker\","
						    "\"name\":\"Job\",\"input\":\"x\"}}]}"),
				      201) == 503;
	{
		long ds = api_put_item(srv, "k1", "v1", 2, "text/plain", NULL, NULL);
		FLH_ASSERT_MSG(ds == 201 || ds == 503, "datastore put on a full disk answered %ld", ds);
		other_refused += ds == 503;
	}
	other_refused += post_event(&src, next_event++, 16) == 503;
	FLH_ASSERT_MSG(other_refused >= 1, "no small write was refused on a disk without a free byte");
	st = flh_pack_take(&worker, NULL, &a);
	FLH_ASSERT_MSG(st == 200 || st == 204 || st == 503, "take on a full disk answered %ld", st);
	if (st == 200)
		other_refused += write_status(flh_post_json(srv, a.result_href, "{\"event\":\"Done\"}"), 202) == 503;
	flh_action_release(&a);
	/* the server is up and serves reads */
	FLH_ASSERT(flh_server_running(srv));
	must_read(srv, "/v1/flows/df");
	must_read(srv, "/v1/packs");
	must_read(srv, "/v1/datastore/k0");
	must_read(srv, "/v1/audit/flows?flowName=df&limit=5");
	check_acked(srv, "disk full");

	/* space comes back: writes succeed again, no restart */
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	FLH_EQ_INT(unlink(filler), 0);
	snprintf(filler, sizeof(filler), "%s/filler2", mnt);
	FLH_EQ_INT(unlink(filler), 0);
	FLH_WAIT_FOR(ok, 10000, post_event(&src, next_event++, 16) == 202);
	FLH_ASSERT_MSG(ok, "writes did not succeed again once the disk had space");
	for (int k = 0; k < 10; k++)
		FLH_EQ_INT(post_event(&src, next_event++, 24 * 1024), 202);
	FLH_EQ_INT(write_status(flh_post_json(srv, "/v1/packs", "{\"name\":\"DfNew2\"}"), 201), 201);
	FLH_EQ_INT(api_put_item(srv, "k2", "v2", 2, "text/plain", NULL, NULL), 201);
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_INT(flh_action_result(srv, &a, "Done", NULL), 202);
	flh_action_release(&a);
	check_acked(srv, "after recovery");

	/* what was acknowledged is durable */
	FLH_EQ_INT(flh_server_kill(srv), 0);
	FLH_ASSERT(flh_server_restart(srv) == 0);
	check_acked(srv, "after kill -9");
	must_read(srv, "/v1/datastore/k2");
	FLH_EQ_INT(flh_server_stop(srv, 0, NULL), 0);
	FLH_EQ_INT(fu_integrity(db_path), 0);
	fu_figures("disk-full",
		   "large events tried on a full disk=%d accepted=%d refused_503=%d other writes refused=%d "
		   "events acknowledged in all=%d lost=0 integrity=ok recovered_without_restart=yes",
		   tries, accepted_full, refused, other_refused, count_acked());
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(srv);
	cleanup();
}

/* The whole file, for comparison (caller frees); NULL when unreadable. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

FLT_TEST(read_only)
{
	struct flh_server *srv = start_on_tmpfs(8192);
	struct flh_pack src = { 0 }, worker = { 0 };
	struct flh_run_opts ro = { 0 };
	struct flh_run_result rr = { 0 };
	char *before, *after;
	size_t blen = 0, alen = 0;
	int busy;

	memset(acked, 0, sizeof(acked));
	next_event = 0;
	setup_flow(srv, &src, &worker);
	for (int k = 0; k < 20; k++)
		FLH_EQ_INT(post_event(&src, next_event++, 16), 202);

	/* while the server holds the database open for writing, Linux refuses */
	busy = fu_remount(mnt, true);
	printf("# remount,ro under the running server: %s\n", busy ? strerror(errno) : "done");
	FLH_ASSERT_MSG(busy != 0, "the tmpfs went read-only under the running server");
	post_event(&src, next_event++, 16);
	FLH_ASSERT(acked[next_event - 1]);

	/* stopped, remounted read-only, started: it must refuse, loudly, and touch nothing */
	FLH_EQ_INT(flh_server_stop(srv, 0, NULL), 0);
	before = slurp(db_path, &blen);
	FLH_ASSERT(before != NULL);
	FLH_EQ_INT(fu_remount(mnt, true), 0);
	ro.like = srv;
	ro.env = (const char *const[]){ "LOGLEVEL=warn", NULL };
	ro.timeout_ms = 20000;
	FLH_EQ_INT(flh_run(&ro, &rr), 0);
	printf("# start on the read-only file system: %s", rr.output);
	FLH_ASSERT_MSG(!rr.timed_out && flh_exit_code(rr.wstatus) != 0, "the server started on a read-only disk");
	FLH_ASSERT_MSG(strstr(rr.output, "Read-only file system") != NULL, "no clear message: %s", rr.output);
	flh_run_result_release(&rr);
	after = slurp(db_path, &alen);
	FLH_ASSERT(after != NULL && alen == blen && memcmp(before, after, blen) == 0);
	free(before);
	free(after);

	/* read-write again: the same data, and writes */
	FLH_EQ_INT(fu_remount(mnt, false), 0);
	FLH_ASSERT(flh_server_restart(srv) == 0);
	check_acked(srv, "after the read-only period");
	must_read(srv, "/v1/datastore/k0");
	for (int k = 0; k < 5; k++)
		FLH_EQ_INT(post_event(&src, next_event++, 16), 202);
	check_acked(srv, "writes again");
	FLH_EQ_INT(flh_server_stop(srv, 0, NULL), 0);
	FLH_EQ_INT(fu_integrity(db_path), 0);
	fu_figures("read-only", "remount under the running server refused (EBUSY); start on the read-only disk "
				"refused with exit status != 0; database unchanged; events acknowledged=%d lost=0 "
				"integrity=ok",
		   count_acked());
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_server_free(srv);
	cleanup();
}

FLT_TEST(prepare)
{
	atexit(cleanup);
}

FLT_MAIN(prepare, disk_full, read_only)
