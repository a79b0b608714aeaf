/* Initial ctx values from the machine's conditions (see paths_data.h). */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "driver.h"
#include "paths_data.h"

typedef enum tok_kind { T_END = 0, T_PATH, T_NUMBER, T_STRING, T_WORD, T_OP } tok_kind;

typedef struct tok {
    tok_kind kind;
    char text[256];
} tok;

/* The next token of a condition: a path (ctx.a.b), a number, a quoted string, an operator. */
static const char *next_token(const char *p, tok *t)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    t->kind = T_END;
    t->text[0] = '\0';
    if (!*p)
        return p;
    size_t n = 0;
    if (*p == '"' || *p == '\'') {
        char q = *p++;
        while (*p && *p != q && n + 1 < sizeof(t->text))
            t->text[n++] = *p++;
        if (*p == q)
            p++;
        t->kind = T_STRING;
    } else if (isdigit((unsigned char)*p) || (*p == '-' && isdigit((unsigned char)p[1]))) {
        while ((isdigit((unsigned char)*p) || *p == '.' || *p == '-') && n + 1 < sizeof(t->text))
            t->text[n++] = *p++;
        t->kind = T_NUMBER;
    } else if (isalpha((unsigned char)*p) || *p == '_') {
        while ((isalnum((unsigned char)*p) || strchr("_.[]", *p)) && *p && n + 1 < sizeof(t->text))
            t->text[n++] = *p++;
        t->kind = strchr(t->text, '.') || n >= sizeof(t->text) - 1 ? T_PATH : T_WORD;
        t->text[n] = '\0';
        if (t->kind == T_PATH || strcmp(t->text, "true") == 0 || strcmp(t->text, "false") == 0 ||
            strcmp(t->text, "null") == 0)
            return p;
    } else {
        static const char *const ops[] = {"==", "!=", "<=", ">=", "&&", "||",
                                          "<",  ">",  "!",  "(",  ")"};
        for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++) {
            size_t l = strlen(ops[i]);
            if (!strncmp(p, ops[i], l)) {
                memcpy(t->text, ops[i], l + 1);
                t->kind = T_OP;
                return p + l;
            }
        }
        p++; /* anything else: skipped */
        return next_token(p, t);
    }
    t->text[n] = '\0';
    return p;
}

static bool is_comparison(const tok *t)
{
    return t->kind == T_OP &&
           (!strcmp(t->text, "==") || !strcmp(t->text, "!=") || !strcmp(t->text, "<") ||
            !strcmp(t->text, "<=") || !strcmp(t->text, ">") || !strcmp(t->text, ">="));
}

/* The value of a literal or globals.PATH token, or NULL. */
static json_t *operand(const json_t *doc, const tok *t)
{
    if (t->kind == T_STRING)
        return json_string(t->text);
    if (t->kind == T_NUMBER) {
        char *end;
        double v = strtod(t->text, &end);
        if (*end)
            return NULL;
        return v == (double)(json_int_t)v ? json_integer((json_int_t)v) : json_real(v);
    }
    if (t->kind == T_WORD && !strcmp(t->text, "true"))
        return json_true();
    if (t->kind == T_WORD && !strcmp(t->text, "false"))
        return json_false();
    if (t->kind == T_PATH && !strncmp(t->text, "globals.", 8) && !strchr(t->text, '[')) {
        const json_t *v = pd_value_at(json_object_get(doc, "globals"), t->text + 8);
        return v && !json_is_object(v) && !json_is_array(v) ? json_deep_copy(v) : NULL;
    }
    return NULL;
}

json_t *pd_object_at(const char *path, json_t *value)
{
    if (strchr(path, '[') || !*path) {
        json_decref(value);
        return NULL;
    }
    const char *dot = strrchr(path, '.');
    json_t *o = json_object();
    json_object_set_new(o, dot ? dot + 1 : path, value);
    if (!dot)
        return o;
    char parent[256];
    snprintf(parent, sizeof(parent), "%.*s", (int)(dot - path), path);
    return pd_object_at(parent, o);
}

