/* SPDX-License-Identifier: Apache-2.0 */
/*
 * packenv.h - a pack's settings from the environment, read the same way in
 * every bundled pack.
 *
 * A variable that is set to the empty string counts as unset.  Functions
 * that can fail return 0, or -1 with a one-line message in err naming the
 * variable ("invalid LDAP_STARTTLS 'maybe': expected true or false",
 * "BASE_DN is not set").  Values are never logged by these functions, so
 * they serve for secrets too.
 */
#ifndef PACKS_PACKENV_H
#define PACKS_PACKENV_H

#include <stdbool.h>
#include <stddef.h>

/* The value of variable name when it is set and not empty, else NULL.  Borrowed from the environment. */
const char *packenv_get(const char *name);

/*
 * *out = a copy of variable name, or of def when the variable is unset
 * (NULL when def is NULL too).  Caller frees.
 */
int packenv_dup(char **out, const char *name, const char *def, char *err, size_t errlen);

/* Like packenv_dup without a default, but an unset variable is an error: "<name> is not set". */
int packenv_need(char **out, const char *name, char *err, size_t errlen);

/*
 * A boolean variable: true/1/yes or false/0/no (the words in any case).
 * Unset leaves *out as it is.
 */
int packenv_bool(const char *name, bool *out, char *err, size_t errlen);

/*
 * An integer variable in [min, max] (decimal, optional sign).  Unset leaves
 * *out as it is.  The message says "expected <min>..<max>", or "expected
 * an integer >= <min>" when max is LONG_MAX.
 */
int packenv_long(const char *name, long min, long max, long *out, char *err, size_t errlen);

/*
 * *out = the first line of the file at path without its line break: a
 * secret kept in a file (the variable `name` holds path; it names the
 * file in messages).  The copy on the stack is wiped.  Caller frees with
 * packenv_secret_free().
 */
int packenv_secret_file(char **out, const char *name, const char *path, char *err, size_t errlen);

/*
 * *out = a secret given either in variable `name` or in the file named by
 * variable `file_name` (its first line, see packenv_secret_file()); NULL
 * when neither is set.  Both set is an error.  Caller frees with
 * packenv_secret_free().
 */
int packenv_secret(char **out, const char *name, const char *file_name, char *err, size_t errlen);

/* Wipe and free a secret.  NULL is accepted. */
void packenv_secret_free(char *secret);

/*
 * Split a comma-separated list (NULL: an empty one) into *out, a NULL-terminated array of its
 * items with surrounding blanks (space, tab) removed; empty items are
 * dropped.  *n (when n is not NULL) counts them.  On failure the items
 * made so far stay in *out (NULL-terminated) for the caller to free.
 */
int packenv_list(char ***out, size_t *n, const char *list, char *err, size_t errlen);

/* Free a list of packenv_list() (NULL accepted). */
void packenv_list_free(char **list);

#endif
