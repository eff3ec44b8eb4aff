/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_slackproto.c - unit tests of the Slack pack's protocol code
 * (packs/slack/slackproto.h): Socket Mode frames, Events API signatures,
 * events, payloads and text conversions.
 */
#include "fl-common.h"

#include "buf.h"
#include "fltest.h"
#include "slackproto.h"

static char *dump(json_t *j)
{
	static char buf[4096];
	char *t = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, sizeof(buf), "%s", t ? t : "(null)");
	free(t);
	return buf;
}

#define EQ_JSON(j, text) FLT_EQ_STR(dump(j), text)

FLT_TEST(frames_hello_and_disconnect)
{
	struct slack_frame f;
	char err[256];
	const char *hello = "{\"type\":\"hello\",\"num_connections\":1,\"debug_info\":{\"host\":\"applink-1\"},"
			    "\"connection_info\":{\"app_id\":\"A1\"}}";

	FLT_EQ_INT(slack_frame_decode(&f, hello, strlen(hello), err, sizeof(err)), 0);
	FLT_EQ_INT(f.type, SLACK_FRAME_HELLO);
	slack_frame_release(&f);
	FLT_EQ_INT(slack_frame_decode(&f, "{\"type\":\"disconnect\",\"reason\":\"refresh_requested\"}", 50, err, sizeof(err)),
		   0);
	FLT_EQ_INT(f.type, SLACK_FRAME_DISCONNECT);
	FLT_EQ_STR(f.reason, "refresh_requested");
	slack_frame_release(&f);
}

FLT_TEST(frames_envelopes)
{
	struct slack_frame f;
	char err[256];
	const char *ev = "{\"envelope_id\":\"57d6a792-4d35-4d0b-b6aa-3361493e1caf\",\"payload\":{\"type\":\"event_callback\","
			 "\"event_id\":\"Ev1\",\"event\":{\"type\":\"message\"}},\"type\":\"events_api\","
			 "\"accepts_response_payload\":false,\"retry_attempt\":2,\"retry_reason\":\"timeout\"}";
	const char *slash = "{\"envelope_id\":\"e2\",\"type\":\"slash_commands\",\"payload\":{\"command\":\"/x\"}}";
	const char *bad_payload = "{\"envelope_id\":\"e3\",\"type\":\"events_api\",\"payload\":\"x\"}";
	struct fl_buf ack = FL_BUF_INIT(0);

	FLT_EQ_INT(slack_frame_decode(&f, ev, strlen(ev), err, sizeof(err)), 0);
	FLT_EQ_INT(f.type, SLACK_FRAME_EVENTS_API);
	FLT_EQ_STR(f.envelope_id, "57d6a792-4d35-4d0b-b6aa-3361493e1caf");
	FLT_EQ_INT(f.retry_attempt, 2);
	FLT_EQ_STR(json_string_value(json_object_get(f.payload, "event_id")), "Ev1");
	slack_frame_ack(&ack, f.envelope_id);
	FLT_EQ_STR(ack.ptr, "{\"envelope_id\":\"57d6a792-4d35-4d0b-b6aa-3361493e1caf\"}");
	fl_buf_release(&ack);
	slack_frame_release(&f);

	/* other envelopes are acknowledged, not used */
	FLT_EQ_INT(slack_frame_decode(&f, slash, strlen(slash), err, sizeof(err)), 0);
	FLT_EQ_INT(f.type, SLACK_FRAME_OTHER);
	FLT_EQ_STR(f.envelope_id, "e2");
	FLT_EQ_STR(f.problem, "");
	slack_frame_release(&f);
	FLT_EQ_INT(slack_frame_decode(&f, bad_payload, strlen(bad_payload), err, sizeof(err)), 0);
	FLT_EQ_INT(f.type, SLACK_FRAME_OTHER);
	FLT_EQ_STR(f.problem, "events_api envelope without a payload object");
	slack_frame_release(&f);
}

