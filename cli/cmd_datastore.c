/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_datastore.c - `flytectl datastore list|get|put|delete` and `upload
 * datastore` (the original CLI's spelling of put).
 *
 * put sends multipart/form-data like the original API expects: the value
 * as file part "value" (its part Content-Type becomes the item's content
 * type) and an optional "description" field.  The boundary is chosen so
 * that it does not occur in the value.  Without a key, the key is the file
 * name without its extension (teams.json -> teams), as the original CLI
 * named items; without a content type, the extension picks one from the
 * table below (documented in docs/flytectl.1).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
	rc = ctl_get_list(ctl, "/v1/datastore", "list datastore items", "datastore", &j);
	if (rc || !j)
		return rc;
	t = ctl_table_new(3, head);
	json_array_foreach(json_object_get(j, "datastore"), i, d) {
		const char *row[] = { ctl_str(d, "key"), ctl_str(d, "contentType"), ctl_str(d, "description") };
		ctl_table_row(t, row);
	}
	return ctl_table_done(t, j);
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

/* Content types by file extension (compared without case); other files get the server's default. */
static const char *const content_types[][2] = {
	{ ".json", "application/json" },
	{ ".yaml", "application/x-yaml" },
	{ ".yml", "application/x-yaml" },
	{ ".sh", "application/x-sh" },
	{ ".py", "text/x-python" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".md", "text/markdown; charset=utf-8" },
	{ ".csv", "text/csv" },
	{ ".html", "text/html" },
	{ ".htm", "text/html" },
	{ ".xml", "application/xml" },
};

static const char *base_name(const char *file)
{
	const char *slash = strrchr(file, '/');
	return slash ? slash + 1 : file;
}

static const char *guess_type(const char *file)
{
	const char *dot = strrchr(base_name(file), '.');

	for (size_t i = 0; dot && i < sizeof(content_types) / sizeof(content_types[0]); i++)
		if (!strcasecmp(dot, content_types[i][0]))
			return content_types[i][1];
	return NULL; /* the server then uses text/plain; charset=us-ascii */
}

/* The key named after a file: its name without the last extension (caller frees). */
static char *key_of_file(const char *file)
{
	const char *base = base_name(file), *dot = strrchr(base, '.');

	return strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

/*
 * Build the multipart body; returns it (caller frees) and its length.  The
 * boundary occurs neither in the value nor in the description; quotes and
 * control characters of the file name become '_' (it is a quoted header
 * parameter).  ctype holds no control characters (checked by the caller).
 */
static char *multipart(const char *value, size_t vlen, const char *ctype, const char *desc, const char *file,
		       char *boundary, size_t blen, size_t *out_len)
{
	const char *base = !strcmp(file, "-") ? "value" : base_name(file);
	size_t cap = vlen + (desc ? strlen(desc) : 0) + strlen(base) + (ctype ? strlen(ctype) : 0) + 512, n = 0;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	char *b = malloc(cap), *name = strdup(base);

	if (!b || !name) {
		free(b);
		free(name);
		return NULL;
	}
	for (char *p = name; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '_';
	do {
		snprintf(boundary, blen, "flytectl-%08x%08x", (unsigned)rand_r(&seed), (unsigned)rand_r(&seed));
	} while (memmem(value, vlen, boundary, strlen(boundary)) || (desc && strstr(desc, boundary)));
	if (desc)
		n += (size_t)snprintf(b + n, cap - n,
				      "--%s\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n%s\r\n",
				      boundary, desc);
	n += (size_t)snprintf(b + n, cap - n,
			      "--%s\r\nContent-Disposition: form-data; name=\"value\"; filename=\"%s\"\r\n%s%s%s\r\n",
			      boundary, name, ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "");
	memcpy(b + n, value, vlen);
	n += vlen;
	n += (size_t)snprintf(b + n, cap - n, "\r\n--%s--\r\n", boundary);
	free(name);
	*out_len = n;
	return b;
}

/* Upload file as item key (NULL: named after the file). */
static int put(struct ctl *ctl, const char *key, const char *file, const char *ctype, const char *desc)
{
	char *path = NULL, *value = NULL, *body = NULL, *own_key = NULL, boundary[64], hdr[128], what[300];
	struct flyte_response r;
	size_t vlen = 0, blen = 0;
	int rc;

	flyte_response_init(&r);
	if (!key && !strcmp(file, "-"))
		return ctl_usage_error(ctl, "%s %s needs a key when the value comes from standard input", ctl->cmd->group,
				       ctl->cmd->name);
	if (!key && !(key = own_key = key_of_file(file)))
		return ctl_fail(CTL_ERROR, "out of memory");
	if (!*key) {
		rc = ctl_usage_error(ctl, "the key of a datastore item cannot be empty");
		goto out;
	}
	for (const char *p = ctype; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			rc = ctl_usage_error(ctl, "invalid content type: it holds control characters");
			goto out;
		}
	value = ctl_read_file(file, &vlen);
	if (!value) {
		rc = ctl_fail(CTL_ERROR, "cannot read '%s': %s", file, strerror(errno));
		goto out;
	}
	if (!vlen) {
		rc = ctl_fail(CTL_ERROR, "'%s' is empty: the datastore does not store empty values", file);
		goto out;
	}
	path = ctl_path("datastore", key);
	body = multipart(value, vlen, ctype ? ctype : guess_type(file), desc, file, boundary, sizeof(boundary), &blen);
	if (!path || !body) {
		rc = ctl_fail(CTL_ERROR, "out of memory");
		goto out;
	}
	snprintf(hdr, sizeof(hdr), "multipart/form-data; boundary=%s", boundary);
	snprintf(what, sizeof(what), "put datastore item '%s'", key);
	rc = ctl_request(ctl, &r, "PUT", path, hdr, body, blen);
	if (!rc)
		rc = ctl_expect(&r, 0, what);
	if (rc == CTL_NOTFOUND)
		rc = CTL_ERROR;
	if (!rc)
		printf("datastore item %s %s\n", key, r.status == 201 ? "created" : "updated");
out:
	flyte_response_release(&r);
	free(own_key);
	free(path);
	free(value);
	free(body);
	return rc;
}

/* datastore put [KEY] [-f] FILE: one argument without -f is the file. */
int cmd_datastore_put(struct ctl *ctl, struct ctl_args *a)
{
	const char *file = ctl_opt(a, "file"), *key = NULL;

	if (file && a->n_pos == 2)
		return ctl_usage_error(ctl, "unexpected argument '%s'", a->pos[1]);
	if (file)
		key = a->n_pos ? a->pos[0] : NULL;
	else if (a->n_pos == 2)
		key = a->pos[0], file = a->pos[1];
	else if (a->n_pos == 1)
		file = a->pos[0];
	else
		return ctl_usage_error(ctl, "datastore put needs FILE");
	return put(ctl, key, file, ctl_opt(a, "content-type"), ctl_opt(a, "description"));
}

/* upload datastore [-f] FILE [-n KEY]: the original CLI's form. */
int cmd_upload_datastore(struct ctl *ctl, struct ctl_args *a)
{
	const char *file = ctl_opt(a, "file");

	if (file && a->n_pos)
		return ctl_usage_error(ctl, "give the file either with -f or as the argument, not both");
	if (!file && !a->n_pos)
		return ctl_usage_error(ctl, "upload datastore needs FILE");
	return put(ctl, ctl_opt(a, "name"), file ? file : a->pos[0], ctl_opt(a, "content-type"),
		   ctl_opt(a, "description"));
}

int cmd_datastore_delete(struct ctl *ctl, struct ctl_args *a)
{
	return ctl_delete_item(ctl, "datastore", "datastore item", a->pos[0]);
}
