/* SPDX-License-Identifier: Apache-2.0 */
/*
 * limits.c - TLS and resource limits of the real binary: HTTPS with a
 * certificate made at test time, refusal of TLS < 1.2, start-up checks of
 * the certificate and key, the idle/slow-client timeout, the body size
 * limit (413 without buffering the body) and the JSON nesting and element
 * limits; clients that trickle their head or body get 408 and are closed
 * while a parked long poll is not, one address cannot hold more than its
 * share of connections, memory per kept-alive connection follows the
 * header limit (which is capped), and heads up to the limit are served
 * while heads over it get the JSON 431, in one field or in many.
 *
 * Certificates are made with the openssl command-line tool in a temporary
 * directory that is removed at exit.  openssl is run directly (not through
 * flh_run, which runs the flyte binary) with a deadline.
 */
#include "fl-common.h"

#include "alloc.h"
#include "api-util.h"
#include "buf.h"
#include "fltest.h"
#include "harness.h"
#include "fsutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * ThreadSanitizer's shadow memory is counted in the server's RSS (several
 * times what the program touches); memory budgets scale with it.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RSS_SCALE 8
#endif
#endif
#ifndef RSS_SCALE
#define RSS_SCALE 1
#endif

#define CMD_TIMEOUT_MS 60000

static char g_dir[512];     /* temporary directory for certificates */
static char g_cert[600];    /* self-signed certificate for 127.0.0.1 */
static char g_key[600];     /* its key */
static char g_otherkey[600]; /* a key that does not match g_cert */
static bool g_certs_made, g_certs_failed;

static struct flh_server *g_tls;   /* HTTPS server (cases 1 and 2) */
static bool g_tls_failed;
static struct flh_server *g_plain; /* per-test plain server */

/* ---- helpers ------------------------------------------------------------ */

/* Servers still running at exit are stopped by the harness. */
static void cleanup(void)
{
	flt_tmpdir_remove(g_dir);
	g_dir[0] = '\0';
}

/*
 * Run argv[0] (searched in PATH) with stdin from /dev/null, stdout and
 * stderr into one buffer; kill it at the deadline.  Returns the exit code,
 * -1 if it could not run, was killed or timed out.  *out (may be NULL) gets
 * the output (caller frees).
 */
static int run_cmd(const char *const *argv, int timeout_ms, char **out)
{
	char path[700];
	int fd, wstatus = 0, code = -1;
	pid_t pid;
	int64_t dl = flh_deadline(timeout_ms);
	bool done = false;

	if (out)
		*out = NULL;
	snprintf(path, sizeof(path), "%s/cmd-output.XXXXXX", g_dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (in >= 0)
			dup2(in, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fd);
	while (!done) {
		pid_t w = waitpid(pid, &wstatus, WNOHANG);
		if (w == pid) {
			done = true;
			code = flh_exit_code(wstatus);
			break;
		}
		if (w < 0 && errno != EINTR)
			break;
		if (flh_expired(dl)) {
			printf("# %s did not finish within %d ms\n", argv[0], timeout_ms);
			kill(pid, SIGKILL);
			waitpid(pid, &wstatus, 0);
			break;
		}
		flh_sleep_ms(10);
	}
	if (out) {
		FILE *f = fopen(path, "rb");
		struct fl_buf b = FL_BUF_INIT((size_t)4 << 20);
		char chunk[4096];
		size_t n;
		while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fl_buf_add(&b, chunk, n);
		if (f)
			fclose(f);
		fl_buf_add(&b, "", 1);
		*out = fl_xstrdup(b.len ? b.ptr : "");
		fl_buf_release(&b);
	}
	unlink(path);
	return code;
}

/* Make the temporary directory and the certificate and keys once. */
static void certs(void)
{
	if (!g_certs_made && !g_certs_failed) {
		char *out = NULL;
		int rc;
		g_certs_failed = true;
		FLH_ASSERT_MSG(flt_tmpdir_make(g_dir, sizeof(g_dir), "flyte-limits") == 0, "mkdtemp: %s", strerror(errno));
		atexit(cleanup);
		snprintf(g_cert, sizeof(g_cert), "%s/cert.pem", g_dir);
		snprintf(g_key, sizeof(g_key), "%s/key.pem", g_dir);
		snprintf(g_otherkey, sizeof(g_otherkey), "%s/other-key.pem", g_dir);
		{
			const char *argv[] = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
					       "-keyout", g_key, "-out", g_cert, "-days", "2",
					       "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
					       NULL };
			rc = run_cmd(argv, CMD_TIMEOUT_MS, &out);
			FLH_ASSERT_MSG(rc == 0, "openssl req failed (%d): %s", rc, out ? out : "");
			free(out);
		}
		{
			const char *argv[] = { "openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
					       "rsa_keygen_bits:2048", "-out", g_otherkey, NULL };
			rc = run_cmd(argv, CMD_TIMEOUT_MS, &out);
			FLH_ASSERT_MSG(rc == 0, "openssl genpkey failed (%d): %s", rc, out ? out : "");
			free(out);
		}
		g_certs_made = true;
		g_certs_failed = false;
	}
	FLH_ASSERT_MSG(g_certs_made, "the certificates could not be made");
}

