/*
 * ivrsm-esl-host: runs a libivrsm machine on FreeSWITCH calls over the
 * inbound event socket. See README.md for the dialplan, the options and
 * the mapping of commands to applications.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_mem.h"
#include "caller_ctx.h"
#include "calls.h"
#include "calls_int.h"
#include "esl_wire.h"
#include "host.h"
#include "store_dir.h"
#include "store_redis.h"

static const char usage_text[] =
    "usage: ivrsm-esl-host --machine FILE --backend URL [options]\n"
    "\n"
    "Runs one session of the machine per FreeSWITCH call that the dialplan parks\n"
    "with the filter variable set, over one inbound event socket connection.\n"
    "\n"
    "  --machine FILE          the machine (YAML or JSON)\n"
    "  --backend URL           the backend of the machine's http commands (http://HOST:PORT)\n"
    "  --esl HOST:PORT         FreeSWITCH's event socket (default 127.0.0.1:8021)\n"
    "  --password TEXT         event socket password (default ClueCon, or $IVRSM_ESL_PASSWORD)\n"
    "  --filter-var NAME=VALUE channel variable marking the calls to take (default "
    "ivrsm_app=synergia)\n"
    "  --handoff-app APP       transfer (default), bridge or callcenter\n"
    "  --handoff-arg TEMPLATE  the application's argument, {queue} replaced by the queue\n"
    "                          (default: transfer '{queue} XML default', bridge 'user/{queue}',\n"
    "                          callcenter '{queue}')\n"
    "  --tts-engine NAME       speech synthesis engine (default flite)\n"
    "  --tts-voice VOICES      its voice (default kal), or one per language:\n"
    "                          fr-FR=VOICE,en-US=VOICE[,DEFAULT]\n"
    "  --asr-language MAP      the recogniser's language for each machine language,\n"
    "                          en-US=en-US,fr-FR=fr-FR (default: the language's own tag)\n"
    "  --asr-engine NAME       speech recognition engine for play_and_detect_speech\n"
    "                          (default none: every question is asked on the keypad)\n"
    "  --asr-grammar NAME      the grammar given to it (default builtin:speech/transcribe)\n"
    "  --snapshot-dir DIR      also keep each call's snapshot in DIR, to resume after a restart\n"
    "  --redis HOST:PORT       keep the snapshots in Redis instead, shared by several hosts\n"
    "                          (password: $IVRSM_REDIS_PASSWORD)\n"
    "  --redis-prefix TEXT     the keys' first part (default ivrsm)\n"
    "  --host-id NAME          this host among those sharing Redis (default HOSTNAME-PID)\n"
    "  --lease-ms N            how long a call stays this host's without renewal (default 5000)\n"
    "  --redis-timeout-ms N    a Redis request unanswered this long drops the connection\n"
    "                          (default 1000, at most half the lease)\n"
    "  --store-ttl SEC         the time to live of every stored key (default 3600)\n"
    "  --store-write-behind MS store snapshots at most every MS ms instead of after every\n"
    "                          event (a crash loses at most the last MS ms of answers)\n"
    "  --log-level LEVEL       error, warn, info (default) or debug\n"
    "  --reconnect-min-ms N    first delay before reconnecting (default 500)\n"
    "  --reconnect-max-ms N    longest delay before reconnecting (default 30000)\n"
    "  --esl-reply-timeout-ms N  a command FreeSWITCH leaves unanswered this long drops the\n"
    "                          connection, as a broken one; a connection quiet this long is\n"
    "                          asked 'api status' (default 30000)\n"
    "  --http-max-in-flight N  backend requests on the wire at once; more wait their turn\n"
    "                          (default 64)\n"
    "  --max-calls N           live calls at most; a park beyond is refused (default 10000)\n"
    "  --ctx-var NAME[=KEY]    copy channel variable NAME into each new call's ctx (as KEY);\n"
    "                          repeatable\n"
    "  --metrics HOST:PORT     serve OpenMetrics text at http://HOST:PORT/metrics (port 0: any)\n"
    "  --drain-timeout SEC     after SIGTERM, how long live calls may take (default 300)\n"
    "  --drain-queue QUEUE     hand the calls still live then to QUEUE (default: leave them,\n"
    "                          with their snapshots, to the next run)\n"
    "  --help                  this text\n"
    "\n"
    "Signals: SIGHUP reloads the machine (new calls get the new version), SIGTERM drains\n"
    "(no new calls; exit 0 once the live ones end), SIGINT stops at once.\n"
    "Exit status: 0 stopped, 2 bad options or machine, 3 FreeSWITCH refused the password.\n";

enum {
    OPT_MACHINE = 1,
    OPT_BACKEND,
    OPT_ESL,
    OPT_PASSWORD,
    OPT_FILTER,
    OPT_HANDOFF_APP,
    OPT_HANDOFF_ARG,
    OPT_TTS_ENGINE,
    OPT_TTS_VOICE,
    OPT_ASR_ENGINE,
    OPT_ASR_GRAMMAR,
    OPT_SNAPSHOT_DIR,
    OPT_LOG_LEVEL,
    OPT_RECONNECT_MIN,
    OPT_RECONNECT_MAX,
    OPT_METRICS,
    OPT_DRAIN_TIMEOUT,
    OPT_DRAIN_QUEUE,
    OPT_ASR_LANGUAGE,
    OPT_REDIS,
    OPT_REDIS_PREFIX,
    OPT_HOST_ID,
    OPT_LEASE_MS,
    OPT_REDIS_TIMEOUT,
    OPT_STORE_TTL,
    OPT_WRITE_BEHIND,
    OPT_ESL_REPLY_TIMEOUT,
    OPT_HTTP_MAX_IN_FLIGHT,
    OPT_MAX_CALLS,
    OPT_CTX_VAR,
    OPT_HELP
};

static const struct option long_options[] = {
    {"machine", required_argument, NULL, OPT_MACHINE},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"esl", required_argument, NULL, OPT_ESL},
    {"password", required_argument, NULL, OPT_PASSWORD},
    {"filter-var", required_argument, NULL, OPT_FILTER},
    {"handoff-app", required_argument, NULL, OPT_HANDOFF_APP},
    {"handoff-arg", required_argument, NULL, OPT_HANDOFF_ARG},
    {"tts-engine", required_argument, NULL, OPT_TTS_ENGINE},
    {"tts-voice", required_argument, NULL, OPT_TTS_VOICE},
    {"asr-engine", required_argument, NULL, OPT_ASR_ENGINE},
    {"asr-grammar", required_argument, NULL, OPT_ASR_GRAMMAR},
    {"snapshot-dir", required_argument, NULL, OPT_SNAPSHOT_DIR},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"reconnect-min-ms", required_argument, NULL, OPT_RECONNECT_MIN},
    {"reconnect-max-ms", required_argument, NULL, OPT_RECONNECT_MAX},
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT},
    {"drain-queue", required_argument, NULL, OPT_DRAIN_QUEUE},
    {"asr-language", required_argument, NULL, OPT_ASR_LANGUAGE},
    {"redis", required_argument, NULL, OPT_REDIS},
    {"redis-prefix", required_argument, NULL, OPT_REDIS_PREFIX},
    {"host-id", required_argument, NULL, OPT_HOST_ID},
    {"lease-ms", required_argument, NULL, OPT_LEASE_MS},
    {"redis-timeout-ms", required_argument, NULL, OPT_REDIS_TIMEOUT},
    {"store-ttl", required_argument, NULL, OPT_STORE_TTL},
    {"store-write-behind", required_argument, NULL, OPT_WRITE_BEHIND},
    {"esl-reply-timeout-ms", required_argument, NULL, OPT_ESL_REPLY_TIMEOUT},
    {"http-max-in-flight", required_argument, NULL, OPT_HTTP_MAX_IN_FLIGHT},
    {"max-calls", required_argument, NULL, OPT_MAX_CALLS},
    {"ctx-var", required_argument, NULL, OPT_CTX_VAR},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0}};

/* What the command line gave, before it is checked. */
typedef struct options {
    const char *machine, *backend, *esl, *password, *filter, *handoff_app, *handoff_arg;
    const char *tts_engine, *tts_voice, *asr_engine, *asr_grammar, *snapshot_dir, *log_level;
    const char *reconnect_min, *reconnect_max;
    const char *metrics, *drain_timeout, *drain_queue, *asr_language;
    const char *redis, *redis_prefix, *host_id, *lease_ms, *redis_timeout, *store_ttl;
    const char *write_behind, *esl_reply_timeout, *http_max_in_flight, *max_calls;
    const char *ctx_vars[CALLER_CTX_MAX_VARS + 1];
    size_t ctx_var_count;
} options;

