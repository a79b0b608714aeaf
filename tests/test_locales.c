/*
 * Every built-in locale, from its case file: tests/locales/<tag>.cases.
 *
 * A locale is data (lib/collect/locale_*.c), and so are its tests: this
 * program reads the case file of each locale ivrsm_locale_at() lists, runs
 * every case through the collect parsers or the normaliser, and fails when a
 * locale has no file, fewer than MIN_CASES cases, fewer than MIN_GARBAGE
 * inputs that are not values, or a mode without cases. It also checks the
 * tables themselves: every phrase written in normalised form, the seven
 * weekdays and twelve months present, rewrites within their size bound.
 *
 * Case file format (UTF-8), one case per line, fields separated by a tab or
 * by two spaces or more (write a double space inside a field as "\x20 "):
 *
 *   @tz Europe/Paris          the zone of date cases
 *   @now 1795597200000        the clock of date cases, ms since 1970 (UTC)
 *   @otp_length 6             digits of "otp" cases from here on
 *   MODE  HOW  INPUT  EXPECTED
 *
 * MODE is phone, otp, date, no (free_speech_or_no), digits (1 to 64
 * digits: numbers, amounts), norm (normalisation for intent matching) or
 * say (a value said with a template format); HOW is "said" or "keyed", for
 * say the format ("date", "money"...). EXPECTED is "-" when the input is not
 * a value; for dates "FROM" or "FROM..TO"; for "no", "<no>" when the caller
 * declined, else the comment kept; for "norm" the normalised text. For say,
 * INPUT is the value (JSON when it parses as JSON: 12.5, true, "12"; else a
 * string), rendered by "{{v | FORMAT}}" on the day of @now in @tz, and
 * EXPECTED what is said ("-": said as written, not a value of the format).
 * For intent, a call of a machine in the locale whose one intent has the
 * utterance (said) or the DTMF entry (keyed) EXPECTED hears INPUT: it must
 * take the intent, or not when EXPECTED starts with '!' (a case that is
 * not a value).
 * INPUT and EXPECTED take \t, \n, \\ and \xHH escapes; "" is empty.
 * Lines starting with '#' and blank lines are ignored; a directive's value
 * may be followed by a '#' comment.
 */
#include "civil.h"
#include "collect.h"
#include "date_parts.h"
#include "locale_tables.h"
#include "say.h"
#include "template.h"
#include "text.h"
#include "tz.h"
#include "words.h"

#include "call_driver.h"

#include <check.h>
#include <stdatomic.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CASES 40
#define MIN_GARBAGE 5
#define LINE_MAX_BYTES 4096

enum case_mode {
    MODE_PHONE,
    MODE_OTP,
    MODE_DATE,
    MODE_NO,
    MODE_DIGITS,
    MODE_NORM,
    MODE_SAY,
    MODE_INTENT,
    MODE_COUNT
};

static const char *const mode_names[MODE_COUNT] = {"phone",  "otp",  "date", "no",
                                                   "digits", "norm", "say",  "intent"};

struct counts {
    int cases;
    int garbage;
    int per_mode[MODE_COUNT];
    int failures;
};

static const char *source_root(void)
{
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    return root && *root ? root : ".";
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Unescapes s in place; returns its length, or -1 on a bad escape. */
static long unescape(char *s)
{
    if (strcmp(s, "\"\"") == 0) {
        s[0] = '\0';
        return 0;
    }
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '\\') {
            s[o++] = s[i];
            continue;
        }
        char e = s[++i];
        if (e == 't') {
            s[o++] = '\t';
        } else if (e == 'n') {
            s[o++] = '\n';
        } else if (e == '\\') {
            s[o++] = '\\';
        } else if (e == 'x' && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            s[o++] = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            return -1;
        }
    }
    s[o] = '\0';
    return (long)o;
}

/* A field separator starts here: a tab, or two spaces or more. */
static int at_separator(const char *p)
{
    return *p == '\t' || (p[0] == ' ' && p[1] == ' ');
}

/* Splits a line at its separators into at most max fields; -1 when more. */
static int split_fields(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == '\t' || *p == ' ')
            p++;
        if (!*p)
            return n;
        if (n == max)
            return -1;
        fields[n++] = p;
        while (*p && !at_separator(p))
            p++;
        char *end = p;
        char *next = *p ? p + 1 : p;
        *end = '\0';
        p = next;
    }
}

struct file_state {
    const char *path;
    int line;
    const ivrsm_locale *locale;
    ivrsm_tz *tz;
    int64_t now_ms;
    int otp_length;
};

#define FAIL(st, c, ...)                                                                           \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: ", (st)->path, (st)->line);                                        \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        (c)->failures++;                                                                           \
    } while (0)

static void check_value_case(struct file_state *st, struct counts *c, enum case_mode mode,
                             int keyed, const char *in, size_t len, const char *expected)
{
    static const ivrsm_collect_mode modes[] = {
        IVRSM_COLLECT_PHONE, IVRSM_COLLECT_OTP, IVRSM_COLLECT_DATE_NL,
        IVRSM_COLLECT_FREE_SPEECH_OR_NO, IVRSM_COLLECT_DIGITS};
    ivrsm_collect_params p = {0};
    p.digits_min = 1;
    p.digits_max = 64;
    p.locale = st->locale;
    p.tz = st->tz;
    p.now_ms = st->now_ms;
    p.otp_length = st->otp_length;
    ivrsm_collect_value v;
    memset(&v, 0x5A, sizeof v);
    int rc = ivrsm_collect_parse(modes[mode], &p, in, len, keyed, &v);
    if (strcmp(expected, "-") == 0) {
        if (rc != 1)
            FAIL(st, c, "%s \"%s\": a value (\"%s\"), expected none", mode_names[mode], in,
                 rc == 0 ? v.text : "?");
        else if (v.text[0] || v.date_to[0] || v.said_no)
            FAIL(st, c, "%s \"%s\": not a value but the output is not cleared", mode_names[mode],
                 in);
        return;
    }
    if (rc != 0) {
        FAIL(st, c, "%s \"%s\": not a value (rc %d), expected \"%s\"", mode_names[mode], in, rc,
             expected);
        return;
    }
    char got[2 * IVRSM_COLLECT_TEXT_MAX];
    if (mode == MODE_DATE) {
        snprintf(got, sizeof got, "%s..%s", v.text, v.date_to);
        char want[64];
        if (strstr(expected, ".."))
            snprintf(want, sizeof want, "%s", expected);
        else
            snprintf(want, sizeof want, "%s..%s", expected, expected);
        if (strcmp(got, want) != 0)
            FAIL(st, c, "date \"%s\": %s, expected %s", in, got, want);
        return;
    }
    if (mode == MODE_NO) {
        snprintf(got, sizeof got, "%s", v.said_no ? "<no>" : v.text);
        if (v.said_no && v.text[0])
            FAIL(st, c, "no \"%s\": declined but text \"%s\"", in, v.text);
    } else {
        snprintf(got, sizeof got, "%s", v.text);
    }
    if (strcmp(got, expected) != 0)
        FAIL(st, c, "%s \"%s\": \"%s\", expected \"%s\"", mode_names[mode], in, got, expected);
}

static void check_norm_case(struct file_state *st, struct counts *c, const char *in, size_t len,
                            const char *expected)
{
    char out[LINE_MAX_BYTES * 2 + 2];
    int n =
        ivrsm_text_normalize_rules(ivrsm_locale_text_rules(st->locale), in, len, out, sizeof out);
    if (strcmp(expected, "-") == 0) {
        if (n >= 0)
            FAIL(st, c, "norm \"%s\": \"%s\", expected a refusal", in, out);
        return;
    }
    if (n < 0 || strcmp(out, expected) != 0)
        FAIL(st, c, "norm \"%s\": \"%s\", expected \"%s\"", in, n < 0 ? "(refused)" : out,
             expected);
}

