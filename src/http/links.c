// SPDX-License-Identifier: Apache-2.0
/*
 * links.c - builds the absolute hrefs and rels of HATEOAS links from the
 * request's forwarding headers.  Every API response with a `links` array,
 * and every `Location` header, is produced through these functions.
 */
#include "fl-common.h"

#include <ctype.h>

#include "http/links.h"
#include "http/url.h"

/* First comma-separated element of a header value, whitespace trimmed. */
static size_t first_token(const char *v, const char **start)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, ",");
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	*start = v;
	return n;
}

static bool valid_scheme(const char *s, size_t n)
{
	if (n == 0 || n > 16 || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* A host[:port] usable in a URL: no whitespace, controls or URL delimiters. */
static bool valid_host(const char *s, size_t n)
{
	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("/?#\"\\<>`{}|^", c))
			return false;
	}
	return true;
}

void fl_links_base(char out[FL_LINKS_BASE_MAX], const struct fl_links_headers *h, bool tls)
{
	const char *scheme = tls ? "https" : "http", *host = "localhost", *t;
	size_t slen = strlen(scheme), hlen = strlen(host), n;
	const char *hosts[3] = { h->x_flyte_host, h->x_forwarded_host, h->host };

	if (h->x_forwarded_proto) {
		n = first_token(h->x_forwarded_proto, &t);
		if (valid_scheme(t, n)) {
			scheme = t;
			slen = n;
		}
	}
	for (size_t i = 0; i < FL_ARRAY_LEN(hosts); i++) {
		if (!hosts[i])
			continue;
		n = first_token(hosts[i], &t);
		if (valid_host(t, n)) {
			host = t;
			hlen = n;
			break;
		}
	}
	snprintf(out, FL_LINKS_BASE_MAX, "%.*s://%.*s", (int)slen, scheme, (int)hlen, host);
	for (char *p = out; *p && *p != ':'; p++)
		*p = (char)tolower((unsigned char)*p);
}

void fl_links_url(struct fl_buf *out, const char *base, const char *path, const char *id, const char *suffix)
{
	fl_buf_adds(out, base);
	fl_buf_adds(out, path);
	if (id) {
		fl_url_escape_segment(out, id, strlen(id));
		if (suffix)
			fl_buf_adds(out, suffix);
	}
}

void fl_links_push_href(json_t *links, const char *href, const char *rel)
{
	json_t *o = json_object();

	json_object_set_new(o, "href", json_string(href ? href : ""));
	if (rel && *rel)
		json_object_set_new(o, "rel", json_string(rel));
	json_array_append_new(links, o);
}

void fl_links_push(json_t *links, const char *base, const char *path, const char *id, const char *suffix,
		   const char *rel)
{
	struct fl_buf href = FL_BUF_INIT(0), r = FL_BUF_INIT(0);

	fl_links_url(&href, base, path, id, suffix);
	if (rel && rel[0] == '/') {
		fl_buf_adds(&r, base);
		fl_buf_adds(&r, rel);
		rel = r.ptr;
	}
	/* a link cut short by a failed buffer would point elsewhere: leave it out */
	if (!fl_buf_failed(&href) && !fl_buf_failed(&r))
		fl_links_push_href(links, href.ptr, rel);
	fl_buf_release(&href);
	fl_buf_release(&r);
}
