// SPDX-License-Identifier: Apache-2.0
/*
 * server.c - wires the server together and runs its lifecycle.
 *
 * Start-up: logging, TLS files checked, engine opened (database, writer
 * thread), auth opened when configured, routes compiled, HTTP daemon
 * started.  SIGTERM/SIGINT are blocked in every thread and received here
 * with sigwait().  Shutdown: stop accepting connections, shut the engine
 * down (it answers parked takes and finishes queued writes, which resumes
 * every suspended request), wait for requests in flight, stop the HTTP
 * daemon, free the engine.
 */
#include "fl-common.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include "api/api.h"
#include "auth/auth.h"
#include "buf.h"
#include "engine/engine.h"
#include "fl-version.h"
#include "http/mhd.h"
#include "http/request.h"
#include "http/router.h"
#include "log.h"
#include "server/server.h"
#include "server/tls.h"

int fl_server_cli(enum fl_config_cli cli, const char *argv0, const char *error)
{
	struct fl_buf out = FL_BUF_INIT(0);
	int rc = 0;

	switch (cli) {
	case FL_CONFIG_CLI_HELP:
		fl_config_write_help(&out, "flyte");
		fputs(out.ptr, stdout);
		break;
	case FL_CONFIG_CLI_VERSION:
		printf("flyte %s\n", FL_VERSION);
		break;
	case FL_CONFIG_CLI_MARKDOWN:
		fl_config_write_markdown(&out);
		fputs(out.ptr, stdout);
		break;
	case FL_CONFIG_CLI_USAGE:
		fprintf(stderr, "%s: %s\nUsage: %s [--help | --version]\n", argv0, error, argv0);
		rc = 2;
		break;
	case FL_CONFIG_CLI_RUN:
		break;
	}
	fl_buf_release(&out);
	return rc;
}

struct server {
	const struct fl_config *cfg;
	struct fl_engine *engine;
	struct fl_auth *auth;
	struct fl_router *router;
	struct fl_api api;
	struct fl_http_ctx ctx;
	struct fl_mhd *http;
	char *cert_pem, *key_pem;
};

/* A start-up failure: to the log, and to stderr too when the log is a file. */
static int fatal(const struct fl_config *cfg, const struct fl_error *err)
{
	FL_LOG(FL_LOG_FATAL, NULL, "%s", err->msg);
	if (cfg->log_file)
		fprintf(stderr, "flyte: %s\n", err->msg);
	return 1;
}

static int setup_logging(const struct fl_config *cfg, struct fl_error *err)
{
	const char *w = cfg->warnings.ptr;

	fl_log_set_level((int)cfg->log_level);
	fl_log_set_format((enum fl_log_format)cfg->log_format);
	if (cfg->log_file && fl_log_open_file(cfg->log_file) != 0) {
		int e = errno;
		fprintf(stderr, "flyte: cannot open LOGFILE '%s': %s\n", cfg->log_file, strerror(e));
		return fl_error_set(err, FL_EIO, "cannot open LOGFILE '%s': %s", cfg->log_file, strerror(e));
	}
	while (*w) {
		size_t n = strcspn(w, "\n");
		FL_LOG_W(NULL, "%.*s", (int)n, w);
		w += n;
		if (*w)
			w++;
	}
	return FL_OK;
}

static int open_engine(struct server *s, struct fl_error *err)
{
	const struct fl_config *cfg = s->cfg;
	struct fl_engine_config ec;

	fl_engine_config_default(&ec);
	ec.db_path = cfg->db_path;
	ec.db_url = cfg->db_url && *cfg->db_url ? cfg->db_url : NULL;
	ec.action_ttl_sec = cfg->ttl_sec;
	if (cfg->audit_ttl_sec > 0)
		ec.audit_ttl_sec = cfg->audit_ttl_sec;
	ec.delete_dead_packs = cfg->delete_dead_packs;
	ec.dead_pack_hour = (int)(cfg->delete_dead_packs_at / 60);
	ec.dead_pack_min = (int)(cfg->delete_dead_packs_at % 60);
	ec.pack_grace_sec = cfg->pack_grace_sec;
	ec.take_wait_ms_default = (int)cfg->take_wait_ms;
	ec.take_wait_ms_max = (int)FL_MAX(cfg->take_wait_max_ms, cfg->take_wait_ms);
	ec.flows_strict = cfg->flows_strict;
	ec.max_parked_takes = (int)cfg->max_parked_takes;
	ec.tmpl_limits.max_source = (size_t)cfg->tmpl_max_source;
	ec.tmpl_limits.max_output = (size_t)cfg->tmpl_max_output;
	ec.tmpl_limits.max_steps = (uint64_t)cfg->tmpl_max_steps;
	ec.tmpl_limits.max_depth = (unsigned)cfg->tmpl_max_depth;
	ec.tmpl_limits.max_nesting = (unsigned)cfg->tmpl_max_nesting;
	ec.tmpl_limits.regex_match_limit = (uint32_t)cfg->tmpl_regex_match_limit;
	ec.tmpl_limits.regex_depth_limit = (uint32_t)cfg->tmpl_regex_depth_limit;
	ec.tmpl_limits.max_regex_len = (size_t)cfg->tmpl_max_regex_len;
	ec.render_deadline_ms = (int)cfg->tmpl_deadline_ms;
	ec.render_inline_ms = (int)cfg->tmpl_inline_ms;
	ec.render_threads = (int)cfg->tmpl_threads;
	ec.lease_sec = cfg->action_lease_sec;
	ec.max_attempts = cfg->action_max_attempts;
	return fl_engine_open(&s->engine, &ec, err);
}

