/*
 * Run-time templates: compilation into a flat program, rendering, evaluation.
 *
 * A template compiles into one memory block holding a flat array of ops
 * (text slice, substitution, conditional jump, jump), the expression nodes
 * they point to, the variable paths with their segments already split (keys
 * as NUL-terminated strings, indexes as integers) and the literals. Rendering
 * walks the ops once and never looks at the source again, so a value that
 * contains "{{" is copied as it is.
 */
#include "template.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
/* Bound on parentheses and '!' chains, so a hostile template cannot exhaust the stack. */
#define EXPR_MAX_DEPTH 32
/* Largest array index accepted in a path. */
#define INDEX_MAX 1000000000u
/* How much of a tag a message quotes. */
#define QUOTE_MAX 80

enum op_kind { OP_TEXT, OP_SUBST, OP_IF, OP_JUMP };

typedef struct tmpl_op {
    uint32_t kind;
    uint32_t a; /* OP_TEXT: source offset; OP_SUBST, OP_IF: root expression node */
    uint32_t b; /* OP_TEXT: length; OP_IF: op to go to when false; OP_JUMP: target */
} tmpl_op;

enum expr_kind { EX_PATH, EX_LITERAL, EX_NOT, EX_AND, EX_OR, EX_EQ, EX_NE, EX_LT, EX_LE, EX_GT, EX_GE };

typedef struct expr_node {
    uint32_t kind;
    uint32_t a; /* EX_PATH: path index; EX_LITERAL: literal index; operators: left operand */
    uint32_t b; /* binary operators: right operand */
} expr_node;

enum root_kind { ROOT_CTX, ROOT_RESP, ROOT_GLOBALS };

typedef struct tmpl_path {
    uint32_t root;
    uint32_t first_seg;
    uint32_t n_segs;
    uint32_t offset; /* byte offset in the source */
    uint32_t text;   /* pool offset of the canonical text, e.g. "ctx.list[0].id" */
} tmpl_path;

typedef struct path_seg {
    uint32_t key;   /* pool offset of the key, or NONE for an index */
    uint32_t index; /* array index when key is NONE */
} path_seg;

struct ivrsm_tmpl {
    const tmpl_op *ops;
    const expr_node *nodes;
    const tmpl_path *paths;
    const path_seg *segs;
    json_t *const *lits;
    const char *pool;
    const char *src;
    size_t n_ops, n_nodes, n_paths, n_segs, n_lits, src_len;
    uint32_t single_expr; /* root node when the template is exactly one "{{expr}}" */
    size_t memory;
};

/* ---------------------------------------------------------------- builder */

typedef struct if_frame {
    size_t open_off;     /* offset of the "{{#if" that opened the block */
    uint32_t pending_if; /* OP_IF whose false target is still open, or NONE */
    uint32_t jump_chain; /* OP_JUMPs to patch at "{{/if}}", linked through their b */
    int has_else;
} if_frame;

typedef struct tmpl_builder {
    const char *src;
    size_t len;
    tmpl_op *ops;
    size_t n_ops, cap_ops;
    expr_node *nodes;
    size_t n_nodes, cap_nodes;
    tmpl_path *paths;
    size_t n_paths, cap_paths;
    path_seg *segs;
    size_t n_segs, cap_segs;
    json_t **lits;
    size_t n_lits, cap_lits;
    char *pool;
    size_t n_pool, cap_pool;
    if_frame frames[IVRSM_TMPL_MAX_DEPTH];
    size_t depth;
    size_t tag_start, tag_len; /* the tag being compiled, quoted in messages */
    uint32_t single_expr;
    char *errbuf;
    size_t errcap;
    size_t erroff;
    int failed;
} tmpl_builder;

/* Records the first error only: later ones are consequences of it. */
static int fail(tmpl_builder *b, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(tmpl_builder *b, size_t off, const char *fmt, ...)
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
    }
    return -1;
}

static int fail_oom(tmpl_builder *b)
{
    return fail(b, 0, "out of memory");
}

/* Length of the current tag to quote, and the ellipsis that marks a cut. */
static int quote_len(const tmpl_builder *b)
{
    return (int)(b->tag_len > QUOTE_MAX ? QUOTE_MAX : b->tag_len);
}

static const char *quote_cut(const tmpl_builder *b)
{
    return b->tag_len > QUOTE_MAX ? "..." : "";
}

#define TAG_FMT "'%.*s%s'"
#define TAG_ARGS(b) quote_len(b), (b)->src + (b)->tag_start, quote_cut(b)

/* Makes room for one more element of `size` bytes in a growable array. */
static int grow(tmpl_builder *b, void **arr, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, ncap * size);
    if (!p)
        return fail_oom(b);
    *arr = p;
    *cap = ncap;
    return 0;
}

