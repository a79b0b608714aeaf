/*
 * ivrsm_document_convert_file(): YAML ⇄ JSON without compiling, key order kept.
 *
 * JSON is written by json_write.c: numbers as written where JSON reads the
 * same text (2.50 stays 2.50), others with the fewest digits that give
 * them back exactly. YAML goes through libfyaml's emitter (block style,
 * 2-space indent); strings are plain when that reads back as the same string
 * under YAML 1.2 *and* 1.1 (so "yes", "on", "1.0" stay quoted), long
 * one-line texts folded `>` scalars, everything else double-quoted.
 */
#include <inttypes.h>
#include <libfyaml.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compile.h"
#include "diag.h"
#include "dom.h"
#include "mem.h"
#include "yaml_core.h"

#define FOLD_WIDTH 80   /* target line width of folded scalars */
#define FOLD_MIN_LEN 60 /* shorter strings stay on the key's line */

/* --- JSON ----------------------------------------------------------------------- */

/* Fewest significant digits (1..17) that print `x` so that it reads back exactly. */
static int real_digits(double x)
{
    char buf[40];
    for (int p = 1; p < 17; p++) {
        snprintf(buf, sizeof(buf), "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            return p;
    }
    return 17;
}

static int to_json(const dom_doc *doc, char **out, ivrsm_error *err)
{
    const dom_node *bad;
    ivrsm_buf b = IVRSM_BUF_INIT(doc->mem);
    int rc = ivrsm_dom_write_json(&b, doc->root, 2, &bad);
    if (rc == 0)
        ivrsm_buf_putc(&b, '\n');
    char *text = rc == 0 ? ivrsm_buf_give(&b) : NULL;
    if (rc != 0)
        ivrsm_buf_free(&b);
    if (rc == IVRSM_EINVAL)
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, doc->name, bad->line, bad->column, "",
                                    "%s cannot be written as JSON (%s)",
                                    bad->kind == DOM_REAL ? bad->text : "this value",
                                    ivrsm_dom_json_refusal(bad));
    if (!text)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    *out = text;
    return 0;
}

/* --- YAML: deciding how to write a string ------------------------------------------- */

/*
 * What YAML 1.1 readers add to the core schema (yaml_core.c): more words for
 * booleans, merge and value keys, sexagesimal and binary numbers. A string
 * that looks like one of them is quoted, so that any reader reads it back as
 * a string.
 */
static bool yaml11_special(const char *s, size_t len)
{
    static const char *const words[] = {"y",   "Y",   "yes", "Yes", "YES", "n",  "N",
                                        "no",  "No",  "NO",  "on",  "On",  "ON", "off",
                                        "Off", "OFF", "<<",  "=",   NULL};
    for (const char *const *w = words; *w; w++)
        if (strlen(*w) == len && !memcmp(*w, s, len))
            return true;
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (i >= len || !(s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
        return false;
    for (; i < len; i++)
        if (!strchr("0123456789abcdefABCDEFxXoO_.:+-", s[i]))
            return false;
    return true; /* starts like a number and holds nothing that rules one out */
}

/* Code points that must be escaped: C0 and C1 controls, DEL, BOM, line separators. */
static size_t unprintable_at(const unsigned char *s, size_t len, size_t i)
{
    unsigned char c = s[i];
    if (c < 0x20 || c == 0x7F)
        return 1;
    if (c == 0xC2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9F)
        return 2;
    if (c == 0xE2 && i + 2 < len && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
        return 3;
    if (c == 0xEF && i + 2 < len && s[i + 1] == 0xBB && s[i + 2] == 0xBF)
        return 3;
    return 0;
}

static bool has_unprintable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (unprintable_at((const unsigned char *)s, len, i))
            return true;
    return false;
}

/* Plain when that reads back as the same string under YAML 1.2 and 1.1. */
static bool plain_safe(const char *s, size_t len)
{
    yaml_core_value v;
    if (len == 0 || ivrsm_yaml_core_type(s, len, &v) != DOM_STRING || yaml11_special(s, len) ||
        has_unprintable(s, len))
        return false;
    if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) || s[len - 1] == ' ' || s[len - 1] == ':')
        return false;
    for (size_t i = 0; i + 1 < len; i++)
        if ((s[i] == ':' && s[i + 1] == ' ') || (s[i] == ' ' && s[i + 1] == '#'))
            return false;
    return true;
}

/*
 * libfyaml 0.7's emitter garbles a character past U+00FF (UTF-8 lead byte 0xC4 and up) that
 * it puts at the start of a line when it folds a long scalar, double-quoted or '>': "İ" came
 * back "0", "Ω" "©", "€" or "日本" lost bytes, an emoji became "\0" (tests/test_load.c,
 * test_convert_folds_keep_wide_characters). Latin-1 letters (é, ñ, ß) come through.
 */
