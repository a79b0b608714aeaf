/*
 * ivrsm test: run scripted calls (scenario files) and check what they do.
 *
 * Each scenario: send its setup requests to the backend, start a call on
 * its machine, then play its steps: caller inputs are fed, expect: steps
 * are checked against what happened since the last input. With
 * --snapshots, a passing scenario runs a second time, the session being
 * saved and restored after every event, and both command streams must be
 * the same. The second run is fed the first run's backend answers instead
 * of calling the backend again: a backend may answer with fresh values
 * (challenge ids, tokens) that would make two honest runs differ.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_real.h"
#include "coverage.h"
#include "driver.h"
#include "ivrsm/http_curl.h"
#include "scenario.h"
#include "term.h"
#include "test_checks.h"

#define RECENT_COMMANDS 8 /* commands shown under a failed check */

typedef struct test_options {
    const char **files;
    size_t file_count;
    const char *backend;
    bool coverage;
    bool snapshots;
    bool verbose;
    bool json;
    bool has_now; /* --now: the clock of scenarios without a now: of their own */
    int64_t now_ms;
    const char *now_text; /* --now as given */
} test_options;

typedef struct machine_slot {
    char *path;
    ivrsm_machine *m;
    cov_tally *tally;
    bool now_noted; /* --now without an offset, said once for this machine */
} machine_slot;

typedef struct runner {
    test_options o;
    bool color;
    machine_slot *machines;
    size_t machine_count;
    int passed;
    int failed;
    int errors;
    json_t *results; /* --json: one {file, name, result} per scenario */
} runner;

typedef enum outcome { OUTCOME_PASS = 0, OUTCOME_FAIL, OUTCOME_ERROR } outcome;

/* What one run of a scenario recorded. */
typedef struct run_log {
    json_t *window;  /* full records since the last caller input */
    json_t *all;     /* every full record */
    json_t *recent;  /* the last RECENT_COMMANDS shown records */
    json_t *answers; /* http and handoff answers, in order, for the snapshot run */
    size_t answer_next;
    cov_tally *tally; /* NULL: no coverage counted */
    bool verbose;
    bool color;
} run_log;

static void usage(FILE *out)
{
    fprintf(out, "usage: ivrsm test SCENARIO... [--backend URL] [--coverage] [--snapshots] "
                 "[--verbose] [--json] [--now ISO8601]\n"
                 "\n"
                 "Run scripted calls and check their expectations (format: docs/cli.md).\n"
                 "A SCENARIO that is a directory runs its *.yaml, *.yml and *.json files.\n"
                 "\n"
                 "options:\n"
                 "  --backend URL   the backend for setup requests and http commands\n"
                 "  --coverage      report the states visited and the transitions exercised\n"
                 "  --snapshots     run each passing scenario again, saving and restoring the\n"
                 "                  session after every event; the commands must not change\n"
                 "  --verbose       show the caller inputs and the commands as they happen\n"
                 "                  (and, with --coverage, the transitions never exercised)\n"
                 "  --json          write the results (and the coverage) as one JSON object on\n"
                 "                  stdout; the readable report goes to stderr\n"
                 "  --now ISO8601   the clock of the scenarios that have no now: of their own\n"
                 "                  (default: the real time), e.g. 2026-11-25T09:30:00+01:00\n"
                 "\n"
                 "Prints one line per check, a summary per file and a last line\n"
                 "'N passed, M failed'. Exit status: 0 when all pass, 1 when one fails,\n"
                 "2 on a usage error or a scenario or machine that does not load.\n");
}

