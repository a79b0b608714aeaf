#include "buf.h"
#include "json_real.h"
#include "bytes.h"
#include "mem.h"
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ivrsm_buf_grow(ivrsm_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = ivrsm_mem_realloc(b->mem, b->borrowed ? NULL : b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    if (b->borrowed) {
        memcpy(p, b->data, b->len + 1);
        b->borrowed = 0;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int ivrsm_buf_append(ivrsm_buf *b, const char *s, size_t len)
{
    if (ivrsm_buf_reserve(b, len) != 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int ivrsm_buf_puts(ivrsm_buf *b, const char *s)
{
    return ivrsm_buf_append(b, s, strlen(s));
}

int ivrsm_buf_uint(ivrsm_buf *b, unsigned long long v)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return ivrsm_buf_append(b, digits + sizeof(digits) - n, n);
}

int ivrsm_buf_int(ivrsm_buf *b, long long v)
{
    if (v >= 0)
        return ivrsm_buf_uint(b, (unsigned long long)v);
    /* The magnitude in unsigned arithmetic, which LLONG_MIN has too. */
    if (ivrsm_buf_putc(b, '-') != 0)
        return -1;
    return ivrsm_buf_uint(b, 0ULL - (unsigned long long)v);
}

int ivrsm_buf_printf(ivrsm_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ivrsm_buf_reserve(b, (size_t)n) != 0) {
        va_end(ap2);
        return -1;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
    return 0;
}

/*
 * The bytes a JSON string literal writes as they are: all but the controls,
 * '"' and '\\'. A table, as one look-up per byte is the whole cost of a
 * request body's strings.
 */
static const unsigned char json_plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00..0x0F */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10..0x1F */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20..0x2F: '"' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30..0x3F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40..0x4F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50..0x5F: '\\' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60..0x6F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x70..0x7F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x80..0x8F: UTF-8, as it is */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x90..0x9F */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xA0..0xAF */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xB0..0xBF */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xC0..0xCF */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xD0..0xDF */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xE0..0xEF */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0xF0..0xFF */
};

static int json_plain(unsigned char c)
{
    return json_plain_byte[c];
}

/* The bytes a JSON string escapes: the controls, '"' and '\\' (UTF-8's bytes are kept). The
 * same test for one byte and for sixteen (bytes.h). */
#define JSON_ESCAPED(c) (((c) < 0x20) | ((c) == '"') | ((c) == '\\'))

/* Whether none of the eight bytes of w is one a JSON string escapes (the usual bit tricks:
 * a flag above a true one may be false, which only sends the word byte by byte). */
static inline int json_plain_word(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    return !(
        (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash)) &
        highs);
}

/*
 * The bytes of s[0..len) before the first one a JSON string escapes, copied to d as they are
 * read; their count. Sixteen bytes a step where the compiler has vectors, the last step
 * overlapping the one before (no byte loop for a string's end); two words of eight or of four
 * that overlap for strings of 4 to 15 bytes; d has room for len bytes.
 */
/* json_copy_plain() of 16 bytes or more: apart, so that the short strings most values are
 * take a short function. */
static __attribute__((noinline)) size_t json_copy_plain_long(char *d, const char *s, size_t len)
{
    size_t i = 0;
#ifdef IVRSM_HAVE_V16
    for (;; i += 16) {
        size_t at = len - i >= 16 ? i : len - 16; /* the last step overlaps */
        ivrsm_v16 x = ivrsm_v16_load(s + at);
        size_t first = ivrsm_v16_first((ivrsm_v16)JSON_ESCAPED(x));
        if (first < 16) {
            memcpy(d + i, s + i, at + first - i);
            return at + first;
        }
        memcpy(d + at, &x, 16);
        if (at + 16 == len)
            return len;
    }
#else
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (!json_plain_word(w))
            break;
        memcpy(d + i, &w, 8);
    }
    for (; i < len && json_plain((unsigned char)s[i]); i++)
        d[i] = s[i];
    return i;
#endif
}

static inline size_t json_copy_plain(char *d, const char *s, size_t len)
{
    if (len >= 16)
        return json_copy_plain_long(d, s, len);
    if (len >= 8) {
        uint64_t w, v;
        memcpy(&w, s, 8);
        memcpy(&v, s + len - 8, 8);
        if (json_plain_word(w) && json_plain_word(v)) {
            memcpy(d, &w, 8);
            memcpy(d + len - 8, &v, 8);
            return len;
        }
    } else if (len >= 4) {
        uint32_t w, v;
        memcpy(&w, s, 4);
        memcpy(&v, s + len - 4, 4);
        if (json_plain_word(w | ((uint64_t)v << 32))) {
            memcpy(d, &w, 4);
            memcpy(d + len - 4, &v, 4);
            return len;
        }
    }
    size_t i = 0;
    for (; i < len && json_plain((unsigned char)s[i]); i++)
        d[i] = s[i];
    return i;
}

/* The rest of a JSON string from its first byte to escape, s[plain], the plain bytes before it
 * written: apart, so that the common case (nothing to escape) stays a short function. */
static __attribute__((noinline)) int json_string_escaped(ivrsm_buf *b, const char *s, size_t len,
                                                         size_t plain)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t start = plain;
    for (size_t i = plain; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (json_plain(c))
            continue;
        ivrsm_buf_append(b, s + start, i - start);
        start = i + 1;
        static const char from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
        const char *at = c ? memchr(from, c, sizeof(from) - 1) : NULL;
        if (at) {
            char esc[2] = {'\\', to[at - from]};
            ivrsm_buf_append(b, esc, 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            ivrsm_buf_append(b, esc, 6);
        }
    }
    ivrsm_buf_append(b, s + start, len - start);
    return ivrsm_buf_putc(b, '"');
}

int ivrsm_buf_json_string(ivrsm_buf *b, const char *s, size_t len)
{
    if (ivrsm_buf_reserve(b, len + 2) != 0) /* the whole string when nothing is escaped */
        return -1;
    /* Keys and values rarely hold a byte to escape: copied as they are checked, quotes
     * included. */
    char *d = b->data + b->len;
    d[0] = '"';
    size_t plain = json_copy_plain(d + 1, s, len);
    b->len += plain + 1;
    if (plain == len) {
        d[plain + 1] = '"';
        d[plain + 2] = '\0';
        b->len++;
        return 0;
    }
    b->data[b->len] = '\0';
    return json_string_escaped(b, s, len, plain);
}

/* The bytes a URL writes as they are (RFC 3986's unreserved): letters, digits, "-._~". */
static const unsigned char url_unreserved[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1,
    ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

int ivrsm_buf_url_encode(ivrsm_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    /* Room for the worst case made once: every byte encoded. */
    if (len > (SIZE_MAX - 1) / 3 - b->len || ivrsm_buf_reserve(b, 3 * len) != 0) {
        b->failed = 1;
        return -1;
    }
    char *out = b->data + b->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (url_unreserved[c]) {
            *out++ = (char)c;
        } else {
            out[0] = '%';
            out[1] = hex[c >> 4];
            out[2] = hex[c & 15];
            out += 3;
        }
    }
    b->len = (size_t)(out - b->data);
    b->data[b->len] = '\0';
    return 0;
}

static int dump_chunk(const char *s, size_t len, void *b)
{
    return ivrsm_buf_append(b, s, len);
}

int ivrsm_buf_json_value(ivrsm_buf *b, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *v;
        size_t key_len;
        bool first = true;
        ivrsm_buf_putc(b, '{');
        json_object_keylen_foreach((json_t *)j, key, key_len, v)
        {
            if (!first)
                ivrsm_buf_putc(b, ',');
            first = false;
            if (ivrsm_buf_json_string(b, key, key_len) != 0)
                return -1;
            ivrsm_buf_putc(b, ':');
            if (ivrsm_buf_json_value(b, v) != 0)
                return -1;
        }
        return ivrsm_buf_putc(b, '}');
    }
    case JSON_ARRAY: {
        ivrsm_buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(j); i++) {
            if (i)
                ivrsm_buf_putc(b, ',');
            if (ivrsm_buf_json_value(b, json_array_get(j, i)) != 0)
                return -1;
        }
        return ivrsm_buf_putc(b, ']');
    }
    case JSON_STRING:
        return ivrsm_buf_json_string(b, json_string_value(j), json_string_length(j));
    case JSON_INTEGER:
        return ivrsm_buf_int(b, (long long)json_integer_value(j));
    case JSON_REAL: {
        char real[64];
        int n = ivrsm_real_json_text(json_real_value(j), real, sizeof real);
        return n < 0 ? -1 : ivrsm_buf_append(b, real, (size_t)n);
    }
    case JSON_TRUE:
        return ivrsm_buf_puts(b, "true");
    case JSON_FALSE:
        return ivrsm_buf_puts(b, "false");
    case JSON_NULL:
        return ivrsm_buf_puts(b, "null");
    }
    return -1;
}

