/*
 * Run-time templates: blocks, the compiled program, rendering, evaluation.
 *
 * A template compiles into one memory block holding a flat array of ops
 * (text slice, substitution, conditional jump, jump), the expression nodes
 * they point to (see template_expr.c), the variable paths with their
 * segments already split (keys as NUL-terminated strings, indexes as
 * integers) and the literals. Rendering walks the ops once and never looks
 * at the source again, so a value that contains "{{" is copied as it is.
 */
#include "template_int.h"

#include "bytes.h"
#include "json_real.h"
#include "say.h"
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of a tag a message quotes. */
#define QUOTE_MAX 80

/* ---------------------------------------------------------------- builder */

/* Records the first error only: later ones are consequences of it. */
int ivrsm_tmpl_fail(tmpl_builder *b, size_t off, const char *fmt, ...)
{
    if (b->failed)
        return -1;
    b->failed = 1;
    b->erroff = off;
    if (b->errbuf && b->errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->errbuf, b->errcap, fmt, ap);
        va_end(ap);
        /* One line, though the quoted tag may span several. */
        for (char *p = b->errbuf; (p = strpbrk(p, "\n\r\v\f")) != NULL; p++)
            *p = ' ';
    }
    return -1;
}

int ivrsm_tmpl_fail_oom(tmpl_builder *b)
{
    return ivrsm_tmpl_fail(b, 0, "out of memory");
}

int ivrsm_tmpl_quote_len(const tmpl_builder *b)
{
    return (int)(b->tag_len > QUOTE_MAX ? QUOTE_MAX : b->tag_len);
}

const char *ivrsm_tmpl_quote_cut(const tmpl_builder *b)
{
    return b->tag_len > QUOTE_MAX ? "..." : "";
}

/* Whether p is one of the builder's own arrays (the *_in members), not the heap's. */
static int builder_owns(const tmpl_builder *b, const void *p)
{
    uintptr_t at = (uintptr_t)p, start = (uintptr_t)b;
    return at >= start && at < start + sizeof *b;
}

/* Capacities double, so a template of n ops costs O(n) copies. An array still in the builder's
 * own room moves to the heap the first time it outgrows it. */
int ivrsm_tmpl_grow(tmpl_builder *b, void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    if (!builder_owns(b, *arr))
        return ivrsm_mem_grow(b->mem, arr, cap, n, size, 8) == 0 ? 0 : ivrsm_tmpl_fail_oom(b);
    void *heap = NULL;
    size_t hcap = 0;
    if (ivrsm_mem_grow(b->mem, &heap, &hcap, n, size, *cap ? *cap : 8) != 0)
        return ivrsm_tmpl_fail_oom(b);
    memcpy(heap, *arr, *cap * size);
    *arr = heap;
    *cap = hcap;
    return 0;
}

static int add_op(tmpl_builder *b, uint32_t kind, uint32_t a, uint32_t bb, uint32_t *out)
{
    if (ivrsm_tmpl_grow(b, (void **)&b->ops, &b->cap_ops, b->n_ops, sizeof *b->ops) != 0)
        return -1;
    b->ops[b->n_ops] = (tmpl_op){kind, a, bb};
    if (out)
        *out = (uint32_t)b->n_ops;
    b->n_ops++;
    return 0;
}

int ivrsm_tmpl_add_node(tmpl_builder *b, uint32_t kind, uint32_t a, uint32_t bb, uint32_t *out)
{
    if (ivrsm_tmpl_grow(b, (void **)&b->nodes, &b->cap_nodes, b->n_nodes, sizeof *b->nodes) != 0)
        return -1;
    b->nodes[b->n_nodes] = (expr_node){kind, a, bb};
    *out = (uint32_t)b->n_nodes++;
    return 0;
}

int ivrsm_tmpl_add_literal(tmpl_builder *b, json_t *v, uint32_t *out)
{
    if (!v)
        return ivrsm_tmpl_fail_oom(b);
    if (ivrsm_tmpl_grow(b, (void **)&b->lits, &b->cap_lits, b->n_lits, sizeof *b->lits) != 0) {
        json_decref(v);
        return -1;
    }
    b->lits[b->n_lits] = v;
    return ivrsm_tmpl_add_node(b, EX_LITERAL, (uint32_t)b->n_lits++, 0, out);
}

/* Strings in the pool are NUL-terminated: keys go to json_object_get() as they are. */
char *ivrsm_tmpl_pool_reserve(tmpl_builder *b, size_t n, uint32_t *off)
{
    if (n > (size_t)UINT32_MAX - b->n_pool ||
        ivrsm_tmpl_grow(b, (void **)&b->pool, &b->cap_pool, b->n_pool + (n ? n - 1 : 0), 1) != 0) {
        if (!b->failed)
            ivrsm_tmpl_fail_oom(b);
        return NULL;
    }
    char *at = b->pool + b->n_pool;
    if (off)
        *off = (uint32_t)b->n_pool;
    b->n_pool += n;
    return at;
}

int ivrsm_tmpl_pool_add(tmpl_builder *b, const char *s, size_t n, uint32_t *off)
{
    char *at = ivrsm_tmpl_pool_reserve(b, n + 1, off);
    if (!at)
        return -1;
    memcpy(at, s, n);
    at[n] = '\0';
    return 0;
}

