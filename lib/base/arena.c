#include "arena.h"
#include "mem.h"

#include <stdalign.h>
#include <string.h>

#define ARENA_BLOCK 8192

struct block {
    struct block *next;
    size_t used;
    size_t cap;
    alignas(max_align_t) unsigned char data[];
};

struct ivrsm_arena {
    struct block *head;
    size_t total;
    const ivrsm_mem *mem;
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
    struct block *b = a->head;
    while (b) {
        struct block *next = b->next;
        ivrsm_mem_free(a->mem, b);
        b = next;
    }
    ivrsm_mem_free(a->mem, a);
}

void *ivrsm_arena_alloc_raw(ivrsm_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    size = (size + align - 1) & ~(align - 1);
    if (size == 0)
        size = align;
    struct block *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        b = ivrsm_mem_malloc(a->mem, sizeof(struct block) + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        a->total += sizeof(struct block) + cap;
        /* A large one-off allocation goes behind the head so the head's free space stays usable. */
        if (a->head && size > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    return p;
}

void *ivrsm_arena_alloc(ivrsm_arena *a, size_t size)
{
    void *p = ivrsm_arena_alloc_raw(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

char *ivrsm_arena_strndup(ivrsm_arena *a, const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *p = ivrsm_arena_alloc_raw(a, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *ivrsm_arena_strdup(ivrsm_arena *a, const char *s)
{
    return s ? ivrsm_arena_strndup(a, s, strlen(s)) : NULL;
}

size_t ivrsm_arena_size(const ivrsm_arena *a)
{
    return a->total;
}
