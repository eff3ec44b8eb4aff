/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_slack.c - the Slack pack end to end: the real flyte-slack binary,
 * the real flyte server and the stand-in of Slack (slackstub.h).
 *
 * Events the pack sends are observed through flows: "sink-msg" and
 * "sink-react" start an execution for every ReceivedMessage and
 * ReactionAdded, and the audit API shows each execution's trigger payload
 * exactly as the pack sent it.  Commands run through flows too (pt_run).
 */
#include "fl-common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fltest.h"
#include "harness.h"
#include "models.h"
#include "packtest.h"
#include "slackproto.h"
#include "slackstub.h"

#define SECRET "9e2c7d1f0a4b8c3e6d5f2a1b0c9d8e7f"

static struct pt_env E;
static struct slackstub *S;
static struct flh_pack sink;
static pid_t P;
static char events_url[128];
static const char *const clear_slack[] = { "SLACK_", "PACK_NAME", "RENEW_CONVERSATION_LIST", "LOGLEVEL",
					   "DEFAULT_JOIN_ROOM", "BKP_DIR", "HIPCHAT_", NULL };

#define RUN(r, cmd, input) FLH_ASSERT(pt_run(&E, "Slack", NULL, (cmd), (input), 0, (r)) == 0)
#define EXPECT(cmd, input, event, payload) MD_EXPECT(&E, "Slack", NULL, (cmd), (input), (event), (payload))
#define EXPECT_ERROR(cmd, input, event, part) MD_EXPECT_ERROR(&E, "Slack", NULL, (cmd), (input), (event), (part))
#define EXPECT_ERROR_IS(cmd, input, event, error) \
	MD_EXPECT_ERROR_IS(&E, "Slack", NULL, (cmd), (input), (event), (error))

/* The last chat.postMessage request, checked against Slack's rules for JSON calls. */
static json_t *last_post_body(void)
{
	struct standin *h = slackstub_http(S);
	json_t *b = NULL;

	for (size_t i = standin_count(h); i-- > 0;) {
		struct standin_req q;
		if (standin_get(h, i, &q))
			continue;
		if (!strcmp(q.path, "/api/chat.postMessage")) {
			FLH_EQ_STR(q.method, "POST");
			FLH_EQ_STR(standin_req_header(&q, "Content-Type"), "application/json; charset=utf-8");
			FLH_EQ_STR(standin_req_header(&q, "Authorization"), "Bearer " STUB_BOT_TOKEN);
			FLH_EQ_STR(q.query, "");
			b = md_body(&q);
			standin_req_release(&q);
			break;
		}
		standin_req_release(&q);
	}
	FLH_ASSERT_MSG(b != NULL, "no chat.postMessage request");
	return b;
}

/* ------------------------------------------------------------- setup */

FLT_TEST(setup)
{
	char api[160], addr[64];
	int port = flh_free_port();

	FLH_ASSERT(pt_setup(&E, "slack") == 0);
	FLH_ASSERT(slackstub_start(&S) == 0);
	slackstub_user(S, "U0JANE001", "jdoe", "Jane Doe", "jane", "jane@example.com", "SRE");
	slackstub_user(S, "U0BOB0001", "bsmith", "Bob Smith", "bob", "bob@example.com", "Developer");
	slackstub_user(S, STUB_BOT_USER, "flyte", "flyte", "flyte", "", "");
	slackstub_channel(S, "C0GENERAL1", "general", "Company-wide", false, true);
	slackstub_channel(S, "C0RANDOM01", "random", "", false, false);
	slackstub_channel(S, "G0SECRET01", "secret", "private stuff", true, true);
	slackstub_channel(S, "C0OPS00001", "ops", "Deploys and incidents", false, true);
	slackstub_channel(S, "C0QA000001", "qa", "", false, true);

	FLH_EQ_INT(flh_pack_register(&sink, E.srv, "{\"name\":\"Sink\",\"commands\":[{\"name\":\"Record\",\"events\":"
						   "[\"Recorded\"]}]}"),
		   201);
	md_post_flow(E.srv, "{\"name\":\"sink-msg\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"Slack\",\"name\":"
		    "\"ReceivedMessage\"},\"command\":{\"packName\":\"Sink\",\"name\":\"Record\",\"input\":\"m\"}}]}");
	md_post_flow(E.srv, "{\"name\":\"sink-react\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":\"Slack\",\"name\":"
		    "\"ReactionAdded\"},\"command\":{\"packName\":\"Sink\",\"name\":\"Record\",\"input\":\"r\"}}]}");

	FLH_ASSERT(port > 0);
	snprintf(api, sizeof(api), "SLACK_API_URL=%s", slackstub_api_url(S));
	snprintf(addr, sizeof(addr), "FLYTE_SLACK_EVENTS_ADDR=127.0.0.1:%d", port);
	snprintf(events_url, sizeof(events_url), "http://127.0.0.1:%d/slack/events", port);
	const char *env[] = { api, "FLYTE_SLACK_TOKEN=" STUB_BOT_TOKEN, "FLYTE_SLACK_APP_TOKEN=" STUB_APP_TOKEN, addr,
			      "FLYTE_SLACK_SIGNING_SECRET=" SECRET, "SLACK_RETRY_DELAY_MS=20", "SLACK_TIMEOUT_SEC=5",
			      "SLACK_RECONNECT_DELAY_MS=50", NULL };
	P = pt_start_pack(&E, getenv("FLYTE_SLACK_BIN"), clear_slack, env, "slack.log", "Slack");
	FLH_ASSERT(P > 0);
	FLH_ASSERT_MSG(slackstub_wait_live(S, 1, FLH_WAIT_MS), "the pack did not open a Socket Mode connection");
}

FLT_TEST(help_lists_variables)
{
	md_help_lists(getenv("FLYTE_SLACK_BIN"), (const char *const[]){ "FLYTE_SLACK_TOKEN", "FLYTE_SLACK_APP_TOKEN",
						"FLYTE_SLACK_SIGNING_SECRET", "FLYTE_SLACK_EVENTS_ADDR", "PACK_NAME",
						"RENEW_CONVERSATION_LIST", "DEFAULT_JOIN_ROOM", "FLYTE_LABELS", NULL });
}

