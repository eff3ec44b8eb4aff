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
static unsigned ts_seq;
static const char *const clear_slack[] = { "SLACK_", "PACK_NAME", "RENEW_CONVERSATION_LIST", "LOGLEVEL",
					   "DEFAULT_JOIN_ROOM", "BKP_DIR", "HIPCHAT_", "BAMBOO_", NULL };

#define RUN(r, cmd, input) \
	FLH_ASSERT(pt_run(&E, "HipChat", "{\"env\":\"staging\"}", (cmd), (input), 0, (r)) == 0)

static const char *next_ts(char *buf, size_t len)
{
	ts_seq++;
	snprintf(buf, len, "1700200%03u.%06u", ts_seq / 1000, ts_seq * 100);
	return buf;
}

static json_t *triggers(void)
{
	struct flh_resp *r = flh_get(E.srv, "/v1/audit/flows?flowName=sink&limit=1000");
	json_t *out = json_array(), *e;
	size_t i;

	json_array_foreach(json_object_get(flh_resp_json(r), "flows"), i, e)
		json_array_append(out, flh_json_get(e, "actions.s.trigger.payload"));
	flh_resp_free(r);
	return out;
}

static json_t *payload_with(const char *path, const char *value)
{
	json_t *t = triggers(), *p, *found = NULL;
	size_t i;

	json_array_foreach(t, i, p) {
		const char *v = flh_json_str(p, path);
		if (!found && v && !strcmp(v, value))
			found = json_incref(p);
	}
	json_decref(t);
	return found;
}

static int count_with(const char *path, const char *value)
{
	json_t *t = triggers(), *p;
	size_t i;
	int n = 0;

	json_array_foreach(t, i, p) {
		const char *v = flh_json_str(p, path);
		n += v && !strcmp(v, value);
	}
	json_decref(t);
	return n;
}

static bool wait_with(const char *path, const char *value)
{
	bool ok;

	FLH_WAIT_FOR(ok, FLH_WAIT_MS, count_with(path, value) >= 1);
	return ok;
}

/* A marker message in deployroom: what came before it has been handled. */
static void settle(void)
{
	static unsigned n;
	char text[64], ts[32];
	bool ok;

	snprintf(text, sizeof(text), "marker %u", ++n);
	slackstub_message(S, "C0DEPLOY01", "U0BOB0001", text, next_ts(ts, sizeof(ts)), NULL, NULL, 0);
	ok = wait_with("message", text);
	FLH_ASSERT_MSG(ok, "marker '%s' did not arrive", text);
	flh_sleep_ms(200);
}

static json_t *last_post(void)
{
	json_t *p = slackstub_post(S, slackstub_posts(S) - 1);
	FLH_ASSERT(p != NULL);
	return p;
}

