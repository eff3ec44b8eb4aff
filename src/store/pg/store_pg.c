/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_pg.c - the PostgreSQL store driver: the only file that includes
 * <libpq-fe.h>.
 *
 * Any number of flyte servers share one database through this driver
 * (FL_STORE_SHARED).  What makes that correct lives in the SQL:
 *
 *  - a claim takes its row with FOR UPDATE SKIP LOCKED, so two servers never
 *    both move one NEW action to PENDING, and neither waits for the other;
 *  - one action per (execution, step) is a unique index; inserts use
 *    ON CONFLICT DO NOTHING, so a lost race is FL_EEXISTS and leaves the
 *    transaction usable;
 *  - an action that becomes NEW or is claimed is announced with NOTIFY
 *    (channel "flyte", delivered at COMMIT) so that parked takes of every
 *    server wake at once and every server's take queues stay in step;
 *  - changes to packs and flows are written to a change log (table changes)
 *    under a transaction-level advisory lock, so versions are in commit
 *    order, and every server reads the log before each batch;
 *  - periodic work is elected with pg_try_advisory_xact_lock;
 *  - the latest state time of an execution (for the audit order) is bumped
 *    only when its row is free (SKIP LOCKED): the concurrent transaction
 *    holding it writes a time just as recent, and no server ever waits on
 *    another for it.
 *
 * Connections: a lost connection makes every call fail with FL_EIO
 * ("database … is unavailable") until the transaction that was open on it
 * is ended (commit or rollback); a call outside a transaction (begin(),
 * ping(), a read on its own) connects again, at most once per backoff
 * interval (100 ms doubling to 2 s), and statements are prepared again on
 * the new connection.  A LISTEN connection reconnects in
 * wait_notify() and then reports FL_STORE_NOTE_RESYNC.  Passwords never
 * appear in messages (fl_store_pg_redact).
 *
 * All parameters and results travel as text, except datastore values
 * (bytea, binary).  Times are bigint nanoseconds.
 */
#include "fl-common.h"

#include <dlfcn.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "log.h"
#include "store/driver.h"
#include "store/pg/store_pg.h"
#include "store/store.h"
#include "timeutil.h"

/*
 * libpq is loaded with dlopen when the first PostgreSQL store opens, so a
 * server on SQLite does not map libpq and the libraries it pulls in
 * (Kerberos, LDAP, SASL, GnuTLS...: about 1.4 MB of resident pages, a seventh
 * of the idle footprint).  Every call goes through this table (pq.PQ...).
 */
#define PQ_FUNCS(X) \
	X(PQclear) \
	X(PQcmdTuples) \
	X(PQconnectdb) \
	X(PQconsumeInput) \
	X(PQenterPipelineMode) \
	X(PQerrorMessage) \
	X(PQexec) \
	X(PQexecParams) \
	X(PQexecPrepared) \
	X(PQexitPipelineMode) \
	X(PQfinish) \
	X(PQfreemem) \
	X(PQgetResult) \
	X(PQgetisnull) \
	X(PQgetlength) \
	X(PQgetvalue) \
	X(PQnotifies) \
	X(PQntuples) \
	X(PQpipelineSync) \
	X(PQprepare) \
	X(PQresultErrorField) \
	X(PQresultStatus) \
	X(PQsendPrepare) \
	X(PQsendQueryParams) \
	X(PQsendQueryPrepared) \
	X(PQsetNoticeProcessor) \
	X(PQsocket) \
	X(PQstatus) \
	X(PQtransactionStatus)

static struct {
#define PQ_FIELD(f) __typeof__(f) *f;
	PQ_FUNCS(PQ_FIELD)
#undef PQ_FIELD
	bool loaded;
	char error[160];
} pq;

static pthread_once_t pq_once = PTHREAD_ONCE_INIT;

static void pq_load(void)
{
	void *lib = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		snprintf(pq.error, sizeof(pq.error), "cannot load libpq: %s", dlerror());
		return;
	}
	/* POSIX guarantees that a data pointer from dlsym converts to a function pointer. */
