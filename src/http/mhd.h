/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mhd.h - the HTTP server: libmicrohttpd in epoll mode with an internal
 * thread pool, serving struct fl_request objects.
 *
 * This module is the only one that includes <microhttpd.h>.  It maps each
 * libmicrohttpd request onto the transport-independent request of
 * request.h: headers in, body chunks in (size-capped), handlers run,
 * connections suspended while an engine operation is pending and resumed
 * by the completion callback, the response out, and the end of the request
 * reported with whether it was delivered (every byte accepted by the
 * kernel).  Request framing is checked before any body byte is read
 * (head.h); the connection guard (guard.h) bounds the time to receive a
 * head and a body.
 */
#ifndef FL_MHD_H
#define FL_MHD_H

#include "error.h"
#include "fl-common.h"
#include "http/request.h"

struct fl_mhd_config {
	const char *bind_address;      /* IPv4 or IPv6 literal */
	uint16_t port;                 /* 0 = any free port */
	unsigned threads;              /* thread pool size */
	unsigned max_connections;
	unsigned connection_timeout_sec;     /* inactivity */
	unsigned header_timeout_sec;         /* request line + headers, in total */
	unsigned body_timeout_sec;           /* request body, in total */
	unsigned max_connections_per_address; /* 0 = no limit */
	size_t max_header_bytes;       /* request line + headers */
	const char *tls_cert_pem;      /* PEM in memory; both set = HTTPS */
	const char *tls_key_pem;
	const struct fl_http_ctx *ctx; /* borrowed, must outlive the server */
};

struct fl_mhd;

/* Bind and start serving.  FL_EIO with a message when the port cannot be opened. */
int fl_mhd_start(struct fl_mhd **out, const struct fl_mhd_config *cfg, struct fl_error *err);
/* The port actually bound (useful with port 0). */
uint16_t fl_mhd_port(const struct fl_mhd *m);
/* Stop accepting new connections; requests in progress continue. */
void fl_mhd_quiesce(struct fl_mhd *m);
/*
 * Wait until no request is suspended or in progress, at most timeout_ms.
 * Returns true when drained.
 */
bool fl_mhd_drain(struct fl_mhd *m, int64_t timeout_ms);
/* Number of requests currently suspended (waiting for the engine). */
size_t fl_mhd_parked(const struct fl_mhd *m);
/*
 * Stop the daemon and free everything.  Must not be called while requests
 * are suspended (fl_mhd_drain first); if some still are, the daemon is left
 * running and only a message is logged.  NULL-tolerant.
 */
void fl_mhd_stop(struct fl_mhd *m);

#endif
