/* YAML documents through libfyaml: positions, YAML 1.2 scalars, JSON with lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamldoc.h"

const char *const yamldoc_null_words[] = {"", "~", "null", "Null", "NULL", NULL};
const char *const yamldoc_true_words[] = {"true", "True", "TRUE", NULL};
const char *const yamldoc_false_words[] = {"false", "False", "FALSE", NULL};

void yamldoc_node_pos(struct fy_node *n, int *line, int *column)
{
    *line = *column = 0;
    while (n) {
        enum fy_node_type t = fy_node_get_type(n);
        void *it = NULL;
        if (t == FYNT_SCALAR) {
            struct fy_token *tok = fy_node_get_scalar_token(n);
            const struct fy_mark *m = tok ? fy_token_start_mark(tok) : NULL;
            if (m) {
                *line = m->line + 1;
                *column = m->column + 1;
                enum fy_node_style st = fy_node_get_style(n);
                /* The mark of a quoted scalar is inside the quotes. */
                if ((st == FYNS_SINGLE_QUOTED || st == FYNS_DOUBLE_QUOTED) && *column > 1)
                    (*column)--;
            }
            return;
        }
        if (t == FYNT_MAPPING) {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
        } else {
            n = fy_node_sequence_iterate(n, &it);
        }
    }
}

bool yamldoc_plain_is(struct fy_node *n, const char *const *words)
{
    if (!n || fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN)
        return false;
    size_t len = 0;
    const char *t = fy_node_get_scalar(n, &len);
    for (; *words; words++)
        if (strlen(*words) == len && !strncmp(*words, t, len))
            return true;
    return false;
}

