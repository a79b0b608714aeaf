/*
 * Fuzz target: the HTTP result path, from the bytes a backend sends back to
 * the session that takes them.
 *
 * A server of the target's own on 127.0.0.1 (an ephemeral port) answers each
 * request with the input's bytes, whatever they are (status line, headers,
 * body, chunks, or anything else), and closes the connection. The HTTP
 * adapter (libcurl, lib/adapters) sends one of the seed machine's requests
 * (the first byte picks which of the nine along its happy path, each saved
 * at init as the snapshot of a session waiting for it), its result becomes
 * an event (ivrsm_http_result_event) and the session takes it.
 *
 * Invariants: the adapter calls back once, for the command sent; a result
 * either failed (status 0 and an error) or came back (a status from 100 to
 * 599); a 2xx without error has a JSON body, "invalid JSON" is a 2xx whose
 * body is not (or nests deeper than IVRSM_MAX_DEPTH); the body is within the adapter's bound and
 * NUL-terminated at body_len; the session takes the event (0), then waits for something or has
 * ended; it saves to a snapshot that restores to the very same snapshot (one
 * input in SAVED_EVERY).
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "ivrsm/http_curl.h"
#include "ivrsm/ivrsm.h"

#ifndef IVRSM_FUZZ_SEED_MACHINE
#define IVRSM_FUZZ_SEED_MACHINE "examples/synergia_rdv/machine.yaml"
#endif

#define PENDING_MAX 16
/* One input in SAVED_EVERY (by its hash, so an input always runs the same way) saves the
 * session after the answer and restores it: two snapshots and a restore cost twice the rest
 * of an input (the adapter, libcurl and the loopback connection included). */
#define SAVED_EVERY 4

static ivrsm_machine *machine;
static ivrsm_http *http;
static char *pending[PENDING_MAX]; /* snapshots of sessions waiting for an http result */
static size_t pending_count;

/* What the server answers with: the current input. */
static pthread_mutex_t answer_lock = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t *answer;
static size_t answer_len;

/* ---- the backend ---------------------------------------------------------------------- */

/* Read a request's head and as much body as its Content-Length says (no 100-continue wait). */
static void read_request(int fd)
{
    char buf[16384];
    size_t len = 0;
    char *end = NULL;
    while (!end && len < sizeof(buf) - 1) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end)
        return;
    size_t body = 0;
    for (char *h = strstr(buf, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n")) {
        if (!strncasecmp(h + 2, "Content-Length:", 15))
            body = strtoul(h + 17, NULL, 10);
        if (!strncasecmp(h + 2, "Expect:", 7))
            return; /* answered at once, as a server that refuses to wait */
    }
    size_t have = len - (size_t)(end + 4 - buf);
    while (have < body) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            return;
        have += (size_t)n;
    }
}

