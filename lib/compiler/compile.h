/*
 * From document tree to compiled machine (model.h), shared by the files of
 * the loader: compile.c (top level, intents), compile_globals.c (limits,
 * endpoints, handoff), compile_state.c (states), compile_value.c (templates,
 * values, key lists), compile_util.c (paths, reporting, typed reads),
 * globals.c (${globals...} references) and validate*.c (the rules).
 *
 * The compiler never stops at the first mistake: it records every error in
 * a diagnostics list and leaves what it could not build empty (M_NONE
 * references, absent blocks), so the validator can still run on the rest.
 * ivrsm_machine_load_*() then reports the first error in document order.
 */
#ifndef IVRSM_COMPILE_H
#define IVRSM_COMPILE_H

#include <stdarg.h>
#include <stdbool.h>

#include "diag.h"
#include "mem.h"
#include "dom.h"
#include "model.h"
#include "name_chars.h"
#include "text.h"

/* Where a run-time template was written, for the validator's checks. */
typedef struct tmpl_site {
    const ivrsm_tmpl *tmpl;
    const dom_node *node; /* the string it was compiled from */
    int line;
    int column;
    const char *path; /* document path, in the compiler's arena */
    int32_t state;    /* the state it belongs to, M_NONE outside states */
    bool said;        /* words of a message, said to the caller */
} tmpl_site;

/* Where a message, or a list of re-prompts written per language, was written. */
typedef struct msg_site {
    const m_message *msg;   /* the message, or NULL for a list */
    const m_messages *list; /* a list written per language, or NULL */
    int line;
    int column;
    const char *path;
    int32_t state; /* M_NONE outside states */
} msg_site;

/* What the compiler learnt beyond the model, for the validator. */
typedef struct compile_info {
    const dom_doc *doc; /* the document compiled, for positions inside strings */
    tmpl_site *sites;
    size_t site_count;
    size_t site_cap;
    msg_site *messages; /* in a machine of several languages only */
    size_t message_count;
    size_t message_cap;
    const dom_node *states;  /* the `states` map, ${globals} resolved (NULL if absent) */
    const dom_node *intents; /* the `intents` map, resolved */
    const dom_node *globals; /* the `globals` map as written */
    /* Per state: 1 when the state is not a map or its type is missing or
     * unknown (its other checks would only echo that error); 2 when it has
     * another error of its own (its routes and outcomes are not all known:
     * a dead end, or a state or intent they would use, would echo it). */
    unsigned char *broken;
} compile_info;

#define CC_MAX_FIELDS 32
/* "Did you mean" (ivrsm_cc_suggest): always among this many candidates or fewer... */
#define CC_SUGGEST_SMALL 32
/* ...and for the first this many wrong names of a load among more. */
#define CC_SUGGEST_LARGE 64

/* The compiler's working state. */
typedef struct cc {
    dom_doc *doc;
    ivrsm_diagnostics *diag;
    struct ivrsm_machine *m;
    ivrsm_arena *arena; /* the machine's */
    compile_info *info;
    const dom_node *globals;
    int32_t state; /* state being compiled, M_NONE outside */
    /* Whether the templates compiled now may read {{resp}}: inside on_success
     * and on_fail of a state that has an action, rendered once it answered. */
    bool state_has_action;
    bool in_outcome;
    bool said_text; /* the template compiled now is words of a message */
    /* While `globals` itself is resolved: the references being followed (for cycles) and
     * the values resolved so far (each once). */
    bool resolving_globals;
    struct globals_step {
        const dom_node *raw;
        const char *name; /* "globals.a.b", in the compiler's document arena */
    } globals_stack[IVRSM_MAX_DEPTH];
    size_t globals_depth;
    struct globals_done {
        const dom_node *raw;
        dom_node *resolved;
    } * globals_done;
    size_t globals_done_count, globals_done_cap;
    int language_depth; /* > 0 while compiling one language's value of a map by language */
    char path[1024];
    char owner_text[300]; /* the last owner written (ivrsm_cc_owner) */
    size_t path_len;
    struct {
        size_t mark;  /* path length before the key was pushed */
        size_t start; /* where the key starts in path */
    } fields[CC_MAX_FIELDS];
    size_t field_count;
    bool nomem;
    bool expansion_refused; /* ${globals...} grew the document past its bounds (reported) */
    int large_suggestions;  /* guesses left among many candidates (CC_SUGGEST_LARGE) */
} cc;

