/* SPDX-License-Identifier: Apache-2.0 */
/*
 * appendix_b.c - end-to-end flows through the real binary (spec Appendix B
 * and the acceptance scenario of §h).
 *
 * A Slack-like pack and a Shell-like pack run the two-step "UK bank
 * holidays" flow posted as YAML: the Slack event starts an execution whose
 * context captures the channel, thread and requestor; the Shell action's
 * result (exit_code 0) satisfies the second step's criteria, and the Slack
 * action's input is resolved from the context and the Shell output.  The
 * audit then shows both actions under one correlation id with the states
 * NEW, PENDING, SUCCESS.  Criteria that do not hold create nothing.  The
 * acceptance scenario registers a pack without commands, runs a flow on
 * its own MessageSent event and checks that the action's result starts a
 * new execution of the same flow.  Further end-to-end checks: how payload
 * values render in templates (§d.2), that a step fires at most once per
 * execution (§c.3), and that a FATAL result satisfies dependsOn so a
 * failure step runs with the chain's context (§b.4, §c.5).
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

static const char BANK_HOLIDAY_FLOW_YAML[] =
	"name: next_uk_bank_holidays\n"
	"description: prints next UK bank holidays\n"
	"steps:\n"
	"  - id: receive_uk_bank_holiday_message_send_response\n"
	"    event:\n"
	"      packName: Slack\n"
	"      name: ReceivedMessage\n"
	"    context:\n"
	"      Tts: \"{{ Event.Payload.threadTimestamp }}\"\n"
	"      ChannelID: \"{{ Event.Payload.channelId }}\"\n"
	"      Requestor: \"{{ Event.Payload.user.id }}\"\n"
	"    criteria: '{{ Event.Payload.message|match:''^flyte\\\\s+uk-bank-holidays$'' }}'\n"
	"    command:\n"
	"      packName: Shell\n"
	"      name: Shell\n"
	"      input: \"curl -s https://www.gov.uk/bank-holidays.json | jq -r .events\"\n"
	"  - id: send_bank_holiday_response\n"
	"    dependsOn:\n"
	"      - receive_uk_bank_holiday_message_send_response\n"
	"    event:\n"
	"      packName: Shell\n"
	"      name: Output\n"
	"    criteria: \"{{ Event.Payload.exit_code|integer == 0 }}\"\n"
	"    command:\n"
	"      packName: Slack\n"
	"      name: SendMessage\n"
	"      input:\n"
	"        channelId: \"{{ Context.ChannelID }}\"\n"
	"        threadTimestamp: \"{{ Context.Tts }}\"\n"
	"        message: \"Hey <@{{ Context.Requestor }}>! {{ Event.Payload.stdout }}\"\n";

static const char SLACK_DEF[] =
	"{\"name\":\"Slack\",\"commands\":[{\"name\":\"SendMessage\",\"events\":[\"MessageSent\",\"SendMessageFailed\"]}],"
	"\"events\":[{\"name\":\"ReceivedMessage\"}],"
	"\"links\":[{\"href\":\"https://github.com/ExpediaGroup/flyte-slack/blob/master/README.md\",\"rel\":\"help\"}]}";

static const char SHELL_DEF[] =
	"{\"name\":\"Shell\",\"commands\":[{\"name\":\"Shell\",\"events\":[\"Output\",\"Error\"]}],\"links\":null}";

static const char RECEIVED_PAYLOAD[] =
	"{\"channelId\":\"C1\",\"user\":{\"id\":\"U1\",\"name\":\"ann\"},"
	"\"message\":\"flyte uk-bank-holidays\",\"timestamp\":\"1650.1\",\"threadTimestamp\":\"1650.1\"}";

static const char *const SHELL_INPUT = "curl -s https://www.gov.uk/bank-holidays.json | jq -r .events";

static struct flh_server *start(void)
{
	struct flh_server *s = api_start(300, NULL);
	FLH_ASSERT_MSG(s, "the server did not start");
	return s;
}

static void setup_bank_holidays(struct flh_server *s, struct flh_pack *slack, struct flh_pack *shell)
{
	FLH_EQ_INT(flh_pack_register(slack, s, SLACK_DEF), 201);
	FLH_EQ_INT(flh_pack_register(shell, s, SHELL_DEF), 201);
	FLH_EQ_STR(slack->id, "Slack");
	FLH_EQ_STR(shell->id, "Shell");
	FLH_EQ_INT(api_post_status(s, "/v1/flows", "application/x-yaml", BANK_HOLIDAY_FLOW_YAML), 201);
}

/* The audit answer holds one execution with SUCCESS actions for both steps. */
static bool both_steps_done(json_t *answer, void *arg)
{
	(void)arg;
	json_t *actions = flh_json_get(answer, "flows.0.actions");
	const char *s1 = flh_json_str(actions, "receive_uk_bank_holiday_message_send_response.state.value");
	const char *s2 = flh_json_str(actions, "send_bank_holiday_response.state.value");
	return s1 && s2 && strcmp(s1, "SUCCESS") == 0 && strcmp(s2, "SUCCESS") == 0;
}

