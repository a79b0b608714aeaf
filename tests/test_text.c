/*
 * Text functions: UTF-8 validation, normalisation and whole-word phrase search.
 */
#include "arena.h"
#include "buf.h"
#include "collect.h"
#include "locale_tables.h"
#include "mem.h"
#include "text.h"
#include "utf8.h"
#include "words.h"

#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * ivrsm_utf8_valid
 * ------------------------------------------------------------------------- */

struct utf8_case {
    const char *bytes;
    size_t len; /* 0: strlen */
    int valid;
};

static const struct utf8_case utf8_cases[] = {
    {"", 0, 1},
    {"bonjour", 0, 1},
    {"d\xc3\xa9j\xc3\xa0", 0, 1}, /* déjà */
    {"\xe2\x80\x99", 0, 1},       /* ’ */
    {"\xf0\x9f\x98\x80", 0, 1},   /* U+1F600 */
    {"\xf4\x8f\xbf\xbf", 0, 1},   /* U+10FFFF */
    {"\xef\xbf\xbf", 0, 1},       /* U+FFFF */
    {"a\0b", 3, 1},               /* NUL is a valid code point */
    {"\xc3", 0, 0},               /* truncated */
    {"\xe2\x80", 0, 0},           /* truncated */
    {"\x80", 0, 0},               /* lone continuation */
    {"\xc0\xaf", 0, 0},           /* overlong '/' */
    {"\xc1\xbf", 0, 0},           /* overlong */
    {"\xe0\x80\xaf", 0, 0},       /* overlong 3 bytes */
    {"\xf0\x80\x80\xaf", 0, 0},   /* overlong 4 bytes */
    {"\xed\xa0\x80", 0, 0},       /* surrogate U+D800 */
    {"\xed\xbf\xbf", 0, 0},       /* surrogate U+DFFF */
    {"\xf4\x90\x80\x80", 0, 0},   /* U+110000 */
    {"\xf5\x80\x80\x80", 0, 0},   /* invalid lead */
    {"\xff", 0, 0},
    {"\xc3\x28", 0, 0}, /* bad continuation */
    {"caf\xe9", 0, 0},  /* Latin-1, not UTF-8 */
};

/* A buffer on the caller's storage: no allocation while it fits, one of the exact size when
 * stolen, moved to the heap with its contents when it outgrows the storage. */
START_TEST(test_buf_on_storage)
{
    char storage[8];
    ivrsm_buf b;
    ivrsm_buf_on(&b, ivrsm_mem_default(), storage, sizeof storage);
    ck_assert_str_eq(ivrsm_buf_str(&b), "");
    ivrsm_buf_puts(&b, "abc");
    ck_assert_ptr_eq(b.data, storage);
    char *stolen = ivrsm_buf_steal(&b);
    ck_assert_ptr_ne(stolen, storage);
    ck_assert_str_eq(stolen, "abc");
    free(stolen);
    ck_assert_ptr_null(b.data);

    ivrsm_buf_on(&b, ivrsm_mem_default(), storage, sizeof storage);
    ivrsm_buf_puts(&b, "1234567");
    ck_assert_ptr_eq(b.data, storage);
    ivrsm_buf_puts(&b, "89");
    ck_assert_ptr_ne(b.data, storage);
    ck_assert_str_eq(ivrsm_buf_str(&b), "123456789");
    ivrsm_buf_printf(&b, "-%d", 42);
    ck_assert_str_eq(ivrsm_buf_str(&b), "123456789-42");
    stolen = ivrsm_buf_steal(&b);
    ck_assert_str_eq(stolen, "123456789-42");
    free(stolen);

    ivrsm_buf_on(&b, ivrsm_mem_default(), storage, sizeof storage);
    ivrsm_buf_puts(&b, "xy");
    ivrsm_buf_free(&b); /* the storage is not the heap's: nothing freed */
    ck_assert_ptr_null(b.data);
    ivrsm_buf_on(&b, ivrsm_mem_default(), storage, sizeof storage);
    stolen = ivrsm_buf_steal(&b); /* empty: still a string */
    ck_assert_str_eq(stolen, "");
    free(stolen);
}
END_TEST

/* A growable array doubles from its first capacity, and refuses a size past SIZE_MAX bytes. */
START_TEST(test_mem_grow)
{
    const ivrsm_mem *mem = ivrsm_mem_default();
    int *a = NULL;
    size_t cap = 0;
    ck_assert_int_eq(ivrsm_mem_grow(mem, (void **)&a, &cap, 0, sizeof(*a), 4), 0);
    ck_assert_uint_eq(cap, 4);
    for (int i = 0; i < 4; i++)
        a[i] = i;
    ck_assert_int_eq(ivrsm_mem_grow(mem, (void **)&a, &cap, 3, sizeof(*a), 4), 0);
    ck_assert_uint_eq(cap, 4); /* room already */
    ck_assert_int_eq(ivrsm_mem_grow(mem, (void **)&a, &cap, 4, sizeof(*a), 4), 0);
    ck_assert_uint_eq(cap, 8);
    ck_assert_int_eq(a[3], 3); /* kept */
    ck_assert_int_eq(ivrsm_mem_grow(mem, (void **)&a, &cap, 20, sizeof(*a), 4), 0);
    ck_assert_uint_eq(cap, 32);
    int *before = a;
    ck_assert_int_eq(ivrsm_mem_grow(mem, (void **)&a, &cap, SIZE_MAX / 2, sizeof(*a), 4), -1);
    ck_assert_ptr_eq(a, before);
    ck_assert_uint_eq(cap, 32);
    ivrsm_mem_free(mem, a);
}
END_TEST

/* A counting allocator: the arena's blocks are its only allocations. */
static long arena_blocks;
static void *count_malloc(size_t n, void *user)
{
    (void)user;
    arena_blocks++;
    return malloc(n);
}
static void *count_calloc(size_t n, size_t size, void *user)
{
    (void)user;
    arena_blocks++;
    return calloc(n, size);
}
static void *count_realloc(void *p, size_t n, void *user)
{
    (void)user;
    return realloc(p, n);
}
static void count_free(void *p, void *user)
{
    (void)user;
    free(p);
}

/*
 * The arena's inline allocations (a bump in the current block) against a model of what they
 * must give: random sequences of zeroed, raw and string allocations of every size, up to
 * past a block's. Each is aligned as promised (any type; strings anywhere), zeroed when
 * asked, a copy when a string, and none overlaps another: each is filled with its own byte
 * and all are checked at the end. Blocks are asked for only when the current one is full.
 */
START_TEST(test_arena_as_model)
{
    const ivrsm_mem counting = {.user = NULL,
                                .malloc = count_malloc,
                                .free = count_free,
                                .calloc = count_calloc,
                                .realloc = count_realloc};
    unsigned seed = 99;
    for (int round = 0; round < 12; round++) {
        enum { N = 400 };
        static unsigned char *got[N];
        static size_t sizes[N];
        arena_blocks = 0;
        ivrsm_arena *a = ivrsm_arena_new(&counting);
        ck_assert_ptr_nonnull(a);
        size_t requested = 0;
        for (int i = 0; i < N; i++) {
            unsigned r = (seed = seed * 1103515245u + 12345u) >> 8;
            size_t size = r % 50 == 0 ? 8000 + r % 9000 : r % 200;
            int kind = (int)(r >> 16) % 3;
            unsigned char *p;
            if (kind == 0) {
                p = ivrsm_arena_alloc(a, size);
                ck_assert_ptr_nonnull(p);
                size_t zeros = 0;
                while (zeros < size && p[zeros] == 0)
                    zeros++;
                ck_assert_uint_eq(zeros, size);
                ck_assert_uint_eq((uintptr_t)p % alignof(max_align_t), 0);
            } else if (kind == 1) {
                p = ivrsm_arena_alloc_raw(a, size);
                ck_assert_ptr_nonnull(p);
                ck_assert_uint_eq((uintptr_t)p % alignof(max_align_t), 0);
            } else {
                char text[17100];
                for (size_t k = 0; k < size; k++)
                    text[k] = (char)('a' + (i + k) % 26);
                p = (unsigned char *)ivrsm_arena_strndup(a, text, size);
                ck_assert_ptr_nonnull(p);
                ck_assert_int_eq(memcmp(p, text, size), 0);
                ck_assert_uint_eq(p[size], 0);
                size++; /* the NUL is the string's too */
            }
            memset(p, i & 0xFF, size);
            got[i] = p;
            sizes[i] = size;
            requested += size;
        }
        for (int i = 0; i < N; i++) {
            size_t same = 0;
            while (same < sizes[i] && got[i][same] == (unsigned char)(i & 0xFF))
                same++;
            ck_assert_msg(same == sizes[i], "allocation %d overwritten at byte %zu", i, same);
        }
        /* The blocks hold what was asked for, with no more than alignment's waste and the
           free end of each block but the last: at most twice the 8 KB blocks needed. */
        ck_assert_uint_ge(ivrsm_arena_size(a), requested);
        ck_assert_int_le(arena_blocks, 1 + 2 * (long)(requested / 8192 + 1));
        ivrsm_arena_free(a);
    }
    ivrsm_arena *a = ivrsm_arena_new(ivrsm_mem_default());
    ck_assert_ptr_null(ivrsm_arena_strdup(a, NULL));
    ck_assert_ptr_nonnull(ivrsm_arena_alloc_raw(a, 0)); /* a pointer of its own, as malloc's */
    ivrsm_arena_free(a);
}
END_TEST

/* The ASCII run at the start of a text (eight bytes at a time) against a byte loop, with the
 * first non-ASCII byte at every place and every distance from the end. */
