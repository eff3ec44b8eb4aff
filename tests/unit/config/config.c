// SPDX-License-Identifier: Apache-2.0
/*
 * config.c - unit tests of the configuration table: defaults, parsing of
 * every type, lenient fallbacks, validation, print/parse round trips, the
 * help text and the generated reference in docs/configuration.md.
 */
#include "fl-common.h"

#include "config/config.h"
#include "fltest.h"
#include "log.h"

struct kv {
	const char *k, *v;
};

struct env {
	const struct kv *v;
	size_t n;
};

static const char *lookup(const char *name, void *payload)
{
	const struct env *e = payload;
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].k, name) == 0)
			return e->v[i].v;
	return NULL;
}

static int load_kv(struct fl_config *cfg, struct fl_error *err, const struct kv *kvs, size_t n)
{
	struct env e = { kvs, n };

	fl_config_init(cfg);
	return fl_config_load(cfg, lookup, &e, err);
}

#define KVS(...) ((const struct kv[]){ __VA_ARGS__ })
#define LOAD(cfg, err, ...) load_kv((cfg), (err), KVS(__VA_ARGS__), sizeof(KVS(__VA_ARGS__)) / sizeof(struct kv))

FLT_TEST(test_defaults)
{
	struct fl_config cfg;
	struct fl_error err = FL_ERROR_INIT;

	FLT_EQ_INT(LOAD(&cfg, &err, { "UNRELATED", "1" }), FL_OK);
	FLT_EQ_INT(cfg.port, 8080);
	FLT_EQ_STR(cfg.bind_address, "0.0.0.0");
	FLT_EQ_STR(cfg.db_path, "./flyte.db");
	FLT_EQ_INT(cfg.ttl_sec, 31557600);
	FLT_EQ_INT(cfg.delete_dead_packs, 0);
	FLT_EQ_INT(cfg.delete_dead_packs_at, 23 * 60);
	FLT_EQ_INT(cfg.pack_grace_sec, 604800);
	FLT_EQ_INT(cfg.log_level, FL_LOG_INFO);
	FLT_EQ_INT(cfg.take_wait_ms, 3000);
	FLT_EQ_INT(cfg.max_parked_takes, 10000);
	FLT_EQ_INT(cfg.threads, 2);
	FLT_EQ_INT(cfg.max_connections, 4096);
	FLT_EQ_INT(cfg.connection_timeout_sec, 30);
	FLT_EQ_INT(cfg.max_body_bytes, 4 << 20);
	FLT_EQ_INT(cfg.max_header_bytes, 16 << 10);
	FLT_EQ_INT(cfg.max_json_depth, 64);
	FLT_EQ_INT(cfg.max_json_elements, 100000);
	FLT_ASSERT(cfg.tls_cert_path == NULL);
	FLT_ASSERT(!fl_config_auth_enabled(&cfg));
	FLT_ASSERT(!fl_config_tls_enabled(&cfg));
	FLT_EQ_INT(cfg.warnings.len, 0);
	fl_config_release(&cfg);
}

FLT_TEST(test_tls_port_default)
{
	struct fl_config cfg;
	struct fl_error err = FL_ERROR_INIT;

	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_TLS_CERT_PATH", "c.pem" }, { "FLYTE_TLS_KEY_PATH", "k.pem" }), FL_OK);
	FLT_EQ_INT(cfg.port, 8443);
	FLT_ASSERT(fl_config_tls_enabled(&cfg));
	fl_config_release(&cfg);

	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_TLS_CERT_PATH", "c.pem" }, { "FLYTE_TLS_KEY_PATH", "k.pem" },
			{ "FLYTE_PORT", "9000" }),
		   FL_OK);
	FLT_EQ_INT(cfg.port, 9000);
	fl_config_release(&cfg);

	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_TLS_CERT_PATH", "c.pem" }), FL_EINVALID);
	FLT_ASSERT(strstr(err.msg, "FLYTE_TLS_KEY_PATH") != NULL);
	fl_config_release(&cfg);
}

FLT_TEST(test_invalid_port_is_fatal)
{
	struct fl_config cfg;
	struct fl_error err = FL_ERROR_INIT;

	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_PORT", "http" }), FL_EINVALID);
	FLT_EQ_STR(err.msg, "invalid FLYTE_PORT 'http': expected an integer from 0 to 65535");
	fl_config_release(&cfg);
	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_PORT", "65536" }), FL_EINVALID);
	fl_config_release(&cfg);
	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_PORT", "80 " }), FL_EINVALID);
	fl_config_release(&cfg);
	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_PORT", "0" }), FL_OK);
	FLT_EQ_INT(cfg.port, 0);
	fl_config_release(&cfg);
}

