/*
 * Writing sim trace files. Every line is flushed at once, so the trace of a
 * call that crashed or was interrupted is complete up to that point.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_real.h"
#include "sim_trace.h"

struct sim_trace {
    FILE *f;
    bool failed;
};

sim_trace *sim_trace_open(const char *path, char *err, size_t errlen)
{
    sim_trace *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->f = fopen(path, "w");
    if (!t->f) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        free(t);
        return NULL;
    }
    return t;
}

static void write_line(sim_trace *t, const char *text)
{
    if (fputs(text, t->f) < 0 || fputc('\n', t->f) < 0 || fflush(t->f) != 0)
        t->failed = true;
}

static void write_json(sim_trace *t, json_t *rec)
{
    char *text = rec ? ivrsm_json_dumps(rec, JSON_COMPACT) : NULL;
    if (text)
        write_line(t, text);
    else
        t->failed = true;
    free(text);
    json_decref(rec);
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

void sim_trace_header(sim_trace *t, const drv_config *cfg, const char *machine_path, int64_t now_ms)
{
    char resolved[PATH_MAX];
    const char *path = realpath(machine_path, resolved) ? resolved : machine_path;
    json_t *h = json_object();
    json_object_set_new(h, "kind", json_string("sim"));
    json_object_set_new(h, "format", json_string(SIM_TRACE_FORMAT));
    json_object_set_new(h, "machine", json_string(path));
    json_object_set_new(h, "machine_name", json_string(ivrsm_machine_name(cfg->machine)));
    json_object_set_new(h, "machine_version", json_string(ivrsm_machine_version(cfg->machine)));
    json_object_set_new(h, "call_id", string_or_null(cfg->call_id));
    json_object_set_new(h, "session_id", string_or_null(cfg->session_id));
    json_t *ctx = cfg->ctx_json ? json_loads(cfg->ctx_json, 0, NULL) : NULL;
    json_object_set_new(h, "ctx", ctx ? drv_redact(cfg->machine, ctx) : json_object());
    json_decref(ctx);
    json_object_set_new(h, "clock", json_string(cfg->clock == DRV_CLOCK_REAL ? "real" : "fixed"));
    json_object_set_new(h, "now", json_integer(now_ms));
    json_object_set_new(h, "handoff", json_string(cfg->handoff_ok ? "ok" : "fail"));
    write_json(t, h);
}

void sim_trace_input(sim_trace *t, const drv_input *in, const drv_input *recorded, int64_t now_ms)
{
    json_t *r = json_object();
    json_object_set_new(r, "kind", json_string("input"));
    json_object_set_new(r, "t", json_integer(now_ms));
    if (recorded) {
        char *line = drv_input_format(recorded);
        json_object_set_new(r, "line", string_or_null(line));
        free(line);
        if (recorded != in)
            json_object_set_new(r, "stand_in", json_true());
    } else {
        drv_input hidden = {in->type, (char *)"***", in->confidence};
        char *line = drv_input_format(&hidden);
        json_object_set_new(r, "line", string_or_null(line));
        free(line);
        json_object_set_new(r, "secret", json_true());
    }
    write_json(t, r);
}

void sim_trace_record(sim_trace *t, const char *record)
{
    write_line(t, record);
}

int sim_trace_close(sim_trace *t)
{
    if (!t)
        return 0;
    bool failed = t->failed;
    if (fclose(t->f) != 0)
        failed = true;
    free(t);
    return failed ? -1 : 0;
}
