/*
 * Unit tests of the ESL host's parts: framing of what FreeSWITCH sends
 * (split at every byte boundary, several messages at once, large events,
 * malformed streams), messages the host sends, application arguments built
 * from text that tries to break out of them, and completions read back.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app_args.h"
#include "calls_int.h"
#include "esl_conn.h"
#include "esl_frame.h"
#include "fs_oracle.h"
#include "esl_wire.h"
#include "failing_mem.h"
#include "json_mem.h"
#include "log.h"
#include "snapdoc.h"
#include "strbuf.h"

#include <sys/socket.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------
 * Framing
 * ------------------------------------------------------------------------- */

/* An event-plain message: headers URL-encoded as switch_url_encode does, and a body. */
static char *event_message(const char *headers_block, const char *event_body)
{
    strbuf ev = {0}, msg = {0};
    sb_puts(&ev, headers_block);
    if (event_body)
        sb_printf(&ev, "Content-Length: %zu\n\n%s", strlen(event_body), event_body);
    else
        sb_puts(&ev, "\n");
    sb_printf(&msg, "Content-Length: %zu\nContent-Type: text/event-plain\n\n", ev.len);
    sb_append(&msg, ev.data, ev.len);
    sb_free(&ev);
    return sb_take(&msg);
}

/* The whole conversation of a connection, as FreeSWITCH writes it. */
static char *stream(void)
{
    strbuf s = {0};
    sb_puts(&s, "Content-Type: auth/request\n\n");
    sb_puts(&s, "Content-Type: command/reply\nReply-Text: +OK accepted\n\n");
    sb_puts(&s, "Content-Type: api/response\nContent-Length: 4\n\ntrue");
    char *ev = event_message("Event-Name: CHANNEL_EXECUTE_COMPLETE\n"
                             "Unique-ID: 3f2a-01\n"
                             "Application-Response: FILE%20PLAYED\n"
                             "Application-Data: _undef_\n"
                             "variable_ivrsm_app: synergia\n"
                             "variable_prompt: Bonjour%0A%0Ahangup%3A%20l%27appel%20%2B33%25\n",
                             NULL);
    sb_puts(&s, ev);
    free(ev);
    ev = event_message("Event-Name: DETECTED_SPEECH\nUnique-ID: 3f2a-01\n"
                       "Speech-Type: detected-speech\n",
                       "<result><input>oui\n\nContent-Length: 99\n\n</input></result>");
    sb_puts(&s, ev);
    free(ev);
    sb_puts(&s,
            "Content-Type: text/disconnect-notice\nContent-Length: 23\n\nDisconnected, goodbye.\n");
    return sb_take(&s);
}

/* Frame `data` fed in pieces at the given cut points; count and check the messages. */
static void check_messages(esl_msg **m, size_t n)
{
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(esl_msg_header(m[0], "content-type"), "auth/request");
    ck_assert_str_eq(esl_msg_header(m[1], "Reply-Text"), "+OK accepted");
    ck_assert_str_eq(m[2]->body, "true");
    ck_assert_uint_eq(m[2]->body_len, 4);
    ck_assert(m[3]->is_event);
    ck_assert_str_eq(esl_msg_event_header(m[3], "Event-Name"), "CHANNEL_EXECUTE_COMPLETE");
    ck_assert_str_eq(esl_msg_event_header(m[3], "Application-Response"), "FILE PLAYED");
    /* switch_event_serialize writes an empty value "_undef_". */
    ck_assert_str_eq(esl_msg_event_header(m[3], "Application-Data"), "");
    ck_assert_str_eq(esl_msg_event_header(m[3], "variable_prompt"),
                     "Bonjour\n\nhangup: l'appel +33%");
    ck_assert_ptr_null(m[3]->event_body);
    ck_assert_str_eq(m[3]->unique_id, "3f2a-01");
    ck_assert_ptr_eq(m[3]->unique_id, esl_msg_event_header(m[3], "Unique-ID"));
    ck_assert_ptr_null(m[0]->unique_id);
    ck_assert_str_eq(esl_msg_event_header(m[4], "Speech-Type"), "detected-speech");
    ck_assert_str_eq(m[4]->event_body,
                     "<result><input>oui\n\nContent-Length: 99\n\n</input></result>");
    ck_assert_str_eq(m[5]->body, "Disconnected, goodbye.\n");
}

static size_t frame_pieces(const char *data, size_t len, size_t piece, size_t first_cut,
                           esl_msg **out, size_t max)
{
    esl_framer f;
    esl_framer_init(&f);
    size_t n = 0, pos = 0;
    while (pos < len) {
        size_t step = pos == 0 && first_cut ? first_cut : piece;
        if (step > len - pos)
            step = len - pos;
        ck_assert_int_eq(esl_framer_feed(&f, data + pos, step), 0);
        pos += step;
        esl_msg *m;
        int rc;
        while ((rc = esl_framer_next(&f, &m)) == 1) {
            ck_assert_uint_lt(n, max);
            out[n++] = m;
        }
        ck_assert_msg(rc == 0, "framing failed: %s", f.error);
    }
    ck_assert_uint_eq(f.in.len, 0);
    esl_framer_free(&f);
    return n;
}

START_TEST(frame_split_at_every_byte)
{
    char *data = stream();
    size_t len = strlen(data);
    esl_msg *m[8];
    for (size_t cut = 1; cut <= len; cut++) {
        size_t n = frame_pieces(data, len, len, cut, m, 8);
        check_messages(m, n);
        for (size_t i = 0; i < n; i++)
            esl_msg_free(m[i]);
    }
    for (size_t piece = 1; piece < 40; piece++) {
        size_t n = frame_pieces(data, len, piece, 0, m, 8);
        check_messages(m, n);
        for (size_t i = 0; i < n; i++)
            esl_msg_free(m[i]);
    }
    free(data);
}
END_TEST

START_TEST(frame_large_event)
{
    strbuf headers = {0};
    sb_puts(&headers, "Event-Name: CHANNEL_PARK\nUnique-ID: abc\nvariable_big: ");
    for (int i = 0; i < 200000; i++)
        sb_puts(&headers, "%41");
    sb_puts(&headers, "\n");
    char *msg = event_message(headers.data, NULL);
    sb_free(&headers);
    esl_framer f;
    esl_framer_init(&f);
    esl_msg *m = NULL;
    size_t len = strlen(msg);
    ck_assert_int_eq(esl_framer_feed(&f, msg, len - 1), 0);
    ck_assert_int_eq(esl_framer_next(&f, &m), 0);
    ck_assert_int_eq(esl_framer_feed(&f, msg + len - 1, 1), 0);
    ck_assert_int_eq(esl_framer_next(&f, &m), 1);
    const char *big = esl_msg_event_header(m, "variable_big");
    ck_assert_uint_eq(strlen(big), 200000);
    ck_assert(big[0] == 'A' && big[199999] == 'A');
    esl_msg_free(m);
    esl_framer_free(&f);
    free(msg);
}
END_TEST

static int frame_once(const char *data, char *error, size_t len)
{
    esl_framer f;
    esl_framer_init(&f);
    esl_framer_feed(&f, data, strlen(data));
    esl_msg *m = NULL;
    int rc = esl_framer_next(&f, &m);
    snprintf(error, len, "%s", f.error);
    esl_msg_free(m);
    esl_framer_free(&f);
    return rc;
}