/* The day of @now in @tz, "YYYY-MM-DD". */
static void case_today(const struct file_state *st, char *out, size_t cap)
{
    int64_t secs = ivrsm_floor_div(st->now_ms, 1000);
    secs += st->tz ? ivrsm_tz_offset(st->tz, secs) : 0;
    ivrsm_civil d = ivrsm_civil_from_days(ivrsm_floor_div(secs, 86400));
    snprintf(out, cap, "%04lld-%02d-%02d", (long long)d.year, d.month, d.day);
}

/* "{{v | FORMAT}}" rendered for speech with v = in, in the case file's locale, on its day. */
static void check_say_case(struct file_state *st, struct counts *c, const char *format,
                           const char *in, size_t len, const char *expected)
{
    char src[64], err[256] = "";
    snprintf(src, sizeof src, "{{ctx.v | %s}}", format);
    ivrsm_tmpl *t =
        ivrsm_tmpl_compile(ivrsm_mem_default(), src, strlen(src), err, sizeof err, NULL);
    if (!t) {
        FAIL(st, c, "say %s: %s", format, err);
        return;
    }
    json_t *v = json_loadb(in, len, JSON_DECODE_ANY, NULL);
    if (!v)
        v = json_stringn(in, len);
    char today[16];
    case_today(st, today, sizeof today);
    json_t *ctx = json_pack("{so}", "v", v);
    json_t *now = json_pack("{ss}", "date", today);
    ivrsm_tmpl_scope scope = {
        .ctx = ctx, .now = now, .mem = ivrsm_mem_default(), .locale = st->locale};
    ivrsm_buf out = IVRSM_BUF_INIT(ivrsm_mem_default());
    ck_assert_int_eq(ivrsm_tmpl_render_speech(t, &scope, &out), 0);
    /* Not a value of the format: said as templates say it without one. */
    ivrsm_buf plain = IVRSM_BUF_INIT(ivrsm_mem_default());
    ivrsm_tmpl *p = ivrsm_tmpl_compile(ivrsm_mem_default(), "{{ctx.v}}", 9, NULL, 0, NULL);
    ck_assert_int_eq(ivrsm_tmpl_render_speech(p, &scope, &plain), 0);
    const char *want = strcmp(expected, "-") == 0 ? ivrsm_buf_str(&plain) : expected;
    if (strcmp(ivrsm_buf_str(&out), want) != 0)
        FAIL(st, c, "say %s \"%s\": \"%s\", expected \"%s\"", format, in, ivrsm_buf_str(&out),
             want);
    ivrsm_buf_free(&out);
    ivrsm_buf_free(&plain);
    ivrsm_tmpl_free(p);
    ivrsm_tmpl_free(t);
    json_decref(ctx);
    json_decref(now);
}

/* A one-intent machine in the case file's locale, as JSON (no quoting to get wrong). */
static ivrsm_machine *intent_machine(const ivrsm_locale *loc, int keyed, const char *entry)
{
    json_t *m =
        json_pack("{ss ss ss s{s{s[s]}} s{s{ss ss s[{ss ss}] s{ss}} s{ss ss} s{ss ss}}}", "machine",
                  "intent_case", "version", "1", "locale", ivrsm_locale_tag(loc), "intents",
                  "wanted", keyed ? "dtmf" : "utterances", entry, "states", "ask", "type",
                  "prompt_and_listen", "prompt", "?", "routes", "when_intent", "wanted", "next",
                  "taken", "fallback", "next", "missed", "taken", "type", "prompt_end", "prompt",
                  "taken", "missed", "type", "prompt_end", "prompt", "missed");
    ck_assert_ptr_nonnull(m);
    char *text = json_dumps(m, 0);
    json_decref(m);
    ivrsm_machine *machine = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_buffer(text, strlen(text), IVRSM_FORMAT_JSON, "case.json", &machine,
                                       &err);
    free(text);
    return rc == 0 ? machine : NULL;
}

/* The caller says (or keys) in; the intent of utterance (or DTMF) `expected` is taken or not. */
static void check_intent_case(struct file_state *st, struct counts *c, int keyed, const char *in,
                              const char *expected)
{
    int want = expected[0] != '!';
    const char *entry = want ? expected : expected + 1;
    ivrsm_machine *m = intent_machine(st->locale, keyed, entry);
    if (!m) {
        FAIL(st, c, "intent \"%s\": the machine does not load", entry);
        return;
    }
    call k;
    call_init(&k, m, NULL);
    call_start(&k);
    char line[LINE_MAX_BYTES + 8];
    snprintf(line, sizeof line, "%s %s", keyed ? "dtmf" : "say", in);
    call_input(&k, line);
    int took = strcmp(call_state(&k), "taken") == 0;
    if (took != want)
        FAIL(st, c, "intent \"%s\" %s \"%s\"", entry, took ? "took" : "did not take", in);
    call_free(&k);
    ivrsm_machine_unref(m);
}

static int directive(struct file_state *st, struct counts *c, char *line)
{
    char *fields[3];
    int n = split_fields(line, fields, 3);
    /* "@now 1795597200000   # Wednesday 10:00": a comment may follow the value */
    if (n == 3 && fields[2][0] == '#')
        n = 2;
    if (n != 2) {
        FAIL(st, c, "a directive takes one value: %s", line);
        return -1;
    }
    if (strcmp(fields[0], "@tz") == 0) {
        ivrsm_tz_free(st->tz);
        st->tz = ivrsm_tz_new(fields[1], ivrsm_mem_default());
        if (!st->tz)
            FAIL(st, c, "unknown zone %s", fields[1]);
    } else if (strcmp(fields[0], "@now") == 0) {
        errno = 0;
        st->now_ms = strtoll(fields[1], NULL, 10);
        if (errno)
            FAIL(st, c, "bad @now %s", fields[1]);
    } else if (strcmp(fields[0], "@otp_length") == 0) {
        st->otp_length = atoi(fields[1]);
    } else {
        FAIL(st, c, "unknown directive %s", fields[0]);
        return -1;
    }
    return 0;
}

static void run_line(struct file_state *st, struct counts *c, char *line)
{
    char *fields[4];
    int n = split_fields(line, fields, 4);
    if (n != 4) {
        FAIL(st, c, "expected MODE HOW INPUT EXPECTED, tab-separated");
        return;
    }
    int mode = 0;
    while (mode < MODE_COUNT && strcmp(fields[0], mode_names[mode]) != 0)
        mode++;
    int keyed = strcmp(fields[1], "keyed") == 0;
    int how_ok = mode == MODE_SAY ? ivrsm_say_format_find(fields[1], strlen(fields[1])) != 0
                                  : keyed || strcmp(fields[1], "said") == 0;
    if (mode == MODE_COUNT || !how_ok) {
        FAIL(st, c, "unknown mode or HOW: %s %s", fields[0], fields[1]);
        return;
    }
    long len = unescape(fields[2]);
    if (len < 0 || unescape(fields[3]) < 0) {
        FAIL(st, c, "bad escape");
        return;
    }
    c->cases++;
    c->per_mode[mode]++;
    if (strcmp(fields[3], "-") == 0 || (mode == MODE_INTENT && fields[3][0] == '!'))
        c->garbage++;
    if (mode == MODE_DATE && !st->tz) {
        FAIL(st, c, "a date case before @tz");
        return;
    }
    if (mode == MODE_NORM)
        check_norm_case(st, c, fields[2], (size_t)len, fields[3]);
    else if (mode == MODE_SAY)
        check_say_case(st, c, fields[1], fields[2], (size_t)len, fields[3]);
    else if (mode == MODE_INTENT)
        check_intent_case(st, c, keyed, fields[2], fields[3]);
    else
        check_value_case(st, c, (enum case_mode)mode, keyed, fields[2], (size_t)len, fields[3]);
}

