/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mint.c - key generation, JWK export and token signing for the auth tests.
 *
 * This is the "identity provider" side of the tests, written independently
 * of src/auth: it builds tokens the way an issuer would (and the ways an
 * attacker would), so the verifier is checked against outside behaviour
 * rather than against itself.
 */
#include "fl-common.h"

#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "b64.h"
#include "buf.h"
#include "mint.h"

EVP_PKEY *ti_key_rsa(int bits)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!k)
		abort();
	return k;
}

EVP_PKEY *ti_key_ec(const char *curve)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	if (!k)
		abort();
	return k;
}

long ti_now(void)
{
	return (long)time(NULL);
}

char *ti_b64url(const void *data, size_t len)
{
	struct fl_buf b = FL_BUF_INIT(0);
	fl_b64_encode(&b, data, len, FL_B64_URL);
	return fl_buf_detach(&b, NULL);
}

static char *bn_b64(const BIGNUM *bn, size_t pad)
{
	unsigned char buf[1024];
	int n = pad ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
	return ti_b64url(buf, (size_t)n);
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

json_t *ti_jwk(EVP_PKEY *key, const char *kid, const char *alg, const char *use)
{
	json_t *o = json_object();
	char *s;

	if (EVP_PKEY_is_a(key, "RSA")) {
		BIGNUM *n = NULL, *e = NULL;
		EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
		EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
		json_object_set_new(o, "kty", json_string("RSA"));
		s = bn_b64(n, 0);
		json_object_set_new(o, "n", json_string(s));
		free(s);
		s = bn_b64(e, 0);
		json_object_set_new(o, "e", json_string(s));
		free(s);
		BN_free(n);
		BN_free(e);
	} else {
		unsigned char pt[1 + 2 * 66];
		size_t len = 0, c;
		char crv[32] = "";
		EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &len);
		EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, crv, sizeof(crv), NULL);
		c = (len - 1) / 2;
		json_object_set_new(o, "kty", json_string("EC"));
		json_object_set_new(o, "crv", json_string(strcmp(crv, "prime256v1") == 0 || strcmp(crv, "P-256") == 0
								  ? "P-256"
								  : "P-384"));
		s = ti_b64url(pt + 1, c);
		json_object_set_new(o, "x", json_string(s));
		free(s);
		s = ti_b64url(pt + 1 + c, c);
		json_object_set_new(o, "y", json_string(s));
		free(s);
	}
	set_str(o, "kid", kid);
	set_str(o, "alg", alg);
	set_str(o, "use", use);
	return o;
}

char *ti_jwks_text(json_t *const *jwks, size_t n)
{
	json_t *arr = json_array(), *doc;
	char *s;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, jwks[i]);
	doc = json_pack("{s:o}", "keys", arr);
	s = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return s;
}

char *ti_public_pem(EVP_PKEY *key, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	PEM_write_bio_PUBKEY(b, key);
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

static const char *digest_of(const char *alg)
{
	if (strstr(alg, "256"))
		return "SHA256";
	if (strstr(alg, "384"))
		return "SHA384";
	return "SHA512";
}

static char *join(const char *header, const char *payload, const unsigned char *sig, size_t siglen)
{
	struct fl_buf b = FL_BUF_INIT(0);
	fl_b64_encode(&b, header, strlen(header), FL_B64_URL);
	fl_buf_addc(&b, '.');
	fl_b64_encode(&b, payload, strlen(payload), FL_B64_URL);
	fl_buf_addc(&b, '.');
	if (sig)
		fl_b64_encode(&b, sig, siglen, FL_B64_URL);
	return fl_buf_detach(&b, NULL);
}

static char *signing_input(const char *header, const char *payload)
{
	char *t = join(header, payload, NULL, 0);
	t[strlen(t) - 1] = '\0'; /* drop the trailing dot */
	return t;
}

char *ti_sign_texts(const char *header, const char *payload, EVP_PKEY *key, const char *alg)
{
	char *in, *out;
	unsigned char sig[2048], raw[2 * 66];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md;
	EVP_PKEY_CTX *pctx = NULL;

	if (!key)
		return join(header, payload, NULL, 0);
	in = signing_input(header, payload);
	md = EVP_MD_CTX_new();
	if (EVP_DigestSignInit_ex(md, &pctx, digest_of(alg), NULL, NULL, key, NULL) != 1)
		abort();
	if (alg[0] == 'P') {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
	}
	if (EVP_DigestSign(md, sig, &siglen, (unsigned char *)in, strlen(in)) != 1)
		abort();
	EVP_MD_CTX_free(md);
	free(in);
	if (EVP_PKEY_is_a(key, "EC")) {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
		size_t c = (size_t)(EVP_PKEY_get_bits(key) + 7) / 8;
		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)c);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + c, (int)c);
		ECDSA_SIG_free(es);
		return join(header, payload, raw, 2 * c);
	}
	out = join(header, payload, sig, siglen);
	return out;
}

char *ti_sign_hmac(const char *header, const char *payload, const void *secret, size_t secret_len)
{
	char *in = signing_input(header, payload), *out;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), secret, (int)secret_len, (unsigned char *)in, strlen(in), mac, &maclen);
	free(in);
	out = join(header, payload, mac, maclen);
	return out;
}

char *ti_header(const char *alg, const char *kid)
{
	json_t *h = json_pack("{s:s, s:s}", "alg", alg, "typ", "JWT");
	char *s;
	if (kid)
		json_object_set_new(h, "kid", json_string(kid));
	s = json_dumps(h, JSON_COMPACT);
	json_decref(h);
	return s;
}

json_t *ti_claims(const char *iss, const char *aud, long exp_in)
{
	long now = ti_now();
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:[s]}", "iss", iss, "aud", aud, "sub", "tester", "exp",
			 (json_int_t)(now + exp_in), "iat", (json_int_t)now, "groups", "dev");
}

char *ti_mint(EVP_PKEY *key, const char *alg, const char *kid, const json_t *claims)
{
	char *h = ti_header(alg, kid);
	char *p = json_dumps(claims, JSON_COMPACT);
	char *t = ti_sign_texts(h, p, key, alg);
	free(h);
	free(p);
	return t;
}

bool ti_contains(const char *haystack, size_t hlen, const char *needle, size_t n)
{
	if (n == 0 || n > hlen)
		return false;
	for (size_t i = 0; i + n <= hlen; i++)
		if (memcmp(haystack + i, needle, n) == 0)
			return true;
	return false;
}

char *ti_write_temp(const char *text, const char *suffix)
{
	char path[256];
	int fd;
	size_t len = strlen(text);

	snprintf(path, sizeof(path), "/tmp/flyte-auth-test-XXXXXX%s", suffix ? suffix : "");
	fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
	if (fd < 0)
		abort();
	if (write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
	return strdup(path);
}
