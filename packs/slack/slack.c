/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slack.c - the Slack pack (see slack.h and docs/packs/slack.md).
 *
 * Commands post through chat.postMessage and read through users.info and
 * conversations.list (both cached).  Incoming events are queued by
 * slack_incoming() and sent to flyte by the dispatcher thread.  In the
 * HipChat flavour the same machinery offers the HipChat pack's commands
 * and events, with HipChat rooms mapped onto Slack channels.
 */
#include "fl-common.h"

#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "packenv.h"
#include "packjson.h"
#include "packutil.h"
#include "slack.h"
#include "timeutil.h"
#include "utf8.h"
#include "webapi.h"

#define ERR_LEN 512
#define RESOLVE_REFRESH_SEC 60 /* a channel name not found refreshes a list older than this */
#define ROOMS_RETRY_SEC 60     /* HipChat rooms not resolved yet are tried again this often */
#define MENTIONS_MAX 20

static void logf_(struct slack *s, enum flyte_log_level level, const char *fmt, ...) FL_PRINTF(3, 4);
static void logf_(struct slack *s, enum flyte_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!s->log_fn || level < s->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* error codes and descriptions may quote a request: never a token */
	httpc_redact(s->bot, msg);
	httpc_redact(s->app, msg);
	s->log_fn(level, msg, s->log_payload);
}

static int64_t mono_sec(void)
{
	return fl_time_mono_ns() / FL_NS_PER_SEC;
}

/* A number of seconds (or hours times 3600 for scale 3600) from a variable. */
static int env_seconds(const char *name, double scale, long def, long *out, char *err, size_t errlen)
{
	const char *v = packenv_get(name);
	char *end;
	double d;

	*out = def;
	if (!v)
		return 0;
	d = strtod(v, &end);
	if (*end || d < 0 || d * scale > 1e9) {
		snprintf(err, errlen, "invalid %s '%s': expected a non-negative number", name, v);
		return -1;
	}
	*out = (long)(d * scale);
	return 0;
}

/* ------------------------------------------------------------- config */

static int parse_events_addr(struct slack_config *c, const char *v, char *err, size_t errlen)
{
	const char *colon = strrchr(v, ':');
	const char *port = colon ? colon + 1 : v;
	char *end;
	long p = strtol(port, &end, 10);

	if (!*port || *end || p < 1 || p > 65535) {
		snprintf(err, errlen, "invalid FLYTE_SLACK_EVENTS_ADDR '%s': expected [address:]port", v);
		return -1;
	}
	c->events_port = (unsigned)p;
	if (colon && colon > v)
		snprintf(c->events_host, sizeof(c->events_host), "%.*s", (int)(colon - v), v);
	else
		snprintf(c->events_host, sizeof(c->events_host), "0.0.0.0");
	return 0;
}

static void rooms_load(struct slack *s);

int slack_init(struct slack *s, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen)
{
	struct slack_config *c = &s->cfg;
	struct httpc_options o;
	const char *v;

	memset(s, 0, sizeof(*s));
	s->log_fn = log_fn;
	s->log_level = level;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	s->users = json_object();
	s->rooms = json_array();
	s->room_map = json_object();
	s->queue = json_array();
	s->seen = calloc(1, sizeof(*s->seen));
	if (!s->users || !s->rooms || !s->room_map || !s->queue || !s->seen) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	slack_seen_init(s->seen);

	v = packenv_get("PACK_NAME");
	snprintf(c->pack_name, sizeof(c->pack_name), "%s", v ? v : "Slack");
	c->flavour = v && !strcasecmp(v, "HipChat") ? SLACK_FLAVOUR_HIPCHAT : SLACK_FLAVOUR_SLACK;
	if ((v = packenv_get("FLYTE_SLACK_FLAVOUR"))) {
		if (!strcasecmp(v, "hipchat"))
			c->flavour = SLACK_FLAVOUR_HIPCHAT;
		else if (!strcasecmp(v, "slack"))
			c->flavour = SLACK_FLAVOUR_SLACK;
		else {
			snprintf(err, errlen, "invalid FLYTE_SLACK_FLAVOUR '%s': expected slack or hipchat", v);
			return -1;
		}
		if (c->flavour == SLACK_FLAVOUR_HIPCHAT && !packenv_get("PACK_NAME"))
			snprintf(c->pack_name, sizeof(c->pack_name), "HipChat");
	}
	c->bot_token = packenv_get("FLYTE_SLACK_TOKEN");
	if (!c->bot_token) {
		snprintf(err, errlen, "FLYTE_SLACK_TOKEN is not set (the bot token, xoxb-...)");
		return -1;
	}
	c->app_token = packenv_get("FLYTE_SLACK_APP_TOKEN");
	c->signing_secret = packenv_get("FLYTE_SLACK_SIGNING_SECRET");
	c->api_url = packenv_get("SLACK_API_URL");
	if (!c->api_url)
		c->api_url = SLACK_DEFAULT_API_URL;
	if ((v = packenv_get("FLYTE_SLACK_EVENTS_ADDR"))) {
		if (parse_events_addr(c, v, err, errlen))
			return -1;
		if (!c->signing_secret) {
			snprintf(err, errlen, "FLYTE_SLACK_EVENTS_ADDR needs FLYTE_SLACK_SIGNING_SECRET (the app's signing "
					      "secret) to verify Slack's requests");
			return -1;
		}
	}
	c->events_path = packenv_get("FLYTE_SLACK_EVENTS_PATH");
	if (!c->events_path)
		c->events_path = "/slack/events";
	if (c->events_path[0] != '/') {
		snprintf(err, errlen, "invalid FLYTE_SLACK_EVENTS_PATH '%s': must start with '/'", c->events_path);
		return -1;
	}
	if (env_seconds("RENEW_CONVERSATION_LIST", 3600, 24 * 3600, &c->renew_channels_sec, err, errlen) ||
	    env_seconds("SLACK_USER_CACHE_SEC", 1, 3600, &c->user_cache_sec, err, errlen) ||
	    env_seconds("SLACK_RECONNECT_DELAY_MS", 1, 500, &c->reconnect_ms, err, errlen))
		return -1;
	c->channel_types = packenv_get("SLACK_CHANNEL_TYPES");
	if (!c->channel_types)
		c->channel_types = "public_channel,private_channel";
	if (c->flavour == SLACK_FLAVOUR_HIPCHAT) {
		const char *dir = packenv_get("BKP_DIR");
		const char *tmp = packenv_get("TMPDIR");
		c->default_room = packenv_get("DEFAULT_JOIN_ROOM");
		c->room_map = packenv_get("HIPCHAT_ROOM_MAP");
		if (dir)
			snprintf(c->rooms_file, sizeof(c->rooms_file), "%s/rooms.json", dir);
		else
			snprintf(c->rooms_file, sizeof(c->rooms_file), "%s/flyte-hipchat/rooms.json", tmp ? tmp : "/tmp");
		if (c->room_map) {
			char *copy = strdup(c->room_map), *save = NULL;
			for (char *p = copy ? strtok_r(copy, ",", &save) : NULL; p; p = strtok_r(NULL, ",", &save)) {
				char *eq = strchr(p, '=');
				if (!eq || eq == p || !eq[1]) {
					snprintf(err, errlen, "invalid HIPCHAT_ROOM_MAP entry '%s': expected room=channel", p);
					free(copy);
					return -1;
				}
				*eq = '\0';
				json_object_set_new(s->room_map, p, json_string(eq + 1));
			}
			free(copy);
		}
		if (packenv_get("HIPCHAT_TOKENS"))
			logf_(s, FLYTE_LOG_INFO, "HIPCHAT_TOKENS is ignored: messages go through Slack (FLYTE_SLACK_TOKEN)");
	}

	httpc_options_init(&o);
	o.name = "Slack";
	o.base_url = c->api_url;
	o.auth = HTTPC_AUTH_BEARER;
	o.token = c->bot_token;
	o.retry_max_ms = 60000; /* Slack's Retry-After is up to a minute for the per-minute tiers */
	o.log_fn = log_fn;
	o.log_level = level;
	if (httpc_options_from_env(&o, "SLACK", 0, err, errlen) || httpc_new(&s->bot, &o, err, errlen))
		return -1;
	if (c->app_token) {
		o.token = c->app_token;
		o.timeout_ms = 10000;
		if (httpc_new(&s->app, &o, err, errlen))
			return -1;
	}
	if (c->flavour == SLACK_FLAVOUR_HIPCHAT)
		rooms_load(s);
	return 0;
}

