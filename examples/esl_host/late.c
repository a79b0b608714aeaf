/*
 * Applications FreeSWITCH may run late: sent on a connection that was lost
 * before FreeSWITCH answered them.
 *
 * mod_event_socket.c serves a connection with one thread (listener_run) that
 * reads a command (read_packet), runs it (parse_command), and only then reads
 * the next. A thread held up (an API that blocks, an overloaded box) leaves
 * the commands written after that point in its socket; the host drops such a
 * connection after --esl-reply-timeout-ms and resumes its calls on a new one
 * (the application in flight sent again). When the old thread comes back it
 * goes on reading what its socket still holds, up to the end of the stream,
 * and runs it: a sendmsg written before the drop is queued on its channel
 * then (switch_core_session_queue_private_event), and the caller would hear
 * that question a second time, its answer going to an application whose
 * completion the host no longer awaits.
 *
 * A call has one application on its way at a time, so at most one sendmsg
 * per call can be left unread; its Event-UUID is kept with the call (a
 * uuid_break, which could not be told apart, is written only once every
 * earlier command is answered: esl_conn_send_acting). While any is kept,
 * the host also subscribes to CHANNEL_EXECUTE, which
 * switch_core_session_exec fires as an application starts, with the
 * Application-UUID of the sendmsg that asked for it: the moment that
 * application starts, the host stops it with "uuid_break UUID" (without
 * "all": mod_commands.c break_function then only sets CF_BREAK, and the
 * applications queued after it, the host's own, stay queued). The caller
 * hears the first moment of the question at most. An application that
 * plays nothing (set, flush_dtmf...) is over before a break could reach it,
 * and a break arriving then would stop the host's next application instead:
 * it is left to run. The watch ends with the application's start or
 * completion, or with the call; the subscription with the last watch.
 */
#include <stdio.h>
#include <string.h>

#include "calls_int.h"
#include "esl_wire.h"
#include "strbuf.h"

static void ignore_reply(void *user, const esl_reply *r)
{
    (void)user;
    (void)r;
}

/* Subscribe to CHANNEL_EXECUTE while a late application is watched for, not longer. */
static void update_subscription(host *h)
{
    bool want = h->late_watched > 0;
    if (want == h->late_subscribed || !esl_conn_ready(h->esl))
        return;
    static const char on[] = "event plain CHANNEL_EXECUTE\n\n";
    static const char off[] = "nixevent CHANNEL_EXECUTE\n\n";
    const char *msg = want ? on : off;
    size_t len = want ? sizeof(on) - 1 : sizeof(off) - 1;
    if (esl_conn_send(h->esl, msg, len, ESL_REPLY_COMMAND, ignore_reply, NULL) == 0)
        h->late_subscribed = want;
}

void late_watch(call *c, const char *app_uuid, bool plays)
{
    if (c->ended || !app_uuid[0])
        return;
    /* One per call: a step's applications are written one behind the other (a voice set,
     * the prompt, a spoken question's mark: calls.c send_step) and lost together, their
     * replies failed in that order. The one that plays is the one to stop; those around it
     * play nothing and are left to run anyway: a later one that plays nothing never takes
     * the watch from it. A later step is sent only once the earlier one completed. */
    if (c->late_app_uuid[0] && c->late_plays && !plays)
        return;
    if (!c->late_app_uuid[0])
        c->h->late_watched++;
    c->late_plays = plays;
    snprintf(c->late_app_uuid, sizeof(c->late_app_uuid), "%s", app_uuid);
    log_at(&c->h->log, LOG_DEBUG,
           "call %s: Event-UUID %s was written to the connection lost: watched for, should "
           "FreeSWITCH run it late",
           c->uuid, app_uuid);
    update_subscription(c->h);
}

void late_forget(call *c)
{
    if (!c->late_app_uuid[0])
        return;
    c->late_app_uuid[0] = '\0';
    c->late_plays = false;
    c->h->late_watched--;
    update_subscription(c->h);
}

