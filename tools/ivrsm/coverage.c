/*
 * Machine coverage from trace records, counted against the machine's own
 * transitions (the public iterator), so that coverage, `ivrsm graph` and the
 * validator read one graph.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "term.h"

/* ---------------------------------------------------------------------------
 * The machine's transitions
 * ------------------------------------------------------------------------- */

static bool same_edge(const cov_edge *a, const cov_edge *b)
{
    if (a->from != b->from || a->to != b->to || a->kind != b->kind)
        return false;
    if (!a->label || !b->label)
        return a->label == b->label;
    return a->label_len == b->label_len && !memcmp(a->label, b->label, a->label_len);
}

static cov_edge edge_of(const ivrsm_transition *t)
{
    const char *label = t->intent      ? t->intent
                        : t->text      ? t->text
                        : t->condition ? t->condition
                                       : t->status;
    return (cov_edge){t->from, t->to, t->kind, label, label ? strlen(label) : 0};
}

int cov_static_edges(const ivrsm_machine *m, cov_edge **out, size_t *count)
{
    size_t total = 0, states = ivrsm_machine_state_count(m);
    for (size_t i = 0; i < states; i++)
        total += ivrsm_machine_transition_count(m, i);
    cov_edge *edges = malloc((total ? total : 1) * sizeof(*edges));
    if (!edges)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < states; i++) {
        size_t first = n; /* duplicates are within one state */
        for (size_t k = 0; k < ivrsm_machine_transition_count(m, i); k++) {
            cov_edge e = edge_of(ivrsm_machine_transition(m, i, k));
            bool seen = false;
            for (size_t j = first; j < n && !seen; j++)
                seen = same_edge(&edges[j], &e);
            if (!seen)
                edges[n++] = e;
        }
    }
    *out = edges;
    *count = n;
    return 0;
}

int cov_reason_parse(const char *reason, ivrsm_transition_kind *kind, const char **label,
                     size_t *label_len, const char **via)
{
    static const struct {
        const char *prefix;
        const char *via;
    } routes[] = {{"dtmf:", "dtmf"}, {"intent:", "intent"}, {"text:", "text"}, {"when:", "when"}};
    static const struct {
        const char *word;
        ivrsm_transition_kind kind;
    } plain[] = {{"success", IVRSM_TRANSITION_SUCCESS},   {"fail", IVRSM_TRANSITION_FAIL},
                 {"noinput", IVRSM_TRANSITION_NOINPUT},   {"nomatch", IVRSM_TRANSITION_NOMATCH},
                 {"fallback", IVRSM_TRANSITION_FALLBACK}, {"retry", IVRSM_TRANSITION_RETRY},
                 {"next", IVRSM_TRANSITION_NEXT},         {"collected", IVRSM_TRANSITION_NEXT},
                 {"timeout", IVRSM_TRANSITION_TIMEOUT},   {"error", IVRSM_TRANSITION_ERROR}};
    *label = NULL;
    *label_len = 0;
    *via = NULL;
    for (size_t i = 0; i < sizeof(routes) / sizeof(*routes); i++) {
        size_t n = strlen(routes[i].prefix);
        if (!strncmp(reason, routes[i].prefix, n)) {
            *kind = IVRSM_TRANSITION_ROUTE;
            *label = reason + n;
            *label_len = strlen(reason + n);
            *via = routes[i].via;
            return 0;
        }
    }
    if (!strncmp(reason, "status:", 7)) {
        *kind = IVRSM_TRANSITION_STATUS;
        *label = reason + 7;
        *label_len = strlen(reason + 7);
        return 0;
    }
    for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++) {
        if (!strcmp(reason, plain[i].word)) {
            *kind = plain[i].kind;
            return 0;
        }
    }
    return -1;
}

/* ---------------------------------------------------------------------------
 * The tally
 * ------------------------------------------------------------------------- */

enum { VIA_DTMF = 1, VIA_INTENT = 2, VIA_TEXT = 4, VIA_WHEN = 8 };

struct cov_tally {
    ivrsm_machine *m;
    char *path;
    cov_edge *edges;
    size_t edge_count;
    unsigned *edge_hits;
    unsigned char *edge_via; /* VIA_* bits */
    unsigned *visits;        /* per state */
    json_t *runtime; /* "from → to (reason)" → {from, to, reason, hits}, outside the list */
    unsigned scenarios;
};

cov_tally *cov_tally_new(ivrsm_machine *m, const char *path)
{
    cov_tally *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->m = ivrsm_machine_ref(m);
    t->path = strdup(path);
    t->runtime = json_object();
    size_t states = ivrsm_machine_state_count(m);
    t->visits = calloc(states ? states : 1, sizeof(*t->visits));
    if (!t->path || !t->runtime || !t->visits ||
        cov_static_edges(m, &t->edges, &t->edge_count) != 0) {
        cov_tally_free(t);
        return NULL;
    }
    t->edge_hits = calloc(t->edge_count ? t->edge_count : 1, sizeof(*t->edge_hits));
    t->edge_via = calloc(t->edge_count ? t->edge_count : 1, 1);
    if (!t->edge_hits || !t->edge_via) {
        cov_tally_free(t);
        return NULL;
    }
    return t;
}

