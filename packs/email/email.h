/* SPDX-License-Identifier: Apache-2.0 */
/*
 * email.h - the Email pack: configuration, input decoding, SMTP delivery
 * through libcurl and the handler of command "SendEmail".
 *
 * Compatible with ExpediaGroup/flyte-email: input {"from","to":[...],
 * "subject","body","isHtmlEmail"}, event EmailSent (the input) or
 * SendEmailFailed (the input plus "Err"), FATAL "Could not unmarshal input
 * for 'SendEmail' command: ..." for input that is not such an object.  On
 * top of that: STARTTLS or SMTPS, optional AUTH, proper MIME (encoded
 * non-ASCII headers, Date, Message-ID, multipart/alternative), Cc and Bcc,
 * and header fields holding CR or LF refused.
 */
#ifndef EMAIL_PACK_H
#define EMAIL_PACK_H

#include "fl-common.h"

#include <flyte.h>
#include <jansson.h>

#include "buf.h"
#include "mime.h"

enum email_tls {
	EMAIL_TLS_NONE = 0, /* plain SMTP, like the original pack */
	EMAIL_TLS_STARTTLS, /* STARTTLS required before MAIL FROM */
	EMAIL_TLS_SMTPS     /* TLS from the first byte (port 465) */
};

struct email_config {
	char *server;   /* host:port */
	enum email_tls tls;
	char *ca_file;  /* NULL = system store */
	bool insecure;  /* do not verify the server certificate */
	char *username; /* NULL = no AUTH */
	char *password; /* secret: never logged */
	char *helo;     /* EHLO name, NULL = libcurl's default */
	long timeout_ms;
};

/*
 * Read SMTPSERVER (required), SMTP_TLS (none|starttls|smtps),
 * SMTP_CA_FILE, SMTP_INSECURE, SMTP_USERNAME, SMTP_PASSWORD or
 * SMTP_PASSWORD_FILE, SMTP_ALLOW_PLAINTEXT_AUTH, SMTP_HELO_NAME and
 * SMTP_TIMEOUT_SEC.  Returns 0, or -1 with a message in err (which never
 * contains the password).
 */
int email_config_from_env(struct email_config *cfg, char *err, size_t errlen);
void email_config_release(struct email_config *cfg);

/* A decoded SendEmail input. */
struct email_request {
	struct mime_addr from;
	struct mime_addr *rcpt; /* to, then cc, then bcc */
	size_t n_to, n_cc, n_bcc;
	const char *subject; /* borrowed from the JSON input */
	size_t subject_len;
	const char *body;
	size_t body_len;
	const char *text_body; /* NULL if absent */
	size_t text_body_len;
	bool is_html;
};

void email_request_release(struct email_request *r);

enum email_decode_result {
	EMAIL_DECODE_OK = 0,
	EMAIL_DECODE_FATAL = -1,  /* not the expected JSON shape: FATAL */
	EMAIL_DECODE_REFUSED = -2 /* well-formed but refused (CR/LF, bad address...): SendEmailFailed */
};

/*
 * Decode and check a SendEmail input object (borrowing strings from it).
 * Returns an enum email_decode_result; on failure err holds the reason.
 */
int email_request_decode(struct email_request *r, json_t *input, char *err, size_t errlen);

/*
 * Compose the message for r into b (fresh Date and random Message-ID).
 */
void email_compose(struct fl_buf *b, const struct email_request *r);

/*
 * Deliver a composed message to every recipient of r.  Returns 0, or -1
 * with the reason (libcurl's message, e.g. "RCPT failed: 550") in err.
 */
int email_send(const struct email_config *cfg, const struct email_request *r, const char *msg,
	       size_t msg_len, char *err, size_t errlen);

/* The handler of command "SendEmail"; payload is the struct email_config. */
int email_handler(const char *input, size_t len, struct flyte_result *out, void *payload);

#endif
