/*
 * The pool of session blocks (lib/base/pool.h): where blocks lie, their reuse,
 * chunks mapped, advised and unmapped, chunks that cannot be mapped, threads;
 * and sessions taking their blocks from their machine's pool under the C
 * library's allocator, and not under a program's.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "failing_pool.h"
#include "ivrsm/ivrsm.h"
#include "model.h"
#include "pool.h"
#include "session.h"

#define PAGE 4096

/* The session block's size on the seed and its hot bytes, as the runtime asks (1,292 and 592
 * bytes on x86-64 at the time of writing; any sizes do). */
enum { BLOCK = 1292, HOT = 592 };

static uintptr_t at(const void *p)
{
    return (uintptr_t)p;
}

static int compare_ptr(const void *a, const void *b)
{
    uintptr_t x = at(*(void *const *)a), y = at(*(void *const *)b);
    return (x > y) - (x < y);
}

/* Every block of a chunk handed out: on a cache line, in the chunk, its hot bytes on one
 * page, none over another; the next one comes from a second chunk. */
START_TEST(blocks_of_a_chunk_lie_on_lines_and_keep_their_hot_bytes_on_a_page)
{
    failing_mem fm;
    failing_mem_init(&fm);
    failing_pool_source src;
    failing_pool_source_init(&src, &fm);
    ivrsm_pool *p = ivrsm_pool_new(BLOCK, HOT, &src.source);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(ivrsm_pool_block(p), 1344);             /* rounded up to a cache line */
    ck_assert_uint_lt(ivrsm_pool_bytes(p), IVRSM_POOL_CHUNK); /* nothing mapped yet */
    size_t cap = IVRSM_POOL_CHUNK / 1344;
    void **b = calloc(cap + 1, sizeof(*b));
    size_t n = 0;
    uintptr_t first_chunk = 0;
    for (;; n++) {
        b[n] = ivrsm_pool_get(p);
        ck_assert_ptr_nonnull(b[n]);
        uintptr_t chunk = at(b[n]) & ~(uintptr_t)(IVRSM_POOL_CHUNK - 1);
        if (n == 0)
            first_chunk = chunk;
        if (chunk != first_chunk)
            break;
        ck_assert_uint_eq(at(b[n]) % 64, 0);
        ck_assert_uint_le(at(b[n]) % PAGE + HOT, PAGE);
        ck_assert_uint_le(at(b[n]) + 1344, chunk + IVRSM_POOL_CHUNK);
        ck_assert_uint_lt(n, cap);
    }
    /* The chunk used but for its record and what keeps the hot bytes on one page. */
    ck_assert_uint_ge(n, (IVRSM_POOL_CHUNK - 4096) / 1344 * 97 / 100);
    ck_assert_int_eq(src.mapped, 2);
    ck_assert_uint_eq(ivrsm_pool_live(p), n + 1);
    qsort(b, n, sizeof(*b), compare_ptr);
    for (size_t i = 1; i < n; i++)
        ck_assert_uint_ge(at(b[i]), at(b[i - 1]) + 1344);
    ck_assert_uint_ge(at(b[0]) - first_chunk, cap * sizeof(uint16_t)); /* past the record */
    for (size_t i = 0; i <= n; i++)
        ivrsm_pool_put(p, b[i]);
    ck_assert_uint_eq(ivrsm_pool_live(p), 0);
    ivrsm_pool_free(p);
    ck_assert_int_eq(src.mapped, 0);
    ck_assert_int_eq(fm.live, 0);
    free(b);
}
END_TEST

/* A block given back is the next one handed out, zeroed again; a block never handed out is
 * zero too. */
