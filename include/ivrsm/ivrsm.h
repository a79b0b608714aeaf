/*
 * libivrsm — run IVR (phone voice menu) state machines described in YAML or JSON.
 *
 * The library is sans-I/O: load a machine, create one session per call, feed
 * it events (caller input, action results, hangups) and pull the commands it
 * emits (say, ask, http, handoff, hangup). It never opens a socket, starts a
 * thread or reads a clock by itself; the host does all of that.
 *
 *     ivrsm_machine *m;
 *     ivrsm_error err;
 *     if (ivrsm_machine_load_file("machine.yaml", IVRSM_FORMAT_AUTO, &m, &err) != 0)
 *         fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.column, err.message);
 *
 * Conventions: every function that can fail returns an int, 0 on success or a
 * negative IVRSM_E* code (see ivrsm_strerror()); out-parameters come last.
 * Strings are UTF-8 and NUL-terminated unless a length is given.
 *
 * Thread safety: a loaded machine is immutable and may be shared by any number
 * of threads and sessions (its only writes are lookup hints, atomic, that no
 * result depends on). A session is single-threaded: call it from one
 * thread at a time.
 */
#ifndef IVRSM_IVRSM_H
#define IVRSM_IVRSM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define IVRSM_API
#elif defined(IVRSM_BUILDING)
#define IVRSM_API __attribute__((visibility("default")))
#else
#define IVRSM_API
#endif

/* ---------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------- */

/* IVRSM_VERSION_MAJOR, _MINOR, _PATCH, _STRING and _NUM (0xMMmmpp, comparable
 * with >=), generated from meson.build, where the version is written once. */
#include "ivrsm/version.h"

/* The version of the library actually linked, as "MAJOR.MINOR.PATCH". */
IVRSM_API const char *ivrsm_version(void);
/* The same as IVRSM_VERSION_NUM, for the library actually linked. */
IVRSM_API int ivrsm_version_num(void);

/* ---------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------- */

enum {
    IVRSM_OK = 0,
    IVRSM_EINVAL = -1,     /* an argument is NULL, out of range or of the wrong kind */
    IVRSM_ENOMEM = -2,     /* memory allocation failed */
    IVRSM_EIO = -3,        /* a file could not be read */
    IVRSM_ESYNTAX = -4,    /* the document is not well-formed YAML or JSON */
    IVRSM_EMACHINE = -5,   /* the document is well-formed but is not a valid machine */
    IVRSM_ELIMIT = -6,     /* a documented size bound was exceeded */
    IVRSM_EDUPLICATE = -7, /* an event with this event_id was already fed: ignored */
    IVRSM_ESTALE = -8,     /* a result for a command that is not pending: ignored */
    IVRSM_EENDED = -9,     /* the session has ended (hangup or handoff done) */
    IVRSM_ESTATE = -10,    /* the call is out of order (feed before start, start twice) */
    IVRSM_ESNAPSHOT = -11, /* a snapshot is malformed or belongs to another machine */
    IVRSM_ENOTFOUND = -12, /* no such state, intent or key */
    IVRSM_EUNEXPECTED = -13 /* the event does not fit what the session waits for */
};

/* A static English description of an IVRSM_E* code. Never NULL. */
IVRSM_API const char *ivrsm_strerror(int code);
/*
 * The name of an IVRSM_E* code without its prefix ("EINVAL", "OK" for 0), or
 * NULL for a code the library does not have: bindings name their errors
 * with it instead of keeping a table of their own.
 */
IVRSM_API const char *ivrsm_errname(int code);

/* ---------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------- */

/*
 * An allocator, as nghttp3_mem: the C library's four functions, each given
 * `user`. The library allocates through the one of a machine (given when it
 * is loaded or checked: ivrsm_load_options.mem), of a session
 * (ivrsm_session_options.mem, when it is created or restored) and of an HTTP
 * adapter (ivrsm_http_options.mem); NULL there, and every function that takes
 * neither options nor an object, means ivrsm_mem_default(), the C library's.
 *
 * Each function does what its C library namesake does. The library never
 * asks for 0 bytes, never frees NULL and never reallocates NULL. The struct
 * is copied where it is given; `user` must stay valid as long as anything
 * allocated through it lives (the machine or session, and the strings they
 * returned). Calls come from the thread calling the library: a machine's
 * allocator only while it is loaded and when it is freed (never while
 * threads share it), a session's from the session's calls, and ivrsm_free()
 * from the thread that frees a string.
 *
 * What goes through it: everything the library allocates for itself (a
 * machine's model, strings and templates; a session's state, command queue,
 * the strings of its commands and prompts; the buffers used while loading or
 * running a call), and the strings it returns. Where no allocator is given
 * (the C library's), a session's own block comes from its machine's pool of
 * 2 MB chunks mapped from the system, advised to be huge pages, which a host
 * with many calls looks up faster (docs/architecture.md); a given allocator
 * gets every byte of the session, that block included. Those are freed with
 * ivrsm_free(), whatever allocator made them: each carries, in front of it,
 * the free function and user pointer to release it with. A string a
 * session returns comes from the session's allocator; ivrsm_command_to_json()
 * (a command does not know its session), ivrsm_machine_redact_json() (a
 * shared machine's allocator is not called), ivrsm_ctx_set_json(), documents
 * (ivrsm_document_*, ivrsm_node_json()) and conversions take
 * ivrsm_mem_default().
 *
 * What does not, and why:
 *   - JSON values, which the library builds with jansson: a session's ctx,
 *     the last action's answer, the values in traces and snapshots while they
 *     are written, the machine's constants. jansson has one allocator for the
 *     whole process (json_set_alloc_funcs()), with no user pointer, and frees
 *     a value with the one set when it is freed. A library that set it would
 *     take the choice from the program and from every other user of jansson
 *     in it, and values made before a change would be freed by the wrong
 *     function. It stays the program's: one that wants these values in its
 *     allocator too calls json_set_alloc_funcs() once, before anything uses
 *     jansson (the library's tests do, to make every allocation fail in turn).
 *   - libfyaml's YAML parser and emitter: libfyaml 0.7 has no allocator
 *     hook. It allocates with the C library while a YAML document is read or
 *     written, and all of it is freed before the call returns (the scalars a
 *     conversion hands its emitter are allocated with malloc() too, since
 *     libfyaml frees them with free()).
 *   - libcurl, in the HTTP adapter: its allocator is process-wide too
 *     (curl_global_init_mem()), the program's choice.
 */
