/*
 * Conditions that can never hold, found without running them: a route's
 * `when` and each {{#if}} of a template.
 *
 * The expression is put in disjunctive normal form (an OR of ANDs of atoms
 * "path OP literal", "path is truthy", "path is falsy"), negations pushed
 * down to the atoms. The condition can never hold when every AND asks one
 * path for incompatible things: two different values, a value and its
 * negation, an empty number interval, truthy and falsy, a number and a
 * string, or something outside what the path can be (now.hour is 0 to 23).
 * Anything the analysis cannot read (a path compared with a path, a form too
 * large) counts as possible: a condition is reported only when it surely
 * never holds.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "template_int.h"

#define MAX_CONJ 64  /* ANDs in a form */
#define MAX_ATOMS 32 /* atoms in one AND */
#define MAX_DEPTH 64 /* nesting walked */

typedef enum atom_op { A_EQ, A_NE, A_LT, A_LE, A_GT, A_GE, A_TRUTHY, A_FALSY } atom_op;

typedef struct atom {
    const char *path; /* canonical text, e.g. "ctx.balance" */
    atom_op op;
    const json_t *lit; /* comparisons: the literal */
} atom;

typedef struct conj {
    atom atoms[MAX_ATOMS];
    size_t n;
} conj;

/* An OR of ANDs; `unknown` when it could not be built (then: possible). */
typedef struct form {
    conj *c;
    size_t n;
    bool unknown;
} form;

static void form_free(const ivrsm_mem *mem, form *f)
{
    ivrsm_mem_free(mem, f->c);
    f->c = NULL;
    f->n = 0;
}

static form form_unknown(void)
{
    return (form){NULL, 0, true};
}

/* Always true: one empty AND. */
static form form_true(const ivrsm_mem *mem)
{
    form f = {ivrsm_mem_calloc(mem, 1, sizeof(conj)), 1, false};
    if (!f.c)
        return form_unknown();
    return f;
}

static form form_false(void)
{
    return (form){NULL, 0, false};
}

static form form_atom(const ivrsm_mem *mem, atom a)
{
    form f = form_true(mem);
    if (!f.unknown) {
        f.c[0].atoms[0] = a;
        f.c[0].n = 1;
    }
    return f;
}

static form form_or(const ivrsm_mem *mem, form a, form b)
{
    if (a.unknown || b.unknown || a.n + b.n > MAX_CONJ) {
        form_free(mem, &a);
        form_free(mem, &b);
        return form_unknown();
    }
    form f = {ivrsm_mem_malloc(mem, (a.n + b.n) * sizeof(conj)), a.n + b.n, false};
    if (!f.c) {
        form_free(mem, &a);
        form_free(mem, &b);
        return form_unknown();
    }
    if (a.n)
        memcpy(f.c, a.c, a.n * sizeof(conj));
    if (b.n)
        memcpy(f.c + a.n, b.c, b.n * sizeof(conj));
    form_free(mem, &a);
    form_free(mem, &b);
    return f;
}

static form form_and(const ivrsm_mem *mem, form a, form b)
{
    if (a.unknown || b.unknown || a.n * b.n > MAX_CONJ) {
        form_free(mem, &a);
        form_free(mem, &b);
        return form_unknown();
    }
    size_t product = a.n * b.n;
    form f = {ivrsm_mem_malloc(mem, product * sizeof(conj)), 0, false};
    for (size_t i = 0; f.c && i < a.n; i++) {
        for (size_t k = 0; k < b.n; k++) {
            if (a.c[i].n + b.c[k].n > MAX_ATOMS) {
                ivrsm_mem_free(mem, f.c);
                f.c = NULL;
                f.n = 0;
                break;
            }
            conj *c = &f.c[f.n++];
            *c = a.c[i];
            memcpy(c->atoms + c->n, b.c[k].atoms, b.c[k].n * sizeof(atom));
            c->n += b.c[k].n;
        }
    }
    form_free(mem, &a);
    form_free(mem, &b);
    return f.c ? f : form_unknown();
}

