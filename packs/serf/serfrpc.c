/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serfrpc.c - Serf agent RPC client: msgpack framing with libmsgpack-c,
 * record decoding, and the blocking connection (see serfrpc.h).
 */
#include "fl-common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serfrpc.h"

#define IPC_VERSION 1

/* ---- decoding ------------------------------------------------------------- */

int serf_decoder_init(struct serf_decoder *d, size_t max_message)
{
	memset(d, 0, sizeof(*d));
	d->max = max_message ? max_message : SERF_MAX_MESSAGE;
	if (!msgpack_unpacker_init(&d->up, 4096))
		return -1;
	msgpack_unpacked_init(&d->obj);
	d->ready = true;
	return 0;
}

void serf_decoder_release(struct serf_decoder *d)
{
	if (!d || !d->ready)
		return;
	msgpack_unpacked_destroy(&d->obj);
	msgpack_unpacker_destroy(&d->up);
	d->ready = false;
}

/* One element (scalar, string or finished container) is complete. */
static void skim_done(struct serf_skim *k)
{
	while (k->depth > 0) {
		if (--k->need[k->depth - 1] > 0)
			return;
		k->depth--;
	}
	k->msg_bytes = 0; /* a top-level object ended */
}

static int skim_payload(struct serf_skim *k, uint64_t n, size_t max)
{
	if (n > max - k->msg_bytes)
		return -1;
	if (n == 0)
		skim_done(k);
	else
		k->skip = n;
	return 0;
}

/* A container of n elements (each at least one byte). */
static int skim_open(struct serf_skim *k, uint64_t n, size_t max)
{
	if (n > max - k->msg_bytes)
		return -1;
	if (n == 0) {
		skim_done(k);
		return 0;
	}
	if (k->depth == SERF_MAX_DEPTH)
		return -1;
	k->need[k->depth++] = n;
	return 0;
}

/* The length or count of a header has been read. */
static int skim_header(struct serf_skim *k, size_t max)
{
	uint8_t c = k->hdr_kind;
	uint64_t v = k->hdr_val;

	k->hdr_need = k->hdr_have = 0;
	k->hdr_val = 0;
	if (c == 0xc4 || c == 0xc5 || c == 0xc6 || c == 0xd9 || c == 0xda || c == 0xdb)
		return skim_payload(k, v, max); /* bin, str */
	if (c >= 0xc7 && c <= 0xc9)
		return skim_payload(k, v + 1, max); /* ext: type byte + data */
	if (c == 0xdc || c == 0xdd)
		return skim_open(k, v, max);
	return skim_open(k, v * 2, max); /* map16, map32: keys and values */
}

static int skim_byte(struct serf_skim *k, uint8_t c, size_t max)
{
	static const uint8_t lenbytes[] = {
		/* 0xc4..0xc9 bin8/16/32 ext8/16/32 */ 1, 2, 4, 1, 2, 4,
	};

	if (++k->msg_bytes > max)
		return -1;
	if (k->skip) {
		if (--k->skip == 0)
			skim_done(k);
		return 0;
	}
	if (k->hdr_need) {
		k->hdr_val = k->hdr_val << 8 | c;
		return ++k->hdr_have == k->hdr_need ? skim_header(k, max) : 0;
	}
	if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
		skim_done(k);
		return 0;
	}
	if (c <= 0x8f)
		return skim_open(k, (uint64_t)(c & 0x0f) * 2, max);
	if (c <= 0x9f)
		return skim_open(k, c & 0x0f, max);
	if (c <= 0xbf)
		return skim_payload(k, c & 0x1f, max);
	k->hdr_kind = c;
	if (c >= 0xc4 && c <= 0xc9)
		k->hdr_need = lenbytes[c - 0xc4];
	else if (c == 0xca || c == 0xcb) /* float32, float64 */
		return skim_payload(k, c == 0xca ? 4 : 8, max);
	else if (c >= 0xcc && c <= 0xd3) /* uint8..64, int8..64 */
		return skim_payload(k, 1u << ((c - 0xcc) & 3), max);
	else if (c >= 0xd4 && c <= 0xd8) /* fixext 1..16 plus the type byte */
		return skim_payload(k, (1u << (c - 0xd4)) + 1, max);
	else if (c >= 0xd9 && c <= 0xdb)
		k->hdr_need = (uint8_t)(1u << (c - 0xd9));
	else if (c == 0xdc || c == 0xde)
		k->hdr_need = 2;
	else if (c == 0xdd || c == 0xdf)
		k->hdr_need = 4;
	else
		return -1; /* 0xc1 is never used */
	return 0;
}

