/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flows.c - black-box tests of the flow resource (spec §a.6, §h).
 *
 * The list is "flows":[] when empty and otherwise sorted by name with only
 * name, description (omitted when empty) and a self link per flow; GET
 * returns the definition as posted (empty optional fields omitted, a
 * command's input always present, null when absent) plus self/up/help
 * links and never the internal uuid; re-posting replaces the definition;
 * DELETE answers 204, then 404.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

FLT_TEST(empty_list_is_empty_array)
{
	static const char want_tmpl[] = "{\"flows\":[],\"links\":[{\"href\":\"{B}/v1/flows\",\"rel\":\"self\"},"
					"{\"href\":\"{B}/v1\",\"rel\":\"up\"},"
					"{\"href\":\"{B}/swagger#/flow\",\"rel\":\"help\"}]}";
	api_get_same("/v1/flows", NULL, want_tmpl, NULL);
}

static const char FULL_FLOW[] =
	"{\"name\":\"full_flow\",\"description\":\"every field\",\"steps\":["
	"{\"id\":\"receive\","
	"\"event\":{\"packName\":\"Slack\",\"name\":\"ReceivedMessage\",\"packLabels\":{\"env\":\"prod\"}},"
	"\"context\":{\"ChannelID\":\"{{ Event.Payload.channelId }}\"},"
	"\"criteria\":\"{{ Event.Payload.message|match:'^flyte' }}\","
	"\"command\":{\"packName\":\"Shell\",\"name\":\"Shell\",\"packLabels\":{\"env\":\"{{ Event.Pack.Labels.env }}\"},"
	"\"input\":\"echo hi\"}},"
	"{\"id\":\"reply\",\"dependsOn\":[\"receive\"],"
	"\"event\":{\"packName\":\"Shell\",\"name\":\"Output\"},"
	"\"command\":{\"packName\":\"Slack\",\"name\":\"SendMessage\","
	"\"input\":{\"channelId\":\"{{ Context.ChannelID }}\",\"n\":5,\"ok\":true,\"list\":[1,\"two\"]}}},"
	"{\"event\":{\"packName\":\"Slack\",\"name\":\"MessageSent\"},"
	"\"command\":{\"packName\":\"Slack\",\"name\":\"Noop\"}}]}";

FLT_TEST(get_returns_definition_and_links)
{
	static const char links[] = "[{\"href\":\"{B}/v1/flows/full_flow\",\"rel\":\"self\"},"
				    "{\"href\":\"{B}/v1/flows\",\"rel\":\"up\"},"
				    "{\"href\":\"{B}/swagger#/flow\",\"rel\":\"help\"}]";
	struct flh_resp *r;
	json_t *got, *want, *want_links;
	FLH_EQ_INT(api_post_flow(api_srv(), FULL_FLOW), 201);
	r = flh_get(api_srv(), "/v1/flows/full_flow");
	FLH_STATUS(r, 200);
	FLH_ASSERT(flh_resp_ctype_is(r, "application/json"));
	got = json_deep_copy(flh_resp_json(r));
	FLH_ASSERT_MSG(json_object_get(got, "uuid") == NULL, "the internal uuid must not be returned");
	want_links = api_expect_json(links, api_base());
	FLH_JSON_SAME(json_object_get(got, "links"), want_links, true);
	json_decref(want_links);
	json_object_del(got, "links");
	/* As posted, plus "input": null on the command that had none. */
	want = flh_json(FULL_FLOW);
	json_object_set_new(flh_json_get(want, "steps.2.command"), "input", json_null());
	FLH_JSON_SAME(got, want, false);
	FLH_ASSERT_MSG(json_object_get(flh_json_get(got, "steps.2"), "id") == NULL, "empty id must be omitted");
	FLH_ASSERT(json_object_get(flh_json_get(got, "steps.1"), "context") == NULL);
	json_decref(want);
	json_decref(got);
	flh_resp_free(r);
}

FLT_TEST(list_sorted_with_summaries)
{
	static const char *const names[] = { "zz_flow", "aa_flow", "mm_flow" };
	struct flh_resp *r;
	json_t *flows, *f;
	size_t i;
	const char *prev = "";
	int found = 0;
	for (i = 0; i < FL_ARRAY_LEN(names); i++) {
		char def[512];
		snprintf(def, sizeof(def),
			 "{\"name\":\"%s\",%s\"steps\":[{\"event\":{\"packName\":\"P\",\"name\":\"E\"},"
			 "\"command\":{\"packName\":\"P\",\"name\":\"C\"}}]}",
			 names[i], i == 1 ? "\"description\":\"first one\"," : "");
		FLH_EQ_INT(api_post_flow(api_srv(), def), 201);
	}
	r = flh_get(api_srv(), "/v1/flows");
	FLH_STATUS(r, 200);
	flows = json_object_get(flh_resp_json(r), "flows");
	json_array_foreach(flows, i, f) {
		const char *name = flh_json_str(f, "name");
		char self[256];
		const char *key;
		json_t *v;
		FLH_ASSERT(name != NULL);
		FLH_ASSERT_MSG(strcmp(prev, name) < 0, "list not sorted: '%s' after '%s'", name, prev);
		prev = name;
		json_object_foreach(f, key, v)
			FLH_ASSERT_MSG(strcmp(key, "name") == 0 || strcmp(key, "description") == 0 ||
					       strcmp(key, "links") == 0,
				       "unexpected member '%s' in a flow summary", key);
		snprintf(self, sizeof(self), "%s/v1/flows/%s", api_base(), name);
		FLH_EQ_INT(json_array_size(json_object_get(f, "links")), 1);
		FLH_EQ_STR(flh_json_str(f, "links.0.href"), self);
		FLH_EQ_STR(flh_json_str(f, "links.0.rel"), "self");
		if (strcmp(name, "aa_flow") == 0) {
			FLH_EQ_STR(flh_json_str(f, "description"), "first one");
			found++;
		}
		if (strcmp(name, "zz_flow") == 0 || strcmp(name, "mm_flow") == 0) {
			FLH_ASSERT_MSG(json_object_get(f, "description") == NULL, "empty description must be omitted");
			found++;
		}
	}
	FLH_EQ_INT(found, 3);
	flh_resp_free(r);
}

FLT_TEST(repost_replaces_definition)
{
	struct flh_resp *r;
	FLH_EQ_INT(api_post_flow(api_srv(), "{\"name\":\"replaced\",\"description\":\"v1\",\"steps\":[]}"), 201);
	FLH_EQ_INT(api_post_flow(api_srv(),
				 "{\"name\":\"replaced\",\"steps\":[{\"id\":\"x\",\"event\":{\"packName\":\"P\","
				 "\"name\":\"E\"},\"command\":{\"packName\":\"P\",\"name\":\"C\",\"input\":\"v2\"}}]}"),
		   201);
	r = flh_get(api_srv(), "/v1/flows/replaced");
	FLH_STATUS(r, 200);
	FLH_ASSERT_MSG(json_object_get(flh_resp_json(r), "description") == NULL, "old description survived");
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "steps.0.command.input"), "v2");
	flh_resp_free(r);
}

