/* SPDX-License-Identifier: Apache-2.0 */
/*
 * graphite.h - the Graphite pack: command AddEvents posts an event to
 * graphite-web's events API, with the events and payloads of
 * ExpediaGroup/flyte-graphite (docs/packs/graphite.md).
 */
#ifndef GRAPHITE_PACK_H
#define GRAPHITE_PACK_H

#include <flyte.h>

#include "restpack.h"

/*
 * Read GRAPHITE_HOST, GRAPHITE_USER / GRAPHITE_PASSWORD (optional) and the
 * GRAPHITE_* HTTP settings.  A missing GRAPHITE_HOST leaves g->http NULL
 * (AddEvents then answers AddEventsFailure); returns -1 with a message in
 * err only when a variable is malformed.  Release g with
 * restpack_release().
 */
int graphite_from_env(struct restpack *g, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen);

extern const struct flyte_command_def graphite_commands[];
extern const size_t graphite_n_commands;

#endif
