/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-jira, the Jira pack: issues, comments, searches,
 * assignments, transitions and links through Jira REST v2.  Configuration
 * is read from the environment (docs/packs/jira.md).
 */
#include "fl-common.h"

#include "jira.h"
#include "packutil.h"

static const char help[] =
	"usage: flyte-jira\n"
	"Runs the Jira pack (pack name Jira). Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)  flyte server URL (required)\n"
	"  JIRA_HOST                     Jira base URL, e.g. https://jira.example.com\n"
	"  JIRA_USER                     user name (Jira Cloud: the account e-mail)\n"
	"  JIRA_PASSWORD                 password, or\n"
	"  JIRA_API_TOKEN                API token (used as the Basic password)\n"
	"  JIRA_BEARER_TOKEN             personal access token (instead of user and password)\n"
	"  JIRA_CA_FILE, JIRA_CA_PATH    extra trusted CAs (PEM file, hashed directory)\n"
	"  JIRA_INSECURE                 true: do not verify Jira's certificate (default false)\n"
	"  JIRA_TIMEOUT_SEC              per request (default 30), JIRA_CONNECT_TIMEOUT_SEC (10)\n"
	"  JIRA_RETRIES                  retries of idempotent requests (default 2)\n"
	"  JIRA_RETRY_DELAY_MS           first retry delay (default 500)\n"
	"  JIRA_MAX_RESPONSE_BYTES       largest answer read (default 8388608)\n"
	"  FLYTE_LABELS, FLYTE_PACK_CONCURRENCY, FLYTE_API_TIMEOUT, FLYTE_JWT,\n"
	"  FLYTE_LOG_LEVEL               see docs/packs.md\n"
	"A missing JIRA_* variable does not stop the pack: every command then answers\n"
	"with its failure event naming the variable.\n";

int main(int argc, char **argv)
{
	struct jira j;
	char err[512];
	int rc = packutil_args(argc, argv, "flyte-jira", help);

	if (rc >= 0)
		return rc;
	if (jira_from_env(&j, flyte_log_stderr, packutil_log_level(), err, sizeof(err)))
		rc = packutil_fail("flyte-jira", err);
	else
		rc = packutil_serve("flyte-jira", "Jira", jira_commands, jira_n_commands, &j,
				    j.rest.http ? NULL : j.rest.error);
	jira_release(&j);
	return rc;
}
