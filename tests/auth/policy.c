/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.c - the policy file parser, the route matcher and claim
 * satisfaction, without any token or network.
 */
#include "fl-common.h"

#include <unistd.h>

#include "auth/policy.h"
#include "fltest.h"
#include "mint.h"

/* The example of flyte-api.md §e.3, with /v1 paths. */
static const char example[] = "- path: /v1/packs            # required\n"
			      "  methods: [GET]\n"
			      "- path: /v1/packs/:pack\n"
			      "  methods: [POST, PUT]\n"
			      "  claims:\n"
			      "    groups: [dev, packwriter]\n"
			      "    role: [admin]\n"
			      "- path: /v1/packs/:pack\n"
			      "  methods: [DELETE]\n"
			      "  claims:\n"
			      "    pack: [\":pack\"]\n"
			      "- path: /v1/datastore/*\n"
			      "  claims: {groups: [dev]}\n";

static struct fl_policy *parse_ok(const char *text)
{
	struct fl_policy *p = NULL;
	struct fl_error err = FL_ERROR_INIT;
	if (fl_policy_parse(&p, text, strlen(text), "test.yaml", &err) != FL_OK)
		FLT_FAIL("parse failed: %s", err.msg);
	return p;
}

static void parse_fails(const char *text, const char *want_msg)
{
	struct fl_policy *p = NULL;
	struct fl_error err = FL_ERROR_INIT;
	int rc = fl_policy_parse(&p, text, strlen(text), "/x.yaml", &err);
	FLT_EQ_INT(rc, FL_EINVALID);
	FLT_ASSERT(p == NULL);
	if (!strstr(err.msg, want_msg))
		FLT_FAIL("error \"%s\" does not contain \"%s\"", err.msg, want_msg);
}

static struct fl_policy_match route(const struct fl_policy *p, const char *method, const char *path)
{
	struct fl_policy_match m;
	fl_policy_match(p, method, path, &m);
	return m;
}

static json_t *json(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		FLT_FAIL("bad test JSON: %s", e.text);
	return v;
}

/* Does a token with claims `claims_json` pass `method path` under policy text? */
static bool passes(const struct fl_policy *p, const char *method, const char *path, const char *claims_json)
{
	struct fl_policy_match m = route(p, method, path);
	json_t *c = json(claims_json);
	bool ok;
	if (m.outcome != FL_POLICY_MATCH)
		FLT_FAIL("%s %s did not match a rule", method, path);
	ok = fl_policy_claims_satisfied(&m, c);
	json_decref(c);
	return ok;
}

FLT_TEST(spec_example_parses_and_routes)
{
	struct fl_policy *p = parse_ok(example);
	struct fl_policy_match m;

	FLT_EQ_INT(fl_policy_route_count(p), 3);
	m = route(p, "GET", "/v1/packs");
	FLT_EQ_INT(m.outcome, FL_POLICY_MATCH);
	FLT_ASSERT(!fl_policy_rule_has_claims(m.rule));
	FLT_EQ_INT(fl_policy_rule_line(m.rule), 1);
	m = route(p, "PUT", "/v1/packs");
	FLT_EQ_INT(m.outcome, FL_POLICY_BAD_METHOD);
	FLT_EQ_STR(m.allow, "GET");
	m = route(p, "POST", "/v1/packs/Slack");
	FLT_EQ_INT(m.outcome, FL_POLICY_MATCH);
	FLT_ASSERT(fl_policy_rule_has_claims(m.rule));
	FLT_EQ_INT(fl_policy_rule_line(m.rule), 3);
	FLT_EQ_INT(m.nparams, 1);
	FLT_EQ_MEM(m.params[0].ptr, m.params[0].len, "Slack", 5);
	m = route(p, "GET", "/v1/packs/Slack");
	FLT_EQ_INT(m.outcome, FL_POLICY_BAD_METHOD);
	FLT_EQ_STR(m.allow, "DELETE, POST, PUT");
	m = route(p, "DELETE", "/v1/datastore/a/b");
	FLT_EQ_INT(m.outcome, FL_POLICY_MATCH);
	FLT_EQ_STR(m.pattern, "/v1/datastore/*");
	FLT_EQ_INT(route(p, "GET", "/v1/datastore").outcome, FL_POLICY_NO_MATCH);
	FLT_EQ_INT(route(p, "GET", "/v1/flows").outcome, FL_POLICY_NO_MATCH);
	fl_policy_free(p);
}

