/*
 * Internal view of a session, shared by the files of the runtime:
 * session.c (lifecycle and the step engine), match.c (what an input means in
 * a state), command.c (the command queue), action.c (building http commands),
 * trace.c (records and redaction), snapshot.c (save and restore).
 */
#ifndef IVRSM_SESSION_H
#define IVRSM_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "mem.h"
#include "ivrsm/ivrsm.h"
#include "model.h"

/* What the session waits for. */
typedef enum s_phase {
    PHASE_NEW = 0, /* created, not started */
    PHASE_INPUT,   /* an ask is out: caller input, noinput or nomatch */
    PHASE_HTTP,    /* an http command is pending */
    PHASE_HANDOFF, /* a handoff command is pending */
    PHASE_ENDED    /* hung up or handed off */
} s_phase;

/*
 * Parts to say and their texts, in one block of the session's (speech.c): the parts (room
 * for `cap`), then their texts one after the other, each ended by its NUL, in the parts'
 * order. NULL parts: nothing to say. cap 0 with parts: a machine message's parts, shown, not
 * owned (copied into a block of the speech's own before more words join them).
 */
typedef struct s_speech {
    ivrsm_part *parts;
    uint32_t count;
    uint32_t cap;
    uint32_t used; /* bytes of text written after the parts */
    uint32_t room; /* bytes for text the block has after the parts */
} s_speech;

/*
 * A command with the strings it owns. The fields of one command type (an
 * ask's pub.ask, an http command's pub.http and strings, a handoff's or a
 * hangup's) are zero in a command slot of the session that has held no such
 * command since they were last cleared (ivrsm_session.dirty_slots): a command
 * is built there clearing only its words and what the slot's last commands
 * left (ivrsm_s_command_new()).
 */
typedef struct s_command {
    ivrsm_command pub; /* what the host sees; pointers into the fields below or the machine */
    s_speech speech;   /* owned parts (empty when pub.parts points into the machine) */
    char *text;        /* owned copies (NULL when pub points into the machine) */
    /* An http command's: its headers, path, query, body, key and header values, in one block
     * (action.c): the pointers below point into it. NULL when each is its own (a restore). */
    char *http_texts;
    char *path;
    char *query;
    char *body;
    char *idempotency_key;
    ivrsm_header *headers; /* header names point into the machine, values are owned */
    size_t header_count;
    char *queue; /* a handoff's */
    char *context;
    char *reason; /* a hangup's */
} s_command;

/* Caller input carried from one state to the next (DESIGN.md: unconsumed input). */
typedef struct s_input {
    ivrsm_event_type type; /* 0 when there is none */
    char *text;
    double confidence;
} s_input;

#define S_RECENT_EVENTS 32 /* event ids remembered for de-duplication */
#define S_PATH_LEN 8       /* recent states, for the handoff context */

#define S_QUEUE_INLINE 2 /* command slots inside the session: a batch is rarely longer */

/*
 * One allocation per session, laid out for the memory an event touches
 * (docs/performance.md, "What a hop touches"): the fields every event reads
 * or writes first, in four cache lines, then the command slots (the first
 * one is where the next command is built), then what is rarely touched, then
 * the per-state visit counts. The block is aligned to a cache line
 * (ivrsm_s_alloc), so these lines are the block's first ones. With many
 * sessions alive and fed in any order, an event then touches a few
 * neighbouring cache lines, asked for together (ivrsm_s_prefetch()), and
 * rarely more than one page. A field a DTMF hop does not read belongs past
 * the command slots; one it reads only to find it empty may stay cold behind
 * a flag here (ask_owned).
 */
struct ivrsm_session {
    /* ---- line 0: the machine, the allocator and the queue of commands ---- */
    ivrsm_machine *m;
    const m_limits *limits; /* the machine's, or limits_own when the options override some */
    s_command *queue; /* FIFO of commands not yet pulled: queue_inline, or the heap when longer */
    const ivrsm_mem *mem; /* &alloc: everything the session owns lives there */
    uint32_t queue_len;
    uint32_t queue_head;
    uint32_t queue_cap;
    int32_t state;
    s_phase phase;
    uint32_t last_ask_count;
    unsigned path_pos; /* next slot of the ring of recent states (path) */
    /* carry holds input handed on by a plain `next`, which the next listening state takes
     * (carry itself lies with what is rarely touched: an entry reads only this). */
    bool carrying;