/* ------------------------------------------------------------ caches */

/* The users.info user of id (new reference), or NULL with a reason. */
static json_t *user_get(struct slack *s, const char *id, char *err, size_t errlen)
{
	struct fl_buf q = FL_BUF_INIT(0);
	struct slack_call call = { .method = "users.info", .kind = SLACK_CALL_GET, .flags = HTTPC_IDEMPOTENT };
	json_t *e, *ans = NULL, *user = NULL;
	int64_t now = mono_sec();

	if (!*id) {
		snprintf(err, errlen, "no user id");
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	e = json_object_get(s->users, id);
	if (e && now - json_integer_value(json_object_get(e, "at")) < s->cfg.user_cache_sec)
		user = json_incref(json_object_get(e, "user"));
	pthread_mutex_unlock(&s->lock);
	if (user)
		return user;
	httpc_query_add(&q, "user", id);
	call.args = q.ptr;
	if (fl_buf_failed(&q) || slack_web_call(s->bot, &call, &ans, err, errlen)) {
		if (fl_buf_failed(&q))
			snprintf(err, errlen, "out of memory");
		fl_buf_release(&q);
		return NULL;
	}
	fl_buf_release(&q);
	user = json_object_get(ans, "user");
	if (!json_is_object(user) || strcmp(packjson_sv(user, "id"), id)) {
		snprintf(err, errlen, "users.info answered without the user");
		json_decref(ans);
		return NULL;
	}
	json_incref(user);
	json_decref(ans);
	if (s->cfg.user_cache_sec > 0) {
		pthread_mutex_lock(&s->lock);
		if (json_object_size(s->users) >= SLACK_USERS_MAX)
			json_object_clear(s->users);
		json_object_set_new(s->users, id, json_pack("{s:O,s:I}", "user", user, "at", (json_int_t)now));
		pthread_mutex_unlock(&s->lock);
	}
	return user;
}

/* Every conversation of the configured types, all pages of conversations.list. */
static json_t *channels_fetch(struct slack *s, char *err, size_t errlen)
{
	json_t *all = json_array(), *ans = NULL;
	char cursor[512] = "";

	for (int page = 0; page < 1000; page++) {
		struct fl_buf q = FL_BUF_INIT(0);
		struct slack_call call = { .method = "conversations.list", .kind = SLACK_CALL_GET, .flags = HTTPC_IDEMPOTENT };
		const json_t *list, *c;
		const char *next;
		size_t i;
		int rc;

		httpc_query_add(&q, "types", s->cfg.channel_types);
		httpc_query_add(&q, "exclude_archived", "true");
		httpc_query_add(&q, "limit", "1000");
		if (cursor[0])
			httpc_query_add(&q, "cursor", cursor);
		call.args = q.ptr;
		rc = fl_buf_failed(&q) ? SLACK_WEB_FAILED : slack_web_call(s->bot, &call, &ans, err, errlen);
		fl_buf_release(&q);
		if (rc) {
			json_decref(all);
			return NULL;
		}
		list = json_object_get(ans, "channels");
		if (!json_is_array(list)) {
			snprintf(err, errlen, "conversations.list answered without channels");
			json_decref(ans);
			json_decref(all);
			return NULL;
		}
		json_array_foreach(list, i, c)
			if (json_is_object(c) && *packjson_sv(c, "id"))
				json_array_append(all, (json_t *)c);
		next = packjson_sv(json_object_get(ans, "response_metadata"), "next_cursor");
		snprintf(cursor, sizeof(cursor), "%s", next);
		json_decref(ans);
		ans = NULL;
		if (!cursor[0])
			return all;
	}
	snprintf(err, errlen, "conversations.list: too many pages");
	json_decref(all);
	return NULL;
}

/*
 * The conversation list (new reference), fetched again when older than
 * max_age seconds.  A failed refresh is logged and the old list used; NULL
 * (with the reason) only when there is no list at all.
 */
static json_t *channels_get(struct slack *s, long max_age, char *err, size_t errlen)
{
	json_t *have, *fresh;
	int64_t at;

	pthread_mutex_lock(&s->lock);
	have = json_incref(s->channels);
	at = s->channels_at;
	pthread_mutex_unlock(&s->lock);
	if (have && mono_sec() - at < max_age)
		return have;
	fresh = channels_fetch(s, err, errlen);
	if (!fresh) {
		if (have)
			logf_(s, FLYTE_LOG_WARN, "Slack: cannot refresh the channel list (%s); using the one from %" PRId64
						 " s ago", err, mono_sec() - at);
		return have;
	}
	logf_(s, FLYTE_LOG_DEBUG, "Slack: channel list refreshed: %zu channels", json_array_size(fresh));
	pthread_mutex_lock(&s->lock);
	json_decref(s->channels);
	s->channels = json_incref(fresh);
	s->channels_at = mono_sec();
	pthread_mutex_unlock(&s->lock);
	json_decref(have);
	return fresh;
}

/* The conversation named ref ("general", "#general", any case) or with that id. */
static json_t *find_channel(const json_t *list, const char *ref)
{
	const json_t *c;
	size_t i;

	if (ref[0] == '#')
		ref++;
	json_array_foreach(list, i, c)
		if (!strcmp(packjson_sv(c, "id"), ref) || !strcasecmp(packjson_sv(c, "name"), ref))
			return (json_t *)c;
	return NULL;
}

/*
 * The conversation of a HipChat room or a channel reference: the room map
 * first, then an id as it is, then a name looked up in the list.  *conv
 * receives the list's entry (new reference) when there is one.
 */
static int resolve(struct slack *s, const char *room, char *id, size_t idlen, json_t **conv, char *err, size_t errlen)
{
	const char *ref = room;
	json_t *list, *c = NULL;
	const json_t *mapped;

	*conv = NULL;
	pthread_mutex_lock(&s->lock);
	mapped = json_object_get(s->room_map, room);
	if (json_is_string(mapped))
		ref = json_string_value(mapped); /* the map is never changed after start */
	pthread_mutex_unlock(&s->lock);
	list = channels_get(s, s->cfg.renew_channels_sec, err, errlen);
	if (list && !(c = find_channel(list, ref))) {
		json_decref(list);
		list = channels_get(s, RESOLVE_REFRESH_SEC, err, errlen);
		c = list ? find_channel(list, ref) : NULL;
	}
	if (c) {
		snprintf(id, idlen, "%s", packjson_sv(c, "id"));
		*conv = json_incref(c);
		json_decref(list);
		return 0;
	}
	json_decref(list);
	if (slack_is_channel_id(ref[0] == '#' ? ref + 1 : ref)) { /* not listed (another type, a DM): try as it is */
		snprintf(id, idlen, "%s", ref[0] == '#' ? ref + 1 : ref);
		return 0;
	}
	if (!list && err[0])
		return -1;
	snprintf(err, errlen, "no Slack channel '%s'", ref);
	return -1;
}

/* ---------------------------------------------------------- posting */

static int post(struct slack *s, json_t *body, json_t **answer, char *err, size_t errlen)
{
	struct slack_call call = { .method = "chat.postMessage", .kind = SLACK_CALL_JSON, .json = body };

	return slack_web_call(s->bot, &call, answer, err, errlen) ? -1 : 0;
}

static int too_long(const char *text, char *err, size_t errlen)
{
	size_t n = fl_utf8_count(text, strlen(text));

	if (n <= SLACK_TEXT_MAX)
		return 0;
	snprintf(err, errlen, "message too long: %zu characters (Slack takes at most %d)", n, SLACK_TEXT_MAX);
	return -1;
}

/* ------------------------------------------------------- HipChat rooms */

static void rooms_save_locked(struct slack *s)
{
	char tmp[600], dir[512], *slash;
	json_t *ids = json_array(), *r;
	size_t i;

	json_array_foreach(s->rooms, i, r)
		json_array_append_new(ids, json_string(packjson_sv(r, "roomId")));
	snprintf(dir, sizeof(dir), "%s", s->cfg.rooms_file);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1; *p; p++) { /* mkdir -p */
			if (*p != '/')
				continue;
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
		mkdir(dir, 0700);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->cfg.rooms_file);
	if (json_dump_file(ids, tmp, JSON_COMPACT) || rename(tmp, s->cfg.rooms_file))
		logf_(s, FLYTE_LOG_WARN, "HipChat: cannot save the joined rooms to '%s': %s", s->cfg.rooms_file,
		      strerror(errno));
	json_decref(ids);
}