#define PQ_SYM(f)                                                                             \
	if (!(*(void **)(&pq.f) = dlsym(lib, #f))) {                                            \
		snprintf(pq.error, sizeof(pq.error), "cannot load libpq: it has no %s", #f); \
		return;                                                                       \
	}
	PQ_FUNCS(PQ_SYM)
#undef PQ_SYM
	pq.loaded = true;
}

#define MAX_PARAMS 16
#define PENDING_MAX 8 /* deferred commands (defer()) */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* advisory lock key of migrations (a literal in the SQL below) */
#define MIGRATE_LOCK_SQL "727100101"
#define NOTE_CHANNEL "flyte"

/* ------------------------------------------------------------ schema */

/* Version N of the schema is reached by running migrations[N - 1]. */
static const char *const migrations[] = {
	/* 1: the schema of SQLite version 2, plus the change log */
	"CREATE TABLE packs ("
	"  id text PRIMARY KEY,"
	"  name text NOT NULL,"
	"  def text NOT NULL,"
	"  last_seen bigint NOT NULL);"
	"CREATE INDEX packs_name ON packs(name, id);"

	"CREATE TABLE flow_versions ("
	"  uuid text PRIMARY KEY,"
	"  name text NOT NULL,"
	"  description text,"
	"  def text NOT NULL,"
	"  created bigint NOT NULL);"
	"CREATE INDEX flow_versions_created ON flow_versions(created);"
	"CREATE TABLE flows ("
	"  name text PRIMARY KEY,"
	"  uuid text NOT NULL);"
	"CREATE INDEX flows_uuid ON flows(uuid);"

	"CREATE TABLE executions ("
	"  correlation_id text PRIMARY KEY,"
	"  flow_name text NOT NULL,"
	"  flow_uuid text NOT NULL,"
	"  created bigint NOT NULL,"
	"  latest_time bigint NOT NULL);"
	"CREATE INDEX executions_latest ON executions(latest_time);"
	"CREATE INDEX executions_flow ON executions(flow_name, latest_time);"
	"CREATE INDEX executions_uuid ON executions(flow_uuid);"

	"CREATE TABLE actions ("
	"  seq bigserial PRIMARY KEY,"
	"  id text NOT NULL UNIQUE,"
	"  correlation_id text NOT NULL,"
	"  step_id text NOT NULL,"
	"  flow_name text NOT NULL,"
	"  flow_uuid text NOT NULL,"
	"  name text NOT NULL,"
	"  pack_name text NOT NULL,"
	"  pack_labels text,"
	"  labels_j jsonb GENERATED ALWAYS AS (coalesce(pack_labels::jsonb, '{}'::jsonb)) STORED,"
	"  input text NOT NULL,"
	"  context text,"
	"  trigger text NOT NULL,"
	"  result text,"
	"  state int NOT NULL,"
	"  state_time bigint NOT NULL,"
	"  states jsonb NOT NULL,"
	"  attempt bigint NOT NULL DEFAULT 0,"
	"  lease_until bigint NOT NULL DEFAULT 0,"
	"  expired boolean NOT NULL DEFAULT false,"
	"  taken_by text,"
	"  refused jsonb);"
	"CREATE UNIQUE INDEX actions_step ON actions(correlation_id, step_id);"
	"CREATE INDEX actions_claim ON actions(pack_name, state, seq);"
	"CREATE INDEX actions_open ON actions(state, state_time) WHERE state < 2 AND NOT expired;"
	"CREATE INDEX actions_flow_step ON actions(flow_name, step_id);"
	"CREATE INDEX actions_name ON actions(name);"
	"CREATE INDEX actions_lease ON actions(lease_until) WHERE state = 1 AND lease_until > 0;"

	"CREATE TABLE datastore ("
	"  key text PRIMARY KEY,"
	"  content_type text NOT NULL,"
	"  description text,"
	"  value bytea NOT NULL);"

	"CREATE TABLE changes ("
	"  version bigserial PRIMARY KEY,"
	"  kind text NOT NULL,"
	"  key text NOT NULL,"
	"  at timestamptz NOT NULL DEFAULT now());"
	"CREATE INDEX changes_at ON changes(at);"

	/* a change, in commit order (the lock is held until the transaction ends), and a wake-up */
	"CREATE FUNCTION flyte_change(k text, key text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
	"  PERFORM pg_advisory_xact_lock(727100102);"
	"  INSERT INTO changes(kind, key) VALUES (k, key);"
	"  PERFORM pg_notify('" NOTE_CHANNEL "', '{\"t\":\"c\"}');"
	"END $$;"

	/* the note announcing a NEW action: all it takes to queue it, or only its id when long */
	"CREATE FUNCTION flyte_new_note(s bigint, i text, p text, c text, l text) RETURNS text "
	"LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN octet_length(n) < 7900 THEN n "
	"  ELSE json_build_object('t', 'n', 'i', i)::text END "
	"  FROM (SELECT json_build_object('t', 'n', 's', s, 'i', i, 'p', p, 'c', c, 'l', l::json)::text AS n) x $$;",

	/* 2: the claim index holds only what can be claimed (NEW, not expired) */
	("DROP INDEX actions_claim;"
	 "CREATE INDEX actions_new ON actions(pack_name, seq) WHERE state = 0 AND NOT expired;"),

	/*
	 * 3: the audit filters end in state_time, so the matching actions are
	 * read newest first without a full sort and the scan stops after a
	 * page; actions_time serves the filters no other index leads with
	 * (the pack name, a step without its flow, labels).
	 */
	("DROP INDEX actions_name;"
	 "DROP INDEX actions_flow_step;"
	 "CREATE INDEX actions_name ON actions(name, state_time);"
	 "CREATE INDEX actions_flow_step ON actions(flow_name, step_id, state_time);"
	 "CREATE INDEX actions_time ON actions(state_time);"),
};

/* ------------------------------------------------------- statements */

#define ACTION_COLS                                                                                      \
	"seq, id, correlation_id, step_id, flow_name, flow_uuid, name, pack_name, pack_labels, input, "      \
	"context, trigger, result, state, state_time, states::text, attempt, lease_until, expired::int, " \
	"taken_by, refused::text"

/* The SET part of a claim ($2 now, $3 lease end, $4 taker); the PENDING entry records the attempt and the taker. */
#define CLAIM_SET                                                                                     \
	"state = 1, state_time = $2, states = states || jsonb_build_array(jsonb_build_object("        \
	"'value', 'PENDING', 'time', $2::bigint, 'attempt', attempt + 1, 'by', $4::text)), "         \
	"attempt = attempt + 1, lease_until = $3, taken_by = $4 "

/*
 * Part of the statement that changes an action (CTE `rows` returned its
 * correlation_id): the latest state time of its execution moves forward to
 * `t`, unless another transaction holds the execution's row (SKIP LOCKED):
 * that one writes a time just as recent, and no server waits for another.
 */
#define EXEC_TOUCH(rows, t)                                                                               \
	"UPDATE executions SET latest_time = " t " WHERE correlation_id = (SELECT correlation_id FROM "  \
	"executions WHERE correlation_id = (SELECT correlation_id FROM " rows ") AND latest_time < " t \
	" FOR UPDATE SKIP LOCKED)"

#define TAKEN_NOTE "pg_notify('" NOTE_CHANNEL "', json_build_object('t', 'x', 'i', id)::text)"
#define NEW_NOTE "pg_notify('" NOTE_CHANNEL "', flyte_new_note(seq, id, pack_name, name, pack_labels))"

#define STMT_ENUM(name) S_##name,
enum stmt_id {
	FL_STORE__STMTS(STMT_ENUM)
	S_CHANGE,
	S_EXPIRE_CHANGES,
	S_TRY_LOCK,
	S_CHANGES,
	S_CHANGES_RANGE,
	S__COUNT
};
#undef STMT_ENUM

static const char *const sql[S__COUNT] = {
	[S_PING] = "SELECT 1",

	[S_PACK_EXISTS] = "SELECT 1 FROM packs WHERE id = $1",
	[S_PACK_UPSERT] = "INSERT INTO packs(id, name, def, last_seen) VALUES($1, $2, $3, $4) "
			  "ON CONFLICT(id) DO UPDATE SET name = excluded.name, def = excluded.def, "
			  "last_seen = excluded.last_seen RETURNING (xmax = 0)::int",
	[S_PACK_GET] = "SELECT id, name, def, last_seen FROM packs WHERE id = $1",
	[S_PACK_LIST] = "SELECT id, name, def, last_seen FROM packs ORDER BY name COLLATE \"C\", id COLLATE \"C\"",
	[S_PACK_DELETE] = "DELETE FROM packs WHERE id = $1",
	[S_PACK_DELETE_STALE] = "DELETE FROM packs WHERE id = $1 AND last_seen < $2",
	[S_PACK_TOUCH] = "UPDATE packs SET last_seen = $2 WHERE id = $1 AND last_seen < $2",
	[S_CHANGE] = "SELECT flyte_change($1, $2)",

	[S_FLOW_EXISTS] = "SELECT 1 FROM flows WHERE name = $1",
	[S_FLOW_VERSION_INSERT] = "INSERT INTO flow_versions(uuid, name, description, def, created) "
				  "VALUES($1, $2, $3, $4, $5)",
	[S_FLOW_LATEST_SET] = "INSERT INTO flows(name, uuid) VALUES($1, $2) "
			      "ON CONFLICT(name) DO UPDATE SET uuid = excluded.uuid",
	[S_FLOW_GET] = "SELECT v.uuid, v.name, v.description, v.def, v.created FROM flows f "
		       "JOIN flow_versions v ON v.uuid = f.uuid WHERE f.name = $1",
	[S_FLOW_GET_VERSION] = "SELECT uuid, name, description, def, created FROM flow_versions WHERE uuid = $1",
	[S_FLOW_LIST] = "SELECT v.uuid, v.name, v.description, NULL, v.created FROM flows f "
			"JOIN flow_versions v ON v.uuid = f.uuid ORDER BY f.name COLLATE \"C\"",
	[S_FLOW_LIST_DEF] = "SELECT v.uuid, v.name, v.description, v.def, v.created FROM flows f "
			    "JOIN flow_versions v ON v.uuid = f.uuid ORDER BY f.name COLLATE \"C\"",
	[S_FLOW_DELETE] = "DELETE FROM flows WHERE name = $1",

	/*
	 * The action, its execution when it is new, and the latest state time
	 * of an execution that exists (EXEC_TOUCH), in one statement.  The
	 * execution is inserted only when it is new: the unique check of ON
	 * CONFLICT waits for a transaction that updated the row (a touch), and
	 * that one may be waiting for this one's action insert (two results of
	 * one execution on two servers firing a join step): a deadlock.  The
	 * parts of one statement see the same snapshot, so the touch finds no
	 * row for an execution inserted here.
	 */
	[S_ACTION_INSERT] = "WITH ins AS (INSERT INTO actions(id, correlation_id, step_id, flow_name, flow_uuid, name, "
			    "pack_name, pack_labels, input, context, trigger, state, state_time, states, result) "
			    "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13, $12, "
			    "jsonb_build_array(jsonb_build_object('value', $14::text, 'time', $12::bigint)), $15) "
			    "ON CONFLICT DO NOTHING "
			    "RETURNING seq, id, pack_name, name, pack_labels, state, correlation_id), "
			    "ex AS (INSERT INTO executions(correlation_id, flow_name, flow_uuid, created, latest_time) "
			    "SELECT $2::text, $4::text, $5::text, $12::bigint, $12::bigint FROM ins "
			    "WHERE NOT EXISTS (SELECT 1 FROM executions WHERE correlation_id = $2::text) "
			    "ON CONFLICT(correlation_id) DO NOTHING), "
			    "t AS (" EXEC_TOUCH("ins", "$12") ") "
			    "SELECT seq, CASE WHEN state = 0 THEN " NEW_NOTE " END FROM ins",
	[S_ACTION_CLAIM_ID] = "WITH c AS (UPDATE actions SET " CLAIM_SET "WHERE seq = ("
			      "SELECT seq FROM actions WHERE id = $1 AND state = 0 AND NOT expired "
			      "FOR UPDATE SKIP LOCKED) RETURNING " ACTION_COLS "), "
			      "t AS (" EXEC_TOUCH("c", "$2") ") "
			      "SELECT c.*, " TAKEN_NOTE " FROM c",
	[S_ACTION_CLAIM_FIND] = "WITH c AS (UPDATE actions SET " CLAIM_SET "WHERE seq = ("
				"SELECT seq FROM actions WHERE ($1::text IS NULL OR true) AND pack_name = $5 "
				"AND state = 0 AND NOT expired "
				"AND ($6::text IS NULL OR name = $6) AND labels_j <@ coalesce($7::jsonb, '{}'::jsonb) "
				"ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " ACTION_COLS "), "
				"t AS (" EXEC_TOUCH("c", "$2") ") "
				"SELECT c.*, " TAKEN_NOTE " FROM c",
	[S_ACTION_REQUEUE] = "WITH r AS (UPDATE actions SET state = 0, state_time = $3, states = states || "
			     "jsonb_build_array(CASE WHEN $4::text IS NULL "
			     "THEN jsonb_build_object('value', 'NEW', 'time', $3::bigint) "
			     "ELSE jsonb_build_object('value', 'NEW', 'time', $3::bigint, 'reason', $4::text) END), "
			     "lease_until = 0 WHERE id = $1 AND state = 1 AND NOT expired AND attempt = $2 "
			     "RETURNING " ACTION_COLS "), "
			     "t AS (" EXEC_TOUCH("r", "$3") ") "
			     "SELECT r.*, " NEW_NOTE " FROM r",
	[S_ACTION_EXTEND] = "UPDATE actions SET lease_until = $3 "
			    "WHERE id = $1 AND state = 1 AND NOT expired AND attempt = $2",
	[S_LEASE_EXPIRED] = "SELECT " ACTION_COLS " FROM actions "
			    "WHERE state = 1 AND lease_until > 0 AND lease_until <= $1 ORDER BY lease_until LIMIT $2",
	[S_LEASE_NEXT] = "SELECT coalesce(min(lease_until), 0) FROM actions WHERE state = 1 AND lease_until > 0",
	[S_ACTION_REFUSE] = "UPDATE actions SET refused = coalesce(refused, '[]'::jsonb) || jsonb_build_array("
			    "jsonb_build_object('attempt', $2::bigint, 'event', $3::text, 'time', $4::bigint, "
			    "'reason', $5::text)) "
			    "WHERE id = $1 AND jsonb_array_length(coalesce(refused, '[]'::jsonb)) < 20",
	[S_ACTION_FINISH] = "WITH u AS (UPDATE actions SET state = $2, state_time = $3, states = states || "
			    "jsonb_build_array(jsonb_build_object('value', $4::text, 'time', $3::bigint)), "
			    "result = $5, lease_until = 0 "
			    "WHERE id = $1 AND state = 1 AND NOT expired AND ($6::bigint < 0 OR attempt = $6) "
			    "AND ($7::text IS NULL OR (pack_name = $7 AND labels_j <@ coalesce($8::jsonb, '{}'::jsonb))) "
			    "RETURNING " ACTION_COLS "), "
			    "t AS (" EXEC_TOUCH("u", "$3") ") "
			    "SELECT * FROM u",
	[S_ACTION_GET] = "SELECT " ACTION_COLS " FROM actions WHERE id = $1",
	[S_ACTION_STATE] = "SELECT state, attempt, expired::int FROM actions WHERE id = $1",
	[S_ACTION_LOAD_NEW] = "SELECT " ACTION_COLS " FROM actions WHERE state = 0 AND NOT expired ORDER BY seq",
	[S_EXEC_STEPS] = "SELECT step_id, state FROM actions WHERE correlation_id = $1",
	[S_AUDIT_ACTIONS] = "SELECT " ACTION_COLS " FROM actions WHERE correlation_id = $1 ORDER BY seq",

	[S_DS_EXISTS] = "SELECT 1 FROM datastore WHERE key = $1",
	[S_DS_PUT] = "INSERT INTO datastore(key, content_type, description, value) VALUES($1, $2, $3, $4) "
		     "ON CONFLICT(key) DO UPDATE SET content_type = excluded.content_type, "
		     "description = excluded.description, value = excluded.value RETURNING (xmax = 0)::int",
	[S_DS_GET] = "SELECT key, content_type, description, value FROM datastore WHERE key = $1",
	[S_DS_LIST] = "SELECT key, content_type, description FROM datastore ORDER BY key COLLATE \"C\"",
	[S_DS_DELETE] = "DELETE FROM datastore WHERE key = $1",

	[S_EXPIRE_OPEN_SELECT] = "SELECT " ACTION_COLS " FROM actions "
				 "WHERE state < 2 AND NOT expired AND state_time < $1 LIMIT $2",
	[S_EXPIRE_OPEN_MARK] = "UPDATE actions SET expired = true, lease_until = 0 WHERE seq = $1",
	[S_EXPIRE_EXEC_SELECT] = "SELECT correlation_id FROM executions WHERE latest_time < $1 "
				 "ORDER BY latest_time LIMIT $2",
	[S_EXPIRE_EXEC_ACTIONS] = "DELETE FROM actions WHERE correlation_id = $1",
	[S_EXPIRE_EXEC_DELETE] = "DELETE FROM executions WHERE correlation_id = $1",
	[S_EXPIRE_FLOW_VERSIONS] = "DELETE FROM flow_versions WHERE uuid IN ("
				   "SELECT v.uuid FROM flow_versions v WHERE v.created < $1 "
				   "AND NOT EXISTS (SELECT 1 FROM flows f WHERE f.uuid = v.uuid) "
				   "AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.flow_uuid = v.uuid) "
				   "LIMIT $2)",
	[S_EXPIRE_CHANGES] = "DELETE FROM changes WHERE at < now() - interval '1 day'",
	[S_TRY_LOCK] = "SELECT pg_try_advisory_xact_lock(hashtext($1))::int",
	[S_CHANGES] = "SELECT version, kind, key FROM changes WHERE version > $1 ORDER BY version LIMIT 1000",
	[S_CHANGES_RANGE] = "SELECT coalesce(min(version), 0), coalesce(max(version), 0) FROM changes",
};

/* ------------------------------------------------------- connection */

struct pg {
	struct fl_store base;
	PGconn *conn;
	char *conninfo;
	char *shown; /* conninfo with the password hidden */
	unsigned flags;
	bool prepared[S__COUNT];
	int64_t retry_at; /* monotonic ns before which no reconnect is tried */
	int backoff_ms;
	bool in_tx;  /* begin() succeeded and no commit() or rollback() came since */
	bool resync; /* LISTEN: the connection was replaced, notes may have been lost */
	/* BEGIN, SAVEPOINT and RELEASE not sent yet: they go with the next statement (see defer()) */
	const char *pending[PENDING_MAX];
	int npending;
};

static struct pg *pg_of(struct fl_store *st)
{
	return (struct pg *)st;
}

char *fl_store_pg_redact(const char *url)
{
	struct fl_buf b = FL_BUF_INIT(0);
	const char *p = url ? url : "", *scheme = strstr(p, "://"), *at, *colon;

	if (scheme) {
		/* URI: scheme://user:password@host... */
		const char *auth = scheme + 3, *end = auth + strcspn(auth, "/?");
		at = memchr(auth, '@', (size_t)(end - auth));
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			fl_buf_add(&b, p, (size_t)(colon + 1 - p));
			fl_buf_adds(&b, "***");
			p = at;
		}
		/* ...?password=... */
		for (const char *q = strstr(p, "password="); q; q = strstr(q + 1, "password=")) {
			if (q != p && q[-1] != '?' && q[-1] != '&')
				continue;
			fl_buf_add(&b, p, (size_t)(q + 9 - p));
			fl_buf_adds(&b, "***");
			p = q + 9 + strcspn(q + 9, "&");
		}
		fl_buf_adds(&b, p);
	} else {
		/* key=value pairs: password=... or password='...' */
		while (*p) {
			const char *q = strstr(p, "password");
			if (!q) {
				fl_buf_adds(&b, p);
				break;
			}
			const char *eq = q + 8;
			while (*eq == ' ')
				eq++;
			if (*eq != '=' || (q != url && q[-1] != ' ')) {
				fl_buf_add(&b, p, (size_t)(q + 8 - p));
				p = q + 8;
				continue;
			}
			eq++;
			while (*eq == ' ')
				eq++;
			fl_buf_add(&b, p, (size_t)(eq - p));
			fl_buf_adds(&b, "***");
			if (*eq == '\'') {
				eq++;
				while (*eq && *eq != '\'')
					eq += (*eq == '\\' && eq[1]) ? 2 : 1;
				if (*eq)
					eq++;
			} else {
				eq += strcspn(eq, " ");
			}
			p = eq;
		}
	}
	return fl_buf_detach(&b, NULL);
}

static bool connected(const struct pg *s)
{
	return s->conn && pq.PQstatus(s->conn) == CONNECTION_OK;
}

static int unavailable(struct pg *s, struct fl_error *err)
{
	const char *why = s->conn ? pq.PQerrorMessage(s->conn) : "";
	size_t n = strcspn(why, "\n");

	return fl_error_set(err, FL_EIO, "database '%s' is unavailable%s%.*s", s->shown, n ? ": " : "", (int)n, why);
}

/* SQLSTATE -> project code with a message. */
static int pg_fail(struct pg *s, PGresult *res, const char *what, struct fl_error *err)
{
	const char *state = res ? pq.PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? pq.PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	int code = FL_ERROR;

	if (!connected(s))
		return unavailable(s, err);
	if (!state)
		state = "";
	if (strcmp(state, "23505") == 0)
		code = FL_EEXISTS;
	else if (strcmp(state, "40P01") == 0 || strcmp(state, "40001") == 0)
		code = FL_ERETRY;
	else if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 || strncmp(state, "57", 2) == 0 ||
		 strncmp(state, "58", 2) == 0 || strcmp(state, "25006") == 0)
		code = FL_EIO;
	else if (strcmp(state, "22P02") == 0 || strcmp(state, "22023") == 0)
		code = FL_EINVALID;
	if (!msg)
		msg = s->conn ? pq.PQerrorMessage(s->conn) : "no answer";
	return fl_error_set(err, code, "postgres: %s: %.*s%s%s%s", what, (int)strcspn(msg, "\n"), msg,
			    *state ? " (" : "", state, *state ? ")" : "");
}