static unsigned via_bit(const char *via)
{
    if (!via)
        return 0;
    return !strcmp(via, "dtmf")     ? VIA_DTMF
           : !strcmp(via, "intent") ? VIA_INTENT
           : !strcmp(via, "when")   ? VIA_WHEN
                                    : VIA_TEXT;
}

static void count_runtime(cov_tally *t, const char *from, const char *to, const char *reason)
{
    char key[600];
    snprintf(key, sizeof(key), "%s → %s (%s)", from, to, reason);
    json_t *entry = json_object_get(t->runtime, key);
    if (entry) {
        json_int_t n = json_integer_value(json_object_get(entry, "hits"));
        json_object_set_new(entry, "hits", json_integer(n + 1));
        return;
    }
    json_object_set_new(
        t->runtime, key,
        json_pack("{s:s, s:s, s:s, s:i}", "from", from, "to", to, "reason", reason, "hits", 1));
}

int cov_edge_find(const cov_edge *edges, size_t count, size_t from, size_t to,
                  ivrsm_transition_kind kind, const char *label, size_t label_len)
{
    cov_edge want = {from, to, kind, label, label_len};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < count; i++)
            if (same_edge(&edges[i], &want))
                return (int)i;
        if (kind != IVRSM_TRANSITION_SUCCESS && kind != IVRSM_TRANSITION_FAIL)
            break;
        want.kind = IVRSM_TRANSITION_NEXT;
    }
    return -1;
}

int cov_edge_of_record(const ivrsm_machine *m, const cov_edge *edges, size_t count,
                       const char *from, const char *to, const char *reason, const char **via)
{
    int from_index = from ? ivrsm_machine_state_index(m, from) : -1;
    int to_index = to ? ivrsm_machine_state_index(m, to) : -1;
    ivrsm_transition_kind k;
    const char *label;
    size_t label_len;
    *via = NULL;
    if (from_index < 0 || to_index < 0 || !reason ||
        cov_reason_parse(reason, &k, &label, &label_len, via) != 0)
        return -1;
    return cov_edge_find(edges, count, (size_t)from_index, (size_t)to_index, k, label, label_len);
}

void cov_tally_record(cov_tally *t, const char *record)
{
    json_t *r = json_loads(record, 0, NULL);
    const char *kind = json_string_value(json_object_get(r, "kind"));
    if (!kind || strcmp(kind, "transition") != 0) {
        json_decref(r);
        return;
    }
    const char *from = json_string_value(json_object_get(r, "from"));
    const char *to = json_string_value(json_object_get(r, "to"));
    const char *reason = json_string_value(json_object_get(r, "reason"));
    int to_index = to ? ivrsm_machine_state_index(t->m, to) : -1;
    if (to_index >= 0)
        t->visits[to_index]++;
    if (!from || to_index < 0 || !reason) {
        json_decref(r);
        return;
    }
    const char *via;
    int i = cov_edge_of_record(t->m, t->edges, t->edge_count, from, to, reason, &via);
    if (i >= 0) {
        t->edge_hits[i]++;
        t->edge_via[i] |= (unsigned char)via_bit(via);
        json_decref(r);
        return;
    }
    count_runtime(t, from, to, reason);
    json_decref(r);
}

void cov_tally_scenario(cov_tally *t)
{
    t->scenarios++;
}

static double percent(size_t part, size_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 100.0;
}

static void print_edge(const cov_tally *t, FILE *out, size_t i, const char *indent)
{
    const cov_edge *e = &t->edges[i];
    fprintf(out, "%s%s → %s  %s", indent, ivrsm_machine_state_name(t->m, e->from),
            ivrsm_machine_state_name(t->m, e->to), ivrsm_transition_kind_name(e->kind));
    if (e->label)
        fprintf(out, " %.*s", (int)e->label_len, e->label);
    if (t->edge_hits[i]) {
        unsigned via = t->edge_via[i];
        if (via) {
            const char *sep = " (via ";
            static const struct {
                unsigned bit;
                const char *name;
            } vias[] = {{VIA_DTMF, "dtmf"},
                        {VIA_INTENT, "speech/intent"},
                        {VIA_TEXT, "text"},
                        {VIA_WHEN, "condition"}};
            for (size_t v = 0; v < sizeof(vias) / sizeof(*vias); v++)
                if (via & vias[v].bit) {
                    fprintf(out, "%s%s", sep, vias[v].name);
                    sep = ", ";
                }
            fputc(')', out);
        }
        fprintf(out, "  ×%u", t->edge_hits[i]);
    }
    fputc('\n', out);
}

