/*
 * The native half of the Node binding: machines, checks and the module's
 * table of methods. index.js builds the public classes on top of these
 * functions; sessions are in session.c, handles in handles.c.
 */
#include "addon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Machines and checks
 * ------------------------------------------------------------------------- */

static napi_value wrap_machine(napi_env env, ivrsm_machine *m)
{
    machine_handle *h = malloc(sizeof *h);
    if (!h) {
        ivrsm_machine_unref(m);
        throw_code(env, IVRSM_ENOMEM, "machine");
        return NULL;
    }
    h->machine = m;
    return new_handle(env, &machine_tag, h, machine_finalize);
}

/* loadFile(path, format) -> machine handle */
static napi_value load_file(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    char *path;
    ivrsm_format format;
    if (!get_args(env, info, 2, argv) || !get_format(env, argv[1], &format) ||
        !get_string(env, argv[0], "path", false, false, &path, NULL))
        return NULL;
    ivrsm_machine *m;
    ivrsm_error err;
    memset(&err, 0, sizeof err);
    int rc = ivrsm_machine_load_file(path, format, &m, &err);
    free(path);
    if (rc != 0) {
        throw_load_error(env, rc, &err);
        return NULL;
    }
    return wrap_machine(env, m);
}

/* loadString(text, format, name) -> machine handle */
static napi_value load_string(napi_env env, napi_callback_info info)
{
    napi_value argv[3];
    char *text, *name;
    size_t len;
    ivrsm_format format;
    if (!get_args(env, info, 3, argv) || !get_format(env, argv[1], &format) ||
        !get_string(env, argv[2], "name", true, false, &name, NULL))
        return NULL;
    if (!get_text(env, argv[0], "text", false, &text, &len)) {
        free(name);
        return NULL;
    }
    ivrsm_machine *m;
    ivrsm_error err;
    memset(&err, 0, sizeof err);
    int rc = ivrsm_machine_load_buffer(text, len, format, name, &m, &err);
    free(text);
    free(name);
    if (rc != 0) {
        throw_load_error(env, rc, &err);
        return NULL;
    }
    return wrap_machine(env, m);
}

/* machineInfo(handle) -> {name, version, states, stateTypes, initialState} */
static napi_value machine_info(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    if (!get_args(env, info, 1, argv))
        return NULL;
    ivrsm_machine *m = open_machine(env, argv[0]);
    if (!m)
        return NULL;
    napi_value out, states, types, name, inputs, input;
    size_t count = ivrsm_machine_state_count(m);
    size_t ninputs = ivrsm_machine_input_count(m);
    NAPI_CALL(env, napi_create_array_with_length(env, ninputs, &inputs));
    for (size_t i = 0; i < ninputs; i++) {
        const ivrsm_input *in = ivrsm_machine_input(m, i);
        NAPI_CALL(env, napi_create_object(env, &input));
        if (!set_string(env, input, "name", in->name) ||
            !set_string(env, input, "type", in->type) ||
            !set_string(env, input, "default", in->default_json) ||
            !set_bool(env, input, "required", in->required) ||
            !set_string(env, input, "description", in->description))
            return NULL;
        NAPI_CALL(env, napi_set_element(env, inputs, (uint32_t)i, input));
    }
    NAPI_CALL(env, napi_create_object(env, &out));
    NAPI_CALL(env, napi_create_array_with_length(env, count, &states));
    NAPI_CALL(env, napi_create_object(env, &types));
    for (size_t i = 0; i < count; i++) {
        if (!make_string(env, ivrsm_machine_state_name(m, i), &name) ||
            !set_string(env, types, ivrsm_machine_state_name(m, i), ivrsm_machine_state_type(m, i)))
            return NULL;
        NAPI_CALL(env, napi_set_element(env, states, (uint32_t)i, name));
    }
    if (!set_string(env, out, "name", ivrsm_machine_name(m)) ||
        !set_string(env, out, "version", ivrsm_machine_version(m)) ||
        !set_named(env, out, "states", states) || !set_named(env, out, "stateTypes", types) ||
        !set_named(env, out, "inputs", inputs) ||
        !set_string(env, out, "initialState",
                    ivrsm_machine_state_name(m, ivrsm_machine_initial_state(m))))
        return NULL;
    return out;
}

/*
 * A number in E.164 (ivrsm_machine_phone_e164 with a machine handle,
 * ivrsm_phone_e164 with a region): the string, or null when it is not a phone
 * number there. An unknown region throws ENOTFOUND.
 */
static napi_value phone_e164(napi_env env, ivrsm_machine *m, const char *region, napi_value number)
{
    char *text;
    if (!get_string(env, number, "number", false, false, &text, NULL))
        return NULL;
    char out[IVRSM_E164_SIZE];
    int rc = m ? ivrsm_machine_phone_e164(m, text, out, sizeof out)
               : ivrsm_phone_e164(region, text, out, sizeof out);
    free(text);
    napi_value v;
    if (rc == IVRSM_ENOTFOUND) {
        throw_code(env, rc, "region");
        return NULL;
    }
    if (!make_string(env, rc == 0 ? out : NULL, &v))
        return NULL;
    return v;
}

/* machinePhoneE164(handle, number) -> "+33612345678" or null */
static napi_value machine_phone_e164(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    if (!get_args(env, info, 2, argv))
        return NULL;
    ivrsm_machine *m = open_machine(env, argv[0]);
    return m ? phone_e164(env, m, NULL, argv[1]) : NULL;
}

