/*
 * What calls.c, resume.c and snapstore.c share about a call.
 */
#ifndef ESL_HOST_CALLS_INT_H
#define ESL_HOST_CALLS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "app_args.h"
#include "calls.h"
#include "host.h"
#include "store.h"

#define CALL_MAX_STEPS 3 /* handoff: context, words, transfer */

/* An http command on the wire; outlives its call when the caller hangs up. */
typedef struct http_ticket {
    host *h;
    struct call *call; /* NULL once the call has ended: the result is dropped */
    uint64_t command_id;
    char method[8];
    char path[200];
    bool submitted; /* on the wire */
    bool storing;   /* waiting for its snapshot to be stored (else for the fence, if not sent) */
    bool awaiting_store;   /* its snapshot could not be stored: it waits (call_store_request) */
    int64_t refused_since; /* monotonic ms the store first refused its snapshot, 0 if never */
    /* Once submitted: its place among the requests watched for it (h->tickets), whether it
     * holds one of the adapter's slots (started: on the wire since sent_at), the host's own
     * deadline from then (monotonic ms, -1 while it waits for a slot), and whether it passed
     * (the result is then a timeout). */
    int64_t sent_at, deadline_at;
    int timeout_ms; /* the request's own */
    bool watched, started, expired;
    struct http_ticket *prev, *next;
} http_ticket;

typedef struct call {
    host *h;
    call_table_link link;   /* its place in h->calls */
    char uuid[65];          /* the channel's Unique-ID (checked by esl_uuid_valid) */
    char session_id[48];    /* ours, random: idempotency keys derive from it */
    ivrsm_session *s;       /* NULL once ended */
    ivrsm_machine *machine; /* the machine it started on (kept through a reload) */
    char *snapshot;         /* the session saved after the last event */

    /* The command being executed (0: none) and the last one taken from the
     * session: after a restore from the snapshot, the commands before the
     * one in flight were already carried out and are skipped. */
    uint64_t inflight_id;
    ivrsm_command_type inflight_type;
    uint64_t last_pulled_id;

    /* Its applications, executed in order; app_uuid is the Event-UUID of the
     * step sent ("" while none is on its way). */
    app_step steps[CALL_MAX_STEPS];
    size_t step_count, step;
    size_t ask_step; /* the ask's own step (after flush_dtmf) */
    char app_uuid[40];
    /* An application sent on a connection lost before FreeSWITCH answered: it may run late
     * (late.c). "" when none is watched for. */
    char late_app_uuid[40];
    bool late_plays; /* the application watched for plays to the caller */
    /* A voice set lost with its connection ("" once seen running), and whether the channel's
     * voice is in doubt until a prompt starts in its own (late.c late_voice_lost). */
    char late_voice_uuid[40];
    bool voice_doubt;
    app_step keypad_fallback; /* a speech ask again on the keypad */
    app_step keypad_rest;     /* the other keys of an entry begun during a speech ask */
    char ask_terminators[16]; /* of the ask in flight */
    char digits_var[APP_DIGITS_VAR_MAX]; /* where its keys go (app_digits_var) */
    char keyed_prefix[4];     /* the key that ended the speech ask */
    bool collecting_rest;     /* keypad_rest is running */
    bool ask_speech;          /* the ask in flight went to the recogniser */
    bool ask_secret;          /* its answer is a secret (ivrsm_session_input_is_secret) */
    bool asr_failed;          /* the recogniser failed once: keypad only from then on */
    bool bridged;             /* CHANNEL_BRIDGE seen while a handoff runs */
    bool revoicing;           /* its prompt started in another voice: stopped, sent again */
    unsigned char revoiced;   /* how many times the step in flight was (check_prompt_voice) */
    bool left_park;           /* transferred out of the park by someone else: let go */
    bool drain_handoff;       /* handed off by the host at the drain timeout */
    char state[128];          /* the state of the command in flight, for logs */
    char end_how[96];         /* how the session ended, when the host knows better than "over" */

    http_ticket *ticket; /* the http command on the wire, or NULL */
    bool needs_resume;   /* a command could not be sent, or the connection dropped */
    bool giving_up;      /* the host cannot go on with the call: it hangs the channel up */
    bool resume_pending; /* waiting for uuid_exists after a reconnection */
    bool ended;
    bool claiming;        /* waiting for the store's answer: not ours yet */
    bool foreign;         /* another host owns it (or it could not be taken): events ignored */
    bool store_dirty;     /* its latest snapshot is not in the store yet */
    bool store_refused;   /* the store refused its last snapshot (said once, until one is stored) */
    bool store_removed;   /* its keys' removal was sent to the store (snap_remove) */
    bool held;            /* the host is fenced: what it would send waits (call_unhold) */
    int64_t ended_at;     /* monotonic ms */
    unsigned long events; /* events fed */
    int64_t answer_at_us; /* when the last answer arrived (monotonic µs), 0 once acted on */
} call;

/* The live or ended call of channel `uuid`, or NULL. */
call *call_find(host *h, const char *uuid);

/* Session options for this call (clock, trace). */
void call_session_options(call *c, ivrsm_session_options *o);

/* Take commands from the session and execute them until one is in flight. */
void call_pump(call *c);

/* Execute one command taken from the session (calls.c). */
void call_execute(call *c, const ivrsm_command *cmd);

