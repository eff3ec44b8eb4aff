/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bamboo.h - the Bamboo pack: configuration, command handlers and the
 * mapping of Bamboo REST answers to event payloads.
 *
 * The pack answers the commands of ExpediaGroup/flyte-bamboo (AddLabel,
 * DeleteLabel, StartStage, TriggerPlan, EnablePlan, AddComment,
 * GetLifecycleState) with the same events and payload shapes; see
 * docs/packs/bamboo.md for the differences.
 */
#ifndef BAMBOO_PACK_H
#define BAMBOO_PACK_H

#include <jansson.h>

#include <flyte.h>

#include "restpack.h"

/* StartStage's bounds on the input's retry settings. */
#define BAMBOO_MAX_RETRY 100
#define BAMBOO_MAX_DELAY_SEC 600

/*
 * Read BAMBOO_HOST, BAMBOO_USER, BAMBOO_PASS (or BAMBOO_PASSWORD),
 * BAMBOO_TOKEN and the BAMBOO_* HTTP settings.  A missing variable leaves
 * b->http NULL (commands then fail with their failure event); returns -1
 * with a message in err only when a variable is malformed.  Release b with
 * restpack_release().
 */
int bamboo_from_env(struct restpack *b, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen);

extern const struct flyte_command_def bamboo_commands[];
extern const size_t bamboo_n_commands;

/*
 * The GetLifeCycleState payload for stage of build from a result answer
 * (GET /result/{key}.json?expand=stages); an unknown stage gives empty
 * strings, as the Go pack did.  New reference.
 */
json_t *bamboo_lifecycle_payload(const json_t *result, const char *build, const char *stage);

#endif
