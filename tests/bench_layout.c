/*
 * A cost model of where a DTMF hop's session data could lie, at N live sessions
 * (docs/performance.md, "A dense table of hot fields: the cost model"). No
 * library code runs: each "hop" touches memory as a layout would have it, around
 * a fixed amount of work that depends on what it reads (a hop's work depends on
 * its session's state), and each event is found and timed as `bench_runtime
 * scale-dtmf` finds and times it (the ESL host's table of calls, 784-byte
 * records; a stamp before the lookup, one between, one after). Layouts:
 *
 *   today     the session block's eight lines a hop touches (lines 0 to 5, 7 and
 *             the visit counts' line 18 of a 1,344-byte block on huge pages),
 *             asked for together, read and written
 *   dense     one 64-byte line per session in a table of its own (6.4 MB for
 *             100,000 sessions), read and written; nothing else per session
 *   dense128  the same with two lines per session
 *   dense+cmd a dense line read and written, and the command's three lines
 *             written (not read) in the session's block, as a hop builds its ask
 *   dense+one a dense line, and the command written in one slot shared by all
 *             sessions (what a command the session's memory does not hold costs)
 *
 * Usage: bench_layout LAYOUT SESSIONS in-order|shuffled [--no-lookup] [--burst=K]
 *        bench_layout chase MEGABYTES   (a pointer chase through one line of
 *                                        each 64 bytes, in a shuffled order,
 *                                        after one pass to warm the caches)
 * --burst=K feeds the events K at a time, as bench_runtime's bursts do: the K
 * events' sessions looked up, their lines asked for together (the layout's
 * prefetches, ivrsm_session_prefetch()'s part), then the K hops; the burst is
 * timed whole and divided by K. It shows how many misses of different sessions
 * the machine overlaps, for one to eight lines a session.
 * Prints ns per event (the library's part alone): the median of 5 runs, and
 * their range. Built by meson, not run by it.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64
#define BLOCK 1344 /* a session block in the pool (docs/performance.md, huge pages) */
#define HUGE_PAGE (2u << 20)
#define RUNS 5

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* As bench_runtime's stamp(): the work before is done, the work after not begun. */
static inline double stamp(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_lfence();
#endif
    double t = now_ns();
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_lfence();
#endif
    return t;
}

/* xorshift: the same shuffle and UUIDs every run. */
static uint32_t next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return (uint32_t)(*x >> 32);
}