/* phoneE164(number, region) -> "+33612345678" or null */
static napi_value region_phone_e164(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    char *region;
    if (!get_args(env, info, 2, argv) ||
        !get_string(env, argv[1], "region", false, false, &region, NULL))
        return NULL;
    napi_value v = phone_e164(env, NULL, region, argv[0]);
    free(region);
    return v;
}

/* machineClose(handle): drop the handle's reference now. */
static napi_value machine_close(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    if (!get_args(env, info, 1, argv))
        return NULL;
    machine_handle *h = unwrap_handle(env, argv[0], &machine_tag, "machine");
    if (!h)
        return NULL;
    ivrsm_machine_unref(h->machine);
    h->machine = NULL;
    return undefined(env);
}

static napi_value diagnostic_object(napi_env env, const ivrsm_diagnostic *d)
{
    napi_value o;
    NAPI_CALL(env, napi_create_object(env, &o));
    if (!set_string(env, o, "severity",
                    d->severity == IVRSM_SEVERITY_ERROR ? "error" : "warning") ||
        !set_int(env, o, "line", d->line) || !set_int(env, o, "column", d->column) ||
        !set_string(env, o, "path", d->path ? d->path : "") ||
        !set_string(env, o, "rule", d->rule ? d->rule : "") ||
        !set_string(env, o, "message", d->message ? d->message : ""))
        return NULL;
    return o;
}

/* The diagnostics as an array; frees the list. */
static napi_value diagnostics_array(napi_env env, ivrsm_diagnostics *list)
{
    napi_value out = NULL;
    size_t count = ivrsm_diagnostics_count(list);
    if (napi_create_array_with_length(env, count, &out) != napi_ok) {
        throw_napi_failure(env);
        out = NULL;
    }
    for (size_t i = 0; out && i < count; i++) {
        napi_value d = diagnostic_object(env, ivrsm_diagnostics_get(list, i));
        if (!d || napi_set_element(env, out, (uint32_t)i, d) != napi_ok) {
            throw_napi_failure(env);
            out = NULL;
        }
    }
    ivrsm_diagnostics_free(list);
    return out;
}

/* checkFile(path, format) -> [diagnostic] */
static napi_value check_file(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    char *path;
    ivrsm_format format;
    if (!get_args(env, info, 2, argv) || !get_format(env, argv[1], &format) ||
        !get_string(env, argv[0], "path", false, false, &path, NULL))
        return NULL;
    ivrsm_diagnostics *list;
    int rc = ivrsm_machine_check_file(path, format, &list);
    if (rc != 0) {
        char detail[300];
        snprintf(detail, sizeof detail, "cannot check %s", path);
        free(path);
        throw_code(env, rc, detail);
        return NULL;
    }
    free(path);
    return diagnostics_array(env, list);
}

/* checkString(text, format, name) -> [diagnostic] */
static napi_value check_string(napi_env env, napi_callback_info info)
{
    napi_value argv[3];
    char *text, *name;
    size_t len;
    ivrsm_format format;
    if (!get_args(env, info, 3, argv) || !get_format(env, argv[1], &format) ||
        !get_string(env, argv[2], "name", true, false, &name, NULL))
        return NULL;
    if (!get_text(env, argv[0], "text", false, &text, &len)) {
        free(name);
        return NULL;
    }
    ivrsm_diagnostics *list;
    int rc = ivrsm_machine_check_buffer(text, len, format, name, &list);
    free(text);
    free(name);
    if (rc != 0) {
        throw_code(env, rc, "cannot check the document");
        return NULL;
    }
    return diagnostics_array(env, list);
}

/* version() -> "MAJOR.MINOR.PATCH" of the library actually linked */
static napi_value version(napi_env env, napi_callback_info info)
{
    (void)info;
    napi_value v;
    NAPI_CALL(env, napi_create_string_utf8(env, ivrsm_version(), NAPI_AUTO_LENGTH, &v));
    return v;
}

#define METHOD(name, fn)                                                                           \
    {                                                                                              \
        name, NULL, fn, NULL, NULL, NULL, napi_default, NULL                                       \
    }

NAPI_MODULE_INIT()
{
    static const napi_property_descriptor methods[] = {
        METHOD("version", version),
        METHOD("loadFile", load_file),
        METHOD("loadString", load_string),
        METHOD("machineInfo", machine_info),
        METHOD("machineClose", machine_close),
        METHOD("machinePhoneE164", machine_phone_e164),
        METHOD("phoneE164", region_phone_e164),
        METHOD("checkFile", check_file),
        METHOD("checkString", check_string),
        METHOD("sessionNew", session_new),
        METHOD("sessionRestore", session_restore),
        METHOD("sessionStart", session_start),
        METHOD("sessionFeed", session_feed),
        METHOD("sessionCommands", session_commands),
        METHOD("sessionStatus", session_status),
        METHOD("sessionCtx", session_ctx),
        METHOD("sessionSnapshot", session_snapshot),
        METHOD("sessionClose", session_close),
        METHOD("isClosed", is_closed),
    };
    if (napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods) !=
        napi_ok) {
        throw_napi_failure(env);
        return NULL;
    }
    return exports;
}
