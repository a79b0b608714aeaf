/*
 * ivrsm sim: run one call of a machine, the caller's side read from stdin.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounded_read.h"
#include "json_real.h"
#include "json_scan.h"
#include "driver.h"
#include "paths_answers.h"
#include "sim_inspect.h"
#include "sim_trace.h"
#include "term.h"
#include "yamldoc.h"

typedef struct sim_options {
    const char *machine;
    const char *backend;
    const char *responses;
    const char *trace;
    const char *call_id;
    const char *session_id;
    const char *now;
    int handoff_ok;
    int timeout_ms;
    bool json;
    bool made_up; /* --made-up-answers */
    const char **sets;
    size_t set_count;
} sim_options;

/* What the printing hooks need. */
typedef struct sim_out {
    const ivrsm_machine *machine;
    bool json;
    bool color;
    bool echo; /* echo caller lines (stdin is not a terminal) */
    sim_trace *trace;
} sim_out;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: ivrsm sim MACHINE [options] < caller-lines\n"
        "\n"
        "Run one call of MACHINE. Caller lines, one per line on stdin:\n"
        "  %s\n"
        "and lines that look at the call: :ctx (the context, secrets masked), :state\n"
        "(the state, its counters and the path so far), :help.\n"
        "\n"
        "options:\n"
        "  --backend URL        send http commands to this backend (http://127.0.0.1:8099)\n"
        "  --responses FILE     canned http answers: a JSON object mapping an endpoint\n"
        "                       name or \"METHOD /path\" to {\"status\": N, \"body\": ...}\n"
        "  --made-up-answers    answer each http command that --responses does not with\n"
        "                       a success made up from what the machine reads of it (the\n"
        "                       answers of 'ivrsm paths'): a call without a backend\n"
        "  --set KEY=VALUE      initial ctx value (VALUE as JSON when it parses, else a\n"
        "                       string; dotted keys nest); repeatable\n"
        "  --json               one JSON object per line per command\n"
        "  --trace FILE         write the call's trace (JSON lines), replayable with\n"
        "                       'ivrsm replay FILE'\n"
        "  --handoff ok|fail    answer handoffs with success (default) or failure\n"
        "  --now ISO8601        fixed clock, e.g. 2025-03-10T09:30:00+01:00 (default: real time)\n"
        "  --call-id ID         ctx.call_id (default: sim-<time>-<pid>)\n"
        "  --session-id ID      ctx.session_id (default: derived from the call id)\n"
        "  --timeout-ms N       the most any http request may take\n"
        "\n"
        "Exit status: 0 when the call ends or stdin ends, 1 on a runtime failure,\n"
        "2 on a usage error or a machine that does not load.\n",
        drv_input_syntax);
}

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "ivrsm sim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'ivrsm sim --help' for the options.\n");
    return 2;
}

static int parse_int_option(const char *text, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || v <= 0 || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

/* Take the value of an option that has one; 0 done, else the exit status. */
static int take_value(sim_options *o, const char *name, const char *v)
{
    const struct {
        const char *name;
        const char **slot;
    } strings[] = {{"--backend", &o->backend},       {"--responses", &o->responses},
                   {"--trace", &o->trace},           {"--call-id", &o->call_id},
                   {"--session-id", &o->session_id}, {"--now", &o->now}};
    for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++) {
        if (!strcmp(name, strings[i].name)) {
            *strings[i].slot = v;
            return 0;
        }
    }
    if (!strcmp(name, "--set")) {
        o->sets[o->set_count++] = v;
        return 0;
    }
    if (!strcmp(name, "--handoff")) {
        if (strcmp(v, "ok") != 0 && strcmp(v, "fail") != 0)
            return bad_usage("--handoff takes ok or fail, not '%s'", v);
        o->handoff_ok = !strcmp(v, "ok");
        return 0;
    }
    if (parse_int_option(v, &o->timeout_ms) != 0)
        return bad_usage("--timeout-ms takes a positive number of milliseconds, not '%s'", v);
    return 0;
}