START_TEST(test_ascii_run_as_bytes)
{
    char s[64];
    for (size_t len = 0; len <= sizeof s; len++)
        for (size_t high = 0; high <= len; high++) {
            for (size_t k = 0; k < len; k++)
                s[k] = (char)(k % 2 ? 'a' + k % 26 : k % 3 ? ' ' : '\n');
            if (high < len)
                s[high] = (char)(high % 2 ? 0xC3 : 0x80);
            ck_assert_uint_eq(ivrsm_utf8_ascii_run(s, len), high);
        }
}
END_TEST

/* The end of a JSON string in raw text: escaped quotes and backslashes skipped. */
START_TEST(test_json_string_end)
{
    static const struct {
        const char *text;
        size_t open, end;
    } cases[] = {
        {"\"ab\" x", 0, 3},   {"x \"a\\\"b\"", 2, 7},  {"\"a\\\\\" y", 0, 4},
        {"\"unclosed", 0, 9}, {"\"ends in \\", 0, 10}, {"\"\"", 0, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const char *t = cases[i].text;
        ck_assert_msg(ivrsm_json_string_end(t, strlen(t), cases[i].open) == cases[i].end, "%s", t);
    }
}
END_TEST

/*
 * A sentence of fewer than `max_pieces` of `pieces` drawn from *seed, each followed by a space
 * unless a draw out of `space_odds` comes out 0: its length in said (not terminated; room for
 * max_pieces times the longest piece and a space).
 */
static size_t random_sentence(uint32_t *seed, const char *const *pieces, size_t count,
                              int max_pieces, int space_odds, char *said)
{
    size_t len = 0;
    *seed = *seed * 1103515245u + 12345u;
    int k = (int)((*seed >> 16) % (uint32_t)max_pieces);
    while (k-- > 0) {
        *seed = *seed * 1103515245u + 12345u;
        const char *p = pieces[(*seed >> 16) % count];
        memcpy(said + len, p, strlen(p));
        len += strlen(p);
        *seed = *seed * 1103515245u + 12345u;
        if ((*seed >> 16) % (uint32_t)space_odds)
            said[len++] = ' ';
    }
    return len;
}

/*
 * The English rewrites are looked up by the last bytes of the word that ends;
 * a table too long for that index is scanned whole. The same rewrites with
 * never-matching ones appended past the index's bound must give the same
 * text (or the same refusal) on random sentences of contraction pieces,
 * letters, apostrophes, punctuation and accents, at every output size.
 */
START_TEST(test_rewrite_index_as_full_scan)
{
    const ivrsm_text_rules *en = ivrsm_locale_text_rules(ivrsm_locale_find("en-US"));
    ck_assert_ptr_nonnull(en);
    ck_assert_ptr_nonnull(en->rewrites);
    static struct ivrsm_text_rewrite long_table[600];
    size_t n = 0;
    for (; en->rewrites[n].from; n++)
        long_table[n] = en->rewrites[n];
    while (n < 400) /* ends in "q": never the end of a word said below */
        long_table[n++] = (struct ivrsm_text_rewrite){"zz q", "no", 0, 0};
    long_table[n] = (struct ivrsm_text_rewrite){NULL, NULL, 0, 0};
    const ivrsm_text_rules scanned = {.folds = en->folds, .rewrites = long_table, .cache = NULL};
    /* The locale's index is built once into its cache; the same table with an index of
     * its own, built on the stack at each call, and one with a fresh cache of its own. */
    ck_assert_ptr_nonnull(en->cache);
    const ivrsm_text_rules stacked = {.folds = en->folds, .rewrites = en->rewrites, .cache = NULL};
    static ivrsm_rewrite_cache fresh;
    const ivrsm_text_rules cached = {.folds = en->folds, .rewrites = en->rewrites, .cache = &fresh};
    static const char *const pieces[] = {
        "i",  "d",   "I'd", "don't", "don",  "t",     "can",   "cannot",   "won't", "you",
        "re", "ll",  "s",   "m",     "'",    " ",     ",",     "-",        "it's",  "let's",
        "y",  "all", "he",  "she",   "that", "gonna", "gimme", "\xc3\xa9", "e",     "am"};
    const size_t count = sizeof pieces / sizeof pieces[0];
    uint32_t seed = 99;
    for (int round = 0; round < 3000; round++) {
        char said[256];
        size_t len = random_sentence(&seed, pieces, count, 14, 3, said);
        char a[600], b[600];
        size_t cap = round % 4 ? sizeof a : 1 + (size_t)round % 24;
        int na = ivrsm_text_normalize_rules(en, said, len, a, cap);
        int nb = ivrsm_text_normalize_rules(&scanned, said, len, b, cap);
        ck_assert_int_eq(na, nb);
        if (na >= 0)
            ck_assert_msg(strcmp(a, b) == 0, "'%.*s': '%s' and '%s'", (int)len, said, a, b);
        const ivrsm_text_rules *others[] = {&stacked, &cached};
        for (size_t i = 0; i < 2; i++) {
            nb = ivrsm_text_normalize_rules(others[i], said, len, b, cap);
            ck_assert_int_eq(na, nb);
            if (na >= 0)
                ck_assert_str_eq(a, b);
        }
    }
    ck_assert_int_eq(fresh.phase, 2); /* built by the first call, read by the others */
}
END_TEST

/*
 * Rewrites of one and two bytes (keyed apart from the output's last three bytes) and longer
 * ones ending alike, through the index and through the whole scan of the same table made too
 * long to index: the same text for sentences of short words.
 */
START_TEST(test_rewrite_index_short_words_as_full_scan)
{
    static const struct ivrsm_text_rewrite table[] = {
        IVRSM_REWRITE("u", "you"),      IVRSM_REWRITE("r", "are"),
        IVRSM_REWRITE("im", "i am"),    IVRSM_REWRITE("d", "would"),
        IVRSM_REWRITE("i d", "i had"),  IVRSM_REWRITE("s", "is"),
        IVRSM_REWRITE("he s", "he is"), IVRSM_REWRITE("a s", "as"),
        IVRSM_REWRITE("xs", "x s"),     {NULL, NULL, 0, 0}};
    static struct ivrsm_text_rewrite long_table[400];
    size_t n = 0;
    for (; table[n].from; n++)
        long_table[n] = table[n];
    while (n < 300)
        long_table[n++] = (struct ivrsm_text_rewrite){"zz q", "no", 0, 0};
    long_table[n] = (struct ivrsm_text_rewrite){NULL, NULL, 0, 0};
    const ivrsm_text_rules indexed = {.folds = NULL, .rewrites = table, .cache = NULL},
                           scanned = {.folds = NULL, .rewrites = long_table, .cache = NULL};
    static const char *const pieces[] = {"u",  "r", "im", "i",  "d", "s", "he",  "a",
                                         "xs", "x", "au", "ud", "'", "-", "hes", "\xc3\xa9"};
    const size_t count = sizeof pieces / sizeof pieces[0];
    uint32_t seed = 5;
    for (int round = 0; round < 3000; round++) {
        char said[256];
        size_t len = random_sentence(&seed, pieces, count, 12, 4, said);
        char a[600], b[600];
        size_t cap = round % 4 ? sizeof a : 1 + (size_t)round % 24;
        int na = ivrsm_text_normalize_rules(&indexed, said, len, a, cap);
        int nb = ivrsm_text_normalize_rules(&scanned, said, len, b, cap);
        ck_assert_int_eq(na, nb);
        if (na >= 0)
            ck_assert_msg(strcmp(a, b) == 0, "'%.*s': '%s' and '%s'", (int)len, said, a, b);
    }
    char out[64];
    ck_assert_int_eq(ivrsm_text_normalize_rules(&indexed, "x u r he's", 10, out, sizeof out), 15);
    ck_assert_str_eq(out, "x you are he is");
}
END_TEST

/* Decimal numbers as printf writes them, at the edges of their types. */
START_TEST(test_buf_decimal)
{
    static const long long ints[] = {
        0,         1,         -1,           9, 10, -10, 99, 100, 4294967296LL, -4294967297LL,
        LLONG_MAX, LLONG_MIN, LLONG_MIN + 1};
    static const unsigned long long uints[] = {0, 7, 10, 18446744073709551615ULL,
                                               10000000000000000000ULL};
    char storage[8], want[32];
    ivrsm_buf b;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        ivrsm_buf_on(&b, ivrsm_mem_default(), storage, sizeof storage);
        ivrsm_buf_putc(&b, '<');
        ck_assert_int_eq(ivrsm_buf_int(&b, ints[i]), 0);
        ivrsm_buf_putc(&b, '>');
        snprintf(want, sizeof want, "<%lld>", ints[i]);
        ck_assert_str_eq(ivrsm_buf_str(&b), want);
        ivrsm_buf_free(&b);
    }
    for (size_t i = 0; i < sizeof uints / sizeof uints[0]; i++) {
        ivrsm_buf_on(&b, ivrsm_mem_default(), storage, sizeof storage);
        ck_assert_int_eq(ivrsm_buf_uint(&b, uints[i]), 0);
        snprintf(want, sizeof want, "%llu", uints[i]);
        ck_assert_str_eq(ivrsm_buf_str(&b), want);
        ck_assert_uint_eq(ivrsm_decimal_digits(uints[i]), strlen(want));
        ivrsm_buf_free(&b);
    }
    /* The digits counted at every power of ten and on both sides of it. */
    for (unsigned long long p = 1, k = 1; k <= 19; p *= 10, k++) {
        unsigned long long around[] = {p - 1, p, p + 1};
        for (size_t i = 0; i < 3; i++) {
            snprintf(want, sizeof want, "%llu", around[i]);
            ck_assert_uint_eq(ivrsm_decimal_digits(around[i]), strlen(want));
        }
    }
}
END_TEST

/* ---------------------------------------------------------------------------
 * ivrsm_words_match: whole words from a position, against the plain reading
 * of its contract (each space-separated part equal to the next word)
 * ------------------------------------------------------------------------- */

