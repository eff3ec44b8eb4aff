/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slackproto.c - Socket Mode frames, Events API signatures, Slack events
 * and the payloads made of them (see slackproto.h).
 */
#include "fl-common.h"

#include <ctype.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "hex.h"
#include "packjson.h"
#include "slackproto.h"
#include "timeutil.h"

/* Copy at most len - 1 bytes of s, always terminated. */
static void copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

/* An id we can keep and echo: printable ASCII, no quotes or backslashes, short. */
static bool good_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SLACK_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

/* ------------------------------------------------------- Socket Mode */

int slack_frame_decode(struct slack_frame *f, const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = NULL;
	const json_t *type, *env, *payload, *retry;
	const char *kind;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (len > SLACK_FRAME_MAX) {
		snprintf(err, errlen, "frame of %zu bytes is larger than %zu", len, SLACK_FRAME_MAX);
		goto out;
	}
	j = json_loadb(text, len, 0, &je);
	if (!j) {
		snprintf(err, errlen, "frame is not a JSON object: %s", je.text);
		goto out;
	}
	type = json_object_get(j, "type");
	if (!json_is_string(type)) {
		snprintf(err, errlen, "frame has no \"type\"");
		goto out;
	}
	kind = json_string_value(type);
	copy(f->kind, sizeof(f->kind), kind);
	if (!strcmp(kind, "hello")) {
		f->type = SLACK_FRAME_HELLO;
		rc = 0;
		goto out;
	}
	if (!strcmp(kind, "disconnect")) {
		f->type = SLACK_FRAME_DISCONNECT;
		copy(f->reason, sizeof(f->reason), packjson_sv(j, "reason"));
		rc = 0;
		goto out;
	}
	env = json_object_get(j, "envelope_id");
	if (!env) {
		snprintf(err, errlen, "frame of type '%s' is neither hello, disconnect nor an envelope", f->kind);
		goto out;
	}
	if (!json_is_string(env) || !good_id(json_string_value(env))) {
		snprintf(err, errlen, "envelope of type '%s' has no usable envelope_id", f->kind);
		goto out;
	}
	copy(f->envelope_id, sizeof(f->envelope_id), json_string_value(env));
	retry = json_object_get(j, "retry_attempt");
	if (json_is_integer(retry))
		f->retry_attempt = json_integer_value(retry);
	f->type = SLACK_FRAME_OTHER;
	rc = 0;
	if (strcmp(kind, "events_api"))
		goto out;
	payload = json_object_get(j, "payload");
	if (!json_is_object(payload)) {
		snprintf(f->problem, sizeof(f->problem), "events_api envelope without a payload object");
		goto out;
	}
	if (strcmp(packjson_sv(payload, "type"), "event_callback")) {
		snprintf(f->problem, sizeof(f->problem), "events_api payload of type '%.60s' is not an event_callback",
			 packjson_sv(payload, "type"));
		goto out;
	}
	f->type = SLACK_FRAME_EVENTS_API;
	f->payload = json_incref((json_t *)payload);
out:
	json_decref(j);
	return rc;
}

void slack_frame_release(struct slack_frame *f)
{
	if (!f)
		return;
	json_decref(f->payload);
	memset(f, 0, sizeof(*f));
}

void slack_frame_ack(struct fl_buf *out, const char *envelope_id)
{
	fl_buf_adds(out, "{\"envelope_id\":");
	fl_buf_add_json_str(out, envelope_id, strlen(envelope_id));
	fl_buf_addc(out, '}');
}

/* ------------------------------------------------------- Events API */

static bool hmac_v0(unsigned char mac[32], const char *secret, const char *timestamp, const char *body, size_t len)
{
	struct fl_buf m = FL_BUF_INIT(SLACK_FRAME_MAX + 64);
	unsigned int n = 0;
	bool ok;

	fl_buf_adds(&m, "v0:");
	fl_buf_adds(&m, timestamp);
	fl_buf_addc(&m, ':');
	fl_buf_add(&m, body, len);
	ok = !fl_buf_failed(&m) && HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)m.ptr, m.len,
					  mac, &n) && n == 32;
	fl_buf_release(&m);
	return ok;
}

void slack_signature_make(char *out, size_t outlen, const char *secret, const char *timestamp, const char *body,
			  size_t len)
{
	unsigned char mac[32];
	char hex[2 * sizeof(mac) + 1];

	copy(out, outlen, "");
	if (!hmac_v0(mac, secret, timestamp, body, len))
		return;
	for (size_t i = 0; i < sizeof(mac); i++) /* lower case, as Slack sends it */
		fl_hex_byte(hex + 2 * i, mac[i], false);
	hex[2 * sizeof(mac)] = '\0';
	snprintf(out, outlen, "v0=%s", hex);
}

