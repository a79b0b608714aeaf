/*
 * Loading and checking take time in proportion to the document (n log n at
 * most), for documents that grow in every direction a machine can grow:
 * states, routes, intents, phrases, keys, endpoints, path parameters,
 * templates, globals and their references, aliases, wrong names.
 *
 * Time is not measured (the machine is shared and noisy): work is counted.
 * The executable is linked with --wrap for the C library's comparison
 * functions (strcmp, strncmp, memcmp, strlen, strstr) and allocator, so
 * every such call made by the library is counted. A search of each item
 * among the earlier ones, the shape of every quadratic load found so far,
 * shows up as a count that grows with the square of the document. Each
 * shape is checked at sizes k and 8k: the count may grow at most 12 times
 * (8 for linear work, the rest for n log n and fixed costs).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrsm/ivrsm.h"

/* ------------------------------------------------------------ counted calls */

static unsigned long long calls;

int __real_strcmp(const char *a, const char *b);
int __real_strncmp(const char *a, const char *b, size_t n);
int __real_memcmp(const void *a, const void *b, size_t n);
size_t __real_strlen(const char *s);
char *__real_strstr(const char *h, const char *n);
void *__real_malloc(size_t n);
void *__real_calloc(size_t count, size_t n);
void *__real_realloc(void *p, size_t n);
int __wrap_strcmp(const char *a, const char *b);
int __wrap_strncmp(const char *a, const char *b, size_t n);
int __wrap_memcmp(const void *a, const void *b, size_t n);
size_t __wrap_strlen(const char *s);
char *__wrap_strstr(const char *h, const char *n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t count, size_t n);
void *__wrap_realloc(void *p, size_t n);

int __wrap_strcmp(const char *a, const char *b)
{
    calls++;
    return __real_strcmp(a, b);
}

int __wrap_strncmp(const char *a, const char *b, size_t n)
{
    calls++;
    return __real_strncmp(a, b, n);
}

int __wrap_memcmp(const void *a, const void *b, size_t n)
{
    calls++;
    return __real_memcmp(a, b, n);
}

size_t __wrap_strlen(const char *s)
{
    calls++;
    return __real_strlen(s);
}

char *__wrap_strstr(const char *h, const char *n)
{
    calls++;
    return __real_strstr(h, n);
}

