/*
 * The loading pipeline behind the public API: read → document → compile →
 * validate, for ivrsm_machine_load_*() (the first error fails) and
 * ivrsm_check_*() (every diagnostic is kept).
 */
#include "compile.h"
#include "mem.h"
#include "versioned.h"

/* Compile and check a document; the first error (in document order) fails. */
static int load_doc(dom_doc *doc, ivrsm_machine **out, ivrsm_error *err)
{
    ivrsm_diagnostics *diag = ivrsm_diag_new(doc->name, doc->mem);
    if (!diag)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    compile_info info = {0};
    ivrsm_machine *m = NULL;
    int rc = ivrsm_compile_machine(doc, diag, &info, &m);
    if (rc == 0 && diag->errors == 0)
        ivrsm_validate_machine(m, &info, diag, false);
    if (rc == 0 && diag->nomem)
        rc = IVRSM_ENOMEM;
    const diag_entry *first = rc == 0 ? ivrsm_diag_first_error(diag) : NULL;
    if (rc != 0) {
        ivrsm_diag_set_error(err, rc, doc->name, 0, 0, "", "out of memory");
        ivrsm_machine_destroy(m);
    } else if (first) {
        rc = ivrsm_diag_entry_to_error(first, doc->name, err);
        ivrsm_machine_destroy(m);
    } else {
        *out = m;
    }
    ivrsm_compile_info_free(&info);
    ivrsm_diagnostics_free(diag);
    return rc;
}

/* The allocator the caller's options name (of any version), or NULL when they are not valid. */
static const ivrsm_mem *options_mem(const ivrsm_load_options *given)
{
    ivrsm_load_options opts = IVRSM_LOAD_OPTIONS_INIT;
    if (given && !ivrsm_versioned_copy(&opts, sizeof(opts), given,
                                       IVRSM_LAYOUT_END(ivrsm_load_options, mem)))
        return NULL;
    if (!opts.mem)
        return ivrsm_mem_default();
    return ivrsm_mem_valid(opts.mem) ? opts.mem : NULL;
}

static int load_buffer(const char *data, size_t len, ivrsm_format format, const char *name,
                       const ivrsm_mem *mem, ivrsm_machine **out, ivrsm_error *err)
{
    dom_doc *doc = NULL;
    int rc = ivrsm_dom_load(data, len, format, name, mem, out ? &doc : NULL, err);
    if (rc)
        return rc;
    rc = load_doc(doc, out, err);
    ivrsm_dom_free(doc);
    return rc;
}

int ivrsm_machine_load_buffer_opts(const char *data, size_t len, ivrsm_format format,
                                   const char *name, const ivrsm_load_options *opts,
                                   ivrsm_machine **out, ivrsm_error *err)
{
    const ivrsm_mem *mem = options_mem(opts);
    if (!mem)
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, name, 0, 0, "", "invalid load options");
    return load_buffer(data, len, format, name, mem, out, err);
}

int ivrsm_machine_load_buffer(const char *data, size_t len, ivrsm_format format, const char *name,
                              ivrsm_machine **out, ivrsm_error *err)
{
    return load_buffer(data, len, format, name, ivrsm_mem_default(), out, err);
}

int ivrsm_machine_load_file_opts(const char *path, ivrsm_format format,
                                 const ivrsm_load_options *opts, ivrsm_machine **out,
                                 ivrsm_error *err)
{
    const ivrsm_mem *mem = options_mem(opts);
    if (!out || !mem)
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, path, 0, 0, "", "invalid argument");
    char *data;
    size_t len;
    int rc = ivrsm_dom_read_path(path, &format, mem, &data, &len, err);
    if (rc)
        return rc;
    rc = load_buffer(data, len, format, path, mem, out, err);
    ivrsm_mem_free(mem, data);
    return rc;
}

int ivrsm_machine_load_file(const char *path, ivrsm_format format, ivrsm_machine **out,
                            ivrsm_error *err)
{
    return ivrsm_machine_load_file_opts(path, format, NULL, out, err);
}

static int check_buffer(const char *data, size_t len, ivrsm_format format, const char *name,
                        const ivrsm_mem *mem, ivrsm_diagnostics **out)
{
    ivrsm_diagnostics *diag = ivrsm_diag_new(name, mem);
    if (!diag)
        return IVRSM_ENOMEM;
    ivrsm_error err;
    dom_doc *doc = NULL;
    int rc = ivrsm_dom_load(data ? data : "", len, format, name, mem, &doc, &err);
    if (rc == IVRSM_ENOMEM || rc == IVRSM_EINVAL) {
        ivrsm_diagnostics_free(diag);
        return rc;
    }
    if (rc) {
        ivrsm_diag_add_error(diag, &err);
    } else {
        compile_info info = {0};
        ivrsm_machine *m = NULL;
        rc = ivrsm_compile_machine(doc, diag, &info, &m);
        if (rc == 0)
            ivrsm_validate_machine(m, &info, diag, true);
        ivrsm_machine_destroy(m);
        ivrsm_compile_info_free(&info);
        ivrsm_dom_free(doc);
        if (rc) {
            ivrsm_diagnostics_free(diag);
            return rc;
        }
    }
    if (diag->nomem) {
        ivrsm_diagnostics_free(diag);
        return IVRSM_ENOMEM;
    }
    ivrsm_diag_sort(diag);
    *out = diag;
    return 0;
}

int ivrsm_machine_check_buffer_opts(const char *data, size_t len, ivrsm_format format,
                                    const char *name, const ivrsm_load_options *opts,
                                    ivrsm_diagnostics **out)
{
    const ivrsm_mem *mem = options_mem(opts);
    if ((!data && len) || !out || !mem || format < IVRSM_FORMAT_AUTO || format > IVRSM_FORMAT_JSON)
        return IVRSM_EINVAL;
    return check_buffer(data, len, format, name ? name : "<buffer>", mem, out);
}

int ivrsm_machine_check_buffer(const char *data, size_t len, ivrsm_format format, const char *name,
                               ivrsm_diagnostics **out)
{
    return ivrsm_machine_check_buffer_opts(data, len, format, name, NULL, out);
}

int ivrsm_machine_check_file_opts(const char *path, ivrsm_format format,
                                  const ivrsm_load_options *opts, ivrsm_diagnostics **out)
{
    const ivrsm_mem *mem = options_mem(opts);
    if (!path || !out || !mem || format < IVRSM_FORMAT_AUTO || format > IVRSM_FORMAT_JSON)
        return IVRSM_EINVAL;
    char *data;
    size_t len;
    ivrsm_error err;
    int rc = ivrsm_dom_read_file(path, mem, &data, &len, &err);
    if (rc == IVRSM_ELIMIT) {
        ivrsm_diagnostics *diag = ivrsm_diag_new(path, mem);
        if (!diag)
            return IVRSM_ENOMEM;
        ivrsm_diag_add_error(diag, &err);
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
        format = ivrsm_dom_format_for_path(path);
    rc = check_buffer(data, len, format, path, mem, out);
    ivrsm_mem_free(mem, data);
    return rc;
}

int ivrsm_machine_check_file(const char *path, ivrsm_format format, ivrsm_diagnostics **out)
{
    return ivrsm_machine_check_file_opts(path, format, NULL, out);
}
