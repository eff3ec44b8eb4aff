/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serf.h - the Serf pack: Serf user events become "UserEvent" events,
 * command "SendEvent" fires a user event on the cluster.
 *
 * Compatible with ExpediaGroup/flyte-serf (pack name from PACK_NAME,
 * default Serf; UserEvent {"name","payload"}; SendEvent input {"name",
 * "payload","coalesce"} answered by EventSent (the input) or
 * SendEventFailed (a plain string)).  The original embedded a Serf node;
 * this pack talks to a Serf agent over its RPC protocol instead, follows it
 * across restarts (reconnecting and joining again), reports a failed join
 * as a "JoinFailed" event instead of exiting, and can forward membership
 * changes as "MemberEvent" when SERF_MEMBER_EVENTS is true.
 */
#ifndef SERF_PACK_H
#define SERF_PACK_H

#include "fl-common.h"

#include <flyte.h>

#include "buf.h"
#include "serfrpc.h"

struct serf_config {
	char *pack_name;
	char *rpc_addr;    /* host:port of the agent's RPC listener */
	char *rpc_auth;    /* secret: never logged */
	char **join_hosts; /* NULL-terminated, may be empty */
	size_t n_join;
	bool member_events;
	int timeout_ms;         /* of each RPC answer */
	long retry_initial_ms;  /* reconnect backoff */
	long retry_max_ms;
};

/*
 * Read PACK_NAME, SERF_RPC_ADDR, SERF_RPC_AUTH, SERF_JOIN_HOSTS,
 * SERF_MEMBER_EVENTS, SERF_RPC_TIMEOUT_MS and SERF_RECONNECT_MAX_MS.
 * Returns 0 or -1 with a message in err.
 */
int serf_config_from_env(struct serf_config *cfg, char *err, size_t errlen);
void serf_config_release(struct serf_config *cfg);

/* The stream filter for the agent: "user" or "user,member-join,...". */
const char *serf_stream_type(const struct serf_config *cfg);

/*
 * The payloads sent to flyte, built from a decoded record (any bytes of
 * the record are turned into valid JSON strings):
 *   UserEvent   {"name": <name>, "payload": <payload as text>}
 *   MemberEvent {"name": "member-join", "memberName", "memberAddr": "ip:port"}
 * Returns 0, or -1 when b failed.
 */
int serf_user_event_json(struct fl_buf *b, const struct serf_record *r);
int serf_member_event_json(struct fl_buf *b, const char *event, const struct serf_member *m);

struct serf_stream {
	const struct serf_config *cfg;
	struct flyte_pack *pack;
	int wake_fd;              /* readable when the pack must stop */
	unsigned long connects;   /* successful connections, for logs */
};

/*
 * Follow the agent until wake_fd becomes readable: connect, join
 * SERF_JOIN_HOSTS (a failure becomes a JoinFailed event), subscribe, send
 * every record to flyte; when the connection breaks, reconnect with
 * backoff.  Returns 0.
 */
int serf_stream_run(struct serf_stream *s);

/* The handler of command SendEvent; payload is the struct serf_config. */
int serf_send_handler(const char *input, size_t len, struct flyte_result *out, void *payload);

#endif
