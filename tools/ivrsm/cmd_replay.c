/*
 * ivrsm replay: run a recorded call again and compare, record by record.
 *
 * The caller's inputs, the backend's answers, the handoff answers and the
 * clock all come from the trace, so a replay is deterministic: any
 * difference comes from the machine or the library. Secrets are hidden in
 * traces ("***"); a hidden value matches anything, and a secret caller input
 * is replayed through the stand-in the sim checked and recorded (see
 * docs/cli.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounded_read.h"
#include "file.h"
#include "json_real.h"
#include "json_scan.h"
#include "driver.h"
#include "sim_trace.h"
#include "term.h"

/* What a hidden value is replaced with when fed back: the library would
 * scrub a secret equal to "***" from its records forever. */
#define HIDDEN_VALUE_FED "<redacted>"

typedef struct trace_line {
    json_t *rec;
    long line;
} trace_line;

typedef struct replay {
    const char *file;
    trace_line *lines;
    size_t count;
    const json_t *header; /* the {"kind":"sim"} record, or NULL */
    /* The session's records in the trace (not the sim's own), in order. */
    size_t *recorded;
    size_t recorded_count;
    /* Answers for the driver, in trace order. */
    size_t *answers;
    size_t answer_count;
    size_t answer_next;
    json_t *actual; /* the replay's records */
    drv *d;
    size_t compare_limit; /* records compared: up to a secret input without stand-in */
    long secret_line;     /* where that input is, 0 when none */
} replay;

static void usage(FILE *out)
{
    fprintf(out, "usage: ivrsm replay TRACE [--machine FILE]\n"
                 "\n"
                 "Run the call recorded by 'ivrsm sim --trace TRACE' again, with the same\n"
                 "caller inputs, backend answers, handoff answers and clock, and report the\n"
                 "first record that differs.\n"
                 "\n"
                 "options:\n"
                 "  --machine FILE   replay on this machine instead of the recorded one\n"
                 "                   (e.g. a new version of it)\n"
                 "\n"
                 "Exit status: 0 when the replay is identical, 1 on a divergence,\n"
                 "2 on a usage error, an unreadable trace or a machine that does not load.\n");
}

/* ---------------------------------------------------------------------------
 * Reading the trace
 * ------------------------------------------------------------------------- */

/* A trace is read whole, and anyone may have written it: /dev/zero, or a line without end,
 * is refused past this bound (the bound of `ivrsm view --trace`). */
#define REPLAY_MAX_TRACE_BYTES (64u * 1024u * 1024u)

static int read_trace(replay *r)
{
    bool fifo;
    FILE *f = ivrsm_file_open_read(r->file, &fifo);
    if (!f) {
        fprintf(stderr, "ivrsm replay: cannot open %s: %s\n", r->file, strerror(errno));
        return 2;
    }
    char *line = NULL;
    size_t cap = 0, alloc = 0, len, budget = REPLAY_MAX_TRACE_BYTES;
    long number = 0;
    int status = 0;
    bounded_status got;
    while ((got = bounded_line(f, budget, &line, &cap, &len)) == BOUNDED_LINE) {
        budget -= len;
        number++;
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        json_error_t e;
        json_t *rec = json_loads(line, 0, &e);
        if (!json_is_object(rec)) {
            char range[200];
            fprintf(stderr, "%s:%ld:%d: not a trace record: %s\n", r->file, number, e.column,
                    rec ? "expected a JSON object"
                    : ivrsm_json_int_range_error(e.text, range, sizeof range) ? range
                                                                              : e.text);
            json_decref(rec);
            status = 2;
            break;
        }
        if (r->count == alloc) {
            alloc = alloc ? alloc * 2 : 256;
            trace_line *more = realloc(r->lines, alloc * sizeof(*more));
            if (!more) {
                json_decref(rec);
                status = 1;
                break;
            }
            r->lines = more;
        }
        r->lines[r->count++] = (trace_line){rec, number};
    }
    if (status == 0 && got == BOUNDED_TOO_LONG) {
        fprintf(stderr, "ivrsm replay: %s: larger than %u MiB, which no trace is\n", r->file,
                REPLAY_MAX_TRACE_BYTES >> 20);
        status = 2;
    } else if (status == 0 && got == BOUNDED_ERROR) {
        fprintf(stderr, "ivrsm replay: %s: cannot read: %s\n", r->file, strerror(errno));
        status = 2;
    } else if (status == 0 && number == 0 && fifo) {
        fprintf(stderr, "ivrsm replay: %s: %s\n", r->file, IVRSM_FILE_NOTHING_WRITTEN);
        status = 2;
    }
    free(line);
    fclose(f);
    return status;
}

