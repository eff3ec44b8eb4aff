/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for pathpat.c: pattern syntax, path splitting, matching and
 * the one specificity rule shared by the REST routes and the path policy.
 */
#include "fl-common.h"

#include "fltest.h"
#include "pathpat.h"

static struct fl_pathpat compile_ok(const char *pattern, unsigned flags)
{
	struct fl_pathpat pp;
	const char *why = fl_pathpat_compile(&pp, pattern, flags);

	if (why)
		FLT_FAIL("'%s' refused: %s", pattern, why);
	return pp;
}

static void compile_fails(const char *pattern, unsigned flags, const char *want)
{
	struct fl_pathpat pp;
	const char *why = fl_pathpat_compile(&pp, pattern, flags);

	if (!why)
		FLT_FAIL("'%s' accepted", pattern);
	if (!strstr(why, want))
		FLT_FAIL("'%s': \"%s\" does not contain \"%s\"", pattern, why, want);
}

static struct fl_pathpat_path split_ok(const char *path, unsigned flags)
{
	struct fl_pathpat_path p;

	if (!fl_pathpat_split(&p, path, strlen(path), flags))
		FLT_FAIL("path '%s' refused", path);
	return p;
}

FLT_TEST(compile_both_syntaxes)
{
	struct fl_pathpat pp = compile_ok("/v1/packs/{packId}/actions/{actionId}", FL_PATHPAT_BRACES);

	FLT_EQ_INT(pp.nseg, 5);
	FLT_EQ_INT(pp.nparams, 2);
	FLT_EQ_INT(pp.wild, -1);
	FLT_EQ_INT(pp.seg[0].kind, FL_PATHPAT_STATIC);
	FLT_EQ_MEM(pp.seg[0].text.ptr, pp.seg[0].text.len, "v1", 2);
	FLT_EQ_INT(pp.seg[2].kind, FL_PATHPAT_PARAM);
	FLT_EQ_MEM(pp.seg[2].text.ptr, pp.seg[2].text.len, "packId", 6);
	FLT_EQ_MEM(pp.seg[4].text.ptr, pp.seg[4].text.len, "actionId", 8);

	pp = compile_ok("/v1/packs/:pack/*", FL_PATHPAT_WILDCARD);
	FLT_EQ_INT(pp.nseg, 4);
	FLT_EQ_INT(pp.nparams, 1);
	FLT_EQ_INT(pp.wild, 3);
	FLT_EQ_MEM(pp.seg[2].text.ptr, pp.seg[2].text.len, "pack", 4);
	/* each syntax takes the other's opener as static text */
	pp = compile_ok("/a/:x", FL_PATHPAT_BRACES);
	FLT_EQ_INT(pp.seg[1].kind, FL_PATHPAT_STATIC);
	pp = compile_ok("/a/{x}", 0);
	FLT_EQ_INT(pp.seg[1].kind, FL_PATHPAT_STATIC);
	/* the root is one empty static segment */
	pp = compile_ok("/", 0);
	FLT_EQ_INT(pp.nseg, 1);
	FLT_EQ_INT(pp.seg[0].kind, FL_PATHPAT_STATIC);
	FLT_EQ_INT(pp.seg[0].text.len, 0);
}

FLT_TEST(compile_refuses)
{
	char many[4 * FL_PATHPAT_MAX_SEGMENTS + 8];
	size_t n = 0;

	compile_fails("", 0, "must start with '/'");
	compile_fails("a/b", 0, "must start with '/'");
	compile_fails("/a//b", 0, "empty segment");
	compile_fails("/a/", 0, "empty segment");
	compile_fails("/a/*", 0, "'*' is not allowed");
	compile_fails("/a/*/b/*", FL_PATHPAT_WILDCARD, "more than one '*'");
	compile_fails("/a/b*", FL_PATHPAT_WILDCARD, "'*' must be a whole path segment");
	compile_fails("/a/./b", 0, "'.' or '..'");
	compile_fails("/a/..", 0, "'.' or '..'");
	compile_fails("/a/:", 0, "parameter name");
	compile_fails("/a/:b.c", 0, "parameter name");
	compile_fails("/a/{}", FL_PATHPAT_BRACES, "parameter name");
	compile_fails("/a/{x", FL_PATHPAT_BRACES, "'{name}'");
	compile_fails("/a/{x/y}", FL_PATHPAT_BRACES, "'{name}'");
	compile_fails("/a/:x/:x", 0, "used twice");
	compile_fails("/{id}/{id}", FL_PATHPAT_BRACES, "used twice");
	for (int i = 0; i < FL_PATHPAT_MAX_SEGMENTS + 1; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "/a");
	compile_fails(many, 0, "too many segments");
	n = 0;
	for (int i = 0; i < FL_PATHPAT_MAX_PARAMS + 1; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "/:p%d", i);
	compile_fails(many, 0, "too many parameters");
}

