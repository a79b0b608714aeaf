/*
 * The JSON reader without jansson (lib/document/json_fast.c) against the
 * jansson one (load_json.c): whatever it accepts, jansson's reader accepts
 * too and builds the same tree, node for node; whatever jansson refuses it
 * refuses, and the load says what it always said (same code, position and
 * message), for each way JSON can be wrong: duplicate keys, invalid UTF-8,
 * nesting past the bound, numbers that do not fit, NUL and control
 * characters in strings, bad escapes and surrogates, malformed text.
 * Checked on a table of such texts, on every JSON file of the sources and
 * the fuzz_load corpus, and on thousands of mutations of the seed machine.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dom.h"
#include "dom_compare.h"
#include "failing_mem.h"
#include "ivrsm/ivrsm.h"
#include "json_fast.h"
#include "utf8.h"

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

/* The error of a load by jansson's reader alone, as load.c would report it. */
static int jansson_load(const char *data, size_t len, ivrsm_error *err)
{
    dom_doc *doc = ivrsm_dom_doc_new("t.json", ivrsm_mem_default());
    ck_assert_ptr_nonnull(doc);
    int rc = ivrsm_dom_load_json_jansson(data, len, doc, err);
    ivrsm_dom_free(doc);
    return rc;
}

/* Both readers on one text (UTF-8 without NUL, as load.c hands it); whether the fast one took it.
 */
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
    int rc = ivrsm_dom_load_json_fast(data, len, fast);
    ck_assert_msg(rc == 0 || rc == JSON_FAST_UNSUPPORTED, "%s: fast reader returned %d", name, rc);
    ivrsm_error err;
    int full_rc = ivrsm_dom_load_json_jansson(data, len, full, &err);
    if (rc == 0) {
        accepted++;
        ck_assert_msg(full_rc == 0, "%s: the fast reader accepted what jansson refuses: %s", name,
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

/* Texts JSON refuses, each for its reason; with the document's bounds. */
static const struct {
    const char *why;
    const char *text;
} refused[] = {
    {"duplicate key", "{\"a\": 1, \"b\": 2, \"a\": 3}"},
    {"duplicate key in a large map",
     "{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":1,\"k3\":2}"},
    {"duplicate key spelled with an escape", "{\"ab\": 1, \"a\\u0062\": 2}"},
    {"NUL escaped in a string", "{\"a\": \"x\\u0000y\"}"},
    {"NUL escaped in a key", "{\"a\\u0000\": 1}"},
    {"a control character in a string", "{\"a\": \"x\ty\"}"},
    {"a line break in a string", "{\"a\": \"x\ny\"}"},
    {"a lone high surrogate", "{\"a\": \"\\ud800\"}"},
    {"a lone low surrogate", "{\"a\": \"\\udc00x\"}"},
    {"a high surrogate before a non-surrogate", "{\"a\": \"\\ud800\\u0041\"}"},
    {"an unknown escape", "{\"a\": \"\\x41\"}"},
    {"a short \\u escape", "{\"a\": \"\\u12\"}"},
    {"an integer past int64", "{\"a\": 9223372036854775808}"},
    {"a negative integer past int64", "{\"a\": -9223372036854775809}"},
    {"a real that overflows", "{\"a\": 1e400}"},
    {"a negative real that overflows", "{\"a\": -2.5e999}"},
    {"a leading zero", "{\"a\": 01}"},
    {"a plus sign", "{\"a\": +1}"},
    {"a point without digits", "{\"a\": 1.}"},
    {"an exponent without digits", "{\"a\": 1e}"},
    {"a bare word", "{\"a\": yes}"},
    {"a capitalised literal", "{\"a\": True}"},
    {"a trailing comma in an object", "{\"a\": 1,}"},
    {"a trailing comma in an array", "{\"a\": [1,]}"},
    {"a missing comma", "{\"a\": 1 \"b\": 2}"},
    {"a missing colon", "{\"a\" 1}"},
    {"a single-quoted string", "{'a': 1}"},
    {"an unquoted key", "{a: 1}"},
    {"a comment", "{\"a\": 1 // no\n}"},
    {"an unclosed object", "{\"a\": 1"},
    {"an unclosed string", "{\"a\": \"x}"},
    {"text after the root", "{\"a\": 1} {}"},
    {"a root that is not an object", "[1, 2]"},
    {"a scalar root", "\"machine\""},
    {"nesting past the bound",
     "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"},
    {"a form feed between tokens", "{\"a\":\f1}"},
};

START_TEST(refused_as_jansson_refuses)
{
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        const char *t = refused[i].text;
        size_t len = strlen(t);
        dom_doc *doc = ivrsm_dom_doc_new("t.json", ivrsm_mem_default());
        ck_assert_ptr_nonnull(doc);
        ck_assert_msg(ivrsm_dom_load_json_fast(t, len, doc) == JSON_FAST_UNSUPPORTED,
                      "%s: read by the fast reader", refused[i].why);
        ivrsm_dom_free(doc);

        /* The load says what jansson's reader says, word for word, where it says it. */
        ivrsm_error want, got;
        int want_rc = jansson_load(t, len, &want);
        dom_doc *out = NULL;
        int rc =
            ivrsm_dom_load(t, len, IVRSM_FORMAT_JSON, "t.json", ivrsm_mem_default(), &out, &got);
        ivrsm_dom_free(out);
        if (want_rc == 0) {
            /* A root jansson reads but a machine document refuses. */
            ck_assert_msg(rc == IVRSM_EMACHINE, "%s: %d", refused[i].why, rc);
            continue;
        }
        ck_assert_msg(rc == want_rc && got.line == want.line && got.column == want.column &&
                          !strcmp(got.message, want.message),
                      "%s: %d %d:%d %s, jansson's reader %d %d:%d %s", refused[i].why, rc, got.line,
                      got.column, got.message, want_rc, want.line, want.column, want.message);
    }
}
END_TEST

/* What the load has always said of them: the messages users know. */
START_TEST(messages_kept)
{
    static const struct {
        const char *text;
        int code;
        const char *message;
    } cases[] = {
        {"{\"a\": 1,\n \"a\": 2}", IVRSM_ESYNTAX, "duplicate key 'a'"},
        {"{\"a\": \"\\u0000\"}", IVRSM_ESYNTAX, "JSON syntax error: \\u0000 is not allowed"},
        /* As the YAML reader says it (it said "JSON syntax error: too big integer near ..."). */
        {"{\"a\": 99999999999999999999}", IVRSM_ESYNTAX,
         "the integer 99999999999999999999 is out of range (-9223372036854775808 to "
         "9223372036854775807)"},
        {"{\"a\": -9223372036854775809}", IVRSM_ESYNTAX,
         "the integer -9223372036854775809 is out of range (-9223372036854775808 to "
         "9223372036854775807)"},
        {"{\"a\": 1e400}", IVRSM_ESYNTAX, "JSON syntax error: real number overflow"},
        {"{\"a\": \"\xC3\x28\"}", IVRSM_ESYNTAX, "invalid UTF-8 (the document must be UTF-8 text)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        ivrsm_error err;
        dom_doc *out = NULL;
        int rc = ivrsm_dom_load(cases[i].text, strlen(cases[i].text), IVRSM_FORMAT_JSON, "t.json",
                                ivrsm_mem_default(), &out, &err);
        ivrsm_dom_free(out);
        ck_assert_int_eq(rc, cases[i].code);
        ck_assert_msg(strstr(err.message, cases[i].message), "%s: %s", cases[i].text, err.message);
    }
    /* Nesting and nodes past their bounds: IVRSM_ELIMIT, as before. */
    char deep[400];
    size_t n = 0;
    deep[n++] = '{';
    memcpy(deep + n, "\"a\":", 4);
    n += 4;
    for (int i = 0; i < IVRSM_MAX_DEPTH; i++)
        deep[n++] = '[';
    for (int i = 0; i < IVRSM_MAX_DEPTH; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    ivrsm_error err;
    dom_doc *out = NULL;
    ck_assert_int_eq(
        ivrsm_dom_load(deep, n, IVRSM_FORMAT_JSON, "t.json", ivrsm_mem_default(), &out, &err),
        IVRSM_ELIMIT);
    ck_assert_msg(strstr(err.message, "nesting deeper than 64 levels"), "%s", err.message);
}
END_TEST

/* The same tree for documents every JSON reader takes, escapes and numbers of every kind. */
START_TEST(valid_texts)
{
    const char *texts[] = {
        "{}",
        "{\"a\": {}, \"b\": [], \"c\": [{}], \"d\": [[]]}",
        "{\"s\": \"caf\\u00e9 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\ud83d\\ude00 "
        "\xC3\xA9t\xC3\xA9\"}",
        "{\"\": \"\", \"k\\u00e9\": 1}",
        "{\"i\": [0, -0, 1, -1, 9223372036854775807, -9223372036854775808]}",
        "{\"r\": [0.0, -0.0, 1.5, 2.50, 1e3, 1E+3, 1e-3, -1.25e-400, 123456789.123456789]}",
        "{\"l\": [true, false, null]}",
        "\n\r\t {\r\n\t\"a\"\t:\r\n1\r\n,\"b\" :[ 1 ,2 ] } \n\t",
        "{\"\xC3\xA9\xC3\xA9\": {\"\xE2\x82\xAC\": [\"\xF0\x9F\x98\x80\", 1]}}",
        "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10}",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++)
        ck_assert_msg(compare(texts[i], strlen(texts[i]), texts[i]), "%s: not read", texts[i]);
}
END_TEST

static void each_file(const char *dir, bool all)
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
            each_file(path, all || !strcmp(e->d_name, "load"));
            continue;
        }
        size_t n = strlen(path);
        if (!all && !(n > 5 && !strcmp(path + n - 5, ".json")))
            continue;
        if (st.st_size > 4 * 1024 * 1024)
            continue;
        size_t len;
        char *data = read_text(path, &len);
        compare(data, len, path);
        free(data);
    }
    closedir(d);
}

