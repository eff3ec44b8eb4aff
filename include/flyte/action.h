/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file flyte/action.h
 * @brief Commands, their handlers, and the result a handler produces.
 *
 * The server hands a pack *actions*: a command name plus a JSON input.  The
 * pack's take loop finds the command's handler and runs it on a worker
 * thread; the handler fills a struct flyte_result with a result event (name
 * and JSON payload) which libflyte posts back to the server.
 *
 * **Handler contract.**
 *  - Handlers run on worker threads, up to the pack's concurrency at once,
 *    possibly several instances of the same handler: they must be
 *    thread-safe.
 *  - @p input is the raw JSON of the action's input (e.g. `"echo hi"` with
 *    its quotes, an object, or `null`), borrowed for the call, NUL-terminated.
 *  - Return 0 after setting a result with flyte_result_set() or
 *    flyte_result_set_string().  A handler that returns 0 without setting a
 *    result completes the action as FATAL ("handler for command 'X' set no
 *    result").
 *  - Return non-zero to fail the action: it completes as FATAL with the
 *    message given to flyte_result_fatal(), or "handler for command 'X'
 *    failed" if none was given.
 *  - An action for a command without a handler completes as FATAL with
 *    payload "no handler for command \"X\"".
 *  - The result is posted until the server accepts it (it is retried on
 *    network errors and 5xx answers, never silently dropped).
 *
 * **Leases.**  Every command is registered with a lease (60 s unless set
 * otherwise, see struct flyte_pack_options and
 * flyte_pack_set_command_lease()): a server that supports leases
 * hands an action to another taker when the lease ends without a result or
 * a heartbeat.  While a handler runs, libflyte sends heartbeats on its own
 * timer (every third of the lease), so a slow handler keeps its action.  If
 * the server answers that the lease was lost (the pack was unreachable for
 * longer than the lease and the action went to another taker), the handler
 * is not interrupted: flyte_result_lease_lost() becomes true and the result
 * it posts is refused.  An action can therefore run more than once (at
 * least once, never lost): a handler learns which take it serves from
 * flyte_result_attempt().
 */
#ifndef FLYTE_ACTION_H
#define FLYTE_ACTION_H

#include "common.h"
#include "event.h"

FLYTE_BEGIN_DECL

/** The result of one action, filled by a handler; opaque. */
struct flyte_result;

/**
 * A command handler.
 *
 * @param input     the action input as JSON text (borrowed, NUL-terminated).
 * @param input_len length of input in bytes.
 * @param out       the result to fill (borrowed for the call).
 * @param payload   the payload given in struct flyte_command_def.
 * @return 0 on success, non-zero to fail the action (see above).
 */
typedef int (*flyte_handler_fn)(const char *input, size_t input_len, struct flyte_result *out,
				void *payload);

/**
 * Declaration of a command.  Strings and arrays are borrowed by the
 * definition and copied by flyte_pack_new().
 */
struct flyte_command_def {
	const char *name;                  /**< command name, required */
	const char *const *output_events;  /**< names of the events the handler may return */
	size_t n_output_events;            /**< length of output_events */
	flyte_handler_fn handler;          /**< NULL: every action fails as FATAL */
	void *payload;                     /**< passed to handler */
	const char *help_url;              /**< optional documentation URL */
};

/**
 * Set the result event.  The previous result, if any, is replaced.
 *
 * @param r            the result.
 * @param event        event name, e.g. "Output" (copied).
 * @param payload_json the payload as JSON text (copied); NULL means `null`.
 * @return FLYTE_OK; FLYTE_EINVALID if event is empty or the payload is not
 *         valid JSON (the result is then left unchanged); FLYTE_ENOMEM.
 */
FLYTE_API int flyte_result_set(struct flyte_result *r, const char *event, const char *payload_json);

/**
 * Set the result event with a JSON string payload made from @p text
 * (invalid UTF-8 is replaced, see flyte_json_quote()).
 *
 * @return FLYTE_OK; FLYTE_EINVALID (empty event); FLYTE_ENOMEM.
 */
FLYTE_API int flyte_result_set_string(struct flyte_result *r, const char *event, const char *text);

/**
 * Set a FATAL result whose payload is the formatted message as a JSON
 * string, and return -1 so a handler can `return flyte_result_fatal(...)`.
 *
 * @return -1 always (the action fails even if the message cannot be stored).
 */
FLYTE_API int flyte_result_fatal(struct flyte_result *r, const char *fmt, ...) FLYTE_PRINTF(2, 3);

/**
 * Name of the command this result answers (borrowed, lives as long as the
 * result).  Lets one handler serve several commands.
 */
FLYTE_API const char *flyte_result_command(const struct flyte_result *r);

/**
 * Which take of the action this handler call serves: 1 for the first
 * delivery, 2 after the lease of the first one ended, ...; 0 when the
 * server did not say (a server without leases).
 */
FLYTE_API long flyte_result_attempt(const struct flyte_result *r);

/**
 * Non-zero once the server answered a heartbeat of this action with 409:
 * the lease was lost and another attempt owns the action, so the result of
 * this call will be refused.  A long handler may check it to stop early.
 * Thread-safe.
 */
FLYTE_API int flyte_result_lease_lost(const struct flyte_result *r);

FLYTE_END_DECL

#endif