static struct counts run_file(const ivrsm_locale *loc)
{
    struct counts c = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/locales/%s.cases", source_root(), ivrsm_locale_tag(loc));
    struct file_state st = {path, 0, loc, NULL, 0, 0};
    FILE *f = fopen(path, "r");
    if (!f) {
        FAIL(&st, &c, "locale %s has no case file (%s)", ivrsm_locale_tag(loc), strerror(errno));
        return c;
    }
    char line[LINE_MAX_BYTES];
    while (fgets(line, sizeof line, f)) {
        st.line++;
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        if (line[0] == '@')
            directive(&st, &c, line);
        else
            run_line(&st, &c, line);
    }
    fclose(f);
    ivrsm_tz_free(st.tz);
    return c;
}

START_TEST(test_locale_cases)
{
    const ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    ck_assert_ptr_nonnull(loc);
    struct counts c = run_file(loc);
    ck_assert_msg(c.failures == 0, "%s: %d of %d cases failed (see above)", ivrsm_locale_tag(loc),
                  c.failures, c.cases);
    ck_assert_msg(c.cases >= MIN_CASES, "%s: %d cases, at least %d wanted", ivrsm_locale_tag(loc),
                  c.cases, MIN_CASES);
    ck_assert_msg(c.garbage >= MIN_GARBAGE, "%s: %d inputs that are not values, at least %d wanted",
                  ivrsm_locale_tag(loc), c.garbage, MIN_GARBAGE);
    for (int m = 0; m < MODE_COUNT; m++)
        ck_assert_msg(c.per_mode[m] > 0, "%s: no %s case", ivrsm_locale_tag(loc), mode_names[m]);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The tables themselves
 * ------------------------------------------------------------------------- */

/* A phrase of the table is stored as its own language normalises it. */
static void check_normalised(const struct ivrsm_locale *loc, const char *what, const char *text)
{
    char out[512];
    int n = ivrsm_text_normalize_rules(&loc->text, text, strlen(text), out, sizeof out);
    ck_assert_msg(n > 0 && strcmp(out, text) == 0,
                  "%s: %s \"%s\" is not in normalised form (\"%s\"); write it as normalised",
                  loc->tag, what, text, n > 0 ? out : "");
}

static void check_list(const struct ivrsm_locale *loc, const char *what, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        check_normalised(loc, what, list[i]);
}

static void check_values(const struct ivrsm_locale *loc, const char *what,
                         const struct ivrsm_phrase_value *list, int min, int max)
{
    for (size_t i = 0; list && list[i].text; i++) {
        check_normalised(loc, what, list[i].text);
        ck_assert_msg(list[i].value >= min && list[i].value <= max, "%s: %s \"%s\" = %d", loc->tag,
                      what, list[i].text, list[i].value);
    }
}

/* Every value from min to max has at least one phrase. */
static void check_complete(const struct ivrsm_locale *loc, const char *what,
                           const struct ivrsm_phrase_value *list, int min, int max)
{
    for (int v = min; v <= max; v++) {
        int found = 0;
        for (size_t i = 0; list && list[i].text; i++)
            found |= list[i].value == v;
        ck_assert_msg(found, "%s: no %s for %d", loc->tag, what, v);
    }
}

/* The words of the template formats: all there, and a phone format for every number. */
static void check_say_table(const struct ivrsm_locale *loc)
{
    const struct ivrsm_locale_say *say = &loc->say;
    for (int i = 0; i < 7; i++)
        ck_assert_msg(say->weekdays[i] && *say->weekdays[i], "%s: say.weekdays[%d]", loc->tag, i);
    for (int i = 0; i < 12; i++)
        ck_assert_msg(say->months[i] && *say->months[i], "%s: say.months[%d]", loc->tag, i);
    const char *const texts[] = {
        say->date,       say->year,       say->time,          say->currency[0], say->currency[1],
        say->subunit[0], say->subunit[1], say->currency_join, say->yes_no[0],   say->yes_no[1]};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        ck_assert_msg(texts[i] != NULL, "%s: a text of say is missing (%zu)", loc->tag, i);
    ck_assert_msg(say->decimal_mark, "%s: say.decimal_mark", loc->tag);
    if (strstr(say->time, "%p") || (say->time_on_the_hour && strstr(say->time_on_the_hour, "%p")))
        ck_assert_msg(say->am_pm[0] && say->am_pm[1], "%s: say.am_pm", loc->tag);
    int catch_all = 0;
    for (const struct ivrsm_phone_format *f = say->phone_formats; f && f->groups; f++) {
        ck_assert_msg(f->prefix && strspn(f->groups, "0123456789 ") == strlen(f->groups) &&
                          strpbrk(f->groups, "123456789"),
                      "%s: phone format \"%s\"", loc->tag, f->groups);
        catch_all |= f->prefix[0] == '\0' && f->digits == 0;
    }
    ck_assert_msg(catch_all, "%s: no phone format for every number (prefix \"\", digits 0)",
                  loc->tag);
}

START_TEST(test_locale_tables)
{
    const struct ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    ck_assert_ptr_nonnull(loc->tag);
    ck_assert_ptr_nonnull(loc->name);
    ck_assert_ptr_eq(ivrsm_locale_find(loc->tag), loc);
    for (const char *const *t = loc->tags; *t; t++)
        ck_assert_ptr_eq(ivrsm_locale_find(*t), loc);
    for (const struct ivrsm_number_word *w = loc->numbers; w->text; w++) {
        check_normalised(loc, "number", w->text);
        ck_assert(w->addend_min <= w->addend_max || w->addend_max == 0);
    }
    check_list(loc, "number joiner", loc->number_joiners);
    check_values(loc, "repeat word", loc->repeat_words, 2, 9);
    ck_assert(loc->digit_group_max == 99 || loc->digit_group_max == 999);
    ck_assert_ptr_nonnull(loc->country_code);
    ck_assert_ptr_nonnull(loc->trunk_prefix);
    ck_assert_ptr_nonnull(loc->international_prefix);
    ck_assert(loc->national_digits_min >= 4 &&
              loc->national_digits_min <= loc->national_digits_max &&
              loc->national_digits_max <= 14);
    check_list(loc, "plus word", loc->plus_words);
    check_list(loc, "digit filler", loc->digit_fillers);
    check_values(loc, "weekday", loc->weekdays, 0, 6);
    check_complete(loc, "weekday", loc->weekdays, 0, 6);
    check_values(loc, "month", loc->months, 1, 12);
    check_complete(loc, "month", loc->months, 1, 12);
    check_values(loc, "relative day", loc->relative_days, 0, 366);
    check_values(loc, "past relative day", loc->past_relative_days, 0, 2);
    check_complete(loc, "past relative day", loc->past_relative_days, 0, 2);
    check_values(loc, "day ordinal", loc->day_ordinals, 1, 31);
    const char *const *lists[] = {loc->next_words,
                                  loc->next_words_before,
                                  loc->next_week,
                                  loc->after_next_words,
                                  loc->after_next_words_before,
                                  loc->week_after_words,
                                  loc->week_after_words_before,
                                  loc->this_weekend,
                                  loc->this_month,
                                  loc->this_week,
                                  loc->next_month,
                                  loc->in_words,
                                  loc->from_now_words,
                                  loc->one_words,
                                  loc->day_units,
                                  loc->week_units,
                                  loc->ordinal_suffixes,
                                  loc->day_month_joiners,
                                  loc->month_day_joiners,
                                  loc->year_joiners,
                                  loc->asap,
                                  loc->date_articles,
                                  loc->date_lead_fillers,
                                  loc->date_trail_fillers,
                                  loc->negative_answers,
                                  loc->answer_fillers,
                                  loc->key_words};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        check_list(loc, "phrase", lists[i]);
    /* Every language the library ships hears "I don't know" as no answer: its lists are
     * normalised and carry their lengths. */
    const struct ivrsm_text_words *takes_back[] = {loc->text.dont_know, loc->text.negations};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_ptr_nonnull(takes_back[i]);
        for (const struct ivrsm_text_words *w = takes_back[i]; w->text; w++) {
            check_normalised(loc, "phrase", w->text);
            ck_assert_uint_eq(w->len, strlen(w->text));
        }
    }
    /* The other lists of speech matching, and the forms of yes and no: normalised, with their
     * lengths; the forms start with the bare answer, the locale's own yes and no. */
    const struct ivrsm_text_words *speech_lists[] = {
        loc->text.idioms,           loc->text.clause_breaks,
        loc->text.short_answers,    loc->text.negations_after,
        loc->text.clause_negations, loc->text.answers_yes,
        loc->text.answers_no,       loc->text.negations_closing,
        loc->text.corrections,      loc->text.separable_prefixes,
        loc->text.yes_forms,        loc->text.no_forms};
    for (size_t i = 0; i < sizeof speech_lists / sizeof speech_lists[0]; i++)
        for (const struct ivrsm_text_words *w = speech_lists[i]; w && w->text; w++) {
            check_normalised(loc, "phrase", w->text);
            ck_assert_uint_eq(w->len, strlen(w->text));
        }
    for (int no = 0; no < 2; no++) {
        const struct ivrsm_text_words *forms = no ? loc->text.no_forms : loc->text.yes_forms;
        ck_assert_msg(forms && forms[0].text, "%s: no forms of %s", loc->tag, no ? "no" : "yes");
        char bare[64];
        const char *said = loc->say.yes_no[no];
        ck_assert_int_gt(
            ivrsm_text_normalize_rules(&loc->text, said, strlen(said), bare, sizeof bare), 0);
        ck_assert_msg(strcmp(forms[0].text, bare) == 0, "%s: the forms of %s start with \"%s\"",
                      loc->tag, said, forms[0].text);
    }
    check_say_table(loc);
    ck_assert_ptr_nonnull(loc->negative_answers);
    ck_assert_ptr_nonnull(loc->day_units);
    ck_assert_ptr_nonnull(loc->week_units);
    /* The normaliser's output bound (twice the input) holds with these rules. */
    for (const struct ivrsm_text_rewrite *r = loc->text.rewrites; r && r->from; r++) {
        check_normalised(loc, "rewrite result", r->to);
        /* With the separator that follows a word: "i'd " (4 bytes) may become "i would " (8). */
        ck_assert_msg(strlen(r->to) + 1 <= 2 * (strlen(r->from) + 1), "%s: rewrite \"%s\" too long",
                      loc->tag, r->from);
    }
    /* A rewrite fires when its last word ends: one that begins with another one's never would. */
    for (const struct ivrsm_text_rewrite *a = loc->text.rewrites; a && a->from; a++) {
        for (const struct ivrsm_text_rewrite *b = loc->text.rewrites; b->from; b++) {
            size_t n = strlen(a->from);
            ck_assert_msg(a == b || strncmp(b->from, a->from, n) != 0 || b->from[n] != ' ',
                          "%s: rewrite \"%s\" hides \"%s\"", loc->tag, a->from, b->from);
        }
    }
    for (const struct ivrsm_text_fold *f = loc->text.folds; f && f->code_point; f++)
        ck_assert_msg(f->code_point >= 0x80 && strlen(f->to) <= 2, "%s: fold U+%04X", loc->tag,
                      (unsigned)f->code_point);
}
END_TEST