static void words_of(struct ivrsm_words *w, const char *const *list)
{
    size_t used = 0;
    w->count = 0;
    for (; *list; list++) {
        size_t len = strlen(*list);
        memcpy(w->text + used, *list, len + 1);
        w->start[w->count] = (unsigned short)used;
        w->len[w->count] = (unsigned short)len;
        w->count++;
        used += len + 1;
    }
}

static size_t match_reference(const struct ivrsm_words *w, size_t at, const char *phrase)
{
    size_t n = 0;
    const char *p = phrase;
    while (*p) {
        size_t plen = strcspn(p, " ");
        if (at + n >= w->count || w->len[at + n] != plen ||
            memcmp(w->text + w->start[at + n], p, plen) != 0)
            return 0;
        n++;
        p += plen;
        if (*p == ' ')
            p++;
    }
    return n;
}

START_TEST(test_words_match_table)
{
    static const char *const said[] = {"vingt", "et", "un", "vingtaine", "", "a", "ab", NULL};
    static const char *const phrases[] = {"",
                                          "vingt",
                                          "vingt et",
                                          "vingt et un",
                                          "vingt et un vingtaine",
                                          "vingt et deux",
                                          "vingtaine",
                                          "vingt ",
                                          " vingt",
                                          "vingt  et",
                                          "vin",
                                          "vingtx",
                                          "et un",
                                          "un vingtaine",
                                          "un vingtaine  a",
                                          "un vingtaine a ab",
                                          "un vingtaine a ab c",
                                          "a",
                                          "ab",
                                          "a ab",
                                          "abc",
                                          "ab ",
                                          "vingt et un vingtaine  a ab",
                                          "b",
                                          "x y z",
                                          NULL};
    struct ivrsm_words *w = malloc(sizeof *w);
    ck_assert_ptr_nonnull(w);
    words_of(w, said);
    for (size_t at = 0; at <= w->count + 1; at++)
        for (const char *const *p = phrases; *p; p++)
            ck_assert_msg(ivrsm_words_match(w, at, *p) == match_reference(w, at, *p),
                          "\"%s\" at %zu: %zu, expected %zu", *p, at, ivrsm_words_match(w, at, *p),
                          match_reference(w, at, *p));
    free(w);
}
END_TEST

START_TEST(test_utf8_valid_table)
{
    const struct utf8_case *c = &utf8_cases[_i];
    size_t len = c->len ? c->len : strlen(c->bytes);
    ck_assert_msg(ivrsm_utf8_valid(c->bytes, len) == c->valid, "case %d", _i);
}
END_TEST

START_TEST(test_utf8_valid_respects_length)
{
    /* Only the first 2 bytes are looked at: "é" is complete there. */
    ck_assert_int_eq(ivrsm_utf8_valid("\xc3\xa9\xc3", 2), 1);
    ck_assert_int_eq(ivrsm_utf8_valid("\xc3\xa9\xc3", 3), 0);
    ck_assert_int_eq(ivrsm_utf8_valid(NULL, 0), 1);
}
END_TEST

/* ---------------------------------------------------------------------------
 * ivrsm_text_normalize
 * ------------------------------------------------------------------------- */

struct norm_case {
    const char *in;
    const char *out; /* NULL: -1 expected */
};

static const struct norm_case norm_cases[] = {
    {"", ""},
    {"Bonjour", "bonjour"},
    {"  Prendre   un  RENDEZ-VOUS  ", "prendre un rendez vous"},
    {"Aujourd'hui", "aujourd hui"},
    {"aujourd\xe2\x80\x99hui", "aujourd hui"}, /* ’ */
    {"l\xe2\x80\x98"
     "agent",
     "l agent"}, /* ‘ */
    {"l`agent", "l agent"},
    {"Apr\xc3\xa8s-demain", "apres demain"},
    {"\xc3\x89T\xc3\x89 \xc3\x80 NO\xc3\x8bL", "ete a noel"}, /* ÉTÉ À NOËL */
    {"\xc3\x87"
     "A VA \xc3\x8e"
     "LE",
     "ca va ile"},                                                 /* ÇA VA ÎLE */
    {"\xc3\x94 \xc3\x9b \xc3\x99 \xc3\x9c \xc3\x8f", "o u u u i"}, /* Ô Û Ù Ü Ï */
    {"\xc5\x93uf \xc5\x92UVRE", "oeuf oeuvre"},                    /* œuf ŒUVRE */
    {"\xc3\xa6 \xc3\x86", "ae ae"},                                /* æ Æ */
    {"\xc3\xbf \xc5\xb8", "y y"},                                  /* ÿ Ÿ */
    {"\xc3\xa2\xc3\xa4\xc3\xaa\xc3\xab\xc3\xae\xc3\xaf\xc3\xb4\xc3\xb6\xc3\xb9\xc3\xbb\xc3\xbc",
     "aaeeiioouuu"},
    {"non, merci !", "non merci"},
    {"Oui\xe2\x80\xa6 peut-\xc3\xaatre ?", "oui peut etre"}, /* … */
    {"soixante\xe2\x80\x93"
     "dix",
     "soixante dix"},                                                     /* – */
    {"quatre\xe2\x80\x94vingts", "quatre vingts"},                        /* — */
    {"dix\xe2\x80\x90sept", "dix sept"},                                  /* ‐ */
    {"\xc2\xab Bonjour \xc2\xbb", "bonjour"},                             /* « » */
    {"prix\xe2\x80\xaf: 20\xc2\xa0\xe2\x82\xac", "prix 20 \xe2\x82\xac"}, /* nbsp kept € */
    {"06.12.34.56.78", "06 12 34 56 78"},
    {"+33 6 12", "33 6 12"},
    {"a\tb\nc\rd", "a b c d"},
    {"Stra\xc3\x9f"
     "e",
     "stra\xc3\x9f"
     "e"},                            /* ß kept */
    {"\xc3\x98ST", "\xc3\xb8st"},     /* Ø lower-cased */
    {"\xce\xa9mega", "\xce\xa9mega"}, /* Greek kept as is */
    {"2 \xc3\x97 3", "2 3"},          /* × separates */
    {"!!!", ""},
    {"   ", ""},
};

START_TEST(test_normalize_table)
{
    const struct norm_case *c = &norm_cases[_i];
    char out[256];
    int n = ivrsm_text_normalize(c->in, strlen(c->in), out, sizeof out);
    ck_assert_msg(n >= 0, "case %d: %s", _i, c->in);
    ck_assert_str_eq(out, c->out);
    ck_assert_int_eq(n, (int)strlen(c->out));
}
END_TEST

