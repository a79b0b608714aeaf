/*
 * Text functions: normalisation of speech for matching and
 * whole-word phrase search.
 *
 * ivrsm_text_normalize() runs on every speech event, so it is a single byte
 * loop driven by static tables: one table for ASCII bytes, one for the
 * Latin-1 supplement (U+00C0..U+00FF, lead byte 0xC3) and a short switch for
 * the few other code points that matter to French speech (œ, Œ, Ÿ,
 * typographic apostrophes, dashes, non-breaking spaces). A language's rules
 * (a locale's data) fold some code points its own way and rewrite some words
 * as each word ends. It validates UTF-8 while it normalises and never
 * allocates.
 */
#include "text.h"

#include "utf8.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The ASCII letters and digits, folded to lower case: the tables below start from them. */
#define ASCII_FOLDED_ENTRIES                                                                       \
    ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5', ['6'] = '6',     \
    ['7'] = '7', ['8'] = '8', ['9'] = '9', ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd',     \
    ['E'] = 'e', ['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k',     \
    ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r',     \
    ['S'] = 's', ['T'] = 't', ['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',     \
    ['Z'] = 'z', ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f',     \
    ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm',     \
    ['n'] = 'n', ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't',     \
    ['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z'

/*
 * What an ASCII byte becomes: a lower-case letter or a digit is kept (upper
 * case folded), everything else (punctuation, controls, NUL, spaces)
 * separates words and is written as 0 here, meaning "a space".
 */
static const char ascii_fold[128] = {
    ASCII_FOLDED_ENTRIES,
};

/*
 * U+00C0..U+00FF (second byte 0x80..0xBF after lead byte 0xC3): the ASCII
 * letters an accented letter folds to. Letters without an ASCII base
 * (ð, ø, þ, ß) are kept, lower-cased; × and ÷ are operators, so separators
 * (""), like punctuation.
 */
static const char *const latin1_upper_fold[64] = {
    "a",        "a", "a", "a", "a", "a", "ae",       "c", /* À Á Â Ã Ä Å Æ Ç */
    "e",        "e", "e", "e", "i", "i", "i",        "i", /* È É Ê Ë Ì Í Î Ï */
    "\xc3\xb0", "n", "o", "o", "o", "o", "o",        "",  /* Ð Ñ Ò Ó Ô Õ Ö × */
    "\xc3\xb8", "u", "u", "u", "u", "y", "\xc3\xbe",      /* Ø Ù Ú Û Ü Ý Þ */
    "\xc3\x9f",                                           /* ß */
    "a",        "a", "a", "a", "a", "a", "ae",       "c", /* à á â ã ä å æ ç */
    "e",        "e", "e", "e", "i", "i", "i",        "i", /* è é ê ë ì í î ï */
    "\xc3\xb0", "n", "o", "o", "o", "o", "o",        "",  /* ð ñ ò ó ô õ ö ÷ */
    "\xc3\xb8", "u", "u", "u", "u", "y", "\xc3\xbe",      /* ø ù ú û ü ý þ */
    "y",                                                  /* ÿ */
};

/*
 * The replacement for a non-ASCII code point outside U+00C0..U+00FF:
 * a string to write, "" for a word separator, or NULL to keep the code
 * point as it is.
 */
static const char *fold_other(uint32_t cp)
{
    switch (cp) {
    case 0x0152: /* Œ */
    case 0x0153: /* œ */
        return "oe";
    case 0x0178: /* Ÿ */
        return "y";
    case 0x00A0: /* no-break space */
    case 0x2007: /* figure space */
    case 0x202F: /* narrow no-break space (French typography before ; : ! ?) */
    case 0x2009: /* thin space */
    case 0x2018: /* ‘ */
    case 0x2019: /* ’ */
    case 0x201C: /* “ */
    case 0x201D: /* ” */
    case 0x2010: /* ‐ */
    case 0x2011: /* non-breaking hyphen */
    case 0x2012: /* figure dash */
    case 0x2013: /* – */
    case 0x2014: /* — */
    case 0x2015: /* horizontal bar */
    case 0x2026: /* … */
        return "";
    default:
        /* The rest of the Latin-1 punctuation block (¡ « » ¿ ...) separates words. */
        if (cp >= 0x00A1 && cp <= 0x00BF)
            return "";
        return NULL;
    }
}

/* A language's own fold for cp, or NULL when it has none. */
static const char *rules_fold(const ivrsm_text_rules *rules, uint32_t cp)
{
    for (const struct ivrsm_text_fold *f = rules ? rules->folds : NULL; f && f->code_point; f++) {
        if (f->code_point == cp)
            return f->to;
    }
    return NULL;
}

/* The lengths of latin1_upper_fold's strings. */
static const unsigned char latin1_fold_len[64] = {
    1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* À..Ï */
    2, 1, 1, 1, 1, 1, 1, 0, 2, 1, 1, 1, 1, 1, 2, 2, /* Ð..ß */
    1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* à..ï */
    2, 1, 1, 1, 1, 1, 1, 0, 2, 1, 1, 1, 1, 1, 2, 1, /* ð..ÿ */
};

/*
 * Folds the non-ASCII code point at p[0..avail): stores what to write in
 * *piece / *piece_len (an empty piece separates words) and returns the bytes
 * read, or 0 when the input is not valid UTF-8 there.
 */
static int fold_code_point(const ivrsm_text_rules *rules, const unsigned char *p, size_t avail,
                           const char **piece, size_t *piece_len)
{
    uint32_t cp;
    /* U+00C0..U+00FF, the accented letters of Latin scripts, without the decoder's call or a
     * strlen of the fold: lead byte 0xC3 and a continuation byte. */
    if (p[0] == 0xC3 && avail >= 2 && (p[1] & 0xC0) == 0x80) {
        cp = 0xC0u | (p[1] & 0x3Fu);
        const char *own = rules_fold(rules, cp);
        *piece = own ? own : latin1_upper_fold[p[1] & 0x3F];
        *piece_len = own ? strlen(own) : latin1_fold_len[p[1] & 0x3F];
        return 2;
    }
    int n = ivrsm_utf8_decode(p, avail, &cp);
    if (n == 0)
        return 0;
    const char *folded = rules_fold(rules, cp);
    if (!folded)
        folded = cp >= 0xC0 && cp <= 0xFF ? latin1_upper_fold[cp - 0xC0] : fold_other(cp);
    if (folded) {
        *piece = folded;
        *piece_len = strlen(folded);
    } else {
        *piece = (const char *)p;
        *piece_len = (size_t)n;
    }
    return n;
}

/*
 * A language's rewrites by the last three bytes of their words, in table order:
 * a word that ends tries only those ending as it does (English has 62
 * contractions, and every word of every sentence tried them all). A rewrite
 * of two bytes is keyed as if a space came before it, as one can match only
 * after a space or at the start, where the output is keyed the same way; one
 * of one byte as if two spaces came before it, where an output whose last
 * word is one byte long looks too.
 * Built once into the table's cache when it has one (a locale's: the first
 * machine loaded in that language builds it, ivrsm_text_rules_prepare()),
 * else on the stack at the first word that ends, once per call. A table
 * longer than IVRSM_REWRITE_INDEX_MAX is scanned whole.
 */

/* Whether a list's entries are words as normalised text has them: no empty entry, no space at
 * either end, none doubled (the word sets assume it, and are not built otherwise). */
static bool words_well_formed(const struct ivrsm_text_words *list)
{
    for (; list && list->text; list++) {
        const char *t = list->text;
        const size_t n = list->len;
        if (n == 0 || t[0] == ' ' || t[n - 1] == ' ' || memchr(t, '\0', n))
            return false;
        for (size_t i = 1; i < n; i++)
            if (t[i] == ' ' && t[i - 1] == ' ')
                return false;
    }
    return true;
}

/* Adds the keys of the words of each entry of `list` to k (of its first word only when
 * first_only). */
static void add_word_keys(ivrsm_word_keys *k, const struct ivrsm_text_words *list, bool first_only)
{
    for (; list && list->text; list++) {
        const char *t = list->text;
        const size_t n = list->len;
        for (size_t i = 0; i < n; i++) {
            const size_t start = i;
            while (i < n && t[i] != ' ')
                i++;
            const unsigned key = ivrsm_word_key((unsigned char)t[start], i - start);
            k->bits[key >> 6] |= (uint64_t)1 << (key & 63);
            if (first_only)
                break;
        }
    }
}

static void prepare_heard_cache(const ivrsm_text_rules *rules)
{
    ivrsm_heard_cache *hc = rules->heard_cache;
    int expected = 0;
    if (!hc || atomic_load_explicit(&hc->phase, memory_order_acquire) != 0 ||
        !atomic_compare_exchange_strong_explicit(&hc->phase, &expected, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        return;
    /* Lists with odd entries are compared whole, without sets (phase left at 1). */
    if (!words_well_formed(rules->dont_know) || !words_well_formed(rules->idioms) ||
        !words_well_formed(rules->negations) || !words_well_formed(rules->negations_after) ||
        !words_well_formed(rules->clause_negations) || !words_well_formed(rules->answers_yes) ||
        !words_well_formed(rules->answers_no) || !words_well_formed(rules->negations_closing) ||
        !words_well_formed(rules->corrections))
        return;
    memset(&hc->taken_back, 0, sizeof hc->taken_back);
    memset(&hc->scope_first, 0, sizeof hc->scope_first);
    memset(&hc->after_first, 0, sizeof hc->after_first);
    memset(&hc->yes_first, 0, sizeof hc->yes_first);
    memset(&hc->no_first, 0, sizeof hc->no_first);
    memset(&hc->correction_first, 0, sizeof hc->correction_first);
    add_word_keys(&hc->taken_back, rules->dont_know, false);
    add_word_keys(&hc->taken_back, rules->idioms, false);
    add_word_keys(&hc->scope_first, rules->negations, true);
    add_word_keys(&hc->after_first, rules->negations_after, true);
    add_word_keys(&hc->after_first, rules->clause_negations, true);
    add_word_keys(&hc->after_first, rules->negations_closing, true);
    add_word_keys(&hc->correction_first, rules->corrections, true);
    add_word_keys(&hc->yes_first, rules->answers_yes, true);
    add_word_keys(&hc->no_first, rules->answers_no, true);
    for (size_t i = 0; i < IVRSM_WORD_KEY_BITS / 64; i++)
        hc->turn_first.bits[i] =
            hc->after_first.bits[i] | hc->yes_first.bits[i] | hc->no_first.bits[i];
    memset(hc->turn_bytes, 0, sizeof hc->turn_bytes);
    const struct ivrsm_text_words *turning[] = {rules->negations_after, rules->clause_negations,
                                                rules->answers_yes, rules->answers_no,
                                                rules->negations_closing};
    for (size_t l = 0; l < 5; l++)
        for (const struct ivrsm_text_words *e = turning[l]; e && e->text; e++) {
            const unsigned char c = (unsigned char)e->text[0];
            hc->turn_bytes[c >> 6] |= (uint64_t)1 << (c & 63);
        }
    memset(hc->correction_bytes, 0, sizeof hc->correction_bytes);
    for (const struct ivrsm_text_words *e = rules->corrections; e && e->text; e++) {
        const unsigned char c = (unsigned char)e->text[0];
        hc->correction_bytes[c >> 6] |= (uint64_t)1 << (c & 63);
    }
    memset(hc->correction_words, 0, sizeof hc->correction_words);
    hc->correction_sets = 0;
    for (const struct ivrsm_text_words *e = rules->corrections; e && e->text; e++) {
        if (hc->correction_sets == IVRSM_CORRECTION_SETS_MAX) {
            hc->correction_sets = 0;
            break;
        }
        ivrsm_sentence_keys *k = &hc->correction_words[hc->correction_sets++];
        for (size_t i = 0, end; i < e->len; i = end + 1) {
            for (end = i; end < e->len && e->text[end] != ' ';)
                end++;
            const unsigned key =
                ivrsm_sentence_key(ivrsm_word_key((unsigned char)e->text[i], end - i));
            k->bits[key >> 6] |= (uint64_t)1 << (key & 63);
        }
    }
    memset(&hc->turn_keys, 0, sizeof hc->turn_keys);
    memset(&hc->correction_keys, 0, sizeof hc->correction_keys);
    for (unsigned k = 0; k < IVRSM_WORD_KEY_BITS; k++) {
        const unsigned folded = ivrsm_sentence_key(k);
        if (ivrsm_word_keys_has(&hc->turn_first, k))
            hc->turn_keys.bits[folded >> 6] |= (uint64_t)1 << (folded & 63);
        if (ivrsm_word_keys_has(&hc->correction_first, k))
            hc->correction_keys.bits[folded >> 6] |= (uint64_t)1 << (folded & 63);
    }
    atomic_store_explicit(&hc->phase, 2, memory_order_release);
}

/* rules' word sets when they are built, else NULL. */
static inline const ivrsm_heard_cache *heard_cache(const ivrsm_text_rules *rules)
{
    const ivrsm_heard_cache *hc = rules->heard_cache;
    return hc && atomic_load_explicit(&hc->phase, memory_order_acquire) == 2 ? hc : NULL;
}

/* The output being built: out[0..len), and where rewriting may start. */
struct norm_out {
    char *out;
    size_t cap;
    size_t len;
    size_t floor; /* text before it was written by a rewrite: never rewritten again */
    int pending_space;
    ivrsm_rewrite_index *index;
    ivrsm_word_starts *starts; /* the first bytes and keys of the words written, or NULL */
    size_t word_at;            /* where the word being written started */
};

/* Notes the key of word w[0..n) in starts' set of keys. */
static inline void mark_key(ivrsm_word_starts *starts, const char *w, size_t n)
{
    const unsigned key = ivrsm_sentence_key(ivrsm_word_key((unsigned char)w[0], n));
    starts->keys.bits[key >> 6] |= (uint64_t)1 << (key & 63);
}

/* Whether two sets of a sentence's keys share one. */
static inline bool keys_meet(const ivrsm_sentence_keys *a, const ivrsm_sentence_keys *b)
{
    return ((a->bits[0] & b->bits[0]) | (a->bits[1] & b->bits[1]) | (a->bits[2] & b->bits[2]) |
            (a->bits[3] & b->bits[3])) != 0;
}

/* Notes byte c as the first of a word written, when the caller wants them. */
static inline void mark_start(struct norm_out *o, unsigned char c)
{
    if (o->starts)
        o->starts->bits[c >> 6] |= (uint64_t)1 << (c & 63);
}

/*
 * The Latin-1 letter a lower-case ASCII letter and a combining mark (U+0300..U+036F) make
 * together, as Unicode's canonical composition (NFC) makes it: "e" and U+0301 are "é". 0 when
 * they make none there. Text in decomposed form (NFD: a macOS file, some recognisers) writes
 * each accented letter so.
 */
static uint32_t compose_latin1(char base, uint32_t mark)
{
    static const struct {
        char base;
        uint16_t mark;
        uint8_t letter; /* U+00E0..U+00FF, less 0xE0 */
    } pairs[] = {
        {'a', 0x300, 0x00}, {'a', 0x301, 0x01}, {'a', 0x302, 0x02}, {'a', 0x303, 0x03},
        {'a', 0x308, 0x04}, {'a', 0x30A, 0x05}, {'c', 0x327, 0x07}, {'e', 0x300, 0x08},
        {'e', 0x301, 0x09}, {'e', 0x302, 0x0A}, {'e', 0x308, 0x0B}, {'i', 0x300, 0x0C},
        {'i', 0x301, 0x0D}, {'i', 0x302, 0x0E}, {'i', 0x308, 0x0F}, {'n', 0x303, 0x11},
        {'o', 0x300, 0x12}, {'o', 0x301, 0x13}, {'o', 0x302, 0x14}, {'o', 0x303, 0x15},
        {'o', 0x308, 0x16}, {'u', 0x300, 0x19}, {'u', 0x301, 0x1A}, {'u', 0x302, 0x1B},
        {'u', 0x308, 0x1C}, {'y', 0x301, 0x1D}, {'y', 0x308, 0x1F},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (pairs[i].base == base && pairs[i].mark == mark)
            return 0xE0u + pairs[i].letter;
    return 0;
}

/*
 * A combining mark at p[0..avail) (U+0300..U+036F, two bytes from 0xCC or 0xCD) after the
 * letter the output ends with: that letter and the mark are written as the accented letter
 * they make, folded as it is ("n" and a tilde are Spanish "ñ", "o" and a diaeresis German
 * "oe"); a mark that makes no letter with what comes before it is dropped, as the accents of
 * the letters it would make are. The bytes read (2), 0 when p holds no combining mark, or -1
 * when the output is full.
 */
static int compose_mark(const ivrsm_text_rules *rules, struct norm_out *o, const unsigned char *p,
                        size_t avail)
{
    if (avail < 2 || (p[1] & 0xC0) != 0x80 || (p[0] == 0xCD && p[1] > 0xAF))
        return 0;
    uint32_t mark = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3Fu);
    bool after_letter = !o->pending_space && o->len > o->floor && o->len > 0 &&
                        o->out[o->len - 1] >= 'a' && o->out[o->len - 1] <= 'z';
    uint32_t letter = after_letter ? compose_latin1(o->out[o->len - 1], mark) : 0;
    if (!letter)
        return 2;
    const char *own = rules_fold(rules, letter);
    const char *piece = own ? own : latin1_upper_fold[letter - 0xC0];
    size_t n = strlen(piece);
    o->len--; /* the letter, written again as the accented one */
    if (o->len + n >= o->cap)
        return -1;
    if (o->len == 0 || o->out[o->len - 1] == ' ') {
        mark_start(o, (unsigned char)piece[0]);
        o->word_at = o->len;
    }
    memcpy(o->out + o->len, piece, n);
    o->len += n;
    return 2;
}

static size_t rewrite_from_len(const struct ivrsm_text_rewrite *r)
{
    return r->from_len ? r->from_len : strlen(r->from);
}

/* The bucket of three bytes: a hash of them. */
static unsigned rewrite_hash(unsigned char third, unsigned char second, unsigned char last)
{
    return ((third * 31u + second) * 31u + last) & 0xFFu;
}

/*
 * The bucket of words ending in text[0..n), n >= 1: their last three bytes, a space standing
 * for those before the text (a rewrite's words start the output or follow a space, so a
 * rewrite of two bytes is keyed as the output ending with it is). The last two bytes alone
 * put English's "i d", "you d", "he d"... (and the twelve ending in " s") in one bucket.
 */
static unsigned rewrite_key(const char *text, size_t n)
{
    const unsigned char second = n >= 2 ? (unsigned char)text[n - 2] : ' ';
    const unsigned char third = n >= 3 ? (unsigned char)text[n - 3] : ' ';
    return rewrite_hash(third, second, (unsigned char)text[n - 1]);
}

/*
 * A rewrite of one byte follows a space whose byte before is any: it is keyed as if a space
 * came before, and an output whose last word is one byte long looks there too.
 */
static unsigned one_byte_key(unsigned char c)
{
    return rewrite_hash(' ', ' ', c);
}

static void build_rewrite_index(const ivrsm_text_rules *rules, ivrsm_rewrite_index *x)
{
    memset(x->head, 0, sizeof x->head);
    x->state = 1;
    x->one_byte = 0;
    for (size_t i = 0; rules->rewrites[i].from; i++) {
        if (i >= IVRSM_REWRITE_INDEX_MAX) {
            x->state = -1;
            return;
        }
        size_t n = rewrite_from_len(&rules->rewrites[i]);
        if (n == 0) /* an empty rewrite never applies */
            continue;
        const unsigned key = rewrite_key(rules->rewrites[i].from, n); /* n == 1: one_byte_key */
        x->one_byte |= n == 1;
        const unsigned char k = (unsigned char)(i + 1);
        x->next[k] = 0;
        if (x->head[key])
            x->next[x->tail[key]] = k;
        else
            x->head[key] = k;
        x->tail[key] = k;
    }
}

/* Whether r, of n bytes, is a longer match than best_len for the words that end the output. */
static int rewrite_fits(const struct norm_out *o, const struct ivrsm_text_rewrite *r, size_t n,
                        size_t best_len)
{
    if (n <= best_len || n > o->len - o->floor || o->out[o->len - 1] != r->from[n - 1])
        return 0;
    size_t start = o->len - n;
    return (start == 0 || o->out[start - 1] == ' ') && memcmp(o->out + start, r->from, n) == 0;
}

/* Appends piece[0..n) to the current word, after a space when a word ended before. */
static int put_piece(struct norm_out *o, const char *piece, size_t n)
{
    const size_t space = o->pending_space && o->len > 0;
    if (o->len + space + n >= o->cap)
        return -1;
    if (space)
        o->out[o->len++] = ' ';
    if (space || o->len == 0) {
        mark_start(o, (unsigned char)piece[0]);
        o->word_at = o->len;
    }
    o->pending_space = 0;
    /* Folded pieces are one or two bytes (a letter, "oe", a kept 2-byte character): copied
     * without a call; longer ones (CJK, a language's own folds) by memcpy. */
    if (n <= 2) {
        o->out[o->len] = piece[0];
        o->out[o->len + n - 1] = piece[n - 1];
    } else {
        memcpy(o->out + o->len, piece, n);
    }
    o->len += n;
    return 0;
}

/*
 * A word has just ended the output: the longest rewrite whose words end it,
 * starting on a word boundary at or after the floor, replaces them.
 */
static int rewrite_tail(const ivrsm_text_rules *rules, struct norm_out *o)
{
    const struct ivrsm_text_rewrite *best = NULL;
    size_t best_len = 0;
    if (o->index->state == 0)
        build_rewrite_index(rules, o->index);
    if (o->index->state > 0) {
        const unsigned key = rewrite_key(o->out, o->len);
        unsigned keys[2] = {key, key};
        if (o->index->one_byte && o->len >= 3 && o->out[o->len - 2] == ' ')
            keys[1] = one_byte_key((unsigned char)o->out[o->len - 1]);
        /* The two buckets hold rewrites of different lengths: no tie between them. */
        for (int b = 0; b < 2 && (b == 0 || keys[1] != key); b++)
            for (unsigned k = o->index->head[keys[b]]; k; k = o->index->next[k]) {
                const struct ivrsm_text_rewrite *r = &rules->rewrites[k - 1];
                size_t n = rewrite_from_len(r);
                if (rewrite_fits(o, r, n, best_len)) {
                    best = r;
                    best_len = n;
                }
            }
    } else {
        for (const struct ivrsm_text_rewrite *r = rules->rewrites; r->from; r++) {
            size_t n = rewrite_from_len(r);
            if (rewrite_fits(o, r, n, best_len)) {
                best = r;
                best_len = n;
            }
        }
    }
    if (!best)
        return 0;
    size_t start = o->len - best_len;
    size_t n = best->to_len ? best->to_len : strlen(best->to);
    if (start + n >= o->cap)
        return -1;
    memcpy(o->out + start, best->to, n);
    o->len = start + n;
    o->floor = o->len;
    /* The words written start where from's did; the words replaced keep their bits (a
     * first byte too many only costs a phrase a scan). */
    for (size_t k = 0, word = 0; k <= n; k++) {
        if ((k == n || best->to[k] == ' ') && k > word) { /* a word of `to`: to[word..k) */
            mark_start(o, (unsigned char)best->to[word]);
            if (o->starts)
                mark_key(o->starts, best->to + word, k - word);
        }
        if (k < n && best->to[k] == ' ')
            word = k + 1;
    }
    return 0;
}

/*
 * put_piece() for one byte, the case of every ASCII letter and digit: written
 * in place rather than through memcpy, since a call per letter was most of
 * the cost of normalising a sentence.
 */
static inline int put_byte(struct norm_out *o, char c)
{
    const size_t space = o->pending_space && o->len > 0;
    if (o->len + space + 1 >= o->cap)
        return -1;
    if (space)
        o->out[o->len++] = ' ';
    if (space || o->len == 0) {
        mark_start(o, (unsigned char)c);
        o->word_at = o->len;
    }
    o->pending_space = 0;
    o->out[o->len++] = c;
    return 0;
}

/* Whether some rewrite of a built index may end the output: most words have none. */
static inline int may_rewrite(const struct norm_out *o)
{
    const ivrsm_rewrite_index *x = o->index;
    if (x->head[rewrite_key(o->out, o->len)])
        return 1;
    return x->one_byte && o->len >= 3 && o->out[o->len - 2] == ' ' &&
           x->head[one_byte_key((unsigned char)o->out[o->len - 1])];
}

/* The word that ends the output is complete: rewritten when a rewrite of rules fits. */
static int rewrite_word(const ivrsm_text_rules *rules, struct norm_out *o)
{
    if (o->len == 0 || (o->index->state > 0 && !may_rewrite(o)))
        return 0;
    return rewrite_tail(rules, o);
}

/* A separator: the word before it, if any, is complete. Inline: it is met after every word,
 * and most languages have no rewrites. */
static inline int end_word(const ivrsm_text_rules *rules, struct norm_out *o)
{
    if (o->pending_space)
        return 0;
    o->pending_space = 1;
    if (o->starts && o->len > o->word_at)
        mark_key(o->starts, o->out + o->word_at, o->len - o->word_at);
    if (!rules || !rules->rewrites)
        return 0;
    return rewrite_word(rules, o);
}

/* The rewrite index of ivrsm_text_rules_prepare(), what a normalisation needs. */
static void prepare_rewrites(const ivrsm_text_rules *rules)
{
    if (!rules || !rules->cache || !rules->rewrites)
        return;
    int expected = 0;
    if (atomic_load_explicit(&rules->cache->phase, memory_order_acquire) != 0 ||
        !atomic_compare_exchange_strong_explicit(&rules->cache->phase, &expected, 1,
                                                 memory_order_acquire, memory_order_relaxed))
        return;
    build_rewrite_index(rules, &rules->cache->index);
    atomic_store_explicit(&rules->cache->phase, 2, memory_order_release);
}

void ivrsm_text_rules_prepare(const ivrsm_text_rules *rules)
{
    if (rules)
        prepare_heard_cache(rules);
    prepare_rewrites(rules);
}

/*
 * What any byte becomes inside an ASCII word: ascii_fold's letter or digit, 0 for the rest
 * (a separator, or a byte from 0x80 on that the code point's own path folds).
 */
static const char word_byte[256] = {
    ASCII_FOLDED_ENTRIES,
};

/*
 * The rest of an ASCII word from p[*i] on, while it stays letters and digits: one look-up and
 * one store per byte, the positions in registers and the room worked out once (a test of the
 * room and two stores through pointers per byte were most of the cost; eight bytes at a time
 * cost more than they save on words this short). -1 when the word does not fit.
 */
static inline int put_ascii_run(struct norm_out *o, const unsigned char *p, size_t *i, size_t len)
{
    char *out = o->out;
    size_t j = *i, k = o->len;
    /* out[k] may be written while k + 1 < cap (the NUL's byte stays free). */
    const size_t room = o->cap - 1 - k;
    const size_t stop = len - j < room ? len : j + room;
    char c;
    while (j < stop && (c = word_byte[p[j]]) != 0) {
        out[k++] = c;
        j++;
    }
    *i = j;
    o->len = k;
    return j < len && j == stop && word_byte[p[j]] ? -1 : 0;
}

static int normalize(const ivrsm_text_rules *rules, const char *in, size_t len, char *out,
                     size_t cap, ivrsm_word_starts *starts)
{
    if (starts)
        memset(starts, 0, sizeof *starts);
    if (!out || cap == 0 || (!in && len > 0))
        return -1;
    if (cap > (size_t)INT_MAX) /* the length is returned as an int */
        cap = (size_t)INT_MAX;
    const unsigned char *p = (const unsigned char *)in;
    /* pending_space: a separator was seen since the last word byte (none yet). */
    ivrsm_rewrite_index index;
    index.state = 0;
    struct norm_out o = {out, cap, 0, 0, 1, &index, starts, 0};
    if (rules && rules->cache) {
        prepare_rewrites(rules);
        if (atomic_load_explicit(&rules->cache->phase, memory_order_acquire) == 2)
            o.index = &rules->cache->index; /* read only from here on */
    }
    size_t i = 0;
    while (i < len) {
        const unsigned char b = p[i];
        if (b < 0x80) { /* the common case, one table look-up per byte */
            const char c = ascii_fold[b];
            i++;
            if (!c) {
                if (end_word(rules, &o) != 0)
                    return -1;
                continue;
            }
            if (put_byte(&o, c) != 0)
                return -1;
            if (put_ascii_run(&o, p, &i, len) != 0)
                return -1;
            continue;
        }
        if (b == 0xCC || b == 0xCD) { /* a combining mark, or U+0300..U+037F's others */
            int read = compose_mark(rules, &o, p + i, len - i);
            if (read < 0)
                return -1;
            if (read > 0) {
                i += (size_t)read;
                continue;
            }
        }
        const char *piece;
        size_t piece_len;
        int n = fold_code_point(rules, p + i, len - i, &piece, &piece_len);
        if (n == 0)
            return -1;
        i += (size_t)n;
        if (piece_len == 0) {
            if (end_word(rules, &o) != 0)
                return -1;
            continue;
        }
        if (put_piece(&o, piece, piece_len) != 0)
            return -1;
    }
    if (end_word(rules, &o) != 0)
        return -1;
    out[o.len] = '\0';
    return (int)o.len;
}

int ivrsm_text_normalize_rules(const ivrsm_text_rules *rules, const char *in, size_t len, char *out,
                               size_t cap)
{
    return normalize(rules, in, len, out, cap, NULL);
}

int ivrsm_text_normalize_starts(const ivrsm_text_rules *rules, const char *in, size_t len,
                                char *out, size_t cap, ivrsm_word_starts *starts)
{
    return normalize(rules, in, len, out, cap, starts);
}

int ivrsm_text_normalize(const char *in, size_t len, char *out, size_t cap)
{
    return ivrsm_text_normalize_rules(NULL, in, len, out, cap);
}

/* ivrsm_text_find_phrase() for this file's callers, inline (the exported one is not). */
static inline ptrdiff_t find_phrase(const char *text, size_t text_len, size_t from,
                                    const char *phrase, size_t phrase_len)
{
    if (!text || !phrase || phrase_len == 0 || phrase_len > text_len)
        return -1;
    const char first = phrase[0];
    const size_t last_start = text_len - phrase_len;
    for (size_t i = from; i <= last_start; i++) {
        if (text[i] != first || (i > 0 && text[i - 1] != ' '))
            continue;
        if (memcmp(text + i, phrase, phrase_len) != 0)
            continue;
        size_t end = i + phrase_len;
        if (end == text_len || text[end] == ' ')
            return (ptrdiff_t)i;
    }
    return -1;
}

ptrdiff_t ivrsm_text_find_phrase(const char *text, size_t text_len, size_t from, const char *phrase,
                                 size_t phrase_len)
{
    return find_phrase(text, text_len, from, phrase, phrase_len);
}

int ivrsm_text_has_phrase(const char *text, size_t text_len, const char *phrase, size_t phrase_len)
{
    return find_phrase(text, text_len, 0, phrase, phrase_len) >= 0;
}

/* Whether the words right before text[at] (a word start) are one of `words`. */
static bool preceded_by(const char *text, size_t at, const struct ivrsm_text_words *words)
{
    if (at < 2) /* a word, a space, then the occurrence */
        return false;
    const char last = text[at - 2];
    for (; words->text; words++) {
        const size_t n = words->len;
        if (n == 0 || n > at - 1 || words->text[n - 1] != last)
            continue;
        const size_t start = at - 1 - n;
        if ((start == 0 || text[start - 1] == ' ') && memcmp(text + start, words->text, n) == 0)
            return true;
    }
    return false;
}

/* Whether one of `spans` occurs in text around text[at..at+len) and is longer than it. */
static bool inside_one_of(const char *text, size_t text_len, size_t at, size_t len,
                          const struct ivrsm_text_words *spans)
{
    for (; spans->text; spans++) {
        const size_t n = spans->len;
        if (n <= len || n > text_len)
            continue;
        /* The occurrences that hold [at, at + len): they start from at + len - n to at. */
        const size_t lowest = at + len > n ? at + len - n : 0;
        for (size_t s = lowest; s <= at && s + n <= text_len; s++)
            if ((s == 0 || text[s - 1] == ' ') && text[s] == spans->text[0] &&
                (s + n == text_len || text[s + n] == ' ') && memcmp(text + s, spans->text, n) == 0)
                return true;
    }
    return false;
}

/* Whether every word of text[0..len) has its key in k. */
static bool all_words_of(const ivrsm_word_keys *k, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        const size_t start = i;
        while (i < len && text[i] != ' ')
            i++;
        if (i > start &&
            !ivrsm_word_keys_has(k, ivrsm_word_key((unsigned char)text[start], i - start)))
            return false;
    }
    return true;
}

/* Whether phrase[0..len) holds one of `spans` (it says it itself), or lies inside a longer one. */
static void holds_or_inside(const char *phrase, size_t len, const struct ivrsm_text_words *spans,
                            bool *holds, bool *inside)
{
    for (const struct ivrsm_text_words *d = spans; d && d->text && !*holds; d++) {
        if (ivrsm_text_has_phrase(phrase, len, d->text, d->len))
            *holds = true;
        *inside = *inside || (d->len > len && ivrsm_text_has_phrase(d->text, d->len, phrase, len));
    }
}

bool ivrsm_text_may_not_know(const ivrsm_text_rules *rules, const char *phrase, size_t len)
{
    if (!rules || (!rules->dont_know && !rules->idioms))
        return false;
    /* Lying inside one of them, the phrase has only words of the lists: most phrases have one
     * that is not, and are answered by their words' keys alone (holding one matters only to a
     * phrase that may lie inside another). */
    const ivrsm_heard_cache *hc = heard_cache(rules);
    if (hc && !all_words_of(&hc->taken_back, phrase, len))
        return false;
    bool holds = false, inside = false;
    holds_or_inside(phrase, len, rules->dont_know, &holds, &inside);
    holds_or_inside(phrase, len, rules->idioms, &holds, &inside);
    return inside && !holds;
}

/* The length of the longest entry of `list` that is whole words of text from text[i] (a word
 * start) on and ends before text[end] (a space); 0 when none. */
static size_t longest_at(const char *text, size_t i, size_t end,
                         const struct ivrsm_text_words *list)
{
    size_t best = 0;
    for (; list && list->text; list++) {
        const size_t n = list->len;
        if (n <= best || n > end - i || text[i] != list->text[0] || text[i + n] != ' ')
            continue;
        if (memcmp(text + i, list->text, n) == 0)
            best = n;
    }
    return best;
}

/* The start of the word after the one at text[i], or end + 1 when it is the last before end. */
static size_t next_word(const char *text, size_t i, size_t end)
{
    while (i < end && text[i] != ' ')
        i++;
    return i + 1;
}

/*
 * Whether the words before text[at] (a word start, at >= 2) leave a negation's reach open:
 * read from the start, a negation reaches the end of its clause; a clause break ends the reach; an
 * idiom anywhere, and a short answer at the start of a clause, are a clause of their own (the reach
 * before them ends, none starts).
 */
static bool in_negation_reach(const ivrsm_text_rules *rules, const char *text, size_t at)
{
    const size_t end = at - 1; /* the space before the occurrence */
    bool open = false, clause_start = true;
    size_t i = 0;
    while (i < end) {
        size_t n = longest_at(text, i, end, rules->idioms);
        if (!n && clause_start)
            n = longest_at(text, i, end, rules->short_answers);
        if (n) {
            open = false;
            clause_start = true;
            i += n + 1;
            continue;
        }
        n = longest_at(text, i, end, rules->negations);
        if (n) {
            open = true;
            clause_start = false;
            i += n + 1;
            continue;
        }
        n = longest_at(text, i, end, rules->clause_breaks);
        if (n) {
            open = false;
            clause_start = true;
            i += n + 1;
            continue;
        }
        clause_start = false;
        i = next_word(text, i, end);
    }
    return open;
}

/* Whether text[at..at+len) holds one of `words` as whole words. */
static bool holds_one_of(const char *text, size_t at, size_t len,
                         const struct ivrsm_text_words *words)
{
    for (; words->text; words++)
        if (find_phrase(text + at, len, 0, words->text, words->len) >= 0)
            return true;
    return false;
}

/* ivrsm_text_heard(), inline for the matcher's loop. */
/*
 * Whether a word before text[at] (a word start, at >= 2) may start a negation of the rules:
 * by the keys of the words when their sets are built (from memo->clear on, which moves past
 * the words found to start none), else always.
 */
static inline bool negation_may_come_before(const ivrsm_text_rules *rules, const char *text,
                                            size_t at, ivrsm_heard_memo *memo)
{
    const ivrsm_heard_cache *hc = heard_cache(rules);
    if (!hc)
        return true;
    const size_t end = at - 1;
    size_t i = memo->clear;
    while (i < end) {
        const size_t start = i;
        while (i < end && text[i] != ' ')
            i++;
        if (ivrsm_word_keys_has(&hc->scope_first,
                                ivrsm_word_key((unsigned char)text[start], i - start)))
            return true;
        memo->clear = ++i;
    }
    return false;
}

/*
 * The length of the longest entry of `list` that is whole words of text[i..end) from text[i]
 * (a word start) on, ending at end or before a space; 0 when none.
 */
static size_t longest_to(const char *text, size_t i, size_t end,
                         const struct ivrsm_text_words *list)
{
    size_t best = 0;
    for (; list && list->text; list++) {
        const size_t n = list->len;
        if (n <= best || n > end - i || text[i] != list->text[0] ||
            (i + n < end && text[i + n] != ' '))
            continue;
        if (memcmp(text + i, list->text, n) == 0)
            best = n;
    }
    return best;
}

/* Whether a word of text[from..end) has its key in k. */
static bool some_word_in(const ivrsm_word_keys *k, const char *text, size_t from, size_t end)
{
    for (size_t i = from; i < end; i++) {
        const size_t start = i;
        while (i < end && text[i] != ' ')
            i++;
        if (i > start &&
            ivrsm_word_keys_has(k, ivrsm_word_key((unsigned char)text[start], i - start)))
            return true;
    }
    return false;
}

/* Whether nothing of a clause follows text[end] (the end of a word): the text ends there, or a
 * clause break starts the next word. */
static bool closes_clause(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                          size_t end)
{
    return end >= text_len || longest_to(text, end + 1, text_len, rules->clause_breaks) > 0;
}

/*
 * Whether a negation after the words ending at text[end] takes them back: one of
 * `negations_after` right after them ("j annule pas"), or one of `clause_negations` before the
 * end of their clause (a clause break ends it: "cancel it no", "ich storniere den termin
 * nicht"). An idiom longer than the negation that starts where it does is no negation, and
 * ends the clause ("yes no problem"); one as long is ("ich storniere gar nicht"). Right after
 * a clause break, a short answer is a clause of its own ("oui pas maintenant").
 */
static bool taken_back_after(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                             size_t end)
{
    const ivrsm_heard_cache *hc = heard_cache(rules);
    if (end + 1 >= text_len || (hc && !some_word_in(&hc->after_first, text, end + 1, text_len)))
        return false;
    bool first = true;
    for (size_t i = end + 1; i < text_len; i = next_word(text, i, text_len), first = false) {
        size_t neg = longest_to(text, i, text_len, rules->clause_negations);
        if (first) {
            const size_t n = longest_to(text, i, text_len, rules->negations_after);
            neg = n > neg ? n : neg;
            const size_t c = longest_to(text, i, text_len, rules->negations_closing);
            if (c > neg && closes_clause(rules, text, text_len, i + c))
                neg = c;
        }
        const size_t idiom = longest_to(text, i, text_len, rules->idioms);
        /* After a clause break ("oui"), a short answer is a clause of its own ("oui, pas
         * maintenant"). */
        if (first && neg && rules->short_answers && rules->clause_breaks &&
            longest_to(text, i, text_len, rules->short_answers) >= neg &&
            preceded_by(text, i, rules->clause_breaks))
            return false;
        if (neg && neg >= idiom)
            return true;
        if (idiom || !rules->clause_negations ||
            longest_to(text, i, text_len, rules->clause_breaks))
            return false;
    }
    return false;
}

/* Whether text[from..end) holds one of `answers` as whole words, idioms and "don't know"s read
 * first (the "no" of "no problem" or of "no se" is no answer). */
static bool says_answer(const ivrsm_text_rules *rules, const char *text, size_t from, size_t end,
                        const struct ivrsm_text_words *answers, const ivrsm_word_keys *first)
{
    if (from >= end || (first && !some_word_in(first, text, from, end)))
        return false;
    for (size_t i = from; i < end;) {
        size_t n = longest_to(text, i, end, rules->idioms);
        const size_t d = longest_to(text, i, end, rules->dont_know);
        n = d > n ? d : n;
        if (n) {
            i += n + 1;
            continue;
        }
        if (longest_to(text, i, end, answers))
            return true;
        i = next_word(text, i, end);
    }
    return false;
}

/*
 * Whether the phrase text[at..at+len) holds an answer of one kind (yes, or no) while the text
 * around it says the other: a caller who says both has given neither ("yes no", "sí no", "non
 * oui").
 */
static bool answers_disagree(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                             size_t at, size_t len)
{
    const ivrsm_heard_cache *hc = heard_cache(rules);
    const bool yes =
        says_answer(rules, text, at, at + len, rules->answers_yes, hc ? &hc->yes_first : NULL);
    const bool no =
        says_answer(rules, text, at, at + len, rules->answers_no, hc ? &hc->no_first : NULL);
    if (yes == no)
        return false;
    const struct ivrsm_text_words *other = yes ? rules->answers_no : rules->answers_yes;
    const ivrsm_word_keys *first = hc ? (yes ? &hc->no_first : &hc->yes_first) : NULL;
    return (at >= 2 && says_answer(rules, text, 0, at - 1, other, first)) ||
           (at + len + 1 < text_len &&
            says_answer(rules, text, at + len + 1, text_len, other, first));
}

/*
 * Whether a word of the text may start a negation after a phrase or an answer, by the keys of
 * its words (once per text, kept in memo): most sentences have none, and their phrases are
 * spared both looks.
 */
static inline bool text_may_turn(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                                 ivrsm_heard_memo *memo)
{
    const ivrsm_heard_cache *hc = heard_cache(rules);
    if (!hc)
        return true;
    if (!memo->turns) {
        const uint64_t *b = memo->starts;
        const bool bytes = !b || (b[0] & hc->turn_bytes[0]) || (b[1] & hc->turn_bytes[1]) ||
                           (b[2] & hc->turn_bytes[2]) || (b[3] & hc->turn_bytes[3]);
        /* The keys the normaliser noted answer most texts without reading them. */
        const bool keys = !memo->keys || keys_meet(memo->keys, &hc->turn_keys);
        memo->turns = bytes && keys && some_word_in(&hc->turn_first, text, 0, text_len) ? 2 : 1;
    }
    return memo->turns == 2;
}

/* Whether text[at..at+len) holds a negation of any of the rules' three lists. */
static bool holds_negation(const ivrsm_text_rules *rules, const char *text, size_t at, size_t len)
{
    return (rules->negations && holds_one_of(text, at, len, rules->negations)) ||
           (rules->negations_after && holds_one_of(text, at, len, rules->negations_after)) ||
           (rules->clause_negations && holds_one_of(text, at, len, rules->clause_negations)) ||
           (rules->negations_closing && holds_one_of(text, at, len, rules->negations_closing));
}

static inline bool heard_as_said(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                                 size_t at, size_t len, bool may_not_know, ivrsm_heard_memo *memo)
{
    /* A phrase that holds a negation is a refusal as said ("sais pas" in "je ne sais pas",
     * "no quiero" in "no, no quiero"): only the others are looked at, rarely. */
    if (rules->negations && at >= 2 && negation_may_come_before(rules, text, at, memo) &&
        (preceded_by(text, at, rules->negations) || in_negation_reach(rules, text, at)) &&
        !holds_one_of(text, at, len, rules->negations))
        return false;
    if ((rules->negations_after || rules->clause_negations || rules->answers_yes ||
         rules->negations_closing) &&
        text_may_turn(rules, text, text_len, memo)) {
        if ((rules->negations_after || rules->clause_negations || rules->negations_closing) &&
            taken_back_after(rules, text, text_len, at + len) &&
            !holds_negation(rules, text, at, len))
            return false;
        if (rules->answers_yes && rules->answers_no &&
            answers_disagree(rules, text, text_len, at, len))
            return false;
    }
    return !(may_not_know &&
             ((rules->dont_know && inside_one_of(text, text_len, at, len, rules->dont_know)) ||
              (rules->idioms && inside_one_of(text, text_len, at, len, rules->idioms))));
}

/* Whether a sentence with these keys may hold one of the corrections: the keys of all the words
 * of one of them ("i" and "mean"), or of the first word of one when they are not kept apart. */
static inline bool may_hold_correction(const ivrsm_heard_cache *hc, const ivrsm_sentence_keys *keys)
{
    if (!keys_meet(keys, &hc->correction_keys))
        return false;
    if (hc->correction_sets == 0)
        return true;
    for (size_t i = 0; i < hc->correction_sets; i++) {
        const ivrsm_sentence_keys *k = &hc->correction_words[i];
        if ((keys->bits[0] & k->bits[0]) == k->bits[0] &&
            (keys->bits[1] & k->bits[1]) == k->bits[1] &&
            (keys->bits[2] & k->bits[2]) == k->bits[2] &&
            (keys->bits[3] & k->bits[3]) == k->bits[3])
            return true;
    }
    return false;
}

/*
 * Where the text's last correction followed by words starts and where the words after it start
 * (memo->corrected_from, corrected_to), found once per text: memo->corrected is 2 when there is
 * one. Only words whose key starts a correction are compared.
 */
static void find_correction(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                            ivrsm_heard_memo *memo)
{
    memo->corrected = 1;
    const ivrsm_heard_cache *hc = heard_cache(rules);
    if (hc && memo->starts) {
        const uint64_t *b = memo->starts, *c = hc->correction_bytes;
        if (!((b[0] & c[0]) | (b[1] & c[1]) | (b[2] & c[2]) | (b[3] & c[3])))
            return;
    }
    if (hc && memo->keys && !may_hold_correction(hc, memo->keys))
        return;
    for (size_t i = 0; i < text_len;) {
        size_t end = i;
        while (end < text_len && text[end] != ' ')
            end++;
        const size_t n = hc && !ivrsm_word_keys_has(&hc->correction_first,
                                                    ivrsm_word_key((unsigned char)text[i], end - i))
                             ? 0
                             : longest_to(text, i, text_len, rules->corrections);
        if (n && i + n < text_len) {
            memo->corrected = 2;
            memo->corrected_from = i;
            memo->corrected_to = i + n + 1;
            i += n + 1;
        } else {
            i = end + 1;
        }
    }
}

/*
 * ivrsm_text_heard(): a correction followed by words takes back what comes before it ("yes no
 * wait no", "cancel, I mean, move"), and what follows it is heard on its own; a phrase that
 * holds the correction is heard as said ("pardon" in "pardon, j'ai pas compris").
 */
static inline bool heard(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                         size_t at, size_t len, bool may_not_know, ivrsm_heard_memo *memo)
{
    if (!rules)
        return true;
    if (rules->corrections) {
        if (!memo->corrected)
            find_correction(rules, text, text_len, memo);
        if (memo->corrected == 2) {
            if (at + len <= memo->corrected_from)
                return false;
            if (at >= memo->corrected_to) {
                ivrsm_heard_memo after = {0};
                after.corrected = 1;
                const size_t cut = memo->corrected_to;
                return heard_as_said(rules, text + cut, text_len - cut, at - cut, len, may_not_know,
                                     &after);
            }
        }
    }
    return heard_as_said(rules, text, text_len, at, len, may_not_know, memo);
}

bool ivrsm_text_heard(const ivrsm_text_rules *rules, const char *text, size_t text_len, size_t at,
                      size_t len, bool may_not_know)
{
    ivrsm_heard_memo memo = {0};
    return heard(rules, text, text_len, at, len, may_not_know, &memo);
}

int ivrsm_text_hears_phrase_memo(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                                 const char *phrase, size_t phrase_len, bool may_not_know,
                                 ivrsm_heard_memo *memo)
{
    for (ptrdiff_t at = find_phrase(text, text_len, 0, phrase, phrase_len); at >= 0;
         at = find_phrase(text, text_len, (size_t)at + 1, phrase, phrase_len))
        if (heard(rules, text, text_len, (size_t)at, phrase_len, may_not_know, memo))
            return 1;
    return 0;
}

int ivrsm_text_hears_phrase(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                            const char *phrase, size_t phrase_len, bool may_not_know)
{
    ivrsm_heard_memo memo = {0};
    return ivrsm_text_hears_phrase_memo(rules, text, text_len, phrase, phrase_len, may_not_know,
                                        &memo);
}

void ivrsm_text_word_starts(const char *text, size_t len, ivrsm_word_starts *ws)
{
    memset(ws, 0, sizeof(*ws));
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && text[i - 1] != ' ')
            continue;
        const unsigned char c = (unsigned char)text[i];
        ws->bits[c >> 6] |= (uint64_t)1 << (c & 63);
        size_t end = i;
        while (end < len && text[end] != ' ')
            end++;
        if (end > i)
            mark_key(ws, text + i, end - i);
    }
}

