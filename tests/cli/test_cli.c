/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cli.c - flytectl as its users run it: the binary, its exit status,
 * its standard output and standard error.
 *
 *  - usage errors: one line saying what is wrong, then the usage, exit 2;
 *    an unknown option is reported as an option wherever it stands;
 *  - `test` without a server: the original CLI's test files (both layouts,
 *    JSON and YAML), every shape of command input, steps that do not run
 *    (exit 4), failing templates (exit 1), a step taken from a flow file,
 *    and the test file of docs/flytectl.1;
 *  - `test` against the real server: the same step run by the server (its
 *    action read back from the audit API) and by `flytectl test`, with
 *    datastore() read from the server, give the same action;
 *  - `upload flow|datastore|ds`, plural nouns and --url against the real
 *    server; `pack get NAME` with one and with several packs of that name;
 *    `datastore put FILE` (key from the file name, content type from the
 *    extension);
 *  - flow warnings, from a scripted server (tests/client/fakesrv) that
 *    answers with a `warnings` array.
 *
 * flytectl runs with the tests' environment minus every FLYTE_* variable;
 * stdout and stderr go to files in a temporary directory, read back after
 * it exits.
 */
#include "fl-common.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakesrv.h"
#include "fltest.h"
#include "harness.h"
#include "fsutil.h"

static char tmpdir[64];
static struct flh_server *srv; /* one server for the cases that need one */

struct run {
	int code; /* exit status, -1 when killed */
	char out[65536];
	char err[65536];
};

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

/*
 * Run flytectl with args (NULL-terminated) in tmpdir; env: extra "K=V"
 * entries (NULL-terminated, may be NULL) on top of the tests' environment
 * without FLYTE_*.  Standard input is /dev/null unless stdin_file is given.
 */
static void ctl_run(struct run *r, const char *const *env_extra, const char *stdin_file, const char *const *args)
{
	posix_spawn_file_actions_t fa;
	char *argv[40], **env, outp[128], errp[128];
	size_t argc = 0;
	int status = 0;
	pid_t pid;

	argv[argc++] = getenv("FLYTECTL_BIN");
	for (size_t i = 0; args[i] && argc < 39; i++)
		argv[argc++] = (char *)args[i];
	argv[argc] = NULL;
	env = flh_child_env(NULL, env_extra);
	snprintf(outp, sizeof(outp), "%s/.stdout", tmpdir);
	snprintf(errp, sizeof(errp), "%s/.stderr", tmpdir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, stdin_file ? stdin_file : "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addchdir_np(&fa, tmpdir);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, env))
		abort();
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	waitpid(pid, &status, 0);
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	slurp(outp, r->out, sizeof(r->out));
	slurp(errp, r->err, sizeof(r->err));
}

/* Run with FLYTE_API pointing at url (NULL: at a port where no server listens). */
static void ctl_at(struct run *r, const char *url, const char *const *args)
{
	char api[512];
	const char *env[] = { api, NULL };

	snprintf(api, sizeof(api), "FLYTE_API=%s", url ? url : "http://127.0.0.1:9");
	ctl_run(r, env, NULL, args);
}

#define CTL(r, url, ...)                                                      \
	do {                                                                  \
		const char *args_[] = { __VA_ARGS__, NULL };                  \
		ctl_at((r), (url), args_);                                    \
	} while (0)

/* Run and expect exit status `code`; prints both streams otherwise. */
#define CTL_EXIT(r, want, url, ...)                                                               \
	do {                                                                                      \
		CTL((r), (url), __VA_ARGS__);                                                     \
		FLH_ASSERT_MSG((r)->code == (want), "flytectl %s: exit %d, expected %d\n# stdout: %s\n# stderr: %s", \
			       #__VA_ARGS__, (r)->code, (want), (r)->out, (r)->err);              \
	} while (0)

#define HAS(s, sub) FLH_ASSERT_MSG(strstr((s), (sub)) != NULL, "'%s' not in:\n%s", (sub), (s))

/* Write content to tmpdir/name (directories created). */
static void put_file(const char *name, const char *content)
{
	char path[256], dir[256], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash > dir + strlen(tmpdir)) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	f = fopen(path, "w");
	if (!f || fputs(content, f) < 0)
		abort();
	fclose(f);
}

/* stdout as JSON (new reference), failing the test when it is not. */
static json_t *out_json(const struct run *r)
{
	json_t *j = json_loads(r->out, 0, NULL);

	if (!j) {
		printf("# stdout is not JSON: %s\n# stderr: %s\n", r->out, r->err);
		FLH_FAIL("not JSON");
	}
	return j;
}

/* ------------------------------------------------------------ usage */

FLT_TEST(usage_errors_say_what_is_wrong_then_the_usage)
{
	static const struct {
		const char *args[6];
		const char *line;  /* the first line of stderr */
		const char *usage; /* the start of the second */
	} cases[] = {
		{ { NULL }, "flytectl: missing command", "usage: flytectl [" },
		{ { "--bogus", NULL }, "flytectl: unknown option '--bogus'", "usage: flytectl [" },
		{ { "--bogus", "flow", "list", NULL }, "flytectl: unknown option '--bogus'", "usage: flytectl [" },
		{ { "flow", "list", "--bogus", NULL }, "flytectl: unknown option '--bogus'", "usage: flytectl flow list" },
		{ { "flow", "--bogus", NULL }, "flytectl: unknown option '--bogus'", "usage: flytectl flow COMMAND" },
		{ { "flows", "-x", NULL }, "flytectl: unknown option '-x'", "usage: flytectl flow list" },
		{ { "bogus", NULL }, "flytectl: unknown command 'bogus'", "usage: flytectl [" },
		{ { "flow", NULL }, "flytectl: flow needs a command", "usage: flytectl flow COMMAND" },
		{ { "flow", "bogus", NULL }, "flytectl: unknown command 'flow bogus'", "usage: flytectl flow COMMAND" },
		{ { "flow", "get", NULL }, "flytectl: flow get needs NAME", "usage: flytectl flow get NAME" },
		{ { "flows", "get", "a", "b", NULL }, "flytectl: unexpected argument 'b'", "usage: flytectl flow get NAME" },
		{ { "flow", "apply", NULL }, "flytectl: flow apply needs FILE", "usage: flytectl flow apply" },
		{ { "upload", "flow", NULL }, "flytectl: upload flow needs FILE", "usage: flytectl upload flow" },
		{ { "upload", "ds", "-n", NULL }, "flytectl: option '--name' needs a value (KEY)",
		  "usage: flytectl upload datastore" },
		{ { "datastore", "put", NULL }, "flytectl: datastore put needs FILE", "usage: flytectl datastore put" },
		{ { "datastore", "put", "-", NULL }, "flytectl: datastore put needs a key when the value comes from "
						     "standard input", "usage: flytectl datastore put" },
		{ { "event", "send", "Hello", NULL }, "flytectl: event send needs --pack NAME", "usage: flytectl event send" },
		{ { "test", NULL }, "flytectl: test needs FILE", "usage: flytectl test" },
		{ { "test", "x.json", "--step", "a", NULL }, "flytectl: --step picks a step of --flow FILE",
		  "usage: flytectl test" },
		{ { "tail", "--interval", "soon", NULL }, "flytectl: invalid --interval 'soon': expected milliseconds >= 10",
		  "usage: flytectl tail" },
		{ { "flows", "--server", NULL }, "flytectl: option '--server' needs a value", "usage: flytectl [" },
		{ { "-o", "xml", "flows", NULL }, "flytectl: invalid output format 'xml': expected table, json or yaml",
		  "usage: flytectl [" },
	};
	struct run r;

	for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
		const char *nl;
		ctl_run(&r, NULL, NULL, cases[i].args);
		FLH_ASSERT_MSG(r.code == 2, "case %zu (%s): exit %d: %s", i, cases[i].line, r.code, r.err);
		FLH_ASSERT_MSG(r.out[0] == '\0', "case %zu: usage error on stdout: %s", i, r.out);
		nl = strchr(r.err, '\n');
		FLH_ASSERT_MSG(nl && (size_t)(nl - r.err) == strlen(cases[i].line) &&
				       !strncmp(r.err, cases[i].line, strlen(cases[i].line)),
			       "case %zu: first line\n#  got: %s\n# want: %s", i, r.err, cases[i].line);
		FLH_ASSERT_MSG(!strncmp(nl + 1, cases[i].usage, strlen(cases[i].usage)),
			       "case %zu: no usage '%s' after the line:\n%s", i, cases[i].usage, r.err);
	}
	/* help is not an error: stdout, exit 0 */
	const char *help[] = { "upload", "ds", "--help", NULL };
	ctl_run(&r, NULL, NULL, help);
	FLH_EQ_INT(r.code, 0);
	HAS(r.out, "usage: flytectl upload datastore");
	HAS(r.out, "Also spelled: flytectl upload ds");
}