static void room_add_locked(struct slack *s, const char *room, const char *channel)
{
	json_t *r;
	size_t i;

	json_array_foreach(s->rooms, i, r) {
		if (!strcmp(packjson_sv(r, "roomId"), room)) {
			json_object_set_new(r, "channel", json_string(channel));
			return;
		}
	}
	json_array_append_new(s->rooms, json_pack("{s:s,s:s}", "roomId", room, "channel", channel));
}

static void rooms_load(struct slack *s)
{
	json_error_t je;
	json_t *ids = json_load_file(s->cfg.rooms_file, 0, &je), *v;
	size_t i;

	if (ids && json_is_array(ids)) {
		json_array_foreach(ids, i, v)
			if (json_is_string(v) && *json_string_value(v))
				room_add_locked(s, json_string_value(v), "");
	} else if (ids || access(s->cfg.rooms_file, F_OK) == 0) {
		logf_(s, FLYTE_LOG_WARN, "HipChat: ignoring '%s': not a JSON array of room ids", s->cfg.rooms_file);
	}
	json_decref(ids);
	if (s->cfg.default_room)
		room_add_locked(s, s->cfg.default_room, "");
}

/*
 * Join room: resolve it, make the bot a member (conversations.join, public
 * channels only) and remember it.  Returns 0, or -1 with the reason.
 */
static int room_join(struct slack *s, const char *room, char *err, size_t errlen)
{
	struct slack_call call = { .method = "conversations.join", .kind = SLACK_CALL_FORM };
	struct fl_buf q = FL_BUF_INIT(0);
	char id[SLACK_ID_MAX], why[ERR_LEN] = "";
	json_t *conv = NULL;
	int rc = -1;

	if (resolve(s, room, id, sizeof(id), &conv, why, sizeof(why))) {
		snprintf(err, errlen, "cannot find room '%s': %s", room, why);
		goto out;
	}
	if (!conv || !json_is_true(json_object_get(conv, "is_member"))) {
		httpc_query_add(&q, "channel", id);
		call.args = q.ptr;
		if (slack_web_call(s->bot, &call, NULL, why, sizeof(why))) {
			if (!strcmp(why, "method_not_supported_for_channel_type"))
				snprintf(err, errlen, "cannot join room '%s': the channel is private; invite the app to it "
						      "in Slack (/invite)", room);
			else
				snprintf(err, errlen, "cannot join room '%s': %s", room, why);
			goto out;
		}
	}
	pthread_mutex_lock(&s->lock);
	room_add_locked(s, room, id);
	rooms_save_locked(s);
	pthread_mutex_unlock(&s->lock);
	logf_(s, FLYTE_LOG_INFO, "HipChat: joined room '%s' (Slack channel %s)", room, id);
	rc = 0;
out:
	fl_buf_release(&q);
	json_decref(conv);
	return rc;
}

/* Resolve and join the rooms not resolved yet; true when all are. */
static bool rooms_resolve_all(struct slack *s)
{
	json_t *pending = json_array(), *r;
	char err[ERR_LEN];
	bool all = true;
	size_t i;

	pthread_mutex_lock(&s->lock);
	json_array_foreach(s->rooms, i, r)
		if (!*packjson_sv(r, "channel"))
			json_array_append_new(pending, json_string(packjson_sv(r, "roomId")));
	pthread_mutex_unlock(&s->lock);
	json_array_foreach(pending, i, r) {
		if (room_join(s, json_string_value(r), err, sizeof(err))) {
			logf_(s, FLYTE_LOG_WARN, "HipChat: %s; trying again in %d s", err, ROOMS_RETRY_SEC);
			all = false;
		}
	}
	json_decref(pending);
	return all;
}

