// SPDX-License-Identifier: Apache-2.0
/*
 * answers_fuzz.c - fuzz target for the REST packs' handling of what they
 * read: the mapping of Jira, Bamboo, Bitbucket and Consul answers to event
 * payloads (any JSON value, of any shape, must give a serialisable payload
 * or a clean refusal) and the decoding of action inputs (Go-compatible
 * object, string and integer members, the issue-key finder).
 */
#include "fl-common.h"

#include "bamboo.h"
#include "bitbucket.h"
#include "consul.h"
#include "jira.h"
#include "packjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A payload is either NULL (refused) or serialisable JSON. */
static void check(json_t *p)
{
	char *t;

	if (!p)
		return;
	t = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!t)
		abort();
	free(t);
	json_decref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char err[512];
	json_t *j, *in = NULL;
	size_t start, len;
	const char *str;
	long long n;

	if (packjson_find_key(s, size, &start, &len) && (start + len > size || len < 3))
		abort();
	if (!packjson_object(&in, s, size, err, sizeof(err))) {
		packjson_str(in, "build", NULL, &str, err, sizeof(err));
		packjson_int(in, "maxResults", 10, &n, err, sizeof(err));
		json_decref(in);
	}
	check(packjson_stringn(s, size));

	j = json_loadb(s, size, JSON_DECODE_ANY, NULL);
	if (!j)
		return 0;
	check(jira_info_payload(j));
	check(jira_search_issues(j));
	check(jira_transitions(j));
	check(jira_link_payload(j));
	check(bamboo_lifecycle_payload(j, "ABC-DEF-1", "Deploy"));
	(void)bitbucket_repo_url(j);
	check(consul_results(j, err, sizeof(err)));
	check(consul_errors(j, err, sizeof(err)));
	check(consul_value(j));
	check(consul_value(json_object_get(j, "Value")));
	json_decref(j);
	return 0;
}