    /* ---- line 1 ---- */
    uint64_t next_id;    /* id of the next command */
    uint64_t pending_id; /* the command whose result is awaited, 0 when none */
    /* The pending http/handoff command once pulled (for snapshots): in its queue slot, or a
     * block of its own. Read each time a command is built (queue_reserve()). */
    s_command *pending;
    ivrsm_trace_fn trace;
    /* The index of the call's language in m->languages, kept equal to ctx.language. */
    uint32_t language;
    /* Per-state counters: reset when the call enters another state. */
    int noinput;
    int nomatch;
    int retries;
    int consecutive_failures; /* call-wide: failures in a row */
    /* The last action's answer while its outcome is taken, then dropped (ivrsm_s_forget_answer):
     * nodes in ctx's block, the body's value (what templates read as resp) and how it was
     * answered, {"status": 401, "error": "status"}; IVRSM_VSTORE_NONE when none. */
    uint32_t resp;
    uint32_t answer;
    bool has_out;             /* queue[queue_head - 1] was returned by next_command */
    bool entering_escalation; /* the next state entry is the escalation's target */
    /* Three bits per command slot of queue_inline: whether the fields of an ask, of an http
     * command, of a handoff or hangup may be nonzero there (command.c, s_command). */
    uint8_t dirty_slots;
    /* last_ask_owned or last_ask_text_owned may hold the last ask's words (remember_ask(), a
     * restore): forgetting the ask then gives them back. */
    bool ask_owned;

    /* ---- line 2 ---- */
    /* The host's clock, and its reading for the step under way (ivrsm_session_start() or
     * ivrsm_session_feed()): read once, where the step begins, so that every use in the step
     * (now.*, the opening hours, a date said, a trace record) sees the time whose bounds were
     * checked, and a host's clock is called once an event. */
    ivrsm_clock_fn clock;
    void *clock_user;
    int64_t step_ms;
    s_speech said; /* said on the way, waiting to be merged into the next ask */
    /* The last ask's parts and text, for re-prompts of states without a prompt:
     * a machine message's (no copy), or last_ask_owned / last_ask_text_owned. */
    const ivrsm_part *last_ask_parts;
    const char *last_ask_text;

    /* ---- line 3 ---- */
    ivrsm_vstore ctx; /* the call's data: one block (value.h), jansson only at the API's edges */
    int16_t path[S_PATH_LEN]; /* ring of recently entered states (IVRSM_MAX_STATES fits) */
    /* IVRSM_ENOMEM once a step could not be done whole (an allocation failed): the step stops
     * there, and the session answers nothing but that code afterwards (ivrsm_s_fail()). */
    int failed;
    int steps; /* states entered while handling the current event */

    /* ---- from line 4: the command slots, the first one where the next command is built ---- */
    s_command queue_inline[S_QUEUE_INLINE];

    /* ---- rarely touched ---- */
    s_speech last_ask_owned; /* see ask_owned */
    char *last_ask_text_owned;
    /* now.date, now.hour...: the clock's time in the machine's zone, read at each event when
     * the machine reads it (one block made at the first, rewritten in place), or NULL. */
    ivrsm_vstore *now;
    /* Call-wide bounds. */
    int escalations; /* bounds hit so far: handoff, then goodbye, then hangup */
    int otp_failures;
    ivrsm_numtexts numbers; /* numbers of the ctx and answers as written ("12.50") */
    char *call_id;
    char *session_id;
    /* The store resp and answer are nodes of: the scratch store of the answer being taken
     * (on the stack of ivrsm_s_on_action_result(), so that an answer leaves no garbage in
     * ctx's block), or ctx's, for one a snapshot restored. Read by templates only. */
    const ivrsm_vstore *answers;
    /* The ctx key holding an OTP the caller gave that no action has answered
     * yet, or NULL: the collect's target, the machine's string, or a copy the
     * session owns (unverified_otp_owned: a restored snapshot's). The code is
     * single-use: once an action's answer comes, it is removed from ctx, so
     * snapshots no longer hold it. */
    const char *unverified_otp;
    /* Hashes of recent event ids (S_RECENT_EVENTS, 0 = empty), made with the first event id:
     * NULL for a host that gives none. */
    uint64_t *recent;
    unsigned recent_pos;
    /* sync_language() found ctx.language to be the call's language as the machine writes it,
     * and no write of ctx since may have changed it (one that may clears this): a `set:` that
     * writes no language key need not look again. */
    bool language_checked;
    bool unverified_otp_owned; /* see unverified_otp (in a hole of the block: no byte more) */
    uint16_t session_id_len;   /* strlen(session_id), for each request's idempotency key */
    s_input carry; /* input handed on by a plain `next`, when `carrying` */
    m_limits *limits_own;
    void *trace_user;
    ivrsm_mem alloc; /* the session's allocator (a copy of the options'), used through mem */
    uint64_t trace_seq;

