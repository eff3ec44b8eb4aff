/* SPDX-License-Identifier: Apache-2.0 */
/*
 * labels.c - black-box tests of pack-label matching (spec §c.3 step 2,
 * §a.5 take selection and completion).
 *
 * A step's event.packLabels must be a subset of the sending pack's labels
 * (and may be templates using Context); an action's packLabels must be a
 * subset of the taking pack's labels, an action without labels goes to any
 * instance of its pack name, never to another name.  A result posted by a
 * pack of the wrong name or labels is refused with 403 (the original
 * dropped the connection), and the take filter advertised by the
 * per-command links (?commandName=) works (the original only read
 * ?actionName=, which keeps working).
 *
 * Negative checks ("this pack gets nothing") are made after the audit shows
 * that the action exists, so a 204 means "not eligible", not "not yet".
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

static void reg(struct flh_pack *p, const char *def)
{
	FLH_EQ_INT(flh_pack_register(p, api_srv(), def), 201);
}

static void expect_nothing(struct flh_pack *p, const char *query)
{
	struct flh_action a;
	long st = flh_pack_take(p, query, &a);
	if (st != 204)
		printf("# pack %s (query %s) got command %s\n", p->id, query ? query : "-",
		       a.command ? a.command : "-");
	FLH_EQ_INT(st, 204);
	flh_action_release(&a);
}

/* Wait until the audit shows `n` actions for flow `flow`. */
static void wait_actions(const char *flow, size_t n)
{
	json_t *audit = NULL;
	int64_t dl = flh_deadline(FLH_WAIT_MS);
	size_t got = 0;
	for (;;) {
		audit = api_audit_wait(api_srv(), flh_path("flowName=%s", flow), 1, NULL, NULL, FLH_WAIT_MS);
		got = audit ? api_audit_action_count(audit) : 0;
		if (audit)
			json_decref(audit);
		if (got >= n || flh_expired(dl))
			break;
		flh_sleep_ms(50);
	}
	FLH_ASSERT_MSG(got >= n, "audit shows %zu actions for flow %s, expected %zu", got, flow, n);
}

FLT_TEST(event_pack_labels_must_be_subset_of_sender_labels)
{
	static const char flow[] =
		"{\"name\":\"lbl_event\",\"steps\":[{\"id\":\"s\","
		"\"event\":{\"packName\":\"LblSrc\",\"name\":\"Ping\",\"packLabels\":{\"env\":\"prod\"}},"
		"\"command\":{\"packName\":\"LblSink1\",\"name\":\"Record\",\"input\":\"{{ Event.Pack.Id }}\"}}]}";
	struct flh_pack prod, dev, bare, sink;
	struct flh_action a;
	reg(&prod, "{\"name\":\"LblSrc\",\"labels\":{\"env\":\"prod\",\"x\":\"y\"}}");
	reg(&dev, "{\"name\":\"LblSrc\",\"labels\":{\"env\":\"dev\"}}");
	reg(&bare, "{\"name\":\"LblSrc\"}");
	reg(&sink, "{\"name\":\"LblSink1\",\"commands\":[{\"name\":\"Record\"}]}");
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);

	FLH_EQ_INT(flh_pack_event(&dev, "Ping", "{}"), 202);
	FLH_EQ_INT(flh_pack_event(&bare, "Ping", "{}"), 202);
	FLH_EQ_INT(flh_pack_event(&prod, "Ping", "{}"), 202);
	FLH_EQ_INT(flh_pack_take_wait(&sink, NULL, &a, FLH_WAIT_MS), 200);
	FLH_ASSERT(json_is_string(a.input));
	FLH_EQ_STR(json_string_value(a.input), "LblSrc.env.prod.x.y");
	flh_action_release(&a);
	expect_nothing(&sink, NULL);
	flh_pack_release(&prod);
	flh_pack_release(&dev);
	flh_pack_release(&bare);
	flh_pack_release(&sink);
}