/*
 * Compile `doc` into a new machine. Errors and warnings of the compiler go
 * to `diag`; `info` (zeroed by the caller) receives what the validator
 * needs. *out receives the machine even when errors were reported (so the
 * validator can run on it), NULL only when memory ran out.
 * Returns 0, or IVRSM_ENOMEM.
 */
int ivrsm_compile_machine(dom_doc *doc, ivrsm_diagnostics *diag, compile_info *info,
                          struct ivrsm_machine **out);
void ivrsm_compile_info_free(compile_info *info);

/*
 * The position in the document of byte `offset` of the string `n`: its own
 * line and column inside the string when the source shows it, else the
 * string's start.
 */
void ivrsm_cc_text_pos(const dom_doc *doc, const dom_node *n, size_t offset, int *line,
                       int *column);

/* Free a machine regardless of its reference count (machine.c). */
void ivrsm_machine_destroy(struct ivrsm_machine *m);
/*
 * Build an open-addressing index of `count` names (slot = index + 1, 0 empty)
 * in the arena. Returns the slots and sets *mask, or NULL on no memory.
 */
uint32_t *ivrsm_machine_build_index(ivrsm_arena *arena, const char *const *names, size_t stride,
                                    size_t count, size_t *mask);

/*
 * Run the rules of validate.c on a compiled machine. Errors (input-free
 * cycles) are always checked; warnings only when `warnings` is set.
 */
void ivrsm_validate_machine(const struct ivrsm_machine *m, const compile_info *info,
                            ivrsm_diagnostics *diag, bool warnings);

/* --- Names (compile_names.c) ------------------------------------------------ */

/* Report every key of the document (at any depth, once each) that holds a character a name
 * may not (name_chars.h): a state or intent name, a ctx key, any key. */
void ivrsm_cc_check_key_names(cc *c, const dom_node *root);
/* Whether string `n` (a `kind`: "machine name", "queue") holds only characters `rules` allows;
 * false with an error at the character when it does not. Other kinds of node are true. */
bool ivrsm_cc_name_ok(cc *c, const dom_node *n, const char *kind, ivrsm_name_rules rules);

/* --- Languages (compile_language.c) ---------------------------------------- */

/* `languages:` (or the one `locale`) into machine->languages; after compile_identity(). */
void ivrsm_cc_languages(cc *c, const dom_node *root);
/* `phone_region: fr-FR`: phone numbers read with that locale's numbering plan in every language. */
void ivrsm_cc_phone_region(cc *c, const dom_node *root);
/* "FIELD: unknown locale 'x'; did you mean 'y'? (known: ...)" at (line, column). */
void ivrsm_cc_unknown_locale(cc *c, int line, int column, const char *tag);
/*
 * The index of `tag` among the machine's languages; -1 with an error
 * ("WHAT: 'de-DE' is not one of the machine's languages") when it is none.
 */
int ivrsm_cc_language_index(cc *c, const char *what, const char *tag, int line, int column);
/* Compiles one language's value into out; false when errors were reported. */
typedef bool (*cc_language_fn)(cc *c, const dom_node *value, size_t language, void *out);
/*
 * A value that may be written per language: a map whose keys are the
 * machine's languages, each value given to `one` with its language's index,
 * or any other value, given to `one` for the first language (index 0).
 */
bool ivrsm_cc_by_language(cc *c, const dom_node *n, cc_language_fn one, void *out);
/* The text rules (normalisation) of the machine's language `language`. */
const ivrsm_text_rules *ivrsm_cc_language_rules(const cc *c, size_t language);

/* --- Paths ---------------------------------------------------------------- */

