/*
 * The machine as a graph: the transitions a call can take out of each state,
 * computed once when the machine is compiled (see ivrsm_machine_transition()).
 */
#ifndef IVRSM_GRAPH_H
#define IVRSM_GRAPH_H

#include <stdbool.h>

#include "model.h"

/* True for the states that stop and wait for the caller (listen, prompt_and_listen). */
bool ivrsm_graph_state_waits(const m_state *st);

/*
 * Fill m->transitions and m->transition_start from the compiled states (a
 * `next` that did not resolve is no transition). Returns 0, or -1 on no
 * memory.
 */
int ivrsm_graph_build(struct ivrsm_machine *m);

/* The transitions out of state i: m->transitions[start .. end). */
#define IVRSM_GRAPH_BEGIN(m, i) ((m)->transitions + (m)->transition_start[i])
#define IVRSM_GRAPH_END(m, i) ((m)->transitions + (m)->transition_start[(i) + 1])

#endif