/* ------------------------------------------------------ test, offline */

/* The test file of the original CLI's README (top-level layout, YAML). */
static const char original_yaml[] =
	"step:\n"
	"  id: status\n"
	"  event:\n"
	"    packName: Slack\n"
	"    name: ReceivedMessage\n"
	"  criteria: \"{{ Event.Payload.message|match:'^flyte status$' }}\"\n"
	"  context:\n"
	"    UserID: \"{{ Event.Payload.user.id }}\"\n"
	"  command:\n"
	"    packName: Slack\n"
	"    name: SendMessage\n"
	"    input:\n"
	"      channelId: \"{{ Context.ChannelID }}\"\n"
	"      message: 'Hey <@{{ Context.UserID }}>, {{datastore(''message'')}}'\n"
	"event:\n"
	"  pack:\n"
	"    name: Slack\n"
	"  event: ReceivedMessage\n"
	"  payload:\n"
	"    message: flyte status\n"
	"    user:\n"
	"      id: johny\n"
	"context:\n"
	"  ChannelID: '123'\n"
	"datastore:\n"
	"  message: 'I''m up and running :run:'\n";

FLT_TEST(test_runs_the_original_test_file)
{
	json_t *got, *want = flh_json("{\"name\": \"SendMessage\", \"packName\": \"Slack\", \"input\": {\"channelId\": "
				      "\"123\", \"message\": \"Hey <@johny>, I'm up and running :run:\"}, \"context\": "
				      "{\"ChannelID\": \"123\", \"UserID\": \"johny\"}}");
	struct run r;

	put_file("original.yaml", original_yaml);
	CTL_EXIT(&r, 0, NULL, "test", "original.yaml");
	got = out_json(&r);
	FLH_JSON_SAME(got, want, false);
	json_decref(got);
	/* the original's spelling: -f FILE; YAML out with --format yaml or -o yaml */
	CTL_EXIT(&r, 0, NULL, "test", "-f", "original.yaml", "--format", "yaml");
	HAS(r.out, "name: SendMessage\npackName: Slack\ninput:\n  channelId: \"123\"\n");
	CTL_EXIT(&r, 0, NULL, "-o", "yaml", "test", "original.yaml");
	HAS(r.out, "context:\n  ChannelID: \"123\"\n  UserID: johny\n");
	json_decref(want);
}

