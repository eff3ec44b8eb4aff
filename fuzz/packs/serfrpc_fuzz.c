/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serfrpc_fuzz.c - the Serf pack's reading of the agent's byte stream:
 * msgpack framing fed in uneven chunks, response headers, user and member
 * event records, and the JSON payloads made from them (which must always
 * be valid JSON).
 */
#include "fl-common.h"

#include <flyte.h>

#include "buf.h"
#include "serf.h"
#include "serfrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_json(const struct fl_buf *b)
{
	if (!fl_buf_failed(b) && flyte_json_validate(b->ptr, b->len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serf_decoder d;
	size_t off = 0, step = size ? (size_t)data[0] % 7 + 1 : 1;

	if (serf_decoder_init(&d, 1 << 16))
		return 0;
	while (off < size) {
		size_t n = FL_MIN(step, size - off);
		const msgpack_object *o;
		int r;

		if (serf_decoder_feed(&d, data + off, n))
			break;
		off += n;
		while ((r = serf_decoder_next(&d, &o)) == 1) {
			struct serf_header h;
			struct serf_record rec;
			struct fl_buf b = FL_BUF_INIT(1 << 20);

			serf_parse_header(o, &h);
			if (serf_parse_record(o, &rec) == 0) {
				if (rec.kind == SERF_RECORD_USER) {
					serf_user_event_json(&b, &rec);
					check_json(&b);
				}
				for (size_t i = 0; i < serf_record_n_members(&rec) && i < 64; i++) {
					struct serf_member m;
					if (serf_record_member(&rec, i, &m))
						continue;
					fl_buf_reset(&b);
					serf_member_event_json(&b, rec.event, &m);
					check_json(&b);
				}
			}
			fl_buf_release(&b);
		}
		if (r < 0)
			break;
	}
	serf_decoder_release(&d);
	return 0;
}
