/*
 * Calls by UUID: see call_table.h.
 */
#include "call_table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "calls_int.h"

/* A removed slot: probing goes on past it, inserting may reuse it. */
static struct call tombstone_call;
#define CALL_TABLE_TOMBSTONE (&tombstone_call)

/*
 * A UUID's hash, eight bytes a step: a multiply and a shift per word, and a
 * finaliser (MurmurHash3's) so that every byte reaches the low bits the
 * table masks. FNV-1a, a multiplication per byte, was a chain of 36 of them
 * for a channel UUID. UUIDs come from FreeSWITCH, not from callers, and are
 * random: a simple hash spreads them well.
 */
static uint64_t hash_uuid(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    memcpy(&tail, s, n);
    h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h;
}

struct call *call_table_find_hashed(const call_table *t, const char *uuid, uint64_t hash)
{
    if (t->slot_count == 0)
        return NULL;
    size_t mask = t->slot_count - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const call_table_slot *slot = &t->slots[i];
        if (!slot->call)
            return NULL;
        if (slot->hash == hash && slot->call != CALL_TABLE_TOMBSTONE &&
            !strcmp(slot->call->uuid, uuid))
            return slot->call;
    }
}

struct call *call_table_find(const call_table *t, const char *uuid)
{
    return call_table_find_hashed(t, uuid, hash_uuid(uuid));
}

uint64_t call_table_prefetch_slot(const call_table *t, const char *uuid)
{
    uint64_t hash = hash_uuid(uuid);
    if (t->slot_count)
        __builtin_prefetch(&t->slots[hash & (t->slot_count - 1)]);
    return hash;
}

void call_table_prefetch_call(const call_table *t, uint64_t hash)
{
    if (t->slot_count == 0)
        return;
    const call_table_slot *slot = &t->slots[hash & (t->slot_count - 1)];
    const struct call *c = slot->call;
    if (!c || c == CALL_TABLE_TOMBSTONE || slot->hash != hash)
        return; /* empty, or another call's: the lookup probes on, rarely far */
    /* The UUID strcmp() reads (FreeSWITCH's are 36 characters, on one line or two) and the
     * session pointer the event's handler reads next. */
    __builtin_prefetch(c->uuid);
    __builtin_prefetch(c->uuid + 36);
    __builtin_prefetch(&c->s);
}

/* Put c in the first free slot of its probe sequence (a tombstone reused); whether the slot
 * was empty (not a tombstone). */
static bool place(call_table_slot *slots, size_t slot_count, struct call *c)
{
    size_t mask = slot_count - 1;
    uint64_t h = hash_uuid(c->uuid);
    size_t i = h & mask;
    while (slots[i].call && slots[i].call != CALL_TABLE_TOMBSTONE)
        i = (i + 1) & mask;
    bool was_empty = !slots[i].call;
    slots[i] = (call_table_slot){h, c};
    return was_empty;
}

/* Rehash into `slot_count` slots, dropping the tombstones. */
static int rehash(call_table *t, size_t slot_count)
{
    call_table_slot *slots = calloc(slot_count, sizeof(*slots));
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
    if (place(t->slots, t->slot_count, c))
        t->used++;
    c->link.index = t->count;
    c->link.ended_next = NULL;
    c->link.queued = 0;
    t->all[t->count++] = c;
    return 0;
}

void call_table_remove(call_table *t, struct call *c)
{
    size_t mask = t->slot_count - 1;
    for (size_t i = hash_uuid(c->uuid) & mask; t->slots[i].call; i = (i + 1) & mask) {
        if (t->slots[i].call == c) {
            t->slots[i].call = CALL_TABLE_TOMBSTONE;
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
