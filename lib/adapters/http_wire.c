/* What the HTTP adapter puts on the wire, and the checks that keep it sound. */
#include "http_wire.h"
#include "url.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char json_media_type[] = "application/json";

static int is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_token(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!is_alnum(*p) && !strchr("!#$%&'*+-.^_`|~", *p))
            return 0;
    return 1;
}

/* Visible characters, spaces, tabs and obs-text; never CR, LF or other controls. */
int ivrsm_http_wire_is_field_value(const char *s)
{
    if (!s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return 0;
    return 1;
}

/*
 * RFC 3986 pchar plus the characters in `extra`: unreserved, sub-delims, ':'
 * and '@', and '%' only as the start of a %XX escape.
 */
static int is_url_part(const char *s, const char *extra)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '%') {
            if (!ivrsm_url_hex(p[1]) || !ivrsm_url_hex(p[2]))
                return 0;
            p += 2;
        } else if (!ivrsm_url_pchar(*p) && !strchr(extra, *p)) {
            return 0;
        }
    }
    return 1;
}

static int same_name(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

/* Split "Name: value" into a validated, trimmed pair. */
int ivrsm_http_wire_parse_header(const ivrsm_mem *mem, const char *line,
                                 ivrsm_http_wire_header *out)
{
    const char *colon = strchr(line, ':');
    if (!colon)
        return IVRSM_EINVAL;
    if (strlen(line) > IVRSM_HTTP_MAX_HEADER_BYTES)
        return IVRSM_ELIMIT;
    const char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t value_len = strlen(value);
    while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t'))
        value_len--;
    out->name = ivrsm_mem_strndup(mem, line, (size_t)(colon - line));
    out->value = ivrsm_mem_strndup(mem, value, value_len);
    if (!out->name || !out->value)
        return IVRSM_ENOMEM;
    if (!is_token(out->name) || !ivrsm_http_wire_is_field_value(out->value))
        return IVRSM_EINVAL;
    return 0;
}

/* An absolute http(s) URL that libcurl parses, without query or fragment. */
int ivrsm_http_wire_check_base_url(const char *url, size_t *len_out)
{
    size_t len = strlen(url);
    if (len > IVRSM_HTTP_MAX_BASE_URL_BYTES)
        return IVRSM_ELIMIT;
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return IVRSM_EINVAL;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '?' || *p == '#')
            return IVRSM_EINVAL;
    CURLU *u = curl_url();
    if (!u)
        return IVRSM_ENOMEM;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    curl_url_cleanup(u);
    if (uc == CURLUE_OUT_OF_MEMORY)
        return IVRSM_ENOMEM;
    if (uc != CURLUE_OK)
        return IVRSM_EINVAL;
    if (url[len - 1] == '/')
        len--;
    *len_out = len;
    return 0;
}

/*
 * Whether a path has a "." or ".." segment, percent-encoded or not: servers
 * and proxies resolve them, so the request would reach another resource
 * than the path names. The session never builds one (runtime/action.c,
 * compiler/compile_globals.c); a host's own command is refused too.
 */
static int has_dot_segment(const char *path)
{
    const char *seg = path + 1;
    for (const char *q = seg;; q++) {
        if (*q && *q != '/')
            continue;
        if (ivrsm_url_dot_segment(seg, (size_t)(q - seg)))
            return 1;
        if (!*q)
            return 0;
        seg = q + 1;
    }
}

int ivrsm_http_wire_check_command(const ivrsm_command *cmd)
{
    if (cmd->type != IVRSM_COMMAND_HTTP || !is_token(cmd->http.method) || !cmd->http.path ||
        cmd->http.path[0] != '/' || !is_url_part(cmd->http.path, "/") ||
        has_dot_segment(cmd->http.path) ||
        (cmd->http.query && !is_url_part(cmd->http.query, "/?")) || cmd->http.timeout_ms < 0)
        return IVRSM_EINVAL;
    if (cmd->http.header_count && !cmd->http.headers)
        return IVRSM_EINVAL;
    /* A HEAD response has no content, so libcurl could not send a body with it. */
    if (!strcmp(cmd->http.method, "HEAD") && cmd->http.body && *cmd->http.body)
        return IVRSM_EINVAL;
    if (cmd->http.header_count > IVRSM_HTTP_MAX_HEADERS)
        return IVRSM_ELIMIT;
    for (size_t i = 0; i < cmd->http.header_count; i++) {
        const ivrsm_header *hd = &cmd->http.headers[i];
        if (!is_token(hd->name) || !ivrsm_http_wire_is_field_value(hd->value))
            return IVRSM_EINVAL;
        if (strlen(hd->name) + strlen(hd->value) + 2 > IVRSM_HTTP_MAX_HEADER_BYTES)
            return IVRSM_ELIMIT;
    }
    const char *key = cmd->http.idempotency_key;
    if (key && (!ivrsm_http_wire_is_field_value(key) || !*key))
        return IVRSM_EINVAL;
    if (key && strlen(key) > IVRSM_HTTP_MAX_HEADER_BYTES)
        return IVRSM_ELIMIT;
    if (cmd->http.body && strlen(cmd->http.body) > IVRSM_HTTP_MAX_REQUEST_BODY)
        return IVRSM_ELIMIT;
    return 0;
}

