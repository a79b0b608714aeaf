/*
 * What one event touches in memory, for tests/bench_lines.py (valgrind's lackey):
 * loads the seed, makes a session as bench_runtime does, warms it with twenty
 * events of the measured kind, prints where its blocks and fields are, then
 * stores to `bench_lines_marker` before and after one more event. The script
 * counts the distinct cache lines loaded or stored between the two stores and
 * tells them apart by block (the session's, its ctx's, the stack, the rest).
 *
 * usage: bench_lines [dtmf|speech]   (IVRSM_SOURCE_ROOT: where examples/ is)
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrsm/ivrsm.h"
#include "session.h"

volatile int bench_lines_marker;

static int64_t fixed_clock(void *u)
{
    (void)u;
    return 1795597200000LL;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

static void hop(ivrsm_session *s, ivrsm_event *ev, int i, const char *a, const char *b)
{
    ev->text = (i & 1) ? b : a;
    if (ivrsm_session_feed(s, ev) != 0) {
        fprintf(stderr, "feed failed in %s\n", ivrsm_session_state(s));
        exit(1);
    }
    while (ivrsm_session_next_command(s))
        ;
}

/* name offset size of each field of the session and of its first command slot */
#define FIELD(f) printf("field %s %zu %zu\n", #f, offsetof(ivrsm_session, f), sizeof(s->f))
#define SLOT(f)                                                                                    \
    printf("field queue_inline[0].%s %zu %zu\n", #f,                                               \
           offsetof(ivrsm_session, queue_inline) + offsetof(s_command, f),                         \
           sizeof(s->queue_inline[0].f))

static void print_fields(const ivrsm_session *s)
{
    FIELD(m), FIELD(limits), FIELD(queue), FIELD(queue_len), FIELD(queue_head), FIELD(state);
    FIELD(phase), FIELD(failed), FIELD(steps), FIELD(has_out), FIELD(entering_escalation);
    FIELD(dirty_slots), FIELD(ask_owned), FIELD(path_pos), FIELD(mem), FIELD(next_id),
        FIELD(pending_id);
    FIELD(language), FIELD(noinput), FIELD(nomatch), FIELD(retries);
    FIELD(consecutive_failures), FIELD(trace), FIELD(queue_cap), FIELD(carry), FIELD(said);
    FIELD(resp), FIELD(answer), FIELD(last_ask_parts), FIELD(last_ask_count);
    FIELD(last_ask_text), FIELD(pending);
    FIELD(ctx), FIELD(path);
    SLOT(pub.size), SLOT(pub.type), SLOT(pub.id), SLOT(pub.state), SLOT(pub.text);
    SLOT(pub.ask), SLOT(pub.http), SLOT(pub.handoff), SLOT(pub.hangup), SLOT(pub.parts);
    SLOT(pub.part_count), SLOT(pub.language), SLOT(speech), SLOT(text), SLOT(http_texts);
    SLOT(path), SLOT(query), SLOT(body), SLOT(idempotency_key), SLOT(headers);
    SLOT(header_count), SLOT(queue), SLOT(context), SLOT(reason);
    printf("field queue_inline[1] %zu %zu\n", offsetof(ivrsm_session, queue_inline[1]),
           sizeof(s_command));
    FIELD(last_ask_owned), FIELD(last_ask_text_owned), FIELD(now);
    FIELD(escalations), FIELD(otp_failures), FIELD(numbers), FIELD(call_id), FIELD(session_id);
    FIELD(answers), FIELD(unverified_otp), FIELD(limits_own), FIELD(recent), FIELD(recent_pos);
    FIELD(clock), FIELD(clock_user), FIELD(trace_user), FIELD(alloc), FIELD(trace_seq);
    printf("field visits %zu %zu\n", offsetof(ivrsm_session, visits),
           (size_t)s->m->state_count * sizeof(s->visits[0]));
}

int main(int argc, char **argv)
{
    const char *kind = argc > 1 ? argv[1] : "dtmf";
    bool speech = !strcmp(kind, "speech");
    if (!speech && strcmp(kind, "dtmf") != 0) {
        fprintf(stderr, "usage: bench_lines [dtmf|speech]\n");
        return 2;
    }
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof(path), "%s/examples/synergia_rdv/machine.yaml", root ? root : ".");
    size_t len;
    char *text = read_file(path, &len);
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    if (!text || ivrsm_machine_load_buffer(text, len, IVRSM_FORMAT_YAML, path, &m, &err) != 0) {
        fprintf(stderr, "cannot load %s\n", path);
        return 1;
    }
    free(text);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.call_id = "bench";
    o.session_id = "bench-session";
    o.clock = fixed_clock;
    ivrsm_session *s = NULL;
    if (ivrsm_session_new(m, &o, &s, NULL) != 0 || ivrsm_session_start(s) != 0)
        return 1;
    while (ivrsm_session_next_command(s))
        ;
    const char *a = speech ? "l'équipe s'il vous plaît" : "2";
    const char *b = speech ? "retour au menu précédent" : "8";
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = speech ? IVRSM_EVENT_SPEECH : IVRSM_EVENT_DTMF;
    for (int i = 0; i < 20; i++)
        hop(s, &ev, i, a, b);
    int here = 0;
    printf("session %p %zu\n", (void *)s,
           sizeof(*s) + (size_t)m->state_count * sizeof(s->visits[0]));
    printf("ctx %p %u\n", (void *)s->ctx.data, s->ctx.cap);
    printf("ids %p %zu\n", (void *)s->session_id, strlen(s->session_id) + 1);
    printf("stack %p\n", (void *)&here);
    printf("marker %p\n", (void *)&bench_lines_marker);
    print_fields(s);
    fflush(stdout);
    bench_lines_marker = 1;
    hop(s, &ev, 20, a, b);
    bench_lines_marker = 2;
    printf("state %s\n", ivrsm_session_state(s));
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
    return here;
}