    uint16_t visits[]; /* per state: m->state_count */
};

/* ---- session.c ---- */
/*
 * A step could not be done whole for lack of memory: nothing more is done in
 * it (goto_state() stops), and the call that runs it (ivrsm_session_start(),
 * ivrsm_session_feed()) returns IVRSM_ENOMEM, withdrawing the step's commands.
 * The session is then only freed or given up for its last snapshot
 * (docs/runtime.md, "When memory runs out").
 */
void ivrsm_s_fail(ivrsm_session *s);
/* Forget the unverified code's key (unverified_otp), freed when the session owns it. */
void ivrsm_s_otp_key_free(ivrsm_session *s);

/* Ask for the lines of s an event touches, before the event touches them (a hint, no effect). */
void ivrsm_s_prefetch(const ivrsm_session *s);

/* ---- command.c ---- */
/* Start building a command in place at the queue's tail (one at a time);
 * NULL when out of memory. Finish with ivrsm_s_queue_push or ivrsm_s_command_discard. */
s_command *ivrsm_s_command_new(ivrsm_session *s, ivrsm_command_type type);
/* Move a command into the queue, which owns it afterwards. `c` is the scratch
 * slot or a heap command from ivrsm_s_command_from_json (freed here). */
int ivrsm_s_queue_push(ivrsm_session *s, s_command *c);
/* Drop a command being built (or a heap command). */
void ivrsm_s_command_discard(ivrsm_session *s, s_command *c);
/* Free the strings a command owns, not the command itself. */
void ivrsm_s_command_release(const ivrsm_session *s, s_command *c);
/* Free a command: a heap one (a restored pending command), or release the pending one left in
 * its queue slot. NULL is ignored. */
void ivrsm_s_command_free(const ivrsm_session *s, s_command *c);
/* Whether c is one of the queue's slots. */
bool ivrsm_s_command_in_queue(const ivrsm_session *s, const s_command *c);
/* JSON view of a command: used by traces, snapshots and the CLI. */
json_t *ivrsm_s_command_to_json(const ivrsm_command *c);
/* Rebuild a command from ivrsm_s_command_to_json's output into *out: 0, IVRSM_ESNAPSHOT when
 * it is malformed, or IVRSM_ENOMEM. */
int ivrsm_s_command_from_json(ivrsm_session *s, const json_t *j, s_command **out);
void ivrsm_s_queue_clear(ivrsm_session *s);
/* The command whose result is awaited (in the queue or kept aside), or NULL. */
const s_command *ivrsm_s_pending_command(const ivrsm_session *s);
/* Release the command last returned by next_command (its strings go, unless it
 * is the pending one: that is kept in s->pending). */
void ivrsm_s_release_out(ivrsm_session *s);

/* ---- now.c ---- */
/* Whether the business is open on `day` (since 1970-01-01, local), weekday 1-7, minute of day. */
bool ivrsm_hours_open(const m_hours *h, int64_t day, int weekday, int minute);
/* Read the clock for this event, when the machine reads now.* at all (ivrsm_s_fail() when
 * memory runs out). */
void ivrsm_s_now_refresh(ivrsm_session *s);
/* Whether the business is open at the clock's time (globals.hours); true without hours. */
bool ivrsm_s_open_now(const ivrsm_session *s);

/* ---- speech.c ---- */
/* The parts and their texts live in the session's allocator, `mem` below. */
void ivrsm_s_speech_free(const ivrsm_mem *mem, s_speech *sp);
/* Add a copy of `text` as a part (joined to a previous say part); blank text adds nothing. 0 or -1.
 */
