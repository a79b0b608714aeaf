/*
 * The libcurl HTTP adapter against a real HTTP/1.1 server on 127.0.0.1
 * (tests/http_server), driven both by ivrsm_http_run() and by a poll() loop
 * through the socket and timer hooks, and with each of its allocations
 * failing in turn.
 */
#include <arpa/inet.h>
#include <check.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "failing_mem.h"
#include "http_json.h"
#include "http_server.h"
#include "ivrsm/http_curl.h"

/* ---------------------------------------------------------------------------
 * Allocation failures
 *
 * The adapter allocates through the allocator of its options: the tests give
 * it a failing_mem (failing_mem.h), so that each allocation it makes can be
 * made to fail in turn. libcurl allocates through its own process-wide
 * allocator and is not made to fail; nor are the test's callbacks and hooks,
 * nor the server's thread, which never see the adapter's allocator.
 * ------------------------------------------------------------------------- */

static failing_mem alloc_fm;

/* ---------------------------------------------------------------------------
 * Fixture: one server per test (started in the test's own process)
 * ------------------------------------------------------------------------- */

static http_server *server;
static char base_url[64];

static void server_setup(void)
{
    ck_assert_int_eq(http_server_start(&server), 0);
    http_server_base_url(server, base_url, sizeof base_url);
}

static void server_teardown(void)
{
    http_server_stop(server);
    server = NULL;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---------------------------------------------------------------------------
 * Collecting results
 * ------------------------------------------------------------------------- */

/* A copy of one result, kept after the callback returns. */
typedef struct outcome {
    int calls;
    uint64_t command_id;
    int status;
    char *body;
    size_t body_len;
    json_t *json;
    char *error;
    char *detail;
    double elapsed_ms;
    int order; /* position among completions */
} outcome;

static int completions;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void record(void *user, const ivrsm_http_result *r)
{
    outcome *o = user;
    o->calls++;
    o->command_id = r->command_id;
    o->status = r->status;
    ck_assert_ptr_nonnull(r->body);
    ck_assert_uint_eq(strlen(r->body), r->body_len);
    o->body = malloc(r->body_len + 1);
    memcpy(o->body, r->body, r->body_len + 1);
    o->body_len = r->body_len;
    o->json = r->body_len ? json_loadb(r->body, r->body_len, JSON_DECODE_ANY, NULL) : NULL;
    o->error = dup_or_null(r->error);
    o->detail = dup_or_null(r->detail);
    o->elapsed_ms = r->elapsed_ms;
    o->order = completions++;
}

static void outcome_clear(outcome *o)
{
    free(o->body);
    json_decref(o->json);
    free(o->error);
    free(o->detail);
    memset(o, 0, sizeof *o);
}

static ivrsm_command http_command(uint64_t id, const char *method, const char *path)
{
    ivrsm_command c;
    memset(&c, 0, sizeof c);
    c.type = IVRSM_COMMAND_HTTP;
    c.id = id;
    c.http.method = method;
    c.http.path = path;
    return c;
}

static ivrsm_http *adapter_with(const ivrsm_http_options *extra)
{
    ivrsm_http_options o = extra ? *extra : (ivrsm_http_options){0};
    if (!o.base_url)
        o.base_url = base_url;
    ivrsm_http *h = NULL;
    ck_assert_int_eq(ivrsm_http_new(&o, &h), 0);
    ck_assert_ptr_nonnull(h);
    return h;
}

/* Submit one command and drive it to completion with ivrsm_http_run(). */
static void run_one(ivrsm_http *h, const ivrsm_command *cmd, outcome *o)
{
    ck_assert_int_eq(ivrsm_http_submit(h, cmd, record, o), 0);
    ck_assert_uint_eq(ivrsm_http_in_flight(h), 1);
    ck_assert_int_eq(o->calls, 0); /* never from within submit */
    ck_assert_int_eq(ivrsm_http_run(h, 20000), 0);
    ck_assert_int_eq(o->calls, 1);
    ck_assert_uint_eq(o->command_id, cmd->id);
    ck_assert_uint_eq(ivrsm_http_in_flight(h), 0);
}

static const char *echo_header(const outcome *o, const char *lower_name)
{
    json_t *headers = json_object_get(o->json, "headers");
    ck_assert_ptr_nonnull(headers);
    return json_string_value(json_object_get(headers, lower_name));
}

/* ---------------------------------------------------------------------------
 * Statuses and bodies
 * ------------------------------------------------------------------------- */

START_TEST(json_2xx_is_parsed)
{
    ivrsm_http *h = adapter_with(NULL);
    ivrsm_command c = http_command(7, "GET", "/json");
    outcome o = {0};
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 200);
    ck_assert_ptr_null(o.error);
    ck_assert_ptr_null(o.detail);
    ck_assert_str_eq(o.body, "{\"ok\":true,\"route\":\"json\",\"items\":[1,2,3]}");
    ck_assert(json_is_true(json_object_get(o.json, "ok")));
    ck_assert_uint_eq(json_array_size(json_object_get(o.json, "items")), 3);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(o.json, "items"), 2)), 3);
    ck_assert(o.elapsed_ms >= 0.0 && o.elapsed_ms < 20000.0);
    outcome_clear(&o);
    ivrsm_http_free(h);
}
END_TEST

START_TEST(status_4xx_keeps_status_and_body)
{
    ivrsm_http *h = adapter_with(NULL);
    ivrsm_command c = http_command(1, "GET", "/status/404");
    outcome o = {0};
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 404);
    ck_assert_ptr_null(o.error);
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "error")), "status 404");
    outcome_clear(&o);

    c = http_command(2, "GET", "/no/such/route");
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 404);
    ck_assert_ptr_null(o.error);
    ck_assert_str_eq(o.body, "{\"error\":\"no route\",\"path\":\"/no/such/route\"}");
    outcome_clear(&o);

    c = http_command(3, "GET", "/status/409");
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 409);
    outcome_clear(&o);
    ivrsm_http_free(h);
}
END_TEST

START_TEST(status_5xx_keeps_status_and_body)
{
    ivrsm_http *h = adapter_with(NULL);
    ivrsm_command c = http_command(11, "POST", "/status/500");
    c.http.body = "{\"x\":1}";
    outcome o = {0};
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 500);
    ck_assert_ptr_null(o.error);
    ck_assert_str_eq(o.body, "{\"status\":500,\"error\":\"status 500\"}");
    ck_assert_int_eq(json_integer_value(json_object_get(o.json, "status")), 500);
    outcome_clear(&o);

    c = http_command(12, "GET", "/status/503");
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 503);
    outcome_clear(&o);

    /* A non-JSON error page is no "invalid JSON": the status says it all. */
    c = http_command(13, "GET", "/status/502");
    c.http.query = "text=1";
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 502);
    ck_assert_ptr_null(o.error);
    ck_assert_ptr_null(o.json);
    ck_assert_str_eq(o.body, "not JSON either\n");
    outcome_clear(&o);
    ivrsm_http_free(h);
}
END_TEST

/*
 * A 2xx body nested deeper than IVRSM_MAX_DEPTH is "invalid JSON", as the
 * session would take it, and is not handed to jansson, which reads one call
 * per level: 2048 levels are most of a small thread's stack.
 */
START_TEST(deep_2xx_is_invalid_json)
{
    ivrsm_http *h = adapter_with(NULL);
    char query[32];
    snprintf(query, sizeof query, "levels=%d", IVRSM_MAX_DEPTH);
    ivrsm_command c = http_command(6, "GET", "/deep");
    c.http.query = query;
    outcome o = {0};
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 200);
    ck_assert_ptr_null(o.error);
    ck_assert_uint_eq(o.body_len, 2 * IVRSM_MAX_DEPTH);
    outcome_clear(&o);

    const int deeper[] = {IVRSM_MAX_DEPTH + 1, 2048, 100000};
    for (size_t i = 0; i < sizeof deeper / sizeof deeper[0]; i++) {
        snprintf(query, sizeof query, "levels=%d", deeper[i]);
        c = http_command(7 + (uint64_t)i, "GET", "/deep");
        c.http.query = query;
        run_one(h, &c, &o);
        ck_assert_int_eq(o.status, 200);
        ck_assert_str_eq(o.error, "invalid JSON");
        ck_assert_ptr_nonnull(strstr(o.detail, "deeper than 64 levels"));
        ck_assert_uint_eq(o.body_len, 2 * (size_t)deeper[i]);
        outcome_clear(&o);
    }
    ivrsm_http_free(h);
}
END_TEST

/*
 * The check of a 2xx body allocates nothing: with every allocation of jansson refused, a JSON
 * body is still JSON. jansson calls memory that ran out a syntax error, and the adapter said
 * "invalid JSON" of such an answer (the session then took the backend's success for a failure).
 */
