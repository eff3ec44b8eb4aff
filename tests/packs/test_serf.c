/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_serf.c - the Serf pack against real serf agents on loopback.
 *
 * Agents a, b and c run `serf agent` on free ports of 127.0.0.1; b and c
 * form a cluster, b runs an event handler that appends every user event
 * to a file, a (whose RPC port needs a key) is joined to the cluster by the
 * pack itself (SERF_JOIN_HOSTS).  Through the real flyte server:
 *  - a user event fired on c reaches the pack through a as UserEvent and
 *    starts a flow whose SendEvent action fires "deployed" on the cluster,
 *    which b's handler records;
 *  - agent a is killed and started again: the pack reconnects, joins b
 *    again, and the next user event runs the flow again;
 *  - a join that cannot succeed is a JoinFailed event, the pack stays up;
 *  - SendEvent failures (oversized payload, no name) are SendEventFailed;
 *  - with SERF_MEMBER_EVENTS, an agent joining and leaving gives
 *    MemberEvent member-join and member-leave.
 */
#include "fl-common.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fltest.h"
#include "harness.h"
#include "pkt.h"

#define RPC_KEY "rpc-K3y-s3cret"

struct agent {
	const char *name;
	pid_t pid;
	int bind_port, rpc_port;
	char bind[32], rpc[32];
	const char *auth;
	const char *handler;
	const char *join;
};

static struct flh_server *srv;
static struct agent a = { "a", 0, 0, 0, "", "", RPC_KEY, NULL, NULL };
static struct agent b = { "b", 0, 0, 0, "", "", NULL, NULL, NULL };
static struct agent c = { "c", 0, 0, 0, "", "", NULL, NULL, NULL };
static pid_t serf_pack;
static char events_file[256];

static void agent_start(struct agent *ag)
{
	char node[64], bindarg[64], rpcarg[64], auth[600], handler[300], join[64], log[32];
	const char *argv[12];
	size_t n = 0;

	if (!ag->bind_port) {
		ag->bind_port = pkt_free_port(true);
		ag->rpc_port = pkt_free_port(false);
		FLH_ASSERT(ag->bind_port > 0 && ag->rpc_port > 0 && ag->bind_port != ag->rpc_port);
		snprintf(ag->bind, sizeof(ag->bind), "127.0.0.1:%d", ag->bind_port);
		snprintf(ag->rpc, sizeof(ag->rpc), "127.0.0.1:%d", ag->rpc_port);
	}
	snprintf(node, sizeof(node), "-node=%s", ag->name);
	snprintf(bindarg, sizeof(bindarg), "-bind=%s", ag->bind);
	snprintf(rpcarg, sizeof(rpcarg), "-rpc-addr=%s", ag->rpc);
	snprintf(log, sizeof(log), "serf-%s.log", ag->name);
	argv[n++] = "/usr/bin/serf";
	argv[n++] = "agent";
	argv[n++] = node;
	argv[n++] = bindarg;
	argv[n++] = rpcarg;
	argv[n++] = "-log-level=warn";
	if (ag->auth) {
		/* the agent takes its RPC key from a configuration file only */
		char json[128];
		snprintf(json, sizeof(json), "{\"rpc_auth\": \"%s\"}\n", ag->auth);
		FLH_ASSERT(pkt_write_file(pkt_path("serf-%s.json", ag->name), json) == 0);
		snprintf(auth, sizeof(auth), "-config-file=%s", pkt_path("serf-%s.json", ag->name));
		argv[n++] = auth;
	}
	if (ag->handler) {
		snprintf(handler, sizeof(handler), "-event-handler=user=%s", ag->handler);
		argv[n++] = handler;
	}
	if (ag->join) {
		snprintf(join, sizeof(join), "-join=%s", ag->join);
		argv[n++] = join;
	}
	argv[n] = NULL;
	ag->pid = pkt_spawn(argv, NULL, log);
	FLH_ASSERT(ag->pid > 0);
	if (!pkt_wait_port(ag->rpc_port, 20000)) {
		pkt_log_tail(log, 30);
		FLH_FAIL("serf agent %s did not start (is the serf package installed?)", ag->name);
	}
}

/* Run the serf CLI against an agent; returns its output (caller frees). */
static char *serf_cli(const struct agent *ag, const char *cmd, const char *x, const char *y)
{
	char rpc[64], auth[64];
	const char *argv[8] = { "/usr/bin/serf", cmd, rpc, NULL, NULL, NULL, NULL, NULL };
	size_t n = 3;
	char *out = NULL;
	int rc;

	snprintf(rpc, sizeof(rpc), "-rpc-addr=%s", ag->rpc);
	if (ag->auth) {
		snprintf(auth, sizeof(auth), "-rpc-auth=%s", ag->auth);
		argv[n++] = auth;
	}
	argv[n++] = x;
	argv[n++] = y;
	rc = pkt_run(argv, NULL, 20000, &out);
	FLH_ASSERT_MSG(rc == 0, "serf %s failed (%d): %s", cmd, rc, out);
	return out;
}