/* The flags ivrsm_buf_json_value() writes as jansson would: compact, in the members' order. */
#define VALUE_WRITER_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)

int ivrsm_buf_dump_json(ivrsm_buf *b, const json_t *j, size_t flags)
{
    if (!j || (!(flags & JSON_ENCODE_ANY) && !json_is_object(j) && !json_is_array(j))) {
        b->failed = 1; /* what jansson refuses */
        return -1;
    }
    if ((flags & JSON_COMPACT) && !(flags & ~(size_t)VALUE_WRITER_FLAGS))
        return ivrsm_buf_json_value(b, j) == 0 && !b->failed ? 0 : -1;
    if (ivrsm_buf_reserve(b, 0) != 0 || json_dump_callback(j, dump_chunk, b, flags) != 0) {
        b->failed = 1;
        return -1;
    }
    return 0;
}

static int count_chunk(const char *text, size_t len, void *total)
{
    (void)text;
    *(size_t *)total += len;
    return 0;
}

/* jansson's own count: for reals (its format), and strings it would not write. */
static size_t dumped_size(const json_t *j, size_t flags)
{
    size_t total = 0;
    json_dump_callback(j, count_chunk, &total, flags);
    return total;
}

/* A string's size as written, quotes included, as ivrsm_buf_json_string() writes it; SIZE_MAX
 * when it is not UTF-8. */