int slack_signature_verify(const char *secret, const char *timestamp, const char *signature, const char *body,
			   size_t len, int64_t now, char *err, size_t errlen)
{
	unsigned char mac[32], given[32];
	long long ts = 0;

	if (!secret || !*secret) {
		snprintf(err, errlen, "no signing secret configured");
		return -1;
	}
	if (!timestamp || !*timestamp) {
		snprintf(err, errlen, "missing X-Slack-Request-Timestamp header");
		return -1;
	}
	if (!signature || !*signature) {
		snprintf(err, errlen, "missing X-Slack-Signature header");
		return -1;
	}
	for (const char *p = timestamp; *p; p++) {
		if (*p < '0' || *p > '9' || p - timestamp >= 12) {
			snprintf(err, errlen, "malformed X-Slack-Request-Timestamp");
			return -1;
		}
		ts = ts * 10 + (*p - '0');
	}
	if (ts < now - SLACK_SIGNATURE_MAX_AGE || ts > now + SLACK_SIGNATURE_MAX_AGE) {
		snprintf(err, errlen, "stale timestamp: %lld s from now", ts - (long long)now);
		return -1;
	}
	if (strncmp(signature, "v0=", 3) || strlen(signature) != 3 + 2 * sizeof(given) ||
	    !fl_hex_decode(given, signature + 3, sizeof(given))) {
		snprintf(err, errlen, "malformed X-Slack-Signature");
		return -1;
	}
	if (!hmac_v0(mac, secret, timestamp, body, len)) {
		snprintf(err, errlen, "cannot compute the signature");
		return -1;
	}
	if (CRYPTO_memcmp(mac, given, sizeof(mac))) {
		snprintf(err, errlen, "signature mismatch");
		return -1;
	}
	return 0;
}

int slack_body_decode(json_t **out, enum slack_body_type *type, const char *body, size_t len, char *challenge,
		      size_t challenge_len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	const char *t;

	*out = NULL;
	*type = SLACK_BODY_OTHER;
	if (challenge_len)
		challenge[0] = '\0';
	j = json_loadb(body, len, 0, &je);
	if (!j) {
		snprintf(err, errlen, "body is not a JSON object: %s", je.text);
		return -1;
	}
	t = packjson_sv(j, "type");
	if (!*t) {
		snprintf(err, errlen, "body has no \"type\"");
		json_decref(j);
		return -1;
	}
	if (!strcmp(t, "event_callback")) {
		*type = SLACK_BODY_EVENT;
	} else if (!strcmp(t, "url_verification")) {
		if (!json_is_string(json_object_get(j, "challenge"))) {
			snprintf(err, errlen, "url_verification without a challenge");
			json_decref(j);
			return -1;
		}
		*type = SLACK_BODY_URL_VERIFICATION;
		if (challenge_len)
			copy(challenge, challenge_len, packjson_sv(j, "challenge"));
	} else if (!strcmp(t, "app_rate_limited")) {
		*type = SLACK_BODY_RATE_LIMITED;
	}
	*out = j;
	return 0;
}

/* ------------------------------------------------------------ events */

