/*
 * The plain YAML of machine files, read straight into the document tree.
 *
 * Machine files use a small part of YAML: block maps and lists, plain and
 * quoted one-line scalars, one-line flow lists and maps of scalars, and
 * folded or literal block scalars of even indentation, with comments. That
 * part is read here in one pass over the text, about ten times cheaper than
 * libfyaml's tokens and events. Anything else (anchors, aliases, tags,
 * merge keys, multi-line plain or quoted scalars, explicit keys, tabs,
 * documents markers, empty values, more-indented block lines...) and every
 * mistake, a duplicate key or a bound of the document included, make this
 * reader give up (YAML_FAST_UNSUPPORTED) without a word: load_yaml.c then
 * reads the whole text with libfyaml, and its messages, positions and
 * checks are the document's. What this reader accepts it builds exactly as
 * load_yaml.c would, node for node, position for position
 * (tests/test_yaml_fast.c compares both on every YAML file of the sources,
 * and on mutations of them).
 */
#include <string.h>

#include "buf.h"
#include "bytes.h"
#include "dom.h"
#include "mem.h"
#include "text.h"
#include "yaml_core.h"
#include "yaml_fast.h"

typedef struct fast {
    dom_doc *doc;
    const char *s;
    size_t len;
    size_t at;         /* the cursor */
    size_t line_start; /* where the cursor's line starts */
    int line;          /* 1-based, of the cursor */
    int indent;        /* of the content line the cursor is on; -1 at the end */
    size_t col_at;     /* the last place a column was counted for, and that column */
    int col;
    /* Text known to be ASCII, where a column is a count of bytes: [ascii_from, ascii_to),
     * ascii_to the next byte that is not (or the end). */
    size_t ascii_from, ascii_to;
    int depth;
    size_t nodes;    /* as load_yaml.c counts them: IVRSM_MAX_NODES */
    size_t bytes;    /* text of scalars and keys: IVRSM_MAX_EXPANDED_BYTES */
    dom_pair *pairs; /* the pairs of the open maps, innermost last */
    size_t npairs, pairs_cap;
    dom_node **items; /* the items of the open lists */
    size_t nitems, items_cap;
    ivrsm_buf text;  /* an escaped or block scalar's text */
    int status;      /* 0, YAML_FAST_UNSUPPORTED or IVRSM_ENOMEM */
    bool key_quoted; /* the last key read was quoted */
} fast;

static dom_node *give_up(fast *f)
{
    if (!f->status)
        f->status = YAML_FAST_UNSUPPORTED;
    return NULL;
}

static dom_node *no_memory(fast *f)
{
    f->status = IVRSM_ENOMEM;
    return NULL;
}

static bool at_end(const fast *f)
{
    return f->at >= f->len;
}

static char peek(const fast *f, size_t i)
{
    return i < f->len ? f->s[i] : '\0';
}

/*
 * 1-based column in characters of byte `pos` of the cursor's line, counted
 * on from the last column asked on that line: a long line is counted once.
 */
static int column_of(fast *f, size_t pos)
{
    size_t i = f->line_start;
    int col = 1;
    if (f->col_at >= f->line_start && f->col_at <= pos) {
        i = f->col_at;
        col = f->col;
    }
    size_t n = pos - i;
    if (i >= f->ascii_from && pos <= f->ascii_to) {
        col += (int)n;
        f->col_at = pos;
        f->col = col;
        return col;
    }
    f->ascii_from = pos;
    f->ascii_to = pos + ivrsm_utf8_ascii_run(f->s + pos, f->len - pos);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n < 8 && f->len - i >= 8) {
        /* A short span (the usual one) in one word read from the text, the bytes past it
         * masked off: bytes of zero are no continuation bytes. */
        uint64_t x;
        memcpy(&x, f->s + i, sizeof(x));
        x &= n ? ~0ULL >> (64 - 8 * n) : 0;
        col += (int)(n - ivrsm_utf8_continuations(x));
    } else
