/*
 * The trace file of `ivrsm sim --trace FILE`, read back by `ivrsm replay`.
 *
 * JSON lines: first a {"kind":"sim"} header (format, machine path, name and
 * version, call and session ids, initial ctx with secrets hidden, clock,
 * handoff answer), then the session's own trace records as the library
 * writes them (events in, transitions, commands out, notes; each with "t",
 * the clock then), and before each caller event an {"kind":"input"} record:
 * the caller's line, or for a secret one (an OTP) a checked stand-in
 * ("stand_in": true) or nothing usable ("secret": true). See docs/cli.md.
 */
#ifndef IVRSM_CLI_SIM_TRACE_H
#define IVRSM_CLI_SIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "driver.h"

#define SIM_TRACE_FORMAT "ivrsm-sim-trace/1"

typedef struct sim_trace sim_trace;

/* Create (truncate) the file. NULL with err set on failure. */
sim_trace *sim_trace_open(const char *path, char *err, size_t errlen);

/* The header record: what replay needs to set the call up again. */
void sim_trace_header(sim_trace *t, const drv_config *cfg, const char *machine_path,
                      int64_t now_ms);

/* An input record (see drv_hooks.input). */
void sim_trace_input(sim_trace *t, const drv_input *in, const drv_input *recorded, int64_t now_ms);

/* One of the session's records, as is. */
void sim_trace_record(sim_trace *t, const char *record);

/* Close the file (NULL is ignored). Returns 0, or -1 when a write failed. */
int sim_trace_close(sim_trace *t);

#endif