void cov_tally_print(const cov_tally *t, FILE *out, bool all, bool color)
{
    size_t states = ivrsm_machine_state_count(t->m);
    size_t visited = 0, exercised = 0;
    for (size_t i = 0; i < states; i++)
        visited += t->visits[i] > 0;
    for (size_t i = 0; i < t->edge_count; i++)
        exercised += t->edge_hits[i] > 0;
    fprintf(out, "%scoverage of %s%s (%s %s), %u scenario%s\n", term_sgr(color, TERM_BOLD), t->path,
            term_sgr(color, TERM_RESET), ivrsm_machine_name(t->m), ivrsm_machine_version(t->m),
            t->scenarios, t->scenarios == 1 ? "" : "s");
    fprintf(out, "  states visited:        %zu of %zu (%.1f%%)\n", visited, states,
            percent(visited, states));
    fprintf(out, "  transitions exercised: %zu of %zu (%.1f%%)\n", exercised, t->edge_count,
            percent(exercised, t->edge_count));
    if (exercised) {
        fprintf(out, "  transitions exercised:\n");
        for (size_t i = 0; i < t->edge_count; i++)
            if (t->edge_hits[i])
                print_edge(t, out, i, "    ");
    }
    if (json_object_size(t->runtime)) {
        fprintf(out, "  run-time transitions (escalations, not in the machine's list):\n");
        const char *k;
        json_t *v;
        json_object_foreach(t->runtime, k, v)
        {
            fprintf(out, "    %s  ×%lld\n", k,
                    (long long)json_integer_value(json_object_get(v, "hits")));
        }
    }
    if (visited < states) {
        fprintf(out, "  states never visited (%zu):\n", states - visited);
        for (size_t i = 0; i < states; i++)
            if (!t->visits[i])
                fprintf(out, "    %s\n", ivrsm_machine_state_name(t->m, i));
    }
    if (all && exercised < t->edge_count) {
        fprintf(out, "  transitions never exercised (%zu):\n", t->edge_count - exercised);
        for (size_t i = 0; i < t->edge_count; i++)
            if (!t->edge_hits[i])
                print_edge(t, out, i, "    ");
    }
}

static json_t *via_list(unsigned via)
{
    json_t *list = json_array();
    if (via & VIA_DTMF)
        json_array_append_new(list, json_string("dtmf"));
    if (via & VIA_INTENT)
        json_array_append_new(list, json_string("intent"));
    if (via & VIA_TEXT)
        json_array_append_new(list, json_string("text"));
    return list;
}

static json_t *edge_json(const cov_tally *t, size_t i)
{
    const cov_edge *e = &t->edges[i];
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:i, s:o}", "from", ivrsm_machine_state_name(t->m, e->from), "to",
        ivrsm_machine_state_name(t->m, e->to), "kind", ivrsm_transition_kind_name(e->kind), "hits",
        (json_int_t)t->edge_hits[i], "via", via_list(t->edge_via[i]));
    if (o && e->label)
        json_object_set_new(o, "label", json_stringn(e->label, e->label_len));
    return o;
}

json_t *cov_tally_json(const cov_tally *t)
{
    size_t states = ivrsm_machine_state_count(t->m);
    size_t visited = 0, exercised = 0;
    json_t *st = json_array(), *tr = json_array(), *rt = json_array();
    for (size_t i = 0; i < states; i++) {
        visited += t->visits[i] > 0;
        json_array_append_new(
            st, json_pack("{s:s, s:s, s:i}", "name", ivrsm_machine_state_name(t->m, i), "type",
                          ivrsm_machine_state_type(t->m, i), "visits", (json_int_t)t->visits[i]));
    }
    for (size_t i = 0; i < t->edge_count; i++) {
        exercised += t->edge_hits[i] > 0;
        json_array_append_new(tr, edge_json(t, i));
    }
    const char *k;
    json_t *v;
    json_object_foreach(t->runtime, k, v)
    {
        json_array_append(rt, v);
    }
    return json_pack("{s:s, s:s, s:s, s:i, s:{s:i, s:i, s:i, s:i}, s:o, s:o, s:o}", "machine",
                     t->path, "name", ivrsm_machine_name(t->m), "version",
                     ivrsm_machine_version(t->m), "scenarios", (json_int_t)t->scenarios, "summary",
                     "states", (json_int_t)states, "states_visited", (json_int_t)visited,
                     "transitions", (json_int_t)t->edge_count, "transitions_exercised",
                     (json_int_t)exercised, "states", st, "transitions", tr, "runtime", rt);
}

ivrsm_machine *cov_tally_machine(const cov_tally *t)
{
    return t->m;
}

const char *cov_tally_path(const cov_tally *t)
{
    return t->path;
}

void cov_tally_free(cov_tally *t)
{
    if (!t)
        return;
    ivrsm_machine_unref(t->m);
    free(t->path);
    free(t->edges);
    free(t->edge_hits);
    free(t->edge_via);
    free(t->visits);
    json_decref(t->runtime);
    free(t);
}
