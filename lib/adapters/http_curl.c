/*
 * The libcurl HTTP adapter: one easy handle per command, all of them on one
 * multi handle, driven either by ivrsm_http_run() or by the host's event loop
 * through the socket and timer hooks (libcurl's multi_socket pattern).
 *
 * Transfers live in exactly one of two lists: `active` (added to the multi
 * handle) or `queue` (waiting for a slot, FIFO). A transfer leaves its list
 * before its callback runs, so callbacks may submit or cancel freely.
 */
#include "ivrsm/http_curl.h"
#include "http_json.h"
#include "http_wire.h"
#include "versioned.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* curl_multi_poll() (7.66) is the newest call the adapter needs. */
#if LIBCURL_VERSION_NUM < 0x074200
#error "libivrsm-http needs libcurl 7.66 or later"
#endif

typedef struct http_transfer http_transfer;

struct http_transfer {
    const ivrsm_mem *mem; /* the adapter's */
    CURL *easy;
    struct curl_slist *headers; /* kept alive for libcurl until the transfer ends */
    char *body;                 /* request body; libcurl reads it in place */
    uint64_t command_id;
    ivrsm_http_done_fn done;
    void *user;
    double submitted_ms;
    size_t max_response;
    char *response; /* NUL-terminated once anything arrived */
    size_t response_len;
    size_t response_cap;
    int response_too_large;
    int response_oom;
    char errbuf[CURL_ERROR_SIZE];
    http_transfer *prev;
    http_transfer *next;
};

typedef struct transfer_list {
    http_transfer *head;
    http_transfer *tail;
    size_t count;
} transfer_list;

/* A descriptor the socket hook was asked to watch, and the host's pointer for it. */
typedef struct watched_fd {
    int fd;
    void *fd_user;
} watched_fd;

struct ivrsm_http {
    ivrsm_mem alloc;      /* the allocator of the options (a copy) */
    const ivrsm_mem *mem; /* &alloc: the adapter, its transfers, their bodies */
    CURLM *multi;
    char *base_url; /* without its trailing slash */
    size_t base_len;
    ivrsm_http_wire_header *default_headers;
    size_t default_header_count;
    char *user_agent;
    int timeout_ms;
    size_t max_response;
    size_t max_in_flight;
    size_t max_queued;
    ivrsm_http_socket_fn socket_hook;
    ivrsm_http_timer_fn timer_hook;
    void *loop_user;
    watched_fd *watched;
    size_t watched_count;
    size_t watched_cap;
    int loop_failed; /* a hook failed since libcurl was last called */
    transfer_list active;
    transfer_list queue;
};

/* ---------------------------------------------------------------------------
 * Small utilities
 * ------------------------------------------------------------------------- */

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void list_append(transfer_list *l, http_transfer *t)
{
    t->next = NULL;
    t->prev = l->tail;
    if (l->tail)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
    l->count++;
}

static void list_unlink(transfer_list *l, http_transfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        l->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        l->tail = t->prev;
    t->prev = t->next = NULL;
    l->count--;
}

/* ---------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------- */

