/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pack.c - a pack's definition, its registration with the server and its
 * spontaneous events.
 *
 * flyte_pack_new() deep-copies the caller's definition and renders the
 * registration JSON once.  Registration discovers the API links (GET /v1),
 * POSTs the definition to the link whose rel ends in "pack/listPacks" and
 * keeps the "event" and "takeAction" links of the answer (or of the Location
 * resource, for servers that answer without links).  Every success bumps a
 * generation number, so that several threads noticing the same 404 register
 * only once.  The action loop and the stop logic live in loop.c.
 */
#include "fl-common.h"

#include <fcntl.h>
#include <unistd.h>

#include <jansson.h>

#include "internal.h"

FLYTE_API void flyte_pack_options_init(struct flyte_pack_options *o)
{
	memset(o, 0, sizeof(*o));
	o->concurrency = 8;
	o->poll_timeout_ms = 70000;
	o->pollers = 1;
	o->retry_initial_ms = 200;
	o->retry_max_ms = 5000;
	o->event_attempts = 5;
	o->register_attempts = 0;
	o->stop_timeout_ms = 30000;
}

static void add_link_array(struct fl_buf *b, const char *help_url)
{
	fl_buf_adds(b, "[");
	if (help_url && *help_url) {
		fl_buf_adds(b, "{\"href\":");
		fl_buf_add_json_str(b, help_url, strlen(help_url));
		fl_buf_adds(b, ",\"rel\":\"help\"}");
	}
	fl_buf_adds(b, "]");
}

/*
 * Whether name appears earlier in the registration's event list: among the
 * declared events before index ei, or (for a command output) among all
 * declared events and the outputs before command ci / output ki.
 */
static bool seen_before(const struct flyte_pack_def *def, size_t ei, size_t ci, size_t ki, const char *name)
{
	for (size_t j = 0; j < ei && j < def->n_events; j++)
		if (!strcmp(def->events[j].name, name))
			return true;
	for (size_t c = 0; c <= ci && c < def->n_commands; c++) {
		const struct flyte_command_def *cmd = &def->commands[c];
		size_t lim = c < ci ? cmd->n_output_events : ki;
		for (size_t k = 0; k < lim; k++)
			if (!strcmp(cmd->output_events[k], name))
				return true;
	}
	return false;
}

/* Events of the registration: declared events first, then command outputs, deduplicated by name. */
static void add_events(struct fl_buf *b, const struct flyte_pack_def *def)
{
	bool first = true;

	fl_buf_adds(b, "[");
	for (size_t i = 0; i < def->n_events; i++) {
		const struct flyte_event_def *e = &def->events[i];
		if (seen_before(def, i, 0, 0, e->name))
			continue;
		fl_buf_adds(b, first ? "{\"name\":" : ",{\"name\":");
		first = false;
		fl_buf_add_json_str(b, e->name, strlen(e->name));
		if (e->help_url && *e->help_url) {
			fl_buf_adds(b, ",\"links\":");
			add_link_array(b, e->help_url);
		}
		fl_buf_adds(b, "}");
	}
	for (size_t i = 0; i < def->n_commands; i++) {
		const struct flyte_command_def *c = &def->commands[i];
		for (size_t k = 0; k < c->n_output_events; k++) {
			const char *name = c->output_events[k];
			if (seen_before(def, def->n_events, i, k, name))
				continue;
			fl_buf_adds(b, first ? "{\"name\":" : ",{\"name\":");
			first = false;
			fl_buf_add_json_str(b, name, strlen(name));
			fl_buf_adds(b, "}");
		}
	}
	fl_buf_adds(b, "]");
}

/*
 * The registration JSON in three parts: head (name, labels), the commands
 * (rendered from the pack's copy, so that per-command leases set after
 * flyte_pack_new() are sent) and tail (events, links).
 */
static char *build_head(const struct flyte_pack_def *def)
{
	struct fl_buf b = FL_BUF_INIT(0);
	size_t nl = flyte_labels_count(def->labels);

	fl_buf_adds(&b, "{\"name\":");
	fl_buf_add_json_str(&b, def->name, strlen(def->name));
	if (nl) {
		fl_buf_adds(&b, ",\"labels\":{");
		for (size_t i = 0; i < nl; i++) {
			const char *k = flyte_labels_key(def->labels, i), *v = flyte_labels_value(def->labels, i);
			if (i)
				fl_buf_addc(&b, ',');
			fl_buf_add_json_str(&b, k, strlen(k));
			fl_buf_addc(&b, ':');
			fl_buf_add_json_str(&b, v, strlen(v));
		}
		fl_buf_addc(&b, '}');
	}
	return fl_buf_detach(&b, NULL);
}

