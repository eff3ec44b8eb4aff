/* SPDX-License-Identifier: Apache-2.0 */
/*
 * models.h - helpers shared by the product models of the pack tests
 * (the stand-ins of Jira, Bamboo, Bitbucket, Consul, Graphite and Slack)
 * and by their tests, and the stand-in models that more than one test
 * uses (Bamboo: model_bamboo.c).
 */
#ifndef MODELS_H
#define MODELS_H

#include "fl-common.h"

#include <jansson.h>
#include <stdatomic.h>

#include "packtest.h"
#include "standin.h"

/* "Basic base64(user:password)" into buf. */
void md_basic(char *buf, size_t len, const char *user, const char *password);

/* Split a raw path into segments (percent-decoded) in segs (at most max);
 * returns the count, or -1 when a segment has a malformed escape. */
int md_segments(const char *path, char segs[][256], int max);

/* The value of query parameter key (decoded, '+' is a space) into buf;
 * returns true when present. */
bool md_query(const char *query, const char *key, char *buf, size_t len);

/* Number of parameters in a raw query. */
int md_query_count(const char *query);

/* Parse the request body as JSON (NULL when it is not). New reference. */
json_t *md_body(const struct standin_req *q);

/* True when the request's Content-Type is application/json (parameters allowed). */
bool md_json_ctype(const struct standin_req *q);

/* The last request the stand-in recorded (caller releases); aborts the test if none. */
void md_last(struct standin *s, struct standin_req *out);

/* Answer j (stolen) as compact JSON text with this Content-Type. */
void md_answer(struct standin_resp *r, int status, const char *ctype, json_t *j);

/* The last request was `method target`, sent with Authorization `auth` (NULL: not checked). */
void md_expect_last(struct standin *s, const char *method, const char *target, const char *auth);

/*
 * The last request was to `target` (method: NULL = not checked) with a JSON
 * body equal, in member order, to the JSON text `body`.
 */
void md_expect_body(struct standin *s, const char *method, const char *target, const char *body);

/* POST a flow definition (JSON text): it must be created (201). */
void md_post_flow(struct flh_server *srv, const char *json);
/* md_post_flow of the definition in a file (a documented example). */
void md_post_flow_file(struct flh_server *srv, const char *path);

/* The trigger payloads of the executions of `flow` whose step is "s" (new array). */
json_t *md_triggers(struct flh_server *srv, const char *flow);
/* How many of them have `path` == value. */
int md_count_with(struct flh_server *srv, const char *flow, const char *path, const char *value);
/* The first of them with `path` == value (new reference) or NULL. */
json_t *md_payload_with(struct flh_server *srv, const char *flow, const char *path, const char *value);
/* Wait (FLH_WAIT_MS at most) until at least n of them have `path` == value. */
bool md_wait_with(struct flh_server *srv, const char *flow, const char *path, const char *value, int n);

/* Both steps of the LabelBuildFlow execution (docs/examples/label-build-flow.json) have their result. */
bool md_label_flow_done(struct flh_server *srv);

/* ---- the stand-in of Bamboo (model_bamboo.c) -------------------------- */

struct md_bamboo {
	char user[64];
	char auth[128];  /* the Basic authorization of user */
	json_t *labels;  /* build key -> [labels] */
	atomic_int busy; /* PUT queue answers 400 this many times */
	int next_build;  /* the number of the last build queued */
};

void md_bamboo_init(struct md_bamboo *m, const char *user, const char *password);
void md_bamboo_release(struct md_bamboo *m);
/* The standin_fn of Bamboo's REST API; its payload is a struct md_bamboo. */
void md_bamboo_model(const struct standin_req *q, struct standin_resp *r, void *payload);

/* Compare a JSON value with expected JSON text (member order too when ordered). */
bool md_same(json_t *got, const char *expected, bool ordered, char *why, size_t whylen);

/* Run the pack binary with --help; its output (static buffer) or NULL. */
const char *md_help(const char *bin);
/* `bin --help` succeeds and names each of the variables (NULL-terminated). */
void md_help_lists(const char *bin, const char *const *names);

