/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mint.h - test keys, JWKs and tokens made with OpenSSL.
 *
 * Keys are generated per test run (RSA-2048, EC P-256/P-384); their public
 * halves are exported as JWKs for the local issuer, and tokens are signed
 * with EVP_DigestSign (ECDSA converted to the JOSE r||s form).  Every
 * string returned is malloc'd and owned by the caller.
 */
#ifndef TI_MINT_H
#define TI_MINT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

EVP_PKEY *ti_key_rsa(int bits);
EVP_PKEY *ti_key_ec(const char *curve); /* "P-256" or "P-384" */

/* Public JWK of a key; kid/alg/use may be NULL to leave the member out. */
json_t *ti_jwk(EVP_PKEY *key, const char *kid, const char *alg, const char *use);
/* {"keys": [...]} from a NULL-terminated list of JWKs (references are stolen). */
char *ti_jwks_text(json_t *const *jwks, size_t n);

/* SubjectPublicKeyInfo PEM of a key. */
char *ti_public_pem(EVP_PKEY *key, size_t *len);

char *ti_b64url(const void *data, size_t len);

/* Sign "b64(header).b64(payload)" with alg ("RS256" … "ES384"); NULL key = empty signature. */
char *ti_sign_texts(const char *header, const char *payload, EVP_PKEY *key, const char *alg);
/* The same with HMAC-SHA256 and a raw secret (for key-confusion attacks). */
char *ti_sign_hmac(const char *header, const char *payload, const void *secret, size_t secret_len);

/* A JOSE header {"alg","typ":"JWT"[,"kid"]} as text. */
char *ti_header(const char *alg, const char *kid);
/* Standard claims: iss, aud, sub, exp = now + exp_in, iat = now, groups = ["dev"]. */
json_t *ti_claims(const char *iss, const char *aud, long exp_in);
/* Header from alg/kid, payload from claims (not consumed), signed by key. */
char *ti_mint(EVP_PKEY *key, const char *alg, const char *kid, const json_t *claims);

/* Current time in seconds. */
long ti_now(void);

/* Does haystack contain needle (n bytes)? */
bool ti_contains(const char *haystack, size_t hlen, const char *needle, size_t n);

/* Write text to a fresh temporary file; returns its path (caller unlinks and frees). */
char *ti_write_temp(const char *text, const char *suffix);

#endif