static void check_states(json_t *action, const char *const *want, size_t n)
{
	json_t *states = json_object_get(action, "states");
	FLH_ASSERT_MSG(json_array_size(states) == n, "%zu states, expected %zu", json_array_size(states), n);
	for (size_t i = 0; i < n; i++) {
		FLH_EQ_STR(flh_json_str(states, flh_path("%zu.value", i)), want[i]);
		FLH_ASSERT(flh_json_str(states, flh_path("%zu.time", i)) != NULL);
	}
}

FLT_TEST(bank_holiday_flow_end_to_end)
{
	static const char *const done_states[] = { "NEW", "PENDING", "SUCCESS" };
	struct flh_server *s = start();
	struct flh_pack slack, shell;
	struct flh_action a1, a2, none;
	json_t *audit, *exec, *want_input, *acts, *x1, *x2;
	const char *cid;

	setup_bank_holidays(s, &slack, &shell);
	FLH_EQ_INT(flh_pack_event(&slack, "ReceivedMessage", RECEIVED_PAYLOAD), 202);

	/* Shell takes A1: the curl command. */
	FLH_EQ_INT(flh_pack_take_wait(&shell, NULL, &a1, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a1.command, "Shell");
	FLH_ASSERT(json_is_string(a1.input));
	FLH_EQ_STR(json_string_value(a1.input), SHELL_INPUT);

	/* Nothing for Slack yet: its action only exists after the Shell result. */
	FLH_EQ_INT(flh_pack_take(&slack, NULL, &none), 204);
	flh_action_release(&none);

	FLH_EQ_INT(flh_action_result(s, &a1, "Output",
				     "{\"stdout\":\"Christmas Day 2024-12-25\",\"stderr\":\"\",\"exit_code\":0}"),
		   202);

	/* Slack takes A2 with the input resolved from context and the output. */
	FLH_EQ_INT(flh_pack_take_wait(&slack, NULL, &a2, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a2.command, "SendMessage");
	want_input = flh_json("{\"channelId\":\"C1\",\"threadTimestamp\":\"1650.1\","
			      "\"message\":\"Hey <@U1>! Christmas Day 2024-12-25\"}");
	FLH_JSON_SAME(a2.input, want_input, false);
	json_decref(want_input);
	FLH_EQ_INT(flh_action_result(s, &a2, "MessageSent", "{\"message\":\"sent\"}"), 202);

	/* Audit: one execution, both actions, one correlation id. */
	audit = api_audit_wait(s, "flowName=next_uk_bank_holidays", 1, both_steps_done, NULL, FLH_WAIT_MS);
	FLH_ASSERT(audit != NULL);
	FLH_ASSERT_MSG(both_steps_done(audit, NULL), "audit does not show both steps finished");
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), 1);
	exec = flh_json_get(audit, "flows.0");
	FLH_EQ_STR(flh_json_str(exec, "name"), "next_uk_bank_holidays");
	cid = flh_json_str(exec, "correlationId");
	FLH_ASSERT(api_is_oid(cid));
	acts = json_object_get(exec, "actions");
	FLH_EQ_INT(json_object_size(acts), 2);
	x1 = json_object_get(acts, "receive_uk_bank_holiday_message_send_response");
	x2 = json_object_get(acts, "send_bank_holiday_response");
	FLH_EQ_STR(flh_json_str(x1, "correlationId"), cid);
	FLH_EQ_STR(flh_json_str(x2, "correlationId"), cid);
	check_states(x1, done_states, 3);
	check_states(x2, done_states, 3);
	FLH_EQ_STR(flh_json_str(x1, "name"), "Shell");
	FLH_EQ_STR(flh_json_str(x1, "packName"), "Shell");
	FLH_EQ_STR(flh_json_str(x2, "name"), "SendMessage");
	FLH_EQ_STR(flh_json_str(x2, "packName"), "Slack");
	/* Context captured by step 1 is carried to step 2. */
	FLH_EQ_STR(flh_json_str(x1, "context.ChannelID"), "C1");
	FLH_EQ_STR(flh_json_str(x1, "context.Tts"), "1650.1");
	FLH_EQ_STR(flh_json_str(x1, "context.Requestor"), "U1");
	FLH_EQ_STR(flh_json_str(x2, "context.ChannelID"), "C1");
	/* Triggers and results. */
	FLH_EQ_STR(flh_json_str(x1, "trigger.event"), "ReceivedMessage");
	FLH_EQ_STR(flh_json_str(x1, "trigger.pack.name"), "Slack");
	FLH_EQ_STR(flh_json_str(x1, "trigger.payload.channelId"), "C1");
	FLH_EQ_STR(flh_json_str(x1, "result.event"), "Output");
	FLH_EQ_STR(flh_json_str(x1, "result.pack.name"), "Shell");
	FLH_EQ_STR(flh_json_str(x2, "trigger.event"), "Output");
	FLH_EQ_STR(flh_json_str(x2, "result.event"), "MessageSent");
	FLH_EQ_STR(flh_json_str(x2, "stepId"), "send_bank_holiday_response");
	FLH_EQ_STR(flh_json_str(x2, "flowName"), "next_uk_bank_holidays");
	FLH_EQ_STR(flh_json_str(x2, "flowUUID"), flh_json_str(exec, "uuid"));
	json_decref(audit);

	flh_action_release(&a1);
	flh_action_release(&a2);
	flh_pack_release(&slack);
	flh_pack_release(&shell);
	flh_server_free(s);
}