/* Append ".key" (or "key" at the root) to the current path; returns the mark to pop to. */
size_t ivrsm_cc_push_keyn(cc *c, const char *key, size_t len);
/* Inline: a key written in the code has its length known when compiled. */
static inline size_t ivrsm_cc_push_key(cc *c, const char *key)
{
    return ivrsm_cc_push_keyn(c, key, strlen(key));
}
/* Append "[i]". */
size_t ivrsm_cc_push_index(cc *c, size_t i);
void ivrsm_cc_pop(cc *c, size_t mark);
/* The last component of the current path ("next", "max", "routes[2]"...). */
const char *ivrsm_cc_field(const cc *c);

/* --- Reporting (at the current path) ------------------------------------ */

void ivrsm_cc_error(cc *c, const char *rule, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void ivrsm_cc_error_code(cc *c, int code, const char *rule, int line, int column, const char *fmt,
                         ...) __attribute__((format(printf, 6, 7)));
/* Report allocation failure once. */
void ivrsm_cc_nomem(cc *c);

/* --- Typed reads ---------------------------------------------------------- */

/* Describe a node for "found ..." messages: `a string ("two")`, `a map`. Uses buf. */
const char *ivrsm_cc_describe(const dom_node *n, char *buf, size_t cap);
/* Nonzero when n has `kind`; otherwise reports "FIELD: expected WHAT, found ..." (wrong-type). */
bool ivrsm_cc_expect(cc *c, const dom_node *n, dom_kind kind, const char *what);
/*
 * Report every key of `map` that is not in `allowed` (NULL-terminated) as
 * unknown-key, naming `owner` ("state 'x'", "the route") and suggesting
 * the closest allowed key.
 */
void ivrsm_cc_check_keys(cc *c, const dom_node *map, const char *const *allowed, const char *owner);
/* Report a missing required key of a map written at line/column. */
void ivrsm_cc_missing(cc *c, int line, int column, const char *key, const char *owner);

/*
 * The owner of a map named in messages, "LEAD MID'NAME'TAIL" ("action of
 * state 'x'", "noinput of state 'x'"), written only when a message needs it
 * (a load that is right writes none), into c->owner_text, as snprintf() into
 * 300 bytes wrote it: the text holds until the next owner is written.
 */
typedef struct cc_owner {
    const char *lead, *mid, *name, *tail;
} cc_owner;
const char *ivrsm_cc_owner(cc *c, const cc_owner *o);
/* ivrsm_cc_check_keys() naming the owner only when a key is unknown. */
void ivrsm_cc_check_keys_of(cc *c, const dom_node *map, const char *const *allowed,
                            const cc_owner *o);

/*
 * The closest of `count` candidate names to `name` when it is close enough,
 * or NULL. Among more than CC_SUGGEST_SMALL candidates, only the first
 * CC_SUGGEST_LARGE calls of a load make a guess (each costs `count` comparisons).
 */
const char *ivrsm_cc_suggest(cc *c, const char *name, const char *const *candidates, size_t stride,
                             size_t count);
/* The same guess with no bound on its calls: the caller bounds them. */
const char *ivrsm_cc_closest(const char *name, const char *const *candidates, size_t stride,
                             size_t count);

/*
 * Read a child of `map` as a string / integer / boolean. Each returns false
 * when absent (leaving *out alone) or wrong (after reporting it).
 */
bool ivrsm_cc_get_string(cc *c, const dom_node *map, const char *key, const char **out);
bool ivrsm_cc_get_int(cc *c, const dom_node *map, const char *key, int min, int max, int *out);
/* Check that `n` is an integer in [min, max] and store it; reports and returns false otherwise. */
bool ivrsm_cc_int_node(cc *c, const dom_node *n, int min, int max, int *out);
bool ivrsm_cc_get_bool(cc *c, const dom_node *map, const char *key, bool *out);

/*
 * Parse an action's "METHOD /path/{p}" into arena copies. False when
 * malformed (not reported: the caller knows what the text was for). A path
 * that parses but cannot be sent as written (a character not allowed in a
 * URL path, a dot segment) is reported at `at`, named `what` ("call") or, when
 * `endpoint` is not NULL, "endpoint '<endpoint>'", and still returned.
 */
bool ivrsm_cc_call_parse(cc *c, const char *text, const char **method, const char **path,
                         const dom_node *at, const char *what, const char *endpoint);

/* --- Values and templates (compile_value.c) --------------------------------- */

/* Compile string node `n` as a run-time template, registered with the machine. */
ivrsm_tmpl *ivrsm_cc_template(cc *c, const dom_node *n);
/*
 * Compile node `n` as a condition (`when:`): an expression without braces
 * ("ctx.balance < 0"), also accepted as "{{ctx.balance < 0}}", or a boolean.
 * Registered with the machine like a template; NULL on error (reported).
 */
ivrsm_tmpl *ivrsm_cc_condition(cc *c, const dom_node *n);
/* Compile any value (set entries, body, headers...) into an m_value. False on error. */
bool ivrsm_cc_value(cc *c, const dom_node *n, m_value *out);
/* a->body_ops from a->body (compile_body.c); false when memory ran out (reported). */
bool ivrsm_cc_body_program(cc *c, m_action *a);
/* a->pieces from a->path, a->query and a->headers (compile_request.c); a->path is set. False
 * when memory ran out (reported). */
bool ivrsm_cc_request_program(cc *c, m_action *a);
/*
 * Compile map `n` (key → value) into a key list. `scalars_only` refuses maps
 * and lists as values (headers, query, path).
 */
bool ivrsm_cc_kvlist(cc *c, const dom_node *n, m_kvlist *out, bool scalars_only);
/* Convert a dom subtree to JSON (new reference); NULL on error (reported). */
json_t *ivrsm_cc_json(cc *c, const dom_node *n);
/* Keep `j` alive as long as the machine (the machine takes the reference). */
bool ivrsm_cc_own_json(cc *c, json_t *j);

/* --- Messages (compile_message.c) ------------------------------------------------ */

/*
 * Compile what is said at node `n`: a text (one say part), a list of
 * `say:` / `play:` parts, or a map of those by language. NULL when it is
 * malformed (reported) or memory ran out.
 */
m_message *ivrsm_cc_message(cc *c, const dom_node *n);
/* A list of messages (re-prompts), or a map of such lists by language; false when `n`
 * is not one (reported). */
bool ivrsm_cc_messages(cc *c, const dom_node *n, m_messages *out);

/* --- ${globals...} (globals.c) --------------------------------------------- */

/*
 * Resolve every ${globals...} reference in the subtree at `n` (the current
 * path names n). Returns the node to use instead: `n` itself when nothing
 * changed, else a copy sharing what did not change. A whole-scalar
 * reference becomes the referenced value placed at n's position, with its
 * `ref` set to the referenced path ("endpoints.verify_otp"). Unresolved
 * references are reported (unresolved-globals) and left as written.
 * NULL only when memory ran out.
 */
dom_node *ivrsm_globals_resolve(cc *c, dom_node *n);

/*
 * Resolve the ${globals...} references inside `globals` itself, following a
 * reference to a value that holds references in turn; a cycle is reported
 * (unresolved-globals) where its first reference is written. Returns the
 * resolved tree (g itself when nothing changed), NULL when memory ran out.
 */
dom_node *ivrsm_globals_resolve_self(cc *c, dom_node *g);

/* --- Globals (compile_globals.c) -------------------------------------------- */

/*
 * Read `globals` (g may be NULL): limits with their defaults, endpoints,
 * handoff settings, sensitive keys, and machine->globals as JSON.
 */
void ivrsm_cc_globals(cc *c, const dom_node *g);

/* The top-level `inputs` into machine->inputs (compile_inputs.c). */
void ivrsm_cc_inputs(cc *c, const dom_node *n);

/* globals.hours into machine->hours (compile_hours.c). */
void ivrsm_cc_hours(cc *c);

/* --- States (compile_state.c) ----------------------------------------------- */

/* Compile state `index` from its (resolved) map node. */
void ivrsm_cc_state(cc *c, int32_t index, const dom_pair *pair);
/* Resolve a state name node (next, on_fail_next...) to an index; M_NONE (reported) when unknown. */
int32_t ivrsm_cc_state_ref(cc *c, const dom_node *n);

#endif