static int ensure_connected(struct pg *s, struct fl_error *err);

/*
 * The connection, made again when it was lost outside a transaction.  Inside
 * one it stays lost: what the transaction did is gone with it, and only the
 * caller's rollback (or commit) ends it.
 */
static int usable(struct pg *s, struct fl_error *err)
{
	if (connected(s))
		return FL_OK;
	if (s->in_tx)
		return unavailable(s, err);
	return ensure_connected(s, err);
}

struct params;
static PGresult *pipeline(struct pg *s, const char *text, int id, const struct params *p, bool binary,
			  const char *what, struct fl_error *err);

/* Run text SQL (no parameters, no result rows wanted). */
static int exec_sql(struct pg *s, const char *text, const char *what, struct fl_error *err)
{
	PGresult *res;
	int rc = usable(s, err);

	if (rc)
		return rc;
	if (s->npending) {
		/* one command only: the deferred ones go in the same round trip */
		res = pipeline(s, text, -1, NULL, false, what, err);
		if (!res)
			return err && err->code ? err->code : FL_EIO;
		pq.PQclear(res);
		return FL_OK;
	}
	res = pq.PQexec(s->conn, text);
	if (pq.PQresultStatus(res) != PGRES_COMMAND_OK && pq.PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_fail(s, res, what, err);
	pq.PQclear(res);
	return rc;
}

static int session_setup(struct pg *s, struct fl_error *err)
{
	int rc = exec_sql(s, "SET client_min_messages = warning; SET TIME ZONE 'UTC'", "session settings", err);

	if (!rc && (s->flags & FL_STORE_READONLY))
		rc = exec_sql(s, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY, ISOLATION LEVEL REPEATABLE READ",
			      "read-only session", err);
	if (!rc && (s->flags & FL_STORE_LISTEN))
		rc = exec_sql(s, "LISTEN " NOTE_CHANNEL, "listen", err);
	return rc;
}

/*
 * What the server says outside an answer (warnings, and the reason it
 * closes the connection: "terminating connection due to administrator
 * command") goes to the log, not to standard error as libpq would print it.
 */
static void notice_to_log(void *arg, const char *message)
{
	const struct pg *s = arg;

	FL_LOG_W(NULL, "database '%s': %.*s", s->shown, (int)strcspn(message, "\n"), message);
}

/* (Re)connect now. */
static int connect_now(struct pg *s, struct fl_error *err)
{
	if (s->conn)
		pq.PQfinish(s->conn);
	memset(s->prepared, 0, sizeof(s->prepared));
	s->npending = 0; /* they belonged to the connection's transaction */
	s->conn = pq.PQconnectdb(s->conninfo);
	if (s->conn)
		pq.PQsetNoticeProcessor(s->conn, notice_to_log, s);
	if (!connected(s)) {
		int64_t now = fl_time_mono_ns();
		s->backoff_ms = s->backoff_ms ? FL_MIN(s->backoff_ms * 2, BACKOFF_MAX_MS) : BACKOFF_MIN_MS;
		s->retry_at = now + (int64_t)s->backoff_ms * FL_NS_PER_MS;
		return unavailable(s, err);
	}
	s->backoff_ms = 0;
	s->retry_at = 0;
	return session_setup(s, err);
}

/* Reconnect a lost connection, unless the last attempt was too recent. */
static int ensure_connected(struct pg *s, struct fl_error *err)
{
	int rc;

	if (connected(s))
		return FL_OK;
	if (fl_time_mono_ns() < s->retry_at)
		return unavailable(s, err);
	rc = connect_now(s, err);
	if (!rc && (s->flags & FL_STORE_LISTEN))
		s->resync = true;
	return rc;
}

/* ------------------------------------------------------- parameters */

struct params {
	const char *v[MAX_PARAMS];
	int len[MAX_PARAMS];
	int fmt[MAX_PARAMS];
	char num[MAX_PARAMS][24];
	int n;
};

static void p_text(struct params *p, const char *v)
{
	p->v[p->n] = v;
	p->len[p->n] = 0;
	p->fmt[p->n] = 0;
	p->n++;
}

static void p_int(struct params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRId64, v);
	p_text(p, p->num[p->n]);
}

