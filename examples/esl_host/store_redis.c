/*
 * The Redis store: hiredis's asynchronous API driven by the host's poll
 * loop (its addRead/delRead/addWrite/delWrite/cleanup hooks only set what
 * the loop watches), no thread and no blocking call.
 *
 * Keys, under BASE = PREFIX:MACHINE: (the machine's name, bytes other than
 * letters, digits, '.', '_' and '-' as '_'), each with a time to live:
 *
 *   BASE call:UUID    the call's document (PX ttl, refreshed by every put
 *                     and every lease renewal)
 *   BASE owner:UUID   the host that owns the call (SET NX PX lease)
 *   BASE leases       sorted set: UUID -> when its lease ends (Redis's
 *                     clock, ms); a released call scores 0
 *   BASE host:ID      set: the calls host ID owns (list_owned)
 *   BASE gen:UUID     how many times the call was claimed anew: a host holds
 *                     the number its claim returned, and takes back an owner
 *                     key that is gone (Redis restarted empty, or its lease
 *                     ran out unnoticed) only if the number is still its own;
 *                     kept after the call ends once another host took it
 *                     over, so that a host cut off meanwhile finds it gone
 *
 * Every change is one Lua script, so it is atomic and checks the owner
 * first: a host writes a call's document only while its owner key names
 * this host. The scripts build their keys from BASE, so one Redis (or a primary
 * with replicas) serves them, not a Redis Cluster.
 *
 * Leases: all the host's calls are renewed by one script every third of
 * the lease. The host's leases are good until the last renewal that was
 * answered was sent, plus nine tenths of the lease; past that the store
 * says fenced (the host sends nothing for any call: another host may be
 * taking them over) until a renewal is answered again. A renewal that
 * finds another owner reports the call lost. Every quarter of the lease
 * the host looks for orphans, calls whose lease ended with nobody
 * renewing it (their host died, or was cut from Redis for a whole lease),
 * and offers them to the host, which claims them: SET NX lets one host win.
 *
 * Redis's refusals (its error replies, the exact texts in redis/redis):
 *   - NOAUTH (server.c processCommand, shared.noautherr), WRONGPASS and "AUTH <password>
 *     called without any password configured" (acl.c authCommand): the password is wrong,
 *     missing or not wanted. Before the store was ever ready that is a configuration error
 *     (on_refused: the host stops, exit status 3); later it is retried like a lost connection.
 *   - OOM (server.c processCommand, script.c scriptVerifyOOM: "OOM command not allowed when
 *     used memory > 'maxmemory'"), under maxmemory with noeviction: the scripts that only
 *     renew, release or remove carry the allow-oom flag (script.c scriptPrepareForRun), so
 *     the leases live on and the calls go on; a put is refused (on_put: the host keeps the
 *     call in memory and puts it again), a claim is tried again a few times, then refused.
 *   - WRONGTYPE (another application's data at a key): the shared keys (leases, the host's
 *     set) are checked with TYPE on every connection (before ever ready: on_refused); at a
 *     call's keys, its claim is refused and its document unreadable.
 * Flags need Redis 7 ("#!lua flags=..."): a Redis that refuses them gets the scripts without.
 *
 * A request unanswered for timeout_ms (Redis paused, a partition) drops
 * the connection; every request on it fails, and connecting again starts
 * after a delay that doubles from reconnect_min_ms to reconnect_max_ms.
 * While away, puts fail (the host stores its calls again once the store is
 * back: on_ready), claims wait for the connection, and the time away is
 * counted.
 */
#include "store_redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef IVRSM_HAVE_HIREDIS

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

int64_t host_monotonic_ms(void);

/* The scripts, loaded on every connection (SCRIPT LOAD) and run by EVALSHA. */
enum { SC_CLAIM, SC_PUT, SC_REMOVE, SC_RELEASE, SC_RENEW, SC_SCAN, SC_COUNT };

/* The scripts that write nothing new (renew, release, remove) run even when Redis is at its
 * maxmemory (they keep or shrink what is there); claims and puts are refused then. */
#define ALLOW_OOM "#!lua flags=allow-oom\n"
static const bool script_allow_oom[SC_COUNT] = {
    [SC_REMOVE] = true, [SC_RELEASE] = true, [SC_RENEW] = true};

/* A claim Redis refuses is asked again after 250, 500 and 1000 ms, then given up. */
#define CLAIM_TRIES 4
#define CLAIM_RETRY_MS 250

#define LUA_NOW                                                                                    \
    "local t = redis.call('TIME') "                                                                \
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) "

