/*
 * Runtime benchmark: prints figures, asserts nothing about time.
 *   - ns per DTMF-routed event (seed machine, ivr.entry <-> ivr.handoff.agent_gate)
 *   - ns per speech event against the seed's intents (same states, by voice)
 *   - µs per complete seed happy-path call with canned action results
 *   - bytes per live session over 10,000 sessions
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ivrsm/ivrsm.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int64_t fixed_clock(void *u)
{
    (void)u;
    return 1795597200000LL;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(b);
        return NULL;
    }
    b[n] = '\0';
    fclose(f);
    return b;
}

/* The seed with call-wide bounds raised, so one session can loop for the benchmark. */
static ivrsm_machine *load_seed(const char *root, bool raise_limits)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/examples/synergia_rdv/machine.yaml", root);
    char *text = read_file(path);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    const char *anchor = "max_retries: 2\n";
    const char *extra = "  limits: {max_state_visits: 65000, max_consecutive_failures: 1000}\n";
    char *doc = malloc(strlen(text) + strlen(extra) + 1);
    char *at = strstr(text, anchor);
    if (raise_limits && at) {
        size_t head = (size_t)(at - text) + strlen(anchor);
        memcpy(doc, text, head);
        strcpy(doc + head, extra);
        strcat(doc, text + head);
    } else {
        strcpy(doc, text);
    }
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    if (ivrsm_machine_load_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, path, &m, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.column, err.message);
        exit(1);
    }
    free(doc);
    free(text);
    return m;
}

static void drain(ivrsm_session *s)
{
    while (ivrsm_session_next_command(s))
        ;
}

static ivrsm_session *new_session(ivrsm_machine *m)
{
    ivrsm_session_options o = {0};
    o.call_id = "bench";
    o.session_id = "bench-session";
    o.clock = fixed_clock;
    ivrsm_session *s = NULL;
    ivrsm_session_new(m, &o, &s, NULL);
    ivrsm_session_start(s);
    drain(s);
    return s;
}

/* Alternate two inputs that move ivr.entry <-> ivr.handoff.agent_gate. */
static double per_event(ivrsm_machine *m, ivrsm_event_type type, const char *a, const char *b)
{
    const int per_session = 60000, rounds = 10;
    double total = 0;
    long events = 0;
    for (int r = 0; r < rounds; r++) {
        ivrsm_session *s = new_session(m);
        ivrsm_event ev = {0};
        ev.type = type;
        ev.confidence = -1;
        double t0 = now_ns();
        for (int i = 0; i < per_session; i++) {
            ev.text = (i & 1) ? b : a;
            if (ivrsm_session_feed(s, &ev) != 0) {
                fprintf(stderr, "feed failed at %d in %s\n", i, ivrsm_session_state(s));
                exit(1);
            }
            drain(s);
        }
        total += now_ns() - t0;
        events += per_session;
        ivrsm_session_free(s);
    }
    return total / (double)events;
}

typedef struct canned {
    const char *endpoint;
    const char *body;
} canned;

static const canned answers[] = {
    {"request_otp", "{\"challenge_id\":\"ch-1\"}"},
    {"verify_otp", "{\"session_token\":\"t\",\"partner_id\":42}"},
    {"list_appointments", "{\"count\":3,\"appointments\":[{\"id\":\"a1\"},{\"id\":\"a2\"},{\"id\":\"a3\"}],"
                          "\"summary_voice\":\"Premier : le jeudi 3 décembre.\"}"},
    {"get_appointment", "{\"voice_detail\":\"Le jeudi 3 décembre à 14 heures 30.\"}"},
    {"get_proposals", "{\"slots\":[{\"id\":\"s1\",\"voice_label\":\"lundi\"},{\"id\":\"s2\","
                      "\"voice_label\":\"mardi\"},{\"id\":\"s3\",\"voice_label\":\"mercredi\"}]}"},
    {NULL, NULL},
};

static const char *answer_for(const char *endpoint)
{
    for (const canned *c = answers; c->endpoint; c++)
        if (endpoint && !strcmp(endpoint, c->endpoint))
            return c->body;
    return "{\"ok\":true}";
}

