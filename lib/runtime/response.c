/*
 * An action's answer, read once into what the state's outcomes use.
 *
 * The body is checked whole, as jansson's json_loadb(JSON_DECODE_ANY) would
 * check it (the same texts are JSON, the same are not: invalid_json stays
 * what it was), but of an object only the members the outcomes read are
 * built (m_state.resp_keys, known at load time); the others are checked and
 * skipped. A backend's answer is often far larger than what the call uses,
 * and building jansson values is most of the cost of an answer. Numbers
 * written with a fraction keep their text as they are built (numtext.c), so
 * the body is not scanned a second time.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json_scan.h"
#include "session.h"
#include "utf8.h"

#define MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

typedef struct reader {
    const char *p;
    const char *end;
    ivrsm_vstore *st; /* where values are built */
    bool texts;       /* reals keep their texts as written when said otherwise ("12.50") */
    ivrsm_buf text;   /* a string with escapes, decoded */
    ivrsm_buf items;  /* nodes of the open containers' items (u32), innermost last */
    int depth;
    int nesting;     /* objects and arrays open */
    int max_nesting; /* more open at once is refused (too_deep) */
    bool too_deep;
    bool nomem;
} reader;

/* A node put (rc of an ivrsm_vstore_put_*): 0, or -1 with r->nomem. */
static int built(reader *r, int rc)
{
    if (rc == 0)
        return 0;
    r->nomem = true;
    return -1;
}

