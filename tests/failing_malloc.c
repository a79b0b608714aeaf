/*
 * An LD_PRELOAD library that refuses one allocation of a running process:
 * the host binary as it ships, every allocation it makes (its own, the
 * library's, jansson's, libcurl's, the C library's) counted in the order it
 * is asked for, the chosen one refused. tests/esl/test_esl_oom.py sweeps it
 * over a host's whole life with calls (SQLite's malloc-failure testing, for
 * a process instead of a library call), and bindings/python/tests/test_oom.py and
 * bindings/node/test/oom.test.js over the library under each binding.
 *
 * glibc lets a program replace malloc (the manual's "Replacing malloc"):
 * malloc, free, calloc and realloc, with aligned_alloc, memalign and
 * posix_memalign beside them; the C library's own calls (strdup, fopen,
 * getaddrinfo...) then come here too. The library's pool maps its chunks
 * with mmap (lib/base/pool.c): an anonymous mmap is an allocation as well.
 *
 * Environment:
 *   IVRSM_FAIL_ALLOC_AT=N      refuse the N-th allocation counted (0 the first);
 *                              unset or negative: refuse none (count only)
 *   IVRSM_FAIL_ALLOC_FROM=connect  start counting at the first connect() (the
 *                              host's start-up, machine load included, is not
 *                              counted); unset: from the start of the process
 *   IVRSM_FAIL_ALLOC_REPORT=PATH   at exit, write "counted N refused R" there
 *   IVRSM_FAIL_ALLOC_TRACE=1   write the stack of the refused allocation on stderr
 *   IVRSM_FAIL_ALLOC_CALLERS=libivrsm.so,libjansson.so
 *                              count (and refuse) only the allocations asked for
 *                              directly by code of those loaded objects (a name is
 *                              matched anywhere in the object's path): the library
 *                              under a Python or Node binding, not the interpreter;
 *                              "(program)" names the program itself (the host's
 *                              binary, whose object has no path in the link map)
 *
 * A process that loads this library can drive it instead (ctypes, dlsym):
 *   failing_malloc_arm(n)      count from now, refuse the n-th (0 the next one)
 *   failing_malloc_disarm()    stop counting; returns how many were refused
 *   failing_malloc_counted()   allocations counted since the last arm
 *   failing_malloc_track()     from now on, remember the blocks the callers above
 *                              allocate until they are freed
 *   failing_malloc_live()      how many of those are still allocated (a leak check
 *                              once every object of the library is freed)
 *
 * With AddressSanitizer, this library comes first in LD_PRELOAD and
 * ASAN_OPTIONS has verify_asan_link_order=0: what it lets through goes on to
 * ASan's allocator (dlsym(RTLD_NEXT)), which still finds leaks and misuse.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

typedef void *(*malloc_fn)(size_t);
typedef void (*free_fn)(void *);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*aligned_alloc_fn)(size_t, size_t);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*connect_fn)(int, __CONST_SOCKADDR_ARG, socklen_t);

static malloc_fn real_malloc;
static free_fn real_free;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
static posix_memalign_fn real_posix_memalign;
static aligned_alloc_fn real_aligned_alloc;
static aligned_alloc_fn real_memalign;
static mmap_fn real_mmap;
static connect_fn real_connect;

static long fail_at = -1;
static bool counting;
static bool tracking;
static bool env_driven; /* counting starts by itself (at start, or at the first connect) */
static long counted;
static long refused;
static bool trace;
static char report_path[512];

/* dlsym() may itself call calloc before the real one is known: served from here, never freed. */
static char bootstrap[8192];
static size_t bootstrap_used;
static bool resolving;

static bool from_bootstrap(const void *p)
{
    return (const char *)p >= bootstrap && (const char *)p < bootstrap + sizeof(bootstrap);
}

static void *bootstrap_alloc(size_t n)
{
    size_t at = (bootstrap_used + 15) & ~(size_t)15;
    if (at + n > sizeof(bootstrap))
        return NULL;
    bootstrap_used = at + n;
    return bootstrap + at;
}

/* dlsym's object pointer into a function pointer (ISO C has no cast between the two). */
#define LOOKUP(fn, name)                                                                       \
    do {                                                                                       \
        void *found_ = dlsym(RTLD_NEXT, name);                                                 \
        memcpy(&(fn), &found_, sizeof(fn));                                                    \
    } while (0)

static void resolve(void)
{
    if (real_malloc || resolving)
        return;
    resolving = true;
    LOOKUP(real_free, "free");
    LOOKUP(real_calloc, "calloc");
    LOOKUP(real_realloc, "realloc");
    LOOKUP(real_posix_memalign, "posix_memalign");
    LOOKUP(real_aligned_alloc, "aligned_alloc");
    LOOKUP(real_memalign, "memalign");
    LOOKUP(real_mmap, "mmap");
    LOOKUP(real_connect, "connect");
    LOOKUP(real_malloc, "malloc");
    resolving = false;
}

