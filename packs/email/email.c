/* SPDX-License-Identifier: Apache-2.0 */
/*
 * email.c - configuration, input decoding and SMTP delivery of the Email
 * pack (see email.h).
 *
 * Delivery uses one libcurl easy handle per action (handlers run on
 * several worker threads at once; easy handles are not shared): MAIL FROM
 * the From address, one RCPT TO per To/Cc/Bcc address, DATA with the
 * message composed by mime.c.  libcurl does the dot-stuffing, STARTTLS
 * (CURLUSESSL_ALL: the transfer fails rather than fall back to plain text)
 * and AUTH with the best mechanism the server offers.  Verbose output is
 * never enabled, so the password cannot reach a log.
 */
#include "fl-common.h"

#include <sys/random.h>

#include <curl/curl.h>
#include <jansson.h>

#include "email.h"
#include "packenv.h"

#define MAX_RECIPIENTS 1000
#define DEFAULT_TIMEOUT_SEC 30L

static bool server_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (!colon || colon == s || strpbrk(s, "/?#@ \t\r\n"))
		return false;
	port = strtol(colon + 1, &end, 10);
	return *end == '\0' && end != colon + 1 && port > 0 && port < 65536;
}

int email_config_from_env(struct email_config *cfg, char *err, size_t errlen)
{
	const char *v;
	bool plaintext_auth = false;
	long timeout_sec = DEFAULT_TIMEOUT_SEC;

	memset(cfg, 0, sizeof(*cfg));
	v = packenv_get("SMTPSERVER");
	if (!v) {
		snprintf(err, errlen, "SMTPSERVER is not set (host:port of the SMTP server)");
		return -1;
	}
	if (!server_ok(v)) {
		snprintf(err, errlen, "invalid SMTPSERVER '%s': expected host:port", v);
		return -1;
	}
	if (packenv_dup(&cfg->server, "SMTPSERVER", NULL, err, errlen) ||
	    packenv_dup(&cfg->ca_file, "SMTP_CA_FILE", NULL, err, errlen) ||
	    packenv_dup(&cfg->username, "SMTP_USERNAME", NULL, err, errlen) ||
	    packenv_dup(&cfg->helo, "SMTP_HELO_NAME", NULL, err, errlen))
		return -1;
	v = packenv_get("SMTP_TLS");
	if (!v || !strcmp(v, "none"))
		cfg->tls = EMAIL_TLS_NONE;
	else if (!strcmp(v, "starttls"))
		cfg->tls = EMAIL_TLS_STARTTLS;
	else if (!strcmp(v, "smtps"))
		cfg->tls = EMAIL_TLS_SMTPS;
	else {
		snprintf(err, errlen, "invalid SMTP_TLS '%s': expected none, starttls or smtps", v);
		return -1;
	}
	if (packenv_bool("SMTP_INSECURE", &cfg->insecure, err, errlen) ||
	    packenv_bool("SMTP_ALLOW_PLAINTEXT_AUTH", &plaintext_auth, err, errlen) ||
	    packenv_long("SMTP_TIMEOUT_SEC", 1, 3600, &timeout_sec, err, errlen))
		return -1;
	cfg->timeout_ms = timeout_sec * 1000;
	if (packenv_secret(&cfg->password, "SMTP_PASSWORD", "SMTP_PASSWORD_FILE", err, errlen))
		return -1;
	if (cfg->password && !cfg->username) {
		snprintf(err, errlen, "SMTP_PASSWORD is set but SMTP_USERNAME is not");
		return -1;
	}
	if (cfg->username && cfg->tls == EMAIL_TLS_NONE && !plaintext_auth) {
		snprintf(err, errlen, "SMTP_USERNAME needs SMTP_TLS=starttls or smtps "
				      "(or SMTP_ALLOW_PLAINTEXT_AUTH=true to send the password in clear text)");
		return -1;
	}
	return 0;
}

void email_config_release(struct email_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->server);
	free(cfg->ca_file);
	free(cfg->username);
	packenv_secret_free(cfg->password);
	free(cfg->helo);
	memset(cfg, 0, sizeof(*cfg));
}

void email_request_release(struct email_request *r)
{
	if (!r)
		return;
	mime_addr_release(&r->from);
	for (size_t i = 0; r->rcpt && i < r->n_to + r->n_cc + r->n_bcc; i++)
		mime_addr_release(&r->rcpt[i]);
	free(r->rcpt);
	memset(r, 0, sizeof(*r));
}