typedef struct ivrsm_mem {
    void *user;
    void *(*malloc)(size_t size, void *user);
    void (*free)(void *ptr, void *user);
    void *(*calloc)(size_t count, size_t size, void *user);
    void *(*realloc)(void *ptr, size_t size, void *user);
} ivrsm_mem;

/* The C library's malloc, free, calloc and realloc. Never NULL. */
IVRSM_API const ivrsm_mem *ivrsm_mem_default(void);

/*
 * Free a string or buffer the library returned to the caller (snapshots, JSON
 * texts, conversions), with the allocator that made it. NULL is ignored.
 * Never free() them: they do not start where the allocator's block does.
 */
IVRSM_API void ivrsm_free(void *p);

/*
 * Where and why a load failed. Positions are 1-based; 0 means unknown.
 * `path` is the document path of the offending node, e.g.
 * "states.ivr.entry.routes[2].next", or "" for the whole document.
 */
typedef struct ivrsm_error {
    int code;
    int line;
    int column;
    char file[256];
    char path[256];
    char message[512];
} ivrsm_error;

/* ---------------------------------------------------------------------------
 * Machines
 * ------------------------------------------------------------------------- */

typedef enum ivrsm_format {
    IVRSM_FORMAT_AUTO = 0, /* by file extension (.json → JSON), else by content */
    IVRSM_FORMAT_YAML = 1, /* YAML 1.2 (core schema: yes/no/on/off are strings) */
    IVRSM_FORMAT_JSON = 2  /* strict JSON (RFC 8259), duplicate keys refused */
} ivrsm_format;

typedef struct ivrsm_machine ivrsm_machine;

/*
 * Documented bounds on what the loader accepts. A document beyond one of them
 * is refused with IVRSM_ELIMIT before it can use much memory or time.
 */
#define IVRSM_MAX_DOCUMENT_BYTES (4u * 1024u * 1024u) /* whole file */
#define IVRSM_MAX_DEPTH 64                            /* nesting of maps and lists */
#define IVRSM_MAX_NODES 200000                        /* nodes after alias expansion */
/* Text of the document (every scalar and key) once YAML aliases and
 * ${globals...} references are expanded: what the compiled machine holds. */
#define IVRSM_MAX_EXPANDED_BYTES (8u * 1024u * 1024u)
#define IVRSM_MAX_STRING_BYTES (64u * 1024u)          /* one scalar */
#define IVRSM_MAX_STATES 10000                        /* states in one machine */
#define IVRSM_MAX_INPUT_BYTES 4096                    /* one DTMF string or transcript */

/*
 * Bounds of what a session sends and keeps (docs/runtime.md). An http command
 * that would pass one of the first three fails its action, as a request that
 * cannot be built does (the HTTP adapter accepts every command within them);
 * an ACTION_RESULT body larger than the fourth, or nested deeper than
 * IVRSM_MAX_DEPTH, is not taken as JSON (the action fails, the body is not
 * kept).
 */
#define IVRSM_MAX_HEADER_BYTES 8192                  /* one "Name: value" header line */
#define IVRSM_MAX_PATH_BYTES 4096                    /* path, '?' and query of a request */
#define IVRSM_MAX_REQUEST_BODY_BYTES (1024u * 1024u) /* body of an http command */
#define IVRSM_MAX_RESULT_BODY_BYTES (1024u * 1024u)  /* body of an ACTION_RESULT */
#define IVRSM_MAX_HEADERS 64                         /* headers of one action */
/* What a machine's templates make of a call's data. A rendered text (a prompt's part, a `set:`
 * value, a request's value) stops at IVRSM_MAX_TEXT_BYTES; the call's data, ctx, at
 * IVRSM_MAX_CTX_BYTES of the session's store (about the size of its JSON). A `set:` past either
 * escalates the call (docs/runtime.md, "Bounds and escalation"). */
#define IVRSM_MAX_TEXT_BYTES (1024u * 1024u)         /* one text a template renders */
#define IVRSM_MAX_CTX_BYTES (16u * 1024u * 1024u)    /* a session's ctx */
#define IVRSM_MAX_ID_BYTES 256                       /* call_id and session_id */

/*
 * Load a machine from a file and compile it.
 *
 * path:   file to read (at most IVRSM_MAX_DOCUMENT_BYTES). Opening it never
 *         waits: a FIFO or pipe gives what the program writing it writes, or
 *         IVRSM_EIO when no program has it open for writing ("nothing was
 *         written to this FIFO"); a directory is IVRSM_EIO ("Is a directory").
 * format: IVRSM_FORMAT_AUTO picks JSON for a ".json" file, YAML otherwise.
 * out:    on success, a new machine with one reference owned by the caller
 *         (release it with ivrsm_machine_unref()); untouched on failure.
 * err:    may be NULL; on failure it tells the first error found.
 *
 * Returns 0, or IVRSM_EINVAL (NULL path/out), IVRSM_EIO (cannot read the file),
 * IVRSM_ESYNTAX (malformed YAML/JSON, invalid UTF-8, duplicate key),
 * IVRSM_EMACHINE (unknown key, wrong type, dangling reference, unresolved
 * ${globals...}, input-free cycle...), IVRSM_ELIMIT, IVRSM_ENOMEM.
 * Warnings never make a load fail; see ivrsm_check_file() to list them.
 */
IVRSM_API int ivrsm_machine_load_file(const char *path, ivrsm_format format, ivrsm_machine **out,
                                      ivrsm_error *err);

/*
 * Like ivrsm_machine_load_file() for a document in memory. `name` is used in
 * error messages in place of a file name and may be NULL ("<buffer>").
 * The buffer is not retained. IVRSM_FORMAT_AUTO means: JSON when the first
 * non-blank byte is '{', YAML otherwise.
 */
IVRSM_API int ivrsm_machine_load_buffer(const char *data, size_t len, ivrsm_format format,
                                        const char *name, ivrsm_machine **out, ivrsm_error *err);

/*
 * How a machine is loaded, for the *_opts() functions below. Versioned like
 * the structs of sessions (see ivrsm_event): set it with
 * IVRSM_LOAD_OPTIONS_INIT, then the fields.
 */
typedef struct ivrsm_load_options {
    size_t size;          /* IVRSM_LOAD_OPTIONS_INIT */
    const ivrsm_mem *mem; /* the machine's allocator (copied): its model, its strings, and all
                             the load allocates on the way; NULL: ivrsm_mem_default() */
} ivrsm_load_options;

