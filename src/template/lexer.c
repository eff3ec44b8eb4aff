/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lexer.c - splits a template source into tokens.
 *
 * Text outside `{{ }}`, `{% %}` and `{# #}` becomes HTML tokens; inside, the
 * code is split into identifiers, keywords, numbers (digits only: floats are
 * assembled by the parser), string literals and symbols, as pongo2 does.
 * Tokens are slices of the source (no allocation per token).  pongo2's rules
 * are kept: a newline inside a tag or variable is an error, a comment ends on
 * its line, string literals know only the escapes \\ and \", and
 * `{% verbatim %}` … `{% endverbatim %}` is passed through as text.
 * `{{-`, `-}}`, `{%-` and `-%}` trim the whitespace on their side.
 */
#include "fl-common.h"

#include "alloc.h"
#include "error.h"
#include "tmpl-int.h"

struct lexer {
	const char *src;
	size_t len, pos;
	uint32_t line, col;
	struct fl_tmpl__toks *toks;
	struct fl_error *err;
};

/* Longest first, so that "==" wins over "=". */
static const char *const symbols[] = {
	"{{-", "-}}", "{%-", "-%}", "==", ">=", "<=", "&&", "||", "{{", "}}", "{%", "%}", "!=", "<>",
	"(",   ")",   "+",   "-",   "*",  "<",  ">",  "/",  "^",  ",",  ".",  "!",  "|",  ":",  "=",
	"%",   "[",   "]",
};

static const char *const keywords[] = { "in", "and", "or", "not", "true", "false", "as", "export" };

static int lex_error(struct lexer *lx, uint32_t line, uint32_t col, const char *fmt, ...) FL_PRINTF(4, 5);

static int lex_error(struct lexer *lx, uint32_t line, uint32_t col, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fl_error_set(lx->err, FL_EINVALID, "line %u, column %u: %s", line, col, msg);
}

static struct fl_tmpl__tok *emit(struct lexer *lx, enum fl_tmpl__tok_type type, size_t start, size_t len,
				 uint32_t line, uint32_t col)
{
	struct fl_tmpl__toks *t = lx->toks;

	FL_GROW(t->v, t->cap, t->n + 1);
	struct fl_tmpl__tok *tok = &t->v[t->n++];
	memset(tok, 0, sizeof(*tok));
	tok->type = (uint8_t)type;
	tok->p = lx->src + start;
	tok->len = (uint32_t)len;
	tok->line = line;
	tok->col = col;
	return tok;
}

static bool at(const struct lexer *lx, const char *s)
{
	size_t n = strlen(s);
	return lx->len - lx->pos >= n && memcmp(lx->src + lx->pos, s, n) == 0;
}

