/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packs.c - black-box tests of the pack resource (spec §a.4, §b.1, §h).
 *
 * Registration answers 201 with the exact pack document (field order of
 * the original server, status "live", lastSeen close to now, no "labels"
 * key without labels), the id is derived from name and sorted labels,
 * re-registration replaces the stored definition, the list is sorted by
 * name and is "packs":[] when empty, GET and DELETE answer 200/204/404.
 * Reserved pack-level rels (self, up, .../takeAction, .../actionResult,
 * .../event) are rejected with 400, while "support" and "setup" are
 * accepted (the original's unanchored regex rejected them), and the
 * registration answer carries a JSON Content-Type (the original sent a
 * sniffed text/plain).
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

#include "timeutil.h"

/* Check lastSeen/status of a pack document, then drop lastSeen so the rest
 * can be compared exactly.  The document is modified in place. */
static void check_and_strip_liveness(json_t *pack)
{
	const char *ls = json_string_value(json_object_get(pack, "lastSeen"));
	FLH_ASSERT_MSG(ls != NULL, "lastSeen missing");
	FLH_ASSERT_MSG(api_time_near_now(ls, 120), "lastSeen %s is not close to now", ls);
	FLH_EQ_STR(json_string_value(json_object_get(pack, "status")), "live");
	json_object_set_new(pack, "lastSeen", json_string("X"));
}

FLT_TEST(empty_list_is_empty_array)
{
	static const char want_tmpl[] = "{\"links\":[{\"href\":\"{B}/v1/packs\",\"rel\":\"self\"},"
					"{\"href\":\"{B}/v1\",\"rel\":\"up\"},"
					"{\"href\":\"{B}/swagger#/pack\",\"rel\":\"help\"}],\"packs\":[]}";
	api_get_same("/v1/packs", NULL, want_tmpl, NULL);
}

FLT_TEST(register_exact_document)
{
	static const char def[] =
		"{\"name\":\"Slack\",\"labels\":{\"env\":\"dev\"},"
		"\"commands\":[{\"name\":\"SendMessage\",\"events\":[\"MessageSent\",\"SendMessageFailed\"]}],"
		"\"events\":[{\"name\":\"ReceivedMessage\"},"
		"{\"name\":\"MessageSent\",\"links\":[{\"href\":\"http://docs/x\",\"rel\":\"help\"}]}],"
		"\"links\":[{\"href\":\"https://github.com/ExpediaGroup/flyte-slack/blob/master/README.md\","
		"\"rel\":\"help\"}]}";
	static const char want_tmpl[] =
		"{\"id\":\"Slack.env.dev\",\"name\":\"Slack\",\"labels\":{\"env\":\"dev\"},"
		"\"commands\":[{\"name\":\"SendMessage\",\"events\":[\"MessageSent\",\"SendMessageFailed\"],"
		"\"links\":[{\"href\":\"{B}/v1/packs/Slack.env.dev/actions/take?commandName=SendMessage\","
		"\"rel\":\"{B}/swagger#!/action/takeAction\"}]}],"
		"\"events\":[{\"name\":\"ReceivedMessage\"},"
		"{\"name\":\"MessageSent\",\"links\":[{\"href\":\"http://docs/x\",\"rel\":\"help\"}]}],"
		"\"lastSeen\":\"X\",\"status\":\"live\","
		"\"links\":[{\"href\":\"https://github.com/ExpediaGroup/flyte-slack/blob/master/README.md\","
		"\"rel\":\"help\"},"
		"{\"href\":\"{B}/v1/packs/Slack.env.dev\",\"rel\":\"self\"},"
		"{\"href\":\"{B}/v1/packs\",\"rel\":\"up\"},"
		"{\"href\":\"{B}/v1/packs/Slack.env.dev/actions/take\",\"rel\":\"{B}/swagger#!/action/takeAction\"},"
		"{\"href\":\"{B}/v1/packs/Slack.env.dev/events\",\"rel\":\"{B}/swagger#/event\"}]}";
	struct flh_resp *r = flh_post_json(api_srv(), "/v1/packs", def);
	json_t *want = api_expect_json(want_tmpl, api_base());
	json_t *got;
	FLH_STATUS(r, 201);
	FLH_ASSERT_MSG(flh_resp_ctype_is(r, "application/json"),
		       "registration Content-Type is %s, expected application/json",
		       flh_resp_header(r, "Content-Type") ? flh_resp_header(r, "Content-Type") : "(none)");
	got = flh_resp_json(r);
	FLH_ASSERT(json_is_object(got));
	check_and_strip_liveness(got);
	FLH_JSON_SAME(got, want, true);
	json_decref(want);
	flh_resp_free(r);

	/* GET answers the same document. */
	r = flh_get(api_srv(), "/v1/packs/Slack.env.dev");
	FLH_STATUS(r, 200);
	want = api_expect_json(want_tmpl, api_base());
	got = flh_resp_json(r);
	check_and_strip_liveness(got);
	FLH_JSON_SAME(got, want, true);
	json_decref(want);
	flh_resp_free(r);
}

FLT_TEST(no_labels_means_no_labels_key)
{
	static const char want_tmpl[] =
		"{\"id\":\"PlainPack\",\"name\":\"PlainPack\",\"lastSeen\":\"X\",\"status\":\"live\","
		"\"links\":[{\"href\":\"{B}/v1/packs/PlainPack\",\"rel\":\"self\"},"
		"{\"href\":\"{B}/v1/packs\",\"rel\":\"up\"},"
		"{\"href\":\"{B}/v1/packs/PlainPack/actions/take\",\"rel\":\"{B}/swagger#!/action/takeAction\"},"
		"{\"href\":\"{B}/v1/packs/PlainPack/events\",\"rel\":\"{B}/swagger#/event\"}]}";
	struct flh_resp *r = flh_post_json(api_srv(), "/v1/packs", "{\"name\":\"PlainPack\"}");
	json_t *want = api_expect_json(want_tmpl, api_base());
	json_t *got;
	char loc[256];
	FLH_STATUS(r, 201);
	snprintf(loc, sizeof(loc), "%s/v1/packs/PlainPack", api_base());
	FLH_EQ_STR(flh_resp_header(r, "Location"), loc);
	got = flh_resp_json(r);
	FLH_ASSERT(json_object_get(got, "labels") == NULL);
	check_and_strip_liveness(got);
	FLH_JSON_SAME(got, want, true);
	json_decref(want);
	flh_resp_free(r);
}

FLT_TEST(id_derivation_sorts_labels)
{
	struct flh_pack p;
	char loc[256];
	FLH_EQ_INT(flh_pack_register(&p, api_srv(),
				     "{\"name\":\"Argo\",\"labels\":{\"x\":\"y\",\"env\":\"staging\",\"network\":\"lab\"}}"),
		   201);
	FLH_EQ_STR(p.id, "Argo.env.staging.network.lab.x.y");
	snprintf(loc, sizeof(loc), "%s/v1/packs/Argo.env.staging.network.lab.x.y", api_base());
	FLH_EQ_STR(p.location, loc);
	FLH_EQ_STR(flh_json_str(p.body, "labels.x"), "y");
	flh_pack_release(&p);
}

FLT_TEST(client_supplied_id_lastseen_status_are_ignored)
{
	struct flh_pack p;
	FLH_EQ_INT(flh_pack_register(&p, api_srv(),
				     "{\"id\":\"Spoof\",\"name\":\"Honest\",\"lastSeen\":\"2001-01-01T00:00:00Z\","
				     "\"status\":\"critical\"}"),
		   201);
	FLH_EQ_STR(p.id, "Honest");
	FLH_EQ_STR(flh_json_str(p.body, "status"), "live");
	FLH_ASSERT(api_time_near_now(flh_json_str(p.body, "lastSeen"), 120));
	flh_pack_release(&p);
}

FLT_TEST(reregistration_replaces_definition)
{
	struct flh_pack p;
	struct flh_resp *r;
	json_t *j;
	FLH_EQ_INT(flh_pack_register(&p, api_srv(),
				     "{\"name\":\"Repl\",\"labels\":{\"a\":\"1\"},\"commands\":[{\"name\":\"Old\"}],"
				     "\"events\":[{\"name\":\"OldEv\"}],"
				     "\"links\":[{\"href\":\"http://old.example\",\"rel\":\"help\"}]}"),
		   201);
	flh_pack_release(&p);
	FLH_EQ_INT(flh_pack_register(&p, api_srv(),
				     "{\"name\":\"Repl\",\"labels\":{\"a\":\"1\"},\"commands\":[{\"name\":\"New\","
				     "\"events\":[\"X\"]}]}"),
		   201);
	flh_pack_release(&p);
	r = flh_get(api_srv(), "/v1/packs/Repl.a.1");
	FLH_STATUS(r, 200);
	j = flh_resp_json(r);
	FLH_EQ_INT(json_array_size(json_object_get(j, "commands")), 1);
	FLH_EQ_STR(flh_json_str(j, "commands.0.name"), "New");
	FLH_ASSERT_MSG(json_object_get(j, "events") == NULL, "old events survived re-registration");
	FLH_EQ_STR(flh_json_str(j, "links.0.rel"), "self");
	flh_resp_free(r);
}

FLT_TEST(list_sorted_by_name_with_summary_fields)
{
	static const char *const names[] = { "Zeta", "Alpha", "Mid" };
	struct flh_resp *r;
	json_t *packs, *p;
	size_t i;
	const char *prev = "";
	bool saw_alpha = false, saw_mid = false, saw_zeta = false;

	for (i = 0; i < FL_ARRAY_LEN(names); i++) {
		char def[128];
		struct flh_pack pk;
		snprintf(def, sizeof(def), "{\"name\":\"%s\",\"labels\":{\"k\":\"v\"},\"commands\":[{\"name\":\"c\"}]}",
			 names[i]);
		FLH_EQ_INT(flh_pack_register(&pk, api_srv(), def), 201);
		flh_pack_release(&pk);
	}
	r = flh_get(api_srv(), "/v1/packs");
	FLH_STATUS(r, 200);
	packs = json_object_get(flh_resp_json(r), "packs");
	FLH_ASSERT(json_is_array(packs));
	json_array_foreach(packs, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		const char *id = json_string_value(json_object_get(p, "id"));
		char self[256];
		const char *key;
		json_t *v;
		FLH_ASSERT(name && id);
		FLH_ASSERT_MSG(strcmp(prev, name) <= 0, "list not sorted: '%s' after '%s'", name, prev);
		prev = name;
		/* Only summary fields, in the original order. */
		json_object_foreach(p, key, v) {
			FLH_ASSERT_MSG(strcmp(key, "id") == 0 || strcmp(key, "name") == 0 ||
					       strcmp(key, "labels") == 0 || strcmp(key, "lastSeen") == 0 ||
					       strcmp(key, "status") == 0 || strcmp(key, "links") == 0,
				       "unexpected member '%s' in pack list item", key);
		}
		FLH_EQ_INT(json_array_size(json_object_get(p, "links")), 1);
		snprintf(self, sizeof(self), "%s/v1/packs/%s", api_base(), id);
		FLH_EQ_STR(flh_json_str(p, "links.0.href"), self);
		FLH_EQ_STR(flh_json_str(p, "links.0.rel"), "self");
		if (strcmp(name, "Alpha") == 0)
			saw_alpha = true;
		if (strcmp(name, "Mid") == 0)
			saw_mid = true;
		if (strcmp(name, "Zeta") == 0)
			saw_zeta = true;
	}
	FLH_ASSERT(saw_alpha && saw_mid && saw_zeta);
	flh_resp_free(r);
}

FLT_TEST(get_unknown_is_404)
{
	struct flh_resp *r = flh_get(api_srv(), "/v1/packs/NoSuchPack.env.nowhere");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
}

FLT_TEST(delete_then_404)
{
	struct flh_pack p;
	struct flh_resp *r;
	FLH_EQ_INT(flh_pack_register(&p, api_srv(), "{\"name\":\"Doomed\"}"), 201);
	flh_pack_release(&p);
	r = flh_delete(api_srv(), "/v1/packs/Doomed");
	FLH_STATUS(r, 204);
	FLH_EQ_INT(r->body_len, 0);
	flh_resp_free(r);
	r = flh_get(api_srv(), "/v1/packs/Doomed");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
	r = flh_delete(api_srv(), "/v1/packs/Doomed");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
}

FLT_TEST(reserved_rels_rejected)
{
	static const char *const rels[] = {
		"self",
		"up",
		"http://somewhere.example/swagger#!/action/takeAction",
		"http://somewhere.example/swagger#/actionResult",
		"http://somewhere.example/something/event",
	};
	for (size_t i = 0; i < FL_ARRAY_LEN(rels); i++) {
		char def[512];
		struct flh_resp *r;
		snprintf(def, sizeof(def),
			 "{\"name\":\"Reserved%zu\",\"links\":[{\"href\":\"http://x.example\",\"rel\":\"%s\"}]}", i,
			 rels[i]);
		r = flh_post_json(api_srv(), "/v1/packs", def);
		if (r->status != 400)
			printf("# rel '%s'\n", rels[i]);
		FLH_ERROR(r, 400);
		flh_resp_free(r);
		r = flh_get(api_srv(), flh_path("/v1/packs/Reserved%zu", i));
		FLH_ERROR(r, 404); /* nothing was stored */
		flh_resp_free(r);
	}
}

FLT_TEST(support_and_setup_rels_accepted)
{
	static const char def[] =
		"{\"name\":\"Helpful\",\"links\":[{\"href\":\"http://x.example/support\",\"rel\":\"support\"},"
		"{\"href\":\"http://x.example/setup\",\"rel\":\"setup\"},"
		"{\"href\":\"http://x.example/up\",\"rel\":\"upstream\"}]}";
	struct flh_pack p;
	FLH_EQ_INT(flh_pack_register(&p, api_srv(), def), 201);
	FLH_EQ_STR(flh_json_str(p.body, "links.0.rel"), "support");
	FLH_EQ_STR(flh_json_str(p.body, "links.1.rel"), "setup");
	FLH_EQ_STR(flh_json_str(p.body, "links.2.rel"), "upstream");
	FLH_EQ_STR(flh_json_str(p.body, "links.3.rel"), "self");
	flh_pack_release(&p);
}

FLT_TEST(command_and_event_links_not_validated)
{
	/* Only pack-level links are checked for reserved rels. */
	static const char def[] =
		"{\"name\":\"LooseLinks\",\"commands\":[{\"name\":\"c\",\"events\":[\"e\"],"
		"\"links\":[{\"href\":\"http://x.example\",\"rel\":\"self\"}]}],"
		"\"events\":[{\"name\":\"e\",\"links\":[{\"href\":\"http://x.example/e\",\"rel\":\"up\"}]}]}";
	struct flh_pack p;
	FLH_EQ_INT(flh_pack_register(&p, api_srv(), def), 201);
	FLH_EQ_STR(flh_json_str(p.body, "events.0.links.0.rel"), "up");
	flh_pack_release(&p);
}

FLT_TEST(client_shapes_accepted)
{
	/* Go clients send "links": null and "events": null; the Python client
	 * sends Content-Type text/plain; commands may be absent; a command
	 * without events answers "events": null. */
	struct flh_resp *r;
	json_t *cmd;
	r = flh_send(api_srv(), "POST", "/v1/packs", "text/plain",
		     "{\"name\":\"GoShape\",\"events\":null,\"links\":null,\"commands\":[{\"name\":\"Run\"}]}");
	FLH_STATUS(r, 201);
	cmd = flh_json_get(flh_resp_json(r), "commands.0");
	FLH_ASSERT(cmd != NULL);
	FLH_ASSERT_MSG(json_is_null(json_object_get(cmd, "events")), "command events should be null");
	FLH_ASSERT(json_object_get(flh_resp_json(r), "events") == NULL);
	flh_resp_free(r);
	r = flh_send(api_srv(), "POST", "/v1/packs", NULL, "{\"name\":\"NoCtype\"}");
	FLH_STATUS(r, 201);
	flh_resp_free(r);
}

FLT_TEST(percent_encoded_id_in_path)
{
	struct flh_resp *r;
	FLH_EQ_INT(api_post_json(api_srv(), "/v1/packs", "{\"name\":\"My Pack\"}"), 201);
	r = flh_get(api_srv(), "/v1/packs/My%20Pack");
	FLH_STATUS(r, 200);
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "id"), "My Pack");
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "name"), "My Pack");
	flh_resp_free(r);
}