FLT_TEST(registration_declares_the_events)
{
	struct flh_resp *r = flh_get(E.srv, "/v1/packs/Slack");
	json_t *j;

	FLH_STATUS(r, 200);
	j = flh_resp_json(r);
	FLH_EQ_STR(flh_json_str(j, "name"), "Slack");
	FLH_EQ_STR(flh_json_str(j, "commands.0.name"), "SendMessage");
	MD_JSON_IS(flh_json_get(j, "commands.0.events"), "[\"MessageSent\",\"SendMessageFailed\"]", true);
	FLH_EQ_STR(flh_json_str(j, "commands.1.name"), "SendRichMessage");
	MD_JSON_IS(flh_json_get(j, "commands.1.events"), "[\"RichMessageSent\",\"SendRichMessageFailed\"]", true);
	/* the original declared MessageSent/SendMessageFailed here */
	FLH_EQ_STR(flh_json_str(j, "commands.2.name"), "GetChannelInfo");
	MD_JSON_IS(flh_json_get(j, "commands.2.events"), "[\"GetChannelInfoSuccess\",\"GetChannelInfoFail\"]", true);
	FLH_EQ_STR(flh_json_str(j, "events.0.name"), "ReceivedMessage");
	FLH_EQ_STR(flh_json_str(j, "events.1.name"), "ReactionAdded");
	flh_resp_free(r);
}

FLT_TEST(socket_mode_connection)
{
	struct slackstub_ws_stats st;
	struct standin_req q;
	struct standin *h = slackstub_http(S);
	bool found = false;

	/* apps.connections.open: POST, app-level token, form body */
	for (size_t i = 0; i < standin_count(h) && !found; i++) {
		if (standin_get(h, i, &q))
			continue;
		if (!strcmp(q.path, "/api/apps.connections.open")) {
			found = true;
			FLH_EQ_STR(q.method, "POST");
			FLH_EQ_STR(standin_req_header(&q, "Authorization"), "Bearer " STUB_APP_TOKEN);
			FLH_EQ_STR(standin_req_header(&q, "Content-Type"), "application/x-www-form-urlencoded");
		}
		standin_req_release(&q);
	}
	FLH_ASSERT_MSG(found, "no apps.connections.open request");
	slackstub_ws_stats(S, &st);
	FLH_EQ_INT(st.connects, 1);
	FLH_EQ_INT(st.refused, 0);
	FLH_EQ_INT(st.live, 1);
}

/* ------------------------------------------------------------ events */

FLT_TEST(received_message)
{
	char ts[32], ts2[32], parent[32];
	struct pt_result got = { .event = "ReceivedMessage" };
	json_t *p;
	int before = slackstub_count_requests(S, "/api/users.info", "user=U0JANE001");

	slackstub_next_ts(S, ts, sizeof(ts));
	slackstub_message(S, "C0GENERAL1", "U0JANE001", "flyte status", ts, NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "flyte status", 1));
	p = md_payload_with(E.srv, "sink-msg", "message", "flyte status");
	got.payload = p;
	MD_PAYLOAD(&got,
		   flh_path("{\"channelId\":\"C0GENERAL1\",\"user\":{\"id\":\"U0JANE001\",\"name\":\"jdoe\",\"email\":"
			    "\"jane@example.com\",\"title\":\"SRE\",\"firstName\":\"Jane\",\"lastName\":\"Doe\"},\"message\":"
			    "\"flyte status\",\"timestamp\":\"%s\",\"threadTimestamp\":\"%s\",\"replyCount\":0,\"replies\":"
			    "null}", ts, ts));
	json_decref(p);

	/* in a thread: threadTimestamp is the parent; the user is not looked up again */
	snprintf(parent, sizeof(parent), "%s", ts);
	slackstub_message(S, "C0GENERAL1", "U0JANE001", "flyte status again", slackstub_next_ts(S, ts2, sizeof(ts2)), parent, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "flyte status again", 1));
	p = md_payload_with(E.srv, "sink-msg", "message", "flyte status again");
	FLH_EQ_STR(flh_json_str(p, "timestamp"), ts2);
	FLH_EQ_STR(flh_json_str(p, "threadTimestamp"), parent);
	json_decref(p);
	FLH_EQ_INT(slackstub_count_requests(S, "/api/users.info", "user=U0JANE001") - before, 1);
}

FLT_TEST(bot_and_system_messages)
{
	char ts[32];
	json_t *e;

	/* an integration's message: no user, not sent (the original could not look it up) */
	e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "message", "subtype", "bot_message", "text",
		      "build 12 passed", "bot_id", "B0CI000001", "username", "ci", "channel", "C0GENERAL1", "ts",
		      slackstub_next_ts(S, ts, sizeof(ts)));
	slackstub_event(S, e, NULL, NULL, 0);
	/* an edit: the user is inside "message", not sent */
	e = json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "type", "message", "subtype", "message_changed", "channel",
		      "C0GENERAL1", "ts", slackstub_next_ts(S, ts, sizeof(ts)), "message", "user", "U0JANE001", "text", "edited text",
		      "ts", "1700000000.000001");
	slackstub_event(S, e, NULL, NULL, 0);
	/* a join notice has a user: sent, as the original did */
	e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "message", "subtype", "channel_join", "user", "U0BOB0001",
		      "text", "<@U0BOB0001> has joined the channel", "channel", "C0GENERAL1", "ts", slackstub_next_ts(S, ts, sizeof(ts)));
	slackstub_event(S, e, NULL, NULL, 0);
	/* an event type the pack does not use */
	slackstub_event(S, json_pack("{s:s,s:{s:s,s:s}}", "type", "channel_created", "channel", "id", "C0NEW00001",
				     "name", "new"), NULL, NULL, 0);
	slackstub_settle(S, E.srv, "C0GENERAL1", "sink-msg");
	FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", "build 12 passed"), 0);
	FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", "edited text"), 0);
	FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", "<@U0BOB0001> has joined the channel"), 1);
}

