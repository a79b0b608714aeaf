/*
 * What callers say, in each language, heard by machines written the way a
 * user writes one: tests/speech/<tag>.yaml is a machine of several
 * questions (a yes/no confirmation, menus of four to six intents with their
 * phrases, an agent and a "repeat" intent), and tests/speech/<tag>.corpus
 * lists transcripts as a speech recogniser gives them (fillers, politeness,
 * false starts, negations, corrections, out-of-domain answers) with what the
 * caller means.
 *
 * Two sets are heard: tests/speech/<tag>.*, the corpus the rules were written
 * from, and tests/speech/heldout/<tag>.*, machines and callers written apart
 * from it (menus whose intents share a noun, global intents said in the middle
 * of a sentence, hesitations, corrections, recogniser errors, yes or no said
 * as a whole sentence), which measures how callers no rule was written from
 * are heard.
 *
 * Corpus format (UTF-8), one utterance per line, fields separated by a tab
 * or by two spaces or more:
 *
 *   @min_accuracy 0.90        the share of lines heard as meant, at least
 *   @max_wrong 0              wrong intents allowed, at most (0 when not given)
 *   QUESTION  UTTERANCE  EXPECTED
 *
 * QUESTION is the state asked (the machine's `start` routes to it by
 * ctx.q), EXPECTED the intent the caller means, or "-" where a person would
 * ask again (an answer outside the question, both answers, a doubt).
 *
 * Each line is a call that reaches QUESTION and hears UTTERANCE once. It is
 * right when the intent heard (ctx.heard, set by the route) is EXPECTED, or
 * when nothing is heard and EXPECTED is "-"; a miss when nothing is heard
 * where an intent was meant (the caller is asked again); a wrong intent
 * otherwise. The test prints the figures of each language and fails on more
 * wrong intents than the file's @max_wrong, and on an accuracy below its
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

#define LINE_MAX_BYTES 1024

static const char *const corpus_tags[] = {"fr-FR", "en-US", "de-DE", "es-ES"};
#define CORPUS_COUNT (sizeof corpus_tags / sizeof corpus_tags[0])

/* The directories of the two sets under the source root. */
static const char *const corpus_sets[] = {"tests/speech", "tests/speech/heldout"};
#define SET_COUNT (sizeof corpus_sets / sizeof corpus_sets[0])

static const char *source_root(void)
{
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    return root && *root ? root : ".";
}

struct figures {
    int lines;
    int right;
    int missed; /* an intent was meant, none was heard */
    int wrong;  /* an intent was heard that the caller did not mean */
    int meant_none;
    int errors; /* lines the test could not run */
    double min_accuracy;
    int max_wrong;
};

/* Answers what a call of these machines asks of its host: nothing but words. */
static int drain(ivrsm_session *s)
{
    for (const ivrsm_command *c; (c = ivrsm_session_next_command(s)) != NULL;)
        if (c->type == IVRSM_COMMAND_HTTP || c->type == IVRSM_COMMAND_HANDOFF)
            return -1;
    return 0;
}

/*
 * One call that reaches `question` and hears the event (a SPEECH transcript or an INTENT
 * name). Writes the intent heard in heard[] ("" for none); 0, or -1 when the call did not
 * reach the question.
 */
static int ask(ivrsm_machine *m, const char *question, ivrsm_event_type type, const char *text,
               char *heard, size_t cap)
{
    heard[0] = '\0';
    json_t *ctx = json_pack("{ss}", "q", question);
    char *ctx_json = json_dumps(ctx, 0);
    json_decref(ctx);
    ivrsm_session_options opts = IVRSM_SESSION_OPTIONS_INIT;
    opts.call_id = "corpus";
    opts.session_id = "corpus";
    opts.ctx_json = ctx_json;
    ivrsm_session *s = NULL;
    int rc = ivrsm_session_new(m, &opts, &s, NULL);
    free(ctx_json);
    if (rc != 0)
        return -1;
    rc = -1;
    if (ivrsm_session_start(s) == 0 && drain(s) == 0 &&
        strcmp(ivrsm_session_state(s), question) == 0) {
        ivrsm_event ev = IVRSM_EVENT_INIT;
        ev.type = type;
        ev.text = text;
        ev.confidence = 0.9;
        if (ivrsm_session_feed(s, &ev) == 0 && drain(s) == 0) {
            char *out = ivrsm_session_ctx_json(s);
            json_t *root = out ? json_loads(out, 0, NULL) : NULL;
            const char *h = json_string_value(json_object_get(root, "heard"));
            snprintf(heard, cap, "%s", h ? h : "");
            json_decref(root);
            ivrsm_free(out);
            rc = 0;
        }
    }
    ivrsm_session_free(s);
    return rc;
}

