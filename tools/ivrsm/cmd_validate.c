/* ivrsm validate: check machine files like a compiler would. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bounded_read.h"
#include "json_real.h"
#include "ivrsm/ivrsm.h"
#include "term.h"

int cmd_validate(int argc, char **argv);

/* The rule ids, as the library reports them (docs/format.md and the validator). */
static const char *const error_rules[] = {"syntax",
                                          "limit",
                                          "unknown-key",
                                          "wrong-type",
                                          "missing-key",
                                          "invalid-value",
                                          "invalid-name",
                                          "dangling-next",
                                          "unknown-intent",
                                          "unknown-endpoint",
                                          "unknown-language",
                                          "missing-path-param",
                                          "unresolved-globals",
                                          "bad-template",
                                          "resp-without-response",
                                          "input-free-cycle",
                                          "decide-without-next",
                                          "condition-never-true",
                                          "unknown-path",
                                          "outcome-without-action",
                                          NULL};
static const char *const warning_rules[] = {"unreachable-state",
                                            "dead-end",
                                            "dtmf-conflict",
                                            "utterance-conflict",
                                            "shadowed-route",
                                            "dtmf-terminator-conflict",
                                            "action-without-on-fail",
                                            "template-path-never-set",
                                            "template-single-braces",
                                            "path-without-braces",
                                            "counter-unreachable",
                                            "unused-intent",
                                            "missing-prompt",
                                            "ignored-key",
                                            "unused-path-param",
                                            "if-never-true",
                                            "language-missing",
                                            "text-cut-by-comment",
                                            NULL};

/* The rules, comma-separated and wrapped after `indent` at 78 columns. */
static void print_rules(FILE *out, const char *label, const char *const *rules)
{
    int col = fprintf(out, "  %-9s ", label);
    for (const char *const *r = rules; *r; r++) {
        int len = (int)strlen(*r) + (r[1] ? 1 : 0);
        if (col + len + 1 > 78 && r != rules) {
            fputs("\n            ", out);
            col = 12;
        } else if (r != rules) {
            fputc(' ', out);
            col++;
        }
        col += fprintf(out, "%s%s", *r, r[1] ? "," : "");
    }
    fputc('\n', out);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: ivrsm validate [--quiet] [--ignore RULE]... [--format text|json] "
                 "[--explain] FILE...\n"
                 "\n"
                 "Check IVR machine files (YAML or JSON) and print every error and warning as\n"
                 "  FILE:LINE:COL: error|warning: message [rule]\n"
                 "then a summary line, all on stdout in that order (with --format json, the\n"
                 "summary goes to stderr). Files that cannot be read are reported on stderr,\n"
                 "in their turn.\n"
                 "\n"
                 "options:\n"
                 "  -q, --quiet          print errors only\n"
                 "  --ignore RULE[,RULE] leave out the warnings of these rules (repeatable);\n"
                 "                       errors cannot be ignored: the machine would not load\n"
                 "  -f, --format FORMAT  text (default) or json (one JSON array on stdout)\n"
                 "  --explain            after a machine without errors, say what it expects from\n"
                 "                       its host: its inputs (types, defaults), where it starts\n"
                 "  -h, --help           show this help\n"
                 "\n"
                 "rules (the id in brackets):\n");
    print_rules(out, "errors", error_rules);
    print_rules(out, "warnings", warning_rules);
    fprintf(out, "\n"
                 "exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O "
                 "error\n");
}

#define WARNING_RULES (sizeof(warning_rules) / sizeof(*warning_rules) - 1)

/* Index of rules[] named by s[0..len), or -1. */
static int rule_index(const char *const *rules, const char *s, size_t len)
{
    for (int i = 0; rules[i]; i++)
        if (strlen(rules[i]) == len && !strncmp(rules[i], s, len))
            return i;
    return -1;
}

