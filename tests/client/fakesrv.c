/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fakesrv.c - the tiny HTTP server used by the client tests to script
 * server behaviour that the real server cannot be made to show on demand:
 * failures on a given request, dropped connections, 404 on take.
 */
#include "fakesrv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
	struct fake_srv *srv;
	int fd;
	pthread_t thread;
	struct conn *next;
};

struct fake_srv {
	int lfd;
	int port;
	char url[64];
	fake_handler handler;
	void *ud;
	pthread_t accept_thread;
	pthread_mutex_t mu;
	struct conn *conns;
	bool stopping;
};

int fake_port(const struct fake_srv *s)
{
	return s->port;
}

const char *fake_url(const struct fake_srv *s)
{
	return s->url;
}

void fake_body(struct fake_resp *r, const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	free(r->body);
	r->body = p;
	r->body_len = (size_t)n;
	if (!r->content_type[0])
		snprintf(r->content_type, sizeof(r->content_type), "application/json");
}

static void copy_header(char *dst, size_t dstlen, const char *line, const char *name)
{
	size_t nl = strlen(name);
	const char *v;

	if (strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	v = line + nl + 1;
	while (*v == ' ')
		v++;
	snprintf(dst, dstlen, "%s", v);
}

/* Read one request; 0 on success, -1 on EOF/error. */
static int read_request(int fd, char *buf, size_t cap, size_t *have, struct fake_req *req)
{
	char *end = NULL;
	size_t hlen, clen = 0;

	memset(req, 0, sizeof(*req));
	for (;;) {
		buf[*have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end)
			break;
		if (*have >= cap - 1)
			return -1;
		ssize_t n = read(fd, buf + *have, cap - 1 - *have);
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
	hlen = (size_t)(end - buf) + 4;
	*end = '\0';
	if (sscanf(buf, "%15s %1023s", req->method, req->path) != 2)
		return -1;
	for (char *line = strstr(buf, "\r\n"); line; line = strstr(line, "\r\n")) {
		char *next;
		line += 2;
		next = strstr(line, "\r\n");
		if (next)
			*next = '\0';
		if (!strncasecmp(line, "Content-Length:", 15))
			clen = strtoul(line + 15, NULL, 10);
		copy_header(req->content_type, sizeof(req->content_type), line, "Content-Type");
		copy_header(req->authorization, sizeof(req->authorization), line, "Authorization");
		copy_header(req->prefer, sizeof(req->prefer), line, "Prefer");
		if (!next)
			break;
		*next = '\r';
	}
	req->body = malloc(clen + 1);
	if (!req->body)
		return -1;
	size_t got = *have - hlen < clen ? *have - hlen : clen;
	memcpy(req->body, buf + hlen, got);
	while (got < clen) {
		ssize_t n = read(fd, req->body + got, clen - got);
		if (n <= 0) {
			free(req->body);
			req->body = NULL;
			return -1;
		}
		got += (size_t)n;
	}
	req->body[clen] = '\0';
	req->body_len = clen;
	/* Keep bytes of a pipelined next request. */
	size_t used = hlen + (*have - hlen < clen ? *have - hlen : clen);
	memmove(buf, buf + used, *have - used);
	*have -= used;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static const char *reason(int st)
{
	switch (st) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	char *buf = malloc(1 << 16);
	size_t have = 0;

	while (buf) {
		struct fake_req req;
		struct fake_resp resp;
		char head[1024];
		int hn;

		if (read_request(c->fd, buf, 1 << 16, &have, &req))
			break;
		memset(&resp, 0, sizeof(resp));
		resp.status = 404;
		c->srv->handler(c->srv, &req, &resp, c->srv->ud);
		free(req.body);
		if (resp.drop) {
			free(resp.body);
			break;
		}
		hn = snprintf(head, sizeof(head),
			      "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s%s%s%s%s%s\r\n", resp.status,
			      reason(resp.status), resp.body_len, resp.content_type[0] ? "Content-Type: " : "",
			      resp.content_type, resp.content_type[0] ? "\r\n" : "",
			      resp.location[0] ? "Location: " : "", resp.location, resp.location[0] ? "\r\n" : "");
		int bad = write_all(c->fd, head, (size_t)hn) ||
			  (resp.body_len && write_all(c->fd, resp.body, resp.body_len));
		free(resp.body);
		if (bad)
			break;
	}
	free(buf);
	shutdown(c->fd, SHUT_RDWR);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct fake_srv *s = arg;

	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);
		struct conn *c;
		int one = 1;

		if (fd < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		pthread_mutex_lock(&s->mu);
		if (s->stopping || pthread_create(&c->thread, NULL, conn_main, c)) {
			pthread_mutex_unlock(&s->mu);
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		s->conns = c;
		pthread_mutex_unlock(&s->mu);
	}
}

int fake_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) && !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

struct fake_srv *fake_start(int port, fake_handler h, void *ud)
{
	struct fake_srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int one = 1;

	if (!s)
		return NULL;
	s->handler = h;
	s->ud = ud;
	pthread_mutex_init(&s->mu, NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto fail;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	if (bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) || listen(s->lfd, 64) ||
	    getsockname(s->lfd, (struct sockaddr *)&a, &len))
		goto fail;
	s->port = ntohs(a.sin_port);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	if (pthread_create(&s->accept_thread, NULL, accept_main, s))
		goto fail;
	return s;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

void fake_stop(struct fake_srv *s)
{
	struct conn *c;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_mutex_unlock(&s->mu);
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->accept_thread, NULL);
	close(s->lfd);
	pthread_mutex_lock(&s->mu);
	for (c = s->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&s->mu);
	while ((c = s->conns)) {
		s->conns = c->next;
		pthread_join(c->thread, NULL);
		close(c->fd);
		free(c);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}
