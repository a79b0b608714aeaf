/*
 * The compiled machine: what the loader produces and every other part walks.
 *
 * Everything here is built once by the loader (compile.c) and never changes
 * afterwards, so any number of sessions and threads may read it. State,
 * intent and endpoint references are resolved to indices at load time; the
 * runtime never looks a name up. All strings belong to the machine.
 */
#ifndef IVRSM_MODEL_H
#define IVRSM_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collect.h"
#include "ivrsm/ivrsm.h"
#include "pool.h"
#include "template.h"

#define M_NONE (-1) /* "no state / no intent / no endpoint" for int32 indices */
/* Bytes of a part of a dotted ctx key but the last ("caller" in "caller.name"): the loader
 * refuses longer ones, which the runtime could not write (runtime/ctx.c). */
#define M_CTX_KEY_PART_MAX 127

typedef enum m_state_type {
    M_PROMPT_AND_LISTEN = 0, /* say the prompt, listen, route */
    M_ACTION_THEN_PROMPT,    /* call the action, then on_success / on_fail */
    M_LISTEN,                /* listen without a prompt of its own */
    M_HANDOFF,               /* transfer to a human */
    M_PROMPT_END,            /* say the prompt and hang up */
    M_DECIDE,                /* route on data (condition routes, else next), say nothing */
    M_STATE_TYPE_COUNT
} m_state_type;

const char *ivrsm_m_state_type_name(m_state_type t);

/* Where a node came from, for diagnostics. */
typedef struct m_pos {
    int line;   /* 1-based */
    int column; /* 1-based */
} m_pos;

/*
 * A value that may hold templates: the value of a `set:` entry, a body field,
 * a header. A string that is exactly one "{{expr}}" keeps its JSON type when
 * evaluated (see ivrsm_tmpl_eval()).
 */
typedef enum m_value_kind { MV_LITERAL = 0, MV_TEMPLATE, MV_OBJECT, MV_ARRAY } m_value_kind;

typedef struct m_value {
    m_value_kind kind;
    json_t *literal;   /* MV_LITERAL: any JSON without templates */
    ivrsm_tmpl *tmpl;  /* MV_TEMPLATE */
    size_t count;      /* MV_OBJECT / MV_ARRAY */
    const char **keys; /* MV_OBJECT: keys[i] for items[i] */
    struct m_value *items;
} m_value;

/*
 * A piece of a request body as written: `len` bytes of JSON text (keys, punctuation, literals,
 * as json_dumps(JSON_COMPACT) writes them), then the value of `tmpl` as JSON, or nothing when
 * tmpl is NULL (the last piece).
 */
typedef struct m_body_op {
    const char *text;
    size_t len;
    const ivrsm_tmpl *tmpl;
} m_body_op;

/*
 * A piece of a request's path, query or headers worked out at load
 * (compile_request.c), so that building a request searches nothing: `len`
 * bytes of `text` written as they are (a path's literal run, a query's
 * "&key=" already encoded; a header's name, which is not written), then
 * `value` as text (URL-encoded in a path or a query). `value` is NULL when
 * nothing follows the text; `missing` is set for a path's {name} that has no
 * `path:` value.
 */
typedef struct m_req_piece {
    const char *text;
    size_t len;
    const m_value *value;
    bool missing;
} m_req_piece;

/* key: value pairs, in document order (set, headers, query, path). */
typedef struct m_kv {
    const char *key; /* for set: a ctx key, may be dotted ("a.b" sets ctx.a.b) */
    m_value value;
    /* for set: where the key's last part was found in its object the last time (value.h's
     * ivrsm_member_hint, written by the sessions that run the machine) */
    ivrsm_member_hint hint;
    /* for set: the key's length when it has no dot (a member of ctx's root, set without looking
     * for a dot at each write), else 0 */
    uint32_t plain_len;
} m_kv;