static const char *kind_of(const json_t *rec)
{
    const char *k = json_string_value(json_object_get(rec, "kind"));
    return k ? k : "";
}

static const char *field(const json_t *rec, const char *key)
{
    return json_string_value(json_object_get(rec, key));
}

static bool is_caller_event(const json_t *rec)
{
    static const char *const types[] = {"dtmf",    "speech", "intent", "noinput",
                                        "nomatch", "hangup", NULL};
    const char *type = field(rec, "type");
    if (strcmp(kind_of(rec), "event") != 0 || !type)
        return false;
    for (const char *const *t = types; *t; t++)
        if (!strcmp(*t, type))
            return true;
    return false;
}

static bool is_answer_event(const json_t *rec)
{
    const char *type = field(rec, "type");
    return !strcmp(kind_of(rec), "event") && type &&
           (!strcmp(type, "action_result") || !strcmp(type, "handoff_result"));
}

/* Sort the lines: the header, the session's records, the answers among them. */
static int index_trace(replay *r)
{
    r->recorded = calloc(r->count + 1, sizeof(size_t));
    r->answers = calloc(r->count + 1, sizeof(size_t));
    if (!r->recorded || !r->answers)
        return 1;
    for (size_t i = 0; i < r->count; i++) {
        const json_t *rec = r->lines[i].rec;
        const char *kind = kind_of(rec);
        if (!strcmp(kind, "sim")) {
            if (i != 0 || r->header) {
                fprintf(stderr, "%s:%ld: a sim header record belongs on the first line only\n",
                        r->file, r->lines[i].line);
                return 2;
            }
            r->header = rec;
            continue;
        }
        if (!strcmp(kind, "input"))
            continue;
        r->recorded[r->recorded_count++] = i;
        if (is_answer_event(rec))
            r->answers[r->answer_count++] = i;
    }
    r->compare_limit = r->recorded_count;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Feeding the recorded answers back
 * ------------------------------------------------------------------------- */

/* A copy of v where every "***" string is HIDDEN_VALUE_FED. */
static json_t *hidden_values_fed(const json_t *v)
{
    if (json_is_string(v) && !strcmp(json_string_value(v), "***"))
        return json_string(HIDDEN_VALUE_FED);
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) json_object_set_new(o, k, hidden_values_fed(x));
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) json_array_append_new(a, hidden_values_fed(x));
        return a;
    }
    return json_deep_copy(v);
}

/* The next recorded answer, which must be of `type`. */
static const json_t *next_answer(replay *r, const char *type, char *err, size_t errlen)
{
    if (r->answer_next >= r->answer_count) {
        snprintf(err, errlen, "the replay needs a %s the trace does not hold", type);
        return NULL;
    }
    const trace_line *l = &r->lines[r->answers[r->answer_next]];
    if (strcmp(field(l->rec, "type"), type) != 0) {
        snprintf(err, errlen, "the replay needs a %s where the trace has a %s (line %ld)", type,
                 field(l->rec, "type"), l->line);
        return NULL;
    }
    r->answer_next++;
    json_t *t = json_object_get(l->rec, "t");
    if (json_is_integer(t))
        drv_set_now(r->d, (int64_t)json_integer_value(t));
    return l->rec;
}