/* Send the current step of the command in flight (or mark the call for resumption). */
void call_send_step(call *c);

/*
 * The keys of the keypad question in flight, read from the channel when its completion was
 * lost (resume.c): fed as its answer, as complete_ask() would have. The call goes on.
 */
void call_answer_recovered(call *c, const char *keys);

/* The reply to "api uuid_dump UUID" (mod_commands.c uuid_dump_function: the channel's data as
 * an event's URL-encoded header lines, switch_event_serialize) as an event (parked.c). NULL
 * when out of memory or when it does not frame. */
esl_msg *call_dump_as_event(const char *text);

/*
 * The spoken question in flight ended while its completion was lost: its result, read from
 * the channel's data (resume.c), fed as complete_ask() would have fed the completion.
 */
void call_speech_recovered(call *c, const esl_msg *dump);

/* Send the tts_engine / tts_voice variables that 'say:' prompts need (untracked). */
void call_send_setup(call *c);

/* A message for the call could not be sent: try again when the connection is ready, soon when
 * it is (memory ran out). */
void call_retry_later(call *c);

/*
 * The host cannot go on with the call (memory ran out where the session cannot be brought
 * back): its session is dropped and the channel hung up (NORMAL_TEMPORARY_FAILURE), sent
 * again until FreeSWITCH has it. `why` is logged.
 */
void call_give_up(call *c, const char *why);
/* The same for a call this host takes from another (its snapshot unusable): what the other
 * host started is stopped first (uuid_break all), then the channel hung up. */
void call_give_up_taken(call *c, const char *why);

/* Send the hangup of a call given up (again after a reconnection). */
void call_send_give_up(call *c);

/* resume.c: rebuild the session from its snapshot. Returns 0, or -1 (the current one is kept). */
int call_restore_session(call *c);

/* calls.c: a park of channel `uuid` (a CHANNEL_PARK, or the channel's data found parked). */
void call_take_park(host *h, const esl_msg *ev, const char *uuid);

/* parked.c: list the channels again soon (memory ran out on the way). */
void calls_find_parked_later(host *h);

/* Feed the caller's hangup and end the call. */
void call_hangup(call *c, const char *how, call_outcome outcome);

/* End the call: free its session, drop its snapshot file, remember it for a while. */
void call_end(call *c, const char *how, call_outcome outcome);

/* Mark the call ended now (counted, remembered for cfg.ended_linger_ms). */
void call_mark_ended(call *c);

/* resume.c: pick up a call on a new connection. */
void call_resume(call *c);

/* late.c: the application of Event-UUID app_uuid (one that plays to the caller, or not) was
 * written to a connection lost before its reply: watch for it to start late. */
void late_watch(call *c, const char *app_uuid, bool plays);
/* late.c: the voice set of Event-UUID app_uuid was written to a connection lost before its
 * reply: the channel's voice is in doubt until a prompt is seen starting in its own. */
void late_voice_lost(call *c, const char *app_uuid);
/* late.c: the voice is in doubt and that late voice set has run. */
bool late_voice_set_ran(const call *c);
/* late.c: a prompt started in its own voice after it: the doubt ends. */
void late_voice_settled(call *c);
/* late.c: whether an application plays to the caller long enough for a break to stop it. */
bool late_app_plays(const char *app);
/* late.c: watch for it no longer (the call ended). */
void late_forget(call *c);
/* late.c: a CHANNEL_EXECUTE of the call; stops the application watched for when it starts. */
void late_on_execute(call *c, const esl_msg *ev);
/* late.c: a completion of the call with this Application-UUID. */
void late_on_complete(call *c, const char *app_uuid);
/* late.c: the connection was lost / a new one is ready. */
void late_on_connection_lost(host *h);
void late_on_connection_ready(host *h);

/* snapstore.c: save the session after an event (memory, and the store when there is one). */
int snap_take(call *c);
/* snapstore.c: store the call's document (the command in flight changed), or mark it dirty
 * with --store-write-behind. */
void snap_store(call *c);
/* snapstore.c: put the call's document now; done as store.h says. Returns 0 or -1. */
int snap_store_now(call *c, store_done_fn done, void *user);
/* snapstore.c: put the documents that write-behind holds back. */
void snap_flush_dirty(host *h);
/* snapstore.c: put every live call's document again (the store is back). */
void snap_resync(host *h);
/* snapstore.c: forget the call in the store (it ended). */
void snap_remove(call *c);
/* snapstore.c: give the call up in the store, its snapshot kept for another host. */
void snap_release(call *c);
/* snapstore.c: take the calls an earlier run of this host owned (resumed once connected). */
void snap_load_owned(host *h);
/* snapstore.c: claim a call whose owner's lease expired and resume it. */
void snap_adopt_orphan(host *h, const char *uuid);

/* calls.c: a new call record (no session yet), added to the table. NULL when out of memory. */
call *call_new(host *h, const char *uuid);
/* calls.c: remove an ended record from the table and free it. */
void call_forget(call *c);
/* calls.c: the host is no longer fenced: send what waited. */
void call_unhold(call *c);
/* calls.c: whether the host's leases are in doubt now (the call is then held). */
bool call_fenced(call *c);
/* calls.c: store the document naming the call's http request in flight, then send it. */
void call_store_request(call *c);
/* calls.c: try again to store the documents of the requests that wait for it. */
void calls_retry_requests(host *h);

#endif
