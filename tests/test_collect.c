/*
 * Collect parsers (phone, otp, date_nl, free_speech_or_no), locales and
 * time zones.
 */
#include "collect.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-11-25T10:00:00+01:00, a Wednesday, in Europe/Paris. */
#define NOW_2026_11_25 1795597200000LL

/* One parser case: the input, DTMF or speech, and what must come out. */
struct parse_case {
    const char *in;
    int is_dtmf;
    int rc;           /* 0: a value, 1: not a value */
    const char *text; /* expected text when rc == 0 */
};

static int parse(ivrsm_collect_mode mode, const ivrsm_collect_params *p, const char *in,
                 int is_dtmf, ivrsm_collect_value *out)
{
    return ivrsm_collect_parse(mode, p, in, strlen(in), is_dtmf, out);
}

static ivrsm_collect_params fr_params(void)
{
    ivrsm_collect_params p;
    memset(&p, 0, sizeof p);
    p.locale = ivrsm_locale_find("fr-FR");
    return p;
}

static ivrsm_collect_params paris_params(ivrsm_tz **tz, int64_t now_ms)
{
    ivrsm_collect_params p = fr_params();
    *tz = ivrsm_tz_new("Europe/Paris", ivrsm_mem_default());
    ck_assert_ptr_nonnull(*tz);
    p.tz = *tz;
    p.now_ms = now_ms;
    return p;
}

static void check_case(ivrsm_collect_mode mode, const ivrsm_collect_params *p,
                       const struct parse_case *c, int index)
{
    ivrsm_collect_value v;
    memset(&v, 0x5A, sizeof v);
    int rc = parse(mode, p, c->in, c->is_dtmf, &v);
    ck_assert_msg(rc == c->rc, "%s case %d \"%s\": rc %d, expected %d (text \"%s\")",
                  ivrsm_collect_mode_name(mode), index, c->in, rc, c->rc, rc == 0 ? v.text : "");
    if (c->rc == 0)
        ck_assert_msg(strcmp(v.text, c->text) == 0, "%s case %d \"%s\": \"%s\", expected \"%s\"",
                      ivrsm_collect_mode_name(mode), index, c->in, v.text, c->text);
    else
        ck_assert_str_eq(v.text, "");
}

/* ---------------------------------------------------------------------------
 * Locales, modes, arguments
 * ------------------------------------------------------------------------- */

START_TEST(test_locale_find)
{
    const ivrsm_locale *fr = ivrsm_locale_find("fr-FR");
    ck_assert_ptr_nonnull(fr);
    ck_assert_ptr_eq(ivrsm_locale_find("fr"), fr);
    ck_assert_ptr_eq(ivrsm_locale_find("FR-fr"), fr);
    ck_assert_ptr_eq(ivrsm_locale_find("fr_FR"), fr);
    const ivrsm_locale *be = ivrsm_locale_find("fr-BE");
    ck_assert_ptr_nonnull(be);
    ck_assert_ptr_ne(be, fr);
    ck_assert_ptr_null(ivrsm_locale_find("xx-YY"));
    ck_assert_ptr_null(ivrsm_locale_find(""));
    ck_assert_ptr_null(ivrsm_locale_find("fr-"));
    ck_assert_ptr_null(ivrsm_locale_find(NULL));
}
END_TEST

START_TEST(test_mode_names)
{
    ck_assert_int_eq(ivrsm_collect_mode_from_name("phone"), IVRSM_COLLECT_PHONE);
    ck_assert_int_eq(ivrsm_collect_mode_from_name("otp"), IVRSM_COLLECT_OTP);
    ck_assert_int_eq(ivrsm_collect_mode_from_name("date_nl"), IVRSM_COLLECT_DATE_NL);
    ck_assert_int_eq(ivrsm_collect_mode_from_name("free_speech_or_no"),
                     IVRSM_COLLECT_FREE_SPEECH_OR_NO);
    ck_assert_int_eq(ivrsm_collect_mode_from_name("digits"), IVRSM_COLLECT_DIGITS);
    ck_assert_str_eq(ivrsm_collect_mode_name(IVRSM_COLLECT_DIGITS), "digits");
    ck_assert_int_eq(ivrsm_collect_mode_from_name("none"), IVRSM_COLLECT_NONE);
    ck_assert_int_eq(ivrsm_collect_mode_from_name("Phone"), IVRSM_COLLECT_NONE);
    ck_assert_int_eq(ivrsm_collect_mode_from_name(""), IVRSM_COLLECT_NONE);
    ck_assert_int_eq(ivrsm_collect_mode_from_name(NULL), IVRSM_COLLECT_NONE);
    ck_assert_str_eq(ivrsm_collect_mode_name(IVRSM_COLLECT_PHONE), "phone");
    ck_assert_str_eq(ivrsm_collect_mode_name(IVRSM_COLLECT_OTP), "otp");
    ck_assert_str_eq(ivrsm_collect_mode_name(IVRSM_COLLECT_DATE_NL), "date_nl");
    ck_assert_str_eq(ivrsm_collect_mode_name(IVRSM_COLLECT_FREE_SPEECH_OR_NO), "free_speech_or_no");
    ck_assert_str_eq(ivrsm_collect_mode_name(IVRSM_COLLECT_NONE), "none");
    ck_assert_str_eq(ivrsm_collect_mode_name((ivrsm_collect_mode)99), "none");
}
END_TEST

START_TEST(test_bad_arguments)
{
    ivrsm_collect_params p = fr_params();
    ivrsm_collect_value v;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_OTP, NULL, "123456", 6, 1, &v), -1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_OTP, &p, "123456", 6, 1, NULL), -1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_OTP, &p, NULL, 6, 1, &v), -1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_NONE, &p, "1", 1, 1, &v), -1);
    ck_assert_int_eq(ivrsm_collect_parse((ivrsm_collect_mode)42, &p, "1", 1, 1, &v), -1);
    /* Dates need a time zone. */
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DATE_NL, &p, "demain", 6, 0, &v), -1);
    p.otp_length = IVRSM_COLLECT_OTP_MAX + 1;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_OTP, &p, "123456", 6, 1, &v), -1);
    p.otp_length = -1;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_OTP, &p, "123456", 6, 1, &v), -1);
    p = fr_params();
    p.locale = NULL;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_OTP, &p, "123456", 6, 1, &v), -1);
    /* Digit bounds out of range, or upside down. */
    p = fr_params();
    p.digits_min = 5;
    p.digits_max = 4;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DIGITS, &p, "1234", 4, 1, &v), -1);
    p.digits_min = 0;
    p.digits_max = IVRSM_COLLECT_DIGITS_MAX + 1;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DIGITS, &p, "1234", 4, 1, &v), -1);
    p.digits_max = -1;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DIGITS, &p, "1234", 4, 1, &v), -1);
    /* NULL with length 0 is an empty input, not a bad argument. */
    p = fr_params();
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_OTP, &p, NULL, 0, 1, &v), 1);
}
END_TEST

/* ---------------------------------------------------------------------------
 * phone
 * ------------------------------------------------------------------------- */

static const struct parse_case phone_cases[] = {
    /* keyed */
    {"0612345678#", 1, 0, "+33612345678"},
    {"0612345678", 1, 0, "+33612345678"},
    {"612345678#", 1, 0, "+33612345678"},
    {"0033612345678", 1, 0, "+33612345678"},
    {"0033612345678#", 1, 0, "+33612345678"},
    {"*33612345678#", 1, 0, "+33612345678"},
    {"+33612345678", 1, 0, "+33612345678"},
    {"33612345678", 1, 0, "+33612345678"},
    {"0145678901#", 1, 0, "+33145678901"},
    {"*447911123456", 1, 0, "+447911123456"},
    {"00447911123456#", 1, 0, "+447911123456"},
    {"061234567#", 1, 1, NULL},   /* too short */
    {"06123456789#", 1, 1, NULL}, /* too long */
    {"0012#", 1, 1, NULL},
    {"06123#45678", 1, 1, NULL},
    {"06*12345678", 1, 1, NULL},
    {"#", 1, 1, NULL},
    {"", 1, 1, NULL},
    {"0012345#", 1, 1, NULL},     /* too short for any country */
    {"00012345678#", 1, 1, NULL}, /* no country code starts with 0 */
    {"+33012345678", 1, 1, NULL},
    /* said */
    {"z\xc3\xa9ro six douze trente-quatre cinquante-six soixante-dix-huit", 0, 0, "+33612345678"},
    {"06 12 34 56 78", 0, 0, "+33612345678"},
    {"0612345678", 0, 0, "+33612345678"},
    {"06.12.34.56.78", 0, 0, "+33612345678"},
    {"zero six, un deux, trois quatre, cinq six, sept huit", 0, 0, "+33612345678"},
    {"Z\xc3\xa9ro six, douze, 34, cinquante six, 78", 0, 0, "+33612345678"},
    {"plus trente-trois six douze trente-quatre cinquante-six soixante-dix-huit", 0, 0,
     "+33612345678"},
    {"+33 6 12 34 56 78", 0, 0, "+33612345678"},
    {"+33 0 6 12 34 56 78", 0, 0, "+33612345678"},
    {"z\xc3\xa9ro z\xc3\xa9ro trente-trois six douze trente-quatre cinquante-six soixante-dix-huit",
     0, 0, "+33612345678"},
    {"mon num\xc3\xa9ro c'est le 06 12 34 56 78", 0, 0, "+33612345678"},
    {"euh z\xc3\xa9ro sept, quatre-vingt-dix-neuf, quatre-vingts, soixante et onze, vingt et un", 0,
     0, "+33799807121"},
    {"z\xc3\xa9ro un quarante-cinq soixante-sept quatre-vingt-neuf z\xc3\xa9ro un", 0, 0,
     "+33145678901"},
    {"ZERO SIX DIX-SEPT DIX-HUIT DIX-NEUF SEIZE", 0, 0, "+33617181916"},
    /* Pairs decide how number words group: 04 22 ..., not 0 80 2 ... or 0 82 ... */
    {"z\xc3\xa9ro quatre vingt-deux trente-quatre cinquante-six soixante-dix-huit", 0, 0,
     "+33422345678"},
    {"z\xc3\xa9ro quatre quatre-vingt-deux trente-quatre cinquante-six soixante-dix-huit", 0, 0,
     "+33482345678"},
    {"z\xc3\xa9ro quatre quatre vingt deux trente quatre cinquante six soixante dix huit", 0, 0,
     "+33482345678"},
    {"z\xc3\xa9ro six soixante dix-sept quatre-vingts quatre-vingt-dix onze", 0, 0, "+33677809011"},
    {"z\xc3\xa9ro six soixante dix-sept quatre-vingts quatre-vingt-dix", 0, 1, NULL},
    {"z\xc3\xa9ro six douze trente-quatre cinquante-six", 0, 1, NULL}, /* 8 digits */
    {"z\xc3\xa9ro six douze trente-quatre cinquante-six soixante-dix-huit neuf", 0, 1, NULL},
    {"je ne sais pas", 0, 1, NULL},
    {"z\xc3\xa9ro six douze bonjour", 0, 1, NULL},
    {"cent deux", 0, 1, NULL},
    {"", 0, 1, NULL},
    {"   ", 0, 1, NULL},
    {"caf\xe9 06 12 34 56 78", 0, 1, NULL}, /* invalid UTF-8 */
};