static atom_op flip(atom_op op) /* "3 < p" is "p > 3" */
{
    switch (op) {
    case A_LT:
        return A_GT;
    case A_LE:
        return A_GE;
    case A_GT:
        return A_LT;
    case A_GE:
        return A_LE;
    default:
        return op;
    }
}

/* What is known of a path whatever the data: the fields of `now`. */
typedef struct domain {
    const char *path;
    json_type type; /* JSON_INTEGER, JSON_STRING or JSON_TRUE (a boolean) */
    double min, max;
} domain;

static const domain domains[] = {
    {"now.hour", JSON_INTEGER, 0, 23},   {"now.minute", JSON_INTEGER, 0, 59},
    {"now.weekday", JSON_INTEGER, 1, 7}, {"now.open", JSON_TRUE, 0, 0},
    {"now.date", JSON_STRING, 0, 0},     {"now.time", JSON_STRING, 0, 0},
};

static const domain *domain_of(const char *path)
{
    for (size_t i = 0; i < sizeof(domains) / sizeof(*domains); i++)
        if (!strcmp(domains[i].path, path))
            return &domains[i];
    return NULL;
}

static form build(const ivrsm_tmpl *t, uint32_t n, bool negate, int depth);

static const char *path_text(const ivrsm_tmpl *t, uint32_t n)
{
    return t->pool + t->paths[t->nodes[n].a].text;
}

static form comparison(const ivrsm_tmpl *t, const expr_node *e, bool negate)
{
    const expr_node *l = &t->nodes[e->a], *r = &t->nodes[e->b];
    static const atom_op ops[] = {[EX_EQ] = A_EQ, [EX_NE] = A_NE, [EX_LT] = A_LT,
                                  [EX_LE] = A_LE, [EX_GT] = A_GT, [EX_GE] = A_GE};
    atom_op op = ops[e->kind];
    if (l->kind == EX_LITERAL && r->kind == EX_LITERAL) {
        int holds = ivrsm_tmpl_is_truthy(ivrsm_tmpl_eval_node(t, (uint32_t)(e - t->nodes), NULL));
        return holds != negate ? form_true(t->mem) : form_false();
    }
    uint32_t path, lit;
    if (l->kind == EX_PATH && r->kind == EX_LITERAL) {
        path = e->a;
        lit = e->b;
    } else if (l->kind == EX_LITERAL && r->kind == EX_PATH) {
        path = e->b;
        lit = e->a;
        op = flip(op);
    } else {
        return form_true(t->mem); /* two paths, or a computed side: anything is possible */
    }
    atom a = {path_text(t, path), op, t->lits[t->nodes[lit].a]};
    if (negate) {
        if (op == A_EQ || op == A_NE) {
            a.op = op == A_EQ ? A_NE : A_EQ;
        } else {
            /* "!(p < 3)" also holds for a p that is no number, unless p is one by nature. */
            const domain *d = domain_of(a.path);
            if (!d || d->type != JSON_INTEGER || !json_is_number(a.lit))
                return form_true(t->mem);
            a.op = op == A_LT ? A_GE : op == A_LE ? A_GT : op == A_GT ? A_LE : A_LT;
        }
    }
    return form_atom(t->mem, a);
}

static form build(const ivrsm_tmpl *t, uint32_t n, bool negate, int depth)
{
    if (depth > MAX_DEPTH)
        return form_unknown();
    const expr_node *e = &t->nodes[n];
    switch (e->kind) {
    case EX_LITERAL:
        return ivrsm_tmpl_is_truthy(ivrsm_val_of(t->lits[e->a])) != negate ? form_true(t->mem)
                                                                           : form_false();
    case EX_PATH:
        return form_atom(t->mem, (atom){path_text(t, n), negate ? A_FALSY : A_TRUTHY, NULL});
    case EX_NOT:
        return build(t, e->a, !negate, depth + 1);
    case EX_AND:
    case EX_OR: {
        form a = build(t, e->a, negate, depth + 1);
        form b = build(t, e->b, negate, depth + 1);
        /* De Morgan: under a negation AND becomes OR and OR becomes AND. */
        return (e->kind == EX_AND) != negate ? form_and(t->mem, a, b) : form_or(t->mem, a, b);
    }
    default:
        return comparison(t, e, negate);
    }
}