#define IVRSM_LOAD_OPTIONS_INIT {.size = sizeof(ivrsm_load_options)}

/*
 * ivrsm_machine_load_file() and ivrsm_machine_load_buffer() with options
 * (NULL: the defaults). Also IVRSM_EINVAL for a size no version of the
 * library wrote, or an allocator without one of its four functions.
 */
IVRSM_API int ivrsm_machine_load_file_opts(const char *path, ivrsm_format format,
                                           const ivrsm_load_options *opts, ivrsm_machine **out,
                                           ivrsm_error *err);
IVRSM_API int ivrsm_machine_load_buffer_opts(const char *data, size_t len, ivrsm_format format,
                                             const char *name, const ivrsm_load_options *opts,
                                             ivrsm_machine **out, ivrsm_error *err);

/* Take one more reference. Returns m. Thread-safe. */
IVRSM_API ivrsm_machine *ivrsm_machine_ref(ivrsm_machine *m);
/* Drop one reference; the last one frees the machine. NULL is ignored. Thread-safe. */
IVRSM_API void ivrsm_machine_unref(ivrsm_machine *m);

/* The machine's `machine:` name and `version:` string. Owned by the machine. */
IVRSM_API const char *ivrsm_machine_name(const ivrsm_machine *m);
IVRSM_API const char *ivrsm_machine_version(const ivrsm_machine *m);
/* Number of states; states are indexed 0..count-1 in document order. */
IVRSM_API size_t ivrsm_machine_state_count(const ivrsm_machine *m);
/* Name of state `index`, or NULL when out of range. Owned by the machine. */
IVRSM_API const char *ivrsm_machine_state_name(const ivrsm_machine *m, size_t index);
/* Type of state `index` ("prompt_and_listen", "handoff"...), or NULL. */
IVRSM_API const char *ivrsm_machine_state_type(const ivrsm_machine *m, size_t index);
/* Index of the state called `name` (O(1)), or IVRSM_ENOTFOUND. */
IVRSM_API int ivrsm_machine_state_index(const ivrsm_machine *m, const char *name);
/* The patterns of state `index`'s `reference` collect, '|'-separated ("AA999999999AA|XXXXXX":
 * A a letter, 9 a digit, X either), or NULL when it has none. Owned by the machine. */
IVRSM_API const char *ivrsm_machine_collect_pattern(const ivrsm_machine *m, size_t index);
/* 1 when state `index` collects a number in a range (a `digits` collect with `min_value` or
 * `max_value`); then *min and *max (either may be NULL) are its bounds, both included (0 and
 * IVRSM_COLLECT_VALUE_MAX where the machine gives none); else 0. */
IVRSM_API int ivrsm_machine_collect_range(const ivrsm_machine *m, size_t index, int64_t *min,
                                          int64_t *max);
/* The UTC offset, in seconds, of the machine's `timezone` at the instant `unix_ms`
 * (milliseconds since 1970, UTC): 3600 for Europe/Paris in winter, 0 for UTC. */
IVRSM_API int ivrsm_machine_utc_offset(const ivrsm_machine *m, int64_t unix_ms);
/* Index of the initial state (the first one, or `initial:`). */
IVRSM_API size_t ivrsm_machine_initial_state(const ivrsm_machine *m);
/* Bytes of memory the compiled machine holds (model, strings, templates). */
IVRSM_API size_t ivrsm_machine_memory(const ivrsm_machine *m);

/*
 * Whether `key` names a secret for machine m (NULL: the built-in names
 * only): otp, code, password, pin, token, session_token,
 * portal_session_token, authorization, access_token, refresh_token, secret,
 * the machine's globals.sensitive_keys, the key an otp collect's target
 * lands under and the keys its `set:`s copy a secret to, in any case. The
 * value under such a key is what traces show as "***". `key` may be a path
 * ("auth.value", "ctx.auth.value"): a key the load made a secret with the
 * key it is held under (docs/runtime.md, "Traces") is one only with it.
 */
IVRSM_API int ivrsm_machine_key_is_sensitive(const ivrsm_machine *m, const char *key);
/*
 * `json` (any JSON text) with the value of every sensitive key, at any
 * depth, replaced by "***" (a null value stays null): how the library's
 * traces show ctx, bodies and commands. *out receives a new compact text
 * owned by the caller (ivrsm_free()). Returns 0, IVRSM_EINVAL (json is NULL
 * or not JSON; out NULL) or IVRSM_ENOMEM (memory ran out, jansson's too);
 * *out is NULL then.
 */
IVRSM_API int ivrsm_machine_redact_text(const ivrsm_machine *m, const char *json, char **out);
/* The same text, or NULL for any failure (not JSON, or memory that ran out: call
 * ivrsm_machine_redact_text() to tell them apart). */
IVRSM_API char *ivrsm_machine_redact_json(const ivrsm_machine *m, const char *json);

/* Bytes an E.164 number takes with its NUL: '+' and at most 15 digits. */
#define IVRSM_E164_SIZE 17
/*
 * A telephone number in E.164 ("+33612345678"), read as a `phone` collect
 * reads keys, by the numbering plan of `region` (a locale tag, as
 * `phone_region`: "fr-FR", "en-US"...): a national number with or without its
 * trunk prefix ("0612345678", "612345678" where the plan allows), the
 * international prefix ("0033612345678"), the country code ("33612345678",
 * "+33612345678"; the region's own numbers are checked against its plan,
 * other countries' take 8 to 15 digits). `number` is digits after an optional
 * '+', as caller ids are given; anything else is not a number.
 *
 * out: at least IVRSM_E164_SIZE bytes. Returns 0; IVRSM_ENOTFOUND for a
 * region the library has no plan for; IVRSM_EINVAL for NULL, a short out, or
 * a number that is not one in that plan (out is "" then).
 */
IVRSM_API int ivrsm_phone_e164(const char *region, const char *number, char *out, size_t outlen);
/*
 * The same by machine m's plan, the one its phone collects use before the
 * call changes language: its `phone_region`, else its `locale` (or first of
 * `languages`). Returns 0 or IVRSM_EINVAL.
 */
IVRSM_API int ivrsm_machine_phone_e164(const ivrsm_machine *m, const char *number, char *out,
                                       size_t outlen);

