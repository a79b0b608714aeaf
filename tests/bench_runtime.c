/*
 * Runtime benchmark on the seed machine: prints figures, asserts nothing about
 * time. Every figure is the median of several runs, with the allocations per
 * unit beside it (counted where the build has no sanitizer).
 *
 *   dtmf     ns per DTMF-routed event (ivr.entry <-> ivr.handoff.agent_gate)
 *   speech   ns per speech event against the seed's intents (same states)
 *   speech-en the same on the English machine (examples/synergia_rdv_en), whose
 *            normalisation rewrites contractions
 *   call     µs per whole seed call: session created, started, 12 caller
 *            inputs and 9 canned HTTP answers, freed (the same script as
 *            bench/xstate)
 *   list     ns per event of the list-menu cycle of a logged-in caller:
 *            "1" (first appointment, its detail fetched), "8" (back, the list
 *            fetched again): 4 events, 2 of them HTTP answers
 *   memory   heap per session parked in the list menu after login, its ctx
 *            and the call's data included (mallinfo2 over 10,000 sessions)
 *   scale    per-event cost of the list-menu cycle and of the DTMF hop with
 *            1, 1,000, 10,000 and 100,000 live sessions, fed in order and
 *            shuffled, each event's session found as a host finds it (by the
 *            call's UUID, as examples/esl_host does), the library's part and
 *            the host's lookup timed apart (scale-list, scale-dtmf: one of them);
 *            then the same events in bursts, as a host with many calls on one
 *            event socket has them: looked up and their sessions prefetched
 *            (ivrsm_session_prefetch()) together, then fed one by one
 *
 * usage: bench_runtime [--quick] [--burst=K] [FIGURE...]   (all figures by default)
 * --burst=K: the scale figures' bursts hold K events (16 by default, at most 64).
 * --quick runs a few units per figure once: for valgrind --tool=callgrind
 * --toggle-collect='measure_*', whose instruction counts divided by the units
 * printed are the figures to compare when the machine is busy.
 */
#include <malloc.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc_count.h"
#include "ivrsm/ivrsm.h"
#include "session.h" /* ivrsm_s_pool_bytes() */

static bool quick;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int64_t fixed_clock(void *u)
{
    (void)u;
    return 1795597200000LL;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(b);
        return NULL;
    }
    b[n] = '\0';
    fclose(f);
    return b;
}

/* An example machine (a path under root), with call-wide bounds raised when one
 * session must loop for the benchmark. */
static ivrsm_machine *load_example(const char *root, const char *example, bool raise_limits)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root, example);
    char *text = read_file(path);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    const char *anchor = "max_retries: 2\n";
    const char *extra = "  limits: {max_state_visits: 65000, max_consecutive_failures: 1000}\n";
    char *doc = malloc(strlen(text) + strlen(extra) + 1);
    char *at = strstr(text, anchor);
    if (raise_limits && at) {
        size_t head = (size_t)(at - text) + strlen(anchor);
        memcpy(doc, text, head);
        strcpy(doc + head, extra);
        strcat(doc, text + head);
    } else {
        strcpy(doc, text);
    }
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    if (ivrsm_machine_load_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, path, &m, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.column, err.message);
        exit(1);
    }
    free(doc);
    free(text);
    return m;
}

static ivrsm_machine *load_seed(const char *root, bool raise_limits)
{
    return load_example(root, "examples/synergia_rdv/machine.yaml", raise_limits);
}

/* ------------------------------------------------------------------------
 * A scripted caller and a canned backend
 * ---------------------------------------------------------------------- */

typedef struct canned {
    const char *endpoint;
    const char *body;
} canned;

static const canned answers[] = {
    {"request_otp", "{\"challenge_id\":\"ch-1\"}"},
    {"verify_otp", "{\"session_token\":\"t\",\"partner_id\":42}"},
    {"list_appointments",
     "{\"count\":3,\"appointments\":[{\"id\":\"a1\"},{\"id\":\"a2\"},{\"id\":\"a3\"}],"
     "\"summary_voice\":\"Premier : le jeudi 3 décembre.\"}"},
    {"get_appointment", "{\"voice_detail\":\"Le jeudi 3 décembre à 14 heures 30.\"}"},
    {"get_proposals", "{\"slots\":[{\"id\":\"s1\",\"voice_label\":\"lundi\"},{\"id\":\"s2\","
                      "\"voice_label\":\"mardi\"},{\"id\":\"s3\",\"voice_label\":\"mercredi\"}]}"},
    {NULL, NULL},
};

static const char *answer_for(const char *endpoint)
{
    for (const canned *c = answers; c->endpoint; c++)
        if (endpoint && !strcmp(endpoint, c->endpoint))
            return c->body;
    return "{\"ok\":true}";
}

