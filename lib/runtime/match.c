/*
 * What an input means in a state (DESIGN.md section 4, contextual intents):
 * only the intents the state routes are considered. DTMF matches a whole
 * digit string exactly; speech is normalised (with the rules of the call's
 * language: folds, contractions) and matched as whole-word phrases of the
 * call's language, the phrase with the most of its own first (the bytes of its
 * words no phrase of another route has), then the longest, then route order (the loader
 * sorted the state's phrase table of each language that way; a phrase of
 * M_PHRASE_AMBIGUOUS heard first makes the sentence a no-match), each occurrence heard
 * unless the caller takes it back (inside "I don't know", after a negation:
 * ivrsm_text_heard()); an intent named by an
 * external recogniser matches the route that names it. A route with a `when`
 * condition takes the input only while its condition holds; otherwise the
 * search goes on as if the route were not there.
 */
#include <string.h>

#include "session.h"
#include "text.h"

static bool dtmf_chars_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D')))
            return false;
    }
    return len > 0;
}

bool ivrsm_s_route_holds(const ivrsm_session *s, const m_route *r)
{
    if (!r->when)
        return true;
    ivrsm_tmpl_scope sc = ivrsm_s_scope(s);
    return ivrsm_tmpl_test(r->when, &sc) != 0;
}

static int find_dtmf(const ivrsm_session *s, const m_state *st, const char *digits, size_t len)
{
    for (size_t i = 0; i < st->dtmf_count; i++) {
        const m_dtmf_entry *e = &st->dtmf[i];
        /* Keys are at least one byte long: the first is compared before the call. */
        if (e->len == len && e->digits[0] == digits[0] && memcmp(e->digits, digits, len) == 0 &&
            ivrsm_s_route_holds(s, &st->routes[e->route]))
            return e->route;
    }
    return -1;
}

static s_match match_dtmf(const ivrsm_session *s, const m_state *st, const char *text, size_t len)
{
    s_match r = {MATCH_NONE, -1, "dtmf"};
    if (!dtmf_chars_valid(text, len))
        return r;
    int route = find_dtmf(s, st, text, len);
    /* "1#": the terminator the host may pass along is not part of the choice. */
    const char *term = s->limits->dtmf_terminator;
    if (route < 0 && len > 1 && term && *term && strchr(term, text[len - 1]))
        route = find_dtmf(s, st, text, len - 1);
    if (route >= 0) {
        r.kind = MATCH_ROUTE;
        r.route = route;
    }
    return r;
}

/*
 * The route a phrase naming a place from the end of a list or its middle selects ("the last
 * one": M_PHRASE_LAST): that place among the routes of t->places whose conditions hold (a list
 * of two said as three routes, the third's condition false, has the second as its last); -1
 * when there is none (the middle of an even count).
 */
static int place_route(const ivrsm_session *s, const m_state *st, const m_phrase_table *t,
                       uint16_t which)
{
    size_t n = 0;
    for (size_t k = 0; k < t->place_count; k++)
        n += ivrsm_s_route_holds(s, &st->routes[t->places[k]]);
    size_t wanted; /* which of the n holding, from 0 */
    if (which == M_PHRASE_LAST && n >= 1)
        wanted = n - 1;
    else if (which == M_PHRASE_BEFORE_LAST && n >= 2)
        wanted = n - 2;
    else if (which == M_PHRASE_MIDDLE && n >= 3 && n % 2 == 1)
        wanted = n / 2;
    else
        return -1;
    for (size_t k = 0; k < t->place_count; k++)
        if (ivrsm_s_route_holds(s, &st->routes[t->places[k]]) && wanted-- == 0)
            return t->places[k];
    return -1;
}

