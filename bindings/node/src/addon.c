/*
 * The native half of the Node binding: C objects behind JS handles, and the
 * copying of commands and diagnostics out of the library's structs.
 *
 * index.js builds the public classes on top of these functions. A handle is
 * a plain JS object with a type tag and a napi_wrap'ed struct, so the garbage
 * collector frees the C object (finalizer) unless close() did it first.
 *
 * Callbacks: a session's clock and trace functions are stored as properties
 * of its handle object, never in napi_refs, so a callback that captures the
 * session does not keep it alive forever. The library only calls them from
 * within start()/feed() (it is synchronous), where the handle object is one
 * of the arguments, so the thunks reach them through the current call.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <ivrsm/ivrsm.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest integer a JS number holds exactly (2^53 - 1). */
#define MAX_SAFE_INTEGER 9007199254740991.0

/* Distinguishes machine handles from session handles (and from any other
 * object) before napi_unwrap trusts the pointer inside. */
static const napi_type_tag machine_tag = {0x6976727336d61636ULL, 0x68696e6568616e64ULL};
static const napi_type_tag session_tag = {0x697672736d736573ULL, 0x73696f6e68616e64ULL};

typedef struct machine_handle {
    ivrsm_machine *machine; /* NULL once closed */
} machine_handle;

typedef struct session_handle {
    ivrsm_session *session; /* NULL once closed */
    /* Valid only while a call into the library is in progress: */
    napi_env env;
    napi_value self; /* the handle object, holding "clock" and "trace" */
    bool busy;       /* a call is in progress: refuse re-entry from a callback */
    bool failed;     /* a callback threw; its exception is pending */
} session_handle;

/* ---------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------- */

static const char *code_name(int code)
{
    switch (code) {
    case IVRSM_EINVAL:
        return "EINVAL";
    case IVRSM_ENOMEM:
        return "ENOMEM";
    case IVRSM_EIO:
        return "EIO";
    case IVRSM_ESYNTAX:
        return "ESYNTAX";
    case IVRSM_EMACHINE:
        return "EMACHINE";
    case IVRSM_ELIMIT:
        return "ELIMIT";
    case IVRSM_EDUPLICATE:
        return "EDUPLICATE";
    case IVRSM_ESTALE:
        return "ESTALE";
    case IVRSM_EENDED:
        return "EENDED";
    case IVRSM_ESTATE:
        return "ESTATE";
    case IVRSM_ESNAPSHOT:
        return "ESNAPSHOT";
    case IVRSM_ENOTFOUND:
        return "ENOTFOUND";
    case IVRSM_EUNEXPECTED:
        return "EUNEXPECTED";
    default:
        return "EUNKNOWN";
    }
}

/* Throw, unless an exception is already on its way (the first one wins). */
static void throw_error(napi_env env, const char *code, const char *message)
{
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending)
        napi_throw_error(env, code, message);
}

static void throw_type_error(napi_env env, const char *message)
{
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending)
        napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
}

/* A failed napi_* call: report what Node says went wrong. */
static void throw_napi_failure(napi_env env)
{
    const napi_extended_error_info *info = NULL;
    napi_get_last_error_info(env, &info);
    throw_error(env, "ENAPI",
                info && info->error_message ? info->error_message
                                            : "ivrsm: a Node-API call failed");
}

#define NAPI_CALL(env, call)                                                                       \
    do {                                                                                           \
        if ((call) != napi_ok) {                                                                   \
            throw_napi_failure(env);                                                               \
            return NULL;                                                                           \
        }                                                                                          \
    } while (0)

