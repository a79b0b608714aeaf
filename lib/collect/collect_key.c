/*
 * A key said instead of pressed: "2", "two", "option 3", "press five", "touche 2",
 * "Taste zwei", "marco el 2". A menu that says "press or say 2" hears the caller who says
 * it (lib/runtime/match.c asks this when no phrase of the state is heard, and takes the key
 * as the DTMF route of that key).
 *
 * Only a sentence that is nothing but the key is one: the locale's key words ("option",
 * "press", "touche", "Taste", "marco") and answer fillers ("uh", "merci") around one number,
 * written in digits or said in words. "I have 2 appointments" or "at five" are not.
 */
#include "collect.h"

#include "locale_tables.h"
#include "words.h"

#include <stdio.h>
#include <string.h>

/* The longest sentence read as a key: more is a sentence, not a key. */
#define KEY_SENTENCE_MAX 96

static size_t skip_key_words(const struct ivrsm_words *w, size_t at, const struct ivrsm_locale *loc)
{
    for (;;) {
        size_t next = ivrsm_words_skip_list(w, at, loc, IVRSM_LIST_key_words);
        next = ivrsm_words_skip_list(w, next, loc, IVRSM_LIST_answer_fillers);
        if (next == at)
            return at;
        at = next;
    }
}

int ivrsm_locale_key_said(const ivrsm_locale *loc, const char *text, size_t len, char *key,
                          size_t cap)
{
    if (!loc || !loc->key_words || len == 0 || len > KEY_SENTENCE_MAX || cap < 2)
        return 1;
    struct ivrsm_words w;
    if (ivrsm_words_split(&w, loc, text, len, 0) != 0)
        return 1;
    size_t at = skip_key_words(&w, 0, loc);
    if (at >= w.count)
        return 1;
    int value;
    if (ivrsm_word_is_digits(&w, at)) {
        if (w.len[at] >= cap)
            return 1;
        memcpy(key, w.text + w.start[at], w.len[at]);
        key[w.len[at]] = '\0';
        at++;
    } else {
        size_t n = ivrsm_number_words(loc, &w, at, &value);
        if (n == 0 || value < 0 || snprintf(key, cap, "%d", value) >= (int)cap)
            return 1;
        at += n;
    }
    return skip_key_words(&w, at, loc) == w.count ? 0 : 1;
}
