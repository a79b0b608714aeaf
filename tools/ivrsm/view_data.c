/*
 * The data of the view page, one JSON object:
 *
 *   {"format": "ivrsm-view/1",
 *    "machine": {"name", "version", "file", "initial": INDEX},
 *    "states": [{"name", "type", "line"}],                  machine order
 *    "transitions": [{"from": I, "to": J, "kind", "label"?, "line", "edge": "eI_J"}],
 *    "doc": the machine document as written, "lines": {JSON pointer: line},
 *    "traces": [{"file", "header": {...} | null, "records": [...]}],
 *    "coverage": null | {"file", "scenarios", "summary", "states": [visits],
 *                        "transitions": [hits], "runtime": [...]}}
 *
 * Edges and coverage follow the machine's own transition list, so the page
 * draws, replays and colours the graph that the validator, `ivrsm graph` and
 * `ivrsm test --coverage` read.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounded_read.h"
#include "json_real.h"
#include "graph_draw.h"
#include "view_data.h"
#include "yamldoc.h"

static json_t *fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static json_t *fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return NULL;
}

/* ---------------------------------------------------------------------------
 * States and transitions, with the lines they come from
 * ------------------------------------------------------------------------- */

/* "/states/NAME" + suffix, NAME escaped as RFC 6901 says. */
static void state_pointer(char *out, size_t outlen, const char *state, const char *suffix)
{
    size_t n = 0;
    n += (size_t)snprintf(out, outlen, "/states/");
    for (const char *p = state; *p && n + 3 < outlen; p++) {
        if (*p == '~' || *p == '/') {
            out[n++] = '~';
            out[n++] = *p == '~' ? '0' : '1';
        } else {
            out[n++] = *p;
        }
    }
    out[n] = '\0';
    snprintf(out + n, outlen - n, "%s", suffix);
}

static int line_at(const json_t *lines, const char *pointer)
{
    return (int)json_integer_value(json_object_get(lines, pointer));
}

/*
 * The line of a transition: the route, block or outcome that declares it
 * (an outcome may also be written inside `action`), else the state's.
 */
static int transition_line(const json_t *lines, const char *state, const ivrsm_transition *t)
{
    char suffix[64], pointer[4096];
    const char *alt = NULL;
    switch (t->kind) {
    case IVRSM_TRANSITION_ROUTE:
        snprintf(suffix, sizeof(suffix), "/routes/%zu", t->route);
        break;
    case IVRSM_TRANSITION_NOINPUT:
        snprintf(suffix, sizeof(suffix), "/noinput");
        break;
    case IVRSM_TRANSITION_NOMATCH:
        snprintf(suffix, sizeof(suffix), "/nomatch");
        break;
    case IVRSM_TRANSITION_FALLBACK:
        snprintf(suffix, sizeof(suffix), "/fallback");
        break;
    case IVRSM_TRANSITION_RETRY:
        snprintf(suffix, sizeof(suffix), "/collect/retry");
        break;
    case IVRSM_TRANSITION_SUCCESS:
        snprintf(suffix, sizeof(suffix), "/on_success");
        alt = "/action/on_success";
        break;
    case IVRSM_TRANSITION_FAIL:
        snprintf(suffix, sizeof(suffix), "/on_fail");
        alt = "/action/on_fail";
        break;
    default:
        snprintf(suffix, sizeof(suffix), "/next");
        break;
    }
    state_pointer(pointer, sizeof(pointer), state, suffix);
    int line = line_at(lines, pointer);
    if (!line && alt) {
        state_pointer(pointer, sizeof(pointer), state, alt);
        line = line_at(lines, pointer);
    }
    if (!line) {
        state_pointer(pointer, sizeof(pointer), state, "");
        line = line_at(lines, pointer);
    }
    return line;
}

static json_t *label_of(const ivrsm_transition *t)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    graph_edge_label(t, f);
    json_t *v = fclose(f) == 0 ? json_stringn(text, len) : NULL;
    free(text);
    return v;
}

static json_t *transition_json(const ivrsm_machine *m, const json_t *lines,
                               const ivrsm_transition *t)
{
    char edge[64];
    snprintf(edge, sizeof(edge), "e%zu_%zu", t->from, t->to);
    json_t *o = json_pack(
        "{s:I, s:I, s:s, s:o*, s:i, s:s}", "from", (json_int_t)t->from, "to", (json_int_t)t->to,
        "kind", ivrsm_transition_kind_name(t->kind), "label", label_of(t), "line",
        transition_line(lines, ivrsm_machine_state_name(m, t->from), t), "edge", edge);
    if (o && t->intent)
        json_object_set_new(o, "intent", json_string(t->intent));
    if (o && t->text)
        json_object_set_new(o, "text", json_string(t->text));
    return o;
}