static void skip_space(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

/* A string at r->p (after its opening quote), as ivrsm_json_scan_string(). -1 when invalid. */
static int read_string(reader *r, const char **s, size_t *len)
{
    if (ivrsm_json_scan_string(&r->p, r->end, &r->text, s, len) == 0)
        return 0;
    r->nomem = r->text.failed != 0;
    return -1;
}

/*
 * The value of a real s[0..len) (JSON's syntax, checked) into *out, as jansson reads it: its
 * strtod on the text. strtod is given the same digits and exponent without the decimal
 * point, which the C locale could change: the same decimal value, so the same double
 * (glibc's strtod rounds correctly), the same range. The digits are copied into stack
 * storage (the heap, on mem, only for a real past 120 bytes); jansson is not used, whose
 * lexer drops the digits it cannot store when memory runs out and reads a shorter number.
 * 0, 1 when the real lies beyond a double's range (jansson: "real number overflow"), or -1
 * when memory ran out.
 */
static int real_value(const ivrsm_mem *mem, const char *s, size_t len, double *out)
{
    char storage[128];
    ivrsm_buf b;
    ivrsm_buf_on(&b, mem, storage, sizeof storage);
    const char *p = s, *end = s + len;
    long long shift = 0; /* digits after the decimal point */
    bool fraction = false;
    for (; p < end && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.')
            fraction = true;
        else if (ivrsm_buf_putc(&b, *p) == 0)
            shift += fraction;
    }
    long long exponent = 0;
    bool negative = false;
    if (p < end && ++p < end && (*p == '+' || *p == '-'))
        negative = *p++ == '-';
    for (; p < end; p++)
        if (exponent < 100000000000LL) /* far past any double's, yet no overflow of its own */
            exponent = exponent * 10 + (*p - '0');
    ivrsm_buf_putc(&b, 'e');
    ivrsm_buf_int(&b, (negative ? -exponent : exponent) - shift);
    int rc = -1;
    if (!b.failed) {
        errno = 0;
        *out = strtod(ivrsm_buf_str(&b), NULL);
        rc = (*out == HUGE_VAL || *out == -HUGE_VAL) && errno == ERANGE;
    }
    ivrsm_buf_free(&b);
    return rc;
}

/* A number at r->p; built into *out unless out is NULL. -1 when invalid. */
static int read_number(reader *r, uint32_t *out)
{
    const char *start = r->p;
    bool real, exponent;
    const char *p = ivrsm_json_scan_number(start, r->end, &real, &exponent);
    if (!p)
        return -1;
    r->p = p;
    size_t len = (size_t)(p - start);
    if (!real) {
        json_int_t v;
        if (ivrsm_json_int_value(start, len, &v) != 0)
            return -1;
        return out ? built(r, ivrsm_vstore_put_integer(r->st, (int64_t)v, out)) : 0;
    }
    /* One without an exponent is too short to overflow when skipped. */
    if (!out && !exponent && len < 300)
        return 0;
    double d;
    int range = real_value(r->text.mem, start, len, &d);
    if (range != 0) {
        r->nomem = range < 0;
        return -1;
    }
    if (!out)
        return 0;
    char text[80];
    bool keep = r->texts && ivrsm_numtext_worth(d, start, len);
    if (keep) {
        memcpy(text, start, len); /* worth keeping: 64 bytes at most */
        text[len] = '\0';
    }
    return built(r, ivrsm_vstore_put_real(r->st, d, keep ? text : NULL, out));
}

static int read_value(reader *r, uint32_t *out, const m_state *keep);

static bool kept(const m_state *keep, const char *key, size_t len)
{
    if (!keep || keep->resp_whole)
        return true;
    for (size_t i = 0; i < keep->resp_key_count; i++)
        if (keep->resp_key_lens[i] == len && ivrsm_same_bytes(keep->resp_keys[i], key, len))
            return true;
    return false;
}

/* Whether the container ends at once: `close` right after its opening (consumed). */
static bool closes(reader *r, char close)
{
    skip_space(r);
    if (r->p >= r->end || *r->p != close)
        return false;
    r->p++;
    return true;
}

/* After an item of an object or array: 1 at ',' (another item follows), 0 at `close`, -1 at
 * anything else. The ',' or `close` is consumed. */
static int item_end(reader *r, char close)
{
    skip_space(r);
    if (r->p >= r->end || (*r->p != ',' && *r->p != close))
        return -1;
    return *r->p++ == ',';
}

/* A member's or an item's value: a string, the most common, read here without read_value()'s
 * frame (the same checks: its depth, then the string). */
static int read_item(reader *r, uint32_t *out)
{
    skip_space(r);
    if (r->p >= r->end || *r->p != '"' || r->depth + 1 > MAX_DEPTH)
        return read_value(r, out, NULL);
    r->p++;
    const char *s;
    size_t len;
    if (read_string(r, &s, &len) != 0)
        return -1;
    return out ? built(r, ivrsm_vstore_put_string(r->st, s, len, out)) : 0;
}

/* Push a node on the open containers' items. */
static inline int push_item(reader *r, uint32_t at)
{
    if (ivrsm_buf_reserve(&r->items, sizeof(at)) != 0) {
        r->nomem = true;
        return -1;
    }
    memcpy(r->items.data + r->items.len, &at, sizeof(at));
    r->items.len += sizeof(at);
    return 0;
}

/* The items pushed since `mark` (a byte offset in r->items). */
static uint32_t *items_from(reader *r, size_t mark, size_t *n)
{
    *n = (r->items.len - mark) / sizeof(uint32_t);
    return (uint32_t *)(void *)(r->items.data + mark);
}

static int compare_keys(const ivrsm_vstore *st, uint32_t a, uint32_t b)
{
    size_t la, lb;
    const char *ka = ivrsm_vstore_key(st, a, &la), *kb = ivrsm_vstore_key(st, b, &lb);
    int c = memcmp(ka, kb, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

static const ivrsm_vstore *sorted_store; /* qsort has no user pointer: set around its one call */

static int compare_key_nodes(const void *a, const void *b)
{
    return compare_keys(sorted_store, *(const uint32_t *)a, *(const uint32_t *)b);
}

static bool same_key(const ivrsm_vstore *st, uint32_t a, uint32_t b)
{
    size_t la, lb;
    const char *ka = ivrsm_vstore_key(st, a, &la), *kb = ivrsm_vstore_key(st, b, &lb);
    return la == lb && !memcmp(ka, kb, la);
}

/* 0 when the n keys of pairs (key, value, key, value...) differ, 1 when one repeats, -1 when
 * memory ran out. */
static int repeats_key(reader *r, const uint32_t *pairs, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++)
            for (size_t j = 0; j < i; j++)
                if (same_key(r->st, pairs[2 * i], pairs[2 * j]))
                    return 1;
        return 0;
    }
    uint32_t *keys = ivrsm_mem_malloc(r->text.mem, n * sizeof(*keys));
    if (!keys)
        return -1;
    for (size_t i = 0; i < n; i++)
        keys[i] = pairs[2 * i];
    sorted_store = r->st;
    qsort(keys, n, sizeof(*keys), compare_key_nodes);
    int found = 0;
    for (size_t i = 1; i < n && !found; i++)
        found = !compare_keys(r->st, keys[i - 1], keys[i]);
    ivrsm_mem_free(r->text.mem, keys);
    return found;
}

/*
 * A key met twice in one object keeps its first place and takes its last
 * value, as in jansson's objects: pairs[0..2n) made unique in place. Returns
 * how many members remain. Only for objects that repeat a key (rare).
 */
static size_t unique_members(const ivrsm_vstore *st, uint32_t *pairs, size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < kept && compare_keys(st, pairs[2 * j], pairs[2 * i]) != 0)
            j++;
        if (j < kept) {
            pairs[2 * j + 1] = pairs[2 * i + 1];
            continue;
        }
        pairs[2 * kept] = pairs[2 * i];
        pairs[2 * kept + 1] = pairs[2 * i + 1];
        kept++;
    }
    return kept;
}

