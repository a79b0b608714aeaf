/*
 * Template expressions: lexing, paths, literals, parsing by precedence
 * (! > comparisons > && > ||) into nodes, and their evaluation.
 */
#include "template_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bound on parentheses and '!' chains, so a hostile template cannot exhaust the stack. */
#define EXPR_MAX_DEPTH 32
/* Largest array index accepted in a path. */
#define INDEX_MAX 1000000000u

/* ---------------------------------------------------------------- lexer */

enum tok_kind {
    TK_END,
    TK_PATH,
    TK_NUMBER,
    TK_STRING,
    TK_TRUE,
    TK_FALSE,
    TK_NULL,
    TK_LPAREN,
    TK_RPAREN,
    TK_NOT,
    TK_AND,
    TK_OR,
    TK_EQ,
    TK_NE,
    TK_LT,
    TK_LE,
    TK_GT,
    TK_GE
};

typedef struct expr_parser {
    tmpl_builder *b;
    size_t pos, end; /* the part of the source still to read */
    int kind;        /* current token */
    size_t tok_start, tok_end;
    int depth;
} expr_parser;

#define S TMPL_CHAR_SPACE
#define K TMPL_CHAR_KEY
/* Spaces: blanks and line breaks. Keys: letters, digits, `_` and `-`. */
const uint8_t ivrsm_tmpl_char_class[256] = {
    [' '] = S, ['\t'] = S, ['\n'] = S, ['\r'] = S, ['\f'] = S, ['\v'] = S, ['_'] = K, ['-'] = K,
    ['0'] = K, ['1'] = K,  ['2'] = K,  ['3'] = K,  ['4'] = K,  ['5'] = K,  ['6'] = K, ['7'] = K,
    ['8'] = K, ['9'] = K,  ['A'] = K,  ['B'] = K,  ['C'] = K,  ['D'] = K,  ['E'] = K, ['F'] = K,
    ['G'] = K, ['H'] = K,  ['I'] = K,  ['J'] = K,  ['K'] = K,  ['L'] = K,  ['M'] = K, ['N'] = K,
    ['O'] = K, ['P'] = K,  ['Q'] = K,  ['R'] = K,  ['S'] = K,  ['T'] = K,  ['U'] = K, ['V'] = K,
    ['W'] = K, ['X'] = K,  ['Y'] = K,  ['Z'] = K,  ['a'] = K,  ['b'] = K,  ['c'] = K, ['d'] = K,
    ['e'] = K, ['f'] = K,  ['g'] = K,  ['h'] = K,  ['i'] = K,  ['j'] = K,  ['k'] = K, ['l'] = K,
    ['m'] = K, ['n'] = K,  ['o'] = K,  ['p'] = K,  ['q'] = K,  ['r'] = K,  ['s'] = K, ['t'] = K,
    ['u'] = K, ['v'] = K,  ['w'] = K,  ['x'] = K,  ['y'] = K,  ['z'] = K,
};
#undef S
#undef K

static int is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A path token: identifier, then ".key" and "[...]" parts, checked later by parse_path(). */
static size_t scan_path(const char *s, size_t pos, size_t end)
{
    while (pos < end && (ivrsm_tmpl_is_key_char(s[pos]) || s[pos] == '.'))
        pos++;
    while (pos < end && s[pos] == '[') {
        while (pos < end && s[pos] != ']')
            pos++;
        if (pos < end)
            pos++;
        while (pos < end && (ivrsm_tmpl_is_key_char(s[pos]) || s[pos] == '.'))
            pos++;
    }
    return pos;
}

/* Offset just past the closing quote of the string starting at `pos`, or 0 if none. */
size_t ivrsm_tmpl_scan_string(const char *s, size_t pos, size_t end)
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
    while (pos < end &&
           (ivrsm_tmpl_is_key_char(s[pos]) || s[pos] == '.' ||
            ((s[pos] == '+' || s[pos] == '-') && (s[pos - 1] == 'e' || s[pos - 1] == 'E'))))
        pos++;
    return pos;
}

static int token_is(const expr_parser *p, const char *word)
{
    size_t n = strlen(word);
    return p->tok_end - p->tok_start == n && memcmp(p->b->src + p->tok_start, word, n) == 0;
}

