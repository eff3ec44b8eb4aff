// SPDX-License-Identifier: Apache-2.0
/*
 * yaml.c - unit tests of YAML <-> JSON conversion (src/http/yaml.c):
 * scalar typing, anchors and merge keys, alias bombs, malformed input and
 * the YAML writer used for `Accept: application/x-yaml`.
 */
#include "fl-common.h"

#include "fltest.h"
#include "json/json.h"
#include "yaml/yaml.h"

static const struct fl_yaml_limits lim = { 64, 100000, 1000 };

/* Convert and return compact JSON (static buffer) or "ERR: <message>". */
static const char *y2j(const char *yaml, const struct fl_yaml_limits *l)
{
	static char out[4096];
	struct fl_error err = FL_ERROR_INIT;
	json_t *v = NULL;
	char *s;

	if (fl_yaml_to_json(&v, yaml, strlen(yaml), l ? l : &lim, &err) != FL_OK) {
		snprintf(out, sizeof(out), "ERR: %s", err.msg);
		return out;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(out, sizeof(out), "%s", s);
	free(s);
	json_decref(v);
	return out;
}

FLT_TEST(test_scalars)
{
	FLT_EQ_STR(y2j("a: 1\nb: -2.5\nc: true\nd: ~\ne: hello\nf: \"1\"\ng: 'true'\n", NULL),
		   "{\"a\":1,\"b\":-2.5,\"c\":true,\"d\":null,\"e\":\"hello\",\"f\":\"1\",\"g\":\"true\"}");
	/* YAML 1.2: no Norway problem, no octal surprises */
	FLT_EQ_STR(y2j("[yes, no, on, off, 0755, 0x1F, 0o17, 1e3, .5, +3, 1e999, .inf]", NULL),
		   "[\"yes\",\"no\",\"on\",\"off\",\"0755\",31,15,1000.0,0.5,3,\"1e999\",\".inf\"]");
	FLT_EQ_STR(y2j("!!str 123", NULL), "\"123\"");
	FLT_EQ_STR(y2j("v: !!str true", NULL), "{\"v\":\"true\"}");
	FLT_EQ_STR(y2j("", NULL), "null");
	FLT_EQ_STR(y2j("text: |\n  line one\n  line two\n", NULL), "{\"text\":\"line one\\nline two\\n\"}");
	FLT_EQ_STR(y2j("1: one\ntrue: yes\n", NULL), "{\"1\":\"one\",\"true\":\"yes\"}");
	FLT_EQ_STR(y2j("big: 99999999999999999999", NULL), "{\"big\":1e20}");
}

FLT_TEST(test_flow_yaml)
{
	const char *flow = "name: next_uk_bank_holidays\n"
			   "steps:\n"
			   "  - id: receive\n"
			   "    event: {packName: Slack, name: ReceivedMessage}\n"
			   "    criteria: \"{{ Event.Payload.message|match:'^flyte' }}\"\n"
			   "    command:\n"
			   "      packName: Shell\n"
			   "      name: Shell\n"
			   "      input: curl -s https://example\n";

	FLT_EQ_STR(y2j(flow, NULL),
		   "{\"name\":\"next_uk_bank_holidays\",\"steps\":[{\"id\":\"receive\",\"event\":{\"packName\":\"Slack\","
		   "\"name\":\"ReceivedMessage\"},\"criteria\":\"{{ Event.Payload.message|match:'^flyte' }}\","
		   "\"command\":{\"packName\":\"Shell\",\"name\":\"Shell\",\"input\":\"curl -s https://example\"}}]}");
}

FLT_TEST(test_anchors_and_merge)
{
	FLT_EQ_STR(y2j("a: &x {k: v}\nb: *x\n", NULL), "{\"a\":{\"k\":\"v\"},\"b\":{\"k\":\"v\"}}");
	FLT_EQ_STR(y2j("base: &b {a: 1, b: 2}\nx:\n  b: 3\n  <<: *b\n  c: 4\n", NULL),
		   "{\"base\":{\"a\":1,\"b\":2},\"x\":{\"b\":3,\"a\":1,\"c\":4}}");
	FLT_EQ_STR(y2j("p: &p {a: 1}\nq: &q {b: 2}\nx: {<<: [*p, *q], a: 9}\n", NULL),
		   "{\"p\":{\"a\":1},\"q\":{\"b\":2},\"x\":{\"a\":9,\"b\":2}}");
	FLT_EQ_STR(y2j("s: &s hello\nt: *s\n", NULL), "{\"s\":\"hello\",\"t\":\"hello\"}");
	FLT_EQ_STR(y2j("x: {<<: 5}\n", NULL), "ERR: invalid YAML: a merge key '<<' needs a mapping or a list of mappings");
	FLT_EQ_STR(y2j("a: *nowhere\n", NULL), "ERR: invalid YAML: an alias refers to an unknown anchor");
	/* an anchor cannot refer to itself: it only exists once complete */
	FLT_EQ_STR(y2j("a: &a [*a]\n", NULL), "ERR: invalid YAML: an alias refers to an unknown anchor");
}

FLT_TEST(test_alias_bomb)
{
	const char *bomb = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
			   "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
			   "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
			   "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
			   "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
			   "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
			   "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
			   "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
			   "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	struct fl_yaml_limits many_aliases = { 64, 100000, 1000000 };
	const char *r;

	/* stopped by the value budget even when aliases are unlimited */
	r = y2j(bomb, &many_aliases);
	FLT_EQ_STR(r, "ERR: request body has more than 100000 values");
	/* and by the alias budget first with the defaults */
	r = y2j(bomb, NULL);
	FLT_ASSERT(strncmp(r, "ERR: ", 5) == 0);
}

FLT_TEST(test_alias_depth_bomb)
{
	struct fl_yaml_limits l = { 6, 100000, 1000 };

	FLT_EQ_STR(y2j("a: &a [[[1]]]\nb: [[*a]]\n", &l), "{\"a\":[[[1]]],\"b\":[[[[[1]]]]]}");
	FLT_EQ_STR(y2j("a: &a [[[1]]]\nb: [[[*a]]]\n", &l), "ERR: request body nests deeper than 6 levels");
	FLT_EQ_STR(y2j("[[[[[[[1]]]]]]]", &l), "ERR: request body nests deeper than 6 levels");
}

FLT_TEST(test_malformed)
{
	const char *r;

	r = y2j("a: [1, 2\nb: 3\n", NULL);
	FLT_ASSERT(strncmp(r, "ERR: invalid YAML at line ", 26) == 0);
	FLT_EQ_STR(y2j("a: 1\n---\nb: 2\n", NULL), "ERR: invalid YAML: only one document is accepted");
	FLT_EQ_STR(y2j("? [a, b]\n: c\n", NULL), "ERR: invalid YAML: mapping keys must be scalars");
	FLT_EQ_STR(y2j("a: \"x\\0y\"\n", NULL), "ERR: invalid YAML: a scalar contains a NUL character");
	r = y2j("a: b: c\n", NULL);
	FLT_ASSERT(strncmp(r, "ERR: invalid YAML", 17) == 0);
	r = y2j("\t- a\n", NULL);
	FLT_ASSERT(strncmp(r, "ERR: ", 5) == 0);
}

FLT_TEST(test_single_quoted_escapes)
{
	FLT_EQ_STR(y2j("a: 'it''s'\nb: ['x''''y', '''', 'plain']\n", NULL),
		   "{\"a\":\"it's\",\"b\":[\"x''y\",\"'\",\"plain\"]}");
	FLT_EQ_STR(y2j("''''''''''''", NULL), "\"'''''\"");
	FLT_EQ_STR(y2j("k: 'folded\n  line'\n", NULL), "{\"k\":\"folded line\"}");
	FLT_EQ_STR(y2j("k: 'it''s\n  folded'\n", NULL), "{\"k\":\"it's folded\"}");
	FLT_EQ_STR(y2j("%\xf3", NULL), "ERR: invalid YAML: byte 0xf3 at offset 1 is not UTF-8 text");
}

/* Inputs that made an earlier YAML library hang, crash or leak are plain errors or values. */
FLT_TEST(test_hostile_inputs)
{
	const char *r;

	r = y2j(" - ? - - s: \t - ", NULL);
	FLT_ASSERT(strncmp(r, "ERR: invalid YAML", 17) == 0);
	FLT_EQ_STR(y2j("text: \"a\tb\"\nblock: |\n  x\ty\n", NULL), "{\"text\":\"a\\tb\",\"block\":\"x\\ty\\n\"}");
	r = y2j("%YAML 1.2 x\n---\na: 1", NULL);
	FLT_ASSERT(strncmp(r, "ERR: ", 5) == 0 || strcmp(r, "{\"a\":1}") == 0);
}

static const char *j2y(const char *json)
{
	static char out[4096];
	struct fl_buf b = FL_BUF_INIT(0);
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);

	fl_yaml_from_json(&b, v);
	snprintf(out, sizeof(out), "%s", b.ptr);
	fl_buf_release(&b);
	json_decref(v);
	return out;
}