START_TEST(a_block_given_back_is_the_next_taken_and_zeroed)
{
    ivrsm_pool *p = ivrsm_pool_new(200, 0, NULL);
    ck_assert_uint_eq(ivrsm_pool_block(p), 256);
    unsigned char *a = ivrsm_pool_get(p);
    unsigned char *b = ivrsm_pool_get(p);
    unsigned char *c = ivrsm_pool_get(p);
    ck_assert_ptr_ne(a, b);
    for (int i = 0; i < 256; i++)
        ck_assert_uint_eq(b[i], 0);
    memset(a, 0xA5, 256);
    memset(b, 0x5A, 256);
    ivrsm_pool_put(p, a);
    ivrsm_pool_put(p, b);
    unsigned char *d = ivrsm_pool_get(p); /* the last given back */
    unsigned char *e = ivrsm_pool_get(p);
    ck_assert_ptr_eq(d, b);
    ck_assert_ptr_eq(e, a);
    for (int i = 0; i < 256; i++) {
        ck_assert_uint_eq(d[i], 0);
        ck_assert_uint_eq(e[i], 0);
    }
    ivrsm_pool_put(p, c);
    ivrsm_pool_put(p, d);
    ivrsm_pool_put(p, e);
    ivrsm_pool_put(p, NULL); /* ignored */
    ck_assert_uint_eq(ivrsm_pool_live(p), 0);
    ivrsm_pool_free(p);
    ivrsm_pool_free(NULL);
}
END_TEST

/* Sizes a pool refuses. */
START_TEST(a_pool_of_impossible_blocks_is_refused)
{
    ck_assert_ptr_null(ivrsm_pool_new(0, 0, NULL));
    ck_assert_ptr_null(ivrsm_pool_new(IVRSM_POOL_MAX_BLOCK + 1, 0, NULL));
    ck_assert_ptr_null(ivrsm_pool_new(1000, PAGE + 1, NULL));
    ivrsm_pool *p = ivrsm_pool_new(IVRSM_POOL_MAX_BLOCK, PAGE, NULL);
    ck_assert_ptr_nonnull(p);
    void *b[9];
    for (int i = 0; i < 9; i++) {
        b[i] = ivrsm_pool_get(p);
        ck_assert_ptr_nonnull(b[i]);
        ck_assert_uint_eq(at(b[i]) % PAGE, 0); /* its hot bytes a whole page */
    }
    /* 7 fit a chunk beside its record: the 8th and 9th in a second chunk. */
    ck_assert_uint_eq(ivrsm_pool_bytes(p) / IVRSM_POOL_CHUNK, 2);
    for (int i = 0; i < 9; i++)
        ivrsm_pool_put(p, b[i]);
    ivrsm_pool_free(p);
}
END_TEST

/*
 * Growth on demand: the first chunk in small pages, the second and the first advised huge
 * when the second is mapped; chunks emptied are unmapped but one spare.
 */
START_TEST(chunks_are_mapped_on_demand_advised_huge_from_the_second_and_released)
{
    failing_mem fm;
    failing_mem_init(&fm);
    failing_pool_source src;
    failing_pool_source_init(&src, &fm);
    ivrsm_pool *p = ivrsm_pool_new(IVRSM_POOL_MAX_BLOCK, 0, &src.source);
    ck_assert_int_eq(src.mapped, 0); /* nothing before the first block */
    ck_assert_uint_lt(ivrsm_pool_bytes(p), 4096);
    enum { PER = 7, N = 3 * PER }; /* 7 blocks of 256 KB a chunk, 3 chunks */
    void *b[N];
    b[0] = ivrsm_pool_get(p);
    ck_assert_int_eq(src.mapped, 1);
    ck_assert_int_eq(src.advised_small, 1);
    ck_assert_int_eq(src.advised_huge, 0);
    for (int i = 1; i < N; i++)
        b[i] = ivrsm_pool_get(p);
    ck_assert_int_eq(src.mapped, 3);
    ck_assert_int_eq(src.advised_small, 1);
    ck_assert_int_eq(src.advised_huge, 3); /* the second, the first with it, the third */
    ck_assert_uint_eq(ivrsm_pool_bytes(p) / IVRSM_POOL_CHUNK, 3);
    /* The last chunk emptied stays as the spare; the next one emptied goes. */
    for (int i = 2 * PER; i < N; i++)
        ivrsm_pool_put(p, b[i]);
    ck_assert_int_eq(src.mapped, 3);
    for (int i = PER; i < 2 * PER; i++)
        ivrsm_pool_put(p, b[i]);
    ck_assert_int_eq(src.mapped, 2);
    /* The spare serves the next blocks before any chunk is mapped. */
    for (int i = PER; i < N; i++)
        b[i] = ivrsm_pool_get(p);
    ck_assert_int_eq(src.mapped, 3);
    for (int i = 0; i < N; i++)
        ivrsm_pool_put(p, b[i]);
    ck_assert_int_eq(src.mapped, 1);
    ivrsm_pool_free(p);
    ck_assert_int_eq(src.mapped, 0);
    ck_assert_int_eq(fm.live, 0);
}
END_TEST

