/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filters_flyte.c - the filters Flyte registers on top of pongo2.
 */
#include "fl-common.h"

#include "builtin.h"

const struct fl_tmpl_filter fl_tmpl_filters_flyte[] = {
	{ NULL, 0, NULL, NULL, NULL, NULL },
};
