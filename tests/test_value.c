/*
 * The value store (lib/template/value.c), where a session keeps its ctx:
 * what goes in comes out as the same JSON (member order, strings, numbers,
 * their texts), writes follow ctx's dotted-key rule, garbage is counted and
 * compaction changes nothing a reader sees, and a refused allocation leaves
 * the store whole. Reals are written as jansson writes them.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "failing_mem.h"
#include "json_real.h"
#include "value.h"

static const char *const sample =
    "{\"name\":\"Ana\",\"count\":3,\"pi\":2.5,\"neg\":-7,\"flag\":true,\"off\":false,"
    "\"nul\":null,\"empty\":\"\",\"list\":[],\"obj\":{},\"quote\":\"l'\\u00e9t\\u00e9 "
    "\\\"chaud\\\"\\n\",\"appt_list\":[{\"id\":\"a1\",\"when\":\"lundi\"},{\"id\":\"a2\"}],"
    "\"nested\":{\"a\":{\"b\":\"deep\",\"n\":[1,[2,{\"x\":1e300}]]}},\"big\":9007199254740993}";

/* The store's ctx as compact JSON text (caller frees). */
static char *dump(const ivrsm_vstore *st)
{
    json_t *j = ivrsm_val_json(ivrsm_vstore_root(st));
    ck_assert_ptr_nonnull(j);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return text;
}

static void load(ivrsm_vstore *st, const ivrsm_mem *mem, const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ivrsm_vstore_on(st, mem);
    uint32_t root;
    ck_assert_int_eq(ivrsm_vstore_put_json(st, j, NULL, NULL, &root), 0);
    ivrsm_vstore_set_root(st, root);
    json_decref(j);
}

static void assert_dump(const ivrsm_vstore *st, const char *want)
{
    char *got = dump(st);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(test_round_trip)
{
    ivrsm_vstore st;
    load(&st, ivrsm_mem_default(), sample);
    json_t *j = json_loads(sample, 0, NULL);
    char *want = json_dumps(j, JSON_COMPACT);
    assert_dump(&st, want);
    /* Read through the accessors as templates do. */
    ivrsm_val root = ivrsm_vstore_root(&st);
    size_t len;
    ck_assert_str_eq(ivrsm_val_str(ivrsm_val_get(root, "name"), &len), "Ana");
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(ivrsm_val_int(ivrsm_val_get(root, "big")), 9007199254740993LL);
    ck_assert(ivrsm_val_real(ivrsm_val_get(root, "pi")) == 2.5);
    ck_assert_int_eq(ivrsm_val_type(ivrsm_val_get(root, "nul")), JSON_NULL);
    ck_assert(ivrsm_val_missing(ivrsm_val_get(root, "absent")));
    ck_assert(ivrsm_val_missing(ivrsm_val_get(ivrsm_val_get(root, "name"), "x")));
    ivrsm_val appt = ivrsm_val_at(ivrsm_val_get(root, "appt_list"), 1);
    ck_assert_str_eq(ivrsm_val_str(ivrsm_val_get(appt, "id"), &len), "a2");
    ck_assert(ivrsm_val_missing(ivrsm_val_at(ivrsm_val_get(root, "appt_list"), 2)));
    ck_assert_uint_eq(ivrsm_val_size(root), json_object_size(j));
    const char *key;
    size_t key_len;
    ivrsm_val_member(root, 2, &key, &key_len);
    ck_assert_str_eq(key, "pi");
    /* Equality as json_equal's, a store value against jansson's and against itself. */
    ck_assert(ivrsm_val_equal(root, ivrsm_val_of(j)));
    ck_assert(ivrsm_val_equal(ivrsm_val_of(j), root));
    ck_assert(ivrsm_val_equal(ivrsm_val_get(root, "nested"), ivrsm_val_get(root, "nested")));
    ck_assert(!ivrsm_val_equal(ivrsm_val_get(root, "nested"), ivrsm_val_get(root, "obj")));
    ck_assert(!ivrsm_val_equal(ivrsm_val_get(root, "count"), ivrsm_val_get(root, "pi")));
    free(want);
    json_decref(j);
    ivrsm_vstore_free(&st);
}
END_TEST

/* ctx's dotted-key rule, as ivrsm_ctx_set() applies it to jansson's objects. */
START_TEST(test_set_like_jansson)
{
    static const char *const keys[] = {"name", "added",    "a.b.c", "name.first", "nested.a.b",
                                       "x.",   "obj.deep", "count", "added",      "nested.a.n"};
    static const char *const values[] = {"\"Eva\"", "[1,2]", "{\"k\":1}", "\"E\"", "null",
                                         "2.25",    "{}",    "\"three\"", "true",  "\"n\""};
    ivrsm_vstore st;
    load(&st, ivrsm_mem_default(), sample);
    json_t *j = json_loads(sample, 0, NULL);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_loads(values[i], JSON_DECODE_ANY, NULL);
        uint32_t at;
        ck_assert_int_eq(ivrsm_vstore_put_json(&st, v, NULL, NULL, &at), 0);
        ck_assert_int_eq(ivrsm_ctx_store_set(&st, keys[i], at), 0);
        ck_assert_int_eq(ivrsm_ctx_set(j, keys[i], v), 0);
        char *want = json_dumps(j, JSON_COMPACT);
        assert_dump(&st, want);
        free(want);
    }
    /* Bad keys: refused as ivrsm_ctx_set() refuses them, and the value is not kept. */
    uint32_t at;
    size_t before = st.len;
    ck_assert_int_eq(ivrsm_vstore_put_string(&st, "v", 1, &at), 0);
    ck_assert_int_eq(ivrsm_ctx_store_set(&st, ".x", at), IVRSM_EINVAL);
    ck_assert_uint_eq(st.len, before);
    char part[200];
    memset(part, 'k', 128);
    strcpy(part + 128, ".x");
    ck_assert_int_eq(ivrsm_vstore_put_string(&st, "v", 1, &at), 0);
    ck_assert_int_eq(ivrsm_ctx_store_set(&st, part, at), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_ctx_set(j, part, json_string("v")), IVRSM_EINVAL);
    /* Removal keeps the objects on the way, as before. */
    ivrsm_vstore_remove(&st, "a.b.c");
    ivrsm_vstore_remove(&st, "missing.key");
    ivrsm_vstore_remove(&st, "name.first.x");
    json_object_del(json_object_get(json_object_get(j, "a"), "b"), "c");
    char *want = json_dumps(j, JSON_COMPACT);
    assert_dump(&st, want);
    /* What the writes replaced is garbage; compaction gives it back and changes nothing else. */
    ck_assert_uint_gt(st.garbage, 0);
    ivrsm_vstore_compact(&st);
    ck_assert_uint_eq(st.garbage, 0);
    assert_dump(&st, want);
    ivrsm_vstore_shrink(&st, 0);
    ck_assert_uint_eq(st.cap, st.len);
    assert_dump(&st, want);
    /* A full object grows when a member is added after compaction. */
    ck_assert_int_eq(ivrsm_ctx_store_set_string(&st, "late", "yes"), 0);
    ck_assert_int_eq(ivrsm_ctx_set(j, "late", json_string("yes")), 0);
    free(want);
    want = json_dumps(j, JSON_COMPACT);
    assert_dump(&st, want);
    free(want);
    json_decref(j);
    ivrsm_vstore_free(&st);
}
END_TEST

