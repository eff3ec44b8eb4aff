// SPDX-License-Identifier: Apache-2.0
/*
 * config.c - the one declarative configuration table and what it drives.
 *
 * Each row of `entries` describes one environment variable: its type,
 * default, bounds, flags, the field it fills (offsetof) and its help text.
 * Parsing, validation, printing, `flyte --help` and the Markdown reference
 * in docs/configuration.md are all loops over this table; adding a setting
 * is adding a row (plus the field in struct fl_config).
 */
#include "fl-common.h"

#include <arpa/inet.h>
#include <strings.h>

#include "alloc.h"
#include "config/config.h"
#include "fl-version.h"
#include "log.h"

#define INT_ROW(nm, ev, field, dflt, lo, hi, fl, hlp) \
	{ nm, ev, FL_CFG_INT, dflt, NULL, lo, hi, fl, offsetof(struct fl_config, field), hlp }
#define STR_ROW(nm, ev, field, dflt, fl, hlp) \
	{ nm, ev, FL_CFG_STRING, dflt, NULL, 0, 0, fl, offsetof(struct fl_config, field), hlp }

static const struct fl_config_entry entries[] = {
	/* HTTP server */
	{ "http.port", "FLYTE_PORT", FL_CFG_INT, NULL, "8080, or 8443 with TLS", 0, 65535, FL_CFG_IMMUTABLE,
	  offsetof(struct fl_config, port), "TCP port to listen on (0 picks a free port)." },
	STR_ROW("http.bind_address", "FLYTE_BIND_ADDRESS", bind_address, "0.0.0.0", FL_CFG_IMMUTABLE,
		"IPv4 or IPv6 address to listen on."),
	INT_ROW("http.threads", "FLYTE_THREADS", threads, "2", 1, 256, FL_CFG_IMMUTABLE,
		"Number of HTTP worker threads (libmicrohttpd thread pool)."),
	INT_ROW("http.max_connections", "FLYTE_MAX_CONNECTIONS", max_connections, "4096", 1, 1000000,
		FL_CFG_IMMUTABLE, "Maximum number of simultaneous client connections."),
	INT_ROW("http.connection_timeout_sec", "FLYTE_CONNECTION_TIMEOUT_SEC", connection_timeout_sec, "30", 1,
		86400, FL_CFG_IMMUTABLE, "Seconds of silence after which an idle client is disconnected (see also the head and body timeouts)."),
	INT_ROW("http.header_timeout_sec", "FLYTE_HEADER_TIMEOUT_SEC", header_timeout_sec, "10", 1, 3600,
		FL_CFG_IMMUTABLE,
		"Seconds a client has to send a request line and headers, counted from the connection's start "
		"(on a kept-alive connection: from the previous answer, plus FLYTE_CONNECTION_TIMEOUT_SEC); "
		"a slower client gets 408 and is disconnected."),
	INT_ROW("http.body_timeout_sec", "FLYTE_BODY_TIMEOUT_SEC", body_timeout_sec, "60", 1, 86400,
		FL_CFG_IMMUTABLE,
		"Seconds a client has to send a request body once its headers arrived; a slower client gets 408 "
		"and is disconnected."),
	INT_ROW("http.max_connections_per_address", "FLYTE_MAX_CONNECTIONS_PER_ADDRESS", max_connections_per_address,
		"1024", 0, 1000000, FL_CFG_IMMUTABLE,
		"Most simultaneous connections from one client IP address (more are closed at once); 0 = no "
		"limit, e.g. behind a reverse proxy."),
	INT_ROW("http.max_body_bytes", "FLYTE_MAX_BODY_BYTES", max_body_bytes, "4194304", 1024,
		INT64_C(1) << 30, FL_CFG_IMMUTABLE, "Largest accepted request body; larger bodies get 413."),
	INT_ROW("http.max_header_bytes", "FLYTE_MAX_HEADER_BYTES", max_header_bytes, "16384", 2048, 65536,
		FL_CFG_IMMUTABLE,
		"Largest accepted request line plus headers; larger requests get 431. Every connection holds "
		"about this much memory plus 8 KiB (at least 32 KiB)."),
	INT_ROW("http.max_json_depth", "FLYTE_MAX_JSON_DEPTH", max_json_depth, "64", 1, 1000, FL_CFG_IMMUTABLE,
		"Deepest nesting of arrays and objects accepted in a JSON or YAML body (400 beyond)."),
	INT_ROW("http.max_json_elements", "FLYTE_MAX_JSON_ELEMENTS", max_json_elements, "100000", 1, 100000000,
		FL_CFG_IMMUTABLE, "Most values (scalars, arrays, objects) accepted in one JSON or YAML body (400 beyond)."),
	INT_ROW("http.max_yaml_aliases", "FLYTE_MAX_YAML_ALIASES", max_yaml_aliases, "1000", 0, 1000000,
		FL_CFG_IMMUTABLE, "Most alias expansions (*ref) accepted in one YAML body (400 beyond)."),
	INT_ROW("http.take_wait_ms", "FLYTE_TAKE_WAIT_MS", take_wait_ms, "3000", 0, 120000, FL_CFG_IMMUTABLE,
		"How long a take waits for an action before answering 204 (long poll), for clients that do not "
		"ask (Prefer: wait=N); the default stays below the 5 s timeout of the original Python client "
		"and the 10 s of the Go client."),
	INT_ROW("http.take_wait_max_ms", "FLYTE_TAKE_WAIT_MAX_MS", take_wait_max_ms, "9000", 0, 120000,
		FL_CFG_IMMUTABLE, "Longest wait a take may ask for with Prefer: wait=N (RFC 7240)."),
	INT_ROW("http.max_parked_takes", "FLYTE_MAX_PARKED_TAKES", max_parked_takes, "10000", 0, 1000000,
		FL_CFG_IMMUTABLE, "Most take requests waiting at once; more are answered 204 immediately."),
	INT_ROW("http.shutdown_timeout_sec", "FLYTE_SHUTDOWN_TIMEOUT_SEC", shutdown_timeout_sec, "10", 0, 3600,
		FL_CFG_IMMUTABLE, "On SIGTERM/SIGINT, how long to wait for requests in flight before closing."),
	STR_ROW("http.tls_cert_path", "FLYTE_TLS_CERT_PATH", tls_cert_path, NULL, FL_CFG_IMMUTABLE,
		"PEM certificate (chain); HTTPS is served when this and FLYTE_TLS_KEY_PATH are both set."),
	STR_ROW("http.tls_key_path", "FLYTE_TLS_KEY_PATH", tls_key_path, NULL, FL_CFG_IMMUTABLE,
		"PEM private key matching FLYTE_TLS_CERT_PATH."),

	/* storage and engine */
	STR_ROW("store.db_path", "FLYTE_DB_PATH", db_path, "./flyte.db", FL_CFG_IMMUTABLE,
		"SQLite database file; created if missing. One server per file."),
	STR_ROW("store.db_url", "FLYTE_DB_URL", db_url, NULL, FL_CFG_IMMUTABLE | FL_CFG_SECRET,
	  "PostgreSQL database (postgres://user:password@host:port/db?sslmode=…, or libpq key=value "
	  "pairs; PG* variables fill in the rest) shared by any number of servers; when set, FLYTE_DB_PATH "
	  "is not used."),
	INT_ROW("engine.ttl_sec", "FLYTE_TTL_IN_SECONDS", ttl_sec, "31557600", 1, INT64_C(1) << 40,
		FL_CFG_LENIENT | FL_CFG_IMMUTABLE,
		"Seconds an action is kept after its last state change; an invalid value falls back to the default."),
	{ "engine.audit_ttl_sec", "FLYTE_AUDIT_TTL_IN_SECONDS", FL_CFG_INT, "0",
	  "0 (the larger of the action TTL and 183 days)", 0, INT64_C(1) << 40, FL_CFG_IMMUTABLE,
	  offsetof(struct fl_config, audit_ttl_sec), "Seconds audit records are kept; 0 chooses automatically." },
	{ "engine.delete_dead_packs", "FLYTE_SHOULD_DELETE_DEAD_PACKS", FL_CFG_BOOL, "false", NULL, 0, 0,
	  FL_CFG_LENIENT | FL_CFG_IMMUTABLE, offsetof(struct fl_config, delete_dead_packs),
	  "Delete packs not seen for the grace period, once a day; an invalid value means false." },
	{ "engine.delete_dead_packs_at", "FLYTE_DELETE_DEAD_PACKS_AT_HH_COLON_MM", FL_CFG_HHMM, "23:00", NULL, 0,
	  0, FL_CFG_LENIENT | FL_CFG_IMMUTABLE, offsetof(struct fl_config, delete_dead_packs_at),
	  "Local time (HH:MM, 24 h) of the daily dead-pack deletion; an invalid value falls back to the default." },
	{ "engine.flows_strict", "FLYTE_FLOWS_STRICT", FL_CFG_BOOL, "false", NULL, 0, 0, FL_CFG_IMMUTABLE,
	  offsetof(struct fl_config, flows_strict),
	  "Refuse (400) a flow whose templates do not compile. By default such a flow is stored, as the "
	  "original server did: the answer carries a Warning header, GET lists the problems under "
	  "\"warnings\", and each broken step is recorded as FATAL when it would run." },
	INT_ROW("engine.action_lease_sec", "FLYTE_ACTION_LEASE_SEC", action_lease_sec, "0", 0, 31536000,
		FL_CFG_IMMUTABLE,
		"Lease of a taken action whose command declares no leaseSeconds: without a result or a heartbeat "
		"before it ends the action is taken again; 0 = no lease (it waits for its result or the TTL, as "
		"in the original)."),
	INT_ROW("engine.action_max_attempts", "FLYTE_ACTION_MAX_ATTEMPTS", action_max_attempts, "3", 1, 1000,
		FL_CFG_IMMUTABLE,
		"Takes of a leased action (unless its command declares maxAttempts) before a lease that ends "
		"makes it FATAL."),
	INT_ROW("engine.pack_grace_sec", "FLYTE_PACK_GRACE_PERIOD_UNTIL_MARKED_DEAD_IN_SECONDS", pack_grace_sec,
		"604800", 0, INT64_C(1) << 40, FL_CFG_LENIENT | FL_CFG_IMMUTABLE,
		"Seconds without contact after which a pack counts as dead; an invalid value falls back to the "
		"default."),

	/* template budgets */
	INT_ROW("template.max_source", "FLYTE_TEMPLATE_MAX_SOURCE", tmpl_max_source, "65536", 16, INT64_C(1) << 30,
		FL_CFG_IMMUTABLE, "Largest template source, in bytes."),
	INT_ROW("template.max_output", "FLYTE_TEMPLATE_MAX_OUTPUT", tmpl_max_output, "1048576", 16,
		INT64_C(1) << 30, FL_CFG_IMMUTABLE, "Largest rendered template output, in bytes."),
	INT_ROW("template.max_steps", "FLYTE_TEMPLATE_MAX_STEPS", tmpl_max_steps, "1000000", 1,
		INT64_C(1) << 40, FL_CFG_IMMUTABLE, "Evaluation steps allowed for one template render."),
	INT_ROW("template.max_depth", "FLYTE_TEMPLATE_MAX_DEPTH", tmpl_max_depth, "8", 1, 64, FL_CFG_IMMUTABLE,
		"Deepest nesting of template() calls."),
	INT_ROW("template.max_nesting", "FLYTE_TEMPLATE_MAX_NESTING", tmpl_max_nesting, "64", 1, 1024,
		FL_CFG_IMMUTABLE, "Deepest nesting of tags and expressions in one template."),
	INT_ROW("template.regex_match_limit", "FLYTE_TEMPLATE_REGEX_MATCH_LIMIT", tmpl_regex_match_limit, "100000",
		1, UINT32_MAX, FL_CFG_IMMUTABLE, "PCRE2 match limit of one regular expression match."),
	INT_ROW("template.regex_depth_limit", "FLYTE_TEMPLATE_REGEX_DEPTH_LIMIT", tmpl_regex_depth_limit, "1000", 1,
		UINT32_MAX, FL_CFG_IMMUTABLE, "PCRE2 depth limit of one regular expression match."),
	INT_ROW("template.max_regex_len", "FLYTE_TEMPLATE_MAX_REGEX_LEN", tmpl_max_regex_len, "4096", 1,
		INT64_C(1) << 20, FL_CFG_IMMUTABLE, "Longest regular expression pattern, in bytes."),
	INT_ROW("template.deadline_ms", "FLYTE_TEMPLATE_DEADLINE_MS", tmpl_deadline_ms, "1000", 1, 600000,
		FL_CFG_IMMUTABLE,
		"Wall time allowed for the templates of one event or result (all its steps); a step still "
		"rendering then fails as a template error."),
	INT_ROW("template.inline_ms", "FLYTE_TEMPLATE_INLINE_MS", tmpl_inline_ms, "2", 0, 600000, FL_CFG_IMMUTABLE,
		"Templates that need longer than this on the database writer are rendered again on a render "
		"thread, so a costly template never holds other writes back; 0 renders every step there."),
	INT_ROW("template.threads", "FLYTE_TEMPLATE_THREADS", tmpl_threads, "2", 0, 64, FL_CFG_IMMUTABLE,
		"Threads that render costly templates away from the database writer; 0 renders them on the "
		"writer."),

	/* authentication */
	STR_ROW("auth.issuer_url", "FLYTE_OIDC_ISSUER_URL", oidc_issuer_url, NULL, FL_CFG_IMMUTABLE,
		"OpenID Connect issuer; authentication is on only when this, the client id and the policy "
		"path are all set."),
	STR_ROW("auth.client_id", "FLYTE_OIDC_ISSUER_CLIENT_ID", oidc_client_id, NULL, FL_CFG_IMMUTABLE,
		"Audience (client id) that tokens must carry."),
	STR_ROW("auth.policy_path", "FLYTE_AUTH_POLICY_PATH", auth_policy_path, NULL, FL_CFG_IMMUTABLE,
		"YAML file of path policies."),
	STR_ROW("auth.ca_file", "FLYTE_OIDC_CA_FILE", oidc_ca_file, NULL, FL_CFG_IMMUTABLE,
		"CA bundle used to reach an https issuer; unset uses the system store."),
	INT_ROW("auth.jwks_refetch_cooldown_sec", "FLYTE_JWKS_REFETCH_COOLDOWN_SEC", jwks_refetch_cooldown_sec,
		"30", 0, 86400, FL_CFG_IMMUTABLE,
		"Minimum seconds between two JWKS downloads triggered by an unknown key id."),
	INT_ROW("auth.jwt_leeway_sec", "FLYTE_JWT_LEEWAY_SEC", jwt_leeway_sec, "60", 0, 3600, FL_CFG_IMMUTABLE,
		"Clock skew tolerated when checking exp, nbf and iat."),

	/* logging */
	{ "log.level", "LOGLEVEL", FL_CFG_LOGLEVEL, "info", NULL, 0, 0, FL_CFG_LENIENT | FL_CFG_IMMUTABLE,
	  offsetof(struct fl_config, log_level),
	  "trace, debug, info, warn, error, fatal or panic (case-insensitive); an invalid value means info." },
	{ "log.format", "LOGFORMAT", FL_CFG_LOGFORMAT, "json", NULL, 0, 0, FL_CFG_IMMUTABLE,
	  offsetof(struct fl_config, log_format), "json (one JSON object per line) or text." },
	STR_ROW("log.file", "LOGFILE", log_file, NULL, FL_CFG_IMMUTABLE,
		"Append logs to this file instead of standard error."),
};

