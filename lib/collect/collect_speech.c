/*
 * Collect mode "free_speech_or_no": a free comment, or a refusal.
 *
 * - Said: when the whole answer, hesitations and thanks aside ("euh non
 *   merci"), is one of the locale's negative answers ("non", "rien", "pas de
 *   commentaire"...) or several in a row ("non merci, rien"), said_no is set
 *   and the text is "". Otherwise the text is
 *   the transcript as said (not normalised): trimmed, each run of ASCII
 *   whitespace or control characters collapsed to one space, cut at a
 *   character boundary to at most IVRSM_COLLECT_TEXT_MAX - 1 bytes.
 * - An empty answer, one with no word at all (only spaces or punctuation) or
 *   invalid UTF-8 is not a value (nor, checked before, one with a NUL).
 * - Keyed: a keypad cannot carry a comment, so any DTMF key (0-9, *, #, A-D)
 *   means "no comment" (said_no = 1). An empty or non-DTMF string is not a value.
 */
#include "collect.h"

#include "locale_tables.h"
#include "words.h"
#include "text.h"

#include <string.h>

static int is_dtmf_key(char c)
{
    return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D') ||
           (c >= 'a' && c <= 'd');
}

static int keys_mean_no(const char *in, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_dtmf_key(in[i]))
            return 0;
    }
    return 1;
}

/* Whitespace for trimming: ASCII blanks and control characters. */
static int is_blank_byte(unsigned char c)
{
    return c <= 0x20 || c == 0x7F;
}

/* The byte length of the UTF-8 sequence led by c (the input is known valid). */
static size_t utf8_sequence_length(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c < 0xE0)
        return 2;
    if (c < 0xF0)
        return 3;
    return 4;
}

/* Trim, collapse blanks, keep whole characters within the capacity. */
static size_t copy_collapsed(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    int pending_space = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)in[i];
        if (is_blank_byte(c)) {
            pending_space = 1;
            i++;
            continue;
        }
        size_t n = utf8_sequence_length(c);
        size_t need = n + (pending_space && o > 0 ? 1 : 0);
        if (o + need >= cap)
            break;
        if (pending_space && o > 0)
            out[o++] = ' ';
        pending_space = 0;
        memcpy(out + o, in + i, n);
        o += n;
        i += n;
    }
    out[o] = '\0';
    return o;
}

/*
 * The answer, fillers aside, is one negative answer of the locale or several in a row ("no,
 * nada más", "non merci, rien", "nein, nichts"). Every answer is tried at each word, not only
 * the longest: in "non merci beaucoup" the answer is "non" and "merci beaucoup" the filler.
 * reach[i] marks the words before i read as answers and fillers, so each word is tried once.
 */
static int is_negative_answer(const struct ivrsm_locale *loc, const struct ivrsm_words *w)
{
    unsigned char reach[IVRSM_WORDS_MAX + 1];
    memset(reach, 0, w->count + 1);
    const size_t first = ivrsm_words_skip_list(w, 0, loc, IVRSM_LIST_answer_fillers);
    for (size_t at = first; at < w->count; at++) {
        if (at != first && !reach[at])
            continue;
        for (const char *const *answer = loc->negative_answers; *answer; answer++) {
            size_t n = ivrsm_words_match(w, at, *answer);
            if (n == 0)
                continue;
            size_t next = ivrsm_words_skip_list(w, at + n, loc, IVRSM_LIST_answer_fillers);
            if (next == w->count)
                return 1;
            reach[next] = 1;
        }
    }
    return 0;
}

int ivrsm_collect_free_speech_or_no(const ivrsm_collect_params *params, const char *in, size_t len,
                                    int is_dtmf, ivrsm_collect_value *out)
{
    if (is_dtmf) {
        if (!keys_mean_no(in, len))
            return 1;
        out->said_no = 1;
        return 0;
    }
    if (len == 0 || !ivrsm_utf8_valid(in, len))
        return 1;
    /* Inputs too long for the word index are comments, never a bare "non". */
    struct ivrsm_words w;
    if (ivrsm_words_split(&w, params->locale, in, len, 0) == 0) {
        if (w.count == 0)
            return 1;
        if (is_negative_answer(params->locale, &w)) {
            out->said_no = 1;
            return 0;
        }
    }
    if (copy_collapsed(in, len, out->text, sizeof out->text) == 0)
        return 1;
    return 0;
}
