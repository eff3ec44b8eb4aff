/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite.c - the SQLite driver of the store vtable.
 *
 * One struct sq is one sqlite3 connection.  The read-write connection takes
 * an exclusive flock on "<db>.lock" (one server per database), switches the
 * database to WAL with synchronous=FULL and migrates the schema; read-only
 * connections are plain query_only connections that read WAL snapshots while
 * the writer commits.  Statements are prepared once per connection from the
 * `sql` table and reused.  Schema versions live in `migrations` (one entry
 * per PRAGMA user_version step).  This is the only file that includes
 * <sqlite3.h>; every SQL text of the project is here.
 *
 * Checkpoints never run inside a commit: the read-write connection disables
 * auto-checkpointing, its WAL hook notes when the WAL holds CKPT_FRAMES
 * frames, and the engine calls maintain() after it delivered the callbacks
 * of a batch, so the copy back into the database and its fsync delay the
 * next batch at most, never the answers of a committed one.
 */
#include "fl-common.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "error.h"
#include "store/driver.h"
#include "store/sqlite/walbuf.h"
#include "store/store.h"
#include "store_sqlite.h"

/* ------------------------------------------------------------ schema */

/* Version N of the schema is reached by running migrations[N - 1]. */
static const char *const migrations[] = {
	/* 1: initial schema */
	"CREATE TABLE packs ("
	"  id TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  def TEXT NOT NULL,"
	"  last_seen INTEGER NOT NULL);"
	"CREATE INDEX packs_name ON packs(name, id);"

	"CREATE TABLE flow_versions ("
	"  uuid TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  description TEXT,"
	"  def TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX flow_versions_created ON flow_versions(created);"
	"CREATE TABLE flows ("
	"  name TEXT PRIMARY KEY,"
	"  uuid TEXT NOT NULL);"
	"CREATE INDEX flows_uuid ON flows(uuid);"

	"CREATE TABLE executions ("
	"  correlation_id TEXT PRIMARY KEY,"
	"  flow_name TEXT NOT NULL,"
	"  flow_uuid TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  latest_time INTEGER NOT NULL);"
	"CREATE INDEX executions_latest ON executions(latest_time);"
	"CREATE INDEX executions_flow ON executions(flow_name, latest_time);"
	"CREATE INDEX executions_uuid ON executions(flow_uuid);"

	"CREATE TABLE actions ("
	"  seq INTEGER PRIMARY KEY,"
	"  id TEXT NOT NULL UNIQUE,"
	"  correlation_id TEXT NOT NULL,"
	"  step_id TEXT NOT NULL,"
	"  flow_name TEXT NOT NULL,"
	"  flow_uuid TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  pack_name TEXT NOT NULL,"
	"  pack_labels TEXT,"
	"  input TEXT NOT NULL,"
	"  context TEXT,"
	"  trigger TEXT NOT NULL,"
	"  result TEXT,"
	"  state INTEGER NOT NULL,"
	"  state_time INTEGER NOT NULL,"
	"  states TEXT NOT NULL,"
	"  attempt INTEGER NOT NULL DEFAULT 0,"
	"  lease_until INTEGER NOT NULL DEFAULT 0,"
	"  expired INTEGER NOT NULL DEFAULT 0);"
	/* once per (execution, step); also the lookup by correlation id */
	"CREATE UNIQUE INDEX actions_step ON actions(correlation_id, step_id);"
	/* claim: oldest NEW action of a pack name */
	"CREATE INDEX actions_claim ON actions(pack_name, state, seq);"
	/* expiry of open actions and reload of the NEW queues */
	"CREATE INDEX actions_open ON actions(state, state_time) WHERE state < 2 AND expired = 0;"
	/* audit filters */
	"CREATE INDEX actions_flow_step ON actions(flow_name, step_id);"
	"CREATE INDEX actions_name ON actions(name);"

	"CREATE TABLE datastore ("
	"  key TEXT PRIMARY KEY,"
	"  content_type TEXT NOT NULL,"
	"  description TEXT,"
	"  value BLOB NOT NULL);",

	/* 2: leases (who took an action, refused late results, expiry by lease end) */
	"ALTER TABLE actions ADD COLUMN taken_by TEXT;"
	"ALTER TABLE actions ADD COLUMN refused TEXT;"
	"UPDATE actions SET lease_until = 0 WHERE state <> 1 OR expired <> 0;"
	"CREATE INDEX actions_lease ON actions(lease_until) WHERE state = 1 AND lease_until > 0;",

	/*
	 * 3: the claim index holds only what can be claimed (NEW, not expired),
	 * so a claim removes one entry and a completion touches none.
	 */
	("DROP INDEX actions_claim;"
	 "CREATE INDEX actions_new ON actions(pack_name, seq) WHERE state = 0 AND expired = 0;"),

	/*
	 * 4: the audit filters end in state_time, so the matching actions are
	 * read newest first without a sort and the scan stops after a page;
	 * actions_time serves the filters no other index leads with (the
	 * pack name, a step without its flow, labels).  Every state change
	 * rewrites these entries: no index of its own for the pack name.
	 */
	("DROP INDEX actions_name;"
	 "DROP INDEX actions_flow_step;"
	 "CREATE INDEX actions_name ON actions(name, state_time);"
	 "CREATE INDEX actions_flow_step ON actions(flow_name, step_id, state_time);"
	 "CREATE INDEX actions_time ON actions(state_time);"),
};

/* ------------------------------------------------------- statements */

#define ACTION_COLS                                                                                 \
	"seq, id, correlation_id, step_id, flow_name, flow_uuid, name, pack_name, pack_labels, input, " \
	"context, trigger, result, state, state_time, states, attempt, lease_until, expired, taken_by, " \
	"refused"

/* The PENDING entry of a take records its attempt (the old value + 1 in an UPDATE) and the taker. */
#define CLAIM_SET                                                                                   \
	"state = 1, state_time = ?2, states = json_insert(states, '$[#]', json_object('value', "      \
	"'PENDING', 'time', ?2, 'attempt', attempt + 1, 'by', ?7)), attempt = attempt + 1, "           \
	"lease_until = ?3, taken_by = ?7 "

#define STATE_APPEND(state_sql, time_param) \
	"states = json_insert(states, '$[#]', json_object('value', " state_sql ", 'time', " time_param "))"

#define STMT_ENUM(name) S_##name,
enum stmt_id {
	S_BEGIN_IMMEDIATE,
	S_BEGIN_DEFERRED,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_SP_RELEASE,
	S_SP_ROLLBACK,
	FL_STORE__STMTS(STMT_ENUM)
	S_EXEC_UPSERT,
	S_EXEC_TOUCH,
	S__COUNT
};
#undef STMT_ENUM

