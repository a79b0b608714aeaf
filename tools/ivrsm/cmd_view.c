/*
 * ivrsm view: one self-contained HTML page that shows a machine, replays
 * recorded calls on it and colours what the tests cover.
 *
 * The drawing is laid out here, by Graphviz's dot (the layout of `ivrsm
 * graph`, with ids on states and edges), and inlined as SVG; the page's
 * script and style are compiled into the tool (view/, embedded at build
 * time), and the data the script reads is one JSON object in the page. The
 * page therefore needs no network and nothing but a browser. Why dot and not
 * a JavaScript layout: docs/architecture.md.
 */
#include <errno.h>
#include <stdint.h>
#include <jansson.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "json_real.h"
#include "driver.h"
#include "graph_draw.h"
#include "ivrsm/ivrsm.h"
#include "view_assets.h"
#include "view_data.h"

extern char **environ;

int cmd_view(int argc, char **argv);

#define VIEW_MAX_TRACES 64

typedef struct view_options {
    const char *machine;
    const char *traces[VIEW_MAX_TRACES];
    size_t trace_count;
    const char *coverage;
    const char *output;
    const char *rankdir; /* "TB", "LR", or NULL: chosen by the machine's shape */
} view_options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ivrsm view MACHINE [--trace FILE]... [--coverage FILE] [--layout tb|lr]\n"
            "                  [-o page.html]\n"
            "\n"
            "Write one self-contained HTML page (no network needed to open it) that draws\n"
            "the machine (laid out by Graphviz's dot), shows each state's prompts, routes,\n"
            "collect, action and outcomes with their file:line when clicked, finds states\n"
            "and intents by name, replays recorded calls step by step and colours what the\n"
            "tests cover.\n"
            "\n"
            "options:\n"
            "  --trace FILE     a call recorded by `ivrsm sim --trace` (or a host's trace\n"
            "                   records, JSON lines; or the ESL host's log at --log-level\n"
            "                   debug, one call per UUID), replayed on the drawing; repeatable\n"
            "  --coverage FILE  the output of `ivrsm test --coverage --json`: covered and\n"
            "                   uncovered states and transitions coloured\n"
            "  --layout tb|lr   top to bottom or left to right (default: the one that suits\n"
            "                   the machine's shape better)\n"
            "  -o, --output OUT write the page to OUT instead of stdout\n"
            "  -h, --help       show this help\n"
            "\n"
            "exit status: 0 written, 1 the machine does not load, 2 usage error, a trace or\n"
            "coverage file that cannot be read, Graphviz missing or failing, I/O error\n");
}

static int parse_args(int argc, char **argv, view_options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if ((r = drv_option_value("ivrsm view", argc, argv, &i, "--trace", &v)) != 0) {
            if (r < 0)
                return 2;
            if (o->trace_count == VIEW_MAX_TRACES) {
                fprintf(stderr, "ivrsm view: at most %d traces\n", VIEW_MAX_TRACES);
                return 2;
            }
            o->traces[o->trace_count++] = v;
        } else if ((r = drv_option_value("ivrsm view", argc, argv, &i, "--coverage", &v)) != 0) {
            if (r < 0)
                return 2;
            o->coverage = v;
        } else if ((r = drv_option_value("ivrsm view", argc, argv, &i, "--layout", &v)) != 0) {
            if (r < 0)
                return 2;
            if (strcmp(v, "tb") != 0 && strcmp(v, "lr") != 0) {
                fprintf(stderr, "ivrsm view: --layout takes tb (top to bottom) or lr\n");
                return 2;
            }
            o->rankdir = !strcmp(v, "tb") ? "TB" : "LR";
        } else if ((r = drv_output_option("ivrsm view", argc, argv, &i, &o->output)) != 0) {
            if (r < 0)
                return 2;
        } else if (drv_operand("ivrsm view", a, "machine", &o->machine) != 0) {
            return 2;
        }
    }
    if (drv_operand_given("ivrsm view", "machine", o->machine, usage) != 0)
        return 2;
    return -1;
}

/* ---------------------------------------------------------------------------
 * The layout, by Graphviz
 * ------------------------------------------------------------------------- */

