/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwk.c - JWKS parsing and the construction of verification keys.
 *
 * Each JWK of a fetched key set is checked field by field (kty, use,
 * key_ops, alg, kid, then the public parameters) and turned into an
 * EVP_PKEY with EVP_PKEY_fromdata(): RSA from n and e, EC from the
 * uncompressed point 04||x||y on a named curve, followed by
 * EVP_PKEY_public_check() so a point off the curve is refused.  The EC group
 * order is kept with the key so the verifier can reject r or s outside
 * [1, n-1] before OpenSSL sees them.  Nothing is fetched or trusted from a
 * token here: the set comes from the issuer's jwks_uri only.
 */
#include "fl-common.h"

#include <stdatomic.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "alloc.h"
#include "b64.h"
#include "buf.h"
#include "jwk.h"
#include "log.h"

struct fl_jwk_set {
	atomic_uint refs;
	size_t n;
	size_t skipped;
	struct fl_jwk *keys;
};

static const struct fl_jwk_alg_info alg_table[] = {
	{ FL_JWK_RS256, "RS256", FL_JWK_KTY_RSA, NULL, "SHA256", false, 0 },
	{ FL_JWK_RS384, "RS384", FL_JWK_KTY_RSA, NULL, "SHA384", false, 0 },
	{ FL_JWK_RS512, "RS512", FL_JWK_KTY_RSA, NULL, "SHA512", false, 0 },
	{ FL_JWK_PS256, "PS256", FL_JWK_KTY_RSA, NULL, "SHA256", true, 0 },
	{ FL_JWK_PS384, "PS384", FL_JWK_KTY_RSA, NULL, "SHA384", true, 0 },
	{ FL_JWK_PS512, "PS512", FL_JWK_KTY_RSA, NULL, "SHA512", true, 0 },
	{ FL_JWK_ES256, "ES256", FL_JWK_KTY_EC, "P-256", "SHA256", false, 32 },
	{ FL_JWK_ES384, "ES384", FL_JWK_KTY_EC, "P-384", "SHA384", false, 48 },
};

/* Curves accepted for EC keys: JWK name, OpenSSL NID, coordinate size. */
static const struct {
	const char *name;
	int nid;
	size_t coord_len;
} curve_table[] = {
	{ "P-256", NID_X9_62_prime256v1, 32 },
	{ "P-384", NID_secp384r1, 48 },
};

const struct fl_jwk_alg_info *fl_jwk_alg_info(enum fl_jwk_alg alg)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(alg_table); i++)
		if (alg_table[i].alg == alg)
			return &alg_table[i];
	return NULL;
}

enum fl_jwk_alg fl_jwk_alg_from_name(const char *name, size_t len)
{
	for (size_t i = 0; i < FL_ARRAY_LEN(alg_table); i++)
		if (strlen(alg_table[i].name) == len && memcmp(alg_table[i].name, name, len) == 0)
			return alg_table[i].alg;
	return FL_JWK_ALG_INVALID;
}

const char *fl_jwk_alg_name(enum fl_jwk_alg alg)
{
	const struct fl_jwk_alg_info *ai = fl_jwk_alg_info(alg);
	return ai ? ai->name : "invalid";
}

bool fl_jwk_usable_for(const struct fl_jwk *key, enum fl_jwk_alg alg)
{
	const struct fl_jwk_alg_info *ai = fl_jwk_alg_info(alg);

	if (!ai || key->kty != ai->kty)
		return false;
	if (key->alg != FL_JWK_ALG_INVALID && key->alg != alg)
		return false;
	if (ai->kty == FL_JWK_KTY_EC && (!key->curve || strcmp(key->curve, ai->curve) != 0))
		return false;
	return true;
}

/* Decode a base64url member of a JWK into out; -1 when absent or malformed. */
static int b64_member(json_t *jwk, const char *name, struct fl_buf *out)
{
	json_t *v = json_object_get(jwk, name);

	fl_buf_reset(out);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return -1;
	if (fl_b64_decode(out, json_string_value(v), json_string_length(v), FL_B64_URL) != 0) {
		fl_buf_reset(out);
		return -1;
	}
	return 0;
}