static void free_unless_own(tmpl_builder *b, void *p)
{
    if (!builder_owns(b, p))
        ivrsm_mem_free(b->mem, p);
}

static void builder_free(tmpl_builder *b)
{
    for (size_t i = 0; i < b->n_lits; i++)
        json_decref(b->lits[i]);
    free_unless_own(b, b->ops);
    free_unless_own(b, b->nodes);
    free_unless_own(b, b->paths);
    free_unless_own(b, b->segs);
    free_unless_own(b, b->lits);
    free_unless_own(b, b->pool);
}

/* ---------------------------------------------------------------- blocks */

/* True when src[pos, end) starts with `word` as a whole word. */
static int starts_word(const char *s, size_t pos, size_t end, const char *word)
{
    size_t n = strlen(word);
    return end - pos >= n && memcmp(s + pos, word, n) == 0 &&
           (pos + n == end || !ivrsm_tmpl_is_key_char(s[pos + n]));
}

static int open_if(tmpl_builder *b, size_t cond_start, size_t end)
{
    uint32_t cond, op;
    if (b->depth == IVRSM_TMPL_MAX_DEPTH)
        return ivrsm_tmpl_fail(b, b->tag_start, "'{{#if}}' blocks nested deeper than %d",
                               IVRSM_TMPL_MAX_DEPTH);
    if (ivrsm_tmpl_parse_expression(b, cond_start, end, "condition", &cond) != 0 ||
        add_op(b, OP_IF, cond, TMPL_NONE, &op) != 0)
        return -1;
    b->frames[b->depth++] = (if_frame){b->tag_start, op, TMPL_NONE, 0};
    return 0;
}

/* "{{else}}" or, when cond_start is not TMPL_NONE, "{{else if cond}}". */
static int add_else(tmpl_builder *b, size_t cond_start, size_t end)
{
    if (b->depth == 0)
        return ivrsm_tmpl_fail(b, b->tag_start, TMPL_TAG_FMT " outside '{{#if}}'",
                               TMPL_TAG_ARGS(b));
    if_frame *f = &b->frames[b->depth - 1];
    if (f->has_else)
        return ivrsm_tmpl_fail(b, b->tag_start,
                               TMPL_TAG_FMT " after '{{else}}' in the same '{{#if}}'",
                               TMPL_TAG_ARGS(b));
    uint32_t jump, cond;
    /* The jump's target is not known yet: it joins the chain patched at "{{/if}}". */
    if (add_op(b, OP_JUMP, 0, f->jump_chain, &jump) != 0)
        return -1;
    f->jump_chain = jump;
    b->ops[f->pending_if].b = (uint32_t)b->n_ops;
    f->pending_if = TMPL_NONE;
    if (cond_start == TMPL_NONE) {
        f->has_else = 1;
        return 0;
    }
    if (ivrsm_tmpl_parse_expression(b, cond_start, end, "condition", &cond) != 0 ||
        add_op(b, OP_IF, cond, TMPL_NONE, &f->pending_if) != 0)
        return -1;
    return 0;
}

static int close_if(tmpl_builder *b)
{
    if (b->depth == 0)
        return ivrsm_tmpl_fail(b, b->tag_start, "'{{/if}}' without a matching '{{#if}}'");
    if_frame *f = &b->frames[--b->depth];
    uint32_t here = (uint32_t)b->n_ops;
    if (f->pending_if != TMPL_NONE)
        b->ops[f->pending_if].b = here;
    for (uint32_t j = f->jump_chain; j != TMPL_NONE;) {
        uint32_t next = b->ops[j].b;
        b->ops[j].b = here;
        j = next;
    }
    return 0;
}

/*
 * The '|' that starts the format of a substitution ("ctx.day | date"): a lone
 * bar outside string literals ("||" is "or"). 0 when there is none.
 */
static size_t find_format_bar(const char *s, size_t start, size_t end)
{
    for (size_t i = start; i < end; i++) {
        if (s[i] == '"' || s[i] == '\'') {
            size_t past = ivrsm_tmpl_scan_string(s, i, end);
            if (!past)
                return 0; /* the expression's parser reports the open string */
            i = past - 1;
        } else if (s[i] == '|') {
            if (i + 1 < end && s[i + 1] == '|') {
                i++;
                continue;
            }
            return i;
        }
    }
    return 0;
}

/* The format named after the bar at s[bar] up to end; -1 with the error recorded. */
static int parse_format(tmpl_builder *b, size_t bar, size_t end)
{
    const char *s = b->src;
    size_t from = bar + 1;
    while (from < end && ivrsm_tmpl_is_space(s[from]))
        from++;
    size_t to = from;
    while (to < end && ivrsm_tmpl_is_key_char(s[to]))
        to++;
    size_t rest = to;
    while (rest < end && ivrsm_tmpl_is_space(s[rest]))
        rest++;
    int format = ivrsm_say_format_find(s + from, to - from);
    if (from == to || rest != end || format == IVRSM_SAY_PLAIN)
        return ivrsm_tmpl_fail(b, from < end ? from : bar,
                               "unknown format '%.*s' in " TMPL_TAG_FMT
                               ": after '|' write one of %s",
                               (int)(end - from > 40 ? 40 : end - from), s + from, TMPL_TAG_ARGS(b),
                               ivrsm_say_format_list());
    return format;
}