static int add_op(tmpl_builder *b, uint32_t kind, uint32_t a, uint32_t bb, uint32_t *out)
{
    if (grow(b, (void **)&b->ops, &b->cap_ops, b->n_ops, sizeof *b->ops) != 0)
        return -1;
    b->ops[b->n_ops] = (tmpl_op){kind, a, bb};
    if (out)
        *out = (uint32_t)b->n_ops;
    b->n_ops++;
    return 0;
}

static int add_node(tmpl_builder *b, uint32_t kind, uint32_t a, uint32_t bb, uint32_t *out)
{
    if (grow(b, (void **)&b->nodes, &b->cap_nodes, b->n_nodes, sizeof *b->nodes) != 0)
        return -1;
    b->nodes[b->n_nodes] = (expr_node){kind, a, bb};
    *out = (uint32_t)b->n_nodes++;
    return 0;
}

static int add_literal(tmpl_builder *b, json_t *v, uint32_t *out)
{
    if (!v)
        return fail_oom(b);
    if (grow(b, (void **)&b->lits, &b->cap_lits, b->n_lits, sizeof *b->lits) != 0) {
        json_decref(v);
        return -1;
    }
    b->lits[b->n_lits] = v;
    return add_node(b, EX_LITERAL, (uint32_t)b->n_lits++, 0, out);
}

/* Appends bytes to the string pool; *off receives where they start. */
static int pool_add(tmpl_builder *b, const char *s, size_t n, uint32_t *off)
{
    while (b->n_pool + n + 1 > b->cap_pool) {
        size_t ncap = b->cap_pool ? b->cap_pool * 2 : 64;
        char *p = realloc(b->pool, ncap);
        if (!p)
            return fail_oom(b);
        b->pool = p;
        b->cap_pool = ncap;
    }
    if (off)
        *off = (uint32_t)b->n_pool;
    memcpy(b->pool + b->n_pool, s, n);
    b->n_pool += n;
    b->pool[b->n_pool] = '\0';
    return 0;
}

/* Ends the current pool string (pool_add() keeps a NUL after it; this keeps it). */
static void pool_end(tmpl_builder *b)
{
    b->n_pool++;
}

static void builder_free(tmpl_builder *b)
{
    for (size_t i = 0; i < b->n_lits; i++)
        json_decref(b->lits[i]);
    free(b->ops);
    free(b->nodes);
    free(b->paths);
    free(b->segs);
    free(b->lits);
    free(b->pool);
}

/* ---------------------------------------------------------------- lexer */

enum tok_kind {
    TK_END, TK_PATH, TK_NUMBER, TK_STRING, TK_TRUE, TK_FALSE, TK_NULL, TK_LPAREN, TK_RPAREN,
    TK_NOT, TK_AND, TK_OR, TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE
};

typedef struct expr_parser {
    tmpl_builder *b;
    size_t pos, end; /* the part of the source still to read */
    int kind;        /* current token */
    size_t tok_start, tok_end;
    int depth;
} expr_parser;

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_key_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A path token: identifier, then ".key" and "[...]" parts, checked later by parse_path(). */
static size_t scan_path(const char *s, size_t pos, size_t end)
{
    while (pos < end && (is_key_char(s[pos]) || s[pos] == '.'))
        pos++;
    while (pos < end && s[pos] == '[') {
        while (pos < end && s[pos] != ']')
            pos++;
        if (pos < end)
            pos++;
        while (pos < end && (is_key_char(s[pos]) || s[pos] == '.'))
            pos++;
    }
    return pos;
}

/* Offset just past the closing quote of the string starting at `pos`, or 0 if none. */
static size_t scan_string(const char *s, size_t pos, size_t end)
{
    char q = s[pos++];
    while (pos < end && s[pos] != q)
        pos += (s[pos] == '\\' && pos + 1 < end) ? 2 : 1;
    return pos < end ? pos + 1 : 0;
}

static size_t scan_number(const char *s, size_t pos, size_t end)
{
    if (s[pos] == '-')
        pos++;
    while (pos < end && (is_key_char(s[pos]) || s[pos] == '.' ||
                         ((s[pos] == '+' || s[pos] == '-') && (s[pos - 1] == 'e' || s[pos - 1] == 'E'))))
        pos++;
    return pos;
}

static int token_is(const expr_parser *p, const char *word)
{
    size_t n = strlen(word);
    return p->tok_end - p->tok_start == n && memcmp(p->b->src + p->tok_start, word, n) == 0;
}

static int two_char_op(const char *s, size_t pos, size_t end, const char *op)
{
    return pos + 1 < end && s[pos] == op[0] && s[pos + 1] == op[1];
}