/* Returns -1 to go on, or the exit status. */
static int parse_args(int argc, char **argv, sim_options *o)
{
    static const char *const with_value[] = {"--backend", "--responses",  "--trace",
                                             "--call-id", "--session-id", "--now",
                                             "--set",     "--handoff",    "--timeout-ms"};
    o->handoff_ok = 1;
    o->sets = calloc((size_t)argc, sizeof(*o->sets));
    if (!o->sets)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(arg, "--json")) {
            o->json = true;
            continue;
        }
        if (!strcmp(arg, "--made-up-answers")) {
            o->made_up = true;
            continue;
        }
        int found = 0;
        for (size_t k = 0; !found && k < sizeof(with_value) / sizeof(*with_value); k++) {
            const char *v = NULL;
            found = drv_option_value("ivrsm sim", argc, argv, &i, with_value[k], &v);
            if (found < 0)
                return 2;
            int status = found ? take_value(o, with_value[k], v) : 0;
            if (status)
                return status;
        }
        if (found)
            continue;
        if (arg[0] == '-' && arg[1] != '\0')
            return bad_usage("unknown option '%s'", arg);
        if (o->machine)
            return bad_usage("one machine only ('%s' is extra)", arg);
        o->machine = arg;
    }
    if (!o->machine)
        return bad_usage("%s", "a MACHINE file is required");
    return -1;
}

/* The initial ctx from the --set options, as JSON text (NULL when none). */
static int build_ctx(const sim_options *o, char **out)
{
    *out = NULL;
    for (size_t i = 0; i < o->set_count; i++) {
        const char *eq = strchr(o->sets[i], '=');
        if (!eq || eq == o->sets[i]) {
            ivrsm_free(*out);
            *out = NULL;
            return bad_usage("--set takes KEY=VALUE, not '%s'", o->sets[i]);
        }
        char *key = strndup(o->sets[i], (size_t)(eq - o->sets[i]));
        json_t *value = drv_value_from_text(eq + 1);
        char *value_json = value ? ivrsm_json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        char *ctx = NULL;
        /* The library's rule for a dotted key, the one `set:` follows. */
        int rc = key && value_json ? ivrsm_ctx_set_json(*out, key, value_json, &ctx) : IVRSM_ENOMEM;
        json_decref(value);
        free(value_json);
        ivrsm_free(*out);
        *out = ctx;
        if (rc != 0) {
            rc = rc == IVRSM_EINVAL
                     ? bad_usage("--set '%s': a part of the key is empty or too long",
                                 key ? key : o->sets[i])
                     : bad_usage("--set: %s", ivrsm_strerror(rc));
            free(key);
            return rc;
        }
        free(key);
    }
    return 0;
}

/*
 * The bodies' numbers as written in the file ("1250.50", which jansson reads
 * into a double): the file read again by the library's reader, which keeps
 * them.
 */
static int keep_written_bodies(const char *path, json_t *responses)
{
    ivrsm_document *doc = NULL;
    ivrsm_error err;
    if (ivrsm_document_load_file(path, IVRSM_FORMAT_JSON, &doc, &err) != 0)
        return 0;
    int rc = drv_keep_written_bodies(responses, ivrsm_document_root(doc));
    ivrsm_document_free(doc);
    if (rc != 0)
        fprintf(stderr, "ivrsm sim: %s: out of memory\n", path);
    return rc != 0 ? 2 : 0;
}

static int load_responses(const char *path, json_t **out)
{
    size_t len;
    char *text = bounded_file(path, IVRSM_MAX_DOCUMENT_BYTES, &len);
    if (!text) {
        fprintf(stderr, "ivrsm sim: %s: %s\n", path,
                errno == EFBIG ? "larger than a document may be (IVRSM_MAX_DOCUMENT_BYTES)"
                               : bounded_strerror(errno));
        return 2;
    }
    json_error_t e;
    /* A key twice is refused, as in a scenario's responses: which answer was meant? */
    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
    free(text);
    if (!*out) {
        char range[200];
        const char *why = ivrsm_json_int_range_error(e.text, range, sizeof range) ? range : e.text;
        if (e.line > 0)
            fprintf(stderr, "%s:%d:%d: %s\n", path, e.line, e.column > 0 ? e.column : 1, why);
        else
            fprintf(stderr, "ivrsm sim: %s\n", why);
        return 2;
    }
    if (!json_is_object(*out)) {
        fprintf(stderr, "%s: expected a JSON object mapping endpoint names to answers\n", path);
        json_decref(*out);
        *out = NULL;
        return 2;
    }
    return keep_written_bodies(path, *out);
}