#endif
        col += (int)ivrsm_utf8_count(f->s + i, n);
    f->col_at = pos;
    f->col = col;
    return col;
}

/*
 * The bytes plain_text() stops at: control characters but the line feed,
 * DEL, and the lead bytes of the sequences it refuses (0xC2 of the C1
 * controls, 0xE2 of the line and paragraph separators, 0xEF of a byte order
 * mark and of U+FFFE/U+FFFF). In valid UTF-8 those three are always lead
 * bytes, so the text is scanned without following its sequences.
 */
#define MAYBE_LEFT_TO_LIBFYAML(b)                                                                  \
    ((((b) < 0x20) & ((b) != '\n')) | ((b) == 0x7F) | ((b) == 0xC2) | ((b) == 0xE2) | ((b) == 0xEF))
IVRSM_BYTE_SCAN(next_suspect, MAYBE_LEFT_TO_LIBFYAML)

/*
 * Bytes this reader leaves to libfyaml wherever they are: tabs, carriage
 * returns and other control characters, C1 controls (NEL among them), the
 * line and paragraph separators, a byte order mark inside the text, and
 * U+FFFE/U+FFFF. The text is already valid UTF-8 without NUL (load.c).
 */
static bool plain_text(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = next_suspect(s, len); i < len; i += 1 + next_suspect(s + i + 1, len - i - 1)) {
        unsigned char c = u[i];
        if (c < 0x80)
            return false;
        if (c == 0xC2 && i + 1 < len && u[i + 1] < 0xA0)
            return false;
        if (c == 0xE2 && i + 2 < len && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))
            return false;
        if (c == 0xEF && i + 2 < len &&
            ((u[i + 1] == 0xBB && u[i + 2] == 0xBF) ||
             (u[i + 1] == 0xBF && (u[i + 2] == 0xBE || u[i + 2] == 0xBF))))
            return false;
    }
    return true;
}

/* --- Lines -------------------------------------------------------------------- */

static void pass_newline(fast *f)
{
    f->at++;
    f->line++;
    f->line_start = f->at;
}

/*
 * From the start of a line, skip blank and comment lines: the cursor ends on
 * the first character of the next content line, f->indent its indentation,
 * or at the end (f->indent -1). Document markers are left to libfyaml.
 */
#define NOT_SPACE(b) ((b) != ' ')
IVRSM_BYTE_SCAN(spaces, NOT_SPACE)

static bool next_content(fast *f)
{
    for (;;) {
        /* An indentation, up to sixteen spaces at a step. */
        size_t i = f->at + spaces(f->s + f->at, f->len - f->at);
        if (i >= f->len) {
            f->at = f->len;
            f->indent = -1;
            return true;
        }
        if (f->s[i] == '\n' || f->s[i] == '#') {
            const char *nl = memchr(f->s + i, '\n', f->len - i);
            f->at = nl ? (size_t)(nl - f->s) : f->len;
            if (nl)
                pass_newline(f);
            continue;
        }
        f->at = i;
        f->indent = (int)(i - f->line_start);
        if (f->indent == 0 && i + 3 <= f->len &&
            (!memcmp(f->s + i, "---", 3) || !memcmp(f->s + i, "...", 3)))
            return false;
        return true;
    }
}

/* After a value: blanks, maybe a comment, then the line's end. */
static bool end_of_line(fast *f)
{
    while (!at_end(f) && f->s[f->at] == ' ')
        f->at++;
    if (at_end(f))
        return true;
    if (f->s[f->at] == '#') {
        if (f->s[f->at - 1] != ' ')
            return false;
        const char *nl = memchr(f->s + f->at, '\n', f->len - f->at);
        f->at = nl ? (size_t)(nl - f->s) : f->len;
    }
    if (at_end(f))
        return true;
    if (f->s[f->at] != '\n')
        return false;
    pass_newline(f);
    return true;
}

static bool seq_entry_here(const fast *f)
{
    char next = peek(f, f->at + 1);
    return peek(f, f->at) == '-' && (next == ' ' || next == '\n' || f->at + 1 >= f->len);
}

