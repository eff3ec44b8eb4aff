/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_email.c - the Email pack against a real SMTP server.
 *
 * Every case goes flow -> action -> flyte-email -> SMTP server -> result
 * event, through the real flyte server (tests/harness) and the real pack
 * binary.  The SMTP server is Debian's aiosmtpd driven by smtpd.py, on a
 * port the kernel picks, with a certificate made by openssl at test time;
 * it stores each message decoded by Python's email package, which the
 * cases read back: headers (RFC 2047 subject and names, To list, Date,
 * Message-ID), UTF-8 and HTML+plain bodies, envelope recipients (Bcc
 * included, never in the headers), TLS and AUTH state.  The failures:
 * AUTH refused, a recipient refused, nothing listening, STARTTLS missing,
 * an unverifiable certificate, and header injection through every field.
 */
#include "fl-common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fltest.h"
#include "harness.h"
#include "pkt.h"

static struct flh_server *srv;
static char cert[256], key[256];

struct smtpd {
	pid_t pid;
	int port;
	char dir[256];
	char log[64];
};

static void setup(void)
{
	pkt_kill_all(); /* what a failed case left running */
	if (!srv)
		FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
	if (!cert[0]) {
		char subj[] = "/CN=localhost", *out = NULL;
		const char *argv[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
				       "-days", "1", "-subj", subj, "-addext",
				       "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout",
				       pkt_path("smtp-key.pem"), "-out", pkt_path("smtp-cert.pem"), NULL };
		int rc = pkt_run(argv, NULL, 60000, &out);
		FLH_ASSERT_MSG(rc == 0, "openssl req failed (%d): %s", rc, out);
		free(out);
		snprintf(cert, sizeof(cert), "%s", pkt_path("smtp-cert.pem"));
		snprintf(key, sizeof(key), "%s", pkt_path("smtp-key.pem"));
	}
}

/* Start smtpd.py in its own directory; mode plain|starttls|smtps; auth "user:pw" or NULL. */
static void smtpd_start(struct smtpd *s, const char *name, const char *mode, const char *auth)
{
	const char *argv[12];
	char *port = NULL;
	size_t n = 0;
	bool ok;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", pkt_path("smtp-%s", name));
	snprintf(s->log, sizeof(s->log), "smtp-%s.log", name);
	FLH_ASSERT(mkdir(s->dir, 0755) == 0);
	argv[n++] = getenv("PACKS_PYTHON");
	argv[n++] = getenv("PACKS_SMTPD");
	argv[n++] = s->dir;
	argv[n++] = "--mode";
	argv[n++] = mode;
	if (strcmp(mode, "plain")) {
		argv[n++] = "--cert";
		argv[n++] = cert;
		argv[n++] = "--key";
		argv[n++] = key;
	}
	if (auth) {
		argv[n++] = "--auth";
		argv[n++] = auth;
	}
	argv[n] = NULL;
	FLH_ASSERT_MSG(argv[0] && argv[1], "PACKS_PYTHON and PACKS_SMTPD must be set");
	s->pid = pkt_spawn(argv, NULL, s->log);
	FLH_ASSERT(s->pid > 0);
	FLH_WAIT_FOR(ok, 20000, !pkt_alive(s->pid) || (port = pkt_read_file(pkt_path("smtp-%s/port", name))));
	if (!ok || !port) {
		pkt_log_tail(s->log, 30);
		FLH_FAIL("smtpd.py did not start (is python3-aiosmtpd installed?)");
	}
	s->port = (int)strtol(port, NULL, 10);
	free(port);
	FLH_ASSERT(s->port > 0);
}

static void smtpd_stop(struct smtpd *s)
{
	if (s->pid > 0)
		FLH_EQ_INT(pkt_stop(s->pid, 10000), 0);
	s->pid = 0;
}

/* Message n (1-based) as stored by smtpd.py, or NULL if there is none. */
static json_t *mail(const struct smtpd *s, int n)
{
	char path[300], *text;
	json_t *j;

	snprintf(path, sizeof(path), "%s/mail-%d.json", s->dir, n);
	text = pkt_read_file(path);
	if (!text)
		return NULL;
	j = json_loads(text, 0, NULL);
	free(text);
	return j;
}