START_TEST(test_normalize_rejects_invalid_utf8)
{
    static const char *const bad[] = {"caf\xe9", "\xc3", "a\xed\xa0\x80z", "\xc0\xaf", "\xff\xfe"};
    char out[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(ivrsm_text_normalize(bad[i], strlen(bad[i]), out, sizeof out), -1);
}
END_TEST

START_TEST(test_normalize_embedded_nul_separates)
{
    char out[64];
    ck_assert_int_eq(ivrsm_text_normalize("un\0deux", 7, out, sizeof out), 7);
    ck_assert_str_eq(out, "un deux");
}
END_TEST

START_TEST(test_normalize_capacity)
{
    char out[8];
    ck_assert_int_eq(ivrsm_text_normalize("bonjour", 7, out, 8), 7);
    ck_assert_str_eq(out, "bonjour");
    ck_assert_int_eq(ivrsm_text_normalize("bonjour!", 8, out, 8), 7);
    ck_assert_int_eq(ivrsm_text_normalize("bonjours", 8, out, 8), -1);
    ck_assert_int_eq(ivrsm_text_normalize("a", 1, out, 0), -1);
    ck_assert_int_eq(ivrsm_text_normalize("a", 1, NULL, 8), -1);
    ck_assert_int_eq(ivrsm_text_normalize(NULL, 0, out, 8), 0);
    ck_assert_str_eq(out, "");
    /* Only len bytes are read. */
    ck_assert_int_eq(ivrsm_text_normalize("abcdef", 3, out, 8), 3);
    ck_assert_str_eq(out, "abc");
}
END_TEST

/*
 * The plain reference of ivrsm_text_normalize() without rules, over inputs made of the pieces
 * below: each piece's letters as they fold, its separators cutting words, runs of them one
 * space, none at either end.
 */
struct norm_piece {
    const char *in, *out; /* out: "" for a separator */
};

static const struct norm_piece norm_pieces[] = {
    {"a", "a"},
    {"Z", "z"},
    {"q", "q"},
    {"7", "7"},
    {"0", "0"},
    {" ", ""},
    {"'", ""},
    {"-", ""},
    {",", ""},
    {"\t", ""},
    {"\x01", ""},
    {"\x7f", ""},
    {"@", ""},
    {"\xc3\xa9", "e"},
    {"\xc3\x89", "e"},
    {"\xc5\x93", "oe"},
    {"\xe2\x80\x99", ""},
    {"\xc3\x9f", "\xc3\x9f"},
    {"\xc3\x97", ""},
    {"\xe4\xb8\xad", "\xe4\xb8\xad"},
};

/*
 * Inputs of up to 40 pieces, ASCII words of every length among them, through every capacity
 * from 0 to past the output: ivrsm_text_normalize() gives the reference's text when it fits
 * with its NUL, -1 when it does not.
 */
START_TEST(test_normalize_as_reference)
{
    const size_t count = sizeof norm_pieces / sizeof norm_pieces[0];
    uint32_t seed = 4242;
    for (int round = 0; round < 3000; round++) {
        char in[256], want[256], out[256];
        size_t n = 0, w = 0;
        bool space = false;
        seed = seed * 1103515245u + 12345u;
        size_t pieces = (seed >> 16) % 41;
        for (size_t k = 0; k < pieces; k++) {
            seed = seed * 1103515245u + 12345u;
            /* Letters and digits most of the time, for words of every length. */
            const struct norm_piece *p =
                &norm_pieces[(seed >> 16) % 4 != 0 ? (seed >> 20) % 5 : (seed >> 20) % count];
            memcpy(in + n, p->in, strlen(p->in));
            n += strlen(p->in);
            if (!*p->out) {
                space = w > 0;
                continue;
            }
            if (space)
                want[w++] = ' ';
            space = false;
            memcpy(want + w, p->out, strlen(p->out));
            w += strlen(p->out);
        }
        want[w] = '\0';
        for (size_t cap = 0; cap <= w + 2; cap++) {
            int got = ivrsm_text_normalize(in, n, out, cap);
            if (cap < w + 1 || cap == 0) {
                ck_assert_msg(got == -1, "round %d cap %zu: %d for \"%s\"", round, cap, got, want);
            } else {
                ck_assert_msg(got == (int)w && strcmp(out, want) == 0,
                              "round %d cap %zu: \"%s\" for \"%s\"", round, cap, out, want);
            }
        }
    }
}
END_TEST

/* s in decomposed form (NFD) for the Latin-1 letters: each accented letter as its base letter
 * and a combining mark. */
static void to_nfd(const char *s, char *out, size_t cap)
{
    /* U+00C0..U+00FF: the base letter (upper case from U+00C0 to U+00DE) and the mark, or none. */
    static const char bases[] = "AAAAAA CEEEEIIII NOOOOO  UUUUY  aaaaaa ceeeeiiii nooooo  uuuuy y";
    static const unsigned short marks[64] = {
        0x300, 0x301, 0x302, 0x303, 0x308, 0x30A, 0,     0x327, 0x300, 0x301, 0x302, 0x308, 0x300,
        0x301, 0x302, 0x308, 0,     0x303, 0x300, 0x301, 0x302, 0x303, 0x308, 0,     0,     0x300,
        0x301, 0x302, 0x308, 0x301, 0,     0,     0x300, 0x301, 0x302, 0x303, 0x308, 0x30A, 0,
        0x327, 0x300, 0x301, 0x302, 0x308, 0x300, 0x301, 0x302, 0x308, 0,     0x303, 0x300, 0x301,
        0x302, 0x303, 0x308, 0,     0,     0x300, 0x301, 0x302, 0x308, 0x301, 0,     0x308};
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 4 < cap; p++) {
        unsigned k = p[0] == 0xC3 && p[1] ? (unsigned)(p[1] & 0x3F) : 64;
        if (k < 64 && marks[k]) {
            out[n++] = bases[k];
            out[n++] = (char)(0xC0 | (marks[k] >> 6));
            out[n++] = (char)(0x80 | (marks[k] & 0x3F));
            p++;
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
}

/*
 * Text in decomposed form (NFD: "e" and U+0301 for "é") normalises as the same text composed,
 * in every language's folds: "ñ" kept in Spanish, "ö" as "oe" in German, accents dropped
 * elsewhere; a mark that makes no letter with what is before it (a space, a digit, a
 * consonant) is dropped, never a word break nor an error.
 */
START_TEST(test_normalize_decomposed_as_composed)
{
    static const struct {
        const char *locale, *said;
    } cases[] = {
        {"fr-FR", "Je veux déplacer mon rendez-vous à Noël, c'est très pénible, garçon ÉTÉ"},
        {"fr-FR", "deuxième, troisième, où, août, maïs, Ça ira"},
        {"de-DE", "Grüße aus Köln, ich möchte stornieren, Übermorgen, ÄRGER, Öl"},
        {"es-ES", "Mañana por la mañana, el año que viene, pingüino, sí, está, Ñandú"},
        {"en-US", "café, naïve, résumé, Zoë, São Paulo"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ivrsm_text_rules *rules = ivrsm_locale_text_rules(ivrsm_locale_find(cases[i].locale));
        ck_assert_ptr_nonnull(rules);
        char nfd[512], a[512], b[512];
        to_nfd(cases[i].said, nfd, sizeof nfd);
        ck_assert_str_ne(nfd, cases[i].said);
        int na =
            ivrsm_text_normalize_rules(rules, cases[i].said, strlen(cases[i].said), a, sizeof a);
        int nb = ivrsm_text_normalize_rules(rules, nfd, strlen(nfd), b, sizeof b);
        ck_assert_int_gt(na, 0);
        ck_assert_msg(na == nb && !strcmp(a, b), "%s: \"%s\" composed, \"%s\" decomposed",
                      cases[i].locale, a, b);
        /* The same words start the same: what the phrase scan skips by. */
        ivrsm_word_starts sa, sb;
        ivrsm_text_normalize_starts(rules, nfd, strlen(nfd), b, sizeof b, &sb);
        ivrsm_text_word_starts(a, (size_t)na, &sa);
        for (unsigned c = 0; c < 256; c++)
            ck_assert(!ivrsm_word_starts_has(&sa, (unsigned char)c) ||
                      ivrsm_word_starts_has(&sb, (unsigned char)c));
        /* Every output size: the text when it fits with its NUL, -1 when not. */
        for (size_t cap = 0; cap <= (size_t)na + 1; cap++)
            ck_assert_int_eq(ivrsm_text_normalize_rules(rules, nfd, strlen(nfd), b, cap),
                             cap > (size_t)na ? na : -1);
    }
    /* Marks after no letter, or after one they make nothing with: dropped. */
    static const struct {
        const char *in, *out;
    } lone[] = {
        {"\xcc\x81"
         "abc",
         "abc"}, /* at the start */
        {"a \xcc\x81"
         "b",
         "a b"}, /* after a space */
        {"12\xcc\x88"
         "3",
         "123"},                    /* after a digit */
        {"x\xcc\x81y", "xy"},       /* x has no acute in Latin-1 */
        {"e\xcc\x81\xcc\x81", "e"}, /* a second mark */
        {"e\xcd\xaf", "e"},         /* U+036F, the block's last */
        {"e\xcd\xb0", NULL},        /* U+0370 is a letter (Greek), kept */
        {"e\xcc", NULL},            /* cut short: not UTF-8 */
    };
    for (size_t i = 0; i < sizeof lone / sizeof lone[0]; i++) {
        char out[64];
        int n = ivrsm_text_normalize(lone[i].in, strlen(lone[i].in), out, sizeof out);
        if (lone[i].out)
            ck_assert_msg(n >= 0 && !strcmp(out, lone[i].out), "%zu: \"%s\"", i, n >= 0 ? out : "");
        else if (i == 6)
            ck_assert_msg(n == 3 && !strcmp(out, "e\xcd\xb0"), "%zu: %d", i, n);
        else
            ck_assert_int_eq(n, -1);
    }
}
END_TEST

START_TEST(test_normalize_never_longer_than_input)
{
    /* Every accented letter of Latin-1 and œ, one after the other. */
    char in[512];
    size_t n = 0;
    for (unsigned c = 0xC0; c <= 0xFF; c++) {
        in[n++] = (char)0xC3;
        in[n++] = (char)(0x80 + (c - 0xC0));
    }
    memcpy(in + n, "\xc5\x93\xc5\x92", 4);
    n += 4;
    char out[512];
    int len = ivrsm_text_normalize(in, n, out, sizeof out);
    ck_assert_int_ge(len, 0);
    ck_assert_int_le(len, (int)n);
    ck_assert(ivrsm_utf8_valid(out, (size_t)len));
}
END_TEST

START_TEST(test_normalize_garbage_never_crashes)
{
    unsigned seed = 12345;
    char in[4096];
    char out[4200];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof in; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (char)(seed >> 16);
        }
        int n = ivrsm_text_normalize(in, sizeof in, out, sizeof out);
        if (n >= 0)
            ck_assert(ivrsm_utf8_valid(out, (size_t)n));
    }
}
END_TEST

/* ---------------------------------------------------------------------------
 * ivrsm_text_normalize_rules: a language's folds and rewrites
 * ------------------------------------------------------------------------- */

static const struct ivrsm_text_fold test_folds[] = {
    {0x00FC, "ue"},       /* ü */
    {0x00F1, "\xc3\xb1"}, /* ñ kept */
    {0x2019, "x"},        /* ’ made a letter, to see a fold win over the built-in separator */
    {0, NULL},
};

static const struct ivrsm_text_rewrite test_rewrites[] = {
    IVRSM_REWRITE("don t", "do not"),
    IVRSM_REWRITE("i d", "i would"),
    {"a b", "b", 0, 0}, /* lengths 0: counted on each use */
    {"b c", "zz", 0, 0},
    IVRSM_REWRITE("q", "qq"),
    {NULL, NULL, 0, 0},
};

static const ivrsm_text_rules test_rules = {
    .folds = test_folds, .rewrites = test_rewrites, .cache = NULL};

struct rules_case {
    const char *in;
    const char *out;
};

static const struct rules_case rules_cases[] = {
    {"f\xc3\xbcr", "fuer"},
    {"F\xc3\x9cR", "fur"}, /* Ü has no fold of its own here: the built-in one */
    {"a\xc3\xb1o", "a\xc3\xb1o"},
    {"it\xe2\x80\x99s", "itxs"},
    {"Don't", "do not"},
    {"I'd", "i would"},
    {"I'd like", "i would like"},
    {"idon't", "idon t"}, /* a rewrite starts on a word boundary */
    {"i dd", "i dd"},     /* and ends on one */
    {"a b c", "b c"},     /* rewritten text is not rewritten again: not "zz" */
    {"x a b", "x b"},
    {"q", "qq"},
    {"q q", "qq qq"},
    {"b c", "zz"},
    {"", ""},
    {"...", ""},
};

START_TEST(test_rules_table)
{
    const struct rules_case *c = &rules_cases[_i];
    char out[64];
    int n = ivrsm_text_normalize_rules(&test_rules, c->in, strlen(c->in), out, sizeof out);
    ck_assert_msg(n >= 0, "case %d: %s", _i, c->in);
    ck_assert_str_eq(out, c->out);
    ck_assert_int_eq(n, (int)strlen(c->out));
}
END_TEST

START_TEST(test_rules_capacity_and_null)
{
    char out[16];
    /* "i would" needs 8 bytes with its NUL. */
    ck_assert_int_eq(ivrsm_text_normalize_rules(&test_rules, "i'd", 3, out, 8), 7);
    ck_assert_str_eq(out, "i would");
    ck_assert_int_eq(ivrsm_text_normalize_rules(&test_rules, "i'd", 3, out, 7), -1);
    /* NULL rules, or rules without lists, are the built-in normalisation. */
    ck_assert_int_eq(ivrsm_text_normalize_rules(NULL, "Don't", 5, out, sizeof out), 5);
    ck_assert_str_eq(out, "don t");
    static const ivrsm_text_rules empty = {.folds = NULL, .rewrites = NULL, .cache = NULL};
    ck_assert_int_eq(ivrsm_text_normalize_rules(&empty, "F\xc3\xbcr", 4, out, sizeof out), 3);
    ck_assert_str_eq(out, "fur");
    ck_assert_int_eq(ivrsm_text_normalize_rules(&test_rules, "caf\xe9", 4, out, sizeof out), -1);
}
END_TEST

/* With rewrites that at most double a word and its separator, the output stays within 2 n + 1. */
START_TEST(test_rules_output_bound)
{
    static const struct ivrsm_text_rewrite doubling[] = {IVRSM_REWRITE("i d", "i would"),
                                                         {NULL, NULL, 0, 0}};
    static const ivrsm_text_rules rules = {.folds = NULL, .rewrites = doubling, .cache = NULL};
    char in[4096];
    size_t n = 0;
    while (n + 4 <= sizeof in) {
        memcpy(in + n, "i'd ", 4);
        n += 4;
    }
    static char out[2 * sizeof in + 1];
    int len = ivrsm_text_normalize_rules(&rules, in, n, out, sizeof out);
    ck_assert_int_ge(len, 0);
    ck_assert_int_le(len, (int)(2 * n + 1));
    ck_assert_int_eq(len, (int)(n / 4 * 8 - 1));
}
END_TEST

/*
 * JSON string literals as jansson's json_dumps writes them, on random strings
 * of controls, quotes, backslashes, letters and UTF-8, with or without a byte
 * to escape, appended after other text to a buffer that starts in a few bytes
 * of storage and grows (the copy of a string with nothing to escape, the
 * escaping of the rest, and the putc between them take each path).
 */
START_TEST(test_buf_json_string_as_jansson)
{
    static const char *const pieces[] = {"a",    "Z",    "09",       " ",           "\"",
                                         "\\",   "/",    "\n",       "\t",          "\x01",
                                         "\x1f", "\x7f", "\xc3\xa9", "\xe2\x80\x99"};
    const size_t count = sizeof pieces / sizeof pieces[0];
    uint32_t seed = 7;
    for (int round = 0; round < 1500; round++) {
        char s[128];
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        int n = (int)((seed >> 16) % 12);
        /* Half the rounds only plain letters: the one-copy path. */
        const size_t choices = round % 2 ? count : 4;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % choices];
            memcpy(s + len, p, strlen(p));
            len += strlen(p);
        }
        s[len] = '\0';
        json_t *j = json_stringn(s, len);
        ck_assert_ptr_nonnull(j);
        char *want_body = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
        json_decref(j);
        char want[512];
        snprintf(want, sizeof want, "[%s,%s]", want_body, want_body);
        free(want_body);
        char storage[4];
        ivrsm_buf b;
        ivrsm_buf_on(&b, ivrsm_mem_default(), storage, (size_t)round % sizeof storage + 1);
        ivrsm_buf_putc(&b, '[');
        ck_assert_int_eq(ivrsm_buf_json_string(&b, s, len), 0);
        ivrsm_buf_putc(&b, ',');
        ck_assert_int_eq(ivrsm_buf_json_string(&b, s, len), 0);
        ivrsm_buf_putc(&b, ']');
        ck_assert_str_eq(ivrsm_buf_str(&b), want);
        ck_assert_uint_eq(b.len, strlen(want));
        ivrsm_buf_free(&b);
    }
}
END_TEST

