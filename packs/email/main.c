/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-email, the Email pack: sends the mail of each "SendEmail"
 * action over SMTP and answers EmailSent or SendEmailFailed (see email.c
 * and docs/packs/email.md).
 */
#include "fl-common.h"

#include <curl/curl.h>

#include "email.h"
#include "packutil.h"

static const char help[] =
	"usage: flyte-email\n"
	"Runs the Email pack (command SendEmail). Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)   flyte server URL (required)\n"
	"  FLYTE_LABELS                   pack labels, k=v,k=v\n"
	"  SMTPSERVER                     SMTP server host:port (required)\n"
	"  SMTP_TLS                       none (default), starttls or smtps\n"
	"  SMTP_CA_FILE                   PEM CA certificates to verify the server with\n"
	"  SMTP_INSECURE                  true: do not verify the server certificate\n"
	"  SMTP_USERNAME                  AUTH user name (AUTH is off when unset)\n"
	"  SMTP_PASSWORD                  AUTH password (secret, never logged)\n"
	"  SMTP_PASSWORD_FILE             file whose first line is the AUTH password\n"
	"  SMTP_ALLOW_PLAINTEXT_AUTH      true: allow AUTH without TLS\n"
	"  SMTP_HELO_NAME                 name sent with EHLO\n"
	"  SMTP_TIMEOUT_SEC               timeout of one delivery (default 30)\n"
	"  FLYTE_PACK_CONCURRENCY         mails sent at once (default 8)\n"
	"  FLYTE_API_TIMEOUT, FLYTE_JWT, FLYTE_LOG_LEVEL  see docs/packs.md\n";

static const char *const tls_names[] = { "none", "starttls", "smtps" };

int main(int argc, char **argv)
{
	struct email_config cfg = { 0 };
	struct flyte_command_def cmd = PACKUTIL_COMMAND("SendEmail", email_handler, "EmailSent", "SendEmailFailed");
	struct flyte_pack_def def = { .name = "Email", .commands = &cmd, .n_commands = 1 };
	struct packutil_session s = { 0 };
	char err[512];
	int rc = packutil_args(argc, argv, "flyte-email", help);

	if (rc >= 0)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return packutil_fail("flyte-email", "cannot initialise libcurl");
	rc = 1;
	if (email_config_from_env(&cfg, err, sizeof(err))) {
		packutil_fail("flyte-email", err);
		goto out;
	}
	if (packutil_open(&s, "flyte-email", &def, &cfg, 0))
		goto out;
	fprintf(stderr, "flyte-email: SMTP server %s, TLS %s, AUTH %s\n", cfg.server, tls_names[cfg.tls],
		cfg.username ? "as configured user" : "off");
	rc = packutil_run(s.pack, "flyte-email");
out:
	packutil_close(&s);
	email_config_release(&cfg);
	curl_global_cleanup();
	return rc;
}
