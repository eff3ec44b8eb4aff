/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mime.c - address parsing, RFC 2047 encoded words and message composition
 * for the Email pack (see mime.h).
 *
 * References: RFC 5322 (message format: 998-octet lines, mailboxes,
 * quoted strings, Date), RFC 2045 (base64 in 76-character lines), RFC 2046
 * (multipart/alternative), RFC 2047 (encoded words: at most 75
 * characters, each holding whole characters).
 */
#include "fl-common.h"

#include "b64.h"
#include "buf.h"
#include "mime.h"
#include "utf8.h"

/*
 * Raw bytes per "B" encoded word: 39 bytes -> 52 base64 characters, 64 with
 * "=?UTF-8?B?" and "?=", so "Subject: " plus one word stays within the 76
 * characters RFC 2047 allows on a line holding encoded words.
 */
#define WORD_RAW_MAX 39
/* Unstructured text kept verbatim up to this length (so "Subject: " + text fits in 78). */
#define PLAIN_HEADER_MAX 68
#define B64_LINE 76

void mime_addr_release(struct mime_addr *a)
{
	if (!a)
		return;
	free(a->name);
	a->name = NULL;
	a->addr[0] = '\0';
}

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int mime_check_header_text(const char *text, size_t len, char *err, size_t errlen)
{
	if (len > MIME_TEXT_MAX) {
		snprintf(err, errlen, "is longer than %d bytes", MIME_TEXT_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\r' || c == '\n') {
			snprintf(err, errlen, "contains a line break");
			return -1;
		}
		if (is_ctl(c)) {
			snprintf(err, errlen, "contains control character 0x%02x", c);
			return -1;
		}
	}
	if (fl_utf8_first_invalid(text, len, false) != len) {
		snprintf(err, errlen, "is not valid UTF-8");
		return -1;
	}
	return 0;
}

static bool addr_char_ok(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return !strchr("()<>[]\\,;:\"", c);
}

static int check_addr_spec(const char *s, size_t len, char *err, size_t errlen)
{
	const char *at = NULL;

	if (len == 0) {
		snprintf(err, errlen, "empty address");
		return -1;
	}
	if (len > MIME_ADDR_MAX) {
		snprintf(err, errlen, "address longer than %d characters", MIME_ADDR_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n') {
			snprintf(err, errlen, "address contains a line break");
			return -1;
		}
		if (!addr_char_ok(c)) {
			snprintf(err, errlen, "address contains a character that is not allowed (0x%02x)", c);
			return -1;
		}
		if (c == '@') {
			if (at) {
				snprintf(err, errlen, "address has more than one '@'");
				return -1;
			}
			at = s + i;
		}
	}
	if (!at || at == s || at == s + len - 1) {
		snprintf(err, errlen, "address is not of the form local@domain");
		return -1;
	}
	return 0;
}

static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* Unquote a display name: strips one pair of surrounding quotes and \-escapes. */
static char *display_name(const char *s, size_t len, char *err, size_t errlen)
{
	char *out;
	size_t n = 0;

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
		out = malloc(len + 1);
		if (!out) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '"') {
				free(out);
				snprintf(err, errlen, "display name has an unescaped quote");
				return NULL;
			}
			out[n++] = s[i];
		}
		out[n] = '\0';
		return out;
	}
	out = strndup(s, len);
	if (!out)
		snprintf(err, errlen, "out of memory");
	return out;
}

int mime_addr_parse(struct mime_addr *out, const char *text, size_t len, char *err, size_t errlen)
{
	const char *spec = text;
	size_t spec_len = len;
	char why[128];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\r' || text[i] == '\n') {
			snprintf(err, errlen, "contains a line break");
			return -1;
		}
		if (is_ctl((unsigned char)text[i])) {
			snprintf(err, errlen, "contains control character 0x%02x", (unsigned char)text[i]);
			return -1;
		}
	}
	trim(&spec, &spec_len);
	if (spec_len && spec[spec_len - 1] == '>') {
		const char *lt = NULL;
		const char *name = spec;
		size_t name_len;

		for (size_t i = spec_len - 1; i-- > 0;)
			if (spec[i] == '<') {
				lt = spec + i;
				break;
			}
		if (!lt) {
			snprintf(err, errlen, "has '>' without '<'");
			return -1;
		}
		name_len = (size_t)(lt - spec);
		spec = lt + 1;
		spec_len = spec_len - name_len - 2;
		trim(&name, &name_len);
		if (name_len) {
			if (mime_check_header_text(name, name_len, why, sizeof(why))) {
				snprintf(err, errlen, "display name %s", why);
				return -1;
			}
			out->name = display_name(name, name_len, err, errlen);
			if (!out->name)
				return -1;
		}
	}
	if (check_addr_spec(spec, spec_len, err, errlen)) {
		mime_addr_release(out);
		return -1;
	}
	memcpy(out->addr, spec, spec_len);
	out->addr[spec_len] = '\0';
	return 0;
}

/* Length of the longest prefix of s (at most max bytes) that ends on a character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n;

	if (len <= max)
		return len;
	n = max;
	/* step back over continuation bytes so the cut lands before a lead byte */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n ? n : max;
}

