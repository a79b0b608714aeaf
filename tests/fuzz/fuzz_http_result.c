/*
 * Fuzz target: the HTTP result path, from the bytes a backend sends back to
 * the session that takes them.
 *
 * A server of the target's own on 127.0.0.1 (an ephemeral port) answers each
 * request with the input's bytes, whatever they are (status line, headers,
 * body, chunks, or anything else), and closes the connection. It runs in the
 * target's one thread, in the event loop that drives the HTTP adapter
 * through its socket and timer hooks (as the ESL host drives it). The HTTP
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
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
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

/* ---- the backend and the loop ------------------------------------------------------------
 *
 * One thread runs the backend and the adapter, as a host's event loop runs the adapter
 * (examples/esl_host/loop.c): one poll() over the backend's socket and the descriptors the
 * adapter's socket hook names, the adapter's timer as poll's timeout. The backend answers
 * every connection with the current input and closes it, whether or not the request came
 * whole; nothing sleeps, and no other thread has to be woken (waking a server thread and
 * waiting for it was half of each input's time).
 */

/* What the backend answers with: the current input. */
static const uint8_t *answer;
static size_t answer_len;

typedef enum backend_phase { BACKEND_ACCEPT, BACKEND_READ, BACKEND_WRITE } backend_phase;

typedef struct backend {
    int listener;
    int conn; /* the connection being answered, or -1 */
    backend_phase phase;
    char head[16384]; /* the request's head, NUL-terminated */
    size_t head_len;
    size_t body_left; /* request body bytes still to read, once the head is in */
    bool head_done;
    size_t sent;
} backend;

static backend be = {.listener = -1, .conn = -1};

static void backend_close(void)
{
    shutdown(be.conn, SHUT_WR);
    close(be.conn);
    be.conn = -1;
    be.phase = BACKEND_ACCEPT;
}