static const char *const sql[S__COUNT] = {
	[S_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[S_BEGIN_DEFERRED] = "BEGIN",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT job",
	[S_SP_RELEASE] = "RELEASE job",
	[S_SP_ROLLBACK] = "ROLLBACK TO job",
	[S_PING] = "SELECT count(*) FROM sqlite_schema",

	[S_PACK_EXISTS] = "SELECT 1 FROM packs WHERE id = ?1",
	[S_PACK_UPSERT] = "INSERT INTO packs(id, name, def, last_seen) VALUES(?1, ?2, ?3, ?4) "
			  "ON CONFLICT(id) DO UPDATE SET name = excluded.name, def = excluded.def, "
			  "last_seen = excluded.last_seen",
	[S_PACK_GET] = "SELECT id, name, def, last_seen FROM packs WHERE id = ?1",
	[S_PACK_LIST] = "SELECT id, name, def, last_seen FROM packs ORDER BY name, id",
	[S_PACK_DELETE] = "DELETE FROM packs WHERE id = ?1",
	[S_PACK_DELETE_STALE] = "DELETE FROM packs WHERE id = ?1 AND last_seen < ?2",
	[S_PACK_TOUCH] = "UPDATE packs SET last_seen = ?2 WHERE id = ?1 AND last_seen < ?2",

	[S_FLOW_EXISTS] = "SELECT 1 FROM flows WHERE name = ?1",
	[S_FLOW_VERSION_INSERT] = "INSERT INTO flow_versions(uuid, name, description, def, created) "
				  "VALUES(?1, ?2, ?3, ?4, ?5)",
	[S_FLOW_LATEST_SET] = "INSERT INTO flows(name, uuid) VALUES(?1, ?2) "
			      "ON CONFLICT(name) DO UPDATE SET uuid = excluded.uuid",
	[S_FLOW_GET] = "SELECT v.uuid, v.name, v.description, v.def, v.created FROM flows f "
		       "JOIN flow_versions v ON v.uuid = f.uuid WHERE f.name = ?1",
	[S_FLOW_GET_VERSION] = "SELECT uuid, name, description, def, created FROM flow_versions WHERE uuid = ?1",
	[S_FLOW_LIST] = "SELECT v.uuid, v.name, v.description, NULL, v.created FROM flows f "
			"JOIN flow_versions v ON v.uuid = f.uuid ORDER BY f.name",
	[S_FLOW_LIST_DEF] = "SELECT v.uuid, v.name, v.description, v.def, v.created FROM flows f "
			    "JOIN flow_versions v ON v.uuid = f.uuid ORDER BY f.name",
	[S_FLOW_DELETE] = "DELETE FROM flows WHERE name = ?1",

	[S_ACTION_INSERT] = "INSERT INTO actions(id, correlation_id, step_id, flow_name, flow_uuid, name, pack_name, "
			    "pack_labels, input, context, trigger, state, state_time, states, result) "
			    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?13, ?12, "
			    "json_array(json_object('value', ?14, 'time', ?12)), ?15)",
	[S_EXEC_UPSERT] = "INSERT INTO executions(correlation_id, flow_name, flow_uuid, created, latest_time) "
			  "VALUES(?1, ?2, ?3, ?4, ?4) ON CONFLICT(correlation_id) DO UPDATE SET "
			  "latest_time = max(latest_time, excluded.latest_time)",
	[S_EXEC_TOUCH] = "UPDATE executions SET latest_time = max(latest_time, ?2) WHERE correlation_id = ?1",
	[S_ACTION_CLAIM_ID] = "UPDATE actions SET " CLAIM_SET "WHERE id = ?1 AND state = 0 AND expired = 0 "
			      "RETURNING " ACTION_COLS,
	[S_ACTION_CLAIM_FIND] = "UPDATE actions SET " CLAIM_SET
				"WHERE seq = (SELECT seq FROM actions WHERE pack_name = ?4 AND state = 0 "
				"AND expired = 0 AND (?5 IS NULL OR name = ?5) "
				"AND fl_labels_subset(pack_labels, ?6) ORDER BY seq LIMIT 1) "
				"RETURNING " ACTION_COLS,
	[S_ACTION_REQUEUE] = "UPDATE actions SET state = 0, state_time = ?3, states = json_insert(states, '$[#]', "
			     "CASE WHEN ?4 IS NULL THEN json_object('value', 'NEW', 'time', ?3) "
			     "ELSE json_object('value', 'NEW', 'time', ?3, 'reason', ?4) END), lease_until = 0 "
			     "WHERE id = ?1 AND state = 1 AND expired = 0 AND attempt = ?2 RETURNING " ACTION_COLS,
	[S_ACTION_EXTEND] = "UPDATE actions SET lease_until = ?3 "
			    "WHERE id = ?1 AND state = 1 AND expired = 0 AND attempt = ?2",
	[S_LEASE_EXPIRED] = "SELECT " ACTION_COLS " FROM actions "
			    "WHERE state = 1 AND lease_until > 0 AND lease_until <= ?1 ORDER BY lease_until LIMIT ?2",
	[S_LEASE_NEXT] = "SELECT min(lease_until) FROM actions WHERE state = 1 AND lease_until > 0",
	[S_ACTION_REFUSE] = "UPDATE actions SET refused = json_insert(coalesce(refused, '[]'), '$[#]', "
			    "json_object('attempt', ?2, 'event', ?3, 'time', ?4, 'reason', ?5)) "
			    "WHERE id = ?1 AND json_array_length(coalesce(refused, '[]')) < 20",
	[S_ACTION_FINISH] = "UPDATE actions SET state = ?2, state_time = ?3, " STATE_APPEND("?4", "?3")
			    ", result = ?5, lease_until = 0 "
			    "WHERE id = ?1 AND state = 1 AND expired = 0 AND (?6 < 0 OR attempt = ?6) "
			    "AND (?7 IS NULL OR (pack_name = ?7 AND fl_labels_subset(pack_labels, ?8))) "
			    "RETURNING " ACTION_COLS,
	[S_ACTION_GET] = "SELECT " ACTION_COLS " FROM actions WHERE id = ?1",
	[S_ACTION_STATE] = "SELECT state, attempt, expired FROM actions WHERE id = ?1",
	[S_ACTION_LOAD_NEW] = "SELECT " ACTION_COLS " FROM actions "
			      "WHERE state < 2 AND expired = 0 AND state = 0 ORDER BY seq",
	[S_EXEC_STEPS] = "SELECT step_id, state FROM actions WHERE correlation_id = ?1",
	[S_AUDIT_ACTIONS] = "SELECT " ACTION_COLS " FROM actions WHERE correlation_id = ?1 ORDER BY seq",

	[S_DS_EXISTS] = "SELECT 1 FROM datastore WHERE key = ?1",
	[S_DS_PUT] = "INSERT INTO datastore(key, content_type, description, value) VALUES(?1, ?2, ?3, ?4) "
		     "ON CONFLICT(key) DO UPDATE SET content_type = excluded.content_type, "
		     "description = excluded.description, value = excluded.value",
	[S_DS_GET] = "SELECT key, content_type, description, value FROM datastore WHERE key = ?1",
	[S_DS_LIST] = "SELECT key, content_type, description, NULL FROM datastore ORDER BY key",
	[S_DS_DELETE] = "DELETE FROM datastore WHERE key = ?1",

	[S_EXPIRE_OPEN_SELECT] = "SELECT " ACTION_COLS " FROM actions "
				 "WHERE state < 2 AND expired = 0 AND state_time < ?1 LIMIT ?2",
	[S_EXPIRE_OPEN_MARK] = "UPDATE actions SET expired = 1, lease_until = 0 WHERE seq = ?1",
	[S_EXPIRE_EXEC_SELECT] = "SELECT correlation_id FROM executions WHERE latest_time < ?1 "
				 "ORDER BY latest_time LIMIT ?2",
	[S_EXPIRE_EXEC_ACTIONS] = "DELETE FROM actions WHERE correlation_id = ?1",
	[S_EXPIRE_EXEC_DELETE] = "DELETE FROM executions WHERE correlation_id = ?1",
	[S_EXPIRE_FLOW_VERSIONS] = "DELETE FROM flow_versions WHERE uuid IN ("
				   "SELECT v.uuid FROM flow_versions v WHERE v.created < ?1 "
				   "AND NOT EXISTS (SELECT 1 FROM flows f WHERE f.uuid = v.uuid) "
				   "AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.flow_uuid = v.uuid) "
				   "LIMIT ?2)",
};

/* ------------------------------------------------------- connection */

#define CKPT_FRAMES 1000 /* WAL frames after which maintain() checkpoints */

struct sq {
	struct fl_store base;
	sqlite3 *db;
	sqlite3_stmt *stmts[S__COUNT];
	char *path;
	int lock_fd;
	bool readonly;
	bool ckpt_due; /* the WAL passed CKPT_FRAMES */
};

static struct sq *sq_of(struct fl_store *st)
{
	return (struct sq *)st;
}

/* Map a SQLite result code to a project error code with a message. */
static int sq_fail(struct sq *s, struct fl_error *err, int rc, const char *what)
{
	int code;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = FL_EAGAIN;
		break;
	case SQLITE_CONSTRAINT:
		code = FL_EEXISTS;
		break;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_READONLY:
		code = FL_EIO;
		break;
	case SQLITE_NOMEM:
		code = FL_ENOMEM;
		break;
	default:
		code = FL_ERROR;
		break;
	}
	return fl_error_set(err, code, "sqlite: %s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

/* The cached statement id, reset and with cleared bindings. */
static int stmt_get(struct sq *s, enum stmt_id id, sqlite3_stmt **out, struct fl_error *err)
{
	int rc;

	if (!s->stmts[id]) {
		rc = sqlite3_prepare_v3(s->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
		if (rc != SQLITE_OK) {
			*out = NULL;
			return sq_fail(s, err, rc, "prepare");
		}
	}
	*out = s->stmts[id];
	return FL_OK;
}

static void stmt_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Run a statement that returns no rows (after binding). */
static int stmt_exec(struct sq *s, sqlite3_stmt *st, const char *what, struct fl_error *err)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	stmt_done(st);
	if (rc != SQLITE_DONE)
		return sq_fail(s, err, rc, what);
	return FL_OK;
}

static int exec_id(struct sq *s, enum stmt_id id, const char *what, struct fl_error *err)
{
	sqlite3_stmt *st;
	int rc = stmt_get(s, id, &st, err);

	if (rc)
		return rc;
	return stmt_exec(s, st, what, err);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}


static const char *row_text(const struct fl_store__row *r, int col, size_t *len)
{
	sqlite3_stmt *q = r->res;
	const unsigned char *p;

	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return NULL;
	p = sqlite3_column_text(q, col);
	*len = (size_t)sqlite3_column_bytes(q, col);
	return p ? (const char *)p : "";
}

static int64_t row_int(const struct fl_store__row *r, int col)
{
	return sqlite3_column_int64(r->res, col);
}

/* The current row of q for the decoders of driver.h. */
static struct fl_store__row row_of(sqlite3_stmt *q)
{
	return (struct fl_store__row){ row_text, row_int, q, 0 };
}

static char *col_text_nn(sqlite3_stmt *q, int i)
{
	struct fl_store__row r = row_of(q);

	return fl_store__col_nn(&r, i);
}

/* ----------------------------------------------- fl_labels_subset() */

static void json_free_aux(void *p)
{
	json_decref(p);
}

/* Parsed JSON of argument i; reuses the parse across rows for constant arguments. */
static json_t *labels_arg(sqlite3_context *ctx, sqlite3_value **argv, int i, bool *cached)
{
	json_t *j = sqlite3_get_auxdata(ctx, i);
	const unsigned char *txt;

	*cached = j != NULL;
	if (j)
		return j;
	if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
		return NULL;
	txt = sqlite3_value_text(argv[i]);
	if (!txt)
		return NULL;
	return json_loadb((const char *)txt, (size_t)sqlite3_value_bytes(argv[i]), 0, NULL);
}

/*
 * fl_labels_subset(required, have): 1 when every key of the JSON object
 * `required` maps to the same string in the JSON object `have`.  NULL or a
 * non-object `required` is the empty set (always a subset).
 */
static void labels_subset_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	bool c0, c1;
	json_t *req = labels_arg(ctx, argv, 0, &c0);
	json_t *have = labels_arg(ctx, argv, 1, &c1);
	int ok = 1;
	const char *k;
	json_t *v;

	(void)argc;
	if (json_is_object(req)) {
		json_object_foreach (req, k, v) {
			json_t *h = json_is_object(have) ? json_object_get(have, k) : NULL;
			if (!h || !json_equal(h, v)) {
				ok = 0;
				break;
			}
		}
	}
	sqlite3_result_int(ctx, ok);
	/* Hand the parses to SQLite for reuse; it frees them when it cannot keep them. */
	if (req && !c0)
		sqlite3_set_auxdata(ctx, 0, req, json_free_aux);
	if (have && !c1)
		sqlite3_set_auxdata(ctx, 1, have, json_free_aux);
}

/* ------------------------------------------------------------ open */

static int take_lock(struct sq *s, struct fl_error *err)
{
	struct fl_buf lp = FL_BUF_INIT(PATH_MAX);

	s->lock_fd = -1;
	if (strcmp(s->path, ":memory:") == 0 || s->path[0] == '\0')
		return FL_OK;
	fl_buf_addf(&lp, "%s.lock", s->path);
	if (fl_buf_failed(&lp)) {
		fl_buf_release(&lp);
		return fl_error_set(err, FL_EINVALID, "database path '%s' is too long", s->path);
	}
	s->lock_fd = open(lp.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lock_fd < 0) {
		int e = errno;
		fl_error_set(err, FL_EIO, "cannot open lock file '%s': %s", lp.ptr, strerror(e));
		fl_buf_release(&lp);
		return FL_EIO;
	}
	fl_buf_release(&lp);
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(s->lock_fd);
		s->lock_fd = -1;
		if (e == EWOULDBLOCK)
			return fl_error_set(err, FL_ECONFLICT, "database '%s' is in use by another flyte process",
					    s->path);
		return fl_error_set(err, FL_EIO, "cannot lock database '%s': %s", s->path, strerror(e));
	}
	return FL_OK;
}

