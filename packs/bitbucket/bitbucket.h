/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bitbucket.h - the Bitbucket pack: command createRepo on Bitbucket Server /
 * Data Center REST 1.0, with the events and payloads of
 * ExpediaGroup/flyte-bitbucket (docs/packs/bitbucket.md).
 */
#ifndef BITBUCKET_PACK_H
#define BITBUCKET_PACK_H

#include <jansson.h>

#include <flyte.h>

#include "restpack.h"

/*
 * Read BITBUCKET_HOST, BITBUCKET_USER, BITBUCKET_PASS, BITBUCKET_TOKEN and
 * the BITBUCKET_* HTTP settings.  A missing variable leaves bb->http NULL
 * (commands then fail with their failure event); returns -1 with a message
 * in err only when a variable is malformed.  Release bb with
 * restpack_release().
 */
int bitbucket_from_env(struct restpack *bb, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen);

extern const struct flyte_command_def bitbucket_commands[];
extern const size_t bitbucket_n_commands;

/* The first links.self href of a created repository, or NULL.  Borrowed. */
const char *bitbucket_repo_url(const json_t *repo);

#endif
