/*
 * The compiled machine: reference counting, accessors, and the name indexes
 * behind state and intent lookups.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "compile.h"
#include "model.h"
#include "strmap.h"

/* --- Names ------------------------------------------------------------------- */

const char *ivrsm_m_state_type_name(m_state_type t)
{
    static const char *const names[M_STATE_TYPE_COUNT] = {
        "prompt_and_listen", "action_then_prompt", "listen", "handoff", "prompt_end", "decide"};
    return (unsigned)t < M_STATE_TYPE_COUNT ? names[t] : NULL;
}

static const char *name_at(const char *const *names, size_t stride, size_t i)
{
    return *(const char *const *)((const char *)names + i * stride);
}

uint32_t *ivrsm_machine_build_index(ivrsm_arena *arena, const char *const *names, size_t stride,
                                    size_t count, size_t *mask)
{
    size_t cap = 8;
    while (cap < count * 2)
        cap *= 2;
    uint32_t *slots = ivrsm_arena_alloc(arena, cap * sizeof(*slots));
    if (!slots)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        const char *name = name_at(names, stride, i);
        if (!name)
            continue;
        size_t s = ivrsm_hash(name, strlen(name)) & (cap - 1);
        while (slots[s])
            s = (s + 1) & (cap - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    *mask = cap - 1;
    return slots;
}

static int32_t index_find(const uint32_t *slots, size_t mask, const char *const *names,
                          size_t stride, const char *name)
{
    if (!slots || !name)
        return M_NONE;
    for (size_t s = ivrsm_hash(name, strlen(name)) & mask; slots[s]; s = (s + 1) & mask) {
        const char *cand = name_at(names, stride, slots[s] - 1);
        if (cand && !strcmp(cand, name))
            return (int32_t)(slots[s] - 1);
    }
    return M_NONE;
}

int32_t ivrsm_m_find_state(const struct ivrsm_machine *m, const char *name)
{
    if (!m || !m->state_count)
        return M_NONE;
    return index_find(m->state_slots, m->state_slot_mask, &m->states[0].name, sizeof(m_state),
                      name);
}

int32_t ivrsm_m_find_intent(const struct ivrsm_machine *m, const char *name)
{
    if (!m || !m->intent_count)
        return M_NONE;
    return index_find(m->intent_slots, m->intent_slot_mask, &m->intents[0].name, sizeof(m_intent),
                      name);
}

int32_t ivrsm_m_find_endpoint(const struct ivrsm_machine *m, const char *name)
{
    if (!m || !m->endpoint_count)
        return M_NONE;
    return index_find(m->endpoint_slots, m->endpoint_slot_mask, &m->endpoints[0].name,
                      sizeof(m_endpoint), name);
}

/* --- Lifetime ------------------------------------------------------------------ */

void ivrsm_machine_destroy(struct ivrsm_machine *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->owned_template_count; i++)
        ivrsm_tmpl_free(m->owned_templates[i]);
    ivrsm_mem_free(m->mem, m->owned_templates);
    for (size_t i = 0; i < m->owned_json_count; i++)
        json_decref(m->owned_json[i]);
    ivrsm_mem_free(m->mem, m->owned_json);
    json_decref(m->globals);
    ivrsm_numtexts_free(&m->numbers);
    ivrsm_tz_free(m->tz);
    ivrsm_arena_free(m->arena);
    ivrsm_pool_free(m->session_pool);
    ivrsm_mem_free(m->mem, m);
}

ivrsm_machine *ivrsm_machine_ref(ivrsm_machine *m)
{
    if (m)
        __atomic_fetch_add(&m->refcount, 1, __ATOMIC_RELAXED);
    return m;
}