/* An object made by writes keeps free member slots through compaction, two and a quarter of its
 * count: the next new keys go in place, without moving the object (no garbage, so no compaction
 * after each). */
START_TEST(test_compaction_keeps_room)
{
    ivrsm_vstore st;
    load(&st, ivrsm_mem_default(), "{}");
    json_t *j = json_object();
    char key[16];
    for (int i = 0; i < 9; i++) { /* 9 members: the root grew to 16 slots, moving three times */
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(ivrsm_ctx_store_set_string(&st, key, "v"), 0);
        json_object_set_new(j, key, json_string("v"));
    }
    ck_assert_int_eq(ivrsm_ctx_store_set_string(&st, "k0", "w"), 0); /* garbage to compact */
    json_object_set_new(j, "k0", json_string("w"));
    ck_assert_uint_gt(st.garbage, 0);
    ivrsm_vstore_compact(&st);
    ck_assert_uint_eq(st.garbage, 0);
    for (int i = 9; i < 9 + 2 + 9 / 4; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(ivrsm_ctx_store_set_string(&st, key, "v"), 0);
        json_object_set_new(j, key, json_string("v"));
        ck_assert_uint_eq(st.garbage, 0);
    }
    /* The next new key moves it (its old slots are garbage), and all reads the same. */
    ck_assert_int_eq(ivrsm_ctx_store_set_string(&st, "late", "v"), 0);
    json_object_set_new(j, "late", json_string("v"));
    ck_assert_uint_gt(st.garbage, 0);
    char *want = json_dumps(j, JSON_COMPACT);
    assert_dump(&st, want);
    ivrsm_vstore_compact(&st);
    assert_dump(&st, want);
    /* A response's object (no free slot) stays without one. */
    ivrsm_vstore tight;
    load(&tight, ivrsm_mem_default(), "{\"a\":{\"b\":1}}");
    uint32_t at;
    ck_assert_int_eq(ivrsm_vstore_put_string(&tight, "x", 1, &at), 0);
    ivrsm_vstore_drop(&tight, at);
    ck_assert_int_eq(ivrsm_ctx_store_set_string(&tight, "a.b", "2"), 0);
    size_t before = tight.len - tight.garbage;
    ivrsm_vstore_compact(&tight);
    ck_assert_uint_eq(tight.len, before);
    assert_dump(&tight, "{\"a\":{\"b\":\"2\"}}");
    free(want);
    json_decref(j);
    ivrsm_vstore_free(&st);
    ivrsm_vstore_free(&tight);
}
END_TEST

/* A value copied from the store into itself (ctx.copy = ctx.nested), while the block moves. */
START_TEST(test_copy_within)
{
    ivrsm_vstore st;
    load(&st, ivrsm_mem_default(), sample);
    ivrsm_vstore_shrink(&st, 0); /* the copy must move the block */
    for (int round = 0; round < 6; round++) {
        ivrsm_val nested = ivrsm_val_get(ivrsm_vstore_root(&st), "nested");
        uint32_t at;
        ck_assert_int_eq(ivrsm_vstore_put_val(&st, nested, NULL, NULL, &at), 0);
        ck_assert_int_eq(ivrsm_ctx_store_set(&st, "nested", at), 0);
    }
    ck_assert_uint_gt(st.garbage, 0);
    char *before = dump(&st);
    json_t *j = json_loads(sample, 0, NULL);
    char *want = json_dumps(j, JSON_COMPACT);
    ck_assert_str_eq(before, want);
    ivrsm_vstore_compact(&st);
    assert_dump(&st, want);
    free(before);
    free(want);
    json_decref(j);
    ivrsm_vstore_free(&st);
}
END_TEST

/*
 * An answer's tree (items put before their container, as the response reader
 * puts them) dropped after a `set:` copied one of its members into ctx: what
 * came after it is exactly as large as its items, and must survive the drop.
 */