/* ---------------------------------------------------------------------------
 * ivrsm_text_has_phrase
 * ------------------------------------------------------------------------- */

struct phrase_case {
    const char *text;
    const char *phrase;
    int found;
};

static const struct phrase_case phrase_cases[] = {
    {"je veux un conseiller", "conseiller", 1},
    {"je veux un conseiller", "je veux", 1},
    {"je veux un conseiller", "un conseiller", 1},
    {"je veux un conseiller", "veux un", 1},
    {"conseiller", "conseiller", 1},
    {"conseillers", "conseiller", 0},
    {"un conseillers", "conseiller", 0},
    {"reconseiller", "conseiller", 0},
    {"non merci", "non", 1},
    {"nonobstant", "non", 0},
    {"annuler non", "non", 1},
    {"oui oui", "oui", 1},
    {"ouioui oui", "oui", 1},
    {"ouioui", "oui", 0},
    {"prendre rendez vous", "rendez vous", 1},
    {"prendre rendez vousx", "rendez vous", 0},
    {"abc", "abcd", 0},
    {"", "a", 0},
    {"abc", "", 0},
};

START_TEST(test_has_phrase_table)
{
    const struct phrase_case *c = &phrase_cases[_i];
    ck_assert_msg(ivrsm_text_has_phrase(c->text, strlen(c->text), c->phrase, strlen(c->phrase)) ==
                      c->found,
                  "case %d: '%s' in '%s'", _i, c->phrase, c->text);
}
END_TEST

START_TEST(test_has_phrase_respects_lengths)
{
    /* The text is "un conseil" when only 10 bytes are considered. */
    ck_assert_int_eq(ivrsm_text_has_phrase("un conseiller", 10, "conseil", 7), 1);
    ck_assert_int_eq(ivrsm_text_has_phrase("un conseiller", 13, "conseil", 7), 0);
    ck_assert_int_eq(ivrsm_text_has_phrase(NULL, 0, "a", 1), 0);
    ck_assert_int_eq(ivrsm_text_has_phrase("a", 1, NULL, 0), 0);
}
END_TEST

START_TEST(test_normalize_then_match)
{
    const char *said =
        "Euh\xe2\x80\xa6 je voudrais parler \xc3\x80 UN CONSEILLER, s'il vous pla\xc3\xaet";
    char out[128];
    int n = ivrsm_text_normalize(said, strlen(said), out, sizeof out);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(ivrsm_text_has_phrase(out, (size_t)n, "a un conseiller", 15), 1);
    ck_assert_int_eq(ivrsm_text_has_phrase(out, (size_t)n, "s il vous plait", 15), 1);
    ck_assert_int_eq(ivrsm_text_has_phrase(out, (size_t)n, "il vous", 7), 1);
    ck_assert_int_eq(ivrsm_text_has_phrase(out, (size_t)n, "vous plai", 9), 0);
}
END_TEST

/* Every short text and phrase over a few letters and the space: a phrase the
 * search finds always starts with a byte of the text's word-start set, and the
 * set holds exactly the bytes at the start or after a space. */
START_TEST(test_word_starts_never_hide_a_phrase)
{
    static const char alphabet[] = "ab ";
    uint32_t seed = 12345;
    for (int round = 0; round < 4000; round++) {
        char text[16], phrase[6];
        seed = seed * 1103515245u + 12345u;
        size_t text_len = (seed >> 16) % 13;
        seed = seed * 1103515245u + 12345u;
        size_t phrase_len = 1 + (seed >> 16) % 5;
        for (size_t i = 0; i < text_len; i++) {
            seed = seed * 1103515245u + 12345u;
            text[i] = alphabet[(seed >> 16) % 3];
        }
        for (size_t i = 0; i < phrase_len; i++) {
            seed = seed * 1103515245u + 12345u;
            phrase[i] = alphabet[(seed >> 16) % 3];
        }
        text[text_len] = phrase[phrase_len] = '\0';
        ivrsm_word_starts ws;
        ivrsm_text_word_starts(text, text_len, &ws);
        static const unsigned char probes[] = {'a', 'b', ' ', 'c', 0, 0x80, 0xff};
        for (size_t p = 0; p < sizeof probes; p++) {
            int starts = 0;
            for (size_t i = 0; i < text_len; i++)
                starts |= (unsigned char)text[i] == probes[p] && (i == 0 || text[i - 1] == ' ');
            ck_assert_int_eq(ivrsm_word_starts_has(&ws, probes[p]), starts);
        }
        if (ivrsm_text_has_phrase(text, text_len, phrase, phrase_len))
            ck_assert_msg(ivrsm_word_starts_has(&ws, (unsigned char)phrase[0]), "'%s' in '%s'",
                          phrase, text);
    }
}
END_TEST

/* Cuts text[0..len) at its spaces into w (at most max words); returns how many. */
static size_t cut_words(const char *text, size_t len, char w[][8], size_t max)
{
    size_t n = 0, k = 0;
    for (size_t i = 0; i <= len && n < max; i++) {
        if (i == len || text[i] == ' ') {
            w[n][k] = '\0';
            n++;
            k = 0;
        } else if (k < 7) {
            w[n][k++] = text[i];
        }
    }
    return n;
}

/* Whether the words a[at..at+n) are b[0..n). */
static bool words_equal(char a[][8], size_t at, char b[][8], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[at + i], b[i]) != 0)
            return false;
    return true;
}

/* Whether the n words of b occur in a[0..count) from a word on, anywhere in it. */
static bool words_hold(char a[][8], size_t count, char b[][8], size_t n)
{
    for (size_t s = 0; s + n <= count; s++)
        if (words_equal(a, s, b, n))
            return true;
    return false;
}

/*
 * The reference of ivrsm_text_hears_phrase(), word by word: some occurrence of the phrase's
 * words whose words before are no negation, and that no occurrence of a "don't know" holds
 * while being longer, unless the phrase holds one of them.
 */