/* The room id (as joined) of a channel, copied into out; false when not joined. */
static bool room_of_channel(struct slack *s, const char *channel, char *out, size_t len)
{
	json_t *r;
	size_t i;
	bool found = false;

	pthread_mutex_lock(&s->lock);
	json_array_foreach(s->rooms, i, r) {
		if (!strcmp(packjson_sv(r, "channel"), channel)) {
			snprintf(out, len, "%s", packjson_sv(r, "roomId"));
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

/* ------------------------------------------------ commands: shared */

static int fatal_input(struct flyte_result *out, const char *err)
{
	return flyte_result_fatal(out, "input is not valid: %s", err);
}

/* Decode the input object; FATAL on failure (rc in *rc). */
static json_t *input_object(const char *input, size_t len, struct flyte_result *out, int *rc)
{
	char err[ERR_LEN];
	json_t *in = NULL;

	*rc = 0;
	if (packjson_object(&in, input, len, err, sizeof(err)))
		*rc = fatal_input(out, err);
	return in;
}

/* payload = a copy of in plus "error" */
static int with_error(struct flyte_result *out, const char *event, const json_t *in, const char *error)
{
	json_t *p = json_deep_copy(in);

	if (p && packjson_set_str(p, "error", error)) {
		json_decref(p);
		p = NULL;
	}
	return packjson_result(out, event, p);
}

/* "missing fields: [a, b]" for the names whose flag is set. */
static void missing_fields(char *buf, size_t len, const char *const *names, const bool *missing, size_t n)
{
	struct fl_buf b = FL_BUF_INIT(0);
	bool first = true;

	fl_buf_adds(&b, "missing fields: [");
	for (size_t i = 0; i < n; i++) {
		if (!missing[i])
			continue;
		if (!first)
			fl_buf_adds(&b, ", ");
		fl_buf_adds(&b, names[i]);
		first = false;
	}
	fl_buf_addc(&b, ']');
	snprintf(buf, len, "%s", b.ptr);
	fl_buf_release(&b);
}

/* ------------------------------------------------ commands: Slack */

static int message_result(struct flyte_result *out, const char *event, const char *message, const char *thread,
			  const char *channel, const char *ts, const char *error)
{
	json_t *p = packjson_strs("message", message, "threadTimestamp", thread, "channelId", channel, NULL);

	if (p && ts && packjson_set_str(p, "timestamp", ts)) {
		json_decref(p);
		p = NULL;
	}
	if (p && error && packjson_set_str(p, "error", error)) {
		json_decref(p);
		p = NULL;
	}
	return packjson_result(out, event, p);
}

static int cmd_send_message(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct slack *s = payload;
	const char *channel = "", *message = "", *thread = "";
	char err[ERR_LEN], msg[ERR_LEN + 64];
	json_t *in, *body = NULL, *ans = NULL;
	int rc;

	if (!(in = input_object(input, len, out, &rc)))
		return rc;
	if (packjson_str(in, "channelId", NULL, &channel, err, sizeof(err)) ||
	    packjson_str(in, "message", NULL, &message, err, sizeof(err)) ||
	    packjson_str(in, "threadTimestamp", NULL, &thread, err, sizeof(err))) {
		rc = fatal_input(out, err);
		goto done;
	}
	if (!*message || !*channel) {
		snprintf(msg, sizeof(msg), "%s%s%s", !*message ? "missing message field" : "",
			 !*message && !*channel ? ", " : "", !*channel ? "missing channel id field" : "");
		rc = message_result(out, "SendMessageFailed", message, thread, channel, NULL, msg);
		goto done;
	}
	if (too_long(message, err, sizeof(err))) {
		rc = message_result(out, "SendMessageFailed", message, thread, channel, NULL, err);
		goto done;
	}
	body = json_pack("{s:s,s:s}", "channel", channel, "text", message);
	if (body && *thread)
		json_object_set_new(body, "thread_ts", json_string(thread));
	if (!body || post(s, body, &ans, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "cannot send message: %s", body ? err : "out of memory");
		logf_(s, FLYTE_LOG_WARN, "Slack: SendMessage to %s failed: %s", channel, msg);
		rc = message_result(out, "SendMessageFailed", message, thread, channel, NULL, msg);
		goto done;
	}
	/* threadTimestamp: the thread the message is in, or the message itself
	 * (replying with it starts a thread on it) */
	rc = message_result(out, "MessageSent", message, *thread ? thread : packjson_sv(ans, "ts"), channel,
			    packjson_sv(ans, "ts"), NULL);
done:
	json_decref(in);
	json_decref(body);
	json_decref(ans);
	return rc;
}

/* Type check of a chat.postMessage argument, with Go's decoding message. */
static int check_type(const json_t *in, const char *key, const char *type, char *err, size_t errlen)
{
	const json_t *v = json_object_get(in, key);
	bool ok;

	if (!v || json_is_null(v))
		return 0;
	if (!strcmp(type, "string"))
		ok = json_is_string(v);
	else if (!strcmp(type, "bool"))
		ok = json_is_boolean(v);
	else if (!strcmp(type, "int"))
		ok = json_is_integer(v) || json_is_boolean(v);
	else
		ok = json_is_array(v);
	if (ok)
		return 0;
	snprintf(err, errlen, "json: cannot unmarshal %s into Go struct field .%s of type %s", packjson_go_type(v), key,
		 type);
	return -1;
}

static int cmd_send_rich_message(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	static const char *const strings[] = { "channel", "text", "username", "icon_url", "icon_emoji", "thread_ts", "parse" };
	static const char *const bools[] = { "reply_broadcast", "unfurl_links", "unfurl_media", "mrkdwn", "escape_text" };
	static const char *const arrays[] = { "attachments", "blocks" };
	struct slack *s = payload;
	char err[ERR_LEN], msg[ERR_LEN + 64];
	json_t *in, *body = NULL, *ans = NULL, *v;
	const char *k;
	void *tmp;
	int rc;

	if (!(in = input_object(input, len, out, &rc)))
		return rc;
	for (size_t i = 0; i < FL_ARRAY_LEN(strings); i++)
		if (check_type(in, strings[i], "string", err, sizeof(err)))
			goto fatal;
	for (size_t i = 0; i < FL_ARRAY_LEN(bools); i++)
		if (check_type(in, bools[i], "bool", err, sizeof(err)))
			goto fatal;
	for (size_t i = 0; i < FL_ARRAY_LEN(arrays); i++)
		if (check_type(in, arrays[i], "array", err, sizeof(err)))
			goto fatal;
	if (check_type(in, "link_names", "int", err, sizeof(err)))
		goto fatal;
	/* every argument goes to chat.postMessage as given, except the pack's own escape_text */
	body = json_deep_copy(in);
	if (!body) {
		rc = flyte_result_fatal(out, "out of memory");
		goto done;
	}
	json_object_foreach_safe(body, tmp, k, v)
		if (json_is_null(v) || !strcmp(k, "escape_text"))
			json_object_del(body, k);
	if (json_is_true(json_object_get(in, "escape_text")) && *packjson_sv(in, "text")) {
		struct fl_buf t = FL_BUF_INIT(0);
		slack_escape(&t, packjson_sv(in, "text"), strlen(packjson_sv(in, "text")));
		json_object_set_new(body, "text", packjson_string(t.ptr));
		fl_buf_release(&t);
	}
	if (!*packjson_sv(in, "channel"))
		snprintf(err, sizeof(err), "channel is missing");
	else if (!too_long(packjson_sv(body, "text"), err, sizeof(err)) && !post(s, body, &ans, err, sizeof(err))) {
		rc = packjson_result(out, "RichMessageSent",
				     packjson_strs("channelId", packjson_sv(ans, "channel"), "threadTimestamp", packjson_sv(ans, "ts"), NULL));
		goto done;
	}
	snprintf(msg, sizeof(msg), "cannot send rich message=%s", err);
	logf_(s, FLYTE_LOG_WARN, "Slack: SendRichMessage failed: %s", msg);
	rc = packjson_result(out, "SendRichMessageFailed",
			     json_pack("{s:O,s:o}", "inputMessage", in, "error", packjson_string(msg)));
	goto done;
fatal:
	rc = fatal_input(out, err);
done:
	json_decref(in);
	json_decref(body);
	json_decref(ans);
	return rc;
}

static int cmd_get_channel_info(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	struct slack *s = payload;
	const char *name = "";
	char err[ERR_LEN] = "";
	json_t *in, *list = NULL, *c;
	int rc;

	if (!(in = input_object(input, len, out, &rc)))
		return rc;
	if (packjson_str(in, "channelName", NULL, &name, err, sizeof(err))) {
		rc = fatal_input(out, err);
		goto done;
	}
	list = channels_get(s, s->cfg.renew_channels_sec, err, sizeof(err));
	if (!list) {
		rc = packjson_result(out, "GetChannelInfoFail", packjson_strs("channelName", name, "reason", err, NULL));
		goto done;
	}
	c = *name ? find_channel(list, name) : NULL;
	if (!c || strcasecmp(packjson_sv(c, "name"), name[0] == '#' ? name + 1 : name)) {
		rc = packjson_result(out, "GetChannelInfoFail",
				     packjson_strs("channelName", name, "reason", "can't find channel with such name", NULL));
		goto done;
	}
	rc = packjson_result(out, "GetChannelInfoSuccess",
			     json_pack("{s:o,s:o}", "channelName", packjson_string(name), "conversation",
				       packjson_strs("id", packjson_sv(c, "id"), "name", packjson_sv(c, "name"), "topic",
						     packjson_sv(json_object_get(c, "topic"), "value"), NULL)));
done:
	json_decref(in);
	json_decref(list);
	return rc;
}

/* ---------------------------------------------- commands: HipChat */

/* Read string members of a HipChat input; FATAL on a wrong type. */
static int hc_strings(const json_t *in, struct flyte_result *out, const char *const *keys, const char **vals, size_t n,
		      int *rc)
{
	char err[ERR_LEN];

	for (size_t i = 0; i < n; i++) {
		if (packjson_str(in, keys[i], NULL, &vals[i], err, sizeof(err))) {
			*rc = fatal_input(out, err);
			return -1;
		}
	}
	return 0;
}

/* Post text (Slack markup) to room; 0, or -1 with the reason. */
static int hc_post(struct slack *s, const char *room, json_t *body, char *err, size_t errlen)
{
	char id[SLACK_ID_MAX], why[ERR_LEN] = "";
	json_t *conv = NULL;

	if (resolve(s, room, id, sizeof(id), &conv, why, sizeof(why))) {
		snprintf(err, errlen, "cannot find room '%s': %s", room, why);
		return -1;
	}
	json_decref(conv);
	json_object_set_new(body, "channel", json_string(id));
	if (post(s, body, NULL, why, sizeof(why))) {
		snprintf(err, errlen, "cannot send to room '%s': %s", room, why);
		return -1;
	}
	return 0;
}

static json_t *escaped_text(const char *text)
{
	struct fl_buf t = FL_BUF_INIT(0);
	json_t *j;

	slack_escape(&t, text, strlen(text));
	j = fl_buf_failed(&t) ? NULL : packjson_string(t.ptr);
	fl_buf_release(&t);
	return j;
}

static int hc_send_message(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	static const char *const keys[] = { "roomId", "message" };
	static const char *const names[] = { "room id", "message" };
	struct slack *s = payload;
	const char *v[2];
	char err[ERR_LEN];
	json_t *in, *body = NULL;
	int rc;

	if (!(in = input_object(input, len, out, &rc)) || hc_strings(in, out, keys, v, 2, &rc))
		goto done;
	if (!*v[0] || !*v[1]) {
		bool missing[] = { !*v[0], !*v[1] };
		missing_fields(err, sizeof(err), names, missing, 2);
		rc = with_error(out, "SendMessageFailed", in, err);
		goto done;
	}
	body = json_pack("{s:o}", "text", escaped_text(v[1]));
	if (too_long(v[1], err, sizeof(err)) || !body || hc_post(s, v[0], body, err, sizeof(err))) {
		logf_(s, FLYTE_LOG_WARN, "HipChat: SendMessage failed: %s", err);
		rc = with_error(out, "SendMessageFailed", in, err);
		goto done;
	}
	rc = packjson_result(out, "MessageSent", json_incref(in));
done:
	json_decref(in);
	json_decref(body);
	return rc;
}

static int hc_send_notification(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	static const char *const keys[] = { "roomId", "message", "from", "messageFormat", "color" };
	static const char *const names[] = { "room id", "message", "from" };
	struct slack *s = payload;
	const char *v[5], *color, *format;
	char err[ERR_LEN];
	struct fl_buf text = FL_BUF_INIT(0), fallback = FL_BUF_INIT(0);
	json_t *in, *body = NULL, *notify;
	int rc;

	if (!(in = input_object(input, len, out, &rc)) || hc_strings(in, out, keys, v, 5, &rc))
		goto done;
	notify = json_object_get(in, "notify");
	if (notify && !json_is_null(notify) && !json_is_boolean(notify)) {
		snprintf(err, sizeof(err), "json: cannot unmarshal %s into Go struct field .notify of type bool",
			 packjson_go_type(notify));
		rc = fatal_input(out, err);
		goto done;
	}
	if (!*v[0] || !*v[1] || !*v[2]) {
		bool missing[] = { !*v[0], !*v[1], !*v[2] };
		missing_fields(err, sizeof(err), names, missing, 3);
		rc = with_error(out, "SendNotificationFailed", in, err);
		goto done;
	}
	format = *v[3] ? v[3] : "html"; /* HipChat's default */
	color = slack_hipchat_color(v[4], (unsigned)random());
	if (strcmp(format, "html") && strcmp(format, "text"))
		snprintf(err, sizeof(err), "invalid messageFormat '%s': expected text or html", format);
	else if (!color)
		snprintf(err, sizeof(err), "invalid color '%s': expected yellow, green, red, purple, gray or random", v[4]);
	else
		err[0] = '\0';
	if (err[0] || too_long(v[1], err, sizeof(err))) {
		rc = with_error(out, "SendNotificationFailed", in, err);
		goto done;
	}
	if (!strcmp(format, "html"))
		slack_html_to_mrkdwn(&text, v[1], strlen(v[1]));
	else
		slack_escape(&text, v[1], strlen(v[1]));
	slack_escape(&fallback, v[2], strlen(v[2]));
	fl_buf_adds(&fallback, ": ");
	fl_buf_add(&fallback, text.ptr, text.len);
	body = json_pack("{s:[{s:s,s:o,s:o,s:o,s:[s]}]}", "attachments", "color", color, "author_name",
			 packjson_string(v[2]), "text", packjson_string(text.ptr), "fallback", packjson_string(fallback.ptr),
			 "mrkdwn_in", "text");
	if (!body || fl_buf_failed(&text) || fl_buf_failed(&fallback) || hc_post(s, v[0], body, err, sizeof(err))) {
		if (!body)
			snprintf(err, sizeof(err), "out of memory");
		logf_(s, FLYTE_LOG_WARN, "HipChat: SendNotification failed: %s", err);
		rc = with_error(out, "SendNotificationFailed", in, err);
		goto done;
	}
	rc = packjson_result(out, "NotificationSent", json_incref(in));
done:
	fl_buf_release(&text);
	fl_buf_release(&fallback);
	json_decref(in);
	json_decref(body);
	return rc;
}

static int hc_broadcast(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	static const char *const keys[] = { "message" };
	struct slack *s = payload;
	struct fl_buf errors = FL_BUF_INIT(4096);
	const char *v[1];
	char err[ERR_LEN];
	json_t *in, *rooms = NULL, *r;
	size_t i;
	int rc;

	if (!(in = input_object(input, len, out, &rc)) || hc_strings(in, out, keys, v, 1, &rc))
		goto done;
	if (!*v[0]) {
		rc = packjson_result(out, "BroadcastFailed",
				     packjson_strs("message", v[0], "error", "missing fields: [message]", NULL));
		goto done;
	}
	if (too_long(v[0], err, sizeof(err))) {
		rc = packjson_result(out, "BroadcastFailed", packjson_strs("message", v[0], "error", err, NULL));
		goto done;
	}
	pthread_mutex_lock(&s->lock);
	rooms = json_deep_copy(s->rooms);
	pthread_mutex_unlock(&s->lock);
	json_array_foreach(rooms, i, r) {
		json_t *body = json_pack("{s:o}", "text", escaped_text(v[0]));
		if (!body || hc_post(s, packjson_sv(r, "roomId"), body, err, sizeof(err))) {
			if (errors.len)
				fl_buf_adds(&errors, "; ");
			fl_buf_adds(&errors, body ? err : "out of memory");
		}
		json_decref(body);
	}
	if (errors.len) {
		logf_(s, FLYTE_LOG_WARN, "HipChat: Broadcast failed: %s", errors.ptr);
		rc = packjson_result(out, "BroadcastFailed", packjson_strs("message", v[0], "error", errors.ptr, NULL));
	} else {
		rc = packjson_result(out, "BroadcastSent", packjson_strs("message", v[0], NULL));
	}
done:
	fl_buf_release(&errors);
	json_decref(in);
	json_decref(rooms);
	return rc;
}

static int hc_join_room(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	static const char *const keys[] = { "roomId" };
	struct slack *s = payload;
	const char *v[1];
	char err[ERR_LEN], channel[SLACK_ID_MAX];
	json_t *in;
	int rc;

	if (!(in = input_object(input, len, out, &rc)) || hc_strings(in, out, keys, v, 1, &rc))
		goto done;
	if (!*v[0]) {
		rc = packjson_result(out, "JoinRoomFailed",
				     packjson_strs("roomId", v[0], "error", "missing fields: [room id]", NULL));
		goto done;
	}
	channel[0] = '\0';
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < json_array_size(s->rooms); i++) /* already joined counts as success */
		if (!strcmp(packjson_sv(json_array_get(s->rooms, i), "roomId"), v[0]))
			snprintf(channel, sizeof(channel), "%s", packjson_sv(json_array_get(s->rooms, i), "channel"));
	pthread_mutex_unlock(&s->lock);
	if (!channel[0] && room_join(s, v[0], err, sizeof(err))) {
		logf_(s, FLYTE_LOG_WARN, "HipChat: JoinRoom failed: %s", err);
		rc = packjson_result(out, "JoinRoomFailed", packjson_strs("roomId", v[0], "error", err, NULL));
		goto done;
	}
	rc = packjson_result(out, "RoomJoined", packjson_strs("roomId", v[0], NULL));
done:
	json_decref(in);
	return rc;
}

static int hc_leave_room(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	static const char *const keys[] = { "roomId" };
	struct slack *s = payload;
	const char *v[1];
	char err[ERR_LEN];
	bool found = false;
	json_t *in;
	int rc;

	if (!(in = input_object(input, len, out, &rc)) || hc_strings(in, out, keys, v, 1, &rc))
		goto done;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < json_array_size(s->rooms); i++) {
		if (!strcmp(packjson_sv(json_array_get(s->rooms, i), "roomId"), v[0])) {
			json_array_remove(s->rooms, i);
			found = true;
			break;
		}
	}
	if (found)
		rooms_save_locked(s);
	pthread_mutex_unlock(&s->lock);
	if (!found) {
		snprintf(err, sizeof(err), "%s", *v[0] ? "not in this room" : "missing fields: [room id]");
		rc = packjson_result(out, "LeaveRoomFailed", packjson_strs("roomId", v[0], "error", err, NULL));
		goto done;
	}
	logf_(s, FLYTE_LOG_INFO, "HipChat: left room '%s'", v[0]);
	rc = packjson_result(out, "RoomLeft", packjson_strs("roomId", v[0], NULL));
done:
	json_decref(in);
	return rc;
}

/* -------------------------------------------------------------- tables */

static const struct flyte_command_def slack_cmds[] = {
	PACKUTIL_COMMAND("SendMessage", cmd_send_message, "MessageSent", "SendMessageFailed"),
	PACKUTIL_COMMAND("SendRichMessage", cmd_send_rich_message, "RichMessageSent", "SendRichMessageFailed"),
	PACKUTIL_COMMAND("GetChannelInfo", cmd_get_channel_info, "GetChannelInfoSuccess", "GetChannelInfoFail"),
};

static const struct flyte_command_def hipchat_cmds[] = {
	PACKUTIL_COMMAND("SendMessage", hc_send_message, "MessageSent", "SendMessageFailed"),
	PACKUTIL_COMMAND("SendNotification", hc_send_notification, "NotificationSent", "SendNotificationFailed"),
	PACKUTIL_COMMAND("Broadcast", hc_broadcast, "BroadcastSent", "BroadcastFailed"),
	PACKUTIL_COMMAND("JoinRoom", hc_join_room, "RoomJoined", "JoinRoomFailed"),
	PACKUTIL_COMMAND("LeaveRoom", hc_leave_room, "RoomLeft", "LeaveRoomFailed"),
};

static const struct flyte_event_def slack_evs[] = { { "ReceivedMessage", NULL }, { "ReactionAdded", NULL } };
static const struct flyte_event_def hipchat_evs[] = { { "ReceivedMessage", NULL } };

const struct flyte_command_def *slack_commands(const struct slack *s, size_t *n)
{
	if (s->cfg.flavour == SLACK_FLAVOUR_HIPCHAT) {
		*n = FL_ARRAY_LEN(hipchat_cmds);
		return hipchat_cmds;
	}
	*n = FL_ARRAY_LEN(slack_cmds);
	return slack_cmds;
}

const struct flyte_event_def *slack_events(const struct slack *s, size_t *n)
{
	if (s->cfg.flavour == SLACK_FLAVOUR_HIPCHAT) {
		*n = FL_ARRAY_LEN(hipchat_evs);
		return hipchat_evs;
	}
	*n = FL_ARRAY_LEN(slack_evs);
	return slack_evs;
}

/* ------------------------------------------------------------ incoming */

void slack_incoming(struct slack *s, json_t *callback)
{
	const char *id = packjson_sv(callback, "event_id");
	bool fresh;

	pthread_mutex_lock(&s->lock);
	fresh = slack_seen_add(s->seen, id);
	pthread_mutex_unlock(&s->lock);
	if (!fresh) {
		logf_(s, FLYTE_LOG_DEBUG, "Slack: event %s delivered again; ignored", id);
		json_decref(callback);
		return;
	}
	pthread_mutex_lock(&s->qlock);
	if (json_array_size(s->queue) >= SLACK_QUEUE_MAX || s->stopping || s->draining) {
		s->dropped++;
		pthread_mutex_unlock(&s->qlock);
		logf_(s, FLYTE_LOG_ERROR, "Slack: event %s dropped: %s", id,
		      s->stopping || s->draining ? "the pack is stopping" : "too many events waiting for flyte");
		json_decref(callback);
		return;
	}
	json_array_append_new(s->queue, callback);
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
}

/* Wait up to ms on the queue's condition; false when the pack must stop now. */
static bool pause_ms(struct slack *s, long ms)
{
	struct timespec ts;
	bool go_on;

	ts = fl_time_deadline(CLOCK_REALTIME, ms);
	pthread_mutex_lock(&s->qlock);
	if (!s->stopping)
		pthread_cond_timedwait(&s->qcond, &s->qlock, &ts);
	go_on = !s->stopping;
	pthread_mutex_unlock(&s->qlock);
	return go_on;
}

/* Send one event to flyte; retried until flyte takes it (or the pack stops). */
static void send_event(struct slack *s, const char *name, json_t *payload)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	long delay = 200;
	int rc;

	json_decref(payload);
	if (!text) {
		logf_(s, FLYTE_LOG_ERROR, "Slack: cannot build the payload of %s (out of memory)", name);
		return;
	}
	for (int attempt = 1;; attempt++) {
		rc = flyte_pack_send_event(s->pack, name, text);
		if (rc == FLYTE_OK) {
			s->sent++;
			logf_(s, FLYTE_LOG_DEBUG, "Slack: sent %s", name);
			break;
		}
		if (rc == FLYTE_EINVALID || rc == FLYTE_ECANCELLED) {
			s->dropped++;
			logf_(s, FLYTE_LOG_ERROR, "Slack: %s dropped: %s", name, flyte_pack_last_error(s->pack));
			break;
		}
		if (attempt == 1 || attempt % 20 == 0)
			logf_(s, FLYTE_LOG_WARN, "Slack: flyte did not take %s (%s); trying again", name,
			      flyte_pack_last_error(s->pack));
		if (!pause_ms(s, delay)) {
			s->dropped++;
			logf_(s, FLYTE_LOG_ERROR, "Slack: %s dropped: the pack is stopping", name);
			break;
		}
		delay = FL_MIN(delay * 2, 5000);
	}
	free(text);
}

