/* ivrsm validate: check machine files like a compiler would. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ivrsm/ivrsm.h"

int cmd_validate(int argc, char **argv);

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ivrsm validate [--quiet] [--format text|json] FILE...\n"
            "\n"
            "Check IVR machine files (YAML or JSON) and print every error and warning as\n"
            "  FILE:LINE:COL: error|warning: message [rule]\n"
            "then a summary line, all on stdout in that order (with --format json, the\n"
            "summary goes to stderr). Files that cannot be read are reported on stderr,\n"
            "in their turn.\n"
            "\n"
            "options:\n"
            "  -q, --quiet          print errors only\n"
            "  -f, --format FORMAT  text (default) or json (one JSON array on stdout)\n"
            "  -h, --help           show this help\n"
            "\n"
            "rules (the id in brackets):\n"
            "  errors    syntax, limit, unknown-key, wrong-type, missing-key, invalid-value,\n"
            "            dangling-next, unknown-intent, unknown-endpoint, missing-path-param,\n"
            "            unresolved-globals, bad-template, input-free-cycle\n"
            "  warnings  unreachable-state, dead-end, dtmf-conflict, utterance-conflict,\n"
            "            shadowed-route, dtmf-terminator-conflict, action-without-on-fail,\n"
            "            template-path-never-set, counter-unreachable, unused-intent,\n"
            "            missing-prompt, ignored-key, unused-path-param\n"
            "\n"
            "exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage or I/O error\n");
}

typedef struct totals {
    size_t files;
    size_t errors;
    size_t warnings;
    int io_failed;
} totals;

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

static void check_one(const char *file, int quiet, json_t *json_out, totals *t)
{
    ivrsm_diagnostics *diags = NULL;
    errno = 0;
    int rc = ivrsm_check_file(file, IVRSM_FORMAT_AUTO, &diags);
    if (rc != 0) {
        fflush(stdout); /* in order with what came before, also through 2>&1 */
        fprintf(stderr, "ivrsm validate: %s: %s%s%s\n", file, ivrsm_strerror(rc), errno ? ": " : "",
                errno ? strerror(errno) : "");
        t->io_failed = 1;
        return;
    }
    t->files++;
    for (size_t i = 0; i < ivrsm_diagnostics_count(diags); i++) {
        const ivrsm_diagnostic *d = ivrsm_diagnostics_get(diags, i);
        if (d->severity == IVRSM_SEVERITY_ERROR)
            t->errors++;
        else
            t->warnings++;
        if (quiet && d->severity != IVRSM_SEVERITY_ERROR)
            continue;
        if (json_out)
            json_array_append_new(json_out, diagnostic_json(file, d));
        else
            print_text(file, d);
    }
    ivrsm_diagnostics_free(diags);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int cmd_validate(int argc, char **argv)
{
    int quiet = 0, json = 0, nfiles = 0, options_done = 0;
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
            quiet = 1;
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
    totals t = {0, 0, 0, 0};
    json_t *out = json ? json_array() : NULL;
    for (int i = 0; i < nfiles; i++)
        check_one(files[i], quiet, out, &t);
    free(files);
    if (out) {
        char *text = json_dumps(out, JSON_INDENT(2));
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(out);
    }
    /* One stream for the report, so that it reads in order however it is redirected;
     * JSON keeps stdout for the document alone. */
    fprintf(json ? stderr : stdout, "%zu %s checked: %zu %s, %zu %s\n", t.files,
            plural(t.files, "file", "files"), t.errors, plural(t.errors, "error", "errors"),
            t.warnings, plural(t.warnings, "warning", "warnings"));
    if (t.io_failed)
        return 2;
    return t.errors ? 1 : 0;
}
