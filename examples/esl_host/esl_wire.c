/*
 * Messages to FreeSWITCH: see esl_wire.h.
 */
#include "esl_wire.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

bool esl_uuid_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-'))
            return false;
    }
    return true;
}

bool esl_token_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 256)
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f)
            return false;
    }
    return true;
}

bool esl_line_safe(const char *s)
{
    if (!s)
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

int esl_build_auth(strbuf *out, const char *password)
{
    if (!esl_line_safe(password) || !*password)
        return -1;
    return sb_printf(out, "auth %s\n\n", password);
}

int esl_build_subscribe(strbuf *out)
{
    return sb_puts(out, "event plain " ESL_EVENT_TYPES "\n\n");
}

int esl_build_filter(strbuf *out, const char *header, const char *value)
{
    if (!esl_token_valid(header) || !esl_token_valid(value))
        return -1;
    return sb_printf(out, "filter %s %s\n\n", header, value);
}

int esl_build_uuid_api(strbuf *out, const char *command, const char *uuid, const char *arg)
{
    if (!esl_token_valid(command) || !esl_uuid_valid(uuid) || (arg && !esl_token_valid(arg)))
        return -1;
    return sb_printf(out, "api %s %s%s%s\n\n", command, uuid, arg ? " " : "", arg ? arg : "");
}

int esl_build_execute(strbuf *out, const char *uuid, const char *app_uuid, const char *app,
                      const char *arg)
{
    if (!esl_uuid_valid(uuid) || !esl_uuid_valid(app_uuid) || !esl_token_valid(app))
        return -1;
    size_t n = arg ? strlen(arg) : 0;
    sb_printf(out,
              "sendmsg %s\n"
              "call-command: execute\n"
              "execute-app-name: %s\n"
              "event-lock: true\n"
              "Event-UUID: %s\n"
              "content-type: text/plain\n"
              "content-length: %zu\n\n",
              uuid, app, app_uuid, n);
    return sb_append(out, arg ? arg : "", n);
}

int esl_build_exit(strbuf *out)
{
    return sb_puts(out, "exit\n\n");
}

int esl_new_uuid(char *out, size_t outlen)
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    int n = snprintf(out, outlen,
                     "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                     b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                     b[13], b[14], b[15]);
    return n == 36 ? 0 : -1;
}