START_TEST(json_check_needs_no_memory)
{
    ivrsm_http *h = adapter_with(NULL);
    failing_mem fm;
    failing_mem_init(&fm);
    failing_mem_jansson_route(&fm);
    failing_mem_fail_from(&fm, 0);
    const char *queries[] = {"levels=3", "levels=64"};
    outcome o[3];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 2; i++) {
        ivrsm_command c = http_command(20 + (uint64_t)i, "GET", "/deep");
        c.http.query = queries[i];
        run_one(h, &c, &o[i]);
    }
    ivrsm_command big = http_command(22, "GET", "/big");
    big.http.query = "bytes=5000";
    run_one(h, &big, &o[2]);
    failing_mem_off(&fm);
    failing_mem_jansson_release();
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(o[i].status, 200);
        ck_assert_msg(o[i].error == NULL, "body %d: %s (%s)", i, o[i].error, o[i].detail);
        outcome_clear(&o[i]);
    }
    ivrsm_http_free(h);
}
END_TEST

/* The adapter's JSON check (http_json.c) says what jansson says, text by text. */
START_TEST(json_check_agrees_with_jansson)
{
    static const char *const texts[] = {
        "{}", "[]", " {\"a\" : [1, -2.5e3, 0, true, false, null, \"\\u00e9\\n\\/\"]} ", "1", "-0",
        "0.5", "1E+2", "1e-2", "\"\\uD83D\\uDE00\"", "\"\xc3\xa9\xf0\x9f\x98\x80\"", "", " ", "{",
        "{\"a\"}", "{\"a\":1,}", "[1,]", "[1 2]", "01", "-01", "1.", ".5", "-", "1e", "1e+", "+1",
        "\"\\x\"", "\"\t\"", "\"\\u0000\"", "{\"\\u0000\":1}", "\"\\uD83D\"", "\"\\uDE00\"",
        "\"\\uD83D\\u0041\"", "\"\\u12\"", "\"\\u12G4\"", "\"\xc3\"", "\"\xc0\xaf\"",
        "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe0\x9f\xbf\"", "\"\xf0\x8f\xbf\xbf\"",
        "\"\xef\xbf\xbf\"", "[1] x", "nul", "tru", "truex", "null1", "True", "{\"a\" 1}", "{1:2}",
        "\"abc", "\"abc\\", "[[[]]]", "[[[]]", "]", "[}", "{]", "{\"a\":1 \"b\":2}",
        "\xef\xbb\xbf{}", "[\"a\",]", "{\"a\":{\"b\":[]}}", "\"\x7f\"", "[1]\n\n", "\n\t\r 2 \n",
        /* integers at json_int_t's bounds */
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "-9223372036854775809", "12345678901234567890", "[-99999999999999999999]",
        /* reals at a double's: DBL_MAX, 2^1024 - 2^970 (rounds to infinity) and just below */
        "1.7976931348623157e308", "1.7976931348623158e308", "1.797693134862315807e308",
        "1.7976931348623158079e308",
        "1.79769313486231580793728971405303415079934132710037826936"
        "1737789804449682927647509466490179775872070963302864166928879109465555478519404026306574"
        "8867150582068190890200070838367627385484581771153176447573027006985557136695962284291481"
        "9860834936475292719074168444365510704342711559699508093042880177904174497792e308",
        "1.79769313486231580793728971405303415079934132710037826936"
        "1737789804449682927647509466490179775872070963302864166928879109465555478519404026306574"
        "8867150582068190890200070838367627385484581771153176447573027006985557136695962284291481"
        "9860834936475292719074168444365510704342711559699508093042880177904174497791999e308",
        "-1.7976931348623159e308", "1e309", "1e308", "0.000001e314", "17976931348623159e292",
        "1e-400", "0e99999999999999999999", "1e99999999999999999999", "-1e-99999999999999999999",
        "100000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000.0",
        "0."
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000001e39"
        "3"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t len = strlen(texts[i]);
        json_t *j = json_loadb(texts[i], len, JSON_DECODE_ANY, NULL);
        ivrsm_http_json_error err;
        int rc = ivrsm_http_json_check(texts[i], len, IVRSM_MAX_DEPTH, &err);
        ck_assert_msg((rc == 0) == (j != NULL), "'%s': jansson %s, the adapter %s (%s)", texts[i],
                      j ? "reads it" : "does not", rc == 0 ? "does" : "does not",
                      rc == 0 ? "" : err.what);
        json_decref(j);
    }
    /* NUL bytes, in a string and outside, which C strings above cannot hold. */
    static const char nul_in_string[] = "\"a\0b\"", nul_after[] = "[1]\0", nul_before[] = "\0[1]";
    ivrsm_http_json_error err;
    ck_assert_int_eq(ivrsm_http_json_check(nul_in_string, 5, 64, &err), -1);
    ck_assert_int_eq(ivrsm_http_json_check(nul_after, 4, 64, &err), -1);
    ck_assert_int_eq(ivrsm_http_json_check(nul_before, 4, 64, &err), -1);
    /* Where it fails, as jansson counts: line 2, the third character (after "é"). */
    ck_assert_int_eq(ivrsm_http_json_check("[\n\"\xc3\xa9\"x]", 8, 64, &err), -1);
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(err.column, 4);
    /* Nesting: max_depth levels and not one more. */
    ck_assert_int_eq(ivrsm_http_json_check("[[[]]]", 6, 3, &err), 0);
    ck_assert_int_eq(ivrsm_http_json_check("[[[[]]]]", 8, 3, &err), -1);
    ck_assert_str_eq(err.what, "nested too deep");
}
END_TEST

START_TEST(non_json_2xx_is_invalid_json)
{
    ivrsm_http *h = adapter_with(NULL);
    ivrsm_command c = http_command(4, "GET", "/text");
    outcome o = {0};
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 200);
    ck_assert_str_eq(o.error, "invalid JSON");
    ck_assert_ptr_nonnull(o.detail);
    ck_assert_ptr_nonnull(strstr(o.detail, "not JSON"));
    ck_assert_str_eq(o.body, "plain text, not JSON\n");
    ck_assert_uint_eq(o.body_len, 21);
    ck_assert_ptr_null(o.json);
    outcome_clear(&o);

    /* An empty 2xx body is not an error: there is just nothing to parse. */
    c = http_command(5, "DELETE", "/status/204");
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 204);
    ck_assert_ptr_null(o.error);
    ck_assert_ptr_null(o.json);
    ck_assert_str_eq(o.body, "");
    ck_assert_uint_eq(o.body_len, 0);
    outcome_clear(&o);
    ivrsm_http_free(h);
}
END_TEST

START_TEST(oversized_body_is_refused)
{
    ivrsm_http_options opts = {.max_response_bytes = 1000};
    ivrsm_http *h = adapter_with(&opts);
    outcome o = {0};

    /* Exactly at the bound: accepted. */
    ivrsm_command c = http_command(1, "GET", "/big");
    c.http.query = "bytes=1000";
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 200);
    ck_assert_ptr_null(o.error);
    ck_assert_uint_eq(o.body_len, 1000);
    ck_assert_uint_eq(json_string_length(o.json), 998);
    outcome_clear(&o);

    /* One byte over, announced by Content-Length. */
    c.http.query = "bytes=1001";
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.error, "response too large");
    ck_assert_uint_eq(o.body_len, 0);
    ck_assert_str_eq(o.body, "");
    ck_assert_ptr_null(o.json);
    outcome_clear(&o);

    /* Chunked: no length up front, refused while it arrives. */
    c.http.query = "bytes=50000&chunked=1";
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.error, "response too large");
    outcome_clear(&o);
    ivrsm_http_free(h);

    /* The default bound is 1 MiB. */
    h = adapter_with(NULL);
    c.http.query = "bytes=1048577";
    run_one(h, &c, &o);
    ck_assert_str_eq(o.error, "response too large");
    outcome_clear(&o);
    c.http.query = "bytes=1048576&chunked=1";
    run_one(h, &c, &o);
    ck_assert_ptr_null(o.error);
    ck_assert_uint_eq(o.body_len, 1048576);
    outcome_clear(&o);
    ivrsm_http_free(h);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Transport failures
 * ------------------------------------------------------------------------- */

START_TEST(timeout_gives_status_0)
{
    ivrsm_http *h = adapter_with(NULL);
    ivrsm_command c = http_command(5, "GET", "/slow");
    c.http.query = "ms=5000";
    c.http.timeout_ms = 200;
    outcome o = {0};
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.error, "timeout");
    ck_assert_ptr_nonnull(o.detail);
    ck_assert_str_eq(o.body, "");
    ck_assert_ptr_null(o.json);
    ck_assert_msg(o.elapsed_ms >= 150.0 && o.elapsed_ms < 4000.0, "elapsed %.1f ms", o.elapsed_ms);
    outcome_clear(&o);
    ivrsm_http_free(h);

    /* The adapter's timeout applies when the command gives none. */
    ivrsm_http_options opts = {.timeout_ms = 200};
    h = adapter_with(&opts);
    c.http.timeout_ms = 0;
    run_one(h, &c, &o);
    ck_assert_str_eq(o.error, "timeout");
    outcome_clear(&o);
    ivrsm_http_free(h);
}
END_TEST