/* An object after its '{'; only the members `keep` names are built (all when keep is NULL). */
static int read_object(reader *r, uint32_t *out, const m_state *keep)
{
    size_t mark = r->items.len;
    for (int more = !closes(r, '}'); more; more = item_end(r, '}')) {
        if (more < 0)
            goto fail;
        skip_space(r);
        if (r->p >= r->end || *r->p != '"')
            goto fail;
        r->p++;
        const char *key;
        size_t key_len;
        if (read_string(r, &key, &key_len) != 0)
            goto fail;
        bool build = out && kept(keep, key, key_len);
        uint32_t key_at = 0;
        /* The key is put before the value reuses r->text. */
        if (build && (built(r, ivrsm_vstore_put_key(r->st, key, key_len, &key_at)) != 0 ||
                      push_item(r, key_at) != 0))
            goto fail;
        skip_space(r);
        if (r->p >= r->end || *r->p != ':')
            goto fail;
        r->p++;
        uint32_t v = 0;
        if (read_item(r, build ? &v : NULL) != 0 || (build && push_item(r, v) != 0))
            goto fail;
    }
    if (out) {
        size_t n;
        uint32_t *pairs = items_from(r, mark, &n);
        n /= 2;
        int repeats = repeats_key(r, pairs, n);
        if (repeats < 0) {
            r->nomem = true;
            goto fail;
        }
        if (repeats)
            n = unique_members(r->st, pairs, n);
        if (built(r, ivrsm_vstore_put_members(r->st, pairs, n, out)) != 0)
            goto fail;
    }
    r->items.len = mark;
    return 0;
fail:
    r->items.len = mark;
    return -1;
}

static int read_array(reader *r, uint32_t *out)
{
    size_t mark = r->items.len;
    for (int more = !closes(r, ']'); more; more = item_end(r, ']')) {
        uint32_t v = 0;
        if (more < 0 || read_item(r, out ? &v : NULL) != 0 || (out && push_item(r, v) != 0))
            goto fail;
    }
    if (out) {
        size_t n;
        uint32_t *items = items_from(r, mark, &n);
        if (built(r, ivrsm_vstore_put_array(r->st, items, n, out)) != 0)
            goto fail;
    }
    r->items.len = mark;
    return 0;
fail:
    r->items.len = mark;
    return -1;
}

static int read_word(reader *r, const char *word, json_type type, uint32_t *out)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return -1;
    r->p += n;
    return out ? built(r, ivrsm_vstore_put_word(r->st, type, out)) : 0;
}

static int read_value(reader *r, uint32_t *out, const m_state *keep)
{
    skip_space(r);
    /* jansson counts every value, scalars too, against its depth. */
    if (r->p >= r->end || r->depth + 1 > MAX_DEPTH)
        return -1;
    r->depth++;
    int rc;
    bool put_back = true; /* jansson read one character too far, and put it back */
    switch (*r->p++) {
    case '{':
    case '[':
        put_back = false;
        if (++r->nesting > r->max_nesting) {
            r->too_deep = true;
            rc = -1;
        } else {
            rc = r->p[-1] == '{' ? read_object(r, out, keep) : read_array(r, out);
        }
        r->nesting--;
        break;
    case '"': {
        put_back = false;
        const char *s;
        size_t len;
        rc = read_string(r, &s, &len);
        if (rc == 0 && out)
            rc = built(r, ivrsm_vstore_put_string(r->st, s, len, out));
        break;
    }
    case 't':
        rc = read_word(r, "rue", JSON_TRUE, out);
        break;
    case 'f':
        rc = read_word(r, "alse", JSON_FALSE, out);
        break;
    case 'n':
        rc = read_word(r, "ull", JSON_NULL, out);
        break;
    default:
        r->p--;
        rc = read_number(r, out);
    }
    /* jansson reads one character past a number or a word and puts it back; a NUL byte put
     * back is lost (its stream takes NUL for the end of its buffer), so "1\0}" reads "1}".
     * The same texts are JSON here. */
    if (rc == 0 && put_back && r->p < r->end && *r->p == '\0')
        r->p++;
    r->depth--;
    return rc;
}

/* The read of ivrsm_s_response_store(), objects and arrays nested at most max_nesting deep
 * (*too_deep set when more are). */
