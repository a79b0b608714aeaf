/*
 * Which states take a one-time code as input, so that the host's own log
 * lines mask what the caller keyed or said there: a state whose collect
 * mode is "otp", and a state without collect that hands its input on
 * through `next` to such a state ("Code incorrect, dites le code à
 * nouveau"), the same rule as the library's trace (which the host reads
 * only at --log-level debug: building trace records costs CPU on every
 * event). Read once per machine from its document (the public document
 * API), `${globals.x}` references resolved.
 */
#ifndef ESL_HOST_INPUT_MASKING_H
#define ESL_HOST_INPUT_MASKING_H

#include <stdbool.h>
#include <stddef.h>

typedef struct input_masking input_masking;

/* The secret states of the machine in `path`; NULL when it cannot be read or out of memory. */
input_masking *input_masking_load(const char *path);

/* Whether input in `state` is a one-time code. NULL masking: never. */
bool input_masking_secret(const input_masking *m, const char *state);

input_masking *input_masking_ref(input_masking *m);
void input_masking_unref(input_masking *m);

#endif
