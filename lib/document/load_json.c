/*
 * JSON → dom.
 *
 * jansson parses (strictly, duplicate keys refused) and reports syntax errors
 * with their position. It keeps no positions in its values, so a second
 * pass walks the text alongside the parsed tree: the text is known to be
 * valid JSON and jansson keeps object members in document order, so one
 * linear scan finds where every value and every key starts.
 *
 * jansson recurses while parsing (up to depth 2048) and builds the whole tree
 * before we can count it; a pre-scan refuses anything nested deeper than
 * IVRSM_MAX_DEPTH or holding more than IVRSM_MAX_NODES values first.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "dom.h"
#include "json_fast.h"
#include "json_scan.h"
#include "syntax_hints.h"
#include "utf8.h"

typedef struct json_reader {
    dom_doc *doc;
    const char *data;
    size_t len;
    size_t at;  /* cursor in data */
    int line;   /* of the cursor, 1-based */
    int column; /* in characters, 1-based */
    bool lost;  /* the text no longer matches the tree: stop reporting positions */
    size_t nodes;
    ivrsm_error *err;
} json_reader;

static void advance(json_reader *r, size_t n)
{
    size_t end = r->at + n < r->len ? r->at + n : r->len;
    for (; r->at < end; r->at++) {
        unsigned char c = (unsigned char)r->data[r->at];
        if (c == '\n') {
            r->line++;
            r->column = 1;
        } else {
            r->column += (c & 0xC0) != 0x80;
        }
    }
}

static void skip_blank(json_reader *r)
{
    while (r->at < r->len) {
        char c = r->data[r->at];
        if (c == '\n') {
            r->line++;
            r->column = 1;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            r->column++;
        } else {
            return;
        }
        r->at++;
    }
}

/* Step over `c`, or note that positions can no longer be trusted. */
static void expect(json_reader *r, char c)
{
    skip_blank(r);
    if (r->at < r->len && r->data[r->at] == c)
        advance(r, 1);
    else
        r->lost = true;
}

/* Step over a string token; JSON strings hold no raw newline. */
static void skip_string(json_reader *r)
{
    if (r->at >= r->len || r->data[r->at] != '"') {
        r->lost = true;
        return;
    }
    size_t i = r->at + 1;
    int columns = 1;
    while (i < r->len && r->data[i] != '"') {
        if (r->data[i] == '\\' && i + 1 < r->len) {
            i += 2;
            columns += 2;
            continue;
        }
        columns += ((unsigned char)r->data[i] & 0xC0) != 0x80;
        i++;
    }
    r->column += columns + 1;
    r->at = i < r->len ? i + 1 : r->len;
}

static bool number_or_word_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' || c == '.' ||
           c == 'E';
}

static size_t token_length(const json_reader *r)
{
    size_t n = 0;
    while (r->at + n < r->len && number_or_word_char(r->data[r->at + n]))
        n++;
    return n;
}

/* --- Pre-scan -------------------------------------------------------------- */

/*
 * Before jansson builds anything: refuse nesting deeper than
 * IVRSM_MAX_DEPTH (jansson recurses) and more than IVRSM_MAX_NODES values
 * (jansson would allocate them all first). Every value but the root follows
 * a ':', a ',' inside a list, or the '[' of a non-empty list. Malformed text
 * is left to jansson to report.
 */
static int prescan(const char *data, size_t len, const char *name, ivrsm_error *err)
{
    char open[IVRSM_MAX_DEPTH + 1]; /* '[' or '{' of each open container */
    int depth = 0, line = 1, column = 1;
    size_t values = 1;
    bool in_string = false, list_start = false;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (list_start && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            values += c != ']';
            list_start = false;
        }
        if (in_string) {
            if (c == '\\' && i + 1 < len && data[i + 1] != '\n')
                i++, column++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (depth >= IVRSM_MAX_DEPTH)
                return ivrsm_diag_set_error(err, IVRSM_ELIMIT, name, line, column, "",
                                            "nesting deeper than %d levels", IVRSM_MAX_DEPTH);
            open[depth++] = c;
            list_start = c == '[';
        } else if (c == ']' || c == '}') {
            depth -= depth > 0;
        } else if (c == ':' || (c == ',' && depth > 0 && open[depth - 1] == '[')) {
            values++;
        }
        if (values > IVRSM_MAX_NODES)
            return ivrsm_diag_set_error(err, IVRSM_ELIMIT, name, line, column, "",
                                        "the document has more than %d nodes", IVRSM_MAX_NODES);
        if (c == '\n') {
            line++;
            column = 1;
        } else if (((unsigned char)c & 0xC0) != 0x80) {
            column++;
        }
    }
    return 0;
}

/* --- Tree conversion ------------------------------------------------------ */