static struct flh_server *tls_srv(void)
{
	certs();
	if (!g_tls && !g_tls_failed) {
		char ce[700], ke[700];
		const char *env[] = { ce, ke, NULL };
		snprintf(ce, sizeof(ce), "FLYTE_TLS_CERT_PATH=%s", g_cert);
		snprintf(ke, sizeof(ke), "FLYTE_TLS_KEY_PATH=%s", g_key);
		g_tls = api_start(300, env);
		g_tls_failed = g_tls == NULL;
	}
	FLH_ASSERT_MSG(g_tls, "the HTTPS server did not start");
	return g_tls;
}

/* A fresh plain server with these extra variables (the previous one is
 * stopped). */
static struct flh_server *plain_srv(const char *const *env)
{
	flh_server_free(g_plain);
	g_plain = api_start(300, env);
	FLH_ASSERT_MSG(g_plain, "the server did not start");
	return g_plain;
}

static long vm_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Print command output as TAP diagnostics. */
static void print_output(const char *what, const char *out)
{
	const char *p = out ? out : "";
	printf("# %s:\n", what);
	while (*p) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		printf("# | %.*s\n", n, p);
		p += n + (nl ? 1 : 0);
	}
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

/*
 * Read from fd until an HTTP status line and the end of its headers
 * arrived, the peer closed, or timeout_ms passed.  Returns the status (0 if
 * none); *closed tells whether the peer closed (EOF or reset).
 */
static int read_status(int fd, int timeout_ms, bool *closed)
{
	char buf[8192];
	size_t len = 0;
	int64_t dl = flh_deadline(timeout_ms);
	*closed = false;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = dl - flh_now_ms();
		ssize_t n;
		if (left <= 0)
			break;
		if (poll(&p, 1, (int)FL_MIN(left, 1000)) <= 0)
			continue;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*closed = true;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	return flh_raw_status(buf);
}

/* ---- cases ---------------------------------------------------------------- */

FLT_TEST(tls_serves_https)
{
	struct flh_server *s = tls_srv();
	struct flh_resp *r;
	json_t *links;
	size_t i;
	json_t *l;

	FLH_ASSERT_MSG(strncmp(flh_server_url(s), "https://", 8) == 0, "server URL %s", flh_server_url(s));
	r = flh_get(s, "/v1");
	FLH_STATUS(r, 200);
	links = flh_json_get(flh_resp_json(r), "links");
	FLH_ASSERT_MSG(json_is_array(links) && json_array_size(links) > 0, "no links in %s", r->body);
	json_array_foreach(links, i, l) {
		const char *href = flh_json_str(l, "href");
		FLH_ASSERT_MSG(href && strncmp(href, "https://", 8) == 0, "link %zu href is %s", i,
			       href ? href : "(none)");
	}
	flh_resp_free(r);

	/* plain HTTP on the TLS port gets no HTTP answer */
	{
		char *out = NULL;
		long n = flh_raw(s, "GET /health HTTP/1.0\r\n\r\n", 24, true, 5000, &out);
		FLH_ASSERT(n >= 0);
		FLH_ASSERT_MSG(flh_raw_status(out) != 200, "plain HTTP answered on the TLS port: %.200s", out);
		free(out);
	}
}

