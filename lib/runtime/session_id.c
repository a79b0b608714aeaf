/*
 * Session ids. Idempotency keys are SESSION_ID-COMMAND_ID, so two calls that
 * shared an id would share keys, and a backend that honours them could
 * answer one caller with another's data (every session with neither a
 * session id nor a call id was "s-local"). A session the host names with
 * neither makes its id from randomness the host provides
 * (ivrsm_session_options.rand, like ngtcp2's rand callback), else the
 * operating system's.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/random.h>
#endif

#include "session.h"
#include "strmap.h"
#include "utf8.h"

#define ID_RANDOM_BYTES 16 /* 128 bits: no two calls share an id */

/* The operating system's random source; 0, or -1 when it has none to give. */
static int system_random(uint8_t *dest, size_t len)
{
#if defined(__linux__)
    size_t got = 0;
    while (got < len) {
        ssize_t n = getrandom(dest + got, len - got, GRND_NONBLOCK);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
    arc4random_buf(dest, len);
    return 0;
#else
    (void)dest;
    (void)len;
    return -1;
#endif
}

/*
 * Without randomness (no random source yet, early at boot): the time, the
 * process and the session's address, hashed. Unique between sessions alive
 * at once and across processes, though not unpredictable.
 */
static void fallback_bytes(const ivrsm_session *s, uint8_t *dest, size_t len)
{
    struct timespec real = {0}, mono = {0};
    clock_gettime(CLOCK_REALTIME, &real);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    uint64_t seed[5] = {(uint64_t)real.tv_sec, (uint64_t)real.tv_nsec, (uint64_t)mono.tv_nsec,
                        (uint64_t)getpid(), (uint64_t)(uintptr_t)s};
    for (size_t i = 0; i < len; i += 8) {
        seed[0] ^= i;
        uint64_t h = ivrsm_hash((const char *)seed, sizeof(seed));
        memcpy(dest + i, &h, len - i < 8 ? len - i : 8);
    }
}

void ivrsm_s_new_session_id(const ivrsm_session *s, const char *call_id, ivrsm_rand_fn rand,
                            void *rand_user, char *out, size_t cap)
{
    /* The host named the call: the session is named after it (replays and tests of a call
     * then see the same keys). Call ids are unique per call (FreeSWITCH's are UUIDs). */
    if (call_id) {
        snprintf(out, cap, "s-%s", call_id);
        return;
    }
    uint8_t r[ID_RANDOM_BYTES];
    int rc = rand ? rand(rand_user, r, sizeof(r)) : system_random(r, sizeof(r));
    if (rc != 0)
        fallback_bytes(s, r, sizeof(r));
    char hex[2 * ID_RANDOM_BYTES + 1];
    for (size_t i = 0; i < sizeof(r); i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    snprintf(out, cap, "s-%s", hex);
}

const char *ivrsm_s_id_problem(const char *id, const char *what, size_t max)
{
    static const char *const messages[2][3] = {
        {"call_id is longer than IVRSM_MAX_ID_BYTES (256 bytes)",
         "call_id holds a control character", "call_id is not UTF-8"},
        {"session_id is longer than IVRSM_MAX_ID_BYTES (256 bytes)",
         "session_id holds a control character", "session_id is not UTF-8"}};
    if (!id)
        return NULL;
    int which = strcmp(what, "call_id") ? 1 : 0;
    /* One pass: the length, a control character (the idempotency key is sent as a header
     * value: none may stand in it), a byte past ASCII (only then is UTF-8 checked); the
     * problems told in that order. */
    bool control = false, ascii = true;
    const unsigned char *p = (const unsigned char *)id;
    for (; *p; p++) {
        control |= *p < 0x20 || *p == 0x7f;
        ascii &= *p < 0x80;
    }
    size_t len = (size_t)(p - (const unsigned char *)id);
    if (len > max)
        return messages[which][0];
    if (control)
        return messages[which][1];
    if (!ascii && !ivrsm_utf8_valid(id, len))
        return messages[which][2];
    return NULL;
}

/* A restore refuses a longer session id right after setting it (snapshot.c): never used. */
_Static_assert(S_MAX_SESSION_ID_BYTES <= UINT16_MAX, "session_id_len holds the longest id");

int ivrsm_s_set_ids(ivrsm_session *s, const char *call_id, const char *session_id)
{
    size_t sl = strlen(session_id) + 1, cl = call_id ? strlen(call_id) + 1 : 0;
    char *ids = ivrsm_mem_malloc(s->mem, sl + cl);
    if (!ids)
        return IVRSM_ENOMEM;
    memcpy(ids, session_id, sl);
    if (call_id)
        memcpy(ids + sl, call_id, cl);
    s->session_id = ids;
    s->session_id_len = (uint16_t)(sl - 1); /* at most S_MAX_SESSION_ID_BYTES */
    s->call_id = call_id ? ids + sl : NULL;
    return 0;
}
