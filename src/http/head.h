/* SPDX-License-Identifier: Apache-2.0 */
/*
 * head.h - framing checks of a request head, field by field.
 *
 * libmicrohttpd 0.9.75 accepts heads that a proxy in front of flyte may
 * read differently (request smuggling): two Content-Length fields, both
 * Content-Length and Transfer-Encoding, chunked bodies on HTTP/1.0,
 * control characters in values, spaces in field names, unknown transfer
 * codings.  The transport feeds every header field (name and value as
 * received, with their lengths) to fl_head_check_field() and asks
 * fl_head_check_finish() for the verdict before any body byte is read.
 *
 * The checker never allocates and keeps no pointer to the fields.  Rules
 * (RFC 9112 §2.2, §3.2, §6.1-6.3, RFC 9110 §5.1, §5.5):
 *  - a field name is a non-empty token (no space, no ':', no control);
 *  - a field value has no control character other than HTAB (so no CR,
 *    LF or NUL);
 *  - at most one Content-Length, one Transfer-Encoding and one Host;
 *  - Transfer-Encoding must be exactly "chunked" (any case): a list that
 *    ends with chunked is 501 (coding not implemented), anything else 400;
 *  - not both Content-Length and Transfer-Encoding;
 *  - no Transfer-Encoding on HTTP/1.0;
 *  - HTTP/1.1 requires Host.
 */
#ifndef FL_HEAD_H
#define FL_HEAD_H

#include "fl-common.h"

struct fl_head_check {
	bool http10;      /* HTTP/1.0 request */
	bool http11;      /* HTTP/1.1 request (Host required) */
	unsigned n_clen;  /* Content-Length fields */
	unsigned n_te;    /* Transfer-Encoding fields */
	unsigned n_host;  /* Host fields */
	int status;       /* first refusal: 400 or 501; 0 = none yet */
	const char *msg;  /* static text of the first refusal */
	char name[48];    /* the offending field name (truncated, sanitised) */
};

/* Start checking a head whose request line carried `version` ("HTTP/1.1"). */
void fl_head_check_init(struct fl_head_check *hc, const char *version);

/*
 * One header field as received.  Returns false once the head is refused
 * (the rest of the fields need not be fed).
 */
bool fl_head_check_field(struct fl_head_check *hc, const char *name, size_t name_len, const char *value,
			 size_t value_len);

/*
 * Refuse the head for a reason found by the transport itself (a field
 * line not ended by CRLF, an obsolete line folding...).  Returns false.
 */
bool fl_head_check_refuse(struct fl_head_check *hc, const char *msg, const char *name, size_t name_len);

/*
 * After the last field: 0 when the framing is acceptable, else the status
 * (400 or 501) and a one-line message in buf (at most len bytes).
 */
int fl_head_check_finish(struct fl_head_check *hc, char *buf, size_t len);

/*
 * A request target as received: no byte below 0x21 (space, controls) and
 * no DEL.  Returns true when acceptable.
 */
bool fl_head_target_ok(const char *target);

#endif