static char *build_tail(const struct flyte_pack_def *def)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_adds(&b, ",\"events\":");
	add_events(&b, def);
	fl_buf_adds(&b, ",\"links\":");
	add_link_array(&b, def->help_url);
	fl_buf_adds(&b, "}");
	return fl_buf_detach(&b, NULL);
}

/* Lease (s, 0 = none) and max attempts (0 = server default) command c is registered with. */
static void command_lease(const struct flyte_pack *p, const struct flyte__cmd *c, long *lease, unsigned *max_attempts)
{
	long l = c->lease_sec ? c->lease_sec : p->lease_sec;

	*lease = l > 0 ? l : 0;
	*max_attempts = c->max_attempts ? c->max_attempts : p->opts.max_attempts;
}

/* Render the registration body from its parts and the commands; NULL on OOM. */
static char *render_registration(const struct flyte_pack *p)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_adds(&b, p->reg_head);
	fl_buf_adds(&b, ",\"commands\":[");
	for (size_t i = 0; i < p->n_cmds; i++) {
		const struct flyte__cmd *c = &p->cmds[i];
		unsigned max_attempts;
		long lease;

		fl_buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
		fl_buf_add_json_str(&b, c->name, strlen(c->name));
		fl_buf_adds(&b, ",\"events\":[");
		for (size_t k = 0; k < c->n_events; k++) {
			if (k)
				fl_buf_addc(&b, ',');
			fl_buf_add_json_str(&b, c->events[k], strlen(c->events[k]));
		}
		fl_buf_adds(&b, "]");
		if (c->help_url && *c->help_url) {
			fl_buf_adds(&b, ",\"links\":");
			add_link_array(&b, c->help_url);
		}
		/* flyte's additions, ignored by the original server */
		command_lease(p, c, &lease, &max_attempts);
		if (lease)
			fl_buf_addf(&b, ",\"leaseSeconds\":%ld", lease);
		if (max_attempts)
			fl_buf_addf(&b, ",\"maxAttempts\":%u", max_attempts);
		fl_buf_adds(&b, "}");
	}
	fl_buf_adds(&b, "]");
	fl_buf_adds(&b, p->reg_tail);
	return fl_buf_detach(&b, NULL);
}

long flyte__pack_command_lease(const struct flyte_pack *p, const struct flyte__cmd *c)
{
	unsigned max_attempts;
	long lease;

	command_lease(p, c, &lease, &max_attempts);
	return lease;
}

static char *build_id(const struct flyte_pack_def *def)
{
	struct fl_buf b = FL_BUF_INIT(0);

	fl_buf_adds(&b, def->name);
	for (size_t i = 0; i < flyte_labels_count(def->labels); i++)
		fl_buf_addf(&b, ".%s.%s", flyte_labels_key(def->labels, i), flyte_labels_value(def->labels, i));
	return fl_buf_detach(&b, NULL);
}

static int validate_def(const struct flyte_pack_def *def)
{
	if (!def || !def->name || !*def->name)
		return flyte__error(NULL, FLYTE_EINVALID, "invalid pack definition: no name");
	if ((def->n_commands && !def->commands) || (def->n_events && !def->events))
		return flyte__error(NULL, FLYTE_EINVALID, "invalid pack definition '%s': count without array",
				    def->name);
	for (size_t i = 0; i < def->n_commands; i++) {
		const struct flyte_command_def *c = &def->commands[i];
		if (!c->name || !*c->name)
			return flyte__error(NULL, FLYTE_EINVALID,
					    "invalid pack definition '%s': command %zu has no name", def->name, i);
		if (c->n_output_events && !c->output_events)
			return flyte__error(NULL, FLYTE_EINVALID,
					    "invalid pack definition '%s': command '%s' has a count without events",
					    def->name, c->name);
		for (size_t k = 0; k < c->n_output_events; k++)
			if (!c->output_events[k] || !*c->output_events[k])
				return flyte__error(NULL, FLYTE_EINVALID,
						    "invalid pack definition '%s': command '%s' has an unnamed event",
						    def->name, c->name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(def->commands[j].name, c->name))
				return flyte__error(NULL, FLYTE_EINVALID,
						    "invalid pack definition '%s': duplicate command '%s'", def->name,
						    c->name);
	}
	for (size_t i = 0; i < def->n_events; i++)
		if (!def->events[i].name || !*def->events[i].name)
			return flyte__error(NULL, FLYTE_EINVALID,
					    "invalid pack definition '%s': event %zu has no name", def->name, i);
	return FLYTE_OK;
}

