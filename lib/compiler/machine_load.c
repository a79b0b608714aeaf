/*
 * The loading pipeline behind the public API: read → document → compile →
 * validate, for ivrsm_machine_load_*() (the first error fails) and
 * ivrsm_check_*() (every diagnostic is kept).
 */
#include <stdlib.h>

#include "compile.h"

/* Compile and check a document; the first error (in document order) fails. */
static int load_doc(dom_doc *doc, ivrsm_machine **out, ivrsm_error *err)
{
    ivrsm_diagnostics *diag = diag_new(doc->name);
    if (!diag)
        return diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    compile_info info = {0};
    ivrsm_machine *m = NULL;
    int rc = compile_machine(doc, diag, &info, &m);
    if (rc == 0 && diag->errors == 0)
        validate_machine(m, &info, diag, false);
    if (rc == 0 && diag->nomem)
        rc = IVRSM_ENOMEM;
    const diag_entry *first = rc == 0 ? diag_first_error(diag) : NULL;
    if (rc != 0) {
        diag_set_error(err, rc, doc->name, 0, 0, "", "out of memory");
        machine_destroy(m);
    } else if (first) {
        rc = diag_entry_to_error(first, doc->name, err);
        machine_destroy(m);
    } else {
        *out = m;
    }
    compile_info_free(&info);
    ivrsm_diagnostics_free(diag);
    return rc;
}

int ivrsm_machine_load_buffer(const char *data, size_t len, ivrsm_format format, const char *name,
                              ivrsm_machine **out, ivrsm_error *err)
{
    if (!name)
        name = "<buffer>";
    if ((!data && len) || !out || format < IVRSM_FORMAT_AUTO || format > IVRSM_FORMAT_JSON)
        return diag_set_error(err, IVRSM_EINVAL, name, 0, 0, "", "invalid argument");
    dom_doc *doc;
    int rc = dom_load(data ? data : "", len, format, name, &doc, err);
    if (rc)
        return rc;
    rc = load_doc(doc, out, err);
    dom_free(doc);
    return rc;
}

int ivrsm_machine_load_file(const char *path, ivrsm_format format, ivrsm_machine **out,
                            ivrsm_error *err)
{
    if (!path || !out || format < IVRSM_FORMAT_AUTO || format > IVRSM_FORMAT_JSON)
        return diag_set_error(err, IVRSM_EINVAL, path, 0, 0, "", "invalid argument");
    char *data;
    size_t len;
    int rc = dom_read_file(path, &data, &len, err);
    if (rc)
        return rc;
    if (format == IVRSM_FORMAT_AUTO)
        format = dom_format_for_path(path);
    rc = ivrsm_machine_load_buffer(data, len, format, path, out, err);
    free(data);
    return rc;
}

static int check_buffer(const char *data, size_t len, ivrsm_format format, const char *name,
                        ivrsm_diagnostics **out)
{
    ivrsm_diagnostics *diag = diag_new(name);
    if (!diag)
        return IVRSM_ENOMEM;
    ivrsm_error err;
    dom_doc *doc = NULL;
    int rc = dom_load(data ? data : "", len, format, name, &doc, &err);
    if (rc == IVRSM_ENOMEM || rc == IVRSM_EINVAL) {
        ivrsm_diagnostics_free(diag);
        return rc;
    }
    if (rc) {
        diag_add_error(diag, &err);
    } else {
        compile_info info = {0};
        ivrsm_machine *m = NULL;
        rc = compile_machine(doc, diag, &info, &m);
        if (rc == 0)
            validate_machine(m, &info, diag, true);
        machine_destroy(m);
        compile_info_free(&info);
        dom_free(doc);
        if (rc) {
            ivrsm_diagnostics_free(diag);
            return rc;
        }
    }
    if (diag->nomem) {
        ivrsm_diagnostics_free(diag);
        return IVRSM_ENOMEM;
    }
    diag_sort(diag);
    *out = diag;
    return 0;
}

int ivrsm_check_buffer(const char *data, size_t len, ivrsm_format format, const char *name,
                       ivrsm_diagnostics **out)
{
    if ((!data && len) || !out || format < IVRSM_FORMAT_AUTO || format > IVRSM_FORMAT_JSON)
        return IVRSM_EINVAL;
    return check_buffer(data, len, format, name ? name : "<buffer>", out);
}

int ivrsm_check_file(const char *path, ivrsm_format format, ivrsm_diagnostics **out)
{
    if (!path || !out || format < IVRSM_FORMAT_AUTO || format > IVRSM_FORMAT_JSON)
        return IVRSM_EINVAL;
    char *data;
    size_t len;
    ivrsm_error err;
    int rc = dom_read_file(path, &data, &len, &err);
    if (rc == IVRSM_ELIMIT) {
        ivrsm_diagnostics *diag = diag_new(path);
        if (!diag)
            return IVRSM_ENOMEM;
        diag_add_error(diag, &err);
        if (diag->nomem) {
            ivrsm_diagnostics_free(diag);
            return IVRSM_ENOMEM;
        }
        *out = diag;
        return 0;
    }
    if (rc)
        return rc;
    if (format == IVRSM_FORMAT_AUTO)
        format = dom_format_for_path(path);
    rc = check_buffer(data, len, format, path, out);
    free(data);
    return rc;
}
