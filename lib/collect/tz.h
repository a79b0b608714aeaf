/*
 * Time zones: POSIX TZ rules and the IANA names the library knows, computed
 * without the TZ environment or any global state.
 */
#ifndef IVRSM_TZ_H
#define IVRSM_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "ivrsm/ivrsm.h"

typedef struct ivrsm_tz ivrsm_tz; /* opaque time zone rules */

/*
 * Time zone by IANA name ("Europe/Paris", "UTC") or POSIX TZ rule string
 * ("CET-1CEST,M3.5.0,M10.5.0/3"), allocated with mem (which must outlive
 * it). Returns NULL when unknown or out of memory. Free with
 * ivrsm_tz_free(). Pure computation: no TZ environment, no global state.
 */
ivrsm_tz *ivrsm_tz_new(const char *name, const ivrsm_mem *mem);
/* Whether ivrsm_tz_new() knows the name: its NULL is then for lack of memory. */
bool ivrsm_tz_known(const char *name);
void ivrsm_tz_free(ivrsm_tz *tz);
/* UTC offset in seconds at instant `unix_seconds` (e.g. 3600 or 7200 for Paris). */
int ivrsm_tz_offset(const ivrsm_tz *tz, int64_t unix_seconds);

#endif