static void cmds_free(struct flyte__cmd *cmds, size_t n)
{
	for (size_t i = 0; cmds && i < n; i++) {
		for (size_t k = 0; k < cmds[i].n_events; k++)
			free(cmds[i].events[k]);
		free(cmds[i].events);
		free(cmds[i].name);
		free(cmds[i].help_url);
	}
	free(cmds);
}

static int copy_cmds(struct flyte_pack *p, const struct flyte_pack_def *def)
{
	p->cmds = calloc(def->n_commands + 1, sizeof(*p->cmds));
	if (!p->cmds)
		return FLYTE_ENOMEM;
	p->n_cmds = def->n_commands;
	for (size_t i = 0; i < def->n_commands; i++) {
		const struct flyte_command_def *c = &def->commands[i];
		struct flyte__cmd *d = &p->cmds[i];
		d->name = strdup(c->name);
		d->help_url = c->help_url ? strdup(c->help_url) : NULL;
		d->handler = c->handler;
		d->payload = c->payload;
		d->events = calloc(c->n_output_events + 1, sizeof(*d->events));
		if (!d->name || !d->events || (c->help_url && !d->help_url))
			return FLYTE_ENOMEM;
		for (size_t k = 0; k < c->n_output_events; k++) {
			d->events[k] = strdup(c->output_events[k]);
			if (!d->events[k])
				return FLYTE_ENOMEM;
			d->n_events = k + 1;
		}
	}
	return FLYTE_OK;
}

static int init_sync(struct flyte_pack *p)
{
	pthread_condattr_t attr;
	int rc = 0;

	rc |= pthread_mutex_init(&p->mu, NULL);
	rc |= pthread_mutex_init(&p->reg_mu, NULL);
	rc |= pthread_mutex_init(&p->qmu, NULL);
	rc |= pthread_mutex_init(&p->life_mu, NULL);
	rc |= pthread_condattr_init(&attr);
	rc |= pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	rc |= pthread_cond_init(&p->q_work, &attr);
	rc |= pthread_cond_init(&p->q_slot, &attr);
	pthread_condattr_destroy(&attr);
	if (flyte__cancel_init(&p->stop_take))
		rc = 1;
	/* a stop requested from a signal handler also interrupts taking and registering */
	p->stop_take.linked = &p->stop_requested;
	if (pipe2(p->wake, O_CLOEXEC | O_NONBLOCK))
		rc = 1;
	rc |= pthread_mutex_init(&p->hb_mu, NULL);
	rc |= pthread_condattr_init(&attr);
	rc |= pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	rc |= pthread_cond_init(&p->hb_cond, &attr);
	pthread_condattr_destroy(&attr);
	return rc ? FLYTE_ERROR : FLYTE_OK;
}

/* Largest lease and number of attempts the server accepts in a definition. */
#define MAX_LEASE_SEC 31536000L
#define MAX_ATTEMPTS 1000u

/*
 * The lease of commands that set none: the option, else FLYTE_LEASE_SECONDS,
 * else 60 s.  Stores seconds, or -1 for none.
 */
