/*
 * ivrsm paths: scenario files that together take every transition of a
 * machine, by shortest calls (paths_explore.c finds them, paths_write.c
 * writes them), and the transitions no call can take, with the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounded_read.h"
#include "driver.h"
#include "json_scan.h"
#include "paths_data.h"
#include "paths_write.h"
#include "yamldoc.h"

int cmd_paths(int argc, char **argv);

#define PATHS_DEFAULT_NOW "2026-11-25T09:30:00+01:00"
#define PATHS_DEFAULT_BUDGET 20000
#define PATHS_MAX_INPUTS 60

typedef struct paths_options {
    const char *machine;
    const char *backend;
    const char *responses;
    const char *dir;
    const char *now;
    size_t budget;
} paths_options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ivrsm paths MACHINE [--backend URL | --responses FILE.json] [-o DIR]\n"
            "                   [--now ISO8601] [--max-situations N]\n"
            "\n"
            "Write scenario files (the format of `ivrsm test`) that together take every\n"
            "transition of the machine, each by a shortest call, with the caller's inputs,\n"
            "the backend's answers and the states reached; then list the transitions no\n"
            "call takes, with the reason. `ivrsm test DIR/*.yaml --coverage` runs them\n"
            "without a backend: the answers are in the scenarios.\n"
            "\n"
            "options:\n"
            "  --responses FILE   answers to offer the machine's http calls (the format of\n"
            "                     `ivrsm sim --responses`: each answer listed is tried);\n"
            "                     without it, 200 {} and a made-up failure are tried\n"
            "  --backend URL      ask this backend instead while searching (it receives\n"
            "                     every request of the search); its answers are written\n"
            "  -o, --output DIR   where the scenarios go (default: paths); scenarios an\n"
            "                     earlier run generated there and not written again are removed\n"
            "  --now ISO8601      the clock of every call (default " PATHS_DEFAULT_NOW ")\n"
            "  --max-situations N the search's budget (default %d)\n"
            "  -h, --help         show this help\n"
            "\n"
            "exit status: 0 written, 1 the machine does not load, 2 usage or I/O error\n",
            PATHS_DEFAULT_BUDGET);
}

static int parse_args(int argc, char **argv, paths_options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if ((r = drv_option_value("ivrsm paths", argc, argv, &i, "--backend", &v)) != 0) {
            if (r < 0)
                return 2;
            o->backend = v;
        } else if ((r = drv_option_value("ivrsm paths", argc, argv, &i, "--responses", &v)) != 0) {
            if (r < 0)
                return 2;
            o->responses = v;
        } else if ((r = drv_output_option("ivrsm paths", argc, argv, &i, &o->dir)) != 0) {
            if (r < 0)
                return 2;
        } else if ((r = drv_option_value("ivrsm paths", argc, argv, &i, "--now", &v)) != 0) {
            if (r < 0)
                return 2;
            o->now = v;
        } else if ((r = drv_option_value("ivrsm paths", argc, argv, &i, "--max-situations", &v)) !=
                   0) {
            char *end;
            long n = r > 0 ? strtol(v, &end, 10) : 0;
            if (r < 0 || *end || n < 1) {
                fprintf(stderr, "ivrsm paths: --max-situations takes a positive number\n");
                return 2;
            }
            o->budget = (size_t)n;
        } else if (drv_operand("ivrsm paths", a, "machine", &o->machine) != 0) {
            return 2;
        }
    }
    if (drv_operand_given("ivrsm paths", "machine", o->machine, usage) != 0)
        return 2;
    if (o->backend && o->responses) {
        fprintf(stderr, "ivrsm paths: --backend and --responses exclude each other\n");
        return 2;
    }
    return -1;
}

static json_t *load_responses(const char *path)
{
    /* Within a document's bound and without waiting on a FIFO, as `sim --responses` reads. */
    size_t len;
    char *text = bounded_file(path, IVRSM_MAX_DOCUMENT_BYTES, &len);
    if (!text) {
        fprintf(stderr, "ivrsm paths: %s: %s\n", path,
                errno == EFBIG ? "larger than a document may be (IVRSM_MAX_DOCUMENT_BYTES)"
                               : bounded_strerror(errno));
        return NULL;
    }
    json_error_t je;
    /* A key twice is refused, as `sim --responses` refuses it: which answer was meant? */
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!v) {
        char range[200];
        fprintf(stderr, "%s:%d:%d: %s\n", path, je.line, je.column,
                ivrsm_json_int_range_error(je.text, range, sizeof range) ? range : je.text);
        return NULL;
    }
    if (!json_is_object(v)) {
        fprintf(stderr,
                "%s: the responses are a JSON object: endpoint or \"METHOD /path\" → "
                "answer or list of answers\n",
                path);
        json_decref(v);
        return NULL;
    }
    /* The bodies' numbers as written ("1250.50"): the library's reader keeps them. */
    ivrsm_document *doc = NULL;
    ivrsm_error err;
    if (ivrsm_document_load_file(path, IVRSM_FORMAT_JSON, &doc, &err) == 0 &&
        drv_keep_written_bodies(v, ivrsm_document_root(doc)) != 0) {
        fprintf(stderr, "ivrsm paths: %s: out of memory\n", path);
        json_decref(v);
        v = NULL;
    }
    ivrsm_document_free(doc);
    return v;
}

