/*
 * The property every application argument the ESL host builds from outside
 * text must have, checked against the FreeSWITCH model of fs_oracle.h:
 *
 *  - nothing of the text is anything to FreeSWITCH's expander: expanding
 *    the argument looks up no variable and runs no API command, whether
 *    app_disable_expand_variables is honoured or not, and arguments that
 *    set re-expands (the handoff context) come out of it unchanged;
 *  - the application reads exactly the words the host meant (the text
 *    cleaned by the documented rules, apostrophes included), in the place
 *    it meant: a prompt never shifts, adds or removes an argument;
 *  - the sendmsg that carries the argument has exactly the host's header
 *    lines: no text ends a header or starts a new one.
 *
 * Shared by the esl-args unit test (every short string over the characters
 * that matter) and the fuzz target tests/fuzz/fuzz_esl_args.c.
 */
#ifndef ESL_ARGS_CHECK_H
#define ESL_ARGS_CHECK_H

#include <stddef.h>

/*
 * The text as the host should make it heard: control characters become
 * spaces, backslashes go, and a '$' followed by '{' or '$' goes. malloc'd.
 */
char *args_expected_text(const char *text);

/*
 * Build every argument that can carry `text` (a keypad question, a spoken
 * question, a prompt, the handoff context) and check the properties above.
 * Returns 0, or -1 with a one-line reason in why (the text that failed is
 * the caller's to report).
 */
int args_check_text(const char *text, char *why, size_t whylen);

#endif
