// SPDX-License-Identifier: Apache-2.0
/*
 * head.c - framing checks of a request head (see head.h for the rules).
 *
 * Runs on every request before routing, so it is a few table lookups per
 * byte of the field names and a byte scan of the values, no allocation.
 */
#include "fl-common.h"

#include <strings.h>

#include "http/head.h"

/* RFC 9110 §5.6.2 tchar: "!#$%&'*+-.^_`|~", DIGIT, ALPHA. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A field value byte: VCHAR, SP, HTAB or obs-text; never CR, LF, NUL or another control. */
static bool is_value_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool name_is(const char *name, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(name, lit, len) == 0;
}

void fl_head_check_init(struct fl_head_check *hc, const char *version)
{
	memset(hc, 0, sizeof(*hc));
	hc->http10 = version && strcmp(version, "HTTP/1.0") == 0;
	hc->http11 = version && strcmp(version, "HTTP/1.1") == 0;
}

/* Keep a printable copy of the field name for the message. */
static void keep_name(struct fl_head_check *hc, const char *name, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 1 < sizeof(hc->name); i++) {
		unsigned char c = (unsigned char)name[i];
		hc->name[n++] = c >= 0x21 && c < 0x7f ? (char)c : '?';
	}
	hc->name[n] = '\0';
}

static bool refuse(struct fl_head_check *hc, int status, const char *msg, const char *name, size_t len)
{
	if (!hc->status) {
		hc->status = status;
		hc->msg = msg;
		keep_name(hc, name, len);
	}
	return false;
}

bool fl_head_check_refuse(struct fl_head_check *hc, const char *msg, const char *name, size_t name_len)
{
	return refuse(hc, 400, msg, name ? name : "", name ? name_len : 0);
}

/* "chunked" alone is fine; a list ending in chunked is a coding we do not implement. */
static bool check_te(struct fl_head_check *hc, const char *v, size_t len)
{
	size_t end = len, start;

	while (end && (v[end - 1] == ' ' || v[end - 1] == '\t'))
		end--;
	start = end;
	while (start && v[start - 1] != ',' && v[start - 1] != ' ' && v[start - 1] != '\t')
		start--;
	if (end - start != 7 || strncasecmp(v + start, "chunked", 7) != 0)
		return refuse(hc, 400, "transfer coding other than chunked", "Transfer-Encoding", 17);
	for (size_t i = 0; i < start; i++)
		if (v[i] != ' ' && v[i] != '\t')
			return refuse(hc, 501, "transfer coding not implemented", "Transfer-Encoding", 17);
	return true;
}

bool fl_head_check_field(struct fl_head_check *hc, const char *name, size_t name_len, const char *value,
			 size_t value_len)
{
	if (hc->status)
		return false;
	if (!name_len)
		return refuse(hc, 400, "empty header name", "", 0);
	for (size_t i = 0; i < name_len; i++)
		if (!is_tchar((unsigned char)name[i]))
			return refuse(hc, 400, "invalid character in header name", name, name_len);
	for (size_t i = 0; i < value_len; i++)
		if (!is_value_byte((unsigned char)value[i]))
			return refuse(hc, 400, "control character in header value", name, name_len);
	switch (name_len) {
	case 4:
		if (name_is(name, name_len, "Host") && ++hc->n_host > 1)
			return refuse(hc, 400, "more than one header", name, name_len);
		break;
	case 14:
		if (name_is(name, name_len, "Content-Length") && ++hc->n_clen > 1)
			return refuse(hc, 400, "more than one header", name, name_len);
		break;
	case 17:
		if (name_is(name, name_len, "Transfer-Encoding")) {
			if (++hc->n_te > 1)
				return refuse(hc, 400, "more than one header", name, name_len);
			return check_te(hc, value, value_len);
		}
		break;
	default:
		break;
	}
	return true;
}

int fl_head_check_finish(struct fl_head_check *hc, char *buf, size_t len)
{
	if (!hc->status) {
		if (hc->n_te && hc->n_clen)
			refuse(hc, 400, "both Content-Length and Transfer-Encoding", "", 0);
		else if (hc->n_te && hc->http10)
			refuse(hc, 400, "Transfer-Encoding on an HTTP/1.0 request", "", 0);
		else if (hc->http11 && !hc->n_host)
			refuse(hc, 400, "HTTP/1.1 request without a Host header", "", 0);
	}
	if (!hc->status)
		return 0;
	if (buf && len) {
		const char *what = hc->status == 501 ? "unsupported request" : "malformed request head";
		if (hc->name[0])
			snprintf(buf, len, "%s: %s '%s'", what, hc->msg, hc->name);
		else
			snprintf(buf, len, "%s: %s", what, hc->msg);
	}
	return hc->status;
}

bool fl_head_target_ok(const char *target)
{
	for (const unsigned char *p = (const unsigned char *)target; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	return true;
}