FLT_TEST(same_shape_ignores_parameter_names)
{
	struct fl_pathpat a = compile_ok("/v1/packs/:pack", 0), b = compile_ok("/v1/packs/:id", 0);
	struct fl_pathpat c = compile_ok("/v1/packs/{pack}", FL_PATHPAT_BRACES), d = compile_ok("/v1/packs/x", 0);
	struct fl_pathpat e = compile_ok("/v1/packs/*", FL_PATHPAT_WILDCARD), f = compile_ok("/v1/packs", 0);

	FLT_ASSERT(fl_pathpat_same_shape(&a, &b));
	FLT_ASSERT(fl_pathpat_same_shape(&a, &c));
	FLT_ASSERT(!fl_pathpat_same_shape(&a, &d));
	FLT_ASSERT(!fl_pathpat_same_shape(&a, &e));
	FLT_ASSERT(!fl_pathpat_same_shape(&a, &f));
}

FLT_TEST(split_paths)
{
	struct fl_pathpat_path p = split_ok("/", 0);
	char many[4 * FL_PATHPAT_MAX_SEGMENTS + 8];
	size_t n = 0;

	FLT_EQ_INT(p.n, 1);
	FLT_EQ_INT(p.seg[0].len, 0);
	p = split_ok("/v1/packs/a%2Fb", 0);
	FLT_EQ_INT(p.n, 3);
	FLT_EQ_MEM(p.seg[2].ptr, p.seg[2].len, "a%2Fb", 5);
	FLT_ASSERT(!fl_pathpat_split(&p, "", 0, 0));
	FLT_ASSERT(!fl_pathpat_split(&p, "v1", 2, 0));
	FLT_ASSERT(!fl_pathpat_split(&p, "//", 2, 0));
	FLT_ASSERT(!fl_pathpat_split(&p, "/v1/", 4, 0));
	FLT_ASSERT(!fl_pathpat_split(&p, "/v1//packs", 10, 0));
	/* "." and ".." are segments like others unless the caller refuses them */
	p = split_ok("/a/./..", 0);
	FLT_EQ_INT(p.n, 3);
	FLT_ASSERT(!fl_pathpat_split(&p, "/a/./b", 6, FL_PATHPAT_NO_DOTS));
	FLT_ASSERT(!fl_pathpat_split(&p, "/a/..", 5, FL_PATHPAT_NO_DOTS));
	p = split_ok("/a/.../.b", FL_PATHPAT_NO_DOTS);
	FLT_EQ_INT(p.n, 3);
	/* only the given length counts */
	p = split_ok("/a/b", 0);
	FLT_ASSERT(fl_pathpat_split(&p, "/a/b?x=/y", 4, 0) && p.n == 2);
	for (int i = 0; i < FL_PATHPAT_MAX_SEGMENTS; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "/a");
	FLT_ASSERT(fl_pathpat_split(&p, many, n, 0));
	n += (size_t)snprintf(many + n, sizeof(many) - n, "/a");
	FLT_ASSERT(!fl_pathpat_split(&p, many, n, 0));
}