FLT_TEST(test_runs_every_input_shape)
{
	/* testData layout, JSON, the event's name spelled `name`, labels everywhere; payload numbers are
	 * floats, rendered as Flyte renders them (3 -> "3.000000") */
	static const char file[] =
		"{\"step\": {\"id\": \"shapes\","
		" \"event\": {\"packName\": \"Src\", \"name\": \"Go\", \"packLabels\": {\"env\": \"{{ Context.Env }}\"}},"
		" \"context\": {\"Who\": \"{{ Event.Payload.who|upper }}\", \"Id\": \"{{ Event.Pack.Id }}\"},"
		" \"criteria\": \"{{ Event.Payload.n > 2 }}\","
		" \"command\": {\"packName\": \"Dst\", \"name\": \"Do\", \"packLabels\": {\"team\": \"{{ datastore('cfg').team }}\"},"
		"   \"input\": {\"text\": \"n={{ Event.Payload.n }} twice={{ Event.Payload.n * 2 }}\", \"gone\": null,"
		"     \"list\": [1, null, true, \"{{ Context.Who|lower }}\", {\"deep\": \"{{ datastore('motd') }}\"}],"
		"     \"plain\": \"no template\", \"num\": 2.5}}},"
		" \"testData\": {"
		"   \"event\": {\"pack\": {\"name\": \"Src\", \"labels\": {\"zone\": \"b\", \"env\": \"dev\"}}, \"name\": \"Go\","
		"     \"payload\": {\"who\": \"ann\", \"n\": 3}},"
		"   \"context\": {\"Env\": \"dev\"},"
		"   \"datastore\": {\"cfg\": {\"team\": \"ops\"}, \"motd\": \"hello\"}}}";
	json_t *got, *want = flh_json(
		"{\"name\": \"Do\", \"packName\": \"Dst\", \"packLabels\": {\"team\": \"ops\"},"
		" \"input\": {\"text\": \"n=3.000000 twice=6.000000\", \"list\": [1, null, true, \"ann\", {\"deep\": \"hello\"}],"
		"   \"plain\": \"no template\", \"num\": 2.5},"
		" \"context\": {\"Env\": \"dev\", \"Who\": \"ANN\", \"Id\": \"Src.env.dev.zone.b\"}}");
	struct run r;

	put_file("shapes.json", file);
	CTL_EXIT(&r, 0, NULL, "test", "shapes.json");
	got = out_json(&r);
	FLH_JSON_SAME(got, want, false);
	json_decref(got);
	json_decref(want);
}

/* `flytectl test NAME` on a file NAME holding content (into r): exit code `code`, stderr holds err_part. */
static void test_file(struct run *r, const char *name, const char *content, int code, const char *err_part)
{
	put_file(name, content);
	CTL_EXIT(r, code, NULL, "test", name);
	HAS(r->err, err_part);
}

FLT_TEST(test_says_why_a_step_does_not_run)
{
	struct run r;

	put_file("crit.yaml", original_yaml);
	/* a false criteria */
	{
		char *s = strdup(original_yaml), *p = strstr(s, "message: flyte status");
		memcpy(p, "message: flyte stop!!", 21);
		put_file("crit.yaml", s);
		free(s);
	}
	CTL_EXIT(&r, 4, NULL, "test", "crit.yaml");
	FLH_EQ_STR(r.out, "");
	HAS(r.err, "flytectl: step 'status' does not run: its criteria is false");
	/* another event */
	test_file(&r, "other.json",
		  "{\"step\": {\"id\": \"s\", \"event\": {\"packName\": \"A\", \"name\": \"E\"},"
		  " \"command\": {\"packName\": \"B\", \"name\": \"C\"}},"
		  " \"event\": {\"pack\": {\"name\": \"A\"}, \"event\": \"F\"}}", 4,
		  "step 's' does not run: it waits for event 'E' of pack 'A', not 'F' of pack 'A'");
	/* a pack label the event's pack lacks, then one with another value */
	test_file(&r, "label.json",
		  "{\"step\": {\"event\": {\"packName\": \"A\", \"name\": \"E\", \"packLabels\": {\"env\": \"prod\"}},"
		  " \"command\": {\"packName\": \"B\", \"name\": \"C\"}},"
		  " \"event\": {\"pack\": {\"name\": \"A\"}, \"event\": \"E\"}}", 4,
		  "the step does not run: the event's pack has no label 'env' (the step wants env=prod)");
	test_file(&r, "label.json",
		  "{\"step\": {\"event\": {\"packName\": \"A\", \"name\": \"E\", \"packLabels\": {\"env\": \"prod\"}},"
		  " \"command\": {\"packName\": \"B\", \"name\": \"C\"}},"
		  " \"event\": {\"pack\": {\"name\": \"A\", \"labels\": {\"env\": \"dev\"}}, \"event\": \"E\"}}", 4,
		  "the event's pack has label env=dev, the step wants env=prod");
	/* and runs with the right label; no input is null */
	put_file("label.json",
		 "{\"step\": {\"event\": {\"packName\": \"A\", \"name\": \"E\", \"packLabels\": {\"env\": \"dev\"}},"
		 " \"command\": {\"packName\": \"B\", \"name\": \"C\"}},"
		 " \"event\": {\"pack\": {\"name\": \"A\", \"labels\": {\"env\": \"dev\"}}, \"event\": \"E\"}}");
	CTL_EXIT(&r, 0, NULL, "test", "label.json");
	HAS(r.out, "\"input\": null");
}