static int fail(json_reader *r, int code, int line, int column, const char *message)
{
    return ivrsm_diag_set_error(r->err, code, r->doc->name, line, column, "", "%s", message);
}

static int convert(json_reader *r, json_t *v, dom_node **out);

/* What a child (and its key) adds to its container's weight, bytes and height. */
static void add_child(dom_node *n, const dom_node *child, size_t key_len)
{
    n->weight += child->weight;
    n->bytes += key_len + child->bytes;
    n->no_refs &= child->no_refs;
    if (child->height + 1 > n->height)
        n->height = (uint16_t)(child->height + 1);
}

static int convert_object(json_reader *r, json_t *v, dom_node *n)
{
    size_t count = json_object_size(v);
    n->pairs = count ? ivrsm_arena_alloc(r->doc->arena, count * sizeof(*n->pairs)) : NULL;
    if (count && !n->pairs)
        return fail(r, IVRSM_ENOMEM, 0, 0, "out of memory");
    expect(r, '{');
    const char *key;
    json_t *value;
    size_t i = 0;
    json_object_foreach(v, key, value)
    {
        dom_pair *p = &n->pairs[i++];
        skip_blank(r);
        p->line = r->lost ? 0 : r->line;
        p->column = r->lost ? 0 : r->column;
        skip_string(r);
        p->key_len = strlen(key);
        if (p->key_len > IVRSM_MAX_STRING_BYTES)
            return fail(r, IVRSM_ELIMIT, p->line, p->column, "a key longer than 65536 bytes");
        p->key = ivrsm_arena_strndup(r->doc->arena, key, p->key_len);
        if (!p->key)
            return fail(r, IVRSM_ENOMEM, 0, 0, "out of memory");
        expect(r, ':');
        int rc = convert(r, value, &p->value);
        if (rc)
            return rc;
        skip_blank(r);
        if (i < count)
            expect(r, ',');
        add_child(n, p->value, p->key_len);
    }
    n->count = count;
    expect(r, '}');
    return ivrsm_dom_index_map(r->doc, n) == 0 ? 0 : fail(r, IVRSM_ENOMEM, 0, 0, "out of memory");
}

static int convert_array(json_reader *r, json_t *v, dom_node *n)
{
    size_t count = json_array_size(v);
    n->items = count ? ivrsm_arena_alloc(r->doc->arena, count * sizeof(*n->items)) : NULL;
    if (count && !n->items)
        return fail(r, IVRSM_ENOMEM, 0, 0, "out of memory");
    expect(r, '[');
    for (size_t i = 0; i < count; i++) {
        int rc = convert(r, json_array_get(v, i), &n->items[i]);
        if (rc)
            return rc;
        if (i + 1 < count)
            expect(r, ',');
        add_child(n, n->items[i], 0);
    }
    n->count = count;
    expect(r, ']');
    return 0;
}

static int convert_scalar(json_reader *r, json_t *v, dom_node *n)
{
    if (json_is_string(v)) {
        size_t len = json_string_length(v);
        if (len > IVRSM_MAX_STRING_BYTES)
            return fail(r, IVRSM_ELIMIT, n->line, n->column, "a string longer than 65536 bytes");
        n->style = DOM_STYLE_QUOTED;
        n->text = ivrsm_arena_strndup(r->doc->arena, json_string_value(v), len);
        n->len = len;
        n->bytes = len;
        n->no_refs = n->text && !ivrsm_dom_text_has_ref(n->text, len);
        skip_string(r);
        return n->text ? 0 : fail(r, IVRSM_ENOMEM, 0, 0, "out of memory");
    }
    size_t tlen = token_length(r);
    n->text = ivrsm_arena_strndup(r->doc->arena, r->data + r->at, tlen);
    n->len = tlen;
    n->bytes = tlen;
    n->no_refs = 1;
    if (!n->text)
        return fail(r, IVRSM_ENOMEM, 0, 0, "out of memory");
    advance(r, tlen);
    if (json_is_integer(v)) {
        n->kind = DOM_INT;
        n->as.integer = json_integer_value(v);
    } else if (json_is_real(v)) {
        n->kind = DOM_REAL;
        n->as.real = json_real_value(v);
    } else if (json_is_boolean(v)) {
        n->kind = DOM_BOOL;
        n->as.boolean = json_is_true(v);
    } else {
        n->kind = DOM_NULL;
    }
    return 0;
}

