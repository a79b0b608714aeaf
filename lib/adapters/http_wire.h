/*
 * What the HTTP adapter puts on the wire: the checks that keep a command or
 * an option from adding a header line, splitting a request or changing the
 * host (RFC 9110 tokens and field values, RFC 3986 path and query
 * characters), and the URL and header list of a request.
 */
#ifndef IVRSM_HTTP_WIRE_H
#define IVRSM_HTTP_WIRE_H

#include <curl/curl.h>
#include <stddef.h>

#include "ivrsm/http_curl.h"
#include "mem.h"

/* A header as a validated name and value (surrounding blanks trimmed). */
typedef struct ivrsm_http_wire_header {
    char *name;
    char *value;
} ivrsm_http_wire_header;

/* Nonzero when s is non-NULL and holds only visible characters, spaces, tabs
 * and bytes >= 0x80: no CR, LF or other control character, no DEL. */
int ivrsm_http_wire_is_field_value(const char *s);

/*
 * Split "Name: value" into out (strings from mem, owned by the caller, who
 * frees both, also on failure: either may be set). Returns 0, IVRSM_EINVAL (no ':', the
 * name is not a token, the value holds a control character), IVRSM_ELIMIT
 * (longer than IVRSM_HTTP_MAX_HEADER_BYTES), IVRSM_ENOMEM.
 */
int ivrsm_http_wire_parse_header(const ivrsm_mem *mem, const char *line,
                                 ivrsm_http_wire_header *out);

/*
 * Check a base URL: an absolute http(s) URL that libcurl parses, printable
 * ASCII, without query or fragment. *len receives its length without one
 * trailing slash. Returns 0, IVRSM_EINVAL, IVRSM_ELIMIT (not shorter than
 * IVRSM_HTTP_MAX_URL_BYTES), IVRSM_ENOMEM.
 */
int ivrsm_http_wire_check_base_url(const char *url, size_t *len);

/* Check an http command against the rules of ivrsm_http_submit(); same codes. */
int ivrsm_http_wire_check_command(const ivrsm_command *cmd);

/*
 * base (its first base_len bytes) + path [+ "?" + query when not empty], as a
 * new string from mem, or NULL with *rc set to IVRSM_ELIMIT or IVRSM_ENOMEM.
 */
char *ivrsm_http_wire_url(const ivrsm_mem *mem, const char *base, size_t base_len,
                          const ivrsm_command *cmd, int *rc);

/*
 * Append the request's headers to *out (a libcurl list the caller frees with
 * curl_slist_free_all(), also on failure), with the precedence documented at
 * ivrsm_http_submit(): defaults not overridden by the command, the command's
 * headers, Accept, Content-Type (has_body), an empty Content-Type that keeps
 * libcurl from labelling an empty body as a form (empty_body_sent),
 * Idempotency-Key, and an empty Expect so that libcurl never waits for
 * "100 Continue". Returns 0 or IVRSM_ENOMEM.
 */
int ivrsm_http_wire_headers(const ivrsm_mem *mem, const ivrsm_http_wire_header *defaults,
                            size_t default_count, const ivrsm_command *cmd, int has_body,
                            int empty_body_sent, struct curl_slist **out);

#endif