static bool wide_text(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0xC4)
            return true;
    return false;
}

/* A string or key of the subtree holds such a character: the document is then written
 * without folding (however short a text, its indentation may take it past the width). */
static bool has_wide_text(const dom_node *n)
{
    if (n->kind == DOM_STRING)
        return wide_text(n->text, n->len);
    if (n->kind == DOM_LIST)
        for (size_t i = 0; i < n->count; i++)
            if (has_wide_text(n->items[i]))
                return true;
    if (n->kind == DOM_MAP)
        for (size_t i = 0; i < n->count; i++)
            if (wide_text(n->pairs[i].key, n->pairs[i].key_len) || has_wide_text(n->pairs[i].value))
                return true;
    return false;
}

/* A long one-line text (optionally ending in one newline) that folds back exactly. */
static bool foldable(const char *s, size_t len)
{
    size_t body = len && s[len - 1] == '\n' ? len - 1 : len;
    if (body < FOLD_MIN_LEN || memchr(s, '\n', body) || has_unprintable(s, body))
        return false;
    if (s[0] == ' ' || s[body - 1] == ' ' || s[0] == '\t' || s[body - 1] == '\t')
        return false;
    for (size_t i = 0; i + 1 < body; i++)
        if ((s[i] == ' ' || s[i] == '\t') && (s[i + 1] == ' ' || s[i + 1] == '\t'))
            return false; /* a run of blanks would be a place the emitter cannot fold */
    return !wide_text(s, body);
}

static void put_double_quoted(ivrsm_buf *b, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    ivrsm_buf_putc(b, '"');
    for (size_t i = 0; i < len;) {
        size_t n = unprintable_at(u, len, i);
        if (n == 0) {
            if (s[i] == '"' || s[i] == '\\')
                ivrsm_buf_putc(b, '\\');
            ivrsm_buf_putc(b, s[i]);
            i++;
            continue;
        }
        switch (u[i]) {
        case '\n':
            ivrsm_buf_puts(b, "\\n");
            break;
        case '\t':
            ivrsm_buf_puts(b, "\\t");
            break;
        case '\r':
            ivrsm_buf_puts(b, "\\r");
            break;
        default:
            if (n == 1)
                ivrsm_buf_printf(b, "\\x%02X", u[i]);
            else if (n == 2)
                ivrsm_buf_printf(b, "\\x%02X", u[i + 1]);
            else
                ivrsm_buf_printf(b, "\\u%02X%02X", u[i] == 0xE2 ? 0x20 : 0xFE,
                                 u[i] == 0xE2 ? (u[i + 2] == 0xA8 ? 0x28 : 0x29) : 0xFF);
        }
        i += n;
    }
    ivrsm_buf_putc(b, '"');
}

/* --- YAML: the tree handed to libfyaml's emitter ---------------------------------------- */

/*
 * libfyaml 0.7 has no call that sets a scalar's style, and left to itself
 * writes some strings plain that do not read back ("- x", or "yes" under
 * YAML 1.1): a scalar that must not be plain is handed over as YAML source
 * in the style it needs (double-quoted, or folded for long prose), which
 * the emitter then keeps.
 */
static struct fy_node *styled_scalar(struct fy_document *fd, const ivrsm_mem *mem, const char *s,
                                     size_t len, bool allow_fold)
{
    if (plain_safe(s, len) && !(allow_fold && foldable(s, len)))
        return fy_node_create_scalar_copy(fd, s, len);
    ivrsm_buf b = IVRSM_BUF_INIT(mem);
    if (allow_fold && foldable(s, len)) {
        bool newline = s[len - 1] == '\n';
        ivrsm_buf_puts(&b, newline ? ">\n  " : ">-\n  ");
        ivrsm_buf_append(&b, s, newline ? len - 1 : len);
        ivrsm_buf_putc(&b, '\n');
    } else {
        put_double_quoted(&b, s, len);
    }
    /* libfyaml keeps the source and frees it with free(): a copy from the C library, not
     * from mem. */
    char *source = b.failed ? NULL : malloc(b.len + 1);
    if (source)
        memcpy(source, ivrsm_buf_str(&b), b.len + 1);
    size_t len_src = b.len;
    ivrsm_buf_free(&b);
    struct fy_node *n = source ? fy_node_build_from_malloc_string(fd, source, len_src) : NULL;
    if (source && !n)
        free(source);
    return n;
}