/* Adds the phrases of a NULL-terminated list to v[0..*n) (up to cap). */
static void gather(const char **v, size_t *n, size_t cap, const char *const *list)
{
    for (; list && *list && *n < cap; list++)
        v[(*n)++] = *list;
}

/*
 * ivrsm_words_match() turns most phrases away on their first byte before
 * comparing: on sentences made of the locale's own phrases (and some that
 * are not), at every word, for every phrase of the locale and a few odd
 * ones, its answer must be the whole comparison's.
 */
START_TEST(test_words_match_first_byte)
{
    const struct ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    enum { CAP = 1024 };
    static const char *v[CAP];
    size_t n = 0;
    for (const struct ivrsm_number_word *w = loc->numbers; w->text && n < CAP; w++)
        v[n++] = w->text;
    const struct ivrsm_phrase_value *values[] = {
        loc->repeat_words,  loc->weekdays,           loc->months,
        loc->relative_days, loc->past_relative_days, loc->day_ordinals};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        for (const struct ivrsm_phrase_value *p = values[i]; p && p->text && n < CAP; p++)
            v[n++] = p->text;
    const char *const *lists[] = {
        loc->number_joiners, loc->plus_words,        loc->digit_fillers,      loc->next_words,
        loc->next_week,      loc->after_next_words,  loc->week_after_words,   loc->this_weekend,
        loc->this_month,     loc->this_week,         loc->next_month,         loc->in_words,
        loc->from_now_words, loc->one_words,         loc->day_units,          loc->week_units,
        loc->asap,           loc->date_lead_fillers, loc->date_trail_fillers, loc->negative_answers,
        loc->answer_fillers};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        gather(v, &n, CAP, lists[i]);
    static const char *const odd[] = {"", " ", " un", "x", "zz top", "12", "3/12", NULL};
    const size_t table = n;
    gather(v, &n, CAP, odd);
    uint32_t seed = 2024u + (uint32_t)_i;
    for (int round = 0; round < 60; round++) {
        char said[512];
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        int pieces = 1 + (int)((seed >> 16) % 6);
        for (int k = 0; k < pieces; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *piece = round % 5 == 0 && k == 0 ? "3/12" : v[(seed >> 16) % table];
            size_t m = strlen(piece);
            if (len + m + 2 > sizeof said)
                break;
            memcpy(said + len, piece, m);
            len += m;
            said[len++] = ' ';
        }
        static struct ivrsm_words w;
        ck_assert_int_eq(ivrsm_words_split(&w, loc, said, len, round % 2), 0);
        for (size_t at = 0; at <= w.count; at++)
            for (size_t p = 0; p < n; p++)
                ck_assert_msg(
                    ivrsm_words_match(&w, at, v[p]) == ivrsm_words_match_full(&w, at, v[p]),
                    "%s: \"%s\" at word %zu of \"%.*s\"", loc->tag, v[p], at, (int)len, said);
    }
}
END_TEST

/* Every reading ivrsm_words_digits() offers, written one after another into a log. */
struct offered {
    char log[8192];
    size_t len;
};

static int log_reading(const char *digits, size_t len, uint64_t pair_ends, void *ctx)
{
    struct offered *o = ctx;
    int n = snprintf(o->log + o->len, sizeof o->log - o->len, "%.*s/%llx ", (int)len, digits,
                     (unsigned long long)pair_ends);
    if (n > 0 && (size_t)n < sizeof o->log - o->len)
        o->len += (size_t)n;
    return IVRSM_DIGITS_REJECT; /* all of them, up to the search's bound */
}

/*
 * Numbers said are read through the table's first-byte index as through a scan of the whole
 * table: the same number at every word, the same digit strings offered in the same order, for
 * sentences made of each locale's number words and others.
 */