/* True once `ag` sees a member named `name` alive. */
static bool member_alive(const struct agent *ag, const char *name)
{
	char *out = serf_cli(ag, "members", "-status=alive", NULL);
	char pat[64];
	bool ok;

	/* one member per line: "<name>  <addr>  alive" */
	snprintf(pat, sizeof(pat), "\n%s ", name);
	ok = !strncmp(out, pat + 1, strlen(pat + 1)) || strstr(out, pat);
	free(out);
	return ok;
}

/* Occurrences of `needle` in <dir>/<logname>. */
static int log_count(const char *logname, const char *needle)
{
	char *text = pkt_read_file(pkt_path("%s", logname));
	int n = 0;

	for (const char *p = text; p && (p = strstr(p, needle)); p++)
		n++;
	free(text);
	return n;
}

/* True once b's event handler has recorded `line`. */
static bool b_recorded(const char *line)
{
	char *text = pkt_read_file(events_file);
	bool ok = text && strstr(text, line);

	free(text);
	return ok;
}

static void setup(void)
{
	pkt_kill_all(); /* nothing survives a failed case: start again */
	a.pid = b.pid = c.pid = serf_pack = 0;
	if (!srv)
		FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	if (!events_file[0]) {
		char script[600];
		snprintf(events_file, sizeof(events_file), "%s", pkt_path("b-events.txt"));
		snprintf(script, sizeof(script), "#!/bin/sh\nprintf '%%s %%s\\n' \"$SERF_USER_EVENT\" \"$(cat)\" >> '%s'\n",
			 events_file);
		FLH_ASSERT(pkt_write_file(pkt_path("handler.sh"), script) == 0);
		FLH_ASSERT(chmod(pkt_path("handler.sh"), 0755) == 0);
		b.handler = strdup(pkt_path("handler.sh"));
	}
}

static void start_cluster(void)
{
	static char bjoin[32];
	bool ok;

	agent_start(&b);
	snprintf(bjoin, sizeof(bjoin), "%s", b.bind);
	c.join = bjoin;
	agent_start(&c);
	agent_start(&a);
	FLH_WAIT_FOR(ok, 20000, member_alive(&b, "c"));
	FLH_ASSERT_MSG(ok, "agent c did not join b");
}

/* Wait until the pack logged its n-th subscription to the agent's events. */
static void wait_subscribed(const char *logname, int n)
{
	bool ok;

	FLH_WAIT_FOR(ok, 30000, log_count(logname, "subscribed to ") >= n);
	if (!ok) {
		pkt_log_tail(logname, 20);
		FLH_FAIL("the pack did not subscribe to the agent's events");
	}
}

static void start_pack(void)
{
	char rpc[64], join[64];
	const char *env[] = { rpc, "SERF_RPC_AUTH=" RPC_KEY, join, "SERF_RECONNECT_MAX_MS=500", NULL };

	snprintf(rpc, sizeof(rpc), "SERF_RPC_ADDR=%s", a.rpc);
	snprintf(join, sizeof(join), "SERF_JOIN_HOSTS=%s", b.bind);
	serf_pack = pkt_pack_start(srv, getenv("FLYTE_SERF_BIN"), "Serf", env, "serf-pack.log");
	FLH_ASSERT(serf_pack > 0);
	wait_subscribed("serf-pack.log", 1);
}

/* The flow: a "deploy" user event on the cluster fires "deployed" with the same payload. */
static const char deploy_flow[] =
	"{\"name\":\"serf_deploy\",\"steps\":[{\"id\":\"relay\","
	"\"event\":{\"packName\":\"Serf\",\"name\":\"UserEvent\"},"
	"\"criteria\":\"{{ Event.Payload.name == 'deploy' }}\","
	"\"command\":{\"packName\":\"Serf\",\"name\":\"SendEvent\","
	"\"input\":{\"name\":\"deployed\",\"payload\":\"{{ Event.Payload.payload }}\",\"coalesce\":false}}}]}";

/* The relay action for `version` has completed with EventSent, whose payload is its input. */
static bool relay_done(const char *version)
{
	json_t *act = pkt_wait_trigger(srv, "serf_deploy", "relay", "payload", version, 1);
	const char *ev = flh_json_str(act, "result.event");
	bool ok = ev && !strcmp(ev, "EventSent") && flh_json_str(act, "result.payload.payload") &&
		  !strcmp(flh_json_str(act, "result.payload.payload"), version);

	json_decref(act);
	return ok;
}