FLT_TEST(frames_refused)
{
	static const char *const bad[] = {
		"", "not json", "[1]", "{}", "{\"type\":5}", "{\"type\":\"events_api\"}",
		"{\"type\":\"events_api\",\"envelope_id\":7}", "{\"type\":\"events_api\",\"envelope_id\":\"\"}",
		"{\"type\":\"events_api\",\"envelope_id\":\"a\\\"b\"}", "{\"type\":\"hello\"} trailing",
	};
	struct slack_frame f;
	char err[256];

	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		FLT_EQ_INT(slack_frame_decode(&f, bad[i], strlen(bad[i]), err, sizeof(err)), -1);
		FLT_ASSERT(err[0] != '\0');
		FLT_ASSERT(f.payload == NULL);
	}
}

FLT_TEST(signatures)
{
	/* the example of Slack's "Verifying requests from Slack" */
	const char *secret = "8f742231b10e8888abcd99yyyzzz85a5";
	const char *body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
			   "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
			   "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885"
			   "554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fc"
			   "e8b6703c";
	const char *sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
	char err[256], made[80];

	slack_signature_make(made, sizeof(made), secret, "1531420618", body, strlen(body));
	FLT_EQ_STR(made, sig);
	FLT_EQ_INT(slack_signature_verify(secret, "1531420618", sig, body, strlen(body), 1531420618 + 10, err,
					  sizeof(err)), 0);
	/* stale, future, tampered, malformed, missing */
	FLT_EQ_INT(slack_signature_verify(secret, "1531420618", sig, body, strlen(body), 1531420618 + 301, err,
					  sizeof(err)), -1);
	FLT_ASSERT(strstr(err, "stale timestamp"));
	FLT_EQ_INT(slack_signature_verify(secret, "1531420618", sig, body, strlen(body), 1531420618 - 301, err,
					  sizeof(err)), -1);
	FLT_EQ_INT(slack_signature_verify(secret, "1531420618", sig, body, strlen(body) - 1, 1531420618, err,
					  sizeof(err)), -1);
	FLT_EQ_STR(err, "signature mismatch");
	FLT_EQ_INT(slack_signature_verify("other", "1531420618", sig, body, strlen(body), 1531420618, err, sizeof(err)),
		   -1);
	FLT_EQ_INT(slack_signature_verify(secret, "1531420618", "v0=zz", body, strlen(body), 1531420618, err,
					  sizeof(err)), -1);
	FLT_EQ_STR(err, "malformed X-Slack-Signature");
	FLT_EQ_INT(slack_signature_verify(secret, "15314x0618", sig, body, strlen(body), 1531420618, err, sizeof(err)),
		   -1);
	FLT_EQ_INT(slack_signature_verify(secret, NULL, sig, body, strlen(body), 1531420618, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "missing X-Slack-Request-Timestamp header");
	FLT_EQ_INT(slack_signature_verify(secret, "1531420618", "", body, strlen(body), 1531420618, err, sizeof(err)), -1);
	FLT_EQ_STR(err, "missing X-Slack-Signature header");
	/* upper-case hex is the same signature */
	{
		char upper[80];
		snprintf(upper, sizeof(upper), "%s", sig);
		for (char *p = upper + 3; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		FLT_EQ_INT(slack_signature_verify(secret, "1531420618", upper, body, strlen(body), 1531420618, err,
						  sizeof(err)), 0);
	}
}

FLT_TEST(events_api_bodies)
{
	enum slack_body_type t;
	char err[256], challenge[64];
	json_t *b;
	const char *uv = "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvF"
			 "XO7tYXAYM8P\",\"type\":\"url_verification\"}";

	FLT_EQ_INT(slack_body_decode(&b, &t, uv, strlen(uv), challenge, sizeof(challenge), err, sizeof(err)), 0);
	FLT_EQ_INT(t, SLACK_BODY_URL_VERIFICATION);
	FLT_EQ_STR(challenge, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
	json_decref(b);
	FLT_EQ_INT(slack_body_decode(&b, &t, "{\"type\":\"app_rate_limited\"}", 27, challenge, sizeof(challenge), err,
				     sizeof(err)), 0);
	FLT_EQ_INT(t, SLACK_BODY_RATE_LIMITED);
	json_decref(b);
	FLT_EQ_INT(slack_body_decode(&b, &t, "{\"type\":\"url_verification\"}", 27, challenge, sizeof(challenge), err,
				     sizeof(err)), -1);
	FLT_EQ_INT(slack_body_decode(&b, &t, "token=x", 7, challenge, sizeof(challenge), err, sizeof(err)), -1);
}

static const char *message_cb =
	"{\"type\":\"event_callback\",\"event_id\":\"Ev9\",\"event\":{\"type\":\"message\",\"channel\":\"C0GENERAL1\","
	"\"user\":\"U1\",\"text\":\"flyte status\",\"ts\":\"1700000000.000200\",\"thread_ts\":\"1700000000.000100\","
	"\"event_ts\":\"1700000000.000200\",\"reply_count\":3,\"replies\":[{\"user\":\"U2\",\"ts\":\"1.2\"}]}}";

static const json_t *user_u1(void)
{
	static json_t *u;
	if (!u)
		u = json_loads("{\"id\":\"U1\",\"name\":\"jdoe\",\"real_name\":\"Jane Doe\",\"profile\":{\"email\":\"jane@"
			       "example.com\",\"title\":\"SRE\",\"first_name\":\"Jane\",\"last_name\":\"Doe\",\"real_name\":"
			       "\"Jane Doe\",\"display_name\":\"jane\"}}",
			       0, NULL);
	return u;
}

FLT_TEST(received_message_payload)
{
	struct slack_event ev;
	char err[256];
	json_t *cb = json_loads(message_cb, 0, NULL), *u, *p;

	FLT_EQ_INT(slack_event_decode(&ev, cb, err, sizeof(err)), 0);
	FLT_EQ_INT(ev.kind, SLACK_EVENT_MESSAGE);
	FLT_EQ_STR(ev.event_id, "Ev9");
	u = slack_user_payload(user_u1());
	EQ_JSON(u, "{\"id\":\"U1\",\"name\":\"jdoe\",\"email\":\"jane@example.com\",\"title\":\"SRE\",\"firstName\":"
		   "\"Jane\",\"lastName\":\"Doe\"}");
	p = slack_received_message(&ev, u);
	EQ_JSON(p, "{\"channelId\":\"C0GENERAL1\",\"user\":{\"id\":\"U1\",\"name\":\"jdoe\",\"email\":\"jane@example.com\","
		   "\"title\":\"SRE\",\"firstName\":\"Jane\",\"lastName\":\"Doe\"},\"message\":\"flyte status\",\"timestamp\":"
		   "\"1700000000.000200\",\"threadTimestamp\":\"1700000000.000100\",\"replyCount\":3,\"replies\":[{\"user\":"
		   "\"U2\",\"ts\":\"1.2\"}]}");
	json_decref(p);
	/* not in a thread: threadTimestamp is the message's own ts */
	json_object_del(json_object_get(cb, "event"), "thread_ts");
	json_object_del(json_object_get(cb, "event"), "replies");
	FLT_EQ_INT(slack_event_decode(&ev, cb, err, sizeof(err)), 0);
	p = slack_received_message(&ev, u);
	FLT_EQ_STR(json_string_value(json_object_get(p, "threadTimestamp")), "1700000000.000200");
	FLT_ASSERT(json_is_null(json_object_get(p, "replies")));
	json_decref(p);
	json_decref(u);
	json_decref(cb);
}

FLT_TEST(events_refused_or_other)
{
	static const char *const bad[] = {
		"[]", "{\"event\":1}", "{\"event\":{}}", "{\"event\":{\"type\":\"message\",\"channel\":\"C1\"}}",
		"{\"event\":{\"type\":\"message\",\"channel\":\"C1\",\"ts\":\"1.2\",\"text\":5}}",
		"{\"event_id\":3,\"event\":{\"type\":\"message\"}}",
		"{\"event\":{\"type\":\"reaction_added\",\"user\":\"U1\",\"reaction\":\"x\"}}",
		"{\"event\":{\"type\":\"reaction_added\",\"user\":\"U1\",\"item\":{}}}",
	};
	struct slack_event ev;
	char err[256];

	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
		json_t *j = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		FLT_ASSERT(j != NULL);
		FLT_EQ_INT(slack_event_decode(&ev, j, err, sizeof(err)), -1);
		json_decref(j);
	}
	{
		json_t *j = json_loads("{\"event\":{\"type\":\"channel_created\"}}", 0, NULL);
		FLT_EQ_INT(slack_event_decode(&ev, j, err, sizeof(err)), 0);
		FLT_EQ_INT(ev.kind, SLACK_EVENT_OTHER);
		json_decref(j);
	}
}

FLT_TEST(reaction_payload)
{
	const char *t = "{\"event_id\":\"Ev2\",\"event\":{\"type\":\"reaction_added\",\"user\":\"U1\",\"reaction\":"
			"\"thumbsup\",\"item_user\":\"U1\",\"item\":{\"type\":\"message\",\"channel\":\"C1\",\"ts\":"
			"\"1.5\"},\"event_ts\":\"1.6\"}}";
	json_t *cb = json_loads(t, 0, NULL), *u = slack_user_payload(user_u1()), *p;
	struct slack_event ev;
	char err[256];

	FLT_EQ_INT(slack_event_decode(&ev, cb, err, sizeof(err)), 0);
	FLT_EQ_INT(ev.kind, SLACK_EVENT_REACTION);
	p = slack_reaction_added(&ev, u, u);
	EQ_JSON(p, "{\"type\":\"reaction_added\",\"user\":{\"id\":\"U1\",\"name\":\"jdoe\",\"email\":\"jane@example.com\","
		   "\"title\":\"SRE\",\"firstName\":\"Jane\",\"lastName\":\"Doe\"},\"itemUser\":{\"id\":\"U1\",\"name\":"
		   "\"jdoe\",\"email\":\"jane@example.com\",\"title\":\"SRE\",\"firstName\":\"Jane\",\"lastName\":\"Doe\"},"
		   "\"item\":{\"type\":\"message\",\"timestamp\":\"1.5\",\"channel\":\"C1\"},\"reaction\":\"thumbsup\","
		   "\"eventTimestamp\":\"1.6\"}");
	json_decref(p);
	json_decref(u);
	json_decref(cb);
}

static const char *names(const char *id, void *payload)
{
	(void)payload;
	return !strcmp(id, "U2") ? "bob" : NULL;
}

FLT_TEST(plain_text)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "flyte add label staging to build ABC-DEF-12", "flyte add label staging to build ABC-DEF-12" },
		{ "hi <@U2> and <@U3|carol> and <@U4>", "hi @bob and @carol and @U4" },
		{ "see <#C1|general> <#C2>", "see #general #C2" },
		{ "<!here> <!channel> <!everyone> <!subteam^S1|@ops>", "@here @all @all @ops" },
		{ "<https://x.example/a?b=1&amp;c=2|x.example> <mailto:a@b.c|a@b.c> <http://y>", "x.example a@b.c http://y" },
		{ "a &lt; b &amp;&amp; c &gt; d &amp;lt;", "a < b && c > d &lt;" },
		{ "unclosed <@U2 and 1 < 2", "unclosed <@U2 and 1 < 2" },
		{ "<>", "" },
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		struct fl_buf b = FL_BUF_INIT(0);
		slack_plain_text(&b, cases[i].in, strlen(cases[i].in), names, NULL);
		FLT_EQ_STR(b.ptr, cases[i].out);
		fl_buf_release(&b);
	}
}