int serf_decoder_feed(struct serf_decoder *d, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (msgpack_unpacker_message_size(&d->up) + len > d->max + 16384)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (skim_byte(&d->skim, p[i], d->max))
			return -1;
	if (!msgpack_unpacker_reserve_buffer(&d->up, len))
		return -1;
	memcpy(msgpack_unpacker_buffer(&d->up), data, len);
	msgpack_unpacker_buffer_consumed(&d->up, len);
	return 0;
}

int serf_decoder_next(struct serf_decoder *d, const msgpack_object **out)
{
	msgpack_unpack_return rc = msgpack_unpacker_next(&d->up, &d->obj);

	*out = NULL;
	if (rc == MSGPACK_UNPACK_SUCCESS) {
		*out = &d->obj.data;
		return 1;
	}
	if (rc == MSGPACK_UNPACK_CONTINUE)
		return msgpack_unpacker_message_size(&d->up) > d->max ? -1 : 0;
	return -1;
}

bool serf_bytes(const msgpack_object *o, const char **p, size_t *len)
{
	if (!o)
		return false;
	if (o->type == MSGPACK_OBJECT_STR) {
		*p = o->via.str.ptr;
		*len = o->via.str.size;
		return true;
	}
	if (o->type == MSGPACK_OBJECT_BIN) {
		*p = o->via.bin.ptr;
		*len = o->via.bin.size;
		return true;
	}
	return false;
}

const msgpack_object *serf_map_get(const msgpack_object *o, const char *key)
{
	size_t klen = strlen(key);

	if (!o || o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < o->via.map.size; i++) {
		const char *p;
		size_t len;
		if (serf_bytes(&o->via.map.ptr[i].key, &p, &len) && len == klen && !memcmp(p, key, len))
			return &o->via.map.ptr[i].val;
	}
	return NULL;
}

/* Copy a str/bin value into a C string (truncated, NUL bytes refused); false if absent. */
static bool copy_str(const msgpack_object *o, char *out, size_t outlen)
{
	const char *p;
	size_t len;

	out[0] = '\0';
	if (!serf_bytes(o, &p, &len) || (len && memchr(p, 0, len)))
		return false;
	len = FL_MIN(len, outlen - 1);
	if (len) /* an empty str may come with a NULL pointer */
		memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

static bool get_uint(const msgpack_object *o, uint64_t *v)
{
	if (!o)
		return false;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		*v = o->via.u64;
		return true;
	}
	return false;
}

int serf_parse_header(const msgpack_object *o, struct serf_header *h)
{
	const msgpack_object *err;

	memset(h, 0, sizeof(*h));
	if (!get_uint(serf_map_get(o, "Seq"), &h->seq))
		return -1;
	err = serf_map_get(o, "Error");
	if (err && err->type != MSGPACK_OBJECT_NIL && !copy_str(err, h->error, sizeof(h->error)))
		snprintf(h->error, sizeof(h->error), "malformed error in the agent's answer");
	return 0;
}

int serf_parse_record(const msgpack_object *o, struct serf_record *r)
{
	const msgpack_object *v;

	memset(r, 0, sizeof(*r));
	if (!copy_str(serf_map_get(o, "Event"), r->event, sizeof(r->event)) || !r->event[0])
		return -1;
	if (!strcmp(r->event, "user")) {
		r->kind = SERF_RECORD_USER;
		if (!serf_bytes(serf_map_get(o, "Name"), &r->name, &r->name_len))
			return -1;
		v = serf_map_get(o, "Payload");
		if (v && v->type != MSGPACK_OBJECT_NIL && !serf_bytes(v, &r->payload, &r->payload_len))
			return -1;
		get_uint(serf_map_get(o, "LTime"), &r->ltime);
		v = serf_map_get(o, "Coalesce");
		r->coalesce = v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
		return 0;
	}
	if (!strncmp(r->event, "member-", 7)) {
		v = serf_map_get(o, "Members");
		if (!v || v->type != MSGPACK_OBJECT_ARRAY)
			return -1;
		r->kind = SERF_RECORD_MEMBER;
		r->members = v;
		return 0;
	}
	r->kind = SERF_RECORD_OTHER;
	return 0;
}