FLT_TEST(test_reports_failing_templates_and_bad_files)
{
	struct run r;

	/* a template that does not compile: the step, the field and the position */
	test_file(&r, "bad.json",
		  "{\"step\": {\"id\": \"b\", \"event\": {\"packName\": \"A\", \"name\": \"E\"},"
		  " \"criteria\": \"{{ Event.Name|trim }}\", \"command\": {\"packName\": \"B\", \"name\": \"C\"}},"
		  " \"event\": {\"pack\": {\"name\": \"A\"}, \"event\": \"E\"}}", 1,
		  "flytectl: step 'b' field 'criteria': line 1, column ");
	HAS(r.err, "trim");
	/* a template that fails at run time: the server's log line */
	test_file(&r, "fails.json",
		  "{\"step\": {\"id\": \"f\", \"event\": {\"packName\": \"A\", \"name\": \"E\"},"
		  " \"command\": {\"packName\": \"B\", \"name\": \"C\", \"input\": \"{{ datastore('nope') }}\"}},"
		  " \"event\": {\"pack\": {\"name\": \"A\"}, \"event\": \"E\"}}", 1,
		  "flytectl: step 'f' fails (the server skips it): error while evaluating expression: "
		  "'{{ datastore('nope') }}': cannot find datastore item key=nope: not in the test file");
	HAS(r.err, "(field 'command.input')");
	/* a criteria that is not a boolean */
	test_file(&r, "notbool.json",
		  "{\"step\": {\"id\": \"n\", \"event\": {\"packName\": \"A\", \"name\": \"E\"},"
		  " \"criteria\": \"maybe\", \"command\": {\"packName\": \"B\", \"name\": \"C\"}},"
		  " \"event\": {\"pack\": {\"name\": \"A\"}, \"event\": \"E\"}}", 1, "'maybe'");
	HAS(r.err, "(field 'criteria')");
	/* files that are wrong */
	test_file(&r, "nostep.json", "{\"event\": {\"pack\": {\"name\": \"A\"}, \"event\": \"E\"}}", 1,
		  "'nostep.json' has no step");
	test_file(&r, "noevent.json",
		  "{\"step\": {\"event\": {\"packName\": \"A\", \"name\": \"E\"},"
		  " \"command\": {\"packName\": \"B\", \"name\": \"C\"}}}", 1, "the test data needs an event");
	test_file(&r, "nocmd.json",
		  "{\"step\": {\"event\": {\"packName\": \"A\", \"name\": \"E\"}},"
		  " \"event\": {\"pack\": {\"name\": \"A\"}, \"event\": \"E\"}}", 1,
		  "field 'step.command' is required");
	test_file(&r, "broken.yaml", "step: [\n", 1, "'broken.yaml': ");
	CTL_EXIT(&r, 1, NULL, "test", "missing.json");
	HAS(r.err, "cannot read 'missing.json'");
}

FLT_TEST(test_takes_a_step_of_a_flow_file)
{
	char *flow = flh_doc_fenced(getenv("FLYTE_DOC_TRYIT"), "<!-- try-it: hello.yaml -->");
	json_t *got;
	struct run r;

	FLH_ASSERT_MSG(flow, "no hello.yaml block in README.md (FLYTE_DOC_TRYIT)");
	put_file("hello.yaml", flow);
	free(flow);
	put_file("output.json", "{\"event\": {\"pack\": {\"name\": \"Shell\"}, \"event\": \"Output\","
				" \"payload\": {\"stdout\": \"hello world\\n\", \"exit_code\": 0}}}");
	CTL_EXIT(&r, 0, NULL, "test", "--flow", "hello.yaml", "--step", "second", "output.json");
	got = out_json(&r);
	FLH_EQ_STR(flh_json_str(got, "name"), "Shell");
	FLH_EQ_STR(flh_json_str(got, "input"), "echo got: hello world\n");
	json_decref(got);
	/* the criteria of that step: a failed script does not continue */
	put_file("failed.json", "{\"event\": {\"pack\": {\"name\": \"Shell\"}, \"event\": \"Output\","
				" \"payload\": {\"stdout\": \"\", \"exit_code\": 1}}}");
	CTL_EXIT(&r, 4, NULL, "test", "--flow", "hello.yaml", "--step", "second", "failed.json");
	HAS(r.err, "step 'second' does not run: its criteria is false");
	/* two steps: --step is needed, and must name one of them */
	CTL_EXIT(&r, 2, NULL, "test", "--flow", "hello.yaml", "output.json");
	HAS(r.err, "'hello.yaml' has 2 steps: name one with --step (first, second)");
	CTL_EXIT(&r, 1, NULL, "test", "--flow", "hello.yaml", "--step", "third", "output.json");
	HAS(r.err, "'hello.yaml' has no step 'third' (its steps: first, second)");
	/* a test file with its own step and --flow: which one? */
	put_file("original.yaml", original_yaml);
	CTL_EXIT(&r, 2, NULL, "test", "--flow", "hello.yaml", "--step", "first", "original.yaml");
	HAS(r.err, "has a step: give the step either there or with --flow, not both");
}

