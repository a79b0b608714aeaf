/* Run-time templates: compilation, rendering, evaluation, errors. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "failing_mem.h"
#include "collect.h"
#include "say.h"
#include "template.h"
#include "text.h"
#include "utf8.h"

/* ------------------------------------------------------------ fixtures */


/* ivrsm_tmpl_eval()'s value, NULL when it failed (its code in *rc when rc is given). */
static json_t *eval(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope)
{
    json_t *v = NULL;
    int rc = ivrsm_tmpl_eval(t, scope, &v);
    ck_assert_msg((rc == 0) == (v != NULL), "ivrsm_tmpl_eval: %d with a value %p", rc, (void *)v);
    return v;
}

static const char *const ctx_json =
    "{\"name\": \"Ana\", \"count\": 3, \"zero\": 0, \"zero_real\": 0.0, \"pi\": 2.5,"
    " \"third\": 0.1, \"three_real\": 3.0, \"huge\": 1e21, \"neg\": -7,"
    " \"neg_zero\": -0.0, \"neg_zero_int\": -0, \"tiny\": 0.00000015,"
    " \"big\": 9007199254740993, \"flag\": true, \"off\": false, \"nul\": null,"
    " \"empty\": \"\", \"space\": \" \", \"list\": [], \"obj\": {},"
    " \"appt_list\": [{\"id\": \"a1\", \"when\": \"lundi\"}, {\"id\": \"a2\"}],"
    " \"secret\": \"1234\", \"inject\": \"{{ctx.secret}}\", \"abc\": \"abc\","
    " \"nested\": {\"a\": {\"b\": \"deep\"}}, \"quote\": \"l'été \\\"chaud\\\"\"}";
static const char *const resp_json = "{\"x\": \"rx\", \"count\": 3}";
static const char *const globals_json = "{\"otp\": {\"length\": 6}, \"name\": \"Synergia\"}";

static json_t *ctx, *resp, *globals;

/* The suite runs twice: ctx as jansson's values, then as a session holds it, in a value store
 * (value.h), where every template must read the same. */
static bool store_mode;
static ivrsm_vstore store;
static const ivrsm_vstore *ctx_store;

static void scope_setup(void)
{
    ctx = json_loads(ctx_json, 0, NULL);
    resp = json_loads(resp_json, 0, NULL);
    globals = json_loads(globals_json, 0, NULL);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_ptr_nonnull(resp);
    ck_assert_ptr_nonnull(globals);
    ctx_store = NULL;
    if (store_mode) {
        ivrsm_vstore_on(&store, ivrsm_mem_default());
        ck_assert_int_eq(ivrsm_vstore_put_json(&store, ctx, NULL, NULL, &store.root), 0);
        ctx_store = &store;
    }
}

static void scope_teardown(void)
{
    if (ctx_store)
        ivrsm_vstore_free(&store);
    json_decref(ctx);
    json_decref(resp);
    json_decref(globals);
}

static ivrsm_tmpl *compile_ok(const char *src)
{
    char err[256];
    size_t off = 0;
    ivrsm_tmpl *t =
        ivrsm_tmpl_compile(ivrsm_mem_default(), src, strlen(src), err, sizeof err, &off);
    ck_assert_msg(t != NULL, "compile of \"%s\" failed at %zu: %s", src, off, err);
    return t;
}

/* Renders src with the fixture scope; the caller frees the result. */
static char *render(const char *src)
{
    ivrsm_tmpl *t = compile_ok(src);
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .resp = resp,
                              .globals = globals,
                              .mem = ivrsm_mem_default()};
    ivrsm_buf out = IVRSM_BUF_INIT(ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_tmpl_render(t, &scope, &out), 0);
    ivrsm_tmpl_free(t);
    return ivrsm_buf_steal(&out);
}

/* ------------------------------------------------------------ rendering */

/* src rendered as spoken must be its rendering with whitespace collapsed afterwards. */
static void speech_as_collapsed(const char *src)
{
    ivrsm_tmpl *t = compile_ok(src);
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .resp = resp,
                              .globals = globals,
                              .mem = ivrsm_mem_default()};
    ivrsm_buf raw = IVRSM_BUF_INIT(ivrsm_mem_default()),
              spoken = IVRSM_BUF_INIT(ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_tmpl_render(t, &scope, &raw), 0);
    ck_assert_int_eq(ivrsm_tmpl_render_speech(t, &scope, &spoken), 0);
    char want[4096];
    ck_assert_uint_lt(raw.len, sizeof want);
    ivrsm_text_collapse_spaces(raw.data ? raw.data : "", raw.len, want);
    ck_assert_msg(!strcmp(ivrsm_buf_str(&spoken), want), "\"%s\": spoken \"%s\", want \"%s\"", src,
                  ivrsm_buf_str(&spoken), want);
    ck_assert_uint_eq(spoken.len, strlen(want));
    ivrsm_buf_free(&raw);
    ivrsm_buf_free(&spoken);
    ivrsm_tmpl_free(t);
}

START_TEST(test_speech_collapsed_at_compile_time)
{
    static const char *const pieces[] = {"",
                                         " ",
                                         "\n  \t",
                                         "a",
                                         " a b ",
                                         "{{ctx.space}}",
                                         "{{ctx.empty}}",
                                         "{{ctx.name}}",
                                         "{{ctx.nul}}",
                                         "x\n",
                                         " {{ctx.quote}} ",
                                         "{{#if ctx.flag}} y {{/if}}",
                                         "{{#if ctx.off}}z{{else}}\n w\n{{/if}}",
                                         "{{ctx.obj}}",
                                         "{{ctx.appt_list}}"};
    const size_t n = sizeof pieces / sizeof pieces[0];
    char src[512];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < n; k++) {
                snprintf(src, sizeof src, "%s%s%s", pieces[i], pieces[j], pieces[k]);
                speech_as_collapsed(src);
            }
    static const char *const values[] = {"  ", " lead", "trail ", " in  side ", "a\n\tb", ""};
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        json_object_set_new(ctx, "ws", json_string(values[v]));
        for (size_t i = 0; i < n; i++) {
            snprintf(src, sizeof src, "%s{{ctx.ws}}%s{{ctx.ws}}", pieces[i], pieces[(i + 3) % n]);
            speech_as_collapsed(src);
        }
    }
    /* Values of words and single spaces are passed over, anything else collapsed: generated
     * values of the bytes that tell them apart, after each piece. */
    static const char alphabet[] = {'a',  ' ',    ' ',    '\t',   '\n',
                                    '\r', '\x01', '\x7f', '\xc3', '\xa9'};
    uint32_t seed = 7;
    for (int round = 0; round < 3000; round++) {
        char v[48];
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % 40;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            v[i] = alphabet[(seed >> 16) % (seed & 0x100 ? sizeof alphabet : 3)];
        }
        v[len] = '\0';
        json_object_set_new(ctx, "ws", json_stringn_nocheck(v, len));
        snprintf(src, sizeof src, "%s{{ctx.ws}}%s", pieces[round % n], pieces[(round / n) % n]);
        speech_as_collapsed(src);
    }
}
END_TEST

