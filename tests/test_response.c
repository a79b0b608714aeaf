/*
 * Reading an action's answer (lib/runtime/response.c): the same texts are
 * JSON as for jansson's json_loadb(JSON_DECODE_ANY), with the same values;
 * of an object only the members the state reads are built, the others are
 * still checked; number texts are kept; the session keeps no answer once
 * its outcome is done. Request bodies are written as json_dumps() wrote them.
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failing_mem.h"
#include "ivrsm/ivrsm.h"
#include "json_real.h"
#include "json_scan.h"
#include "session.h"

static int count_chunk(const char *text, size_t len, void *total)
{
    (void)text;
    *(size_t *)total += len;
    return 0;
}

/* The size of j's compact text counted (ivrsm_json_compact_size) and dumped by jansson. */
static void sized_as_jansson(const json_t *j)
{
    size_t dumped = 0;
    json_dump_callback(j, count_chunk, &dumped, JSON_COMPACT);
    ck_assert_uint_eq(ivrsm_json_compact_size(j), dumped);
}

/* j written by ivrsm_buf_json_value() and by jansson (each real at its fewest digits,
 * ivrsm_json_dumps()) must be the same text. */
static void written_as_jansson(const json_t *j)
{
    sized_as_jansson(j);
    ivrsm_buf b = IVRSM_BUF_INIT(ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_buf_json_value(&b, j), 0);
    char *theirs = ivrsm_json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_ptr_nonnull(theirs);
    ck_assert_str_eq(ivrsm_buf_str(&b), theirs);
    free(theirs);
    ivrsm_buf_free(&b);
}

/* Read `text` both ways; the verdicts and the values must be the same. */
static void same_as_jansson(const char *text, size_t len)
{
    json_t *ours = NULL;
    int rc = ivrsm_s_response_read(ivrsm_mem_default(), NULL, text, len, NULL, &ours);
    size_t start = 0;
    while (start < len && strchr(" \t\r\n", text[start]) && text[start])
        start++;
    json_t *theirs =
        start == len ? json_object() : json_loadb(text + start, len - start, JSON_DECODE_ANY, NULL);
    if ((rc == 0) != (theirs != NULL))
        ck_abort_msg("verdict differs on %zu bytes \"%.*s\": ours %d, jansson %s", len,
                     (int)(len < 200 ? len : 200), text, rc, theirs ? "JSON" : "not JSON");
    if (rc == 0) {
        ck_assert_msg(json_equal(ours, theirs), "value differs on \"%.*s\"",
                      (int)(len < 200 ? len : 200), text);
        written_as_jansson(theirs);
    } else {
        ck_assert_ptr_null(ours);
        ck_assert_int_eq(rc, IVRSM_EINVAL);
    }
    json_decref(ours);
    json_decref(theirs);
}

static const char *const texts[] = {
    "{}",
    "[]",
    "  {\"a\" : 1 }  ",
    "\"x\"",
    "0",
    "-0",
    "12",
    "-12",
    "1.5",
    "12.50",
    "1e3",
    "1E+3",
    "1e-3",
    "-0.0",
    "true",
    "false",
    "null",
    "tru",
    "nul",
    "{\"a\":}",
    "{\"a\" 1}",
    "{\"a\":1,}",
    "[1,]",
    "[1 2]",
    "{,}",
    "{\"a\":1}}",
    "[",
    "]",
    "{",
    "\"abc",
    "01",
    "-",
    "1.",
    ".5",
    "1e",
    "1e+",
    "+1",
    "0x10",
    "NaN",
    "Infinity",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999",
    "1e308",
    "1e309",
    "-1e400",
    "1e-400",
    /* a double's bounds: DBL_MAX, rounded to it, past it (jansson: "real number overflow") */
    "1.7976931348623157e308",
    "-1.7976931348623158e308",
    "1.7976931348623159e308",
    "17976931348623159e292",
    "0.000000000000000000001e329",
    "1234567890.123456789e299",
    "-1e99999999999999999999999",
    "1e-99999999999999999999999",
    "[2.5e-3,1e400]",
    "{\"skipped\":1e400}",
    "\"\\u00e9\"",
    "\"\\uD83D\\uDE00\"",
    "\"\\uD83D\"",
    "\"\\uDE00\"",
    "\"\\uD83Dx\"",
    "\"\\u0000\"",
    "\"\\u12\"",
    "\"\\x\"",
    "\"a\\/b\\b\\f\\n\\r\\t\\\"\\\\\"",
    "\"\t\"",
    "\"\xc3\xa9\"",
    "\"\xc3\"",
    "\"\xc0\xaf\"",
    "\"\xed\xa0\x80\"",
    "\"\xf4\x90\x80\x80\"",
    "\xef\xbb\xbf{}",
    "{\"a\":1} x",
    "{\"\\u00e9\\n\":\"k\"}",
    "{\"a\":1,\"a\":2}",
    "{\"k\":{\"k\":{\"k\":[[[{}]]]}}}",
    "[1,[2,[3]]]",
    "{\"count\":3,\"appointments\":[{\"id\":\"a1\"},{\"id\":\"a2\"}],\"summary\":\"Le 3.\"}",
    " ",
    "\n\t",
    "{\"a\":[true,false,null,1,-1.25e2,\"\"]}",
    "[1]\x00",
    "{\"a\x00\":1}",
    "123abc",
    "[-]",
    "[--1]",
    "[1.2.3]",
    "{\"a\":\"b\"\"c\"}",
};

START_TEST(test_same_verdicts_as_jansson)
{
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        same_as_jansson(texts[i], strlen(texts[i]));
    same_as_jansson("[1]\0", 4); /* a NUL after the value */
    same_as_jansson("\"a\0b\"", 5);
    /* jansson loses a NUL right after a number or a word ("1\0}" reads "1}"), one only. */
    same_as_jansson("1\0", 2);
    same_as_jansson("[1\0]", 4);
    same_as_jansson("[true\0]", 7);
    same_as_jansson("[1\0\0]", 5);
    same_as_jansson("{\"a\":\"b\"\0}", 10);
    /* Reals of 309 digits and more, with and without a fraction: past a double's range. */
    char big[512];
    memset(big, '9', sizeof(big));
    same_as_jansson(big, 309);
    big[309] = '.';
    same_as_jansson(big, 400);
    big[0] = '0';
    big[1] = '.';
    same_as_jansson(big, 400);
}
END_TEST