/* The example test file of docs/flytectl.1 (the .nf block after the marker comment), unescaped. */
static bool man_test_file(char *out, size_t cap)
{
	const char *path = getenv("FLYTE_DOC_MAN");
	FILE *f = path ? fopen(path, "r") : NULL;
	char line[1024];
	int state = 0;
	size_t n = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && state < 3) {
		if (state == 0 && strstr(line, "keep it a working test file"))
			state = 1;
		else if (state == 1 && !strcmp(line, ".nf\n"))
			state = 2;
		else if (state == 2 && !strcmp(line, ".fi\n"))
			state = 3;
		else if (state == 2)
			for (const char *c = line; *c && n + 1 < cap; c++) {
				if (c[0] == '\\' && c[1] == '-')
					continue; /* "\-" is a plain minus */
				out[n++] = *c;
			}
	}
	fclose(f);
	out[n] = '\0';
	return state == 3;
}

FLT_TEST(test_runs_the_man_page_test_file)
{
	static char file[8192];
	json_t *got;
	struct run r;

	FLH_ASSERT_MSG(man_test_file(file, sizeof(file)), "no test file example in docs/flytectl.1 (FLYTE_DOC_MAN)");
	put_file("man-test.yaml", file);
	CTL_EXIT(&r, 0, NULL, "test", "man-test.yaml");
	got = out_json(&r);
	FLH_EQ_STR(flh_json_str(got, "name"), "SendMessage");
	FLH_EQ_STR(flh_json_str(got, "input"), "Hello ann");
	json_decref(got);
}

/* ----------------------------------------------------- flow warnings */

static void warnings_handler(struct fake_srv *s, const struct fake_req *req, struct fake_resp *resp, void *ud)
{
	static const char steps[] =
		"\"steps\": [{\"id\": \"good\", \"event\": {\"packName\": \"A\", \"name\": \"E\"},"
		" \"command\": {\"packName\": \"B\", \"name\": \"C\"}}]";
	static const char warnings[] =
		"\"warnings\": [\"step 'bad' is skipped\","
		" {\"step\": \"bad\", \"field\": \"criteria\", \"line\": 1, \"column\": 14, \"message\": \"unknown filter 'trim'\"},"
		" {\"step\": 3, \"message\": \"include tags are not supported\"},"
		" {\"code\": 7}]";

	(void)s;
	(void)ud;
	if (!strcmp(req->method, "GET") && !strcmp(req->path, "/v1/flows/broken")) {
		resp->status = 200;
		fake_body(resp, "{\"name\": \"broken\", \"description\": \"has a bad step\", %s, %s}", steps, warnings);
	} else if (!strcmp(req->method, "GET") && !strcmp(req->path, "/v1/flows/clean")) {
		resp->status = 200;
		fake_body(resp, "{\"name\": \"clean\", %s}", steps);
	} else if (!strcmp(req->method, "POST") && !strcmp(req->path, "/v1/flows")) {
		resp->status = 201;
		snprintf(resp->location, sizeof(resp->location), "/v1/flows/broken");
		fake_body(resp, "{\"name\": \"broken\", %s, %s}", steps, warnings);
	} else {
		resp->status = 404;
		fake_body(resp, "{\"error\": \"not here\"}");
	}
}

FLT_TEST(flow_warnings_are_shown)
{
	struct fake_srv *fs = fake_start(0, warnings_handler, NULL);
	json_t *got;
	struct run r;

	FLH_ASSERT(fs != NULL);
	CTL_EXIT(&r, 0, fake_url(fs), "flow", "get", "broken");
	HAS(r.out, "good ");
	HAS(r.out, "\nwarnings:\n"
		   "  step 'bad' is skipped\n"
		   "  step 'bad' field 'criteria', line 1, column 14: unknown filter 'trim'\n"
		   "  step #3: include tags are not supported\n"
		   "  {\"code\":7}\n");
	/* kept as the server sent them for scripts */
	CTL_EXIT(&r, 0, fake_url(fs), "flow", "get", "broken", "-o", "json");
	got = out_json(&r);
	FLH_EQ_INT(json_array_size(json_object_get(got, "warnings")), 4);
	FLH_EQ_STR(flh_json_str(got, "warnings.1.message"), "unknown filter 'trim'");
	json_decref(got);
	/* a flow without warnings has no such section */
	CTL_EXIT(&r, 0, fake_url(fs), "flow", "get", "clean");
	FLH_ASSERT_MSG(!strstr(r.out, "warnings"), "%s", r.out);
	/* apply: the answer's warnings on stderr, the result on stdout */
	put_file("broken.json", "{\"name\": \"broken\", \"steps\": []}");
	CTL_EXIT(&r, 0, fake_url(fs), "flow", "apply", "broken.json");
	FLH_EQ_STR(r.out, "flow broken applied\n");
	HAS(r.err, "flytectl: warning: step 'bad' field 'criteria', line 1, column 14: unknown filter 'trim'\n");
	fake_stop(fs);
}

/* ------------------------------------------------- against a server */

FLT_TEST(start_server)
{
	FLH_ASSERT(flh_server_start(&srv, NULL) == 0);
}

/* The action of step `step` of the latest execution of `flow` (new reference), or NULL. */
static json_t *find_action(const char *flow, const char *step)
{
	struct flh_resp *resp = flh_get(srv, flh_path("/v1/audit/flows?flowName=%s", flow));
	json_t *a = flh_json_get(flh_resp_json(resp), flh_path("flows.0.actions.%s", step));

	a = a ? json_incref(a) : NULL;
	flh_resp_free(resp);
	return a;
}