/* Advance n bytes, keeping line and column. */
static void advance(struct lexer *lx, size_t n)
{
	for (size_t i = 0; i < n && lx->pos < lx->len; i++) {
		if (lx->src[lx->pos] == '\n') {
			lx->line++;
			lx->col = 1;
		} else {
			lx->col++;
		}
		lx->pos++;
	}
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Length of "{%" ws* word ws* "%}" at pos, or 0. */
static size_t match_block(const struct lexer *lx, size_t pos, const char *word)
{
	size_t i = pos, n = strlen(word);

	if (lx->len - i < 2 || memcmp(lx->src + i, "{%", 2) != 0)
		return 0;
	i += 2;
	while (i < lx->len && (lx->src[i] == ' ' || lx->src[i] == '\t'))
		i++;
	if (lx->len - i < n || memcmp(lx->src + i, word, n) != 0)
		return 0;
	i += n;
	while (i < lx->len && (lx->src[i] == ' ' || lx->src[i] == '\t'))
		i++;
	if (lx->len - i < 2 || memcmp(lx->src + i, "%}", 2) != 0)
		return 0;
	return i + 2 - pos;
}

static int lex_string(struct lexer *lx)
{
	char quote = lx->src[lx->pos];
	uint32_t line = lx->line, col = lx->col;
	size_t start;
	bool escaped = false;

	advance(lx, 1);
	start = lx->pos;
	for (;;) {
		if (lx->pos >= lx->len)
			return lex_error(lx, line, col, "unexpected end of template, string not closed");
		char c = lx->src[lx->pos];
		if (c == quote)
			break;
		if (c == '\n')
			return lex_error(lx, lx->line, lx->col, "newline in string is not allowed");
		if (c == '\\') {
			char e = lx->pos + 1 < lx->len ? lx->src[lx->pos + 1] : '\0';
			if (e != '"' && e != '\\') {
				if (e == '\0' || e == '\n')
					return lex_error(lx, lx->line, lx->col, "unknown escape sequence at end of string");
				return lex_error(lx, lx->line, lx->col, "unknown escape sequence: \\%c", e);
			}
			escaped = true;
			advance(lx, 2);
			continue;
		}
		advance(lx, 1);
	}
	struct fl_tmpl__tok *t = emit(lx, TOK_STRING, start, lx->pos - start, line, col);
	t->escaped = escaped;
	advance(lx, 1);
	return FL_OK;
}

static void lex_word(struct lexer *lx, size_t start, uint32_t line, uint32_t col)
{
	enum fl_tmpl__tok_type type = TOK_IDENT;

	while (lx->pos < lx->len && (is_ident_start(lx->src[lx->pos]) || is_digit(lx->src[lx->pos])))
		advance(lx, 1);
	for (size_t i = 0; i < FL_ARRAY_LEN(keywords); i++) {
		size_t n = strlen(keywords[i]);
		if (lx->pos - start == n && memcmp(lx->src + start, keywords[i], n) == 0) {
			type = TOK_KEYWORD;
			break;
		}
	}
	emit(lx, type, start, lx->pos - start, line, col);
}

/* Tokenize code after {{ or {% up to and including the closing symbol. */
static int lex_code(struct lexer *lx, bool is_tag, uint32_t oline, uint32_t ocol)
{
	for (;;) {
		if (lx->pos >= lx->len)
			return lex_error(lx, oline, ocol, "unexpected end of template, '%s' expected",
					 is_tag ? "%}" : "}}");
		char c = lx->src[lx->pos];
		uint32_t line = lx->line, col = lx->col;
		size_t start = lx->pos;

		if (c == '\n')
			return lex_error(lx, line, col, "newline not allowed within tag/variable");
		if (is_space(c)) {
			advance(lx, 1);
			continue;
		}
		if (is_ident_start(c)) {
			lex_word(lx, start, line, col);
			continue;
		}
		if (is_digit(c)) {
			while (lx->pos < lx->len && is_digit(lx->src[lx->pos]))
				advance(lx, 1);
			if (lx->pos < lx->len && is_ident_start(lx->src[lx->pos])) {
				/* an identifier starting with digits, as pongo2 allows */
				lex_word(lx, start, line, col);
				continue;
			}
			emit(lx, TOK_NUMBER, start, lx->pos - start, line, col);
			continue;
		}
		if (c == '"' || c == '\'') {
			int rc = lex_string(lx);
			if (rc)
				return rc;
			continue;
		}
		const char *sym = NULL;
		for (size_t i = 0; i < FL_ARRAY_LEN(symbols); i++) {
			if (at(lx, symbols[i])) {
				sym = symbols[i];
				break;
			}
		}
		if (!sym) {
			if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
				return lex_error(lx, line, col, "unexpected character 0x%02x", (unsigned char)c);
			return lex_error(lx, line, col, "unexpected character '%c'", c);
		}
		size_t n = strlen(sym);
		bool closing = !strcmp(sym, "}}") || !strcmp(sym, "-}}") || !strcmp(sym, "%}") || !strcmp(sym, "-%}");
		if (closing) {
			bool tag_close = sym[n - 2] == '%';
			struct fl_tmpl__tok *t = emit(lx, tag_close ? TOK_TAG_CLOSE : TOK_VAR_CLOSE,
						      start + (n == 3), 2, line, col);
			t->trim = n == 3;
			advance(lx, n);
			return FL_OK;
		}
		if (!strcmp(sym, "{{") || !strcmp(sym, "{%") || !strcmp(sym, "{{-") || !strcmp(sym, "{%-"))
			return lex_error(lx, line, col, "unexpected '%s' inside %s", sym, is_tag ? "tag" : "variable");
		emit(lx, TOK_SYMBOL, start, n, line, col);
		advance(lx, n);
	}
}

static void trim_prev_html(struct lexer *lx)
{
	struct fl_tmpl__toks *t = lx->toks;

	if (!t->n || t->v[t->n - 1].type != TOK_HTML)
		return;
	struct fl_tmpl__tok *h = &t->v[t->n - 1];
	while (h->len && is_space(h->p[h->len - 1]))
		h->len--;
	if (!h->len)
		t->n--;
}

/*
 * Emit the text from `text` up to the current position as one HTML token,
 * without its leading white space when the tag before it asked for a trim.
 */
static void flush_text(struct lexer *lx, size_t text, bool trim, uint32_t line, uint32_t col)
{
	size_t s = text;

	if (trim)
		while (s < lx->pos && is_space(lx->src[s]))
			s++;
	if (lx->pos > s)
		emit(lx, TOK_HTML, s, lx->pos - s, line, col);
}

int fl_tmpl__lex(struct fl_tmpl__toks *out, const char *src, size_t len, struct fl_error *err)
{
	struct lexer lx = { src, len, 0, 1, 1, out, err };
	size_t text = 0;
	uint32_t tline = 1, tcol = 1;
	bool trim_next = false;
	int rc;

	if (len > UINT32_MAX)
		return fl_error_set(err, FL_ETOOBIG, "template source too large");
	out->n = 0;
	while (lx.pos < lx.len) {
		size_t n;

		if (lx.src[lx.pos] != '{') {
			advance(&lx, 1);
			continue;
		}
		bool var = at(&lx, "{{"), tag = at(&lx, "{%"), comment = at(&lx, "{#");
		if (!var && !tag && !comment) {
			advance(&lx, 1);
			continue;
		}
		flush_text(&lx, text, trim_next, tline, tcol); /* the text before the opener */
		trim_next = false;
		if (tag && (n = match_block(&lx, lx.pos, "verbatim")) != 0) {
			uint32_t vline = lx.line, vcol = lx.col;
			advance(&lx, n);
			size_t vstart = lx.pos;
			uint32_t sline = lx.line, scol = lx.col;
			while (lx.pos < lx.len && !(n = match_block(&lx, lx.pos, "endverbatim")))
				advance(&lx, 1);
			if (lx.pos >= lx.len)
				return lex_error(&lx, vline, vcol, "verbatim tag not closed, '{%% endverbatim %%}' expected");
			if (lx.pos > vstart)
				emit(&lx, TOK_HTML, vstart, lx.pos - vstart, sline, scol);
			advance(&lx, n);
		} else if (comment) {
			uint32_t cline = lx.line, ccol = lx.col;
			advance(&lx, 2);
			for (;;) {
				if (lx.pos >= lx.len)
					return lex_error(&lx, cline, ccol, "single-line comment not closed");
				if (lx.src[lx.pos] == '\n')
					return lex_error(&lx, lx.line, lx.col, "newline not permitted in a single-line comment");
				if (at(&lx, "#}"))
					break;
				advance(&lx, 1);
			}
			advance(&lx, 2);
		} else {
			uint32_t oline = lx.line, ocol = lx.col;
			bool trim = lx.pos + 2 < lx.len && lx.src[lx.pos + 2] == '-';
			if (trim)
				trim_prev_html(&lx);
			struct fl_tmpl__tok *t = emit(&lx, var ? TOK_VAR_OPEN : TOK_TAG_OPEN, lx.pos, 2, oline, ocol);
			t->trim = trim;
			advance(&lx, trim ? 3 : 2);
			rc = lex_code(&lx, tag, oline, ocol);
			if (rc)
				return rc;
			trim_next = out->v[out->n - 1].trim;
		}
		text = lx.pos;
		tline = lx.line;
		tcol = lx.col;
	}
	flush_text(&lx, text, trim_next, tline, tcol);
	return FL_OK;
}

void fl_tmpl__toks_release(struct fl_tmpl__toks *toks)
{
	if (!toks)
		return;
	free(toks->v);
	toks->v = NULL;
	toks->n = toks->cap = 0;
}