FLT_TEST(reaction_added)
{
	struct pt_result got = { .event = "ReactionAdded" };
	char ts[32];
	json_t *p;

	slackstub_next_ts(S, ts, sizeof(ts));
	slackstub_event(S, json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:s}", "type", "reaction_added", "user", "U0BOB0001",
				     "reaction", "rocket", "item_user", "U0JANE001", "item", "type", "message", "channel",
				     "C0GENERAL1", "ts", "1700000000.000200", "event_ts", ts),
			NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink-react", "reaction", "rocket", 1));
	p = md_payload_with(E.srv, "sink-react", "reaction", "rocket");
	got.payload = p;
	MD_PAYLOAD(&got,
		   flh_path("{\"type\":\"reaction_added\",\"user\":{\"id\":\"U0BOB0001\",\"name\":\"bsmith\",\"email\":"
			    "\"bob@example.com\",\"title\":\"Developer\",\"firstName\":\"Bob\",\"lastName\":\"Smith\"},"
			    "\"itemUser\":{\"id\":\"U0JANE001\",\"name\":\"jdoe\",\"email\":\"jane@example.com\",\"title\":"
			    "\"SRE\",\"firstName\":\"Jane\",\"lastName\":\"Doe\"},\"item\":{\"type\":\"message\","
			    "\"timestamp\":\"1700000000.000200\",\"channel\":\"C0GENERAL1\"},\"reaction\":\"rocket\","
			    "\"eventTimestamp\":\"%s\"}", ts));
	json_decref(p);
	/* on a file: no item_user to look up, dropped as by the original; unknown user: dropped */
	slackstub_event(S, json_pack("{s:s,s:s,s:s,s:{s:s,s:s},s:s}", "type", "reaction_added", "user", "U0BOB0001",
				     "reaction", "eyes", "item", "type", "file", "file", "F0FILE0001", "event_ts", ts),
			NULL, NULL, 0);
	slackstub_event(S, json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:s}", "type", "reaction_added", "user", "U0GHOST01",
				     "reaction", "ghost", "item_user", "U0JANE001", "item", "type", "message", "channel",
				     "C0GENERAL1", "ts", "1700000000.000200", "event_ts", ts),
			NULL, NULL, 0);
	slackstub_settle(S, E.srv, "C0GENERAL1", "sink-msg");
	FLH_EQ_INT(md_count_with(E.srv, "sink-react", "reaction", "eyes"), 0);
	FLH_EQ_INT(md_count_with(E.srv, "sink-react", "reaction", "ghost"), 0);
	FLH_ASSERT(pt_alive(P));
}

/* ---------------------------------------------------------- commands */

FLT_TEST(send_message)
{
	struct pt_result r;
	json_t *b, *post;
	const char *ts;
	size_t before = standin_count(slackstub_http(S));

	RUN(&r, "SendMessage", "{\"channelId\":\"C0GENERAL1\",\"message\":\"deploy <@U0JANE001> done & dusted\"}");
	MD_EVENT(&r, "MessageSent");
	post = slackstub_post(S, slackstub_posts(S) - 1);
	ts = flh_json_str(post, "ts");
	/* threadTimestamp is filled (the original always sent ""): the new message's ts */
	MD_PAYLOAD(&r, flh_path("{\"message\":\"deploy <@U0JANE001> done & dusted\",\"threadTimestamp\":\"%s\","
				"\"channelId\":\"C0GENERAL1\",\"timestamp\":\"%s\"}", ts, ts));
	pt_result_release(&r);
	json_decref(post);
	b = last_post_body();
	MD_JSON_IS(b, "{\"channel\":\"C0GENERAL1\",\"text\":\"deploy <@U0JANE001> done & dusted\"}", true);
	json_decref(b);
	FLH_EQ_INT(standin_count(slackstub_http(S)) - before, 1);

	/* into a thread */
	RUN(&r, "SendMessage", "{\"channelId\":\"C0GENERAL1\",\"message\":\"in thread\",\"threadTimestamp\":"
			       "\"1700000000.000200\"}");
	MD_EVENT(&r, "MessageSent");
	FLH_EQ_STR(pt_str(&r, "threadTimestamp"), "1700000000.000200");
	pt_result_release(&r);
	b = last_post_body();
	MD_JSON_IS(b, "{\"channel\":\"C0GENERAL1\",\"text\":\"in thread\",\"thread_ts\":\"1700000000.000200\"}", true);
	json_decref(b);

	/* validation, as the original */
	EXPECT("SendMessage", "{}", "SendMessageFailed",
	       "{\"message\":\"\",\"threadTimestamp\":\"\",\"channelId\":\"\",\"error\":\"missing message field, "
	       "missing channel id field\"}");
	RUN(&r, "SendMessage", "\"hello\"");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "input is not valid"));
	pt_result_release(&r);

	/* delivery failures are reported now */
	EXPECT("SendMessage", "{\"channelId\":\"C0NOPE0001\",\"message\":\"x\",\"threadTimestamp\":\"1.2\"}",
	       "SendMessageFailed",
	       "{\"message\":\"x\",\"threadTimestamp\":\"1.2\",\"channelId\":\"C0NOPE0001\",\"error\":\"cannot send "
	       "message: channel_not_found\"}");
	EXPECT_ERROR_IS("SendMessage", "{\"channelId\":\"C0RANDOM01\",\"message\":\"x\"}", "SendMessageFailed",
			"cannot send message: not_in_channel");
}

FLT_TEST(oversized_message)
{
	struct pt_result r;
	struct fl_buf in = FL_BUF_INIT(0);
	size_t before = standin_count(slackstub_http(S));

	fl_buf_adds(&in, "{\"channelId\":\"C0GENERAL1\",\"message\":\"");
	for (int i = 0; i < 20001; i++)
		fl_buf_adds(&in, "\xc3\xa9"); /* 20001 characters, 40002 bytes: fine */
	fl_buf_adds(&in, "\"}");
	RUN(&r, "SendMessage", in.ptr);
	MD_EVENT(&r, "MessageSent");
	pt_result_release(&r);
	fl_buf_reset(&in);
	fl_buf_adds(&in, "{\"channelId\":\"C0GENERAL1\",\"message\":\"");
	for (int i = 0; i < 40001; i++)
		fl_buf_addc(&in, 'x');
	fl_buf_adds(&in, "\"}");
	RUN(&r, "SendMessage", in.ptr);
	MD_EVENT(&r, "SendMessageFailed");
	FLH_EQ_STR(pt_str(&r, "error"), "message too long: 40001 characters (Slack takes at most 40000)");
	pt_result_release(&r);
	fl_buf_release(&in);
	FLH_EQ_INT(standin_count(slackstub_http(S)) - before, 1); /* the long one was not sent */
}