static bool shell_action_succeeded(json_t *answer, void *arg)
{
	(void)arg;
	const char *st = flh_json_str(answer, "flows.0.actions.receive_uk_bank_holiday_message_send_response.state.value");
	return st && strcmp(st, "SUCCESS") == 0;
}

FLT_TEST(criteria_that_do_not_hold_create_nothing)
{
	struct flh_server *s = start();
	struct flh_pack slack, shell;
	struct flh_action a1, none;
	json_t *audit;

	setup_bank_holidays(s, &slack, &shell);
	/* Does not match the criteria regex; posted before the matching one. */
	FLH_EQ_INT(flh_pack_event(&slack, "ReceivedMessage",
				  "{\"channelId\":\"C9\",\"user\":{\"id\":\"U9\"},\"message\":\"flyte weather\"}"),
		   202);
	FLH_EQ_INT(flh_pack_event(&slack, "ReceivedMessage", RECEIVED_PAYLOAD), 202);
	FLH_EQ_INT(flh_pack_take_wait(&shell, NULL, &a1, FLH_WAIT_MS), 200);
	FLH_EQ_STR(json_string_value(a1.input), SHELL_INPUT);
	FLH_EQ_INT(flh_pack_take(&shell, NULL, &none), 204);
	flh_action_release(&none);

	/* A failing command (exit_code 1) does not satisfy step 2's criteria. */
	FLH_EQ_INT(flh_action_result(s, &a1, "Output", "{\"stdout\":\"\",\"stderr\":\"boom\",\"exit_code\":1}"), 202);
	audit = api_audit_wait(s, "flowName=next_uk_bank_holidays", 1, shell_action_succeeded, NULL, FLH_WAIT_MS);
	FLH_ASSERT(audit != NULL);
	FLH_ASSERT(shell_action_succeeded(audit, NULL));
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), 1);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.receive_uk_bank_holiday_message_send_response.trigger.payload.channelId"),
		   "C1");
	FLH_EQ_INT(flh_pack_take(&slack, NULL, &none), 204);
	flh_action_release(&none);
	json_decref(audit);
	audit = api_audit_wait(s, "flowName=next_uk_bank_holidays", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(api_audit_action_count(audit), 1);
	json_decref(audit);

	flh_action_release(&a1);
	flh_pack_release(&slack);
	flh_pack_release(&shell);
	flh_server_free(s);
}

