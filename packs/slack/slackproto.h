/* SPDX-License-Identifier: Apache-2.0 */
/*
 * slackproto.h - what the Slack pack reads from Slack and what it makes of
 * it, without any I/O: Socket Mode frames, Events API request signatures,
 * the events inside them, the flyte payloads built from those events (the
 * Slack pack's and the HipChat pack's shapes), and the text conversions
 * between Slack's markup and HipChat's.
 *
 * Everything here is pure and thread-compatible (no global state), so the
 * unit tests and the fuzz target (fuzz/slack) exercise exactly the code the
 * pack runs.  Strings handed in may be any bytes; JSON handed in may have
 * any shape: a decoder either fills its struct or refuses with a one-line
 * reason, and every payload built is serialisable JSON.
 *
 * Protocol references: Slack's "Socket Mode implementation" (envelopes
 * {"envelope_id","type","payload","accepts_response_payload",
 * "retry_attempt","retry_reason"}, acknowledgements {"envelope_id"}, the
 * "hello" and "disconnect" messages), the Events API (the event_callback
 * wrapper with event_id, url_verification) and "Verifying requests from
 * Slack" (v0 signatures).
 */
#ifndef SLACKPROTO_H
#define SLACKPROTO_H

#include "fl-common.h"

#include <jansson.h>

#include "buf.h"

/* Largest Socket Mode frame or Events API body the pack reads. */
#define SLACK_FRAME_MAX ((size_t)1 << 20)
/* Identifiers kept (envelope ids, event ids) are shorter than this. */
#define SLACK_ID_MAX 96
/* chat.postMessage's limit on the text of a message, in characters. */
#define SLACK_TEXT_MAX 40000
/* How far a request timestamp may be from now, in seconds. */
#define SLACK_SIGNATURE_MAX_AGE 300

/* ------------------------------------------------------- Socket Mode */

enum slack_frame_type {
	SLACK_FRAME_HELLO,      /* connection ready */
	SLACK_FRAME_DISCONNECT, /* Slack asks for a new connection (see reason) */
	SLACK_FRAME_EVENTS_API, /* an envelope carrying an event_callback */
	SLACK_FRAME_OTHER,      /* another envelope (slash command, interactivity, ...):
				 * acknowledged and not used */
};

struct slack_frame {
	enum slack_frame_type type;
	char kind[32];                  /* the "type" member, cut to fit */
	char envelope_id[SLACK_ID_MAX]; /* envelopes only */
	char reason[64];                /* disconnect: "warning", "refresh_requested", "link_disabled" */
	long long retry_attempt;        /* envelopes: 0 for a first delivery */
	/* EVENTS_API: the event_callback object (owned; slack_frame_release()). */
	json_t *payload;
	/* An envelope whose payload could not be used: why (it is still
	 * acknowledged, or Slack would deliver it again and again). */
	char problem[160];
};

/*
 * Decode one text frame of a Socket Mode connection.
 *
 * @return 0 with f filled (release it); -1 with a reason in err when the
 *         frame is not a JSON object with a string "type", or is an envelope
 *         without a usable envelope_id (it cannot be acknowledged).
 */
int slack_frame_decode(struct slack_frame *f, const char *text, size_t len, char *err, size_t errlen);
void slack_frame_release(struct slack_frame *f);

/* The acknowledgement of an envelope, {"envelope_id":"..."}, appended to out. */
void slack_frame_ack(struct fl_buf *out, const char *envelope_id);

/* ------------------------------------------------------- Events API */

/*
 * Verify a request of the Events API: signature "v0=" + hex HMAC-SHA256 of
 * "v0:<timestamp>:<body>" keyed with the signing secret, and a timestamp
 * within SLACK_SIGNATURE_MAX_AGE seconds of now (Unix seconds).  The
 * comparison takes the same time whatever the signature.
 *
 * @return 0 when the request is authentic; -1 with a reason in err
 *         ("missing X-Slack-Signature header", "stale timestamp", ...).
 */
int slack_signature_verify(const char *secret, const char *timestamp, const char *signature, const char *body,
			   size_t len, int64_t now, char *err, size_t errlen);

/* The signature of body at timestamp, "v0=<64 hex digits>", into out (at
 * least 68 bytes).  Used by the tests' stand-in of Slack. */
void slack_signature_make(char *out, size_t outlen, const char *secret, const char *timestamp, const char *body,
			  size_t len);

enum slack_body_type {
	SLACK_BODY_EVENT,            /* event_callback */
	SLACK_BODY_URL_VERIFICATION, /* answer with the challenge */
	SLACK_BODY_RATE_LIMITED,     /* app_rate_limited: Slack is dropping events */
	SLACK_BODY_OTHER,
};

/*
 * Classify a request body of the Events API.  For URL_VERIFICATION the
 * challenge is copied to challenge (cut at challenge_len - 1).
 *
 * @param out receives the parsed body (caller owns) on success.
 * @return 0, or -1 with a reason in err (not JSON, not an object, no type).
 */
int slack_body_decode(json_t **out, enum slack_body_type *type, const char *body, size_t len, char *challenge,
		      size_t challenge_len, char *err, size_t errlen);

/* ------------------------------------------------------------ events */

enum slack_event_kind {
	SLACK_EVENT_MESSAGE,
	SLACK_EVENT_REACTION, /* reaction_added */
	SLACK_EVENT_OTHER,    /* any other event type: not used */
};

/*
 * One event of an event_callback.  Strings are borrowed from the callback
 * object and are "" when absent, never NULL.
 */
