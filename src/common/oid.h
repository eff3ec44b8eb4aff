/* SPDX-License-Identifier: Apache-2.0 */
/*
 * oid.h - 24-hex-character, time-ordered identifiers (MongoDB ObjectId shape).
 *
 * Action ids, correlation ids and flow version uuids use this form for wire
 * compatibility: 4 bytes of seconds, 5 random bytes chosen per process, and a
 * 3-byte counter.  Thread-safe.
 */
#ifndef FL_OID_H
#define FL_OID_H

#include "fl-common.h"

#define FL_OID_LEN 24

/* Write a new id (24 hex chars + NUL) into out. */
void fl_oid_new(char out[FL_OID_LEN + 1]);
/* True if s is exactly 24 lowercase or uppercase hex characters. */
bool fl_oid_valid(const char *s, size_t len);

#endif