typedef struct m_kvlist {
    m_kv *items;
    size_t count;
    /* for set: a key writes ctx.language, which the call's language follows (worked out at
     * load: ivrsm_m_key_writes_language()) */
    bool writes_language;
} m_kvlist;

/* Whether writing ctx key `key` ("language", "language.x") may change ctx.language. */
static inline bool ivrsm_m_key_writes_language(const char *key)
{
    return key[0] == 'l' && !strncmp(key, "language", 8) && (key[8] == '\0' || key[8] == '.');
}

/* One part of a message: words (a template) or a recording (its URI, a template too). */
typedef enum m_part_kind { M_PART_SAY = 0, M_PART_PLAY } m_part_kind;

typedef struct m_part {
    m_part_kind kind;
    ivrsm_tmpl *tmpl;
} m_part;

/*
 * What is said at one place of the machine: a prompt, a re-prompt, a handoff
 * prompt. Written as a string (one `say` part) or a list of `say` / `play`
 * parts. Every such place is compiled by ivrsm_cc_message() and said by the
 * runtime's say_message(), the one reading of a message (so that a message
 * written per language is one change there).
 *
 * When no part holds a {{...}}, the message is ready at load time: `fixed`
 * holds its parts as commands carry them (adjacent words joined, blank text
 * dropped) and `fixed_text` its words; sessions point at them without copying.
 */
typedef struct m_message {
    m_part *parts;
    size_t count;
    const ivrsm_part *fixed; /* NULL when some part is rendered at run time */
    size_t fixed_count;
    const char *fixed_text; /* the words of `fixed`, NULL when it has none */
    m_pos pos;
    /*
     * A message written per language ({fr-FR: ..., en-US: ...}): the message
     * in machine language l is by_language[l], and this one, a copy of the
     * first language's (or of the first given), is said in a language that
     * has none. NULL for a message written once, said in every language.
     */
    struct m_message *const *by_language;
} m_message;

/* The message to say in machine language `language` (msg may be NULL). */
static inline const m_message *ivrsm_m_message_in(const m_message *msg, size_t language)
{
    if (msg && msg->by_language && msg->by_language[language])
        return msg->by_language[language];
    return msg;
}

/* A list of messages (re-prompts). */
typedef struct m_messages {
    m_message **items;
    size_t count;
    /* A list written per language ({fr-FR: [...], en-US: [...]}): the list in
     * machine language l, or NULL where none (this one, the first language's,
     * is used). NULL for a list written once. */
    struct m_messages *by_language;
} m_messages;

/* The list of messages for machine language `language`. */
static inline const m_messages *ivrsm_m_messages_in(const m_messages *l, size_t language)
{
    if (l->by_language && l->by_language[language].count)
        return &l->by_language[language];
    return l;
}

/* What to say. Both may be set; the runtime says `prompt_template` when
 * present (rendered with ctx, resp and globals), else `prompt`. */
typedef struct m_prompt {
    m_message *prompt;
    m_message *prompt_template;
    bool from_action; /* prompt_from_action: true (documentation of intent) */
} m_prompt;

/* on_success / on_fail of an action or a handoff, and the outcomes by answer. */
typedef struct m_outcome {
    bool present;
    m_kvlist set;
    m_prompt prompt;
    int32_t next; /* M_NONE: stay on the state's own `next`, or escalate */
} m_outcome;

/* One entry of on_status: "401" (that status) or "4xx" (its class). */
typedef struct m_status_outcome {
    char key[4];
    m_outcome outcome;
} m_status_outcome;

/* A status or a class of statuses, as in on_status and globals.http.wrong_input. */
typedef struct m_status_set {
    const char (*keys)[4];
    size_t count;
} m_status_set;

/* What selects a route: the caller's input (an intent, a phrase), or data alone. */
typedef enum m_route_kind {
    M_ROUTE_INTENT = 0,
    M_ROUTE_TEXT,
    M_ROUTE_CONDITION /* `when` alone: tried when the state is entered, before listening */
} m_route_kind;