static int exec_sql(struct sq *s, const char *text, struct fl_error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, text, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		fl_error_set(err, rc == SQLITE_BUSY ? FL_EAGAIN : FL_EIO, "sqlite: %s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return err ? err->code : FL_EIO;
	}
	return FL_OK;
}

/* ------------------------------------------------------ checkpoints */

/* Note that the WAL has grown; the checkpoint itself waits for maintain(). */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int nframes)
{
	struct sq *s = arg;

	(void)db;
	(void)name;
	if (nframes >= CKPT_FRAMES)
		s->ckpt_due = true;
	return SQLITE_OK;
}

static void ckpt_setup(struct sq *s)
{
	sqlite3_wal_autocheckpoint(s->db, 0);
	sqlite3_wal_hook(s->db, wal_hook, s);
}

static int sq_maintain(struct fl_store *st, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	int nlog = 0, nckpt = 0, rc;

	if (!s->ckpt_due || s->readonly || !sqlite3_get_autocommit(s->db))
		return FL_OK;
	s->ckpt_due = false;
	/* no other writer exists, so this copies the whole WAL and the next write restarts it */
	rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return sq_fail(s, err, rc, "checkpoint");
	return FL_OK;
}

static int sq_schema_version(struct fl_store *st, int *out, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL);

	*out = 0;
	if (rc != SQLITE_OK)
		return sq_fail(s, err, rc, "read schema version");
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (rc != SQLITE_ROW)
		return sq_fail(s, err, rc, "read schema version");
	return FL_OK;
}