size_t serf_record_n_members(const struct serf_record *r)
{
	return r->kind == SERF_RECORD_MEMBER && r->members ? r->members->via.array.size : 0;
}

int serf_record_member(const struct serf_record *r, size_t i, struct serf_member *m)
{
	const msgpack_object *o, *addr;
	const char *ip;
	size_t iplen;
	uint64_t port = 0;
	char text[INET6_ADDRSTRLEN];

	memset(m, 0, sizeof(*m));
	if (i >= serf_record_n_members(r))
		return -1;
	o = &r->members->via.array.ptr[i];
	if (!copy_str(serf_map_get(o, "Name"), m->name, sizeof(m->name)))
		return -1;
	addr = serf_map_get(o, "Addr");
	get_uint(serf_map_get(o, "Port"), &port);
	if (serf_bytes(addr, &ip, &iplen) && (iplen == 4 || iplen == 16) && port <= 65535) {
		/* Go's net.IP: 4 bytes, or 16 bytes that may hold a v4-mapped address */
		if (iplen == 16 && !memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
			ip += 12;
			iplen = 4;
		}
		if (inet_ntop(iplen == 4 ? AF_INET : AF_INET6, ip, text, sizeof(text)))
			snprintf(m->addr, sizeof(m->addr), iplen == 4 ? "%s:%u" : "[%s]:%u", text, (unsigned)port);
	}
	return 0;
}

/* ---- requests ----------------------------------------------------------------- */

static void pack_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);
	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

static void pack_header(msgpack_packer *pk, const char *command, uint64_t seq)
{
	msgpack_pack_map(pk, 2);
	pack_str(pk, "Command");
	pack_str(pk, command);
	pack_str(pk, "Seq");
	msgpack_pack_uint64(pk, seq);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int serf_conn_read(struct serf_conn *c, const msgpack_object **out, int timeout_ms, int wake_fd, char *err,
		   size_t errlen)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p[2] = { { c->fd, POLLIN, 0 }, { wake_fd, POLLIN, 0 } };
		char buf[16384];
		struct timespec now;
		int left = -1, r;
		ssize_t n;

		r = serf_decoder_next(&c->dec, out);
		if (r) {
			if (r < 0)
				snprintf(err, errlen, "invalid data from the serf agent");
			return r;
		}
		if (timeout_ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = timeout_ms - (int)((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0)
				return 0;
		}
		r = poll(p, wake_fd >= 0 ? 2 : 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (wake_fd >= 0 && (p[1].revents & POLLIN))
			return 0;
		if (!r)
			continue;
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s", n == 0 ? "the serf agent closed the connection" : strerror(errno));
			return -1;
		}
		if (serf_decoder_feed(&c->dec, buf, (size_t)n)) {
			snprintf(err, errlen, "message from the serf agent too large");
			return -1;
		}
	}
}

/*
 * Send a request (header + body in sbuf) and read its response header
 * and, with want_body, the body that follows (kept in the decoder until
 * the next read).
 */
static int call(struct serf_conn *c, msgpack_sbuffer *sb, uint64_t seq, bool want_body,
		const msgpack_object **body, char *err, size_t errlen)
{
	const msgpack_object *o;
	struct serf_header h;
	int r;

	if (write_all(c->fd, sb->data, sb->size)) {
		snprintf(err, errlen, "cannot send to the serf agent: %s", strerror(errno));
		return -1;
	}
	r = serf_conn_read(c, &o, c->timeout_ms, -1, err, errlen);
	if (r == 0)
		snprintf(err, errlen, "no answer from the serf agent within %d ms", c->timeout_ms);
	if (r <= 0)
		return -1;
	if (serf_parse_header(o, &h) || h.seq != seq) {
		snprintf(err, errlen, "unexpected answer from the serf agent");
		return -1;
	}
	if (want_body) {
		r = serf_conn_read(c, body, c->timeout_ms, -1, err, errlen);
		if (r == 0)
			snprintf(err, errlen, "no answer from the serf agent within %d ms", c->timeout_ms);
		if (r <= 0)
			return -1;
	}
	if (h.error[0]) {
		snprintf(err, errlen, "%s", h.error);
		return -1;
	}
	return 0;
}