FLT_TEST(tls_refuses_old_protocols)
{
	struct flh_server *s = tls_srv();
	char target[64];
	char *out = NULL;
	int rc;

	snprintf(target, sizeof(target), "127.0.0.1:%d", flh_server_port(s));
	{
		/* TLS 1.2 works */
		const char *argv[] = { "openssl", "s_client", "-connect", target, "-tls1_2", NULL };
		rc = run_cmd(argv, CMD_TIMEOUT_MS, &out);
		if (rc != 0 || !contains(out, "New, TLSv1.2, Cipher is") || contains(out, "Cipher is (NONE)"))
			print_output("openssl s_client -tls1_2", out);
		FLH_ASSERT_MSG(rc == 0 && contains(out, "New, TLSv1.2, Cipher is") && !contains(out, "Cipher is (NONE)"),
			       "TLS 1.2 handshake failed (exit %d)", rc);
		free(out);
		out = NULL;
	}
	{
		/* TLS 1.3 works too */
		const char *argv[] = { "openssl", "s_client", "-connect", target, "-tls1_3", NULL };
		rc = run_cmd(argv, CMD_TIMEOUT_MS, &out);
		if (rc != 0 || !contains(out, "New, TLSv1.3, Cipher is") || contains(out, "Cipher is (NONE)"))
			print_output("openssl s_client -tls1_3", out);
		FLH_ASSERT_MSG(rc == 0 && contains(out, "New, TLSv1.3, Cipher is") && !contains(out, "Cipher is (NONE)"),
			       "TLS 1.3 handshake failed (exit %d)", rc);
		free(out);
		out = NULL;
	}
	/*
	 * TLS 1.1 and 1.0 are refused.  The local OpenSSL would not offer them
	 * at its default security level, so it is lowered to 0; the client must
	 * then have sent its hello (not "no protocols available", not 0 bytes
	 * written), so a failed handshake can only be the server's refusal.
	 * (s_client prints "Protocol : TLSv1.1" for the attempted session even
	 * when the handshake failed; "Cipher is (NONE)" tells it failed.)
	 */
	{
		const char *vers[] = { "-tls1_1", "-tls1" };
		for (size_t i = 0; i < FL_ARRAY_LEN(vers); i++) {
			const char *argv[] = { "openssl", "s_client", "-connect", target, vers[i],
					       "-cipher", "DEFAULT:@SECLEVEL=0", NULL };
			bool offered, refused;
			rc = run_cmd(argv, CMD_TIMEOUT_MS, &out);
			offered = !contains(out, "no protocols available") && !contains(out, "written 0 bytes");
			refused = rc != 0 && contains(out, "Cipher is (NONE)") && !contains(out, "BEGIN CERTIFICATE");
			if (!offered || !refused)
				print_output(vers[i], out);
			FLH_ASSERT_MSG(offered, "the local OpenSSL did not offer %s", vers[i]);
			FLH_ASSERT_MSG(refused, "%s handshake succeeded (exit %d)", vers[i], rc);
			free(out);
			out = NULL;
		}
	}
	FLH_ASSERT(api_alive(s));
}

/*
 * Run the binary with this certificate and key; it must exit non-zero by
 * itself within 30 s and its output must contain `needle` (and `needle2`
 * unless NULL).
 */