static bool hears_by_words(const char *text, const char *phrase,
                           const struct ivrsm_text_words *dont_know,
                           const struct ivrsm_text_words *negations)
{
    char w[16][8], p[8][8], x[8][8];
    const size_t n = cut_words(text, strlen(text), w, 16);
    const size_t pn = cut_words(phrase, strlen(phrase), p, 8);
    for (size_t k = 0; k + pn <= n; k++) {
        if (!words_equal(w, k, p, pn))
            continue;
        bool heard = true;
        for (const struct ivrsm_text_words *g = negations; g->text && heard; g++) {
            size_t gn = cut_words(g->text, g->len, x, 8);
            heard = !(gn <= k && words_equal(w, k - gn, x, gn));
        }
        for (const struct ivrsm_text_words *d = dont_know; d->text && heard; d++) {
            size_t dn = cut_words(d->text, d->len, x, 8);
            for (size_t s = 0; s <= k && heard; s++) {
                bool holds = s + dn >= k + pn && s + dn <= n && !(s == k && dn == pn) &&
                             words_equal(w, s, x, dn);
                if (!holds)
                    continue;
                bool exempt = false;
                for (const struct ivrsm_text_words *e = dont_know; e->text && !exempt; e++) {
                    char y[8][8];
                    size_t en = cut_words(e->text, e->len, y, 8);
                    exempt = words_hold(p, pn, y, en);
                }
                heard = exempt;
            }
        }
        if (heard)
            return true;
    }
    return false;
}

/* The number of words of the longest entry of `list` that is words of w from i on, ending at
 * or before word `end`; 0 when none. */
static size_t longest_words_at(char w[][8], size_t i, size_t end,
                               const struct ivrsm_text_words *list)
{
    size_t best = 0;
    for (; list && list->text; list++) {
        char x[8][8];
        size_t xn = cut_words(list->text, list->len, x, 8);
        if (xn > best && i + xn <= end && words_equal(w, i, x, xn))
            best = xn;
    }
    return best;
}

/* Whether a negation's reach is still open at word k, read word by word from the start. */
static bool reach_open_by_words(char w[][8], size_t k, const ivrsm_text_rules *r)
{
    bool open = false, clause_start = true;
    for (size_t i = 0; i < k;) {
        size_t n = longest_words_at(w, i, k, r->idioms);
        if (!n && clause_start)
            n = longest_words_at(w, i, k, r->short_answers);
        if (n) {
            open = false, clause_start = true, i += n;
        } else if ((n = longest_words_at(w, i, k, r->negations)) != 0) {
            open = true, clause_start = false, i += n;
        } else if ((n = longest_words_at(w, i, k, r->clause_breaks)) != 0) {
            open = false, clause_start = true, i += n;
        } else {
            clause_start = false, i++;
        }
    }
    return open;
}

/* Whether one of `list` is words of the pn words of p. */
static bool holds_entry(char p[][8], size_t pn, const struct ivrsm_text_words *list)
{
    for (; list && list->text; list++) {
        char y[8][8];
        size_t yn = cut_words(list->text, list->len, y, 8);
        if (words_hold(p, pn, y, yn))
            return true;
    }
    return false;
}

/* Whether an occurrence of one of `list` longer than the phrase's (pn words at k) holds it. */
static bool held_by_longer(char w[][8], size_t n, size_t k, size_t pn,
                           const struct ivrsm_text_words *list)
{
    for (; list && list->text; list++) {
        char x[8][8];
        size_t dn = cut_words(list->text, list->len, x, 8);
        for (size_t s = 0; s <= k; s++)
            if (s + dn >= k + pn && s + dn <= n && !(s == k && dn == pn) &&
                words_equal(w, s, x, dn))
                return true;
    }
    return false;
}

/* The larger of the longest entries of two lists at word i (see longest_words_at()). */
static size_t longest_of_two(char w[][8], size_t i, size_t end, const struct ivrsm_text_words *a,
                             const struct ivrsm_text_words *b)
{
    const size_t x = longest_words_at(w, i, end, a), y = longest_words_at(w, i, end, b);
    return x > y ? x : y;
}

/*
 * Whether a negation after the words ending before word `end` takes them back, word by word:
 * one of `negations_after` as the next word, or one of `clause_negations` before a clause
 * break, where no longer idiom starts.
 */
static bool taken_after_by_words(char w[][8], size_t n, size_t end, const ivrsm_text_rules *r)
{
    for (size_t j = end; j < n; j++) {
        size_t neg = longest_words_at(w, j, n, r->clause_negations);
        if (j == end && longest_words_at(w, j, n, r->negations_after) > neg)
            neg = longest_words_at(w, j, n, r->negations_after);
        /* One of `negations_closing` next, when the clause ends after it. */
        const size_t closing = j == end ? longest_words_at(w, j, n, r->negations_closing) : 0;
        if (closing > neg &&
            (j + closing == n || longest_words_at(w, j + closing, n, r->clause_breaks)))
            neg = closing;
        const size_t idiom = longest_words_at(w, j, n, r->idioms);
        bool after_break = false;
        for (const struct ivrsm_text_words *b = r->clause_breaks; b && b->text; b++) {
            char x[8][8];
            const size_t bn = cut_words(b->text, b->len, x, 8);
            after_break = after_break || (bn <= j && words_equal(w, j - bn, x, bn));
        }
        if (j == end && neg && after_break && longest_words_at(w, j, n, r->short_answers) >= neg)
            return false;
        if (neg && neg >= idiom)
            return true;
        if (idiom || !r->clause_negations || longest_words_at(w, j, n, r->clause_breaks))
            return false;
    }
    return false;
}

/* Whether words [from, end) of w say one of `answers`, idioms and "don't know"s skipped. */
static bool says_by_words(char w[][8], size_t from, size_t end, const ivrsm_text_rules *r,
                          const struct ivrsm_text_words *answers)
{
    for (size_t i = from; i < end;) {
        const size_t skip = longest_of_two(w, i, end, r->idioms, r->dont_know);
        if (skip) {
            i += skip;
            continue;
        }
        if (longest_words_at(w, i, end, answers))
            return true;
        i++;
    }
    return false;
}

/*
 * The reference of ivrsm_text_hears_phrase() with every list, word by word: some occurrence of
 * the phrase that no negation takes back (the one right before it, or one whose reach, read
 * from the start, is still open: docs/runtime.md), unless the phrase holds a negation itself;
 * that no negation after it takes back (one of `negations_after` next, one of
 * `clause_negations` in its clause), unless it holds a negation of any list; that says no
 * answer (yes, or no) where the words around it say the other; and that no longer "don't
 * know" or idiom holds, unless the phrase holds one of those.
 */
static bool hears_at_in_words(char w[][8], size_t n, size_t k, char p[][8], size_t pn,
                              const ivrsm_text_rules *r);

/* Whether one of `corrections` followed by words is words of text. */
static bool corrected_by_words(const char *text, const ivrsm_text_rules *r)
{
    char w[16][8];
    const size_t n = cut_words(text, strlen(text), w, 16);
    for (size_t i = 0; i < n; i++) {
        const size_t m = longest_words_at(w, i, n, r->corrections);
        if (m && i + m < n)
            return true;
    }
    return false;
}

/*
 * The same, corrections first: the last one of `corrections` that words follow (read from the
 * start, each one past the one before) takes back the occurrences that end before it, and the
 * words after it are heard as a text of their own; an occurrence that holds part of it is
 * heard in the whole text.
 */
static bool hears_by_scope(const char *text, const char *phrase, const ivrsm_text_rules *r)
{
    char w[16][8], p[8][8];
    const size_t n = cut_words(text, strlen(text), w, 16);
    const size_t pn = cut_words(phrase, strlen(phrase), p, 8);
    size_t from = 0, to = 0;
    bool corrected = false;
    for (size_t i = 0; i < n;) {
        const size_t m = longest_words_at(w, i, n, r->corrections);
        if (m && i + m < n) {
            corrected = true, from = i, to = i + m;
            i += m;
        } else {
            i++;
        }
    }
    for (size_t k = 0; k + pn <= n; k++) {
        if (!words_equal(w, k, p, pn))
            continue;
        if (corrected && k + pn <= from)
            continue;
        if (corrected && k >= to) {
            if (hears_at_in_words(w + to, n - to, k - to, p, pn, r))
                return true;
        } else if (hears_at_in_words(w, n, k, p, pn, r)) {
            return true;
        }
    }
    return false;
}

/* Whether the occurrence of the phrase's pn words at word k of w is heard (docs/runtime.md). */
static bool hears_at_in_words(char w[][8], size_t n, size_t k, char p[][8], size_t pn,
                              const ivrsm_text_rules *r)
{
    char x[8][8];
    const bool negative = holds_entry(p, pn, r->negations);
    const bool exempt = holds_entry(p, pn, r->dont_know) || holds_entry(p, pn, r->idioms);
    bool taken = false;
    for (const struct ivrsm_text_words *g = r->negations; g && g->text && !taken; g++) {
        size_t gn = cut_words(g->text, g->len, x, 8);
        taken = gn <= k && words_equal(w, k - gn, x, gn);
    }
    taken = taken || reach_open_by_words(w, k, r);
    if (taken && !negative)
        return false;
    if (!negative && !holds_entry(p, pn, r->negations_after) &&
        !holds_entry(p, pn, r->clause_negations) && !holds_entry(p, pn, r->negations_closing) &&
        taken_after_by_words(w, n, k + pn, r))
        return false;
    if (r->answers_yes && r->answers_no) {
        const bool yes = says_by_words(p, 0, pn, r, r->answers_yes);
        const bool no = says_by_words(p, 0, pn, r, r->answers_no);
        const struct ivrsm_text_words *other = yes ? r->answers_no : r->answers_yes;
        if (yes != no &&
            (says_by_words(w, 0, k, r, other) || says_by_words(w, k + pn, n, r, other)))
            return false;
    }
    if (!exempt &&
        (held_by_longer(w, n, k, pn, r->dont_know) || held_by_longer(w, n, k, pn, r->idioms)))
        return false;
    return true;
}