static const char *const scripts[SC_COUNT] = {
    /* claim: KEYS owner, leases, host set, gen; ARGV host, lease, ttl, uuid. The call's
     * generation (1 or more) when it is ours, 0 when it is another host's. */
    LUA_NOW "local g "
            "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then "
            "  g = redis.call('INCR', KEYS[4]) "
            "else "
            "  if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
            "  redis.call('PEXPIRE', KEYS[1], ARGV[2]) "
            "  g = tonumber(redis.call('GET', KEYS[4])) or redis.call('INCR', KEYS[4]) "
            "end "
            "redis.call('PEXPIRE', KEYS[4], ARGV[3]) "
            "redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[4]) "
            "redis.call('PEXPIRE', KEYS[2], ARGV[3]) "
            "redis.call('SADD', KEYS[3], ARGV[4]) "
            "redis.call('PEXPIRE', KEYS[3], ARGV[3]) "
            "return g",
    /* put: KEYS call, owner; ARGV host, document, ttl. 1 stored, 0 not this host's: another
     * host owns it, or its lease ended with nobody renewing it (this host stood still for a
     * lease, or was cut off): a host whose lease ended writes nothing more; the call is an
     * orphan again, taken over from its last document by whichever host claims it. */
    "if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end "
    "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) "
    "return 1",
    /* remove: KEYS call, owner, leases, host set, gen; ARGV host, uuid, ttl. A call taken
     * over (generation 2 or more) keeps its generation: the host it was taken from may come
     * back and must not take the call again. 1 removed, 0 another host's, 2 removed but for
     * another application's data at the owner or generation key, left as it is. Those two
     * are read with redis.pcall: a call hung up because such data sits there (its claim or
     * its renewal refused) is removed all the same, where redis.call failed the whole script
     * with WRONGTYPE (t_string.c getGenericCommand, checkType) and left the call's document,
     * lease and place in the host's set behind, with an error logged at each removal. */
    "local cur = redis.pcall('GET', KEYS[2]) "
    "local odd = type(cur) == 'table' "
    "if not odd and cur and cur ~= ARGV[1] then return 0 end "
    "if redis.call('TYPE', KEYS[1]).ok == 'string' then redis.call('DEL', KEYS[1]) end "
    "if not odd then redis.call('DEL', KEYS[2]) end "
    "local g = redis.pcall('GET', KEYS[5]) "
    "if type(g) == 'table' then "
    "  odd = true "
    "elseif (tonumber(g) or 0) > 1 then "
    "  redis.call('PEXPIRE', KEYS[5], ARGV[3]) "
    "else "
    "  redis.call('DEL', KEYS[5]) "
    "end "
    "redis.call('ZREM', KEYS[3], ARGV[2]) "
    "redis.call('SREM', KEYS[4], ARGV[2]) "
    "if odd then return 2 end "
    "return 1",
    /* release: KEYS owner, leases, host set; ARGV host, uuid. The lease ends now. 2 when
     * another application's data sits at the owner key (read with redis.pcall, as in
     * remove): no lease to end, the call only leaves the leases and the host's set; it is
     * no orphan for the other hosts, who could not claim it either. */
    "local cur = redis.pcall('GET', KEYS[1]) "
    "if type(cur) == 'table' then "
    "  redis.call('ZREM', KEYS[2], ARGV[2]) "
    "  redis.call('SREM', KEYS[3], ARGV[2]) "
    "  return 2 "
    "end "
    "if cur ~= ARGV[1] then return 0 end "
    "redis.call('DEL', KEYS[1]) "
    "redis.call('ZADD', KEYS[2], 0, ARGV[2]) "
    "redis.call('SREM', KEYS[3], ARGV[2]) "
    "return 1",
    /* renew: KEYS leases, host set; ARGV host, lease, ttl, base, then each call and the
     * generation its claim returned. Answers {lost, unkeepable}: the calls another host owns,
     * and those whose owner or generation key holds another application's data. An owner key
     * gone (Redis restarted empty, or the lease ran out with nobody claiming the call) is
     * taken again only while the call's generation is still the one this host claimed (or is
     * gone with the rest). A call's own keys are read with redis.pcall: a WRONGTYPE there
     * concerns that call alone, where redis.call would fail the whole script, and so fence
     * every call of the host (script.c luaRedisPcallCommand returns the error as a table). */
    LUA_NOW "local lost = {} "
            "local odd = {} "
            "for i = 5, #ARGV - 1, 2 do "
            "  local u = ARGV[i] "
            "  local ok = ARGV[4] .. 'owner:' .. u "
            "  local gk = ARGV[4] .. 'gen:' .. u "
            "  local cur = redis.pcall('GET', ok) "
            "  local g = redis.pcall('GET', gk) "
            "  if type(cur) == 'table' or type(g) == 'table' then "
            "    odd[#odd + 1] = u "
            "    redis.call('SREM', KEYS[2], u) "
            "  elseif cur == ARGV[1] or (cur == false and (g == false or g == ARGV[i + 1])) then "
            "    redis.call('SET', ok, ARGV[1], 'PX', ARGV[2]) "
            "    if g == false then redis.call('SET', gk, ARGV[i + 1]) end "
            "    redis.call('PEXPIRE', gk, ARGV[3]) "
            "    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), u) "
            "    redis.call('SADD', KEYS[2], u) "
            "    redis.call('PEXPIRE', ARGV[4] .. 'call:' .. u, ARGV[3]) "
            "  else "
            "    lost[#lost + 1] = u "
            "    redis.call('SREM', KEYS[2], u) "
            "  end "
            "end "
            "redis.call('PEXPIRE', KEYS[1], ARGV[3]) "
            "redis.call('PEXPIRE', KEYS[2], ARGV[3]) "
            "return {lost, odd}",
    /* scan: KEYS leases; ARGV base, limit: calls whose lease ended, with a document. */
    LUA_NOW "local out = {} "
            "for _, u in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, "
            "ARGV[2])) do "
            "  if redis.call('EXISTS', ARGV[1] .. 'owner:' .. u) == 0 then "
            "    if redis.call('EXISTS', ARGV[1] .. 'call:' .. u) == 1 then "
            "      out[#out + 1] = u "
            "    else "
            "      redis.call('ZREM', KEYS[1], u) "
            "    end "
            "  end "
            "end "
            "return out"};

#define SCAN_LIMIT 200

typedef enum req_kind {
    RQ_AUTH,
    RQ_SCRIPT,
    RQ_TYPE,
    RQ_CLAIM,
    RQ_PUT,
    RQ_GET,
    RQ_REMOVE,
    RQ_RELEASE,
    RQ_LIST,
    RQ_RENEW,
    RQ_SCAN
} req_kind;

typedef struct redis_store redis_store;

/* A request on the wire; replies come in order, so the oldest is the list's head. */
typedef struct req {
    redis_store *r;
    req_kind kind;
    int script;
    bool flagged; /* RQ_SCRIPT: sent with its flags (Redis 7) */
    int64_t sent_at;
    bool lost;         /* no reply: the connection went (hiredis calls back with NULL) */
    const char *error; /* Redis's error reply, while its callback runs */
    int tries;         /* RQ_CLAIM: how many times it was refused before */
    char uuid[65];
    union {
        store_claim_fn claim;
        store_done_fn done;
        store_get_fn get;
        store_list_fn list;
    } fn; /* the caller's callback, by kind */
    void *user;
    struct req *prev, *next;
} req;

/* A claim made while away from Redis (sent once connected), or refused (sent again at). */
typedef struct pending_claim {
    char uuid[65];
    store_claim_fn fn;
    void *user;
    int tries;
    int64_t at; /* monotonic ms; 0: as soon as connected */
} pending_claim;

typedef enum { R_IDLE, R_CONNECTING, R_READY } redis_state;

/* A call this host owns, and the generation its claim returned (renewals send it). */
typedef struct owned_call {
    char uuid[65];
    char gen[24];
} owned_call;

struct redis_store {
    store base;
    store_redis_config cfg;
    char prefix[128], machine[128], host_id[128];
    char base_key[300], leases_key[320], host_key[460];
    const logger *log;
    redisAsyncContext *ac;
    redis_state state;
    bool want_read, want_write;
    bool ever_ready;
    int64_t next_attempt, delay_ms;
    char sha[SC_COUNT][48];
    int scripts_left;   /* scripts loaded and shared keys checked before the store is ready */
    bool scripts_plain; /* this Redis refused the scripts' flags (before Redis 7) */
    req *head, *tail;   /* requests on the wire, oldest first */
    /* The calls this host owns, renewed together. */
    owned_call *owned;
    size_t owned_count, owned_cap;
    int64_t next_renew, next_scan;
    bool renew_on_wire, scan_on_wire;
    int64_t leases_good_until; /* monotonic ms; INT64_MAX before the first connection */
    bool fenced;
    pending_claim *claims;
    size_t claim_count, claim_cap;
    bool freeing;
    bool list_wanted;
    store_list_fn list_fn;
    void *list_user;
};

