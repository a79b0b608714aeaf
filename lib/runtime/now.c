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

json_t *ivrsm_now_json(const ivrsm_machine *m, int64_t now_ms)
{
    int64_t secs = ivrsm_floor_div(now_ms, 1000);
    int64_t local = secs + (m->tz ? ivrsm_tz_offset(m->tz, secs) : 0);
    int64_t day = ivrsm_floor_div(local, 86400);
    int minute = (int)((local - day * 86400) / 60);
    int weekday = (int)((day % 7 + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
    ivrsm_civil date = ivrsm_civil_from_days(day);
    char text[32];
    json_t *now = json_object();
    if (!now)
        return NULL;
    snprintf(text, sizeof(text), "%04lld-%02d-%02d", (long long)date.year, date.month, date.day);
    json_object_set_new(now, "date", json_string(text));
    snprintf(text, sizeof(text), "%02d:%02d", minute / 60, minute % 60);
    json_object_set_new(now, "time", json_string(text));
    json_object_set_new(now, "hour", json_integer(minute / 60));
    json_object_set_new(now, "minute", json_integer(minute % 60));
    json_object_set_new(now, "weekday", json_integer(weekday));
    if (m->hours)
        json_object_set_new(now, "open",
                            json_boolean(ivrsm_hours_open(m->hours, day, weekday, minute)));
    return now;
}

void ivrsm_s_now_refresh(ivrsm_session *s)
{
    if (!s->m->uses_now)
        return;
    json_decref(s->now);
    s->now = ivrsm_now_json(s->m, s->clock ? s->clock(s->clock_user) : 0);
}