/* The signal handlers' only way to the loop: flags and a self-pipe (async-signal-safe). */
static host_signals signals;
static int wake_pipe[2] = {-1, -1};

static void wake(void)
{
    if (wake_pipe[1] >= 0) {
        ssize_t n = write(wake_pipe[1], "x", 1);
        (void)n;
    }
}

static void on_signal(int sig)
{
    int saved = errno;
    if (sig == SIGHUP)
        signals.reload = 1;
    else if (sig == SIGTERM)
        signals.drain = 1;
    else
        signals.stop = 1;
    wake();
    errno = saved;
}

static int fail_usage(const char *fmt, const char *value)
{
    fprintf(stderr, "ivrsm-esl-host: ");
    fprintf(stderr, fmt, value);
    fprintf(stderr, "\n(see ivrsm-esl-host --help)\n");
    return 2;
}

static int parse_options(int argc, char **argv, options *o)
{
    int opt;
    const char **slots[] = {NULL,
                            &o->machine,
                            &o->backend,
                            &o->esl,
                            &o->password,
                            &o->filter,
                            &o->handoff_app,
                            &o->handoff_arg,
                            &o->tts_engine,
                            &o->tts_voice,
                            &o->asr_engine,
                            &o->asr_grammar,
                            &o->snapshot_dir,
                            &o->log_level,
                            &o->reconnect_min,
                            &o->reconnect_max,
                            &o->metrics,
                            &o->drain_timeout,
                            &o->drain_queue,
                            &o->asr_language,
                            &o->redis,
                            &o->redis_prefix,
                            &o->host_id,
                            &o->lease_ms,
                            &o->redis_timeout,
                            &o->store_ttl,
                            &o->write_behind,
                            &o->esl_reply_timeout,
                            &o->http_max_in_flight,
                            &o->max_calls};
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (opt == OPT_HELP) {
            fputs(usage_text, stdout);
            return 1;
        }
        if (opt == OPT_CTX_VAR) {
            if (o->ctx_var_count == CALLER_CTX_MAX_VARS)
                return fail_usage("--ctx-var: at most %s", "32");
            o->ctx_vars[o->ctx_var_count++] = optarg;
            continue;
        }
        if (opt == '?' || opt == ':' || opt < OPT_MACHINE || opt > OPT_MAX_CALLS)
            return fail_usage("unknown option or missing value: %s",
                              optind > 0 && optind <= argc ? argv[optind - 1] : "?");
        *slots[opt] = optarg;
    }
    if (optind < argc)
        return fail_usage("unexpected argument '%s'", argv[optind]);
    if (!o->machine)
        return fail_usage("%s", "--machine FILE is required");
    if (!o->backend)
        return fail_usage("%s", "--backend URL is required");
    return 0;
}