struct names {
	json_t *mentions; /* HipChat user objects, id -> object */
};

static const char *mention_name(const char *id, void *payload)
{
	struct names *n = payload;
	const json_t *u = json_object_get(n->mentions, id);
	return u ? packjson_sv(u, "mentionName") : NULL;
}

static void handle_hipchat(struct slack *s, const struct slack_event *ev)
{
	static const char *const kept[] = { "", "bot_message", "thread_broadcast", "file_share", "me_message" };
	struct fl_buf text = FL_BUF_INIT(0);
	struct names names = { json_object() };
	json_t *ids = json_array(), *mentions = json_array(), *user = NULL, *from = NULL, *v;
	char room[256], err[ERR_LEN];
	bool keep = false;
	size_t i;

	if (ev->kind != SLACK_EVENT_MESSAGE || !room_of_channel(s, ev->channel, room, sizeof(room)))
		goto out;
	for (size_t k = 0; k < FL_ARRAY_LEN(kept); k++)
		keep |= !strcmp(ev->subtype, kept[k]);
	if (!keep)
		goto out;
	if (!*ev->bot_id && strcmp(ev->subtype, "bot_message")) {
		if (!*ev->user)
			goto out;
		if (!(user = user_get(s, ev->user, err, sizeof(err)))) {
			logf_(s, FLYTE_LOG_WARN, "HipChat: message %s in room '%s' dropped: cannot look up user %s: %s", ev->ts,
			      room, ev->user, err);
			goto out;
		}
		from = slack_hipchat_user(user);
	}
	slack_mentions(ids, ev->text, MENTIONS_MAX);
	json_array_foreach(ids, i, v) {
		json_t *u = user_get(s, json_string_value(v), err, sizeof(err)), *h;
		if (!u)
			continue; /* the mention stays as the id */
		h = slack_hipchat_user(u);
		json_array_append(mentions, h);
		json_object_set_new(names.mentions, json_string_value(v), h);
		json_decref(u);
	}
	slack_plain_text(&text, ev->text, strlen(ev->text), mention_name, &names);
	send_event(s, "ReceivedMessage", slack_hipchat_message(ev, room, from, mentions, text.ptr));
out:
	fl_buf_release(&text);
	json_decref(names.mentions);
	json_decref(ids);
	json_decref(mentions);
	json_decref(user);
	json_decref(from);
}