FLT_TEST(send_rich_message)
{
	struct pt_result r;
	json_t *b, *post;

	RUN(&r, "SendRichMessage", "{\"channel\":\"C0OPS00001\",\"text\":\"<deploy> & co\",\"escape_text\":true,"
				   "\"username\":\"deploybot\",\"icon_emoji\":\":rocket:\",\"link_names\":1,\"attachments\":"
				   "[{\"color\":\"#36a64f\",\"title\":\"v1.2\",\"text\":\"all green\"}],\"unfurl_links\":"
				   "false,\"thread_ts\":null}");
	MD_EVENT(&r, "RichMessageSent");
	post = slackstub_post(S, slackstub_posts(S) - 1);
	MD_PAYLOAD(&r, flh_path("{\"channelId\":\"C0OPS00001\",\"threadTimestamp\":\"%s\"}", flh_json_str(post, "ts")));
	json_decref(post);
	pt_result_release(&r);
	b = last_post_body();
	/* the server hands the input over with sorted keys; escape_text is the pack's, and applied */
	MD_JSON_IS(b, "{\"attachments\":[{\"color\":\"#36a64f\",\"text\":\"all green\",\"title\":\"v1.2\"}],"
		   "\"channel\":\"C0OPS00001\",\"icon_emoji\":\":rocket:\",\"link_names\":1,\"text\":"
		   "\"&lt;deploy&gt; &amp; co\",\"unfurl_links\":false,\"username\":\"deploybot\"}", false);
	json_decref(b);

	/* by name, in a thread */
	RUN(&r, "SendRichMessage", "{\"channel\":\"#ops\",\"text\":\"reply\",\"thread_ts\":\"1700000000.000200\"}");
	MD_EVENT(&r, "RichMessageSent");
	FLH_EQ_STR(pt_str(&r, "channelId"), "C0OPS00001");
	pt_result_release(&r);

	EXPECT("SendRichMessage", "{\"channel\":\"C0NOPE0001\",\"text\":\"x\"}", "SendRichMessageFailed",
	       "{\"inputMessage\":{\"channel\":\"C0NOPE0001\",\"text\":\"x\"},\"error\":\"cannot send rich "
	       "message=channel_not_found\"}");
	EXPECT_ERROR_IS("SendRichMessage", "{\"channel\":\"C0OPS00001\",\"attachments\":[\"not an object\"]}",
			"SendRichMessageFailed", "cannot send rich message=invalid_attachments");
	RUN(&r, "SendRichMessage", "{\"text\":\"x\"}");
	MD_EVENT(&r, "SendRichMessageFailed");
	FLH_EQ_STR(pt_str(&r, "error"), "cannot send rich message=channel is missing");
	pt_result_release(&r);
	RUN(&r, "SendRichMessage", "{\"channel\":\"C0OPS00001\",\"attachments\":{}}");
	MD_EVENT(&r, "FATAL");
	FLH_EQ_STR(json_string_value(r.payload),
		   "input is not valid: json: cannot unmarshal object into Go struct field .attachments of type array");
	pt_result_release(&r);
}

FLT_TEST(get_channel_info)
{
	struct pt_result r;
	int lists = slackstub_count_requests(S, "/api/conversations.list", NULL);

	EXPECT("GetChannelInfo", "{\"channelName\":\"ops\"}", "GetChannelInfoSuccess",
	       "{\"channelName\":\"ops\",\"conversation\":{\"id\":\"C0OPS00001\",\"name\":\"ops\",\"topic\":"
	       "\"Deploys and incidents\"}}");
	/* five channels, pages of two: three calls, following next_cursor */
	FLH_EQ_INT(slackstub_count_requests(S, "/api/conversations.list", NULL) - lists, 3);
	FLH_EQ_INT(slackstub_count_requests(S, "/api/conversations.list", "cursor=dGVhbTpD2"), 1);
	FLH_EQ_INT(slackstub_count_requests(S, "/api/conversations.list", "types=public_channel%2Cprivate_channel"), 3);
	/* the list is cached */
	RUN(&r, "GetChannelInfo", "{\"channelName\":\"secret\"}");
	MD_EVENT(&r, "GetChannelInfoSuccess");
	FLH_EQ_STR(pt_str(&r, "conversation.id"), "G0SECRET01");
	pt_result_release(&r);
	EXPECT("GetChannelInfo", "{\"channelName\":\"nope\"}", "GetChannelInfoFail",
	       "{\"channelName\":\"nope\",\"reason\":\"can't find channel with such name\"}");
	FLH_EQ_INT(slackstub_count_requests(S, "/api/conversations.list", NULL) - lists, 3);
}

FLT_TEST(rate_limits)
{
	struct standin_fault limited = { .count = 1, .status = 429, .ctype = "application/json",
					 .body = "{\"ok\":false,\"error\":\"ratelimited\"}", .retry_after = "1" };
	struct standin_fault long_wait = { .count = 1, .status = 429, .ctype = "application/json",
					   .body = "{\"ok\":false,\"error\":\"ratelimited\"}", .retry_after = "120" };
	struct pt_result r;
	size_t before;
	char ts[32];

	/* Retry-After honoured: the message goes out on the second request */
	before = standin_count(slackstub_http(S));
	standin_fault(slackstub_http(S), &limited);
	RUN(&r, "SendMessage", "{\"channelId\":\"C0GENERAL1\",\"message\":\"after a pause\"}");
	MD_EVENT(&r, "MessageSent");
	pt_result_release(&r);
	FLH_EQ_INT(standin_count(slackstub_http(S)) - before, 2);
	{
		json_t *post = slackstub_post(S, slackstub_posts(S) - 1);
		bool same = post && !strcmp(flh_json_str(post, "text"), "after a pause");
		json_decref(post);
		FLH_ASSERT(same);
	}
	/* longer than the pack waits: reported */
	standin_fault(slackstub_http(S), &long_wait);
	RUN(&r, "SendMessage", "{\"channelId\":\"C0GENERAL1\",\"message\":\"too soon\"}");
	MD_EVENT(&r, "SendMessageFailed");
	FLH_ASSERT(strstr(pt_str(&r, "error"), "cannot send message: ratelimited: HTTP 429 from POST"));
	FLH_ASSERT(strstr(pt_str(&r, "error"), "(Retry-After: 120)"));
	pt_result_release(&r);
	/* a rate-limited users.info while an event comes in: retried, the event arrives */
	standin_fault(slackstub_http(S), &limited);
	slackstub_user(S, "U0CAROL01", "carol", "Carol King", "carol", "carol@example.com", "PM");
	slackstub_message(S, "C0GENERAL1", "U0CAROL01", "from carol", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "from carol", 1));
	FLH_EQ_INT(slackstub_count_requests(S, "/api/users.info", "user=U0CAROL01"), 2);
}

