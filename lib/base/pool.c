/*
 * A pool of equal blocks in 2 MB chunks mapped from the system (pool.h).
 *
 * A chunk starts with its record: the pool, the two lists it is on, how many
 * blocks it has handed out, the offset of the next block never handed out,
 * and a stack of the blocks given back (their cache line in the chunk, the
 * last one given back on top). The bookkeeping stays out of the blocks, so a
 * session written after it was freed cannot break the pool, and a checker
 * (valgrind, AddressSanitizer) may forbid a free block whole.
 */
#include "pool.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "mem.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>) && __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#define POOL_VALGRIND 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang's way to say it */
#define POOL_ASAN 1
#endif
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

#define PAGE 4096

typedef struct chunk chunk;

/* A doubly linked list of chunks, by one of the two links of each. */
typedef struct chunk_link {
    chunk *prev, *next;
} chunk_link;

struct chunk {
    ivrsm_pool *pool;
    chunk_link all;  /* every chunk of the pool */
    chunk_link room; /* the chunks with a block to hand out */
    bool in_room;
    uint32_t live;         /* blocks handed out */
    uint32_t fresh;        /* offset of the next block never handed out; IVRSM_POOL_CHUNK: none */
    uint32_t nfree;        /* blocks given back, in free_lines */
    uint16_t free_lines[]; /* cache line of each block given back, the last on top */
};

struct ivrsm_pool {
    pthread_mutex_t lock;
    ivrsm_pool_source source;
    size_t block;   /* bytes, a multiple of a cache line */
    size_t hot;     /* the first bytes of a block that stay within a 4 KB page */
    uint32_t first; /* offset of a chunk's first block (after its record) */
    chunk *all;     /* every chunk */
    chunk *room;    /* chunks with a block to hand out, the one to take from first */
    chunk *spare;   /* an empty chunk kept (at most one) */
    chunk *small;   /* the chunk left in 4 KB pages while it is the only one */
    size_t chunks;
    size_t live;
};

/* ---- The system's chunks ---- */

static void *system_map(size_t size, void *user)
{
    (void)user;
    /* Twice the size, then the ends cut off: what is left is aligned to its size. */
    size_t span = 2 * size;
    char *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    char *at = (char *)(((uintptr_t)p + size - 1) & ~(uintptr_t)(size - 1));
    if (at > p)
        munmap(p, (size_t)(at - p));
    if (at + size < p + span)
        munmap(at + size, (size_t)(p + span - (at + size)));
    return at;
}

static void system_unmap(void *chunk_start, size_t size, void *user)
{
    (void)user;
    munmap(chunk_start, size);
}

