/* SPDX-License-Identifier: Apache-2.0 */
/*
 * minifly.h - a scripted stand-in for the Flyte server, built on fakesrv,
 * for testing libflyte's protocol handling and failure paths.
 *
 * It speaks the pack protocol (discovery, registration, events, long-poll
 * take, results) with an in-memory queue of actions, and can be told to
 * misbehave: fail the next N registrations / events / results with 5xx,
 * drop connections, or forget every pack (so takes answer 404).
 */
#ifndef MINIFLY_H
#define MINIFLY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "fakesrv.h"

#define MF_MAX 256

struct mf_result {
	int action;
	int attempt; /* ?attempt= of the link posted to, 0 when absent */
	char *body;  /* the posted JSON */
};

struct mf_event {
	char pack[128];
	char *body;
};

struct minifly {
	struct fake_srv *srv;
	pthread_mutex_t mu;
	pthread_cond_t cond;

	/* packs currently known (ids) */
	char packs[16][128];
	int n_packs;
	int registrations;
	char last_registration[4096];
	char last_auth[1024];
	char last_take_prefer[128]; /* the Prefer header of the last take */

	/* actions: command + input JSON; taken flags */
	char *commands[MF_MAX];
	char *inputs[MF_MAX];
	bool taken[MF_MAX];
	int n_actions;

	/* leases (lease_ms > 0): takes answer "attempt" and "leaseUntil" and
	 * links ending in ?attempt=n; heartbeats are counted per action */
	int lease_ms;
	int attempts[MF_MAX];       /* takes of each action */
	int heartbeats[MF_MAX];     /* heartbeats accepted per action */
	int heartbeat_attempt[MF_MAX]; /* ?attempt= of the last heartbeat */
	bool lost[MF_MAX];          /* heartbeats and results of this action answer 409 */
	int fail_heartbeats;        /* 503 for the next N heartbeats */
	int heartbeat_posts;        /* every heartbeat request */

	struct mf_result results[MF_MAX];
	int n_results;
	struct mf_event events[MF_MAX];
	int n_events;
	int takes, take_404s, result_posts, event_posts;

	/* fault injection: counts of upcoming requests to fail */
	int fail_discovery;    /* 503 */
	int fail_registration; /* 500 */
	int fail_events;       /* 503 */
	int fail_results;      /* 500 */
	int drop_results;      /* close the connection without answering */
	int refuse_results;    /* 409 */
	bool links_only_at_location; /* registration answers 201 without links */
	int take_wait_ms;      /* long-poll duration, default 100 */
};

/* Start on port (0 = any).  Returns 0 or -1. */
int mf_start(struct minifly *m, int port);
void mf_stop(struct minifly *m);
/* Queue an action for command with the given input JSON; returns its index. */
int mf_add_action(struct minifly *m, const char *command, const char *input_json);
/* Forget every registered pack: takes answer 404 until the pack registers again. */
void mf_forget_packs(struct minifly *m);
/* Wait until at least n results are recorded (up to timeout_ms); returns the count. */
int mf_wait_results(struct minifly *m, int n, int timeout_ms);
/* Wait until at least n registrations happened; returns the count. */
int mf_wait_registrations(struct minifly *m, int n, int timeout_ms);
/* Read an int field of m under its lock (the server threads write them). */
int mf_int(struct minifly *m, const int *field);
/* Set an int field (fault injection) under the lock. */
void mf_set(struct minifly *m, int *field, int value);
/* Copy a string field under the lock into buf; returns buf. */
const char *mf_str(struct minifly *m, const char *field, char *buf, size_t len);
/* Copy event i's body (what=0) or pack id (what=1) into buf; "" if absent. */
const char *mf_event(struct minifly *m, int i, int what, char *buf, size_t len);
/* Body of the result posted for action i, or NULL (borrowed). */
const char *mf_result_for(struct minifly *m, int action);
/* Attempt of the result posted for action i (0 = none in its link, -1 = no result). */
int mf_result_attempt(struct minifly *m, int action);
/* Wait until action i has at least n accepted heartbeats; returns the count. */
int mf_wait_heartbeats(struct minifly *m, int action, int n, int timeout_ms);
/* Make heartbeats and results of action i answer 409 (its lease went to another taker). */
void mf_lose_lease(struct minifly *m, int action);

#endif
