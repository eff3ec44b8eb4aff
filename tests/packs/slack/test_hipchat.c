/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hipchat.c - the Slack pack started as HipChat, end to end: the real
 * flyte-slack binary with PACK_NAME=HipChat, the real flyte server and the
 * stand-in of Slack; then the original README's HipChat + Bamboo deploy
 * flow (docs/examples/label-build-flow.json) with the real flyte-bamboo
 * pack and a stand-in of Bamboo's label resource.
 */
#include "fl-common.h"

#include "fltest.h"
#include "fsutil.h"
#include "harness.h"
#include "models.h"
#include "packtest.h"
#include "slackproto.h"
#include "slackstub.h"

static struct pt_env E;
static struct slackstub *S;
static struct flh_pack sink;
static pid_t P;
static char bkp_dir[96];
static const char *const clear_slack[] = { "SLACK_", "PACK_NAME", "RENEW_CONVERSATION_LIST", "LOGLEVEL",
					   "DEFAULT_JOIN_ROOM", "BKP_DIR", "HIPCHAT_", "BAMBOO_", NULL };

#define RUN(r, cmd, input) \
	FLH_ASSERT(pt_run(&E, "HipChat", "{\"env\":\"staging\"}", (cmd), (input), 0, (r)) == 0)
#define EXPECT(cmd, input, event, payload) \
	MD_EXPECT(&E, "HipChat", "{\"env\":\"staging\"}", (cmd), (input), (event), (payload))
#define EXPECT_ERROR(cmd, input, event, part) \
	MD_EXPECT_ERROR(&E, "HipChat", "{\"env\":\"staging\"}", (cmd), (input), (event), (part))
#define EXPECT_ERROR_IS(cmd, input, event, error) \
	MD_EXPECT_ERROR_IS(&E, "HipChat", "{\"env\":\"staging\"}", (cmd), (input), (event), (error))

static json_t *last_post(void)
{
	json_t *p = slackstub_post(S, slackstub_posts(S) - 1);
	FLH_ASSERT(p != NULL);
	return p;
}

/* BKP_DIR/rooms.json holds exactly expected. */
static void rooms_are(const char *expected)
{
	char *text = flt_read_file(flh_path("%s/rooms.json", bkp_dir), 0, NULL);
	json_t *j = flh_json(text ? text : "null");
	char w[256];
	bool same = md_same(j, expected, true, w, sizeof(w));

	free(text);
	json_decref(j);
	FLH_ASSERT_MSG(same, "rooms.json is not %s: %s", expected, w);
}

static pid_t start_hipchat(const char *log, bool with_default_room)
{
	char api[160], bkp[160];

	snprintf(api, sizeof(api), "SLACK_API_URL=%s", slackstub_api_url(S));
	snprintf(bkp, sizeof(bkp), "BKP_DIR=%s", bkp_dir);
	const char *env[] = { api, bkp, "PACK_NAME=HipChat", "FLYTE_LABELS=env=staging",
			      "FLYTE_SLACK_TOKEN=" STUB_BOT_TOKEN, "FLYTE_SLACK_APP_TOKEN=" STUB_APP_TOKEN,
			      "HIPCHAT_ROOM_MAP=10000=#devinf", "SLACK_RETRY_DELAY_MS=20", "SLACK_RECONNECT_DELAY_MS=50",
			      with_default_room ? "DEFAULT_JOIN_ROOM=deployRoom" : NULL, NULL };
	return pt_start_pack(&E, getenv("FLYTE_SLACK_BIN"), clear_slack, env, log, "HipChat.env.staging");
}

/* ------------------------------------------------------------- setup */