FLT_TEST(event_pack_labels_templated_from_context)
{
	static const char flow[] =
		"{\"name\":\"lbl_ctx\",\"steps\":[{\"id\":\"s\","
		"\"context\":{\"Want\":\"{{ Event.Payload.want }}\"},"
		"\"event\":{\"packName\":\"LblSrc2\",\"name\":\"Ping\",\"packLabels\":{\"env\":\"{{ Context.Want }}\"}},"
		"\"command\":{\"packName\":\"LblSink2\",\"name\":\"Record\",\"input\":\"{{ Context.Want }}\"}}]}";
	struct flh_pack src, sink;
	struct flh_action a;
	reg(&src, "{\"name\":\"LblSrc2\",\"labels\":{\"env\":\"prod\"}}");
	reg(&sink, "{\"name\":\"LblSink2\",\"commands\":[{\"name\":\"Record\"}]}");
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Ping", "{\"want\":\"dev\"}"), 202);
	FLH_EQ_INT(flh_pack_event(&src, "Ping", "{\"want\":\"prod\"}"), 202);
	FLH_EQ_INT(flh_pack_take_wait(&sink, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(json_string_value(a.input), "prod");
	flh_action_release(&a);
	expect_nothing(&sink, NULL);
	flh_pack_release(&src);
	flh_pack_release(&sink);
}

FLT_TEST(command_labels_only_superset_instance_takes)
{
	static const char flow[] =
		"{\"name\":\"lbl_cmd\",\"steps\":[{\"id\":\"s\","
		"\"event\":{\"packName\":\"LblSrc3\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"Worker3\",\"name\":\"Job\",\"packLabels\":{\"env\":\"prod\"},"
		"\"input\":\"job\"}}]}";
	struct flh_pack src, dev, bare, superset, other;
	struct flh_action a;
	json_t *audit;
	reg(&src, "{\"name\":\"LblSrc3\"}");
	reg(&dev, "{\"name\":\"Worker3\",\"labels\":{\"env\":\"dev\"},\"commands\":[{\"name\":\"Job\"}]}");
	reg(&bare, "{\"name\":\"Worker3\",\"commands\":[{\"name\":\"Job\"}]}");
	reg(&superset, "{\"name\":\"Worker3\",\"labels\":{\"env\":\"prod\",\"region\":\"eu\"},"
		       "\"commands\":[{\"name\":\"Job\"}]}");
	reg(&other, "{\"name\":\"Other3\",\"labels\":{\"env\":\"prod\"},\"commands\":[{\"name\":\"Job\"}]}");
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{}"), 202);
	wait_actions("lbl_cmd", 1);

	audit = api_audit_wait(api_srv(), "flowName=lbl_cmd", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.packLabels.env"), "prod");
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.state.value"), "NEW");
	json_decref(audit);

	expect_nothing(&dev, NULL);
	expect_nothing(&bare, NULL);
	expect_nothing(&other, NULL);
	FLH_EQ_INT(flh_pack_take(&superset, NULL, &a), 200);
	FLH_EQ_STR(a.command, "Job");
	FLH_EQ_STR(json_string_value(a.input), "job");
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&dev);
	flh_pack_release(&bare);
	flh_pack_release(&superset);
	flh_pack_release(&other);
}

FLT_TEST(command_labels_templated_from_event_pack)
{
	static const char flow[] =
		"{\"name\":\"lbl_cmd_tpl\",\"steps\":[{\"id\":\"s\","
		"\"event\":{\"packName\":\"LblSrc4\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"Worker4\",\"name\":\"Job\","
		"\"packLabels\":{\"env\":\"{{ Event.Pack.Labels.env }}\"}}}]}";
	struct flh_pack src, qa, prod;
	struct flh_action a;
	reg(&src, "{\"name\":\"LblSrc4\",\"labels\":{\"env\":\"qa\"}}");
	reg(&qa, "{\"name\":\"Worker4\",\"labels\":{\"env\":\"qa\"}}");
	reg(&prod, "{\"name\":\"Worker4\",\"labels\":{\"env\":\"prod\"}}");
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", NULL), 202);
	wait_actions("lbl_cmd_tpl", 1);
	expect_nothing(&prod, NULL);
	FLH_EQ_INT(flh_pack_take(&qa, NULL, &a), 200);
	FLH_EQ_STR(a.command, "Job");
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&qa);
	flh_pack_release(&prod);
}