static void p_bytes(struct params *p, const void *v, size_t n)
{
	p->v[p->n] = v ? v : "";
	p->len[p->n] = (int)n;
	p->fmt[p->n] = 1;
	p->n++;
}

/*
 * Execute a prepared statement (prepared on first use on this connection).
 * Returns the result (caller PQclear) or NULL with err set.  binary: ask for
 * binary result columns.
 */
static PGresult *run(struct pg *s, enum stmt_id id, const struct params *p, bool binary, const char *what,
		     struct fl_error *err)
{
	char name[16];
	PGresult *res;
	ExecStatusType st;

	if (usable(s, err) != FL_OK)
		return NULL;
	if (s->npending)
		return pipeline(s, NULL, (int)id, p, binary, what, err);
	snprintf(name, sizeof(name), "s%d", (int)id);
	if (!s->prepared[id]) {
		res = pq.PQprepare(s->conn, name, sql[id], 0, NULL);
		if (pq.PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_fail(s, res, what, err);
			pq.PQclear(res);
			return NULL;
		}
		pq.PQclear(res);
		s->prepared[id] = true;
	}
	res = pq.PQexecPrepared(s->conn, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL, p ? p->fmt : NULL,
			     binary ? 1 : 0);
	st = pq.PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		pg_fail(s, res, what, err);
		pq.PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * Deferred commands.  BEGIN, SAVEPOINT and RELEASE SAVEPOINT answer nothing
 * the engine waits for, so they are not sent on their own: they wait here
 * and go to the server in the same round trip as the next statement (libpq
 * pipeline mode), which then reports their failure as its own.  A job that
 * ran no statement costs nothing: its RELEASE cancels its SAVEPOINT here.
 */
static void defer(struct pg *s, const char *cmd)
{
	if (s->npending == PENDING_MAX) {
		/* cannot happen with the engine's use (at most BEGIN, RELEASE, SAVEPOINT); stay correct anyway */
		PGresult *r = pipeline(s, "SELECT 1", -1, NULL, false, "deferred commands", NULL);
		pq.PQclear(r);
	}
	s->pending[s->npending++] = cmd;
}

/* Drop the last deferred command if it is cmd (true when dropped). */
static bool undefer(struct pg *s, const char *cmd)
{
	if (!s->npending || strcmp(s->pending[s->npending - 1], cmd) != 0)
		return false;
	s->npending--;
	return true;
}

/*
 * One round trip: the deferred commands, then either the command `text`
 * (id < 0), the prepared statement `id` (prepared on the way when new), or
 * nothing more (id < 0 and no text), in pipeline mode.  Returns the last result (caller PQclear) or NULL with
 * err set by the first failure.  The deferred commands are gone either way.
 */
static PGresult *pipeline(struct pg *s, const char *text, int id, const struct params *p, bool binary,
			  const char *what, struct fl_error *err)
{
	const char *pending[PENDING_MAX], *failed_what = what;
	int npending = s->npending, nsent = 0, expect;
	PGresult *last = NULL, *bad = NULL, *r;
	bool prepare = id >= 0 && !s->prepared[id], sent = true;
	char name[16];

	memcpy(pending, s->pending, sizeof(pending));
	s->npending = 0;
	snprintf(name, sizeof(name), "s%d", id);
	if (!pq.PQenterPipelineMode(s->conn)) {
		pg_fail(s, NULL, what, err);
		return NULL;
	}
	for (int i = 0; i < npending && sent; i++, nsent++)
		sent = pq.PQsendQueryParams(s->conn, pending[i], 0, NULL, NULL, NULL, NULL, 0) == 1;
	if (sent && prepare) {
		sent = pq.PQsendPrepare(s->conn, name, sql[id], 0, NULL) == 1;
		nsent += sent;
	}
	if (sent && (id >= 0 || text)) {
		if (id >= 0)
			sent = pq.PQsendQueryPrepared(s->conn, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
						   p ? p->fmt : NULL, binary ? 1 : 0) == 1;
		else
			sent = pq.PQsendQueryParams(s->conn, text, 0, NULL, NULL, NULL, NULL, 0) == 1;
		nsent += sent;
	}
	expect = nsent;
	if (pq.PQpipelineSync(s->conn) != 1) {
		pg_fail(s, NULL, what, err);
		pq.PQexitPipelineMode(s->conn);
		return NULL;
	}
	/* one result (and its NULL) per query sent, then the sync */
	for (int i = 0; i < expect; i++) {
		ExecStatusType st;
		r = pq.PQgetResult(s->conn);
		if (!r)
			break; /* the connection failed */
		st = pq.PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			if (!bad) {
				bad = r;
				failed_what = i >= npending ? what
					      : strcmp(pending[i], "BEGIN") == 0 ? "begin"
										: "savepoint";
				r = NULL;
			}
		} else if (prepare && i == npending) {
			s->prepared[id] = true;
		} else if (i == expect - 1) {
			last = r;
			r = NULL;
		}
		pq.PQclear(r);
		/* the end of this query's results */
		while ((r = pq.PQgetResult(s->conn)) != NULL)
			pq.PQclear(r);
	}
	while ((r = pq.PQgetResult(s->conn)) != NULL) {
		bool sync = pq.PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		pq.PQclear(r);
		if (sync)
			break;
	}
	pq.PQexitPipelineMode(s->conn);
	if (bad || !sent || !last) {
		pq.PQclear(last);
		if (bad || connected(s))
			pg_fail(s, bad, failed_what, err);
		else
			unavailable(s, err);
		pq.PQclear(bad);
		return NULL;
	}
	return last;
}

/* Run a statement for its effect; *changed gets the number of rows affected (may be NULL). */
static int run_exec(struct pg *s, enum stmt_id id, const struct params *p, size_t *changed, const char *what,
		    struct fl_error *err)
{
	PGresult *res = run(s, id, p, false, what, err);

	if (!res)
		return err->code ? err->code : FL_EIO;
	if (changed) {
		const char *t = pq.PQcmdTuples(res);
		*changed = t && *t ? (size_t)strtoull(t, NULL, 10) : (size_t)pq.PQntuples(res);
	}
	pq.PQclear(res);
	return FL_OK;
}

static const char *row_text(const struct fl_store__row *r, int col, size_t *len)
{
	PGresult *res = r->res;

	if (pq.PQgetisnull(res, r->row, col))
		return NULL;
	*len = (size_t)pq.PQgetlength(res, r->row, col);
	return pq.PQgetvalue(res, r->row, col);
}

static int64_t row_int(const struct fl_store__row *r, int col)
{
	PGresult *res = r->res;

	return pq.PQgetisnull(res, r->row, col) ? 0 : strtoll(pq.PQgetvalue(res, r->row, col), NULL, 10);
}

/* Row `row` of r for the decoders of driver.h. */
static struct fl_store__row row_of(PGresult *r, int row)
{
	return (struct fl_store__row){ row_text, row_int, r, row };
}

static char *col(PGresult *r, int row, int c)
{
	struct fl_store__row x = row_of(r, row);

	return fl_store__col(&x, c);
}

static char *col_nn(PGresult *r, int row, int c)
{
	struct fl_store__row x = row_of(r, row);

	return fl_store__col_nn(&x, c);
}

static int64_t col_int(PGresult *r, int row, int c)
{
	struct fl_store__row x = row_of(r, row);

	return row_int(&x, c);
}

/* ------------------------------------------------------------ rows */

static void read_action(PGresult *r, int row, struct fl_store_action *a)
{
	struct fl_store__row x = row_of(r, row);

	fl_store__read_action(a, &x);
}

