/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwks_fuzz.c - libFuzzer target: a JWKS document.
 *
 * Parses the input as a key set (every JWK through the import rules and
 * EVP_PKEY_fromdata) and asks the set for a key for every allowed
 * algorithm, with and without a kid taken from the set itself.
 */
#include "fl-common.h"

#include "auth/jwk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_jwk_set *set = NULL;
	struct fl_error err = FL_ERROR_INIT;
	const struct fl_jwk *key;

	if (fl_jwk_set_parse(&set, (const char *)data, size, &err) != FL_OK)
		return 0;
	for (int alg = FL_JWK_RS256; alg <= FL_JWK_ES384; alg++) {
		fl_jwk_set_find(set, NULL, 0, (enum fl_jwk_alg)alg, &key);
		for (size_t i = 0; i < fl_jwk_set_count(set); i++) {
			const struct fl_jwk *k = fl_jwk_set_get(set, i);
			if (!k->pkey)
				abort();
			if (k->kid && fl_jwk_set_find(set, k->kid, strlen(k->kid), (enum fl_jwk_alg)alg, &key) ==
					      FL_JWK_FOUND && !fl_jwk_usable_for(key, (enum fl_jwk_alg)alg))
				abort();
		}
	}
	fl_jwk_set_unref(set);
	return 0;
}