/* obj[key] as a string: "" when absent or null; -1 when of another type. */
static int str_member(const json_t *obj, const char *key, const char **out, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	*out = "";
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "event member \"%s\" is not a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int slack_event_decode(struct slack_event *ev, const json_t *callback, char *err, size_t errlen)
{
	const json_t *e, *item, *bp, *rc;

	memset(ev, 0, sizeof(*ev));
	ev->event_id = ev->type = ev->subtype = ev->channel = ev->user = ev->bot_id = ev->bot_name = "";
	ev->text = ev->ts = ev->thread_ts = ev->event_ts = "";
	ev->reaction = ev->item_user = ev->item_type = ev->item_channel = ev->item_ts = "";
	if (!json_is_object(callback)) {
		snprintf(err, errlen, "event callback is not an object");
		return -1;
	}
	if (str_member(callback, "event_id", &ev->event_id, err, errlen))
		return -1;
	e = json_object_get(callback, "event");
	if (!json_is_object(e)) {
		snprintf(err, errlen, "event callback without an \"event\" object");
		return -1;
	}
	if (str_member(e, "type", &ev->type, err, errlen) || str_member(e, "event_ts", &ev->event_ts, err, errlen))
		return -1;
	if (!*ev->type) {
		snprintf(err, errlen, "event without a type");
		return -1;
	}
	if (!strcmp(ev->type, "message")) {
		if (str_member(e, "subtype", &ev->subtype, err, errlen) ||
		    str_member(e, "channel", &ev->channel, err, errlen) || str_member(e, "user", &ev->user, err, errlen) ||
		    str_member(e, "bot_id", &ev->bot_id, err, errlen) ||
		    str_member(e, "username", &ev->bot_name, err, errlen) || str_member(e, "text", &ev->text, err, errlen) ||
		    str_member(e, "ts", &ev->ts, err, errlen) || str_member(e, "thread_ts", &ev->thread_ts, err, errlen))
			return -1;
		if (!*ev->channel || !*ev->ts) {
			snprintf(err, errlen, "message event without %s", *ev->channel ? "a ts" : "a channel");
			return -1;
		}
		bp = json_object_get(e, "bot_profile");
		if (!*ev->bot_name && json_is_string(json_object_get(bp, "name")))
			ev->bot_name = json_string_value(json_object_get(bp, "name"));
		rc = json_object_get(e, "reply_count");
		if (json_is_integer(rc) && json_integer_value(rc) >= 0)
			ev->reply_count = json_integer_value(rc);
		if (json_is_array(json_object_get(e, "replies")))
			ev->replies = json_object_get(e, "replies");
		ev->kind = SLACK_EVENT_MESSAGE;
		return 0;
	}
	if (!strcmp(ev->type, "reaction_added")) {
		if (str_member(e, "user", &ev->user, err, errlen) || str_member(e, "reaction", &ev->reaction, err, errlen) ||
		    str_member(e, "item_user", &ev->item_user, err, errlen))
			return -1;
		item = json_object_get(e, "item");
		if (!json_is_object(item)) {
			snprintf(err, errlen, "reaction_added without an \"item\" object");
			return -1;
		}
		if (str_member(item, "type", &ev->item_type, err, errlen) ||
		    str_member(item, "channel", &ev->item_channel, err, errlen) ||
		    str_member(item, "ts", &ev->item_ts, err, errlen))
			return -1;
		if (!*ev->user || !*ev->reaction) {
			snprintf(err, errlen, "reaction_added without %s", *ev->user ? "a reaction" : "a user");
			return -1;
		}
		ev->kind = SLACK_EVENT_REACTION;
		return 0;
	}
	ev->kind = SLACK_EVENT_OTHER;
	return 0;
}

/* ---------------------------------------------------------- payloads */

/* Set a string member (invalid UTF-8 replaced); false when out of memory. */
static bool put(json_t *o, const char *k, const char *v)
{
	return o && packjson_set_str(o, k, v) == 0;
}

json_t *slack_user_payload(const json_t *user)
{
	const json_t *p = json_object_get(user, "profile");
	json_t *o = json_object();

	if (put(o, "id", packjson_sv(user, "id")) && put(o, "name", packjson_sv(user, "name")) &&
	    put(o, "email", packjson_sv(p, "email")) && put(o, "title", packjson_sv(p, "title")) &&
	    put(o, "firstName", packjson_sv(p, "first_name")) && put(o, "lastName", packjson_sv(p, "last_name")))
		return o;
	json_decref(o);
	return NULL;
}

json_t *slack_received_message(const struct slack_event *ev, json_t *user)
{
	json_t *o = json_object(), *replies = ev->replies ? json_deep_copy(ev->replies) : json_null();

	if (put(o, "channelId", ev->channel) && !json_object_set(o, "user", user ? user : json_null()) &&
	    put(o, "message", ev->text) && put(o, "timestamp", ev->ts) &&
	    put(o, "threadTimestamp", *ev->thread_ts ? ev->thread_ts : ev->ts) &&
	    !json_object_set_new(o, "replyCount", json_integer(ev->reply_count)) && replies &&
	    !json_object_set_new(o, "replies", replies))
		return o;
	json_decref(o);
	return NULL;
}

json_t *slack_reaction_added(const struct slack_event *ev, json_t *user, json_t *item_user)
{
	json_t *o = json_object(), *item = json_object();

	if (put(o, "type", "reaction_added") && !json_object_set(o, "user", user ? user : json_null()) &&
	    !json_object_set(o, "itemUser", item_user ? item_user : json_null()) && put(item, "type", ev->item_type) &&
	    put(item, "timestamp", ev->item_ts) && put(item, "channel", ev->item_channel) &&
	    !json_object_set(o, "item", item) && put(o, "reaction", ev->reaction) &&
	    put(o, "eventTimestamp", ev->event_ts)) {
		json_decref(item);
		return o;
	}
	json_decref(item);
	json_decref(o);
	return NULL;
}

json_t *slack_hipchat_user(const json_t *user)
{
	const json_t *p = json_object_get(user, "profile");
	const char *name = packjson_sv(p, "real_name"), *mention = packjson_sv(p, "display_name");
	json_t *o = json_object();

	if (!*name)
		name = *packjson_sv(user, "real_name") ? packjson_sv(user, "real_name") : packjson_sv(user, "name");
	if (!*mention)
		mention = packjson_sv(user, "name");
	if (put(o, "id", packjson_sv(user, "id")) && put(o, "name", name) && put(o, "mentionName", mention))
		return o;
	json_decref(o);
	return NULL;
}

bool slack_ts_date(char *out, size_t len, const char *ts)
{
	long long sec = 0, us = 0;
	const char *p = ts;
	int digits = 0;
	char buf[48];

	copy(out, len, "");
	if (!*p)
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (++digits > 12)
			return false;
		sec = sec * 10 + (*p - '0');
	}
	if (!digits)
		return false;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 6)
				us = us * 10 + (*p - '0');
		for (; n < 6; n++)
			us *= 10;
	}
	if (*p)
		return false;
	if (fl_time_format_rfc3339(buf, sizeof(buf), sec * FL_NS_PER_SEC + us * 1000, 0, 6) < 0)
		return false;
	/* "...Z" → "...+00:00", the way HipChat wrote dates */
	if (strlen(buf) && buf[strlen(buf) - 1] == 'Z')
		buf[strlen(buf) - 1] = '\0';
	snprintf(out, len, "%s+00:00", buf);
	return true;
}

