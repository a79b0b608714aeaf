/*
 * What may stand in a URL path as the HTTP adapter sends it (RFC 3986): the
 * compiler checks endpoint paths by these rules and the adapter checks every
 * command's path by them again, so the two cannot disagree.
 *
 * Inline, so that the HTTP adapter, a library of its own that sees only the
 * public symbols of the core, uses them too.
 */
#ifndef IVRSM_URL_H
#define IVRSM_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool ivrsm_url_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 pchar but '%': unreserved, sub-delims, ':' and '@'. */
static inline bool ivrsm_url_pchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("-._~!$&'()*+,;=:@", c));
}

/* "." or "..", percent-encoded or not: servers and proxies resolve such a segment, so a
 * request would reach another resource than the path names. */
static inline bool ivrsm_url_dot_segment(const char *seg, size_t len)
{
    size_t dots = 0;
    for (size_t i = 0; i < len; dots++) {
        if (seg[i] == '.')
            i++;
        else if (i + 2 < len && seg[i] == '%' && seg[i + 1] == '2' &&
                 (seg[i + 2] == 'e' || seg[i + 2] == 'E'))
            i += 3;
        else
            return false;
    }
    return dots == 1 || dots == 2;
}

#endif
