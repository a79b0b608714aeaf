/*
 * ivrsm_convert_file(): YAML ⇄ JSON without compiling, key order kept.
 *
 * JSON goes through jansson with the fewest digits that give every real
 * number back exactly. YAML is written by a small block-style emitter:
 * 2-space indent, strings plain when that reads back as the same string
 * under YAML 1.2 *and* 1.1 (so "yes", "on", "1.0" stay quoted), long
 * one-line texts as folded `>` scalars, everything else double-quoted.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compile.h"
#include "diag.h"
#include "dom.h"

#define FOLD_WIDTH 80         /* target line width of folded scalars */
#define FOLD_MIN_LEN 60       /* shorter strings stay on the key's line */
#define IMPLICIT_KEY_MAX 1000 /* YAML limits implicit keys to 1024 characters */

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

static int max_real_digits(const dom_node *n)
{
    int best = 1;
    if (n->kind == DOM_REAL && isfinite(n->as.real))
        return real_digits(n->as.real);
    for (size_t i = 0; i < n->count; i++) {
        int d = max_real_digits(n->kind == DOM_MAP ? n->pairs[i].value : n->items[i]);
        if (d > best)
            best = d;
    }
    return best;
}

static int to_json(const dom_doc *doc, char **out, ivrsm_error *err)
{
    const dom_node *bad;
    json_t *j = ivrsm_dom_to_json(doc->root, &bad);
    if (!j && bad)
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, doc->name, bad->line, bad->column, "",
                                    "%s cannot be written as JSON (only finite numbers can)",
                                    bad->text);
    if (!j)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    int digits = max_real_digits(doc->root);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(digits));
    json_decref(j);
    size_t len = text ? strlen(text) : 0;
    char *result = text ? malloc(len + 2) : NULL;
    if (!result) {
        free(text);
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    }
    memcpy(result, text, len);
    result[len] = '\n';
    result[len + 1] = '\0';
    free(text);
    *out = result;
    return 0;
}

/* --- YAML: deciding how to write a string ------------------------------------------- */

static bool is_word(const char *s, size_t len, const char *const *words)
{
    for (; *words; words++)
        if (strlen(*words) == len && !memcmp(*words, s, len))
            return true;
    return false;
}

/* Words some YAML reader (1.2 core or 1.1) would not read as a string. */
static bool reserved_word(const char *s, size_t len)
{
    static const char *const words[] = {
        "",      "~",     "null", "Null", "NULL", "true", "True", "TRUE", "false", "False",
        "FALSE", "y",     "Y",    "yes",  "Yes",  "YES",  "n",    "N",    "no",    "No",
        "NO",    "on",    "On",   "ON",   "off",  "Off",  "OFF",  ".inf", ".Inf",  ".INF",
        "-.inf", "+.inf", ".nan", ".NaN", ".NAN", "<<",   "=",    NULL};
    return is_word(s, len, words);
}

/* Starts like a number in YAML 1.1 or 1.2 and contains nothing that rules it out. */
static bool looks_numeric(const char *s, size_t len)
{
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (i >= len || !(s[i] == '.' || (s[i] >= '0' && s[i] <= '9')))
        return false;
    for (; i < len; i++)
        if (!strchr("0123456789abcdefABCDEFxXoO_.:+-", s[i]))
            return false;
    return true;
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

static bool plain_safe(const char *s, size_t len)
{
    if (len == 0 || reserved_word(s, len) || looks_numeric(s, len) || has_unprintable(s, len))
        return false;
    if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) || s[len - 1] == ' ' || s[len - 1] == ':')
        return false;
    for (size_t i = 0; i + 1 < len; i++)
        if ((s[i] == ':' && s[i + 1] == ' ') || (s[i] == ' ' && s[i + 1] == '#'))
            return false;
    return true;
}

/* A one-line text (optionally ending in one newline) that folds back exactly. */
static bool foldable(const char *s, size_t len)
{
    size_t body = len && s[len - 1] == '\n' ? len - 1 : len;
    if (body < FOLD_MIN_LEN || memchr(s, '\n', body) || has_unprintable(s, body))
        return false;
    if (s[0] == ' ' || s[body - 1] == ' ' || s[0] == '\t' || s[body - 1] == '\t')
        return false;
    return true;
}

