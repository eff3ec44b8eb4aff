// SPDX-License-Identifier: Apache-2.0
/*
 * httpc_fuzz.c - fuzz target for the answer handling of the REST packs'
 * HTTP client (packs/common/httpc.c): JSON answer parsing, the extraction of
 * a service's error message from any body (JSON shapes of Jira, Bitbucket,
 * Consul, Slack..., HTML, text, invalid UTF-8) into buffers of every size,
 * httpc_describe() of an answer, and the escaping of path segments and
 * query parts.
 *
 * Input: byte 0 picks the Content-Type and the status, the rest is the body.
 * Every message must be valid UTF-8 without control characters.
 */
#include "fl-common.h"

#include <ctype.h>

#include "httpc.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *s, size_t n)
{
	if (strlen(s) != n || fl_utf8_first_invalid(s, n, false) != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ctypes[] = { NULL, "application/json", "text/html; charset=utf-8", "text/plain" };
	static const size_t sizes[] = { 1, 2, 4, 5, 8, 16, 64, 300 };
	struct httpc_response r;
	struct fl_buf body = FL_BUF_INIT(0), q = FL_BUF_INIT(0);
	const char *ctype;
	char buf[300], err[256], *path = NULL;
	json_t *j = NULL;

	if (size < 1)
		return 0;
	ctype = ctypes[data[0] % FL_ARRAY_LEN(ctypes)];
	fl_buf_add(&body, data + 1, size - 1); /* NUL-terminated copy */

	for (size_t i = 0; i < FL_ARRAY_LEN(sizes); i++) {
		size_t n = httpc_answer_message(buf, sizes[i], body.ptr, body.len, ctype);
		if (n >= sizes[i])
			abort();
		check_line(buf, n);
	}
	if (httpc_answer_json(&j, body.ptr, body.len, err, sizeof(err)) == FLYTE_OK) {
		if (!j)
			abort();
		json_decref(j);
	} else {
		check_line(err, strlen(err));
	}

	httpc_response_init(&r);
	r.status = 200 + data[0];
	r.body = body.ptr;
	r.body_len = body.len;
	r.content_type = (char *)ctype;
	snprintf(r.method, sizeof(r.method), "GET");
	snprintf(r.url, sizeof(r.url), "http://127.0.0.1/x");
	httpc_describe(buf, sizeof(buf), NULL, &r);

	if (httpc_pathf(&path, "/a/%s/b", body.ptr) == FLYTE_OK) {
		size_t n = strlen(path);
		if (n < 5 || memcmp(path, "/a/", 3) || memcmp(path + n - 2, "/b", 2))
			abort();
		for (size_t i = 3; i < n - 2; i++) {
			unsigned char c = (unsigned char)path[i];
			if (c == '%' && isxdigit((unsigned char)path[i + 1]) && isxdigit((unsigned char)path[i + 2]))
				i += 2;
			else if (!isalnum(c) && c != '-' && c != '.' && c != '_' && c != '~')
				abort();
		}
		free(path);
	}
	httpc_query_add(&q, body.ptr, body.ptr);
	if (!fl_buf_failed(&q) && (strchr(q.ptr, '&') || strchr(q.ptr, ' ') || !strchr(q.ptr, '=')))
		abort();
	fl_buf_release(&q);
	fl_buf_release(&body);
	return 0;
}
