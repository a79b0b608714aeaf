/*
 * Collect mode "date_past": dates gone by (a date of birth), keyed or said,
 * in every language; every day from 1900 to today against a plain
 * calendar; impossible dates, dates to come, dates too far back and bad
 * bytes refused.
 */
#include "collect.h"
#include "date_parts.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-11-25T10:00:00+01:00, a Wednesday, in Europe/Paris: "today" of every test. */
#define NOW_2026_11_25 1795597200000LL
#define TODAY_Y 2026
#define TODAY_M 11
#define TODAY_D 25

static ivrsm_tz *paris;

static void setup(void)
{
    paris = ivrsm_tz_new("Europe/Paris", ivrsm_mem_default());
    ck_assert_ptr_nonnull(paris);
}

static void teardown(void)
{
    ivrsm_tz_free(paris);
}

static ivrsm_collect_params params(const char *tag, int years)
{
    ivrsm_collect_params p;
    memset(&p, 0, sizeof p);
    p.locale = ivrsm_locale_find(tag);
    ck_assert_ptr_nonnull(p.locale);
    p.tz = paris;
    p.now_ms = NOW_2026_11_25;
    p.past_years = years;
    return p;
}

/* The date the input gives ("" when it is no date), for the messages. */
static int parse(const ivrsm_collect_params *p, const char *in, int is_dtmf, char *date)
{
    ivrsm_collect_value v;
    memset(&v, 0x5A, sizeof v);
    int rc = ivrsm_collect_parse(IVRSM_COLLECT_DATE_PAST, p, in, strlen(in), is_dtmf, &v);
    ck_assert_int_ge(rc, 0);
    if (rc == 0) {
        ck_assert_str_eq(v.text, v.date_to);
        snprintf(date, 16, "%.10s", v.text);
    } else {
        ck_assert_str_eq(v.text, "");
        date[0] = '\0';
    }
    return rc;
}

/* ---------------------------------------------------------------------------
 * What callers say, by language
 * ------------------------------------------------------------------------- */

struct said {
    const char *tag;
    const char *in;   /* a leading 'K' marks keys */
    const char *date; /* NULL: no date */
};