FLT_TEST(malformed_web_answers)
{
	struct standin_fault html = { .count = 1, .status = 200, .ctype = "text/html", .body = "<html>oops</html>" };
	struct standin_fault no_ok = { .count = 1, .status = 200, .ctype = "application/json", .body = "{\"foo\":1}" };
	struct standin_fault err500 = { .count = 3, .status = 500, .ctype = "text/plain", .body = "internal error" };
	struct standin_fault garbage = { .count = 1, .status = 200, .ctype = "application/json", .body = "[1,2" };
	struct pt_result r;
	char ts[32];

	standin_fault(slackstub_http(S), &html);
	EXPECT_ERROR("SendMessage", "{\"channelId\":\"C0GENERAL1\",\"message\":\"x\"}", "SendMessageFailed",
		     "cannot send message: unexpected answer to chat.postMessage: answer is not "
		     "JSON");
	standin_fault(slackstub_http(S), &no_ok);
	RUN(&r, "SendRichMessage", "{\"channel\":\"C0GENERAL1\",\"text\":\"x\"}");
	MD_EVENT(&r, "SendRichMessageFailed");
	FLH_EQ_STR(pt_str(&r, "error"), "cannot send rich message=unexpected answer to chat.postMessage: not an object "
					"with \"ok\"");
	pt_result_release(&r);
	/* a post is not repeated after a 500 (it may have been made) */
	standin_reset(slackstub_http(S));
	standin_fault(slackstub_http(S), &err500);
	EXPECT_ERROR("SendMessage", "{\"channelId\":\"C0GENERAL1\",\"message\":\"x\"}", "SendMessageFailed",
		     "HTTP 500 from POST");
	FLH_EQ_INT(standin_count(slackstub_http(S)), 1);
	standin_reset(slackstub_http(S));
	/* users.info answering garbage: the event is dropped, the pack goes on */
	slackstub_user(S, "U0DAVE001", "dave", "Dave Null", "dave", "", "");
	standin_fault(slackstub_http(S), &garbage);
	slackstub_message(S, "C0GENERAL1", "U0DAVE001", "from dave", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	slackstub_settle(S, E.srv, "C0GENERAL1", "sink-msg");
	FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", "from dave"), 0);
	FLH_ASSERT(pt_alive(P));
}

/* --------------------------------------------------- Socket Mode faults */

FLT_TEST(malformed_frames)
{
	struct slackstub_ws_stats st;
	struct fl_buf big = FL_BUF_INIT(0);
	char ts[32];

	slackstub_raw(S, "not json at all");
	slackstub_raw(S, "{}");
	slackstub_raw(S, "[\"type\",\"hello\"]");
	slackstub_raw(S, "{\"type\":\"events_api\",\"payload\":{}}");
	slackstub_raw(S, "{\"type\":\"events_api\",\"envelope_id\":{\"x\":1}}");
	slackstub_raw(S, "{\"type\":\"events_api\",\"envelope_id\":\"raw-1\",\"payload\":\"text\"}");
	slackstub_raw(S, "{\"type\":\"events_api\",\"envelope_id\":\"raw-2\",\"payload\":{\"type\":\"event_callback\","
			 "\"event_id\":\"EvRAW2\",\"event\":{\"type\":\"message\",\"channel\":\"C0GENERAL1\",\"ts\":\"1.1\","
			 "\"user\":\"U0JANE001\",\"text\":5}}}");
	slackstub_raw(S, "{\"type\":\"slash_commands\",\"envelope_id\":\"raw-3\",\"payload\":{\"command\":\"/flyte\"},"
			 "\"accepts_response_payload\":true}");
	/* larger than the pack reads (1 MiB) */
	fl_buf_adds(&big, "{\"type\":\"events_api\",\"envelope_id\":\"raw-4\",\"payload\":\"");
	for (int i = 0; i < (1 << 20); i++)
		fl_buf_addc(&big, 'a');
	fl_buf_adds(&big, "\"}");
	slackstub_raw(S, big.ptr);
	fl_buf_release(&big);
	slackstub_message(S, "C0GENERAL1", "U0JANE001", "after the garbage", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "after the garbage", 1));
	FLH_ASSERT(pt_alive(P));
	slackstub_ws_stats(S, &st);
	FLH_EQ_INT(st.bad_frames, 0);  /* every frame the pack sent was a proper ack */
	FLH_EQ_INT(st.unknown_acks, 3); /* raw-1, raw-2 and raw-3 were acknowledged */
	FLH_EQ_INT(st.connects, 1);     /* and the connection survived */
}

FLT_TEST(duplicate_envelopes)
{
	struct slackstub_ws_stats st;
	char ts[32];

	slackstub_duplicate_next(S);
	slackstub_message(S, "C0GENERAL1", "U0JANE001", "said once", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "said once", 1));
	slackstub_settle(S, E.srv, "C0GENERAL1", "sink-msg");
	FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", "said once"), 1);
	slackstub_ws_stats(S, &st);
	FLH_EQ_INT(st.duplicates_sent, 1);
	FLH_EQ_INT(st.pending, 0);
	FLH_EQ_INT(st.retries, 0);
}

FLT_TEST(reconnect_after_dropped_socket)
{
	struct slackstub_ws_stats before, st;
	int opens = slackstub_count_requests(S, "/api/apps.connections.open", NULL);
	char ts[32];
	bool ok;

	slackstub_ws_stats(S, &before);
	slackstub_drop(S);
	/* messages while the socket is down wait at Slack and come on the new connection */
	slackstub_message(S, "C0GENERAL1", "U0JANE001", "during the outage 1", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	slackstub_message(S, "C0GENERAL1", "U0BOB0001", "during the outage 2", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, (slackstub_ws_stats(S, &st), st.connects > before.connects && st.live == 1));
	FLH_ASSERT_MSG(ok, "the pack did not reconnect");
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "during the outage 1", 1));
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "during the outage 2", 1));
	FLH_ASSERT(slackstub_wait_idle(S, FLH_WAIT_MS));
	slackstub_settle(S, E.srv, "C0GENERAL1", "sink-msg");
	FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", "during the outage 1"), 1);
	FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", "during the outage 2"), 1);
	FLH_EQ_INT(slackstub_count_requests(S, "/api/apps.connections.open", NULL) - opens, 1);
}