/* ---------------------------------------------------------------------------
 * The owned set
 * ------------------------------------------------------------------------- */

static ssize_t owned_find(const redis_store *r, const char *uuid)
{
    for (size_t i = 0; i < r->owned_count; i++)
        if (!strcmp(r->owned[i].uuid, uuid))
            return (ssize_t)i;
    return -1;
}

static void owned_add(redis_store *r, const char *uuid, long long gen)
{
    ssize_t i = owned_find(r, uuid);
    if (i < 0) {
        if (r->owned_count == r->owned_cap) {
            size_t cap = r->owned_cap ? r->owned_cap * 2 : 64;
            owned_call *p = realloc(r->owned, cap * sizeof(*p));
            if (!p)
                return; /* not renewed: the lease ends and another host takes the call */
            r->owned = p;
            r->owned_cap = cap;
        }
        i = (ssize_t)r->owned_count++;
        snprintf(r->owned[i].uuid, sizeof(r->owned[i].uuid), "%s", uuid);
    }
    snprintf(r->owned[i].gen, sizeof(r->owned[i].gen), "%lld", gen);
}

static void owned_remove(redis_store *r, const char *uuid)
{
    ssize_t i = owned_find(r, uuid);
    if (i >= 0)
        r->owned[i] = r->owned[--r->owned_count];
}

/* ---------------------------------------------------------------------------
 * The connection
 * ------------------------------------------------------------------------- */

static void ev_add_read(void *p)
{
    ((redis_store *)p)->want_read = true;
}
static void ev_del_read(void *p)
{
    ((redis_store *)p)->want_read = false;
}
static void ev_add_write(void *p)
{
    ((redis_store *)p)->want_write = true;
}
static void ev_del_write(void *p)
{
    ((redis_store *)p)->want_write = false;
}
static void ev_cleanup(void *p)
{
    redis_store *r = p;
    r->want_read = r->want_write = false;
}

static void went_away(redis_store *r, const char *why)
{
    bool was_ready = r->state == R_READY;
    r->ac = NULL;
    r->state = R_IDLE;
    r->want_read = r->want_write = false;
    r->renew_on_wire = r->scan_on_wire = false;
    int64_t now = host_monotonic_ms();
    r->next_attempt = now + r->delay_ms;
    if (was_ready) {
        r->base.stats.disconnects++;
        r->base.stats.disconnected_since = now;
        log_at(r->log, LOG_WARN,
               "store: connection to Redis %s:%d lost (%s); reconnecting in %lld ms",
               r->cfg.address, r->cfg.port, why, (long long)r->delay_ms);
    } else {
        log_at(r->log, r->ever_ready ? LOG_DEBUG : LOG_WARN,
               "store: cannot connect to Redis %s:%d (%s); trying again in %lld ms", r->cfg.address,
               r->cfg.port, why, (long long)r->delay_ms);
    }
    r->delay_ms =
        r->delay_ms * 2 > r->cfg.reconnect_max_ms ? r->cfg.reconnect_max_ms : r->delay_ms * 2;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    redis_store *r = ac->data;
    if (status != REDIS_OK)
        went_away(r, ac->errstr[0] ? ac->errstr : "connect failed"); /* hiredis frees ac */
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    redis_store *r = ac->data;
    (void)status;
    if (r->ac == ac)
        went_away(r, ac->errstr[0] ? ac->errstr : "closed");
}

/* Drop the connection ourselves (a request timed out); every request on it fails. */
static void drop(redis_store *r, const char *why)
{
    redisAsyncContext *ac = r->ac;
    if (!ac)
        return;
    /* went_away first: the failed requests' callbacks see the store away. */
    went_away(r, why);
    ac->onDisconnect = NULL;
    ac->onConnect = NULL;
    redisAsyncFree(ac);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata);

/* Send a request; 0, or -1 (q freed). */
static int send_argv(redis_store *r, req *q, int argc, const char **argv, const size_t *lens)
{
    if (!q)
        return -1;
    if (!r->ac || redisAsyncCommandArgv(r->ac, on_reply, q, argc, argv, lens) != REDIS_OK) {
        free(q);
        return -1;
    }
    q->r = r;
    q->sent_at = host_monotonic_ms();
    q->prev = r->tail;
    q->next = NULL;
    if (r->tail)
        r->tail->next = q;
    else
        r->head = q;
    r->tail = q;
    r->base.stats.ops++;
    return 0;
}

static req *req_new(req_kind kind, const char *uuid, void *user)
{
    req *q = calloc(1, sizeof(*q));
    if (q) {
        q->kind = kind;
        q->user = user;
        if (uuid)
            snprintf(q->uuid, sizeof(q->uuid), "%s", uuid);
    }
    return q;
}

/* SCRIPT LOAD, with the script's flags or without; 0 or -1. */
static int load_script(redis_store *r, int i, bool flagged)
{
    char *text = malloc(sizeof(ALLOW_OOM) + strlen(scripts[i]));
    req *q = req_new(RQ_SCRIPT, NULL, NULL);
    if (!text || !q) {
        free(text);
        free(q);
        return -1;
    }
    sprintf(text, "%s%s", flagged ? ALLOW_OOM : "", scripts[i]);
    q->script = i;
    q->flagged = flagged;
    const char *argv[] = {"SCRIPT", "LOAD", text};
    int rc = send_argv(r, q, 3, argv, NULL);
    free(text);
    return rc;
}