#define NAPI_CALL_BOOL(env, call)                                                                  \
    do {                                                                                           \
        if ((call) != napi_ok) {                                                                   \
            throw_napi_failure(env);                                                               \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

static bool set_named(napi_env env, napi_value obj, const char *key, napi_value value)
{
    NAPI_CALL_BOOL(env, napi_set_named_property(env, obj, key, value));
    return true;
}

static bool set_int(napi_env env, napi_value obj, const char *key, int64_t value)
{
    napi_value v;
    NAPI_CALL_BOOL(env, napi_create_int64(env, value, &v));
    return set_named(env, obj, key, v);
}

static bool set_bool(napi_env env, napi_value obj, const char *key, bool value)
{
    napi_value v;
    NAPI_CALL_BOOL(env, napi_get_boolean(env, value, &v));
    return set_named(env, obj, key, v);
}

/* A C string as a JS string, NULL as null. */
static bool make_string(napi_env env, const char *s, napi_value *out)
{
    if (!s)
        NAPI_CALL_BOOL(env, napi_get_null(env, out));
    else
        NAPI_CALL_BOOL(env, napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, out));
    return true;
}

static bool set_string(napi_env env, napi_value obj, const char *key, const char *value)
{
    napi_value v;
    return make_string(env, value, &v) && set_named(env, obj, key, v);
}

/* Throw an Error for library code `rc` with `message`: .code is the code's
 * name ("ESTALE"), .errno the number. */
static void throw_library_error(napi_env env, int rc, const char *message)
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
static void throw_code(napi_env env, int rc, const char *detail)
{
    char message[600];
    snprintf(message, sizeof message, "%s%s%s", detail ? detail : "", detail ? ": " : "",
             ivrsm_strerror(rc));
    throw_library_error(env, rc, message);
}

/* Throw the Error described by an ivrsm_error: the library's message as
 * "FILE:LINE:COLUMN: MESSAGE", and each part as a property. */
static void throw_load_error(napi_env env, int rc, const ivrsm_error *err)
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
static bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv)
{
    size_t argc = n;
    NAPI_CALL_BOOL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
    return true;
}