void *__wrap_malloc(size_t n)
{
    calls++;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t count, size_t n)
{
    calls++;
    return __real_calloc(count, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    calls++;
    return __real_realloc(p, n);
}

/* ------------------------------------------------------------ documents */

typedef struct text {
    char *data;
    size_t len;
    size_t cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n =
            vsnprintf(t->data ? t->data + t->len : NULL, t->data ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        ck_assert_int_ge(n, 0);
        if (t->data && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n + 1) * 2;
        t->data = __real_realloc(t->data, t->cap);
        ck_assert_ptr_nonnull(t->data);
    }
}

static void head(text *t)
{
    put(t, "machine: grow\nversion: \"1\"\n");
}

static void end_state(text *t)
{
    put(t, "  end:\n    type: prompt_end\n    prompt: \"Au revoir.\"\n");
}

/* k listening states in a chain, each with a route, a set, a fallback and a template. */
static void chain(text *t, int k)
{
    head(t);
    put(t, "intents:\n  go: {utterances: [\"suivant\"], dtmf: [\"1\"]}\nstates:\n");
    for (int i = 0; i < k; i++)
        put(t,
            "  s%d:\n    type: prompt_and_listen\n    prompt: \"Etat %d {{ctx.v%d}}\"\n"
            "    routes:\n      - when_intent: go\n        next: %s%d\n        set: {v%d: \"x\"}\n"
            "    fallback: {next: s%d}\n",
            i, i, i, i + 1 < k ? "s" : "end", i + 1 < k ? i + 1 : 0, i + 1, i);
    end_state(t);
}

/* One state routing k intents, each with keys and phrases. */
static void many_intents(text *t, int k)
{
    head(t);
    put(t, "intents:\n");
    for (int i = 0; i < k; i++)
        put(t, "  i%d: {utterances: [\"mot%d alpha\", \"mot%d beta\"], dtmf: [\"%d\"]}\n", i, i, i,
            i);
    put(t, "states:\n  a:\n    type: prompt_and_listen\n    prompt: \"menu\"\n    routes:\n");
    for (int i = 0; i < k; i++)
        put(t, "      - when_intent: i%d\n        next: end\n", i);
    end_state(t);
}

/* k intents that all share their keys and phrases: k conflicts to find and report. */
static void conflicts(text *t, int k)
{
    head(t);
    put(t, "intents:\n");
    for (int i = 0; i < k; i++)
        put(t, "  i%d: {utterances: [\"pareil\", \"mot%d\"], dtmf: [\"1\", \"%d\"]}\n", i, i, i);
    put(t, "states:\n  a:\n    type: prompt_and_listen\n    prompt: \"menu\"\n    routes:\n");
    for (int i = 0; i < k; i++)
        put(t, "      - when_intent: i%d\n        next: %s\n", i, i % 2 ? "a" : "end");
    for (int i = 0; i < k; i++)
        put(t, "      - when_intent: i%d\n        next: end\n", i); /* shadowed */
    end_state(t);
}

/* One intent with k phrases (speech hints, each added once). */
static void many_utterances(text *t, int k)
{
    head(t);
    put(t, "intents:\n  i:\n    utterances:\n");
    for (int i = 0; i < k; i++)
        put(t, "      - \"phrase numero %d\"\n", i);
    put(t, "states:\n  a:\n    type: prompt_and_listen\n    prompt: \"menu\"\n    routes:\n"
           "      - when_intent: i\n        next: end\n");
    end_state(t);
}

/* k when_text routes. */
static void text_routes(text *t, int k)
{
    head(t);
    put(t, "states:\n  a:\n    type: prompt_and_listen\n    prompt: \"menu\"\n    routes:\n");
    for (int i = 0; i < k; i++)
        put(t, "      - when_text: \"texte %d\"\n        next: end\n", i);
    end_state(t);
}

/* One route setting k ctx keys, read by as many templates. */
static void set_keys(text *t, int k)
{
    head(t);
    put(t, "intents:\n  go: {dtmf: [\"1\"]}\nstates:\n  a:\n    type: prompt_and_listen\n"
           "    prompt: \"menu\"\n    routes:\n      - when_intent: go\n        next: end\n"
           "        set:\n");
    for (int i = 0; i < k; i++)
        put(t, "          k%d: \"v%d {{ctx.k%d}} {{ctx.never%d}}\"\n", i, i, k - 1 - i, i);
    end_state(t);
}

/* k endpoints, each called by an action state. */
static void endpoints(text *t, int k)
{
    head(t);
    put(t, "globals:\n  endpoints:\n");
    for (int i = 0; i < k; i++)
        put(t, "    e%d: \"GET /e%d/{id}\"\n", i, i);
    put(t, "states:\n");
    for (int i = 0; i < k; i++)
        put(t,
            "  s%d:\n    type: action_then_prompt\n    action:\n      call: e%d\n"
            "      path: {id: \"{{ctx.id}}\"}\n    on_success: {next: %s%d}\n"
            "    on_fail: {next: end}\n",
            i, i, i + 1 < k ? "s" : "end", i + 1 < k ? i + 1 : 0);
    end_state(t);
}

/* One action whose path has k parameters, and k more given that it does not use. */
static void path_params(text *t, int k)
{
    head(t);
    put(t, "states:\n  a:\n    type: action_then_prompt\n    action:\n      call: \"GET /x");
    for (int i = 0; i < k; i++)
        put(t, "/{p%d}", i);
    put(t, "\"\n      path:\n");
    for (int i = 0; i < 2 * k; i++)
        put(t, "        p%d: \"%d\"\n", i, i);
    put(t, "    on_success: {next: end}\n    on_fail: {next: end}\n");
    end_state(t);
}

/* Globals with k keys, each referenced once as a whole value and once inside a string. */
static void globals(text *t, int k)
{
    head(t);
    put(t, "globals:\n");
    for (int i = 0; i < k; i++)
        put(t, "  g%d: \"valeur %d\"\n", i, i);
    put(t, "intents:\n  go: {dtmf: [\"1\"]}\nstates:\n  a:\n    type: prompt_and_listen\n"
           "    prompt: \"menu\"\n    routes:\n      - when_intent: go\n        next: end\n"
           "        set:\n");
    for (int i = 0; i < k; i++)
        put(t, "          k%d: ${globals.g%d}\n          t%d: \"a ${globals.g%d} b\"\n", i, i, i,
            i);
    end_state(t);
}

/* k states whose next names no state (errors with a guess among k names). */
static void wrong_names(text *t, int k)
{
    head(t);
    put(t, "states:\n");
    for (int i = 0; i < k; i++)
        put(t,
            "  state_%d:\n    type: prompt_and_listen\n    prompt: \"p\"\n"
            "    next: stat_%d\n    fallback: {next: nowhere_%d}\n",
            i, i, i);
    end_state(t);
}

/* A state with k unknown keys. */
static void unknown_keys(text *t, int k)
{
    head(t);
    put(t, "states:\n  a:\n    type: prompt_end\n    prompt: \"p\"\n");
    for (int i = 0; i < k; i++)
        put(t, "    promt%d: \"x\"\n", i);
}

/* k aliases of an anchored map of routes. */
static void aliases(text *t, int k)
{
    head(t);
    put(t, "intents:\n  go: {dtmf: [\"1\"]}\nstates:\n  a:\n    type: prompt_and_listen\n"
           "    prompt: \"menu\"\n    routes:\n      - &r {when_intent: go, next: end, set: {a: "
           "1}}\n");
    for (int i = 0; i < k; i++)
        put(t, "      - *r\n");
    end_state(t);
}

/* The chain again, in JSON. */
static void chain_json(text *t, int k)
{
    put(t, "{\"machine\": \"grow\", \"version\": \"1\", \"intents\": {\"go\": {\"dtmf\": [\"1\"]}},"
           " \"states\": {");
    for (int i = 0; i < k; i++)
        put(t,
            "\"s%d\": {\"type\": \"prompt_and_listen\", \"prompt\": \"Etat {{ctx.v%d}}\", "
            "\"routes\": [{\"when_intent\": \"go\", \"next\": \"%s%d\", \"set\": {\"v%d\": 1}}]},",
            i, i, i + 1 < k ? "s" : "end", i + 1 < k ? i + 1 : 0, i + 1);
    put(t, "\"end\": {\"type\": \"prompt_end\", \"prompt\": \"Au revoir.\"}}}");
}

typedef struct shape {
    const char *name;
    void (*write)(text *t, int k);
    int k; /* the small size; the large one is 8k */
} shape;

static const shape shapes[] = {
    {"chain", chain, 150},
    {"many_intents", many_intents, 150},
    {"conflicts", conflicts, 150},
    {"many_utterances", many_utterances, 300},
    {"text_routes", text_routes, 300},
    {"set_keys", set_keys, 300},
    {"endpoints", endpoints, 150},
    {"path_params", path_params, 150},
    {"globals", globals, 300},
    {"wrong_names", wrong_names, 150},
    {"unknown_keys", unknown_keys, 300},
    {"aliases", aliases, 300},
    {"chain_json", chain_json, 150},
};

/* Calls counted while one document is checked (loaded, compiled and validated). */
static unsigned long long work(const shape *s, int k, size_t *size)
{
    text t = {0};
    s->write(&t, k);
    *size = t.len;
    ivrsm_diagnostics *d = NULL;
    calls = 0;
    int rc = ivrsm_check_buffer(t.data, t.len, IVRSM_FORMAT_AUTO, s->name, &d);
    unsigned long long n = calls;
    ck_assert_int_eq(rc, 0);
    /* The document was read to its end, not refused early by a bound. */
    for (size_t i = 0; i < ivrsm_diagnostics_count(d); i++) {
        const ivrsm_diagnostic *g = ivrsm_diagnostics_get(d, i);
        ck_assert_msg(strcmp(g->rule, "limit") && strcmp(g->rule, "syntax"), "%s: %s: %s", s->name,
                      g->rule, g->message);
    }
    ivrsm_diagnostics_free(d);
    free(t.data);
    return n;
}

START_TEST(test_growth)
{
    const shape *s = &shapes[_i];
    size_t small_size, large_size;
    unsigned long long small = work(s, s->k, &small_size);
    unsigned long long large = work(s, 8 * s->k, &large_size);
    double ratio = (double)large / (double)small;
    printf("%-16s %8zu bytes: %10llu calls; %8zu bytes: %10llu calls (x%.1f)\n", s->name,
           small_size, small, large_size, large, ratio);
    ck_assert_msg(ratio <= 12.0, "%s: %llu calls for %zu bytes, %llu for %zu bytes (x%.1f)",
                  s->name, small, small_size, large, large_size, ratio);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("growth");
    TCase *tc = tcase_create("load and check");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_growth, 0, (int)(sizeof(shapes) / sizeof(shapes[0])));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