static void put_indent(ivrsm_buf *b, int indent)
{
    for (int i = 0; i < indent; i++)
        ivrsm_buf_putc(b, ' ');
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

/* A cut point: a single space between two non-blank characters. */
static bool fold_point(const char *s, size_t start, size_t body, size_t i)
{
    return s[i] == ' ' && i > start && s[i - 1] != ' ' && s[i - 1] != '\t' && i + 1 < body &&
           s[i + 1] != ' ' && s[i + 1] != '\t';
}

/* Where the folded line starting at `start` ends: the last cut that keeps it within `width`. */
static size_t fold_line_end(const char *s, size_t start, size_t body, size_t width)
{
    size_t cut = 0, cols = 0;
    for (size_t i = start; i < body; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            cols++;
        if (!fold_point(s, start, body, i))
            continue;
        if (cols - 1 > width)
            return cut ? cut : i;
        cut = i;
    }
    return cols > width && cut ? cut : body;
}

/*
 * A folded scalar: ">" (or ">-" without a final newline), then the text cut
 * at single spaces between two non-blank characters; each cut reads back
 * as that one space.
 */
static void put_folded(ivrsm_buf *b, const char *s, size_t len, int indent)
{
    bool newline = s[len - 1] == '\n';
    size_t body = newline ? len - 1 : len;
    size_t width = FOLD_WIDTH > indent + 20 ? (size_t)(FOLD_WIDTH - indent) : 20;
    ivrsm_buf_puts(b, newline ? ">\n" : ">-\n");
    for (size_t start = 0; start < body;) {
        size_t end = fold_line_end(s, start, body, width);
        put_indent(b, indent);
        ivrsm_buf_append(b, s + start, end - start);
        ivrsm_buf_putc(b, '\n');
        start = end < body ? end + 1 : body;
    }
}

static void put_string(ivrsm_buf *b, const char *s, size_t len, int indent, bool allow_fold)
{
    if (allow_fold && foldable(s, len)) {
        put_folded(b, s, len, indent);
        return;
    }
    if (plain_safe(s, len))
        ivrsm_buf_append(b, s, len);
    else
        put_double_quoted(b, s, len);
    ivrsm_buf_putc(b, '\n');
}

/* --- YAML: nodes ---------------------------------------------------------------------- */

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

static void put_scalar(ivrsm_buf *b, const dom_node *n, int indent)
{
    switch ((dom_kind)n->kind) {
    case DOM_NULL:
        ivrsm_buf_puts(b, "null\n");
        return;
    case DOM_BOOL:
        ivrsm_buf_puts(b, n->as.boolean ? "true\n" : "false\n");
        return;
    case DOM_INT:
        if (n->text && core_number_text(n->text) && !strpbrk(n->text, ".eE"))
            ivrsm_buf_printf(b, "%s\n", n->text);
        else
            ivrsm_buf_printf(b, "%" PRId64 "\n", n->as.integer);
        return;
    case DOM_REAL:
        if (!isfinite(n->as.real))
            ivrsm_buf_puts(b, isnan(n->as.real) ? ".nan\n" : n->as.real > 0 ? ".inf\n" : "-.inf\n");
        else if (n->text && core_number_text(n->text))
            ivrsm_buf_printf(b, "%s\n", n->text);
        else
            ivrsm_buf_printf(b, "%.*g\n", real_digits(n->as.real), n->as.real);
        return;
    case DOM_STRING:
        put_string(b, n->text, n->len, indent, true);
        return;
    default:
        return;
    }
}

static void put_node(ivrsm_buf *b, const dom_node *n, int indent);

static void put_key(ivrsm_buf *b, const dom_pair *p, int indent)
{
    put_indent(b, indent);
    if (p->key_len > IMPLICIT_KEY_MAX) {
        /* Too long for an implicit key: the explicit "? key" form. */
        ivrsm_buf_puts(b, "? ");
        put_double_quoted(b, p->key, p->key_len);
        ivrsm_buf_putc(b, '\n');
        put_indent(b, indent);
        ivrsm_buf_putc(b, ':');
    } else if (plain_safe(p->key, p->key_len)) {
        ivrsm_buf_append(b, p->key, p->key_len);
        ivrsm_buf_putc(b, ':');
    } else {
        put_double_quoted(b, p->key, p->key_len);
        ivrsm_buf_putc(b, ':');
    }
}

/* The value after "key:" or "- ": on the same line, or below at `indent`. */
static void put_value(ivrsm_buf *b, const dom_node *v, int indent)
{
    if ((v->kind == DOM_MAP || v->kind == DOM_LIST) && v->count == 0) {
        ivrsm_buf_puts(b, v->kind == DOM_MAP ? " {}\n" : " []\n");
    } else if (v->kind == DOM_MAP || v->kind == DOM_LIST) {
        ivrsm_buf_putc(b, '\n');
        put_node(b, v, indent);
    } else {
        ivrsm_buf_putc(b, ' ');
        put_scalar(b, v, indent);
    }
}

static void put_map(ivrsm_buf *b, const dom_node *n, int indent, bool first_inline)
{
    for (size_t i = 0; i < n->count; i++) {
        put_key(b, &n->pairs[i], (i == 0 && first_inline) ? 0 : indent);
        put_value(b, n->pairs[i].value, indent + 2);
    }
}

static void put_list(ivrsm_buf *b, const dom_node *n, int indent)
{
    for (size_t i = 0; i < n->count; i++) {
        const dom_node *item = n->items[i];
        put_indent(b, indent);
        ivrsm_buf_putc(b, '-');
        if (item->kind == DOM_MAP && item->count) {
            /* "- key: value" with the other keys aligned under the first. */
            ivrsm_buf_putc(b, ' ');
            put_map(b, item, indent + 2, true);
        } else {
            put_value(b, item, indent + 2);
        }
    }
}

static void put_node(ivrsm_buf *b, const dom_node *n, int indent)
{
    if (n->kind == DOM_MAP)
        put_map(b, n, indent, false);
    else if (n->kind == DOM_LIST)
        put_list(b, n, indent);
    else
        put_scalar(b, n, indent);
}

static int to_yaml(const dom_doc *doc, char **out, ivrsm_error *err)
{
    ivrsm_buf b = IVRSM_BUF_INIT;
    if (doc->root->kind == DOM_MAP && doc->root->count == 0)
        ivrsm_buf_puts(&b, "{}\n"); /* an empty block map would read back as nothing */
    else
        put_node(&b, doc->root, 0);
    char *text = ivrsm_buf_steal(&b);
    if (!text)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    *out = text;
    return 0;
}

/* --- Public ----------------------------------------------------------------------------- */

int ivrsm_convert_dom(const dom_doc *doc, ivrsm_format to, char **out, ivrsm_error *err)
{
    return to == IVRSM_FORMAT_JSON ? to_json(doc, out, err) : to_yaml(doc, out, err);
}

int ivrsm_convert_file(const char *path, ivrsm_format from, ivrsm_format to, char **out,
                       ivrsm_error *err)
{
    if (!path || !out || (to != IVRSM_FORMAT_YAML && to != IVRSM_FORMAT_JSON) ||
        from < IVRSM_FORMAT_AUTO || from > IVRSM_FORMAT_JSON)
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, path, 0, 0, "", "invalid argument");
    char *data;
    size_t len;
    int rc = ivrsm_dom_read_file(path, &data, &len, err);
    if (rc)
        return rc;
    if (from == IVRSM_FORMAT_AUTO)
        from = ivrsm_dom_format_for_path(path);
    dom_doc *doc;
    rc = ivrsm_dom_load(data, len, from, path, &doc, err);
    free(data);
    if (rc)
        return rc;
    rc = ivrsm_convert_dom(doc, to, out, err);
    ivrsm_dom_free(doc);
    return rc;
}
