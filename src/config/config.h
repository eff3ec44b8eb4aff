/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - the server configuration and the one table that describes it.
 *
 * Every setting is one row of a declarative table (config.c): name,
 * environment variable, type, default, bounds, flags, the offsetof() of its
 * field in struct fl_config and a help text.  The same table drives parsing
 * the environment, validation, `flyte --help`, printing the effective
 * configuration (secrets redacted) and the reference in
 * docs/configuration.md.
 *
 * Ownership: strings in struct fl_config are owned by it and freed by
 * fl_config_release().
 */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include "buf.h"
#include "error.h"
#include "fl-common.h"

enum fl_config_type {
	FL_CFG_INT = 0,  /* int64_t, decimal, checked against [min, max] */
	FL_CFG_BOOL,     /* bool, Go ParseBool spellings */
	FL_CFG_STRING,   /* char *, owned; "" is stored as NULL */
	FL_CFG_HHMM,     /* int64_t minutes after midnight, "HH:MM" 24h */
	FL_CFG_LOGLEVEL, /* int64_t enum fl_log_level */
	FL_CFG_LOGFORMAT,/* int64_t enum fl_log_format ("json" | "text") */
};

enum fl_config_flags {
	FL_CFG_SECRET = 1 << 0,   /* never printed: shown as "(redacted)" */
	FL_CFG_LENIENT = 1 << 1,  /* invalid value: warn and use the default (as the original server) */
	FL_CFG_IMMUTABLE = 1 << 2,/* fixed for the life of the process (every entry today) */
};

struct fl_config {
	/* HTTP */
	int64_t port; /* -1 until resolved: 8080, or 8443 with TLS */
	char *bind_address;
	int64_t threads;
	int64_t max_connections;
	int64_t connection_timeout_sec;
	int64_t header_timeout_sec;
	int64_t body_timeout_sec;
	int64_t max_connections_per_address;
	int64_t max_body_bytes;
	int64_t max_header_bytes;
	int64_t max_json_depth;
	int64_t max_json_elements;
	int64_t max_yaml_aliases;
	int64_t take_wait_ms;
	int64_t max_parked_takes;
	int64_t shutdown_timeout_sec;
	char *tls_cert_path;
	char *tls_key_path;
	/* storage and engine */
	char *db_path;
	char *db_url;
	int64_t ttl_sec;
	int64_t audit_ttl_sec;
	bool delete_dead_packs;
	int64_t delete_dead_packs_at; /* minutes after midnight */
	int64_t pack_grace_sec;
	/* template budgets */
	int64_t tmpl_max_source;
	int64_t tmpl_max_output;
	int64_t tmpl_max_steps;
	int64_t tmpl_deadline_ms, tmpl_inline_ms, tmpl_threads;
	int64_t action_lease_sec, action_max_attempts;
	bool flows_strict;
	int64_t take_wait_max_ms;
	int64_t tmpl_max_depth;
	int64_t tmpl_max_nesting;
	int64_t tmpl_regex_match_limit;
	int64_t tmpl_regex_depth_limit;
	int64_t tmpl_max_regex_len;
	/* auth */
	char *oidc_issuer_url;
	char *oidc_client_id;
	char *auth_policy_path;
	char *oidc_ca_file;
	int64_t jwks_refetch_cooldown_sec;
	int64_t jwt_leeway_sec;
	/* logging */
	int64_t log_level;
	int64_t log_format;
	char *log_file;

	/* Not configuration: warnings produced while loading (lenient
	 * fallbacks), one per line, to be logged once logging is set up. */
	struct fl_buf warnings;
};

struct fl_config_entry {
	const char *name;      /* short dotted name, e.g. "http.port" */
	const char *env;       /* environment variable */
	enum fl_config_type type;
	const char *def;       /* default in its textual form; NULL = unset */
	const char *def_doc;   /* how the default is shown when def alone says too little, or NULL */
	int64_t min, max;      /* bounds for FL_CFG_INT */
	unsigned flags;        /* enum fl_config_flags */
	size_t offset;         /* offsetof(struct fl_config, field) */
	const char *help;      /* one sentence, never NULL */
};

/* The table (borrowed, static) and its length. */
const struct fl_config_entry *fl_config_table(size_t *len);
/* Entry by environment variable name, NULL if unknown. */
const struct fl_config_entry *fl_config_find(const char *env);

/* Set every field to its default.  Allocates nothing for unset strings. */
void fl_config_init(struct fl_config *cfg);
/* Free owned strings and the warnings (fl_config_init() before reuse). NULL-tolerant. */
void fl_config_release(struct fl_config *cfg);

/* Lookup function for fl_config_load: returns the variable's value or NULL. */
typedef const char *(*fl_config_lookup_fn)(const char *name, void *payload);

/*
 * Read every entry from lookup (getenv-like).  Lenient entries fall back to
 * their default and append a line to cfg->warnings; any other invalid value
 * fails with FL_EINVALID and a message naming the variable.  Then runs
 * fl_config_validate().
 */
int fl_config_load(struct fl_config *cfg, fl_config_lookup_fn lookup, void *payload, struct fl_error *err);
/* fl_config_load() with getenv(). */
int fl_config_load_env(struct fl_config *cfg, struct fl_error *err);

/*
 * Parse one textual value into its field.  FL_EINVALID (message names the
 * variable and the accepted form) if it does not parse or is out of bounds.
 */
int fl_config_set(struct fl_config *cfg, const struct fl_config_entry *e, const char *value, struct fl_error *err);

/*
 * Cross-field checks and derived values: TLS needs both paths, the port
 * default follows TLS, the bind address must be an IP literal.
 */
int fl_config_validate(struct fl_config *cfg, struct fl_error *err);

/* True when the three auth variables are all set. */
bool fl_config_auth_enabled(const struct fl_config *cfg);
bool fl_config_tls_enabled(const struct fl_config *cfg);

/*
 * Append the textual form of an entry's current value (parseable by
 * fl_config_set).  Secrets are written as "(redacted)" unless show_secrets.
 * Unset strings append nothing.
 */
void fl_config_format(struct fl_buf *out, const struct fl_config *cfg, const struct fl_config_entry *e,
		      bool show_secrets);

/* `flyte --help`: usage and one block per entry (variable, default, bounds, help). */
void fl_config_write_help(struct fl_buf *out, const char *argv0);
/* The reference table of docs/configuration.md (Markdown). */
void fl_config_write_markdown(struct fl_buf *out);

enum fl_config_cli {
	FL_CONFIG_CLI_RUN = 0,   /* start the server */
	FL_CONFIG_CLI_HELP,      /* print help, exit 0 */
	FL_CONFIG_CLI_VERSION,   /* print version, exit 0 */
	FL_CONFIG_CLI_MARKDOWN,  /* print the configuration reference, exit 0 */
	FL_CONFIG_CLI_USAGE,     /* bad arguments: print usage, exit 2 */
};

/* Classify the command line (flags are table-driven in config.c). */
enum fl_config_cli fl_config_parse_args(int argc, char **argv, struct fl_error *err);

#endif