static bool core_number_text(const char *t)
{
    /* The text as written is kept when it is a number in YAML 1.2 and in JSON. */
    size_t i = (t[0] == '-' || t[0] == '+') ? 1 : 0;
    bool digits = false;
    for (; t[i]; i++) {
        if (t[i] >= '0' && t[i] <= '9')
            digits = true;
        else if (!strchr(".eE+-", t[i]))
            return false;
    }
    return digits;
}

static struct fy_node *number_scalar(struct fy_document *fd, const dom_node *n)
{
    if (n->kind == DOM_INT && n->text && core_number_text(n->text) && !strpbrk(n->text, ".eE"))
        return fy_node_create_scalar_copy(fd, n->text, FY_NT);
    if (n->kind == DOM_INT)
        return fy_node_create_scalarf(fd, "%" PRId64, n->as.integer);
    if (!isfinite(n->as.real))
        return fy_node_create_scalar(fd,
                                     isnan(n->as.real) ? ".nan"
                                     : n->as.real > 0  ? ".inf"
                                                       : "-.inf",
                                     FY_NT);
    if (n->text && core_number_text(n->text))
        return fy_node_create_scalar_copy(fd, n->text, FY_NT);
    return fy_node_create_scalarf(fd, "%.*g", real_digits(n->as.real), n->as.real);
}

static struct fy_node *fy_tree(struct fy_document *fd, const ivrsm_mem *mem, const dom_node *n)
{
    switch ((dom_kind)n->kind) {
    case DOM_NULL:
        return fy_node_create_scalar(fd, "null", FY_NT);
    case DOM_BOOL:
        return fy_node_create_scalar(fd, n->as.boolean ? "true" : "false", FY_NT);
    case DOM_INT:
    case DOM_REAL:
        return number_scalar(fd, n);
    case DOM_STRING:
        return styled_scalar(fd, mem, n->text, n->len, true);
    case DOM_LIST: {
        struct fy_node *seq = fy_node_create_sequence(fd);
        for (size_t i = 0; seq && i < n->count; i++) {
            struct fy_node *item = fy_tree(fd, mem, n->items[i]);
            if (!item || fy_node_sequence_append(seq, item) != 0)
                return NULL;
        }
        return seq;
    }
    case DOM_MAP: {
        struct fy_node *map = fy_node_create_mapping(fd);
        for (size_t i = 0; map && i < n->count; i++) {
            const dom_pair *p = &n->pairs[i];
            struct fy_node *key = styled_scalar(fd, mem, p->key, p->key_len, false);
            struct fy_node *value = key ? fy_tree(fd, mem, p->value) : NULL;
            if (!value || fy_node_mapping_append(map, key, value) != 0)
                return NULL;
        }
        return map;
    }
    }
    return NULL;
}

static int to_yaml(const dom_doc *doc, char **out, ivrsm_error *err)
{
    struct fy_document *fd = fy_document_create(NULL);
    struct fy_node *root = fd ? fy_tree(fd, doc->mem, doc->root) : NULL;
    char *text = NULL;
    if (root && fy_document_set_root(fd, root) == 0)
        text =
            fy_emit_document_to_string(fd, FYECF_MODE_BLOCK | FYECF_INDENT_2 |
                                               (has_wide_text(doc->root) ? FYECF_WIDTH_INF
                                                                             : FYECF_WIDTH(FOLD_WIDTH)) |
                                               FYECF_DOC_START_MARK_OFF);
    fy_document_destroy(fd); /* nodes not yet attached are the document's too */
    if (!text)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    /* libfyaml allocates with malloc: hand over a copy from the document's allocator. */
    char *copy = ivrsm_mem_give(doc->mem, text, strlen(text));
    free(text);
    if (!copy)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    *out = copy;
    return 0;
}

/* --- Public ----------------------------------------------------------------------------- */

int ivrsm_convert_dom(const dom_doc *doc, ivrsm_format to, char **out, ivrsm_error *err)
{
    return to == IVRSM_FORMAT_JSON ? to_json(doc, out, err) : to_yaml(doc, out, err);
}

int ivrsm_document_convert_file(const char *path, ivrsm_format from, ivrsm_format to, char **out,
                                ivrsm_error *err)
{
    if (!out || (to != IVRSM_FORMAT_YAML && to != IVRSM_FORMAT_JSON))
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, path, 0, 0, "", "invalid argument");
    char *data;
    size_t len;
    const ivrsm_mem *mem = ivrsm_mem_default();
    int rc = ivrsm_dom_read_path(path, &from, mem, &data, &len, err);
    if (rc)
        return rc;
    dom_doc *doc;
    rc = ivrsm_dom_load(data, len, from, path, mem, &doc, err);
    ivrsm_mem_free(mem, data);
    if (rc)
        return rc;
    rc = ivrsm_convert_dom(doc, to, out, err);
    ivrsm_dom_free(doc);
    return rc;
}