static void expect_startup_failure(const char *cert, const char *key, const char *needle, const char *needle2)
{
	char ce[700], ke[700];
	const char *env[] = { ce, ke, NULL };
	struct flh_run_opts o = { .env = env, .timeout_ms = 30000 };
	struct flh_run_result r;
	bool timed_out, named;
	int code;

	snprintf(ce, sizeof(ce), "FLYTE_TLS_CERT_PATH=%s", cert);
	snprintf(ke, sizeof(ke), "FLYTE_TLS_KEY_PATH=%s", key);
	FLH_ASSERT_MSG(flh_run(&o, &r) == 0, "could not run the binary");
	timed_out = r.timed_out;
	code = flh_exit_code(r.wstatus);
	named = contains(r.output, needle) && (!needle2 || contains(r.output, needle2));
	if (timed_out || code <= 0 || !named)
		print_output("flyte output", r.output);
	flh_run_result_release(&r);
	FLH_ASSERT_MSG(!timed_out, "cert %s, key %s: still running after 30 s", cert, key);
	FLH_ASSERT_MSG(code > 0, "cert %s, key %s: exit code %d", cert, key, code);
	FLH_ASSERT_MSG(named, "cert %s, key %s: the output does not contain \"%s\"%s%s", cert, key, needle,
		       needle2 ? " and " : "", needle2 ? needle2 : "");
}

FLT_TEST(tls_mismatched_key_fails_at_startup)
{
	/* the HTTPS server is not needed any more */
	flh_server_free(g_tls);
	g_tls = NULL;
	g_tls_failed = true;
	certs();
	/* a key that does not belong to the certificate */
	expect_startup_failure(g_cert, g_otherkey, "does not match", g_otherkey);
	/* a missing certificate */
	expect_startup_failure("/nonexistent-flyte-dir/missing-cert.pem", g_key,
			       "/nonexistent-flyte-dir/missing-cert.pem", NULL);
	/* an unreadable key (a directory) */
	expect_startup_failure(g_cert, g_dir, g_dir, NULL);
	/* a key file that is not a PEM key (the certificate) */
	expect_startup_failure(g_cert, g_cert, "not an unencrypted PEM private key", g_cert);
}

FLT_TEST(slow_client_is_cut_off)
{
	static const char *const env[] = { "FLYTE_CONNECTION_TIMEOUT_SEC=1", NULL };
	static const char partial[] = "GET /health HTTP/1.1\r\nHost: a\r\nX-Slow: ";
	struct flh_server *s = plain_srv(env);
	int fd = flh_raw_open(s, partial, sizeof(partial) - 1);
	int64_t dl = flh_deadline(15000), t0 = flh_now_ms();
	bool closed = false, answered = false;
	char buf[4096];
	struct flh_resp *r;

	FLH_ASSERT_MSG(fd >= 0, "cannot connect");
	/* while the slow client hangs, others are served */
	r = flh_get(s, "/health");
	if (r->status != 200)
		close(fd);
	FLH_STATUS(r, 200);
	flh_resp_free(r);

	while (!closed && !flh_expired(dl)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			closed = true;
			break;
		}
		if (n < 0)
			break;
		buf[n] = '\0';
		if (flh_raw_status(buf) == 200)
			answered = true;
	}
	close(fd);
	FLH_ASSERT_MSG(!answered, "the incomplete request was answered 200");
	FLH_ASSERT_MSG(closed, "the server kept a slow client for more than 15 s");
	printf("# slow client cut off after %lld ms\n", (long long)(flh_now_ms() - t0));
	FLH_ASSERT(api_alive(s));
}

