/*
 * Collect mode "reference": a code of letters and digits with a known shape (a parcel
 * number "AB123456789GB", a booking reference "X7K2QP", a policy number "PL-..." written
 * as its letters and digits), given by one or more patterns: A a letter, 9 a digit, X a
 * letter or a digit ("AA999999999AA", "XXXXXX").
 *
 * Said: letters one by one ("A B"), run together as the recogniser writes them ("AB",
 * "ab123"), or in the spelling alphabet ("alpha bravo"), and digits as the "digits" mode
 * reads them in the locale's words ("one two three", "douze trente-quatre", "double
 * seven"). Keyed: digits only, so only a pattern without A can be keyed. The value is the
 * code in capitals ("AB123456789GB").
 */
#include "collect.h"

#include "locale_tables.h"
#include "words.h"

#include <stdint.h>
#include <string.h>

/* The ICAO spelling alphabet, which callers use in every language; a→z in order. */
static const char *const spelling[26] = {
    "alpha",  "bravo", "charlie", "delta",  "echo",     "foxtrot", "golf",   "hotel",  "india",
    "juliet", "kilo",  "lima",    "mike",   "november", "oscar",   "papa",   "quebec", "romeo",
    "sierra", "tango", "uniform", "victor", "whiskey",  "xray",    "yankee", "zulu"};

/* Other spellings of the same words, as recognisers write them. */
static const struct {
    const char *word;
    char letter;
} spelling_variants[] = {{"alfa", 'a'}, {"juliett", 'j'}, {"whisky", 'w'}, {"x ray", 'x'}};

/* Whether a pattern character takes character ch (uppercase letter or digit). */
static bool slot_takes(char slot, char ch)
{
    bool digit = ch >= '0' && ch <= '9';
    return slot == 'X' || (slot == '9' && digit) || (slot == 'A' && !digit);
}

/*
 * Whether code[0..n) is the start of one of the patterns ('|'-separated), and then: `whole`,
 * the whole of it; `letter_next`, a letter may come right after it.
 */
static bool fits(const char *patterns, const char *code, size_t n, bool whole, bool letter_next)
{
    for (const char *p = patterns; *p;) {
        size_t plen = strcspn(p, "|");
        bool ok = n <= plen;
        for (size_t i = 0; ok && i < n; i++)
            ok = slot_takes(p[i], code[i]);
        if (ok && whole)
            ok = n == plen;
        if (ok && letter_next)
            ok = n < plen && (p[n] == 'A' || p[n] == 'X');
        if (ok)
            return true;
        p += plen;
        if (*p == '|')
            p++;
    }
    return false;
}

/* The letter the spelling word at `at` names (its word count in *span), or 0. */
static char spelled_at(const struct ivrsm_words *w, size_t at, size_t *span)
{
    const char *s = w->text + w->start[at];
    size_t len = w->len[at];
    *span = 1;
    for (size_t k = 0; k < sizeof spelling_variants / sizeof *spelling_variants; k++) {
        size_t n = ivrsm_words_match(w, at, spelling_variants[k].word);
        if (n) {
            *span = n;
            return (char)(spelling_variants[k].letter - 'a' + 'A');
        }
    }
    for (int k = 0; k < 26; k++)
        if (len == strlen(spelling[k]) && !memcmp(s, spelling[k], len))
            return (char)('A' + k);
    return 0;
}

/* The words of a number said at `at` ("douze", "vingt et un", "34", "double", a filler, "mil
 * doscientos", "cent vingt trois"): how many, or 0 when the word is none of those. */
static size_t number_span(const ivrsm_locale *loc, const struct ivrsm_words *w, size_t at)
{
    if (at >= w->count)
        return 0;
    if (ivrsm_word_is_digits(w, at))
        return 1;
    int value;
    int64_t cardinal;
    size_t n = ivrsm_number_words(loc, w, at, &value);
    size_t c = ivrsm_words_cardinal(loc, w, at, &cardinal);
    if (c > n)
        n = c;
    if (n)
        return n;
    for (const struct ivrsm_phrase_value *r = loc->repeat_words; r && r->text; r++)
        if ((n = ivrsm_words_match(w, at, r->text)) != 0)
            return n;
    if ((n = ivrsm_words_match_list(w, at, loc, IVRSM_LIST_number_joiners)) != 0)
        return n;
    return ivrsm_words_match_list(w, at, loc, IVRSM_LIST_digit_fillers);
}

