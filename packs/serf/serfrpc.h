/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serfrpc.h - a client of the Serf agent's RPC protocol (IPC version 1).
 *
 * The protocol runs over TCP (the agent's -rpc-addr, 127.0.0.1:7373 by
 * default).  Every request is a msgpack map {"Command", "Seq"} followed by
 * the command's body map; every response is a map {"Seq", "Error"}
 * followed, for some commands, by a body.  "handshake" {"Version": 1} must
 * come first, then "auth" {"AuthKey"} when the agent has an RPC key.  A
 * "stream" request {"Type": "user,member-join,..."} is acknowledged by a
 * bare header; from then on every event arrives as a header carrying the
 * stream's Seq plus a record:
 *   user event   {"Event":"user","LTime","Name","Payload":bin,"Coalesce"}
 *   member event {"Event":"member-join|...","Members":[{"Name","Addr":bin,
 *                 "Port","Tags","Status",...}]}
 *
 * The decoder (serf_decoder) is the part fed with bytes from the network:
 * it bounds the size of one message and never trusts types or lengths
 * (keys and strings may be msgpack str or bin).
 */
#ifndef SERF_RPC_H
#define SERF_RPC_H

#include "fl-common.h"

#include <msgpack.h>

#include "buf.h"

/* Largest msgpack object accepted from the agent. */
#define SERF_MAX_MESSAGE ((size_t)4 << 20)

/* ---- decoding ------------------------------------------------------------- */

/*
 * Bounds of the bytes not yet handed to libmsgpack.  libmsgpack allocates
 * room for a container's elements as soon as it reads the container's
 * header, so a header declaring 2^31 elements would cost gigabytes before
 * the elements arrive; every byte is therefore walked here first, and a
 * length or element count that cannot fit in the rest of the message
 * limit, or nesting deeper than SERF_MAX_DEPTH, is refused.
 */
#define SERF_MAX_DEPTH 32

struct serf_skim {
	size_t msg_bytes;               /* bytes of the current top-level object */
	uint64_t need[SERF_MAX_DEPTH];  /* elements still expected per open container */
	int depth;
	uint8_t hdr_kind;               /* first byte of a header still being read */
	uint8_t hdr_have, hdr_need;
	uint64_t hdr_val;
	uint64_t skip;                  /* payload bytes still to come */
};

struct serf_decoder {
	msgpack_unpacker up;
	msgpack_unpacked obj;
	struct serf_skim skim;
	size_t max;
	bool ready;
};

int serf_decoder_init(struct serf_decoder *d, size_t max_message);
void serf_decoder_release(struct serf_decoder *d);
/* Append received bytes.  Returns 0, or -1 when out of memory or a message
 * grows beyond the limit. */
int serf_decoder_feed(struct serf_decoder *d, const void *data, size_t len);
/*
 * The next complete object: 1 and *out (valid until the next call), 0 when
 * more bytes are needed, -1 when the stream is not valid msgpack or a
 * message is too large.
 */
int serf_decoder_next(struct serf_decoder *d, const msgpack_object **out);

struct serf_header {
	uint64_t seq;
	char error[256]; /* "" when the request succeeded */
};

/* A response header; -1 if o is not a map with an unsigned "Seq". */
int serf_parse_header(const msgpack_object *o, struct serf_header *h);

struct serf_member {
	char name[256];
	char addr[64]; /* "ip:port" ("[ip]:port" for IPv6), "" if unknown */
};

enum serf_record_kind { SERF_RECORD_OTHER = 0, SERF_RECORD_USER, SERF_RECORD_MEMBER };

/* An event record of a stream; pointers borrow from the msgpack object. */
struct serf_record {
	enum serf_record_kind kind;
	char event[32]; /* "user", "member-join", ... */
	const char *name;     /* user event name */
	size_t name_len;
	const char *payload;  /* user event payload (bytes) */
	size_t payload_len;
	uint64_t ltime;
	bool coalesce;
	const msgpack_object *members; /* array of member maps, for member events */
};

/* Decode a stream record; -1 if o is not a map with a string "Event". */
int serf_parse_record(const msgpack_object *o, struct serf_record *r);

/* Member i of a member record; -1 if it is not a member map. */
int serf_record_member(const struct serf_record *r, size_t i, struct serf_member *m);
size_t serf_record_n_members(const struct serf_record *r);

/* Value of `key` in map o (key given as str or bin), or NULL. */
const msgpack_object *serf_map_get(const msgpack_object *o, const char *key);
/* A str or bin object as bytes; false otherwise. */
bool serf_bytes(const msgpack_object *o, const char **p, size_t *len);

/* ---- the connection ----------------------------------------------------------- */

struct serf_conn {
	int fd;
	uint64_t seq;
	int timeout_ms; /* for each response */
	struct serf_decoder dec;
};

/*
 * Connect to "host:port", send the handshake and, when auth_key is not
 * NULL, the auth command.  Returns 0, or -1 with the reason in err (never
 * containing the key).  Release with serf_conn_close() either way.
 */
int serf_conn_open(struct serf_conn *c, const char *addr, const char *auth_key, int timeout_ms, char *err,
		   size_t errlen);
void serf_conn_close(struct serf_conn *c);

/* Fire a user event.  Returns 0, or -1 with the agent's error in err. */
int serf_conn_event(struct serf_conn *c, const char *name, const void *payload, size_t payload_len,
		    bool coalesce, char *err, size_t errlen);

/* Ask the agent to join hosts[0..n).  Returns the number joined, or -1 with err. */
long serf_conn_join(struct serf_conn *c, const char *const *hosts, size_t n, char *err, size_t errlen);

/* Subscribe to events of `type` (e.g. "user,member-join"); returns the stream's Seq, or -1. */
long long serf_conn_stream(struct serf_conn *c, const char *type, char *err, size_t errlen);

/*
 * Wait (up to timeout_ms, -1 = forever; returns 0 early when wake_fd
 * becomes readable) for the next object and return 1 with *out, 0 on
 * timeout or wake, -1 when the connection failed or the data is invalid.
 */
int serf_conn_read(struct serf_conn *c, const msgpack_object **out, int timeout_ms, int wake_fd, char *err,
		   size_t errlen);

#endif