FLT_TEST(empty_steps_accepted)
{
	struct flh_resp *r;
	FLH_EQ_INT(api_post_flow(api_srv(), "{\"name\":\"no_steps\",\"steps\":[]}"), 201);
	r = flh_get(api_srv(), "/v1/flows/no_steps");
	FLH_STATUS(r, 200);
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "name"), "no_steps");
	flh_resp_free(r);
}

FLT_TEST(unknown_fields_ignored)
{
	struct flh_resp *r;
	FLH_EQ_INT(api_post_flow(api_srv(), "{\"name\":\"extra_fields\",\"owner\":\"me\",\"steps\":[{\"labels\":{\"a\":\"b\"},"
					"\"event\":{\"packName\":\"P\",\"name\":\"E\"},"
					"\"command\":{\"packName\":\"P\",\"name\":\"C\"}}]}"),
		   201);
	r = flh_get(api_srv(), "/v1/flows/extra_fields");
	FLH_STATUS(r, 200);
	FLH_ASSERT(json_object_get(flh_resp_json(r), "owner") == NULL);
	FLH_ASSERT(flh_json_get(flh_resp_json(r), "steps.0.labels") == NULL);
	flh_resp_free(r);
}

FLT_TEST(delete_204_then_404)
{
	struct flh_resp *r;
	size_t before;
	FLH_EQ_INT(api_post_flow(api_srv(), "{\"name\":\"doomed_flow\",\"steps\":[]}"), 201);
	r = flh_get(api_srv(), "/v1/flows");
	before = json_array_size(json_object_get(flh_resp_json(r), "flows"));
	flh_resp_free(r);
	r = flh_delete(api_srv(), "/v1/flows/doomed_flow");
	FLH_STATUS(r, 204);
	FLH_EQ_INT(r->body_len, 0);
	flh_resp_free(r);
	r = flh_get(api_srv(), "/v1/flows/doomed_flow");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
	r = flh_delete(api_srv(), "/v1/flows/doomed_flow");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
	r = flh_get(api_srv(), "/v1/flows");
	FLH_EQ_INT(json_array_size(json_object_get(flh_resp_json(r), "flows")), before - 1);
	flh_resp_free(r);
}

