/*
 * `now` in templates and conditions: the session's clock read once per event,
 * in the machine's time zone (now.date, now.time, now.hour, now.minute,
 * now.weekday with 1 = Monday), and now.open from globals.hours.
 */
#include <stdio.h>

#include "civil.h"
#include "session.h"
#include "tz.h"

bool ivrsm_hours_open(const m_hours *h, int64_t day, int weekday, int minute)
{
    for (size_t i = 0; i < h->closed_day_count; i++)
        if (h->closed_days[i] == day)
            return false;
    ivrsm_civil date = ivrsm_civil_from_days(day);
    for (size_t i = 0; i < h->closed_yearly_count; i++)
        if (h->closed_yearly[i] == date.month * 100 + date.day)
            return false;
    const m_time_range *r = h->ranges[weekday - 1];
    for (size_t i = 0; i < h->range_count[weekday - 1]; i++)
        if (minute >= r[i].from && minute < r[i].to)
            return true;
    return false;
}

/* Room for now's members (about 180 bytes; a year of many digits included). */
#define NOW_STORAGE 320

/* A moment in the machine's time zone: the day (since 1970-01-01), its weekday (1 = Monday)
 * and the minute of that day. */
typedef struct local_time {
    int64_t day;
    int weekday;
    int minute;
} local_time;

static local_time local_time_at(const ivrsm_machine *m, int64_t now_ms)
{
    int64_t secs = ivrsm_floor_div(now_ms, 1000);
    int64_t local = secs + (m->tz ? ivrsm_tz_offset(m->tz, secs) : 0);
    local_time t;
    t.day = ivrsm_floor_div(local, 86400);
    t.minute = (int)((local - t.day * 86400) / 60);
    t.weekday = (int)((t.day % 7 + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
    return t;
}

/* {"date", "time", "hour", "minute", "weekday", "open"} at now_ms in m's zone, into st. */
static int put_now(ivrsm_vstore *st, const ivrsm_machine *m, int64_t now_ms)
{
    local_time t = local_time_at(m, now_ms);
    int64_t day = t.day;
    int minute = t.minute, weekday = t.weekday;
    ivrsm_civil date = ivrsm_civil_from_days(day);
    static const char *const keys[] = {"date", "time", "hour", "minute", "weekday", "open"};
    uint32_t items[6];
    char date_text[32], time_text[8];
    int dl = snprintf(date_text, sizeof(date_text), "%04lld-%02d-%02d", (long long)date.year,
                      date.month, date.day);
    int tl = snprintf(time_text, sizeof(time_text), "%02d:%02d", minute / 60, minute % 60);
    size_t n = m->hours ? 6 : 5;
    if (ivrsm_vstore_put_string(st, date_text, (size_t)dl, &items[0]) != 0 ||
        ivrsm_vstore_put_string(st, time_text, (size_t)tl, &items[1]) != 0 ||
        ivrsm_vstore_put_integer(st, minute / 60, &items[2]) != 0 ||
        ivrsm_vstore_put_integer(st, minute % 60, &items[3]) != 0 ||
        ivrsm_vstore_put_integer(st, weekday, &items[4]) != 0 ||
        (m->hours &&
         ivrsm_vstore_put_word(
             st, ivrsm_hours_open(m->hours, day, weekday, minute) ? JSON_TRUE : JSON_FALSE,
             &items[5]) != 0))
        return IVRSM_ENOMEM;
    uint32_t at;
    if (ivrsm_vstore_put_object(st, keys, items, n, &at) != 0)
        return IVRSM_ENOMEM;
    ivrsm_vstore_set_root(st, at);
    return 0;
}

void ivrsm_s_now_refresh(ivrsm_session *s)
{
    if (!s->m->uses_now)
        return;
    if (!s->now) {
        /* The store and its fixed storage in one block: no allocation at the next events. */
        uint8_t *block = ivrsm_mem_malloc(s->mem, sizeof(ivrsm_vstore) + NOW_STORAGE);
        if (!block) {
            ivrsm_s_fail(s);
            return;
        }
        s->now = (ivrsm_vstore *)(void *)block;
        ivrsm_vstore_on(s->now, NULL);
        s->now->data = block + sizeof(ivrsm_vstore);
        s->now->cap = NOW_STORAGE;
    }
    ivrsm_vstore *st = s->now;
    st->len = st->garbage = 0;
    ivrsm_vstore_set_root(st, IVRSM_VSTORE_NONE);
    /* Fixed storage that always holds it: a failure here is a bug, not memory. */
    if (put_now(st, s->m, s->step_ms) != 0)
        ivrsm_vstore_set_root(st, IVRSM_VSTORE_NONE);
}

bool ivrsm_s_open_now(const ivrsm_session *s)
{
    const ivrsm_machine *m = s->m;
    if (!m->hours)
        return true;
    local_time t = local_time_at(m, s->step_ms);
    return ivrsm_hours_open(m->hours, t.day, t.weekday, t.minute);
}
