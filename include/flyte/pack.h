/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file flyte/pack.h
 * @brief A pack: its definition, registration, spontaneous events and the
 * action loop.
 *
 * Typical use:
 *
 *     flyte_client_options_from_env(&copts);  flyte_client_new(&client, &copts);
 *     flyte_labels_from_env(&labels);
 *     def.name = "Echo"; def.labels = labels; def.commands = cmds; ...
 *     flyte_pack_new(&pack, client, &def, NULL);
 *     flyte_pack_run(pack);            // until flyte_pack_request_stop()
 *     flyte_pack_free(pack); flyte_labels_free(labels); flyte_client_free(client);
 *
 * **What runs where.**  flyte_pack_start() starts one background thread that
 * discovers the API and registers the pack (retrying with exponential
 * backoff and jitter until it succeeds or the pack is stopped), then — if the
 * pack has at least one command — long-polls the take link.  Each taken
 * action is run by one of `concurrency` worker threads, which posts the
 * result.  The loop takes a new action only when a worker is free.
 *
 * **Leases.**  Each command is registered with a lease (lease_seconds);
 * while a handler runs, one heartbeat thread extends the lease of its
 * action every third of the lease, so a slow handler never loses it.  A
 * heartbeat answered 409 means the lease was lost (the action was given to
 * another taker): it is logged as an error, the handler goes on (see
 * flyte_result_lease_lost()) and its result will be refused.
 *
 * **Failures.**  Network errors and 5xx answers are retried with backoff.
 * A 404 on take means the server forgot the pack: it is registered again.
 * A result whose post fails is kept and posted again until the server
 * accepts it or refuses it for good (a 4xx other than 404/408/429 on a
 * result is logged and the result discarded, since posting it again cannot
 * succeed).  Spontaneous events are tried a bounded number of times.
 *
 * **Thread-safety.**  flyte_pack_send_event() may be called from any thread,
 * including from handlers.  flyte_pack_request_stop() may be called from any
 * thread and from a signal handler.  flyte_pack_free() must not race with
 * other calls on the pack.
 */
#ifndef FLYTE_PACK_H
#define FLYTE_PACK_H

#include "action.h"
#include "client.h"
#include "common.h"
#include "event.h"

FLYTE_BEGIN_DECL

/* ---------------------------------------------------------------- labels */

/** An ordered set of string labels (key → value); opaque. */
struct flyte_labels;

/**
 * Create an empty label set.
 * @param out receives the set (caller owns; flyte_labels_free()).
 * @return FLYTE_OK or FLYTE_ENOMEM.
 */
FLYTE_API int flyte_labels_new(struct flyte_labels **out);

/** Free a label set (NULL is accepted). */
FLYTE_API void flyte_labels_free(struct flyte_labels *labels);

/**
 * Set @p key to @p value (both copied), replacing an existing value.
 * @return FLYTE_OK; FLYTE_EINVALID (empty key); FLYTE_ENOMEM.
 */
FLYTE_API int flyte_labels_set(struct flyte_labels *labels, const char *key, const char *value);

/**
 * Add the labels of a "k=v,k=v" list (the FLYTE_LABELS format): pieces are
 * split on ',', each on its first '=', keys and values are trimmed, empty
 * pieces are skipped.
 *
 * @return FLYTE_OK; FLYTE_EINVALID if a piece has no '=' or an empty key
 *         (nothing is added then); FLYTE_ENOMEM.
 */
FLYTE_API int flyte_labels_parse(struct flyte_labels *labels, const char *text);

/**
 * Create a label set from the FLYTE_LABELS environment variable (empty if
 * unset).
 * @param out receives the set (caller owns).
 * @return as flyte_labels_parse(); the message names FLYTE_LABELS.
 */
FLYTE_API int flyte_labels_from_env(struct flyte_labels **out);

/** Number of labels. */
FLYTE_API size_t flyte_labels_count(const struct flyte_labels *labels);

/** Key of label @p i (0-based, in key order), borrowed; NULL if out of range. */
FLYTE_API const char *flyte_labels_key(const struct flyte_labels *labels, size_t i);

/** Value of label @p i, borrowed; NULL if out of range. */
FLYTE_API const char *flyte_labels_value(const struct flyte_labels *labels, size_t i);

/** Value of @p key, borrowed; NULL if absent. */
FLYTE_API const char *flyte_labels_get(const struct flyte_labels *labels, const char *key);

/* ------------------------------------------------------------ definition */

/**
 * What a pack is.  Everything is borrowed by the struct and copied by
 * flyte_pack_new(), so it may live on the stack.
 */
