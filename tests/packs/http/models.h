/* SPDX-License-Identifier: Apache-2.0 */
/*
 * models.h - helpers shared by the product models of the pack tests
 * (the stand-ins of Jira, Bamboo, Bitbucket, Consul and Graphite) and by
 * their tests.
 */
#ifndef MODELS_H
#define MODELS_H

#include "fl-common.h"

#include <jansson.h>

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

/* Compare a JSON value with expected JSON text (member order too when ordered). */
bool md_same(json_t *got, const char *expected, bool ordered, char *why, size_t whylen);

/* Run the pack binary with --help; its output (static buffer) or NULL. */
const char *md_help(const char *bin);

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
