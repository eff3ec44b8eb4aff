/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the RE2-syntax gate and the PCRE2 matcher (regex.c): which
 * patterns Go accepts and rejects, that accepted ones mean what they mean in
 * Go, first-match groups, Go's replace-all rules, and the matching budget.
 */
#include "fl-common.h"

#include "error.h"
#include "filters/regex.h"
#include "fltest.h"

static const struct fl_regex_limits lim = { 100000, 1000 };

/* Patterns Go's regexp.Compile accepts. */
static const char *const accepted[] = {
	"",
	"abc",
	"^flyte(\\s+)help$",
	"a|b|",
	"(?P<name>x+)",
	"(?<name>x+)",
	"(?P<1st>x)",
	"(?i)abc",
	"(?s).",
	"(?m)^a$",
	"(?U)a+",
	"(?i-s:a.)",
	"(?:a)",
	"(?)",
	"a*?",
	"a+?b??",
	"a{2}",
	"a{2,}",
	"a{2,5}?",
	"a{1000}",
	"a{,5}",
	"a{01}",
	"x{",
	"{",
	"}",
	"]",
	"\\pL",
	"\\PL",
	"\\p{Greek}",
	"\\p{^Greek}",
	"\\P{Lu}",
	"\\p{Any}",
	"[[:alpha:]]",
	"[[:^digit:]x]",
	"[:alpha:]",
	"[]a]",
	"[^]a]",
	"[a-]",
	"[-a]",
	"[\\d\\s\\w]",
	"[\\pL\\p{Nd}]",
	"[\\x{100}-\\x{200}]",
	"\\Qa.b*c\\E+",
	"\\Qunterminated(",
	"\\x41\\x{1F600}",
	"\\101",
	"\\0",
	"\\012",
	"\\a\\f\\t\\n\\r\\v",
	"\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\\\#\\_",
	"\\A\\b\\B\\z",
	"^*",
	"$+",
	"\\b?",
	"(a*)*",
	"((((((((((a))))))))))",
	"é+",
	"[é-ü]",
};

/* Patterns Go rejects. */
static const char *const rejected[] = {
	"(a)\\1",
	"\\1",
	"\\9",
	"\\k<name>",
	"(?=a)",
	"(?!a)",
	"(?<=a)",
	"(?<!a)",
	"(?>a)",
	"a++",
	"a*+",
	"a?+",
	"a{2}+",
	"a{2}{3}",
	"a**",
	"a???",
	"(?R)",
	"(?1)",
	"(?&name)",
	"(?(1)a|b)",
	"(?|a|b)",
	"a\\Z",
	"\\G",
	"(?C1)",
	"a\\Kb",
	"a{1001}",
	"a{2,1001}",
	"a{5,2}",
	"\\p{Foo}",
	"\\p{Xan}",
	"\\p{L&}",
	"\\pX",
	"[[:foo:]]",
	"(*LIMIT_MATCH=1000000000)a",
	"(*UCP)\\w",
	"(?#comment)",
	"(?x)a b",
	"(?P=name)",
	"(?P<>x)",
	"(?P<a-b>x)",
	"(?i-)a",
	"(?-)a",
	"(",
	"(a",
	")",
	"a)",
	"[a",
	"[]",
	"[z-a]",
	"*a",
	"a|*",
	"(*)",
	"+",
	"{2}",
	"\\",
	"a\\",
	"\\C",
	"\\e",
	"\\h",
	"\\R",
	"\\X",
	"\\N",
	"\\o{101}",
	"\\x{110000}",
	"\\xZZ",
	"\\é",
	"[\\b]",
	"[a-\\d]",
	"\\cA",
	"\xff",
};

FLT_TEST(gate_accepts_go_syntax)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(accepted); i++) {
		struct fl_error err = FL_ERROR_INIT;
		struct fl_regex *re = NULL;
		int rc = fl_regex_compile(&re, accepted[i], strlen(accepted[i]), 0, &err);
		if (rc != 0)
			FLT_FAIL("pattern '%s' rejected: %s", accepted[i], err.msg);
		fl_regex_free(re);
	}
}