const json_t *pd_value_at(const json_t *o, const char *path)
{
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", path);
    const json_t *v = o;
    for (char *save = NULL, *part = strtok_r(copy, ".", &save); part && v;
         part = strtok_r(NULL, ".", &save))
        v = json_object_get(v, part);
    return v;
}

void pd_delete_at(json_t *o, const char *path)
{
    char parent[256];
    const char *dot = strrchr(path, '.');
    if (!dot) {
        json_object_del(o, path);
        return;
    }
    snprintf(parent, sizeof(parent), "%.*s", (int)(dot - path), path);
    json_t *at = (json_t *)pd_value_at(o, parent);
    if (json_is_object(at))
        json_object_del(at, dot + 1);
}

void pd_append_unique(json_t *list, json_t *v)
{
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        if (json_equal(c, v)) {
            json_decref(v);
            return;
        }
    }
    json_array_append_new(list, v);
}

/* The ctx.PATH = value candidate; the value is also noted for PATH in per_path
 * (path → [value, ...]), the values one condition tries for each of its paths. */
static void add_ctx(json_t *list, json_t *per_path, const char *path, json_t *value)
{
    if (value) {
        json_t *values = json_object_get(per_path, path);
        if (!values) {
            values = json_array();
            json_object_set_new(per_path, path, values);
        }
        pd_append_unique(values, json_deep_copy(value));
    }
    json_t *ctx = pd_object_at(path, value);
    if (ctx)
        pd_append_unique(list, ctx);
}

/* The values of ctx.PATH that put the comparison `ctx.PATH op v` on either side. */
static void add_comparison(json_t *list, json_t *per_path, const char *path, const char *op,
                           json_t *v)
{
    bool order = strcmp(op, "==") != 0 && strcmp(op, "!=") != 0;
    if (order && json_is_number(v)) {
        double x = json_number_value(v);
        bool whole = json_is_integer(v);
        for (int d = -1; d <= 1; d++)
            add_ctx(list, per_path, path,
                    whole ? json_integer(json_integer_value(v) + d) : json_real(x + d));
    } else {
        add_ctx(list, per_path, path, json_deep_copy(v));
    }
    json_decref(v);
}

/*
 * A condition on several ctx paths (`ctx.outage && ctx.eta`,
 * `ctx.tier == "gold" && ctx.balance > 100`) holds only when they hold
 * together: each combination of their values is a ctx of its own, at most
 * COMBINATIONS_MAX of them (the values of the first paths first).
 */
#define COMBINATIONS_MAX 27

static void add_combinations(json_t *list, const json_t *per_path)
{
    if (json_object_size(per_path) < 2)
        return;
    size_t total = 1;
    const char *key;
    const json_t *values;
    json_object_foreach((json_t *)per_path, key, values) total *= json_array_size(values);
    if (total > COMBINATIONS_MAX)
        total = COMBINATIONS_MAX;
    for (size_t n = 0; n < total; n++) {
        json_t *ctx = json_object();
        size_t rest = n;
        json_object_foreach((json_t *)per_path, key, values)
        {
            size_t count = json_array_size(values);
            json_t *one = pd_object_at(key, json_deep_copy(json_array_get(values, rest % count)));
            if (one)
                json_object_update_recursive(ctx, one);
            json_decref(one);
            rest /= count;
        }
        pd_append_unique(list, ctx);
    }
}

/* An atom of a condition, for pd_condition_atoms(): [path, op, value] (value null for `ctx.x`
 * alone), unless an equal one is listed. */
static void add_atom(json_t *atoms, const char *path, const char *op, const json_t *v)
{
    if (atoms)
        pd_append_unique(atoms, json_pack("[s, s, O?]", path, op, v));
}

