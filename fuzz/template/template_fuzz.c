/* SPDX-License-Identifier: Apache-2.0 */
/*
 * template_fuzz.c - libFuzzer target for the template language.
 *
 * Input: template source, a NUL byte, then a JSON context (optional).  The
 * template is compiled and rendered with small budgets, once normally and
 * once as a criteria; it must never crash, hang or leak (the live value
 * counter must return to its starting value).  A tiny datastore serves two
 * items so datastore() is reachable.
 */
#include "fl-common.h"

#include "buf.h"
#include "error.h"
#include "template.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fake_datastore(void *payload, const char *key, size_t keylen, char **value, size_t *value_len,
			  char **content_type, struct fl_error *err)
{
	static const struct {
		const char *key, *type, *value;
	} items[] = {
		{ "teams", "application/json", "{\"a\": {\"room\": \"r1\", \"n\": 5}}" },
		{ "script", "text/plain", "{{ who }}!" },
	};
	(void)payload;
	(void)err;
	for (size_t i = 0; i < FL_ARRAY_LEN(items); i++) {
		if (strlen(items[i].key) == keylen && memcmp(items[i].key, key, keylen) == 0) {
			*value_len = strlen(items[i].value);
			*value = strdup(items[i].value);
			*content_type = strdup(items[i].type);
			if (!*value || !*content_type)
				abort();
			return FL_OK;
		}
	}
	return FL_ENOTFOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *src = (const char *)data;
	const uint8_t *nul = memchr(data, 0, size);
	size_t srclen = nul ? (size_t)(nul - data) : size;
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl_limits lim;
	struct fl_tmpl_env env;
	struct fl_tmpl *t = NULL;
	struct fl_buf out = FL_BUF_INIT(0);
	fl_val *ctx = NULL;
	long before = fl_val_live_count();
	bool b;

	fl_tmpl_limits_default(&lim);
	lim.max_source = 16 * 1024;
	lim.max_output = 64 * 1024;
	lim.max_steps = 20000;
	lim.max_depth = 4;
	lim.regex_match_limit = 10000;
	memset(&env, 0, sizeof(env));
	env.limits = &lim;
	env.datastore = fake_datastore;
	env.now_ns = INT64_C(1700000000) * 1000000000;
	env.random_seed = 1;

	if (nul && size - srclen > 1) {
		ctx = fl_val_parse_json((const char *)nul + 1, size - srclen - 1, FL_VAL_JSON_NUMBERS_AS_FLOAT, &err);
		if (ctx && fl_val_type(ctx) != FL_VAL_OBJECT) {
			fl_val_unref(ctx);
			ctx = NULL;
		}
	}
	if (fl_tmpl_compile(&t, src, srclen, &lim, &err) == FL_OK) {
		(void)fl_tmpl_render(t, ctx, &env, &out, &err);
		(void)fl_tmpl_render_bool(t, ctx, &env, &b, &err);
		fl_tmpl_free(t);
	}
	fl_buf_release(&out);
	fl_val_unref(ctx);
	if (fl_val_live_count() != before) {
		fprintf(stderr, "leaked %ld template values\n", fl_val_live_count() - before);
		abort();
	}
	return 0;
}