typedef struct m_route {
    m_route_kind kind;
    int32_t intent;   /* M_ROUTE_INTENT: index into machine->intents */
    const char *text; /* M_ROUTE_TEXT: the phrase of the first language that has one (display) */
    size_t text_len;
    ivrsm_tmpl *when; /* `when: EXPR`, NULL when absent; with an input, both must hold */
    /* M_ROUTE_TEXT: the phrase in each of machine->languages, normalised with that
     * language's rules; texts[l] NULL where the route has none in language l. */
    const char **texts;
    size_t *text_lens;
    const char **texts_raw; /* as written, for speech hints */
    m_kvlist set;
    int32_t next; /* never M_NONE after a successful load */
    /* The machine language its `set: {language: TAG}` switches to (a literal tag), else
     * M_NONE: a caller choosing a language says its name in that language ("English"
     * in a Spanish menu), so the route hears its intent in both. */
    int32_t language;
    m_pos pos;
} m_route;

/* noinput / nomatch */
typedef struct m_counter {
    bool present;
    int max;            /* take `next` when the count reaches max */
    int32_t next;       /* M_NONE: re-prompt then the globals' limit and fallback */
    m_messages prompts; /* the n-th re-prompt says prompts[n-1] (the last one repeats) */
    /* repeat_prompt: the state's prompt said again after the re-prompt; when not written
     * (repeat_prompt_set false), globals.reprompts.repeat_prompt decides. */
    bool repeat_prompt_set;
    bool repeat_prompt;
} m_counter;

typedef struct m_fallback {
    bool present;
    m_kvlist set;
    int32_t next;
} m_fallback;

typedef struct m_collect {
    ivrsm_collect_mode mode; /* IVRSM_COLLECT_NONE when the state has no collect */
    bool allow_dtmf;
    int length;                   /* otp: digits expected (0: globals.otp.length) */
    int min, max;                 /* digits: how many (1 and IVRSM_COLLECT_DIGITS_MAX by default) */
    const char *terminator;       /* digits: the key that closes an entry; NULL: globals' */
    bool luhn;                    /* digits: check: luhn */
    bool has_range;               /* digits: min_value or max_value given */
    int64_t value_min, value_max; /* digits: the value's range, inclusive */
    int past_years;          /* date_past: max_years_ago (0: IVRSM_COLLECT_PAST_YEARS_DEFAULT) */
    bool past_year_optional; /* date_past: year: optional, "le 3 mars" is the latest 3 March */
    const char *patterns;    /* reference: its patterns, '|'-separated ("AA999999999AA") */
    const char *target;      /* ctx key for the value; NULL: the mode's default */
    const char **required;   /* validate: ctx keys that must be set ("x: required") */
    size_t required_count;
    struct {
        bool present;
        int max;              /* failures tolerated in this state */
        int32_t on_fail_next; /* where to go when max is reached */
    } retry;
} m_collect;

typedef struct m_action {
    bool present;
    m_message *prompt_before; /* the state's prompt_before: said before the request, NULL */
    int32_t endpoint;         /* index into machine->endpoints, M_NONE for a literal call */
    const char *method;       /* "GET", "PUT"... (from the endpoint or the literal) */
    const char *path;         /* "/appointments/{id}", parameters not yet substituted */
    m_kvlist headers;
    m_kvlist query;
    m_kvlist path_params; /* `path:` values for {name} segments */
    bool has_body;
    m_value body;
    /* The body as JSON text with holes, worked out at load (compile_body.c): each op's text,
     * then its template's value written as JSON (action.c); the last op has no template. */
    const m_body_op *body_ops;
    size_t body_op_count;
    /* The path, the query and the headers as pieces (compile_request.c): path_pieces first,
     * then query_count of the query's, then headers.count of the headers' (their names). */
    const m_req_piece *pieces;
    size_t path_piece_count, query_piece_count;
    int timeout_ms; /* 0: globals.http_timeout_ms */
} m_action;