json_t *yamldoc_plain_number(const char *t)
{
    if (!*t)
        return NULL;
    char *end;
    errno = 0;
    if (strspn(t + (*t == '-' || *t == '+'), "0123456789") ==
        strlen(t + (*t == '-' || *t == '+'))) {
        long long v = strtoll(t, &end, 10);
        if (!errno && !*end)
            return json_integer(v);
    }
    if (!strncmp(t, "0x", 2) || !strncmp(t, "0o", 2)) {
        long long v = strtoll(t + 2, &end, t[1] == 'x' ? 16 : 8);
        if (!errno && !*end && t[2])
            return json_integer(v);
        return NULL;
    }
    /* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
    const char *p = t + (*t == '-' || *t == '+');
    size_t int_digits = strspn(p, "0123456789");
    p += int_digits;
    size_t frac_digits = 0;
    if (*p == '.') {
        frac_digits = strspn(p + 1, "0123456789");
        p += 1 + frac_digits;
    }
    if (int_digits + frac_digits == 0)
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '-' || p[1] == '+');
        size_t exp_digits = strspn(p, "0123456789");
        if (!exp_digits)
            return NULL;
        p += exp_digits;
    }
    if (*p)
        return NULL;
    double v = strtod(t, &end);
    return *end ? NULL : json_real(v);
}

struct fy_document *yamldoc_parse(const char *path, const char *data, size_t len, char *err,
                                  size_t errlen, struct fy_diag **diagp)
{
    *diagp = NULL;
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2, .diag = diag};
    struct fy_document *doc = fy_document_build_from_string(&cfg, data, len);
    if (doc && fy_document_resolve(doc) != 0) {
        fy_document_destroy(doc);
        doc = NULL;
    }
    if (!doc) {
        void *it = NULL;
        struct fy_diag_error *e = fy_diag_errors_iterate(diag, &it);
        if (e)
            snprintf(err, errlen, "%s:%d:%d: invalid YAML: %s", path, e->line, e->column, e->msg);
        else
            snprintf(err, errlen, "%s: invalid YAML", path);
    }
    *diagp = diag;
    return doc;
}

/* ---------------------------------------------------------------------------
 * A document as JSON, with the line of every node
 * ------------------------------------------------------------------------- */

typedef struct walker {
    json_t *lines;
    char pointer[2048];
    size_t len;
    unsigned budget; /* nodes left: aliases may share subtrees */
} walker;

/* Append "/" and `key` escaped as RFC 6901 says (~ → ~0, / → ~1); false when too long. */
static bool push(walker *w, const char *key, size_t key_len)
{
    if (w->len + 1 + 2 * key_len + 1 > sizeof(w->pointer))
        return false;
    w->pointer[w->len++] = '/';
    for (size_t i = 0; i < key_len; i++) {
        if (key[i] == '~' || key[i] == '/') {
            w->pointer[w->len++] = '~';
            w->pointer[w->len++] = key[i] == '~' ? '0' : '1';
        } else {
            w->pointer[w->len++] = key[i];
        }
    }
    w->pointer[w->len] = '\0';
    return true;
}

static json_t *scalar_json(struct fy_node *n)
{
    size_t len = 0;
    const char *t = fy_node_get_scalar(n, &len);
    if (fy_node_get_style(n) == FYNS_PLAIN) {
        if (yamldoc_plain_is(n, yamldoc_null_words))
            return json_null();
        if (yamldoc_plain_is(n, yamldoc_true_words))
            return json_true();
        if (yamldoc_plain_is(n, yamldoc_false_words))
            return json_false();
        char *text = strndup(t ? t : "", len);
        json_t *v = text ? yamldoc_plain_number(text) : NULL;
        free(text);
        if (v)
            return v;
    }
    json_t *s = json_stringn(t ? t : "", len);
    return s ? s : json_string("");
}

static json_t *walk(walker *w, struct fy_node *n)
{
    if (!n)
        return json_null();
    if (w->budget == 0)
        return NULL;
    w->budget--;
    int line, column;
    yamldoc_node_pos(n, &line, &column);
    if (line > 0 && !json_object_get(w->lines, w->pointer))
        json_object_set_new(w->lines, w->pointer, json_integer(line));
    size_t mark = w->len;
    void *it = NULL;
    if (fy_node_get_type(n) == FYNT_MAPPING) {
        json_t *o = json_object();
        struct fy_node_pair *p;
        while (o && (p = fy_node_mapping_iterate(n, &it)) != NULL) {
            struct fy_node *k = fy_node_pair_key(p);
            size_t key_len = 0;
            const char *key =
                k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &key_len) : NULL;
            if (!key)
                continue; /* a complex key: no machine has one */
            char *name = strndup(key, key_len);
            json_t *v = name && push(w, key, key_len) ? walk(w, fy_node_pair_value(p)) : NULL;
            w->len = mark;
            w->pointer[mark] = '\0';
            if (!v) {
                free(name);
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, name, v);
            free(name);
        }
        return o;
    }
    if (fy_node_get_type(n) == FYNT_SEQUENCE) {
        json_t *a = json_array();
        struct fy_node *item;
        size_t i = 0;
        while (a && (item = fy_node_sequence_iterate(n, &it)) != NULL) {
            char index[24];
            int il = snprintf(index, sizeof(index), "%zu", i++);
            json_t *v = push(w, index, (size_t)il) ? walk(w, item) : NULL;
            w->len = mark;
            w->pointer[mark] = '\0';
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    return scalar_json(n);
}

json_t *yamldoc_load_lines(const char *path, size_t max_bytes, json_t **lines, char *err,
                           size_t errlen)
{
    *lines = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *data = malloc(max_bytes + 1);
    size_t n = data ? fread(data, 1, max_bytes + 1, f) : 0;
    bool bad = ferror(f) != 0;
    fclose(f);
    if (!data || bad || n > max_bytes) {
        snprintf(err, errlen, "%s: %s", path,
                 !data ? "out of memory"
                 : bad ? "cannot read the file"
                       : "too large");
        free(data);
        return NULL;
    }
    struct fy_diag *diag = NULL;
    struct fy_document *doc = yamldoc_parse(path, data, n, err, errlen, &diag);
    json_t *value = NULL;
    if (doc) {
        /* The library's bound on nodes, aliases expanded, bounds this walk too. */
        walker w = {.lines = json_object(), .budget = 200000};
        value = w.lines ? walk(&w, fy_document_root(doc)) : NULL;
        if (!value) {
            snprintf(err, errlen, "%s: too many nodes or out of memory", path);
            json_decref(w.lines);
        } else {
            *lines = w.lines;
        }
        fy_document_destroy(doc);
    }
    if (diag)
        fy_diag_destroy(diag);
    free(data);
    return value;
}
