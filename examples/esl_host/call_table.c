/*
 * Calls by UUID: see call_table.h.
 */
#include "call_table.h"

#include <stdlib.h>
#include <string.h>

#include "calls_int.h"

/* A removed slot: probing goes on past it, inserting may reuse it. */
static struct call tombstone_call;
#define CALL_TABLE_TOMBSTONE (&tombstone_call)

/* FNV-1a: UUIDs are random enough that a simple hash spreads them well. */
static uint64_t hash_uuid(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

struct call *call_table_find(const call_table *t, const char *uuid)
{
    if (t->slot_count == 0)
        return NULL;
    size_t mask = t->slot_count - 1;
    for (size_t i = hash_uuid(uuid) & mask;; i = (i + 1) & mask) {
        struct call *c = t->slots[i];
        if (!c)
            return NULL;
        if (c != CALL_TABLE_TOMBSTONE && !strcmp(c->uuid, uuid))
            return c;
    }
}

/* Put c in the first free slot of its probe sequence (a tombstone reused). */
static void place(struct call **slots, size_t slot_count, struct call *c)
{
    size_t mask = slot_count - 1;
    size_t i = hash_uuid(c->uuid) & mask;
    while (slots[i] && slots[i] != CALL_TABLE_TOMBSTONE)
        i = (i + 1) & mask;
    slots[i] = c;
}

/* Rehash into `slot_count` slots, dropping the tombstones. */
static int rehash(call_table *t, size_t slot_count)
{
    struct call **slots = calloc(slot_count, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < t->count; i++)
        place(slots, slot_count, t->all[i]);
    free(t->slots);
    t->slots = slots;
    t->slot_count = slot_count;
    t->used = t->count;
    return 0;
}

int call_table_add(call_table *t, struct call *c)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct call **all = realloc(t->all, cap * sizeof(*all));
        if (!all)
            return -1;
        t->all = all;
        t->cap = cap;
    }
    /* Keep the table at most three quarters full, tombstones counted. */
    if ((t->used + 1) * 4 > t->slot_count * 3) {
        size_t want = t->slot_count ? t->slot_count : 64;
        while ((t->count + 1) * 2 > want)
            want *= 2;
        if (rehash(t, want) != 0)
            return -1;
    }
    size_t mask = t->slot_count - 1;
    size_t i = hash_uuid(c->uuid) & mask;
    while (t->slots[i] && t->slots[i] != CALL_TABLE_TOMBSTONE)
        i = (i + 1) & mask;
    if (!t->slots[i])
        t->used++;
    t->slots[i] = c;
    c->link.index = t->count;
    c->link.ended_next = NULL;
    c->link.queued = 0;
    t->all[t->count++] = c;
    return 0;
}

void call_table_remove(call_table *t, struct call *c)
{
    size_t mask = t->slot_count - 1;
    for (size_t i = hash_uuid(c->uuid) & mask; t->slots[i]; i = (i + 1) & mask) {
        if (t->slots[i] == c) {
            t->slots[i] = CALL_TABLE_TOMBSTONE;
            break;
        }
    }
    struct call *last = t->all[--t->count];
    t->all[c->link.index] = last;
    last->link.index = c->link.index;
    if (c->link.queued) {
        /* Only the oldest ended call is ever removed while queued. */
        if (t->ended_head == c) {
            t->ended_head = c->link.ended_next;
            if (!t->ended_head)
                t->ended_tail = NULL;
        } else {
            for (struct call *p = t->ended_head; p; p = p->link.ended_next) {
                if (p->link.ended_next == c) {
                    p->link.ended_next = c->link.ended_next;
                    if (t->ended_tail == c)
                        t->ended_tail = p;
                    break;
                }
            }
        }
        c->link.queued = 0;
    }
}

void call_table_ended(call_table *t, struct call *c)
{
    if (c->link.queued)
        return;
    c->link.queued = 1;
    c->link.ended_next = NULL;
    if (t->ended_tail)
        t->ended_tail->link.ended_next = c;
    else
        t->ended_head = c;
    t->ended_tail = c;
}

struct call *call_table_oldest_ended(const call_table *t)
{
    return t->ended_head;
}

void call_table_free(call_table *t)
{
    free(t->slots);
    free(t->all);
    memset(t, 0, sizeof(*t));
}