static void start_connect(redis_store *r)
{
    redisAsyncContext *ac = redisAsyncConnect(r->cfg.address, r->cfg.port);
    if (!ac) {
        r->next_attempt = host_monotonic_ms() + r->delay_ms;
        return;
    }
    if (ac->err) {
        char why[160];
        snprintf(why, sizeof(why), "%s", ac->errstr);
        redisAsyncFree(ac);
        r->state = R_CONNECTING; /* so that went_away words it as a failed attempt */
        went_away(r, why);
        return;
    }
    ac->data = r;
    ac->ev.data = r;
    ac->ev.addRead = ev_add_read;
    ac->ev.delRead = ev_del_read;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    r->state = R_CONNECTING;
    r->want_write = true; /* the connection completes when the socket is writable */
    r->scripts_left = SC_COUNT + 2;
    if (r->cfg.password) {
        const char *argv[] = {"AUTH", r->cfg.password};
        req *q = req_new(RQ_AUTH, NULL, NULL);
        if (!q || send_argv(r, q, 2, argv, NULL) != 0) {
            drop(r, "out of memory");
            return;
        }
    }
    for (int i = 0; i < SC_COUNT && r->ac; i++)
        if (load_script(r, i, script_allow_oom[i] && !r->scripts_plain) != 0)
            drop(r, "out of memory");
    /* The keys every call shares: another application's data there stops the store. */
    const char *shared[] = {r->leases_key, r->host_key};
    for (int i = 0; i < 2 && r->ac; i++) {
        const char *argv[] = {"TYPE", shared[i]};
        req *q = req_new(RQ_TYPE, NULL, NULL);
        if (q)
            q->script = i;
        if (!q || send_argv(r, q, 2, argv, NULL) != 0)
            drop(r, "out of memory");
    }
}

/* ---------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------- */

static void key_of(const redis_store *r, const char *kind, const char *uuid, char *out, size_t len)
{
    snprintf(out, len, "%s%s:%s", r->base_key, kind, uuid);
}

static int eval(redis_store *r, req *q, int script, int nkeys, const char **keys, int nargs,
                const char **args, const size_t *arg_lens)
{
    const char *argv[16];
    size_t lens[16];
    char nk[8];
    if (!q)
        return -1;
    if (r->state != R_READY) {
        free(q);
        return -1;
    }
    snprintf(nk, sizeof(nk), "%d", nkeys);
    int n = 0;
    argv[n] = "EVALSHA", lens[n++] = 7;
    argv[n] = r->sha[script], lens[n++] = strlen(r->sha[script]);
    argv[n] = nk, lens[n++] = strlen(nk);
    for (int i = 0; i < nkeys; i++)
        argv[n] = keys[i], lens[n++] = strlen(keys[i]);
    for (int i = 0; i < nargs; i++)
        argv[n] = args[i], lens[n++] = arg_lens ? arg_lens[i] : strlen(args[i]);
    q->script = script;
    return send_argv(r, q, n, argv, lens);
}

static void num(char *out, size_t len, long long v)
{
    snprintf(out, len, "%lld", v);
}

static int send_claim(redis_store *r, const char *uuid, store_claim_fn fn, void *user, int tries)
{
    char owner[400], gen[400], lease[24], ttl[24];
    key_of(r, "owner", uuid, owner, sizeof(owner));
    key_of(r, "gen", uuid, gen, sizeof(gen));
    num(lease, sizeof(lease), r->cfg.lease_ms);
    num(ttl, sizeof(ttl), r->cfg.ttl_ms);
    const char *keys[] = {owner, r->leases_key, r->host_key, gen};
    const char *args[] = {r->host_id, lease, ttl, uuid};
    req *q = req_new(RQ_CLAIM, uuid, user);
    if (q) {
        q->fn.claim = fn;
        q->tries = tries;
    }
    return eval(r, q, SC_CLAIM, 4, keys, 4, args, NULL);
}

static void send_renew(redis_store *r, int64_t now)
{
    const char **argv = malloc((9 + 2 * r->owned_count) * sizeof(*argv));
    char lease[24], ttl[24], nk[] = "2";
    req *q = req_new(RQ_RENEW, NULL, NULL);
    if (!argv || !q) {
        free(argv);
        free(q);
        return;
    }
    num(lease, sizeof(lease), r->cfg.lease_ms);
    num(ttl, sizeof(ttl), r->cfg.ttl_ms);
    size_t k = 0;
    argv[k++] = "EVALSHA";
    argv[k++] = r->sha[SC_RENEW];
    argv[k++] = nk;
    argv[k++] = r->leases_key;
    argv[k++] = r->host_key;
    argv[k++] = r->host_id;
    argv[k++] = lease;
    argv[k++] = ttl;
    argv[k++] = r->base_key;
    for (size_t i = 0; i < r->owned_count; i++) {
        argv[k++] = r->owned[i].uuid;
        argv[k++] = r->owned[i].gen;
    }
    q->script = SC_RENEW;
    if (send_argv(r, q, (int)k, argv, NULL) == 0)
        r->renew_on_wire = true;
    r->next_renew = now + r->cfg.lease_ms / 3;
    free(argv);
}

static void send_scan(redis_store *r, int64_t now)
{
    char limit[16];
    num(limit, sizeof(limit), SCAN_LIMIT);
    const char *keys[] = {r->leases_key};
    const char *args[] = {r->base_key, limit};
    if (eval(r, req_new(RQ_SCAN, NULL, NULL), SC_SCAN, 1, keys, 2, args, NULL) == 0)
        r->scan_on_wire = true;
    r->next_scan = now + r->cfg.lease_ms / 4;
}

static void send_list(redis_store *r)
{
    const char *argv[] = {"SMEMBERS", r->host_key};
    req *q = req_new(RQ_LIST, NULL, r->list_user);
    if (q)
        q->fn.list = r->list_fn;
    r->list_wanted = false;
    if (send_argv(r, q, 2, argv, NULL) != 0)
        r->list_fn(r->list_user, NULL);
}

static int queue_claim(redis_store *r, const char *uuid, store_claim_fn fn, void *user, int tries,
                       int64_t at);

/* The claims that waited for the connection, and those refused whose time to ask again came;
 * the others wait on (queued again, in order). */
static void send_due_claims(redis_store *r, int64_t now)
{
    pending_claim *all = r->claims;
    size_t n = r->claim_count;
    r->claims = NULL;
    r->claim_count = r->claim_cap = 0;
    for (size_t i = 0; i < n; i++) {
        pending_claim *p = &all[i];
        int rc = p->at > now ? queue_claim(r, p->uuid, p->fn, p->user, p->tries, p->at)
                             : send_claim(r, p->uuid, p->fn, p->user, p->tries);
        if (rc != 0)
            p->fn(p->user, -1);
    }
    free(all);
}