START_TEST(test_number_index_as_full_scan)
{
    const struct ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    struct ivrsm_locale plain = *loc;
    plain.numbers_index = NULL; /* every entry tried, as before the index */
    enum { CAP = 512 };
    static const char *v[CAP];
    size_t n = 0;
    for (const struct ivrsm_number_word *e = loc->numbers; e->text && n < CAP; e++)
        v[n++] = e->text;
    static const char *const others[] = {"12",   "x",  "et",  "and",  "und",     "y", "double",
                                         "zero", "oh", "euh", "cent", "hundred", NULL};
    gather(v, &n, CAP, others);
    gather(v, &n, CAP, loc->number_joiners);
    gather(v, &n, CAP, loc->digit_fillers);
    uint32_t seed = 77u + (uint32_t)_i;
    for (int round = 0; round < 400; round++) {
        char said[512];
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        int pieces = 1 + (int)((seed >> 16) % 7);
        for (int k = 0; k < pieces; k++) {
            seed = seed * 1103515245u + 12345u;
            const char *piece = v[(seed >> 16) % n];
            size_t m = strlen(piece);
            if (len + m + 2 > sizeof said)
                break;
            memcpy(said + len, piece, m);
            len += m;
            said[len++] = ' ';
        }
        static struct ivrsm_words w;
        ck_assert_int_eq(ivrsm_words_split(&w, loc, said, len, 1), 0);
        for (size_t at = 0; at <= w.count; at++) {
            int a = -1, b = -1;
            size_t ka = ivrsm_number_words(loc, &w, at, &a),
                   kb = ivrsm_number_words(&plain, &w, at, &b);
            ck_assert_msg(ka == kb && (ka == 0 || a == b),
                          "%s: \"%.*s\" at word %zu: %zu/%d, %zu/%d", loc->tag, (int)len, said, at,
                          ka, a, kb, b);
            static struct offered x, y;
            char scratch[64];
            x.len = y.len = 0;
            x.log[0] = y.log[0] = '\0';
            int rx = ivrsm_words_digits(loc, &w, at, scratch, sizeof scratch, log_reading, &x);
            int ry = ivrsm_words_digits(&plain, &w, at, scratch, sizeof scratch, log_reading, &y);
            ck_assert_int_eq(rx, ry);
            ck_assert_msg(!strcmp(x.log, y.log), "%s: \"%.*s\" at word %zu: %s / %s", loc->tag,
                          (int)len, said, at, x.log, y.log);
        }
    }
    /* The builtin tables are indexed (none starts with a space or is too long). */
    ck_assert_int_eq(atomic_load(&loc->numbers_index->phase), 2);
}
END_TEST

/* The phrases of list `list` of loc, one by one (NULL past the last), as the parsers read them. */
static const char *list_phrase(const struct ivrsm_locale *loc, enum ivrsm_list_id list, size_t i)
{
    switch (list) {
#define PHRASES(field)                                                                             \
    case IVRSM_LIST_##field:                                                                       \
        return loc->field ? loc->field[i] : NULL;
#define VALUES(field)                                                                              \
    case IVRSM_LIST_##field:                                                                       \
        return loc->field ? loc->field[i].text : NULL;
        IVRSM_LOCALE_PHRASE_LISTS(PHRASES)
        IVRSM_LOCALE_VALUE_LISTS(VALUES)
#undef PHRASES
#undef VALUES
    default:
        return NULL;
    }
}

/* A value list's entry i, for the reference of ivrsm_words_match_value(). */
static int list_value(const struct ivrsm_locale *loc, enum ivrsm_list_id list, size_t i)
{
    switch (list) {
#define VALUES(field)                                                                              \
    case IVRSM_LIST_##field:                                                                       \
        return loc->field[i].value;
        IVRSM_LOCALE_VALUE_LISTS(VALUES)
#undef VALUES
    default:
        return -1;
    }
}

/* Fills v with every phrase of the locale (its lists, its numbers) and a few odd words. */
static size_t every_phrase(const struct ivrsm_locale *loc, const char **v, size_t cap)
{
    size_t n = 0;
    for (int list = 0; list < IVRSM_LIST_COUNT; list++)
        for (size_t i = 0; list_phrase(loc, (enum ivrsm_list_id)list, i) && n < cap; i++)
            v[n++] = list_phrase(loc, (enum ivrsm_list_id)list, i);
    for (const struct ivrsm_number_word *e = loc->numbers; e->text && n < cap; e++)
        v[n++] = e->text;
    static const char *const odd[] = {"x",   "zz top", "12", "3/12", "0612345678", "1er",
                                      "3rd", "double", "oh", "#",    "+",          NULL};
    gather(v, &n, cap, odd);
    return n;
}

/* A sentence of 1 to `most` phrases of v[0..n) drawn by *seed, into said; returns its length. */
static size_t draw_sentence(const char **v, size_t n, int most, uint32_t *seed, char *said,
                            size_t cap)
{
    size_t len = 0;
    *seed = *seed * 1103515245u + 12345u;
    int pieces = 1 + (int)((*seed >> 16) % (unsigned)most);
    for (int k = 0; k < pieces; k++) {
        *seed = *seed * 1103515245u + 12345u;
        const char *piece = v[(*seed >> 16) % n];
        size_t m = strlen(piece);
        if (len + m + 2 > cap)
            break;
        memcpy(said + len, piece, m);
        len += m;
        said[len++] = ' ';
    }
    return len;
}

/*
 * Every list looked up through the locale's index of its lists answers as the whole scan of
 * the list (ivrsm_words_match_any(), the longest phrase, the first of equals), and as a copy of
 * the locale without the index: at every word of sentences made of the locale's phrases.
 */
START_TEST(test_list_index_as_scan)
{
    const struct ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    struct ivrsm_locale plain = *loc;
    plain.lists_index = NULL;
    enum { CAP = 1024 };
    static const char *v[CAP];
    const size_t n = every_phrase(loc, v, CAP);
    uint32_t seed = 4242u + (uint32_t)_i;
    for (int round = 0; round < 40; round++) {
        char said[512];
        size_t len = draw_sentence(v, n, 5, &seed, said, sizeof said);
        static struct ivrsm_words w;
        ck_assert_int_eq(ivrsm_words_split(&w, loc, said, len, round % 2), 0);
        for (size_t at = 0; at <= w.count + 1; at++) {
            for (int l = 0; l < IVRSM_LIST_COUNT; l++) {
                const enum ivrsm_list_id list = (enum ivrsm_list_id)l;
                /* The reference: every phrase compared whole, in list order. */
                size_t best = 0;
                int best_value = -7;
                for (size_t i = 0; list_phrase(loc, list, i); i++) {
                    size_t k = ivrsm_words_match_full(&w, at, list_phrase(loc, list, i));
                    if (k > best) {
                        best = k;
                        best_value = list_value(loc, list, i);
                    }
                }
                size_t skip = at;
                for (size_t k;
                     skip < w.count && (k = ivrsm_words_match_list(&w, skip, &plain, list));)
                    skip += k;
                ck_assert_msg(ivrsm_words_match_list(&w, at, loc, list) == best &&
                                  ivrsm_words_match_list(&w, at, &plain, list) == best,
                              "%s: list %d at word %zu of \"%.*s\"", loc->tag, l, at, (int)len,
                              said);
                ck_assert_uint_eq(ivrsm_words_skip_list(&w, at, loc, list), skip);
                if (l >= IVRSM_LIST_weekdays) {
                    int a = -7, b = -7;
                    ck_assert_uint_eq(ivrsm_words_match_value(&w, at, loc, list, &a), best);
                    ck_assert_uint_eq(ivrsm_words_match_value(&w, at, &plain, list, &b), best);
                    ck_assert_int_eq(a, best_value);
                    ck_assert_int_eq(b, best_value);
                }
            }
        }
    }
    /* The builtin tables are indexed whole: no list left to a scan. */
    ck_assert_int_eq(atomic_load(&loc->lists_index->phase), 2);
    for (int l = 0; l < IVRSM_LIST_COUNT; l++)
        ck_assert_msg(!loc->lists_index->whole[l], "%s: list %d not indexed", loc->tag, l);
}
END_TEST