/*
 * Texts and phrases of up to a dozen and three words over a few short words, with every list
 * made of the same words: ivrsm_text_hears_phrase(), with the phrase's
 * ivrsm_text_may_not_know() worked out first as a machine's load does, with and without the
 * word sets of the rules, as the word-by-word reference; ivrsm_text_find_phrase() as the first
 * occurrence from each offset; without lists as ivrsm_text_has_phrase(). The old rule (only a
 * negation right before, only "don't know") is hears_by_words(): the lists hear no more than it
 * does, but for a phrase that holds a negation.
 */
START_TEST(test_hears_phrase_as_words)
{
    static const char *const words[] = {"a", "b", "ab", "no", "n", "c"};
    static const struct ivrsm_text_words dont_know[] = {
        IVRSM_WORDS("no b"), IVRSM_WORDS("a no b"), IVRSM_WORDS("ab"), {NULL, 0}};
    static const struct ivrsm_text_words idioms[] = {
        IVRSM_WORDS("no c"), IVRSM_WORDS("c ab n"), {NULL, 0}};
    static const struct ivrsm_text_words negations[] = {
        IVRSM_WORDS("n"), IVRSM_WORDS("b a"), {NULL, 0}};
    static const struct ivrsm_text_words breaks[] = {
        IVRSM_WORDS("c"), IVRSM_WORDS("a c"), IVRSM_WORDS("n no"), {NULL, 0}};
    static const struct ivrsm_text_words answers[] = {
        IVRSM_WORDS("n a"), IVRSM_WORDS("n b c"), {NULL, 0}};
    static const struct ivrsm_text_words after[] = {
        IVRSM_WORDS("b"), IVRSM_WORDS("c ab"), {NULL, 0}};
    static const struct ivrsm_text_words clause_negations[] = {
        IVRSM_WORDS("no"), IVRSM_WORDS("ab b"), {NULL, 0}};
    static const struct ivrsm_text_words yes[] = {IVRSM_WORDS("a"), {NULL, 0}};
    static const struct ivrsm_text_words no[] = {IVRSM_WORDS("no"), IVRSM_WORDS("b c"), {NULL, 0}};
    static const struct ivrsm_text_words closing[] = {
        IVRSM_WORDS("a"), IVRSM_WORDS("n ab"), {NULL, 0}};
    static const struct ivrsm_text_words corrections[] = {
        IVRSM_WORDS("c c"), IVRSM_WORDS("ab no"), IVRSM_WORDS("c"), {NULL, 0}};
    static ivrsm_heard_cache cache;
    const ivrsm_text_rules rules = {.dont_know = dont_know,
                                    .idioms = idioms,
                                    .negations = negations,
                                    .clause_breaks = breaks,
                                    .short_answers = answers,
                                    .negations_after = after,
                                    .clause_negations = clause_negations,
                                    .answers_yes = yes,
                                    .answers_no = no,
                                    .negations_closing = closing,
                                    .corrections = corrections};
    ivrsm_text_rules cached = rules;
    cached.heard_cache = &cache;
    ivrsm_text_rules_prepare(&cached);
    ck_assert_int_eq(atomic_load(&cache.phase), 2);
    const ivrsm_text_rules plain = {.folds = NULL};
    uint32_t seed = 777;
    for (int round = 0; round < 30000; round++) {
        char text[64] = "", phrase[16] = "";
        seed = seed * 1103515245u + 12345u;
        size_t tn = (seed >> 16) % 12, pn = 1 + (seed >> 8) % 3;
        for (size_t i = 0; i < tn + pn; i++) {
            seed = seed * 1103515245u + 12345u;
            char *to = i < tn ? text : phrase;
            if (*to)
                strcat(to, " ");
            strcat(to, words[(seed >> 16) % 6]);
        }
        const size_t len = strlen(text), plen = strlen(phrase);
        const bool may = ivrsm_text_may_not_know(&rules, phrase, plen);
        ck_assert_int_eq(ivrsm_text_may_not_know(&cached, phrase, plen), may);
        const bool want = hears_by_scope(text, phrase, &rules);
        ck_assert_msg(ivrsm_text_hears_phrase(&rules, text, len, phrase, plen, may) == (int)want,
                      "'%s' in '%s'", phrase, text);
        ck_assert_msg(ivrsm_text_hears_phrase(&cached, text, len, phrase, plen, may) == (int)want,
                      "'%s' in '%s' (word sets)", phrase, text);
        char p[8][8];
        const size_t pw = cut_words(phrase, plen, p, 8);
        /* A correction followed by words starts a text of its own: what is said after it is
         * heard there, whatever came before (the old rule read the whole text). */
        ck_assert_msg(!want || hears_by_words(text, phrase, dont_know, negations) ||
                          holds_entry(p, pw, negations) || corrected_by_words(text, &rules),
                      "'%s' in '%s' heard, not by the old rule", phrase, text);
        ck_assert_int_eq(ivrsm_text_hears_phrase(&plain, text, len, phrase, plen, true),
                         ivrsm_text_has_phrase(text, len, phrase, plen));
        for (size_t from = 0; from <= len; from++) {
            ptrdiff_t want_at = -1;
            for (size_t i = from; want_at < 0 && i + plen <= len; i++)
                if ((i == 0 || text[i - 1] == ' ') && memcmp(text + i, phrase, plen) == 0 &&
                    (i + plen == len || text[i + plen] == ' '))
                    want_at = (ptrdiff_t)i;
            ck_assert_int_eq(ivrsm_text_find_phrase(text, len, from, phrase, plen), want_at);
        }
    }
}
END_TEST

/* The old ivrsm_text_may_not_know(): every "don't know" compared, without word sets. */
static bool may_not_know_by_search(const struct ivrsm_text_words *spans, const char *phrase,
                                   size_t len)
{
    bool inside = false;
    for (const struct ivrsm_text_words *d = spans; d && d->text; d++) {
        if (ivrsm_text_has_phrase(phrase, len, d->text, d->len))
            return false;
        inside = inside || (d->len > len && ivrsm_text_has_phrase(d->text, d->len, phrase, len));
    }
    return inside;
}

/* Whether `word` is a word of one of `list`. */
static bool word_of(const struct ivrsm_text_words *list, const char *word)
{
    const size_t n = strlen(word);
    for (; list && list->text; list++)
        if (ivrsm_text_has_phrase(list->text, list->len, word, n))
            return true;
    return false;
}

/*
 * Each built-in language, on phrases and texts made of its lists' words and of words none of
 * its lists holds (neutral ones: its number words): ivrsm_text_hears_phrase() as the
 * word-by-word model hears_by_scope() with the language's lists; ivrsm_text_may_not_know() with the
 * word sets as the search over every "don't know" and idiom; a phrase said alone, or among neutral
 * words only, heard exactly as by the old rule (hears_by_words()); and never heard where the
 * old rule did not hear it, unless it holds a negation.
 */