static int resolve_lease(const struct flyte_pack_options *o, const char *name, long *out)
{
	const char *v;
	char *end = NULL;
	long sec;

	if (o->lease_seconds > MAX_LEASE_SEC || o->max_attempts > MAX_ATTEMPTS)
		return flyte__error(NULL, FLYTE_EINVALID,
				    "invalid options of pack '%s': lease_seconds must be at most %ld and max_attempts "
				    "at most %u",
				    name, MAX_LEASE_SEC, MAX_ATTEMPTS);
	if (o->lease_seconds) {
		*out = o->lease_seconds > 0 ? o->lease_seconds : -1;
		return FLYTE_OK;
	}
	v = getenv("FLYTE_LEASE_SECONDS");
	if (!v || !*v) {
		*out = 60;
		return FLYTE_OK;
	}
	errno = 0;
	sec = strtol(v, &end, 10);
	if (errno || *end || end == v || sec < 1 || sec > MAX_LEASE_SEC)
		return flyte__error(NULL, FLYTE_EINVALID, "invalid FLYTE_LEASE_SECONDS '%s': expected seconds from 1 to %ld",
				    v, MAX_LEASE_SEC);
	*out = sec;
	return FLYTE_OK;
}

FLYTE_API int flyte_pack_new(struct flyte_pack **out, struct flyte_client *client,
			     const struct flyte_pack_def *def, const struct flyte_pack_options *opts)
{
	struct flyte_pack *p = NULL;
	int rc;

	*out = NULL;
	if (!client)
		return flyte__error(NULL, FLYTE_EMISUSE, "flyte_pack_new: client is required");
	rc = validate_def(def);
	if (rc)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p)
		return flyte__error_oom(NULL);
	p->wake[0] = p->wake[1] = -1;
	rc = resolve_lease(opts ? opts : &(struct flyte_pack_options){ 0 }, def->name, &p->lease_sec);
	if (rc) {
		free(p);
		return rc;
	}
	p->client = client;
	if (opts)
		p->opts = *opts;
	else
		flyte_pack_options_init(&p->opts);
	if (!p->opts.concurrency)
		p->opts.concurrency = 1;
	if (!p->opts.pollers)
		p->opts.pollers = 1;
	if (p->opts.pollers > p->opts.concurrency)
		p->opts.pollers = p->opts.concurrency;
	/* As many pollers as slots: each poller runs its own actions, no hand-off. */
	p->inline_jobs = p->opts.pollers == p->opts.concurrency;
	if (!p->opts.event_attempts)
		p->opts.event_attempts = 1;
	if (init_sync(p)) {
		flyte_pack_free(p);
		return flyte__error(NULL, FLYTE_ERROR, "cannot create the synchronisation objects of pack '%s'",
				    def->name);
	}
	p->name = strdup(def->name);
	p->id = build_id(def);
	p->reg_head = build_head(def);
	p->reg_tail = build_tail(def);
	if (!p->name || !p->id || !p->reg_head || !p->reg_tail || copy_cmds(p, def) ||
	    !(p->reg_body = render_registration(p))) {
		flyte_pack_free(p);
		return flyte__error_oom(NULL);
	}
	*out = p;
	return FLYTE_OK;
}

void flyte__pack_destroy(struct flyte_pack *p)
{
	while (p->qhead) {
		struct flyte__job *j = p->qhead;
		p->qhead = j->next;
		free(j->command);
		free(j->input);
		free(j->result_url);
		free(j);
	}
	cmds_free(p->cmds, p->n_cmds);
	free(p->workers);
	free(p->name);
	free(p->id);
	free(p->reg_head);
	free(p->reg_tail);
	free(p->reg_body);
	free(p->events_url);
	free(p->take_url);
	flyte__cancel_release(&p->stop_take);
	pthread_cond_destroy(&p->q_work);
	pthread_cond_destroy(&p->q_slot);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->reg_mu);
	pthread_mutex_destroy(&p->qmu);
	pthread_mutex_destroy(&p->life_mu);
	pthread_cond_destroy(&p->hb_cond);
	pthread_mutex_destroy(&p->hb_mu);
	if (p->wake[0] >= 0)
		close(p->wake[0]);
	if (p->wake[1] >= 0)
		close(p->wake[1]);
	free(p);
}

FLYTE_API const char *flyte_pack_id(const struct flyte_pack *p)
{
	return p->id;
}

FLYTE_API const char *flyte_pack_last_error(const struct flyte_pack *p)
{
	return flyte__last_error_for(p);
}