FLT_TEST(different_labels_are_different_instances)
{
	struct flh_pack a, b;
	struct flh_resp *r;
	FLH_EQ_INT(flh_pack_register(&a, api_srv(), "{\"name\":\"Twin\",\"labels\":{\"env\":\"dev\"}}"), 201);
	FLH_EQ_INT(flh_pack_register(&b, api_srv(), "{\"name\":\"Twin\",\"labels\":{\"env\":\"prod\"}}"), 201);
	FLH_EQ_STR(a.id, "Twin.env.dev");
	FLH_EQ_STR(b.id, "Twin.env.prod");
	r = flh_get(api_srv(), "/v1/packs/Twin.env.dev");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	r = flh_get(api_srv(), "/v1/packs/Twin.env.prod");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	/* A query parameter cannot override the path parameter (original bug). */
	r = flh_get(api_srv(), "/v1/packs/Twin.env.dev?:packId=Twin.env.prod&packId=Twin.env.prod");
	FLH_STATUS(r, 200);
	FLH_EQ_STR(flh_json_str(flh_resp_json(r), "id"), "Twin.env.dev");
	flh_resp_free(r);
	flh_pack_release(&a);
	flh_pack_release(&b);
}

FLT_TEST(deleted_pack_gets_404_on_take_and_event)
{
	struct flh_pack p;
	struct flh_action a;
	struct flh_resp *r;
	FLH_EQ_INT(flh_pack_register(&p, api_srv(), "{\"name\":\"Vanishing\",\"commands\":[{\"name\":\"C\"}]}"), 201);
	r = flh_delete(api_srv(), "/v1/packs/Vanishing");
	FLH_STATUS(r, 204);
	flh_resp_free(r);
	/* Go packs exit on this 404; it must mean "pack unknown". */
	FLH_EQ_INT(flh_pack_take(&p, NULL, &a), 404);
	flh_action_release(&a);
	r = flh_post_json(api_srv(), p.event_href, "{\"event\":\"E\"}");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
	/* Re-registering brings it back. */
	flh_pack_release(&p);
	FLH_EQ_INT(flh_pack_register(&p, api_srv(), "{\"name\":\"Vanishing\",\"commands\":[{\"name\":\"C\"}]}"), 201);
	FLH_EQ_INT(flh_pack_take(&p, NULL, &a), 204);
	flh_action_release(&a);
	flh_pack_release(&p);
}