FLT_TEST(test_to_yaml)
{
	FLT_EQ_STR(j2y("{\"links\":[{\"href\":\"http://h/v1\",\"rel\":\"self\"}],\"b\":{},\"a\":[]}"),
		   "a: []\nb: {}\nlinks:\n  - href: \"http://h/v1\"\n    rel: \"self\"\n");
	FLT_EQ_STR(j2y("{\"n\":1,\"t\":\"true\",\"x\":null,\"f\":1.5,\"q\":\"a\\\"b\\nc\"}"),
		   "f: 1.5\n\"n\": 1\nq: \"a\\\"b\\nc\"\nt: \"true\"\nx: null\n");
	FLT_EQ_STR(j2y("[[1,2],{\"k\":[3]}]"), "- - 1\n  - 2\n- k:\n    - 3\n");
	FLT_EQ_STR(j2y("{\"on\":1,\"a b\":2,\"1x\":3,\"Null\":4}"),
		   "\"1x\": 3\n\"Null\": 4\n\"a b\": 2\n\"on\": 1\n");
	FLT_EQ_STR(j2y("\"s\""), "\"s\"\n");
}

/* What the writer produces reads back as the same JSON. */
FLT_TEST(test_round_trip)
{
	const char *docs[] = {
		"{\"links\":[{\"href\":\"http://h/v1\",\"rel\":\"self\"}],\"packs\":[]}",
		"{\"a\":{\"b\":{\"c\":[1,\"2\",true,null,{}]}},\"z\":\"yes\",\"k\":\"0755\",\"yes\":1,\"~\":2}",
		"[[[]],[{}],\"\\u00e9\\t\"]",
	};

	for (size_t i = 0; i < FL_ARRAY_LEN(docs); i++) {
		json_t *orig = json_loads(docs[i], 0, NULL), *back = NULL;
		struct fl_buf b = FL_BUF_INIT(0);
		struct fl_error err = FL_ERROR_INIT;

		fl_yaml_from_json(&b, orig);
		FLT_EQ_INT(fl_yaml_to_json(&back, b.ptr, b.len, &lim, &err), FL_OK);
		FLT_ASSERT(json_equal(orig, back));
		json_decref(orig);
		json_decref(back);
		fl_buf_release(&b);
	}
}