/* Whether phrase p is heard in the normalised sentence norm[0..n) and its route holds. */
static inline bool phrase_takes(const ivrsm_session *s, const ivrsm_text_rules *rules,
                                const m_state *st, const m_phrase_entry *p, const char *norm,
                                size_t n, ivrsm_heard_memo *memo)
{
    return p->len <= n &&
           ivrsm_text_hears_phrase_memo(rules, norm, n, p->phrase, p->len, p->may_not_know, memo) &&
           (p->route == M_PHRASE_AMBIGUOUS || ivrsm_s_route_holds(s, &st->routes[p->route]));
}

/* When no phrase of the state's routes is heard, or only the words of no route ("the second to
 * last", which holds the route phrase "second"): the route of the first phrase of t naming a
 * place in the list from its end or its middle that is heard ("the last one"), -1 when none. */
__attribute__((noinline)) static int find_place_route(const ivrsm_session *s,
                                                      const ivrsm_text_rules *rules,
                                                      const m_state *st, const m_phrase_table *t,
                                                      const char *norm, size_t n,
                                                      const ivrsm_word_starts *starts)
{
    ivrsm_heard_memo memo = {0};
    memo.starts = starts->bits;
    memo.keys = &starts->keys;
    for (size_t i = 0; i < t->place_phrase_count; i++) {
        const m_phrase_entry *p = &t->place_phrases[i];
        if (p->len <= n &&
            ivrsm_text_hears_phrase_memo(rules, norm, n, p->phrase, p->len, p->may_not_know, &memo))
            return place_route(s, st, t, p->route);
    }
    return -1;
}

/*
 * Whether a word of norm[0..n) that is not one of phrase p's starts with the stem of a word of
 * its own of another route's phrase (t->stems), heard as said (not taken back by a negation or
 * a correction): p, made of shared words only, may then be said
 * as part of that phrase in another form ("annulez ma livraison" against "annuler ma
 * livraison").
 */
static bool other_stem_said(const ivrsm_text_rules *rules, const m_phrase_table *t,
                            const m_phrase_entry *p, const char *norm, size_t n)
{
    for (size_t at = 0; at < n;) {
        size_t end = at;
        while (end < n && norm[end] != ' ')
            end++;
        const size_t len = end - at;
        if (len >= 5 && !ivrsm_text_has_phrase(p->phrase, p->len, norm + at, len))
            for (size_t k = 0; k < t->stem_count; k++) {
                const m_phrase_stem *st = &t->stems[k];
                if (st->route != p->route && st->len <= len &&
                    memcmp(norm + at, st->stem, st->len) == 0 &&
                    ivrsm_text_heard(rules, norm, n, at, len, false))
                    return true;
            }
        at = end + 1;
    }
    return false;
}

/* The route phrase p, heard in norm[0..n), selects: ROUTE_AMBIGUOUS for the ambiguous words
 * around a shared phrase, and for a phrase of shared words only when another route's own word
 * is said too. */
#define ROUTE_AMBIGUOUS (-2)
static int route_heard(const ivrsm_text_rules *rules, const m_phrase_table *t,
                       const m_phrase_entry *p, const char *norm, size_t n)
{
    if (p->route == M_PHRASE_AMBIGUOUS ||
        (!p->own_bytes && t->stem_count && other_stem_said(rules, t, p, norm, n)))
        return ROUTE_AMBIGUOUS;
    return p->route;
}

/*
 * The phrases of t that start with a byte starting a word of the sentence (`starts`), as a set
 * of their indexes: the union of those bytes' sets (t->by_first).
 */
static uint64_t phrases_starting(const m_phrase_table *t, const ivrsm_word_starts *starts)
{
    uint64_t set = 0;
    for (unsigned k = 0; k < 4; k++)
        for (uint64_t bits = starts->bits[k]; bits; bits &= bits - 1) {
            const uint8_t slot = t->first_slot[k * 64 + (unsigned)__builtin_ctzll(bits)];
            if (slot)
                set |= t->by_first[slot - 1];
        }
    return set;
}

