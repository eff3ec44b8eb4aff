/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctl.h - what the files of flytectl share: the command table, argument
 * parsing, output (tables, JSON, YAML) and request helpers with exit codes.
 *
 * flytectl is built on the public libflyte API only (include/flyte.h) plus
 * jansson for reading JSON answers, like any third-party tool would be.  The
 * one exception is `test` (cmd_test.c, step.c), which renders templates
 * offline with the server's own template module (src/template) and reads
 * YAML test files with its YAML module (src/yaml); those two files alone
 * include server headers (tools/check-boundaries.py holds the line).
 */
#ifndef FLYTECTL_H
#define FLYTECTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <flyte.h>
#include <jansson.h>

/* Exit codes (documented in docs/flytectl.1). */
enum ctl_exit {
	CTL_OK = 0,
	CTL_ERROR = 1,
	CTL_USAGE = 2,
	CTL_NOTFOUND = 3,
	CTL_NORUN = 4, /* test: the step does not run for that event */
};

enum ctl_format { CTL_TABLE, CTL_JSON, CTL_YAML };

struct ctl_command;

/* State shared by every command: the client and the global options. */
struct ctl {
	const char *server;
	bool server_given; /* --server/--url on the command line (not from the environment) */
	const char *token;
	long timeout_ms;
	enum ctl_format format;
	bool format_given; /* -o on the command line */
	struct flyte_client *client; /* created on first use */
	/* what is being run, for the usage printed after a usage error */
	const char *group;
	const struct ctl_command *cmd;
};

/* ------------------------------------------------------------- arguments */

/* One option a command accepts; arg == NULL means a flag. */
struct ctl_opt {
	const char *name;  /* long name without dashes */
	char short_name;   /* 0 = none */
	const char *arg;   /* placeholder shown in help, e.g. "FILE" */
	const char *help;
	bool repeat;       /* may be given several times */
};

#define CTL_MAX_OPTS 16
#define CTL_MAX_VALUES 64
#define CTL_MAX_POS 8

struct ctl_args {
	const struct ctl_opt *opts;
	const char *values[CTL_MAX_VALUES]; /* parsed values, in order */
	int value_opt[CTL_MAX_VALUES];      /* index of the option of each value */
	int n_values;
	char *pos[CTL_MAX_POS];
	int n_pos;
};

/* A command of the table: `flytectl <group> [<name>] ...`. */
struct ctl_command {
	const char *group;
	const char *name; /* NULL for one-word commands (tail, health, version) */
	int (*fn)(struct ctl *ctl, struct ctl_args *args);
	const char *usage; /* arguments after the command words */
	const char *help;  /* one line */
	const struct ctl_opt *opts;
	int min_pos, max_pos;
	const char *pos_names; /* the positional arguments, for "needs ..." messages */
};

extern const struct ctl_command ctl_commands[];
extern const size_t ctl_n_commands;

/*
 * Other spellings of command words: the original CLI's (`upload ds`) and
 * plural nouns (`flows`, `packs`, ...).  group == NULL: an alias of a
 * group, run as `name` when no command follows (`flytectl flows` lists).
 * Otherwise an alias of command `name` of that group.
 */
struct ctl_alias {
	const char *group;
	const char *alias;
	const char *target; /* the group (group == NULL) or the command name */
	const char *bare;   /* group aliases: command run when none follows, or NULL */
};

extern const struct ctl_alias ctl_aliases[];
extern const size_t ctl_n_aliases;

/* Parse argv against opts.  Returns 0 or prints an error and returns -1. */
int ctl_parse(struct ctl_args *a, const struct ctl_opt *opts, int argc, char **argv);
/* Last value of option name, or NULL. */
const char *ctl_opt(const struct ctl_args *a, const char *name);
/* i-th value of a repeatable option, or NULL. */
const char *ctl_opt_n(const struct ctl_args *a, const char *name, int i);
bool ctl_flag(const struct ctl_args *a, const char *name);
/* Print `flytectl <group> <name> <usage>`, the help and the options. */
void ctl_command_help(FILE *f, const struct ctl_command *c);
/* Print the list of commands. */
void ctl_usage(FILE *f);

/* ---------------------------------------------------------------- errors */