/* Reads the next token into p; returns -1 with the error recorded on a bad character. */
static int next_token(expr_parser *p)
{
    const char *s = p->b->src;
    while (p->pos < p->end && is_space(s[p->pos]))
        p->pos++;
    p->tok_start = p->pos;
    if (p->pos >= p->end) {
        p->kind = TK_END;
        p->tok_end = p->pos;
        return 0;
    }
    static const struct { const char *text; int kind; } ops[] = {
        {"==", TK_EQ}, {"!=", TK_NE}, {"<=", TK_LE}, {">=", TK_GE}, {"&&", TK_AND}, {"||", TK_OR},
        {"<", TK_LT}, {">", TK_GT}, {"!", TK_NOT}, {"(", TK_LPAREN}, {")", TK_RPAREN},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].text);
        if (n == 2 ? two_char_op(s, p->pos, p->end, ops[i].text) : s[p->pos] == ops[i].text[0]) {
            p->kind = ops[i].kind;
            p->pos += n;
            p->tok_end = p->pos;
            return 0;
        }
    }
    char c = s[p->pos];
    if (c == '"' || c == '\'') {
        size_t stop = scan_string(s, p->pos, p->end);
        if (!stop)
            return fail(p->b, p->pos, "unterminated string in " TAG_FMT, TAG_ARGS(p->b));
        p->kind = TK_STRING;
        p->pos = stop;
    } else if (is_digit(c) || c == '-') {
        p->kind = TK_NUMBER;
        p->pos = scan_number(s, p->pos, p->end);
    } else if (is_ident_start(c)) {
        p->pos = scan_path(s, p->pos, p->end);
        p->kind = TK_PATH;
    } else {
        return fail(p->b, p->pos, "unexpected character '%c' in " TAG_FMT, c, TAG_ARGS(p->b));
    }
    p->tok_end = p->pos;
    if (p->kind == TK_PATH) {
        if (token_is(p, "true"))
            p->kind = TK_TRUE;
        else if (token_is(p, "false"))
            p->kind = TK_FALSE;
        else if (token_is(p, "null"))
            p->kind = TK_NULL;
    }
    return 0;
}

/* ---------------------------------------------------------------- expressions */

static int parse_or(expr_parser *p, uint32_t *out);

/* Splits a path token into its root and segments, and records its canonical text. */
static int parse_path(expr_parser *p, uint32_t *out)
{
    tmpl_builder *b = p->b;
    const char *s = b->src;
    size_t pos = p->tok_start, end = p->tok_end;
    size_t root_end = pos;
    while (root_end < end && is_key_char(s[root_end]))
        root_end++;
    static const char *const roots[] = {"ctx", "resp", "globals"};
    uint32_t root = NONE;
    for (uint32_t i = 0; i < 3; i++)
        if (root_end - pos == strlen(roots[i]) && memcmp(s + pos, roots[i], root_end - pos) == 0)
            root = i;
    if (root == NONE)
        return fail(b, pos, "unknown root '%.*s' in " TAG_FMT ": expected ctx, resp or globals",
                    (int)(root_end - pos), s + pos, TAG_ARGS(b));
    if (grow(b, (void **)&b->paths, &b->cap_paths, b->n_paths, sizeof *b->paths) != 0)
        return -1;
    tmpl_path path = {root, (uint32_t)b->n_segs, 0, (uint32_t)pos, 0};
    /* The canonical text: keys as written, indexes without leading zeros. */
    ivrsm_buf text = IVRSM_BUF_INIT;
    ivrsm_buf_puts(&text, roots[root]);
    for (pos = root_end; pos < end;) {
        path_seg seg = {NONE, 0};
        size_t seg_start = pos;
        if (s[pos] == '.') {
            size_t k = ++pos;
            while (pos < end && is_key_char(s[pos]))
                pos++;
            if (pos == k) {
                ivrsm_buf_free(&text);
                return fail(b, seg_start, "empty key in path '%.*s' in " TAG_FMT,
                            (int)(end - p->tok_start), s + p->tok_start, TAG_ARGS(b));
            }
            if (pool_add(b, s + k, pos - k, &seg.key) != 0) {
                ivrsm_buf_free(&text);
                return -1;
            }
            pool_end(b);
            ivrsm_buf_append(&text, s + seg_start, pos - seg_start);
        } else if (s[pos] == '[') {
            size_t d = ++pos;
            unsigned long long idx = 0;
            while (pos < end && is_digit(s[pos]) && idx <= INDEX_MAX)
                idx = idx * 10 + (unsigned)(s[pos++] - '0');
            if (pos == d || pos >= end || s[pos] != ']' || idx > INDEX_MAX) {
                size_t close = seg_start;
                while (close < end && s[close] != ']')
                    close++;
                ivrsm_buf_free(&text);
                return fail(b, seg_start,
                            "bad index '%.*s' in " TAG_FMT ": expected a non-negative integer",
                            (int)(close - seg_start + (close < end)), s + seg_start, TAG_ARGS(b));
            }
            pos++;
            seg.index = (uint32_t)idx;
            ivrsm_buf_printf(&text, "[%u]", (unsigned)idx);
        } else {
            ivrsm_buf_free(&text);
            return fail(b, pos, "unexpected '%c' in path '%.*s' in " TAG_FMT, s[pos],
                        (int)(end - p->tok_start), s + p->tok_start, TAG_ARGS(b));
        }
        if (grow(b, (void **)&b->segs, &b->cap_segs, b->n_segs, sizeof *b->segs) != 0) {
            ivrsm_buf_free(&text);
            return -1;
        }
        b->segs[b->n_segs++] = seg;
        path.n_segs++;
    }
    int rc = text.failed ? fail_oom(b) : pool_add(b, text.data, text.len, &path.text);
    ivrsm_buf_free(&text);
    if (rc != 0)
        return -1;
    pool_end(b);
    b->paths[b->n_paths] = path;
    return add_node(b, EX_PATH, (uint32_t)b->n_paths++, 0, out);
}