static int set_default_headers(ivrsm_http *h, const char *const *lines)
{
    size_t count = 0;
    while (lines && lines[count])
        count++;
    if (count == 0)
        return 0;
    if (count > IVRSM_HTTP_MAX_HEADERS)
        return IVRSM_ELIMIT;
    h->default_headers = ivrsm_mem_calloc(h->mem, count, sizeof *h->default_headers);
    if (!h->default_headers)
        return IVRSM_ENOMEM;
    h->default_header_count = count;
    for (size_t i = 0; i < count; i++) {
        int rc = ivrsm_http_wire_parse_header(h->mem, lines[i], &h->default_headers[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int set_base_url(ivrsm_http *h, const char *url)
{
    size_t len;
    int rc = ivrsm_http_wire_check_base_url(url, &len);
    if (rc != 0)
        return rc;
    h->base_url = ivrsm_mem_strndup(h->mem, url, len);
    h->base_len = len;
    return h->base_url ? 0 : IVRSM_ENOMEM;
}

static int set_user_agent(ivrsm_http *h, const char *agent)
{
    if (agent) {
        if (!ivrsm_http_wire_is_field_value(agent))
            return IVRSM_EINVAL;
        if (strlen(agent) > IVRSM_HTTP_MAX_HEADER_BYTES)
            return IVRSM_ELIMIT;
        h->user_agent = ivrsm_mem_strdup(h->mem, agent);
    } else {
        const char *version = ivrsm_version();
        size_t len = strlen("libivrsm/") + strlen(version);
        h->user_agent = ivrsm_mem_malloc(h->mem, len + 1);
        if (h->user_agent)
            snprintf(h->user_agent, len + 1, "libivrsm/%s", version);
    }
    return h->user_agent ? 0 : IVRSM_ENOMEM;
}

/* ---------------------------------------------------------------------------
 * Event-loop hooks: libcurl's callbacks, forwarded to the host's
 * ------------------------------------------------------------------------- */

static watched_fd *find_watched(ivrsm_http *h, int fd)
{
    for (size_t i = 0; i < h->watched_count; i++)
        if (h->watched[i].fd == fd)
            return &h->watched[i];
    return NULL;
}

static int add_watched(ivrsm_http *h, int fd)
{
    if (ivrsm_mem_grow(h->mem, (void **)&h->watched, &h->watched_cap, h->watched_count,
                       sizeof *h->watched, 16) != 0)
        return -1;
    h->watched[h->watched_count++] = (watched_fd){fd, NULL};
    return 0;
}

/*
 * libcurl's socket callback. The table of watched descriptors stays in step
 * with what the host was told, so that free() can REMOVE the rest, and the
 * host never hears of a descriptor it was not asked to watch.
 *
 * A -1 returned to libcurl would mark the whole multi handle dead for good,
 * so failures (the host's, or the table's growth) are only recorded here;
 * fail_after_loop_error() fails the transfers in progress once libcurl has
 * returned.
 */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    ivrsm_http *h = userp;
    int fd = (int)s;
    (void)easy;
    (void)socketp; /* the table holds the same pointer, assigned by ivrsm_http_assign() */
    watched_fd *w = find_watched(h, fd);
    if (what == CURL_POLL_REMOVE) {
        if (w) {
            watched_fd gone = *w;
            *w = h->watched[--h->watched_count];
            h->socket_hook(h->loop_user, fd, IVRSM_HTTP_POLL_REMOVE, gone.fd_user);
        }
        return 0;
    }
    int is_new = w == NULL;
    if (is_new && add_watched(h, fd) != 0) {
        h->loop_failed = 1;
        return 0;
    }
    void *fd_user = is_new ? NULL : w->fd_user;
    if (h->socket_hook(h->loop_user, fd, (ivrsm_http_poll)what, fd_user) != 0) {
        h->loop_failed = 1;
        if (is_new) /* the host is not watching it: forget it */
            h->watched_count--;
    }
    return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    ivrsm_http *h = userp;
    (void)multi;
    if (h->timer_hook(h->loop_user, timeout_ms) != 0)
        h->loop_failed = 1; /* not -1: see on_curl_socket() */
    return 0;
}

static int set_hooks(ivrsm_http *h, const ivrsm_http_options *opts)
{
    if (!opts->socket_hook && !opts->timer_hook)
        return 0;
    if (!opts->socket_hook || !opts->timer_hook)
        return IVRSM_EINVAL;
    h->socket_hook = opts->socket_hook;
    h->timer_hook = opts->timer_hook;
    h->loop_user = opts->loop_user;
    if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
        curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
        curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
        curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK)
        return IVRSM_ENOMEM;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Creating and freeing the adapter
 * ------------------------------------------------------------------------- */

static int configure(ivrsm_http *h, const ivrsm_http_options *opts)
{
    if (!opts->base_url || opts->timeout_ms < 0)
        return IVRSM_EINVAL;
    h->timeout_ms = opts->timeout_ms ? opts->timeout_ms : IVRSM_HTTP_DEFAULT_TIMEOUT_MS;
    h->max_response =
        opts->max_response_bytes ? opts->max_response_bytes : IVRSM_HTTP_DEFAULT_MAX_RESPONSE;
    h->max_in_flight = opts->max_in_flight ? opts->max_in_flight : IVRSM_HTTP_DEFAULT_MAX_IN_FLIGHT;
    h->max_queued = opts->max_queued ? opts->max_queued : IVRSM_HTTP_DEFAULT_MAX_QUEUED;
    int rc = set_base_url(h, opts->base_url);
    if (rc == 0)
        rc = set_default_headers(h, opts->headers);
    if (rc == 0)
        rc = set_user_agent(h, opts->user_agent);
    if (rc == 0)
        rc = set_hooks(h, opts);
    return rc;
}

static void free_config(ivrsm_http *h)
{
    for (size_t i = 0; i < h->default_header_count; i++) {
        ivrsm_mem_free(h->mem, h->default_headers[i].name);
        ivrsm_mem_free(h->mem, h->default_headers[i].value);
    }
    ivrsm_mem_free(h->mem, h->default_headers);
    ivrsm_mem_free(h->mem, h->base_url);
    ivrsm_mem_free(h->mem, h->user_agent);
    ivrsm_mem_free(h->mem, h->watched);
}

int ivrsm_http_new(const ivrsm_http_options *given, ivrsm_http **out)
{
    ivrsm_http_options options;
    const ivrsm_http_options *opts = &options;
    if (!given || !out ||
        !ivrsm_versioned_copy(&options, sizeof(options), given,
                              IVRSM_LAYOUT_END(ivrsm_http_options, loop_user)) ||
        (options.mem && !ivrsm_mem_valid(options.mem)))
        return IVRSM_EINVAL;
    const ivrsm_mem *mem = options.mem ? options.mem : ivrsm_mem_default();
    /* Reference-counted by libcurl; balanced by curl_global_cleanup() in free. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return IVRSM_ENOMEM;
    ivrsm_http *h = ivrsm_mem_calloc(mem, 1, sizeof *h);
    if (!h) {
        curl_global_cleanup();
        return IVRSM_ENOMEM;
    }
    h->alloc = *mem;
    h->mem = &h->alloc;
    h->multi = curl_multi_init();
    int rc = h->multi ? configure(h, opts) : IVRSM_ENOMEM;
    if (rc != 0) {
        if (h->multi)
            curl_multi_cleanup(h->multi);
        free_config(h);
        ivrsm_mem_free(h->mem, h);
        curl_global_cleanup();
        return rc;
    }
    *out = h;
    return 0;
}

static void transfer_free(http_transfer *t)
{
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    ivrsm_mem_free(t->mem, t->body);
    ivrsm_mem_free(t->mem, t->response);
    ivrsm_mem_free(t->mem, t);
}

/* Detach every transfer (active ones from the multi handle) into `out`, in order. */
static void take_all_transfers(ivrsm_http *h, transfer_list *out)
{
    while (h->active.head) {
        http_transfer *t = h->active.head;
        curl_multi_remove_handle(h->multi, t->easy);
        list_unlink(&h->active, t);
        list_append(out, t);
    }
    while (h->queue.head) {
        http_transfer *t = h->queue.head;
        list_unlink(&h->queue, t);
        list_append(out, t);
    }
}

/*
 * Tell the host to stop watching what it still watches and drop its timer
 * before libcurl closes the descriptors, then keep libcurl from calling the
 * hooks during its cleanup: after free() the host must not hear from us.
 */
static void release_hooks(ivrsm_http *h)
{
    if (!h->socket_hook)
        return;
    while (h->watched_count) {
        watched_fd w = h->watched[--h->watched_count];
        h->socket_hook(h->loop_user, w.fd, IVRSM_HTTP_POLL_REMOVE, w.fd_user);
    }
    h->timer_hook(h->loop_user, -1);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, NULL);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, NULL);
}

void ivrsm_http_free(ivrsm_http *h)
{
    if (!h)
        return;
    transfer_list dropped = {0};
    take_all_transfers(h, &dropped);
    while (dropped.head) {
        http_transfer *t = dropped.head;
        list_unlink(&dropped, t);
        transfer_free(t);
    }
    release_hooks(h);
    curl_multi_cleanup(h->multi);
    free_config(h);
    ivrsm_mem_free(h->mem, h);
    curl_global_cleanup();
}

/* ---------------------------------------------------------------------------
 * Building a request (what goes on the wire is checked and built in http_wire.c)
 * ------------------------------------------------------------------------- */

/* Methods that carry a body by nature send "Content-Length: 0" when they have none. */
static int method_expects_body(const char *method)
{
    return !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH");
}

static size_t on_response_body(char *data, size_t size, size_t count, void *userp)
{
    http_transfer *t = userp;
    size_t len = size * count;
    /* Returning less than len (0 here, len being > 0) makes libcurl stop the
     * transfer with CURLE_WRITE_ERROR, with every libcurl version. */
    if (len > t->max_response - t->response_len) {
        t->response_too_large = 1;
        return 0;
    }
    if (t->response_len + len + 1 > t->response_cap) {
        size_t cap = t->response_cap ? t->response_cap : 1024;
        while (cap < t->response_len + len + 1)
            cap *= 2;
        if (cap > t->max_response + 1)
            cap = t->max_response + 1;
        char *grown = ivrsm_mem_realloc(t->mem, t->response, cap);
        if (!grown) {
            t->response_oom = 1;
            return 0;
        }
        t->response = grown;
        t->response_cap = cap;
    }
    memcpy(t->response + t->response_len, data, len);
    t->response_len += len;
    t->response[t->response_len] = '\0';
    return len;
}

/* Method and body options; libcurl's defaults (GET, no body) need nothing. */
static CURLcode set_method(http_transfer *t, const char *method, int *empty_body_sent)
{
    CURL *e = t->easy;
    CURLcode c = CURLE_OK;
    *empty_body_sent = 0;
    if (t->body || method_expects_body(method)) {
        *empty_body_sent = t->body == NULL;
        curl_off_t len = t->body ? (curl_off_t)strlen(t->body) : 0;
        c = curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, len);
        if (c == CURLE_OK)
            c = curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body ? t->body : "");
    } else if (!strcmp(method, "HEAD")) {
        c = curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    }
    if (c == CURLE_OK && strcmp(method, "POST") != 0 && strcmp(method, "HEAD") != 0)
        c = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    return c;
}

