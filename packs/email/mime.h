/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime.h - the Email pack's message composer: address parsing, RFC 2047
 * header encoding and the RFC 5322 / MIME message itself.
 *
 * Everything here is pure (no I/O, no globals): the caller supplies the
 * time, the random Message-ID and boundary tokens, so the output is
 * reproducible in tests and fuzzing.  Text that would end up in a header
 * is refused when it holds a CR, LF or another control character, so no
 * input can add a header or start the body early.
 */
#ifndef EMAIL_MIME_H
#define EMAIL_MIME_H

#include "fl-common.h"

#include "buf.h"

/* Longest addr-spec accepted (RFC 5321 path limit minus the brackets). */
#define MIME_ADDR_MAX 254
/* Longest display name or subject accepted, in bytes. */
#define MIME_TEXT_MAX 4096

/* One parsed mailbox: `Display Name <local@domain>` or `local@domain`. */
struct mime_addr {
	char addr[MIME_ADDR_MAX + 1]; /* the addr-spec, for the SMTP envelope */
	char *name;                   /* display name (unquoted, UTF-8) or NULL; owned */
};

void mime_addr_release(struct mime_addr *a);

/*
 * Parse one mailbox.  Accepts `local@domain`, `Name <local@domain>` and
 * `"Quoted, Name" <local@domain>`; the addr-spec must be printable ASCII
 * without spaces or the specials ()<>[]\,;:" and have one '@' with text on
 * both sides.  Control characters (CR and LF among them) anywhere are
 * refused.  Returns 0, or -1 with a reason in err.
 */
int mime_addr_parse(struct mime_addr *out, const char *text, size_t len, char *err, size_t errlen);

/*
 * Append `text` as the value of an unstructured header (Subject): as is
 * when it is short printable ASCII, otherwise as RFC 2047 "B" encoded
 * words of at most 75 characters, never splitting a UTF-8 character,
 * folded onto continuation lines.  `used` is the length of the header
 * line so far ("Subject: " = 9).  The text must be valid UTF-8 without
 * control characters (checked by mime_check_header_text).
 */
void mime_add_unstructured(struct fl_buf *b, const char *text, size_t len, size_t used);

/* Append a mailbox as it appears in From/To/Cc (display name quoted or encoded). */
void mime_add_mailbox(struct fl_buf *b, const struct mime_addr *a);

/*
 * Check text destined for a header: valid UTF-8, no control characters
 * (CR, LF, NUL, tab...), at most MIME_TEXT_MAX bytes.  Returns 0 or -1
 * with a reason in err ("contains a line break", ...).
 */
int mime_check_header_text(const char *text, size_t len, char *err, size_t errlen);

struct mime_message {
	const struct mime_addr *from;
	const struct mime_addr *to;
	size_t n_to;
	const struct mime_addr *cc;
	size_t n_cc;
	const char *subject;
	size_t subject_len;
	const char *body;      /* main body: HTML when is_html, else plain text */
	size_t body_len;
	const char *text_body; /* plain alternative of an HTML body, or NULL */
	size_t text_body_len;
	bool is_html;
	int64_t date_sec;      /* Unix time of the Date header */
	const char *token;     /* random hex, used in Message-ID and the boundary */
};

/*
 * Compose the whole message (headers, blank line, body) with CRLF line
 * ends into b.  Bodies are UTF-8 text sent base64-encoded in lines of 76
 * characters; an HTML body with a text alternative becomes
 * multipart/alternative (plain first, HTML second).  Bcc recipients are
 * never written.  The caller has validated every header field.
 */
void mime_compose(struct fl_buf *b, const struct mime_message *m);

#endif