START_TEST(test_drop_after_copy)
{
    ivrsm_vstore st;
    ivrsm_vstore_on(&st, ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_vstore_init(&st), 0);
    ck_assert_int_eq(ivrsm_ctx_store_set_string(&st, "keep", "1"), 0); /* room for more */
    uint32_t pairs[2], answer, at;
    ck_assert_int_eq(ivrsm_vstore_put_key(&st, "label", 5, &pairs[0]), 0);
    ck_assert_int_eq(ivrsm_vstore_put_string(&st, "A12", 3, &pairs[1]), 0);
    ck_assert_int_eq(ivrsm_vstore_put_members(&st, pairs, 1, &answer), 0);
    ivrsm_val label = ivrsm_val_get(ivrsm_vstore_at(&st, answer), "label");
    ck_assert_int_eq(ivrsm_vstore_put_val(&st, label, NULL, NULL, &at), 0);
    ck_assert_int_eq(ivrsm_ctx_store_set(&st, "label", at), 0);
    ivrsm_vstore_drop(&st, answer);
    /* Writes after the drop must not land on what is still linked. */
    ck_assert_int_eq(ivrsm_ctx_store_set_string(&st, "more", "written over what was dropped"), 0);
    const char *want =
        "{\"keep\":\"1\",\"label\":\"A12\",\"more\":\"written over what was dropped\"}";
    assert_dump(&st, want);
    ivrsm_vstore_compact(&st);
    assert_dump(&st, want);
    ck_assert_uint_eq(st.garbage, 0);
    ivrsm_vstore_free(&st);
}
END_TEST

/* Numbers as written travel with their values; only the texts asked for are kept. */
static const char *text_of(void *user, const json_t *real)
{
    (void)user;
    return json_real_value(real) == 12.5 ? "12.50" : NULL;
}

START_TEST(test_number_texts)
{
    json_t *j = json_loads("{\"a\":12.5,\"b\":[12.5,3.25],\"c\":12}", 0, NULL);
    ivrsm_vstore st;
    ivrsm_vstore_on(&st, ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_vstore_put_json(&st, j, text_of, NULL, &st.root), 0);
    ivrsm_val root = ivrsm_vstore_root(&st);
    ck_assert_str_eq(ivrsm_val_numtext(ivrsm_val_get(root, "a")), "12.50");
    ck_assert_str_eq(ivrsm_val_numtext(ivrsm_val_at(ivrsm_val_get(root, "b"), 0)), "12.50");
    ck_assert_ptr_null(ivrsm_val_numtext(ivrsm_val_at(ivrsm_val_get(root, "b"), 1)));
    ck_assert_ptr_null(ivrsm_val_numtext(ivrsm_val_get(root, "c")));
    /* Copied within the store, the text goes along. */
    uint32_t at;
    ck_assert_int_eq(ivrsm_vstore_put_val(&st, ivrsm_val_get(root, "a"), NULL, NULL, &at), 0);
    ck_assert_int_eq(ivrsm_ctx_store_set(&st, "copy", at), 0);
    ivrsm_vstore_compact(&st);
    ck_assert_str_eq(ivrsm_val_numtext(ivrsm_val_get(ivrsm_vstore_root(&st), "copy")), "12.50");
    assert_dump(&st, "{\"a\":12.5,\"b\":[12.5,3.25],\"c\":12,\"copy\":12.5}");
    json_decref(j);
    ivrsm_vstore_free(&st);
}
END_TEST

/*
 * The text of a real in a request body: jansson's at the fewest digits that read back as the
 * same double, digit for digit; that number of digits is the fewest (one less does not read
 * back), and an amount in cents is written as a person writes it (19.99, not jansson's
 * default 19.989999999999998).
 */
START_TEST(test_real_text_fewest_digits)
{
    double edge[] = {0.0,
                     -0.0,
                     1.0,
                     -1.0,
                     0.1,
                     2.5,
                     1e21,
                     1e-7,
                     1e300,
                     -1e-300,
                     123456789012345678.0,
                     3.141592653589793,
                     1e17,
                     1.5e-5,
                     5e-324,
                     1.7976931348623157e308,
                     100.0,
                     0.000001};
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        double v;
        if (i < (int)(sizeof edge / sizeof edge[0])) {
            v = edge[i];
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            uint64_t bits = x;
            if (i % 2) /* everyday amounts, not only random bit patterns */
                v = (double)(x % 1000000) / 100.0;
            else
                memcpy(&v, &bits, sizeof v);
            if (!isfinite(v))
                continue;
        }
        json_t *r = json_real(v);
        int digits = ivrsm_real_digits(v);
        char *want = json_dumps(r, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(digits));
        char got[64];
        int n = ivrsm_real_json_text(v, got, sizeof got);
        ck_assert_int_ge(n, 0);
        ck_assert_msg(!strcmp(got, want), "%.17g: %s, jansson %s", v, got, want);
        ck_assert_uint_eq((size_t)n, strlen(want));
        ck_assert_msg(strtod(got, NULL) == v || v != v, "%.17g: %s reads back otherwise", v, got);
        char fewer[64];
        snprintf(fewer, sizeof fewer, "%.*g", digits - 1, v);
        ck_assert_msg(digits == 15 || strtod(fewer, NULL) != v, "%.17g: %d digits, %s reads back",
                      v, digits, fewer);
        if (i >= (int)(sizeof edge / sizeof edge[0]) && i % 2) {
            /* An amount in cents: its two decimals, less the zeros a person leaves out. */
            char cents[64];
            snprintf(cents, sizeof cents, "%.2f", v);
            size_t len = strlen(cents);
            while (cents[len - 1] == '0')
                cents[--len] = '\0';
            if (cents[len - 1] == '.') { /* "5." -> "5.0", as jansson marks a real */
                cents[len++] = '0';
                cents[len] = '\0';
            }
            ck_assert_msg(!strncmp(got, cents, len) && got[len] == '\0', "%s: %s", cents, got);
        }
        free(want);
        json_decref(r);
    }
}
END_TEST

/*
 * The tool's and the tests' dump (json_real.h): each real at its own fewest digits whatever
 * the flags, reals beside strings that hold control bytes (the mark of a real's place is a
 * control byte no string holds), and, when a document holds every such byte, jansson's one
 * precision for all its reals, which still reads back.
 */
