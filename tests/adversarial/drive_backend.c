/*
 * One request per line of stdin through the libcurl adapter, its result as one JSON line.
 *
 *   drive_backend BASE_URL < cases     (a case: "PATH TIMEOUT_MS MAX_RESPONSE_BYTES [SCHEME]";
 *                                       SCHEME https: BASE_URL's http:// made https://)
 *
 * tests/adversarial/test_backends.py runs it against backends that misbehave as real ones do
 * and says what each result must be. Checked here, for every result: the callback comes once,
 * for the command sent; a failed transfer has status 0, an error and an empty body; a
 * completed one a status from 100 to 599; the body is NUL-terminated at its length and
 * within the bound; the session takes the result as its event, body and all, and waits or ends
 * (what it said on the way is in the line: how a body's values are spoken). Each line also gives
 * the process's peak memory after the case, so that a case can show that a body without end was
 * not kept.
 *
 * Every request is the session's own, carrying the call's secrets as a machine sends them: the
 * member's token in an Authorization header and the OTP in the query. No error, detail or trace
 * record of any case may hold four characters in a row of either: they reach hosts' logs.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ivrsm/http_curl.h"
#include "ivrsm/ivrsm.h"

typedef struct outcome {
    int calls;
    uint64_t id;
    int status;
    char error[128];
    char detail[256];
    size_t body_len;
    char *body; /* a copy, for the session */
    char head[48];
    double elapsed_ms;
    int bad;
    char why[200];
} outcome;

static void on_done(void *user, const ivrsm_http_result *r)
{
    outcome *o = user;
    o->calls++;
    o->id = r->command_id;
    o->status = r->status;
    snprintf(o->error, sizeof o->error, "%s", r->error ? r->error : "");
    snprintf(o->detail, sizeof o->detail, "%s", r->detail ? r->detail : "");
    o->body_len = r->body_len;
    free(o->body);
    o->body = r->body ? malloc(r->body_len + 1) : NULL;
    if (o->body) {
        memcpy(o->body, r->body, r->body_len);
        o->body[r->body_len] = 0;
    }
    o->elapsed_ms = r->elapsed_ms;
    size_t n = r->body_len < sizeof o->head - 1 ? r->body_len : sizeof o->head - 1;
    for (size_t i = 0; i < n; i++)
        o->head[i] = (r->body[i] >= 0x20 && r->body[i] < 0x7f && r->body[i] != '"' && r->body[i] != '\\')
                         ? r->body[i]
                         : '.';
    o->head[n] = 0;
    if (!r->body || r->body[r->body_len] != 0)
        o->bad = 1, snprintf(o->why, sizeof o->why, "body not NUL-terminated at its length");
    else if (r->status == 0 && (!r->error || r->body_len))
        o->bad = 1, snprintf(o->why, sizeof o->why, "a failed transfer with a body or no error");
    else if (r->status != 0 && (r->status < 100 || r->status > 599))
        o->bad = 1, snprintf(o->why, sizeof o->why, "status %d", r->status);
    else if (r->status != 0 && r->error && strcmp(r->error, "invalid JSON"))
        o->bad = 1, snprintf(o->why, sizeof o->why, "a response with error %s", r->error);
    else if (r->error && !strcmp(r->error, "invalid JSON") && (r->status < 200 || r->status > 299))
        o->bad = 1, snprintf(o->why, sizeof o->why, "invalid JSON for status %d", r->status);
}

/* The call's secrets (ctx_json below), and whether `text` holds four characters of one. */
static const char *const secrets[] = {"Zq7vKx9Wp3", "987654"};

static const char *quoted_secret(const char *text)
{
    for (size_t k = 0; k < sizeof secrets / sizeof *secrets; k++)
        for (size_t i = 0; i + 4 <= strlen(secrets[k]); i++) {
            char window[5];
            memcpy(window, secrets[k] + i, 4);
            window[4] = 0;
            if (strstr(text, window))
                return secrets[k];
        }
    return NULL;
}

/* The session's trace records, one a line (what does not fit is left out). */
typedef struct trace_text {
    char text[1 << 16];
    size_t len;
} trace_text;

