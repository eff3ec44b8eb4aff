/* SPDX-License-Identifier: Apache-2.0 */
/*
 * links.h - the absolute URLs of `links` arrays, `Location` headers and
 * swagger `rel` values, computed per request.
 *
 * The base "<scheme>://<host>" comes from the request: scheme from
 * X-Forwarded-Proto (first value), else https on a TLS connection, else
 * http; host from X-Flyte-Host, else X-Forwarded-Host (first value), else
 * Host.  A header that is malformed is skipped as if absent.  Resource ids
 * are percent-escaped as path segments (the original wrote them raw).
 */
#ifndef FL_LINKS_H
#define FL_LINKS_H

#include <jansson.h>

#include "buf.h"
#include "fl-common.h"

#define FL_LINKS_BASE_MAX 320

struct fl_links_headers {
	const char *x_forwarded_proto;
	const char *x_flyte_host;
	const char *x_forwarded_host;
	const char *host;
};

/* Write "<scheme>://<host>" (no trailing slash) into out. */
void fl_links_base(char out[FL_LINKS_BASE_MAX], const struct fl_links_headers *h, bool tls);

/*
 * Append base + path, then, if id is not NULL, the escaped id and suffix
 * (suffix may be NULL).  Example: (base, "/v1/packs/", "My Pack", "/events")
 * gives "http://h/v1/packs/My%20Pack/events".
 */
void fl_links_url(struct fl_buf *out, const char *base, const char *path, const char *id, const char *suffix);

/*
 * Append {"href": <url as above>, "rel": <rel>} to the array `links`.  A rel
 * starting with '/' is made absolute ("/swagger#!/pack/listPacks" becomes
 * "<base>/swagger#!/pack/listPacks"); other rels ("self", "up", "help") are
 * used as they are; NULL or "" omits "rel".
 */
void fl_links_push(json_t *links, const char *base, const char *path, const char *id, const char *suffix,
		   const char *rel);

/* Append a link with a literal href (e.g. a pack's own help link). */
void fl_links_push_href(json_t *links, const char *href, const char *rel);

#endif