/* Mark the rules of one --ignore value ("a,b"); 0, or -1 with the reason on stderr. */
static int add_ignored(const char *value, bool ignored[WARNING_RULES])
{
    for (const char *p = value;; p++) {
        size_t len = strcspn(p, ",");
        int i = rule_index(warning_rules, p, len);
        if (i < 0) {
            fprintf(stderr, "ivrsm validate: --ignore: '%.*s' is %s\n", (int)len, p,
                    rule_index(error_rules, p, len) >= 0
                        ? "an error, which cannot be ignored (the machine would not load)"
                        : "not a warning rule (see 'ivrsm validate --help')");
            return -1;
        }
        ignored[i] = true;
        p += len;
        if (!*p)
            return 0;
    }
}

typedef struct totals {
    size_t files;
    size_t errors;
    size_t warnings;
    size_t ignored;
    int io_failed;
} totals;

typedef struct report_options {
    bool quiet;
    bool explain;
    bool ignored[WARNING_RULES];
    json_t *json; /* the array of --format json, else NULL */
} report_options;

static void print_text(const char *file, const ivrsm_diagnostic *d)
{
    const char *sev = d->severity == IVRSM_SEVERITY_ERROR ? "error" : "warning";
    if (d->line > 0)
        printf("%s:%d:%d: %s: %s [%s]\n", file, d->line, d->column, sev, d->message, d->rule);
    else
        printf("%s: %s: %s [%s]\n", file, sev, d->message, d->rule);
}

static json_t *diagnostic_json(const char *file, const ivrsm_diagnostic *d)
{
    return json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:s}", "file", file, "line", d->line, "column",
                     d->column, "severity",
                     d->severity == IVRSM_SEVERITY_ERROR ? "error" : "warning", "rule", d->rule,
                     "path", d->path, "message", d->message);
}

/* What a machine expects from its host and where it starts (--explain). */
static void explain(const char *file)
{
    ivrsm_machine *m = NULL;
    if (ivrsm_machine_load_file(file, IVRSM_FORMAT_AUTO, &m, NULL) != 0)
        return;
    /* Written whole, then shown with term_put_lines(): the names and descriptions are the
     * machine's, which a YAML escape lets hold control characters. */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out) {
        ivrsm_machine_unref(m);
        return;
    }
    size_t states = ivrsm_machine_state_count(m);
    fprintf(out, "%s: machine %s %s, %zu state%s, starts in %s\n", file, ivrsm_machine_name(m),
            ivrsm_machine_version(m), states, states == 1 ? "" : "s",
            ivrsm_machine_state_name(m, ivrsm_machine_initial_state(m)));
    size_t n = ivrsm_machine_input_count(m);
    if (!n) {
        fprintf(out, "  inputs: none declared (the ctx holds what the machine sets, and call_id, "
                     "session_id)\n");
    } else {
        fprintf(out, "  inputs, which the host gives in the initial ctx:\n");
        for (size_t i = 0; i < n; i++) {
            const ivrsm_input *in = ivrsm_machine_input(m, i);
            fprintf(out, "    %-20s %s", in->name, in->type);
            if (in->required)
                fprintf(out, ", required");
            if (in->default_json)
                fprintf(out, ", default %s", in->default_json);
            if (in->description)
                fprintf(out, ": %s", in->description);
            fputc('\n', out);
        }
    }
    ivrsm_machine_unref(m);
    if (fclose(out) == 0)
        term_put_lines(stdout, text);
    free(text);
}

/* A block shared through a YAML alias (&lookup ... *lookup) is checked in
 * every state that uses it, and its findings point at where it is written:
 * the same line, column, rule and words twice. The text output says it once;
 * the JSON output keeps each, since their document paths differ. The
 * diagnostics come sorted by position, so a repeat is among the ones just
 * before it at the same line and column. */
static bool repeats_one_before(const ivrsm_diagnostics *diags, size_t i)
{
    const ivrsm_diagnostic *d = ivrsm_diagnostics_get(diags, i);
    while (i-- > 0) {
        const ivrsm_diagnostic *e = ivrsm_diagnostics_get(diags, i);
        if (e->line != d->line || e->column != d->column)
            return false;
        if (e->severity == d->severity && !strcmp(e->rule, d->rule) &&
            !strcmp(e->message, d->message))
            return true;
    }
    return false;
}

