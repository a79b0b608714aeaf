/*
 * What a session says, as parts: messages rendered, queued while the call
 * moves on ("Très bien." before the next question) and handed to a command.
 * Adjacent words are joined into one part, blank words and empty URIs are
 * dropped, so a message without recordings is always one `say` part whose
 * text is the command's `text`.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "session.h"
#include "text.h"

void ivrsm_s_speech_free(const ivrsm_mem *mem, s_speech *sp)
{
    if (sp->cap) /* else nothing, or the machine's parts, shown */
        ivrsm_mem_free(mem, sp->parts);
    memset(sp, 0, sizeof(*sp));
}

size_t ivrsm_s_speech_memory(const s_speech *sp)
{
    return sp->cap ? sp->cap * sizeof(*sp->parts) + sp->room : 0;
}

/* Where the texts start: after the room for the parts. */
static char *texts(const s_speech *sp)
{
    return (char *)(sp->parts + sp->cap);
}

/*
 * Room for `parts` more parts and `bytes` more bytes of text. The block grows
 * at its end (text room rounded to 32 bytes, so that most joins fit); when the
 * parts' room grows, the texts move up behind it. The parts then point at the
 * texts again, found in order (each ends with its NUL). 0, or -1 on no memory
 * (sp unchanged).
 */
/*
 * A speech that shows the machine's parts (cap 0) takes copies of them in a
 * block of its own, with room for `parts` more parts and `bytes` more text,
 * before anything is added. 0, or -1 on no memory (sp unchanged).
 */
static int own_parts(const ivrsm_mem *mem, s_speech *sp, size_t parts, size_t bytes)
{
    size_t text = 0;
    for (uint32_t i = 0; i < sp->count; i++)
        text += strlen(sp->parts[i].text) + 1;
    size_t cap = sp->count + parts > 2 ? sp->count + parts : 2;
    if (text + bytes > UINT32_MAX / 2 || cap > UINT32_MAX / 2)
        return -1;
    size_t room = (text + bytes + 31) & ~(size_t)31;
    ivrsm_part *block = ivrsm_mem_malloc(mem, cap * sizeof(*block) + room);
    if (!block)
        return -1;
    char *t = (char *)(block + cap);
    for (uint32_t i = 0; i < sp->count; i++) {
        size_t len = strlen(sp->parts[i].text);
        memcpy(t, sp->parts[i].text, len + 1);
        block[i] = (ivrsm_part){sp->parts[i].type, t};
        t += len + 1;
    }
    sp->parts = block;
    sp->cap = (uint32_t)cap;
    sp->room = (uint32_t)room;
    sp->used = (uint32_t)text;
    return 0;
}

static int reserve(const ivrsm_mem *mem, s_speech *sp, size_t parts, size_t bytes)
{
    if (!sp->cap && sp->count)
        return own_parts(mem, sp, parts, bytes);
    size_t need_cap = (size_t)sp->count + parts, need_room = (size_t)sp->used + bytes;
    if (need_cap <= sp->cap && need_room <= sp->room)
        return 0;
    if (need_room > UINT32_MAX / 2 || need_cap > UINT32_MAX / 2)
        return -1;
    size_t cap = sp->cap, room = sp->room;
    if (need_cap > cap)
        cap = need_cap > 2 * cap ? (need_cap > 2 ? need_cap : 2) : 2 * cap;
    if (need_room > room)
        room = (need_room + 31) & ~(size_t)31;
    ivrsm_part *block = ivrsm_mem_realloc(mem, sp->parts, cap * sizeof(*block) + room);
    if (!block)
        return -1;
    char *t = (char *)(block + cap);
    if (cap != sp->cap)
        memmove(t, (char *)(block + sp->cap), sp->used);
    sp->parts = block;
    sp->cap = (uint32_t)cap;
    sp->room = (uint32_t)room;
    for (uint32_t i = 0; i < sp->count; i++) {
        block[i].text = t;
        t += strlen(t) + 1;
    }
    return 0;
}

/* Whether a part of this type added now joins the last one: adjacent words are one part. */
static bool joins_last(const s_speech *sp, ivrsm_part_type type)
{
    return type == IVRSM_PART_SAY && sp->count && sp->parts[sp->count - 1].type == IVRSM_PART_SAY;
}

/*
 * text[0..len) (no NUL in it, not in sp's block) added as a part, or joined
 * to the last one after a space. Nothing for an empty text. 0, or -1 on no
 * memory (sp as it was).
 */
static int add_text(const ivrsm_mem *mem, s_speech *sp, ivrsm_part_type type, const char *text,
                    size_t len)
{
    if (!len)
        return 0;
    bool join = joins_last(sp, type);
    if (reserve(mem, sp, join ? 0 : 1, len + 1) != 0)
        return -1;
    char *at = texts(sp) + sp->used;
    if (join) {
        at[-1] = ' '; /* the last text's NUL */
    } else {
        sp->parts[sp->count++] = (ivrsm_part){type, at};
    }
    memcpy(at, text, len);
    at[len] = '\0';
    sp->used += (uint32_t)len + 1;
    return 0;
}