json_t *slack_hipchat_message(const struct slack_event *ev, const char *room_id, json_t *from, json_t *mentions,
			      const char *text)
{
	json_t *o = json_object();
	char date[64];
	bool ok;

	slack_ts_date(date, sizeof(date), ev->ts);
	ok = put(o, "id", ev->ts) && put(o, "roomId", room_id) && put(o, "date", date);
	if (ok && from)
		ok = !json_object_set(o, "from", from);
	else if (ok)
		ok = put(o, "from", *ev->bot_name ? ev->bot_name : ev->bot_id);
	ok = ok && !json_object_set_new(o, "mentions", mentions ? json_incref(mentions) : json_array()) &&
	     put(o, "message", text) && put(o, "messageFormat", "text") &&
	     put(o, "type", from ? "message" : "notification");
	if (ok)
		return o;
	json_decref(o);
	return NULL;
}

/* -------------------------------------------------------------- text */

/* Append s[0..n) with &amp; &lt; &gt; decoded. */
static void add_decoded(struct fl_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '&') {
			if (n - i >= 5 && !memcmp(s + i, "&amp;", 5)) {
				fl_buf_addc(out, '&');
				i += 4;
				continue;
			}
			if (n - i >= 4 && (!memcmp(s + i, "&lt;", 4) || !memcmp(s + i, "&gt;", 4))) {
				fl_buf_addc(out, s[i + 1] == 'l' ? '<' : '>');
				i += 3;
				continue;
			}
		}
		fl_buf_addc(out, s[i]);
	}
}

/* One <...> element (inside: what is between the brackets). */
static void add_element(struct fl_buf *out, const char *in, size_t n, slack_name_fn fn, void *payload)
{
	const char *bar = memchr(in, '|', n);
	size_t head = bar ? (size_t)(bar - in) : n;
	const char *label = bar ? bar + 1 : NULL;
	size_t label_len = bar ? n - head - 1 : 0;

	if (n >= 2 && in[0] == '@') {
		char id[SLACK_ID_MAX];
		const char *name = NULL;
		if (head - 1 < sizeof(id)) {
			memcpy(id, in + 1, head - 1);
			id[head - 1] = '\0';
			name = fn ? fn(id, payload) : NULL;
		}
		fl_buf_addc(out, '@');
		if (name)
			fl_buf_adds(out, name);
		else if (label && label_len)
			add_decoded(out, label[0] == '@' ? label + 1 : label, label[0] == '@' ? label_len - 1 : label_len);
		else
			add_decoded(out, in + 1, head - 1);
		return;
	}
	if (n >= 2 && in[0] == '#') {
		fl_buf_addc(out, '#');
		if (label && label_len)
			add_decoded(out, label, label_len);
		else
			add_decoded(out, in + 1, head - 1);
		return;
	}
	if (n >= 2 && in[0] == '!') {
		if (head == 5 && !memcmp(in, "!here", 5))
			fl_buf_adds(out, "@here");
		else if ((head == 8 && !memcmp(in, "!channel", 8)) || (head == 9 && !memcmp(in, "!everyone", 9)))
			fl_buf_adds(out, "@all");
		else if (label)
			add_decoded(out, label, label_len);
		else
			add_decoded(out, in + 1, head - 1);
		return;
	}
	if (label && label_len)
		add_decoded(out, label, label_len);
	else
		add_decoded(out, in, head);
}

