/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ldap.c - the ldap pack against a real OpenLDAP slapd.
 *
 * The test makes a certificate with openssl, writes a slapd.conf (mdb
 * database, memberof module for the memberOf attribute type, TLS), loads
 * ldap-data.ldif with slapadd and runs slapd in the foreground on free
 * ldap:// and ldaps:// ports of 127.0.0.1.  Every case goes flow ->
 * GetGroups action -> flyte-ldap -> slapd -> result event through the real
 * flyte server: groups from memberOf (escaped DNs), nested groups with a
 * cycle, an unknown user, filter injection, a failed bind, ldaps:// and
 * StartTLS (and an unverifiable certificate), many actions at once over a
 * few pooled connections, and a slapd restart under a warm pool.
 */
#include "fl-common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fltest.h"
#include "harness.h"
#include "pkt.h"

static struct flh_server *srv;
static pid_t slapd;
static int ldap_port, ldaps_port;
static char conf[256], cert[256];

static void slapd_start(void)
{
	char urls[128];
	const char *argv[] = { "/usr/sbin/slapd", "-f", conf, "-h", urls, "-d", "stats", NULL };

	snprintf(urls, sizeof(urls), "ldap://127.0.0.1:%d/ ldaps://127.0.0.1:%d/", ldap_port, ldaps_port);
	slapd = pkt_spawn(argv, NULL, "slapd.log");
	FLH_ASSERT(slapd > 0);
	if (!pkt_wait_port(ldap_port, 20000) || !pkt_wait_port(ldaps_port, 20000)) {
		pkt_log_tail("slapd.log", 30);
		FLH_FAIL("slapd did not start (is the slapd package installed?)");
	}
}

static void setup_directory(void)
{
	char text[2048], *out = NULL;
	const char *req[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
			      "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
			      "-keyout", pkt_path("ldap-key.pem"), "-out", pkt_path("ldap-cert.pem"), NULL };
	const char *add[] = { "/usr/sbin/slapadd", "-q", "-f", conf, "-l", getenv("PACKS_LDAP_DATA"), NULL };
	int rc;

	snprintf(cert, sizeof(cert), "%s", pkt_path("ldap-cert.pem"));
	snprintf(conf, sizeof(conf), "%s", pkt_path("slapd.conf"));
	rc = pkt_run(req, NULL, 60000, &out);
	FLH_ASSERT_MSG(rc == 0, "openssl req failed: %s", out);
	free(out);
	FLH_ASSERT(mkdir(pkt_path("ldap-db"), 0700) == 0);
	snprintf(text, sizeof(text),
		 "include /etc/ldap/schema/core.schema\n"
		 "include /etc/ldap/schema/cosine.schema\n"
		 "include /etc/ldap/schema/inetorgperson.schema\n"
		 "modulepath /usr/lib/ldap\n"
		 "moduleload back_mdb\n"
		 "moduleload memberof\n"
		 "pidfile %s\n"
		 "TLSCertificateFile %s\n"
		 "TLSCertificateKeyFile %s\n"
		 "database mdb\n"
		 "maxsize 10485760\n"
		 "suffix \"dc=example,dc=org\"\n"
		 "rootdn \"cn=admin,dc=example,dc=org\"\n"
		 "directory %s\n"
		 "overlay memberof\n",
		 pkt_path("slapd.pid"), cert, pkt_path("ldap-key.pem"), pkt_path("ldap-db"));
	FLH_ASSERT(pkt_write_file(conf, text) == 0);
	FLH_ASSERT_MSG(getenv("PACKS_LDAP_DATA"), "PACKS_LDAP_DATA must be set");
	rc = pkt_run(add, NULL, 60000, &out);
	FLH_ASSERT_MSG(rc == 0, "slapadd failed (%d): %s", rc, out);
	free(out);
	ldap_port = pkt_free_port(false);
	ldaps_port = pkt_free_port(false);
	FLH_ASSERT(ldap_port > 0 && ldaps_port > 0 && ldap_port != ldaps_port);
	slapd_start();
}

static void setup(void)
{
	pkt_kill_others(slapd); /* a failed case may have left a pack running */
	if (slapd > 0 && !pkt_alive(slapd))
		slapd = 0;
	if (!srv)
		FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	if (!conf[0])
		setup_directory();
	else if (slapd <= 0)
		slapd_start();
}