size_t ivrsm_text_collapse_spaces(const char *src, size_t len, char *out)
{
    size_t o = 0;
    int pending_space = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
            pending_space = o > 0;
            continue;
        }
        if (pending_space)
            out[o++] = ' ';
        pending_space = 0;
        out[o++] = c;
    }
    out[o] = '\0';
    return o;
}

size_t ivrsm_json_string_end(const char *p, size_t len, size_t open)
{
    for (size_t i = open + 1; i < len; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i;
    }
    return len;
}

/* Whether word w[0..n) is stem[0..stem_len) alone or with a present-tense ending. */
static bool is_stem_form(const char *w, size_t n, const char *stem, size_t stem_len)
{
    static const char *const endings[] = {"", "e", "st", "t", "et", "en"};
    if (n < stem_len || n > stem_len + 2 || memcmp(w, stem, stem_len) != 0)
        return false;
    for (size_t k = 0; k < sizeof endings / sizeof endings[0]; k++)
        if (strlen(endings[k]) == n - stem_len &&
            memcmp(w + stem_len, endings[k], n - stem_len) == 0)
            return true;
    return false;
}

#define SEPARABLE_REACH 8 /* the words a prefix may stand after its verb */

bool ivrsm_text_rejoin_separable(char *text, size_t *len, size_t cap, const char *prefix,
                                 size_t prefix_len, const char *stem, size_t stem_len)
{
    const size_t n = *len;
    size_t verb = 0, verb_end = 0, words_since = 0;
    bool have_verb = false;
    for (size_t at = 0; at < n;) {
        size_t end = at;
        while (end < n && text[end] != ' ')
            end++;
        if (have_verb && ++words_since > SEPARABLE_REACH)
            have_verb = false;
        if (have_verb && end - at == prefix_len && memcmp(text + at, prefix, prefix_len) == 0) {
            /* text[verb, verb_end) the form, text[verb_end + 1, at) the words between, text[at,
             * end) the prefix: those words move to the form's place, the infinitive after. */
            const size_t between = at > verb_end + 1 ? at - 1 - (verb_end + 1) : 0;
            const size_t infinitive = prefix_len + stem_len + 2;
            const size_t rest_to = verb + (between ? between + 1 : 0) + infinitive;
            if (rest_to + (n - end) + 1 > cap)
                return false;
            if (between)
                memmove(text + verb, text + verb_end + 1, between);
            memmove(text + rest_to, text + end, n - end);
            char *w = text + verb + (between ? between + 1 : 0);
            if (between)
                w[-1] = ' ';
            memcpy(w, prefix, prefix_len);
            memcpy(w + prefix_len, stem, stem_len);
            memcpy(w + prefix_len + stem_len, "en", 2);
            *len = rest_to + (n - end);
            text[*len] = '\0';
            return true;
        }
        if (is_stem_form(text + at, end - at, stem, stem_len)) {
            verb = at;
            verb_end = end;
            words_since = 0;
            have_verb = true;
        }
        at = end + 1;
    }
    return false;
}

