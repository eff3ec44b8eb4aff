/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packenv.c - a pack's settings from the environment (see packenv.h).
 */
#include "fl-common.h"

#include <limits.h>
#include <strings.h>

#include "packenv.h"

static int oom(char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory");
	return -1;
}

const char *packenv_get(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int packenv_dup(char **out, const char *name, const char *def, char *err, size_t errlen)
{
	const char *v = packenv_get(name);

	*out = NULL;
	if (!v && !def)
		return 0;
	*out = strdup(v ? v : def);
	return *out ? 0 : oom(err, errlen);
}

int packenv_need(char **out, const char *name, char *err, size_t errlen)
{
	*out = NULL;
	if (!packenv_get(name)) {
		snprintf(err, errlen, "%s is not set", name);
		return -1;
	}
	return packenv_dup(out, name, NULL, err, errlen);
}

int packenv_bool(const char *name, bool *out, char *err, size_t errlen)
{
	const char *v = packenv_get(name);

	if (!v)
		return 0;
	if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no"))
		*out = false;
	else {
		snprintf(err, errlen, "invalid %s '%s': expected true or false", name, v);
		return -1;
	}
	return 0;
}

int packenv_long(const char *name, long min, long max, long *out, char *err, size_t errlen)
{
	const char *v = packenv_get(name);
	char *end;
	long n;

	if (!v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max) {
		if (max == LONG_MAX)
			snprintf(err, errlen, "invalid %s '%s': expected an integer >= %ld", name, v, min);
		else
			snprintf(err, errlen, "invalid %s '%s': expected %ld..%ld", name, v, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

int packenv_secret_file(char **out, const char *name, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "cannot read %s '%s': %s", name, path, strerror(errno));
		return -1;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	*out = strdup(line);
	explicit_bzero(line, sizeof(line));
	return *out ? 0 : oom(err, errlen);
}

int packenv_secret(char **out, const char *name, const char *file_name, char *err, size_t errlen)
{
	const char *file = packenv_get(file_name);

	*out = NULL;
	if (file && packenv_get(name)) {
		snprintf(err, errlen, "set %s or %s, not both", name, file_name);
		return -1;
	}
	if (file)
		return packenv_secret_file(out, file_name, file, err, errlen);
	return packenv_dup(out, name, NULL, err, errlen);
}

void packenv_secret_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

void packenv_list_free(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}

int packenv_list(char ***out, size_t *n, const char *list, char *err, size_t errlen)
{
	size_t cap = 1, k = 0;
	const char *p = list = list ? list : "";

	for (const char *c = list; *c; c++)
		cap += *c == ',';
	*out = calloc(cap + 1, sizeof(char *));
	if (n)
		*n = 0;
	if (!*out)
		return oom(err, errlen);
	while (*p) {
		size_t len = strcspn(p, ","), l = len;
		const char *s = p;

		while (l && (*s == ' ' || *s == '\t'))
			s++, l--;
		while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		if (l) {
			if (!((*out)[k] = strndup(s, l)))
				return oom(err, errlen);
			k++;
			if (n)
				*n = k;
		}
		p += len + (p[len] == ',');
	}
	return 0;
}