static int answer_http(void *user, const ivrsm_command *cmd, drv_answer *out, char *err,
                       size_t errlen)
{
    (void)cmd;
    const json_t *rec = next_answer(user, "action_result", err, errlen);
    if (!rec)
        return -1;
    out->status = (int)json_integer_value(json_object_get(rec, "status"));
    const char *error = field(rec, "error");
    out->error = error ? strdup(error) : NULL;
    json_t *body = json_object_get(rec, "body");
    if (body) {
        json_t *fed = hidden_values_fed(body);
        out->body = ivrsm_json_dumps(fed, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(fed);
    }
    return 0;
}

static int answer_handoff(void *user, const ivrsm_command *cmd, int *ok, char *err, size_t errlen)
{
    (void)cmd;
    const json_t *rec = next_answer(user, "handoff_result", err, errlen);
    if (!rec)
        return -1;
    *ok = json_is_true(json_object_get(rec, "ok"));
    return 0;
}

static void collect_record(void *user, const char *text)
{
    replay *r = user;
    json_t *rec = json_loads(text, 0, NULL);
    if (rec)
        json_array_append_new(r->actual, rec);
}

/* ---------------------------------------------------------------------------
 * Running and comparing
 * ------------------------------------------------------------------------- */

/* The most recent sim input record before line index `at`, or NULL. */
static const json_t *input_record_before(const replay *r, size_t at)
{
    for (size_t i = at; i-- > 0;) {
        const char *kind = kind_of(r->lines[i].rec);
        if (!strcmp(kind, "input"))
            return r->lines[i].rec;
        if (!strcmp(kind, "event"))
            return NULL;
    }
    return NULL;
}

/* The input to feed for a recorded caller event; 1 when it is a secret the trace does not hold. */
static int input_for(const replay *r, size_t at, drv_input *in)
{
    const json_t *rec = r->lines[at].rec;
    static const struct {
        const char *name;
        ivrsm_event_type type;
    } types[] = {{"dtmf", IVRSM_EVENT_DTMF},       {"speech", IVRSM_EVENT_SPEECH},
                 {"intent", IVRSM_EVENT_INTENT},   {"noinput", IVRSM_EVENT_NOINPUT},
                 {"nomatch", IVRSM_EVENT_NOMATCH}, {"hangup", IVRSM_EVENT_HANGUP}};
    memset(in, 0, sizeof(*in));
    in->confidence = -1;
    const char *type = field(rec, "type");
    for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
        if (!strcmp(type, types[i].name))
            in->type = types[i].type;
    json_t *conf = json_object_get(rec, "confidence");
    if (json_is_number(conf))
        in->confidence = json_number_value(conf);
    const char *text = field(rec, "text");
    if (!text || strcmp(text, "***") != 0) {
        in->text = text ? strdup(text) : NULL;
        return 0;
    }
    const json_t *sim_input = input_record_before(r, at);
    const char *line = sim_input && json_is_true(json_object_get(sim_input, "stand_in"))
                           ? field(sim_input, "line")
                           : NULL;
    char why[300];
    if (line && drv_input_parse(line, in, why, sizeof(why)) == 1)
        return 0;
    return 1;
}

static json_t *ctx_from_header(const json_t *header)
{
    json_t *ctx = header ? json_object_get(header, "ctx") : NULL;
    return json_is_object(ctx) && json_object_size(ctx) ? hidden_values_fed(ctx) : NULL;
}

/* Run the call again; its records land in r->actual. Returns a driver error or NULL. */
static char *run_replay(replay *r, ivrsm_machine *m)
{
    json_t *ctx = ctx_from_header(r->header);
    char *ctx_json = ctx ? ivrsm_json_dumps(ctx, JSON_COMPACT) : NULL;
    json_decref(ctx);
    json_t *now = r->header ? json_object_get(r->header, "now") : NULL;
    if (!json_is_integer(now) && r->recorded_count)
        now = json_object_get(r->lines[r->recorded[0]].rec, "t");
    /* A trace without a header (another host's) still names its session. */
    const char *session_id = r->header ? field(r->header, "session_id") : NULL;
    if (!r->header && r->recorded_count)
        session_id = field(r->lines[r->recorded[0]].rec, "session");
    drv_config cfg = {
        .machine = m,
        .call_id = r->header ? field(r->header, "call_id") : NULL,
        .session_id = session_id,
        .ctx_json = ctx_json,
        .clock = DRV_CLOCK_MANUAL,
        .now_ms = json_is_integer(now) ? (int64_t)json_integer_value(now) : 0,
        .http = answer_http,
        .handoff = answer_handoff,
        .answer_user = r,
        .hooks = {.trace = collect_record, .user = r},
    };
    char why[600];
    char *failure = NULL;
    r->d = drv_new(&cfg, why, sizeof(why));
    free(ctx_json);
    if (!r->d)
        return strdup(why);
    if (drv_start(r->d) == DRV_FAILED)
        failure = strdup(drv_error(r->d));
    for (size_t k = 0; !failure && k < r->recorded_count; k++) {
        size_t at = r->recorded[k];
        if (!is_caller_event(r->lines[at].rec))
            continue;
        drv_input in;
        if (input_for(r, at, &in) != 0) {
            r->compare_limit = k;
            r->secret_line = r->lines[at].line;
            break;
        }
        json_t *t = json_object_get(r->lines[at].rec, "t");
        if (json_is_integer(t))
            drv_set_now(r->d, (int64_t)json_integer_value(t));
        /* A refused input shows as a divergence: its event record is missing. */
        if (drv_feed_input(r->d, &in) == DRV_FAILED)
            failure = strdup(drv_error(r->d));
        drv_input_clear(&in);
    }
    return failure;
}

/* A record as the sim shows it (a command), or its kind and main fields. */
static void describe(FILE *out, const json_t *rec, const char *label)
{
    if (!rec) {
        fprintf(out, "  %s (nothing: the %s ends here)\n", label,
                !strcmp(label, "expected:") ? "trace" : "replay");
        return;
    }
    const char *kind = kind_of(rec);
    fprintf(out, "  %s ", label);
    if (!strcmp(kind, "command")) {
        char *text = term_render_command(rec, "", false);
        /* Continuation lines line up under the first one. */
        for (char *line = text, *nl; line && *line; line = nl + 1) {
            nl = strchr(line, '\n');
            if (!nl)
                break;
            fprintf(out, "%s%.*s\n", line == text ? "" : "            ", (int)(nl - line), line);
        }
        free(text);
    } else if (!strcmp(kind, "transition")) {
        fputs("transition ", out);
        term_put(out, field(rec, "from") ? field(rec, "from") : "-");
        fputs(" → ", out);
        term_put(out, field(rec, "to"));
        fputs(" (", out);
        term_put(out, field(rec, "reason"));
        fputs(")\n", out);
    } else {
        const char *what = field(rec, "type") ? field(rec, "type") : field(rec, "detail");
        term_put(out, kind);
        fputc(' ', out);
        term_put(out, what);
        fputc('\n', out);
    }
    /* A trace file is anyone's: what it holds is quoted, never sent to the terminal raw. */
    char *json = ivrsm_json_dumps(rec, JSON_COMPACT);
    fputs("            ", out);
    term_put(out, json);
    fputc('\n', out);
    free(json);
}

/* The top-level fields whose values differ, e.g. "text, state". */
static void print_differing_fields(FILE *out, const json_t *expected, const json_t *actual)
{
    const char *sep = "  differs in: ";
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)expected, k, v)
    {
        json_t *w = json_object_get(actual, k);
        if (!w || !drv_json_match_redacted(v, w, NULL)) {
            fputs(sep, out);
            term_put(out, k);
            sep = ", ";
        }
    }
    json_object_foreach((json_t *)actual, k, v)
    {
        if (!json_object_get(expected, k)) {
            fputs(sep, out);
            term_put(out, k);
            sep = ", ";
        }
    }
    if (strcmp(sep, ", ") == 0)
        fputc('\n', out);
}

