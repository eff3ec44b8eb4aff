/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwk.h - JSON Web Key sets (RFC 7517) turned into verification keys.
 *
 * A JWKS document is parsed once per fetch; every usable key becomes an
 * OpenSSL EVP_PKEY built from its public parameters (RSA n/e, EC P-256 or
 * P-384 x/y with the point checked on the curve).  Keys that are not usable
 * for signature verification with one of the allowed algorithms (symmetric
 * keys, RSA under 2048 bits, unknown curves, `use` other than "sig", an `alg`
 * outside the allowlist) are skipped, never half-imported.
 *
 * A key set is immutable once built and reference counted, so request
 * threads can keep using an old set while a refetch swaps in a new one:
 * fl_jwk_set_ref() to keep one, fl_jwk_set_unref() to drop it.
 *
 * The algorithm allowlist lives here because a key is only ever used with
 * algorithms matching its type and curve (no key-type confusion).
 */
#ifndef FL_JWK_H
#define FL_JWK_H

#include "error.h"
#include "fl-common.h"

/* Allowed JWS algorithms; 0 is "none of them". */
enum fl_jwk_alg {
	FL_JWK_ALG_INVALID = 0,
	FL_JWK_RS256,
	FL_JWK_RS384,
	FL_JWK_RS512,
	FL_JWK_PS256,
	FL_JWK_PS384,
	FL_JWK_PS512,
	FL_JWK_ES256,
	FL_JWK_ES384,
};

enum fl_jwk_kty {
	FL_JWK_KTY_RSA = 1,
	FL_JWK_KTY_EC,
};

/* Caps on what a JWKS document may contain. */
#define FL_JWK_MAX_DOC (256 * 1024)
#define FL_JWK_MAX_KEYS 64
#define FL_JWK_MAX_KID 256
#define FL_JWK_RSA_MIN_BITS 2048
#define FL_JWK_RSA_MAX_BITS 8192

struct fl_jwk {
	char *kid;              /* NULL when the JWK has no kid */
	enum fl_jwk_kty kty;
	enum fl_jwk_alg alg;    /* the JWK's own `alg`, or FL_JWK_ALG_INVALID when absent */
	const char *curve;      /* "P-256" / "P-384" for EC keys, NULL for RSA */
	size_t coord_len;       /* EC: bytes per coordinate (32 or 48) */
	unsigned char order[48]; /* EC: group order, big-endian, coord_len bytes */
	void *pkey;             /* EVP_PKEY * (kept opaque so callers need no OpenSSL headers) */
};

struct fl_jwk_set;

/* What an algorithm needs: key type, curve, digest, padding. */
struct fl_jwk_alg_info {
	enum fl_jwk_alg alg;
	const char *name;     /* "RS256" */
	enum fl_jwk_kty kty;
	const char *curve;    /* EC only */
	const char *digest;   /* OpenSSL digest name, "SHA256" */
	bool pss;             /* RSASSA-PSS (salt length = digest length) */
	size_t coord_len;     /* EC only: r and s are each this many bytes */
};

/* Table entry of an allowed algorithm; NULL for FL_JWK_ALG_INVALID. */
const struct fl_jwk_alg_info *fl_jwk_alg_info(enum fl_jwk_alg alg);

/* Name -> algorithm, exact and case-sensitive ("RS256"); FL_JWK_ALG_INVALID if not allowed. */
enum fl_jwk_alg fl_jwk_alg_from_name(const char *name, size_t len);
const char *fl_jwk_alg_name(enum fl_jwk_alg alg);

/*
 * Parse a JWKS document ({"keys": [...]}).  Fails (FL_EINVALID) only when the
 * document itself is malformed or too large; unusable keys are skipped and
 * counted.  *out is owned by the caller (fl_jwk_set_unref).
 */
int fl_jwk_set_parse(struct fl_jwk_set **out, const char *json, size_t len, struct fl_error *err);

struct fl_jwk_set *fl_jwk_set_ref(struct fl_jwk_set *set);
void fl_jwk_set_unref(struct fl_jwk_set *set);

size_t fl_jwk_set_count(const struct fl_jwk_set *set);
/* Number of keys of the document that were skipped as unusable. */
size_t fl_jwk_set_skipped(const struct fl_jwk_set *set);
const struct fl_jwk *fl_jwk_set_get(const struct fl_jwk_set *set, size_t i);

/* Can this key verify signatures made with alg (key type, curve, JWK alg)? */
bool fl_jwk_usable_for(const struct fl_jwk *key, enum fl_jwk_alg alg);

enum fl_jwk_find {
	FL_JWK_FOUND = 0,
	FL_JWK_UNKNOWN_KID,   /* no key carries this kid: a refetch may help */
	FL_JWK_INCOMPATIBLE,  /* the kid exists but its key does not fit the algorithm */
	FL_JWK_AMBIGUOUS,     /* no kid given and not exactly one key usable for the algorithm */
};

/*
 * Choose the verification key for a token: by kid when kid != NULL (kid_len
 * bytes, compared exactly), otherwise the only key usable for alg.  The key
 * is borrowed from the set.
 */
enum fl_jwk_find fl_jwk_set_find(const struct fl_jwk_set *set, const char *kid, size_t kid_len,
				 enum fl_jwk_alg alg, const struct fl_jwk **out);

#endif
