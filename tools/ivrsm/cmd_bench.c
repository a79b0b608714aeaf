/* ivrsm bench: how fast a machine loads and runs on this computer. */
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ivrsm/ivrsm.h"

int cmd_bench(int argc, char **argv);

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ivrsm bench MACHINE [-n ITERATIONS]\n"
            "\n"
            "Measure a machine on this computer and print the figures:\n"
            "  load     read, parse and compile (median of ITERATIONS)\n"
            "  check    load plus every validator rule (median)\n"
            "  memory   bytes held by the compiled machine and by one live session at its\n"
            "           first question, its ctx included\n"
            "  calls    whole calls (session created, started, freed) by scripted callers\n"
            "           that press 1, say yes in the machine's language (\"oui\", \"yes\",\n"
            "           \"sí\", \"ja\") or stay silent until the call ends (http\n"
            "           commands answered 200 {}, handoffs accepted)\n"
            "\n"
            "options:\n"
            "  -n, --iterations N  loads and calls per figure (default 200)\n"
            "  -h, --help          show this help\n"
            "\n"
            "exit status: 0 measured, 1 the machine does not load, 2 usage error\n");
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), compare_double);
    return v[n / 2];
}

static int64_t bench_clock(void *user)
{
    (void)user;
    return 1795597200000LL; /* a fixed Wednesday morning: dates resolve the same every run */
}

/* Pull and answer commands until the session waits for the caller or ends. */
static void drain(ivrsm_session *s)
{
    for (int guard = 0; guard < 1000; guard++) {
        const ivrsm_command *c;
        ivrsm_event answer = {0};
        while ((c = ivrsm_session_next_command(s)) != NULL) {
            if (c->type == IVRSM_COMMAND_HTTP) {
                answer.type = IVRSM_EVENT_ACTION_RESULT;
                answer.command_id = c->id;
                answer.status = 200;
                answer.body = "{}";
            } else if (c->type == IVRSM_COMMAND_HANDOFF) {
                answer.type = IVRSM_EVENT_HANDOFF_RESULT;
                answer.command_id = c->id;
                answer.ok = 1;
            }
        }
        if (!answer.type || ivrsm_session_feed(s, &answer) != 0)
            return;
    }
}

/*
 * What the speaking caller says: "yes" in the machine's language (its first
 * of `languages`, else its `locale`, else fr-FR as the format's default), the
 * answer most questions of a phone menu take.
 */
static const char *yes_word(const char *path)
{
    static const struct {
        const char *language;
        const char *yes;
    } words[] = {{"fr", "oui"}, {"en", "yes"}, {"es", "sí"}, {"de", "ja"}};
    const char *yes = "oui";
    ivrsm_document *doc = NULL;
    if (ivrsm_document_load_file(path, IVRSM_FORMAT_AUTO, &doc, NULL) != 0)
        return yes;
    const ivrsm_node *root = ivrsm_document_root(doc);
    const char *tag = ivrsm_node_text(ivrsm_node_item(ivrsm_node_get(root, "languages"), 0));
    if (!tag)
        tag = ivrsm_node_text(ivrsm_node_get(root, "locale"));
    for (size_t i = 0; tag && i < sizeof(words) / sizeof(*words); i++)
        if (!strncasecmp(tag, words[i].language, 2) && (tag[2] == '\0' || tag[2] == '-' ||
                                                        tag[2] == '_'))
            yes = words[i].yes;
    ivrsm_document_free(doc);
    return yes;
}

/* One call by a caller who always does the same thing; returns the events fed. */
static long run_call(ivrsm_machine *m, const ivrsm_event *caller)
{
    ivrsm_session_options o = {0};
    o.call_id = "bench";
    o.clock = bench_clock;
    ivrsm_session *s = NULL;
    if (ivrsm_session_new(m, &o, &s, NULL) != 0)
        return -1;
    ivrsm_session_start(s);
    drain(s);
    long events = 0;
    while (!ivrsm_session_ended(s) && events < 100000) {
        if (ivrsm_session_feed(s, caller) != 0)
            break;
        events++;
        drain(s);
    }
    ivrsm_session_free(s);
    return events;
}

