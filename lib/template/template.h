/*
 * Run-time templates: "{{ctx.x}}", "{{resp.list[0].id}}", "{{globals.a.b}}",
 * "{{#if expr}}...{{else}}...{{/if}}" with ==, !=, <, <=, >, >=, &&, ||, !,
 * parentheses and literals (numbers, 'single' or "double" quoted strings,
 * true, false, null).
 *
 * Templates are compiled once, when the machine is loaded, and rendered per
 * call without parsing. Substituted values are copied verbatim: a value that
 * contains "{{" is never parsed again.
 *
 * Expressions: precedence ! > comparisons > && > ||; comparisons do not
 * chain. Missing, null, false, 0, "", [] and {} are false. Numbers compare
 * by value (integer or real), strings byte-wise; == between other types is
 * false except that a missing value equals null; ordering anything but two
 * numbers or two strings is false. && || ! and comparisons give booleans.
 * "{{else if expr}}" is accepted; blocks nest IVRSM_TMPL_MAX_DEPTH deep.
 *
 * A substitution may end with a format, "{{ctx.day | date}}": the value is
 * said in the words of the scope's locale (lib/collect/say.h), or as it is
 * when it is not a value of the format.
 */
#ifndef IVRSM_TEMPLATE_H
#define IVRSM_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "buf.h"
#include "mem.h"
#include "value.h"

typedef struct ivrsm_tmpl ivrsm_tmpl;
struct ivrsm_locale;

/* Largest template source accepted, in bytes, and deepest nesting of {{#if}} blocks. */
#define IVRSM_TMPL_MAX_LEN 65536
#define IVRSM_TMPL_MAX_DEPTH 16

/*
 * The texts of JSON numbers as they were written ("12.50"), by value; see
 * numtext.c. A value found here is said with its text.
 */
typedef struct ivrsm_numtexts {
    const json_t **values; /* each holds a reference */
    char **texts;
    size_t count, cap;
    const ivrsm_mem *mem; /* where the arrays and texts live; set before the first add */
} ivrsm_numtexts;

void ivrsm_numtexts_free(ivrsm_numtexts *n);
/* The text kept for v, or NULL. */
const char *ivrsm_numtexts_find(const ivrsm_numtexts *n, const json_t *v);
/* Keep `text` for v (a reference is taken). 0, or -1 when out of memory. */
int ivrsm_numtexts_add(ivrsm_numtexts *n, const json_t *v, const char *text, size_t len);
/* Whether `text`, the source of number v, is worth keeping (said otherwise than written). */
bool ivrsm_numtexts_worth(const ivrsm_numtexts *n, const json_t *v, const char *text, size_t len);
/* The same for a real's value (the texts of a value store's reals). */
bool ivrsm_numtext_worth(double v, const char *text, size_t len);
/* Drop the values that only this list still holds. */
void ivrsm_numtexts_purge(ivrsm_numtexts *n);
/*
 * Keep the texts of the numbers of `root`, which jansson parsed from `text`
 * (len bytes), when they are not said as written otherwise ("12.50", "3.0").
 * 0, IVRSM_ENOMEM, or -1 when the text and the tree disagree (the texts found
 * so far are kept).
 */
int ivrsm_numtexts_scan(ivrsm_numtexts *n, const json_t *root, const char *text, size_t len);

/* Where names resolve: the first path segment picks one root ("ctx", "resp", "globals", "now"). */
typedef struct ivrsm_tmpl_scope {
    const json_t *ctx;
    /* The session's ctx (value.h); when set, ctx.* paths read it, not `ctx`. */
    const ivrsm_vstore *ctx_store;
    /* The session's answer (value.h): when set, resp.* paths read its nodes resp_at and
     * answer_at (the object of `answer` below; IVRSM_VSTORE_NONE: none), not `resp` and
     * `answer`. */
    const ivrsm_vstore *resp_store;
    uint32_t resp_at, answer_at;
    const json_t *resp; /* may be NULL: every resp.* path is then missing */
    const json_t *globals;
    /* How the action was answered, {"status": 401, "error": "status"}: resp.status and
     * resp.error read it where the body itself has no such key. May be NULL. */
    const json_t *answer;
    const json_t *now; /* now.date, now.hour...; NULL: every now.* path is missing */
    /* The session's `now` (value.h): when set, now.* paths read its root, not `now`. */
    const ivrsm_vstore *now_store;
    /* Numbers said as written: the session's and the machine's texts (either may be NULL). */
    const ivrsm_numtexts *numbers[2];
    /* Where ivrsm_tmpl_eval() allocates what it renders (the session's allocator). */
    const ivrsm_mem *mem;
    /* The call's language, whose words say formatted values ({{x | date}}); NULL: the
     * first built-in locale. */
    const struct ivrsm_locale *locale;
} ivrsm_tmpl_scope;