typedef struct m_handoff {
    bool enabled;
    ivrsm_tmpl *queue; /* queue_id, templated */
    m_message *prompt;
} m_handoff;

/* Precomputed matching tables of one state (built by the loader). */
typedef struct m_dtmf_entry {
    const char *digits; /* exact string, e.g. "1", "#", "12" */
    uint16_t len;
    uint16_t route; /* index into state->routes */
} m_dtmf_entry;

typedef struct m_phrase_entry {
    const char *phrase; /* normalised utterance or when_text phrase */
    uint16_t len;
    uint16_t route;    /* index into state->routes, or M_PHRASE_AMBIGUOUS */
    bool may_not_know; /* ivrsm_text_may_not_know() of the phrase in its language */
    uint8_t own_bytes; /* the bytes of its words no phrase of another meaning in the state has */
} m_phrase_entry;

/* The route of a phrase that is heard for no route: words of another route's phrase around a
 * phrase made only of shared words ("my appointment" around "appointment" when "cancel my
 * appointment" is another intent's): the sentence is then ambiguous, a no-match. */
#define M_PHRASE_AMBIGUOUS UINT16_MAX
/* The route of a phrase that names a place in a list from its end or its middle ("the last
 * one", "l'avant-dernier", "die mittlere", m_phrase_table.place_phrases): the route of that
 * place among the state's routes of places whose conditions hold (m_phrase_table.places),
 * resolved when it is heard. */
#define M_PHRASE_LAST 1
#define M_PHRASE_BEFORE_LAST 2
#define M_PHRASE_MIDDLE 3

/* What a state listens for in one language: its phrases and the recogniser's hints. */
typedef struct m_phrase_table {
    m_phrase_entry *phrases; /* most own words first, then longest, then route order (stable) */
    size_t phrase_count;
    const char **hints; /* speech hints for ask commands (intent utterances, raw) */
    size_t hint_count;
    /* The phrases by their first byte, for tables of up to M_PHRASES_BY_FIRST phrases (NULL for
     * longer ones, scanned whole): first_slot[b] is 0 when no phrase starts with byte b, else
     * 1 + the index in by_first of the set of those that do (bit i: phrases[i]). A sentence
     * tries only the phrases that start one of its words, in table order. */
    const uint8_t *first_slot;
    const uint64_t *by_first;
    /* The stems of the words of its own of each phrase (own_bytes), a phrase of shared words
     * only is not heard for its route when a word of the sentence starts with the stem of
     * another route's own word: "annulez ma livraison" is no "ma livraison" of tracking when
     * cancelling says "annuler ma livraison". */
    const struct m_phrase_stem *stems;
    size_t stem_count;
    /* The separable verbs of its phrases (German "absagen": "ab" and "sag"), joined again in a
     * sentence that says them apart before its phrases are looked for ("ich sage den Termin
     * ab", ivrsm_text_rejoin_separable()). */
    const struct m_separable *separable;
    size_t separable_count;
    /* The routes of a choice from a list, by the place their phrases name ("the third one",
     * "le deuxième", "den ersten"), first place first: places[k] is the route of place k + 1.
     * Set when two places or more are routes, each of one route (else place_count is 0). */
    const uint16_t *places;
    size_t place_count;
    /* The phrases naming a place from the end or the middle ("the last one": route
     * M_PHRASE_LAST), heard when no phrase of the routes is: set with places. */
    const m_phrase_entry *place_phrases;
    size_t place_phrase_count;
    /* The words of the routes' phrases, sorted (ivrsm_text_lexicon_order()), in a language
     * whose words are said in other forms or as compounds (German "Kartensperrung" for "Karte
     * sperren"): a sentence in which no phrase is heard is heard again with its words written
     * as these (ivrsm_text_phrase_forms()). NULL in other languages. */
    const struct ivrsm_text_words *lexicon;
    size_t lexicon_count;
    /* What each route's phrases say of changing what exists (route_count bytes, NULL when no
     * phrase has a verb of change_verbs nor asks for a new thing): the kinds of change of their
     * verbs (IVRSM_CHANGE_MOVE, _CANCEL, _ALTER), and M_ROUTE_NEW_ONLY for a route that asks
     * for a new thing only ("neuer Termin", and no "mein Termin" nor verb of change). A
     * sentence heard for such a route that says a verb of change is heard for the one route
     * whose phrases have its kind (kind_route), or no route; one heard for no route that says
     * a move or a cancellation, for the route of that kind ("le décaler", "verlegen"). */
    const uint8_t *route_change;
    int16_t kind_route[3]; /* by kind's bit: its one route, -1 when none or several */
    /* The phrases of two words or more of three bytes or more ("carte volée", "stolen card",
     * "termin verlegen"), by index into phrases: a sentence in which no phrase is heard is heard
     * for the one route of those whose such words it says, each as said or with up to two bytes
     * more or fewer at its end, in any order, close together and in one clause ("ma carte a
     * été volée", "my card was stolen", "den Termin auf Freitag verlegen"). */
    const uint16_t *scatter;
    size_t scatter_count;
} m_phrase_table;