FLT_TEST(setup)
{
	struct flh_resp *r;
	bool ok;

	FLH_ASSERT(pt_setup(&E, "hipchat") == 0);
	snprintf(bkp_dir, sizeof(bkp_dir), "%s/bkp/rooms", E.dir);
	FLH_ASSERT(slackstub_start(&S) == 0);
	slackstub_user(S, "U0JANE001", "jdoe", "Jane Doe", "jane", "jane@example.com", "SRE");
	slackstub_user(S, "U0BOB0001", "bsmith", "Bob Smith", "bob", "bob@example.com", "Developer");
	/* Slack channel names are lower case: the HipChat room "deployRoom" is #deployroom */
	slackstub_channel(S, "C0DEPLOY01", "deployroom", "Deploys", false, false);
	slackstub_channel(S, "C0BUILD001", "buildroom", "", false, true);
	slackstub_channel(S, "C0DEVINF01", "devinf", "", false, true);
	slackstub_channel(S, "G0SECRET01", "secretroom", "", true, false);
	slackstub_channel(S, "C0RANDOM01", "random", "", false, false);

	FLH_EQ_INT(flh_pack_register(&sink, E.srv, "{\"name\":\"Sink\",\"commands\":[{\"name\":\"Record\",\"events\":"
						   "[\"Recorded\"]}]}"),
		   201);
	r = flh_post_json(E.srv, "/v1/flows", "{\"name\":\"sink\",\"steps\":[{\"id\":\"s\",\"event\":{\"packName\":"
					      "\"HipChat\",\"name\":\"ReceivedMessage\"},\"command\":{\"packName\":\"Sink\","
					      "\"name\":\"Record\",\"input\":\"m\"}}]}");
	FLH_STATUS(r, 201);
	flh_resp_free(r);
	P = start_hipchat("hipchat.log", true);
	FLH_ASSERT(P > 0);
	FLH_ASSERT(slackstub_wait_live(S, 1, FLH_WAIT_MS));
	/* the default room is joined at start: the bot was not a member of #deployroom */
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, slackstub_count_requests(S, "/api/conversations.join", "channel=C0DEPLOY01") == 1);
	FLH_ASSERT_MSG(ok, "the pack did not join deployroom");
}

FLT_TEST(registration)
{
	struct flh_resp *r = flh_get(E.srv, "/v1/packs/HipChat.env.staging");
	json_t *j;

	FLH_STATUS(r, 200);
	j = flh_resp_json(r);
	FLH_EQ_STR(flh_json_str(j, "name"), "HipChat");
	FLH_EQ_STR(flh_json_str(j, "labels.env"), "staging");
	FLH_EQ_STR(flh_json_str(j, "commands.0.name"), "SendMessage");
	FLH_EQ_STR(flh_json_str(j, "commands.1.name"), "SendNotification");
	FLH_EQ_STR(flh_json_str(j, "commands.2.name"), "Broadcast");
	FLH_EQ_STR(flh_json_str(j, "commands.3.name"), "JoinRoom");
	FLH_EQ_STR(flh_json_str(j, "commands.4.name"), "LeaveRoom");
	MD_JSON_IS(flh_json_get(j, "commands.1.events"), "[\"NotificationSent\",\"SendNotificationFailed\"]", true);
	/* the spontaneous event first, then the commands' events (as the Go client declared them) */
	FLH_EQ_STR(flh_json_str(j, "events.0.name"), "ReceivedMessage");
	for (size_t i = 0; i < json_array_size(json_object_get(j, "events")); i++)
		FLH_ASSERT(strcmp(flh_json_str(json_array_get(json_object_get(j, "events"), i), "name"), "ReactionAdded"));
	flh_resp_free(r);
}

/* ------------------------------------------------------------ events */

