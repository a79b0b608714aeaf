/*
 * The caller's versioned structs (ivrsm.h: a first member `size_t size`, 0
 * for the 0.2 layout) read as this version's layout: the bytes the caller
 * gave, the rest zero (each field's default).
 */
#ifndef IVRSM_VERSIONED_H
#define IVRSM_VERSIONED_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Where the 0.2 layout of a struct ends: after `last`. */
#define IVRSM_LAYOUT_END(type, last) (offsetof(type, last) + sizeof(((type *)0)->last))

/*
 * Copy `given` (a struct whose first member is its size) into `full`, of
 * full_size bytes. False when its size is below v1 (the 0.2 layout), which
 * no version of the library wrote.
 */
static inline bool ivrsm_versioned_copy(void *full, size_t full_size, const void *given, size_t v1)
{
    size_t size = *(const size_t *)given;
    if (size == 0)
        size = v1;
    if (size < v1)
        return false;
    memset(full, 0, full_size);
    memcpy(full, given, size < full_size ? size : full_size);
    *(size_t *)full = full_size;
    return true;
}

#endif