static int convert(json_reader *r, json_t *v, dom_node **out)
{
    skip_blank(r);
    int line = r->lost ? 0 : r->line, column = r->lost ? 0 : r->column;
    if (++r->nodes > IVRSM_MAX_NODES)
        return ivrsm_diag_set_error(r->err, IVRSM_ELIMIT, r->doc->name, line, column, "",
                                    "the document has more than %d nodes", IVRSM_MAX_NODES);
    dom_kind kind = json_is_object(v) ? DOM_MAP : json_is_array(v) ? DOM_LIST : DOM_STRING;
    dom_node *n = ivrsm_dom_new_node(r->doc, kind, line, column);
    if (!n)
        return fail(r, IVRSM_ENOMEM, 0, 0, "out of memory");
    *out = n;
    n->no_refs = 1;
    if (kind == DOM_MAP) {
        n->height = 1;
        return convert_object(r, v, n);
    }
    if (kind == DOM_LIST) {
        n->height = 1;
        return convert_array(r, v, n);
    }
    return convert_scalar(r, v, n);
}

/* Offset of the opening quote of the key that ends just before `end`. */
static size_t key_start(const char *data, size_t end)
{
    size_t i = end;
    while (i > 0 && data[i - 1] != '"')
        i--;
    if (i < 2)
        return end;
    size_t j = i - 2; /* inside the key, before its closing quote */
    while (j > 0 && !(data[j] == '"' && data[j - 1] != '\\'))
        j--;
    return j;
}

/*
 * jansson says "duplicate object key near '"x"'" just after the key; say
 * which key, plainly, and point at its opening quote.
 */
static int syntax_error(const json_error_t *je, const char *data, size_t len, const char *name,
                        ivrsm_error *err)
{
    int line = je->line > 0 ? je->line : 1, column = je->column > 0 ? je->column : 1;
    const char *dup = strstr(je->text, "duplicate object key near '");
    if (dup) {
        size_t end = je->position > 0 && (size_t)je->position <= len ? (size_t)je->position : 0;
        if (end)
            column = ivrsm_utf8_column_at(data, key_start(data, end));
        const char *k = dup + strlen("duplicate object key near '");
        size_t n = strlen(k);
        if (n >= 3 && k[0] == '"' && k[n - 2] == '"' && k[n - 1] == '\'')
            return ivrsm_diag_set_error(err, IVRSM_ESYNTAX, name, line, column, "",
                                        "duplicate key '%.*s'", (int)(n - 3), k + 1);
    }
    int comment_line, comment_column;
    size_t at = je->position > 0 ? (size_t)je->position : 0;
    if (ivrsm_json_comment_at(data, len, at, &comment_line, &comment_column))
        return ivrsm_diag_set_error(err, IVRSM_ESYNTAX, name, comment_line, comment_column, "",
                                    "JSON syntax error: JSON has no comments: remove this one, "
                                    "or write the machine in YAML, where '#' starts a comment "
                                    "('ivrsm convert FILE --to yaml' converts a JSON machine)");
    char range[200];
    if (ivrsm_json_int_range_error(je->text, range, sizeof range))
        return ivrsm_diag_set_error(err, IVRSM_ESYNTAX, name, line, column, "", "%s", range);
    return ivrsm_diag_set_error(err, IVRSM_ESYNTAX, name, line, column, "", "JSON syntax error: %s",
                                je->text);
}

/* Whether jansson's allocator (the program's: json_set_alloc_funcs) fails a small block now. */
static int jansson_exhausted(void)
{
    json_malloc_t json_malloc;
    json_free_t json_free;
    json_get_alloc_funcs(&json_malloc, &json_free);
    void *probe = json_malloc(256);
    if (probe)
        json_free(probe);
    return probe == NULL;
}

int ivrsm_dom_load_json(const char *data, size_t len, dom_doc *doc, ivrsm_error *err)
{
    int rc = ivrsm_dom_load_json_fast(data, len, doc);
    if (rc == IVRSM_ENOMEM)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    if (rc != JSON_FAST_UNSUPPORTED)
        return rc;
    return ivrsm_dom_load_json_jansson(data, len, doc, err);
}

int ivrsm_dom_load_json_jansson(const char *data, size_t len, dom_doc *doc, ivrsm_error *err)
{
    ivrsm_error local;
    if (!err)
        err = &local;
    int rc = prescan(data, len, doc->name, err);
    if (rc)
        return rc;
    json_error_t je;
    /* jansson leaves the error untouched when it fails before starting to read. */
    memset(&je, 0, sizeof je);
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    /* jansson reports running out of memory with its own code, with no text
     * when it could not set up its reader, or as a syntax error when its
     * lexer could not grow a buffer. */
    if (!root && (json_error_code(&je) == json_error_out_of_memory || je.text[0] == '\0' ||
                  jansson_exhausted()))
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    if (!root)
        return syntax_error(&je, data, len, doc->name, err);
    json_reader r = {doc, data, len, 0, 1, 1, false, 0, err};
    rc = convert(&r, root, &doc->root);
    doc->node_count = r.nodes;
    doc->bytes = doc->root ? doc->root->bytes : 0;
    json_decref(root);
    return rc;
}