/* --- Nodes -------------------------------------------------------------------- */

static bool count_node(fast *f, size_t bytes)
{
    f->nodes++;
    f->bytes += bytes;
    return f->nodes <= IVRSM_MAX_NODES && f->bytes <= IVRSM_MAX_EXPANDED_BYTES;
}

/* A scalar node of text t[0..len), typed by the core schema when plain. */
static dom_node *scalar(fast *f, const char *t, size_t len, dom_style style, int line, int col)
{
    if (len > IVRSM_MAX_STRING_BYTES || !count_node(f, len))
        return give_up(f);
    dom_node *n = ivrsm_dom_new_string(f->doc, t, len, line, col);
    if (!n)
        return no_memory(f);
    n->bytes = len;
    n->style = style;
    n->no_refs = !ivrsm_dom_text_has_ref(t, len);
    if (style == DOM_STYLE_PLAIN && !ivrsm_yaml_core_type_node(n))
        return give_up(f);
    return n;
}

/* What a plain key may hold: 1 anywhere (letters, digits, `_ $ /`, and non-ASCII), 2 after
 * its first character (`- . +`). */
static const uint8_t key_chars[128] = {
    ['$'] = 1, ['/'] = 1, ['_'] = 1, ['-'] = 2, ['.'] = 2, ['+'] = 2, ['0'] = 1, ['1'] = 1,
    ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static uint8_t key_char(unsigned char c)
{
    return c >= 0x80 ? 1 : key_chars[c];
}

static size_t key_end(const fast *f, size_t i)
{
    if (i >= f->len || key_char((unsigned char)f->s[i]) != 1)
        return 0;
    for (i++; i < f->len; i++) {
        unsigned char c = (unsigned char)f->s[i];
        if (key_char(c))
            continue;
        if (c == ' ' && peek(f, i + 1) != '#' && peek(f, i + 1) != ' ' && peek(f, i + 1) != ':')
            continue;
        if (c != ':')
            return 0;
        char next = peek(f, i + 1);
        return next == ' ' || next == '\n' || i + 1 >= f->len ? i : 0;
    }
    return 0;
}

/* The end of a quoted scalar: its closing quote at `close`, the text after the last escape at
 * `run`. */
static bool quoted_text(fast *f, size_t open, size_t close, size_t run, bool escaped,
                        const char **t, size_t *len)
{
    *t = f->s + open + 1;
    *len = close - open - 1;
    if (escaped) {
        ivrsm_buf_append(&f->text, f->s + run, close - run);
        *t = ivrsm_buf_str(&f->text);
        *len = f->text.len;
    }
    f->at = close + 1;
    return !f->text.failed;
}

/* The bytes the quoted scans stop at: their quote, an escape, the line's end. */
#define DOUBLE_QUOTED_STOP(b) (((b) == '"') | ((b) == '\\') | ((b) == '\n'))
#define SINGLE_QUOTED_STOP(b) (((b) == '\'') | ((b) == '\n'))
IVRSM_BYTE_SCAN(double_quoted_stop, DOUBLE_QUOTED_STOP)
IVRSM_BYTE_SCAN(single_quoted_stop, SINGLE_QUOTED_STOP)

/*
 * The text of a double-quoted scalar on one line, common escapes only, in
 * *t (the source, or f->text when escaped); the cursor ends past the quote.
 */
static bool scan_double(fast *f, const char **t, size_t *len)
{
    size_t open = f->at, i = open + 1;
    ivrsm_buf_reset(&f->text);
    bool escaped = false;
    size_t run = i;
    for (;; i++) {
        i += double_quoted_stop(f->s + i, f->len - i);
        if (i >= f->len || f->s[i] == '\n')
            return false;
        if (f->s[i] == '"')
            break;
        escaped = true;
        ivrsm_buf_append(&f->text, f->s + run, i - run);
        char e = peek(f, i + 1);
        const char *one = e == '"'    ? "\""
                          : e == '\\' ? "\\"
                          : e == '/'  ? "/"
                          : e == 'n'  ? "\n"
                          : e == 't'  ? "\t"
                                      : NULL;
        if (!one)
            return false;
        ivrsm_buf_putc(&f->text, one[0]);
        i++;
        run = i + 1;
    }
    return quoted_text(f, open, i, run, escaped, t, len);
}

/* The text of a single-quoted scalar on one line ('' is a quote), as scan_double(). */
static bool scan_single(fast *f, const char **t, size_t *len)
{
    size_t open = f->at, i = open + 1;
    ivrsm_buf_reset(&f->text);
    bool escaped = false;
    size_t run = i;
    for (;; i++) {
        i += single_quoted_stop(f->s + i, f->len - i);
        if (i >= f->len || f->s[i] == '\n')
            return false;
        if (peek(f, i + 1) != '\'')
            break;
        escaped = true;
        ivrsm_buf_append(&f->text, f->s + run, i + 1 - run);
        i++;
        run = i + 1;
    }
    return quoted_text(f, open, i, run, escaped, t, len);
}

/* A quoted scalar at the cursor, as a node. */
static dom_node *quoted(fast *f)
{
    int col = column_of(f, f->at);
    const char *t;
    size_t len;
    bool ok = f->s[f->at] == '"' ? scan_double(f, &t, &len) : scan_single(f, &t, &len);
    if (f->text.failed)
        return no_memory(f);
    return ok ? scalar(f, t, len, DOM_STYLE_QUOTED, f->line, col) : give_up(f);
}

/* The bytes a plain scalar's scan stops at: the line's end, and what may end the scalar or
 * make it something else (`#`, `:`, in a flow also `, ] } [ {`). */
#define PLAIN_BLOCK_STOP(b) (((b) == '\n') | ((b) == '#') | ((b) == ':'))
#define PLAIN_FLOW_STOP(b)                                                                         \
    (PLAIN_BLOCK_STOP(b) | ((b) == ',') | ((b) == ']') | ((b) == '}') | ((b) == '[') | ((b) == '{'))
IVRSM_BYTE_SCAN(plain_block_stop, PLAIN_BLOCK_STOP)
IVRSM_BYTE_SCAN(plain_flow_stop, PLAIN_FLOW_STOP)

/* Where the plain scalar starting at `start` ends, its last blanks not cut yet, in *end;
 * false when what follows makes it something else. */
static bool plain_end(const fast *f, size_t start, bool flow, size_t *end)
{
    for (size_t i = start;; i++) {
        i += flow ? plain_flow_stop(f->s + i, f->len - i) : plain_block_stop(f->s + i, f->len - i);
        *end = i;
        if (i >= f->len) {
            *end = f->len;
            return true;
        }
        char c = f->s[i];
        if (c == '#') {
            /* A comment after a blank (never at the start: `#` first gave up before). */
            if (f->s[i - 1] == ' ') {
                *end = i - 1;
                return true;
            }
            if (flow)
                return false;
        } else if (c == ':') {
            char next = peek(f, i + 1);
            if (flow || next == ' ' || next == '\n' || i + 1 >= f->len)
                return false;
        } else {
            return c != '[' && c != '{'; /* the line's end, or `, ] }` in a flow */
        }
    }
}

/* YAML's indicators, which a plain scalar cannot start with (`-` only when no blank or end of
 * a flow follows), and the NUL peek() gives past the text's end. A table: every plain scalar
 * of a document is tested. */
static const bool indicators[128] = {
    [0] = true,    ['-'] = true, ['?'] = true, [':'] = true, [','] = true,
    ['['] = true,  [']'] = true, ['{'] = true, ['}'] = true, ['#'] = true,
    ['&'] = true,  ['*'] = true, ['!'] = true, ['|'] = true, ['>'] = true,
    ['\''] = true, ['"'] = true, ['%'] = true, ['@'] = true, ['`'] = true,
};

/*
 * A plain scalar on one line. In a block it ends at the line's end or a
 * comment; in a flow at `,`, `]` or `}`. What could make it something else
 * (an indicator first, `: ` inside, flow indicators in a flow) gives up.
 */
static dom_node *plain(fast *f, bool flow)
{
    size_t start = f->at;
    char c = peek(f, start), next = peek(f, start + 1);
    if ((unsigned char)c < 0x80 && indicators[(unsigned char)c]) {
        if (c != '-' || next == ' ' || next == '\n' || next == '\0' || next == ',' || next == ']' ||
            next == '}')
            return give_up(f);
    }
    size_t i;
    if (!plain_end(f, start, flow, &i))
        return give_up(f);
    size_t end = i;
    while (end > start && f->s[end - 1] == ' ')
        end--;
    f->at = i;
    return scalar(f, f->s + start, end - start, DOM_STYLE_PLAIN, f->line, column_of(f, start));
}

static dom_node *flow_list(fast *f);
static dom_node *flow_map(fast *f);

/* A flow node (an item of a flow list or a value of a flow map). */
static dom_node *flow_node(fast *f)
{
    char c = peek(f, f->at);
    if (c == '"' || c == '\'')
        return quoted(f);
    if (c == '[')
        return flow_list(f);
    if (c == '{')
        return flow_map(f);
    return plain(f, true);
}

static void skip_spaces(fast *f)
{
    while (!at_end(f) && f->s[f->at] == ' ')
        f->at++;
}

static dom_node *container(fast *f, dom_kind kind, int line, int col)
{
    if (f->depth >= IVRSM_MAX_DEPTH || !count_node(f, 0))
        return give_up(f);
    dom_node *n = ivrsm_dom_new_node(f->doc, kind, line, col);
    if (!n)
        return no_memory(f);
    n->no_refs = 1;
    return n;
}

/* Child `v` joins a container's totals, as load_yaml.c's add_value() counts. */
static void add_child(dom_node *parent, const dom_node *v, size_t key_len)
{
    parent->weight += v->weight;
    parent->bytes += v->bytes + key_len;
    parent->no_refs &= v->no_refs;
    uint16_t h = (uint16_t)((v->kind == DOM_MAP || v->kind == DOM_LIST ? v->height : 0) + 1);
    if (h > parent->height)
        parent->height = h;
}

static bool push_item(fast *f, dom_node *list, dom_node *v)
{
    if (ivrsm_mem_grow(f->doc->mem, (void **)&f->items, &f->items_cap, f->nitems, sizeof(*f->items),
                       32) != 0)
        return no_memory(f), false;
    f->items[f->nitems++] = v;
    add_child(list, v, 0);
    return true;
}

static dom_pair *push_pair(fast *f, const char *key, size_t key_len, int line, int col)
{
    if (f->bytes + key_len > IVRSM_MAX_EXPANDED_BYTES || key_len > IVRSM_MAX_STRING_BYTES)
        return give_up(f), NULL;
    f->bytes += key_len;
    if (ivrsm_mem_grow(f->doc->mem, (void **)&f->pairs, &f->pairs_cap, f->npairs, sizeof(*f->pairs),
                       32) != 0)
        return no_memory(f), NULL;
    char *copy = ivrsm_arena_strndup(f->doc->arena, key, key_len);
    if (!copy)
        return no_memory(f), NULL;
    dom_pair *p = &f->pairs[f->npairs++];
    *p = (dom_pair){copy, key_len, line, col, NULL};
    return p;
}

/*
 * A key at the cursor, plain or quoted, then ':' and a blank (in a block,
 * also the line's end), pushed as the pending pair of the innermost map;
 * the cursor ends past the ':'. NULL when there is no such key.
 */
static dom_pair *read_key(fast *f, bool flow)
{
    int line = f->line, col = column_of(f, f->at);
    const char *t;
    size_t len;
    char c = peek(f, f->at);
    f->key_quoted = c == '"' || c == '\'';
    if (f->key_quoted) {
        bool ok = c == '"' ? scan_double(f, &t, &len) : scan_single(f, &t, &len);
        if (f->text.failed)
            return no_memory(f), NULL;
        char next = peek(f, f->at + 1);
        if (!ok || peek(f, f->at) != ':' ||
            !(next == ' ' || (!flow && (next == '\n' || f->at + 1 >= f->len))))
            return give_up(f), NULL;
        if (memchr(t, '\0', len))
            return give_up(f), NULL;
    } else {
        size_t colon = key_end(f, f->at);
        if (!colon || (flow && peek(f, colon + 1) != ' '))
            return give_up(f), NULL;
        t = f->s + f->at;
        len = colon - f->at;
        f->at = colon;
    }
    f->at++;
    return push_pair(f, t, len, line, col);
}

/* Whether the quoted scalar at the cursor is followed by ':' and a blank: a key. */
static bool quoted_key_here(const fast *f)
{
    char q = f->s[f->at];
    for (size_t i = f->at + 1; i < f->len && f->s[i] != '\n'; i++) {
        if (q == '"' && f->s[i] == '\\') {
            i++;
            continue;
        }
        if (f->s[i] != q)
            continue;
        if (q == '\'' && peek(f, i + 1) == '\'') {
            i++;
            continue;
        }
        char next = peek(f, i + 2);
        return peek(f, i + 1) == ':' && (next == ' ' || next == '\n' || i + 2 >= f->len);
    }
    return false;
}

/* Move the list's items (from `base` on) into the document. */
static dom_node *close_list(fast *f, dom_node *list, size_t base)
{
    list->count = f->nitems - base;
    if (list->count) {
        list->items = ivrsm_arena_alloc(f->doc->arena, list->count * sizeof(*list->items));
        if (!list->items)
            return no_memory(f);
        memcpy(list->items, f->items + base, list->count * sizeof(*list->items));
    }
    f->nitems = base;
    if (!list->height)
        list->height = 1;
    return list;
}

/* Move the map's pairs into the document; a duplicate key gives up. */
static dom_node *close_map(fast *f, dom_node *map, size_t base)
{
    map->count = f->npairs - base;
    if (map->count) {
        map->pairs = ivrsm_arena_alloc(f->doc->arena, map->count * sizeof(*map->pairs));
        if (!map->pairs)
            return no_memory(f);
        memcpy(map->pairs, f->pairs + base, map->count * sizeof(*map->pairs));
    }
    f->npairs = base;
    if (!map->height)
        map->height = 1;
    size_t first, second;
    int rc = ivrsm_dom_finish_map(f->doc, map, &first, &second);
    if (rc < 0)
        return no_memory(f);
    return rc ? give_up(f) : map;
}

/* `[a, "b", {c: 1}]` on one line. */
static dom_node *flow_list(fast *f)
{
    dom_node *list = container(f, DOM_LIST, f->line, column_of(f, f->at));
    if (!list)
        return NULL;
    size_t base = f->nitems;
    f->depth++;
    f->at++;
    skip_spaces(f);
    if (peek(f, f->at) == ']') {
        f->at++;
        f->depth--;
        return close_list(f, list, base);
    }
    for (;;) {
        dom_node *v = flow_node(f);
        if (!v || !push_item(f, list, v))
            return NULL;
        skip_spaces(f);
        char c = peek(f, f->at);
        if (c == ']')
            break;
        if (c != ',')
            return give_up(f);
        f->at++;
        skip_spaces(f);
        if (peek(f, f->at) == ']')
            return give_up(f);
    }
    f->at++;
    f->depth--;
    return close_list(f, list, base);
}

/* `{a: 1, "b": [x]}` on one line. */
static dom_node *flow_map(fast *f)
{
    dom_node *map = container(f, DOM_MAP, f->line, column_of(f, f->at));
    if (!map)
        return NULL;
    size_t base = f->npairs;
    f->depth++;
    f->at++;
    skip_spaces(f);
    if (peek(f, f->at) == '}') {
        f->at++;
        f->depth--;
        return close_map(f, map, base);
    }
    for (;;) {
        if (!read_key(f, true))
            return NULL;
        skip_spaces(f);
        char c = peek(f, f->at);
        if (c == ',' || c == '}')
            return give_up(f);
        dom_node *v = flow_node(f);
        if (!v)
            return NULL;
        f->pairs[f->npairs - 1].value = v;
        add_child(map, v, f->pairs[f->npairs - 1].key_len);
        skip_spaces(f);
        c = peek(f, f->at);
        if (c == '}')
            break;
        if (c != ',')
            return give_up(f);
        f->at++;
        skip_spaces(f);
        if (peek(f, f->at) == '}')
            return give_up(f);
    }
    f->at++;
    f->depth--;
    return close_map(f, map, base);
}

/*
 * A block scalar (`>` or `|`, maybe `-` or `+`) whose lines are all indented
 * alike, deeper than `parent`, with empty lines only between them. The
 * cursor ends at the start of the line after it.
 */
static dom_node *block_scalar(fast *f, int parent)
{
    char style = f->s[f->at];
    int line = f->line, col = column_of(f, f->at);
    f->at++;
    char chomping = peek(f, f->at);
    if (chomping == '-' || chomping == '+')
        f->at++;
    else
        chomping = 0;
    skip_spaces(f);
    if (peek(f, f->at) != '\n')
        return give_up(f);
    pass_newline(f);
    ivrsm_buf_reset(&f->text);
    size_t indent = 0, empties = 0;
    bool first = true, last_break = false;
    while (!at_end(f)) {
        size_t i = f->at;
        while (i < f->len && f->s[i] == ' ')
            i++;
        size_t sp = i - f->at;
        if (i >= f->len || f->s[i] == '\n') {
            if (first || sp > indent || (sp && i >= f->len))
                return give_up(f); /* blanks that end the text: libfyaml's chomping differs */
            if (i >= f->len)
                break;
            empties++;
            f->at = i;
            pass_newline(f);
            continue;
        }
        if (first) {
            if ((int)sp <= parent)
                return give_up(f);
            indent = sp;
        }
        if (sp < indent) {
            if ((int)sp > parent)
                return give_up(f);
            break;
        }
        if (sp > indent)
            return give_up(f);
        const char *nl = memchr(f->s + i, '\n', f->len - i);
        size_t end = nl ? (size_t)(nl - f->s) : f->len;
        if (f->s[end - 1] == ' ')
            return give_up(f);
        if (!first) {
            if (style == '|')
                empties++;
            if (style == '>' && empties == 0)
                ivrsm_buf_putc(&f->text, ' ');
            while (empties--)
                ivrsm_buf_putc(&f->text, '\n');
        }
        empties = 0;
        ivrsm_buf_append(&f->text, f->s + i, end - i);
        first = false;
        last_break = nl != NULL;
        f->at = end;
        if (nl)
            pass_newline(f);
    }
    /* A last line without its line break is left to libfyaml, whose chomping differs there. */
    if (first || !last_break)
        return give_up(f);
    if (chomping != '-')
        ivrsm_buf_putc(&f->text, '\n');
    if (chomping == '+')
        while (empties--)
            ivrsm_buf_putc(&f->text, '\n');
    if (f->text.failed)
        return no_memory(f);
    return scalar(f, ivrsm_buf_str(&f->text), f->text.len, DOM_STYLE_BLOCK, line, col);
}

static dom_node *block_node(fast *f);
static dom_node *block_map(fast *f);

/*
 * A value that starts on the cursor's line (after `key: ` or `- `), in a
 * collection indented by `parent`. The cursor ends on the next content line.
 */
static dom_node *inline_value(fast *f, int parent)
{
    char c = f->s[f->at];
    if (c == '>' || c == '|') {
        dom_node *v = block_scalar(f, parent);
        return v && next_content(f) ? v : give_up(f);
    }
    dom_node *v = c == '"' || c == '\'' ? quoted(f)
                  : c == '['            ? flow_list(f)
                  : c == '{'            ? flow_map(f)
                                        : plain(f, false);
    if (!v)
        return NULL;
    if (!end_of_line(f) || !next_content(f) || f->indent > parent)
        return give_up(f);
    return v;
}

/*
 * The value after `key:` of a map indented by `indent`, the key at
 * line:column. Nothing there is null, placed where the key is.
 */
static dom_node *map_value(fast *f, int indent, int line, int column)
{
    skip_spaces(f);
    if (!at_end(f) && f->s[f->at] != '\n' && f->s[f->at] != '#')
        return inline_value(f, indent);
    if (!end_of_line(f) || !next_content(f))
        return give_up(f);
    if (f->indent > indent || (f->indent == indent && seq_entry_here(f)))
        return block_node(f);
    return scalar(f, "", 0, DOM_STYLE_PLAIN, line, column);
}

/* A block list whose `-` are at the cursor's indentation. */
static dom_node *block_list(fast *f)
{
    int indent = f->indent;
    dom_node *list = container(f, DOM_LIST, f->line, column_of(f, f->at));
    if (!list)
        return NULL;
    f->depth++;
    size_t base = f->nitems;
    for (;;) {
        f->at++;
        skip_spaces(f);
        dom_node *v;
        if (at_end(f) || f->s[f->at] == '\n' || f->s[f->at] == '#') {
            if (!end_of_line(f) || !next_content(f) || f->indent <= indent)
                return give_up(f);
            v = block_node(f);
        } else if (seq_entry_here(f)) {
            f->indent = (int)(f->at - f->line_start);
            v = block_list(f);
        } else if (key_end(f, f->at) ||
                   ((f->s[f->at] == '"' || f->s[f->at] == '\'') && quoted_key_here(f))) {
            f->indent = (int)(f->at - f->line_start);
            v = block_map(f);
        } else {
            v = inline_value(f, indent);
        }
        if (!v || !push_item(f, list, v))
            return NULL;
        if (f->indent == indent && seq_entry_here(f))
            continue;
        if (f->indent > indent)
            return give_up(f);
        break;
    }
    f->depth--;
    return close_list(f, list, base);
}

/* A block map whose keys are at the cursor's indentation. */
static dom_node *block_map(fast *f)
{
    int indent = f->indent;
    dom_node *map = container(f, DOM_MAP, f->line, column_of(f, f->at));
    if (!map)
        return NULL;
    f->depth++;
    size_t base = f->npairs;
    for (;;) {
        dom_pair *key = read_key(f, false);
        if (!key)
            return NULL;
        /* An empty value is placed where libfyaml's mark of the key is: inside its quotes. */
        dom_node *v = map_value(f, indent, key->line, key->column + f->key_quoted);
        if (!v)
            return NULL;
        key = &f->pairs[f->npairs - 1];
        key->value = v;
        add_child(map, v, key->key_len);
        if (f->indent == indent)
            continue;
        if (f->indent > indent)
            return give_up(f);
        break;
    }
    f->depth--;
    return close_map(f, map, base);
}

/* The block collection starting at the cursor (a content line's first character). */
static dom_node *block_node(fast *f)
{
    return seq_entry_here(f) ? block_list(f) : block_map(f);
}

int ivrsm_dom_load_yaml_fast(const char *data, size_t len, dom_doc *doc)
{
    if (!plain_text(data, len))
        return YAML_FAST_UNSUPPORTED;
    fast f = {.doc = doc, .s = data, .len = len, .line = 1, .col = 1};
    f.text.mem = doc->mem;
    dom_node *root = NULL;
    if (next_content(&f) && f.indent == 0 && !seq_entry_here(&f))
        root = block_map(&f);
    if (root && f.indent != -1)
        root = give_up(&f);
    ivrsm_mem_free(doc->mem, f.pairs);
    ivrsm_mem_free(doc->mem, f.items);
    ivrsm_buf_free(&f.text);
    if (!root)
        return f.status ? f.status : YAML_FAST_UNSUPPORTED;
    doc->root = root;
    doc->node_count = f.nodes;
    doc->bytes = f.bytes;
    return 0;
}
