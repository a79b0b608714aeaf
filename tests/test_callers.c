/*
 * Callers of the shipped and test machines, in each language: tests/callers/<language>.callers
 * lists what callers say in a question of a machine of tests/machines/ or examples/ (other
 * than the appointment machine, which tests/speech's rules were written beside), as a speech
 * recogniser writes it, with what the caller means, written before the sentence was heard.
 *
 * File format (UTF-8), one utterance per line, fields separated by a tab or by two spaces or
 * more; `#` starts a comment line:
 *
 *   @machine PATH             the machine of the lines below, from the source root
 *   @ctx JSON                 the call's initial ctx for the lines below (its inputs)
 *   @now 2026-11-25T09:00:00Z the clock of the lines below (UTC)
 *   @min_accuracy 0.80        the share of lines heard as meant, at least
 *   @max_wrong 0              wrong answers allowed, at most (0 when not given)
 *   STATE  UTTERANCE  EXPECTED
 *
 * EXPECTED is the intent of a route of STATE, KEY=VALUE for a value its collect stores in
 * ctx (a dotted KEY; VALUE `*` for any text kept, empty for the collect's "no"), or `-` where
 * a person would ask again (an answer outside the question, a doubt, a value not given).
 *
 * Each line is a call placed in STATE (a snapshot of the call at its first question, with
 * STATE as its state) that hears UTTERANCE once; the first transition of the trace says what
 * was heard: `intent:NAME` or `dtmf:NAME` a route, `collected` a value. A line is right when
 * that is what was meant, or when nothing is heard and EXPECTED is `-`; a miss when nothing is
 * heard where something was meant (the caller is asked again); a wrong answer otherwise (an
 * intent or a value the caller did not mean), far worse. The test prints the figures of each
 * file and fails on more wrong answers than its @max_wrong and on an accuracy below its
 * @min_accuracy.
 */
#include "fields.h"
#include "ivrsm/ivrsm.h"

#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES 1024

static const char *const caller_tags[] = {"fr", "en", "de", "es"};
#define TAG_COUNT (sizeof caller_tags / sizeof caller_tags[0])

/*
 * The sets, each a directory of one file per language: the first set, a second written after
 * the first was heard (tests/callers/heldout/) and a third after the second
 * (tests/callers/third/, and its part heard only once its rules were written,
 * tests/callers/third_sealed/) and a fourth after the third (tests/callers/fourth/ and
 * tests/callers/fourth_sealed/, its part heard only once its rules were written), so that
 * their figures say how callers no rule was written from are heard; and the cases of rules
 * (tests/callers/rules/), each of which must be heard as written. Each holds at least `min_lines`
 * utterances per language.
 */
static const struct caller_set {
    const char *dir;
    int min_lines;
} caller_sets[] = {{"tests/callers", 40},        {"tests/callers/heldout", 30},
                   {"tests/callers/third", 30},  {"tests/callers/third_sealed", 14},
                   {"tests/callers/fourth", 30}, {"tests/callers/fourth_sealed", 14},
                   {"tests/callers/rules", 18}};
#define SET_COUNT (sizeof caller_sets / sizeof caller_sets[0])

static const char *source_root(void)
{
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    return root && *root ? root : ".";
}

struct figures {
    int lines;
    int right;
    int missed;
    int wrong;
    int meant_none;
    int errors;
    double min_accuracy;
    int max_wrong;
};

/* What the lines below a directive run against. */
struct setting {
    ivrsm_machine *m;
    char *ctx_json;
    int64_t now_ms;
};

/* The first transition of the call after the caller's input: its reason. */
struct heard {
    int transitions;
    char reason[160];
};

static int64_t fixed_clock(void *user)
{
    return *(const int64_t *)user;
}

static void on_trace(void *user, const char *record)
{
    struct heard *h = user;
    json_t *r = json_loads(record, 0, NULL);
    const char *kind = json_string_value(json_object_get(r, "kind"));
    if (kind && strcmp(kind, "transition") == 0 && h->transitions++ == 0) {
        const char *why = json_string_value(json_object_get(r, "reason"));
        snprintf(h->reason, sizeof h->reason, "%s", why ? why : "");
    }
    json_decref(r);
}

static void drain(ivrsm_session *s)
{
    while (ivrsm_session_next_command(s) != NULL)
        ;
}

/*
 * The snapshot of a call of set->m waiting at its first question, moved to `state`: what a
 * call that reached `state` keeps (its ctx from the inputs). NULL when the call does not wait
 * for input at its start.
 */
