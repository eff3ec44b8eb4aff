/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-ldap, the ldap pack: answers "GetGroups" actions with the
 * groups of a user read from an LDAP directory (see ldappack.c and
 * docs/packs/ldap.md).
 */
#include "fl-common.h"

#include "ldappack.h"
#include "packutil.h"

static const char help[] =
	"usage: flyte-ldap\n"
	"Runs the ldap pack (command GetGroups). Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)   flyte server URL (required)\n"
	"  FLYTE_LABELS                   pack labels, k=v,k=v\n"
	"  LDAP_URL                       host:port, or an ldap://, ldaps:// or ldapi:// URL (required)\n"
	"  BIND_USERNAME                  DN to bind as (anonymous when unset)\n"
	"  BIND_PASSWORD                  its password (secret, never logged)\n"
	"  BIND_PASSWORD_FILE             file whose first line is the password\n"
	"  BASE_DN                        where users are searched (required)\n"
	"  SEARCH_FILTER                  user filter with {username}, e.g. (uid={username}) (required)\n"
	"  ATTRIBUTES                     user attributes holding group DNs, e.g. memberOf\n"
	"  GROUP_ATTRIBUTE                RDN attribute naming a group, e.g. cn (required)\n"
	"  SEARCH_TIMEOUT_IN_SECONDS      timeout of each search (default 20)\n"
	"  LDAP_STARTTLS                  true: StartTLS on an ldap:// connection\n"
	"  LDAP_CA_FILE                   PEM CA certificates to verify the server with\n"
	"  LDAP_INSECURE                  true: do not verify the server certificate\n"
	"  GROUP_SEARCH_BASE_DN           also search groups naming the user as member here\n"
	"  GROUP_MEMBER_ATTRIBUTE         member attribute of groups (default member)\n"
	"  GROUP_SEARCH_DEPTH             levels of nested groups followed (default 10)\n"
	"  FLYTE_PACK_CONCURRENCY         lookups at once and pooled connections (default 8)\n"
	"  FLYTE_API_TIMEOUT, FLYTE_JWT, FLYTE_LOG_LEVEL  see docs/packs.md\n";

int main(int argc, char **argv)
{
	struct ldap_config cfg = { 0 };
	struct ldap_pool pool = { 0 };
	struct flyte_command_def cmd =
		PACKUTIL_COMMAND("GetGroups", ldap_groups_handler, "GroupsRetrieved", "GroupsRetrievalError");
	struct flyte_pack_def def = { .name = "ldap", .commands = &cmd, .n_commands = 1 };
	struct packutil_session s = { 0 };
	char err[512];
	int rc = packutil_args(argc, argv, "flyte-ldap", help);

	if (rc >= 0)
		return rc;
	rc = 1;
	if (ldap_config_from_env(&cfg, err, sizeof(err))) {
		packutil_fail("flyte-ldap", err);
		goto out;
	}
	if (packutil_open(&s, "flyte-ldap", &def, &pool, 0))
		goto out;
	cfg.pool_max = s.po.concurrency; /* a connection per action in progress */
	if (ldap_pool_init(&pool, &cfg)) {
		packutil_fail("flyte-ldap", "out of memory");
		goto out;
	}
	fprintf(stderr, "flyte-ldap: directory %s%s, bind %s, base '%s'\n", cfg.url, cfg.starttls ? " (StartTLS)" : "",
		cfg.bind_dn ? cfg.bind_dn : "anonymous", cfg.base_dn);
	rc = packutil_run(s.pack, "flyte-ldap");
out:
	packutil_close(&s);
	ldap_pool_release(&pool);
	ldap_config_release(&cfg);
	return rc;
}