FLT_TEST(mentions_and_escaping)
{
	json_t *ids = json_array();
	struct fl_buf b = FL_BUF_INIT(0);

	slack_mentions(ids, "<@U2> <@U3|c> <@U2> <@ <@U4", 10);
	EQ_JSON(ids, "[\"U2\",\"U3\"]");
	json_decref(ids);
	slack_escape(&b, "a<b>&c", 6);
	FLT_EQ_STR(b.ptr, "a&lt;b&gt;&amp;c");
	fl_buf_release(&b);
}

FLT_TEST(html_to_mrkdwn)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "<b>Deploy</b> done &amp; <a href='https://ci.example/1?a=1&amp;b=2'>log</a>",
		  "*Deploy* done &amp; <https://ci.example/1?a=1&b=2|log>" },
		{ "<p>one</p><p>two<br/>three</p>", "one\ntwo\nthree\n" },
		{ "<i>x</i> <code>y</code> <strong>z</strong> <em>w</em>", "_x_ `y` *z* _w_" },
		{ "1 < 2 &quot;q&quot; &#39;s&#39; <span class=\"a\">t</span>", "1 &lt; 2 \"q\" 's' t" },
		{ "<a href=\"http://a\">unclosed", "unclosed" },
		{ "<a>no href</a> x > y", "no href x &gt; y" },
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		struct fl_buf b = FL_BUF_INIT(0);
		slack_html_to_mrkdwn(&b, cases[i].in, strlen(cases[i].in));
		FLT_EQ_STR(b.ptr, cases[i].out);
		fl_buf_release(&b);
	}
}