static void handle_slack(struct slack *s, const struct slack_event *ev)
{
	json_t *u = NULL, *iu = NULL, *up = NULL, *iup = NULL;
	char err[ERR_LEN];

	switch (ev->kind) {
	case SLACK_EVENT_MESSAGE:
		if (!*ev->user) { /* the original pack could not look these up and dropped them */
			logf_(s, FLYTE_LOG_DEBUG, "Slack: message %s in %s without a user (subtype '%s') not sent", ev->ts,
			      ev->channel, ev->subtype);
			break;
		}
		if (!(u = user_get(s, ev->user, err, sizeof(err)))) {
			logf_(s, FLYTE_LOG_WARN, "Slack: message %s in %s dropped: cannot look up user %s: %s", ev->ts,
			      ev->channel, ev->user, err);
			break;
		}
		up = slack_user_payload(u);
		send_event(s, "ReceivedMessage", slack_received_message(ev, up));
		break;
	case SLACK_EVENT_REACTION:
		if (!(u = user_get(s, ev->user, err, sizeof(err))) || !(iu = user_get(s, ev->item_user, err, sizeof(err)))) {
			logf_(s, FLYTE_LOG_WARN, "Slack: reaction %s dropped: cannot look up user %s: %s", ev->reaction,
			      u ? ev->item_user : ev->user, err);
			break;
		}
		up = slack_user_payload(u);
		iup = slack_user_payload(iu);
		send_event(s, "ReactionAdded", slack_reaction_added(ev, up, iup));
		break;
	case SLACK_EVENT_OTHER:
		logf_(s, FLYTE_LOG_DEBUG, "Slack: event of type '%s' ignored", ev->type);
		break;
	}
	json_decref(u);
	json_decref(iu);
	json_decref(up);
	json_decref(iup);
}