/* --- Documents ---------------------------------------------------------------
 *
 * The library's YAML and JSON reader, for files of one's own (the scenarios
 * of `ivrsm test` are read with it): the same bounds (IVRSM_MAX_*), the same
 * YAML 1.2 core schema (`yes` is a string, 0x1F an integer), aliases
 * expanded, duplicate keys refused, and every node and key with its line and
 * column. The root must be a map. Nodes are owned by their document.
 */
typedef struct ivrsm_document ivrsm_document;
typedef struct ivrsm_node ivrsm_node;

typedef enum ivrsm_node_kind {
    IVRSM_NODE_NULL = 0,
    IVRSM_NODE_BOOL,
    IVRSM_NODE_INT,
    IVRSM_NODE_REAL,
    IVRSM_NODE_STRING,
    IVRSM_NODE_MAP,
    IVRSM_NODE_LIST
} ivrsm_node_kind;

/*
 * Read a document (format as for ivrsm_machine_load_buffer; the buffer is
 * not kept). Returns 0 and *out (ivrsm_document_free()), or IVRSM_EINVAL,
 * IVRSM_EIO, IVRSM_ESYNTAX, IVRSM_EMACHINE (a root that is not a map),
 * IVRSM_ELIMIT or IVRSM_ENOMEM with *err (may be NULL) naming the place.
 */
IVRSM_API int ivrsm_document_load_buffer(const char *data, size_t len, ivrsm_format format,
                                         const char *name, ivrsm_document **out, ivrsm_error *err);
IVRSM_API int ivrsm_document_load_file(const char *path, ivrsm_format format,
                                       ivrsm_document **out, ivrsm_error *err);
IVRSM_API void ivrsm_document_free(ivrsm_document *doc);
/* The root map. */
IVRSM_API const ivrsm_node *ivrsm_document_root(const ivrsm_document *doc);

/* A node's kind (IVRSM_NODE_NULL for NULL), 1-based line and column (0 for NULL). */
IVRSM_API ivrsm_node_kind ivrsm_node_type(const ivrsm_node *n);
IVRSM_API int ivrsm_node_line(const ivrsm_node *n);
IVRSM_API int ivrsm_node_column(const ivrsm_node *n);
/* Pairs of a map, items of a list, 0 otherwise. */
IVRSM_API size_t ivrsm_node_size(const ivrsm_node *n);
/* Item i of a list, or NULL. */
IVRSM_API const ivrsm_node *ivrsm_node_item(const ivrsm_node *list, size_t i);
/* Key i of a map in document order (line and column of the key when not NULL), or NULL. */
IVRSM_API const char *ivrsm_node_key(const ivrsm_node *map, size_t i, int *line, int *column);
/* Value i of a map, or NULL. */
IVRSM_API const ivrsm_node *ivrsm_node_value(const ivrsm_node *map, size_t i);
/* The value under `key` in a map, or NULL. */
IVRSM_API const ivrsm_node *ivrsm_node_get(const ivrsm_node *map, const char *key);
/* A string's value; another scalar's text as written ("0x1F", "~"); NULL for a map or list. */
IVRSM_API const char *ivrsm_node_text(const ivrsm_node *n);
/* The value of a boolean, an integer, a number (an integer too); 0 for other kinds. */
IVRSM_API int ivrsm_node_bool(const ivrsm_node *n);
IVRSM_API int64_t ivrsm_node_int(const ivrsm_node *n);
IVRSM_API double ivrsm_node_real(const ivrsm_node *n);
/*
 * The subtree as compact JSON text, keys in document order, numbers as written
 * where JSON reads that text (12.50 stays 12.50), others from their value (.5
 * is 0.5, 0x1F is 31) (ivrsm_free()), or NULL when it holds a number JSON
 * cannot (.inf, .nan) or memory ran out.
 */
IVRSM_API char *ivrsm_node_json(const ivrsm_node *n);

/* --- Inputs: the ctx keys the host provides ----------------------------------- */

/*
 * An input declared by the machine's top-level `inputs:`: a ctx key the host
 * gives in ivrsm_session_options.ctx_json. Owned by the machine.
 */
typedef struct ivrsm_input {
    const char *name;         /* the ctx key, maybe dotted ("caller.number") */
    const char *type;         /* "string", "number", "integer", "boolean", "object", "array" or
                                 "any" */
    const char *default_json; /* the value given when the host gives none, as JSON; or NULL */
    int required;             /* nonzero: a session without it is refused */
    const char *description;  /* or NULL */
} ivrsm_input;

/*
 * The machine's inputs, in document order (count 0 and NULL out of range).
 * ivrsm_session_new() checks them: a missing input takes its default; a
 * missing required input, or one of the wrong type, fails with IVRSM_EINVAL
 * and a message naming it.
 */
IVRSM_API size_t ivrsm_machine_input_count(const ivrsm_machine *m);
IVRSM_API const ivrsm_input *ivrsm_machine_input(const ivrsm_machine *m, size_t index);

/* --- The machine as a graph -------------------------------------------------- */

/* What takes a transition. */
typedef enum ivrsm_transition_kind {
    IVRSM_TRANSITION_ROUTE = 0, /* routes[route]: an intent (said or keyed), a when_text phrase,
                                   or a condition alone (`when`, tried on entering the state) */
    IVRSM_TRANSITION_NOINPUT,   /* noinput.next */
    IVRSM_TRANSITION_NOMATCH,   /* nomatch.next */
    IVRSM_TRANSITION_FALLBACK,  /* fallback.next */
    IVRSM_TRANSITION_RETRY,     /* collect.retry.on_fail_next */
    IVRSM_TRANSITION_NEXT,      /* the state's next (also after an outcome without its own) */
    IVRSM_TRANSITION_SUCCESS,   /* on_success.next of an action or a handoff */
    IVRSM_TRANSITION_FAIL,      /* on_fail.next */
    IVRSM_TRANSITION_STATUS,    /* on_status[status].next: an answer with that status or class */
    IVRSM_TRANSITION_TIMEOUT,   /* on_timeout.next: the request timed out */
    IVRSM_TRANSITION_ERROR      /* on_error.next: no answer, or a 2xx body that is not JSON */
} ivrsm_transition_kind;

/*
 * A transition written in the machine: the one list that the validator,
 * `ivrsm graph` and `ivrsm test --coverage` all read. Owned by the machine
 * and valid as long as it is; fields may be added at the end in later
 * versions, so never allocate or copy one by value.
 */