/*
 * The voice set written before a prompt ("set tts_voice=VOICE", calls.c send_step) lost with
 * its connection. Run late, it changes the channel's voice, and the host's own set does not
 * help a prompt it lands in front of: the two listener threads queue on the channel side by
 * side, and the late set may come right between the host's set and its prompt. From the loss
 * until a prompt is seen starting in its own voice after the late set ran, the voice is in
 * doubt: CHANNEL_EXECUTE is subscribed to, and the host checks each prompt's voice as it
 * starts (calls.c check_prompt_voice).
 */
void late_voice_lost(call *c, const char *app_uuid)
{
    if (c->ended || !app_uuid[0])
        return;
    if (!c->voice_doubt)
        c->h->late_watched++;
    c->voice_doubt = true;
    snprintf(c->late_voice_uuid, sizeof(c->late_voice_uuid), "%s", app_uuid);
    update_subscription(c->h);
}

/* A CHANNEL_EXECUTE or completion of the call: the late voice set ran when it is its own. */
static void voice_ran(call *c, const char *app_uuid)
{
    if (!c->late_voice_uuid[0] || !app_uuid || strcmp(app_uuid, c->late_voice_uuid) != 0)
        return;
    c->late_voice_uuid[0] = '\0';
    log_at(&c->h->log, LOG_INFO,
           "call %s: a voice set sent on the connection lost ran only now (FreeSWITCH read it "
           "late): the next prompt's voice is checked as it starts",
           c->uuid);
}

bool late_voice_set_ran(const call *c)
{
    return c->voice_doubt && !c->late_voice_uuid[0];
}

void late_voice_settled(call *c)
{
    if (!c->voice_doubt)
        return;
    c->voice_doubt = false;
    c->late_voice_uuid[0] = '\0';
    c->h->late_watched--;
    update_subscription(c->h);
}

void late_on_connection_lost(host *h)
{
    h->late_subscribed = false; /* a new connection has only the handshake's subscription */
}

void late_on_connection_ready(host *h)
{
    update_subscription(h);
}

/* Applications that play to the caller (or listen) long enough for a break to reach them. */
bool late_app_plays(const char *app)
{
    static const char *const playing[] = {"play_and_get_digits", "play_and_detect_speech", "speak",
                                          "playback"};
    for (size_t i = 0; i < sizeof(playing) / sizeof(playing[0]); i++)
        if (!strcmp(app, playing[i]))
            return true;
    return false;
}

void late_on_execute(call *c, const esl_msg *ev)
{
    const char *app_uuid = esl_msg_event_header(ev, "Application-UUID");
    voice_ran(c, app_uuid);
    if (!c->late_app_uuid[0] || !app_uuid || strcmp(app_uuid, c->late_app_uuid) != 0)
        return;
    const char *app = esl_msg_event_header(ev, "Application");
    app = app ? app : "?";
    if (!late_app_plays(app)) {
        log_at(&c->h->log, LOG_INFO,
               "call %s: %.40s sent on the connection lost ran only now (FreeSWITCH read it "
               "late); it plays nothing: left alone",
               c->uuid, app);
        late_forget(c);
        return;
    }
    strbuf msg = {0};
    if (esl_build_uuid_api(&msg, "uuid_break", c->uuid, NULL) == 0 && !msg.oom &&
        esl_conn_send_acting(c->h->esl, msg.data, msg.len, ESL_REPLY_API, ignore_reply, NULL) == 0)
        log_at(&c->h->log, LOG_WARN,
               "call %s: %.40s sent on the connection lost started only now (FreeSWITCH read it "
               "late): stopped",
               c->uuid, app);
    else
        log_at(&c->h->log, LOG_ERROR,
               "call %s: %.40s sent on the connection lost started only now, and could not be "
               "stopped (out of memory)",
               c->uuid, app);
    sb_free(&msg);
    late_forget(c);
}

void late_on_complete(call *c, const char *app_uuid)
{
    voice_ran(c, app_uuid);
    if (c->late_app_uuid[0] && app_uuid && !strcmp(app_uuid, c->late_app_uuid))
        late_forget(c);
}