FLT_TEST(oversized_body_413_bounded_memory)
{
	static const char *const env[] = { "FLYTE_MAX_BODY_BYTES=65536", NULL };
	struct flh_server *s = plain_srv(env);
	long rss0, rss1;
	int fd, st;
	bool closed;

	/* warm up: one ordinary request of each kind */
	FLH_ASSERT(api_alive(s));
	{
		struct flh_resp *w = flh_send(s, "POST", "/v1/flows", "application/json", "{}");
		FLH_ASSERT(w->status >= 400 && w->status < 500);
		flh_resp_free(w);
	}
	rss0 = vm_rss_kb(flh_server_pid(s));
	FLH_ASSERT_MSG(rss0 > 0, "cannot read VmRSS of %d", (int)flh_server_pid(s));

	/* (a) a huge Content-Length and a few KB of data: 413 at once */
	{
		static const char head[] = "POST /v1/flows HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
					   "Content-Length: 100000000\r\n\r\n";
		char data[4096];
		memset(data, ' ', sizeof(data));
		fd = flh_raw_open(s, head, sizeof(head) - 1);
		FLH_ASSERT_MSG(fd >= 0, "cannot connect");
		(void)send(fd, data, sizeof(data), MSG_NOSIGNAL);
		st = read_status(fd, 20000, &closed);
		close(fd);
		FLH_EQ_INT(st, 413);
	}

	/* (b) a chunked body of 64 MiB: 413 or closed, without buffering */
	{
		static const char head[] = "POST /v1/flows HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
					   "Transfer-Encoding: chunked\r\n\r\n";
		const size_t csize = 65536, total = (size_t)64 << 20;
		size_t frame_len, sent_total = 0, off = 0;
		char *frame;
		bool stop = false, peer_closed = false;
		int64_t dl = flh_deadline(120000);
		int hlen;

		frame = fl_xmalloc(csize + 32);
		hlen = snprintf(frame, 32, "%zx\r\n", csize);
		memset(frame + hlen, '[', csize);
		memcpy(frame + hlen + csize, "\r\n", 2);
		frame_len = (size_t)hlen + csize + 2;

		fd = flh_raw_open(s, head, sizeof(head) - 1);
		if (fd < 0)
			free(frame);
		FLH_ASSERT_MSG(fd >= 0, "cannot connect");
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		while (!stop && sent_total < total && !flh_expired(dl)) {
			struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
			if (poll(&p, 1, 1000) <= 0)
				continue;
			if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
				stop = true; /* an answer or a close */
				break;
			}
			if (p.revents & POLLOUT) {
				ssize_t n = send(fd, frame + off, frame_len - off, MSG_NOSIGNAL);
				if (n < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				if (n < 0) {
					peer_closed = true; /* EPIPE / ECONNRESET */
					break;
				}
				off += (size_t)n;
				if (off == frame_len) {
					off = 0;
					sent_total += csize;
				}
			}
		}
		free(frame);
		if (!stop && !peer_closed && sent_total >= total)
			(void)send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		st = read_status(fd, 30000, &closed);
		close(fd);
		printf("# chunked upload: %zu MiB sent, answer %d%s%s\n", sent_total >> 20, st,
		       closed ? ", closed" : "", peer_closed ? ", send failed" : "");
		FLH_ASSERT_MSG(st == 413 || (st == 0 && (closed || peer_closed)),
			       "chunked oversized body: answer %d, closed %d", st, (int)(closed || peer_closed));
	}

	FLH_ASSERT(api_alive(s));
	rss1 = vm_rss_kb(flh_server_pid(s));
	printf("# VmRSS %ld kB -> %ld kB\n", rss0, rss1);
	FLH_ASSERT_MSG(rss1 > 0 && rss1 - rss0 < 16 * 1024, "VmRSS grew from %ld kB to %ld kB", rss0, rss1);
}

