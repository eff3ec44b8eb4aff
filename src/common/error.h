/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error.h - the one error enum of the project and the error object.
 *
 * FL_ERRORS lists every code once: symbolic name, value, the HTTP status an
 * API answer uses for it, and a short description.  Functions return one of
 * these codes (0 = success, negative = failure); details go into a
 * struct fl_error owned by the caller, never into new codes.
 *
 * Rules: callers propagate a lower layer's code and message unchanged;
 * fl_error_set_oom() never allocates.
 */
#ifndef FL_ERROR_H
#define FL_ERROR_H

#include "fl-common.h"

#define FL_ERRORS(X)                                                       \
	X(OK, 0, 200, "ok")                                                \
	X(ERROR, -1, 500, "internal error")                                \
	X(ENOTFOUND, -2, 404, "not found")                                 \
	X(EEXISTS, -3, 409, "already exists")                              \
	X(ECONFLICT, -4, 409, "conflict")                                  \
	X(EINVALID, -5, 400, "invalid input")                              \
	X(EUNAUTHORIZED, -6, 401, "unauthorized")                          \
	X(EFORBIDDEN, -7, 403, "forbidden")                                \
	X(EAGAIN, -8, 503, "try again")                                    \
	X(ETOOBIG, -9, 413, "too big")                                     \
	X(ECANCELLED, -10, 503, "cancelled")                               \
	X(ENOMEM, -11, 500, "out of memory")                               \
	X(EIO, -12, 503, "i/o error")                                      \
	X(ELIMIT, -13, 422, "limit exceeded")                              \
	X(EMISUSE, -14, 500, "api misuse")                                 \
	X(ETIMEOUT, -15, 504, "timed out")                                 \
	X(EUNSUPPORTED, -16, 415, "unsupported")                           \
	X(EMETHOD, -17, 405, "method not allowed")                          \
	X(ERETRY, -18, 503, "transaction must be tried again")

enum fl_err {
#define FL__ERR_ENUM(name, value, status, text) FL_##name = (value),
	FL_ERRORS(FL__ERR_ENUM)
#undef FL__ERR_ENUM
};

#define FL_ERROR_MSG_MAX 256

struct fl_error {
	int code;
	char msg[FL_ERROR_MSG_MAX];
};

#define FL_ERROR_INIT { 0, { 0 } }

/* Symbolic name of a code ("ENOTFOUND"); "EUNKNOWN" for unknown codes. */
const char *fl_err_name(int code);
/* Short description of a code ("not found"). */
const char *fl_err_str(int code);
/* HTTP status used when an API request fails with this code. */
int fl_err_http_status(int code);

/*
 * Record an error: sets err->code and formats err->msg.  err may be NULL.
 * Returns code, so `return fl_error_set(err, FL_EINVALID, "...")` works.
 */
int fl_error_set(struct fl_error *err, int code, const char *fmt, ...) FL_PRINTF(3, 4);
int fl_error_vset(struct fl_error *err, int code, const char *fmt, va_list ap) FL_PRINTF(3, 0);
/* Record an out-of-memory error without allocating. */
int fl_error_set_oom(struct fl_error *err);
/* Reset to FL_OK with an empty message. */
void fl_error_clear(struct fl_error *err);
/* Prefix the existing message with "<fmt>: " keeping the code. */
int fl_error_prefix(struct fl_error *err, const char *fmt, ...) FL_PRINTF(2, 3);

#endif