static bool is_nullish(napi_env env, napi_value v)
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
static bool get_string(napi_env env, napi_value v, const char *what, bool nullable, bool allow_nul,
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

static bool get_property(napi_env env, napi_value obj, const char *key, napi_value *out)
{
    NAPI_CALL_BOOL(env, napi_get_named_property(env, obj, key, out));
    return true;
}

static bool get_prop_string(napi_env env, napi_value obj, const char *key, bool allow_nul,
                            char **out, size_t *len_out)
{
    napi_value v;
    return get_property(env, obj, key, &v) &&
           get_string(env, v, key, true, allow_nul, out, len_out);
}

/* A number property; `fallback` when undefined or null. */
static bool get_prop_number(napi_env env, napi_value obj, const char *key, double fallback,
                            double *out)
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

static bool get_int_arg(napi_env env, napi_value v, const char *what, int lo, int hi, int *out)
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

static bool get_format(napi_env env, napi_value v, ivrsm_format *out)
{
    int f;
    if (!get_int_arg(env, v, "format", IVRSM_FORMAT_AUTO, IVRSM_FORMAT_JSON, &f))
        return false;
    *out = (ivrsm_format)f;
    return true;
}

/* ---------------------------------------------------------------------------
 * Handles
 * ------------------------------------------------------------------------- */

static void machine_finalize(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    machine_handle *h = data;
    ivrsm_machine_unref(h->machine);
    free(h);
}

static void session_finalize(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    session_handle *h = data;
    ivrsm_session_free(h->session);
    free(h);
}

/* A new JS handle object owning `data` (freed by `finalize` when collected). */
static napi_value new_handle(napi_env env, const napi_type_tag *tag, void *data,
                             napi_finalize finalize)
{
    napi_value obj;
    if (napi_create_object(env, &obj) != napi_ok ||
        napi_type_tag_object(env, obj, tag) != napi_ok ||
        napi_wrap(env, obj, data, finalize, NULL, NULL) != napi_ok) {
        finalize(env, data, NULL);
        throw_napi_failure(env);
        return NULL;
    }
    return obj;
}

/* The struct behind handle `v`, after checking that it is one of `tag`. */
static void *unwrap_handle(napi_env env, napi_value v, const napi_type_tag *tag, const char *what)
{
    bool tagged = false;
    napi_valuetype t = napi_undefined;
    napi_typeof(env, v, &t);
    if (t == napi_object)
        napi_check_object_type_tag(env, v, tag, &tagged);
    void *data = NULL;
    if (!tagged || napi_unwrap(env, v, &data) != napi_ok || !data) {
        char message[120];
        snprintf(message, sizeof message, "ivrsm: not a %s handle", what);
        throw_type_error(env, message);
        return NULL;
    }
    return data;
}

static ivrsm_machine *open_machine(napi_env env, napi_value v)
{
    machine_handle *h = unwrap_handle(env, v, &machine_tag, "machine");
    if (h && !h->machine)
        throw_error(env, "ECLOSED", "ivrsm: the machine is closed");
    return h ? h->machine : NULL;
}

static session_handle *open_session(napi_env env, napi_value v)
{
    session_handle *h = unwrap_handle(env, v, &session_tag, "session");
    if (!h)
        return NULL;
    if (!h->session) {
        throw_error(env, "ECLOSED", "ivrsm: the session is closed");
        return NULL;
    }
    if (h->busy) {
        throw_error(env, "EBUSY",
                    "ivrsm: a session cannot be used from its own clock or trace callback");
        return NULL;
    }
    return h;
}

/* ---------------------------------------------------------------------------
 * Clock and trace thunks
 * ------------------------------------------------------------------------- */

/* Remember that a callback failed; make sure an exception says why. */
static void callback_failed(session_handle *h, const char *why)
{
    h->failed = true;
    throw_error(h->env, "ECALLBACK", why);
}

/* Call the session's callback `key` with `argc` arguments; false on failure. */
static bool call_callback(session_handle *h, const char *key, size_t argc, napi_value *argv,
                          napi_value *result)
{
    napi_env env = h->env;
    napi_value fn, global;
    if (napi_get_named_property(env, h->self, key, &fn) != napi_ok ||
        napi_get_global(env, &global) != napi_ok ||
        napi_call_function(env, global, fn, argc, argv, result) != napi_ok) {
        callback_failed(h, "ivrsm: a session callback failed");
        return false;
    }
    return true;
}

static int64_t clock_thunk(void *user)
{
    session_handle *h = user;
    if (!h->env || h->failed)
        return 0;
    napi_handle_scope scope;
    if (napi_open_handle_scope(h->env, &scope) != napi_ok) {
        callback_failed(h, "ivrsm: cannot call the clock");
        return 0;
    }
    int64_t ms = 0;
    napi_value result;
    double value;
    if (call_callback(h, "clock", 0, NULL, &result)) {
        if (napi_get_value_double(h->env, result, &value) == napi_ok && isfinite(value) &&
            fabs(value) <= MAX_SAFE_INTEGER)
            ms = (int64_t)value;
        else
            callback_failed(h, "ivrsm: the clock must return milliseconds since the epoch");
    }
    napi_close_handle_scope(h->env, scope);
    return ms;
}

static void trace_thunk(void *user, const char *record)
{
    session_handle *h = user;
    if (!h->env || h->failed)
        return;
    napi_handle_scope scope;
    if (napi_open_handle_scope(h->env, &scope) != napi_ok) {
        callback_failed(h, "ivrsm: cannot call the trace sink");
        return;
    }
    napi_value arg, result;
    if (napi_create_string_utf8(h->env, record, NAPI_AUTO_LENGTH, &arg) != napi_ok)
        callback_failed(h, "ivrsm: cannot pass a trace record");
    else
        call_callback(h, "trace", 1, &arg, &result);
    napi_close_handle_scope(h->env, scope);
}

/* Store the callbacks found in `opts` ({clock, trace}) on the handle object
 * and point the library's options at the thunks. */
static bool attach_callbacks(napi_env env, napi_value handle, session_handle *h, napi_value opts,
                             ivrsm_session_options *o)
{
    static const char *const keys[] = {"clock", "trace"};
    for (size_t i = 0; i < 2; i++) {
        napi_value fn;
        if (!get_property(env, opts, keys[i], &fn))
            return false;
        if (is_nullish(env, fn))
            continue;
        napi_valuetype t;
        NAPI_CALL_BOOL(env, napi_typeof(env, fn, &t));
        if (t != napi_function) {
            char message[80];
            snprintf(message, sizeof message, "ivrsm: %s must be a function", keys[i]);
            throw_type_error(env, message);
            return false;
        }
        napi_property_descriptor d = {keys[i], NULL, NULL, NULL, NULL, fn, napi_default, NULL};
        NAPI_CALL_BOOL(env, napi_define_properties(env, handle, 1, &d));
        if (i == 0) {
            o->clock = clock_thunk;
            o->clock_user = h;
        } else {
            o->trace = trace_thunk;
            o->trace_user = h;
        }
    }
    return true;
}

/* Around every library call that may run callbacks. */
static void enter(napi_env env, session_handle *h, napi_value self)
{
    h->busy = true;
    h->env = env;
    h->self = self;
}

/* After the call: false when a callback threw (its exception is pending). */
static bool leave(session_handle *h)
{
    bool ok = !h->failed;
    h->busy = false;
    h->failed = false;
    h->env = NULL;
    h->self = NULL;
    return ok;
}

static napi_value undefined(napi_env env)
{
    napi_value v;
    napi_get_undefined(env, &v);
    return v;
}

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
    if (!get_string(env, argv[0], "text", false, true, &text, &len)) {
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
    napi_value out, states, types, name;
    size_t count = ivrsm_machine_state_count(m);
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
        !set_string(env, out, "initialState",
                    ivrsm_machine_state_name(m, ivrsm_machine_initial_state(m))))
        return NULL;
    return out;
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
    int rc = ivrsm_check_file(path, format, &list);
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
    if (!get_string(env, argv[0], "text", false, true, &text, &len)) {
        free(name);
        return NULL;
    }
    ivrsm_diagnostics *list;
    int rc = ivrsm_check_buffer(text, len, format, name, &list);
    free(text);
    free(name);
    if (rc != 0) {
        throw_code(env, rc, "cannot check the document");
        return NULL;
    }
    return diagnostics_array(env, list);
}