void ivrsm_machine_unref(ivrsm_machine *m)
{
    /* Release/acquire: whoever frees sees every other thread's reads done. */
    if (m && __atomic_sub_fetch(&m->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        ivrsm_machine_destroy(m);
}

/* --- Accessors ------------------------------------------------------------------- */

const char *ivrsm_machine_name(const ivrsm_machine *m)
{
    return m ? m->name : NULL;
}

const char *ivrsm_machine_version(const ivrsm_machine *m)
{
    return m ? m->version : NULL;
}

size_t ivrsm_machine_state_count(const ivrsm_machine *m)
{
    return m ? m->state_count : 0;
}

const char *ivrsm_machine_state_name(const ivrsm_machine *m, size_t index)
{
    return m && index < m->state_count ? m->states[index].name : NULL;
}

const char *ivrsm_machine_state_type(const ivrsm_machine *m, size_t index)
{
    return m && index < m->state_count ? ivrsm_m_state_type_name(m->states[index].type) : NULL;
}

const char *ivrsm_machine_collect_pattern(const ivrsm_machine *m, size_t index)
{
    if (!m || index >= m->state_count || m->states[index].collect.mode != IVRSM_COLLECT_REFERENCE)
        return NULL;
    return m->states[index].collect.patterns;
}

int ivrsm_machine_collect_range(const ivrsm_machine *m, size_t index, int64_t *min,
                                int64_t *max)
{
    if (!m || index >= m->state_count || !m->states[index].collect.has_range)
        return 0;
    if (min)
        *min = m->states[index].collect.value_min;
    if (max)
        *max = m->states[index].collect.value_max;
    return 1;
}

int ivrsm_machine_utc_offset(const ivrsm_machine *m, int64_t unix_ms)
{
    if (!m || !m->tz)
        return 0;
    int64_t secs = unix_ms / 1000 - (unix_ms % 1000 < 0); /* floor: before 1970 too */
    return ivrsm_tz_offset(m->tz, secs);
}

int ivrsm_machine_state_index(const ivrsm_machine *m, const char *name)
{
    int32_t i = ivrsm_m_find_state(m, name);
    return i == M_NONE ? IVRSM_ENOTFOUND : (int)i;
}

size_t ivrsm_machine_initial_state(const ivrsm_machine *m)
{
    return m && m->initial >= 0 ? (size_t)m->initial : 0;
}

/* Counted when asked, not at every load: the globals' estimate dumps them. */
size_t ivrsm_machine_memory(const ivrsm_machine *m)
{
    if (!m)
        return 0;
    size_t total = sizeof(*m) + ivrsm_arena_size(m->arena);
    for (size_t i = 0; i < m->owned_template_count; i++)
        total += ivrsm_tmpl_memory(m->owned_templates[i]);
    total +=
        m->owned_template_count * sizeof(ivrsm_tmpl *) + m->owned_json_count * sizeof(json_t *);
    /* jansson does not say what a value holds; count the dumped size as an estimate. */
    if (m->globals)
        total += ivrsm_json_compact_size(m->globals) * 2;
    return total;
}

int ivrsm_machine_phone_e164(const ivrsm_machine *m, const char *number, char *out, size_t outlen)
{
    if (!m)
        return IVRSM_EINVAL;
    return ivrsm_phone_e164_in(m->phone_region ? m->phone_region : m->locale, number, out, outlen);
}

const char *ivrsm_m_collect_target(const m_collect *c)
{
    static const char *const defaults[] = {
        [IVRSM_COLLECT_PHONE] = "phone_e164",
        [IVRSM_COLLECT_OTP] = "otp",
        [IVRSM_COLLECT_DATE_NL] = "pref_date",
        [IVRSM_COLLECT_FREE_SPEECH_OR_NO] = "cancel_comment",
        [IVRSM_COLLECT_DIGITS] = "digits",
        [IVRSM_COLLECT_DATE_PAST] = "date_past",
        [IVRSM_COLLECT_REFERENCE] = "reference",
    };
    if (c->target)
        return c->target;
    return (size_t)c->mode < sizeof defaults / sizeof defaults[0] ? defaults[c->mode] : NULL;
}

/* Distinct top-level keys seen so far (their first parts), at most M_CTX_ROOT_KEYS_MAX. */
typedef struct root_keys {
    char key[M_CTX_ROOT_KEYS_MAX][M_CTX_KEY_PART_MAX + 8];
    size_t len[M_CTX_ROOT_KEYS_MAX];
    uint32_t count;
} root_keys;

/* Count the first part of ctx key `key`, `suffix` after it when it has no dot, once. */
static void count_key(root_keys *k, const char *key, const char *suffix)
{
    if (!key || k->count == M_CTX_ROOT_KEYS_MAX)
        return;
    char *part = k->key[k->count];
    const char *dot = strchr(key, '.');
    size_t len = dot ? (size_t)(dot - key) : strlen(key);
    size_t extra = !dot && suffix ? strlen(suffix) : 0;
    if (len + extra >= sizeof k->key[0])
        return; /* longer than a key part may be: refused when written */
    memcpy(part, key, len);
    if (extra)
        memcpy(part + len, suffix, extra);
    len += extra;
    for (uint32_t i = 0; i < k->count; i++)
        if (k->len[i] == len && !memcmp(k->key[i], part, len))
            return;
    k->len[k->count++] = len;
}

void ivrsm_m_each_set(const m_state *st, void (*fn)(void *user, const m_kvlist *set), void *user)
{
    for (size_t r = 0; r < st->route_count; r++)
        fn(user, &st->routes[r].set);
    fn(user, &st->fallback.set);
    fn(user, &st->on_success.set);
    fn(user, &st->on_fail.set);
    fn(user, &st->on_timeout.set);
    fn(user, &st->on_error.set);
    for (size_t o = 0; o < st->on_status_count; o++)
        fn(user, &st->on_status[o].outcome.set);
}

static void count_set(void *user, const m_kvlist *set)
{
    for (size_t i = 0; i < set->count; i++)
        count_key(user, set->items[i].key, NULL);
}

uint32_t ivrsm_m_ctx_root_keys(const struct ivrsm_machine *m)
{
    root_keys k;
    k.count = 0;
    count_key(&k, "call_id", NULL);
    count_key(&k, "session_id", NULL);
    count_key(&k, "language", NULL);
    for (size_t i = 0; i < m->input_count; i++)
        count_key(&k, m->inputs[i].pub.name, NULL);
    for (size_t i = 0; i < m->state_count; i++) {
        const m_state *st = &m->states[i];
        ivrsm_m_each_set(st, count_set, &k);
        if (!st->collect.mode)
            continue;
        const char *target = ivrsm_m_collect_target(&st->collect);
        if (st->collect.mode == IVRSM_COLLECT_DATE_NL) {
            count_key(&k, target, "_from");
            count_key(&k, target, "_to");
        } else {
            count_key(&k, target, NULL);
        }
    }
    return k.count;
}

int ivrsm_m_language_index(const struct ivrsm_machine *m, const char *tag)
{
    if (!m || !tag)
        return -1;
    const ivrsm_locale *loc = ivrsm_locale_find(tag);
    for (size_t i = 0; loc && i < m->language_count; i++)
        if (m->languages[i] == loc)
            return (int)i;
    size_t len = strlen(tag);
    if (len == 0 || len > 8 || strcspn(tag, "-_") != len)
        return -1; /* a tag with a region names that region */
    for (size_t i = 0; i < m->language_count; i++) {
        const char *own = ivrsm_locale_tag(m->languages[i]);
        if (own && strncasecmp(own, tag, len) == 0 && (own[len] == '-' || own[len] == '_'))
            return (int)i;
    }
    return -1;
}