static const struct said said_cases[] = {
    {"fr-FR", "le 3 mars 1985", "1985-03-03"},
    {"fr-FR", "trois mars quatre-vingt-cinq", "1985-03-03"},
    {"fr-FR", "le trois mars mille neuf cent quatre-vingt-cinq", "1985-03-03"},
    {"fr-FR", "le 3 mars dix-neuf cent quatre-vingt-cinq", "1985-03-03"},
    {"fr-FR", "je suis n\xc3\xa9 le 3 mars 1985", "1985-03-03"},
    {"fr-FR", "euh le premier janvier deux mille", "2000-01-01"},
    {"fr-FR", "le 1er janvier 2000 s'il vous pla\xc3\xaet", "2000-01-01"},
    {"fr-FR",
     "le trente et un d\xc3\xa9"
     "cembre quatre-vingt-dix-neuf",
     "1999-12-31"},
    {"fr-FR", "dimanche 3 mars 1985", "1985-03-03"}, /* a weekday before: the date wins */
    {"fr-FR", "3/3/85", "1985-03-03"},
    {"fr-FR", "14/03/1985", "1985-03-14"},
    {"fr-FR", "1985-03-14", "1985-03-14"},
    {"fr-FR", "K14031985", "1985-03-14"},
    {"fr-FR", "K140385#", "1985-03-14"},
    {"fr-FR", "K29022000", "2000-02-29"},
    {"fr-FR", "K29021985", NULL}, /* 1985 is a common year */
    {"fr-FR", "K31041985", NULL}, /* April has 30 days */
    {"fr-FR", "K03141985", NULL}, /* month 14: the order is the locale's */
    {"fr-FR", "le 31 f\xc3\xa9vrier 1985", NULL},
    {"fr-FR", "le 3 mars", NULL}, /* no year */
    /* The month said as its number, years said in words, in every language. */
    {"fr-FR", "le 3 du 5 1985", "1985-05-03"},
    {"fr-FR", "le trois du cinq quatre-vingt-cinq", "1985-05-03"},
    {"fr-FR", "3 mai 1985", "1985-05-03"},
    {"fr-FR", "03 05 1985", "1985-05-03"},
    {"fr-FR", "le 3 du 5", NULL}, /* no year */
    {"fr-FR", "le 3 du 13 1985", NULL},
    {"en-US", "nineteen eighty five", NULL}, /* a year is no date */
    {"en-US", "the 3rd of the 5th 1985", "1985-05-03"},
    {"en-US", "the third of May nineteen eighty five", "1985-05-03"},
    {"en-US", "on the 3rd of May in nineteen eighty five", "1985-05-03"},
    {"en-US", "3 May 1985", "1985-05-03"},
    {"en-US", "5 3 1985", NULL}, /* digits alone in the month-first order: not read */
    {"de-DE", "neunzehnhundertf\xc3\xbcnfundachtzig", NULL},
    {"de-DE", "am dritten Mai neunzehnhundertf\xc3\xbcnfundachtzig", "1985-05-03"},
    {"de-DE", "dritter f\xc3\xbcnfter neunzehnhundertf\xc3\xbcnfundachtzig", "1985-05-03"},
    {"de-DE", "am 3. 5. 1985", "1985-05-03"},
    {"de-DE", "3. Mai 85", "1985-05-03"},
    {"es-ES", "mil novecientos ochenta y cinco", NULL},
    {"es-ES", "el tres de mayo de mil novecientos ochenta y cinco", "1985-05-03"},
    {"es-ES", "el 3 del 5 del 85", "1985-05-03"},
    {"es-ES", "el tres del cinco de mil novecientos ochenta y cinco", "1985-05-03"},
    {"fr-FR", "le 26 novembre 2026", NULL}, /* tomorrow */
    {"fr-FR", "le 25 novembre 2026", "2026-11-25"},
    {"fr-FR", "le 25 novembre 26", "2026-11-25"}, /* two digits: today is this century's */
    {"fr-FR", "le 26 novembre 26", "1926-11-26"}, /* after today: the century before */
    {"fr-FR", "le 3 mars 1906", NULL},            /* more than 120 years ago */
    {"fr-FR", "le 3 mars 1985 et demi", NULL},
    {"fr-FR", "demain", NULL},
    {"fr-FR", "bonjour", NULL},
    {"fr-BE", "le trois mars septante-cinq", "1975-03-03"},
    {"fr-CH", "le trois mars mille neuf cent huitante-cinq", "1985-03-03"},
    {"en-US", "March 3rd, 1985", "1985-03-03"},
    {"en-US", "March third nineteen eighty-five", "1985-03-03"},
    {"en-US", "the third of March nineteen eighty five", "1985-03-03"},
    {"en-US", "I was born on March 14th, 1985", "1985-03-14"},
    {"en-US", "March 3rd nineteen oh seven", "1907-03-03"},
    {"en-US", "March 3rd nineteen hundred and seven", "1907-03-03"},
    {"en-US", "March 3rd two thousand and five", "2005-03-03"},
    {"en-US", "July 4th twenty twenty", "2020-07-04"},
    {"en-US", "March 3rd 19 85", "1985-03-03"},
    {"en-US", "3/14/85", "1985-03-14"},
    {"en-US", "K03141985", "1985-03-14"},
    {"en-US", "K14031985", NULL},
    {"en-US", "February twenty ninth nineteen eighty four", "1984-02-29"},
    {"en-US", "February twenty ninth nineteen eighty five", NULL},
    {"en-US", "December 25th, 2026", NULL},
    {"en-US", "nineteen eighty five", NULL},
    {"en-GB", "the 14th of March 1985", "1985-03-14"},
    {"en-GB", "14/3/85", "1985-03-14"},
    {"en-GB", "K14031985", "1985-03-14"},
    {"es-ES", "el 3 de marzo de 1985", "1985-03-03"},
    {"es-ES", "tres de marzo de mil novecientos ochenta y cinco", "1985-03-03"},
    {"es-ES", "el 3 de marzo del 85", "1985-03-03"},
    {"es-ES", "nac\xc3\xad el primero de enero de dos mil cinco", "2005-01-01"},
    {"es-ES", "veintiuno de junio de mil novecientos noventa", "1990-06-21"},
    {"es-ES", "K21061990", "1990-06-21"},
    {"es-ES", "el 30 de febrero de 1990", NULL},
    {"de-DE", "am 3. M\xc3\xa4rz 1985", "1985-03-03"},
    {"de-DE", "dritter M\xc3\xa4rz neunzehnhundertf\xc3\xbcnfundachtzig", "1985-03-03"},
    {"de-DE", "am dritten M\xc3\xa4rz neunzehnhundert f\xc3\xbcnfundachtzig", "1985-03-03"},
    {"de-DE", "ich bin am 3. M\xc3\xa4rz 1985 geboren", "1985-03-03"},
    {"de-DE", "3. M\xc3\xa4rz zweitausendf\xc3\xbcnf", "2005-03-03"},
    {"de-DE", "am 3. M\xc3\xa4rz tausendneunhundertf\xc3\xbcnfundachtzig", "1985-03-03"},
    {"de-DE", "03.03.1985", "1985-03-03"},
    {"de-DE", "K03031985", "1985-03-03"},
    {"de-DE", "am 29. Februar 1985", NULL},
    /* Today, yesterday and the day before need no year (today is 2026-11-25). */
    {"fr-FR", "hier", "2026-11-24"},
    {"fr-FR", "c'\xc3\xa9tait avant-hier", "2026-11-23"},
    {"fr-FR", "avant-hier", "2026-11-23"},
    {"fr-FR", "aujourd'hui", "2026-11-25"},
    {"fr-BE", "hier", "2026-11-24"},
    {"en-US", "yesterday", "2026-11-24"},
    {"en-GB", "the day before yesterday", "2026-11-23"},
    {"en-US", "today", "2026-11-25"},
    {"es-ES", "ayer", "2026-11-24"},
    {"es-ES", "antes de ayer", "2026-11-23"},
    {"es-ES", "anteayer", "2026-11-23"},
    {"de-DE", "gestern", "2026-11-24"},
    {"de-DE", "vorgestern", "2026-11-23"},
    {"de-DE", "heute", "2026-11-25"},
    {"de-DE", "morgen", NULL},
    {"en-US", "yesterday 1985", NULL},
    /* Days counted back, the last such weekday (today is Wednesday 2026-11-25). */
    {"fr-FR", "il y a trois jours", "2026-11-22"},
    {"fr-FR", "euh il y a une semaine", "2026-11-18"},
    {"fr-FR", "lundi dernier", "2026-11-23"},
    {"fr-FR", "mercredi dernier", "2026-11-18"},
    {"fr-FR", "c'\xc3\xa9tait samedi", "2026-11-21"},
    {"fr-FR", "mercredi", NULL}, /* today, or a week ago? */
    {"fr-FR", "trois jours", NULL},
    {"fr-FR", "il y a trois mois", NULL},
    {"fr-FR", "dans trois jours", NULL},
    {"fr-FR", "lundi 3", NULL},
    {"en-US", "three days ago", "2026-11-22"},
    {"en-US", "a week ago", "2026-11-18"},
    {"en-US", "two weeks ago", "2026-11-11"},
    {"en-US", "last Monday", "2026-11-23"},
    {"en-GB", "it was last Friday", "2026-11-20"},
    {"en-US", "ago", NULL},
    {"de-DE", "vor drei Tagen", "2026-11-22"},
    {"de-DE", "vor einer Woche", "2026-11-18"},
    {"de-DE", "letzten Montag", "2026-11-23"},
    {"de-DE", "am Sonntag", "2026-11-22"},
    {"de-DE", "es war letzten Freitag", "2026-11-20"},
    {"de-DE", "vor drei Monaten", NULL},
    {"es-ES", "hace tres d\303\255as", "2026-11-22"},
    {"es-ES", "hace una semana", "2026-11-18"},
    {"es-ES", "el lunes pasado", "2026-11-23"},
    {"es-ES", "fue el s\303\241bado", "2026-11-21"},
    {"es-ES", "tres d\303\255as atr\303\241s", "2026-11-22"},
    {"es-ES", "hace tres a\303\261os", NULL},
};

