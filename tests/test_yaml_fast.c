/*
 * The fast YAML reader (lib/document/yaml_fast.c) against libfyaml's
 * (load_yaml.c): whatever the fast reader accepts, libfyaml's reader must
 * accept too and build the same tree, node for node (kind, style, text,
 * value, line and column of every node and key, weights, bytes, heights,
 * key indexes). Checked on every YAML file of the sources (machines,
 * scenarios, the fuzz_load corpus) and on thousands of mutations of them;
 * the machines of the examples must be read by the fast reader itself.
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "dom.h"
#include "dom_compare.h"
#include "failing_mem.h"
#include "ivrsm/ivrsm.h"
#include "text.h"
#include "yaml_core.h"
#include "utf8.h"
#include "yaml_fast.h"

static const char *source_root(void)
{
    const char *r = getenv("IVRSM_SOURCE_ROOT");
    return r ? r : ".";
}

static char *read_text(const char *path, size_t *len)
{
    char *data;
    ck_assert_int_eq(ivrsm_dom_read_file(path, ivrsm_mem_default(), &data, len, NULL), 0);
    return data;
}

static int accepted, compared;

/* Both readers on one text; returns whether the fast reader took it. */
static bool compare(const char *data, size_t len, const char *name)
{
    int line, column;
    if (ivrsm_utf8_check_text(data, len, &line, &column) != 0)
        return false;
    compared++;
    dom_doc *fast = ivrsm_dom_doc_new(name, ivrsm_mem_default());
    dom_doc *full = ivrsm_dom_doc_new(name, ivrsm_mem_default());
    ck_assert_ptr_nonnull(fast);
    ck_assert_ptr_nonnull(full);
    int rc = ivrsm_dom_load_yaml_fast(data, len, fast);
    ck_assert_msg(rc == 0 || rc == YAML_FAST_UNSUPPORTED, "%s: fast reader returned %d", name, rc);
    ivrsm_error err;
    int full_rc = ivrsm_dom_load_yaml_events(data, len, full, &err);
    if (rc == 0) {
        accepted++;
        ck_assert_msg(full_rc == 0, "%s: the fast reader accepted what libfyaml refuses: %s", name,
                      err.message);
        ck_assert_msg(fast->node_count == full->node_count && fast->bytes == full->bytes,
                      "%s: %zu nodes / %zu bytes vs %zu / %zu", name, fast->node_count, fast->bytes,
                      full->node_count, full->bytes);
        same_node(fast->root, full->root, name);
    }
    ivrsm_dom_free(fast);
    ivrsm_dom_free(full);
    return rc == 0;
}

typedef struct file_list {
    char **paths;
    size_t count, cap;
} file_list;

static void collect(file_list *l, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "node_modules"))
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            collect(l, path);
            continue;
        }
        size_t n = strlen(path);
        bool yaml = (n > 5 && !strcmp(path + n - 5, ".yaml")) ||
                    (n > 4 && !strcmp(path + n - 4, ".yml")) || strstr(path, "/corpus/load/");
        if (!yaml)
            continue;
        if (l->count == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 64;
            l->paths = realloc(l->paths, l->cap * sizeof(*l->paths));
            ck_assert_ptr_nonnull(l->paths);
        }
        l->paths[l->count++] = strdup(path);
    }
    closedir(d);
}

static file_list sources(void)
{
    file_list l = {0};
    const char *dirs[] = {"examples", "tests", "docs", "bench", "schema"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", source_root(), dirs[i]);
        collect(&l, path);
    }
    ck_assert_msg(l.count > 100, "only %zu YAML files found", l.count);
    return l;
}

static void free_list(file_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->paths[i]);
    free(l->paths);
}

START_TEST(every_source_file)
{
    file_list l = sources();
    for (size_t i = 0; i < l.count; i++) {
        size_t len;
        char *data = read_text(l.paths[i], &len);
        compare(data, len, l.paths[i]);
        free(data);
    }
    printf("yaml_fast: %d of %d source files read by the fast reader\n", accepted, compared);
    ck_assert_int_gt(accepted, compared / 2);
    free_list(&l);
}
END_TEST