static const struct {
    const char *src;
    const char *want;
} render_cases[] = {
    /* plain text */
    {"", ""},
    {"Bonjour", "Bonjour"},
    {"a } b }} c { d", "a } b }} c { d"},
    {"{ {ctx.name} }", "{ {ctx.name} }"},
    {"trailing {", "trailing {"},
    {"Vous n'avez \"rien\" à venir.", "Vous n'avez \"rien\" à venir."},
    /* substitutions from each root */
    {"{{ctx.name}}", "Ana"},
    {"{{ ctx.name }}", "Ana"},
    {"{{\n\tctx.name\n}}", "Ana"},
    {"Hi {{resp.x}}!", "Hi rx!"},
    {"{{globals.otp.length}} chiffres", "6 chiffres"},
    {"{{globals.name}}/{{ctx.name}}", "Synergia/Ana"},
    {"{{ctx.nested.a.b}}", "deep"},
    /* array indexes */
    {"{{ctx.appt_list[0].id}}", "a1"},
    {"{{ctx.appt_list[1].id}}", "a2"},
    {"{{ctx.appt_list[01].id}}", "a2"},
    {"[{{ctx.appt_list[2].id}}]", "[]"},
    {"{{ctx.appt_list[0].when}} {{ctx.appt_list[1].when}}.", "lundi ."},
    /* missing values */
    {"[{{ctx.missing}}]", "[]"},
    {"[{{ctx.missing.deeper[3]}}]", "[]"},
    {"[{{ctx.name.x}}]", "[]"},
    {"[{{ctx.appt_list.id}}]", "[]"},
    {"[{{ctx.nested[0]}}]", "[]"},
    /* value formatting */
    {"{{ctx.count}}", "3"},
    {"{{ctx.neg}}", "-7"},
    {"{{ctx.big}}", "9007199254740993"},
    {"{{ctx.pi}}", "2.5"},
    {"{{ctx.third}}", "0.1"},
    {"{{ctx.three_real}}", "3"},
    /* An integer never with an exponent; null is said as nothing, like a missing value. */
    {"{{ctx.huge}}", "1000000000000000000000"},
    {"{{ctx.neg_zero}} {{ctx.neg_zero_int}} {{ctx.tiny}}", "0 0 1.5e-07"},
    {"{{ctx.flag}} {{ctx.off}} [{{ctx.nul}}]", "true false []"},
    {"{{ctx.appt_list}}", "[{\"id\":\"a1\",\"when\":\"lundi\"},{\"id\":\"a2\"}]"},
    {"{{ctx.obj}}{{ctx.list}}", "{}[]"},
    {"{{ctx.quote}}", "l'été \"chaud\""},
    {"{{ctx.count >= 3}}/{{ctx.count < 3}}", "true/false"},
    {"{{ 42 }} {{ -1.5 }} {{ 'lit' }} [{{ null }}] {{ 1e3 }}", "42 -1.5 lit [] 1000"},
    /* substituted text is never parsed again */
    {"{{ctx.inject}}", "{{ctx.secret}}"},
    {"<{{ctx.inject}}{{ctx.inject}}>", "<{{ctx.secret}}{{ctx.secret}}>"},
    /* blocks */
    {"{{#if ctx.flag}}yes{{/if}}", "yes"},
    {"{{#if ctx.off}}yes{{/if}}", ""},
    {"{{#if ctx.flag}}yes{{else}}no{{/if}}", "yes"},
    {"{{#if ctx.off}}yes{{else}}no{{/if}}", "no"},
    {"a{{#if  ctx.flag }}b{{ else }}c{{ /if }}d", "abd"},
    {"{{#if(ctx.flag)}}p{{/if}}", "p"},
    {"{{#if !ctx.off}}n{{/if}}", "n"},
    {"{{#if ctx.count == 1}}one{{else if ctx.count == 3}}three{{else}}other{{/if}}", "three"},
    {"{{#if ctx.count == 3}}three{{else if ctx.count > 1}}many{{else}}other{{/if}}", "three"},
    {"{{#if ctx.count == 0}}0{{else if ctx.count == 1}}1{{else}}n{{/if}}", "n"},
    {"{{#if ctx.zero}}z{{else if ctx.off}}o{{/if}}.", "."},
    {"{{#if ctx.flag}}A{{#if ctx.off}}B{{else}}C{{#if ctx.count}}D{{/if}}{{/if}}E{{/if}}F",
     "ACDEF"},
    {"{{#if ctx.off}}A{{#if ctx.flag}}B{{/if}}C{{else}}{{#if ctx.flag}}X{{/if}}{{/if}}", "X"},
    /* truthiness */
    {"{{#if ctx.missing}}T{{else}}F{{/if}}", "F"},
    {"{{#if ctx.nul}}T{{else}}F{{/if}}", "F"},
    {"{{#if ctx.zero}}T{{else}}F{{/if}}", "F"},
    {"{{#if ctx.zero_real}}T{{else}}F{{/if}}", "F"},
    {"{{#if ctx.empty}}T{{else}}F{{/if}}", "F"},
    {"{{#if ctx.list}}T{{else}}F{{/if}}", "F"},
    {"{{#if ctx.obj}}T{{else}}F{{/if}}", "F"},
    {"{{#if ctx.space}}T{{else}}F{{/if}}", "T"},
    {"{{#if ctx.neg}}T{{else}}F{{/if}}", "T"},
    {"{{#if ctx.pi}}T{{else}}F{{/if}}", "T"},
    {"{{#if ctx.appt_list}}T{{else}}F{{/if}}", "T"},
    {"{{#if ctx.nested}}T{{else}}F{{/if}}", "T"},
    {"{{#if resp}}T{{else}}F{{/if}}", "T"},
    /* every operator */
    {"{{ctx.count == 3}} {{ctx.count == 4}}", "true false"},
    {"{{ctx.count != 3}} {{ctx.count != 4}}", "false true"},
    {"{{ctx.count < 4}} {{ctx.count < 3}}", "true false"},
    {"{{ctx.count <= 3}} {{ctx.count <= 2}}", "true false"},
    {"{{ctx.count > 2}} {{ctx.count > 3}}", "true false"},
    {"{{ctx.count >= 3}} {{ctx.count >= 4}}", "true false"},
    {"{{ctx.flag && ctx.count}} {{ctx.flag && ctx.zero}}", "true false"},
    {"{{ctx.off || ctx.name}} {{ctx.off || ctx.empty}}", "true false"},
    {"{{!ctx.flag}} {{!ctx.missing}} {{!!ctx.name}}", "false true true"},
    /* comparisons between types */
    {"{{ctx.three_real == 3}} {{3 == 3.0}} {{ctx.pi > 2}} {{ctx.pi < 3}}", "true true true true"},
    {"{{ctx.big > 9007199254740992}}", "true"},
    {"{{ctx.abc < 'abd'}} {{'ab' < ctx.abc}} {{'b' > ctx.abc}}", "true true true"},
    {"{{ctx.abc == 'abc'}} {{ctx.abc == 'ABC'}} {{ctx.abc == 'ab'}}", "true false false"},
    /* a string that writes a number in decimal (a digits collect's "3") is that number beside
     * a number; any other string has no order with one */
    {"{{'3' == 3}} {{'3' != 3}} {{ctx.flag == 1}} {{ctx.nul == 0}}", "true false false false"},
    {"{{'3' < 4}} {{'3' >= 4}} {{ctx.flag > ctx.off}} {{ctx.list < ctx.list}}",
     "true false false false"},
    {"{{'007' == 7}} {{'-2.50' < -2}} {{4 > '3.9'}} {{'12345678901234567890' > 1e19}}",
     "true true true true"},
    {"{{'1e3' == 1000}} {{' 3' == 3}} {{'3.' == 3}} {{'-' < 1}} {{'3' == '3.0'}} {{'10' < '9'}}",
     "false false false false false true"},
    {"{{ctx.missing == null}} {{ctx.nul == null}} {{ctx.missing != ctx.nul}}", "true true false"},
    {"{{ctx.missing < 1}} {{ctx.missing >= 1}}", "false false"},
    /* a flag never set is false: a missing path equals false as it equals null, and != is
     * the negation */
    {"{{ctx.missing == false}} {{ctx.missing != false}} {{false == ctx.missing}}",
     "true false true"},
    {"{{ctx.a.b.c == false}} {{ctx.missing != true}} {{ctx.missing == true}}",
     "true true false"},
    /* null, as a `set` copies a value the answer did not hold, is nothing too; `== null` asks
     * whether there is nothing, so false is not `== null` */
    {"{{ctx.nul == false}} {{ctx.off == null}} {{ctx.off != null}} {{ctx.nul != false}}",
     "true false true false"},
    {"{{ctx.off == ctx.missing}} {{ctx.off == ctx.nul}} {{null == false}} {{false == null}}",
     "true true false false"},
    {"{{ctx.missing == 0}} {{ctx.missing == ''}} {{ctx.zero == false}} {{ctx.empty == false}}",
     "false false false false"},
    {"{{ctx.flag == true}} {{ctx.off == false}} {{true == false}}", "true true false"},
    {"{{ctx.appt_list == ctx.appt_list}} {{ctx.obj == ctx.nested}}", "true false"},
    /* precedence and parentheses */
    {"{{true || false && false}}", "true"},
    {"{{(true || false) && false}}", "false"},
    {"{{false && true || true}}", "true"},
    {"{{false && (true || true)}}", "false"},
    {"{{!ctx.flag == false}}", "true"},
    {"{{!(ctx.count == 3)}}", "false"},
    {"{{ctx.count > 1 && ctx.count < 5 || ctx.off}}", "true"},
    {"{{((((ctx.count))))}}", "3"},
    /* literals of each type */
    {"{{ctx.name == 'Ana'}} {{ctx.name == \"Ana\"}}", "true true"},
    {"{{'l\\'été'}} {{\"dit \\\"oui\\\"\"}} {{'a\\tb'}}", "l'été dit \"oui\" a\tb"},
    {"{{ctx.pi == 2.50}} {{ctx.neg == -7}} {{1e3 == 1000}} {{0.5 < 1}}", "true true true true"},
    {"{{#if ctx.name == \"}}\"}}x{{else}}y{{/if}}", "y"},
    {"{{true}} {{false}} {{null == null}}", "true false true"},
    /* French text around substitutions */
    {"Vous avez {{resp.count}} rendez-vous à venir, {{ctx.name}}.",
     "Vous avez 3 rendez-vous à venir, Ana."},
};

START_TEST(test_render_table)
{
    char *got = render(render_cases[_i].src);
    ck_assert_msg(strcmp(got, render_cases[_i].want) == 0, "\"%s\" rendered \"%s\", want \"%s\"",
                  render_cases[_i].src, got, render_cases[_i].want);
    free(got);
}
END_TEST

/* ------------------------------------------------------------ evaluation */

static const struct {
    const char *src;
    const char *want; /* compact JSON of the result */
} eval_cases[] = {
    {"{{ctx.count}}", "3"},
    {"{{ ctx.pi }}", "2.5"},
    {"{{ctx.flag}}", "true"},
    {"{{ctx.off}}", "false"},
    {"{{ctx.name}}", "\"Ana\""},
    {"{{ctx.appt_list}}", "[{\"id\":\"a1\",\"when\":\"lundi\"},{\"id\":\"a2\"}]"},
    {"{{ctx.nested}}", "{\"a\":{\"b\":\"deep\"}}"},
    {"{{ctx.appt_list[0].id}}", "\"a1\""},
    {"{{resp.count}}", "3"},
    {"{{globals.otp}}", "{\"length\":6}"},
    {"{{ctx.missing}}", "null"},
    {"{{ctx.appt_list[9].id}}", "null"},
    {"{{ctx.nul}}", "null"},
    {"{{ctx.count > 2}}", "true"},
    {"{{ctx.count == 2 || ctx.off}}", "false"},
    {"{{!ctx.name}}", "false"},
    {"{{ (ctx.count) }}", "3"},
    {"{{42}}", "42"},
    {"{{-0.25}}", "-0.25"},
    {"{{'s'}}", "\"s\""},
    {"{{null}}", "null"},
    {"{{true}}", "true"},
    {"{{ctx.inject}}", "\"{{ctx.secret}}\""},
    {"x{{ctx.count}}", "\"x3\""},
    {"{{ctx.count}} ", "\"3 \""},
    {" {{ctx.count}}", "\" 3\""},
    {"{{ctx.count}}{{ctx.count}}", "\"33\""},
    {"{{ctx.appt_list}}.",
     "\"[{\\\"id\\\":\\\"a1\\\",\\\"when\\\":\\\"lundi\\\"},{\\\"id\\\":\\\"a2\\\"}].\""},
    {"plain", "\"plain\""},
    {"", "\"\""},
    {"{{#if ctx.flag}}{{ctx.count}}{{/if}}", "\"3\""},
    {"{{ctx.missing}}-", "\"-\""},
};

