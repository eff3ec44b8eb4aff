/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yaml.c - black-box tests of the YAML request and response forms (spec
 * §a.1 "Request media types" and "Response media types").
 *
 * Bodies with Content-Type exactly application/x-yaml are read as YAML
 * (flows, packs, events, results); other types, including
 * application/yaml, are parsed as JSON, so YAML text sent with them is a
 * 400.  With Accept exactly application/x-yaml, resources are answered in
 * YAML; the tests read that YAML with an independent parser (PyYAML, run as
 * $FLH_PYTHON), convert it to JSON and compare it with the JSON form of the
 * same resource.
 */
#include "fl-common.h"

#include "api-util.h"
#include "buf.h"
#include "fltest.h"
#include "harness.h"

#include <stdio.h>
#include <unistd.h>

/* YAML text -> JSON value (new reference) or NULL, read by PyYAML. */
static json_t *yaml_to_json(const char *yaml, size_t len)
{
	static const char script[] = "import json, sys, yaml\n"
				     "json.dump(yaml.safe_load(open(sys.argv[1], encoding='utf-8')), sys.stdout)\n";
	const char *py = getenv("FLH_PYTHON") ? getenv("FLH_PYTHON") : "python3";
	char path[] = "/tmp/flh-yaml-XXXXXX", cmd[512];
	struct fl_buf out = FL_BUF_INIT(0);
	char chunk[4096];
	size_t n;
	json_t *j = NULL;
	FILE *f, *p;
	int fd = mkstemp(path);

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "wb");
	if (!f || fwrite(yaml, 1, len, f) != len) {
		if (f)
			fclose(f);
		unlink(path);
		return NULL;
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "'%s' -c \"%s\" '%s'", py, script, path);
	p = popen(cmd, "r");
	if (p) {
		while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
			fl_buf_add(&out, chunk, n);
		if (pclose(p) == 0)
			j = flh_json(out.ptr);
	}
	unlink(path);
	fl_buf_release(&out);
	return j;
}

/* GET path as JSON and as YAML; the YAML must describe the same value. */
static void check_yaml_matches_json(const char *path)
{
	struct flh_req yreq = { .url = path, .accept = "application/x-yaml" };
	struct flh_resp *rj = flh_get(api_srv(), path);
	struct flh_resp *ry = flh_http(api_srv(), &yreq);
	json_t *fromyaml;
	FLH_STATUS(rj, 200);
	FLH_STATUS(ry, 200);
	FLH_ASSERT_MSG(flh_resp_ctype_is(ry, "application/x-yaml"), "%s: Content-Type %s", path,
		       flh_resp_header(ry, "Content-Type") ? flh_resp_header(ry, "Content-Type") : "(none)");
	FLH_ASSERT_MSG(flh_resp_json(ry) == NULL || !json_is_object(flh_resp_json(ry)),
		       "%s: YAML answer is a JSON document", path);
	fromyaml = yaml_to_json(ry->body, ry->body_len);
	if (!fromyaml)
		flh_resp_print(ry);
	FLH_ASSERT_MSG(fromyaml != NULL, "%s: answer is not valid YAML", path);
	FLH_JSON_SAME(fromyaml, flh_resp_json(rj), false);
	json_decref(fromyaml);
	flh_resp_free(rj);
	flh_resp_free(ry);
}

static const char FLOW_YAML[] =
	"name: yaml_flow\n"
	"description: a flow written in YAML\n"
	"steps:\n"
	"  - id: first\n"
	"    event:\n"
	"      packName: YamlSrc\n"
	"      name: Go\n"
	"    context:\n"
	"      Tag: \"{{ Event.Payload.tag }}\"\n"
	"    criteria: \"{{ Event.Payload.n|integer == 3 }}\"\n"
	"    command:\n"
	"      packName: YamlSink\n"
	"      name: Work\n"
	"      input:\n"
	"        count: 3\n"
	"        flag: true\n"
	"        text: \"{{ Context.Tag }}\"\n"
	"        list: [a, b]\n"
	"  - id: second\n"
	"    dependsOn: [first]\n"
	"    event:\n"
	"      packName: YamlSink\n"
	"      name: Worked\n"
	"    command:\n"
	"      packName: YamlSink\n"
	"      name: Finish\n";