/* Letters and digits run together as a recogniser writes a spelled code ("ab123", "gb"):
 * nonzero when the word at `at` is one (letters alone: a short run, "gb", "abc"). */
static bool run_together(const struct ivrsm_words *w, size_t at)
{
    const char *s = w->text + w->start[at];
    size_t letters = 0;
    for (size_t k = 0; k < w->len[at]; k++) {
        if (s[k] >= 'a' && s[k] <= 'z')
            letters++;
        else if (s[k] < '0' || s[k] > '9')
            return false;
    }
    return letters && (letters < w->len[at] || w->len[at] <= 3);
}

/* Whether the word at `at` is a single letter said alone ("b"), which a joiner between two
 * numbers is not (Spanish "treinta y cuatro"). */
static bool single_letter(const ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                          bool after_number)
{
    const char *s = w->text + w->start[at];
    if (w->len[at] != 1 || s[0] < 'a' || s[0] > 'z')
        return false;
    return !(after_number && number_span(loc, w, at) && number_span(loc, w, at + 1));
}

typedef struct run_reading {
    const char *patterns;
    char *code; /* the code read before the run */
    size_t n;
    bool last; /* nothing follows the run */
} run_reading;

/* A run of digits said is taken when the code with it still fits a pattern. */
static int accept_run(const char *digits, size_t len, uint64_t pair_ends, void *ctx)
{
    (void)pair_ends;
    const run_reading *r = ctx;
    if (r->n + len > IVRSM_COLLECT_REFERENCE_MAX)
        return IVRSM_DIGITS_REJECT;
    memcpy(r->code + r->n, digits, len);
    return fits(r->patterns, r->code, r->n + len, r->last, !r->last) ? IVRSM_DIGITS_TAKE
                                                                     : IVRSM_DIGITS_REJECT;
}

/* Appends the letters the word at `at` gives to code[0..*n): its span, or 0 when it gives
 * none (a number, another word) or the code would be too long. With `names`, a name of a letter
 * in the locale's language ("hache", "bee", "jota") is that letter. */
static size_t letters_at(const ivrsm_locale *loc, const struct ivrsm_words *w, size_t at,
                         bool after_number, bool names, char *code, size_t *n)
{
    size_t span;
    const char *s = w->text + w->start[at];
    /* A spelling word first: "x ray" (x-ray) is one letter, not x then "ray". */
    char letter = spelled_at(w, at, &span);
    int named;
    if (!letter && names &&
        (span = ivrsm_words_match_value(w, at, loc, IVRSM_LIST_letter_names, &named)) > 0 &&
        named >= 'a' && named <= 'z') {
        letter = (char)(named - 'a' + 'A'); /* "double you" before "double" as a repeat */
    } else if (!letter && single_letter(loc, w, at, after_number)) {
        letter = (char)(s[0] - 'a' + 'A');
        span = 1;
    } else if (!letter && number_span(loc, w, at)) {
        return 0;
    }
    if (letter) {
        if (*n >= IVRSM_COLLECT_REFERENCE_MAX)
            return 0;
        code[(*n)++] = letter;
        return span;
    }
    if (!run_together(w, at) || *n + w->len[at] > IVRSM_COLLECT_REFERENCE_MAX)
        return 0;
    for (size_t k = 0; k < w->len[at]; k++)
        code[(*n)++] = s[k] >= 'a' ? (char)(s[k] - 'a' + 'A') : s[k];
    return 1;
}