/* ---------------------------------------------------------------------------
 * Output
 * ------------------------------------------------------------------------- */

static void print_json_line(const json_t *v)
{
    char *text = ivrsm_json_dumps(v, JSON_COMPACT);
    if (text) {
        term_put(stdout, text); /* still JSON: C1 and bidi controls become \u escapes */
        putchar('\n');
        free(text);
    }
    fflush(stdout);
}

static void print_error(const sim_out *out, const char *message, long line)
{
    if (out->json) {
        json_t *e = json_pack("{s:s, s:s}", "type", "error", "message", message);
        if (line > 0)
            json_object_set_new(e, "line", json_integer(line));
        print_json_line(e);
        json_decref(e);
        return;
    }
    fflush(stdout);
    if (line > 0)
        fprintf(stderr, "ivrsm sim: stdin:%ld: ", line);
    else
        fputs("ivrsm sim: ", stderr);
    term_put(stderr, message); /* it may quote the line read or the backend */
    fputc('\n', stderr);
}

static void on_command(void *user, const drv_report *r)
{
    const sim_out *out = user;
    json_t *shown = json_deep_copy(r->shown);
    const char *type = json_string_value(json_object_get(shown, "type"));
    /* say and ask always carry a text, possibly empty (a listen state). */
    if (type && (!strcmp(type, "say") || !strcmp(type, "ask")) && !json_object_get(shown, "text"))
        json_object_set_new(shown, "text", json_string(""));
    if (out->json) {
        print_json_line(shown);
    } else {
        char *lines = term_render_command(shown, "", out->color);
        if (lines)
            fputs(lines, stdout);
        free(lines);
        fflush(stdout);
    }
    json_decref(shown);
}

static void on_input(void *user, const drv_input *in, const drv_input *recorded, int64_t now)
{
    sim_out *out = user;
    if (out->trace)
        sim_trace_input(out->trace, in, recorded, now);
}

/* What the keypad made of keys typed: more keys than the question takes, a
 * lone terminator (see drv_keypad_read()). */
static void on_keypad(void *user, const char *note)
{
    const sim_out *out = user;
    if (out->json) {
        json_t *line = json_pack("{s:s, s:s}", "type", "keypad", "note", note);
        print_json_line(line);
        json_decref(line);
    } else {
        printf("%s(keypad: %s)%s\n", term_sgr(out->color, TERM_DIM), note,
               term_sgr(out->color, TERM_RESET));
        fflush(stdout);
    }
}

static void on_trace(void *user, const char *record)
{
    sim_out *out = user;
    if (out->trace)
        sim_trace_record(out->trace, record);
}

/*
 * How a secret input is echoed: keyed, one star per key and the '#' that
 * ends the entry as typed ("******#"); spoken in digits, one star per digit;
 * spoken in words, three stars whatever its length (the length of "quatre"
 * against "cinq" would tell the digits). A new string, or NULL.
 */
static char *masked(const drv_input *in)
{
    size_t n = strlen(in->text);
    bool digits_only = n > 0 && strspn(in->text, "0123456789 ") == n;
    if (in->type == IVRSM_EVENT_SPEECH && !digits_only)
        return strdup("***");
    char *stars = malloc(n + 1);
    if (!stars)
        return NULL;
    size_t k = 0;
    for (const char *p = in->text; *p; p++)
        if (*p != ' ')
            stars[k++] = *p == '#' && in->type == IVRSM_EVENT_DTMF ? '#' : '*';
    stars[k] = '\0';
    return stars;
}

