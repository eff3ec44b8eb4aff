/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-bamboo, the Bamboo pack: labels, comments, stages, plans
 * and build states through Bamboo's REST API.  Configuration is read from
 * the environment (docs/packs/bamboo.md).
 */
#include "fl-common.h"

#include "bamboo.h"

static const char help[] =
	"usage: flyte-bamboo\n"
	"Runs the Bamboo pack (pack name Bamboo). Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)  flyte server URL (required)\n"
	"  BAMBOO_HOST                   Bamboo base URL, e.g. https://bamboo.example.com\n"
	"  BAMBOO_USER, BAMBOO_PASS      user and password (BAMBOO_PASSWORD is read too)\n"
	"  BAMBOO_TOKEN                  personal access token (instead of user and password)\n"
	"  BAMBOO_CA_FILE, BAMBOO_CA_PATH  extra trusted CAs (PEM file, hashed directory)\n"
	"  BAMBOO_INSECURE               true: do not verify Bamboo's certificate (default false)\n"
	"  BAMBOO_TIMEOUT_SEC            per request (default 60), BAMBOO_CONNECT_TIMEOUT_SEC (10)\n"
	"  BAMBOO_RETRIES                retries of idempotent requests (default 2)\n"
	"  BAMBOO_RETRY_DELAY_MS         first retry delay (default 500)\n"
	"  BAMBOO_MAX_RESPONSE_BYTES     largest answer read (default 8388608)\n"
	"  FLYTE_LABELS, FLYTE_PACK_CONCURRENCY, FLYTE_API_TIMEOUT, FLYTE_JWT,\n"
	"  FLYTE_LOG_LEVEL               see docs/packs.md\n"
	"A missing BAMBOO_* variable does not stop the pack: every command then answers\n"
	"with its failure event naming the variable.\n";

int main(int argc, char **argv)
{
	return restpack_main(argc, argv, "flyte-bamboo", "Bamboo", help, bamboo_commands, bamboo_n_commands,
			     bamboo_from_env);
}