static int sq_migrate(struct fl_store *st, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	int version, rc;
	char pragma[64];

	if (s->readonly)
		return fl_error_set(err, FL_EMISUSE, "cannot migrate a read-only store connection");
	rc = sq_schema_version(st, &version, err);
	if (rc)
		return rc;
	if (version > (int)FL_ARRAY_LEN(migrations))
		return fl_error_set(err, FL_EINVALID,
				    "database '%s' has schema version %d, newer than this flyte (%zu)", s->path,
				    version, FL_ARRAY_LEN(migrations));
	if ((size_t)version == FL_ARRAY_LEN(migrations))
		return FL_OK;
	/* every pending version in one transaction: one commit (a new database starts sooner), all or nothing */
	rc = exec_sql(s, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	for (size_t v = (size_t)version; v < FL_ARRAY_LEN(migrations) && !rc; v++) {
		rc = exec_sql(s, migrations[v], err);
		if (rc)
			fl_error_prefix(err, "migrating to schema version %zu", v + 1);
	}
	if (!rc) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %zu", FL_ARRAY_LEN(migrations));
		rc = exec_sql(s, pragma, err);
	}
	if (!rc)
		rc = exec_sql(s, "COMMIT", err);
	if (rc)
		exec_sql(s, "ROLLBACK", NULL);
	return rc;
}

/* ---------------------------------------------------- one server only */

/* One process owns the file (the flock): it is always the one. */
static int sq_try_lock(struct fl_store *st, const char *name, bool *got, struct fl_error *err)
{
	(void)st;
	(void)name;
	(void)err;
	*got = true;
	return FL_OK;
}

/* Nobody else changes the database: nothing to report. */
static int sq_changes(struct fl_store *st, int64_t *version, fl_store_change_fn cb, void *payload,
		      struct fl_error *err)
{
	(void)st;
	(void)cb;
	(void)payload;
	(void)err;
	if (*version < 0)
		*version = 0;
	return FL_OK;
}

static int sq_wait_notify(struct fl_store *st, int timeout_ms, fl_store_note_fn cb, void *payload,
			  struct fl_error *err)
{
	(void)st;
	(void)timeout_ms;
	(void)cb;
	(void)payload;
	return fl_error_set(err, FL_EUNSUPPORTED, "the SQLite store serves one server: there is nothing to wait for");
}