FLT_TEST(hipchat_payload)
{
	struct slack_event ev;
	char err[256], date[64];
	json_t *cb = json_loads(message_cb, 0, NULL), *from = slack_hipchat_user(user_u1()), *p;

	FLT_EQ_INT(slack_event_decode(&ev, cb, err, sizeof(err)), 0);
	EQ_JSON(from, "{\"id\":\"U1\",\"name\":\"Jane Doe\",\"mentionName\":\"jane\"}");
	p = slack_hipchat_message(&ev, "deployRoom", from, NULL, "flyte status");
	EQ_JSON(p, "{\"id\":\"1700000000.000200\",\"roomId\":\"deployRoom\",\"date\":\"2023-11-14T22:13:20.000200+00:00\","
		   "\"from\":{\"id\":\"U1\",\"name\":\"Jane Doe\",\"mentionName\":\"jane\"},\"mentions\":[],\"message\":"
		   "\"flyte status\",\"messageFormat\":\"text\",\"type\":\"message\"}");
	json_decref(p);
	/* a bot's message: a notification from the bot's name */
	json_object_set_new(json_object_get(cb, "event"), "bot_id", json_string("B1"));
	json_object_set_new(json_object_get(cb, "event"), "username", json_string("deploybot"));
	FLT_EQ_INT(slack_event_decode(&ev, cb, err, sizeof(err)), 0);
	p = slack_hipchat_message(&ev, "deployRoom", NULL, NULL, "done");
	FLT_EQ_STR(json_string_value(json_object_get(p, "from")), "deploybot");
	FLT_EQ_STR(json_string_value(json_object_get(p, "type")), "notification");
	json_decref(p);
	json_decref(from);
	json_decref(cb);
	FLT_ASSERT(slack_ts_date(date, sizeof(date), "1700000000"));
	FLT_EQ_STR(date, "2023-11-14T22:13:20.000000+00:00");
	FLT_ASSERT(!slack_ts_date(date, sizeof(date), "x1"));
	FLT_ASSERT(!slack_ts_date(date, sizeof(date), ""));
	FLT_ASSERT(!slack_ts_date(date, sizeof(date), "99999999999999.1"));
}