/* ---------------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------------- */

static session_handle *new_session_handle(napi_env env)
{
    session_handle *h = calloc(1, sizeof *h);
    if (!h)
        throw_code(env, IVRSM_ENOMEM, "session");
    return h;
}

/* The session options of opts {callId, sessionId, ctxJson}; strings to free. */
static bool read_session_options(napi_env env, napi_value opts, ivrsm_session_options *o,
                                 char **strings)
{
    return get_prop_string(env, opts, "callId", false, &strings[0], NULL) &&
           get_prop_string(env, opts, "sessionId", false, &strings[1], NULL) &&
           get_prop_string(env, opts, "ctxJson", false, &strings[2], NULL) &&
           (o->call_id = strings[0], o->session_id = strings[1], o->ctx_json = strings[2], true);
}

/*
 * The per-call bounds of opts.limits ({maxConsecutiveFailures, maxStateVisits,
 * maxStepsPerEvent, otpMaxAttempts, minConfidence}, checked by index.js);
 * o->limits stays NULL without them.
 */
static bool read_limits(napi_env env, napi_value opts, ivrsm_limits *limits,
                        ivrsm_session_options *o)
{
    napi_value v;
    if (!get_property(env, opts, "limits", &v))
        return false;
    if (is_nullish(env, v))
        return true;
    double failures, visits, steps, attempts, confidence;
    if (!get_prop_number(env, v, "maxConsecutiveFailures", 0, &failures) ||
        !get_prop_number(env, v, "maxStateVisits", 0, &visits) ||
        !get_prop_number(env, v, "maxStepsPerEvent", 0, &steps) ||
        !get_prop_number(env, v, "otpMaxAttempts", 0, &attempts) ||
        !get_prop_number(env, v, "minConfidence", 0, &confidence))
        return false;
    const double counts[] = {failures, visits, steps, attempts};
    for (size_t i = 0; i < 4; i++)
        if (!(counts[i] >= 0 && counts[i] <= INT32_MAX)) {
            throw_error(env, "ERR_OUT_OF_RANGE", "ivrsm: limits must be non-negative integers");
            return false;
        }
    if (!(confidence >= 0 && confidence <= 1)) {
        throw_error(env, "ERR_OUT_OF_RANGE", "ivrsm: limits.minConfidence must be within 0..1");
        return false;
    }
    limits->max_consecutive_failures = (int)failures;
    limits->max_state_visits = (int)visits;
    limits->max_steps_per_event = (int)steps;
    limits->otp_max_attempts = (int)attempts;
    limits->min_confidence = confidence;
    o->limits = limits;
    return true;
}

/* Finish a session_new/restore: wrap `s`, or throw what `err` says. */
static napi_value session_created(napi_env env, session_handle *h, napi_value handle, int rc,
                                  ivrsm_session *s, const ivrsm_error *err, const char *what)
{
    if (rc != 0) {
        /* The handle object is collected later; its struct holds no session. */
        h->session = NULL;
        throw_library_error(env, rc, err->message[0] ? err->message : what);
        return NULL;
    }
    h->session = s;
    return handle;
}