/* --- One AND: can its atoms on one path all hold? ----------------------------------- */

typedef struct path_facts {
    const json_t *eq; /* the value it must equal (the first one seen) */
    bool conflict;
    bool truthy, falsy;
    bool number, string; /* ordered as a number / as a string */
    double lo, hi;
    bool lo_strict, hi_strict;
} path_facts;

/* The number a literal is or writes in decimal ("5"), as comparisons read it. */
static bool literal_number(const json_t *lit, double *v)
{
    json_int_t i;
    bool integer;
    if (json_is_number(lit)) {
        *v = json_number_value(lit);
        return true;
    }
    return json_is_string(lit) && ivrsm_tmpl_decimal_string(ivrsm_val_of(lit), &i, v, &integer);
}

/* Whether a value can equal both a and b: the same value, or the same number (5, "5", "05"). */
static bool same_value(const json_t *a, const json_t *b)
{
    double x, y;
    if ((json_is_number(a) || json_is_number(b)) && literal_number(a, &x) && literal_number(b, &y))
        return x == y;
    if (json_is_string(a) && json_is_string(b) && literal_number(a, &x) && literal_number(b, &y) &&
        x == y)
        return true; /* "5" and "05": both equal the number 5 */
    return json_equal((json_t *)a, (json_t *)b);
}

static void bound(path_facts *f, atom_op op, double v)
{
    bool strict = op == A_LT || op == A_GT;
    if (op == A_GT || op == A_GE) {
        if (v > f->lo || (v == f->lo && strict)) {
            f->lo = v;
            f->lo_strict = strict;
        }
    } else if (v < f->hi || (v == f->hi && strict)) {
        f->hi = v;
        f->hi_strict = strict;
    }
}

static bool in_interval(const path_facts *f, double v)
{
    return (v > f->lo || (v == f->lo && !f->lo_strict)) &&
           (v < f->hi || (v == f->hi && !f->hi_strict));
}