/*
 * Assert that a payload equals expected JSON text; prints both otherwise.
 * Member order is not compared: the server stores payloads as maps and
 * answers them with sorted keys, as the Go server did.
 */
#define MD_PAYLOAD(r, expected)                                                                   \
	do {                                                                                      \
		char md_why_[256];                                                                \
		if (!md_same((r)->payload, (expected), false, md_why_, sizeof(md_why_))) {               \
			char *md_g_ = flh_json_dump((r)->payload);                                \
			printf("# event %s\n# got:      %s\n# expected: %s\n", (r)->event, md_g_, \
			       (expected));                                                       \
			free(md_g_);                                                              \
			FLH_FAIL("payload differs: %s", md_why_);                                 \
		}                                                                                 \
	} while (0)

#define MD_EVENT(r, name) FLH_EQ_STR((r)->event, (name))

/*
 * Run command on pack (packLabels: JSON text or NULL) with input; the
 * result must be event `event` with the payload `payload` (JSON text).
 */
#define MD_EXPECT(e, pack, labels, command, input, event, payload)                                  \
	do {                                                                                        \
		struct pt_result md_r_;                                                             \
		FLH_ASSERT(pt_run((e), (pack), (labels), (command), (input), 0, &md_r_) == 0);     \
		MD_EVENT(&md_r_, (event));                                                          \
		MD_PAYLOAD(&md_r_, (payload));                                                      \
		pt_result_release(&md_r_);                                                          \
	} while (0)

/* MD_EXPECT for a failure: the payload's "error" must be `error`. */
#define MD_EXPECT_ERROR_IS(e, pack, labels, command, input, event, error)                           \
	do {                                                                                        \
		struct pt_result md_r_;                                                             \
		FLH_ASSERT(pt_run((e), (pack), (labels), (command), (input), 0, &md_r_) == 0);     \
		MD_EVENT(&md_r_, (event));                                                          \
		FLH_EQ_STR(pt_str(&md_r_, "error"), (error));                                       \
		pt_result_release(&md_r_);                                                          \
	} while (0)

/* MD_EXPECT for a failure: the payload's "error" must contain `part`. */
#define MD_EXPECT_ERROR(e, pack, labels, command, input, event, part)                               \
	do {                                                                                        \
		struct pt_result md_r_;                                                             \
		const char *md_e_;                                                                  \
		FLH_ASSERT(pt_run((e), (pack), (labels), (command), (input), 0, &md_r_) == 0);     \
		MD_EVENT(&md_r_, (event));                                                          \
		md_e_ = pt_str(&md_r_, "error");                                                    \
		FLH_ASSERT_MSG(md_e_ && strstr(md_e_, (part)), "error \"%s\" does not contain \"%s\"", \
			       md_e_ ? md_e_ : "(none)", (part));                                   \
		pt_result_release(&md_r_);                                                          \
	} while (0)

/* got (borrowed) equals the JSON text expected (member order compared when ordered). */
#define MD_JSON_IS(got, expected, ordered)                                                          \
	do {                                                                                        \
		char md_w_[256];                                                                    \
		json_t *md_g_ = (got);                                                              \
		if (!md_same(md_g_, (expected), (ordered), md_w_, sizeof(md_w_))) {                 \
			char *md_d_ = flh_json_dump(md_g_);                                         \
			printf("# got:      %s\n# expected: %s\n", md_d_, (expected));              \
			free(md_d_);                                                                \
			FLH_FAIL("JSON differs: %s", md_w_);                                        \
		}                                                                                   \
	} while (0)

/* Assert that a request body equals expected JSON text, in order. */
#define MD_BODY(q, expected)                                                                      \
	do {                                                                                      \
		char md_why_[256];                                                                \
		json_t *md_b_ = md_body(q);                                                       \
		bool md_ok_ = md_b_ && md_same(md_b_, (expected), true, md_why_, sizeof(md_why_));       \
		if (!md_ok_) {                                                                    \
			printf("# got:      %s\n# expected: %s\n", (q)->body, (expected));        \
			json_decref(md_b_);                                                       \
			FLH_FAIL("request body differs");                                         \
		}                                                                                 \
		json_decref(md_b_);                                                               \
	} while (0)

#endif