START_TEST(every_source_file)
{
    accepted = compared = 0;
    const char *dirs[] = {"examples", "tests", "schema", "bench"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", source_root(), dirs[i]);
        each_file(path, false);
    }
    char corpus[4096];
    snprintf(corpus, sizeof(corpus), "%s/tests/fuzz/corpus/load", source_root());
    each_file(corpus, true);
    printf("json_fast: %d of %d source files read by the fast reader\n", accepted, compared);
    ck_assert_int_gt(accepted, 20);
}
END_TEST

START_TEST(seed_takes_the_fast_path)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/examples/synergia_rdv/machine.json", source_root());
    size_t len;
    char *data = read_text(path, &len);
    ck_assert(compare(data, len, path));
    free(data);
}
END_TEST

static uint64_t rng = 0x2545F4914F6CDD1Du;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const pieces[] = {
    "\"",       "\\",   "\\u", "\\u0000", "\\ud800",   "\\udc00", ",",
    ":",        "{",    "}",   "[",       "]",         " ",       "\n",
    "\t",       "\r",   "0",   "-",       "1e999",     ".",       "e",
    "+",        "true", "nul", "\"a\"",   "\"a\": 1,", "00",      "9223372036854775808",
    "\xC3\xA9", "\x01", "//",  "/*",      "1.5",       "-0"};