/* Every prefix of each text, and each text with one byte replaced by one of a few. */
START_TEST(test_mutations_same_as_jansson)
{
    static const char bytes[] = {'"', '\\', '{', '}', '[',    ']',    ',',  ':', '0', '-',
                                 'e', '.',  ' ', 'u', '\x80', '\xc3', '\0', 'n', 't'};
    char buf[256];
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        size_t len = strlen(texts[i]);
        if (len >= sizeof(buf))
            continue;
        for (size_t cut = 0; cut <= len; cut++)
            same_as_jansson(texts[i], cut);
        for (size_t at = 0; at < len; at++)
            for (size_t b = 0; b < sizeof(bytes); b++) {
                memcpy(buf, texts[i], len);
                buf[at] = bytes[b];
                same_as_jansson(buf, len);
            }
    }
}
END_TEST

/* Depth: jansson counts every value; 2048 levels are JSON, 2049 are not. */
START_TEST(test_depth_as_jansson)
{
    for (size_t depth = 2046; depth <= 2050; depth++) {
        size_t len = 2 * depth + 1;
        char *t = malloc(len + 1);
        for (size_t i = 0; i < depth; i++) {
            t[i] = '[';
            t[depth + 1 + i] = ']';
        }
        t[depth] = '1';
        same_as_jansson(t, len);
        t[depth] = ' '; /* the innermost array empty */
        same_as_jansson(t, len);
        free(t);
        /* A string innermost, an item and a member's value: read without a value's frame,
         * counted against the depth all the same. */
        for (int member = 0; member < 2; member++) {
            char *u = malloc(2 * depth + 16);
            ck_assert_ptr_nonnull(u);
            size_t n = 0;
            for (size_t i = 0; i + member < depth; i++)
                u[n++] = '[';
            if (member) {
                memcpy(u + n, "{\"k\":", 5);
                n += 5;
            }
            memcpy(u + n, "\"s\"", 3);
            n += 3;
            if (member)
                u[n++] = '}';
            for (size_t i = 0; i + member < depth; i++)
                u[n++] = ']';
            same_as_jansson(u, n);
            free(u);
        }
    }
}
END_TEST

/* The fuzzers' inputs, and the project's JSON files, as answers. */
static void same_over_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        char *data = malloc(1 << 20);
        size_t n = fread(data, 1, 1 << 20, f);
        fclose(f);
        same_as_jansson(data, n);
        free(data);
    }
    closedir(d);
}

START_TEST(test_corpus_same_as_jansson)
{
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    ck_assert_ptr_nonnull(root);
    static const char *const dirs[] = {"tests/fuzz/corpus/load",     "tests/fuzz/corpus/session",
                                       "tests/fuzz/corpus/snapshot", "tests/fuzz/corpus/template",
                                       "examples/synergia_rdv",      "schema"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/%s", root, dirs[i]);
        same_over_dir(dir);
    }
}
END_TEST

START_TEST(test_only_read_members_built)
{
    const char *keys[] = {"count", "list"};
    size_t lens[] = {5, 4};
    m_state st = {0};
    st.resp_keys = keys;
    st.resp_key_lens = lens;
    st.resp_key_count = 2;
    const char *body = "{\"count\":3,\"big\":{\"x\":[1,2,{\"y\":\"\\u00e9\"}]},\"list\":[1],"
                       "\"other\":\"z\"}";
    json_t *out = NULL;
    ck_assert_int_eq(
        ivrsm_s_response_read(ivrsm_mem_default(), &st, body, strlen(body), NULL, &out), 0);
    json_t *want = json_loads("{\"count\":3,\"list\":[1]}", 0, NULL);
    ck_assert(json_equal(out, want));
    json_decref(want);
    json_decref(out);

    /* A member that is skipped is still read: a body that is not JSON stays not JSON. */
    static const char *const bad[] = {
        "{\"count\":3,\"big\":01}",          "{\"count\":3,\"big\":\"\\ud800\"}",
        "{\"count\":3,\"big\":1e999}",       "{\"count\":3,\"big\":99999999999999999999}",
        "{\"count\":3,\"big\":[1,}",         "{\"count\":3,\"big\":\"\xc3\"}",
        "{\"count\":3,\"big\":\"\\u0000\"}", "{\"count\":3,\"big\":tru}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        out = NULL;
        ck_assert_msg(ivrsm_s_response_read(ivrsm_mem_default(), &st, bad[i], strlen(bad[i]), NULL,
                                            &out) == IVRSM_EINVAL,
                      "%s", bad[i]);
        ck_assert_ptr_null(out);
    }

    /* Read whole ({{resp}}, {{resp[0]}}): everything is built. */
    st.resp_whole = true;
    ck_assert_int_eq(
        ivrsm_s_response_read(ivrsm_mem_default(), &st, body, strlen(body), NULL, &out), 0);
    ck_assert_int_eq(json_object_size(out), 4);
    json_decref(out);

    /* A result without a body (NULL, length 0) is an empty answer, as "" is. The fuzzers'
     * build (clang's UBSan) refused the pointer sum NULL + 0 the reader once made of it. */
    ck_assert_int_eq(ivrsm_s_response_read(ivrsm_mem_default(), &st, NULL, 0, NULL, &out), 0);
    ck_assert(json_is_object(out) && json_object_size(out) == 0);
    json_decref(out);

    /* A body that is not an object is built whole. */
    st.resp_whole = false;
    ck_assert_int_eq(ivrsm_s_response_read(ivrsm_mem_default(), &st, "[{\"a\":1}]", 9, NULL, &out),
                     0);
    ck_assert_int_eq(json_array_size(out), 1);
    json_decref(out);
}
END_TEST