static const char *build_rsa(struct fl_jwk *key, json_t *jwk)
{
	struct fl_buf nb = FL_BUF_INIT(FL_JWK_RSA_MAX_BITS / 8 + 1);
	struct fl_buf eb = FL_BUF_INIT(8);
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	const char *why = NULL;
	int bits;

	if (b64_member(jwk, "n", &nb) != 0) {
		why = "missing or malformed 'n'";
		goto done;
	}
	if (b64_member(jwk, "e", &eb) != 0) {
		why = "missing or malformed 'e'";
		goto done;
	}
	n = BN_bin2bn((const unsigned char *)nb.ptr, (int)nb.len, NULL);
	e = BN_bin2bn((const unsigned char *)eb.ptr, (int)eb.len, NULL);
	if (!n || !e) {
		why = "cannot convert RSA parameters";
		goto done;
	}
	bits = BN_num_bits(n);
	if (bits < FL_JWK_RSA_MIN_BITS || bits > FL_JWK_RSA_MAX_BITS) {
		why = "RSA modulus size outside 2048..8192 bits";
		goto done;
	}
	if (!BN_is_odd(n) || !BN_is_odd(e) || BN_is_one(e)) {
		why = "implausible RSA parameters";
		goto done;
	}
	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) || !(params = OSSL_PARAM_BLD_to_param(bld))) {
		why = "cannot build RSA parameters";
		goto done;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		why = "OpenSSL refused the RSA key";
		goto done;
	}
	key->pkey = pkey;
	pkey = NULL;
done:
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	fl_buf_release(&nb);
	fl_buf_release(&eb);
	return why;
}

static const char *build_ec(struct fl_jwk *key, json_t *jwk)
{
	struct fl_buf xb = FL_BUF_INIT(64);
	struct fl_buf yb = FL_BUF_INIT(64);
	unsigned char point[1 + 2 * 48];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
	EVP_PKEY *pkey = NULL;
	EC_GROUP *group = NULL;
	const char *why = NULL;
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	size_t ci;

	for (ci = 0; crv && ci < FL_ARRAY_LEN(curve_table); ci++)
		if (strcmp(crv, curve_table[ci].name) == 0)
			break;
	if (!crv || ci == FL_ARRAY_LEN(curve_table)) {
		why = "unsupported or missing 'crv'";
		goto done;
	}
	key->curve = curve_table[ci].name;
	key->coord_len = curve_table[ci].coord_len;
	if (b64_member(jwk, "x", &xb) != 0 || xb.len != key->coord_len) {
		why = "missing, malformed or wrong-size 'x'";
		goto done;
	}
	if (b64_member(jwk, "y", &yb) != 0 || yb.len != key->coord_len) {
		why = "missing, malformed or wrong-size 'y'";
		goto done;
	}
	point[0] = 0x04;
	memcpy(point + 1, xb.ptr, key->coord_len);
	memcpy(point + 1 + key->coord_len, yb.ptr, key->coord_len);

	bld = OSSL_PARAM_BLD_new();
	if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, key->curve, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * key->coord_len) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld))) {
		why = "cannot build EC parameters";
		goto done;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		why = "EC point is not on the curve";
		goto done;
	}
	chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!chk || EVP_PKEY_public_check(chk) != 1) {
		why = "EC public key check failed";
		goto done;
	}
	group = EC_GROUP_new_by_curve_name(curve_table[ci].nid);
	if (!group || BN_bn2binpad(EC_GROUP_get0_order(group), key->order, (int)key->coord_len) < 0) {
		why = "cannot read the curve order";
		goto done;
	}
	key->pkey = pkey;
	pkey = NULL;
done:
	EC_GROUP_free(group);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(chk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	fl_buf_release(&xb);
	fl_buf_release(&yb);
	return why;
}

static bool has_verify_op(json_t *ops)
{
	size_t i;
	json_t *op;

	if (!json_is_array(ops))
		return false;
	json_array_foreach (ops, i, op)
		if (json_is_string(op) && strcmp(json_string_value(op), "verify") == 0)
			return true;
	return false;
}

/* Fill key from one JWK; returns NULL or why the key is unusable. */
static const char *load_key(struct fl_jwk *key, json_t *jwk)
{
	json_t *v;
	const char *kty;

	if (!json_is_object(jwk))
		return "not an object";
	kty = json_string_value(json_object_get(jwk, "kty"));
	if (!kty)
		return "missing 'kty'";
	if (strcmp(kty, "RSA") == 0)
		key->kty = FL_JWK_KTY_RSA;
	else if (strcmp(kty, "EC") == 0)
		key->kty = FL_JWK_KTY_EC;
	else
		return "unsupported 'kty'";

	v = json_object_get(jwk, "use");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), "sig") != 0))
		return "'use' is not \"sig\"";
	v = json_object_get(jwk, "key_ops");
	if (v && !has_verify_op(v))
		return "'key_ops' does not allow \"verify\"";

	v = json_object_get(jwk, "alg");
	if (v) {
		const struct fl_jwk_alg_info *ai;
		if (!json_is_string(v))
			return "'alg' is not a string";
		key->alg = fl_jwk_alg_from_name(json_string_value(v), json_string_length(v));
		ai = fl_jwk_alg_info(key->alg);
		if (!ai)
			return "'alg' is not an allowed signature algorithm";
		if (ai->kty != key->kty)
			return "'alg' does not fit 'kty'";
	}

	v = json_object_get(jwk, "kid");
	if (v) {
		if (!json_is_string(v) || json_string_length(v) > FL_JWK_MAX_KID ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return "'kid' is not a plain string of at most 256 bytes";
		key->kid = fl_xstrdup(json_string_value(v));
	}

	if (key->kty == FL_JWK_KTY_RSA)
		return build_rsa(key, jwk);
	{
		const char *why = build_ec(key, jwk);
		if (!why && key->alg != FL_JWK_ALG_INVALID && strcmp(fl_jwk_alg_info(key->alg)->curve, key->curve) != 0)
			why = "'alg' does not fit 'crv'";
		return why;
	}
}