/* Pull every command; answer an http command from the canned backend. Returns
 * the number of HTTP answers fed. */
static int serve(ivrsm_session *s)
{
    int http = 0;
    for (;;) {
        const ivrsm_command *c;
        ivrsm_event res = IVRSM_EVENT_INIT;
        while ((c = ivrsm_session_next_command(s)) != NULL) {
            if (c->type == IVRSM_COMMAND_HTTP) {
                res.type = IVRSM_EVENT_ACTION_RESULT;
                res.command_id = c->id;
                res.status = 200;
                res.body = answer_for(c->http.endpoint);
            }
        }
        if (!res.type)
            return http;
        http++;
        ivrsm_session_feed(s, &res);
    }
}

typedef struct line {
    ivrsm_event_type type;
    const char *text;
} line;

static void say(ivrsm_session *s, const line *l, int *http)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = l->type;
    ev.text = l->text;
    if (ivrsm_session_feed(s, &ev) != 0) {
        fprintf(stderr, "feed \"%s\" failed in %s\n", l->text, ivrsm_session_state(s));
        exit(1);
    }
    int n = serve(s);
    if (http)
        *http += n;
}

static ivrsm_session *new_session(ivrsm_machine *m)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.call_id = "bench";
    o.session_id = "bench-session";
    o.clock = fixed_clock;
    ivrsm_session *s = NULL;
    if (ivrsm_session_new(m, &o, &s, NULL) != 0 || ivrsm_session_start(s) != 0) {
        fprintf(stderr, "cannot start a session\n");
        exit(1);
    }
    serve(s);
    return s;
}

/* The seed's happy path: login, list, first appointment, reschedule, share. */
static const line call_script[] = {
    {IVRSM_EVENT_DTMF, "1"},
    {IVRSM_EVENT_DTMF, "0612345678#"},
    {IVRSM_EVENT_SPEECH, "un deux trois quatre cinq six"},
    {IVRSM_EVENT_SPEECH, "oui"},
    {IVRSM_EVENT_DTMF, "2"},
    {IVRSM_EVENT_SPEECH, "le premier"},
    {IVRSM_EVENT_SPEECH, "je veux déplacer"},
    {IVRSM_EVENT_DTMF, "1"},
    {IVRSM_EVENT_SPEECH, "en visio"},
    {IVRSM_EVENT_SPEECH, "lundi prochain"},
    {IVRSM_EVENT_DTMF, "2"},
    {IVRSM_EVENT_SPEECH, "partager"},
};
#define CALL_LINES (sizeof(call_script) / sizeof(call_script[0]))
#define LOGIN_LINES 5 /* the first five lines end in the list menu */

static const char *list_state = "ivr.appointments.list.router";

/* A caller logged in and parked in the list menu. */
static ivrsm_session *logged_in(ivrsm_machine *m)
{
    ivrsm_session *s = new_session(m);
    for (size_t i = 0; i < LOGIN_LINES; i++)
        say(s, &call_script[i], NULL);
    if (strcmp(ivrsm_session_state(s), list_state) != 0) {
        fprintf(stderr, "login ended in %s, not %s\n", ivrsm_session_state(s), list_state);
        exit(1);
    }
    return s;
}

/* One whole call; returns the HTTP answers fed, -1 when it did not end. */
static int run_call(ivrsm_machine *m)
{
    ivrsm_session *s = new_session(m);
    int http = 0;
    for (size_t i = 0; i < CALL_LINES; i++)
        say(s, &call_script[i], &http);
    int ended = ivrsm_session_ended(s);
    ivrsm_session_free(s);
    return ended ? http : -1;
}

/* The list-menu cycle: 4 events (2 keys, 2 HTTP answers), back in the list menu. */
static const line list_cycle[] = {{IVRSM_EVENT_DTMF, "1"}, {IVRSM_EVENT_DTMF, "8"}};

static void list_round(ivrsm_session *s)
{
    say(s, &list_cycle[0], NULL);
    say(s, &list_cycle[1], NULL);
}

static void hop(ivrsm_session *s, const ivrsm_event *ev)
{
    if (ivrsm_session_feed(s, ev) != 0) {
        fprintf(stderr, "feed failed in %s\n", ivrsm_session_state(s));
        exit(1);
    }
    while (ivrsm_session_next_command(s))
        ;
}

/* ------------------------------------------------------------------------
 * The measured loops (named measure_* for callgrind's --toggle-collect)
 * ---------------------------------------------------------------------- */