FLT_TEST(acceptance_result_retriggers_same_flow)
{
	static const char flow[] =
		"{\"name\":\"slack_flow\",\"steps\":[{\"id\":\"slack\","
		"\"event\":{\"packName\":\"Slack\",\"name\":\"MessageSent\"},"
		"\"command\":{\"packName\":\"Slack\",\"name\":\"SendMessage\"}}]}";
	struct flh_server *s = start();
	struct flh_pack slack;
	struct flh_action a, b;
	struct flh_resp *r;
	json_t *audit, *exec;
	char *cid1 = NULL;

	/* A pack that declares no commands can still be given actions. */
	FLH_EQ_INT(flh_pack_register(&slack, s, "{\"name\":\"Slack\"}"), 201);
	FLH_EQ_INT(api_post_flow(s, flow), 201);
	FLH_EQ_INT(flh_pack_event(&slack, "MessageSent", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&slack, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a.command, "SendMessage");
	FLH_ASSERT_MSG(json_is_null(a.input), "input of a step without input must be null");
	FLH_ASSERT(json_object_get(a.body, "input") != NULL);

	audit = api_audit_wait(s, "flowName=slack_flow", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_ASSERT(audit != NULL);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), 1);
	FLH_ASSERT(api_is_oid(flh_json_str(audit, "flows.0.correlationId")));
	cid1 = strdup(flh_json_str(audit, "flows.0.correlationId"));
	json_decref(audit);

	/* The result is itself a MessageSent event from Slack: a new execution. */
	FLH_EQ_INT(flh_action_result(s, &a, "MessageSent", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&slack, NULL, &b, FLH_WAIT_MS), 200);
	FLH_EQ_STR(b.command, "SendMessage");
	FLH_ASSERT_MSG(strcmp(a.result_href, b.result_href) != 0, "the same action was handed out twice");

	audit = api_audit_wait(s, "flowName=slack_flow", 2, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), 2);
	FLH_ASSERT(strcmp(flh_json_str(audit, "flows.0.correlationId"), flh_json_str(audit, "flows.1.correlationId")) != 0);
	json_decref(audit);

	r = flh_get(s, flh_path("/v1/audit/flows/%s", cid1));
	FLH_STATUS(r, 200);
	exec = flh_resp_json(r);
	FLH_EQ_STR(flh_json_str(exec, "name"), "slack_flow");
	FLH_ASSERT(flh_json_str(exec, "uuid") && *flh_json_str(exec, "uuid"));
	FLH_EQ_INT(json_array_size(json_object_get(exec, "steps")), 1);
	FLH_EQ_INT(json_object_size(json_object_get(exec, "actions")), 1);
	FLH_EQ_STR(flh_json_str(exec, "actions.slack.state.value"), "SUCCESS");
	flh_resp_free(r);

	free(cid1);
	flh_action_release(&a);
	flh_action_release(&b);
	flh_pack_release(&slack);
	flh_server_free(s);
}