START_TEST(mutations)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/examples/synergia_rdv/machine.json", source_root());
    size_t len;
    char *data = read_text(path, &len);
    int rounds = getenv("JSON_FAST_ROUNDS") ? atoi(getenv("JSON_FAST_ROUNDS")) : 1000;
    size_t cap = len + 4096;
    char *a = malloc(cap), *b = malloc(cap);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    accepted = compared = 0;
    for (int r = 0; r < rounds; r++) {
        memcpy(a, data, len);
        size_t alen = len;
        int steps = 1 + (int)(next_random() % 3);
        for (int k = 0; k < steps; k++) {
            size_t at = (size_t)(next_random() % alen);
            size_t blen;
            if (next_random() % 3 == 0) {
                size_t del = 1 + next_random() % 4;
                if (at + del > alen)
                    del = alen - at;
                memcpy(b, a, at);
                memcpy(b + at, a + at + del, alen - at - del);
                blen = alen - del;
            } else {
                const char *p = pieces[next_random() % (sizeof(pieces) / sizeof(*pieces))];
                size_t pl = strlen(p);
                if (alen + pl > cap)
                    break;
                memcpy(b, a, at);
                memcpy(b + at, p, pl);
                memcpy(b + at + pl, a + at, alen - at);
                blen = alen + pl;
            }
            memcpy(a, b, blen);
            alen = blen;
        }
        compare(a, alen, "mutation");
    }
    printf("json_fast: %d of %d mutations read by the fast reader\n", accepted, compared);
    ck_assert_int_gt(accepted, 0);
    free(a);
    free(b);
    free(data);
}
END_TEST

/* Every allocation of the fast reader refused in turn: IVRSM_ENOMEM, nothing leaked. */
START_TEST(out_of_memory)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/examples/synergia_rdv/machine.json", source_root());
    size_t len;
    char *data = read_text(path, &len);
    failing_mem fm;
    failing_mem_init(&fm);
    for (long n = 0;; n++) {
        dom_doc *doc = ivrsm_dom_doc_new("m", &fm.mem);
        ck_assert_ptr_nonnull(doc);
        failing_mem_fail_one(&fm, n);
        int rc = ivrsm_dom_load_json_fast(data, len, doc);
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

int main(void)
{
    Suite *s = suite_create("json_fast");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, refused_as_jansson_refuses);
    tcase_add_test(tc, messages_kept);
    tcase_add_test(tc, valid_texts);
    tcase_add_test(tc, every_source_file);
    tcase_add_test(tc, seed_takes_the_fast_path);
    tcase_add_test(tc, mutations);
    tcase_add_test(tc, out_of_memory);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