int ivrsm_s_speech_add(const ivrsm_mem *mem, s_speech *sp, ivrsm_part_type type, const char *text)
{
    return text ? add_text(mem, sp, type, text, strlen(text)) : 0;
}

int ivrsm_s_speech_append(const ivrsm_mem *mem, s_speech *sp, const ivrsm_part *parts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ivrsm_s_speech_add(mem, sp, parts[i].type, parts[i].text) != 0)
            return -1;
    return 0;
}

/* Words rendered for this call, collapsed, added where they are rendered (no copy of their
 * own): a text with a NUL in it is said up to it. 0, -1 on no memory, or IVRSM_ELIMIT (nothing
 * added) for a text past IVRSM_MAX_TEXT_BYTES. */
static int add_rendered(const ivrsm_session *s, const ivrsm_tmpl *t, s_speech *out)
{
    char stack[512];
    ivrsm_buf b;
    ivrsm_buf_on(&b, s->mem, stack, sizeof(stack));
    ivrsm_tmpl_scope sc = ivrsm_s_scope(s);
    int rc = -1;
    if (ivrsm_tmpl_render_speech(t, &sc, &b) == 0 && !b.failed) {
        const char *nul = memchr(b.data, '\0', b.len);
        rc = add_text(s->mem, out, IVRSM_PART_SAY, b.data, nul ? (size_t)(nul - b.data) : b.len);
    } else if (b.failed == IVRSM_BUF_PAST_LIMIT) {
        rc = IVRSM_ELIMIT;
    }
    ivrsm_buf_free(&b);
    return rc;
}

/* A recording's URI: rendered, trimmed, never more than one line (else dropped). */
static int add_uri(const ivrsm_session *s, const ivrsm_tmpl *t, s_speech *out)
{
    char stack[256];
    ivrsm_buf b;
    ivrsm_buf_on(&b, s->mem, stack, sizeof(stack));
    ivrsm_tmpl_scope sc = ivrsm_s_scope(s);
    if (ivrsm_tmpl_render(t, &sc, &b) != 0 || b.failed) {
        int rc = b.failed == IVRSM_BUF_PAST_LIMIT ? IVRSM_ELIMIT : -1;
        ivrsm_buf_free(&b);
        return rc;
    }
    const char *text = b.data;
    size_t len = strlen(text), start = 0;
    while (start < len && strchr(" \t\r\n", text[start]))
        start++;
    while (len > start && strchr(" \t\r\n", text[len - 1]))
        len--;
    /* A value with a line break cannot name a file: the part is dropped. */
    if (memchr(text + start, '\n', len - start) || memchr(text + start, '\r', len - start))
        len = start;
    int rc = add_text(s->mem, out, IVRSM_PART_PLAY, text + start, len - start);
    ivrsm_buf_free(&b);
    return rc;
}

/* Whether parts are as adding them one by one would leave them: none blank, no two says in a
 * row (a machine's static message is prepared so). */
static bool shown_as_they_are(const ivrsm_part *parts, size_t n)
{
    if (!n || n > UINT32_MAX / 2)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!parts[i].text || !*parts[i].text ||
            (i && parts[i].type == IVRSM_PART_SAY && parts[i - 1].type == IVRSM_PART_SAY))
            return false;
    return true;
}

int ivrsm_s_speech_render(const ivrsm_session *s, const m_message *msg, s_speech *out)
{
    msg = ivrsm_m_message_in(msg, s->language);
    if (!msg)
        return 0;
    if (msg->fixed) {
        if (!out->count && shown_as_they_are(msg->fixed, msg->fixed_count)) {
            /* Nothing said before: the machine's parts are shown, copied only when more words
             * join them (own_parts()). The session holds a reference to the machine. */
            out->parts = (ivrsm_part *)(uintptr_t)msg->fixed;
            out->count = (uint32_t)msg->fixed_count;
            return 0;
        }
        return ivrsm_s_speech_append(s->mem, out, msg->fixed, msg->fixed_count);
    }
    int past_limit = 0;
    for (size_t i = 0; i < msg->count; i++) {
        const m_part *p = &msg->parts[i];
        int rc;
        if (p->kind != M_PART_SAY)
            rc = add_uri(s, p->tmpl, out);
        else if (ivrsm_tmpl_is_static(p->tmpl))
            rc = ivrsm_s_speech_add(s->mem, out, IVRSM_PART_SAY, ivrsm_tmpl_static_speech(p->tmpl));
        else
            rc = add_rendered(s, p->tmpl, out);
        if (rc == IVRSM_ELIMIT)
            past_limit = rc; /* that part is left out, the others said */
        else if (rc != 0)
            return -1;
    }
    return past_limit;
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