/* Hand every row of an action result to cb; *count rows seen (may be NULL). */
static int each_action_row(PGresult *r, fl_store_action_fn cb, void *payload, size_t *count)
{
	int rc = FL_OK;

	for (int i = 0; i < pq.PQntuples(r) && !rc; i++) {
		struct fl_store_action a = { 0 };
		read_action(r, i, &a);
		rc = cb(&a, payload);
		fl_store_action_release(&a);
		if (count)
			(*count)++;
	}
	return rc;
}

static int one_action(struct pg *s, enum stmt_id id, const struct params *p, fl_store_action_fn cb, void *payload,
		      size_t *count, const char *what, struct fl_error *err)
{
	PGresult *r = run(s, id, p, false, what, err);
	int rc;

	if (!r)
		return err->code ? err->code : FL_EIO;
	rc = each_action_row(r, cb, payload, count);
	pq.PQclear(r);
	return rc;
}

/* ------------------------------------------------------------ open */

static int pg_schema_version(struct fl_store *st, int *out, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	PGresult *r;
	int rc = FL_OK;

	*out = 0;
	rc = usable(s, err);
	if (rc)
		return rc;
	r = pq.PQexec(s->conn, "SELECT to_regclass('flyte_schema') IS NOT NULL");
	if (pq.PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_fail(s, r, "read schema version", err);
		pq.PQclear(r);
		return rc;
	}
	if (strcmp(pq.PQgetvalue(r, 0, 0), "t") != 0) {
		pq.PQclear(r);
		return FL_OK;
	}
	pq.PQclear(r);
	r = pq.PQexec(s->conn, "SELECT version FROM flyte_schema");
	if (pq.PQresultStatus(r) != PGRES_TUPLES_OK)
		rc = pg_fail(s, r, "read schema version", err);
	else if (pq.PQntuples(r) > 0)
		*out = (int)strtol(pq.PQgetvalue(r, 0, 0), NULL, 10);
	pq.PQclear(r);
	return rc;
}

/*
 * Migrations run under a session advisory lock, so servers starting at the
 * same moment migrate one after the other; each migration is one
 * transaction that also moves the version.
 */
static int pg_migrate(struct fl_store *st, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	char text[128];
	int version, rc;

	if (s->flags & (FL_STORE_READONLY | FL_STORE_LISTEN))
		return fl_error_set(err, FL_EMISUSE, "cannot migrate a read-only store connection");
	rc = exec_sql(s, "SELECT pg_advisory_lock(" MIGRATE_LOCK_SQL ")", "lock for migrations", err);
	if (rc)
		return rc;
	rc = pg_schema_version(st, &version, err);
	if (!rc && version > (int)FL_ARRAY_LEN(migrations))
		rc = fl_error_set(err, FL_EINVALID, "database '%s' has schema version %d, newer than this flyte (%zu)",
				  s->shown, version, FL_ARRAY_LEN(migrations));
	for (size_t v = (size_t)version; !rc && v < FL_ARRAY_LEN(migrations); v++) {
		rc = exec_sql(s, "BEGIN", "begin migration", err);
		if (!rc && v == 0)
			rc = exec_sql(s, "CREATE TABLE flyte_schema (version int NOT NULL); "
					 "INSERT INTO flyte_schema VALUES (0)",
				      "create schema version", err);
		if (!rc)
			rc = exec_sql(s, migrations[v], "migrate", err);
		if (!rc) {
			snprintf(text, sizeof(text), "UPDATE flyte_schema SET version = %zu", v + 1);
			rc = exec_sql(s, text, "set schema version", err);
		}
		if (!rc)
			rc = exec_sql(s, "COMMIT", "commit migration", err);
		if (rc) {
			exec_sql(s, "ROLLBACK", "rollback migration", NULL);
			fl_error_prefix(err, "migrating to schema version %zu", v + 1);
		}
	}
	exec_sql(s, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_SQL ")", "unlock for migrations", NULL);
	return rc;
}

static void pg_close(struct fl_store *st)
{
	struct pg *s = pg_of(st);

	if (!s)
		return;
	if (s->conn)
		pq.PQfinish(s->conn);
	free(s->conninfo);
	free(s->shown);
	free(s);
}

static int pg_open(struct fl_store **out, const char *url, unsigned flags, struct fl_error *err)
{
	struct pg *s = fl_xcalloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	pthread_once(&pq_once, pq_load);
	if (!pq.loaded) {
		free(s);
		return fl_error_set(err, FL_EIO, "%s", pq.error);
	}
	s->base.ops = &fl_store_pg_ops;
	s->conninfo = fl_xstrdup(url ? url : "");
	s->shown = fl_store_pg_redact(s->conninfo);
	s->flags = flags;
	rc = connect_now(s, err);
	if (!rc && !(flags & (FL_STORE_READONLY | FL_STORE_LISTEN)))
		rc = pg_migrate(&s->base, err);
	if (rc) {
		pg_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return FL_OK;
}

static int pg_ping(struct fl_store *st, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	int rc = ensure_connected(s, err);

	return rc ? rc : run_exec(s, S_PING, NULL, NULL, "ping", err);
}

static int pg_maintain(struct fl_store *st, struct fl_error *err)
{
	(void)st;
	(void)err;
	return FL_OK; /* PostgreSQL checkpoints by itself */
}

/* ----------------------------------------------------- transactions */

static int pg_begin(struct fl_store *st, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	int rc;

	s->in_tx = false; /* a transaction lost with its connection ends here at the latest */
	rc = ensure_connected(s, err);
	if (rc)
		return rc;
	/* a transaction whose rollback did not happen is abandoned, not nested */
	s->npending = 0;
	if (pq.PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
		rc = exec_sql(s, "ROLLBACK", "rollback", err);
		if (rc)
			return rc;
	}
	defer(s, "BEGIN"); /* sent with the first statement */
	s->in_tx = true;
	return FL_OK;
}

static int pg_commit(struct fl_store *st, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	int rc;

	if (undefer(s, "BEGIN") && !s->npending) {
		s->in_tx = false; /* nothing was sent: nothing to commit */
		return usable(s, err);
	}
	rc = exec_sql(s, "COMMIT", "commit", err);
	s->in_tx = false; /* committed, or aborted by the failure */
	return rc;
}

static int pg_rollback(struct fl_store *st, struct fl_error *err)
{
	struct pg *s = pg_of(st);

	s->in_tx = false;
	s->npending = 0; /* never sent */
	if (!connected(s) || pq.PQtransactionStatus(s->conn) == PQTRANS_IDLE)
		return FL_OK;
	return exec_sql(s, "ROLLBACK", "rollback", err);
}

static int pg_savepoint(struct fl_store *st, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	int rc = usable(s, err);

	if (!rc)
		defer(s, "SAVEPOINT job");
	return rc;
}

static int pg_savepoint_release(struct fl_store *st, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	int rc = usable(s, err);

	if (!rc && !undefer(s, "SAVEPOINT job"))
		defer(s, "RELEASE SAVEPOINT job");
	return rc;
}

static int pg_savepoint_rollback(struct fl_store *st, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	int rc;

	if (undefer(s, "SAVEPOINT job"))
		return usable(s, err); /* the job sent nothing */
	rc = exec_sql(s, "ROLLBACK TO SAVEPOINT job", "rollback savepoint", err);
	return rc ? rc : exec_sql(s, "RELEASE SAVEPOINT job", "rollback savepoint", err);
}

/* ---------------------------------------------------------- changes */

static int log_change(struct pg *s, const char *kind, const char *key, struct fl_error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, kind);
	p_text(&p, key);
	return run_exec(s, S_CHANGE, &p, NULL, "log a change", err);
}

/* ---------------------------------------------------------- packs */

static int pg_pack_upsert(struct fl_store *st, bool *created, const struct fl_store_pack *pk, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	PGresult *r;
	bool fresh;

	p_text(&p, pk->id);
	p_text(&p, pk->name);
	p_text(&p, pk->def);
	p_int(&p, pk->last_seen);
	r = run(s, S_PACK_UPSERT, &p, false, "upsert pack", err);
	if (!r)
		return err->code;
	fresh = pq.PQntuples(r) > 0 && col_int(r, 0, 0) != 0;
	pq.PQclear(r);
	if (created)
		*created = fresh;
	return log_change(s, "pack", pk->id, err);
}

static void read_pack(PGresult *r, int row, struct fl_store_pack *p)
{
	struct fl_store__row x = row_of(r, row);

	fl_store__read_pack(p, &x);
}

static int pg_pack_get(struct fl_store *st, struct fl_store_pack *out, const char *id, struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;

	memset(out, 0, sizeof(*out));
	p_text(&p, id);
	r = run(pg_of(st), S_PACK_GET, &p, false, "get pack", err);
	if (!r)
		return err->code;
	if (pq.PQntuples(r) == 0) {
		pq.PQclear(r);
		return fl_error_set(err, FL_ENOTFOUND, "pack '%s' not found", id);
	}
	read_pack(r, 0, out);
	pq.PQclear(r);
	return FL_OK;
}

static int pg_pack_list(struct fl_store *st, fl_store_pack_fn cb, void *payload, struct fl_error *err)
{
	PGresult *r = run(pg_of(st), S_PACK_LIST, NULL, false, "list packs", err);
	int rc = FL_OK;

	if (!r)
		return err->code;
	for (int i = 0; i < pq.PQntuples(r) && !rc; i++) {
		struct fl_store_pack p = { 0 };
		read_pack(r, i, &p);
		rc = cb(&p, payload);
		fl_store_pack_release(&p);
	}
	pq.PQclear(r);
	return rc;
}