__attribute__((noinline)) void measure_hops(ivrsm_session *s, ivrsm_event_type type, const char *a,
                                            const char *b, int n);
__attribute__((noinline)) void measure_calls(ivrsm_machine *m, int n);
__attribute__((noinline)) void measure_list(ivrsm_session *s, int n);

void measure_hops(ivrsm_session *s, ivrsm_event_type type, const char *a, const char *b, int n)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = type;
    for (int i = 0; i < n; i++) {
        ev.text = (i & 1) ? b : a;
        hop(s, &ev);
    }
}

void measure_calls(ivrsm_machine *m, int n)
{
    for (int i = 0; i < n; i++)
        if (run_call(m) < 0) {
            fprintf(stderr, "the seed call did not end\n");
            exit(1);
        }
}

void measure_list(ivrsm_session *s, int n)
{
    for (int i = 0; i < n; i++)
        list_round(s);
}

/* ------------------------------------------------------------------------
 * Figures
 * ---------------------------------------------------------------------- */

typedef struct figure {
    double per_unit; /* wall clock, median of the runs */
    double allocs;   /* allocations per unit (-1: not counted) */
    long long units; /* units of one run */
} figure;

#define RUNS 7

static int runs(void)
{
    return quick ? 1 : RUNS;
}

static double allocs_per(long long before, long long units)
{
    long long after = bench_allocations();
    return after < 0 ? -1 : (double)(after - before) / (double)units;
}

static void print_allocs(double a, long long units)
{
    if (quick)
        printf("   [units %lld]", units);
    if (a < 0)
        printf("   (allocations not counted in this build)\n");
    else
        printf("   %7.1f allocations\n", a);
}

static figure fig_hops(ivrsm_machine *loop, ivrsm_event_type type, const char *a, const char *b)
{
    int n = quick ? 2000 : 60000;
    double t[RUNS];
    figure f = {0, 0, n};
    for (int r = 0; r < runs(); r++) {
        ivrsm_session *s = new_session(loop);
        long long before = bench_allocations();
        double t0 = now_ns();
        measure_hops(s, type, a, b, n);
        t[r] = (now_ns() - t0) / n;
        f.allocs = allocs_per(before, n);
        ivrsm_session_free(s);
    }
    f.per_unit = median(t, runs());
    return f;
}

static figure fig_calls(ivrsm_machine *seed)
{
    int n = quick ? 20 : 3000;
    double t[RUNS];
    figure f = {0, 0, n};
    for (int r = 0; r < runs(); r++) {
        long long before = bench_allocations();
        double t0 = now_ns();
        measure_calls(seed, n);
        t[r] = (now_ns() - t0) / n;
        f.allocs = allocs_per(before, n);
    }
    f.per_unit = median(t, runs());
    return f;
}

static figure fig_list(ivrsm_machine *loop)
{
    int n = quick ? 200 : 10000;
    double t[RUNS];
    figure f = {0, 0, 4LL * n};
    for (int r = 0; r < runs(); r++) {
        ivrsm_session *s = logged_in(loop);
        long long before = bench_allocations();
        double t0 = now_ns();
        measure_list(s, n);
        t[r] = (now_ns() - t0) / (4.0 * n);
        f.allocs = allocs_per(before, 4LL * n);
        ivrsm_session_free(s);
    }
    f.per_unit = median(t, runs());
    return f;
}

/* The kB of the process's memory in transparent huge pages (/proc/self/smaps_rollup, Linux),
 * -1 when it cannot be read. */
static long huge_kb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/*
 * The heap the C library counts (mallinfo2) and the chunks the machine's pool
 * of session blocks maps from the system (which mallinfo2 does not see),
 * whole, used or not: a machine of its own, so that its pool holds only the
 * sessions counted.
 */
static void fig_memory(const char *root)
{
    ivrsm_machine *seed = load_seed(root, false);
    const int live = quick ? 100 : 10000;
    ivrsm_session **sessions = malloc(sizeof(*sessions) * (size_t)live);
    struct mallinfo2 before = mallinfo2();
    size_t pool_before = ivrsm_s_pool_bytes(seed);
    for (int i = 0; i < live; i++)
        sessions[i] = logged_in(seed);
    struct mallinfo2 after = mallinfo2();
    size_t pool = ivrsm_s_pool_bytes(seed) - pool_before;
    long huge = huge_kb();
    size_t own = 0;
    for (int i = 0; i < live; i++)
        own += ivrsm_session_memory(sessions[i]);
    char *ctx = ivrsm_session_ctx_json(sessions[0]);
    size_t ctx_len = ctx ? strlen(ctx) : 0;
    ivrsm_free(ctx);
    ivrsm_session *fresh = new_session(seed);
    size_t fresh_own = ivrsm_session_memory(fresh);
    ivrsm_session_free(fresh);
    for (int i = 0; i < live; i++)
        ivrsm_session_free(sessions[i]);
    free(sessions);
    ivrsm_machine_unref(seed);
    double heap = ((double)(after.uordblks - before.uordblks) + (double)pool) / live;
    printf("memory   %8.0f B heap per session parked in the list menu after login (ctx and the "
           "call's data included; target <= 2500)\n",
           heap);
    printf("         %8.0f B of it the session blocks' chunks (%zu of 2 MB for %d sessions; the "
           "process has %ld kB in huge pages), the rest the C library's heap\n",
           (double)pool / live, pool >> 21, live, huge);
    printf("         %8zu B of it by ivrsm_session_memory (ctx included); %zu B at the first "
           "question; ctx as JSON %zu B\n",
           own / (size_t)live, fresh_own, ctx_len);
}