START_TEST(test_phone_table)
{
    ivrsm_collect_params p = fr_params();
    check_case(IVRSM_COLLECT_PHONE, &p, &phone_cases[_i], _i);
}
END_TEST

/* A NUL inside the input (its length says where it ends) is never a value. */
START_TEST(test_embedded_nul_is_not_a_value)
{
    ivrsm_tz *tz;
    ivrsm_collect_params p = paris_params(&tz, NOW_2026_11_25);
    ivrsm_collect_value v;
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_PHONE, &p,
                                         "06123\0"
                                         "45678",
                                         11, 1, &v),
                     1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_PHONE, &p,
                                         "06\0"
                                         "12345678",
                                         11, 0, &v),
                     1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_PHONE, &p, "0612345678\0", 11, 1, &v), 1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_OTP, &p,
                                         "123\0"
                                         "456",
                                         7, 1, &v),
                     1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_OTP, &p, "123456\0", 7, 0, &v), 1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DATE_NL, &p, "demain\0", 7, 0, &v), 1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DATE_NL, &p,
                                         "\0"
                                         "0312",
                                         5, 1, &v),
                     1);
    ck_assert_int_eq(
        ivrsm_collect_parse(IVRSM_COLLECT_FREE_SPEECH_OR_NO, &p, "trop\0loin", 9, 0, &v), 1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_FREE_SPEECH_OR_NO, &p, "non\0", 4, 0, &v),
                     1);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_FREE_SPEECH_OR_NO, &p, "\0", 1, 1, &v), 1);
    ck_assert_str_eq(v.text, "");
    ck_assert_int_eq(v.said_no, 0);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_NONE, &p, "\0", 1, 1, &v), -1);
    ivrsm_tz_free(tz);
}
END_TEST

/* ---------------------------------------------------------------------------
 * otp
 * ------------------------------------------------------------------------- */

static const struct parse_case otp_cases[] = {
    {"123456", 1, 0, "123456"},
    {"123456#", 1, 0, "123456"},
    {"000000", 1, 0, "000000"},
    {"012345#", 1, 0, "012345"},
    {"12345", 1, 1, NULL},
    {"1234567", 1, 1, NULL},
    {"12345#6", 1, 1, NULL},
    {"12a456", 1, 1, NULL},
    {"*123456", 1, 1, NULL},
    {"123456##", 1, 1, NULL},
    {"#", 1, 1, NULL},
    {"", 1, 1, NULL},
    {"un deux trois quatre cinq six", 0, 0, "123456"},
    {"douze trente-quatre cinquante-six", 0, 0, "123456"},
    {"douze trente quatre cinquante six", 0, 0, "123456"},
    {"123456", 0, 0, "123456"},
    {"123 456", 0, 0, "123456"},
    {"1 2 3 4 5 6", 0, 0, "123456"},
    {"12 trente-quatre 5 six", 0, 0, "123456"},
    {"z\xc3\xa9ro z\xc3\xa9ro quatre-vingt-dix-neuf soixante-dix", 0, 0, "009970"},
    {"Z\xc3\x89RO UN DEUX TROIS QUATRE CINQ", 0, 0, "012345"},
    {"euh, le code c'est 12 34 56", 0, 0, "123456"},
    {"vingt et un, vingt-deux, vingt-trois", 0, 0, "212223"},
    {"un deux trois quatre cinq", 0, 1, NULL},
    {"douze trente-quatre cinquante-six soixante", 0, 1, NULL},
    {"douze trente-quatre cinq", 0, 1, NULL},
    {"douze trente-quatre cinquante", 0, 0, "123450"},
    {"je ne sais pas", 0, 1, NULL},
    {"un deux trois quatre cinq six sept", 0, 1, NULL},
    {"un deux trois bonjour quatre cinq six", 0, 1, NULL},
    {"cent vingt-trois quatre cinq six", 0, 0, "123456"}, /* a hundred read as three digits */
    {"cent vingt-trois quatre cinq", 0, 1, NULL},
    {"", 0, 1, NULL},
    {"   ", 0, 1, NULL},
    {"\xff\xfe", 0, 1, NULL},
    {"12\xc3", 0, 1, NULL},
};

/* ---------------------------------------------------------------------------
 * digits (1 to 12 unless a case says otherwise: see digits_params())
 * ------------------------------------------------------------------------- */

static const struct parse_case digits_cases[] = {
    {"1", 1, 0, "1"},
    {"0042#", 1, 0, "0042"},
    {"123456789012", 1, 0, "123456789012"},
    {"1234567890123", 1, 1, NULL},
    {"#", 1, 1, NULL},
    {"12#3", 1, 1, NULL},
    {"12*", 1, 1, NULL},
    {"1A", 1, 1, NULL},
    {"", 1, 1, NULL},
    {"quatre cinq six", 0, 0, "456"},
    {"douze cinquante", 0, 0, "1250"},
    {"z\xc3\xa9ro z\xc3\xa9ro sept", 0, 0, "007"},
    {"mon num\xc3\xa9ro c'est 12 34", 0, 0, "1234"},
    {"euh 12 34 56", 0, 0, "123456"},
    {"bonjour", 0, 1, NULL},
    {"", 0, 1, NULL},
    {"\xff", 0, 1, NULL},
};

static ivrsm_collect_params digits_params(void)
{
    ivrsm_collect_params p = fr_params();
    p.digits_min = 1;
    p.digits_max = 12;
    return p;
}

/* A code said after a few words naming it, in each language; not after a negation or a doubt,
 * and not a number of fewer than four digits. */