START_TEST(examples_take_the_fast_path)
{
    const char *machines[] = {"examples/synergia_rdv/machine.yaml",
                              "examples/synergia_rdv_en/machine.yaml",
                              "examples/bank_card/machine.yaml", "examples/hello/machine.yaml"};
    for (size_t i = 0; i < sizeof(machines) / sizeof(*machines); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", source_root(), machines[i]);
        size_t len;
        char *data = read_text(path, &len);
        ck_assert_msg(compare(data, len, path), "%s is not read by the fast reader", path);
        free(data);
    }
}
END_TEST

/* A small deterministic generator (xorshift), so a failure replays. */
static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Bytes a mutation inserts: YAML's indicators, blanks, breaks, letters, a multi-byte letter. */
static const char *const pieces[] = {
    " ", "  ", "\n", ":", ": ", "- ", "-", "#", " #", "\"", "'", "[", "]", "{", "}", ",", ">", "|",
    "|-", ">+", "&a", "*a", "!!", "<<", "\\", "\\n", "é", "a", "1", "0x", "~", "?", "%", "@", "\t",
    "---", "...", "\r", "''", ".5",
    /* what the fast reader leaves to libfyaml wherever it is, and
     * its neighbours it keeps: NEL and a no-break space, the line
     * separator and a quote mark, a byte order mark, U+FFFF and
     * U+FFFD, DEL and another control character */
    "\xC2\x85", "\xC2\xA0", "\xE2\x80\xA8", "\xE2\x80\x99", "\xEF\xBB\xBF", "\xEF\xBF\xBF",
    "\xEF\xBF\xBD", "\x7F", "\x01"};

static size_t mutate(const char *src, size_t len, char *out, size_t cap)
{
    size_t at = len ? (size_t)(next_random() % len) : 0;
    size_t n = 0;
    switch (next_random() % 5) {
    case 0: { /* delete up to 3 bytes */
        size_t del = 1 + next_random() % 3;
        if (at + del > len)
            del = len - at;
        memcpy(out, src, at);
        memcpy(out + at, src + at + del, len - at - del);
        return len - del;
    }
    case 1:
    case 2: { /* insert a piece */
        const char *p = pieces[next_random() % (sizeof(pieces) / sizeof(*pieces))];
        size_t pl = strlen(p);
        if (len + pl > cap)
            return 0;
        memcpy(out, src, at);
        memcpy(out + at, p, pl);
        memcpy(out + at + pl, src + at, len - at);
        return len + pl;
    }
    case 3: { /* replace a byte with a piece's first byte */
        memcpy(out, src, len);
        if (len)
            out[at] = pieces[next_random() % (sizeof(pieces) / sizeof(*pieces))][0];
        return len;
    }
    default: { /* duplicate a line */
        size_t s = at;
        while (s > 0 && src[s - 1] != '\n')
            s--;
        size_t e = at;
        while (e < len && src[e] != '\n')
            e++;
        if (e < len)
            e++;
        if (len + (e - s) > cap)
            return 0;
        memcpy(out, src, e);
        memcpy(out + e, src + s, e - s);
        memcpy(out + e + (e - s), src + e, len - e);
        n = len + (e - s);
        return n;
    }
    }
}