void slack_plain_text(struct fl_buf *out, const char *text, size_t len, slack_name_fn fn, void *payload)
{
	size_t i = 0, start = 0;

	while (i < len) {
		const char *close;
		if (text[i] != '<') {
			i++;
			continue;
		}
		close = memchr(text + i + 1, '>', len - i - 1);
		if (!close) /* no element after all: the rest is text */
			break;
		add_decoded(out, text + start, i - start);
		add_element(out, text + i + 1, (size_t)(close - text - i - 1), fn, payload);
		i = start = (size_t)(close - text) + 1;
	}
	add_decoded(out, text + start, len - start);
}

void slack_mentions(json_t *ids, const char *text, size_t max)
{
	const char *p = text;

	while ((p = strstr(p, "<@"))) {
		size_t n = strcspn(p + 2, "|>");
		char id[SLACK_ID_MAX];
		bool dup = false;
		size_t i;
		json_t *v;

		if (p[2 + n] == '\0')
			break;
		if (n && n < sizeof(id)) {
			memcpy(id, p + 2, n);
			id[n] = '\0';
			json_array_foreach(ids, i, v)
				if (!strcmp(json_string_value(v), id))
					dup = true;
			if (!dup && good_id(id)) {
				if (json_array_size(ids) >= max)
					return;
				json_array_append_new(ids, json_string(id));
			}
		}
		p += 2 + n;
	}
}

void slack_escape(struct fl_buf *out, const char *text, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep = text[i] == '&' ? "&amp;" : text[i] == '<' ? "&lt;" : text[i] == '>' ? "&gt;" : NULL;
		if (!rep)
			continue;
		fl_buf_add(out, text + start, i - start);
		fl_buf_adds(out, rep);
		start = i + 1;
	}
	fl_buf_add(out, text + start, len - start);
}

/* HTML entity at s (n bytes left, s[0] == '&'): its text and length, or NULL. */
static const char *html_entity(const char *s, size_t n, size_t *used)
{
	static const struct { const char *name, *text; } ents[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
		{ "&#39;", "'" }, { "&apos;", "'" }, { "&nbsp;", " " },
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(ents); i++) {
		size_t l = strlen(ents[i].name);
		if (n >= l && !strncasecmp(s, ents[i].name, l)) {
			*used = l;
			return ents[i].text;
		}
	}
	return NULL;
}

/* Case-insensitive: does the tag body t (n bytes) name tag (with or without '/')? */
static bool tag_is(const char *t, size_t n, const char *tag)
{
	size_t l = strlen(tag);

	if (n && t[0] == '/') {
		t++;
		n--;
	}
	return n >= l && !strncasecmp(t, tag, l) && (n == l || t[l] == ' ' || t[l] == '/' || t[l] == '\t');
}

/* The value of attribute href in a tag body, as a slice (quotes removed). */
static bool tag_href(const char *t, size_t n, const char **v, size_t *vl)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		if (strncasecmp(t + i, "href=", 5))
			continue;
		i += 5;
		if (i < n && (t[i] == '"' || t[i] == '\'')) {
			const char *q = memchr(t + i + 1, t[i], n - i - 1);
			if (!q)
				return false;
			*v = t + i + 1;
			*vl = (size_t)(q - t - i - 1);
			return true;
		}
		*v = t + i;
		*vl = strcspn(t + i, " \t>");
		if (*vl > n - i)
			*vl = n - i;
		return true;
	}
	return false;
}

