/*
 * What a session writes stays byte for byte what it was: the snapshots taken
 * after every step of two seed calls, their traces and the commands they
 * pulled, against tests/fixtures/compat/seed_calls.txt, which the library
 * wrote before ctx moved out of jansson's values into the session's own block
 * (commit a6d89ca, with this file as it is), but for its reals, written at
 * their fewest digits since ("share":0.1, where jansson's 17 digits wrote
 * 0.10000000000000001). Every snapshot of the fixture also restores with
 * today's library and is saved again as the same text, and so does each with
 * its real written as older versions wrote it: snapshots written by older
 * versions go on working.
 *
 * Only the public API and the call driver's canned answers are used, so that
 * the same file builds against an older library:
 *     IVRSM_COMPAT_WRITE=FILE build/tests/test_snapshot_compat   (writes FILE)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_driver.h"

/* A host's numbers as written, nested values, a secret: what snapshots carry of ctx. */
static const char *const ctx_json =
    "{\"amount\":12.50,\"rates\":[3.0,1e2,0.25],\"who\":{\"share\":0.10,\"name\":\"Ana\"},"
    "\"pin\":\"4321\",\"empty\":{},\"none\":null}";

static const char *const full_call[] = {"dtmf 1",
                                        "dtmf 0612345678#",
                                        "say un deux trois quatre cinq six",
                                        "say oui",
                                        "dtmf 2",
                                        "say le premier",
                                        "say je veux déplacer",
                                        "dtmf 1",
                                        "say en visio",
                                        "say lundi prochain",
                                        "dtmf 2",
                                        "say partager",
                                        NULL};
static const char *const to_agent[] = {"noinput", "nomatch", "dtmf 0", NULL};

typedef struct text {
    char *data;
    size_t len, cap;
} text;

static void add(text *t, const char *tag, const char *line)
{
    size_t n = strlen(tag) + strlen(line) + 2;
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->data = realloc(t->data, t->cap);
        ck_assert_ptr_nonnull(t->data);
    }
    t->len += (size_t)sprintf(t->data + t->len, "%s%s\n", tag, line);
}

static void traced(void *user, const char *line)
{
    add(user, "T ", line);
}

static int64_t clock_ms(void *user)
{
    (void)user;
    return 1764061200000LL; /* 2025-11-25T09:00:00Z */
}

static const char *canned_body(const char *endpoint, int *status)
{
    for (const canned *c = seed_responses; c->endpoint; c++)
        if (endpoint && !strcmp(c->endpoint, endpoint)) {
            *status = c->status;
            return c->body;
        }
    *status = 200;
    return "{}";
}

static void snapshot(ivrsm_session *s, text *out)
{
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    add(out, "S ", snap);
    ivrsm_free(snap);
}

/* Pull every command (recorded), answer http and handoff commands, snapshot after each step. */
static void drain(ivrsm_session *s, text *out)
{
    for (int rounds = 0; rounds < 100; rounds++) {
        const ivrsm_command *c;
        ivrsm_event ev = IVRSM_EVENT_INIT;
        int status = 0;
        while ((c = ivrsm_session_next_command(s)) != NULL) {
            char *j = ivrsm_command_to_json(c);
            add(out, "C ", j);
            ivrsm_free(j);
            if (c->type == IVRSM_COMMAND_HTTP) {
                ev.type = IVRSM_EVENT_ACTION_RESULT;
                ev.command_id = c->id;
                ev.body = canned_body(c->http.endpoint, &status);
                ev.status = status;
            } else if (c->type == IVRSM_COMMAND_HANDOFF) {
                ev.type = IVRSM_EVENT_HANDOFF_RESULT;
                ev.command_id = c->id;
                ev.ok = 1;
            }
        }
        snapshot(s, out);
        if (!ev.type)
            return;
        ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    }
    ck_abort_msg("the call did not settle");
}