#define M_ROUTE_NEW_ONLY 0x80

/* A separable verb: its prefix and its stem ("ab" + "sag" + "en"). */
typedef struct m_separable {
    const char *prefix;
    const char *stem;
    uint8_t prefix_len;
    uint8_t stem_len;
} m_separable;

/* The first bytes of a word of its own of a route's phrase ("annul" of "annuler"). */
typedef struct m_phrase_stem {
    const char *stem;
    uint16_t len;
    uint16_t route;
} m_phrase_stem;

#define M_PHRASES_BY_FIRST 64

/*
 * What an ask in a state tells the host about the keypad (ivrsm_command.ask),
 * in one language: worked out at load (model/ask_keys.c), copied at each ask.
 */
typedef struct m_ask_keys {
    int dtmf; /* nonzero when keyed input is accepted */
    int min_digits;
    int max_digits;
    const char *terminators; /* "" for none */
    const char *collect;     /* the state's collect mode's name, or NULL */
} m_ask_keys;

typedef struct m_state {
    const char *name;
    m_state_type type;
    m_pos pos;
    m_prompt prompt;
    m_route *routes;
    size_t route_count;
    bool has_entry_routes; /* some route is M_ROUTE_CONDITION */
    m_counter noinput;
    m_counter nomatch;
    m_fallback fallback;
    int32_t next; /* state-level default continuation, M_NONE if absent */
    m_collect collect;
    m_action action;
    m_outcome on_success;
    m_outcome on_fail;
    /* By answer, each more specific than on_fail (runtime/session.c pick_outcome()). */
    m_status_outcome *on_status; /* in document order */
    size_t on_status_count;
    m_outcome on_timeout; /* the request timed out */
    m_outcome on_error;   /* no answer (transport error), or a 2xx body that is not JSON */
    m_handoff handoff;    /* M_HANDOFF only */
    /* The members of the action's answer its outcomes read ({{resp.KEY...}}):
     * only these are kept from a response object, unless resp_whole. */
    const char **resp_keys;
    size_t *resp_key_lens; /* strlen of each, for the reader's comparisons */
    size_t resp_key_count;
    bool resp_whole;       /* some outcome reads resp whole or by index */
    bool resp_status_read; /* "status" or "error" among resp_keys (resp.status, resp.error) */

    /* Matching tables, filled by the loader from routes and intents:
     * dtmf sorted by (len, digits) is not required: first match in route order
     * wins; phrases, per language, sorted longest first, then route order. */
    m_dtmf_entry *dtmf;
    size_t dtmf_count;
    int max_dtmf_len;        /* longest DTMF string routed (0: none) */
    int min_dtmf_len;        /* shortest (0: none) */
    uint16_t dtmf_keys;      /* the keys of those strings (ivrsm_m_dtmf_keys) */
    m_phrase_table *phrases; /* one per machine language, in machine->languages order */
    m_ask_keys *ask_keys;    /* the same (ivrsm_m_ask_keys_build()); NULL before it */
} m_state;