START_TEST(mutations)
{
    const char *seeds[] = {"examples/synergia_rdv/machine.yaml", "examples/hello/machine.yaml",
                           "tests/format/refill.yaml", "tests/format/pin.yaml",
                           "examples/synergia_rdv/scenarios/entry_team_gate.yaml"};
    int rounds = getenv("YAML_FAST_ROUNDS") ? atoi(getenv("YAML_FAST_ROUNDS")) : 600;
    accepted = compared = 0;
    for (size_t s = 0; s < sizeof(seeds) / sizeof(*seeds); s++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", source_root(), seeds[s]);
        FILE *probe = fopen(path, "rb");
        if (!probe)
            continue;
        fclose(probe);
        size_t len;
        char *data = read_text(path, &len);
        size_t cap = len + 4096;
        char *a = malloc(cap), *b = malloc(cap);
        ck_assert_ptr_nonnull(a);
        ck_assert_ptr_nonnull(b);
        for (int r = 0; r < rounds; r++) {
            /* A few mutations stacked on the original text. */
            memcpy(a, data, len);
            size_t alen = len;
            int steps = 1 + (int)(next_random() % 4);
            for (int k = 0; k < steps; k++) {
                size_t blen = mutate(a, alen, b, cap);
                if (!blen)
                    break;
                memcpy(a, b, blen);
                alen = blen;
            }
            compare(a, alen, path);
        }
        free(a);
        free(b);
        free(data);
    }
    printf("yaml_fast: %d of %d mutations read by the fast reader\n", accepted, compared);
    ck_assert_int_gt(accepted, 0);
}
END_TEST

/* Every allocation of the fast reader refused in turn: IVRSM_ENOMEM, never a wrong tree. */
START_TEST(out_of_memory)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/examples/synergia_rdv/machine.yaml", source_root());
    size_t len;
    char *data = read_text(path, &len);
    failing_mem fm;
    failing_mem_init(&fm);
    for (long n = 0;; n++) {
        dom_doc *doc = ivrsm_dom_doc_new("m", &fm.mem);
        ck_assert_ptr_nonnull(doc);
        failing_mem_fail_one(&fm, n);
        int rc = ivrsm_dom_load_yaml_fast(data, len, doc);
        bool refused = fm.refused;
        failing_mem_off(&fm);
        ivrsm_dom_free(doc);
        ck_assert_msg(rc == (refused ? IVRSM_ENOMEM : 0), "allocation %ld refused: %d", n, rc);
        ck_assert_int_eq(fm.live, 0);
        ck_assert(!fm.misused);
        if (!refused)
            break;
    }
    free(data);
}
END_TEST

/*
 * Every prefix of a document using all the fast reader knows, each in a heap
 * block of its exact size: no byte past the end is read (the sanitizer build
 * says so), and what is read is what libfyaml's reader reads.
 */
static void prefixes(const char *doc, size_t len)
{
    for (size_t n = 1; n <= len; n++) {
        char *copy = malloc(n);
        ck_assert_ptr_nonnull(copy);
        memcpy(copy, doc, n);
        char name[32];
        snprintf(name, sizeof(name), "prefix of %zu bytes", n);
        compare(copy, n, name);
        free(copy);
    }
}

START_TEST(every_prefix)
{
    const char *doc = "a: 1\n\"q\": 'x'\nf: {k: [1, \"2\"], 'j': {}}\nl:\n- - 1\n  - x y\n"
                      "- {a: b}\nb: >-\n  t\n\n  u\nc: |+\n  v\n\nd:\ne: \"\\u00e9\\n\" # c\n";
    accepted = compared = 0;
    prefixes(doc, strlen(doc));
    /* Block scalars of each style and chomping, ending the text after blank lines. */
    const char *blocks[] = {"a: >\n  x\n  y\n\n  \n\n", "a: |-\n  x\n\n  y\n \n\n",
                            "a: |+\n  x\n\n\n", "a: >+\n  x\n  \n\nb: 1\n",
                            "- |\n  x\n\n- >-\n  y\n  \n"};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++)
        prefixes(blocks[i], strlen(blocks[i]));
    const char *files[] = {"examples/hello/machine.yaml",
                           "tests/fuzz/corpus/load/fast-reader-yaml-subset.yaml"};
    for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", source_root(), files[i]);
        size_t len;
        char *data = read_text(path, &len);
        prefixes(data, len);
        free(data);
    }
    ck_assert_int_gt(accepted, 100);
}
END_TEST