/* A number literal, in JSON syntax; jansson reads it the same way whatever the C locale. */
static int parse_number(expr_parser *p, uint32_t *out)
{
    const char *s = p->b->src + p->tok_start;
    size_t n = p->tok_end - p->tok_start;
    json_error_t err;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &err);
    if (!v || !json_is_number(v)) {
        json_decref(v);
        return fail(p->b, p->tok_start, "bad number '%.*s' in " TAG_FMT, (int)n, s,
                    TAG_ARGS(p->b));
    }
    return add_literal(p->b, v, out);
}

/* A quoted literal: a backslash keeps the next character (\n and \t give a newline and a tab). */
static int parse_string(expr_parser *p, uint32_t *out)
{
    const char *s = p->b->src;
    ivrsm_buf text = IVRSM_BUF_INIT;
    ivrsm_buf_reserve(&text, p->tok_end - p->tok_start);
    for (size_t i = p->tok_start + 1; i + 1 < p->tok_end; i++) {
        char c = s[i];
        if (c == '\\') {
            c = s[++i];
            c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
        }
        ivrsm_buf_putc(&text, c);
    }
    json_t *v = text.failed ? NULL : json_stringn(ivrsm_buf_str(&text), text.len);
    ivrsm_buf_free(&text);
    return add_literal(p->b, v, out);
}

static int fail_expected_value(expr_parser *p)
{
    if (p->kind == TK_END)
        return fail(p->b, p->tok_start, "expected a value at the end of " TAG_FMT, TAG_ARGS(p->b));
    return fail(p->b, p->tok_start, "expected a value before '%.*s' in " TAG_FMT,
                (int)(p->tok_end - p->tok_start), p->b->src + p->tok_start, TAG_ARGS(p->b));
}

static int enter(expr_parser *p)
{
    if (++p->depth > EXPR_MAX_DEPTH)
        return fail(p->b, p->tok_start, "expression nested deeper than %d levels in " TAG_FMT,
                    EXPR_MAX_DEPTH, TAG_ARGS(p->b));
    return 0;
}

static int parse_primary(expr_parser *p, uint32_t *out)
{
    int rc;
    switch (p->kind) {
    case TK_PATH: rc = parse_path(p, out); break;
    case TK_NUMBER: rc = parse_number(p, out); break;
    case TK_STRING: rc = parse_string(p, out); break;
    case TK_TRUE: rc = add_literal(p->b, json_true(), out); break;
    case TK_FALSE: rc = add_literal(p->b, json_false(), out); break;
    case TK_NULL: rc = add_literal(p->b, json_null(), out); break;
    case TK_LPAREN: {
        size_t open = p->tok_start;
        if (enter(p) != 0 || next_token(p) != 0 || parse_or(p, out) != 0)
            return -1;
        if (p->kind != TK_RPAREN)
            return fail(p->b, open, "unclosed '(' in " TAG_FMT, TAG_ARGS(p->b));
        p->depth--;
        rc = 0;
        break;
    }
    default: return fail_expected_value(p);
    }
    return rc != 0 ? -1 : next_token(p);
}