static int run_call(ivrsm_machine *m)
{
    static const struct {
        ivrsm_event_type type;
        const char *text;
    } lines[] = {
        {IVRSM_EVENT_DTMF, "1"},
        {IVRSM_EVENT_DTMF, "0612345678#"},
        {IVRSM_EVENT_SPEECH, "un deux trois quatre cinq six"},
        {IVRSM_EVENT_SPEECH, "oui"},
        {IVRSM_EVENT_DTMF, "2"},
        {IVRSM_EVENT_SPEECH, "le premier"},
        {IVRSM_EVENT_SPEECH, "je veux déplacer"},
        {IVRSM_EVENT_DTMF, "1"},
        {IVRSM_EVENT_SPEECH, "en visio"},
        {IVRSM_EVENT_SPEECH, "lundi prochain"},
        {IVRSM_EVENT_DTMF, "2"},
        {IVRSM_EVENT_SPEECH, "partager"},
    };
    ivrsm_session *s = new_session(m);
    int http = 0;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        ivrsm_event ev = {0};
        ev.type = lines[i].type;
        ev.text = lines[i].text;
        ev.confidence = -1;
        ivrsm_session_feed(s, &ev);
        for (;;) {
            const ivrsm_command *c;
            ivrsm_event res = {0};
            while ((c = ivrsm_session_next_command(s)) != NULL) {
                if (c->type == IVRSM_COMMAND_HTTP) {
                    res.type = IVRSM_EVENT_ACTION_RESULT;
                    res.command_id = c->id;
                    res.status = 200;
                    res.body = answer_for(c->http.endpoint);
                }
            }
            if (!res.type)
                break;
            http++;
            ivrsm_session_feed(s, &res);
        }
    }
    int ended = ivrsm_session_ended(s);
    ivrsm_session_free(s);
    return ended ? http : -1;
}

int main(int argc, char **argv)
{
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    if (argc > 1)
        root = argv[1];
    if (!root)
        root = ".";
    ivrsm_machine *loop = load_seed(root, true);
    ivrsm_machine *seed = load_seed(root, false);

    double dtmf = per_event(loop, IVRSM_EVENT_DTMF, "2", "8");
    double speech = per_event(loop, IVRSM_EVENT_SPEECH, "l'équipe s'il vous plaît",
                              "retour au menu précédent");

    int http = run_call(seed);
    if (http < 0) {
        fprintf(stderr, "the happy-path call did not end\n");
        return 1;
    }
    const int calls = 20000;
    double t0 = now_ns();
    for (int i = 0; i < calls; i++)
        run_call(seed);
    double per_call_us = (now_ns() - t0) / calls / 1000.0;

    const int live = 10000;
    ivrsm_session **sessions = malloc(sizeof(*sessions) * live);
    struct mallinfo2 before = mallinfo2();
    for (int i = 0; i < live; i++)
        sessions[i] = new_session(seed);
    struct mallinfo2 after = mallinfo2();
    size_t own = 0;
    for (int i = 0; i < live; i++)
        own += ivrsm_session_memory(sessions[i]);
    char *ctx = ivrsm_session_ctx_json(sessions[0]);
    size_t ctx_len = strlen(ctx);
    ivrsm_free(ctx);
    for (int i = 0; i < live; i++)
        ivrsm_session_free(sessions[i]);
    free(sessions);
    double heap_per = (double)(after.uordblks - before.uordblks) / live;

    printf("dtmf_event_ns          %8.1f   (target <= 300)\n", dtmf);
    printf("speech_event_ns        %8.1f   (target <= 2000)\n", speech);
    printf("happy_path_call_us     %8.2f   (target <= 50; %d http actions, 12 caller events)\n",
           per_call_us, http);
    printf("session_bytes          %8zu   (ivrsm_session_memory, ctx excluded; target <= 4096)\n",
           own / live);
    printf("session_heap_bytes     %8.0f   (malloc'd per live session, ctx included; ctx JSON %zu bytes)\n",
           heap_per, ctx_len);
    ivrsm_machine_unref(loop);
    ivrsm_machine_unref(seed);
    return 0;
}