char *ivrsm_http_wire_url(const ivrsm_mem *mem, const char *base, size_t base_len,
                          const ivrsm_command *cmd, int *rc)
{
    const char *query = cmd->http.query && *cmd->http.query ? cmd->http.query : NULL;
    size_t path_len = strlen(cmd->http.path);
    size_t query_len = query ? strlen(query) + 1 : 0;
    size_t len = base_len + path_len + query_len;
    if (len >= IVRSM_HTTP_MAX_URL_BYTES) {
        *rc = IVRSM_ELIMIT;
        return NULL;
    }
    char *url = ivrsm_mem_malloc(mem, len + 1);
    if (!url) {
        *rc = IVRSM_ENOMEM;
        return NULL;
    }
    memcpy(url, base, base_len);
    memcpy(url + base_len, cmd->http.path, path_len);
    if (query) {
        url[base_len + path_len] = '?';
        memcpy(url + base_len + path_len + 1, query, query_len - 1);
    }
    url[len] = '\0';
    return url;
}

static int command_has_header(const ivrsm_command *cmd, const char *name)
{
    for (size_t i = 0; i < cmd->http.header_count; i++)
        if (same_name(cmd->http.headers[i].name, name))
            return 1;
    return 0;
}

static int default_has_header(const ivrsm_http_wire_header *defaults, size_t count,
                              const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (same_name(defaults[i].name, name))
            return 1;
    return 0;
}

/*
 * Append "Name: value" to the list. libcurl reads "Name:" as "remove this
 * header", so an empty value is written "Name;", its way of sending one.
 */
static int add_header(const ivrsm_mem *mem, struct curl_slist **list, const char *name,
                      const char *value)
{
    size_t len = strlen(name) + strlen(value) + 3;
    char *line = ivrsm_mem_malloc(mem, len);
    if (!line)
        return IVRSM_ENOMEM;
    if (*value)
        snprintf(line, len, "%s: %s", name, value);
    else
        snprintf(line, len, "%s;", name);
    struct curl_slist *grown = curl_slist_append(*list, line);
    ivrsm_mem_free(mem, line);
    if (!grown)
        return IVRSM_ENOMEM;
    *list = grown;
    return 0;
}

int ivrsm_http_wire_headers(const ivrsm_mem *mem, const ivrsm_http_wire_header *defaults,
                            size_t default_count, const ivrsm_command *cmd, int has_body,
                            int empty_body_sent, struct curl_slist **out)
{
    const char *key = cmd->http.idempotency_key;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < default_count; i++) {
        const ivrsm_http_wire_header *d = &defaults[i];
        if (!command_has_header(cmd, d->name) && !(key && same_name(d->name, "Idempotency-Key")))
            rc = add_header(mem, out, d->name, d->value);
    }
    for (size_t i = 0; rc == 0 && i < cmd->http.header_count; i++) {
        const ivrsm_header *c = &cmd->http.headers[i];
        if (!(key && same_name(c->name, "Idempotency-Key")))
            rc = add_header(mem, out, c->name, c->value);
    }
    int content_type_given = command_has_header(cmd, "Content-Type") ||
                             default_has_header(defaults, default_count, "Content-Type");
    if (rc == 0 && !command_has_header(cmd, "Accept") &&
        !default_has_header(defaults, default_count, "Accept"))
        rc = add_header(mem, out, "Accept", json_media_type);
    if (rc == 0 && has_body && !content_type_given)
        rc = add_header(mem, out, "Content-Type", json_media_type);
    /* An empty POST/PUT would otherwise be labelled as a form by libcurl. */
    if (rc == 0 && empty_body_sent && !content_type_given)
        rc = curl_slist_append(*out, "Content-Type:") ? 0 : IVRSM_ENOMEM;
    if (rc == 0 && key)
        rc = add_header(mem, out, "Idempotency-Key", key);
    /* Never wait for "100 Continue": backends answer small JSON bodies at once. */
    if (rc == 0 && !curl_slist_append(*out, "Expect:"))
        rc = IVRSM_ENOMEM;
    return rc;
}