static int parse_args(int argc, char **argv, test_options *o)
{
    o->files = calloc((size_t)argc, sizeof(*o->files));
    if (!o->files)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--coverage"))
            o->coverage = true;
        else if (!strcmp(argv[i], "--snapshots"))
            o->snapshots = true;
        else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
            o->verbose = true;
        else if (!strcmp(argv[i], "--json"))
            o->json = true;
        else if ((r = drv_option_value("ivrsm test", argc, argv, &i, "--backend", &v)) != 0) {
            if (r < 0)
                return 2;
            o->backend = v;
        } else if ((r = drv_option_value("ivrsm test", argc, argv, &i, "--now", &v)) != 0) {
            if (r < 0)
                return 2;
            if (drv_parse_time(v, &o->now_ms) != 0) {
                fprintf(stderr,
                        "ivrsm test: --now takes an ISO 8601 time like 2026-11-25T09:30:00+01:00, "
                        "not '%s'\n",
                        v);
                return 2;
            }
            o->has_now = true;
            o->now_text = v;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "ivrsm test: unknown option '%s'\nRun 'ivrsm test --help'.\n", argv[i]);
            return 2;
        } else {
            o->files[o->file_count++] = argv[i];
        }
    }
    if (!o->file_count) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* ---------------------------------------------------------------------------
 * Machines, loaded once per path
 * ------------------------------------------------------------------------- */

static machine_slot *machine_for(runner *R, const scenario *s)
{
    for (size_t i = 0; i < R->machine_count; i++)
        if (!strcmp(R->machines[i].path, s->machine))
            return R->machines[i].m ? &R->machines[i] : NULL;
    machine_slot *more = realloc(R->machines, (R->machine_count + 1) * sizeof(*more));
    if (!more)
        return NULL;
    R->machines = more;
    machine_slot *slot = &R->machines[R->machine_count++];
    memset(slot, 0, sizeof(*slot));
    slot->path = strdup(s->machine);
    if (!(slot->m = drv_load_machine(s->machine))) {
        fprintf(stderr, "%s:%d:%d: the machine of this scenario does not load (see above)\n",
                s->file, s->machine_line, s->machine_column);
        return NULL;
    }
    if (R->o.coverage)
        slot->tally = cov_tally_new(slot->m, s->machine);
    return slot;
}

/* ---------------------------------------------------------------------------
 * Setup requests
 * ------------------------------------------------------------------------- */

typedef struct setup_wait {
    bool done;
    int status;
    char *body;
    char *error;
} setup_wait;

static void on_setup_done(void *user, const ivrsm_http_result *r)
{
    setup_wait *w = user;
    w->done = true;
    w->status = r->status;
    w->body = strndup(r->body, r->body_len);
    w->error = r->error ? strdup(r->error) : NULL;
}