START_TEST(test_number_texts_kept)
{
    ivrsm_numtexts numbers = {.mem = ivrsm_mem_default()};
    const char *body = "{\"amount\":12.50,\"rate\":2.5,\"n\":3,\"skipped\":7.10}";
    const char *keys[] = {"amount", "rate", "n"};
    size_t lens[] = {6, 4, 1};
    m_state st = {0};
    st.resp_keys = keys;
    st.resp_key_lens = lens;
    st.resp_key_count = 3;
    json_t *out = NULL;
    ck_assert_int_eq(
        ivrsm_s_response_read(ivrsm_mem_default(), &st, body, strlen(body), &numbers, &out), 0);
    ck_assert_str_eq(ivrsm_numtexts_find(&numbers, json_object_get(out, "amount")), "12.50");
    ck_assert_ptr_null(ivrsm_numtexts_find(&numbers, json_object_get(out, "rate")));
    ck_assert_int_eq(numbers.count, 1); /* 7.10 was not built, so not kept */
    json_decref(out);
    ivrsm_numtexts_free(&numbers);
}
END_TEST

START_TEST(test_strings_written_as_jansson)
{
    char s[2] = {0, 0};
    for (int c = 1; c < 0x80; c++) {
        s[0] = (char)c;
        json_t *j = json_string(s);
        written_as_jansson(j);
        json_decref(j);
    }
    json_t *j =
        json_pack("{s:s, s:[f, f, I, b, n], s:{}}", "a\tb\x01", "l'été \"chaud\"\n\x7f/\xc3\xa9",
                  "k", 0.1, 1e300, (json_int_t)-9223372036854775807LL, 1, "");
    ck_assert_ptr_nonnull(j);
    written_as_jansson(j);
    json_decref(j);
    /* Sizes of what no JSON text reads into: a NUL in a key and in a string, integers at
     * their bounds, a string or a key that is not UTF-8 (jansson's dump stops there). */
    j = json_pack("{s:[I, I, I, i, i]}", "n", (json_int_t)INT64_MIN, (json_int_t)INT64_MAX,
                  (json_int_t)-10, 0, 9);
    ck_assert_ptr_nonnull(j);
    json_object_setn_new_nocheck(j, "a\0b", 3, json_stringn_nocheck("c\0\x1f\x7f", 4));
    sized_as_jansson(j);
    json_t *list = json_array();
    json_array_append_new(list, json_stringn_nocheck("ok", 2));
    json_array_append_new(list, json_stringn_nocheck("\xc3(", 2));
    json_object_set_new(j, "bad", list);
    sized_as_jansson(j);
    json_object_del(j, "bad");
    json_object_setn_new_nocheck(j, "\xff", 1, json_true());
    sized_as_jansson(j);
    json_decref(j);
    j = json_string("alone");
    sized_as_jansson(j); /* neither object nor array: nothing dumped */
    json_decref(j);
}
END_TEST

/*
 * The string scanner (lib/base/json_scan.c) steps over plain bytes eight at a
 * time: against jansson and a byte-by-byte walk, on random strings of the
 * bytes that matter (quotes, escapes, control characters, UTF-8 lead and
 * continuation bytes) among plain ones, ending at every distance from the
 * end of an exactly sized buffer (so that a read past it shows under ASan).
 */
static void scan_as_reference(const char *body, size_t len)
{
    char *exact = malloc(len ? len : 1);
    memcpy(exact, body, len);
    /* The byte-by-byte end: the first quote not after a backslash. */
    size_t end = len;
    for (size_t i = 0; i < len; i++) {
        if (exact[i] == '\\')
            i++;
        else if (exact[i] == '"') {
            end = i;
            break;
        }
    }
    const char *p = exact, *s = NULL;
    size_t n = 0;
    ivrsm_buf text = IVRSM_BUF_INIT(ivrsm_mem_default());
    int rc = ivrsm_json_scan_string(&p, exact + len, &text, &s, &n);
    json_t *theirs = NULL;
    if (end < len) {
        char *quoted = malloc(end + 2);
        quoted[0] = '"';
        memcpy(quoted + 1, exact, end);
        quoted[end + 1] = '"';
        theirs = json_loadb(quoted, end + 2, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        free(quoted);
    }
    /* jansson with JSON_ALLOW_NUL takes \u0000, which the scanner refuses as jansson does
     * without it: the same verdict once that is set apart. */
    bool nul = theirs && memchr(json_string_value(theirs), 0, json_string_length(theirs));
    ck_assert_msg((rc == 0) == (theirs != NULL && !nul), "verdict differs on \"%.*s\": %d",
                  (int)len, exact, rc);
    if (rc == 0) {
        ck_assert_uint_eq((size_t)(p - exact), end + 1);
        ck_assert_uint_eq(n, json_string_length(theirs));
        ck_assert(memcmp(s, json_string_value(theirs), n) == 0);
    }
    json_decref(theirs);
    ivrsm_buf_free(&text);
    free(exact);
}

START_TEST(test_string_scan_as_reference)
{
    static const char bytes[] = {'a',    'z',    ' ',    '~',    '"',    '\\',   'u',    '0',
                                 'D',    '8',    'E',    'n',    '/',    '\x01', '\x1f', '\x7f',
                                 '\x80', '\xbf', '\xc3', '\xa9', '\xe2', '\xf0', '\x9f', '\xff',
                                 '\0',   '!',    '#',    '[',    '\x5d'};
    char buf[96];
    uint32_t seed = 12345;
    for (int round = 0; round < 200000; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % 41;
        /* Mostly plain, so that runs of eight and more are read a word at a time. */
        int plain = (int)((seed >> 8) % 4);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 16;
            buf[i] =
                (r % 4 < (uint32_t)plain) ? (char)('a' + r % 26) : bytes[(r / 7) % sizeof(bytes)];
        }
        scan_as_reference(buf, len);
    }
    /* Every byte at every place of a plain run of 20, and the run cut at every length. */
    for (int c = 0; c < 256; c++)
        for (size_t at = 0; at < 20; at++) {
            memset(buf, 'x', 20);
            buf[at] = (char)c;
            buf[20] = '"';
            for (size_t cut = at; cut <= 21; cut++)
                scan_as_reference(buf, cut);
        }
}
END_TEST