FLT_TEST(socket_dropped_before_the_ack)
{
	struct slackstub_ws_stats before, st;
	char ts[32];

	slackstub_ws_stats(S, &before);
	/* the envelope reaches the pack, the socket dies before Slack reads the ack: Slack
	 * delivers the event again, in a new envelope, on the next connection */
	slackstub_drop_after_next(S);
	slackstub_message(S, "C0GENERAL1", "U0JANE001", "acked into the void", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "acked into the void", 1));
	FLH_ASSERT(slackstub_wait_idle(S, FLH_WAIT_MS));
	slackstub_settle(S, E.srv, "C0GENERAL1", "sink-msg");
	slackstub_ws_stats(S, &st);
	FLH_ASSERT(st.retries > before.retries);
	FLH_ASSERT(st.connects > before.connects);
	FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", "acked into the void"), 1);
}

FLT_TEST(reconnect_after_disconnect_message)
{
	static const char *const reasons[] = { "refresh_requested", "warning" };

	for (size_t k = 0; k < FL_ARRAY_LEN(reasons); k++) {
		struct slackstub_ws_stats before, st;
		int opens = slackstub_count_requests(S, "/api/apps.connections.open", NULL);
		char ts[32], text[64];
		bool ok;

		slackstub_ws_stats(S, &before);
		slackstub_disconnect(S, reasons[k]);
		for (int i = 0; i < 3; i++) {
			snprintf(text, sizeof(text), "%s message %d", reasons[k], i);
			slackstub_message(S, "C0GENERAL1", "U0JANE001", text, slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
		}
		/* a new connection, then the old one goes: one connection again */
		FLH_WAIT_FOR(ok, FLH_WAIT_MS,
			     (slackstub_ws_stats(S, &st), st.connects == before.connects + 1 && st.live == 1));
		FLH_ASSERT_MSG(ok, "no new connection after disconnect (%s)", reasons[k]);
		FLH_ASSERT(slackstub_wait_idle(S, FLH_WAIT_MS));
		slackstub_settle(S, E.srv, "C0GENERAL1", "sink-msg");
		for (int i = 0; i < 3; i++) {
			snprintf(text, sizeof(text), "%s message %d", reasons[k], i);
			FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", text), 1);
		}
		FLH_EQ_INT(slackstub_count_requests(S, "/api/apps.connections.open", NULL) - opens, 1);
	}
}

/* ----------------------------------------------------------- Events API */

static struct flh_resp *events_post(const char *body, long ts, const char *secret, const char *extra)
{
	char sig[80], h_ts[64], h_sig[100], stamp[24];
	const char *headers[4] = { h_ts, h_sig, extra, NULL };
	struct flh_req q = { .method = "POST", .url = events_url, .headers = headers, .body = body,
			     .content_type = "application/json" };

	snprintf(stamp, sizeof(stamp), "%ld", ts);
	slack_signature_make(sig, sizeof(sig), secret, stamp, body, strlen(body));
	snprintf(h_ts, sizeof(h_ts), "X-Slack-Request-Timestamp: %s", stamp);
	snprintf(h_sig, sizeof(h_sig), "X-Slack-Signature: %s", sig);
	return flh_http(NULL, &q);
}

FLT_TEST(events_api)
{
	const char *challenge = "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdA"
				"LWMmHkvFXO7tYXAYM8P\",\"type\":\"url_verification\"}";
	long now = (long)time(NULL);
	struct flh_resp *r;
	char body[1024], ts[32];
	struct fl_buf big = FL_BUF_INIT(0);

	r = events_post(challenge, now, SECRET, NULL);
	FLH_STATUS(r, 200);
	MD_JSON_IS(flh_resp_json(r), "{\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\"}", true);
	flh_resp_free(r);
	/* forged, replayed, unsigned */
	r = events_post(challenge, now, "not-the-secret", NULL);
	FLH_STATUS(r, 401);
	flh_resp_free(r);
	r = events_post(challenge, now - 600, SECRET, NULL);
	FLH_STATUS(r, 401);
	flh_resp_free(r);
	r = flh_send(NULL, "POST", events_url, "application/json", challenge);
	FLH_STATUS(r, 401);
	flh_resp_free(r);
	r = flh_get(NULL, events_url);
	FLH_STATUS(r, 405);
	flh_resp_free(r);
	r = flh_send(NULL, "POST", flh_path("%s/other", events_url), "application/json", challenge);
	FLH_STATUS(r, 404);
	flh_resp_free(r);
	fl_buf_adds(&big, "{\"type\":\"event_callback\",\"x\":\"");
	for (int i = 0; i < (1 << 20); i++)
		fl_buf_addc(&big, 'a');
	fl_buf_adds(&big, "\"}");
	r = events_post(big.ptr, now, SECRET, NULL);
	FLH_STATUS(r, 413);
	flh_resp_free(r);
	fl_buf_release(&big);
	r = events_post("{\"type\":", now, SECRET, NULL);
	FLH_STATUS(r, 400);
	flh_resp_free(r);

	/* an event; its retry (same event_id) is answered but not sent again */
	snprintf(body, sizeof(body),
		 "{\"token\":\"x\",\"team_id\":\"T0STUB001\",\"api_app_id\":\"" STUB_APP_ID "\",\"event\":{\"type\":"
		 "\"message\",\"channel\":\"C0GENERAL1\",\"user\":\"U0BOB0001\",\"text\":\"via http\",\"ts\":\"%s\","
		 "\"event_ts\":\"%s\",\"channel_type\":\"channel\"},\"type\":\"event_callback\",\"event_id\":"
		 "\"EvHTTP00001\",\"event_time\":1700000000}",
		 slackstub_next_ts(S, ts, sizeof(ts)), ts);
	r = events_post(body, now, SECRET, NULL);
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	r = events_post(body, now, SECRET, "X-Slack-Retry-Num: 1");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	/* the same event also through Socket Mode (both enabled): still once */
	{
		json_t *cb = flh_json(body);
		slackstub_event(S, json_incref(json_object_get(cb, "event")), "EvHTTP00001", NULL, 0);
		json_decref(cb);
	}
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "via http", 1));
	FLH_ASSERT(slackstub_wait_idle(S, FLH_WAIT_MS));
	slackstub_settle(S, E.srv, "C0GENERAL1", "sink-msg");
	FLH_EQ_INT(md_count_with(E.srv, "sink-msg", "message", "via http"), 1);
	{
		json_t *p = md_payload_with(E.srv, "sink-msg", "message", "via http");
		bool same = p && !strcmp(flh_json_str(p, "user.name"), "bsmith");
		json_decref(p);
		FLH_ASSERT(same);
	}
}