START_TEST(test_eval_table)
{
    ivrsm_tmpl *t = compile_ok(eval_cases[_i].src);
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .resp = resp,
                              .globals = globals,
                              .mem = ivrsm_mem_default()};
    json_t *v = eval(t, &scope);
    ck_assert_ptr_nonnull(v);
    char *got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    ck_assert_msg(strcmp(got, eval_cases[_i].want) == 0, "\"%s\" evaluated to %s, want %s",
                  eval_cases[_i].src, got, eval_cases[_i].want);
    free(got);
    json_decref(v);
    ivrsm_tmpl_free(t);
}
END_TEST

START_TEST(test_eval_returns_new_reference)
{
    ivrsm_tmpl *t = compile_ok("{{ctx.appt_list}}");
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .resp = resp,
                              .globals = globals,
                              .mem = ivrsm_mem_default()};
    json_t *list = json_object_get(ctx, "appt_list");
    json_t *v = eval(t, &scope);
    if (ctx_store) {
        /* A store's value is copied out, equal to what was put in. */
        ck_assert(json_equal(v, list));
        ck_assert_ptr_ne(v, list);
        ck_assert_int_eq((int)v->refcount, 1);
    } else {
        ck_assert_ptr_eq(v, list);
        ck_assert_int_eq((int)list->refcount, 2);
    }
    json_decref(v);
    ck_assert_int_eq((int)list->refcount, 1);
    ivrsm_tmpl_free(t);

    /* A literal is copied: changing the result cannot change the template. */
    t = compile_ok("{{'abc'}}");
    v = eval(t, &scope);
    json_string_set(v, "changed");
    json_decref(v);
    v = eval(t, &scope);
    ck_assert_str_eq(json_string_value(v), "abc");
    json_decref(v);
    ivrsm_tmpl_free(t);
}
END_TEST

/* ------------------------------------------------------------ errors */

static const struct {
    const char *src;
    const char *msg;
    size_t off;
} error_cases[] = {
    {"{{ctx.name", "unterminated '{{': no matching '}}'", 0},
    {"ab {{ctx.name}", "unterminated '{{': no matching '}}'", 3},
    {"{{ctx.a}} {{", "unterminated '{{': no matching '}}'", 10},
    {"{{foo.x}}", "unknown root 'foo' in '{{foo.x}}': expected ctx, resp, globals or now", 2},
    {"Bonjour {{ name }}",
     "unknown root 'name' in '{{ name }}': expected ctx, resp, globals or now", 11},
    {"{{true.x}}", "unknown root 'true' in '{{true.x}}': expected ctx, resp, globals or now", 2},
    {"{{}}", "empty expression in '{{}}'", 0},
    {"x{{  }}", "empty expression in '{{  }}'", 1},
    {"{{ctx..a}}", "empty key in path 'ctx..a' in '{{ctx..a}}'", 5},
    {"{{ctx.}}", "empty key in path 'ctx.' in '{{ctx.}}'", 5},
    {"{{ctx.a[x]}}", "bad index '[x]' in '{{ctx.a[x]}}': expected a non-negative integer", 7},
    {"{{ctx.a[]}}", "bad index '[]' in '{{ctx.a[]}}': expected a non-negative integer", 7},
    {"{{ctx.a[-1]}}", "bad index '[-1]' in '{{ctx.a[-1]}}': expected a non-negative integer", 7},
    {"{{ctx.a[1}}", "bad index '[1' in '{{ctx.a[1}}': expected a non-negative integer", 7},
    {"{{ctx.a[99999999999]}}",
     "bad index '[99999999999]' in '{{ctx.a[99999999999]}}': expected a non-negative integer", 7},
    {"{{ctx.a[0]x}}", "unexpected 'x' in path 'ctx.a[0]x' in '{{ctx.a[0]x}}'", 10},
    {"{{#if ctx.a}}x", "'{{#if}}' never closed by '{{/if}}'", 0},
    {"{{#if ctx.a}}{{#if ctx.b}}{{/if}}", "'{{#if}}' never closed by '{{/if}}'", 0},
    {"x{{/if}}", "'{{/if}}' without a matching '{{#if}}'", 1},
    {"{{#if ctx.a}}{{/if}}{{/if}}", "'{{/if}}' without a matching '{{#if}}'", 20},
    {"{{else}}", "'{{else}}' outside '{{#if}}'", 0},
    {"a {{else if ctx.b}}", "'{{else if ctx.b}}' outside '{{#if}}'", 2},
    {"{{#if ctx.a}}{{else}}{{else}}{{/if}}", "'{{else}}' after '{{else}}' in the same '{{#if}}'",
     21},
    {"{{#if ctx.a}}{{else}}{{else if ctx.b}}{{/if}}",
     "'{{else if ctx.b}}' after '{{else}}' in the same '{{#if}}'", 21},
    {"{{#if ctx.a}}{{else ctx.b}}{{/if}}",
     "unexpected text after 'else' in '{{else ctx.b}}': expected '{{else}}' or '{{else if ...}}'",
     20},
    {"{{#if}}", "empty condition in '{{#if}}'", 0},
    {"{{#if ctx.a}}{{else if }}{{/if}}", "empty condition in '{{else if }}'", 13},
    {"{{#each ctx.a}}", "unknown block '{{#each ctx.a}}': only '{{#if ...}}' is supported", 0},
    {"{{#iffy}}", "unknown block '{{#iffy}}': only '{{#if ...}}' is supported", 0},
    {"{{/each}}", "unknown closing tag '{{/each}}': expected '{{/if}}'", 0},
    {"{{ctx.a ==}}", "expected a value at the end of '{{ctx.a ==}}'", 10},
    {"{{== ctx.a}}", "expected a value before '==' in '{{== ctx.a}}'", 2},
    {"{{ctx.a && || ctx.b}}", "expected a value before '||' in '{{ctx.a && || ctx.b}}'", 11},
    {"{{!}}", "expected a value at the end of '{{!}}'", 3},
    {"{{()}}", "expected a value before ')' in '{{()}}'", 3},
    {"{{ctx.a ctx.b}}", "unexpected 'ctx.b' in '{{ctx.a ctx.b}}': expected an operator or '}}'", 8},
    {"{{ctx.a)}}", "unexpected ')' in '{{ctx.a)}}': expected an operator or '}}'", 7},
    {"{{(ctx.a}}", "unclosed '(' in '{{(ctx.a}}'", 2},
    {"{{ctx.a == 'x}}", "unterminated string in '{{ctx.a == 'x}}'", 11},
    {"{{ctx.a == \"x}} y", "unterminated string in '{{ctx.a == \"x}}'", 11},
    {"{{ctx.a @ 1}}", "unexpected character '@' in '{{ctx.a @ 1}}'", 8},
    {"{{ctx.a = 1}}", "unexpected character '=' in '{{ctx.a = 1}}'", 8},
    {"{{ctx.a & 1}}", "unexpected character '&' in '{{ctx.a & 1}}'", 8},
    {"{{ctx.a\x01}}", "unexpected byte 0x01 in '{{ctx.a\x01}}'", 7},
    {"{{1 < 2 < 3}}", "comparisons cannot be chained in '{{1 < 2 < 3}}': join them with && or ||",
     8},
    {"{{01}}", "bad number '01' in '{{01}}'", 2},
    {"{{1.}}", "bad number '1.' in '{{1.}}'", 2},
    {"{{-}}", "bad number '-' in '{{-}}'", 2},
    {"{{3abc}}", "bad number '3abc' in '{{3abc}}'", 2},
    {"{{99999999999999999999}}", "bad number '99999999999999999999' in '{{99999999999999999999}}'",
     2},
    {"{{ctx.a | dates}}",
     "unknown format 'dates' in '{{ctx.a | dates}}': after '|' write one of date, weekday, time, "
     "number, money, cents, digits, phone, yesno",
     10},
    {"{{ctx.a |}}",
     "unknown format '' in '{{ctx.a |}}': after '|' write one of date, weekday, time, number, "
     "money, cents, digits, phone, yesno",
     8},
    {"{{ctx.a | date money}}",
     "unknown format 'date money' in '{{ctx.a | date money}}': after '|' write one of date, "
     "weekday, time, number, money, cents, digits, phone, yesno",
     10},
    {"{{#if ctx.a | date}}x{{/if}}", "unexpected character '|' in '{{#if ctx.a | date}}'", 12},
    {"ab\xff", "invalid UTF-8 in template at byte 2", 2},
    {"\xc3\xa9t\xc3", "invalid UTF-8 in template at byte 3", 3},
    {"\xed\xa0\x80", "invalid UTF-8 in template at byte 0", 0},
    {"{{ctx.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
     "@}}",
     "unexpected character '@' in "
     "'{{ctx.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'",
     91},
};

/* Formats: after a lone '|', outside string literals; '||' is still "or". */
static const struct {
    const char *src;
    const char *want;
} format_cases[] = {
    {"{{ctx.pi | number}} €", "2,5 €"}, /* no locale in the scope: fr-FR */
    {"{{ ctx.flag|yesno }}", "oui"},
    {"{{ctx.missing | yesno}}", "non"},  /* missing is false */
    {"[{{ctx.missing | date}}]", "[]"},  /* missing says nothing */
    {"{{ctx.name | date}}", "Ana"},      /* not a date: said as it is */
    {"{{ctx.off || ctx.name}}", "true"}, /* "or", not a format */
    {"{{ctx.name == 'a|b'}}", "false"},  /* a bar inside a string */
    {"{{ctx.secret | digits}}", "1 2 3 4"},
    {"{{ctx.count | cents}}", "3 centimes"},
    {"{{ctx.zero | money}}", "0 euro"}, /* French: zéro euro */
    {"{{ctx.zero_real | cents}}", "0 euro"},
};

START_TEST(test_format_table)
{
    char *got = render(format_cases[_i].src);
    ck_assert_msg(strcmp(got, format_cases[_i].want) == 0, "\"%s\" rendered \"%s\", want \"%s\"",
                  format_cases[_i].src, got, format_cases[_i].want);
    free(got);
}
END_TEST