static void bench_calls(ivrsm_machine *m, const char *name, const ivrsm_event *caller, int n)
{
    long events = 0;
    double t0 = now_ns();
    for (int i = 0; i < n; i++)
        events += run_call(m, caller);
    double ns = now_ns() - t0;
    /* The name padded to 8 characters, not bytes ("says sí"). */
    int chars = 0;
    for (const char *p = name; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    printf("calls    %s%*s %6.1f events per call  %8.2f us per call  %9.0f calls per second\n",
           name, chars < 8 ? 8 - chars : 0, "", (double)events / n, ns / n / 1000.0,
           ns > 0 ? n * 1e9 / ns : 0.0);
}

/*
 * Heap counted as it is taken and given back: the session's through its
 * allocator (ivrsm_session_options.mem), its ctx's through jansson's, which a
 * program may set for the whole process. Blocks are the C library's, so
 * counting starts and stops at any time.
 */
static long long jansson_live;

static void *count_json_malloc(size_t size)
{
    void *p = malloc(size);
    if (p)
        jansson_live += (long long)malloc_usable_size(p);
    return p;
}

static void count_json_free(void *p)
{
    if (p)
        jansson_live -= (long long)malloc_usable_size(p);
    free(p);
}

static void *count_malloc(size_t size, void *live)
{
    void *p = malloc(size);
    if (p)
        *(long long *)live += (long long)malloc_usable_size(p);
    return p;
}

static void count_free(void *p, void *live)
{
    *(long long *)live -= (long long)malloc_usable_size(p);
    free(p);
}

static void *count_calloc(size_t count, size_t size, void *live)
{
    void *p = calloc(count, size);
    if (p)
        *(long long *)live += (long long)malloc_usable_size(p);
    return p;
}

static void *count_realloc(void *p, size_t size, void *live)
{
    long long was = (long long)malloc_usable_size(p);
    void *q = realloc(p, size);
    if (q)
        *(long long *)live += (long long)malloc_usable_size(q) - was;
    return q;
}

typedef struct session_size {
    size_t own;  /* ivrsm_session_memory */
    size_t heap; /* what the session and its ctx hold on the heap */
} session_size;

/* One session at its first question. */
static session_size session_bytes(ivrsm_machine *m)
{
    session_size size = {0, 0};
    long long live = 0;
    ivrsm_mem mem = {&live, count_malloc, count_free, count_calloc, count_realloc};
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.mem = &mem;
    o.clock = bench_clock;
    json_set_alloc_funcs(count_json_malloc, count_json_free);
    long long json_before = jansson_live;
    ivrsm_session *s = NULL;
    if (ivrsm_session_new(m, &o, &s, NULL) == 0) {
        ivrsm_session_start(s);
        drain(s);
        size.own = ivrsm_session_memory(s);
        long long heap = live + jansson_live - json_before;
        size.heap = heap > 0 ? (size_t)heap : 0;
        ivrsm_session_free(s);
    }
    return size;
}

static int measure(const char *path, int iterations)
{
    double *load = calloc((size_t)iterations, sizeof(double));
    double *check = calloc((size_t)iterations, sizeof(double));
    ivrsm_machine *m = NULL;
    int rc = 0;
    for (int i = 0; i < iterations && rc == 0; i++) {
        ivrsm_error err;
        double t0 = now_ns();
        if (ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &m, &err) != 0) {
            if (err.line > 0)
                fprintf(stderr, "%s:%d:%d: error: %s\n", err.file, err.line, err.column,
                        err.message);
            else
                fprintf(stderr, "%s: error: %s\n", path, err.message);
            rc = 1;
            break;
        }
        load[i] = now_ns() - t0;
        ivrsm_machine_unref(m);
        ivrsm_diagnostics *d = NULL;
        t0 = now_ns();
        if (ivrsm_machine_check_file(path, IVRSM_FORMAT_AUTO, &d) != 0)
            rc = 1;
        check[i] = now_ns() - t0;
        ivrsm_diagnostics_free(d);
    }
    if (rc == 0)
        rc = ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &m, NULL) != 0;
    if (rc == 0) {
        printf("machine  %s %s: %zu states\n", ivrsm_machine_name(m), ivrsm_machine_version(m),
               ivrsm_machine_state_count(m));
        printf("load     %8.1f us (median of %d)\n", median(load, iterations) / 1000.0, iterations);
        printf("check    %8.1f us (median of %d)\n", median(check, iterations) / 1000.0,
               iterations);
        session_size size = session_bytes(m);
        printf("memory   %8zu bytes per machine; a live session at its first question: %zu bytes "
               "of heap, its ctx included (%zu by ivrsm_session_memory)\n",
               ivrsm_machine_memory(m), size.heap, size.own);
        const ivrsm_event keyed = {.type = IVRSM_EVENT_DTMF, .text = "1", .confidence = -1};
        char said[32];
        const char *yes = yes_word(path);
        snprintf(said, sizeof(said), "says %s", yes);
        const ivrsm_event spoken = {.type = IVRSM_EVENT_SPEECH, .text = yes, .confidence = -1};
        const ivrsm_event silent = {.type = IVRSM_EVENT_NOINPUT, .confidence = -1};
        bench_calls(m, "keys 1", &keyed, iterations);
        bench_calls(m, said, &spoken, iterations);
        bench_calls(m, "silent", &silent, iterations);
        ivrsm_machine_unref(m);
    }
    free(load);
    free(check);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    static const struct option options[] = {
        {"iterations", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int iterations = 200;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "n:h", options, NULL)) != -1) {
        switch (opt) {
        case 'n': iterations = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || iterations < 1 || iterations > 1000000) {
        usage(stderr);
        return 2;
    }
    return measure(argv[optind], iterations);
}
