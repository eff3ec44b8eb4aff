/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packdef.h - pack definitions: validation, id derivation, status and the
 * JSON shapes the engine returns for packs.
 *
 * Pure functions on jansson values; no engine state, no store.
 */
#ifndef FL_PACKDEF_H
#define FL_PACKDEF_H

#include <jansson.h>

#include "error.h"
#include "fl-common.h"

/* A validated pack definition (everything owned). */
struct fl_packdef {
	char *id;       /* derived: name + ".k.v" per label, keys sorted */
	char *name;
	json_t *labels; /* object of strings, possibly empty */
	json_t *def;    /* normalised definition to store */
};

/*
 * Validate a registration body (borrowed) and build the normalised
 * definition: {"name","labels"?,"commands"?:[{"name","events","links"?,
 * "leaseSeconds"?,"maxAttempts"?}],
 * "events"?:[{"name","links"?}],"links"?:[{"href","rel"?}]}.  FL_EINVALID
 * with a message naming the field, or for a reserved pack-level link rel
 * (self, up, or ending in /actionResult, /takeAction, /event).
 */
int fl_packdef_parse(struct fl_packdef *out, const json_t *body, struct fl_error *err);
void fl_packdef_release(struct fl_packdef *p);

/* The derived id of name + labels (object of strings or NULL); caller frees. */
char *fl_packdef_id(const char *name, const json_t *labels);

/* "live" (< 10 min), "warning" (< 24 h) or "critical", from ns timestamps. */
const char *fl_packdef_status(int64_t last_seen, int64_t now);

/*
 * The full pack shape: {"id","name","labels"?,"commands"?:[{"name","events"}],
 * "events"?:[...],"links":[...],"lastSeen","status"} from a stored definition
 * (borrowed).  New reference.
 */
json_t *fl_packdef_to_json(const char *id, const json_t *def, int64_t last_seen, int64_t now);
/* The list shape {"id","name","labels"?,"lastSeen","status"}.  New reference. */
json_t *fl_packdef_summary_json(const char *id, const char *name, const json_t *labels, int64_t last_seen,
				int64_t now);

/* Bounds of a command's optional "leaseSeconds" (one year) and "maxAttempts". */
#define FL_PACKDEF_MAX_LEASE_SEC INT64_C(31536000)
#define FL_PACKDEF_MAX_ATTEMPTS INT64_C(1000)

/*
 * The lease settings a pack declared for `command` in its definition's
 * "commands" array (borrowed, may be NULL): *lease_sec and *max_attempts are
 * set only when declared, so callers preset the server defaults.
 */
void fl_packdef_command_lease(const json_t *commands, const char *command, int64_t *lease_sec,
			      int64_t *max_attempts);

/* True when every key of `required` maps to an equal string in `have` (NULLs are empty). */
bool fl_packdef_labels_subset(const json_t *required, const json_t *have);

/* RFC 3339 with nanoseconds as Go's RFC3339Nano ("…T10:42:28.123456789Z"); out >= 40 bytes. */
void fl_packdef_format_time(char *out, size_t outlen, int64_t ns);

#endif
