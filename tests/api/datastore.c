/* SPDX-License-Identifier: Apache-2.0 */
/*
 * datastore.c - black-box tests of the datastore (spec §a.7, §d.5).
 *
 * Multipart PUT creates (201) and replaces (204, also for an identical
 * value: the original answered 201 there), GET returns the raw bytes with
 * the stored content type (default "text/plain; charset=us-ascii" for a
 * part without one), the description comes from the form field or, with
 * precedence, the query parameter, the list is sorted by key, DELETE
 * answers 204 then 404.  Templates read items with datastore('key'): a JSON
 * item as an object, anything else as a string, both in criteria and in
 * command input.
 */
#include "fl-common.h"

#include "api-util.h"
#include "fltest.h"
#include "harness.h"

static const char TEAMS[] = "{\"devinf\":{\"email\":\"devinf@example.com\",\"room\":\"R1\"},"
			    "\"teama\":{\"email\":\"a@example.com\"}}";

FLT_TEST(put_new_201_again_204_get_raw)
{
	struct flh_resp *r;
	FLH_EQ_INT(api_put_item(api_srv(), "teams", TEAMS, strlen(TEAMS), "application/json", "teams", NULL), 201);
	FLH_EQ_INT(api_put_item(api_srv(), "teams", TEAMS, strlen(TEAMS), "application/json", "teams v2", NULL), 204);
	r = flh_get(api_srv(), "/v1/datastore/teams");
	FLH_STATUS(r, 200);
	FLH_EQ_STR(flh_resp_header(r, "Content-Type"), "application/json");
	FLH_EQ_INT(r->body_len, strlen(TEAMS));
	FLH_ASSERT(memcmp(r->body, TEAMS, r->body_len) == 0);
	flh_resp_free(r);
}

FLT_TEST(identical_put_is_204)
{
	FLH_EQ_INT(api_put_item(api_srv(), "same", "abc", 3, "text/plain", "d", NULL), 201);
	FLH_EQ_INT(api_put_item(api_srv(), "same", "abc", 3, "text/plain", "d", NULL), 204);
}

FLT_TEST(default_content_type)
{
	struct flh_resp *r;
	FLH_EQ_INT(api_put_item(api_srv(), "notype", "hello", 5, NULL, NULL, NULL), 201);
	r = flh_get(api_srv(), "/v1/datastore/notype");
	FLH_STATUS(r, 200);
	FLH_EQ_STR(flh_resp_header(r, "Content-Type"), "text/plain; charset=us-ascii");
	FLH_EQ_INT(r->body_len, 5);
	FLH_ASSERT(memcmp(r->body, "hello", 5) == 0);
	flh_resp_free(r);
}

FLT_TEST(binary_value_round_trip)
{
	unsigned char data[512];
	struct flh_resp *r;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	data[10] = 0;
	FLH_EQ_INT(api_put_item(api_srv(), "blob.bin", data, sizeof(data), "application/octet-stream", NULL, NULL), 201);
	r = flh_get(api_srv(), "/v1/datastore/blob.bin");
	FLH_STATUS(r, 200);
	FLH_EQ_STR(flh_resp_header(r, "Content-Type"), "application/octet-stream");
	FLH_EQ_INT(r->body_len, sizeof(data));
	FLH_ASSERT(memcmp(r->body, data, sizeof(data)) == 0);
	flh_resp_free(r);
}

/* Description of `key` in the list, or NULL (also when omitted). */
static const char *list_description(json_t *list, const char *key)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(list, "datastore"), i, it) {
		if (strcmp(json_string_value(json_object_get(it, "key")), key) == 0)
			return json_string_value(json_object_get(it, "description"));
	}
	return NULL;
}

FLT_TEST(description_field_and_query_precedence)
{
	struct flh_resp *r;
	json_t *j;
	FLH_EQ_INT(api_put_item(api_srv(), "desc1", "x", 1, "text/plain", "from field", NULL), 201);
	FLH_EQ_INT(api_put_item(api_srv(), "desc2", "x", 1, "text/plain", "from field", "description=from%20query"),
		   201);
	FLH_EQ_INT(api_put_item(api_srv(), "desc3", "x", 1, "text/plain", NULL, NULL), 201);
	r = flh_get(api_srv(), "/v1/datastore");
	FLH_STATUS(r, 200);
	j = flh_resp_json(r);
	FLH_EQ_STR(list_description(j, "desc1"), "from field");
	FLH_EQ_STR(list_description(j, "desc2"), "from query");
	FLH_ASSERT_MSG(list_description(j, "desc3") == NULL, "empty description must be omitted");
	flh_resp_free(r);
}

FLT_TEST(list_sorted_with_item_shape)
{
	static const char *const keys[] = { "zz-last", "aa-first", "mm-middle" };
	struct flh_resp *r;
	json_t *items, *it;
	size_t i;
	const char *prev = "";
	int found = 0;
	for (i = 0; i < FL_ARRAY_LEN(keys); i++)
		FLH_EQ_INT(api_put_item(api_srv(), keys[i], "v", 1, "text/csv", "sorted", NULL), 201);
	r = flh_get(api_srv(), "/v1/datastore");
	FLH_STATUS(r, 200);
	items = json_object_get(flh_resp_json(r), "datastore");
	FLH_ASSERT(json_is_array(items));
	json_array_foreach(items, i, it) {
		const char *key = json_string_value(json_object_get(it, "key"));
		char self[512];
		FLH_ASSERT(key != NULL);
		FLH_ASSERT_MSG(strcmp(prev, key) < 0, "list not sorted: '%s' after '%s'", key, prev);
		prev = key;
		FLH_ASSERT_MSG(json_object_get(it, "value") == NULL, "values must not be listed");
		snprintf(self, sizeof(self), "%s/v1/datastore/%s", flh_server_url(api_srv()), key);
		FLH_EQ_STR(flh_json_str(it, "links.0.href"), self);
		if (strcmp(key, "mm-middle") == 0) {
			json_t *want = flh_json("{\"key\":\"mm-middle\",\"contentType\":\"text/csv\","
						"\"description\":\"sorted\",\"links\":[]}");
			json_object_set(want, "links", json_object_get(it, "links"));
			FLH_JSON_SAME(it, want, true);
			json_decref(want);
		}
		for (size_t k = 0; k < FL_ARRAY_LEN(keys); k++)
			found += strcmp(key, keys[k]) == 0;
	}
	FLH_ASSERT(found >= 3);
	flh_resp_free(r);
}

