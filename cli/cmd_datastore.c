/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_datastore.c - `flytectl datastore list|get|put|delete`.
 *
 * put sends multipart/form-data like the original API expects: the value
 * as file part "value" (its part Content-Type becomes the item's content
 * type) and an optional "description" field.  The boundary is chosen so
 * that it does not occur in the value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

int cmd_datastore_list(struct ctl *ctl, struct ctl_args *a)
{
	static const char *const head[] = { "KEY", "CONTENT TYPE", "DESCRIPTION" };
	struct ctl_table *t;
	json_t *j, *d;
	size_t i;
	int rc;

	(void)a;
	rc = ctl_get_json(ctl, "/v1/datastore", "list datastore items", &j);
	if (rc)
		return rc;
	if (ctl->format != CTL_TABLE) {
		ctl_print_structured(ctl, json_object_get(j, "datastore"));
		json_decref(j);
		return CTL_OK;
	}
	t = ctl_table_new(3, head);
	json_array_foreach(json_object_get(j, "datastore"), i, d) {
		const char *row[] = { ctl_str(d, "key"), ctl_str(d, "contentType"), ctl_str(d, "description") };
		ctl_table_row(t, row);
	}
	ctl_table_print(t, stdout);
	ctl_table_free(t);
	json_decref(j);
	return CTL_OK;
}

int cmd_datastore_get(struct ctl *ctl, struct ctl_args *a)
{
	char *path = ctl_path("datastore", a->pos[0]), what[300];
	struct flyte_response r;
	int rc;

	if (!path)
		return ctl_fail(CTL_ERROR, "out of memory");
	snprintf(what, sizeof(what), "get datastore item '%s'", a->pos[0]);
	rc = ctl_request(ctl, &r, "GET", path, NULL, NULL, 0);
	free(path);
	if (!rc)
		rc = ctl_expect(&r, 200, what);
	if (!rc && fwrite(r.body, 1, r.body_len, stdout) != r.body_len)
		rc = ctl_fail(CTL_ERROR, "cannot write the value to stdout");
	flyte_response_release(&r);
	return rc;
}

static const char *guess_type(const char *file)
{
	static const char *const map[][2] = {
		{ ".json", "application/json" }, { ".yaml", "application/x-yaml" }, { ".yml", "application/x-yaml" },
		{ ".txt", "text/plain" }, { ".csv", "text/csv" }, { ".html", "text/html" }, { ".xml", "application/xml" },
	};
	const char *dot = strrchr(file, '.');

	for (size_t i = 0; dot && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(dot, map[i][0]))
			return map[i][1];
	return NULL; /* the server then uses text/plain; charset=us-ascii */
}

/* Build the multipart body; returns it (caller frees) and its length. */
static char *multipart(const char *value, size_t vlen, const char *ctype, const char *desc, const char *file,
		       char *boundary, size_t blen, size_t *out_len)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t cap = vlen + (desc ? strlen(desc) : 0) + strlen(base) + 512, n = 0;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	char *b = malloc(cap);

	if (!b)
		return NULL;
	do {
		snprintf(boundary, blen, "flytectl-%08x%08x", (unsigned)rand_r(&seed), (unsigned)rand_r(&seed));
	} while (memmem(value, vlen, boundary, strlen(boundary)));
	if (desc)
		n += (size_t)snprintf(b + n, cap - n,
				      "--%s\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n%s\r\n",
				      boundary, desc);
	n += (size_t)snprintf(b + n, cap - n,
			      "--%s\r\nContent-Disposition: form-data; name=\"value\"; filename=\"%s\"\r\n%s%s%s\r\n",
			      boundary, !strcmp(file, "-") ? "value" : base, ctype ? "Content-Type: " : "",
			      ctype ? ctype : "", ctype ? "\r\n" : "");
	memcpy(b + n, value, vlen);
	n += vlen;
	n += (size_t)snprintf(b + n, cap - n, "\r\n--%s--\r\n", boundary);
	*out_len = n;
	return b;
}

int cmd_datastore_put(struct ctl *ctl, struct ctl_args *a)
{
	const char *file = ctl_opt(a, "file"), *ctype = ctl_opt(a, "content-type");
	char *path = NULL, *value = NULL, *body = NULL, boundary[64], hdr[128], what[300];
	struct flyte_response r;
	size_t vlen = 0, blen = 0;
	int rc;

	flyte_response_init(&r);
	if (!file)
		return ctl_fail(CTL_USAGE, "datastore put needs -f FILE");
	value = ctl_read_file(file, &vlen);
	if (!value)
		return ctl_fail(CTL_ERROR, "cannot read '%s'", file);
	if (!vlen) {
		rc = ctl_fail(CTL_USAGE, "'%s' is empty: the datastore does not store empty values", file);
		goto out;
	}
	path = ctl_path("datastore", a->pos[0]);
	body = multipart(value, vlen, ctype ? ctype : guess_type(file), ctl_opt(a, "description"), file, boundary,
			 sizeof(boundary), &blen);
	if (!path || !body) {
		rc = ctl_fail(CTL_ERROR, "out of memory");
		goto out;
	}
	snprintf(hdr, sizeof(hdr), "multipart/form-data; boundary=%s", boundary);
	snprintf(what, sizeof(what), "put datastore item '%s'", a->pos[0]);
	rc = ctl_request(ctl, &r, "PUT", path, hdr, body, blen);
	if (!rc)
		rc = ctl_expect(&r, 0, what);
	if (rc == CTL_NOTFOUND)
		rc = CTL_ERROR;
	if (!rc)
		printf("datastore item %s %s\n", a->pos[0], r.status == 201 ? "created" : "updated");
out:
	flyte_response_release(&r);
	free(path);
	free(value);
	free(body);
	return rc;
}

int cmd_datastore_delete(struct ctl *ctl, struct ctl_args *a)
{
	char *path = ctl_path("datastore", a->pos[0]), what[300];
	struct flyte_response r;
	int rc;

	if (!path)
		return ctl_fail(CTL_ERROR, "out of memory");
	snprintf(what, sizeof(what), "delete datastore item '%s'", a->pos[0]);
	rc = ctl_request(ctl, &r, "DELETE", path, NULL, NULL, 0);
	free(path);
	if (!rc)
		rc = ctl_expect(&r, 204, what);
	if (!rc)
		printf("datastore item %s deleted\n", a->pos[0]);
	flyte_response_release(&r);
	return rc;
}