static void sq_close(struct fl_store *st)
{
	struct sq *s = sq_of(st);

	if (!s)
		return;
	for (size_t i = 0; i < S__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	if (s->db)
		sqlite3_close_v2(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	free(s->path);
	free(s);
}

static pthread_once_t config_once = PTHREAD_ONCE_INIT;

/*
 * Process-wide settings, before SQLite initialises: no memory statistics
 * (they take a global mutex on every allocation SQLite makes).
 */
static void sq_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int sq_open(struct fl_store **out, const char *path, unsigned flags, struct fl_error *err)
{
	struct sq *s = fl_xcalloc(1, sizeof(*s));
	int rc, oflags;

	*out = NULL;
	s->base.ops = &fl_store_sqlite_ops;
	s->path = fl_xstrdup(path ? path : "");
	s->readonly = (flags & FL_STORE_READONLY) != 0;
	s->lock_fd = -1;
	if (!s->readonly) {
		rc = take_lock(s, err);
		if (rc)
			goto fail;
	}
	pthread_once(&config_once, sq_config);
	oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (s->readonly ? 0 : SQLITE_OPEN_CREATE);
	/* the read-write connection writes the frames of a commit in one system call (walbuf.c) */
	rc = sqlite3_open_v2(s->path, &s->db, oflags, s->readonly ? NULL : fl_walbuf_vfs());
	if (rc != SQLITE_OK) {
		rc = fl_error_set(err, FL_EIO, "cannot open database '%s': %s", s->path,
				  s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	rc = sqlite3_create_function(s->db, "fl_labels_subset", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
				     labels_subset_fn, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = sq_fail(s, err, rc, "register function");
		goto fail;
	}
	if (s->readonly) {
		rc = exec_sql(s, "PRAGMA query_only = 1", err);
	} else {
		rc = exec_sql(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY",
			      err);
		if (!rc)
			rc = sq_migrate(&s->base, err);
		if (!rc)
			ckpt_setup(s);
	}
	if (rc)
		goto fail;
	*out = &s->base;
	return FL_OK;
fail:
	sq_close(&s->base);
	return rc;
}

/*
 * The database file this connection writes to is still the one at its path.
 * A file deleted or replaced under a running server would take every later
 * commit with it into an unlinked inode, so commits and health checks ask
 * (one fstat and one stat).
 */
static int check_not_moved(struct sq *s, struct fl_error *err)
{
	int moved = 0;

	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK && moved)
		return fl_error_set(err, FL_EAGAIN, "database file '%s' was deleted or replaced; restart the server",
				    s->path);
	return FL_OK;
}

static int sq_ping(struct fl_store *st, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = check_not_moved(s, err);

	if (!rc)
		rc = stmt_get(s, S_PING, &q, err);
	if (rc)
		return rc;
	return stmt_exec(s, q, "ping", err);
}

/* ----------------------------------------------------- transactions */

static int sq_begin(struct fl_store *st, struct fl_error *err)
{
	struct sq *s = sq_of(st);

	/* A transaction left open by a rollback that failed is abandoned first:
	 * otherwise every later begin on this connection would fail. */
	if (!sqlite3_get_autocommit(s->db)) {
		int rc = exec_id(s, S_ROLLBACK, "rollback", err);
		if (rc)
			return rc;
	}
	return exec_id(s, s->readonly ? S_BEGIN_DEFERRED : S_BEGIN_IMMEDIATE, "begin", err);
}

static int sq_commit(struct fl_store *st, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	int rc = check_not_moved(s, err);

	return rc ? rc : exec_id(s, S_COMMIT, "commit", err);
}

static int sq_rollback(struct fl_store *st, struct fl_error *err)
{
	struct sq *s = sq_of(st);

	if (sqlite3_get_autocommit(s->db))
		return FL_OK; /* SQLite already rolled back (e.g. after an I/O error) */
	return exec_id(s, S_ROLLBACK, "rollback", err);
}

static int sq_savepoint(struct fl_store *st, struct fl_error *err)
{
	return exec_id(sq_of(st), S_SAVEPOINT, "savepoint", err);
}

static int sq_savepoint_release(struct fl_store *st, struct fl_error *err)
{
	return exec_id(sq_of(st), S_SP_RELEASE, "release savepoint", err);
}

static int sq_savepoint_rollback(struct fl_store *st, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	int rc = exec_id(s, S_SP_ROLLBACK, "rollback to savepoint", err);

	if (rc)
		return rc;
	return exec_id(s, S_SP_RELEASE, "release savepoint", err);
}

/* ------------------------------------------------------------ packs */

static bool row_exists(struct sq *s, enum stmt_id id, const char *key, int *rc, struct fl_error *err)
{
	sqlite3_stmt *q;
	int r;

	*rc = stmt_get(s, id, &q, err);
	if (*rc)
		return false;
	bind_text(q, 1, key);
	r = sqlite3_step(q);
	stmt_done(q);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		*rc = sq_fail(s, err, r, "lookup");
		return false;
	}
	return r == SQLITE_ROW;
}

static int sq_pack_upsert(struct fl_store *st, bool *created, const struct fl_store_pack *p, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc;
	bool exists = row_exists(s, S_PACK_EXISTS, p->id, &rc, err);

	if (rc)
		return rc;
	rc = stmt_get(s, S_PACK_UPSERT, &q, err);
	if (rc)
		return rc;
	bind_text(q, 1, p->id);
	bind_text(q, 2, p->name);
	bind_text(q, 3, p->def);
	sqlite3_bind_int64(q, 4, p->last_seen);
	rc = stmt_exec(s, q, "upsert pack", err);
	if (!rc && created)
		*created = !exists;
	return rc;
}

/*
 * Step a statement keyed by `key` (parameter 1) once: on a row, `read` fills
 * `out` (zeroed first) and FL_OK is returned; no row is FL_ENOTFOUND naming
 * `what`.  The one-row getters of every table go through here.
 */
static int get_one(struct sq *s, enum stmt_id id, const char *key, void (*read)(sqlite3_stmt *q, void *out),
		   void *out, size_t out_size, const char *what, struct fl_error *err)
{
	sqlite3_stmt *q;
	char op[64];
	int rc = stmt_get(s, id, &q, err);

	memset(out, 0, out_size);
	if (rc)
		return rc;
	bind_text(q, 1, key);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		read(q, out);
		rc = FL_OK;
	} else if (rc == SQLITE_DONE) {
		rc = fl_error_set(err, FL_ENOTFOUND, "%s '%s' not found", what, key);
	} else {
		snprintf(op, sizeof(op), "get %s", what);
		rc = sq_fail(s, err, rc, op);
	}
	stmt_done(q);
	return rc;
}

static void read_pack(sqlite3_stmt *q, struct fl_store_pack *p)
{
	struct fl_store__row r = row_of(q);

	fl_store__read_pack(p, &r);
}

static void read_pack_row(sqlite3_stmt *q, void *out)
{
	read_pack(q, out);
}

static int sq_pack_get(struct fl_store *st, struct fl_store_pack *out, const char *id, struct fl_error *err)
{
	return get_one(sq_of(st), S_PACK_GET, id, read_pack_row, out, sizeof(*out), "pack", err);
}

static int sq_pack_list(struct fl_store *st, fl_store_pack_fn cb, void *payload, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_PACK_LIST, &q, err);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct fl_store_pack p;
		int stop;
		read_pack(q, &p);
		stop = cb(&p, payload);
		fl_store_pack_release(&p);
		if (stop) {
			stmt_done(q);
			return stop;
		}
	}
	stmt_done(q);
	return rc == SQLITE_DONE ? FL_OK : sq_fail(s, err, rc, "list packs");
}

/* Run a one-row delete keyed by `key`; FL_ENOTFOUND when nothing was deleted. */
static int delete_one(struct sq *s, enum stmt_id id, const char *key, const char *what, struct fl_error *err)
{
	sqlite3_stmt *q;
	int rc = stmt_get(s, id, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, key);
	rc = stmt_exec(s, q, what, err);
	if (rc)
		return rc;
	if (sqlite3_changes(s->db) == 0)
		return fl_error_set(err, FL_ENOTFOUND, "'%s' not found", key);
	return FL_OK;
}

static int sq_pack_delete(struct fl_store *st, const char *id, struct fl_error *err)
{
	return delete_one(sq_of(st), S_PACK_DELETE, id, "delete pack", err);
}

static int sq_pack_delete_stale(struct fl_store *st, const char *id, int64_t before, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_PACK_DELETE_STALE, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, id);
	sqlite3_bind_int64(q, 2, before);
	rc = stmt_exec(s, q, "delete stale pack", err);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = fl_error_set(err, FL_ENOTFOUND, "pack '%s' not found or seen since", id);
	return rc;
}

static int sq_pack_touch(struct fl_store *st, const char *id, int64_t last_seen, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_PACK_TOUCH, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, id);
	sqlite3_bind_int64(q, 2, last_seen);
	return stmt_exec(s, q, "touch pack", err);
}

/* ------------------------------------------------------------ flows */

static void read_flow(sqlite3_stmt *q, struct fl_store_flow *f)
{
	struct fl_store__row r = row_of(q);

	fl_store__read_flow(f, &r);
}

static int sq_flow_put(struct fl_store *st, bool *created, const struct fl_store_flow *f, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc;
	bool exists = row_exists(s, S_FLOW_EXISTS, f->name, &rc, err);

	if (rc)
		return rc;
	rc = stmt_get(s, S_FLOW_VERSION_INSERT, &q, err);
	if (rc)
		return rc;
	bind_text(q, 1, f->uuid);
	bind_text(q, 2, f->name);
	bind_text(q, 3, f->description);
	bind_text(q, 4, f->def);
	sqlite3_bind_int64(q, 5, f->created);
	rc = stmt_exec(s, q, "insert flow version", err);
	if (rc)
		return rc;
	rc = stmt_get(s, S_FLOW_LATEST_SET, &q, err);
	if (rc)
		return rc;
	bind_text(q, 1, f->name);
	bind_text(q, 2, f->uuid);
	rc = stmt_exec(s, q, "set latest flow", err);
	if (!rc && created)
		*created = !exists;
	return rc;
}

static void read_flow_row(sqlite3_stmt *q, void *out)
{
	read_flow(q, out);
}

