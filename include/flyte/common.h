/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file flyte/common.h
 * @brief Macros shared by every libflyte header: symbol export, C++ guards,
 * printf-format checking.
 *
 * Nothing here is meant to be used directly by pack authors except
 * FLYTE_BEGIN_DECL / FLYTE_END_DECL when writing wrappers.
 */
#ifndef FLYTE_COMMON_H
#define FLYTE_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
#define FLYTE_BEGIN_DECL extern "C" {
#define FLYTE_END_DECL }
#else
#define FLYTE_BEGIN_DECL
#define FLYTE_END_DECL
#endif

/*
 * FLYTE_API marks a function exported from libflyte.  The library is built
 * with hidden visibility by default, so only functions carrying this macro
 * (all named flyte_*) are visible to programs linking it.
 */
#if defined(FLYTE_BUILDING) && defined(__GNUC__)
#define FLYTE_API __attribute__((visibility("default")))
#else
#define FLYTE_API
#endif

#if defined(__GNUC__)
#define FLYTE_PRINTF(fmt_idx, args_idx) __attribute__((format(printf, fmt_idx, args_idx)))
#else
#define FLYTE_PRINTF(fmt_idx, args_idx)
#endif

#endif