static void *serve(void *arg)
{
    int listener = *(int *)arg;
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0)
            continue;
        read_request(fd);
        pthread_mutex_lock(&answer_lock);
        size_t off = 0;
        while (off < answer_len) {
            ssize_t n = send(fd, answer + off, answer_len - off, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        pthread_mutex_unlock(&answer_lock);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
    return NULL;
}

static int start_backend(void)
{
    static int listener;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    FUZZ_CHECK(listener >= 0 && bind(listener, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                   listen(listener, 64) == 0 &&
                   getsockname(listener, (struct sockaddr *)&a, &alen) == 0,
               "cannot listen on 127.0.0.1");
    pthread_t t;
    FUZZ_CHECK(pthread_create(&t, NULL, serve, &listener) == 0, "no server thread");
    pthread_detach(t);
    return ntohs(a.sin_port);
}

/* ---- sessions waiting for a result ------------------------------------------------------- */

static const char *const happy_path[] = {
    "1", "0612345678#", "123456",         "oui", "2",        "le premier", "je veux déplacer",
    "1", "en visio",    "lundi prochain", "2",   "partager", NULL,
};

/* The seed's backend, as tests/call_driver.c answers it. */
static const char *canned(const char *endpoint)
{
    static const char *const answers[][2] = {
        {"verify_otp", "{\"session_token\":\"tok\",\"partner_id\":42}"},
        {"list_appointments",
         "{\"count\":2,\"appointments\":[{\"id\":\"apt-1\"},{\"id\":\"apt-2\"}],"
         "\"summary_voice\":\"Premier rendez-vous : jeudi.\"}"},
        {"get_appointment", "{\"id\":\"apt-1\",\"voice_detail\":\"Jeudi, au cabinet.\"}"},
        {"get_proposals", "{\"slots\":[{\"id\":\"s-1\",\"voice_label\":\"lundi\"},"
                          "{\"id\":\"s-2\",\"voice_label\":\"mardi\"}]}"},
    };
    for (size_t i = 0; endpoint && i < sizeof(answers) / sizeof(answers[0]); i++)
        if (!strcmp(answers[i][0], endpoint))
            return answers[i][1];
    return "{\"ok\":true}";
}

static void keep_pending(ivrsm_session *s)
{
    char *snap = NULL;
    FUZZ_CHECK(ivrsm_session_snapshot(s, &snap) == 0, "snapshot");
    if (pending_count < PENDING_MAX)
        pending[pending_count++] = snap;
    else
        ivrsm_free(snap);
}

/* Drain; answer the backend's requests (after saving the session waiting for each). */
static void drain(ivrsm_session *s)
{
    for (;;) {
        const ivrsm_command *c, *http_cmd = NULL;
        while ((c = ivrsm_session_next_command(s)) != NULL)
            if (c->type == IVRSM_COMMAND_HTTP)
                http_cmd = c;
        if (!http_cmd)
            return;
        keep_pending(s);
        ivrsm_event ev = IVRSM_EVENT_INIT;
        ev.type = IVRSM_EVENT_ACTION_RESULT;
        ev.command_id = http_cmd->id;
        ev.status = 200;
        ev.body = canned(http_cmd->http.endpoint);
        FUZZ_CHECK(ivrsm_session_feed(s, &ev) == 0, "canned answer refused");
    }
}

static ivrsm_session_options options(void)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.call_id = "fuzz-call";
    o.session_id = "fuzz-http";
    return o;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ivrsm_error err;
    if (ivrsm_machine_load_file(IVRSM_FUZZ_SEED_MACHINE, IVRSM_FORMAT_AUTO, &machine, &err) != 0) {
        fprintf(stderr, "%s: %s\n", IVRSM_FUZZ_SEED_MACHINE, err.message);
        abort();
    }
    ivrsm_session_options o = options();
    ivrsm_session *s = NULL;
    FUZZ_CHECK(ivrsm_session_new(machine, &o, &s, NULL) == 0 && ivrsm_session_start(s) == 0,
               "seed session");
    drain(s);
    for (const char *const *line = happy_path; *line && !ivrsm_session_ended(s); line++) {
        ivrsm_event ev = IVRSM_EVENT_INIT;
        ev.type = (*line)[0] >= '0' && (*line)[0] <= '9' ? IVRSM_EVENT_DTMF : IVRSM_EVENT_SPEECH;
        ev.text = *line;
        ev.confidence = -1;
        FUZZ_CHECK(ivrsm_session_feed(s, &ev) == 0, "seed event '%s' refused", *line);
        drain(s);
    }
    ivrsm_session_free(s);
    FUZZ_CHECK(pending_count >= 5, "only %zu requests on the seed's happy path", pending_count);

    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", start_backend());
    ivrsm_http_options ho = IVRSM_HTTP_OPTIONS_INIT;
    ho.base_url = base;
    ho.timeout_ms = 2000; /* every answer ends with the connection: never reached */
    FUZZ_CHECK(ivrsm_http_new(&ho, &http) == 0, "adapter");
    return 0;
}

/* ---- one input --------------------------------------------------------------------------- */

typedef struct outcome {
    ivrsm_session *s;
    uint64_t command_id;
    int calls;
    int fed;
} outcome;

/* Nesting of objects and arrays, strings skipped. */
static int depth_of(const char *p, size_t len)
{
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (in_string) {
            if (p[i] == '\\')
                i++;
            else if (p[i] == '"')
                in_string = false;
        } else if (p[i] == '"') {
            in_string = true;
        } else if (p[i] == '{' || p[i] == '[') {
            deepest = ++depth > deepest ? depth : deepest;
        } else if (p[i] == '}' || p[i] == ']') {
            depth--;
        }
    }
    return deepest;
}

