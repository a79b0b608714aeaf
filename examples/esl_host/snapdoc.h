/*
 * The document a store keeps for each call (snapstore.c writes it):
 *
 *   {"format": "ivrsm-esl-host/1", "call_id": UUID, "session_id": ID,
 *    "inflight_id": N, "inflight_type": T, "last_pulled_id": N,
 *    "snapshot": {...ivrsm_session_snapshot()...}}
 */
#ifndef ESL_HOST_SNAPDOC_H
#define ESL_HOST_SNAPDOC_H

#include <jansson.h>
#include <stddef.h>

#define SNAPDOC_FORMAT "ivrsm-esl-host/1"

/* What snapdoc_read() found. */
enum {
    SNAPDOC_OK = 0,
    SNAPDOC_BAD = -1,  /* not JSON, or not a document of this call */
    SNAPDOC_NOMEM = -2 /* memory ran out reading it: the document was not judged */
};

/*
 * Read text[0..len) as the document of call `uuid`: *doc holds it on
 * SNAPDOC_OK (json_decref() it), NULL otherwise, and `why` says what was
 * wrong (where, never the text: a ctx holds callers' secrets). Memory that
 * runs out is SNAPDOC_NOMEM, never SNAPDOC_BAD, when jansson's allocations
 * are watched (json_mem_watch()): also when jansson returned a document
 * anyway, which may then lack bytes of its strings.
 */
int snapdoc_read(const char *text, size_t len, const char *uuid, json_t **doc, char *why,
                 size_t why_len);

#endif
