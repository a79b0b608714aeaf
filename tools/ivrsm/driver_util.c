/*
 * Helpers of the call driver: caller input lines, times, ctx keys, secret
 * keys and the two JSON comparisons that tests and replays rely on.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json_real.h"
#include "driver.h"

const char drv_input_syntax[] =
    "dtmf DIGITS (or the keys alone: 1) | say TEXT | say@CONFIDENCE TEXT | intent NAME | "
    "noinput | nomatch | hangup   (# starts a comment)";

/* ---------------------------------------------------------------------------
 * Caller inputs
 * ------------------------------------------------------------------------- */

int drv_dtmf_check(const char *digits, char *err, size_t errlen)
{
    size_t n = strlen(digits);
    if (n == 0) {
        snprintf(err, errlen, "dtmf needs digits, e.g. \"dtmf 1\"");
        return -1;
    }
    if (n > IVRSM_MAX_INPUT_BYTES) {
        snprintf(err, errlen, "at most %d DTMF digits", IVRSM_MAX_INPUT_BYTES);
        return -1;
    }
    size_t bad = strspn(digits, "0123456789*#ABCD");
    if (bad < n) {
        snprintf(err, errlen, "'%c' is not a DTMF key (keys are 0-9 * # A-D)", digits[bad]);
        return -1;
    }
    return 0;
}

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A copy of [s, s+len) without trailing blanks (and CR), or NULL. */
static char *trimmed_copy(const char *s, size_t len)
{
    while (len > 0 &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n'))
        len--;
    char *c = malloc(len + 1);
    if (c) {
        memcpy(c, s, len);
        c[len] = '\0';
    }
    return c;
}

/* "say@0.3" → 0.3; -1 with err set when it is not a number in 0..1. */
static int parse_confidence(const char *word, size_t len, double *out, char *err, size_t errlen)
{
    char text[32];
    if (len == 0 || len >= sizeof(text)) {
        snprintf(err, errlen, "say@ needs a confidence from 0 to 1, e.g. say@0.3 bonjour");
        return -1;
    }
    memcpy(text, word, len);
    text[len] = '\0';
    char *end;
    errno = 0;
    double c = strtod(text, &end);
    if (errno || *end || !(c >= 0 && c <= 1)) {
        snprintf(err, errlen, "confidence '%s' is not a number from 0 to 1", text);
        return -1;
    }
    *out = c;
    return 0;
}

/* A line that starts with no keyword: the caller probably meant to say it
 * (the keys alone are read before this, see drv_input_parse). */
static int bad_keyword(const char *line, size_t word_len, char *err, size_t errlen)
{
    size_t len = strcspn(line, "\r\n");
    if (len > 40)
        len = 40;
    snprintf(err, errlen, "unknown input '%.*s': to say it, write \"say %.*s\" (expected %s)",
             (int)(word_len > 40 ? 40 : word_len), line, (int)len, line, drv_input_syntax);
    return -1;
}

/* A line of keys alone ("1", "0612345678#", "*21#"), read as "dtmf KEYS":
 * what a caller types at a keypad question. It starts with a digit or '*'
 * ('#' starts a comment, and A-D would take words), holds keys only and
 * nothing after them. */
static bool is_bare_keys(const char *p, size_t word_len, const char *rest)
{
    if (!(isdigit((unsigned char)*p) || *p == '*'))
        return false;
    if (strspn(p, "0123456789*#ABCD") < word_len)
        return false;
    return *rest == '\0' || *rest == '\r' || *rest == '\n';
}

size_t drv_keypad_read(const char *keys, int max_digits, const char *terminators, char *entry,
                       bool *terminated)
{
    size_t n = 0, i = 0, len = strlen(keys);
    const char *term = terminators ? terminators : "";
    *terminated = false;
    for (; i < len; i++) {
        if (*term && strchr(term, keys[i])) {
            *terminated = true;
            i++;
            break;
        }
        if (max_digits > 0 && n == (size_t)max_digits)
            break; /* complete: only a terminator may still belong to it */
        entry[n++] = keys[i];
    }
    entry[n] = '\0';
    return len - i;
}

int drv_input_parse(const char *line, drv_input *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->confidence = -1;
    const char *p = skip_blanks(line);
    if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
        return 0;
    size_t word_len = strcspn(p, " \t\r\n");
    const char *rest = skip_blanks(p + word_len);
    char *arg = trimmed_copy(rest, strlen(rest));
    if (!arg) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    bool wants_arg = true;
    if (is_bare_keys(p, word_len, rest)) {
        free(arg);
        arg = trimmed_copy(p, word_len);
        if (!arg) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        out->type = IVRSM_EVENT_DTMF;
    } else if (word_len == 4 && !strncmp(p, "dtmf", 4)) {
        out->type = IVRSM_EVENT_DTMF;
    } else if (word_len >= 3 && !strncmp(p, "say", 3) && (word_len == 3 || p[3] == '@')) {
        out->type = IVRSM_EVENT_SPEECH;
        if (word_len > 3 &&
            parse_confidence(p + 4, word_len - 4, &out->confidence, err, errlen) != 0) {
            free(arg);
            return -1;
        }
    } else if (word_len == 6 && !strncmp(p, "intent", 6)) {
        out->type = IVRSM_EVENT_INTENT;
    } else if (word_len == 7 && !strncmp(p, "noinput", 7)) {
        out->type = IVRSM_EVENT_NOINPUT;
        wants_arg = false;
    } else if (word_len == 7 && !strncmp(p, "nomatch", 7)) {
        out->type = IVRSM_EVENT_NOMATCH;
        wants_arg = false;
    } else if (word_len == 6 && !strncmp(p, "hangup", 6)) {
        out->type = IVRSM_EVENT_HANGUP;
        wants_arg = false;
    } else {
        free(arg);
        return bad_keyword(p, word_len, err, errlen);
    }
    if (!wants_arg) {
        bool extra = *arg != '\0';
        if (extra)
            snprintf(err, errlen, "'%.*s' takes no argument", (int)word_len, p);
        free(arg);
        return extra ? -1 : 1;
    }
    if (*arg == '\0') {
        snprintf(err, errlen, "'%.*s' needs %s", (int)word_len, p,
                 out->type == IVRSM_EVENT_DTMF     ? "digits, e.g. \"dtmf 1\""
                 : out->type == IVRSM_EVENT_INTENT ? "an intent name, e.g. \"intent operator\""
                                                   : "words, e.g. \"say hello\"");
        free(arg);
        return -1;
    }
    if (out->type == IVRSM_EVENT_DTMF && drv_dtmf_check(arg, err, errlen) != 0) {
        free(arg);
        return -1;
    }
    if (strlen(arg) > IVRSM_MAX_INPUT_BYTES) {
        snprintf(err, errlen, "input longer than %d bytes", IVRSM_MAX_INPUT_BYTES);
        free(arg);
        return -1;
    }
    out->text = arg;
    return 1;
}

char *drv_input_format(const drv_input *in)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    switch (in->type) {
    case IVRSM_EVENT_DTMF:
        fprintf(f, "dtmf %s", in->text ? in->text : "");
        break;
    case IVRSM_EVENT_SPEECH:
        if (in->confidence >= 0)
            fprintf(f, "say@%g %s", in->confidence, in->text ? in->text : "");
        else
            fprintf(f, "say %s", in->text ? in->text : "");
        break;
    case IVRSM_EVENT_INTENT:
        fprintf(f, "intent %s", in->text ? in->text : "");
        break;
    case IVRSM_EVENT_NOINPUT:
        fputs("noinput", f);
        break;
    case IVRSM_EVENT_NOMATCH:
        fputs("nomatch", f);
        break;
    case IVRSM_EVENT_HANGUP:
        fputs("hangup", f);
        break;
    default:
        fputs("?", f);
        break;
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int drv_input_copy(drv_input *dst, const drv_input *src)
{
    *dst = *src;
    dst->text = NULL;
    if (src->text && !(dst->text = strdup(src->text)))
        return -1;
    return 0;
}

void drv_input_clear(drv_input *in)
{
    free(in->text);
    memset(in, 0, sizeof(*in));
}

int drv_option_value(const char *prog, int argc, char **argv, int *i, const char *name,
                     const char **value)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value\n", prog, name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int drv_output_option(const char *prog, int argc, char **argv, int *i, const char **file)
{
    int r = drv_option_value(prog, argc, argv, i, "--output", file);
    return r ? r : drv_option_value(prog, argc, argv, i, "-o", file);
}

int drv_operand(const char *prog, const char *arg, const char *what, const char **slot)
{
    if (arg[0] == '-' && arg[1]) {
        fprintf(stderr, "%s: unknown option '%s'\nRun '%s --help'.\n", prog, arg, prog);
        return 2;
    }
    if (*slot) {
        fprintf(stderr, "%s: one %s at a time ('%s' is extra)\n", prog, what, arg);
        return 2;
    }
    *slot = arg;
    return 0;
}

int drv_operand_given(const char *prog, const char *what, const char *slot,
                      void (*usage)(FILE *out))
{
    if (slot)
        return 0;
    fprintf(stderr, "%s: no %s given\n\n", prog, what);
    usage(stderr);
    return 2;
}

/* ---------------------------------------------------------------------------
 * Times
 * ------------------------------------------------------------------------- */

int64_t drv_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Read exactly n digits at *p into *v. */
static bool read_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(int y, int m, int d)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    return d <= days[m - 1] + (m == 2 && is_leap(y));
}

/* "Z", "+01:00", "-0500", "+01" → offset in minutes east of UTC. */
static bool read_offset(const char **p, int *minutes)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *minutes = 0;
        return true;
    }
    if (**p != '+' && **p != '-')
        return false;
    int sign = **p == '-' ? -1 : 1;
    (*p)++;
    int hh, mm = 0;
    if (!read_digits(p, 2, &hh))
        return false;
    if (**p == ':')
        (*p)++;
    if (isdigit((unsigned char)**p) && !read_digits(p, 2, &mm))
        return false;
    if (hh > 23 || mm > 59)
        return false;
    *minutes = sign * (hh * 60 + mm);
    return true;
}

