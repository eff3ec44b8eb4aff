/* SPDX-License-Identifier: Apache-2.0 */
/*
 * issuer.h - a local OpenID Connect issuer for the auth tests.
 *
 * An HTTP server on 127.0.0.1 (free port) inside the test process serving
 * /.well-known/openid-configuration and /jwks, counting requests to each.
 * The JWKS document can be replaced at any time (key rotation); the
 * discovery document can be overridden to test refusals.
 */
#ifndef TI_ISSUER_H
#define TI_ISSUER_H

#include <stdint.h>

struct ti_issuer;

struct ti_issuer *ti_issuer_start(void);
void ti_issuer_stop(struct ti_issuer *iss);

/* "http://127.0.0.1:<port>" (borrowed). */
const char *ti_issuer_url(const struct ti_issuer *iss);

/* Replace the JWKS body (copied). */
void ti_issuer_set_jwks(struct ti_issuer *iss, const char *json);
/* Override the discovery body (copied); NULL restores the default document. */
void ti_issuer_set_discovery(struct ti_issuer *iss, const char *json);
/* Send "Cache-Control: max-age=<sec>" with the JWKS (negative = no header). */
void ti_issuer_set_max_age(struct ti_issuer *iss, int sec);
/* Answer every request with this status (0 = normal). */
void ti_issuer_set_status(struct ti_issuer *iss, unsigned status);

unsigned ti_issuer_jwks_hits(struct ti_issuer *iss);
unsigned ti_issuer_discovery_hits(struct ti_issuer *iss);

#endif
