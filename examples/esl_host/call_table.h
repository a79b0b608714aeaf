/*
 * The host's calls, found by channel UUID in O(1): a hash table of the
 * calls by UUID (open addressing, linear probing, tombstones, grown at
 * three quarters full; each slot keeps its call's hash), an array of them
 * for walking them all, and the ended ones in the order they ended, so
 * forgetting them after their linger costs nothing per event.
 *
 * The table does not own the calls' memory: callers allocate and free them,
 * and tell the table (call_table_add / call_table_remove).
 */
#ifndef ESL_HOST_CALL_TABLE_H
#define ESL_HOST_CALL_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct call;

/* A hash slot: the call and its UUID's hash, compared before the call is read, so that a
 * probe past other calls does not touch their records (with many calls, each one a cache
 * miss). */
typedef struct call_table_slot {
    uint64_t hash;
    struct call *call; /* NULL empty, CALL_TABLE_TOMBSTONE removed */
} call_table_slot;

typedef struct call_table {
    call_table_slot *slots;
    size_t slot_count; /* a power of two, or 0 */
    size_t used;       /* live entries plus tombstones */
    struct call **all; /* every call, in no order (swap-removed) */
    size_t count, cap;
    struct call *ended_head, *ended_tail; /* ended calls, oldest first */
} call_table;

/* What a call needs to be kept by the table (embedded in struct call). */
typedef struct call_table_link {
    size_t index;            /* its position in `all` */
    struct call *ended_next; /* the next call that ended after it */
    int queued;              /* in the ended list */
} call_table_link;

/* The call of `uuid`, or NULL. */
struct call *call_table_find(const call_table *t, const char *uuid);

/*
 * Lookups of several events in hand at once (one read of the event socket),
 * their cache misses overlapped: call_table_prefetch_slot() for each event's
 * UUID, then call_table_prefetch_call() for each with the hash it returned
 * (its slot has come meanwhile), then call_table_find_hashed(). The first two
 * are hints: they read the table and change nothing.
 */
/* Ask for the slot a lookup of `uuid` reads first; the UUID's hash. */
uint64_t call_table_prefetch_slot(const call_table *t, const char *uuid);
/* Ask for the lines of the call record a lookup reads (its UUID, its session), when the first
 * slot of the probe holds a call of that hash. */
void call_table_prefetch_call(const call_table *t, uint64_t hash);
/* call_table_find() with the UUID's hash already worked out (call_table_prefetch_slot()). */
struct call *call_table_find_hashed(const call_table *t, const char *uuid, uint64_t hash);

/* Add a call (its uuid set, not in the table yet). Returns 0, or -1 when out of memory. */
int call_table_add(call_table *t, struct call *c);

/* Remove a call from the table (not freed). */
void call_table_remove(call_table *t, struct call *c);

/* Append a call that just ended to the list of ended calls. */
void call_table_ended(call_table *t, struct call *c);

/* The oldest ended call still in the table, or NULL. */
struct call *call_table_oldest_ended(const call_table *t);

/* Free the table's own memory (not the calls). */
void call_table_free(call_table *t);

#endif
