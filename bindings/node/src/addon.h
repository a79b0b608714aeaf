/*
 * Shared by the files of the Node addon: the handle types, Node-API helpers
 * that throw JS errors, and the native methods that addon.c exports.
 *
 * Conventions: a function returning bool returns false, and a function
 * returning napi_value returns NULL, only with a JS exception pending.
 * The first exception thrown during a call wins; later ones are dropped.
 */
#ifndef IVRSM_NODE_ADDON_H
#define IVRSM_NODE_ADDON_H

#define NAPI_VERSION 8
#include <node_api.h>

#include <ivrsm/ivrsm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest integer a JS number holds exactly (2^53 - 1). */
#define MAX_SAFE_INTEGER 9007199254740991.0

/* Run a napi_* call; on failure throw what Node says and return NULL / false. */
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

/* ---------------------------------------------------------------------------
 * Handles (handles.c)
 * ------------------------------------------------------------------------- */

/* Distinguish machine handles from session handles (and from any other
 * object) before napi_unwrap trusts the pointer inside. */
extern const napi_type_tag machine_tag;
extern const napi_type_tag session_tag;

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
    /* A command pulled from the session that memory ran out copying: the next
     * sessionCommands() gives it first. Any other call on the session ends its life
     * (ivrsm_session_next_command()), and forgets it. */
    const ivrsm_command *unencoded;
} session_handle;

/* Finalizers: free the C object (if close() did not) and the struct. */
void machine_finalize(napi_env env, void *data, void *hint);
void session_finalize(napi_env env, void *data, void *hint);

/* A new JS handle object owning `data`, freed by `finalize` when collected
 * (at once, with an exception pending, when the handle cannot be made). */
napi_value new_handle(napi_env env, const napi_type_tag *tag, void *data, napi_finalize finalize);

/* The struct behind handle `v`, after checking that it carries `tag`;
 * `what` names the expected kind in the TypeError otherwise. */
void *unwrap_handle(napi_env env, napi_value v, const napi_type_tag *tag, const char *what);

/* The machine of handle `v`; throws ECLOSED once it is closed. */
ivrsm_machine *open_machine(napi_env env, napi_value v);

/* The session handle `v`, open and not busy in a callback (ECLOSED, EBUSY). */
session_handle *open_session(napi_env env, napi_value v);

/* ---------------------------------------------------------------------------
 * Errors and values (util.c)
 * ------------------------------------------------------------------------- */

/* Throw Error / TypeError with `code` unless an exception is pending. */
void throw_error(napi_env env, const char *code, const char *message);
void throw_type_error(napi_env env, const char *message);
/* Throw what the last failed napi_* call reports. */
void throw_napi_failure(napi_env env);
/* Throw an Error for library code `rc`: .code its name ("ESTALE"), .errno
 * the number, and `message`. */
void throw_library_error(napi_env env, int rc, const char *message);
/* The same with the message "DETAIL: what the code means". */
void throw_code(napi_env env, int rc, const char *detail);
/* Throw the Error of a failed load: "FILE:LINE:COLUMN: MESSAGE", and
 * .file .line .column .path .reason. */
void throw_load_error(napi_env env, int rc, const ivrsm_error *err);

/* Set property `key` of `obj`; C strings NULL become null. */
bool set_named(napi_env env, napi_value obj, const char *key, napi_value value);
bool set_int(napi_env env, napi_value obj, const char *key, int64_t value);
bool set_bool(napi_env env, napi_value obj, const char *key, bool value);
bool set_string(napi_env env, napi_value obj, const char *key, const char *value);
/* A C string as a JS string, NULL as null. */
bool make_string(napi_env env, const char *s, napi_value *out);
/* A string the library allocated for the caller, as a JS string; frees it
 * (NULL means the library ran out of memory: throws ENOMEM). */
napi_value take_string(napi_env env, char *s);
napi_value undefined(napi_env env);

/* Exactly `n` arguments into argv (missing ones are undefined). */
bool get_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv);
/* True for undefined and null. */
bool is_nullish(napi_env env, napi_value v);
/*
 * A JS string as a new NUL-terminated UTF-8 copy (free() it), and its length
 * in len_out (may be NULL). `nullable`: undefined and null give NULL. Unless
 * `allow_nul`, a string holding a NUL character is refused, since C would
 * silently cut it there. `what` names the argument in errors.
 */
bool get_string(napi_env env, napi_value v, const char *what, bool nullable, bool allow_nul,
                char **out, size_t *len_out);
bool get_property(napi_env env, napi_value obj, const char *key, napi_value *out);
/* A string, or a Buffer's bytes as they are (documents, bodies): see util.c. */
bool get_text(napi_env env, napi_value v, const char *what, bool nullable, char **out,
              size_t *len_out);
/* get_string() of property `key`, undefined and null giving NULL. */
bool get_prop_string(napi_env env, napi_value obj, const char *key, bool allow_nul, char **out,
                     size_t *len_out);
/* A number property; `fallback` when undefined or null. */
bool get_prop_number(napi_env env, napi_value obj, const char *key, double fallback, double *out);
/* An int32 argument within lo..hi. */
bool get_int_arg(napi_env env, napi_value v, const char *what, int lo, int hi, int *out);
/* An ivrsm_format argument (0 auto, 1 YAML, 2 JSON). */
bool get_format(napi_env env, napi_value v, ivrsm_format *out);

/* ---------------------------------------------------------------------------
 * Native methods (argument lists as index.js calls them)
 * ------------------------------------------------------------------------- */

/* handles.c: isClosed(handle) -> bool, for machine and session handles alike */
napi_value is_closed(napi_env env, napi_callback_info info);

/* session.c */
/* sessionNew(machine, {callId, sessionId, ctxJson, clock, trace, limits}) -> handle */
napi_value session_new(napi_env env, napi_callback_info info);
/* sessionRestore(machine, snapshot, {clock, trace, limits}) -> handle */
napi_value session_restore(napi_env env, napi_callback_info info);
/* sessionStart(handle) */
napi_value session_start(napi_env env, napi_callback_info info);
/* sessionFeed(handle, {type, eventId, text, confidence, commandId, status, body, error, ok}) */
napi_value session_feed(napi_env env, napi_callback_info info);
/* sessionCommands(handle) -> [command], every command waiting */
napi_value session_commands(napi_env env, napi_callback_info info);
/* sessionStatus(handle) -> {state, ended} */
napi_value session_status(napi_env env, napi_callback_info info);
/* sessionCtx(handle) -> ctx as JSON text */
napi_value session_ctx(napi_env env, napi_callback_info info);
/* sessionSnapshot(handle) -> JSON text */
napi_value session_snapshot(napi_env env, napi_callback_info info);
/* sessionClose(handle): free the C session now (idempotent) */
napi_value session_close(napi_env env, napi_callback_info info);

#endif /* IVRSM_NODE_ADDON_H */
