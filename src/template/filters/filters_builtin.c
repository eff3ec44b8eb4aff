/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters_builtin.c - the pongo2 built-in filters.
 *
 * Each filter reproduces what pongo2 (at the version Flyte pins) returns for
 * the same input, including its quirks.
 */
#include "fl-common.h"

#include "builtin.h"

const struct fl_tmpl_filter fl_tmpl_filters_builtin[] = {
	{ NULL, 0, NULL, NULL, NULL, NULL },
};
