/*
 * Text helpers shared by intent matching, the collect parsers and the
 * scanners of raw JSON text.
 */
#ifndef IVRSM_TEXT_H
#define IVRSM_TEXT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

/*
 * What one language changes in the normalisation below. Both lists are data
 * of a locale (lib/collect/locale_*.c); NULL rules normalise as described
 * below, which suits French.
 */
struct ivrsm_text_fold {
    uint32_t code_point; /* a non-ASCII code point, 0 ends the list */
    const char *to;      /* what it becomes: normalised text ("ae"), "" for a word separator */
};

struct ivrsm_text_rewrite {
    const char *from; /* normalised words ("don t"), NULL ends the list */
    const char *to;   /* normalised words ("do not"); strlen(to) + 1 <= 2 * (strlen(from) + 1) */
    size_t from_len;  /* strlen(from), or 0 to have it counted on each use */
    size_t to_len;    /* strlen(to), or 0 likewise */
};

/* A rewrite with its lengths counted at compile time (tables run on every speech event). */
#define IVRSM_REWRITE(from, to)                                                                    \
    {                                                                                              \
        from, to, sizeof(from) - 1, sizeof(to) - 1                                                 \
    }

/*
 * The rewrites by the last three bytes of their words (text.c), built once for
 * a table: the words that end a normalised word try only the rewrites that
 * end the same way. Entries are numbered from 1, 0 ends a list.
 */
#define IVRSM_REWRITE_INDEX_MAX 254
typedef struct ivrsm_rewrite_index {
    int state;                                       /* 0 not built, 1 built, -1 too many */
    int one_byte;                                    /* some rewrite is of one byte */
    unsigned char head[256];                         /* the first rewrite of each key */
    unsigned char tail[256];                         /* the last one so far (where head is set) */
    unsigned char next[IVRSM_REWRITE_INDEX_MAX + 1]; /* the next one of the same key */
} ivrsm_rewrite_index;

/* Static storage for a rewrite table's index, built by the first call that needs it and
 * read by all after (published with release/acquire: no lock, no allocation). */
typedef struct ivrsm_rewrite_cache {
    _Atomic int phase; /* 0 not built, 1 being built (others build their own meanwhile), 2 built */
    ivrsm_rewrite_index index;
} ivrsm_rewrite_cache;

/* Normalised words and their length, for the lists a language takes phrases back with. */
struct ivrsm_text_words {
    const char *text; /* NULL ends a list */
    size_t len;       /* strlen(text) */
};

#define IVRSM_WORDS(text)                                                                          \
    {                                                                                              \
        text, sizeof(text) - 1                                                                     \
    }

/*
 * The words of a language's lists by a key of their first byte and length (ivrsm_word_key()),
 * as sets of bits, built once for the rules (ivrsm_text_rules_prepare()): a word whose key is
 * not in a set is no word of that list, which turns most words away without a comparison.
 */
#define IVRSM_WORD_KEY_BITS 1024
typedef struct ivrsm_word_keys {
    uint64_t bits[IVRSM_WORD_KEY_BITS / 64];
} ivrsm_word_keys;

static inline unsigned ivrsm_word_key(unsigned char first, size_t len)
{
    /* Lower-case ASCII words shorter than 31 bytes get keys of their own. */
    return (first * 31u + (unsigned)len) & (IVRSM_WORD_KEY_BITS - 1);
}

static inline bool ivrsm_word_keys_has(const ivrsm_word_keys *k, unsigned key)
{
    return (k->bits[key >> 6] >> (key & 63)) & 1;
}

/* The keys of a sentence's words, folded to 256 bits (a bit of a sentence's set stands for
 * four keys: it is zeroed and compared for every sentence, and most sentences are told from the
 * lists' words as well by these). */
typedef struct ivrsm_sentence_keys {
    uint64_t bits[4];
} ivrsm_sentence_keys;

static inline unsigned ivrsm_sentence_key(unsigned word_key)
{
    return word_key & 255;
}

#define IVRSM_CORRECTION_SETS_MAX 16

/* Static storage for the sets of a language's rules, built by the first call that needs them
 * (a machine's load) and read by all after (release/acquire, no lock, no allocation). */