static const char FLOW_JSON[] =
	"{\"name\":\"yaml_flow\",\"description\":\"a flow written in YAML\",\"steps\":["
	"{\"id\":\"first\",\"event\":{\"packName\":\"YamlSrc\",\"name\":\"Go\"},"
	"\"context\":{\"Tag\":\"{{ Event.Payload.tag }}\"},"
	"\"criteria\":\"{{ Event.Payload.n|integer == 3 }}\","
	"\"command\":{\"packName\":\"YamlSink\",\"name\":\"Work\","
	"\"input\":{\"count\":3,\"flag\":true,\"text\":\"{{ Context.Tag }}\",\"list\":[\"a\",\"b\"]}}},"
	"{\"id\":\"second\",\"dependsOn\":[\"first\"],\"event\":{\"packName\":\"YamlSink\",\"name\":\"Worked\"},"
	"\"command\":{\"packName\":\"YamlSink\",\"name\":\"Finish\",\"input\":null}}]}";

FLT_TEST(flow_posted_as_yaml)
{
	struct flh_resp *r;
	json_t *got, *want = flh_json(FLOW_JSON);
	FLH_EQ_INT(api_post_status(api_srv(), "/v1/flows", "application/x-yaml", FLOW_YAML), 201);
	r = flh_get(api_srv(), "/v1/flows/yaml_flow");
	FLH_STATUS(r, 200);
	got = json_deep_copy(flh_resp_json(r));
	FLH_ASSERT(json_is_array(json_object_get(got, "links")));
	json_object_del(got, "links");
	FLH_JSON_SAME(got, want, false);
	json_decref(got);
	json_decref(want);
	flh_resp_free(r);
}

FLT_TEST(pack_posted_as_yaml)
{
	static const char def[] = "name: YamlPack\n"
				  "labels:\n"
				  "  env: dev\n"
				  "commands:\n"
				  "  - name: Work\n"
				  "    events: [Worked, Failed]\n"
				  "events:\n"
				  "  - name: Go\n";
	struct flh_resp *r = flh_send(api_srv(), "POST", "/v1/packs", "application/x-yaml", def);
	json_t *j;
	FLH_STATUS(r, 201);
	j = flh_resp_json(r);
	FLH_ASSERT_MSG(j != NULL, "registration answer (no Accept) must be JSON");
	FLH_EQ_STR(flh_json_str(j, "id"), "YamlPack.env.dev");
	FLH_EQ_STR(flh_json_str(j, "commands.0.events.1"), "Failed");
	FLH_EQ_STR(flh_json_str(j, "events.0.name"), "Go");
	flh_resp_free(r);
}

FLT_TEST(resources_answered_in_yaml)
{
	FLH_EQ_INT(api_post_status(api_srv(), "/v1/packs", "application/json",
				   "{\"name\":\"YamlSrc\",\"labels\":{\"env\":\"dev\"},\"events\":[{\"name\":\"Go\"}]}"),
		   201);
	FLH_EQ_INT(api_post_status(api_srv(), "/v1/flows", "application/x-yaml", FLOW_YAML), 201);
	check_yaml_matches_json("/");
	check_yaml_matches_json("/v1");
	check_yaml_matches_json("/v1/packs");
	check_yaml_matches_json("/v1/packs/YamlSrc.env.dev");
	check_yaml_matches_json("/v1/flows");
	check_yaml_matches_json("/v1/flows/yaml_flow");
	check_yaml_matches_json("/v1/datastore");
	check_yaml_matches_json("/v1/audit/flows");
}

FLT_TEST(registration_answer_in_yaml)
{
	struct flh_req req = { .method = "POST", .url = "/v1/packs", .content_type = "application/json",
			       .accept = "application/x-yaml",
			       .body = "{\"name\":\"YamlAnswer\",\"commands\":[{\"name\":\"C\"}]}" };
	struct flh_resp *r = flh_http(api_srv(), &req);
	json_t *j;
	FLH_STATUS(r, 201);
	FLH_ASSERT(flh_resp_ctype_is(r, "application/x-yaml"));
	j = yaml_to_json(r->body, r->body_len);
	FLH_ASSERT_MSG(j != NULL, "answer is not YAML");
	FLH_EQ_STR(flh_json_str(j, "id"), "YamlAnswer");
	FLH_ASSERT(flh_link_href(json_object_get(j, "links"), "takeAction") != NULL);
	FLH_ASSERT(flh_link_href(json_object_get(j, "links"), "event") != NULL);
	json_decref(j);
	flh_resp_free(r);
}