/* An intent's utterances in one language. */
typedef struct m_utterances {
    const char **raw;   /* as written (speech hints) */
    const char **norm;  /* normalised with the language's rules */
    size_t *lens;       /* of the normalised forms */
    bool *may_not_know; /* ivrsm_text_may_not_know() of each normalised form, worked out once */
    size_t count;
    /* What they say of change, all together (ivrsm_locale_phrase_change()), worked out once */
    uint8_t change;
} m_utterances;

typedef struct m_intent {
    const char *name;
    m_utterances *utterances; /* one per machine language; count 0 where none */
    bool has_utterances;      /* `utterances` was given, in some language */
    const char **dtmf;
    size_t dtmf_count;
    m_pos pos;
} m_intent;

typedef struct m_endpoint {
    const char *name;
    const char *method;
    const char *path;
} m_endpoint;

/* inputs: a ctx key the host provides, with its type and default. */
typedef enum m_input_type {
    M_INPUT_ANY = 0,
    M_INPUT_STRING,
    M_INPUT_NUMBER,
    M_INPUT_INTEGER,
    M_INPUT_BOOLEAN,
    M_INPUT_OBJECT,
    M_INPUT_ARRAY
} m_input_type;

typedef struct m_input {
    ivrsm_input pub; /* what ivrsm_machine_input() gives */
    m_input_type type;
    json_t *def; /* the default (owned by the machine), or NULL */
    m_pos pos;
} m_input;

/* globals.hours: when the business is open, for {{now.open}}. */
typedef struct m_time_range {
    uint16_t from, to; /* minutes after midnight, from < to <= 1440 */
} m_time_range;

typedef struct m_hours {
    m_time_range *ranges[7]; /* per weekday, 0 = Monday, sorted */
    size_t range_count[7];
    int32_t *closed_days; /* closed_dates "YYYY-MM-DD": days since 1970-01-01 */
    size_t closed_day_count;
    uint16_t *closed_yearly; /* closed_dates "MM-DD": month * 100 + day, every year */
    size_t closed_yearly_count;
} m_hours;

/* Bounds and defaults, from globals (documented in docs/format.md). */
typedef struct m_limits {
    int max_noinput;              /* globals.max_noinput (default 2) */
    int max_nomatch;              /* globals.max_nomatch (default 2) */
    int max_retries;              /* globals.max_retries (default 2) */
    int max_consecutive_failures; /* globals.limits.max_consecutive_failures (default 6) */
    int max_state_visits;         /* globals.limits.max_state_visits (default 12) */
    int max_steps_per_event;      /* globals.limits.max_steps_per_event (default 32) */
    int otp_max_attempts;         /* globals.otp.max_attempts (default 5) */
    int otp_length;               /* globals.otp.length (default 6) */
    double min_confidence;        /* globals.asr.min_confidence (default 0.4) */
    int http_timeout_ms;          /* globals.http.timeout_ms (default 5000) */
    int noinput_timeout_ms;       /* globals.timeouts.noinput_ms (default 5000) */
    int digit_timeout_ms;         /* globals.timeouts.digit_ms (default 3000) */
    bool allow_dtmf;              /* globals.allow_dtmf (default true) */
    const char *dtmf_terminator;  /* globals.dtmf_terminator (default "#") */
    int asap_days;                /* globals.date.asap_days (default 14) */
    m_status_set wrong_input;     /* globals.http.wrong_input (default ["4xx"]): answers that
                                     count against OTP attempts and failures in a row */
} m_limits;