static CURLcode set_transfer_options(const ivrsm_http *h, http_transfer *t, const char *url,
                                     long timeout_ms)
{
    CURL *e = t->easy;
    CURLcode c = curl_easy_setopt(e, CURLOPT_URL, url);
    /* Never another protocol, whatever the base URL turns into. */
#if LIBCURL_VERSION_NUM >= 0x075500
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    /* The path goes out as the session built it: no dot segment can be in it
     * (ivrsm_http_wire_check_command), and libcurl must not rewrite the rest. */
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_response);
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_response_body);
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    if (c == CURLE_OK)
        c = curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)t);
    return c;
}

/* Copy what the command says into the transfer's easy handle. */
static int transfer_setup(const ivrsm_http *h, http_transfer *t, const ivrsm_command *cmd,
                          const char *url)
{
    const char *body = cmd->http.body;
    if (body && *body && !(t->body = ivrsm_mem_strdup(t->mem, body)))
        return IVRSM_ENOMEM;
    if (!(t->easy = curl_easy_init()))
        return IVRSM_ENOMEM;
    int empty_body_sent;
    if (set_method(t, cmd->http.method, &empty_body_sent) != CURLE_OK)
        return IVRSM_ENOMEM;
    int rc = ivrsm_http_wire_headers(h->mem, h->default_headers, h->default_header_count, cmd,
                                     t->body != NULL, empty_body_sent, &t->headers);
    if (rc != 0)
        return rc;
    long timeout_ms = cmd->http.timeout_ms ? cmd->http.timeout_ms : h->timeout_ms;
    return set_transfer_options(h, t, url, timeout_ms) == CURLE_OK ? 0 : IVRSM_ENOMEM;
}