static char *snapshot_at(const struct setting *set, const char *state)
{
    ivrsm_session_options opts = IVRSM_SESSION_OPTIONS_INIT;
    opts.call_id = "callers";
    opts.session_id = "callers";
    opts.ctx_json = set->ctx_json;
    opts.clock = fixed_clock;
    opts.clock_user = (void *)&set->now_ms;
    ivrsm_session *s = NULL;
    if (ivrsm_session_new(set->m, &opts, &s, NULL) != 0)
        return NULL;
    char *snap = NULL, *out = NULL;
    if (ivrsm_session_start(s) == 0) {
        drain(s);
        ivrsm_session_snapshot(s, &snap);
    }
    ivrsm_session_free(s);
    json_t *doc = snap ? json_loads(snap, 0, NULL) : NULL;
    ivrsm_free(snap);
    const char *phase = json_string_value(json_object_get(doc, "phase"));
    if (phase && strcmp(phase, "input") == 0) {
        json_object_set_new(doc, "state", json_string(state));
        json_object_set_new(doc, "visits", json_pack("{si}", state, 1));
        json_object_set_new(doc, "path", json_pack("[s]", state));
        out = json_dumps(doc, JSON_COMPACT);
    }
    json_decref(doc);
    return out;
}

/* The text of ctx at a dotted key, or NULL. */
static const char *ctx_text(json_t *ctx, const char *key, char *buf, size_t cap)
{
    json_t *v = ctx;
    char part[128];
    for (const char *p = key; v && *p;) {
        size_t n = strcspn(p, ".");
        snprintf(part, sizeof part, "%.*s", (int)n, p);
        v = json_object_get(v, part);
        p += n + (p[n] == '.');
    }
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}

enum outcome { OUTCOME_RIGHT, OUTCOME_MISSED, OUTCOME_WRONG, OUTCOME_ERROR };

/* Runs one line; describes what was heard in got[]. */
static enum outcome hear(const struct setting *set, const char *state, const char *said,
                         const char *expected, char *got, size_t cap)
{
    snprintf(got, cap, "nothing");
    if (ivrsm_machine_state_index(set->m, state) < 0) {
        snprintf(got, cap, "no state %s", state);
        return OUTCOME_ERROR;
    }
    char *snap = snapshot_at(set, state);
    if (!snap) {
        snprintf(got, cap, "the call does not wait for input at its start");
        return OUTCOME_ERROR;
    }
    struct heard h = {0};
    ivrsm_session_options opts = IVRSM_SESSION_OPTIONS_INIT;
    opts.clock = fixed_clock;
    opts.clock_user = (void *)&set->now_ms;
    opts.trace = on_trace;
    opts.trace_user = &h;
    ivrsm_session *s = NULL;
    ivrsm_error err;
    int rc = ivrsm_session_restore(set->m, snap, &opts, &s, &err);
    free(snap);
    if (rc != 0) {
        snprintf(got, cap, "restore: %.200s", err.message);
        return OUTCOME_ERROR;
    }
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_SPEECH;
    ev.text = said;
    ev.confidence = 0.9;
    h.transitions = 0;
    rc = ivrsm_session_feed(s, &ev);
    drain(s);
    char *ctx_out = ivrsm_session_ctx_json(s);
    json_t *ctx = ctx_out ? json_loads(ctx_out, 0, NULL) : NULL;
    ivrsm_free(ctx_out);
    ivrsm_session_free(s);
    if (rc != 0) {
        json_decref(ctx);
        snprintf(got, cap, "feed: %s", ivrsm_strerror(rc));
        return OUTCOME_ERROR;
    }

    const char *eq = strchr(expected, '=');
    const int none = strcmp(expected, "-") == 0;
    enum outcome o;
    const char *route = NULL;
    if (strncmp(h.reason, "intent:", 7) == 0)
        route = h.reason + 7;
    else if (strncmp(h.reason, "dtmf:", 5) == 0)
        route = h.reason + 5;
    if (h.transitions && route) {
        snprintf(got, cap, "%s", route);
        o = !none && !eq && strcmp(route, expected) == 0 ? OUTCOME_RIGHT : OUTCOME_WRONG;
    } else if (h.transitions && strcmp(h.reason, "collected") == 0) {
        char key[128], num[32];
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - expected) : 0, expected);
        const char *value = eq ? ctx_text(ctx, key, num, sizeof num) : NULL;
        snprintf(got, cap, "a value (%s=%s)", eq ? key : "?", value ? value : "?");
        o = OUTCOME_WRONG;
        if (value && (strcmp(eq + 1, value) == 0 || (strcmp(eq + 1, "*") == 0 && *value)))
            o = OUTCOME_RIGHT;
    } else {
        o = none ? OUTCOME_RIGHT : OUTCOME_MISSED;
    }
    json_decref(ctx);
    return o;
}

static void set_machine(struct setting *set, const char *path, const char *file, int line_no,
                        struct figures *f)
{
    if (set->m)
        ivrsm_machine_unref(set->m);
    set->m = NULL;
    char full[1024];
    snprintf(full, sizeof full, "%s/%s", source_root(), path);
    ivrsm_error err;
    if (ivrsm_machine_load_file(full, IVRSM_FORMAT_AUTO, &set->m, &err) != 0) {
        fprintf(stderr, "%s:%d: %s: %d:%d: %s\n", file, line_no, path, err.line, err.column,
                err.message);
        f->errors++;
    }
    free(set->ctx_json);
    set->ctx_json = NULL;
}