/* An optional string member: 0 (absent or string), -1 (wrong type). */
static int opt_string(json_t *in, const char *key, const char **s, size_t *len)
{
	json_t *v = json_object_get(in, key);

	*s = NULL;
	*len = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 0;
}

/* Count the addresses of a list member (array of strings or one string); -1 on a wrong type. */
static long count_list(json_t *in, const char *key)
{
	json_t *v = json_object_get(in, key), *e;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v))
		return 1;
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return -1;
	return (long)json_array_size(v);
}

static int parse_list(struct mime_addr *out, json_t *in, const char *key, char *err, size_t errlen)
{
	json_t *v = json_object_get(in, key), *e;
	char why[160];
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if (mime_addr_parse(out, json_string_value(v), json_string_length(v), why, sizeof(why))) {
			snprintf(err, errlen, "invalid '%s' address: %s", key, why);
			return -1;
		}
		return 0;
	}
	json_array_foreach(v, i, e) {
		if (mime_addr_parse(&out[i], json_string_value(e), json_string_length(e), why, sizeof(why))) {
			snprintf(err, errlen, "invalid '%s' address #%zu: %s", key, i + 1, why);
			return -1;
		}
	}
	return 0;
}

int email_request_decode(struct email_request *r, json_t *in, char *err, size_t errlen)
{
	const char *from;
	size_t from_len;
	long n_to, n_cc, n_bcc;
	json_t *html;
	char why[160];

	memset(r, 0, sizeof(*r));
	if (!json_is_object(in)) {
		snprintf(err, errlen, "input is not a JSON object");
		return EMAIL_DECODE_FATAL;
	}
	n_to = count_list(in, "to");
	n_cc = count_list(in, "cc");
	n_bcc = count_list(in, "bcc");
	html = json_object_get(in, "isHtmlEmail");
	if (opt_string(in, "from", &from, &from_len) || opt_string(in, "subject", &r->subject, &r->subject_len) ||
	    opt_string(in, "body", &r->body, &r->body_len) ||
	    opt_string(in, "textBody", &r->text_body, &r->text_body_len) || n_to < 0 || n_cc < 0 || n_bcc < 0 ||
	    (html && !json_is_boolean(html) && !json_is_null(html))) {
		snprintf(err, errlen, "expected {\"from\": string, \"to\": [string], \"cc\": [string], "
				      "\"bcc\": [string], \"subject\": string, \"body\": string, "
				      "\"textBody\": string, \"isHtmlEmail\": bool}");
		return EMAIL_DECODE_FATAL;
	}
	r->is_html = json_is_true(html);
	if (!r->subject)
		r->subject = "";
	if (!r->body)
		r->body = "";
	if (!from) {
		snprintf(err, errlen, "no 'from' address");
		return EMAIL_DECODE_REFUSED;
	}
	if (mime_addr_parse(&r->from, from, from_len, why, sizeof(why))) {
		snprintf(err, errlen, "invalid 'from' address: %s", why);
		return EMAIL_DECODE_REFUSED;
	}
	if (n_to + n_cc + n_bcc == 0) {
		snprintf(err, errlen, "no recipients in 'to', 'cc' or 'bcc'");
		return EMAIL_DECODE_REFUSED;
	}
	if (n_to + n_cc + n_bcc > MAX_RECIPIENTS) {
		snprintf(err, errlen, "more than %d recipients", MAX_RECIPIENTS);
		return EMAIL_DECODE_REFUSED;
	}
	r->rcpt = calloc((size_t)(n_to + n_cc + n_bcc), sizeof(*r->rcpt));
	if (!r->rcpt) {
		snprintf(err, errlen, "out of memory");
		return EMAIL_DECODE_REFUSED;
	}
	r->n_to = (size_t)n_to;
	r->n_cc = (size_t)n_cc;
	r->n_bcc = (size_t)n_bcc;
	if (parse_list(r->rcpt, in, "to", err, errlen) || parse_list(r->rcpt + n_to, in, "cc", err, errlen) ||
	    parse_list(r->rcpt + n_to + n_cc, in, "bcc", err, errlen))
		return EMAIL_DECODE_REFUSED;
	if (mime_check_header_text(r->subject, r->subject_len, why, sizeof(why))) {
		snprintf(err, errlen, "header field 'subject' %s", why);
		return EMAIL_DECODE_REFUSED;
	}
	return EMAIL_DECODE_OK;
}