static void read_condition(json_t *list, json_t *atoms, const json_t *doc, const char *text)
{
    json_t *per_path = json_object();
    tok t[3] = {0};
    const char *p = text;
    /* A window of three tokens: [a, op, b]. */
    p = next_token(p, &t[0]);
    p = next_token(p, &t[1]);
    for (int guard = 0; t[0].kind != T_END && guard < 1000; guard++) {
        p = next_token(p, &t[2]);
        bool ctx0 = t[0].kind == T_PATH && !strncmp(t[0].text, "ctx.", 4);
        bool ctx2 = t[2].kind == T_PATH && !strncmp(t[2].text, "ctx.", 4);
        if (ctx0 && ctx2 && is_comparison(&t[1])) {
            /* Two values of the call compared (`ctx.amount > ctx.ceiling`): each 0 or 1, so
             * that their combinations put the comparison either way. */
            if (atoms)
                pd_append_unique(
                    atoms, json_pack("[s, s, n, s]", t[0].text + 4, t[1].text, t[2].text + 4));
            for (int side = 0; side <= 2; side += 2)
                for (int v = 0; v <= 1; v++)
                    add_ctx(list, per_path, t[side].text + 4, json_integer(v));
        } else if (ctx0 && is_comparison(&t[1])) {
            json_t *v = operand(doc, &t[2]);
            if (v) {
                add_atom(atoms, t[0].text + 4, t[1].text, v);
                add_comparison(list, per_path, t[0].text + 4, t[1].text, v);
            }
        } else if (ctx2 && is_comparison(&t[1])) {
            json_t *v = operand(doc, &t[0]);
            if (v) {
                add_atom(atoms, t[2].text + 4, t[1].text, v);
                add_comparison(list, per_path, t[2].text + 4, t[1].text, v);
            }
        } else if (ctx0 && !is_comparison(&t[1])) {
            add_atom(atoms, t[0].text + 4, "", NULL);
            add_ctx(list, per_path, t[0].text + 4, json_true());
        }
        t[0] = t[1];
        t[1] = t[2];
    }
    add_combinations(list, per_path);
    json_decref(per_path);
}

/* The conditions of every route of the document, read for candidates and atoms. */
static void read_conditions(json_t *list, json_t *atoms, const json_t *doc)
{
    const char *name;
    json_t *state;
    json_object_foreach((json_t *)json_object_get(doc, "states"), name, state)
    {
        size_t i;
        const json_t *route;
        json_array_foreach(json_object_get(state, "routes"), i, route)
        {
            const char *when = json_string_value(json_object_get(route, "when"));
            if (when)
                read_condition(list, atoms, doc, when);
        }
    }
}

json_t *pd_initial_ctxs(const json_t *doc)
{
    json_t *list = json_array();
    if (!list)
        return NULL;
    json_array_append_new(list, json_object());
    read_conditions(list, NULL, doc);
    return list;
}

json_t *pd_condition_atoms(const json_t *doc)
{
    json_t *list = json_array(), *atoms = json_array();
    if (list && atoms)
        read_conditions(list, atoms, doc);
    json_decref(list);
    return atoms;
}

/* A number, or a string that writes one in decimal ("3", "-2.50"), as conditions compare it. */
static bool number_of(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    const char *t = json_string_value(v);
    if (!t || !*t)
        return false;
    const char *p = t + (*t == '-');
    size_t digits = strspn(p, "0123456789");
    if (!digits)
        return false;
    p += digits;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        if (!frac)
            return false;
        p += 1 + frac;
    }
    if (*p)
        return false;
    *out = strtod(t, NULL);
    return true;
}