static bool add_graph(json_t *data, const ivrsm_machine *m, const json_t *lines)
{
    json_t *states = json_array(), *transitions = json_array();
    json_object_set_new(data, "states", states);
    json_object_set_new(data, "transitions", transitions);
    if (!states || !transitions)
        return false;
    size_t count = ivrsm_machine_state_count(m);
    for (size_t i = 0; i < count; i++) {
        char pointer[4096];
        const char *name = ivrsm_machine_state_name(m, i);
        state_pointer(pointer, sizeof(pointer), name, "");
        if (json_array_append_new(states, json_pack("{s:s, s:s, s:i}", "name", name, "type",
                                                    ivrsm_machine_state_type(m, i), "line",
                                                    line_at(lines, pointer))) != 0)
            return false;
        for (size_t k = 0; k < ivrsm_machine_transition_count(m, i); k++)
            if (json_array_append_new(
                    transitions, transition_json(m, lines, ivrsm_machine_transition(m, i, k))) != 0)
                return false;
    }
    return true;
}

/* ---------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------- */

static char *read_text(const char *path, size_t *len, char *err, size_t errlen)
{
    char *buf = bounded_file(path, VIEW_MAX_FILE_BYTES, len);
    if (!buf && errno == EFBIG)
        snprintf(err, errlen, "%s: larger than 64 MiB", path);
    else if (!buf)
        snprintf(err, errlen, "%s: cannot open: %s", path, bounded_strerror(errno));
    return buf;
}

static bool is_sim_header(const json_t *rec)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    return kind && !strcmp(kind, "sim");
}

/*
 * A trace file: JSON lines (the sim's, or any host's records), or the log of
 * the ESL host at --log-level debug, whose lines
 * "TIME debug call UUID: trace RECORD" (examples/esl_host/calls.c, on_trace;
 * log.c, log_at) hold the records of many calls, told apart by UUID. Every
 * record passes the machine's redaction once more, so that a trace written
 * by a host that forgot to mask something shows nothing secret in the page.
 * The sim's header ({"kind": "sim"}) is kept apart. Each call found is
 * appended to `out` as {"file", "header", "records"}.
 */
typedef struct trace_reader {
    const ivrsm_machine *m;
    const char *path;
    json_t *calls; /* call id ("" for a JSON-lines file) → {"file", "header", "records"} */
    json_t *order; /* call ids, in the order first seen */
} trace_reader;

static json_t *call_of(trace_reader *t, const char *id)
{
    json_t *c = json_object_get(t->calls, id);
    if (c)
        return c;
    char name[600];
    if (*id)
        snprintf(name, sizeof(name), "%s (call %s)", t->path, id);
    else
        snprintf(name, sizeof(name), "%s", t->path);
    c = json_pack("{s:s, s:n, s:[]}", "file", name, "header", "records");
    json_object_set_new(t->calls, id, c);
    json_array_append_new(t->order, json_string(id));
    return c;
}

/*
 * Add one record (JSON text) to call `id`; false when it is no trace record: every record
 * (the library's, lib/runtime/trace.c, and the sim's header and input lines) is a JSON object
 * with a string "kind", so any other JSON ({"machine": "m"}, another tool's log) is refused
 * rather than drawn as an empty call.
 */
/*
 * The members a record of the library has of its own (lib/runtime/trace.c, and a command's
 * members, lib/runtime/command.c): their names are the library's, not ctx keys, so a machine
 * whose sensitive_keys name a ctx key "reason" or "state" does not blank them in the page.
 * Every other member (a request's body and headers, a handoff's context, whatever a host
 * added), and everything inside one, passes the machine's redaction.
 */
static const char record_own_members[] =
    " kind seq t session type id event_id state from to reason detail text parts language"
    " confidence command status error ok dtmf speech min_digits max_digits terminators"
    " timeout_ms digit_timeout_ms barge_in collect hints endpoint method path query"
    " idempotency_key queue ";

static bool record_own_member(const char *key)
{
    size_t n = strlen(key);
    if (!n || strchr(key, ' '))
        return false;
    for (const char *at = strstr(record_own_members, key); at; at = strstr(at + 1, key))
        if (at[-1] == ' ' && at[n] == ' ')
            return true;
    return false;
}

/* The record of JSON text `text` with its data members redacted, or NULL when it is not a JSON
 * object (or memory ran out). */
