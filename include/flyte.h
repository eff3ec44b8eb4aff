/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file flyte.h
 * @brief libflyte, the C library for writing Flyte packs and tools.
 *
 * Include this header (or the individual headers under flyte/) and link with
 * `pkg-config --libs flyte`.  Only symbols named flyte_* are exported.
 *
 *  - flyte/errors.h  error codes and messages
 *  - flyte/client.h  the connection to a server, raw requests, logging
 *  - flyte/event.h   event declarations and JSON payload helpers
 *  - flyte/action.h  commands, handlers and results
 *  - flyte/pack.h    labels, pack definition and lifecycle
 *  - flyte/version.h library version
 *
 * Guide and a complete example pack: docs/libflyte.md.
 */
#ifndef FLYTE_H
#define FLYTE_H

#include "flyte/action.h"
#include "flyte/client.h"
#include "flyte/common.h"
#include "flyte/errors.h"
#include "flyte/event.h"
#include "flyte/pack.h"
#include "flyte/version.h"

#endif
