/* ivrsm graph: draw a machine as a Graphviz DOT or Mermaid flowchart. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "graph_draw.h"
#include "term.h"
#include "ivrsm/ivrsm.h"

int cmd_graph(int argc, char **argv);

static void usage(FILE *out)
{
    fprintf(out, "usage: ivrsm graph FILE [--format dot|mermaid] [-o OUT]\n"
                 "\n"
                 "Draw the states of a machine and its transitions. Nodes are shaped by type\n"
                 "(prompt_and_listen: box, listen: ellipse, action_then_prompt: hexagon,\n"
                 "handoff: house, prompt_end: double circle, decide: diamond); the initial\n"
                 "state is marked by an arrow from a dot. Edges are labelled with what takes\n"
                 "them: the intent name, \"text: PHRASE\", \"when: CONDITION\" (with an intent:\n"
                 "\"INTENT [CONDITION]\"), success, fail, \"status 401\", \"status 4xx\",\n"
                 "timeout, error, noinput, nomatch, fallback, retry or next.\n"
                 "\n"
                 "options:\n"
                 "  -f, --format FORMAT  dot (default; render with `dot -Tsvg`) or mermaid\n"
                 "  -o, --output OUT     write to OUT instead of stdout\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "exit status: 0 drawn, 1 the machine does not load, 2 usage or I/O error\n");
}

typedef enum graph_format { GRAPH_DOT, GRAPH_MERMAID } graph_format;

void graph_edge_label(const ivrsm_transition *t, FILE *out)
{
    if (t->kind == IVRSM_TRANSITION_STATUS)
        fprintf(out, "status %s", t->status ? t->status : "");
    else if (t->kind != IVRSM_TRANSITION_ROUTE)
        fputs(ivrsm_transition_kind_name(t->kind), out);
    else if (t->intent)
        fputs(t->intent, out);
    else if (t->text)
        fprintf(out, "text: %s", t->text);
    else if (t->condition)
        fprintf(out, "when: %s", t->condition);
    if (t->kind == IVRSM_TRANSITION_ROUTE && t->condition && (t->intent || t->text))
        fprintf(out, " [%s]", t->condition);
}

/* Text escaped for a DOT double-quoted string; `\n` separates label lines. A machine's names
 * may hold control characters (a YAML escape writes ESC): they are drawn as "\u001b", and
 * never reach the terminal that shows the DOT text. */
static void dot_quote(FILE *b, const char *s)
{
    fputc('"', b);
    for (; *s; s++) {
        uint32_t cp;
        size_t n = *s != '\n' ? term_acting_at(s, &cp) : 0;
        if (n) {
            fprintf(b, "\\\\u%04x", (unsigned)cp);
            s += n - 1;
            continue;
        }
        if (*s == '"' || *s == '\\')
            fputc('\\', b);
        if (*s == '\n')
            fputs("\\n", b);
        else
            fputc(*s, b);
    }
    fputc('"', b);
}

/* Text for a Mermaid quoted string: quotes and pipes as entity codes, control characters as
 * "\u001b" (see dot_quote()). */
static void mermaid_quote(FILE *b, const char *s)
{
    fputc('"', b);
    for (; *s; s++) {
        uint32_t cp;
        size_t n = *s != '\n' ? term_acting_at(s, &cp) : 0;
        if (n) {
            fprintf(b, "\\u%04x", (unsigned)cp);
            s += n - 1;
        } else if (*s == '"')
            fputs("#quot;", b);
        else if (*s == '|')
            fputs("#124;", b);
        else if (*s == '\n')
            fputs(", ", b);
        else
            fputc(*s, b);
    }
    fputc('"', b);
}

/* The drawing of each state type: its DOT shape, its Mermaid brackets. */
static const struct {
    const char *type;
    const char *dot;
    const char *open;
    const char *close;
} shapes[] = {
    {"prompt_and_listen", "box", "[", "]"},
    {"action_then_prompt", "hexagon", "{{", "}}"},
    {"listen", "ellipse", "([", "])"},
    {"handoff", "house", "[/", "\\]"},
    {"prompt_end", "doublecircle", "(((", ")))"},
    {"decide", "diamond", "{", "}"},
};

static size_t shape_of(const ivrsm_machine *m, size_t i)
{
    const char *type = ivrsm_machine_state_type(m, i);
    for (size_t k = 0; k < sizeof(shapes) / sizeof(*shapes); k++)
        if (!strcmp(type, shapes[k].type))
            return k;
    return 0;
}