FLT_TEST(omitted_methods_exclude_head_options_trace)
{
	struct fl_policy *p = parse_ok("- path: /x\n");
	const char *yes[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "CONNECT" };
	const char *no[] = { "HEAD", "OPTIONS", "TRACE", "get", "BREW", "" };
	for (size_t i = 0; i < FL_ARRAY_LEN(yes); i++)
		FLT_EQ_INT(route(p, yes[i], "/x").outcome, FL_POLICY_MATCH);
	for (size_t i = 0; i < FL_ARRAY_LEN(no); i++)
		FLT_EQ_INT(route(p, no[i], "/x").outcome, FL_POLICY_BAD_METHOD);
	FLT_EQ_STR(route(p, "HEAD", "/x").allow, "CONNECT, DELETE, GET, PATCH, POST, PUT");
	fl_policy_free(p);
}

FLT_TEST(precedence_static_param_wildcard)
{
	struct fl_policy *p = parse_ok("- path: /*\n"
				       "- path: /v1/*\n"
				       "- path: /v1/packs/:id\n"
				       "- path: /v1/packs/special\n"
				       "- path: /v1/packs/:id/events\n"
				       "- path: /v1/:kind/special\n");
	FLT_EQ_STR(route(p, "GET", "/v1/packs/special").pattern, "/v1/packs/special");
	FLT_EQ_STR(route(p, "GET", "/v1/packs/other").pattern, "/v1/packs/:id");
	FLT_EQ_STR(route(p, "GET", "/v1/packs/x/events").pattern, "/v1/packs/:id/events");
	/* no backtracking trap: a deeper path that the param pattern cannot finish falls to a wildcard */
	FLT_EQ_STR(route(p, "GET", "/v1/packs/x/actions").pattern, "/v1/*");
	FLT_EQ_STR(route(p, "GET", "/v1/flows/special").pattern, "/v1/:kind/special");
	FLT_EQ_STR(route(p, "GET", "/v2/anything").pattern, "/*");
	FLT_EQ_STR(route(p, "GET", "/").pattern, "/*");
	fl_policy_free(p);
}

FLT_TEST(wildcard_needs_a_segment_and_may_be_mid_path)
{
	struct fl_policy *p = parse_ok("- path: /v1/flows/*\n- path: /packs/*/id\n- path: /\n");
	FLT_EQ_INT(route(p, "GET", "/v1/flows/a").outcome, FL_POLICY_MATCH);
	FLT_EQ_INT(route(p, "GET", "/v1/flows/a/b/c").outcome, FL_POLICY_MATCH);
	FLT_EQ_INT(route(p, "GET", "/v1/flows").outcome, FL_POLICY_NO_MATCH);
	FLT_EQ_INT(route(p, "GET", "/packs/a/id").outcome, FL_POLICY_MATCH);
	FLT_EQ_INT(route(p, "GET", "/packs/a/b/id").outcome, FL_POLICY_MATCH);
	FLT_EQ_INT(route(p, "GET", "/packs/id").outcome, FL_POLICY_NO_MATCH);
	FLT_EQ_INT(route(p, "GET", "/packs/a/id/x").outcome, FL_POLICY_NO_MATCH);
	FLT_EQ_STR(route(p, "GET", "/").pattern, "/");
	fl_policy_free(p);
}

FLT_TEST(unsafe_paths_never_match)
{
	struct fl_policy *p = parse_ok("- path: /*\n");
	const char *bad[] = { "", "v1/packs", "//", "/v1//packs", "/v1/packs/", "/v1/../admin", "/..", "/.",
			      "/v1/./packs", "/v1/packs/.." };
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
		if (route(p, "GET", bad[i]).outcome != FL_POLICY_NO_MATCH)
			FLT_FAIL("path '%s' matched", bad[i]);
	FLT_EQ_INT(route(p, "GET", "/v1/packs/a..b").outcome, FL_POLICY_MATCH);
	FLT_EQ_INT(route(p, "GET", "/v1/...").outcome, FL_POLICY_MATCH);
	FLT_EQ_INT(route(p, "GET", NULL).outcome, FL_POLICY_NO_MATCH);
	fl_policy_free(p);
}

FLT_TEST(later_entry_replaces_earlier)
{
	struct fl_policy *p = parse_ok("- path: /x/:a\n"
				       "  claims: {g: [one]}\n"
				       "- path: /x/:b\n"
				       "  methods: [DELETE]\n"
				       "  claims: {g: [two]}\n");
	FLT_EQ_INT(fl_policy_route_count(p), 1);
	FLT_ASSERT(passes(p, "GET", "/x/1", "{\"g\":\"one\"}"));
	FLT_ASSERT(!passes(p, "DELETE", "/x/1", "{\"g\":\"one\"}"));
	FLT_ASSERT(passes(p, "DELETE", "/x/1", "{\"g\":\"two\"}"));
	FLT_EQ_INT(fl_policy_rule_line(route(p, "DELETE", "/x/1").rule), 3);
	fl_policy_free(p);
}