FLYTE_API void flyte_pack_get_stats(const struct flyte_pack *p, struct flyte_pack_stats *s)
{
	struct flyte_pack *q = (struct flyte_pack *)p;

	s->registrations = atomic_load(&q->st_registrations);
	s->actions_taken = atomic_load(&q->st_taken);
	s->results_posted = atomic_load(&q->st_posted);
	s->result_retries = atomic_load(&q->st_result_retries);
	s->results_dropped = atomic_load(&q->st_dropped);
	s->events_sent = atomic_load(&q->st_events);
	s->take_errors = atomic_load(&q->st_take_errors);
	s->heartbeats = atomic_load(&q->st_heartbeats);
	s->leases_lost = atomic_load(&q->st_leases_lost);
}

FLYTE_API int flyte_pack_set_command_lease(struct flyte_pack *p, const char *command, long lease_seconds,
					  unsigned max_attempts)
{
	struct flyte__cmd *c = NULL;
	long old_lease;
	unsigned old_max;
	char *body;
	int rc = FLYTE_OK;

	if (!p || !command)
		return flyte__error(p, FLYTE_EMISUSE, "flyte_pack_set_command_lease: pack and command are required");
	if (lease_seconds > MAX_LEASE_SEC || max_attempts > MAX_ATTEMPTS)
		return flyte__error(p, FLYTE_EINVALID,
				    "invalid lease for command '%s': at most %ld seconds and %u attempts", command,
				    MAX_LEASE_SEC, MAX_ATTEMPTS);
	for (size_t i = 0; i < p->n_cmds && !c; i++)
		if (!strcmp(p->cmds[i].name, command))
			c = &p->cmds[i];
	if (!c)
		return flyte__error(p, FLYTE_ENOTFOUND, "pack '%s' has no command '%s'", p->name, command);
	pthread_mutex_lock(&p->life_mu);
	pthread_mutex_lock(&p->reg_mu);
	if (p->started || flyte__pack_generation(p)) {
		rc = flyte__error(p, FLYTE_EMISUSE, "lease of command '%s' set after pack '%s' registered", command,
				  p->name);
		goto out;
	}
	old_lease = c->lease_sec;
	old_max = c->max_attempts;
	c->lease_sec = lease_seconds;
	c->max_attempts = max_attempts;
	body = render_registration(p);
	if (!body) {
		c->lease_sec = old_lease;
		c->max_attempts = old_max;
		rc = flyte__error_oom(p);
		goto out;
	}
	free(p->reg_body);
	p->reg_body = body;
out:
	pthread_mutex_unlock(&p->reg_mu);
	pthread_mutex_unlock(&p->life_mu);
	return rc;
}

unsigned long flyte__pack_generation(struct flyte_pack *p)
{
	unsigned long g;
	pthread_mutex_lock(&p->mu);
	g = p->generation;
	pthread_mutex_unlock(&p->mu);
	return g;
}

char *flyte__pack_take_url(struct flyte_pack *p)
{
	char *u;
	pthread_mutex_lock(&p->mu);
	u = p->take_url ? strdup(p->take_url) : NULL;
	pthread_mutex_unlock(&p->mu);
	return u;
}

/* ---------------------------------------------------------- registration */

/* Read the event and take links of a pack resource; 0 if the needed ones are there. */
static int pack_links(struct flyte_pack *p, const struct flyte_response *resp, char **events_url,
		      char **take_url)
{
	struct flyte__link *links = NULL;
	size_t n = 0;
	const char *ev, *tk;
	int rc;

	*events_url = *take_url = NULL;
	rc = flyte__parse_links(resp->body, resp->body_len, &links, &n);
	if (rc)
		return rc;
	ev = flyte__links_find(links, n, "event");
	tk = flyte__links_find(links, n, "takeAction");
	if (!ev || (p->n_cmds && !tk)) {
		flyte__links_free(links, n);
		return FLYTE_EPROTOCOL;
	}
	*events_url = strdup(ev);
	*take_url = tk ? strdup(tk) : NULL;
	flyte__links_free(links, n);
	if (!*events_url || (tk && !*take_url)) {
		free(*events_url);
		free(*take_url);
		*events_url = *take_url = NULL;
		return FLYTE_ENOMEM;
	}
	return FLYTE_OK;
}

