/*
 * libivrsm-http — run the http commands of libivrsm sessions with libcurl.
 *
 * A session emits IVRSM_COMMAND_HTTP commands; this adapter sends them to
 * the operator's backend without blocking and hands back one result per
 * command, ready to be fed to the session as an ACTION_RESULT event:
 *
 *     static void on_done(void *user, const ivrsm_http_result *r)
 *     {
 *         ivrsm_event ev;
 *         ivrsm_http_result_event(r, &ev);
 *         ivrsm_session_feed(user, &ev);   // then drain the session's commands
 *     }
 *
 *     ivrsm_http_options o = {.base_url = "http://127.0.0.1:8099"};
 *     ivrsm_http *h;
 *     if (ivrsm_http_new(&o, &h) == 0) {
 *         ivrsm_http_submit(h, cmd, on_done, session);
 *         while (ivrsm_http_run(h, 1000) > 0)
 *             ;
 *         ivrsm_http_free(h);
 *     }
 *
 * Many transfers run at once on one thread, over libcurl's multi interface.
 * Two ways to drive them:
 *   - ivrsm_http_run(): a small loop of its own, for tools and simple hosts;
 *   - the host's event loop (poll, epoll, libuv...): give a socket hook and a
 *     timer hook in ivrsm_http_options, watch the descriptors they name, and
 *     call ivrsm_http_socket_action() when one is ready or the timer expires.
 *     This is libcurl's CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION
 *     pattern, unchanged.
 *
 * Conventions are those of ivrsm.h: 0 or a negative IVRSM_E* code (see
 * ivrsm_strerror()), out-parameters last.
 *
 * Threads: the adapter starts none and keeps no global state. One ivrsm_http
 * belongs to one thread at a time. ivrsm_http_new() and ivrsm_http_free()
 * call curl_global_init() and curl_global_cleanup() (reference-counted by
 * libcurl); with a libcurl that reports CURL_VERSION_THREADSAFE (7.84 and
 * later builds with atomics) this is safe from any thread. With an older
 * libcurl, call curl_global_init() once yourself before any thread starts:
 * the adapter's calls then only adjust libcurl's count. Depending on how it
 * was built, libcurl may resolve host names on threads of its own; a numeric
 * address in the base URL avoids name resolution entirely.
 *
 * Needs libcurl 7.66 or later. Link with pkg-config's libivrsm-http.
 */
#ifndef IVRSM_HTTP_CURL_H
#define IVRSM_HTTP_CURL_H

#include <stddef.h>
#include <stdint.h>

#include "ivrsm/ivrsm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------
 * Bounds and defaults
 * ------------------------------------------------------------------------- */

#define IVRSM_HTTP_DEFAULT_TIMEOUT_MS 10000 /* when neither side gives one */
#define IVRSM_HTTP_DEFAULT_MAX_RESPONSE IVRSM_MAX_RESULT_BODY_BYTES /* one response body */
#define IVRSM_HTTP_DEFAULT_MAX_IN_FLIGHT 64 /* transfers on the wire at once */
#define IVRSM_HTTP_DEFAULT_MAX_QUEUED 4096  /* waiting for a free slot */
/* The request bounds are the session's (ivrsm.h), so that the adapter
 * accepts every command a session emits; the base URL leaves room for the
 * longest path and query. */
#define IVRSM_HTTP_MAX_URL_BYTES 8192 /* base URL + path + query */
#define IVRSM_HTTP_MAX_BASE_URL_BYTES (IVRSM_HTTP_MAX_URL_BYTES - IVRSM_MAX_PATH_BYTES - 1)
#define IVRSM_HTTP_MAX_HEADER_BYTES IVRSM_MAX_HEADER_BYTES       /* one "Name: value" line */
#define IVRSM_HTTP_MAX_HEADERS IVRSM_MAX_HEADERS                 /* default or command headers */
#define IVRSM_HTTP_MAX_REQUEST_BODY IVRSM_MAX_REQUEST_BODY_BYTES /* bytes of one request body */

/* ---------------------------------------------------------------------------
 * Results
 * ------------------------------------------------------------------------- */

