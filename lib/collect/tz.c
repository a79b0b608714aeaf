/*
 * Time zones as POSIX TZ rules, computed without the C library's time zone
 * machinery (no TZ environment, no tzset, no localtime): the rules are parsed
 * once into an ivrsm_tz and offsets are pure arithmetic on it.
 *
 * Accepted: POSIX rule strings ("CET-1CEST,M3.5.0,M10.5.0/3", "UTC0",
 * "<+03>-3", "EST5EDT" with the US rules as default) including the RFC 8536
 * extension of transition times from -167 to 167 hours, and IANA names of
 * common zones through a built-in table of their current rules. Zones whose
 * rules are not a fixed yearly pattern (Africa/Casablanca, whose DST follows
 * Ramadan) are left out on purpose.
 */
#include "civil.h"
#include "tz.h"
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The current rules of common zones (tzdata 2024), as POSIX strings. */
struct iana_zone {
    const char *name;
    const char *rule;
};

#define RULE_CET "CET-1CEST,M3.5.0,M10.5.0/3"
#define RULE_EET "EET-2EEST,M3.5.0/3,M10.5.0/4"
#define RULE_UK "GMT0BST,M3.5.0/1,M10.5.0"
#define RULE_WET "WET0WEST,M3.5.0/1,M10.5.0"
#define RULE_US_EAST "EST5EDT,M3.2.0,M11.1.0"
#define RULE_US_CENTRAL "CST6CDT,M3.2.0,M11.1.0"
#define RULE_US_MOUNTAIN "MST7MDT,M3.2.0,M11.1.0"
#define RULE_US_PACIFIC "PST8PDT,M3.2.0,M11.1.0"
#define RULE_AU_EAST "AEST-10AEDT,M10.1.0,M4.1.0/3"