/* sessionNew(machine, {callId, sessionId, ctxJson, clock, trace, limits}) -> session handle */
static napi_value session_new(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    if (!get_args(env, info, 2, argv))
        return NULL;
    ivrsm_machine *m = open_machine(env, argv[0]);
    if (!m)
        return NULL;
    session_handle *h = new_session_handle(env);
    if (!h)
        return NULL;
    napi_value handle = new_handle(env, &session_tag, h, session_finalize);
    if (!handle)
        return NULL;
    ivrsm_session_options o;
    memset(&o, 0, sizeof o);
    char *strings[3] = {NULL, NULL, NULL};
    ivrsm_session *s = NULL;
    ivrsm_error err;
    memset(&err, 0, sizeof err);
    ivrsm_limits limits;
    memset(&limits, 0, sizeof limits);
    int rc = IVRSM_EINVAL;
    if (read_session_options(env, argv[1], &o, strings) && read_limits(env, argv[1], &limits, &o) &&
        attach_callbacks(env, handle, h, argv[1], &o))
        rc = ivrsm_session_new(m, &o, &s, &err);
    for (size_t i = 0; i < 3; i++)
        free(strings[i]);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending)
        return NULL;
    return session_created(env, h, handle, rc, s, &err, ivrsm_strerror(rc));
}

/* sessionRestore(machine, snapshot, {clock, trace, limits}) -> session handle */
static napi_value session_restore(napi_env env, napi_callback_info info)
{
    napi_value argv[3];
    if (!get_args(env, info, 3, argv))
        return NULL;
    ivrsm_machine *m = open_machine(env, argv[0]);
    if (!m)
        return NULL;
    char *snapshot;
    if (!get_string(env, argv[1], "snapshot", false, false, &snapshot, NULL))
        return NULL;
    session_handle *h = new_session_handle(env);
    napi_value handle = h ? new_handle(env, &session_tag, h, session_finalize) : NULL;
    ivrsm_session_options o;
    memset(&o, 0, sizeof o);
    ivrsm_session *s = NULL;
    ivrsm_error err;
    memset(&err, 0, sizeof err);
    ivrsm_limits limits;
    memset(&limits, 0, sizeof limits);
    int rc = IVRSM_EINVAL;
    if (handle && read_limits(env, argv[2], &limits, &o) &&
        attach_callbacks(env, handle, h, argv[2], &o))
        rc = ivrsm_session_restore(m, snapshot, &o, &s, &err);
    free(snapshot);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending || !handle)
        return NULL;
    return session_created(env, h, handle, rc, s, &err, ivrsm_strerror(rc));
}

/* sessionStart(handle) */
static napi_value session_start(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    if (!get_args(env, info, 1, argv))
        return NULL;
    session_handle *h = open_session(env, argv[0]);
    if (!h)
        return NULL;
    enter(env, h, argv[0]);
    int rc = ivrsm_session_start(h->session);
    if (!leave(h))
        return NULL;
    if (rc != 0) {
        throw_code(env, rc, "start");
        return NULL;
    }
    return undefined(env);
}

/* Owned copies of an event's strings, freed after the feed. */
typedef struct event_strings {
    char *event_id;
    char *text;
    char *body;
    char *error;
} event_strings;

static void event_strings_free(event_strings *s)
{
    free(s->event_id);
    free(s->text);
    free(s->body);
    free(s->error);
}

/* The event of `obj` ({type, eventId, text, confidence, commandId, status,
 * body, error, ok}); index.js has checked and normalised it already. */
static bool read_event(napi_env env, napi_value obj, ivrsm_event *ev, event_strings *s)
{
    double type, confidence, command_id, status;
    napi_value ok_value;
    bool ok = false;
    if (!get_prop_number(env, obj, "type", 0, &type) ||
        !get_prop_number(env, obj, "confidence", -1.0, &confidence) ||
        !get_prop_number(env, obj, "commandId", 0, &command_id) ||
        !get_prop_number(env, obj, "status", 0, &status) ||
        !get_prop_string(env, obj, "eventId", false, &s->event_id, NULL) ||
        !get_prop_string(env, obj, "text", false, &s->text, NULL) ||
        !get_prop_string(env, obj, "body", true, &s->body, &ev->body_len) ||
        !get_prop_string(env, obj, "error", false, &s->error, NULL) ||
        !get_property(env, obj, "ok", &ok_value))
        return false;
    napi_get_value_bool(env, ok_value, &ok);
    if (!(type >= IVRSM_EVENT_DTMF && type <= IVRSM_EVENT_HANGUP) || !(command_id >= 0) ||
        command_id > MAX_SAFE_INTEGER || !(fabs(status) < 1e6)) {
        throw_error(env, "ERR_OUT_OF_RANGE", "ivrsm: event type, commandId or status out of range");
        return false;
    }
    ev->type = (ivrsm_event_type)(int)type;
    ev->event_id = s->event_id;
    ev->text = s->text;
    ev->confidence = confidence;
    ev->command_id = (uint64_t)command_id;
    ev->status = (int)status;
    ev->body = s->body;
    ev->error = s->error;
    ev->ok = ok;
    return true;
}