int ivrsm_s_speech_add(const ivrsm_mem *mem, s_speech *sp, ivrsm_part_type type, const char *text);
int ivrsm_s_speech_append(const ivrsm_mem *mem, s_speech *sp, const ivrsm_part *parts, size_t n);
/* Render message `msg` (NULL: nothing) and add its parts. 0, -1 on no memory, or IVRSM_ELIMIT
 * when a part's text would pass IVRSM_MAX_TEXT_BYTES: that part is left out, the others added. */
int ivrsm_s_speech_render(const ivrsm_session *s, const m_message *msg, s_speech *out);
/* Whether sp has say parts (ivrsm_s_speech_text() is then NULL only when memory ran out). */
bool ivrsm_s_speech_has_words(const s_speech *sp);
/* The words of the say parts, joined by spaces (from mem); NULL when there are none. */
char *ivrsm_s_speech_text(const ivrsm_mem *mem, const ivrsm_part *parts, size_t n);
/* Move `from` into `to` (whose parts are freed first); `from` is left empty. */
void ivrsm_s_speech_move(const ivrsm_mem *mem, s_speech *from, s_speech *to);
/* The bytes of sp's block. */
size_t ivrsm_s_speech_memory(const s_speech *sp);
/* [{"say": "…"}, {"play": "…"}] */
json_t *ivrsm_s_parts_to_json(const ivrsm_part *parts, size_t n);
/* Add the parts of such an array; -1 when it is malformed, IVRSM_ENOMEM when memory ran out. */
int ivrsm_s_parts_from_json(const ivrsm_mem *mem, const json_t *a, s_speech *out);

/* ---- match.c ---- */
typedef enum s_match_kind {
    MATCH_NONE = 0, /* no route, no collect value: a no-match */
    MATCH_ROUTE,    /* route index in `route` */
    MATCH_COLLECT   /* collect parsed `value` */
} s_match_kind;

typedef struct s_match {
    s_match_kind kind;
    int route;
    const char *why; /* for traces: "dtmf:1", "intent:yes", "text:partager", "collect:phone" */
} s_match;

/* Whether route r may be taken now: it has no `when`, or its condition holds. */
bool ivrsm_s_route_holds(const ivrsm_session *s, const m_route *r);
/* The route of the key a sentence says instead of pressing it ("zero", "option 2"), or -1: in
 * a state that collects, asked once its collect has not taken the sentence as a value ("cero"
 * to a ten-digit contract number is the key 0 of the technician's route). */
int ivrsm_s_match_key_said(const ivrsm_session *s, const m_state *st, const char *text, size_t len);
/* Route matching of one input against a state's routes (no collect). */
s_match ivrsm_s_match_routes(const ivrsm_session *s, const m_state *st, ivrsm_event_type type,
                             const char *text, size_t len, double confidence);

/* ---- action.c ---- */
/* Build the http command of st's action into the queue; 0, -1 with *why set
 * when it cannot be built (missing path parameter, header injection), or
 * IVRSM_ENOMEM. */
int ivrsm_s_emit_http(ivrsm_session *s, const m_state *st, const char **why);
/* The same for a template's value (a missing one is null). */
int ivrsm_s_val_write(ivrsm_buf *b, ivrsm_val v);
/* Why a result body is not taken (ivrsm_s_result_body_bounded, ivrsm_s_parse_result_body). */
enum { S_BODY_NOT_JSON = 1, S_BODY_TOO_LARGE = 2, S_BODY_TOO_DEEP = 3 };
/*
 * 0 when an action result's body (len bytes) is within what a session keeps,
 * else S_BODY_TOO_LARGE (over IVRSM_MAX_RESULT_BODY_BYTES) or S_BODY_TOO_DEEP
 * (objects and arrays nested deeper than IVRSM_MAX_DEPTH: a snapshot holding
 * it could not be read back).
 */
int ivrsm_s_result_body_bounded(const char *body, size_t len);
/*
 * The JSON of an action result's body in *resp (an empty body is {}), for
 * traces. Returns 0, S_BODY_* when the body is not taken (*resp NULL), or
 * IVRSM_ENOMEM.
 */
int ivrsm_s_parse_result_body(const ivrsm_event *ev, json_t **resp);
/* Whether JSON text nests objects and arrays at most `max` deep (strings skipped). */
bool ivrsm_s_json_depth_within(const char *text, size_t len, int max);

