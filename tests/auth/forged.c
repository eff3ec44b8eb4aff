/* SPDX-License-Identifier: Apache-2.0 */
/*
 * forged.c - the forged-token suite: every case must be refused as an
 * invalid token (401, error="invalid_token"), for the expected reason, and
 * the reason text must never quote the token.  The first test is a control:
 * the same route with a genuine token is allowed, so a refusal below is due
 * to the forgery and not to a broken fixture.
 */
#include "fl-common.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include "b64.h"
#include "buf.h"
#include "fixture.h"
#include "fltest.h"
#include "auth/jwt.h"
#include "mint.h"

#define INVALID_CHALLENGE "Bearer realm=\"token\", error=\"invalid_token\""

/* Check an Authorization value against GET /secure; want = expected reason text. */
static void expect_invalid(const char *authz, const char *want, const char *secret)
{
	struct tf *f = tf_get();
	struct fl_auth_result res;

	FLT_EQ_INT(fl_auth_check(f->auth, "GET", "/secure", authz, &res), FL_OK);
	if (res.decision != FL_AUTH_INVALID_TOKEN)
		FLT_FAIL("decision %d (%s), expected invalid token", (int)res.decision, res.reason);
	FLT_EQ_INT(res.status, 401);
	FLT_EQ_STR(res.www_authenticate, INVALID_CHALLENGE);
	if (want && !strstr(res.reason, want))
		FLT_FAIL("reason \"%s\" does not mention \"%s\"", res.reason, want);
	if (secret && strlen(secret) >= 8 && strstr(res.reason, secret))
		FLT_FAIL("reason quotes the token");
}

/* "Bearer <tok>", then expect_invalid; frees tok. */
static void expect_token(char *tok, enum fl_jwt_status st)
{
	struct fl_buf b = FL_BUF_INIT(0);
	const char *sig = strrchr(tok, '.');

	fl_buf_adds(&b, "Bearer ");
	fl_buf_adds(&b, tok);
	expect_invalid(b.ptr, fl_jwt_status_str(st), sig && sig[1] ? sig + 1 : tok);
	fl_buf_release(&b);
	free(tok);
}

static json_t *claims(void)
{
	return ti_claims(tf_get()->url, TF_AUDIENCE, 3600);
}

static char *payload_text(json_t *c)
{
	char *s = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	return s;
}

static char *mint_claims(json_t *c)
{
	char *t = ti_mint(tf_get()->rsa1, "RS256", "rsa1", c);
	json_decref(c);
	return t;
}

/* A token minted with key (alg, kid) over the standard claims. */
static char *mint_with(EVP_PKEY *key, const char *alg, const char *kid)
{
	json_t *c = claims();
	char *t = ti_mint(key, alg, kid, c);

	json_decref(c);
	return t;
}

/* The standard claims with claim `name` set to v (stolen; NULL: removed): refused for st. */
static void claim_case(const char *name, json_t *v, enum fl_jwt_status st)
{
	json_t *c = claims();

	if (v)
		json_object_set_new(c, name, v);
	else
		json_object_del(c, name);
	expect_token(mint_claims(c), st);
}

/* A copy of token t with segment `seg` (1: payload, 2: signature) replaced by text (base64url). */
static char *with_segment(const char *t, int seg, const char *text)
{
	const char *dot1 = strchr(t, '.'), *dot2 = strrchr(t, '.');
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_add(&b, t, (size_t)((seg == 1 ? dot1 : dot2) - t) + 1);
	fl_buf_adds(&b, text);
	if (seg == 1)
		fl_buf_adds(&b, dot2);
	return fl_buf_detach(&b, NULL);
}

/* A token built from literal header text, payload from the standard claims, signed with key/alg. */
static char *from_header(const char *header, EVP_PKEY *key, const char *alg)
{
	char *p = payload_text(claims());
	char *t = ti_sign_texts(header, p, key, alg);
	free(p);
	return t;
}

FLT_TEST(control_genuine_token_is_allowed)
{
	struct tf *f = tf_get();
	struct fl_auth_result res;
	char *tok = mint_claims(claims());
	char authz[4096];

	snprintf(authz, sizeof(authz), "Bearer %s", tok);
	fl_auth_check(f->auth, "GET", "/secure", authz, &res);
	FLT_EQ_INT(res.decision, FL_AUTH_ALLOW);
	FLT_EQ_STR(res.subject, "tester");
	free(tok);
}