/* A port on 127.0.0.1 that is bound but not listening: connecting is refused,
 * and nothing else can take the port while the socket stays open. */
static int refusing_port(int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *fd_out = fd;
    return ntohs(addr.sin_port);
}

START_TEST(connection_refused)
{
    int fd;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", refusing_port(&fd));
    ivrsm_http_options opts = {.base_url = url};
    ivrsm_http *h = adapter_with(&opts);
    ivrsm_command c = http_command(9, "GET", "/json");
    outcome o = {0};
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.error, "connection refused");
    ck_assert_ptr_nonnull(o.detail);
    ck_assert_str_eq(o.body, "");
    outcome_clear(&o);
    ivrsm_http_free(h);
    close(fd);
}
END_TEST

START_TEST(close_without_response)
{
    ivrsm_http *h = adapter_with(NULL);
    ivrsm_command c = http_command(3, "GET", "/close");
    outcome o = {0};
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.error, "empty reply");
    outcome_clear(&o);
    ivrsm_http_free(h);
}
END_TEST

/* ---------------------------------------------------------------------------
 * What goes on the wire
 * ------------------------------------------------------------------------- */

START_TEST(headers_sent)
{
    const char *defaults[] = {"Authorization: Bearer t0k3n", "X-Default:  one  ",
                              "X-Overridden: default", "Idempotency-Key: from-defaults", NULL};
    ivrsm_http_options opts = {.headers = defaults};
    ivrsm_http *h = adapter_with(&opts);
    ivrsm_header cmd_headers[] = {{"X-Overridden", "command"},
                                  {"X-Trace", "abc def"},
                                  {"X-Empty", ""},
                                  {"idempotency-key", "from-command-headers"}};
    ivrsm_command c = http_command(21, "POST", "/echo");
    c.http.headers = cmd_headers;
    c.http.header_count = 4;
    c.http.idempotency_key = "sess-1:7";
    c.http.body = "{\"a\":1,\"b\":\"é\"}";
    outcome o = {0};
    run_one(h, &c, &o);
    ck_assert_int_eq(o.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "method")), "POST");
    ck_assert_str_eq(echo_header(&o, "authorization"), "Bearer t0k3n");
    ck_assert_str_eq(echo_header(&o, "x-default"), "one");
    ck_assert_str_eq(echo_header(&o, "x-overridden"), "command");
    ck_assert_str_eq(echo_header(&o, "x-trace"), "abc def");
    ck_assert_str_eq(echo_header(&o, "x-empty"), "");
    ck_assert_str_eq(echo_header(&o, "idempotency-key"), "sess-1:7");
    ck_assert_str_eq(echo_header(&o, "content-type"), "application/json");
    ck_assert_str_eq(echo_header(&o, "accept"), "application/json");
    ck_assert_str_eq(echo_header(&o, "content-length"), "16");
    char agent[64];
    snprintf(agent, sizeof agent, "libivrsm/%s", ivrsm_version());
    ck_assert_str_eq(echo_header(&o, "user-agent"), agent);
    ck_assert_ptr_null(echo_header(&o, "expect"));
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "body")), "{\"a\":1,\"b\":\"é\"}");
    ck_assert_int_eq(json_integer_value(json_object_get(o.json, "body_bytes")), 16);
    outcome_clear(&o);
    ivrsm_http_free(h);
}
END_TEST

START_TEST(methods_and_bodies)
{
    ivrsm_http_options opts = {.user_agent = "synergia-host/2"};
    ivrsm_http *h = adapter_with(&opts);
    outcome o = {0};

    /* PUT without a body: an empty body, not labelled as a form. */
    ivrsm_command c = http_command(1, "PUT", "/echo/appointments/a1/confirm");
    run_one(h, &c, &o);
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "method")), "PUT");
    ck_assert_str_eq(echo_header(&o, "content-length"), "0");
    ck_assert_ptr_null(echo_header(&o, "content-type"));
    ck_assert_str_eq(echo_header(&o, "user-agent"), "synergia-host/2");
    ck_assert_ptr_null(echo_header(&o, "idempotency-key"));
    outcome_clear(&o);

    /* GET: no body, no content type. */
    c = http_command(2, "GET", "/echo");
    run_one(h, &c, &o);
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "method")), "GET");
    ck_assert_ptr_null(echo_header(&o, "content-type"));
    ck_assert_ptr_null(echo_header(&o, "content-length"));
    ck_assert(json_is_null(json_object_get(o.json, "body")));
    outcome_clear(&o);

    /* DELETE and PATCH with a body. */
    c = http_command(3, "DELETE", "/echo/x");
    run_one(h, &c, &o);
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "method")), "DELETE");
    outcome_clear(&o);
    c = http_command(4, "PATCH", "/echo/x");
    c.http.body = "[1,2]";
    run_one(h, &c, &o);
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "method")), "PATCH");
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "body")), "[1,2]");
    outcome_clear(&o);

    /* A command's own Content-Type and Accept win over the adapter's. */
    ivrsm_header own[] = {{"Content-Type", "application/merge-patch+json"},
                          {"Accept", "application/problem+json"}};
    c.http.headers = own;
    c.http.header_count = 2;
    run_one(h, &c, &o);
    ck_assert_str_eq(echo_header(&o, "content-type"), "application/merge-patch+json");
    ck_assert_str_eq(echo_header(&o, "accept"), "application/problem+json");
    outcome_clear(&o);

    /* A request body above 1 KiB is sent at once (no "Expect: 100-continue" wait). */
    char *big = malloc(64 * 1024 + 3);
    big[0] = '"';
    memset(big + 1, 'y', 64 * 1024);
    strcpy(big + 1 + 64 * 1024, "\"");
    c = http_command(5, "POST", "/echo");
    c.http.body = big;
    run_one(h, &c, &o);
    ck_assert_int_eq(json_integer_value(json_object_get(o.json, "body_bytes")), 64 * 1024 + 2);
    ck_assert_msg(o.elapsed_ms < 900.0, "waited %.1f ms", o.elapsed_ms);
    outcome_clear(&o);
    free(big);
    ivrsm_http_free(h);
}
END_TEST

/*
 * A "." or ".." segment, written or percent-encoded, would take the request
 * elsewhere (servers resolve them): refused, whatever else the path holds.
 */
START_TEST(dot_segments_refused)
{
    ivrsm_http *h = adapter_with(NULL);
    static const char *const paths[] = {"/echo/..",  "/echo/../admin", "/./echo",  "/echo/%2e%2E/x",
                                        "/echo/%2E", "/echo/.%2e/",    "/a/b/c/./"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        ivrsm_command c = http_command(1, "GET", paths[i]);
        outcome o = {0};
        ck_assert_msg(ivrsm_http_submit(h, &c, record, &o) == IVRSM_EINVAL, "%s", paths[i]);
    }
    ivrsm_http_free(h);
}
END_TEST

START_TEST(path_and_query_verbatim)
{
    ivrsm_http *h = adapter_with(NULL);
    outcome o = {0};
    ivrsm_command c = http_command(1, "GET", "/echo/appointments/a%2F1/.../.x/x../y%20z");
    c.http.query = "q=caf%C3%A9&x=1+2&empty=&flag&path=/a?b";
    run_one(h, &c, &o);
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "path")),
                     "/echo/appointments/a%2F1/.../.x/x../y%20z");
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "query")),
                     "q=caf%C3%A9&x=1+2&empty=&flag&path=/a?b");
    outcome_clear(&o);

    /* An empty query adds no "?". */
    c = http_command(2, "GET", "/echo");
    c.http.query = "";
    run_one(h, &c, &o);
    ck_assert(json_is_null(json_object_get(o.json, "query")));
    outcome_clear(&o);
    ivrsm_http_free(h);

    /* One trailing slash of the base URL is dropped; a path prefix is kept. */
    char url[96];
    snprintf(url, sizeof url, "%s/", base_url);
    ivrsm_http_options opts = {.base_url = url};
    h = adapter_with(&opts);
    c = http_command(3, "GET", "/echo");
    run_one(h, &c, &o);
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "path")), "/echo");
    outcome_clear(&o);
    ivrsm_http_free(h);

    snprintf(url, sizeof url, "%s/echo/api/v1/", base_url);
    h = adapter_with(&opts);
    c = http_command(4, "GET", "/slots");
    c.http.query = "date=2026-03-02";
    run_one(h, &c, &o);
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "path")), "/echo/api/v1/slots");
    ck_assert_str_eq(json_string_value(json_object_get(o.json, "query")), "date=2026-03-02");
    outcome_clear(&o);
    ivrsm_http_free(h);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Refusals: nothing reaches the server, no callback
 * ------------------------------------------------------------------------- */

