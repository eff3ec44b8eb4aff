/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file flyte/event.h
 * @brief Events: their declarations in a pack definition, and helpers to
 * build event payloads.
 *
 * An event is a name plus a JSON payload.  A pack declares the events it
 * may send (struct flyte_event_def) when it registers; it sends spontaneous
 * events with flyte_pack_send_event() (flyte/pack.h) and answers actions
 * with result events (flyte/action.h).  The name "FATAL" (FLYTE_EVENT_FATAL)
 * marks a failed action.
 *
 * Payloads cross this API as JSON text (UTF-8).  libflyte checks that a
 * payload is one valid JSON value before sending it, so a malformed payload
 * is reported to the caller instead of being rejected by the server later.
 */
#ifndef FLYTE_EVENT_H
#define FLYTE_EVENT_H

#include "common.h"

FLYTE_BEGIN_DECL

/** Name of the event that marks a failed action. */
#define FLYTE_EVENT_FATAL "FATAL"

/**
 * Declaration of an event a pack may send.  Strings are borrowed by the
 * definition and copied by flyte_pack_new().
 */
struct flyte_event_def {
	const char *name;     /**< event name, required */
	const char *help_url; /**< optional documentation URL, NULL if none */
};

/**
 * Check that @p json (of @p len bytes) is exactly one JSON value (object,
 * array, string, number, true, false or null), optionally surrounded by
 * white space.
 *
 * Thread-safe.
 * @return FLYTE_OK or FLYTE_EINVALID (the message gives the position).
 */
FLYTE_API int flyte_json_validate(const char *json, size_t len);

/**
 * Encode @p len bytes of text as a JSON string literal, quotes included,
 * exactly as the Flyte server writes strings: control characters, DEL, the
 * C1 controls, U+2028, U+2029, U+FFFE and U+FFFF are escaped (JSON's short
 * escape where it has one, else the escape of the code point in four hex
 * digits), '/' is not, and each byte that does not begin a
 * well-formed UTF-8 sequence is replaced by U+FFFD, so any bytes (for
 * example the output of a program) give a valid JSON string.
 *
 * @param out receives the NUL-terminated literal (caller frees with
 *            flyte_string_free()).
 * @return FLYTE_OK or FLYTE_ENOMEM.
 */
FLYTE_API int flyte_json_quote(char **out, const char *text, size_t len);

FLYTE_END_DECL

#endif
