/* SPDX-License-Identifier: Apache-2.0 */
/*
 * functions.c - the static template functions (randomInt, base64Encode, ...).
 */
#include "fl-common.h"

#include "builtin.h"

const struct fl_tmpl_function fl_tmpl_functions[] = {
	{ NULL, NULL, NULL },
};