/* '!' binds tighter than comparisons: "!a == b" is "(!a) == b". */
static int parse_unary(expr_parser *p, uint32_t *out)
{
    if (p->kind != TK_NOT)
        return parse_primary(p, out);
    uint32_t operand;
    if (enter(p) != 0 || next_token(p) != 0 || parse_unary(p, &operand) != 0)
        return -1;
    p->depth--;
    return add_node(p->b, EX_NOT, operand, 0, out);
}

static uint32_t comparison_kind(int tok)
{
    switch (tok) {
    case TK_EQ: return EX_EQ;
    case TK_NE: return EX_NE;
    case TK_LT: return EX_LT;
    case TK_LE: return EX_LE;
    case TK_GT: return EX_GT;
    case TK_GE: return EX_GE;
    default: return NONE;
    }
}

/* Comparisons do not chain: "a < b < c" would not mean what it reads as. */
static int parse_comparison(expr_parser *p, uint32_t *out)
{
    uint32_t left, right, kind;
    if (parse_unary(p, &left) != 0)
        return -1;
    kind = comparison_kind(p->kind);
    if (kind == NONE) {
        *out = left;
        return 0;
    }
    if (next_token(p) != 0 || parse_unary(p, &right) != 0)
        return -1;
    if (comparison_kind(p->kind) != NONE)
        return fail(p->b, p->tok_start, "comparisons cannot be chained in " TAG_FMT
                    ": join them with && or ||", TAG_ARGS(p->b));
    return add_node(p->b, kind, left, right, out);
}

static int parse_and(expr_parser *p, uint32_t *out)
{
    uint32_t left, right;
    if (parse_comparison(p, &left) != 0)
        return -1;
    while (p->kind == TK_AND) {
        if (next_token(p) != 0 || parse_comparison(p, &right) != 0 ||
            add_node(p->b, EX_AND, left, right, &left) != 0)
            return -1;
    }
    *out = left;
    return 0;
}

static int parse_or(expr_parser *p, uint32_t *out)
{
    uint32_t left, right;
    if (parse_and(p, &left) != 0)
        return -1;
    while (p->kind == TK_OR) {
        if (next_token(p) != 0 || parse_and(p, &right) != 0 ||
            add_node(p->b, EX_OR, left, right, &left) != 0)
            return -1;
    }
    *out = left;
    return 0;
}

/* Compiles the expression in src[start, end) of the current tag; `what` names it in messages. */
static int parse_expression(tmpl_builder *b, size_t start, size_t end, const char *what,
                            uint32_t *out)
{
    expr_parser p = {b, start, end, TK_END, start, start, 0};
    if (next_token(&p) != 0)
        return -1;
    if (p.kind == TK_END)
        return fail(b, b->tag_start, "empty %s in " TAG_FMT, what, TAG_ARGS(b));
    if (parse_or(&p, out) != 0)
        return -1;
    if (p.kind != TK_END)
        return fail(b, p.tok_start, "unexpected '%.*s' in " TAG_FMT ": expected an operator or '}}'",
                    (int)(p.tok_end - p.tok_start), b->src + p.tok_start, TAG_ARGS(b));
    return 0;
}

/* ---------------------------------------------------------------- blocks */

/* True when src[pos, end) starts with `word` as a whole word. */
static int starts_word(const char *s, size_t pos, size_t end, const char *word)
{
    size_t n = strlen(word);
    return end - pos >= n && memcmp(s + pos, word, n) == 0 &&
           (pos + n == end || !is_key_char(s[pos + n]));
}

static int open_if(tmpl_builder *b, size_t cond_start, size_t end)
{
    uint32_t cond, op;
    if (b->depth == IVRSM_TMPL_MAX_DEPTH)
        return fail(b, b->tag_start, "'{{#if}}' blocks nested deeper than %d", IVRSM_TMPL_MAX_DEPTH);
    if (parse_expression(b, cond_start, end, "condition", &cond) != 0 ||
        add_op(b, OP_IF, cond, NONE, &op) != 0)
        return -1;
    b->frames[b->depth++] = (if_frame){b->tag_start, op, NONE, 0};
    return 0;
}

/* "{{else}}" or, when cond_start is not NONE, "{{else if cond}}". */
static int add_else(tmpl_builder *b, size_t cond_start, size_t end)
{
    if (b->depth == 0)
        return fail(b, b->tag_start, TAG_FMT " outside '{{#if}}'", TAG_ARGS(b));
    if_frame *f = &b->frames[b->depth - 1];
    if (f->has_else)
        return fail(b, b->tag_start, TAG_FMT " after '{{else}}' in the same '{{#if}}'", TAG_ARGS(b));
    uint32_t jump, cond;
    /* The jump's target is not known yet: it joins the chain patched at "{{/if}}". */
    if (add_op(b, OP_JUMP, 0, f->jump_chain, &jump) != 0)
        return -1;
    f->jump_chain = jump;
    b->ops[f->pending_if].b = (uint32_t)b->n_ops;
    f->pending_if = NONE;
    if (cond_start == NONE) {
        f->has_else = 1;
        return 0;
    }
    if (parse_expression(b, cond_start, end, "condition", &cond) != 0 ||
        add_op(b, OP_IF, cond, NONE, &f->pending_if) != 0)
        return -1;
    return 0;
}