/* A chunk that cannot be mapped: NULL, the blocks held still good, and the pool maps again
 * once memory is back. */
START_TEST(a_chunk_that_cannot_be_mapped_gives_no_block)
{
    failing_mem fm;
    failing_mem_init(&fm);
    failing_pool_source src;
    failing_pool_source_init(&src, &fm);
    ivrsm_pool *p = ivrsm_pool_new(IVRSM_POOL_MAX_BLOCK, 0, &src.source);
    failing_mem_fail_from(&fm, 0);
    ck_assert_ptr_null(ivrsm_pool_get(p));
    ck_assert(fm.refused);
    ck_assert_uint_eq(ivrsm_pool_live(p), 0);
    failing_mem_off(&fm);
    void *b[8];
    for (int i = 0; i < 7; i++) {
        b[i] = ivrsm_pool_get(p);
        memset(b[i], i, 64);
    }
    failing_mem_fail_from(&fm, 0);
    ck_assert_ptr_null(ivrsm_pool_get(p)); /* the first chunk is full */
    ck_assert_uint_eq(ivrsm_pool_live(p), 7);
    for (int i = 0; i < 7; i++)
        ck_assert_uint_eq(((unsigned char *)b[i])[63], (unsigned)i);
    ivrsm_pool_put(p, b[3]);
    b[3] = ivrsm_pool_get(p); /* one given back needs no chunk */
    ck_assert_ptr_nonnull(b[3]);
    failing_mem_off(&fm);
    b[7] = ivrsm_pool_get(p);
    ck_assert_ptr_nonnull(b[7]);
    for (int i = 0; i < 8; i++)
        ivrsm_pool_put(p, b[i]);
    ivrsm_pool_free(p);
    ck_assert_int_eq(fm.live, 0);
}
END_TEST

/* Threads taking and giving back blocks at once: each block is one thread's. */
static void *churn(void *arg)
{
    ivrsm_pool *p = arg;
    enum { HELD = 300 };
    unsigned char *held[HELD];
    uintptr_t me = (uintptr_t)pthread_self() & 0xff;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < HELD; i++) {
            held[i] = ivrsm_pool_get(p);
            if (!held[i])
                return "no block";
            if (held[i][0] != 0 || held[i][1343] != 0)
                return "a block not zeroed";
            memset(held[i], (int)me, 1344);
        }
        for (int i = 0; i < HELD; i++) {
            if (held[i][0] != (unsigned char)me || held[i][1343] != (unsigned char)me)
                return "a block written by another thread";
            ivrsm_pool_put(p, held[i]);
        }
    }
    return NULL;
}

START_TEST(threads_share_a_pool)
{
    ivrsm_pool *p = ivrsm_pool_new(BLOCK, HOT, NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, churn, p), 0);
    for (int i = 0; i < 4; i++) {
        void *why = NULL;
        pthread_join(t[i], &why);
        ck_assert_msg(why == NULL, "%s", (const char *)why);
    }
    ck_assert_uint_eq(ivrsm_pool_live(p), 0);
    ivrsm_pool_free(p);
}
END_TEST

/* ---- Sessions ---- */

static const char *tiny = "machine: tiny\nversion: \"1\"\nlocale: fr-FR\n"
                          "intents:\n  again: {utterances: [\"encore\"], dtmf: [\"1\"]}\n"
                          "states:\n"
                          "  menu:\n    type: prompt_and_listen\n    prompt: \"Tapez 1.\"\n"
                          "    routes:\n      - when_intent: again\n        next: menu\n";

static ivrsm_machine *tiny_machine(void)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_machine_load_buffer(tiny, strlen(tiny), IVRSM_FORMAT_YAML, "tiny", &m, &err), 0);
    return m;
}

static void hop(ivrsm_session *s)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = "1";
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    ck_assert_ptr_nonnull(ivrsm_session_next_command(s));
}