struct ivrsm_machine {
    int refcount;         /* atomic */
    ivrsm_mem alloc;      /* the allocator it was loaded with (a copy) */
    const ivrsm_mem *mem; /* &alloc: the machine and all it owns live there */
    /* The blocks of its sessions on the C library's allocator, made at the first one (atomic;
     * runtime/session_api.c), freed with the machine. */
    ivrsm_pool *session_pool;
    const char *name;
    const char *version;
    const char *locale_tag;
    const char *timezone;
    const ivrsm_locale *locale; /* the first language, the call's language at the start */
    /* The languages a call may speak (`languages:`, or the one `locale`), the
     * first the default; canonical tags ("en-US") beside them. */
    const ivrsm_locale **languages;
    const char **language_tags;
    size_t language_count;
    /* `phone_region`: the numbering plan of phone numbers in every language; NULL:
     * each language's own. */
    const ivrsm_locale *phone_region;
    ivrsm_tz *tz;
    const char *source; /* file name or buffer name */

    json_t *globals;        /* resolved globals, read-only */
    ivrsm_numtexts numbers; /* numbers of globals and literals as written ("12.50") */
    m_limits limits;
    bool handoff_enabled;      /* globals.handoff.enabled */
    ivrsm_tmpl *handoff_queue; /* globals.handoff.queue_id */
    m_message *handoff_prompt;
    m_hours *hours;  /* globals.hours, NULL when not given */
    m_input *inputs; /* top-level inputs:, in document order */
    size_t input_count;
    /* Members a new session's ctx has room for at the start: the top-level keys the machine
     * writes (ivrsm_m_ctx_root_keys()), so that the root rarely moves as they come in. */
    uint32_t ctx_root_room;
    bool uses_now; /* some template or condition reads now.*: sessions keep it current */
    m_messages reprompt_noinput; /* globals.reprompts.noinput: for states without their own */
    m_messages reprompt_nomatch; /* globals.reprompts.nomatch */
    bool reprompt_repeat_prompt; /* globals.reprompts.repeat_prompt */
    int32_t handoff_state;       /* the first state of type handoff, M_NONE if none */
    int32_t goodbye_state;       /* the first state of type prompt_end, M_NONE if none */
    const char **sensitive_keys; /* globals.sensitive_keys (built-ins: runtime/redact.c) */
    size_t sensitive_count;
    uint64_t sensitive_first; /* a bit per first byte of those keys (ivrsm_redact_add_key()) */

    m_intent *intents;
    size_t intent_count;
    m_endpoint *endpoints;
    size_t endpoint_count;
    m_state *states;
    size_t state_count;
    int32_t initial;

    /* name → index, open addressing, capacity a power of two; slot = index+1, 0 empty */
    uint32_t *state_slots;
    size_t state_slot_mask;

    void *arena; /* owns the strings and arrays above (see arena.h) */

    /* The transitions of every state (graph.c), state i's at
     * transitions[transition_start[i] .. transition_start[i + 1]). In the arena. */
    ivrsm_transition *transitions;
    size_t *transition_start;

    /* intent name → index, like state_slots (for ivrsm_m_find_intent) */
    uint32_t *intent_slots;
    size_t intent_slot_mask;
    /* endpoint name → index, like state_slots (for ivrsm_m_find_endpoint) */
    uint32_t *endpoint_slots;
    size_t endpoint_slot_mask;
    /* Owned beyond the arena and released with the machine: every compiled
     * template and every JSON literal the model points at. */
    ivrsm_tmpl **owned_templates;
    size_t owned_template_count;
    json_t **owned_json;
    size_t owned_json_count;
};

/* --- input.c --- */
const char *ivrsm_input_type_name(m_input_type t);

/* The ctx key a collect writes its value to: its target, or its mode's default (a date's
 * value goes to this key with "_from" and "_to" after it). */
