/* The YAML 1.2 core schema (yaml_core.c). */
#ifndef IVRSM_YAML_CORE_H
#define IVRSM_YAML_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dom.h"

typedef struct yaml_core_value {
    bool boolean;
    int64_t integer;
    bool overflow; /* an integer beyond int64 (integer is then 0) */
    double real;
} yaml_core_value;

/*
 * What the core schema makes of the plain scalar t[0..len): DOM_NULL ("",
 * "~", null), DOM_BOOL (true, false in three cases), DOM_INT (decimal, 0o,
 * 0x), DOM_REAL (decimal, exponent, .inf, .nan) with its value in *v, or
 * DOM_STRING.
 */
dom_kind ivrsm_yaml_core_type(const char *t, size_t len, yaml_core_value *v);
/* The same without its shortcut for scalars whose first byte starts no other kind (the
 * tests compare the two). */
dom_kind ivrsm_yaml_core_type_whole(const char *t, size_t len, yaml_core_value *v);

/*
 * Give the plain scalar n (its text set) its core-schema kind and value.
 * Returns false, n unchanged, for an integer beyond int64.
 */
bool ivrsm_yaml_core_type_node(dom_node *n);

#endif