/* A transfer ready to be added to the multi handle, or NULL with *rc set. */
static http_transfer *transfer_new(const ivrsm_http *h, const ivrsm_command *cmd, int *rc)
{
    char *url = ivrsm_http_wire_url(h->mem, h->base_url, h->base_len, cmd, rc);
    if (!url)
        return NULL;
    http_transfer *t = ivrsm_mem_calloc(h->mem, 1, sizeof *t);
    if (!t) {
        ivrsm_mem_free(h->mem, url);
        *rc = IVRSM_ENOMEM;
        return NULL;
    }
    t->mem = h->mem;
    t->command_id = cmd->id;
    t->max_response = h->max_response;
    t->submitted_ms = monotonic_ms();
    *rc = transfer_setup(h, t, cmd, url);
    ivrsm_mem_free(h->mem, url); /* libcurl keeps its own copy */
    if (*rc != 0) {
        transfer_free(t);
        return NULL;
    }
    return t;
}

/* ---------------------------------------------------------------------------
 * Completing transfers
 * ------------------------------------------------------------------------- */

/*
 * Whether the response's header block passed libcurl's bound for all of them, 300 KiB
 * (MAX_HTTP_RESP_HEADER_SIZE in lib/http.h, interim 1xx answers counted): libcurl 7.88 as
 * Debian 12 ships it (CVE-2023-38039) up to 8.5 stops the transfer with CURLE_RECV_ERROR, "Too
 * large response headers"; 8.6 and later say CURLE_TOO_LARGE. The backend's fault either way,
 * not the network's.
 */
