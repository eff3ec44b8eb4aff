/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-slack, the chat pack: Slack through Socket Mode (or the
 * Events API) and the Web API; started as HipChat it offers the HipChat
 * pack's commands and events on Slack channels.  Configuration is read
 * from the environment (docs/packs/slack.md).
 */
#include "fl-common.h"

#include <ctype.h>
#include <poll.h>
#include <unistd.h>

#include "packutil.h"
#include "slack.h"

#define PROG "flyte-slack"

static const char help[] =
	"usage: flyte-slack\n"
	"Runs the Slack pack (pack name Slack), or the HipChat pack on Slack (pack name HipChat).\n"
	"Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)  flyte server URL (required)\n"
	"  FLYTE_SLACK_TOKEN             bot token, xoxb-... (required)\n"
	"  FLYTE_SLACK_APP_TOKEN         app-level token, xapp-... with connections:write:\n"
	"                                receive messages through Socket Mode\n"
	"  FLYTE_SLACK_EVENTS_ADDR       [address:]port: receive through the Events API on this\n"
	"                                HTTP endpoint instead (or as well)\n"
	"  FLYTE_SLACK_SIGNING_SECRET    the app's signing secret (required with the Events API)\n"
	"  FLYTE_SLACK_EVENTS_PATH       path of the endpoint (default /slack/events)\n"
	"  PACK_NAME                     pack name (default Slack); HipChat selects the HipChat flavour\n"
	"  FLYTE_SLACK_FLAVOUR           slack or hipchat (default: hipchat when PACK_NAME is HipChat)\n"
	"  RENEW_CONVERSATION_LIST       hours the channel list is cached (default 24)\n"
	"  SLACK_USER_CACHE_SEC          seconds users.info answers are cached (default 3600)\n"
	"  SLACK_CHANNEL_TYPES           conversation types listed (default public_channel,private_channel)\n"
	"  SLACK_API_URL                 Web API base URL (default https://slack.com/api)\n"
	"  SLACK_CA_FILE, SLACK_CA_PATH  extra trusted CAs; SLACK_INSECURE=true: no verification\n"
	"  SLACK_TIMEOUT_SEC, SLACK_CONNECT_TIMEOUT_SEC, SLACK_RETRIES, SLACK_RETRY_DELAY_MS,\n"
	"  SLACK_MAX_RESPONSE_BYTES      Web API requests (see docs/packs.md, HTTP packs)\n"
	"  SLACK_RECONNECT_DELAY_MS      first Socket Mode reconnection delay (default 500)\n"
	"HipChat flavour:\n"
	"  DEFAULT_JOIN_ROOM             room (Slack channel id or name) joined at start\n"
	"  BKP_DIR                       directory of rooms.json, the joined rooms\n"
	"                                (default $TMPDIR/flyte-hipchat)\n"
	"  HIPCHAT_ROOM_MAP              room=channel,... for HipChat room ids that are no channel name\n"
	"Common: FLYTE_LABELS, FLYTE_PACK_CONCURRENCY, FLYTE_API_TIMEOUT, FLYTE_JWT,\n"
	"  FLYTE_LOG_LEVEL (LOGLEVEL is read too), see docs/packs.md.\n"
	"Tokens and the signing secret are never logged.\n";

/* The original pack's LOGLEVEL=DEBUG|INFO|... when FLYTE_LOG_LEVEL is not set. */
static void legacy_log_level(void)
{
	const char *v = getenv("LOGLEVEL");
	char lower[16];
	size_t i;

	if (!v || !*v || getenv("FLYTE_LOG_LEVEL"))
		return;
	for (i = 0; v[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)v[i]);
	lower[i] = '\0';
	if (!strcmp(lower, "fatal"))
		snprintf(lower, sizeof(lower), "error");
	setenv("FLYTE_LOG_LEVEL", lower, 0);
}

int main(int argc, char **argv)
{
	struct packutil_session ps = { 0 };
	struct flyte_pack_def def = { 0 };
	struct slack s;
	struct pollfd pfd;
	char err[512];
	int rc = packutil_args(argc, argv, PROG, help);

	if (rc >= 0)
		return rc;
	rc = 1;
	legacy_log_level();
	if (slack_init(&s, flyte_log_stderr, packutil_log_level(), err, sizeof(err))) {
		slack_release(&s);
		return packutil_fail(PROG, err);
	}
	pfd.fd = packutil_signal_fd();
	pfd.events = POLLIN;
	if (pfd.fd < 0) {
		packutil_fail(PROG, "cannot set up signal handling");
		goto out;
	}
	def.name = s.cfg.pack_name;
	def.commands = slack_commands(&s, &def.n_commands);
	def.events = slack_events(&s, &def.n_events);
	if (packutil_open(&ps, PROG, &def, &s, PACKUTIL_START))
		goto out;
	if (slack_start(&s, ps.pack, err, sizeof(err))) {
		packutil_fail(PROG, err);
		goto out;
	}
	fprintf(stderr, PROG ": pack %s started (%s flavour)\n", s.cfg.pack_name,
		s.cfg.flavour == SLACK_FLAVOUR_HIPCHAT ? "HipChat" : "Slack");
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	rc = 0;
out:
	/* receivers first, then what is queued goes to flyte, then the pack stops */
	slack_stop(&s, 5000);
	if (ps.pack && flyte_pack_stop(ps.pack))
		packutil_fail(PROG, flyte_pack_last_error(ps.pack));
	packutil_close(&ps);
	slack_release(&s);
	return rc;
}
