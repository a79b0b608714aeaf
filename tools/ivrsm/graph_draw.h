/*
 * The drawing of `ivrsm graph`, shared with `ivrsm view` (cmd_graph.c):
 * the same shapes, edges and labels, read from the machine's transitions.
 */
#ifndef IVRSM_CLI_GRAPH_DRAW_H
#define IVRSM_CLI_GRAPH_DRAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ivrsm/ivrsm.h"

/* The label of one transition: what makes the call take it ("yes", "text: x", "fail"...). */
void graph_edge_label(const ivrsm_transition *t, FILE *out);

/*
 * The machine in Graphviz DOT, as a malloc'ed text in *out (*len bytes).
 * With `ids`, state i is drawn with id "s<i>" and the edge from state i to
 * state j (all transitions between them, one edge) with id "e<i>_<j>", ids
 * that Graphviz carries into its SVG. false when out of memory.
 */
bool graph_draw_dot(const ivrsm_machine *m, bool ids, char **out, size_t *len);

#endif
