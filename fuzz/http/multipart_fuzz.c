// SPDX-License-Identifier: Apache-2.0
/*
 * multipart_fuzz.c - fuzz target for the multipart/form-data parser
 * (src/http/multipart.c).  The body is parsed in one call and again in
 * chunks whose sizes come from the first input byte; both runs must report
 * exactly the same parts, data and outcome.
 */
#include "fl-common.h"

#include "buf.h"
#include "http/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_begin(void *payload, const struct fl_multipart_part *part)
{
	fl_buf_addf(payload, "<%s|%d%s|%s>", part->name, part->has_filename, part->filename, part->content_type);
	return FL_OK;
}

static int on_data(void *payload, const char *p, size_t n)
{
	fl_buf_add(payload, p, n);
	return FL_OK;
}

static int on_end(void *payload)
{
	fl_buf_adds(payload, "</>");
	return FL_OK;
}

static const struct fl_multipart_cb cb = { on_begin, on_data, on_end };

static int parse(const char *body, size_t n, size_t step, struct fl_buf *log)
{
	struct fl_multipart *mp = malloc(sizeof(*mp));
	struct fl_error err = FL_ERROR_INIT;
	int rc;

	if (!mp)
		abort();
	rc = fl_multipart_init(mp, "multipart/form-data; boundary=\"b-1\"", &cb, log, &err);
	for (size_t off = 0; rc == FL_OK && off < n;) {
		size_t k = step ? FL_MIN(step, n - off) : n;
		rc = fl_multipart_feed(mp, body + off, k, &err);
		off += k;
	}
	if (rc == FL_OK)
		rc = fl_multipart_finish(mp, &err);
	free(mp);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_buf a = FL_BUF_INIT(0), b = FL_BUF_INIT(0);
	int ra, rb;

	if (size < 1)
		return 0;
	ra = parse((const char *)data + 1, size - 1, 0, &a);
	rb = parse((const char *)data + 1, size - 1, (size_t)(data[0] % 13) + 1, &b);
	/* on error the logs may differ in how much data was delivered first */
	if (ra != rb || (ra == FL_OK && (a.len != b.len || memcmp(a.ptr, b.ptr, a.len) != 0))) {
		fprintf(stderr, "chunked parse differs: %d vs %d\n", ra, rb);
		abort();
	}
	fl_buf_release(&a);
	fl_buf_release(&b);
	return 0;
}