static int delete_pack(struct pg *s, enum stmt_id id, const char *pack, int64_t before, struct fl_error *err)
{
	struct params p = { .n = 0 };
	size_t n = 0;
	int rc;

	p_text(&p, pack);
	if (id == S_PACK_DELETE_STALE)
		p_int(&p, before);
	rc = run_exec(s, id, &p, &n, "delete pack", err);
	if (rc)
		return rc;
	if (n == 0)
		return id == S_PACK_DELETE_STALE
			       ? fl_error_set(err, FL_ENOTFOUND, "pack '%s' not found or seen since", pack)
			       : fl_error_set(err, FL_ENOTFOUND, "pack '%s' not found", pack);
	return log_change(s, "pack", pack, err);
}

static int pg_pack_delete(struct fl_store *st, const char *id, struct fl_error *err)
{
	return delete_pack(pg_of(st), S_PACK_DELETE, id, 0, err);
}

static int pg_pack_delete_stale(struct fl_store *st, const char *id, int64_t before, struct fl_error *err)
{
	return delete_pack(pg_of(st), S_PACK_DELETE_STALE, id, before, err);
}

static int pg_pack_touch(struct fl_store *st, const char *id, int64_t last_seen, struct fl_error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, id);
	p_int(&p, last_seen);
	return run_exec(pg_of(st), S_PACK_TOUCH, &p, NULL, "touch pack", err);
}

/* ---------------------------------------------------------- flows */

static bool exists(struct pg *s, enum stmt_id id, const char *key, int *rc, struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	bool found;

	p_text(&p, key);
	r = run(s, id, &p, false, "look up", err);
	if (!r) {
		*rc = err->code;
		return false;
	}
	found = pq.PQntuples(r) > 0;
	pq.PQclear(r);
	*rc = FL_OK;
	return found;
}

static int pg_flow_put(struct fl_store *st, bool *created, const struct fl_store_flow *f, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	int rc;
	bool had = exists(s, S_FLOW_EXISTS, f->name, &rc, err);

	if (rc)
		return rc;
	p_text(&p, f->uuid);
	p_text(&p, f->name);
	p_text(&p, f->description);
	p_text(&p, f->def);
	p_int(&p, f->created);
	rc = run_exec(s, S_FLOW_VERSION_INSERT, &p, NULL, "insert flow version", err);
	if (rc)
		return rc;
	p.n = 0;
	p_text(&p, f->name);
	p_text(&p, f->uuid);
	rc = run_exec(s, S_FLOW_LATEST_SET, &p, NULL, "set latest flow", err);
	if (!rc && created)
		*created = !had;
	return rc ? rc : log_change(s, "flow", f->name, err);
}

static void read_flow(PGresult *r, int row, struct fl_store_flow *f)
{
	struct fl_store__row x = row_of(r, row);

	fl_store__read_flow(f, &x);
}

static int one_flow(struct pg *s, enum stmt_id id, const char *key, struct fl_store_flow *out, const char *what,
		    struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;

	memset(out, 0, sizeof(*out));
	p_text(&p, key);
	r = run(s, id, &p, false, what, err);
	if (!r)
		return err->code;
	if (pq.PQntuples(r) == 0) {
		pq.PQclear(r);
		return fl_error_set(err, FL_ENOTFOUND, id == S_FLOW_GET ? "flow '%s' not found"
									 : "flow version '%s' not found",
				    key);
	}
	read_flow(r, 0, out);
	pq.PQclear(r);
	return FL_OK;
}

static int pg_flow_get(struct fl_store *st, struct fl_store_flow *out, const char *name, struct fl_error *err)
{
	return one_flow(pg_of(st), S_FLOW_GET, name, out, "get flow", err);
}

static int pg_flow_get_version(struct fl_store *st, struct fl_store_flow *out, const char *uuid,
			       struct fl_error *err)
{
	return one_flow(pg_of(st), S_FLOW_GET_VERSION, uuid, out, "get flow version", err);
}

static int pg_flow_list(struct fl_store *st, bool with_def, fl_store_flow_fn cb, void *payload, struct fl_error *err)
{
	PGresult *r = run(pg_of(st), with_def ? S_FLOW_LIST_DEF : S_FLOW_LIST, NULL, false, "list flows", err);
	int rc = FL_OK;

	if (!r)
		return err->code;
	for (int i = 0; i < pq.PQntuples(r) && !rc; i++) {
		struct fl_store_flow f = { 0 };
		read_flow(r, i, &f);
		rc = cb(&f, payload);
		fl_store_flow_release(&f);
	}
	pq.PQclear(r);
	return rc;
}

static int pg_flow_delete(struct fl_store *st, const char *name, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	size_t n = 0;
	int rc;

	p_text(&p, name);
	rc = run_exec(s, S_FLOW_DELETE, &p, &n, "delete flow", err);
	if (!rc && n == 0)
		rc = fl_error_set(err, FL_ENOTFOUND, "flow '%s' not found", name);
	return rc ? rc : log_change(s, "flow", name, err);
}

/* ---------------------------------------------------------- actions */

static int pg_action_insert(struct fl_store *st, int64_t *seq, const struct fl_store_action_new *a,
			    struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	PGresult *r;

	p_text(&p, a->id);
	p_text(&p, a->correlation_id);
	p_text(&p, a->step_id ? a->step_id : "");
	p_text(&p, a->flow_name);
	p_text(&p, a->flow_uuid);
	p_text(&p, a->name);
	p_text(&p, a->pack_name);
	p_text(&p, a->pack_labels);
	p_text(&p, a->input ? a->input : "null");
	p_text(&p, a->context);
	p_text(&p, a->trigger);
	p_int(&p, a->created);
	p_int(&p, a->state);
	p_text(&p, fl_store_state_name(a->state));
	p_text(&p, a->result);
	r = run(s, S_ACTION_INSERT, &p, false, "insert action", err);
	if (!r)
		return err->code;
	if (pq.PQntuples(r) == 0) {
		pq.PQclear(r);
		return fl_error_set(err, FL_EEXISTS, "execution '%s' already has an action for step '%s'",
				    a->correlation_id, a->step_id ? a->step_id : "");
	}
	if (seq)
		*seq = col_int(r, 0, 0);
	pq.PQclear(r);
	return FL_OK;
}

/* The row an UPDATE ... RETURNING gave back, if any. */
static int returned_action(PGresult *r, struct fl_store_action *out, bool *found)
{
	*found = pq.PQntuples(r) > 0;
	if (*found)
		read_action(r, 0, out);
	pq.PQclear(r);
	return FL_OK;
}

/* Explain why a conditional update on an action id matched nothing. */
static int action_miss(struct pg *s, const char *id, int want_state, int64_t attempt, struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	int rc;

	p_text(&p, id);
	r = run(s, S_ACTION_STATE, &p, false, "get action state", err);
	if (!r)
		return err->code;
	if (pq.PQntuples(r) == 0)
		rc = fl_store__action_miss(err, id, want_state, attempt, false, 0, 0, false);
	else
		rc = fl_store__action_miss(err, id, want_state, attempt, true, (int)col_int(r, 0, 0), col_int(r, 0, 1),
					   col_int(r, 0, 2) != 0);
	pq.PQclear(r);
	return rc;
}

/*
 * Why a claim by id found no row: gone or no longer NEW (FL_ENOTFOUND), or
 * still NEW as committed, so another server's open transaction holds its
 * row lock (SKIP LOCKED passed it): FL_EAGAIN, since that transaction may
 * still roll back and leave the action NEW with nobody told.
 */
static int claim_miss(struct pg *s, const char *id, struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	bool held;

	p_text(&p, id);
	r = run(s, S_ACTION_STATE, &p, false, "get action state", err);
	if (!r)
		return err->code;
	held = pq.PQntuples(r) > 0 && col_int(r, 0, 0) == FL_ACTION_NEW && col_int(r, 0, 2) == 0;
	pq.PQclear(r);
	if (held)
		return fl_error_set(err, FL_EAGAIN, "action '%s' is being claimed by another server", id);
	return fl_error_set(err, FL_ENOTFOUND, "action '%s' is not NEW", id);
}

static int pg_action_claim(struct fl_store *st, struct fl_store_action *out, const struct fl_store_claim *c,
			   struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	PGresult *r;
	bool found;

	memset(out, 0, sizeof(*out));
	p_text(&p, c->action_id ? c->action_id : "");
	p_int(&p, c->now);
	p_int(&p, c->lease_until);
	p_text(&p, c->taker);
	if (!c->action_id) {
		p_text(&p, c->pack_name ? c->pack_name : "");
		p_text(&p, c->command);
		p_text(&p, c->pack_labels);
	}
	r = run(s, c->action_id ? S_ACTION_CLAIM_ID : S_ACTION_CLAIM_FIND, &p, false, "claim action", err);
	if (!r)
		return err->code;
	returned_action(r, out, &found);
	if (!found && c->action_id)
		return claim_miss(s, c->action_id, err);
	if (!found)
		return fl_error_set(err, FL_ENOTFOUND, "no NEW action for pack '%s'", c->pack_name ? c->pack_name : "");
	return FL_OK;
}

static int pg_action_requeue(struct fl_store *st, struct fl_store_action *out, const char *id, int64_t attempt,
			     int64_t now, const char *reason, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	PGresult *r;
	bool found;

	memset(out, 0, sizeof(*out));
	p_text(&p, id);
	p_int(&p, attempt);
	p_int(&p, now);
	p_text(&p, reason);
	r = run(s, S_ACTION_REQUEUE, &p, false, "requeue action", err);
	if (!r)
		return err->code;
	returned_action(r, out, &found);
	if (!found)
		return action_miss(s, id, FL_ACTION_PENDING, attempt, err);
	return FL_OK;
}