static ivrsm_machine *load_machine(const char *set, const char *tag)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s.yaml", source_root(), set, tag);
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    if (ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &m, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.column, err.message);
        return NULL;
    }
    return m;
}

static void run_line(ivrsm_machine *m, const char *path, int line_no, char *line, struct figures *f)
{
    char *fields[3];
    if (split_fields(line, fields, 3) != 3) {
        fprintf(stderr, "%s:%d: expected QUESTION  UTTERANCE  EXPECTED\n", path, line_no);
        f->errors++;
        return;
    }
    const char *question = fields[0], *said = fields[1], *expected = fields[2];
    const int none = strcmp(expected, "-") == 0;
    char heard[128];
    /* The expected intent must be one the question routes: an intent event names it. */
    if (!none && (ask(m, question, IVRSM_EVENT_INTENT, expected, heard, sizeof heard) != 0 ||
                  strcmp(heard, expected) != 0)) {
        fprintf(stderr, "%s:%d: question \"%s\" has no route for intent \"%s\"\n", path, line_no,
                question, expected);
        f->errors++;
        return;
    }
    if (ask(m, question, IVRSM_EVENT_SPEECH, said, heard, sizeof heard) != 0) {
        fprintf(stderr, "%s:%d: the call does not reach question \"%s\"\n", path, line_no,
                question);
        f->errors++;
        return;
    }
    f->lines++;
    f->meant_none += none;
    if (strcmp(heard, none ? "" : expected) == 0) {
        f->right++;
    } else if (heard[0] == '\0') {
        f->missed++;
        printf("%s:%d: miss: \"%s\" (%s) heard nothing, meant %s\n", path, line_no, said, question,
               expected);
    } else {
        f->wrong++;
        printf("%s:%d: WRONG INTENT: \"%s\" (%s) heard %s, meant %s\n", path, line_no, said,
               question, heard, none ? "nothing" : expected);
    }
}

static struct figures run_corpus(const char *set, const char *tag)
{
    struct figures f = {0};
    ivrsm_machine *m = load_machine(set, tag);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s.corpus", source_root(), set, tag);
    FILE *in = fopen(path, "r");
    if (!m || !in) {
        fprintf(stderr, "%s: %s\n", path, in ? "the machine does not load" : strerror(errno));
        f.errors++;
        if (in)
            fclose(in);
        if (m)
            ivrsm_machine_unref(m);
        return f;
    }
    char line[LINE_MAX_BYTES];
    for (int line_no = 1; fgets(line, sizeof line, in); line_no++) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        if (strncmp(p, "@min_accuracy", 13) == 0) {
            f.min_accuracy = strtod(p + 13, NULL);
            continue;
        }
        if (strncmp(p, "@max_wrong", 10) == 0) {
            f.max_wrong = (int)strtol(p + 10, NULL, 10);
            continue;
        }
        run_line(m, path, line_no, line, &f);
    }
    fclose(in);
    ivrsm_machine_unref(m);
    return f;
}

START_TEST(test_corpus_heard_as_meant)
{
    const char *set = corpus_sets[_i / (int)CORPUS_COUNT];
    const char *tag = corpus_tags[_i % (int)CORPUS_COUNT];
    struct figures f = run_corpus(set, tag);
    const double accuracy = f.lines ? (double)f.right / f.lines : 0;
    printf("%s/%s: %d utterances (%d meaning no intent), %d heard as meant (%.1f%%), %d missed "
           "(no-match where an intent was meant), %d wrong intents (%.1f%%); floor %.1f%%\n",
           set, tag, f.lines, f.meant_none, f.right, 100 * accuracy, f.missed, f.wrong,
           f.lines ? 100.0 * f.wrong / f.lines : 0, 100 * f.min_accuracy);
    fflush(stdout);
    ck_assert_msg(f.errors == 0, "%s: %d corpus lines could not run", tag, f.errors);
    ck_assert_msg(f.lines >= 50, "%s: %d utterances, fewer than 50", tag, f.lines);
    ck_assert_msg(f.min_accuracy > 0, "%s: the corpus sets no @min_accuracy", tag);
    ck_assert_msg(f.wrong <= f.max_wrong, "%s: %d wrong intents, at most %d", tag, f.wrong,
                  f.max_wrong);
    ck_assert_msg(accuracy + 1e-9 >= f.min_accuracy, "%s: accuracy %.3f below the floor %.3f", tag,
                  accuracy, f.min_accuracy);
}
END_TEST

