// SPDX-License-Identifier: Apache-2.0
/*
 * head_fuzz.c - fuzz target for the request framing checks (head.c).
 *
 * The input is a raw request head as a client would send it.  It is cut
 * into lines at CRLF the way an HTTP parser would and each "name: value"
 * line is fed to the checker.  Besides not crashing, the verdict must
 * agree with a plain recount: an accepted head has at most one
 * Content-Length, at most one Transfer-Encoding, never both, and only
 * token characters in its names.
 */
#include "fl-common.h"

#include <strings.h>

#include "http/head.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool token_name(const char *p, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c && strchr("!#$%&'*+-.^_`|~", c))))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *eol;
	char version[16] = "";
	char msg[160];
	struct fl_head_check hc;
	unsigned n_cl = 0, n_te = 0;
	bool names_ok = true, fed_all = true;
	int status;

	/* request line: the version is its last space-separated word */
	eol = memmem(p, size, "\r\n", 2);
	if (!eol)
		return 0;
	{
		const char *sp = eol;
		while (sp > p && sp[-1] != ' ')
			sp--;
		snprintf(version, sizeof(version), "%.*s", (int)FL_MIN((size_t)(eol - sp), sizeof(version) - 1), sp);
	}
	fl_head_check_init(&hc, version);
	for (p = eol + 2; p < end; p = eol + 2) {
		const char *colon, *v;
		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if (!eol || eol == p)
			break;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			break;
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		names_ok = names_ok && token_name(p, (size_t)(colon - p));
		if ((size_t)(colon - p) == 14 && strncasecmp(p, "Content-Length", 14) == 0)
			n_cl++;
		if ((size_t)(colon - p) == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0)
			n_te++;
		if (!fl_head_check_field(&hc, p, (size_t)(colon - p), v, (size_t)(eol - v))) {
			fed_all = false;
			break;
		}
	}
	status = fl_head_check_finish(&hc, msg, sizeof(msg));
	if (status != 0 && status != 400 && status != 501)
		abort();
	if (status == 0 && (!fed_all || !names_ok || n_cl > 1 || n_te > 1 || (n_cl && n_te)))
		abort();
	if (status && !msg[0])
		abort();
	return 0;
}