/* Under the C library's allocator a session's block comes from its machine's pool, which
 * lives as long as the machine. */
START_TEST(sessions_on_the_c_library_take_blocks_from_their_machine)
{
    if (!ivrsm_s_pooled(ivrsm_mem_default()))
        return; /* AddressSanitizer: each session a block of the C library's */
    ivrsm_machine *m = tiny_machine();
    ck_assert_uint_eq(ivrsm_s_pool_bytes(m), 0);
    ivrsm_session *s[3];
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(ivrsm_session_new(m, NULL, &s[i], NULL), 0);
        ck_assert_int_eq(ivrsm_session_start(s[i]), 0);
        ck_assert_uint_eq(at(s[i]) % 64, 0);
    }
    ck_assert_uint_ge(ivrsm_s_pool_bytes(m), IVRSM_POOL_CHUNK);
    ck_assert_uint_eq(ivrsm_pool_live(m->session_pool), 3);
    ivrsm_session_free(s[1]);
    ivrsm_session *again = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, NULL, &again, NULL), 0);
    ck_assert_ptr_eq(again, s[1]); /* the block given back, still warm */
    ck_assert_int_eq(ivrsm_session_start(again), 0);
    hop(again);
    ivrsm_session_free(again);
    ivrsm_session_free(s[0]);
    /* The machine outlives its last session's free: the pool goes with the machine. */
    ivrsm_machine_unref(m);
    hop(s[2]);
    ivrsm_session_free(s[2]);
}
END_TEST

/* A program's allocator gets every byte of its sessions: no pool is made. */
START_TEST(sessions_on_a_programs_allocator_take_nothing_from_a_pool)
{
    ivrsm_machine *m = tiny_machine();
    failing_mem fm;
    failing_mem_init(&fm);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.mem = &fm.mem;
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    hop(s);
    ck_assert_ptr_null(m->session_pool);
    ck_assert_uint_eq(ivrsm_s_pool_bytes(m), 0);
    ck_assert_int_gt(fm.live, 0);
    ivrsm_session_free(s);
    ck_assert_int_eq(fm.live, 0);
    ck_assert(!fm.misused);
    ivrsm_machine_unref(m);
}
END_TEST

/* Sessions of one machine made at once in several threads share one pool. */
static void *sessions_of(void *arg)
{
    ivrsm_machine *m = arg;
    for (int i = 0; i < 50; i++) {
        ivrsm_session *s = NULL;
        if (ivrsm_session_new(m, NULL, &s, NULL) != 0 || ivrsm_session_start(s) != 0)
            return "a session failed";
        ivrsm_session_free(s);
    }
    return NULL;
}

START_TEST(threads_make_sessions_of_one_machine_at_once)
{
    ivrsm_machine *m = tiny_machine();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, sessions_of, m), 0);
    for (int i = 0; i < 4; i++) {
        void *why = NULL;
        pthread_join(t[i], &why);
        ck_assert_msg(why == NULL, "%s", (const char *)why);
    }
    if (ivrsm_s_pooled(ivrsm_mem_default())) {
        ck_assert_ptr_nonnull(m->session_pool);
        ck_assert_uint_eq(ivrsm_pool_live(m->session_pool), 0);
    }
    ivrsm_machine_unref(m);
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("pool");
    tcase_add_test(tc, blocks_of_a_chunk_lie_on_lines_and_keep_their_hot_bytes_on_a_page);
    tcase_add_test(tc, a_block_given_back_is_the_next_taken_and_zeroed);
    tcase_add_test(tc, a_pool_of_impossible_blocks_is_refused);
    tcase_add_test(tc, chunks_are_mapped_on_demand_advised_huge_from_the_second_and_released);
    tcase_add_test(tc, a_chunk_that_cannot_be_mapped_gives_no_block);
    tcase_add_test(tc, threads_share_a_pool);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("sessions");
    tcase_add_test(ts, sessions_on_the_c_library_take_blocks_from_their_machine);
    tcase_add_test(ts, sessions_on_a_programs_allocator_take_nothing_from_a_pool);
    tcase_add_test(ts, threads_make_sessions_of_one_machine_at_once);
    suite_add_tcase(s, ts);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pool_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