static void key_release(struct fl_jwk *key)
{
	free(key->kid);
	EVP_PKEY_free(key->pkey);
	memset(key, 0, sizeof(*key));
}

int fl_jwk_set_parse(struct fl_jwk_set **out, const char *json, size_t len, struct fl_error *err)
{
	struct fl_jwk_set *set = NULL;
	json_t *doc = NULL, *keys, *jwk;
	json_error_t jerr;
	size_t i;
	int rc = FL_EINVALID;

	*out = NULL;
	if (len > FL_JWK_MAX_DOC) {
		fl_error_set(err, FL_ETOOBIG, "jwks document larger than %d bytes", FL_JWK_MAX_DOC);
		rc = FL_ETOOBIG;
		goto done;
	}
	doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		fl_error_set(err, FL_EINVALID, "jwks is not valid JSON: %s", jerr.text);
		goto done;
	}
	keys = json_object_get(doc, "keys");
	if (!json_is_object(doc) || !json_is_array(keys)) {
		fl_error_set(err, FL_EINVALID, "jwks has no 'keys' array");
		goto done;
	}
	if (json_array_size(keys) > FL_JWK_MAX_KEYS) {
		fl_error_set(err, FL_ETOOBIG, "jwks has more than %d keys", FL_JWK_MAX_KEYS);
		rc = FL_ETOOBIG;
		goto done;
	}
	set = fl_xcalloc(1, sizeof(*set));
	atomic_init(&set->refs, 1);
	set->keys = fl_xcalloc(json_array_size(keys) + 1, sizeof(*set->keys));
	json_array_foreach (keys, i, jwk) {
		struct fl_jwk *key = &set->keys[set->n];
		const char *why = load_key(key, jwk);
		if (why) {
			FL_LOG_D(NULL, "jwks: key #%zu skipped: %s", i, why);
			key_release(key);
			set->skipped++;
			continue;
		}
		set->n++;
	}
	*out = set;
	set = NULL;
	rc = FL_OK;
done:
	fl_jwk_set_unref(set);
	json_decref(doc);
	return rc;
}

struct fl_jwk_set *fl_jwk_set_ref(struct fl_jwk_set *set)
{
	if (set)
		atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	return set;
}

void fl_jwk_set_unref(struct fl_jwk_set *set)
{
	if (!set || atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < set->n; i++)
		key_release(&set->keys[i]);
	free(set->keys);
	free(set);
}

size_t fl_jwk_set_count(const struct fl_jwk_set *set)
{
	return set ? set->n : 0;
}

size_t fl_jwk_set_skipped(const struct fl_jwk_set *set)
{
	return set ? set->skipped : 0;
}

const struct fl_jwk *fl_jwk_set_get(const struct fl_jwk_set *set, size_t i)
{
	return set && i < set->n ? &set->keys[i] : NULL;
}

enum fl_jwk_find fl_jwk_set_find(const struct fl_jwk_set *set, const char *kid, size_t kid_len,
				 enum fl_jwk_alg alg, const struct fl_jwk **out)
{
	const struct fl_jwk *only = NULL;
	size_t usable = 0;
	bool kid_seen = false;

	*out = NULL;
	if (!set)
		return kid ? FL_JWK_UNKNOWN_KID : FL_JWK_AMBIGUOUS;
	for (size_t i = 0; i < set->n; i++) {
		const struct fl_jwk *key = &set->keys[i];
		if (kid) {
			if (!key->kid || strlen(key->kid) != kid_len || memcmp(key->kid, kid, kid_len) != 0)
				continue;
			kid_seen = true;
			if (fl_jwk_usable_for(key, alg)) {
				*out = key;
				return FL_JWK_FOUND;
			}
		} else if (fl_jwk_usable_for(key, alg)) {
			usable++;
			only = key;
		}
	}
	if (kid)
		return kid_seen ? FL_JWK_INCOMPATIBLE : FL_JWK_UNKNOWN_KID;
	if (usable != 1)
		return FL_JWK_AMBIGUOUS;
	*out = only;
	return FL_JWK_FOUND;
}
