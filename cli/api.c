/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api.c - flytectl's requests: the client built from the global options,
 * and the mapping of answers to messages and exit codes.
 *
 * The server reports errors as {"error": "..."} (the original sent empty
 * bodies); both are handled: the message shown is the server's when there
 * is one, else the HTTP status.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

struct flyte_client *ctl_client(struct ctl *ctl)
{
	struct flyte_client_options o;

	if (ctl->client)
		return ctl->client;
	flyte_client_options_init(&o);
	o.api_url = ctl->server;
	o.jwt = ctl->token;
	/* TLS settings come from the same variables packs use */
	o.ca_file = getenv("FLYTE_API_CA_FILE") && *getenv("FLYTE_API_CA_FILE") ? getenv("FLYTE_API_CA_FILE") : NULL;
	o.cert_file = getenv("FLYTE_API_CERT_FILE") && *getenv("FLYTE_API_CERT_FILE") ? getenv("FLYTE_API_CERT_FILE") : NULL;
	o.key_file = getenv("FLYTE_API_KEY_FILE") && *getenv("FLYTE_API_KEY_FILE") ? getenv("FLYTE_API_KEY_FILE") : NULL;
	o.insecure = getenv("FLYTE_API_INSECURE") && (!strcmp(getenv("FLYTE_API_INSECURE"), "true") ||
						      !strcmp(getenv("FLYTE_API_INSECURE"), "1"));
	o.timeout_ms = ctl->timeout_ms;
	o.user_agent = "flytectl/" FLYTE_VERSION;
	if (flyte_client_new(&ctl->client, &o)) {
		ctl_usage_error(ctl, "invalid server '%s': %s", ctl->server, flyte_last_error());
		return NULL;
	}
	return ctl->client;
}

int ctl_request(struct ctl *ctl, struct flyte_response *r, const char *method, const char *path,
		const char *content_type, const void *body, size_t len)
{
	struct flyte_client *c = ctl_client(ctl);

	flyte_response_init(r);
	if (!c)
		return CTL_USAGE;
	if (flyte_client_request(r, c, method, path, content_type, body, len))
		return ctl_fail(CTL_ERROR, "%s", flyte_client_last_error(c));
	return CTL_OK;
}

int ctl_expect(const struct flyte_response *r, int expected, const char *what)
{
	json_t *j;
	const char *msg = NULL;
	int code;

	if (r->status == expected || (expected == 0 && r->status >= 200 && r->status < 300))
		return CTL_OK;
	code = r->status == 404 ? CTL_NOTFOUND : CTL_ERROR;
	j = r->body_len ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
	msg = json_string_value(json_object_get(j, "error"));
	if (msg)
		ctl_fail(code, "%s: %s (HTTP %d)", what, msg, r->status);
	else if (r->status == 404)
		ctl_fail(code, "%s: not found", what);
	else
		ctl_fail(code, "%s: server answered HTTP %d%s%.200s", what, r->status,
			 r->body_len && !j ? ": " : "", r->body_len && !j ? r->body : "");
	json_decref(j);
	return code;
}

static int get_json(struct ctl *ctl, const char *path, const char *what, bool quiet_404, json_t **out)
{
	struct flyte_response r;
	json_error_t err;
	int rc;

	*out = NULL;
	rc = ctl_request(ctl, &r, "GET", path, NULL, NULL, 0);
	if (!rc && quiet_404 && r.status == 404)
		rc = CTL_NOTFOUND;
	if (!rc)
		rc = ctl_expect(&r, 200, what);
	if (!rc) {
		*out = json_loadb(r.body, r.body_len, 0, &err);
		if (!*out)
			rc = ctl_fail(CTL_ERROR, "%s: the server's answer is not JSON: %s", what, err.text);
	}
	flyte_response_release(&r);
	return rc;
}

int ctl_get_json(struct ctl *ctl, const char *path, const char *what, json_t **out)
{
	return get_json(ctl, path, what, false, out);
}

int ctl_get_item(struct ctl *ctl, const char *collection, const char *noun, const char *id, bool quiet_404,
		 json_t **out)
{
	char *path = ctl_path(collection, id), what[300];
	int rc;

	*out = NULL;
	if (!path)
		return ctl_fail(CTL_ERROR, "out of memory");
	snprintf(what, sizeof(what), "get %s '%s'", noun, id);
	rc = get_json(ctl, path, what, quiet_404, out);
	free(path);
	return rc;
}

int ctl_get_list(struct ctl *ctl, const char *path, const char *what, const char *key, json_t **out)
{
	int rc = ctl_get_json(ctl, path, what, out);

	if (rc || ctl->format == CTL_TABLE)
		return rc;
	ctl_print_structured(ctl, json_object_get(*out, key));
	json_decref(*out);
	*out = NULL;
	return CTL_OK;
}

int ctl_delete_item(struct ctl *ctl, const char *collection, const char *noun, const char *id)
{
	char *path = ctl_path(collection, id), what[300];
	struct flyte_response r;
	int rc;

	if (!path)
		return ctl_fail(CTL_ERROR, "out of memory");
	snprintf(what, sizeof(what), "delete %s '%s'", noun, id);
	rc = ctl_request(ctl, &r, "DELETE", path, NULL, NULL, 0);
	free(path);
	if (!rc)
		rc = ctl_expect(&r, 204, what);
	if (!rc)
		printf("%s %s deleted\n", noun, id);
	flyte_response_release(&r);
	return rc;
}

char *ctl_path(const char *collection, const char *id)
{
	char *esc = NULL, *out;
	size_t n;

	if (flyte_url_escape(&esc, id))
		return NULL;
	n = strlen(collection) + strlen(esc) + 6;
	out = malloc(n);
	if (out)
		snprintf(out, n, "/v1/%s/%s", collection, esc);
	flyte_string_free(esc);
	return out;
}