const struct fl_config_entry *fl_config_table(size_t *len)
{
	*len = FL_ARRAY_LEN(entries);
	return entries;
}

const struct fl_config_entry *fl_config_find(const char *env)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(entries); i++)
		if (strcmp(entries[i].env, env) == 0)
			return &entries[i];
	return NULL;
}

static void *field(struct fl_config *cfg, const struct fl_config_entry *e)
{
	return (char *)cfg + e->offset;
}

static const void *cfield(const struct fl_config *cfg, const struct fl_config_entry *e)
{
	return (const char *)cfg + e->offset;
}

/* ------------------------------------------------------------ parsers */

static bool parse_int(const char *s, int64_t *out)
{
	char *end = NULL;
	long long v;

	if (!*s || !(*s == '-' || *s == '+' || (*s >= '0' && *s <= '9')))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < FL_ARRAY_LEN(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool parse_hhmm(const char *s, int64_t *out)
{
	int h = 0, m = 0;
	size_t i = 0;

	if (!(s[i] >= '0' && s[i] <= '9'))
		return false;
	h = s[i++] - '0';
	if (s[i] >= '0' && s[i] <= '9')
		h = h * 10 + (s[i++] - '0');
	if (s[i++] != ':')
		return false;
	if (!(s[i] >= '0' && s[i] <= '9' && s[i + 1] >= '0' && s[i + 1] <= '9') || s[i + 2])
		return false;
	m = (s[i] - '0') * 10 + (s[i + 1] - '0');
	if (h > 23 || m > 59)
		return false;
	*out = h * 60 + m;
	return true;
}

static bool parse_logformat(const char *s, int64_t *out)
{
	if (strcasecmp(s, "json") == 0)
		*out = FL_LOG_FORMAT_JSON;
	else if (strcasecmp(s, "text") == 0)
		*out = FL_LOG_FORMAT_TEXT;
	else
		return false;
	return true;
}

/*
 * What a setting of each type accepts, said once: in error messages
 * (`expected`) and in --help and the reference (`values`).  Integers say
 * it from their bounds.
 */
static const struct type_text {
	const char *expected;
	const char *values;
} type_texts[] = {
	[FL_CFG_INT] = { NULL, NULL },
	[FL_CFG_BOOL] = { "true or false", "true/false (1, t, T, TRUE, True, 0, f, F, FALSE, False)" },
	[FL_CFG_STRING] = { "a string", "string" },
	[FL_CFG_HHMM] = { "HH:MM (24 h)", "HH:MM" },
	[FL_CFG_LOGLEVEL] = { "trace, debug, info, warn, error, fatal or panic",
			      "trace, debug, info, warn, error, fatal, panic" },
	[FL_CFG_LOGFORMAT] = { "json or text", "json, text" },
};

static const char *expected_form(const struct fl_config_entry *e, char *tmp, size_t tmplen)
{
	if (e->type == FL_CFG_INT) {
		snprintf(tmp, tmplen, "an integer from %" PRId64 " to %" PRId64, e->min, e->max);
		return tmp;
	}
	return type_texts[e->type].expected;
}

int fl_config_set(struct fl_config *cfg, const struct fl_config_entry *e, const char *value, struct fl_error *err)
{
	char tmp[96];
	int64_t i64 = 0;
	bool b = false;
	bool ok = false;

	switch (e->type) {
	case FL_CFG_INT:
		ok = parse_int(value, &i64) && i64 >= e->min && i64 <= e->max;
		if (ok)
			*(int64_t *)field(cfg, e) = i64;
		break;
	case FL_CFG_BOOL:
		ok = parse_bool(value, &b);
		if (ok)
			*(bool *)field(cfg, e) = b;
		break;
	case FL_CFG_HHMM:
		ok = parse_hhmm(value, &i64);
		if (ok)
			*(int64_t *)field(cfg, e) = i64;
		break;
	case FL_CFG_LOGLEVEL: {
		int lvl = fl_log_level_parse(value);
		ok = lvl >= 0 && lvl < FL_LOG_OFF;
		if (ok)
			*(int64_t *)field(cfg, e) = lvl;
		break;
	}
	case FL_CFG_LOGFORMAT:
		ok = parse_logformat(value, &i64);
		if (ok)
			*(int64_t *)field(cfg, e) = i64;
		break;
	case FL_CFG_STRING: {
		char **sp = field(cfg, e);
		free(*sp);
		*sp = (value && *value) ? fl_xstrdup(value) : NULL;
		ok = true;
		break;
	}
	}
	if (!ok)
		return fl_error_set(err, FL_EINVALID, "invalid %s '%s': expected %s", e->env,
				    (e->flags & FL_CFG_SECRET) ? "(redacted)" : value,
				    expected_form(e, tmp, sizeof(tmp)));
	return FL_OK;
}

/* --------------------------------------------------------- lifecycle */

static void set_default(struct fl_config *cfg, const struct fl_config_entry *e)
{
	if (e->type == FL_CFG_STRING) {
		char **sp = field(cfg, e);
		free(*sp);
		*sp = e->def ? fl_xstrdup(e->def) : NULL;
		return;
	}
	if (!e->def) {
		*(int64_t *)field(cfg, e) = -1;
		return;
	}
	if (fl_config_set(cfg, e, e->def, NULL) != FL_OK)
		FL_BUG("configuration default does not parse");
}

void fl_config_init(struct fl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	fl_buf_init(&cfg->warnings, 64 * 1024);
	for (size_t i = 0; i < FL_ARRAY_LEN(entries); i++)
		set_default(cfg, &entries[i]);
}

void fl_config_release(struct fl_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < FL_ARRAY_LEN(entries); i++) {
		if (entries[i].type == FL_CFG_STRING) {
			char **sp = field(cfg, &entries[i]);
			free(*sp);
			*sp = NULL;
		}
	}
	fl_buf_release(&cfg->warnings);
}

int fl_config_load(struct fl_config *cfg, fl_config_lookup_fn lookup, void *payload, struct fl_error *err)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(entries); i++) {
		const struct fl_config_entry *e = &entries[i];
		const char *v = lookup(e->env, payload);
		struct fl_error e2 = FL_ERROR_INIT;

		if (!v || !*v)
			continue;
		if (fl_config_set(cfg, e, v, &e2) == FL_OK)
			continue;
		if (!(e->flags & FL_CFG_LENIENT)) {
			if (err)
				*err = e2;
			return e2.code;
		}
		set_default(cfg, e);
		fl_buf_addf(&cfg->warnings, "%s; using the default '%s'\n", e2.msg, e->def);
	}
	return fl_config_validate(cfg, err);
}