/* Report the first difference; returns the exit status. */
static int compare(replay *r, const char *failure)
{
    size_t n_actual = json_array_size(r->actual);
    size_t events = 0;
    for (size_t k = 0; k < r->compare_limit; k++) {
        const trace_line *l = &r->lines[r->recorded[k]];
        const json_t *got = k < n_actual ? json_array_get(r->actual, k) : NULL;
        if (!strcmp(kind_of(l->rec), "event"))
            events++;
        if (got && drv_json_match_redacted(l->rec, got, NULL))
            continue;
        printf("replay: divergence at event %zu (%s line %ld, record %zu):\n", events, r->file,
               l->line, k + 1);
        describe(stdout, l->rec, "expected:");
        describe(stdout, got, "actual:  ");
        if (got)
            print_differing_fields(stdout, l->rec, got);
        if (failure) {
            fputs("  the replay stopped: ", stdout);
            term_put(stdout, failure);
            putchar('\n');
        }
        return 1;
    }
    if (r->secret_line == 0 && n_actual > r->recorded_count) {
        printf("replay: divergence after the last recorded event: the replay goes on\n");
        describe(stdout, NULL, "expected:");
        describe(stdout, json_array_get(r->actual, r->recorded_count), "actual:  ");
        return 1;
    }
    if (failure) {
        fputs("replay: the replay stopped: ", stdout);
        term_put(stdout, failure);
        putchar('\n');
        return 1;
    }
    printf("replay: identical: %zu events, %zu records", events, r->compare_limit);
    if (r->secret_line)
        printf(" (compared up to %s line %ld: a secret input without a stand-in)", r->file,
               r->secret_line);
    printf("\n");
    return 0;
}

