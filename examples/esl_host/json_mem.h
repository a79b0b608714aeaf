/*
 * jansson's allocations watched: jansson calls memory that ran out a syntax
 * error (its reader returns NULL for both), and the host must not call a
 * stored snapshot broken, and give the call up, for that.
 */
#ifndef ESL_HOST_JSON_MEM_H
#define ESL_HOST_JSON_MEM_H

/*
 * Route jansson's allocations (json_set_alloc_funcs(), process-wide)
 * through wrappers that count the ones refused, then call the functions set
 * before (the C library's, or a test's). Call it once, before jansson
 * allocates anything; again does nothing while it is in place.
 */
void json_mem_watch(void);

/* How many of jansson's allocations were refused since json_mem_watch(). */
unsigned long json_mem_refused(void);

#endif