static void check_one(const char *file, const report_options *o, totals *t)
{
    ivrsm_diagnostics *diags = NULL;
    errno = 0;
    int rc = ivrsm_machine_check_file(file, IVRSM_FORMAT_AUTO, &diags);
    if (rc != 0) {
        fflush(stdout); /* in order with what came before, also through 2>&1 */
        fprintf(stderr, "ivrsm validate: %s: %s%s%s\n", file, ivrsm_strerror(rc), errno ? ": " : "",
                errno ? bounded_strerror(errno) : "");
        t->io_failed = 1;
        return;
    }
    t->files++;
    for (size_t i = 0; i < ivrsm_diagnostics_count(diags); i++) {
        const ivrsm_diagnostic *d = ivrsm_diagnostics_get(diags, i);
        if (!o->json && d->line > 0 && repeats_one_before(diags, i))
            continue;
        int rule = rule_index(warning_rules, d->rule, strlen(d->rule));
        if (d->severity == IVRSM_SEVERITY_ERROR) {
            t->errors++;
        } else if (rule >= 0 && o->ignored[rule]) {
            t->ignored++;
            continue;
        } else {
            t->warnings++;
        }
        if (o->quiet && d->severity != IVRSM_SEVERITY_ERROR)
            continue;
        if (o->json)
            json_array_append_new(o->json, diagnostic_json(file, d));
        else
            print_text(file, d);
    }
    if (o->explain && !ivrsm_diagnostics_error_count(diags))
        explain(file);
    ivrsm_diagnostics_free(diags);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int cmd_validate(int argc, char **argv)
{
    int json = 0, nfiles = 0, options_done = 0;
    report_options o = {0};
    const char **files = calloc((size_t)argc, sizeof(*files));
    if (!files)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || !a[1]) {
            files[nfiles++] = a;
        } else if (!strcmp(a, "--")) {
            options_done = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            free(files);
            return 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o.quiet = true;
        } else if (!strcmp(a, "--explain")) {
            o.explain = true;
        } else if (!strcmp(a, "--ignore") || !strncmp(a, "--ignore=", 9)) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                fprintf(stderr, "ivrsm validate: --ignore takes a rule, e.g. --ignore "
                                "template-path-never-set\n");
                free(files);
                return 2;
            }
            if (add_ignored(v, o.ignored) != 0) {
                free(files);
                return 2;
            }
        } else if (!strcmp(a, "-f") || !strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
            const char *v = !strncmp(a, "--format=", 9) ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || (strcmp(v, "text") && strcmp(v, "json"))) {
                fprintf(stderr, "ivrsm validate: --format takes text or json\n");
                free(files);
                return 2;
            }
            json = !strcmp(v, "json");
        } else {
            fprintf(stderr, "ivrsm validate: unknown option '%s'\n\n", a);
            usage(stderr);
            free(files);
            return 2;
        }
    }
    if (nfiles == 0) {
        fprintf(stderr, "ivrsm validate: no file given\n\n");
        usage(stderr);
        free(files);
        return 2;
    }
    if (json && o.explain) {
        fprintf(stderr, "ivrsm validate: --explain writes text; leave out --format json\n");
        free(files);
        return 2;
    }
    totals t = {0};
    o.json = json ? json_array() : NULL;
    for (int i = 0; i < nfiles; i++)
        check_one(files[i], &o, &t);
    free(files);
    if (o.json) {
        char *text = ivrsm_json_dumps(o.json, JSON_INDENT(2));
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(o.json);
    }
    char ignored[64] = "";
    if (t.ignored)
        snprintf(ignored, sizeof(ignored), " (%zu ignored)", t.ignored);
    /* One stream for the report, so that it reads in order however it is redirected;
     * JSON keeps stdout for the document alone. */
    fprintf(json ? stderr : stdout, "%zu %s checked: %zu %s, %zu %s%s\n", t.files,
            plural(t.files, "file", "files"), t.errors, plural(t.errors, "error", "errors"),
            t.warnings, plural(t.warnings, "warning", "warnings"), ignored);
    if (t.io_failed)
        return 2;
    return t.errors ? 1 : 0;
}