/* A list the index cannot hold (a phrase that starts with a space) is scanned whole. */
START_TEST(test_list_index_leaves_odd_lists_to_scans)
{
    static const char *const spaced[] = {"euh", " un", "deux", NULL};
    static ivrsm_list_index fresh;
    struct ivrsm_locale odd = ivrsm_locale_fr_fr;
    odd.digit_fillers = spaced;
    odd.lists_index = &fresh;
    static struct ivrsm_words w;
    ck_assert_int_eq(ivrsm_words_split(&w, &odd, "un deux euh", 11, 0), 0);
    for (size_t at = 0; at <= w.count; at++)
        ck_assert_uint_eq(ivrsm_words_match_list(&w, at, &odd, IVRSM_LIST_digit_fillers),
                          ivrsm_words_match_any(&w, at, spaced, NULL));
    ck_assert_int_eq(fresh.whole[IVRSM_LIST_digit_fillers], 1);
    ck_assert_int_eq(fresh.whole[IVRSM_LIST_asap], 0);
    ck_assert_uint_eq(ivrsm_words_match_list(&w, 0, &odd, IVRSM_LIST_digit_fillers), 0);
    ck_assert_uint_eq(ivrsm_words_match_list(&w, 1, &odd, IVRSM_LIST_digit_fillers), 1);
}
END_TEST

/* Appends `count` bytes drawn by *seed (any byte but NUL: invalid UTF-8 too) to said. */
static size_t add_noise(char *said, size_t len, size_t cap, size_t count, uint32_t *seed)
{
    for (size_t k = 0; k < count && len + 1 < cap; k++) {
        *seed = *seed * 1103515245u + 12345u;
        char c = (char)(1 + (*seed >> 16) % 255);
        said[len++] = c;
    }
    return len;
}

/*
 * The parsers read the same values through the indexes of the lists and of the numbers as
 * through whole scans (a copy of the locale without either): every mode, said and keyed, on
 * sentences of the locale's phrases, some with bytes of noise (invalid UTF-8 among them),
 * some long, one past the parsers' input bound.
 */
START_TEST(test_parsers_as_without_indexes)
{
    const struct ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    struct ivrsm_locale plain = *loc;
    plain.lists_index = NULL;
    plain.numbers_index = NULL;
    ivrsm_tz *tz = ivrsm_tz_new("Europe/Paris", ivrsm_mem_default());
    ck_assert_ptr_nonnull(tz);
    enum { CAP = 1024 };
    static const char *v[CAP];
    const size_t n = every_phrase(loc, v, CAP);
    static const ivrsm_collect_mode modes[] = {IVRSM_COLLECT_PHONE, IVRSM_COLLECT_OTP,
                                               IVRSM_COLLECT_DATE_NL, IVRSM_COLLECT_DIGITS,
                                               IVRSM_COLLECT_FREE_SPEECH_OR_NO};
    static char said[IVRSM_COLLECT_INPUT_MAX + 512];
    static ivrsm_collect_value a, b;
    uint32_t seed = 99u + (uint32_t)_i;
    for (int round = 0; round < 60; round++) {
        size_t len;
        if (round % 20 == 19) { /* long: up to the bound and past it */
            len = 0;
            const size_t target =
                round % 40 == 39 ? IVRSM_COLLECT_INPUT_MAX + 16 : IVRSM_COLLECT_INPUT_MAX - 64;
            while (len < target)
                len += draw_sentence(v, n, 8, &seed, said + len, sizeof said - len);
        } else {
            len = draw_sentence(v, n, 6, &seed, said, sizeof said);
            if (round % 4 == 3)
                len = add_noise(said, len, sizeof said, 1 + round % 5, &seed);
        }
        for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
            ivrsm_collect_params pa = {0};
            pa.tz = tz;
            pa.now_ms = 1795597200000LL + (int64_t)round * 86400000LL;
            pa.otp_length = 4 + round % 4;
            ivrsm_collect_params pb = pa;
            pa.locale = loc;
            pb.locale = &plain;
            for (int dtmf = 0; dtmf < 2; dtmf++) {
                int ra = ivrsm_collect_parse(modes[m], &pa, said, len, dtmf, &a);
                int rb = ivrsm_collect_parse(modes[m], &pb, said, len, dtmf, &b);
                ck_assert_msg(ra == rb && !strcmp(a.text, b.text) &&
                                  !strcmp(a.date_to, b.date_to) && a.said_no == b.said_no,
                              "%s, %s: \"%.*s\": %d \"%s\" / %d \"%s\"", loc->tag,
                              ivrsm_collect_mode_name(modes[m]), (int)len, said, ra, a.text, rb,
                              b.text);
            }
        }
    }
    ivrsm_tz_free(tz);
}
END_TEST

/*
 * Normalising with the first bytes of words noted in the same pass gives the text the
 * normalisation alone gives, and a set holding every word start ivrsm_text_word_starts() finds
 * in it (exactly those without rewrites): sentences of the locale's phrases in mixed case,
 * with accented letters of all of U+00C0..U+00FF, English contractions, bytes of noise (invalid
 * UTF-8 among them), long ones, and outputs too small.
 */
START_TEST(test_normalize_starts_as_two_passes)
{
    const struct ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    enum { CAP = 1024 };
    static const char *v[CAP + 4];
    size_t n = every_phrase(loc, v, CAP);
    static const char *const extra[] = {
        "I'd", "DON'T", "let's", "Y'all", "l'\xc3\x89quipe", "pla\xc3\xaet", "\xc3\x9f\xc3\xa6",
        NULL};
    gather(v, &n, CAP + 4, extra);
    static char said[8192], a[16384], b[16384];
    uint32_t seed = 7u + (uint32_t)_i;
    for (int round = 0; round < 150; round++) {
        size_t len = draw_sentence(v, n, round % 100 == 0 ? 400 : 6, &seed, said, sizeof said);
        for (size_t k = 0; k < len; k++) { /* capitals and accented letters here and there */
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % 16;
            if (r == 0 && said[k] >= 'a' && said[k] <= 'z')
                said[k] = (char)(said[k] - 32);
            else if (r == 1 && k + 2 < len && said[k + 1] == ' ') {
                said[k] = (char)0xC3;
                said[k + 1] = (char)(0x80 + (seed >> 8) % 64);
            }
        }
        if (round % 3 == 2)
            len = add_noise(said, len, sizeof said, 1 + round % 4, &seed);
        size_t cap = round % 7 == 6 ? 1 + len / 2 : sizeof a;
        ivrsm_word_starts starts, found;
        int na = ivrsm_text_normalize_starts(&loc->text, said, len, a, cap, &starts);
        int nb = ivrsm_text_normalize_rules(&loc->text, said, len, b, cap);
        ck_assert_int_eq(na, nb);
        if (na < 0)
            continue;
        ck_assert(memcmp(a, b, (size_t)na + 1) == 0);
        ivrsm_text_word_starts(b, (size_t)nb, &found);
        for (int c = 0; c < 256; c++) {
            int has = ivrsm_word_starts_has(&starts, (unsigned char)c),
                want = ivrsm_word_starts_has(&found, (unsigned char)c);
            ck_assert_msg(has >= want && (loc->text.rewrites || has == want),
                          "%s: byte %d in \"%s\"", loc->tag, c, b);
        }
        /* The keys of its words: every one the output has, and no other without rewrites. */
        for (unsigned k = 0; k < 256; k++) {
            int has = (int)(starts.keys.bits[k >> 6] >> (k & 63) & 1),
                want = (int)(found.keys.bits[k >> 6] >> (k & 63) & 1);
            ck_assert_msg(has >= want && (loc->text.rewrites || has == want),
                          "%s: key %u in \"%s\"", loc->tag, k, b);
        }
    }
}
END_TEST

/* What U+00C0..U+00FF become (text.h), kept here as the reference of the fast path. */
static const char *const latin1_reference[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "ð", "n", "o", "o", "o", "o", "o",  "",  "ø", "u", "u", "u", "u", "y", "þ", "ß",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "ð", "n", "o", "o", "o", "o", "o",  "",  "ø", "u", "u", "u", "u", "y", "þ", "y",
};

