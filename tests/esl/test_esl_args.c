/*
 * No text ever reaches FreeSWITCH's expander or a new header line: every
 * string of up to five characters over the characters FreeSWITCH treats
 * specially (the expander's '$', '{', '}', '\\' and '\'', the splitters'
 * quotes, spaces and '|', a "%[" scope block, line breaks) and many longer
 * random ones go through every argument builder of the ESL host, and the
 * result is checked against a model of FreeSWITCH (args_check.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args_check.h"
#include "fs_oracle.h"

static const char alphabet[] = {'$', '{', '}', '\\', '\'', '"', '|', '%', '[', ' ', 'a', '\n'};
#define ALPHABET_SIZE (sizeof(alphabet) / sizeof(alphabet[0]))

static void check_one(const char *text)
{
    char why[600];
    ck_assert_msg(args_check_text(text, why, sizeof(why)) == 0, "text [%s]: %s", text, why);
}

/* Every string of exactly `len` characters over the alphabet. */
static long enumerate(size_t len)
{
    char text[16];
    size_t idx[16] = {0};
    long count = 0;
    for (;;) {
        for (size_t i = 0; i < len; i++)
            text[i] = alphabet[idx[i]];
        text[len] = '\0';
        check_one(text);
        count++;
        size_t i = 0;
        while (i < len && ++idx[i] == ALPHABET_SIZE)
            idx[i++] = 0;
        if (i == len)
            return count;
    }
}

START_TEST(every_short_text_is_inert)
{
    long count = 0;
    for (size_t len = 0; len <= 5; len++)
        count += enumerate(len);
    ck_assert_int_eq(count, 271453); /* 12^0 + ... + 12^5 */
}
END_TEST

START_TEST(random_long_texts_are_inert)
{
    /* A fixed generator: the same texts every run. */
    unsigned long state = 0x9e3779b97f4a7c15ul;
    char text[200];
    static const char *const pieces[] = {"${system touch /tmp/x}",
                                         "$\\{",
                                         "\\$",
                                         "\\'",
                                         "\\\\",
                                         "$${",
                                         "%[",
                                         "detect:",
                                         "l'a",
                                         "é",
                                         "|",
                                         "\r\n",
                                         "$$$",
                                         "}"};
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        int parts = (int)(state % 12);
        for (int i = 0; i < parts; i++) {
            state = state * 6364136223846793005ul + 1442695040888963407ul;
            const char *piece = (state >> 33) % 3 == 0
                                    ? pieces[(state >> 40) % (sizeof(pieces) / sizeof(pieces[0]))]
                                    : (const char[]){alphabet[(state >> 40) % ALPHABET_SIZE], 0};
            size_t n = strlen(piece);
            if (len + n >= sizeof(text))
                break;
            memcpy(text + len, piece, n);
            len += n;
        }
        text[len] = '\0';
        state = state * 6364136223846793005ul + 1442695040888963407ul;
        check_one(text);
    }
}
END_TEST

/* The oracle itself, on what FreeSWITCH is known to do. */
START_TEST(oracle_matches_freeswitch)
{
    int evaluated;
    char *s = fs_expand("say:C\\'est ${system touch /tmp/x} $\\{x} \\\\ $$y \\$", &evaluated);
    ck_assert_str_eq(s, "say:Cest  $\\{x} \\ $y $");
    ck_assert_int_eq(evaluated, 1);
    free(s);
    s = fs_expand("${a}$${b}${c(d)}", &evaluated);
    ck_assert_str_eq(s, "");
    ck_assert_int_eq(evaluated, 3);
    free(s);
    fs_args a;
    ck_assert_int_eq(fs_parse_pagd("1 7  1 5000 # 'say:C\\'est l\\'heure' x v r 3000", &a), 0);
    ck_assert_int_eq(a.argc, 10);
    ck_assert_str_eq(a.argv[5], "say:C'est l'heure");
    ck_assert_str_eq(a.argv[9], "3000");
    fs_args_free(&a);
    ck_assert_int_eq(fs_parse_pagd("1 7 1 5000 # 'say:C'est l'heure' x", &a), 0);
    ck_assert_int_eq(a.argc, 8); /* an unescaped quote ends the quoted prompt */
    fs_args_free(&a);
    ck_assert_int_eq(fs_parse_speak("flite|kal|C'est | l'heure", &a), 0);
    ck_assert_int_eq(a.argc, 3);
    ck_assert_str_eq(a.argv[2], "C'est | l'heure");
    fs_args_free(&a);
    ck_assert_int_eq(fs_parse_detect("say:oui  detect:e {t=1}g", &a), 0);
    ck_assert_int_eq(a.argc, 3);
    ck_assert_str_eq(a.argv[0], "say:oui");
    ck_assert_str_eq(a.argv[2], "{t=1}g");
    fs_args_free(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("esl_args");
    TCase *t = tcase_create("args");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, oracle_matches_freeswitch);
    tcase_add_test(t, every_short_text_is_inert);
    tcase_add_test(t, random_long_texts_are_inert);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