const char *ivrsm_m_collect_target(const m_collect *c);
/* Call fn with each `set:` list of st: its routes', its fallback's and its action's outcomes'
 * (on_success, on_fail, on_timeout, on_error, each of on_status). */
void ivrsm_m_each_set(const m_state *st, void (*fn)(void *user, const m_kvlist *set), void *user);
/* The most top-level ctx keys ivrsm_m_ctx_root_keys() counts: a machine that writes more
 * grows its sessions' root object as before. */
#define M_CTX_ROOT_KEYS_MAX 32
/* How many distinct top-level ctx keys m writes (up to M_CTX_ROOT_KEYS_MAX): the first parts of
 * its `set:` keys, collect targets and inputs, and the session's call_id, session_id and
 * language. */
uint32_t ivrsm_m_ctx_root_keys(const struct ivrsm_machine *m);
/* Whether v is of type t (an integer may be written 3.0). */
bool ivrsm_input_type_holds(m_input_type t, const json_t *v);

/* --- status.c --- */
/* Read "401" or "4xx" (1xx to 5xx) into out; false when text is neither. */
bool ivrsm_m_status_key(const char *text, char out[4]);
/* 2 when key names status exactly, 1 when its class, 0 otherwise. */
int ivrsm_m_status_match(const char key[4], int status);
bool ivrsm_m_status_in(const m_status_set *set, int status);

/*
 * The DTMF keys (0-9, *, #, A-D) among the bytes of s, one bit each; other
 * bytes have none. Two key strings share a key when their sets meet: a
 * state's routes use its keypad's terminator when (ivrsm_m_dtmf_keys(term) &
 * st->dtmf_keys), as strpbrk() of each route's keys would tell.
 */
static inline uint16_t ivrsm_m_dtmf_keys(const char *s)
{
    uint16_t keys = 0;
    for (; *s; s++) {
        char c = *s;
        if (c >= '0' && c <= '9')
            keys |= (uint16_t)(1u << (c - '0'));
        else if (c == '*')
            keys |= 1u << 10;
        else if (c == '#')
            keys |= 1u << 11;
        else if (c >= 'A' && c <= 'D')
            keys |= (uint16_t)(1u << (12 + c - 'A'));
    }
    return keys;
}

/*
 * The listening state that takes st's input when no route does: a plain `next`
 * without collect or nomatch block hands the input on, and a listening state
 * consumes it. NULL when none.
 */
const m_state *ivrsm_m_input_consumer(const struct ivrsm_machine *m, const m_state *st);
/*
 * The keypad of an ask in st, in language `lang` (an index of m->languages): the
 * state's collect, its DTMF routes and those of the state its input is handed on
 * to, under the machine's limits (a session's options never change allow_dtmf,
 * dtmf_terminator or otp_length).
 */
void ivrsm_m_ask_keys(const struct ivrsm_machine *m, const m_state *st, size_t lang,
                      m_ask_keys *out);
/* Every state's ask_keys, one per language, in `arena` (m's states compiled, their DTMF tables
 * built). 0, or -1 when out of memory. */
int ivrsm_m_ask_keys_build(struct ivrsm_machine *m, struct ivrsm_arena *arena);

/* Lookups, O(1) average. Return M_NONE when absent. */
int32_t ivrsm_m_find_state(const struct ivrsm_machine *m, const char *name);
int32_t ivrsm_m_find_intent(const struct ivrsm_machine *m, const char *name);
int32_t ivrsm_m_find_endpoint(const struct ivrsm_machine *m, const char *name);

/*
 * The machine language a tag names, or -1: the locale the tag names when it is one of the
 * machine's ("en-GB", "en_gb"); a bare language ("en") also names the machine's first language
 * of that language, so that "en" in a machine that speaks en-GB alone is en-GB, not en-US.
 */
int ivrsm_m_language_index(const struct ivrsm_machine *m, const char *tag);

#endif