static int pg_action_extend(struct fl_store *st, const char *id, int64_t attempt, int64_t lease_until,
			    struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	size_t n = 0;
	int rc;

	p_text(&p, id);
	p_int(&p, attempt);
	p_int(&p, lease_until);
	rc = run_exec(s, S_ACTION_EXTEND, &p, &n, "extend lease", err);
	if (!rc && n == 0)
		rc = action_miss(s, id, FL_ACTION_PENDING, attempt, err);
	return rc;
}

static int pg_action_lease_expired(struct fl_store *st, int64_t before, size_t limit, fl_store_action_fn cb,
				   void *payload, struct fl_error *err)
{
	struct params p = { .n = 0 };

	p_int(&p, before);
	p_int(&p, (int64_t)FL_MIN(limit, (size_t)INT64_MAX));
	return one_action(pg_of(st), S_LEASE_EXPIRED, &p, cb, payload, NULL, "expired leases", err);
}

static int pg_action_lease_next(struct fl_store *st, int64_t *out, struct fl_error *err)
{
	PGresult *r = run(pg_of(st), S_LEASE_NEXT, NULL, false, "next lease", err);

	*out = 0;
	if (!r)
		return err->code;
	if (pq.PQntuples(r) > 0)
		*out = col_int(r, 0, 0);
	pq.PQclear(r);
	return FL_OK;
}

static int pg_action_refuse(struct fl_store *st, const char *id, int64_t attempt, const char *event, int64_t now,
			    const char *reason, struct fl_error *err)
{
	struct params p = { .n = 0 };

	p_text(&p, id);
	p_int(&p, attempt);
	p_text(&p, event ? event : "");
	p_int(&p, now);
	p_text(&p, reason ? reason : "");
	return run_exec(pg_of(st), S_ACTION_REFUSE, &p, NULL, "record a refused result", err);
}


static int pg_action_finish(struct fl_store *st, struct fl_store_action *out, const struct fl_store_finish *f,
			    struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	PGresult *r;
	bool found;

	memset(out, 0, sizeof(*out));
	if (fl_store__final_state(err, f->action_id, f->state))
		return err->code;
	p_text(&p, f->action_id);
	p_int(&p, f->state);
	p_int(&p, f->now);
	p_text(&p, fl_store_state_name(f->state));
	p_text(&p, f->result);
	p_int(&p, f->attempt < 0 ? -1 : f->attempt);
	p_text(&p, f->pack_name);
	p_text(&p, f->pack_labels);
	r = run(s, S_ACTION_FINISH, &p, false, "complete action", err);
	if (!r)
		return err->code;
	returned_action(r, out, &found);
	if (!found)
		return fl_error_set(err, FL_ENOTFOUND, "action '%s' is not a PENDING action of this pack and attempt",
				    f->action_id);
	return FL_OK;
}

static int pg_action_get(struct fl_store *st, struct fl_store_action *out, const char *id, struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	bool found;

	memset(out, 0, sizeof(*out));
	p_text(&p, id);
	r = run(pg_of(st), S_ACTION_GET, &p, false, "get action", err);
	if (!r)
		return err->code;
	returned_action(r, out, &found);
	return found ? FL_OK : fl_error_set(err, FL_ENOTFOUND, "action '%s' not found", id);
}

static int pg_action_load_new(struct fl_store *st, fl_store_action_fn cb, void *payload, struct fl_error *err)
{
	return one_action(pg_of(st), S_ACTION_LOAD_NEW, NULL, cb, payload, NULL, "load NEW actions", err);
}

static int pg_execution_steps(struct fl_store *st, const char *corr, fl_store_step_fn cb, void *payload,
			      struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;
	int rc = FL_OK;

	p_text(&p, corr);
	r = run(pg_of(st), S_EXEC_STEPS, &p, false, "execution steps", err);
	if (!r)
		return err->code;
	for (int i = 0; i < pq.PQntuples(r) && !rc; i++)
		rc = cb(pq.PQgetvalue(r, i, 0), (int)col_int(r, i, 1), payload);
	pq.PQclear(r);
	return rc;
}

/* ------------------------------------------------------------ audit */

/*
 * The OFFSET 0 keeps the planner from joining the other actions of an
 * execution through the filter's index (a nested loop over every matching
 * action when it thinks they are few): they are read by correlation id.
 */
static const struct fl_store__dialect pg_dialect = {
	'$', "%s::jsonb <@ %slabels_j", " COLLATE \"C\"",
	"(SELECT correlation_id, flow_name, step_id, name, pack_name, labels_j, state_time, seq FROM actions "
	"WHERE correlation_id = a.correlation_id OFFSET 0) b"
};

static int pg_audit_query(struct fl_store *st, const struct fl_store_audit_query *aq, fl_store_corr_fn cb,
			  void *payload, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct fl_buf text = FL_BUF_INIT(4096);
	struct fl_store__param params[FL_STORE__AUDIT_PARAMS];
	struct params p = { .n = 0 };
	PGresult *r;
	int np = 0, rc = fl_store__audit_sql(&text, params, &np, aq, &pg_dialect, err);

	if (!rc)
		rc = usable(s, err);
	if (rc) {
		fl_buf_release(&text);
		return rc;
	}
	for (int i = 0; i < np; i++) {
		if (params[i].text)
			p_text(&p, params[i].text);
		else
			p_int(&p, params[i].num);
	}
	if (s->npending) {
		/* a deferred BEGIN goes first: the query belongs to the caller's transaction */
		r = pipeline(s, NULL, -1, NULL, false, "audit query", err);
		if (!r) {
			fl_buf_release(&text);
			return err->code ? err->code : FL_EIO;
		}
		pq.PQclear(r);
	}
	r = pq.PQexecParams(s->conn, text.ptr, p.n, NULL, p.v, NULL, NULL, 0);
	fl_buf_release(&text);
	if (pq.PQresultStatus(r) != PGRES_TUPLES_OK) {
		rc = pg_fail(s, r, "audit query", err);
		pq.PQclear(r);
		return rc;
	}
	for (int i = 0; i < pq.PQntuples(r) && !rc; i++)
		rc = cb(pq.PQgetvalue(r, i, 0), col_int(r, i, 1), payload);
	pq.PQclear(r);
	return rc;
}

static int pg_audit_actions(struct fl_store *st, const char *corr, fl_store_action_fn cb, void *payload,
			    struct fl_error *err)
{
	struct params p = { .n = 0 };
	size_t n = 0;
	int rc;

	p_text(&p, corr);
	rc = one_action(pg_of(st), S_AUDIT_ACTIONS, &p, cb, payload, &n, "audit actions", err);
	if (rc)
		return rc;
	return n ? FL_OK : fl_error_set(err, FL_ENOTFOUND, "execution '%s' not found", corr);
}

/* -------------------------------------------------------- datastore */

static int pg_ds_put(struct fl_store *st, bool *created, const struct fl_store_ds_item *it, struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;

	p_text(&p, it->key);
	p_text(&p, it->content_type ? it->content_type : "text/plain; charset=us-ascii");
	p_text(&p, it->description);
	p_bytes(&p, it->value, it->value_len);
	r = run(pg_of(st), S_DS_PUT, &p, false, "put datastore item", err);
	if (!r)
		return err->code;
	if (created)
		*created = pq.PQntuples(r) > 0 && col_int(r, 0, 0) != 0;
	pq.PQclear(r);
	return FL_OK;
}

static int pg_ds_get(struct fl_store *st, struct fl_store_ds_item *out, const char *key, struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;

	memset(out, 0, sizeof(*out));
	p_text(&p, key);
	r = run(pg_of(st), S_DS_GET, &p, true, "get datastore item", err);
	if (!r)
		return err->code;
	if (pq.PQntuples(r) == 0) {
		pq.PQclear(r);
		return fl_error_set(err, FL_ENOTFOUND, "datastore item '%s' not found", key);
	}
	/* binary results: text columns are their bytes, bytea its bytes */
	out->key = col_nn(r, 0, 0);
	out->content_type = col_nn(r, 0, 1);
	out->description = col(r, 0, 2);
	out->value_len = (size_t)pq.PQgetlength(r, 0, 3);
	out->value = fl_xmemdup0(pq.PQgetvalue(r, 0, 3), out->value_len);
	pq.PQclear(r);
	return FL_OK;
}

static int pg_ds_list(struct fl_store *st, fl_store_ds_fn cb, void *payload, struct fl_error *err)
{
	PGresult *r = run(pg_of(st), S_DS_LIST, NULL, false, "list datastore", err);
	int rc = FL_OK;

	if (!r)
		return err->code;
	for (int i = 0; i < pq.PQntuples(r) && !rc; i++) {
		struct fl_store_ds_item it = { 0 };
		it.key = col_nn(r, i, 0);
		it.content_type = col_nn(r, i, 1);
		it.description = col(r, i, 2);
		rc = cb(&it, payload);
		fl_store_ds_item_release(&it);
	}
	pq.PQclear(r);
	return rc;
}

static int pg_ds_delete(struct fl_store *st, const char *key, struct fl_error *err)
{
	struct params p = { .n = 0 };
	size_t n = 0;
	int rc;

	p_text(&p, key);
	rc = run_exec(pg_of(st), S_DS_DELETE, &p, &n, "delete datastore item", err);
	if (!rc && n == 0)
		rc = fl_error_set(err, FL_ENOTFOUND, "datastore item '%s' not found", key);
	return rc;
}

