/*
 * Internals shared by template.c (blocks, the compiled program, rendering)
 * and template_expr.c (expressions: lexing, parsing, evaluation). Not part
 * of the library's interface.
 */
#ifndef IVRSM_TEMPLATE_INT_H
#define IVRSM_TEMPLATE_INT_H

#include <stdint.h>

#include "arena.h"
#include "template.h"

/* "No index": an absent op, node, key or target. */
#define TMPL_NONE UINT32_MAX

enum op_kind { OP_TEXT, OP_SUBST, OP_IF, OP_JUMP };

typedef struct tmpl_op {
    uint32_t kind;
    uint32_t a; /* OP_TEXT: source offset; OP_SUBST, OP_IF: root expression node */
    uint32_t b; /* OP_TEXT: length; OP_SUBST: format (enum ivrsm_say_format); OP_IF: op to go
                   to when false; OP_JUMP: target */
} tmpl_op;

enum expr_kind {
    EX_PATH,
    EX_LITERAL,
    EX_NOT,
    EX_AND,
    EX_OR,
    EX_EQ,
    EX_NE,
    EX_LT,
    EX_LE,
    EX_GT,
    EX_GE
};

typedef struct expr_node {
    uint32_t kind;
    uint32_t a; /* EX_PATH: path index; EX_LITERAL: literal index; operators: left operand */
    uint32_t b; /* binary operators: right operand */
} expr_node;

enum root_kind { ROOT_CTX, ROOT_RESP, ROOT_GLOBALS, ROOT_NOW };

typedef struct tmpl_path {
    uint32_t root;
    uint32_t first_seg;
    uint32_t n_segs;
    uint32_t offset; /* byte offset in the source */
    uint32_t text;   /* pool offset of the canonical text, e.g. "ctx.list[0].id" */
} tmpl_path;

typedef struct path_seg {
    uint32_t key;   /* pool offset of the key, or TMPL_NONE for an index */
    uint32_t index; /* array index when key is TMPL_NONE, else the key's length */
} path_seg;

/* The text of an OP_TEXT as it is spoken: collapsed, and whether whitespace was at its ends. */
typedef struct tmpl_text {
    uint32_t off; /* in speech_pool */
    uint32_t len;
    uint8_t lead;  /* the source text starts with whitespace */
    uint8_t trail; /* ... ends with whitespace */
} tmpl_text;

/*
 * A compiled template is one allocation: this header, then the arrays it
 * points to, then the string pool and a copy of the source. Literals are
 * jansson values owned by the template.
 */
struct ivrsm_tmpl {
    const tmpl_op *ops;
    const expr_node *nodes;
    const tmpl_path *paths;
    const path_seg *segs;
    /* Per segment: where its member was found last (value.h, ivrsm_member_hint). The only
     * part of a compiled template written after compiling: any value is right, so the
     * sessions that share it may race on it. */
    ivrsm_member_hint *hints;
    json_t *const *lits;
    const char *pool;
    const char *src;
    const char *speech;     /* static templates: the text with whitespace collapsed; else NULL */
    const tmpl_text *texts; /* per op, for OP_TEXT: its spoken text (templates with values) */
    const char *speech_pool;
    size_t n_ops, n_nodes, n_paths, n_segs, n_lits, src_len;
    uint32_t single_expr; /* root node when the template is exactly one "{{expr}}" */
    size_t memory;        /* bytes, its block's when not in an arena (the arena counts those) */
    const ivrsm_mem *mem; /* the template's block, and the validator's scratch */
    bool in_arena;        /* its block is an arena's, freed with it */
};

/* An open {{#if}} block while compiling. */
typedef struct if_frame {
    size_t open_off;     /* offset of the "{{#if" that opened the block */
    uint32_t pending_if; /* OP_IF whose false target is still open, or TMPL_NONE */
    uint32_t jump_chain; /* OP_JUMPs to patch at "{{/if}}", linked through their b */
    int has_else;
} if_frame;

/* Room the builder holds inline for each array, enough for most templates: only a
 * template past one of them allocates before its block. */
#define TMPL_INLINE_OPS 16
#define TMPL_INLINE_NODES 16
#define TMPL_INLINE_PATHS 8
#define TMPL_INLINE_SEGS 16
#define TMPL_INLINE_LITS 4
#define TMPL_INLINE_POOL 256

/*
 * What compilation gathers in growable arrays before it moves into one
 * ivrsm_tmpl. Each array starts in the builder's own room (the *_in members,
 * on the compiling function's stack) and moves to the heap only when it
 * outgrows it (ivrsm_tmpl_grow()).
 */