void slack_html_to_mrkdwn(struct fl_buf *out, const char *html, size_t len)
{
	struct fl_buf text = FL_BUF_INIT(0); /* pending text, escaped when flushed */
	struct fl_buf href = FL_BUF_INIT(0); /* inside <a href>: the URL */
	bool in_link = false;

	for (size_t i = 0; i < len;) {
		/* a tag starts with a letter, '/' or '!' after the '<' ("1 < 2" is text) */
		if (html[i] == '<' && i + 1 < len &&
		    (isalpha((unsigned char)html[i + 1]) || html[i + 1] == '/' || html[i + 1] == '!')) {
			const char *close = memchr(html + i + 1, '>', len - i - 1);
			const char *t = html + i + 1, *v;
			size_t n, vl;
			if (!close) {
				fl_buf_addc(&text, '<');
				i++;
				continue;
			}
			n = (size_t)(close - t);
			if (!in_link) {
				slack_escape(out, text.ptr, text.len);
				fl_buf_reset(&text);
			}
			if (tag_is(t, n, "b") || tag_is(t, n, "strong"))
				fl_buf_addc(in_link ? &text : out, '*');
			else if (tag_is(t, n, "i") || tag_is(t, n, "em"))
				fl_buf_addc(in_link ? &text : out, '_');
			else if (tag_is(t, n, "code"))
				fl_buf_addc(in_link ? &text : out, '`');
			else if (tag_is(t, n, "br") || (n && t[0] == '/' && tag_is(t, n, "p")))
				fl_buf_addc(in_link ? &text : out, '\n');
			else if (tag_is(t, n, "a") && t[0] != '/' && !in_link && tag_href(t, n, &v, &vl)) {
				fl_buf_reset(&href);
				for (size_t k = 0; k < vl;) { /* entities in the URL too */
					size_t used;
					const char *e = v[k] == '&' ? html_entity(v + k, vl - k, &used) : NULL;
					if (e) {
						fl_buf_adds(&href, e);
						k += used;
					} else {
						fl_buf_addc(&href, v[k]);
						k++;
					}
				}
				in_link = true;
			} else if (tag_is(t, n, "a") && t[0] == '/' && in_link) {
				/* <url|label>: '|' and '>' cannot appear inside; drop them */
				fl_buf_addc(out, '<');
				for (size_t k = 0; k < href.len; k++)
					if (href.ptr[k] != '|' && href.ptr[k] != '>' && href.ptr[k] != '<')
						fl_buf_addc(out, href.ptr[k]);
				if (text.len) {
					fl_buf_addc(out, '|');
					slack_escape(out, text.ptr, text.len);
				}
				fl_buf_addc(out, '>');
				fl_buf_reset(&text);
				in_link = false;
			}
			i = (size_t)(close - html) + 1;
			continue;
		}
		if (html[i] == '&') {
			size_t used;
			const char *e = html_entity(html + i, len - i, &used);
			if (e) {
				fl_buf_adds(&text, e);
				i += used;
				continue;
			}
		}
		fl_buf_addc(&text, html[i]);
		i++;
	}
	/* the rest (also the text of an <a> never closed) */
	slack_escape(out, text.ptr, text.len);
	fl_buf_release(&text);
	fl_buf_release(&href);
}

const char *slack_hipchat_color(const char *name, unsigned rnd)
{
	/* Atlassian's palette of the HipChat notification colours */
	static const struct { const char *name, *hex; } colors[] = {
		{ "yellow", "#f6c342" }, { "green", "#14892c" }, { "red", "#d04437" },
		{ "purple", "#654982" }, { "gray", "#cccccc" },
	};
	if (!name || !*name)
		name = "yellow";
	if (!strcmp(name, "random"))
		return colors[rnd % FL_ARRAY_LEN(colors)].hex;
	for (size_t i = 0; i < FL_ARRAY_LEN(colors); i++)
		if (!strcmp(name, colors[i].name))
			return colors[i].hex;
	return NULL;
}

bool slack_is_channel_id(const char *s)
{
	size_t n = 0;

	if (!s || (s[0] != 'C' && s[0] != 'G' && s[0] != 'D'))
		return false;
	for (const char *p = s + 1; *p; p++, n++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return n >= 8;
}

/* ------------------------------------------------------- duplicates */

void slack_seen_init(struct slack_seen *s)
{
	s->next = s->count = 0;
}

bool slack_seen_add(struct slack_seen *s, const char *id)
{
	if (!id || !*id)
		return true;
	for (size_t i = 0; i < s->count; i++)
		if (!strcmp(s->ids[i], id))
			return false;
	copy(s->ids[s->next], SLACK_ID_MAX, id);
	s->next = (s->next + 1) % SLACK_SEEN_MAX;
	if (s->count < SLACK_SEEN_MAX)
		s->count++;
	return true;
}