static const struct iana_zone iana_zones[] = {
    {"UTC", "UTC0"},
    {"Etc/UTC", "UTC0"},
    {"Etc/Universal", "UTC0"},
    {"Universal", "UTC0"},
    {"Zulu", "UTC0"},
    {"GMT", "GMT0"},
    {"Etc/GMT", "GMT0"},
    /* Europe */
    {"Europe/Paris", RULE_CET},
    {"Europe/Berlin", RULE_CET},
    {"Europe/Brussels", RULE_CET},
    {"Europe/Amsterdam", RULE_CET},
    {"Europe/Luxembourg", RULE_CET},
    {"Europe/Monaco", RULE_CET},
    {"Europe/Zurich", RULE_CET},
    {"Europe/Vaduz", RULE_CET},
    {"Europe/Madrid", RULE_CET},
    {"Europe/Andorra", RULE_CET},
    {"Europe/Gibraltar", RULE_CET},
    {"Europe/Rome", RULE_CET},
    {"Europe/Vatican", RULE_CET},
    {"Europe/San_Marino", RULE_CET},
    {"Europe/Malta", RULE_CET},
    {"Europe/Vienna", RULE_CET},
    {"Europe/Prague", RULE_CET},
    {"Europe/Bratislava", RULE_CET},
    {"Europe/Budapest", RULE_CET},
    {"Europe/Warsaw", RULE_CET},
    {"Europe/Copenhagen", RULE_CET},
    {"Europe/Stockholm", RULE_CET},
    {"Europe/Oslo", RULE_CET},
    {"Europe/Ljubljana", RULE_CET},
    {"Europe/Zagreb", RULE_CET},
    {"Europe/Sarajevo", RULE_CET},
    {"Europe/Belgrade", RULE_CET},
    {"Europe/Podgorica", RULE_CET},
    {"Europe/Skopje", RULE_CET},
    {"Europe/Tirane", RULE_CET},
    {"Arctic/Longyearbyen", RULE_CET},
    {"Europe/London", RULE_UK},
    {"Europe/Dublin", RULE_UK}, /* tzdata writes it with negative DST; the offsets are the same */
    {"Europe/Guernsey", RULE_UK},
    {"Europe/Jersey", RULE_UK},
    {"Europe/Isle_of_Man", RULE_UK},
    {"Europe/Lisbon", RULE_WET},
    {"Atlantic/Madeira", RULE_WET},
    {"Atlantic/Canary", RULE_WET},
    {"Atlantic/Faroe", RULE_WET},
    {"Atlantic/Azores", "<-01>1<+00>,M3.5.0/0,M10.5.0/1"},
    {"Atlantic/Reykjavik", "GMT0"},
    {"Europe/Athens", RULE_EET},
    {"Europe/Helsinki", RULE_EET},
    {"Europe/Mariehamn", RULE_EET},
    {"Europe/Tallinn", RULE_EET},
    {"Europe/Riga", RULE_EET},
    {"Europe/Vilnius", RULE_EET},
    {"Europe/Sofia", RULE_EET},
    {"Europe/Bucharest", RULE_EET},
    {"Europe/Kyiv", RULE_EET},
    {"Europe/Kiev", RULE_EET},
    {"Europe/Nicosia", RULE_EET},
    {"Asia/Nicosia", RULE_EET},
    {"Europe/Chisinau", "EET-2EEST,M3.5.0,M10.5.0/3"},
    {"Europe/Kaliningrad", "EET-2"},
    {"Europe/Istanbul", "<+03>-3"},
    {"Europe/Minsk", "<+03>-3"},
    {"Europe/Moscow", "MSK-3"},
    {"Europe/Samara", "<+04>-4"},
    /* Americas */
    {"America/New_York", RULE_US_EAST},
    {"America/Detroit", RULE_US_EAST},
    {"America/Toronto", RULE_US_EAST},
    {"America/Montreal", RULE_US_EAST},
    {"America/Chicago", RULE_US_CENTRAL},
    {"America/Winnipeg", RULE_US_CENTRAL},
    {"America/Denver", RULE_US_MOUNTAIN},
    {"America/Edmonton", RULE_US_MOUNTAIN},
    {"America/Phoenix", "MST7"},
    {"America/Los_Angeles", RULE_US_PACIFIC},
    {"America/Vancouver", RULE_US_PACIFIC},
    {"America/Anchorage", "AKST9AKDT,M3.2.0,M11.1.0"},
    {"America/Halifax", "AST4ADT,M3.2.0,M11.1.0"},
    {"America/St_Johns", "NST3:30NDT,M3.2.0,M11.1.0"},
    {"America/Mexico_City", "CST6"},
    {"America/Bogota", "<-05>5"},
    {"America/Lima", "<-05>5"},
    {"America/Sao_Paulo", "<-03>3"},
    {"America/Argentina/Buenos_Aires", "<-03>3"},
    {"America/Martinique", "AST4"},
    {"America/Guadeloupe", "AST4"},
    {"America/St_Barthelemy", "AST4"},
    {"America/Marigot", "AST4"},
    {"America/Cayenne", "<-03>3"},
    {"America/Miquelon", "<-03>3<-02>,M3.2.0,M11.1.0"},
    {"Pacific/Honolulu", "HST10"},
    /* Africa */
    {"Africa/Abidjan", "GMT0"},
    {"Africa/Dakar", "GMT0"},
    {"Africa/Algiers", "CET-1"},
    {"Africa/Tunis", "CET-1"},
    {"Africa/Lagos", "WAT-1"},
    {"Africa/Kinshasa", "WAT-1"},
    {"Africa/Douala", "WAT-1"},
    {"Africa/Johannesburg", "SAST-2"},
    {"Africa/Cairo", "EET-2EEST,M4.5.5/0,M10.5.4/24"},
    {"Africa/Nairobi", "EAT-3"},
    {"Indian/Reunion", "<+04>-4"},
    {"Indian/Mayotte", "EAT-3"},
    {"Indian/Mauritius", "<+04>-4"},
    /* Asia */
    {"Asia/Dubai", "<+04>-4"},
    {"Asia/Jerusalem", "IST-2IDT,M3.4.4/26,M10.5.0"},
    {"Asia/Beirut", "EET-2EEST,M3.5.0/0,M10.5.0/0"},
    {"Asia/Tehran", "<+0330>-3:30"},
    {"Asia/Karachi", "PKT-5"},
    {"Asia/Kolkata", "IST-5:30"},
    {"Asia/Kathmandu", "<+0545>-5:45"},
    {"Asia/Bangkok", "<+07>-7"},
    {"Asia/Jakarta", "WIB-7"},
    {"Asia/Singapore", "<+08>-8"},
    {"Asia/Shanghai", "CST-8"},
    {"Asia/Hong_Kong", "HKT-8"},
    {"Asia/Manila", "PST-8"},
    {"Asia/Seoul", "KST-9"},
    {"Asia/Tokyo", "JST-9"},
    /* Oceania */
    {"Australia/Perth", "AWST-8"},
    {"Australia/Darwin", "ACST-9:30"},
    {"Australia/Adelaide", "ACST-9:30ACDT,M10.1.0,M4.1.0/3"},
    {"Australia/Brisbane", "AEST-10"},
    {"Australia/Sydney", RULE_AU_EAST},
    {"Australia/Melbourne", RULE_AU_EAST},
    {"Australia/Hobart", RULE_AU_EAST},
    {"Pacific/Noumea", "<+11>-11"},
    {"Pacific/Auckland", "NZST-12NZDT,M9.5.0,M4.1.0/3"},
    {"Pacific/Wallis", "<+12>-12"},
    {"Pacific/Tahiti", "<-10>10"},
    {"Pacific/Marquesas", "<-0930>9:30"},
    {"Pacific/Gambier", "<-09>9"},
};

