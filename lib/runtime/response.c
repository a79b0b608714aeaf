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

/*
 * The reader keeps its place in the body in a local of each function (passed in and returned:
 * the position after what was read, NULL where the text is not JSON or memory ran out), not in
 * the reader: a place kept in memory is stored and loaded again around every call of the walk.
 */
typedef struct reader {
    const char *end;
    ivrsm_vstore *st; /* where values are built */
    bool texts;       /* reals keep their texts as written when said otherwise ("12.50") */
    bool too_deep;
    bool nomem;
    int open; /* objects and arrays open around the value read: its depth (jansson's) less one */
    int max_nesting; /* more open at once is refused (too_deep) */
    ivrsm_buf text;  /* a string with escapes, decoded */
    ivrsm_buf items; /* nodes of the open containers' items (u32), innermost last */
} reader;

/* A node put (rc of an ivrsm_vstore_put_*): p, or NULL with r->nomem. */
static inline const char *built(reader *r, int rc, const char *p)
{
    if (rc == 0)
        return p;
    r->nomem = true;
    return NULL;
}

/* JSON's spaces as bits: one compare turns away every byte above the space (most bytes met
 * where a space may stand: a quote, a bracket, a digit), a bit test the rest. */
#define JSON_SPACES ((1ULL << ' ') | (1ULL << '\t') | (1ULL << '\n') | (1ULL << '\r'))

static inline const char *skip_space(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= ' ' && ((JSON_SPACES >> (unsigned char)*p) & 1))
        p++;
    return p;
}

/* read_string() of a string with an escape or a byte from 0x80 on: a call of its own. */
__attribute__((noinline)) static const char *read_string_whole(reader *r, const char *p,
                                                               const char **s, size_t *len)
{
    if (ivrsm_json_scan_string_whole(&p, r->end, &r->text, s, len) == 0)
        return p;
    r->nomem = r->text.failed != 0;
    return NULL;
}

/* The string whose body starts at p (after its opening quote), as ivrsm_json_scan_string()
 * reads it; one plain to its closing quote (most keys and values) is read here. */
static inline const char *read_string(reader *r, const char *p, const char **s, size_t *len)
{
    const char *at = ivrsm_json_plain_end(p, r->end);
    if (at < r->end && *at == '"') {
        *s = p;
        *len = (size_t)(at - p);
        return at + 1;
    }
    return read_string_whole(r, p, s, len);
}