/* Start flyte-ldap with the common settings plus `extra` (later entries win). */
static pid_t ldap_pack(const char *const *extra, const char *logname)
{
	char url[64];
	const char *env[24];
	size_t n = 0;
	pid_t pid;

	snprintf(url, sizeof(url), "LDAP_URL=127.0.0.1:%d", ldap_port);
	env[n++] = url;
	env[n++] = "BIND_USERNAME=cn=flyte,ou=service,dc=example,dc=org";
	env[n++] = "BIND_PASSWORD=svc-Secret-42";
	env[n++] = "BASE_DN=ou=people,dc=example,dc=org";
	env[n++] = "SEARCH_FILTER=(&(objectClass=inetOrgPerson)(uid={username}))";
	env[n++] = "ATTRIBUTES=memberOf";
	env[n++] = "GROUP_ATTRIBUTE=cn";
	env[n++] = "SEARCH_TIMEOUT_IN_SECONDS=10";
	for (size_t i = 0; extra && extra[i] && n < 23; i++)
		env[n++] = extra[i];
	env[n] = NULL;
	pid = pkt_pack_start(srv, getenv("FLYTE_LDAP_BIN"), "ldap", env, logname);
	FLH_ASSERT(pid > 0);
	return pid;
}

/* GetGroups for a username given as a JSON string literal. */
static json_t *get_groups(const char *username_json)
{
	char input[512];
	json_t *a;

	snprintf(input, sizeof(input), "{\"username\":%s}", username_json);
	a = pkt_action(srv, "ldap", "GetGroups", input, 30000);
	FLH_ASSERT_MSG(a != NULL, "the GetGroups action for %s did not complete", username_json);
	return a;
}

/* The action ended with GroupsRetrieved for `user` and exactly these groups (in any order). */
static void expect_groups(json_t *a, const char *user, const char *const *groups)
{
	json_t *got = flh_json_get(a, "result.payload.usergroups");
	size_t n = 0;

	FLH_EQ_STR(flh_json_str(a, "result.event"), "GroupsRetrieved");
	FLH_EQ_STR(flh_json_str(a, "result.payload.username"), user);
	while (groups[n])
		n++;
	if (!n) {
		/* as the original: no usergroups key at all */
		FLH_ASSERT_MSG(got == NULL, "unexpected usergroups %s", flh_json_dump(got));
		return;
	}
	FLH_ASSERT_MSG(json_array_size(got) == n, "usergroups %s, expected %zu", flh_json_dump(got), n);
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t k = 0; k < n; k++)
			found = found || !strcmp(json_string_value(json_array_get(got, k)), groups[i]);
		FLH_ASSERT_MSG(found, "group '%s' missing from %s", groups[i], flh_json_dump(got));
	}
}

FLT_TEST(groups_from_member_of)
{
	static const char *const jdoe[] = { "R,D Team", "deployers", "loop-a", NULL };
	static const char *const smith[] = { "Ops + Dev", NULL };
	static const char *const none[] = { NULL };
	json_t *a;
	pid_t pack;

	setup();
	pack = ldap_pack(NULL, "ldap-memberof.log");
	a = get_groups("\"jdoe\"");
	expect_groups(a, "jdoe", jdoe);
	/* memberOf order is kept */
	FLH_EQ_STR(flh_json_str(a, "result.payload.usergroups.0"), "R,D Team");
	json_decref(a);
	/* a user whose DN and group DN hold escaped characters */
	a = get_groups("\"smith, john\"");
	expect_groups(a, "smith, john", smith);
	json_decref(a);
	/* a user without groups and an unknown user: GroupsRetrieved without usergroups */
	a = get_groups("\"loner\"");
	expect_groups(a, "loner", none);
	json_decref(a);
	a = get_groups("\"no-such-user\"");
	expect_groups(a, "no-such-user", none);
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
}

FLT_TEST(filter_injection_finds_nothing)
{
	static const char *const none[] = { NULL };
	static const char *const stars[] = { "stars", NULL };
	static const char *const injections[] = { "\"*)(uid=*\"", "\"*\"", "\"jdoe)(|(uid=*\"", "\"j*\"",
						  "\"jdoe\\\\2a\"", "\"*))(|(objectClass=*\"", NULL };
	json_t *a;
	pid_t pack;

	setup();
	pack = ldap_pack(NULL, "ldap-inject.log");
	for (size_t i = 0; injections[i]; i++) {
		json_t *name = json_loads(injections[i], JSON_DECODE_ANY, NULL);
		a = get_groups(injections[i]);
		expect_groups(a, json_string_value(name), none);
		json_decref(a);
		json_decref(name);
	}
	/* a '*' in a real uid matches only that user, not the wildcard's other match */
	a = get_groups("\"star*user\"");
	expect_groups(a, "star*user", stars);
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
}