/* Each of U+00C0..U+00FF inside a word folds as the reference (or the locale's own fold). */
START_TEST(test_latin1_folds_as_reference)
{
    const struct ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    for (unsigned k = 0; k < 64; k++) {
        const char *fold = latin1_reference[k];
        for (const struct ivrsm_text_fold *f = loc->text.folds; f && f->code_point; f++)
            if (f->code_point == 0xC0 + k)
                fold = f->to;
        const char said[] = {'x', (char)0xC3, (char)(0x80 + k), 'y', '\0'};
        char want[16], out[16];
        snprintf(want, sizeof want, *fold ? "x%sy" : "x y", fold);
        int n = ivrsm_text_normalize_rules(&loc->text, said, 4, out, sizeof out);
        ck_assert_msg(n == (int)strlen(want) && strcmp(out, want) == 0, "%s: U+%04X: \"%s\"",
                      loc->tag, 0xC0 + k, out);
        /* Cut after the lead byte: not UTF-8. */
        ck_assert_int_eq(ivrsm_text_normalize_rules(&loc->text, said, 2, out, sizeof out), -1);
    }
}
END_TEST

/* A callback that takes, rejects or keeps as a fallback by the reading's length and digits,
 * logging what it is offered as log_reading() does. */
struct verdicts {
    struct offered log;
    size_t take_len;     /* a reading this long is taken (0: none) */
    size_t fallback_len; /* one this long is a fallback (0: none) */
};

static int judge_reading(const char *digits, size_t len, uint64_t pair_ends, void *ctx)
{
    struct verdicts *v = ctx;
    log_reading(digits, len, pair_ends, &v->log);
    if (v->take_len && len == v->take_len && digits[len - 1] != '7')
        return IVRSM_DIGITS_TAKE;
    return v->fallback_len && len == v->fallback_len ? IVRSM_DIGITS_FALLBACK : IVRSM_DIGITS_REJECT;
}

/*
 * The digit search that keeps what it read at each position for the branches that come back
 * offers the same readings in the same order, and ends the same way, as the search reading
 * them again at every branch: sentences of number words, joiners, repeat words and fillers,
 * some of more words than it remembers, callbacks that take, reject or fall back.
 */
START_TEST(test_digits_memo_as_rereading)
{
    const struct ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    enum { CAP = 512 };
    static const char *v[CAP];
    size_t n = 0;
    for (const struct ivrsm_number_word *e = loc->numbers; e->text && n < CAP; e++)
        v[n++] = e->text;
    for (const struct ivrsm_phrase_value *p = loc->repeat_words; p && p->text && n < CAP; p++)
        v[n++] = p->text;
    static const char *const others[] = {"12", "7", "x", "0612", NULL};
    gather(v, &n, CAP, others);
    gather(v, &n, CAP, loc->number_joiners);
    gather(v, &n, CAP, loc->digit_fillers);
    uint32_t seed = 31u + (uint32_t)_i;
    for (int round = 0; round < 80; round++) {
        static char said[4096];
        size_t len = draw_sentence(v, n, round % 20 == 0 ? 90 : 9, &seed, said, sizeof said);
        static struct ivrsm_words w;
        ck_assert_int_eq(ivrsm_words_split(&w, loc, said, len, 0), 0);
        const size_t starts[] = {0, 1, w.count / 2};
        for (size_t k = 0; k < 3; k++) {
            static struct verdicts x, y;
            x.log.len = y.log.len = 0;
            x.log.log[0] = y.log.log[0] = '\0';
            x.take_len = y.take_len = (size_t)(round % 7);
            x.fallback_len = y.fallback_len = (size_t)(round % 5) + 2;
            char sx[64], sy[64];
            size_t cap = round % 3 ? sizeof sx : 8;
            int rx = ivrsm_words_digits(loc, &w, starts[k], sx, cap, judge_reading, &x);
            int ry = ivrsm_words_digits_reread(loc, &w, starts[k], sy, cap, judge_reading, &y);
            ck_assert_int_eq(rx, ry);
            ck_assert_msg(!strcmp(x.log.log, y.log.log), "%s: \"%.*s\" from %zu: %s / %s", loc->tag,
                          (int)len, said, starts[k], x.log.log, y.log.log);
            if (rx == 0)
                ck_assert_str_eq(sx, sy);
        }
    }
}
END_TEST

/*
 * The words of an input, noted by the normalisation as it writes them, are the words of its
 * normalised text cut at the spaces (the reference: normalise, then split): sentences of the
 * locale's phrases with English contractions, capitals, accents, noise (invalid UTF-8 among
 * it) and long ones. Numeric dates kept whole are words of their own, as written.
 */
START_TEST(test_split_as_normalised_text)
{
    const struct ivrsm_locale *loc = ivrsm_locale_at((size_t)_i);
    enum { CAP = 1024 };
    static const char *v[CAP + 8];
    size_t n = every_phrase(loc, v, CAP);
    static const char *const extra[] = {
        "I'd", "DON'T", "let's", "Y'all", "l'\xc3\x89quipe", "3/12/2027", "--", "\xc3\x97", NULL};
    gather(v, &n, CAP + 8, extra);
    static char said[IVRSM_COLLECT_INPUT_MAX + 512], norm[2 * sizeof said];
    static struct ivrsm_words w;
    uint32_t seed = 515u + (uint32_t)_i;
    for (int round = 0; round < 200; round++) {
        size_t len = draw_sentence(v, n, round % 100 == 0 ? 900 : 7, &seed, said, sizeof said);
        if (round % 4 == 3)
            len = add_noise(said, len, sizeof said, 1 + round % 3, &seed);
        const int dates = round % 2;
        int rc = ivrsm_words_split(&w, loc, said, len, dates);
        /* A language that glues its numbers has them cut apart first (year_glued). */
        static char unglued[2 * sizeof said];
        size_t ulen = loc->year_glued && len <= IVRSM_COLLECT_INPUT_MAX
                          ? ivrsm_date_unglue(loc, said, len, unglued, sizeof unglued)
                          : SIZE_MAX;
        const char *ref = ulen != SIZE_MAX ? unglued : said;
        int m = ivrsm_text_normalize_rules(&loc->text, ref, ulen != SIZE_MAX ? ulen : len, norm,
                                           sizeof norm);
        if (len > IVRSM_COLLECT_INPUT_MAX || m < 0) {
            ck_assert_int_eq(rc, -1);
            continue;
        }
        ck_assert_int_eq(rc, 0);
        for (size_t i = 0; i < w.count; i++) {
            const char *word = w.text + w.start[i];
            ck_assert_uint_gt(w.len[i], 0);
            ck_assert_uint_eq(strlen(word), w.len[i]);
            ck_assert_ptr_null(memchr(word, ' ', w.len[i]));
        }
        if (dates && memchr(said, '/', len))
            continue; /* numeric dates are not cut at their separators: the reference would */
        size_t k = 0, at = 0;
        while (at < (size_t)m) {
            size_t end = at;
            while (end < (size_t)m && norm[end] != ' ')
                end++;
            ck_assert_msg(k < w.count && w.len[k] == end - at &&
                              memcmp(w.text + w.start[k], norm + at, end - at) == 0,
                          "%s: word %zu of \"%s\"", loc->tag, k, norm);
            k++;
            at = end + 1;
        }
        ck_assert_uint_eq(k, w.count);
    }
}
END_TEST

/* ---------------------------------------------------------------------------
 * The registry
 * ------------------------------------------------------------------------- */

/*
 * A key said instead of pressed, in each shipped language: a number alone, with the words said
 * around a key, written in digits or said in words; never a number inside a sentence.
 */
