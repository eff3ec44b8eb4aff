/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwt_fuzz.c - libFuzzer target: a token string against a fixed JWKS.
 *
 * Runs the whole verification path (split, strict base64url, header checks,
 * key choice by kid and algorithm, signature, claims) with a fixed clock
 * and issuer, so the seed tokens in corpus/auth-jwt (signed by the keys
 * whose public halves are below) reach every stage, the claim checks
 * included.  The private keys were thrown away after minting the seeds.
 */
#include "fl-common.h"

#include "auth/jwk.h"
#include "auth/jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_jwks[] =
	"{\"keys\": [{\"kty\": \"RSA\", \"n\": \"u_ROmaVta3WAprS8C4_QxKjzGU7_XGtqBIbqG3vLQMxQzwBOut"
	"4jNVU0HPBMPDnOWHXX25b7wguqdt3Gf76Y0hmdhxKrzvTXMHb-gsBhTtjyN-sEiF2CatSSDFGEbDYIihqPrsp6VI53"
	"V0xk5Uk3Zk4UKxCbe-0tMTFsuX7xu_FPlZdcF1kRhx7Xstcxontx5H3AoIbzRouttKNM5Q-19rto0MqtcqM7eP_LFK"
	"5gbzgOC5TYv77st94x11G0WrWYHvRapZwd2Ul-nHRmYDFSuQH-F-7bmz2eYiAgpdxpfAfPuoJjsfftYoME6hpj6j_q"
	"wrFFzfJN9wC_hesnioa_2w\", \"e\": \"AQAB\", \"kid\": \"rsa1\", \"use\": \"sig\"}, {\"kty\":"
	" \"RSA\", \"n\": \"u_ROmaVta3WAprS8C4_QxKjzGU7_XGtqBIbqG3vLQMxQzwBOut4jNVU0HPBMPDnOWHXX25b"
	"7wguqdt3Gf76Y0hmdhxKrzvTXMHb-gsBhTtjyN-sEiF2CatSSDFGEbDYIihqPrsp6VI53V0xk5Uk3Zk4UKxCbe-0tM"
	"TFsuX7xu_FPlZdcF1kRhx7Xstcxontx5H3AoIbzRouttKNM5Q-19rto0MqtcqM7eP_LFK5gbzgOC5TYv77st94x11G"
	"0WrWYHvRapZwd2Ul-nHRmYDFSuQH-F-7bmz2eYiAgpdxpfAfPuoJjsfftYoME6hpj6j_qwrFFzfJN9wC_hesnioa_2"
	"w\", \"e\": \"AQAB\", \"kid\": \"rsa-rs256\", \"alg\": \"RS256\"}, {\"kty\": \"EC\", \"crv"
	"\": \"P-256\", \"x\": \"UDCoJ_sRWTej3AMs98G81MxK4u_5WEcH3Qt77gRutjk\", \"y\": \"FEUa80000S"
	"SGRZeZDlh__ZZ2Cq0do3i6z8dqdg4bkPM\", \"kid\": \"ec256\", \"alg\": \"ES256\"}, {\"kty\": \""
	"EC\", \"crv\": \"P-384\", \"x\": \"Wgr54oSafvm579AEsFyFL6oOruDgiV9wTcsUSt9B7ZUvSfmGCvOVZHg"
	"31LrHOA2D\", \"y\": \"UVCEzNHcqtUTwMeVJsxPjj4ZbBl3Yq9tuW_LeHfT9iq3BP97zH6khCHV4wNciFG1\", "
	"\"kid\": \"ec384\"}]}";

static struct fl_jwk_set *keys(void)
{
	static struct fl_jwk_set *set;
	struct fl_error err = FL_ERROR_INIT;

	if (!set && fl_jwk_set_parse(&set, fixed_jwks, sizeof(fixed_jwks) - 1, &err) != FL_OK)
		abort();
	return set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fl_jwt_expect expect = { "https://issuer.example", "flyte-api", 60, 1800000000 };
	struct fl_jwk_set *set = keys();
	const struct fl_jwk *key = NULL;
	struct fl_jwt jwt;

	if (fl_jwt_decode(&jwt, (const char *)data, size, 16 * 1024) != FL_JWT_OK)
		return 0;
	if (fl_jwk_set_find(set, jwt.has_kid ? jwt.kid : NULL, jwt.kid_len, jwt.alg, &key) == FL_JWK_FOUND &&
	    fl_jwt_verify(&jwt, key) == FL_JWT_OK && fl_jwt_check_claims(&jwt, &expect) == FL_JWT_OK) {
		if (!json_is_object(jwt.claims))
			abort();
	}
	fl_jwt_release(&jwt);
	return 0;
}