static void none_case(const char *alg, bool garbage)
{
	char *h = ti_header(alg, NULL);
	char *p = payload_text(claims());
	char *t = ti_sign_texts(h, p, NULL, alg);
	if (garbage) {
		size_t n = strlen(t);
		t = realloc(t, n + 9);
		memcpy(t + n, "Z2FyYmFn", 9);
	}
	free(h);
	free(p);
	expect_token(t, FL_JWT_ALG_NONE);
}

FLT_TEST(alg_none_empty_signature) { none_case("none", false); }
FLT_TEST(alg_none_garbage_signature) { none_case("none", true); }
FLT_TEST(alg_None_empty_signature) { none_case("None", false); }
FLT_TEST(alg_None_garbage_signature) { none_case("None", true); }
FLT_TEST(alg_NONE_empty_signature) { none_case("NONE", false); }
FLT_TEST(alg_NONE_garbage_signature) { none_case("NONE", true); }
FLT_TEST(alg_nOnE_empty_signature) { none_case("nOnE", false); }
FLT_TEST(alg_nOnE_garbage_signature) { none_case("nOnE", true); }

FLT_TEST(signature_stripped)
{
	char *t = mint_claims(claims());
	strrchr(t, '.')[1] = '\0'; /* "header.payload." */
	expect_token(t, FL_JWT_NO_SIGNATURE);
}

FLT_TEST(hs256_signed_with_rsa_public_pem)
{
	struct tf *f = tf_get();
	size_t len;
	char *pem = ti_public_pem(f->rsa1, &len);
	char *h = ti_header("HS256", "rsa1");
	char *p = payload_text(claims());
	char *t = ti_sign_hmac(h, p, pem, len);
	free(pem);
	free(h);
	free(p);
	expect_token(t, FL_JWT_ALG);
}

FLT_TEST(hs256_signed_with_rsa_public_der)
{
	struct tf *f = tf_get();
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(f->rsa1, &der);
	char *h = ti_header("HS256", "rsa1");
	char *p = payload_text(claims());
	char *t = ti_sign_hmac(h, p, der, (size_t)len);
	OPENSSL_free(der);
	free(h);
	free(p);
	expect_token(t, FL_JWT_ALG);
}

FLT_TEST(foreign_key_with_issuer_kid)
{
	char *t = mint_with(tf_get()->foreign, "RS256", "rsa1");
	expect_token(t, FL_JWT_SIGNATURE);
}

FLT_TEST(tampered_payload_signature_kept)
{
	char *t = mint_claims(claims());
	json_t *c = claims();
	char *p, *b64, *out;

	json_object_set_new(c, "groups", json_pack("[s]", "admin"));
	p = payload_text(c);
	b64 = ti_b64url(p, strlen(p));
	out = with_segment(t, 1, b64);
	free(t);
	free(p);
	free(b64);
	expect_token(out, FL_JWT_SIGNATURE);
}

FLT_TEST(unknown_kid)
{
	char *t = mint_with(tf_get()->rsa1, "RS256", "no-such-key");
	expect_token(t, FL_JWT_UNKNOWN_KID);
}

FLT_TEST(kid_path_traversal)
{
	char *t = mint_with(tf_get()->rsa1, "RS256", "../../etc/passwd");
	expect_token(t, FL_JWT_UNKNOWN_KID);
}

FLT_TEST(kid_10kb)
{
	char *kid = malloc(10241);
	char *t;
	memset(kid, 'A', 10240);
	kid[10240] = '\0';
	t = mint_with(tf_get()->rsa1, "RS256", kid);
	free(kid);
	expect_token(t, FL_JWT_HEADER);
}

FLT_TEST(kid_with_nul)
{
	/* JSON text with an escaped NUL is refused by the parser itself */
	expect_token(from_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\\u0000x\"}", tf_get()->rsa1, "RS256"),
		     FL_JWT_HEADER);
}

FLT_TEST(kid_with_quotes)
{
	char *t = mint_with(tf_get()->rsa1, "RS256", "rsa1\"' OR 1=1 --");
	expect_token(t, FL_JWT_UNKNOWN_KID);
}

FLT_TEST(kid_not_a_string)
{
	expect_token(from_header("{\"alg\":\"RS256\",\"kid\":1}", tf_get()->rsa1, "RS256"), FL_JWT_KID);
}

FLT_TEST(header_jku_to_attacker)
{
	expect_token(from_header("{\"alg\":\"RS256\",\"kid\":\"att\",\"jku\":\"http://127.0.0.1:9/jwks\"}",
				 tf_get()->attacker, "RS256"),
		     FL_JWT_HEADER_PARAM);
}