typedef struct host_table host_table;
typedef char uuid_text[40];
typedef struct scale_split scale_split;
__attribute__((noinline)) void measure_scale_list(const host_table *t, uuid_text *events,
                                                  int rounds, scale_split *out);
__attribute__((noinline)) void measure_scale_hops(const host_table *t, uuid_text *events,
                                                  int rounds, scale_split *out);
__attribute__((noinline)) void measure_scale_list_bursts(const host_table *t, uuid_text *events,
                                                         int rounds, scale_split *out);
__attribute__((noinline)) void measure_scale_hop_bursts(const host_table *t, uuid_text *events,
                                                        int rounds, scale_split *out);

/* ------------------------------------------------------------------------
 * Scale: many live sessions, each event's session found as a host finds it
 * ---------------------------------------------------------------------- */

/*
 * A host finds the session an event is for by the call's id the event
 * carries. examples/esl_host finds it by the channel's UUID
 * (call_table.c, call_table_find()): a hash of the UUID's 36 characters
 * eight bytes a step, linear probing in a power-of-two table of slots, each
 * a call's hash and pointer (grown at three quarters full to at least twice
 * the calls), strcmp() of the UUID in the record of a call whose hash is the
 * event's, then the record's session (calls.c, call_find() and the
 * events' handlers). The scale figure does that work for every caller input,
 * no more and no less: a record of the host's size with the UUID and the
 * session at the host's offsets (struct call in calls_int.h: 784 bytes on
 * x86-64, `uuid` at 32, `s` at 152; host_open() says where they lie). The
 * event's UUID text is read from an array laid out in the order the events
 * come, as a host reads it from the event it has just received (in the
 * cache). An http answer needs no lookup: the host's request ticket points at
 * its call.
 */
typedef struct host_call {
    void *host;
    struct {
        size_t index;
        void *ended_next;
        int queued;
    } link;
    char uuid[65];
    char session_id[48];
    ivrsm_session *s;
    char rest[784 - 160];
} host_call;
_Static_assert(offsetof(host_call, uuid) == 32 && offsetof(host_call, s) == 152 &&
                   sizeof(host_call) == 784,
               "the host's struct call (examples/esl_host/calls_int.h) on x86-64");

/* examples/esl_host/call_table.h, call_table_slot */
typedef struct host_slot {
    uint64_t hash;
    host_call *call;
} host_slot;

struct host_table {
    host_call **calls; /* in creation order */
    host_slot *slots;
    size_t mask;
    int count;
};

/* examples/esl_host/call_table.c, hash_uuid() */
static uint64_t hash_uuid(const char *s)
{
    size_t n = strlen(s);
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    uint64_t tail = 0;
    memcpy(&tail, s, n);
    h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return h;
}

/* examples/esl_host/call_table.c, call_table_find_hashed() */
static host_call *host_find_hashed(const host_table *t, const char *uuid, uint64_t h)
{
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const host_slot *slot = &t->slots[i];
        if (!slot->call || (slot->hash == h && !strcmp(slot->call->uuid, uuid)))
            return slot->call;
    }
}

/* examples/esl_host/call_table.c, call_table_find() */
static host_call *host_find(const host_table *t, const char *uuid)
{
    return host_find_hashed(t, uuid, hash_uuid(uuid));
}

/* examples/esl_host/call_table.c, call_table_prefetch_slot() */
static uint64_t host_prefetch_slot(const host_table *t, const char *uuid)
{
    uint64_t h = hash_uuid(uuid);
    __builtin_prefetch(&t->slots[h & t->mask]);
    return h;
}