int drv_parse_time(const char *text, int64_t *ms)
{
    const char *p = text;
    int y, mo, d, h = 0, mi = 0, s = 0, frac = 0, offset = 0;
    if (!read_digits(&p, 4, &y) || *p++ != '-' || !read_digits(&p, 2, &mo) || *p++ != '-' ||
        !read_digits(&p, 2, &d) || !valid_date(y, mo, d))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!read_digits(&p, 2, &h) || *p++ != ':' || !read_digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (!read_digits(&p, 2, &s))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                int scale = 100, digits = 0;
                while (isdigit((unsigned char)*p)) {
                    if (digits++ < 3) {
                        frac += (*p - '0') * scale;
                        scale /= 10;
                    }
                    p++;
                }
                if (digits == 0)
                    return -1;
            }
        }
        if (h > 23 || mi > 59 || s > 60)
            return -1;
        if (*p && !read_offset(&p, &offset))
            return -1;
    }
    if (*p != '\0')
        return -1;
    int64_t secs = drv_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset * 60;
    *ms = secs * 1000 + frac;
    return 0;
}

ivrsm_machine *drv_load_machine(const char *path)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err = {0};
    if (ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &m, &err) == 0)
        return m;
    const char *file = err.file[0] ? err.file : path;
    if (err.line > 0)
        fprintf(stderr, "%s:%d:%d: %s\n", file, err.line, err.column, err.message);
    else
        fprintf(stderr, "%s: %s\n", file, err.message[0] ? err.message : ivrsm_strerror(err.code));
    return NULL;
}