static void on_trace(void *user, const char *record)
{
    trace_text *t = user;
    size_t n = strlen(record);
    if (t->len + n + 2 < sizeof t->text) {
        memcpy(t->text + t->len, record, n);
        t->len += n;
        t->text[t->len++] = '\n';
        t->text[t->len] = 0;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: drive_backend BASE_URL < cases\n");
        return 2;
    }
    /* One session waiting for an action, to take every result as a host would. */
    static const char machine[] = "machine: b\nversion: '1'\nlocale: en-US\n"
                                  "states:\n"
                                  "  call:\n"
                                  "    type: action_then_prompt\n"
                                  "    action:\n"
                                  "      call: GET /x\n"
                                  "      headers: { Authorization: 'Bearer {{ctx.token}}' }\n"
                                  "      query: { otp: '{{ctx.otp}}', member: '{{ctx.member}}' }\n"
                                  "    on_success: { prompt: 'ok {{resp.a}}', next: bye }\n"
                                  "    on_fail: { prompt: 'failed {{resp.error}}', next: bye }\n"
                                  "  bye: { type: prompt_end, prompt: Bye. }\n";
    ivrsm_machine *m;
    ivrsm_error err;
    if (ivrsm_machine_load_buffer(machine, sizeof machine - 1, IVRSM_FORMAT_YAML, "b.yaml", &m, &err)) {
        fprintf(stderr, "load: %s\n", err.message);
        return 1;
    }
    char line[512];
    int failed = 0;
    while (fgets(line, sizeof line, stdin)) {
        char path[400], scheme[16] = "http";
        int timeout_ms;
        size_t max_bytes;
        if (sscanf(line, "%399s %d %zu %15s", path, &timeout_ms, &max_bytes, scheme) < 3)
            continue;
        char base[256];
        snprintf(base, sizeof base, "%s%s", strcmp(scheme, "https") ? "http" : "https",
                 strncmp(argv[1], "http", 4) ? argv[1] : argv[1] + 4);
        /* The call, waiting for its action's answer. */
        trace_text trace = {.len = 0};
        ivrsm_session *s;
        ivrsm_session_options so = IVRSM_SESSION_OPTIONS_INIT;
        so.session_id = "s";
        so.ctx_json = "{\"token\": \"Zq7vKx9Wp3\", \"otp\": \"987654\", \"member\": \"m-17\"}";
        so.trace = on_trace;
        so.trace_user = &trace;
        if (ivrsm_session_new(m, &so, &s, NULL) || ivrsm_session_start(s))
            return 1;
        const ivrsm_command *c, *http = NULL;
        while ((c = ivrsm_session_next_command(s)))
            if (c->type == IVRSM_COMMAND_HTTP)
                http = c;
        if (!http)
            return 1;
        /* Its request, to the case's path within the case's timeout. */
        ivrsm_command cmd = *http;
        cmd.http.path = path;
        cmd.http.timeout_ms = timeout_ms;

        ivrsm_http_options o = IVRSM_HTTP_OPTIONS_INIT;
        o.base_url = base;
        o.max_response_bytes = max_bytes;
        ivrsm_http *h;
        if (ivrsm_http_new(&o, &h) != 0) {
            fprintf(stderr, "ivrsm_http_new failed\n");
            return 1;
        }
        outcome out = {0};
        double t0 = now_ms();
        int rc = ivrsm_http_submit(h, &cmd, on_done, &out);
        if (rc != 0) {
            printf("{\"path\":\"%s\",\"submit\":%d}\n", path, rc);
            ivrsm_http_free(h);
            ivrsm_session_free(s);
            continue;
        }
        while (out.calls == 0 && now_ms() - t0 < timeout_ms + 10000.0)
            ivrsm_http_run(h, 50);
        double wall = now_ms() - t0;
        /* Nothing more may come once it has answered. */
        for (int i = 0; i < 3; i++)
            ivrsm_http_run(h, 10);
        ivrsm_http_free(h);
        if (out.calls != 1 || out.id != http->id)
            out.bad = 1, snprintf(out.why, sizeof out.why, "%d callbacks", out.calls);

        /* The session takes it. */
        ivrsm_http_result r = {.command_id = out.id, .status = out.status,
                               .body = out.body ? out.body : "", .body_len = out.body ? out.body_len : 0,
                               .error = out.error[0] ? out.error : NULL};
        ivrsm_event ev;
        if (ivrsm_http_result_event(&r, &ev) != 0 || ivrsm_session_feed(s, &ev) != 0)
            out.bad = 1, snprintf(out.why, sizeof out.why, "the session refused the result");
        char said[200] = "";
        while ((c = ivrsm_session_next_command(s)))
            if (c->type == IVRSM_COMMAND_SAY && !said[0])
                snprintf(said, sizeof said, "%s", c->text ? c->text : "");
        if (!ivrsm_session_ended(s))
            out.bad = 1, snprintf(out.why, sizeof out.why, "the session did not end");
        ivrsm_session_free(s);
        free(out.body);
        const char *leaked;
        if ((leaked = quoted_secret(out.error)) || (leaked = quoted_secret(out.detail)))
            out.bad = 1, snprintf(out.why, sizeof out.why, "the result quotes %s: %.60s | %.100s", leaked,
                                  out.error, out.detail);
        else if ((leaked = quoted_secret(trace.text)))
            out.bad = 1, snprintf(out.why, sizeof out.why, "a trace record quotes %s", leaked);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);

        json_t *j = json_pack("{s:s,s:i,s:s,s:s,s:I,s:s,s:f,s:s,s:b,s:s,s:I}", "path", path, "status", out.status,
                              "error", out.error, "detail", out.detail, "body_len", (json_int_t)out.body_len, "head", out.head,
                              "wall_ms", wall, "said", said, "bad", out.bad, "why", out.why,
                              "peak_kb", (json_int_t)ru.ru_maxrss);
        char *text = json_dumps(j, JSON_COMPACT);
        printf("%s\n", text);
        fflush(stdout);
        free(text);
        json_decref(j);
        failed |= out.bad;
    }
    ivrsm_machine_unref(m);
    return failed;
}