FLT_TEST(small_helpers)
{
	FLT_EQ_STR(slack_hipchat_color("red", 0), "#d04437");
	FLT_EQ_STR(slack_hipchat_color(NULL, 0), "#f6c342");
	FLT_ASSERT(slack_hipchat_color("random", 12345) != NULL);
	FLT_ASSERT(slack_hipchat_color("pink", 0) == NULL);
	FLT_ASSERT(slack_is_channel_id("C0GENERAL1"));
	FLT_ASSERT(slack_is_channel_id("G01234567"));
	FLT_ASSERT(!slack_is_channel_id("general"));
	FLT_ASSERT(!slack_is_channel_id("C0123"));
	FLT_ASSERT(!slack_is_channel_id("C0123abcd"));
}

FLT_TEST(seen_ids)
{
	struct slack_seen *s = calloc(1, sizeof(*s));
	char id[32];

	slack_seen_init(s);
	FLT_ASSERT(slack_seen_add(s, "a"));
	FLT_ASSERT(!slack_seen_add(s, "a"));
	FLT_ASSERT(slack_seen_add(s, ""));
	FLT_ASSERT(slack_seen_add(s, ""));
	for (int i = 0; i < SLACK_SEEN_MAX; i++) {
		snprintf(id, sizeof(id), "id%d", i);
		FLT_ASSERT(slack_seen_add(s, id));
	}
	FLT_ASSERT(slack_seen_add(s, "a")); /* forgotten after SLACK_SEEN_MAX newer ones */
	FLT_ASSERT(!slack_seen_add(s, "id2047"));
	free(s);
}

FLT_MAIN(frames_hello_and_disconnect, frames_envelopes, frames_refused, signatures, events_api_bodies,
	 received_message_payload, events_refused_or_other, reaction_payload, plain_text, mentions_and_escaping,
	 html_to_mrkdwn, hipchat_payload, small_helpers, seen_ids)