START_TEST(test_dumps_each_real_apart)
{
    json_t *doc = json_pack("{s:[f,f,f],s:s,s:{s:f}}", "k", 0.1, 0.30000000000000004, 19.99, "s",
                            "\x01\x02\\u0003\"", "o", "\x03", 2.5);
    char *text = ivrsm_json_dumps(doc, JSON_COMPACT);
    ck_assert_str_eq(text, "{\"k\":[0.1,0.30000000000000004,19.99],\"s\":\"\\u0001\\u0002\\\\u0003"
                           "\\\"\",\"o\":{\"\\u0003\":2.5}}");
    free(text);
    text = ivrsm_json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    ck_assert_ptr_nonnull(strstr(text, "0.1,\n"));
    ck_assert_ptr_nonnull(strstr(text, "19.99\n"));
    json_t *back = json_loads(text, 0, NULL);
    ck_assert(json_equal(back, doc));
    json_decref(back);
    free(text);
    /* Every control byte jansson writes as \u00XX held by some string. */
    char all[32];
    size_t n = 0;
    for (int c = 1; c < 32; c++)
        all[n++] = (char)c;
    json_object_set_new(doc, "all", json_stringn(all, n));
    text = ivrsm_json_dumps(doc, JSON_COMPACT);
    back = json_loads(text, 0, NULL);
    ck_assert_msg(json_equal(back, doc), "%s", text);
    json_decref(back);
    free(text);
    json_decref(doc);
    /* Not a container: a real alone, a string. */
    json_t *r = json_real(0.1);
    text = ivrsm_json_dumps(r, JSON_ENCODE_ANY);
    ck_assert_str_eq(text, "0.1");
    free(text);
    json_decref(r);
}
END_TEST

/* Every allocation refused in turn: IVRSM_ENOMEM, the store as it was, nothing leaked. */
START_TEST(test_allocation_failures)
{
    failing_mem fm;
    failing_mem_init(&fm);
    json_t *big = json_loads(sample, 0, NULL);
    for (long n = 0;; n++) {
        ivrsm_vstore st;
        load(&st, &fm.mem, "{\"keep\":\"me\"}");
        ivrsm_vstore_shrink(&st, 0);
        char *before = dump(&st);
        failing_mem_fail_from(&fm, n);
        uint32_t at;
        int rc = ivrsm_vstore_put_json(&st, big, NULL, NULL, &at);
        if (rc == 0)
            rc = ivrsm_ctx_store_set(&st, "deep.er.big", at);
        failing_mem_off(&fm);
        if (!fm.refused) {
            ck_assert_int_eq(rc, 0);
            ivrsm_vstore_free(&st);
            free(before);
            break;
        }
        ck_assert_int_eq(rc, IVRSM_ENOMEM);
        /* Empty objects may have been made on the way (as with jansson's ctx), nothing else. */
        char *after = dump(&st);
        ck_assert_msg(!strcmp(after, before) || !strncmp(after, "{\"keep\":\"me\",\"deep\":{", 21),
                      "after a refused allocation: %s", after);
        free(after);
        free(before);
        ivrsm_vstore_compact(&st);
        ivrsm_vstore_free(&st);
        ck_assert_int_eq(fm.live, 0);
    }
    ck_assert(!fm.misused);
    json_decref(big);
}
END_TEST

/* The keys' comparison agrees with memcmp at every length and every differing byte, reading
 * only within both keys (each in a block of its exact size: the sanitizers see an overread). */
START_TEST(test_same_bytes_as_memcmp)
{
    uint64_t seed = 7;
    for (size_t len = 0; len <= 40; len++) {
        for (size_t diff = 0; diff <= len; diff++) { /* diff == len: the same bytes */
            char *a = malloc(len ? len : 1), *b = malloc(len ? len : 1);
            ck_assert(a && b);
            for (size_t i = 0; i < len; i++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                a[i] = b[i] = (char)(seed >> 56);
            }
            if (diff < len)
                b[diff] = (char)(a[diff] ^ (1 << (diff % 8)));
            bool same = ivrsm_same_bytes(a, b, len);
            ck_assert_msg(same == !memcmp(a, b, len), "length %zu, differing at %zu", len, diff);
            free(a);
            free(b);
        }
    }
}
END_TEST

/* A member lookup finds what a scan of the members in order finds first, for keys that share
 * lengths, first bytes and prefixes, in a block ending right after its last key. */
START_TEST(test_lookup_as_member_scan)
{
    static const char alphabet[] = "aab_.";
    uint64_t seed = 11;
    for (int round = 0; round < 300; round++) {
        ivrsm_vstore st;
        ivrsm_vstore_on(&st, ivrsm_mem_default());
        ck_assert_int_eq(ivrsm_vstore_init(&st), 0);
        char keys[24][20];
        size_t n = 1 + round % 24;
        for (size_t k = 0; k < n; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            size_t len = (seed >> 40) % 19;
            for (size_t i = 0; i < len; i++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                keys[k][i] = alphabet[(seed >> 50) % 4]; /* no dot: one member each */
            }
            keys[k][len] = '\0';
            uint32_t at;
            ck_assert_int_eq(ivrsm_vstore_put_integer(&st, (int64_t)k, &at), 0);
            int rc = ivrsm_vstore_set(&st, keys[k], 127, at);
            if (rc != 0) /* an empty key is a member like any other here */
                ck_abort_msg("set \"%s\": %d", keys[k], rc);
        }
        ivrsm_vstore_shrink(&st, 0);
        ivrsm_val root = ivrsm_vstore_root(&st);
        for (size_t k = 0; k < n + 8; k++) {
            char probe[20];
            if (k < n) {
                strcpy(probe, keys[k]);
            } else { /* keys that may be missing */
                size_t len = k - n + 1;
                for (size_t i = 0; i < len; i++)
                    probe[i] = alphabet[(k + i) % 4];
                probe[len] = '\0';
            }
            size_t len = strlen(probe);
            ivrsm_val want = {NULL, NULL, 0};
            for (size_t i = 0; i < ivrsm_val_size(root); i++) {
                const char *key;
                size_t key_len;
                ivrsm_val v = ivrsm_val_member(root, i, &key, &key_len);
                if (key_len == len && !memcmp(key, probe, len)) {
                    want = v;
                    break;
                }
            }
            ivrsm_val got = ivrsm_val_getn(root, probe, len);
            ck_assert(ivrsm_val_missing(got) == ivrsm_val_missing(want));
            if (!ivrsm_val_missing(want))
                ck_assert_uint_eq(got.at, want.at);
        }
        ivrsm_vstore_free(&st);
    }
}
END_TEST