static int store(const m_state *st, const char *body, size_t len, bool texts, int max_nesting,
                 ivrsm_vstore *out, uint32_t *root, bool *too_deep)
{
    /* No body at all (a result without one) is an empty one: NULL + 0 is not a pointer sum C
     * allows. */
    if (!body)
        body = "";
    uint32_t mark = out->len;
    char items[512];
    reader r = {body, body + len,  out,   texts, IVRSM_BUF_INIT(out->mem), {0}, 0,
                0,    max_nesting, false, false};
    ivrsm_buf_on(&r.items, out->mem, items, sizeof(items));
    skip_space(&r);
    if (r.p == r.end) {
        /* 204 No Content and friends: success with an empty response. */
        return ivrsm_vstore_put_members(out, NULL, 0, root);
    }
    int rc = read_value(&r, root, st);
    ivrsm_buf_free(&r.text);
    ivrsm_buf_free(&r.items);
    if (rc == 0) {
        skip_space(&r);
        if (r.p == r.end)
            return 0;
        rc = -1; /* text after the value */
    }
    ivrsm_vstore_truncate(out, mark);
    *root = IVRSM_VSTORE_NONE;
    *too_deep = r.too_deep;
    return r.nomem ? IVRSM_ENOMEM : IVRSM_EINVAL;
}

int ivrsm_s_response_store(const m_state *st, const char *body, size_t len, bool texts,
                           ivrsm_vstore *out, uint32_t *root)
{
    bool too_deep = false;
    return store(st, body, len, texts, INT_MAX, out, root, &too_deep);
}

int ivrsm_s_answer_store(const m_state *st, const char *body, size_t len, ivrsm_vstore *out,
                         uint32_t *root)
{
    *root = IVRSM_VSTORE_NONE;
    if (len > IVRSM_MAX_RESULT_BODY_BYTES)
        return S_BODY_TOO_LARGE;
    /* The depth is told by the read itself: JSON read so far nests as its brackets do, so
     * the read stops where ivrsm_s_json_depth_within() would. Only a body that is not JSON
     * (or memory that ran out) has its brackets counted apart, as before any read. */
    bool too_deep = false;
    int rc = store(st, body, len, true, IVRSM_MAX_DEPTH, out, root, &too_deep);
    if (rc == 0)
        return 0;
    if (too_deep || (body && !ivrsm_s_json_depth_within(body, len, IVRSM_MAX_DEPTH)))
        return S_BODY_TOO_DEEP;
    return rc == IVRSM_ENOMEM ? IVRSM_ENOMEM : S_BODY_NOT_JSON;
}

/* v as jansson's values; the texts of its reals go to `numbers` (may be NULL). */
static json_t *to_json(ivrsm_val v, ivrsm_numtexts *numbers, bool *nomem)
{
    json_type type = ivrsm_val_type(v);
    if (type == JSON_REAL) {
        json_t *j = json_real(ivrsm_val_real(v));
        const char *text = ivrsm_val_numtext(v);
        if (j && text && numbers && ivrsm_numtexts_add(numbers, j, text, strlen(text)) != 0)
            *nomem = true;
        return j;
    }
    if (type != JSON_OBJECT && type != JSON_ARRAY)
        return ivrsm_val_json(v);
    json_t *c = type == JSON_OBJECT ? json_object() : json_array();
    for (size_t i = 0; c && i < ivrsm_val_size(v); i++) {
        const char *key = NULL;
        size_t key_len = 0;
        ivrsm_val item =
            type == JSON_OBJECT ? ivrsm_val_member(v, i, &key, &key_len) : ivrsm_val_at(v, i);
        json_t *x = to_json(item, numbers, nomem);
        int rc = !x                    ? -1
                 : type == JSON_OBJECT ? json_object_setn_new_nocheck(c, key, key_len, x)
                                       : json_array_append_new(c, x);
        if (rc != 0) {
            json_decref(c);
            c = NULL;
        }
    }
    return c;
}

int ivrsm_s_response_read(const ivrsm_mem *mem, const m_state *st, const char *body, size_t len,
                          ivrsm_numtexts *numbers, json_t **out)
{
    *out = NULL;
    ivrsm_vstore store;
    ivrsm_vstore_on(&store, mem);
    uint32_t root;
    int rc = ivrsm_s_response_store(st, body, len, numbers != NULL, &store, &root);
    if (rc == 0) {
        bool nomem = false;
        *out = to_json(ivrsm_vstore_at(&store, root), numbers, &nomem);
        if (!*out || nomem) {
            json_decref(*out);
            *out = NULL;
            rc = IVRSM_ENOMEM;
        }
    }
    ivrsm_vstore_free(&store);
    return rc;
}

int ivrsm_s_json_text_read(const ivrsm_mem *mem, const char *text, json_t **out)
{
    size_t len = strlen(text);
    if (strspn(text, " \t\n\r") == len) {
        *out = NULL;
        return IVRSM_EINVAL;
    }
    return ivrsm_s_response_read(mem, NULL, text, len, NULL, out);
}