/* As the original server: a flow whose templates do not compile is stored, its good steps run. */
FLT_TEST(flow_with_a_broken_step_deploys_and_its_good_steps_run)
{
	static const char flow[] =
		"{\"name\":\"half_broken\",\"steps\":["
		"{\"id\":\"bad\",\"event\":{\"packName\":\"HbSrc\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"HbWorker\",\"name\":\"Run\",\"input\":\"{{ Event.Payload.x|trim }}\"}},"
		"{\"id\":\"good\",\"event\":{\"packName\":\"HbSrc\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"HbWorker\",\"name\":\"Run\",\"input\":\"{{ Event.Payload.x }}\"}}]}";
	struct flh_pack src = { 0 }, worker = { 0 };
	struct flh_action a = { 0 };
	struct flh_resp *r;
	const char *w;
	json_t *audit;

	FLH_EQ_INT(flh_pack_register(&src, api_srv(), "{\"name\":\"HbSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&worker, api_srv(), "{\"name\":\"HbWorker\"}"), 201);
	r = flh_post_json(api_srv(), "/v1/flows", flow);
	FLH_STATUS(r, 201);
	w = flh_resp_header(r, "Warning");
	FLH_ASSERT_MSG(w && strstr(w, "299 flyte \"") && strstr(w, "step 'bad'") && strstr(w, "unknown filter 'trim'"),
		       "Warning: %s", w ? w : "(none)");
	/* and in the body, for clients that do not read headers */
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "name"), "half_broken");
	FLH_ASSERT(strstr(flh_json_str(flh_resp_json(r), "warnings.0"), "unknown filter 'trim'"));
	flh_resp_free(r);
	r = flh_get(api_srv(), "/v1/flows/half_broken");
	FLH_STATUS(r, 200);
	FLH_ASSERT(strstr(flh_json_str(flh_resp_json(r), "warnings.0"), "unknown filter 'trim'"));
	flh_resp_free(r);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{\"x\":\"hello\"}"), 202);
	FLH_EQ_INT(flh_pack_take_wait(&worker, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(json_string_value(a.input), "hello");
	flh_action_release(&a);
	/* the broken step is in the audit, FATAL, with the reason */
	audit = api_audit_wait(api_srv(), "flowName=half_broken", 1, NULL, NULL, FLH_WAIT_MS);
	FLH_EQ_STR(flh_json_str(audit, "flows.0.actions.bad.state.value"), "FATAL");
	FLH_ASSERT(strstr(flh_json_str(audit, "flows.0.actions.bad.result.payload.error"), "unknown filter 'trim'"));
	json_decref(audit);
	/* strict mode refuses it, naming the step and the position */
	r = flh_post_json(api_srv(), "/v1/flows?strict=true", flow);
	FLH_STATUS(r, 400);
	FLH_ASSERT(strstr(flh_json_str(flh_resp_json(r), "error"), "step 'bad' field 'command.input': line 1, column "));
	flh_resp_free(r);
	flh_pack_release(&src);
	flh_pack_release(&worker);
}

FLT_MAIN(empty_list_is_empty_array, get_returns_definition_and_links, list_sorted_with_summaries,
	 repost_replaces_definition, empty_steps_accepted, unknown_fields_ignored, delete_204_then_404,
	 flow_with_a_broken_step_deploys_and_its_good_steps_run)
