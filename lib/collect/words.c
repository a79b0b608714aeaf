/*
 * The word functions the collect parsers share: splitting an input into
 * normalised words, phrase lists, numbers said in words, digit strings.
 */
#include "words.h"

#include "date_parts.h"

#include "locale_tables.h"
#include "text.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Words
 * ------------------------------------------------------------------------- */

static int is_ascii_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_ascii_alnum(unsigned char c)
{
    return is_ascii_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/*
 * The length of a numeric date written with separators at in[i..len)
 * ("3/12", "03.12.2027": two or three digit groups joined by one repeated
 * '/', '.' or '-'), or 0 when there is none. i must start the digit run.
 */
static size_t numeric_date_run(const char *in, size_t i, size_t len)
{
    size_t j = i;
    char sep = 0;
    int groups = 0;
    for (;;) {
        size_t digits = 0;
        while (j < len && is_ascii_digit((unsigned char)in[j]) && digits < 5) {
            j++;
            digits++;
        }
        if (digits == 0 || digits > 4)
            return 0;
        groups++;
        if (groups == 3 || j >= len || (in[j] != '/' && in[j] != '.' && in[j] != '-'))
            break;
        if (sep && in[j] != sep)
            break;
        if (j + 1 >= len || !is_ascii_digit((unsigned char)in[j + 1]))
            break;
        sep = in[j];
        j++;
    }
    /* A run glued to a following letter is something else ("3/12abc"). */
    if (groups < 2 || (j < len && is_ascii_alnum((unsigned char)in[j])))
        return 0;
    return j - i;
}

/* Appends the space-separated words of normalised text[from..to) to the index. */
static int index_words(struct ivrsm_words *w, size_t from, size_t to)
{
    size_t i = from;
    while (i < to) {
        size_t start = i;
        while (i < to && w->text[i] != ' ')
            i++;
        if (w->count >= IVRSM_WORDS_MAX)
            return -1;
        w->start[w->count] = (unsigned short)start;
        w->len[w->count] = (unsigned short)(i - start);
        w->count++;
        w->text[i] = '\0';
        i++;
    }
    return 0;
}

/* Normalises in[from..to) into w->text at *used and indexes its words. */
static int add_segment(struct ivrsm_words *w, const struct ivrsm_locale *loc, size_t *used,
                       const char *in, size_t from, size_t to)
{
    if (to <= from)
        return 0;
    int n = ivrsm_text_normalize_rules(&loc->text, in + from, to - from, w->text + *used,
                                       sizeof w->text - *used);
    if (n < 0)
        return -1;
    if (index_words(w, *used, *used + (size_t)n) != 0)
        return -1;
    *used += (size_t)n + 1;
    return 0;
}

int ivrsm_words_split(struct ivrsm_words *w, const struct ivrsm_locale *loc, const char *in,
                      size_t len, int keep_numeric_dates)
{
    w->count = 0;
    /* Not valid UTF-8 is found by the normalisation of the segments, which hold every byte
     * but the ASCII of numeric dates. */
    if (len > IVRSM_COLLECT_INPUT_MAX)
        return -1;
    /* A language that writes numbers as one word ("zwoelftausenddreihundert") has its
     * thousands and hundreds cut out of them, for every parser (year_glued). */
    char glued[2 * IVRSM_COLLECT_INPUT_MAX];
    if (loc->year_glued) {
        len = ivrsm_date_unglue(loc, in, len, glued, sizeof glued);
        if (len == SIZE_MAX)
            return -1;
        in = glued;
    }
    size_t used = 0;
    size_t segment = 0;
    for (size_t i = 0; keep_numeric_dates && i < len; i++) {
        if (!is_ascii_digit((unsigned char)in[i]) ||
            (i > 0 && is_ascii_digit((unsigned char)in[i - 1])))
            continue;
        size_t run = numeric_date_run(in, i, len);
        if (run == 0)
            continue;
        if (add_segment(w, loc, &used, in, segment, i) != 0 || w->count >= IVRSM_WORDS_MAX ||
            used + run + 1 > sizeof w->text)
            return -1;
        memcpy(w->text + used, in + i, run);
        w->text[used + run] = '\0';
        w->start[w->count] = (unsigned short)used;
        w->len[w->count] = (unsigned short)run;
        w->count++;
        used += run + 1;
        i += run - 1;
        segment = i + 1;
    }
    return add_segment(w, loc, &used, in, segment, len);
}

/*
 * The phrase's words are compared with the caller's as they are read: most
 * phrases differ at their first letter, so a phrase costs a byte or two, not a
 * scan for its space and a compare (numbers and dates try hundreds per input).
 */
size_t ivrsm_words_match_full(const struct ivrsm_words *w, size_t at, const char *phrase)
{
    size_t n = 0;
    const char *p = phrase;
    while (*p) {
        if (at + n >= w->count)
            return 0;
        const char *word = w->text + w->start[at + n];
        size_t len = w->len[at + n], k = 0;
        /* A word holds no space (the text is cut at them), so the phrase's space that ends
         * its word stops this loop as any other difference does. */
        while (k < len && p[k] == word[k])
            k++;
        if (k != len || (p[k] != ' ' && p[k] != '\0'))
            return 0;
        n++;
        p += len;
        if (*p == ' ')
            p++;
    }
    return n;
}

/*
 * The scans of a list or of the number table try every entry at a word, and
 * most differ from it at their first byte: that byte is read once per scan
 * here, and an entry that cannot start there costs a compare
 * (ivrsm_words_match() makes the same test, entry by entry). -1 past the
 * last word, where nothing matches.
 */
static int first_byte_at(const struct ivrsm_words *w, size_t at)
{
    return at < w->count ? (unsigned char)w->text[w->start[at]] : -1;
}

/* Whether `phrase` may match at a word starting with byte `first` (ivrsm_words_match's test). */
static int may_start_with(const char *phrase, int first)
{
    return (unsigned char)phrase[0] == first || phrase[0] == ' ';
}

size_t ivrsm_words_match_any(const struct ivrsm_words *w, size_t at, const char *const *phrases,
                             size_t *which)
{
    size_t best = 0;
    const int first = first_byte_at(w, at);
    if (first < 0)
        return 0;
    for (size_t i = 0; phrases && phrases[i]; i++) {
        if (!may_start_with(phrases[i], first))
            continue;
        size_t n = ivrsm_words_match(w, at, phrases[i]);
        if (n > best) {
            best = n;
            if (which)
                *which = i;
        }
    }
    return best;
}

size_t ivrsm_words_skip_any(const struct ivrsm_words *w, size_t at, const char *const *phrases)
{
    size_t n;
    while ((n = ivrsm_words_match_any(w, at, phrases, NULL)) > 0)
        at += n;
    return at;
}

/* ---------------------------------------------------------------------------
 * The locale's phrase lists, by the key of their first word
 * ------------------------------------------------------------------------- */

/* Where each list lives in a locale, and whether it holds phrase values. */
static const struct {
    size_t offset;
    int values;
} list_fields[IVRSM_LIST_COUNT] = {
#define PHRASE_FIELD(field) {offsetof(struct ivrsm_locale, field), 0},
#define VALUE_FIELD(field) {offsetof(struct ivrsm_locale, field), 1},
    IVRSM_LOCALE_PHRASE_LISTS(PHRASE_FIELD) IVRSM_LOCALE_VALUE_LISTS(VALUE_FIELD)
#undef PHRASE_FIELD
#undef VALUE_FIELD
};

/* The text of entry i of list `list` of loc, or NULL past its end (or for a list not set). */
static const char *list_text(const struct ivrsm_locale *loc, enum ivrsm_list_id list, size_t i)
{
    const char *field = (const char *)loc + list_fields[list].offset;
    if (list_fields[list].values) {
        const struct ivrsm_phrase_value *values;
        memcpy(&values, field, sizeof values);
        return values ? values[i].text : NULL;
    }
    const char *const *phrases;
    memcpy(&phrases, field, sizeof phrases);
    return phrases ? phrases[i] : NULL;
}

/* Chains the entries of one list into ix from entry number *used on; 0, or -1 when it cannot
 * be indexed (no room left, or a phrase that starts with a space and may match anywhere). */
static int index_list(const struct ivrsm_locale *loc, enum ivrsm_list_id list, ivrsm_list_index *ix,
                      size_t *used)
{
    uint16_t tail[IVRSM_LIST_BUCKETS] = {0};
    ix->first[list] = (uint16_t)*used;
    for (size_t i = 0; list_text(loc, list, i); i++) {
        const char *text = list_text(loc, list, i);
        if (text[0] == ' ' || *used + i + 1 > IVRSM_LIST_ENTRIES_MAX)
            return -1;
        if (text[0] == '\0') /* an empty phrase never matches */
            continue;
        const uint16_t k = (uint16_t)(*used + i + 1);
        ix->next[k] = 0; /* a list that failed before may have left one */
        const unsigned key = ivrsm_list_key((unsigned char)text[0], strcspn(text, " "));
        if (tail[key])
            ix->next[tail[key]] = k;
        else
            ix->head[list][key] = k;
        tail[key] = k;
    }
    for (size_t i = 0; list_text(loc, list, i); i++)
        (*used)++;
    return 0;
}

/* Build the index of loc's lists into ix (its builder only). */
static void build_list_index(const struct ivrsm_locale *loc, ivrsm_list_index *ix)
{
    memset(ix->head, 0, sizeof ix->head);
    memset(ix->next, 0, sizeof ix->next);
    size_t used = 0;
    for (int list = 0; list < IVRSM_LIST_COUNT; list++) {
        size_t before = used;
        if (index_list(loc, (enum ivrsm_list_id)list, ix, &used) != 0) {
            memset(ix->head[list], 0, sizeof ix->head[list]);
            used = before;
            ix->whole[list] = 1;
        } else {
            ix->whole[list] = 0;
        }
    }
    atomic_store_explicit(&ix->phase, 2, memory_order_release);
}

/* loc's list index when it is built (built now by the first caller), else NULL. */
static const ivrsm_list_index *list_index(const struct ivrsm_locale *loc)
{
    ivrsm_list_index *ix = loc->lists_index;
    if (!ix)
        return NULL;
    int phase = atomic_load_explicit(&ix->phase, memory_order_acquire);
    if (phase == 0) {
        int expected = 0;
        if (atomic_compare_exchange_strong_explicit(&ix->phase, &expected, 1, memory_order_acq_rel,
                                                    memory_order_acquire))
            build_list_index(loc, ix);
        phase = atomic_load_explicit(&ix->phase, memory_order_acquire);
    }
    return phase == 2 ? ix : NULL;
}

/*
 * The longest phrase of the list at `at`, its position in *which: through the chain of the
 * word's key when the list is indexed, else every phrase (ivrsm_words_match_any()'s scan).
 * Ties go to the first in list order either way.
 */
static size_t match_list(const struct ivrsm_words *w, size_t at, const struct ivrsm_locale *loc,
                         enum ivrsm_list_id list, size_t *which)
{
    if (at >= w->count)
        return 0;
    const ivrsm_list_index *ix = list_index(loc);
    size_t best = 0;
    if (!ix || ix->whole[list]) {
        for (size_t i = 0; list_text(loc, list, i); i++) {
            size_t n = ivrsm_words_match(w, at, list_text(loc, list, i));
            if (n > best) {
                best = n;
                *which = i;
            }
        }
        return best;
    }
    const unsigned key = ivrsm_list_key((unsigned char)w->text[w->start[at]], w->len[at]);
    for (unsigned k = ix->head[list][key]; k; k = ix->next[k]) {
        const size_t i = k - 1 - ix->first[list];
        size_t n = ivrsm_words_match_full(w, at, list_text(loc, list, i));
        if (n > best) {
            best = n;
            *which = i;
        }
    }
    return best;
}

size_t ivrsm_words_match_list_chain(const struct ivrsm_words *w, size_t at,
                                    const struct ivrsm_locale *loc, enum ivrsm_list_id list)
{
    size_t which = 0;
    return match_list(w, at, loc, list, &which);
}

size_t ivrsm_words_skip_list_chain(const struct ivrsm_words *w, size_t at,
                                   const struct ivrsm_locale *loc, enum ivrsm_list_id list)
{
    size_t n;
    while ((n = ivrsm_words_match_list(w, at, loc, list)) > 0)
        at += n;
    return at;
}

size_t ivrsm_words_match_value_chain(const struct ivrsm_words *w, size_t at,
                                     const struct ivrsm_locale *loc, enum ivrsm_list_id list,
                                     int *value)
{
    size_t which = 0;
    size_t n = list_fields[list].values ? match_list(w, at, loc, list, &which) : 0;
    if (n > 0) {
        const struct ivrsm_phrase_value *values;
        memcpy(&values, (const char *)loc + list_fields[list].offset, sizeof values);
        *value = values[which].value;
    }
    return n;
}

/* Build the index of `table` into ix (its builder only). */
static void build_number_index(const struct ivrsm_number_word *table, ivrsm_number_index *ix)
{
    unsigned char tail[IVRSM_LIST_BUCKETS] = {0};
    memset(ix->head, 0, sizeof ix->head);
    memset(ix->next, 0, sizeof ix->next);
    for (size_t i = 0; table[i].text; i++) {
        const char *text = table[i].text;
        if (i >= IVRSM_NUMBER_INDEX_MAX || text[0] == ' ') {
            atomic_store_explicit(&ix->phase, 3, memory_order_release);
            return;
        }
        if (text[0] == '\0') /* an empty entry never matches */
            continue;
        const unsigned key = ivrsm_list_key((unsigned char)text[0], strcspn(text, " "));
        unsigned char n = (unsigned char)(i + 1);
        if (tail[key])
            ix->next[tail[key]] = n;
        else
            ix->head[key] = n;
        tail[key] = n;
    }
    atomic_store_explicit(&ix->phase, 2, memory_order_release);
}

/* loc's number index when it is built (built now by the first caller), else NULL. */
static const ivrsm_number_index *build_number_index_once(const struct ivrsm_locale *loc)
{
    ivrsm_number_index *ix = loc->numbers_index;
    int phase = atomic_load_explicit(&ix->phase, memory_order_acquire);
    if (phase == 0) {
        int expected = 0;
        if (atomic_compare_exchange_strong_explicit(&ix->phase, &expected, 1, memory_order_acq_rel,
                                                    memory_order_acquire))
            build_number_index(loc->numbers, ix);
        phase = atomic_load_explicit(&ix->phase, memory_order_acquire);
    }
    return phase == 2 ? ix : NULL;
}

/* Inline for every scan of the table after the first: the index is built. */
static inline const ivrsm_number_index *number_index(const struct ivrsm_locale *loc)
{
    const ivrsm_number_index *ix = loc->numbers_index;
    if (ix && atomic_load_explicit(&ix->phase, memory_order_acquire) == 2)
        return ix;
    return ix ? build_number_index_once(loc) : NULL;
}

/*
 * The entries of loc's number table that may start at word `at`, in table order: those of its
 * key (first byte and length) from the index, or every entry tested as ivrsm_words_match()
 * tests it when there is no index. Start with *next = 0.
 */
static inline const struct ivrsm_number_word *next_number(const struct ivrsm_locale *loc,
                                                          const ivrsm_number_index *ix,
                                                          const struct ivrsm_words *w, size_t at,
                                                          size_t *next)
{
    const int first = (unsigned char)w->text[w->start[at]];
    if (ix) {
        size_t i =
            *next ? ix->next[*next] : ix->head[ivrsm_list_key((unsigned char)first, w->len[at])];
        *next = i;
        return i ? &loc->numbers[i - 1] : NULL;
    }
    for (const struct ivrsm_number_word *e = loc->numbers + *next; e->text; e++)
        if (may_start_with(e->text, first)) {
            *next = (size_t)(e - loc->numbers) + 1;
            return e;
        }
    return NULL;
}

/* The longest entry of the number table starting at `at`, or NULL. */
static const struct ivrsm_number_word *
number_base(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at, size_t *span)
{
    const struct ivrsm_number_word *best = NULL;
    *span = 0;
    if (at >= w->count)
        return NULL;
    const ivrsm_number_index *ix = number_index(loc);
    size_t next = 0;
    for (const struct ivrsm_number_word *e; (e = next_number(loc, ix, w, at, &next)) != NULL;) {
        size_t n = ivrsm_words_match(w, at, e->text);
        if (n > *span) {
            *span = n;
            best = e;
        }
    }
    return best;
}

/*
 * The number that starts with table entry `base` (matched over `span` words
 * at `at`): the base, then, when it takes one, an optional joiner and an
 * addend in range, itself a number read greedily: "quatre vingt" + "dix
 * neuf". The depth bound keeps a hostile table from recursing without end.
 */
static size_t number_from_base(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                               size_t at, const struct ivrsm_number_word *base, size_t span,
                               int *value, int depth);

static size_t number_compound(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                              size_t at, int *value, int depth)
{
    size_t span;
    const struct ivrsm_number_word *base = number_base(loc, w, at, &span);
    if (!base)
        return 0;
    return number_from_base(loc, w, at, base, span, value, depth);
}

static size_t number_from_base(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                               size_t at, const struct ivrsm_number_word *base, size_t span,
                               int *value, int depth)
{
    *value = base->value;
    if (base->addend_max <= 0 || depth >= 4)
        return span;
    size_t pos = at + span;
    size_t joiner = ivrsm_words_match_list(w, pos, loc, IVRSM_LIST_number_joiners);
    int addend;
    size_t n = number_compound(loc, w, pos + joiner, &addend, depth + 1);
    if (n > 0 && addend >= base->addend_min && addend <= base->addend_max) {
        *value = base->value + addend;
        return span + joiner + n;
    }
    if (n == 0 || pos + joiner >= w->count)
        return span;
    /* The longest number there is out of range ("three hundred" after "twenty", in "twenty
     * three hundred"): a shorter entry there may be the addend ("three"), the rest read after. */
    size_t best = 0;
    const ivrsm_number_index *ix = number_index(loc);
    size_t next = 0;
    for (const struct ivrsm_number_word *e; (e = next_number(loc, ix, w, pos + joiner, &next));) {
        size_t m = ivrsm_words_match(w, pos + joiner, e->text);
        if (m == 0 || m >= n)
            continue;
        int v;
        m = number_from_base(loc, w, pos + joiner, e, m, &v, depth + 1);
        if (m > best && v >= base->addend_min && v <= base->addend_max) {
            best = m;
            addend = v;
        }
    }
    if (best == 0)
        return span;
    *value = base->value + addend;
    return span + joiner + best;
}

size_t ivrsm_number_words(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                          int *value)
{
    return number_compound(loc, w, at, value, 0);
}

/* ---------------------------------------------------------------------------
 * Quantities: the one number of a sentence, in words up to the thousands
 * ------------------------------------------------------------------------- */

/* The locale's word for a thousand after a count ("mille", "thousand", "mil", "tausend": a
 * year_thousands entry worth 1000) at `at`: its word count, 0 when none. */
static size_t thousand_word(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at)
{
    int value = 0;
    size_t n = ivrsm_words_match_value(w, at, loc, IVRSM_LIST_year_thousands, &value);
    return n > 0 && value == 1000 ? n : 0;
}

/* 0..999 said in words at `at`, the longest reading: a number of the table ("trois", "eight
 * hundred and five", "seiscientos doce"), or N hundred M with the locale's hundreds word
 * ("trois cents", "neuf cent quatre vingt", "cent cinquante", "vier hundert"). */
static size_t below_thousand(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                             int64_t *value)
{
    int count = 0;
    const size_t n = ivrsm_number_words(loc, w, at, &count);
    *value = count;
    if (n > 0 && (count < 1 || count > 99))
        return n;
    size_t h = ivrsm_words_match_list(w, at + n, loc, IVRSM_LIST_year_hundreds);
    if (h == 0)
        return n;
    if (n == 0)
        count = 1; /* "cent cinquante" */
    size_t pos = at + n + h;
    size_t joiner = ivrsm_words_match_list(w, pos, loc, IVRSM_LIST_number_joiners);
    int rest = 0;
    size_t r = ivrsm_number_words(loc, w, pos + joiner, &rest);
    if (r > 0 && rest >= 1 && rest <= 99)
        pos += joiner + r;
    else
        rest = 0;
    *value = (int64_t)count * 100 + rest;
    return pos - at;
}

/* A cardinal at `at`, in digits ("1500") or in words up to 999,999 ("deux mille trois cents",
 * "three thousand", "dos mil quinientos", "zweitausend", "a thousand"): its word count (0 when
 * none starts there) and its value. */
static size_t cardinal(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                       int64_t *value)
{
    if (ivrsm_word_is_digits(w, at)) {
        if (w->len[at] > 15)
            return 0;
        int64_t v = 0;
        for (size_t k = 0; k < w->len[at]; k++)
            v = v * 10 + (w->text[w->start[at] + k] - '0');
        /* "2 500", "12 345 678": a recogniser writes the thousands of an amount apart (French,
         * and "2,500" once its comma is a space): groups of three digits after the first. */
        size_t span = 1, digits = w->len[at];
        while (w->len[at] <= 3 && ivrsm_word_is_digits(w, at + span) && w->len[at + span] == 3 &&
               digits + 3 <= 15) {
            for (size_t k = 0; k < 3; k++)
                v = v * 10 + (w->text[w->start[at + span] + k] - '0');
            digits += 3;
            span++;
        }
        *value = v;
        return span;
    }
    int64_t count = 0;
    size_t n = below_thousand(loc, w, at, &count);
    size_t best = n;
    *value = count;
    /* "deux mille", "three thousand", then what is below the thousand */
    size_t t = n > 0 && count >= 1 ? thousand_word(loc, w, at + n) : 0;
    int lead = 0;
    size_t lead_span = 0;
    if (n == 0) /* "mille deux cents", "a thousand", "zweitausend" */
        lead_span = ivrsm_words_match_value(w, at, loc, IVRSM_LIST_year_thousands, &lead);
    if (t > 0 || lead_span > 0) {
        size_t pos = t > 0 ? at + n + t : at + lead_span;
        int64_t thousands = t > 0 ? count * 1000 : lead;
        size_t joiner = ivrsm_words_match_list(w, pos, loc, IVRSM_LIST_number_joiners);
        int64_t rest = 0;
        size_t r = below_thousand(loc, w, pos + joiner, &rest);
        if (r > 0)
            pos += joiner + r;
        else
            rest = 0;
        best = pos - at;
        *value = thousands + rest;
    }
    return best;
}

size_t ivrsm_words_cardinal(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                            int64_t *value)
{
    return at < w->count ? cardinal(loc, w, at, value) : 0;
}

/* Whether a word of the list (negations, not knowing) starts at `at`. */
static bool text_words_at(const struct ivrsm_words *w, size_t at,
                          const struct ivrsm_text_words *list)
{
    for (; list && list->text; list++)
        if (ivrsm_words_match(w, at, list->text) > 0)
            return true;
    return false;
}

int ivrsm_words_quantity(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                         int64_t *value)
{
    int found = 0;
    for (size_t at = 0; at < w->count;) {
        if (text_words_at(w, at, loc->text.negations) ||
            text_words_at(w, at, loc->text.clause_negations) ||
            text_words_at(w, at, loc->text.dont_know))
            return 1;
        int64_t v;
        size_t n = cardinal(loc, w, at, &v);
        if (n == 0) {
            at++;
            continue;
        }
        size_t article = ivrsm_words_match_list(w, at, loc, IVRSM_LIST_number_articles);
        int64_t next;
        if (article > 0 && article == n && cardinal(loc, w, at + n, &next) > 0) {
            at += article; /* "un cinco": the number is the next one */
            continue;
        }
        if (found++)
            return 1; /* "deux ou trois jours": which one? */
        *value = v;
        at += n;
    }
    return found ? 0 : 1;
}

size_t ivrsm_words_lead_in(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t max)
{
    for (size_t at = 0; at < w->count && at <= max; at++) {
        int value;
        if (ivrsm_word_is_digits(w, at) || ivrsm_number_words(loc, w, at, &value) > 0)
            return at;
        if (text_words_at(w, at, loc->text.negations) ||
            text_words_at(w, at, loc->text.clause_negations) ||
            text_words_at(w, at, loc->text.dont_know))
            return 0;
    }
    return 0;
}

/* A word of 1 or 2 digits then letters of a time word, then digits: "15h30", "10h", "3pm". */
static bool glued_time_at(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at)
{
    const char *s = w->text + w->start[at];
    size_t len = w->len[at], k = 0;
    while (k < len && k < 3 && s[k] >= '0' && s[k] <= '9')
        k++;
    if (k == 0 || k > 2 || k == len)
        return false;
    size_t letters = k;
    while (letters < len && s[letters] >= 'a' && s[letters] <= 'z')
        letters++;
    for (size_t d = letters; d < len; d++)
        if (s[d] < '0' || s[d] > '9' || len - letters > 2)
            return false;
    for (const char *const *t = loc->time_words; t && *t; t++)
        if (strlen(*t) == letters - k && memcmp(*t, s + k, letters - k) == 0)
            return true;
    return false;
}

/* Whether the time said at `at` starts with its number. */
static bool starts_time_number(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                               size_t at)
{
    int value;
    return glued_time_at(loc, w, at) || ivrsm_word_is_digits(w, at) ||
           ivrsm_number_words(loc, w, at, &value) > 0;
}

size_t ivrsm_words_time_of_day(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                               size_t at)
{
    if (!loc->time_words || at >= w->count)
        return 0;
    size_t pos = at + ivrsm_words_match_list(w, at, loc, IVRSM_LIST_time_words_before);
    const bool lead = pos > at;
    size_t numbers = 0, words = 0;
    const size_t first = pos;
    for (size_t n; pos < w->count;) {
        int value;
        if (glued_time_at(loc, w, pos)) {
            numbers++;
            words++;
            pos++;
        } else if (ivrsm_word_is_digits(w, pos) && w->len[pos] <= 2) {
            numbers++;
            pos++;
        } else if ((n = ivrsm_words_match_list(w, pos, loc, IVRSM_LIST_time_words)) > 0) {
            words++;
            pos += n;
        } else if ((n = ivrsm_number_words(loc, w, pos, &value)) > 0 && value <= 59) {
            numbers++;
            pos += n;
        } else {
            break;
        }
    }
    if (numbers + words == 0)
        return 0;
    /* Without a word before it, a number then a time word: "15 heures", "3 pm", not "et demi". */
    if (!lead && (words == 0 || numbers == 0 || !starts_time_number(loc, w, first)))
        return 0;
    return pos - at;
}

#define READINGS_MAX 8
#define DIGITS_MEMO_WORDS 64 /* the positions a search remembers: one bit of a word each */

/* One way to read number words at a position: how many words, what value. */
struct number_reading {
    uint32_t span;
    int value;
};

/* Adds a reading to r[0..*count), keeping the longest first (stable). */
static void add_reading(struct number_reading *r, size_t *count, size_t max, size_t span, int value)
{
    if (*count >= max)
        return;
    size_t j = (*count)++;
    while (j > 0 && r[j - 1].span < span) {
        r[j] = r[j - 1];
        j--;
    }
    r[j].span = (uint32_t)span;
    r[j].value = value;
}

/*
 * The readings of the number words at `at`, longest first: one per table
 * entry matching there, each read as a whole number ("quatre vingt deux" is
 * 82 from "quatre vingt", or 4 from "quatre"). A compound below 100 is never
 * cut between its base and its addend: "trente quatre" is only 34. A
 * hundred may stand alone before other digits: "eight hundred five five
 * five" is 805 then 5 5, or 800 then 5 5 5.
 * Returns how many were written to r (at most max).
 */
static size_t number_readings(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                              size_t at, struct number_reading *r, size_t max)
{
    size_t count = 0;
    if (at >= w->count)
        return 0;
    const ivrsm_number_index *ix = number_index(loc);
    size_t next = 0;
    for (const struct ivrsm_number_word *e;
         count < max && (e = next_number(loc, ix, w, at, &next)) != NULL;) {
        size_t base_span = ivrsm_words_match(w, at, e->text);
        if (base_span == 0)
            continue;
        int value = e->value;
        size_t span = e->addend_max <= 0 ? base_span /* no addend: the base alone */
                                         : number_from_base(loc, w, at, e, base_span, &value, 0);
        add_reading(r, &count, max, span, value);
        if (e->value >= 100 && span > base_span)
            add_reading(r, &count, max, base_span, e->value);
    }
    return count;
}

/* Whether a number starts at `at`: digits, or a word of the number table. */
static bool starts_number(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at)
{
    size_t span;
    return ivrsm_word_is_digits(w, at) || number_base(loc, w, at, &span) != NULL;
}

/* The search for digits behind ivrsm_words_digits(). */
struct digits_search {
    const struct ivrsm_locale *loc;
    const struct ivrsm_words *w;
    char *digits;
    size_t cap;
    ivrsm_digits_accept accept;
    void *ctx;
    int steps_left;     /* bounds the search on inputs built to explode it */
    uint64_t pair_ends; /* bit i: a two-digit number said in words ends before digit i */
    char fallback[64];  /* the first reading the callback called a fallback */
    uint64_t fallback_pair_ends;
    int have_fallback;
    /* What the search found at each of its first words, kept for the next branch that
     * reaches them (0 positions when it must read every one again: the tests' reference). */
    size_t first;      /* the position the search starts at */
    size_t memo_words; /* how many positions from `first` are remembered */
    uint64_t visited;  /* bit i: the readings at first + i were worked out once */
    uint64_t known;    /* bit i: they are in memo[i] */
    /* The last position from `first` on where a number of 100 or more may start to be said
     * (cardinal_may_reach()); NO_CARDINAL when none, CARDINAL_UNKNOWN before it is looked for. */
    size_t last_cardinal;
    struct {
        unsigned count;
        struct number_reading r[READINGS_MAX];
    } memo[DIGITS_MEMO_WORDS];
};

#define DIGITS_SEARCH_STEPS 256

/*
 * The readings of the number words at `at` (number_readings()), *count of them: kept from the
 * second visit of one of the search's first positions on (most positions are reached once, and
 * a copy into the memo would cost them more than it saves).
 */
static inline const struct number_reading *
readings_at(struct digits_search *s, size_t at, struct number_reading *scratch, size_t *count)
{
    const size_t i = at - s->first;
    if (i < s->memo_words && (s->known >> i & 1)) {
        *count = s->memo[i].count;
        return s->memo[i].r;
    }
    if (i >= s->memo_words || !(s->visited >> i & 1)) {
        if (i < s->memo_words)
            s->visited |= (uint64_t)1 << i;
        *count = number_readings(s->loc, s->w, at, scratch, READINGS_MAX);
        return scratch;
    }
    s->memo[i].count = (unsigned)number_readings(s->loc, s->w, at, s->memo[i].r, READINGS_MAX);
    s->known |= (uint64_t)1 << i;
    *count = s->memo[i].count;
    return s->memo[i].r;
}

/* At the end of the words: 0 stops the search. */
static int offer_digits(struct digits_search *s, size_t n)
{
    s->digits[n] = '\0';
    int verdict = s->accept(s->digits, n, s->pair_ends, s->ctx);
    if (verdict == IVRSM_DIGITS_TAKE)
        return 0;
    if (verdict == IVRSM_DIGITS_FALLBACK && !s->have_fallback && n < sizeof s->fallback) {
        memcpy(s->fallback, s->digits, n + 1);
        s->fallback_pair_ends = s->pair_ends;
        s->have_fallback = 1;
    }
    return 1;
}

static int search_digits(struct digits_search *s, size_t at, size_t n);

/* Writes value (0..digit_group_max) as 1, 2 or 3 digits at n; returns how many, 0 when too long. */
static size_t put_group(struct digits_search *s, size_t n, int value)
{
    size_t len = value >= 100 ? 3 : value >= 10 ? 2 : 1;
    if (n + len >= s->cap || n + len >= 64)
        return 0;
    for (size_t k = len; k-- > 0; value /= 10)
        s->digits[n + k] = (char)('0' + value % 10);
    return len;
}

/* "double sept", "triple zero": the single digit read next, said `times` times. */
static int search_repeat(struct digits_search *s, size_t at, size_t n, int times)
{
    if (ivrsm_word_is_digits(s->w, at)) {
        if (s->w->len[at] != 1)
            return 1;
        if (n + (size_t)times >= s->cap || n + (size_t)times >= 64)
            return 1;
        memset(s->digits + n, s->w->text[s->w->start[at]], (size_t)times);
        return search_digits(s, at + 1, n + (size_t)times);
    }
    struct number_reading scratch[READINGS_MAX];
    size_t count;
    const struct number_reading *r = readings_at(s, at, scratch, &count);
    for (size_t i = 0; i < count; i++) {
        if (r[i].value < 0 || r[i].value > 9 || n + (size_t)times >= s->cap ||
            n + (size_t)times >= 64)
            continue;
        memset(s->digits + n, '0' + r[i].value, (size_t)times);
        if (search_digits(s, at + r[i].span, n + (size_t)times) == 0)
            return 0;
    }
    return 1;
}

/* How far into a number its thousands or hundreds word may come: "quatre vingt dix mille". */
#define CARDINAL_WORD_REACH 4

#define CARDINAL_UNKNOWN SIZE_MAX
#define NO_CARDINAL (SIZE_MAX - 1)

/*
 * Whether word `at` is one cardinal() needs to read a number of 100 or more: a word of the
 * hundreds or the thousands ("cent", "hundred", "mil", "tausend"), or the start of an entry of
 * the number table worth 100 or more with its addend ("eight hundred", "seiscientos"). Exact
 * matches, where the lists' keys (first byte and length) tell "cinq" from "cent" only by their
 * letters.
 */
static bool starts_cardinal_word(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                                 size_t at)
{
    if (ivrsm_words_match_list(w, at, loc, IVRSM_LIST_year_hundreds) > 0 ||
        ivrsm_words_match_list(w, at, loc, IVRSM_LIST_year_thousands) > 0)
        return true;
    const ivrsm_number_index *ix = number_index(loc);
    size_t next = 0;
    for (const struct ivrsm_number_word *e; (e = next_number(loc, ix, w, at, &next)) != NULL;)
        if (e->value + (e->addend_max > 0 ? e->addend_max : 0) >= 100 &&
            ivrsm_words_match(w, at, e->text) > 0)
            return true;
    return false;
}

/*
 * The last position from the search's first on where starts_cardinal_word() holds, looked for
 * once a search (from the end): cardinal() reads a number of 100 or more at `at` only when one
 * of these words is at `at` or after it, so a sentence without any ("un deux trois quatre cinq
 * six", "oui") is not read for one at each of its words.
 */
static size_t cardinal_may_reach(struct digits_search *s)
{
    if (s->last_cardinal == CARDINAL_UNKNOWN) {
        s->last_cardinal = NO_CARDINAL;
        for (size_t k = s->w->count; k-- > s->first;)
            if (starts_cardinal_word(s->loc, s->w, k)) {
                s->last_cardinal = k;
                break;
            }
    }
    return s->last_cardinal;
}

/* Writes value (100..999,999) at n as its digits and searches on from word at + span. */
static int put_cardinal(struct digits_search *s, size_t at, size_t n, int64_t value, size_t span)
{
    char text[8];
    size_t len = 0;
    for (int64_t v = value; v > 0; v /= 10)
        len++;
    if (n + len >= s->cap || n + len >= 64)
        return 1;
    for (size_t k = len; k-- > 0; value /= 10)
        text[k] = (char)('0' + value % 10);
    memcpy(s->digits + n, text, len);
    return search_digits(s, at + span, n + len);
}

/*
 * The words of a round hundred that start the `span` words of a number below a thousand read
 * at `at` and leave words of it after them ("deux cents" of "deux cents trente", "cent" of
 * "cent onze"): their count, the hundred in *value; 0 when there is none.
 */
static size_t hundreds_end(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                           size_t span, int64_t *value)
{
    for (size_t k = at; k < at + span; k++) {
        const size_t h = ivrsm_words_match_list(w, k, loc, IVRSM_LIST_year_hundreds);
        if (h == 0)
            continue;
        if (k + h >= at + span)
            return 0;  /* nothing said after the hundreds word */
        int count = 1; /* "cent" */
        if (k > at && (ivrsm_number_words(loc, w, at, &count) != k - at || count < 1 || count > 9))
            return 0;
        *value = (int64_t)count * 100;
        return k + h - at;
    }
    return 0;
}

/*
 * A number said with the locale's thousands or hundreds words that the table reads otherwise,
 * or not at all (`table` its longest reading at `at`, NULL when none): "mil doscientos treinta
 * y cuatro" is 1234, "cent vingt trois" 123 (a group above French digit_group_max), "twenty
 * three hundred" 2300, written as its digits. Tried before the table's readings, as the longest
 * compound is.
 */
static int search_cardinal(struct digits_search *s, size_t at, size_t n,
                           const struct number_reading *table, int group_max)
{
    /* Most numbers hold neither word: the cardinal is read only when one is near. */
    bool near = false;
    for (size_t k = at; !near && k < s->w->count && k < at + CARDINAL_WORD_REACH; k++)
        near = ivrsm_words_list_may_match(s->w, k, s->loc, IVRSM_LIST_year_hundreds) ||
               ivrsm_words_list_may_match(s->w, k, s->loc, IVRSM_LIST_year_thousands);
    if (!near)
        return 1;
    const size_t last = cardinal_may_reach(s);
    if (last == NO_CARDINAL || at > last)
        return 1; /* no word from `at` on makes a number of 100 or more: cardinal() reads none */
    int64_t value;
    size_t span = cardinal(s->loc, s->w, at, &value);
    if (span == 0 || value < 100 || value > 999999)
        return 1;
    if (table && (span < table->span || (span == table->span && table->value <= group_max)))
        return 1; /* the table reads these words as well: its readings are tried */
    if (put_cardinal(s, at, n, value, span) == 0)
        return 0;
    /* A round hundred said as a group of its own, the next group after it ("deux cents, trente",
     * "cent, onze"), which the longest reading joined (230, 111): the hundreds alone too. */
    size_t hundred = value < 1000 ? hundreds_end(s->loc, s->w, at, span, &value) : 0;
    return hundred ? put_cardinal(s, at, n, value, hundred) : 1;
}

static int search_digits(struct digits_search *s, size_t at, size_t n)
{
    if (s->steps_left-- <= 0)
        return 1;
    at = ivrsm_words_skip_list(s->w, at, s->loc, IVRSM_LIST_digit_fillers);
    if (at >= s->w->count)
        return offer_digits(s, n);
    if (ivrsm_word_is_digits(s->w, at)) {
        size_t len = s->w->len[at];
        if (n + len >= s->cap)
            return 1;
        memcpy(s->digits + n, s->w->text + s->w->start[at], len);
        return search_digits(s, at + 1, n + len);
    }
    size_t repeat_at = 0;
    for (const struct ivrsm_phrase_value *p = s->loc->repeat_words; p && p->text; p++) {
        size_t span = ivrsm_words_match(s->w, at, p->text);
        if (span > 0 && p->value > 1 && p->value <= 9) {
            repeat_at = 1;
            if (search_repeat(s, at + span, n, p->value) == 0)
                return 0;
        }
    }
    if (repeat_at)
        return 1;
    /* Spanish "un cinco", German "eine Fünf": an article before a number word is no digit. */
    size_t article = ivrsm_words_match_list(s->w, at, s->loc, IVRSM_LIST_number_articles);
    if (article > 0 && starts_number(s->loc, s->w, at + article))
        return search_digits(s, at + article, n);
    struct number_reading scratch[READINGS_MAX];
    size_t count;
    const struct number_reading *r = readings_at(s, at, scratch, &count);
    const int group_max = s->loc->digit_group_max >= 99 ? s->loc->digit_group_max : 99;
    if (search_cardinal(s, at, n, count ? &r[0] : NULL, group_max) == 0)
        return 0;
    for (size_t i = 0; i < count; i++) {
        if (r[i].value < 0 || r[i].value > group_max || r[i].value > 999)
            continue;
        size_t len = put_group(s, n, r[i].value);
        if (len == 0)
            continue;
        const uint64_t saved = s->pair_ends;
        if (len == 2)
            s->pair_ends |= (uint64_t)1 << (n + 2);
        int rc = search_digits(s, at + r[i].span, n + len);
        s->pair_ends = saved;
        if (rc == 0)
            return 0;
    }
    return 1;
}

/* ivrsm_words_digits(), remembering what it read at the first memo_words positions. */
static int words_digits(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                        char *scratch, size_t cap, ivrsm_digits_accept accept, void *ctx,
                        size_t memo_words)
{
    if (cap == 0)
        return 1;
    /* Only the fields read before they are written are set: the memo is large. */
    struct digits_search s;
    s.loc = loc;
    s.w = w;
    s.digits = scratch;
    s.cap = cap;
    s.accept = accept;
    s.ctx = ctx;
    s.steps_left = DIGITS_SEARCH_STEPS;
    s.pair_ends = 0;
    s.have_fallback = 0;
    s.first = at;
    s.memo_words = memo_words;
    s.visited = s.known = 0;
    s.last_cardinal = CARDINAL_UNKNOWN;
    if (search_digits(&s, at, 0) == 0)
        return 0;
    if (!s.have_fallback)
        return 1;
    /* Offer the fallback again: the callback's output is the last reading offered. */
    size_t n = strlen(s.fallback);
    memcpy(scratch, s.fallback, n + 1);
    return accept(scratch, n, s.fallback_pair_ends, ctx) == IVRSM_DIGITS_REJECT ? 1 : 0;
}

int ivrsm_words_digits(const struct ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                       char *scratch, size_t cap, ivrsm_digits_accept accept, void *ctx)
{
    return words_digits(loc, w, at, scratch, cap, accept, ctx, DIGITS_MEMO_WORDS);
}

int ivrsm_words_digits_reread(const struct ivrsm_locale *loc, const struct ivrsm_words *w,
                              size_t at, char *scratch, size_t cap, ivrsm_digits_accept accept,
                              void *ctx)
{
    return words_digits(loc, w, at, scratch, cap, accept, ctx, 0);
}
