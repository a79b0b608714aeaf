#include "arena.h"
#include "mem.h"

#define ARENA_BLOCK 8192

struct ivrsm_arena_block {
    struct ivrsm_arena_block *next;
    alignas(max_align_t) unsigned char data[];
};

ivrsm_arena *ivrsm_arena_new(const ivrsm_mem *mem)
{
    ivrsm_arena *a = ivrsm_mem_calloc(mem, 1, sizeof(ivrsm_arena));
    if (a)
        a->mem = mem;
    return a;
}

void ivrsm_arena_free(ivrsm_arena *a)
{
    if (!a)
        return;
    struct ivrsm_arena_block *b = a->head;
    while (b) {
        struct ivrsm_arena_block *next = b->next;
        ivrsm_mem_free(a->mem, b);
        b = next;
    }
    ivrsm_mem_free(a->mem, a);
}

void *ivrsm_arena_alloc_slow(ivrsm_arena *a, size_t size, size_t align)
{
    if (size == 0)
        size = 1;
    uintptr_t at = ((uintptr_t)a->cur + align - 1) & ~(uintptr_t)(align - 1);
    if (a->cur && at <= (uintptr_t)a->end && size <= (uintptr_t)a->end - at) {
        a->cur = (unsigned char *)at + size;
        return (void *)at;
    }
    if (size > SIZE_MAX - sizeof(struct ivrsm_arena_block))
        return NULL;
    size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
    struct ivrsm_arena_block *b = ivrsm_mem_malloc(a->mem, sizeof(*b) + cap);
    if (!b)
        return NULL;
    a->total += sizeof(*b) + cap;
    /* A large one-off allocation goes behind the head so the head's free space stays usable. */
    if (a->head && size > ARENA_BLOCK) {
        b->next = a->head->next;
        a->head->next = b;
        return b->data;
    }
    b->next = a->head;
    a->head = b;
    a->cur = b->data + size;
    a->end = b->data + cap;
    return b->data;
}

size_t ivrsm_arena_size(const ivrsm_arena *a)
{
    return a->total;
}