FLT_TEST(param_claims)
{
	struct fl_policy *p = parse_ok(example);
	FLT_ASSERT(passes(p, "DELETE", "/v1/packs/Slack", "{\"pack\":\"Slack\"}"));
	FLT_ASSERT(!passes(p, "DELETE", "/v1/packs/Other", "{\"pack\":\"Slack\"}"));
	FLT_ASSERT(!passes(p, "DELETE", "/v1/packs/Slack", "{\"pack\":\"\"}"));
	FLT_ASSERT(!passes(p, "DELETE", "/v1/packs/Slack", "{}"));
	fl_policy_free(p);
	/* a parameter may also name the claim */
	p = parse_ok("- path: /teams/:team\n  claims: {\":team\": [member, \"owner\"]}\n");
	FLT_ASSERT(passes(p, "GET", "/teams/red", "{\"red\":\"member\",\"blue\":\"x\"}"));
	FLT_ASSERT(!passes(p, "GET", "/teams/blue", "{\"red\":\"member\",\"blue\":\"x\"}"));
	fl_policy_free(p);
}

FLT_TEST(claim_types)
{
	struct fl_policy *p = parse_ok("- path: /x\n  claims: {g: [\"1\", dev, \"true\"]}\n");
	FLT_ASSERT(passes(p, "GET", "/x", "{\"g\":\"dev\"}"));
	FLT_ASSERT(passes(p, "GET", "/x", "{\"g\":1}"));
	FLT_ASSERT(passes(p, "GET", "/x", "{\"g\":1.0}"));
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"g\":1.5}"));
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"g\":2}"));
	FLT_ASSERT(passes(p, "GET", "/x", "{\"g\":true}"));
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"g\":false}"));
	FLT_ASSERT(passes(p, "GET", "/x", "{\"g\":[\"a\",\"dev\"]}"));
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"g\":[\"a\",\"b\"]}"));
	/* an array with a non-string element is ignored as a whole */
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"g\":[\"dev\",1]}"));
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"g\":{\"dev\":1}}"));
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"g\":null}"));
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"G\":\"dev\"}"));
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"g\":\"Dev\"}"));
	fl_policy_free(p);
	/* numbers written in YAML are matched as their text */
	p = parse_ok("- path: /x\n  claims: {groups: [1]}\n");
	FLT_ASSERT(passes(p, "GET", "/x", "{\"groups\":1}"));
	fl_policy_free(p);
}

FLT_TEST(or_over_names)
{
	struct fl_policy *p = parse_ok("- path: /x\n  claims:\n    a: [1]\n    b: [2]\n");
	FLT_ASSERT(passes(p, "GET", "/x", "{\"a\":\"1\",\"b\":\"0\"}"));
	FLT_ASSERT(passes(p, "GET", "/x", "{\"a\":\"0\",\"b\":\"2\"}"));
	FLT_ASSERT(!passes(p, "GET", "/x", "{\"a\":\"2\",\"b\":\"1\"}"));
	fl_policy_free(p);
}

FLT_TEST(empty_claims_are_open)
{
	struct fl_policy *p = parse_ok("- path: /x\n  claims: {}\n- path: /y\n  claims:\n");
	FLT_ASSERT(!fl_policy_rule_has_claims(route(p, "GET", "/x").rule));
	FLT_ASSERT(!fl_policy_rule_has_claims(route(p, "GET", "/y").rule));
	fl_policy_free(p);
}

FLT_TEST(malformed_bad_yaml)
{
	parse_fails("- path: /x\n  methods: [GET\n", "policy '/x.yaml': invalid YAML at line 3 column 1: ");
	parse_fails("- path: /x\n\t- bad\n", "policy '/x.yaml': invalid YAML at line 2 ");
	parse_fails("- path: [unterminated\n", "invalid YAML");
	/* text that is not UTF-8 is refused before the YAML parser sees it */
	parse_fails("%\xf3", "line 1: not UTF-8 text (byte 0xf3)");
	parse_fails("- path: /x\n- path: /\xc0\xaf\n", "line 2: not UTF-8 text (byte 0xc0)");
	parse_fails("- path: /x\n\n- path: /y\x01\n", "line 3: not UTF-8 text (byte 0x01)");
	parse_fails("- path: /\xed\xa0\x80\n", "not UTF-8"); /* a surrogate */
	{
		struct fl_policy *p = parse_ok("- path: /caf\xc3\xa9\r\n  claims: {g: [\"\xf0\x9f\x98\x80\"]}\n");
		FLT_EQ_INT(route(p, "GET", "/caf\xc3\xa9").outcome, FL_POLICY_MATCH);
		fl_policy_free(p);
	}
}