static const char *env_lookup(const char *name, void *payload)
{
	(void)payload;
	return getenv(name);
}

int fl_config_load_env(struct fl_config *cfg, struct fl_error *err)
{
	return fl_config_load(cfg, env_lookup, NULL, err);
}

bool fl_config_auth_enabled(const struct fl_config *cfg)
{
	return cfg->oidc_issuer_url && cfg->oidc_client_id && cfg->auth_policy_path;
}

bool fl_config_tls_enabled(const struct fl_config *cfg)
{
	return cfg->tls_cert_path && cfg->tls_key_path;
}

int fl_config_validate(struct fl_config *cfg, struct fl_error *err)
{
	unsigned char addr[16];

	if (!!cfg->tls_cert_path != !!cfg->tls_key_path)
		return fl_error_set(err, FL_EINVALID, "%s is set but %s is not; set both to serve HTTPS",
				    cfg->tls_cert_path ? "FLYTE_TLS_CERT_PATH" : "FLYTE_TLS_KEY_PATH",
				    cfg->tls_cert_path ? "FLYTE_TLS_KEY_PATH" : "FLYTE_TLS_CERT_PATH");
	if (cfg->port < 0)
		cfg->port = fl_config_tls_enabled(cfg) ? 8443 : 8080;
	if (!cfg->bind_address || (inet_pton(AF_INET, cfg->bind_address, addr) != 1 &&
				   inet_pton(AF_INET6, cfg->bind_address, addr) != 1))
		return fl_error_set(err, FL_EINVALID, "invalid FLYTE_BIND_ADDRESS '%s': expected an IPv4 or IPv6 address",
				    cfg->bind_address ? cfg->bind_address : "");
	if (!cfg->db_path && !(cfg->db_url && *cfg->db_url))
		return fl_error_set(err, FL_EINVALID, "FLYTE_DB_PATH must not be empty");
	return FL_OK;
}