/*
 * Compile `src` (len bytes), the template allocated with mem, which must
 * outlive it. Returns NULL on a syntax error, with a one-line
 * message in errbuf and the byte offset of the fault in *erroff (both may be
 * NULL/0-sized). Also NULL on allocation failure (message "out of memory").
 */
ivrsm_tmpl *ivrsm_tmpl_compile(const ivrsm_mem *mem, const char *src, size_t len, char *errbuf,
                               size_t errcap, size_t *erroff);
void ivrsm_tmpl_free(ivrsm_tmpl *t);

/*
 * The same as ivrsm_tmpl_compile() and ivrsm_tmpl_compile_expr() (as
 * `expression` says), the template's block taken from `arena`, which must
 * outlive it (a machine's templates: one allocation less each, none to free).
 * ivrsm_tmpl_free() then frees only what the template holds besides: its
 * literals. mem is for the builder's scratch and the validator's.
 */
ivrsm_tmpl *ivrsm_tmpl_compile_in(const ivrsm_mem *mem, ivrsm_arena *arena, bool expression,
                                  const char *src, size_t len, char *errbuf, size_t errcap,
                                  size_t *erroff);

/*
 * Compile `src` as one expression, without braces (a condition: "ctx.balance
 * < 0 && !ctx.blocked"). Errors as for ivrsm_tmpl_compile(). The result
 * evaluates with ivrsm_tmpl_test() (and ivrsm_tmpl_eval(): its value).
 */
ivrsm_tmpl *ivrsm_tmpl_compile_expr(const ivrsm_mem *mem, const char *src, size_t len, char *errbuf,
                                    size_t errcap, size_t *erroff);
/* Nonzero for a template compiled by ivrsm_tmpl_compile_expr(). */
int ivrsm_tmpl_is_expression(const ivrsm_tmpl *t);
/* Whether an expression compiled by ivrsm_tmpl_compile_expr() holds (truthy). */
int ivrsm_tmpl_test(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope);

/* Nonzero when the template has no {{...}} at all; then its text is ivrsm_tmpl_source(). */
int ivrsm_tmpl_is_static(const ivrsm_tmpl *t);
/*
 * For a static template, its text as it is spoken: runs of whitespace (the
 * line breaks of folded YAML scalars) collapsed to one space, trimmed.
 * Computed once at compile time. NULL when the template is not static or the
 * text is blank.
 */
const char *ivrsm_tmpl_static_speech(const ivrsm_tmpl *t);

/* The source text, as compiled. */
const char *ivrsm_tmpl_source(const ivrsm_tmpl *t);

/*
 * Render as text, appended to `out`. A missing value and null render as "",
 * strings as themselves, numbers as written in the JSON they came from when
 * the scope kept their text ("12.50"), else in their shortest form (3, 2.5;
 * an integer never with an exponent, -0 as 0), true/false as words, objects
 * and arrays as compact JSON. Returns 0, or -1 on allocation failure or when
 * the text passed IVRSM_MAX_TEXT_BYTES (checked after each value: the render
 * stops there): out is then failed, out->failed telling which
 * (IVRSM_BUF_NO_MEMORY, IVRSM_BUF_PAST_LIMIT).
 */
int ivrsm_tmpl_render(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope, ivrsm_buf *out);

/*
 * Render as it is spoken, into an empty `out`: the text of ivrsm_tmpl_render()
 * with runs of whitespace collapsed to one space and none at either end
 * (ivrsm_text_collapse_spaces()). The template's own text was collapsed at
 * compile time; only the values are collapsed here. Returns 0, or -1 as
 * ivrsm_tmpl_render().
 */