/* When a yearly transition happens: a date rule and a local time of day. */
enum rule_kind {
    RULE_JULIAN_NO_LEAP, /* Jn: day 1..365, February 29 never counted */
    RULE_JULIAN_ZERO,    /* n: day 0..365, February 29 counted in leap years */
    RULE_MONTH_WEEK_DAY  /* Mm.w.d: weekday d of week w (5 = last) of month m */
};

struct transition_rule {
    enum rule_kind kind;
    int day;   /* Jn / n */
    int month; /* Mm.w.d */
    int week;
    int weekday;  /* 0 = Sunday */
    int32_t time; /* seconds after local midnight, -167h..167h */
};

struct ivrsm_tz {
    int32_t std_offset; /* seconds east of UTC (the opposite sign of POSIX) */
    int32_t dst_offset;
    int has_dst;
    struct transition_rule start; /* into DST, in standard local time */
    struct transition_rule end;   /* back to standard, in DST local time */
    const ivrsm_mem *mem;
};

/* ---------------------------------------------------------------------------
 * Parsing POSIX rules
 * ------------------------------------------------------------------------- */

static int is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A zone abbreviation: 3+ letters, or <...> with letters, digits, + and -. */
static const char *parse_abbreviation(const char *p)
{
    const char *start = p;
    if (*p == '<') {
        p++;
        start = p;
        while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-')
            p++;
        if (*p != '>' || p - start < 3)
            return NULL;
        return p + 1;
    }
    while (is_alpha(*p))
        p++;
    return p - start >= 3 ? p : NULL;
}

