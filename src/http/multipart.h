/* SPDX-License-Identifier: Apache-2.0 */
/*
 * multipart.h - an incremental multipart/form-data parser (RFC 7578).
 *
 * Feed the body in chunks of any size, down to one byte at a time; the
 * parser calls back at the start of each part (with its parsed headers),
 * for each run of part data, and at the end of each part.  State lives in a
 * caller-owned struct; nothing is allocated.  Bounds: boundary 1-70 bytes,
 * part headers FL_MULTIPART_MAX_HEADER bytes, FL_MULTIPART_MAX_PARTS parts.
 * Lines must end in CRLF, as every browser, curl and Go produce them.
 */
#ifndef FL_MULTIPART_H
#define FL_MULTIPART_H

#include "error.h"
#include "fl-common.h"

#define FL_MULTIPART_MAX_HEADER 8192
#define FL_MULTIPART_MAX_PARTS 64
#define FL_MULTIPART_MAX_BOUNDARY 70

struct fl_multipart_part {
	char name[256];         /* form field name from Content-Disposition, "" if absent */
	char filename[256];     /* file name, "" if none */
	bool has_filename;
	char content_type[256]; /* the part's Content-Type, "" if absent */
};

struct fl_multipart_cb {
	/* A part starts; return FL_OK to continue, any other code aborts the parse. */
	int (*part_begin)(void *payload, const struct fl_multipart_part *part);
	int (*part_data)(void *payload, const char *data, size_t len);
	int (*part_end)(void *payload);
};

struct fl_multipart {
	int state;
	char delim[4 + FL_MULTIPART_MAX_BOUNDARY + 1]; /* "\r\n--" + boundary */
	size_t delim_len;
	size_t match;  /* bytes of delim matched so far */
	int after;     /* progress through the bytes that follow a delimiter */
	char hdr[FL_MULTIPART_MAX_HEADER];
	size_t hdr_len;
	size_t parts;
	struct fl_multipart_part part;
	const struct fl_multipart_cb *cb;
	void *payload;
};

/*
 * Prepare mp for a body whose Content-Type header is content_type; the
 * media type must be multipart/form-data with a valid boundary parameter
 * (FL_EINVALID otherwise).  cb and payload are borrowed.
 */
int fl_multipart_init(struct fl_multipart *mp, const char *content_type, const struct fl_multipart_cb *cb,
		      void *payload, struct fl_error *err);

/* Consume n bytes.  FL_OK, FL_EINVALID (malformed), or a callback's code. */
int fl_multipart_feed(struct fl_multipart *mp, const char *p, size_t n, struct fl_error *err);

/* The body ended: FL_OK only if the closing delimiter was seen. */
int fl_multipart_finish(struct fl_multipart *mp, struct fl_error *err);

#endif
