/* SPDX-License-Identifier: Apache-2.0 */
/*
 * banned.h - libc functions that must not be used in flyte.
 *
 * Included last by fl-common.h, after every system header that declares
 * them, so that a use anywhere in the project fails to compile.  Use
 * fl_buf for string building, strtol/strtoll with checks for numbers and
 * gmtime_r/localtime_r for time.
 */
#ifndef FL_BANNED_H
#define FL_BANNED_H

#define FL_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) FL_BANNED(strcpy)
#undef strcat
#define strcat(x, y) FL_BANNED(strcat)
#undef strncat
#define strncat(x, y, n) FL_BANNED(strncat)
#undef sprintf
#define sprintf(...) FL_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) FL_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) FL_BANNED(strtok)
#undef atoi
#define atoi(x) FL_BANNED(atoi)
#undef atol
#define atol(x) FL_BANNED(atol)
#undef gmtime
#define gmtime(x) FL_BANNED(gmtime)
#undef localtime
#define localtime(x) FL_BANNED(localtime)
#undef ctime
#define ctime(x) FL_BANNED(ctime)
#undef asctime
#define asctime(x) FL_BANNED(asctime)
#undef gets
#define gets(x) FL_BANNED(gets)

#endif