static void never_called(void *user, const ivrsm_http_result *r)
{
    (void)user;
    (void)r;
    ck_abort_msg("callback of a refused command");
}

static void assert_refused(ivrsm_http *h, const ivrsm_command *c, int code)
{
    size_t before = ivrsm_http_in_flight(h);
    ck_assert_int_eq(ivrsm_http_submit(h, c, never_called, NULL), code);
    ck_assert_uint_eq(ivrsm_http_in_flight(h), before);
}

START_TEST(header_injection_refused)
{
    ivrsm_http *h = adapter_with(NULL);
    ivrsm_command c = http_command(1, "GET", "/echo");
    const ivrsm_header bad_headers[][1] = {
        {{"X-Evil", "a\r\nX-Injected: 1"}},
        {{"X-Evil", "a\nX-Injected: 1"}},
        {{"X-Evil", "a\rb"}},
        {{"X-Evil", "bell\a"}},
        {{"X-Evil", "del\x7f"}},
        {{"X Evil", "1"}},
        {{"X-Evil:", "1"}},
        {{"", "1"}},
        {{"X-\r\nEvil", "1"}},
        {{"X-Évil", "1"}},
        {{NULL, "1"}},
        {{"X-Evil", NULL}},
    };
    for (size_t i = 0; i < sizeof bad_headers / sizeof bad_headers[0]; i++) {
        c.http.headers = bad_headers[i];
        c.http.header_count = 1;
        assert_refused(h, &c, IVRSM_EINVAL);
    }
    c.http.headers = NULL;
    c.http.header_count = 0;

    c.http.idempotency_key = "k\r\nX-Injected: 1";
    assert_refused(h, &c, IVRSM_EINVAL);
    c.http.idempotency_key = "";
    assert_refused(h, &c, IVRSM_EINVAL);
    c.http.idempotency_key = NULL;

    const char *bad_paths[] = {
        "/echo\r\nX-Injected: 1", "/echo HTTP/1.1", "echo",  "",     "/a?b", "/a#b", "/%zz", "/%4",
        "/caf\xc3\xa9",           "/a\\b",          "/a\"b", "/a<b>"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        c.http.path = bad_paths[i];
        assert_refused(h, &c, IVRSM_EINVAL);
    }
    c.http.path = NULL;
    assert_refused(h, &c, IVRSM_EINVAL);
    c.http.path = "/echo";

    const char *bad_queries[] = {"a=1 2", "a=1\r\nX: y", "a=#frag", "a=%g0", "a=\xff"};
    for (size_t i = 0; i < sizeof bad_queries / sizeof bad_queries[0]; i++) {
        c.http.query = bad_queries[i];
        assert_refused(h, &c, IVRSM_EINVAL);
    }
    c.http.query = NULL;

    const char *bad_methods[] = {"GE T", "GET\r\n", "", "GET/"};
    for (size_t i = 0; i < sizeof bad_methods / sizeof bad_methods[0]; i++) {
        c.http.method = bad_methods[i];
        assert_refused(h, &c, IVRSM_EINVAL);
    }
    c.http.method = NULL;
    assert_refused(h, &c, IVRSM_EINVAL);
    c.http.method = "HEAD";
    c.http.body = "{}";
    assert_refused(h, &c, IVRSM_EINVAL);
    c.http.method = "GET";
    c.http.body = NULL;

    c.http.timeout_ms = -1;
    assert_refused(h, &c, IVRSM_EINVAL);
    c.http.timeout_ms = 0;
    c.http.header_count = 1; /* count without an array */
    assert_refused(h, &c, IVRSM_EINVAL);
    c.http.header_count = 0;

    c.type = IVRSM_COMMAND_SAY;
    assert_refused(h, &c, IVRSM_EINVAL);
    c.type = IVRSM_COMMAND_HTTP;
    ck_assert_int_eq(ivrsm_http_submit(NULL, &c, never_called, NULL), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_http_submit(h, NULL, never_called, NULL), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_http_submit(h, &c, NULL, NULL), IVRSM_EINVAL);

    /* Nothing was sent. */
    ck_assert_int_eq(ivrsm_http_run(h, 0), 0);
    http_server_stats st;
    http_server_get_stats(server, &st);
    ck_assert_uint_eq(st.requests, 0);
    ck_assert_uint_eq(st.connections, 0);
    ivrsm_http_free(h);
}
END_TEST