static pid_t email_pack(const struct smtpd *s, const char *const *extra, const char *logname)
{
	char server[64];
	const char *env[16];
	size_t n = 0;
	pid_t pid;

	snprintf(server, sizeof(server), "SMTPSERVER=127.0.0.1:%d", s->port);
	env[n++] = server;
	env[n++] = "SMTP_TIMEOUT_SEC=20";
	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		env[n++] = extra[i];
	env[n] = NULL;
	pid = pkt_pack_start(srv, getenv("FLYTE_EMAIL_BIN"), "Email", env, logname);
	FLH_ASSERT(pid > 0);
	return pid;
}

static json_t *send_mail(const char *input)
{
	json_t *a = pkt_action(srv, "Email", "SendEmail", input, 30000);
	FLH_ASSERT_MSG(a != NULL, "the SendEmail action did not complete");
	return a;
}

static const char *result_event(json_t *a)
{
	return flh_json_str(a, "result.event");
}

static const char *header(json_t *m, const char *name)
{
	return json_string_value(json_array_get(json_object_get(json_object_get(m, "headers"), name), 0));
}

/* Every line of the raw header block is at most 76 characters and none is bare CR or LF. */
static void check_header_lines(json_t *m)
{
	const char *raw = json_string_value(json_object_get(m, "raw"));
	const char *end = raw ? strstr(raw, "\r\n\r\n") : NULL;

	FLH_ASSERT(end != NULL);
	for (const char *p = raw; p < end;) {
		const char *eol = strstr(p, "\r\n");
		FLH_ASSERT_MSG(eol - p <= 76, "header line longer than 76: %.*s", (int)(eol - p), p);
		FLH_ASSERT(!memchr(p, '\n', (size_t)(eol - p)) && !memchr(p, '\r', (size_t)(eol - p)));
		p = eol + 2;
	}
}

static const char rich_input[] =
	"{\"from\":\"Flyte Bot <bot@example.org>\","
	"\"to\":[\"alice@example.org\",\"Zoë Ünicode <zoe@example.org>\",\"\\\"Smith, Bob\\\" <bob@example.org>\"],"
	"\"cc\":[\"carol@example.org\"],\"bcc\":[\"dave@example.org\"],"
	"\"subject\":\"Déploiement réussi ✓ — a subject long enough to need several encoded words 🚀\","
	"\"body\":\"<p>Hello <b>world</b> ✓</p>\",\"textBody\":\"Hello world ✓\\nsecond line\","
	"\"isHtmlEmail\":true}";