static char *embedded_jwk_header(const char *kid)
{
	json_t *jwk = ti_jwk(tf_get()->attacker, NULL, NULL, NULL);
	json_t *h = json_pack("{s:s, s:o}", "alg", "RS256", "jwk", jwk);
	char *s;
	if (kid)
		json_object_set_new(h, "kid", json_string(kid));
	s = json_dumps(h, JSON_COMPACT);
	json_decref(h);
	return s;
}

FLT_TEST(header_jwk_attacker_key_embedded)
{
	char *h = embedded_jwk_header(NULL);
	char *t = from_header(h, tf_get()->attacker, "RS256");
	free(h);
	expect_token(t, FL_JWT_HEADER_PARAM);
}

FLT_TEST(header_jwk_attacker_key_with_issuer_kid)
{
	char *h = embedded_jwk_header("rsa1");
	char *t = from_header(h, tf_get()->attacker, "RS256");
	free(h);
	expect_token(t, FL_JWT_HEADER_PARAM);
}

FLT_TEST(header_x5u)
{
	expect_token(from_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"x5u\":\"http://127.0.0.1:9/cert.pem\"}",
				 tf_get()->rsa1, "RS256"),
		     FL_JWT_HEADER_PARAM);
}

FLT_TEST(header_x5c)
{
	expect_token(from_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"x5c\":[\"MIIBIjANBgkqhkiG9w0BAQEFAAOC\"]}",
				 tf_get()->rsa1, "RS256"),
		     FL_JWT_HEADER_PARAM);
}

FLT_TEST(header_crit)
{
	expect_token(from_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"crit\":[\"exp\"]}", tf_get()->rsa1, "RS256"),
		     FL_JWT_HEADER_PARAM);
}

FLT_TEST(expired)
{
	json_t *c = claims();
	json_object_set_new(c, "exp", json_integer(ti_now() - 3600));
	json_object_set_new(c, "iat", json_integer(ti_now() - 7200));
	expect_token(mint_claims(c), FL_JWT_EXPIRED);
}

FLT_TEST(expired_just_beyond_leeway)
{
	claim_case("exp", json_integer(ti_now() - 61), FL_JWT_EXPIRED);
}

FLT_TEST(nbf_in_future)
{
	claim_case("nbf", json_integer(ti_now() + 3600), FL_JWT_NBF);
}

FLT_TEST(iat_in_future)
{
	claim_case("iat", json_integer(ti_now() + 3600), FL_JWT_IAT);
}

FLT_TEST(missing_exp)
{
	claim_case("exp", NULL, FL_JWT_EXP_MISSING);
}

FLT_TEST(missing_iss)
{
	claim_case("iss", NULL, FL_JWT_ISSUER);
}

FLT_TEST(missing_aud)
{
	claim_case("aud", NULL, FL_JWT_AUDIENCE);
}

FLT_TEST(wrong_iss)
{
	claim_case("iss", json_string("https://evil.example.com"), FL_JWT_ISSUER);
}

FLT_TEST(iss_with_trailing_slash)
{
	char iss[128];
	snprintf(iss, sizeof(iss), "%s/", tf_get()->url);
	claim_case("iss", json_string(iss), FL_JWT_ISSUER);
}

FLT_TEST(wrong_aud)
{
	claim_case("aud", json_string("another-client"), FL_JWT_AUDIENCE);
}

FLT_TEST(aud_array_without_client)
{
	claim_case("aud", json_pack("[s,s]", "another-client", "flyte-api-x"), FL_JWT_AUDIENCE);
}

FLT_TEST(exp_as_string)
{
	claim_case("exp", json_string("9999999999"), FL_JWT_EXP_MISSING);
}

FLT_TEST(two_segments)
{
	char *t = mint_claims(claims());
	*strrchr(t, '.') = '\0';
	expect_token(t, FL_JWT_SEGMENTS);
}

FLT_TEST(four_segments)
{
	char *t = mint_claims(claims());
	size_t n = strlen(t);
	t = realloc(t, n + 6);
	memcpy(t + n, ".abcd", 6);
	expect_token(t, FL_JWT_SEGMENTS);
}

FLT_TEST(one_segment)
{
	char *t = mint_claims(claims());
	*strchr(t, '.') = '\0';
	expect_token(t, FL_JWT_SEGMENTS);
}

FLT_TEST(ten_thousand_dots)
{
	char *t = malloc(10001);
	memset(t, '.', 10000);
	t[10000] = '\0';
	expect_token(t, FL_JWT_SEGMENTS);
}