START_TEST(test_said_table)
{
    const struct said *c = &said_cases[_i];
    ivrsm_collect_params p = params(c->tag, 0);
    int keys = c->in[0] == 'K';
    char date[16];
    int rc = parse(&p, c->in + keys, keys, date);
    if (c->date)
        ck_assert_msg(rc == 0 && !strcmp(date, c->date), "%s \"%s\": \"%s\", expected %s", c->tag,
                      c->in, date, c->date);
    else
        ck_assert_msg(rc == 1, "%s \"%s\": %s, expected no date", c->tag, c->in, date);
}
END_TEST

START_TEST(test_bound_in_years)
{
    char date[16];
    ivrsm_collect_params p = params("fr-FR", 10);
    ck_assert_int_eq(parse(&p, "25112016", 1, date), 0); /* exactly 10 years ago */
    ck_assert_str_eq(date, "2016-11-25");
    ck_assert_int_eq(parse(&p, "24112016", 1, date), 1);
    p = params("fr-FR", 200);
    ck_assert_int_eq(parse(&p, "01011900", 1, date), 0);
    p = params("fr-FR", 0); /* the default: 120 years */
    ck_assert_int_eq(parse(&p, "25111906", 1, date), 0);
    ck_assert_int_eq(parse(&p, "24111906", 1, date), 1);
    p = params("fr-FR", IVRSM_COLLECT_PAST_YEARS_MAX + 1);
    ivrsm_collect_value v;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DATE_PAST, &p, "01011990", 8, 1, &v), -1);
    p = params("fr-FR", -1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DATE_PAST, &p, "01011990", 8, 1, &v), -1);
    p = params("fr-FR", 0);
    p.tz = NULL;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DATE_PAST, &p, "01011990", 8, 1, &v), -1);
    ck_assert_int_eq(ivrsm_collect_mode_from_name("date_past"), IVRSM_COLLECT_DATE_PAST);
    ck_assert_str_eq(ivrsm_collect_mode_name(IVRSM_COLLECT_DATE_PAST), "date_past");
}
END_TEST