/* What the readers mark as holding no reference: no "${" anywhere in a string. */
START_TEST(text_has_ref)
{
    ck_assert(ivrsm_dom_text_has_ref("${globals.a}", 12));
    ck_assert(ivrsm_dom_text_has_ref("x $${", 5));
    ck_assert(ivrsm_dom_text_has_ref("${", 2));
    ck_assert(!ivrsm_dom_text_has_ref("$", 1));
    ck_assert(!ivrsm_dom_text_has_ref("", 0));
    ck_assert(!ivrsm_dom_text_has_ref("a $ {b} $", 9));
    ck_assert(!ivrsm_dom_text_has_ref("${", 1)); /* the length is the text's, not the C string's */

    /* A reference deep in a list of a map marks every node above it, and only them. */
    const char *doc = "machine: m\nglobals:\n  a: 1\nx:\n  plain: {k: v}\n  deep:\n"
                      "    - [1, \"${globals.a}\"]\n";
    dom_doc *fast = ivrsm_dom_doc_new("t", ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_dom_load_yaml_fast(doc, strlen(doc), fast), 0);
    const dom_node *x = ivrsm_dom_get(fast->root, "x");
    ck_assert(!fast->root->no_refs && !x->no_refs);
    ck_assert(ivrsm_dom_get(fast->root, "globals")->no_refs);
    ck_assert(ivrsm_dom_get(x, "plain")->no_refs);
    const dom_node *deep = ivrsm_dom_get(x, "deep");
    ck_assert(!deep->no_refs && !deep->items[0]->no_refs);
    ck_assert(deep->items[0]->items[0]->no_refs && !deep->items[0]->items[1]->no_refs);
    ivrsm_dom_free(fast);
}
END_TEST

/*
 * A plain scalar's kind told by its first byte when no other kind starts so
 * (ivrsm_yaml_core_type), against the whole grammar: any byte first, then
 * every tail of up to two of the bytes the grammar uses, or the rest of a
 * word of each kind, longer words among them.
 */
START_TEST(core_type_shortcut_as_whole)
{
    static const char set[] = "~nNtTfFuUlLrReEsSaAoOxX0123456789-+._ ";
    const size_t n = sizeof(set) - 1;
    static const char *const words[] = {
        "null", "Null", "NULL", "true", "True", "TRUE", "false", "FALSE", "0x1F", "0o17", ".inf",
        "-.Inf", "+.INF", ".NaN", "1e10", "-1.5", "+12", "12abc",
        /* past five bytes: a letter then starts only strings */
        "nulls", "falsey", "trueish", "next_state", "1e+100", "0x1234567", "-123456"};
    char t[16];
    size_t nonstrings = 0;
    for (int first = 1; first < 256; first++) {
        t[0] = (char)first;
        /* Every tail of up to two bytes of the set, and the words' tails. */
        size_t tails = 1 + n + n * n + sizeof(words) / sizeof(words[0]);
        for (size_t c = 0; c < tails; c++) {
            size_t len;
            if (c < 1 + n + n * n) {
                len = c == 0 ? 1 : c <= n ? 2 : 3;
                size_t rest = c == 0 ? 0 : c <= n ? c - 1 : c - 1 - n;
                for (size_t k = 1; k < len; k++, rest /= n)
                    t[k] = set[rest % n];
            } else {
                const char *w = words[c - 1 - n - n * n];
                len = strlen(w);
                memcpy(t + 1, w + 1, len - 1);
            }
            yaml_core_value a, b;
            dom_kind ka = ivrsm_yaml_core_type(t, len, &a);
            dom_kind kb = ivrsm_yaml_core_type_whole(t, len, &b);
            ck_assert_int_eq(ka, kb);
            ck_assert(!memcmp(&a, &b, sizeof(a)));
            nonstrings += ka != DOM_STRING;
        }
    }
    ck_assert_uint_gt(nonstrings, 1000);
    yaml_core_value a, b;
    ck_assert_int_eq(ivrsm_yaml_core_type("", 0, &a), ivrsm_yaml_core_type_whole("", 0, &b));
}
END_TEST