/* A string value whose body starts at p; built into *out unless out is NULL. */
static inline const char *read_string_value(reader *r, const char *p, uint32_t *out)
{
    const char *s;
    size_t len;
    p = read_string(r, p, &s, &len);
    if (!p || !out)
        return p;
    return built(r, ivrsm_vstore_put_string(r->st, s, len, out), p);
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

/* A real start[0..len), checked against a double's range; built into *out unless out is NULL. */
static int read_real(reader *r, const char *start, size_t len, bool exponent, uint32_t *out)
{
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
    if (ivrsm_vstore_put_real(r->st, d, keep ? text : NULL, out) == 0)
        return 0;
    r->nomem = true;
    return -1;
}

/* A number at p; built into *out unless out is NULL. */
static const char *read_number(reader *r, const char *p, uint32_t *out)
{
    const char *start = p;
    bool real, exponent;
    p = ivrsm_json_scan_number(start, r->end, &real, &exponent);
    if (!p)
        return NULL;
    size_t len = (size_t)(p - start);
    if (real)
        return read_real(r, start, len, exponent, out) == 0 ? p : NULL;
    json_int_t v;
    if (ivrsm_json_int_value(start, len, &v) != 0)
        return NULL;
    return out ? built(r, ivrsm_vstore_put_integer(r->st, (int64_t)v, out), p) : p;
}

/* The rest of true, false or null (`rest`, n bytes) at p. */
static inline const char *read_word(reader *r, const char *p, const char *rest, size_t n,
                                    json_type type, uint32_t *out)
{
    if ((size_t)(r->end - p) < n || memcmp(p, rest, n) != 0)
        return NULL;
    p += n;
    return out ? built(r, ivrsm_vstore_put_word(r->st, type, out), p) : p;
}

static const char *read_container(reader *r, const char *p, uint32_t *out, const m_state *keep);

/*
 * A value at p (spaces before it skipped); built into *out unless out is NULL, of an object
 * only the members `keep` names (all when keep is NULL).
 */
static const char *read_value(reader *r, const char *p, uint32_t *out, const m_state *keep)
{
    /* jansson counts every value, scalars too, against its depth. */
    if (p >= r->end || r->open + 1 > MAX_DEPTH)
        return NULL;
    switch (*p) {
    case '{':
    case '[':
        return read_container(r, p, out, keep);
    case '"':
        return read_string_value(r, p + 1, out);
    case 't':
        p = read_word(r, p + 1, "rue", 3, JSON_TRUE, out);
        break;
    case 'f':
        p = read_word(r, p + 1, "alse", 4, JSON_FALSE, out);
        break;
    case 'n':
        p = read_word(r, p + 1, "ull", 3, JSON_NULL, out);
        break;
    default:
        p = read_number(r, p, out);
    }
    /* jansson reads one character past a number or a word and puts it back; a NUL byte put
     * back is lost (its stream takes NUL for the end of its buffer), so "1\0}" reads "1}".
     * The same texts are JSON here. */
    if (p && p < r->end && *p == '\0')
        p++;
    return p;
}

/* A member's or an item's value at p (spaces skipped): a string, the most common, read here
 * without read_value()'s call (the same checks: its depth, then the string). */
static inline const char *read_item(reader *r, const char *p, uint32_t *out)
{
    if (p < r->end && *p == '"' && r->open + 1 <= MAX_DEPTH)
        return read_string_value(r, p + 1, out);
    return read_value(r, p, out, NULL);
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

/* After an item at p (spaces skipped): past the ',' when another follows (*more set), past
 * `close` when the container ends, NULL at anything else. */
static inline const char *item_end(const char *p, const char *end, char close, bool *more)
{
    if (p < end && (*p == ',' || *p == close)) {
        *more = *p == ',';
        return p + 1;
    }
    return NULL;
}

static bool kept(const m_state *keep, const char *key, size_t len)
{
    if (!keep || keep->resp_whole)
        return true;
    for (size_t i = 0; i < keep->resp_key_count; i++)
        if (keep->resp_key_lens[i] == len && ivrsm_same_bytes(keep->resp_keys[i], key, len))
            return true;
    return false;
}

/* A key's bit among 64, from its length and its first and last bytes: two keys with
 * different bits differ, so an object whose keys' bits all differ repeats none. */
static inline uint64_t key_bit(const char *key, size_t len)
{
    return len ? 1ULL << ((len + (unsigned char)key[0] + 4u * (unsigned char)key[len - 1]) & 63)
               : 1;
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

/* The object of the members pushed since `mark`, a repeated key merged; looked for only when
 * may_repeat (two keys had the same key_bit(): always past 64 keys). 0, or -1 when memory ran
 * out. */
static int put_object(reader *r, size_t mark, bool may_repeat, uint32_t *out)
{
    size_t n;
    uint32_t *pairs = items_from(r, mark, &n);
    n /= 2;
    if (may_repeat) {
        int repeats = repeats_key(r, pairs, n);
        if (repeats < 0) {
            r->nomem = true;
            return -1;
        }
        if (repeats)
            n = unique_members(r->st, pairs, n);
    }
    if (ivrsm_vstore_put_members(r->st, pairs, n, out) == 0)
        return 0;
    r->nomem = true;
    return -1;
}

/* An object after its '{'; only the members `keep` names are built (all when keep is NULL). */
static const char *read_object(reader *r, const char *p, uint32_t *out, const m_state *keep)
{
    const char *end = r->end;
    size_t mark = r->items.len;
    uint64_t keys_seen = 0;
    bool may_repeat = false;
    p = skip_space(p, end);
    bool more = p >= end || *p != '}';
    if (!more)
        p++;
    while (more) {
        if (p >= end || *p != '"')
            goto fail;
        const char *key;
        size_t key_len;
        if (!(p = read_string(r, p + 1, &key, &key_len)))
            goto fail;
        bool build = out && kept(keep, key, key_len);
        if (build) {
            /* The key is put before the value reuses r->text. */
            uint32_t key_at;
            if (!built(r, ivrsm_vstore_put_key(r->st, key, key_len, &key_at), p) ||
                push_item(r, key_at) != 0)
                goto fail;
            uint64_t bit = key_bit(key, key_len);
            may_repeat |= (keys_seen & bit) != 0;
            keys_seen |= bit;
        }
        p = skip_space(p, end);
        if (p >= end || *p != ':')
            goto fail;
        uint32_t v = 0;
        p = read_item(r, skip_space(p + 1, end), build ? &v : NULL);
        if (!p || (build && push_item(r, v) != 0))
            goto fail;
        p = item_end(skip_space(p, end), end, '}', &more);
        if (!p)
            goto fail;
        if (more)
            p = skip_space(p, end);
    }
    if (out && put_object(r, mark, may_repeat, out) != 0)
        goto fail;
    r->items.len = mark;
    return p;
fail:
    r->items.len = mark;
    return NULL;
}

static const char *read_array(reader *r, const char *p, uint32_t *out)
{
    const char *end = r->end;
    size_t mark = r->items.len;
    p = skip_space(p, end);
    bool more = p >= end || *p != ']';
    if (!more)
        p++;
    while (more) {
        uint32_t v = 0;
        p = read_item(r, p, out ? &v : NULL);
        if (!p || (out && push_item(r, v) != 0))
            goto fail;
        p = item_end(skip_space(p, end), end, ']', &more);
        if (!p)
            goto fail;
        if (more)
            p = skip_space(p, end);
    }
    if (out) {
        size_t n;
        uint32_t *items = items_from(r, mark, &n);
        if (!built(r, ivrsm_vstore_put_array(r->st, items, n, out), p))
            goto fail;
    }
    r->items.len = mark;
    return p;
fail:
    r->items.len = mark;
    return NULL;
}

/* An object or an array at p, counted against max_nesting. */
static const char *read_container(reader *r, const char *p, uint32_t *out, const m_state *keep)
{
    if (++r->open > r->max_nesting) {
        r->too_deep = true;
        p = NULL;
    } else {
        p = *p == '{' ? read_object(r, p + 1, out, keep) : read_array(r, p + 1, out);
    }
    r->open--;
    return p;
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
    const char *end = body + len;
    const char *p = skip_space(body, end);
    if (p == end) {
        /* 204 No Content and friends: success with an empty response. */
        return ivrsm_vstore_put_members(out, NULL, 0, root);
    }
    uint32_t mark = out->len;
    char items[512];
    reader r = {end, out, texts, false, false, 0, max_nesting, IVRSM_BUF_INIT(out->mem), {0}};
    ivrsm_buf_on(&r.items, out->mem, items, sizeof(items));
    p = read_value(&r, p, root, st);
    /* Most reads decode no escape and keep their items on the stack: nothing to free. */
    if (r.text.data)
        ivrsm_buf_free(&r.text);
    if (!r.items.borrowed)
        ivrsm_buf_free(&r.items);
    if (p && skip_space(p, end) == end)
        return 0;
    /* Not JSON: broken, or text after the value. */
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
