// SPDX-License-Identifier: Apache-2.0
/*
 * router_fuzz.c - fuzz target for request-target handling: the route table
 * of the real API matched against arbitrary paths and methods, query
 * parsing, percent-decoding, the links base from arbitrary forwarding
 * headers, and the escape/decode round trip of path segments.
 */
#include "fl-common.h"

#include "api/api.h"
#include "http/links.h"
#include "http/router.h"
#include "http/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD" };
	static struct fl_api api;
	static struct fl_router *router;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_route_match m;
	struct fl_query q = FL_QUERY_INIT;
	struct fl_buf s = FL_BUF_INIT(0), esc = FL_BUF_INIT(0), dec = FL_BUF_INIT(0);
	struct fl_links_headers h;
	char base[FL_LINKS_BASE_MAX];
	const char *qmark;

	if (!router) {
		fl_api_init(&api, NULL, 0, 0);
		if (fl_router_new(&router, api.routes, api.nroutes, &err) != FL_OK)
			abort();
	}
	if (size < 1)
		return 0;
	fl_buf_add(&s, data + 1, size - 1); /* NUL-terminated copy */
	qmark = memchr(s.ptr, '?', s.len);
	if (fl_router_match(router, methods[data[0] % FL_ARRAY_LEN(methods)], s.ptr,
			    qmark ? (size_t)(qmark - s.ptr) : s.len, &m, &err) == FL_OK) {
		if (!m.route)
			abort();
		for (size_t i = 0; i < m.nparams; i++) {
			/* every decoded parameter survives escaping and decoding again */
			fl_buf_reset(&esc);
			fl_buf_reset(&dec);
			fl_url_escape_segment(&esc, m.params[i].value, strlen(m.params[i].value));
			if (memchr(esc.ptr, '/', esc.len) || fl_url_decode(&dec, esc.ptr, esc.len, 0) != FL_OK ||
			    strcmp(dec.ptr, m.params[i].value) != 0)
				abort();
		}
	}
	fl_router_match_release(&m);
	if (qmark)
		fl_url_query_parse(&q, qmark + 1, s.len - (size_t)(qmark + 1 - s.ptr));
	fl_url_query_release(&q);
	h.x_forwarded_proto = s.ptr;
	h.x_flyte_host = (data[0] & 0x80) ? s.ptr : NULL;
	h.x_forwarded_host = s.ptr;
	h.host = s.ptr;
	fl_links_base(base, &h, data[0] & 1);
	for (const char *p = base; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '\\')
			abort();
	fl_buf_release(&s);
	fl_buf_release(&esc);
	fl_buf_release(&dec);
	return 0;
}