/* Read everything from fd into a malloc'ed NUL-terminated buffer; NULL on failure. */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *more = realloc(buf, cap *= 2);
            if (!more)
                break;
            buf = more;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        if (r == 0) {
            buf[n] = '\0';
            *len = n;
            return buf;
        }
        n += (size_t)r;
    }
    free(buf);
    return NULL;
}

/*
 * Run `dot -Tsvg FILE` and return its output (malloc'ed), or NULL with a
 * message on stderr. Large machines get bounded crossing minimisation, so
 * that a 500-state machine is laid out in seconds.
 */
static char *run_dot(const char *dot_file, size_t states, const char *rankdir)
{
    char rank[32];
    snprintf(rank, sizeof(rank), "-Grankdir=%s", rankdir);
    int out[2];
    if (pipe(out) != 0) {
        fprintf(stderr, "ivrsm view: cannot run dot: %s\n", strerror(errno));
        return NULL;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, out[1]);
    char *args[] = {
        "dot", "-Tsvg", rank, states > 150 ? "-Gmclimit=0.3" : "-Gmclimit=1", (char *)dot_file,
        NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "dot", &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (rc != 0) {
        close(out[0]);
        fprintf(stderr,
                "ivrsm view: cannot run Graphviz's dot (%s): it lays the machine out; "
                "install Graphviz (Debian: apt-get install graphviz)\n",
                strerror(rc));
        return NULL;
    }
    size_t len = 0;
    char *svg = read_all(out[0], &len);
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!svg || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !strstr(svg, "<svg")) {
        fprintf(stderr, "ivrsm view: Graphviz's dot failed to lay the machine out%s\n",
                svg ? "" : " (out of memory)");
        free(svg);
        return NULL;
    }
    return svg;
}

/*
 * Top to bottom or left to right, whichever fits a screen better: dot puts
 * the states of one rank side by side, and a machine's ranks are about its
 * distances from the initial state. A machine much wider than deep (a menu
 * tree) reads better left to right, most others top to bottom.
 */
static const char *best_rankdir(const ivrsm_machine *m)
{
    size_t n = ivrsm_machine_state_count(m);
    size_t *level = malloc((n ? n : 1) * sizeof(*level));
    size_t *queue = malloc((n ? n : 1) * sizeof(*queue));
    size_t *width = calloc(n + 1, sizeof(*width));
    const char *dir = "TB";
    if (level && queue && width && n) {
        for (size_t i = 0; i < n; i++)
            level[i] = SIZE_MAX;
        size_t head = 0, tail = 0, depth = 1, widest = 0;
        queue[tail++] = ivrsm_machine_initial_state(m);
        level[queue[0]] = 0;
        while (head < tail) {
            size_t s = queue[head++];
            if (++width[level[s]] > widest)
                widest = width[level[s]];
            depth = level[s] + 1 > depth ? level[s] + 1 : depth;
            for (size_t k = 0; k < ivrsm_machine_transition_count(m, s); k++) {
                size_t to = ivrsm_machine_transition(m, s, k)->to;
                if (level[to] == SIZE_MAX) {
                    level[to] = level[s] + 1;
                    queue[tail++] = to;
                }
            }
        }
        if (widest > 3 * depth)
            dir = "LR";
    }
    free(level);
    free(queue);
    free(width);
    return dir;
}

/* The machine laid out as SVG, without the XML prolog (it goes inside the page). */
static char *layout(const ivrsm_machine *m, const char *rankdir)
{
    char *dot = NULL;
    size_t len = 0;
    if (!graph_draw_dot(m, true, &dot, &len)) {
        fprintf(stderr, "ivrsm view: out of memory\n");
        return NULL;
    }
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/ivrsm-view-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    bool written = fd >= 0 && write(fd, dot, len) == (ssize_t)len;
    if (fd >= 0)
        close(fd);
    free(dot);
    char *svg = NULL;
    if (!written)
        fprintf(stderr, "ivrsm view: cannot write a temporary file in %s\n",
                tmp && *tmp ? tmp : "/tmp");
    else
        svg = run_dot(path, ivrsm_machine_state_count(m), rankdir ? rankdir : best_rankdir(m));
    if (fd >= 0)
        unlink(path);
    if (!svg)
        return NULL;
    char *start = strstr(svg, "<svg");
    memmove(svg, start, strlen(start) + 1);
    return svg;
}

/* ---------------------------------------------------------------------------
 * The page
 * ------------------------------------------------------------------------- */

