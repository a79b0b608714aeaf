/* ivrsm convert: rewrite a machine file from YAML to JSON or back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "ivrsm/ivrsm.h"

int cmd_convert(int argc, char **argv);

static void usage(FILE *out)
{
    fprintf(out, "usage: ivrsm convert FILE --to json|yaml [-o OUT]\n"
                 "\n"
                 "Rewrite a machine document in the other format, keys in their order.\n"
                 "${globals...} references are kept as written; comments are not carried over.\n"
                 "The input format follows the file name (.json is JSON, anything else YAML).\n"
                 "\n"
                 "options:\n"
                 "  -t, --to FORMAT   json or yaml (required)\n"
                 "  -o, --output OUT  write to OUT instead of stdout\n"
                 "  -h, --help        show this help\n"
                 "\n"
                 "exit status: 0 converted, 1 the document is malformed, 2 usage or I/O error\n");
}

static int write_output(const char *path, const char *text)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "ivrsm convert: cannot write %s\n", path);
        return 2;
    }
    size_t len = strlen(text);
    int failed = fwrite(text, 1, len, f) != len || (path ? fclose(f) : fflush(f)) != 0;
    if (failed) {
        fprintf(stderr, "ivrsm convert: cannot write %s\n", path ? path : "to stdout");
        return 2;
    }
    return 0;
}

int cmd_convert(int argc, char **argv)
{
    const char *file = NULL, *output = NULL, *to = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if ((r = drv_option_value("ivrsm convert", argc, argv, &i, "--to", &to)) != 0 ||
                   (r = drv_option_value("ivrsm convert", argc, argv, &i, "-t", &to)) != 0 ||
                   (r = drv_output_option("ivrsm convert", argc, argv, &i, &output)) != 0) {
            if (r < 0)
                return 2;
        } else if (drv_operand("ivrsm convert", a, "file", &file) != 0) {
            return 2;
        }
    }
    if (drv_operand_given("ivrsm convert", "file", file, usage) != 0)
        return 2;
    if (!to) {
        fprintf(stderr, "ivrsm convert: --to is required\n\n");
        usage(stderr);
        return 2;
    }
    ivrsm_format target;
    if (!strcmp(to, "json"))
        target = IVRSM_FORMAT_JSON;
    else if (!strcmp(to, "yaml") || !strcmp(to, "yml"))
        target = IVRSM_FORMAT_YAML;
    else {
        fprintf(stderr, "ivrsm convert: --to takes json or yaml\n");
        return 2;
    }
    char *text = NULL;
    ivrsm_error err;
    int rc = ivrsm_document_convert_file(file, IVRSM_FORMAT_AUTO, target, &text, &err);
    if (rc != 0) {
        if (err.line > 0)
            fprintf(stderr, "%s:%d:%d: error: %s\n", err.file, err.line, err.column, err.message);
        else
            fprintf(stderr, "%s: error: %s\n", err.file, err.message);
        return rc == IVRSM_EIO || rc == IVRSM_ENOMEM ? 2 : 1;
    }
    rc = write_output(output, text);
    ivrsm_free(text);
    return rc;
}
