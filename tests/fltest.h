/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fltest.h - the small unit-test framework of flyte (TAP output).
 *
 * A test file defines test functions with FLT_TEST(name) and ends with
 * FLT_MAIN(name1, name2, ...).  Each test prints "ok N - name" or
 * "not ok N - name" followed by "# file:line: ..." diagnostics that show both
 * operands.  A failed assertion ends the current test (longjmp) and the next
 * one runs.  Meson reads the output with `protocol: 'tap'`.
 */
#ifndef FLTEST_H
#define FLTEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flt_case {
	const char *name;
	void (*fn)(void);
};

extern jmp_buf flt__jmp;
extern int flt__failed;

#define FLT_TEST(name) static void name(void)

#define FLT_FAIL(...)                                                  \
	do {                                                           \
		printf("# %s:%d: ", __FILE__, __LINE__);               \
		printf(__VA_ARGS__);                                   \
		printf("\n");                                          \
		flt__failed = 1;                                       \
		longjmp(flt__jmp, 1);                                  \
	} while (0)

#define FLT_ASSERT(cond)                                               \
	do {                                                           \
		if (!(cond))                                           \
			FLT_FAIL("assertion failed: %s", #cond);       \
	} while (0)

#define FLT_EQ_INT(a, b)                                                                              \
	do {                                                                                          \
		long long flt_a_ = (long long)(a), flt_b_ = (long long)(b);                           \
		if (flt_a_ != flt_b_)                                                                 \
			FLT_FAIL("%s == %s: got %lld, expected %lld", #a, #b, flt_a_, flt_b_);        \
	} while (0)

#define FLT_EQ_STR(a, b)                                                                              \
	do {                                                                                          \
		const char *flt_a_ = (a), *flt_b_ = (b);                                              \
		if (!flt_a_ || !flt_b_ || strcmp(flt_a_, flt_b_) != 0)                                \
			FLT_FAIL("%s == %s: got \"%s\", expected \"%s\"", #a, #b,                     \
				 flt_a_ ? flt_a_ : "(null)", flt_b_ ? flt_b_ : "(null)");             \
	} while (0)

#define FLT_EQ_MEM(a, alen, b, blen)                                                                   \
	do {                                                                                           \
		size_t flt_al_ = (alen), flt_bl_ = (blen);                                             \
		if (flt_al_ != flt_bl_ || memcmp((a), (b), flt_al_) != 0)                              \
			FLT_FAIL("%s == %s: got \"%.*s\", expected \"%.*s\"", #a, #b, (int)flt_al_,    \
				 (const char *)(a), (int)flt_bl_, (const char *)(b));                  \
	} while (0)

int flt_run(const struct flt_case *cases, size_t n);

#define FLT_CASE(fn) { #fn, fn },
#define FLT__RUNNER                                                                     \
	jmp_buf flt__jmp;                                                               \
	int flt__failed;                                                                \
	int flt_run(const struct flt_case *cases, size_t n)                             \
	{                                                                               \
		volatile int bad = 0;                                                   \
		setvbuf(stdout, NULL, _IOLBF, 0);                                       \
		printf("1..%zu\n", n);                                                  \
		for (volatile size_t i = 0; i < n; i++) {                               \
			flt__failed = 0;                                                \
			if (setjmp(flt__jmp) == 0)                                      \
				cases[i].fn();                                          \
			printf("%sok %zu - %s\n", flt__failed ? "not " : "", i + 1,    \
			       cases[i].name);                                          \
			bad += flt__failed;                                             \
		}                                                                       \
		return bad ? 1 : 0;                                                     \
	}
#define FLT_MAIN(...)                                                                   \
	FLT__RUNNER                                                                     \
	int main(void)                                                                  \
	{                                                                               \
		static const struct flt_case cases[] = { FLT__MAP(__VA_ARGS__) };       \
		return flt_run(cases, sizeof(cases) / sizeof(cases[0]));                \
	}
/*
 * FLT_MAIN for a parameterised suite: `int init(int argc, char **argv)` runs
 * first.  0 runs the tests; a positive value skips them all (init prints
 * the TAP plan "1..0 # SKIP reason" itself); a negative one exits with 2.
 */
#define FLT_MAIN_ARGS(init, ...)                                                        \
	FLT__RUNNER                                                                     \
	int main(int argc, char **argv)                                                 \
	{                                                                               \
		static const struct flt_case cases[] = { FLT__MAP(__VA_ARGS__) };       \
		int rc_ = init(argc, argv);                                             \
		if (rc_ != 0)                                                           \
			return rc_ > 0 ? 0 : 2;                                         \
		return flt_run(cases, sizeof(cases) / sizeof(cases[0]));                \
	}

/* FLT__MAP(a, b, c) -> FLT_CASE(a) FLT_CASE(b) FLT_CASE(c), up to 64 names. */
#define FLT__M1(x) FLT_CASE(x)
#define FLT__M2(x, ...) FLT_CASE(x) FLT__M1(__VA_ARGS__)
#define FLT__M3(x, ...) FLT_CASE(x) FLT__M2(__VA_ARGS__)
#define FLT__M4(x, ...) FLT_CASE(x) FLT__M3(__VA_ARGS__)
#define FLT__M5(x, ...) FLT_CASE(x) FLT__M4(__VA_ARGS__)
#define FLT__M6(x, ...) FLT_CASE(x) FLT__M5(__VA_ARGS__)
#define FLT__M7(x, ...) FLT_CASE(x) FLT__M6(__VA_ARGS__)
#define FLT__M8(x, ...) FLT_CASE(x) FLT__M7(__VA_ARGS__)
#define FLT__M9(x, ...) FLT_CASE(x) FLT__M8(__VA_ARGS__)
#define FLT__M10(x, ...) FLT_CASE(x) FLT__M9(__VA_ARGS__)
#define FLT__M11(x, ...) FLT_CASE(x) FLT__M10(__VA_ARGS__)
#define FLT__M12(x, ...) FLT_CASE(x) FLT__M11(__VA_ARGS__)
#define FLT__M13(x, ...) FLT_CASE(x) FLT__M12(__VA_ARGS__)
#define FLT__M14(x, ...) FLT_CASE(x) FLT__M13(__VA_ARGS__)
#define FLT__M15(x, ...) FLT_CASE(x) FLT__M14(__VA_ARGS__)
#define FLT__M16(x, ...) FLT_CASE(x) FLT__M15(__VA_ARGS__)
#define FLT__M17(x, ...) FLT_CASE(x) FLT__M16(__VA_ARGS__)
#define FLT__M18(x, ...) FLT_CASE(x) FLT__M17(__VA_ARGS__)
#define FLT__M19(x, ...) FLT_CASE(x) FLT__M18(__VA_ARGS__)
#define FLT__M20(x, ...) FLT_CASE(x) FLT__M19(__VA_ARGS__)
#define FLT__M21(x, ...) FLT_CASE(x) FLT__M20(__VA_ARGS__)
#define FLT__M22(x, ...) FLT_CASE(x) FLT__M21(__VA_ARGS__)
#define FLT__M23(x, ...) FLT_CASE(x) FLT__M22(__VA_ARGS__)
#define FLT__M24(x, ...) FLT_CASE(x) FLT__M23(__VA_ARGS__)
#define FLT__M25(x, ...) FLT_CASE(x) FLT__M24(__VA_ARGS__)
#define FLT__M26(x, ...) FLT_CASE(x) FLT__M25(__VA_ARGS__)
#define FLT__M27(x, ...) FLT_CASE(x) FLT__M26(__VA_ARGS__)
#define FLT__M28(x, ...) FLT_CASE(x) FLT__M27(__VA_ARGS__)
#define FLT__M29(x, ...) FLT_CASE(x) FLT__M28(__VA_ARGS__)
#define FLT__M30(x, ...) FLT_CASE(x) FLT__M29(__VA_ARGS__)
#define FLT__M31(x, ...) FLT_CASE(x) FLT__M30(__VA_ARGS__)
#define FLT__M32(x, ...) FLT_CASE(x) FLT__M31(__VA_ARGS__)
#define FLT__M33(x, ...) FLT_CASE(x) FLT__M32(__VA_ARGS__)
#define FLT__M34(x, ...) FLT_CASE(x) FLT__M33(__VA_ARGS__)
#define FLT__M35(x, ...) FLT_CASE(x) FLT__M34(__VA_ARGS__)
#define FLT__M36(x, ...) FLT_CASE(x) FLT__M35(__VA_ARGS__)
#define FLT__M37(x, ...) FLT_CASE(x) FLT__M36(__VA_ARGS__)
#define FLT__M38(x, ...) FLT_CASE(x) FLT__M37(__VA_ARGS__)
#define FLT__M39(x, ...) FLT_CASE(x) FLT__M38(__VA_ARGS__)
#define FLT__M40(x, ...) FLT_CASE(x) FLT__M39(__VA_ARGS__)
#define FLT__M41(x, ...) FLT_CASE(x) FLT__M40(__VA_ARGS__)
#define FLT__M42(x, ...) FLT_CASE(x) FLT__M41(__VA_ARGS__)
#define FLT__M43(x, ...) FLT_CASE(x) FLT__M42(__VA_ARGS__)
#define FLT__M44(x, ...) FLT_CASE(x) FLT__M43(__VA_ARGS__)
#define FLT__M45(x, ...) FLT_CASE(x) FLT__M44(__VA_ARGS__)
#define FLT__M46(x, ...) FLT_CASE(x) FLT__M45(__VA_ARGS__)
#define FLT__M47(x, ...) FLT_CASE(x) FLT__M46(__VA_ARGS__)
#define FLT__M48(x, ...) FLT_CASE(x) FLT__M47(__VA_ARGS__)
#define FLT__M49(x, ...) FLT_CASE(x) FLT__M48(__VA_ARGS__)
#define FLT__M50(x, ...) FLT_CASE(x) FLT__M49(__VA_ARGS__)
#define FLT__M51(x, ...) FLT_CASE(x) FLT__M50(__VA_ARGS__)
#define FLT__M52(x, ...) FLT_CASE(x) FLT__M51(__VA_ARGS__)
#define FLT__M53(x, ...) FLT_CASE(x) FLT__M52(__VA_ARGS__)
#define FLT__M54(x, ...) FLT_CASE(x) FLT__M53(__VA_ARGS__)
#define FLT__M55(x, ...) FLT_CASE(x) FLT__M54(__VA_ARGS__)
#define FLT__M56(x, ...) FLT_CASE(x) FLT__M55(__VA_ARGS__)
#define FLT__M57(x, ...) FLT_CASE(x) FLT__M56(__VA_ARGS__)
#define FLT__M58(x, ...) FLT_CASE(x) FLT__M57(__VA_ARGS__)
#define FLT__M59(x, ...) FLT_CASE(x) FLT__M58(__VA_ARGS__)
#define FLT__M60(x, ...) FLT_CASE(x) FLT__M59(__VA_ARGS__)
#define FLT__M61(x, ...) FLT_CASE(x) FLT__M60(__VA_ARGS__)
#define FLT__M62(x, ...) FLT_CASE(x) FLT__M61(__VA_ARGS__)
#define FLT__M63(x, ...) FLT_CASE(x) FLT__M62(__VA_ARGS__)
#define FLT__M64(x, ...) FLT_CASE(x) FLT__M63(__VA_ARGS__)
#define FLT__NTH(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, \
		 _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, _33, _34, _35, _36, _37, _38, _39, \
		 _40, _41, _42, _43, _44, _45, _46, _47, _48, _49, _50, _51, _52, _53, _54, _55, _56, _57, _58, \
		 _59, _60, _61, _62, _63, _64, N, ...)                                                       \
	N
#define FLT__MAP(...)                                                                                       \
	FLT__NTH(__VA_ARGS__, FLT__M64, FLT__M63, FLT__M62, FLT__M61, FLT__M60, FLT__M59, FLT__M58, FLT__M57, \
		 FLT__M56, FLT__M55, FLT__M54, FLT__M53, FLT__M52, FLT__M51, FLT__M50, FLT__M49, FLT__M48,    \
		 FLT__M47, FLT__M46, FLT__M45, FLT__M44, FLT__M43, FLT__M42, FLT__M41, FLT__M40, FLT__M39,    \
		 FLT__M38, FLT__M37, FLT__M36, FLT__M35, FLT__M34, FLT__M33, FLT__M32, FLT__M31, FLT__M30,    \
		 FLT__M29, FLT__M28, FLT__M27, FLT__M26, FLT__M25, FLT__M24, FLT__M23, FLT__M22, FLT__M21,    \
		 FLT__M20, FLT__M19, FLT__M18, FLT__M17, FLT__M16, FLT__M15, FLT__M14, FLT__M13, FLT__M12,    \
		 FLT__M11, FLT__M10, FLT__M9, FLT__M8, FLT__M7, FLT__M6, FLT__M5, FLT__M4, FLT__M3, FLT__M2,  \
		 FLT__M1, 0)(__VA_ARGS__)

#endif