struct slack_event {
	enum slack_event_kind kind;
	const char *event_id; /* of the callback: Slack's id for duplicate deliveries */
	const char *type;
	const char *subtype;
	const char *channel;
	const char *user;     /* "" for bot and system messages without a user */
	const char *bot_id;
	const char *bot_name; /* username, else bot_profile.name */
	const char *text;
	const char *ts;
	const char *thread_ts;
	const char *event_ts;
	long long reply_count;
	const json_t *replies; /* NULL when absent or not an array */
	/* reaction_added */
	const char *reaction;
	const char *item_user;
	const char *item_type;
	const char *item_channel;
	const char *item_ts;
};

/*
 * Read the event of an event_callback object.  Members of the wrong type are
 * refused (a message's "text" that is a number is not a message).
 *
 * @return 0, or -1 with a reason in err.
 */
int slack_event_decode(struct slack_event *ev, const json_t *callback, char *err, size_t errlen);

/* ---------------------------------------------------------- payloads */

/*
 * The Slack pack's user object {"id","name","email","title","firstName",
 * "lastName"} from the "user" object of a users.info answer.  NULL only when
 * out of memory.
 */
json_t *slack_user_payload(const json_t *user);

/*
 * ReceivedMessage of the Slack pack: {"channelId","user","message",
 * "timestamp","threadTimestamp","replyCount","replies"}.  threadTimestamp is
 * the thread's parent when the message is in a thread, else its own ts.
 * user is a slack_user_payload() (a reference is taken).
 */
json_t *slack_received_message(const struct slack_event *ev, json_t *user);

/* ReactionAdded: {"type","user","itemUser","item":{"type","timestamp","channel"},
 * "reaction","eventTimestamp"}; user and item_user as above. */
json_t *slack_reaction_added(const struct slack_event *ev, json_t *user, json_t *item_user);

/*
 * HipChat's user object {"id","name","mentionName"}: the Slack user id (a
 * string, where HipChat had a number), the real name, the display name (or
 * the user name).
 */
json_t *slack_hipchat_user(const json_t *user);

/*
 * ReceivedMessage of the HipChat pack: {"id","roomId","date","from",
 * "mentions","message","messageFormat","type"}.  from is a
 * slack_hipchat_user() for a person (type "message"), or NULL for a bot's
 * message (type "notification", from = the bot's name, as HipChat sent
 * notifications).  mentions is an array of HipChat user objects (a
 * reference is taken; NULL = []).  text is the message as plain text
 * (slack_plain_text()).
 */
json_t *slack_hipchat_message(const struct slack_event *ev, const char *room_id, json_t *from, json_t *mentions,
			      const char *text);

/*
 * "2023-11-14T22:13:20.000100+00:00" (HipChat's date format) from a Slack
 * ts "1700000000.000100".  Returns false (and "" in out) when ts is not one.
 */
bool slack_ts_date(char *out, size_t len, const char *ts);

/* -------------------------------------------------------------- text */

/* Name of a user id for the text conversion, or NULL when unknown. */
typedef const char *(*slack_name_fn)(const char *user_id, void *payload);

/*
 * Slack's message markup to the plain text a person typed (what HipChat
 * reported): <@U1> and <@U1|x> become "@" + the name given by fn (else x,
 * else the id); <#C1|general> becomes "#general"; <!here> "@here",
 * <!channel> and <!everyone> "@all"; <http://a|label> becomes label and
 * <http://a> "http://a"; &amp; &lt; &gt; are decoded.  A '<' without a
 * closing '>' stays as it is.  fn may be NULL.
 */
void slack_plain_text(struct fl_buf *out, const char *text, size_t len, slack_name_fn fn, void *payload);

/*
 * The distinct user ids mentioned in text (<@U1>, <@W2|x>), appended to ids
 * (a JSON array of strings), at most max of them.
 */
void slack_mentions(json_t *ids, const char *text, size_t max);

/* Text shown literally by Slack: & < > escaped as &amp; &lt; &gt;. */
void slack_escape(struct fl_buf *out, const char *text, size_t len);

/*
 * HipChat's HTML message format to Slack markup: <b>/<strong> → *x*,
 * <i>/<em> → _x_, <code> → `x`, <a href="u">x</a> → <u|x>, <br> and </p>
 * → newline, other tags dropped; &amp; &lt; &gt; &quot; &#39; &apos;
 * &nbsp; decoded and the text escaped for Slack.
 */
void slack_html_to_mrkdwn(struct fl_buf *out, const char *html, size_t len);

/*
 * Attachment colour of a HipChat notification colour (yellow, green, red,
 * purple, gray; "random" picks one with rnd), or NULL for another name.
 */
const char *slack_hipchat_color(const char *name, unsigned rnd);

/* True for a Slack conversation id: C, G or D followed by at least 8
 * upper-case letters and digits. */
bool slack_is_channel_id(const char *s);

/* ------------------------------------------------------- duplicates */

#define SLACK_SEEN_MAX 2048

/*
 * The most recent SLACK_SEEN_MAX ids (envelope or event ids) seen.  Not
 * thread-safe: the owner locks.
 */
struct slack_seen {
	char ids[SLACK_SEEN_MAX][SLACK_ID_MAX];
	size_t next, count;
};

void slack_seen_init(struct slack_seen *s);
/* Remember id; false when it was seen already ("" is never a duplicate). */
bool slack_seen_add(struct slack_seen *s, const char *id);

#endif