static int open_auth(struct server *s, struct fl_error *err)
{
	const struct fl_config *cfg = s->cfg;
	struct fl_auth_config ac;

	if (!fl_config_auth_enabled(cfg))
		return FL_OK;
	fl_auth_config_default(&ac);
	ac.issuer_url = cfg->oidc_issuer_url;
	ac.client_id = cfg->oidc_client_id;
	ac.policy_path = cfg->auth_policy_path;
	ac.ca_file = cfg->oidc_ca_file;
	ac.leeway_sec = (int)cfg->jwt_leeway_sec;
	ac.jwks_refetch_cooldown_sec = (int)cfg->jwks_refetch_cooldown_sec;
	return fl_auth_open(&s->auth, &ac, err);
}

static int start_http(struct server *s, struct fl_error *err)
{
	const struct fl_config *cfg = s->cfg;
	struct fl_mhd_config hc;
	int rc;

	fl_api_init(&s->api, s->engine, (int)cfg->take_wait_ms, (int)FL_MAX(cfg->take_wait_max_ms, cfg->take_wait_ms));
	rc = fl_router_new(&s->router, s->api.routes, s->api.nroutes, err);
	if (rc)
		return rc;
	s->ctx.router = s->router;
	s->ctx.limits.max_depth = (size_t)cfg->max_json_depth;
	s->ctx.limits.max_elements = (size_t)cfg->max_json_elements;
	s->ctx.limits.max_aliases = (size_t)cfg->max_yaml_aliases;
	s->ctx.max_body = (size_t)cfg->max_body_bytes;
	s->ctx.max_header_bytes = (size_t)cfg->max_header_bytes;
	s->ctx.tls = fl_config_tls_enabled(cfg);
	s->ctx.app = &s->api;
	if (s->auth) {
		s->ctx.authorize = fl_auth_check;
		s->ctx.auth = s->auth;
	}
	memset(&hc, 0, sizeof(hc));
	hc.bind_address = cfg->bind_address;
	hc.port = (uint16_t)cfg->port;
	hc.threads = (unsigned)cfg->threads;
	hc.max_connections = (unsigned)cfg->max_connections;
	hc.connection_timeout_sec = (unsigned)cfg->connection_timeout_sec;
	hc.header_timeout_sec = (unsigned)cfg->header_timeout_sec;
	hc.body_timeout_sec = (unsigned)cfg->body_timeout_sec;
	hc.max_connections_per_address = (unsigned)cfg->max_connections_per_address;
	hc.max_header_bytes = (size_t)cfg->max_header_bytes;
	hc.tls_cert_pem = s->cert_pem;
	hc.tls_key_pem = s->key_pem;
	hc.ctx = &s->ctx;
	return fl_mhd_start(&s->http, &hc, err);
}

static void stop(struct server *s)
{
	const struct fl_config *cfg = s->cfg;

	if (s->http)
		fl_mhd_quiesce(s->http);
	if (s->engine)
		fl_engine_shutdown(s->engine);
	if (s->http) {
		if (!fl_mhd_drain(s->http, cfg->shutdown_timeout_sec * 1000))
			FL_LOG_W(NULL, "%zu requests still waiting after %" PRId64 " s", fl_mhd_parked(s->http),
				 cfg->shutdown_timeout_sec);
		fl_mhd_stop(s->http);
	}
	fl_engine_free(s->engine);
	fl_auth_free(s->auth);
	fl_router_free(s->router);
	fl_api_release(&s->api);
	fl_tls_free_pem(s->cert_pem);
	fl_tls_free_pem(s->key_pem);
}

/* Each connection is a file descriptor: raise the soft limit to what FLYTE_MAX_CONNECTIONS needs. */
static void raise_fd_limit(const struct fl_config *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)cfg->max_connections + 128;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
		FL_LOG_W(NULL, "open file limit %ju is below FLYTE_MAX_CONNECTIONS %" PRId64 " + 128",
			 (uintmax_t)rl.rlim_cur, cfg->max_connections);
}

static int wait_for_signal(const sigset_t *set)
{
	int sig = 0;

	while (sigwait(set, &sig) != 0)
		;
	return sig;
}

int fl_server_run(const struct fl_config *cfg)
{
	struct server s;
	struct fl_error err = FL_ERROR_INIT;
	sigset_t set;
	int rc, sig;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	/* every thread started from here on inherits the blocked signals */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = setup_logging(cfg, &err);
	if (rc)
		return 1;
	raise_fd_limit(cfg);
	if (fl_config_tls_enabled(cfg)) {
		rc = fl_tls_load(cfg->tls_cert_path, cfg->tls_key_path, &s.cert_pem, &s.key_pem, &err);
		if (rc)
			goto fail;
	}
	rc = open_engine(&s, &err);
	if (rc)
		goto fail;
	rc = open_auth(&s, &err);
	if (rc)
		goto fail;
	rc = start_http(&s, &err);
	if (rc)
		goto fail;
	FL_LOG_I(NULL, "flyte %s listening on %s://%s%s%s:%u, database '%s', auth %s, %" PRId64 " HTTP threads",
		 FL_VERSION, fl_config_tls_enabled(cfg) ? "https" : "http", strchr(cfg->bind_address, ':') ? "[" : "",
		 cfg->bind_address, strchr(cfg->bind_address, ':') ? "]" : "", fl_mhd_port(s.http),
		 fl_engine_database(s.engine),
		 s.auth ? "on" : "off", cfg->threads);

	sig = wait_for_signal(&set);
	FL_LOG_I(NULL, "received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	stop(&s);
	FL_LOG_I(NULL, "stopped");
	fl_log_close();
	return 0;
fail:
	rc = fatal(cfg, &err);
	stop(&s);
	fl_log_close();
	return rc;
}
