/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file flyte/errors.h
 * @brief Error codes and error messages of libflyte.
 *
 * Every libflyte function that can fail returns an int: FLYTE_OK (0) on
 * success or one of the negative codes of enum flyte_err.  The library never
 * prints, exits or aborts on its own; the details of a failure are kept as a
 * one-line message that the calling thread reads back with flyte_last_error()
 * (or flyte_client_last_error() / flyte_pack_last_error() for a handle).
 *
 * Messages are kept per thread, so concurrent calls from several threads do
 * not overwrite each other's messages.
 */
#ifndef FLYTE_ERRORS_H
#define FLYTE_ERRORS_H

#include "common.h"

FLYTE_BEGIN_DECL

/**
 * FLYTE_ERRORS(X) lists every code once: X(NAME, value, description).
 * It generates enum flyte_err and the tables behind flyte_err_name() and
 * flyte_err_str().  Values never change once released.
 */
#define FLYTE_ERRORS(X)                                                          \
	X(OK, 0, "ok")                                                          \
	X(ERROR, -1, "error")                                                   \
	X(ENOTFOUND, -2, "not found")                                           \
	X(ECONFLICT, -4, "conflict")                                            \
	X(EINVALID, -5, "invalid argument")                                     \
	X(EUNAUTHORIZED, -6, "unauthorized")                                    \
	X(EFORBIDDEN, -7, "forbidden")                                          \
	X(EAGAIN, -8, "try again")                                              \
	X(ETOOBIG, -9, "too big")                                               \
	X(ECANCELLED, -10, "cancelled")                                         \
	X(ENOMEM, -11, "out of memory")                                         \
	X(EIO, -12, "i/o error")                                                \
	X(EMISUSE, -14, "api misuse")                                           \
	X(ETIMEOUT, -15, "timed out")                                           \
	X(ENETWORK, -20, "network error")                                       \
	X(ESERVER, -21, "server error")                                         \
	X(EHTTP, -22, "unexpected http status")                                 \
	X(EPROTOCOL, -23, "unexpected response from server")

/** The error codes returned by libflyte functions. */
enum flyte_err {
#define FLYTE_ERR_ENUM_ROW_(name, value, text) FLYTE_##name = (value),
	FLYTE_ERRORS(FLYTE_ERR_ENUM_ROW_)
#undef FLYTE_ERR_ENUM_ROW_
};

/**
 * Symbolic name of a code without the prefix, e.g. "ENOTFOUND".
 *
 * Thread-safe.  @return a static string; "EUNKNOWN" for unknown codes.
 */
FLYTE_API const char *flyte_err_name(int code);

/**
 * Short description of a code, e.g. "not found".
 *
 * Thread-safe.  @return a static string; never NULL.
 */
FLYTE_API const char *flyte_err_str(int code);

/**
 * Map an HTTP status to the code libflyte uses for it: 2xx → FLYTE_OK,
 * 400/422 → FLYTE_EINVALID, 401 → FLYTE_EUNAUTHORIZED, 403 → FLYTE_EFORBIDDEN,
 * 404 → FLYTE_ENOTFOUND, 409 → FLYTE_ECONFLICT, 413 → FLYTE_ETOOBIG,
 * 5xx → FLYTE_ESERVER, anything else → FLYTE_EHTTP.
 *
 * Thread-safe.  @return the code.
 */
FLYTE_API int flyte_err_from_status(int status);

/**
 * Message of the most recent failure of a libflyte call made by the calling
 * thread, e.g. "cannot connect to 'http://127.0.0.1:8080/v1': Connection refused".
 *
 * Thread-safe (the message is thread-local).  Successful calls leave it
 * unchanged.  The pointer is borrowed and stays valid until the calling
 * thread's next libflyte call.
 *
 * @return the message, or "" if no call of this thread has failed yet.
 */
FLYTE_API const char *flyte_last_error(void);

/**
 * Code of the most recent failure recorded for the calling thread
 * (FLYTE_OK if none).  Thread-safe.
 *
 * @return the code.
 */
FLYTE_API int flyte_last_error_code(void);

FLYTE_END_DECL

#endif