/* --- Words said in another form than a phrase's ----------------------------------------- */

int ivrsm_text_lexicon_order(const void *a, const void *b)
{
    const struct ivrsm_text_words *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->text, y->text, x->len);
}

/* The word of the lexicon that w[0..n) is, or NULL. */
static const struct ivrsm_text_words *lexicon_word(const struct ivrsm_text_words *lexicon,
                                                   size_t count, const char *w, size_t n)
{
    const struct ivrsm_text_words key = {w, n};
    return bsearch(&key, lexicon, count, sizeof *lexicon, ivrsm_text_lexicon_order);
}

/* The word of the lexicon w[0..n) is, as said or by an ending of the rules, or NULL. */
static const struct ivrsm_text_words *known_form(const ivrsm_text_rules *rules,
                                                 const struct ivrsm_text_words *lexicon,
                                                 size_t count, const char *w, size_t n)
{
    const struct ivrsm_text_words *hit = lexicon_word(lexicon, count, w, n);
    for (const struct ivrsm_word_ending *e = rules->word_endings; !hit && e && e->said; e++) {
        const size_t said = strlen(e->said), phrase = strlen(e->phrase);
        char form[64];
        if (n < said + 3 || n - said + phrase > sizeof form || memcmp(w + n - said, e->said, said))
            continue;
        memcpy(form, w, n - said);
        memcpy(form + n - said, e->phrase, phrase);
        hit = lexicon_word(lexicon, count, form, n - said + phrase);
    }
    return hit;
}

