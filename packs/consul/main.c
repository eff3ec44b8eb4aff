/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - flyte-consul, the Consul pack: KV transactions on Consul's
 * /v1/txn.  Configuration is read from the standard Consul client variables
 * (docs/packs/consul.md).
 */
#include "fl-common.h"

#include "consul.h"
#include "packenv.h"
#include "packutil.h"

static const char help[] =
	"usage: flyte-consul\n"
	"Runs the Consul pack (pack name Consul, or PACK_NAME). Environment:\n"
	"  FLYTE_API (or FLYTE_API_URL)  flyte server URL (required)\n"
	"  PACK_NAME                     pack name (default Consul)\n"
	"  CONSUL_HTTP_ADDR              agent address (default 127.0.0.1:8500; host:port,\n"
	"                                http(s)://host:port or unix:///path)\n"
	"  CONSUL_HTTP_TOKEN             ACL token (X-Consul-Token), or\n"
	"  CONSUL_HTTP_TOKEN_FILE        a file holding it\n"
	"  CONSUL_HTTP_AUTH              user:password for HTTP Basic authentication\n"
	"  CONSUL_HTTP_SSL               true: https (default false)\n"
	"  CONSUL_HTTP_SSL_VERIFY        false: do not verify the certificate (default true)\n"
	"  CONSUL_CACERT, CONSUL_CAPATH  trusted CAs (PEM file, hashed directory)\n"
	"  CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY  client certificate for mutual TLS\n"
	"  CONSUL_TIMEOUT_SEC            per request (default 30), CONSUL_CONNECT_TIMEOUT_SEC (10)\n"
	"  CONSUL_RETRIES, CONSUL_RETRY_DELAY_MS, CONSUL_MAX_RESPONSE_BYTES\n"
	"  FLYTE_LABELS, FLYTE_PACK_CONCURRENCY, FLYTE_API_TIMEOUT, FLYTE_JWT,\n"
	"  FLYTE_LOG_LEVEL               see docs/packs.md\n";

int main(int argc, char **argv)
{
	struct consul c;
	const char *name = packenv_get("PACK_NAME");
	char err[512];
	int rc = packutil_args(argc, argv, "flyte-consul", help);

	if (rc >= 0)
		return rc;
	if (consul_from_env(&c, flyte_log_stderr, packutil_log_level(), err, sizeof(err)))
		rc = packutil_fail("flyte-consul", err);
	else
		rc = packutil_serve("flyte-consul", name ? name : "Consul", consul_commands, consul_n_commands, &c, NULL);
	consul_release(&c);
	return rc;
}