FLT_TEST(unlabelled_action_goes_to_any_instance_of_the_name)
{
	static const char flow[] =
		"{\"name\":\"lbl_any\",\"steps\":[{\"id\":\"s\","
		"\"event\":{\"packName\":\"LblSrc5\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"Worker5\",\"name\":\"Job\"}}]}";
	struct flh_pack src, worker, other;
	struct flh_action a;
	reg(&src, "{\"name\":\"LblSrc5\"}");
	reg(&worker, "{\"name\":\"Worker5\",\"labels\":{\"env\":\"dev\",\"team\":\"t1\"}}");
	reg(&other, "{\"name\":\"Other5\"}");
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", NULL), 202);
	wait_actions("lbl_any", 1);
	expect_nothing(&other, NULL);
	FLH_EQ_INT(flh_pack_take(&worker, NULL, &a), 200);
	FLH_EQ_STR(a.command, "Job");
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&worker);
	flh_pack_release(&other);
}

/* Copy of href with "/v1/packs/<from>/" replaced by "/v1/packs/<to>/". */
static char *swap_pack(const char *href, const char *from, const char *to)
{
	char pat[256];
	const char *hit;
	size_t n;
	char *out;
	snprintf(pat, sizeof(pat), "/v1/packs/%s/", from);
	hit = strstr(href, pat);
	if (!hit)
		return NULL;
	n = strlen(href) + strlen(to) + 1;
	out = malloc(n);
	if (!out)
		return NULL;
	snprintf(out, n, "%.*s/v1/packs/%s/%s", (int)(hit - href), href, to, hit + strlen(pat));
	return out;
}

static long post_result_at(const char *url, const char *event)
{
	char body[128];
	struct flh_resp *r;
	long st;
	snprintf(body, sizeof(body), "{\"event\":\"%s\",\"payload\":{}}", event);
	r = flh_post_json(api_srv(), url, body);
	st = r->status;
	if (st == 403 && !flh_resp_is_json_error(r)) {
		flh_resp_print(r);
		st = -403; /* 403 without a JSON error body */
	}
	if (st != 403 && st != 202)
		flh_resp_print(r);
	flh_resp_free(r);
	return st;
}

FLT_TEST(result_from_wrong_pack_is_403)
{
	static const char flow[] =
		"{\"name\":\"lbl_res\",\"steps\":[{\"id\":\"s\","
		"\"event\":{\"packName\":\"LblSrc6\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"Worker6\",\"name\":\"Job\",\"packLabels\":{\"env\":\"prod\"}}}]}";
	struct flh_pack src, prod, dev, other, prod_zone;
	struct flh_action a;
	json_t *audit;
	char *url = NULL;
	reg(&src, "{\"name\":\"LblSrc6\"}");
	reg(&prod, "{\"name\":\"Worker6\",\"labels\":{\"env\":\"prod\"}}");
	reg(&dev, "{\"name\":\"Worker6\",\"labels\":{\"env\":\"dev\"}}");
	reg(&other, "{\"name\":\"Other6\",\"labels\":{\"env\":\"prod\"}}");
	reg(&prod_zone, "{\"name\":\"Worker6\",\"labels\":{\"env\":\"prod\",\"zone\":\"a\"}}");
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&prod, NULL, &a, FLH_WAIT_MS), 200);
	FLH_ASSERT(a.result_href != NULL);

	url = swap_pack(a.result_href, "Worker6.env.prod", "Other6.env.prod");
	FLH_ASSERT_MSG(url != NULL, "unexpected result link %s", a.result_href);
	FLH_EQ_INT(post_result_at(url, "Done"), 403);
	free(url);
	url = swap_pack(a.result_href, "Worker6.env.prod", "Worker6.env.dev");
	FLH_EQ_INT(post_result_at(url, "Done"), 403);
	free(url);
	url = NULL;

	/* Still PENDING after the refused results. */
	audit = api_audit_wait(api_srv(), "flowName=lbl_res", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.state.value"), "PENDING");
	json_decref(audit);

	/* Any instance of the right name with a label superset may complete it. */
	url = swap_pack(a.result_href, "Worker6.env.prod", "Worker6.env.prod.zone.a");
	FLH_EQ_INT(post_result_at(url, "Done"), 202);
	free(url);
	audit = api_audit_wait(api_srv(), "flowName=lbl_res", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.s.state.value"), "SUCCESS");
	json_decref(audit);

	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&prod);
	flh_pack_release(&dev);
	flh_pack_release(&other);
	flh_pack_release(&prod_zone);
}

