/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slack.h - the Slack pack: commands, incoming events, caches and the
 * HipChat flavour (docs/packs/slack.md).
 *
 * One `struct slack` holds the configuration read from the environment,
 * the Web API handles (bot token; app-level token for Socket Mode), the
 * caches (users.info results, the conversations.list result), the HipChat
 * rooms the pack has joined, and the queue of incoming Slack events.
 *
 * Incoming events (from Socket Mode or the Events API) go through
 * slack_incoming(): duplicates (same event_id) are dropped there, the rest
 * is queued, and a dispatcher thread turns each into a flyte event - the
 * users.info look-ups happen there, not on a network thread - and sends it
 * to flyte, retrying until flyte accepts it or the pack stops.
 *
 * Command handlers run on libflyte's worker threads; everything shared is
 * guarded by the struct's mutex.
 */
#ifndef SLACK_PACK_H
#define SLACK_PACK_H

#include "fl-common.h"

#include <pthread.h>
#include <stdatomic.h>

#include <jansson.h>

#include <flyte.h>

#include "eventsapi.h"
#include "httpc.h"
#include "slackproto.h"
#include "socketmode.h"

#define SLACK_DEFAULT_API_URL "https://slack.com/api"
#define SLACK_QUEUE_MAX 10000
#define SLACK_USERS_MAX 10000

enum slack_flavour {
	SLACK_FLAVOUR_SLACK,   /* the Slack pack's commands and events */
	SLACK_FLAVOUR_HIPCHAT, /* the HipChat pack's, on Slack channels */
};

struct slack_config {
	enum slack_flavour flavour;
	char pack_name[64];
	const char *api_url;        /* SLACK_API_URL */
	const char *bot_token;      /* FLYTE_SLACK_TOKEN (secret) */
	const char *app_token;      /* FLYTE_SLACK_APP_TOKEN (secret): Socket Mode */
	const char *signing_secret; /* FLYTE_SLACK_SIGNING_SECRET (secret): Events API */
	char events_host[64];       /* FLYTE_SLACK_EVENTS_ADDR host; "" = no Events API */
	unsigned events_port;
	const char *events_path;    /* FLYTE_SLACK_EVENTS_PATH */
	long renew_channels_sec;    /* RENEW_CONVERSATION_LIST (hours) */
	long user_cache_sec;        /* SLACK_USER_CACHE_SEC */
	const char *channel_types;  /* SLACK_CHANNEL_TYPES */
	long reconnect_ms;          /* SLACK_RECONNECT_DELAY_MS: first Socket Mode retry */
	/* HipChat flavour */
	const char *default_room;   /* DEFAULT_JOIN_ROOM */
	char rooms_file[512];       /* BKP_DIR/rooms.json */
	const char *room_map;       /* HIPCHAT_ROOM_MAP "room=channel,..." */
};

struct slack {
	struct slack_config cfg;
	struct httpc *bot; /* Web API, bot token */
	struct httpc *app; /* apps.connections.open, app-level token; NULL without Socket Mode */
	struct flyte_pack *pack;
	flyte_log_fn log_fn;
	void *log_payload;
	enum flyte_log_level log_level;

	pthread_mutex_t lock;   /* guards the caches, rooms and seen ids */
	json_t *users;          /* user id -> {"user": users.info user, "at": seconds} */
	json_t *channels;       /* conversations.list result (array), NULL until fetched */
	int64_t channels_at;    /* monotonic seconds of the fetch */
	json_t *rooms;          /* HipChat: [{"roomId": as joined, "channel": id or ""}] */
	json_t *room_map;       /* HipChat: room id -> channel reference */
	struct slack_seen *seen; /* event ids handed on */

	pthread_mutex_t qlock;  /* guards the queue */
	pthread_cond_t qcond;
	json_t *queue;          /* event_callback objects waiting for the dispatcher */
	bool draining; /* stop once the queue is empty */
	bool stopping; /* stop now */
	bool dispatcher_started;
	pthread_t dispatcher;
	atomic_ulong dropped, sent; /* events given up, events sent to flyte */

	struct slack_sm *sm;
	struct slack_events *events;
};

/*
 * Read the configuration from the environment and create the Web API
 * handles.  Secrets are copied into the handles and never logged.
 * @return 0, or -1 with a message naming the variable in err.
 */
int slack_init(struct slack *s, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen);

/* Free everything slack_init() and slack_start() made.  Stops first. */
void slack_release(struct slack *s);

/* The commands of the configured flavour (their payload is set by the caller). */
const struct flyte_command_def *slack_commands(const struct slack *s, size_t *n);
/* The spontaneous events of the configured flavour. */
const struct flyte_event_def *slack_events(const struct slack *s, size_t *n);

/*
 * Start receiving: the dispatcher thread, Socket Mode (with an app-level
 * token) and the Events API endpoint (with an address).  Events are sent
 * through pack.  @return 0, or -1 with a message in err.
 */
int slack_start(struct slack *s, struct flyte_pack *pack, char *err, size_t errlen);

/*
 * Stop receiving and let the dispatcher send what is queued, for at most
 * drain_ms.  Call before stopping the pack.
 */
void slack_stop(struct slack *s, int drain_ms);

/* An event_callback object from Socket Mode or the Events API (consumed). */
void slack_incoming(struct slack *s, json_t *callback);

#endif
