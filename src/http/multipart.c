// SPDX-License-Identifier: Apache-2.0
/*
 * multipart.c - incremental multipart/form-data parser used by the
 * datastore PUT endpoint.
 *
 * The delimiter "\r\n--<boundary>" is matched byte by byte; because '\r'
 * occurs only at its start (boundaries cannot contain CR), a failed partial
 * match can be released as data without re-scanning.  The body is treated
 * as if preceded by CRLF so that a leading "--<boundary>" matches too.
 */
#include "fl-common.h"

#include <strings.h>

#include "http/multipart.h"

enum {
	ST_PREAMBLE = 0, /* before the first delimiter; data is discarded */
	ST_AFTER,        /* just after a delimiter: "--" or padding + CRLF */
	ST_HEADERS,      /* part headers up to the empty line */
	ST_BODY,         /* part data */
	ST_DONE,         /* closing delimiter seen; the epilogue is ignored */
	ST_ERROR,
};

/* ------------------------------------------------------ header values */

static bool is_bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       strchr("'()+_,-./:=? ", c) != NULL;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * Iterate over the ";"-separated parameters of a header value.  *pp points
 * after the media type or previous parameter; the name and the value
 * (unquoted into val) are returned.  false at the end or on malformed input
 * (then *bad is set).
 */