/*
 * The route of the first phrase of t, in table order, heard in norm[0..n) whose route holds;
 * -1 when none, ROUTE_AMBIGUOUS when that phrase is heard for no route (route_heard()).
 * Only the phrases whose first byte starts a word of the sentence can be: through the table's
 * sets by first byte when it has them, else each phrase's first byte tested in turn.
 */
static int find_phrase_route(const ivrsm_session *s, const ivrsm_text_rules *rules,
                             const m_state *st, const m_phrase_table *t, const char *norm, size_t n,
                             const ivrsm_word_starts *starts)
{
    /* What the phrases' searches read of the sentence, for the next (negations). */
    ivrsm_heard_memo memo = {0};
    memo.starts = starts->bits;
    memo.keys = &starts->keys;
    if (t->by_first) {
        for (uint64_t set = phrases_starting(t, starts); set; set &= set - 1) {
            const m_phrase_entry *p = &t->phrases[__builtin_ctzll(set)];
            if (phrase_takes(s, rules, st, p, norm, n, &memo))
                return route_heard(rules, t, p, norm, n);
        }
        return -1;
    }
    for (size_t i = 0; i < t->phrase_count; i++) {
        const m_phrase_entry *p = &t->phrases[i];
        if (ivrsm_word_starts_has(starts, (unsigned char)p->phrase[0]) &&
            phrase_takes(s, rules, st, p, norm, n, &memo))
            return route_heard(rules, t, p, norm, n);
    }
    return -1;
}

/* In a language whose words are said in other forms or as compounds: norm[0..n) with its words
 * written as the words of t's phrases ("eine Kartensperrung" as "eine karte sperren",
 * t->lexicon) into forms (cap bytes), its words noted in *starts; 0 when no word changed. */
__attribute__((noinline)) static size_t phrase_forms(const ivrsm_text_rules *rules,
                                                     const m_phrase_table *t, const char *norm,
                                                     size_t n, char *forms, size_t cap,
                                                     ivrsm_word_starts *starts)
{
    const size_t m =
        ivrsm_text_phrase_forms(rules, norm, n, t->lexicon, t->lexicon_count, forms, cap);
    if (m > 0)
        ivrsm_text_word_starts(forms, m, starts);
    return m;
}

/* A sentence that is a key said instead of pressed ("option 2", "touche deux") selects the
 * route of that key, as the key would (ivrsm_locale_key_said()), in a state that collects no
 * value (in one that collects, only once the collect has not taken the sentence as a value:
 * ivrsm_s_match_key_said()); else r as it is. */
static s_match match_key_said(const ivrsm_session *s, const ivrsm_locale *loc, const m_state *st,
                              const char *text, size_t len, s_match r)
{
    char key[8];
    /* Not in a state that collects: "nine" to a question of a number is the value. */
    if (st->dtmf_count == 0 || st->collect.mode != IVRSM_COLLECT_NONE ||
        ivrsm_locale_key_said(loc, text, len, key, sizeof key) != 0)
        return r;
    int route = find_dtmf(s, st, key, strlen(key));
    if (route >= 0) {
        r.kind = MATCH_ROUTE;
        r.route = route;
    }
    return r;
}

int ivrsm_s_match_key_said(const ivrsm_session *s, const m_state *st, const char *text, size_t len)
{
    char key[8];
    if (st->dtmf_count == 0 ||
        ivrsm_locale_key_said(s->m->languages[s->language], text, len, key, sizeof key) != 0)
        return -1;
    return find_dtmf(s, st, key, strlen(key));
}

/* How many words besides its own a phrase's words may be said across ("on m'a volé mon
 * portefeuille avec ma carte": "volé" and "carte" three words apart). */
#define SCATTER_REACH 3

/* Whether the words a[0..al) and b[0..bl) are one, or one in another form: of four bytes or
 * more, one the other with up to two bytes more at its end ("perdu" and "perdue", "vole" and
 * "volee", "stolen" and "stole"). */