FLT_TEST(delivers_mime_mail_to_every_recipient)
{
	struct smtpd s;
	json_t *a, *m, *parts, *rcpt, *in;
	pid_t pack;

	setup();
	smtpd_start(&s, "plain", "plain", NULL);
	pack = email_pack(&s, NULL, "email-plain.log");

	a = send_mail(rich_input);
	FLH_EQ_STR(flh_json_str(a, "state.value"), "SUCCESS");
	FLH_EQ_STR(result_event(a), "EmailSent");
	/* EmailSent is the input object */
	in = json_loads(rich_input, 0, NULL);
	FLH_JSON_SAME(flh_json_get(a, "result.payload"), in, false);
	json_decref(in);

	m = mail(&s, 1);
	FLH_ASSERT(m != NULL);
	FLH_EQ_STR(flh_json_str(m, "mail_from"), "bot@example.org");
	rcpt = json_object_get(m, "rcpt_tos");
	FLH_EQ_INT(json_array_size(rcpt), 5);
	FLH_EQ_STR(json_string_value(json_array_get(rcpt, 0)), "alice@example.org");
	FLH_EQ_STR(json_string_value(json_array_get(rcpt, 1)), "zoe@example.org");
	FLH_EQ_STR(json_string_value(json_array_get(rcpt, 2)), "bob@example.org");
	FLH_EQ_STR(json_string_value(json_array_get(rcpt, 3)), "carol@example.org");
	FLH_EQ_STR(json_string_value(json_array_get(rcpt, 4)), "dave@example.org");
	/* headers as decoded by Python's email package */
	FLH_EQ_STR(header(m, "subject"),
		   "Déploiement réussi ✓ — a subject long enough to need several encoded words 🚀");
	FLH_EQ_STR(header(m, "from"), "Flyte Bot <bot@example.org>");
	FLH_EQ_STR(header(m, "to"), "alice@example.org, Zoë Ünicode <zoe@example.org>, \"Smith, Bob\" <bob@example.org>");
	FLH_EQ_STR(header(m, "cc"), "carol@example.org");
	FLH_ASSERT(header(m, "bcc") == NULL);
	FLH_ASSERT(!strstr(flh_json_str(m, "raw"), "dave@"));
	FLH_EQ_STR(header(m, "mime-version"), "1.0");
	FLH_ASSERT(header(m, "date") && strstr(header(m, "date"), " +0000"));
	FLH_ASSERT(header(m, "message-id") && strstr(header(m, "message-id"), "@example.org>"));
	FLH_ASSERT(strstr(flh_json_str(m, "raw"), "Subject: =?UTF-8?B?"));
	FLH_ASSERT(strstr(header(m, "content-type"), "multipart/alternative"));
	check_header_lines(m);
	FLH_EQ_INT(json_array_size(json_object_get(m, "defects")), 0);
	/* plain first, HTML second, both UTF-8 */
	parts = json_object_get(m, "parts");
	FLH_EQ_INT(json_array_size(parts), 2);
	FLH_EQ_STR(flh_json_str(parts, "0.type"), "text/plain");
	FLH_EQ_STR(flh_json_str(parts, "0.charset"), "utf-8");
	FLH_EQ_STR(flh_json_str(parts, "0.text"), "Hello world ✓\nsecond line");
	FLH_EQ_STR(flh_json_str(parts, "1.type"), "text/html");
	FLH_EQ_STR(flh_json_str(parts, "1.text"), "<p>Hello <b>world</b> ✓</p>");
	FLH_ASSERT(json_is_false(json_object_get(m, "tls")));
	json_decref(m);
	json_decref(a);

	/* the original pack's input shape: one part, text or HTML */
	a = send_mail("{\"from\":\"ops@example.org\",\"to\":[\"team@example.org\"],\"subject\":\"plain\","
		      "\"body\":\"line 1\\nline 2\",\"isHtmlEmail\":false}");
	FLH_EQ_STR(result_event(a), "EmailSent");
	json_decref(a);
	m = mail(&s, 2);
	FLH_ASSERT(m != NULL);
	FLH_EQ_STR(header(m, "subject"), "plain");
	FLH_ASSERT(strstr(flh_json_str(m, "raw"), "\r\nSubject: plain\r\n"));
	FLH_EQ_INT(json_array_size(json_object_get(m, "parts")), 1);
	FLH_EQ_STR(flh_json_str(m, "parts.0.type"), "text/plain");
	FLH_EQ_STR(flh_json_str(m, "parts.0.text"), "line 1\nline 2");
	json_decref(m);
	a = send_mail("{\"from\":\"ops@example.org\",\"to\":\"team@example.org\",\"subject\":\"html\","
		      "\"body\":\"<h1>Done</h1>\",\"isHtmlEmail\":true}");
	FLH_EQ_STR(result_event(a), "EmailSent");
	json_decref(a);
	m = mail(&s, 3);
	FLH_ASSERT(m != NULL);
	FLH_EQ_STR(flh_json_str(m, "parts.0.type"), "text/html");
	FLH_EQ_STR(flh_json_str(m, "parts.0.text"), "<h1>Done</h1>");
	FLH_EQ_STR(json_string_value(json_array_get(json_object_get(m, "rcpt_tos"), 0)), "team@example.org");
	json_decref(m);

	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
	smtpd_stop(&s);
}

static void expect_failed(json_t *a, const char *err_part)
{
	const char *err = flh_json_str(a, "result.payload.Err");

	FLH_EQ_STR(flh_json_str(a, "state.value"), "SUCCESS");
	FLH_EQ_STR(result_event(a), "SendEmailFailed");
	FLH_ASSERT_MSG(err && strstr(err, err_part), "Err '%s' does not contain '%s'", err ? err : "(none)",
		       err_part);
}