FLT_TEST(nested_groups)
{
	static const char *const all[] = { "R,D Team", "deployers", "loop-a", "release-managers", "loop-b",
					   "engineering", NULL };
	static const char *const direct[] = { "R,D Team", "deployers", "loop-a", NULL };
	static const char *const stars[] = { "stars", NULL };
	static const char *const smith[] = { "Ops + Dev", NULL };
	const char *nested[] = { "GROUP_SEARCH_BASE_DN=ou=groups,dc=example,dc=org", NULL };
	const char *one_level[] = { "ATTRIBUTES=", "GROUP_SEARCH_BASE_DN=ou=groups,dc=example,dc=org",
				    "GROUP_SEARCH_DEPTH=1", NULL };
	json_t *a;
	pid_t pack;

	setup();
	pack = ldap_pack(nested, "ldap-nested.log");
	a = get_groups("\"jdoe\"");
	expect_groups(a, "jdoe", all); /* three levels, and the loop-a/loop-b cycle ends */
	json_decref(a);
	/* the member filter escapes the DN: uid=star*user is not a wildcard for starXuser */
	a = get_groups("\"star*user\"");
	expect_groups(a, "star*user", stars);
	json_decref(a);
	a = get_groups("\"smith, john\"");
	expect_groups(a, "smith, john", smith);
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);

	/* group search alone, direct groups only */
	pack = ldap_pack(one_level, "ldap-onelevel.log");
	a = get_groups("\"jdoe\"");
	expect_groups(a, "jdoe", direct);
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
}

FLT_TEST(bind_failure_and_bad_input)
{
	const char *bad[] = { "BIND_PASSWORD=not-the-Password", NULL };
	json_t *a;
	char *log;
	pid_t pack;

	setup();
	pack = ldap_pack(bad, "ldap-badbind.log");
	a = get_groups("\"jdoe\"");
	FLH_EQ_STR(flh_json_str(a, "result.event"), "GroupsRetrievalError");
	FLH_EQ_STR(flh_json_str(a, "result.payload.username"), "jdoe");
	FLH_ASSERT(strstr(flh_json_str(a, "result.payload.error"), "Invalid credentials"));
	FLH_ASSERT(strstr(flh_json_str(a, "result.payload.error"), "cn=flyte,ou=service,dc=example,dc=org"));
	FLH_ASSERT(!strstr(flh_json_str(a, "result.payload.error"), "not-the-Password"));
	json_decref(a);
	/* the original's answers to missing and undecodable input */
	a = get_groups("\"\"");
	FLH_EQ_STR(flh_json_str(a, "result.event"), "GroupsRetrievalError");
	FLH_EQ_STR(flh_json_str(a, "result.payload.error"), "No Username provided.");
	FLH_ASSERT(flh_json_get(a, "result.payload.username") == NULL);
	json_decref(a);
	a = get_groups("42");
	FLH_EQ_STR(flh_json_str(a, "state.value"), "FATAL");
	FLH_ASSERT(strstr(flh_json_str(a, "result.payload.error"), "Json unmarshalling error"));
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
	log = pkt_read_file(pkt_path("ldap-badbind.log"));
	FLH_ASSERT(log && !strstr(log, "not-the-Password"));
	free(log);
	log = pkt_read_file(pkt_path("ldap-memberof.log"));
	FLH_ASSERT(log && !strstr(log, "svc-Secret-42"));
	free(log);
}

FLT_TEST(tls_ldaps_and_starttls)
{
	static const char *const jdoe[] = { "R,D Team", "deployers", "loop-a", NULL };
	char ldaps[64], ca[300];
	const char *over_ldaps[] = { ldaps, ca, NULL };
	const char *starttls[] = { "LDAP_STARTTLS=true", ca, NULL };
	const char *unverified[] = { ldaps, NULL };
	json_t *a;
	pid_t pack;

	setup();
	snprintf(ldaps, sizeof(ldaps), "LDAP_URL=ldaps://127.0.0.1:%d", ldaps_port);
	snprintf(ca, sizeof(ca), "LDAP_CA_FILE=%s", cert);
	pack = ldap_pack(over_ldaps, "ldap-ldaps.log");
	a = get_groups("\"jdoe\"");
	expect_groups(a, "jdoe", jdoe);
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);

	pack = ldap_pack(starttls, "ldap-starttls.log");
	a = get_groups("\"jdoe\"");
	expect_groups(a, "jdoe", jdoe);
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);

	/* the test certificate is not trusted by the system store */
	pack = ldap_pack(unverified, "ldap-unverified.log");
	a = get_groups("\"jdoe\"");
	FLH_EQ_STR(flh_json_str(a, "result.event"), "GroupsRetrievalError");
	FLH_ASSERT(strstr(flh_json_str(a, "result.payload.error"), "cannot connect to ldaps://"));
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
}

