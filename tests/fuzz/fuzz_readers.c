/*
 * Fuzz target: the fast document readers against the reference ones, on
 * arbitrary bytes.
 *
 * A machine file is read first by a reader of its own (yaml_fast.c,
 * json_fast.c) that knows the plain part of its format and leaves
 * everything else to the reference reader (libfyaml's events in
 * load_yaml.c, jansson in load_json.c). Whatever a fast reader accepts,
 * the reference reader must accept too and build the same tree, node for
 * node: kind, style, text, value, the line and column of every node and
 * key, weights, bytes, heights, key indexes (tests/dom_compare.h). A fast
 * reader that builds a different tree changes what a machine means
 * without a word; this target looks for the text where it would.
 *
 * Each input is read as YAML and as JSON, after the checks ivrsm_dom_load()
 * makes before either reader runs (load.c: a byte order mark skipped,
 * UTF-8 without NUL, not blank).
 */
#include <string.h>

#include "fuzz_util.h"

#define DOM_CHECK FUZZ_CHECK
#include "../dom_compare.h"
#include "dom.h"
#include "json_fast.h"
#include "mem.h"
#include "utf8.h"
#include "yaml_fast.h"

typedef int (*fast_reader)(const char *data, size_t len, dom_doc *doc);
typedef int (*full_reader)(const char *data, size_t len, dom_doc *doc, ivrsm_error *err);

static dom_doc *new_doc(const char *data, size_t len)
{
    dom_doc *doc = ivrsm_dom_doc_new("fuzz", ivrsm_mem_default());
    FUZZ_CHECK(doc != NULL, "out of memory");
    doc->source = data;
    doc->source_len = len;
    return doc;
}

static void compare(const char *data, size_t len, fast_reader fast, full_reader full,
                    int unsupported, const char *format)
{
    dom_doc *a = new_doc(data, len);
    int rc = fast(data, len, a);
    FUZZ_CHECK(rc == 0 || rc == unsupported, "%s: the fast reader returned %d", format, rc);
    if (rc == 0) {
        dom_doc *b = new_doc(data, len);
        ivrsm_error err;
        int full_rc = full(data, len, b, &err);
        FUZZ_CHECK(full_rc == 0, "%s: the fast reader accepted what the reference refuses: %s",
                   format, err.message);
        same_node(a->root, b->root, format);
        FUZZ_CHECK(a->node_count == b->node_count && a->bytes == b->bytes,
                   "%s: %zu nodes / %zu bytes vs %zu / %zu", format, a->node_count, a->bytes,
                   b->node_count, b->bytes);
        ivrsm_dom_free(b);
    }
    ivrsm_dom_free(a);
}

static int blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    const char *data = (const char *)bytes;
    if (size >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        size -= 3;
    }
    int line, column;
    if (ivrsm_utf8_check_text(data, size, &line, &column) != 0 || blank(data, size))
        return 0;
    compare(data, size, ivrsm_dom_load_yaml_fast, ivrsm_dom_load_yaml_events, YAML_FAST_UNSUPPORTED,
            "YAML");
    compare(data, size, ivrsm_dom_load_json_fast, ivrsm_dom_load_json_jansson,
            JSON_FAST_UNSUPPORTED, "JSON");
    return 0;
}