FLT_TEST(delete_204_then_404)
{
	struct flh_resp *r;
	FLH_EQ_INT(api_put_item(api_srv(), "gone", "bye", 3, "text/plain", NULL, NULL), 201);
	r = flh_delete(api_srv(), "/v1/datastore/gone");
	FLH_STATUS(r, 204);
	flh_resp_free(r);
	r = flh_get(api_srv(), "/v1/datastore/gone");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
	r = flh_delete(api_srv(), "/v1/datastore/gone");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
}

FLT_TEST(keys_with_dots_and_slashes)
{
	struct flh_resp *r;
	struct flh_part part = { .name = "value", .data = "x", .filename = "v", .type = "text/plain" };
	struct flh_req req = { .method = "PUT", .url = "/v1/datastore/a/b", .parts = &part, .nparts = 1 };
	FLH_EQ_INT(api_put_item(api_srv(), "teams.json", "[]", 2, "application/json", NULL, NULL), 201);
	r = flh_get(api_srv(), "/v1/datastore/teams.json");
	FLH_STATUS(r, 200);
	FLH_EQ_INT(r->body_len, 2);
	flh_resp_free(r);
	/* A key is one path segment. */
	r = flh_http(api_srv(), &req);
	FLH_ERROR(r, 404);
	flh_resp_free(r);
	r = flh_get(api_srv(), "/v1/datastore/a/b");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
}

FLT_TEST(templates_read_json_and_text_items)
{
	static const char flow[] =
		"{\"name\":\"ds_flow\",\"steps\":["
		"{\"id\":\"json\",\"event\":{\"packName\":\"DsSrc\",\"name\":\"Go\"},"
		"\"criteria\":\"{{ datastore('tmpl-teams').devinf.email == 'devinf@example.com' }}\","
		"\"command\":{\"packName\":\"DsSink\",\"name\":\"FromJson\","
		"\"input\":{\"email\":\"{{ datastore('tmpl-teams').devinf.email }}\","
		"\"room\":\"{{ datastore('tmpl-teams').devinf.room }}\"}}},"
		"{\"id\":\"text\",\"event\":{\"packName\":\"DsSrc\",\"name\":\"Go\"},"
		"\"criteria\":\"{{ datastore('greeting')|match:'^hello' }}\","
		"\"command\":{\"packName\":\"DsSink\",\"name\":\"FromText\","
		"\"input\":\"{{ datastore('greeting') }}, {{ Event.Payload.who }}\"}},"
		"{\"id\":\"never\",\"event\":{\"packName\":\"DsSrc\",\"name\":\"Go\"},"
		"\"criteria\":\"{{ datastore('greeting') == 'goodbye' }}\","
		"\"command\":{\"packName\":\"DsSink\",\"name\":\"Never\"}}]}";
	struct flh_pack src, sink;
	struct flh_action a, none;
	json_t *want;
	bool got_json = false, got_text = false;

	FLH_EQ_INT(api_put_item(api_srv(), "tmpl-teams", TEAMS, strlen(TEAMS), "application/json", "teams", NULL), 201);
	FLH_EQ_INT(api_put_item(api_srv(), "greeting", "hello world", 11, "text/plain", NULL, NULL), 201);
	FLH_EQ_INT(flh_pack_register(&src, api_srv(), "{\"name\":\"DsSrc\"}"), 201);
	FLH_EQ_INT(flh_pack_register(&sink, api_srv(), "{\"name\":\"DsSink\"}"), 201);
	FLH_EQ_INT(api_post_flow(api_srv(), flow), 201);
	FLH_EQ_INT(flh_pack_event(&src, "Go", "{\"who\":\"ann\"}"), 202);

	for (int i = 0; i < 2; i++) {
		FLH_EQ_INT(flh_pack_take_wait(&sink, NULL, &a, FLH_WAIT_MS), 200);
		if (strcmp(a.command, "FromJson") == 0) {
			want = flh_json("{\"email\":\"devinf@example.com\",\"room\":\"R1\"}");
			FLH_JSON_SAME(a.input, want, false);
			json_decref(want);
			got_json = true;
		} else {
			FLH_EQ_STR(a.command, "FromText");
			FLH_EQ_STR(json_string_value(a.input), "hello world, ann");
			got_text = true;
		}
		flh_action_release(&a);
	}
	FLH_ASSERT(got_json && got_text);
	/* The third step's criteria is false: no action. */
	FLH_EQ_INT(flh_pack_take(&sink, NULL, &none), 204);
	flh_action_release(&none);
	flh_pack_release(&src);
	flh_pack_release(&sink);
}

FLT_MAIN(put_new_201_again_204_get_raw, identical_put_is_204, default_content_type, binary_value_round_trip,
	 description_field_and_query_precedence, list_sorted_with_item_shape, delete_204_then_404,
	 keys_with_dots_and_slashes, templates_read_json_and_text_items)
