/*
 * What a session says, as parts: messages rendered, queued while the call
 * moves on ("Très bien." before the next question) and handed to a command.
 * Adjacent words are joined into one part, blank words and empty URIs are
 * dropped, so a message without recordings is always one `say` part whose
 * text is the command's `text`.
 */
#include <string.h>

#include "buf.h"
#include "session.h"
#include "text.h"

void ivrsm_s_speech_free(const ivrsm_mem *mem, s_speech *sp)
{
    for (size_t i = 0; i < sp->count; i++)
        ivrsm_mem_free(mem, (char *)sp->parts[i].text);
    ivrsm_mem_free(mem, sp->parts);
    memset(sp, 0, sizeof(*sp));
}

/* Whether a part of this type added now joins the last one: adjacent words are one part. */
static bool joins_last(const s_speech *sp, ivrsm_part_type type)
{
    return type == IVRSM_PART_SAY && sp->count && sp->parts[sp->count - 1].type == IVRSM_PART_SAY;
}

/* Appends " text" to the last part. 0, or -1 on no memory (the last part kept as it was). */
static int join_last(const ivrsm_mem *mem, s_speech *sp, const char *text)
{
    char *prev = (char *)sp->parts[sp->count - 1].text;
    size_t a = strlen(prev), b = strlen(text);
    char *joined = ivrsm_mem_realloc(mem, prev, a + b + 2);
    if (!joined)
        return -1;
    joined[a] = ' ';
    memcpy(joined + a + 1, text, b + 1);
    sp->parts[sp->count - 1].text = joined;
    return 0;
}

/* Takes `text` (from mem); frees it when it is merged or dropped. 0, or -1 on no memory. */
static int add_owned(const ivrsm_mem *mem, s_speech *sp, ivrsm_part_type type, char *text)
{
    if (!text)
        return -1;
    if (!*text || joins_last(sp, type)) {
        int rc = *text ? join_last(mem, sp, text) : 0;
        ivrsm_mem_free(mem, text);
        return rc;
    }
    if (ivrsm_mem_grow(mem, (void **)&sp->parts, &sp->cap, sp->count, sizeof(*sp->parts), 4) != 0) {
        ivrsm_mem_free(mem, text);
        return -1;
    }
    sp->parts[sp->count++] = (ivrsm_part){type, text};
    return 0;
}

int ivrsm_s_speech_add(const ivrsm_mem *mem, s_speech *sp, ivrsm_part_type type, const char *text)
{
    if (!text || !*text)
        return 0;
    /* Joined to the last part, a copy of its own would only be made to be freed. */
    if (joins_last(sp, type))
        return join_last(mem, sp, text);
    return add_owned(mem, sp, type, ivrsm_mem_strdup(mem, text));
}

int ivrsm_s_speech_append(const ivrsm_mem *mem, s_speech *sp, const ivrsm_part *parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ivrsm_s_speech_add(mem, sp, parts[i].type, parts[i].text) != 0)
            return -1;
    return 0;
}

/* A recording's URI: rendered, trimmed, never more than one line. */
static char *render_uri(const ivrsm_session *s, const ivrsm_tmpl *t)
{
    ivrsm_buf b = IVRSM_BUF_INIT(s->mem);
    ivrsm_tmpl_scope sc = ivrsm_s_scope(s);
    if (ivrsm_tmpl_render(t, &sc, &b) != 0) {
        ivrsm_buf_free(&b);
        return NULL;
    }
    char *text = ivrsm_buf_steal(&b);
    if (!text)
        return NULL;
    size_t len = strlen(text), start = 0;
    while (start < len && strchr(" \t\r\n", text[start]))
        start++;
    while (len > start && strchr(" \t\r\n", text[len - 1]))
        len--;
    /* A value with a line break cannot name a file: the part is dropped. */
    if (memchr(text + start, '\n', len - start) || memchr(text + start, '\r', len - start))
        len = start;
    memmove(text, text + start, len - start);
    text[len - start] = '\0';
    return text;
}

int ivrsm_s_speech_render(const ivrsm_session *s, const m_message *msg, s_speech *out)
{
    msg = ivrsm_m_message_in(msg, s->language);
    if (!msg)
        return 0;
    if (msg->fixed)
        return ivrsm_s_speech_append(s->mem, out, msg->fixed, msg->fixed_count);
    for (size_t i = 0; i < msg->count; i++) {
        const m_part *p = &msg->parts[i];
        if (p->kind == M_PART_SAY) {
            /* A rendering with nothing to say (NULL) adds nothing. */
            char *text = NULL;
            if (!ivrsm_tmpl_is_static(p->tmpl) && ivrsm_s_render_text(s, p->tmpl, &text) != 0)
                return -1;
            int rc = text ? add_owned(s->mem, out, IVRSM_PART_SAY, text)
                          : ivrsm_s_speech_add(s->mem, out, IVRSM_PART_SAY,
                                               ivrsm_tmpl_static_speech(p->tmpl));
            if (rc != 0)
                return -1;
        } else if (add_owned(s->mem, out, IVRSM_PART_PLAY, render_uri(s, p->tmpl)) != 0) {
            return -1;
        }
    }
    return 0;
}

bool ivrsm_s_speech_has_words(const s_speech *sp)
{
    for (size_t i = 0; i < sp->count; i++)
        if (sp->parts[i].type == IVRSM_PART_SAY)
            return true;
    return false;
}

char *ivrsm_s_speech_text(const ivrsm_mem *mem, const ivrsm_part *parts, size_t n)
{
    char stack[512];
    ivrsm_buf b;
    ivrsm_buf_on(&b, mem, stack, sizeof(stack));
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].type != IVRSM_PART_SAY)
            continue;
        if (any)
            ivrsm_buf_putc(&b, ' ');
        ivrsm_buf_puts(&b, parts[i].text);
        any = true;
    }
    if (!any) {
        ivrsm_buf_free(&b);
        return NULL;
    }
    return ivrsm_buf_steal(&b);
}

void ivrsm_s_speech_move(const ivrsm_mem *mem, s_speech *from, s_speech *to)
{
    ivrsm_s_speech_free(mem, to);
    *to = *from;
    memset(from, 0, sizeof(*from));
}

json_t *ivrsm_s_parts_to_json(const ivrsm_part *parts, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_object();
        if (!o || json_object_set_new(o, parts[i].type == IVRSM_PART_PLAY ? "play" : "say",
                                      json_string(parts[i].text)) != 0) {
            json_decref(o);
            json_decref(a); /* all or nothing: NULL when memory ran out */
            return NULL;
        }
        if (json_array_append_new(a, o) != 0) { /* o is gone with it */
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int ivrsm_s_parts_from_json(const ivrsm_mem *mem, const json_t *a, s_speech *out)
{
    size_t i;
    const json_t *o;
    if (!json_is_array(a))
        return -1;
    json_array_foreach(a, i, o)
    {
        const char *say = json_string_value(json_object_get(o, "say"));
        const char *play = json_string_value(json_object_get(o, "play"));
        if (!say == !play || json_object_size(o) != 1)
            return -1;
        if (ivrsm_s_speech_add(mem, out, say ? IVRSM_PART_SAY : IVRSM_PART_PLAY,
                               say ? say : play) != 0)
            return IVRSM_ENOMEM;
    }
    return 0;
}