static size_t string_size(const char *s, size_t len)
{
    if (!ivrsm_utf8_valid(s, len))
        return SIZE_MAX;
    size_t total = 2;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (json_plain(c))
            total++;
        else if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' ||
                 c == '\t')
            total += 2;
        else
            total += 6; /* \u00XX */
    }
    return total;
}

/* The compact text's size of j, or SIZE_MAX when jansson's own count must decide (a string
 * that is not UTF-8: jansson stops its dump there). */
static size_t compact_size(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        const char *key;
        size_t key_len, total = 2 + (json_object_size(j) ? json_object_size(j) - 1 : 0);
        json_t *v;
        json_object_keylen_foreach((json_t *)j, key, key_len, v)
        {
            size_t ks = string_size(key, key_len), vs = compact_size(v);
            if (ks == SIZE_MAX || vs == SIZE_MAX)
                return SIZE_MAX;
            total += ks + 1 + vs;
        }
        return total;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j), total = 2 + (n ? n - 1 : 0);
        for (size_t i = 0; i < n; i++) {
            size_t s = compact_size(json_array_get(j, i));
            if (s == SIZE_MAX)
                return SIZE_MAX;
            total += s;
        }
        return total;
    }
    case JSON_STRING:
        return string_size(json_string_value(j), json_string_length(j));
    case JSON_INTEGER: {
        long long v = (long long)json_integer_value(j);
        unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
        return ivrsm_decimal_digits(u) + (v < 0);
    }
    case JSON_REAL:
        return dumped_size(j, JSON_COMPACT | JSON_ENCODE_ANY);
    case JSON_TRUE:
    case JSON_NULL:
        return 4;
    case JSON_FALSE:
        return 5;
    }
    return SIZE_MAX;
}

size_t ivrsm_json_compact_size(const json_t *j)
{
    if (!json_is_object(j) && !json_is_array(j))
        return 0;
    size_t size = compact_size(j);
    return size != SIZE_MAX ? size : dumped_size(j, JSON_COMPACT);
}

const char *ivrsm_buf_str(const ivrsm_buf *b)
{
    return b->data ? b->data : "";
}

char *ivrsm_buf_steal(ivrsm_buf *b)
{
    if (b->failed)
        return NULL;
    char *p = b->data;
    if (b->borrowed) {
        p = ivrsm_mem_malloc(b->mem, b->len + 1);
        if (p)
            memcpy(p, b->data, b->len + 1);
    } else if (!p) {
        p = ivrsm_mem_calloc(b->mem, 1, 1);
    }
    b->data = NULL;
    b->len = b->cap = 0;
    b->borrowed = 0;
    return p;
}

char *ivrsm_buf_give(ivrsm_buf *b)
{
    char *p = b->failed ? NULL : ivrsm_mem_give(b->mem, ivrsm_buf_str(b), b->len);
    ivrsm_buf_free(b);
    return p;
}

void ivrsm_buf_reset(ivrsm_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}
