/* SPDX-License-Identifier: Apache-2.0 */
/*
 * verify.c - throughput of token verification, uncached and cached.
 *
 * Builds an RSA-2048 and a P-256 key, a JWKS holding their public halves
 * and one signed ID token each, then for `seconds` per case runs:
 *   rs256-uncached  decode + key lookup + EVP verify + claim checks
 *   es256-uncached  the same with ES256
 *   rs256-cached    SHA-256 of the token + cache lookup (what a hit costs)
 * and prints verifications per second and microseconds per verification.
 * Single thread; numbers on shared machines vary by ±30 %.
 */
#include "fl-common.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "auth/jwk.h"
#include "auth/jwt.h"
#include "auth/tokcache.h"
#include "b64.h"
#include "buf.h"
#include "timeutil.h"

#define ISSUER "https://issuer.example"
#define AUDIENCE "flyte-api"

static void add_b64(struct fl_buf *b, const void *p, size_t n)
{
	fl_b64_encode(b, p, n, FL_B64_URL);
}

static void add_bn(struct fl_buf *b, EVP_PKEY *k, const char *param)
{
	BIGNUM *bn = NULL;
	unsigned char raw[1024];
	EVP_PKEY_get_bn_param(k, param, &bn);
	add_b64(b, raw, (size_t)BN_bn2bin(bn, raw));
	BN_free(bn);
}

static char *jwks_for(EVP_PKEY *rsa, EVP_PKEY *ec)
{
	struct fl_buf b = FL_BUF_INIT(0);
	unsigned char pt[65];
	size_t len = 0;

	fl_buf_adds(&b, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"r\",\"n\":\"");
	add_bn(&b, rsa, OSSL_PKEY_PARAM_RSA_N);
	fl_buf_adds(&b, "\",\"e\":\"");
	add_bn(&b, rsa, OSSL_PKEY_PARAM_RSA_E);
	fl_buf_adds(&b, "\"},{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"e\",\"x\":\"");
	EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len);
	add_b64(&b, pt + 1, 32);
	fl_buf_adds(&b, "\",\"y\":\"");
	add_b64(&b, pt + 33, 32);
	fl_buf_adds(&b, "\"}]}");
	return fl_buf_detach(&b, NULL);
}

static char *mint(EVP_PKEY *k, const char *alg, const char *kid)
{
	struct fl_buf b = FL_BUF_INIT(0), h = FL_BUF_INIT(0), p = FL_BUF_INIT(0);
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	fl_buf_addf(&h, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid);
	fl_buf_addf(&p,
		    "{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"pack-slack\",\"exp\":%lld,\"iat\":%lld,"
		    "\"groups\":[\"dev\",\"packs\"],\"pack\":\"Slack\"}",
		    ISSUER, AUDIENCE, (long long)time(NULL) + 3600, (long long)time(NULL));
	add_b64(&b, h.ptr, h.len);
	fl_buf_addc(&b, '.');
	add_b64(&b, p.ptr, p.len);
	EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k, NULL);
	EVP_DigestSign(md, sig, &siglen, (unsigned char *)b.ptr, b.len);
	EVP_MD_CTX_free(md);
	if (EVP_PKEY_is_a(k, "EC")) {
		const unsigned char *q = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)siglen);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
		ECDSA_SIG_free(es);
		siglen = 64;
	}
	fl_buf_addc(&b, '.');
	add_b64(&b, sig, siglen);
	fl_buf_release(&h);
	fl_buf_release(&p);
	return fl_buf_detach(&b, NULL);
}

static bool verify_full(struct fl_jwk_set *set, const char *tok)
{
	const struct fl_jwt_expect ex = { ISSUER, AUDIENCE, 60, (int64_t)time(NULL) };
	const struct fl_jwk *key;
	struct fl_jwt jwt;
	bool ok = false;

	if (fl_jwt_decode(&jwt, tok, strlen(tok), 16384) != FL_JWT_OK)
		return false;
	if (fl_jwk_set_find(set, jwt.kid, jwt.kid_len, jwt.alg, &key) == FL_JWK_FOUND &&
	    fl_jwt_verify(&jwt, key) == FL_JWT_OK && fl_jwt_check_claims(&jwt, &ex) == FL_JWT_OK)
		ok = true;
	fl_jwt_release(&jwt);
	return ok;
}

static void report(const char *name, long n, int64_t ns)
{
	double s = (double)ns / 1e9;
	printf("%-16s %10.0f verifies/s  %8.2f us/verify  (%ld in %.2f s)\n", name, (double)n / s, s * 1e6 / (double)n,
	       n, s);
}

static void run_uncached(const char *name, struct fl_jwk_set *set, const char *tok, double seconds)
{
	int64_t start = fl_time_mono_ns(), end = start + (int64_t)(seconds * 1e9), now;
	long n = 0;
	do {
		for (int i = 0; i < 64; i++)
			if (!verify_full(set, tok))
				abort();
		n += 64;
		now = fl_time_mono_ns();
	} while (now < end);
	report(name, n, now - start);
}

static void run_cached(struct fl_jwk_set *set, const char *tok, double seconds)
{
	struct fl_tokcache *c = fl_tokcache_new(4096);
	unsigned char d[FL_TOKCACHE_DIGEST];
	json_t *claims = json_pack("{s:s}", "sub", "x"), *got;
	int64_t start, end, now;
	long n = 0;

	(void)set;
	fl_tokcache_digest(tok, strlen(tok), d);
	fl_tokcache_put(c, d, 1, INT64_MAX, claims);
	start = fl_time_mono_ns();
	end = start + (int64_t)(seconds * 1e9);
	do {
		for (int i = 0; i < 1024; i++) {
			fl_tokcache_digest(tok, strlen(tok), d);
			if (!fl_tokcache_get(c, d, 1, 0, &got))
				abort();
			json_decref(got);
		}
		n += 1024;
		now = fl_time_mono_ns();
	} while (now < end);
	report("rs256-cached", n, now - start);
	json_decref(claims);
	fl_tokcache_free(c);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0;
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *jwks = jwks_for(rsa, ec), *rs = mint(rsa, "RS256", "r"), *es = mint(ec, "ES256", "e");
	struct fl_jwk_set *set = NULL;
	struct fl_error err = FL_ERROR_INIT;

	if (fl_jwk_set_parse(&set, jwks, strlen(jwks), &err) != FL_OK || fl_jwk_set_count(set) != 2) {
		fprintf(stderr, "jwks: %s\n", err.msg);
		return 1;
	}
	printf("token sizes: RS256 %zu bytes, ES256 %zu bytes\n", strlen(rs), strlen(es));
	run_uncached("rs256-uncached", set, rs, seconds);
	run_uncached("es256-uncached", set, es, seconds);
	run_cached(set, rs, seconds);
	fl_jwk_set_unref(set);
	free(jwks);
	free(rs);
	free(es);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	return 0;
}