int ivrsm_tmpl_render_speech(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope, ivrsm_buf *out);

/* One value as a template renders it (scope may be NULL). 0, or -1 on allocation failure. */
int ivrsm_tmpl_append_value(ivrsm_buf *out, ivrsm_val v, const ivrsm_tmpl_scope *scope);
/* A number in its shortest form, without an exponent when it is an integer. */
int ivrsm_tmpl_append_number(ivrsm_buf *out, const json_t *v);
int ivrsm_tmpl_append_real(ivrsm_buf *out, double v);

/*
 * Evaluate as a JSON value into *out (new reference, caller owns it).
 * When the whole template is exactly one "{{expr}}" (spaces inside the braces
 * allowed, nothing outside), the value keeps its JSON type: a number stays a
 * number, a list a list; a missing value gives JSON null. Otherwise the
 * rendered text as a JSON string. Returns 0; IVRSM_ELIMIT when the text would
 * pass IVRSM_MAX_TEXT_BYTES (ivrsm_tmpl_render() stopped there), IVRSM_ENOMEM
 * when memory ran out: *out is NULL then.
 */
int ivrsm_tmpl_eval(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope, json_t **out);

/* What ivrsm_tmpl_expr_value() found. */
enum { IVRSM_TMPL_TEXT = 0, IVRSM_TMPL_VALUE = 1, IVRSM_TMPL_LITERAL = 2 };
/*
 * The value of a template that is exactly one "{{expr}}", without copying
 * it: IVRSM_TMPL_VALUE with the value in *out (borrowed from the scope, or a
 * jansson constant; missing for a missing value), IVRSM_TMPL_LITERAL for a
 * literal of the template (*out: shared with other threads, to be copied),
 * IVRSM_TMPL_TEXT when the template is text (ivrsm_tmpl_render() it).
 */
int ivrsm_tmpl_expr_value(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope, ivrsm_val *out);

/* Whether the template is exactly one "{{expr}}" that is a path of ctx ("{{ctx}}",
 * "{{ctx.caller}}"): the only templates whose value may be a part of ctx (operators give
 * booleans). */
bool ivrsm_tmpl_is_ctx_path(const ivrsm_tmpl *t);

/*
 * Call fn for each variable path the template reads, e.g. "ctx.appt_list[0].id",
 * with its byte offset in the source. For the validator.
 */
void ivrsm_tmpl_each_path(const ivrsm_tmpl *t,
                          void (*fn)(void *user, const char *path, size_t offset), void *user);

/*
 * Call fn for each path whose value the template writes out: "{{ctx.code}}" or
 * "{{resp.day | date}}", not a path that is only tested or compared ("{{#if ctx.code}}",
 * "{{ctx.code == '1'}}": those give booleans). What a `set:` copies, for the compiler's
 * sensitive keys.
 */
void ivrsm_tmpl_each_written_path(const ivrsm_tmpl *t, void (*fn)(void *user, const char *path),
                                  void *user);

/*
 * Call fn with the first key of every path of t that reads the response
 * ("count" for {{resp.count}}, {{resp.count.x}} or {{resp.count[0]}}), and
 * with NULL for one that reads it whole or by index ({{resp}}, {{resp[0]}}).
 * The runtime keeps only these members of an answer.
 */
void ivrsm_tmpl_each_resp_key(const ivrsm_tmpl *t, void (*fn)(void *user, const char *key),
                              void *user);

/*
 * Call fn for every condition of t that can never hold whatever the data (the
 * expression of ivrsm_tmpl_compile_expr(), each {{#if}} / {{else if}} of a
 * template), with the offset of its first path in the source (0: none).
 * Conservative: what the analysis cannot read counts as possible.
 */
void ivrsm_tmpl_each_never_true(const ivrsm_tmpl *t, void (*fn)(void *user, size_t offset),
                                void *user);

/* Whether some substitution of t has `format` (enum ivrsm_say_format). */
int ivrsm_tmpl_uses_format(const ivrsm_tmpl *t, int format);

/* Bytes held by the compiled template (an arena's template: besides its block, which the
 * arena counts). */
size_t ivrsm_tmpl_memory(const ivrsm_tmpl *t);

#endif
