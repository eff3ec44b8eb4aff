/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jira.h - the Jira pack: configuration, command handlers and the mapping of
 * Jira REST v2 answers to event payloads.
 *
 * The pack answers the commands of ExpediaGroup/flyte-jira (IssueInfo,
 * CreateIssue, CreateIncIssue, CommentIssue, SearchIssues, IssueAssign,
 * GetTransitions, Transition, IssueCreateLink, IssueGetLink,
 * IssueDeleteLink) with the same events and payload shapes; see
 * docs/packs/jira.md for the differences.
 */
#ifndef JIRA_PACK_H
#define JIRA_PACK_H

#include <jansson.h>

#include <flyte.h>

#include "restpack.h"

struct jira {
	struct restpack rest; /* the handle, or why there is none */
	char *path_prefix;    /* path of JIRA_HOST ("" or "/jira"), for requestURL */
};

/*
 * Read JIRA_HOST, JIRA_USER, JIRA_PASSWORD / JIRA_API_TOKEN,
 * JIRA_BEARER_TOKEN and the JIRA_* HTTP settings (httpc_options_from_env).
 * A missing variable is not an error here: j->rest.http stays NULL and every
 * command answers with its failure event naming the variable.  Returns 0,
 * or -1 with a message in err when a variable is malformed.
 */
int jira_from_env(struct jira *j, flyte_log_fn log_fn, enum flyte_log_level level, char *err, size_t errlen);
void jira_release(struct jira *j);

/* The command table; payload of each command is the struct jira. */
extern const struct flyte_command_def jira_commands[];
extern const size_t jira_n_commands;

/* Info payload of an issue as GET /rest/api/2/issue/{key} returns it (new reference). */
json_t *jira_info_payload(const json_t *issue);
/* The "issues" list of SearchSuccess (null when empty) from a search answer. */
json_t *jira_search_issues(const json_t *answer);
/* The "transitions" list of GetTransitions from a transitions answer. */
json_t *jira_transitions(const json_t *answer);
/* The Link payload of IssueGetLink from an issue link answer. */
json_t *jira_link_payload(const json_t *link);

#endif