/* Characters counted eight bytes at a time (columns), against a byte-by-byte count. */
START_TEST(utf8_count_as_bytes)
{
    static const char *const pieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " "};
    char buf[200];
    uint32_t seed = 5;
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 16) % 40);
        while (k-- > 0) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % 5];
            memcpy(buf + len, p, strlen(p));
            len += strlen(p);
        }
        for (size_t from = 0; from <= len && from < 9; from++) {
            size_t want = 0;
            for (size_t i = from; i < len; i++)
                want += ((unsigned char)buf[i] & 0xC0) != 0x80;
            ck_assert_uint_eq(ivrsm_utf8_count(buf + from, len - from), want);
        }
    }
}
END_TEST

/* Tests for the byte scans below, written twice: as the scans take them (a byte or sixteen at
 * once) and with the logical operators of a byte. */
#define CONTROL_OR_LEAD(b)                                                                         \
    ((((b) < 0x20) & ((b) != '\n')) | ((b) == 0x7F) | ((b) == 0xC2) | ((b) == 0xE2) | ((b) == 0xEF))
#define NUL_OR_HIGH(b) (((b) == 0) | ((b) >= 0x80))
#define ABOVE_Z_OR_QUOTE(b) (((b) > 'z') | ((b) == '"'))
IVRSM_BYTE_SCAN(scan_control_or_lead, CONTROL_OR_LEAD)
IVRSM_BYTE_SCAN(scan_nul_or_high, NUL_OR_HIGH)
IVRSM_BYTE_SCAN(scan_above_z_or_quote, ABOVE_Z_OR_QUOTE)

static bool control_or_lead(unsigned char c)
{
    return (c < 0x20 && c != '\n') || c == 0x7F || c == 0xC2 || c == 0xE2 || c == 0xEF;
}

static bool nul_or_high(unsigned char c)
{
    return c == 0 || c >= 0x80;
}

static bool above_z_or_quote(unsigned char c)
{
    return c > 'z' || c == '"';
}

static size_t first_of(const char *s, size_t len, bool (*test)(unsigned char))
{
    size_t i = 0;
    while (i < len && !test((unsigned char)s[i]))
        i++;
    return i;
}

/*
 * Byte scans (sixteen bytes a step, the last ones one by one) against a byte
 * loop: every byte value at every place of texts of every length up to 40,
 * each in a heap block of its exact size (a read past it shows under ASan),
 * a second stop byte after the first or not.
 */
START_TEST(byte_scan_as_bytes)
{
    for (int c = 0; c < 256; c++)
        for (size_t len = 0; len <= 40; len++)
            for (size_t at = 0; at <= len; at++) {
                char *s = malloc(len ? len : 1);
                ck_assert_ptr_nonnull(s);
                for (size_t i = 0; i < len; i++)
                    s[i] = "ab \nyZ{:"[(i * 7 + at) % 8];
                if (at < len)
                    s[at] = (char)c;
                if (len && at + 3 < len)
                    s[len - 1] = (char)(c ^ 0x80);
                ck_assert_uint_eq(scan_control_or_lead(s, len), first_of(s, len, control_or_lead));
                ck_assert_uint_eq(scan_nul_or_high(s, len), first_of(s, len, nul_or_high));
                ck_assert_uint_eq(scan_above_z_or_quote(s, len),
                                  first_of(s, len, above_z_or_quote));
                free(s);
            }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("yaml_fast");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, every_source_file);
    tcase_add_test(tc, examples_take_the_fast_path);
    tcase_add_test(tc, mutations);
    tcase_add_test(tc, out_of_memory);
    tcase_add_test(tc, text_has_ref);
    tcase_add_test(tc, every_prefix);
    tcase_add_test(tc, core_type_shortcut_as_whole);
    tcase_add_test(tc, utf8_count_as_bytes);
    tcase_add_test(tc, byte_scan_as_bytes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