/* The same tree: values, member order, and the texts of reals as written. */
static void assert_same_tree(ivrsm_val a, ivrsm_val b)
{
    ck_assert(ivrsm_val_equal(a, b));
    const char *ta = ivrsm_val_numtext(a), *tb = ivrsm_val_numtext(b);
    ck_assert((ta == NULL) == (tb == NULL));
    if (ta)
        ck_assert_str_eq(ta, tb);
    json_type t = ivrsm_val_type(a);
    for (size_t i = 0; (t == JSON_OBJECT || t == JSON_ARRAY) && i < ivrsm_val_size(a); i++) {
        if (t == JSON_ARRAY) {
            assert_same_tree(ivrsm_val_at(a, i), ivrsm_val_at(b, i));
            continue;
        }
        const char *ka, *kb;
        size_t la, lb;
        ivrsm_val x = ivrsm_val_member(a, i, &ka, &la), y = ivrsm_val_member(b, i, &kb, &lb);
        ck_assert(la == lb && !memcmp(ka, kb, la));
        assert_same_tree(x, y);
    }
}

static uint32_t next_u32(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*seed >> 33);
}

/* A generated value put into st: leaves of every kind, arrays and objects of them. */
static uint32_t put_generated(ivrsm_vstore *st, uint64_t *seed, int depth)
{
    static const char *const texts[] = {"12.50", "2.5", "0.10", NULL};
    uint32_t at = 0, items[6];
    static const char *const keys[] = {"a", "bb", "ccc", "dddd", "e", "ff"};
    switch (next_u32(seed) % (depth < 2 ? 8 : 5)) {
    case 0: {
        char text[40];
        size_t n = next_u32(seed) % sizeof text;
        memset(text, 'a' + (int)(n % 26), n);
        ck_assert_int_eq(ivrsm_vstore_put_string(st, text, n, &at), 0);
        break;
    }
    case 1:
        ck_assert_int_eq(ivrsm_vstore_put_integer(st, (int64_t)next_u32(seed) - 7, &at), 0);
        break;
    case 2:
        ck_assert_int_eq(ivrsm_vstore_put_real(st, 12.5, texts[next_u32(seed) % 4], &at), 0);
        break;
    case 3:
        ck_assert_int_eq(ivrsm_vstore_put_word(st, JSON_TRUE + next_u32(seed) % 3, &at), 0);
        break;
    case 4:
    case 5: {
        size_t n = next_u32(seed) % 6;
        for (size_t i = 0; i < n; i++)
            items[i] = put_generated(st, seed, depth + 1);
        ck_assert_int_eq(ivrsm_vstore_put_array(st, items, n, &at), 0);
        break;
    }
    default: {
        size_t n = next_u32(seed) % 6;
        for (size_t i = 0; i < n; i++)
            items[i] = put_generated(st, seed, depth + 1);
        ck_assert_int_eq(ivrsm_vstore_put_object(st, keys, items, n, &at), 0);
        break;
    }
    }
    return at;
}

/* Compaction moves the live tree and nothing else: after writes of every kind of value under
 * dotted keys, replacing and removing, the compacted tree is the one a copy of it holds. */
START_TEST(test_compaction_as_copy)
{
    static const char *const keys[] = {"name", "a.b",  "a.c", "list",  "a.b.c", "x",
                                       "y.z",  "name", "a",   "n.m.o", "late"};
    uint64_t seed = 5;
    for (int round = 0; round < 200; round++) {
        ivrsm_vstore st;
        ivrsm_vstore_on(&st, ivrsm_mem_default());
        ck_assert_int_eq(ivrsm_vstore_init(&st), 0);
        int writes = 1 + (int)(next_u32(&seed) % 40);
        for (int w = 0; w < writes; w++) {
            const char *key = keys[next_u32(&seed) % (sizeof keys / sizeof keys[0])];
            if (next_u32(&seed) % 8 == 0) {
                ivrsm_vstore_remove(&st, key);
            } else {
                uint32_t at = put_generated(&st, &seed, 0);
                ck_assert_int_eq(ivrsm_ctx_store_set(&st, key, at), 0);
            }
            if (next_u32(&seed) % 4 == 0) {
                ivrsm_vstore copy;
                ivrsm_vstore_on(&copy, ivrsm_mem_default());
                uint32_t root;
                ck_assert_int_eq(
                    ivrsm_vstore_put_val(&copy, ivrsm_vstore_root(&st), NULL, NULL, &root), 0);
                ivrsm_vstore_compact(&st);
                ck_assert_uint_eq(st.garbage, 0);
                assert_same_tree(ivrsm_vstore_root(&st), ivrsm_vstore_at(&copy, root));
                ivrsm_vstore_free(&copy);
            }
        }
        ivrsm_vstore_free(&st);
    }
}
END_TEST

/* A hint as a session may find it: right, stale (another object's place), past the end, or
 * any word at all (a race's). */
static ivrsm_member_hint generated_hint(uint64_t *seed, size_t count)
{
    switch (next_u32(seed) % 4) {
    case 0:
        return next_u32(seed) % (count + 1);
    case 1:
        return (ivrsm_member_hint)count + next_u32(seed) % 3;
    case 2:
        return UINT32_MAX;
    default:
        return next_u32(seed);
    }
}

/*
 * Hinted lookups and writes as the plain ones: over generated objects whose keys share
 * lengths, first bytes and prefixes, every key and keys that are missing, each looked up
 * with hints of every kind (one hint shared by two objects that order their members
 * differently, as two sessions of a machine do) and with the plain scan: the same node. Two
 * stores written the same, one by ivrsm_vstore_set() and one by ivrsm_vstore_set_hinted()
 * with such hints (new keys, replaced ones, dotted ones), hold the same tree, the same
 * number of bytes and the same garbage.
 */