/* Re-encode each base64url segment in the standard alphabet with padding. */
static char *to_standard_b64(const char *tok)
{
	struct fl_buf out = FL_BUF_INIT(0), raw = FL_BUF_INIT(0);
	const char *p = tok;

	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		fl_buf_reset(&raw);
		if (fl_b64_decode(&raw, p, n, FL_B64_URL) != 0)
			abort();
		fl_b64_encode(&out, raw.ptr, raw.len, FL_B64_PAD);
		if (!dot)
			break;
		fl_buf_addc(&out, '.');
		p = dot + 1;
	}
	fl_buf_release(&raw);
	return fl_buf_detach(&out, NULL);
}

FLT_TEST(standard_base64_with_padding)
{
	char *t = NULL, *s = NULL;
	/* mint until the standard form really differs (+, / or =); nearly always the first */
	for (int i = 0; i < 20; i++) {
		json_t *c = claims();
		json_object_set_new(c, "n", json_integer(i));
		free(t);
		free(s);
		t = mint_claims(c);
		s = to_standard_b64(t);
		if (strpbrk(s, "+/") && strchr(s, '='))
			break;
	}
	FLT_ASSERT(strpbrk(s, "+/=") != NULL);
	free(t);
	expect_token(s, FL_JWT_ENCODING);
}

FLT_TEST(token_100kb)
{
	json_t *c = claims();
	char *big = malloc(100 * 1024 + 1);
	memset(big, 'x', 100 * 1024);
	big[100 * 1024] = '\0';
	json_object_set_new(c, "pad", json_string(big));
	free(big);
	expect_token(mint_claims(c), FL_JWT_TOO_LONG);
}

/* An ES256 token whose signature is replaced by raw bytes. */
static char *es256_with_sig(const unsigned char *sig, size_t len)
{
	char *t = mint_with(tf_get()->ec256, "ES256", "ec256"), *b64 = ti_b64url(sig, len);
	char *out = with_segment(t, 2, b64);

	free(t);
	free(b64);
	return out;
}

/* The raw signature of a genuine ES256 token into raw (64 bytes: r and s). */
static void es256_genuine_sig(struct fl_buf *raw)
{
	char *t = mint_with(tf_get()->ec256, "ES256", "ec256");
	const char *sig = strrchr(t, '.') + 1;

	fl_b64_decode(raw, sig, strlen(sig), FL_B64_URL);
	free(t);
	FLT_EQ_INT(raw->len, 64);
}

FLT_TEST(es256_r_and_s_zero)
{
	unsigned char zero[64] = { 0 };
	expect_token(es256_with_sig(zero, sizeof(zero)), FL_JWT_SIGNATURE);
}

FLT_TEST(es256_s_equal_to_group_order)
{
	unsigned char sig[64];
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	memset(sig, 0x11, 32);
	BN_bn2binpad(EC_GROUP_get0_order(g), sig + 32, 32);
	EC_GROUP_free(g);
	expect_token(es256_with_sig(sig, sizeof(sig)), FL_JWT_SIGNATURE);
}

static void es256_resized(int delta)
{
	struct fl_buf raw = FL_BUF_INIT(0);

	es256_genuine_sig(&raw);
	fl_buf_addc(&raw, 0);
	expect_token(es256_with_sig((unsigned char *)raw.ptr, (size_t)(64 + delta)), FL_JWT_SIGNATURE);
	fl_buf_release(&raw);
}

FLT_TEST(es256_signature_too_short) { es256_resized(-1); }
FLT_TEST(es256_signature_too_long) { es256_resized(+1); }

FLT_TEST(es256_signature_der_encoded)
{
	struct fl_buf raw = FL_BUF_INIT(0);
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	char *t;
	int n;

	es256_genuine_sig(&raw);
	ECDSA_SIG_set0(es, BN_bin2bn((unsigned char *)raw.ptr, 32, NULL),
		       BN_bin2bn((unsigned char *)raw.ptr + 32, 32, NULL));
	n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	fl_buf_release(&raw);
	t = es256_with_sig(der, (size_t)n);
	OPENSSL_free(der);
	expect_token(t, FL_JWT_SIGNATURE);
}

FLT_TEST(rs256_header_with_ec_kid)
{
	char *t = mint_with(tf_get()->rsa1, "RS256", "ec256");
	expect_token(t, FL_JWT_KEY_MISMATCH);
}

