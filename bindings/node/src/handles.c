/*
 * JS handles of C objects: a plain object with a type tag and a napi_wrap'ed
 * struct, so the garbage collector frees the C object (finalizer) unless
 * close() did it first. See addon.h.
 */
#include "addon.h"

#include <stdio.h>
#include <stdlib.h>

const napi_type_tag machine_tag = {0x6976727336d61636ULL, 0x68696e6568616e64ULL};
const napi_type_tag session_tag = {0x697672736d736573ULL, 0x73696f6e68616e64ULL};

void machine_finalize(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    machine_handle *h = data;
    ivrsm_machine_unref(h->machine);
    free(h);
}

void session_finalize(napi_env env, void *data, void *hint)
{
    (void)env;
    (void)hint;
    session_handle *h = data;
    ivrsm_session_free(h->session);
    free(h);
}

/* A new JS handle object owning `data` (freed by `finalize` when collected). */
napi_value new_handle(napi_env env, const napi_type_tag *tag, void *data, napi_finalize finalize)
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
void *unwrap_handle(napi_env env, napi_value v, const napi_type_tag *tag, const char *what)
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

ivrsm_machine *open_machine(napi_env env, napi_value v)
{
    machine_handle *h = unwrap_handle(env, v, &machine_tag, "machine");
    if (h && !h->machine)
        throw_error(env, "ECLOSED", "ivrsm: the machine is closed");
    return h ? h->machine : NULL;
}

session_handle *open_session(napi_env env, napi_value v)
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
    h->unencoded = NULL; /* sessionCommands() takes it before calling here */
    return h;
}

/* isClosed(handle) -> bool, for machine and session handles alike */
napi_value is_closed(napi_env env, napi_callback_info info)
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