START_TEST(limits_refused)
{
    ivrsm_http *h = adapter_with(NULL);
    ivrsm_command c = http_command(1, "POST", "/echo");

    ivrsm_header many[IVRSM_HTTP_MAX_HEADERS + 1];
    for (size_t i = 0; i <= IVRSM_HTTP_MAX_HEADERS; i++)
        many[i] = (ivrsm_header){"X-Many", "1"};
    c.http.headers = many;
    c.http.header_count = IVRSM_HTTP_MAX_HEADERS + 1;
    assert_refused(h, &c, IVRSM_ELIMIT);
    c.http.header_count = 0;

    char *long_value = malloc(IVRSM_HTTP_MAX_HEADER_BYTES + 1);
    memset(long_value, 'v', IVRSM_HTTP_MAX_HEADER_BYTES);
    long_value[IVRSM_HTTP_MAX_HEADER_BYTES] = '\0';
    ivrsm_header long_header = {"X-Long", long_value};
    c.http.headers = &long_header;
    c.http.header_count = 1;
    assert_refused(h, &c, IVRSM_ELIMIT);
    c.http.header_count = 0;
    free(long_value);

    char *long_path = malloc(IVRSM_HTTP_MAX_URL_BYTES + 1);
    memset(long_path, 'p', IVRSM_HTTP_MAX_URL_BYTES);
    long_path[0] = '/';
    long_path[IVRSM_HTTP_MAX_URL_BYTES] = '\0';
    c.http.path = long_path;
    assert_refused(h, &c, IVRSM_ELIMIT);
    c.http.path = "/echo";
    free(long_path);

    char *big_body = malloc(IVRSM_HTTP_MAX_REQUEST_BODY + 2);
    memset(big_body, ' ', IVRSM_HTTP_MAX_REQUEST_BODY + 1);
    big_body[IVRSM_HTTP_MAX_REQUEST_BODY + 1] = '\0';
    c.http.body = big_body;
    assert_refused(h, &c, IVRSM_ELIMIT);
    free(big_body);
    ivrsm_http_free(h);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The session and the adapter agree: every http command a session emits is
 * one the adapter sends; what the adapter would refuse fails the action in
 * the session instead (a header with a control character aborted ivrsm sim).
 * ------------------------------------------------------------------------- */

static const char agree_machine[] = "machine: agree\n"
                                    "version: '1'\n"
                                    "globals: {endpoints: {put: 'PUT /items/{id}'}}\n"
                                    "states:\n"
                                    "  send:\n"
                                    "    type: action_then_prompt\n"
                                    "    action:\n"
                                    "      call: put\n"
                                    "      path: {id: '{{ctx.id}}'}\n"
                                    "      query: {q: '{{ctx.q}}'}\n"
                                    "      headers: {X-Value: '{{ctx.h}}'}\n"
                                    "      body: {b: '{{ctx.b}}'}\n"
                                    "    on_success: {next: bye}\n"
                                    "    on_fail: {next: bye}\n"
                                    "  bye: {type: prompt_end, prompt: Fin.}\n";

/*
 * A session on the machine above with ctx[key] = value (a JSON value): its
 * command, if it emitted one, submitted to `h`. Returns 1 when the session
 * emitted a command (the adapter must then take it), 0 when the action
 * failed without one.
 */
static int session_command_sent(ivrsm_machine *m, ivrsm_http *h, const char *key, json_t *value)
{
    json_t *ctx = json_pack("{s:s, s:s, s:s, s:s}", "id", "1", "q", "x", "h", "v", "b", "y");
    json_object_set_new(ctx, key, value);
    char *text = json_dumps(ctx, JSON_COMPACT);
    json_decref(ctx);
    ivrsm_session_options so = {.ctx_json = text, .session_id = "agree"};
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &so, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    const ivrsm_command *c;
    int sent = 0;
    while ((c = ivrsm_session_next_command(s))) {
        if (c->type != IVRSM_COMMAND_HTTP)
            continue;
        outcome o = {0};
        int rc = ivrsm_http_submit(h, c, record, &o);
        ck_assert_msg(rc == 0, "the adapter refused a command of the session (%s): %s %.60s",
                      ivrsm_strerror(rc), key, text);
        ck_assert_int_eq(ivrsm_http_run(h, 20000), 0);
        outcome_clear(&o);
        sent = 1;
    }
    ivrsm_session_free(s);
    free(text);
    return sent;
}

static json_t *repeated(char ch, size_t n)
{
    char *v = malloc(n + 1);
    memset(v, ch, n);
    v[n] = '\0';
    json_t *j = json_string(v);
    free(v);
    return j;
}

START_TEST(session_and_adapter_agree)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_machine_load_buffer(agree_machine, strlen(agree_machine),
                                               IVRSM_FORMAT_YAML, "agree", &m, &err),
                     0);
    /* The longest base URL the adapter takes: the session's longest path still fits. */
    char long_base[IVRSM_HTTP_MAX_BASE_URL_BYTES + 1];
    int n = snprintf(long_base, sizeof long_base, "%s/", base_url);
    memset(long_base + n, 'b', sizeof long_base - 1 - (size_t)n);
    long_base[sizeof long_base - 1] = '\0';
    ivrsm_http_options opts = {.base_url = long_base};
    ivrsm_http *h = adapter_with(&opts);

    /* Every byte in a header value: a control character fails the action. */
    for (int b = 1; b < 256; b++) {
        char value[8];
        if (b < 0x80) /* a byte, or the code point b as UTF-8 */
            snprintf(value, sizeof value, "a%cz", (char)b);
        else
            snprintf(value, sizeof value, "a%c%cz", (char)(0xC0 | (b >> 6)),
                     (char)(0x80 | (b & 63)));
        int control = (b < 0x20 && b != '\t') || b == 0x7f;
        ck_assert_int_eq(session_command_sent(m, h, "h", json_string(value)), !control);
    }
    /* Path parameters: never a dot segment; everything else encoded. */
    static const char *const ids[] = {".", "..", "...", "../x", "%2e%2e", "a/../b", "é"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        ck_assert_int_eq(session_command_sent(m, h, "id", json_string(ids[i])), i >= 2);
    /* The bounds: "X-Value: " is 9 bytes; "/items/" 7 and "?q=x" 4; {"b":"..."} 8. */
    ck_assert_int_eq(session_command_sent(m, h, "h", repeated('v', IVRSM_MAX_HEADER_BYTES - 9)), 1);
    ck_assert_int_eq(session_command_sent(m, h, "h", repeated('v', IVRSM_MAX_HEADER_BYTES - 8)), 0);
    ck_assert_int_eq(session_command_sent(m, h, "id", repeated('i', IVRSM_MAX_PATH_BYTES - 11)), 1);
    ck_assert_int_eq(session_command_sent(m, h, "id", repeated('i', IVRSM_MAX_PATH_BYTES - 10)), 0);
    ck_assert_int_eq(
        session_command_sent(m, h, "b", repeated('y', IVRSM_MAX_REQUEST_BODY_BYTES - 8)), 1);
    ck_assert_int_eq(
        session_command_sent(m, h, "b", repeated('y', IVRSM_MAX_REQUEST_BODY_BYTES - 7)), 0);
    ivrsm_http_free(h);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(bad_options_refused)
{
    ivrsm_http *h = NULL;
    ivrsm_http_options o = {0};
    ck_assert_int_eq(ivrsm_http_new(NULL, &h), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_http_new(&o, &h), IVRSM_EINVAL); /* no base URL */
    o.base_url = base_url;
    ck_assert_int_eq(ivrsm_http_new(&o, NULL), IVRSM_EINVAL);

    const char *bad_urls[] = {"ftp://127.0.0.1/",
                              "127.0.0.1:8099",
                              "http://127.0.0.1/?q=1",
                              "http://127.0.0.1/#top",
                              "http://a b/",
                              "http://127.0.0.1/\r\nX: y",
                              "http://",
                              ""};
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        o.base_url = bad_urls[i];
        ck_assert_msg(ivrsm_http_new(&o, &h) == IVRSM_EINVAL, "accepted %s", bad_urls[i]);
    }
    o.base_url = base_url;

    const char *no_colon[] = {"X-Default one", NULL};
    const char *crlf[] = {"X-Default: one\r\nX-Injected: 1", NULL};
    const char *bad_name[] = {"X Default: one", NULL};
    const char *empty_name[] = {": one", NULL};
    const char *const *bad_defaults[] = {no_colon, crlf, bad_name, empty_name};
    for (size_t i = 0; i < sizeof bad_defaults / sizeof bad_defaults[0]; i++) {
        o.headers = bad_defaults[i];
        ck_assert_int_eq(ivrsm_http_new(&o, &h), IVRSM_EINVAL);
    }
    o.headers = NULL;

    o.user_agent = "agent\r\nX-Injected: 1";
    ck_assert_int_eq(ivrsm_http_new(&o, &h), IVRSM_EINVAL);
    o.user_agent = NULL;
    o.timeout_ms = -5;
    ck_assert_int_eq(ivrsm_http_new(&o, &h), IVRSM_EINVAL);
    o.timeout_ms = 0;
    ck_assert_ptr_null(h);

    /* Library calls on NULL do nothing harmful. */
    ck_assert_uint_eq(ivrsm_http_in_flight(NULL), 0);
    ivrsm_http_cancel_all(NULL);
    ivrsm_http_free(NULL);
    ck_assert_int_eq(ivrsm_http_run(NULL, 0), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_http_socket_action(NULL, -1, 0), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_http_assign(NULL, 3, NULL), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_http_result_event(NULL, NULL), IVRSM_EINVAL);

    /* Without hooks, socket_action is out of place. */
    ck_assert_int_eq(ivrsm_http_new(&o, &h), 0);
    ck_assert_int_eq(ivrsm_http_socket_action(h, -1, 0), IVRSM_ESTATE);
    ck_assert_int_eq(ivrsm_http_assign(h, 0, NULL), IVRSM_EINVAL);
    ivrsm_http_free(h);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Many at once, queueing, cancelling
 * ------------------------------------------------------------------------- */

#define CONCURRENT 50
#define SLOW_MS 300

START_TEST(fifty_in_flight_are_concurrent)
{
    ivrsm_http *h = adapter_with(NULL);
    outcome o[CONCURRENT];
    memset(o, 0, sizeof o);
    char query[64];
    /* The gate holds every answer until all 50 requests are waiting at the
     * server at once: a client that sent them one after another would get
     * nothing but timeouts. */
    snprintf(query, sizeof query, "ms=%d&gate=%d", SLOW_MS, CONCURRENT);
    double start = now_ms();
    for (int i = 0; i < CONCURRENT; i++) {
        ivrsm_command c = http_command((uint64_t)(100 + i), "GET", "/slow");
        c.http.query = query;
        ck_assert_int_eq(ivrsm_http_submit(h, &c, record, &o[i]), 0);
    }
    ck_assert_uint_eq(ivrsm_http_in_flight(h), CONCURRENT);
    ck_assert_int_eq(ivrsm_http_run(h, 20000), 0);
    double total = now_ms() - start;
    for (int i = 0; i < CONCURRENT; i++) {
        ck_assert_int_eq(o[i].calls, 1);
        ck_assert_uint_eq(o[i].command_id, (uint64_t)(100 + i));
        ck_assert_msg(o[i].status == 200, "request %d: status %d, error %s", i, o[i].status,
                      o[i].error ? o[i].error : "-");
        ck_assert_int_eq(json_integer_value(json_object_get(o[i].json, "gate_waiting")),
                         CONCURRENT);
        outcome_clear(&o[i]);
    }
    http_server_stats st;
    http_server_get_stats(server, &st);
    ck_assert_uint_eq(st.max_waiting, CONCURRENT);
    ck_assert_uint_eq(st.connections, CONCURRENT);
    ck_assert_msg(total < CONCURRENT * SLOW_MS / 4.0, "50 requests took %.0f ms", total);
    ivrsm_http_free(h);
}
END_TEST

START_TEST(queue_beyond_max_in_flight)
{
    ivrsm_http_options opts = {.max_in_flight = 2, .max_queued = 3};
    ivrsm_http *h = adapter_with(&opts);
    outcome o[5];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 5; i++) {
        ivrsm_command c = http_command((uint64_t)i, "GET", "/slow");
        c.http.query = "ms=50";
        ck_assert_int_eq(ivrsm_http_submit(h, &c, record, &o[i]), 0);
    }
    ivrsm_command extra = http_command(99, "GET", "/json");
    assert_refused(h, &extra, IVRSM_ELIMIT);
    ck_assert_uint_eq(ivrsm_http_in_flight(h), 5);
    ck_assert_int_eq(ivrsm_http_run(h, 20000), 0);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(o[i].status, 200);
        outcome_clear(&o[i]);
    }
    http_server_stats st;
    http_server_get_stats(server, &st);
    ck_assert_uint_eq(st.max_waiting, 2);
    ck_assert_uint_eq(st.requests, 5);
    ivrsm_http_free(h);
}
END_TEST