/* Whether the atoms of c on `path` can all hold. */
static bool path_possible(const conj *c, const char *path)
{
    path_facts f = {.lo = -INFINITY, .hi = INFINITY};
    const domain *d = domain_of(path);
    if (d && d->type == JSON_INTEGER) {
        f.lo = d->min;
        f.hi = d->max;
    }
    for (size_t i = 0; i < c->n; i++) {
        const atom *a = &c->atoms[i];
        if (strcmp(a->path, path))
            continue;
        switch (a->op) {
        case A_TRUTHY:
            f.truthy = true;
            break;
        case A_FALSY:
            f.falsy = true;
            break;
        case A_EQ:
            if (f.eq && !same_value(f.eq, a->lit)) {
                /* == null and == false both hold for nothing (missing or null), and only
                 * then: nothing equals false. */
                if (json_is_null(f.eq) && json_is_false(a->lit))
                    break;
                if (!(json_is_false(f.eq) && json_is_null(a->lit)))
                    return false;
            }
            f.eq = a->lit;
            break;
        case A_NE:
            break; /* checked against eq below */
        default: {
            double v;
            if (json_is_number(a->lit)) {
                f.number = true;
                bound(&f, a->op, json_number_value(a->lit));
            } else if (json_is_string(a->lit) && literal_number(a->lit, &v)) {
                /* "5": ordered byte-wise with a string, as a number with a number; nothing is
                 * known of the path from it. */
            } else if (json_is_string(a->lit)) {
                f.string = true;
            } else {
                return false; /* only numbers and strings are ordered */
            }
        }
        }
    }
    for (size_t i = 0; f.eq && i < c->n; i++)
        if (c->atoms[i].op == A_NE && !strcmp(c->atoms[i].path, path) &&
            (same_value(f.eq, c->atoms[i].lit) ||
             (json_is_null(f.eq) && json_is_false(c->atoms[i].lit))))
            return false; /* nothing equals false: `== null && != false` never holds */
    /* A path ordered against a number and against a string may be a string that writes a
     * number ("5" > 3 and "5" < "a"): no conflict. */
    if (f.truthy && f.falsy)
        return false;
    if (d) {
        /* What the path is by nature. */
        bool boolean = d->type == JSON_TRUE, text = d->type == JSON_STRING;
        if ((boolean && (f.number || f.string)) || (text && f.number) ||
            (d->type == JSON_INTEGER && f.string))
            return false;
        double eq;
        bool eq_number = f.eq && literal_number(f.eq, &eq);
        if (f.eq && ((boolean && !json_is_boolean(f.eq)) || (text && !json_is_string(f.eq)) ||
                     (d->type == JSON_INTEGER && !eq_number)))
            return false;
        if (d->type == JSON_INTEGER && eq_number && (eq != floor(eq) || !in_interval(&f, eq)))
            return false;
        if (d->type == JSON_INTEGER) {
            /* Integers: "> 3" is ">= 4". */
            double lo = f.lo_strict ? floor(f.lo) + 1 : ceil(f.lo);
            double hi = f.hi_strict ? ceil(f.hi) - 1 : floor(f.hi);
            if (lo > hi)
                return false;
        }
    }
    if (f.number) {
        if (f.lo > f.hi || (f.lo == f.hi && (f.lo_strict || f.hi_strict)))
            return false;
        double eq;
        if (f.eq && (!literal_number(f.eq, &eq) || !in_interval(&f, eq)))
            return false;
        /* A number that is falsy is 0; a truthy one is not 0. */
        if (f.falsy && !in_interval(&f, 0))
            return false;
        if (f.truthy && f.lo == 0 && f.hi == 0)
            return false;
    }
    double eq_value;
    if (f.string && f.eq && !json_is_string(f.eq) && !literal_number(f.eq, &eq_value))
        return false; /* == 5 may be "5", which a string orders against */
    if (f.eq && ((f.truthy && !ivrsm_tmpl_is_truthy(ivrsm_val_of(f.eq))) ||
                 (f.falsy && ivrsm_tmpl_is_truthy(ivrsm_val_of(f.eq)))))
        return false;
    return true;
}

static bool conj_possible(const conj *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (!path_possible(c, c->atoms[i].path))
            return false;
    return true;
}

/* Whether the expression at node n can hold for some data. */
static bool possible(const ivrsm_tmpl *t, uint32_t n)
{
    form f = build(t, n, false, 0);
    bool any = f.unknown;
    for (size_t i = 0; !any && i < f.n; i++)
        any = conj_possible(&f.c[i]);
    form_free(t->mem, &f);
    return any;
}

/* The offset of the first path under node n, for a position to report (0 when none). */
static size_t first_offset(const ivrsm_tmpl *t, uint32_t n, int depth)
{
    const expr_node *e = &t->nodes[n];
    if (e->kind == EX_PATH)
        return t->paths[e->a].offset;
    if (e->kind == EX_LITERAL || depth > MAX_DEPTH)
        return 0;
    size_t a = first_offset(t, e->a, depth + 1);
    if (a || e->kind == EX_NOT)
        return a;
    return first_offset(t, e->b, depth + 1);
}

void ivrsm_tmpl_each_never_true(const ivrsm_tmpl *t, void (*fn)(void *user, size_t offset),
                                void *user)
{
    if (t->single_expr != TMPL_NONE && t->n_ops == 0) {
        if (!possible(t, t->single_expr))
            fn(user, first_offset(t, t->single_expr, 0));
        return;
    }
    for (size_t i = 0; i < t->n_ops; i++)
        if (t->ops[i].kind == OP_IF && !possible(t, t->ops[i].a))
            fn(user, first_offset(t, t->ops[i].a, 0));
}
