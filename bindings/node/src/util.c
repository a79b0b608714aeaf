/*
 * Node-API helpers of the addon: throwing the binding's errors, building
 * result objects, reading arguments. See addon.h.
 */
#include "addon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------- */

/* The library's name of a code ("EDUPLICATE"), as the error's `code`. */
static const char *code_name(int code)
{
    const char *name = ivrsm_errname(code);
    return name ? name : "EUNKNOWN";
}

/* Throw, unless an exception is already on its way (the first one wins). */
void throw_error(napi_env env, const char *code, const char *message)
{
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending)
        napi_throw_error(env, code, message);
}

void throw_type_error(napi_env env, const char *message)
{
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending)
        napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
}

/* A failed napi_* call: report what Node says went wrong. */
void throw_napi_failure(napi_env env)
{
    const napi_extended_error_info *info = NULL;
    napi_get_last_error_info(env, &info);
    throw_error(env, "ENAPI",
                info && info->error_message ? info->error_message
                                            : "ivrsm: a Node-API call failed");
}

bool set_named(napi_env env, napi_value obj, const char *key, napi_value value)
{
    NAPI_CALL_BOOL(env, napi_set_named_property(env, obj, key, value));
    return true;
}

bool set_int(napi_env env, napi_value obj, const char *key, int64_t value)
{
    napi_value v;
    NAPI_CALL_BOOL(env, napi_create_int64(env, value, &v));
    return set_named(env, obj, key, v);
}

bool set_bool(napi_env env, napi_value obj, const char *key, bool value)
{
    napi_value v;
    NAPI_CALL_BOOL(env, napi_get_boolean(env, value, &v));
    return set_named(env, obj, key, v);
}

/* A C string as a JS string, NULL as null. */
bool make_string(napi_env env, const char *s, napi_value *out)
{
    if (!s)
        NAPI_CALL_BOOL(env, napi_get_null(env, out));
    else
        NAPI_CALL_BOOL(env, napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, out));
    return true;
}

bool set_string(napi_env env, napi_value obj, const char *key, const char *value)
{
    napi_value v;
    return make_string(env, value, &v) && set_named(env, obj, key, v);
}

/* Throw an Error for library code `rc` with `message`: .code is the code's
 * name ("ESTALE"), .errno the number. */
void throw_library_error(napi_env env, int rc, const char *message)
{
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending)
        return;
    napi_value code, text, error;
    if (napi_create_string_utf8(env, code_name(rc), NAPI_AUTO_LENGTH, &code) != napi_ok ||
        napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) != napi_ok ||
        napi_create_error(env, code, text, &error) != napi_ok ||
        !set_int(env, error, "errno", rc)) {
        throw_napi_failure(env);
        return;
    }
    napi_throw(env, error);
}

/* The same with the message "DETAIL: what the code means". */
void throw_code(napi_env env, int rc, const char *detail)
{
    char message[600];
    snprintf(message, sizeof message, "%s%s%s", detail ? detail : "", detail ? ": " : "",
             ivrsm_strerror(rc));
    throw_library_error(env, rc, message);
}

/* Throw the Error described by an ivrsm_error: the library's message as
 * "FILE:LINE:COLUMN: MESSAGE", and each part as a property. */
void throw_load_error(napi_env env, int rc, const ivrsm_error *err)
{
    char message[1200];
    const char *file = err->file[0] ? err->file : "<buffer>";
    const char *what = err->message[0] ? err->message : ivrsm_strerror(rc);
    if (err->line > 0)
        snprintf(message, sizeof message, "%s:%d:%d: %s", file, err->line, err->column, what);
    else
        snprintf(message, sizeof message, "%s: %s", file, what);
    napi_value code, text, error;
    if (napi_create_string_utf8(env, code_name(rc), NAPI_AUTO_LENGTH, &code) != napi_ok ||
        napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) != napi_ok ||
        napi_create_error(env, code, text, &error) != napi_ok ||
        !set_int(env, error, "errno", rc) || !set_string(env, error, "file", err->file) ||
        !set_int(env, error, "line", err->line) || !set_int(env, error, "column", err->column) ||
        !set_string(env, error, "path", err->path) || !set_string(env, error, "reason", what)) {
        throw_napi_failure(env);
        return;
    }
    napi_throw(env, error);
}

/* ---------------------------------------------------------------------------
 * Reading arguments
 * ------------------------------------------------------------------------- */

/* Exactly `n` arguments into argv (missing ones are undefined). */
bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv)
{
    size_t argc = n;
    NAPI_CALL_BOOL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    return true;
}

bool is_nullish(napi_env env, napi_value v)
{
    napi_valuetype t = napi_undefined;
    napi_typeof(env, v, &t);
    return t == napi_undefined || t == napi_null;
}