static int flow_get_one(struct sq *s, enum stmt_id id, struct fl_store_flow *out, const char *key,
			struct fl_error *err)
{
	return get_one(s, id, key, read_flow_row, out, sizeof(*out), "flow", err);
}

static int sq_flow_get(struct fl_store *st, struct fl_store_flow *out, const char *name, struct fl_error *err)
{
	return flow_get_one(sq_of(st), S_FLOW_GET, out, name, err);
}

static int sq_flow_get_version(struct fl_store *st, struct fl_store_flow *out, const char *uuid,
			       struct fl_error *err)
{
	return flow_get_one(sq_of(st), S_FLOW_GET_VERSION, out, uuid, err);
}

static int sq_flow_list(struct fl_store *st, bool with_def, fl_store_flow_fn cb, void *payload, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, with_def ? S_FLOW_LIST_DEF : S_FLOW_LIST, &q, err);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct fl_store_flow f;
		int stop;
		read_flow(q, &f);
		stop = cb(&f, payload);
		fl_store_flow_release(&f);
		if (stop) {
			stmt_done(q);
			return stop;
		}
	}
	stmt_done(q);
	return rc == SQLITE_DONE ? FL_OK : sq_fail(s, err, rc, "list flows");
}

static int sq_flow_delete(struct fl_store *st, const char *name, struct fl_error *err)
{
	return delete_one(sq_of(st), S_FLOW_DELETE, name, "delete flow", err);
}

/* ---------------------------------------------------------- actions */

static void read_action(sqlite3_stmt *q, struct fl_store_action *a)
{
	struct fl_store__row r = row_of(q);

	fl_store__read_action(a, &r);
}

/* The latest state time of an execution moves forward (the audit order). */
static int exec_touch(struct sq *s, const char *corr, int64_t t, struct fl_error *err)
{
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_EXEC_TOUCH, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, corr);
	sqlite3_bind_int64(q, 2, t);
	return stmt_exec(s, q, "update execution", err);
}

static int sq_action_insert(struct fl_store *st, int64_t *seq, const struct fl_store_action_new *a,
			    struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_ACTION_INSERT, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, a->id);
	bind_text(q, 2, a->correlation_id);
	bind_text(q, 3, a->step_id ? a->step_id : "");
	bind_text(q, 4, a->flow_name);
	bind_text(q, 5, a->flow_uuid);
	bind_text(q, 6, a->name);
	bind_text(q, 7, a->pack_name);
	bind_text(q, 8, a->pack_labels);
	bind_text(q, 9, a->input ? a->input : "null");
	bind_text(q, 10, a->context);
	bind_text(q, 11, a->trigger);
	sqlite3_bind_int64(q, 12, a->created);
	sqlite3_bind_int(q, 13, a->state);
	bind_text(q, 14, fl_store_state_name(a->state));
	bind_text(q, 15, a->result);
	rc = sqlite3_step(q);
	stmt_done(q);
	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			return fl_error_set(err, FL_EEXISTS, "execution '%s' already has an action for step '%s'",
					    a->correlation_id, a->step_id ? a->step_id : "");
		return sq_fail(s, err, rc, "insert action");
	}
	if (seq)
		*seq = sqlite3_last_insert_rowid(s->db);
	rc = stmt_get(s, S_EXEC_UPSERT, &q, err);
	if (rc)
		return rc;
	bind_text(q, 1, a->correlation_id);
	bind_text(q, 2, a->flow_name);
	bind_text(q, 3, a->flow_uuid);
	sqlite3_bind_int64(q, 4, a->created);
	return stmt_exec(s, q, "upsert execution", err);
}

/*
 * Step an UPDATE ... RETURNING <action columns> statement; fills *out when a
 * row came back.  Returns FL_OK with *found set, or an error.
 */
static int step_action_row(struct sq *s, sqlite3_stmt *q, struct fl_store_action *out, bool *found, const char *what,
			   struct fl_error *err)
{
	int rc;

	*found = false;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!*found) {
			read_action(q, out);
			*found = true;
		}
	}
	stmt_done(q);
	if (rc != SQLITE_DONE) {
		if (*found)
			fl_store_action_release(out);
		*found = false;
		return sq_fail(s, err, rc, what);
	}
	return FL_OK;
}

/* Explain why a conditional update on action id matched nothing. */
static int action_miss(struct sq *s, const char *id, int want_state, int64_t attempt, struct fl_error *err)
{
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_ACTION_STATE, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, id);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		stmt_done(q);
		return sq_fail(s, err, rc, "get action state");
	}
	rc = fl_store__action_miss(err, id, want_state, attempt, rc == SQLITE_ROW, sqlite3_column_int(q, 0),
				   sqlite3_column_int64(q, 1), sqlite3_column_int(q, 2) != 0);
	stmt_done(q);
	return rc;
}

static int sq_action_claim(struct fl_store *st, struct fl_store_action *out, const struct fl_store_claim *c,
			   struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	bool found;
	int rc = stmt_get(s, c->action_id ? S_ACTION_CLAIM_ID : S_ACTION_CLAIM_FIND, &q, err);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 2, c->now);
	sqlite3_bind_int64(q, 3, c->lease_until);
	bind_text(q, 7, c->taker);
	if (c->action_id) {
		bind_text(q, 1, c->action_id);
	} else {
		bind_text(q, 4, c->pack_name ? c->pack_name : "");
		bind_text(q, 5, c->command);
		bind_text(q, 6, c->pack_labels);
	}
	rc = step_action_row(s, q, out, &found, "claim action", err);
	if (rc)
		return rc;
	if (!found) {
		if (c->action_id) {
			rc = action_miss(s, c->action_id, FL_ACTION_NEW, -1, err);
			if (rc == FL_ECONFLICT)
				rc = fl_error_set(err, FL_ENOTFOUND, "action '%s' is not NEW", c->action_id);
			return rc;
		}
		return fl_error_set(err, FL_ENOTFOUND, "no NEW action for pack '%s'", c->pack_name ? c->pack_name : "");
	}
	rc = exec_touch(s, out->correlation_id, c->now, err);
	if (rc)
		fl_store_action_release(out);
	return rc;
}

static int sq_action_requeue(struct fl_store *st, struct fl_store_action *out, const char *id, int64_t attempt,
			     int64_t now, const char *reason, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	bool found;
	int rc = stmt_get(s, S_ACTION_REQUEUE, &q, err);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	bind_text(q, 1, id);
	sqlite3_bind_int64(q, 2, attempt);
	sqlite3_bind_int64(q, 3, now);
	bind_text(q, 4, reason);
	rc = step_action_row(s, q, out, &found, "requeue action", err);
	if (rc)
		return rc;
	if (!found)
		return action_miss(s, id, FL_ACTION_PENDING, attempt, err);
	rc = exec_touch(s, out->correlation_id, now, err);
	if (rc)
		fl_store_action_release(out);
	return rc;
}

static int each_action(struct sq *s, sqlite3_stmt *q, fl_store_action_fn cb, void *payload, size_t *count,
		       const char *what, struct fl_error *err);