static int close_if(tmpl_builder *b)
{
    if (b->depth == 0)
        return fail(b, b->tag_start, "'{{/if}}' without a matching '{{#if}}'");
    if_frame *f = &b->frames[--b->depth];
    uint32_t here = (uint32_t)b->n_ops;
    if (f->pending_if != NONE)
        b->ops[f->pending_if].b = here;
    for (uint32_t j = f->jump_chain; j != NONE;) {
        uint32_t next = b->ops[j].b;
        b->ops[j].b = here;
        j = next;
    }
    return 0;
}

/* Compiles one tag; src[start, end) is what lies between "{{" and "}}". */
static int compile_tag(tmpl_builder *b, size_t start, size_t end)
{
    const char *s = b->src;
    while (start < end && is_space(s[start]))
        start++;
    while (end > start && is_space(s[end - 1]))
        end--;
    if (start < end && s[start] == '#') {
        if (starts_word(s, start, end, "#if"))
            return open_if(b, start + 3, end);
        return fail(b, b->tag_start, "unknown block " TAG_FMT ": only '{{#if ...}}' is supported",
                    TAG_ARGS(b));
    }
    if (start < end && s[start] == '/') {
        if (end - start == 3 && memcmp(s + start, "/if", 3) == 0)
            return close_if(b);
        return fail(b, b->tag_start, "unknown closing tag " TAG_FMT ": expected '{{/if}}'",
                    TAG_ARGS(b));
    }
    if (starts_word(s, start, end, "else")) {
        size_t rest = start + 4;
        while (rest < end && is_space(s[rest]))
            rest++;
        if (rest == end)
            return add_else(b, NONE, end);
        if (starts_word(s, rest, end, "if"))
            return add_else(b, rest + 2, end);
        return fail(b, rest, "unexpected text after 'else' in " TAG_FMT
                    ": expected '{{else}}' or '{{else if ...}}'", TAG_ARGS(b));
    }
    uint32_t expr;
    if (parse_expression(b, start, end, "expression", &expr) != 0 ||
        add_op(b, OP_SUBST, expr, 0, NULL) != 0)
        return -1;
    if (b->tag_start == 0 && b->tag_len == b->len)
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
            size_t stop = scan_string(s, i, len);
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

/* Offset of the first byte that is not well-formed UTF-8, or len when all of it is. */
static size_t utf8_check(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2
                 : (c & 0xF8) == 0xF0 ? 3 : 4;
        if (n == 4 || c == 0xC0 || c == 0xC1 || c > 0xF4 || (n && i + n >= len))
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
        return fail(b, IVRSM_TMPL_MAX_LEN, "template too large (%zu bytes, the limit is %d)", len,
                    IVRSM_TMPL_MAX_LEN);
    size_t bad = utf8_check((const unsigned char *)s, len);
    if (bad != len)
        return fail(b, bad, "invalid UTF-8 in template at byte %zu", bad);
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
            return fail(b, open, "unterminated '{{': no matching '}}'");
        b->tag_start = open;
        b->tag_len = close + 2 - open;
        if (add_text(b, text_start, open) != 0 || compile_tag(b, open + 2, close) != 0)
            return -1;
        pos = text_start = close + 2;
    }
    if (add_text(b, text_start, len) != 0)
        return -1;
    if (b->depth)
        return fail(b, b->frames[b->depth - 1].open_off, "'{{#if}}' never closed by '{{/if}}'");
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

/* Moves everything the builder gathered into one block, the template itself. */
static ivrsm_tmpl *finish(tmpl_builder *b)
{
    size_t off_ops = align_up(sizeof(ivrsm_tmpl));
    size_t off_nodes = align_up(off_ops + b->n_ops * sizeof(tmpl_op));
    size_t off_paths = align_up(off_nodes + b->n_nodes * sizeof(expr_node));
    size_t off_segs = align_up(off_paths + b->n_paths * sizeof(tmpl_path));
    size_t off_lits = align_up(off_segs + b->n_segs * sizeof(path_seg));
    size_t off_pool = off_lits + b->n_lits * sizeof(json_t *);
    size_t off_src = off_pool + b->n_pool;
    size_t total = off_src + b->len + 1;
    char *mem = malloc(total);
    if (!mem) {
        fail_oom(b);
        return NULL;
    }
    ivrsm_tmpl *t = (ivrsm_tmpl *)mem;
    /* memcpy with a zero length still wants valid pointers; empty arrays are NULL here. */
    if (b->n_ops)
        memcpy(mem + off_ops, b->ops, b->n_ops * sizeof(tmpl_op));
    if (b->n_nodes)
        memcpy(mem + off_nodes, b->nodes, b->n_nodes * sizeof(expr_node));
    if (b->n_paths)
        memcpy(mem + off_paths, b->paths, b->n_paths * sizeof(tmpl_path));
    if (b->n_segs)
        memcpy(mem + off_segs, b->segs, b->n_segs * sizeof(path_seg));
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
        .memory = total,
    };
    for (size_t i = 0; i < b->n_lits; i++)
        t->memory += literal_size(b->lits[i]);
    b->n_lits = 0; /* the template owns the literals now */
    return t;
}