FLT_TEST(event_bodies_accepted)
{
	static const char *const bodies[] = {
		"{}",
		"{\"event\":\"E\"}",
		"{\"event\":\"E\",\"payload\":null}",
		"{\"event\":\"E\",\"payload\":\"text\"}",
		"{\"event\":\"E\",\"payload\":[1,2.5,true,null]}",
		"{\"event\":\"E\",\"payload\":42}",
		"{\"event\":\"E\",\"payload\":{},\"createdAt\":\"2018-02-14T17:14:37.765525+01:00\"}",
		"{\"event\":\"E\",\"payload\":{},\"unknownField\":1}",
	};
	struct flh_pack p;
	FLH_EQ_INT(flh_pack_register(&p, api_srv(), "{\"name\":\"Eventful\"}"), 201);
	for (size_t i = 0; i < FL_ARRAY_LEN(bodies); i++) {
		struct flh_resp *r = flh_post_json(api_srv(), p.event_href, bodies[i]);
		if (r->status != 202)
			printf("# body %s\n", bodies[i]);
		FLH_STATUS(r, 202);
		FLH_EQ_INT(r->body_len, 0);
		flh_resp_free(r);
	}
	flh_pack_release(&p);
}

static int64_t last_seen_ns(struct flh_pack *p)
{
	char *ls = flh_pack_last_seen(p);
	int64_t ns = 0;
	if (ls && fl_time_parse_rfc3339(ls, strlen(ls), &ns, NULL) != 0)
		ns = 0;
	free(ls);
	return ns;
}