static int attach_existing(struct flyte_pack *p, struct flyte__cancel *cancel, const char *packs_url,
			   char **events_url, char **take_url, bool *found)
{
	struct flyte_response resp;
	struct fl_buf b = FL_BUF_INIT(0);
	char *esc = NULL, *url = NULL;
	int rc;

	*found = false;
	rc = flyte_url_escape(&esc, p->id);
	if (rc)
		return flyte__error_oom(p);
	fl_buf_adds(&b, packs_url);
	fl_buf_addc(&b, '/');
	fl_buf_adds(&b, esc);
	url = fl_buf_detach(&b, NULL);
	free(esc);
	if (!url)
		return flyte__error_oom(p);
	rc = flyte__request(&resp, p->client, p, cancel, -1, "GET", url, NULL, NULL, 0);
	if (!rc && resp.status == 200 && !pack_links(p, &resp, events_url, take_url))
		*found = true;
	flyte_response_release(&resp);
	free(url);
	return rc;
}

static int register_once(struct flyte_pack *p, struct flyte__cancel *cancel)
{
	struct flyte_response resp, loc;
	char *packs_url = NULL, *ev = NULL, *tk = NULL;
	bool found = false;
	int rc;

	flyte_response_init(&resp);
	flyte_response_init(&loc);
	rc = flyte__client_link(&packs_url, p->client, p, cancel, "pack/listPacks");
	if (rc)
		goto out;
	if (p->opts.flags & FLYTE_PACK_ATTACH) {
		rc = attach_existing(p, cancel, packs_url, &ev, &tk, &found);
		if (rc)
			goto out;
		if (found)
			goto done;
	}
	rc = flyte__request(&resp, p->client, p, cancel, -1, "POST", packs_url, "application/json", p->reg_body,
			    strlen(p->reg_body));
	if (rc)
		goto out;
	if (resp.status < 200 || resp.status > 299) {
		rc = flyte__error(p, flyte_err_from_status(resp.status),
				  "registration of pack '%s' at '%s' answered HTTP %d", p->name, packs_url,
				  resp.status);
		goto out;
	}
	rc = pack_links(p, &resp, &ev, &tk);
	if (rc == FLYTE_EPROTOCOL && resp.location) {
		/* Servers from before 2018-05 return the links only from the pack resource. */
		rc = flyte__request(&loc, p->client, p, cancel, -1, "GET", resp.location, NULL, NULL, 0);
		if (rc)
			goto out;
		rc = loc.status == 200 ? pack_links(p, &loc, &ev, &tk) : FLYTE_EPROTOCOL;
	}
	if (rc == FLYTE_ENOMEM) {
		rc = flyte__error_oom(p);
		goto out;
	}
	if (rc) {
		rc = flyte__error(p, FLYTE_EPROTOCOL,
				  "registration of pack '%s' returned no '*event'%s link", p->name,
				  p->n_cmds ? " or '*takeAction'" : "");
		goto out;
	}
done:
	pthread_mutex_lock(&p->mu);
	free(p->events_url);
	free(p->take_url);
	p->events_url = ev;
	p->take_url = tk;
	ev = tk = NULL;
	p->generation++;
	pthread_mutex_unlock(&p->mu);
	atomic_fetch_add(&p->st_registrations, 1);
	flyte__log(p->client, FLYTE_LOG_INFO, "pack '%s' %s with the flyte api as '%s'", p->name,
		   found ? "attached" : "registered", p->id);
	rc = FLYTE_OK;
out:
	if (rc && rc != FLYTE_ECANCELLED)
		flyte__client_forget_links(p->client); /* discover again next time */
	flyte_response_release(&resp);
	flyte_response_release(&loc);
	free(packs_url);
	free(ev);
	free(tk);
	return rc;
}

int flyte__pack_register(struct flyte_pack *p, struct flyte__cancel *cancel, unsigned max_attempts,
			 unsigned long seen_gen)
{
	unsigned attempt = 0;
	int rc;

	for (;;) {
		pthread_mutex_lock(&p->reg_mu);
		if (seen_gen != FLYTE__FORCE_REGISTER && flyte__pack_generation(p) != seen_gen) {
			pthread_mutex_unlock(&p->reg_mu);
			return FLYTE_OK; /* another thread registered meanwhile */
		}
		rc = register_once(p, cancel);
		pthread_mutex_unlock(&p->reg_mu);
		if (!rc)
			return FLYTE_OK;
		if (rc == FLYTE_ECANCELLED || flyte__cancel_fired(cancel))
			return flyte__error(p, FLYTE_ECANCELLED, "registration of pack '%s' cancelled", p->name);
		attempt++;
		if (max_attempts && attempt >= max_attempts)
			return rc;
		long wait = flyte__backoff_ms(attempt - 1, p->opts.retry_initial_ms, p->opts.retry_max_ms);
		flyte__log(p->client, FLYTE_LOG_WARN, "cannot register pack '%s' (%s); retrying in %ld ms",
			   p->name, flyte_last_error(), wait);
		if (flyte__cancel_sleep(cancel, wait))
			return flyte__error(p, FLYTE_ECANCELLED, "registration of pack '%s' cancelled", p->name);
		seen_gen = FLYTE__FORCE_REGISTER;
	}
}