static void run_call(ivrsm_machine *m, const char *const *script, const char *id, text *out)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = ctx_json;
    o.call_id = id;
    o.clock = clock_ms;
    o.trace = traced;
    o.trace_user = out;
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    drain(s, out);
    for (int i = 0; script[i]; i++) {
        ivrsm_event ev = IVRSM_EVENT_INIT;
        const char *line = script[i];
        if (!strncmp(line, "dtmf ", 5)) {
            ev.type = IVRSM_EVENT_DTMF;
            ev.text = line + 5;
        } else if (!strncmp(line, "say ", 4)) {
            ev.type = IVRSM_EVENT_SPEECH;
            ev.text = line + 4;
        } else {
            ev.type = !strcmp(line, "noinput") ? IVRSM_EVENT_NOINPUT : IVRSM_EVENT_NOMATCH;
        }
        ev.confidence = -1;
        add(out, "E ", line);
        ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
        drain(s, out);
    }
    char *ctx = ivrsm_session_ctx_json(s);
    add(out, "X ", ctx);
    ivrsm_free(ctx);
    ivrsm_session_free(s);
}

static text seed_calls(ivrsm_machine *m)
{
    text out = {0};
    run_call(m, full_call, "call-1", &out);
    run_call(m, to_agent, "call-2", &out);
    return out;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

static char *fixture_path(void)
{
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    static char path[4096];
    snprintf(path, sizeof(path), "%s/tests/fixtures/compat/seed_calls.txt", root ? root : ".");
    return path;
}

START_TEST(test_same_texts_as_before)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    text now = seed_calls(m);
    char *before = read_file(fixture_path());
    /* Line by line, so that a difference names its place. */
    const char *a = before, *b = now.data;
    for (int line = 1; *a || *b; line++) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        ck_assert_msg(la == lb && !memcmp(a, b, la), "line %d differs:\nbefore %.*s\nnow    %.*s",
                      line, (int)la, a, (int)lb, b);
        a += la + (ea ? 1 : 0);
        b += lb + (eb ? 1 : 0);
    }
    free(before);
    free(now.data);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(test_older_snapshots_restore)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    char *before = read_file(fixture_path());
    int restored = 0, older_reals = 0;
    for (char *line = before; *line;) {
        char *end = strchr(line, '\n');
        *end = '\0';
        if (!strncmp(line, "S ", 2)) {
            ivrsm_session *s = NULL;
            ivrsm_error err;
            ck_assert_msg(ivrsm_session_restore(m, line + 2, NULL, &s, &err) == 0, "restore: %s",
                          err.message);
            char *again = NULL;
            ck_assert_int_eq(ivrsm_session_snapshot(s, &again), 0);
            ck_assert_str_eq(again, line + 2);
            ivrsm_free(again);
            ivrsm_session_free(s);
            restored++;
            /* The same snapshot with the real as older versions wrote it. */
            static const char now_written[] = "\"share\":0.1,";
            char *at = strstr(line + 2, now_written);
            if (at) {
                char older[65536];
                int n = snprintf(older, sizeof older, "%.*s\"share\":0.10000000000000001,%s",
                                 (int)(at - (line + 2)), line + 2, at + strlen(now_written));
                ck_assert(n > 0 && (size_t)n < sizeof older);
                ck_assert_int_eq(ivrsm_session_restore(m, older, NULL, &s, &err), 0);
                ck_assert_int_eq(ivrsm_session_snapshot(s, &again), 0);
                ck_assert_str_eq(again, line + 2);
                ivrsm_free(again);
                ivrsm_session_free(s);
                older_reals++;
            }
        }
        line = end + 1;
    }
    ck_assert_int_gt(restored, 20);
    ck_assert_int_gt(older_reals, 20);
    free(before);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(test_write)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    text t = seed_calls(m);
    FILE *f = fopen(getenv("IVRSM_COMPAT_WRITE"), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(t.data, 1, t.len, f), t.len);
    ck_assert_int_eq(fclose(f), 0);
    free(t.data);
    ivrsm_machine_unref(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("snapshot-compat");
    TCase *tc = tcase_create("seed");
    if (getenv("IVRSM_COMPAT_WRITE")) {
        tcase_add_test(tc, test_write);
    } else {
        tcase_add_test(tc, test_same_texts_as_before);
        tcase_add_test(tc, test_older_snapshots_restore);
    }
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