FLT_TEST(test_lenient_fallbacks)
{
	struct fl_config cfg;
	struct fl_error err = FL_ERROR_INIT;

	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_TTL_IN_SECONDS", "ten" }, { "FLYTE_SHOULD_DELETE_DEAD_PACKS", "yes" },
			{ "FLYTE_DELETE_DEAD_PACKS_AT_HH_COLON_MM", "24:00" },
			{ "FLYTE_PACK_GRACE_PERIOD_UNTIL_MARKED_DEAD_IN_SECONDS", "1.5" }, { "LOGLEVEL", "loud" }),
		   FL_OK);
	FLT_EQ_INT(cfg.ttl_sec, 31557600);
	FLT_EQ_INT(cfg.delete_dead_packs, 0);
	FLT_EQ_INT(cfg.delete_dead_packs_at, 23 * 60);
	FLT_EQ_INT(cfg.pack_grace_sec, 604800);
	FLT_EQ_INT(cfg.log_level, FL_LOG_INFO);
	FLT_ASSERT(strstr(cfg.warnings.ptr, "invalid FLYTE_TTL_IN_SECONDS 'ten'") != NULL);
	FLT_ASSERT(strstr(cfg.warnings.ptr, "invalid LOGLEVEL 'loud'") != NULL);
	fl_config_release(&cfg);
}

FLT_TEST(test_typed_values)
{
	struct fl_config cfg;
	struct fl_error err = FL_ERROR_INIT;

	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_SHOULD_DELETE_DEAD_PACKS", "T" },
			{ "FLYTE_DELETE_DEAD_PACKS_AT_HH_COLON_MM", "7:05" }, { "LOGLEVEL", "DEBUG" },
			{ "LOGFORMAT", "text" }, { "FLYTE_BIND_ADDRESS", "::1" }, { "FLYTE_TAKE_WAIT_MS", "0" },
			{ "LOGFILE", "/tmp/x.log" }),
		   FL_OK);
	FLT_EQ_INT(cfg.delete_dead_packs, 1);
	FLT_EQ_INT(cfg.delete_dead_packs_at, 7 * 60 + 5);
	FLT_EQ_INT(cfg.log_level, FL_LOG_DEBUG);
	FLT_EQ_INT(cfg.log_format, FL_LOG_FORMAT_TEXT);
	FLT_EQ_STR(cfg.bind_address, "::1");
	FLT_EQ_INT(cfg.take_wait_ms, 0);
	FLT_EQ_STR(cfg.log_file, "/tmp/x.log");
	fl_config_release(&cfg);
}

FLT_TEST(test_strict_bounds)
{
	struct fl_config cfg;
	struct fl_error err = FL_ERROR_INIT;

	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_TAKE_WAIT_MS", "200000" }), FL_EINVALID);
	FLT_ASSERT(strstr(err.msg, "FLYTE_TAKE_WAIT_MS") != NULL);
	fl_config_release(&cfg);
	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_THREADS", "0" }), FL_EINVALID);
	fl_config_release(&cfg);
	FLT_EQ_INT(LOAD(&cfg, &err, { "LOGFORMAT", "xml" }), FL_EINVALID);
	fl_config_release(&cfg);
	FLT_EQ_INT(LOAD(&cfg, &err, { "FLYTE_BIND_ADDRESS", "localhost" }), FL_EINVALID);
	FLT_ASSERT(strstr(err.msg, "FLYTE_BIND_ADDRESS") != NULL);
	fl_config_release(&cfg);
}

FLT_TEST(test_table_is_complete)
{
	size_t n;
	const struct fl_config_entry *t = fl_config_table(&n);

	FLT_ASSERT(n > 30);
	for (size_t i = 0; i < n; i++) {
		FLT_ASSERT(t[i].help && strlen(t[i].help) > 10);
		FLT_ASSERT(t[i].name && t[i].env);
		FLT_ASSERT(fl_config_find(t[i].env) == &t[i]);
		for (size_t j = i + 1; j < n; j++) {
			FLT_ASSERT(strcmp(t[i].env, t[j].env) != 0);
			FLT_ASSERT(strcmp(t[i].name, t[j].name) != 0);
			FLT_ASSERT(t[i].offset != t[j].offset);
		}
	}
	FLT_ASSERT(fl_config_find("NOPE") == NULL);
}

/* Every entry: print the value, parse it into a fresh config, print again. */
FLT_TEST(test_round_trip)
{
	size_t n;
	const struct fl_config_entry *t = fl_config_table(&n);
	struct fl_config a, b;
	struct fl_error err = FL_ERROR_INIT;

	FLT_EQ_INT(LOAD(&a, &err, { "FLYTE_PORT", "1234" }, { "FLYTE_DELETE_DEAD_PACKS_AT_HH_COLON_MM", "3:07" },
			{ "FLYTE_SHOULD_DELETE_DEAD_PACKS", "1" }, { "LOGLEVEL", "warn" }, { "LOGFORMAT", "text" },
			{ "FLYTE_OIDC_ISSUER_URL", "https://id.example" }, { "FLYTE_MAX_BODY_BYTES", "2048" }),
		   FL_OK);
	for (size_t i = 0; i < n; i++) {
		struct fl_buf p1 = FL_BUF_INIT(0), p2 = FL_BUF_INIT(0);

		fl_config_init(&b);
		fl_config_format(&p1, &a, &t[i], true);
		if (p1.len || t[i].type != FL_CFG_STRING)
			FLT_EQ_INT(fl_config_set(&b, &t[i], p1.ptr, &err), FL_OK);
		fl_config_format(&p2, &b, &t[i], true);
		FLT_EQ_STR(p2.ptr, p1.ptr);
		fl_buf_release(&p1);
		fl_buf_release(&p2);
		fl_config_release(&b);
	}
	fl_config_release(&a);
}