FLYTE_API int flyte_pack_register(struct flyte_pack *p)
{
	if (!p)
		return flyte__error(NULL, FLYTE_EMISUSE, "flyte_pack_register: pack is required");
	return flyte__pack_register(p, &p->stop_take, p->opts.register_attempts, FLYTE__FORCE_REGISTER);
}

/* ------------------------------------------------------------------ events */

static bool retryable_status(int status)
{
	return status >= 500 || status == 408 || status == 429;
}

FLYTE_API int flyte_pack_send_event(struct flyte_pack *p, const char *event, const char *payload_json)
{
	struct fl_buf body = FL_BUF_INIT(0);
	bool reregistered = false;
	unsigned attempt = 0;
	size_t off = 0;
	int rc;

	if (!p)
		return flyte__error(NULL, FLYTE_EMISUSE, "flyte_pack_send_event: pack is required");
	if (!event || !*event)
		return flyte__error(p, FLYTE_EINVALID, "invalid event: empty name");
	if (payload_json && flyte__json_check(payload_json, strlen(payload_json), &off))
		return flyte__error(p, FLYTE_EINVALID, "invalid payload for event '%s': bad JSON at offset %zu",
				    event, off);
	flyte__event_body(&body, event, payload_json);
	if (fl_buf_failed(&body)) {
		rc = flyte__error_buf(p, &body);
		goto out;
	}
	for (;;) {
		struct flyte_response resp;
		unsigned long gen;
		char *url;

		pthread_mutex_lock(&p->mu);
		url = p->events_url ? strdup(p->events_url) : NULL;
		gen = p->generation;
		pthread_mutex_unlock(&p->mu);
		if (!url) {
			rc = gen ? flyte__error_oom(p)
				 : flyte__error(p, FLYTE_EAGAIN, "pack '%s' is not registered yet", p->name);
			goto out;
		}
		rc = flyte__request(&resp, p->client, p, &p->stop_take, -1, "POST", url, "application/json",
				    body.ptr, body.len);
		if (!rc) {
			int st = resp.status;
			if (st >= 200 && st <= 299) {
				atomic_fetch_add(&p->st_events, 1);
				flyte_response_release(&resp);
				free(url);
				goto out;
			}
			rc = flyte__error(p, flyte_err_from_status(st), "event '%s' to '%s' answered HTTP %d", event,
					  url, st);
			if (st == 404 && !reregistered) {
				/* The server forgot the pack: register again once and resend. */
				reregistered = true;
				flyte_response_release(&resp);
				free(url);
				flyte__log(p->client, FLYTE_LOG_WARN, "pack '%s' unknown to the server; registering again",
					   p->name);
				rc = flyte__pack_register(p, &p->stop_take, p->opts.event_attempts, gen);
				if (rc)
					goto out;
				continue;
			}
			if (!retryable_status(st)) {
				flyte_response_release(&resp);
				free(url);
				goto out;
			}
		}
		flyte_response_release(&resp);
		free(url);
		if (rc == FLYTE_ECANCELLED)
			goto out;
		if (++attempt >= p->opts.event_attempts)
			goto out;
		long wait = flyte__backoff_ms(attempt - 1, p->opts.retry_initial_ms, p->opts.retry_max_ms);
		flyte__log(p->client, FLYTE_LOG_WARN, "cannot send event '%s' (%s); retrying in %ld ms", event,
			   flyte_last_error(), wait);
		if (flyte__cancel_sleep(&p->stop_take, wait)) {
			rc = flyte__error(p, FLYTE_ECANCELLED, "event '%s' not sent: pack '%s' is stopping", event,
					  p->name);
			goto out;
		}
	}
out:
	fl_buf_release(&body);
	return rc;
}
