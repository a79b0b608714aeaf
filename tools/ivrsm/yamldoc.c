/* A document as JSON with the line of every node, through the library's reader. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ivrsm/ivrsm.h"
#include "yamldoc.h"

typedef struct walker {
    json_t *lines;
    char pointer[2048];
    size_t len;
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

/* Record the line of every node below n, at its JSON pointer. */
static bool walk(walker *w, const ivrsm_node *n)
{
    if (ivrsm_node_line(n) > 0 && !json_object_get(w->lines, w->pointer))
        json_object_set_new(w->lines, w->pointer, json_integer(ivrsm_node_line(n)));
    size_t mark = w->len;
    bool map = ivrsm_node_type(n) == IVRSM_NODE_MAP;
    for (size_t i = 0; i < ivrsm_node_size(n); i++) {
        char index[24];
        int key_line = 0;
        const char *key = map ? ivrsm_node_key(n, i, &key_line, NULL) : index;
        if (!map)
            snprintf(index, sizeof(index), "%zu", i);
        bool ok = push(w, key, strlen(key));
        /* A key's value is said to be where the key is written (a state
         * where its name is, not where its first key is). */
        if (ok && key_line > 0)
            json_object_set_new(w->lines, w->pointer, json_integer(key_line));
        ok = ok && walk(w, map ? ivrsm_node_value(n, i) : ivrsm_node_item(n, i));
        w->len = mark;
        w->pointer[mark] = '\0';
        if (!ok)
            return false;
    }
    return true;
}

ivrsm_document *yamldoc_load(const char *path, char *err, size_t errlen)
{
    ivrsm_document *doc = NULL;
    ivrsm_error e;
    int rc = ivrsm_document_load_file(path, IVRSM_FORMAT_AUTO, &doc, &e);
    if (rc == 0)
        return doc;
    if (e.line > 0)
        snprintf(err, errlen, "%s:%d:%d: %s", path, e.line, e.column, e.message);
    else
        snprintf(err, errlen, "%s: %s", path, e.message[0] ? e.message : ivrsm_strerror(rc));
    return NULL;
}

json_t *yamldoc_load_lines(const char *path, size_t max_bytes, json_t **lines, char *err,
                           size_t errlen)
{
    *lines = NULL;
    struct stat st;
    if (stat(path, &st) == 0 && (size_t)st.st_size > max_bytes) {
        snprintf(err, errlen, "%s: too large", path);
        return NULL;
    }
    ivrsm_document *doc = yamldoc_load(path, err, errlen);
    if (!doc)
        return NULL;
    const ivrsm_node *root = ivrsm_document_root(doc);
    char *text = ivrsm_node_json(root);
    json_t *value = text ? json_loads(text, 0, NULL) : NULL;
    ivrsm_free(text);
    walker w = {.lines = json_object()};
    if (!value || !w.lines || !walk(&w, root)) {
        snprintf(err, errlen, "%s: %s", path,
                 value ? "a key path too long, or out of memory"
                       : "a number JSON cannot hold (.inf, .nan), or out of memory");
        json_decref(value);
        json_decref(w.lines);
        value = NULL;
    } else {
        *lines = w.lines;
    }
    ivrsm_document_free(doc);
    return value;
}
