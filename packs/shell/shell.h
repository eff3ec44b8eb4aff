/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shell.h - the Shell pack: configuration, the script runner and the
 * command handler.
 *
 * The pack answers command "Shell" (input: a JSON string, the script) with
 * event "Output" {"stdout","stderr","exit_code"}, compatible with
 * ExpediaGroup/flyte-shell, plus a timeout, output caps, a working
 * directory and a clean-environment option.
 */
#ifndef SHELL_PACK_H
#define SHELL_PACK_H

#include <stdbool.h>
#include <stddef.h>

#include <flyte.h>

#define SHELL_DEFAULT_TIMEOUT_SEC 300L
#define SHELL_DEFAULT_MAX_OUTPUT ((size_t)1 << 20)
#define SHELL_TIMEOUT_EXIT_CODE 124

struct shell_config {
	char **argv_prefix; /* e.g. {"bash", "-c", NULL}; the script is appended */
	size_t n_prefix;
	long timeout_sec;   /* 0 = none */
	size_t max_output;  /* bytes kept per stream */
	char *workdir;      /* NULL = the pack's working directory */
	bool clean_env;     /* only PATH, HOME and LANG are passed */
	long kill_grace_ms; /* SIGTERM → SIGKILL delay after a timeout */
};

/*
 * Read FLYTE_SHELL_CMD (default "bash -c", split on blanks),
 * FLYTE_SHELL_TIMEOUT_SEC, FLYTE_SHELL_MAX_OUTPUT_BYTES, FLYTE_SHELL_WORKDIR
 * and FLYTE_SHELL_CLEAN_ENV.  Returns 0, or -1 with a message in err.
 */
int shell_config_from_env(struct shell_config *cfg, char *err, size_t errlen);
void shell_config_release(struct shell_config *cfg);

struct shell_stream {
	char *data;
	size_t len;     /* bytes kept (<= max_output) */
	size_t dropped; /* bytes read beyond the cap */
};

struct shell_output {
	struct shell_stream out, err;
	int exit_code;
	bool timed_out;
};

/*
 * Run script with the configured shell, capture both streams (read with
 * poll, so large outputs never deadlock), enforce the timeout by killing the
 * process group.  A process that cannot be started yields exit code 127 and
 * the reason on stderr.  Returns 0, or -1 on out-of-memory.
 */
int shell_run(const struct shell_config *cfg, const char *script, size_t script_len, struct shell_output *out);
void shell_output_release(struct shell_output *o);

/*
 * The Output payload as JSON text (caller frees with flyte_string_free()),
 * with notes about truncation and timeouts appended to stderr; NULL on OOM.
 */
char *shell_output_json(const struct shell_output *o, const struct shell_config *cfg);

/* The handler of command "Shell"; payload is the struct shell_config. */
int shell_handler(const char *input, size_t len, struct flyte_result *out, void *payload);

#endif