static json_t *redacted_record(const ivrsm_machine *m, const char *text)
{
    json_t *rec = json_loads(text, 0, NULL);
    json_t *data = json_is_object(rec) ? json_object() : NULL;
    if (!data) {
        json_decref(rec);
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach(rec, k, v)
    {
        if (!record_own_member(k))
            json_object_set(data, k, v);
    }
    char *data_text = ivrsm_json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *clean = data_text ? ivrsm_machine_redact_json(m, data_text) : NULL;
    json_t *masked = clean ? json_loads(clean, 0, NULL) : NULL;
    free(data_text);
    ivrsm_free(clean);
    json_decref(data);
    if (!json_is_object(masked) || json_object_update_existing(rec, masked) != 0) {
        json_decref(masked);
        json_decref(rec);
        return NULL;
    }
    json_decref(masked);
    return rec;
}

static bool add_record(trace_reader *t, const char *id, const char *text)
{
    json_t *rec = redacted_record(t->m, text);
    if (!json_is_object(rec) || !json_is_string(json_object_get(rec, "kind"))) {
        json_decref(rec);
        return false;
    }
    json_t *c = call_of(t, id);
    json_t *records = json_object_get(c, "records");
    if (json_is_null(json_object_get(c, "header")) && !json_array_size(records) &&
        is_sim_header(rec))
        json_object_set_new(c, "header", rec);
    else
        json_array_append_new(records, rec);
    return true;
}

/* "… call UUID: trace {…}" of an ESL host log: the call id and the record, or false. */
static bool host_log_line(char *line, const char **id, const char **record)
{
    char *mark = strstr(line, ": trace {");
    char *call = mark ? strstr(line, " call ") : NULL;
    if (!call || call > mark)
        return false;
    *mark = '\0';
    *id = call + 6;
    *record = mark + 8;
    return true;
}

static bool load_trace(const ivrsm_machine *m, const char *path, json_t *out, char *err,
                       size_t errlen)
{
    size_t len = 0;
    char *text = read_text(path, &len, err, errlen);
    if (!text)
        return false;
    trace_reader t = {m, path, json_object(), json_array()};
    const char *first = text + strspn(text, " \t\r\n");
    bool host_log = *first && *first != '{';
    size_t line_no = 0;
    bool ok = t.calls && t.order;
    for (char *line = text, *next; ok && line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        line_no++;
        const char *id = "", *record = line;
        if (strspn(line, " \t\r") == strlen(line))
            continue;
        if (host_log && !host_log_line(line, &id, &record))
            continue; /* the host's other lines */
        if (!add_record(&t, id, record)) {
            snprintf(err, errlen,
                     "%s:%zu: not a trace record (one JSON object per line, each with its "
                     "\"kind\": start, transition, event, command...)",
                     path, line_no);
            ok = false;
        }
    }
    free(text);
    size_t i, calls = 0;
    json_t *id;
    json_array_foreach(t.order, i, id)
    {
        calls += json_array_size(json_object_get(json_object_get(t.calls, json_string_value(id)),
                                                 "records")) > 0;
    }
    if (ok && !calls) {
        snprintf(err, errlen, "%s: no trace record in the file%s", path,
                 host_log ? " (the ESL host writes them at --log-level debug)" : "");
        ok = false;
    }
    json_array_foreach(t.order, i, id)
    {
        json_t *c = json_object_get(t.calls, json_string_value(id));
        const char *name =
            json_string_value(json_object_get(json_object_get(c, "header"), "machine_name"));
        if (ok && name && strcmp(name, ivrsm_machine_name(m)) != 0)
            fprintf(stderr, "ivrsm view: note: %s was recorded on machine %s, not %s\n", path, name,
                    ivrsm_machine_name(m));
        if (ok && json_array_size(json_object_get(c, "records")))
            json_array_append(out, c);
    }
    json_decref(t.calls);
    json_decref(t.order);
    return ok;
}

/* The entry of a coverage report for this machine, by name (and version). */
static const json_t *coverage_entry(const ivrsm_machine *m, const json_t *doc)
{
    const json_t *found = NULL, *entry;
    size_t i;
    json_array_foreach(json_object_get(doc, "coverage"), i, entry)
    {
        const char *name = json_string_value(json_object_get(entry, "name"));
        const char *version = json_string_value(json_object_get(entry, "version"));
        if (!name || strcmp(name, ivrsm_machine_name(m)) != 0)
            continue;
        if (version && !strcmp(version, ivrsm_machine_version(m)))
            return entry;
        found = found ? found : entry;
    }
    return found;
}

static bool same_str(const json_t *v, const char *s)
{
    const char *t = json_string_value(v);
    return t && s && !strcmp(t, s);
}

/* The hits of transition t in the report's list (0 when it is not there). */
static json_int_t transition_hits(const ivrsm_machine *m, const json_t *list,
                                  const ivrsm_transition *t)
{
    const char *label = t->intent ? t->intent : t->text;
    const json_t *e;
    size_t i;
    json_array_foreach(list, i, e)
    {
        if (!same_str(json_object_get(e, "from"), ivrsm_machine_state_name(m, t->from)) ||
            !same_str(json_object_get(e, "to"), ivrsm_machine_state_name(m, t->to)) ||
            !same_str(json_object_get(e, "kind"), ivrsm_transition_kind_name(t->kind)))
            continue;
        const json_t *l = json_object_get(e, "label");
        if ((label && same_str(l, label)) || (!label && !l))
            return json_integer_value(json_object_get(e, "hits"));
    }
    return 0;
}

static json_int_t state_visits(const json_t *list, const char *name)
{
    const json_t *s;
    size_t i;
    json_array_foreach(list, i, s)
    {
        if (same_str(json_object_get(s, "name"), name))
            return json_integer_value(json_object_get(s, "visits"));
    }
    return 0;
}

static json_t *load_coverage(const ivrsm_machine *m, const char *path, char *err, size_t errlen)
{
    /* Read as the trace is, within a bound and without waiting on a FIFO: anyone may have
     * written it. */
    size_t len;
    char *text = read_text(path, &len, err, errlen);
    if (!text)
        return NULL;
    json_error_t je;
    json_t *doc = json_loadb(text, len, 0, &je);
    free(text);
    if (!doc)
        return fail(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    const json_t *entry = coverage_entry(m, doc);
    if (!json_is_array(json_object_get(doc, "coverage")) || !entry) {
        json_decref(doc);
        return fail(err, errlen,
                    "%s: no coverage of machine %s in it (write it with "
                    "`ivrsm test SCENARIO... --coverage --json > FILE`)",
                    path, ivrsm_machine_name(m));
    }
    json_t *visits = json_array(), *hits = json_array();
    const json_t *st = json_object_get(entry, "states"),
                 *tr = json_object_get(entry, "transitions");
    for (size_t i = 0; i < ivrsm_machine_state_count(m); i++) {
        json_array_append_new(visits,
                              json_integer(state_visits(st, ivrsm_machine_state_name(m, i))));
        for (size_t k2 = 0; k2 < ivrsm_machine_transition_count(m, i); k2++)
            json_array_append_new(
                hits, json_integer(transition_hits(m, tr, ivrsm_machine_transition(m, i, k2))));
    }
    json_t *out = json_pack("{s:s, s:O*, s:O*, s:o, s:o, s:O*}", "file", path, "scenarios",
                            json_object_get(entry, "scenarios"), "summary",
                            json_object_get(entry, "summary"), "states", visits, "transitions",
                            hits, "runtime", json_object_get(entry, "runtime"));
    json_decref(doc);
    return out;
}

json_t *view_data_build(const ivrsm_machine *m, const char *machine_path, const char *const *traces,
                        size_t trace_count, const char *coverage, char *err, size_t errlen)
{
    json_t *lines = NULL;
    json_t *doc = yamldoc_load_lines(machine_path, IVRSM_MAX_DOCUMENT_BYTES, &lines, err, errlen);
    if (!doc)
        return NULL;
    json_t *data = json_pack(
        "{s:s, s:{s:s, s:s, s:s, s:I}, s:o, s:o}", "format", "ivrsm-view/1", "machine", "name",
        ivrsm_machine_name(m), "version", ivrsm_machine_version(m), "file", machine_path, "initial",
        (json_int_t)ivrsm_machine_initial_state(m), "doc", doc, "lines", lines);
    if (!data || !add_graph(data, m, lines)) {
        json_decref(data);
        return fail(err, errlen, "ivrsm view: out of memory");
    }
    json_t *list = json_array();
    json_object_set_new(data, "traces", list);
    for (size_t i = 0; i < trace_count; i++) {
        if (!load_trace(m, traces[i], list, err, errlen)) {
            json_decref(data);
            return NULL;
        }
    }
    json_t *cov = coverage ? load_coverage(m, coverage, err, errlen) : json_null();
    if (!cov) {
        json_decref(data);
        return NULL;
    }
    json_object_set_new(data, "coverage", cov);
    return data;
}