/* A formatted value is words in the call's language, never the value with its type. */
START_TEST(test_format_eval_and_locale)
{
    ivrsm_tmpl *t = compile_ok("{{ctx.pi | money}}");
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .mem = ivrsm_mem_default(),
                              .locale = ivrsm_locale_find("es-ES")};
    json_t *v = eval(t, &scope);
    ck_assert(json_is_string(v));
    ck_assert_str_eq(json_string_value(v), "2 euros con 50 céntimos");
    json_decref(v);
    scope.locale = ivrsm_locale_find("en-US");
    v = eval(t, &scope);
    ck_assert_str_eq(json_string_value(v), "2 dollars and 50 cents");
    json_decref(v);
    ivrsm_tmpl_free(t);
    /* Nothing: the plural in English ("0 dollars") and Spanish, invariable in German, the
     * singular in French ("zéro euro", "zéro franc"). */
    t = compile_ok("{{ctx.zero | money}}");
    static const struct {
        const char *tag, *want;
    } zero[] = {{"en-US", "0 dollars"}, {"en-GB", "0 pounds"}, {"es-ES", "0 euros"},
                {"de-DE", "0 Euro"},    {"fr-FR", "0 euro"},   {"fr-CH", "0 franc"}};
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++) {
        scope.locale = ivrsm_locale_find(zero[i].tag);
        v = eval(t, &scope);
        ck_assert_msg(!strcmp(json_string_value(v), zero[i].want), "%s: %s", zero[i].tag,
                      json_string_value(v));
        json_decref(v);
    }
    ivrsm_tmpl_free(t);
    t = compile_ok("{{ctx.pi | money}}");
    ck_assert(ivrsm_tmpl_uses_format(t, IVRSM_SAY_MONEY));
    ck_assert(!ivrsm_tmpl_uses_format(t, IVRSM_SAY_DATE));
    ivrsm_tmpl_free(t);
}
END_TEST

START_TEST(test_error_table)
{
    char err[256];
    size_t off = 12345;
    const char *src = error_cases[_i].src;
    ivrsm_tmpl *t =
        ivrsm_tmpl_compile(ivrsm_mem_default(), src, strlen(src), err, sizeof err, &off);
    ck_assert_msg(t == NULL, "\"%s\" compiled", src);
    ck_assert_str_eq(err, error_cases[_i].msg);
    ck_assert_msg(off == error_cases[_i].off, "\"%s\": offset %zu, want %zu", src, off,
                  error_cases[_i].off);
}
END_TEST

START_TEST(test_error_without_buffers)
{
    ck_assert_ptr_null(ivrsm_tmpl_compile(ivrsm_mem_default(), "{{foo}}", 7, NULL, 0, NULL));
    char err[8];
    ck_assert_ptr_null(
        ivrsm_tmpl_compile(ivrsm_mem_default(), "{{foo}}", 7, err, sizeof err, NULL));
    ck_assert_str_eq(err, "unknown");
    size_t off;
    ck_assert_ptr_null(ivrsm_tmpl_compile(ivrsm_mem_default(), NULL, 3, err, sizeof err, &off));
    ivrsm_tmpl *t = ivrsm_tmpl_compile(ivrsm_mem_default(), NULL, 0, NULL, 0, NULL);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(ivrsm_tmpl_source(t), "");
    ivrsm_tmpl_free(t);
    ivrsm_tmpl_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ limits */

/* "{{#if ctx.flag}}" n times, "x", then "{{/if}}" n times. */
static char *nested_ifs(int n)
{
    ivrsm_buf b = IVRSM_BUF_INIT(ivrsm_mem_default());
    for (int i = 0; i < n; i++)
        ivrsm_buf_puts(&b, "{{#if ctx.flag}}");
    ivrsm_buf_putc(&b, 'x');
    for (int i = 0; i < n; i++)
        ivrsm_buf_puts(&b, "{{/if}}");
    return ivrsm_buf_steal(&b);
}

START_TEST(test_nesting_limit)
{
    char *src = nested_ifs(IVRSM_TMPL_MAX_DEPTH);
    char *got = render(src);
    ck_assert_str_eq(got, "x");
    free(got);
    free(src);

    src = nested_ifs(IVRSM_TMPL_MAX_DEPTH + 1);
    char err[256];
    size_t off = 0;
    ck_assert_ptr_null(
        ivrsm_tmpl_compile(ivrsm_mem_default(), src, strlen(src), err, sizeof err, &off));
    ck_assert_str_eq(err, "'{{#if}}' blocks nested deeper than 16");
    ck_assert_uint_eq(off, 16 * strlen("{{#if ctx.flag}}"));
    free(src);
}
END_TEST

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

START_TEST(test_expression_depth_limit)
{
    char src[200], err[256];
    size_t off = 0;
    /* 32 levels of parentheses are fine, 33 are not; '!' chains count the same way. */
    snprintf(src, sizeof src, "{{%.*s1%.*s}}", 32, "((((((((((((((((((((((((((((((((((((", 32,
             "))))))))))))))))))))))))))))))))))))");
    char *got = render(src);
    ck_assert_str_eq(got, "1");
    free(got);
    snprintf(src, sizeof src, "{{%.*s1%.*s}}", 33, "((((((((((((((((((((((((((((((((((((", 33,
             "))))))))))))))))))))))))))))))))))))");
    ck_assert_ptr_null(
        ivrsm_tmpl_compile(ivrsm_mem_default(), src, strlen(src), err, sizeof err, &off));
    ck_assert_msg(starts_with(err, "expression nested deeper than 32 levels in '{{((("), "%s", err);
    ck_assert_uint_eq(off, 2 + 32);
    snprintf(src, sizeof src, "{{%.*sctx.flag}}", 33, "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    ck_assert_ptr_null(
        ivrsm_tmpl_compile(ivrsm_mem_default(), src, strlen(src), err, sizeof err, &off));
    ck_assert_msg(starts_with(err, "expression nested deeper than 32 levels in '{{!!!"), "%s", err);
    snprintf(src, sizeof src, "{{%.*sctx.flag}}", 32, "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    got = render(src);
    ck_assert_str_eq(got, "true");
    free(got);
}
END_TEST

START_TEST(test_size_limit)
{
    char *src = malloc(IVRSM_TMPL_MAX_LEN + 2);
    memset(src, 'a', IVRSM_TMPL_MAX_LEN + 1);
    memcpy(src, "{{ctx.name}}", 12);
    src[IVRSM_TMPL_MAX_LEN + 1] = '\0';
    char err[256];
    size_t off = 0;
    ck_assert_ptr_null(ivrsm_tmpl_compile(ivrsm_mem_default(), src, IVRSM_TMPL_MAX_LEN + 1, err,
                                          sizeof err, &off));
    ck_assert_str_eq(err, "template too large (65537 bytes, the limit is 65536)");
    ck_assert_uint_eq(off, IVRSM_TMPL_MAX_LEN);

    src[IVRSM_TMPL_MAX_LEN] = '\0';
    char *got = render(src);
    ck_assert_uint_eq(strlen(got), IVRSM_TMPL_MAX_LEN - 12 + 3);
    ck_assert(strncmp(got, "Anaaaa", 6) == 0);
    free(got);
    free(src);
}
END_TEST

/* A template near the size limit with 900 substitutions and as many blocks. */
START_TEST(test_large_template)
{
    ivrsm_buf src = IVRSM_BUF_INIT(ivrsm_mem_default()), want = IVRSM_BUF_INIT(ivrsm_mem_default());
    for (int i = 0; i < 900; i++) {
        ivrsm_buf_printf(&src,
                         "%d:{{ctx.appt_list[%d].id}}{{#if ctx.count > %d}}+{{else}}-{{/if}} ", i,
                         i % 3, i % 5);
        ivrsm_buf_printf(&want, "%d:%s%s ", i,
                         i % 3 == 0   ? "a1"
                         : i % 3 == 1 ? "a2"
                                      : "",
                         3 > i % 5 ? "+" : "-");
    }
    ck_assert_uint_lt(src.len, IVRSM_TMPL_MAX_LEN);
    ivrsm_tmpl *t = compile_ok(ivrsm_buf_str(&src));
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .resp = resp,
                              .globals = globals,
                              .mem = ivrsm_mem_default()};
    ivrsm_buf out = IVRSM_BUF_INIT(ivrsm_mem_default());
    for (int round = 0; round < 3; round++) {
        ivrsm_buf_reset(&out);
        ck_assert_int_eq(ivrsm_tmpl_render(t, &scope, &out), 0);
        ck_assert_str_eq(ivrsm_buf_str(&out), ivrsm_buf_str(&want));
    }
    ck_assert_uint_gt(ivrsm_tmpl_memory(t), src.len);
    ivrsm_tmpl_free(t);
    ivrsm_buf_free(&out);
    ivrsm_buf_free(&src);
    ivrsm_buf_free(&want);
}
END_TEST

/* ------------------------------------------------------------ the seed's templates */

/* list.upcoming's prompt_template, as the YAML folded scalar reads it. */
static const char *const seed_upcoming =
    "{{#if resp.count == 0}} Vous n'avez aucun rendez-vous à venir. Dites \"nouveau rendez-vous\" "
    "ou \"historique\". {{else}} Vous avez {{resp.count}} rendez-vous à venir. "
    "{{resp.summary_voice}} Dites \"détails\", \"confirmer\", \"déplacer\", \"annuler\", ou "
    "\"agenda\". Pour choisir un rendez-vous, dites \"premier\", \"deuxième\", \"troisième\". "
    "{{/if}}\n";

static char *render_with(const char *src, const char *ctx_text, const char *resp_text)
{
    json_t *c = json_loads(ctx_text, 0, NULL), *r = json_loads(resp_text, 0, NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(r);
    ivrsm_tmpl *t = compile_ok(src);
    ivrsm_tmpl_scope scope = {.ctx = c, .resp = r, .globals = globals, .mem = ivrsm_mem_default()};
    ivrsm_buf out = IVRSM_BUF_INIT(ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_tmpl_render(t, &scope, &out), 0);
    ivrsm_tmpl_free(t);
    json_decref(c);
    json_decref(r);
    return ivrsm_buf_steal(&out);
}

START_TEST(test_seed_upcoming_none)
{
    char *got = render_with(seed_upcoming, "{}", "{\"count\": 0, \"appointments\": []}");
    ck_assert_str_eq(got, " Vous n'avez aucun rendez-vous à venir. Dites \"nouveau rendez-vous\" "
                          "ou \"historique\". \n");
    free(got);
}
END_TEST

START_TEST(test_seed_upcoming_three)
{
    char *got = render_with(seed_upcoming, "{}",
                            "{\"count\": 3, \"summary_voice\": \"Lundi 3 mars à 9 heures, "
                            "mardi 4 mars à 10 heures, jeudi 6 mars à 14 heures.\"}");
    ck_assert_str_eq(got,
                     " Vous avez 3 rendez-vous à venir. Lundi 3 mars à 9 heures, mardi 4 mars à "
                     "10 heures, jeudi 6 mars à 14 heures. Dites \"détails\", \"confirmer\", "
                     "\"déplacer\", \"annuler\", ou \"agenda\". Pour choisir un rendez-vous, dites "
                     "\"premier\", \"deuxième\", \"troisième\". \n");
    free(got);
}
END_TEST

START_TEST(test_seed_slots_choose)
{
    const char *src = "Voici trois créneaux. Premier : {{ctx.slots[0].voice_label}}. Deuxième : "
                      "{{ctx.slots[1].voice_label}}. Troisième : {{ctx.slots[2].voice_label}}. "
                      "Dites \"un\", \"deux\", \"trois\" ou \"aucun\".\n";
    char *got = render_with(src,
                            "{\"slots\": [{\"id\": \"s1\", \"voice_label\": \"lundi 9 heures\"},"
                            " {\"id\": \"s2\", \"voice_label\": \"mardi 14 heures 30\"},"
                            " {\"id\": \"s3\", \"voice_label\": \"mercredi 10 heures\"}]}",
                            "{}");
    ck_assert_str_eq(got, "Voici trois créneaux. Premier : lundi 9 heures. Deuxième : mardi 14 "
                          "heures 30. Troisième : mercredi 10 heures. Dites \"un\", \"deux\", "
                          "\"trois\" ou \"aucun\".\n");
    free(got);
}
END_TEST

/* ------------------------------------------ expressions against a reference */

/*
 * A plain evaluator of the documented semantics (template.h) over jansson values, NULL for a
 * missing one, and generated expressions written with every operand in parentheses, so that the
 * template's evaluation (paths, literals and every operator) is compared with it whatever the
 * shape of the tree.
 */
typedef struct gen_expr {
    char text[2048];
    json_t *value; /* the reference's value (new reference; NULL: missing) */
    bool null_literal; /* the literal null, which `==` reads as "is there nothing" */
} gen_expr;

static uint64_t expr_seed = 0x9e3779b97f4a7c15ULL;

static unsigned expr_rand(unsigned n)
{
    expr_seed = expr_seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((expr_seed >> 33) % n);
}

static bool ref_truthy(const json_t *v)
{
    if (!v)
        return false;
    switch (json_typeof(v)) {
    case JSON_TRUE:
        return true;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0;
    case JSON_STRING:
        return json_string_length(v) != 0;
    case JSON_ARRAY:
        return json_array_size(v) != 0;
    case JSON_OBJECT:
        return json_object_size(v) != 0;
    default:
        return false;
    }
}

/* The number a string writes as -?DIGITS(.DIGITS)?, under 40 characters. */
static bool ref_decimal(const json_t *v, double *out)
{
    if (!v || !json_is_string(v) || json_string_length(v) >= 40)
        return false;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), i = s[0] == '-', start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == start)
        return false;
    if (i < n && s[i] == '.') {
        size_t fraction = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == fraction)
            return false;
    }
    if (i != n)
        return false;
    *out = strtod(s, NULL);
    return true;
}

