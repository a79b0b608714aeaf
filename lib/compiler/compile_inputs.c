/*
 * inputs: the ctx keys the host provides.
 *
 *   inputs:
 *     caller_number: string                  # a type
 *     vip: { type: boolean, default: false } # a type and a default
 *     account_id: { type: string, required: true, description: "..." }
 *     dialled_number:                        # any type
 *
 * or a list of names: `inputs: [caller_number, dialled_number]`.
 */
#include <stdio.h>
#include <string.h>

#include "compile.h"

static const char *const type_names[] = {"any",     "string", "number", "integer",
                                         "boolean", "object", "array",  NULL};

static bool read_type(cc *c, const dom_node *n, m_input_type *out)
{
    if (!ivrsm_cc_expect(c, n, DOM_STRING,
                         "a type (string, number, integer, boolean, object, "
                         "array, any)"))
        return false;
    for (int i = 0; type_names[i]; i++) {
        if (!strcmp(type_names[i], n->text)) {
            *out = (m_input_type)i;
            return true;
        }
    }
    const char *guess = ivrsm_cc_suggest(c, n->text, type_names, sizeof(char *), 7);
    ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                   "%s: unknown type '%s'%s%s%s (expected one of: string, number, integer, "
                   "boolean, object, array, any)",
                   ivrsm_cc_field(c), n->text, guess ? "; did you mean '" : "", guess ? guess : "",
                   guess ? "'?" : "");
    return false;
}

static void compile_input(cc *c, m_input *in, const char *name, const dom_node *n, int line,
                          int column)
{
    static const char *const keys[] = {"type", "default", "required", "description", NULL};
    in->pub.name = ivrsm_arena_strdup(c->arena, name);
    in->pos = (m_pos){line, column};
    if (!in->pub.name) {
        ivrsm_cc_nomem(c);
        return;
    }
    if (!*name || name[0] == '.' || name[strlen(name) - 1] == '.' || strstr(name, ".."))
        ivrsm_cc_error(c, "invalid-value", line, column,
                       "inputs: '%s' is not a ctx key (non-empty parts separated by dots)", name);
    /* Templates read {{ctx.caller_number}}; an input declared so would be ctx.ctx.caller_number,
     * never the key the host gives nor the one the templates read. */
    else if (!strncmp(name, "ctx.", 4))
        ivrsm_cc_error(c, "invalid-value", line, column,
                       "inputs: '%s' would declare ctx.%s: an input is a ctx key written without "
                       "'ctx.' (write '%s'; the host gives it as %s and templates read it as "
                       "{{%s}})",
                       name, name, name + 4, name + 4, name);
    if (!n || n->kind == DOM_NULL) {
        /* any type */
    } else if (n->kind == DOM_STRING) {
        size_t mark = ivrsm_cc_push_key(c, name);
        read_type(c, n, &in->type);
        ivrsm_cc_pop(c, mark);
    } else {
        size_t mark = ivrsm_cc_push_key(c, name);
        if (ivrsm_cc_expect(c, n, DOM_MAP, "a type, or a map with type, default, required")) {
            cc_owner owner = {"input ", "", name, ""};
            ivrsm_cc_check_keys_of(c, n, keys, &owner);
            const dom_node *t = ivrsm_dom_get(n, "type");
            if (t) {
                size_t m2 = ivrsm_cc_push_key(c, "type");
                read_type(c, t, &in->type);
                ivrsm_cc_pop(c, m2);
            }
            bool required = false;
            ivrsm_cc_get_bool(c, n, "required", &required);
            in->pub.required = required;
            ivrsm_cc_get_string(c, n, "description", &in->pub.description);
            if (in->pub.description)
                in->pub.description = ivrsm_arena_strdup(c->arena, in->pub.description);
            const dom_node *d = ivrsm_dom_get(n, "default");
            if (d) {
                size_t m2 = ivrsm_cc_push_key(c, "default");
                in->def = ivrsm_cc_json(c, d);
                if (in->def && !ivrsm_cc_own_json(c, in->def))
                    in->def = NULL;
                if (in->def && !ivrsm_input_type_holds(in->type, in->def)) {
                    char buf[96];
                    ivrsm_cc_error(c, "wrong-type", d->line, d->column,
                                   "default: input '%s' is %s %s, its default is %s", name,
                                   in->type == M_INPUT_INTEGER || in->type == M_INPUT_ARRAY ||
                                           in->type == M_INPUT_OBJECT
                                       ? "an"
                                       : "a",
                                   ivrsm_input_type_name(in->type),
                                   ivrsm_cc_describe(d, buf, sizeof(buf)));
                } else if (in->def && required) {
                    ivrsm_cc_error(c, "invalid-value", d->line, d->column,
                                   "default: input '%s' is required, so its default is never "
                                   "used (drop one of the two)",
                                   name);
                }
                if (in->def) {
                    ivrsm_buf text = IVRSM_BUF_INIT(c->m->mem);
                    ivrsm_buf_dump_json(&text, in->def, JSON_COMPACT | JSON_ENCODE_ANY);
                    in->pub.default_json =
                        text.failed ? NULL : ivrsm_arena_strdup(c->arena, ivrsm_buf_str(&text));
                    if (!in->pub.default_json)
                        ivrsm_cc_nomem(c);
                    ivrsm_buf_free(&text);
                }
                ivrsm_cc_pop(c, m2);
            }
        }
        ivrsm_cc_pop(c, mark);
    }
    in->pub.type = ivrsm_input_type_name(in->type);
}