/* Compiles one tag; src[start, end) is what lies between "{{" and "}}". */
static int compile_tag(tmpl_builder *b, size_t start, size_t end)
{
    const char *s = b->src;
    while (start < end && ivrsm_tmpl_is_space(s[start]))
        start++;
    while (end > start && ivrsm_tmpl_is_space(s[end - 1]))
        end--;
    if (start < end && s[start] == '#') {
        if (starts_word(s, start, end, "#if"))
            return open_if(b, start + 3, end);
        return ivrsm_tmpl_fail(b, b->tag_start,
                               "unknown block " TMPL_TAG_FMT ": only '{{#if ...}}' is supported",
                               TMPL_TAG_ARGS(b));
    }
    if (start < end && s[start] == '/') {
        if (end - start == 3 && memcmp(s + start, "/if", 3) == 0)
            return close_if(b);
        return ivrsm_tmpl_fail(b, b->tag_start,
                               "unknown closing tag " TMPL_TAG_FMT ": expected '{{/if}}'",
                               TMPL_TAG_ARGS(b));
    }
    if (starts_word(s, start, end, "else")) {
        size_t rest = start + 4;
        while (rest < end && ivrsm_tmpl_is_space(s[rest]))
            rest++;
        if (rest == end)
            return add_else(b, TMPL_NONE, end);
        if (starts_word(s, rest, end, "if"))
            return add_else(b, rest + 2, end);
        return ivrsm_tmpl_fail(b, rest,
                               "unexpected text after 'else' in " TMPL_TAG_FMT
                               ": expected '{{else}}' or '{{else if ...}}'",
                               TMPL_TAG_ARGS(b));
    }
    size_t bar = find_format_bar(s, start, end);
    int format = IVRSM_SAY_PLAIN;
    if (bar) {
        format = parse_format(b, bar, end);
        if (format < 0)
            return -1;
        end = bar;
    }
    uint32_t expr;
    if (ivrsm_tmpl_parse_expression(b, start, end, "expression", &expr) != 0 ||
        add_op(b, OP_SUBST, expr, (uint32_t)format, NULL) != 0)
        return -1;
    /* A formatted value is words, never the value with its type. */
    if (b->tag_start == 0 && b->tag_len == b->len && format == IVRSM_SAY_PLAIN)
        b->single_expr = expr;
    return 0;
}

/* Where the "}}" closing the tag opened at `open` starts, or 0 when there is none. */
static size_t find_tag_end(const char *s, size_t open, size_t len)
{
    for (size_t i = open + 2; i + 1 < len; i++) {
        if (s[i] == '"' || s[i] == '\'') {
            /* "}}" inside a quoted literal does not close the tag; a lone quote is left
               for the expression parser to report. */
            size_t stop = ivrsm_tmpl_scan_string(s, i, len);
            if (stop)
                i = stop - 1;
            continue;
        }
        if (s[i] == '}' && s[i + 1] == '}')
            return i;
    }
    return 0;
}

static int add_text(tmpl_builder *b, size_t start, size_t end)
{
    if (start == end)
        return 0;
    return add_op(b, OP_TEXT, (uint32_t)start, (uint32_t)(end - start), NULL);
}

#define NOT_ASCII(b) ((b) >= 0x80)
IVRSM_BYTE_SCAN(ascii_run, NOT_ASCII)

/* Offset of the first byte that is not well-formed UTF-8, or len when all of it is. Sixteen
 * ASCII bytes at a time, where the text is ASCII (most of a machine's is). */