typedef struct ivrsm_heard_cache {
    _Atomic int phase;                /* 0 not built, 1 being built, 2 built */
    ivrsm_word_keys taken_back;       /* every word of `dont_know` and `idioms` */
    ivrsm_word_keys scope_first;      /* the first word of each of `negations` */
    ivrsm_word_keys after_first;      /* the first word of `negations_after`, `clause_negations` */
    ivrsm_word_keys yes_first;        /* the first word of each of `answers_yes` */
    ivrsm_word_keys no_first;         /* the first word of each of `answers_no` */
    ivrsm_word_keys turn_first;       /* the three sets above together */
    uint64_t turn_bytes[4];           /* the first bytes of those words, as 256 bits */
    ivrsm_word_keys correction_first; /* the first word of each of `corrections` */
    uint64_t correction_bytes[4];     /* the first bytes of those words */
    ivrsm_sentence_keys turn_keys;    /* turn_first folded as a sentence's keys are */
    ivrsm_sentence_keys correction_keys; /* correction_first folded so */
    /* Every word of each of `corrections`, folded so, one set per correction: a sentence that
     * holds a correction has the keys of all its words ("i" and "mean" for "i mean"), which
     * most sentences with an English "I" have not. correction_sets is 0 when the list has
     * more entries than IVRSM_CORRECTION_SETS_MAX (correction_keys alone is then asked). */
    size_t correction_sets;
    ivrsm_sentence_keys correction_words[IVRSM_CORRECTION_SETS_MAX];
} ivrsm_heard_cache;

/* An ending a word is said with where a phrase's word has another: German "ung" for "en"
 * ("Sperrung", "sperren"), "n" for none ("Karten", "Karte"). Normalised; NULL `said` ends a
 * list. */
struct ivrsm_word_ending {
    const char *said;
    const char *phrase;
};

typedef struct ivrsm_text_rules {
    /* Folds tried before the built-in ones: German ä → "ae", Spanish ñ kept. */
    const struct ivrsm_text_fold *folds;
    /* Whole words rewritten as they are produced, longest first: English "i m" → "i am". */
    const struct ivrsm_text_rewrite *rewrites;
    /* Where the index of `rewrites` is kept once built (a locale's), or NULL: built on the
     * stack by each call that meets the end of a word. */
    ivrsm_rewrite_cache *cache;
    /* What takes a phrase back (ivrsm_text_heard()), normalised, ended by a NULL text, or
     * NULL: expressions of not knowing, whose words are no answer ("no se" holds Spanish
     * "no", "not sure" English "sure")... */
    const struct ivrsm_text_words *dont_know;
    /* ...set phrases whose words are no answer one by one ("no problem" holds English "no",
     * "pas de souci" French "pas"), each a clause of its own; a phrase that holds one is
     * heard... */
    const struct ivrsm_text_words *idioms;
    /* ...negations and doubts, after which the rest of their clause is no answer ("pas oui",
     * "not now", "I do not want to move", "maybe yes")... */
    const struct ivrsm_text_words *negations;
    /* ...words that start a new clause, where a negation's reach ends ("but", "mais", "pero",
     * "sondern", the answers "yes" and "no" where "no" is no negation)... */
    const struct ivrsm_text_words *clause_breaks;
    /* ...and negative answers complete in themselves: at the start of a clause they take back
     * their own words and nothing after them ("not yet, I want to move", "pas encore"). */
    const struct ivrsm_text_words *short_answers;
    /* Negations placed after their verb, which take back the phrase that ends right before them
     * (French "pas" in "j'annule pas", "je veux pas")... */
    const struct ivrsm_text_words *negations_after;
    /* ...negations that take back their whole clause, the phrases before them too ("cancel it
     * no", German "ich storniere den Termin nicht", Spanish "cancelar la cita no")... */
    const struct ivrsm_text_words *clause_negations;
    /* ...and the answers yes and no: a sentence that says both (outside idioms and "I don't
     * know"s: "yes no", "sí, no", "oui non", "ja nein", "no, yes") gives neither. */
    const struct ivrsm_text_words *answers_yes;
    const struct ivrsm_text_words *answers_no;
    /* Negations placed after the phrase they take back when nothing of its clause follows them
     * (English "not" in "absolutely not", "please do not"; "cancel, not move" keeps "cancel")... */
    const struct ivrsm_text_words *negations_closing;
    /* ...and the words a caller corrects themselves with ("wait", "I mean", "attendez",
     * "perdón"): what was said before the last of them is taken back when words follow it
     * ("yes, no wait, no" is no), and what follows is heard on its own. */
    const struct ivrsm_text_words *corrections;
    /* Where the word sets of these lists are kept once built, or NULL: every word is compared. */
    ivrsm_heard_cache *heard_cache;
    /* The ways of saying yes, and no, of the language, the bare answer first ("oui", then
     * "ouais", "carrement", "bien sur"...; "non", then "nan", "pas du tout"...): an intent that
     * lists the bare answer among its utterances hears them all in a state, but those another
     * of the state's routes lists (the machine's compiler adds them to the state's phrases). */
    const struct ivrsm_text_words *yes_forms;
    const struct ivrsm_text_words *no_forms;
    /* The prefixes of separable verbs (German "ab", "an", "auf": "absagen" is said "ich sage
     * den Termin ab" and "um ihn abzusagen"), or NULL: a phrase word made of one, a stem and
     * "en" is heard in those forms too (ivrsm_text_rejoin_separable()). */
    const struct ivrsm_text_words *separable_prefixes;
    /* Words said in another form than a phrase's (ivrsm_text_phrase_forms()): the endings a
     * word said has where the phrase's word has another ({"ung", "en"}: "Sperrung" for
     * "sperren"; {"n", ""}: "Karten" for "Karte"), tried in order, and whether a word said may
     * be a compound of the phrases' words ("Kartensperrung", "Laborbefund"). NULL and false:
     * the phrases' words are heard only as they are written. */
    const struct ivrsm_word_ending *word_endings;
    bool compounds;
} ivrsm_text_rules;