typedef struct ivrsm_transition {
    size_t from; /* state index */
    size_t to;   /* state index */
    ivrsm_transition_kind kind;
    size_t route;       /* IVRSM_TRANSITION_ROUTE: index in the state's routes; else 0 */
    const char *intent; /* a route taken by an intent: its name; else NULL */
    const char *text;   /* a when_text route: the phrase (normalised); else NULL */
    const char *condition; /* a route with `when`: the condition as written; else NULL. A route
                              with a condition and no intent or text is taken on entering the
                              state, without input */
    const char *status;    /* IVRSM_TRANSITION_STATUS: the key of on_status, "401" or "4xx";
                              else NULL */
} ivrsm_transition;

/*
 * The transitions out of state `state`, counted and read one by one (index
 * 0..count-1), in a fixed order: routes, noinput, nomatch, fallback, retry,
 * next, on_success, on_fail, on_status (in document order), on_timeout, on_error. Only the transitions a call can take are
 * listed: a state that does not listen has no routes, a prompt_end state has
 * none at all, an action's `next` is listed only when an outcome falls back
 * on it. Count 0 and NULL when m is NULL or an index is out of range.
 */
IVRSM_API size_t ivrsm_machine_transition_count(const ivrsm_machine *m, size_t state);
IVRSM_API const ivrsm_transition *ivrsm_machine_transition(const ivrsm_machine *m, size_t state,
                                                           size_t index);
/* "route", "noinput", "nomatch", "fallback", "retry", "next", "success", "fail", "status",
 * "timeout", "error"; NULL otherwise. */
IVRSM_API const char *ivrsm_transition_kind_name(ivrsm_transition_kind kind);

/* ---------------------------------------------------------------------------
 * Checking a machine: every error and warning, not only the first
 * ------------------------------------------------------------------------- */

typedef enum ivrsm_severity { IVRSM_SEVERITY_ERROR = 0, IVRSM_SEVERITY_WARNING = 1 } ivrsm_severity;

typedef struct ivrsm_diagnostic {
    ivrsm_severity severity;
    int line;            /* 1-based, 0 unknown */
    int column;          /* 1-based, 0 unknown */
    const char *path;    /* document path, "" for the document itself */
    const char *rule;    /* stable rule id, e.g. "dangling-next", "unreachable-state" */
    const char *message; /* one line, no trailing newline */
} ivrsm_diagnostic;

typedef struct ivrsm_diagnostics ivrsm_diagnostics;

/*
 * Load and check a machine, collecting every diagnostic (syntax errors stop
 * at the first one, since nothing after it can be trusted).
 *
 * out: on success, a new list owned by the caller (ivrsm_diagnostics_free()).
 *      The list may hold errors: success means the check ran, not that the
 *      machine is valid (see ivrsm_diagnostics_error_count()).
 *
 * Returns 0, IVRSM_EINVAL, IVRSM_EIO (file unreadable; nothing was checked)
 * or IVRSM_ENOMEM.
 */
IVRSM_API int ivrsm_machine_check_file(const char *path, ivrsm_format format,
                                        ivrsm_diagnostics **out);
/* The same for a document in memory; `name` as in ivrsm_machine_load_buffer(). */
IVRSM_API int ivrsm_machine_check_buffer(const char *data, size_t len, ivrsm_format format,
                                         const char *name, ivrsm_diagnostics **out);
/*
 * The same with load options (NULL: the defaults): the list and all the
 * check allocates come from opts->mem. Also IVRSM_EINVAL for options
 * ivrsm_machine_load_file_opts() refuses.
 */
IVRSM_API int ivrsm_machine_check_file_opts(const char *path, ivrsm_format format,
                                            const ivrsm_load_options *opts,
                                            ivrsm_diagnostics **out);
IVRSM_API int ivrsm_machine_check_buffer_opts(const char *data, size_t len, ivrsm_format format,
                                              const char *name, const ivrsm_load_options *opts,
                                              ivrsm_diagnostics **out);
/* The names of 0.1, kept for source compatibility. */
#define ivrsm_check_file ivrsm_machine_check_file
#define ivrsm_check_buffer ivrsm_machine_check_buffer
IVRSM_API size_t ivrsm_diagnostics_count(const ivrsm_diagnostics *d);
IVRSM_API size_t ivrsm_diagnostics_error_count(const ivrsm_diagnostics *d);
/* Diagnostic `i`, sorted by position; NULL when out of range. Owned by the list. */
IVRSM_API const ivrsm_diagnostic *ivrsm_diagnostics_get(const ivrsm_diagnostics *d, size_t i);
/* The file name diagnostics refer to. Owned by the list. */
IVRSM_API const char *ivrsm_diagnostics_file(const ivrsm_diagnostics *d);
IVRSM_API void ivrsm_diagnostics_free(ivrsm_diagnostics *d);

/*
 * Convert a machine document between YAML and JSON without compiling it
 * (${globals...} references are kept as written; comments are not carried).
 *
 * to:  IVRSM_FORMAT_YAML or IVRSM_FORMAT_JSON.
 * out: on success a NUL-terminated string owned by the caller (ivrsm_free()).
 *
 * Returns 0, IVRSM_EINVAL, IVRSM_EIO, IVRSM_ESYNTAX, IVRSM_ELIMIT, IVRSM_ENOMEM.
 */
IVRSM_API int ivrsm_document_convert_file(const char *path, ivrsm_format from, ivrsm_format to,
                                          char **out, ivrsm_error *err);
/* The name of 0.1, kept for source compatibility. */
#define ivrsm_convert_file ivrsm_document_convert_file

/* ---------------------------------------------------------------------------
 * Sessions: one per call
 *
 * Lifecycle:
 *   ivrsm_session_new()   → created, nothing emitted yet
 *   ivrsm_session_start() → enters the initial state; commands queue up
 *   loop: drain ivrsm_session_next_command(), execute them, and feed
 *         what happens with ivrsm_session_feed():
 *           ask      → the caller's input (DTMF, SPEECH, INTENT), NOINPUT or NOMATCH
 *           http     → ACTION_RESULT naming the command id
 *           handoff  → HANDOFF_RESULT naming the command id
 *           say      → nothing to feed (play it, then go on)
 *           hangup   → the call is over; ivrsm_session_ended() is true
 *         A HANGUP event from the caller ends the session at any time.
 *   ivrsm_session_free()
 * At any point between two events the session can be saved with
 * ivrsm_session_snapshot() and brought back with ivrsm_session_restore().
 * ------------------------------------------------------------------------- */

typedef struct ivrsm_session ivrsm_session;

