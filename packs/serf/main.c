/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-serf, the Serf pack: forwards the user events of a Serf
 * cluster to flyte as "UserEvent" and fires user events for "SendEvent"
 * actions, through a Serf agent's RPC port (see serf.c and
 * docs/packs/serf.md).
 */
#include "fl-common.h"

#include "packutil.h"
#include "serf.h"

static const char help[] =
	"usage: flyte-serf\n"
	"Runs the Serf pack (events UserEvent, JoinFailed, MemberEvent; command SendEvent)\n"
	"against a Serf agent. Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)   flyte server URL (required)\n"
	"  FLYTE_LABELS                   pack labels, k=v,k=v\n"
	"  PACK_NAME                      pack name (default Serf)\n"
	"  SERF_RPC_ADDR                  the agent's RPC address host:port (default 127.0.0.1:7373)\n"
	"  SERF_RPC_AUTH                  the agent's RPC key (secret, never logged)\n"
	"  SERF_JOIN_HOSTS                hosts the agent joins on every (re)connect, comma-separated\n"
	"  SERF_MEMBER_EVENTS             true: also send MemberEvent on member join/leave/failure\n"
	"  SERF_RPC_TIMEOUT_MS            timeout of each RPC answer (default 5000)\n"
	"  SERF_RECONNECT_MAX_MS          longest wait between reconnects (default 5000)\n"
	"  FLYTE_PACK_CONCURRENCY         SendEvent actions at once (default 8)\n"
	"  FLYTE_API_TIMEOUT, FLYTE_JWT, FLYTE_LOG_LEVEL  see docs/packs.md\n";

int main(int argc, char **argv)
{
	static const char *const agent_vars[] = { "SERF_NODE_NAME", "SERF_ADVERTISE", "SERF_KEYRING_FILE" };
	struct serf_config cfg = { 0 };
	struct flyte_command_def cmd = PACKUTIL_COMMAND("SendEvent", serf_send_handler, "EventSent", "SendEventFailed");
	struct flyte_event_def events[] = { { "UserEvent", NULL }, { "JoinFailed", NULL }, { "MemberEvent", NULL } };
	struct flyte_pack_def def = { .commands = &cmd, .n_commands = 1, .events = events };
	struct packutil_session ps = { 0 };
	struct serf_stream s = { .cfg = &cfg };
	char err[512];
	int rc = packutil_args(argc, argv, "flyte-serf", help);

	if (rc >= 0)
		return rc;
	rc = 1;
	if (serf_config_from_env(&cfg, err, sizeof(err))) {
		packutil_fail("flyte-serf", err);
		goto out;
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(agent_vars); i++)
		if (getenv(agent_vars[i]))
			fprintf(stderr, "flyte-serf: %s is ignored: it is a setting of the serf agent now\n",
				agent_vars[i]);
	def.name = cfg.pack_name;
	def.n_events = cfg.member_events ? 3 : 2;
	if (packutil_open(&ps, "flyte-serf", &def, &cfg, PACKUTIL_START))
		goto out;
	s.pack = ps.pack;
	if ((s.wake_fd = packutil_signal_fd()) < 0) {
		packutil_fail("flyte-serf", "cannot set up signal handling");
		goto out;
	}
	fprintf(stderr, "flyte-serf: pack %s, agent %s, events '%s'%s\n", cfg.pack_name, cfg.rpc_addr,
		serf_stream_type(&cfg), cfg.rpc_auth ? ", RPC key set" : "");
	rc = serf_stream_run(&s);
out:
	packutil_close(&ps);
	serf_config_release(&cfg);
	return rc;
}
