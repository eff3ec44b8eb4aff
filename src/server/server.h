/* SPDX-License-Identifier: Apache-2.0 */
/*
 * server.h - the flyte server process: wiring and lifecycle.
 */
#ifndef FL_SERVER_H
#define FL_SERVER_H

#include "config/config.h"
#include "fl-common.h"

/*
 * Run the server with a loaded configuration until SIGTERM or SIGINT:
 * logging -> TLS check -> engine -> auth (if configured) -> HTTP -> wait
 * for a signal -> graceful shutdown.  Returns the process exit status
 * (0 after a clean shutdown, 1 when start-up fails).
 */
int fl_server_run(const struct fl_config *cfg);

/*
 * Handle a command line that does not start the server (help, version,
 * configuration reference, usage error); returns the exit status.
 */
int fl_server_cli(enum fl_config_cli cli, const char *argv0, const char *error);

#endif