void ivrsm_cc_inputs(cc *c, const dom_node *n)
{
    size_t mark = ivrsm_cc_push_key(c, "inputs");
    if (n->kind != DOM_MAP && n->kind != DOM_LIST) {
        ivrsm_cc_expect(c, n, DOM_MAP, "a map of ctx key → type (or a list of ctx keys)");
        ivrsm_cc_pop(c, mark);
        return;
    }
    c->m->inputs = n->count ? ivrsm_arena_alloc(c->arena, n->count * sizeof(m_input)) : NULL;
    if (n->count && !c->m->inputs) {
        ivrsm_cc_nomem(c);
        ivrsm_cc_pop(c, mark);
        return;
    }
    for (size_t i = 0; i < n->count; i++) {
        m_input *in = &c->m->inputs[c->m->input_count];
        memset(in, 0, sizeof(*in));
        if (n->kind == DOM_MAP) {
            compile_input(c, in, n->pairs[i].key, n->pairs[i].value, n->pairs[i].line,
                          n->pairs[i].column);
        } else {
            const dom_node *item = n->items[i];
            size_t m2 = ivrsm_cc_push_index(c, i);
            if (item->kind == DOM_MAP) {
                /* `- name: plan` / `type: string`, as other formats declare variables. */
                const dom_node *name = ivrsm_dom_get(item, "name");
                const dom_node *type = ivrsm_dom_get(item, "type");
                const char *key = name && name->kind == DOM_STRING ? name->text : "caller_number";
                const char *of = type && type->kind == DOM_STRING ? type->text : "string";
                ivrsm_cc_error(c, "wrong-type", item->line, item->column,
                               "inputs: a list names ctx keys (inputs: [%s]); to give a type, a "
                               "default or a description, write inputs as a map of the keys: "
                               "inputs: { %s: { type: %s } }",
                               key, key, of);
                ivrsm_cc_pop(c, m2);
                /* Declared all the same, so that its readers get no echo of this error. */
                if (name && name->kind == DOM_STRING &&
                    ivrsm_cc_name_ok(c, name, "input name", IVRSM_NAME_RULES_NAME))
                    compile_input(c, in, name->text, NULL, item->line, item->column);
                if (in->pub.name)
                    c->m->input_count++;
                continue;
            }
            bool ok = ivrsm_cc_expect(c, item, DOM_STRING, "a ctx key") &&
                      ivrsm_cc_name_ok(c, item, "input name", IVRSM_NAME_RULES_NAME);
            for (size_t k = 0; ok && k < c->m->input_count; k++)
                if (!strcmp(c->m->inputs[k].pub.name, item->text)) {
                    ivrsm_cc_error(c, "invalid-value", item->line, item->column,
                                   "inputs: '%s' is listed twice", item->text);
                    ok = false;
                }
            ivrsm_cc_pop(c, m2);
            if (!ok)
                continue;
            compile_input(c, in, item->text, NULL, item->line, item->column);
        }
        if (in->pub.name)
            c->m->input_count++;
    }
    ivrsm_cc_pop(c, mark);
}