#define CURL_MAX_RESPONSE_HEADERS (300 * 1024)

static int headers_too_large(const http_transfer *t)
{
    long size = 0;
    return curl_easy_getinfo(t->easy, CURLINFO_HEADER_SIZE, &size) == CURLE_OK &&
           size > CURL_MAX_RESPONSE_HEADERS;
}

static const char *transport_error(const http_transfer *t, CURLcode code)
{
    if (t->response_too_large || code == CURLE_FILESIZE_EXCEEDED)
        return "response too large";
    if (t->response_oom)
        return "out of memory";
    /* libcurl 7.x refuses a header line past CURL_MAX_HTTP_HEADER (100 KiB) with
     * CURLE_OUT_OF_MEMORY, without a message (lib/dynbuf.c dyn_nappend(), past the buffer's
     * `toobig`): once the status line has come, that is the backend's fault far more often
     * than the host's memory. 8.x says CURLE_TOO_LARGE. */
    if (code == CURLE_OUT_OF_MEMORY) {
        long status = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        return status > 0 ? "invalid response" : "out of memory";
    }
#if LIBCURL_VERSION_NUM >= 0x080600
    if (code == CURLE_TOO_LARGE)
        return "invalid response";
#endif
    long os_errno = 0;
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(t->easy, CURLINFO_OS_ERRNO, &os_errno);
        return os_errno == ECONNREFUSED ? "connection refused" : "connection failed";
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return "cannot resolve host";
    case CURLE_GOT_NOTHING:
        return "empty reply";
    case CURLE_PARTIAL_FILE:
        return "truncated response";
    case CURLE_SEND_ERROR:
        return "network error";
    case CURLE_RECV_ERROR:
        return headers_too_large(t) ? "invalid response" : "network error";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return "TLS error";
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return "invalid response";
    default:
        return curl_easy_strerror(code);
    }
}

/*
 * Whether a body nests objects and arrays deeper than IVRSM_MAX_DEPTH (strings
 * skipped). The session takes no such answer as JSON, and jansson would read
 * it one call per level on the host's thread: 2048 levels are most of a small
 * thread's stack (FreeSWITCH gives its threads 240 KiB).
 */
static int nests_too_deep(const char *p, size_t len)
{
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '"') {
            for (i++; i < len && p[i] != '"'; i++)
                i += p[i] == '\\';
        } else if (p[i] == '{' || p[i] == '[') {
            if (++depth > IVRSM_MAX_DEPTH)
                return 1;
        } else if (p[i] == '}' || p[i] == ']') {
            depth--;
        }
    }
    return 0;
}

/* Status, body and parsed JSON of a transfer that got a whole response. */
static void fill_response(http_transfer *t, ivrsm_http_result *r)
{
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 100 || status > 599) {
        /* libcurl takes any three digits; HTTP's status codes are 100 to 599 (RFC 9110,
         * section 15): anything else is no HTTP answer. */
        r->error = "invalid response";
        snprintf(t->errbuf, sizeof t->errbuf, "status %ld is not an HTTP status", status);
        r->detail = t->errbuf;
        return;
    }
    r->status = (int)status;
    if (t->response_len == 0)
        return;
    r->body = t->response;
    r->body_len = t->response_len;
    if (status < 200 || status >= 300)
        return;
    /* A 2xx body must be JSON: the session reads it as the action's result. */
    if (nests_too_deep(t->response, t->response_len)) {
        r->error = "invalid JSON";
        snprintf(t->errbuf, sizeof t->errbuf, "response body nests deeper than %d levels",
                 IVRSM_MAX_DEPTH);
        r->detail = t->errbuf;
        return;
    }
    ivrsm_http_json_error jerr;
    if (ivrsm_http_json_check(t->response, t->response_len, IVRSM_MAX_DEPTH, &jerr) != 0) {
        r->error = "invalid JSON";
        snprintf(t->errbuf, sizeof t->errbuf, "response body is not JSON: line %d, column %d: %s",
                 jerr.line, jerr.column, jerr.what);
        r->detail = t->errbuf;
    }
}