FLT_TEST(gate_rejects_what_go_rejects)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(rejected); i++) {
		struct fl_error err = FL_ERROR_INIT;
		struct fl_regex *re = NULL;
		int rc = fl_regex_compile(&re, rejected[i], strlen(rejected[i]), 0, &err);
		if (rc != FL_EINVALID)
			FLT_FAIL("pattern '%s' accepted (rc %d)", rejected[i], rc);
		FLT_ASSERT(re == NULL);
		FLT_ASSERT(strncmp(err.msg, "error parsing regexp: ", 22) == 0);
	}
}

FLT_TEST(error_messages_use_go_wording)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;

	FLT_EQ_INT(fl_regex_compile(&re, "(abc", 4, 0, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "error parsing regexp: missing closing ): `(abc`");
	FLT_EQ_INT(fl_regex_compile(&re, "a**", 3, 0, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "error parsing regexp: invalid nested repetition operator: `**`");
	FLT_EQ_INT(fl_regex_compile(&re, "(?=x)", 5, 0, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "error parsing regexp: invalid or unsupported Perl syntax: `(?=`");
	FLT_EQ_INT(fl_regex_compile(&re, "x\\1", 3, 0, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "error parsing regexp: invalid escape sequence: `\\1`");
	FLT_EQ_INT(fl_regex_compile(&re, "a{1001}", 7, 0, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "error parsing regexp: invalid repeat count: `{1001}`");
	FLT_EQ_INT(fl_regex_compile(&re, "*", 1, 0, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "error parsing regexp: missing argument to repetition operator: `*`");
	FLT_EQ_INT(fl_regex_compile(&re, "[z-a]", 5, 0, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "error parsing regexp: invalid character class range: `z-a`");
}

FLT_TEST(length_cap_is_a_limit)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;

	FLT_EQ_INT(fl_regex_compile(&re, "abcdef", 6, 5, &err), FL_ELIMIT);
	FLT_ASSERT(re == NULL);
	FLT_EQ_INT(fl_regex_compile(&re, "abcde", 5, 5, &err), 0);
	fl_regex_free(re);
}

FLT_TEST(nesting_depth_is_bounded)
{
	static char deep[2 * 1200 + 1];
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;

	for (size_t i = 0; i < 1200; i++) {
		deep[i] = '(';
		deep[1200 + i] = ')';
	}
	FLT_EQ_INT(fl_regex_compile(&re, deep, 2400, 0, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "error parsing regexp: expression nests too deeply");
}

struct match_case {
	const char *pattern;
	const char *subject;
	int expected;
};

/* Semantics that differ between Go and PCRE2 defaults. */
static const struct match_case matches[] = {
	{ "^[fo]+bar.*$", "foobar", 1 },
	{ "^Foobar$", "foobar", 0 },
	{ "(?i)^FOOBAR$", "foobar", 1 },
	{ "a$", "a\n", 0 },          /* $ is end of text only */
	{ "(?m)a$", "a\nb", 1 },
	{ "(?m)^$", "a\n", 1 },      /* ^ after a final newline */
	{ "^\\s$", "\v", 0 },        /* Go's \s has no vertical tab */
	{ "^\\S$", "\v", 1 },
	{ "^[\\s]$", "\v", 0 },
	{ "^[^\\S]$", "\t", 1 },
	{ "^\\v$", "\v", 1 },        /* \v is the character */
	{ "^\\v$", "\n", 0 },
	{ "^\\012$", "\n", 1 },      /* octal, not a backreference */
	{ "^\\d$", "\xd9\xa3", 0 },  /* ASCII digits only */
	{ "^\\w$", "\xc3\xa9", 0 },  /* ASCII word characters only */
	{ "^\\pL$", "\xc3\xa9", 1 },
	{ "^\\p{Greek}+$", "\xce\xb1\xce\xb2", 1 },
	{ "^\\p{Greek}+$", "ab", 0 },
	{ "^[[:alpha:]]+$", "abc", 1 },
	{ "^[:alpha:]+$", ":ah", 1 }, /* a plain class here */
	{ "^.$", "\n", 0 },
	{ "(?s)^.$", "\n", 1 },
	{ "^.$", "\xe2\x80\xbf", 1 },   /* one rune */
	{ "^x{$", "x{", 1 },
	{ "^a{,2}$", "a{,2}", 1 },
	{ "^\\Qa.b\\E$", "a.b", 1 },
	{ "^\\Qa.b\\E$", "axb", 0 },
	{ "^(?P<1st>a)$", "a", 1 },
	{ "^*a", "a", 1 },
	{ "\\bfoo\\b", "a foo b", 1 },
	{ "\\bfoo\\b", "afoob", 0 },
	{ "^\\x41$", "A", 1 },
	{ "^\\x{1F600}$", "\xf0\x9f\x98\x80", 1 },
	{ "[\\x{100}-\\x{200}]", "\xc4\x80", 1 },
	{ "^[a-]+$", "a-a", 1 },
	{ "^\\#$", "#", 1 },
};

FLT_TEST(accepted_patterns_mean_what_they_mean_in_go)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(matches); i++) {
		struct fl_error err = FL_ERROR_INIT;
		struct fl_regex *re = NULL;
		const struct match_case *c = &matches[i];
		int rc = fl_regex_compile(&re, c->pattern, strlen(c->pattern), 0, &err);
		if (rc != 0)
			FLT_FAIL("pattern '%s' rejected: %s", c->pattern, err.msg);
		rc = fl_regex_match(re, c->subject, strlen(c->subject), &lim, &err);
		fl_regex_free(re);
		if (rc != c->expected)
			FLT_FAIL("'%s' on '%s': got %d, expected %d", c->pattern, c->subject, rc, c->expected);
	}
}

FLT_TEST(ungreedy_flag_swaps_greediness)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;
	size_t ov[4];
	const char *s = "aaaa";

	FLT_EQ_INT(fl_regex_compile(&re, "(?U)(a+)", 8, 0, &err), 0);
	FLT_EQ_INT(fl_regex_search(re, s, 4, 0, &lim, ov, 2, &err), 1);
	FLT_EQ_INT(ov[3] - ov[2], 1);
	fl_regex_free(re);
	FLT_EQ_INT(fl_regex_compile(&re, "(?U)(a+?)", 9, 0, &err), 0);
	FLT_EQ_INT(fl_regex_search(re, s, 4, 0, &lim, ov, 2, &err), 1);
	FLT_EQ_INT(ov[3] - ov[2], 4);
	fl_regex_free(re);
}

FLT_TEST(first_match_groups)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;
	size_t ov[6];
	const char *pat = "\\w+ \\w+ (\\w+) (\\w+)";
	const char *s = "foo bar baz bay";

	FLT_EQ_INT(fl_regex_compile(&re, pat, strlen(pat), 0, &err), 0);
	FLT_EQ_INT(fl_regex_groups(re), 2);
	FLT_EQ_INT(fl_regex_search(re, s, strlen(s), 0, &lim, ov, 3, &err), 1);
	FLT_EQ_MEM(s + ov[2], ov[3] - ov[2], "baz", 3);
	FLT_EQ_MEM(s + ov[4], ov[5] - ov[4], "bay", 3);
	fl_regex_free(re);

	FLT_EQ_INT(fl_regex_compile(&re, "(a)|(b)", 7, 0, &err), 0);
	FLT_EQ_INT(fl_regex_search(re, "b", 1, 0, &lim, ov, 3, &err), 1);
	FLT_ASSERT(ov[2] == FL_REGEX_UNSET);
	FLT_EQ_INT(ov[4], 0);
	fl_regex_free(re);
}

static void bracket(struct fl_buf *out, const char *s, const size_t *ovec, unsigned pairs, void *payload)
{
	(void)pairs;
	(void)payload;
	fl_buf_addc(out, '[');
	fl_buf_add(out, s + ovec[0], ovec[1] - ovec[0]);
	fl_buf_addc(out, ']');
}

static void replace_case(const char *pat, const char *s, const char *expected)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;
	struct fl_buf out = FL_BUF_INIT(0);

	FLT_EQ_INT(fl_regex_compile(&re, pat, strlen(pat), 0, &err), 0);
	FLT_EQ_INT(fl_regex_replace_all(&out, re, s, strlen(s), &lim, bracket, NULL, &err), 0);
	fl_regex_free(re);
	if (strcmp(out.ptr, expected) != 0) {
		char got[128];
		snprintf(got, sizeof(got), "%s", out.ptr);
		fl_buf_release(&out);
		FLT_FAIL("replace '%s' in '%s': got '%s', expected '%s'", pat, s, got, expected);
	}
	fl_buf_release(&out);
}

FLT_TEST(replace_all_follows_go)
{
	replace_case("\\s+", "a  b \t c", "a[  ]b[ \t ]c");
	replace_case("x*", "abc", "[]a[]b[]c[]");
	replace_case("a*", "baaac", "[]b[aaa]c[]");
	replace_case("", "\xc3\xa9", "[]\xc3\xa9[]");
	replace_case("b", "", "");
}

FLT_TEST(catastrophic_pattern_hits_the_budget)
{
	static char subject[4097];
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;

	memset(subject, 'a', 4095);
	subject[4095] = 'b';
	FLT_EQ_INT(fl_regex_compile(&re, "(a+)+$", 6, 0, &err), 0);
	FLT_EQ_INT(fl_regex_match(re, subject, 4096, &lim, &err), FL_ELIMIT);
	FLT_EQ_INT(err.code, FL_ELIMIT);
	FLT_ASSERT(strstr(err.msg, "budget") != NULL);
	fl_regex_free(re);
}

FLT_TEST(size_is_counted_like_go)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;
	const char *big = "((a{1000}){1000}){10}";
	const char *heavy = "(a{1000}){1000}";

	FLT_EQ_INT(fl_regex_compile(&re, "abc", 3, 0, &err), 0);
	FLT_EQ_INT(fl_regex_cost(re), 3);
	fl_regex_free(re);
	FLT_EQ_INT(fl_regex_compile(&re, "a{5}|bc", 7, 0, &err), 0);
	FLT_EQ_INT(fl_regex_cost(re), 6 + 2);
	fl_regex_free(re);
	FLT_EQ_INT(fl_regex_compile(&re, heavy, strlen(heavy), 0, &err), 0);
	FLT_ASSERT(fl_regex_cost(re) > 1000000);
	fl_regex_free(re);
	FLT_EQ_INT(fl_regex_compile(&re, big, strlen(big), 0, &err), FL_EINVALID);
	FLT_EQ_STR(err.msg, "error parsing regexp: expression too large");
}

FLT_TEST(invalid_utf8_subject_does_not_fail)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_regex *re = NULL;

	FLT_EQ_INT(fl_regex_compile(&re, "b", 1, 0, &err), 0);
	FLT_EQ_INT(fl_regex_match(re, "a\xff" "b", 3, &lim, &err), 1);
	FLT_EQ_INT(fl_regex_match(re, "a\xff", 2, &lim, &err), 0);
	fl_regex_free(re);
}

FLT_MAIN(gate_accepts_go_syntax, gate_rejects_what_go_rejects, error_messages_use_go_wording, length_cap_is_a_limit,
	 nesting_depth_is_bounded, accepted_patterns_mean_what_they_mean_in_go, ungreedy_flag_swaps_greediness,
	 first_match_groups, replace_all_follows_go, catastrophic_pattern_hits_the_budget, size_is_counted_like_go,
	 invalid_utf8_subject_does_not_fail)