START_TEST(test_digits_after_lead_in)
{
    static const struct {
        const char *tag, *said, *digits;
    } cases[] = {
        {"en-US", "my prescription number is 4 5 6 7 8 9 0", "4567890"},
        {"en-US", "uh the card number is twelve thirty four fifty six", "123456"},
        {"en-US", "it's not 4 5 6 7 8 9 0", NULL},
        {"en-US", "I don't know 4 5 6 7", NULL},
        {"fr-FR", "alors mon numéro client c'est 4 5 6 7 8 9", "456789"},
        {"fr-FR", "peut-être 4 5 6 7 8 9", NULL},
        {"de-DE", "meine Kundennummer ist 8 7 6 5 4 3 2 1", "87654321"},
        {"de-DE", "die Nummer ist nicht 8 7 6 5", NULL},
        {"es-ES", "el número de contrato es uno dos tres cuatro cinco", "12345"},
        {"es-ES", "la nota es 5", NULL},
        {"es-ES", "uno dos tres cuatro cinco seis siete ocho", "12345678"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ivrsm_collect_params p = digits_params();
        p.locale = ivrsm_locale_find(cases[i].tag);
        ivrsm_collect_value v;
        int r = parse(IVRSM_COLLECT_DIGITS, &p, cases[i].said, 0, &v);
        ck_assert_msg(r == (cases[i].digits ? 0 : 1), "%s '%s': %d (%s)", cases[i].tag,
                      cases[i].said, r, r == 0 ? v.text : "");
        if (cases[i].digits)
            ck_assert_msg(strcmp(v.text, cases[i].digits) == 0, "%s '%s': %s, not %s", cases[i].tag,
                          cases[i].said, v.text, cases[i].digits);
    }
}
END_TEST

START_TEST(test_digits_table)
{
    ivrsm_collect_params p = digits_params();
    check_case(IVRSM_COLLECT_DIGITS, &p, &digits_cases[_i], _i);
}
END_TEST

/* ---------------------------------------------------------------------------
 * reference: letters and digits of a pattern, in English and in French
 * ------------------------------------------------------------------------- */

struct reference_case {
    const char *locale;
    const char *patterns;
    const char *in;
    int is_dtmf;
    int rc;
    const char *text;
};

static const struct reference_case reference_cases[] = {
    /* A parcel number: two letters, nine digits, two letters. */
    {"en-GB", "AA999999999AA", "A B 1 2 3 4 5 6 7 8 9 G B", 0, 0, "AB123456789GB"},
    {"en-GB", "AA999999999AA", "AB123456789GB", 0, 0, "AB123456789GB"},
    {"en-GB", "AA999999999AA", "ab 123 456 789 gb", 0, 0, "AB123456789GB"},
    {"en-GB", "AA999999999AA",
     "alpha bravo one two three four five six seven eight nine golf bravo", 0, 0, "AB123456789GB"},
    {"en-GB", "AA999999999AA", "alfa x-ray 1 2 3, 4 5 6, 7 8 9, G B", 0, 0, "AX123456789GB"},
    {"en-GB", "AA999999999AA", "a b double one two three four five six seven eight g b", 0, 0,
     "AB112345678GB"},
    {"en-GB", "AA999999999AA", "it's a b one two three four five six seven eight nine g b", 0, 0,
     "AB123456789GB"},
    {"en-GB", "AA999999999AA", "A B oh one two three four five six seven eight G B", 0, 0,
     "AB012345678GB"},
    {"en-GB", "AA999999999AA", "A B 1 2 3 4 5 6 7 8 G B", 0, 1, NULL},   /* a digit short */
    {"en-GB", "AA999999999AA", "A B 1 2 3 4 5 6 7 8 9 G", 0, 1, NULL},   /* a letter short */
    {"en-GB", "AA999999999AA", "1 2 A B 3 4 5 6 7 8 9 G B", 0, 1, NULL}, /* out of place */
    {"en-GB", "AA999999999AA", "I don't know", 0, 1, NULL},
    {"en-GB", "AA999999999AA", "123456789", 1, 1, NULL}, /* letters cannot be keyed */
    {"en-GB", "AA999999999AA", "", 0, 1, NULL},
    {"en-GB", "AA999999999AA", "\xff\xfe", 0, 1, NULL},
    /* "one" and "two" are numbers, never the letters o, n, e. */
    {"en-US", "XXXXXX", "one two three four five six", 0, 0, "123456"},
    {"en-US", "XXXXXX", "X 7 K 2 Q P", 0, 0, "X7K2QP"},
    {"en-US", "XXXXXX", "x seven kilo two quebec papa", 0, 0, "X7K2QP"},
    {"en-US", "XXXXXX", "123456#", 1, 0, "123456"},
    {"en-US", "XXXXXX", "12345", 1, 1, NULL},
    /* Several shapes: the one the caller's code has. */
    {"en-US", "AA9999|999999", "R X twelve thirty four", 0, 0, "RX1234"},
    {"en-US", "AA9999|999999", "654321", 1, 0, "654321"},
    {"en-US", "AA9999|999999", "R X 1 2 3", 0, 1, NULL},
    /* French: numbers in pairs, "vingt et un" one number, letters said alone. */
    {"fr-FR", "AA999999999AA", "A B douze trente-quatre cinquante-six soixante-dix-huit neuf G B",
     0, 0, "AB123456789GB"},
    {"fr-FR", "A9999A", "B vingt et un quarante-trois C", 0, 0, "B2143C"},
    {"fr-FR", "A9999A", "c'est B vingt et un quarante-trois C", 0, 0, "B2143C"},
    /* Spanish: "y" between two numbers joins them; alone, it is the letter. */
    {"es-ES", "A99A", "B treinta y cuatro Y", 0, 0, "B34Y"},
    {"es-ES", "A99A", "Y treinta y cuatro B", 0, 0, "Y34B"},
    /* Letters said by their names in the call's language; a code written run together by the
     * recogniser ("BE") is still read as written when the names make no code. */
    {"fr-FR", "AA999999|999999", "hache bé quatre cinq six sept huit neuf", 0, 0, "HB456789"},
    {"fr-FR", "AA999999|999999", "pé cé soixante-dix-huit quatre-vingt-dix douze", 0, 0,
     "PC789012"},
    {"fr-FR", "AA999999|999999", "BE 4 5 6 7 8 9", 0, 0, "BE456789"},
    {"fr-FR", "AA999999|999999", "double vé effe 1 2 3 4 5 6", 0, 0, "WF123456"},
    {"fr-FR", "AA999999|999999", "cent vingt-trois quatre cent cinquante-six", 0, 0, "123456"},
    {"en-GB", "AA999999999AA", "bee see one two three four five six seven eight nine gee bee", 0, 0,
     "BC123456789GB"},
    {"en-GB", "AA999999999AA", "double you aitch 123 456 789 zed ex", 0, 0, "WH123456789ZX"},
    {"en-US", "AA9999", "are you twenty three hundred", 0, 0, "RU2300"},
    {"es-ES", "9999AAA", "uno dos tres cuatro be ce de", 0, 0, "1234BCD"},
    {"es-ES", "9999AAA", "mil doscientos treinta y cuatro B C D", 0, 0, "1234BCD"},
    {"es-ES", "9999AAA", "cuatro cinco seis siete, jota ka ele", 0, 0, "4567JKL"},
    {"es-ES", "9999AAA", "doce treinta y cuatro uve doble equis i griega", 0, 0, "1234WXY"},
    {"de-DE", "AA9999", "ha be zwölf vierunddreißig", 0, 0, "HB1234"},
    {"de-DE", "AA9999", "vau we eintausendzweihundertvierunddreißig", 0, 0, "VW1234"},
    {"de-DE", "AA9999", "ypsilon zett 1 2 3 4", 0, 0, "YZ1234"},
    {"de-DE", "AA9999", "ha be zwölf", 0, 1, NULL},
};

START_TEST(test_reference_table)
{
    const struct reference_case *c = &reference_cases[_i];
    ivrsm_collect_params p;
    memset(&p, 0, sizeof p);
    p.locale = ivrsm_locale_find(c->locale);
    p.reference_patterns = c->patterns;
    ivrsm_collect_value v;
    memset(&v, 0x5A, sizeof v);
    int rc = parse(IVRSM_COLLECT_REFERENCE, &p, c->in, c->is_dtmf, &v);
    ck_assert_msg(rc == c->rc, "reference case %d \"%s\": rc %d, expected %d (text \"%s\")", _i,
                  c->in, rc, c->rc, rc == 0 ? v.text : "");
    if (c->rc == 0)
        ck_assert_msg(!strcmp(v.text, c->text), "reference case %d \"%s\": \"%s\", expected \"%s\"",
                      _i, c->in, v.text, c->text);
    else
        ck_assert_str_eq(v.text, "");
}
END_TEST

START_TEST(test_reference_patterns)
{
    ck_assert_int_eq(ivrsm_reference_patterns_check("AA999999999AA"), 0);
    ck_assert_int_eq(ivrsm_reference_patterns_check("XXXXXX|AA9999"), 0);
    ck_assert_int_eq(ivrsm_reference_patterns_check(""), -1);
    ck_assert_int_eq(ivrsm_reference_patterns_check(NULL), -1);
    ck_assert_int_eq(ivrsm_reference_patterns_check("AA#99"), -1);
    ck_assert_int_eq(ivrsm_reference_patterns_check("aa99"), -1);
    ck_assert_int_eq(ivrsm_reference_patterns_check("AA99|"), -1);
    ck_assert_int_eq(ivrsm_reference_patterns_check("|AA99"), -1);
    ck_assert_int_eq(ivrsm_reference_patterns_check("AA99||9"), -1);
    char many[200] = "9";
    for (int i = 1; i < IVRSM_COLLECT_REFERENCE_PATTERNS_MAX; i++)
        strcat(many, "|9");
    ck_assert_int_eq(ivrsm_reference_patterns_check(many), 0);
    strcat(many, "|9");
    ck_assert_int_eq(ivrsm_reference_patterns_check(many), -1);
    char longest[IVRSM_COLLECT_REFERENCE_MAX + 2];
    memset(longest, 'X', IVRSM_COLLECT_REFERENCE_MAX + 1);
    longest[IVRSM_COLLECT_REFERENCE_MAX + 1] = '\0';
    ck_assert_int_eq(ivrsm_reference_patterns_check(longest), -1);
    longest[IVRSM_COLLECT_REFERENCE_MAX] = '\0';
    ck_assert_int_eq(ivrsm_reference_patterns_check(longest), 0);
    /* A collect without patterns is a bad argument, as any parameter out of range. */
    ivrsm_collect_params p = fr_params();
    ivrsm_collect_value v;
    ck_assert_int_eq(parse(IVRSM_COLLECT_REFERENCE, &p, "AB12", 0, &v), -1);
    int min = 0, max = 0;
    ck_assert(!ivrsm_reference_keys("AA999999999AA", &min, &max));
    ck_assert(ivrsm_reference_keys("AA9999|999999|XXXX", &min, &max));
    ck_assert_int_eq(min, 4);
    ck_assert_int_eq(max, 6);
    ck_assert_int_eq(ivrsm_collect_mode_from_name("reference"), IVRSM_COLLECT_REFERENCE);
    ck_assert_str_eq(ivrsm_collect_mode_name(IVRSM_COLLECT_REFERENCE), "reference");
}
END_TEST

START_TEST(test_digits_luhn_and_terminator)
{
    ivrsm_collect_params p = digits_params();
    ivrsm_collect_value v;
    p.digits_min = 13;
    p.digits_max = 19;
    p.digits_luhn = 1;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "4111111111111111#", 1, &v), 0);
    ck_assert_str_eq(v.text, "4111111111111111");
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "4111111111111112", 1, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "5555555555554444", 1, &v), 0);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p,
                           "cinquante-cinq cinquante-cinq cinquante-cinq cinquante-cinq "
                           "cinquante-cinq cinquante-cinq quarante-quatre quarante-quatre",
                           0, &v),
                     0);
    ck_assert_str_eq(v.text, "5555555555554444");
    ck_assert(ivrsm_luhn_valid("79927398713", 11));
    ck_assert(!ivrsm_luhn_valid("79927398710", 11));
    ck_assert(!ivrsm_luhn_valid("0", 1));
    ck_assert(!ivrsm_luhn_valid("12a4", 4));
    /* Another terminator: "*" closes the entry, "#" is then no key of it. */
    p = digits_params();
    p.digits_terminator = "*";
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "1234*", 1, &v), 0);
    ck_assert_str_eq(v.text, "1234");
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "1234#", 1, &v), 1);
    p.digits_terminator = "";
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "1234#", 1, &v), 1);
    /* Exactly four. */
    p = digits_params();
    p.digits_min = p.digits_max = 4;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "123", 1, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "douze trente-quatre", 0, &v), 0);
    ck_assert_str_eq(v.text, "1234");
}
END_TEST

/*
 * A value range (min_value, max_value): the digits are a number in it, keyed or said in any
 * locale; a reading out of range gives way to another; leading zeros are no part of the
 * value; bounds out of order or past IVRSM_COLLECT_VALUE_MAX are a bad argument.
 */
