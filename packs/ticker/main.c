/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-ticker, the Ticker pack: sends a "Tick" event
 * {"time": "<RFC 3339>"} at every wall-clock minute (see ticker.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "packutil.h"
#include "ticker.h"

static const char help[] =
	"usage: flyte-ticker\n"
	"Runs the Ticker pack: a Tick event at the start of every minute. Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)   flyte server URL (required)\n"
	"  FLYTE_LABELS                   pack labels, k=v,k=v\n"
	"  FLYTE_TICKER_INTERVAL_SEC      tick every N seconds, aligned to multiples of N (default 60)\n"
	"  FLYTE_API_TIMEOUT, FLYTE_JWT, FLYTE_LOG_LEVEL  see docs/packs.md\n";

int main(int argc, char **argv)
{
	struct flyte_client *client = NULL;
	struct flyte_labels *labels = NULL;
	struct flyte_event_def tick = { "Tick", NULL };
	struct flyte_pack_def def = { 0 };
	struct flyte_pack_options po;
	struct ticker t = { NULL, 60, -1, 200, 10000 };
	const char *iv = getenv("FLYTE_TICKER_INTERVAL_SEC");
	int rc = packutil_args(argc, argv, "flyte-ticker", help);

	if (rc >= 0)
		return rc;
	rc = 1;
	if (iv && *iv && ((t.interval_sec = strtol(iv, NULL, 10)) < 1 || t.interval_sec > 86400)) {
		fprintf(stderr, "flyte-ticker: invalid FLYTE_TICKER_INTERVAL_SEC '%s': expected 1..86400\n", iv);
		return 1;
	}
	if (packutil_client(&client, &labels, "flyte-ticker") || packutil_options(&po, "flyte-ticker"))
		goto out;
	def.name = "Ticker";
	def.labels = labels;
	def.events = &tick;
	def.n_events = 1;
	if (flyte_pack_new(&t.pack, client, &def, &po) || flyte_pack_start(t.pack) ||
	    (t.wake_fd = packutil_signal_fd()) < 0) {
		fprintf(stderr, "flyte-ticker: %s\n", flyte_last_error());
		goto out;
	}
	rc = ticker_loop(&t);
out:
	flyte_pack_free(t.pack);
	flyte_labels_free(labels);
	flyte_client_free(client);
	return rc;
}