FLT_TEST(deep_nesting_and_element_limits)
{
	struct flh_server *s = plain_srv(NULL);
	const size_t depth = 100000, count = 200000;
	char *body = fl_xmalloc(count * 2 + 2);
	struct flh_resp *r;
	size_t n = 0;

	memset(body, '[', depth);
	body[depth] = '\0';
	r = flh_send(s, "POST", "/v1/flows", "application/json", body);
	if (r->status != 400)
		free(body);
	FLH_ERROR(r, 400);
	flh_resp_free(r);

	body[n++] = '[';
	for (size_t i = 0; i < count; i++) {
		body[n++] = (char)('0' + (char)(i % 10));
		body[n++] = i + 1 < count ? ',' : ']';
	}
	body[n] = '\0';
	r = flh_send(s, "POST", "/v1/flows", "application/json", body);
	free(body);
	FLH_ERROR(r, 400);
	flh_resp_free(r);

	FLH_ASSERT(api_alive(s));
	r = flh_get(s, "/v1/flows");
	FLH_STATUS(r, 200);
	flh_resp_free(r);
	flh_server_free(g_plain);
	g_plain = NULL;
}

/* A connection to s from the local address `src` (e.g. "127.0.0.2"), non-blocking; -1 on failure. */
static int connect_from(struct flh_server *s, const char *src)
{
	struct sockaddr_in a, b;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, src, &a.sin_addr);
	memset(&b, 0, sizeof(b));
	b.sin_family = AF_INET;
	b.sin_port = htons((uint16_t)flh_server_port(s));
	inet_pton(AF_INET, "127.0.0.1", &b.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || connect(fd, (struct sockaddr *)&b, sizeof(b)) != 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

struct trickler {
	int fd;
	const char *data; /* sent one byte per round, then the last byte again */
	size_t pos, len;
	char got[2048];
	size_t ngot;
	bool closed;
};

/* One round: each open trickler sends a byte and collects what arrived. */
static void trickle_round(struct trickler *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ssize_t r;
		if (t[i].closed)
			continue;
		if (t[i].pos < t[i].len)
			(void)send(t[i].fd, t[i].data + t[i].pos++, 1, MSG_NOSIGNAL);
		for (;;) {
			r = recv(t[i].fd, t[i].got + t[i].ngot, sizeof(t[i].got) - 1 - t[i].ngot, 0);
			if (r > 0) {
				t[i].ngot += (size_t)r;
				t[i].got[t[i].ngot] = '\0';
				continue;
			}
			if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
				t[i].closed = true;
			break;
		}
	}
}