/* "2026-11-25T09:00:00Z" as milliseconds since the epoch, or -1. */
static int64_t parse_utc(const char *text)
{
    struct tm tm = {0};
    if (sscanf(text, "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000;
}

static const char *directive(const char *p, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(p, name, n) != 0 || (p[n] != ' ' && p[n] != '\t'))
        return NULL;
    return p + n + strspn(p + n, " \t");
}

static struct figures run_file(const char *dir, const char *tag)
{
    struct figures f = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s.callers", source_root(), dir, tag);
    FILE *in = fopen(path, "r");
    if (!in) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        f.errors++;
        return f;
    }
    struct setting set = {.now_ms = 0};
    char line[LINE_MAX_BYTES];
    for (int line_no = 1; fgets(line, sizeof line, in); line_no++) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line + strspn(line, " \t"), *arg;
        if (*p == '\0' || *p == '#')
            continue;
        if ((arg = directive(p, "@machine"))) {
            set_machine(&set, arg, path, line_no, &f);
        } else if ((arg = directive(p, "@ctx"))) {
            free(set.ctx_json);
            set.ctx_json = strdup(arg);
        } else if ((arg = directive(p, "@now"))) {
            set.now_ms = parse_utc(arg);
            if (set.now_ms < 0) {
                fprintf(stderr, "%s:%d: @now wants 2026-11-25T09:00:00Z\n", path, line_no);
                f.errors++;
            }
        } else if ((arg = directive(p, "@min_accuracy"))) {
            f.min_accuracy = strtod(arg, NULL);
        } else if ((arg = directive(p, "@max_wrong"))) {
            f.max_wrong = (int)strtol(arg, NULL, 10);
        } else {
            char *fields[3];
            if (split_fields(line, fields, 3) != 3 || !set.m) {
                fprintf(stderr, "%s:%d: expected STATE  UTTERANCE  EXPECTED after @machine\n", path,
                        line_no);
                f.errors++;
                continue;
            }
            char got[256];
            enum outcome o = hear(&set, fields[0], fields[1], fields[2], got, sizeof got);
            if (o == OUTCOME_ERROR) {
                fprintf(stderr, "%s:%d: %s\n", path, line_no, got);
                f.errors++;
                continue;
            }
            f.lines++;
            f.meant_none += strcmp(fields[2], "-") == 0;
            if (o == OUTCOME_RIGHT)
                f.right++;
            else if (o == OUTCOME_MISSED)
                f.missed++;
            else
                f.wrong++;
            if (o != OUTCOME_RIGHT)
                printf("%s:%d: %s: \"%s\" (%s) heard %s, meant %s\n", path, line_no,
                       o == OUTCOME_MISSED ? "miss" : "WRONG", fields[1], fields[0], got,
                       fields[2]);
        }
    }
    fclose(in);
    if (set.m)
        ivrsm_machine_unref(set.m);
    free(set.ctx_json);
    return f;
}

START_TEST(test_callers_heard_as_meant)
{
    const struct caller_set *set = &caller_sets[_i / TAG_COUNT];
    const char *tag = caller_tags[_i % TAG_COUNT];
    struct figures f = run_file(set->dir, tag);
    const double accuracy = f.lines ? (double)f.right / f.lines : 0;
    printf("%s/%s: %d utterances (%d meaning nothing), %d heard as meant (%.1f%%), %d missed, "
           "%d wrong (%.1f%%); floor %.1f%%\n",
           set->dir, tag, f.lines, f.meant_none, f.right, 100 * accuracy, f.missed, f.wrong,
           f.lines ? 100.0 * f.wrong / f.lines : 0, 100 * f.min_accuracy);
    fflush(stdout);
    ck_assert_msg(f.errors == 0, "%s: %d lines could not run", tag, f.errors);
    ck_assert_msg(f.lines >= set->min_lines, "%s/%s: %d utterances, fewer than %d", set->dir, tag,
                  f.lines, set->min_lines);
    ck_assert_msg(f.min_accuracy > 0, "%s: the file sets no @min_accuracy", tag);
    ck_assert_msg(f.wrong <= f.max_wrong, "%s: %d wrong answers, at most %d", tag, f.wrong,
                  f.max_wrong);
    ck_assert_msg(accuracy + 1e-9 >= f.min_accuracy, "%s: accuracy %.3f below the floor %.3f", tag,
                  accuracy, f.min_accuracy);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("callers");
    TCase *tc = tcase_create("callers");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_callers_heard_as_meant, 0, (int)(SET_COUNT * TAG_COUNT));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
