/* The plain YAML of machine files, read without libfyaml (yaml_fast.c). */
#ifndef IVRSM_YAML_FAST_H
#define IVRSM_YAML_FAST_H

#include <stddef.h>

#include "dom.h"

/* What ivrsm_dom_load_yaml_fast() returns for a text it leaves to libfyaml. */
#define YAML_FAST_UNSUPPORTED 1

/*
 * Read `data` (checked UTF-8 without NUL or BOM) into doc->root when it is
 * written in the plain part of YAML this reader knows, exactly as libfyaml's
 * reader would build it. Returns 0; YAML_FAST_UNSUPPORTED for anything else,
 * mistakes included (the caller then reads it with libfyaml, which reports
 * them; nodes made so far stay unused in the document's arena);
 * IVRSM_ENOMEM when memory runs out.
 */
int ivrsm_dom_load_yaml_fast(const char *data, size_t len, dom_doc *doc);

/* The libfyaml reader alone (load_yaml.c): every text, every message. */
int ivrsm_dom_load_yaml_events(const char *data, size_t len, dom_doc *doc, ivrsm_error *err);

#endif
