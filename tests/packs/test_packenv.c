/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_packenv.c - how every bundled pack reads its settings
 * (packs/common/packenv.c), and the packs that read them through it: a
 * boolean is true/false/1/0/yes/no in any case in every pack, an integer is
 * refused unless all of it is a number in range.
 */
#include "fl-common.h"

#include <unistd.h>

#include "fltest.h"
#include "ldappack.h"
#include "packenv.h"
#include "serf.h"
#include "shell.h"
#include "ticker.h"

#define VAR "PACKENV_TEST_VAR"

FLT_TEST(get_treats_empty_as_unset)
{
	unsetenv(VAR);
	FLT_ASSERT(packenv_get(VAR) == NULL);
	setenv(VAR, "", 1);
	FLT_ASSERT(packenv_get(VAR) == NULL);
	setenv(VAR, " x", 1);
	FLT_EQ_STR(packenv_get(VAR), " x");
	unsetenv(VAR);
}

FLT_TEST(dup_and_need)
{
	char err[128] = "", *v = (char *)"not touched";

	unsetenv(VAR);
	FLT_EQ_INT(packenv_dup(&v, VAR, NULL, err, sizeof(err)), 0);
	FLT_ASSERT(v == NULL);
	FLT_EQ_INT(packenv_dup(&v, VAR, "def", err, sizeof(err)), 0);
	FLT_EQ_STR(v, "def");
	free(v);
	FLT_EQ_INT(packenv_need(&v, VAR, err, sizeof(err)), -1);
	FLT_ASSERT(v == NULL);
	FLT_EQ_STR(err, VAR " is not set");
	setenv(VAR, "value", 1);
	FLT_EQ_INT(packenv_need(&v, VAR, err, sizeof(err)), 0);
	FLT_EQ_STR(v, "value");
	free(v);
	unsetenv(VAR);
}