/* The same, waiting for it. */
static json_t *server_action(const char *flow, const char *step)
{
	json_t *act = NULL;
	bool ok = false;

	FLH_WAIT_FOR(ok, FLH_WAIT_MS, (act = find_action(flow, step)) != NULL);
	FLH_ASSERT_MSG(ok, "no action of step '%s' of flow '%s'", step, flow);
	return act;
}

FLT_TEST(test_agrees_with_the_server)
{
	static const char flow[] =
		"{\"name\": \"agree\", \"steps\": [{\"id\": \"one\","
		" \"event\": {\"packName\": \"Src\", \"name\": \"Go\", \"packLabels\": {\"env\": \"{{ Event.Payload.env }}\"}},"
		" \"context\": {\"Who\": \"{{ Event.Payload.who|upper }}\", \"Id\": \"{{ Event.Pack.Id }}\"},"
		" \"criteria\": \"{{ Event.Payload.n > 2 && Event.Pack.Labels.env == 'dev' }}\","
		" \"command\": {\"packName\": \"Dst\", \"name\": \"Do\", \"packLabels\": {\"team\": \"{{ datastore('cfg').team }}\"},"
		"   \"input\": {\"text\": \"{{ datastore('cfg').greeting }} {{ Context.Who }} n={{ Event.Payload.n }}"
		" half={{ Event.Payload.n / 2 }} {{ Event.Payload.tags|join:'+' }}\","
		"     \"gone\": null, \"list\": [1, null, \"{{ Event.Payload.n|floatformat:2 }}\"], \"flag\": true,"
		"     \"pack\": \"{{ Event.Pack.Name }}/{{ Event.Name }}\"}}}]}";
	static const char data[] =
		"{\"event\": {\"pack\": {\"name\": \"Src\", \"labels\": {\"env\": \"dev\"}}, \"event\": \"Go\","
		" \"payload\": {\"who\": \"ann\", \"n\": 3, \"env\": \"dev\", \"tags\": [\"a\", \"b\"]}}}";
	json_t *act, *got;
	struct run r;
	const char *keys[] = { "name", "packName", "packLabels", "input", "context" };

	FLH_ASSERT(srv);
	put_file("agree.json", flow);
	put_file("agree-test.json", data);
	put_file("cfg.json", "{\"team\": \"ops\", \"greeting\": \"hello\"}");
	/* the datastore item named after its file, as JSON */
	CTL_EXIT(&r, 0, flh_server_url(srv), "datastore", "put", "cfg.json");
	FLH_EQ_STR(r.out, "datastore item cfg created\n");
	CTL_EXIT(&r, 0, flh_server_url(srv), "flow", "apply", "agree.json");
	CTL_EXIT(&r, 0, flh_server_url(srv), "event", "send", "--pack", "Src", "--label", "env=dev", "Go", "-d",
		 "{\"who\": \"ann\", \"n\": 3, \"env\": \"dev\", \"tags\": [\"a\", \"b\"]}");
	act = server_action("agree", "one");

	/* datastore() from the server named on the command line */
	CTL((&r), NULL, "--server", flh_server_url(srv), "test", "--flow", "agree.json", "agree-test.json");
	FLH_ASSERT_MSG(r.code == 0, "exit %d: %s", r.code, r.err);
	got = out_json(&r);
	for (size_t i = 0; i < FL_ARRAY_LEN(keys); i++)
		FLH_JSON_SAME(json_object_get(got, keys[i]), json_object_get(act, keys[i]), false);
	json_decref(got);
	/* or with --dslookup from $FLYTE_API */
	CTL_EXIT(&r, 0, flh_server_url(srv), "test", "--dslookup", "--flow", "agree.json", "agree-test.json");
	got = out_json(&r);
	FLH_JSON_SAME(json_object_get(got, "input"), json_object_get(act, "input"), false);
	json_decref(got);
	/* without either, the server is not asked */
	CTL_EXIT(&r, 1, flh_server_url(srv), "test", "--flow", "agree.json", "agree-test.json");
	HAS(r.err, "cannot find datastore item key=cfg: not in the test file");
	/* an item the server does not have: its message */
	CTL_EXIT(&r, 0, flh_server_url(srv), "datastore", "delete", "cfg");
	CTL_EXIT(&r, 1, flh_server_url(srv), "test", "--dslookup", "--flow", "agree.json", "agree-test.json");
	HAS(r.err, "cannot find datastore item key=cfg: not found");
	json_decref(act);
}

/* A step that does not compile: stored with a warning on stderr, or refused with --strict. */
FLT_TEST(apply_shows_the_servers_warnings_and_strict_refuses)
{
	static const char flow[] =
		"{\"name\": \"halfbad\", \"steps\": [{\"id\": \"bad\","
		" \"event\": {\"packName\": \"Src\", \"name\": \"Go\"},"
		" \"command\": {\"packName\": \"Dst\", \"name\": \"Do\", \"input\": \"{{ Event.Payload|nosuch }}\"}}]}";
	struct run r;

	FLH_ASSERT(srv);
	put_file("halfbad.json", flow);
	CTL_EXIT(&r, 1, flh_server_url(srv), "flow", "apply", "--strict", "halfbad.json");
	HAS(r.err, "step 'bad'");
	CTL_EXIT(&r, 3, flh_server_url(srv), "flow", "get", "halfbad"); /* not stored */
	CTL_EXIT(&r, 0, flh_server_url(srv), "flow", "apply", "halfbad.json");
	FLH_EQ_STR(r.out, "flow halfbad applied\n");
	HAS(r.err, "flytectl: warning: flow 'halfbad': step 'bad' field 'command.input': line 1, column 18: unknown filter 'nosuch'\n");
	CTL_EXIT(&r, 0, flh_server_url(srv), "flow", "get", "halfbad");
	HAS(r.out, "\nwarnings:\n");
}