static bool same_word_form(const char *a, size_t al, const char *b, size_t bl)
{
    if (al == bl)
        return memcmp(a, b, al) == 0;
    const size_t shorter = al < bl ? al : bl, longer = al < bl ? bl : al;
    return shorter >= 4 && longer - shorter <= 2 && memcmp(a, b, shorter) == 0;
}

/* Whether a word of norm[0..n) from word `from` to word `to` (counted from 0) is a clause
 * break ("but", "mais", "sondern"). */
static bool clause_break_between(const ivrsm_text_rules *rules, const char *norm, size_t n,
                                 size_t from, size_t to)
{
    if (!rules || !rules->clause_breaks)
        return false;
    size_t index = 0;
    for (size_t at = 0; at < n && index <= to; index++) {
        size_t end = at;
        while (end < n && norm[end] != ' ')
            end++;
        if (index > from && index < to)
            for (const struct ivrsm_text_words *b = rules->clause_breaks; b->text; b++)
                if (b->len == end - at && memcmp(b->text, norm + at, b->len) == 0)
                    return true;
        at = end + 1;
    }
    return false;
}

/* Whether word w[0..len) is a negation of the language's lists ("no", "pas", "nicht"). */
static bool is_negation_word(const ivrsm_text_rules *rules, const char *w, size_t len)
{
    const struct ivrsm_text_words *lists[] = {rules->negations, rules->clause_negations,
                                              rules->negations_after};
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++)
        for (const struct ivrsm_text_words *l = lists[k]; l && l->text; l++)
            if (l->len == len && memcmp(l->text, w, len) == 0)
                return true;
    return false;
}

/* Whether the phrase p holds a negation: its words are then heard as the phrase says them ("mi
 * pedido no ha llegado"), the negation said too. */
static bool phrase_negates(const ivrsm_text_rules *rules, const m_phrase_entry *p)
{
    for (size_t pa = 0; pa < p->len;) {
        size_t pe = pa;
        while (pe < p->len && p->phrase[pe] != ' ')
            pe++;
        if (is_negation_word(rules, p->phrase + pa, pe - pa))
            return true;
        pa = pe + 1;
    }
    return false;
}

/*
 * The route of the phrases of t->scatter with words of their own (own_bytes) whose words
 * norm[0..n) all says, heard as said, in any order, as said or in another form
 * (same_word_form()), within the count of their words of three bytes or more and SCATTER_REACH
 * words, in one clause: "ma carte a été volée" for "carte volée", "j'ai perdu ma carte" for
 * "carte perdue"; not "hallo ist da die Praxis" for "wo ist die Praxis". -1 when there is none,
 * or phrases of two routes.
 */
__attribute__((noinline)) static int scattered_route(const ivrsm_session *s,
                                                     const ivrsm_text_rules *rules,
                                                     const m_state *st, const m_phrase_table *t,
                                                     const char *norm, size_t n)
{
    int found = -1;
    for (size_t k = 0; k < t->scatter_count; k++) {
        const m_phrase_entry *p = &t->phrases[t->scatter[k]];
        if ((int)p->route == found || !p->own_bytes ||
            !ivrsm_s_route_holds(s, &st->routes[p->route]))
            continue;
        size_t first = SIZE_MAX, last = 0, content = 0;
        bool all = true;
        const bool negates = rules && phrase_negates(rules, p);
        for (size_t pa = 0; pa < p->len && all;) {
            size_t pe = pa;
            while (pe < p->len && p->phrase[pe] != ' ')
                pe++;
            const bool negation = negates && is_negation_word(rules, p->phrase + pa, pe - pa);
            {
                content += pe - pa >= 3 && !negation;
                bool hit = false;
                size_t index = 0;
                for (size_t at = 0; at < n && !hit; index++) {
                    size_t end = at;
                    while (end < n && norm[end] != ' ')
                        end++;
                    if (same_word_form(norm + at, end - at, p->phrase + pa, pe - pa) &&
                        (negates || ivrsm_text_heard(rules, norm, n, at, end - at, false))) {
                        hit = true;
                        first = index < first ? index : first;
                        last = index > last ? index : last;
                    }
                    at = end + 1;
                }
                all = hit;
            }
            pa = pe + 1;
        }
        if (!all || content < 2 || last - first > content + SCATTER_REACH ||
            clause_break_between(rules, norm, n, first, last))
            continue;
        if (found >= 0)
            return -1; /* the words of two routes' phrases */
        found = p->route;
    }
    return found;
}