typedef struct tmpl_builder {
    const ivrsm_mem *mem; /* the builder's arrays and the template */
    ivrsm_arena *arena;   /* the template's block when not NULL (ivrsm_tmpl_compile_in) */
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
    uint32_t single_expr;      /* see struct ivrsm_tmpl */
    char *errbuf;
    size_t errcap;
    size_t erroff;
    int failed;
    tmpl_op ops_in[TMPL_INLINE_OPS];
    expr_node nodes_in[TMPL_INLINE_NODES];
    tmpl_path paths_in[TMPL_INLINE_PATHS];
    path_seg segs_in[TMPL_INLINE_SEGS];
    json_t *lits_in[TMPL_INLINE_LITS];
    char pool_in[TMPL_INLINE_POOL];
} tmpl_builder;

/* Records a compile error (the first one only) and returns -1. */
int ivrsm_tmpl_fail(tmpl_builder *b, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records "out of memory" and returns -1. */
int ivrsm_tmpl_fail_oom(tmpl_builder *b);

/* Messages quote the tag being compiled, cut to a readable length: "... in " TMPL_TAG_FMT. */
#define TMPL_TAG_FMT "'%.*s%s'"
#define TMPL_TAG_ARGS(b) ivrsm_tmpl_quote_len(b), (b)->src + (b)->tag_start, ivrsm_tmpl_quote_cut(b)
int ivrsm_tmpl_quote_len(const tmpl_builder *b);
const char *ivrsm_tmpl_quote_cut(const tmpl_builder *b);

/* Makes room for element n of a growable array of `size`-byte elements (one of the builder's:
 * its own room first, then the heap); 0 or -1. */
int ivrsm_tmpl_grow(tmpl_builder *b, void **arr, size_t *cap, size_t n, size_t size);
/* Appends an expression node; *out receives its index. 0 or -1. */
int ivrsm_tmpl_add_node(tmpl_builder *b, uint32_t kind, uint32_t a, uint32_t bb, uint32_t *out);
/* Takes ownership of v (NULL means out of memory) and appends an EX_LITERAL node for it. */
int ivrsm_tmpl_add_literal(tmpl_builder *b, json_t *v, uint32_t *out);
/* n bytes at the end of the string pool, to be written by the caller; *off (may be NULL)
 * receives their start. NULL, with the error recorded, when out of memory. */
char *ivrsm_tmpl_pool_reserve(tmpl_builder *b, size_t n, uint32_t *off);
/* Appends n bytes and a NUL to the string pool; *off (may be NULL) receives the start. */
int ivrsm_tmpl_pool_add(tmpl_builder *b, const char *s, size_t n, uint32_t *off);

/* What each byte is to the parser: TMPL_CHAR_KEY, TMPL_CHAR_SPACE (template_expr.c). A table:
 * paths are read a character at a time, several times each, in every template of a load. */
enum { TMPL_CHAR_KEY = 1, TMPL_CHAR_SPACE = 2 };
extern const uint8_t ivrsm_tmpl_char_class[256];

/* True for the whitespace allowed around tags' contents and between tokens. */
static inline int ivrsm_tmpl_is_space(char c)
{
    return ivrsm_tmpl_char_class[(unsigned char)c] & TMPL_CHAR_SPACE;
}

/* True for the characters of an object key in a path (and of the "if"/"else" words). */
static inline int ivrsm_tmpl_is_key_char(char c)
{
    return ivrsm_tmpl_char_class[(unsigned char)c] & TMPL_CHAR_KEY;
}
/* Offset just past the closing quote of the string literal starting at s[pos], or 0 if none before
 * end. */
size_t ivrsm_tmpl_scan_string(const char *s, size_t pos, size_t end);

/*
 * Compiles the expression in src[start, end) of the current tag into nodes;
 * *out receives the root node. `what` names the expression in messages
 * ("condition", "expression"). 0, or -1 with the error recorded.
 */
int ivrsm_tmpl_parse_expression(tmpl_builder *b, size_t start, size_t end, const char *what,
                                uint32_t *out);

/*
 * Evaluates node n. The result is borrowed: a value of the scope, a literal
 * of the template or a jansson constant (true, false); NULL when missing.
 */
ivrsm_val ivrsm_tmpl_eval_node(const ivrsm_tmpl *t, uint32_t n, const ivrsm_tmpl_scope *scope);
/* Missing, null, false, 0, "", [] and {} are false; everything else is true. */
int ivrsm_tmpl_is_truthy(ivrsm_val v);

/*
 * The number a string writes in decimal ("3", "-12", "4.50": what a digits collect stores, a
 * backend's "42"): *as_real, and *as_int when *integer (18 digits at most); false for any other
 * value (a sign alone, an exponent, spaces, 40 characters or more). Comparisons order such a
 * string with a number as two numbers (template_expr.c), and the conditions' analysis knows it
 * (template_sat.c).
 */
bool ivrsm_tmpl_decimal_string(ivrsm_val v, json_int_t *as_int, double *as_real, bool *integer);

#endif