/* Connected, scripts loaded: renew at once (leases, and owners lost with a Redis restart). */
static void became_ready(redis_store *r)
{
    int64_t now = host_monotonic_ms();
    r->state = R_READY;
    r->delay_ms = r->cfg.reconnect_min_ms;
    if (r->base.stats.disconnected_since >= 0) {
        double gap = (double)(now - r->base.stats.disconnected_since) / 1000.0;
        r->base.stats.disconnected_s += gap;
        r->base.stats.disconnected_since = -1;
        log_at(r->log, LOG_WARN, "store: Redis %s:%d back after %.3f s away", r->cfg.address,
               r->cfg.port, gap);
    } else {
        log_at(r->log, LOG_INFO, "store: Redis %s:%d ready; keys under %s (host %s, lease %d ms)",
               r->cfg.address, r->cfg.port, r->base_key, r->host_id, r->cfg.lease_ms);
    }
    if (!r->ever_ready)
        r->leases_good_until = now + r->cfg.lease_ms * 9 / 10;
    r->ever_ready = true;
    send_renew(r, now);
    r->next_scan = now; /* orphans at once */
    send_due_claims(r, now);
    if (r->list_wanted)
        send_list(r);
    if (r->base.ev.on_ready)
        r->base.ev.on_ready(r->base.ev.user);
}

static void set_fenced(redis_store *r, bool fenced)
{
    if (r->fenced == fenced)
        return;
    r->fenced = fenced;
    if (r->base.ev.on_fence)
        r->base.ev.on_fence(r->base.ev.user, fenced);
}

/* ---------------------------------------------------------------------------
 * Replies
 * ------------------------------------------------------------------------- */

static long long int_reply(const redisReply *rep)
{
    return rep && rep->type == REDIS_REPLY_INTEGER ? rep->integer : -1;
}

static void reply_claim(redis_store *r, req *q, const redisReply *rep)
{
    /* The connection went before the answer: whether Redis ran the claim is unknown (Redis
     * runs what it has read before it sees the connection end: src/networking.c
     * readQueryFromClient hands each chunk to processInputBuffer, and only a read of 0 bytes
     * frees the client). So the claim waits for the next connection: claiming again a call
     * this host already holds answers 1, so a claim that did run is not lost, and one
     * another host won answers 0. The call stays parked meanwhile. */
    if (q->lost && queue_claim(r, q->uuid, q->fn.claim, q->user, q->tries, 0) == 0) {
        log_at(r->log, LOG_INFO, "store: call %s: its claim went unanswered; it waits for Redis",
               q->uuid);
        return;
    }
    /* Refused (OOM, WRONGTYPE...): asked again a few times, since what refuses it may pass (a
     * memory peak) and another host's claim may win meanwhile (it answers 0 then), then
     * refused: no host can take the call. */
    if (q->error) {
        int tries = q->tries + 1;
        if (tries < CLAIM_TRIES && !r->freeing &&
            queue_claim(r, q->uuid, q->fn.claim, q->user, tries,
                        host_monotonic_ms() + ((int64_t)CLAIM_RETRY_MS << (tries - 1))) == 0) {
            log_at(r->log, LOG_WARN,
                   "store: call %s: Redis refused its claim (%.200s); asking again", q->uuid,
                   q->error);
            return;
        }
        log_at(r->log, LOG_ERROR, "store: call %s: Redis refused its claim %d times (%.200s)",
               q->uuid, tries, q->error);
        q->fn.claim(q->user, STORE_REFUSED);
        return;
    }
    long long v = int_reply(rep);
    if (v >= 1)
        owned_add(r, q->uuid, v);
    q->fn.claim(q->user, v >= 1 ? 1 : v == 0 ? 0 : -1);
}

static void reply_put(redis_store *r, req *q, const redisReply *rep)
{
    long long v = int_reply(rep);
    if (v == 1)
        r->base.stats.puts_ok++;
    else
        r->base.stats.puts_failed++;
    int status = v == 1 ? 0 : v == 0 ? STORE_TAKEN : q->error ? STORE_REFUSED : -1;
    if (q->fn.done)
        q->fn.done(q->user, status);
    if (r->base.ev.on_put)
        r->base.ev.on_put(r->base.ev.user, q->uuid, status, q->error);
    if (v == 0) {
        owned_remove(r, q->uuid);
        if (r->base.ev.on_lost)
            r->base.ev.on_lost(r->base.ev.user, q->uuid);
    }
}

static void reply_get(req *q, const redisReply *rep)
{
    store_get_fn fn = q->fn.get;
    char why[300];
    if (rep && rep->type == REDIS_REPLY_STRING)
        fn(q->user, 0, rep->str, rep->len, NULL);
    else if (rep && rep->type == REDIS_REPLY_NIL)
        fn(q->user, 0, NULL, 0, NULL);
    else {
        /* WRONGTYPE: another application's value at the call's key (t_string.c getGenericCommand
         * answers shared.wrongtypeerr for a key that is no string). */
        snprintf(why, sizeof(why), "Redis refused the read: %.200s",
                 q->error ? q->error
                 : rep    ? "an unexpected answer"
                          : "the connection went");
        fn(q->user, q->error ? STORE_REFUSED : -1, NULL, 0, why);
    }
}

static void reply_list(req *q, const redisReply *rep)
{
    store_list_fn fn = q->fn.list;
    if (rep && rep->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < rep->elements; i++)
            if (rep->element[i]->type == REDIS_REPLY_STRING && rep->element[i]->len < 65)
                fn(q->user, rep->element[i]->str);
    }
    fn(q->user, NULL);
}

/* The calls of one list of a renewal's answer, each dropped from the host's and handed to fn. */
static void renew_each(redis_store *r, const redisReply *list,
                       void (*fn)(redis_store *r, const char *uuid))
{
    if (!list || list->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i < list->elements; i++) {
        const redisReply *e = list->element[i];
        if (e->type != REDIS_REPLY_STRING || e->len >= 65)
            continue;
        char uuid[65];
        snprintf(uuid, sizeof(uuid), "%.*s", (int)e->len, e->str);
        owned_remove(r, uuid);
        fn(r, uuid);
    }
}

static void renew_lost(redis_store *r, const char *uuid)
{
    if (r->base.ev.on_lost)
        r->base.ev.on_lost(r->base.ev.user, uuid);
}

static void renew_unkeepable(redis_store *r, const char *uuid)
{
    char why[512];
    snprintf(why, sizeof(why),
             "Redis key %.120sowner:%.64s or %.120sgen:%.64s holds another application's data: "
             "no host can keep the call's lease",
             r->base_key, uuid, r->base_key, uuid);
    log_at(r->log, LOG_ERROR, "store: call %s: %s", uuid, why);
    if (r->base.ev.on_unkeepable)
        r->base.ev.on_unkeepable(r->base.ev.user, uuid, why);
    else
        renew_lost(r, uuid);
}