FLT_TEST(upload_aliases_plural_nouns_and_url)
{
	char url[160];
	struct flh_resp *resp;
	json_t *items, *it;
	struct run r;
	size_t i;
	bool found = false;

	FLH_ASSERT(srv);
	snprintf(url, sizeof(url), "%s", flh_server_url(srv));
	put_file("up1.json", "{\"name\": \"up1\", \"steps\": []}");
	put_file("up2.yaml", "name: up2\nsteps: []\n");
	put_file("up3.txt", "{\"name\": \"up3\", \"steps\": []}");
	put_file("data/motd.txt", "hello, world\n");
	CTL_EXIT(&r, 0, url, "upload", "flow", "up1.json");
	FLH_EQ_STR(r.out, "flow up1 applied\n");
	CTL_EXIT(&r, 0, url, "upload", "flow", "-f", "up2.yaml");
	CTL_EXIT(&r, 0, url, "upload", "flow", "-f", "up3.txt", "-c", "application/json");
	CTL_EXIT(&r, 2, url, "upload", "flow", "-f", "up3.txt", "-c", "text/plain");
	HAS(r.err, "invalid content type 'text/plain'");
	/* plural nouns: alone they list */
	CTL_EXIT(&r, 0, url, "flows");
	HAS(r.out, "up1");
	HAS(r.out, "up2");
	HAS(r.out, "up3");
	CTL_EXIT(&r, 0, url, "flows", "get", "up2");
	HAS(r.out, "name:        up2");
	CTL_EXIT(&r, 0, url, "-o", "json", "flows");
	FLH_ASSERT(strstr(r.out, "\"name\": \"up3\""));
	CTL_EXIT(&r, 0, url, "packs");
	HAS(r.out, "ID");
	CTL_EXIT(&r, 0, url, "executions");
	CTL_EXIT(&r, 0, url, "ds");
	HAS(r.out, "KEY");
	/* upload ds, as the original: key from the file name, -d description */
	CTL_EXIT(&r, 0, url, "upload", "ds", "-f", "data/motd.txt", "-d", "message of the day");
	FLH_EQ_STR(r.out, "datastore item motd created\n");
	CTL_EXIT(&r, 0, url, "upload", "datastore", "data/motd.txt", "-n", "greeting");
	FLH_EQ_STR(r.out, "datastore item greeting created\n");
	resp = flh_get(srv, "/v1/datastore");
	FLH_STATUS(resp, 200);
	items = json_object_get(flh_resp_json(resp), "datastore");
	json_array_foreach(items, i, it)
		if (!strcmp(json_string_value(json_object_get(it, "key")), "motd")) {
			FLH_EQ_STR(json_string_value(json_object_get(it, "description")), "message of the day");
			FLH_EQ_STR(json_string_value(json_object_get(it, "contentType")), "text/plain; charset=utf-8");
			found = true;
		}
	FLH_ASSERT_MSG(found, "no item motd");
	flh_resp_free(resp);
	resp = flh_get(srv, "/v1/datastore/greeting");
	FLH_STATUS(resp, 200);
	FLH_EQ_STR(resp->body, "hello, world\n");
	flh_resp_free(resp);
	/* --url, the original's name of --server (FLYTE_API pointing nowhere) */
	CTL_EXIT(&r, 0, NULL, "--url", url, "flows");
	HAS(r.out, "up1");
	CTL_EXIT(&r, 0, NULL, "flows", "--url=" "http://127.0.0.1:9", "--url", url);
	HAS(r.out, "up1");
}

FLT_TEST(pack_get_finds_a_pack_by_name)
{
	const char *url;
	json_t *j;
	struct run r;

	FLH_ASSERT(srv);
	url = flh_server_url(srv);
	CTL_EXIT(&r, 0, url, "event", "send", "--pack", "Solo", "--label", "env=a", "Hi");
	CTL_EXIT(&r, 0, url, "event", "send", "--pack", "Twin", "--label", "env=a", "Hi");
	CTL_EXIT(&r, 0, url, "event", "send", "--pack", "Twin", "--label", "env=b", "Hi");
	CTL_EXIT(&r, 0, url, "event", "send", "--pack", "Plain", "Hi");
	CTL_EXIT(&r, 0, url, "event", "send", "--pack", "Plain", "--label", "env=a", "Hi");
	/* one pack of that name */
	CTL_EXIT(&r, 0, url, "pack", "get", "Solo");
	HAS(r.out, "id:        Solo.env.a\nname:      Solo\nlabels:    env=a\n");
	CTL_EXIT(&r, 0, url, "-o", "json", "packs", "get", "Solo");
	j = out_json(&r);
	FLH_EQ_STR(flh_json_str(j, "id"), "Solo.env.a");
	json_decref(j);
	/* several: what to type */
	CTL_EXIT(&r, 1, url, "pack", "get", "Twin");
	FLH_EQ_STR(r.out, "");
	HAS(r.err, "flytectl: 2 packs are named 'Twin' (one per set of labels); give the id of one:\n"
		   "  flytectl pack get Twin.env.a\n"
		   "  flytectl pack get Twin.env.b\n");
	CTL_EXIT(&r, 0, url, "pack", "get", "Twin.env.b");
	HAS(r.out, "id:        Twin.env.b\n");
	/* an id wins over a name */
	CTL_EXIT(&r, 0, url, "pack", "get", "Plain");
	HAS(r.out, "id:        Plain\n");
	/* neither */
	CTL_EXIT(&r, 3, url, "pack", "get", "Nobody");
	HAS(r.err, "flytectl: get pack 'Nobody': no pack has that id or name");
}