/* year: optional: a day and a month without a year are the latest such day, today or before;
 * with a year, or keyed, as before. */
START_TEST(test_year_optional)
{
    static const struct said cases[] = {
        {"fr-FR", "le 3 mars", "2026-03-03"},
        {"fr-FR", "le 25 novembre", "2026-11-25"}, /* today */
        {"fr-FR", "le 26 novembre", "2025-11-26"}, /* tomorrow: last year's */
        {"fr-FR",
         "le 24 d\xc3\xa9"
         "cembre",
         "2025-12-24"},
        {"fr-FR", "le 29 f\xc3\xa9vrier", "2024-02-29"}, /* the last leap year */
        {"fr-FR", "le 31 avril", NULL},
        {"fr-FR", "le 3 du 5", "2026-05-03"},
        {"fr-FR", "mardi 3 mars", "2026-03-03"},
        {"fr-FR", "le 3 mars 1985", "1985-03-03"},
        {"fr-FR", "le 3 mars mille", NULL}, /* a year given stays that year: too far back */
        {"en-US", "March 3rd", "2026-03-03"},
        {"en-GB", "on the 3rd of December", "2025-12-03"},
        {"es-ES", "el 3 de marzo", "2026-03-03"},
        {"de-DE", "am 3. M\xc3\xa4rz", "2026-03-03"},
        {"de-DE", "am 24. Dezember", "2025-12-24"},
        {"de-DE", "gestern", "2026-11-24"},
        {"fr-FR", "K03032026", "2026-03-03"},
        {"fr-FR", "mars", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct said *c = &cases[i];
        ivrsm_collect_params p = params(c->tag, 0);
        p.past_year_optional = 1;
        int keys = c->in[0] == 'K';
        char date[16];
        int rc = parse(&p, c->in + keys, keys, date);
        if (c->date)
            ck_assert_msg(rc == 0 && !strcmp(date, c->date), "%s \"%s\": \"%s\", expected %s",
                          c->tag, c->in, date, c->date);
        else
            ck_assert_msg(rc == 1, "%s \"%s\": %s, expected no date", c->tag, c->in, date);
    }
    /* max_years_ago bounds the latest day too: one year back from 2026-11-25, the last
     * 29 February (2024) is too old, the last 26 November (2025) is not. */
    char date[16];
    ivrsm_collect_params p = params("fr-FR", 1);
    p.past_year_optional = 1;
    ck_assert_int_eq(parse(&p, "le 29 f\xc3\xa9vrier", 0, date), 1);
    ck_assert_int_eq(parse(&p, "le 26 novembre", 0, date), 0);
    ck_assert_str_eq(date, "2025-11-26");
    /* Without it, the year is required (the default: a date of birth). */
    p.past_year_optional = 0;
    ck_assert_int_eq(parse(&p, "le 26 novembre", 0, date), 1);
}
END_TEST

/* Today is read in the machine's zone: at 23:30 UTC on 25 November it is already the 26th in
 * Paris, so the 26th is no longer to come. */
START_TEST(test_today_in_the_zone)
{
    char date[16];
    ivrsm_collect_params p = params("fr-FR", 0);
    p.now_ms = 1795649400000LL; /* 2026-11-25T23:30:00Z */
    ck_assert_int_eq(parse(&p, "26112026", 1, date), 0);
    ivrsm_tz *utc = ivrsm_tz_new("UTC", ivrsm_mem_default());
    p.tz = utc;
    ck_assert_int_eq(parse(&p, "26112026", 1, date), 1);
    ivrsm_tz_free(utc);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Every day from 1900 to today, against a plain calendar
 * ------------------------------------------------------------------------- */

static int plain_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static const char *const units_fr[] = {"z\xc3\xa9ro", "un",    "deux",     "trois",    "quatre",
                                       "cinq",        "six",   "sept",     "huit",     "neuf",
                                       "dix",         "onze",  "douze",    "treize",   "quatorze",
                                       "quinze",      "seize", "dix-sept", "dix-huit", "dix-neuf"};
static const char *const tens_fr[] = {"",         "",          "vingt",   "trente",
                                      "quarante", "cinquante", "soixante"};

/* 1..99 as French writes them: "vingt et un", "soixante-dix", "quatre-vingts". */
static void words_fr(int n, char *out, size_t cap)
{
    if (n < 20)
        snprintf(out, cap, "%s", units_fr[n]);
    else if (n < 70)
        snprintf(out, cap, "%s%s%s", tens_fr[n / 10],
                 n % 10 == 1 ? " et "
                 : n % 10    ? "-"
                             : "",
                 n % 10 == 1 ? "un"
                 : n % 10    ? units_fr[n % 10]
                             : "");
    else if (n < 80)
        snprintf(out, cap, "soixante%s%s", n == 71 ? " et " : "-", units_fr[n - 60]);
    else if (n == 80)
        snprintf(out, cap, "quatre-vingts");
    else
        snprintf(out, cap, "quatre-vingt-%s", units_fr[n - 80]);
}

static const char *const units_en[] = {"zero",    "one",     "two",       "three",    "four",
                                       "five",    "six",     "seven",     "eight",    "nine",
                                       "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                       "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
static const char *const tens_en[] = {"",      "",      "twenty",  "thirty", "forty",
                                      "fifty", "sixty", "seventy", "eighty", "ninety"};

static void words_en(int n, char *out, size_t cap)
{
    if (n < 20)
        snprintf(out, cap, "%s", units_en[n]);
    else
        snprintf(out, cap, "%s%s%s", tens_en[n / 10], n % 10 ? "-" : "",
                 n % 10 ? units_en[n % 10] : "");
}

static const char *const units_es[] = {"cero",
                                       "uno",
                                       "dos",
                                       "tres",
                                       "cuatro",
                                       "cinco",
                                       "seis",
                                       "siete",
                                       "ocho",
                                       "nueve",
                                       "diez",
                                       "once",
                                       "doce",
                                       "trece",
                                       "catorce",
                                       "quince",
                                       "diecis\xc3\xa9is",
                                       "diecisiete",
                                       "dieciocho",
                                       "diecinueve",
                                       "veinte",
                                       "veintiuno",
                                       "veintid\xc3\xb3s",
                                       "veintitr\xc3\xa9s",
                                       "veinticuatro",
                                       "veinticinco",
                                       "veintis\xc3\xa9is",
                                       "veintisiete",
                                       "veintiocho",
                                       "veintinueve"};
static const char *const tens_es[] = {"",          "",        "",        "treinta", "cuarenta",
                                      "cincuenta", "sesenta", "setenta", "ochenta", "noventa"};

static void words_es(int n, char *out, size_t cap)
{
    if (n < 30)
        snprintf(out, cap, "%s", units_es[n]);
    else
        snprintf(out, cap, "%s%s%s", tens_es[n / 10], n % 10 ? " y " : "",
                 n % 10 ? units_es[n % 10] : "");
}

static const char *const units_de[] = {"null",         "eins",        "zwei",     "drei",
                                       "vier",         "f\xc3\xbcnf", "sechs",    "sieben",
                                       "acht",         "neun",        "zehn",     "elf",
                                       "zw\xc3\xb6lf", "dreizehn",    "vierzehn", "f\xc3\xbcnfzehn",
                                       "sechzehn",     "siebzehn",    "achtzehn", "neunzehn"};
static const char *const tens_de[] = {
    "",        "",        "zwanzig", "drei\xc3\x9fig", "vierzig", "f\xc3\xbcnfzig",
    "sechzig", "siebzig", "achtzig", "neunzig"};

/* 1..99 glued as German writes them: "einundzwanzig". */
static void words_de(int n, char *out, size_t cap)
{
    if (n < 20)
        snprintf(out, cap, "%s", units_de[n]);
    else if (n % 10 == 0)
        snprintf(out, cap, "%s", tens_de[n / 10]);
    else
        snprintf(out, cap, "%sund%s", n % 10 == 1 ? "ein" : units_de[n % 10], tens_de[n / 10]);
}

static const char *const months_fr[] = {"janvier",
                                        "f\xc3\xa9vrier",
                                        "mars",
                                        "avril",
                                        "mai",
                                        "juin",
                                        "juillet",
                                        "ao\xc3\xbbt",
                                        "septembre",
                                        "octobre",
                                        "novembre",
                                        "d\xc3\xa9"
                                        "cembre"};
static const char *const months_en[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
static const char *const months_es[] = {"enero",      "febrero", "marzo",     "abril",
                                        "mayo",       "junio",   "julio",     "agosto",
                                        "septiembre", "octubre", "noviembre", "diciembre"};
static const char *const months_de[] = {"Januar",    "Februar", "M\xc3\xa4rz", "April",
                                        "Mai",       "Juni",    "Juli",        "August",
                                        "September", "Oktober", "November",    "Dezember"};

/* The year said in words, a way of each language (alternating where there are two). */
static void year_words(const char *tag, int y, char *out, size_t cap)
{
    char rest[64] = "";
    int r = y % 100;
    if (tag[0] == 'f') {
        if (r)
            words_fr(r, rest, sizeof rest);
        if (y >= 2000)
            snprintf(out, cap, "deux mille%s%s", r ? " " : "", rest);
        else if (y % 2)
            snprintf(out, cap, "mille neuf cent%s%s", r ? " " : "", rest);
        else
            snprintf(out, cap, "dix-neuf cent%s%s", r ? " " : "", rest);
    } else if (tag[0] == 'e' && tag[1] == 'n') {
        words_en(r, rest, sizeof rest);
        if (y >= 2000 && (y < 2010 || y % 2))
            snprintf(out, cap, "two thousand%s%s", r ? " and " : "", r ? rest : "");
        else if (y >= 2000)
            snprintf(out, cap, "twenty %s", rest);
        else if (r == 0)
            snprintf(out, cap, "nineteen hundred");
        else if (r < 10)
            snprintf(out, cap, "nineteen oh %s", rest);
        else
            snprintf(out, cap, "nineteen %s", rest);
    } else if (tag[0] == 'e') {
        if (r)
            words_es(r, rest, sizeof rest);
        snprintf(out, cap, "%s%s%s", y >= 2000 ? "dos mil" : "mil novecientos", r ? " " : "", rest);
    } else {
        if (r)
            words_de(r, rest, sizeof rest);
        snprintf(out, cap, "%s%s", y >= 2000 ? "zweitausend" : "neunzehnhundert", rest);
    }
}

/* The day said: digits, or the words of the language for some. */
static void said_date(const char *tag, int y, int m, int d, char *out, size_t cap)
{
    char year[96], day[64];
    year_words(tag, y, year, sizeof year);
    if (tag[0] == 'f') {
        if (d == 1)
            snprintf(day, sizeof day, "premier");
        else
            words_fr(d, day, sizeof day);
        snprintf(out, cap, "le %s %s %s", day, months_fr[m - 1], year);
    } else if (tag[0] == 'e' && tag[1] == 'n') {
        const char *suffix = d % 10 == 1 && d != 11   ? "st"
                             : d % 10 == 2 && d != 12 ? "nd"
                             : d % 10 == 3 && d != 13 ? "rd"
                                                      : "th";
        snprintf(out, cap, "%s %d%s, %s", months_en[m - 1], d, suffix, year);
    } else if (tag[0] == 'e') {
        words_es(d, day, sizeof day);
        snprintf(out, cap, "el %s de %s de %s", d == 1 ? "primero" : day, months_es[m - 1], year);
    } else {
        snprintf(out, cap, "am %d. %s %s", d, months_de[m - 1], year);
    }
}

static const char *const every_day_tags[] = {"fr-FR", "en-US", "es-ES", "de-DE", "en-GB"};

START_TEST(test_every_day_since_1900)
{
    const char *tag = every_day_tags[_i];
    ivrsm_collect_params p = params(tag, 200);
    int mdy = !strcmp(tag, "en-US");
    char in[256], want[32], got[16];
    size_t days = 0;
    for (int y = 1900; y <= TODAY_Y; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= plain_days_in_month(y, m); d++) {
                int past = y < TODAY_Y || m < TODAY_M || (m == TODAY_M && d <= TODAY_D);
                snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
                int first = mdy ? m : d, second = mdy ? d : m;
                /* keyed, eight keys */
                snprintf(in, sizeof in, "%02d%02d%04d", first, second, y);
                int rc = parse(&p, in, 1, got);
                ck_assert_msg(past ? rc == 0 && !strcmp(got, want) : rc == 1,
                              "%s keys %s: '%s', expected %s", tag, in, got, past ? want : "none");
                if (!past)
                    continue;
                days++;
                /* said as numbers, and said in words */
                snprintf(in, sizeof in, "%d/%d/%04d", first, second, y);
                ck_assert_msg(parse(&p, in, 0, got) == 0 && !strcmp(got, want),
                              "%s \"%s\": '%s', expected %s", tag, in, got, want);
                said_date(tag, y, m, d, in, sizeof in);
                ck_assert_msg(parse(&p, in, 0, got) == 0 && !strcmp(got, want),
                              "%s \"%s\": '%s', expected %s", tag, in, got, want);
                /* six keys: the latest such date not after today, if 200 years reach it */
                snprintf(in, sizeof in, "%02d%02d%02d", first, second, y % 100);
                int y6 = y + (TODAY_Y - y) / 100 * 100; /* the latest year with these digits */
                int y6_past = y6 < TODAY_Y || m < TODAY_M || (m == TODAY_M && d <= TODAY_D);
                if (!y6_past)
                    y6 -= 100;
                if (d <= plain_days_in_month(y6, m)) {
                    snprintf(want, sizeof want, "%04d-%02d-%02d", y6, m, d);
                    ck_assert_msg(parse(&p, in, 1, got) == 0 && !strcmp(got, want),
                                  "%s keys %s: '%s', expected %s", tag, in, got, want);
                }
            }
            /* the day after the month's last is no date */
            snprintf(in, sizeof in, "%02d%02d%04d", mdy ? m : plain_days_in_month(y, m) + 1,
                     mdy ? plain_days_in_month(y, m) + 1 : m, y);
            ck_assert_int_eq(parse(&p, in, 1, got), 1);
        }
    }
    ck_assert_uint_eq(days, 46350); /* 1900-01-01 to 2026-11-25, both counted */
}
END_TEST

/* ---------------------------------------------------------------------------
 * Bad input
 * ------------------------------------------------------------------------- */

static const char *const bad_inputs[] = {
    "",
    " ",
    "#",
    "99999999999999999999999999999999",
    "le 99999999999999999999 mars 1985",
    "le 3 mars 99999999999999999999",
    "le 3 mars 1985 1985",
    "le 0 mars 1985",
    "le 3 mars 0000",
    "00/00/0000",
    "3/3",
    "3/3/3/3",
    "3//3/85",
    "1985-13-01",
    "le 3 \xff mars 1985",
    "\xc3",
    "le 3 mars 1985\xc3\x28",
    "mille mille mille mille",
    "hundred hundred hundred",
    "neunzehnhunderthunderthunderttausendtausend",
    "tausendtausendtausendtausendtausendtausendtausendtausendtausendtausendtausend",
    "euh euh euh euh euh euh euh euh euh euh le 3 mars 1985",
};

START_TEST(test_bad_input_never_a_date)
{
    static const char *const tags[] = {"fr-FR", "en-US", "es-ES", "de-DE"};
    char got[16];
    for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
        ivrsm_collect_params p = params(tags[t], 0);
        for (size_t i = 0; i < sizeof bad_inputs / sizeof bad_inputs[0]; i++) {
            ck_assert_msg(parse(&p, bad_inputs[i], 0, got) == 1, "%s \"%s\": %s", tags[t],
                          bad_inputs[i], got);
            ck_assert_msg(parse(&p, bad_inputs[i], 1, got) == 1, "%s keys \"%s\": %s", tags[t],
                          bad_inputs[i], got);
        }
    }
}
END_TEST

/* Random bytes, random words of dates, inputs at and past the size bound: never a crash, and
 * any date taken lies between 120 years ago and today. */
START_TEST(test_random_input_is_safe)
{
    static const char *const pieces[] = {
        "le ",   "3 ",      "mars ",   "1985 ",  "mille ",          "neuf ",
        "cent ", "hundert", "tausend", "March ", "nineteen ",       "oh ",
        "de ",   "/",       "31 ",     "29 ",    "f\xc3\xa9vrier ", "dritter ",
        "\xff",  "\xc3",    "euh ",    "#",      "quatre-vingt-",   "two thousand ",
        "and ",  "85 ",     "0",       "9"};
    static const char *const tags[] = {"fr-FR", "en-US", "es-ES", "de-DE", "fr-CH"};
    uint64_t seed = 20261207;
    char in[IVRSM_COLLECT_TEXT_MAX + 64], got[16];
    for (int round = 0; round < 4000; round++) {
        size_t len = 0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int words = (int)(seed >> 59) + 1;
        for (int k = 0; k < words; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *piece = pieces[(seed >> 33) % (sizeof pieces / sizeof pieces[0])];
            size_t n = strlen(piece);
            memcpy(in + len, piece, n);
            len += n;
        }
        in[len] = '\0';
        ivrsm_collect_params p = params(tags[round % 5], 0);
        int rc = parse(&p, in, round % 3 == 0, got);
        if (rc == 0)
            ck_assert_msg(strcmp(got, "1906-11-25") >= 0 && strcmp(got, "2026-11-25") <= 0,
                          "\"%s\": %s", in, got);
    }
    /* An input of the largest size, and one past it, of glued words that grow when cut. */
    ivrsm_collect_params p = params("de-DE", 0);
    size_t n = 0;
    while (n + 7 <= IVRSM_COLLECT_TEXT_MAX) {
        memcpy(in + n, "hundert", 7);
        n += 7;
    }
    in[n] = '\0';
    ck_assert_int_eq(parse(&p, in, 0, got), 1);
    memset(in, '1', sizeof in - 1);
    in[sizeof in - 1] = '\0';
    ck_assert_int_eq(parse(&p, in, 0, got), 1);
    ck_assert_int_eq(parse(&p, in, 1, got), 1);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Keys: the one ivrsm_date_from_keys() against the two functions it replaced
 * ------------------------------------------------------------------------- */

/* The date_nl keys as they were read: DDMM or DDMMYYYY, an optional '#', written "DD/MM" or
 * "DD/MM/YYYY" (collect_date.c before the merge). NULL when not a date's keys. */
static const char *old_nl_written(const char *in, size_t len, char written[11])
{
    if (len > 0 && in[len - 1] == '#')
        len--;
    if (len != 4 && len != 8)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if (in[i] < '0' || in[i] > '9')
            return NULL;
    if (len == 4)
        snprintf(written, 11, "%.2s/%.2s", in, in + 2);
    else
        snprintf(written, 11, "%.2s/%.2s/%.4s", in, in + 2, in + 4);
    return written;
}

/* The date_past keys as they were read: DDMMYY or DDMMYYYY (collect_date_past.c). */
static const char *old_past_written(const char *in, size_t len, char written[11])
{
    if (len > 0 && in[len - 1] == '#')
        len--;
    if (len != 6 && len != 8)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if (in[i] < '0' || in[i] > '9')
            return NULL;
    memcpy(written, in, 2);
    written[2] = '/';
    memcpy(written + 3, in + 2, 2);
    written[5] = '/';
    memcpy(written + 6, in + 4, len - 4);
    written[6 + len - 4] = '\0';
    return written;
}

/* A resolver that keeps what it was handed and answers with its length. */
static int record_written(const void *ctx, const char *written, size_t len, int64_t *day)
{
    ck_assert_uint_eq(strlen(written), len);
    snprintf((char *)(uintptr_t)ctx, 16, "%s", written);
    *day = (int64_t)len;
    return 0;
}

/*
 * Generated keys (digits mostly, a '#', a star, a letter; 0 to 10 of them): the merged reading
 * hands each mode's resolver what the old one built, and refuses what it refused; and the
 * keys, parsed as a collect does, give the date the old written form gives said.
 */
START_TEST(test_keys_as_before)
{
    static const char alphabet[] = "0123456789012345678901234567890123#*a";
    uint32_t seed = 7;
    int taken[2] = {0, 0};
    for (int round = 0; round < 20000; round++) {
        char in[12];
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % 11;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
        }
        in[len] = '\0';
        for (int mode = 0; mode < 2; mode++) {
            char want_buf[11], got[16] = "";
            const char *want =
                mode == 0 ? old_nl_written(in, len, want_buf) : old_past_written(in, len, want_buf);
            int64_t day = 0;
            int rc =
                ivrsm_date_from_keys(in, len, mode == 0 ? 1u << 4 | 1u << 8 : 1u << 6 | 1u << 8,
                                     record_written, got, &day);
            ck_assert_msg((rc == 0) == (want != NULL), "\"%s\" (mode %d): %d", in, mode, rc);
            if (!want)
                continue;
            ck_assert_str_eq(got, want);
            taken[mode]++;
            /* End to end: the keys are the written form said. */
            ivrsm_collect_params p = params(round % 2 ? "fr-FR" : "en-US", 0);
            ivrsm_collect_value keyed, said;
            const ivrsm_collect_mode m =
                mode == 0 ? IVRSM_COLLECT_DATE_NL : IVRSM_COLLECT_DATE_PAST;
            int rk = ivrsm_collect_parse(m, &p, in, len, 1, &keyed);
            int rs = ivrsm_collect_parse(m, &p, want, strlen(want), 0, &said);
            ck_assert_int_eq(rk, rs);
            if (rk == 0)
                ck_assert_str_eq(keyed.text, said.text);
        }
    }
    ck_assert_int_gt(taken[0], 500);
    ck_assert_int_gt(taken[1], 500);
}
END_TEST

static Suite *date_past_suite(void)
{
    Suite *s = suite_create("date_past");
    TCase *tc = tcase_create("said");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_said_table, 0, sizeof said_cases / sizeof said_cases[0]);
    tcase_add_test(tc, test_bound_in_years);
    tcase_add_test(tc, test_year_optional);
    tcase_add_test(tc, test_today_in_the_zone);
    tcase_add_test(tc, test_keys_as_before);
    suite_add_tcase(s, tc);
    tc = tcase_create("every_day");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_every_day_since_1900, 0,
                        sizeof every_day_tags / sizeof every_day_tags[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad_input");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_bad_input_never_a_date);
    tcase_add_test(tc, test_random_input_is_safe);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(date_past_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
