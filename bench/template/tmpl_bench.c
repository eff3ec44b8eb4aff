/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tmpl_bench.c - evaluations per second of typical flow templates.
 *
 * Each template is compiled once and then rendered repeatedly on one thread
 * against a Slack-like event context, the way the engine evaluates step
 * criteria and command inputs.  Prints one line per template with the
 * evaluations per second and the time per evaluation.
 *
 * usage: tmpl-bench [SECONDS_PER_TEMPLATE]   (default 2)
 *        tmpl-bench -n COUNT                (exactly COUNT evaluations each, for
 *                                            instruction counts under callgrind)
 * TMPL_BENCH_ONLY=<name> runs a single template.
 */
#include "fl-common.h"

#include "buf.h"
#include "error.h"
#include "template.h"
#include "timeutil.h"
#include "value.h"

static const char context_json[] =
	"{\"Event\": {\"Pack\": {\"Name\": \"Slack\", \"Labels\": {\"env\": \"prod\"}},"
	" \"Name\": \"ReceivedMessage\","
	" \"Payload\": {\"RoomId\": \"deployRoom\", \"Message\": \"add label team=blue to service-x\","
	" \"user\": {\"id\": \"U024BE7LH\", \"name\": \"alice\"}, \"exit_code\": 0,"
	" \"stdout\": \"  deployed version 1.4.2 to prod  \\n\","
	" \"commits\": [{\"id\": \"a1b2c3\"}, {\"id\": \"d4e5f6\"}]}},"
	" \"Context\": {\"ChannelID\": \"C0123\", \"Requestor\": \"alice\"}}";

static const struct {
	const char *name;
	const char *src;
	bool criteria;
} cases[] = {
	{ "criteria match", "{{ Event.Payload.RoomId == 'deployRoom' && Event.Payload.Message|match:'^add label' }}",
	  true },
	{ "criteria compare", "{{ Event.Payload.RoomId == 'deployRoom' && Event.Payload.user.name != '' }}", true },
	{ "command input",
	  "{\"channelId\": \"{{ Context.ChannelID }}\", \"message\": \"Hey <@{{ Event.Payload.user.id }}>! "
	  "{{ Event.Payload.stdout|default:'(no output)' }}\"}",
	  false },
	{ "command no filter",
	  "{\"channelId\": \"{{ Context.ChannelID }}\", \"message\": \"Hey <@{{ Event.Payload.user.id }}>! "
	  "{{ Event.Payload.commits.0.id }}\"}",
	  false },
	{ "plain text", "Shell", false },
	{ "loop", "{% for c in Event.Payload.commits %}{{ forloop.Counter }}:{{ c.id }} {% endfor %}", false },
};

static int run_one(size_t i, fl_val *ctx, double seconds, uint64_t count)
{
	struct fl_error err = FL_ERROR_INIT;
	struct fl_tmpl *t = NULL;
	struct fl_buf out = FL_BUF_INIT(0);
	uint64_t n = 0;
	int64_t start, deadline, now;
	bool b;
	int rc;

	rc = fl_tmpl_compile(&t, cases[i].src, strlen(cases[i].src), NULL, &err);
	if (rc) {
		printf("%-18s  skipped: %s\n", cases[i].name, err.msg);
		return 0;
	}
	/* warm up and check once */
	rc = cases[i].criteria ? fl_tmpl_render_bool(t, ctx, NULL, &b, &err) : fl_tmpl_render(t, ctx, NULL, &out, &err);
	if (rc) {
		printf("%-18s  error: %s\n", cases[i].name, err.msg);
		fl_tmpl_free(t);
		return 1;
	}
	start = fl_time_mono_ns();
	deadline = start + (int64_t)(seconds * 1e9);
	do {
		for (uint64_t k = 0; k < (count ? count : 1000); k++) {
			if (cases[i].criteria) {
				rc = fl_tmpl_render_bool(t, ctx, NULL, &b, &err);
			} else {
				fl_buf_reset(&out);
				rc = fl_tmpl_render(t, ctx, NULL, &out, &err);
			}
			if (rc)
				break;
		}
		n += count ? count : 1000;
		now = fl_time_mono_ns();
	} while (!rc && !count && now < deadline);
	double secs = (double)(now - start) / 1e9;
	printf("%-18s  %10.0f evaluations/s  %7.3f us/evaluation  (%" PRIu64 " in %.2f s)\n", cases[i].name,
	       (double)n / secs, secs * 1e6 / (double)n, n, secs);
	fl_buf_release(&out);
	fl_tmpl_free(t);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct fl_error err = FL_ERROR_INIT;
	double seconds = 2.0;
	uint64_t count = 0;
	fl_val *ctx = fl_val_parse_json(context_json, strlen(context_json), FL_VAL_JSON_NUMBERS_AS_FLOAT, &err);
	int bad = 0;

	if (!ctx) {
		fprintf(stderr, "bad context: %s\n", err.msg);
		return 1;
	}
	if (argc > 2 && !strcmp(argv[1], "-n"))
		count = strtoull(argv[2], NULL, 10);
	else if (argc > 1)
		seconds = strtod(argv[1], NULL);
	if (seconds <= 0)
		seconds = 2.0;
	if (count)
		printf("template evaluations, one thread, compiled once (%" PRIu64 " each)\n", count);
	else
		printf("template evaluations, one thread, compiled once (%.1f s each)\n", seconds);
	const char *only = getenv("TMPL_BENCH_ONLY"); /* run one template, by name */
	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++)
		if (!only || !strcmp(only, cases[i].name))
			bad += run_one(i, ctx, seconds, count);
	fl_val_unref(ctx);
	return bad ? 1 : 0;
}