/*
 * An answer's depth is told by its read (ivrsm_s_answer_store): the verdict
 * and the value must be the ones of the brackets counted first
 * (ivrsm_s_result_body_bounded), then the read, on bodies nested about
 * IVRSM_MAX_DEPTH deep, valid or broken anywhere, brackets in strings, and
 * with each allocation of the read refused in turn.
 */
static int answer_two_steps(const char *body, size_t len, ivrsm_vstore *st, uint32_t *root)
{
    *root = IVRSM_VSTORE_NONE;
    int bounded = ivrsm_s_result_body_bounded(body, len);
    if (bounded)
        return bounded;
    int rc = ivrsm_s_response_store(NULL, body, len, true, st, root);
    return rc == 0 ? 0 : rc == IVRSM_ENOMEM ? IVRSM_ENOMEM : S_BODY_NOT_JSON;
}

static void answer_as_two_steps(const char *body, size_t len, failing_mem *fm)
{
    for (long n = 0;; n++) {
        ivrsm_vstore a, b;
        ivrsm_vstore_on(&a, &fm->mem);
        ivrsm_vstore_on(&b, &fm->mem);
        uint32_t ra, rb;
        failing_mem_fail_one(fm, n);
        int old = answer_two_steps(body, len, &a, &ra);
        bool refused = fm->refused;
        failing_mem_fail_one(fm, n);
        int now = ivrsm_s_answer_store(NULL, body, len, &b, &rb);
        refused = refused || fm->refused;
        failing_mem_off(fm);
        ck_assert_msg(old == now, "verdict %d, was %d, on \"%.*s\" (allocation %ld refused)", now,
                      old, (int)(len < 300 ? len : 300), body, n);
        if (now == 0) {
            ivrsm_buf wa = IVRSM_BUF_INIT(ivrsm_mem_default());
            ivrsm_buf wb = IVRSM_BUF_INIT(ivrsm_mem_default());
            ivrsm_s_val_write(&wa, ivrsm_vstore_at(&a, ra));
            ivrsm_s_val_write(&wb, ivrsm_vstore_at(&b, rb));
            ck_assert_str_eq(ivrsm_buf_str(&wa), ivrsm_buf_str(&wb));
            ivrsm_buf_free(&wa);
            ivrsm_buf_free(&wb);
        } else {
            ck_assert_uint_eq(rb, IVRSM_VSTORE_NONE);
        }
        ivrsm_vstore_free(&a);
        ivrsm_vstore_free(&b);
        if (!refused)
            break;
    }
}

START_TEST(test_answer_depth_as_two_steps)
{
    static const char *const pieces[] = {"[",     "{\"k\":",     "]",  "}",  "1",
                                         "\"[\"", "\"]}\\\"{\"", ",",  " ",  "x",
                                         "\"",    "{",           "\\", "[]", "{}"};
    failing_mem fm;
    failing_mem_init(&fm);
    char body[1024];
    uint32_t seed = 7;
    for (int round = 0; round < 3000; round++) {
        /* Well nested to a depth about IVRSM_MAX_DEPTH, then maybe broken. */
        seed = seed * 1103515245u + 12345u;
        int depth = IVRSM_MAX_DEPTH - 3 + (int)((seed >> 16) % 7);
        size_t len = 0;
        bool objects[IVRSM_MAX_DEPTH + 8];
        for (int d = 0; d < depth; d++) {
            seed = seed * 1103515245u + 12345u;
            objects[d] = (seed >> 16) & 1;
            const char *open = objects[d] ? "{\"a]\":" : "[\"}\",";
            memcpy(body + len, open, strlen(open));
            len += strlen(open);
        }
        body[len++] = '0';
        for (int d = depth - 1; d >= 0; d--)
            body[len++] = objects[d] ? '}' : ']';
        seed = seed * 1103515245u + 12345u;
        int edits = (int)((seed >> 16) % 4);
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % (len + 1);
            const char *piece = pieces[(seed >> 20) % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t n = strlen(piece);
            if (len + n >= sizeof(body))
                break;
            memmove(body + at + n, body + at, len - at);
            memcpy(body + at, piece, n);
            len += n;
        }
        seed = seed * 1103515245u + 12345u;
        size_t cut = (seed >> 16) % 5 == 0 ? (seed >> 4) % (len + 1) : len;
        answer_as_two_steps(body, cut, &fm);
    }
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        answer_as_two_steps(texts[i], strlen(texts[i]), &fm);
    answer_as_two_steps(NULL, 0, &fm);
    ck_assert_int_eq(fm.live, 0);
}
END_TEST

/* A request body is the text json_dumps() wrote of the value it evaluates to. */
static const char *const body_yaml =
    "machine: body\nversion: \"1\"\nlocale: fr-FR\nstates:\n"
    "  send:\n    type: action_then_prompt\n"
    "    action:\n      call: \"PUT /x\"\n      body:\n"
    "        text: \"{{ctx.text}}\"\n        mixed: \"Code {{ctx.n}} / {{ctx.r}}\"\n"
    "        n: \"{{ctx.n}}\"\n        r: \"{{ctx.r}}\"\n        obj: \"{{ctx.obj}}\"\n"
    "        missing: \"{{ctx.nothing}}\"\n        literal: [1, 2.5, true, null, \"é\\u0001\"]\n"
    "        nested: { a: { b: [ \"{{ctx.list}}\", {} ] }, e: [] }\n"
    "    on_success: { next: bye }\n"
    "  bye:\n    type: prompt_end\n    prompt: \"Au revoir.\"\n";

START_TEST(test_body_as_jansson_wrote_it)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_msg(ivrsm_machine_load_buffer(body_yaml, strlen(body_yaml), IVRSM_FORMAT_YAML,
                                            "body.yaml", &m, &err) == 0,
                  "%d:%d %s", err.line, err.column, err.message);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = "{\"text\":\"l'\\\"été\\u0002\\n\",\"n\":-42,\"r\":12.50,"
                 "\"obj\":{\"k\":[1,{\"z\":null}],\"t\":true},\"list\":[\"a\",1.25e-7]}";
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    const ivrsm_command *c = ivrsm_session_next_command(s);
    ck_assert_int_eq(c->type, IVRSM_COMMAND_HTTP);
    ivrsm_tmpl_scope scope = ivrsm_s_scope(s);
    json_t *value = NULL;
    ck_assert_int_eq(ivrsm_s_value_eval(&m->states[0].action.body, &scope, &value), 0);
    char *want = ivrsm_json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_str_eq(c->http.body, want);
    free(want);
    json_decref(value);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A machine whose action's answer is read by its outcome only. */