START_TEST(test_key_said)
{
    static const struct {
        const char *tag, *said, *key; /* key NULL: not a key */
    } cases[] = {
        {"en-US", "2", "2"},
        {"en-US", "two", "2"},
        {"en-US", "option three", "3"},
        {"en-US", "press 5 please", "5"},
        {"en-US", "uh I'd like option one", "1"},
        {"en-US", "I have 2 appointments", NULL},
        {"en-US", "at five", NULL},
        {"en-US", "option", NULL},
        {"en-US", "two three", NULL},
        {"fr-FR", "deux", "2"},
        {"fr-FR", "touche 2", "2"},
        {"fr-FR", "euh la touche un s'il vous plaît", "1"},
        {"fr-FR", "je tape trois", "3"},
        {"fr-FR", "vingt-deux", "22"},
        {"fr-FR", "j'ai 2 rendez-vous", NULL},
        {"fr-FR", "un rendez-vous", NULL},
        {"de-DE", "zwei", "2"},
        {"de-DE", "Taste 2", "2"},
        {"de-DE", "ich drücke die Fünf", "5"},
        {"de-DE", "eins bitte", "1"},
        {"de-DE", "um zwei Uhr", NULL},
        {"es-ES", "dos", "2"},
        {"es-ES", "marco el 2", "2"},
        {"es-ES", "la opción tres por favor", "3"},
        {"es-ES", "uno", "1"},
        {"es-ES", "tengo dos citas", NULL},
        {"es-ES", "", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ivrsm_locale *loc = ivrsm_locale_find(cases[i].tag);
        ck_assert_ptr_nonnull(loc);
        char key[8] = "";
        int rc = ivrsm_locale_key_said(loc, cases[i].said, strlen(cases[i].said), key, sizeof key);
        if (cases[i].key)
            ck_assert_msg(rc == 0 && strcmp(key, cases[i].key) == 0, "%s \"%s\": key %s, got %s",
                          cases[i].tag, cases[i].said, cases[i].key, rc == 0 ? key : "none");
        else
            ck_assert_msg(rc != 0, "%s \"%s\": no key, got %s", cases[i].tag, cases[i].said, key);
    }
}
END_TEST

START_TEST(test_locale_registry)
{
    /* These first, in this order (fr-FR the default); a locale added comes after them. */
    static const char *const expected[] = {"fr-FR", "fr-BE", "fr-CH", "en-US",
                                           "en-GB", "es-ES", "de-DE"};
    size_t count = 0;
    while (ivrsm_locale_at(count))
        count++;
    ck_assert_uint_ge(count, sizeof expected / sizeof expected[0]);
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        ck_assert_str_eq(ivrsm_locale_tag(ivrsm_locale_at(i)), expected[i]);
    ck_assert_ptr_eq(ivrsm_locale_find("en"), ivrsm_locale_find("en-US"));
    ck_assert_ptr_eq(ivrsm_locale_find("EN_gb"), ivrsm_locale_find("en-GB"));
    ck_assert_ptr_eq(ivrsm_locale_find("es"), ivrsm_locale_find("es-ES"));
    ck_assert_ptr_eq(ivrsm_locale_find("de"), ivrsm_locale_find("de-DE"));
    ck_assert_str_eq(ivrsm_locale_name(ivrsm_locale_find("de-DE")), "German (Germany)");
    ck_assert_ptr_null(ivrsm_locale_tag(NULL));
    /* The registry's order; a locale added at its end changes nothing here. */
    char list[256], want[256] = "";
    for (size_t i = 0; ivrsm_locale_at(i); i++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s", i ? ", " : "",
                 ivrsm_locale_tag(ivrsm_locale_at(i)));
    ck_assert_str_eq(ivrsm_locale_list(list, sizeof list), want);
    ck_assert_str_eq(ivrsm_locale_list(list, 12), "fr-FR");
    ck_assert_str_eq(ivrsm_locale_list(list, 1), "");
}
END_TEST

START_TEST(test_locale_nearest)
{
    static const struct {
        const char *tag;
        const char *nearest; /* NULL: none */
    } cases[] = {
        {"en-AU", "en-US"},   {"en-IE", "en-US"},  {"fr-CA", "fr-FR"},   {"es-MX", "es-ES"},
        {"de-AT", "de-DE"},   {"de_CH", "de-DE"},  {"fr_FX", "fr-FR"},   {"en-GB", "en-GB"},
        {"EN-us", "en-US"},   {"de-DEE", "de-DE"}, {"e-US", "en-US"},    {"xx-YY", NULL},
        {"qq-QQ", NULL},      {"", NULL},          {"zh-Hans-CN", NULL}, {"english", "en-US"},
        {"Spanish", "es-ES"}, {"GERMAN", "de-DE"}, {"french", "fr-FR"},  {"englishman", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ivrsm_locale *near = ivrsm_locale_nearest(cases[i].tag);
        if (!cases[i].nearest)
            ck_assert_msg(near == NULL, "%s: %s", cases[i].tag, ivrsm_locale_tag(near));
        else
            ck_assert_msg(near && strcmp(ivrsm_locale_tag(near), cases[i].nearest) == 0,
                          "%s: %s, expected %s", cases[i].tag, near ? near->tag : "none",
                          cases[i].nearest);
    }
    ck_assert_ptr_null(ivrsm_locale_nearest(NULL));
}
END_TEST

/* The schema's enum (editors' completion and hover) lists exactly the built-in locales. */
START_TEST(test_schema_lists_every_locale)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/schema/ivrsm-machine.schema.json", source_root());
    json_error_t error;
    json_t *schema = json_load_file(path, 0, &error);
    ck_assert_msg(schema != NULL, "%s: %s", path, error.text);
    json_t *def = json_object_get(json_object_get(schema, "$defs"), "locale");
    json_t *tags = json_object_get(def, "enum");
    json_t *docs = json_object_get(def, "enumDescriptions");
    json_t *markdown = json_object_get(def, "markdownEnumDescriptions");
    size_t count = 0;
    while (ivrsm_locale_at(count))
        count++;
    ck_assert_msg(json_array_size(tags) == count, "the schema lists %zu locales, the library %zu",
                  json_array_size(tags), count);
    ck_assert_uint_eq(json_array_size(docs), count);
    ck_assert_uint_eq(json_array_size(markdown), count);
    for (size_t i = 0; i < count; i++) {
        const ivrsm_locale *loc = ivrsm_locale_at(i);
        ck_assert_str_eq(json_string_value(json_array_get(tags, i)), ivrsm_locale_tag(loc));
        /* "English (United States). Phone ...": the hover starts with the locale's name. */
        const char *doc = json_string_value(json_array_get(docs, i));
        const char *name = ivrsm_locale_name(loc);
        const char *paren = strchr(name, '(');
        ck_assert_msg(doc && strncmp(doc, name, (size_t)(paren - name)) == 0,
                      "%s: hover \"%s\" does not name %s", loc->tag, doc, name);
    }
    json_decref(schema);
}
END_TEST

static Suite *locales_suite(void)
{
    Suite *s = suite_create("locales");
    size_t count = 0;
    while (ivrsm_locale_at(count))
        count++;
    TCase *tc = tcase_create("cases");
    tcase_add_loop_test(tc, test_locale_cases, 0, (int)count);
    suite_add_tcase(s, tc);
    tc = tcase_create("tables");
    tcase_add_loop_test(tc, test_locale_tables, 0, (int)count);
    tcase_add_loop_test(tc, test_words_match_first_byte, 0, (int)count);
    tcase_add_loop_test(tc, test_number_index_as_full_scan, 0, (int)count);
    tcase_add_loop_test(tc, test_list_index_as_scan, 0, (int)count);
    tcase_add_test(tc, test_list_index_leaves_odd_lists_to_scans);
    tcase_add_loop_test(tc, test_parsers_as_without_indexes, 0, (int)count);
    tcase_add_loop_test(tc, test_normalize_starts_as_two_passes, 0, (int)count);
    tcase_add_loop_test(tc, test_latin1_folds_as_reference, 0, (int)count);
    tcase_add_loop_test(tc, test_digits_memo_as_rereading, 0, (int)count);
    tcase_add_loop_test(tc, test_split_as_normalised_text, 0, (int)count);
    tcase_add_test(tc, test_key_said);
    tcase_add_test(tc, test_locale_registry);
    tcase_add_test(tc, test_locale_nearest);
    tcase_add_test(tc, test_schema_lists_every_locale);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(locales_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
