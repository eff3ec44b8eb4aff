/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lexer.c - unit tests of the template lexer (src/template/lexer.c):
 * token kinds, slices and positions, pongo2's lexing rules (numbers followed
 * by letters, string escapes, newlines), comments, verbatim and trim markers.
 */
#include "fl-common.h"

#include "fltest.h"
#include "tmpl-int.h"

static struct fl_tmpl__toks toks;
static struct fl_error err;

static int lex(const char *s)
{
	fl_error_clear(&err);
	return fl_tmpl__lex(&toks, s, strlen(s), &err);
}

/* Lexing src fails (FL_EINVALID) with a message that contains part (NULL: any message). */
static void lex_error(const char *src, const char *part)
{
	int rc = lex(src);

	if (rc != FL_EINVALID)
		FLT_FAIL("lexing \"%s\" gave %d, expected FL_EINVALID", src, rc);
	if (part && !strstr(err.msg, part))
		FLT_FAIL("lexing \"%s\": \"%s\" does not contain \"%s\"", src, err.msg, part);
}

#define TOK(i, type_, text)                                                       \
	do {                                                                      \
		FLT_ASSERT((i) < toks.n);                                         \
		FLT_EQ_INT(toks.v[i].type, type_);                                \
		FLT_EQ_MEM(toks.v[i].p, toks.v[i].len, text, strlen(text));       \
	} while (0)

FLT_TEST(text_only)
{
	FLT_EQ_INT(lex("plain { text }"), FL_OK);
	FLT_EQ_INT(toks.n, 1);
	TOK(0, TOK_HTML, "plain { text }");
	FLT_EQ_INT(lex(""), FL_OK);
	FLT_EQ_INT(toks.n, 0);
}

FLT_TEST(variable_tokens_and_positions)
{
	FLT_EQ_INT(lex("ab\n  {{ Event.Payload.x|match:'a' }}"), FL_OK);
	FLT_EQ_INT(toks.n, 12);
	TOK(0, TOK_HTML, "ab\n  ");
	TOK(1, TOK_VAR_OPEN, "{{");
	FLT_EQ_INT(toks.v[1].line, 2);
	FLT_EQ_INT(toks.v[1].col, 3);
	TOK(2, TOK_IDENT, "Event");
	FLT_EQ_INT(toks.v[2].col, 6);
	TOK(3, TOK_SYMBOL, ".");
	TOK(4, TOK_IDENT, "Payload");
	TOK(6, TOK_IDENT, "x");
	TOK(7, TOK_SYMBOL, "|");
	TOK(8, TOK_IDENT, "match");
	TOK(9, TOK_SYMBOL, ":");
	TOK(10, TOK_STRING, "a");
	FLT_EQ_INT(toks.v[10].col, 28);
	FLT_EQ_INT(lex("{{ a }}"), FL_OK);
	TOK(2, TOK_VAR_CLOSE, "}}");
}

FLT_TEST(keywords_and_symbols)
{
	FLT_EQ_INT(lex("{% if a and not b or c in d %}"), FL_OK);
	TOK(1, TOK_IDENT, "if");
	TOK(3, TOK_KEYWORD, "and");
	TOK(4, TOK_KEYWORD, "not");
	TOK(6, TOK_KEYWORD, "or");
	TOK(8, TOK_KEYWORD, "in");
	TOK(10, TOK_TAG_CLOSE, "%}");
	FLT_EQ_INT(lex("{{ a==b<=c>=d!=e<>f&&g||h }}"), FL_OK);
	TOK(2, TOK_SYMBOL, "==");
	TOK(4, TOK_SYMBOL, "<=");
	TOK(6, TOK_SYMBOL, ">=");
	TOK(8, TOK_SYMBOL, "!=");
	TOK(10, TOK_SYMBOL, "<>");
	TOK(12, TOK_SYMBOL, "&&");
	TOK(14, TOK_SYMBOL, "||");
}

FLT_TEST(numbers)
{
	FLT_EQ_INT(lex("{{ 12.5 a.0 7up }}"), FL_OK);
	TOK(1, TOK_NUMBER, "12");
	TOK(2, TOK_SYMBOL, ".");
	TOK(3, TOK_NUMBER, "5");
	TOK(6, TOK_NUMBER, "0");
	TOK(7, TOK_IDENT, "7up");
}

FLT_TEST(strings)
{
	FLT_EQ_INT(lex("{{ 'a\\\\b' \"q\\\"\" 'plain' }}"), FL_OK);
	TOK(1, TOK_STRING, "a\\\\b");
	FLT_ASSERT(toks.v[1].escaped);
	TOK(2, TOK_STRING, "q\\\"");
	TOK(3, TOK_STRING, "plain");
	FLT_ASSERT(!toks.v[3].escaped);
	lex_error("{{ 'a\\nb' }}", "unknown escape sequence: \\n");
	lex_error("{{ 'a\nb' }}", "newline in string");
	lex_error("{{ 'abc", "string not closed");
}

FLT_TEST(newline_inside_code_is_an_error)
{
	lex_error("{{ a\n }}", "line 1, column 5: newline not allowed");
	lex_error("{% if\n%}", NULL);
}

FLT_TEST(unclosed_code)
{
	lex_error("x {{ a", "line 1, column 3");
	FLT_ASSERT(strstr(err.msg, "'}}' expected"));
	lex_error("{% a", "'%}' expected");
}

FLT_TEST(comments)
{
	FLT_EQ_INT(lex("a{# c #}b"), FL_OK);
	FLT_EQ_INT(toks.n, 2);
	TOK(0, TOK_HTML, "a");
	TOK(1, TOK_HTML, "b");
	lex_error("{# a\n #}", NULL);
	lex_error("{# a", NULL);
}

FLT_TEST(verbatim)
{
	FLT_EQ_INT(lex("x{% verbatim %}{{ y }}{%endverbatim%}z"), FL_OK);
	FLT_EQ_INT(toks.n, 3);
	TOK(1, TOK_HTML, "{{ y }}");
	TOK(2, TOK_HTML, "z");
	lex_error("{% verbatim %}{{", NULL);
}

FLT_TEST(trim_markers)
{
	FLT_EQ_INT(lex("a  \n {{- x -}} \n b"), FL_OK);
	FLT_EQ_INT(toks.n, 5);
	TOK(0, TOK_HTML, "a");
	TOK(1, TOK_VAR_OPEN, "{{");
	FLT_ASSERT(toks.v[1].trim);
	TOK(3, TOK_VAR_CLOSE, "}}");
	FLT_ASSERT(toks.v[3].trim);
	TOK(4, TOK_HTML, "b");
	/* whitespace-only text disappears entirely */
	FLT_EQ_INT(lex("  {%- if 1 -%}  "), FL_OK);
	TOK(0, TOK_TAG_OPEN, "{%");
}

FLT_TEST(unexpected_characters)
{
	lex_error("{{ a ? b }}", "unexpected character '?'");
	lex_error("{{ \x01 }}", "0x01");
	lex_error("{{ a {{ }}", NULL);
}

static void cleanup(void)
{
	fl_tmpl__toks_release(&toks);
}

FLT_TEST(release)
{
	cleanup();
	FLT_ASSERT(toks.v == NULL);
	fl_tmpl__toks_release(NULL);
}

FLT_MAIN(text_only, variable_tokens_and_positions, keywords_and_symbols, numbers, strings,
	 newline_inside_code_is_an_error, unclosed_code, comments, verbatim, trim_markers, unexpected_characters,
	 release)