FLT_TEST(malformed_unknown_method_names_the_line)
{
	parse_fails("- path: /x\n  methods: [GET]\n- path: /y\n  methods:\n    - POST\n    - BREW\n",
		    "policy '/x.yaml' line 6: unknown method 'BREW'");
}

FLT_TEST(malformed_lowercase_method)
{
	parse_fails("- path: /a\n- path: /b\n  methods: [get]\n", "policy '/x.yaml' line 3: unknown method 'get'");
}

FLT_TEST(malformed_missing_path)
{
	parse_fails("- path: /a\n- methods: [GET]\n", "policy '/x.yaml' line 2: entry has no 'path'");
	parse_fails("- path:\n", "line 1: 'path' must be a non-empty string");
	parse_fails("- path: x\n", "line 1: path must start with '/'");
}

FLT_TEST(malformed_claims_not_a_map)
{
	parse_fails("- path: /a\n  claims: [groups, dev]\n", "line 2: 'claims' must be a map");
	parse_fails("- path: /a\n  claims: dev\n", "line 2: 'claims' must be a map");
}

FLT_TEST(malformed_values_not_a_list)
{
	parse_fails("- path: /a\n  claims:\n    groups: dev\n", "line 3: values of claim 'groups' must be a list");
	parse_fails("- path: /a\n  claims:\n    groups:\n", "line 3: values of claim 'groups' must be a list");
	parse_fails("- path: /a\n  claims:\n    groups: [[dev]]\n", "line 3: values of claim 'groups' must be plain");
}

FLT_TEST(malformed_other)
{
	parse_fails("", "policy must be a list");
	parse_fails("[]", "no entries");
	parse_fails("path: /x\n", "policy must be a list");
	parse_fails("- path: /x\n  method: [GET]\n", "line 2: unknown key 'method'");
	parse_fails("- path: /x\n  methods: GET\n", "line 2: 'methods' must be a list");
	parse_fails("- path: /x\n  methods: []\n", "line 2: 'methods' is empty");
	parse_fails("- path: /x/*/y/*\n", "more than one '*'");
	parse_fails("- path: /x/a*\n", "'*' must be a whole path segment");
	parse_fails("- path: /x//y\n", "empty segment");
	parse_fails("- path: /x/\n", "empty segment");
	parse_fails("- path: /x/:a/:a\n", "used twice");
	parse_fails("- path: '/x/:'\n", "parameter name");
	parse_fails("- path: /x/:\n", "invalid YAML at line 1");
	parse_fails("- path: /x/../y\n", "'..' segment");
	parse_fails("- path: /x/:a\n  claims: {pack: [\":pack\"]}\n", "claim value ':pack' is not a parameter");
	parse_fails("- path: /x\n  claims: {\":who\": [a]}\n", "claim name ':who' is not a parameter");
	parse_fails("- path: /x\n  path: /y\n", "line 2");
	parse_fails("- &a path: /x\n- *a\n", "line 2");
	parse_fails("- {}\n", "entry has no 'path'");
}

FLT_TEST(load_file_reports_path)
{
	char *path = ti_write_temp("- path: /x\n  methods: [GET, get]\n", ".yaml");
	struct fl_policy *p = NULL;
	struct fl_error err = FL_ERROR_INIT;
	char want[300];

	FLT_EQ_INT(fl_policy_load_file(&p, path, &err), FL_EINVALID);
	snprintf(want, sizeof(want), "policy '%s' line 2: unknown method 'get'", path);
	FLT_EQ_STR(err.msg, want);
	unlink(path);
	free(path);
	FLT_EQ_INT(fl_policy_load_file(&p, "/nonexistent/policy.yaml", &err), FL_EIO);
	FLT_ASSERT(strstr(err.msg, "/nonexistent/policy.yaml") != NULL);
}

FLT_MAIN(spec_example_parses_and_routes, omitted_methods_exclude_head_options_trace, precedence_static_param_wildcard,
	 wildcard_needs_a_segment_and_may_be_mid_path, unsafe_paths_never_match, later_entry_replaces_earlier,
	 param_claims, claim_types, or_over_names, empty_claims_are_open, malformed_bad_yaml,
	 malformed_unknown_method_names_the_line, malformed_lowercase_method, malformed_missing_path,
	 malformed_claims_not_a_map, malformed_values_not_a_list, malformed_other, load_file_reports_path)
