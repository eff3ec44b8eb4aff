/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tool.c - start or stop a throw-away PostgreSQL server for a test run.
 *
 *   pgtemp start        prints two shell assignments, FLYTE_TEST_PG=… and
 *                       PGTEMP_DIR=…, for the tests to share one server
 *   pgtemp stop DIR     stops it and removes DIR
 */
#include "fl-common.h"

#include "pgtemp.h"

int main(int argc, char **argv)
{
	char conn[600], dir[300], err[600];

	if (argc == 2 && strcmp(argv[1], "start") == 0) {
		if (pgtemp_start_detached(conn, sizeof(conn), dir, sizeof(dir), err, sizeof(err)) != 0) {
			fprintf(stderr, "pgtemp: %s\n", err);
			return 1;
		}
		printf("FLYTE_TEST_PG='%s'\nPGTEMP_DIR='%s'\n", conn, dir);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "stop") == 0)
		return pgtemp_stop_dir(argv[2]) == 0 ? 0 : 1;
	fprintf(stderr, "usage: %s start | stop DIR\n", argv[0]);
	return 2;
}