/* An unsigned number of at most max_digits digits, at most max_value. */
static const char *parse_number(const char *p, int max_digits, int max_value, int *out)
{
    int v = 0;
    int digits = 0;
    while (is_digit(*p) && digits < max_digits) {
        v = v * 10 + (*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || is_digit(*p) || v > max_value)
        return NULL;
    *out = v;
    return p;
}

/* [+-]hh[:mm[:ss]] with hours up to max_hours; stores seconds. */
static const char *parse_signed_time(const char *p, int max_hours, int32_t *seconds)
{
    int sign = 1;
    if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    int h, m = 0, s = 0;
    p = parse_number(p, 3, max_hours, &h);
    if (!p)
        return NULL;
    if (*p == ':') {
        p = parse_number(p + 1, 2, 59, &m);
        if (!p)
            return NULL;
        if (*p == ':') {
            p = parse_number(p + 1, 2, 59, &s);
            if (!p)
                return NULL;
        }
    }
    *seconds = sign * (h * 3600 + m * 60 + s);
    return p;
}

/* ,Jn[/time] | ,n[/time] | ,Mm.w.d[/time]; the default time is 02:00. */
static const char *parse_rule(const char *p, struct transition_rule *r)
{
    if (*p != ',')
        return NULL;
    p++;
    memset(r, 0, sizeof *r);
    r->time = 2 * 3600;
    if (*p == 'J') {
        r->kind = RULE_JULIAN_NO_LEAP;
        p = parse_number(p + 1, 3, 365, &r->day);
        if (!p || r->day < 1)
            return NULL;
    } else if (*p == 'M') {
        r->kind = RULE_MONTH_WEEK_DAY;
        p = parse_number(p + 1, 2, 12, &r->month);
        if (!p || r->month < 1 || *p != '.')
            return NULL;
        p = parse_number(p + 1, 1, 5, &r->week);
        if (!p || r->week < 1 || *p != '.')
            return NULL;
        p = parse_number(p + 1, 1, 6, &r->weekday);
        if (!p)
            return NULL;
    } else {
        r->kind = RULE_JULIAN_ZERO;
        p = parse_number(p, 3, 365, &r->day);
        if (!p)
            return NULL;
    }
    if (*p == '/')
        p = parse_signed_time(p + 1, 167, &r->time);
    return p;
}

static int parse_posix(const char *p, struct ivrsm_tz *tz)
{
    int32_t posix_offset;
    p = parse_abbreviation(p);
    if (!p)
        return -1;
    p = parse_signed_time(p, 24, &posix_offset);
    if (!p)
        return -1;
    tz->std_offset = -posix_offset;
    tz->dst_offset = tz->std_offset;
    if (*p == '\0')
        return 0;
    p = parse_abbreviation(p);
    if (!p)
        return -1;
    tz->has_dst = 1;
    tz->dst_offset = tz->std_offset + 3600;
    if (*p != ',' && *p != '\0') {
        p = parse_signed_time(p, 24, &posix_offset);
        if (!p)
            return -1;
        tz->dst_offset = -posix_offset;
    }
    if (*p == '\0') /* no rules: POSIX leaves them to the implementation; glibc uses the US ones */
        p = ",M3.2.0,M11.1.0";
    p = parse_rule(p, &tz->start);
    if (!p)
        return -1;
    p = parse_rule(p, &tz->end);
    if (!p || *p != '\0')
        return -1;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Offsets
 * ------------------------------------------------------------------------- */

static int64_t year_of_days(int64_t days)
{
    return ivrsm_civil_from_days(days).year;
}

/* The day (days since the epoch) a rule names in year y. */
static int64_t rule_day(const struct transition_rule *r, int64_t y)
{
    switch (r->kind) {
    case RULE_JULIAN_NO_LEAP:
        /* Jn counts 1..365 and skips February 29: day 60 is always March 1. */
        return ivrsm_days_from_civil(y, 1, 1) + r->day - 1 +
               (ivrsm_is_leap_year(y) && r->day >= 60 ? 1 : 0);
    case RULE_JULIAN_ZERO:
        return ivrsm_days_from_civil(y, 1, 1) + r->day;
    case RULE_MONTH_WEEK_DAY:
    default: {
        const int64_t first = ivrsm_days_from_civil(y, r->month, 1);
        const int first_weekday = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
        int64_t day = first + (r->weekday - first_weekday + 7) % 7 + (int64_t)(r->week - 1) * 7;
        const int64_t after_month = first + ivrsm_days_in_month(y, r->month);
        while (day >= after_month) /* week 5 means the last one in the month */
            day -= 7;
        return day;
    }
    }
}

int ivrsm_tz_offset(const ivrsm_tz *tz, int64_t unix_seconds)
{
    if (!tz)
        return 0;
    if (!tz->has_dst)
        return tz->std_offset;
    /* Beyond +-3000 years the rules mean nothing; clamping keeps the arithmetic defined. */
    const int64_t limit = INT64_C(100000000000);
    if (unix_seconds > limit)
        unix_seconds = limit;
    else if (unix_seconds < -limit)
        unix_seconds = -limit;
    /* Both transitions of the local (standard time) year of the instant, in UTC. */
    const int64_t year = year_of_days(ivrsm_floor_div(unix_seconds + tz->std_offset, 86400));
    const int64_t start = rule_day(&tz->start, year) * 86400 + tz->start.time - tz->std_offset;
    const int64_t end = rule_day(&tz->end, year) * 86400 + tz->end.time - tz->dst_offset;
    int in_dst;
    if (start < end) /* northern hemisphere: DST inside the year */
        in_dst = unix_seconds >= start && unix_seconds < end;
    else /* southern: DST across the new year */
        in_dst = !(unix_seconds >= end && unix_seconds < start);
    return in_dst ? tz->dst_offset : tz->std_offset;
}

/* ---------------------------------------------------------------------------
 * Construction
 * ------------------------------------------------------------------------- */

static const char *iana_rule(const char *name)
{
    for (size_t i = 0; i < sizeof iana_zones / sizeof iana_zones[0]; i++) {
        if (strcmp(iana_zones[i].name, name) == 0)
            return iana_zones[i].rule;
    }
    return NULL;
}

/* The rules of a zone's name into *tz; 0, or -1 when the name is no zone. */
static int parse_name(const char *name, ivrsm_tz *tz)
{
    if (!name || !*name || strlen(name) > 256)
        return -1;
    if (name[0] == ':') /* ":Europe/Paris", as the TZ variable allows */
        name++;
    const char *rule = iana_rule(name);
    memset(tz, 0, sizeof(*tz));
    return parse_posix(rule ? rule : name, tz);
}

bool ivrsm_tz_known(const char *name)
{
    ivrsm_tz tz;
    return parse_name(name, &tz) == 0;
}

ivrsm_tz *ivrsm_tz_new(const char *name, const ivrsm_mem *mem)
{
    ivrsm_tz parsed;
    if (parse_name(name, &parsed) != 0)
        return NULL;
    ivrsm_tz *tz = ivrsm_mem_malloc(mem, sizeof *tz);
    if (!tz)
        return NULL;
    *tz = parsed;
    tz->mem = mem;
    return tz;
}

void ivrsm_tz_free(ivrsm_tz *tz)
{
    if (tz)
        ivrsm_mem_free(tz->mem, tz);
}
