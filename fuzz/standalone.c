/* SPDX-License-Identifier: Apache-2.0 */
/*
 * standalone.c - replays a fuzz corpus without libFuzzer.
 *
 * Linked with a *_fuzz.c target, it feeds every file of the directories (or
 * files) given on the command line to LLVMFuzzerTestOneInput and prints one
 * TAP line per file, so the corpora run in the ordinary test suite under the
 * sanitizers.
 */
#include "fl-common.h"

#include <dirent.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct names {
	char **v;
	size_t n, cap;
};

static void add_name(struct names *ns, const char *path)
{
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 64;
		ns->v = realloc(ns->v, ns->cap * sizeof(*ns->v));
		if (!ns->v)
			abort();
	}
	ns->v[ns->n++] = strdup(path);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(struct names *ns, const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char buf[4096];

	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		add_name(ns, path);
		return;
	}
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "%s/%s", path, e->d_name);
		collect(ns, buf);
	}
	closedir(d);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;
	uint8_t chunk[65536];

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			data = realloc(data, cap);
			if (!data)
				abort();
		}
		memcpy(data + len, chunk, n);
		len += n;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data ? data : (const uint8_t *)"", len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	struct names ns = { 0 };
	int bad = 0;

	for (int i = 1; i < argc; i++)
		collect(&ns, argv[i]);
	qsort(ns.v, ns.n, sizeof(*ns.v), cmp);
	printf("1..%zu\n", ns.n ? ns.n : 1);
	if (!ns.n) {
		printf("not ok 1 - empty corpus\n");
		return 1;
	}
	for (size_t i = 0; i < ns.n; i++) {
		int rc = run_file(ns.v[i]);
		printf("%sok %zu - %s\n", rc ? "not " : "", i + 1, ns.v[i]);
		fflush(stdout);
		bad += rc != 0;
		free(ns.v[i]);
	}
	free(ns.v);
	return bad ? 1 : 0;
}