/* -1, 0, 1 for two numbers (exact for two integers), a number and a string that writes one
 * (as two numbers) or two strings (byte-wise); 2: no order. */
static int ref_order(const json_t *a, const json_t *b)
{
    double x, y;
    if (a && b && json_is_number(a) && ref_decimal(b, &y)) {
        x = json_number_value(a);
        return (x > y) - (x < y);
    }
    if (a && b && ref_decimal(a, &x) && json_is_number(b)) {
        y = json_number_value(b);
        return (x > y) - (x < y);
    }
    if (a && b && json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    if (a && b && json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return (x > y) - (x < y);
    }
    if (a && b && json_is_string(a) && json_is_string(b)) {
        size_t la = json_string_length(a), lb = json_string_length(b);
        int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
        return c ? (c < 0 ? -1 : 1) : (la > lb) - (la < lb);
    }
    return 2;
}

static bool ref_equal(const json_t *a, const json_t *b, bool a_null, bool b_null)
{
    /* Nothing (missing: NULL, or null) equals nothing, and false unless it is the literal
     * null. */
    bool a_nothing = !a || json_is_null(a), b_nothing = !b || json_is_null(b);
    if (a_nothing && b_nothing)
        return true;
    if (a_nothing)
        return !a_null && json_is_false(b);
    if (b_nothing)
        return !b_null && json_is_false(a);
    if ((json_is_number(a) && json_is_number(b)) || (json_is_string(a) && json_is_string(b)) ||
        (json_is_number(a) && json_is_string(b)) || (json_is_string(a) && json_is_number(b)))
        return ref_order(a, b) == 0;
    return json_typeof(a) == json_typeof(b) && json_equal(a, b);
}

static void gen_expression(gen_expr *g, const json_t *ctx_json, int depth)
{
    static const char *const paths[] = {"k0",    "k1",   "k2",      "k3",      "k4",        "k0[0]",
                                        "k1[1]", "k2.x", "k3.x[0]", "missing", "k4.missing"};
    static const char *const literals[] = {"0",     "1",     "-2",   "3",    "2.5",  "-1.5",
                                           "0.0",   "1.0",   "''",   "'a'",  "'ab'", "\"b\"",
                                           "true",  "false", "null", "'3'",  "'-2'", "'2.5'",
                                           "'003'", "'1e3'", "' 3'", "'3.'", "'-'"};
    static const char *const binary[] = {"&&", "||", "==", "!=", "<", "<=", ">", ">="};
    unsigned pick = depth >= 4 ? expr_rand(2) : expr_rand(5);
    g->null_literal = false;
    if (pick == 0) {
        const char *path = paths[expr_rand(sizeof paths / sizeof *paths)];
        snprintf(g->text, sizeof g->text, "ctx.%s", path);
        json_t *v = (json_t *)ctx_json;
        const char *p = path;
        while (v && *p) { /* key, then [index] or .key */
            if (*p == '[') {
                v = json_is_array(v) ? json_array_get(v, strtoul(p + 1, NULL, 10)) : NULL;
                p = strchr(p, ']') + 1;
                continue;
            }
            if (*p == '.')
                p++;
            size_t n = strcspn(p, ".[");
            char key[16];
            memcpy(key, p, n);
            key[n] = '\0';
            v = json_is_object(v) ? json_object_get(v, key) : NULL;
            p += n;
        }
        g->value = v ? json_incref(v) : NULL;
        return;
    }
    if (pick == 1) {
        const char *lit = literals[expr_rand(sizeof literals / sizeof *literals)];
        snprintf(g->text, sizeof g->text, "%s", lit);
        char json_text[8];
        snprintf(json_text, sizeof json_text, "%s", lit);
        if (lit[0] == '\'') /* a string: the JSON text with double quotes */
            for (char *q = json_text; *q; q++)
                if (*q == '\'')
                    *q = '"';
        g->value = json_loads(json_text, JSON_DECODE_ANY, NULL);
        ck_assert_ptr_nonnull(g->value);
        g->null_literal = json_is_null(g->value);
        return;
    }
    gen_expr *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    ck_assert(a && b);
    gen_expression(a, ctx_json, depth + 1);
    bool holds;
    if (pick == 2) {
        /* A text cut short would be another expression: the generator's depth keeps it short. */
        ck_assert_int_lt(snprintf(g->text, sizeof g->text, "!(%s)", a->text), (int)sizeof g->text);
        holds = !ref_truthy(a->value);
        b->value = NULL;
    } else {
        gen_expression(b, ctx_json, depth + 1);
        const char *op = binary[expr_rand(sizeof binary / sizeof *binary)];
        ck_assert(strlen(a->text) <= 900 && strlen(b->text) <= 900);
        snprintf(g->text, sizeof g->text, "(%.900s) %s (%.900s)", a->text, op, b->text);
        int order = ref_order(a->value, b->value);
        if (!strcmp(op, "&&"))
            holds = ref_truthy(a->value) && ref_truthy(b->value);
        else if (!strcmp(op, "||"))
            holds = ref_truthy(a->value) || ref_truthy(b->value);
        else if (!strcmp(op, "=="))
            holds = ref_equal(a->value, b->value, a->null_literal, b->null_literal);
        else if (!strcmp(op, "!="))
            holds = !ref_equal(a->value, b->value, a->null_literal, b->null_literal);
        else if (!strcmp(op, "<"))
            holds = order == -1;
        else if (!strcmp(op, "<="))
            holds = order == -1 || order == 0;
        else if (!strcmp(op, ">"))
            holds = order == 1;
        else
            holds = order == 1 || order == 0;
    }
    g->value = json_boolean(holds);
    json_decref(a->value);
    json_decref(b->value);
    free(a);
    free(b);
}

/* A value of every type for a generated ctx's member. */
static json_t *gen_member(void)
{
    static const char *const texts[] = {"0",
                                        "1",
                                        "-2",
                                        "3",
                                        "2.5",
                                        "1.0",
                                        "0.0",
                                        "\"\"",
                                        "\"a\"",
                                        "\"ab\"",
                                        "\"b\"",
                                        "true",
                                        "false",
                                        "null",
                                        "[]",
                                        "[1]",
                                        "[0, \"a\"]",
                                        "{}",
                                        "{\"x\": 1}",
                                        "{\"x\": [\"a\"]}",
                                        "{\"x\": 0.0}",
                                        "\"3\"",
                                        "\"-1.5\"",
                                        "\"2.50\"",
                                        "\"1e3\"",
                                        "\"12345678901234567890\""};
    json_t *v = json_loads(texts[expr_rand(sizeof texts / sizeof *texts)], JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* Generated expressions over generated ctx, as jansson and as a store, against the reference. */
START_TEST(test_expressions_as_reference)
{
    long compared = 0;
    for (int round = 0; round < 300; round++) {
        json_t *c = json_object();
        for (int k = 0; k < 5; k++) {
            char key[4] = {'k', (char)('0' + k), '\0'};
            if (expr_rand(6))
                json_object_set_new(c, key, gen_member());
        }
        ivrsm_vstore st;
        ivrsm_vstore_on(&st, ivrsm_mem_default());
        ck_assert_int_eq(ivrsm_vstore_put_json(&st, c, NULL, NULL, &st.root), 0);
        for (int e = 0; e < 40; e++) {
            gen_expr *g = malloc(sizeof *g);
            ck_assert_ptr_nonnull(g);
            gen_expression(g, c, 0);
            char err[256];
            size_t off = 0;
            ivrsm_tmpl *t = ivrsm_tmpl_compile_expr(ivrsm_mem_default(), g->text, strlen(g->text),
                                                    err, sizeof err, &off);
            ck_assert_msg(t, "\"%s\": %s at %zu", g->text, err, off);
            for (int as_store = 0; as_store < 2; as_store++) {
                ivrsm_tmpl_scope scope = {.ctx = as_store ? NULL : c,
                                          .ctx_store = as_store ? &st : NULL,
                                          .mem = ivrsm_mem_default()};
                json_t *got = eval(t, &scope);
                ck_assert_ptr_nonnull(got);
                const json_t *want = g->value ? g->value : json_null();
                char *gs = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
                char *ws = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
                ck_assert_msg(json_typeof(got) == json_typeof(want) && json_equal(got, want),
                              "\"%s\" over %s: %s, want %s", g->text,
                              as_store ? "a store" : "jansson", gs, ws);
                ck_assert_int_eq(ivrsm_tmpl_test(t, &scope), ref_truthy(g->value));
                free(gs);
                free(ws);
                json_decref(got);
                compared++;
            }
            ivrsm_tmpl_free(t);
            json_decref(g->value);
            free(g);
        }
        ivrsm_vstore_free(&st);
        json_decref(c);
    }
    ck_assert_int_eq(compared, 300 * 40 * 2);
}
END_TEST

/* The ctx of a session, as a store (value.h), from its JSON text. */
static void store_of(ivrsm_vstore *st, const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ivrsm_vstore_on(st, ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_vstore_put_json(st, j, NULL, NULL, &st->root), 0);
    json_decref(j);
}

/* One compiled template read by sessions whose ctx orders its members differently (its paths'
 * hints, value.h, left by the other's): each reads its own values, as a template compiled
 * afresh for it does, members missing in one of them included. */
START_TEST(test_hints_shared_by_stores)
{
    static const char *const ctx_texts[] = {
        "{\"a\": 1, \"b\": {\"c\": \"x\", \"d\": [{\"e\": 5}]}, \"f\": true}",
        "{\"f\": false, \"z\": 0, \"b\": {\"d\": [{\"q\": 1, \"e\": 6}], \"c\": \"y\"}, "
        "\"a\": 2}",
        "{\"b\": {\"cc\": 1, \"d\": 3}, \"aa\": 3}",
    };
    const char *src = "{{ctx.a}}|{{ctx.b.c}}|{{ctx.b.d[0].e}}|{{#if ctx.f && ctx.b.c == "
                      "\"x\"}}x{{else}}-{{/if}}";
    ivrsm_tmpl *shared = compile_ok(src);
    ivrsm_vstore st[3];
    for (int i = 0; i < 3; i++)
        store_of(&st[i], ctx_texts[i]);
    for (int turn = 0; turn < 12; turn++) {
        const ivrsm_vstore *c = &st[(turn * 7 + turn / 3) % 3];
        ivrsm_tmpl_scope scope = {.ctx_store = c, .mem = ivrsm_mem_default()};
        ivrsm_tmpl *fresh = compile_ok(src);
        ivrsm_buf got = IVRSM_BUF_INIT(ivrsm_mem_default());
        ivrsm_buf want = IVRSM_BUF_INIT(ivrsm_mem_default());
        ck_assert_int_eq(ivrsm_tmpl_render(shared, &scope, &got), 0);
        ck_assert_int_eq(ivrsm_tmpl_render(fresh, &scope, &want), 0);
        ck_assert_str_eq(ivrsm_buf_str(&got), ivrsm_buf_str(&want));
        ivrsm_buf_free(&got);
        ivrsm_buf_free(&want);
        ivrsm_tmpl_free(fresh);
    }
    ivrsm_tmpl_scope scope = {.ctx_store = &st[1], .mem = ivrsm_mem_default()};
    ivrsm_buf out = IVRSM_BUF_INIT(ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_tmpl_render(shared, &scope, &out), 0);
    ck_assert_str_eq(ivrsm_buf_str(&out), "2|y|6|-");
    ivrsm_buf_free(&out);
    for (int i = 0; i < 3; i++)
        ivrsm_vstore_free(&st[i]);
    ivrsm_tmpl_free(shared);
}
END_TEST

/* The seed's set: values keep their JSON type. */
START_TEST(test_seed_set_values)
{
    json_t *r = json_loads("{\"appointments\": [{\"id\": \"r7\"}, {\"id\": \"r9\"}], \"count\": 2}",
                           0, NULL);
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .resp = r,
                              .globals = globals,
                              .mem = ivrsm_mem_default()};
    ivrsm_tmpl *t = compile_ok("{{resp.appointments}}");
    json_t *v = eval(t, &scope);
    ck_assert(json_is_array(v));
    ck_assert_uint_eq(json_array_size(v), 2);
    json_decref(v);
    ivrsm_tmpl_free(t);
    t = compile_ok("{{ctx.appt_list[1].id}}");
    v = eval(t, &scope);
    ck_assert_str_eq(json_string_value(v), "a2");
    json_decref(v);
    ivrsm_tmpl_free(t);
    t = compile_ok("Bearer {{ctx.secret}}");
    v = eval(t, &scope);
    ck_assert_str_eq(json_string_value(v), "Bearer 1234");
    json_decref(v);
    ivrsm_tmpl_free(t);
    json_decref(r);
}
END_TEST

/* ------------------------------------------------------------ scope, paths, memory */

START_TEST(test_missing_roots)
{
    ivrsm_tmpl *t = compile_ok("[{{resp.x}}|{{ctx.name}}|{{globals.name}}]");
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .resp = NULL,
                              .globals = globals,
                              .mem = ivrsm_mem_default()};
    ivrsm_buf out = IVRSM_BUF_INIT(ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_tmpl_render(t, &scope, &out), 0);
    ck_assert_str_eq(ivrsm_buf_str(&out), "[|Ana|Synergia]");
    ivrsm_buf_reset(&out);
    ck_assert_int_eq(ivrsm_tmpl_render(t, NULL, &out), 0);
    ck_assert_str_eq(ivrsm_buf_str(&out), "[||]");
    ivrsm_buf_free(&out);
    ivrsm_tmpl_free(t);

    t = compile_ok("{{resp.x}}");
    json_t *v = eval(t, &scope);
    ck_assert(json_is_null(v));
    json_decref(v);
    ivrsm_tmpl_free(t);
}
END_TEST

/* A value said more times than IVRSM_MAX_TEXT_BYTES holds stops the render (the buffer failed
 * as past its limit, not out of memory), in both renders; one just within it renders whole. */
START_TEST(test_render_bounded)
{
    size_t size = 64 * 1024;
    char *big = malloc(size + 1);
    memset(big, 'x', size);
    big[size] = 0;
    json_t *c = json_pack("{s:s}", "big", big);
    free(big);
    char src[1024] = "";
    for (int i = 0; i < 16; i++)
        strcat(src, "{{ctx.big}}");
    ivrsm_tmpl *within = compile_ok(src); /* 16 x 64 KiB: the bound exactly */
    strcat(src, "{{ctx.big}}");
    ivrsm_tmpl *past = compile_ok(src);
    ivrsm_tmpl_scope scope = {.ctx = c, .globals = globals, .mem = ivrsm_mem_default()};
    for (int speech = 0; speech < 2; speech++) {
        ivrsm_buf out = IVRSM_BUF_INIT(ivrsm_mem_default());
        int rc = speech ? ivrsm_tmpl_render_speech(within, &scope, &out)
                        : ivrsm_tmpl_render(within, &scope, &out);
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(out.len, IVRSM_MAX_TEXT_BYTES);
        ivrsm_buf_free(&out);
        rc = speech ? ivrsm_tmpl_render_speech(past, &scope, &out)
                    : ivrsm_tmpl_render(past, &scope, &out);
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(out.failed, IVRSM_BUF_PAST_LIMIT);
        ivrsm_buf_free(&out);
    }
    /* Evaluated: a text within the bound is a string; past it IVRSM_ELIMIT, not out of
     * memory (a request's value fails for that reason), whatever the allocator then does. */
    json_t *v = NULL;
    ck_assert_int_eq(ivrsm_tmpl_eval(within, &scope, &v), 0);
    ck_assert_uint_eq(json_string_length(v), IVRSM_MAX_TEXT_BYTES);
    json_decref(v);
    v = json_true();
    ck_assert_int_eq(ivrsm_tmpl_eval(past, &scope, &v), IVRSM_ELIMIT);
    ck_assert_ptr_null(v);
    failing_mem fm;
    failing_mem_init(&fm);
    scope.mem = &fm.mem;
    failing_mem_fail_from(&fm, 0);
    v = json_true();
    ck_assert_int_eq(ivrsm_tmpl_eval(past, &scope, &v), IVRSM_ENOMEM);
    ck_assert_ptr_null(v);
    failing_mem_off(&fm);
    ivrsm_tmpl_free(within);
    ivrsm_tmpl_free(past);
    json_decref(c);
}
END_TEST

START_TEST(test_render_appends)
{
    ivrsm_tmpl *t = compile_ok("{{ctx.name}}!");
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .resp = resp,
                              .globals = globals,
                              .mem = ivrsm_mem_default()};
    ivrsm_buf out = IVRSM_BUF_INIT(ivrsm_mem_default());
    ivrsm_buf_puts(&out, "Bonjour ");
    ck_assert_int_eq(ivrsm_tmpl_render(t, &scope, &out), 0);
    ck_assert_str_eq(ivrsm_buf_str(&out), "Bonjour Ana!");
    ivrsm_buf_free(&out);
    ivrsm_tmpl_free(t);
}
END_TEST