/* n bytes of zeroed memory on 2 MB pages where the system gives them (as lib/base/pool.c). */
static char *huge_zeroed(size_t n)
{
    n = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
    char *p = mmap(NULL, n + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    char *a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
#ifdef MADV_HUGEPAGE
    madvise(a, n, MADV_HUGEPAGE);
#endif
    memset(a, 0, n);
    return a;
}

/* ---- the host's table of calls, as bench_runtime's model of examples/esl_host ---- */

typedef struct host_call {
    char before[32];
    char uuid[40]; /* at 32, as struct call */
    char between[80];
    size_t session; /* at 152: here the session's index */
    char after[624];
} host_call;
_Static_assert(sizeof(host_call) == 784, "the host's struct call on x86-64");

typedef struct host_slot {
    uint64_t hash;
    host_call *call;
} host_slot;

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

static size_t host_find(const host_slot *slots, size_t mask, const char *uuid)
{
    uint64_t h = hash_uuid(uuid);
    for (size_t i = h & mask;; i = (i + 1) & mask)
        if (slots[i].hash == h && !strcmp(slots[i].call->uuid, uuid))
            return slots[i].call->session;
}

/* ---- the layouts ---- */

enum layout { TODAY, DENSE, DENSE128, DENSE_CMD, DENSE_ONE };
static const char *const layout_names[] = {"today", "dense", "dense128", "dense+cmd", "dense+one"};

static enum layout layout;
static char *blocks; /* BLOCK bytes a session */
static char *dense;  /* dense_size bytes a session */
static size_t dense_size;
static unsigned char machine[4096]; /* what every session reads: in the cache */

/* About a hop's own time (40 ns here), each step waiting for the one before. */
static inline uint64_t work(uint64_t v)
{
    for (int i = 0; i < 13; i++)
        v = machine[(v * 7 + (uint64_t)i) & 4095] + v * 3 + (uint64_t)i;
    return v;
}

/* Three lines of an ask written, as a hop builds its command; one field read back (the pull). */
static uint64_t write_command(char *at, uint64_t v)
{
    for (int k = 0; k < 3 * LINE; k += 8)
        memcpy(at + k, &v, 8);
    return *(volatile uint64_t *)(at + 8);
}

static const int today_lines[] = {0, 1, 2, 3, 4, 5, 7, 18};

/* The lines session i's hop touches, asked for (the hop asks for them too, as
 * ivrsm_session_feed() does). */
static void prefetch_session(size_t i)
{
    const char *b = blocks + i * BLOCK;
    const char *d = dense + i * dense_size;
    if (layout == TODAY) {
        for (int k = 0; k < 8; k++)
            __builtin_prefetch(b + LINE * today_lines[k], 1);
        return;
    }
    for (size_t k = 0; k < dense_size; k += LINE)
        __builtin_prefetch(d + k, 1);
    if (layout == DENSE_CMD)
        for (int k = 4; k < 7; k++)
            __builtin_prefetch(b + k * LINE, 1);
}

__attribute__((noinline)) static uint64_t hop(size_t i)
{
    char *b = blocks + i * BLOCK;
    char *d = dense + i * dense_size;
    uint64_t v;
    prefetch_session(i);
    if (layout == TODAY) {
        v = work(*(volatile uint32_t *)(b + 56) + *(volatile uint32_t *)(b + 104) +
                 *(volatile uint64_t *)(b + 128) + *(volatile uint64_t *)(b + 192));
        *(uint32_t *)(b + 104) += 1;
        *(uint16_t *)(b + 208) = (uint16_t)v;
        *(uint16_t *)(b + 18 * LINE + (v & 31) * 2) += 1;
        return write_command(b + 4 * LINE, v);
    }
    uint64_t in = *(volatile uint32_t *)d + *(volatile uint32_t *)(d + 8);
    if (dense_size > LINE)
        in += *(volatile uint32_t *)(d + LINE);
    v = work(in);
    *(uint32_t *)(d + 8) += 1;
    *(uint16_t *)(d + 16 + (v & 15) * 2) += 1;
    if (dense_size > LINE)
        *(uint32_t *)(d + LINE + 8) += 1;
    if (layout == DENSE_CMD)
        return write_command(b + 4 * LINE, v);
    if (layout == DENSE_ONE) {
        static char shared[3 * LINE] __attribute__((aligned(LINE)));
        return write_command(shared, v);
    }
    return v;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void chase(double megabytes)
{
    size_t n = (size_t)(megabytes * 1048576) / LINE;
    char *p = huge_zeroed(n * LINE);
    uint32_t *order = malloc(sizeof(*order) * n);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = next_random(&x) % (i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        *(void **)(p + LINE * (size_t)order[i]) = p + LINE * (size_t)order[(i + 1) % n];
    void *q = p;
    for (size_t i = 0; i < n; i++)
        q = *(void **)q;
    double runs[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double a = now_ns();
        for (long i = 0; i < 2000000; i++)
            q = *(void **)q;
        runs[r] = (now_ns() - a) / 2000000;
    }
    qsort(runs, RUNS, sizeof(*runs), compare_double);
    /* The median and the range, as the layouts are printed: the fastest run alone would
     * compare a lucky minute with their typical one. */
    printf("chase %.1f MB: %.1f ns a step (%.1f to %.1f)%s\n", megabytes, runs[RUNS / 2], runs[0],
           runs[RUNS - 1], q ? "" : " ");
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "chase")) {
        chase(atof(argv[2]));
        return 0;
    }
    int l = 0;
    while (l < 5 && (argc < 4 || strcmp(argv[1], layout_names[l])))
        l++;
    if (argc < 4 || l == 5 || atoi(argv[2]) < 1) {
        fprintf(stderr, "usage: bench_layout today|dense|dense128|dense+cmd|dense+one SESSIONS "
                        "in-order|shuffled [--no-lookup] [--burst=K]\n       bench_layout chase MEGABYTES\n");
        return 2;
    }
    layout = (enum layout)l;
    size_t n = (size_t)atoi(argv[2]);
    bool shuffled = !strcmp(argv[3], "shuffled");
    bool lookup = true;
    size_t burst = 1;
    for (int a = 4; a < argc; a++) {
        if (!strcmp(argv[a], "--no-lookup"))
            lookup = false;
        else if (!strncmp(argv[a], "--burst=", 8) && atoi(argv[a] + 8) >= 1 &&
                 atoi(argv[a] + 8) <= 64)
            burst = (size_t)atoi(argv[a] + 8);
    }
    dense_size = layout == DENSE128 ? 2 * LINE : LINE;
    for (int i = 0; i < 4096; i++)
        machine[i] = (unsigned char)(i * 37);

    /* The host's records first, then the sessions' memory, as bench_runtime's host_open(). */
    uint64_t x = 0x9E3779B97F4A7C15ull;
    size_t slot_count = 64;
    while (n * 4 > slot_count * 3)
        slot_count *= 2;
    host_slot *slots = calloc(slot_count, sizeof(*slots));
    host_call **calls = malloc(sizeof(*calls) * n);
    for (size_t i = 0; i < n; i++) {
        host_call *c = calloc(1, sizeof(*c));
        unsigned char u[16];
        for (int k = 0; k < 16; k += 4) {
            uint32_t r = next_random(&x);
            memcpy(u + k, &r, 4);
        }
        snprintf(c->uuid, sizeof(c->uuid),
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                 u[15]);
        c->session = i;
        calls[i] = c;
        uint64_t h = hash_uuid(c->uuid);
        size_t at = h & (slot_count - 1);
        while (slots[at].call)
            at = (at + 1) & (slot_count - 1);
        slots[at] = (host_slot){h, c};
    }
    blocks = huge_zeroed(n * BLOCK);
    dense = huge_zeroed(n * dense_size);

    size_t *order = malloc(sizeof(*order) * n);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (shuffled)
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = next_random(&x) % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    char(*events)[40] = malloc(sizeof(*events) * n);
    for (size_t i = 0; i < n; i++)
        memcpy(events[i], calls[order[i]]->uuid, sizeof(events[i]));

    double stamp_cost = 0;
    for (int i = 0; i < 2000; i++) {
        double a = stamp();
        stamp_cost += stamp() - a;
    }
    stamp_cost /= 2000;

    size_t rounds = n >= 100000 ? 2 : 200000 / n;
    double runs[RUNS];
    uint64_t sink = 0;
    for (int r = 0; r < RUNS; r++) {
        double library = 0;
        long events_timed = 0;
        for (size_t round = 0; round < rounds; round++)
            for (size_t i = 0; i < n; i += burst) {
                size_t k_end = i + burst <= n ? burst : n - i, s[64];
                double a = stamp();
                for (size_t k = 0; k < k_end; k++)
                    s[k] = lookup ? host_find(slots, slot_count - 1, events[i + k]) : order[i + k];
                double b = stamp();
                if (burst > 1)
                    for (size_t k = 0; k < k_end; k++)
                        prefetch_session(s[k]);
                for (size_t k = 0; k < k_end; k++)
                    sink += hop(s[k]);
                double c = stamp();
                if (c - a < 50000.0 * (double)k_end) { /* not interrupted */
                    library += c - b - stamp_cost;
                    events_timed += (long)k_end;
                }
            }
        runs[r] = library / (double)events_timed;
    }
    qsort(runs, RUNS, sizeof(*runs), compare_double);
    char bursts[48] = "";
    if (burst > 1)
        snprintf(bursts, sizeof bursts, ", bursts of %zu", burst);
    printf("%-9s %6zu sessions %-8s%s%s %6.1f ns (%.1f to %.1f)%s\n", layout_names[layout], n,
           shuffled ? "shuffled" : "in order", lookup ? "" : ", no lookup", bursts, runs[RUNS / 2],
           runs[0], runs[RUNS - 1], sink == 1 ? " " : "");
    return 0;
}
