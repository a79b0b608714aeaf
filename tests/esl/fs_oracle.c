/*
 * The FreeSWITCH argument model: see fs_oracle.h.
 */
#include "fs_oracle.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Expansion
 * ------------------------------------------------------------------------- */

/* src/include/switch_utils.h switch_string_var_check_const. */
static int var_check(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == '$') {
            const char *q = p + 1;
            if (*q == '$')
                q++;
            if (*q == '{')
                return 1;
        }
    }
    return 0;
}

/* src/include/switch_utils.h switch_string_has_escaped_data. */
static int has_escaped_data(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (p[0] == '\\' && (p[1] == '$' || p[1] == '\'' || p[1] == '\\'))
            return 1;
    }
    return 0;
}

typedef struct out_buf {
    char *data;
    size_t len, cap;
    int oom;
} out_buf;

static void put(out_buf *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = (o->len + n + 1) * 2;
        char *p = realloc(o->data, cap);
        if (!p) {
            o->oom = 1;
            return;
        }
        o->data = p;
        o->cap = cap;
    }
    memcpy(o->data + o->len, s, n);
    o->len += n;
    o->data[o->len] = '\0';
}

static char *expand_rec(const char *in, int *evaluated, int recur)
{
    if (recur > 100 || !*in || !(var_check(in) || has_escaped_data(in)))
        return strdup(in);
    out_buf o = {0};
    put(&o, "", 0);
    size_t n = strlen(in);
    for (size_t p = 0; p < n;) {
        int literal = 0, vtype = 0;
        if (in[p] == '\\') {
            if (in[p + 1] == '$') {
                literal = 1;
                p++;
                if (in[p + 1] == '$')
                    p++;
            } else if (in[p + 1] == '\'') {
                p += 2; /* both vanish */
                continue;
            } else if (in[p + 1] == '\\') {
                put(&o, "\\", 1);
                p += 2;
                continue;
            }
        }
        if (in[p] == '$' && !literal) {
            int global = 0;
            if (in[p + 1] == '$') {
                p++;
                global = 1;
            }
            if (in[p + 1] == '{')
                vtype = global ? 3 : 1;
            else
                literal = 1;
        }
        if (literal || !vtype) {
            put(&o, in + p, 1);
            p++;
            continue;
        }
        /* "${name}": the name runs to the matching brace. Looking it up (or
         * running it as an API command) is what the host must never cause. */
        size_t e = p + 2;
        int depth = 1;
        for (; e < n; e++) {
            if (in[e] == '}' && --depth == 0)
                break;
            if (in[e] == '{' && e != p + 2)
                depth++;
        }
        char *name = strndup(in + p + 2, e - (p + 2));
        if (name) {
            char *inner = expand_rec(name, evaluated, recur + 1);
            free(inner);
            free(name);
        }
        (*evaluated)++;
        p = e < n ? e + 1 : n;
    }
    if (o.oom) {
        free(o.data);
        return NULL;
    }
    return o.data;
}

char *fs_expand(const char *in, int *evaluated)
{
    *evaluated = 0;
    return expand_rec(in ? in : "", evaluated, 0);
}

/* ---------------------------------------------------------------------------
 * Splitting
 * ------------------------------------------------------------------------- */

/* src/switch_utils.c unescape_char (through switch_escape_string's table). */
static char unescape_char(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 's':
        return ' ';
    default:
        return c;
    }
}

/* src/switch_utils.c cleanup_separated_string. */
static char *cleanup(char *str, char delim)
{
    char *ptr, *dest, *start, *end = NULL;
    int inside_quotes = 0;
    for (ptr = str; *ptr == ' '; ++ptr) {
    }
    for (start = dest = ptr; *ptr; ++ptr) {
        char e;
        int esc = 0;
        if (*ptr == '\\') {
            e = *(ptr + 1);
            if (e == '\'' || e == '"' || (delim && e == delim) || e == '\\' ||
                (e = unescape_char(*(ptr + 1))) != *(ptr + 1)) {
                ++ptr;
                *dest++ = e;
                end = dest;
                esc++;
            }
        }
        if (!esc) {
            if (*ptr == '\'' && (inside_quotes || strchr(ptr + 1, '\''))) {
                if ((inside_quotes = (1 - inside_quotes)))
                    end = dest;
            } else {
                *dest++ = *ptr;
                if (*ptr != ' ' || inside_quotes)
                    end = dest;
            }
        }
    }
    if (end)
        *end = '\0';
    else
        *dest = '\0';
    return start;
}