/*
 * The outcome of one command, given to its completion callback. Everything
 * it points at (body, error, detail) belongs to the adapter and is freed
 * when the callback returns: copy what you keep. The adapter brings no JSON
 * library into the host's code: a host that wants the body as a value parses
 * `body` with the JSON library of its choice.
 *
 * A transfer either completed (error is NULL, or "invalid JSON") or failed
 * (status is 0, body is empty, error says why). The error strings are stable
 * and meant to be matched:
 *   "timeout"             no complete response within the command's timeout
 *   "connection refused"  nothing listens at the backend's address
 *   "connection failed"   the backend could not be reached (unreachable...)
 *   "cannot resolve host" the base URL's host name does not resolve
 *   "empty reply"         the backend closed the connection without answering
 *   "truncated response"  the connection closed in the middle of the body
 *   "network error"       sending or receiving failed (connection reset...)
 *   "TLS error"           the TLS handshake or the certificate check failed
 *   "invalid response"    what came back is not HTTP (a status outside 100 to 599, or
 *                         a header line longer than libcurl takes, 100 KiB, or headers
 *                         past its 300 KiB in all, interim 1xx answers counted, too)
 *   "response too large"  the body exceeds max_response_bytes
 *   "invalid JSON"        a 2xx response whose body is not JSON, or nests
 *                         deeper than IVRSM_MAX_DEPTH as no answer a session
 *                         takes may (status and body are kept so the host can
 *                         log them)
 *   "out of memory"       an allocation failed during the transfer
 *   "event loop failure"  a hook returned -1 (see ivrsm_http_socket_fn)
 *   "cancelled"           ivrsm_http_cancel_all() or ivrsm_http_cancel() stopped it
 * Any other libcurl failure gives libcurl's own short description.
 */
typedef struct ivrsm_http_result {
    uint64_t command_id; /* the id of the command this answers */
    int status;          /* HTTP status, or 0 when the transfer failed */
    const char *body;    /* the response body, NUL-terminated; "" when none; never NULL */
    size_t body_len;     /* bytes in body, the terminating NUL excluded */
    const char *error;   /* NULL when a response came back (whatever its status), except
                            "invalid JSON" for a 2xx; else one of the strings above */
    const char *detail;  /* a longer English explanation for logs (libcurl's message,
                            or where the JSON is malformed), or NULL */
    double elapsed_ms;   /* from ivrsm_http_submit() to completion, queueing included */
} ivrsm_http_result;

/*
 * Called once per submitted command, from within ivrsm_http_run(),
 * ivrsm_http_socket_action(), ivrsm_http_cancel_all() or ivrsm_http_cancel().
 * It may call ivrsm_http_submit(), ivrsm_http_in_flight(),
 * ivrsm_http_cancel_all() and ivrsm_http_cancel() on the same adapter, but
 * not ivrsm_http_free().
 */
typedef void (*ivrsm_http_done_fn)(void *user, const ivrsm_http_result *result);

/*
 * Fill `ev` with an IVRSM_EVENT_ACTION_RESULT event for `r`: command_id,
 * status, body (NULL when empty) and body_len, error. event_id is NULL (set
 * one if your host deduplicates deliveries). The event points into the
 * result, so feed it during the callback.
 * Returns 0, or IVRSM_EINVAL when r or ev is NULL.
 */
IVRSM_API int ivrsm_http_result_event_versioned(const ivrsm_http_result *r, ivrsm_event *ev,
                                                size_t ev_size);
/* `ev` is written whole, whatever it held: its size comes from the header compiled against. */
#define ivrsm_http_result_event(r, ev)                                                             \
    ivrsm_http_result_event_versioned((r), (ev), sizeof(ivrsm_event))

/* ---------------------------------------------------------------------------
 * Event-loop hooks (optional)
 * ------------------------------------------------------------------------- */

/* What the socket hook asks the host to watch for on a descriptor. */
typedef enum ivrsm_http_poll {
    IVRSM_HTTP_POLL_IN = 1,    /* readable */
    IVRSM_HTTP_POLL_OUT = 2,   /* writable */
    IVRSM_HTTP_POLL_INOUT = 3, /* either */
    IVRSM_HTTP_POLL_REMOVE = 4 /* stop watching it: the adapter is done with it */
} ivrsm_http_poll;

/* What the host saw on a descriptor, for ivrsm_http_socket_action(); a bit set. */
enum {
    IVRSM_HTTP_EV_IN = 1,  /* readable (or hung up) */
    IVRSM_HTTP_EV_OUT = 2, /* writable */
    IVRSM_HTTP_EV_ERR = 4  /* an error condition (POLLERR) */
};

/*
 * Socket hook: start, change or stop watching `fd` for `what`.
 * fd_user is what the host attached to this descriptor with
 * ivrsm_http_assign(), NULL until then. Return 0, or -1 when the host could
 * not do it: every transfer on the wire then fails with "event loop failure"
 * before ivrsm_http_socket_action() returns, and the adapter goes on with
 * the next ones. (The return value of a REMOVE call is ignored.)
 */
typedef int (*ivrsm_http_socket_fn)(void *loop_user, int fd, ivrsm_http_poll what, void *fd_user);