/* A number from min to max, or fallback when not given. */
static int parse_range(const char *text, long min, long max, int fallback, int *out)
{
    if (!text) {
        *out = fallback;
        return 0;
    }
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_ms(const char *text, int fallback, int *out)
{
    return parse_range(text, 10, 3600000, fallback, out);
}

/* What the store options give, checked; the store itself is made in start(). */
static store_redis_config redis_cfg;
static char default_host_id[160];

static int configure_store(host *h, const options *o)
{
    host_config *cfg = &h->cfg;
    store_redis_config *rc = &redis_cfg;
    if (parse_range(o->write_behind, 0, 60000, 0, &cfg->write_behind_ms) != 0)
        return fail_usage("--store-write-behind '%s': milliseconds from 0 to 60000",
                          o->write_behind);
    if (!o->redis) {
        const char *only_redis[] = {o->redis_prefix, o->host_id, o->lease_ms, o->redis_timeout,
                                    o->store_ttl};
        for (size_t i = 0; i < 5; i++)
            if (only_redis[i])
                return fail_usage("%s", "--redis-prefix, --host-id, --lease-ms, "
                                        "--redis-timeout-ms and --store-ttl need --redis");
        return 0;
    }
    if (cfg->snapshot_dir)
        return fail_usage("%s", "--snapshot-dir and --redis: one store or the other");
    esl_conn_config probe;
    char why[200], port[16];
    if (esl_conn_parse_address(o->redis, &probe, why, sizeof(why)) != 0)
        return fail_usage("--redis %s", why);
    if (getnameinfo((struct sockaddr *)&probe.addr, probe.addr_len, rc->address,
                    sizeof(rc->address), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return fail_usage("--redis '%s': cannot use this address", o->redis);
    rc->port = atoi(port);
    cfg->redis_address = o->redis;
    rc->prefix = o->redis_prefix ? o->redis_prefix : "ivrsm";
    if (!*rc->prefix || !esl_token_valid(rc->prefix) || strlen(rc->prefix) > 100)
        return fail_usage("--redis-prefix '%s': one word of at most 100 characters", rc->prefix);
    if (o->host_id) {
        rc->host_id = o->host_id;
    } else {
        char name[128] = "host";
        gethostname(name, sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        snprintf(default_host_id, sizeof(default_host_id), "%s-%ld", name, (long)getpid());
        rc->host_id = default_host_id;
    }
    if (!*rc->host_id || !esl_token_valid(rc->host_id) || strlen(rc->host_id) > 100)
        return fail_usage("--host-id '%s': one word of at most 100 characters", rc->host_id);
    int ttl_s = 0;
    if (parse_range(o->lease_ms, 300, 600000, 5000, &rc->lease_ms) != 0)
        return fail_usage("--lease-ms '%s': milliseconds from 300 to 600000", o->lease_ms);
    if (parse_range(o->redis_timeout, 50, 60000, rc->lease_ms / 2 < 1000 ? rc->lease_ms / 2 : 1000,
                    &rc->timeout_ms) != 0 ||
        rc->timeout_ms > rc->lease_ms / 2)
        return fail_usage("--redis-timeout-ms '%s': milliseconds from 50 to half the lease",
                          o->redis_timeout ? o->redis_timeout : "");
    if (parse_range(o->store_ttl, 10, 30 * 86400, 3600, &ttl_s) != 0 ||
        (int64_t)ttl_s * 1000 < 2 * (int64_t)rc->lease_ms)
        return fail_usage("--store-ttl '%s': seconds from 10 to 2592000, at least twice the lease",
                          o->store_ttl ? o->store_ttl : "");
    rc->ttl_ms = ttl_s * 1000;
    rc->password = getenv("IVRSM_REDIS_PASSWORD");
    if (rc->password && (!*rc->password || !esl_line_safe(rc->password)))
        return fail_usage("%s", "$IVRSM_REDIS_PASSWORD must be one line of text");
    rc->reconnect_min_ms = cfg->reconnect_min_ms;
    rc->reconnect_max_ms = cfg->reconnect_max_ms;
    if (!store_redis_available()) {
        char msg[300];
        store_redis_new(rc, &(store_events){0}, &h->log, msg, sizeof(msg));
        return fail_usage("--redis: %s", msg);
    }
    return 0;
}

/* Options into the host's configuration, every value checked. */
static int configure(host *h, const options *o)
{
    host_config *cfg = &h->cfg;
    app_config *apps = &h->apps;
    char err[300];
    cfg->machine_path = o->machine;
    cfg->backend_url = o->backend;
    cfg->esl_address = o->esl ? o->esl : "127.0.0.1:8021";
    cfg->password = o->password ? o->password : getenv("IVRSM_ESL_PASSWORD");
    if (!cfg->password)
        cfg->password = "ClueCon";
    if (!*cfg->password || !esl_line_safe(cfg->password))
        return fail_usage("%s", "--password must be one line of text");
    const char *filter = o->filter ? o->filter : "ivrsm_app=synergia";
    const char *eq = strchr(filter, '=');
    if (!eq || eq == filter || (size_t)(eq - filter) >= sizeof(cfg->filter_var) ||
        strlen(eq + 1) >= sizeof(cfg->filter_value))
        return fail_usage("--filter-var '%s': expected NAME=VALUE", filter);
    snprintf(cfg->filter_var, sizeof(cfg->filter_var), "%.*s", (int)(eq - filter), filter);
    snprintf(cfg->filter_value, sizeof(cfg->filter_value), "%s", eq + 1);
    snprintf(cfg->filter_header, sizeof(cfg->filter_header), "variable_%s", cfg->filter_var);
    if (!esl_token_valid(cfg->filter_var) || !esl_token_valid(cfg->filter_value))
        return fail_usage("--filter-var '%s': name and value without spaces or control characters",
                          filter);
    if (o->handoff_app && app_handoff_parse(o->handoff_app, &apps->handoff) != 0)
        return fail_usage("--handoff-app '%s': expected transfer, bridge or callcenter",
                          o->handoff_app);
    apps->handoff_template =
        o->handoff_arg ? o->handoff_arg : app_handoff_default_template(apps->handoff);
    if (app_check_template(apps->handoff_template, err, sizeof(err)) != 0)
        return fail_usage("%s", err);
    apps->tts_engine = o->tts_engine ? o->tts_engine : "flite";
    apps->tts_voice = "kal";
    /* --tts-voice kal, or fr-FR=bernard,en-US=kal[,default]; the specs are cut in place. */
    static char voice_spec[1024], asr_spec[1024];
    if (o->tts_voice && !strpbrk(o->tts_voice, ",=")) {
        apps->tts_voice = o->tts_voice; /* one voice: checked with the other names below */
    } else if (o->tts_voice) {
        if (strlen(o->tts_voice) >= sizeof(voice_spec))
            return fail_usage("--tts-voice '%s': too long", o->tts_voice);
        snprintf(voice_spec, sizeof(voice_spec), "%s", o->tts_voice);
        if (app_lang_map_parse(voice_spec, &apps->voices, &apps->tts_voice, err, sizeof(err)) != 0)
            return fail_usage("--tts-voice: %s", err);
    }
    if (o->asr_language) {
        if (strlen(o->asr_language) >= sizeof(asr_spec))
            return fail_usage("--asr-language '%s': too long", o->asr_language);
        snprintf(asr_spec, sizeof(asr_spec), "%s", o->asr_language);
        const char *unused = NULL;
        if (app_lang_map_parse(asr_spec, &apps->asr_languages, &unused, err, sizeof(err)) != 0 ||
            unused)
            return fail_usage("--asr-language: %s",
                              unused ? "expected LANGUAGE=VALUE entries only" : err);
    }
    apps->asr_engine = o->asr_engine;
    apps->asr_grammar = o->asr_grammar ? o->asr_grammar : "builtin:speech/transcribe";
    const char *names[] = {apps->tts_engine, apps->tts_voice, apps->asr_grammar,
                           apps->asr_engine ? apps->asr_engine : "none"};
    for (size_t i = 0; i < 4; i++) {
        if (!esl_token_valid(names[i]) || strpbrk(names[i], "|'\"{}$\\"))
            return fail_usage("'%s': engine, voice and grammar names are single plain words",
                              names[i]);
    }
    cfg->snapshot_dir = o->snapshot_dir;
    struct stat st;
    if (cfg->snapshot_dir && (stat(cfg->snapshot_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return fail_usage("--snapshot-dir '%s' is not a directory", cfg->snapshot_dir);
    if (o->log_level && log_level_parse(o->log_level, &h->log.level) != 0)
        return fail_usage("--log-level '%s': expected error, warn, info or debug", o->log_level);
    if (parse_ms(o->reconnect_min, 500, &cfg->reconnect_min_ms) != 0 ||
        parse_ms(o->reconnect_max, 30000, &cfg->reconnect_max_ms) != 0 ||
        cfg->reconnect_max_ms < cfg->reconnect_min_ms)
        return fail_usage("%s", "--reconnect-min-ms / --reconnect-max-ms: milliseconds from 10 "
                                "to 3600000, min <= max");
    if (parse_range(o->esl_reply_timeout, 100, 3600000, 30000, &cfg->esl_reply_timeout_ms) != 0)
        return fail_usage("--esl-reply-timeout-ms '%s': milliseconds from 100 to 3600000",
                          o->esl_reply_timeout);
    if (parse_range(o->max_calls, 1, 1000000, 10000, &cfg->max_calls) != 0)
        return fail_usage("--max-calls '%s': a number from 1 to 1000000", o->max_calls);
    if (parse_range(o->http_max_in_flight, 1, 10000, IVRSM_HTTP_DEFAULT_MAX_IN_FLIGHT,
                    &cfg->http_max_in_flight) != 0)
        return fail_usage("--http-max-in-flight '%s': a number from 1 to 10000",
                          o->http_max_in_flight);
    cfg->ended_linger_ms = 60000;
    cfg->metrics_address = o->metrics;
    char *end;
    long drain = o->drain_timeout ? strtol(o->drain_timeout, &end, 10) : 300;
    if (o->drain_timeout && (!*o->drain_timeout || *end || drain < 0 || drain > 86400))
        return fail_usage("--drain-timeout '%s': seconds from 0 to 86400", o->drain_timeout);
    cfg->drain_timeout_ms = (int64_t)drain * 1000;
    if (o->drain_queue) {
        app_step probe = {0};
        if (app_build_handoff(apps, o->drain_queue, &probe, err, sizeof(err)) != 0)
            return fail_usage("--drain-queue: %s", err);
        app_step_clear(&probe);
    }
    cfg->drain_queue = o->drain_queue;
    for (size_t i = 0; i < o->ctx_var_count; i++) {
        if (caller_ctx_add_var(&h->caller, o->ctx_vars[i], err, sizeof(err)) != 0)
            return fail_usage("%s", err);
    }
    return configure_store(h, o);
}

static void on_ready(void *user)
{
    host *h = user;
    if (h->ever_ready)
        h->metrics.reconnects++;
    h->ever_ready = true;
    calls_on_ready(h);
    calls_find_parked(h);
}

static void on_event(void *user, const esl_msg *ev)
{
    calls_on_event(user, ev);
}

static void on_burst(void *user, const esl_msg *const *msgs, size_t n)
{
    calls_prefetch(user, msgs, n);
}

static void on_lost(void *user)
{
    calls_on_lost(user);
}

/* FreeSWITCH refused the host before it was ever accepted: a wrong password
 * or an ACL does not heal by itself, so the host stops (exit status 3). */
static void on_refused(void *user, const char *why)
{
    host *h = user;
    log_at(&h->log, LOG_ERROR, "esl: %s: stopping (exit status 3)", why);
    h->exit_status = 3;
    h->stop = true;
}

static void on_store_ready(void *user)
{
    snap_resync(user);
}

static void on_store_lost(void *user, const char *uuid)
{
    calls_on_taken(user, uuid);
}

static void on_store_unkeepable(void *user, const char *uuid, const char *why)
{
    (void)why; /* the store logged it */
    calls_on_unkeepable(user, uuid);
}

static void on_store_orphan(void *user, const char *uuid)
{
    snap_adopt_orphan(user, uuid);
}

static void on_store_fence(void *user, bool fenced)
{
    calls_on_fence(user, fenced);
}

static void on_store_put(void *user, const char *uuid, int status, const char *why)
{
    calls_on_put(user, uuid, status, why);
}

/* The store refused the host before it was ever ready (a password, another application's keys):
 * a configuration error, which does not heal by retrying (exit status 3, as for FreeSWITCH). */
static void on_store_refused(void *user, const char *why)
{
    host *h = user;
    log_at(&h->log, LOG_ERROR, "store: %s: stopping (exit status 3)", why);
    h->exit_status = 3;
    h->stop = true;
}

/* The store of --snapshot-dir or --redis, if any. Returns 0 or an exit status. */
static int start_store(host *h)
{
    store_events ev = {.on_ready = on_store_ready,
                       .on_lost = on_store_lost,
                       .on_unkeepable = on_store_unkeepable,
                       .on_orphan = on_store_orphan,
                       .on_fence = on_store_fence,
                       .on_put = on_store_put,
                       .on_refused = on_store_refused,
                       .user = h};
    char why[300] = "out of memory";
    if (h->cfg.snapshot_dir)
        h->store = store_dir_new(h->cfg.snapshot_dir, &ev);
    else if (h->cfg.redis_address) {
        redis_cfg.machine = ivrsm_machine_name(h->machine);
        h->store = store_redis_new(&redis_cfg, &ev, &h->log, why, sizeof(why));
    } else
        return 0;
    if (!h->store) {
        fprintf(stderr, "ivrsm-esl-host: %s\n", why);
        return 2;
    }
    return 0;
}

static int render_metrics(void *user, strbuf *out)
{
    host *h = user;
    esl_hold_stats held;
    esl_conn_hold_stats(h->esl, &held);
    metrics_view v = {.store = h->store,
                      .fenced = h->fenced,
                      .now_ms = host_monotonic_ms(),
                      .calls_active = h->calls_active,
                      .connected = esl_conn_ready(h->esl),
                      .commands_held = held.held,
                      .command_hold_seconds = (double)held.waited_us / 1e6,
                      .command_hold_max_seconds = (double)held.max_us / 1e6,
                      .draining = h->draining,
                      .machine_name = ivrsm_machine_name(h->machine),
                      .machine_version = ivrsm_machine_version(h->machine)};
    return metrics_render(&h->metrics, &v, out);
}

/* The machine, the adapter and the connection. Returns 0 or an exit status. */
static int start(host *h)
{
    ivrsm_error err = {0};
    if (ivrsm_machine_load_file(h->cfg.machine_path, IVRSM_FORMAT_AUTO, &h->machine, &err) != 0) {
        fprintf(stderr, "ivrsm-esl-host: %s:%d:%d: %s\n",
                err.file[0] ? err.file : h->cfg.machine_path, err.line, err.column, err.message);
        return 2;
    }
    ivrsm_http_options ho = {.size = sizeof(ivrsm_http_options),
                             .base_url = h->cfg.backend_url,
                             .socket_hook = host_http_socket_hook,
                             .timer_hook = host_http_timer_hook,
                             .loop_user = h,
                             .max_in_flight = (size_t)h->cfg.http_max_in_flight};
    int rc = ivrsm_http_new(&ho, &h->http);
    if (rc != 0) {
        fprintf(stderr, "ivrsm-esl-host: --backend '%s': %s (expected http://HOST:PORT)\n",
                h->cfg.backend_url, ivrsm_strerror(rc));
        return 2;
    }
    esl_conn_config ec = {.password = h->cfg.password,
                          .filter_header = h->cfg.filter_header,
                          .filter_value = h->cfg.filter_value,
                          .reconnect_min_ms = h->cfg.reconnect_min_ms,
                          .reconnect_max_ms = h->cfg.reconnect_max_ms,
                          .handshake_timeout_ms = 10000,
                          .reply_timeout_ms = h->cfg.esl_reply_timeout_ms};
    char why[300];
    if (esl_conn_parse_address(h->cfg.esl_address, &ec, why, sizeof(why)) != 0) {
        fprintf(stderr, "ivrsm-esl-host: --esl %s\n", why);
        return 2;
    }
    if (h->cfg.metrics_address) {
        h->metrics_server =
            metrics_server_new(h->cfg.metrics_address, render_metrics, h, why, sizeof(why));
        if (!h->metrics_server) {
            fprintf(stderr, "ivrsm-esl-host: %s\n", why);
            return 2;
        }
    }
    if ((rc = start_store(h)) != 0)
        return rc;
    esl_conn_callbacks cb = {.on_ready = on_ready,
                             .on_event = on_event,
                             .on_burst = on_burst,
                             .on_lost = on_lost,
                             .on_refused = on_refused,
                             .user = h};
    h->esl = esl_conn_new(&ec, &cb, &h->log);
    if (!h->esl) {
        fprintf(stderr, "ivrsm-esl-host: out of memory\n");
        return 1;
    }
    return 0;
}

static int install_signals(void)
{
    if (pipe(wake_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK);
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void stop(host *h)
{
    size_t live = calls_live(h);
    if (h->esl) {
        log_at(&h->log, LOG_INFO, "stopping: %zu live call%s%s", live, live == 1 ? "" : "s",
               !live || !h->store    ? ""
               : h->cfg.snapshot_dir ? " (their snapshots stay for the next run)"
                                     : " (released: another host takes them over)");
        esl_conn_shutdown(h->esl);
    }
    if (h->store) {
        /* Another host may take the live calls at once; what is on its way reaches Redis. */
        calls_release_all(h);
        h->store->ops->flush(h->store, 1000);
    }
    calls_free_all(h);
    /* The calls are gone: cancelled transfers find their tickets orphaned. */
    ivrsm_http_cancel_all(h->http);
    ivrsm_http_free(h->http);
    if (h->store)
        h->store->ops->free(h->store); /* after the calls: failed requests find them gone */
    esl_conn_free(h->esl);
    metrics_server_free(h->metrics_server);
    metrics_free(&h->metrics);
    free(h->watches);
    free(h->watch_index);
    ivrsm_machine_unref(h->machine);
}

int main(int argc, char **argv)
{
    /* Before jansson allocates anything: a stored snapshot that could not be read for want of
     * memory is not called broken (snapdoc.c). */
    json_mem_watch();
    options o = {0};
    host h;
    memset(&h, 0, sizeof(h));
    h.log.level = LOG_INFO;
    h.log.out = stderr;
    h.http_timer_at = -1;
    h.requests_due_at = -1;
    h.retry_sends_at = -1;
    h.signals = &signals;
    int rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    if ((rc = configure(&h, &o)) != 0)
        return rc;
    if ((rc = start(&h)) != 0 || install_signals() != 0) {
        if (rc == 0)
            fprintf(stderr, "ivrsm-esl-host: cannot create the signal pipe: %s\n", strerror(errno));
        stop(&h);
        return rc ? rc : 1;
    }
    log_at(&h.log, LOG_INFO, "ivrsm-esl-host: machine %s %s, backend %s, FreeSWITCH %s",
           ivrsm_machine_name(h.machine), ivrsm_machine_version(h.machine), h.cfg.backend_url,
           h.cfg.esl_address);
    if (h.metrics_server)
        log_at(&h.log, LOG_INFO, "metrics on http://%s/metrics",
               metrics_server_address(h.metrics_server));
    if (h.store)
        calls_load_saved(&h);
    host_run(&h, wake_pipe[0]);
    stop(&h);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    return h.exit_status;
}