FLT_TEST(slow_head_and_body_get_408_long_poll_survives)
{
	enum { N = 4, CAP = N + 1, BODY = N + 1, ALL = N + 2 };
	static const char *const env[] = { "FLYTE_HEADER_TIMEOUT_SEC=1", "FLYTE_BODY_TIMEOUT_SEC=1",
					   "FLYTE_MAX_CONNECTIONS_PER_ADDRESS=4", NULL };
	static const char head[] = "GET /health HTTP/1.1\r\nHost: a\r\nX-Trickle: "
				   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char body[] = "POST /v1/packs HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
				   "Content-Length: 100\r\n\r\n{\"name\":\"SlowBodyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const char take[] = "POST /v1/packs/Parked/actions/take HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
	struct flh_server *s;
	struct trickler t[ALL];
	struct flh_pack parked;
	struct flh_resp *r;
	int poll_fd, st, timed_out = 0, refused = 0;
	bool closed, all = false;
	int64_t dl;

	flh_server_free(g_plain);
	g_plain = api_start(4000, env); /* takes wait 4 s, longer than both deadlines */
	s = g_plain;
	FLH_ASSERT_MSG(s, "the server did not start");
	FLH_EQ_INT(flh_pack_register(&parked, s, "{\"name\":\"Parked\"}"), 201);
	flh_pack_release(&parked);
	/* a long poll: suspended, no deadline applies */
	poll_fd = flh_raw_open(s, take, sizeof(take) - 1);
	FLH_ASSERT(poll_fd >= 0);

	/*
	 * Five slow connections from 127.0.0.2, one more than its cap allows.
	 * The server's threads accept in no fixed order, so which one is
	 * refused is not known: exactly one must be closed without an answer.
	 */
	memset(t, 0, sizeof(t));
	for (int i = 0; i < CAP; i++) {
		t[i].fd = connect_from(s, "127.0.0.2");
		FLH_ASSERT_MSG(t[i].fd >= 0, "cannot connect from 127.0.0.2");
		t[i].data = head;
		t[i].len = sizeof(head) - 1;
	}
	/* the body trickler, from the ordinary address */
	t[BODY].fd = flh_raw_open(s, body, 0);
	FLH_ASSERT(t[BODY].fd >= 0);
	fcntl(t[BODY].fd, F_SETFL, fcntl(t[BODY].fd, F_GETFL) | O_NONBLOCK);
	FLH_ASSERT(send(t[BODY].fd, body, 90, MSG_NOSIGNAL) == 90); /* headers and the start of the body */
	t[BODY].data = body;
	t[BODY].pos = 90;
	t[BODY].len = sizeof(body) - 1;

	/* the others are served meanwhile */
	trickle_round(t, ALL);
	r = flh_get(s, "/health");
	FLH_STATUS(r, 200);
	flh_resp_free(r);

	/* trickle (a byte every 200 ms: never silent) until the server closes every one */
	dl = flh_deadline(20000);
	while (!all && !flh_expired(dl)) {
		flh_sleep_ms(200);
		trickle_round(t, ALL);
		all = true;
		for (int i = 0; i < ALL; i++)
			all = all && t[i].closed;
	}
	for (int i = 0; i < ALL; i++) {
		bool got408 = flh_raw_status(t[i].got) == 408 && strstr(t[i].got, "{\"error\":\"request ") != NULL;
		if (i < CAP && got408)
			timed_out++;
		else if (i < CAP && t[i].closed && t[i].ngot == 0)
			refused++;
		if (!got408)
			printf("# trickler %d (%s): %.300s\n", i, t[i].closed ? "closed" : "open", t[i].got);
		close(t[i].fd);
	}
	FLH_ASSERT_MSG(all, "a trickling client kept its connection for 20 s");
	FLH_ASSERT_MSG(refused == 1 && timed_out == N,
		       "from one address with a cap of %d: %d refused, %d answered 408 (want 1 and %d)", N, refused,
		       timed_out, N);
	FLH_EQ_INT(flh_raw_status(t[BODY].got), 408);
	FLH_ASSERT(strstr(t[BODY].got, "{\"error\":\"request ") != NULL);
	r = flh_get(s, "/v1/packs/SlowBody");
	FLH_ERROR(r, 404);
	flh_resp_free(r);

	/* the long poll was not cut: it gets its ordinary 204 */
	st = read_status(poll_fd, 20000, &closed);
	close(poll_fd);
	FLH_EQ_INT(st, 204);
	FLH_ASSERT(api_alive(s));
}

FLT_TEST(header_limit_is_capped_and_memory_follows_it)
{
	enum { N = 200 };
	static const char *const big[] = { "FLYTE_MAX_HEADER_BYTES=1048576", NULL };
	struct flh_run_opts o = { .env = big, .timeout_ms = 30000 };
	struct flh_run_result rr;
	struct flh_server *s;
	long rss0, rss1;
	int fds[N];

	/* a 1 MiB limit meant 1 MiB of memory per kept-alive connection: refused */
	FLH_ASSERT_MSG(flh_run(&o, &rr) == 0, "could not run the binary");
	if (flh_exit_code(rr.wstatus) <= 0 || !contains(rr.output, "FLYTE_MAX_HEADER_BYTES"))
		print_output("flyte output", rr.output);
	FLH_ASSERT(flh_exit_code(rr.wstatus) > 0);
	FLH_ASSERT(contains(rr.output, "FLYTE_MAX_HEADER_BYTES"));
	flh_run_result_release(&rr);

	/* with the default limit a kept-alive connection costs well under 64 KiB */
	s = plain_srv(NULL);
	FLH_ASSERT(api_alive(s));
	rss0 = vm_rss_kb(flh_server_pid(s));
	for (int i = 0; i < N; i++) {
		static const char req[] = "GET /v1/packs HTTP/1.1\r\nHost: a\r\n\r\n";
		fds[i] = flh_raw_open(s, req, sizeof(req) - 1);
		FLH_ASSERT(fds[i] >= 0);
	}
	for (int i = 0; i < N; i++) {
		char buf[4096];
		struct pollfd p = { .fd = fds[i], .events = POLLIN };
		FLH_ASSERT(poll(&p, 1, 20000) == 1 && recv(fds[i], buf, sizeof(buf), 0) > 0);
	}
	rss1 = vm_rss_kb(flh_server_pid(s));
	for (int i = 0; i < N; i++)
		close(fds[i]);
	printf("# VmRSS %ld kB -> %ld kB with %d kept-alive connections\n", rss0, rss1, N);
	FLH_ASSERT_MSG(rss1 - rss0 < N * 64 * RSS_SCALE, "%d kept-alive connections cost %ld kB", N, rss1 - rss0);
}

