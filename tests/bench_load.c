/*
 * Load, check and compile figures for the seed machine (meson benchmark).
 * Prints the first load of the process (cold), then medians in microseconds
 * (warm) and the compiled machine's memory; asserts nothing about time.
 *
 * usage: bench_load [ITERATIONS] [MACHINE]   (defaults: 300, the seed YAML; a MACHINE
 *        whose name ends in .json is read as JSON)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivrsm/ivrsm.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Time `iterations` runs of one step; returns the median in microseconds. */
typedef int (*step_fn)(const char *data, size_t len, ivrsm_format fmt);

static int step_load(const char *data, size_t len, ivrsm_format fmt)
{
    ivrsm_machine *m;
    int rc = ivrsm_machine_load_buffer(data, len, fmt, "bench", &m, NULL);
    if (rc == 0)
        ivrsm_machine_unref(m);
    return rc;
}

static int step_check(const char *data, size_t len, ivrsm_format fmt)
{
    ivrsm_diagnostics *d;
    int rc = ivrsm_machine_check_buffer(data, len, fmt, "bench", &d);
    if (rc == 0)
        ivrsm_diagnostics_free(d);
    return rc;
}

static double time_step(step_fn fn, const char *data, size_t len, ivrsm_format fmt, int n)
{
    double *t = malloc((size_t)n * sizeof(*t));
    if (!t)
        return -1;
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        if (fn(data, len, fmt) != 0) {
            free(t);
            return -1;
        }
        t[i] = now_us() - t0;
    }
    double med = median(t, n);
    free(t);
    return med;
}

/* A load that must fail with IVRSM_ELIMIT: 0 when it does (for time_step). */
static int step_refuse(const char *data, size_t len, ivrsm_format fmt)
{
    ivrsm_machine *m = NULL;
    int rc = ivrsm_machine_load_buffer(data, len, fmt, "bench", &m, NULL);
    ivrsm_machine_unref(m);
    return rc == IVRSM_ELIMIT ? 0 : -1;
}

/* 150,000 aliases of a 64 KB string (9.6 GB expanded) in a 660 KB document. */
static char *alias_text_bomb(size_t *len)
{
    size_t big = 65000, aliases = 150000;
    char *doc = malloc(big + aliases * 4 + 100);
    if (!doc)
        return NULL;
    char *p = doc + sprintf(doc, "machine: m\nversion: \"1\"\nbig: &a \"");
    memset(p, 'x', big);
    p += big;
    p += sprintf(p, "\"\nlist: [");
    for (size_t i = 0; i < aliases; i++)
        p += sprintf(p, "%s*a", i ? ", " : "");
    p += sprintf(p, "]\n");
    *len = (size_t)(p - doc);
    return doc;
}

/* A 2 MB global referenced 3,000 times (6 GB expanded). */
static char *globals_bomb(size_t *len)
{
    size_t strings = 32, big = 65000, refs = 3000;
    char *doc = malloc(strings * (big + 16) + refs * 40 + 400);
    if (!doc)
        return NULL;
    char *p = doc + sprintf(doc, "machine: m\nversion: \"1\"\nglobals:\n  big:\n");
    for (size_t i = 0; i < strings; i++) {
        p += sprintf(p, "    k%zu: \"", i);
        memset(p, 'y', big);
        p += big;
        p += sprintf(p, "\"\n");
    }
    p += sprintf(p, "intents:\n  go: {dtmf: [\"1\"]}\nstates:\n  a:\n"
                    "    type: prompt_and_listen\n    prompt: \"p\"\n    routes:\n"
                    "      - when_intent: go\n        next: a\n        set:\n");
    for (size_t i = 0; i < refs; i++)
        p += sprintf(p, "          k%zu: ${globals.big}\n", i);
    *len = (size_t)(p - doc);
    return doc;
}

static void bench_refusals(int n)
{
    size_t len;
    char *doc = alias_text_bomb(&len);
    if (doc)
        printf("  refuse 150,000 aliases of a 64 KB string (%zu KB): %8.1f us\n", len / 1024,
               time_step(step_refuse, doc, len, IVRSM_FORMAT_YAML, n < 20 ? n : 20));
    free(doc);
    doc = globals_bomb(&len);
    if (doc)
        printf("  refuse a 2 MB global referenced 3,000 times (%zu KB): %8.1f us\n", len / 1024,
               time_step(step_refuse, doc, len, IVRSM_FORMAT_YAML, n < 20 ? n : 20));
    free(doc);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 300;
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    char seed[4096];
    snprintf(seed, sizeof(seed), "%s/examples/synergia_rdv/machine.yaml", root ? root : ".");
    const char *yaml_path = argc > 2 ? argv[2] : seed;
    size_t path_len = strlen(yaml_path);
    ivrsm_format fmt = path_len > 5 && !strcmp(yaml_path + path_len - 5, ".json")
                           ? IVRSM_FORMAT_JSON
                           : IVRSM_FORMAT_YAML;
    const char *fmt_name = fmt == IVRSM_FORMAT_JSON ? "JSON" : "YAML";
    char json_path[4096];
    snprintf(json_path, sizeof(json_path), "%s/examples/synergia_rdv/machine.json",
             root ? root : ".");
    if (n < 1)
        n = 1;

    size_t ylen = 0, jlen = 0;
    char *yaml = read_all(yaml_path, &ylen);
    char *json = argc > 2 ? NULL : read_all(json_path, &jlen);
    if (!yaml) {
        fprintf(stderr, "bench_load: cannot read %s\n", yaml_path);
        return 1;
    }
    ivrsm_machine *m;
    ivrsm_error err;
    /* Cold: the first load of the process (pages, lazy binding, first allocations). */
    double t0 = now_us();
    int rc = ivrsm_machine_load_buffer(yaml, ylen, fmt, yaml_path, &m, &err);
    double cold = now_us() - t0;
    if (rc != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.column, err.message);
        return 1;
    }
    printf("machine %s: %zu states, %zu bytes of %s\n", ivrsm_machine_name(m),
           ivrsm_machine_state_count(m), ylen, fmt_name);
    printf("ivrsm_machine_memory: %zu bytes\n", ivrsm_machine_memory(m));
    ivrsm_machine_unref(m);

    printf("  load %s, cold (the process's first load): %7.1f us\n", fmt_name, cold);
    printf("%d iterations, medians (warm):\n", n);
    printf("  load %s  (parse, compile, check errors): %8.1f us\n", fmt_name,
           time_step(step_load, yaml, ylen, fmt, n));
    printf("  check %s (every error and warning):     %8.1f us\n", fmt_name,
           time_step(step_check, yaml, ylen, fmt, n));
    if (json) {
        printf("  load JSON  (parse, compile, check errors): %8.1f us\n",
               time_step(step_load, json, jlen, IVRSM_FORMAT_JSON, n));
        printf("  check JSON (every error and warning):     %8.1f us\n",
               time_step(step_check, json, jlen, IVRSM_FORMAT_JSON, n));
    }
    bench_refusals(n);
    free(yaml);
    free(json);
    return 0;
}