/* The index of rules' rewrites, and the word sets of its lists, built into their caches now,
 * if it has them and they are not built yet (a machine does it at load for its languages, so
 * no event builds them). */
void ivrsm_text_rules_prepare(const ivrsm_text_rules *rules);

/*
 * Normalise speech for matching: lowercase; Latin letters with accents folded
 * to ASCII (é è ê ë → e, à â ä → a, ç → c, î ï → i, ô ö → o, ù û ü → u,
 * ÿ → y, œ → oe, æ → ae, upper case too); apostrophes (' ’ ‘ `), hyphens
 * (- ‐ – —) and punctuation become spaces; runs of spaces collapse to one;
 * no leading or trailing space. Digits are kept. Other non-ASCII code points
 * are kept as they are (lower-cased when Latin-1).
 * Writes at most cap-1 bytes plus a NUL into out. Returns the output length,
 * or -1 when the input is not valid UTF-8 or the output does not fit.
 * The output is never longer than the input plus one byte per input character.
 */
int ivrsm_text_normalize(const char *in, size_t len, char *out, size_t cap);

/*
 * The same with a language's rules (NULL: none): its folds replace the
 * built-in ones for their code points, then each rewrite replaces its words
 * where they stand whole in the output, as soon as its last word ends (so a
 * rewrite whose words begin with another one's never applies); text written
 * by a rewrite is not rewritten again. The output is at most twice the input plus one byte.
 */
int ivrsm_text_normalize_rules(const ivrsm_text_rules *rules, const char *in, size_t len, char *out,
                               size_t cap);

/*
 * Whole-word phrase search in normalised text: nonzero when `phrase` occurs in
 * `text` starting and ending at word boundaries (start/end of text or a space).
 */
int ivrsm_text_has_phrase(const char *text, size_t text_len, const char *phrase, size_t phrase_len);

/*
 * The offset of the first whole-word occurrence of `phrase` in `text` that starts at or after
 * `from`, or -1 (ivrsm_text_has_phrase() is this >= 0 from 0).
 */
ptrdiff_t ivrsm_text_find_phrase(const char *text, size_t text_len, size_t from, const char *phrase,
                                 size_t phrase_len);

