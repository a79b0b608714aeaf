/*
 * Two document trees compared node for node (kind, style, text, value, the
 * line and column of every node and key, weights, bytes, heights, key
 * indexes), for the tests of the fast readers against the reference ones
 * and for fuzz_readers. DOM_CHECK(cond, format, ...) reports a difference:
 * check's ck_assert_msg unless the includer defines its own first.
 */
#ifndef TESTS_DOM_COMPARE_H
#define TESTS_DOM_COMPARE_H

#include <string.h>

#ifndef DOM_CHECK
#include <check.h>
#define DOM_CHECK ck_assert_msg
#endif

#include "dom.h"

static void same_node(const dom_node *a, const dom_node *b, const char *where);

static void same_text(const char *a, size_t alen, const char *b, size_t blen, const char *what,
                      const char *where)
{
    DOM_CHECK(alen == blen && (!alen || !memcmp(a, b, alen)), "%s: %s '%.*s' vs '%.*s'", where,
                  what, (int)alen, a ? a : "", (int)blen, b ? b : "");
}

static void same_node(const dom_node *a, const dom_node *b, const char *where)
{
    DOM_CHECK(a->kind == b->kind, "%s at %d:%d: kind %d vs %d", where, b->line, b->column,
                  a->kind, b->kind);
    DOM_CHECK(a->line == b->line && a->column == b->column, "%s: at %d:%d vs %d:%d", where,
                  a->line, a->column, b->line, b->column);
    DOM_CHECK(a->style == b->style, "%s at %d:%d: style %d vs %d", where, b->line, b->column,
                  a->style, b->style);
    DOM_CHECK(a->weight == b->weight && a->bytes == b->bytes && a->height == b->height,
                  "%s at %d:%d: weight %u/%u bytes %zu/%zu height %u/%u", where, b->line, b->column,
                  a->weight, b->weight, a->bytes, b->bytes, a->height, b->height);
    DOM_CHECK(a->no_refs == b->no_refs, "%s at %d:%d: no_refs %u vs %u", where, b->line,
                  b->column, a->no_refs, b->no_refs);
    DOM_CHECK(a->count == b->count, "%s at %d:%d: count %zu vs %zu", where, b->line, b->column,
                  a->count, b->count);
    DOM_CHECK((a->index == NULL) == (b->index == NULL), "%s: index", where);
    DOM_CHECK(a->ref == NULL && b->ref == NULL, "%s: ref", where);
    switch (a->kind) {
    case DOM_MAP:
        for (size_t i = 0; i < a->count; i++) {
            const dom_pair *p = &a->pairs[i], *q = &b->pairs[i];
            same_text(p->key, p->key_len, q->key, q->key_len, "key", where);
            DOM_CHECK(p->line == q->line && p->column == q->column,
                          "%s: key %s at %d:%d vs %d:%d", where, q->key, p->line, p->column,
                          q->line, q->column);
            same_node(p->value, q->value, q->key);
        }
        return;
    case DOM_LIST:
        for (size_t i = 0; i < a->count; i++)
            same_node(a->items[i], b->items[i], where);
        return;
    case DOM_BOOL:
        DOM_CHECK(a->as.boolean == b->as.boolean, "%s: boolean", where);
        break;
    case DOM_INT:
        DOM_CHECK(a->as.integer == b->as.integer, "%s: integer", where);
        break;
    case DOM_REAL:
        DOM_CHECK(memcmp(&a->as.real, &b->as.real, sizeof(double)) == 0, "%s: real", where);
        break;
    default:
        break;
    }
    same_text(a->text, a->len, b->text, b->len, "text", where);
}

#endif