static void report_response_key(const char *key, const char *known, void *user)
{
    const paths_options *o = user;
    drv_report_response_key("ivrsm paths", o->responses, 0, 0, o->machine, key, known);
}

int cmd_paths(int argc, char **argv)
{
    paths_options o = {.dir = "paths", .now = PATHS_DEFAULT_NOW, .budget = PATHS_DEFAULT_BUDGET};
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        return status;
    int64_t now_ms;
    if (drv_parse_time(o.now, &now_ms) != 0) {
        fprintf(stderr, "ivrsm paths: --now takes an ISO 8601 time such as %s\n",
                PATHS_DEFAULT_NOW);
        return 2;
    }
    json_t *responses = o.responses ? load_responses(o.responses) : NULL;
    if (o.responses && !responses)
        return 2;
    ivrsm_machine *m = drv_load_machine(o.machine);
    if (!m) {
        json_decref(responses);
        return 1;
    }
    if (responses)
        drv_check_response_keys(o.machine, responses, report_response_key, &o);
    char err[1200];
    json_t *lines = NULL;
    json_t *doc = yamldoc_load_lines(o.machine, IVRSM_MAX_DOCUMENT_BYTES, &lines, err, sizeof(err));
    json_decref(lines);
    json_t *initial = doc ? pd_initial_ctxs(doc) : NULL;
    /* Every call gives the machine's required inputs: a plain value of their type. */
    if (ivrsm_machine_input_count(m) && !initial)
        initial = json_array();
    if (initial && ivrsm_machine_input_count(m) && !json_array_size(initial))
        json_array_append_new(initial, json_object());
    /* Inputs as the host gives them: of their type (a condition's candidate `true` for a
     * string is "x"), and a plain value for a required one none gives. */
    for (size_t i = 0; initial && i < ivrsm_machine_input_count(m); i++) {
        const ivrsm_input *in = ivrsm_machine_input(m, i);
        size_t k;
        json_t *ctx;
        json_array_foreach(initial, k, ctx)
        {
            json_t *v = json_object_get(ctx, in->name);
            if (v)
                json_object_set_new(ctx, in->name, pd_as_type(in->type, v));
            else if (in->required)
                json_object_set_new(ctx, in->name, pd_plain_value(in->type));
        }
    }
    int64_t clocks[48];
    size_t clock_count =
        doc ? pd_clocks(doc, m, now_ms, clocks, sizeof(clocks) / sizeof(*clocks)) : 0;
    px_options xo = {.machine = m,
                     .clocks = clocks,
                     .clock_count = clock_count,
                     .doc = doc,
                     .initial_ctxs = initial,
                     .responses = responses,
                     .backend = o.backend,
                     .now_ms = now_ms,
                     .call_id = "paths",
                     .max_nodes = o.budget,
                     .max_inputs = PATHS_MAX_INPUTS};
    px_result r;
    status = 0;
    if (!doc) {
        fprintf(stderr, "%s\n", err);
        status = 2;
    } else if (px_explore(&xo, &r, err, sizeof(err)) != 0) {
        fprintf(stderr, "ivrsm paths: %s\n", err);
        status = 2;
    } else {
        pw_options wo = {&xo, o.machine, o.dir, o.budget};
        if (pw_write(&wo, &r, stdout, err, sizeof(err)) != 0) {
            fprintf(stderr, "ivrsm paths: %s\n", err);
            status = 2;
        }
    }
    if (doc)
        px_result_free(&r);
    json_decref(initial);
    json_decref(doc);
    json_decref(responses);
    ivrsm_machine_unref(m);
    return status;
}