/* sessionFeed(handle, event) */
static napi_value session_feed(napi_env env, napi_callback_info info)
{
    napi_value argv[2];
    if (!get_args(env, info, 2, argv))
        return NULL;
    session_handle *h = open_session(env, argv[0]);
    if (!h)
        return NULL;
    ivrsm_event ev;
    memset(&ev, 0, sizeof ev);
    event_strings strings = {NULL, NULL, NULL, NULL};
    if (!read_event(env, argv[1], &ev, &strings)) {
        event_strings_free(&strings);
        return NULL;
    }
    enter(env, h, argv[0]);
    int rc = ivrsm_session_feed(h->session, &ev);
    bool callbacks_ok = leave(h);
    static const char *const kinds[] = {"",        "dtmf",   "speech",  "intent", "noinput",
                                        "nomatch", "result", "handoff", "hangup"};
    char detail[300];
    if (ev.event_id)
        snprintf(detail, sizeof detail, "%s event '%s'", kinds[ev.type], ev.event_id);
    else
        snprintf(detail, sizeof detail, "%s event", kinds[ev.type]);
    event_strings_free(&strings);
    if (!callbacks_ok)
        return NULL;
    if (rc != 0) {
        throw_code(env, rc, detail);
        return NULL;
    }
    return undefined(env);
}

static napi_value ask_object(napi_env env, const ivrsm_command *c)
{
    napi_value o, hints, hint;
    NAPI_CALL(env, napi_create_object(env, &o));
    NAPI_CALL(env, napi_create_array_with_length(env, c->ask.hint_count, &hints));
    for (size_t i = 0; i < c->ask.hint_count; i++) {
        if (!make_string(env, c->ask.hints[i], &hint))
            return NULL;
        NAPI_CALL(env, napi_set_element(env, hints, (uint32_t)i, hint));
    }
    if (!set_bool(env, o, "dtmf", c->ask.dtmf) || !set_bool(env, o, "speech", c->ask.speech) ||
        !set_int(env, o, "minDigits", c->ask.min_digits) ||
        !set_int(env, o, "maxDigits", c->ask.max_digits) ||
        !set_string(env, o, "terminators", c->ask.terminators) ||
        !set_int(env, o, "timeoutMs", c->ask.timeout_ms) ||
        !set_int(env, o, "digitTimeoutMs", c->ask.digit_timeout_ms) ||
        !set_bool(env, o, "bargeIn", c->ask.barge_in) || !set_named(env, o, "hints", hints) ||
        !set_string(env, o, "collect", c->ask.collect))
        return NULL;
    return o;
}

static bool http_fields(napi_env env, napi_value o, const ivrsm_command *c)
{
    napi_value headers;
    NAPI_CALL_BOOL(env, napi_create_object(env, &headers));
    for (size_t i = 0; i < c->http.header_count; i++)
        if (c->http.headers[i].name &&
            !set_string(env, headers, c->http.headers[i].name, c->http.headers[i].value))
            return false;
    /* body stays JSON text here: index.js parses it. */
    return set_string(env, o, "endpoint", c->http.endpoint) &&
           set_string(env, o, "method", c->http.method) &&
           set_string(env, o, "path", c->http.path) && set_string(env, o, "query", c->http.query) &&
           set_named(env, o, "headers", headers) && set_string(env, o, "body", c->http.body) &&
           set_string(env, o, "idempotencyKey", c->http.idempotency_key) &&
           set_int(env, o, "timeoutMs", c->http.timeout_ms);
}

