/* ivrsm graph: draw a machine as a Graphviz DOT or Mermaid flowchart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compile.h"
#include "ivrsm/ivrsm.h"
#include "model.h"

int cmd_graph(int argc, char **argv);

static void usage(FILE *out)
{
    fprintf(out, "usage: ivrsm graph FILE [--format dot|mermaid] [-o OUT]\n"
                 "\n"
                 "Draw the states of a machine and its transitions. Nodes are shaped by type\n"
                 "(prompt_and_listen: box, listen: ellipse, action_then_prompt: hexagon,\n"
                 "handoff: house, prompt_end: double circle); the initial state is marked by an\n"
                 "arrow from a dot. Edges are labelled with what takes them: the intent name,\n"
                 "\"text: PHRASE\", success, fail, noinput, nomatch, fallback, retry or next.\n"
                 "\n"
                 "options:\n"
                 "  -f, --format FORMAT  dot (default; render with `dot -Tsvg`) or mermaid\n"
                 "  -o, --output OUT     write to OUT instead of stdout\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "exit status: 0 drawn, 1 the machine does not load, 2 usage or I/O error\n");
}

typedef enum graph_format { GRAPH_DOT, GRAPH_MERMAID } graph_format;

/* The label of one edge: what makes the call take it. */
static void edge_label(const struct ivrsm_machine *m, const m_state *st, const m_edge *e,
                       ivrsm_buf *out)
{
    static const char *const kinds[] = {"",      "noinput", "nomatch", "fallback",
                                        "retry", "next",    "success", "fail"};
    if (e->kind != M_EDGE_ROUTE) {
        ivrsm_buf_puts(out, kinds[e->kind]);
        return;
    }
    const m_route *r = &st->routes[e->route];
    if (r->kind == M_ROUTE_INTENT)
        ivrsm_buf_puts(out, m->intents[r->intent].name);
    else
        ivrsm_buf_printf(out, "text: %s", r->text);
}

/* Text escaped for a DOT double-quoted string; `\n` separates label lines. */
static void dot_quote(ivrsm_buf *b, const char *s)
{
    ivrsm_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            ivrsm_buf_putc(b, '\\');
        if (*s == '\n')
            ivrsm_buf_puts(b, "\\n");
        else
            ivrsm_buf_putc(b, *s);
    }
    ivrsm_buf_putc(b, '"');
}

/* Text for a Mermaid quoted string: quotes and pipes as entity codes. */
static void mermaid_quote(ivrsm_buf *b, const char *s)
{
    ivrsm_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            ivrsm_buf_puts(b, "#quot;");
        else if (*s == '|')
            ivrsm_buf_puts(b, "#124;");
        else if (*s == '\n')
            ivrsm_buf_puts(b, ", ");
        else
            ivrsm_buf_putc(b, *s);
    }
    ivrsm_buf_putc(b, '"');
}

static void dot_node(ivrsm_buf *b, const struct ivrsm_machine *m, size_t i)
{
    static const char *const shapes[M_STATE_TYPE_COUNT] = {"box", "hexagon", "ellipse", "house",
                                                           "doublecircle"};
    const m_state *st = &m->states[i];
    ivrsm_buf_puts(b, "  ");
    dot_quote(b, st->name);
    ivrsm_buf_printf(b, " [shape=%s%s];\n", shapes[st->type],
                     (int32_t)i == m->initial ? ", style=bold, penwidth=2" : "");
}

static void mermaid_node(ivrsm_buf *b, const struct ivrsm_machine *m, size_t i)
{
    static const char *const open[M_STATE_TYPE_COUNT] = {"[", "{{", "([", "[/", "((("};
    static const char *const close[M_STATE_TYPE_COUNT] = {"]", "}}", "])", "\\]", ")))"};
    const m_state *st = &m->states[i];
    ivrsm_buf_printf(b, "  s%zu%s", i, open[st->type]);
    mermaid_quote(b, st->name);
    ivrsm_buf_printf(b, "%s\n", close[st->type]);
}

/* All labels of the edges from `from` to `to`, one per line, each once. */
static void merged_label(const struct ivrsm_machine *m, const m_state *st, const m_edge *edges,
                         size_t n, int32_t to, ivrsm_buf *label)
{
    for (size_t k = 0; k < n; k++) {
        if (edges[k].to != to)
            continue;
        ivrsm_buf one = IVRSM_BUF_INIT;
        edge_label(m, st, &edges[k], &one);
        const char *text = ivrsm_buf_str(&one);
        /* The same intent may be routed twice; say it once. */
        size_t tl = strlen(text);
        const char *hay = ivrsm_buf_str(label);
        bool seen = false;
        for (const char *p = strstr(hay, text); p && !seen; p = strstr(p + 1, text))
            seen = (p == hay || p[-1] == '\n') && (p[tl] == '\0' || p[tl] == '\n');
        if (!seen) {
            if (label->len)
                ivrsm_buf_putc(label, '\n');
            ivrsm_buf_puts(label, text);
        }
        ivrsm_buf_free(&one);
    }
}