/* The operator token at s[pos] (== != <= >= && || < > ! ( )), TK_END when there is none. */
static int operator_at(const char *s, size_t pos, size_t end)
{
    char next = pos + 1 < end ? s[pos + 1] : '\0';
    switch (s[pos]) {
    case '=':
        return next == '=' ? TK_EQ : TK_END;
    case '!':
        return next == '=' ? TK_NE : TK_NOT;
    case '<':
        return next == '=' ? TK_LE : TK_LT;
    case '>':
        return next == '=' ? TK_GE : TK_GT;
    case '&':
        return next == '&' ? TK_AND : TK_END;
    case '|':
        return next == '|' ? TK_OR : TK_END;
    case '(':
        return TK_LPAREN;
    case ')':
        return TK_RPAREN;
    default:
        return TK_END;
    }
}

static size_t op_length(int kind)
{
    switch (kind) {
    case TK_EQ:
    case TK_NE:
    case TK_LE:
    case TK_GE:
    case TK_AND:
    case TK_OR:
        return 2;
    default:
        return 1;
    }
}

/* Reads the next token into p; returns -1 with the error recorded on a bad character. */
static int next_token(expr_parser *p)
{
    const char *s = p->b->src;
    while (p->pos < p->end && ivrsm_tmpl_is_space(s[p->pos]))
        p->pos++;
    p->tok_start = p->pos;
    if (p->pos >= p->end) {
        p->kind = TK_END;
        p->tok_end = p->pos;
        return 0;
    }
    int op = operator_at(s, p->pos, p->end);
    if (op != TK_END) {
        p->pos += op_length(op);
        p->kind = op;
        p->tok_end = p->pos;
        return 0;
    }
    char c = s[p->pos];
    if (c == '"' || c == '\'') {
        size_t stop = ivrsm_tmpl_scan_string(s, p->pos, p->end);
        if (!stop)
            return ivrsm_tmpl_fail(p->b, p->pos, "unterminated string in " TMPL_TAG_FMT,
                                   TMPL_TAG_ARGS(p->b));
        p->kind = TK_STRING;
        p->pos = stop;
    } else if (is_digit(c) || c == '-') {
        p->kind = TK_NUMBER;
        p->pos = scan_number(s, p->pos, p->end);
    } else if (is_ident_start(c)) {
        p->pos = scan_path(s, p->pos, p->end);
        p->kind = TK_PATH;
    } else if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f) {
        return ivrsm_tmpl_fail(p->b, p->pos, "unexpected byte 0x%02x in " TMPL_TAG_FMT,
                               (unsigned char)c, TMPL_TAG_ARGS(p->b));
    } else {
        return ivrsm_tmpl_fail(p->b, p->pos, "unexpected character '%c' in " TMPL_TAG_FMT, c,
                               TMPL_TAG_ARGS(p->b));
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

/* Reads the ".key" or "[index]" at s[*pos] into seg; *text_len grows by the length of its
 * canonical form. */
static int parse_segment(expr_parser *p, size_t *pos, path_seg *seg, size_t *text_len)
{
    tmpl_builder *b = p->b;
    const char *s = b->src;
    size_t start = *pos, at = start + 1, end = p->tok_end;
    const char *path = s + p->tok_start;
    int path_len = (int)(end - p->tok_start);
    if (s[start] == '.') {
        while (at < end && ivrsm_tmpl_is_key_char(s[at]))
            at++;
        if (at == start + 1)
            return ivrsm_tmpl_fail(b, start, "empty key in path '%.*s' in " TMPL_TAG_FMT, path_len,
                                   path, TMPL_TAG_ARGS(b));
        if (ivrsm_tmpl_pool_add(b, s + start + 1, at - start - 1, &seg->key) != 0)
            return -1;
        seg->index = (uint32_t)(at - start - 1);
        *text_len += at - start;
        *pos = at;
        return 0;
    }
    if (s[start] != '[')
        return ivrsm_tmpl_fail(b, start, "unexpected '%c' in path '%.*s' in " TMPL_TAG_FMT,
                               s[start], path_len, path, TMPL_TAG_ARGS(b));
    unsigned long long index = 0;
    while (at < end && is_digit(s[at]) && index <= INDEX_MAX)
        index = index * 10 + (unsigned)(s[at++] - '0');
    if (at == start + 1 || at >= end || s[at] != ']' || index > INDEX_MAX) {
        size_t close = start;
        while (close < end && s[close] != ']')
            close++;
        return ivrsm_tmpl_fail(
            b, start, "bad index '%.*s' in " TMPL_TAG_FMT ": expected a non-negative integer",
            (int)(close - start + (close < end)), s + start, TMPL_TAG_ARGS(b));
    }
    seg->index = (uint32_t)index;
    *text_len += 2 + ivrsm_decimal_digits(seg->index);
    *pos = at + 1;
    return 0;
}

/* The canonical text of path's segments, after its root: ".key" as written, "[n]" without
 * leading zeros. `out` has room for it (parse_segment() counted it). */
static char *write_segments(const tmpl_builder *b, const tmpl_path *path, char *out)
{
    for (uint32_t i = 0; i < path->n_segs; i++) {
        const path_seg *seg = &b->segs[path->first_seg + i];
        if (seg->key != TMPL_NONE) {
            *out++ = '.';
            memcpy(out, b->pool + seg->key, seg->index);
            out += seg->index;
            continue;
        }
        size_t digits = ivrsm_decimal_digits(seg->index);
        uint32_t v = seg->index;
        *out++ = '[';
        for (size_t d = digits; d > 0; d--, v /= 10)
            out[d - 1] = (char)('0' + v % 10);
        out += digits;
        *out++ = ']';
    }
    return out;
}

/*
 * Splits a path token into its root and segments, and records its canonical
 * text: keys as written, indexes without leading zeros ("ctx.list[0].id").
 */
static int parse_path(expr_parser *p, uint32_t *out)
{
    static const struct {
        const char *name;
        size_t len;
    } roots[] = {{"ctx", 3}, {"resp", 4}, {"globals", 7}, {"now", 3}};
    tmpl_builder *b = p->b;
    const char *s = b->src;
    size_t pos = p->tok_start;
    while (pos < p->tok_end && ivrsm_tmpl_is_key_char(s[pos]))
        pos++;
    size_t root_len = pos - p->tok_start;
    uint32_t root = TMPL_NONE;
    for (uint32_t i = 0; i < 4; i++)
        if (root_len == roots[i].len && memcmp(s + p->tok_start, roots[i].name, root_len) == 0)
            root = i;
    if (root == TMPL_NONE)
        return ivrsm_tmpl_fail(b, p->tok_start,
                               "unknown root '%.*s' in " TMPL_TAG_FMT
                               ": expected ctx, resp, globals or now",
                               (int)root_len, s + p->tok_start, TMPL_TAG_ARGS(b));
    tmpl_path path = {root, (uint32_t)b->n_segs, 0, (uint32_t)p->tok_start, 0};
    size_t text_len = root_len;
    int rc = 0;
    while (rc == 0 && pos < p->tok_end) {
        path_seg seg = {TMPL_NONE, 0};
        rc = parse_segment(p, &pos, &seg, &text_len);
        if (rc == 0)
            rc = ivrsm_tmpl_grow(b, (void **)&b->segs, &b->cap_segs, b->n_segs, sizeof *b->segs);
        if (rc == 0) {
            b->segs[b->n_segs++] = seg;
            path.n_segs++;
        }
    }
    /* The canonical text goes to the pool after the keys it is written from. */
    char *text = rc == 0 ? ivrsm_tmpl_pool_reserve(b, text_len + 1, &path.text) : NULL;
    if (text) {
        memcpy(text, roots[root].name, root_len);
        *write_segments(b, &path, text + root_len) = '\0';
    }
    if (!text ||
        ivrsm_tmpl_grow(b, (void **)&b->paths, &b->cap_paths, b->n_paths, sizeof *b->paths) != 0)
        return -1;
    b->paths[b->n_paths] = path;
    return ivrsm_tmpl_add_node(b, EX_PATH, (uint32_t)b->n_paths++, 0, out);
}

/* A number literal, in JSON syntax; jansson reads it the same way whatever the C locale. */
static int parse_number(expr_parser *p, uint32_t *out)
{
    const char *s = p->b->src + p->tok_start;
    size_t n = p->tok_end - p->tok_start;
    json_error_t err;
    json_t *v = json_loadb(s, n, JSON_DECODE_ANY, &err);
    /* jansson describes every syntax and range error; it leaves the text empty when an
       allocation failed. */
    if (!v && err.text[0] == '\0')
        return ivrsm_tmpl_fail_oom(p->b);
    if (!v || !json_is_number(v)) {
        json_decref(v);
        return ivrsm_tmpl_fail(p->b, p->tok_start, "bad number '%.*s' in " TMPL_TAG_FMT, (int)n, s,
                               TMPL_TAG_ARGS(p->b));
    }
    return ivrsm_tmpl_add_literal(p->b, v, out);
}

/* A quoted literal: a backslash keeps the next character (\n and \t give a newline and a tab). */
static int parse_string(expr_parser *p, uint32_t *out)
{
    const char *s = p->b->src;
    ivrsm_buf text = IVRSM_BUF_INIT(p->b->mem);
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
    return ivrsm_tmpl_add_literal(p->b, v, out);
}

static int fail_expected_value(expr_parser *p)
{
    if (p->kind == TK_END)
        return ivrsm_tmpl_fail(p->b, p->tok_start, "expected a value at the end of " TMPL_TAG_FMT,
                               TMPL_TAG_ARGS(p->b));
    return ivrsm_tmpl_fail(p->b, p->tok_start, "expected a value before '%.*s' in " TMPL_TAG_FMT,
                           (int)(p->tok_end - p->tok_start), p->b->src + p->tok_start,
                           TMPL_TAG_ARGS(p->b));
}

static int enter(expr_parser *p)
{
    if (++p->depth > EXPR_MAX_DEPTH)
        return ivrsm_tmpl_fail(p->b, p->tok_start,
                               "expression nested deeper than %d levels in " TMPL_TAG_FMT,
                               EXPR_MAX_DEPTH, TMPL_TAG_ARGS(p->b));
    return 0;
}

static int parse_primary(expr_parser *p, uint32_t *out)
{
    int rc;
    switch (p->kind) {
    case TK_PATH:
        rc = parse_path(p, out);
        break;
    case TK_NUMBER:
        rc = parse_number(p, out);
        break;
    case TK_STRING:
        rc = parse_string(p, out);
        break;
    case TK_TRUE:
        rc = ivrsm_tmpl_add_literal(p->b, json_true(), out);
        break;
    case TK_FALSE:
        rc = ivrsm_tmpl_add_literal(p->b, json_false(), out);
        break;
    case TK_NULL:
        rc = ivrsm_tmpl_add_literal(p->b, json_null(), out);
        break;
    case TK_LPAREN: {
        size_t open = p->tok_start;
        if (enter(p) != 0 || next_token(p) != 0 || parse_or(p, out) != 0)
            return -1;
        if (p->kind != TK_RPAREN)
            return ivrsm_tmpl_fail(p->b, open, "unclosed '(' in " TMPL_TAG_FMT,
                                   TMPL_TAG_ARGS(p->b));
        p->depth--;
        rc = 0;
        break;
    }
    default:
        return fail_expected_value(p);
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
    return ivrsm_tmpl_add_node(p->b, EX_NOT, operand, 0, out);
}

static uint32_t comparison_kind(int tok)
{
    switch (tok) {
    case TK_EQ:
        return EX_EQ;
    case TK_NE:
        return EX_NE;
    case TK_LT:
        return EX_LT;
    case TK_LE:
        return EX_LE;
    case TK_GT:
        return EX_GT;
    case TK_GE:
        return EX_GE;
    default:
        return TMPL_NONE;
    }
}

/* Comparisons do not chain: "a < b < c" would not mean what it reads as. */
static int parse_comparison(expr_parser *p, uint32_t *out)
{
    uint32_t left, right, kind;
    if (parse_unary(p, &left) != 0)
        return -1;
    kind = comparison_kind(p->kind);
    if (kind == TMPL_NONE) {
        *out = left;
        return 0;
    }
    if (next_token(p) != 0 || parse_unary(p, &right) != 0)
        return -1;
    if (comparison_kind(p->kind) != TMPL_NONE)
        return ivrsm_tmpl_fail(p->b, p->tok_start,
                               "comparisons cannot be chained in " TMPL_TAG_FMT
                               ": join them with && or ||",
                               TMPL_TAG_ARGS(p->b));
    return ivrsm_tmpl_add_node(p->b, kind, left, right, out);
}

static int parse_and(expr_parser *p, uint32_t *out)
{
    uint32_t left, right;
    if (parse_comparison(p, &left) != 0)
        return -1;
    while (p->kind == TK_AND) {
        if (next_token(p) != 0 || parse_comparison(p, &right) != 0 ||
            ivrsm_tmpl_add_node(p->b, EX_AND, left, right, &left) != 0)
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
            ivrsm_tmpl_add_node(p->b, EX_OR, left, right, &left) != 0)
            return -1;
    }
    *out = left;
    return 0;
}

/* Compiles the expression in src[start, end) of the current tag; `what` names it in messages. */
int ivrsm_tmpl_parse_expression(tmpl_builder *b, size_t start, size_t end, const char *what,
                                uint32_t *out)
{
    expr_parser p = {b, start, end, TK_END, start, start, 0};
    if (next_token(&p) != 0)
        return -1;
    if (p.kind == TK_END)
        return ivrsm_tmpl_fail(b, b->tag_start, "empty %s in " TMPL_TAG_FMT, what,
                               TMPL_TAG_ARGS(b));
    if (parse_or(&p, out) != 0)
        return -1;
    if (p.kind != TK_END)
        return ivrsm_tmpl_fail(
            b, p.tok_start, "unexpected '%.*s' in " TMPL_TAG_FMT ": expected an operator or '}}'",
            (int)(p.tok_end - p.tok_start), b->src + p.tok_start, TMPL_TAG_ARGS(b));
    return 0;
}

/* ---------------------------------------------------------------- evaluation */

/*
 * The value at path: its root in the scope (ctx from the store when there is
 * one), then its segments. One switch on the root: resp.status and
 * resp.error are the answer's unless the body has its own.
 */
static ivrsm_val resolve_path(const ivrsm_tmpl *t, const tmpl_path *path,
                              const ivrsm_tmpl_scope *scope)
{
    ivrsm_val v = {NULL, NULL, 0};
    if (!scope)
        return v;
    const path_seg *seg = t->segs + path->first_seg, *end = seg + path->n_segs;
    switch (path->root) {
    case ROOT_CTX:
        v = scope->ctx_store ? ivrsm_vstore_root(scope->ctx_store) : ivrsm_val_of(scope->ctx);
        break;
    case ROOT_RESP:
        v = scope->resp_store ? ivrsm_vstore_at(scope->resp_store, scope->resp_at)
                              : ivrsm_val_of(scope->resp);
        if (seg < end && seg->key != TMPL_NONE) {
            ivrsm_val answer = scope->resp_store
                                   ? ivrsm_vstore_at(scope->resp_store, scope->answer_at)
                                   : ivrsm_val_of(scope->answer);
            if (!ivrsm_val_missing(answer) &&
                ivrsm_val_missing(ivrsm_val_getn_hinted(v, t->pool + seg->key, seg->index,
                                                        &t->hints[seg - t->segs])) &&
                !ivrsm_val_missing(ivrsm_val_getn(answer, t->pool + seg->key, seg->index)))
                v = answer;
        }
        break;
    case ROOT_GLOBALS:
        v = ivrsm_val_of(scope->globals);
        break;
    default:
        v = scope->now_store ? ivrsm_vstore_root(scope->now_store) : ivrsm_val_of(scope->now);
        break;
    }
    for (; seg < end && !ivrsm_val_missing(v); seg++) {
        if (seg->key == TMPL_NONE) {
            v = ivrsm_val_at(v, seg->index);
        } else if (v.st) { /* a store's member: its node, without a value's frame */
            v.at = ivrsm_vstore_member(v.st, v.at, t->pool + seg->key, seg->index,
                                       &t->hints[seg - t->segs]);
            if (v.at == IVRSM_VSTORE_NONE)
                v = (ivrsm_val){NULL, NULL, 0};
        } else {
            v = ivrsm_val_getn(v, t->pool + seg->key, seg->index);
        }
    }
    return v;
}

/* Missing, null, false, 0, "", [] and {} are false; everything else is true. */
int ivrsm_tmpl_is_truthy(ivrsm_val v)
{
    if (ivrsm_val_missing(v))
        return 0;
    size_t len;
    switch (ivrsm_val_type(v)) {
    case JSON_TRUE:
        return 1;
    case JSON_INTEGER:
        return ivrsm_val_int(v) != 0;
    case JSON_REAL:
        return ivrsm_val_real(v) != 0.0;
    case JSON_STRING:
        ivrsm_val_str(v, &len);
        return len != 0;
    case JSON_ARRAY:
    case JSON_OBJECT:
        return ivrsm_val_size(v) != 0;
    default:
        return 0;
    }
}

static bool is_number(ivrsm_val v)
{
    if (ivrsm_val_missing(v))
        return false;
    json_type t = ivrsm_val_type(v);
    return t == JSON_INTEGER || t == JSON_REAL;
}

static bool is_type(ivrsm_val v, json_type t)
{
    return !ivrsm_val_missing(v) && ivrsm_val_type(v) == t;
}

/* Orders two numbers exactly when both are integers, as doubles otherwise. */
static int compare_numbers(ivrsm_val a, ivrsm_val b)
{
    if (is_type(a, JSON_INTEGER) && is_type(b, JSON_INTEGER)) {
        json_int_t x = ivrsm_val_int(a), y = ivrsm_val_int(b);
        return (x > y) - (x < y);
    }
    double x = ivrsm_val_number(a), y = ivrsm_val_number(b);
    return (x > y) - (x < y);
}

/* Byte-wise order of two strings; a prefix sorts first. */
static int compare_strings(ivrsm_val a, ivrsm_val b)
{
    size_t la, lb;
    const char *sa = ivrsm_val_str(a, &la), *sb = ivrsm_val_str(b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    if (c)
        return c < 0 ? -1 : 1;
    return (la > lb) - (la < lb);
}

/* The comment is in template_int.h. */
bool ivrsm_tmpl_decimal_string(ivrsm_val v, json_int_t *as_int, double *as_real, bool *integer)
{
    size_t len;
    const char *s = ivrsm_val_str(v, &len);
    if (!s || len == 0 || len >= 40)
        return false;
    size_t i = s[0] == '-', digits = 0, dot = 0;
    for (; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.' && !dot && digits)
            dot = i;
        else
            return false;
    }
    if (!digits || (dot && dot == len - 1))
        return false; /* "-", "3." */
    char text[40];
    memcpy(text, s, len);
    text[len] = '\0';
    *integer = !dot && digits <= 18; /* exact in 64 bits */
    if (*integer)
        *as_int = (json_int_t)strtoll(text, NULL, 10);
    *as_real = strtod(text, NULL);
    return true;
}

/*
 * A number and a string that writes a number in decimal, ordered as two numbers: a score
 * collected as digits ("2") is <= 2. Sets *order; false when the string writes no number.
 */
static bool number_and_decimal_order(ivrsm_val number, ivrsm_val text, int *order)
{
    json_int_t i = 0;
    double d = 0;
    bool integer = false;
    if (!is_type(text, JSON_STRING) || !ivrsm_tmpl_decimal_string(text, &i, &d, &integer))
        return false;
    if (integer && is_type(number, JSON_INTEGER)) {
        json_int_t x = ivrsm_val_int(number);
        *order = (x > i) - (x < i);
    } else {
        double x = ivrsm_val_number(number);
        *order = (x > d) - (x < d);
    }
    return true;
}

/* Sets *order for a number and a decimal string, either way round. */
static bool mixed_order(ivrsm_val a, ivrsm_val b, int *order)
{
    if (is_number(a) && number_and_decimal_order(a, b, order))
        return true;
    if (is_number(b) && number_and_decimal_order(b, a, order)) {
        *order = -*order;
        return true;
    }
    return false;
}

/* Nothing: a missing path, or null. */
static int is_nothing(ivrsm_val v)
{
    return ivrsm_val_missing(v) || is_type(v, JSON_NULL);
}

/*
 * Equality: numbers by value (a number and a string that writes it in decimal too: "5" == 5),
 * other values only with their own type. Nothing (a missing path or null) equals nothing, and
 * false as a flag never set is not set, unless the other side is the literal null: `== null`
 * asks whether there is nothing, so false is not `== null`. a_null, b_null: whether each side
 * is the literal null.
 */
static int values_equal(ivrsm_val a, ivrsm_val b, bool a_null, bool b_null)
{
    if (is_nothing(a) || is_nothing(b)) {
        if (is_nothing(a) && is_nothing(b))
            return 1;
        return is_nothing(a) ? !a_null && is_type(b, JSON_FALSE)
                             : !b_null && is_type(a, JSON_FALSE);
    }
    if (is_number(a) && is_number(b))
        return compare_numbers(a, b) == 0;
    int order;
    if (mixed_order(a, b, &order))
        return order == 0;
    if (ivrsm_val_type(a) != ivrsm_val_type(b))
        return 0;
    if (is_type(a, JSON_STRING))
        return compare_strings(a, b) == 0;
    return ivrsm_val_equal(a, b);
}

/* Sets *order for two numbers, a number and a decimal string, or two strings; returns 0 for
 * values that have no order. */
static int values_order(ivrsm_val a, ivrsm_val b, int *order)
{
    if (is_number(a) && is_number(b))
        *order = compare_numbers(a, b);
    else if (is_type(a, JSON_STRING) && is_type(b, JSON_STRING))
        *order = compare_strings(a, b);
    else if (!mixed_order(a, b, order))
        return 0;
    return 1;
}

/* Whether node n is the literal null. */
static bool null_literal(const ivrsm_tmpl *t, uint32_t n)
{
    return t->nodes[n].kind == EX_LITERAL && json_is_null(t->lits[t->nodes[n].a]);
}

static ivrsm_val boolean(int holds)
{
    return ivrsm_val_of(holds ? json_true() : json_false());
}

/*
 * An operator's value (a jansson constant). A function of its own: most nodes a call evaluates
 * are paths and literals, which then do not pay for the operators' frame (their operands' values
 * kept side by side).
 */
__attribute__((noinline)) static ivrsm_val eval_operator(const ivrsm_tmpl *t, const expr_node *e,
                                                         const ivrsm_tmpl_scope *scope)
{
    int order;
    switch (e->kind) {
    case EX_NOT:
        return boolean(!ivrsm_tmpl_is_truthy(ivrsm_tmpl_eval_node(t, e->a, scope)));
    case EX_AND:
        return boolean(ivrsm_tmpl_is_truthy(ivrsm_tmpl_eval_node(t, e->a, scope)) &&
                       ivrsm_tmpl_is_truthy(ivrsm_tmpl_eval_node(t, e->b, scope)));
    case EX_OR:
        return boolean(ivrsm_tmpl_is_truthy(ivrsm_tmpl_eval_node(t, e->a, scope)) ||
                       ivrsm_tmpl_is_truthy(ivrsm_tmpl_eval_node(t, e->b, scope)));
    case EX_EQ:
    case EX_NE:
        return boolean(values_equal(ivrsm_tmpl_eval_node(t, e->a, scope),
                                    ivrsm_tmpl_eval_node(t, e->b, scope), null_literal(t, e->a),
                                    null_literal(t, e->b)) == (e->kind == EX_EQ));
    default:
        break;
    }
    if (!values_order(ivrsm_tmpl_eval_node(t, e->a, scope), ivrsm_tmpl_eval_node(t, e->b, scope),
                      &order))
        return boolean(0);
    switch (e->kind) {
    case EX_LT:
        return boolean(order < 0);
    case EX_LE:
        return boolean(order <= 0);
    case EX_GT:
        return boolean(order > 0);
    default:
        return boolean(order >= 0);
    }
}

/* A borrowed value: from the scope, a literal of the template, or a jansson constant. */
ivrsm_val ivrsm_tmpl_eval_node(const ivrsm_tmpl *t, uint32_t n, const ivrsm_tmpl_scope *scope)
{
    const expr_node *e = &t->nodes[n];
    if (e->kind == EX_PATH)
        return resolve_path(t, &t->paths[e->a], scope);
    if (e->kind == EX_LITERAL)
        return ivrsm_val_of(t->lits[e->a]);
    return eval_operator(t, e, scope);
}