/*
 * Timer hook: call ivrsm_http_socket_action(h, -1, 0) once `timeout_ms`
 * milliseconds have passed, replacing any earlier timer; -1 removes the timer.
 * 0 means "as soon as possible", but from the loop, not from within the hook.
 * Return 0, or -1 when the timer could not be set: as for the socket hook,
 * the transfers on the wire then fail with "event loop failure", and a
 * submission whose timer could not be set is refused with IVRSM_ENOMEM.
 *
 * Neither hook may call back into the adapter, except ivrsm_http_assign()
 * from the socket hook. The hooks are called from within ivrsm_http_submit(),
 * ivrsm_http_socket_action(), ivrsm_http_cancel_all() and ivrsm_http_free().
 */
typedef int (*ivrsm_http_timer_fn)(void *loop_user, long timeout_ms);

/* ---------------------------------------------------------------------------
 * The adapter
 * ------------------------------------------------------------------------- */

typedef struct ivrsm_http ivrsm_http;

/*
 * Configuration, copied by ivrsm_http_new(). Zero a struct and set what you
 * need; zero fields take the documented defaults.
 */
typedef struct ivrsm_http_options {
    size_t size; /* IVRSM_HTTP_OPTIONS_INIT; 0 = the 0.2 layout (see ivrsm_event) */
    /* Required. "http://host:port" or "https://...", optionally with a path
     * prefix ("http://10.0.0.5/api"); no query, no fragment. Command paths are
     * appended to it; one trailing slash is dropped so "http://h/" + "/x"
     * gives "http://h/x". */
    const char *base_url;
    /* Headers sent with every request, "Name: value", NULL-terminated array;
     * may be NULL. At most IVRSM_HTTP_MAX_HEADERS. A command header with the
     * same name (case-insensitive) replaces the default one. */
    const char *const *headers;
    /* Timeout of a whole transfer, connection included, when the command's
     * timeout_ms is 0. 0: IVRSM_HTTP_DEFAULT_TIMEOUT_MS. */
    int timeout_ms;
    /* Larger response bodies fail with "response too large".
     * 0: IVRSM_HTTP_DEFAULT_MAX_RESPONSE. */
    size_t max_response_bytes;
    /* Transfers on the wire at once; more wait in a FIFO queue (a transfer's
     * timeout starts when it leaves the queue). 0: IVRSM_HTTP_DEFAULT_MAX_IN_FLIGHT. */
    size_t max_in_flight;
    /* Bound of that queue; ivrsm_http_submit() refuses more with IVRSM_ELIMIT.
     * 0: IVRSM_HTTP_DEFAULT_MAX_QUEUED. */
    size_t max_queued;
    /* User-Agent header. NULL: "libivrsm/VERSION". */
    const char *user_agent;
    /* Event-loop hooks: both or neither. With neither, drive the adapter with
     * ivrsm_http_run(); with both, with ivrsm_http_socket_action(). */
    ivrsm_http_socket_fn socket_hook;
    ivrsm_http_timer_fn timer_hook;
    void *loop_user; /* passed to both hooks */
    /* The adapter's allocator (copied; see ivrsm_mem): the adapter, its transfers, request and
     * response bodies. NULL: ivrsm_mem_default(). libcurl allocates with its own
     * (curl_global_init_mem(), process-wide). */
    const ivrsm_mem *mem;
} ivrsm_http_options;

#define IVRSM_HTTP_OPTIONS_INIT                                                                    \
    {                                                                                              \
        .size = sizeof(ivrsm_http_options)                                                         \
    }

/*
 * Create an adapter.
 *
 * opts: the configuration (copied; it may be freed after the call).
 * out:  on success, the new adapter, owned by the caller (ivrsm_http_free());
 *       untouched on failure.
 *
 * Returns 0, or
 *   IVRSM_EINVAL  opts, out or base_url NULL; base_url not an http(s) URL,
 *                 or with a query or fragment; a default header without ':',
 *                 with a name that is not an HTTP token or with CR, LF or
 *                 another control character; only one of the two hooks given;
 *                 a negative timeout;
 *   IVRSM_ELIMIT  more than IVRSM_HTTP_MAX_HEADERS default headers, a header
 *                 or the base URL too long (IVRSM_HTTP_MAX_BASE_URL_BYTES);
 *   IVRSM_ENOMEM  allocation failed, or libcurl could not be initialised.
 */
IVRSM_API int ivrsm_http_new(const ivrsm_http_options *opts, ivrsm_http **out);