static void draw_edges(ivrsm_buf *b, const struct ivrsm_machine *m, size_t i, graph_format fmt)
{
    const m_state *st = &m->states[i];
    m_edge *edges = malloc(M_EDGES_MAX(st) * sizeof(*edges));
    if (!edges) {
        b->failed = 1;
        return;
    }
    size_t n = ivrsm_machine_edges(st, edges);
    for (size_t k = 0; k < n; k++) {
        size_t first = 0;
        while (edges[first].to != edges[k].to)
            first++;
        if (first != k)
            continue; /* drawn with the first edge to the same state */
        ivrsm_buf label = IVRSM_BUF_INIT;
        merged_label(m, st, edges, n, edges[k].to, &label);
        if (fmt == GRAPH_DOT) {
            ivrsm_buf_puts(b, "  ");
            dot_quote(b, st->name);
            ivrsm_buf_puts(b, " -> ");
            dot_quote(b, m->states[edges[k].to].name);
            ivrsm_buf_puts(b, " [label=");
            dot_quote(b, ivrsm_buf_str(&label));
            ivrsm_buf_puts(b, "];\n");
        } else {
            ivrsm_buf_printf(b, "  s%zu -->|", i);
            mermaid_quote(b, ivrsm_buf_str(&label));
            ivrsm_buf_printf(b, "| s%d\n", edges[k].to);
        }
        ivrsm_buf_free(&label);
    }
    free(edges);
}

static void draw(ivrsm_buf *b, const struct ivrsm_machine *m, graph_format fmt)
{
    if (fmt == GRAPH_DOT) {
        ivrsm_buf_puts(b, "digraph ");
        dot_quote(b, m->name);
        ivrsm_buf_puts(b, " {\n  rankdir=LR;\n"
                          "  node [fontname=\"Helvetica\", fontsize=10];\n"
                          "  edge [fontname=\"Helvetica\", fontsize=9];\n"
                          "  \"__start\" [shape=point, width=0.15, label=\"\"];\n"
                          "  \"__start\" -> ");
        dot_quote(b, m->states[m->initial].name);
        ivrsm_buf_puts(b, ";\n");
    } else {
        ivrsm_buf_printf(b, "flowchart LR\n  start((\" \")) --> s%d\n", m->initial);
    }
    for (size_t i = 0; i < m->state_count; i++) {
        if (fmt == GRAPH_DOT)
            dot_node(b, m, i);
        else
            mermaid_node(b, m, i);
    }
    for (size_t i = 0; i < m->state_count; i++)
        draw_edges(b, m, i, fmt);
    if (fmt == GRAPH_DOT)
        ivrsm_buf_puts(b, "}\n");
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

static int write_output(const char *path, const ivrsm_buf *b)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "ivrsm graph: cannot write %s\n", path);
        return 2;
    }
    size_t n = fwrite(ivrsm_buf_str(b), 1, b->len, f);
    int failed = n != b->len || (path ? fclose(f) : fflush(f)) != 0;
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
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-f") || !strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
            const char *v = !strncmp(a, "--format=", 9) ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (parse_format(v, &fmt) != 0) {
                fprintf(stderr, "ivrsm graph: --format takes dot or mermaid\n");
                return 2;
            }
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "ivrsm graph: %s needs a file name\n", a);
                return 2;
            }
            output = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "ivrsm graph: unknown option '%s'\n\n", a);
            usage(stderr);
            return 2;
        } else if (file) {
            fprintf(stderr, "ivrsm graph: one file at a time\n");
            return 2;
        } else {
            file = a;
        }
    }
    if (!file) {
        fprintf(stderr, "ivrsm graph: no file given\n\n");
        usage(stderr);
        return 2;
    }
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
    ivrsm_buf b = IVRSM_BUF_INIT;
    draw(&b, m, fmt);
    ivrsm_machine_unref(m);
    rc = b.failed ? 2 : write_output(output, &b);
    if (b.failed)
        fprintf(stderr, "ivrsm graph: out of memory\n");
    ivrsm_buf_free(&b);
    return rc;
}