static void add_encoded_words(struct fl_buf *b, const char *text, size_t len, size_t used)
{
	bool first = true;

	while (len) {
		size_t n = utf8_cut(text, len, WORD_RAW_MAX);
		size_t word = 12 + (n + 2) / 3 * 4;

		if (!first || used + word > 76)
			fl_buf_adds(b, "\r\n ");
		fl_buf_adds(b, "=?UTF-8?B?");
		fl_b64_encode(b, text, n, FL_B64_PAD);
		fl_buf_adds(b, "?=");
		text += n;
		len -= n;
		first = false;
	}
}

static bool plain_ascii(const char *text, size_t len, size_t max)
{
	if (len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c >= 0x7f)
			return false;
		/* something that would read as an encoded word must be encoded itself */
		if (c == '=' && i + 1 < len && text[i + 1] == '?')
			return false;
	}
	return true;
}

void mime_add_unstructured(struct fl_buf *b, const char *text, size_t len, size_t used)
{
	if (plain_ascii(text, len, PLAIN_HEADER_MAX))
		fl_buf_add(b, text, len);
	else
		add_encoded_words(b, text, len, used);
}

/* RFC 5322 atext plus space: a display name made of these needs no quotes. */
static bool phrase_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(" !#$%&'*+-/=?^_`{|}~", c));
}

void mime_add_mailbox(struct fl_buf *b, const struct mime_addr *a)
{
	const char *name = a->name;
	size_t len = name ? strlen(name) : 0;
	bool ascii = true, atoms = true;

	if (!len) {
		fl_buf_adds(b, a->addr);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 0x7f || c < 0x20)
			ascii = false;
		if (!phrase_char(c))
			atoms = false;
	}
	if (ascii && atoms && !strstr(name, "=?") && len <= PLAIN_HEADER_MAX)
		fl_buf_adds(b, name);
	else if (ascii && len <= PLAIN_HEADER_MAX && !strstr(name, "=?")) {
		fl_buf_addc(b, '"');
		for (size_t i = 0; i < len; i++) {
			if (name[i] == '"' || name[i] == '\\')
				fl_buf_addc(b, '\\');
			fl_buf_addc(b, name[i]);
		}
		fl_buf_addc(b, '"');
	} else {
		/* RFC 2047 §5(3): encoded words may stand for a phrase; the
		 * address goes on its own folded line to keep lines short */
		add_encoded_words(b, name, len, 6);
		fl_buf_addf(b, "\r\n <%s>", a->addr);
		return;
	}
	fl_buf_addf(b, " <%s>", a->addr);
}

static void add_address_list(struct fl_buf *b, const char *field, const struct mime_addr *list, size_t n)
{
	if (!n)
		return;
	fl_buf_addf(b, "%s: ", field);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fl_buf_adds(b, ",\r\n "); /* one mailbox per line keeps every line short */
		mime_add_mailbox(b, &list[i]);
	}
	fl_buf_adds(b, "\r\n");
}

static void add_date(struct fl_buf *b, int64_t sec)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)sec;
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	fl_buf_addf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday % 7], tm.tm_mday,
		    months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void add_b64_body(struct fl_buf *b, const char *text, size_t len)
{
	/* 57 raw bytes make one 76-character line */
	for (size_t off = 0; off < len; off += 57) {
		fl_b64_encode(b, text + off, FL_MIN(57, len - off), FL_B64_PAD);
		fl_buf_adds(b, "\r\n");
	}
}

static void add_part_headers(struct fl_buf *b, bool html)
{
	fl_buf_addf(b, "Content-Type: text/%s; charset=\"UTF-8\"\r\n", html ? "html" : "plain");
	fl_buf_adds(b, "Content-Transfer-Encoding: base64\r\n");
}

void mime_compose(struct fl_buf *b, const struct mime_message *m)
{
	const char *at = strchr(m->from->addr, '@');
	bool alternative = m->is_html && m->text_body;

	add_date(b, m->date_sec);
	fl_buf_adds(b, "From: ");
	mime_add_mailbox(b, m->from);
	fl_buf_adds(b, "\r\n");
	add_address_list(b, "To", m->to, m->n_to);
	add_address_list(b, "Cc", m->cc, m->n_cc);
	fl_buf_adds(b, "Subject: ");
	mime_add_unstructured(b, m->subject, m->subject_len, 9);
	fl_buf_adds(b, "\r\n");
	fl_buf_addf(b, "Message-ID: <%s@%s>\r\n", m->token, at ? at + 1 : "localhost");
	fl_buf_adds(b, "MIME-Version: 1.0\r\n");
	if (!alternative) {
		add_part_headers(b, m->is_html);
		fl_buf_adds(b, "\r\n");
		add_b64_body(b, m->body, m->body_len);
		return;
	}
	/* base64 text never contains "=_", so the boundary cannot occur in a part */
	fl_buf_addf(b, "Content-Type: multipart/alternative;\r\n boundary=\"=_%s\"\r\n\r\n", m->token);
	fl_buf_addf(b, "--=_%s\r\n", m->token);
	add_part_headers(b, false);
	fl_buf_adds(b, "\r\n");
	add_b64_body(b, m->text_body, m->text_body_len);
	fl_buf_addf(b, "--=_%s\r\n", m->token);
	add_part_headers(b, true);
	fl_buf_adds(b, "\r\n");
	add_b64_body(b, m->body, m->body_len);
	fl_buf_addf(b, "--=_%s--\r\n", m->token);
}