START_TEST(cancel_all_reports_cancelled)
{
    completions = 0;
    ivrsm_http_options opts = {.max_in_flight = 1};
    ivrsm_http *h = adapter_with(&opts);
    outcome o[3];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 3; i++) {
        ivrsm_command c = http_command((uint64_t)(40 + i), "GET", "/slow");
        c.http.query = "ms=5000";
        ck_assert_int_eq(ivrsm_http_submit(h, &c, record, &o[i]), 0);
    }
    ck_assert_int_eq(ivrsm_http_run(h, 100), 3);
    ivrsm_http_cancel_all(h);
    ck_assert_uint_eq(ivrsm_http_in_flight(h), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(o[i].calls, 1);
        ck_assert_int_eq(o[i].order, i);
        ck_assert_uint_eq(o[i].command_id, (uint64_t)(40 + i));
        ck_assert_int_eq(o[i].status, 0);
        ck_assert_str_eq(o[i].error, "cancelled");
        outcome_clear(&o[i]);
    }
    /* The adapter still works afterwards. */
    ivrsm_command c = http_command(50, "GET", "/json");
    outcome after = {0};
    run_one(h, &c, &after);
    ck_assert_int_eq(after.status, 200);
    outcome_clear(&after);
    ivrsm_http_free(h);
}
END_TEST

static int free_calls;

/* One command stopped by its id and user: its callback says "cancelled" before the call
 * returns, the queued one behind it takes its slot, and the others (one with the same id from
 * another "session") go on untouched. */
START_TEST(cancel_one_command)
{
    completions = 0;
    ivrsm_http_options opts = {.max_in_flight = 2};
    ivrsm_http *h = adapter_with(&opts);
    outcome o[3];
    memset(o, 0, sizeof o);
    uint64_t ids[3] = {7, 7, 8}; /* two sessions' command 7, one queued command */
    const char *waits[3] = {"ms=5000", "ms=50", "ms=50"};
    for (int i = 0; i < 3; i++) {
        ivrsm_command c = http_command(ids[i], "GET", "/slow");
        c.http.query = waits[i];
        ck_assert_int_eq(ivrsm_http_submit(h, &c, record, &o[i]), 0);
    }
    ck_assert_int_eq(ivrsm_http_cancel(h, 7, &o[2]), IVRSM_ENOTFOUND); /* user tells apart */
    ck_assert_int_eq(ivrsm_http_cancel(h, 9, &o[0]), IVRSM_ENOTFOUND);
    ck_assert_int_eq(ivrsm_http_cancel(NULL, 7, &o[0]), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_http_cancel(h, 7, &o[0]), 0);
    ck_assert_int_eq(o[0].calls, 1);
    ck_assert_int_eq(o[0].status, 0);
    ck_assert_str_eq(o[0].error, "cancelled");
    ck_assert_uint_eq(ivrsm_http_in_flight(h), 2);
    ck_assert_int_eq(ivrsm_http_cancel(h, 7, &o[0]), IVRSM_ENOTFOUND); /* once */
    double t0 = now_ms();
    ck_assert_int_eq(ivrsm_http_run(h, 5000), 0);
    ck_assert_double_lt(now_ms() - t0, 2000); /* the slow one is not waited for */
    for (int i = 1; i < 3; i++) {
        ck_assert_int_eq(o[i].calls, 1);
        ck_assert_int_eq(o[i].status, 200);
    }
    ck_assert_int_eq(o[0].calls, 1);
    for (int i = 0; i < 3; i++)
        outcome_clear(&o[i]);
    /* A queued command is cancelled without ever starting. */
    ivrsm_http_options one = {.max_in_flight = 1};
    ivrsm_http *q = adapter_with(&one);
    outcome p[2];
    memset(p, 0, sizeof p);
    for (int i = 0; i < 2; i++) {
        ivrsm_command c = http_command((uint64_t)(20 + i), "GET", "/slow");
        c.http.query = "ms=50";
        ck_assert_int_eq(ivrsm_http_submit(q, &c, record, &p[i]), 0);
    }
    ck_assert_int_eq(ivrsm_http_cancel(q, 21, &p[1]), 0);
    ck_assert_str_eq(p[1].error, "cancelled");
    ck_assert_int_eq(ivrsm_http_run(q, 5000), 0);
    ck_assert_int_eq(p[0].status, 200);
    for (int i = 0; i < 2; i++)
        outcome_clear(&p[i]);
    ivrsm_http_free(q);
    ivrsm_http_free(h);
}
END_TEST

static void count_call(void *user, const ivrsm_http_result *r)
{
    (void)user;
    (void)r;
    free_calls++;
}

START_TEST(free_drops_callbacks)
{
    ivrsm_http_options opts = {.max_in_flight = 1};
    ivrsm_http *h = adapter_with(&opts);
    for (int i = 0; i < 3; i++) {
        ivrsm_command c = http_command((uint64_t)i, "GET", "/slow");
        c.http.query = "ms=5000";
        ck_assert_int_eq(ivrsm_http_submit(h, &c, count_call, NULL), 0);
    }
    ck_assert_int_eq(ivrsm_http_run(h, 50), 3);
    ivrsm_http_free(h);
    ck_assert_int_eq(free_calls, 0);
}
END_TEST

/* Each completion submits the next command of a chain, as a host feeding a
 * session and executing its next http command would. */
typedef struct chain {
    ivrsm_http *h;
    int remaining;
    int statuses[8];
    int done;
} chain;

static void chain_next(void *user, const ivrsm_http_result *r)
{
    chain *ch = user;
    ch->statuses[ch->done++] = r->status;
    ck_assert_uint_eq(ivrsm_http_in_flight(ch->h), 0);
    if (--ch->remaining > 0) {
        ivrsm_command c = http_command(r->command_id + 1, "GET", "/json");
        ck_assert_int_eq(ivrsm_http_submit(ch->h, &c, chain_next, ch), 0);
    }
}