START_TEST(test_digits_value_range)
{
    ivrsm_collect_params p = digits_params();
    ivrsm_collect_value v;
    p.digits_range = 1;
    p.digits_value_min = 1;
    p.digits_value_max = 5;
    p.digits_max = 1;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "5", 1, &v), 0);
    ck_assert_str_eq(v.text, "5");
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "9", 1, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "0", 1, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "1#", 1, &v), 0);
    ck_assert_str_eq(v.text, "1");
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "quatre", 0, &v), 0);
    ck_assert_str_eq(v.text, "4");
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "neuf", 0, &v), 1);
    static const struct {
        const char *tag, *said, *value;
    } said[] = {{"en-US", "four", "4"},   {"en-GB", "five", "5"},  {"es-ES", "tres", "3"},
                {"de-DE", "zwei", "2"},   {"de-DE", "neun", NULL}, {"es-ES", "nueve", NULL},
                {"en-US", "seven", NULL}, {"fr-BE", "un", "1"}};
    for (size_t i = 0; i < sizeof said / sizeof *said; i++) {
        p.locale = ivrsm_locale_find(said[i].tag);
        int r = parse(IVRSM_COLLECT_DIGITS, &p, said[i].said, 0, &v);
        ck_assert_msg(r == (said[i].value ? 0 : 1), "%s '%s': %d", said[i].tag, said[i].said, r);
        if (said[i].value)
            ck_assert_str_eq(v.text, said[i].value);
    }
    /* Two digits, 10 to 31: "05" is 5, out; "0012" is 12 once the zeros go (max 4). */
    p = digits_params();
    p.digits_range = 1;
    p.digits_value_min = 10;
    p.digits_value_max = 31;
    p.digits_max = 4;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "05", 1, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "0012", 1, &v), 0);
    ck_assert_str_eq(v.text, "12");
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "32", 1, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "vingt et un", 0, &v), 0);
    ck_assert_str_eq(v.text, "21");
    /* Zero may be in range, alone or keyed with zeros before it. */
    p.digits_value_min = 0;
    p.digits_value_max = 0;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "000", 1, &v), 0);
    ck_assert_str_eq(v.text, "0");
    /* The widest range: 18 nines in, 19 digits (past any bound) out. */
    p = digits_params();
    p.digits_max = 0;
    p.digits_range = 1;
    p.digits_value_max = IVRSM_COLLECT_VALUE_MAX;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "999999999999999999", 1, &v), 0);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "1000000000000000000", 1, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "00000000000000000000000000001", 1, &v), 0);
    ck_assert_str_eq(v.text, "1");
    /* Bad bounds. */
    p.digits_value_max = IVRSM_COLLECT_VALUE_MAX + 1;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "1", 1, &v), -1);
    p.digits_value_max = 3;
    p.digits_value_min = 4;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "1", 1, &v), -1);
    p.digits_value_min = -1;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "1", 1, &v), -1);
    /* Without digits_range the bounds are not read. */
    p.digits_range = 0;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "0042", 1, &v), 0);
    ck_assert_str_eq(v.text, "0042");
}
END_TEST

/*
 * A number in a range said as a quantity (ivrsm_words_quantity()): in a sentence, with its
 * unit, in words up to the thousands, after an article; not after a negation, a doubt or a
 * way of not knowing, nor when the sentence holds two numbers. A collect without a range
 * (a code) picks no number out of a sentence. An article before a number word is no digit in
 * any reading ("un cinco" is 5, not 15).
 */
START_TEST(test_digits_quantity)
{
    static const struct {
        const char *tag;
        int64_t max;
        const char *said, *value;
    } cases[] = {
        {"fr-FR", 1000000, "deux mille trois cents euros", "2300"},
        {"fr-FR", 1000000, "euh à peu près 1500 euros", "1500"},
        {"fr-FR", 1000000, "mille deux cents", "1200"},
        {"fr-FR", 1000000, "environ trois mille euros je dirais", "3000"},
        {"fr-FR", 1000000, "huit cent cinquante euros", "850"},
        {"fr-FR", 1000000, "cent cinquante euros", "150"},
        {"fr-FR", 1000000, "deux ou trois mille euros", NULL},
        {"fr-FR", 1000000, "pas trois mille", NULL},
        {"fr-FR", 1000000, "je ne sais pas", NULL},
        {"en-US", 100000, "about three thousand dollars", "3000"},
        {"en-US", 100000, "three thousand five hundred dollars", "3500"},
        {"en-US", 100000, "a thousand and fifty", "1050"},
        {"en-US", 100000, "two thousand five hundred", "2500"},
        {"en-US", 100000, "maybe three thousand", NULL},
        {"de-DE", 10, "drei Tage", "3"},
        {"de-DE", 10, "ungefähr vier Tage", "4"},
        {"de-DE", 10, "einen Tag", "1"},
        {"de-DE", 10, "eine Fünf", "5"},
        {"de-DE", 10, "zwölf Tage", NULL},
        {"de-DE", 10, "nicht drei Tage", NULL},
        {"de-DE", 10000, "zweitausend Euro", "2000"},
        {"es-ES", 5, "un cinco", "5"},
        {"es-ES", 5, "le doy un cuatro", "4"},
        {"es-ES", 5, "la nota es 5", "5"},
        {"es-ES", 5, "no sé", NULL},
        {"es-ES", 5, "un tres o un cuatro", NULL},
        {"es-ES", 20, "un cinco", "5"},
        {"es-ES", 5000, "dos mil quinientos euros", "2500"},
        /* Thousands written apart by the recogniser; numbers said as one word or split. */
        {"fr-FR", 1000000, "euh 2 500 euros", "2500"},
        {"fr-FR", 1000000, "12 345 euros", "12345"},
        {"fr-FR", 1000000, "2 ou 300 euros", NULL},
        {"fr-FR", 1000000, "vingt trois cents euros", "2300"},
        {"en-US", 100000, "2,500 dollars", "2500"},
        {"en-US", 100000, "twenty three hundred dollars", "2300"},
        {"en-US", 100000, "nineteen hundred", "1900"},
        {"de-DE", 1000000, "zwölftausenddreihundertfünfundvierzig", "12345"},
        {"de-DE", 1000000, "zwölftausend dreihundert fünfundvierzig", "12345"},
        {"de-DE", 1000000, "dreiundzwanzighundert", "2300"},
        {"de-DE", 1000000, "ungefähr fünfundvierzigtausend", "45000"},
        {"de-DE", 1000000, "einhundertzwanzig Kubikmeter", "120"},
        {"es-ES", 1000000, "mil doscientos treinta y cuatro euros", "1234"},
    };
    ivrsm_collect_value v;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ivrsm_collect_params p = digits_params();
        p.locale = ivrsm_locale_find(cases[i].tag);
        p.digits_max = 0;
        p.digits_range = 1;
        p.digits_value_min = 1;
        p.digits_value_max = cases[i].max;
        int r = parse(IVRSM_COLLECT_DIGITS, &p, cases[i].said, 0, &v);
        ck_assert_msg(r == (cases[i].value ? 0 : 1), "%s '%s': %d", cases[i].tag, cases[i].said, r);
        if (cases[i].value)
            ck_assert_msg(strcmp(v.text, cases[i].value) == 0, "%s '%s': %s, not %s", cases[i].tag,
                          cases[i].said, v.text, cases[i].value);
    }
    /* A code is not picked out of a sentence. */
    ivrsm_collect_params p = digits_params();
    p.locale = ivrsm_locale_find("es-ES");
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "la nota es 5", 0, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "un cinco", 0, &v), 0);
    ck_assert_str_eq(v.text, "5");
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "uno cinco", 0, &v), 0);
    ck_assert_str_eq(v.text, "15");
    /* French "un" before a number is the digit: "un deux trois". */
    p.locale = ivrsm_locale_find("fr-FR");
    ck_assert_int_eq(parse(IVRSM_COLLECT_DIGITS, &p, "un deux trois", 0, &v), 0);
    ck_assert_str_eq(v.text, "123");
}
END_TEST

START_TEST(test_otp_table)
{
    ivrsm_collect_params p = fr_params();
    check_case(IVRSM_COLLECT_OTP, &p, &otp_cases[_i], _i);
}
END_TEST

START_TEST(test_otp_length_parameter)
{
    ivrsm_collect_params p = fr_params();
    ivrsm_collect_value v;
    p.otp_length = 4;
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "1234#", 1, &v), 0);
    ck_assert_str_eq(v.text, "1234");
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "douze trente-quatre", 0, &v), 0);
    ck_assert_str_eq(v.text, "1234");
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "123456", 1, &v), 1);
    p.otp_length = 8;
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "12 34 56 78", 0, &v), 0);
    ck_assert_str_eq(v.text, "12345678");
    p.otp_length = IVRSM_COLLECT_OTP_MAX;
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "12345678901234567890123456789012", 1, &v), 0);
    ck_assert_str_eq(v.text, "12345678901234567890123456789012");
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "123456789012345678901234567890123", 1, &v), 1);
}
END_TEST

/* ---------------------------------------------------------------------------
 * date_nl
 * ------------------------------------------------------------------------- */

struct date_case {
    const char *in;
    int is_dtmf;
    int rc;
    const char *from;
    const char *to;
};

