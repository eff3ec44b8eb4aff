/* SPDX-License-Identifier: Apache-2.0 */
/*
 * consul.h - the Consul pack: command TransactKV runs a KV transaction on
 * Consul's PUT /v1/txn, with the events and payloads of
 * ExpediaGroup/flyte-consul (docs/packs/consul.md).
 */
#ifndef CONSUL_PACK_H
#define CONSUL_PACK_H

#include <jansson.h>

#include <flyte.h>

#include "httpc.h"

/* Operations per transaction Consul accepts (since 1.x). */
#define CONSUL_MAX_OPS 128

struct consul {
	struct httpc *http;
	char *token; /* from CONSUL_HTTP_TOKEN_FILE, when used */
};

/*
 * Configure from the standard Consul client variables: CONSUL_HTTP_ADDR
 * (default 127.0.0.1:8500; host:port, http(s)://host:port or
 * unix:///path), CONSUL_HTTP_TOKEN / CONSUL_HTTP_TOKEN_FILE,
 * CONSUL_HTTP_AUTH (user:password), CONSUL_HTTP_SSL,
 * CONSUL_HTTP_SSL_VERIFY, CONSUL_CACERT, CONSUL_CAPATH, CONSUL_CLIENT_CERT,
 * CONSUL_CLIENT_KEY, plus CONSUL_TIMEOUT_SEC and the other httpc settings.
 * Returns 0, or -1 with a message in err.
 */
int consul_from_env(struct consul *c, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen);
void consul_release(struct consul *c);

extern const struct flyte_command_def consul_commands[];
extern const size_t consul_n_commands;

/*
 * A KV value as Consul returns it (base64, or JSON null) as the pack
 * reports it: the stored bytes as JSON when they are JSON, else as a JSON
 * string (invalid UTF-8 replaced).  New reference; NULL when the base64 is
 * malformed.
 */
json_t *consul_value(const json_t *b64);

/*
 * The "results" list of TransactionSucceeded from a /v1/txn answer:
 * [{"index": i, "key": .., "value": ..}].  NULL with a reason in err when
 * the answer does not have the documented shape.
 */
json_t *consul_results(const json_t *answer, char *err, size_t errlen);

/* The "errors" list of TransactionRolledBack from a 409 answer; NULL with a reason in err. */
json_t *consul_errors(const json_t *answer, char *err, size_t errlen);

#endif