static int check_header(const replay *r, const char *machine_option)
{
    if (!r->header) {
        if (machine_option)
            return 0;
        fprintf(stderr,
                "ivrsm replay: %s has no sim header record: give the machine with --machine\n",
                r->file);
        return 2;
    }
    const char *format = field(r->header, "format");
    if (!format || strcmp(format, SIM_TRACE_FORMAT) != 0) {
        fprintf(stderr, "%s:%ld: unknown trace format '%s' (expected %s)\n", r->file,
                r->lines[0].line, format ? format : "", SIM_TRACE_FORMAT);
        return 2;
    }
    if (!machine_option && !field(r->header, "machine")) {
        fprintf(stderr, "%s:%ld: the header names no machine: give it with --machine\n", r->file,
                r->lines[0].line);
        return 2;
    }
    return 0;
}

static void note_other_machine(const replay *r, const ivrsm_machine *m)
{
    const char *name = r->header ? field(r->header, "machine_name") : NULL;
    const char *version = r->header ? field(r->header, "machine_version") : NULL;
    if (name && version &&
        (strcmp(name, ivrsm_machine_name(m)) || strcmp(version, ivrsm_machine_version(m))))
        fprintf(stderr, "ivrsm replay: note: the call was recorded on %s %s, replayed on %s %s\n",
                name, version, ivrsm_machine_name(m), ivrsm_machine_version(m));
}

static void replay_free(replay *r)
{
    for (size_t i = 0; i < r->count; i++)
        json_decref(r->lines[i].rec);
    free(r->lines);
    free(r->recorded);
    free(r->answers);
    json_decref(r->actual);
    drv_free(r->d);
}

int cmd_replay(int argc, char **argv)
{
    const char *machine_option = NULL;
    replay r = {0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        int got;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if ((got = drv_option_value("ivrsm replay", argc, argv, &i, "--machine", &v)) != 0) {
            if (got < 0)
                return 2;
            machine_option = v;
        } else if (drv_operand("ivrsm replay", argv[i], "trace", &r.file) != 0) {
            return 2;
        }
    }
    if (!r.file) {
        usage(stderr);
        return 2;
    }
    int status = read_trace(&r);
    if (status == 0)
        status = index_trace(&r);
    if (status == 0)
        status = check_header(&r, machine_option);
    ivrsm_machine *m = NULL;
    if (status == 0 &&
        !(m = drv_load_machine(machine_option ? machine_option : field(r.header, "machine"))))
        status = 2;
    if (status == 0) {
        note_other_machine(&r, m);
        r.actual = json_array();
        char *failure = run_replay(&r, m);
        status = compare(&r, failure);
        free(failure);
    }
    ivrsm_machine_unref(m);
    replay_free(&r);
    return status;
}