/* Said on Wednesday 2026-11-25 at 10:00 in Paris. */
static const struct date_case date_cases[] = {
    {"aujourd'hui", 0, 0, "2026-11-25", "2026-11-25"},
    {"Aujourd\xe2\x80\x99hui", 0, 0, "2026-11-25", "2026-11-25"},
    {"demain", 0, 0, "2026-11-26", "2026-11-26"},
    {"Demain matin", 0, 0, "2026-11-26", "2026-11-26"},
    {"apr\xc3\xa8s-demain", 0, 0, "2026-11-27", "2026-11-27"},
    {"APR\xc3\x88S DEMAIN", 0, 0, "2026-11-27", "2026-11-27"},
    {"lundi", 0, 0, "2026-11-30", "2026-11-30"},
    {"mercredi", 0, 0, "2026-12-02", "2026-12-02"}, /* today excluded */
    {"jeudi", 0, 0, "2026-11-26", "2026-11-26"},
    {"le vendredi", 0, 0, "2026-11-27", "2026-11-27"},
    {"ce samedi", 0, 0, "2026-11-28", "2026-11-28"},
    {"dimanche", 0, 0, "2026-11-29", "2026-11-29"},
    {"lundi prochain", 0, 0, "2026-11-30", "2026-11-30"},
    {"jeudi prochain", 0, 0, "2026-12-03", "2026-12-03"},
    {"mercredi prochain", 0, 0, "2026-12-02", "2026-12-02"},
    {"dimanche prochain", 0, 0, "2026-12-06", "2026-12-06"},
    {"mardi la semaine prochaine", 0, 0, "2026-12-01", "2026-12-01"},
    {"la semaine prochaine", 0, 0, "2026-11-30", "2026-12-06"},
    {"cette semaine", 0, 0, "2026-11-25", "2026-11-29"},
    {"le mois prochain", 0, 0, "2026-12-01", "2026-12-31"},
    {"dans 3 jours", 0, 0, "2026-11-28", "2026-11-28"},
    {"dans trois jours", 0, 0, "2026-11-28", "2026-11-28"},
    {"dans un jour", 0, 0, "2026-11-26", "2026-11-26"},
    {"dans quinze jours", 0, 0, "2026-12-10", "2026-12-10"},
    {"dans une semaine", 0, 0, "2026-12-02", "2026-12-02"},
    {"dans deux semaines", 0, 0, "2026-12-09", "2026-12-09"},
    {"dans 2 semaines", 0, 0, "2026-12-09", "2026-12-09"},
    {"dans quarante jours", 0, 0, "2027-01-04", "2027-01-04"},
    {"le 3 d\xc3\xa9"
     "cembre",
     0, 0, "2026-12-03", "2026-12-03"},
    {"le trois d\xc3\xa9"
     "cembre",
     0, 0, "2026-12-03", "2026-12-03"},
    {"le premier d\xc3\xa9"
     "cembre",
     0, 0, "2026-12-01", "2026-12-01"},
    {"le 1er d\xc3\xa9"
     "cembre",
     0, 0, "2026-12-01", "2026-12-01"},
    {"le 25 novembre", 0, 0, "2026-11-25", "2026-11-25"}, /* today is not past */
    {"le 24 novembre", 0, 0, "2027-11-24", "2027-11-24"},
    {"le 3 janvier", 0, 0, "2027-01-03", "2027-01-03"},
    {"le vingt et un mars", 0, 0, "2027-03-21", "2027-03-21"},
    {"le trente et un d\xc3\xa9"
     "cembre",
     0, 0, "2026-12-31", "2026-12-31"},
    {"lundi 7 d\xc3\xa9"
     "cembre",
     0, 0, "2026-12-07", "2026-12-07"},
    {"le 3 d\xc3\xa9"
     "cembre 2027",
     0, 0, "2027-12-03", "2027-12-03"},
    {"le 3 d\xc3\xa9"
     "cembre prochain",
     0, 0, "2026-12-03", "2026-12-03"},
    {"le 3 janvier prochain", 0, 0, "2027-01-03", "2027-01-03"},
    {"le 3", 0, 0, "2026-12-03", "2026-12-03"},
    {"le 30", 0, 0, "2026-11-30", "2026-11-30"},
    {"le 25", 0, 0, "2026-11-25", "2026-11-25"},
    {"le 31", 0, 0, "2026-12-31", "2026-12-31"},
    {"3/12", 0, 0, "2026-12-03", "2026-12-03"},
    {"le 3/12", 0, 0, "2026-12-03", "2026-12-03"},
    {"03/12/2027", 0, 0, "2027-12-03", "2027-12-03"},
    {"3/12/27", 0, 0, "2027-12-03", "2027-12-03"},
    {"03.12.2027", 0, 0, "2027-12-03", "2027-12-03"},
    {"1/1", 0, 0, "2027-01-01", "2027-01-01"},
    {"d\xc3\xa8s que possible", 0, 0, "2026-11-25", "2026-12-08"},
    {"DES QUE POSSIBLE", 0, 0, "2026-11-25", "2026-12-08"},
    {"le plus t\xc3\xb4t possible", 0, 0, "2026-11-25", "2026-12-08"},
    {"je ne sais pas", 0, 0, "2026-11-25", "2026-12-08"},
    {"n'importe quand", 0, 0, "2026-11-25", "2026-12-08"},
    {"pas de pr\xc3\xa9"
     "f\xc3\xa9rence",
     0, 0, "2026-11-25", "2026-12-08"},
    {"euh, plut\xc3\xb4t jeudi", 0, 0, "2026-11-26", "2026-11-26"},
    {"c'est pour demain, s'il vous pla\xc3\xaet", 0, 0, "2026-11-26", "2026-11-26"},
    {"\xc3\xa0 partir du 3 d\xc3\xa9"
     "cembre",
     0, 0, "2026-12-03", "2026-12-03"},
    {"je suis disponible \xc3\xa0 partir de lundi prochain", 0, 0, "2026-11-30", "2026-11-30"},
    {"d\xc3\xa8s lundi", 0, 0, "2026-11-30", "2026-11-30"},
    {"d\xc3\xa8s demain", 0, 0, "2026-11-26", "2026-11-26"},
    {"A partir d'apr\xc3\xa8s-demain", 0, 0, "2026-11-27", "2026-11-27"},
    {"euh d\xc3\xa8s que possible", 0, 0, "2026-11-25", "2026-12-08"},
    {"d\xc3\xa8s", 0, 1, NULL, NULL},
    {"\xc3\xa0 partir de", 0, 1, NULL, NULL},
    {"0312#", 1, 0, "2026-12-03", "2026-12-03"},
    {"03122027", 1, 0, "2027-12-03", "2027-12-03"},
    /* not dates */
    {"le 31 f\xc3\xa9vrier", 0, 1, NULL, NULL},
    {"le 30 f\xc3\xa9vrier", 0, 1, NULL, NULL},
    {"le 29 f\xc3\xa9vrier", 0, 1, NULL, NULL}, /* 2027 is a common year */
    {"31/02", 0, 1, NULL, NULL},
    {"le 32", 0, 1, NULL, NULL},
    {"le 0 mars", 0, 1, NULL, NULL},
    {"13/13", 0, 1, NULL, NULL},
    {"03/12/2025", 0, 1, NULL, NULL}, /* past */
    {"le 3 d\xc3\xa9"
     "cembre 2020",
     0, 1, NULL, NULL},
    {"dans z\xc3\xa9ro jours", 0, 1, NULL, NULL},
    {"dans trois", 0, 1, NULL, NULL},
    {"dans trois mois", 0, 1, NULL, NULL},
    {"hier", 0, 1, NULL, NULL},
    {"lundi ou mardi", 0, 1, NULL, NULL},
    {"demain demain", 0, 1, NULL, NULL},
    {"bonjour", 0, 1, NULL, NULL},
    {"", 0, 1, NULL, NULL},
    {"   ", 0, 1, NULL, NULL},
    {"d\xe9"
     "cembre",
     0, 1, NULL, NULL}, /* invalid UTF-8 */
    {"3112#", 1, 0, "2026-12-31", "2026-12-31"},
    {"3102#", 1, 1, NULL, NULL},
    {"312", 1, 1, NULL, NULL},
    {"03/12/2027/1", 0, 1, NULL, NULL},
};

static void check_date(const ivrsm_collect_params *p, const struct date_case *c, int index)
{
    ivrsm_collect_value v;
    memset(&v, 0x5A, sizeof v);
    int rc = parse(IVRSM_COLLECT_DATE_NL, p, c->in, c->is_dtmf, &v);
    ck_assert_msg(rc == c->rc, "date case %d \"%s\": rc %d, expected %d (%s..%s)", index, c->in, rc,
                  c->rc, rc == 0 ? v.text : "", rc == 0 ? v.date_to : "");
    if (c->rc == 0) {
        ck_assert_msg(strcmp(v.text, c->from) == 0 && strcmp(v.date_to, c->to) == 0,
                      "date case %d \"%s\": %s..%s, expected %s..%s", index, c->in, v.text,
                      v.date_to, c->from, c->to);
    } else {
        ck_assert_str_eq(v.text, "");
        ck_assert_str_eq(v.date_to, "");
    }
}

START_TEST(test_date_table)
{
    ivrsm_tz *tz;
    ivrsm_collect_params p = paris_params(&tz, NOW_2026_11_25);
    check_date(&p, &date_cases[_i], _i);
    ivrsm_tz_free(tz);
}
END_TEST

START_TEST(test_date_asap_days)
{
    ivrsm_tz *tz;
    ivrsm_collect_params p = paris_params(&tz, NOW_2026_11_25);
    ivrsm_collect_value v;
    p.asap_days = 7;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DATE_NL, &p, "au plus vite", 0, &v), 0);
    ck_assert_str_eq(v.text, "2026-11-25");
    ck_assert_str_eq(v.date_to, "2026-12-01");
    p.asap_days = 1;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DATE_NL, &p, "peu importe", 0, &v), 0);
    ck_assert_str_eq(v.text, "2026-11-25");
    ck_assert_str_eq(v.date_to, "2026-11-25");
    /* A clock far outside the years a date is written with: no date, no crash. */
    p.asap_days = 0;
    p.now_ms = INT64_MAX;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DATE_NL, &p, "demain", 0, &v), 1);
    p.now_ms = INT64_MIN;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DATE_NL, &p,
                           "le 3 d\xc3\xa9"
                           "cembre",
                           0, &v),
                     1);
    p.now_ms = NOW_2026_11_25;
    p.asap_days = IVRSM_COLLECT_ASAP_DAYS_MAX + 1;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DATE_NL, &p, "peu importe", 0, &v), -1);
    ivrsm_tz_free(tz);
}
END_TEST

/* The local date, not the UTC one, is "today". */
START_TEST(test_date_local_day_and_year_end)
{
    ivrsm_tz *tz;
    /* 2026-12-31T23:30:00+01:00 is still 2026 in Paris (22:30 UTC). */
    ivrsm_collect_params p = paris_params(&tz, 1798756200000LL);
    ivrsm_collect_value v;
    static const struct date_case year_end[] = {
        {"aujourd'hui", 0, 0, "2026-12-31", "2026-12-31"},
        {"demain", 0, 0, "2027-01-01", "2027-01-01"},
        {"le 1er janvier", 0, 0, "2027-01-01", "2027-01-01"},
        {"le 31 d\xc3\xa9"
         "cembre",
         0, 0, "2026-12-31", "2026-12-31"},
        {"le 30 d\xc3\xa9"
         "cembre",
         0, 0, "2027-12-30", "2027-12-30"},
        {"la semaine prochaine", 0, 0, "2027-01-04", "2027-01-10"},
        {"le mois prochain", 0, 0, "2027-01-01", "2027-01-31"},
        {"dans deux jours", 0, 0, "2027-01-02", "2027-01-02"},
        {"le 2", 0, 0, "2027-01-02", "2027-01-02"},
        {"le 29 f\xc3\xa9vrier", 0, 1, NULL, NULL},
        {"le 29 f\xc3\xa9vrier 2028", 0, 0, "2028-02-29", "2028-02-29"},
    };
    for (size_t i = 0; i < sizeof year_end / sizeof year_end[0]; i++)
        check_date(&p, &year_end[i], (int)i);
    /* Half an hour later it is 2027 in Paris, still 2026 in UTC. */
    p.now_ms = 1798756200000LL + 3600000LL;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DATE_NL, &p, "aujourd'hui", 0, &v), 0);
    ck_assert_str_eq(v.text, "2027-01-01");
    ivrsm_tz *utc = ivrsm_tz_new("UTC", ivrsm_mem_default());
    p.tz = utc;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DATE_NL, &p, "aujourd'hui", 0, &v), 0);
    ck_assert_str_eq(v.text, "2026-12-31");
    ivrsm_tz_free(utc);
    ivrsm_tz_free(tz);
}
END_TEST

