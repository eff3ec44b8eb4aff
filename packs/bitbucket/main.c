/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-bitbucket, the Bitbucket pack: creates repositories on
 * Bitbucket Server / Data Center.  Configuration is read from the
 * environment (docs/packs/bitbucket.md).
 */
#include "fl-common.h"

#include "bitbucket.h"

static const char help[] =
	"usage: flyte-bitbucket\n"
	"Runs the Bitbucket pack (pack name BitBucket). Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)    flyte server URL (required)\n"
	"  BITBUCKET_HOST                  Bitbucket base URL, e.g. https://bitbucket.example.com\n"
	"  BITBUCKET_USER, BITBUCKET_PASS  user and password\n"
	"  BITBUCKET_TOKEN                 HTTP access token (instead of user and password)\n"
	"  BITBUCKET_CA_FILE, BITBUCKET_CA_PATH  extra trusted CAs (PEM file, hashed directory)\n"
	"  BITBUCKET_INSECURE              true: do not verify the certificate (default false)\n"
	"  BITBUCKET_TIMEOUT_SEC           per request (default 30), BITBUCKET_CONNECT_TIMEOUT_SEC (10)\n"
	"  BITBUCKET_RETRIES, BITBUCKET_RETRY_DELAY_MS, BITBUCKET_MAX_RESPONSE_BYTES\n"
	"  FLYTE_LABELS, FLYTE_PACK_CONCURRENCY, FLYTE_API_TIMEOUT, FLYTE_JWT,\n"
	"  FLYTE_LOG_LEVEL                 see docs/packs.md\n"
	"A missing BITBUCKET_* variable does not stop the pack: createRepo then answers\n"
	"createRepoFailure naming the variable.\n";

int main(int argc, char **argv)
{
	return restpack_main(argc, argv, "flyte-bitbucket", "BitBucket", help, bitbucket_commands, bitbucket_n_commands,
			     bitbucket_from_env);
}