/* The head is in: how much body follows (no 100-continue wait: an Expect is answered at once). */
static void backend_head_read(char *end)
{
    be.head_done = true;
    be.body_left = 0;
    for (char *h = strstr(be.head, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n")) {
        if (!strncasecmp(h + 2, "Content-Length:", 15))
            be.body_left = strtoul(h + 17, NULL, 10);
        if (!strncasecmp(h + 2, "Expect:", 7)) {
            be.body_left = 0;
            return;
        }
    }
    size_t have = be.head_len - (size_t)(end + 4 - be.head);
    be.body_left = have >= be.body_left ? 0 : be.body_left - have;
}

/* Read what the request sent; answer once it is whole, or the client stopped sending. */
static void backend_read(void)
{
    char sink[4096];
    for (;;) {
        char *into = be.head_done ? sink : be.head + be.head_len;
        size_t room = be.head_done ? sizeof(sink) : sizeof(be.head) - 1 - be.head_len;
        ssize_t n = read(be.conn, into, room);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; /* more later */
        if (n <= 0) {
            be.phase = BACKEND_WRITE; /* closed or failed: answered anyway, as before */
            return;
        }
        if (be.head_done) {
            be.body_left = (size_t)n >= be.body_left ? 0 : be.body_left - (size_t)n;
        } else {
            be.head_len += (size_t)n;
            be.head[be.head_len] = '\0';
            char *end = strstr(be.head, "\r\n\r\n");
            if (end)
                backend_head_read(end);
            else if (be.head_len == sizeof(be.head) - 1)
                be.phase = BACKEND_WRITE; /* a head this long is answered as it stands */
        }
        if (be.head_done && be.body_left == 0)
            be.phase = BACKEND_WRITE;
        if (be.phase == BACKEND_WRITE)
            return;
    }
}

static void backend_write(void)
{
    while (be.sent < answer_len) {
        ssize_t n = send(be.conn, answer + be.sent, answer_len - be.sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0)
            break;
        be.sent += (size_t)n;
    }
    backend_close();
}

/* One step of the backend when its descriptor is ready. */
static void backend_step(void)
{
    switch (be.phase) {
    case BACKEND_ACCEPT:
        be.conn = accept(be.listener, NULL, NULL);
        if (be.conn < 0)
            return;
        fcntl(be.conn, F_SETFL, O_NONBLOCK);
        be.phase = BACKEND_READ;
        be.head_len = 0;
        be.head[0] = '\0';
        be.head_done = false;
        be.body_left = 0;
        be.sent = 0;
        backend_read();
        break;
    case BACKEND_READ:
        backend_read();
        break;
    case BACKEND_WRITE:
        break;
    }
    if (be.phase == BACKEND_WRITE)
        backend_write();
}

static int start_backend(void)
{
    be.listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    FUZZ_CHECK(be.listener >= 0 && bind(be.listener, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                   listen(be.listener, 64) == 0 &&
                   getsockname(be.listener, (struct sockaddr *)&a, &alen) == 0 &&
                   fcntl(be.listener, F_SETFL, O_NONBLOCK) == 0,
               "cannot listen on 127.0.0.1");
    return ntohs(a.sin_port);
}

/* What the adapter asked the loop to watch (its socket hook), and its timer. */
#define WATCHED_MAX 16
static struct watched {
    int fd;
    short events;
} watched[WATCHED_MAX];
static size_t watched_count;
static double timer_due_ms = -1; /* monotonic time the timer expires at, or -1 */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int on_socket(void *loop_user, int fd, ivrsm_http_poll what, void *fd_user)
{
    (void)loop_user;
    (void)fd_user;
    size_t i = 0;
    while (i < watched_count && watched[i].fd != fd)
        i++;
    if (what == IVRSM_HTTP_POLL_REMOVE) {
        if (i < watched_count)
            watched[i] = watched[--watched_count];
        return 0;
    }
    if (i == watched_count) {
        FUZZ_CHECK(watched_count < WATCHED_MAX, "the adapter watches %zu descriptors",
                   watched_count + 1);
        watched_count++;
    }
    watched[i].fd = fd;
    watched[i].events = (short)(((what & IVRSM_HTTP_POLL_IN) ? POLLIN : 0) |
                                ((what & IVRSM_HTTP_POLL_OUT) ? POLLOUT : 0));
    return 0;
}

static int on_timer(void *loop_user, long timeout_ms)
{
    (void)loop_user;
    timer_due_ms = timeout_ms < 0 ? -1 : now_ms() + (double)timeout_ms;
    return 0;
}

static int adapter_events(short revents)
{
    return ((revents & (POLLIN | POLLHUP)) ? IVRSM_HTTP_EV_IN : 0) |
           ((revents & POLLOUT) ? IVRSM_HTTP_EV_OUT : 0) |
           ((revents & (POLLERR | POLLNVAL)) ? IVRSM_HTTP_EV_ERR : 0);
}

/* Run the backend and the adapter until *done is set. */
static void run_loop(const int *done)
{
    while (!*done) {
        struct pollfd fds[WATCHED_MAX + 1];
        fds[0].fd = be.phase == BACKEND_ACCEPT ? be.listener : be.conn;
        fds[0].events = be.phase == BACKEND_WRITE ? POLLOUT : POLLIN;
        size_t n = 1;
        for (size_t i = 0; i < watched_count; i++, n++)
            fds[n] = (struct pollfd){.fd = watched[i].fd, .events = watched[i].events};
        int timeout = -1;
        if (timer_due_ms >= 0) {
            double left = timer_due_ms - now_ms();
            timeout = left <= 0 ? 0 : (int)left + 1;
        }
        FUZZ_CHECK(timeout >= 0 || n > 1 || be.phase != BACKEND_ACCEPT,
                   "the adapter waits for nothing before its answer");
        int ready = poll(fds, (nfds_t)n, timeout);
        FUZZ_CHECK(ready >= 0 || errno == EINTR, "poll: %s", strerror(errno));
        if (ready > 0 && fds[0].revents)
            backend_step();
        for (size_t i = 1; ready > 0 && i < n; i++)
            if (fds[i].revents)
                ivrsm_http_socket_action(http, fds[i].fd, adapter_events(fds[i].revents));
        if (timer_due_ms >= 0 && now_ms() >= timer_due_ms) {
            timer_due_ms = -1;
            ivrsm_http_socket_action(http, -1, 0);
        }
    }
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

/* Drain; answer the backend's requests (after saving the session waiting for each). A pulled
 * command is valid only until the next pull, so what the answer needs is taken at once. */
static void drain(ivrsm_session *s)
{
    for (;;) {
        const ivrsm_command *c;
        bool awaits = false;
        uint64_t id = 0;
        const char *body = NULL;
        while ((c = ivrsm_session_next_command(s)) != NULL)
            if (c->type == IVRSM_COMMAND_HTTP) {
                awaits = true;
                id = c->id;
                body = canned(c->http.endpoint);
            }
        if (!awaits)
            return;
        keep_pending(s);
        ivrsm_event ev = IVRSM_EVENT_INIT;
        ev.type = IVRSM_EVENT_ACTION_RESULT;
        ev.command_id = id;
        ev.status = 200;
        ev.body = body;
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
    ho.socket_hook = on_socket;
    ho.timer_hook = on_timer;
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

/* JSON a session takes: what jansson reads, nested no deeper than IVRSM_MAX_DEPTH,
 * without a NUL byte. jansson 2.14 accepts a NUL right after a complete value
 * ("2.5\0"): the lexer puts the NUL back, and stream_get() (load.c) takes a NUL
 * in its one-character buffer for an empty buffer and reads on to the end. A NUL
 * is never JSON (RFC 8259 section 2), and ivrsm_http_json_check() refuses it. */
static bool is_json(const char *body, size_t len)
{
    if (depth_of(body, len) > IVRSM_MAX_DEPTH || memchr(body, '\0', len))
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
    answer = data + 1;
    answer_len = size - 1;
    FUZZ_CHECK(ivrsm_http_submit(http, cmd, on_result, &o) == 0, "request refused");
    run_loop(&o.calls);
    FUZZ_CHECK(o.calls == 1 && o.fed && ivrsm_http_in_flight(http) == 0,
               "the adapter called back %d times", o.calls);

    /* The session moved on: it waits for something, or the call has ended. */
    const ivrsm_command *c, *last = NULL;
    while ((c = ivrsm_session_next_command(o.s)) != NULL)
        last = c;
    FUZZ_CHECK(ivrsm_session_ended(o.s) ||
                   (last && last->type != IVRSM_COMMAND_SAY && last->type != IVRSM_COMMAND_HANGUP),
               "the call goes on waiting for nothing (state %s)", ivrsm_session_state(o.s));
    if (!FUZZ_SAMPLED || input_hash(data, size) % SAVED_EVERY == 0)
        check_saved(o.s, &so);
    ivrsm_session_free(o.s);
    return 0;
}
