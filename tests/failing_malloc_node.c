/*
 * failing_malloc's controls for Node (tests/failing_malloc.c, preloaded): Node
 * has no ctypes, so this small addon, built with the tests, finds the controls
 * in the process (dlsym) and exposes them to bindings/node/test/oom.test.js:
 *
 *   const fm = require(process.env.IVRSM_FAILING_MALLOC_NODE);
 *   fm.available      // false when failing_malloc is not preloaded
 *   fm.arm(n); ...; fm.disarm() -> refused; fm.counted(); fm.track(); fm.live()
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <node_api.h>
#include <stdbool.h>
#include <string.h>

static void (*arm_fn)(long);
static long (*disarm_fn)(void);
static long (*counted_fn)(void);
static void (*track_fn)(void);
static long (*live_fn)(void);

#define LOOKUP(fn, name)                                                                       \
    do {                                                                                       \
        void *found_ = dlsym(RTLD_DEFAULT, name);                                              \
        memcpy(&(fn), &found_, sizeof(fn));                                                    \
    } while (0)

static napi_value number(napi_env env, long n)
{
    napi_value v;
    napi_create_int64(env, n, &v);
    return v;
}

static napi_value js_arm(napi_env env, napi_callback_info info)
{
    size_t argc = 1;
    napi_value argv[1];
    int64_t n = -1;
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    if (argc < 1 || napi_get_value_int64(env, argv[0], &n) != napi_ok) {
        napi_throw_type_error(env, NULL, "arm(n): n must be a number");
        return NULL;
    }
    arm_fn((long)n);
    return NULL;
}

static napi_value js_disarm(napi_env env, napi_callback_info info)
{
    (void)info;
    return number(env, disarm_fn());
}

static napi_value js_counted(napi_env env, napi_callback_info info)
{
    (void)info;
    return number(env, counted_fn());
}

static napi_value js_track(napi_env env, napi_callback_info info)
{
    (void)env;
    (void)info;
    track_fn();
    return NULL;
}

static napi_value js_live(napi_env env, napi_callback_info info)
{
    (void)info;
    return number(env, live_fn());
}

NAPI_MODULE_INIT()
{
    LOOKUP(arm_fn, "failing_malloc_arm");
    LOOKUP(disarm_fn, "failing_malloc_disarm");
    LOOKUP(counted_fn, "failing_malloc_counted");
    LOOKUP(track_fn, "failing_malloc_track");
    LOOKUP(live_fn, "failing_malloc_live");
    bool available = arm_fn && disarm_fn && counted_fn && track_fn && live_fn;
    napi_value flag;
    napi_get_boolean(env, available, &flag);
    napi_set_named_property(env, exports, "available", flag);
    if (!available)
        return exports;
    napi_property_descriptor d[] = {
        {"arm", NULL, js_arm, NULL, NULL, NULL, napi_default, NULL},
        {"disarm", NULL, js_disarm, NULL, NULL, NULL, napi_default, NULL},
        {"counted", NULL, js_counted, NULL, NULL, NULL, napi_default, NULL},
        {"track", NULL, js_track, NULL, NULL, NULL, napi_default, NULL},
        {"live", NULL, js_live, NULL, NULL, NULL, napi_default, NULL},
    };
    napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d);
    return exports;
}