START_TEST(callbacks_may_submit)
{
    ivrsm_http *h = adapter_with(NULL);
    chain ch = {.h = h, .remaining = 4};
    ivrsm_command c = http_command(1, "GET", "/json");
    ck_assert_int_eq(ivrsm_http_submit(h, &c, chain_next, &ch), 0);
    ck_assert_int_eq(ivrsm_http_run(h, 20000), 0);
    ck_assert_int_eq(ch.done, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(ch.statuses[i], 200);
    /* Sequential requests reuse one connection. */
    http_server_stats st;
    http_server_get_stats(server, &st);
    ck_assert_uint_eq(st.connections, 1);
    ck_assert_uint_eq(st.requests, 4);
    ivrsm_http_free(h);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The ACTION_RESULT event
 * ------------------------------------------------------------------------- */

typedef struct event_check {
    int calls;
    ivrsm_event ev;
    char body[256];
    char error[64];
} event_check;

static void to_event(void *user, const ivrsm_http_result *r)
{
    event_check *e = user;
    e->calls++;
    ck_assert_int_eq(ivrsm_http_result_event(r, &e->ev), 0);
    ck_assert_uint_eq(e->ev.command_id, r->command_id);
    snprintf(e->body, sizeof e->body, "%s", e->ev.body ? e->ev.body : "(null)");
    snprintf(e->error, sizeof e->error, "%s", e->ev.error ? e->ev.error : "(null)");
}

START_TEST(result_event_for_the_session)
{
    ivrsm_http *h = adapter_with(NULL);
    event_check e = {0};
    ivrsm_command c = http_command(77, "GET", "/json");
    ck_assert_int_eq(ivrsm_http_submit(h, &c, to_event, &e), 0);
    ck_assert_int_eq(ivrsm_http_run(h, 20000), 0);
    ck_assert_int_eq(e.calls, 1);
    ck_assert_int_eq(e.ev.type, IVRSM_EVENT_ACTION_RESULT);
    ck_assert_uint_eq(e.ev.command_id, 77);
    ck_assert_int_eq(e.ev.status, 200);
    ck_assert_str_eq(e.body, "{\"ok\":true,\"route\":\"json\",\"items\":[1,2,3]}");
    ck_assert_uint_eq(e.ev.body_len, strlen(e.body));
    ck_assert_str_eq(e.error, "(null)");
    ck_assert_ptr_null(e.ev.event_id);
    ck_assert_ptr_null(e.ev.text);

    memset(&e, 0, sizeof e);
    c = http_command(78, "GET", "/slow");
    c.http.query = "ms=3000";
    c.http.timeout_ms = 100;
    ck_assert_int_eq(ivrsm_http_submit(h, &c, to_event, &e), 0);
    ck_assert_int_eq(ivrsm_http_run(h, 20000), 0);
    ck_assert_int_eq(e.ev.status, 0);
    ck_assert_str_eq(e.body, "(null)");
    ck_assert_uint_eq(e.ev.body_len, 0);
    ck_assert_str_eq(e.error, "timeout");

    ivrsm_http_result r = {0};
    ck_assert_int_eq(ivrsm_http_result_event(&r, NULL), IVRSM_EINVAL);
    /* The event is an output: whatever it held (an uninitialised local), it is written whole. */
    ivrsm_event garbage;
    memset(&garbage, 0xA5, sizeof garbage);
    r.command_id = 7;
    r.status = 204;
    r.body = "";
    ck_assert_int_eq(ivrsm_http_result_event(&r, &garbage), 0);
    ck_assert_uint_eq(garbage.size, sizeof garbage);
    ck_assert_int_eq(garbage.type, IVRSM_EVENT_ACTION_RESULT);
    ck_assert_ptr_null(garbage.event_id);
    ck_assert_ptr_null(garbage.body);
    ck_assert_uint_eq(garbage.command_id, 7);
    ivrsm_http_free(h);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Driven by the host's poll() loop through the hooks
 * ------------------------------------------------------------------------- */

#define MAX_WATCHED 128

typedef struct host_loop {
    ivrsm_http *h;
    int fds[MAX_WATCHED];
    short events[MAX_WATCHED];
    size_t count;
    int timer_set;
    double timer_at;
    int socket_calls;
    int removes;
    int removes_with_tag;
    int timer_calls;
    int last_timer;
    int tag;          /* what the host attaches to every descriptor */
    int fail_sockets; /* refuse this many watch requests */
    int fail_timers;  /* refuse this many timer requests */
} host_loop;

static int find_fd(const host_loop *l, int fd)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->fds[i] == fd)
            return (int)i;
    return -1;
}

static int on_socket(void *user, int fd, ivrsm_http_poll what, void *fd_user)
{
    host_loop *l = user;
    l->socket_calls++;
    if (what != IVRSM_HTTP_POLL_REMOVE && l->fail_sockets > 0) {
        l->fail_sockets--;
        return -1;
    }
    int i = find_fd(l, fd);
    if (what == IVRSM_HTTP_POLL_REMOVE) {
        ck_assert_int_ge(i, 0);
        l->removes++;
        l->removes_with_tag += fd_user == &l->tag;
        l->fds[i] = l->fds[l->count - 1];
        l->events[i] = l->events[l->count - 1];
        l->count--;
        return 0;
    }
    if (i < 0) {
        ck_assert_uint_lt(l->count, MAX_WATCHED);
        i = (int)l->count++;
        l->fds[i] = fd;
        ck_assert_ptr_null(fd_user);
        ck_assert_int_eq(ivrsm_http_assign(l->h, fd, &l->tag), 0); /* allocates nothing */
    } else {
        ck_assert_ptr_eq(fd_user, &l->tag);
    }
    l->events[i] = (short)((what & IVRSM_HTTP_POLL_IN ? POLLIN : 0) |
                           (what & IVRSM_HTTP_POLL_OUT ? POLLOUT : 0));
    return 0;
}

static int on_timer(void *user, long timeout_ms)
{
    host_loop *l = user;
    l->timer_calls++;
    if (l->fail_timers > 0) {
        l->fail_timers--;
        return -1;
    }
    l->last_timer = (int)timeout_ms;
    l->timer_set = timeout_ms >= 0;
    l->timer_at = now_ms() + (double)(timeout_ms > 0 ? timeout_ms : 0);
    return 0;
}

/* The host's loop: poll the watched descriptors until the timer or an event. */
static void drive_with_poll(host_loop *l, double limit_ms)
{
    double deadline = now_ms() + limit_ms;
    while (ivrsm_http_in_flight(l->h) > 0 && now_ms() < deadline) {
        struct pollfd pfd[MAX_WATCHED];
        size_t n = l->count;
        for (size_t i = 0; i < n; i++)
            pfd[i] = (struct pollfd){.fd = l->fds[i], .events = l->events[i]};
        int wait = 100;
        if (l->timer_set) {
            double in = l->timer_at - now_ms();
            wait = in <= 0 ? 0 : (int)in + 1;
        }
        ck_assert_int_ge(poll(pfd, n, wait), 0);
        for (size_t i = 0; i < n; i++) {
            if (!pfd[i].revents)
                continue;
            int ev = (pfd[i].revents & (POLLIN | POLLHUP) ? IVRSM_HTTP_EV_IN : 0) |
                     (pfd[i].revents & POLLOUT ? IVRSM_HTTP_EV_OUT : 0) |
                     (pfd[i].revents & (POLLERR | POLLNVAL) ? IVRSM_HTTP_EV_ERR : 0);
            ck_assert_int_eq(ivrsm_http_socket_action(l->h, pfd[i].fd, ev), 0);
        }
        if (l->timer_set && now_ms() >= l->timer_at) {
            l->timer_set = 0;
            ck_assert_int_eq(ivrsm_http_socket_action(l->h, -1, 0), 0);
        }
    }
}

START_TEST(driven_by_host_poll_loop)
{
    completions = 0;
    host_loop l = {0};
    ivrsm_http_options opts = {.socket_hook = on_socket, .timer_hook = on_timer, .loop_user = &l};
    l.h = adapter_with(&opts);
    ck_assert_int_eq(ivrsm_http_run(l.h, 0), IVRSM_ESTATE);
    ck_assert_int_eq(ivrsm_http_socket_action(l.h, -1, 8), IVRSM_EINVAL);

    enum { N = 12 };
    outcome o[N];
    memset(o, 0, sizeof o);
    for (int i = 0; i < N; i++) {
        ivrsm_command c;
        if (i % 3 == 0) {
            c = http_command((uint64_t)i, "GET", "/json");
        } else if (i % 3 == 1) {
            c = http_command((uint64_t)i, "GET", "/slow");
            c.http.query = "ms=150&gate=4"; /* the 4 slow ones answer together */
        } else {
            c = http_command((uint64_t)i, "POST", "/status/404");
            c.http.body = "{}";
        }
        ck_assert_int_eq(ivrsm_http_submit(l.h, &c, record, &o[i]), 0);
    }
    ck_assert_int_ge(l.timer_calls, 1); /* libcurl asked to be kicked off */
    drive_with_poll(&l, 20000);
    ck_assert_uint_eq(ivrsm_http_in_flight(l.h), 0);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(o[i].calls, 1);
        ck_assert_int_eq(o[i].status, i % 3 == 0 ? 200 : i % 3 == 1 ? 200 : 404);
        if (i % 3 == 1)
            ck_assert_int_eq(json_integer_value(json_object_get(o[i].json, "gate_waiting")), 4);
        outcome_clear(&o[i]);
    }
    ck_assert_int_gt(l.socket_calls, 0);

    /* A timeout is the timer hook's job alone. */
    ivrsm_command c = http_command(99, "GET", "/slow");
    c.http.query = "ms=5000";
    c.http.timeout_ms = 150;
    outcome t = {0};
    ck_assert_int_eq(ivrsm_http_submit(l.h, &c, record, &t), 0);
    drive_with_poll(&l, 20000);
    ck_assert_str_eq(t.error, "timeout");
    outcome_clear(&t);

    /* Free tells the host to stop watching everything and drops the timer. */
    int removes_before = l.removes;
    ivrsm_http_free(l.h);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_int_eq(l.removes_with_tag, l.removes);
    ck_assert_int_ge(l.removes, removes_before);
    ck_assert_int_eq(l.last_timer, -1);
}
END_TEST

START_TEST(hooks_must_come_in_pairs)
{
    host_loop l = {0};
    ivrsm_http_options opts = {.base_url = base_url, .socket_hook = on_socket};
    ivrsm_http *h = NULL;
    ck_assert_int_eq(ivrsm_http_new(&opts, &h), IVRSM_EINVAL);
    opts.socket_hook = NULL;
    opts.timer_hook = on_timer;
    opts.loop_user = &l;
    ck_assert_int_eq(ivrsm_http_new(&opts, &h), IVRSM_EINVAL);
    ck_assert_ptr_null(h);
}
END_TEST

START_TEST(cancel_all_with_hooks)
{
    completions = 0;
    host_loop l = {0};
    ivrsm_http_options opts = {.socket_hook = on_socket, .timer_hook = on_timer, .loop_user = &l};
    l.h = adapter_with(&opts);
    outcome o[4];
    memset(o, 0, sizeof o);
    for (int i = 0; i < 4; i++) {
        ivrsm_command c = http_command((uint64_t)i, "GET", "/slow");
        c.http.query = "ms=5000";
        ck_assert_int_eq(ivrsm_http_submit(l.h, &c, record, &o[i]), 0);
    }
    drive_with_poll(&l, 200);
    ck_assert_uint_eq(ivrsm_http_in_flight(l.h), 4);
    ck_assert_uint_gt(l.count, 0);
    ivrsm_http_cancel_all(l.h);
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(o[i].error, "cancelled");
        outcome_clear(&o[i]);
    }
    ivrsm_http_free(l.h);
    ck_assert_uint_eq(l.count, 0);
}
END_TEST