static int count_requests(const char *path, const char *part)
{
	struct standin *h = slackstub_http(S);
	int n = 0;

	for (size_t i = 0; i < standin_count(h); i++) {
		struct standin_req q;
		if (standin_get(h, i, &q))
			continue;
		n += !strcmp(q.path, path) && (!part || strstr(q.query, part) || strstr(q.body, part));
		standin_req_release(&q);
	}
	return n;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[65536];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

#define JSON_IS(got, expected, ordered)                                                         \
	do {                                                                                    \
		char w_[256];                                                                   \
		json_t *g_ = (got);                                                             \
		if (!md_same(g_, (expected), (ordered), w_, sizeof(w_))) {                      \
			char *d_ = flh_json_dump(g_);                                           \
			printf("# got:      %s\n# expected: %s\n", d_, (expected));              \
			free(d_);                                                               \
			FLH_FAIL("JSON differs: %s", w_);                                       \
		}                                                                               \
	} while (0)

/* BKP_DIR/rooms.json holds exactly expected. */
static void rooms_are(const char *expected)
{
	json_t *j = flh_json(read_file(flh_path("%s/rooms.json", bkp_dir)) ? read_file(flh_path("%s/rooms.json", bkp_dir))
									    : "null");
	char w[256];
	bool same = md_same(j, expected, true, w, sizeof(w));

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
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, count_requests("/api/conversations.join", "channel=C0DEPLOY01") == 1);
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
	JSON_IS(flh_json_get(j, "commands.1.events"), "[\"NotificationSent\",\"SendNotificationFailed\"]", true);
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

	next_ts(ts, sizeof(ts));
	FLH_ASSERT(slack_ts_date(date, sizeof(date), ts));
	slackstub_message(S, "C0DEPLOY01", "U0JANE001",
			  "hi <@U0BOB0001> &amp; <@U0NOBODY1>: see <https://ci.example/b/1|build 1> in <#C0BUILD001|buildroom>",
			  ts, NULL, NULL, 0);
	FLH_ASSERT(wait_with("id", ts));
	p = payload_with("id", ts);
	JSON_IS(p,
		flh_path("{\"id\":\"%s\",\"roomId\":\"deployRoom\",\"date\":\"%s\","
			 "\"from\":{\"id\":\"U0JANE001\",\"name\":\"Jane Doe\",\"mentionName\":\"jane\"},\"mentions\":[{"
			 "\"id\":\"U0BOB0001\",\"name\":\"Bob Smith\",\"mentionName\":\"bob\"}],\"message\":\"hi @bob & "
			 "@U0NOBODY1: see build 1 in #buildroom\",\"messageFormat\":\"text\",\"type\":\"message\"}",
			 ts, date),
		false);
	json_decref(p);
	/* a room that was not joined: nothing (HipChat only watched joined rooms) */
	slackstub_message(S, "C0BUILD001", "U0JANE001", "not watched", next_ts(ts, sizeof(ts)), NULL, NULL, 0);
	/* a bot's message in a joined room: a notification from the bot's name */
	slackstub_event(S, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "message", "subtype", "bot_message", "text",
				     "build 12 passed", "bot_id", "B0CI000001", "username", "ci", "channel", "C0DEPLOY01",
				     "ts", next_ts(ts, sizeof(ts))),
			NULL, NULL, 0);
	/* joins and edits are not messages */
	slackstub_event(S, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "message", "subtype", "channel_join", "user",
				     "U0BOB0001", "text", "<@U0BOB0001> has joined the channel", "channel", "C0DEPLOY01",
				     "ts", next_ts(ts, sizeof(ts))),
			NULL, NULL, 0);
	settle();
	FLH_EQ_INT(count_with("message", "not watched"), 0);
	FLH_EQ_INT(count_with("message", "@bob has joined the channel"), 0);
	p = payload_with("message", "build 12 passed");
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

	RUN(&r, "SendMessage", "{\"roomId\":\"deployRoom\",\"message\":\"a < b & <@U0JANE001>\"}");
	MD_EVENT(&r, "MessageSent");
	MD_PAYLOAD(&r, "{\"roomId\":\"deployRoom\",\"message\":\"a < b & <@U0JANE001>\"}");
	pt_result_release(&r);
	post = last_post();
	/* HipChat's text is literal: escaped for Slack */
	JSON_IS(post, flh_path("{\"text\":\"a &lt; b &amp; &lt;@U0JANE001&gt;\",\"channel\":\"C0DEPLOY01\",\"ts\":\"%s\"}",
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

	RUN(&r, "SendMessage", "{\"message\":\"\"}");
	MD_EVENT(&r, "SendMessageFailed");
	MD_PAYLOAD(&r, "{\"message\":\"\",\"error\":\"missing fields: [room id, message]\"}");
	pt_result_release(&r);
	RUN(&r, "SendMessage", "{\"roomId\":\"nowhere\",\"message\":\"x\"}");
	MD_EVENT(&r, "SendMessageFailed");
	MD_PAYLOAD(&r, "{\"roomId\":\"nowhere\",\"message\":\"x\",\"error\":\"cannot find room 'nowhere': no Slack channel "
		       "'nowhere'\"}");
	pt_result_release(&r);
	RUN(&r, "SendMessage", "{\"roomId\":\"random\",\"message\":\"x\"}");
	MD_EVENT(&r, "SendMessageFailed");
	FLH_EQ_STR(pt_str(&r, "error"), "cannot send to room 'random': not_in_channel");
	pt_result_release(&r);
	RUN(&r, "SendMessage", "[1]");
	MD_EVENT(&r, "FATAL");
	FLH_ASSERT(strstr(json_string_value(r.payload), "input is not valid"));
	pt_result_release(&r);
}

FLT_TEST(send_notification)
{
	struct pt_result r;
	json_t *post;

	RUN(&r, "SendNotification", "{\"roomId\":\"deployRoom\",\"from\":\"CI\",\"color\":\"red\",\"notify\":true,"
				    "\"message\":\"<b>Deploy</b> failed &amp; <a href='https://ci.example/1'>log</a>\"}");
	MD_EVENT(&r, "NotificationSent");
	MD_PAYLOAD(&r, "{\"roomId\":\"deployRoom\",\"from\":\"CI\",\"color\":\"red\",\"notify\":true,\"message\":\"<b>Deploy"
		       "</b> failed &amp; <a href='https://ci.example/1'>log</a>\"}");
	pt_result_release(&r);
	post = last_post();
	JSON_IS(json_object_get(post, "attachments"),
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

	RUN(&r, "SendNotification", "{\"roomId\":\"deployRoom\",\"message\":\"x\"}");
	MD_EVENT(&r, "SendNotificationFailed");
	MD_PAYLOAD(&r, "{\"roomId\":\"deployRoom\",\"message\":\"x\",\"error\":\"missing fields: [from]\"}");
	pt_result_release(&r);
	RUN(&r, "SendNotification", "{\"roomId\":\"deployRoom\",\"message\":\"x\",\"from\":\"CI\",\"color\":\"pink\"}");
	MD_EVENT(&r, "SendNotificationFailed");
	FLH_EQ_STR(pt_str(&r, "error"), "invalid color 'pink': expected yellow, green, red, purple, gray or random");
	pt_result_release(&r);
	/* send errors are reported (the HipChat pack swallowed them) */
	RUN(&r, "SendNotification", "{\"roomId\":\"random\",\"message\":\"x\",\"from\":\"CI\"}");
	MD_EVENT(&r, "SendNotificationFailed");
	FLH_EQ_STR(pt_str(&r, "error"), "cannot send to room 'random': not_in_channel");
	pt_result_release(&r);
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

	RUN(&r, "JoinRoom", "{\"roomId\":\"buildroom\"}");
	MD_EVENT(&r, "RoomJoined");
	MD_PAYLOAD(&r, "{\"roomId\":\"buildroom\"}");
	pt_result_release(&r);
	/* the bot was a member already: no conversations.join */
	FLH_EQ_INT(count_requests("/api/conversations.join", "C0BUILD001"), 0);
	RUN(&r, "JoinRoom", "{\"roomId\":\"deployRoom\"}"); /* joined already: success */
	MD_EVENT(&r, "RoomJoined");
	pt_result_release(&r);
	RUN(&r, "JoinRoom", "{\"roomId\":\"secretroom\"}");
	MD_EVENT(&r, "JoinRoomFailed");
	MD_PAYLOAD(&r, "{\"roomId\":\"secretroom\",\"error\":\"cannot join room 'secretroom': the channel is private; "
		       "invite the app to it in Slack (/invite)\"}");
	pt_result_release(&r);
	RUN(&r, "JoinRoom", "{\"roomId\":\"ghosts\"}");
	MD_EVENT(&r, "JoinRoomFailed");
	pt_result_release(&r);
	rooms_are("[\"deployRoom\",\"buildroom\"]");

	/* messages in the joined room now arrive, with the room as it was joined */
	slackstub_message(S, "C0BUILD001", "U0BOB0001", "now watched", next_ts(ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT(wait_with("message", "now watched"));
	p = payload_with("message", "now watched");
	FLH_EQ_STR(flh_json_str(p, "roomId"), "buildroom");
	json_decref(p);

	posts = slackstub_posts(S);
	RUN(&r, "Broadcast", "{\"message\":\"maintenance at 5\"}");
	MD_EVENT(&r, "BroadcastSent");
	MD_PAYLOAD(&r, "{\"message\":\"maintenance at 5\"}");
	pt_result_release(&r);
	FLH_EQ_INT(slackstub_posts(S) - posts, 2);

	RUN(&r, "LeaveRoom", "{\"roomId\":\"buildroom\"}");
	MD_EVENT(&r, "RoomLeft");
	MD_PAYLOAD(&r, "{\"roomId\":\"buildroom\"}");
	pt_result_release(&r);
	RUN(&r, "LeaveRoom", "{\"roomId\":\"buildroom\"}");
	MD_EVENT(&r, "LeaveRoomFailed");
	MD_PAYLOAD(&r, "{\"roomId\":\"buildroom\",\"error\":\"not in this room\"}");
	pt_result_release(&r);
	rooms_are("[\"deployRoom\"]");
	slackstub_message(S, "C0BUILD001", "U0BOB0001", "left behind", next_ts(ts, sizeof(ts)), NULL, NULL, 0);
	settle();
	FLH_EQ_INT(count_with("message", "left behind"), 0);
	RUN(&r, "Broadcast", "{}");
	MD_EVENT(&r, "BroadcastFailed");
	MD_PAYLOAD(&r, "{\"message\":\"\",\"error\":\"missing fields: [message]\"}");
	pt_result_release(&r);
}

/* --------------------------------------- the README's LabelBuildFlow */

#define BAMBOO_USER "builder"
#define BAMBOO_PASS "b4mboo-pw"

static char bamboo_auth[128];

/* Bamboo's "add a label to a build result" (the only call the flow makes). */
static void bamboo_model(const struct standin_req *q, struct standin_resp *r, void *payload)
{
	char seg[8][256], v[32];
	const char *auth = standin_req_header(q, "Authorization");
	int n = md_segments(q->path, seg, 8);
	json_t *b = md_body(q);

	(void)payload;
	if (!auth || strcmp(auth, bamboo_auth) || !md_query(q->query, "os_authType", v, sizeof(v)) || strcmp(v, "basic"))
		standin_json(r, 401, "{\"message\":\"Client must be authenticated to access this resource.\","
				     "\"status-code\":401}");
	else if (n == 6 && !strcmp(seg[0], "rest") && !strcmp(seg[1], "api") && !strcmp(seg[2], "latest") &&
		 !strcmp(seg[3], "result") && !strcmp(seg[5], "label") && !strcmp(q->method, "POST") && md_json_ctype(q) &&
		 json_is_string(json_object_get(b, "name")))
		standin_text(r, 204, NULL, NULL);
	else
		standin_json(r, 404, "{\"message\":\"Not Found\",\"status-code\":404}");
	json_decref(b);
}

static bool both_steps_done(void)
{
	struct flh_resp *x = flh_get(E.srv, "/v1/audit/flows?flowName=LabelBuildFlow");
	json_t *e = json_array_get(json_object_get(flh_resp_json(x), "flows"), 0);
	const char *s1 = flh_json_str(e, "actions.hipchat_start_to_bamboo.result.event");
	const char *s2 = flh_json_str(e, "actions.bamboo_to_hipchat.result.event");
	bool done = s1 && s2 && !strcmp(s1, "AddedLabel") && !strcmp(s2, "MessageSent");

	flh_resp_free(x);
	return done;
}

FLT_TEST(label_build_flow)
{
	struct standin *bamboo = NULL;
	struct flh_resp *resp;
	struct standin_req q;
	char host[128], ts[32];
	const char *flow = read_file(getenv("FLYTE_LABEL_FLOW"));
	size_t posts = slackstub_posts(S);
	json_t *post;
	pid_t bp;
	bool ok;

	FLH_ASSERT_MSG(flow != NULL, "cannot read docs/examples/label-build-flow.json");
	resp = flh_post_json(E.srv, "/v1/flows", flow);
	FLH_STATUS(resp, 201);
	flh_resp_free(resp);
	md_basic(bamboo_auth, sizeof(bamboo_auth), BAMBOO_USER, BAMBOO_PASS);
	FLH_ASSERT(standin_start(&bamboo, bamboo_model, NULL, NULL) == 0);
	snprintf(host, sizeof(host), "BAMBOO_HOST=%s", standin_url(bamboo));
	const char *env[] = { host, "BAMBOO_USER=" BAMBOO_USER, "BAMBOO_PASS=" BAMBOO_PASS, NULL };
	bp = pt_start_pack(&E, getenv("FLYTE_BAMBOO_BIN"), clear_slack, env, "bamboo.log", "Bamboo");
	FLH_ASSERT(bp > 0);

	/* the request, typed in Slack's #deployroom - the HipChat room "deployRoom" */
	slackstub_message(S, "C0DEPLOY01", "U0JANE001", "flyte add label staging to build ABC-DEF-12",
			  next_ts(ts, sizeof(ts)), NULL, NULL, 0);
	/* not in the deploy room: ignored by the flow's criteria */
	{
		struct pt_result r;
		RUN(&r, "JoinRoom", "{\"roomId\":\"devinf\"}");
		MD_EVENT(&r, "RoomJoined");
		pt_result_release(&r);
	}
	slackstub_message(S, "C0DEVINF01", "U0BOB0001", "flyte add label prod to build ABC-DEF-13",
			  next_ts(ts, sizeof(ts)), NULL, NULL, 0);

	FLH_ASSERT_MSG(slackstub_wait_posts(S, posts + 1, FLH_WAIT_MS), "HipChat's reply was not posted to Slack");
	post = slackstub_post(S, posts);
	FLH_EQ_STR(flh_json_str(post, "channel"), "C0DEPLOY01");
	FLH_EQ_STR(flh_json_str(post, "text"), "Hi Jane Doe - labeled ABC-DEF-12 build as staging");
	json_decref(post);
	FLH_WAIT_FOR(ok, FLH_WAIT_MS, both_steps_done());
	FLH_ASSERT_MSG(ok, "the LabelBuildFlow execution did not complete both steps");
	/* Bamboo saw exactly one label request, for the right build */
	FLH_EQ_INT(standin_count(bamboo), 1);
	md_last(bamboo, &q);
	FLH_EQ_STR(q.method, "POST");
	FLH_EQ_STR(q.target, "/rest/api/latest/result/ABC-DEF-12/label?os_authType=basic");
	MD_BODY(&q, "{\"name\":\"staging\"}");
	standin_req_release(&q);
	FLH_EQ_INT(slackstub_posts(S) - posts, 1);
	FLH_EQ_INT(pt_stop_pack(bp), 0);
	standin_stop(bamboo);
}

FLT_TEST(rooms_survive_a_restart)
{
	char ts[32];

	FLH_EQ_INT(pt_stop_pack(P), 0);
	/* no DEFAULT_JOIN_ROOM now: the rooms come from BKP_DIR/rooms.json */
	P = start_hipchat("hipchat-2.log", false);
	FLH_ASSERT(P > 0);
	FLH_ASSERT(slackstub_wait_live(S, 1, FLH_WAIT_MS));
	slackstub_message(S, "C0DEVINF01", "U0JANE001", "still watching devinf", next_ts(ts, sizeof(ts)), NULL, NULL, 0);
	FLH_ASSERT(wait_with("message", "still watching devinf"));
	settle(); /* and deployRoom */
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