static int split_addr(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon = strrchr(addr, ':');
	size_t n;

	if (!colon || colon == addr || !colon[1] || strlen(colon + 1) >= portlen)
		return -1;
	n = (size_t)(colon - addr);
	if (addr[0] == '[' && n >= 2 && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= hostlen)
		return -1;
	memcpy(host, addr, n);
	host[n] = '\0';
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

static int connect_to(const char *addr, int timeout_ms, char *err, size_t errlen)
{
	char host[256], port[16];
	struct addrinfo hints = { 0 }, *res = NULL;
	int fd = -1, rc;

	if (split_addr(addr, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "invalid agent address '%s': expected host:port", addr);
		return -1;
	}
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "cannot connect to the serf agent at %s", addr);
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		struct pollfd p;
		int soerr = 0;
		socklen_t len = sizeof(soerr);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
		if (rc && errno == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			rc = poll(&p, 1, timeout_ms) == 1 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) && !soerr
				     ? 0
				     : -1;
			if (soerr)
				errno = soerr;
		}
		if (rc) {
			snprintf(err, errlen, "cannot connect to the serf agent at %s: %s", addr, strerror(errno));
			close(fd);
			fd = -1;
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	}
	freeaddrinfo(res);
	return fd;
}

int serf_conn_open(struct serf_conn *c, const char *addr, const char *auth_key, int timeout_ms, char *err,
		   size_t errlen)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	if (serf_decoder_init(&c->dec, SERF_MAX_MESSAGE)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->fd = connect_to(addr, timeout_ms, err, errlen);
	if (c->fd < 0)
		return -1;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_header(&pk, "handshake", c->seq);
	msgpack_pack_map(&pk, 1);
	pack_str(&pk, "Version");
	msgpack_pack_int(&pk, IPC_VERSION);
	if (call(c, &sb, c->seq++, false, NULL, err, errlen))
		goto out;
	if (auth_key) {
		msgpack_sbuffer_clear(&sb);
		pack_header(&pk, "auth", c->seq);
		msgpack_pack_map(&pk, 1);
		pack_str(&pk, "AuthKey");
		pack_str(&pk, auth_key);
		if (call(c, &sb, c->seq++, false, NULL, err, errlen))
			goto out;
	}
	rc = 0;
out:
	/* the request held the key: clear it before the memory is freed */
	if (sb.data)
		explicit_bzero(sb.data, sb.alloc);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

void serf_conn_close(struct serf_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	serf_decoder_release(&c->dec);
}

int serf_conn_event(struct serf_conn *c, const char *name, const void *payload, size_t payload_len,
		    bool coalesce, char *err, size_t errlen)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_header(&pk, "event", c->seq);
	msgpack_pack_map(&pk, 3);
	pack_str(&pk, "Name");
	pack_str(&pk, name);
	pack_str(&pk, "Payload");
	msgpack_pack_bin(&pk, payload_len);
	msgpack_pack_bin_body(&pk, payload, payload_len);
	pack_str(&pk, "Coalesce");
	if (coalesce)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	rc = call(c, &sb, c->seq++, false, NULL, err, errlen);
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

long serf_conn_join(struct serf_conn *c, const char *const *hosts, size_t n, char *err, size_t errlen)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const msgpack_object *body = NULL;
	uint64_t num = 0;
	long rc = -1;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_header(&pk, "join", c->seq);
	msgpack_pack_map(&pk, 2);
	pack_str(&pk, "Existing");
	msgpack_pack_array(&pk, n);
	for (size_t i = 0; i < n; i++)
		pack_str(&pk, hosts[i]);
	pack_str(&pk, "Replay");
	msgpack_pack_false(&pk);
	if (call(c, &sb, c->seq++, true, &body, err, errlen) == 0) {
		const msgpack_object *v = serf_map_get(body, "Num");
		/* Go encodes an int32 count, which may arrive as a positive or a negative integer */
		if (get_uint(v, &num))
			rc = (long)FL_MIN(num, (uint64_t)LONG_MAX);
		else if (v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			rc = 0;
		else
			snprintf(err, errlen, "unexpected join answer from the serf agent");
	}
	msgpack_sbuffer_destroy(&sb);
	return rc;
}

long long serf_conn_stream(struct serf_conn *c, const char *type, char *err, size_t errlen)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	uint64_t seq = c->seq++;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack_header(&pk, "stream", seq);
	msgpack_pack_map(&pk, 1);
	pack_str(&pk, "Type");
	pack_str(&pk, type);
	rc = call(c, &sb, seq, false, NULL, err, errlen);
	msgpack_sbuffer_destroy(&sb);
	return rc ? -1 : (long long)seq;
}