FLT_TEST(starttls_with_auth)
{
	struct smtpd s;
	char ca[300];
	const char *good[] = { "SMTP_TLS=starttls", ca, "SMTP_USERNAME=mailer", "SMTP_PASSWORD=s3cr3t-Pw!", NULL };
	const char *bad[] = { "SMTP_TLS=starttls", ca, "SMTP_USERNAME=mailer", "SMTP_PASSWORD=wrong-Pw", NULL };
	char *log;
	json_t *a, *m;
	pid_t pack;

	setup();
	snprintf(ca, sizeof(ca), "SMTP_CA_FILE=%s", cert);
	smtpd_start(&s, "auth", "starttls", "mailer:s3cr3t-Pw!");

	pack = email_pack(&s, good, "email-auth.log");
	a = send_mail("{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"over TLS\",\"body\":\"x\"}");
	FLH_EQ_STR(result_event(a), "EmailSent");
	json_decref(a);
	m = mail(&s, 1);
	FLH_ASSERT(m != NULL);
	FLH_ASSERT(json_is_true(json_object_get(m, "tls")));
	FLH_EQ_STR(flh_json_str(m, "auth_user"), "mailer");
	json_decref(m);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);

	/* a wrong password: SendEmailFailed with the original keys plus Err, nothing delivered */
	pack = email_pack(&s, bad, "email-badauth.log");
	a = send_mail("{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"s\",\"body\":\"x\","
		      "\"isHtmlEmail\":false}");
	expect_failed(a, "Login denied");
	FLH_EQ_STR(flh_json_str(a, "result.payload.from"), "a@example.org");
	FLH_EQ_STR(flh_json_str(a, "result.payload.to.0"), "b@example.org");
	FLH_EQ_STR(flh_json_str(a, "result.payload.subject"), "s");
	FLH_ASSERT(json_is_false(flh_json_get(a, "result.payload.isHtmlEmail")));
	json_decref(a);
	FLH_ASSERT(mail(&s, 2) == NULL);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);

	/* the password never reaches the pack's log, even at debug level */
	log = pkt_read_file(pkt_path("email-auth.log"));
	FLH_ASSERT(log && !strstr(log, "s3cr3t"));
	free(log);
	log = pkt_read_file(pkt_path("email-badauth.log"));
	FLH_ASSERT(log && !strstr(log, "wrong-Pw"));
	free(log);
	smtpd_stop(&s);
}

FLT_TEST(smtps_and_certificate_checks)
{
	struct smtpd s, plain;
	char ca[300];
	const char *smtps[] = { "SMTP_TLS=smtps", ca, NULL };
	const char *unverified[] = { "SMTP_TLS=smtps", NULL };
	const char *starttls[] = { "SMTP_TLS=starttls", ca, NULL };
	json_t *a, *m;
	pid_t pack;

	setup();
	snprintf(ca, sizeof(ca), "SMTP_CA_FILE=%s", cert);
	smtpd_start(&s, "smtps", "smtps", NULL);
	pack = email_pack(&s, smtps, "email-smtps.log");
	a = send_mail("{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"implicit TLS\",\"body\":\"x\"}");
	FLH_EQ_STR(result_event(a), "EmailSent");
	json_decref(a);
	m = mail(&s, 1);
	FLH_ASSERT(m != NULL && json_is_true(json_object_get(m, "tls")));
	FLH_EQ_STR(header(m, "subject"), "implicit TLS");
	json_decref(m);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);

	/* the test certificate is not in the system store: refused without SMTP_CA_FILE */
	pack = email_pack(&s, unverified, "email-unverified.log");
	a = send_mail("{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"s\",\"body\":\"x\"}");
	expect_failed(a, "certificate");
	json_decref(a);
	FLH_ASSERT(mail(&s, 2) == NULL);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
	smtpd_stop(&s);

	/* STARTTLS required but the server does not offer it: no clear-text fallback */
	smtpd_start(&plain, "notls", "plain", NULL);
	pack = email_pack(&plain, starttls, "email-notls.log");
	a = send_mail("{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"s\",\"body\":\"x\"}");
	FLH_EQ_STR(result_event(a), "SendEmailFailed");
	json_decref(a);
	FLH_ASSERT(mail(&plain, 1) == NULL);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
	smtpd_stop(&plain);
}

FLT_TEST(refused_recipient_and_server_down)
{
	struct smtpd s;
	json_t *a;
	pid_t pack;

	setup();
	smtpd_start(&s, "refuse", "plain", NULL);
	pack = email_pack(&s, NULL, "email-refuse.log");
	a = send_mail("{\"from\":\"a@example.org\",\"to\":[\"b@example.org\",\"nobody@example.org\"],"
		      "\"subject\":\"s\",\"body\":\"x\"}");
	expect_failed(a, "550");
	json_decref(a);
	FLH_ASSERT(mail(&s, 1) == NULL);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);

	/* the server goes away: the action fails with the reason, the pack stays up */
	smtpd_stop(&s);
	pack = email_pack(&s, NULL, "email-down.log");
	a = send_mail("{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"s\",\"body\":\"x\"}");
	expect_failed(a, "onnect");
	json_decref(a);
	FLH_ASSERT(pkt_alive(pack));
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
}

