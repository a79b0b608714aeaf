/*
 * Reading a document: a file into memory, the format told from the path or
 * sniffed from the text, the text checked (UTF-8, no NUL, not blank), then
 * handed to the YAML or JSON reader.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "file.h"
#include "dom.h"
#include "mem.h"
#include "utf8.h"

ivrsm_format ivrsm_dom_format_for_path(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && !strcasecmp(path + n - 5, ".json") ? IVRSM_FORMAT_JSON : IVRSM_FORMAT_YAML;
}

int ivrsm_dom_read_path(const char *path, ivrsm_format *format, const ivrsm_mem *mem, char **data,
                        size_t *len, ivrsm_error *err)
{
    if (!path || *format < IVRSM_FORMAT_AUTO || *format > IVRSM_FORMAT_JSON)
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, path, 0, 0, "", "invalid argument");
    int rc = ivrsm_dom_read_file(path, mem, data, len, err);
    if (rc == 0 && *format == IVRSM_FORMAT_AUTO)
        *format = ivrsm_dom_format_for_path(path);
    return rc;
}

int ivrsm_dom_read_file(const char *path, const ivrsm_mem *mem, char **data, size_t *len,
                        ivrsm_error *err)
{
    bool fifo;
    FILE *f = ivrsm_file_open_read(path, &fifo);
    if (!f)
        return ivrsm_diag_set_error(err, errno == ENOMEM ? IVRSM_ENOMEM : IVRSM_EIO, path, 0, 0, "",
                                    "cannot open the file: %s", strerror(errno));
    size_t cap = 64 * 1024, n = 0;
    char *buf = ivrsm_mem_malloc(mem, cap + 1);
    if (!buf) {
        fclose(f);
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, path, 0, 0, "", "out of memory");
    }
    for (;;) {
        if (n == cap) {
            if (cap > IVRSM_MAX_DOCUMENT_BYTES) {
                ivrsm_mem_free(mem, buf);
                fclose(f);
                return ivrsm_diag_set_error(err, IVRSM_ELIMIT, path, 0, 0, "",
                                            "the document is larger than %u bytes",
                                            IVRSM_MAX_DOCUMENT_BYTES);
            }
            char *bigger = ivrsm_mem_realloc(mem, buf, cap * 2 + 1);
            if (!bigger) {
                ivrsm_mem_free(mem, buf);
                fclose(f);
                return ivrsm_diag_set_error(err, IVRSM_ENOMEM, path, 0, 0, "", "out of memory");
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        ivrsm_mem_free(mem, buf);
        return ivrsm_diag_set_error(err, IVRSM_EIO, path, 0, 0, "", "cannot read the file");
    }
    if (n == 0 && fifo) {
        ivrsm_mem_free(mem, buf);
        errno = ENODATA; /* for a caller that has the code alone (ivrsm_machine_check_file()) */
        return ivrsm_diag_set_error(err, IVRSM_EIO, path, 0, 0, "", "cannot read the file: %s",
                                    IVRSM_FILE_NOTHING_WRITTEN);
    }
    if (n > IVRSM_MAX_DOCUMENT_BYTES) {
        ivrsm_mem_free(mem, buf);
        return ivrsm_diag_set_error(err, IVRSM_ELIMIT, path, 0, 0, "",
                                    "the document is larger than %u bytes",
                                    IVRSM_MAX_DOCUMENT_BYTES);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static int only_blank(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n')
            return 0;
    return 1;
}

static ivrsm_format sniff_format(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '{' ? IVRSM_FORMAT_JSON : IVRSM_FORMAT_YAML;
    }
    return IVRSM_FORMAT_YAML;
}

/* What a caller expects of a document, for the messages of the checks below. */
typedef struct expectation {
    const char *document; /* "a machine document" */
    const char *expected; /* what an empty document lacks */
    const char *root;     /* what the root must be */
} expectation;

static const expectation machine_document = {"a machine document",
                                             "a map with machine, version and states",
                                             "a map (with machine, version and states)"};
static const expectation any_document = {"a document", "a map", "a map"};

/* The root must be a map; an empty stream or a null root is an empty document. */
static int check_root(const dom_doc *doc, const expectation *x, ivrsm_error *err)
{
    const dom_node *r = doc->root;
    if (!r || r->kind == DOM_NULL)
        return ivrsm_diag_set_error(err, IVRSM_ESYNTAX, doc->name, r ? r->line : 1,
                                    r ? r->column : 1, "", "the document is empty (expected %s)",
                                    x->expected);
    if (r->kind != DOM_MAP)
        return ivrsm_diag_set_error(err, IVRSM_EMACHINE, doc->name, r->line, r->column, "",
                                    "the document root must be %s, found %s", x->root,
                                    ivrsm_dom_kind_article(r->kind));
    return 0;
}

static int load(const char *data, size_t len, ivrsm_format format, const char *name,
                const expectation *x, const ivrsm_mem *mem, dom_doc **out, ivrsm_error *err)
{
    if (!name)
        name = "<buffer>";
    if ((!data && len) || !out)
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, name, 0, 0, "", "no document given");
    if (format < IVRSM_FORMAT_AUTO || format > IVRSM_FORMAT_JSON)
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, name, 0, 0, "", "invalid argument");
    if (!data)
        data = "";
    if (len > IVRSM_MAX_DOCUMENT_BYTES)
        return ivrsm_diag_set_error(err, IVRSM_ELIMIT, name, 0, 0, "",
                                    "the document is larger than %u bytes",
                                    IVRSM_MAX_DOCUMENT_BYTES);
    /* A UTF-8 byte order mark is tolerated and skipped (editors add it). */
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    int line, column;
    int bad = ivrsm_utf8_check_text(data, len, &line, &column);
    if (bad == -2)
        return ivrsm_diag_set_error(err, IVRSM_ESYNTAX, name, line, column, "",
                                    "a NUL byte is not allowed in %s", x->document);
    if (bad != 0)
        return ivrsm_diag_set_error(err, IVRSM_ESYNTAX, name, line, column, "",
                                    "invalid UTF-8 (the document must be UTF-8 text)");
    if (only_blank(data, len))
        return ivrsm_diag_set_error(err, IVRSM_ESYNTAX, name, 1, 1, "",
                                    "the document is empty (expected %s)", x->expected);
    if (format == IVRSM_FORMAT_AUTO)
        format = sniff_format(data, len);
    dom_doc *doc = ivrsm_dom_doc_new(name, mem);
    if (!doc)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, name, 0, 0, "", "out of memory");
    doc->source = data;
    doc->source_len = len;
    int rc = format == IVRSM_FORMAT_JSON ? ivrsm_dom_load_json(data, len, doc, err)
                                         : ivrsm_dom_load_yaml(data, len, doc, err);
    if (rc == 0)
        rc = check_root(doc, x, err);
    if (rc != 0) {
        ivrsm_dom_free(doc);
        return rc;
    }
    *out = doc;
    return 0;
}

int ivrsm_dom_load(const char *data, size_t len, ivrsm_format format, const char *name,
                   const ivrsm_mem *mem, dom_doc **out, ivrsm_error *err)
{
    return load(data, len, format, name, &machine_document, mem, out, err);
}

int ivrsm_dom_load_map(const char *data, size_t len, ivrsm_format format, const char *name,
                       const ivrsm_mem *mem, dom_doc **out, ivrsm_error *err)
{
    return load(data, len, format, name, &any_document, mem, out, err);
}
