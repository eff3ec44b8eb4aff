/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_fuzz.c - libFuzzer target: a policy file.
 *
 * Parses the input as policy YAML; when it loads, routes a fixed set of
 * requests through it (including unsafe paths) and evaluates the claims
 * of each matched rule against a token with string, number, boolean and
 * array claims.  An error must always carry a message.
 */
#include "fl-common.h"

#include "auth/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
	"/", "/v1", "/v1/packs", "/v1/packs/Slack", "/v1/packs/Slack/events", "/v1/packs/a/actions/b/result",
	"/v1/flows/x", "/v1/datastore/a/b/c", "/x/y/z/w", "//", "/v1/../x", "/v1/packs/",
};
static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "BREW" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *claims;
	struct fl_policy *p = NULL;
	struct fl_error err = FL_ERROR_INIT;

	if (!claims)
		claims = json_loads("{\"groups\":[\"dev\",\"x\"],\"pack\":\"Slack\",\"level\":1,\"admin\":true,"
				    "\"Slack\":\"owner\",\"mixed\":[\"a\",1]}",
				    0, NULL);
	if (fl_policy_parse(&p, (const char *)data, size, "fuzz.yaml", &err) != FL_OK) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(paths); i++) {
		for (size_t j = 0; j < FL_ARRAY_LEN(methods); j++) {
			struct fl_policy_match m;
			fl_policy_match(p, methods[j], paths[i], &m);
			if (m.outcome == FL_POLICY_MATCH) {
				if (!m.rule)
					abort();
				if (fl_policy_rule_has_claims(m.rule))
					fl_policy_claims_satisfied(&m, claims);
			}
		}
	}
	fl_policy_free(p);
	return 0;
}