FLT_TEST(template_rendering_of_payload_values)
{
	/* §d.2: payload numbers are doubles (six decimals), booleans render
	 * True/False, missing values render empty, non-string input values
	 * pass through, null object members are dropped. */
	static const char flow[] =
		"{\"name\":\"render_flow\",\"steps\":[{\"id\":\"s\","
		"\"event\":{\"packName\":\"RenderSrc\",\"name\":\"Go\"},"
		"\"criteria\":\"{{ Event.Payload.exit_code|integer == 0 }}\","
		"\"command\":{\"packName\":\"RenderSink\",\"name\":\"Show\",\"input\":{"
		"\"n\":\"{{ Event.Payload.n }}\",\"i\":\"{{ Event.Payload.n|integer }}\","
		"\"b\":\"{{ Event.Payload.ok }}\",\"missing\":\"[{{ Event.Payload.nope }}]\","
		"\"name\":\"{{ Event.Name }}/{{ Event.Pack.Name }}\","
		"\"keep\":3,\"flag\":false,\"gone\":null,\"nested\":[\"{{ Event.Payload.s|upper }}\",7]}}}]}";
	struct flh_server *s = start();
	struct flh_pack src, sink;
	struct flh_action a;
	json_t *want;
	FLH_EQ_INT(flh_pack_register(&src, s, "{\"name\":\"RenderSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&sink, s, "{\"name\":\"RenderSink\"}"), 201);
	FLH_EQ_INT(api_post_flow(s, flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{\"n\":5,\"ok\":true,\"s\":\"abc\",\"exit_code\":0}"), 202);
	FLH_EQ_INT(flh_pack_take_wait(&sink, NULL, &a, FLH_WAIT_MS), 200);
	want = flh_json("{\"n\":\"5.000000\",\"i\":\"5\",\"b\":\"True\",\"missing\":\"[]\",\"name\":\"Go/RenderSrc\","
			"\"keep\":3,\"flag\":false,\"nested\":[\"ABC\",7]}");
	FLH_JSON_SAME(a.input, want, false);
	json_decref(want);
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&sink);
	flh_server_free(s);
}

static const char CHAIN_FLOW[] =
	"{\"name\":\"chain_flow\",\"steps\":["
	"{\"id\":\"start\",\"event\":{\"packName\":\"ChainSrc\",\"name\":\"Go\"},"
	"\"context\":{\"Who\":\"{{ Event.Payload.who }}\"},"
	"\"command\":{\"packName\":\"ChainW\",\"name\":\"First\"}},"
	"{\"id\":\"next\",\"dependsOn\":[\"start\"],\"event\":{\"packName\":\"ChainW\",\"name\":\"Done\"},"
	"\"command\":{\"packName\":\"ChainW\",\"name\":\"Second\",\"input\":\"{{ Context.Who }}\"}},"
	"{\"id\":\"onfail\",\"dependsOn\":[\"start\"],\"event\":{\"packName\":\"ChainW\",\"name\":\"FATAL\"},"
	"\"command\":{\"packName\":\"ChainW\",\"name\":\"Cleanup\",\"input\":\"{{ Context.Who }}\"}}]}";

/*
 * ChainSrc sends Go for `who`; ChainW takes First and posts `result`
 * (payload: JSON text or NULL), then takes the next action *b, which must
 * be command `next` with `who` as its input.
 */
static void chain_run(struct flh_server *s, struct flh_pack *src, struct flh_pack *w, struct flh_action *a,
		      struct flh_action *b, const char *who, const char *result, const char *payload, const char *next)
{
	FLH_EQ_INT(flh_pack_register(src, s, "{\"name\":\"ChainSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(w, s, "{\"name\":\"ChainW\"}"), 201);
	FLH_EQ_INT(api_post_flow(s, CHAIN_FLOW), 201);
	FLH_EQ_INT(flh_pack_event(src, "Go", flh_path("{\"who\":\"%s\"}", who)), 202);
	FLH_EQ_INT(flh_pack_take_wait(w, NULL, a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a->command, "First");
	FLH_EQ_INT(flh_action_result(s, a, result, payload), 202);
	FLH_EQ_INT(flh_pack_take_wait(w, NULL, b, FLH_WAIT_MS), 200);
	FLH_EQ_STR(b->command, next);
	FLH_EQ_STR(json_string_value(b->input), who);
}

FLT_TEST(each_step_fires_once_per_execution)
{
	struct flh_server *s = start();
	struct flh_pack src, w;
	struct flh_action a, b, none;
	json_t *audit;
	chain_run(s, &src, &w, &a, &b, "ann", "Done", NULL, "Second");
	/* Second's own "Done" matches step "next" again: it already ran. */
	FLH_EQ_INT(flh_action_result(s, &b, "Done", NULL), 202);
	audit = api_audit_wait(s, "flowName=chain_flow", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(json_array_size(json_object_get(audit, "flows")), 1);
	json_decref(audit);
	FLH_EQ_INT(flh_pack_take(&w, NULL, &none), 204);
	flh_action_release(&none);
	audit = api_audit_wait(s, "flowName=chain_flow", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_INT(api_audit_action_count(audit), 2);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.next.state.value"), "SUCCESS");
	json_decref(audit);
	flh_action_release(&a);
	flh_action_release(&b);
	flh_pack_release(&src);
	flh_pack_release(&w);
	flh_server_free(s);
}

FLT_TEST(fatal_result_runs_failure_step)
{
	/* §b.4: FATAL is a finished state and satisfies dependsOn, so a step
	 * listening for FATAL handles the failure, with the chain's context. */
	struct flh_server *s = start();
	struct flh_pack src, w;
	struct flh_action a, b, none;
	json_t *audit;
	chain_run(s, &src, &w, &a, &b, "bob", "FATAL", "\"boom\"", "Cleanup");
	FLH_EQ_INT(flh_pack_take(&w, NULL, &none), 204);
	flh_action_release(&none);
	audit = api_audit_wait(s, "flowName=chain_flow", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.start.state.value"), "FATAL");
	FLH_ASSERT(flh_json_get(audit, "flows.0.actions.next") == NULL);
	json_decref(audit);
	flh_action_release(&a);
	flh_action_release(&b);
	flh_pack_release(&src);
	flh_pack_release(&w);
	flh_server_free(s);
}

FLT_MAIN(bank_holiday_flow_end_to_end, criteria_that_do_not_hold_create_nothing,
	 acceptance_result_retriggers_same_flow, template_rendering_of_payload_values,
	 each_step_fires_once_per_execution, fatal_result_runs_failure_step)