/* Report the outcome to the callback and free the transfer (already detached). */
static void complete(http_transfer *t, CURLcode code, const char *error)
{
    ivrsm_http_result r = {0};
    r.command_id = t->command_id;
    r.body = "";
    if (error) {
        r.error = error;
    } else if (code == CURLE_OK) {
        fill_response(t, &r);
    } else {
        r.error = transport_error(t, code);
        r.detail = t->errbuf[0] ? t->errbuf : NULL;
    }
    r.elapsed_ms = monotonic_ms() - t->submitted_ms;
    t->done(t->user, &r);
    transfer_free(t);
}

/* Move queued transfers onto the wire while slots are free. */
static void start_queued(ivrsm_http *h)
{
    while (h->queue.head && h->active.count < h->max_in_flight) {
        http_transfer *t = h->queue.head;
        list_unlink(&h->queue, t);
        if (curl_multi_add_handle(h->multi, t->easy) != CURLM_OK) {
            complete(t, CURLE_OUT_OF_MEMORY, "out of memory");
            continue;
        }
        list_append(&h->active, t);
    }
}

static void deliver_finished(ivrsm_http *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode code = msg->data.result;
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        http_transfer *t = (http_transfer *)(void *)priv;
        curl_multi_remove_handle(h->multi, easy);
        list_unlink(&h->active, t);
        start_queued(h);
        complete(t, code, NULL);
    }
}

/*
 * A hook failed: the host may not be watching a descriptor or holding the
 * timer, so the transfers on the wire could wait forever. Fail them; queued
 * ones then start afresh, which asks the hooks again.
 */
static void fail_after_loop_error(ivrsm_http *h)
{
    while (h->loop_failed) {
        h->loop_failed = 0;
        transfer_list failed = {0};
        while (h->active.head) {
            http_transfer *t = h->active.head;
            curl_multi_remove_handle(h->multi, t->easy);
            list_unlink(&h->active, t);
            list_append(&failed, t);
        }
        while (failed.head) {
            http_transfer *t = failed.head;
            list_unlink(&failed, t);
            complete(t, CURLE_ABORTED_BY_CALLBACK, "event loop failure");
        }
        start_queued(h);
    }
}

static int multi_error(CURLMcode mc)
{
    switch (mc) {
    case CURLM_OK:
        return 0;
    case CURLM_OUT_OF_MEMORY:
        return IVRSM_ENOMEM;
    default:
        return IVRSM_EINVAL;
    }
}

/* ---------------------------------------------------------------------------
 * Public API: submitting and driving
 * ------------------------------------------------------------------------- */

int ivrsm_http_submit(ivrsm_http *h, const ivrsm_command *cmd, ivrsm_http_done_fn done, void *user)
{
    if (!h || !cmd || !done)
        return IVRSM_EINVAL;
    int rc = ivrsm_http_wire_check_command(cmd);
    if (rc != 0)
        return rc;
    int start_now = !h->queue.head && h->active.count < h->max_in_flight;
    if (!start_now && h->queue.count >= h->max_queued)
        return IVRSM_ELIMIT;
    http_transfer *t = transfer_new(h, cmd, &rc);
    if (!t)
        return rc;
    t->done = done;
    t->user = user;
    if (!start_now) {
        list_append(&h->queue, t);
        return 0;
    }
    rc = multi_error(curl_multi_add_handle(h->multi, t->easy));
    if (rc == 0 && h->loop_failed) {
        /* The timer hook refused: nothing would ever start this transfer. */
        h->loop_failed = 0;
        curl_multi_remove_handle(h->multi, t->easy);
        rc = IVRSM_ENOMEM;
    }
    if (rc != 0) {
        transfer_free(t);
        return rc;
    }
    list_append(&h->active, t);
    return 0;
}

int ivrsm_http_assign(ivrsm_http *h, int fd, void *fd_user)
{
    if (!h)
        return IVRSM_EINVAL;
    watched_fd *w = find_watched(h, fd);
    if (!w || curl_multi_assign(h->multi, (curl_socket_t)fd, fd_user) != CURLM_OK)
        return IVRSM_EINVAL;
    w->fd_user = fd_user;
    return 0;
}