/* ----------------------------------------------------------- printing */

void fl_config_format(struct fl_buf *out, const struct fl_config *cfg, const struct fl_config_entry *e,
		      bool show_secrets)
{
	const void *f = cfield(cfg, e);
	int64_t v;

	if ((e->flags & FL_CFG_SECRET) && !show_secrets) {
		fl_buf_adds(out, "(redacted)");
		return;
	}
	switch (e->type) {
	case FL_CFG_INT:
		fl_buf_addf(out, "%" PRId64, *(const int64_t *)f);
		break;
	case FL_CFG_BOOL:
		fl_buf_adds(out, *(const bool *)f ? "true" : "false");
		break;
	case FL_CFG_HHMM:
		v = *(const int64_t *)f;
		fl_buf_addf(out, "%02d:%02d", (int)(v / 60), (int)(v % 60));
		break;
	case FL_CFG_LOGLEVEL:
		fl_buf_adds(out, fl_log_level_name((int)*(const int64_t *)f));
		break;
	case FL_CFG_LOGFORMAT:
		fl_buf_adds(out, *(const int64_t *)f == FL_LOG_FORMAT_TEXT ? "text" : "json");
		break;
	case FL_CFG_STRING:
		if (*(char *const *)f)
			fl_buf_adds(out, *(char *const *)f);
		break;
	}
}