static void dot_node(FILE *b, const ivrsm_machine *m, size_t i, bool ids)
{
    fputs("  ", b);
    dot_quote(b, ivrsm_machine_state_name(m, i));
    fprintf(b, " [shape=%s%s", shapes[shape_of(m, i)].dot,
            i == ivrsm_machine_initial_state(m) ? ", style=bold, penwidth=2" : "");
    if (ids)
        fprintf(b, ", id=\"s%zu\"", i);
    fputs("];\n", b);
}

static void mermaid_node(FILE *b, const ivrsm_machine *m, size_t i)
{
    size_t k = shape_of(m, i);
    fprintf(b, "  s%zu%s", i, shapes[k].open);
    mermaid_quote(b, ivrsm_machine_state_name(m, i));
    fprintf(b, "%s\n", shapes[k].close);
}

/* Whether `text` is one of the lines of `label` already. */
static bool has_line(const char *label, const char *text)
{
    size_t tl = strlen(text);
    for (const char *p = strstr(label, text); p; p = strstr(p + 1, text))
        if ((p == label || p[-1] == '\n') && (p[tl] == '\0' || p[tl] == '\n'))
            return true;
    return false;
}

/*
 * All labels of the transitions from state i to `to`, one per line, each
 * once (the same intent may be routed twice). A malloc'ed string, or NULL on
 * no memory.
 */
static char *merged_label(const ivrsm_machine *m, size_t i, size_t to)
{
    char *label = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&label, &len);
    if (!out)
        return NULL;
    size_t n = ivrsm_machine_transition_count(m, i);
    bool ok = true;
    for (size_t k = 0; k < n && ok; k++) {
        const ivrsm_transition *t = ivrsm_machine_transition(m, i, k);
        if (t->to != to)
            continue;
        char *one = NULL;
        size_t one_len = 0;
        FILE *f = open_memstream(&one, &one_len);
        if (!f) {
            ok = false;
            break;
        }
        graph_edge_label(t, f);
        ok = fclose(f) == 0 && fflush(out) == 0;
        if (ok && !has_line(label, one))
            fprintf(out, "%s%s", len ? "\n" : "", one);
        free(one);
    }
    if (fclose(out) != 0 || !ok) {
        free(label);
        return NULL;
    }
    return label;
}

/* The first transition of state i to the same state as transition k. */
static bool first_to_target(const ivrsm_machine *m, size_t i, size_t k)
{
    size_t to = ivrsm_machine_transition(m, i, k)->to;
    for (size_t j = 0; j < k; j++)
        if (ivrsm_machine_transition(m, i, j)->to == to)
            return false;
    return true;
}

static bool draw_edges(FILE *b, const ivrsm_machine *m, size_t i, graph_format fmt, bool ids)
{
    size_t n = ivrsm_machine_transition_count(m, i);
    for (size_t k = 0; k < n; k++) {
        if (!first_to_target(m, i, k))
            continue; /* drawn with the first transition to the same state */
        size_t to = ivrsm_machine_transition(m, i, k)->to;
        char *label = merged_label(m, i, to);
        if (!label)
            return false;
        if (fmt == GRAPH_DOT) {
            fputs("  ", b);
            dot_quote(b, ivrsm_machine_state_name(m, i));
            fputs(" -> ", b);
            dot_quote(b, ivrsm_machine_state_name(m, to));
            fputs(" [label=", b);
            dot_quote(b, label);
            if (ids)
                fprintf(b, ", id=\"e%zu_%zu\"", i, to);
            fputs("];\n", b);
        } else {
            fprintf(b, "  s%zu -->|", i);
            mermaid_quote(b, label);
            fprintf(b, "| s%zu\n", to);
        }
        free(label);
    }
    return true;
}