/* ---- response.c ---- */
/*
 * The answer body[0..len) of st's action (scratch from mem), read as jansson would (the same
 * texts are JSON), into *out: of an object, only the members st's outcomes
 * read (all when st is NULL). An empty body is {}. The texts of numbers with
 * a fraction are kept in `numbers` (may be NULL). Returns 0, IVRSM_EINVAL
 * (not JSON) or IVRSM_ENOMEM; *out is NULL then.
 */
int ivrsm_s_response_read(const ivrsm_mem *mem, const m_state *st, const char *body, size_t len,
                          ivrsm_numtexts *numbers, json_t **out);
/*
 * The same read into store `out`, *root its node (not linked: the session keeps
 * an answer in ctx's block, beside ctx). `texts`: reals keep their texts as
 * written when said otherwise. 0, IVRSM_EINVAL or IVRSM_ENOMEM (nothing put
 * then).
 */
int ivrsm_s_response_store(const m_state *st, const char *body, size_t len, bool texts,
                           ivrsm_vstore *out, uint32_t *root);
/*
 * An action result's body, as ivrsm_s_response_store() reads it (reals keep their texts)
 * and within what a session keeps: 0, S_BODY_TOO_LARGE or S_BODY_TOO_DEEP as
 * ivrsm_s_result_body_bounded() tells them, S_BODY_NOT_JSON, or IVRSM_ENOMEM; nothing
 * is put unless 0.
 */
int ivrsm_s_answer_store(const m_state *st, const char *body, size_t len, ivrsm_vstore *out,
                         uint32_t *root);
/*
 * A JSON text from outside the library (a host's ctx_json, ivrsm_ctx_set_json()'s texts) into
 * *out, read as jansson's json_loads(JSON_DECODE_ANY) reads it, but telling a text that is not
 * JSON from memory that ran out, which jansson does not. Returns 0, IVRSM_EINVAL or
 * IVRSM_ENOMEM; *out is NULL then. An empty text is not JSON here (unlike an empty answer).
 */
int ivrsm_s_json_text_read(const ivrsm_mem *mem, const char *text, json_t **out);

/* ---- session_id.c ---- */
/*
 * A new session id in out[0..cap): "s-" and the call id when there is one,
 * else "s-" and 32 hex digits from `rand` (NULL: the operating system's
 * randomness).
 */
void ivrsm_s_new_session_id(const ivrsm_session *s, const char *call_id, ivrsm_rand_fn rand,
                            void *rand_user, char *out, size_t cap);
/*
 * Why `id` cannot be a call_id or session_id (`what`), or NULL (also for
 * NULL): longer than `max` bytes, a control character, not UTF-8.
 */
const char *ivrsm_s_id_problem(const char *id, const char *what, size_t max);
/*
 * s->session_id = a copy of session_id, s->call_id = one of call_id (may be NULL), both in one
 * block (s->session_id's: freed with it). 0 or IVRSM_ENOMEM (neither set then).
 */
int ivrsm_s_set_ids(ivrsm_session *s, const char *call_id, const char *session_id);
/* The longest session id: a given one, or "s-" and a call id. */
#define S_MAX_SESSION_ID_BYTES (IVRSM_MAX_ID_BYTES + 2)

/* ---- trace.c ---- */
bool ivrsm_s_tracing(const ivrsm_session *s);
/* Whether caller input in the current state is a secret (see ivrsm_session_input_is_secret). */
bool ivrsm_s_input_is_secret(const ivrsm_session *s);
void ivrsm_s_trace_event(ivrsm_session *s, const ivrsm_event *ev);
void ivrsm_s_trace_transition(ivrsm_session *s, int32_t from, int32_t to, const char *reason);
void ivrsm_s_trace_command(ivrsm_session *s, const ivrsm_command *c);
void ivrsm_s_trace_note(ivrsm_session *s, const char *kind, const char *detail);

/* ---- session.c (shared helpers) ---- */
/*
 * The collect that reads the caller's next input: the current state's, or
 * that of the listening state a state without collect hands its input on to
 * ("Dites le code à nouveau" → the OTP state). NULL when none, or before start.
 */
const m_collect *ivrsm_s_input_collect(const ivrsm_session *s);

/* The index of ctx.language among the machine's languages, or -1 (absent, not one of them). */
int ivrsm_s_ctx_language(const ivrsm_session *s);
/* The call's language at the start: ctx.language when the host set one of the
 * machine's languages, else the first; ctx.language is set to it. */