FLT_TEST(last_seen_refreshed_by_event_take_and_result_not_by_get)
{
	static const char flow[] =
		"{\"name\":\"ls_flow\",\"steps\":[{\"event\":{\"packName\":\"LsPack\",\"name\":\"Go\"},"
		"\"command\":{\"packName\":\"LsPack\",\"name\":\"Job\"}}]}";
	struct flh_pack p;
	struct flh_action a, none;
	int64_t t0, t1, t2;
	bool moved;
	FLH_EQ_INT(flh_pack_register(&p, api_srv(), "{\"name\":\"LsPack\",\"commands\":[{\"name\":\"Job\"}]}"), 201);
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	t0 = last_seen_ns(&p);
	FLH_ASSERT(t0 > 0);
	/* Reads do not count. */
	FLH_EQ_INT(last_seen_ns(&p), t0);
	/* An event refreshes it (repeat in case the clock has not moved yet). */
	FLH_WAIT_FOR(moved, 10000, flh_pack_event(&p, "Other", NULL) == 202 && last_seen_ns(&p) > t0);
	FLH_ASSERT_MSG(moved, "lastSeen not refreshed by events");
	t1 = last_seen_ns(&p);
	FLH_WAIT_FOR(moved, 10000, (flh_pack_take(&p, "commandName=Nothing", &none), flh_action_release(&none),
				    last_seen_ns(&p) > t1));
	FLH_ASSERT_MSG(moved, "lastSeen not refreshed by takes");
	FLH_EQ_INT(flh_pack_event(&p, "Go", NULL), 202);
	FLH_EQ_INT(flh_pack_take_wait(&p, NULL, &a, FLH_WAIT_MS), 200);
	t2 = last_seen_ns(&p);
	/* Let the wall clock pass t2 so a refresh is visible, then complete. */
	FLH_WAIT_FOR(moved, 5000, fl_time_now_ns() > t2 + 2 * FL_NS_PER_MS);
	FLH_EQ_INT(flh_action_result(api_srv(), &a, "Done", NULL), 202);
	FLH_ASSERT_MSG(last_seen_ns(&p) > t2, "lastSeen not refreshed by results");
	flh_action_release(&a);
	flh_pack_release(&p);
}

FLT_MAIN(empty_list_is_empty_array, register_exact_document, no_labels_means_no_labels_key,
	 id_derivation_sorts_labels, client_supplied_id_lastseen_status_are_ignored,
	 reregistration_replaces_definition, list_sorted_by_name_with_summary_fields, get_unknown_is_404,
	 delete_then_404, reserved_rels_rejected, support_and_setup_rels_accepted,
	 command_and_event_links_not_validated, client_shapes_accepted, percent_encoded_id_in_path,
	 different_labels_are_different_instances, last_seen_refreshed_by_event_take_and_result_not_by_get,
	 deleted_pack_gets_404_on_take_and_event, event_bodies_accepted)