static void reply_renew(redis_store *r, req *q, const redisReply *rep)
{
    r->renew_on_wire = false;
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2)
        return;
    r->leases_good_until = q->sent_at + r->cfg.lease_ms * 9 / 10;
    /* These calls first: the host must not pick them up again when the fence lifts. */
    renew_each(r, rep->element[0], renew_lost);
    renew_each(r, rep->element[1], renew_unkeepable);
    set_fenced(r, false);
}

static void reply_scan(redis_store *r, const redisReply *rep)
{
    r->scan_on_wire = false;
    if (!rep || rep->type != REDIS_REPLY_ARRAY)
        return;
    if (rep->elements >= SCAN_LIMIT)
        r->next_scan = 0; /* more: again at the next tick */
    for (size_t i = 0; i < rep->elements && r->base.ev.on_orphan; i++) {
        const redisReply *e = rep->element[i];
        if (e->type != REDIS_REPLY_STRING || e->len >= 65)
            continue;
        char uuid[65];
        snprintf(uuid, sizeof(uuid), "%.*s", (int)e->len, e->str);
        if (owned_find(r, uuid) < 0)
            r->base.ev.on_orphan(r->base.ev.user, uuid);
    }
}

/* Before the store was ever ready a refusal is the configuration's (the host stops); later the
 * connection is made again, with its backoff. */
static void refused(redis_store *r, const char *why, const char *drop_why)
{
    if (!r->ever_ready && r->base.ev.on_refused)
        r->base.ev.on_refused(r->base.ev.user, why);
    else
        log_at(r->log, LOG_ERROR, "store: %s", why);
    drop(r, drop_why);
}

static void shared_key_checked(redis_store *r)
{
    if (--r->scripts_left == 0)
        became_ready(r);
}

static void reply_type(redis_store *r, req *q, const redisReply *rep)
{
    if (q->error) {
        char why[300];
        snprintf(why, sizeof(why), "Redis refused TYPE (%.200s)", q->error);
        refused(r, why, "TYPE refused");
        return;
    }
    if (!rep)
        return;
    const char *want = q->script == 0 ? "zset" : "set";
    const char *key = q->script == 0 ? r->leases_key : r->host_key;
    bool ok =
        rep->type == REDIS_REPLY_STATUS && (!strcmp(rep->str, "none") || !strcmp(rep->str, want));
    if (ok) {
        shared_key_checked(r);
        return;
    }
    char why[1200];
    snprintf(why, sizeof(why),
             "Redis key %s holds a %.20s, not this host's %s (another application's data under "
             "--redis-prefix %s?): give the hosts another --redis-prefix, or remove the key",
             key, rep->type == REDIS_REPLY_STATUS ? rep->str : "value", want, r->prefix);
    refused(r, why, "another application's key");
}

static void reply_script(redis_store *r, req *q, const redisReply *rep)
{
    if (!rep)
        return;
    if (q->error && q->flagged) {
        /* Before Redis 7 a script cannot carry flags ("#!lua" is no Lua): load them all
         * without, on this connection and the next ones. */
        if (!r->scripts_plain)
            log_at(r->log, LOG_INFO,
                   "store: Redis takes no script flags (%.200s): the scripts "
                   "are loaded without allow-oom",
                   q->error);
        r->scripts_plain = true;
        if (load_script(r, q->script, false) != 0)
            drop(r, "out of memory");
        return;
    }
    if (rep->type != REDIS_REPLY_STRING || rep->len >= sizeof(r->sha[0])) {
        log_at(r->log, LOG_ERROR, "store: Redis refused a script: %.200s",
               rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
        drop(r, "script refused");
        return;
    }
    snprintf(r->sha[q->script], sizeof(r->sha[0]), "%.*s", (int)rep->len, rep->str);
    shared_key_checked(r);
}

static void dispatch(redis_store *r, req *q, const redisReply *rep);

/* Whether an error reply says the password is wrong, missing or not wanted: a message for the
 * operator (the texts of redis/redis: server.c processCommand's shared.noautherr "NOAUTH
 * Authentication required.", acl.c authCommand's "WRONGPASS invalid username-password pair
 * or user is disabled." and "AUTH <password> called without any password configured for the
 * default user...", before Redis 6 "ERR invalid password" and "ERR Client sent AUTH, but no
 * password is set"), or NULL. */
static const char *password_problem(const redis_store *r, const char *err)
{
    if (!strncmp(err, "NOAUTH", 6))
        return r->cfg.password ? "Redis has not taken the password"
                               : "Redis wants a password: set $IVRSM_REDIS_PASSWORD";
    if (!strncmp(err, "WRONGPASS", 9) || !strncmp(err, "ERR invalid password", 20))
        return "Redis refused the password: check $IVRSM_REDIS_PASSWORD";
    if (strstr(err, "without any password configured") || strstr(err, "no password is set"))
        return "Redis has no password, and $IVRSM_REDIS_PASSWORD gives one: unset it, or set "
               "Redis's requirepass";
    return NULL;
}

/* A request that fails without a reply, its callback told. */
static void reply_failed(redis_store *r, req *q)
{
    dispatch(r, q, NULL);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    req *q = privdata;
    redis_store *r = q->r;
    const redisReply *rep = reply;
    (void)ac;
    /* hiredis async.c __redisAsyncFree: when the connection goes (an error, or our own
     * redisAsyncFree), every request still waiting is called back with a NULL reply. */
    q->lost = reply == NULL;
    if (q->prev)
        q->prev->next = q->next;
    else
        r->head = q->next;
    if (q->next)
        q->next->prev = q->prev;
    else
        r->tail = q->prev;
    if (rep && rep->type == REDIS_REPLY_ERROR) {
        const char *why = password_problem(r, rep->str);
        if (why) {
            char text[400];
            snprintf(text, sizeof(text), "%s (%.200s)", why, rep->str);
            q->lost = true; /* nothing ran: a claim waits for the next connection */
            reply_failed(r, q);
            free(q);
            refused(r, text, "password refused");
            return;
        }
        if (!strncmp(rep->str, "NOSCRIPT", 8)) {
            /* The scripts flushed (SCRIPT FLUSH): a new connection loads them again. */
            log_at(r->log, LOG_WARN, "store: Redis answered an error: %.200s", rep->str);
            q->lost = true; /* the script did not run: a claim waits for the next connection */
            reply_failed(r, q);
            free(q);
            drop(r, "scripts flushed");
            return;
        }
        if (!strncmp(rep->str, "WRONGTYPE", 9) && (q->kind == RQ_RENEW || q->kind == RQ_SCAN)) {
            /* Another application's data at a shared key since this connection checked them:
             * the leases cannot be kept (the host is fenced at 0.9 lease). Connecting again
             * checks the keys, and says which one, at every try until it is gone. */
            log_at(r->log, LOG_ERROR, "store: Redis answered an error: %.200s", rep->str);
            q->lost = true;
            reply_failed(r, q);
            free(q);
            drop(r, "another application's data at a shared key");
            return;
        }
        if (q->kind != RQ_SCRIPT && q->kind != RQ_PUT && q->kind != RQ_CLAIM)
            log_at(r->log, LOG_WARN, "store: Redis answered an error: %.200s", rep->str);
        q->error = rep->str;
        if (q->kind != RQ_SCRIPT)
            rep = NULL;
    }
    dispatch(r, q, rep);
    free(q);
}

static void dispatch(redis_store *r, req *q, const redisReply *rep)
{
    switch (q->kind) {
    case RQ_AUTH:
        break;
    case RQ_SCRIPT:
        reply_script(r, q, rep);
        break;
    case RQ_TYPE:
        reply_type(r, q, rep);
        break;
    case RQ_CLAIM:
        reply_claim(r, q, rep);
        break;
    case RQ_PUT:
        reply_put(r, q, rep);
        break;
    case RQ_GET:
        reply_get(q, rep);
        break;
    case RQ_REMOVE:
        if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 2)
            log_at(r->log, LOG_DEBUG,
                   "store: call %s: its keys removed, another application's data at its owner "
                   "or generation key left as it is",
                   q->uuid);
        break;
    case RQ_RELEASE:
        if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 2)
            log_at(r->log, LOG_DEBUG,
                   "store: call %s: released, another application's data at its owner key "
                   "left as it is",
                   q->uuid);
        break;
    case RQ_LIST:
        reply_list(q, rep);
        break;
    case RQ_RENEW:
        reply_renew(r, q, rep);
        break;
    case RQ_SCAN:
        reply_scan(r, rep);
        break;
    }
}