static void system_advise(void *chunk_start, size_t size, bool huge, void *user)
{
    (void)user;
#if defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
    /* A hint: a kernel without transparent huge pages says EINVAL, and the chunk keeps its
     * 4 KB pages, which work the same. */
    (void)madvise(chunk_start, size, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#else
    (void)chunk_start;
    (void)size;
    (void)huge;
#endif
}

static const ivrsm_pool_source system_source = {system_map, system_unmap, system_advise, NULL};

/* ---- Checkers: a block not handed out may not be touched ---- */

static void forbid(void *p, size_t size)
{
#ifdef POOL_VALGRIND
    VALGRIND_MAKE_MEM_NOACCESS(p, size);
#endif
#ifdef POOL_ASAN
    ASAN_POISON_MEMORY_REGION(p, size);
#endif
    (void)p;
    (void)size;
}

static void handed_out(void *p, size_t size, bool zeroed)
{
#ifdef POOL_VALGRIND
    VALGRIND_MALLOCLIKE_BLOCK(p, size, 0, zeroed);
#endif
#ifdef POOL_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, size);
#endif
    (void)p;
    (void)size;
    (void)zeroed;
}

static void given_back(void *p, size_t size)
{
#ifdef POOL_VALGRIND
    VALGRIND_FREELIKE_BLOCK(p, 0);
#endif
#ifdef POOL_ASAN
    ASAN_POISON_MEMORY_REGION(p, size);
#endif
    (void)p;
    (void)size;
}

bool ivrsm_pool_checked(void)
{
#ifdef POOL_ASAN
    return true;
#elif defined(POOL_VALGRIND)
    return RUNNING_ON_VALGRIND != 0;
#else
    return false;
#endif
}

/* ---- Lists ---- */

static void link_push(chunk **head, chunk *c, chunk_link *(*at)(chunk *))
{
    at(c)->prev = NULL;
    at(c)->next = *head;
    if (*head)
        at(*head)->prev = c;
    *head = c;
}

static void link_remove(chunk **head, chunk *c, chunk_link *(*at)(chunk *))
{
    chunk_link *l = at(c);
    if (l->prev)
        at(l->prev)->next = l->next;
    else
        *head = l->next;
    if (l->next)
        at(l->next)->prev = l->prev;
    l->prev = l->next = NULL;
}

static chunk_link *all_link(chunk *c)
{
    return &c->all;
}

static chunk_link *room_link(chunk *c)
{
    return &c->room;
}

/* c at the head of the chunks with room: the next block comes from it. */
static void room_first(ivrsm_pool *p, chunk *c)
{
    if (c->in_room)
        link_remove(&p->room, c, room_link);
    link_push(&p->room, c, room_link);
    c->in_room = true;
}

/* c at the tail of the chunks with room: taken from only when the others are full. */
static void room_last(ivrsm_pool *p, chunk *c)
{
    if (c->in_room)
        link_remove(&p->room, c, room_link);
    c->in_room = true;
    c->room.next = NULL;
    c->room.prev = NULL;
    if (!p->room) {
        p->room = c;
        return;
    }
    chunk *tail = p->room;
    while (tail->room.next)
        tail = tail->room.next;
    tail->room.next = c;
    c->room.prev = tail;
}

/* ---- Blocks in a chunk ---- */

/* Where a block may start at or after `off`: its hot bytes not across a 4 KB page. */
static size_t block_start(const ivrsm_pool *p, size_t off)
{
    if (p->hot && off % PAGE + p->hot > PAGE)
        off = (off + PAGE - 1) & ~(size_t)(PAGE - 1);
    return off;
}

/* The offset of the block after the one at `off`, or IVRSM_POOL_CHUNK when none fits. */
static uint32_t next_fresh(const ivrsm_pool *p, size_t off)
{
    size_t next = block_start(p, off + p->block);
    return next + p->block <= IVRSM_POOL_CHUNK ? (uint32_t)next : (uint32_t)IVRSM_POOL_CHUNK;
}

static bool has_room(const chunk *c)
{
    return c->nfree > 0 || c->fresh < IVRSM_POOL_CHUNK;
}

static chunk *chunk_of(const void *block)
{
    return (chunk *)((uintptr_t)block & ~(uintptr_t)(IVRSM_POOL_CHUNK - 1));
}

/*
 * A new chunk, first among those with room. The only chunk of the pool stays in 4 KB
 * pages; once there are two, both are advised huge (pool.h).
 */
static chunk *chunk_map(ivrsm_pool *p)
{
    chunk *c = p->source.map(IVRSM_POOL_CHUNK, p->source.user);
    if (!c)
        return NULL;
    bool huge = p->chunks > 0;
    p->source.advise(c, IVRSM_POOL_CHUNK, huge, p->source.user);
    if (huge && p->small) {
        p->source.advise(p->small, IVRSM_POOL_CHUNK, true, p->source.user);
        p->small = NULL;
    }
    if (!huge)
        p->small = c;
    c->pool = p;
    c->fresh = (uint32_t)block_start(p, p->first);
    forbid((char *)c + p->first, IVRSM_POOL_CHUNK - p->first);
    link_push(&p->all, c, all_link);
    room_first(p, c);
    p->chunks++;
    return c;
}

static void chunk_unmap(ivrsm_pool *p, chunk *c)
{
    link_remove(&p->all, c, all_link);
    if (c->in_room)
        link_remove(&p->room, c, room_link);
    if (p->small == c)
        p->small = NULL;
    p->chunks--;
#ifdef POOL_ASAN
    ASAN_UNPOISON_MEMORY_REGION(c, IVRSM_POOL_CHUNK);
#endif
    p->source.unmap(c, IVRSM_POOL_CHUNK, p->source.user);
}

/* c has no block out: kept as the spare, last to be taken from, unless there is one. */
static void chunk_emptied(ivrsm_pool *p, chunk *c)
{
    if (p->spare && p->spare != c) {
        chunk_unmap(p, c);
        return;
    }
    p->spare = c;
    room_last(p, c);
}

/* A block of c's: given back ones first, the last first; *zeroed when never handed out. */
static void *chunk_take(ivrsm_pool *p, chunk *c, bool *zeroed)
{
    size_t off;
    if (c->nfree > 0) {
        off = (size_t)c->free_lines[--c->nfree] * IVRSM_CACHE_LINE;
        *zeroed = false;
    } else {
        off = c->fresh;
        c->fresh = next_fresh(p, off);
        *zeroed = true;
    }
    c->live++;
    if (p->spare == c)
        p->spare = NULL;
    if (!has_room(c)) {
        link_remove(&p->room, c, room_link);
        c->in_room = false;
    }
    return (char *)c + off;
}

/* ---- The pool ---- */

ivrsm_pool *ivrsm_pool_new(size_t block, size_t hot, const ivrsm_pool_source *source)
{
    if (block == 0 || block > IVRSM_POOL_MAX_BLOCK || hot > PAGE)
        return NULL;
    ivrsm_pool *p = ivrsm_mem_calloc(ivrsm_mem_default(), 1, sizeof(*p));
    if (!p)
        return NULL;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        ivrsm_mem_free(ivrsm_mem_default(), p);
        return NULL;
    }
    p->source = source ? *source : system_source;
    p->block = (block + IVRSM_CACHE_LINE - 1) & ~(size_t)(IVRSM_CACHE_LINE - 1);
    p->hot = hot;
    /* Room in the record for every block a chunk could hold given back at once. */
    size_t record = sizeof(chunk) + (IVRSM_POOL_CHUNK / p->block) * sizeof(uint16_t);
    p->first = (uint32_t)((record + IVRSM_CACHE_LINE - 1) & ~(size_t)(IVRSM_CACHE_LINE - 1));
    return p;
}