START_TEST(test_static_and_source)
{
    const char *texts[] = {"", "abc", "a } {", "Dites \"oui\" {"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        ivrsm_tmpl *t = compile_ok(texts[i]);
        ck_assert(ivrsm_tmpl_is_static(t));
        ck_assert_str_eq(ivrsm_tmpl_source(t), texts[i]);
        ivrsm_tmpl_free(t);
    }
    ivrsm_tmpl *t = compile_ok("a {{ctx.name}}");
    ck_assert(!ivrsm_tmpl_is_static(t));
    ck_assert_str_eq(ivrsm_tmpl_source(t), "a {{ctx.name}}");
    ivrsm_tmpl_free(t);
    t = compile_ok("{{#if true}}x{{/if}}");
    ck_assert(!ivrsm_tmpl_is_static(t));
    ivrsm_tmpl_free(t);

    /* The source is copied: the template does not depend on the caller's buffer. */
    char buf[] = "x{{ctx.name}}y and more";
    t = ivrsm_tmpl_compile(ivrsm_mem_default(), buf, 13, NULL, 0, NULL);
    memset(buf, '#', sizeof buf - 1);
    ck_assert_str_eq(ivrsm_tmpl_source(t), "x{{ctx.name}}");
    ivrsm_tmpl_free(t);
}
END_TEST

