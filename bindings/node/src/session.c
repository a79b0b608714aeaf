/*
 * Sessions of the Node addon: creation and restore with their callbacks,
 * events in, commands out (copied at once out of the library's structs).
 *
 * Callbacks: a session's clock and trace functions are stored as properties
 * of its handle object, never in napi_refs, so a callback that captures the
 * session does not keep it alive forever. The library only calls them from
 * within start()/feed() (it is synchronous), where the handle object is one
 * of the arguments, so the thunks reach them through the current call.
 */
#include "addon.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * The time the session is given when the clock failed: one the library refuses (outside
 * IVRSM_CLOCK_MIN_MS..IVRSM_CLOCK_MAX_MS), so that the start or the event is not done at all,
 * the session left as it was, and the callback's exception is thrown instead.
 */
#define CLOCK_REFUSED INT64_MIN

static int64_t clock_thunk(void *user)
{
    session_handle *h = user;
    if (!h->env || h->failed)
        return CLOCK_REFUSED;
    napi_handle_scope scope;
    if (napi_open_handle_scope(h->env, &scope) != napi_ok) {
        callback_failed(h, "ivrsm: cannot call the clock");
        return CLOCK_REFUSED;
    }
    int64_t ms = CLOCK_REFUSED;
    napi_value result;
    double value;
    if (call_callback(h, "clock", 0, NULL, &result)) {
        if (napi_get_value_double(h->env, result, &value) != napi_ok || !isfinite(value))
            callback_failed(h, "ivrsm: the clock must return milliseconds since the epoch");
        else if (value < (double)IVRSM_CLOCK_MIN_MS || value > (double)IVRSM_CLOCK_MAX_MS)
            callback_failed(h, "ivrsm: the clock returned a time outside the years 1 to 9999");
        else
            ms = (int64_t)value;
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
napi_value session_new(napi_env env, napi_callback_info info)
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
napi_value session_restore(napi_env env, napi_callback_info info)
{
    napi_value argv[3];
    if (!get_args(env, info, 3, argv))
        return NULL;
    ivrsm_machine *m = open_machine(env, argv[0]);
    if (!m)
        return NULL;
    /* A string, or a Buffer's bytes as they are (Python hands the library bytes too): a
     * snapshot read back from a store need not be decoded first, and bytes that are not UTF-8
     * are the library's to refuse (IVRSM_ESNAPSHOT). */
    char *snapshot;
    size_t snapshot_len;
    if (!get_text(env, argv[1], "snapshot", false, &snapshot, &snapshot_len))
        return NULL;
    if (strlen(snapshot) != snapshot_len) {
        free(snapshot);
        throw_error(env, "ERR_INVALID_ARG_VALUE", "ivrsm: snapshot contains a NUL character");
        return NULL;
    }
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
napi_value session_start(napi_env env, napi_callback_info info)
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
    napi_value ok_value, body;
    bool ok = false;
    if (!get_prop_number(env, obj, "type", 0, &type) ||
        !get_prop_number(env, obj, "confidence", -1.0, &confidence) ||
        !get_prop_number(env, obj, "commandId", 0, &command_id) ||
        !get_prop_number(env, obj, "status", 0, &status) ||
        !get_prop_string(env, obj, "eventId", false, &s->event_id, NULL) ||
        !get_prop_string(env, obj, "text", false, &s->text, NULL) ||
        !get_property(env, obj, "body", &body) ||
        !get_text(env, body, "body", true, &s->body, &ev->body_len) ||
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
napi_value session_feed(napi_env env, napi_callback_info info)
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

/*
 * sessionCommands(handle) -> [JSON text], every command waiting, in the
 * library's encoding (ivrsm_command_to_json): the one the C API, this addon
 * and the Python package share; index.js parses them.
 *
 * When memory runs out copying a command, the commands copied before it are
 * returned and it waits for the next call (h->unencoded); with none copied,
 * ENOMEM is thrown. Nothing is lost either way.
 */
napi_value session_commands(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    if (!get_args(env, info, 1, argv))
        return NULL;
    session_handle *peek = unwrap_handle(env, argv[0], &session_tag, "session");
    if (!peek)
        return NULL;
    const ivrsm_command *kept = peek->unencoded;
    session_handle *h = open_session(env, argv[0]);
    if (!h)
        return NULL;
    napi_value out;
    NAPI_CALL(env, napi_create_array(env, &out));
    enter(env, h, argv[0]);
    uint32_t n = 0;
    const ivrsm_command *c;
    bool ok = true;
    while (ok && (c = kept ? kept : ivrsm_session_next_command(h->session))) {
        kept = NULL;
        char *json = ivrsm_command_to_json(c);
        napi_value o;
        if (!json) {
            h->unencoded = c;
            break;
        }
        ok = napi_create_string_utf8(env, json, NAPI_AUTO_LENGTH, &o) == napi_ok &&
             napi_set_element(env, out, n++, o) == napi_ok;
        ivrsm_free(json);
        if (!ok)
            throw_napi_failure(env);
    }
    if (!leave(h) || !ok)
        return NULL;
    if (h->unencoded && n == 0) {
        throw_code(env, IVRSM_ENOMEM, "commands");
        return NULL;
    }
    return out;
}

/* sessionStatus(handle) -> {state, ended, inputIsSecret, inputCollect} */
napi_value session_status(napi_env env, napi_callback_info info)
{
    napi_value argv[1], out;
    if (!get_args(env, info, 1, argv))
        return NULL;
    session_handle *h = open_session(env, argv[0]);
    if (!h)
        return NULL;
    NAPI_CALL(env, napi_create_object(env, &out));
    if (!set_string(env, out, "state", ivrsm_session_state(h->session)) ||
        !set_bool(env, out, "ended", ivrsm_session_ended(h->session)) ||
        !set_bool(env, out, "inputIsSecret", ivrsm_session_input_is_secret(h->session)) ||
        !set_string(env, out, "inputCollect", ivrsm_session_input_collect(h->session)))
        return NULL;
    return out;
}

/* sessionCtx(handle) -> ctx as JSON text */
napi_value session_ctx(napi_env env, napi_callback_info info)
{
    napi_value argv[1];
    if (!get_args(env, info, 1, argv))
        return NULL;
    session_handle *h = open_session(env, argv[0]);
    return h ? take_string(env, ivrsm_session_ctx_json(h->session)) : NULL;
}

/* sessionSnapshot(handle) -> JSON text */
napi_value session_snapshot(napi_env env, napi_callback_info info)
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
napi_value session_close(napi_env env, napi_callback_info info)
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
