/* A call's stored document, read and checked (snapdoc.h). */
#include "snapdoc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "esl_wire.h"
#include "json_mem.h"

static bool session_id_valid(const char *id)
{
    if (!id || !*id || strlen(id) >= 48)
        return false;
    return esl_uuid_valid(id);
}

int snapdoc_read(const char *text, size_t len, const char *uuid, json_t **doc, char *why,
                 size_t why_len)
{
    json_error_t err;
    unsigned long refused = json_mem_refused();
    *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (json_mem_refused() != refused) {
        /* Even a document read whole is not trusted then: jansson drops the byte it could not
         * save into a token and reads on (lex_save()), so a string may lack characters. */
        json_decref(*doc);
        *doc = NULL;
        snprintf(why, why_len, "out of memory reading it");
        return SNAPDOC_NOMEM;
    }
    if (!*doc) {
        /* Where, not jansson's text: it quotes the document, and a ctx holds callers' secrets. */
        snprintf(why, why_len, "not JSON (line %d, column %d)", err.line, err.column);
        return SNAPDOC_BAD;
    }
    const char *format = json_string_value(json_object_get(*doc, "format"));
    const char *call_id = json_string_value(json_object_get(*doc, "call_id"));
    if (!format || strcmp(format, SNAPDOC_FORMAT) != 0 || !esl_uuid_valid(call_id) ||
        strcmp(call_id, uuid) != 0 ||
        !session_id_valid(json_string_value(json_object_get(*doc, "session_id"))) ||
        !json_is_object(json_object_get(*doc, "snapshot"))) {
        snprintf(why, why_len, "not a snapshot of this call (format %s)", SNAPDOC_FORMAT);
        json_decref(*doc);
        *doc = NULL;
        return SNAPDOC_BAD;
    }
    return SNAPDOC_OK;
}
