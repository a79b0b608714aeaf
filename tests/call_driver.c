#include "call_driver.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

const canned seed_responses[] = {
    {"send_magic_link", 200, "{\"ok\":true}"},
    {"request_otp", 200, "{\"challenge_id\":\"ch-1\"}"},
    {"verify_otp", 200, "{\"session_token\":\"tok-secret-xyz\",\"partner_id\":42}"},
    {"get_me", 200, "{\"partner_id\":42,\"name\":\"Camille Durand\"}"},
    {"list_appointments", 200,
     "{\"count\":3,\"appointments\":[{\"id\":\"apt-1\"},{\"id\":\"apt-2\"},{\"id\":\"apt-3\"}],"
     "\"summary_voice\":\"Premier rendez-vous : le jeudi 3 décembre à 14 heures 30.\"}"},
    {"get_appointment", 200,
     "{\"id\":\"apt-1\",\"voice_detail\":\"Le jeudi 3 décembre à 14 heures 30, au cabinet.\"}"},
    {"confirm_appointment", 200, "{\"ok\":true}"},
    {"cancel_appointment", 200, "{\"ok\":true}"},
    {"request_callback", 200, "{\"ok\":true}"},
    {"send_ics", 200, "{\"sent\":true}"},
    {"get_proposals", 200,
     "{\"slots\":[{\"id\":\"slot-1\",\"voice_label\":\"le lundi 7 décembre à 9 heures\"},"
     "{\"id\":\"slot-2\",\"voice_label\":\"le mardi 8 décembre à 10 heures\"},"
     "{\"id\":\"slot-3\",\"voice_label\":\"le mercredi 9 décembre à 14 heures\"}]}"},
    {"select_slot", 200, "{\"ok\":true}"},
    {"submit_preferences", 200, "{\"ok\":true}"},
    {"propose_new_slots", 200, "{\"ok\":true}"},
    {"share_link", 200, "{\"ok\":true}"},
    {"notify_agent", 200, "{\"ok\":true}"},
    {NULL, 0, NULL},
};

const char *seed_ctx =
    "{\"phone_e164\":\"+33612345678\",\"portal_session_token\":\"tok-secret-xyz\","
    "\"partner_id\":42,\"otp_challenge_id\":\"ch-1\",\"appt_list\":[{\"id\":\"apt-1\"},"
    "{\"id\":\"apt-2\"},{\"id\":\"apt-3\"}],\"appt_selected_id\":\"apt-1\","
    "\"slots\":[{\"id\":\"slot-1\",\"voice_label\":\"le lundi 7 décembre à 9 heures\"},"
    "{\"id\":\"slot-2\",\"voice_label\":\"le mardi 8 décembre\"},{\"id\":\"slot-3\","
    "\"voice_label\":\"le mercredi 9 décembre\"}],\"preferred_channel\":\"sms\"}";

static int64_t fixed_clock(void *user)
{
    const call *c = user;
    if (c && c->now_ms)
        return c->now_ms;
    return 1795597200000LL; /* 2026-11-25T09:00:00Z, a Wednesday */
}

ivrsm_machine *load_yaml_text(const char *yaml)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc =
        ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "test.yaml", &m, &err);
    ck_assert_msg(rc == 0, "load failed: %d:%d %s: %s", err.line, err.column, err.path,
                  err.message);
    return m;
}

static char *read_source(const char *relpath)
{
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root ? root : ".", relpath);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

ivrsm_machine *load_source_file(const char *relpath)
{
    char *text = read_source(relpath);
    ivrsm_machine *m = load_yaml_text(text);
    free(text);
    return m;
}

ivrsm_machine *load_seed_at(const char *initial_state)
{
    char *text = read_source("examples/synergia_rdv/machine.yaml");
    size_t n = strlen(text) + strlen(initial_state) + 32;
    char *doc = malloc(n);
    snprintf(doc, n, "initial: %s\n%s", initial_state, text);
    ivrsm_machine *m = load_yaml_text(doc);
    free(doc);
    free(text);
    return m;
}

void call_init(call *c, ivrsm_machine *m, const char *ctx_json)
{
    call_init_mem(c, m, ctx_json, NULL);
}

void call_init_mem(call *c, ivrsm_machine *m, const char *ctx_json, const ivrsm_mem *mem)
{
    memset(c, 0, sizeof(*c));
    c->handoff_ok = 1;
    c->log = json_array();
    c->opts.size = sizeof(c->opts);
    c->opts.mem = mem;
    c->opts.call_id = "call-1";
    c->opts.session_id = "sess-1";
    c->opts.ctx_json = ctx_json;
    c->opts.clock = fixed_clock;
    c->opts.clock_user = c;
    ck_assert_int_eq(ivrsm_session_new(m, &c->opts, &c->s, NULL), 0);
}

/* The answers for an endpoint are used in turn, the last one repeating. */
static const canned *find_canned(call *c, const char *endpoint)
{
    const canned *found = NULL;
    int turn = -1, seen = 0;
    size_t i = 0;
    for (const canned *r = c->responses; r && r->endpoint; r++, i++) {
        if (!endpoint || strcmp(r->endpoint, endpoint))
            continue;
        if (turn < 0) /* the counter of an endpoint is kept at its first entry */
            turn = i < CALL_CANNED_MAX ? c->canned_used[i]++ : 0;
        found = r;
        if (seen++ == turn)
            return r;
    }
    return found;
}

