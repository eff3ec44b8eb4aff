/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault.c - fault injection at the store wrappers (builds with
 * -Dfault_injection=true only; see FL_STORE_FAULT in store.h).
 *
 * Rules come from FLYTE_STORE_FAULTS: either the rules themselves, or "@"
 * and the path of a file holding them, which is read again whenever its
 * modification time or size changes (looked at no more than every 20 ms), so
 * a test can start, change and stop faults while the server runs.  Rules are
 * separated by newlines or ';':
 *
 *     <target> <error> [always | nth=N | after=N]
 *
 * target: an operation name ("commit", "action_claim", ...), "write" (every
 * operation that changes the database or ends a transaction), "read" or "*";
 * error: "eio" (an I/O error) or "enospc" (disk full); when: every matching
 * call (default), only the N-th matching call after the rules were loaded,
 * or every call after the first N.  An empty or missing file means no fault.
 * Injected failures are FL_EIO with a message that says so.
 */
#include "fl-common.h"

#include <pthread.h>
#include <sys/stat.h>

#include "alloc.h"
#include "log.h"
#include "store/store.h"
#include "timeutil.h"

#define MAX_RULES 16
#define RECHECK_NS (20 * FL_NS_PER_MS)

enum target { T_OP, T_WRITE, T_READ, T_ANY };
enum when { W_ALWAYS, W_NTH, W_AFTER };

struct rule {
	enum target target;
	enum fl_store_op op;
	bool enospc;
	enum when when;
	uint64_t n;
	uint64_t seen; /* matching calls so far */
};

static const struct {
	const char *name;
	enum fl_store_op_class cls;
} ops[] = {
#define FL__STORE_OP_ROW(op, name, cls) { name, cls },
	FL_STORE_OPS(FL__STORE_OP_ROW)
#undef FL__STORE_OP_ROW
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct rule rules[MAX_RULES];
static size_t nrules;
static bool loaded;
static int64_t next_check;
static struct timespec file_mtime;
static off_t file_size = -1;

static bool parse_target(const char *w, size_t n, struct rule *r)
{
	static const struct {
		const char *name;
		enum target t;
	} classes[] = { { "write", T_WRITE }, { "read", T_READ }, { "*", T_ANY } };

	for (size_t i = 0; i < FL_ARRAY_LEN(classes); i++)
		if (strlen(classes[i].name) == n && memcmp(classes[i].name, w, n) == 0) {
			r->target = classes[i].t;
			return true;
		}
	for (size_t i = 0; i < FL_ARRAY_LEN(ops); i++)
		if (strlen(ops[i].name) == n && memcmp(ops[i].name, w, n) == 0) {
			r->target = T_OP;
			r->op = (enum fl_store_op)i;
			return true;
		}
	return false;
}

/* One rule from its words; false (logged) when it does not parse. */
static bool parse_rule(const char *line, size_t len, struct rule *r)
{
	const char *w[3];
	size_t wl[3], nw = 0, i = 0;

	while (i < len && nw < 3) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		w[nw] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		wl[nw] = (size_t)(line + i - w[nw]);
		nw++;
	}
	memset(r, 0, sizeof(*r));
	if (nw < 2 || !parse_target(w[0], wl[0], r))
		goto bad;
	if (wl[1] == 3 && memcmp(w[1], "eio", 3) == 0)
		r->enospc = false;
	else if (wl[1] == 6 && memcmp(w[1], "enospc", 6) == 0)
		r->enospc = true;
	else
		goto bad;
	if (nw == 3) {
		char num[24];
		const char *eq = memchr(w[2], '=', wl[2]);
		size_t klen = eq ? (size_t)(eq - w[2]) : wl[2];
		if (!eq && klen == 6 && memcmp(w[2], "always", 6) == 0)
			return true;
		if (!eq || wl[2] - klen - 1 >= sizeof(num))
			goto bad;
		memcpy(num, eq + 1, wl[2] - klen - 1);
		num[wl[2] - klen - 1] = '\0';
		r->n = strtoull(num, NULL, 10);
		if (klen == 3 && memcmp(w[2], "nth", 3) == 0 && r->n > 0)
			r->when = W_NTH;
		else if (klen == 5 && memcmp(w[2], "after", 5) == 0)
			r->when = W_AFTER;
		else
			goto bad;
	}
	return true;
bad:
	FL_LOG_E(NULL, "fault injection: cannot parse rule '%.*s'", (int)FL_MIN(len, (size_t)200), line);
	return false;
}

static void parse_rules(const char *text, size_t len)
{
	size_t i = 0;

	nrules = 0;
	while (i < len) {
		size_t n = 0;
		while (i + n < len && text[i + n] != '\n' && text[i + n] != ';')
			n++;
		if (n && nrules < MAX_RULES && parse_rule(text + i, n, &rules[nrules]))
			nrules++;
		i += n + 1;
	}
	if (nrules)
		FL_LOG_W(NULL, "fault injection: %zu rule(s) active", nrules);
}

/* Load the rules (again) if the source changed; called with mu held. */
static void refresh(void)
{
	const char *spec = getenv("FLYTE_STORE_FAULTS");
	int64_t now = fl_time_mono_ns();
	struct stat sb;
	char buf[4096];
	size_t n = 0;
	FILE *f;

	if (loaded && now < next_check)
		return;
	next_check = now + RECHECK_NS;
	if (!spec || spec[0] != '@') {
		if (!loaded)
			parse_rules(spec ? spec : "", spec ? strlen(spec) : 0);
		loaded = true;
		return;
	}
	if (stat(spec + 1, &sb) != 0) {
		if (file_size != -1 || !loaded)
			nrules = 0;
		file_size = -1;
		loaded = true;
		return;
	}
	if (loaded && sb.st_size == file_size && sb.st_mtim.tv_sec == file_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == file_mtime.tv_nsec)
		return;
	file_size = sb.st_size;
	file_mtime = sb.st_mtim;
	loaded = true;
	f = fopen(spec + 1, "rb");
	if (f) {
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
	}
	parse_rules(buf, n);
}

static bool matches(const struct rule *r, enum fl_store_op op)
{
	switch (r->target) {
	case T_OP:
		return r->op == op;
	case T_WRITE:
		return ops[op].cls == FL_STORE_WRITE;
	case T_READ:
		return ops[op].cls == FL_STORE_READ;
	case T_ANY:
		return true;
	}
	return false;
}

int fl_store_fault(enum fl_store_op op, struct fl_error *err)
{
	int rc = FL_OK;

	pthread_mutex_lock(&mu);
	refresh();
	for (size_t i = 0; i < nrules && !rc; i++) {
		struct rule *r = &rules[i];
		bool fire;
		if (!matches(r, op))
			continue;
		r->seen++;
		fire = r->when == W_ALWAYS || (r->when == W_NTH && r->seen == r->n) ||
		       (r->when == W_AFTER && r->seen > r->n);
		if (fire)
			rc = fl_error_set(err, FL_EIO, "injected fault: %s in store operation '%s'",
					  r->enospc ? "database or disk is full" : "i/o error", ops[op].name);
	}
	pthread_mutex_unlock(&mu);
	return rc;
}