int ivrsm_http_socket_action(ivrsm_http *h, int fd, int events)
{
    if (!h || (events & ~(IVRSM_HTTP_EV_IN | IVRSM_HTTP_EV_OUT | IVRSM_HTTP_EV_ERR)))
        return IVRSM_EINVAL;
    if (!h->socket_hook)
        return IVRSM_ESTATE;
    int mask = 0;
    if (events & IVRSM_HTTP_EV_IN)
        mask |= CURL_CSELECT_IN;
    if (events & IVRSM_HTTP_EV_OUT)
        mask |= CURL_CSELECT_OUT;
    if (events & IVRSM_HTTP_EV_ERR)
        mask |= CURL_CSELECT_ERR;
    int running;
    curl_socket_t s = fd < 0 ? CURL_SOCKET_TIMEOUT : (curl_socket_t)fd;
    CURLMcode mc = curl_multi_socket_action(h->multi, s, fd < 0 ? 0 : mask, &running);
    deliver_finished(h);
    fail_after_loop_error(h);
    /* A descriptor closed meanwhile is not an error of the host's. */
    return mc == CURLM_BAD_SOCKET ? 0 : multi_error(mc);
}

static int in_flight_int(const ivrsm_http *h)
{
    size_t n = ivrsm_http_in_flight(h);
    return n > INT_MAX ? INT_MAX : (int)n;
}

int ivrsm_http_run(ivrsm_http *h, int timeout_ms)
{
    if (!h)
        return IVRSM_EINVAL;
    if (h->socket_hook)
        return IVRSM_ESTATE;
    double deadline = monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int running;
        CURLMcode mc = curl_multi_perform(h->multi, &running);
        if (mc != CURLM_OK)
            return multi_error(mc);
        deliver_finished(h);
        if (ivrsm_http_in_flight(h) == 0)
            return 0;
        /* Completions may have started queued transfers: give them a pass. */
        if (running == 0 && h->active.count)
            continue;
        double remaining = timeout_ms < 0 ? 1000.0 : deadline - monotonic_ms();
        if (remaining <= 0)
            return in_flight_int(h);
        int wait_ms = remaining > 1000.0 ? 1000 : (int)remaining + 1;
        mc = curl_multi_poll(h->multi, NULL, 0, wait_ms, NULL);
        if (mc != CURLM_OK)
            return multi_error(mc);
    }
}

size_t ivrsm_http_in_flight(const ivrsm_http *h)
{
    return h ? h->active.count + h->queue.count : 0;
}

void ivrsm_http_cancel_all(ivrsm_http *h)
{
    if (!h)
        return;
    transfer_list doomed = {0};
    take_all_transfers(h, &doomed);
    while (doomed.head) {
        http_transfer *t = doomed.head;
        list_unlink(&doomed, t);
        complete(t, CURLE_ABORTED_BY_CALLBACK, "cancelled");
    }
}

/* The transfer of (command_id, user) in `l`, or NULL. */
static http_transfer *find_transfer(const transfer_list *l, uint64_t command_id, const void *user)
{
    for (http_transfer *t = l->head; t; t = t->next)
        if (t->command_id == command_id && t->user == user)
            return t;
    return NULL;
}

int ivrsm_http_cancel(ivrsm_http *h, uint64_t command_id, const void *user)
{
    if (!h)
        return IVRSM_EINVAL;
    http_transfer *t = find_transfer(&h->active, command_id, user);
    if (t) {
        curl_multi_remove_handle(h->multi, t->easy);
        list_unlink(&h->active, t);
        start_queued(h); /* its slot is free */
    } else if ((t = find_transfer(&h->queue, command_id, user))) {
        list_unlink(&h->queue, t);
    } else {
        return IVRSM_ENOTFOUND;
    }
    complete(t, CURLE_ABORTED_BY_CALLBACK, "cancelled");
    fail_after_loop_error(h); /* a transfer started above whose hook failed */
    return 0;
}

int ivrsm_http_result_event_versioned(const ivrsm_http_result *r, ivrsm_event *ev, size_t ev_size)
{
    /* The caller's layout (its header's sizeof): as much of this version's as it holds. */
    if (!r || !ev || ev_size < IVRSM_LAYOUT_END(ivrsm_event, ok))
        return IVRSM_EINVAL;
    size_t size = ev_size < sizeof *ev ? ev_size : sizeof *ev;
    memset(ev, 0, size);
    ev->size = size;
    ev->type = IVRSM_EVENT_ACTION_RESULT;
    ev->command_id = r->command_id;
    ev->status = r->status;
    ev->body = r->body_len ? r->body : NULL;
    ev->body_len = r->body_len;
    ev->error = r->error;
    return 0;
}