START_TEST(test_date_around_dst)
{
    ivrsm_tz *tz;
    /* Saturday 2026-03-28T23:30:00Z is Sunday 00:30 in Paris (still UTC+1). */
    ivrsm_collect_params p = paris_params(&tz, 1774740600000LL);
    static const struct date_case spring[] = {
        {"aujourd'hui", 0, 0, "2026-03-29", "2026-03-29"},
        {"demain", 0, 0, "2026-03-30", "2026-03-30"},
        {"lundi", 0, 0, "2026-03-30", "2026-03-30"},
        {"lundi prochain", 0, 0, "2026-03-30", "2026-03-30"},
        {"dimanche", 0, 0, "2026-04-05", "2026-04-05"},
        {"la semaine prochaine", 0, 0, "2026-03-30", "2026-04-05"},
        {"cette semaine", 0, 0, "2026-03-29", "2026-03-29"},
        {"le 3 janvier", 0, 0, "2027-01-03", "2027-01-03"},
    };
    for (size_t i = 0; i < sizeof spring / sizeof spring[0]; i++)
        check_date(&p, &spring[i], (int)i);
    /* 2026-10-24T22:30:00Z is Sunday 2026-10-25 00:30 in Paris (UTC+2). */
    p.now_ms = 1792881000000LL;
    static const struct date_case autumn[] = {
        {"aujourd'hui", 0, 0, "2026-10-25", "2026-10-25"},
        {"dans une semaine", 0, 0, "2026-11-01", "2026-11-01"},
    };
    for (size_t i = 0; i < sizeof autumn / sizeof autumn[0]; i++)
        check_date(&p, &autumn[i], (int)i);
    ivrsm_tz_free(tz);
}
END_TEST

/* ---------------------------------------------------------------------------
 * free_speech_or_no
 * ------------------------------------------------------------------------- */

struct speech_case {
    const char *in;
    int is_dtmf;
    int rc;
    int said_no;
    const char *text;
};

static const struct speech_case speech_cases[] = {
    {"non", 0, 0, 1, ""},
    {"Non.", 0, 0, 1, ""},
    {"NON MERCI", 0, 0, 1, ""},
    {"non, merci", 0, 0, 1, ""},
    {"euh non merci beaucoup", 0, 0, 1, ""},
    {"pas de commentaire", 0, 0, 1, ""},
    {"Pas de commentaires !", 0, 0, 1, ""},
    {"aucun commentaire", 0, 0, 1, ""},
    {"rien", 0, 0, 1, ""},
    {"Rien du tout.", 0, 0, 1, ""},
    {"aucun", 0, 0, 1, ""},
    {"je n'ai rien \xc3\xa0 ajouter", 0, 0, 1, ""},
    {"non c'est tout, au revoir", 0, 0, 1, ""},
    {"  non  ", 0, 0, 1, ""},
    {"Le m\xc3\xa9"
     "decin est en retard",
     0, 0, 0,
     "Le m\xc3\xa9"
     "decin est en retard"},
    {"  je   ne peux\tpas venir \n ", 0, 0, 0, "je ne peux pas venir"},
    {"non je ne peux pas venir", 0, 0, 0, "non je ne peux pas venir"},
    {"rien ne va plus", 0, 0, 0, "rien ne va plus"},
    {"non non non j'ai un emp\xc3\xaa"
     "chement",
     0, 0, 0,
     "non non non j'ai un emp\xc3\xaa"
     "chement"},
    {"C\xe2\x80\x99\xc3\xa9tait trop loin\xe2\x80\xaf!", 0, 0, 0,
     "C\xe2\x80\x99\xc3\xa9tait trop loin\xe2\x80\xaf!"},
    {"merci", 0, 0, 0, "merci"},
    {"ok", 0, 0, 0, "ok"},
    {"1", 0, 0, 0, "1"},
    {"", 0, 1, 0, NULL},
    {"    ", 0, 1, 0, NULL},
    {"\t\n", 0, 1, 0, NULL},
    {"...", 0, 1, 0, NULL},
    {"caf\xe9", 0, 1, 0, NULL},
    {"\xc3", 0, 1, 0, NULL},
    {"2", 1, 0, 1, ""},
    {"#", 1, 0, 1, ""},
    {"1#", 1, 0, 1, ""},
    {"*", 1, 0, 1, ""},
    {"", 1, 1, 0, NULL},
    {"x", 1, 1, 0, NULL},
};

START_TEST(test_speech_table)
{
    const struct speech_case *c = &speech_cases[_i];
    ivrsm_collect_params p = fr_params();
    ivrsm_collect_value v;
    memset(&v, 0x5A, sizeof v);
    int rc = parse(IVRSM_COLLECT_FREE_SPEECH_OR_NO, &p, c->in, c->is_dtmf, &v);
    ck_assert_msg(rc == c->rc, "speech case %d \"%s\": rc %d, expected %d", _i, c->in, rc, c->rc);
    if (c->rc == 0) {
        ck_assert_int_eq(v.said_no, c->said_no);
        ck_assert_str_eq(v.text, c->text);
    } else {
        ck_assert_int_eq(v.said_no, 0);
        ck_assert_str_eq(v.text, "");
    }
}
END_TEST

START_TEST(test_speech_long_comment_is_cut_on_a_character)
{
    ivrsm_collect_params p = fr_params();
    ivrsm_collect_value v;
    /* 3000 "é" = 6000 bytes: cut at 4094 bytes (2047 characters), never inside one. */
    size_t len = 6000;
    char *in = malloc(len);
    ck_assert_ptr_nonnull(in);
    for (size_t i = 0; i < len; i += 2) {
        in[i] = (char)0xC3;
        in[i + 1] = (char)0xA9;
    }
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_FREE_SPEECH_OR_NO, &p, in, len, 0, &v), 0);
    ck_assert_int_eq(v.said_no, 0);
    ck_assert_uint_eq(strlen(v.text), 4094);
    ck_assert_int_eq((unsigned char)v.text[4093], 0xA9);
    free(in);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Garbage for every parser
 * ------------------------------------------------------------------------- */

START_TEST(test_garbage_never_crashes)
{
    ivrsm_tz *tz;
    ivrsm_collect_params p = paris_params(&tz, NOW_2026_11_25);
    static const ivrsm_collect_mode modes[] = {IVRSM_COLLECT_PHONE, IVRSM_COLLECT_OTP,
                                               IVRSM_COLLECT_DATE_NL};
    ivrsm_collect_value v;
    unsigned seed = 987654321u;
    size_t sizes[] = {1, 7, 64, 4096, 4097, 9000};
    char *buf = malloc(9000);
    ck_assert_ptr_nonnull(buf);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int round = 0; round < 20; round++) {
            for (size_t i = 0; i < sizes[s]; i++) {
                seed = seed * 1103515245u + 12345u;
                buf[i] = (char)(seed >> 16);
            }
            for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
                for (int dtmf = 0; dtmf < 2; dtmf++)
                    ck_assert_int_eq(ivrsm_collect_parse(modes[m], &p, buf, sizes[s], dtmf, &v), 1);
            }
            /* Free speech keeps any valid text; random bytes are almost never valid UTF-8. */
            int rc = ivrsm_collect_parse(IVRSM_COLLECT_FREE_SPEECH_OR_NO, &p, buf, sizes[s], 0, &v);
            ck_assert(rc == 0 || rc == 1);
        }
    }
    /* Long but well-formed inputs: a digit flood and a word flood. */
    memset(buf, '1', 9000);
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        ck_assert_int_eq(ivrsm_collect_parse(modes[m], &p, buf, 4096, 1, &v), 1);
        ck_assert_int_eq(ivrsm_collect_parse(modes[m], &p, buf, 4096, 0, &v), 1);
    }
    for (size_t i = 0; i + 4 < 9000; i += 4)
        memcpy(buf + i, "six ", 4);
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
        ck_assert_int_eq(ivrsm_collect_parse(modes[m], &p, buf, 4096, 0, &v), 1);
    for (size_t i = 0; i + 2 < 9000; i += 2)
        memcpy(buf + i, "a ", 2);
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++)
        ck_assert_int_eq(ivrsm_collect_parse(modes[m], &p, buf, 4096, 0, &v), 1);
    for (size_t i = 0; i + 2 < 9000; i += 2)
        memcpy(buf + i, "1/", 2);
    ck_assert_int_eq(ivrsm_collect_parse(IVRSM_COLLECT_DATE_NL, &p, buf, 4096, 0, &v), 1);
    free(buf);
    ivrsm_tz_free(tz);
}
END_TEST

/* ---------------------------------------------------------------------------
 * A second locale: Belgian French, a table and no code of its own
 * ------------------------------------------------------------------------- */