static bool next_param(const char **pp, const char *end, const char **name, size_t *name_len, char *val,
		       size_t val_max, bool *bad)
{
	const char *p = skip_ws(*pp, end);
	size_t n = 0;

	*bad = false;
	if (p >= end)
		return false;
	if (*p != ';') {
		*bad = true;
		return false;
	}
	p = skip_ws(p + 1, end);
	*name = p;
	while (p < end && *p != '=' && *p != ';' && *p != ' ' && *p != '\t')
		p++;
	*name_len = (size_t)(p - *name);
	p = skip_ws(p, end);
	val[0] = '\0';
	if (p < end && *p == '=') {
		p = skip_ws(p + 1, end);
		if (p < end && *p == '"') {
			p++;
			while (p < end && *p != '"') {
				if (*p == '\\' && p + 1 < end)
					p++;
				if (n + 1 >= val_max) {
					*bad = true;
					return false;
				}
				val[n++] = *p++;
			}
			if (p >= end) {
				*bad = true;
				return false;
			}
			p++;
		} else {
			while (p < end && *p != ';' && *p != ' ' && *p != '\t') {
				if (n + 1 >= val_max) {
					*bad = true;
					return false;
				}
				val[n++] = *p++;
			}
		}
		val[n] = '\0';
	}
	*pp = p;
	return true;
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

int fl_multipart_init(struct fl_multipart *mp, const char *content_type, const struct fl_multipart_cb *cb,
		      void *payload, struct fl_error *err)
{
	static const char media[] = "multipart/form-data";
	const char *p, *end, *name;
	size_t name_len, blen = 0;
	char val[FL_MULTIPART_MAX_BOUNDARY + 2];
	bool bad = false, found = false;

	memset(mp, 0, sizeof(*mp));
	mp->cb = cb;
	mp->payload = payload;
	mp->state = ST_ERROR;
	if (!content_type)
		return fl_error_set(err, FL_EINVALID, "request body is not multipart/form-data");
	end = content_type + strlen(content_type);
	p = skip_ws(content_type, end);
	if ((size_t)(end - p) < sizeof(media) - 1 || strncasecmp(p, media, sizeof(media) - 1) != 0)
		return fl_error_set(err, FL_EINVALID, "request body is not multipart/form-data");
	p += sizeof(media) - 1;
	while (next_param(&p, end, &name, &name_len, val, sizeof(val), &bad)) {
		if (!name_is(name, name_len, "boundary"))
			continue;
		blen = strlen(val);
		found = true;
	}
	if (bad || !found || blen == 0 || blen > FL_MULTIPART_MAX_BOUNDARY || val[blen - 1] == ' ')
		return fl_error_set(err, FL_EINVALID, "multipart/form-data needs a valid boundary parameter");
	for (size_t i = 0; i < blen; i++)
		if (!is_bchar((unsigned char)val[i]))
			return fl_error_set(err, FL_EINVALID, "multipart/form-data needs a valid boundary parameter");
	memcpy(mp->delim, "\r\n--", 4);
	memcpy(mp->delim + 4, val, blen);
	mp->delim_len = 4 + blen;
	mp->match = 2; /* as if the body started after a CRLF */
	mp->state = ST_PREAMBLE;
	return FL_OK;
}

static void copy_bounded(char *dst, size_t dstlen, const char *src)
{
	snprintf(dst, dstlen, "%s", src);
}

/* Parse the collected header block (without the final empty line). */
static int parse_headers(struct fl_multipart *mp, struct fl_error *err)
{
	const char *p = mp->hdr, *end = mp->hdr + mp->hdr_len;

	memset(&mp->part, 0, sizeof(mp->part));
	while (p < end) {
		const char *eol = memchr(p, '\r', (size_t)(end - p));
		const char *line_end = eol ? eol : end, *colon = memchr(p, ':', (size_t)(line_end - p));
		const char *v;
		size_t name_len;

		if (!colon)
			return fl_error_set(err, FL_EINVALID, "malformed multipart part header");
		name_len = (size_t)(colon - p);
		v = skip_ws(colon + 1, line_end);
		if (name_is(p, name_len, "Content-Disposition")) {
			static const char fd[] = "form-data";
			const char *q = v, *pname;
			size_t pname_len;
			char val[256];
			bool bad = false;

			if ((size_t)(line_end - q) < sizeof(fd) - 1 || strncasecmp(q, fd, sizeof(fd) - 1) != 0)
				return fl_error_set(err, FL_EINVALID, "multipart part is not form-data");
			q += sizeof(fd) - 1;
			while (next_param(&q, line_end, &pname, &pname_len, val, sizeof(val), &bad)) {
				if (name_is(pname, pname_len, "name"))
					copy_bounded(mp->part.name, sizeof(mp->part.name), val);
				else if (name_is(pname, pname_len, "filename")) {
					copy_bounded(mp->part.filename, sizeof(mp->part.filename), val);
					mp->part.has_filename = true;
				}
			}
			if (bad)
				return fl_error_set(err, FL_EINVALID, "malformed multipart Content-Disposition");
		} else if (name_is(p, name_len, "Content-Type")) {
			size_t n = (size_t)(line_end - v);
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			if (n >= sizeof(mp->part.content_type))
				return fl_error_set(err, FL_EINVALID, "multipart part Content-Type is too long");
			memcpy(mp->part.content_type, v, n);
			mp->part.content_type[n] = '\0';
		}
		p = eol ? eol + 2 : end;
	}
	return FL_OK;
}

/* Release part data to the callback (nothing in the preamble). */
static int emit(struct fl_multipart *mp, const char *p, size_t n)
{
	if (mp->state != ST_BODY || n == 0 || !mp->cb->part_data)
		return FL_OK;
	return mp->cb->part_data(mp->payload, p, n);
}

static int fail(struct fl_multipart *mp, struct fl_error *err, int rc, const char *msg)
{
	mp->state = ST_ERROR;
	if (msg)
		return fl_error_set(err, rc, "%s", msg);
	return rc;
}

int fl_multipart_feed(struct fl_multipart *mp, const char *p, size_t n, struct fl_error *err)
{
	size_t i = 0, run = 0;
	int rc;

	while (i < n) {
		char c = p[i];

		switch (mp->state) {
		case ST_PREAMBLE:
		case ST_BODY:
			if (c == mp->delim[mp->match]) {
				if (mp->match == 0) {
					rc = emit(mp, p + run, i - run);
					if (rc)
						return fail(mp, err, rc, NULL);
				}
				i++;
				if (++mp->match == mp->delim_len) {
					if (mp->state == ST_BODY && mp->cb->part_end) {
						rc = mp->cb->part_end(mp->payload);
						if (rc)
							return fail(mp, err, rc, NULL);
					}
					mp->match = 0;
					mp->after = 0;
					mp->state = ST_AFTER;
				}
				run = i;
				continue;
			}
			if (mp->match) {
				/* the held-back bytes were a prefix of the delimiter */
				size_t held = mp->match;
				mp->match = 0;
				rc = emit(mp, mp->delim, held);
				if (rc)
					return fail(mp, err, rc, NULL);
				run = i;
				continue; /* re-examine c from match 0 */
			}
			i++;
			break;
		case ST_AFTER:
			i++;
			if (mp->after == 0 && c == '-') {
				mp->after = 1;
			} else if (mp->after == 1) {
				if (c != '-')
					return fail(mp, err, FL_EINVALID, "malformed multipart delimiter");
				mp->state = ST_DONE;
			} else if (c == ' ' || c == '\t') {
				if (mp->after == 2)
					return fail(mp, err, FL_EINVALID, "malformed multipart delimiter");
			} else if (c == '\r' && mp->after == 0) {
				mp->after = 2;
			} else if (c == '\n' && mp->after == 2) {
				if (++mp->parts > FL_MULTIPART_MAX_PARTS)
					return fail(mp, err, FL_EINVALID, "multipart body has too many parts");
				mp->hdr_len = 0;
				mp->state = ST_HEADERS;
			} else {
				return fail(mp, err, FL_EINVALID, "malformed multipart delimiter");
			}
			run = i;
			break;
		case ST_HEADERS:
			i++;
			if (mp->hdr_len == sizeof(mp->hdr))
				return fail(mp, err, FL_EINVALID, "multipart part headers are too large");
			mp->hdr[mp->hdr_len++] = c;
			if (c == '\n' && (mp->hdr_len == 2 || (mp->hdr_len >= 4 &&
							       memcmp(mp->hdr + mp->hdr_len - 4, "\r\n\r\n", 4) == 0))) {
				mp->hdr_len = mp->hdr_len == 2 ? 0 : mp->hdr_len - 4;
				if (mp->hdr_len == 0 && memcmp(mp->hdr, "\r\n", 2) != 0)
					return fail(mp, err, FL_EINVALID, "malformed multipart part header");
				rc = parse_headers(mp, err);
				if (rc)
					return fail(mp, err, rc, NULL);
				if (mp->cb->part_begin) {
					rc = mp->cb->part_begin(mp->payload, &mp->part);
					if (rc)
						return fail(mp, err, rc, NULL);
				}
				mp->state = ST_BODY;
				mp->match = 0;
			}
			run = i;
			break;
		case ST_DONE:
			return FL_OK;
		default:
			return fl_error_set(err, FL_EINVALID, "malformed multipart body");
		}
	}
	if ((mp->state == ST_BODY || mp->state == ST_PREAMBLE) && mp->match == 0) {
		rc = emit(mp, p + run, n - run);
		if (rc)
			return fail(mp, err, rc, NULL);
	}
	return FL_OK;
}

int fl_multipart_finish(struct fl_multipart *mp, struct fl_error *err)
{
	if (mp->state == ST_DONE)
		return FL_OK;
	return fl_error_set(err, FL_EINVALID, "multipart body is truncated (no closing boundary)");
}