FLT_TEST(received_message)
{
	char ts[32], date[64];
	json_t *p;

	slackstub_next_ts(S, ts, sizeof(ts));
	FLH_ASSERT(slack_ts_date(date, sizeof(date), ts));
	slackstub_message(S, "C0DEPLOY01", "U0JANE001",
			  "hi <@U0BOB0001> &amp; <@U0NOBODY1>: see <https://ci.example/b/1|build 1> in <#C0BUILD001|buildroom>",
			  ts, NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink", "id", ts, 1));
	p = md_payload_with(E.srv, "sink", "id", ts);
	MD_JSON_IS(p,
		flh_path("{\"id\":\"%s\",\"roomId\":\"deployRoom\",\"date\":\"%s\","
			 "\"from\":{\"id\":\"U0JANE001\",\"name\":\"Jane Doe\",\"mentionName\":\"jane\"},\"mentions\":[{"
			 "\"id\":\"U0BOB0001\",\"name\":\"Bob Smith\",\"mentionName\":\"bob\"}],\"message\":\"hi @bob & "
			 "@U0NOBODY1: see build 1 in #buildroom\",\"messageFormat\":\"text\",\"type\":\"message\"}",
			 ts, date),
		false);
	json_decref(p);
	/* a room that was not joined: nothing (HipChat only watched joined rooms) */
	slackstub_message(S, "C0BUILD001", "U0JANE001", "not watched", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	/* a bot's message in a joined room: a notification from the bot's name */
	slackstub_event(S, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "message", "subtype", "bot_message", "text",
				     "build 12 passed", "bot_id", "B0CI000001", "username", "ci", "channel", "C0DEPLOY01",
				     "ts", slackstub_next_ts(S, ts, sizeof(ts))),
			NULL, NULL, 0);
	/* joins and edits are not messages */
	slackstub_event(S, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "message", "subtype", "channel_join", "user",
				     "U0BOB0001", "text", "<@U0BOB0001> has joined the channel", "channel", "C0DEPLOY01",
				     "ts", slackstub_next_ts(S, ts, sizeof(ts))),
			NULL, NULL, 0);
	slackstub_settle(S, E.srv, "C0DEPLOY01", "sink");
	FLH_EQ_INT(md_count_with(E.srv, "sink", "message", "not watched"), 0);
	FLH_EQ_INT(md_count_with(E.srv, "sink", "message", "@bob has joined the channel"), 0);
	p = md_payload_with(E.srv, "sink", "message", "build 12 passed");
	FLH_ASSERT(p != NULL);
	FLH_EQ_STR(flh_json_str(p, "type"), "notification");
	FLH_EQ_STR(flh_json_str(p, "from"), "ci");
	FLH_EQ_STR(flh_json_str(p, "roomId"), "deployRoom");
	json_decref(p);
}

/* ---------------------------------------------------------- commands */

FLT_TEST(send_message)
{
	struct pt_result r;
	json_t *post;

	EXPECT("SendMessage", "{\"roomId\":\"deployRoom\",\"message\":\"a < b & <@U0JANE001>\"}", "MessageSent",
	       "{\"roomId\":\"deployRoom\",\"message\":\"a < b & <@U0JANE001>\"}");
	post = last_post();
	/* HipChat's text is literal: escaped for Slack */
	MD_JSON_IS(post, flh_path("{\"text\":\"a &lt; b &amp; &lt;@U0JANE001&gt;\",\"channel\":\"C0DEPLOY01\",\"ts\":\"%s\"}",
			       flh_json_str(post, "ts")), true);
	json_decref(post);
	/* a channel id, a name with '#', a mapped HipChat room id */
	RUN(&r, "SendMessage", "{\"roomId\":\"C0BUILD001\",\"message\":\"by id\"}");
	MD_EVENT(&r, "MessageSent");
	pt_result_release(&r);
	RUN(&r, "SendMessage", "{\"roomId\":\"10000\",\"message\":\"mapped\"}");
	MD_EVENT(&r, "MessageSent");
	pt_result_release(&r);
	post = last_post();
	FLH_EQ_STR(flh_json_str(post, "channel"), "C0DEVINF01");
	json_decref(post);

	EXPECT("SendMessage", "{\"message\":\"\"}", "SendMessageFailed",
	       "{\"message\":\"\",\"error\":\"missing fields: [room id, message]\"}");
	EXPECT("SendMessage", "{\"roomId\":\"nowhere\",\"message\":\"x\"}", "SendMessageFailed",
	       "{\"roomId\":\"nowhere\",\"message\":\"x\",\"error\":\"cannot find room 'nowhere': no Slack channel "
	       "'nowhere'\"}");
	EXPECT_ERROR_IS("SendMessage", "{\"roomId\":\"random\",\"message\":\"x\"}", "SendMessageFailed",
			"cannot send to room 'random': not_in_channel");
	RUN(&r, "SendMessage", "[1]");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "input is not valid"));
	pt_result_release(&r);
}