/* "YOU  ‹ dtmf 1", with a secret masked. */
static void echo_input(const sim_out *out, const drv_input *in, bool secret)
{
    drv_input shown = *in;
    char *stars = NULL;
    if (secret && in->text) {
        stars = masked(in);
        shown.text = stars ? stars : (char *)"***";
    }
    char *line = drv_input_format(&shown);
    char *text = line ? term_render_input(line, "", out->color) : NULL;
    if (text)
        fputs(text, stdout);
    free(text);
    free(line);
    free(stars);
}

/* ---------------------------------------------------------------------------
 * The call
 * ------------------------------------------------------------------------- */

/* Read caller lines until the call or stdin ends. Returns the exit status. */
/* A caller line holds one input (at most IVRSM_MAX_INPUT_BYTES) and its keyword. A longer
 * line, such as one without end piped from /dev/zero, is reported and skipped as it comes,
 * never kept whole. */
#define SIM_MAX_LINE_BYTES 65536

static int converse(drv *d, sim_out *out, bool interactive)
{
    char *line = NULL;
    size_t cap = 0;
    long number = 0;
    int status = 0;
    while (!drv_ended(d)) {
        if (interactive) {
            /* In JSON mode stdout carries JSON only: the prompt goes to stderr. */
            FILE *prompt = out->json ? stderr : stdout;
            fputs("you> ", prompt);
            fflush(prompt);
        }
        size_t len;
        bounded_status got = bounded_line(stdin, SIM_MAX_LINE_BYTES, &line, &cap, &len);
        if (got == BOUNDED_TOO_LONG) {
            number++;
            bounded_skip_line(stdin);
            char why[100];
            snprintf(why, sizeof(why), "a line longer than %d bytes (no input is): skipped",
                     SIM_MAX_LINE_BYTES);
            print_error(out, why, number);
            continue;
        }
        if (got != BOUNDED_LINE)
            break;
        number++;
        drv_input in;
        char why[400];
        int looked = sim_inspect(line, d, out->machine, out->json, out->color, why, sizeof(why));
        if (looked < 0)
            print_error(out, why, number);
        if (looked != 0)
            continue;
        int rc = drv_input_parse(line, &in, why, sizeof(why));
        if (rc < 0) {
            print_error(out, why, number);
            continue;
        }
        if (rc == 0)
            continue;
        if (out->echo && !out->json)
            echo_input(out, &in, drv_secret_expected(d));
        drv_status st = drv_feed_input(d, &in);
        drv_input_clear(&in);
        if (st == DRV_REFUSED) {
            print_error(out, drv_error(d), number);
        } else if (st == DRV_FAILED) {
            print_error(out, drv_error(d), out->json ? number : 0);
            if (out->json)
                fprintf(stderr, "ivrsm sim: %s\n", drv_error(d));
            status = 1;
            break;
        }
    }
    if (interactive && status == 0 && !out->json) {
        if (drv_ended(d))
            printf("%s(the call ended: %s)%s\n", term_sgr(out->color, TERM_DIM), drv_end_kind(d),
                   term_sgr(out->color, TERM_RESET));
        else
            putchar('\n');
    }
    free(line);
    return status;
}

