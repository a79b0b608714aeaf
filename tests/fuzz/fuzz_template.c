/*
 * Fuzz target: run-time templates. The input is a template source; it is
 * compiled, rendered and evaluated against a fixed scope (ctx, resp and
 * globals holding every JSON type, nested lists and objects, and a value
 * that itself looks like a template).
 *
 * Invariants: no crash, leak or hang; a refused template says why and where
 * (an offset inside the source); rendering is deterministic; a static
 * template renders as its source; an evaluation that gives a string gives
 * the rendered text; substituted values are never parsed again (the text
 * "{{globals.hidden}}" held in ctx.inject: a template that does not name
 * globals renders the same whatever globals.hidden holds); every path
 * the validator is told about lies in the source. For sources the loader
 * can produce (valid UTF-8 without NUL bytes) evaluation never fails.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz_util.h"
#include "template.h"
#include "text.h"

#define HIDDEN_VALUE "H1DD3N"

static const char scope_ctx[] =
    "{\"name\":\"Ana\",\"n\":3,\"zero\":0,\"neg\":-7,\"x\":2.5,\"big\":9007199254740993,"
    "\"flag\":true,\"off\":false,\"nul\":null,\"empty\":\"\",\"e\":[],\"o\":{},"
    "\"list\":[{\"id\":\"a1\",\"voice_label\":\"lundi 3 juin à 9 heures\"},{\"id\":\"a2\"},"
    "[1,[2,[3]]]],\"obj\":{\"a\":{\"b\":{\"c\":\"deep\"}}},"
    "\"accents\":\"ÉLÉONORE çà et là\",\"inject\":\"{{globals.hidden}} {{#if 1}}x{{/if}}\","
    "\"quote\":\"a\\\"b\\\\c\",\"nl\":\"a\\nb\\tc\",\"day\":\"2026-12-03\","
    "\"at\":\"2026-12-03T14:30:00+01:00\",\"tel\":\"+33612345678\",\"cents\":\"1250\"}";
static const char scope_resp[] =
    "{\"count\":2,\"appointments\":[{\"id\":\"r1\"},{\"id\":\"r2\"}],\"summary_voice\":\"Demain "
    "à 10 heures.\",\"challenge_id\":\"ch\",\"slots\":[],\"partner_id\":42}";
static const char scope_globals[] =
    "{\"max_retries\":2,\"hidden\":\"" HIDDEN_VALUE "\",\"handoff\":{\"enabled\":true,"
    "\"queue_id\":\"care\"},\"endpoints\":{\"get_me\":\"GET /portal/me\"}}";

typedef struct scope_values {
    json_t *ctx, *resp, *globals;
} scope_values;

static scope_values scope_values_new(void)
{
    scope_values v;
    v.ctx = json_loads(scope_ctx, 0, NULL);
    v.resp = json_loads(scope_resp, 0, NULL);
    v.globals = json_loads(scope_globals, 0, NULL);
    FUZZ_CHECK(v.ctx && v.resp && v.globals, "the fixed scope does not parse");
    return v;
}

static void scope_values_free(scope_values *v)
{
    json_decref(v->ctx);
    json_decref(v->resp);
    json_decref(v->globals);
}

typedef struct path_check {
    size_t source_len;
} path_check;

static void check_path(void *user, const char *path, size_t offset)
{
    const path_check *pc = user;
    FUZZ_CHECK(path && *path, "empty path reported");
    FUZZ_CHECK(offset < pc->source_len, "path %s at offset %zu past the source (%zu bytes)", path,
               offset, pc->source_len);
}

/* Render into a new buffer; the render must not fail (no allocation failure here). */
static ivrsm_buf render(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope)
{
    ivrsm_buf b = IVRSM_BUF_INIT(ivrsm_mem_default());
    FUZZ_CHECK(ivrsm_tmpl_render(t, scope, &b) == 0, "render failed");
    return b;
}

/* Whether needle occurs in hay[0..len) (memmem is not standard C). */
static int contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

