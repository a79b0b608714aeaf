/*
 * The public machine API: loading (read → dom → compile → check), reference
 * counting, accessors and name lookups, and ivrsm_check_*().
 */
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "model.h"

/* --- Names ------------------------------------------------------------------- */

const char *m_state_type_name(m_state_type t)
{
    static const char *const names[M_STATE_TYPE_COUNT] = {"prompt_and_listen", "action_then_prompt",
                                                          "listen", "handoff", "prompt_end"};
    return (unsigned)t < M_STATE_TYPE_COUNT ? names[t] : NULL;
}

uint32_t machine_name_hash(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

static const char *name_at(const char *const *names, size_t stride, size_t i)
{
    return *(const char *const *)((const char *)names + i * stride);
}

uint32_t *machine_build_index(ivrsm_arena *arena, const char *const *names, size_t stride,
                              size_t count, size_t *mask)
{
    size_t cap = 8;
    while (cap < count * 2)
        cap *= 2;
    uint32_t *slots = ivrsm_arena_alloc(arena, cap * sizeof(*slots));
    if (!slots)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        const char *name = name_at(names, stride, i);
        if (!name)
            continue;
        size_t s = machine_name_hash(name) & (cap - 1);
        while (slots[s])
            s = (s + 1) & (cap - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    *mask = cap - 1;
    return slots;
}

static int32_t index_find(const uint32_t *slots, size_t mask, const char *const *names,
                          size_t stride, const char *name)
{
    if (!slots || !name)
        return M_NONE;
    for (size_t s = machine_name_hash(name) & mask; slots[s]; s = (s + 1) & mask) {
        const char *cand = name_at(names, stride, slots[s] - 1);
        if (cand && !strcmp(cand, name))
            return (int32_t)(slots[s] - 1);
    }
    return M_NONE;
}

int32_t m_find_state(const struct ivrsm_machine *m, const char *name)
{
    if (!m || !m->state_count)
        return M_NONE;
    return index_find(m->state_slots, m->state_slot_mask, &m->states[0].name, sizeof(m_state),
                      name);
}

int32_t m_find_intent(const struct ivrsm_machine *m, const char *name)
{
    if (!m || !m->intent_count)
        return M_NONE;
    return index_find(m->intent_slots, m->intent_slot_mask, &m->intents[0].name, sizeof(m_intent),
                      name);
}

/* --- Lifetime ------------------------------------------------------------------ */

void machine_destroy(struct ivrsm_machine *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->owned_template_count; i++)
        ivrsm_tmpl_free(m->owned_templates[i]);
    free(m->owned_templates);
    for (size_t i = 0; i < m->owned_json_count; i++)
        json_decref(m->owned_json[i]);
    free(m->owned_json);
    json_decref(m->globals);
    ivrsm_tz_free(m->tz);
    ivrsm_arena_free(m->arena);
    free(m);
}

ivrsm_machine *ivrsm_machine_ref(ivrsm_machine *m)
{
    if (m)
        __atomic_fetch_add(&m->refcount, 1, __ATOMIC_RELAXED);
    return m;
}

void ivrsm_machine_unref(ivrsm_machine *m)
{
    /* Release/acquire: whoever frees sees every other thread's reads done. */
    if (m && __atomic_sub_fetch(&m->refcount, 1, __ATOMIC_ACQ_REL) == 0)
        machine_destroy(m);
}

/* --- Loading ------------------------------------------------------------------- */

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

/* --- Accessors ------------------------------------------------------------------- */

const char *ivrsm_machine_name(const ivrsm_machine *m)
{
    return m ? m->name : NULL;
}

const char *ivrsm_machine_version(const ivrsm_machine *m)
{
    return m ? m->version : NULL;
}

size_t ivrsm_machine_state_count(const ivrsm_machine *m)
{
    return m ? m->state_count : 0;
}

const char *ivrsm_machine_state_name(const ivrsm_machine *m, size_t index)
{
    return m && index < m->state_count ? m->states[index].name : NULL;
}

const char *ivrsm_machine_state_type(const ivrsm_machine *m, size_t index)
{
    return m && index < m->state_count ? m_state_type_name(m->states[index].type) : NULL;
}

int ivrsm_machine_state_index(const ivrsm_machine *m, const char *name)
{
    int32_t i = m_find_state(m, name);
    return i == M_NONE ? IVRSM_ENOTFOUND : (int)i;
}

size_t ivrsm_machine_initial_state(const ivrsm_machine *m)
{
    return m && m->initial >= 0 ? (size_t)m->initial : 0;
}

size_t ivrsm_machine_memory(const ivrsm_machine *m)
{
    return m ? m->memory : 0;
}

/* --- Checking ------------------------------------------------------------------------ */

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
