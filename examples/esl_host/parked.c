/*
 * Calls parked while the host was away.
 *
 * FreeSWITCH does not replay events: a listener gets those fired while it is
 * connected (mod_event_socket.c event_handler queues each event to the
 * listeners there at that moment). A CHANNEL_PARK fired while the host was not
 * connected (before it started, while it reconnected, or with a connection
 * that dropped as the park arrived) never comes, and its caller would wait in
 * silence. So each time the connection is ready the host lists the channels
 * (api show channels: mod_commands.c show_function, a title line, then one
 * line per channel with its UUID first, then "N total."), asks for the data of
 * each one it does not know (api uuid_dump UUID: uuid_dump_function, the
 * channel's data as an event's URL-encoded header lines, switch_event_serialize)
 * and takes it as if its park had come when it carries the filter variable and
 * is still parked: its current_application (set by switch_core_session_exec for
 * each application it runs) is "park", so nobody has driven it yet.
 */
#include <stdlib.h>
#include <string.h>

#include "calls_int.h"
#include "esl_wire.h"
#include "strbuf.h"

typedef struct dump_ctx {
    host *h;
    char uuid[65];
} dump_ctx;

esl_msg *call_dump_as_event(const char *text)
{
    size_t len = strlen(text);
    bool ended = len >= 2 && text[len - 1] == '\n' && text[len - 2] == '\n';
    strbuf wire = {0};
    sb_printf(&wire, "Content-Type: text/event-plain\nContent-Length: %zu\n\n%s%s",
              len + (ended ? 0 : 1), text, ended ? "" : "\n");
    esl_msg *m = NULL;
    esl_framer f;
    esl_framer_init(&f);
    if (!wire.oom && esl_framer_feed(&f, wire.data, wire.len) == 0 && esl_framer_next(&f, &m) != 1)
        m = NULL;
    esl_framer_free(&f);
    sb_free(&wire);
    return m;
}

static void on_dump(void *user, const esl_reply *r)
{
    dump_ctx *d = user;
    host *h = d->h;
    if (!r->lost && r->ok && r->text && !call_find(h, d->uuid)) {
        esl_msg *ev = call_dump_as_event(r->text);
        const char *uuid = ev ? esl_msg_event_header(ev, "Unique-ID") : NULL;
        const char *app = ev ? esl_msg_event_header(ev, "variable_current_application") : NULL;
        const char *mark = ev ? esl_msg_event_header(ev, h->cfg.filter_header) : NULL;
        if (!ev) {
            log_at(&h->log, LOG_ERROR, "call %s: out of memory reading its data; looking again",
                   d->uuid);
            calls_find_parked_later(h);
        } else if (uuid && !strcmp(uuid, d->uuid) && app && !strcmp(app, "park") && mark &&
                   !strcmp(mark, h->cfg.filter_value)) {
            log_at(&h->log, LOG_INFO, "call %s: found parked (its park came while the host was away)",
                   d->uuid);
            call_take_park(h, ev, d->uuid);
        }
        esl_msg_free(ev);
    }
    free(d);
}

static void dump_channel(host *h, const char *uuid)
{
    strbuf msg = {0};
    dump_ctx *d = calloc(1, sizeof(*d));
    if (d) {
        d->h = h;
        snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
    }
    if (!d || esl_build_uuid_api(&msg, "uuid_dump", uuid, NULL) != 0 || msg.oom ||
        esl_conn_send(h->esl, msg.data, msg.len, ESL_REPLY_API, on_dump, d) != 0) {
        free(d);
        calls_find_parked_later(h);
    }
    sb_free(&msg);
}

static void on_channels(void *user, const esl_reply *r)
{
    host *h = user;
    if (r->lost)
        return; /* the next connection lists them again */
    if (!r->ok || !r->text) {
        log_at(&h->log, LOG_WARN, "esl: cannot list the channels (%.120s): calls parked while the "
               "host was away are not taken", r->text ? r->text : "no answer");
        return;
    }
    /* The title line (the column names, "uuid,direction,...") first: skipped. */
    const char *line = r->text + strcspn(r->text, "\n");
    while (*line) {
        line++;
        size_t len = strcspn(line, ",\n");
        char uuid[65];
        if (len < sizeof(uuid)) {
            memcpy(uuid, line, len);
            uuid[len] = '\0';
            if (esl_uuid_valid(uuid) && !call_find(h, uuid))
                dump_channel(h, uuid);
        }
        line += strcspn(line, "\n");
    }
}

void calls_find_parked(host *h)
{
    h->find_parked = false;
    if (esl_conn_send(h->esl, "api show channels\n\n", 19, ESL_REPLY_API, on_channels, h) != 0)
        calls_find_parked_later(h);
}
