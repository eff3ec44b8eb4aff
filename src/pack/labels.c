/* SPDX-License-Identifier: Apache-2.0 */
/*
 * labels.c - label sets (key → value) of a pack instance.
 *
 * Labels are kept sorted by key (byte order) because the server derives a
 * pack's id from its name followed by ".key.value" for every label in that
 * order, and the library needs the same id to find an existing pack.  The
 * FLYTE_LABELS parser follows the Go client: split on ',', then on the first
 * '=', trim both sides; unlike the Go client a malformed piece is an error
 * code, never an exit.
 */
#include "fl-common.h"

#include <ctype.h>

#include "grow.h"
#include "internal.h"

struct label {
	char *key;
	char *value;
};

struct flyte_labels {
	struct label *items;
	size_t n, cap;
};

FLYTE_API int flyte_labels_new(struct flyte_labels **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? FLYTE_OK : flyte__error_oom(NULL);
}

FLYTE_API void flyte_labels_free(struct flyte_labels *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	free(l);
}

static int set_n(struct flyte_labels *l, const char *key, size_t klen, const char *value, size_t vlen)
{
	size_t lo = 0, hi = l->n;
	struct label *it;
	char *k = NULL, *v = NULL;

	if (!klen)
		return flyte__error(NULL, FLYTE_EINVALID, "invalid label: empty key");
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *mk = l->items[mid].key;
		size_t ml = strlen(mk);
		int c = memcmp(mk, key, ml < klen ? ml : klen);
		if (!c)
			c = ml < klen ? -1 : ml > klen ? 1 : 0;
		if (!c) {
			v = strndup(value, vlen);
			if (!v)
				return flyte__error_oom(NULL);
			free(l->items[mid].value);
			l->items[mid].value = v;
			return FLYTE_OK;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	it = fl_grow_try(l->items, &l->cap, l->n + 1, sizeof(*it));
	if (!it)
		return flyte__error_oom(NULL);
	l->items = it;
	k = strndup(key, klen);
	v = strndup(value, vlen);
	if (!k || !v) {
		free(k);
		free(v);
		return flyte__error_oom(NULL);
	}
	memmove(&l->items[lo + 1], &l->items[lo], (l->n - lo) * sizeof(*l->items));
	l->items[lo].key = k;
	l->items[lo].value = v;
	l->n++;
	return FLYTE_OK;
}

FLYTE_API int flyte_labels_set(struct flyte_labels *l, const char *key, const char *value)
{
	if (!l || !key)
		return flyte__error(NULL, FLYTE_EMISUSE, "flyte_labels_set: labels and key are required");
	if (!value)
		value = "";
	return set_n(l, key, strlen(key), value, strlen(value));
}

static void trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

FLYTE_API int flyte_labels_parse(struct flyte_labels *l, const char *text)
{
	const char *p;
	int rc;

	if (!l)
		return flyte__error(NULL, FLYTE_EMISUSE, "flyte_labels_parse: labels are required");
	if (!text)
		return FLYTE_OK;
	/* First pass validates so that a bad list adds nothing. */
	for (int pass = 0; pass < 2; pass++) {
		p = text;
		while (*p) {
			const char *end = strchr(p, ',');
			const char *eq, *kb, *ke, *vb, *ve;
			if (!end)
				end = p + strlen(p);
			kb = p;
			ke = end;
			trim(&kb, &ke);
			if (kb < ke) {
				eq = memchr(kb, '=', (size_t)(ke - kb));
				if (!eq)
					return flyte__error(NULL, FLYTE_EINVALID,
							    "invalid label '%.*s': expected key=value",
							    (int)(ke - kb), kb);
				vb = eq + 1;
				ve = ke;
				ke = eq;
				trim(&kb, &ke);
				trim(&vb, &ve);
				if (kb == ke)
					return flyte__error(NULL, FLYTE_EINVALID,
							    "invalid label '%.*s': empty key",
							    (int)(ve - kb), kb);
				if (pass == 1) {
					rc = set_n(l, kb, (size_t)(ke - kb), vb, (size_t)(ve - vb));
					if (rc)
						return rc;
				}
			}
			p = *end ? end + 1 : end;
		}
	}
	return FLYTE_OK;
}

FLYTE_API int flyte_labels_from_env(struct flyte_labels **out)
{
	struct flyte_labels *l = NULL;
	int rc;

	*out = NULL;
	rc = flyte_labels_new(&l);
	if (rc)
		return rc;
	rc = flyte_labels_parse(l, getenv("FLYTE_LABELS"));
	if (rc) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", flyte_last_error());
		flyte_labels_free(l);
		return flyte__error(NULL, rc, "FLYTE_LABELS: %s", msg);
	}
	*out = l;
	return FLYTE_OK;
}

FLYTE_API size_t flyte_labels_count(const struct flyte_labels *l)
{
	return l ? l->n : 0;
}

FLYTE_API const char *flyte_labels_key(const struct flyte_labels *l, size_t i)
{
	return l && i < l->n ? l->items[i].key : NULL;
}

FLYTE_API const char *flyte_labels_value(const struct flyte_labels *l, size_t i)
{
	return l && i < l->n ? l->items[i].value : NULL;
}

FLYTE_API const char *flyte_labels_get(const struct flyte_labels *l, const char *key)
{
	if (!l || !key)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].key, key))
			return l->items[i].value;
	return NULL;
}