START_TEST(test_hinted_as_member_scan)
{
    static const char alphabet[] = "aab_";
    uint64_t seed = 23;
    for (int round = 0; round < 300; round++) {
        ivrsm_vstore st[2];
        char keys[24][20];
        size_t n = 1 + round % 24;
        for (size_t k = 0; k < n; k++) {
            size_t len = next_u32(&seed) % 19;
            for (size_t i = 0; i < len; i++)
                keys[k][i] = alphabet[next_u32(&seed) % 4];
            keys[k][len] = '\0';
        }
        /* Two objects of the same keys: one in order, the other backwards. */
        for (int o = 0; o < 2; o++) {
            ivrsm_vstore_on(&st[o], ivrsm_mem_default());
            ck_assert_int_eq(ivrsm_vstore_init(&st[o]), 0);
            for (size_t k = 0; k < n; k++) {
                size_t key = o ? n - 1 - k : k;
                uint32_t at;
                ck_assert_int_eq(ivrsm_vstore_put_integer(&st[o], (int64_t)key, &at), 0);
                ck_assert_int_eq(ivrsm_vstore_set(&st[o], keys[key], 127, at), 0);
            }
            ivrsm_vstore_shrink(&st[o], 0); /* the block ends at its last key */
        }
        ivrsm_member_hint shared = generated_hint(&seed, n);
        for (size_t k = 0; k < n + 8; k++) {
            char probe[20];
            if (k < n) {
                strcpy(probe, keys[k]);
            } else { /* keys that may be missing */
                size_t len = k - n + 1;
                for (size_t i = 0; i < len; i++)
                    probe[i] = alphabet[(k + i) % 4];
                probe[len] = '\0';
            }
            size_t len = strlen(probe);
            for (int turn = 0; turn < 4; turn++) {
                int o = (int)(next_u32(&seed) % 2);
                ivrsm_val root = ivrsm_vstore_root(&st[o]);
                ivrsm_val want = ivrsm_val_getn(root, probe, len);
                ivrsm_member_hint own = generated_hint(&seed, n);
                ivrsm_member_hint *hint = turn % 2 ? &own : &shared;
                ivrsm_val got = ivrsm_val_getn_hinted(root, probe, len, hint);
                ck_assert(ivrsm_val_missing(got) == ivrsm_val_missing(want));
                uint32_t at = ivrsm_vstore_member(&st[o], st[o].root, probe, len, hint);
                if (ivrsm_val_missing(want)) {
                    ck_assert_uint_eq(at, IVRSM_VSTORE_NONE);
                    continue;
                }
                ck_assert_uint_eq(got.at, want.at);
                ck_assert_uint_eq(at, want.at);
                /* Found, the hint names its place: the next try is the member. */
                const char *key;
                size_t key_len;
                ivrsm_val_member(root, *hint, &key, &key_len);
                ck_assert(key_len == len && !memcmp(key, probe, len));
            }
        }
        /* A store's leaf is no object: nothing in it, whatever the hint. */
        uint32_t leaf = ivrsm_vstore_member(&st[0], st[0].root, keys[0], strlen(keys[0]), &shared);
        ck_assert_uint_eq(ivrsm_vstore_member(&st[0], leaf, "a", 1, &shared), IVRSM_VSTORE_NONE);
        for (int o = 0; o < 2; o++)
            ivrsm_vstore_free(&st[o]);

        /* Writes: the same keys, dotted ones among them, set plainly and with hints. */
        static const char *const dotted[] = {"a", "a.b", "a.c", "bb", "a.b.d", "_", "bb.a"};
        ivrsm_vstore plain, hinted;
        ivrsm_vstore_on(&plain, ivrsm_mem_default());
        ivrsm_vstore_on(&hinted, ivrsm_mem_default());
        ck_assert_int_eq(ivrsm_vstore_init(&plain), 0);
        ck_assert_int_eq(ivrsm_vstore_init(&hinted), 0);
        ivrsm_member_hint hints[sizeof dotted / sizeof dotted[0]];
        for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
            hints[i] = generated_hint(&seed, 4);
        for (int w = 0; w < 30; w++) {
            int which = (int)(next_u32(&seed) % 2);
            const char *key = which ? keys[next_u32(&seed) % n] : NULL;
            size_t d = next_u32(&seed) % (sizeof dotted / sizeof dotted[0]);
            if (!which)
                key = dotted[d];
            else if (!*key)
                continue; /* an empty key is refused as a part; ctx keys are never empty */
            ivrsm_member_hint spare = generated_hint(&seed, 24);
            ivrsm_member_hint *hint = which ? &spare : &hints[d];
            int64_t value = (int64_t)next_u32(&seed);
            uint32_t a, b;
            ck_assert_int_eq(ivrsm_vstore_put_integer(&plain, value, &a), 0);
            ck_assert_int_eq(ivrsm_vstore_put_integer(&hinted, value, &b), 0);
            int rc = ivrsm_vstore_set(&plain, key, 127, a);
            /* A key without a dot also as a `set:` key worked out at load writes it: the root's
             * member, its length known. */
            bool member = !strchr(key, '.') && next_u32(&seed) % 2;
            ck_assert_int_eq(
                member ? ivrsm_vstore_set_member_hinted(&hinted, key, strlen(key), b, hint)
                       : ivrsm_vstore_set_hinted(&hinted, key, 127, b, hint),
                rc);
            ck_assert_uint_eq(plain.len, hinted.len);
            ck_assert_uint_eq(plain.garbage, hinted.garbage);
            assert_same_tree(ivrsm_vstore_root(&plain), ivrsm_vstore_root(&hinted));
        }
        ivrsm_vstore_free(&plain);
        ivrsm_vstore_free(&hinted);
    }
}
END_TEST

/*
 * The puts write a node themselves when the room is there and the text short, and by a call of
 * their own otherwise (value.c, short_put()): at every room left in the block from 0 to 48 bytes
 * (the block reallocated to it, so that a write past it shows under ASan) and every text length
 * from 0 to 40, each put gives the node it was asked for, its bytes only, and the block's end
 * moves by its size; with the allocator refusing, a put that needs the block grown fails and
 * leaves the store as it was.
 */
