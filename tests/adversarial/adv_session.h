/*
 * What the adversarial unit tests share to set a call up: a machine loaded
 * from YAML text (or refused with the code and the message expected), the
 * trace kept as text, a session's allocator that counts what it holds,
 * events fed one at a time, commands pulled, and the runner of a suite.
 * Header-only: each test is one program (tests/adversarial/meson.build).
 */
#ifndef ADV_SESSION_H
#define ADV_SESSION_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrsm/ivrsm.h"

/* ------------------------------------------------------------------ machines */

/* The machine written in `yaml`; the test fails with the loader's message otherwise. */
static inline ivrsm_machine *adv_load(const char *yaml)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "t.yaml", &m, &err);
    ck_assert_msg(rc == 0, "load: %s", err.message);
    return m;
}

/* `yaml` is refused with `code`, and the message holds `says`. */
static inline void adv_refused(const char *yaml, int code, const char *says)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "t.yaml", &m, &err);
    ck_assert_msg(rc == code, "load gave %d, not %d: %s", rc, code, rc ? err.message : "");
    ck_assert_msg(strstr(err.message, says), "'%s' does not say '%s'", err.message, says);
    ck_assert_ptr_null(m);
}

/* -------------------------------------------------------------------- traces */

/* The records of a call, one a line, each cut at `cut` bytes when it is not 0 (records quoting
 * a long prompt: their start is enough); what does not fit is left out. */
typedef struct adv_trace {
    char text[1 << 16];
    size_t len;
    size_t cut;
} adv_trace;

static inline void adv_on_trace(void *user, const char *record)
{
    adv_trace *t = user;
    size_t n = strlen(record);
    if (t->cut && n > t->cut)
        n = t->cut;
    if (t->len + n + 2 < sizeof t->text) {
        memcpy(t->text + t->len, record, n);
        t->len += n;
        t->text[t->len++] = '\n';
        t->text[t->len] = 0;
    }
}

/* ------------------------------------------------------ a counting allocator */

/* What a session holds now and at most, through adv_counting(). */
typedef struct adv_count {
    size_t now, peak;
} adv_count;

/* Each block carries its size in front (16 bytes, to keep the alignment). */
static inline void *adv_c_malloc(size_t n, void *user)
{
    adv_count *c = user;
    unsigned char *p = malloc(n + 16);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    c->now += n;
    if (c->now > c->peak)
        c->peak = c->now;
    return p + 16;
}

static inline void adv_c_free(void *ptr, void *user)
{
    if (!ptr)
        return;
    adv_count *c = user;
    unsigned char *p = (unsigned char *)ptr - 16;
    size_t n;
    memcpy(&n, p, sizeof n);
    c->now -= n;
    free(p);
}

static inline void *adv_c_calloc(size_t count, size_t size, void *user)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = adv_c_malloc(count * size, user);
    if (p)
        memset(p, 0, count * size);
    return p;
}

static inline void *adv_c_realloc(void *ptr, size_t size, void *user)
{
    if (!ptr)
        return adv_c_malloc(size, user);
    size_t old;
    memcpy(&old, (unsigned char *)ptr - 16, sizeof old);
    void *q = adv_c_malloc(size, user);
    if (!q)
        return NULL;
    memcpy(q, ptr, old < size ? old : size);
    adv_c_free(ptr, user);
    return q;
}

/* An allocator for ivrsm_session_options.mem that counts into `count`. */
static inline ivrsm_mem adv_counting(adv_count *count)
{
    return (ivrsm_mem){count, adv_c_malloc, adv_c_free, adv_c_calloc, adv_c_realloc};
}

/* ------------------------------------------------------------------- a call */

/* A session of m with options `o` (NULL: none), started; the test fails otherwise. */
static inline ivrsm_session *adv_start(ivrsm_machine *m, const ivrsm_session_options *o)
{
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    return s;
}

/* Pull every command waiting. */
static inline void adv_drain(ivrsm_session *s)
{
    while (ivrsm_session_next_command(s))
        ;
}

/* Feed an event of `type` with `text` (NULL: none); the session must take it. */
static inline void adv_feed(ivrsm_session *s, ivrsm_event_type type, const char *text)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = type;
    ev.text = text;
    if (type == IVRSM_EVENT_SPEECH)
        ev.confidence = 0.9;
    int rc = ivrsm_session_feed(s, &ev);
    ck_assert_msg(rc == 0, "feed %d '%s': %d", (int)type, text ? text : "", rc);
}

/* The session's snapshot (ivrsm_free() it). */
static inline char *adv_snapshot(const ivrsm_session *s)
{
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    return snap;
}

/* ------------------------------------------------------------------ secrets */

/* Whether `message` holds four bytes in a row of `form` (a secret, whole or in part). */
static inline bool adv_quotes_part_of(const char *message, const char *form, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++) {
        if (memchr(form + i, '\0', 4))
            continue; /* a cut: the window is what stands before it, checked already */
        char window[5];
        memcpy(window, form + i, 4);
        window[4] = '\0';
        if (strstr(message, window))
            return true;
    }
    return false;
}

/* Whether `message` quotes `secret`, four bytes of it in a row: the secret itself, or what
 * stands at one of its places in `original` once that text was damaged into text[0..len)
 * (cut short, a bit flipped: "987654" that became "987454" is a secret still). */
static inline bool adv_quotes_secret(const char *message, const char *original, const char *text,
                                     size_t len, const char *secret)
{
    size_t n = strlen(secret);
    if (adv_quotes_part_of(message, secret, n))
        return true;
    for (const char *at = strstr(original, secret); at; at = strstr(at + 1, secret)) {
        size_t off = (size_t)(at - original);
        if (off < len && adv_quotes_part_of(message, text + off, len - off < n ? len - off : n))
            return true;
    }
    return false;
}

/* ------------------------------------------------------------------ a suite */

/* Run the suite; the program's exit status. */
static inline int adv_run(Suite *suite)
{
    SRunner *r = srunner_create(suite);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