static const char *const machine_yaml =
    "machine: answer\nversion: \"1\"\nlocale: fr-FR\nstates:\n"
    "  fetch:\n    type: action_then_prompt\n    action: { call: \"GET /x\" }\n"
    "    on_success:\n      set: { total: \"{{resp.total}}\" }\n"
    "      prompt_template: \"Total {{resp.total}}, statut {{resp.status}}.\"\n"
    "      next: menu\n"
    "  menu:\n    type: prompt_and_listen\n    prompt: \"Menu.\"\n"
    "    routes:\n      - when_text: \"fin\"\n        next: bye\n"
    "  bye:\n    type: prompt_end\n    prompt: \"Au revoir.\"\n";

START_TEST(test_session_keeps_no_answer)
{
    ivrsm_machine *m = NULL;
    ck_assert_int_eq(ivrsm_machine_load_buffer(machine_yaml, strlen(machine_yaml),
                                               IVRSM_FORMAT_YAML, "answer.yaml", &m, NULL),
                     0);
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    const ivrsm_command *c = ivrsm_session_next_command(s);
    ck_assert_int_eq(c->type, IVRSM_COMMAND_HTTP);
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_ACTION_RESULT;
    ev.command_id = c->id;
    ev.status = 200;
    ev.body = "{\"total\":12.50,\"unused\":{\"big\":[1,2,3]}}";
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    c = ivrsm_session_next_command(s);
    ck_assert_int_eq(c->type, IVRSM_COMMAND_ASK);
    ck_assert_str_eq(c->text, "Total 12.50, statut 200. Menu.");
    char *ctx = ivrsm_session_ctx_json(s);
    json_t *cj = json_loads(ctx, 0, NULL);
    ck_assert(json_real_value(json_object_get(cj, "total")) == 12.5);
    json_decref(cj);
    ivrsm_free(ctx);
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    json_t *j = json_loads(snap, 0, NULL);
    ck_assert_ptr_nonnull(j);
    json_t *resp = json_object_get(j, "resp");
    ck_assert(!resp || json_is_null(resp));
    json_decref(j);
    ivrsm_free(snap);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A menu whose keys each write ctx: strings of several lengths, a nested object, a list. */
static const char *const writes_yaml =
    "machine: writes\nversion: \"1\"\nlocale: fr-FR\n"
    "globals: {limits: {max_state_visits: 1000}}\n"
    "intents:\n"
    "  k1: {utterances: [un], dtmf: ['1']}\n  k2: {utterances: [deux], dtmf: ['2']}\n"
    "  k3: {utterances: [trois], dtmf: ['3']}\n  k4: {utterances: [quatre], dtmf: ['4']}\n"
    "  k5: {utterances: [cinq], dtmf: ['5']}\n  k6: {utterances: [six], dtmf: ['6']}\n"
    "states:\n"
    "  menu:\n    type: prompt_and_listen\n    prompt: \"Menu {{ctx.a}}.\"\n"
    "    routes:\n"
    "      - when_intent: k1\n        set: {a: \"court\"}\n        next: menu\n"
    "      - when_intent: k2\n        set: {a: \"une valeur bien plus longue que la "
    "premiere, pour que la remplacer laisse des octets\"}\n        next: menu\n"
    "      - when_intent: k3\n        set: {n.x: \"{{ctx.a}}\", n.y: 12}\n        next: menu\n"
    "      - when_intent: k4\n        set: {l: [\"{{ctx.a}}\", \"{{ctx.n}}\", 3]}\n"
    "        next: menu\n"
    "      - when_intent: k5\n        set: {b: \"{{ctx.l}}\", a: \"{{ctx.b}}\"}\n"
    "        next: menu\n"
    "      - when_intent: k6\n        set: {c1: 1, c2: 2, c3: 3, c4: \"quatre\", c5: true}\n"
    "        next: menu\n"
    "  bye:\n    type: prompt_end\n    prompt: \"Au revoir.\"\n";

/*
 * ctx's block between events, as a session waiting for its caller keeps it: over generated
 * sequences of writes that replace, nest and grow, the block holds what a copy of its live
 * tree holds (the same JSON), and its memory is bounded as when every wait for the caller
 * moved its garbage out first: garbage of more than 64 bytes is kept only in a block no
 * larger than its live data and twice its room (ivrsm_s_ctx_tidy()).
 */
START_TEST(test_ctx_tidy_between_events)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_msg(ivrsm_machine_load_buffer(writes_yaml, strlen(writes_yaml), IVRSM_FORMAT_YAML,
                                            "writes.yaml", &m, &err) == 0,
                  "%d:%d %s", err.line, err.column, err.message);
    uint64_t seed = 41;
    int compacted_before_wait = 0, garbage_kept = 0;
    for (int round = 0; round < 40; round++) {
        ivrsm_session *s = NULL;
        ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0);
        ck_assert_int_eq(ivrsm_session_start(s), 0);
        for (int event = 0; event < 60; event++) {
            while (ivrsm_session_next_command(s))
                ;
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            char key[2] = {(char)('1' + (seed >> 40) % 6), '\0'};
            ivrsm_event ev = IVRSM_EVENT_INIT;
            ev.type = IVRSM_EVENT_DTMF;
            ev.text = key;
            ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
            ck_assert_int_eq(s->phase, PHASE_INPUT);
            const ivrsm_vstore *ctx = &s->ctx;
            size_t live = ctx->len - ctx->garbage, room = live / 2 + 64;
            if (ctx->garbage > 64) {
                ck_assert_uint_le(ctx->cap, live + 2 * room);
                garbage_kept++;
            }
            compacted_before_wait += ctx->garbage == 0;
            /* The live tree is the ctx: compacted, a copy holds the same JSON. */
            char *before = ivrsm_session_ctx_json(s);
            ivrsm_vstore copy;
            ivrsm_vstore_on(&copy, ivrsm_mem_default());
            ck_assert_int_eq(ivrsm_vstore_init(&copy), 0);
            ck_assert_int_eq(
                ivrsm_vstore_put_val(&copy, ivrsm_vstore_root(ctx), NULL, NULL, &copy.root), 0);
            json_t *a = json_loads(before, 0, NULL), *b = ivrsm_val_json(ivrsm_vstore_root(&copy));
            ck_assert(json_equal(a, b));
            json_decref(a);
            json_decref(b);
            ivrsm_vstore_free(&copy);
            ivrsm_free(before);
        }
        ivrsm_session_free(s);
    }
    /* Both cases were met: garbage kept in a block that would not shrink, and none. */
    ck_assert_int_gt(garbage_kept, 0);
    ck_assert_int_gt(compacted_before_wait, 0);
    ivrsm_machine_unref(m);
}
END_TEST