/*
 * Writes into the root as the scan finds their members: a store whose summary of the root's
 * keys (ivrsm_vstore.root_keys) lets a new key skip the scan, and the same store with every
 * bit of its summary set before each write (each write scans, as before the summary), written
 * the same over generated keys that share lengths and first, middle and last bytes, and so
 * bits: new keys, replaced ones, dotted ones, removed ones, compactions, a root replaced by
 * an object put before (ivrsm_vstore_set_root(), as a restored snapshot's ctx), a fresh root.
 * After every write both hold the same tree, member order included, the same bytes and the
 * same garbage. It fails when a member can reach the root without its bit.
 */
START_TEST(test_root_keys_as_scan)
{
    static const char alphabet[] = "ab_";
    uint64_t seed = 41;
    for (int round = 0; round < 200; round++) {
        char keys[40][8];
        size_t n = 4 + (size_t)round % 36;
        for (size_t k = 0; k < n; k++) {
            size_t len = 1 + next_u32(&seed) % 6;
            for (size_t i = 0; i < len; i++)
                keys[k][i] = alphabet[next_u32(&seed) % 3];
            keys[k][len] = '\0';
        }
        ivrsm_vstore st[2]; /* st[0] with its summary, st[1] scanning at every write */
        ivrsm_member_hint hints[40];
        for (size_t k = 0; k < n; k++)
            hints[k] = generated_hint(&seed, n);
        for (int o = 0; o < 2; o++) {
            ivrsm_vstore_on(&st[o], ivrsm_mem_default());
            ck_assert_int_eq(ivrsm_vstore_init_room(&st[o], (uint32_t)round % 24), 0);
        }
        for (int w = 0; w < 120; w++) {
            uint32_t op = next_u32(&seed) % 20;
            size_t k = next_u32(&seed) % n, k2 = next_u32(&seed) % n;
            uint32_t room = next_u32(&seed) % 8;
            /* The root's replacement: some of the keys, each once. */
            const char *members[40];
            size_t m = 0;
            for (size_t i = 0; op == 18 && i < n; i++) {
                bool seen = next_u32(&seed) % 2 == 0;
                for (size_t j = 0; j < m && !seen; j++)
                    seen = !strcmp(members[j], keys[i]);
                if (!seen)
                    members[m++] = keys[i];
            }
            st[1].root_keys = UINT64_MAX;
            for (int o = 0; o < 2; o++) {
                uint32_t at, items[40];
                if (op < 15)
                    ck_assert_int_eq(ivrsm_vstore_put_integer(&st[o], w, &at), 0);
                if (op < 12) {
                    ck_assert_int_eq(ivrsm_vstore_set_member_hinted(&st[o], keys[k],
                                                                    strlen(keys[k]), at, &hints[k]),
                                     0);
                } else if (op < 15) {
                    char dotted[20];
                    snprintf(dotted, sizeof dotted, "%s.%s", keys[k], keys[k2]);
                    ck_assert_int_eq(ivrsm_vstore_set(&st[o], dotted, 127, at), 0);
                } else if (op < 17) {
                    ivrsm_vstore_remove(&st[o], keys[k]);
                } else if (op == 17) {
                    ivrsm_vstore_compact(&st[o]);
                } else if (op == 18) {
                    for (size_t i = 0; i < m; i++)
                        ck_assert_int_eq(ivrsm_vstore_put_integer(&st[o], (int64_t)i, &items[i]),
                                         0);
                    ck_assert_int_eq(ivrsm_vstore_put_object(&st[o], members, items, m, &at), 0);
                    ivrsm_vstore_set_root(&st[o], at);
                } else {
                    ck_assert_int_eq(ivrsm_vstore_init_room(&st[o], room), 0);
                }
            }
            assert_same_tree(ivrsm_vstore_root(&st[0]), ivrsm_vstore_root(&st[1]));
            ck_assert_uint_eq(ivrsm_val_size(ivrsm_vstore_root(&st[0])),
                              ivrsm_val_size(ivrsm_vstore_root(&st[1])));
            ck_assert_uint_eq(st[0].len, st[1].len);
            ck_assert_uint_eq(st[0].garbage, st[1].garbage);
        }
        for (int o = 0; o < 2; o++)
            ivrsm_vstore_free(&st[o]);
    }
}
END_TEST