/* Does pattern match path; "" when not, else its parameters joined by '|'. */
static const char *params_of(const char *pattern, unsigned flags, const char *path, char *out, size_t outlen)
{
	struct fl_pathpat pp = compile_ok(pattern, flags);
	struct fl_pathpat_path p = split_ok(path, 0);
	struct fl_pathpat_match m;
	size_t n = 0;

	if (!fl_pathpat_match(&m, &pp, &p))
		return "no";
	out[0] = '\0';
	for (size_t i = 0; i < m.nparams; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%.*s", i ? "|" : "", (int)m.params[i].len, m.params[i].ptr);
	return out;
}

FLT_TEST(match_segments)
{
	char buf[128];

	FLT_EQ_STR(params_of("/v1/packs/:pack", 0, "/v1/packs/Slack", buf, sizeof(buf)), "Slack");
	FLT_EQ_STR(params_of("/v1/packs/:pack", 0, "/v1/packs", buf, sizeof(buf)), "no");
	FLT_EQ_STR(params_of("/v1/packs/:pack", 0, "/v1/packs/a/b", buf, sizeof(buf)), "no");
	FLT_EQ_STR(params_of("/v1/packs/:pack", 0, "/v1/Packs/a", buf, sizeof(buf)), "no");
	FLT_EQ_STR(params_of("/{a}/x/{b}", FL_PATHPAT_BRACES, "/1/x/2", buf, sizeof(buf)), "1|2");
	FLT_EQ_STR(params_of("/", 0, "/", buf, sizeof(buf)), "");
	FLT_EQ_STR(params_of("/", 0, "/a", buf, sizeof(buf)), "no");
	/* a parameter never matches the root's empty segment; a wildcard does */
	FLT_EQ_STR(params_of("/:x", 0, "/", buf, sizeof(buf)), "no");
	FLT_EQ_STR(params_of("/*", FL_PATHPAT_WILDCARD, "/", buf, sizeof(buf)), "");
	/* the wildcard takes one or more segments, anywhere */
	FLT_EQ_STR(params_of("/v1/flows/*", FL_PATHPAT_WILDCARD, "/v1/flows/a/b", buf, sizeof(buf)), "");
	FLT_EQ_STR(params_of("/v1/flows/*", FL_PATHPAT_WILDCARD, "/v1/flows", buf, sizeof(buf)), "no");
	FLT_EQ_STR(params_of("/packs/*/:id", FL_PATHPAT_WILDCARD, "/packs/a/b/c", buf, sizeof(buf)), "c");
	FLT_EQ_STR(params_of("/*/:id/end", FL_PATHPAT_WILDCARD, "/a/b/c/end", buf, sizeof(buf)), "c");
	FLT_EQ_STR(params_of("/*/:id/end", FL_PATHPAT_WILDCARD, "/c/end", buf, sizeof(buf)), "no");
}

/* Index of the winner among the patterns for path, -1 for none. */
static int winner(const char *const *patterns, size_t n, const char *path)
{
	struct fl_pathpat pats[8];
	struct fl_pathpat_path p = split_ok(path, 0);
	struct fl_pathpat_match m;

	for (size_t i = 0; i < n; i++)
		pats[i] = compile_ok(patterns[i], FL_PATHPAT_WILDCARD);
	if (!fl_pathpat_best(&m, pats, n, sizeof(pats[0]), &p))
		return -1;
	return (int)m.index;
}

FLT_TEST(most_specific_wins_from_the_left)
{
	static const char *const api[] = { "/v1/packs/:p/actions/:a", "/v1/packs/:p/actions/take", "/v1/*",
					   "/v1/packs/x/*" };
	static const char *const left[] = { "/a/:x/c", "/a/b/*", "/:y/b/c" };
	static const char *const ties[] = { "/a/:x", "/a/:y", "/*" };

	FLT_EQ_INT(winner(api, 4, "/v1/packs/P/actions/take"), 1);
	FLT_EQ_INT(winner(api, 4, "/v1/packs/P/actions/5a1d"), 0);
	FLT_EQ_INT(winner(api, 4, "/v1/flows"), 2);
	/* static beats parameter at the second segment, whatever follows */
	FLT_EQ_INT(winner(api, 4, "/v1/packs/x/actions/take"), 3);
	FLT_EQ_INT(winner(left, 3, "/a/b/c"), 1);
	FLT_EQ_INT(winner(left, 3, "/a/z/c"), 0);
	FLT_EQ_INT(winner(left, 3, "/z/b/c"), 2);
	FLT_EQ_INT(winner(left, 3, "/z/z/c"), -1);
	/* equally specific: the first one given */
	FLT_EQ_INT(winner(ties, 3, "/a/b"), 0);
	FLT_EQ_INT(winner(ties, 3, "/b/b"), 2);
	FLT_EQ_INT(winner(ties + 1, 2, "/a/b"), 0);
}

/* The patterns may sit inside larger structs: only the stride is given. */
FLT_TEST(best_with_a_stride)
{
	struct item {
		int before;
		struct fl_pathpat pat;
		const char *name;
	} items[3];
	struct fl_pathpat_path p = split_ok("/v1/datastore/special", 0);
	struct fl_pathpat_match m;

	items[0].pat = compile_ok("/v1/datastore/{key}", FL_PATHPAT_BRACES);
	items[0].name = "get item";
	items[1].pat = compile_ok("/v1/datastore/special", FL_PATHPAT_BRACES);
	items[1].name = "literal";
	items[2].pat = compile_ok("/v1", FL_PATHPAT_BRACES);
	items[2].name = "v1";
	FLT_ASSERT(fl_pathpat_best(&m, &items[0].pat, 3, sizeof(items[0]), &p));
	FLT_EQ_STR(items[m.index].name, "literal");
	FLT_EQ_INT(m.nparams, 0);
	p = split_ok("/v1/datastore/other", 0);
	FLT_ASSERT(fl_pathpat_best(&m, &items[0].pat, 3, sizeof(items[0]), &p));
	FLT_EQ_STR(items[m.index].name, "get item");
	FLT_EQ_MEM(m.params[0].ptr, m.params[0].len, "other", 5);
	FLT_ASSERT(!fl_pathpat_best(&m, &items[0].pat, 0, sizeof(items[0]), &p));
}

FLT_MAIN(compile_both_syntaxes, compile_refuses, same_shape_ignores_parameter_names, split_paths, match_segments,
	 most_specific_wins_from_the_left, best_with_a_stride)