/* Content-Type of a datastore item as the server answers it (static buffer). */
static const char *item_type(const char *key)
{
	static char type[256];
	struct flh_resp *resp = flh_get(srv, flh_path("/v1/datastore/%s", key));
	const char *t = flh_resp_header(resp, "Content-Type");

	snprintf(type, sizeof(type), "%s", resp->status == 200 && t ? t : "(none)");
	flh_resp_free(resp);
	return type;
}

FLT_TEST(datastore_put_names_items_after_files)
{
	const char *url;
	struct run r;

	FLH_ASSERT(srv);
	url = flh_server_url(srv);
	put_file("scripts/deploy.sh", "#!/bin/sh\necho deploying\n");
	put_file("Conf.JSON", "{\"a\": 1}");
	put_file("notes", "plain notes\n");
	put_file(".env", "A=1\n");
	CTL_EXIT(&r, 0, url, "datastore", "put", "scripts/deploy.sh");
	FLH_EQ_STR(r.out, "datastore item deploy created\n");
	FLH_EQ_STR(item_type("deploy"), "application/x-sh");
	CTL_EXIT(&r, 0, url, "datastore", "put", "-f", "scripts/deploy.sh", "-d", "again");
	FLH_EQ_STR(r.out, "datastore item deploy updated\n");
	CTL_EXIT(&r, 0, url, "datastore", "put", "Conf.JSON");
	FLH_EQ_STR(item_type("Conf"), "application/json");
	CTL_EXIT(&r, 0, url, "datastore", "put", "notes");
	FLH_EQ_STR(item_type("notes"), "text/plain; charset=us-ascii");
	CTL_EXIT(&r, 0, url, "datastore", "put", ".env");
	FLH_EQ_STR(r.out, "datastore item .env created\n");
	/* a key given: as argument or with -f; a content type given */
	CTL_EXIT(&r, 0, url, "datastore", "put", "tool", "scripts/deploy.sh");
	FLH_EQ_STR(item_type("tool"), "application/x-sh");
	CTL_EXIT(&r, 0, url, "datastore", "put", "tool2", "-f", "scripts/deploy.sh", "-c", "text/x-shellscript");
	FLH_EQ_STR(item_type("tool2"), "text/x-shellscript");
	CTL_EXIT(&r, 0, url, "datastore", "get", "tool2");
	FLH_EQ_STR(r.out, "#!/bin/sh\necho deploying\n");
	/* a file name that needs care in the multipart header; a long content type */
	put_file("q\"uo\\te.txt", "quoted\n");
	CTL_EXIT(&r, 0, url, "upload", "ds", "-f", "q\"uo\\te.txt", "-n", "quoted");
	CTL_EXIT(&r, 0, url, "datastore", "get", "quoted");
	FLH_EQ_STR(r.out, "quoted\n");
	{
		static char longtype[3000];
		memset(longtype, 'x', sizeof(longtype) - 3);
		memcpy(longtype + sizeof(longtype) - 3, "/y", 3);
		CTL(&r, url, "datastore", "put", "long", "notes", "-c", longtype);
		/* sent whole, and refused by the server with its message */
		FLH_EQ_INT(r.code, 1);
		HAS(r.err, "flytectl: put datastore item 'long': multipart part Content-Type is too long (HTTP 400)");
	}
	CTL_EXIT(&r, 2, url, "datastore", "put", "k", "notes", "-c", "text/plain\r\nX-Injected: 1");
	HAS(r.err, "invalid content type: it holds control characters");
	/* wrong combinations */
	CTL_EXIT(&r, 2, url, "datastore", "put", "a", "b", "-f", "notes");
	HAS(r.err, "unexpected argument 'b'");
	CTL_EXIT(&r, 1, url, "datastore", "put", "nothere.txt");
	HAS(r.err, "cannot read 'nothere.txt'");
}

FLT_TEST(stop_server)
{
	flh_server_free(srv);
	srv = NULL;
}

/* Runs first: the temporary directory. */
FLT_TEST(prepare)
{
	FLT_ASSERT(flt_tmpdir_make(tmpdir, sizeof(tmpdir), "flyte-cli") == 0);
	FLT_ASSERT(getenv("FLYTECTL_BIN") && getenv("FLYTE_BIN"));
}

FLT_TEST(cleanup)
{
	if (flt_tmpdir_remove(tmpdir) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

FLT_MAIN(prepare, usage_errors_say_what_is_wrong_then_the_usage, test_runs_the_original_test_file,
	 test_runs_every_input_shape, test_says_why_a_step_does_not_run, test_reports_failing_templates_and_bad_files,
	 test_takes_a_step_of_a_flow_file, test_runs_the_man_page_test_file, flow_warnings_are_shown, start_server,
	 test_agrees_with_the_server, apply_shows_the_servers_warnings_and_strict_refuses,
	 upload_aliases_plural_nouns_and_url, pack_get_finds_a_pack_by_name,
	 datastore_put_names_items_after_files, stop_server, cleanup)
