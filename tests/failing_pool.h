/*
 * Chunks for a pool of blocks (lib/base/pool.h) on a failing_mem's budget
 * (failing_mem.c): the tests of the pool and of sessions whose blocks cannot
 * be mapped.
 */
#ifndef TESTS_FAILING_POOL_H
#define TESTS_FAILING_POOL_H

#include "failing_mem.h"
#include "pool.h"

/*
 * A map is an allocation of fm's (counted in calls and live, refused by its
 * mode), an unmap a free; the advice is counted, not given. The chunks are the
 * system's (mmap), as the pool's own source maps them.
 */
typedef struct failing_pool_source {
    ivrsm_pool_source source; /* what the pool is given: &fps.source */
    failing_mem *fm;
    long mapped;        /* chunks mapped and not unmapped yet */
    long advised_huge;  /* advise(huge) calls */
    long advised_small; /* advise(not huge) calls */
} failing_pool_source;

void failing_pool_source_init(failing_pool_source *fps, failing_mem *fm);

#endif