char *pd_condition_class(const json_t *atoms, const json_t *ctx)
{
    size_t n = json_array_size(atoms);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *atom = json_array_get(atoms, i);
        const json_t *v = pd_value_at(ctx, json_string_value(json_array_get(atom, 0)));
        const json_t *c = json_array_get(atom, 2);
        const char *other = json_string_value(json_array_get(atom, 3));
        if (other) /* compared with another value of the call */
            c = pd_value_at(ctx, other);
        double a, b;
        char cls;
        if (!v || json_is_null(v) || (other && (!c || json_is_null(c))))
            cls = 'm'; /* missing */
        else if (!c)
            cls = json_is_false(v) || (json_is_number(v) && json_number_value(v) == 0) ||
                          (json_is_string(v) && !json_string_length(v)) ||
                          (json_is_array(v) && !json_array_size(v)) ||
                          (json_is_object(v) && !json_object_size(v))
                      ? 'f'
                      : 't';
        else if (number_of(v, &a) && number_of(c, &b))
            cls = a < b ? '<' : a > b ? '>' : '=';
        else
            cls = json_equal(v, c) ? '=' : '!';
        out[i] = cls;
    }
    out[n] = '\0';
    return out;
}

/* Whether a string anywhere under v reads now.* (a template or a condition). */
static bool reads_now(const json_t *v)
{
    if (json_is_string(v)) {
        for (const char *p = strstr(json_string_value(v), "now."); p; p = strstr(p + 1, "now."))
            if (p == json_string_value(v) || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'))
                return true;
        return false;
    }
    size_t i;
    const char *k;
    json_t *item;
    if (json_is_array(v)) {
        json_array_foreach(v, i, item) if (reads_now(item)) return true;
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, item) if (reads_now(item)) return true;
    }
    return false;
}

/* The clock list being built: distinct instants, at most cap. */
typedef struct clock_list {
    int64_t *at;
    size_t n, cap;
} clock_list;

static void add_clock(clock_list *l, int64_t ms)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->at[i] == ms)
            return;
    if (l->n < l->cap)
        l->at[l->n++] = ms;
}

enum { MINUTE_MS = 60000, HOUR_MS = 60 * MINUTE_MS, DAY_MS = 24 * HOUR_MS };

/* The instant at which the machine's clock reads `minute` minutes after midnight on local day
 * `day` (days since 1970): the local time less the offset in force then. */
static int64_t local_to_utc(const ivrsm_machine *m, int64_t day, int minute)
{
    int64_t local = day * DAY_MS + (int64_t)minute * MINUTE_MS;
    int64_t guess = local - (int64_t)ivrsm_machine_utc_offset(m, local) * 1000;
    return local - (int64_t)ivrsm_machine_utc_offset(m, guess) * 1000;
}

/* 1 (Monday) to 7 (Sunday) of a day counted from 1970-01-01, a Thursday. */
static int weekday_of(int64_t day)
{
    return (int)(((day % 7) + 7 + 3) % 7) + 1;
}

/* The weekday (1-7) a name of globals.hours.open starts with, or 0. */
static int day_name(const char *p, size_t len)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (int i = 0; i < 7; i++)
        if (len == 3 && !strncasecmp(p, names[i], 3))
            return i + 1;
    return 0;
}

/* The weekdays a key of globals.hours.open names ("mon-fri", "fri-mon", "sat,sun"): a bit
 * per weekday, bit 1 Monday. */