FLT_TEST(other_accept_values_get_json)
{
	static const char *const accepts[] = { "application/yaml", "text/yaml", "*/*", "application/json",
					       "application/hal+json" };
	for (size_t i = 0; i < FL_ARRAY_LEN(accepts); i++) {
		struct flh_req req = { .url = "/v1", .accept = accepts[i] };
		struct flh_resp *r = flh_http(api_srv(), &req);
		FLH_STATUS(r, 200);
		FLH_ASSERT_MSG(flh_resp_ctype_is(r, "application/json"), "Accept %s: Content-Type %s", accepts[i],
			       flh_resp_header(r, "Content-Type") ? flh_resp_header(r, "Content-Type") : "(none)");
		FLH_ASSERT(json_is_object(flh_resp_json(r)));
		flh_resp_free(r);
	}
}

FLT_TEST(application_yaml_body_is_parsed_as_json)
{
	struct flh_resp *r = flh_send(api_srv(), "POST", "/v1/flows", "application/yaml",
				      "name: not_json_flow\nsteps: []\n");
	FLH_ERROR(r, 400);
	flh_resp_free(r);
	r = flh_get(api_srv(), "/v1/flows/not_json_flow");
	FLH_ERROR(r, 404);
	flh_resp_free(r);
	/* The same type with JSON text is fine. */
	r = flh_send(api_srv(), "POST", "/v1/flows", "application/yaml", "{\"name\":\"json_flow\",\"steps\":[]}");
	FLH_STATUS(r, 201);
	flh_resp_free(r);
}

FLT_TEST(invalid_yaml_is_400)
{
	struct flh_resp *r = flh_send(api_srv(), "POST", "/v1/flows", "application/x-yaml",
				      "name: [unclosed\nsteps: {\n");
	FLH_ERROR(r, 400);
	flh_resp_free(r);
	r = flh_send(api_srv(), "POST", "/v1/packs", "application/x-yaml", "name: \"unterminated\n");
	FLH_ERROR(r, 400);
	flh_resp_free(r);
}

FLT_TEST(events_and_results_posted_as_yaml)
{
	struct flh_pack src, sink;
	struct flh_action a, b;
	struct flh_resp *r;
	json_t *want;
	FLH_EQ_INT(flh_pack_register(&src, api_srv(), "{\"name\":\"YamlSrc\",\"labels\":{\"env\":\"dev\"}}"), 201);
	FLH_EQ_INT(flh_pack_register(&sink, api_srv(), "{\"name\":\"YamlSink\"}"), 201);
	FLH_EQ_INT(api_post_status(api_srv(), "/v1/flows", "application/x-yaml", FLOW_YAML), 201);

	r = flh_send(api_srv(), "POST", src.event_href, "application/x-yaml", "event: Go\npayload:\n  n: 3\n  tag: blue\n");
	FLH_STATUS(r, 202);
	flh_resp_free(r);
	FLH_EQ_INT(flh_pack_take_wait(&sink, NULL, &a, FLH_WAIT_MS), 200);
	FLH_EQ_STR(a.command, "Work");
	want = flh_json("{\"count\":3,\"flag\":true,\"text\":\"blue\",\"list\":[\"a\",\"b\"]}");
	FLH_JSON_SAME(a.input, want, false);
	json_decref(want);

	r = flh_send(api_srv(), "POST", a.result_href, "application/x-yaml", "event: Worked\npayload:\n  ok: yes-really\n");
	FLH_STATUS(r, 202);
	flh_resp_free(r);
	FLH_EQ_INT(flh_pack_take_wait(&sink, NULL, &b, FLH_WAIT_MS), 200);
	FLH_EQ_STR(b.command, "Finish");
	flh_action_release(&a);
	flh_action_release(&b);
	flh_pack_release(&src);
	flh_pack_release(&sink);
}

FLT_MAIN(flow_posted_as_yaml, pack_posted_as_yaml, resources_answered_in_yaml, registration_answer_in_yaml,
	 other_accept_values_get_json, application_yaml_body_is_parsed_as_json, invalid_yaml_is_400,
	 events_and_results_posted_as_yaml)