/* A scalar is written in YAML exactly as the JSON writer writes it: one way to turn a scalar into text. */
FLT_TEST(test_scalars_written_as_json)
{
	json_t *vals[] = { json_integer(-42), json_real(0.1), json_real(1e300), json_real(3.0), json_real(-2.5e-7),
			   json_true(), json_false(), json_null(), json_string("a/b \xe2\x80\xa8 \x7f \"q\""),
			   json_object(), json_array() };

	for (size_t i = 0; i < FL_ARRAY_LEN(vals); i++) {
		struct fl_buf y = FL_BUF_INIT(0), j = FL_BUF_INIT(0);
		fl_yaml_from_json(&y, vals[i]);
		fl_json_dump(&j, vals[i]);
		fl_buf_addc(&j, '\n');
		FLT_EQ_STR(y.ptr, j.ptr);
		fl_buf_release(&y);
		fl_buf_release(&j);
		json_decref(vals[i]);
	}
	FLT_EQ_STR(j2y("[0.1,3.0,1e21]"), "- 0.1\n- 3\n- 1e+21\n");
}

FLT_MAIN(test_scalars, test_flow_yaml, test_anchors_and_merge, test_alias_bomb, test_alias_depth_bomb, test_malformed,
	 test_single_quoted_escapes, test_hostile_inputs, test_to_yaml, test_round_trip, test_scalars_written_as_json)