int64_t drv_real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------------------
 * ctx keys and values
 * ------------------------------------------------------------------------- */

json_t *drv_value_from_text(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

json_t *drv_redact(const ivrsm_machine *m, const json_t *v)
{
    char *text = ivrsm_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    char *redacted = text ? ivrsm_machine_redact_json(m, text) : NULL;
    json_t *r = redacted ? json_loads(redacted, JSON_DECODE_ANY, NULL) : NULL;
    free(text);
    ivrsm_free(redacted);
    return r;
}

/* ---------------------------------------------------------------------------
 * Comparisons
 * ------------------------------------------------------------------------- */

/* Whether `pattern`, where each "***" stands for any text, matches `s` whole. */
static bool glob_match(const char *pattern, const char *s)
{
    const char *star = strstr(pattern, "***");
    if (!star)
        return !strcmp(pattern, s);
    size_t head = (size_t)(star - pattern);
    if (strncmp(pattern, s, head) != 0)
        return false;
    const char *rest = star + 3;
    s += head;
    if (*rest == '\0')
        return true;
    /* Try every place where the rest of the pattern could start. */
    for (const char *at = s; *at; at++)
        if (glob_match(rest, at))
            return true;
    return glob_match(rest, s + strlen(s));
}

static bool strings_match(const char *a, const char *b)
{
    bool a_red = strstr(a, "***") != NULL;
    bool b_red = strstr(b, "***") != NULL;
    if (!a_red && !b_red)
        return !strcmp(a, b);
    return (a_red && glob_match(a, b)) || (b_red && glob_match(b, a));
}

static bool listed(const char *key, const char *const *keys)
{
    for (; keys && *keys; keys++)
        if (!strcmp(*keys, key))
            return true;
    return false;
}

static bool is_redacted_value(const json_t *v)
{
    return json_is_string(v) && !strcmp(json_string_value(v), "***");
}

static size_t count_unlisted(const json_t *o, const char *const *ignore)
{
    size_t n = 0;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)o, k, x) n += !listed(k, ignore);
    return n;
}