static const char TWO_CMD_FLOW[] =
	"{\"name\":\"%s\",\"steps\":["
	"{\"id\":\"a\",\"event\":{\"packName\":\"%s\",\"name\":\"Go\"},"
	"\"command\":{\"packName\":\"%s\",\"name\":\"CmdA\",\"input\":\"a\"}},"
	"{\"id\":\"b\",\"event\":{\"packName\":\"%s\",\"name\":\"Go\"},"
	"\"command\":{\"packName\":\"%s\",\"name\":\"CmdB\",\"input\":\"b\"}}]}";

FLT_TEST(take_filter_command_name)
{
	struct flh_pack src, worker;
	struct flh_action a;
	struct flh_resp *r;
	char flow[1024];
	const char *cmd_link = NULL;
	size_t i;
	json_t *c;
	reg(&src, "{\"name\":\"LblSrc7\"}");
	reg(&worker, "{\"name\":\"Worker7\",\"commands\":[{\"name\":\"CmdA\"},{\"name\":\"CmdB\"}]}");
	snprintf(flow, sizeof(flow), TWO_CMD_FLOW, "lbl_filter", "LblSrc7", "Worker7", "LblSrc7", "Worker7");
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", NULL), 202);
	wait_actions("lbl_filter", 2);

	FLH_EQ_INT(flh_pack_take(&worker, "commandName=CmdB", &a), 200);
	FLH_EQ_STR(a.command, "CmdB");
	flh_action_release(&a);
	expect_nothing(&worker, "commandName=CmdB");
	expect_nothing(&worker, "commandName=NoSuchCommand");

	/* The per-command link from the registration answer selects CmdA. */
	json_array_foreach(json_object_get(worker.body, "commands"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")), "CmdA") == 0)
			cmd_link = flh_link_href(json_object_get(c, "links"), "takeAction");
	}
	FLH_ASSERT(cmd_link != NULL);
	FLH_ASSERT_MSG(strstr(cmd_link, "commandName=CmdA") != NULL, "command link %s", cmd_link);
	r = flh_post_json(api_srv(), cmd_link, "null");
	FLH_STATUS(r, 200);
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "command"), "CmdA");
	flh_resp_free(r);
	expect_nothing(&worker, NULL);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

FLT_TEST(take_filter_action_name_still_accepted)
{
	struct flh_pack src, worker;
	struct flh_action a;
	char flow[1024];
	reg(&src, "{\"name\":\"LblSrc8\"}");
	reg(&worker, "{\"name\":\"Worker8\"}");
	snprintf(flow, sizeof(flow), TWO_CMD_FLOW, "lbl_filter2", "LblSrc8", "Worker8", "LblSrc8", "Worker8");
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", NULL), 202);
	wait_actions("lbl_filter2", 2);
	FLH_EQ_INT(flh_pack_take(&worker, "actionName=CmdB", &a), 200);
	FLH_EQ_STR(a.command, "CmdB");
	flh_action_release(&a);
	expect_nothing(&worker, "actionName=CmdB");
	FLH_EQ_INT(flh_pack_take(&worker, NULL, &a), 200);
	FLH_EQ_STR(a.command, "CmdA");
	flh_action_release(&a);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

FLT_MAIN(event_pack_labels_must_be_subset_of_sender_labels, event_pack_labels_templated_from_context,
	 command_labels_only_superset_instance_takes, command_labels_templated_from_event_pack,
	 unlabelled_action_goes_to_any_instance_of_the_name, result_from_wrong_pack_is_403,
	 take_filter_command_name, take_filter_action_name_still_accepted)