/*
 * Whether an occurrence of phrase[0..len) (normalised) may lie inside one of the rules'
 * expressions of not knowing or idioms and be taken back by it: it is whole words of a longer
 * one, and holds none itself (a machine's utterance "sais pas" is heard in "je ne sais pas",
 * "no" is not heard in "no problem", "no problem" is). Worked out once per phrase, when a
 * machine is loaded: most phrases cannot, and are spared the search at every match. Phrases
 * that share no word with the lists are answered by the keys of their words (the rules'
 * heard_cache, once built), without a search.
 */
bool ivrsm_text_may_not_know(const ivrsm_text_rules *rules, const char *phrase, size_t len);

/*
 * Whether the words text[at..at+len) (whole words of normalised text) are heard as said, by
 * the rules' lists: not when the words right before them are one of `negations` ("pas oui",
 * "not now", "maybe yes"), nor when a negation before them still reaches them (read from the
 * start of the text: a negation reaches the end of its clause, which one of `clause_breaks`
 * ends, and an idiom, or one of `short_answers` at the start of a clause, is a clause of its
 * own: "I do not want to move" takes "move" back, "not yet I want to move" and "I do not want
 * to move but cancel" do not take "move" and "cancel"), nor when one of `negations_after`
 * comes right after them ("j annule pas"), nor when one of `clause_negations` comes after them
 * in their clause, unless an idiom at least as long starts there ("cancel it no", "ich
 * storniere den termin nicht"; not "yes no problem"), nor, when they hold an answer of
 * `answers_yes` or `answers_no`, when the text holds the other outside them, idioms and
 * `dont_know` aside ("yes no", "oui non", "no si"). A phrase that holds a negation of one of
 * the three lists is heard as said where only negations would take it back. Nor, when
 * `may_not_know` (ivrsm_text_may_not_know() of their phrase), when they lie inside one of
 * `dont_know` ("no" in "no se") or of `idioms` ("no" in "no problem"). Rules without lists hear
 * everything.
 */
bool ivrsm_text_heard(const ivrsm_text_rules *rules, const char *text, size_t text_len, size_t at,
                      size_t len, bool may_not_know);

/*
 * ivrsm_text_has_phrase() counting only the occurrences ivrsm_text_heard() hears: nonzero when
 * one of them is.
 */
int ivrsm_text_hears_phrase(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                            const char *phrase, size_t phrase_len, bool may_not_know);

/*
 * What the searches of phrases in one text have read of it, for the next: the words before
 * `clear` (a word start) may start no negation of the rules (by the keys of their words), and
 * whether any word may turn a phrase around after it. Zero it for each text.
 */
typedef struct ivrsm_heard_memo {
    size_t clear;
    /* 0 not known yet, 1 when no word of the text may start a negation after a phrase or an
     * answer (`negations_after`, `clause_negations`, `answers_yes`, `answers_no`), 2 else. */
    int turns;
    /* The bytes that start the text's words (ivrsm_text_word_starts()), when the caller has
     * them, or NULL: a text none of whose words starts as those words do is not read for them. */
    const uint64_t *starts;
    /* 0 not known yet, 1 when the text holds no correction followed by words, 2 when it does:
     * the last one starts at `corrected_from`, and the words after it at `corrected_to`. */
    int corrected;
    size_t corrected_from, corrected_to;
    /* The keys of the text's words (ivrsm_word_starts.keys, a set holding at least those), when
     * the caller has them, or NULL: a text none of whose words has the key of a correction, or
     * of a word that turns a phrase around after it, is not read for one. */
    const ivrsm_sentence_keys *keys;
} ivrsm_heard_memo;

/* ivrsm_text_hears_phrase() for one of the phrases tried on a text: the words known to start
 * no negation are not read again, and where none comes before an occurrence (most sentences),
 * it is not looked at for one. */
int ivrsm_text_hears_phrase_memo(const ivrsm_text_rules *rules, const char *text, size_t text_len,
                                 const char *phrase, size_t phrase_len, bool may_not_know,
                                 ivrsm_heard_memo *memo);

