/*
 * globals.hours: when the business is open, read by {{now.open}}.
 *
 *   hours:
 *     open:
 *       mon-fri: "08:30-12:30, 13:30-18:00"   # days: a day, a range, a list
 *       sat: "09:00-12:00"
 *     closed_dates: ["2026-12-25", "01-01"]  # a date, or MM-DD every year
 *
 * Days are mon, tue, wed, thu, fri, sat, sun; a range "fri-mon" wraps the
 * week. Times are HH:MM, 24:00 allowed as an end; a range ends after it
 * starts (a night that passes midnight is written as two ranges).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "compile.h"

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int day_index(const char *s, size_t n)
{
    for (int i = 0; i < 7; i++)
        if (n == 3 && !strncmp(s, day_names[i], 3))
            return i;
    return -1;
}

/* "mon-fri", "sat", "mon,wed,fri", "sat-sun": the days it names, as bits. Returns 0 when bad. */
static unsigned parse_days(const char *key)
{
    unsigned days = 0;
    for (const char *p = key; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, ",- ");
        int a = day_index(p, n), b = a;
        p += n;
        while (*p == ' ')
            p++;
        if (*p == '-') {
            p++;
            while (*p == ' ')
                p++;
            n = strcspn(p, ", ");
            b = day_index(p, n);
            p += n;
        }
        if (a < 0 || b < 0)
            return 0;
        for (int d = a;; d = (d + 1) % 7) {
            days |= 1u << d;
            if (d == b)
                break;
        }
    }
    return days;
}

/* "08:30" → 510; 24:00 only as an end. -1 when bad. */
static int parse_clock(const char *s, size_t n, bool end)
{
    if (n != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + s[1] - '0', m = (s[3] - '0') * 10 + s[4] - '0';
    if (m > 59 || h > 24 || (h == 24 && (m || !end)))
        return -1;
    return h * 60 + m;
}

/* "08:30-12:30, 13:30-18:00" appended to out; false when bad (why says how). */
static bool parse_ranges(const char *text, m_time_range *out, size_t cap, size_t *count,
                         const char **why)
{
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, ",");
        while (n && p[n - 1] == ' ')
            n--;
        const char *dash = memchr(p, '-', n);
        int from = dash ? parse_clock(p, (size_t)(dash - p), false) : -1;
        int to = dash ? parse_clock(dash + 1, n - (size_t)(dash + 1 - p), true) : -1;
        if (from < 0 || to < 0) {
            *why = "expected HH:MM-HH:MM ranges, separated by commas (\"08:30-12:30, "
                   "13:30-18:00\")";
            return false;
        }
        if (to <= from) {
            *why = "a range ends after it starts (write a night that passes midnight as two "
                   "ranges, \"22:00-24:00\" and \"00:00-06:00\" of the next day)";
            return false;
        }
        if (*count == cap) {
            *why = "too many ranges";
            return false;
        }
        out[(*count)++] = (m_time_range){(uint16_t)from, (uint16_t)to};
        p += strcspn(p, ",");
    }
    return true;
}

static int range_cmp(const void *a, const void *b)
{
    const m_time_range *x = a, *y = b;
    return (x->from > y->from) - (x->from < y->from);
}

#define MAX_RANGES 32

static void compile_open(cc *c, m_hours *h, const dom_node *open)
{
    size_t mark = ivrsm_cc_push_key(c, "open");
    if (!ivrsm_cc_expect(c, open, DOM_MAP, "a map of days (\"mon-fri\") → \"HH:MM-HH:MM\"")) {
        ivrsm_cc_pop(c, mark);
        return;
    }
    m_time_range per_day[7][MAX_RANGES];
    size_t counts[7] = {0};
    for (size_t i = 0; i < open->count; i++) {
        const dom_pair *p = &open->pairs[i];
        size_t m2 = ivrsm_cc_push_key(c, p->key);
        unsigned days = parse_days(p->key);
        if (!days) {
            ivrsm_cc_error(c, "invalid-value", p->line, p->column,
                           "hours: '%s' names no days (expected mon, tue, wed, thu, fri, sat, "
                           "sun, a range such as mon-fri, or a list such as mon,wed)",
                           p->key);
            ivrsm_cc_pop(c, m2);
            continue;
        }
        /* A string, or a list of strings. */
        const dom_node *v = p->value;
        size_t items = v->kind == DOM_LIST ? v->count : 1;
        for (size_t k = 0; k < items; k++) {
            const dom_node *item = v->kind == DOM_LIST ? v->items[k] : v;
            if (!ivrsm_cc_expect(c, item, DOM_STRING, "\"HH:MM-HH:MM\" ranges"))
                continue;
            for (int d = 0; d < 7; d++) {
                if (!(days & (1u << d)))
                    continue;
                const char *why = NULL;
                if (!parse_ranges(item->text, per_day[d], MAX_RANGES, &counts[d], &why)) {
                    ivrsm_cc_error(c, "invalid-value", item->line, item->column,
                                   "hours: \"%s\": %s", item->text, why);
                    break;
                }
            }
        }
        ivrsm_cc_pop(c, m2);
    }
    for (int d = 0; d < 7; d++) {
        if (!counts[d])
            continue;
        qsort(per_day[d], counts[d], sizeof(m_time_range), range_cmp);
        h->ranges[d] = ivrsm_arena_alloc(c->arena, counts[d] * sizeof(m_time_range));
        if (!h->ranges[d]) {
            ivrsm_cc_nomem(c);
            break;
        }
        memcpy(h->ranges[d], per_day[d], counts[d] * sizeof(m_time_range));
        h->range_count[d] = counts[d];
    }
    ivrsm_cc_pop(c, mark);
}