static size_t utf8_check(const unsigned char *s, size_t len)
{
    for (size_t i = ascii_run((const char *)s, len); i < len;
         i += ascii_run((const char *)s + i, len - i)) {
        unsigned c = s[i];
        /* Two bytes (accented Latin letters, most of a prompt's non-ASCII) at once. */
        if (c >= 0xC2 && c <= 0xDF && len - i >= 2 && (s[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        size_t n = (c & 0xE0) == 0xC0   ? 1
                   : (c & 0xF0) == 0xE0 ? 2
                   : (c & 0xF8) == 0xF0 ? 3
                                        : 4; /* a continuation byte, or past 0xF7 */
        if (n == 4 || c == 0xC0 || c == 0xC1 || c > 0xF4 || i + n >= len)
            return i;
        for (size_t k = 1; k <= n; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        /* Overlong three- and four-byte forms, surrogates, code points past U+10FFFF. */
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90))
            return i;
        i += n + 1;
    }
    return len;
}

static int compile_source(tmpl_builder *b)
{
    const char *s = b->src;
    size_t len = b->len, text_start = 0, pos = 0;
    if (len > IVRSM_TMPL_MAX_LEN)
        return ivrsm_tmpl_fail(b, IVRSM_TMPL_MAX_LEN,
                               "template too large (%zu bytes, the limit is %d)", len,
                               IVRSM_TMPL_MAX_LEN);
    size_t bad = utf8_check((const unsigned char *)s, len);
    if (bad != len)
        return ivrsm_tmpl_fail(b, bad, "invalid UTF-8 in template at byte %zu", bad);
    while (pos + 1 < len) {
        const char *brace = memchr(s + pos, '{', len - pos - 1);
        if (!brace)
            break;
        size_t open = (size_t)(brace - s);
        if (s[open + 1] != '{') {
            pos = open + 1;
            continue;
        }
        size_t close = find_tag_end(s, open, len);
        if (!close)
            return ivrsm_tmpl_fail(b, open, "unterminated '{{': no matching '}}'");
        b->tag_start = open;
        b->tag_len = close + 2 - open;
        if (add_text(b, text_start, open) != 0 || compile_tag(b, open + 2, close) != 0)
            return -1;
        pos = text_start = close + 2;
    }
    if (add_text(b, text_start, len) != 0)
        return -1;
    if (b->depth)
        return ivrsm_tmpl_fail(b, b->frames[b->depth - 1].open_off,
                               "'{{#if}}' never closed by '{{/if}}'");
    return 0;
}

/* ---------------------------------------------------------------- finished template */

static size_t align_up(size_t n)
{
    size_t a = _Alignof(max_align_t);
    return (n + a - 1) / a * a;
}

/* Bytes a literal holds besides its pointer (jansson's own structures, approximately). */
static size_t literal_size(const json_t *v)
{
    if (v == json_true() || v == json_false() || v == json_null())
        return 0;
    return 4 * sizeof(void *) + (json_is_string(v) ? json_string_length(v) + 1 : 0);
}

static int builder_is_static(const tmpl_builder *b)
{
    if (b->single_expr != TMPL_NONE && b->n_ops == 0)
        return 0; /* an expression (ivrsm_tmpl_compile_expr), not text */
    for (size_t i = 0; i < b->n_ops; i++)
        if (b->ops[i].kind != OP_TEXT)
            return 0;
    return 1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* The spoken form of each OP_TEXT of t, written to texts[] and pool. */
static void collapse_texts(ivrsm_tmpl *t, tmpl_text *texts, char *pool)
{
    size_t used = 0;
    for (size_t i = 0; i < t->n_ops; i++) {
        const tmpl_op *op = &t->ops[i];
        texts[i] = (tmpl_text){0, 0, 0, 0};
        if (op->kind != OP_TEXT || op->b == 0)
            continue;
        const char *src = t->src + op->a;
        size_t len = ivrsm_text_collapse_spaces(src, op->b, pool + used);
        texts[i] = (tmpl_text){(uint32_t)used, (uint32_t)len, (uint8_t)is_space(src[0]),
                               (uint8_t)is_space(src[op->b - 1])};
        used += len + 1;
    }
    t->texts = texts;
    t->speech_pool = pool;
}

/* Moves everything the builder gathered into one block, the template itself. */
static ivrsm_tmpl *finish(tmpl_builder *b)
{
    size_t off_ops = align_up(sizeof(ivrsm_tmpl));
    size_t off_nodes = align_up(off_ops + b->n_ops * sizeof(tmpl_op));
    size_t off_paths = align_up(off_nodes + b->n_nodes * sizeof(expr_node));
    size_t off_segs = align_up(off_paths + b->n_paths * sizeof(tmpl_path));
    size_t off_hints = align_up(off_segs + b->n_segs * sizeof(path_seg));
    size_t off_lits = align_up(off_hints + b->n_segs * sizeof(ivrsm_member_hint));
    size_t off_pool = off_lits + b->n_lits * sizeof(json_t *);
    size_t off_src = off_pool + b->n_pool;
    int is_static = builder_is_static(b);
    size_t off_speech = off_src + b->len + 1;
    /* A template with values keeps its texts collapsed for ivrsm_tmpl_render_speech(). */
    int has_texts = !is_static && b->n_ops > 0;
    size_t off_texts = align_up(off_speech + (is_static ? b->len + 1 : 0));
    size_t off_speech_pool = off_texts + (has_texts ? b->n_ops * sizeof(tmpl_text) : 0);
    size_t total = off_speech_pool + (has_texts ? b->len + 1 : 0);
    void *block =
        b->arena ? ivrsm_arena_alloc_raw(b->arena, total) : ivrsm_mem_malloc(b->mem, total);
    if (!block) {
        ivrsm_tmpl_fail_oom(b);
        return NULL;
    }
    ivrsm_tmpl *t = block;
    char *mem = block;
    /* memcpy with a zero length still wants valid pointers; empty arrays are NULL here. */
    if (b->n_ops)
        memcpy(mem + off_ops, b->ops, b->n_ops * sizeof(tmpl_op));
    if (b->n_nodes)
        memcpy(mem + off_nodes, b->nodes, b->n_nodes * sizeof(expr_node));
    if (b->n_paths)
        memcpy(mem + off_paths, b->paths, b->n_paths * sizeof(tmpl_path));
    if (b->n_segs) {
        memcpy(mem + off_segs, b->segs, b->n_segs * sizeof(path_seg));
        memset(mem + off_hints, 0, b->n_segs * sizeof(ivrsm_member_hint));
    }
    if (b->n_lits)
        memcpy(mem + off_lits, b->lits, b->n_lits * sizeof(json_t *));
    if (b->n_pool)
        memcpy(mem + off_pool, b->pool, b->n_pool);
    if (b->len)
        memcpy(mem + off_src, b->src, b->len);
    mem[off_src + b->len] = '\0';
    *t = (ivrsm_tmpl){
        .ops = (const tmpl_op *)(void *)(mem + off_ops),
        .nodes = (const expr_node *)(void *)(mem + off_nodes),
        .paths = (const tmpl_path *)(void *)(mem + off_paths),
        .segs = (const path_seg *)(void *)(mem + off_segs),
        .hints = (ivrsm_member_hint *)(void *)(mem + off_hints),
        .lits = (json_t *const *)(void *)(mem + off_lits),
        .pool = mem + off_pool,
        .src = mem + off_src,
        .n_ops = b->n_ops,
        .n_nodes = b->n_nodes,
        .n_paths = b->n_paths,
        .n_segs = b->n_segs,
        .n_lits = b->n_lits,
        .src_len = b->len,
        .single_expr = b->single_expr,
        .memory = b->arena ? 0 : total,
        .mem = b->mem,
        .in_arena = b->arena != NULL,
    };
    if (is_static && ivrsm_text_collapse_spaces(b->src, b->len, mem + off_speech) > 0)
        t->speech = mem + off_speech;
    if (has_texts)
        collapse_texts(t, (tmpl_text *)(void *)(mem + off_texts), mem + off_speech_pool);
    for (size_t i = 0; i < b->n_lits; i++)
        t->memory += literal_size(b->lits[i]);
    b->n_lits = 0; /* the template owns the literals now */
    return t;
}

/* A builder for src[0..len) (NULL: an empty text), with errbuf emptied. */
static void builder_init(tmpl_builder *b, const ivrsm_mem *mem, const char *src, size_t len,
                         char *errbuf, size_t errcap)
{
    /* Field by field: the inline arrays need no zeroing. */
    b->mem = mem;
    b->arena = NULL;
    b->src = src ? src : "";
    b->len = src ? len : 0;
    b->ops = b->ops_in;
    b->cap_ops = TMPL_INLINE_OPS;
    b->nodes = b->nodes_in;
    b->cap_nodes = TMPL_INLINE_NODES;
    b->paths = b->paths_in;
    b->cap_paths = TMPL_INLINE_PATHS;
    b->segs = b->segs_in;
    b->cap_segs = TMPL_INLINE_SEGS;
    b->lits = b->lits_in;
    b->cap_lits = TMPL_INLINE_LITS;
    b->pool = b->pool_in;
    b->cap_pool = TMPL_INLINE_POOL;
    b->n_ops = b->n_nodes = b->n_paths = b->n_segs = b->n_lits = b->n_pool = 0;
    b->depth = 0;
    b->tag_start = b->tag_len = 0;
    b->single_expr = TMPL_NONE;
    b->errbuf = errbuf;
    b->errcap = errcap;
    b->erroff = 0;
    b->failed = 0;
    if (errbuf && errcap)
        errbuf[0] = '\0';
}

/* t, or NULL with *erroff where compiling failed; the builder freed. */
static ivrsm_tmpl *builder_done(tmpl_builder *b, ivrsm_tmpl *t, size_t *erroff)
{
    if (!t && erroff)
        *erroff = b->erroff;
    builder_free(b);
    return t;
}

static ivrsm_tmpl *compile_text(tmpl_builder *b)
{
    return compile_source(b) == 0 ? finish(b) : NULL;
}

static ivrsm_tmpl *compile_expr(tmpl_builder *b)
{
    ivrsm_tmpl *t = NULL;
    uint32_t root;
    b->tag_start = 0;
    b->tag_len = b->len;
    if (b->len > IVRSM_TMPL_MAX_LEN)
        ivrsm_tmpl_fail(b, IVRSM_TMPL_MAX_LEN, "condition too large (%zu bytes, the limit is %d)",
                        b->len, IVRSM_TMPL_MAX_LEN);
    else if (utf8_check((const unsigned char *)b->src, b->len) != b->len)
        ivrsm_tmpl_fail(b, 0, "invalid UTF-8 in condition");
    else if (ivrsm_tmpl_parse_expression(b, 0, b->len, "condition", &root) == 0) {
        b->single_expr = root;
        t = finish(b);
    }
    return t;
}

ivrsm_tmpl *ivrsm_tmpl_compile(const ivrsm_mem *mem, const char *src, size_t len, char *errbuf,
                               size_t errcap, size_t *erroff)
{
    return ivrsm_tmpl_compile_in(mem, NULL, false, src, len, errbuf, errcap, erroff);
}

ivrsm_tmpl *ivrsm_tmpl_compile_expr(const ivrsm_mem *mem, const char *src, size_t len, char *errbuf,
                                    size_t errcap, size_t *erroff)
{
    return ivrsm_tmpl_compile_in(mem, NULL, true, src, len, errbuf, errcap, erroff);
}

ivrsm_tmpl *ivrsm_tmpl_compile_in(const ivrsm_mem *mem, ivrsm_arena *arena, bool expression,
                                  const char *src, size_t len, char *errbuf, size_t errcap,
                                  size_t *erroff)
{
    tmpl_builder b;
    builder_init(&b, mem, src, len, errbuf, errcap);
    b.arena = arena;
    ivrsm_tmpl *t = NULL;
    if (expression)
        t = compile_expr(&b);
    else if (!src && len)
        ivrsm_tmpl_fail(&b, 0, "no template text (NULL with length %zu)", len);
    else
        t = compile_text(&b);
    return builder_done(&b, t, erroff);
}

int ivrsm_tmpl_is_expression(const ivrsm_tmpl *t)
{
    return t->single_expr != TMPL_NONE && t->n_ops == 0;
}

int ivrsm_tmpl_test(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope)
{
    if (t->single_expr == TMPL_NONE)
        return 0;
    return ivrsm_tmpl_is_truthy(ivrsm_tmpl_eval_node(t, t->single_expr, scope));
}

void ivrsm_tmpl_free(ivrsm_tmpl *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_lits; i++)
        json_decref(t->lits[i]);
    if (!t->in_arena)
        ivrsm_mem_free(t->mem, t);
}

int ivrsm_tmpl_is_static(const ivrsm_tmpl *t)
{
    if (t->single_expr != TMPL_NONE && t->n_ops == 0)
        return 0;
    for (size_t i = 0; i < t->n_ops; i++)
        if (t->ops[i].kind != OP_TEXT)
            return 0;
    return 1;
}

const char *ivrsm_tmpl_source(const ivrsm_tmpl *t)
{
    return t->src;
}

const char *ivrsm_tmpl_static_speech(const ivrsm_tmpl *t)
{
    return t ? t->speech : NULL;
}

size_t ivrsm_tmpl_memory(const ivrsm_tmpl *t)
{
    return t ? t->memory : 0;
}

void ivrsm_tmpl_each_path(const ivrsm_tmpl *t,
                          void (*fn)(void *user, const char *path, size_t offset), void *user)
{
    for (size_t i = 0; i < t->n_paths; i++)
        fn(user, t->pool + t->paths[i].text, t->paths[i].offset);
}

void ivrsm_tmpl_each_written_path(const ivrsm_tmpl *t, void (*fn)(void *user, const char *path),
                                  void *user)
{
    for (size_t i = 0; i < t->n_ops; i++) {
        if (t->ops[i].kind != OP_SUBST)
            continue;
        const expr_node *root = &t->nodes[t->ops[i].a];
        if (root->kind == EX_PATH)
            fn(user, t->pool + t->paths[root->a].text);
    }
}

void ivrsm_tmpl_each_resp_key(const ivrsm_tmpl *t, void (*fn)(void *user, const char *key),
                              void *user)
{
    for (size_t i = 0; i < t->n_paths; i++) {
        const tmpl_path *p = &t->paths[i];
        if (p->root != ROOT_RESP)
            continue;
        const path_seg *first = p->n_segs ? &t->segs[p->first_seg] : NULL;
        fn(user, first && first->key != TMPL_NONE ? t->pool + first->key : NULL);
    }
}

/* ---------------------------------------------------------------- rendering */

/*
 * A double as people say it: an integer without an exponent or a fraction
 * (1e3 is 1000, -0 is 0), anything else in the shortest text that reads
 * back as the same double ("2.5", "0.1").
 */
int ivrsm_tmpl_append_real(ivrsm_buf *out, double v)
{
    char tmp[400];
    int n = 0;
    if (v == 0) {
        v = 0; /* -0 */
        n = snprintf(tmp, sizeof tmp, "0");
    } else if (v == floor(v) && fabs(v) < 1e300) {
        n = snprintf(tmp, sizeof tmp, "%.0f", v);
    } else {
        n = snprintf(tmp, sizeof tmp, "%.*g", ivrsm_real_digits(v), v);
    }
    /* A host may have set a locale whose decimal separator is a comma. */
    for (int i = 0; i < n; i++)
        if (tmp[i] == ',')
            tmp[i] = '.';
    return ivrsm_buf_append(out, tmp, (size_t)n);
}

int ivrsm_tmpl_append_number(ivrsm_buf *out, const json_t *v)
{
    if (json_is_integer(v))
        return ivrsm_buf_int(out, json_integer_value(v));
    return ivrsm_tmpl_append_real(out, json_real_value(v));
}

/* An object or a list as compact JSON. */
static int append_json(ivrsm_buf *out, ivrsm_val v)
{
    if (v.j)
        return ivrsm_buf_json_value(out, v.j);
    json_t *j = ivrsm_val_json(v);
    int rc = j ? ivrsm_buf_json_value(out, j) : -1;
    json_decref(j);
    return rc;
}

int ivrsm_tmpl_append_value(ivrsm_buf *out, ivrsm_val v, const ivrsm_tmpl_scope *scope)
{
    if (ivrsm_val_missing(v))
        return 0;
    size_t len;
    /* Most values said or sent are strings: one look at the value before its type. */
    const char *str = ivrsm_val_str(v, &len);
    if (str)
        return ivrsm_buf_add(out, str, len);
    switch (ivrsm_val_type(v)) {
    case JSON_INTEGER:
        return ivrsm_buf_int(out, ivrsm_val_int(v));
    case JSON_REAL: {
        const char *text = ivrsm_val_numtext(v);
        for (int i = 0; !text && v.j && scope && i < 2; i++)
            text = ivrsm_numtexts_find(scope->numbers[i], v.j);
        if (text)
            return ivrsm_buf_puts(out, text);
        return ivrsm_tmpl_append_real(out, ivrsm_val_real(v));
    }
    case JSON_TRUE:
        return ivrsm_buf_append(out, "true", 4);
    case JSON_FALSE:
        return ivrsm_buf_append(out, "false", 5);
    case JSON_NULL:
        return 0; /* said as nothing, like a missing value */
    default:
        return append_json(out, v);
    }
}

/* The date of the scope's clock ("2026-11-25"), or NULL. */
static const char *scope_today(const ivrsm_tmpl_scope *scope)
{
    if (!scope)
        return NULL;
    size_t len;
    ivrsm_val now =
        scope->now_store ? ivrsm_vstore_root(scope->now_store) : ivrsm_val_of(scope->now);
    return ivrsm_val_missing(now) ? NULL : ivrsm_val_str(ivrsm_val_get(now, "date"), &len);
}

/* A value said in the scope's language: its text as rendered plainly, then formatted. */
static int append_formatted(ivrsm_buf *out, int format, ivrsm_val v, const ivrsm_tmpl_scope *scope)
{
    char stack[128];
    ivrsm_buf plain;
    ivrsm_buf_on(&plain, out->mem, stack, sizeof(stack));
    if (ivrsm_tmpl_append_value(&plain, v, scope) != 0 || plain.failed) {
        ivrsm_buf_free(&plain);
        return -1;
    }
    int r = 0;
    if (plain.len || format == IVRSM_SAY_YESNO) {
        r = ivrsm_say(out, format, ivrsm_buf_str(&plain), plain.len, ivrsm_tmpl_is_truthy(v),
                      scope ? scope->locale : NULL, scope_today(scope));
        if (r == 1) /* not a value of the format: said as it is */
            r = ivrsm_buf_append(out, ivrsm_buf_str(&plain), plain.len);
        else if (r == 2) /* a number no voice can say (NaN, 1e308): nothing */
            r = 0;
    }
    ivrsm_buf_free(&plain);
    return r;
}

/* Where rendering goes on after control op `op` at pc: past an OP_IF whose condition holds,
 * else to the op's target. */
static size_t control_next(const ivrsm_tmpl *t, const tmpl_op *op, size_t pc,
                           const ivrsm_tmpl_scope *scope)
{
    if (op->kind == OP_IF && ivrsm_tmpl_is_truthy(ivrsm_tmpl_eval_node(t, op->a, scope)))
        return pc + 1;
    return op->b;
}

static int append_subst(ivrsm_buf *out, const ivrsm_tmpl *t, const tmpl_op *op,
                        const ivrsm_tmpl_scope *scope)
{
    ivrsm_val v = ivrsm_tmpl_eval_node(t, op->a, scope);
    if (op->b == IVRSM_SAY_PLAIN)
        return ivrsm_tmpl_append_value(out, v, scope);
    return append_formatted(out, (int)op->b, v, scope);
}

int ivrsm_tmpl_uses_format(const ivrsm_tmpl *t, int format)
{
    for (size_t i = 0; i < t->n_ops; i++) {
        if (t->ops[i].kind == OP_SUBST && t->ops[i].b == (uint32_t)format)
            return 1;
    }
    return 0;
}

/*
 * A render's output is bounded to IVRSM_MAX_TEXT_BYTES: a template of a few bytes may say a
 * value of a megabyte thousands of times, or a `set:` double a ctx string at each turn of a
 * menu. Only values can make a text longer than its template (blocks do not loop), so the
 * bound is checked after each value: the render stops past it, the buffer failed with
 * IVRSM_BUF_PAST_LIMIT.
 */
static inline int past_limit(ivrsm_buf *out, size_t start)
{
    if (out->len - start <= IVRSM_MAX_TEXT_BYTES)
        return 0;
    if (!out->failed)
        out->failed = IVRSM_BUF_PAST_LIMIT;
    return -1;
}

int ivrsm_tmpl_render(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope, ivrsm_buf *out)
{
    const size_t start = out->len;
    for (size_t pc = 0; pc < t->n_ops;) {
        const tmpl_op *op = &t->ops[pc];
        switch (op->kind) {
        case OP_TEXT:
            if (ivrsm_buf_add(out, t->src + op->a, op->b) != 0)
                return -1;
            pc++;
            break;
        case OP_SUBST:
            if (append_subst(out, t, op, scope) != 0 || past_limit(out, start) != 0)
                return -1;
            pc++;
            break;
        default:
            pc = control_next(t, op, pc, scope);
            break;
        }
    }
    /* Appending nothing still leaves a valid, empty buffer. */
    return out->failed ? -1 : 0;
}

/* Spoken rendering: whether a space is owed before the next word. */
typedef struct speech_out {
    ivrsm_buf *buf;
    bool space;
} speech_out;

/* A collapsed text (no whitespace at its ends) after the words so far. */
static void say_words(speech_out *o, const char *s, size_t len)
{
    if (!len)
        return;
    if (o->space && o->buf->len)
        ivrsm_buf_putc(o->buf, ' ');
    ivrsm_buf_add(o->buf, s, len);
    o->space = false;
}

/*
 * A value appended raw at `mark`, collapsed in place. `owed`: the space owed
 * before it was written at mark - 1, taken back when the value says nothing.
 * A space is written only where whitespace was read, so writing never
 * overtakes reading.
 */
static void say_value(speech_out *o, size_t mark, bool owed)
{
    ivrsm_buf *b = o->buf;
    if (b->failed || !b->data)
        return;
    char *d = b->data;
    size_t w = mark, len = b->len;
    bool pending = owed ? false : o->space && w > 0;
    size_t i = mark;
    if (!pending) {
        /* Words and single spaces between them stay as they are: passed over, not copied. */
        while (i < len) {
            unsigned char c = (unsigned char)d[i];
            if (c > ' ')
                i++;
            else if (c == ' ' && i > mark && i + 1 < len && (unsigned char)d[i + 1] > ' ')
                i += 2;
            else
                break;
        }
        w = i;
    }
    for (; i < len; i++) {
        if (is_space(d[i])) {
            pending = true;
            continue;
        }
        if (pending && w > 0 && !(owed && w == mark))
            d[w++] = ' ';
        pending = false;
        d[w++] = d[i];
    }
    if (owed && w == mark) {
        w = mark - 1; /* nothing said: the space is still owed */
        pending = true;
    }
    b->len = w;
    d[w] = '\0';
    o->space = pending;
}

int ivrsm_tmpl_render_speech(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope, ivrsm_buf *out)
{
    if (t->speech || !t->texts) {
        /* Static, or nothing to say: the one collapse is the compiled one or a short one. */
        if (ivrsm_tmpl_render(t, scope, out) != 0)
            return -1;
        if (out->data)
            out->len = ivrsm_text_collapse_spaces(out->data, out->len, out->data);
        return 0;
    }
    const size_t start = out->len;
    speech_out o = {out, false};
    for (size_t pc = 0; pc < t->n_ops;) {
        const tmpl_op *op = &t->ops[pc];
        switch (op->kind) {
        case OP_TEXT: {
            const tmpl_text *x = &t->texts[pc];
            if (x->lead)
                o.space = true;
            say_words(&o, t->speech_pool + x->off, x->len);
            if (x->trail)
                o.space = true;
            pc++;
            break;
        }
        case OP_SUBST: {
            bool owed = o.space && out->len > 0;
            if (owed)
                ivrsm_buf_putc(out, ' ');
            size_t mark = out->len;
            if (append_subst(out, t, op, scope) != 0 || past_limit(out, start) != 0)
                return -1;
            say_value(&o, mark, owed);
            pc++;
            break;
        }
        default:
            pc = control_next(t, op, pc, scope);
            break;
        }
    }
    return out->failed ? -1 : 0;
}

int ivrsm_tmpl_expr_value(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope, ivrsm_val *out)
{
    if (t->single_expr == TMPL_NONE)
        return IVRSM_TMPL_TEXT;
    *out = ivrsm_tmpl_eval_node(t, t->single_expr, scope);
    return t->nodes[t->single_expr].kind == EX_LITERAL ? IVRSM_TMPL_LITERAL : IVRSM_TMPL_VALUE;
}

bool ivrsm_tmpl_is_ctx_path(const ivrsm_tmpl *t)
{
    if (t->single_expr == TMPL_NONE)
        return false;
    const expr_node *e = &t->nodes[t->single_expr];
    return e->kind == EX_PATH && t->paths[e->a].root == ROOT_CTX;
}

int ivrsm_tmpl_eval(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope, json_t **out)
{
    ivrsm_val v;
    switch (ivrsm_tmpl_expr_value(t, scope, &v)) {
    case IVRSM_TMPL_VALUE:
        *out = ivrsm_val_missing(v) ? json_null() : ivrsm_val_json(v);
        return *out ? 0 : IVRSM_ENOMEM;
    case IVRSM_TMPL_LITERAL:
        /* Literals belong to the template, shared between threads: hand out a copy. */
        *out = json_copy((json_t *)v.j);
        return *out ? 0 : IVRSM_ENOMEM;
    default:
        break;
    }
    *out = NULL;
    char stack[512];
    ivrsm_buf text;
    ivrsm_buf_on(&text, scope->mem, stack, sizeof(stack));
    if (ivrsm_tmpl_render(t, scope, &text) != 0) {
        int rc = text.failed == IVRSM_BUF_PAST_LIMIT ? IVRSM_ELIMIT : IVRSM_ENOMEM;
        ivrsm_buf_free(&text);
        return rc;
    }
    json_t *v2 = json_stringn(ivrsm_buf_str(&text), text.len);
    /* Only a scope string built without UTF-8 checks can make the text invalid: keep it as is. */
    if (!v2)
        v2 = json_stringn_nocheck(ivrsm_buf_str(&text), text.len);
    ivrsm_buf_free(&text);
    *out = v2;
    return v2 ? 0 : IVRSM_ENOMEM;
}