/* examples/esl_host/call_table.c, call_table_prefetch_call() */
static void host_prefetch_call(const host_table *t, uint64_t h)
{
    const host_slot *slot = &t->slots[h & t->mask];
    const host_call *c = slot->call;
    if (!c || slot->hash != h)
        return;
    __builtin_prefetch(c->uuid);
    __builtin_prefetch(c->uuid + 36);
    __builtin_prefetch(&c->s);
}

/* The slots call_table_add() has once `n` calls were added one by one (none removed). */
static size_t host_slot_count(int n)
{
    size_t slots = 0;
    for (size_t count = 0; count < (size_t)n; count++) {
        if ((count + 1) * 4 > slots * 3) {
            size_t want = slots ? slots : 64;
            while ((count + 1) * 2 > want)
                want *= 2;
            slots = want;
        }
    }
    return slots;
}

/* xorshift: the same shuffle and the same UUIDs every run. */
static uint32_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (uint32_t)(*x >> 32);
}

/* A version 4 UUID as examples/esl_host/esl_wire.c's esl_new_uuid() writes it. */
static void make_uuid(uint64_t *x, char *out, size_t cap)
{
    unsigned char b[16];
    for (int i = 0; i < 16; i += 4) {
        uint32_t r = next_random(x);
        memcpy(b + i, &r, 4);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/*
 * n calls in a table as the host's: the records first, then the sessions. The
 * ESL host with a store creates a call's session once the store's claim has
 * answered, apart from its record; without a store, right after it, where the
 * record's page often holds the session's first lines too, and the host's
 * lookup then pays the session's page walk. Apart, each part of an event
 * pays for its own memory.
 */
static void host_open(host_table *t, ivrsm_machine *loop, int n, bool list, uint64_t *x)
{
    size_t slot_count = host_slot_count(n);
    t->calls = malloc(sizeof(*t->calls) * (size_t)n);
    t->slots = calloc(slot_count, sizeof(*t->slots));
    t->mask = slot_count - 1;
    t->count = n;
    for (int i = 0; i < n; i++) {
        host_call *c = calloc(1, sizeof(*c));
        make_uuid(x, c->uuid, sizeof(c->uuid));
        c->link.index = (size_t)i;
        t->calls[i] = c;
        uint64_t h = hash_uuid(c->uuid);
        size_t at = h & t->mask;
        while (t->slots[at].call)
            at = (at + 1) & t->mask;
        t->slots[at] = (host_slot){h, c};
    }
    for (int i = 0; i < n; i++)
        t->calls[i]->s = list ? logged_in(loop) : new_session(loop);
}

static void host_close(host_table *t)
{
    for (int i = 0; i < t->count; i++) {
        ivrsm_session_free(t->calls[i]->s);
        free(t->calls[i]);
    }
    free(t->calls);
    free(t->slots);
}

/* The UUIDs of the events of one round, in the order they come. */
static uuid_text *host_events(const host_table *t, const uint32_t *order)
{
    uuid_text *u = malloc(sizeof(*u) * (size_t)t->count);
    for (int i = 0; i < t->count; i++)
        memcpy(u[i], t->calls[order[i]]->uuid, sizeof(u[i]));
    return u;
}

static ivrsm_session *host_session(const host_table *t, const char *uuid)
{
    host_call *c = host_find(t, uuid);
    if (!c) {
        fprintf(stderr, "no call %s\n", uuid);
        exit(1);
    }
    return c->s;
}

/*
 * Each event timed apart: the host's lookup, then the library's part (the
 * event fed and the commands pulled, http answers fed back included), with a
 * time stamp before, between and after. The stamps' own cost is taken off
 * (stamp_cost), and an event the system interrupted (over 50 µs) is left
 * out and counted, so that a busy machine's preemptions do not count as the
 * library's time.
 */
struct scale_split {
    double library, lookup; /* ns, summed */
    long long events, left_out;
};

static double stamp_cost; /* ns between two stamps with nothing between them */

static inline double stamp(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_lfence(); /* the work before is done, the work after not begun */
#endif
    double t = now_ns();
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_lfence();
#endif
    return t;
}

static void measure_stamp_cost(void)
{
    double d[101];
    for (int i = 0; i < 101; i++) {
        double a = stamp();
        double b = stamp();
        double c = 0;
        for (int k = 0; k < 200; k++) {
            a = stamp();
            b = stamp();
            c += b - a;
        }
        d[i] = c / 200;
    }
    stamp_cost = median(d, 101);
}

static void split_add(scale_split *out, double a, double b, double c)
{
    if (c - a > 50000) {
        out->left_out++;
        return;
    }
    out->lookup += b - a - stamp_cost;
    out->library += c - b - stamp_cost;
    out->events++;
}

/* The list-menu cycle: the caller's two keys, each found by its call's UUID (the http
 * answers find their call through the request, as the host's do). */
void measure_scale_list(const host_table *t, uuid_text *events, int rounds, scale_split *out)
{
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < t->count; i++)
            for (int k = 0; k < 2; k++) {
                double a = stamp();
                ivrsm_session *s = host_session(t, events[i]);
                double b = stamp();
                say(s, &list_cycle[k], NULL);
                split_add(out, a, b, stamp());
            }
}

void measure_scale_hops(const host_table *t, uuid_text *events, int rounds, scale_split *out)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_DTMF;
    for (int r = 0; r < rounds; r++) {
        ev.text = (r & 1) ? "8" : "2";
        for (int i = 0; i < t->count; i++) {
            double a = stamp();
            ivrsm_session *s = host_session(t, events[i]);
            double b = stamp();
            hop(s, &ev);
            split_add(out, a, b, stamp());
        }
    }
}