struct flyte_pack_def {
	const char *name;                           /**< pack name, required */
	const struct flyte_labels *labels;          /**< NULL = no labels */
	const struct flyte_command_def *commands;   /**< commands it accepts */
	size_t n_commands;
	const struct flyte_event_def *events;       /**< spontaneous events it sends */
	size_t n_events;
	const char *help_url;                       /**< optional, NULL = no help link */
};

/** Flags for struct flyte_pack_options.flags. */
enum flyte_pack_flags {
	/** At registration, if a pack with the same name and labels is already
	 *  registered, use it as it is instead of replacing its definition
	 *  (for tools that only send events on behalf of a pack). */
	FLYTE_PACK_ATTACH = (1 << 0)
};

/** Tuning of a pack.  Initialise with flyte_pack_options_init(). */
struct flyte_pack_options {
	/** Worker threads running handlers (max actions in progress); default 8. */
	unsigned concurrency;
	/** Timeout of one long-poll take request in ms; default 70000.  A take
	 *  that times out is simply repeated. */
	long poll_timeout_ms;
	/** Take requests kept open at once; default 1 (like the Go client).
	 *  More pollers hand actions to idle workers sooner when each take
	 *  round trip is slow; capped at concurrency.  When equal to
	 *  concurrency, each polling thread runs the actions it takes itself
	 *  (no worker threads, no hand-off). */
	unsigned pollers;
	/** First retry delay in ms; default 200.  Doubles per failure, with jitter. */
	long retry_initial_ms;
	/** Largest retry delay in ms; default 5000. */
	long retry_max_ms;
	/** Attempts of flyte_pack_send_event() before it fails; default 5. */
	unsigned event_attempts;
	/** Attempts of a registration (discovery + POST) by flyte_pack_register();
	 *  0 (default) = until it succeeds or the pack is stopped. */
	unsigned register_attempts;
	/** Once a stop has begun, how long a result that cannot be posted is
	 *  still retried, in ms; default 30000; then it is logged and dropped.
	 *  (Handlers themselves are never interrupted; a stop waits for them.) */
	long stop_timeout_ms;
	/** enum flyte_pack_flags. */
	unsigned flags;
	/** Lease registered for every command that sets none, in seconds
	 *  (1 to 31536000).  0 (the default) = the FLYTE_LEASE_SECONDS
	 *  environment variable, or 60 when it is unset; negative = declare no
	 *  lease (the server's default applies: none unless it sets
	 *  FLYTE_ACTION_LEASE_SEC).  Heartbeats go out every third of it. */
	long lease_seconds;
	/** Takes of an action allowed before a lease that ends makes it FATAL,
	 *  for every command that sets none; 0 (default) = the server's
	 *  default (FLYTE_ACTION_MAX_ATTEMPTS, 3). */
	unsigned max_attempts;
};

/** Fill @p opts with the defaults.  Never fails. */
FLYTE_API void flyte_pack_options_init(struct flyte_pack_options *opts);

/* ------------------------------------------------------------- lifecycle */

/** A pack handle; opaque. */
struct flyte_pack;

/**
 * Create a pack.  Does not contact the server.
 *
 * @param out    receives the pack (caller owns; flyte_pack_free()).
 * @param client the client to use (borrowed: it must outlive the pack).
 * @param def    the definition (copied).
 * @param opts   tuning (copied); NULL = defaults.
 * @return FLYTE_OK; FLYTE_EINVALID (no name, a command or event without a
 *         name, duplicate command names, a lease beyond 31536000 s or a
 *         max_attempts beyond 1000, a malformed FLYTE_LEASE_SECONDS);
 *         FLYTE_ENOMEM; FLYTE_ERROR.
 */
FLYTE_API int flyte_pack_new(struct flyte_pack **out, struct flyte_client *client,
			     const struct flyte_pack_def *def, const struct flyte_pack_options *opts);

/**
 * Set the lease of one command, overriding the pack's lease_seconds and
 * max_attempts options for it.  Call it before the pack registers
 * (flyte_pack_register() or flyte_pack_start()); the registration sends it.
 *
 * @param pack          the pack.
 * @param command       name of one of the pack's commands.
 * @param lease_seconds lease in seconds (1 to 31536000): without a result
 *                      or a heartbeat for that long the server gives the
 *                      action to another taker; 0 = the pack's lease;
 *                      negative = declare none (the server's default
 *                      applies).
 * @param max_attempts  takes allowed before a lease that ends makes the
 *                      action FATAL (1 to 1000); 0 = the pack's option.
 * @return FLYTE_OK; FLYTE_ENOTFOUND (no such command); FLYTE_EINVALID (a
 *         value out of range); FLYTE_EMISUSE (the pack already started);
 *         FLYTE_ENOMEM.
 */