/* The value in b for key k of a: the same key, else a key that matches it
 * once hidden parts are taken into account (the library hides a secret
 * wherever it occurs, keys included). */
static const json_t *matching_member(const json_t *b, const char *k)
{
    json_t *y = json_object_get(b, k);
    if (y)
        return y;
    const char *kb;
    json_object_foreach((json_t *)b, kb, y)
    {
        if (strings_match(k, kb))
            return y;
    }
    return NULL;
}

static bool objects_match_redacted(const json_t *a, const json_t *b, const char *const *ignore)
{
    if (count_unlisted(a, ignore) != count_unlisted(b, ignore))
        return false;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)a, k, x)
    {
        if (listed(k, ignore))
            continue;
        const json_t *y = matching_member(b, k);
        if (!y || !drv_json_match_redacted(x, y, NULL))
            return false;
    }
    return true;
}

bool drv_json_match_redacted(const json_t *a, const json_t *b, const char *const *ignore)
{
    if (is_redacted_value(a) || is_redacted_value(b))
        return true;
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_string(a))
        return strings_match(json_string_value(a), json_string_value(b));
    if (json_is_object(a))
        return objects_match_redacted(a, b, ignore);
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!drv_json_match_redacted(json_array_get(a, i), json_array_get(b, i), NULL))
                return false;
        return true;
    }
    return json_equal((json_t *)a, (json_t *)b) != 0;
}

bool drv_json_subset(const json_t *expected, const json_t *actual)
{
    if (!actual)
        return false;
    if (json_is_number(expected) && json_is_number(actual))
        return json_number_value(expected) == json_number_value(actual);
    if (json_typeof(expected) != json_typeof(actual))
        return false;
    if (json_is_object(expected)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)expected, k, x)
        {
            if (!drv_json_subset(x, json_object_get(actual, k)))
                return false;
        }
        return true;
    }
    if (json_is_array(expected)) {
        if (json_array_size(expected) != json_array_size(actual))
            return false;
        for (size_t i = 0; i < json_array_size(expected); i++)
            if (!drv_json_subset(json_array_get(expected, i), json_array_get(actual, i)))
                return false;
        return true;
    }
    return json_equal((json_t *)expected, (json_t *)actual) != 0;
}