static int sq_action_extend(struct fl_store *st, const char *id, int64_t attempt, int64_t lease_until,
			    struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_ACTION_EXTEND, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, id);
	sqlite3_bind_int64(q, 2, attempt);
	sqlite3_bind_int64(q, 3, lease_until);
	rc = stmt_exec(s, q, "extend lease", err);
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = action_miss(s, id, FL_ACTION_PENDING, attempt, err);
	return rc;
}

static int sq_action_lease_expired(struct fl_store *st, int64_t before, size_t limit, fl_store_action_fn cb,
				   void *payload, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	size_t n = 0;
	int rc = stmt_get(s, S_LEASE_EXPIRED, &q, err);

	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, before);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)FL_MIN(limit, (size_t)INT64_MAX));
	return each_action(s, q, cb, payload, &n, "expired leases", err);
}

static int sq_action_lease_next(struct fl_store *st, int64_t *out, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_LEASE_NEXT, &q, err);

	*out = 0;
	if (rc)
		return rc;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(q, 0);
	stmt_done(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? FL_OK : sq_fail(s, err, rc, "next lease");
}

static int sq_action_refuse(struct fl_store *st, const char *id, int64_t attempt, const char *event, int64_t now,
			    const char *reason, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_ACTION_REFUSE, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, id);
	sqlite3_bind_int64(q, 2, attempt);
	bind_text(q, 3, event ? event : "");
	sqlite3_bind_int64(q, 4, now);
	bind_text(q, 5, reason ? reason : "");
	return stmt_exec(s, q, "record a refused result", err);
}


static int sq_action_finish(struct fl_store *st, struct fl_store_action *out, const struct fl_store_finish *f,
			    struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	bool found;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = fl_store__final_state(err, f->action_id, f->state);
	if (!rc)
		rc = stmt_get(s, S_ACTION_FINISH, &q, err);
	if (rc)
		return rc;
	bind_text(q, 1, f->action_id);
	sqlite3_bind_int(q, 2, f->state);
	sqlite3_bind_int64(q, 3, f->now);
	bind_text(q, 4, fl_store_state_name(f->state));
	bind_text(q, 5, f->result);
	sqlite3_bind_int64(q, 6, f->attempt < 0 ? -1 : f->attempt);
	bind_text(q, 7, f->pack_name);
	bind_text(q, 8, f->pack_labels);
	rc = step_action_row(s, q, out, &found, "complete action", err);
	if (!rc && !found)
		return fl_error_set(err, FL_ENOTFOUND, "action '%s' is not a PENDING action of this pack and attempt",
				    f->action_id);
	if (!rc)
		rc = exec_touch(s, out->correlation_id, f->now, err);
	if (rc)
		fl_store_action_release(out);
	return rc;
}

static void read_action_row(sqlite3_stmt *q, void *out)
{
	read_action(q, out);
}

static int sq_action_get(struct fl_store *st, struct fl_store_action *out, const char *id, struct fl_error *err)
{
	return get_one(sq_of(st), S_ACTION_GET, id, read_action_row, out, sizeof(*out), "action", err);
}

/* Iterate the action rows of a bound statement. */
static int each_action(struct sq *s, sqlite3_stmt *q, fl_store_action_fn cb, void *payload, size_t *count,
		       const char *what, struct fl_error *err)
{
	int rc;
	size_t n = 0;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct fl_store_action a;
		int stop;
		read_action(q, &a);
		n++;
		stop = cb ? cb(&a, payload) : 0;
		fl_store_action_release(&a);
		if (stop) {
			stmt_done(q);
			return stop;
		}
	}
	stmt_done(q);
	if (count)
		*count = n;
	return rc == SQLITE_DONE ? FL_OK : sq_fail(s, err, rc, what);
}

static int sq_action_load_new(struct fl_store *st, fl_store_action_fn cb, void *payload, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_ACTION_LOAD_NEW, &q, err);

	if (rc)
		return rc;
	return each_action(s, q, cb, payload, NULL, "load new actions", err);
}

static int sq_execution_steps(struct fl_store *st, const char *corr, fl_store_step_fn cb, void *payload,
			      struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_EXEC_STEPS, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, corr);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *step = sqlite3_column_text(q, 0);
		int stop = cb(step ? (const char *)step : "", sqlite3_column_int(q, 1), payload);
		if (stop) {
			stmt_done(q);
			return stop;
		}
	}
	stmt_done(q);
	return rc == SQLITE_DONE ? FL_OK : sq_fail(s, err, rc, "execution steps");
}

/* ------------------------------------------------------------ audit */

/*
 * INDEXED BY: the planner would otherwise look for an execution's newer
 * matching actions through the filter's index, a range as long as the list
 * above the action.
 */
static const struct fl_store__dialect sq_dialect = { '?', "fl_labels_subset(%s, %spack_labels)", "",
						     "actions b INDEXED BY actions_step" };

static int sq_audit_query(struct fl_store *st, const struct fl_store_audit_query *aq, fl_store_corr_fn cb,
			  void *payload, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	struct fl_buf text = FL_BUF_INIT(4096);
	struct fl_store__param params[FL_STORE__AUDIT_PARAMS];
	sqlite3_stmt *q = NULL;
	int np = 0, rc = fl_store__audit_sql(&text, params, &np, aq, &sq_dialect, err);

	if (rc) {
		fl_buf_release(&text);
		return rc;
	}
	rc = sqlite3_prepare_v2(s->db, text.ptr, (int)text.len, &q, NULL);
	fl_buf_release(&text);
	if (rc != SQLITE_OK)
		return sq_fail(s, err, rc, "prepare audit query");
	for (int i = 0; i < np; i++) {
		if (params[i].text)
			bind_text(q, i + 1, params[i].text);
		else
			sqlite3_bind_int64(q, i + 1, params[i].num);
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const unsigned char *corr = sqlite3_column_text(q, 0);
		int stop = cb(corr ? (const char *)corr : "", sqlite3_column_int64(q, 1), payload);
		if (stop) {
			sqlite3_finalize(q);
			return stop;
		}
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? FL_OK : sq_fail(s, err, rc, "audit query");
}

static int sq_audit_actions(struct fl_store *st, const char *corr, fl_store_action_fn cb, void *payload,
			    struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	size_t n = 0;
	int rc = stmt_get(s, S_AUDIT_ACTIONS, &q, err);

	if (rc)
		return rc;
	bind_text(q, 1, corr);
	rc = each_action(s, q, cb, payload, &n, "audit actions", err);
	if (rc)
		return rc;
	if (n == 0)
		return fl_error_set(err, FL_ENOTFOUND, "execution '%s' not found", corr);
	return FL_OK;
}

/* -------------------------------------------------------- datastore */

static void read_ds(sqlite3_stmt *q, struct fl_store_ds_item *it)
{
	struct fl_store__row r = row_of(q);

	fl_store__read_ds_head(it, &r);
	if (sqlite3_column_type(q, 3) != SQLITE_NULL) {
		const void *v = sqlite3_column_blob(q, 3);
		it->value_len = (size_t)sqlite3_column_bytes(q, 3);
		it->value = fl_xmemdup0(v ? v : "", it->value_len);
	}
}

static int sq_ds_put(struct fl_store *st, bool *created, const struct fl_store_ds_item *it, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc;
	bool exists = row_exists(s, S_DS_EXISTS, it->key, &rc, err);

	if (rc)
		return rc;
	if (it->value_len > (size_t)INT_MAX)
		return fl_error_set(err, FL_ETOOBIG, "datastore value of '%s' is too big", it->key);
	rc = stmt_get(s, S_DS_PUT, &q, err);
	if (rc)
		return rc;
	bind_text(q, 1, it->key);
	bind_text(q, 2, it->content_type ? it->content_type : "text/plain; charset=us-ascii");
	bind_text(q, 3, it->description);
	sqlite3_bind_blob(q, 4, it->value ? it->value : "", (int)it->value_len, SQLITE_STATIC);
	rc = stmt_exec(s, q, "put datastore item", err);
	if (!rc && created)
		*created = !exists;
	return rc;
}

static void read_ds_row(sqlite3_stmt *q, void *out)
{
	read_ds(q, out);
}

static int sq_ds_get(struct fl_store *st, struct fl_store_ds_item *out, const char *key, struct fl_error *err)
{
	return get_one(sq_of(st), S_DS_GET, key, read_ds_row, out, sizeof(*out), "datastore item", err);
}

static int sq_ds_list(struct fl_store *st, fl_store_ds_fn cb, void *payload, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_DS_LIST, &q, err);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct fl_store_ds_item it;
		int stop;
		read_ds(q, &it);
		stop = cb(&it, payload);
		fl_store_ds_item_release(&it);
		if (stop) {
			stmt_done(q);
			return stop;
		}
	}
	stmt_done(q);
	return rc == SQLITE_DONE ? FL_OK : sq_fail(s, err, rc, "list datastore");
}

