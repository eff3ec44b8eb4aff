/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ready.c - flyte-ready: how long a server took from its start to its first
 * answered request.
 *
 *   flyte-ready --port PORT [--host ADDR] [--since-ns NS] [--timeout SEC] [--path PATH]
 *
 * Sends `GET /health` (or PATH) over a fresh connection every 0.2 ms until
 * an answer with status 200 comes back, then prints the time from NS (the
 * CLOCK_REALTIME nanoseconds taken just before the server process was
 * started; default: when flyte-ready started) to that answer.  It talks raw
 * HTTP/1.1 over a socket so that its own start-up costs next to nothing
 * (no libcurl): bench/load/run.sh starts the server and then this program.
 * Exit status 1 when no 200 came within the timeout (default 10 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One request on a new connection; the status code, 0 when no answer. */
static int probe(const struct sockaddr_in *sa, const char *req, size_t len)
{
	char buf[256];
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), status = 0;

	if (fd < 0)
		return 0;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 && send(fd, req, len, MSG_NOSIGNAL) == (ssize_t)len) {
		while (got < sizeof(buf) - 1) {
			ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			if (strchr(buf, '\n'))
				break;
		}
		buf[got] = '\0';
		if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
			status = 0;
	}
	close(fd);
	return status;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *path = "/health";
	int64_t since = real_ns(), deadline;
	double timeout = 10;
	struct sockaddr_in sa;
	char req[512];
	int port = 0, n, tries = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port"))
			port = (int)strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--host"))
			host = argv[i + 1];
		else if (!strcmp(argv[i], "--since-ns"))
			since = strtoll(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--timeout"))
			timeout = strtod(argv[i + 1], NULL);
		else if (!strcmp(argv[i], "--path"))
			path = argv[i + 1];
		else
			port = 0, i = argc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fputs("usage: flyte-ready --port PORT [--host ADDR] [--since-ns NS] [--timeout SEC] [--path PATH]\n", stderr);
		return 2;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", path, host, port);
	deadline = real_ns() + (int64_t)(timeout * 1e9);
	for (;;) {
		int status = probe(&sa, req, (size_t)n);
		int64_t now = real_ns();
		tries++;
		if (status == 200) {
			printf("start:   cold start to the first answered request (GET %s 200): %.1f ms (%d probes)\n", path,
			       (double)(now - since) / 1e6, tries);
			return 0;
		}
		if (now > deadline) {
			fprintf(stderr, "flyte-ready: no answer 200 from %s:%d%s within %.0f s\n", host, port, path, timeout);
			return 1;
		}
		usleep(200);
	}
}