START_TEST(test_puts_at_every_room)
{
    char text[41];
    for (int i = 0; i < 40; i++)
        text[i] = (char)('a' + (i * 7) % 26);
    text[40] = '\0';
    failing_mem fm;
    failing_mem_init(&fm);
    for (size_t room = 0; room <= 48; room++)
        for (size_t len = 0; len <= 40; len++)
            for (int kind = 0; kind < 5; kind++) {
                for (int refuse = 0; refuse < 2; refuse++) {
                    ivrsm_vstore st;
                    ivrsm_vstore_on(&st, &fm.mem);
                    uint32_t first, at = 0;
                    ck_assert_int_eq(ivrsm_vstore_put_string(&st, "x", 1, &first), 0);
                    ivrsm_vstore_shrink(&st, room);
                    ck_assert_uint_eq(st.cap - st.len, room);
                    uint32_t pairs[4] = {first, first, first, first};
                    uint32_t before = st.len;
                    size_t size = kind == 0   ? 5 + len + 1
                                  : kind == 1 ? 4 + len + 1
                                  : kind == 2 ? 9
                                  : kind == 3 ? 1
                                              : 9 + 8 * (len % 3);
                    if (refuse)
                        failing_mem_fail_from(&fm, 0);
                    int rc = kind == 0   ? ivrsm_vstore_put_string(&st, text, len, &at)
                             : kind == 1 ? ivrsm_vstore_put_key(&st, text, len, &at)
                             : kind == 2 ? ivrsm_vstore_put_integer(&st, -(int64_t)len, &at)
                             : kind == 3 ? ivrsm_vstore_put_word(&st, JSON_NULL, &at)
                                         : ivrsm_vstore_put_members(&st, pairs, len % 3, &at);
                    failing_mem_off(&fm);
                    if (refuse && size > room) {
                        ck_assert_int_eq(rc, IVRSM_ENOMEM);
                        ck_assert_uint_eq(st.len, before);
                        ivrsm_vstore_free(&st);
                        continue;
                    }
                    ck_assert_int_eq(rc, 0);
                    ck_assert_uint_eq(at, before);
                    ck_assert_uint_eq(st.len, before + size);
                    ivrsm_val v = ivrsm_vstore_at(&st, at);
                    size_t got_len = 0;
                    const char *got;
                    switch (kind) {
                    case 0:
                        got = ivrsm_val_str(v, &got_len);
                        ck_assert_uint_eq(got_len, len);
                        ck_assert(memcmp(got, text, len) == 0 && got[len] == '\0');
                        break;
                    case 1:
                        got = ivrsm_vstore_key(&st, at, &got_len);
                        ck_assert_uint_eq(got_len, len);
                        ck_assert(memcmp(got, text, len) == 0 && got[len] == '\0');
                        break;
                    case 2:
                        ck_assert_int_eq(ivrsm_val_type(v), JSON_INTEGER);
                        ck_assert(ivrsm_val_int(v) == -(json_int_t)len);
                        break;
                    case 3:
                        ck_assert_int_eq(ivrsm_val_type(v), JSON_NULL);
                        break;
                    default:
                        ck_assert_int_eq(ivrsm_val_type(v), JSON_OBJECT);
                        ck_assert_uint_eq(ivrsm_val_size(v), len % 3);
                        for (size_t m = 0; m < len % 3; m++) {
                            const char *key;
                            size_t key_len;
                            ivrsm_val x = ivrsm_val_member(v, m, &key, &key_len);
                            ck_assert_uint_eq(x.at, first);
                        }
                    }
                    /* The node before is untouched. */
                    got = ivrsm_val_str(ivrsm_vstore_at(&st, first), &got_len);
                    ck_assert(got_len == 1 && got[0] == 'x' && got[1] == '\0');
                    ivrsm_vstore_free(&st);
                }
            }
    ck_assert_int_eq(fm.live, 0);
    ck_assert(!fm.misused);
}
END_TEST

/* A root made with room for r members holds what one made with room for four holds, after the
 * same generated writes (new, replaced, dotted and removed keys, compactions), and does not move
 * (its writes leave no garbage of it) until it holds more than r members. */
START_TEST(test_root_room_as_init)
{
    static const char *const keys[] = {"a", "bb", "ccc", "a.x", "dddd", "e",  "ff", "g.h.i",
                                       "j", "kk", "l",   "mmm", "n",    "oo", "p",  "q"};
    uint64_t seed = 2026;
    int moved_after = 0;
    for (int round = 0; round < 300; round++) {
        uint32_t room = next_u32(&seed) % 24;
        ivrsm_vstore plain, roomy;
        ivrsm_vstore_on(&plain, ivrsm_mem_default());
        ivrsm_vstore_on(&roomy, ivrsm_mem_default());
        ck_assert_int_eq(ivrsm_vstore_init(&plain), 0);
        ck_assert_int_eq(ivrsm_vstore_init_room(&roomy, room), 0);
        uint32_t root = roomy.root;
        bool compacted = false, outgrown = false;
        for (int w = 0; w < 40; w++) {
            const char *key = keys[next_u32(&seed) % 16];
            unsigned what = next_u32(&seed) % 10;
            if (what == 0) {
                ivrsm_vstore_remove(&plain, key);
                ivrsm_vstore_remove(&roomy, key);
            } else if (what == 1) {
                ivrsm_vstore_compact(&plain);
                ivrsm_vstore_compact(&roomy);
                compacted = true;
            } else {
                uint64_t copy = seed;
                uint32_t a = put_generated(&plain, &seed, 1);
                seed = copy;
                uint32_t b = put_generated(&roomy, &seed, 1);
                ck_assert_int_eq(ivrsm_vstore_set(&plain, key, 127, a), 0);
                ck_assert_int_eq(ivrsm_vstore_set(&roomy, key, 127, b), 0);
            }
            assert_same_tree(ivrsm_vstore_root(&plain), ivrsm_vstore_root(&roomy));
            outgrown |= ivrsm_val_size(ivrsm_vstore_root(&roomy)) > (room < 4 ? 4 : room);
            if (!compacted && !outgrown)
                ck_assert_uint_eq(roomy.root, root);
            moved_after += outgrown && roomy.root != root;
        }
        char *x = dump(&plain), *y = dump(&roomy);
        ck_assert_str_eq(x, y);
        free(x);
        free(y);
        ivrsm_vstore_free(&plain);
        ivrsm_vstore_free(&roomy);
    }
    ck_assert_int_gt(moved_after, 0); /* a root that outgrew its room moved, as any object */
}
END_TEST

static Suite *value_suite(void)
{
    Suite *s = suite_create("value");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_set_like_jansson);
    tcase_add_test(tc, test_compaction_keeps_room);
    tcase_add_test(tc, test_copy_within);
    tcase_add_test(tc, test_drop_after_copy);
    tcase_add_test(tc, test_number_texts);
    tcase_add_test(tc, test_real_text_fewest_digits);
    tcase_add_test(tc, test_dumps_each_real_apart);
    tcase_add_test(tc, test_allocation_failures);
    tcase_add_test(tc, test_same_bytes_as_memcmp);
    tcase_add_test(tc, test_lookup_as_member_scan);
    tcase_add_test(tc, test_hinted_as_member_scan);
    tcase_add_test(tc, test_root_keys_as_scan);
    tcase_add_test(tc, test_root_room_as_init);
    tcase_add_test(tc, test_compaction_as_copy);
    tcase_add_test(tc, test_puts_at_every_room);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(value_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