static unsigned next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(*seed >> 33);
}

/* A generated real: sign, digits, maybe a fraction, maybe an exponent; lengths up to ~360 bytes. */
static size_t generated_real(uint64_t *seed, char *out)
{
    size_t n = 0;
#define NEXT() next_random(seed)
    if (NEXT() % 3 == 0)
        out[n++] = '-';
    size_t digits = 1 + NEXT() % (NEXT() % 4 == 0 ? 330 : 20);
    out[n++] = (char)(digits > 1 && NEXT() % 4 ? '1' + NEXT() % 9 : '0' + NEXT() % 10);
    if (out[n - 1] == '0')
        digits = 1; /* JSON: no digit after a leading zero */
    for (size_t i = 1; i < digits; i++)
        out[n++] = (char)('0' + NEXT() % 10);
    bool fraction = NEXT() % 3 != 0, exponent = !fraction || NEXT() % 2;
    if (fraction) {
        out[n++] = '.';
        size_t f = 1 + NEXT() % (NEXT() % 4 == 0 ? 330 : 20);
        for (size_t i = 0; i < f; i++)
            out[n++] = (char)('0' + NEXT() % 10);
    }
    if (exponent) {
        out[n++] = NEXT() % 2 ? 'e' : 'E';
        if (NEXT() % 2)
            out[n++] = NEXT() % 2 ? '-' : '+';
        n += (size_t)sprintf(out + n, "%u", (unsigned)(NEXT() % (NEXT() % 2 ? 400 : 30)));
    }
#undef NEXT
    out[n] = '\0';
    return n;
}

/* Reals are read without jansson: the same values and verdicts (overflow) as its reading. */
START_TEST(test_reals_as_jansson)
{
    uint64_t seed = 13;
    char real[1024], text[1100];
    for (int i = 0; i < 20000; i++) {
        generated_real(&seed, real);
        same_as_jansson(real, strlen(real));
        snprintf(text, sizeof(text), "{\"a\":[%s],\"b\":%s}", real, real);
        same_as_jansson(text, strlen(text));
    }
}
END_TEST

/*
 * A long real when memory runs out: its exact value, or IVRSM_ENOMEM, never another
 * number. jansson's lexer dropped the digits it could not store and read a shorter real
 * ("1.0000000000000000000001e5" as 1.0). Every allocation, the reader's and jansson's,
 * is refused alone, and from it on, in turn.
 */
START_TEST(test_long_real_exact_when_memory_runs_out)
{
    static const char *const reals[] = {
        "1.0000000000000000000001e5",
        "123456789012345678901234567890.5e-20",
        "0.00000000000000000000000000000000000000000000000000000000000000000000000000000000001e90",
        "-98765432109876543210.98765432109876543210e-3",
    };
    char long_real[400];
    memset(long_real, '7', 300); /* past the reader's stack storage: its heap is asked */
    memcpy(long_real + 300, ".25e-290", 9);
    failing_mem fm;
    failing_mem_init(&fm);
    for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]) + 1; i++) {
        const char *real = i < sizeof(reals) / sizeof(reals[0]) ? reals[i] : long_real;
        double want = strtod(real, NULL);
        char body[512];
        snprintf(body, sizeof(body), "{\"x\":%s}", real);
        failing_mem_jansson_route(&fm);
        for (long n = 0;; n++) {
            if (n % 2)
                failing_mem_fail_from(&fm, n / 2);
            else
                failing_mem_fail_one(&fm, n / 2);
            json_t *out = NULL;
            int rc = ivrsm_s_response_read(&fm.mem, NULL, body, strlen(body), NULL, &out);
            bool refused = fm.refused;
            failing_mem_off(&fm);
            ck_assert_int_eq(fm.live, 0);
            if (rc == 0)
                ck_assert_msg(json_real_value(json_object_get(out, "x")) == want,
                              "%s read as %.17g (allocations refused from %ld)", real,
                              json_real_value(json_object_get(out, "x")), n / 2);
            else
                ck_assert_int_eq(rc, IVRSM_ENOMEM);
            json_decref(out);
            if (!refused && n % 2)
                break;
        }
        failing_mem_jansson_release();
        ck_assert_int_eq(fm.live, 0);
        ck_assert(!fm.misused);
    }
}
END_TEST

/*
 * Generated bodies: values of every kind nested up to ~8 deep (objects whose keys repeat,
 * escaped, empty or not UTF-8; long and short strings with escapes, UTF-8, bytes that are not
 * UTF-8, control characters and NUL; numbers of every form, some past their type's range;
 * words, some broken), spaces of every kind between the tokens and a NUL after some scalars,
 * then maybe cut or one byte replaced. The reader must agree with jansson: the same verdict,
 * and of a valid body the same value, the root object's members filtered to the keys a state
 * reads (the keys drawn from the body's own); a copy of what it built (ivrsm_vstore_put_val)
 * into a store that already holds other nodes is the same tree.
 */