/* Lines of slapd's log that record an accepted connection. */
static int slapd_accepts(void)
{
	char *log = pkt_read_file(pkt_path("slapd.log"));
	int n = 0;

	for (const char *p = log; p && (p = strstr(p, " ACCEPT from ")); p++)
		n++;
	free(log);
	return n;
}

FLT_TEST(concurrent_actions_share_pooled_connections)
{
	static const char *const users[] = { "jdoe", "smith, john", "star*user", "loner" };
	const char *four[] = { "FLYTE_PACK_CONCURRENCY=4", NULL };
	const char *flows[24];
	int before;
	json_t *a;
	pid_t pack;

	setup();
	pack = ldap_pack(four, "ldap-pool.log");
	before = slapd_accepts();
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < FL_ARRAY_LEN(flows); i++) {
			char input[128];
			snprintf(input, sizeof(input), "{\"username\":\"%s\"}", users[i % 4]);
			flows[i] = pkt_action_start(srv, "ldap", "GetGroups", input);
			FLH_ASSERT(flows[i] != NULL);
		}
		for (size_t i = 0; i < FL_ARRAY_LEN(flows); i++) {
			a = pkt_action_wait(srv, flows[i], 30000);
			FLH_ASSERT_MSG(a != NULL, "action %zu did not complete", i);
			FLH_EQ_STR(flh_json_str(a, "result.event"), "GroupsRetrieved");
			FLH_EQ_STR(flh_json_str(a, "result.payload.username"), users[i % 4]);
			if (i % 4 == 0)
				FLH_EQ_INT(json_array_size(flh_json_get(a, "result.payload.usergroups")), 3);
			if (i % 4 == 2)
				FLH_EQ_STR(flh_json_str(a, "result.payload.usergroups.0"), "stars");
			json_decref(a);
		}
	}
	/* 48 lookups, at most 4 at a time: at most 4 connections were opened */
	FLH_ASSERT_MSG(slapd_accepts() - before <= 4, "%d connections for 48 lookups", slapd_accepts() - before);
	FLH_ASSERT(slapd_accepts() - before >= 1);

	/* slapd restarts: the pooled connections are dead, the next lookup opens a new one */
	FLH_EQ_INT(pkt_stop(slapd, 20000), 0);
	slapd = 0;
	slapd_start();
	a = get_groups("\"jdoe\"");
	FLH_EQ_STR(flh_json_str(a, "result.event"), "GroupsRetrieved");
	FLH_EQ_INT(json_array_size(flh_json_get(a, "result.payload.usergroups")), 3);
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
}

FLT_TEST(configuration_errors_exit_1)
{
	const char *bin = getenv("FLYTE_LDAP_BIN");
	const char *argv[] = { bin, NULL }, *help[] = { bin, "--help", NULL };
	const char *no_url[] = { "FLYTE_API=http://127.0.0.1:1", NULL };
	const char *no_placeholder[] = { "FLYTE_API=http://127.0.0.1:1", "LDAP_URL=127.0.0.1:389", "BASE_DN=dc=x",
					 "SEARCH_FILTER=(uid=jdoe)", "GROUP_ATTRIBUTE=cn", "ATTRIBUTES=memberOf", NULL };
	char *out = NULL;

	FLH_EQ_INT(pkt_run(help, NULL, 10000, &out), 0);
	FLH_ASSERT(strstr(out, "LDAP_URL") && strstr(out, "SEARCH_FILTER") && strstr(out, "BIND_PASSWORD"));
	free(out);
	FLH_EQ_INT(pkt_run(argv, no_url, 10000, &out), 1);
	FLH_ASSERT(strstr(out, "LDAP_URL is not set"));
	free(out);
	FLH_EQ_INT(pkt_run(argv, no_placeholder, 10000, &out), 1);
	FLH_ASSERT(strstr(out, "no {username} placeholder"));
	free(out);
}

FLT_TEST(stop_servers)
{
	/* slapd's own exit status is not the pack's behaviour: noted, not asserted */
	if (slapd > 0) {
		int rc = pkt_stop(slapd, 20000);
		if (rc != 0)
			printf("# slapd did not exit cleanly on SIGTERM within 20 s (%d)\n", rc);
	}
	flh_server_free(srv);
	srv = NULL;
}

FLT_MAIN(groups_from_member_of, filter_injection_finds_nothing, nested_groups, bind_failure_and_bad_input,
	 tls_ldaps_and_starttls, concurrent_actions_share_pooled_connections, configuration_errors_exit_1,
	 stop_servers)
