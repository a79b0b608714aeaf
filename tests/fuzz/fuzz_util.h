/*
 * Shared pieces of the fuzz targets: the libFuzzer entry points, invariant
 * checks that abort with a message (so the fuzzer records the input), and a
 * reader that turns the fuzzer's bytes into small decisions.
 */
#ifndef IVRSM_FUZZ_UTIL_H
#define IVRSM_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry point every target defines (libFuzzer's interface). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time setup; the standalone replayer calls it when a target defines it. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * An invariant of the library that must hold for every input. A failure
 * aborts, which both libFuzzer and the corpus replayer report as a crash
 * with this message on stderr.
 */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/*
 * Code of a target's own that reads every byte the library writes (its JSON
 * checks, its comparisons of snapshots): no coverage instrumentation, and
 * not inlined into code that has it. Its edges tell the mutator nothing of
 * the input, and counting them was paid for every byte.
 */
#if defined(__clang__) && defined(IVRSM_LIBFUZZER)
#define FUZZ_PLAIN __attribute__((noinline, no_sanitize("coverage")))
#else
#define FUZZ_PLAIN
#endif

/*
 * Whether two strings are equal, out of libFuzzer's sight: its strcmp()
 * interceptor hands every comparison to the mutator's tables, reading the
 * strings whole (a snapshot is kilobytes), and a target's comparisons of
 * what the library wrote tell the mutator nothing about the input. Where
 * nothing intercepts strcmp() (a binary linked without the interceptors,
 * FUZZ_NO_INTERCEPTORS: fuzz_session; the corpus replayers), the C
 * library's, which compares a word at a time.
 */
FUZZ_PLAIN static inline int fuzz_str_eq(const char *a, const char *b)
{
#if defined(FUZZ_NO_INTERCEPTORS) || !defined(IVRSM_LIBFUZZER)
    return strcmp(a, b) == 0; /* nobody intercepts it here: the C library's, word by word */
#else
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
#endif
}

/*
 * 1 in a libFuzzer binary: the costliest checks run on a share of the
 * inputs (by their hash). 0 in the corpus replayer, not pressed for time,
 * which runs every check on every input: a kept input then fails the check
 * it was kept for, whatever the shares become.
 */
#ifdef IVRSM_LIBFUZZER
#define FUZZ_SAMPLED 1
#else
#define FUZZ_SAMPLED 0
#endif

/* The fuzzer's bytes, read front to back; reads past the end give zeros. */
typedef struct fuzz_reader {
    const uint8_t *data;
    size_t size;
    size_t pos;
} fuzz_reader;

static inline int fuzz_more(const fuzz_reader *r)
{
    return r->pos < r->size;
}

static inline uint8_t fuzz_byte(fuzz_reader *r)
{
    return r->pos < r->size ? r->data[r->pos++] : 0;
}

/*
 * Up to `max` raw bytes (the count is read first), copied to a new
 * NUL-terminated string; embedded NULs end the string early, as they would
 * for a host handing the library C strings.
 */
static inline char *fuzz_bytes(fuzz_reader *r, size_t max, size_t *len)
{
    size_t n = fuzz_byte(r);
    if (n > max)
        n = max;
    if (n > r->size - r->pos)
        n = r->size - r->pos;
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, r->data + r->pos, n);
    s[n] = '\0';
    r->pos += n;
    if (len)
        *len = n;
    return s;
}

/* A NUL-terminated copy of a whole buffer (the library's C-string inputs). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