/* Appends w[0..n) and a space at out + *at (cap bytes); false when it does not fit. */
static bool put_form(char *out, size_t cap, size_t *at, const char *w, size_t n)
{
    if (*at + n + 1 > cap)
        return false;
    memcpy(out + *at, w, n);
    *at += n;
    out[(*at)++] = ' ';
    return true;
}

#define COMPOUND_MIN 7   /* a word of fewer bytes is read as no compound */
#define COMPOUND_DEPTH 3 /* parts a compound is cut into, at most */

/* The parts of compound w[0..n) (ivrsm_text_phrase_forms()) appended to out; false when it is
 * none, or they do not fit (out is then as it was). */
static bool put_compound(const ivrsm_text_rules *rules, const struct ivrsm_text_words *lexicon,
                         size_t count, const char *w, size_t n, char *out, size_t cap, size_t *at,
                         int depth)
{
    if (n < COMPOUND_MIN || depth >= COMPOUND_DEPTH)
        return false;
    const size_t start = *at;
    for (size_t i = 3; i + 4 <= n; i++) {
        const struct ivrsm_text_words *last = known_form(rules, lexicon, count, w + i, n - i);
        if (!last)
            continue;
        const struct ivrsm_text_words *first = known_form(rules, lexicon, count, w, i);
        bool ok = first ? put_form(out, cap, at, first->text, first->len)
                        : put_compound(rules, lexicon, count, w, i, out, cap, at, depth + 1) ||
                              put_form(out, cap, at, w, i);
        if (ok && put_form(out, cap, at, last->text, last->len))
            return true;
        *at = start;
        return false;
    }
    for (size_t i = n - 5; i >= 4; i--) {
        const struct ivrsm_text_words *first = known_form(rules, lexicon, count, w, i);
        if (!first)
            continue;
        if (put_form(out, cap, at, first->text, first->len) && put_form(out, cap, at, w + i, n - i))
            return true;
        *at = start;
        return false;
    }
    return false;
}

size_t ivrsm_text_phrase_forms(const ivrsm_text_rules *rules, const char *text, size_t len,
                               const struct ivrsm_text_words *lexicon, size_t count, char *out,
                               size_t cap)
{
    if (!rules || (!rules->word_endings && !rules->compounds) || count == 0)
        return 0;
    size_t at = 0;
    bool changed = false;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && text[end] != ' ')
            end++;
        const char *w = text + i;
        const size_t n = end - i;
        const struct ivrsm_text_words *form = NULL;
        bool done = false;
        if (n >= 3 && !lexicon_word(lexicon, count, w, n)) {
            form = known_form(rules, lexicon, count, w, n);
            if (form)
                done = put_form(out, cap, &at, form->text, form->len);
            else if (rules->compounds)
                done = put_compound(rules, lexicon, count, w, n, out, cap, &at, 0);
            changed |= done;
        }
        if (!done && !put_form(out, cap, &at, w, n))
            return 0;
        i = end + 1;
    }
    if (!changed || at == 0)
        return 0;
    return at - 1; /* the last space */
}