/*
 * A GET head of exactly `total` bytes (request line, `fields` header
 * lines of about equal size, final CRLF) with Connection: close; the
 * answer in *out (caller frees), its status returned.
 */
static int head_of(struct flh_server *s, size_t total, int fields, char **out)
{
	static const char line[] = "GET /v1/packs HTTP/1.1\r\nHost: a\r\nConnection: close\r\n";
	struct fl_buf b = FL_BUF_INIT(0);
	size_t room = total - (sizeof(line) - 1) - 2;
	int st;

	fl_buf_add(&b, line, sizeof(line) - 1);
	for (int i = 0; i < fields; i++) {
		size_t len = room / (size_t)(fields - i); /* this line, CRLF included */
		size_t pad = len - 12;                   /* "X-F00000: " + CRLF */
		fl_buf_addf(&b, "X-F%05d: ", i);
		for (size_t k = 0; k < pad; k++)
			fl_buf_add(&b, "v", 1);
		fl_buf_add(&b, "\r\n", 2);
		room -= len;
	}
	fl_buf_add(&b, "\r\n", 2);
	FLH_ASSERT(!fl_buf_failed(&b) && b.len == total);
	*out = NULL;
	FLH_ASSERT(flh_raw(s, b.ptr, b.len, false, 20000, out) >= 0);
	fl_buf_release(&b);
	st = flh_raw_status(*out);
	if (!*out)
		*out = fl_xstrdup("");
	return st;
}

FLT_TEST(header_limit_answers_at_the_limit)
{
	/* the default limit, 16 KiB: in one field, in 100 and in 150 fields */
	static const int fields[] = { 1, 100, 150 };
	struct flh_server *s = plain_srv(NULL);
	char *got;

	for (size_t i = 0; i < FL_ARRAY_LEN(fields); i++) {
		int st = head_of(s, 16384 - 64, fields[i], &got);
		if (st != 200)
			printf("# %d fields, 16320 bytes: %.300s\n", fields[i], got);
		FLH_EQ_INT(st, 200);
		free(got);
		st = head_of(s, 16384 + 64, fields[i], &got);
		if (st != 431 || !contains(got, "{\"error\":\"request headers are larger than 16384 bytes\""))
			printf("# %d fields, 16448 bytes: %.300s\n", fields[i], got);
		FLH_EQ_INT(st, 431);
		FLH_ASSERT(contains(got, "{\"error\":\"request headers are larger than 16384 bytes\""));
		free(got);
	}
	FLH_ASSERT(api_alive(s));
}

FLT_MAIN(tls_serves_https, tls_refuses_old_protocols, tls_mismatched_key_fails_at_startup, slow_client_is_cut_off,
	 oversized_body_413_bounded_memory, deep_nesting_and_element_limits,
	 slow_head_and_body_get_408_long_poll_survives, header_limit_is_capped_and_memory_follows_it,
	 header_limit_answers_at_the_limit)
