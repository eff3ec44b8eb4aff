/* SPDX-License-Identifier: Apache-2.0 */
/*
 * interop.c - tokens minted by an independent JOSE implementation (the seed
 * corpus of fuzz/auth, made with Python's `cryptography`) against the JWKS
 * they were made for: every valid-* token verifies through all stages,
 * every other one is refused at some stage.
 */
#include "fl-common.h"

#include <dirent.h>

#include "auth/jwk.h"
#include "auth/jwt.h"
#include "buf.h"
#include "fltest.h"

static bool read_file(const char *path, struct fl_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (!f)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_add(out, chunk, n);
	fclose(f);
	return !fl_buf_failed(out);
}

static enum fl_jwt_status verify(struct fl_jwk_set *set, const char *tok, size_t len)
{
	const struct fl_jwt_expect expect = { "https://issuer.example", "flyte-api", 60, 1800000000 };
	const struct fl_jwk *key = NULL;
	struct fl_jwt jwt;
	enum fl_jwt_status st = fl_jwt_decode(&jwt, tok, len, 16 * 1024);

	if (st != FL_JWT_OK)
		return st;
	switch (fl_jwk_set_find(set, jwt.has_kid ? jwt.kid : NULL, jwt.kid_len, jwt.alg, &key)) {
	case FL_JWK_FOUND:
		st = fl_jwt_verify(&jwt, key);
		if (st == FL_JWT_OK)
			st = fl_jwt_check_claims(&jwt, &expect);
		break;
	case FL_JWK_UNKNOWN_KID:
		st = FL_JWT_UNKNOWN_KID;
		break;
	default:
		st = FL_JWT_KEY_MISMATCH;
		break;
	}
	fl_jwt_release(&jwt);
	return st;
}

FLT_TEST(independently_minted_tokens)
{
	struct fl_buf jwks = FL_BUF_INIT(0), path = FL_BUF_INIT(4096), tok = FL_BUF_INIT(0);
	struct fl_jwk_set *set = NULL;
	struct fl_error err = FL_ERROR_INIT;
	DIR *d;
	struct dirent *e;
	int valid = 0, refused = 0;

	FLT_ASSERT(read_file(FL_AUTH_CORPUS "/auth-jwks/fixed.json", &jwks));
	FLT_EQ_INT(fl_jwk_set_parse(&set, jwks.ptr, jwks.len, &err), FL_OK);
	FLT_EQ_INT(fl_jwk_set_count(set), 4);
	d = opendir(FL_AUTH_CORPUS "/auth-jwt");
	FLT_ASSERT(d != NULL);
	while ((e = readdir(d))) {
		enum fl_jwt_status st;
		if (e->d_name[0] == '.')
			continue;
		fl_buf_reset(&path);
		fl_buf_addf(&path, "%s/auth-jwt/%s", FL_AUTH_CORPUS, e->d_name);
		fl_buf_reset(&tok);
		FLT_ASSERT(read_file(path.ptr, &tok));
		st = verify(set, tok.ptr, tok.len);
		if (strncmp(e->d_name, "valid-", 6) == 0) {
			if (st != FL_JWT_OK)
				FLT_FAIL("%s refused: %s", e->d_name, fl_jwt_status_str(st));
			valid++;
		} else {
			if (st == FL_JWT_OK)
				FLT_FAIL("%s accepted", e->d_name);
			refused++;
		}
	}
	closedir(d);
	FLT_EQ_INT(valid, 10); /* RS256/384/512, PS256/384/512, ES256, ES384, bound RS256, ES256 without kid */
	FLT_ASSERT(refused >= 10);
	fl_jwk_set_unref(set);
	fl_buf_release(&jwks);
	fl_buf_release(&path);
	fl_buf_release(&tok);
}

FLT_TEST(independently_made_jwks)
{
	struct fl_buf jwks = FL_BUF_INIT(0);
	struct fl_jwk_set *set = NULL;
	struct fl_error err = FL_ERROR_INIT;
	const struct fl_jwk *k;

	FLT_ASSERT(read_file(FL_AUTH_CORPUS "/auth-jwks/fixed.json", &jwks));
	FLT_EQ_INT(fl_jwk_set_parse(&set, jwks.ptr, jwks.len, &err), FL_OK);
	FLT_EQ_INT(fl_jwk_set_skipped(set), 0);
	FLT_EQ_INT(fl_jwk_set_find(set, "rsa1", 4, FL_JWK_PS512, &k), FL_JWK_FOUND);
	FLT_EQ_INT(fl_jwk_set_find(set, "rsa-rs256", 9, FL_JWK_PS256, &k), FL_JWK_INCOMPATIBLE);
	FLT_EQ_INT(fl_jwk_set_find(set, "ec256", 5, FL_JWK_ES256, &k), FL_JWK_FOUND);
	FLT_EQ_STR(k->curve, "P-256");
	FLT_EQ_INT(fl_jwk_set_find(set, "ec384", 5, FL_JWK_ES384, &k), FL_JWK_FOUND);
	FLT_EQ_INT(k->coord_len, 48);
	fl_jwk_set_unref(set);
	fl_buf_release(&jwks);
}

FLT_MAIN(independently_minted_tokens, independently_made_jwks)
