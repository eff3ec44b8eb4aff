/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwt.h - strict decoding and verification of compact JWS tokens (ID tokens).
 *
 * Three steps, each of which can refuse the token:
 *   fl_jwt_decode()        split into exactly three segments, strict
 *                          base64url, header JSON: alg allowlist, no
 *                          jwk/jku/x5u/x5c/crit, kid a short plain string;
 *   fl_jwt_verify()        signature over "header.payload" with the key the
 *                          caller chose (fl_jwk_set_find) — RSA PKCS#1 v1.5,
 *                          RSA-PSS, or ECDSA with the JOSE r||s form;
 *   fl_jwt_check_claims()  only after a good signature: payload JSON object,
 *                          exp required, nbf/iat, iss, aud.
 * The claims are then in jwt->claims (a jansson object owned by the struct).
 *
 * A struct fl_jwt points into the token for the signing input; the token
 * must outlive it.  Status codes are mapped to a short reason with
 * fl_jwt_status_str(); reasons never quote the token.
 */
#ifndef FL_JWT_H
#define FL_JWT_H

#include <jansson.h>

#include "fl-common.h"
#include "jwk.h"
#include "str.h"

#define FL_JWT_STATUS(X)                                                         \
	X(OK, "ok")                                                              \
	X(EMPTY, "empty token")                                                  \
	X(TOO_LONG, "token too long")                                            \
	X(SEGMENTS, "token does not have exactly three segments")                \
	X(ENCODING, "segment is not strict base64url")                           \
	X(HEADER, "malformed token header")                                      \
	X(ALG_NONE, "unsigned token (alg none) refused")                         \
	X(ALG, "signature algorithm not allowed")                                \
	X(HEADER_PARAM, "forbidden header parameter (jwk, jku, x5u, x5c, crit)") \
	X(KID, "malformed key id")                                               \
	X(UNKNOWN_KID, "unknown signing key")                                    \
	X(KEY_MISMATCH, "signing key does not fit the algorithm")                \
	X(NO_KEY, "no unique key for a token without key id")                    \
	X(NO_SIGNATURE, "signature missing")                                     \
	X(SIGNATURE, "signature verification failed")                            \
	X(PAYLOAD, "malformed token payload")                                    \
	X(EXP_MISSING, "exp claim missing or not a number")                      \
	X(EXPIRED, "token expired")                                              \
	X(NBF, "token not yet valid (nbf)")                                      \
	X(IAT, "token issued in the future (iat)")                               \
	X(ISSUER, "wrong or missing issuer")                                     \
	X(AUDIENCE, "audience does not contain the client id")                   \
	X(INTERNAL, "internal error during verification")

enum fl_jwt_status {
#define FL__JWT_ENUM(name, text) FL_JWT_##name,
	FL_JWT_STATUS(FL__JWT_ENUM)
#undef FL__JWT_ENUM
};

/* Limits on the decoded parts. */
#define FL_JWT_MAX_HEADER 4096
#define FL_JWT_MAX_SIG 1024
#define FL_JWT_MAX_DEPTH 32

struct fl_jwt {
	enum fl_jwk_alg alg;
	bool has_kid;
	char kid[FL_JWK_MAX_KID + 1];
	size_t kid_len;
	struct fl_str signing_input; /* "header.payload", into the token */
	struct fl_str payload_b64;   /* into the token */
	unsigned char *sig;
	size_t sig_len;
	json_t *claims;              /* after fl_jwt_check_claims */
};

struct fl_jwt_expect {
	const char *issuer;   /* exact match */
	const char *audience; /* must be aud or one element of aud */
	int leeway_sec;
	int64_t now;          /* seconds since the epoch */
};

const char *fl_jwt_status_str(enum fl_jwt_status st);

/* Start with an all-zero struct (or after fl_jwt_release). */
enum fl_jwt_status fl_jwt_decode(struct fl_jwt *jwt, const char *token, size_t len, size_t max_len);
enum fl_jwt_status fl_jwt_verify(const struct fl_jwt *jwt, const struct fl_jwk *key);
enum fl_jwt_status fl_jwt_check_claims(struct fl_jwt *jwt, const struct fl_jwt_expect *expect);
/* Free what the struct owns and zero it. */
void fl_jwt_release(struct fl_jwt *jwt);

/*
 * Parse JSON text as an object with duplicate keys rejected and nesting
 * limited to FL_JWT_MAX_DEPTH; NULL if it is anything else.  Caller owns.
 */
json_t *fl_jwt_parse_json_object(const char *text, size_t len);

#endif
