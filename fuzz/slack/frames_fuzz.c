// SPDX-License-Identifier: Apache-2.0
/*
 * frames_fuzz.c - fuzz target of the Slack pack's decoding: the input is
 * read as a Socket Mode frame, as an Events API request body (with a
 * signature check over it) and as message text.  Every event found goes
 * through both flavours' payload builders, which must give serialisable
 * JSON; the text conversions must give valid output of bounded size.
 */
#include "fl-common.h"

#include "buf.h"
#include "slackproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(json_t *p)
{
	char *t;

	if (!p)
		return;
	t = json_dumps(p, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!t)
		abort();
	free(t);
	json_decref(p);
}

static const char *name_of(const char *id, void *payload)
{
	(void)payload;
	return id[0] == 'U' && id[1] == '1' ? "jane" : NULL;
}

static void event(const json_t *callback)
{
	static const char user_text[] = "{\"id\":\"U1\",\"name\":\"jdoe\",\"profile\":{\"email\":\"j@x\",\"real_name\":"
					"\"Jane Doe\",\"display_name\":\"jane\",\"first_name\":\"Jane\"}}";
	struct slack_event ev;
	struct fl_buf text = FL_BUF_INIT(0);
	json_t *user = json_loads(user_text, 0, NULL), *up, *hu, *ids;
	char err[256], date[64];

	if (slack_event_decode(&ev, callback, err, sizeof(err))) {
		json_decref(user);
		return;
	}
	up = slack_user_payload(user);
	hu = slack_hipchat_user(user);
	ids = json_array();
	check(slack_received_message(&ev, up));
	check(slack_reaction_added(&ev, up, up));
	slack_mentions(ids, ev.text, 20);
	slack_plain_text(&text, ev.text, strlen(ev.text), name_of, NULL);
	if (!fl_buf_failed(&text) && text.len > strlen(ev.text) * 8 + 64)
		abort(); /* names are short: the plain text cannot grow much */
	check(slack_hipchat_message(&ev, "room", hu, ids, text.ptr));
	check(slack_hipchat_message(&ev, "room", NULL, NULL, text.ptr));
	slack_ts_date(date, sizeof(date), ev.ts);
	fl_buf_release(&text);
	json_decref(ids);
	json_decref(up);
	json_decref(hu);
	json_decref(user);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct slack_frame f;
	struct fl_buf b = FL_BUF_INIT(0);
	enum slack_body_type type;
	char err[256], challenge[128], *z;
	json_t *body;

	if (!slack_frame_decode(&f, s, size, err, sizeof(err))) {
		if (f.payload)
			event(f.payload);
		if (f.envelope_id[0]) {
			slack_frame_ack(&b, f.envelope_id);
			/* an acknowledgement is always valid JSON naming the envelope */
			json_t *ack = json_loadb(b.ptr, b.len, 0, NULL);
			if (!ack || strcmp(json_string_value(json_object_get(ack, "envelope_id")), f.envelope_id))
				abort();
			json_decref(ack);
			fl_buf_reset(&b);
		}
		slack_frame_release(&f);
	}
	if (!slack_body_decode(&body, &type, s, size, challenge, sizeof(challenge), err, sizeof(err))) {
		if (type == SLACK_BODY_EVENT)
			event(body);
		json_decref(body);
	}
	slack_signature_verify("secret", "1700000000", "v0=0000000000000000000000000000000000000000000000000000000000000000",
			       s, size, 1700000000, err, sizeof(err));

	/* as text */
	z = malloc(size + 1);
	if (!z)
		return 0;
	memcpy(z, data, size);
	z[size] = '\0';
	slack_plain_text(&b, z, strlen(z), name_of, NULL);
	fl_buf_reset(&b);
	slack_html_to_mrkdwn(&b, z, strlen(z));
	fl_buf_reset(&b);
	slack_escape(&b, z, strlen(z));
	(void)slack_is_channel_id(z);
	(void)slack_hipchat_color(z, (unsigned)size);
	{
		char date[64];
		slack_ts_date(date, sizeof(date), z);
		json_t *ids = json_array();
		slack_mentions(ids, z, 20);
		if (json_array_size(ids) > 20)
			abort();
		json_decref(ids);
	}
	fl_buf_release(&b);
	free(z);
	return 0;
}