typedef enum ivrsm_event_type {
    IVRSM_EVENT_DTMF = 1,           /* text: keyed digits 0-9 * # A-D */
    IVRSM_EVENT_SPEECH = 2,         /* text: transcript; confidence */
    IVRSM_EVENT_INTENT = 3,         /* text: intent name from an external recogniser */
    IVRSM_EVENT_NOINPUT = 4,        /* the caller said nothing before the timeout */
    IVRSM_EVENT_NOMATCH = 5,        /* the recogniser rejected what it heard */
    IVRSM_EVENT_ACTION_RESULT = 6,  /* command_id, status, body or error */
    IVRSM_EVENT_HANDOFF_RESULT = 7, /* command_id, ok */
    IVRSM_EVENT_HANGUP = 8          /* the caller hung up */
} ivrsm_event_type;

/*
 * Structs the caller fills (ivrsm_event, ivrsm_session_options, ivrsm_limits,
 * ivrsm_http_options) start with their size, so that later versions can add
 * fields at the end without breaking programs built against this one: set
 * it with the IVRSM_*_INIT initialisers (sizeof the struct), then the fields.
 * A size of 0 (a zeroed struct, or designated initialisers without the
 * size) stands for the layout of this version (0.2); fields added later then
 * take their defaults. Structs the library fills (ivrsm_command) carry their
 * size too: a field exists when its offset is below it.
 */
typedef struct ivrsm_event {
    size_t size; /* sizeof(ivrsm_event): IVRSM_EVENT_INIT; 0 = the 0.2 layout */
    ivrsm_event_type type;
    const char *event_id; /* optional; a repeated id is ignored (IVRSM_EDUPLICATE) */
    const char *text;     /* DTMF / SPEECH / INTENT; at most IVRSM_MAX_INPUT_BYTES */
    double confidence;    /* SPEECH: the recogniser's confidence in (0, 1]; 0 (a zeroed
                             event), a negative value or NaN means "not given" (= 1) */
    uint64_t command_id;  /* ACTION_RESULT / HANDOFF_RESULT: the command answered */
    int status;           /* ACTION_RESULT: HTTP status, 0 for a transport error */
    const char *body;     /* ACTION_RESULT: response body (JSON), may be NULL */
    size_t body_len;      /* length of body; 0 with a non-NULL body means strlen */
    const char *error;    /* ACTION_RESULT: transport error text ("timeout"...), or NULL */
    int ok;               /* HANDOFF_RESULT: nonzero when the transfer succeeded */
} ivrsm_event;

#define IVRSM_EVENT_INIT {.size = sizeof(ivrsm_event)}

typedef enum ivrsm_command_type {
    IVRSM_COMMAND_SAY = 1,     /* play text; nothing to feed back */
    IVRSM_COMMAND_ASK = 2,     /* play text and listen; feed the caller's answer */
    IVRSM_COMMAND_HTTP = 3,    /* call the backend; feed ACTION_RESULT */
    IVRSM_COMMAND_HANDOFF = 4, /* transfer to a human; feed HANDOFF_RESULT */
    IVRSM_COMMAND_HANGUP = 5   /* end the call */
} ivrsm_command_type;

typedef struct ivrsm_header {
    const char *name;
    const char *value;
} ivrsm_header;

/* One part of what is said: words to speak, or a recording to play. */
typedef enum ivrsm_part_type {
    IVRSM_PART_SAY = 1, /* text: the words (already rendered) */
    IVRSM_PART_PLAY = 2 /* text: the recording's URI as the machine wrote it ("ivr/welcome.wav") */
} ivrsm_part_type;

typedef struct ivrsm_part {
    ivrsm_part_type type;
    const char *text;
} ivrsm_part;

/*
 * Filled by the library. Later versions add fields at the end of the struct
 * only (never inside ask, http, handoff or hangup): `size` tells which exist.
 */
typedef struct ivrsm_command {
    size_t size; /* sizeof(ivrsm_command) of the library that filled it */
    ivrsm_command_type type;
    uint64_t id;       /* unique and increasing within the session; results name it */
    const char *state; /* the state that emitted it */
    const char *text;  /* SAY/ASK: the words to say; HANDOFF: what to say first (may be NULL);
                          see also `parts` below, which adds the recordings to play */
    struct {
        int dtmf;               /* nonzero when keyed input is accepted */
        int speech;             /* nonzero when speech is accepted */
        int min_digits;         /* DTMF bounds for play-and-collect style engines */
        int max_digits;
        const char *terminators; /* e.g. "#", "" for none */
        int timeout_ms;          /* no-input timeout after the prompt */
        int digit_timeout_ms;    /* inter-digit timeout */
        int barge_in;            /* nonzero: the caller may interrupt the prompt */
        const char *const *hints; /* phrases the recogniser can expect */
        size_t hint_count;
        const char *collect; /* NULL, or "phone", "otp", "digits", "date_nl", "date_past",
                                "free_speech_or_no", "reference" */
    } ask;
    struct {
        const char *endpoint;  /* endpoint name from globals.endpoints, or NULL */
        const char *method;    /* "GET", "PUT", "POST", "PATCH", "DELETE" */
        const char *path;      /* path with parameters URL-encoded, e.g. "/appointments/a%2F1" */
        const char *query;     /* URL-encoded "k=v&k2=v2", or NULL */
        const ivrsm_header *headers;
        size_t header_count;
        const char *body; /* JSON text, or NULL */
        const char *idempotency_key;
        int timeout_ms;
    } http;
    struct {
        const char *queue;   /* queue or destination */
        const char *context; /* JSON object: session_id, call_id, state path, ctx summary */
    } handoff;
    struct {
        const char *reason; /* "goodbye", "escalation", "handoff_disabled"... */
    } hangup;
    /*
     * SAY/ASK/HANDOFF: what to say, in order, as parts (adjacent words are one
     * part, so a prompt without recordings is one SAY part whose text is
     * `text`). A host that plays recordings plays these; a host that only
     * speaks says `text`, which holds the words of every SAY part. 0 parts
     * when there is nothing to say.
     */
    const ivrsm_part *parts;
    size_t part_count;
    /*
     * SAY/ASK/HANDOFF: the language of the words, a locale tag of the
     * machine's languages ("en-US"): the voice to speak them with, and for
     * ASK the language to recognise. It is the call's language (ctx.language)
     * when the command was emitted. NULL for other commands.
     */
    const char *language;
} ivrsm_command;