/* The kinds of change (IVRSM_CHANGE_*) of the verbs of norm[0..n) heard as said (not taken
 * back by a negation or a correction) and not reported done ("was cancelled": one of
 * change_reported among the two words before): "verlegen", "décaler", "to be cancelled". */
static unsigned change_said(const ivrsm_locale *loc, const ivrsm_text_rules *rules,
                            const char *norm, size_t n)
{
    unsigned kinds = 0;
    /* The two words before, where a verb reported done is said ("was cancelled"). */
    size_t before[2][2] = {{0, 0}, {0, 0}};
    for (size_t at = 0; at < n;) {
        size_t end = at;
        while (end < n && norm[end] != ' ')
            end++;
        const unsigned k = ivrsm_locale_change_kind(loc, norm + at, end - at);
        if (k && !ivrsm_locale_reports_change(loc, norm + before[0][0], before[0][1]) &&
            !ivrsm_locale_reports_change(loc, norm + before[1][0], before[1][1]) &&
            ivrsm_text_heard(rules, norm, n, at, end - at, false))
            kinds |= k;
        before[0][0] = before[1][0];
        before[0][1] = before[1][1];
        before[1][0] = at;
        before[1][1] = end - at;
        at = end + 1;
    }
    return kinds;
}

/*
 * The route a sentence is heard for once its verbs of change are read (t->route_change):
 * `route` (heard by a phrase, or -1), unless it asks for a new thing only and the caller says
 * a verb of change ("kann ich den Termin auf Freitag verlegen" is no booking through "Termin"),
 * or it is -1 and the caller says a move or a cancellation ("je voudrais le décaler"): then
 * the one route whose phrases say a verb of that kind, if it holds, else -1.
 */
__attribute__((noinline)) static int change_route(const ivrsm_session *s, const ivrsm_locale *loc,
                                                  const ivrsm_text_rules *rules, const m_state *st,
                                                  const m_phrase_table *t, const char *norm,
                                                  size_t n, int route)
{
    if (route >= 0 && !(t->route_change[route] & M_ROUTE_NEW_ONLY))
        return route;
    unsigned said = change_said(loc, rules, norm, n);
    if (route < 0)
        said &= IVRSM_CHANGE_MOVE | IVRSM_CHANGE_CANCEL; /* "change" says too little alone */
    if (!said)
        return route;
    int to = -1;
    for (unsigned k = 0; k < 3; k++) {
        if (!(said & (1u << k)))
            continue;
        if (t->kind_route[k] < 0 || (to >= 0 && to != t->kind_route[k]))
            return -1;
        to = t->kind_route[k];
    }
    return to >= 0 && ivrsm_s_route_holds(s, &st->routes[to]) ? to : -1;
}