static void answer_http(call *c, const ivrsm_command *cmd, ivrsm_event *ev)
{
    const canned *r = find_canned(c, cmd->http.endpoint);
    ev->type = IVRSM_EVENT_ACTION_RESULT;
    ev->command_id = cmd->id;
    ev->status = r ? r->status : 200;
    ev->body = r ? r->body : "{}";
    if (r && r->status == 0) {
        /* No answer: the body is the transport error ("timeout", "connection refused"). */
        ev->error = r->body;
        ev->body = NULL;
    }
    if (cmd->http.endpoint && !strcmp(c->fail_endpoint, cmd->http.endpoint)) {
        ev->status = 503;
        ev->body = "{\"error\":\"unavailable\"}";
    }
    c->http_calls++;
}

static void snapshot_restore(call *c)
{
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(c->s, &snap), 0);
    ivrsm_session *fresh = NULL;
    ivrsm_error err;
    int rc = ivrsm_session_restore(ivrsm_session_machine(c->s), snap, &c->opts, &fresh, &err);
    ck_assert_msg(rc == 0, "restore: %s", err.message);
    ivrsm_session_free(c->s);
    c->s = fresh;
    ivrsm_free(snap);
}

/* Pull every command; answer http and handoff commands and pull again. */
static void drain(call *c)
{
    for (int rounds = 0; rounds < 1000; rounds++) {
        ivrsm_event ev;
        memset(&ev, 0, sizeof(ev));
        bool answer = false;
        const ivrsm_command *cmd;
        while ((cmd = ivrsm_session_next_command(c->s)) != NULL) {
            json_array_append_new(c->log, ivrsm_s_command_to_json(cmd));
            static const char *names[] = {"", "say", "ask", "http", "handoff", "hangup"};
            snprintf(c->last_type, sizeof(c->last_type), "%s", names[cmd->type]);
            if (cmd->text)
                snprintf(c->last_text, sizeof(c->last_text), "%s", cmd->text);
            if (cmd->type == IVRSM_COMMAND_HTTP) {
                answer_http(c, cmd, &ev);
                answer = true;
            } else if (cmd->type == IVRSM_COMMAND_HANDOFF) {
                ev.type = IVRSM_EVENT_HANDOFF_RESULT;
                ev.command_id = cmd->id;
                ev.ok = c->handoff_ok;
                answer = true;
            }
        }
        if (!answer)
            return;
        if (c->snapshot_each_event)
            snapshot_restore(c);
        ck_assert_int_eq(ivrsm_session_feed(c->s, &ev), 0);
    }
    ck_abort_msg("drain did not settle");
}

void call_start(call *c)
{
    ck_assert_int_eq(ivrsm_session_start(c->s), 0);
    drain(c);
}

int call_input(call *c, const char *line)
{
    ivrsm_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.confidence = -1;
    char id[32];
    snprintf(id, sizeof(id), "ev-%d", ++c->events);
    ev.event_id = id;
    if (!strncmp(line, "dtmf ", 5)) {
        ev.type = IVRSM_EVENT_DTMF;
        ev.text = line + 5;
    } else if (!strncmp(line, "say@", 4)) {
        ev.type = IVRSM_EVENT_SPEECH;
        ev.confidence = atof(line + 4);
        const char *sp = strchr(line, ' ');
        ev.text = sp ? sp + 1 : "";
    } else if (!strncmp(line, "say ", 4)) {
        ev.type = IVRSM_EVENT_SPEECH;
        ev.text = line + 4;
    } else if (!strncmp(line, "intent ", 7)) {
        ev.type = IVRSM_EVENT_INTENT;
        ev.text = line + 7;
    } else if (!strcmp(line, "noinput")) {
        ev.type = IVRSM_EVENT_NOINPUT;
    } else if (!strcmp(line, "nomatch")) {
        ev.type = IVRSM_EVENT_NOMATCH;
    } else if (!strcmp(line, "hangup")) {
        ev.type = IVRSM_EVENT_HANGUP;
    } else {
        ck_abort_msg("bad test line: %s", line);
    }
    if (c->snapshot_each_event)
        snapshot_restore(c);
    int rc = ivrsm_session_feed(c->s, &ev);
    if (rc == 0)
        drain(c);
    return rc;
}

bool call_ended(const call *c)
{
    return ivrsm_session_ended(c->s);
}

const char *call_state(const call *c)
{
    return ivrsm_session_state(c->s);
}

int call_count(const call *c, const char *type)
{
    int n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(c->log, i, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "type")), type))
            n++;
    }
    return n;
}

char *call_transcript(const call *c)
{
    return json_dumps(c->log, JSON_INDENT(0) | JSON_PRESERVE_ORDER);
}

void call_free(call *c)
{
    ivrsm_session_free(c->s);
    json_decref(c->log);
    c->s = NULL;
    c->log = NULL;
}