/* An execution of SlackDeployFlow whose reply completed with MessageSent in thread ts. */
static bool reply_done(const char *ts)
{
	struct flh_resp *x = flh_get(E.srv, "/v1/audit/flows?flowName=SlackDeployFlow&limit=100");
	json_t *e;
	size_t i;
	bool done = false;

	json_array_foreach(json_object_get(flh_resp_json(x), "flows"), i, e) {
		const char *ev = flh_json_str(e, "actions.reply.result.event");
		const char *th = flh_json_str(e, "actions.reply.result.payload.threadTimestamp");
		done |= ev && !strcmp(ev, "MessageSent") && th && !strcmp(th, ts);
	}
	flh_resp_free(x);
	return done;
}

/* docs/examples/slack-deploy-flow.json: Slack → Shell → a reply in the thread. */
FLT_TEST(round_trip_threaded_reply)
{
	char ts[32], ts2[32];
	json_t *post, *echo;
	size_t posts = slackstub_posts(S);
	pid_t shell;
	bool ok;

	md_post_flow_file(E.srv, getenv("FLYTE_SLACK_FLOW"));
	shell = pt_start_pack(&E, getenv("FLYTE_SHELL_BIN"), clear_slack, NULL, "shell.log", "Shell");
	FLH_ASSERT(shell > 0);
	slackstub_echo_posts(S, true);
	slackstub_message(S, "C0OPS00001", "U0JANE001", "flyte deploy billing", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT_MSG(slackstub_wait_posts(S, posts + 1, FLH_WAIT_MS), "no reply was posted");
	post = slackstub_post(S, posts);
	FLH_EQ_STR(flh_json_str(post, "channel"), "C0OPS00001");
	FLH_EQ_STR(flh_json_str(post, "thread_ts"), ts);
	FLH_EQ_STR(flh_json_str(post, "text"), "<@U0JANE001> deployed billing (exit code 0)");
	json_decref(post);
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, reply_done(ts));
	FLH_ASSERT_MSG(ok, "the reply action did not complete with MessageSent in the thread");
	/* Slack tells the app about its own reply: a ReceivedMessage from the bot user,
	 * in the thread, which the flow's criteria do not match (no loop) */
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "<@U0JANE001> deployed billing (exit code 0)", 1));
	echo = md_payload_with(E.srv, "sink-msg", "message", "<@U0JANE001> deployed billing (exit code 0)");
	FLH_EQ_STR(flh_json_str(echo, "user.id"), STUB_BOT_USER);
	FLH_EQ_STR(flh_json_str(echo, "threadTimestamp"), ts);
	json_decref(echo);
	slackstub_echo_posts(S, false);

	/* a request inside a thread is answered in that thread; a request that does
	 * not match the criteria (a shell metacharacter) is not run */
	slackstub_message(S, "C0OPS00001", "U0BOB0001", "flyte deploy search;reboot", slackstub_next_ts(S, ts2, sizeof(ts2)), ts, NULL,
			  0);
	slackstub_message(S, "C0OPS00001", "U0BOB0001", "flyte deploy search", slackstub_next_ts(S, ts2, sizeof(ts2)), ts, NULL, 0);
	FLH_ASSERT(slackstub_wait_posts(S, posts + 2, FLH_WAIT_MS));
	post = slackstub_post(S, posts + 1);
	FLH_EQ_STR(flh_json_str(post, "thread_ts"), ts);
	FLH_EQ_STR(flh_json_str(post, "text"), "<@U0BOB0001> deployed search (exit code 0)");
	json_decref(post);
	slackstub_settle(S, E.srv, "C0GENERAL1", "sink-msg");
	FLH_EQ_INT(slackstub_posts(S) - posts, 2);
	FLH_EQ_INT(pt_stop_pack(shell), 0);
}

/* ------------------------------------------------ a second instance */