START_TEST(hook_failures_fail_transfers_not_the_adapter)
{
    host_loop l = {0};
    ivrsm_http_options opts = {.socket_hook = on_socket, .timer_hook = on_timer, .loop_user = &l};
    l.h = adapter_with(&opts);
    ivrsm_command c = http_command(1, "GET", "/json");
    outcome o = {0};

    /* No timer: the submission is refused at once. */
    l.fail_timers = 1;
    ck_assert_int_eq(ivrsm_http_submit(l.h, &c, record, &o), IVRSM_ENOMEM);
    ck_assert_uint_eq(ivrsm_http_in_flight(l.h), 0);

    /* The host cannot watch the connection: the transfer fails, and the host
     * never hears of that descriptor again (on_socket checks every REMOVE). */
    l.fail_sockets = 1;
    ck_assert_int_eq(ivrsm_http_submit(l.h, &c, record, &o), 0);
    drive_with_poll(&l, 20000);
    ck_assert_int_eq(o.calls, 1);
    ck_assert_int_eq(o.status, 0);
    ck_assert_str_eq(o.error, "event loop failure");
    outcome_clear(&o);

    /* The adapter goes on working. */
    c.id = 2;
    ck_assert_int_eq(ivrsm_http_submit(l.h, &c, record, &o), 0);
    drive_with_poll(&l, 20000);
    ck_assert_int_eq(o.status, 200);
    ck_assert_ptr_null(o.error);
    outcome_clear(&o);
    ivrsm_http_free(l.h);
    ck_assert_uint_eq(l.count, 0);
}
END_TEST

START_TEST(free_with_hooks_releases_the_loop)
{
    host_loop l = {0};
    ivrsm_http_options opts = {.socket_hook = on_socket, .timer_hook = on_timer, .loop_user = &l};
    l.h = adapter_with(&opts);
    free_calls = 0;
    for (int i = 0; i < 3; i++) {
        ivrsm_command c = http_command((uint64_t)i, "GET", "/slow");
        c.http.query = "ms=5000";
        ck_assert_int_eq(ivrsm_http_submit(l.h, &c, count_call, NULL), 0);
    }
    drive_with_poll(&l, 200);
    ck_assert_uint_eq(l.count, 3); /* one connection per waiting request */
    ck_assert(l.timer_set);        /* libcurl keeps a timeout pending */
    ivrsm_http_free(l.h);
    ck_assert_int_eq(free_calls, 0);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_int_eq(l.removes, 3);
    ck_assert_int_eq(l.removes_with_tag, 3);
    ck_assert_int_eq(l.last_timer, -1);
    ck_assert(!l.timer_set);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Allocation failures (the allocator is at the top of the file)
 * ------------------------------------------------------------------------- */

/*
 * One host's round trip with the `fail_at`-th allocation failing: every step
 * either succeeds or says IVRSM_ENOMEM / "out of memory", and nothing leaks
 * (ASan and valgrind runs check that). Returns nonzero once no allocation
 * failed, i.e. every allocation site has been tried.
 */
static int round_trip_failing_at(long fail_at, host_loop *loop)
{
    const char *defaults[] = {"Authorization: Bearer t0k3n", "X-Default: one", NULL};
    ivrsm_http_options opts = {
        .size = sizeof opts, .base_url = base_url, .headers = defaults, .mem = &alloc_fm.mem};
    if (loop) {
        memset(loop, 0, sizeof *loop);
        opts.socket_hook = on_socket;
        opts.timer_hook = on_timer;
        opts.loop_user = loop;
    }
    ivrsm_header headers[] = {{"X-Trace", "abc"}};
    ivrsm_command echo = http_command(1, "POST", "/echo");
    echo.http.headers = headers;
    echo.http.header_count = 1;
    echo.http.body = "{\"a\":1}";
    echo.http.idempotency_key = "s:1";
    ivrsm_command big = http_command(2, "GET", "/big");
    big.http.query = "bytes=40000";
    const ivrsm_command *cmds[] = {&echo, &big};
    outcome o[2];
    memset(o, 0, sizeof o);

    ivrsm_http *h = NULL;
    failing_mem_init(&alloc_fm);
    failing_mem_fail_one(&alloc_fm, fail_at);
    int rc = ivrsm_http_new(&opts, &h);
    if (rc != 0) {
        ck_assert_int_eq(rc, IVRSM_ENOMEM);
        ck_assert(alloc_fm.refused);
        ck_assert_int_eq(alloc_fm.live, 0);
        return 0;
    }
    if (loop)
        loop->h = h;
    int submitted = 0;
    for (int i = 0; i < 2; i++) {
        rc = ivrsm_http_submit(h, cmds[i], record, &o[i]);
        if (rc == 0)
            submitted++;
        else
            ck_assert_int_eq(rc, IVRSM_ENOMEM);
    }
    if (loop) {
        drive_with_poll(loop, 20000);
    } else {
        rc = ivrsm_http_run(h, 20000);
        ck_assert_int_eq(rc, 0);
    }
    failing_mem_off(&alloc_fm);
    for (int i = 0; i < 2; i++) {
        if (o[i].calls == 0)
            continue;
        submitted--;
        if (o[i].error)
            ck_assert_int_eq(o[i].status, 0);
        else
            ck_assert_int_eq(o[i].status, 200);
        outcome_clear(&o[i]);
    }
    ck_assert_int_eq(submitted, 0); /* one callback per accepted command */
    ivrsm_http_free(h);
    if (loop)
        ck_assert_uint_eq(loop->count, 0);
    ck_assert_int_eq(alloc_fm.live, 0); /* everything the adapter took, it gave back */
    ck_assert(!alloc_fm.misused);
    return !alloc_fm.refused;
}

START_TEST(allocation_failures_with_run)
{
    long n = 0;
    while (!round_trip_failing_at(n, NULL))
        n++;
    ck_assert_int_gt(n, 10); /* the adapter does allocate through its allocator */
}
END_TEST

START_TEST(allocation_failures_with_hooks)
{
    host_loop loop;
    long n = 0;
    while (!round_trip_failing_at(n, &loop))
        n++;
    ck_assert_int_gt(n, 10);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Suite
 * ------------------------------------------------------------------------- */

static Suite *http_curl_suite(void)
{
    Suite *s = suite_create("http_curl");
    TCase *results = tcase_create("results");
    tcase_add_checked_fixture(results, server_setup, server_teardown);
    tcase_add_test(results, json_2xx_is_parsed);
    tcase_add_test(results, status_4xx_keeps_status_and_body);
    tcase_add_test(results, status_5xx_keeps_status_and_body);
    tcase_add_test(results, non_json_2xx_is_invalid_json);
    tcase_add_test(results, deep_2xx_is_invalid_json);
    tcase_add_test(results, json_check_needs_no_memory);
    tcase_add_test(results, json_check_agrees_with_jansson);
    tcase_add_test(results, oversized_body_is_refused);
    tcase_add_test(results, result_event_for_the_session);
    suite_add_tcase(s, results);

    TCase *failures = tcase_create("transport");
    tcase_add_checked_fixture(failures, server_setup, server_teardown);
    tcase_add_test(failures, timeout_gives_status_0);
    tcase_add_test(failures, connection_refused);
    tcase_add_test(failures, close_without_response);
    suite_add_tcase(s, failures);

    TCase *wire = tcase_create("wire");
    tcase_add_checked_fixture(wire, server_setup, server_teardown);
    tcase_add_test(wire, headers_sent);
    tcase_add_test(wire, methods_and_bodies);
    tcase_add_test(wire, path_and_query_verbatim);
    tcase_add_test(wire, dot_segments_refused);
    tcase_add_test(wire, session_and_adapter_agree);
    tcase_add_test(wire, header_injection_refused);
    tcase_add_test(wire, limits_refused);
    tcase_add_test(wire, bad_options_refused);
    suite_add_tcase(s, wire);

    TCase *flow = tcase_create("concurrency");
    tcase_add_checked_fixture(flow, server_setup, server_teardown);
    tcase_set_timeout(flow, 60);
    tcase_add_test(flow, fifty_in_flight_are_concurrent);
    tcase_add_test(flow, queue_beyond_max_in_flight);
    tcase_add_test(flow, cancel_all_reports_cancelled);
    tcase_add_test(flow, cancel_one_command);
    tcase_add_test(flow, free_drops_callbacks);
    tcase_add_test(flow, callbacks_may_submit);
    suite_add_tcase(s, flow);

    TCase *hooks = tcase_create("hooks");
    tcase_add_checked_fixture(hooks, server_setup, server_teardown);
    tcase_set_timeout(hooks, 60);
    tcase_add_test(hooks, driven_by_host_poll_loop);
    tcase_add_test(hooks, hooks_must_come_in_pairs);
    tcase_add_test(hooks, cancel_all_with_hooks);
    tcase_add_test(hooks, free_with_hooks_releases_the_loop);
    tcase_add_test(hooks, hook_failures_fail_transfers_not_the_adapter);
    suite_add_tcase(s, hooks);

    TCase *oom = tcase_create("allocation failures");
    tcase_add_checked_fixture(oom, server_setup, server_teardown);
    tcase_set_timeout(oom, 120);
    tcase_add_test(oom, allocation_failures_with_run);
    tcase_add_test(oom, allocation_failures_with_hooks);
    suite_add_tcase(s, oom);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(http_curl_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
