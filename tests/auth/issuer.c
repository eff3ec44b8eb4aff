/* SPDX-License-Identifier: Apache-2.0 */
/*
 * issuer.c - the local OIDC issuer of the auth tests (libmicrohttpd).
 *
 * Bound to 127.0.0.1 on a port the kernel picks; one internal polling
 * thread; the documents live behind a mutex so a test can rotate keys
 * while the verifier fetches.  Counters let tests assert exactly how many
 * JWKS fetches a scenario caused.
 */
#include "fl-common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>

#include <microhttpd.h>

#include "issuer.h"

struct ti_issuer {
	struct MHD_Daemon *d;
	char url[64];
	pthread_mutex_t lock;
	char *jwks;
	char *discovery; /* NULL: built from url */
	unsigned status;
	int max_age;
	unsigned jwks_hits, discovery_hits;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *body, int max_age)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", "application/json");
	if (max_age >= 0) {
		char cc[64];
		snprintf(cc, sizeof(cc), "public, max-age=%d, must-revalidate", max_age);
		MHD_add_response_header(r, "Cache-Control", cc);
	}
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct ti_issuer *iss = cls;
	char *body, disc[512];
	unsigned status = MHD_HTTP_OK;
	int max_age = -1;
	enum MHD_Result rc;

	(void)version;
	(void)upload;
	(void)upload_size;
	if (!*state) {
		*state = iss; /* first call: headers only */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "{}", -1);
	pthread_mutex_lock(&iss->lock);
	if (strcmp(url, "/.well-known/openid-configuration") == 0) {
		iss->discovery_hits++;
		snprintf(disc, sizeof(disc),
				 "{\"issuer\":\"%s\",\"jwks_uri\":\"%s/jwks\",\"authorization_endpoint\":\"%s/auth\","
				 "\"id_token_signing_alg_values_supported\":[\"RS256\",\"ES256\"]}",
				 iss->url, iss->url, iss->url);
		body = strdup(iss->discovery ? iss->discovery : disc);
	} else if (strcmp(url, "/jwks") == 0) {
		iss->jwks_hits++;
		max_age = iss->max_age;
		body = strdup(iss->jwks ? iss->jwks : "{\"keys\":[]}");
	} else {
		status = MHD_HTTP_NOT_FOUND;
		body = strdup("{}");
	}
	if (iss->status)
		status = iss->status;
	pthread_mutex_unlock(&iss->lock);
	rc = reply(c, status, body, max_age);
	free(body);
	return rc;
}

struct ti_issuer *ti_issuer_start(void)
{
	struct ti_issuer *iss = calloc(1, sizeof(*iss));
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	pthread_mutex_init(&iss->lock, NULL);
	iss->max_age = -1;
	iss->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, iss, MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&sin, MHD_OPTION_END);
	if (!iss->d)
		abort();
	info = MHD_get_daemon_info(iss->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(iss->url, sizeof(iss->url), "http://127.0.0.1:%u", (unsigned)info->port);
	return iss;
}

void ti_issuer_stop(struct ti_issuer *iss)
{
	if (!iss)
		return;
	MHD_stop_daemon(iss->d);
	pthread_mutex_destroy(&iss->lock);
	free(iss->jwks);
	free(iss->discovery);
	free(iss);
}

const char *ti_issuer_url(const struct ti_issuer *iss)
{
	return iss->url;
}

void ti_issuer_set_jwks(struct ti_issuer *iss, const char *json)
{
	pthread_mutex_lock(&iss->lock);
	free(iss->jwks);
	iss->jwks = strdup(json);
	pthread_mutex_unlock(&iss->lock);
}

void ti_issuer_set_discovery(struct ti_issuer *iss, const char *json)
{
	pthread_mutex_lock(&iss->lock);
	free(iss->discovery);
	iss->discovery = json ? strdup(json) : NULL;
	pthread_mutex_unlock(&iss->lock);
}

void ti_issuer_set_max_age(struct ti_issuer *iss, int sec)
{
	pthread_mutex_lock(&iss->lock);
	iss->max_age = sec;
	pthread_mutex_unlock(&iss->lock);
}

void ti_issuer_set_status(struct ti_issuer *iss, unsigned status)
{
	pthread_mutex_lock(&iss->lock);
	iss->status = status;
	pthread_mutex_unlock(&iss->lock);
}

unsigned ti_issuer_jwks_hits(struct ti_issuer *iss)
{
	unsigned n;
	pthread_mutex_lock(&iss->lock);
	n = iss->jwks_hits;
	pthread_mutex_unlock(&iss->lock);
	return n;
}

unsigned ti_issuer_discovery_hits(struct ti_issuer *iss)
{
	unsigned n;
	pthread_mutex_lock(&iss->lock);
	n = iss->discovery_hits;
	pthread_mutex_unlock(&iss->lock);
	return n;
}