/* Fire `deploy <version>` from agent `from`; wait for the flow's action and b's record. */
static void deploy_roundtrip(const struct agent *from, const char *version)
{
	char line[64], *out;
	json_t *act;
	bool ok;

	out = serf_cli(from, "event", "deploy", version);
	free(out);
	act = pkt_wait_trigger(srv, "serf_deploy", "relay", "payload", version, 30000);
	FLH_ASSERT_MSG(act != NULL, "no execution of serf_deploy for %s", version);
	FLH_EQ_STR(flh_json_str(act, "trigger.event"), "UserEvent");
	FLH_EQ_STR(flh_json_str(act, "trigger.payload.name"), "deploy");
	FLH_EQ_STR(flh_json_str(act, "input.name"), "deployed");
	FLH_EQ_STR(flh_json_str(act, "input.payload"), version);
	json_decref(act);
	snprintf(line, sizeof(line), "deployed %s\n", version);
	FLH_WAIT_FOR(ok, 30000, b_recorded(line));
	FLH_ASSERT_MSG(ok, "agent b never saw '%s'", line);
	FLH_WAIT_FOR(ok, 20000, relay_done(version));
	FLH_ASSERT_MSG(ok, "the relay action for %s did not end with EventSent", version);
}

FLT_TEST(user_event_runs_a_flow_that_sends_an_event)
{
	struct flh_resp *r;
	bool ok;
	char *log;

	setup();
	start_cluster();
	r = flh_post_json(srv, "/v1/flows", deploy_flow);
	FLH_STATUS(r, 201);
	flh_resp_free(r);
	start_pack();
	/* the pack made agent a join the cluster */
	FLH_WAIT_FOR(ok, 20000, member_alive(&b, "a"));
	FLH_ASSERT_MSG(ok, "agent a did not join b through the pack");

	deploy_roundtrip(&c, "v1.2.3");

	/* the RPC key never appears in the pack's log */
	log = pkt_read_file(pkt_path("serf-pack.log"));
	FLH_ASSERT(log && strstr(log, "connected to the serf agent") && !strstr(log, RPC_KEY));
	free(log);
}

FLT_TEST(send_event_results)
{
	char big[1200];
	json_t *act;

	bool ok;

	setup();
	start_cluster();
	start_pack();
	FLH_WAIT_FOR(ok, 20000, member_alive(&b, "a"));
	FLH_ASSERT(ok);
	act = pkt_action(srv, "Serf", "SendEvent", "{\"name\":\"ping\",\"payload\":\"héllo\",\"coalesce\":true}",
			 30000);
	FLH_ASSERT(act != NULL);
	FLH_EQ_STR(flh_json_str(act, "result.event"), "EventSent");
	FLH_EQ_STR(flh_json_str(act, "result.payload.name"), "ping");
	FLH_ASSERT(json_is_true(flh_json_get(act, "result.payload.coalesce")));
	json_decref(act);
	FLH_WAIT_FOR(ok, 20000, b_recorded("ping héllo\n"));
	FLH_ASSERT_MSG(ok, "agent b never saw the ping");

	/* Serf refuses user events larger than 512 bytes: the agent's reason as a plain string */
	memset(big, 'x', sizeof(big));
	memcpy(big, "{\"name\":\"big\",\"payload\":\"", 25);
	memcpy(big + 25 + 1000, "\"}", 3);
	act = pkt_action(srv, "Serf", "SendEvent", big, 30000);
	FLH_ASSERT(act != NULL);
	FLH_EQ_STR(flh_json_str(act, "result.event"), "SendEventFailed");
	FLH_ASSERT_MSG(flh_json_str(act, "result.payload") && strstr(flh_json_str(act, "result.payload"), "limit"),
		       "payload: %s", flh_json_dump(flh_json_get(act, "result.payload")));
	json_decref(act);
	act = pkt_action(srv, "Serf", "SendEvent", "{\"payload\":\"no name\"}", 30000);
	FLH_ASSERT(act != NULL);
	FLH_EQ_STR(flh_json_str(act, "result.event"), "SendEventFailed");
	FLH_EQ_STR(flh_json_str(act, "result.payload"), "name is required");
	json_decref(act);
}

FLT_TEST(agent_restart_is_survived)
{
	struct flh_resp *r;
	bool ok;

	setup();
	start_cluster();
	r = flh_post_json(srv, "/v1/flows", deploy_flow);
	FLH_ASSERT(r->status == 201 || r->status == 409 || r->status == 200);
	flh_resp_free(r);
	start_pack();
	FLH_WAIT_FOR(ok, 20000, member_alive(&b, "a"));
	FLH_ASSERT(ok);
	deploy_roundtrip(&c, "v2.0.0");

	/* agent a dies and comes back, knowing nobody: the pack reconnects and rejoins it */
	pkt_kill(a.pid);
	agent_start(&a);
	FLH_WAIT_FOR(ok, 30000, member_alive(&a, "b"));
	FLH_ASSERT_MSG(ok, "the restarted agent a was not joined to b again");
	FLH_ASSERT(pkt_alive(serf_pack));
	/* the pack noticed, and subscribed again after the join */
	FLH_ASSERT(log_count("serf-pack.log", "reconnecting") >= 1);
	wait_subscribed("serf-pack.log", 2);
	deploy_roundtrip(&b, "v2.0.1");
	FLH_EQ_INT(pkt_stop(serf_pack, 20000), 0);
}