FLT_TEST(send_notification)
{
	struct pt_result r;
	json_t *post;

	EXPECT("SendNotification",
	       "{\"roomId\":\"deployRoom\",\"from\":\"CI\",\"color\":\"red\",\"notify\":true,"
	       "\"message\":\"<b>Deploy</b> failed &amp; <a href='https://ci.example/1'>log</a>\"}", "NotificationSent",
	       "{\"roomId\":\"deployRoom\",\"from\":\"CI\",\"color\":\"red\",\"notify\":true,\"message\":\"<b>Deploy"
	       "</b> failed &amp; <a href='https://ci.example/1'>log</a>\"}");
	post = last_post();
	MD_JSON_IS(json_object_get(post, "attachments"),
		"[{\"color\":\"#d04437\",\"author_name\":\"CI\",\"text\":\"*Deploy* failed &amp; <https://ci.example/1|log>\","
		"\"fallback\":\"CI: *Deploy* failed &amp; <https://ci.example/1|log>\",\"mrkdwn_in\":[\"text\"]}]",
		true);
	FLH_EQ_STR(flh_json_str(post, "channel"), "C0DEPLOY01");
	json_decref(post);
	/* text format, default colour */
	RUN(&r, "SendNotification", "{\"roomId\":\"deployRoom\",\"from\":\"CI\",\"messageFormat\":\"text\",\"message\":"
				    "\"1 < 2\"}");
	MD_EVENT(&r, "NotificationSent");
	pt_result_release(&r);
	post = last_post();
	FLH_EQ_STR(flh_json_str(post, "attachments.0.color"), "#f6c342");
	FLH_EQ_STR(flh_json_str(post, "attachments.0.text"), "1 &lt; 2");
	json_decref(post);

	EXPECT("SendNotification", "{\"roomId\":\"deployRoom\",\"message\":\"x\"}", "SendNotificationFailed",
	       "{\"roomId\":\"deployRoom\",\"message\":\"x\",\"error\":\"missing fields: [from]\"}");
	EXPECT_ERROR_IS("SendNotification",
			"{\"roomId\":\"deployRoom\",\"message\":\"x\",\"from\":\"CI\",\"color\":\"pink\"}",
			"SendNotificationFailed",
			"invalid color 'pink': expected yellow, green, red, purple, gray or random");
	/* send errors are reported (the HipChat pack swallowed them) */
	EXPECT_ERROR_IS("SendNotification", "{\"roomId\":\"random\",\"message\":\"x\",\"from\":\"CI\"}",
			"SendNotificationFailed", "cannot send to room 'random': not_in_channel");
	RUN(&r, "SendNotification", "{\"roomId\":\"deployRoom\",\"message\":\"x\",\"from\":\"CI\",\"notify\":\"yes\"}");
	MD_EVENT(&r, "FATAL");
	pt_result_release(&r);
}