/* ---------------------------------------------------------------------------
 * The store's operations
 * ------------------------------------------------------------------------- */

static int rs_put(store *s, const char *uuid, const char *doc, size_t len, store_done_fn done,
                  void *user)
{
    redis_store *r = (redis_store *)s;
    char call_key[400], owner[400], ttl[24];
    key_of(r, "call", uuid, call_key, sizeof(call_key));
    key_of(r, "owner", uuid, owner, sizeof(owner));
    num(ttl, sizeof(ttl), r->cfg.ttl_ms);
    const char *keys[] = {call_key, owner};
    const char *args[] = {r->host_id, doc, ttl};
    size_t lens[] = {strlen(r->host_id), len, strlen(ttl)};
    req *q = req_new(RQ_PUT, uuid, user);
    if (q)
        q->fn.done = done;
    if (eval(r, q, SC_PUT, 2, keys, 3, args, lens) != 0) {
        s->stats.puts_failed++;
        return -1;
    }
    s->stats.bytes_written += len;
    return 0;
}

static int rs_get(store *s, const char *uuid, store_get_fn fn, void *user)
{
    redis_store *r = (redis_store *)s;
    char call_key[400];
    key_of(r, "call", uuid, call_key, sizeof(call_key));
    const char *argv[] = {"GET", call_key};
    if (r->state != R_READY)
        return -1;
    req *q = req_new(RQ_GET, uuid, user);
    if (!q)
        return -1;
    q->fn.get = fn;
    return send_argv(r, q, 2, argv, NULL);
}

static int rs_remove(store *s, const char *uuid)
{
    redis_store *r = (redis_store *)s;
    char call_key[400], owner[400], gen[400], ttl[24];
    owned_remove(r, uuid);
    key_of(r, "call", uuid, call_key, sizeof(call_key));
    key_of(r, "owner", uuid, owner, sizeof(owner));
    key_of(r, "gen", uuid, gen, sizeof(gen));
    num(ttl, sizeof(ttl), r->cfg.ttl_ms);
    const char *keys[] = {call_key, owner, r->leases_key, r->host_key, gen};
    const char *args[] = {r->host_id, uuid, ttl};
    return eval(r, req_new(RQ_REMOVE, uuid, NULL), SC_REMOVE, 5, keys, 3, args, NULL);
}

/* A claim that waits for the connection (the call stays parked meanwhile). */
static int queue_claim(redis_store *r, const char *uuid, store_claim_fn fn, void *user, int tries,
                       int64_t at)
{
    if (r->freeing)
        return -1;
    if (r->claim_count == r->claim_cap) {
        size_t cap = r->claim_cap ? r->claim_cap * 2 : 16;
        pending_claim *p = realloc(r->claims, cap * sizeof(*p));
        if (!p)
            return -1;
        r->claims = p;
        r->claim_cap = cap;
    }
    pending_claim *p = &r->claims[r->claim_count++];
    snprintf(p->uuid, sizeof(p->uuid), "%s", uuid);
    p->fn = fn;
    p->user = user;
    p->tries = tries;
    p->at = at;
    return 0;
}

static int rs_claim(store *s, const char *uuid, store_claim_fn fn, void *user)
{
    redis_store *r = (redis_store *)s;
    if (r->state == R_READY)
        return send_claim(r, uuid, fn, user, 0);
    if (queue_claim(r, uuid, fn, user, 0, 0) != 0)
        return -1;
    log_at(r->log, LOG_INFO, "store: call %s: its claim waits for Redis", uuid);
    return 0;
}

static int rs_release(store *s, const char *uuid)
{
    redis_store *r = (redis_store *)s;
    char owner[400];
    owned_remove(r, uuid);
    key_of(r, "owner", uuid, owner, sizeof(owner));
    const char *keys[] = {owner, r->leases_key, r->host_key};
    const char *args[] = {r->host_id, uuid};
    return eval(r, req_new(RQ_RELEASE, uuid, NULL), SC_RELEASE, 3, keys, 2, args, NULL);
}

static int rs_list_owned(store *s, store_list_fn fn, void *user)
{
    redis_store *r = (redis_store *)s;
    r->list_fn = fn;
    r->list_user = user;
    r->list_wanted = true;
    if (r->state == R_READY)
        send_list(r);
    return 0;
}

static void rs_describe(const store *s, const char *uuid, char *out, size_t len)
{
    const redis_store *r = (const redis_store *)s;
    snprintf(out, len, "redis key %scall:%s", r->base_key, uuid);
}

