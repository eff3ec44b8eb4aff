/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.h - validation of UTF-8 text.
 *
 * Parsers check text here before they hand it to a third-party library, so
 * that malformed bytes are refused with a clear message and a position.
 */
#ifndef FL_UTF8_H
#define FL_UTF8_H

#include "fl-common.h"

/*
 * Offset of the first byte that is not part of well-formed UTF-8 (overlong
 * forms, surrogates and code points above U+10FFFF are malformed) or, with
 * `text_only`, that is a control character other than tab, LF and CR.
 * Returns len when all of s is valid.
 */
size_t fl_utf8_first_invalid(const char *s, size_t len, bool text_only);

#endif