FLT_TEST(booleans_in_any_case)
{
	static const char *const yes[] = { "true", "TRUE", "True", "1", "yes", "YES", "Yes" };
	static const char *const no[] = { "false", "FALSE", "False", "0", "no", "NO", "No" };
	char err[128] = "";
	bool b;

	for (size_t i = 0; i < FL_ARRAY_LEN(yes); i++) {
		b = false;
		setenv(VAR, yes[i], 1);
		FLT_EQ_INT(packenv_bool(VAR, &b, err, sizeof(err)), 0);
		FLT_ASSERT(b);
		b = true;
		setenv(VAR, no[i], 1);
		FLT_EQ_INT(packenv_bool(VAR, &b, err, sizeof(err)), 0);
		FLT_ASSERT(!b);
	}
	setenv(VAR, "maybe", 1);
	b = true;
	FLT_EQ_INT(packenv_bool(VAR, &b, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "invalid " VAR " 'maybe': expected true or false");
	FLT_ASSERT(b);
	unsetenv(VAR);
	b = true;
	FLT_EQ_INT(packenv_bool(VAR, &b, err, sizeof(err)), 0);
	FLT_ASSERT(b); /* unset: the default stays */
}

FLT_TEST(integers_whole_and_in_range)
{
	static const char *const bad[] = { "5x", "x5", " ", "1.5", "0", "61", "-1", "99999999999999999999999" };
	char err[128] = "";
	long n = 7;

	unsetenv(VAR);
	FLT_EQ_INT(packenv_long(VAR, 1, 60, &n, err, sizeof(err)), 0);
	FLT_EQ_INT(n, 7);
	setenv(VAR, "60", 1);
	FLT_EQ_INT(packenv_long(VAR, 1, 60, &n, err, sizeof(err)), 0);
	FLT_EQ_INT(n, 60);
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		setenv(VAR, bad[i], 1);
		n = 7;
		if (packenv_long(VAR, 1, 60, &n, err, sizeof(err)) != -1 || n != 7)
			FLT_FAIL("'%s' was accepted as %ld", bad[i], n);
	}
	setenv(VAR, "5x", 1);
	FLT_EQ_INT(packenv_long(VAR, 1, 60, &n, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "invalid " VAR " '5x': expected 1..60");
	FLT_EQ_INT(packenv_long(VAR, 0, LONG_MAX, &n, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "invalid " VAR " '5x': expected an integer >= 0");
	unsetenv(VAR);
}

FLT_TEST(secret_file_first_line)
{
	char path[] = "/tmp/flyte-packenv-XXXXXX", err[256] = "", *v = NULL;
	int fd = mkstemp(path);

	FLT_ASSERT(fd >= 0);
	FLT_EQ_INT(write(fd, "s3cret \r\nsecond line\n", 21), 21);
	close(fd);
	FLT_EQ_INT(packenv_secret_file(&v, "X_PASSWORD_FILE", path, err, sizeof(err)), 0);
	FLT_EQ_STR(v, "s3cret ");
	packenv_secret_free(v);
	unlink(path);
	FLT_EQ_INT(packenv_secret_file(&v, "X_PASSWORD_FILE", path, err, sizeof(err)), -1);
	FLT_ASSERT(v == NULL);
	FLT_ASSERT(!strncmp(err, "cannot read X_PASSWORD_FILE '/tmp/flyte-packenv-", 47));
	FLT_ASSERT(strstr(err, "No such file"));
	packenv_secret_free(NULL);
}

FLT_TEST(secret_in_a_variable_or_a_file)
{
	char path[] = "/tmp/flyte-packenv-XXXXXX", err[256] = "", *v = (char *)"not touched";
	int fd = mkstemp(path);

	FLT_ASSERT(fd >= 0);
	FLT_EQ_INT(write(fd, "from-file\n", 10), 10);
	close(fd);
	unsetenv("PACKENV_TEST_PASSWORD");
	unsetenv("PACKENV_TEST_PASSWORD_FILE");
	FLT_EQ_INT(packenv_secret(&v, "PACKENV_TEST_PASSWORD", "PACKENV_TEST_PASSWORD_FILE", err, sizeof(err)), 0);
	FLT_ASSERT(v == NULL);
	setenv("PACKENV_TEST_PASSWORD", "from-var", 1);
	FLT_EQ_INT(packenv_secret(&v, "PACKENV_TEST_PASSWORD", "PACKENV_TEST_PASSWORD_FILE", err, sizeof(err)), 0);
	FLT_EQ_STR(v, "from-var");
	packenv_secret_free(v);
	setenv("PACKENV_TEST_PASSWORD_FILE", path, 1);
	FLT_EQ_INT(packenv_secret(&v, "PACKENV_TEST_PASSWORD", "PACKENV_TEST_PASSWORD_FILE", err, sizeof(err)), -1);
	FLT_EQ_STR(err, "set PACKENV_TEST_PASSWORD or PACKENV_TEST_PASSWORD_FILE, not both");
	unsetenv("PACKENV_TEST_PASSWORD");
	FLT_EQ_INT(packenv_secret(&v, "PACKENV_TEST_PASSWORD", "PACKENV_TEST_PASSWORD_FILE", err, sizeof(err)), 0);
	FLT_EQ_STR(v, "from-file");
	packenv_secret_free(v);
	unsetenv("PACKENV_TEST_PASSWORD_FILE");
	unlink(path);
}

FLT_TEST(lists_trimmed)
{
	char **v = NULL, err[64];
	size_t n = 99;

	FLT_EQ_INT(packenv_list(&v, &n, " a ,b,, \t,c d\t", err, sizeof(err)), 0);
	FLT_EQ_INT(n, 3);
	FLT_EQ_STR(v[0], "a");
	FLT_EQ_STR(v[1], "b");
	FLT_EQ_STR(v[2], "c d");
	FLT_ASSERT(v[3] == NULL);
	packenv_list_free(v);
	FLT_EQ_INT(packenv_list(&v, NULL, NULL, err, sizeof(err)), 0);
	FLT_ASSERT(v[0] == NULL);
	packenv_list_free(v);
	packenv_list_free(NULL);
}

/* The Ticker took "5x" for 5 (strtol without an end check). */
FLT_TEST(ticker_interval_is_a_whole_number)
{
	struct ticker t;
	char err[128] = "";

	unsetenv("FLYTE_TICKER_INTERVAL_SEC");
	FLT_EQ_INT(ticker_from_env(&t, err, sizeof(err)), 0);
	FLT_EQ_INT(t.interval_sec, 60);
	FLT_EQ_INT(t.wake_fd, -1);
	setenv("FLYTE_TICKER_INTERVAL_SEC", "30", 1);
	FLT_EQ_INT(ticker_from_env(&t, err, sizeof(err)), 0);
	FLT_EQ_INT(t.interval_sec, 30);
	setenv("FLYTE_TICKER_INTERVAL_SEC", "5x", 1);
	FLT_EQ_INT(ticker_from_env(&t, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "invalid FLYTE_TICKER_INTERVAL_SEC '5x': expected 1..86400");
	setenv("FLYTE_TICKER_INTERVAL_SEC", "86401", 1);
	FLT_EQ_INT(ticker_from_env(&t, err, sizeof(err)), -1);
	unsetenv("FLYTE_TICKER_INTERVAL_SEC");
}

/* The Shell, Serf, Email and ldap packs took only lower-case words, the REST packs any case. */
FLT_TEST(shell_and_serf_booleans_in_any_case)
{
	struct shell_config sc;
	struct serf_config fc;
	char err[256] = "";

	setenv("FLYTE_SHELL_CLEAN_ENV", "True", 1);
	FLT_EQ_INT(shell_config_from_env(&sc, err, sizeof(err)), 0);
	FLT_ASSERT(sc.clean_env);
	shell_config_release(&sc);
	setenv("FLYTE_SHELL_CLEAN_ENV", "sometimes", 1);
	FLT_EQ_INT(shell_config_from_env(&sc, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "invalid FLYTE_SHELL_CLEAN_ENV 'sometimes': expected true or false");
	shell_config_release(&sc);
	unsetenv("FLYTE_SHELL_CLEAN_ENV");
	setenv("FLYTE_SHELL_TIMEOUT_SEC", "-1", 1);
	FLT_EQ_INT(shell_config_from_env(&sc, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "invalid FLYTE_SHELL_TIMEOUT_SEC '-1': expected an integer >= 0");
	shell_config_release(&sc);
	unsetenv("FLYTE_SHELL_TIMEOUT_SEC");

	setenv("SERF_MEMBER_EVENTS", "YES", 1);
	setenv("SERF_JOIN_HOSTS", " a:7946 , b:7946,", 1);
	FLT_EQ_INT(serf_config_from_env(&fc, err, sizeof(err)), 0);
	FLT_ASSERT(fc.member_events);
	FLT_EQ_INT(fc.n_join, 2);
	FLT_EQ_STR(fc.join_hosts[1], "b:7946");
	FLT_EQ_STR(fc.pack_name, "Serf");
	serf_config_release(&fc);
	unsetenv("SERF_MEMBER_EVENTS");
	unsetenv("SERF_JOIN_HOSTS");
}

FLT_TEST(ldap_settings)
{
	struct ldap_config c;
	char err[256] = "";

	setenv("LDAP_URL", "localhost:389", 1);
	setenv("BASE_DN", "dc=example,dc=org", 1);
	setenv("SEARCH_FILTER", "(uid={username})", 1);
	setenv("GROUP_ATTRIBUTE", "cn", 1);
	setenv("ATTRIBUTES", "memberOf, isMemberOf", 1);
	setenv("LDAP_STARTTLS", "TRUE", 1);
	FLT_EQ_INT(ldap_config_from_env(&c, err, sizeof(err)), 0);
	FLT_ASSERT(c.starttls);
	FLT_EQ_STR(c.url, "ldap://localhost:389");
	FLT_EQ_STR(c.attributes[1], "isMemberOf");
	FLT_EQ_STR(c.member_attribute, "member");
	ldap_config_release(&c);
	unsetenv("BASE_DN");
	FLT_EQ_INT(ldap_config_from_env(&c, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "BASE_DN is not set");
	ldap_config_release(&c);
	unsetenv("LDAP_URL");
	unsetenv("SEARCH_FILTER");
	unsetenv("GROUP_ATTRIBUTE");
	unsetenv("ATTRIBUTES");
	unsetenv("LDAP_STARTTLS");
}

FLT_MAIN(get_treats_empty_as_unset, dup_and_need, booleans_in_any_case, integers_whole_and_in_range,
	 secret_file_first_line, secret_in_a_variable_or_a_file, lists_trimmed, ticker_interval_is_a_whole_number,
	 shell_and_serf_booleans_in_any_case, ldap_settings)