START_TEST(frame_refuses_malformed_streams)
{
    char err[200];
    ck_assert_int_eq(frame_once("Content-Length: 12x\n\n", err, sizeof(err)), -1);
    ck_assert_str_eq(err, "bad Content-Length '12x' (at most 16777216 bytes)");
    ck_assert_int_eq(frame_once("Content-Length: -1\n\n", err, sizeof(err)), -1);
    ck_assert_int_eq(frame_once("Content-Length: 99999999999\n\n", err, sizeof(err)), -1);
    ck_assert_int_eq(frame_once("Content-Length: 3\nContent-Length: 4\n\nabcd", err, sizeof(err)),
                     -1);
    ck_assert_str_eq(err, "two Content-Length headers disagree (3 and 4)");
    ck_assert_int_eq(frame_once("Content-Type: x\nno colon here\n\n", err, sizeof(err)), -1);
    ck_assert_str_eq(err, "header line without a name and ':' (no colon here)");
    ck_assert_int_eq(frame_once("Content-Length: 10\nContent-Type: text/event-plain\n\n"
                                "Event-Name",
                                err, sizeof(err)),
                     -1);
    ck_assert_str_eq(err, "event body does not end its last header line");
    /* Same Content-Length twice, and CRLF line ends, are fine. */
    ck_assert_int_eq(
        frame_once("Content-Length: 2\r\nContent-Length: 2\r\n\r\nok", err, sizeof(err)), 1);
    /* A header block that never ends is bounded. */
    char *flood = malloc(ESL_MAX_HEADER_BLOCK + 100);
    memset(flood, 'a', ESL_MAX_HEADER_BLOCK + 99);
    flood[ESL_MAX_HEADER_BLOCK + 99] = '\0';
    ck_assert_int_eq(frame_once(flood, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "header block longer than 65536 bytes");
    free(flood);
}
END_TEST

/* One message framed from `data` (whole); NULL with the error in err when it does not frame. */
static esl_msg *frame_one(const char *data, size_t len, char *err, size_t errlen)
{
    esl_framer f;
    esl_framer_init(&f);
    ck_assert_int_eq(esl_framer_feed(&f, data, len), 0);
    esl_msg *m = NULL;
    int rc = esl_framer_next(&f, &m);
    snprintf(err, errlen, "%s", f.error);
    ck_assert_int_eq(rc == 1, m != NULL);
    esl_framer_free(&f);
    return m;
}

/* An event-plain message around `inner` (its length counted, NUL bytes included). */
static size_t odd_event(char *out, size_t outlen, const char *inner, size_t inner_len)
{
    int n = snprintf(out, outlen, "Content-Length: %zu\nContent-Type: text/event-plain\n\n",
                     inner_len);
    ck_assert_uint_lt((size_t)n + inner_len, outlen);
    memcpy(out + n, inner, inner_len);
    return (size_t)n + inner_len;
}

/*
 * What a FreeSWITCH never writes (switch_event_serialize: C strings, every value through
 * switch_url_encode, the event's Content-Length its body's strlen), read as libs/esl's
 * esl_recv_event reads it but without cutting a value short: each message is framed, says
 * what is odd in it, and the stream goes on.
 */
START_TEST(frame_reads_what_freeswitch_never_sends)
{
    char err[200], buf[512];
    esl_msg *m;
    /* "%00" in a value: kept as written, never a NUL that would make "synergia%00x" read
     * "synergia"; '+' and a '%' without two hex digits stay as they are. */
    const char a[] = "Event-Name: CHANNEL_PARK\nUnique-ID: u-1\n"
                     "variable_ivrsm_app: synergia%00x\nvariable_b: 1+1%zz%4%2B\n\n";
    m = frame_one(buf, odd_event(buf, sizeof(buf), a, sizeof(a) - 1), err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(esl_msg_event_header(m, "variable_ivrsm_app"), "synergia%00x");
    ck_assert_str_eq(esl_msg_event_header(m, "variable_b"), "1+1%zz%4+");
    ck_assert_str_eq(m->oddity, "a %00 in a header value (kept as written)");
    esl_msg_free(m);
    /* NUL bytes in an event's header line and in the message's own: shown as %00. */
    const char b[] = "Event-Name: CHANNEL_EXECUTE_COMPLETE\nUnique-ID: u-2\n"
                     "variable_x: a\0b\0\n\n";
    m = frame_one(buf, odd_event(buf, sizeof(buf), b, sizeof(b) - 1), err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(esl_msg_event_header(m, "variable_x"), "a%00b%00");
    ck_assert_str_eq(esl_msg_event_header(m, "Unique-ID"), "u-2");
    ck_assert_str_eq(m->oddity, "a NUL byte in a header line (kept as %00)");
    esl_msg_free(m);
    const char c[] = "Content-Type: command/reply\nReply-Text: +OK\0 accepted\n\n";
    m = frame_one(c, sizeof(c) - 1, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(esl_msg_header(m, "Reply-Text"), "+OK%00 accepted");
    esl_msg_free(m);
    /* An event header line without ':' is left out, the others read. */
    const char d[] = "Event-Name: DTMF\nno colon\nUnique-ID: u-3\nDTMF-Digit: 5\n\n";
    m = frame_one(buf, odd_event(buf, sizeof(buf), d, sizeof(d) - 1), err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->event_header_count, 3);
    ck_assert_str_eq(esl_msg_event_header(m, "DTMF-Digit"), "5");
    ck_assert_str_eq(m->unique_id, "u-3");
    ck_assert_str_eq(m->oddity, "an event header line without a name and ':' (left out)");
    esl_msg_free(m);
    /* An event Content-Length longer than the event, or no number: what is there. */
    const char e[] = "Event-Name: DETECTED_SPEECH\nUnique-ID: u-4\nContent-Length: 900\n\n"
                     "<result/>";
    m = frame_one(buf, odd_event(buf, sizeof(buf), e, sizeof(e) - 1), err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->event_body, "<result/>");
    ck_assert_uint_eq(m->event_body_len, 9);
    ck_assert_str_eq(m->oddity,
                     "an event Content-Length longer than the event (what is there taken)");
    esl_msg_free(m);
    const char g[] = "Event-Name: DETECTED_SPEECH\nContent-Length: 9x\n\n<result/>";
    m = frame_one(buf, odd_event(buf, sizeof(buf), g, sizeof(g) - 1), err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->event_body, "<result/>");
    ck_assert_str_eq(m->oddity, "an event Content-Length that is no length (the rest of the "
                                "message taken)");
    esl_msg_free(m);
    /* A NUL byte in a body: the whole body is kept, its length told. */
    const char h[] = "Content-Type: api/response\nContent-Length: 5\n\ntr\0ue";
    m = frame_one(h, sizeof(h) - 1, err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->body_len, 5);
    ck_assert_mem_eq(m->body, "tr\0ue", 5);
    ck_assert_str_eq(m->oddity, "a NUL byte in the body (read up to it)");
    esl_msg_free(m);
    const char i[] = "Event-Name: DETECTED_SPEECH\nContent-Length: 3\n\na\0b";
    m = frame_one(buf, odd_event(buf, sizeof(buf), i, sizeof(i) - 1), err, sizeof(err));
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(m->event_body_len, 3);
    ck_assert_str_eq(m->oddity, "a NUL byte in the event's body (read up to it)");
    esl_msg_free(m);
    /* What FreeSWITCH writes has nothing odd. */
    char *fine = stream();
    esl_msg *all[8];
    size_t n = frame_pieces(fine, strlen(fine), 7, 0, all, 8);
    for (size_t k = 0; k < n; k++) {
        ck_assert_ptr_null(all[k]->oddity);
        esl_msg_free(all[k]);
    }
    free(fine);
}
END_TEST

/* A message whose body has not all come: how much came, and how much its headers announce. */
START_TEST(framer_tells_a_message_cut_short)
{
    esl_framer f;
    esl_framer_init(&f);
    size_t announced;
    ck_assert_uint_eq(esl_framer_pending(&f, &announced), 0);
    const char *part = "Content-Type: api/response\nContent-Length: 100\n\nabc";
    ck_assert_int_eq(esl_framer_feed(&f, part, strlen(part)), 0);
    esl_msg *m = NULL;
    ck_assert_int_eq(esl_framer_next(&f, &m), 0);
    ck_assert_uint_eq(esl_framer_pending(&f, &announced), strlen(part));
    ck_assert_uint_eq(announced, strlen(part) - 3 + 100);
    esl_framer_reset(&f);
    const char *headers = "Content-Type: api/resp";
    ck_assert_int_eq(esl_framer_feed(&f, headers, strlen(headers)), 0);
    ck_assert_int_eq(esl_framer_next(&f, &m), 0);
    ck_assert_uint_eq(esl_framer_pending(&f, &announced), strlen(headers));
    ck_assert_uint_eq(announced, 0);
    esl_framer_free(&f);
}
END_TEST

/* Frame `data` fed in pieces of `piece` bytes: the first result that is not
 * "more bytes needed" (1 or -1), or 0; the error text in err. */
static int frame_in_pieces(const char *data, size_t len, size_t piece, char *err, size_t errlen)
{
    esl_framer f;
    esl_framer_init(&f);
    int rc = 0;
    for (size_t pos = 0; pos < len && rc == 0; pos += piece) {
        size_t n = len - pos < piece ? len - pos : piece;
        ck_assert_int_eq(esl_framer_feed(&f, data + pos, n), 0);
        esl_msg *m = NULL;
        rc = esl_framer_next(&f, &m);
        esl_msg_free(m);
    }
    snprintf(err, errlen, "%s", f.error);
    esl_framer_free(&f);
    return rc;
}

/* A header block of `size` bytes, its empty line included. */
static char *header_block(size_t size)
{
    char *b = malloc(size + 1);
    memcpy(b, "Content-Type: text/x\nX-Pad: ", 28);
    memset(b + 28, 'a', size - 30);
    memcpy(b + size - 2, "\n\n", 2);
    b[size] = '\0';
    return b;
}

START_TEST(frame_header_bound_does_not_depend_on_reads)
{
    char err[200];
    char *big = header_block(70000);
    ck_assert_int_eq(frame_in_pieces(big, 70000, 70000, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "header block longer than 65536 bytes");
    ck_assert_int_eq(frame_in_pieces(big, 70000, 1000, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "header block longer than 65536 bytes");
    free(big);
    char *edge = header_block(ESL_MAX_HEADER_BLOCK);
    ck_assert_int_eq(
        frame_in_pieces(edge, ESL_MAX_HEADER_BLOCK, ESL_MAX_HEADER_BLOCK, err, sizeof(err)), 1);
    ck_assert_int_eq(frame_in_pieces(edge, ESL_MAX_HEADER_BLOCK, 1000, err, sizeof(err)), 1);
    ck_assert_int_eq(frame_in_pieces(edge, ESL_MAX_HEADER_BLOCK, 1, err, sizeof(err)), 1);
    free(edge);
    char *over = header_block(ESL_MAX_HEADER_BLOCK + 1);
    ck_assert_int_eq(frame_in_pieces(over, ESL_MAX_HEADER_BLOCK + 1, 7, err, sizeof(err)), -1);
    ck_assert_int_eq(
        frame_in_pieces(over, ESL_MAX_HEADER_BLOCK + 1, ESL_MAX_HEADER_BLOCK + 1, err, sizeof(err)),
        -1);
    free(over);
}
END_TEST

/* A message whose body arrives later is framed once whole, its headers found once. */
START_TEST(frame_body_after_headers)
{
    const char *msg = "Content-Length: 5\nContent-Type: api/response\n\nhello"
                      "Content-Type: command/reply\nReply-Text: +OK\n\n";
    esl_framer f;
    esl_framer_init(&f);
    esl_msg *m = NULL;
    ck_assert_int_eq(esl_framer_feed(&f, msg, 48), 0);
    ck_assert_int_eq(esl_framer_next(&f, &m), 0);
    ck_assert_int_eq(esl_framer_feed(&f, msg + 48, strlen(msg) - 48), 0);
    ck_assert_int_eq(esl_framer_next(&f, &m), 1);
    ck_assert_str_eq(m->body, "hello");
    esl_msg_free(m);
    ck_assert_int_eq(esl_framer_next(&f, &m), 1);
    ck_assert_str_eq(esl_msg_header(m, "Reply-Text"), "+OK");
    esl_msg_free(m);
    esl_framer_free(&f);
}
END_TEST

START_TEST(url_decode_like_freeswitch)
{
    char s[] = "a%20b+c%2Bd%3a%zz%4";
    ck_assert_uint_eq(esl_url_decode(s), 13);
    ck_assert_str_eq(s, "a b+c+d:%zz%4");
}
END_TEST

/* ---------------------------------------------------------------------------
 * Messages to FreeSWITCH
 * ------------------------------------------------------------------------- */

START_TEST(execute_puts_the_argument_in_a_body)
{
    strbuf sb = {0};
    const char *uuid = "3f2a0c1e-0000-4000-8000-000000000001";
    const char *app_uuid = "9d8c7b6a-0000-4000-8000-000000000002";
    ck_assert_int_eq(esl_build_execute(&sb, uuid, app_uuid, "speak",
                                       "flite|kal|a\n\nhangup\n\nevent-lock: false"),
                     0);
    ck_assert_str_eq(sb.data, "sendmsg 3f2a0c1e-0000-4000-8000-000000000001\n"
                              "call-command: execute\n"
                              "execute-app-name: speak\n"
                              "event-lock: true\n"
                              "Event-UUID: 9d8c7b6a-0000-4000-8000-000000000002\n"
                              "content-type: text/plain\n"
                              "content-length: 38\n\n"
                              "flite|kal|a\n\nhangup\n\nevent-lock: false");
    sb_clear(&sb);
    ck_assert_int_eq(esl_build_execute(&sb, "abc\nhangup", app_uuid, "speak", "x"), -1);
    ck_assert_int_eq(esl_build_execute(&sb, uuid, "x y", "speak", "x"), -1);
    ck_assert_int_eq(esl_build_execute(&sb, uuid, app_uuid, "speak\nevent-lock: false", "x"), -1);
    ck_assert_uint_eq(sb.len, 0);
    sb_free(&sb);
}
END_TEST

START_TEST(handshake_messages_are_checked)
{
    strbuf sb = {0};
    ck_assert_int_eq(esl_build_auth(&sb, "ClueCon"), 0);
    ck_assert_str_eq(sb.data, "auth ClueCon\n\n");
    sb_clear(&sb);
    ck_assert_int_eq(esl_build_auth(&sb, "a\nevent plain ALL"), -1);
    ck_assert_int_eq(esl_build_filter(&sb, "variable_ivrsm_app", "synergia"), 0);
    ck_assert_str_eq(sb.data, "filter variable_ivrsm_app synergia\n\n");
    sb_clear(&sb);
    ck_assert_int_eq(esl_build_filter(&sb, "variable_x", "a b"), -1);
    ck_assert_int_eq(esl_build_uuid_api(&sb, "uuid_break", "3f2a-01", "all"), 0);
    ck_assert_str_eq(sb.data, "api uuid_break 3f2a-01 all\n\n");
    sb_clear(&sb);
    ck_assert_int_eq(esl_build_uuid_api(&sb, "uuid_exists", "3f2a 01", NULL), -1);
    ck_assert_int_eq(esl_build_subscribe(&sb), 0);
    ck_assert_str_eq(sb.data, "event plain " ESL_EVENT_TYPES "\n\n");
    sb_free(&sb);
    char u1[40], u2[40];
    ck_assert_int_eq(esl_new_uuid(u1, sizeof(u1)), 0);
    ck_assert_int_eq(esl_new_uuid(u2, sizeof(u2)), 0);
    ck_assert(esl_uuid_valid(u1));
    ck_assert_uint_eq(strlen(u1), 36);
    ck_assert_str_ne(u1, u2);
    ck_assert_int_eq(u1[14], '4');
}
END_TEST

/* ---------------------------------------------------------------------------
 * Application arguments
 * ------------------------------------------------------------------------- */

static const app_config apps = {.tts_engine = "flite",
                                .tts_voice = "kal",
                                .asr_engine = "unimrcp",
                                .asr_grammar = "builtin:speech/transcribe",
                                .handoff = HANDOFF_TRANSFER,
                                .handoff_template = "{queue} XML default"};

/* --tts-voice and --asr-language: a value per language. */
START_TEST(language_maps)
{
    app_lang_map map;
    const char *def = "kal";
    char err[200];
    char spec[] = "fr-FR=bernard,en=slt,awb";
    ck_assert_int_eq(app_lang_map_parse(spec, &map, &def, err, sizeof err), 0);
    ck_assert_uint_eq(map.count, 2);
    ck_assert_str_eq(def, "awb");
    ck_assert_str_eq(app_lang_map_get(&map, "fr-FR"), "bernard");
    ck_assert_str_eq(app_lang_map_get(&map, "FR_fr"), "bernard");
    ck_assert_str_eq(app_lang_map_get(&map, "en-US"), "slt"); /* by its language */
    ck_assert_str_eq(app_lang_map_get(&map, "en"), "slt");
    ck_assert_ptr_null(app_lang_map_get(&map, "fr-BE"));
    ck_assert_ptr_null(app_lang_map_get(&map, "e"));
    ck_assert_ptr_null(app_lang_map_get(&map, NULL));
    static const char *const bad[] = {
        "",          ",",          "fr-FR=",    "=kal",    "fr FR=kal",  "fr-FR=a b",
        "fr-FR=a|b", "fr-FR=${x}", "fr-FR=a'b", "x\x01=y", "fr-FR=a\\b", "averyveryverylongtag=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char copy[64];
        snprintf(copy, sizeof copy, "%s", bad[i]);
        def = "kal";
        ck_assert_msg(app_lang_map_parse(copy, &map, &def, err, sizeof err) == -1, "%s", bad[i]);
    }
    char many[512] = "";
    for (int i = 0; i < APP_LANG_MAX + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%sl%d=v", i ? "," : "", i);
    ck_assert_int_eq(app_lang_map_parse(many, &map, &def, err, sizeof err), -1);
    ck_assert_str_eq(err, "at most 16 languages");
}
END_TEST

START_TEST(voices_and_recogniser_language)
{
    char spec[] = "fr-FR=bernard";
    app_config cfg = {.tts_engine = "flite",
                      .tts_voice = "kal",
                      .asr_engine = "unimrcp",
                      .asr_grammar = "builtin:speech/transcribe"};
    char err[100];
    const char *def = cfg.tts_voice;
    ck_assert_int_eq(app_lang_map_parse(spec, &cfg.voices, &def, err, sizeof err), 0);
    ck_assert_str_eq(app_voice_for(&cfg, "fr-FR"), "bernard");
    ck_assert_str_eq(app_voice_for(&cfg, "en-US"), "kal");
    ck_assert_str_eq(app_voice_for(&cfg, NULL), "kal");
    ck_assert_str_eq(app_asr_language_for(&cfg, "en-US"), "en-US");
    ck_assert_ptr_null(app_asr_language_for(&cfg, NULL));
    ck_assert_ptr_null(app_asr_language_for(&cfg, "en US}x"));
    app_step s = {0};
    ck_assert_int_eq(app_build_say_in(&cfg, "Bonjour", "fr-FR", &s), 1);
    ck_assert_str_eq(s.arg, "flite|bernard|Bonjour");
    app_step_clear(&s);
    ck_assert_int_eq(app_build_say_in(&cfg, "Hello", "en-US", &s), 1);
    ck_assert_str_eq(s.arg, "flite|kal|Hello");
    app_step_clear(&s);
    ck_assert_int_eq(app_build_set_voice("bernard", &s), 0);
    ck_assert_str_eq(s.app, "set");
    ck_assert_str_eq(s.arg, "tts_voice=bernard");
    app_step_clear(&s);
    ivrsm_command c;
    memset(&c, 0, sizeof c);
    c.type = IVRSM_COMMAND_ASK;
    c.text = "Yes?";
    c.ask.speech = 1;
    c.language = "en-US";
    ck_assert_int_eq(app_build_ask(&cfg, &c, true, &s), 0);
    ck_assert_str_eq(s.arg, "say:Yes? detect:unimrcp {no-input-timeout=5000,speech-language=en-US}"
                            "builtin:speech/transcribe");
    app_step_clear(&s);
    ck_assert_int_eq(app_build_tts_setup_voice(&cfg, "bernard", &s), 0);
    ck_assert_ptr_nonnull(strstr(s.arg, "tts_voice=bernard "));
    app_step_clear(&s);
}
END_TEST

static ivrsm_command ask_command(const char *text)
{
    ivrsm_command c;
    memset(&c, 0, sizeof(c));
    c.type = IVRSM_COMMAND_ASK;
    c.text = text;
    c.ask.dtmf = 1;
    c.ask.speech = 1;
    c.ask.min_digits = 1;
    c.ask.max_digits = 20;
    c.ask.terminators = "#";
    c.ask.timeout_ms = 5000;
    c.ask.digit_timeout_ms = 3000;
    return c;
}

START_TEST(clean_text_removes_line_breaks_and_expansions)
{
    char *s = app_clean_text("a\r\nb\n\nhangup\t${x} $${y} $$$${z} $5  $\\{w} \\$\\${v} \x7f.");
    ck_assert_str_eq(s, "a  b  hangup {x} {y} {z} $5  {w} {v}  .");
    free(s);
}
END_TEST

START_TEST(keypad_ask_quotes_its_prompt)
{
    ivrsm_command c = ask_command("Dites l'appel\\ ou \\'tapez\n1 ${x}");
    app_step s = {0};
    ck_assert_int_eq(app_build_ask(&apps, &c, false, &s), 0);
    ck_assert_str_eq(s.app, "play_and_get_digits");
    /* No minimum; one more digit than asked, since '#' closes the entry. */
    ck_assert_str_eq(s.arg, "0 21 1 5000 # 'say:Dites l\\'appel ou \\'tapez 1 {x}' "
                            "silence_stream://250 ivrsm_digits [0-9*#A-D]+ 3000");
    app_step_clear(&s);
    c = ask_command("");
    c.ask.terminators = "";
    c.ask.max_digits = 500;
    ck_assert_int_eq(app_build_ask(&apps, &c, false, &s), 0);
    ck_assert_str_eq(s.arg, "0 127 1 5000 none silence silence_stream://250 ivrsm_digits "
                            "[0-9*#A-D]+ 3000");
    app_step_clear(&s);
    c = ask_command("Tapez 1");
    c.ask.terminators = "";
    c.ask.max_digits = 1;
    ck_assert_int_eq(app_build_ask(&apps, &c, false, &s), 0);
    ck_assert_str_eq(s.arg, "0 1 1 5000 none 'say:Tapez 1' silence_stream://250 ivrsm_digits "
                            "[0-9*#A-D]+ 3000");
    app_step_clear(&s);
    /* What FreeSWITCH hears once it has split the argument. */
    c = ask_command("C'est l'heure, '1' ou \"2\"");
    ck_assert_int_eq(app_build_ask(&apps, &c, false, &s), 0);
    fs_args a;
    ck_assert_int_eq(fs_parse_pagd(s.arg, &a), 0);
    ck_assert_int_eq(a.argc, 10);
    ck_assert_str_eq(a.argv[5], "say:C'est l'heure, '1' ou \"2\"");
    fs_args_free(&a);
    app_step_clear(&s);
}
END_TEST

START_TEST(speech_ask_has_one_detect_marker)
{
    ivrsm_command c = ask_command("Dites detect:x {a=b}\nou tapez");
    app_step s = {0};
    ck_assert(app_ask_uses_speech(&apps, &c, false));
    ck_assert_int_eq(app_build_ask(&apps, &c, true, &s), 0);
    ck_assert_str_eq(s.app, "play_and_detect_speech");
    ck_assert_str_eq(s.arg, "say:Dites detect x {a=b} ou tapez detect:unimrcp "
                            "{no-input-timeout=5000}builtin:speech/transcribe");
    app_step_clear(&s);
    ck_assert(!app_ask_uses_speech(&apps, &c, true)); /* a secret: an OTP, a PIN */
    app_config no_asr = apps;
    no_asr.asr_engine = NULL;
    ck_assert(!app_ask_uses_speech(&no_asr, &c, false));
    c.ask.speech = 0;
    ck_assert(!app_ask_uses_speech(&apps, &c, false));
}
END_TEST

START_TEST(say_always_names_engine_and_voice)
{
    app_step s = {0};
    ck_assert_int_eq(app_build_say(&apps, "Merci | au revoir\n", &s), 1);
    ck_assert_str_eq(s.app, "speak");
    ck_assert_str_eq(s.arg, "flite|kal|Merci   au revoir ");
    app_step_clear(&s);
    ck_assert_int_eq(app_build_say(&apps, "file:/var/sounds/fr/bonjour.wav", &s), 1);
    ck_assert_str_eq(s.app, "playback");
    ck_assert_str_eq(s.arg, "/var/sounds/fr/bonjour.wav");
    app_step_clear(&s);
    ck_assert_int_eq(app_build_say(&apps, "file:../etc/passwd", &s), 1);
    ck_assert_str_eq(s.app, "speak");
    app_step_clear(&s);
    ck_assert_int_eq(app_build_say(&apps, "", &s), 0);
    ck_assert_int_eq(app_build_say(&apps, NULL, &s), 0);
}
END_TEST

START_TEST(handoff_template_and_queue)
{
    app_step s = {0};
    char err[200];
    ck_assert_int_eq(app_build_handoff(&apps, "care_queue_1", &s, err, sizeof(err)), 0);
    ck_assert_str_eq(s.app, "transfer");
    ck_assert_str_eq(s.arg, "care_queue_1 XML default");
    app_step_clear(&s);
    ck_assert_int_eq(app_build_handoff(&apps, "q 1\nhangup", &s, err, sizeof(err)), -1);
    ck_assert_str_eq(
        err, "queue 'q 1\nhangup' is not a plain name (letters, digits, _ . -, a leading +)");
    /* Every byte FreeSWITCH reads as dial-string or argument syntax, at the start, in the
     * middle and at the end of a name (app_args.c queue_valid() cites where each acts). */
    const char *syntax = " \t\n\r'\"\\^|,:{}[]<>/@%;=$!&()*?#~`";
    for (const char *p = syntax; *p; p++) {
        char q[3][16];
        snprintf(q[0], sizeof(q[0]), "%c1000", *p);
        snprintf(q[1], sizeof(q[1]), "10%c00", *p);
        snprintf(q[2], sizeof(q[2]), "1000%c", *p);
        for (int i = 0; i < 3; i++) {
            err[0] = '\0';
            ck_assert_msg(app_build_handoff(&apps, q[i], &s, err, sizeof(err)) == -1,
                          "queue '%s' accepted", q[i]);
            ck_assert_ptr_null(s.arg);
            ck_assert_ptr_nonnull(strstr(err, "is not a plain name"));
        }
    }
    const char *refused[] = {"-bleg", "-both", ".x", "1+1", "", "caf\xc3\xa9", "a\x7f"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        ck_assert_msg(app_build_handoff(&apps, refused[i], &s, err, sizeof(err)) == -1,
                      "queue '%s' accepted", refused[i]);
    char longest[130];
    memset(longest, 'q', 128);
    longest[128] = '\0';
    ck_assert_int_eq(app_build_handoff(&apps, longest, &s, err, sizeof(err)), 0);
    app_step_clear(&s);
    longest[128] = 'q';
    longest[129] = '\0';
    ck_assert_int_eq(app_build_handoff(&apps, longest, &s, err, sizeof(err)), -1);
    const char *accepted[] = {"care_queue_1", "+33612345678", "sales.fr", "night-desk", "_x"};
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        ck_assert_int_eq(app_build_handoff(&apps, accepted[i], &s, err, sizeof(err)), 0);
        app_step_clear(&s);
    }
    app_config bridge = apps;
    bridge.handoff = HANDOFF_BRIDGE;
    bridge.handoff_template = "{sip_h_X-Q={queue}}sofia/gateway/agents/{queue}";
    ck_assert_int_eq(app_check_template(bridge.handoff_template, err, sizeof(err)), -1);
    bridge.handoff_template = "sofia/gateway/agents/{queue}";
    ck_assert_int_eq(app_check_template(bridge.handoff_template, err, sizeof(err)), 0);
    ck_assert_int_eq(app_build_handoff(&bridge, "care", &s, err, sizeof(err)), 0);
    ck_assert_str_eq(s.app, "bridge");
    ck_assert_str_eq(s.arg, "sofia/gateway/agents/care");
    app_step_clear(&s);
    ck_assert_int_eq(app_check_template("user/1000", err, sizeof(err)), -1);
    ck_assert_str_eq(err, "the handoff argument 'user/1000' must name the queue as {queue}");
    ck_assert_int_eq(app_check_template("${x}/{queue}", err, sizeof(err)), -1);
    ck_assert_int_eq(app_build_handoff_context("{\"a\":\"${b}\\\\\\\"c\"}", &s), 0);
    ck_assert_str_eq(s.app, "set");
    ck_assert_str_eq(s.arg, "ivrsm_handoff_context={\"a\":\"\\u0024{b}\\u005c\\\"c\"}");
    app_step_clear(&s);
}
END_TEST

/* ---------------------------------------------------------------------------
 * Completions
 * ------------------------------------------------------------------------- */

static esl_msg *completion(const char *headers)
{
    char *data = event_message(headers, NULL);
    esl_framer f;
    esl_framer_init(&f);
    esl_framer_feed(&f, data, strlen(data));
    esl_msg *m = NULL;
    ck_assert_int_eq(esl_framer_next(&f, &m), 1);
    esl_framer_free(&f);
    free(data);
    return m;
}

START_TEST(keypad_results)
{
    ask_result r;
    char why[100];
    esl_msg *m = completion("variable_ivrsm_digits: 0612\nvariable_read_result: success\n");
    ck_assert_int_eq(app_ask_result(m, false, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_DTMF);
    ck_assert_str_eq(r.text, "0612");
    ask_result_clear(&r);
    esl_msg_free(m);
    /* Digits then the digit timeout: switch_ivr_read says timeout, the digits count. */
    m = completion("variable_ivrsm_digits: 06\nvariable_read_result: timeout\n");
    ck_assert_int_eq(app_ask_result(m, false, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_DTMF);
    ask_result_clear(&r);
    esl_msg_free(m);
    m = completion("variable_read_result: timeout\n");
    ck_assert_int_eq(app_ask_result(m, false, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOINPUT);
    esl_msg_free(m);
    /* An empty read with a minimum of digits: "failure", and the caller was silent
     * (a read_terminator_used left by an earlier question changes nothing). */
    m = completion("variable_read_result: failure\nvariable_read_terminator_used: %23\n");
    ck_assert_int_eq(app_ask_result(m, false, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOINPUT);
    esl_msg_free(m);
    /* No minimum, the terminator alone: success without digits, a wrong answer. */
    m = completion("variable_read_result: success\nvariable_read_terminator_used: %23\n");
    ck_assert_int_eq(app_ask_result(m, false, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOMATCH);
    esl_msg_free(m);
    m = completion("variable_ivrsm_digits_invalid: 9\nvariable_read_result: success\n");
    ck_assert_int_eq(app_ask_result(m, false, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOMATCH);
    esl_msg_free(m);
    /* A question's own variable: the keys of another question's (or the shared name's)
     * are no answer to it. */
    char var[APP_DIGITS_VAR_MAX];
    app_digits_var(42, var, sizeof(var));
    ck_assert_str_eq(var, "ivrsm_digits_42");
    m = completion("variable_ivrsm_digits_41: 0612\nvariable_ivrsm_digits: 07\n"
                   "variable_read_result: timeout\n");
    ck_assert_int_eq(app_ask_result_var(m, false, var, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOINPUT);
    esl_msg_free(m);
    m = completion("variable_ivrsm_digits_42: 0612\nvariable_read_result: success\n");
    ck_assert_int_eq(app_ask_result_var(m, false, var, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_DTMF);
    ck_assert_str_eq(r.text, "0612");
    ask_result_clear(&r);
    esl_msg_free(m);
    m = completion("variable_ivrsm_digits_42_invalid: 9\nvariable_read_result: success\n");
    ck_assert_int_eq(app_ask_result_var(m, false, var, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOMATCH);
    esl_msg_free(m);
    /* What uuid_getvar may answer: keys, or anything else (no answer to feed). */
    ck_assert(app_keys_valid("0612345678#"));
    ck_assert(app_keys_valid("*9AD"));
    ck_assert(!app_keys_valid("_undef_"));
    ck_assert(!app_keys_valid("-ERR No Such Channel!\n"));
    ck_assert(!app_keys_valid(""));
    ck_assert(!app_keys_valid("12 3"));
    ck_assert(!app_keys_valid("12\n"));
    m = completion("Answer-State: hangup\n");
    ck_assert_int_eq(app_ask_result(m, false, &r, why, sizeof(why)), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOINPUT);
    ck_assert(app_channel_gone(m));
    esl_msg_free(m);
}
END_TEST

/*
 * A stored document read while memory runs out (jansson's allocations refused one by one): the
 * document is not judged, never "not JSON" (the host gave such calls up as broken).
 */
START_TEST(snapshot_document_read_without_memory)
{
    static const char uuid[] = "7f4d3c2b-1a09-4e8f-9d7c-6b5a4f3e2d1c";
    static const char doc_text[] =
        "{\"format\":\"" SNAPDOC_FORMAT "\",\"call_id\":\"7f4d3c2b-1a09-4e8f-9d7c-6b5a4f3e2d1c\","
        "\"session_id\":\"s-7f4d3c2b\",\"inflight_id\":4,\"inflight_type\":3,"
        "\"last_pulled_id\":4,\"snapshot\":{\"format\":\"ivrsm-session/1\",\"ctx\":{\"a\":[1,2,"
        "{\"b\":\"c\"}],\"otp\":null},\"visits\":{\"x\":1}}}";
    char why[200];
    json_t *doc = NULL;
    failing_mem fm;
    failing_mem_init(&fm);
    failing_mem_jansson_route(&fm);
    json_mem_watch();
    long n = 0;
    for (;; n++) {
        failing_mem_fail_one(&fm, n);
        int rc = snapdoc_read(doc_text, strlen(doc_text), uuid, &doc, why, sizeof why);
        bool refused = fm.refused;
        failing_mem_off(&fm);
        if (!refused) {
            ck_assert_int_eq(rc, SNAPDOC_OK);
            ck_assert_str_eq(json_string_value(json_object_get(doc, "session_id")), "s-7f4d3c2b");
            json_decref(doc);
            break;
        }
        ck_assert_msg(rc == SNAPDOC_NOMEM, "allocation %ld refused: %d (%s)", n, rc, why);
        ck_assert_ptr_null(doc);
        ck_assert_str_eq(why, "out of memory reading it");
    }
    ck_assert_int_gt(n, 10);
    /* With memory, what is wrong is still said so. */
    ck_assert_int_eq(snapdoc_read("{\"format\":", 10, uuid, &doc, why, sizeof why), SNAPDOC_BAD);
    ck_assert_ptr_nonnull(strstr(why, "not JSON"));
    ck_assert_int_eq(
        snapdoc_read(doc_text, strlen(doc_text), "another-call", &doc, why, sizeof why),
        SNAPDOC_BAD);
    ck_assert_ptr_nonnull(strstr(why, "not a snapshot of this call"));
    failing_mem_jansson_release();
}
END_TEST

START_TEST(speech_results)
{
    ask_result r;
    char why[100];
    ck_assert_int_eq(app_parse_speech_result("<?xml version=\"1.0\"?><result><interpretation "
                                             "grammar=\"g\" confidence=\"85\"><input "
                                             "mode=\"speech\"> l&apos;agenda &amp; moi "
                                             "</input></interpretation></result>",
                                             &r),
                     0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_SPEECH);
    ck_assert_str_eq(r.text, "l'agenda & moi");
    ck_assert(r.confidence > 0.849 && r.confidence < 0.851);
    ask_result_clear(&r);
    ck_assert_int_eq(app_parse_speech_result("<result><interpretation><input mode=\"dtmf\" "
                                             "confidence=\"0.5\">12</input></interpretation>"
                                             "</result>",
                                             &r),
                     0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_DTMF);
    ck_assert_str_eq(r.text, "12");
    ask_result_clear(&r);
    ck_assert_int_eq(app_parse_speech_result("<result><interpretation><input><nomatch/></input>"
                                             "</interpretation></result>",
                                             &r),
                     0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOMATCH);
    ck_assert_int_eq(app_parse_speech_result("<result><input><noinput/></input></result>", &r), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOINPUT);
    ck_assert_int_eq(app_parse_speech_result("  ", &r), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_NOINPUT);
    /* A key among playback_terminators ended the question. */
    ck_assert_int_eq(app_parse_speech_result("DIGIT: 1", &r), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_DTMF);
    ck_assert_str_eq(r.text, "1");
    ck_assert(r.keyed);
    ask_result_clear(&r);
    ck_assert_int_eq(app_parse_speech_result("DIGIT: 12", &r), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_SPEECH); /* not FreeSWITCH's form: a transcript */
    ck_assert(!r.keyed);
    ask_result_clear(&r);
    ivrsm_command c = ask_command("Votre numéro");
    app_step rest = {0};
    ck_assert_int_eq(app_build_digits_rest(&c, &rest), 1);
    ck_assert_str_eq(rest.arg, "0 20 1 3000 # silence silence_stream://250 ivrsm_digits "
                               "[0-9*#A-D]+ 3000");
    app_step_clear(&rest);
    c.ask.max_digits = 1;
    c.ask.terminators = "";
    ck_assert_int_eq(app_build_digits_rest(&c, &rest), 0);
    ck_assert_int_eq(app_parse_speech_result("bonjour", &r), 0);
    ck_assert_int_eq(r.type, IVRSM_EVENT_SPEECH);
    ck_assert_str_eq(r.text, "bonjour");
    ck_assert(r.confidence < 0);
    ask_result_clear(&r);
    esl_msg *m = completion("Application-Response: GRAMMAR%20ERROR\n");
    ck_assert_int_eq(app_ask_result(m, true, &r, why, sizeof(why)), 1);
    ck_assert_str_eq(why, "GRAMMAR ERROR");
    esl_msg_free(m);
}
END_TEST

START_TEST(handoff_results)
{
    app_config bridge = apps;
    bridge.handoff = HANDOFF_BRIDGE;
    esl_msg *busy = completion("variable_originate_disposition: USER_BUSY\n");
    esl_msg *ok = completion("variable_originate_disposition: SUCCESS\n");
    ck_assert(!app_handoff_ok(&bridge, busy, false));
    ck_assert(app_handoff_ok(&bridge, busy, true));
    ck_assert(app_handoff_ok(&bridge, ok, false));
    ck_assert(app_handoff_ok(&apps, busy, false)); /* transfer: only an error response fails */
    esl_msg_free(busy);
    esl_msg_free(ok);
    esl_msg *err = completion("Application-Response: -ERR%20no%20such%20extension\n");
    ck_assert(!app_handoff_ok(&apps, err, false));
    esl_msg_free(err);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The call table
 * ------------------------------------------------------------------------- */

START_TEST(call_table_finds_adds_and_removes)
{
    enum { N = 20000 };
    call_table t = {0};
    call *calls = calloc(N, sizeof(*calls));
    /* The hints of a burst on an empty table: nothing to ask for, nothing found. */
    uint64_t none = call_table_prefetch_slot(&t, "7e0c5a10-0000-4000-8000-000000000000");
    call_table_prefetch_call(&t, none);
    ck_assert_ptr_null(call_table_find_hashed(&t, "7e0c5a10-0000-4000-8000-000000000000", none));
    for (int i = 0; i < N; i++) {
        snprintf(calls[i].uuid, sizeof(calls[i].uuid), "7e0c5a10-0000-4000-8000-%012d", i);
        ck_assert_int_eq(call_table_add(&t, &calls[i]), 0);
    }
    ck_assert_uint_eq(t.count, N);
    for (int i = 0; i < N; i++)
        ck_assert_ptr_eq(call_table_find(&t, calls[i].uuid), &calls[i]);
    ck_assert_ptr_null(call_table_find(&t, "7e0c5a10-0000-4000-8000-999999999999"));
    /* Every other call ends, in order, and is forgotten oldest first. */
    for (int i = 0; i < N; i += 2)
        call_table_ended(&t, &calls[i]);
    for (int i = 0; i < N; i += 2) {
        ck_assert_ptr_eq(call_table_oldest_ended(&t), &calls[i]);
        call_table_remove(&t, &calls[i]);
    }
    ck_assert_ptr_null(call_table_oldest_ended(&t));
    ck_assert_uint_eq(t.count, N / 2);
    for (int i = 0; i < N; i++)
        ck_assert_ptr_eq(call_table_find(&t, calls[i].uuid), i % 2 ? &calls[i] : NULL);
    /* A burst's lookups (calls.c, calls_prefetch()), past removed calls' tombstones too: the
     * same calls as call_table_find(). */
    for (int i = 0; i < N; i += 16) {
        uint64_t hash[16];
        for (int k = 0; k < 16; k++)
            hash[k] = call_table_prefetch_slot(&t, calls[i + k].uuid);
        for (int k = 0; k < 16; k++)
            call_table_prefetch_call(&t, hash[k]);
        for (int k = 0; k < 16; k++)
            ck_assert_ptr_eq(call_table_find_hashed(&t, calls[i + k].uuid, hash[k]),
                             call_table_find(&t, calls[i + k].uuid));
    }
    /* Removed slots are reused: adding them back keeps the table small. */
    size_t slots = t.slot_count;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < N; i += 2)
            ck_assert_int_eq(call_table_add(&t, &calls[i]), 0);
        for (int i = 0; i < N; i += 2)
            call_table_remove(&t, &calls[i]);
    }
    ck_assert_uint_le(t.slot_count, slots * 2);
    /* Any order of removal keeps the walk array and the ended list whole. */
    call_table_ended(&t, &calls[1]);
    call_table_ended(&t, &calls[3]);
    call_table_ended(&t, &calls[5]);
    call_table_remove(&t, &calls[3]);
    ck_assert_ptr_eq(call_table_oldest_ended(&t), &calls[1]);
    call_table_remove(&t, &calls[1]);
    ck_assert_ptr_eq(call_table_oldest_ended(&t), &calls[5]);
    for (size_t i = 0; i < t.count; i++)
        ck_assert_uint_eq(t.all[i]->link.index, i);
    call_table_free(&t);
    free(calls);
}
END_TEST

START_TEST(mask_digits)
{
    char out[8];
    log_mask_digits("123456", out, sizeof(out));
    ck_assert_str_eq(out, "******");
    log_mask_digits("1234567890", out, sizeof(out));
    ck_assert_str_eq(out, "*******");
    log_level l;
    ck_assert_int_eq(log_level_parse("DEBUG", &l), 0);
    ck_assert_int_eq(l, LOG_DEBUG);
    ck_assert_int_eq(log_level_parse("loud", &l), -1);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The connection: events framed a burst at a time
 * ------------------------------------------------------------------------- */

/* What the connection's callbacks saw. */
typedef struct conn_seen {
    esl_conn *conn;
    char announced[64][40]; /* the events' Unique-IDs shown to on_burst, in order */
    int announced_count;
    int dispatched; /* events given to on_event */
    int bursts, largest_burst;
    int shutdown_after; /* on_event shuts the connection down at this event (0: never) */
    bool ready, lost;
    size_t out_limit;     /* the connection's cfg.out_limit (0: its default) */
    int reply_timeout_ms; /* its cfg.reply_timeout_ms (0: its default) */
} conn_seen;

static void seen_ready(void *user)
{
    ((conn_seen *)user)->ready = true;
}

static void seen_lost(void *user)
{
    ((conn_seen *)user)->lost = true;
}

static void seen_burst(void *user, const esl_msg *const *msgs, size_t n)
{
    conn_seen *seen = user;
    ck_assert_uint_ge(n, 1);
    ck_assert_uint_le(n, ESL_BURST_MAX);
    seen->bursts++;
    if ((int)n > seen->largest_burst)
        seen->largest_burst = (int)n;
    for (size_t i = 0; i < n; i++)
        if (msgs[i]->is_event && seen->announced_count < 64)
            snprintf(seen->announced[seen->announced_count++], 40, "%s", msgs[i]->unique_id);
}

/* Each event comes after on_burst showed it, in the order shown. */
static void seen_event(void *user, const esl_msg *ev)
{
    conn_seen *seen = user;
    ck_assert_int_lt(seen->dispatched, seen->announced_count);
    ck_assert_str_eq(ev->unique_id, seen->announced[seen->dispatched]);
    if (++seen->dispatched == seen->shutdown_after)
        esl_conn_shutdown(seen->conn);
}

/* Run the connection's side until `done` holds or a second has passed. */
static void drive(esl_conn *c, const bool *done)
{
    for (int i = 0; i < 100 && !*done; i++) {
        esl_conn_tick(c, 0);
        struct pollfd p = {.fd = esl_conn_fd(c), .events = esl_conn_poll_events(c)};
        if (p.fd < 0)
            return;
        if (poll(&p, 1, 10) > 0)
            esl_conn_handle(c, p.revents, 0);
    }
}

/* Run the connection's side until the host has written something to `fs` (or two seconds). */
static void drive_until_sent(esl_conn *c, int fs)
{
    for (int i = 0; i < 200; i++) {
        struct pollfd p[2] = {{.fd = esl_conn_fd(c), .events = esl_conn_poll_events(c)},
                              {.fd = fs, .events = POLLIN}};
        esl_conn_tick(c, 0);
        if (poll(p, 2, 10) > 0 && p[0].revents)
            esl_conn_handle(c, p[0].revents, 0);
        if (poll(&p[1], 1, 0) > 0)
            return;
    }
}

/* Read what the host sent (its commands: the replies below do not depend on them). */
static void swallow(int fd)
{
    char buf[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, 0) > 0 && read(fd, buf, sizeof(buf)) > 0)
        ;
}

/*
 * A connection made ready against a listening socket playing FreeSWITCH's part of the
 * handshake (mod_event_socket.c: auth/request on accept, a command/reply to auth, event and
 * filter). Returns the accepted socket to write events on.
 */
static int ready_connection(conn_seen *seen, const logger *lg)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, len), 0);
    ck_assert_int_eq(listen(ls, 1), 0);
    ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&a, &len), 0);
    esl_conn_config cfg = {.addr_len = len,
                           .password = "ClueCon",
                           .filter_header = "variable_ivrsm_app",
                           .filter_value = "synergia",
                           .reconnect_min_ms = 10,
                           .reconnect_max_ms = 10,
                           .handshake_timeout_ms = 5000,
                           .out_limit = seen->out_limit,
                           .reply_timeout_ms = seen->reply_timeout_ms};
    memcpy(&cfg.addr, &a, len);
    snprintf(cfg.addr_text, sizeof(cfg.addr_text), "127.0.0.1");
    esl_conn_callbacks cb = {.on_ready = seen_ready,
                             .on_event = seen_event,
                             .on_burst = seen_burst,
                             .on_lost = seen_lost,
                             .user = seen};
    seen->conn = esl_conn_new(&cfg, &cb, lg);
    esl_conn_tick(seen->conn, 0);
    int fs = accept(ls, NULL, NULL);
    ck_assert_int_ge(fs, 0);
    close(ls);
    const char *auth_request = "Content-Type: auth/request\n\n";
    const char *ok = "Content-Type: command/reply\nReply-Text: +OK accepted\n\n";
    ck_assert_int_gt(write(fs, auth_request, strlen(auth_request)), 0);
    drive_until_sent(seen->conn, fs); /* connected, auth sent */
    swallow(fs);
    ck_assert_int_gt(write(fs, ok, strlen(ok)), 0);
    drive_until_sent(seen->conn, fs); /* event and filter sent */
    swallow(fs);
    ck_assert_int_gt(write(fs, ok, strlen(ok)), 0);
    ck_assert_int_gt(write(fs, ok, strlen(ok)), 0);
    drive(seen->conn, &seen->ready);
    ck_assert(seen->ready);
    return fs;
}

/* `n` events of three calls in turn, in one write, with `tail` after them. */
static void write_events(int fs, int n, const char *tail)
{
    strbuf out = {0};
    for (int i = 0; i < n; i++) {
        char headers[160];
        snprintf(headers, sizeof(headers),
                 "Event-Name: DTMF\nUnique-ID: 3f2a-%02d-%d\nDTMF-Digit: %d\n", i % 3, i, i % 10);
        char *ev = event_message(headers, NULL);
        sb_puts(&out, ev);
        free(ev);
    }
    sb_puts(&out, tail);
    ck_assert_int_eq(write(fs, out.data, out.len), (ssize_t)out.len);
    sb_free(&out);
}

static FILE *quiet_log(logger *lg)
{
    lg->level = LOG_ERROR;
    lg->out = tmpfile();
    return lg->out;
}

/* Forty events in one read: shown to on_burst sixteen at most at a time, each before it is
 * dispatched, and dispatched in the order they came. */
START_TEST(events_of_one_read_come_in_bursts_in_order)
{
    logger lg;
    FILE *log = quiet_log(&lg);
    conn_seen seen = {0};
    int fs = ready_connection(&seen, &lg);
    write_events(fs, 40, "");
    bool done = false;
    for (int i = 0; i < 50 && seen.dispatched < 40; i++)
        drive(seen.conn, &done);
    ck_assert_int_eq(seen.dispatched, 40);
    ck_assert_int_eq(seen.announced_count, 40);
    for (int i = 0; i < 40; i++) {
        char want[40];
        snprintf(want, sizeof(want), "3f2a-%02d-%d", i % 3, i);
        ck_assert_str_eq(seen.announced[i], want);
    }
    ck_assert_int_eq(seen.largest_burst, ESL_BURST_MAX);
    ck_assert(!seen.lost);
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

/* The connection shut down by the fifth event's handler: the rest of its burst is freed, never
 * dispatched. */
START_TEST(burst_stops_when_the_connection_closes)
{
    logger lg;
    FILE *log = quiet_log(&lg);
    conn_seen seen = {.shutdown_after = 5};
    int fs = ready_connection(&seen, &lg);
    write_events(fs, 12, "");
    bool done = false;
    for (int i = 0; i < 20 && esl_conn_fd(seen.conn) >= 0; i++)
        drive(seen.conn, &done);
    ck_assert_int_eq(seen.dispatched, 5);
    ck_assert_int_eq(seen.announced_count, 12);
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

/* A malformed message after three events of the same read: the three are dispatched, then the
 * connection is dropped for the protocol error. */
START_TEST(burst_before_a_protocol_error_is_dispatched)
{
    logger lg;
    FILE *log = quiet_log(&lg);
    conn_seen seen = {0};
    int fs = ready_connection(&seen, &lg);
    write_events(fs, 3, "a header line without its colon\n\n");
    bool done = false;
    for (int i = 0; i < 20 && !seen.lost; i++)
        drive(seen.conn, &done);
    ck_assert(seen.lost);
    ck_assert_int_eq(seen.dispatched, 3);
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

/* ---------------------------------------------------------------------------
 * The connection: FreeSWITCH that does not read, or does not answer
 * ------------------------------------------------------------------------- */

/* The replies a test's commands got. */
typedef struct replies_seen {
    int ok, lost, other;
    int lost_written; /* lost, written to the connection first (FreeSWITCH may run it late) */
} replies_seen;

static void count_reply(void *user, const esl_reply *r)
{
    replies_seen *rs = user;
    if (r->lost)
        rs->lost++;
    if (r->lost && r->written)
        rs->lost_written++;
    else if (r->ok)
        rs->ok++;
    else
        rs->other++;
}

static bool log_holds(FILE *log, const char *what)
{
    char text[8192];
    fflush(log);
    rewind(log);
    size_t n = fread(text, 1, sizeof(text) - 1, log);
    text[n] = '\0';
    return strstr(text, what) != NULL;
}

/*
 * What reaches a log line from a caller or a backend stays one line of text: C0, DEL and C1
 * controls (the one-byte CSI U+009B), bidirectional overrides and line separators become
 * spaces, bytes that are no UTF-8 '?'; letters of every script are kept.
 */
START_TEST(log_lines_stay_text)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"caller said: bonjour\n2026 ERROR forged", "caller said: bonjour 2026 ERROR forged"},
        {"\x1b]0;title\x07ok", " ]0;title ok"},
        {"csi \xc2\x9b"
         "2J here",
         "csi   2J here"},
        {"nbsp\xc2\xa0"
         "kept, été, \xe4\xb8\xad",
         "nbsp\xc2\xa0"
         "kept, été, \xe4\xb8\xad"},
        {"rlo \xe2\x80\xae"
         "txt.exe",
         "rlo    txt.exe"},
        {"isolate \xe2\x81\xa6x\xe2\x81\xa9", "isolate    x   "},
        {"line\xe2\x80\xa8sep", "line   sep"},
        {"cut \xc3", "cut ?"},
        {"bad \xff\xfe ok", "bad ?? ok"},
        {"overlong \xc0\xaf", "overlong ??"},
        {"surrogate \xed\xa0\x80", "surrogate ???"},
        {"emoji \xf0\x9f\x98\x80", "emoji \xf0\x9f\x98\x80"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char message[128];
        snprintf(message, sizeof message, "%s", cases[i].in);
        log_clean(message);
        ck_assert_msg(!strcmp(message, cases[i].out), "%zu: \"%s\"", i, message);
    }
    /* Through log_at, to the file. */
    FILE *out = tmpfile();
    logger lg = {LOG_DEBUG, out};
    log_at(&lg, LOG_INFO, "heard \"%s\"",
           "oui\xc2\x85"
           "2026 forged\r\n");
    ck_assert(log_holds(out, "heard \"oui  2026 forged  \"\n"));
    fclose(out);
}
END_TEST

/*
 * FreeSWITCH stops reading the connection (mod_event_socket.c listener_run: its one thread
 * both reads commands and writes events, and runs an "api" command itself, api_exec, so a
 * slow API stops the reading). The host goes on sending: what the socket does not take
 * waits in the host up to cfg.out_limit, never more; the command that would pass it drops
 * the connection at the next tick (logged), and every command awaiting a reply is lost
 * exactly once, none from within esl_conn_send().
 */
START_TEST(queued_bytes_are_bounded_when_freeswitch_does_not_read)
{
    logger lg;
    lg.level = LOG_ERROR;
    lg.out = tmpfile();
    FILE *log = lg.out;
    conn_seen seen = {.out_limit = 64 * 1024};
    int fs = ready_connection(&seen, &lg);
    replies_seen rs = {0};
    char msg[4096];
    memset(msg, 'x', sizeof(msg));
    memcpy(msg + sizeof(msg) - 2, "\n\n", 2);
    int sent = 0;
    while (esl_conn_deadline(seen.conn) != 0 && sent < 20000) {
        ck_assert_int_eq(
            esl_conn_send(seen.conn, msg, sizeof(msg), ESL_REPLY_COMMAND, count_reply, &rs), 0);
        sent++;
        ck_assert_uint_le(esl_conn_queued(seen.conn), seen.out_limit);
        struct pollfd p = {.fd = esl_conn_fd(seen.conn), .events = esl_conn_poll_events(seen.conn)};
        if (poll(&p, 1, 0) > 0)
            esl_conn_handle(seen.conn, p.revents, 0);
        ck_assert(!seen.lost);
    }
    /* The kernel's buffers took megabytes before anything waited in the host. */
    ck_assert_int_lt(sent, 20000);
    ck_assert_int_eq(rs.lost + rs.ok + rs.other, 0); /* never from within a send */
    ck_assert(esl_conn_ready(seen.conn));
    esl_conn_tick(seen.conn, 0);
    ck_assert(seen.lost);
    ck_assert(!esl_conn_ready(seen.conn));
    ck_assert_int_eq(rs.lost, sent);
    ck_assert_uint_eq(esl_conn_queued(seen.conn), 0);
    ck_assert(log_holds(log, "FreeSWITCH does not read what the host sends"));
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

/*
 * FreeSWITCH reads slowly, a little at a time, what the host sends faster: the bytes it gets are
 * exactly the messages, whole and in order (the plain reference: their concatenation), whatever
 * the sizes of the messages and of the reads, while megabytes wait in the host and are written
 * from the middle of its buffer.
 */
START_TEST(slow_reader_gets_every_message_in_order)
{
    logger lg;
    lg.level = LOG_ERROR;
    lg.out = tmpfile();
    FILE *log = lg.out;
    conn_seen seen = {.out_limit = 64u * 1024u * 1024u};
    int fs = ready_connection(&seen, &lg);
    int small = 4096;
    setsockopt(fs, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    setsockopt(esl_conn_fd(seen.conn), SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    replies_seen rs = {0};
    strbuf want = {0}, got = {0};
    unsigned seed = 12345;
    size_t peak = 0;
    char msg[70000];
    for (int i = 0; i < 1000; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = 20 + (seed >> 8) % (i % 50 == 0 ? 60000 : 3000);
        for (size_t k = 0; k < len; k++)
            msg[k] = (char)('a' + (i + k) % 26);
        snprintf(msg, 12, "<%08d>", i); /* its number first, NUL overwritten below */
        msg[10] = ':';
        ck_assert_int_eq(esl_conn_send(seen.conn, msg, len, ESL_REPLY_COMMAND, count_reply, &rs),
                         0);
        sb_append(&want, msg, len);
        if (esl_conn_queued(seen.conn) > peak)
            peak = esl_conn_queued(seen.conn);
        /* FreeSWITCH takes a little now and then; the host writes when it may. */
        if (i % 3 == 0) {
            char buf[1500];
            ssize_t n = recv(fs, buf, (seed >> 4) % sizeof(buf) + 1, MSG_DONTWAIT);
            if (n > 0)
                sb_append(&got, buf, (size_t)n);
        }
        struct pollfd p = {.fd = esl_conn_fd(seen.conn), .events = esl_conn_poll_events(seen.conn)};
        if (poll(&p, 1, 0) > 0)
            esl_conn_handle(seen.conn, p.revents, 0);
    }
    ck_assert_uint_gt(peak, 1024u * 1024u); /* megabytes waited in the host */
    while (got.len < want.len) {
        char buf[65536];
        struct pollfd p[2] = {
            {.fd = esl_conn_fd(seen.conn), .events = esl_conn_poll_events(seen.conn)},
            {.fd = fs, .events = POLLIN}};
        ck_assert_int_gt(poll(p, 2, 5000), 0);
        if (p[0].revents)
            esl_conn_handle(seen.conn, p[0].revents, 0);
        ssize_t n = p[1].revents ? recv(fs, buf, sizeof(buf), MSG_DONTWAIT) : 0;
        if (n > 0)
            sb_append(&got, buf, (size_t)n);
    }
    ck_assert_uint_eq(got.len, want.len);
    ck_assert(memcmp(got.data, want.data, want.len) == 0);
    ck_assert_uint_eq(esl_conn_queued(seen.conn), 0);
    ck_assert(!seen.lost);
    sb_free(&want);
    sb_free(&got);
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

/* An event that holds what FreeSWITCH never writes, between two others: all three dispatched,
 * the odd one said in the log, the connection kept. Then the connection ends in the middle of
 * a message: said, and nothing of it dispatched. */
START_TEST(odd_event_is_said_and_the_stream_goes_on)
{
    logger lg;
    lg.level = LOG_WARN;
    lg.out = tmpfile();
    FILE *log = lg.out;
    conn_seen seen = {0};
    int fs = ready_connection(&seen, &lg);
    char odd[300];
    const char inner[] = "Event-Name: CHANNEL_EXECUTE_COMPLETE\nUnique-ID: 3f2a-00-1\n"
                         "variable_ivrsm_app: synergia%00\n\n";
    size_t len = odd_event(odd, sizeof(odd), inner, sizeof(inner) - 1);
    write_events(fs, 1, "");
    ck_assert_int_eq(write(fs, odd, len), (ssize_t)len);
    write_events(fs, 1, "Content-Type: api/response\nContent-Length: 50\n\nhalf");
    bool done = false;
    for (int i = 0; i < 20 && seen.dispatched < 3; i++)
        drive(seen.conn, &done);
    ck_assert_int_eq(seen.dispatched, 3);
    ck_assert(!seen.lost);
    ck_assert(log_holds(log, "esl: event CHANNEL_EXECUTE_COMPLETE of channel 3f2a-00-1 holds a "
                             "%00 in a header value (kept as written); read on"));
    close(fs);
    for (int i = 0; i < 20 && !seen.lost; i++)
        drive(seen.conn, &done);
    ck_assert(seen.lost);
    ck_assert_int_eq(seen.dispatched, 3);
    /* 47 bytes of headers announcing 50 of body, 4 of which came. */
    ck_assert(log_holds(log, "esl: the connection ended in the middle of a message (51 of its 97 "
                             "bytes received): dropped with it"));
    esl_conn_free(seen.conn);
    fclose(log);
}
END_TEST

/*
 * FreeSWITCH reads the commands but answers none (a listener blocked inside an API): the
 * oldest command's reply is awaited cfg.reply_timeout_ms, no more; then the connection drops
 * as a broken one would, and the commands are lost once each.
 */
START_TEST(unanswered_command_drops_the_connection)
{
    logger lg;
    lg.level = LOG_ERROR;
    lg.out = tmpfile();
    FILE *log = lg.out;
    conn_seen seen = {.reply_timeout_ms = 1000};
    int fs = ready_connection(&seen, &lg); /* ready at 0 */
    replies_seen rs = {0};
    const char *cmd = "api uuid_exists x\n\n";
    esl_conn_tick(seen.conn, 500);
    ck_assert_int_eq(esl_conn_send(seen.conn, cmd, strlen(cmd), ESL_REPLY_API, count_reply, &rs),
                     0);
    esl_conn_tick(seen.conn, 700);
    ck_assert_int_eq(esl_conn_send(seen.conn, cmd, strlen(cmd), ESL_REPLY_API, count_reply, &rs),
                     0);
    ck_assert_int_eq(esl_conn_deadline(seen.conn), 1500); /* the oldest one's */
    swallow(fs);
    esl_conn_tick(seen.conn, 1499);
    ck_assert(esl_conn_ready(seen.conn));
    esl_conn_tick(seen.conn, 1500);
    ck_assert(seen.lost);
    ck_assert_int_eq(rs.lost, 2);
    ck_assert(log_holds(log, "FreeSWITCH has not answered a command in 1000 ms"));
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

/*
 * The host itself was held up past the timeout (stopped, swapped out) while the reply sat in
 * its socket: the reply is read and delivered, the connection kept; the next command's wait
 * starts when it is sent.
 */
START_TEST(reply_waiting_in_the_socket_is_not_a_timeout)
{
    logger lg;
    lg.level = LOG_ERROR;
    lg.out = tmpfile();
    FILE *log = lg.out;
    conn_seen seen = {.reply_timeout_ms = 1000};
    int fs = ready_connection(&seen, &lg);
    replies_seen rs = {0};
    const char *cmd = "api uuid_exists x\n\n";
    const char *reply = "Content-Type: api/response\nContent-Length: 4\n\ntrue";
    esl_conn_tick(seen.conn, 100);
    ck_assert_int_eq(esl_conn_send(seen.conn, cmd, strlen(cmd), ESL_REPLY_API, count_reply, &rs),
                     0);
    swallow(fs);
    ck_assert_int_eq(write(fs, reply, strlen(reply)), (ssize_t)strlen(reply));
    struct pollfd p = {.fd = esl_conn_fd(seen.conn), .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 1000), 1); /* the reply is there, not yet read */
    esl_conn_tick(seen.conn, 60000);
    ck_assert(esl_conn_ready(seen.conn));
    ck_assert(!seen.lost);
    ck_assert_int_eq(rs.ok, 1);
    ck_assert_int_eq(esl_conn_deadline(seen.conn), 61000); /* heard at 60000: quiet until then */
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

/* The bytes the host has written to `fs` so far, as text (at most 255). */
static void sent_text(int fs, char *out, size_t cap)
{
    ssize_t n = recv(fs, out, cap - 1, MSG_DONTWAIT);
    out[n > 0 ? n : 0] = '\0';
}

/* Handle what the connection reads until `rs` has `ok` replies (or a second). */
static void drive_replies(esl_conn *c, const replies_seen *rs, int ok)
{
    for (int i = 0; i < 100 && rs->ok < ok; i++) {
        struct pollfd p = {.fd = esl_conn_fd(c), .events = esl_conn_poll_events(c)};
        if (p.fd >= 0 && poll(&p, 1, 10) > 0)
            esl_conn_handle(c, p.revents, 0);
    }
}

/*
 * A command that acts on a channel is written only once every command written before it is
 * answered, and what is sent after it waits behind it: a connection thread that stops never
 * holds more than one of them unread (mod_event_socket.c listener_run runs what it had not
 * read when it comes back). What is held when the connection drops is lost, never written.
 */
START_TEST(acting_command_waits_for_earlier_replies)
{
    logger lg;
    FILE *log = quiet_log(&lg);
    conn_seen seen = {.reply_timeout_ms = 1000};
    int fs = ready_connection(&seen, &lg);
    replies_seen rs = {0};
    const char *api = "api uuid_exists a\n\n";
    const char *acting = "sendmsg b\ncall-command: execute\n\n";
    const char *after = "api uuid_exists c\n\n";
    const char *reply = "Content-Type: api/response\nContent-Length: 4\n\ntrue";
    const char *ok = "Content-Type: command/reply\nReply-Text: +OK\n\n";
    char sent[256];
    ck_assert_int_eq(esl_conn_send(seen.conn, api, strlen(api), ESL_REPLY_API, count_reply, &rs),
                     0);
    ck_assert_int_eq(esl_conn_send_acting(seen.conn, acting, strlen(acting), ESL_REPLY_COMMAND,
                                          count_reply, &rs),
                     0);
    ck_assert_int_eq(
        esl_conn_send(seen.conn, after, strlen(after), ESL_REPLY_API, count_reply, &rs), 0);
    sent_text(fs, sent, sizeof(sent));
    ck_assert_str_eq(sent, api); /* the other two wait in the host */
    ck_assert_uint_eq(esl_conn_queued(seen.conn), strlen(acting) + strlen(after));
    ck_assert_int_eq(write(fs, reply, strlen(reply)), (ssize_t)strlen(reply));
    drive_replies(seen.conn, &rs, 1);
    ck_assert_int_eq(rs.ok, 1);
    sent_text(fs, sent, sizeof(sent));
    char both[256];
    snprintf(both, sizeof(both), "%s%s", acting, after);
    ck_assert_str_eq(sent, both); /* in the order they were sent */
    /* Another acting command, while those two are unanswered: held, then lost with the
     * connection, never written. */
    ck_assert_int_eq(esl_conn_send_acting(seen.conn, acting, strlen(acting), ESL_REPLY_COMMAND,
                                          count_reply, &rs),
                     0);
    ck_assert_int_eq(write(fs, ok, strlen(ok)), (ssize_t)strlen(ok));
    drive_replies(seen.conn, &rs, 2);
    sent_text(fs, sent, sizeof(sent));
    ck_assert_str_eq(sent, ""); /* "after" is still unanswered */
    esl_conn_tick(seen.conn, 60000);
    ck_assert(seen.lost);
    ck_assert_int_eq(rs.lost, 2);
    /* "after" was written (FreeSWITCH may still read and run it), the second acting one not. */
    ck_assert_int_eq(rs.lost_written, 1);
    ck_assert_uint_eq(esl_conn_queued(seen.conn), 0);
    sent_text(fs, sent, sizeof(sent));
    ck_assert_str_eq(sent, "");
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

/*
 * Nothing from FreeSWITCH and no reply awaited (every call waiting for its caller): after
 * cfg.reply_timeout_ms of quiet the host asks "api status", which a live connection thread
 * answers at once; unanswered, it drops the connection as for any command. Answered, the
 * quiet starts again from the answer.
 */
START_TEST(quiet_connection_is_probed)
{
    logger lg;
    lg.level = LOG_ERROR;
    lg.out = tmpfile();
    FILE *log = lg.out;
    conn_seen seen = {.reply_timeout_ms = 1000};
    int fs = ready_connection(&seen, &lg); /* ready at 0 */
    char text[256];
    ck_assert_int_eq(esl_conn_deadline(seen.conn), 1000);
    esl_conn_tick(seen.conn, 999);
    sent_text(fs, text, sizeof(text));
    ck_assert_str_eq(text, "");
    esl_conn_tick(seen.conn, 1000);
    sent_text(fs, text, sizeof(text));
    ck_assert_str_eq(text, "api status\n\n");
    ck_assert_int_eq(esl_conn_deadline(seen.conn), 2000);
    /* Answered (mod_commands.c status_function's first line): quiet again from then. */
    const char *up = "Content-Type: api/response\nContent-Length: 22\n\nUP 0 years, 0 days...\n";
    ck_assert_int_eq(write(fs, up, strlen(up)), (ssize_t)strlen(up));
    struct pollfd p = {.fd = esl_conn_fd(seen.conn), .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 5000), 1);
    esl_conn_handle(seen.conn, p.revents, 1500);
    ck_assert(esl_conn_ready(seen.conn));
    ck_assert_int_eq(esl_conn_deadline(seen.conn), 2500);
    esl_conn_tick(seen.conn, 2500); /* asks again */
    sent_text(fs, text, sizeof(text));
    ck_assert_str_eq(text, "api status\n\n");
    esl_conn_tick(seen.conn, 3499);
    ck_assert(esl_conn_ready(seen.conn));
    esl_conn_tick(seen.conn, 3500); /* that one is not answered */
    ck_assert(seen.lost);
    ck_assert(log_holds(log, "FreeSWITCH has not answered a command in 1000 ms"));
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

/* Write `len` bytes as FreeSWITCH's side and have the host read them at `now` (ms). */
static void arrive_at(esl_conn *c, int fs, const char *bytes, size_t len, int64_t now)
{
    ck_assert_int_eq(write(fs, bytes, len), (ssize_t)len);
    struct pollfd p = {.fd = esl_conn_fd(c), .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 5000), 1);
    esl_conn_handle(c, p.revents, now);
}

/*
 * mod_event_socket.c read_packet writes each message whole (an event's Content-Length and
 * Content-Type line, then its body, back to back): a message that stops coming in its middle
 * has a Content-Length longer than what was written. With the default 30 s reply timeout, the
 * host drops such a connection 5 s after the last bytes, whether the body or the headers
 * stopped, without waiting for a reply to time out; a large event whose bytes keep coming, a
 * few every 4 s over 40 s, is read whole and the connection kept.
 */
START_TEST(stalled_message_drops_the_connection_slow_one_does_not)
{
    logger lg;
    lg.level = LOG_ERROR;
    lg.out = tmpfile();
    FILE *log = lg.out;
    const char *cut[] = {"Content-Type: api/response\nContent-Length: 50\n\nhalf",
                         "Content-Type: api/resp"};
    const char *said[] = {"a message from FreeSWITCH stopped after 51 of the 97 bytes it "
                          "announced, nothing more for 5000 ms",
                          "a message from FreeSWITCH stopped after 22 bytes of its headers, "
                          "nothing more for 5000 ms"};
    for (int i = 0; i < 2; i++) {
        conn_seen seen = {0};
        int fs = ready_connection(&seen, &lg); /* ready at 0 */
        arrive_at(seen.conn, fs, cut[i], strlen(cut[i]), 100);
        ck_assert_int_eq(esl_conn_deadline(seen.conn), 5100);
        esl_conn_tick(seen.conn, 5099);
        ck_assert(esl_conn_ready(seen.conn));
        esl_conn_tick(seen.conn, 5100);
        ck_assert(seen.lost);
        ck_assert_msg(log_holds(log, said[i]), "%s", said[i]);
        esl_conn_free(seen.conn);
        close(fs);
    }

    conn_seen seen = {0};
    int fs = ready_connection(&seen, &lg);
    strbuf headers = {0};
    sb_puts(&headers, "Event-Name: CHANNEL_EXECUTE_COMPLETE\nUnique-ID: 3f2a-00-1\n"
                      "variable_big: ");
    for (int i = 0; i < 20000; i++)
        sb_puts(&headers, "abcdefghij");
    sb_puts(&headers, "\n");
    char *ev = event_message(headers.data, NULL);
    size_t len = strlen(ev), part = len / 10 + 1;
    int64_t now = 0;
    for (size_t at = 0; at < len; at += part) {
        now += 4000;
        esl_conn_tick(seen.conn, now);
        ck_assert(esl_conn_ready(seen.conn));
        arrive_at(seen.conn, fs, ev + at, at + part < len ? part : len - at, now);
    }
    ck_assert_int_eq(seen.dispatched, 1);
    ck_assert(!seen.lost);
    esl_conn_tick(seen.conn, now + 5000);
    ck_assert(esl_conn_ready(seen.conn)); /* nothing begun: only the quiet probe's clock runs */
    free(ev);
    sb_free(&headers);
    esl_conn_free(seen.conn);
    close(fs);
    fclose(log);
}
END_TEST

static Suite *esl_parts_suite(void)
{
    Suite *s = suite_create("esl_parts");
    TCase *t = tcase_create("frame");
    tcase_add_test(t, frame_split_at_every_byte);
    tcase_add_test(t, frame_large_event);
    tcase_add_test(t, frame_refuses_malformed_streams);
    tcase_add_test(t, url_decode_like_freeswitch);
    tcase_add_test(t, frame_reads_what_freeswitch_never_sends);
    tcase_add_test(t, framer_tells_a_message_cut_short);
    tcase_add_test(t, frame_header_bound_does_not_depend_on_reads);
    tcase_add_test(t, frame_body_after_headers);
    suite_add_tcase(s, t);
    t = tcase_create("conn");
    tcase_add_test(t, events_of_one_read_come_in_bursts_in_order);
    tcase_add_test(t, burst_stops_when_the_connection_closes);
    tcase_add_test(t, burst_before_a_protocol_error_is_dispatched);
    tcase_add_test(t, odd_event_is_said_and_the_stream_goes_on);
    tcase_add_test(t, queued_bytes_are_bounded_when_freeswitch_does_not_read);
    tcase_add_test(t, slow_reader_gets_every_message_in_order);
    tcase_add_test(t, unanswered_command_drops_the_connection);
    tcase_add_test(t, reply_waiting_in_the_socket_is_not_a_timeout);
    tcase_add_test(t, quiet_connection_is_probed);
    tcase_add_test(t, stalled_message_drops_the_connection_slow_one_does_not);
    tcase_add_test(t, acting_command_waits_for_earlier_replies);
    tcase_set_timeout(t, 60); /* sockets: a loaded machine's scheduling, not work */
    suite_add_tcase(s, t);
    t = tcase_create("wire");
    tcase_add_test(t, execute_puts_the_argument_in_a_body);
    tcase_add_test(t, handshake_messages_are_checked);
    suite_add_tcase(s, t);
    t = tcase_create("apps");
    tcase_add_test(t, clean_text_removes_line_breaks_and_expansions);
    tcase_add_test(t, keypad_ask_quotes_its_prompt);
    tcase_add_test(t, speech_ask_has_one_detect_marker);
    tcase_add_test(t, say_always_names_engine_and_voice);
    tcase_add_test(t, handoff_template_and_queue);
    tcase_add_test(t, keypad_results);
    tcase_add_test(t, speech_results);
    tcase_add_test(t, handoff_results);
    tcase_add_test(t, mask_digits);
    tcase_add_test(t, log_lines_stay_text);
    tcase_add_test(t, language_maps);
    tcase_add_test(t, voices_and_recogniser_language);
    tcase_add_test(t, call_table_finds_adds_and_removes);
    tcase_add_test(t, snapshot_document_read_without_memory);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(esl_parts_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