START_TEST(test_locale_fr_be)
{
    ivrsm_collect_params p = fr_params();
    p.locale = ivrsm_locale_find("fr-BE");
    ivrsm_collect_value v;
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p, "0470123456#", 1, &v), 0);
    ck_assert_str_eq(v.text, "+32470123456");
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p, "02 123 45 67", 0, &v), 0);
    ck_assert_str_eq(v.text, "+3221234567");
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p,
                           "z\xc3\xa9ro quatre septante, douze, nonante-huit, septante et un", 0,
                           &v),
                     0);
    ck_assert_str_eq(v.text, "+32470129871");
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p,
                           "plus trente-deux quatre septante douze trente-quatre cinquante-six", 0,
                           &v),
                     0);
    ck_assert_str_eq(v.text, "+32470123456");
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p, "0612345678#", 1, &v), 0);
    ck_assert_str_eq(v.text, "+32612345678");
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p, "0033612345678#", 1, &v), 0);
    ck_assert_str_eq(v.text, "+33612345678"); /* a French number, dialled from Belgium */
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p, "06123456789#", 1, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p, "0612345#", 1, &v), 1);
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "septante-sept nonante-neuf douze", 0, &v), 0);
    ck_assert_str_eq(v.text, "779912");
    /* France has no septante: the same words are not a code there. */
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP,
                           &(ivrsm_collect_params){.locale = ivrsm_locale_find("fr-FR")},
                           "septante-sept nonante-neuf douze", 0, &v),
                     1);
    ivrsm_tz *tz = ivrsm_tz_new("Europe/Brussels", ivrsm_mem_default());
    p.tz = tz;
    p.now_ms = NOW_2026_11_25;
    ck_assert_int_eq(parse(IVRSM_COLLECT_DATE_NL, &p, "dans septante jours", 0, &v), 0);
    ck_assert_str_eq(v.text, "2027-02-03");
    ivrsm_tz_free(tz);
}
END_TEST

START_TEST(test_locale_fr_ch)
{
    ivrsm_collect_params p = fr_params();
    p.locale = ivrsm_locale_find("fr-CH");
    ck_assert_ptr_nonnull(p.locale);
    ivrsm_collect_value v;
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p,
                           "z\xc3\xa9ro sept huitante-huit vingt-trois z\xc3\xa9ro quatre dix", 0,
                           &v),
                     0);
    ck_assert_str_eq(v.text, "+41788230410");
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p, "+41 79 823 04 10", 0, &v), 0);
    ck_assert_str_eq(v.text, "+41798230410");
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "huitante et un nonante-neuf septante", 0, &v),
                     0);
    ck_assert_str_eq(v.text, "819970");
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "quatre-vingt-un nonante-neuf octante", 0, &v),
                     0);
    ck_assert_str_eq(v.text, "819980");
}
END_TEST

/* ---------------------------------------------------------------------------
 * The words of one locale, the numbering plan of another (phone_plan)
 * ------------------------------------------------------------------------- */

START_TEST(test_phone_plan_of_another_locale)
{
    ivrsm_collect_params p = fr_params();
    p.locale = ivrsm_locale_find("en-US");
    ivrsm_collect_value v;
    /* English words, US numbers: a French number is not one. */
    ck_assert_int_eq(
        parse(IVRSM_COLLECT_PHONE, &p, "oh six twelve thirty four fifty six seventy eight", 0, &v),
        1);
    p.phone_plan = ivrsm_locale_find("fr-FR");
    ck_assert_int_eq(
        parse(IVRSM_COLLECT_PHONE, &p, "oh six twelve thirty four fifty six seventy eight", 0, &v),
        0);
    ck_assert_str_eq(v.text, "+33612345678");
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p,
                           "oh six, one two, double three, four four, five five", 0, &v),
                     0);
    ck_assert_str_eq(v.text, "+33612334455");
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p, "0612345678#", 1, &v), 0);
    ck_assert_str_eq(v.text, "+33612345678");
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p,
                           "plus one two one two five five five one two one two", 0, &v),
                     0);
    ck_assert_str_eq(v.text, "+12125551212"); /* abroad, with its country code */
    ck_assert_int_eq(
        parse(IVRSM_COLLECT_PHONE, &p, "two one two five five five one two one two", 0, &v),
        1); /* a US number without +1 is not French */
    /* The French words stay French: a plan is numbers, not words. */
    ck_assert_int_eq(parse(IVRSM_COLLECT_PHONE, &p,
                           "zéro six douze trente-quatre cinquante-six "
                           "soixante-dix-huit",
                           0, &v),
                     1);
    /* Other modes ignore the plan. */
    ck_assert_int_eq(parse(IVRSM_COLLECT_OTP, &p, "one two three four five six", 0, &v), 0);
    ck_assert_str_eq(v.text, "123456");
}
END_TEST

/* ---------------------------------------------------------------------------
 * ivrsm_phone_e164: a caller id in E.164, as the phone collect reads keys
 * ------------------------------------------------------------------------- */

/* Every keyed case of the phone table that is digits after an optional '+' reads the same. */
START_TEST(test_phone_e164_is_the_collect)
{
    ivrsm_collect_params p = fr_params();
    size_t tried = 0;
    for (size_t i = 0; i < sizeof(phone_cases) / sizeof(*phone_cases); i++) {
        const struct parse_case *c = &phone_cases[i];
        const char *digits = c->in + (c->in[0] == '+');
        if (!c->is_dtmf || !*digits || strspn(digits, "0123456789") != strlen(digits))
            continue;
        tried++;
        ivrsm_collect_value v;
        int collected = parse(IVRSM_COLLECT_PHONE, &p, c->in, 1, &v);
        char out[IVRSM_E164_SIZE];
        int rc = ivrsm_phone_e164("fr-FR", c->in, out, sizeof(out));
        ck_assert_msg(rc == (collected == 0 ? 0 : IVRSM_EINVAL), "\"%s\": %d", c->in, rc);
        ck_assert_str_eq(out, collected == 0 ? v.text : "");
    }
    ck_assert_uint_ge(tried, 5);
}
END_TEST

START_TEST(test_phone_e164_plans_and_refusals)
{
    static const struct {
        const char *region, *number;
        int rc;
        const char *e164;
    } cases[] = {
        {"fr-FR", "0612345678", 0, "+33612345678"},
        {"fr-FR", "612345678", 0, "+33612345678"}, /* without the trunk prefix */
        {"fr-FR", "0033612345678", 0, "+33612345678"},
        {"fr-FR", "+41221234567", 0, "+41221234567"}, /* another country: as given */
        {"fr-FR", "+33612", IVRSM_EINVAL, ""},        /* the region's own: its plan */
        {"en-US", "2125551212", 0, "+12125551212"},
        {"en-US", "12125551212", 0, "+12125551212"},
        {"en-US", "0612345678", IVRSM_EINVAL, ""},
        {"de-DE", "030123456", 0, "+4930123456"},
        {"fr", "0612345678", 0, "+33612345678"}, /* a tag as phone_region takes it */
        {"xx-YY", "0612345678", IVRSM_ENOTFOUND, ""},
        {"fr-FR", "anonymous", IVRSM_EINVAL, ""},
        {"fr-FR", "sip:alice@example.com", IVRSM_EINVAL, ""},
        {"fr-FR", "*33612345678", IVRSM_EINVAL, ""}, /* a keypad's '*' is no '+' here */
        {"fr-FR", "0612345678#", IVRSM_EINVAL, ""},
        {"fr-FR", "06 12 34 56 78", IVRSM_EINVAL, ""},
        {"fr-FR", "+", IVRSM_EINVAL, ""},
        {"fr-FR", "", IVRSM_EINVAL, ""},
        {"fr-FR", "0612345678901234567890123", IVRSM_EINVAL, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char out[IVRSM_E164_SIZE];
        memset(out, 'x', sizeof(out));
        int rc = ivrsm_phone_e164(cases[i].region, cases[i].number, out, sizeof(out));
        ck_assert_msg(rc == cases[i].rc, "%s %s: %d, want %d", cases[i].region, cases[i].number, rc,
                      cases[i].rc);
        ck_assert_msg(!strcmp(out, cases[i].e164), "%s %s: \"%s\"", cases[i].region,
                      cases[i].number, out);
    }
    char out[IVRSM_E164_SIZE];
    ck_assert_int_eq(ivrsm_phone_e164(NULL, "0612345678", out, sizeof(out)), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_phone_e164("fr-FR", NULL, out, sizeof(out)), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_phone_e164("fr-FR", "0612345678", NULL, sizeof(out)), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_phone_e164("fr-FR", "0612345678", out, IVRSM_E164_SIZE - 1),
                     IVRSM_EINVAL);
}
END_TEST

static ivrsm_machine *machine_of(const char *head)
{
    char yaml[512];
    snprintf(yaml, sizeof(yaml),
             "machine: m\nversion: '1'\n%sstates:\n"
             "  bye: {type: prompt_end, prompt: '.'}\n",
             head);
    ivrsm_machine *m = NULL;
    ivrsm_error err = {0};
    ck_assert_msg(ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "m", &m, &err) ==
                      0,
                  "%s", err.message);
    return m;
}