static int run(const sim_options *o, ivrsm_machine *m, const char *ctx_json,
               const json_t *responses)
{
    char call_id[64];
    if (!o->call_id)
        snprintf(call_id, sizeof(call_id), "sim-%llx-%ld", (unsigned long long)drv_real_now_ms(),
                 (long)getpid());
    drv_config cfg = {
        .machine = m,
        .call_id = o->call_id ? o->call_id : call_id,
        .session_id = o->session_id,
        .ctx_json = ctx_json,
        .backend_url = o->backend,
        .responses = responses,
        .responses_name = o->responses ? o->responses
                          : o->made_up ? "the made-up answers"
                                       : NULL,
        .backend_hint = "use --backend URL, --responses FILE.json or --made-up-answers",
        .handoff_ok = o->handoff_ok,
        .http_timeout_ms = o->timeout_ms,
        .stand_ins = o->trace != NULL,
        .keypad = true,
    };
    if (o->now && drv_parse_time(o->now, &cfg.now_ms) != 0)
        return bad_usage("--now takes an ISO 8601 time like 2025-03-10T09:30:00+01:00, not '%s'",
                         o->now);
    if (o->now)
        drv_note_time_without_offset("ivrsm sim: --now: ", o->now, o->machine);
    cfg.clock = o->now ? DRV_CLOCK_FIXED : DRV_CLOCK_REAL;
    sim_out out = {.machine = m,
                   .json = o->json,
                   .color = !o->json && term_wants_color(stdout),
                   .echo = !isatty(STDIN_FILENO)};
    cfg.hooks = (drv_hooks){.command = on_command,
                            .input = on_input,
                            .trace = on_trace,
                            .keypad = on_keypad,
                            .user = &out};
    char why[600];
    if (o->trace && !(out.trace = sim_trace_open(o->trace, why, sizeof(why)))) {
        fprintf(stderr, "ivrsm sim: %s\n", why);
        return 2;
    }
    drv *d = drv_new(&cfg, why, sizeof(why));
    if (!d) {
        fprintf(stderr, "ivrsm sim: %s\n", why);
        sim_trace_close(out.trace);
        return 2;
    }
    if (out.trace)
        sim_trace_header(out.trace, &cfg, o->machine, drv_now(d));
    int status = 0;
    bool interactive = isatty(STDIN_FILENO) != 0;
    if (interactive && !out.json)
        printf("%sCaller lines: %s. Looking at the call: %s. Ctrl-D stops.%s\n",
               term_sgr(out.color, TERM_DIM), drv_input_syntax, sim_inspect_syntax,
               term_sgr(out.color, TERM_RESET));
    if (drv_start(d) != DRV_OK) {
        print_error(&out, drv_error(d), 0);
        status = 1;
    } else {
        status = converse(d, &out, interactive);
    }
    drv_free(d);
    if (sim_trace_close(out.trace) != 0) {
        fprintf(stderr, "ivrsm sim: cannot write %s\n", o->trace);
        status = status ? status : 1;
    }
    return status;
}

/* --made-up-answers: the answers ivrsm paths makes up, under those of --responses. */
static int add_made_up_answers(const sim_options *o, json_t **responses)
{
    char err[1200];
    json_t *lines = NULL;
    json_t *doc =
        yamldoc_load_lines(o->machine, IVRSM_MAX_DOCUMENT_BYTES, &lines, err, sizeof(err));
    json_decref(lines);
    if (!doc) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    int64_t now_ms = drv_real_now_ms();
    if (o->now)
        drv_parse_time(o->now, &now_ms);
    json_t *made_up = pa_made_up_responses(doc, now_ms);
    json_decref(doc);
    if (!made_up) {
        fprintf(stderr, "ivrsm sim: out of memory\n");
        return 1;
    }
    if (*responses)
        json_object_update(made_up, *responses);
    json_decref(*responses);
    *responses = made_up;
    return 0;
}

static void report_response_key(const char *key, const char *known, void *user)
{
    const sim_options *o = user;
    drv_report_response_key("ivrsm sim", o->responses, 0, 0, o->machine, key, known);
}

int cmd_sim(int argc, char **argv)
{
    sim_options o = {0};
    int status = parse_args(argc, argv, &o);
    if (status >= 0) {
        free(o.sets);
        return status;
    }
    char *ctx_json = NULL;
    json_t *responses = NULL;
    ivrsm_machine *m = NULL;
    status = build_ctx(&o, &ctx_json);
    if (status == 0 && o.responses)
        status = load_responses(o.responses, &responses);
    if (status == 0 && o.backend && (o.responses || o.made_up))
        status = bad_usage("%s", "--backend excludes --responses and --made-up-answers");
    if (status == 0 && !(m = drv_load_machine(o.machine)))
        status = 2;
    if (status == 0 && responses)
        drv_check_response_keys(o.machine, responses, report_response_key, &o);
    if (status == 0 && o.made_up)
        status = add_made_up_answers(&o, &responses);
    if (status == 0)
        status = run(&o, m, ctx_json, responses);
    ivrsm_machine_unref(m);
    json_decref(responses);
    ivrsm_free(ctx_json);
    free(o.sets);
    return status;
}