/* JSON a session takes: what jansson reads, nested no deeper than IVRSM_MAX_DEPTH. */
static bool is_json(const char *body, size_t len)
{
    if (depth_of(body, len) > IVRSM_MAX_DEPTH)
        return false;
    json_t *j = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    json_decref(j);
    return j != NULL;
}

static void on_result(void *user, const ivrsm_http_result *r)
{
    outcome *o = user;
    o->calls++;
    FUZZ_CHECK(r->command_id == o->command_id, "result for %llu, sent %llu",
               (unsigned long long)r->command_id, (unsigned long long)o->command_id);
    FUZZ_CHECK(r->body && r->body[r->body_len] == '\0', "body not NUL-terminated at its length");
    FUZZ_CHECK(r->body_len <= IVRSM_HTTP_DEFAULT_MAX_RESPONSE, "body of %zu bytes", r->body_len);
    bool invalid_json = r->error && !strcmp(r->error, "invalid JSON");
    if (r->status == 0) {
        FUZZ_CHECK(r->error && !invalid_json && r->body_len == 0,
                   "a failed transfer without its error, or with a body");
    } else {
        FUZZ_CHECK(r->status >= 100 && r->status <= 599, "status %d", r->status);
        FUZZ_CHECK(!r->error || invalid_json, "status %d with error %s", r->status, r->error);
        bool ok = r->status >= 200 && r->status < 300;
        if (ok && r->body_len)
            FUZZ_CHECK(invalid_json != is_json(r->body, r->body_len),
                       "a 2xx body %s JSON, error %s", invalid_json ? "is" : "is not",
                       r->error ? r->error : "none");
        else
            FUZZ_CHECK(!invalid_json, "invalid JSON said of a %d", r->status);
    }
    ivrsm_event ev;
    FUZZ_CHECK(ivrsm_http_result_event(r, &ev) == 0, "no event for a result");
    int rc = ivrsm_session_feed(o->s, &ev);
    FUZZ_CHECK(rc == 0, "the session refused the answer to its request: %s", ivrsm_strerror(rc));
    o->fed = 1;
}

static uint32_t input_hash(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

/* The session saves to a snapshot that restores to the very same snapshot. */
static void check_saved(const ivrsm_session *s, const ivrsm_session_options *so)
{
    char *snap = NULL, *again = NULL;
    ivrsm_session *back = NULL;
    FUZZ_CHECK(ivrsm_session_snapshot(s, &snap) == 0 &&
                   ivrsm_session_restore(machine, snap, so, &back, NULL) == 0 &&
                   ivrsm_session_snapshot(back, &again) == 0 && !strcmp(snap, again),
               "the session after the answer does not save and restore as itself");
    ivrsm_free(snap);
    ivrsm_free(again);
    ivrsm_session_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ivrsm_session_options so = options();
    outcome o = {0};
    FUZZ_CHECK(ivrsm_session_restore(machine, pending[data[0] % pending_count], &so, &o.s, NULL) ==
                   0,
               "restore");
    const ivrsm_command *cmd = ivrsm_session_pending_command(o.s);
    FUZZ_CHECK(cmd && cmd->type == IVRSM_COMMAND_HTTP, "no request pending");
    o.command_id = cmd->id;
    pthread_mutex_lock(&answer_lock);
    answer = data + 1;
    answer_len = size - 1;
    pthread_mutex_unlock(&answer_lock);
    FUZZ_CHECK(ivrsm_http_submit(http, cmd, on_result, &o) == 0, "request refused");
    while (ivrsm_http_run(http, 1000) > 0)
        ;
    FUZZ_CHECK(o.calls == 1 && o.fed, "the adapter called back %d times", o.calls);

    /* The session moved on: it waits for something, or the call has ended. */
    const ivrsm_command *c, *last = NULL;
    while ((c = ivrsm_session_next_command(o.s)) != NULL)
        last = c;
    FUZZ_CHECK(ivrsm_session_ended(o.s) ||
                   (last && last->type != IVRSM_COMMAND_SAY && last->type != IVRSM_COMMAND_HANGUP),
               "the call goes on waiting for nothing (state %s)", ivrsm_session_state(o.s));
    if (input_hash(data, size) % SAVED_EVERY == 0)
        check_saved(o.s, &so);
    ivrsm_session_free(o.s);
    return 0;
}
