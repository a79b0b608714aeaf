/*
 * An LD_PRELOAD library that makes libcurl lose a transfer: the N-th
 * completion libcurl reports (a CURLMSG_DONE message of
 * curl_multi_info_read) is swallowed, as if the transfer never ended. The
 * transfer's handle stays on the multi handle and its timeout has already
 * been spent, so nothing of libcurl's will ever report it again: what
 * libcurl 7.88 does to a transfer when one of its allocations is refused at
 * the wrong place (examples/esl_host/README.md, "A limit: libcurl itself").
 * tests/esl/test_esl_deadline.py runs the ESL host as it ships with this
 * library preloaded: the host's own deadline must answer the call.
 *
 * curl_multi_info_read() is the one way the multi interface says a transfer
 * ended (lib/multi.c, curl/curl): the message is taken off libcurl's queue
 * when read, so a message not passed on is lost for good.
 *
 * Environment:
 *   IVRSM_WITHHOLD_CURL_DONE=N   swallow the N-th completion (1 the first);
 *                                unset or 0: pass every one on
 *   IVRSM_WITHHOLD_CURL_REPORT=PATH  at exit, write "completions N withheld W"
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef CURLMsg *(*info_read_fn)(CURLM *multi, int *msgs_in_queue);

static long completions;
static long withheld;

static void report(void)
{
    const char *path = getenv("IVRSM_WITHHOLD_CURL_REPORT");
    if (!path)
        return;
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "completions %ld withheld %ld\n", completions, withheld);
    fclose(f);
}

CURLMsg *curl_multi_info_read(CURLM *multi, int *msgs_in_queue)
{
    static info_read_fn real;
    static long target = -1;
    if (!real) {
        *(void **)&real = dlsym(RTLD_NEXT, "curl_multi_info_read"); /* POSIX's way */
        const char *n = getenv("IVRSM_WITHHOLD_CURL_DONE");
        target = n ? atol(n) : 0;
        atexit(report);
    }
    for (;;) {
        CURLMsg *msg = real(multi, msgs_in_queue);
        if (!msg || msg->msg != CURLMSG_DONE)
            return msg;
        if (++completions != target)
            return msg;
        withheld++; /* lost: read the next one in its place */
    }
}