static int same_text(const ivrsm_buf *a, const ivrsm_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void check_compiled(const ivrsm_tmpl *t, const char *src, size_t len, int loadable)
{
    scope_values v = scope_values_new();
    ivrsm_tmpl_scope scope = {
        .ctx = v.ctx, .resp = v.resp, .globals = v.globals, .mem = ivrsm_mem_default()};
    ivrsm_tmpl_scope no_resp = {
        .ctx = v.ctx, .resp = NULL, .globals = v.globals, .mem = ivrsm_mem_default()};

    ivrsm_buf first = render(t, &scope);
    ivrsm_buf again = render(t, &scope);
    FUZZ_CHECK(same_text(&first, &again), "two renders differ");
    ivrsm_buf_free(&again);
    ivrsm_buf bare = render(t, &no_resp);
    ivrsm_buf_free(&bare);

    const char *source = ivrsm_tmpl_source(t);
    FUZZ_CHECK(source != NULL, "no source kept");
    if (loadable)
        FUZZ_CHECK(strlen(source) == len && memcmp(source, src, len) == 0,
                   "source differs from the input");
    if (ivrsm_tmpl_is_static(t)) {
        FUZZ_CHECK(first.len == len && (len == 0 || memcmp(first.data, src, len) == 0),
                   "a static template renders other than its source");
        /* Spoken text is trimmed and collapsed, never blank (the loader never passes a NUL). */
        const char *speech = ivrsm_tmpl_static_speech(t);
        if (loadable)
            FUZZ_CHECK(!speech || (*speech && strlen(speech) <= len),
                       "static speech '%s' blank or longer than its source", speech);
    }
    if (!contains(src, len, "globals")) {
        /* globals.hidden is only named inside ctx.inject's value: changing it changes nothing. */
        json_object_set_new(v.globals, "hidden", json_string("Z9QQ8W"));
        ivrsm_buf other = render(t, &scope);
        FUZZ_CHECK(same_text(&first, &other), "a substituted value was parsed again: '%s'",
                   ivrsm_buf_str(&first));
        ivrsm_buf_free(&other);
        json_object_set_new(v.globals, "hidden", json_string(HIDDEN_VALUE));
    }

    json_t *value = NULL;
    int eval_rc = ivrsm_tmpl_eval(t, &scope, &value);
    FUZZ_CHECK((eval_rc == 0) == (value != NULL) &&
                   (eval_rc == 0 || eval_rc == IVRSM_ELIMIT || eval_rc == IVRSM_ENOMEM),
               "evaluation answered %d with a value %p", eval_rc, (void *)value);
    if (loadable)
        FUZZ_CHECK(eval_rc == 0, "evaluation failed: %d", eval_rc);
    if (json_is_string(value) && loadable)
        FUZZ_CHECK(json_string_length(value) == first.len &&
                       memcmp(json_string_value(value), ivrsm_buf_str(&first), first.len) == 0,
                   "evaluation '%s' differs from the rendering '%s'", json_string_value(value),
                   ivrsm_buf_str(&first));
    json_decref(value);
    json_t *without_resp = NULL;
    ivrsm_tmpl_eval(t, &no_resp, &without_resp);
    json_decref(without_resp);

    path_check pc = {len};
    ivrsm_tmpl_each_path(t, check_path, &pc);
    FUZZ_CHECK(ivrsm_tmpl_memory(t) > 0, "no memory accounted");
    ivrsm_buf_free(&first);
    scope_values_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > IVRSM_TMPL_MAX_LEN + 16)
        return 0;
    const char *src = (const char *)data;
    char errbuf[256] = "";
    size_t erroff = (size_t)-1;
    ivrsm_tmpl *t =
        ivrsm_tmpl_compile(ivrsm_mem_default(), src, size, errbuf, sizeof(errbuf), &erroff);
    if (!t) {
        FUZZ_CHECK(errbuf[0] != '\0', "refused without a message");
        FUZZ_CHECK(erroff <= size, "error offset %zu past the source (%zu bytes)", erroff, size);
        FUZZ_CHECK(!strpbrk(errbuf, "\n\r\v\f"), "multi-line message: %s", errbuf);
        return 0;
    }
    FUZZ_CHECK(size <= IVRSM_TMPL_MAX_LEN, "a template of %zu bytes compiled", size);
    int loadable = !memchr(src, '\0', size) && ivrsm_utf8_valid(src, size);
    check_compiled(t, src, size, loadable);
    ivrsm_tmpl_free(t);
    return 0;
}
