/*
 * The characters a name may not hold.
 *
 * A machine's names (state and intent names, ctx keys, the machine's name
 * and version, a handoff's queue, every key of the document) are written in
 * any script, but they reach places where some characters do harm: a log
 * line or a diagnostic (a line break forges a line), a terminal (ESC drives
 * it), a graph or a page a reviewer reads (a right-to-left override shows
 * "menu" for a name that is not "menu", an invisible character makes two
 * names that look the same). Unicode's advice for identifiers (UAX #31,
 * UTS #39) is the model: letters, marks, digits, punctuation and symbols of
 * any script, and the plain space, are names' characters; controls,
 * separators, direction controls and characters drawn as nothing are not.
 */
#ifndef IVRSM_NAME_CHARS_H
#define IVRSM_NAME_CHARS_H

#include <stddef.h>
#include <stdint.h>

/* What a check refuses: every class for a name; a recording's URI keeps other spaces and
 * invisible characters (a file may be named so) but not what breaks a line or reorders it. */
typedef enum ivrsm_name_rules {
    IVRSM_NAME_RULES_NAME = 0,
    IVRSM_NAME_RULES_URI = 1
} ivrsm_name_rules;

/*
 * Why code point `cp` may not be in a name under `rules`, as a noun phrase ("a control
 * character", "a bidirectional control"), or NULL when it may. Zero width non-joiner and
 * joiner (U+200C, U+200D) may: Persian and the scripts of India write words with them.
 */
const char *ivrsm_name_char_refused(uint32_t cp, ivrsm_name_rules rules);

/*
 * The first character of s[0..len) (valid UTF-8) that a name may not hold under `rules`:
 * its byte offset, its code point in *cp and the reason in *why; len when there is none.
 */
size_t ivrsm_name_find_refused(const char *s, size_t len, ivrsm_name_rules rules, uint32_t *cp,
                               const char **why);

#endif
