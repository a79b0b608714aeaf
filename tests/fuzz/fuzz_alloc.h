/*
 * The allocator a libFuzzer binary gives the library (the session's
 * ivrsm_mem and jansson's json_set_alloc_funcs(), as a host may): blocks
 * of up to FUZZ_ALLOC_SMALL bytes in size classes of 16 bytes, each class a
 * free list that is never given back, larger ones from malloc(). A call
 * allocates and frees the same few hundred small blocks input after input;
 * glibc's malloc() and free() spent a tenth of fuzz_session's time on them
 * once its per-size caches of seven blocks overflowed, this a few
 * instructions.
 *
 * It checks what glibc checks on free(): a block freed twice, or one it did
 * not allocate (the library mixing its allocator with the C library's),
 * aborts, which the fuzzer records as a finding. Single-threaded, like the
 * targets. The corpus replayers and a libFuzzer binary built with ASan
 * keep the C library's (or the sanitizer's) allocator, so that ASan and
 * valgrind see every block: FUZZ_OWN_ALLOCATOR says where it is used.
 */
#ifndef IVRSM_FUZZ_ALLOC_H
#define IVRSM_FUZZ_ALLOC_H

/* Under ASan the sanitizer's allocator stays: it sees every byte of every block. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define FUZZ_ALLOC_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ALLOC_SANITIZED 1
#endif

#if defined(IVRSM_LIBFUZZER) && !defined(FUZZ_ALLOC_SANITIZED)
#define FUZZ_OWN_ALLOCATOR 1

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ALLOC_SMALL 4096
#define FUZZ_ALLOC_CLASSES (FUZZ_ALLOC_SMALL / 16 + 1)
#define FUZZ_ALLOC_SLAB (256 * 1024)
#define FUZZ_ALLOC_LIVE 0x4C495645u /* "LIVE" */
#define FUZZ_ALLOC_FREE 0x46524545u /* "FREE" */
#define FUZZ_ALLOC_BIG UINT32_MAX   /* a block from malloc() */

/* 16 bytes before each block, so that the block keeps malloc()'s alignment. */
typedef struct fuzz_alloc_head {
    uint32_t cls; /* size class (capacity cls * 16 bytes), or FUZZ_ALLOC_BIG */
    uint32_t mark;
    uint64_t size; /* a big block's size, for realloc */
} fuzz_alloc_head;

typedef struct fuzz_alloc_pool {
    void *free[FUZZ_ALLOC_CLASSES]; /* each a list linked through the blocks' first bytes */
    char *slab, *slab_end;          /* what is left of the slab being carved */
} fuzz_alloc_pool;

static fuzz_alloc_pool fuzz_pool;

static inline void fuzz_alloc_fail(const char *what, const void *p)
{
    fprintf(stderr, "fuzz allocator: %s (%p)\n", what, p);
    abort();
}

static inline void *fuzz_alloc(size_t size)
{
    fuzz_alloc_head *h;
    if (size > FUZZ_ALLOC_SMALL) {
        if (size > SIZE_MAX - sizeof(*h))
            return NULL;
        h = malloc(sizeof(*h) + size);
        if (!h)
            return NULL;
        h->cls = FUZZ_ALLOC_BIG;
        h->size = size;
    } else {
        uint32_t cls = size ? (uint32_t)((size + 15) / 16) : 1;
        void *p = fuzz_pool.free[cls];
        if (p) {
            memcpy(&fuzz_pool.free[cls], p, sizeof(void *));
            h = (fuzz_alloc_head *)p - 1;
        } else {
            size_t need = sizeof(*h) + (size_t)cls * 16;
            if ((size_t)(fuzz_pool.slab_end - fuzz_pool.slab) < need) {
                /* The rest of the old slab is dropped: a few bytes per 256 KiB. */
                fuzz_pool.slab = malloc(FUZZ_ALLOC_SLAB);
                if (!fuzz_pool.slab)
                    return NULL;
                fuzz_pool.slab_end = fuzz_pool.slab + FUZZ_ALLOC_SLAB;
            }
            h = (fuzz_alloc_head *)fuzz_pool.slab;
            fuzz_pool.slab += need;
            h->cls = cls;
        }
    }
    h->mark = FUZZ_ALLOC_LIVE;
    return h + 1;
}

static inline void fuzz_dealloc(void *p)
{
    if (!p)
        return;
    fuzz_alloc_head *h = (fuzz_alloc_head *)p - 1;
    if (h->mark != FUZZ_ALLOC_LIVE)
        fuzz_alloc_fail(
            h->mark == FUZZ_ALLOC_FREE ? "block freed twice" : "block not from this allocator", p);
    h->mark = FUZZ_ALLOC_FREE;
    if (h->cls == FUZZ_ALLOC_BIG) {
        free(h);
        return;
    }
    memcpy(p, &fuzz_pool.free[h->cls], sizeof(void *));
    fuzz_pool.free[h->cls] = p;
}

static inline void *fuzz_realloc(void *p, size_t size)
{
    if (!p)
        return fuzz_alloc(size);
    fuzz_alloc_head *h = (fuzz_alloc_head *)p - 1;
    if (h->mark != FUZZ_ALLOC_LIVE)
        fuzz_alloc_fail("realloc of a block not live", p);
    size_t have = h->cls == FUZZ_ALLOC_BIG ? h->size : (size_t)h->cls * 16;
    if (size <= have && h->cls != FUZZ_ALLOC_BIG)
        return p;
    void *q = fuzz_alloc(size);
    if (!q)
        return NULL;
    memcpy(q, p, have < size ? have : size);
    fuzz_dealloc(p);
    return q;
}

static inline void *fuzz_mem_malloc(size_t size, void *user)
{
    (void)user;
    return fuzz_alloc(size);
}

static inline void fuzz_mem_free(void *p, void *user)
{
    (void)user;
    fuzz_dealloc(p);
}

static inline void *fuzz_mem_calloc(size_t count, size_t size, void *user)
{
    (void)user;
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = fuzz_alloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

static inline void *fuzz_mem_realloc(void *p, size_t size, void *user)
{
    (void)user;
    return fuzz_realloc(p, size);
}

#endif /* FUZZ_OWN_ALLOCATOR */
#endif