/* Send one setup request; 0 when it got a 2xx answer, else -1 with err set. */
static int send_setup(ivrsm_http *h, const scn_request *req, char *err, size_t errlen)
{
    char *path = strdup(req->path);
    char *q = path ? strchr(path, '?') : NULL;
    if (q)
        *q++ = '\0';
    char *body = req->body ? ivrsm_json_dumps(req->body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    ivrsm_command cmd = {.type = IVRSM_COMMAND_HTTP};
    cmd.http.method = req->method;
    cmd.http.path = path;
    cmd.http.query = q;
    cmd.http.body = body;
    setup_wait w = {0};
    int rc = path ? ivrsm_http_submit(h, &cmd, on_setup_done, &w) : IVRSM_ENOMEM;
    while (rc == 0 && !w.done)
        if (ivrsm_http_run(h, 1000) < 0)
            break;
    if (rc != 0)
        snprintf(err, errlen, "%s %s: cannot send: %s", req->method, req->path, ivrsm_strerror(rc));
    else if (!w.done)
        snprintf(err, errlen, "%s %s: the http adapter failed", req->method, req->path);
    else if (w.error && w.status == 0)
        snprintf(err, errlen, "%s %s: %s", req->method, req->path, w.error);
    else if (w.status < 200 || w.status > 299)
        snprintf(err, errlen, "%s %s → %d %.300s", req->method, req->path, w.status,
                 w.body ? w.body : "");
    bool ok = rc == 0 && w.done && w.status >= 200 && w.status <= 299;
    free(w.body);
    free(w.error);
    free(body);
    free(path);
    return ok ? 0 : -1;
}

static int run_setup(const runner *R, const scenario *s)
{
    if (!s->setup_count)
        return 0;
    ivrsm_http_options ho = {.base_url = R->o.backend};
    ivrsm_http *h = NULL;
    int rc = ivrsm_http_new(&ho, &h);
    if (rc != 0) {
        printf("  ✗ setup: backend URL '%s': %s\n", R->o.backend, ivrsm_strerror(rc));
        return -1;
    }
    for (size_t i = 0; i < s->setup_count; i++) {
        char why[600];
        if (send_setup(h, &s->setup[i], why, sizeof(why)) != 0) {
            printf("  %s✗ setup request %zu failed%s  (%s:%d)\n      ",
                   term_sgr(R->color, TERM_RED), i + 1, term_sgr(R->color, TERM_RESET), s->file,
                   s->setup[i].line);
            term_put(stdout, why); /* it quotes the backend's answer */
            putchar('\n');
            ivrsm_http_free(h);
            return -1;
        }
    }
    ivrsm_http_free(h);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Running a scenario
 * ------------------------------------------------------------------------- */

/* What the keypad made of the keys of a step (verbose runs show it). */
static void log_keypad(void *user, const char *note)
{
    const run_log *log = user;
    if (log->verbose)
        printf("    %s(keypad: %s)%s\n", term_sgr(log->color, TERM_DIM), note,
               term_sgr(log->color, TERM_RESET));
}

static void log_command(void *user, const drv_report *r)
{
    run_log *log = user;
    json_array_append(log->window, (json_t *)r->full);
    json_array_append(log->all, (json_t *)r->full);
    json_array_append(log->recent, (json_t *)r->shown);
    if (json_array_size(log->recent) > RECENT_COMMANDS)
        json_array_remove(log->recent, 0);
    if (r->answer) {
        json_array_append_new(log->answers, json_pack("{s:s, s:i, s:s?, s:s?}", "type", "http",
                                                      "status", r->answer->status, "body",
                                                      r->answer->body, "error", r->answer->error));
    } else if (json_is_boolean(json_object_get(r->full, "ok"))) {
        json_array_append_new(log->answers, json_pack("{s:s, s:O}", "type", "handoff", "ok",
                                                      json_object_get(r->full, "ok")));
    }
    if (log->verbose) {
        char *text = term_render_command(r->shown, "    ", log->color);
        if (text)
            fputs(text, stdout);
        free(text);
    }
}

static void log_trace(void *user, const char *record)
{
    run_log *log = user;
    if (log->tally)
        cov_tally_record(log->tally, record);
}

static bool run_log_init(run_log *log)
{
    memset(log, 0, sizeof(*log));
    log->window = json_array();
    log->all = json_array();
    log->recent = json_array();
    log->answers = json_array();
    return log->window && log->all && log->recent && log->answers;
}

static void run_log_free(run_log *log)
{
    json_decref(log->window);
    json_decref(log->all);
    json_decref(log->recent);
    json_decref(log->answers);
}

/* The driver configuration of a scenario (hooks and answers set by the caller). */
static drv_config scenario_config(const runner *R, const scenario *s, ivrsm_machine *m,
                                  const char *call_id, const char *ctx_json)
{
    drv_config cfg = {
        .machine = m,
        .call_id = s->call_id ? s->call_id : call_id,
        .session_id = s->session_id,
        .ctx_json = ctx_json,
        .clock = s->has_now || R->o.has_now ? DRV_CLOCK_FIXED : DRV_CLOCK_REAL,
        .now_ms = s->has_now ? s->now_ms : R->o.now_ms,
        .backend_url = R->o.backend,
        .backend_hint = "give --backend URL, or answers in the scenario's responses:",
        .responses = s->responses,
        .responses_name = "responses:",
        .handoff_ok = s->handoff_ok,
        .handoff_answers = s->handoff_answers,
        .handoff_count = s->handoff_count,
        .keypad = true,
    };
    return cfg;
}

static void print_input(const runner *R, const drv_input *in)
{
    char *line = drv_input_format(in);
    char *text = line ? term_render_input(line, "    ", R->color) : NULL;
    if (text)
        fputs(text, stdout);
    free(text);
    free(line);
}

/* Play the steps; returns the number of failed checks (a refused input counts as one). */
static int play_steps(const runner *R, const scenario *s, drv *d, run_log *log, int *checks)
{
    for (size_t i = 0; i < s->step_count; i++) {
        const scn_step *st = &s->steps[i];
        char where[600];
        snprintf(where, sizeof(where), "%s:%d", s->file, st->line);
        if (!st->is_expect) {
            if (R->o.verbose)
                print_input(R, &st->input);
            json_array_clear(log->window);
            if (drv_feed_input(d, &st->input) == DRV_OK)
                continue;
            char *line = drv_input_format(&st->input);
            printf("  %s✗ step %zu, ", term_sgr(R->color, TERM_RED), i + 1);
            term_put(stdout, line ? line : "?");
            fputs(": ", stdout);
            term_put(stdout, drv_error(d));
            printf("%s  (%s)\n", term_sgr(R->color, TERM_RESET), where);
            free(line);
            (*checks)++;
            return 1;
        }
        json_t *ctx = drv_ctx(d);
        check_view v = {log->window, log->recent, drv_state(d), ctx, drv_end_kind(d)};
        int failed = checks_run(stdout, &st->expect, &v, where, R->color, checks);
        json_decref(ctx);
        if (failed) {
            if (i + 1 < s->step_count)
                printf("  (stopped: %zu more step%s not run)\n", s->step_count - i - 1,
                       s->step_count - i - 1 == 1 ? "" : "s");
            return failed;
        }
    }
    return 0;
}

/* The second run's answers come from the first run's log. */
static int replay_http(void *user, const ivrsm_command *cmd, drv_answer *out, char *err,
                       size_t errlen)
{
    run_log *first = user;
    const json_t *a = json_array_get(first->answers, first->answer_next);
    const char *type = json_string_value(json_object_get(a, "type"));
    if (!type || strcmp(type, "http") != 0) {
        snprintf(err, errlen, "the restored session sent %s %s where the first run did not",
                 cmd->http.method, cmd->http.path);
        return -1;
    }
    first->answer_next++;
    out->status = (int)json_integer_value(json_object_get(a, "status"));
    const char *body = json_string_value(json_object_get(a, "body"));
    const char *error = json_string_value(json_object_get(a, "error"));
    out->body = body ? strdup(body) : NULL;
    out->error = error ? strdup(error) : NULL;
    return 0;
}

static int replay_handoff(void *user, const ivrsm_command *cmd, int *ok, char *err, size_t errlen)
{
    run_log *first = user;
    const json_t *a = json_array_get(first->answers, first->answer_next);
    const char *type = json_string_value(json_object_get(a, "type"));
    if (!type || strcmp(type, "handoff") != 0) {
        snprintf(err, errlen, "the restored session handed off to %s where the first run did not",
                 cmd->handoff.queue ? cmd->handoff.queue : "(no queue)");
        return -1;
    }
    first->answer_next++;
    *ok = json_is_true(json_object_get(a, "ok"));
    return 0;
}

/* Print where two command streams part; returns 0 when they are the same. */
static int compare_streams(const runner *R, const json_t *first, const json_t *second,
                           const char *error)
{
    size_t n1 = json_array_size(first), n2 = json_array_size(second);
    for (size_t i = 0; i < n1 || i < n2; i++) {
        const json_t *a = json_array_get(first, i), *b = json_array_get(second, i);
        if (a && b && json_equal((json_t *)a, (json_t *)b))
            continue;
        char *ta = a ? ivrsm_json_dumps(a, JSON_COMPACT) : NULL;
        char *tb = b ? ivrsm_json_dumps(b, JSON_COMPACT) : NULL;
        printf("  %s✗ snapshots: the restored session differs at command %zu%s\n"
               "      first run:    ",
               term_sgr(R->color, TERM_RED), i + 1, term_sgr(R->color, TERM_RESET));
        term_put(stdout, ta ? ta : "(no more commands)");
        fputs("\n      with restores: ", stdout);
        term_put(stdout, tb ? tb : "(no more commands)");
        putchar('\n');
        if (error) {
            fputs("      ", stdout);
            term_put(stdout, error);
            putchar('\n');
        }
        free(ta);
        free(tb);
        return 1;
    }
    if (error) {
        printf("  %s✗ snapshots: ", term_sgr(R->color, TERM_RED));
        term_put(stdout, error);
        printf("%s\n", term_sgr(R->color, TERM_RESET));
        return 1;
    }
    printf("  %s✓%s snapshots: %zu commands identical with a restore after every event\n",
           term_sgr(R->color, TERM_GREEN), term_sgr(R->color, TERM_RESET), n1);
    return 0;
}

/* Run the scenario again, restoring the session after every event. 0 when identical. */
static int snapshot_run(const runner *R, const scenario *s, ivrsm_machine *m, const char *call_id,
                        const char *ctx_json, run_log *first)
{
    run_log second;
    if (!run_log_init(&second)) {
        run_log_free(&second);
        return 1;
    }
    drv_config cfg = scenario_config(R, s, m, call_id, ctx_json);
    cfg.backend_url = NULL;
    cfg.http = replay_http;
    cfg.handoff = replay_handoff;
    cfg.answer_user = first;
    cfg.snapshot_each_event = true;
    cfg.hooks = (drv_hooks){.command = log_command, .trace = log_trace, .user = &second};
    first->answer_next = 0;
    char why[600];
    char *error = NULL;
    drv *d = drv_new(&cfg, why, sizeof(why));
    if (!d)
        error = strdup(why);
    else if (drv_start(d) != DRV_OK)
        error = strdup(drv_error(d));
    for (size_t i = 0; d && !error && i < s->step_count; i++) {
        if (!s->steps[i].is_expect && drv_feed_input(d, &s->steps[i].input) != DRV_OK)
            error = strdup(drv_error(d));
    }
    int rc = compare_streams(R, first->all, second.all, error);
    free(error);
    drv_free(d);
    run_log_free(&second);
    return rc;
}

static char *initial_ctx(const scenario *s)
{
    return s->ctx ? ivrsm_json_dumps(s->ctx, JSON_COMPACT) : NULL;
}

static outcome run_scenario(runner *R, const scenario *s, machine_slot *slot, unsigned index)
{
    printf("%s%s%s: %s\n", term_sgr(R->color, TERM_BOLD), s->file, term_sgr(R->color, TERM_RESET),
           s->name);
    if (run_setup(R, s) != 0)
        return OUTCOME_FAIL;
    char call_id[80];
    snprintf(call_id, sizeof(call_id), "test-%llx-%ld-%u", (unsigned long long)drv_real_now_ms(),
             (long)getpid(), index);
    char *ctx_json = initial_ctx(s);
    run_log log;
    int checks = 0, failed = 1;
    char why[600];
    drv *d = NULL;
    if (run_log_init(&log)) {
        log.tally = slot->tally;
        log.verbose = R->o.verbose;
        log.color = R->color;
        drv_config cfg = scenario_config(R, s, slot->m, call_id, ctx_json);
        cfg.hooks = (drv_hooks){
            .command = log_command, .trace = log_trace, .keypad = log_keypad, .user = &log};
        d = drv_new(&cfg, why, sizeof(why));
    } else {
        snprintf(why, sizeof(why), "out of memory");
    }
    if (!d)
        printf("  ✗ cannot start the call: %s\n", why);
    else if (drv_start(d) != DRV_OK) {
        fputs("  ✗ the call failed at its start: ", stdout);
        term_put(stdout, drv_error(d));
        putchar('\n');
    } else
        failed = play_steps(R, s, d, &log, &checks);
    bool needs_backend = d && drv_needed_a_backend(d);
    if (slot->tally && d)
        cov_tally_scenario(slot->tally);
    drv_free(d);
    if (needs_backend) {
        /* Not a failure of the machine: the run lacks what the scenario needs. */
        run_log_free(&log);
        free(ctx_json);
        printf("ERROR %s (needs a backend: give --backend URL)\n", s->file);
        return OUTCOME_ERROR;
    }
    if (!failed && R->o.snapshots) {
        checks++;
        failed = snapshot_run(R, s, slot->m, call_id, ctx_json, &log);
    }
    run_log_free(&log);
    free(ctx_json);
    if (failed)
        printf("%sFAIL%s %s (%d of %d check%s failed)\n", term_sgr(R->color, TERM_RED),
               term_sgr(R->color, TERM_RESET), s->file, failed, checks, checks == 1 ? "" : "s");
    else
        printf("%sPASS%s %s (%d check%s)\n", term_sgr(R->color, TERM_GREEN),
               term_sgr(R->color, TERM_RESET), s->file, checks, checks == 1 ? "" : "s");
    return failed ? OUTCOME_FAIL : OUTCOME_PASS;
}

static void note_result(runner *R, const char *file, const scenario *s, outcome o)
{
    static const char *const words[] = {"pass", "fail", "error"};
    if (R->results)
        json_array_append_new(R->results, json_pack("{s:s, s:s?, s:s}", "file", file, "name",
                                                    s ? s->name : NULL, "result", words[o]));
}

/* A canned answer for an endpoint the machine does not have: a warning at its key. */
static void report_response_key(const char *key, const char *known, void *user)
{
    const scenario *s = user;
    json_t *at = json_object_get(s->responses_at, key);
    drv_report_response_key("ivrsm test", s->file, (int)json_integer_value(json_array_get(at, 0)),
                            (int)json_integer_value(json_array_get(at, 1)), s->machine, key, known);
}

static outcome run_file(runner *R, const char *file, unsigned index)
{
    char why[1200];
    scenario *s = scenario_load(file, why, sizeof(why));
    if (!s) {
        fprintf(stderr, "%s\n", why);
        printf("ERROR %s (does not load, see above)\n", file);
        note_result(R, file, NULL, OUTCOME_ERROR);
        return OUTCOME_ERROR;
    }
    outcome result = OUTCOME_ERROR;
    machine_slot *slot = machine_for(R, s);
    if (!slot) {
        printf("ERROR %s (its machine does not load, see above)\n", file);
    } else if (s->setup_count && !R->o.backend) {
        fprintf(stderr, "%s:%d: the setup requests need a backend: give --backend URL\n", s->file,
                s->setup[0].line);
        printf("ERROR %s (no backend for its setup)\n", file);
    } else {
        if (s->responses)
            drv_check_response_keys(s->machine, s->responses, report_response_key, s);
        if (!s->has_now && R->o.has_now && !slot->now_noted) {
            slot->now_noted = true;
            drv_note_time_without_offset("ivrsm test: --now: ", R->o.now_text, s->machine);
        }
        if (s->now_text) {
            char where[600];
            snprintf(where, sizeof(where), "%s:%d:%d: ", s->file, s->now_line, s->now_column);
            drv_note_time_without_offset(where, s->now_text, s->machine);
        }
        result = run_scenario(R, s, slot, index);
    }
    note_result(R, file, s, result);
    scenario_free(s);
    return result;
}

static void count(runner *R, outcome o)
{
    R->passed += o == OUTCOME_PASS;
    R->failed += o == OUTCOME_FAIL;
    R->errors += o == OUTCOME_ERROR;
    fflush(stdout);
}

/* A scenario file's name: .yaml, .yml or .json, not hidden. */
static int is_scenario_name(const struct dirent *e)
{
    const char *dot = strrchr(e->d_name, '.');
    return e->d_name[0] != '.' && dot &&
           (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

/* A file, or a directory: its scenario files in name order (not its subdirectories). */
static void run_argument(runner *R, const char *arg, unsigned *index)
{
    struct stat st;
    if (stat(arg, &st) != 0 || !S_ISDIR(st.st_mode)) {
        count(R, run_file(R, arg, (*index)++));
        return;
    }
    struct dirent **names = NULL;
    int n = scandir(arg, &names, is_scenario_name, alphasort);
    if (n <= 0) {
        fprintf(stderr, "%s: %s\n", arg,
                n < 0 ? strerror(errno) : "no scenario (*.yaml, *.yml, *.json) in this directory");
        printf("ERROR %s (no scenario, see above)\n", arg);
        note_result(R, arg, NULL, OUTCOME_ERROR);
        count(R, OUTCOME_ERROR);
        return;
    }
    size_t dir_len = strlen(arg);
    while (dir_len > 1 && arg[dir_len - 1] == '/')
        dir_len--;
    for (int i = 0; i < n; i++) {
        size_t size = dir_len + 1 + strlen(names[i]->d_name) + 1;
        char *path = malloc(size);
        if (path)
            snprintf(path, size, "%.*s/%s", (int)dir_len, arg, names[i]->d_name);
        count(R, path ? run_file(R, path, (*index)++) : OUTCOME_ERROR);
        free(path);
        free(names[i]);
    }
    free(names);
}

/* A stream on the real stdout, stdout itself becoming stderr. NULL on failure. */
static FILE *json_stdout(void)
{
    fflush(stdout);
    int fd = dup(STDOUT_FILENO);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        if (f)
            fclose(f);
        else
            close(fd);
        return NULL;
    }
    return f;
}

static void write_json(runner *R, FILE *out)
{
    json_t *coverage = json_array();
    for (size_t i = 0; i < R->machine_count; i++)
        if (R->machines[i].tally)
            json_array_append_new(coverage, cov_tally_json(R->machines[i].tally));
    json_t *doc =
        json_pack("{s:s, s:i, s:i, s:o, s:o}", "format", "ivrsm-test/1", "passed", R->passed,
                  "failed", R->failed + R->errors, "scenarios", R->results, "coverage", coverage);
    R->results = NULL;
    if (!doc || ivrsm_json_dumpf(doc, out, JSON_INDENT(1)) != 0 || fputc('\n', out) == EOF)
        fprintf(stderr, "ivrsm test: cannot write the JSON output\n");
    json_decref(doc);
    fclose(out);
}

int cmd_test(int argc, char **argv)
{
    runner R = {0};
    int status = parse_args(argc, argv, &R.o);
    if (status >= 0) {
        free(R.o.files);
        return status;
    }
    /* With --json the readable report goes to stderr and stdout gets the JSON. */
    FILE *json_out = R.o.json ? json_stdout() : NULL;
    if (R.o.json && !json_out) {
        fprintf(stderr, "ivrsm test: cannot set up the JSON output\n");
        free(R.o.files);
        return 2;
    }
    if (json_out)
        R.results = json_array();
    R.color = term_wants_color(stdout);
    unsigned index = 0;
    for (size_t i = 0; i < R.o.file_count; i++)
        run_argument(&R, R.o.files[i], &index);
    if (R.o.coverage) {
        for (size_t i = 0; i < R.machine_count; i++)
            if (R.machines[i].tally) {
                putchar('\n');
                cov_tally_print(R.machines[i].tally, stdout, R.o.verbose, R.color);
            }
        putchar('\n');
    }
    printf("%d passed, %d failed\n", R.passed, R.failed + R.errors);
    fflush(stdout);
    if (json_out)
        write_json(&R, json_out);
    for (size_t i = 0; i < R.machine_count; i++) {
        cov_tally_free(R.machines[i].tally);
        ivrsm_machine_unref(R.machines[i].m);
        free(R.machines[i].path);
    }
    free(R.machines);
    free(R.o.files);
    if (R.errors)
        return 2;
    return R.failed ? 1 : 0;
}