/*
 * Bursts: the events a host has in hand at once. examples/esl_host reads every call's events
 * from one socket; with many calls one read brings several, and the host looks each one's
 * call up and asks for its session before handling them one after the other (esl_conn.c,
 * process_input(); calls.c, calls_prefetch()): the slots of their UUIDs, then the records in
 * them, then each record's session found and asked for (ivrsm_session_prefetch()), then the
 * events fed in their order. The host looks each call up again as it handles its event (an
 * earlier event of the burst may start or end a call), in the cache by then; the model feeds
 * the sessions it found, since no event here starts or ends a call.
 *
 * Timed a burst at a time: the lookups ahead are the host's part, the prefetches and the feeds
 * (the commands pulled, the http answers fed) the library's, each divided by the burst's
 * events. Stamps between the events would hide the sessions' misses behind their own time.
 */
static int burst_size = 16; /* --burst=K */
#define BURST_MAX 64

typedef struct burst {
    const char *uuid[BURST_MAX];
    ivrsm_session *s[BURST_MAX];
    int n;
} burst;

static void host_find_burst(const host_table *t, burst *b)
{
    uint64_t h[BURST_MAX];
    for (int k = 0; k < b->n; k++)
        h[k] = host_prefetch_slot(t, b->uuid[k]);
    for (int k = 0; k < b->n; k++)
        host_prefetch_call(t, h[k]);
    for (int k = 0; k < b->n; k++) {
        host_call *c = host_find_hashed(t, b->uuid[k], h[k]);
        if (!c) {
            fprintf(stderr, "no call %s\n", b->uuid[k]);
            exit(1);
        }
        b->s[k] = c->s;
    }
}

static void split_add_burst(scale_split *out, int n, double a, double b, double c)
{
    if (c - a > 50000.0 * n) {
        out->left_out += n;
        return;
    }
    out->lookup += b - a - stamp_cost;
    out->library += c - b - stamp_cost;
    out->events += n;
}

/* The list-menu cycle in bursts: the same keys in the same order as measure_scale_list(). */
void measure_scale_list_bursts(const host_table *t, uuid_text *events, int rounds, scale_split *out)
{
    long long total = 2LL * rounds * t->count;
    burst b;
    for (long long e = 0; e < total; e += b.n) {
        b.n = (int)(total - e < burst_size ? total - e : burst_size);
        for (int k = 0; k < b.n; k++)
            b.uuid[k] = events[((e + k) / 2) % t->count];
        double t0 = stamp();
        host_find_burst(t, &b);
        double t1 = stamp();
        for (int k = 0; k < b.n; k++)
            ivrsm_session_prefetch(b.s[k]);
        for (int k = 0; k < b.n; k++)
            say(b.s[k], &list_cycle[(e + k) % 2], NULL);
        split_add_burst(out, b.n, t0, t1, stamp());
    }
}

/* The DTMF hop in bursts: the same events in the same order as measure_scale_hops(). */
void measure_scale_hop_bursts(const host_table *t, uuid_text *events, int rounds, scale_split *out)
{
    ivrsm_event ev[2] = {IVRSM_EVENT_INIT, IVRSM_EVENT_INIT};
    ev[0].type = ev[1].type = IVRSM_EVENT_DTMF;
    ev[0].text = "2";
    ev[1].text = "8";
    long long total = (long long)rounds * t->count;
    burst b;
    for (long long e = 0; e < total; e += b.n) {
        b.n = (int)(total - e < burst_size ? total - e : burst_size);
        for (int k = 0; k < b.n; k++)
            b.uuid[k] = events[(e + k) % t->count];
        double t0 = stamp();
        host_find_burst(t, &b);
        double t1 = stamp();
        for (int k = 0; k < b.n; k++)
            ivrsm_session_prefetch(b.s[k]);
        for (int k = 0; k < b.n; k++)
            hop(b.s[k], &ev[((e + k) / t->count) & 1]);
        split_add_burst(out, b.n, t0, t1, stamp());
    }
}