FLT_TEST(commands_only_instance_and_bad_answers)
{
	struct standin_fault garbage = { .count = 1, .status = 200, .ctype = "application/json", .body = "{\"ok\":" };
	struct pt_result r;
	char api[160];
	pid_t pid;

	/* no app token, no Events API: commands only; the channel list is never reused */
	snprintf(api, sizeof(api), "SLACK_API_URL=%s", slackstub_api_url(S));
	const char *env[] = { api, "FLYTE_SLACK_TOKEN=" STUB_BOT_TOKEN, "FLYTE_LABELS=inst=two",
			      "RENEW_CONVERSATION_LIST=0", "SLACK_RETRY_DELAY_MS=20", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_SLACK_BIN"), clear_slack, env, "slack-two.log", "Slack.inst.two");
	FLH_ASSERT(pid > 0);
	standin_fault(slackstub_http(S), &garbage);
	FLH_ASSERT(pt_run(&E, "Slack", "{\"inst\":\"two\"}", "GetChannelInfo", "{\"channelName\":\"ops\"}", 0, &r) == 0);
	MD_EVENT(&r, "GetChannelInfoFail");
	FLH_ASSERT(strstr(pt_str(&r, "reason"), "unexpected answer to conversations.list"));
	pt_result_release(&r);
	FLH_ASSERT(pt_run(&E, "Slack", "{\"inst\":\"two\"}", "GetChannelInfo", "{\"channelName\":\"qa\"}", 0, &r) == 0);
	MD_EVENT(&r, "GetChannelInfoSuccess");
	pt_result_release(&r);
	FLH_ASSERT(pt_alive(pid));
	FLH_EQ_INT(pt_stop_pack(pid), 0);

	/* a revoked token: Slack's error code in the failure */
	const char *env_bad[] = { api, "FLYTE_SLACK_TOKEN=xoxb-revoked", "FLYTE_LABELS=inst=bad", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_SLACK_BIN"), clear_slack, env_bad, "slack-bad.log", "Slack.inst.bad");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT(pt_run(&E, "Slack", "{\"inst\":\"bad\"}", "SendMessage", "{\"channelId\":\"C0GENERAL1\",\"message\":"
			  "\"x\"}", 0, &r) == 0);
	MD_EVENT(&r, "SendMessageFailed");
	FLH_EQ_STR(pt_str(&r, "error"), "cannot send message: invalid_auth");
	pt_result_release(&r);
	FLH_ASSERT(pt_run(&E, "Slack", "{\"inst\":\"bad\"}", "GetChannelInfo", "{\"channelName\":\"ops\"}", 0, &r) == 0);
	MD_PAYLOAD(&r, "{\"channelName\":\"ops\",\"reason\":\"invalid_auth\"}");
	pt_result_release(&r);
	FLH_EQ_INT(pt_stop_pack(pid), 0);
}

FLT_TEST(start_up_errors)
{
	char cmd[512];
	FILE *f;
	char out[1024];
	size_t n;

	/* no bot token: exit 1 with the reason */
	snprintf(cmd, sizeof(cmd), "env -u FLYTE_SLACK_TOKEN FLYTE_API=http://127.0.0.1:9 '%s' 2>&1",
		 getenv("FLYTE_SLACK_BIN"));
	f = popen(cmd, "r");
	FLH_ASSERT(f != NULL);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	FLH_EQ_INT(WEXITSTATUS(pclose(f)), 1);
	FLH_ASSERT(strstr(out, "FLYTE_SLACK_TOKEN is not set"));
	/* the Events API without a signing secret */
	snprintf(cmd, sizeof(cmd), "env -u FLYTE_SLACK_SIGNING_SECRET FLYTE_API=http://127.0.0.1:9 FLYTE_SLACK_TOKEN=x "
				   "FLYTE_SLACK_EVENTS_ADDR=3000 '%s' 2>&1", getenv("FLYTE_SLACK_BIN"));
	f = popen(cmd, "r");
	FLH_ASSERT(f != NULL);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	FLH_EQ_INT(WEXITSTATUS(pclose(f)), 1);
	FLH_ASSERT(strstr(out, "FLYTE_SLACK_EVENTS_ADDR needs FLYTE_SLACK_SIGNING_SECRET"));
}

FLT_TEST(socket_mode_over_tls)
{
	struct slackstub *tls = NULL;
	struct slackstub_ws_stats st;
	char cert[128], key[128], cmd[512], api[160], ca[160], ts[32];
	pid_t pid;
	bool ok;

	snprintf(cert, sizeof(cert), "%s/cert.pem", E.dir);
	snprintf(key, sizeof(key), "%s/key.pem", E.dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 2 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		 key, cert);
	FLH_ASSERT(system(cmd) == 0);
	FLH_ASSERT(slackstub_start_tls(&tls, cert, key) == 0);
	slackstub_user(tls, "U0JANE001", "jdoe", "Jane Doe", "jane", "jane@example.com", "SRE");
	slackstub_channel(tls, "C0GENERAL1", "general", "", false, true);
	snprintf(api, sizeof(api), "SLACK_API_URL=%s", slackstub_api_url(tls));
	snprintf(ca, sizeof(ca), "SLACK_CA_FILE=%s", cert);

	/* a certificate the pack does not trust: no connection */
	const char *env_untrusted[] = { api, "FLYTE_SLACK_TOKEN=" STUB_BOT_TOKEN, "FLYTE_SLACK_APP_TOKEN=" STUB_APP_TOKEN,
					"FLYTE_LABELS=inst=untrusted", "SLACK_RECONNECT_DELAY_MS=50", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_SLACK_BIN"), clear_slack, env_untrusted, "slack-untrusted.log",
			    "Slack.inst.untrusted");
	FLH_ASSERT(pid > 0);
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, slackstub_count_requests(tls, "/api/apps.connections.open", NULL) >= 2);
	FLH_ASSERT_MSG(ok, "the pack did not try again after a refused certificate");
	slackstub_ws_stats(tls, &st);
	FLH_EQ_INT(st.connects, 0);
	FLH_EQ_INT(pt_stop_pack(pid), 0);

	/* trusted through SLACK_CA_FILE: events arrive over wss:// */
	const char *env[] = { api, ca, "FLYTE_SLACK_TOKEN=" STUB_BOT_TOKEN, "FLYTE_SLACK_APP_TOKEN=" STUB_APP_TOKEN,
			      "FLYTE_LABELS=inst=tls", NULL };
	pid = pt_start_pack(&E, getenv("FLYTE_SLACK_BIN"), clear_slack, env, "slack-tls.log", "Slack.inst.tls");
	FLH_ASSERT(pid > 0);
	FLH_ASSERT_MSG(slackstub_wait_live(tls, 1, FLH_WAIT_MS), "no Socket Mode connection over TLS");
	slackstub_message(tls, "C0GENERAL1", "U0JANE001", "over tls", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink-msg", "message", "over tls", 1));
	FLH_ASSERT(slackstub_wait_idle(tls, FLH_WAIT_MS));
	FLH_EQ_INT(pt_stop_pack(pid), 0);
	slackstub_stop(tls);
}

FLT_TEST(secrets_not_logged)
{
	char path[256], *log;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/slack.log", E.dir);
	f = fopen(path, "r");
	FLH_ASSERT(f != NULL);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	log = calloc(1, (size_t)n + 1);
	FLH_ASSERT(log && fread(log, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	FLH_ASSERT(n > 0 && strstr(log, "Socket Mode"));
	FLH_ASSERT(!strstr(log, STUB_BOT_TOKEN));
	FLH_ASSERT(!strstr(log, STUB_APP_TOKEN));
	FLH_ASSERT(!strstr(log, SECRET));
	FLH_ASSERT(!strstr(log, "ticket=tk-"));
	free(log);
}

FLT_TEST(teardown)
{
	struct slackstub_ws_stats st;

	FLH_ASSERT(pt_alive(P));
	FLH_EQ_INT(pt_stop_pack(P), 0);
	slackstub_ws_stats(S, &st);
	FLH_EQ_INT(st.bad_frames, 0);
	flh_pack_release(&sink);
	slackstub_stop(S);
	pt_teardown(&E);
}

FLT_MAIN(setup, help_lists_variables, registration_declares_the_events, socket_mode_connection, received_message,
	 bot_and_system_messages, reaction_added, send_message, oversized_message, send_rich_message, get_channel_info,
	 rate_limits, malformed_web_answers, malformed_frames, duplicate_envelopes, reconnect_after_dropped_socket,
	 socket_dropped_before_the_ack, reconnect_after_disconnect_message, events_api, round_trip_threaded_reply,
	 commands_only_instance_and_bad_answers, start_up_errors, socket_mode_over_tls, secrets_not_logged, teardown)