/* The code said from word `from` on, to the end; with `names`, reading the names of letters. */
static int said_from(const ivrsm_collect_params *p, struct ivrsm_words *w, size_t from, bool names,
                     char *code)
{
    size_t n = 0, total = w->count;
    bool after_number = false;
    for (size_t i = from; i < total;) {
        size_t span = letters_at(p->locale, w, i, after_number, names, code, &n);
        if (span) {
            i += span;
            after_number = false;
            continue;
        }
        /* A run of number words up to the next letter: read as the digits mode reads it. */
        size_t end = i;
        for (size_t k; end < total && !(end > i && single_letter(p->locale, w, end, true)) &&
                       (k = number_span(p->locale, w, end)) != 0;)
            end += k;
        if (end == i)
            return 1; /* a word that is neither a letter nor a number */
        if (end > total)
            end = total;
        char digits[IVRSM_COLLECT_REFERENCE_MAX + 2];
        run_reading r = {p->reference_patterns, code, n, end == total};
        w->count = end; /* the run alone */
        int rc = ivrsm_words_digits(p->locale, w, i, digits, sizeof digits, accept_run, &r);
        w->count = total;
        if (rc != 0)
            return 1;
        size_t got = strlen(digits);
        if (n + got > IVRSM_COLLECT_REFERENCE_MAX)
            return 1;
        memcpy(code + n, digits, got);
        n += got;
        i = end;
        after_number = true;
    }
    code[n] = '\0';
    return fits(p->reference_patterns, code, n, true, false) ? 0 : 1;
}

/* Words a caller may say before the code ("my number is", "it's"): at most this many. */
#define LEAD_WORDS_MAX 8

/* The code said: from the first word, else after a few words of lead-in ("it's A B 1 2 3"),
 * the first reading that is a whole code of a pattern. At each start, the names of letters are
 * read first ("hache be" is H B), then the words as written: a recogniser that writes a spelled
 * code run together ("BE 123456") writes it as it writes "be", the name of B in French. */
static int said(const ivrsm_collect_params *p, const char *in, size_t len, char *code)
{
    struct ivrsm_words w;
    if (ivrsm_words_split(&w, p->locale, in, len, 0) != 0 || w.count == 0)
        return 1;
    for (size_t from = 0; from < w.count && from <= LEAD_WORDS_MAX; from++)
        if (said_from(p, &w, from, true, code) == 0 || said_from(p, &w, from, false, code) == 0)
            return 0;
    return 1;
}

int ivrsm_collect_reference(const ivrsm_collect_params *p, const char *in, size_t len, int is_dtmf,
                            ivrsm_collect_value *out)
{
    char code[IVRSM_COLLECT_REFERENCE_MAX + 1];
    if (is_dtmf) {
        /* Keys are digits: one terminator may close the entry ("123456#"). */
        const char *term = p->digits_terminator ? p->digits_terminator : "#";
        if (len > 0 && *term && strchr(term, in[len - 1]))
            len--;
        if (len == 0 || len > IVRSM_COLLECT_REFERENCE_MAX)
            return 1;
        for (size_t i = 0; i < len; i++) {
            if (in[i] < '0' || in[i] > '9')
                return 1;
            code[i] = in[i];
        }
        code[len] = '\0';
        if (!fits(p->reference_patterns, code, len, true, false))
            return 1;
    } else if (said(p, in, len, code) != 0) {
        return 1;
    }
    memcpy(out->text, code, strlen(code) + 1);
    return 0;
}

int ivrsm_reference_patterns_check(const char *patterns)
{
    if (!patterns || !*patterns)
        return -1;
    size_t count = 0;
    for (const char *p = patterns; *p;) {
        size_t plen = strcspn(p, "|");
        if (plen == 0 || plen > IVRSM_COLLECT_REFERENCE_MAX)
            return -1;
        for (size_t i = 0; i < plen; i++)
            if (p[i] != 'A' && p[i] != '9' && p[i] != 'X')
                return -1;
        count++;
        p += plen;
        if (*p == '|' && !*++p)
            return -1;
    }
    return count <= IVRSM_COLLECT_REFERENCE_PATTERNS_MAX ? 0 : -1;
}

bool ivrsm_reference_keys(const char *patterns, int *min, int *max)
{
    bool any = false;
    for (const char *p = patterns ? patterns : ""; *p;) {
        size_t plen = strcspn(p, "|");
        if (!memchr(p, 'A', plen)) {
            if (!any || (int)plen < *min)
                *min = (int)plen;
            if (!any || (int)plen > *max)
                *max = (int)plen;
            any = true;
        }
        p += plen;
        if (*p == '|')
            p++;
    }
    return any;
}