static void shuffle(uint32_t *order, int n)
{
    uint64_t x = 88172645463325252ULL;
    for (int i = n - 1; i > 0; i--) {
        uint32_t j = next_random(&x) % (uint32_t)(i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

typedef struct scale_figure {
    double library, lookup; /* ns per event (the list-menu cycle: per event of its 4) */
    double left_out;        /* share of the events left out */
} scale_figure;

/*
 * ns per event with n live sessions, fed in order or shuffled: the median of
 * the runs' library parts and that of their lookups. Each run has sessions of
 * its own (a session visits a state at most 65,000 times), and about the same
 * number of events at every scale: 100,000 sessions get two rounds each.
 */
static scale_figure scale_point(ivrsm_machine *loop, int n, bool list, bool shuffled, bool bursts)
{
    uint32_t *order = malloc(sizeof(*order) * (size_t)n);
    for (int i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    if (shuffled)
        shuffle(order, n);
    int target = quick ? 4000 : list ? 160000 : 100000;
    int per_round = n * (list ? 4 : 1);
    int rounds = target / per_round;
    if (rounds < 2)
        rounds = 2;
    if (!list && rounds % 2)
        rounds++; /* the DTMF hop comes back to where it started */
    const int scale_runs = quick ? 1 : 5;
    double lib[RUNS], look[RUNS];
    long long left_out = 0, all = 0;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int r = 0; r < scale_runs; r++) {
        host_table h;
        host_open(&h, loop, n, list, &x);
        uuid_text *events = host_events(&h, order);
        scale_split sp = {0, 0, 0, 0};
        if (bursts && list)
            measure_scale_list_bursts(&h, events, rounds, &sp);
        else if (bursts)
            measure_scale_hop_bursts(&h, events, rounds, &sp);
        else if (list)
            measure_scale_list(&h, events, rounds, &sp);
        else
            measure_scale_hops(&h, events, rounds, &sp);
        /* The list-menu cycle: a key's part holds its http answers' (4 events in 2 keys). */
        double per = list ? 2.0 : 1.0;
        lib[r] = sp.library / ((double)sp.events * per);
        look[r] = sp.lookup / ((double)sp.events * per);
        left_out += sp.left_out;
        all += sp.events + sp.left_out;
        free(events);
        host_close(&h);
    }
    free(order);
    scale_figure f = {median(lib, scale_runs), median(look, scale_runs),
                      (double)left_out / (double)all};
    return f;
}

static void print_scale_row(const char *name, int n, double o, double sh, double base_o,
                            double base_sh)
{
    printf("         %-24s %8d %10.1f %10.1f %8.2f %8.2f\n", name, n, o, sh, o / base_o,
           sh / base_sh);
}

/* One figure's rows at every scale: the library's part, the host's lookup, both. */
static void scale_rows(ivrsm_machine *loop, bool list, bool bursts)
{
    static const int sizes[] = {1, 1000, 10000, 100000};
    const int count = 4;
    char name[64];
    if (bursts)
        snprintf(name, sizeof(name), "%s, bursts of %d", list ? "list-menu cycle" : "DTMF hop",
                 burst_size);
    else
        snprintf(name, sizeof(name), "%s", list ? "list-menu cycle" : "DTMF hop");
    scale_figure o[4], sh[4];
    double left_out = 0;
    for (int i = 0; i < count; i++) {
        o[i] = scale_point(loop, sizes[i], list, false, bursts);
        sh[i] = scale_point(loop, sizes[i], list, true, bursts);
        left_out += o[i].left_out + sh[i].left_out;
        print_scale_row(name, sizes[i], o[i].library, sh[i].library, o[0].library, sh[0].library);
        fflush(stdout);
    }
    for (int i = 0; i < count; i++)
        print_scale_row("  the host's lookup", sizes[i], o[i].lookup, sh[i].lookup, o[0].lookup,
                        sh[0].lookup);
    for (int i = 0; i < count; i++)
        print_scale_row("  both", sizes[i], o[i].library + o[i].lookup,
                        sh[i].library + sh[i].lookup, o[0].library + o[0].lookup,
                        sh[0].library + sh[0].lookup);
    printf("         (%.3f %% of the events left out: interrupted, over 50 us; a time stamp "
           "costs %.1f ns, taken off)\n",
           100 * left_out / (2 * count), stamp_cost);
}

static void fig_scale(ivrsm_machine *loop, bool list, bool dtmf)
{
    /* --quick too: for valgrind --tool=callgrind --cache-sim=yes
     * --toggle-collect=measure_scale_hops, the misses at every scale. */
    measure_stamp_cost();
    printf("scale    ns per event with N live sessions (target: x1.5 in order, x2.5 shuffled, from "
           "1 to 100,000),\n         each event's session found by its call's UUID as "
           "examples/esl_host finds it, timed apart\n");
    printf("         %-24s %8s %10s %10s %8s %8s\n", "", "sessions", "in order", "shuffled",
           "x order", "x shuf");
    for (int l = 1; l >= 0; l--) {
        if (l ? !list : !dtmf)
            continue;
        scale_rows(loop, l, false);
    }
    printf("         the same events in bursts of %d, as a host has them from one read of its "
           "event socket:\n         the burst's calls looked up and their sessions asked for "
           "(ivrsm_session_prefetch), then fed\n",
           burst_size);
    for (int l = 1; l >= 0; l--) {
        if (l ? !list : !dtmf)
            continue;
        scale_rows(loop, l, true);
    }
}

static bool wanted(int argc, char **argv, int first, const char *name)
{
    if (first >= argc)
        return true;
    for (int i = first; i < argc; i++)
        if (!strcmp(argv[i], name))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    int first = 1;
    for (; first < argc && !strncmp(argv[first], "--", 2); first++) {
        if (!strcmp(argv[first], "--quick")) {
            quick = true;
        } else if (!strncmp(argv[first], "--burst=", 8) && atoi(argv[first] + 8) >= 1 &&
                   atoi(argv[first] + 8) <= BURST_MAX) {
            burst_size = atoi(argv[first] + 8);
        } else {
            fprintf(stderr, "usage: bench_runtime [--quick] [--burst=1..%d] [FIGURE...]\n",
                    BURST_MAX);
            return 2;
        }
    }
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    if (!root)
        root = ".";
    ivrsm_machine *loop = load_seed(root, true);
    ivrsm_machine *seed = load_seed(root, false);
    printf("runtime of the seed machine (median of %d runs; allocations by the whole process)\n",
           runs());

    if (wanted(argc, argv, first, "dtmf")) {
        figure f = fig_hops(loop, IVRSM_EVENT_DTMF, "2", "8");
        printf("dtmf     %8.1f ns per DTMF hop", f.per_unit);
        print_allocs(f.allocs, f.units);
    }
    if (wanted(argc, argv, first, "speech")) {
        figure f = fig_hops(loop, IVRSM_EVENT_SPEECH, "l'équipe s'il vous plaît",
                            "retour au menu précédent");
        printf("speech   %8.1f ns per speech hop", f.per_unit);
        print_allocs(f.allocs, f.units);
    }
    if (wanted(argc, argv, first, "speech-en")) {
        /* The English machine: the same two states, English words normalised with the
         * contractions rewritten ("I'd" is "I would"). */
        ivrsm_machine *en = load_example(root, "examples/synergia_rdv_en/machine.yaml", true);
        figure f = fig_hops(en, IVRSM_EVENT_SPEECH, "I'd like the team, please",
                            "let's go back to the previous menu");
        printf("speech-en %7.1f ns per speech hop in English (examples/synergia_rdv_en)",
               f.per_unit);
        print_allocs(f.allocs, f.units);
        ivrsm_machine_unref(en);
    }
    if (wanted(argc, argv, first, "call")) {
        int http = run_call(seed);
        if (http < 0) {
            fprintf(stderr, "the seed call did not end\n");
            return 1;
        }
        figure f = fig_calls(seed);
        printf("call     %8.2f us per whole call (%zu caller inputs, %d HTTP answers; target "
               "<= 12)",
               f.per_unit / 1000.0, CALL_LINES, http);
        print_allocs(f.allocs, f.units);
    }
    if (wanted(argc, argv, first, "list")) {
        figure f = fig_list(loop);
        printf("list     %8.1f ns per event of the list-menu cycle (4 events, 2 HTTP; target "
               "<= 900)",
               f.per_unit);
        print_allocs(f.allocs, f.units);
    }
    if (wanted(argc, argv, first, "memory"))
        fig_memory(root);
    bool scale = wanted(argc, argv, first, "scale");
    if (scale || wanted(argc, argv, first, "scale-list") || wanted(argc, argv, first, "scale-dtmf"))
        fig_scale(loop, scale || wanted(argc, argv, first, "scale-list"),
                  scale || wanted(argc, argv, first, "scale-dtmf"));
    ivrsm_machine_unref(loop);
    ivrsm_machine_unref(seed);
    return 0;
}