void ivrsm_s_start_language(ivrsm_session *s);
ivrsm_tmpl_scope ivrsm_s_scope(const ivrsm_session *s);
/* Render a template to a new string (s->mem) with whitespace collapsed (for speech) in *out,
 * NULL when it says nothing. 0, IVRSM_ENOMEM, or IVRSM_ELIMIT (*out NULL) for a text past
 * IVRSM_MAX_TEXT_BYTES. */
int ivrsm_s_render_text(const ivrsm_session *s, const ivrsm_tmpl *t, char **out);
/* The step engine's entry points (session.c), driven by session_api.c. */
void ivrsm_s_enter(ivrsm_session *s, int32_t to, const char *reason);
void ivrsm_s_on_input(ivrsm_session *s, ivrsm_event_type type, const char *text, double confidence);
void ivrsm_s_on_action_result(ivrsm_session *s, const ivrsm_event *ev);
void ivrsm_s_on_handoff_result(ivrsm_session *s, const ivrsm_event *ev);
/* a followed by b, from s->mem (NULL when out of memory). */
char *ivrsm_s_concat(const ivrsm_session *s, const char *a, const char *b);
/* j as json_dumps(j, flags) writes it, from s->mem; NULL when out of memory. */
char *ivrsm_s_dump(const ivrsm_session *s, const json_t *j, size_t flags);
/*
 * Whether a session on mem takes its block from its machine's pool (pool.h): under the C
 * library's allocator, whose choice of memory is the library's (a program's allocator gets
 * every byte of its sessions), unless a checker runs the program (ivrsm_pool_checked()).
 */
bool ivrsm_s_pooled(const ivrsm_mem *mem);
/* A pool for m's session blocks, its chunks from `source` (NULL: the system's); NULL when out
 * of memory. m->session_pool is made with it at m's first pooled session. */
ivrsm_pool *ivrsm_s_pool_new(const ivrsm_machine *m, const ivrsm_pool_source *source);
/*
 * The bytes m's pool of session blocks holds from the system (pool.h; its chunks whole): the
 * blocks of its sessions on the C library's allocator, which the C library's own figures
 * (mallinfo2) do not see. 0 before the first.
 */
size_t ivrsm_s_pool_bytes(const ivrsm_machine *m);
/* A zeroed session on m (one machine reference taken), before ctx and ids are set: its block
 * from m's pool under the C library's allocator, else from the session's allocator. */
ivrsm_session *ivrsm_s_alloc(ivrsm_machine *m, const ivrsm_session_options *opts);
/*
 * The caller's options (and limits) as this version's layout, in opts and
 * limits (opts->limits then points at limits). IVRSM_EINVAL for a size no
 * version wrote.
 */
int ivrsm_s_options(const ivrsm_session_options *given, ivrsm_session_options *opts,
                    ivrsm_limits *limits);
/* Evaluate a value, a map or a list whole (action.c) into *out, a new reference: 0, or
 * IVRSM_ELIMIT / IVRSM_ENOMEM as ivrsm_tmpl_eval() for any of its templates (*out NULL). */
int ivrsm_s_value_eval(const m_value *v, const ivrsm_tmpl_scope *scope, json_t **out);

/* ---- session.c: ctx ---- */
/* ctx's root object, as templates read it. */
ivrsm_val ivrsm_s_ctx(const ivrsm_session *s);
/* The number text a jansson real keeps in the session or its machine ("12.50"), or NULL
 * (an ivrsm_vstore_text_fn; user is the session). */
const char *ivrsm_s_numtext(void *user, const json_t *real);
/* ctx as jansson's object (new reference), NULL when out of memory. */
json_t *ivrsm_s_ctx_json(const ivrsm_session *s);
/* ctx = the object j (reals keep the texts the session keeps for them). 0 or IVRSM_ENOMEM. */
int ivrsm_s_ctx_from_json(ivrsm_session *s, const json_t *j);
/* The answer's nodes dropped from ctx's block (their room given back at the next tidy). */
void ivrsm_s_forget_answer(ivrsm_session *s);
/* After an event: ctx's block shrunk to its live data when writes left much behind. */
void ivrsm_s_ctx_tidy(ivrsm_session *s);

#endif