static void *dispatcher_main(void *arg)
{
	struct slack *s = arg;
	bool rooms_ok = s->cfg.flavour != SLACK_FLAVOUR_HIPCHAT || rooms_resolve_all(s);
	int64_t rooms_at = mono_sec();

	for (;;) {
		struct slack_event ev;
		char err[ERR_LEN];
		json_t *cb = NULL;

		pthread_mutex_lock(&s->qlock);
		while (!json_array_size(s->queue) && !s->draining && !s->stopping) {
			if (rooms_ok) {
				pthread_cond_wait(&s->qcond, &s->qlock);
			} else {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += ROOMS_RETRY_SEC;
				if (pthread_cond_timedwait(&s->qcond, &s->qlock, &ts) == ETIMEDOUT)
					break;
			}
		}
		if (s->stopping || (s->draining && !json_array_size(s->queue))) {
			pthread_mutex_unlock(&s->qlock);
			break;
		}
		if (json_array_size(s->queue)) {
			cb = json_incref(json_array_get(s->queue, 0));
			json_array_remove(s->queue, 0);
		}
		pthread_mutex_unlock(&s->qlock);
		if (!rooms_ok && mono_sec() - rooms_at >= ROOMS_RETRY_SEC) {
			rooms_ok = rooms_resolve_all(s);
			rooms_at = mono_sec();
		}
		if (!cb)
			continue;
		if (slack_event_decode(&ev, cb, err, sizeof(err)))
			logf_(s, FLYTE_LOG_WARN, "Slack: ignored an event: %s", err);
		else if (s->cfg.flavour == SLACK_FLAVOUR_HIPCHAT)
			handle_hipchat(s, &ev);
		else
			handle_slack(s, &ev);
		json_decref(cb);
	}
	return NULL;
}