FLT_TEST(header_injection_is_refused)
{
	static const struct {
		const char *input, *err;
	} cases[] = {
		{ "{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"hi\\r\\nBcc: evil@example.org\","
		  "\"body\":\"x\"}",
		  "header field 'subject' contains a line break" },
		{ "{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"hi\\nX-Evil: 1\",\"body\":\"x\"}",
		  "header field 'subject' contains a line break" },
		{ "{\"from\":\"a@example.org\\r\\nBcc: evil@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"s\"}",
		  "invalid 'from' address: contains a line break" },
		{ "{\"from\":\"a@example.org\",\"to\":[\"b@example.org\",\"c@example.org\\nBcc: evil@example.org\"],"
		  "\"subject\":\"s\"}",
		  "invalid 'to' address #2: contains a line break" },
		{ "{\"from\":\"Eve\\r\\nBcc: evil@example.org <a@example.org>\",\"to\":[\"b@example.org\"]}",
		  "contains a line break" },
		{ "{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"cc\":[\"c@example.org>\\r\\nX: y\"]}",
		  "invalid 'cc' address #1: contains a line break" },
		{ "{\"from\":\"a@example.org\",\"to\":[\"b@example.org\"],\"subject\":\"bell\\u0007\"}",
		  "header field 'subject' contains control character 0x07" },
		{ "{\"from\":\"a@example.org\",\"to\":[\"b@example.org>, evil@example.org\"]}",
		  "invalid 'to' address #1" },
		{ "{\"from\":\"a@example.org\",\"to\":[]}", "no recipients" },
	};
	struct smtpd s;
	json_t *a;
	pid_t pack;

	setup();
	smtpd_start(&s, "inject", "plain", NULL);
	pack = email_pack(&s, NULL, "email-inject.log");
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		a = send_mail(cases[i].input);
		expect_failed(a, cases[i].err);
		json_decref(a);
	}
	/* nothing reached the server */
	FLH_ASSERT(mail(&s, 1) == NULL);

	/* input that is not the expected shape is FATAL, as in the original */
	a = send_mail("{\"from\":\"a@example.org\",\"to\":42}");
	FLH_EQ_STR(flh_json_str(a, "state.value"), "FATAL");
	FLH_ASSERT(strstr(flh_json_str(a, "result.payload"), "Could not unmarshal input for 'SendEmail' command"));
	json_decref(a);
	a = send_mail("\"just a string\"");
	FLH_EQ_STR(flh_json_str(a, "state.value"), "FATAL");
	json_decref(a);
	FLH_EQ_INT(pkt_stop(pack, 20000), 0);
	smtpd_stop(&s);
}

FLT_TEST(configuration_errors_exit_1)
{
	const char *bin = getenv("FLYTE_EMAIL_BIN");
	const char *argv[] = { bin, NULL }, *help[] = { bin, "--help", NULL };
	const char *no_server[] = { "FLYTE_API=http://127.0.0.1:1", NULL };
	const char *auth_plain[] = { "FLYTE_API=http://127.0.0.1:1", "SMTPSERVER=127.0.0.1:25",
				     "SMTP_USERNAME=u", "SMTP_PASSWORD=topsecret", NULL };
	const char *bad_tls[] = { "FLYTE_API=http://127.0.0.1:1", "SMTPSERVER=127.0.0.1:25", "SMTP_TLS=ssl", NULL };
	char *out = NULL;

	FLH_EQ_INT(pkt_run(help, NULL, 10000, &out), 0);
	FLH_ASSERT(strstr(out, "SMTPSERVER") && strstr(out, "SMTP_TLS") && strstr(out, "SMTP_PASSWORD"));
	free(out);
	FLH_EQ_INT(pkt_run(argv, no_server, 10000, &out), 1);
	FLH_ASSERT(strstr(out, "SMTPSERVER is not set"));
	free(out);
	FLH_EQ_INT(pkt_run(argv, auth_plain, 10000, &out), 1);
	FLH_ASSERT(strstr(out, "SMTP_USERNAME needs SMTP_TLS") && !strstr(out, "topsecret"));
	free(out);
	FLH_EQ_INT(pkt_run(argv, bad_tls, 10000, &out), 1);
	FLH_ASSERT(strstr(out, "invalid SMTP_TLS 'ssl'"));
	free(out);
}

static void teardown(void)
{
	flh_server_free(srv);
	srv = NULL;
}

FLT_TEST(stop_server)
{
	teardown();
}

FLT_MAIN(delivers_mime_mail_to_every_recipient, starttls_with_auth, smtps_and_certificate_checks,
	 refused_recipient_and_server_down, header_injection_is_refused, configuration_errors_exit_1, stop_server)