/*
 * A key said instead of pressed selects the route of the key in a menu, but not in a state that
 * collects a value: "nine" to "how many tickets?" is 9, though the state's "repeat" route has
 * the key 9. In a state that collects, a key said that the collect does not take as a value is
 * the key: "zero" to a four-digit code is the agent's 0.
 */
START_TEST(test_key_said_only_in_menus)
{
    static const char machine[] =
        "machine: keys\nversion: \"1\"\nlocale: en-US\n"
        "intents:\n  repeat: { utterances: [\"repeat\"], dtmf: [\"9\"] }\n"
        "  agent: { utterances: [\"agent\"], dtmf: [\"0\"] }\n"
        "states:\n"
        "  start:\n    type: decide\n    routes:\n      - when: ctx.q == \"count\"\n"
        "        next: count\n      - when: ctx.q == \"code\"\n        next: code\n"
        "    next: menu\n"
        "  menu:\n    type: prompt_and_listen\n    prompt: \"Say agent, or repeat.\"\n"
        "    routes:\n      - { when_intent: repeat, set: { heard: repeat }, next: done }\n"
        "      - { when_intent: agent, set: { heard: agent }, next: done }\n"
        "    nomatch: { max: 1, next: done }\n"
        "  count:\n    type: prompt_and_listen\n    prompt: \"How many tickets?\"\n"
        "    collect: { mode: digits, min: 1, max: 2, target: tickets }\n"
        "    routes:\n      - { when_intent: repeat, set: { heard: repeat }, next: done }\n"
        "    nomatch: { max: 1, next: done }\n    next: done\n"
        "  code:\n    type: prompt_and_listen\n    prompt: \"Your four-digit code?\"\n"
        "    collect: { mode: digits, min: 4, max: 4, target: code }\n"
        "    routes:\n      - { when_intent: agent, set: { heard: agent }, next: done }\n"
        "    nomatch: { max: 1, next: done }\n    next: done\n"
        "  done:\n    type: prompt_end\n    prompt: \"Bye.\"\n";
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_msg(ivrsm_machine_load_buffer(machine, sizeof machine - 1, IVRSM_FORMAT_YAML, "keys",
                                            &m, &err) == 0,
                  "%d:%d: %s", err.line, err.column, err.message);
    char heard[128];
    ck_assert_int_eq(ask(m, "menu", IVRSM_EVENT_SPEECH, "nine", heard, sizeof heard), 0);
    ck_assert_str_eq(heard, "repeat");
    ck_assert_int_eq(ask(m, "menu", IVRSM_EVENT_SPEECH, "press zero please", heard, sizeof heard),
                     0);
    ck_assert_str_eq(heard, "agent");
    ck_assert_int_eq(ask(m, "menu", IVRSM_EVENT_SPEECH, "I have nine", heard, sizeof heard), 0);
    ck_assert_str_eq(heard, "");
    ck_assert_int_eq(ask(m, "count", IVRSM_EVENT_SPEECH, "nine", heard, sizeof heard), 0);
    ck_assert_str_eq(heard, ""); /* collected as 9, no route taken */
    ck_assert_int_eq(ask(m, "code", IVRSM_EVENT_SPEECH, "zero", heard, sizeof heard), 0);
    ck_assert_str_eq(heard, "agent"); /* no code: the key of the agent */
    ck_assert_int_eq(ask(m, "code", IVRSM_EVENT_SPEECH, "zero one two three", heard, sizeof heard),
                     0);
    ck_assert_str_eq(heard, ""); /* the code 0123 */
    ck_assert_int_eq(ask(m, "code", IVRSM_EVENT_SPEECH, "I have zero", heard, sizeof heard), 0);
    ck_assert_str_eq(heard, "");
    ivrsm_machine_unref(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("speech_corpus");
    TCase *tc = tcase_create("corpus");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_corpus_heard_as_meant, 0, (int)(SET_COUNT * CORPUS_COUNT));
    tcase_add_test(tc, test_key_said_only_in_menus);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