FLYTE_API int flyte_pack_set_command_lease(struct flyte_pack *pack, const char *command, long lease_seconds,
					  unsigned max_attempts);

/**
 * Register the pack now, in the calling thread: discover the API links if
 * needed and POST the definition, retrying as configured by
 * register_attempts.  Optional: flyte_pack_start() registers by itself when
 * this has not been done.
 *
 * @return FLYTE_OK; FLYTE_ECANCELLED if the pack was stopped meanwhile; the
 *         error of the last attempt when register_attempts ran out.
 */
FLYTE_API int flyte_pack_register(struct flyte_pack *pack);

/**
 * The pack id the server uses (name, then ".key.value" per label in key
 * order), e.g. "Shell.env.dev".  Borrowed, lives as long as the pack.
 */
FLYTE_API const char *flyte_pack_id(const struct flyte_pack *pack);

/**
 * Send a spontaneous event.  Needs a registered pack (a 404 triggers one
 * re-registration).  Network errors and 5xx answers are retried up to
 * event_attempts times with backoff.
 *
 * @param pack         the pack.
 * @param event        event name (borrowed for the call).
 * @param payload_json payload as JSON text; NULL means `null`.
 * @return FLYTE_OK once the server accepted it (202); FLYTE_EINVALID (bad
 *         name or payload JSON); FLYTE_EAGAIN (not registered yet);
 *         FLYTE_ECANCELLED (pack stopped); otherwise the error of the last
 *         attempt (FLYTE_ENETWORK, FLYTE_ESERVER, ...).
 */
FLYTE_API int flyte_pack_send_event(struct flyte_pack *pack, const char *event, const char *payload_json);

/**
 * Start the background threads (registration, take loop, workers) and
 * return at once.
 *
 * @return FLYTE_OK; FLYTE_EMISUSE if already started; FLYTE_ERROR if a
 *         thread cannot be created.
 */
FLYTE_API int flyte_pack_start(struct flyte_pack *pack);

/**
 * Start the pack if needed, block until a stop is requested
 * (flyte_pack_request_stop() or flyte_pack_stop() from another thread), then
 * stop gracefully as flyte_pack_stop() does.
 *
 * @return FLYTE_OK after the stop; the error of flyte_pack_start().
 */
FLYTE_API int flyte_pack_run(struct flyte_pack *pack);

/**
 * Ask the pack to stop and return immediately.  Async-signal-safe: may be
 * called from a SIGINT/SIGTERM handler.  A thread blocked in
 * flyte_pack_run() then performs the graceful stop.
 */
FLYTE_API void flyte_pack_request_stop(struct flyte_pack *pack);

/**
 * Stop gracefully and wait: stop taking actions (an open long-poll is
 * interrupted), let queued and running handlers finish, post their results,
 * join the threads.  Handlers are not interrupted, so the call lasts as long
 * as the slowest of them; a result the server does not accept is retried
 * for stop_timeout_ms after the stop began and then dropped.  Idempotent;
 * safe to call on a pack that never started.  Must not be called from a
 * handler.
 *
 * @return FLYTE_OK; FLYTE_ETIMEOUT if results were dropped because
 *         stop_timeout_ms passed (they are logged; a result the server
 *         refused is dropped at once and is not this error).
 */
FLYTE_API int flyte_pack_stop(struct flyte_pack *pack);

/** Stop (as flyte_pack_stop()) and free the pack.  NULL is accepted. */
FLYTE_API void flyte_pack_free(struct flyte_pack *pack);

/**
 * Message of the most recent failure of a call on @p pack made by the
 * calling thread ("" otherwise).  Borrowed; valid until the thread's next
 * libflyte call.
 */
FLYTE_API const char *flyte_pack_last_error(const struct flyte_pack *pack);

/** Counters of a pack, for monitoring and tests. */
struct flyte_pack_stats {
	unsigned long registrations;   /**< successful registrations */
	unsigned long actions_taken;   /**< actions received from take */
	unsigned long results_posted;  /**< results accepted by the server */
	unsigned long result_retries;  /**< failed result posts that were retried */
	unsigned long results_dropped; /**< results refused for good or lost at stop */
	unsigned long events_sent;     /**< spontaneous events accepted */
	unsigned long take_errors;     /**< failed take requests */
	unsigned long heartbeats;      /**< heartbeats the server accepted */
	unsigned long leases_lost;     /**< heartbeats answered 409: the action went to another taker */
};

/** Copy the counters into @p out.  Thread-safe. */
FLYTE_API void flyte_pack_get_stats(const struct flyte_pack *pack, struct flyte_pack_stats *out);

FLYTE_END_DECL

#endif
