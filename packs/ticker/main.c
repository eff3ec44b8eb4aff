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
	struct flyte_event_def tick = { "Tick", NULL };
	struct flyte_pack_def def = { .name = "Ticker", .events = &tick, .n_events = 1 };
	struct packutil_session s = { 0 };
	struct ticker t;
	char err[256];
	int rc = packutil_args(argc, argv, "flyte-ticker", help);

	if (rc >= 0)
		return rc;
	if (ticker_from_env(&t, err, sizeof(err)))
		return packutil_fail("flyte-ticker", err);
	rc = 1;
	if (!packutil_open(&s, "flyte-ticker", &def, NULL, PACKUTIL_START)) {
		t.pack = s.pack;
		if ((t.wake_fd = packutil_signal_fd()) < 0)
			packutil_fail("flyte-ticker", "cannot set up signal handling");
		else
			rc = ticker_loop(&t);
	}
	packutil_close(&s);
	return rc;
}