static const char *const gen_keys[] = {
    "\"id\"",          "\"count\"",
    "\"a\"",           "\"\"",
    "\"voice_label\"", "\"\\u00e9t\\u00e9\"",
    "\"k\\\"q\"",      "\"a_key_longer_than_sixteen\"",
    "\"\\u0000\"",     "\"\xc3\"",
    "\"caf\xc3\xa9\"",
};
static const char *const gen_strings[] = {
    "\"\"",
    "\"a1\"",
    "\"Le jeudi 3 d\xc3\xa9"
    "cembre \xc3\xa0 14 heures 30.\"",
    "\"line\\nbreak\\t\\\"quoted\\\" \\\\ \\/ \\b\\f\\r\"",
    "\"\\uD83D\\uDE00 \\u00e9\"",
    "\"\\uD83D\"",
    "\"\t\"",
    "\"\xff\"",
    "\"\xe2\x82\"",
    "\"a\0b\"",
    "\"0123456789abcdef0123456789abcdef0123456789\"",
    "\"\\u12G4\"",
    "\"unterminated",
};
static const char *const gen_numbers[] = {
    "0",
    "-0",
    "7",
    "-12",
    "42",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "1.5",
    "12.50",
    "-0.0",
    "1e3",
    "2.5E-3",
    "1e400",
    "-1e-400",
    "01",
    "1.",
    "-",
    ".5",
    "1e+",
    "1.7976931348623157e308",
};
static const char *const gen_words[] = {"true", "false", "null", "tru", "nul", "falsey"};
static const char *const gen_spaces[] = {"", "", "", " ", "\n", "\t", "\r\n  "};

typedef struct gen_text {
    char *data;
    size_t len, cap;
} gen_text;

static void gen_put(gen_text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = 2 * (t->len + n + 1);
        t->data = realloc(t->data, t->cap);
        ck_assert_ptr_nonnull(t->data);
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
}

#define GEN_PICK(seed, list) (list)[next_random(seed) % (sizeof(list) / sizeof((list)[0]))]

static void gen_space(gen_text *t, uint64_t *seed)
{
    const char *sp = GEN_PICK(seed, gen_spaces);
    gen_put(t, sp, strlen(sp));
}

/* A string of the pool; "a\0b" is the one whose length strlen() does not tell. */
static void gen_string(gen_text *t, uint64_t *seed, const char *const *pool, size_t n)
{
    const char *s = pool[next_random(seed) % n];
    gen_put(t, s, strcmp(s, "\"a") == 0 ? 5 : strlen(s));
}

static void gen_value(gen_text *t, uint64_t *seed, int depth)
{
    unsigned kind = next_random(seed) % (depth < 8 ? 10 : 6);
    if (kind < 2) {
        gen_string(t, seed, gen_strings, sizeof(gen_strings) / sizeof(gen_strings[0]));
    } else if (kind < 4 || kind == 5) {
        const char *x = kind == 5 ? GEN_PICK(seed, gen_words) : GEN_PICK(seed, gen_numbers);
        gen_put(t, x, strlen(x));
        if (next_random(seed) % 16 == 0)
            gen_put(t, "", 1); /* a NUL after a scalar: jansson drops one */
    } else if (kind == 4) {
        char real[1024];
        gen_put(t, real, generated_real(seed, real));
    } else {
        bool object = kind % 2;
        unsigned n = next_random(seed) % (next_random(seed) % 8 == 0 ? 40 : 6);
        gen_put(t, object ? "{" : "[", 1);
        for (unsigned i = 0; i < n; i++) {
            gen_space(t, seed);
            if (i)
                gen_put(t, ",", 1);
            gen_space(t, seed);
            if (object) {
                gen_string(t, seed, gen_keys, sizeof(gen_keys) / sizeof(gen_keys[0]));
                gen_space(t, seed);
                gen_put(t, ":", 1);
                gen_space(t, seed);
            }
            gen_value(t, seed, depth + 1);
        }
        gen_space(t, seed);
        gen_put(t, object ? "}" : "]", 1);
    }
}

/* j's members whose keys `st` names (jansson's reading of what the reader keeps). */
static json_t *kept_members(json_t *j, const m_state *st)
{
    if (!st || !json_is_object(j) || st->resp_whole)
        return json_incref(j);
    json_t *out = json_object();
    const char *key;
    size_t len;
    json_t *v;
    json_object_keylen_foreach(j, key, len, v)
    {
        for (size_t i = 0; i < st->resp_key_count; i++)
            if (st->resp_key_lens[i] == len && !memcmp(st->resp_keys[i], key, len))
                json_object_setn(out, key, len, v);
    }
    return out;
}

static void generated_as_jansson(const char *body, size_t len, const m_state *st)
{
    ivrsm_vstore store;
    ivrsm_vstore_on(&store, ivrsm_mem_default());
    uint32_t root;
    int rc = ivrsm_s_response_store(st, body, len, true, &store, &root);
    size_t start = 0;
    while (start < len && strchr(" \t\r\n", body[start]) && body[start])
        start++;
    json_t *theirs =
        start == len ? json_object() : json_loadb(body + start, len - start, JSON_DECODE_ANY, NULL);
    ck_assert_msg((rc == 0) == (theirs != NULL), "verdict differs on \"%.*s\": ours %d",
                  (int)(len < 300 ? len : 300), body, rc);
    if (rc == 0) {
        /* Written out, members in their order: a repeated key keeps its first place and takes
         * its last value, as in jansson's objects. */
        json_t *want = kept_members(theirs, st);
        char *want_text = ivrsm_json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        ivrsm_buf ours = IVRSM_BUF_INIT(ivrsm_mem_default());
        ivrsm_s_val_write(&ours, ivrsm_vstore_at(&store, root));
        ck_assert_msg(!strcmp(ivrsm_buf_str(&ours), want_text), "value differs on \"%.*s\"",
                      (int)(len < 300 ? len : 300), body);
        free(want_text);
        ivrsm_buf_free(&ours);
        /* Copied into a store whose nodes sit elsewhere: the same tree. */
        ivrsm_vstore copy;
        ivrsm_vstore_on(&copy, ivrsm_mem_default());
        uint32_t first, at;
        ck_assert_int_eq(ivrsm_vstore_put_string(&copy, "before", 6, &first), 0);
        ck_assert_int_eq(
            ivrsm_vstore_put_val(&copy, ivrsm_vstore_at(&store, root), NULL, NULL, &at), 0);
        ivrsm_buf a = IVRSM_BUF_INIT(ivrsm_mem_default());
        ivrsm_buf b = IVRSM_BUF_INIT(ivrsm_mem_default());
        ivrsm_s_val_write(&a, ivrsm_vstore_at(&store, root));
        ivrsm_s_val_write(&b, ivrsm_vstore_at(&copy, at));
        ck_assert_str_eq(ivrsm_buf_str(&a), ivrsm_buf_str(&b));
        ivrsm_buf_free(&a);
        ivrsm_buf_free(&b);
        ivrsm_vstore_free(&copy);
        json_decref(want);
    } else {
        ck_assert_uint_eq(root, IVRSM_VSTORE_NONE);
        ck_assert_int_eq(rc, IVRSM_EINVAL);
    }
    json_decref(theirs);
    ivrsm_vstore_free(&store);
}

