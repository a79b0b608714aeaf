/*
 * The line format of the speech tests' data files (tests/speech, tests/callers): fields
 * separated by a tab or by a run of two spaces or more, so that one space stays inside a
 * caller's words.
 */
#ifndef IVRSM_TEST_FIELDS_H
#define IVRSM_TEST_FIELDS_H

/* Splits line at tabs or runs of two spaces or more, in place; returns the field count (at
 * most max). The last field runs to the end of the line. */
static inline int split_fields(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        fields[n++] = p;
        while (*p && *p != '\t' && !(p[0] == ' ' && p[1] == ' '))
            p++;
        if (!*p)
            break;
        if (n == max)
            break;
        *p++ = '\0';
    }
    return n;
}

#endif
