/* The text of a YAML block scalar, read safely from libfyaml (yaml_block.c). */
#ifndef IVRSM_YAML_BLOCK_H
#define IVRSM_YAML_BLOCK_H

#include <libfyaml.h>
#include <stddef.h>

#include "buf.h"

/*
 * Append the text of block scalar `t` (literal or folded) to `out`, read
 * through the iterator `it` (made once per document with
 * fy_token_iter_create(NULL)); doc[0..doc_len) is the document, for
 * folded scalars libfyaml folds wrongly. Returns 0, or -1 when libfyaml
 * cannot iterate the token or memory runs out.
 */
int ivrsm_yaml_block_text(struct fy_token *t, struct fy_token_iter *it, const char *doc,
                          size_t doc_len, ivrsm_buf *out);

#endif
