/*
 * A pool of equal blocks in chunks of 2 MB mapped from the system, each
 * aligned to its size: a machine's session blocks under the C library's
 * allocator (docs/architecture.md, "Session blocks in a pool of their own").
 *
 * Why not malloc: with many live calls fed in any order, an event's session
 * is in no cache, and the processor walks the page tables to find it as well
 * as fetching its lines. A chunk is advised to be one huge page
 * (madvise(MADV_HUGEPAGE), which Debian's default "madvise" mode of
 * transparent huge pages waits for), so that a hundred thousand sessions
 * span a few dozen pages instead of tens of thousands; and a block's first
 * `hot` bytes, what every event touches, never straddle a 4 KB page, for a
 * system that gives no huge pages. Blocks start on a cache line, and a block
 * given back is the next one taken from its chunk (still warm).
 *
 * Grown on demand: the first chunk stays in 4 KB pages (MADV_NOHUGEPAGE,
 * the pages are the system's only once touched), so a process with a few
 * calls does not pay 2 MB; when a second chunk is needed, both are advised
 * huge. An empty chunk is unmapped, except one kept as a spare, so that calls
 * coming and going one at a time, or around a chunk's worth, do not map and
 * zero 2 MB each time.
 *
 * Thread-safe (a mutex): a machine's sessions may be created and freed in
 * any thread.
 */
#ifndef IVRSM_POOL_H
#define IVRSM_POOL_H

#include <stdbool.h>
#include <stddef.h>

/* A chunk's size and alignment: a huge page of x86-64 and of most arm64 systems. */
#define IVRSM_POOL_CHUNK ((size_t)2 << 20)
/* The largest block a pool takes: a chunk holds at least 7 beside its record. */
#define IVRSM_POOL_MAX_BLOCK (IVRSM_POOL_CHUNK / 8)

/*
 * Where chunks come from: the system's (NULL in ivrsm_pool_new()), or a test's.
 * map returns `size` bytes of zeroes aligned to `size`, or NULL; advise says
 * whether the chunk should be a huge page (a hint: nothing when the system
 * has none).
 */
typedef struct ivrsm_pool_source {
    void *(*map)(size_t size, void *user);
    void (*unmap)(void *chunk, size_t size, void *user);
    void (*advise)(void *chunk, size_t size, bool huge, void *user);
    void *user;
} ivrsm_pool_source;

typedef struct ivrsm_pool ivrsm_pool;

/*
 * A pool of `block`-byte blocks (rounded up to a cache line; at most
 * IVRSM_POOL_MAX_BLOCK) whose first `hot` bytes stay within a 4 KB page
 * (at most 4096; 0: none). Nothing is mapped yet. NULL when out of memory or
 * for a block too large.
 */
ivrsm_pool *ivrsm_pool_new(size_t block, size_t hot, const ivrsm_pool_source *source);

/* A zeroed block, starting on a cache line; NULL when no chunk can be mapped. */
void *ivrsm_pool_get(ivrsm_pool *p);

/* Give back a block of p's (NULL is ignored). */
void ivrsm_pool_put(ivrsm_pool *p, void *block);

/* Unmap every chunk and free p; every block must have been given back. NULL is ignored. */
void ivrsm_pool_free(ivrsm_pool *p);

/* The bytes of a block (the size asked for, rounded up to a cache line). */
size_t ivrsm_pool_block(const ivrsm_pool *p);

/* The bytes p holds from the system: its chunks, whole (used or not), and its own record. */
size_t ivrsm_pool_bytes(const ivrsm_pool *p);

/* The blocks p has handed out and not had back. */
size_t ivrsm_pool_live(const ivrsm_pool *p);

/*
 * Whether a memory checker runs the program, AddressSanitizer or valgrind, whose leak and
 * use-after-free checks follow the C library's blocks: a pooled block lost would be found
 * through its own chunk, which they scan as memory of the program's. There each session is a
 * block of its own, as before the pool; the pool's tests run the pool under both (its free
 * blocks forbidden to the checker).
 */
bool ivrsm_pool_checked(void);

#endif