typedef struct seen_paths {
    char text[512];
} seen_paths;

static void collect_path(void *user, const char *path, size_t offset)
{
    seen_paths *seen = user;
    size_t len = strlen(seen->text);
    snprintf(seen->text + len, sizeof seen->text - len, "%s@%zu;", path, offset);
}

START_TEST(test_each_path)
{
    ivrsm_tmpl *t = compile_ok("{{#if ctx.appt_list[00].id == resp.x && !globals.otp.length}}"
                               "{{ ctx.a-b }}{{else if ('x' < ctx.y)}}{{ctx}}{{/if}}{{resp.x}}");
    seen_paths seen = {""};
    ivrsm_tmpl_each_path(t, collect_path, &seen);
    ck_assert_str_eq(seen.text, "ctx.appt_list[0].id@6;resp.x@30;globals.otp.length@41;"
                                "ctx.a-b@64;ctx.y@91;ctx@101;resp.x@115;");
    ivrsm_tmpl_free(t);

    t = compile_ok("sans variable");
    seen.text[0] = '\0';
    ivrsm_tmpl_each_path(t, collect_path, &seen);
    ck_assert_str_eq(seen.text, "");
    ivrsm_tmpl_free(t);
}
END_TEST

/* A path's canonical text (each_path) against one written by snprintf: keys as written,
 * indexes without their leading zeros, for random paths of many segments. */
START_TEST(test_path_text_as_printf)
{
    static const char *const roots[] = {"ctx", "resp", "globals", "now"};
    static const char key_chars[] = "abcxyzAZ_09-";
    unsigned seed = 12345;
    for (int round = 0; round < 400; round++) {
        char src[600], want[600];
        size_t s = 0, w = 0;
        const char *root = roots[(seed = seed * 1103515245u + 12345u) >> 16 & 3];
        s += (size_t)snprintf(src + s, sizeof src - s, "{{ %s", root);
        w += (size_t)snprintf(want + w, sizeof want - w, "%s", root);
        int segs = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 24;
        for (int i = 0; i < segs; i++) {
            unsigned r = (seed = seed * 1103515245u + 12345u) >> 16;
            if (r & 1) {
                int n = 1 + (int)(r >> 1) % 9;
                src[s++] = '.';
                want[w++] = '.';
                for (int k = 0; k < n; k++) {
                    char c = key_chars[(r >> (k + 2)) % (sizeof key_chars - 1)];
                    src[s++] = want[w++] = c;
                }
            } else {
                unsigned index = (r >> 1) % 7 == 0 ? 1000000000u : (r >> 1) % 100000u;
                int zeros = (int)(r >> 9) % 3;
                s += (size_t)snprintf(src + s, sizeof src - s, "[%.*s%u]", zeros, "00", index);
                w += (size_t)snprintf(want + w, sizeof want - w, "[%u]", index);
            }
        }
        snprintf(src + s, sizeof src - s, " }}");
        want[w] = '\0';
        ivrsm_tmpl *t = compile_ok(src);
        seen_paths seen = {""};
        ivrsm_tmpl_each_path(t, collect_path, &seen);
        char expect[700];
        snprintf(expect, sizeof expect, "%s@3;", want);
        ck_assert_str_eq(seen.text, expect);
        ivrsm_tmpl_free(t);
    }
}
END_TEST

/* The first byte that is not UTF-8 (the template's own check, eight ASCII bytes at a time)
 * against a walk of the library's decoder, for random texts: ASCII runs of every length
 * with well-formed and malformed sequences between them. */
START_TEST(test_utf8_check_as_decoder)
{
    static const char *const pieces[] = {
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc3", "\xe2\x82",    "\xff",
        "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "\xf0\x9f\x98"};
    unsigned seed = 777;
    for (int round = 0; round < 3000; round++) {
        char src[200];
        size_t len = 0;
        int parts = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 6;
        for (int i = 0; i < parts; i++) {
            unsigned r = (seed = seed * 1103515245u + 12345u) >> 16;
            size_t ascii = r % 20;
            for (size_t k = 0; k < ascii; k++)
                src[len++] = (char)('a' + (r + k) % 26);
            /* Mostly well-formed: a malformed piece one time in four. */
            unsigned pick = (r >> 5) % 12;
            const char *piece = pick < 9 ? pieces[pick % 3] : pieces[3 + (r >> 9) % 8];
            if (i + 1 < parts || (r >> 13) & 1) {
                memcpy(src + len, piece, strlen(piece));
                len += strlen(piece);
            }
        }
        size_t bad = len;
        for (size_t i = 0; i < len;) {
            uint32_t cp;
            int n = (unsigned char)src[i] < 0x80
                        ? 1
                        : ivrsm_utf8_decode((const unsigned char *)src + i, len - i, &cp);
            if (n == 0) {
                bad = i;
                break;
            }
            i += (size_t)n;
        }
        char err[128];
        size_t erroff = 0;
        ivrsm_tmpl *t = ivrsm_tmpl_compile(ivrsm_mem_default(), src, len, err, sizeof err, &erroff);
        if (bad == len) {
            ck_assert_msg(t != NULL, "round %d: %s", round, err);
        } else {
            char want[128];
            snprintf(want, sizeof want, "invalid UTF-8 in template at byte %zu", bad);
            ck_assert_ptr_null(t);
            ck_assert_str_eq(err, want);
            ck_assert_uint_eq(erroff, bad);
        }
        ivrsm_tmpl_free(t);
    }
}
END_TEST

START_TEST(test_memory)
{
    ivrsm_tmpl *small = compile_ok("abc");
    ivrsm_tmpl *big = compile_ok("{{#if ctx.a == 'un texte assez long'}}{{ctx.b.c[2]}}{{/if}}");
    ck_assert_uint_gt(ivrsm_tmpl_memory(small), 3);
    ck_assert_uint_gt(ivrsm_tmpl_memory(big), ivrsm_tmpl_memory(small) + 40);
    ck_assert_uint_lt(ivrsm_tmpl_memory(big), 2048);
    ivrsm_tmpl_free(small);
    ivrsm_tmpl_free(big);
}
END_TEST

/* Templates whose block is an arena's (a machine's): the same renderings, spoken forms and
 * truth as on the heap; their memory without the block; ivrsm_tmpl_free() leaves the block to
 * the arena (ASan: no free of arena memory, the literals released). */
START_TEST(test_compiled_in_arena)
{
    static const char *const sources[] = {"abc", "Bonjour   {{ctx.name}},\n {{ 'cher' }} client.",
                                          "{{#if ctx.pi > 2.5}}x{{else}}y{{/if}}", ""};
    ivrsm_arena *arena = ivrsm_arena_new(ivrsm_mem_default());
    ck_assert_ptr_nonnull(arena);
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .ctx_store = ctx_store,
                              .resp = resp,
                              .globals = globals,
                              .mem = ivrsm_mem_default()};
    char err[256];
    for (size_t i = 0; i < sizeof sources / sizeof *sources; i++) {
        const char *src = sources[i];
        ivrsm_tmpl *heap = compile_ok(src);
        ivrsm_tmpl *in = ivrsm_tmpl_compile_in(ivrsm_mem_default(), arena, false, src, strlen(src),
                                               err, sizeof err, NULL);
        ck_assert_ptr_nonnull(in);
        ivrsm_buf a = IVRSM_BUF_INIT(ivrsm_mem_default()), b = IVRSM_BUF_INIT(ivrsm_mem_default());
        ck_assert_int_eq(ivrsm_tmpl_render(heap, &scope, &a), 0);
        ck_assert_int_eq(ivrsm_tmpl_render(in, &scope, &b), 0);
        ck_assert_str_eq(ivrsm_buf_str(&a), ivrsm_buf_str(&b));
        ivrsm_buf_reset(&a);
        ivrsm_buf_reset(&b);
        ck_assert_int_eq(ivrsm_tmpl_render_speech(heap, &scope, &a), 0);
        ck_assert_int_eq(ivrsm_tmpl_render_speech(in, &scope, &b), 0);
        ck_assert_str_eq(ivrsm_buf_str(&a), ivrsm_buf_str(&b));
        ck_assert_uint_lt(ivrsm_tmpl_memory(in), ivrsm_tmpl_memory(heap));
        ivrsm_buf_free(&a);
        ivrsm_buf_free(&b);
        ivrsm_tmpl_free(heap);
        ivrsm_tmpl_free(in);
    }
    ivrsm_tmpl *cond = ivrsm_tmpl_compile_in(ivrsm_mem_default(), arena, true, "ctx.pi >= 2.5", 13,
                                             err, sizeof err, NULL);
    ck_assert_ptr_nonnull(cond);
    ck_assert(ivrsm_tmpl_is_expression(cond));
    ck_assert_int_eq(ivrsm_tmpl_test(cond, &scope), 1);
    ivrsm_tmpl_free(cond);
    /* A mistake is reported as on the heap, and takes no block. */
    size_t used = ivrsm_arena_size(arena), off = 0;
    ck_assert_ptr_null(ivrsm_tmpl_compile_in(ivrsm_mem_default(), arena, false, "{{ctx.}}", 8, err,
                                             sizeof err, &off));
    ck_assert_str_eq(err, "empty key in path 'ctx.' in '{{ctx.}}'");
    ck_assert_uint_eq(ivrsm_arena_size(arena), used);
    ivrsm_arena_free(arena);
}
END_TEST