/* "2026-12-25" or "12-25": false when neither (a valid date). */
static bool parse_date(const char *s, int64_t *y, int *m, int *d)
{
    int n = 0;
    long yy = 0;
    if (strlen(s) == 10 && sscanf(s, "%4ld-%2d-%2d%n", &yy, m, d, &n) == 3 && n == 10)
        *y = yy;
    else if (strlen(s) == 5 && sscanf(s, "%2d-%2d%n", m, d, &n) == 2 && n == 5)
        *y = 0;
    else
        return false;
    if (*m < 1 || *m > 12 || *d < 1)
        return false;
    return *d <=
           (*y ? ivrsm_days_in_month(*y, *m) : (*m == 2 ? 29 : ivrsm_days_in_month(2001, *m)));
}

static void compile_closed(cc *c, m_hours *h, const dom_node *list)
{
    size_t mark = ivrsm_cc_push_key(c, "closed_dates");
    if (!ivrsm_cc_expect(c, list, DOM_LIST, "a list of dates (\"2026-12-25\", or \"12-25\")") ||
        !list->count) {
        ivrsm_cc_pop(c, mark);
        return;
    }
    h->closed_days = ivrsm_arena_alloc(c->arena, list->count * sizeof(int32_t));
    h->closed_yearly = ivrsm_arena_alloc(c->arena, list->count * sizeof(uint16_t));
    if (!h->closed_days || !h->closed_yearly) {
        ivrsm_cc_nomem(c);
        ivrsm_cc_pop(c, mark);
        return;
    }
    for (size_t i = 0; i < list->count; i++) {
        const dom_node *n = list->items[i];
        size_t m2 = ivrsm_cc_push_index(c, i);
        int64_t y;
        int m, d;
        if (ivrsm_cc_expect(c, n, DOM_STRING, "a date (\"2026-12-25\", or \"12-25\" every year)")) {
            if (!parse_date(n->text, &y, &m, &d))
                ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                               "closed_dates: \"%s\" is not a date (expected YYYY-MM-DD, or MM-DD "
                               "for every year)",
                               n->text);
            else if (y)
                h->closed_days[h->closed_day_count++] = (int32_t)ivrsm_days_from_civil(y, m, d);
            else
                h->closed_yearly[h->closed_yearly_count++] = (uint16_t)(m * 100 + d);
        }
        ivrsm_cc_pop(c, m2);
    }
    ivrsm_cc_pop(c, mark);
}

void ivrsm_cc_hours(cc *c)
{
    static const char *const keys[] = {"open", "closed_dates", NULL};
    const dom_node *n = ivrsm_dom_get(c->globals, "hours");
    if (!n)
        return;
    size_t mark = ivrsm_cc_push_key(c, "globals");
    ivrsm_cc_push_key(c, "hours");
    if (ivrsm_cc_expect(c, n, DOM_MAP, "a map with open (and closed_dates)")) {
        ivrsm_cc_check_keys(c, n, keys, "globals.hours");
        m_hours *h = ivrsm_arena_alloc(c->arena, sizeof(*h));
        if (!h) {
            ivrsm_cc_nomem(c);
        } else {
            memset(h, 0, sizeof(*h));
            const dom_node *open = ivrsm_dom_get(n, "open"),
                           *closed = ivrsm_dom_get(n, "closed_dates");
            if (open)
                compile_open(c, h, open);
            else
                ivrsm_cc_missing(c, n->line, n->column, "open", "globals.hours");
            if (closed)
                compile_closed(c, h, closed);
            c->m->hours = h;
        }
    }
    ivrsm_cc_pop(c, mark);
}