/*
 * The bytes that start a word of a text (the first byte, and each byte after a
 * space), as a set of 256 bits, and the keys of its words. A phrase whose first byte is not in the
 * set cannot be found by ivrsm_text_has_phrase(): a state tries dozens of phrases per sentence, and
 * this turns most of them away without scanning the text.
 */
typedef struct ivrsm_word_starts {
    uint64_t bits[4];
    /* The keys of the words (ivrsm_word_key()) folded to 256 bits (ivrsm_sentence_key()): a
     * text none of whose words has a key of a list of the rules (a correction, a negation after
     * a phrase) is not read for it. */
    ivrsm_sentence_keys keys;
} ivrsm_word_starts;

void ivrsm_text_word_starts(const char *text, size_t len, ivrsm_word_starts *ws);

/*
 * ivrsm_text_normalize_rules() that also notes the first byte and the key of every word it
 * writes in *starts (zeroed first), in the same pass: what ivrsm_text_word_starts() finds in its
 * output, and possibly those of words a rewrite then replaced (one too many only costs a phrase
 * its scan, or a sentence a read for a list's words).
 */
int ivrsm_text_normalize_starts(const ivrsm_text_rules *rules, const char *in, size_t len,
                                char *out, size_t cap, ivrsm_word_starts *starts);

static inline int ivrsm_word_starts_has(const ivrsm_word_starts *ws, unsigned char c)
{
    return (int)((ws->bits[c >> 6] >> (c & 63)) & 1);
}

/*
 * A separable verb said apart, joined again in normalised text[0..*len) (cap bytes): when a
 * form of `stem` (the stem alone, or with "e", "st", "t", "et", "en": "sage", "sagt") is
 * followed, at most eight words on, by `prefix` as a word of its own, that form is dropped and
 * the prefix written as the infinitive, prefix + stem + "en": "ich sage den termin ab" becomes
 * "ich den termin absagen", which a phrase "termin absagen" is heard in. The first such pair
 * only. Returns whether the text changed (*len is then its new length; it grows by one byte
 * at most, and fails to change when that byte does not fit).
 */
bool ivrsm_text_rejoin_separable(char *text, size_t *len, size_t cap, const char *prefix,
                                 size_t prefix_len, const char *stem, size_t stem_len);

/*
 * The words of normalised text[0..len) a phrase may say otherwise, written as the phrases'
 * words into out (cap bytes), by the rules' word_endings and compounds: `lexicon` holds the
 * words of the phrases (count of them, each of three bytes or more, sorted by
 * ivrsm_text_lexicon_order()). A word that is not one of them is written as the word its
 * endings make of it ("sperrung" as "sperren", "karten" as "karte", "meinen" as "mein"), or,
 * from seven bytes on, as the compound of them it is: the longest last part of four bytes
 * or more that is one, and before it the rest as one, as a compound of them again, or as
 * said ("kartensperrung" as "karte sperren", "kreditkarte" as "kredit karte"); else the
 * longest first part of four bytes or more that is one, the rest of five or more as said
 * ("wasserzaehler" as "wasser zaehler"). Returns the length written, 0 when no word changed
 * or out is too small.
 */
size_t ivrsm_text_phrase_forms(const ivrsm_text_rules *rules, const char *text, size_t len,
                               const struct ivrsm_text_words *lexicon, size_t count, char *out,
                               size_t cap);

/* The order of ivrsm_text_phrase_forms()'s lexicon (qsort()): by length, then bytes. */
int ivrsm_text_lexicon_order(const void *a, const void *b);

/*
 * Copy src[0..len) to out (len + 1 bytes) with runs of spaces, tabs and line
 * breaks collapsed to one space, trimmed: how a prompt is spoken (folded YAML
 * scalars and templates break lines that mean nothing to TTS). out may be src.
 * Returns the output length.
 */
size_t ivrsm_text_collapse_spaces(const char *src, size_t len, char *out);

/*
 * In raw JSON text, the index of the quote that closes the string opening at
 * p[open] (a '"'), backslash escapes skipped; len when it is not closed.
 */
size_t ivrsm_json_string_end(const char *p, size_t len, size_t open);

#endif