/* ---------------------------------------------------------------------------
 * The callers counted: address ranges of the objects named in IVRSM_FAIL_ALLOC_CALLERS
 * ------------------------------------------------------------------------- */

#define MAX_RANGES 32
static char callers[512]; /* comma-separated names; empty: every caller */
static struct {
    uintptr_t start, end;
} ranges[MAX_RANGES];
static int range_count;

static bool named(const char *path)
{
    char list[sizeof(callers)];
    memcpy(list, callers, sizeof(list));
    for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
         name = strtok_r(NULL, ",", &save))
        if (*name && strstr(path, name))
            return true;
    return false;
}

static int add_ranges(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    /* The program comes first in the link map, with an empty name. */
    bool program = info->dlpi_name && !info->dlpi_name[0] && named("(program)");
    if (!info->dlpi_name || (!program && !named(info->dlpi_name)))
        return 0;
    for (int i = 0; i < info->dlpi_phnum && range_count < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            ranges[range_count].start = info->dlpi_addr + ph->p_vaddr;
            ranges[range_count].end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            range_count++;
        }
    }
    return 0;
}

/* The objects are looked for again at each arm and track: a binding loads them late. */
static void find_callers(void)
{
    if (!callers[0])
        return;
    range_count = 0;
    dl_iterate_phdr(add_ranges, NULL);
}

/* Whether an allocation asked for from address `from` is one of those counted. */
static bool watched(const void *from)
{
    if (!callers[0])
        return true;
    uintptr_t a = (uintptr_t)from;
    for (int i = 0; i < range_count; i++)
        if (a >= ranges[i].start && a < ranges[i].end)
            return true;
    return false;
}

/* ---------------------------------------------------------------------------
 * The blocks of the watched callers still allocated (failing_malloc_track)
 * ------------------------------------------------------------------------- */

#define TRACK_SLOTS (1u << 20) /* open addressing, linear probing; 8 MiB of zeroes */
static uintptr_t tracked[TRACK_SLOTS];
static long tracked_live;
static int track_lock;

static void lock(void)
{
    while (__atomic_exchange_n(&track_lock, 1, __ATOMIC_ACQUIRE))
        ;
}

static void unlock(void)
{
    __atomic_store_n(&track_lock, 0, __ATOMIC_RELEASE);
}

static size_t slot_of(uintptr_t p)
{
    return (size_t)((p >> 4) * 0x9E3779B97F4A7C15ull >> 44) & (TRACK_SLOTS - 1);
}

static void track_add(void *p)
{
    if (!p)
        return;
    lock();
    if (tracked_live < (long)(TRACK_SLOTS / 2)) {
        size_t i = slot_of((uintptr_t)p);
        while (tracked[i] && tracked[i] != (uintptr_t)p)
            i = (i + 1) & (TRACK_SLOTS - 1);
        if (!tracked[i]) {
            tracked[i] = (uintptr_t)p;
            tracked_live++;
        }
    }
    unlock();
}

/* Linear probing's deletion: the entries after the hole that belong before it move back. */
static void track_remove(void *p)
{
    if (!p || !__atomic_load_n(&tracking, __ATOMIC_RELAXED))
        return;
    lock();
    size_t i = slot_of((uintptr_t)p);
    while (tracked[i] && tracked[i] != (uintptr_t)p)
        i = (i + 1) & (TRACK_SLOTS - 1);
    if (tracked[i]) {
        tracked[i] = 0;
        tracked_live--;
        for (size_t j = (i + 1) & (TRACK_SLOTS - 1); tracked[j]; j = (j + 1) & (TRACK_SLOTS - 1)) {
            size_t home = slot_of(tracked[j]);
            /* Move it into the hole when its home is not between the hole and it. */
            bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
            if (!stays) {
                tracked[i] = tracked[j];
                tracked[j] = 0;
                i = j;
            }
        }
    }
    unlock();
}

static void write_stack(void)
{
    void *frames[48];
    int n = backtrace(frames, 48);
    static const char head[] = "failing_malloc: refused this allocation:\n";
    if (write(2, head, sizeof(head) - 1) < 0)
        return;
    backtrace_symbols_fd(frames, n, 2);
}

/* Whether the allocation asked for now, from `from`, is refused. */
static bool refuse(const void *from)
{
    if (!__atomic_load_n(&counting, __ATOMIC_RELAXED) || !watched(from))
        return false;
    long n = __atomic_fetch_add(&counted, 1, __ATOMIC_RELAXED);
    if (n != fail_at)
        return false;
    __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
    if (trace)
        write_stack();
    return true;
}

/* A block given to `from`: remembered when tracking and `from` is watched. */
static void *given(void *p, const void *from)
{
    if (p && __atomic_load_n(&tracking, __ATOMIC_RELAXED) && watched(from))
        track_add(p);
    return p;
}

#define CALLER __builtin_return_address(0)

