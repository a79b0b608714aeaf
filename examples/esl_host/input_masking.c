/*
 * States whose input is a one-time code: see input_masking.h.
 */
#include "input_masking.h"

#include <stdlib.h>
#include <string.h>

#include "ivrsm/ivrsm.h"

struct input_masking {
    int refs;
    char **states;
    size_t count;
};

/* A string node's text, a whole "${globals.a.b}" resolved in the document's globals. */
static const char *text_of(const ivrsm_node *root, const ivrsm_node *n)
{
    const char *t = n && ivrsm_node_type(n) == IVRSM_NODE_STRING ? ivrsm_node_text(n) : NULL;
    if (!t || strncmp(t, "${globals.", 10) != 0 || t[strlen(t) - 1] != '}')
        return t;
    const ivrsm_node *g = ivrsm_node_get(root, "globals");
    char path[256];
    size_t len = strlen(t) - 11;
    if (len >= sizeof(path))
        return NULL;
    memcpy(path, t + 10, len);
    path[len] = '\0';
    for (char *part = strtok(path, "."); part && g; part = strtok(NULL, "."))
        g = ivrsm_node_get(g, part);
    return g && ivrsm_node_type(g) == IVRSM_NODE_STRING ? ivrsm_node_text(g) : NULL;
}

static bool collects_otp(const ivrsm_node *root, const ivrsm_node *state)
{
    const ivrsm_node *collect = ivrsm_node_get(state, "collect");
    const char *mode = text_of(root, ivrsm_node_get(collect, "mode"));
    return mode && !strcmp(mode, "otp");
}

static int add(input_masking *m, const char *name)
{
    char **p = realloc(m->states, (m->count + 1) * sizeof(*p));
    if (!p)
        return -1;
    m->states = p;
    if (!(m->states[m->count] = strdup(name)))
        return -1;
    m->count++;
    return 0;
}

input_masking *input_masking_load(const char *path)
{
    ivrsm_document *doc = NULL;
    if (ivrsm_document_load_file(path, IVRSM_FORMAT_AUTO, &doc, NULL) != 0)
        return NULL;
    input_masking *m = calloc(1, sizeof(*m));
    const ivrsm_node *root = ivrsm_document_root(doc);
    const ivrsm_node *states = ivrsm_node_get(root, "states");
    int rc = m ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < ivrsm_node_size(states); i++) {
        const char *name = ivrsm_node_key(states, i, NULL, NULL);
        const ivrsm_node *st = ivrsm_node_value(states, i);
        bool secret = collects_otp(root, st);
        if (!secret && !ivrsm_node_get(st, "collect")) {
            const char *next = text_of(root, ivrsm_node_get(st, "next"));
            secret = next && collects_otp(root, ivrsm_node_get(states, next));
        }
        if (secret && name)
            rc = add(m, name);
    }
    ivrsm_document_free(doc);
    if (rc != 0) {
        input_masking_unref(m);
        return NULL;
    }
    m->refs = 1;
    return m;
}

bool input_masking_secret(const input_masking *m, const char *state)
{
    for (size_t i = 0; m && state && i < m->count; i++) {
        if (!strcmp(m->states[i], state))
            return true;
    }
    return false;
}

input_masking *input_masking_ref(input_masking *m)
{
    if (m)
        m->refs++;
    return m;
}

void input_masking_unref(input_masking *m)
{
    if (!m || --m->refs > 0)
        return;
    for (size_t i = 0; i < m->count; i++)
        free(m->states[i]);
    free(m->states);
    free(m);
}