FLT_TEST(join_leave_and_broadcast)
{
	struct pt_result r;
	char ts[32];
	size_t posts;
	json_t *p;

	EXPECT("JoinRoom", "{\"roomId\":\"buildroom\"}", "RoomJoined", "{\"roomId\":\"buildroom\"}");
	/* the bot was a member already: no conversations.join */
	FLH_EQ_INT(slackstub_count_requests(S, "/api/conversations.join", "C0BUILD001"), 0);
	RUN(&r, "JoinRoom", "{\"roomId\":\"deployRoom\"}"); /* joined already: success */
	MD_EVENT(&r, "RoomJoined");
	pt_result_release(&r);
	EXPECT("JoinRoom", "{\"roomId\":\"secretroom\"}", "JoinRoomFailed",
	       "{\"roomId\":\"secretroom\",\"error\":\"cannot join room 'secretroom': the channel is private; "
	       "invite the app to it in Slack (/invite)\"}");
	RUN(&r, "JoinRoom", "{\"roomId\":\"ghosts\"}");
	MD_EVENT(&r, "JoinRoomFailed");
	pt_result_release(&r);
	rooms_are("[\"deployRoom\",\"buildroom\"]");

	/* messages in the joined room now arrive, with the room as it was joined */
	slackstub_message(S, "C0BUILD001", "U0BOB0001", "now watched", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink", "message", "now watched", 1));
	p = md_payload_with(E.srv, "sink", "message", "now watched");
	FLH_EQ_STR(flh_json_str(p, "roomId"), "buildroom");
	json_decref(p);

	posts = slackstub_posts(S);
	EXPECT("Broadcast", "{\"message\":\"maintenance at 5\"}", "BroadcastSent",
	       "{\"message\":\"maintenance at 5\"}");
	FLH_EQ_INT(slackstub_posts(S) - posts, 2);

	EXPECT("LeaveRoom", "{\"roomId\":\"buildroom\"}", "RoomLeft", "{\"roomId\":\"buildroom\"}");
	EXPECT("LeaveRoom", "{\"roomId\":\"buildroom\"}", "LeaveRoomFailed",
	       "{\"roomId\":\"buildroom\",\"error\":\"not in this room\"}");
	rooms_are("[\"deployRoom\"]");
	slackstub_message(S, "C0BUILD001", "U0BOB0001", "left behind", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	slackstub_settle(S, E.srv, "C0DEPLOY01", "sink");
	FLH_EQ_INT(md_count_with(E.srv, "sink", "message", "left behind"), 0);
	EXPECT("Broadcast", "{}", "BroadcastFailed", "{\"message\":\"\",\"error\":\"missing fields: [message]\"}");
}

/* --------------------------------------- the README's LabelBuildFlow */

#define BAMBOO_USER "builder"
#define BAMBOO_PASS "b4mboo-pw"

FLT_TEST(label_build_flow)
{
	struct standin *bamboo = NULL;
	static struct md_bamboo model;
	char host[128], ts[32];
	size_t posts = slackstub_posts(S);
	json_t *post;
	pid_t bp;
	bool ok;

	md_post_flow_file(E.srv, getenv("FLYTE_LABEL_FLOW"));
	md_bamboo_init(&model, BAMBOO_USER, BAMBOO_PASS);
	FLH_ASSERT(standin_start(&bamboo, md_bamboo_model, &model, NULL) == 0);
	snprintf(host, sizeof(host), "BAMBOO_HOST=%s", standin_url(bamboo));
	const char *env[] = { host, "BAMBOO_USER=" BAMBOO_USER, "BAMBOO_PASS=" BAMBOO_PASS, NULL };
	bp = pt_start_pack(&E, getenv("FLYTE_BAMBOO_BIN"), clear_slack, env, "bamboo.log", "Bamboo");
	FLH_ASSERT(bp > 0);

	/* the request, typed in Slack's #deployroom - the HipChat room "deployRoom" */
	slackstub_message(S, "C0DEPLOY01", "U0JANE001", "flyte add label staging to build ABC-DEF-12",
			  slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	/* not in the deploy room: ignored by the flow's criteria */
	{
		struct pt_result r;
		RUN(&r, "JoinRoom", "{\"roomId\":\"devinf\"}");
		MD_EVENT(&r, "RoomJoined");
		pt_result_release(&r);
	}
	slackstub_message(S, "C0DEVINF01", "U0BOB0001", "flyte add label prod to build ABC-DEF-13",
			  slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);

	FLH_ASSERT_MSG(slackstub_wait_posts(S, posts + 1, FLH_WAIT_MS), "HipChat's reply was not posted to Slack");
	post = slackstub_post(S, posts);
	FLH_EQ_STR(flh_json_str(post, "channel"), "C0DEPLOY01");
	FLH_EQ_STR(flh_json_str(post, "text"), "Hi Jane Doe - labeled ABC-DEF-12 build as staging");
	json_decref(post);
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, md_label_flow_done(E.srv));
	FLH_ASSERT_MSG(ok, "the LabelBuildFlow execution did not complete both steps");
	/* Bamboo saw exactly one label request, for the right build */
	FLH_EQ_INT(standin_count(bamboo), 1);
	md_expect_body(bamboo, "POST", "/rest/api/latest/result/ABC-DEF-12/label?os_authType=basic",
		       "{\"name\":\"staging\"}");
	FLH_EQ_INT(slackstub_posts(S) - posts, 1);
	FLH_EQ_INT(pt_stop_pack(bp), 0);
	standin_stop(bamboo);
	md_bamboo_release(&model);
}

FLT_TEST(rooms_survive_a_restart)
{
	char ts[32];

	FLH_EQ_INT(pt_stop_pack(P), 0);
	/* no DEFAULT_JOIN_ROOM now: the rooms come from BKP_DIR/rooms.json */
	P = start_hipchat("hipchat-2.log", false);
	FLH_ASSERT(P > 0);
	FLH_ASSERT(slackstub_wait_live(S, 1, FLH_WAIT_MS));
	slackstub_message(S, "C0DEVINF01", "U0JANE001", "still watching devinf", slackstub_next_ts(S, ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT(md_wait_with(E.srv, "sink", "message", "still watching devinf", 1));
	slackstub_settle(S, E.srv, "C0DEPLOY01", "sink"); /* and deployRoom */
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

FLT_MAIN(setup, registration, received_message, send_message, send_notification, join_leave_and_broadcast,
	 label_build_flow, rooms_survive_a_restart, teardown)