/*
 * The data as JSON that a <script> element holds whatever the machine's
 * texts say: every "<" (only ever inside strings) written "\u003c", so that
 * neither "</script>" nor "<!--" can end or confuse the element.
 */
static char *data_text(const json_t *data)
{
    char *text = ivrsm_json_dumps(data, JSON_COMPACT);
    if (!text)
        return NULL;
    size_t lt = 0, len = strlen(text);
    for (const char *p = text; (p = strchr(p, '<')) != NULL; p++)
        lt++;
    char *out = malloc(len + 5 * lt + 1);
    if (out) {
        char *w = out;
        for (const char *p = text; *p; p++) {
            if (*p == '<') {
                memcpy(w, "\\u003c", 6);
                w += 6;
            } else {
                *w++ = *p;
            }
        }
        *w = '\0';
    }
    free(text);
    return out;
}

/* Text escaped for HTML content. */
static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else
            fputc(*s, f);
    }
}

/*
 * The page: the template (view/page.html) with its markers replaced by the
 * title, the style, the drawing, the data and the script.
 */
static void write_parts(FILE *f, const char *const *parts)
{
    for (; *parts; parts++)
        fputs(*parts, f);
}

/* The pieces of an asset as one malloc'ed string, or NULL when out of memory. */
static char *joined(const char *const *parts)
{
    size_t len = 0;
    for (const char *const *p = parts; *p; p++)
        len += strlen(*p);
    char *s = malloc(len + 1);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (char *w = s; *parts; parts++)
        w = stpcpy(w, *parts);
    return s;
}

static bool write_page(FILE *f, const ivrsm_machine *m, const char *svg, const char *data)
{
    char *page = joined(view_page_html);
    if (!page)
        return false;
    const char *t = page;
    while (*t) {
        const char *mark = strstr(t, "@@");
        if (!mark) {
            fputs(t, f);
            break;
        }
        fwrite(t, 1, (size_t)(mark - t), f);
        const char *end = strstr(mark + 2, "@@");
        if (!end) {
            fputs(mark, f);
            break;
        }
        size_t n = (size_t)(end - mark - 2);
        if (n == 5 && !strncmp(mark + 2, "TITLE", 5)) {
            html_text(f, ivrsm_machine_name(m));
            fputs(" ", f);
            html_text(f, ivrsm_machine_version(m));
        } else if (n == 3 && !strncmp(mark + 2, "CSS", 3)) {
            write_parts(f, view_css);
        } else if (n == 3 && !strncmp(mark + 2, "SVG", 3)) {
            fputs(svg, f);
        } else if (n == 4 && !strncmp(mark + 2, "DATA", 4)) {
            fputs(data, f);
        } else if (n == 2 && !strncmp(mark + 2, "JS", 2)) {
            write_parts(f, view_js);
        } else {
            fwrite(mark, 1, n + 4, f);
        }
        t = end + 2;
    }
    free(page);
    return !ferror(f);
}

static int write_output(const view_options *o, const ivrsm_machine *m, const char *svg,
                        const char *data)
{
    FILE *f = o->output ? fopen(o->output, "w") : stdout;
    if (!f) {
        fprintf(stderr, "ivrsm view: cannot write %s: %s\n", o->output, strerror(errno));
        return 2;
    }
    bool ok = write_page(f, m, svg, data);
    ok = (o->output ? fclose(f) : fflush(f)) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "ivrsm view: cannot write %s\n", o->output ? o->output : "to stdout");
        return 2;
    }
    return 0;
}

int cmd_view(int argc, char **argv)
{
    view_options o = {0};
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        return status;
    ivrsm_machine *m = drv_load_machine(o.machine);
    if (!m)
        return 1;
    char err[1200];
    json_t *data =
        view_data_build(m, o.machine, o.traces, o.trace_count, o.coverage, err, sizeof(err));
    if (!data) {
        fprintf(stderr, "%s\n", err);
        ivrsm_machine_unref(m);
        return 2;
    }
    char *text = data_text(data);
    char *svg = text ? layout(m, o.rankdir) : NULL;
    if (!text)
        fprintf(stderr, "ivrsm view: out of memory\n");
    status = svg ? write_output(&o, m, svg, text) : 2;
    free(svg);
    free(text);
    json_decref(data);
    ivrsm_machine_unref(m);
    return status;
}
