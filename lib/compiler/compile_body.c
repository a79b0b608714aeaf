/*
 * A request body worked out at load as JSON text with holes (m_body_op): the
 * keys, the punctuation and the literals of `body:` are written once here, as
 * json_dumps(JSON_COMPACT) writes them, so that building a request copies
 * them and writes only the templates' values (runtime/action.c).
 */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "compile.h"

typedef struct body_builder {
    ivrsm_buf text; /* the text since the last hole */
    m_body_op *ops;
    size_t count, cap;
    bool ops_on_stack; /* ops is the caller's array, not the heap's */
    const ivrsm_mem *mem;
} body_builder;

/* The text so far ends an op whose hole is tmpl (NULL: the last op). -1 on no memory. */
static int end_op(cc *c, body_builder *bb, const ivrsm_tmpl *tmpl)
{
    if (bb->text.failed)
        return -1;
    if (bb->count == bb->cap && bb->ops_on_stack) {
        m_body_op *heap = ivrsm_mem_malloc(bb->mem, 2 * bb->cap * sizeof(*heap));
        if (!heap)
            return -1;
        memcpy(heap, bb->ops, bb->count * sizeof(*heap));
        bb->ops = heap;
        bb->cap *= 2;
        bb->ops_on_stack = false;
    } else if (ivrsm_mem_grow(bb->mem, (void **)&bb->ops, &bb->cap, bb->count, sizeof(*bb->ops),
                              4) != 0) {
        return -1;
    }
    char *text = ivrsm_arena_strndup(c->arena, ivrsm_buf_str(&bb->text), bb->text.len);
    if (!text)
        return -1;
    bb->ops[bb->count++] = (m_body_op){text, bb->text.len, tmpl};
    ivrsm_buf_reset(&bb->text);
    return 0;
}

static int write_value(cc *c, body_builder *bb, const m_value *v)
{
    ivrsm_buf *b = &bb->text;
    switch (v->kind) {
    case MV_LITERAL:
        return ivrsm_buf_json_value(b, v->literal); /* as json_dumps writes it, reals shortest */
    case MV_TEMPLATE:
        return end_op(c, bb, v->tmpl);
    case MV_OBJECT:
    case MV_ARRAY: {
        bool object = v->kind == MV_OBJECT;
        ivrsm_buf_putc(b, object ? '{' : '[');
        for (size_t i = 0; i < v->count; i++) {
            if (i)
                ivrsm_buf_putc(b, ',');
            if (object) {
                ivrsm_buf_json_string(b, v->keys[i], strlen(v->keys[i]));
                ivrsm_buf_putc(b, ':');
            }
            if (write_value(c, bb, &v->items[i]) != 0)
                return -1;
        }
        return ivrsm_buf_putc(b, object ? '}' : ']');
    }
    }
    return ivrsm_buf_puts(b, "null");
}

bool ivrsm_cc_body_program(cc *c, m_action *a)
{
    /* On the stack first: a load compiles many bodies, of a few ops and bytes each. */
    char text[512];
    m_body_op ops_on_stack[16];
    body_builder bb = {.ops = ops_on_stack, .cap = 16, .ops_on_stack = true, .mem = c->m->mem};
    ivrsm_buf_on(&bb.text, c->m->mem, text, sizeof(text));
    bool ok = write_value(c, &bb, &a->body) == 0 && end_op(c, &bb, NULL) == 0;
    m_body_op *ops = ok ? ivrsm_arena_alloc(c->arena, bb.count * sizeof(*ops)) : NULL;
    if (ops) {
        memcpy(ops, bb.ops, bb.count * sizeof(*ops));
        a->body_ops = ops;
        a->body_op_count = bb.count;
    } else {
        ivrsm_cc_nomem(c);
        ok = false;
    }
    ivrsm_buf_free(&bb.text);
    if (!bb.ops_on_stack)
        ivrsm_mem_free(bb.mem, bb.ops);
    return ok;
}