static size_t rs_poll_fill(store *s, struct pollfd *fds, size_t max)
{
    redis_store *r = (redis_store *)s;
    if (!r->ac || max == 0 || (!r->want_read && !r->want_write))
        return 0;
    fds[0] = (struct pollfd){
        .fd = r->ac->c.fd,
        .events = (short)((r->want_read ? POLLIN : 0) | (r->want_write ? POLLOUT : 0))};
    return 1;
}

static void rs_poll_handle(store *s, const struct pollfd *fds, size_t n, int64_t now_ms)
{
    redis_store *r = (redis_store *)s;
    (void)now_ms;
    if (n == 0 || !r->ac || fds[0].fd != r->ac->c.fd)
        return;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
        redisAsyncHandleRead(r->ac);
    if (r->ac && (fds[0].revents & (POLLOUT | POLLERR)))
        redisAsyncHandleWrite(r->ac);
}

static int64_t rs_deadline(const store *s)
{
    const redis_store *r = (const redis_store *)s;
    int64_t at = -1;
#define SOONER(t)                                                                                  \
    do {                                                                                           \
        int64_t t_ = (t);                                                                          \
        if (at < 0 || t_ < at)                                                                     \
            at = t_;                                                                               \
    } while (0)
    if (r->state == R_IDLE)
        SOONER(r->next_attempt);
    if (r->head)
        SOONER(r->head->sent_at + r->cfg.timeout_ms);
    if (r->state == R_READY) {
        SOONER(r->next_renew);
        SOONER(r->next_scan);
        for (size_t i = 0; i < r->claim_count; i++)
            SOONER(r->claims[i].at);
    }
    if (r->ever_ready && !r->fenced)
        SOONER(r->leases_good_until);
#undef SOONER
    return at;
}

static void rs_tick(store *s, int64_t now)
{
    redis_store *r = (redis_store *)s;
    if (r->state == R_IDLE && now >= r->next_attempt)
        start_connect(r);
    if (r->head && now >= r->head->sent_at + r->cfg.timeout_ms) {
        char why[80];
        snprintf(why, sizeof(why), "no answer in %d ms", r->cfg.timeout_ms);
        drop(r, why);
    }
    if (r->state == R_READY && !r->renew_on_wire && now >= r->next_renew)
        send_renew(r, now);
    if (r->state == R_READY && !r->scan_on_wire && now >= r->next_scan)
        send_scan(r, now);
    if (r->state == R_READY && r->claim_count)
        send_due_claims(r, now);
    if (r->ever_ready && now >= r->leases_good_until)
        set_fenced(r, true);
}

static void rs_flush(store *s, int timeout_ms)
{
    redis_store *r = (redis_store *)s;
    int64_t end = host_monotonic_ms() + timeout_ms;
    while (r->ac && r->head) {
        int64_t now = host_monotonic_ms();
        if (now >= end)
            break;
        struct pollfd fd;
        if (rs_poll_fill(s, &fd, 1) == 0)
            break;
        if (poll(&fd, 1, (int)(end - now)) > 0)
            rs_poll_handle(s, &fd, 1, host_monotonic_ms());
    }
}

static bool rs_connected(const store *s)
{
    return ((const redis_store *)s)->state == R_READY;
}

static bool rs_fenced_at(store *s, int64_t now)
{
    redis_store *r = (redis_store *)s;
    if (r->ever_ready && now >= r->leases_good_until)
        set_fenced(r, true);
    return r->fenced;
}

static void rs_free(store *s)
{
    redis_store *r = (redis_store *)s;
    if (!r)
        return;
    r->freeing = true; /* claims that fail now are answered, not queued */
    if (r->ac) {
        redisAsyncContext *ac = r->ac;
        r->ac = NULL;
        r->state = R_IDLE;
        ac->onDisconnect = NULL;
        ac->onConnect = NULL;
        redisAsyncFree(ac); /* pending requests fail: their callbacks free what they hold */
    }
    for (size_t i = 0; i < r->claim_count; i++)
        r->claims[i].fn(r->claims[i].user, -1);
    if (r->list_wanted && r->list_fn)
        r->list_fn(r->list_user, NULL);
    free(r->claims);
    free(r->owned);
    free(r);
}

static const store_ops redis_ops = {.name = "redis",
                                    .shared = true,
                                    .put = rs_put,
                                    .get = rs_get,
                                    .remove = rs_remove,
                                    .claim = rs_claim,
                                    .release = rs_release,
                                    .list_owned = rs_list_owned,
                                    .describe = rs_describe,
                                    .poll_fill = rs_poll_fill,
                                    .poll_handle = rs_poll_handle,
                                    .deadline = rs_deadline,
                                    .tick = rs_tick,
                                    .flush = rs_flush,
                                    .connected = rs_connected,
                                    .fenced_at = rs_fenced_at,
                                    .free = rs_free};

/* A key part: bytes other than letters, digits, '.', '_' and '-' become '_'. */
static void key_part(const char *in, char *out, size_t len)
{
    size_t i = 0;
    for (; in && in[i] && i + 1 < len; i++) {
        char ch = in[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        out[i] = ok ? ch : '_';
    }
    out[i] = '\0';
}

bool store_redis_available(void)
{
    return true;
}

store *store_redis_new(const store_redis_config *cfg, const store_events *ev, const logger *log,
                       char *why, size_t why_len)
{
    redis_store *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    r->base.ops = &redis_ops;
    r->base.ev = *ev;
    r->base.stats.disconnected_since = -1;
    r->cfg = *cfg;
    r->log = log;
    key_part(cfg->prefix, r->prefix, sizeof(r->prefix));
    key_part(cfg->machine, r->machine, sizeof(r->machine));
    key_part(cfg->host_id, r->host_id, sizeof(r->host_id));
    snprintf(r->base_key, sizeof(r->base_key), "%s:%s:", r->prefix, r->machine);
    snprintf(r->leases_key, sizeof(r->leases_key), "%sleases", r->base_key);
    snprintf(r->host_key, sizeof(r->host_key), "%shost:%s", r->base_key, r->host_id);
    r->delay_ms = cfg->reconnect_min_ms;
    r->leases_good_until = INT64_MAX;
    return &r->base;
}

#else /* no hiredis */

bool store_redis_available(void)
{
    return false;
}

store *store_redis_new(const store_redis_config *cfg, const store_events *ev, const logger *log,
                       char *why, size_t why_len)
{
    (void)cfg;
    (void)ev;
    (void)log;
    snprintf(why, why_len,
             "Redis is unavailable: this ivrsm-esl-host was built without hiredis "
             "(install libhiredis-dev and build again)");
    return NULL;
}

#endif