/* Copy a command out of the library's struct, valid only until the next call. */
static napi_value command_object(napi_env env, const ivrsm_command *c)
{
    static const char *const names[] = {"unknown", "say", "ask", "http", "handoff", "hangup"};
    unsigned type = (unsigned)c->type <= 5 ? (unsigned)c->type : 0;
    napi_value o, ask;
    NAPI_CALL(env, napi_create_object(env, &o));
    if (!set_string(env, o, "type", names[type]) || !set_int(env, o, "id", (int64_t)c->id) ||
        !set_string(env, o, "state", c->state) || !set_string(env, o, "text", c->text))
        return NULL;
    switch (c->type) {
    case IVRSM_COMMAND_ASK:
        if (!(ask = ask_object(env, c)) || !set_named(env, o, "ask", ask))
            return NULL;
        break;
    case IVRSM_COMMAND_HTTP:
        if (!http_fields(env, o, c))
            return NULL;
        break;
    case IVRSM_COMMAND_HANDOFF:
        if (!set_string(env, o, "queue", c->handoff.queue) ||
            !set_string(env, o, "context", c->handoff.context))
            return NULL;
        break;
    case IVRSM_COMMAND_HANGUP:
        if (!set_string(env, o, "reason", c->hangup.reason))
            return NULL;
        break;
    case IVRSM_COMMAND_SAY:
        break;
    }
    return o;
}

/* sessionCommands(handle) -> [command], every command waiting */
static napi_value session_commands(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    if (!get_args(env, info, 1, argv))
        return NULL;
    session_handle *h = open_session(env, argv[0]);
    if (!h)
        return NULL;
    napi_value out;
    NAPI_CALL(env, napi_create_array(env, &out));
    enter(env, h, argv[0]);
    uint32_t n = 0;
    const ivrsm_command *c;
    napi_value o = out;
    while (o && (c = ivrsm_session_next_command(h->session))) {
        o = command_object(env, c);
        if (o && napi_set_element(env, out, n++, o) != napi_ok) {
            throw_napi_failure(env);
            o = NULL;
        }
    }
    if (!leave(h) || !o)
        return NULL;
    return out;
}

/* sessionStatus(handle) -> {state, ended} */
static napi_value session_status(napi_env env, napi_callback_info info)
{
    napi_value argv[1], out;
    if (!get_args(env, info, 1, argv))
        return NULL;
    session_handle *h = open_session(env, argv[0]);
    if (!h)
        return NULL;
    NAPI_CALL(env, napi_create_object(env, &out));
    if (!set_string(env, out, "state", ivrsm_session_state(h->session)) ||
        !set_bool(env, out, "ended", ivrsm_session_ended(h->session)))
        return NULL;
    return out;
}

/* A string the library allocated for the caller, as a JS string; frees it. */
static napi_value take_string(napi_env env, char *s)
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

/* sessionCtx(handle) -> ctx as JSON text */
static napi_value session_ctx(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    if (!get_args(env, info, 1, argv))
        return NULL;
    session_handle *h = open_session(env, argv[0]);
    return h ? take_string(env, ivrsm_session_ctx_json(h->session)) : NULL;
}

/* sessionSnapshot(handle) -> JSON text */
static napi_value session_snapshot(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    if (!get_args(env, info, 1, argv))
        return NULL;
    session_handle *h = open_session(env, argv[0]);
    if (!h)
        return NULL;
    char *out = NULL;
    int rc = ivrsm_session_snapshot(h->session, &out);
    if (rc != 0) {
        throw_code(env, rc, "snapshot");
        return NULL;
    }
    return take_string(env, out);
}

/* sessionClose(handle): free the C session now (idempotent). */
static napi_value session_close(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    if (!get_args(env, info, 1, argv))
        return NULL;
    session_handle *h = unwrap_handle(env, argv[0], &session_tag, "session");
    if (!h)
        return NULL;
    if (h->busy) {
        throw_error(env, "EBUSY", "ivrsm: a session cannot be closed from its own callback");
        return NULL;
    }
    ivrsm_session_free(h->session);
    h->session = NULL;
    return undefined(env);
}

/* isClosed(handle) -> bool, for machine and session handles alike */
static napi_value is_closed(napi_env env, napi_callback_info info)
{
    napi_value argv[1], out;
    bool is_machine = false;
    if (!get_args(env, info, 1, argv))
        return NULL;
    napi_valuetype t = napi_undefined;
    napi_typeof(env, argv[0], &t);
    if (t == napi_object)
        napi_check_object_type_tag(env, argv[0], &machine_tag, &is_machine);
    bool closed;
    if (is_machine) {
        machine_handle *m = unwrap_handle(env, argv[0], &machine_tag, "machine");
        if (!m)
            return NULL;
        closed = !m->machine;
    } else {
        session_handle *s = unwrap_handle(env, argv[0], &session_tag, "session");
        if (!s)
            return NULL;
        closed = !s->session;
    }
    NAPI_CALL(env, napi_get_boolean(env, closed, &out));
    return out;
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