/* ----------------------------------------------------------- expiry */

static int pg_expire_actions(struct fl_store *st, size_t *n, int64_t before, size_t limit, fl_store_action_fn cb,
			     void *payload, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct fl_store__seqs l = { NULL, 0, 0, cb, payload };
	struct params p = { .n = 0 };
	int rc;

	*n = 0;
	if (limit == 0)
		return FL_OK;
	p_int(&p, before);
	p_int(&p, (int64_t)FL_MIN(limit, (size_t)INT64_MAX));
	rc = one_action(s, S_EXPIRE_OPEN_SELECT, &p, fl_store__collect_seq, &l, NULL, "select expired actions", err);
	for (size_t i = 0; !rc && i < l.n; i++) {
		p.n = 0;
		p_int(&p, l.v[i]);
		rc = run_exec(s, S_EXPIRE_OPEN_MARK, &p, NULL, "expire action", err);
	}
	if (!rc)
		*n = l.n;
	free(l.v);
	return rc;
}

static int pg_expire_audit(struct fl_store *st, size_t *n, int64_t before, size_t limit, struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	PGresult *r;
	size_t rows = 0;
	int rc = FL_OK;

	*n = 0;
	if (limit == 0)
		return FL_OK;
	p_int(&p, before);
	p_int(&p, (int64_t)FL_MIN(limit, (size_t)INT64_MAX));
	r = run(s, S_EXPIRE_EXEC_SELECT, &p, false, "select expired executions", err);
	if (!r)
		return err->code;
	for (int i = 0; i < pq.PQntuples(r) && !rc; i++) {
		static const enum stmt_id steps[] = { S_EXPIRE_EXEC_ACTIONS, S_EXPIRE_EXEC_DELETE };
		for (size_t k = 0; !rc && k < FL_ARRAY_LEN(steps); k++) {
			size_t changed = 0;
			struct params q = { .n = 0 };
			p_text(&q, pq.PQgetvalue(r, i, 0));
			rc = run_exec(s, steps[k], &q, &changed, "delete expired execution", err);
			rows += changed;
		}
	}
	pq.PQclear(r);
	/* the change log needs only the last day: a server further behind reads everything again */
	if (!rc)
		rc = run_exec(s, S_EXPIRE_CHANGES, NULL, NULL, "trim the change log", err);
	if (!rc)
		*n = rows;
	return rc;
}

static int pg_expire_flow_versions(struct fl_store *st, size_t *n, int64_t before, size_t limit,
				   struct fl_error *err)
{
	struct params p = { .n = 0 };

	*n = 0;
	p_int(&p, before);
	p_int(&p, (int64_t)FL_MIN(limit, (size_t)INT64_MAX));
	return run_exec(pg_of(st), S_EXPIRE_FLOW_VERSIONS, &p, n, "delete old flow versions", err);
}

/* ------------------------------------------------------ shared use */

static int pg_try_lock(struct fl_store *st, const char *name, bool *got, struct fl_error *err)
{
	struct params p = { .n = 0 };
	PGresult *r;

	*got = false;
	p_text(&p, name);
	r = run(pg_of(st), S_TRY_LOCK, &p, false, "try lock", err);
	if (!r)
		return err->code;
	*got = pq.PQntuples(r) > 0 && col_int(r, 0, 0) != 0;
	pq.PQclear(r);
	return FL_OK;
}

static int pg_changes(struct fl_store *st, int64_t *version, fl_store_change_fn cb, void *payload,
		      struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct params p = { .n = 0 };
	PGresult *r = run(s, S_CHANGES_RANGE, NULL, false, "change log", err);
	int64_t lo, hi;
	int rc = FL_OK;

	if (!r)
		return err->code;
	lo = col_int(r, 0, 0);
	hi = col_int(r, 0, 1);
	pq.PQclear(r);
	if (*version < 0) {
		*version = hi;
		return FL_OK;
	}
	if (hi <= *version)
		return FL_OK;
	if (lo > *version + 1)
		return fl_error_set(err, FL_ECONFLICT, "the change log no longer holds version %" PRId64,
				    *version + 1);
	p_int(&p, *version);
	r = run(s, S_CHANGES, &p, false, "change log", err);
	if (!r)
		return err->code;
	for (int i = 0; i < pq.PQntuples(r) && !rc; i++) {
		struct fl_store_change c = { col_int(r, i, 0), pq.PQgetvalue(r, i, 1), pq.PQgetvalue(r, i, 2) };
		rc = cb(&c, payload);
		if (!rc)
			*version = c.version;
	}
	pq.PQclear(r);
	return rc;
}

/* One notification's payload (JSON) to a note. */
static int deliver_note(const char *text, fl_store_note_fn cb, void *payload)
{
	json_t *j = json_loads(text, 0, NULL);
	const char *t = json_string_value(json_object_get(j, "t"));
	struct fl_store_note n = { 0 };
	char *labels = NULL;
	int rc = FL_OK;

	if (!t)
		goto out;
	n.id = json_string_value(json_object_get(j, "i"));
	if (strcmp(t, "n") == 0 && n.id) {
		json_t *l = json_object_get(j, "l");
		n.kind = FL_STORE_NOTE_ACTION_NEW;
		n.seq = json_integer_value(json_object_get(j, "s"));
		n.pack_name = json_string_value(json_object_get(j, "p"));
		n.command = json_string_value(json_object_get(j, "c"));
		if (json_is_object(l))
			labels = json_dumps(l, JSON_COMPACT);
		n.labels = labels;
		if (!n.pack_name || !n.command)
			n.seq = 0; /* a short note: the receiver reads the action */
	} else if (strcmp(t, "x") == 0 && n.id) {
		n.kind = FL_STORE_NOTE_ACTION_TAKEN;
	} else if (strcmp(t, "c") == 0) {
		n.kind = FL_STORE_NOTE_CHANGED;
	} else {
		goto out;
	}
	rc = cb(&n, payload);
out:
	free(labels);
	json_decref(j);
	return rc;
}

static int pg_wait_notify(struct fl_store *st, int timeout_ms, fl_store_note_fn cb, void *payload,
			  struct fl_error *err)
{
	struct pg *s = pg_of(st);
	struct pollfd pfd;
	PGnotify *n;
	int rc;

	if (!(s->flags & FL_STORE_LISTEN))
		return fl_error_set(err, FL_EMISUSE, "wait_notify needs a connection opened with FL_STORE_LISTEN");
	rc = ensure_connected(s, err);
	if (rc) {
		int64_t wait = FL_MAX(s->retry_at - fl_time_mono_ns(), (int64_t)0);
		struct timespec ts = { (time_t)(FL_MIN(wait, (int64_t)timeout_ms * FL_NS_PER_MS) / FL_NS_PER_SEC),
				       (long)(FL_MIN(wait, (int64_t)timeout_ms * FL_NS_PER_MS) % FL_NS_PER_SEC) };
		nanosleep(&ts, NULL);
		return rc;
	}
	if (s->resync) {
		struct fl_store_note r = { .kind = FL_STORE_NOTE_RESYNC };
		s->resync = false;
		rc = cb(&r, payload);
		if (rc)
			return rc;
	}
	pfd.fd = pq.PQsocket(s->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
		return fl_error_set(err, FL_EIO, "cannot wait for notifications: %s", strerror(errno));
	if (!pq.PQconsumeInput(s->conn) || !connected(s))
		return unavailable(s, err);
	while ((n = pq.PQnotifies(s->conn)) != NULL) {
		if (!rc)
			rc = deliver_note(n->extra, cb, payload);
		pq.PQfreemem(n);
	}
	return rc;
}

const struct fl_store_ops fl_store_pg_ops = {
	.name = "pg",
	.abi_version = FL_STORE_ABI_VERSION,
	.caps = FL_STORE_SHARED,
	.open = pg_open,
	.close = pg_close,
	.migrate = pg_migrate,
	.schema_version = pg_schema_version,
	.ping = pg_ping,
	.maintain = pg_maintain,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.savepoint_release = pg_savepoint_release,
	.savepoint_rollback = pg_savepoint_rollback,
	.pack_upsert = pg_pack_upsert,
	.pack_get = pg_pack_get,
	.pack_list = pg_pack_list,
	.pack_delete = pg_pack_delete,
	.pack_delete_stale = pg_pack_delete_stale,
	.pack_touch = pg_pack_touch,
	.flow_put = pg_flow_put,
	.flow_get = pg_flow_get,
	.flow_get_version = pg_flow_get_version,
	.flow_list = pg_flow_list,
	.flow_delete = pg_flow_delete,
	.action_insert = pg_action_insert,
	.action_claim = pg_action_claim,
	.action_requeue = pg_action_requeue,
	.action_extend = pg_action_extend,
	.action_lease_expired = pg_action_lease_expired,
	.action_lease_next = pg_action_lease_next,
	.action_refuse = pg_action_refuse,
	.action_finish = pg_action_finish,
	.action_get = pg_action_get,
	.action_load_new = pg_action_load_new,
	.execution_steps = pg_execution_steps,
	.audit_query = pg_audit_query,
	.audit_actions = pg_audit_actions,
	.ds_put = pg_ds_put,
	.ds_get = pg_ds_get,
	.ds_list = pg_ds_list,
	.ds_delete = pg_ds_delete,
	.expire_actions = pg_expire_actions,
	.expire_audit = pg_expire_audit,
	.expire_flow_versions = pg_expire_flow_versions,
	.try_lock = pg_try_lock,
	.changes = pg_changes,
	.wait_notify = pg_wait_notify,
};
