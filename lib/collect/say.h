/*
 * Saying values in a locale's words: the formats of templates
 * ({{ctx.pref_date_from | date}}, {{resp.balance | money}}), read from the
 * locale's `say` table (locale_tables.h), so that a value is given to the
 * speech synthesiser as people of that language write it for reading aloud:
 * "jueves 3 de diciembre", "Thursday, December 3rd", "9:30 Uhr",
 * "12 euros con 50 céntimos", "0 6, 12, 34, 56, 78".
 */
#ifndef IVRSM_SAY_H
#define IVRSM_SAY_H

#include "buf.h"
#include "collect.h"

#include <stddef.h>

enum ivrsm_say_format {
    IVRSM_SAY_PLAIN = 0, /* no format: the value as templates render it */
    IVRSM_SAY_DATE,      /* "2026-12-03" (or a date-time): "jueves 3 de diciembre" */
    IVRSM_SAY_WEEKDAY,   /* a date, or 1 (Monday) to 7: "jueves" */
    IVRSM_SAY_TIME,      /* "14:30" (or a date-time): "14 h 30", "2:30 PM" */
    IVRSM_SAY_NUMBER,    /* 12.5: "12,5" */
    IVRSM_SAY_MONEY,     /* 12.5 in the currency's units: "12 euros con 50 céntimos" */
    IVRSM_SAY_CENTS,     /* 1250 in hundredths: the same */
    IVRSM_SAY_DIGITS,    /* "4821": "4 8 2 1", one character at a time */
    IVRSM_SAY_PHONE,     /* "+33612345678": "0 6, 12, 34, 56, 78" */
    IVRSM_SAY_YESNO,     /* true: "sí"; false, 0, "", null, missing: "no" */
    IVRSM_SAY_FORMAT_COUNT
};

/* The format named name[0, len) ("date"), or IVRSM_SAY_PLAIN when there is none. */
int ivrsm_say_format_find(const char *name, size_t len);
/* The name of a format ("date"); "" for IVRSM_SAY_PLAIN. */
const char *ivrsm_say_format_name(int format);
/* Every format's name, for messages: "date, weekday, time, ...". Static. */
const char *ivrsm_say_format_list(void);

/*
 * Appends text[0, len), a value as templates render it, said in `format` in
 * loc's words (NULL: the first built-in locale). `truthy`: whether the value
 * counts as true (for yesno). `today`: "YYYY-MM-DD", the call's date, so that
 * a date of this year is said without its year (NULL: years always said).
 * Returns 0 when appended, 1 when the text is not a value of the format (the
 * caller says it as it is), 2 when it is a number that cannot be said (NaN, an
 * infinity, an amount of a quadrillion or more: the caller says nothing rather
 * than "1e+308"), -1 when out of memory.
 */
int ivrsm_say(ivrsm_buf *out, int format, const char *text, size_t len, int truthy,
              const ivrsm_locale *loc, const char *today);

#endif