/* ---------------------------------------------------------- receivers */

static int open_url(char *url, size_t len, bool *permanent, char *err, size_t errlen, void *payload)
{
	static const char *const fatal[] = { "invalid_auth", "not_authed", "not_allowed_token_type", "account_inactive",
					     "token_revoked", "token_expired" };
	struct slack *s = payload;
	struct slack_call call = { .method = "apps.connections.open", .kind = SLACK_CALL_FORM };
	json_t *ans = NULL;
	const char *u;
	int rc = slack_web_call(s->app, &call, &ans, err, errlen);

	*permanent = false;
	if (rc == SLACK_WEB_REFUSED) {
		for (size_t i = 0; i < FL_ARRAY_LEN(fatal); i++)
			*permanent |= !strncmp(err, fatal[i], strlen(fatal[i]));
		return -1;
	}
	if (rc)
		return -1;
	u = packjson_sv(ans, "url");
	if (strncmp(u, "wss://", 6) && strncmp(u, "ws://", 5)) {
		snprintf(err, errlen, "apps.connections.open answered without a WebSocket URL");
		json_decref(ans);
		return -1;
	}
	snprintf(url, len, "%s", u);
	json_decref(ans);
	return 0;
}

static void on_event(json_t *callback, void *payload)
{
	slack_incoming(payload, callback);
}

int slack_start(struct slack *s, struct flyte_pack *pack, char *err, size_t errlen)
{
	s->pack = pack;
	if (pthread_create(&s->dispatcher, NULL, dispatcher_main, s)) {
		snprintf(err, errlen, "cannot start a thread");
		return -1;
	}
	s->dispatcher_started = true;
	if (s->app) {
		struct slack_sm_options o = {
			.open_url = open_url, .on_event = on_event, .payload = s,
			.retry_initial_ms = s->cfg.reconnect_ms > 0 ? s->cfg.reconnect_ms : 500,
			.ca_file = packenv_get("SLACK_CA_FILE"),
			.log_fn = s->log_fn, .log_payload = s->log_payload, .log_level = s->log_level,
		};
		bool insecure = false;
		if (packenv_bool("SLACK_INSECURE", &insecure, err, errlen))
			return -1;
		o.insecure = insecure;
		if (slack_sm_start(&s->sm, &o, err, errlen))
			return -1;
	}
	if (s->cfg.events_host[0]) {
		struct slack_events_options o = {
			.host = s->cfg.events_host, .port = s->cfg.events_port, .path = s->cfg.events_path,
			.secret = s->cfg.signing_secret, .on_event = on_event, .payload = s,
			.log_fn = s->log_fn, .log_payload = s->log_payload, .log_level = s->log_level,
		};
		if (slack_events_start(&s->events, &o, err, errlen))
			return -1;
	}
	if (!s->app && !s->cfg.events_host[0])
		logf_(s, FLYTE_LOG_WARN, "Slack: no way to receive messages: set FLYTE_SLACK_APP_TOKEN (Socket Mode) or "
					 "FLYTE_SLACK_EVENTS_ADDR (Events API); only commands work");
	return 0;
}

void slack_stop(struct slack *s, int drain_ms)
{
	struct timespec ts;

	if (s->sm) {
		struct slack_sm_stats st;
		slack_sm_get_stats(s->sm, &st);
		logf_(s, FLYTE_LOG_INFO, "Slack Socket Mode: %lu connections, %lu disconnect requests, %lu dropped, %lu "
					 "envelopes, %lu delivered again, %lu unusable frames",
		      st.connects, st.disconnects, st.drops, st.envelopes, st.duplicates, st.malformed);
	}
	if (s->events) {
		struct slack_events_stats st;
		slack_events_get_stats(s->events, &st);
		logf_(s, FLYTE_LOG_INFO, "Slack Events API: %lu requests, %lu events, %lu refused", st.requests, st.events,
		      st.refused);
	}
	slack_sm_free(s->sm);
	s->sm = NULL;
	slack_events_free(s->events);
	s->events = NULL;
	if (!s->dispatcher_started)
		return;
	/* let the dispatcher send what is queued, then make it give up */
	ts = fl_time_deadline(CLOCK_REALTIME, drain_ms);
	pthread_mutex_lock(&s->qlock);
	s->draining = true;
	pthread_cond_broadcast(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	if (pthread_timedjoin_np(s->dispatcher, NULL, &ts)) {
		pthread_mutex_lock(&s->qlock);
		s->stopping = true;
		pthread_cond_broadcast(&s->qcond);
		pthread_mutex_unlock(&s->qlock);
		pthread_join(s->dispatcher, NULL);
	}
	s->dispatcher_started = false;
	if (json_array_size(s->queue))
		logf_(s, FLYTE_LOG_WARN, "Slack: %zu events not sent to flyte at stop", json_array_size(s->queue));
	logf_(s, FLYTE_LOG_INFO, "Slack: %lu events sent to flyte, %lu dropped", atomic_load(&s->sent),
	      atomic_load(&s->dropped));
}

void slack_release(struct slack *s)
{
	slack_stop(s, 0);
	httpc_free(s->bot);
	httpc_free(s->app);
	json_decref(s->users);
	json_decref(s->channels);
	json_decref(s->rooms);
	json_decref(s->room_map);
	json_decref(s->queue);
	free(s->seen);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->qlock);
	pthread_cond_destroy(&s->qcond);
	memset(s, 0, sizeof(*s));
}