/*
 * Send the http command `cmd` to the backend; `done(user, result)` is called
 * once when it completes, fails or is cancelled, never from within this call.
 *
 * The request: cmd->http.method on base_url + path, then "?" + query when the
 * query is set and not empty; path and query are sent verbatim (the session
 * already percent-encoded them). Headers: the default headers, the command's
 * headers, "Accept: application/json" and, when a body is given,
 * "Content-Type: application/json" (unless the command sets these two
 * itself), and "Idempotency-Key: <key>" when the command has one (it replaces
 * a command header of that name). The timeout is cmd->http.timeout_ms, or
 * the adapter's when 0. Redirects are not followed: a 3xx is a result.
 *
 * Everything needed is copied: cmd and its strings may go away on return.
 *
 * Returns 0 (done will be called), or, with done never called:
 *   IVRSM_EINVAL  h, cmd or done NULL; cmd is not IVRSM_COMMAND_HTTP; the
 *                 method is not an HTTP token; the path does not start with
 *                 "/" or holds a byte that is not allowed in a URL path
 *                 (space, CR, LF, '?', '#', a non-ASCII byte, a '%' not
 *                 followed by two hex digits...) or has a "." or ".." segment
 *                 (percent-encoded or not); the query holds such a byte;
 *                 a header name NULL, empty or not an HTTP token; a header
 *                 value or the idempotency key NULL or holding CR, LF or
 *                 another control character; a HEAD with a body; a negative
 *                 timeout;
 *   IVRSM_ELIMIT  more than IVRSM_HTTP_MAX_HEADERS headers, a header line,
 *                 the URL or the body over its bound, or the queue is full;
 *   IVRSM_ENOMEM  allocation failed, or the timer hook returned -1.
 */
IVRSM_API int ivrsm_http_submit(ivrsm_http *h, const ivrsm_command *cmd, ivrsm_http_done_fn done,
                                void *user);

/*
 * Attach the host's own pointer to a descriptor that the socket hook named
 * (an epoll record, a libuv poll handle...); later hook calls for `fd` pass
 * it back as fd_user. This one call may be made from within the socket hook,
 * which is where a host usually creates its record for a new descriptor.
 * Returns 0, IVRSM_EINVAL (h NULL, or fd not watched at the moment).
 */
IVRSM_API int ivrsm_http_assign(ivrsm_http *h, int fd, void *fd_user);

/*
 * Tell the adapter that `fd` is ready (`events`: IVRSM_HTTP_EV_* bits), or,
 * with fd = -1 and events = 0, that the timer set by the timer hook expired.
 * Transfers make progress and the callbacks of those that finished are
 * called before it returns; queued commands start as slots free up.
 * For adapters created with hooks only.
 *
 * Returns 0, or IVRSM_EINVAL (h NULL, or an unknown events bit), IVRSM_ESTATE
 * (the adapter has no hooks: use ivrsm_http_run()), IVRSM_ENOMEM.
 */
IVRSM_API int ivrsm_http_socket_action(ivrsm_http *h, int fd, int events);

/*
 * Drive the transfers with a loop of the adapter's own until none is left
 * or `timeout_ms` milliseconds have passed (0: one pass that never waits;
 * negative: no time limit). Callbacks run from within this call; commands
 * they submit are driven too. For adapters created without hooks.
 *
 * Returns the number of commands still in flight (0 when all are done), or
 * IVRSM_EINVAL (h NULL), IVRSM_ESTATE (the adapter has hooks: use
 * ivrsm_http_socket_action()), IVRSM_ENOMEM.
 */
IVRSM_API int ivrsm_http_run(ivrsm_http *h, int timeout_ms);

/* Commands submitted and not completed yet (queued ones included). 0 for NULL. */
IVRSM_API size_t ivrsm_http_in_flight(const ivrsm_http *h);

/*
 * Stop every command in flight or queued, and call each one's callback with
 * status 0 and error "cancelled", in submission order, before returning.
 * Commands submitted from those callbacks are not cancelled. NULL is ignored.
 */
IVRSM_API void ivrsm_http_cancel_all(ivrsm_http *h);

/*
 * Stop the one command submitted with this command_id and this callback `user`
 * (in flight or queued), and call its callback with status 0 and error
 * "cancelled" before returning. For a host that gives up waiting on its own
 * terms (a deadline of its own): the transfer's connection is closed, and
 * nothing of it comes later. Sessions number their commands each from 1, so
 * the user pointer tells apart two sessions' commands of the same id.
 * Returns 0, or IVRSM_EINVAL (h NULL), IVRSM_ENOTFOUND (no such command: it
 * completed already, or was never submitted; no callback is called).
 */
IVRSM_API int ivrsm_http_cancel(ivrsm_http *h, uint64_t command_id, const void *user);

/*
 * Free the adapter (NULL is ignored). Commands still in flight are stopped
 * WITHOUT calling their callbacks: call ivrsm_http_cancel_all() first when
 * the callbacks own memory or must learn the outcome. Not from within a
 * callback or a hook. With hooks, the socket hook is told to REMOVE every
 * descriptor it still watches before this returns.
 */
IVRSM_API void ivrsm_http_free(ivrsm_http *h);

#ifdef __cplusplus
}
#endif

#endif /* IVRSM_HTTP_CURL_H */