FLT_TEST(join_failure_is_an_event)
{
	char rpc[64], join[64];
	const char *env[] = { rpc, join, "PACK_NAME=SerfBadJoin", NULL };
	static const char flow[] =
		"{\"name\":\"serf_joinfailed\",\"steps\":[{\"id\":\"s\","
		"\"event\":{\"packName\":\"SerfBadJoin\",\"name\":\"JoinFailed\"},"
		"\"command\":{\"packName\":\"Nobody\",\"name\":\"Record\",\"input\":\"{{ Event.Payload.error }}\"}}]}";
	json_t *act;
	pid_t pack;
	int dead = pkt_free_port(true);

	setup();
	c.join = NULL; /* c alone */
	agent_start(&c);
	FLH_EQ_INT(pkt_flow(srv, flow), 201);
	snprintf(rpc, sizeof(rpc), "SERF_RPC_ADDR=%s", c.rpc);
	snprintf(join, sizeof(join), "SERF_JOIN_HOSTS=127.0.0.1:%d", dead);
	pack = pkt_pack_start(srv, getenv("FLYTE_SERF_BIN"), "SerfBadJoin", env, "serf-badjoin.log");
	FLH_ASSERT(pack > 0);
	act = pkt_wait_trigger(srv, "serf_joinfailed", "s", NULL, NULL, 30000);
	FLH_ASSERT_MSG(act != NULL, "no JoinFailed event");
	FLH_ASSERT(strstr(flh_json_str(act, "trigger.payload.hosts.0"), "127.0.0.1:"));
	FLH_ASSERT(flh_json_str(act, "trigger.payload.error") && *flh_json_str(act, "trigger.payload.error"));
	json_decref(act);
	/* unlike the original, the pack does not exit */
	flh_sleep_ms(200);
	FLH_ASSERT(pkt_alive(pack));
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
}

FLT_TEST(member_events_behind_a_setting)
{
	static struct agent d = { "d", 0, 0, 0, "", "", NULL, NULL, NULL };
	char rpc[64], addr[64];
	const char *env[] = { rpc, "PACK_NAME=SerfMembers", "SERF_MEMBER_EVENTS=true", NULL };
	static const char flow[] =
		"{\"name\":\"serf_members\",\"steps\":[{\"id\":\"s\","
		"\"event\":{\"packName\":\"SerfMembers\",\"name\":\"MemberEvent\"},"
		"\"command\":{\"packName\":\"Nobody\",\"name\":\"Record\",\"input\":\"{{ Event.Payload.name }}\"}}]}";
	json_t *act;
	pid_t pack;

	setup();
	c.join = NULL; /* c alone */
	agent_start(&c);
	FLH_EQ_INT(pkt_flow(srv, flow), 201);
	snprintf(rpc, sizeof(rpc), "SERF_RPC_ADDR=%s", c.rpc);
	pack = pkt_pack_start(srv, getenv("FLYTE_SERF_BIN"), "SerfMembers", env, "serf-members.log");
	FLH_ASSERT(pack > 0);
	wait_subscribed("serf-members.log", 1);
	d.join = c.bind;
	d.pid = 0;
	agent_start(&d);
	act = pkt_wait_trigger(srv, "serf_members", "s", "memberName", "d", 30000);
	FLH_ASSERT_MSG(act != NULL, "no MemberEvent for d");
	FLH_EQ_STR(flh_json_str(act, "trigger.payload.name"), "member-join");
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", d.bind_port);
	FLH_EQ_STR(flh_json_str(act, "trigger.payload.memberAddr"), addr);
	json_decref(act);
	/* SIGINT makes the agent leave gracefully: a member-leave */
	FLH_ASSERT(kill(d.pid, SIGINT) == 0);
	act = pkt_wait_trigger(srv, "serf_members", "s", "name", "member-leave", 30000);
	FLH_ASSERT_MSG(act != NULL, "no MemberEvent for d leaving");
	FLH_EQ_STR(flh_json_str(act, "trigger.payload.memberName"), "d");
	json_decref(act);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
}

FLT_TEST(stop_everything)
{
	pkt_kill_all();
	flh_server_free(srv);
	srv = NULL;
}

FLT_MAIN(user_event_runs_a_flow_that_sends_an_event, send_event_results, agent_restart_is_survived,
	 join_failure_is_an_event, member_events_behind_a_setting, stop_everything)