/*
 * A JS string as a new NUL-terminated UTF-8 copy (free() it), and its length.
 * `nullable`: undefined and null give NULL. Unless `allow_nul`, a string
 * holding a NUL character is refused: C would silently cut it there.
 */
bool get_string(napi_env env, napi_value v, const char *what, bool nullable, bool allow_nul,
                char **out, size_t *len_out)
{
    char message[160];
    *out = NULL;
    if (nullable && is_nullish(env, v))
        return true;
    size_t len;
    if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
        snprintf(message, sizeof message, "ivrsm: %s must be a string", what);
        throw_type_error(env, message);
        return false;
    }
    char *s = malloc(len + 1);
    if (!s) {
        throw_code(env, IVRSM_ENOMEM, what);
        return false;
    }
    if (napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
        free(s);
        throw_napi_failure(env);
        return false;
    }
    if (!allow_nul && strlen(s) != len) {
        free(s);
        snprintf(message, sizeof message, "ivrsm: %s contains a NUL character", what);
        throw_error(env, "ERR_INVALID_ARG_VALUE", message);
        return false;
    }
    *out = s;
    if (len_out)
        *len_out = len;
    return true;
}

/*
 * A document or a body: a JS string as get_string() gives it (NUL characters allowed), or a
 * Buffer's bytes exactly as they are, copied and NUL-terminated. The bytes are the library's
 * to judge, as the Python binding hands it bytes: a Buffer that is not UTF-8 is a document with
 * an error at its line and column, or a body that is not JSON (the machine's failure path).
 * Buffer.toString() would have made each bad byte U+FFFD, a valid text saying something else.
 */
bool get_text(napi_env env, napi_value v, const char *what, bool nullable, char **out,
              size_t *len_out)
{
    bool is_buffer = false;
    if (!(nullable && is_nullish(env, v)) && napi_is_buffer(env, v, &is_buffer) == napi_ok &&
        is_buffer) {
        void *data;
        size_t len;
        NAPI_CALL_BOOL(env, napi_get_buffer_info(env, v, &data, &len));
        char *s = malloc(len + 1);
        if (!s) {
            throw_code(env, IVRSM_ENOMEM, what);
            return false;
        }
        if (len)
            memcpy(s, data, len);
        s[len] = '\0';
        *out = s;
        if (len_out)
            *len_out = len;
        return true;
    }
    return get_string(env, v, what, nullable, true, out, len_out);
}

bool get_property(napi_env env, napi_value obj, const char *key, napi_value *out)
{
    NAPI_CALL_BOOL(env, napi_get_named_property(env, obj, key, out));
    return true;
}

bool get_prop_string(napi_env env, napi_value obj, const char *key, bool allow_nul, char **out,
                     size_t *len_out)
{
    napi_value v;
    return get_property(env, obj, key, &v) &&
           get_string(env, v, key, true, allow_nul, out, len_out);
}

/* A number property; `fallback` when undefined or null. */
bool get_prop_number(napi_env env, napi_value obj, const char *key, double fallback, double *out)
{
    napi_value v;
    if (!get_property(env, obj, key, &v))
        return false;
    *out = fallback;
    if (is_nullish(env, v))
        return true;
    if (napi_get_value_double(env, v, out) != napi_ok) {
        char message[120];
        snprintf(message, sizeof message, "ivrsm: %s must be a number", key);
        throw_type_error(env, message);
        return false;
    }
    return true;
}

bool get_int_arg(napi_env env, napi_value v, const char *what, int lo, int hi, int *out)
{
    int32_t value;
    char message[120];
    if (napi_get_value_int32(env, v, &value) != napi_ok) {
        snprintf(message, sizeof message, "ivrsm: %s must be a number", what);
        throw_type_error(env, message);
        return false;
    }
    if (value < lo || value > hi) {
        snprintf(message, sizeof message, "ivrsm: %s must be within %d..%d", what, lo, hi);
        throw_error(env, "ERR_OUT_OF_RANGE", message);
        return false;
    }
    *out = value;
    return true;
}

bool get_format(napi_env env, napi_value v, ivrsm_format *out)
{
    int f;
    if (!get_int_arg(env, v, "format", IVRSM_FORMAT_AUTO, IVRSM_FORMAT_JSON, &f))
        return false;
    *out = (ivrsm_format)f;
    return true;
}

napi_value undefined(napi_env env)
{
    napi_value v;
    napi_get_undefined(env, &v);
    return v;
}

/* A string the library allocated for the caller, as a JS string; frees it. */
napi_value take_string(napi_env env, char *s)
{
    if (!s) {
        throw_code(env, IVRSM_ENOMEM, "ctx");
        return NULL;
    }
    napi_value v;
    napi_status st = napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
    ivrsm_free(s);
    NAPI_CALL(env, st);
    return v;
}