/*
 * Milliseconds since the Unix epoch; the session never reads a clock itself.
 * A clock gives a time of the years 1 to 9999 (UTC), IVRSM_CLOCK_MIN_MS to
 * IVRSM_CLOCK_MAX_MS: ivrsm_session_start() and ivrsm_session_feed() read it
 * before anything else and refuse any other time with IVRSM_EINVAL, the
 * session unchanged (a clock never set, a sign error, INT64_MIN as "no time").
 */
typedef int64_t (*ivrsm_clock_fn)(void *user);

#define IVRSM_CLOCK_MIN_MS (-62135596800000LL) /* 0001-01-01T00:00:00.000Z */
#define IVRSM_CLOCK_MAX_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

/*
 * Trace sink: receives one record per call as a JSON object text (no newline)
 * such as {"seq":3,"kind":"transition","from":"a","to":"b","reason":"intent:yes"}.
 * Secret values (OTP, tokens, Authorization, keys listed in
 * globals.sensitive_keys) are replaced by "***" before the sink sees them.
 * The record is only valid during the call.
 */
typedef void (*ivrsm_trace_fn)(void *user, const char *record);

/*
 * Bounds of one call, overriding the machine's (globals.limits.*, globals.otp.*).
 * A field left at 0 keeps the machine's value. Reaching a bound escalates the
 * call: handoff when enabled, else goodbye (docs/runtime.md).
 */
typedef struct ivrsm_limits {
    size_t size;                  /* IVRSM_LIMITS_INIT; 0 = the 0.2 layout */
    int max_consecutive_failures; /* no-input, no-match and failed actions in a row */
    int max_state_visits;         /* entries into one state */
    int max_steps_per_event;      /* states entered while handling one event */
    int otp_max_attempts;         /* failed OTP verifications */
    double min_confidence;        /* speech below it is a no-match (0..1) */
} ivrsm_limits;

#define IVRSM_LIMITS_INIT {.size = sizeof(ivrsm_limits)}

/*
 * Randomness for the session: fill dest[0..len) with unpredictable bytes and
 * return 0 (nonzero: none could be had). A session asks for it once, to make
 * its id when the host gives none (like ngtcp2's rand callback).
 */
typedef int (*ivrsm_rand_fn)(void *user, uint8_t *dest, size_t len);

typedef struct ivrsm_session_options {
    size_t size;         /* IVRSM_SESSION_OPTIONS_INIT; 0 = the 0.2 layout */
    const char *call_id; /* copied into ctx.call_id; may be NULL */
    /*
     * Copied into ctx.session_id; idempotency keys are SESSION_ID-COMMAND_ID,
     * so one id per call, unique across every host that calls the same
     * backend. NULL: "s-" and the call_id when there is one (call ids are
     * then unique per call), else "s-" and 32 hex digits of randomness from
     * `rand`. call_id and session_id: UTF-8, at most IVRSM_MAX_ID_BYTES
     * bytes, no control characters.
     */
    const char *session_id;
    const char *ctx_json;   /* initial ctx, a JSON object text; may be NULL */
    ivrsm_clock_fn clock;   /* NULL: dates resolve against 0 (1970-01-01) */
    void *clock_user;
    ivrsm_trace_fn trace; /* NULL: no trace */
    void *trace_user;
    const ivrsm_limits *limits; /* NULL: the machine's bounds */
    /* NULL: the operating system's random source (getrandom); failing that,
     * the time, the process and the session's address mixed, which is
     * unique but not unpredictable. Not in the 0.2 layout. */
    ivrsm_rand_fn rand;
    void *rand_user;
    const ivrsm_mem *mem;       /* the session's allocator (copied; see ivrsm_mem); NULL:
                                   ivrsm_mem_default(), not the machine's, which other threads'
                                   sessions would then share */
} ivrsm_session_options;

#define IVRSM_SESSION_OPTIONS_INIT {.size = sizeof(ivrsm_session_options)}

/*
 * Create a session on machine `m` (which it references until freed, so a
 * newer machine can be loaded meanwhile without disturbing the call).
 *
 * opts: may be NULL. out: the new session, owned by the caller.
 * err:  may be NULL; set when ctx_json is not a JSON object, or holds more than
 *       IVRSM_MAX_CTX_BYTES once read (IVRSM_ELIMIT: a call's ctx never does).
 *       The message never quotes ctx_json's text (it holds the call's tokens).
 * Returns 0, IVRSM_EINVAL, IVRSM_ELIMIT, IVRSM_ENOMEM.
 */
IVRSM_API int ivrsm_session_new(ivrsm_machine *m, const ivrsm_session_options *opts,
                                ivrsm_session **out, ivrsm_error *err);

/*
 * Enter the initial state. Returns 0, IVRSM_EINVAL (also a clock outside
 * IVRSM_CLOCK_MIN_MS..IVRSM_CLOCK_MAX_MS: not started), IVRSM_ESTATE (already
 * started) or IVRSM_ENOMEM (as for ivrsm_session_feed()).
 */
IVRSM_API int ivrsm_session_start(ivrsm_session *s);

/*
 * Feed one event; the strings it points at are copied as needed.
 * Returns 0 when the event was taken, or
 *   IVRSM_EDUPLICATE (event_id already seen; nothing happened),
 *   IVRSM_ESTALE     (a result for a command that is not pending; nothing happened),
 *   IVRSM_EUNEXPECTED (e.g. caller input while an http command is pending),
 *   IVRSM_EENDED     (the session has ended), IVRSM_ESTATE (not started),
 *   IVRSM_EINVAL (also a size that is neither 0 nor a layout of the library,
 *   or a clock outside IVRSM_CLOCK_MIN_MS..IVRSM_CLOCK_MAX_MS; nothing happened:
 *   feed the event again once the clock is right),
 *   IVRSM_ELIMIT (text longer than IVRSM_MAX_INPUT_BYTES),
 *   IVRSM_ENOMEM (memory ran out: the step was not done and its commands are
 *   withdrawn; the session answers IVRSM_ENOMEM to every call but
 *   ivrsm_session_free() from then on: free it and restore the last snapshot,
 *   then feed the event again; docs/runtime.md, "When memory runs out").
 * Garbage input (unknown digits, invalid UTF-8) is not an error: it counts as
 * a no-match, as a caller would expect.
 */
IVRSM_API int ivrsm_session_feed(ivrsm_session *s, const ivrsm_event *ev);