/* body read as an answer with each allocation refused in turn: the verdict and the value of
 * the read that had its memory, or IVRSM_ENOMEM; nothing left allocated. */
static long generated_refusals; /* allocations refused by generated_when_memory_runs_out() */

static void generated_when_memory_runs_out(const char *body, size_t len, const m_state *st,
                                           failing_mem *fm)
{
    ivrsm_vstore_scratch whole;
    ivrsm_vstore_scratch_on(&whole, ivrsm_mem_default());
    uint32_t whole_root;
    int want = ivrsm_s_answer_store(st, body, len, &whole.st, &whole_root);
    ivrsm_buf want_text = IVRSM_BUF_INIT(ivrsm_mem_default());
    if (want == 0)
        ivrsm_s_val_write(&want_text, ivrsm_vstore_at(&whole.st, whole_root));
    for (long n = 0;; n++) {
        ivrsm_vstore_scratch sc;
        ivrsm_vstore_scratch_on(&sc, &fm->mem);
        uint32_t root;
        failing_mem_fail_one(fm, n);
        int rc = ivrsm_s_answer_store(st, body, len, &sc.st, &root);
        bool refused = fm->refused;
        failing_mem_off(fm);
        generated_refusals += refused;
        ck_assert_msg(rc == want || (refused && rc == IVRSM_ENOMEM),
                      "%d, %d without refusal, on \"%.*s\" (allocation %ld refused)", rc, want,
                      (int)(len < 300 ? len : 300), body, n);
        if (rc == 0) {
            ivrsm_buf text = IVRSM_BUF_INIT(ivrsm_mem_default());
            ivrsm_s_val_write(&text, ivrsm_vstore_at(&sc.st, root));
            ck_assert_str_eq(ivrsm_buf_str(&text), ivrsm_buf_str(&want_text));
            ivrsm_buf_free(&text);
        }
        ivrsm_vstore_free(&sc.st);
        ck_assert_int_eq(fm->live, 0);
        if (!refused)
            break;
    }
    ivrsm_buf_free(&want_text);
    ivrsm_vstore_free(&whole.st);
}

START_TEST(test_generated_bodies_as_jansson)
{
    failing_mem fm;
    failing_mem_init(&fm);
    /* The keys a state reads, drawn from the generator's (decoded) and others. */
    static const char *const names[] = {"id",          "count",
                                        "a",           "",
                                        "voice_label", "\xc3\xa9t\xc3\xa9",
                                        "k\"q",        "a_key_longer_than_sixteen",
                                        "caf\xc3\xa9", "zz"};
    uint64_t seed = 2027;
    gen_text t = {0};
    long valid = 0;
    for (int round = 0; round < 40000; round++) {
        t.len = 0;
        gen_space(&t, &seed);
        gen_value(&t, &seed, next_random(&seed) % 4 ? 0 : 7);
        gen_space(&t, &seed);
        unsigned edit = next_random(&seed) % 8;
        if (edit == 0 && t.len)
            t.len = next_random(&seed) % t.len; /* cut */
        else if (edit == 1 && t.len)
            t.data[next_random(&seed) % t.len] = "\"\\{}[],:0e. \x80\0"[next_random(&seed) % 14];
        const char *keys[4];
        size_t lens[4];
        m_state st = {0};
        st.resp_keys = keys;
        st.resp_key_lens = lens;
        st.resp_key_count = next_random(&seed) % 5;
        for (size_t i = 0; i < st.resp_key_count; i++) {
            keys[i] = GEN_PICK(&seed, names);
            lens[i] = strlen(keys[i]);
        }
        st.resp_whole = next_random(&seed) % 6 == 0;
        const m_state *keep = next_random(&seed) % 5 ? &st : NULL;
        generated_as_jansson(t.data, t.len, keep);
        if (round % 16 == 0)
            generated_when_memory_runs_out(t.data, t.len, keep, &fm);
        json_t *j = json_loadb(t.data, t.len, JSON_DECODE_ANY, NULL);
        valid += j != NULL;
        json_decref(j);
    }
    ck_assert_int_gt(valid, 10000); /* both verdicts are met often */
    ck_assert(!fm.misused);
    ck_assert_int_gt(generated_refusals, 100); /* bodies past the scratch store's stack storage */
    free(t.data);
}
END_TEST

static Suite *response_suite(void)
{
    Suite *s = suite_create("response");
    TCase *tc = tcase_create("read");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_same_verdicts_as_jansson);
    tcase_add_test(tc, test_mutations_same_as_jansson);
    tcase_add_test(tc, test_depth_as_jansson);
    tcase_add_test(tc, test_corpus_same_as_jansson);
    tcase_add_test(tc, test_only_read_members_built);
    tcase_add_test(tc, test_number_texts_kept);
    tcase_add_test(tc, test_session_keeps_no_answer);
    tcase_add_test(tc, test_ctx_tidy_between_events);
    tcase_add_test(tc, test_strings_written_as_jansson);
    tcase_add_test(tc, test_string_scan_as_reference);
    tcase_add_test(tc, test_answer_depth_as_two_steps);
    tcase_add_test(tc, test_body_as_jansson_wrote_it);
    tcase_add_test(tc, test_reals_as_jansson);
    tcase_add_test(tc, test_long_real_exact_when_memory_runs_out);
    tcase_add_test(tc, test_generated_bodies_as_jansson);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(response_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
