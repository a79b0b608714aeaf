/*
 * A model of what FreeSWITCH does to an application's argument, used as the
 * oracle of the ESL host's argument tests (tests/esl/test_esl_parts.c) and
 * of the fuzz target tests/fuzz/fuzz_esl_args.c. Ported from FreeSWITCH's
 * sources (signalwire/freeswitch); each function names the one it follows.
 * tests/esl/fs_model.py is the same model in Python, for the fake switch.
 */
#ifndef ESL_FS_ORACLE_H
#define ESL_FS_ORACLE_H

#include <stddef.h>

/*
 * src/switch_channel.c switch_channel_expand_variables_check, on a channel
 * with no variables: returns the expanded text (malloc'd; NULL when out of
 * memory) and counts in *evaluated every variable looked up and every API
 * command run ("${x}", "$${x}", "${api args}", "${api(args)}"), which an
 * argument built by the host must never contain.
 */
char *fs_expand(const char *in, int *evaluated);

/*
 * src/switch_utils.c switch_separate_string (separate_string_blank_delim for
 * ' ', separate_string_char_delim otherwise, then cleanup_separated_string
 * on each token), in place: at most `limit` tokens, the last keeping the
 * rest. Returns the number of tokens.
 */
int fs_separate(char *buf, char delim, char **argv, int limit);

/* The pieces of an argument an application reads, as FreeSWITCH reads them. */
typedef struct fs_args {
    int argc;
    char *argv[12];
    char *buf; /* owns the tokens */
} fs_args;

/* mod_dptools.c play_and_get_digits_function: up to eleven space-separated tokens. */
int fs_parse_pagd(const char *arg, fs_args *out);
/* mod_dptools.c speak_function: ENGINE|VOICE|TEXT, the text unstripped (argv[2]). */
int fs_parse_speak(const char *arg, fs_args *out);
/* mod_dptools.c play_and_detect_speech_function: FILE detect:ENGINE GRAMMAR. */
int fs_parse_detect(const char *arg, fs_args *out);
void fs_args_free(fs_args *a);

#endif