/*
 * A hint that an event for this session comes soon: the processor starts
 * fetching the memory the next ivrsm_session_feed() reads and writes (the
 * session's hot fields, the command slot it builds in, the visit counts),
 * and returns without waiting for it. A host with many live calls that has
 * several events in hand (the events of one read from FreeSWITCH's event
 * socket) calls it for each of their sessions, then feeds the events one
 * after the other: the sessions' cache misses overlap instead of coming one
 * after another (docs/runtime.md, "Many calls: prefetching a burst").
 * It changes nothing and returns nothing: a session in any phase (not
 * started, ended, out of memory) is fine, NULL is ignored. It reads the
 * session, so the thread rule of every ivrsm_session_* function holds.
 */
IVRSM_API void ivrsm_session_prefetch(const ivrsm_session *s);

/*
 * The next command to execute, or NULL when there is none. The command and
 * its strings stay valid until the next call to any ivrsm_session_* function
 * on this session.
 */
IVRSM_API const ivrsm_command *ivrsm_session_next_command(ivrsm_session *s);

/*
 * A command as one JSON object text, for logs and hosts in other languages:
 * {"type":"ask","id":2,"state":"...","text":"...","dtmf":true,...}; http
 * bodies and handoff contexts appear as JSON values. Nothing is redacted:
 * the body may hold secrets. Returns a string owned by the caller
 * (ivrsm_free()), or NULL for a NULL command or on allocation failure.
 */
IVRSM_API char *ivrsm_command_to_json(const ivrsm_command *c);

/*
 * The http or handoff command whose result the session awaits, or NULL. After
 * ivrsm_session_restore() in another process, this is the command to send
 * again (an http command keeps its idempotency key). Valid until the next
 * call to any ivrsm_session_* function on this session.
 */
IVRSM_API const ivrsm_command *ivrsm_session_pending_command(const ivrsm_session *s);

/* Nonzero once the call has ended (hangup emitted or received, handoff done). */
IVRSM_API int ivrsm_session_ended(const ivrsm_session *s);
/* Name of the current state (NULL before start). Owned by the machine. */
IVRSM_API const char *ivrsm_session_state(const ivrsm_session *s);
/*
 * Nonzero when the caller's next input is a secret: the state collects a
 * one-time code or a value kept under a sensitive key (a PIN in ctx.pin), or
 * hands its input on to a state that does ("say the code again"; see
 * ivrsm_session_input_collect). The session's traces mask such input; a host
 * masks it in its own logs and echoes the same way. 0 for NULL.
 */
IVRSM_API int ivrsm_session_input_is_secret(const ivrsm_session *s);
/*
 * The collect mode that reads the caller's next input ("phone", "otp",
 * "digits", "date_nl", "date_past", "free_speech_or_no"): the current state's, or, for a
 * state without collect whose plain `next` takes what no route matched (a
 * retry: "Code incorrect, say the code again"), that of the state it hands
 * the input on to, which the ask's `collect` does not show. NULL when no
 * collect reads it, before start, or for NULL. A static string.
 */
IVRSM_API const char *ivrsm_session_input_collect(const ivrsm_session *s);
/* The machine this session runs. Not a new reference. */
IVRSM_API ivrsm_machine *ivrsm_session_machine(const ivrsm_session *s);
/*
 * The session's ctx as JSON text (sensitive values included: this is for the
 * host, not for logs). Returns a string owned by the caller (ivrsm_free()), or
 * NULL on allocation failure.
 */
IVRSM_API char *ivrsm_session_ctx_json(const ivrsm_session *s);

/*
 * Save the whole session (state, counters, ctx, pending command, recent event
 * ids, sequence numbers) as a JSON text owned by the caller (ivrsm_free()).
 * Call it between events (after draining commands or not: queued commands are
 * saved too). Returns 0, IVRSM_EINVAL, IVRSM_ENOMEM (nothing is made: a
 * snapshot is whole or not at all; also for a session a step of which ran out
 * of memory).
 */
IVRSM_API int ivrsm_session_snapshot(const ivrsm_session *s, char **out);

/*
 * Rebuild a session from a snapshot, on a machine with the same name and
 * version (a hot reload of the same version, or another process).
 * opts supplies the clock, trace sink, limits and allocator (its ctx_json,
 * call_id and session_id are ignored: they come from the snapshot). Returns
 * 0, IVRSM_EINVAL, IVRSM_ESNAPSHOT (malformed, another machine/version, or
 * nested deeper than 4 * IVRSM_MAX_DEPTH levels, which no session writes),
 * IVRSM_ELIMIT (a ctx past IVRSM_MAX_CTX_BYTES and what the machine's
 * collects may add after a call's last `set:`, which no session writes),
 * IVRSM_ENOMEM. err's message never quotes the snapshot's text (it holds the
 * call's secrets): "snapshot: not JSON: invalid token (line 1, column 40)".
 */
IVRSM_API int ivrsm_session_restore(ivrsm_machine *m, const char *snapshot,
                                    const ivrsm_session_options *opts, ivrsm_session **out,
                                    ivrsm_error *err);

/* Free a session (NULL is ignored). Pending commands are dropped. */
IVRSM_API void ivrsm_session_free(ivrsm_session *s);

/*
 * Set one ctx key in a JSON object text, the way a machine's `set:` writes
 * ctx: a dotted key ("caller.name") sets a member of nested objects, made
 * where missing and replacing a value on the way that is not an object.
 * Hosts use it to build ivrsm_session_options.ctx_json.
 *
 * ctx_json:   a JSON object text, or NULL for {}.
 * key:        dotted key; no part may be empty.
 * value_json: the value as JSON text ("3", "\"Ana\"", "{...}").
 * out:        on success, the new object text owned by the caller (ivrsm_free()).
 * Returns 0, IVRSM_EINVAL (ctx_json not an object, value_json not JSON,
 * either nested deeper than IVRSM_MAX_DEPTH as ctx_json may not be, a bad
 * key), or IVRSM_ENOMEM.
 */
IVRSM_API int ivrsm_ctx_set_json(const char *ctx_json, const char *key, const char *value_json,
                                 char **out);

/*
 * Bytes the session holds (for capacity planning): its block, its ctx (kept
 * in one block of the session's own, not as jansson values), the question it
 * holds and what is queued. The allocator's own overhead per block is not
 * counted.
 */
IVRSM_API size_t ivrsm_session_memory(const ivrsm_session *s);

#ifdef __cplusplus
}
#endif

#endif /* IVRSM_IVRSM_H */
