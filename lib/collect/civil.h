/*
 * Calendar arithmetic on the proleptic Gregorian calendar (H. Hinnant's
 * algorithms), shared by the time zone rules and the date parser. Days are
 * counted from 1970-01-01 (day 0).
 */
#ifndef IVRSM_CIVIL_H
#define IVRSM_CIVIL_H

#include <stdint.h>

typedef struct ivrsm_civil {
    int64_t year;
    int month; /* 1..12 */
    int day;   /* 1..31 */
} ivrsm_civil;

/* a / b rounded towards minus infinity (b > 0). Inline, as the next: a date said asks a few. */
static inline int64_t ivrsm_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int ivrsm_is_leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1..12) of year y. */
int ivrsm_days_in_month(int64_t y, int m);
/* Days since 1970-01-01 of y-m-d. */
int64_t ivrsm_days_from_civil(int64_t y, int m, int d);
/* The date of a day counted from 1970-01-01. */
ivrsm_civil ivrsm_civil_from_days(int64_t days);

#endif