/* ------------------------------------------------------------ allocation failures */

/*
 * Compiling, rendering and evaluating allocate through the allocator they
 * are given (the template's, the buffer's, the scope's), and jansson through
 * the same failing budget (failing_mem.h): every allocation can be refused.
 */

static const char *const oom_templates[] = {
    "Bonjour {{ctx.name}}, {{resp.count}} rendez-vous.",
    "{{#if ctx.name == 'Ana' && !ctx.off}}{{ctx.appt_list}}{{else if ctx.pi > 2.5}}x{{/if}}",
    "{{ctx.appt_list}}",
    "{{ 'literal' }}",
    "{{ctx.a.b[2].c}} {{globals.otp.length}} {{ctx.pi}} {{ctx.nested}}",
    /* Past the room a builder holds for each of its arrays (ops, nodes, paths, segments,
       literals, pool): every array moves to the heap. */
    "{{ctx.a.b[2].c}} {{ctx.a.b[0002].c}} {{globals.otp.length}} {{ctx.pi}} {{ctx.nested}} "
    "{{ctx.name}} {{ctx.a.b[2].c}} {{ctx.pi}} {{ctx.name}} {{ctx.pi}} {{resp.count}}"
    "{{#if ctx.name == 'Ana' || ctx.pi == 1 || ctx.pi == 2 || ctx.pi == 3 || "
    "ctx.pi == 'four' || ctx.x.y.z.w == null || ctx.a_rather_long_key.and_another_one[12] "
    "== 'a rather long literal, to make the pool grow'}}yes{{else}}no{{/if}}",
};

/* Fails the n-th allocation of compile, render and eval, for every n: errors, never a crash. */
START_TEST(test_allocation_failures)
{
    const char *src = oom_templates[_i];
    char *want = render(src);
    failing_mem fm;
    failing_mem_init(&fm);
    ivrsm_tmpl_scope scope = {
        .ctx = ctx, .ctx_store = ctx_store, .resp = resp, .globals = globals, .mem = &fm.mem};
    failing_mem_jansson_route(&fm);
    int completed = 0;
    for (long n = 0; !completed && n < 10000; n++) {
        char err[64] = "";
        failing_mem_fail_from(&fm, n);
        ivrsm_tmpl *t = ivrsm_tmpl_compile(&fm.mem, src, strlen(src), err, sizeof err, NULL);
        ivrsm_buf out = IVRSM_BUF_INIT(&fm.mem);
        int rc = t ? ivrsm_tmpl_render(t, &scope, &out) : -1;
        json_t *v = t ? eval(t, &scope) : NULL;
        completed = !fm.refused;
        failing_mem_off(&fm);
        if (n == 0)
            ck_assert_ptr_null(t); /* the allocator is the template's: compiling allocates */
        if (!t)
            ck_assert_str_eq(err, "out of memory");
        if (rc == 0)
            ck_assert_str_eq(ivrsm_buf_str(&out), want);
        if (completed) {
            ck_assert_int_eq(rc, 0);
            ck_assert_ptr_nonnull(v);
        }
        json_decref(v);
        ivrsm_buf_free(&out);
        ivrsm_tmpl_free(t);
        ck_assert_int_eq(fm.live, 0);
    }
    failing_mem_jansson_release();
    ck_assert(completed);
    ck_assert(!fm.misused);
    free(want);
}
END_TEST

/* Numbers said as the JSON they came from wrote them. */
START_TEST(test_numbers_as_written)
{
    const char *body = "{\"amount\": 12.50, \"list\": [1.10, 2, {\"x\": 0.50}], \"e\": 1.5e3,"
                       " \"plain\": 12.5, \"neg\": -0.0, \"three\": 3.0, \"s\": \"9.90\","
                       " \"k\\\"q\": 4.20, \"dup\": 1.00, \"dup\": 2.50}";
    json_t *r = json_loads(body, 0, NULL);
    ck_assert_ptr_nonnull(r);
    ivrsm_numtexts n = {.mem = ivrsm_mem_default()};
    ck_assert_int_eq(ivrsm_numtexts_scan(&n, r, body, strlen(body)), 0);
    ivrsm_tmpl_scope scope = {.ctx = ctx,
                              .resp = r,
                              .globals = globals,
                              .numbers = {&n, NULL},
                              .mem = ivrsm_mem_default()};
    ivrsm_tmpl *t = compile_ok("{{resp.amount}} {{resp.list[0]}} {{resp.list[1]}} "
                               "{{resp.list[2].x}} {{resp.e}} {{resp.plain}} [{{resp.neg}}] "
                               "{{resp.three}} {{resp.s}} {{resp.dup}}");
    ivrsm_buf out = IVRSM_BUF_INIT(ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_tmpl_render(t, &scope, &out), 0);
    ck_assert_str_eq(ivrsm_buf_str(&out), "12.50 1.10 2 0.50 1500 12.5 [0] 3.0 9.90 2.50");
    ivrsm_buf_free(&out);
    /* The text goes with the value: a copy of the reference keeps it, comparisons see numbers. */
    json_t *copied = json_object();
    json_object_set(copied, "price", json_object_get(r, "amount"));
    scope.ctx = copied;
    ivrsm_tmpl *u = compile_ok("{{ctx.price}} {{ctx.price == 12.5}} {{ctx.price > 12.49}}");
    ck_assert_int_eq(ivrsm_tmpl_render(u, &scope, &out), 0);
    ck_assert_str_eq(ivrsm_buf_str(&out), "12.50 true true");
    ivrsm_buf_free(&out);
    /* Values no one else holds are dropped; the others stay. */
    json_decref(r);
    ivrsm_numtexts_purge(&n);
    ck_assert_uint_eq(n.count, 1);
    ck_assert_str_eq(ivrsm_numtexts_find(&n, json_object_get(copied, "price")), "12.50");
    json_decref(copied);
    ivrsm_numtexts_purge(&n);
    ck_assert_uint_eq(n.count, 0);
    /* A text that does not match its tree keeps nothing wrong. */
    json_t *other = json_loads("{\"a\": 1.50}", 0, NULL);
    ivrsm_numtexts_scan(&n, other, "[1.25]", 6);
    ck_assert_ptr_null(ivrsm_numtexts_find(&n, json_object_get(other, "a")));
    json_decref(other);
    ivrsm_numtexts_free(&n);
    ivrsm_tmpl_free(t);
    ivrsm_tmpl_free(u);
}
END_TEST

static Suite *template_suite(void)
{
    Suite *s = suite_create("template");
    TCase *tc = tcase_create("render");
    tcase_add_checked_fixture(tc, scope_setup, scope_teardown);
    tcase_add_test(tc, test_compiled_in_arena);
    tcase_add_loop_test(tc, test_render_table, 0, sizeof render_cases / sizeof render_cases[0]);
    tcase_add_test(tc, test_render_appends);
    tcase_add_test(tc, test_render_bounded);
    tcase_add_test(tc, test_missing_roots);
    tcase_add_test(tc, test_numbers_as_written);
    tcase_add_loop_test(tc, test_format_table, 0, sizeof format_cases / sizeof format_cases[0]);
    tcase_add_test(tc, test_format_eval_and_locale);
    suite_add_tcase(s, tc);

    tc = tcase_create("eval");
    tcase_add_checked_fixture(tc, scope_setup, scope_teardown);
    tcase_add_loop_test(tc, test_eval_table, 0, sizeof eval_cases / sizeof eval_cases[0]);
    tcase_add_test(tc, test_eval_returns_new_reference);
    tcase_add_test(tc, test_seed_set_values);
    tcase_add_test(tc, test_hints_shared_by_stores);
    tcase_add_test(tc, test_expressions_as_reference);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_error_table, 0, sizeof error_cases / sizeof error_cases[0]);
    tcase_add_test(tc, test_error_without_buffers);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, scope_setup, scope_teardown);
    tcase_add_test(tc, test_nesting_limit);
    tcase_add_test(tc, test_expression_depth_limit);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_large_template);
    suite_add_tcase(s, tc);

    tc = tcase_create("seed");
    tcase_add_checked_fixture(tc, scope_setup, scope_teardown);
    tcase_add_test(tc, test_seed_upcoming_none);
    tcase_add_test(tc, test_seed_upcoming_three);
    tcase_add_test(tc, test_seed_slots_choose);
    tcase_add_test(tc, test_speech_collapsed_at_compile_time);
    suite_add_tcase(s, tc);

    tc = tcase_create("introspection");
    tcase_add_test(tc, test_static_and_source);
    tcase_add_test(tc, test_each_path);
    tcase_add_test(tc, test_path_text_as_printf);
    tcase_add_test(tc, test_utf8_check_as_decoder);
    tcase_add_test(tc, test_memory);
    suite_add_tcase(s, tc);

    tc = tcase_create("allocation failures");
    tcase_add_checked_fixture(tc, scope_setup, scope_teardown);
    tcase_add_loop_test(tc, test_allocation_failures, 0,
                        sizeof oom_templates / sizeof oom_templates[0]);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = 0;
    for (int mode = 0; mode < 2; mode++) {
        store_mode = mode == 1;
        SRunner *sr = srunner_create(template_suite());
        srunner_run_all(sr, CK_NORMAL);
        failed += srunner_ntests_failed(sr);
        srunner_free(sr);
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
