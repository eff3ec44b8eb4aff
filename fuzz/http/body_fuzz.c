// SPDX-License-Identifier: Apache-2.0
/*
 * body_fuzz.c - fuzz target for request body decoding (src/http/body.c,
 * yaml.c, json.c).  The first byte picks JSON or YAML; the rest is the body,
 * decoded under small limits.  A decoded value is written back as JSON and
 * as YAML, and the YAML must read back without error: everything the
 * server can answer in YAML is valid YAML to its own reader.
 */
#include "fl-common.h"

#include "buf.h"
#include "http/body.h"
#include "json/json.h"
#include "yaml/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fl_body_limits lim = { 32, 5000, 50 };
	static const struct fl_yaml_limits big = { 1000, 1000000, 1000000 };
	struct fl_error err = FL_ERROR_INIT;
	struct fl_buf out = FL_BUF_INIT(0);
	json_t *v = NULL, *back = NULL;
	const char *ctype;

	if (size < 1)
		return 0;
	ctype = (data[0] & 1) ? "application/x-yaml" : "application/json";
	if (fl_body_decode(ctype, (const char *)data + 1, size - 1, &lim, &v, &err) != FL_OK)
		return 0;
	fl_json_dump(&out, v);
	fl_buf_reset(&out);
	fl_yaml_from_json(&out, v);
	if (fl_yaml_to_json(&back, out.ptr, out.len, &big, &err) != FL_OK) {
		fprintf(stderr, "YAML written for a decoded body does not read back: %s\n%s\n", err.msg, out.ptr);
		abort();
	}
	json_decref(back);
	json_decref(v);
	fl_buf_release(&out);
	return 0;
}
