/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-graphite, the Graphite pack: marks events (deploys,
 * incidents) on Graphite dashboards through graphite-web's events API.
 * Configuration is read from the environment (docs/packs/graphite.md).
 */
#include "fl-common.h"

#include "graphite.h"

static const char help[] =
	"usage: flyte-graphite\n"
	"Runs the Graphite pack (pack name Graphite). Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)   flyte server URL (required)\n"
	"  FLYTE_LABELS                   pack labels, k=v,k=v\n"
	"  GRAPHITE_HOST                  graphite-web base URL, e.g. http://graphite.example.com\n"
	"  GRAPHITE_USER, GRAPHITE_PASSWORD  Basic authentication, when graphite-web needs it\n"
	"  GRAPHITE_CA_FILE, GRAPHITE_CA_PATH  extra trusted CAs (PEM file, hashed directory)\n"
	"  GRAPHITE_INSECURE              true: do not verify the certificate (default false)\n"
	"  GRAPHITE_TIMEOUT_SEC           per request (default 10), GRAPHITE_CONNECT_TIMEOUT_SEC (10)\n"
	"  GRAPHITE_RETRIES, GRAPHITE_RETRY_DELAY_MS, GRAPHITE_MAX_RESPONSE_BYTES\n"
	"  FLYTE_PACK_CONCURRENCY, FLYTE_API_TIMEOUT, FLYTE_JWT, FLYTE_LOG_LEVEL  see docs/packs.md\n"
	"A missing GRAPHITE_HOST does not stop the pack: AddEvents then answers\n"
	"AddEventsFailure naming it.\n";

int main(int argc, char **argv)
{
	return restpack_main(argc, argv, "flyte-graphite", "Graphite", help, graphite_commands, graphite_n_commands,
			     graphite_from_env);
}
