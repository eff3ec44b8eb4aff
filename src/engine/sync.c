/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sync.c - several servers on one database: the listener thread.
 *
 * With a shared store (FL_STORE_SHARED, PostgreSQL) every server keeps its
 * own take queues and parked takes, and learns what the others did from the
 * database's notifications: an action became NEW (queue it, hand it to a
 * parked take at once), an action was claimed (drop it from the queue),
 * packs or flows changed (read the change log), or notifications may have
 * been lost (rebuild the queues).  This thread only listens: it copies each
 * notification onto a list under eng->mu and wakes the writer, which applies
 * them in its next batch (the SYNC job, writer.c).  The writer also reads the
 * change log before every batch, so a flow put on one server is used by the
 * next request on any other, whatever the notification's delay.
 */
#include "fl-common.h"

#include <pthread.h>

#include "alloc.h"
#include "engine-int.h"
#include "log.h"

#define LISTEN_WAIT_MS 500

static char *dup_or_null(const char *s)
{
	return s ? fl_xstrdup(s) : NULL;
}

void fl_engine__note_free(struct fl_engine_note *n)
{
	while (n) {
		struct fl_engine_note *nx = n->next;
		free(n->id);
		free(n->pack_name);
		free(n->command);
		free(n->labels);
		free(n);
		n = nx;
	}
}

static int heard(const struct fl_store_note *sn, void *payload)
{
	struct fl_engine *eng = payload;
	struct fl_engine_note *n = fl_xcalloc(1, sizeof(*n));

	n->kind = sn->kind;
	n->id = dup_or_null(sn->id);
	n->seq = sn->seq;
	n->pack_name = dup_or_null(sn->pack_name);
	n->command = dup_or_null(sn->command);
	n->labels = dup_or_null(sn->labels);
	pthread_mutex_lock(&eng->mu);
	if (eng->notes_tail)
		eng->notes_tail->next = n;
	else
		eng->notes = n;
	eng->notes_tail = n;
	pthread_cond_signal(&eng->cond);
	pthread_mutex_unlock(&eng->mu);
	return 0;
}

struct fl_engine_note *fl_engine__notes_take(struct fl_engine *eng)
{
	struct fl_engine_note *n;

	pthread_mutex_lock(&eng->mu);
	n = eng->notes;
	eng->notes = eng->notes_tail = NULL;
	pthread_mutex_unlock(&eng->mu);
	return n;
}

static void *listener_main(void *arg)
{
	struct fl_engine *eng = arg;
	bool down = false;

	while (!atomic_load(&eng->listener_stop)) {
		struct fl_error err = FL_ERROR_INIT;
		int rc = fl_store_wait_notify(eng->lst, LISTEN_WAIT_MS, heard, eng, &err);
		if (rc && !down)
			FL_LOG_E(NULL, "cannot listen to the database: %s", err.msg);
		else if (!rc && down)
			FL_LOG_I(NULL, "listening to the database again");
		down = rc != FL_OK;
	}
	return NULL;
}

int fl_engine__listener_start(struct fl_engine *eng, struct fl_error *err)
{
	int rc = fl_store_open(&eng->lst, eng->db_driver, eng->db_path, FL_STORE_LISTEN, err);

	if (rc)
		return rc;
	rc = pthread_create(&eng->listener, NULL, listener_main, eng);
	if (rc)
		return fl_error_set(err, FL_ERROR, "cannot start the listener thread: %s", strerror(rc));
	eng->listener_started = true;
	return FL_OK;
}

void fl_engine__listener_stop(struct fl_engine *eng)
{
	atomic_store(&eng->listener_stop, true);
	if (eng->listener_started)
		pthread_join(eng->listener, NULL);
	eng->listener_started = false;
	fl_store_close(eng->lst);
	eng->lst = NULL;
	fl_engine__note_free(fl_engine__notes_take(eng));
}