/* Print "flytectl: <message>" to stderr and return code. */
int ctl_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * A usage error: print "flytectl: <message>", then the usage of what is
 * being run (the command, else the group, else flytectl's), and return
 * CTL_USAGE.
 */
int ctl_usage_error(const struct ctl *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usage of what is being run (see ctl_usage_error), to f. */
void ctl_print_usage(FILE *f, const struct ctl *ctl);
/* Print the commands of a group. */
void ctl_group_usage(FILE *f, const char *group);

/* -------------------------------------------------------------- requests */

/* The client, created from ctl->server / ctl->token on first use. */
struct flyte_client *ctl_client(struct ctl *ctl);

/*
 * Send a request; on a transport error print it and return CTL_ERROR.
 * Otherwise return CTL_OK with the response in *r (any status).
 */
int ctl_request(struct ctl *ctl, struct flyte_response *r, const char *method, const char *path,
		const char *content_type, const void *body, size_t len);
/*
 * Check a response status against the expected one: print the server's
 * error (its {"error": ...} message when there is one) and return
 * CTL_NOTFOUND for 404, CTL_ERROR otherwise; CTL_OK when it matches.
 */
int ctl_expect(const struct flyte_response *r, int expected, const char *what);
/* GET path and parse the JSON answer (expects 200).  *out is a new reference. */
int ctl_get_json(struct ctl *ctl, const char *path, const char *what, json_t **out);
/*
 * GET the `noun` (e.g. "flow", in messages: "get flow 'x'") `id` of a
 * collection as ctl_get_json does.  quiet_404: a 404 returns CTL_NOTFOUND
 * without a message (the caller looks elsewhere).
 */
int ctl_get_item(struct ctl *ctl, const char *collection, const char *noun, const char *id, bool quiet_404,
		 json_t **out);
/*
 * GET a collection and, with -o json|yaml, print its member `key`: then
 * *out is NULL.  For a table, *out is the answer (a new reference; see
 * ctl_table_done()).
 */
int ctl_get_list(struct ctl *ctl, const char *path, const char *what, const char *key, json_t **out);
/* DELETE the `noun` `id` of a collection (expects 204) and say so: "<noun> <id> deleted". */
int ctl_delete_item(struct ctl *ctl, const char *collection, const char *noun, const char *id);
/* "/v1/<collection>/<escaped id>" (caller frees). */
char *ctl_path(const char *collection, const char *id);

/* ---------------------------------------------------------------- output */

struct ctl_table;

struct ctl_table *ctl_table_new(int ncols, const char *const *headers);
/* Add a row of ncols cells (copied; NULL prints as "-"). */
void ctl_table_row(struct ctl_table *t, const char *const *cells);
void ctl_table_print(struct ctl_table *t, FILE *f);
void ctl_table_free(struct ctl_table *t);
/* Print t on stdout, free it and the answer it was made of.  Returns CTL_OK. */
int ctl_table_done(struct ctl_table *t, json_t *answer);

/* Print a JSON value as indented JSON or as YAML. */
void ctl_print_json(FILE *f, json_t *v);
void ctl_print_yaml(FILE *f, json_t *v);
/* Print v in the structured format chosen (-o json|yaml).  Returns CTL_OK. */
int ctl_print_structured(struct ctl *ctl, json_t *v);

/* String member or "" (never NULL). */
const char *ctl_str(json_t *obj, const char *key);
/* "k=v,k=v" of a labels object (caller frees); "" when empty. */
char *ctl_labels_text(json_t *labels);
/* Append sep (when buf is not empty) and s to buf of size cap, truncating safely. */
void ctl_append(char *buf, size_t cap, const char *sep, const char *s);
/* Read a whole file ("-" = stdin).  Returns a NUL-terminated buffer or NULL. */
char *ctl_read_file(const char *path, size_t *len);
/* True when a flow file is YAML: a .yaml/.yml name, else a body not starting like JSON. */
bool ctl_is_yaml(const char *file, const char *body);

/* ---------------------------------------------------------------- commands */

int cmd_flow_list(struct ctl *ctl, struct ctl_args *a);
int cmd_flow_get(struct ctl *ctl, struct ctl_args *a);
int cmd_flow_apply(struct ctl *ctl, struct ctl_args *a);
int cmd_flow_delete(struct ctl *ctl, struct ctl_args *a);
int cmd_upload_flow(struct ctl *ctl, struct ctl_args *a);
int cmd_pack_list(struct ctl *ctl, struct ctl_args *a);
int cmd_pack_get(struct ctl *ctl, struct ctl_args *a);
int cmd_pack_delete(struct ctl *ctl, struct ctl_args *a);
int cmd_datastore_list(struct ctl *ctl, struct ctl_args *a);
int cmd_datastore_get(struct ctl *ctl, struct ctl_args *a);
int cmd_datastore_put(struct ctl *ctl, struct ctl_args *a);
int cmd_datastore_delete(struct ctl *ctl, struct ctl_args *a);
int cmd_upload_datastore(struct ctl *ctl, struct ctl_args *a);
int cmd_execution_list(struct ctl *ctl, struct ctl_args *a);
int cmd_execution_get(struct ctl *ctl, struct ctl_args *a);
int cmd_event_send(struct ctl *ctl, struct ctl_args *a);
int cmd_tail(struct ctl *ctl, struct ctl_args *a);
int cmd_test(struct ctl *ctl, struct ctl_args *a);
int cmd_health(struct ctl *ctl, struct ctl_args *a);
int cmd_version(struct ctl *ctl, struct ctl_args *a);

/* Shared by execution and tail: overall state of an execution object. */
const char *ctl_execution_state(json_t *exec);

#endif