void *ivrsm_pool_get(ivrsm_pool *p)
{
    pthread_mutex_lock(&p->lock);
    chunk *c = p->room ? p->room : chunk_map(p);
    void *b = NULL;
    bool zeroed = false;
    if (c) {
        b = chunk_take(p, c, &zeroed);
        p->live++;
    }
    pthread_mutex_unlock(&p->lock);
    if (!b)
        return NULL;
    handed_out(b, p->block, zeroed);
    /* A block never handed out is still the system's zeroes: no need to write them. */
    if (!zeroed)
        memset(b, 0, p->block);
    return b;
}

void ivrsm_pool_put(ivrsm_pool *p, void *block)
{
    if (!block)
        return;
    given_back(block, p->block);
    chunk *c = chunk_of(block);
    pthread_mutex_lock(&p->lock);
    c->free_lines[c->nfree++] = (uint16_t)(((uintptr_t)block - (uintptr_t)c) / IVRSM_CACHE_LINE);
    c->live--;
    p->live--;
    if (c->live == 0)
        chunk_emptied(p, c);
    else if (!c->in_room || p->room != c)
        room_first(p, c); /* the block just given back is the next one taken: still warm */
    pthread_mutex_unlock(&p->lock);
}

void ivrsm_pool_free(ivrsm_pool *p)
{
    if (!p)
        return;
    while (p->all)
        chunk_unmap(p, p->all);
    pthread_mutex_destroy(&p->lock);
    ivrsm_mem_free(ivrsm_mem_default(), p);
}

size_t ivrsm_pool_block(const ivrsm_pool *p)
{
    return p->block;
}

size_t ivrsm_pool_bytes(const ivrsm_pool *p)
{
    pthread_mutex_lock((pthread_mutex_t *)&p->lock);
    size_t n = p->chunks * IVRSM_POOL_CHUNK + sizeof(*p);
    pthread_mutex_unlock((pthread_mutex_t *)&p->lock);
    return n;
}

size_t ivrsm_pool_live(const ivrsm_pool *p)
{
    pthread_mutex_lock((pthread_mutex_t *)&p->lock);
    size_t n = p->live;
    pthread_mutex_unlock((pthread_mutex_t *)&p->lock);
    return n;
}
