/*
 * Diagnostics: the list behind ivrsm_check_*() and the single ivrsm_error of
 * a failed load. The loader, the compiler and the validator all report
 * through here, so every message carries a file, a position, a document path
 * and a stable rule id.
 */
#ifndef IVRSM_DIAG_H
#define IVRSM_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "ivrsm/ivrsm.h"

typedef struct diag_entry {
    ivrsm_diagnostic pub; /* path and message point into this entry's own allocation */
    int code;   /* IVRSM_ESYNTAX, IVRSM_EMACHINE or IVRSM_ELIMIT for errors; 0 for warnings */
    size_t seq; /* order of reporting, to keep the sort stable */
} diag_entry;

struct ivrsm_diagnostics {
    ivrsm_mem mem; /* where the list and its entries live */
    char *file;
    diag_entry **items;
    size_t count;
    size_t cap;
    size_t errors;
    bool nomem; /* an entry could not be recorded */
};

/* A new empty list for `file` (copied; NULL means "<buffer>"), its memory from mem (copied).
 * NULL on no memory. */
ivrsm_diagnostics *ivrsm_diag_new(const char *file, const ivrsm_mem *mem);

/*
 * Record one diagnostic. `rule` must be a string with static lifetime;
 * `path` is copied (NULL means ""); the message is formatted and cut at 511
 * bytes on a character boundary. `code` is the load error code an error
 * stands for (ignored for warnings). Returns 0, or -1 on no memory (the list
 * then remembers it in `nomem`).
 */
int ivrsm_diag_add(ivrsm_diagnostics *d, ivrsm_severity severity, int code, int line, int column,
                   const char *path, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
int ivrsm_diag_addv(ivrsm_diagnostics *d, ivrsm_severity severity, int code, int line, int column,
                    const char *path, const char *rule, const char *fmt, va_list ap);

/* Record a reader failure (syntax or limit) as an error diagnostic. */
int ivrsm_diag_add_error(ivrsm_diagnostics *d, const ivrsm_error *err);

/* Sort by position (line, then column; unknown positions first), stable. */
void ivrsm_diag_sort(ivrsm_diagnostics *d);

/*
 * The first error in document order (the list need not be sorted), or NULL.
 */
const diag_entry *ivrsm_diag_first_error(const ivrsm_diagnostics *d);

/*
 * Fill `err` (which may be NULL) from `e`, naming `file`. Returns e->code.
 */
int ivrsm_diag_entry_to_error(const diag_entry *e, const char *file, ivrsm_error *err);

/*
 * Fill an ivrsm_error (err may be NULL): code, file (NULL → "<buffer>"),
 * position, path (NULL → "") and a formatted message. Returns `code`.
 */
int ivrsm_diag_set_error(ivrsm_error *err, int code, const char *file, int line, int column,
                         const char *path, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/*
 * The stable rule id of a reader failure: "syntax" for IVRSM_ESYNTAX,
 * "limit" for IVRSM_ELIMIT, "wrong-type" otherwise (the one
 * machine-level failure a reader reports is a root that is not a map).
 */
const char *ivrsm_diag_rule_for_code(int code);

/*
 * Copy at most cap-1 bytes of `src` into `dst`, never cutting a UTF-8
 * character in two, and NUL-terminate.
 */
void ivrsm_diag_copy_utf8(char *dst, size_t cap, const char *src);

#endif