/* A machine reads numbers by its phone_region, else its locale, else its first language. */
START_TEST(test_machine_phone_e164)
{
    static const struct {
        const char *head;
        const char *e164; /* of "0612345678"; "" when not a number there */
    } cases[] = {
        {"locale: fr-FR\n", "+33612345678"},
        {"locale: en-US\n", ""},
        {"languages: [en-US, fr-FR]\n", ""},
        {"languages: [fr-FR, en-US]\n", "+33612345678"},
        {"languages: [en-US, fr-FR]\nphone_region: fr-FR\n", "+33612345678"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        ivrsm_machine *m = machine_of(cases[i].head);
        char out[IVRSM_E164_SIZE];
        int rc = ivrsm_machine_phone_e164(m, "0612345678", out, sizeof(out));
        ck_assert_msg(rc == (*cases[i].e164 ? 0 : IVRSM_EINVAL), "%s: %d", cases[i].head, rc);
        ck_assert_str_eq(out, cases[i].e164);
        ck_assert_int_eq(ivrsm_machine_phone_e164(m, "+41221234567", out, sizeof(out)), 0);
        ck_assert_str_eq(out, "+41221234567");
        ivrsm_machine_unref(m);
    }
    char out[IVRSM_E164_SIZE];
    ck_assert_int_eq(ivrsm_machine_phone_e164(NULL, "0612345678", out, sizeof(out)), IVRSM_EINVAL);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Time zones
 * ------------------------------------------------------------------------- */

struct tz_case {
    const char *zone;
    int64_t at;
    int offset;
};

static const struct tz_case tz_cases[] = {
    /* Paris 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC. */
    {"Europe/Paris", 1774745999, 3600},
    {"Europe/Paris", 1774746000, 7200},
    {"Europe/Paris", 1792889999, 7200},
    {"Europe/Paris", 1792890000, 3600},
    {"Europe/Paris", 1795597200, 3600},
    {"CET-1CEST,M3.5.0,M10.5.0/3", 1774746000, 7200},
    {"CET-1CEST,M3.5.0,M10.5.0/3", 1792890000, 3600},
    {"UTC0", 1774746000, 0},
    {"UTC", 1792890000, 0},
    {"Etc/UTC", 0, 0},
    {"GMT", 0, 0},
    {"<+03>-3", 1774746000, 10800},
    {"Europe/Istanbul", 1774746000, 10800},
    /* New York 2026: 8 March 07:00 UTC and 1 November 06:00 UTC. */
    {"EST5EDT,M3.2.0,M11.1.0", 1772953199, -18000},
    {"EST5EDT,M3.2.0,M11.1.0", 1772953200, -14400},
    {"America/New_York", 1793512799, -14400},
    {"America/New_York", 1793512800, -18000},
    {"EST5EDT", 1772953200, -14400}, /* the US rules by default */
    {"America/Los_Angeles", 1795597200, -28800},
    {"America/Chicago", 1780000000, -18000},
    {"America/Denver", 1780000000, -21600},
    {"America/Toronto", 1780000000, -14400},
    {"Europe/London", 1774745999, 0},
    {"Europe/London", 1774746000, 3600},
    {"Europe/Lisbon", 1780000000, 3600},
    {"Europe/Helsinki", 1774745999, 7200},
    {"Europe/Helsinki", 1774746000, 10800},
    {"Asia/Tokyo", 1795597200, 32400},
    {"Asia/Kolkata", 1795597200, 19800},
    {"Asia/Kathmandu", 1795597200, 20700},
    {"St_Johns", 0, 0}, /* unknown: checked separately */
    /* Sydney 2026: summer time ends 4 April 16:00 UTC, starts 3 October 16:00 UTC. */
    {"Australia/Sydney", 1775318399, 39600},
    {"Australia/Sydney", 1775318400, 36000},
    {"Australia/Sydney", 1791043199, 36000},
    {"Australia/Sydney", 1791043200, 39600},
    {"Indian/Reunion", 1795597200, 14400},
    {"America/Martinique", 1795597200, -14400},
    {"America/Guadeloupe", 1780000000, -14400},
    {"America/Cayenne", 1795597200, -10800},
    {"Pacific/Noumea", 1795597200, 39600},
    {"Pacific/Tahiti", 1795597200, -36000},
    {"Indian/Mayotte", 1795597200, 10800},
    {"Pacific/Marquesas", 0, -34200},
    {"America/St_Johns", 1780000000, -9000},
    /* J and zero-based Julian days: summer on days 60..300 at 02:00 local. */
    {"AAA0BBB,J60,J300", 1772323199, 0},    /* 2026-02-28T23:59:59Z */
    {"AAA0BBB,J60,J300", 1772416800, 3600}, /* 2026-03-02T02:00:00Z */
    {"AAA0BBB,59,299", 1772416800, 3600},
};

START_TEST(test_tz_table)
{
    const struct tz_case *c = &tz_cases[_i];
    ivrsm_tz *tz = ivrsm_tz_new(c->zone, ivrsm_mem_default());
    if (strcmp(c->zone, "St_Johns") == 0) {
        ck_assert_ptr_null(tz);
        return;
    }
    ck_assert_msg(tz != NULL, "zone %s", c->zone);
    ck_assert_msg(ivrsm_tz_offset(tz, c->at) == c->offset, "zone %s at %lld: %d, expected %d",
                  c->zone, (long long)c->at, ivrsm_tz_offset(tz, c->at), c->offset);
    ivrsm_tz_free(tz);
}
END_TEST

START_TEST(test_tz_rejects)
{
    static const char *const bad[] = {
        "",
        "Europe/Nowhere",
        "Africa/Casablanca",
        "CET",
        "X-1",
        "CET-1CEST,",
        "CET-1CEST,M3.5.0",
        "CET-1CEST,M13.5.0,M10.5.0",
        "CET-1CEST,M3.6.0,M10.5.0",
        "CET-1CEST,M3.5.7,M10.5.0",
        "CET-1CEST,M3.5.0,M10.5.0/168",
        "CET-25",
        "<+3>-3",
        "<+03-3",
        "CET-1CEST,J0,J300",
        "CET-1CEST,366,300",
        "CET-1:60",
        "CET-1CEST,M3.5.0,M10.5.0junk",
        "UTC0 ",
        ":",
        "CET1CEST0,M3.5.0,M10.5.0,M1.1.1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ivrsm_tz *tz = ivrsm_tz_new(bad[i], ivrsm_mem_default());
        ck_assert_msg(tz == NULL, "\"%s\" accepted", bad[i]);
    }
    ck_assert_ptr_null(ivrsm_tz_new(NULL, ivrsm_mem_default()));
    ck_assert_int_eq(ivrsm_tz_offset(NULL, 0), 0);
    /* Instants far outside any calendar are still defined. */
    ivrsm_tz *paris = ivrsm_tz_new("Europe/Paris", ivrsm_mem_default());
    ck_assert_ptr_nonnull(paris);
    int off = ivrsm_tz_offset(paris, INT64_MAX);
    ck_assert(off == 3600 || off == 7200);
    off = ivrsm_tz_offset(paris, INT64_MIN);
    ck_assert(off == 3600 || off == 7200);
    ivrsm_tz_free(paris);
    ivrsm_tz_free(NULL);
}
END_TEST

START_TEST(test_tz_colon_and_times)
{
    ivrsm_tz *tz = ivrsm_tz_new(":Europe/Paris", ivrsm_mem_default());
    ck_assert_ptr_nonnull(tz);
    ck_assert_int_eq(ivrsm_tz_offset(tz, 1774746000), 7200);
    ivrsm_tz_free(tz);
    /* Israel: Friday before the last Sunday of March at 02:00 written as Thursday 26:00. */
    tz = ivrsm_tz_new("Asia/Jerusalem", ivrsm_mem_default());
    ck_assert_ptr_nonnull(tz);
    ck_assert_int_eq(ivrsm_tz_offset(tz, 1774569599), 7200);  /* 2026-03-26T23:59:59Z */
    ck_assert_int_eq(ivrsm_tz_offset(tz, 1774569600), 10800); /* 2026-03-27T00:00:00Z */
    ivrsm_tz_free(tz);
    /* An explicit DST offset and negative transition times. */
    tz = ivrsm_tz_new("<-01>1<+00>,M3.5.0/0,M10.5.0/1", ivrsm_mem_default());
    ck_assert_ptr_nonnull(tz);
    ck_assert_int_eq(ivrsm_tz_offset(tz, 1774746000), 0);
    ck_assert_int_eq(ivrsm_tz_offset(tz, 1795597200), -3600);
    ivrsm_tz_free(tz);
    tz = ivrsm_tz_new("XXX3YYY,M3.2.0/-1,M11.1.0/-1:30", ivrsm_mem_default());
    ck_assert_ptr_nonnull(tz);
    ivrsm_tz_free(tz);
}
END_TEST

START_TEST(test_tz_every_day_of_2026_paris)
{
    /* Paris is UTC+2 exactly from 2026-03-29T01:00Z to 2026-10-25T01:00Z. */
    ivrsm_tz *tz = ivrsm_tz_new("Europe/Paris", ivrsm_mem_default());
    ck_assert_ptr_nonnull(tz);
    const int64_t start = 1774746000, end = 1792890000;
    for (int64_t t = 1767225600; t < 1798761600; t += 3600) {
        int expected = t >= start && t < end ? 7200 : 3600;
        ck_assert_int_eq(ivrsm_tz_offset(tz, t), expected);
    }
    ivrsm_tz_free(tz);
}
END_TEST

static Suite *collect_suite(void)
{
    Suite *s = suite_create("collect");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_locale_find);
    tcase_add_test(tc, test_mode_names);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_garbage_never_crashes);
    tcase_add_test(tc, test_locale_fr_be);
    tcase_add_test(tc, test_locale_fr_ch);
    tcase_add_test(tc, test_phone_plan_of_another_locale);
    tcase_add_test(tc, test_phone_e164_is_the_collect);
    tcase_add_test(tc, test_phone_e164_plans_and_refusals);
    tcase_add_test(tc, test_machine_phone_e164);
    tcase_add_test(tc, test_embedded_nul_is_not_a_value);
    suite_add_tcase(s, tc);

    tc = tcase_create("phone");
    tcase_add_loop_test(tc, test_phone_table, 0, sizeof phone_cases / sizeof phone_cases[0]);
    suite_add_tcase(s, tc);

    tc = tcase_create("otp");
    tcase_add_loop_test(tc, test_otp_table, 0, sizeof otp_cases / sizeof otp_cases[0]);
    tcase_add_test(tc, test_otp_length_parameter);
    tcase_add_loop_test(tc, test_digits_table, 0, sizeof digits_cases / sizeof digits_cases[0]);
    tcase_add_loop_test(tc, test_reference_table, 0,
                        sizeof reference_cases / sizeof reference_cases[0]);
    tcase_add_test(tc, test_reference_patterns);
    tcase_add_test(tc, test_digits_luhn_and_terminator);
    tcase_add_test(tc, test_digits_value_range);
    tcase_add_test(tc, test_digits_quantity);
    tcase_add_test(tc, test_digits_after_lead_in);
    suite_add_tcase(s, tc);

    tc = tcase_create("date_nl");
    tcase_add_loop_test(tc, test_date_table, 0, sizeof date_cases / sizeof date_cases[0]);
    tcase_add_test(tc, test_date_asap_days);
    tcase_add_test(tc, test_date_local_day_and_year_end);
    tcase_add_test(tc, test_date_around_dst);
    suite_add_tcase(s, tc);

    tc = tcase_create("free_speech_or_no");
    tcase_add_loop_test(tc, test_speech_table, 0, sizeof speech_cases / sizeof speech_cases[0]);
    tcase_add_test(tc, test_speech_long_comment_is_cut_on_a_character);
    suite_add_tcase(s, tc);

    tc = tcase_create("tz");
    tcase_add_loop_test(tc, test_tz_table, 0, sizeof tz_cases / sizeof tz_cases[0]);
    tcase_add_test(tc, test_tz_rejects);
    tcase_add_test(tc, test_tz_colon_and_times);
    tcase_add_test(tc, test_tz_every_day_of_2026_paris);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(collect_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