static unsigned days_of(const char *spec)
{
    unsigned bits = 0;
    for (const char *p = spec; *p;) {
        size_t len = strcspn(p, ",");
        const char *dash = memchr(p, '-', len);
        while (len && isspace((unsigned char)*p))
            p++, len--;
        if (dash) {
            int from = day_name(p, (size_t)(dash - p)), to = day_name(dash + 1, 3);
            for (int d = from; from && to; d = d % 7 + 1) {
                bits |= 1u << d;
                if (d == to)
                    break;
            }
        } else {
            int d = day_name(p, len < 3 ? len : 3);
            if (d)
                bits |= 1u << d;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return bits;
}

/* Each "HH:MM-HH:MM" of a text of ranges, as minutes after midnight. */
static void add_range_clocks(clock_list *l, const ivrsm_machine *m, int64_t day, const char *text)
{
    for (const char *p = text; p && *p;) {
        int h1, m1, h2, m2, used = 0;
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (sscanf(p, "%d:%d-%d:%d%n", &h1, &m1, &h2, &m2, &used) != 4 || !used)
            return;
        int from = h1 * 60 + m1, to = h2 * 60 + m2;
        /* Open in the middle of the range, closed a minute before it and at its end. */
        add_clock(l, local_to_utc(m, day, from + (to - from) / 2));
        if (from > 0)
            add_clock(l, local_to_utc(m, day, from - 1));
        if (to < 24 * 60)
            add_clock(l, local_to_utc(m, day, to));
        p += used;
    }
}

/*
 * Opening hours: for each key of globals.hours.open, the first day from today it names,
 * at a time in each of its ranges and at times just outside them, so that `now.open` is
 * taken both ways whatever the time of --now.
 */
static void hours_clocks(clock_list *l, const json_t *doc, const ivrsm_machine *m, int64_t today)
{
    const json_t *open =
        json_object_get(json_object_get(json_object_get(doc, "globals"), "hours"), "open");
    const char *spec;
    const json_t *ranges;
    json_object_foreach((json_t *)open, spec, ranges)
    {
        unsigned days = days_of(spec);
        int64_t day = today;
        while (days && !(days & (1u << weekday_of(day))))
            day++;
        if (!days)
            continue;
        size_t i;
        const json_t *r;
        if (json_is_string(ranges))
            add_range_clocks(l, m, day, json_string_value(ranges));
        json_array_foreach(ranges, i, r) add_range_clocks(l, m, day, json_string_value(r));
    }
}

/*
 * Conditions on the time of day: `now.hour OP N` at N-1, N and N+1 o'clock (and a half),
 * `now.time OP "HH:MM"` a minute before, at and after, on today.
 */
static void condition_clocks(clock_list *l, const char *text, const ivrsm_machine *m, int64_t today)
{
    tok t[3] = {0};
    const char *p = next_token(text, &t[0]);
    p = next_token(p, &t[1]);
    for (int guard = 0; t[0].kind != T_END && guard < 1000; guard++) {
        p = next_token(p, &t[2]);
        const tok *path = NULL, *value = NULL;
        if (is_comparison(&t[1]) && t[0].kind == T_PATH)
            path = &t[0], value = &t[2];
        else if (is_comparison(&t[1]) && t[2].kind == T_PATH)
            path = &t[2], value = &t[0];
        int h, mi;
        if (path && !strcmp(path->text, "now.hour") && value->kind == T_NUMBER) {
            int hour = atoi(value->text);
            for (int d = -1; d <= 1; d++)
                if (hour + d >= 0 && hour + d < 24)
                    add_clock(l, local_to_utc(m, today, (hour + d) * 60 + 30));
        } else if (path && !strcmp(path->text, "now.time") && value->kind == T_STRING &&
                   sscanf(value->text, "%d:%d", &h, &mi) == 2) {
            for (int d = -1; d <= 1; d++)
                if (h * 60 + mi + d >= 0 && h * 60 + mi + d < 24 * 60)
                    add_clock(l, local_to_utc(m, today, h * 60 + mi + d));
        }
        t[0] = t[1];
        t[1] = t[2];
    }
}

/* Every string under v that reads now.hour or now.time: conditions and {{#if}}s. */
static void time_conditions(clock_list *l, const json_t *v, const ivrsm_machine *m, int64_t today)
{
    if (json_is_string(v)) {
        const char *text = json_string_value(v);
        if (strstr(text, "now.hour") || strstr(text, "now.time"))
            condition_clocks(l, text, m, today);
        return;
    }
    size_t i;
    const char *k;
    json_t *item;
    if (json_is_array(v)) {
        json_array_foreach(v, i, item) time_conditions(l, item, m, today);
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, item) time_conditions(l, item, m, today);
    }
}

size_t pd_clocks(const json_t *doc, const ivrsm_machine *m, int64_t now_ms, int64_t *out,
                 size_t cap)
{
    if (!reads_now(json_object_get(doc, "states")) || cap < 7)
        return 0;
    clock_list l = {out, 0, cap};
    /* Twelve hours on (night, or afternoon), and each other day of the week. */
    add_clock(&l, now_ms + 12 * HOUR_MS);
    for (int k = 1; k <= 6; k++)
        add_clock(&l, now_ms + k * DAY_MS);
    /* Each closed date, at the same time of day. */
    int64_t time_of_day = ((now_ms % DAY_MS) + DAY_MS) % DAY_MS;
    int64_t today = (now_ms - time_of_day) / DAY_MS;
    const json_t *closed =
        json_object_get(json_object_get(json_object_get(doc, "globals"), "hours"), "closed_dates");
    size_t i;
    const json_t *d;
    json_array_foreach(closed, i, d)
    {
        const char *text = json_string_value(d);
        int y = 0, mo = 0, dd = 0;
        if (!text)
            continue;
        if (strlen(text) == 10 && sscanf(text, "%4d-%2d-%2d", &y, &mo, &dd) == 3) {
            add_clock(&l, drv_days_from_civil(y, mo, dd) * DAY_MS + time_of_day);
        } else if (strlen(text) == 5 && sscanf(text, "%2d-%2d", &mo, &dd) == 2) {
            /* The next one from now (this year's, else next year's). */
            int64_t year = 1970 + today / 365 - 1;
            while (drv_days_from_civil(year + 1, 1, 1) <= today)
                year++;
            int64_t at = drv_days_from_civil(year, mo, dd);
            if (at < today)
                at = drv_days_from_civil(year + 1, mo, dd);
            add_clock(&l, at * DAY_MS + time_of_day);
        }
    }
    /* Times that put the machine's hours and its conditions on the time on either side, on
     * the machine's own clock (its timezone). */
    int64_t local = now_ms + (int64_t)ivrsm_machine_utc_offset(m, now_ms) * 1000;
    int64_t local_today = (local - (((local % DAY_MS) + DAY_MS) % DAY_MS)) / DAY_MS;
    hours_clocks(&l, doc, m, local_today);
    time_conditions(&l, json_object_get(doc, "states"), m, local_today);
    return l.n;
}

json_t *pd_plain_value(const char *type)
{
    if (!strcmp(type, "number") || !strcmp(type, "integer"))
        return json_integer(0);
    if (!strcmp(type, "boolean"))
        return json_false();
    if (!strcmp(type, "object"))
        return json_object();
    if (!strcmp(type, "array"))
        return json_array();
    return json_string("");
}

json_t *pd_as_type(const char *type, const json_t *v)
{
    bool truthy = v && !json_is_null(v) && !json_is_false(v) &&
                  !(json_is_string(v) && !json_string_length(v)) &&
                  !(json_is_number(v) && json_number_value(v) == 0);
    if (!strcmp(type, "string")) {
        if (json_is_string(v))
            return json_incref((json_t *)v);
        if (json_is_number(v)) {
            char text[64];
            if (json_is_integer(v))
                snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
            else
                snprintf(text, sizeof(text), "%g", json_real_value(v));
            return json_string(text);
        }
        return json_string(truthy ? "x" : "");
    }
    if (!strcmp(type, "number") || !strcmp(type, "integer")) {
        if (json_is_integer(v) || (json_is_real(v) && !strcmp(type, "number")))
            return json_incref((json_t *)v);
        return json_integer(truthy ? 1 : 0);
    }
    if (!strcmp(type, "boolean"))
        return json_boolean(truthy);
    if ((!strcmp(type, "object") && !json_is_object(v)) ||
        (!strcmp(type, "array") && !json_is_array(v)))
        return pd_plain_value(type);
    return json_incref((json_t *)v);
}