ivrsm_tmpl *ivrsm_tmpl_compile(const char *src, size_t len, char *errbuf, size_t errcap,
                               size_t *erroff)
{
    tmpl_builder b = {.src = src ? src : "", .len = src ? len : 0, .single_expr = NONE,
                      .errbuf = errbuf, .errcap = errcap};
    if (errbuf && errcap)
        errbuf[0] = '\0';
    ivrsm_tmpl *t = NULL;
    if (!src && len)
        fail(&b, 0, "no template text (NULL with length %zu)", len);
    else if (compile_source(&b) == 0)
        t = finish(&b);
    if (!t && erroff)
        *erroff = b.erroff;
    builder_free(&b);
    return t;
}

void ivrsm_tmpl_free(ivrsm_tmpl *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_lits; i++)
        json_decref(t->lits[i]);
    free(t);
}

int ivrsm_tmpl_is_static(const ivrsm_tmpl *t)
{
    for (size_t i = 0; i < t->n_ops; i++)
        if (t->ops[i].kind != OP_TEXT)
            return 0;
    return 1;
}

const char *ivrsm_tmpl_source(const ivrsm_tmpl *t)
{
    return t->src;
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

/* ---------------------------------------------------------------- evaluation */

static const json_t *resolve_path(const ivrsm_tmpl *t, const tmpl_path *path,
                                  const ivrsm_tmpl_scope *scope)
{
    if (!scope)
        return NULL;
    const json_t *v = path->root == ROOT_CTX    ? scope->ctx
                      : path->root == ROOT_RESP ? scope->resp
                                                : scope->globals;
    const path_seg *seg = t->segs + path->first_seg;
    for (uint32_t i = 0; v && i < path->n_segs; i++, seg++) {
        if (seg->key != NONE)
            v = json_is_object(v) ? json_object_get(v, t->pool + seg->key) : NULL;
        else
            v = json_is_array(v) ? json_array_get(v, seg->index) : NULL;
    }
    return v;
}

/* Missing, null, false, 0, "", [] and {} are false; everything else is true. */
static int is_truthy(const json_t *v)
{
    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_TRUE: return 1;
    case JSON_INTEGER: return json_integer_value(v) != 0;
    case JSON_REAL: return json_real_value(v) != 0.0;
    case JSON_STRING: return json_string_length(v) != 0;
    case JSON_ARRAY: return json_array_size(v) != 0;
    case JSON_OBJECT: return json_object_size(v) != 0;
    default: return 0;
    }
}

/* Orders two numbers exactly when both are integers, as doubles otherwise. */
static int compare_numbers(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return (x > y) - (x < y);
    }
    double x = json_number_value(a), y = json_number_value(b);
    return (x > y) - (x < y);
}

/* Byte-wise order of two strings; a prefix sorts first. */
static int compare_strings(const json_t *a, const json_t *b)
{
    size_t la = json_string_length(a), lb = json_string_length(b);
    int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
    if (c)
        return c < 0 ? -1 : 1;
    return (la > lb) - (la < lb);
}

/* Equality: numbers by value, other values only with their own type; missing equals null. */
static int values_equal(const json_t *a, const json_t *b)
{
    if (!a)
        a = json_null();
    if (!b)
        b = json_null();
    if (json_is_number(a) && json_is_number(b))
        return compare_numbers(a, b) == 0;
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_string(a))
        return compare_strings(a, b) == 0;
    return json_equal((json_t *)a, (json_t *)b);
}

/* Sets *order for two numbers or two strings; returns 0 for values that have no order. */
static int values_order(const json_t *a, const json_t *b, int *order)
{
    if (json_is_number(a) && json_is_number(b))
        *order = compare_numbers(a, b);
    else if (json_is_string(a) && json_is_string(b))
        *order = compare_strings(a, b);
    else
        return 0;
    return 1;
}