void email_compose(struct fl_buf *b, const struct email_request *r)
{
	struct mime_message m = { 0 };
	uint64_t rnd[2] = { 0, 0 };
	char token[40];
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd[0] ^= (uint64_t)now.tv_nsec << 20 ^ (uint64_t)(uintptr_t)b;
	snprintf(token, sizeof(token), "%016" PRIx64 "%016" PRIx64, rnd[0], rnd[1]);
	m.from = &r->from;
	m.to = r->rcpt;
	m.n_to = r->n_to;
	m.cc = r->rcpt + r->n_to;
	m.n_cc = r->n_cc;
	m.subject = r->subject;
	m.subject_len = r->subject_len;
	m.body = r->body;
	m.body_len = r->body_len;
	m.text_body = r->text_body;
	m.text_body_len = r->text_body_len;
	m.is_html = r->is_html;
	m.date_sec = now.tv_sec;
	m.token = token;
	mime_compose(b, &m);
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
	struct upload *u = ud;
	size_t n = FL_MIN(size * nitems, u->left);

	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

int email_send(const struct email_config *cfg, const struct email_request *r, const char *msg, size_t msg_len,
	       char *err, size_t errlen)
{
	CURL *c = NULL;
	struct curl_slist *rcpt = NULL;
	struct upload up = { msg, msg_len };
	char url[512], from[MIME_ADDR_MAX + 3], one[MIME_ADDR_MAX + 3], ebuf[CURL_ERROR_SIZE] = "";
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	int ret = -1;

	snprintf(url, sizeof(url), "%s://%s/%s", cfg->tls == EMAIL_TLS_SMTPS ? "smtps" : "smtp", cfg->server,
		 cfg->helo ? cfg->helo : "");
	snprintf(from, sizeof(from), "<%s>", r->from.addr);
	for (size_t i = 0; i < r->n_to + r->n_cc + r->n_bcc; i++) {
		struct curl_slist *next;
		snprintf(one, sizeof(one), "<%s>", r->rcpt[i].addr);
		next = curl_slist_append(rcpt, one);
		if (!next)
			goto out;
		rcpt = next;
	}
	c = curl_easy_init();
	if (!c)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, FL_MIN(cfg->timeout_ms, 10000L));
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg_len);
	if (cfg->tls == EMAIL_TLS_STARTTLS)
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cfg->username) {
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		ret = 0;
out:
	if (ret)
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	return ret;
}

/* SendEmailFailed: the input object plus "Err". */
static int failed(struct flyte_result *out, json_t *in, const char *why)
{
	json_t *p = json_deep_copy(in), *e = json_string(why);
	char *text = NULL;
	int rc;

	if (!e)
		e = json_string("message not valid UTF-8");
	if (!p || !e || json_object_set_new(p, "Err", e)) {
		json_decref(p);
		return flyte_result_fatal(out, "out of memory");
	}
	text = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(p);
	if (!text)
		return flyte_result_fatal(out, "out of memory");
	rc = flyte_result_set(out, "SendEmailFailed", text);
	free(text);
	return rc ? -1 : 0;
}

int email_handler(const char *input, size_t len, struct flyte_result *out, void *payload)
{
	const struct email_config *cfg = payload;
	struct email_request req;
	struct fl_buf msg = FL_BUF_INIT(0);
	json_error_t je;
	json_t *in = json_loadb(input, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	char err[CURL_ERROR_SIZE + 256];
	int rc;

	if (!in)
		return flyte_result_fatal(out, "Could not unmarshal input for 'SendEmail' command: %s", je.text);
	rc = email_request_decode(&req, in, err, sizeof(err));
	if (rc == EMAIL_DECODE_FATAL) {
		rc = flyte_result_fatal(out, "Could not unmarshal input for 'SendEmail' command: %s", err);
		goto out;
	}
	if (rc == EMAIL_DECODE_REFUSED) {
		rc = failed(out, in, err);
		goto out;
	}
	email_compose(&msg, &req);
	if (fl_buf_failed(&msg)) {
		rc = failed(out, in, "message too large");
		goto out;
	}
	if (email_send(cfg, &req, msg.ptr, msg.len, err, sizeof(err)))
		rc = failed(out, in, err);
	else
		rc = flyte_result_set(out, "EmailSent", input) ? -1 : 0;
out:
	fl_buf_release(&msg);
	email_request_release(&req);
	json_decref(in);
	return rc;
}