static int sq_ds_delete(struct fl_store *st, const char *key, struct fl_error *err)
{
	return delete_one(sq_of(st), S_DS_DELETE, key, "delete datastore item", err);
}

/* ----------------------------------------------------------- expiry */

static int sq_expire_actions(struct fl_store *st, size_t *n, int64_t before, size_t limit, fl_store_action_fn cb,
			     void *payload, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	struct fl_store__seqs l = { NULL, 0, 0, cb, payload };
	sqlite3_stmt *q;
	int rc;

	*n = 0;
	if (limit == 0)
		return FL_OK;
	rc = stmt_get(s, S_EXPIRE_OPEN_SELECT, &q, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, before);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)limit);
	rc = each_action(s, q, fl_store__collect_seq, &l, NULL, "select expired actions", err);
	for (size_t i = 0; !rc && i < l.n; i++) {
		rc = stmt_get(s, S_EXPIRE_OPEN_MARK, &q, err);
		if (rc)
			break;
		sqlite3_bind_int64(q, 1, l.v[i]);
		rc = stmt_exec(s, q, "expire action", err);
	}
	if (!rc)
		*n = l.n;
	free(l.v);
	return rc;
}

static int sq_expire_audit(struct fl_store *st, size_t *n, int64_t before, size_t limit, struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	char **ids = NULL;
	size_t nids = 0, rows = 0;
	int rc;

	*n = 0;
	if (limit == 0)
		return FL_OK;
	rc = stmt_get(s, S_EXPIRE_EXEC_SELECT, &q, err);
	if (rc)
		return rc;
	ids = fl_xcalloc(limit, sizeof(*ids));
	sqlite3_bind_int64(q, 1, before);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && nids < limit)
		ids[nids++] = col_text_nn(q, 0);
	stmt_done(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		rc = sq_fail(s, err, rc, "select expired executions");
		goto out;
	}
	rc = FL_OK;
	for (size_t i = 0; !rc && i < nids; i++) {
		static const enum stmt_id steps[] = { S_EXPIRE_EXEC_ACTIONS, S_EXPIRE_EXEC_DELETE };
		for (size_t k = 0; !rc && k < FL_ARRAY_LEN(steps); k++) {
			rc = stmt_get(s, steps[k], &q, err);
			if (rc)
				break;
			bind_text(q, 1, ids[i]);
			rc = stmt_exec(s, q, "delete expired execution", err);
			if (!rc)
				rows += (size_t)sqlite3_changes(s->db);
		}
	}
	if (!rc)
		*n = rows;
out:
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

static int sq_expire_flow_versions(struct fl_store *st, size_t *n, int64_t before, size_t limit,
				   struct fl_error *err)
{
	struct sq *s = sq_of(st);
	sqlite3_stmt *q;
	int rc = stmt_get(s, S_EXPIRE_FLOW_VERSIONS, &q, err);

	*n = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(q, 1, before);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)limit);
	rc = stmt_exec(s, q, "expire flow versions", err);
	if (!rc)
		*n = (size_t)sqlite3_changes(s->db);
	return rc;
}

/* ------------------------------------------------------------- ops */

const struct fl_store_ops fl_store_sqlite_ops = {
	.name = "sqlite",
	.abi_version = FL_STORE_ABI_VERSION,
	.caps = FL_STORE_STMT_ROLLBACK,
	.open = sq_open,
	.close = sq_close,
	.migrate = sq_migrate,
	.schema_version = sq_schema_version,
	.ping = sq_ping,
	.maintain = sq_maintain,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.savepoint = sq_savepoint,
	.savepoint_release = sq_savepoint_release,
	.savepoint_rollback = sq_savepoint_rollback,
	.pack_upsert = sq_pack_upsert,
	.pack_get = sq_pack_get,
	.pack_list = sq_pack_list,
	.pack_delete = sq_pack_delete,
	.pack_delete_stale = sq_pack_delete_stale,
	.pack_touch = sq_pack_touch,
	.flow_put = sq_flow_put,
	.flow_get = sq_flow_get,
	.flow_get_version = sq_flow_get_version,
	.flow_list = sq_flow_list,
	.flow_delete = sq_flow_delete,
	.action_insert = sq_action_insert,
	.action_claim = sq_action_claim,
	.action_requeue = sq_action_requeue,
	.action_extend = sq_action_extend,
	.action_lease_expired = sq_action_lease_expired,
	.action_lease_next = sq_action_lease_next,
	.action_refuse = sq_action_refuse,
	.action_finish = sq_action_finish,
	.action_get = sq_action_get,
	.action_load_new = sq_action_load_new,
	.execution_steps = sq_execution_steps,
	.audit_query = sq_audit_query,
	.audit_actions = sq_audit_actions,
	.ds_put = sq_ds_put,
	.ds_get = sq_ds_get,
	.ds_list = sq_ds_list,
	.ds_delete = sq_ds_delete,
	.expire_actions = sq_expire_actions,
	.expire_audit = sq_expire_audit,
	.expire_flow_versions = sq_expire_flow_versions,
	.try_lock = sq_try_lock,
	.changes = sq_changes,
	.wait_notify = sq_wait_notify,
};