static s_match match_speech(const ivrsm_session *s, const ivrsm_locale *loc, const m_state *st,
                            const m_phrase_table *t, const char *text, size_t len,
                            double confidence)
{
    const ivrsm_text_rules *rules = ivrsm_locale_text_rules(loc);
    const m_limits *l = s->limits;
    s_match r = {MATCH_NONE, -1, "speech"};
    if (confidence >= 0 && confidence < l->min_confidence) {
        r.why = "low-confidence";
        return r;
    }
    /* A state without phrases in this language (a collect of a code or a date, say) hears no
     * route in speech but a key said: nothing to normalise the sentence for. */
    if (!t || t->phrase_count == 0)
        return match_key_said(s, loc, st, text, len, r);
    char norm[IVRSM_MAX_INPUT_BYTES * 2 + 2];
    ivrsm_word_starts starts;
    int n = ivrsm_text_normalize_starts(rules, text, len, norm, sizeof(norm), &starts);
    if (n <= 0)
        return r;
    /* "ich sage den Termin ab": the verb of a phrase said apart is joined again first, and the
     * words of the sentence noted again (the infinitive is a word of its own). */
    for (size_t k = 0; k < t->separable_count; k++) {
        size_t joined = (size_t)n;
        const m_separable *v = &t->separable[k];
        if (ivrsm_text_rejoin_separable(norm, &joined, sizeof(norm), v->prefix, v->prefix_len,
                                        v->stem, v->stem_len)) {
            n = (int)joined;
            ivrsm_text_word_starts(norm, joined, &starts);
        }
    }
    /* Heard as said, then (German) with its words as the phrases': "Kartensperrung" is "Karte
     * sperren". One call of find_phrase_route(), which stays inline. */
    char forms[sizeof norm];
    const char *heard = norm;
    size_t heard_len = (size_t)n;
    int route;
    bool ambiguous = false; /* a phrase heard for no route: no other reading of the words */
    for (int again = 0;; again = 1) {
        route = find_phrase_route(s, rules, st, t, heard, heard_len, &starts);
        if (route == ROUTE_AMBIGUOUS) {
            ambiguous = true;
            route = -1;
        }
        if (route < 0 && !again && t->place_phrase_count) /* "the last one" */
            route = find_place_route(s, rules, st, t, heard, heard_len, &starts);
        if (route >= 0 || again || !t->lexicon_count ||
            (heard_len = phrase_forms(rules, t, norm, (size_t)n, forms, sizeof forms, &starts)) ==
                0)
            break;
        heard = forms;
    }
    if (route < 0 && !ambiguous && t->scatter_count) /* "ma carte a été volée": "carte volée" */
        route = scattered_route(s, rules, st, t, norm, (size_t)n);
    if (t->route_change && route >= 0 && (t->route_change[route] & M_ROUTE_NEW_ONLY))
        route = change_route(s, loc, rules, st, t, norm, (size_t)n, route);
    if (route >= 0) {
        r.kind = MATCH_ROUTE;
        r.route = route;
        return r;
    }
    r = match_key_said(s, loc, st, norm, (size_t)n, r);
    if (r.kind != MATCH_ROUTE && !ambiguous && t->route_change &&
        (route = change_route(s, loc, rules, st, t, norm, (size_t)n, -1)) >= 0) {
        r.kind = MATCH_ROUTE;
        r.route = route;
    }
    return r;
}

static s_match match_intent(const ivrsm_session *s, const m_state *st, const char *name)
{
    s_match r = {MATCH_NONE, -1, "intent"};
    int32_t intent = ivrsm_m_find_intent(s->m, name);
    if (intent < 0)
        return r;
    for (size_t i = 0; i < st->route_count; i++) {
        if (st->routes[i].kind == M_ROUTE_INTENT && st->routes[i].intent == intent &&
            ivrsm_s_route_holds(s, &st->routes[i])) {
            r.kind = MATCH_ROUTE;
            r.route = (int)i;
            return r;
        }
    }
    return r;
}

s_match ivrsm_s_match_routes(const ivrsm_session *s, const m_state *st, ivrsm_event_type type,
                             const char *text, size_t len, double confidence)
{
    const ivrsm_machine *m = s->m;
    switch (type) {
    case IVRSM_EVENT_DTMF:
        return match_dtmf(s, st, text, len);
    case IVRSM_EVENT_SPEECH:
        return match_speech(s, m->languages[s->language], st,
                            st->phrases ? &st->phrases[s->language] : NULL, text, len, confidence);
    case IVRSM_EVENT_INTENT:
        return match_intent(s, st, text);
    default: {
        s_match none = {MATCH_NONE, -1, "none"};
        return none;
    }
    }
}
