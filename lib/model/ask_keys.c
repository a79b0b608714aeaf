/*
 * What an ask tells the host about the keypad (ivrsm_command.ask: whether keys
 * are taken, how many, the key that ends an entry), worked out once per state
 * and language when the machine is loaded: it depends only on the state, the
 * state its input is handed on to, the machine's limits and the language, so a
 * call's asks copy it instead of working it out at each question.
 */
#include "arena.h"
#include "model.h"

/* What the keypad may send in a state: the digit bounds and terminator of its ask. */
typedef struct keypad {
    bool dtmf;
    int min, max;
    const char *term; /* the key that closes an entry, "" for none */
    bool term_routed; /* a route's DTMF uses the terminator: it is a choice, not an end */
} keypad;

static keypad state_keypad(const ivrsm_machine *m, const m_state *st, size_t lang)
{
    const m_limits *l = &m->limits;
    keypad k = {.term = l->dtmf_terminator ? l->dtmf_terminator : ""};
    bool dtmf = l->allow_dtmf;
    if (st->collect.mode)
        dtmf = dtmf && st->collect.allow_dtmf;
    k.dtmf = dtmf || st->dtmf_count > 0;
    /* The collect's own bounds; a shorter route ("0" for an agent) lowers the minimum. */
    int min = 1, max = 1;
    switch (st->collect.mode) {
    case IVRSM_COLLECT_PHONE:
        min = ivrsm_locale_phone_keys_min(m->languages[lang]);
        max = 20;
        break;
    case IVRSM_COLLECT_OTP: {
        int len = st->collect.length > 0 ? st->collect.length : l->otp_length;
        min = max = len;
        break;
    }
    case IVRSM_COLLECT_DATE_NL: /* DDMM or DDMMYYYY */
        min = 4;
        max = 8;
        break;
    case IVRSM_COLLECT_DATE_PAST: /* DDMMYY or DDMMYYYY */
        min = 6;
        max = 8;
        break;
    case IVRSM_COLLECT_DIGITS:
        min = st->collect.min;
        max = st->collect.max;
        if (st->collect.terminator)
            k.term = st->collect.terminator;
        break;
    case IVRSM_COLLECT_REFERENCE:
        /* Keys are digits: a code with letters is said, and the keypad takes routes alone. */
        if (!ivrsm_reference_keys(st->collect.patterns, &min, &max))
            k.dtmf = st->dtmf_count > 0;
        break;
    default:
        break;
    }
    if (st->dtmf_count) {
        min = st->min_dtmf_len < min ? st->min_dtmf_len : min;
        max = st->max_dtmf_len > max ? st->max_dtmf_len : max;
    }
    /* Route keys are DTMF keys (checked at load): a terminator byte that is none is in none. */
    k.term_routed = st->dtmf_count && *k.term && (ivrsm_m_dtmf_keys(k.term) & st->dtmf_keys);
    k.min = min < 1 ? 1 : min;
    k.max = max < k.min ? k.min : max;
    return k;
}

const m_state *ivrsm_m_input_consumer(const ivrsm_machine *m, const m_state *st)
{
    /* A plain `next` without collect or nomatch block hands the input no route takes on. */
    if (st->next < 0 || (size_t)st->next >= m->state_count || st->collect.mode ||
        st->nomatch.present)
        return NULL;
    const m_state *to = &m->states[st->next];
    return to->type == M_PROMPT_AND_LISTEN || to->type == M_LISTEN ? to : NULL;
}

void ivrsm_m_ask_keys(const ivrsm_machine *m, const m_state *st, size_t lang, m_ask_keys *out)
{
    keypad k = state_keypad(m, st, lang);
    /* "Dites le code à nouveau": the ask accepts what the state that consumes
     * the input accepts, or a six-digit code would be cut after one key. */
    const m_state *consumer = ivrsm_m_input_consumer(m, st);
    if (consumer) {
        keypad ck = state_keypad(m, consumer, lang);
        k.dtmf = k.dtmf || ck.dtmf;
        k.min = k.min < ck.min ? k.min : ck.min;
        k.max = k.max > ck.max ? k.max : ck.max;
        k.term_routed = k.term_routed || ck.term_routed;
        if (!*k.term)
            k.term = ck.term;
    }
    out->dtmf = k.dtmf;
    out->min_digits = k.min;
    out->max_digits = k.max;
    /* A terminator is needed for variable-length input, unless a route uses it as a choice. */
    out->terminators = (k.max > 1 && !k.term_routed) ? k.term : "";
    out->collect = st->collect.mode ? ivrsm_collect_mode_name(st->collect.mode) : NULL;
}

int ivrsm_m_ask_keys_build(ivrsm_machine *m, ivrsm_arena *arena)
{
    for (size_t i = 0; i < m->state_count; i++) {
        m_state *st = &m->states[i];
        st->ask_keys = ivrsm_arena_alloc(arena, m->language_count * sizeof(m_ask_keys));
        if (!st->ask_keys)
            return -1;
        for (size_t lang = 0; lang < m->language_count; lang++)
            ivrsm_m_ask_keys(m, st, lang, &st->ask_keys[lang]);
    }
    return 0;
}