/* "name: type = default, required" lines of the machine's inputs; NULL when it has none. */
static char *inputs_label(const ivrsm_machine *m)
{
    size_t n = ivrsm_machine_input_count(m);
    if (!n)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs("inputs (the host gives them)", f);
    for (size_t i = 0; i < n; i++) {
        const ivrsm_input *in = ivrsm_machine_input(m, i);
        fprintf(f, "\n%s: %s", in->name, in->type);
        if (in->default_json)
            fprintf(f, " = %s", in->default_json);
        if (in->required)
            fputs(", required", f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The drawing as a malloc'ed text in *out (*len bytes); false on no memory. */
static bool draw(const ivrsm_machine *m, graph_format fmt, bool ids, char **out, size_t *len)
{
    FILE *b = open_memstream(out, len);
    if (!b)
        return false;
    size_t initial = ivrsm_machine_initial_state(m);
    if (fmt == GRAPH_DOT) {
        fputs("digraph ", b);
        dot_quote(b, ivrsm_machine_name(m));
        fputs(" {\n  rankdir=LR;\n"
              "  node [fontname=\"Helvetica\", fontsize=10];\n"
              "  edge [fontname=\"Helvetica\", fontsize=9];\n"
              "  \"__start\" [shape=point, width=0.15, label=\"\"];\n"
              "  \"__start\" -> ",
              b);
        dot_quote(b, ivrsm_machine_state_name(m, initial));
        fputs(";\n", b);
    } else {
        fprintf(b, "flowchart LR\n  start((\" \")) --> s%zu\n", initial);
    }
    /* What the host gives, as a note beside the start (not in the viewer's drawing). */
    char *inputs = ids ? NULL : inputs_label(m);
    if (inputs && fmt == GRAPH_DOT) {
        fputs("  \"__inputs\" [shape=note, label=", b);
        dot_quote(b, inputs);
        fputs("];\n  \"__inputs\" -> \"__start\" [style=dotted, arrowhead=none];\n", b);
    } else if (inputs) {
        fputs("  inputs[/", b);
        mermaid_quote(b, inputs);
        fputs("/] -.- start\n", b);
    }
    free(inputs);
    size_t states = ivrsm_machine_state_count(m);
    for (size_t i = 0; i < states; i++) {
        if (fmt == GRAPH_DOT)
            dot_node(b, m, i, ids);
        else
            mermaid_node(b, m, i);
    }
    bool ok = true;
    for (size_t i = 0; i < states && ok; i++)
        ok = draw_edges(b, m, i, fmt, ids);
    if (fmt == GRAPH_DOT)
        fputs("}\n", b);
    if (fclose(b) != 0 || !ok) {
        free(*out);
        *out = NULL;
        return false;
    }
    return true;
}

bool graph_draw_dot(const ivrsm_machine *m, bool ids, char **out, size_t *len)
{
    return draw(m, GRAPH_DOT, ids, out, len);
}

static int parse_format(const char *v, graph_format *fmt)
{
    if (v && !strcmp(v, "dot"))
        *fmt = GRAPH_DOT;
    else if (v && !strcmp(v, "mermaid"))
        *fmt = GRAPH_MERMAID;
    else
        return -1;
    return 0;
}

static int write_output(const char *path, const char *text, size_t len)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "ivrsm graph: cannot write %s\n", path);
        return 2;
    }
    size_t n = fwrite(text, 1, len, f);
    int failed = n != len || (path ? fclose(f) : fflush(f)) != 0;
    if (failed) {
        fprintf(stderr, "ivrsm graph: cannot write %s\n", path ? path : "to stdout");
        return 2;
    }
    return 0;
}

int cmd_graph(int argc, char **argv)
{
    const char *file = NULL, *output = NULL;
    graph_format fmt = GRAPH_DOT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if ((r = drv_option_value("ivrsm graph", argc, argv, &i, "--format", &v)) != 0 ||
                   (r = drv_option_value("ivrsm graph", argc, argv, &i, "-f", &v)) != 0) {
            if (r < 0)
                return 2;
            if (parse_format(v, &fmt) != 0) {
                fprintf(stderr, "ivrsm graph: --format takes dot or mermaid, not '%s'", v);
                /* A picture format is Graphviz's to write, from the DOT text. */
                if (!strcmp(v, "svg") || !strcmp(v, "png") || !strcmp(v, "pdf"))
                    fprintf(stderr, " (for %s: ivrsm graph FILE | dot -T%s -o graph.%s)", v, v, v);
                fputc('\n', stderr);
                return 2;
            }
        } else if ((r = drv_output_option("ivrsm graph", argc, argv, &i, &output)) != 0) {
            if (r < 0)
                return 2;
        } else if (drv_operand("ivrsm graph", a, "file", &file) != 0) {
            return 2;
        }
    }
    if (drv_operand_given("ivrsm graph", "file", file, usage) != 0)
        return 2;
    ivrsm_machine *m;
    ivrsm_error err;
    int rc = ivrsm_machine_load_file(file, IVRSM_FORMAT_AUTO, &m, &err);
    if (rc != 0) {
        if (err.line > 0)
            fprintf(stderr, "%s:%d:%d: error: %s\n", err.file, err.line, err.column, err.message);
        else
            fprintf(stderr, "%s: error: %s\n", err.file, err.message);
        return rc == IVRSM_EIO || rc == IVRSM_ENOMEM ? 2 : 1;
    }
    char *text = NULL;
    size_t len = 0;
    bool drawn = draw(m, fmt, false, &text, &len);
    ivrsm_machine_unref(m);
    if (!drawn) {
        fprintf(stderr, "ivrsm graph: out of memory\n");
        return 2;
    }
    rc = write_output(output, text, len);
    free(text);
    return rc;
}