void *malloc(size_t n)
{
    resolve();
    if (!real_malloc)
        return bootstrap_alloc(n);
    return refuse(CALLER) ? NULL : given(real_malloc(n), CALLER);
}

void free(void *p)
{
    if (!p || from_bootstrap(p))
        return;
    resolve();
    track_remove(p);
    real_free(p);
}

void *calloc(size_t count, size_t size)
{
    resolve();
    if (!real_calloc) {
        if (size && count > (size_t)-1 / size)
            return NULL;
        return bootstrap_alloc(count * size); /* static: zeroed */
    }
    return refuse(CALLER) ? NULL : given(real_calloc(count, size), CALLER);
}

void *realloc(void *p, size_t n)
{
    resolve();
    if (from_bootstrap(p)) {
        void *q = malloc(n);
        if (q)
            memcpy(q, p, n < sizeof(bootstrap) - (size_t)((char *)p - bootstrap)
                             ? n
                             : sizeof(bootstrap) - (size_t)((char *)p - bootstrap));
        return q;
    }
    if (refuse(CALLER))
        return NULL;
    void *q = real_realloc(p, n);
    if (q && p) {
        /* Moved or not, the block is q now; it stays tracked if p was (or if CALLER is watched). */
        bool was = false;
        if (__atomic_load_n(&tracking, __ATOMIC_RELAXED)) {
            long before = tracked_live;
            track_remove(p);
            was = tracked_live != before;
        }
        if (was)
            track_add(q);
        else
            given(q, CALLER);
        return q;
    }
    return given(q, CALLER);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    resolve();
    if (refuse(CALLER))
        return 12; /* ENOMEM */
    int rc = real_posix_memalign(out, align, n);
    if (rc == 0)
        given(*out, CALLER);
    return rc;
}

void *aligned_alloc(size_t align, size_t n)
{
    resolve();
    return refuse(CALLER) ? NULL : given(real_aligned_alloc(align, n), CALLER);
}

void *memalign(size_t align, size_t n)
{
    resolve();
    return refuse(CALLER) ? NULL : given(real_memalign(align, n), CALLER);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    resolve();
    if ((flags & MAP_ANONYMOUS) && refuse(CALLER))
        return MAP_FAILED;
    return real_mmap(addr, len, prot, flags, fd, off);
}

int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
    resolve();
    if (env_driven)
        __atomic_store_n(&counting, true, __ATOMIC_RELAXED);
    return real_connect(fd, addr, len);
}

__attribute__((constructor)) static void failing_malloc_init(void)
{
    resolve();
    const char *at = getenv("IVRSM_FAIL_ALLOC_AT");
    if (at && *at)
        fail_at = strtol(at, NULL, 10);
    const char *from = getenv("IVRSM_FAIL_ALLOC_FROM");
    const char *t = getenv("IVRSM_FAIL_ALLOC_TRACE");
    trace = t && *t == '1';
    if (trace) {
        void *warm[1];
        backtrace(warm, 1); /* loads libgcc now, not inside a refused allocation */
    }
    const char *report = getenv("IVRSM_FAIL_ALLOC_REPORT");
    if (report)
        snprintf(report_path, sizeof(report_path), "%s", report);
    const char *names = getenv("IVRSM_FAIL_ALLOC_CALLERS");
    if (names)
        snprintf(callers, sizeof(callers), "%s", names);
    find_callers();
    /* Without IVRSM_FAIL_ALLOC_AT or _REPORT, the process drives it: failing_malloc_arm(). */
    env_driven = (at && *at) || report;
    counting = env_driven && !(from && !strcmp(from, "connect"));
}

/* ---------------------------------------------------------------------------
 * Driven from inside the process
 * ------------------------------------------------------------------------- */

__attribute__((visibility("default"))) void failing_malloc_arm(long n)
{
    find_callers();
    __atomic_store_n(&counting, false, __ATOMIC_RELAXED);
    counted = 0;
    refused = 0;
    fail_at = n;
    __atomic_store_n(&counting, true, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) long failing_malloc_disarm(void)
{
    __atomic_store_n(&counting, false, __ATOMIC_RELAXED);
    return __atomic_load_n(&refused, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) long failing_malloc_counted(void)
{
    return __atomic_load_n(&counted, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) void failing_malloc_track(void)
{
    find_callers();
    __atomic_store_n(&tracking, true, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) long failing_malloc_live(void)
{
    lock();
    long n = tracked_live;
    unlock();
    return n;
}

__attribute__((destructor)) static void failing_malloc_report(void)
{
    if (!report_path[0])
        return;
    int fd = open(report_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return;
    char line[96];
    int n = snprintf(line, sizeof(line), "counted %ld refused %ld\n",
                     __atomic_load_n(&counted, __ATOMIC_RELAXED),
                     __atomic_load_n(&refused, __ATOMIC_RELAXED));
    if (n > 0 && write(fd, line, (size_t)n) < 0)
        n = 0;
    close(fd);
}
