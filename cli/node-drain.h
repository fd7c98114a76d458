/*
 * node-drain.h - the verbs of 'clusterctl node' that a drain is made of
 * (node-drain.c): drain [--wait] [--timeout DUR], show, resume. Verbs of
 * cmd-node.c's table (verb.h): argv[0] is the verb; a CTL_EXIT_ code.
 */
#ifndef CLUSTERCTL_NODE_DRAIN_H
#define CLUSTERCTL_NODE_DRAIN_H

#include "verb.h"

/** Ask clusterd for a drain of NAME; with --wait follow it, one line per
 *  role; exit 1 when a role stayed, 5 when the wait ran out. */
int ctl_node_drain(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
		   int argc, char **argv);
/** Print NAME with its drain's progress (node-show). */
int ctl_node_show(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
		  int argc, char **argv);
/** End NAME's drain and pause; say which roles come back by failback. */
int ctl_node_resume(struct ctl_globals *g, const struct ctl_noun *n, const struct ctl_verb *v,
		    int argc, char **argv);

#endif