int drv_keep_written_body(json_t *answer, const ivrsm_node *body)
{
    json_t *read = json_object_get(answer, "body");
    if (!body || !read || json_is_string(read))
        return 0;
    char *written = ivrsm_node_json(body);
    char *dumped = ivrsm_json_dumps(read, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    int rc = written && dumped ? 0 : -1;
    if (rc == 0 && strcmp(written, dumped) != 0)
        rc = json_object_set_new(answer, "body", json_string(written));
    ivrsm_free(written);
    free(dumped);
    return rc;
}

int drv_keep_written_bodies(json_t *responses, const ivrsm_node *map)
{
    for (size_t i = 0; i < ivrsm_node_size(map); i++) {
        const ivrsm_node *v = ivrsm_node_value(map, i);
        json_t *entry = json_object_get(responses, ivrsm_node_key(map, i, NULL, NULL));
        bool list = ivrsm_node_type(v) == IVRSM_NODE_LIST;
        for (size_t j = 0; j < (list ? ivrsm_node_size(v) : 1); j++) {
            json_t *answer = list ? json_array_get(entry, j) : entry;
            if (json_is_object(answer) &&
                drv_keep_written_body(
                    answer, ivrsm_node_get(list ? ivrsm_node_item(v, j) : v, "body")) != 0)
                return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Canned answers for endpoints the machine does not have
 * ------------------------------------------------------------------------- */

/* "GET /x", "POST /y?..." : a key for a call that names no endpoint. */
static bool is_method_and_path(const char *key)
{
    static const char *const methods[] = {"GET ", "POST ", "PUT ", "PATCH ", "DELETE "};
    for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++) {
        size_t n = strlen(methods[i]);
        if (!strncmp(key, methods[i], n))
            return key[n] == '/';
    }
    return false;
}

void drv_report_response_key(const char *prog, const char *file, int line, int column,
                             const char *machine, const char *key, const char *known)
{
    if (line > 0)
        fprintf(stderr, "%s:%d:%d: warning: ", file, line, column);
    else
        fprintf(stderr, "%s: %s: warning: ", prog, file);
    if (*known)
        fprintf(stderr, "'%s' is no endpoint of %s (its endpoints: %s)", key, machine, known);
    else
        fprintf(stderr, "'%s' is no endpoint of %s (it has none)", key, machine);
    fputs("; a call that names no endpoint is answered by \"METHOD /path\"\n", stderr);
}

int drv_check_response_keys(const char *machine_path, const json_t *responses,
                            drv_response_key_report report, void *user)
{
    if (!json_is_object(responses))
        return 0;
    ivrsm_document *doc = NULL;
    if (ivrsm_document_load_file(machine_path, IVRSM_FORMAT_AUTO, &doc, NULL) != 0)
        return 0; /* the machine's own load reports what is wrong with it */
    const ivrsm_node *endpoints =
        ivrsm_node_get(ivrsm_node_get(ivrsm_document_root(doc), "globals"), "endpoints");
    if (ivrsm_node_type(endpoints) != IVRSM_NODE_MAP) {
        /* No table, or one written as a ${globals...} reference: nothing to compare with,
           unless there is no table at all. */
        if (endpoints) {
            ivrsm_document_free(doc);
            return 0;
        }
    }
    /* The names, "a, b, c", for the message. */
    char known[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < ivrsm_node_size(endpoints) && used < sizeof(known); i++)
        used += (size_t)snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "",
                                 ivrsm_node_key(endpoints, i, NULL, NULL));
    int count = 0;
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)responses, key, value)
    {
        (void)value;
        if (is_method_and_path(key) || ivrsm_node_get(endpoints, key))
            continue;
        report(key, known, user);
        count++;
    }
    ivrsm_document_free(doc);
    return count;
}

/* ---------------------------------------------------------------------------
 * Clock values written without a UTC offset
 * ------------------------------------------------------------------------- */

/* Whether an ISO 8601 text of drv_parse_time has no UTC offset: a date alone,
 * or a time without Z or ±HH:MM, which drv_parse_time reads as UTC. */
static bool lacks_offset(const char *text)
{
    const char *t = strpbrk(text, "Tt ");
    if (!t)
        return true; /* a date alone: midnight UTC */
    return !strpbrk(t, "Zz+-");
}

void drv_note_time_without_offset(const char *where, const char *text, const char *machine_path)
{
    if (!lacks_offset(text))
        return;
    ivrsm_document *doc = NULL;
    if (ivrsm_document_load_file(machine_path, IVRSM_FORMAT_AUTO, &doc, NULL) != 0)
        return;
    const char *tz = ivrsm_node_text(ivrsm_node_get(ivrsm_document_root(doc), "timezone"));
    if (tz && strcasecmp(tz, "UTC") != 0 && strcasecmp(tz, "Etc/UTC") != 0 &&
        strcasecmp(tz, "GMT") != 0)
        fprintf(stderr,
                "%swarning: '%s' has no UTC offset, so it is a UTC time, not a time in %s (the "
                "machine's timezone): add the offset to mean a time there "
                "(2026-11-25T10:00:00+01:00 is 10:00 one hour ahead of UTC)\n",
                where, text, tz);
    ivrsm_document_free(doc);
}