FLT_TEST(es384_header_with_p256_kid)
{
	char *t = mint_with(tf_get()->ec256, "ES384", "ec256");
	expect_token(t, FL_JWT_KEY_MISMATCH);
}

FLT_TEST(ps256_with_key_bound_to_rs256)
{
	char *t = mint_with(tf_get()->rsa2, "PS256", "rsa2");
	expect_token(t, FL_JWT_KEY_MISMATCH);
}

FLT_TEST(duplicate_alg_in_header)
{
	expect_token(from_header("{\"alg\":\"RS256\",\"kid\":\"rsa1\",\"alg\":\"none\"}", tf_get()->rsa1, "RS256"),
		     FL_JWT_HEADER);
}

FLT_TEST(duplicate_claim_in_payload)
{
	char *h = ti_header("RS256", "rsa1");
	char p[512];
	char *t;
	snprintf(p, sizeof(p),
		 "{\"iss\":\"%s\",\"aud\":\"%s\",\"exp\":%ld,\"groups\":[\"dev\"],\"sub\":\"a\",\"sub\":\"b\"}",
		 tf_get()->url, TF_AUDIENCE, ti_now() + 3600);
	t = ti_sign_texts(h, p, tf_get()->rsa1, "RS256");
	free(h);
	expect_token(t, FL_JWT_PAYLOAD);
}

FLT_TEST(alg_lowercase_rs256)
{
	expect_token(from_header("{\"alg\":\"rs256\",\"kid\":\"rsa1\"}", tf_get()->rsa1, "RS256"), FL_JWT_ALG);
}

FLT_TEST(alg_hs512)
{
	char *p = payload_text(claims());
	char *t = ti_sign_hmac("{\"alg\":\"HS512\"}", p, "secret", 6);
	free(p);
	expect_token(t, FL_JWT_ALG);
}

FLT_TEST(header_not_an_object)
{
	expect_token(from_header("[\"RS256\"]", tf_get()->rsa1, "RS256"), FL_JWT_HEADER);
}

FLT_TEST(payload_not_an_object)
{
	char *h = ti_header("RS256", "rsa1");
	char *t = ti_sign_texts(h, "[1,2,3]", tf_get()->rsa1, "RS256");
	free(h);
	expect_token(t, FL_JWT_PAYLOAD);
}

FLT_TEST(empty_authorization)
{
	expect_invalid("", fl_jwt_status_str(FL_JWT_EMPTY), NULL);
}

FLT_TEST(bearer_with_nothing_after)
{
	expect_invalid("Bearer ", fl_jwt_status_str(FL_JWT_EMPTY), NULL);
	expect_invalid("Bearer    ", fl_jwt_status_str(FL_JWT_EMPTY), NULL);
}

FLT_TEST(bearer_word_alone)
{
	expect_invalid("Bearer", fl_jwt_status_str(FL_JWT_SEGMENTS), NULL);
}

FLT_MAIN(control_genuine_token_is_allowed, alg_none_empty_signature, alg_none_garbage_signature,
	 alg_None_empty_signature, alg_None_garbage_signature, alg_NONE_empty_signature, alg_NONE_garbage_signature,
	 alg_nOnE_empty_signature, alg_nOnE_garbage_signature, signature_stripped, hs256_signed_with_rsa_public_pem,
	 hs256_signed_with_rsa_public_der, foreign_key_with_issuer_kid, tampered_payload_signature_kept, unknown_kid,
	 kid_path_traversal, kid_10kb, kid_with_nul, kid_with_quotes, kid_not_a_string, header_jku_to_attacker,
	 header_jwk_attacker_key_embedded, header_jwk_attacker_key_with_issuer_kid, header_x5u, header_x5c,
	 header_crit, expired, expired_just_beyond_leeway, nbf_in_future, iat_in_future, missing_exp, missing_iss,
	 missing_aud, wrong_iss, iss_with_trailing_slash, wrong_aud, aud_array_without_client, exp_as_string,
	 two_segments, four_segments, one_segment, ten_thousand_dots, standard_base64_with_padding, token_100kb,
	 es256_r_and_s_zero, es256_s_equal_to_group_order, es256_signature_too_short, es256_signature_too_long,
	 es256_signature_der_encoded, rs256_header_with_ec_kid, es384_header_with_p256_kid,
	 ps256_with_key_bound_to_rs256, duplicate_alg_in_header, duplicate_claim_in_payload, alg_lowercase_rs256,
	 alg_hs512, header_not_an_object, payload_not_an_object, empty_authorization, bearer_with_nothing_after,
	 bearer_word_alone)