FLT_TEST(test_secret_redaction)
{
	struct fl_config cfg;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_buf out = FL_BUF_INIT(0);
	const struct fl_config_entry secret = { "test.secret", "TEST_SECRET", FL_CFG_INT, "1", NULL, 0, 10,
						FL_CFG_SECRET, offsetof(struct fl_config, threads),
						"a secret value for the test" };

	fl_config_init(&cfg);
	FLT_EQ_INT(fl_config_set(&cfg, &secret, "7", &err), FL_OK);
	fl_config_format(&out, &cfg, &secret, false);
	FLT_EQ_STR(out.ptr, "(redacted)");
	fl_buf_reset(&out);
	fl_config_format(&out, &cfg, &secret, true);
	FLT_EQ_STR(out.ptr, "7");
	FLT_EQ_INT(fl_config_set(&cfg, &secret, "99", &err), FL_EINVALID);
	FLT_ASSERT(strstr(err.msg, "99") == NULL);
	fl_buf_release(&out);
	fl_config_release(&cfg);
}

FLT_TEST(test_help_lists_everything)
{
	size_t n;
	const struct fl_config_entry *t = fl_config_table(&n);
	struct fl_buf out = FL_BUF_INIT(0);

	fl_config_write_help(&out, "flyte");
	FLT_ASSERT(strstr(out.ptr, "Usage: flyte") != NULL);
	for (size_t i = 0; i < n; i++) {
		FLT_ASSERT(strstr(out.ptr, t[i].env) != NULL);
		FLT_ASSERT(strstr(out.ptr, t[i].help) != NULL);
	}
	fl_buf_release(&out);
}

FLT_TEST(test_args)
{
	struct fl_error err = FL_ERROR_INIT;
	char a0[] = "flyte", help[] = "--help", ver[] = "--version", bad[] = "--frobnicate", ref[] = "--config-reference";
	char *v1[] = { a0, NULL }, *v2[] = { a0, help, NULL }, *v3[] = { a0, ver, NULL }, *v4[] = { a0, bad, NULL };
	char *v5[] = { a0, help, ver, NULL }, *v6[] = { a0, ref, NULL };

	FLT_EQ_INT(fl_config_parse_args(1, v1, &err), FL_CONFIG_CLI_RUN);
	FLT_EQ_INT(fl_config_parse_args(2, v2, &err), FL_CONFIG_CLI_HELP);
	FLT_EQ_INT(fl_config_parse_args(2, v3, &err), FL_CONFIG_CLI_VERSION);
	FLT_EQ_INT(fl_config_parse_args(2, v4, &err), FL_CONFIG_CLI_USAGE);
	FLT_EQ_STR(err.msg, "unknown option '--frobnicate'");
	FLT_EQ_INT(fl_config_parse_args(3, v5, &err), FL_CONFIG_CLI_USAGE);
	FLT_EQ_INT(fl_config_parse_args(2, v6, &err), FL_CONFIG_CLI_MARKDOWN);
}

/* docs/configuration.md and README.md carry the generated table verbatim. */
static void check_doc(const char *path)
{
	const char *begin_mark = "<!-- BEGIN CONFIG TABLE -->\n", *end_mark = "<!-- END CONFIG TABLE -->";
	struct fl_buf doc = FL_BUF_INIT(0), want = FL_BUF_INIT(0);
	char chunk[4096];
	size_t n;
	FILE *f;
	const char *b, *e;

	FLT_ASSERT(path != NULL);
	f = fopen(path, "rb");
	FLT_ASSERT(f != NULL);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_add(&doc, chunk, n);
	fclose(f);
	b = strstr(doc.ptr, begin_mark);
	FLT_ASSERT(b != NULL);
	b += strlen(begin_mark);
	e = strstr(b, end_mark);
	FLT_ASSERT(e != NULL);
	fl_config_write_markdown(&want);
	if ((size_t)(e - b) != want.len || memcmp(b, want.ptr, want.len) != 0) {
		printf("# %s is out of date; regenerate with `flyte --config-reference`:\n", path);
		FLT_FAIL("configuration table differs from the documentation");
	}
	fl_buf_release(&doc);
	fl_buf_release(&want);
}

FLT_TEST(test_docs_match_table)
{
	check_doc(getenv("FL_CONFIG_DOC"));
}

FLT_TEST(test_readme_matches_table)
{
	check_doc(getenv("FL_CONFIG_README"));
}

FLT_MAIN(test_defaults, test_tls_port_default, test_invalid_port_is_fatal, test_lenient_fallbacks, test_typed_values,
	 test_strict_bounds, test_table_is_complete, test_round_trip, test_secret_redaction, test_help_lists_everything,
	 test_args, test_docs_match_table, test_readme_matches_table)