START_TEST(test_heard_as_before_in_neutral_words)
{
    const ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    const ivrsm_text_rules *r = ivrsm_locale_text_rules(loc);
    ivrsm_text_rules_prepare(r);
    /* Its word sets are built at once (a machine's load prepares them). */
    ck_assert_ptr_nonnull(r->heard_cache);
    ck_assert_int_eq(atomic_load(&r->heard_cache->phase), 2);
    enum { CAP = 96 };
    static char vocab[CAP][8];
    size_t nv = 0;
    const struct ivrsm_text_words *lists[] = {
        r->dont_know,     r->idioms,          r->negations,        r->clause_breaks,
        r->short_answers, r->negations_after, r->clause_negations, r->answers_yes,
        r->answers_no,    r->corrections,     r->negations_closing};
    enum { LISTS = sizeof lists / sizeof lists[0] };
    /* The lists' words (of up to 7 bytes), then neutral number words. */
    for (size_t l = 0; l < LISTS; l++)
        for (const struct ivrsm_text_words *e = lists[l]; e && e->text; e++) {
            char x[8][8];
            size_t xn = cut_words(e->text, e->len, x, 8);
            for (size_t k = 0; k < xn && nv < CAP / 2; k++) {
                if (strlen(x[k]) == 0 || strlen(e->text) > 60)
                    continue;
                bool dup = false;
                for (size_t j = 0; j < nv && !dup; j++)
                    dup = strcmp(vocab[j], x[k]) == 0;
                char whole[8][8];
                if (!dup && cut_words(x[k], strlen(x[k]), whole, 8) == 1 && strlen(x[k]) < 7) {
                    strcpy(vocab[nv++], x[k]);
                }
            }
        }
    const size_t listed = nv;
    for (const struct ivrsm_number_word *w = loc->numbers; w->text && nv < CAP; w++) {
        if (strchr(w->text, ' ') || strlen(w->text) >= 7)
            continue;
        bool taken = false;
        for (size_t l = 0; l < LISTS && !taken; l++)
            taken = word_of(lists[l], w->text);
        for (size_t j = 0; j < nv && !taken; j++)
            taken = strcmp(vocab[j], w->text) == 0;
        if (!taken)
            strcpy(vocab[nv++], w->text);
    }
    ck_assert_uint_gt(listed, 10);
    ck_assert_uint_gt(nv - listed, 5);
    uint32_t seed = 4242 + (uint32_t)_i;
    for (int round = 0; round < 20000; round++) {
        char text[160] = "", phrase[32] = "";
        seed = seed * 1103515245u + 12345u;
        const size_t before = (seed >> 16) % 6, pn = 1 + (seed >> 8) % 3;
        seed = seed * 1103515245u + 12345u;
        const size_t after = (seed >> 16) % 3;
        /* Half the texts are neutral words around the phrase; the others any words. */
        const bool calm = (seed >> 8) & 1;
        for (size_t i = 0; i < pn; i++) {
            seed = seed * 1103515245u + 12345u;
            if (*phrase)
                strcat(phrase, " ");
            strcat(phrase, vocab[(seed >> 16) % nv]);
        }
        for (size_t i = 0; i < before + 1 + after; i++) {
            seed = seed * 1103515245u + 12345u;
            const size_t pick = calm ? listed + (seed >> 16) % (nv - listed) : (seed >> 16) % nv;
            if (*text)
                strcat(text, " ");
            strcat(text, i == before ? phrase : vocab[pick]);
        }
        const size_t len = strlen(text), plen = strlen(phrase);
        const bool may = ivrsm_text_may_not_know(r, phrase, plen);
        size_t spans = 0;
        static struct ivrsm_text_words taken_back[256];
        for (size_t l = 0; l < 2; l++)
            for (const struct ivrsm_text_words *e = lists[l]; e && e->text && spans < 255; e++)
                taken_back[spans++] = *e;
        taken_back[spans] = (struct ivrsm_text_words){NULL, 0};
        ck_assert_int_eq(may, may_not_know_by_search(taken_back, phrase, plen));
        const int now = ivrsm_text_hears_phrase(r, text, len, phrase, plen, may);
        /* Every rule of the language, as the word-by-word model reads it. */
        ck_assert_msg(now == (int)hears_by_scope(text, phrase, r), "%s: '%s' in '%s' (model)",
                      ivrsm_locale_tag(loc), phrase, text);
        /* The same with the bytes that start its words, as the matcher passes them. */
        ivrsm_word_starts ws;
        ivrsm_text_word_starts(text, len, &ws);
        ivrsm_heard_memo memo = {.starts = ws.bits};
        ck_assert_int_eq(ivrsm_text_hears_phrase_memo(r, text, len, phrase, plen, may, &memo), now);
        /* And with the keys of its words, as the normaliser notes them. */
        ivrsm_heard_memo keyed = {.starts = ws.bits, .keys = &ws.keys};
        ck_assert_int_eq(ivrsm_text_hears_phrase_memo(r, text, len, phrase, plen, may, &keyed),
                         now);
        /* Alone: heard as the old rule hears it (the phrase is the whole text). */
        ck_assert_int_eq(ivrsm_text_hears_phrase(r, phrase, plen, phrase, plen, may),
                         hears_by_words(phrase, phrase, r->dont_know, r->negations));
        const bool old = hears_by_words(text, phrase, r->dont_know, r->negations);
        char p[8][8];
        const size_t pw = cut_words(phrase, plen, p, 8);
        if (calm)
            ck_assert_msg(now == (int)old, "%s: '%s' in '%s'", ivrsm_locale_tag(loc), phrase, text);
        ck_assert_msg(!now || old || holds_entry(p, pw, r->negations) ||
                          corrected_by_words(text, r),
                      "%s: '%s' in '%s'", ivrsm_locale_tag(loc), phrase, text);
    }
}
END_TEST

/*
 * A correction of several words is looked for only in a sentence that holds the keys of all its
 * words: English "I" alone ("I would like yes") is no "I mean", and the sentences that hold one
 * are read for it with the keys as without them.
 */
START_TEST(test_correction_keys_of_all_its_words)
{
    const ivrsm_text_rules *r = ivrsm_locale_text_rules(ivrsm_locale_find("en-US"));
    ivrsm_text_rules_prepare(r);
    ck_assert_uint_gt(r->heard_cache->correction_sets, 0);
    static const struct {
        const char *text, *phrase;
        int heard;
    } cases[] = {
        {"i would like yes", "yes", 1},
        {"yes i mean no", "yes", 0},
        {"yes i mean no", "no", 1},
        {"i think i mean cancel", "cancel", 1},
        {"cancel i mean move", "cancel", 0},
        {"i mean it yes", "yes", 1},
        {"what do you mean i said yes", "yes", 1},
        {"yes no wait yes", "yes", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *text = cases[i].text, *phrase = cases[i].phrase;
        const size_t len = strlen(text), plen = strlen(phrase);
        const bool may = ivrsm_text_may_not_know(r, phrase, plen);
        ivrsm_word_starts ws;
        ivrsm_text_word_starts(text, len, &ws);
        ivrsm_heard_memo keyed = {.starts = ws.bits, .keys = &ws.keys};
        ck_assert_msg(ivrsm_text_hears_phrase_memo(r, text, len, phrase, plen, may, &keyed) ==
                          cases[i].heard,
                      "'%s' in '%s'", phrase, text);
        ck_assert_int_eq(ivrsm_text_hears_phrase(r, text, len, phrase, plen, may), cases[i].heard);
    }
}
END_TEST

START_TEST(test_collapse_spaces)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"   ", ""},
        {"Bonjour", "Bonjour"},
        {"  Bonjour  et\n\n bienvenue.\n", "Bonjour et bienvenue."},
        {"a\tb\r\nc", "a b c"},
        {"déjà  vu ", "déjà vu"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64];
        size_t n = ivrsm_text_collapse_spaces(cases[i].in, strlen(cases[i].in), out);
        ck_assert_str_eq(out, cases[i].out);
        ck_assert_uint_eq(n, strlen(cases[i].out));
        char inplace[64];
        strcpy(inplace, cases[i].in);
        ivrsm_text_collapse_spaces(inplace, strlen(inplace), inplace);
        ck_assert_str_eq(inplace, cases[i].out);
    }
}
END_TEST

/* A separable verb said apart is joined again, the words between kept in order. */
START_TEST(test_rejoin_separable)
{
    static const struct {
        const char *in, *out; /* out NULL: unchanged */
    } cases[] = {
        {"ich sage den termin ab", "ich den termin absagen"},
        {"sage ab", "absagen"},
        {"sag ab bitte", "absagen bitte"},
        {"ich sagte den termin ab", NULL},       /* no present form */
        {"ab ich sage", NULL},                   /* the prefix before the verb */
        {"ich sage a b c d e f g h i ab", NULL}, /* beyond its reach */
        {"ich sage a b c d e f g ab", "ich a b c d e f g absagen"},
        {"sagst du es ab oder nicht", "du es absagen oder nicht"},
        {"absagen", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "%s", cases[i].in);
        size_t len = strlen(text);
        bool changed = ivrsm_text_rejoin_separable(text, &len, sizeof text, "ab", 2, "sag", 3);
        const char *want = cases[i].out ? cases[i].out : cases[i].in;
        ck_assert_msg(changed == (cases[i].out != NULL) && len == strlen(text) &&
                          strcmp(text, want) == 0,
                      "\"%s\": \"%s\", expected \"%s\"", cases[i].in, text, want);
    }
    /* The one byte more it may need, refused when it does not fit: the text as it was. */
    char tight[8] = "sag ab";
    size_t len = strlen(tight);
    ck_assert(!ivrsm_text_rejoin_separable(tight, &len, len + 1, "ab", 2, "sag", 3));
    ck_assert_str_eq(tight, "sag ab");
    ck_assert(ivrsm_text_rejoin_separable(tight, &len, len + 2, "ab", 2, "sag", 3));
    ck_assert_str_eq(tight, "absagen");
}
END_TEST

static Suite *text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("utf8");
    tcase_add_test(tc, test_buf_on_storage);
    tcase_add_test(tc, test_buf_decimal);
    tcase_add_test(tc, test_words_match_table);
    tcase_add_test(tc, test_json_string_end);
    tcase_add_test(tc, test_rewrite_index_as_full_scan);
    tcase_add_test(tc, test_rewrite_index_short_words_as_full_scan);
    tcase_add_test(tc, test_mem_grow);
    tcase_add_test(tc, test_arena_as_model);
    tcase_add_test(tc, test_ascii_run_as_bytes);
    tcase_add_loop_test(tc, test_utf8_valid_table, 0, sizeof utf8_cases / sizeof utf8_cases[0]);
    tcase_add_test(tc, test_utf8_valid_respects_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("normalize");
    tcase_add_loop_test(tc, test_normalize_table, 0, sizeof norm_cases / sizeof norm_cases[0]);
    tcase_add_test(tc, test_normalize_rejects_invalid_utf8);
    tcase_add_test(tc, test_normalize_embedded_nul_separates);
    tcase_add_test(tc, test_normalize_capacity);
    tcase_add_test(tc, test_collapse_spaces);
    tcase_add_test(tc, test_normalize_never_longer_than_input);
    tcase_add_test(tc, test_normalize_as_reference);
    tcase_add_test(tc, test_normalize_decomposed_as_composed);
    tcase_add_test(tc, test_normalize_garbage_never_crashes);
    tcase_add_loop_test(tc, test_rules_table, 0, sizeof rules_cases / sizeof rules_cases[0]);
    tcase_add_test(tc, test_rules_capacity_and_null);
    tcase_add_test(tc, test_rules_output_bound);
    suite_add_tcase(s, tc);

    tc = tcase_create("phrase");
    tcase_add_loop_test(tc, test_has_phrase_table, 0, sizeof phrase_cases / sizeof phrase_cases[0]);
    tcase_add_test(tc, test_has_phrase_respects_lengths);
    tcase_add_test(tc, test_normalize_then_match);
    tcase_add_test(tc, test_word_starts_never_hide_a_phrase);
    tcase_add_test(tc, test_correction_keys_of_all_its_words);
    tcase_add_test(tc, test_hears_phrase_as_words);
    tcase_add_test(tc, test_rejoin_separable);
    size_t locales = 0;
    while (ivrsm_locale_at(locales))
        locales++;
    tcase_add_loop_test(tc, test_heard_as_before_in_neutral_words, 0, (int)locales);
    tcase_add_test(tc, test_buf_json_string_as_jansson);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(text_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