/* A borrowed value: from the scope, a literal of the template, or a jansson constant. */
static const json_t *eval_node(const ivrsm_tmpl *t, uint32_t n, const ivrsm_tmpl_scope *scope)
{
    const expr_node *e = &t->nodes[n];
    int order;
    switch (e->kind) {
    case EX_PATH: return resolve_path(t, &t->paths[e->a], scope);
    case EX_LITERAL: return t->lits[e->a];
    case EX_NOT: return json_boolean(!is_truthy(eval_node(t, e->a, scope)));
    case EX_AND:
        return json_boolean(is_truthy(eval_node(t, e->a, scope)) &&
                            is_truthy(eval_node(t, e->b, scope)));
    case EX_OR:
        return json_boolean(is_truthy(eval_node(t, e->a, scope)) ||
                            is_truthy(eval_node(t, e->b, scope)));
    case EX_EQ: return json_boolean(values_equal(eval_node(t, e->a, scope), eval_node(t, e->b, scope)));
    case EX_NE: return json_boolean(!values_equal(eval_node(t, e->a, scope), eval_node(t, e->b, scope)));
    default: break;
    }
    if (!values_order(eval_node(t, e->a, scope), eval_node(t, e->b, scope), &order))
        return json_false();
    switch (e->kind) {
    case EX_LT: return json_boolean(order < 0);
    case EX_LE: return json_boolean(order <= 0);
    case EX_GT: return json_boolean(order > 0);
    default: return json_boolean(order >= 0);
    }
}

/* ---------------------------------------------------------------- rendering */

static int append_integer(ivrsm_buf *out, json_int_t v)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return ivrsm_buf_append(out, p, (size_t)(tmp + sizeof tmp - p));
}

/* The shortest text that reads back as the same double ("2.5", "0.1", "1e+21"). */
static int append_real(ivrsm_buf *out, double v)
{
    char tmp[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* A host may have set a locale whose decimal separator is a comma. */
    for (int i = 0; i < n; i++)
        if (tmp[i] == ',')
            tmp[i] = '.';
    return ivrsm_buf_append(out, tmp, (size_t)n);
}

static int append_dump(const char *buffer, size_t size, void *data)
{
    return ivrsm_buf_append(data, buffer, size);
}

static int append_value(ivrsm_buf *out, const json_t *v)
{
    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_STRING: return ivrsm_buf_append(out, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return append_integer(out, json_integer_value(v));
    case JSON_REAL: return append_real(out, json_real_value(v));
    case JSON_TRUE: return ivrsm_buf_append(out, "true", 4);
    case JSON_FALSE: return ivrsm_buf_append(out, "false", 5);
    case JSON_NULL: return ivrsm_buf_append(out, "null", 4);
    default: return json_dump_callback(v, append_dump, out, JSON_COMPACT) == 0 ? 0 : -1;
    }
}

int ivrsm_tmpl_render(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope, ivrsm_buf *out)
{
    for (size_t pc = 0; pc < t->n_ops;) {
        const tmpl_op *op = &t->ops[pc];
        switch (op->kind) {
        case OP_TEXT:
            if (ivrsm_buf_append(out, t->src + op->a, op->b) != 0)
                return -1;
            pc++;
            break;
        case OP_SUBST:
            if (append_value(out, eval_node(t, op->a, scope)) != 0)
                return -1;
            pc++;
            break;
        case OP_IF: pc = is_truthy(eval_node(t, op->a, scope)) ? pc + 1 : op->b; break;
        default: pc = op->b; break;
        }
    }
    /* Appending nothing still leaves a valid, empty buffer. */
    return out->failed ? -1 : 0;
}

json_t *ivrsm_tmpl_eval(const ivrsm_tmpl *t, const ivrsm_tmpl_scope *scope)
{
    if (t->single_expr != NONE) {
        json_t *v = (json_t *)eval_node(t, t->single_expr, scope);
        if (!v)
            return json_null();
        /* Literals belong to the template, shared between threads: hand out a copy. */
        if (t->nodes[t->single_expr].kind == EX_LITERAL)
            return json_copy(v);
        return json_incref(v);
    }
    ivrsm_buf text = IVRSM_BUF_INIT;
    if (ivrsm_tmpl_render(t, scope, &text) != 0) {
        ivrsm_buf_free(&text);
        return NULL;
    }
    json_t *v = json_stringn(ivrsm_buf_str(&text), text.len);
    /* Only a scope string built without UTF-8 checks can make the text invalid: keep it as is. */
    if (!v)
        v = json_stringn_nocheck(ivrsm_buf_str(&text), text.len);
    ivrsm_buf_free(&text);
    return v;
}