static const char *default_text(const struct fl_config_entry *e)
{
	if (e->def_doc)
		return e->def_doc;
	return e->def ? e->def : "unset";
}

static void values_text(struct fl_buf *out, const struct fl_config_entry *e)
{
	if (e->type == FL_CFG_INT)
		fl_buf_addf(out, "%" PRId64 "–%" PRId64, e->min, e->max);
	else
		fl_buf_adds(out, type_texts[e->type].values);
}

void fl_config_write_help(struct fl_buf *out, const char *argv0)
{
	fl_buf_addf(out,
		    "Usage: %s [--help | --version]\n\n"
		    "flyte %s - event-driven automation server, wire-compatible with the Flyte API.\n"
		    "It is configured through environment variables:\n\n",
		    argv0, FL_VERSION);
	for (size_t i = 0; i < FL_ARRAY_LEN(entries); i++) {
		const struct fl_config_entry *e = &entries[i];

		fl_buf_addf(out, "  %s\n      default: %s; values: ", e->env, default_text(e));
		values_text(out, e);
		fl_buf_addf(out, "%s\n      %s\n", (e->flags & FL_CFG_SECRET) ? "; secret" : "", e->help);
	}
	fl_buf_adds(out, "\nSee docs/configuration.md for details.\n");
}

void fl_config_write_markdown(struct fl_buf *out)
{
	fl_buf_adds(out, "| Variable | Default | Values | Description |\n|---|---|---|---|\n");
	for (size_t i = 0; i < FL_ARRAY_LEN(entries); i++) {
		const struct fl_config_entry *e = &entries[i];

		fl_buf_addf(out, "| `%s` | %s | ", e->env, default_text(e));
		values_text(out, e);
		fl_buf_addf(out, " | %s%s |\n", e->help, (e->flags & FL_CFG_SECRET) ? " (secret)" : "");
	}
}

/* --------------------------------------------------------- arguments */

struct cli_flag {
	const char *flag;
	enum fl_config_cli action;
};

static const struct cli_flag cli_flags[] = {
	{ "--help", FL_CONFIG_CLI_HELP },
	{ "-h", FL_CONFIG_CLI_HELP },
	{ "--version", FL_CONFIG_CLI_VERSION },
	{ "-V", FL_CONFIG_CLI_VERSION },
	{ "--config-reference", FL_CONFIG_CLI_MARKDOWN },
};

enum fl_config_cli fl_config_parse_args(int argc, char **argv, struct fl_error *err)
{
	if (argc <= 1)
		return FL_CONFIG_CLI_RUN;
	if (argc > 2) {
		fl_error_set(err, FL_EINVALID, "too many arguments");
		return FL_CONFIG_CLI_USAGE;
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(cli_flags); i++)
		if (strcmp(argv[1], cli_flags[i].flag) == 0)
			return cli_flags[i].action;
	fl_error_set(err, FL_EINVALID, "unknown option '%s'", argv[1]);
	return FL_CONFIG_CLI_USAGE;
}