/* src/switch_utils.c separate_string_blank_delim. */
static int separate_blank(char *buf, char **array, int arraylen)
{
    enum { START, SKIP_INITIAL_SPACE, FIND_DELIM, SKIP_ENDING_SPACE } state = START;
    int count = 0, inside_quotes = 0;
    char *ptr = buf;
    while (*ptr && count < arraylen) {
        switch (state) {
        case START:
            array[count++] = ptr;
            state = SKIP_INITIAL_SPACE;
            break;
        case SKIP_INITIAL_SPACE:
            if (*ptr == ' ')
                ++ptr;
            else
                state = FIND_DELIM;
            break;
        case FIND_DELIM:
            if (*ptr == '\\') {
                ++ptr;
                if (!*ptr)
                    break;
            } else if (*ptr == '\'') {
                inside_quotes = 1 - inside_quotes;
            } else if (*ptr == ' ' && !inside_quotes) {
                *ptr = '\0';
                state = SKIP_ENDING_SPACE;
            }
            ++ptr;
            break;
        case SKIP_ENDING_SPACE:
            if (*ptr == ' ')
                ++ptr;
            else
                state = START;
            break;
        }
    }
    for (int i = 0; i < count; ++i)
        array[i] = cleanup(array[i], 0);
    return count;
}

/* src/switch_utils.c separate_string_char_delim. */
static int separate_char(char *buf, char delim, char **array, int arraylen)
{
    enum { START, FIND_DELIM } state = START;
    int count = 0, inside_quotes = 0;
    char *ptr = buf;
    while (*ptr && count < arraylen) {
        switch (state) {
        case START:
            array[count++] = ptr;
            state = FIND_DELIM;
            break;
        case FIND_DELIM:
            if (*ptr == '\\') {
                ++ptr;
                if (!*ptr)
                    break;
            } else if (*ptr == '\'' && (inside_quotes || strchr(ptr + 1, '\''))) {
                inside_quotes = 1 - inside_quotes;
            } else if (*ptr == delim && !inside_quotes) {
                *ptr = '\0';
                state = START;
            }
            ++ptr;
            break;
        }
    }
    for (int i = 0; i < count; ++i)
        array[i] = cleanup(array[i], delim);
    return count;
}

int fs_separate(char *buf, char delim, char **argv, int limit)
{
    if (buf[0] == '^' && buf[1] == '^' && buf[2] && buf[3]) {
        delim = buf[2];
        buf += 3;
    }
    return delim == ' ' ? separate_blank(buf, argv, limit) : separate_char(buf, delim, argv, limit);
}

/* ---------------------------------------------------------------------------
 * Applications
 * ------------------------------------------------------------------------- */

void fs_args_free(fs_args *a)
{
    free(a->buf);
    memset(a, 0, sizeof(*a));
}

int fs_parse_pagd(const char *arg, fs_args *out)
{
    memset(out, 0, sizeof(*out));
    out->buf = strdup(arg);
    if (!out->buf)
        return -1;
    out->argc = fs_separate(out->buf, ' ', out->argv, 11);
    return 0;
}

int fs_parse_speak(const char *arg, fs_args *out)
{
    memset(out, 0, sizeof(*out));
    out->buf = strdup(arg);
    if (!out->buf)
        return -1;
    out->argc = fs_separate(out->buf, '|', out->argv, 3);
    if (out->argc == 3) {
        /* "unstripped text": the argument from where the third token starts. */
        const char *first = strchr(arg, '|');
        const char *second = first ? strchr(first + 1, '|') : NULL;
        const char *text = second ? second + 1 : "";
        while (*text == ' ')
            text++;
        out->argv[2] = out->buf + (text - arg);
        memmove(out->argv[2], text, strlen(text) + 1);
    }
    return 0;
}

int fs_parse_detect(const char *arg, fs_args *out)
{
    memset(out, 0, sizeof(*out));
    out->buf = strdup(arg);
    if (!out->buf)
        return -1;
    char *detect = strstr(out->buf, "detect:");
    if (!detect)
        return 0;
    for (char *s = detect - 1; s >= out->buf && (*s == ' ' || *s == '\t'); s--)
        *s = '\0';
    *detect = '\0';
    out->argv[0] = out->buf;
    char *rest[2] = {0};
    int n = fs_separate(detect + 7, ' ', rest, 2);
    out->argc = 1 + n;
    out->argv[1] = rest[0];
    out->argv[2] = rest[1];
    return 0;
}
