/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwt.c - compact JWS decoding, signature verification and claim checks.
 *
 * The token is split on its two dots ourselves (no allocation per dot, so a
 * token of dots costs nothing), each segment is decoded with the strict
 * base64url decoder, and the header and payload are parsed with jansson
 * with duplicate keys rejected and a nesting limit.  The algorithm comes
 * from a fixed allowlist; the key is chosen by the caller and must fit the
 * algorithm (type and curve), so an HMAC "signature" made with a public key
 * can never be checked as such: HS* is simply not in the list.  ECDSA
 * signatures arrive as fixed-size r||s and are converted to DER here after
 * r and s are checked to lie in [1, n-1].
 */
#include "fl-common.h"

#include <strings.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "b64.h"
#include "buf.h"
#include "jsonscan.h"
#include "jwt.h"

static const char *const status_text[] = {
#define FL__JWT_TEXT(name, text) text,
	FL_JWT_STATUS(FL__JWT_TEXT)
#undef FL__JWT_TEXT
};

/* Header parameters that would let the token choose or fetch its own key. */
static const char *const forbidden_header[] = { "jwk", "jku", "x5u", "x5c", "crit" };

const char *fl_jwt_status_str(enum fl_jwt_status st)
{
	if ((size_t)st >= FL_ARRAY_LEN(status_text))
		return "unknown";
	return status_text[st];
}

json_t *fl_jwt_parse_json_object(const char *text, size_t len)
{
	json_error_t jerr;
	json_t *v;

	if (fl_jsonscan_check(text, len, FL_JWT_MAX_DEPTH, SIZE_MAX) != FL_JSONSCAN_OK)
		return NULL;
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static int decode_segment(struct fl_buf *out, const char *p, size_t n)
{
	if (n == 0 || fl_b64_decode(out, p, n, FL_B64_URL) != 0)
		return -1;
	return 0;
}

static enum fl_jwt_status check_header(struct fl_jwt *jwt, json_t *hdr)
{
	json_t *alg = json_object_get(hdr, "alg");
	json_t *kid = json_object_get(hdr, "kid");

	if (!json_is_string(alg))
		return FL_JWT_HEADER;
	if (strcasecmp(json_string_value(alg), "none") == 0)
		return FL_JWT_ALG_NONE;
	jwt->alg = fl_jwk_alg_from_name(json_string_value(alg), json_string_length(alg));
	if (jwt->alg == FL_JWK_ALG_INVALID)
		return FL_JWT_ALG;
	for (size_t i = 0; i < FL_ARRAY_LEN(forbidden_header); i++)
		if (json_object_get(hdr, forbidden_header[i]))
			return FL_JWT_HEADER_PARAM;
	if (kid) {
		size_t n = json_string_length(kid);
		if (!json_is_string(kid) || n == 0 || n > FL_JWK_MAX_KID || strlen(json_string_value(kid)) != n)
			return FL_JWT_KID;
		memcpy(jwt->kid, json_string_value(kid), n);
		jwt->kid[n] = '\0';
		jwt->kid_len = n;
		jwt->has_kid = true;
	}
	return FL_JWT_OK;
}

enum fl_jwt_status fl_jwt_decode(struct fl_jwt *jwt, const char *token, size_t len, size_t max_len)
{
	struct fl_buf hb = FL_BUF_INIT(FL_JWT_MAX_HEADER);
	struct fl_buf sb = FL_BUF_INIT(FL_JWT_MAX_SIG);
	const char *dot1 = NULL, *dot2 = NULL;
	json_t *hdr = NULL;
	enum fl_jwt_status st;

	memset(jwt, 0, sizeof(*jwt));
	if (len == 0)
		return FL_JWT_EMPTY;
	if (len > max_len)
		return FL_JWT_TOO_LONG;
	for (size_t i = 0; i < len; i++) {
		if (token[i] != '.')
			continue;
		if (!dot1) {
			dot1 = token + i;
		} else if (!dot2) {
			dot2 = token + i;
		} else {
			st = FL_JWT_SEGMENTS;
			goto done;
		}
	}
	if (!dot2) {
		st = FL_JWT_SEGMENTS;
		goto done;
	}
	if (decode_segment(&hb, token, (size_t)(dot1 - token)) != 0) {
		st = fl_buf_failed(&hb) ? FL_JWT_HEADER : FL_JWT_ENCODING; /* too large, or bad base64url */
		goto done;
	}
	hdr = fl_jwt_parse_json_object(hb.ptr, hb.len);
	if (!hdr) {
		st = FL_JWT_HEADER;
		goto done;
	}
	st = check_header(jwt, hdr);
	if (st != FL_JWT_OK)
		goto done;
	if (dot2 == dot1 + 1) {
		st = FL_JWT_PAYLOAD;
		goto done;
	}
	if (dot2 + 1 == token + len) {
		st = FL_JWT_NO_SIGNATURE;
		goto done;
	}
	if (decode_segment(&sb, dot2 + 1, (size_t)(token + len - dot2 - 1)) != 0) {
		st = FL_JWT_ENCODING;
		goto done;
	}
	jwt->signing_input = fl_str_make(token, (size_t)(dot2 - token));
	jwt->payload_b64 = fl_str_make(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	jwt->sig_len = sb.len;
	jwt->sig = (unsigned char *)fl_buf_detach(&sb, NULL);
	if (!jwt->sig)
		st = FL_JWT_INTERNAL;
done:
	json_decref(hdr);
	fl_buf_release(&hb);
	fl_buf_release(&sb);
	if (st != FL_JWT_OK)
		fl_jwt_release(jwt);
	return st;
}

/* Big-endian comparison of equal-length numbers. */
static bool in_scalar_range(const unsigned char *v, const unsigned char *order, size_t n)
{
	bool zero = true;
	for (size_t i = 0; i < n; i++)
		if (v[i]) {
			zero = false;
			break;
		}
	return !zero && memcmp(v, order, n) < 0;
}

/* JOSE r||s -> DER ECDSA-Sig-Value in *der (caller frees with OPENSSL_free). */
static int ecdsa_raw_to_der(const struct fl_jwk *key, const unsigned char *sig, size_t len, unsigned char **der,
			    size_t *der_len)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	int n, rc = -1;

	*der = NULL;
	if (len != 2 * key->coord_len || !in_scalar_range(sig, key->order, key->coord_len) ||
	    !in_scalar_range(sig + key->coord_len, key->order, key->coord_len))
		return -1;
	r = BN_bin2bn(sig, (int)key->coord_len, NULL);
	s = BN_bin2bn(sig + key->coord_len, (int)key->coord_len, NULL);
	es = ECDSA_SIG_new();
	if (!r || !s || !es || !ECDSA_SIG_set0(es, r, s))
		goto done;
	r = s = NULL; /* owned by es now */
	n = i2d_ECDSA_SIG(es, der);
	if (n <= 0)
		goto done;
	*der_len = (size_t)n;
	rc = 0;
done:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

enum fl_jwt_status fl_jwt_verify(const struct fl_jwt *jwt, const struct fl_jwk *key)
{
	const struct fl_jwk_alg_info *ai = fl_jwk_alg_info(jwt->alg);
	EVP_MD_CTX *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	const unsigned char *sig = jwt->sig;
	size_t sig_len = jwt->sig_len;
	enum fl_jwt_status st = FL_JWT_SIGNATURE;

	if (!ai || !key || !key->pkey || !fl_jwk_usable_for(key, jwt->alg))
		return FL_JWT_KEY_MISMATCH;
	if (ai->kty == FL_JWK_KTY_EC) {
		if (ecdsa_raw_to_der(key, jwt->sig, jwt->sig_len, &der, &sig_len) != 0)
			goto done;
		sig = der;
	} else if (sig_len != (size_t)EVP_PKEY_get_size(key->pkey)) {
		goto done;
	}
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestVerifyInit_ex(md, &pctx, ai->digest, NULL, NULL, key->pkey, NULL) != 1) {
		st = FL_JWT_INTERNAL;
		goto done;
	}
	if (ai->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
			EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0)) {
		st = FL_JWT_INTERNAL;
		goto done;
	}
	if (EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jwt->signing_input.ptr,
			     jwt->signing_input.len) == 1)
		st = FL_JWT_OK;
done:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return st;
}

static bool string_is(json_t *v, const char *want)
{
	size_t n = strlen(want);
	return json_is_string(v) && json_string_length(v) == n && memcmp(json_string_value(v), want, n) == 0;
}

static bool audience_ok(json_t *aud, const char *client_id)
{
	size_t i;
	json_t *el;

	if (json_is_string(aud))
		return string_is(aud, client_id);
	if (!json_is_array(aud))
		return false;
	json_array_foreach (aud, i, el)
		if (string_is(el, client_id))
			return true;
	return false;
}

enum fl_jwt_status fl_jwt_check_claims(struct fl_jwt *jwt, const struct fl_jwt_expect *expect)
{
	struct fl_buf pb = FL_BUF_INIT(jwt->payload_b64.len);
	json_t *claims = NULL, *v;
	double now = (double)expect->now, leeway = (double)expect->leeway_sec;
	enum fl_jwt_status st;

	if (decode_segment(&pb, jwt->payload_b64.ptr, jwt->payload_b64.len) != 0) {
		st = FL_JWT_ENCODING;
		goto done;
	}
	claims = fl_jwt_parse_json_object(pb.ptr, pb.len);
	if (!claims) {
		st = FL_JWT_PAYLOAD;
		goto done;
	}
	v = json_object_get(claims, "exp");
	if (!json_is_number(v)) {
		st = FL_JWT_EXP_MISSING;
		goto done;
	}
	if (now >= json_number_value(v) + leeway) {
		st = FL_JWT_EXPIRED;
		goto done;
	}
	v = json_object_get(claims, "nbf");
	if (v && (!json_is_number(v) || json_number_value(v) > now + leeway)) {
		st = FL_JWT_NBF;
		goto done;
	}
	v = json_object_get(claims, "iat");
	if (v && (!json_is_number(v) || json_number_value(v) > now + leeway)) {
		st = FL_JWT_IAT;
		goto done;
	}
	if (!string_is(json_object_get(claims, "iss"), expect->issuer)) {
		st = FL_JWT_ISSUER;
		goto done;
	}
	if (!audience_ok(json_object_get(claims, "aud"), expect->audience)) {
		st = FL_JWT_AUDIENCE;
		goto done;
	}
	json_decref(jwt->claims);
	jwt->claims = claims;
	claims = NULL;
	st = FL_JWT_OK;
done:
	json_decref(claims);
	fl_buf_release(&pb);
	return st;
}

void fl_jwt_release(struct fl_jwt *jwt)
{
	free(jwt->sig);
	json_decref(jwt->claims);
	memset(jwt, 0, sizeof(*jwt));
}
