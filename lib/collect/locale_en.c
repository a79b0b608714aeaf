/*
 * English locale tables: en-US (United States) and en-GB (United Kingdom).
 *
 * They share the words of the language and differ in phone numbers (+1 and
 * ten digits after an optional "1"; +44 and nine or ten digits after the
 * trunk "0"), in the order of numeric dates (12/3 is December 3 in the US,
 * 12 March in the UK) and in a few words ("fortnight" is British).
 *
 * Speech is normalised with the contractions expanded ("don't" → "do not",
 * "I'm" → "i am", also in the transcripts), so every phrase below is written
 * expanded; see locale_tables.h for the normalised form.
 */
#include "locale_tables.h"

#include <stddef.h>

/* clang-format off */

/* Contractions, as the normaliser sees them (the apostrophe already a space). */
static const struct ivrsm_text_rewrite en_rewrites[] = {
    IVRSM_REWRITE("don t", "do not"),        IVRSM_REWRITE("doesn t", "does not"),     IVRSM_REWRITE("didn t", "did not"),
    IVRSM_REWRITE("can t", "can not"),       IVRSM_REWRITE("cannot", "can not"),       IVRSM_REWRITE("couldn t", "could not"),
    IVRSM_REWRITE("won t", "will not"),      IVRSM_REWRITE("wouldn t", "would not"),   IVRSM_REWRITE("shouldn t", "should not"),
    IVRSM_REWRITE("isn t", "is not"),        IVRSM_REWRITE("aren t", "are not"),       IVRSM_REWRITE("wasn t", "was not"),
    IVRSM_REWRITE("weren t", "were not"),    IVRSM_REWRITE("haven t", "have not"),     IVRSM_REWRITE("hasn t", "has not"),
    IVRSM_REWRITE("hadn t", "had not"),      IVRSM_REWRITE("mustn t", "must not"),     IVRSM_REWRITE("needn t", "need not"),
    IVRSM_REWRITE("ain t", "is not"),
    IVRSM_REWRITE("i m", "i am"),            IVRSM_REWRITE("i ve", "i have"),          IVRSM_REWRITE("i ll", "i will"),
    IVRSM_REWRITE("i d", "i would"),         IVRSM_REWRITE("you re", "you are"),       IVRSM_REWRITE("you ve", "you have"),
    IVRSM_REWRITE("you ll", "you will"),     IVRSM_REWRITE("you d", "you would"),      IVRSM_REWRITE("we re", "we are"),
    IVRSM_REWRITE("we ve", "we have"),       IVRSM_REWRITE("we ll", "we will"),        IVRSM_REWRITE("we d", "we would"),
    IVRSM_REWRITE("they re", "they are"),    IVRSM_REWRITE("they ve", "they have"),    IVRSM_REWRITE("they ll", "they will"),
    IVRSM_REWRITE("they d", "they would"),   IVRSM_REWRITE("he s", "he is"),           IVRSM_REWRITE("she s", "she is"),
    IVRSM_REWRITE("it s", "it is"),          IVRSM_REWRITE("that s", "that is"),       IVRSM_REWRITE("there s", "there is"),
    IVRSM_REWRITE("here s", "here is"),      IVRSM_REWRITE("what s", "what is"),       IVRSM_REWRITE("where s", "where is"),
    IVRSM_REWRITE("who s", "who is"),        IVRSM_REWRITE("how s", "how is"),         IVRSM_REWRITE("when s", "when is"),
    IVRSM_REWRITE("let s", "let us"),        IVRSM_REWRITE("he ll", "he will"),        IVRSM_REWRITE("she ll", "she will"),
    IVRSM_REWRITE("it ll", "it will"),       IVRSM_REWRITE("that ll", "that will"),    IVRSM_REWRITE("he d", "he would"),
    IVRSM_REWRITE("she d", "she would"),     IVRSM_REWRITE("it d", "it would"),        IVRSM_REWRITE("that d", "that would"),
    IVRSM_REWRITE("gonna", "going to"),      IVRSM_REWRITE("wanna", "want to"),        IVRSM_REWRITE("gotta", "got to"),
    IVRSM_REWRITE("gimme", "give me"),       IVRSM_REWRITE("lemme", "let me"),         IVRSM_REWRITE("y all", "you all"),
    {NULL, NULL, 0, 0},
};

/*
 * 0..99 and the round hundreds: "oh" and "o" are zero in phone numbers,
 * "twenty one" is 20 + 1, "eight hundred" is 800 ("one eight hundred..."),
 * "one hundred and five" is 100 + 5.
 */
#define EN_HUNDRED(unit, value) {unit " hundred", value, 1, 99}
static const struct ivrsm_number_word en_numbers[] = {
    {"zero", 0, 0, 0},       {"oh", 0, 0, 0},         {"o", 0, 0, 0},          {"one", 1, 0, 0},
    {"two", 2, 0, 0},        {"three", 3, 0, 0},      {"four", 4, 0, 0},       {"five", 5, 0, 0},
    {"six", 6, 0, 0},        {"seven", 7, 0, 0},      {"eight", 8, 0, 0},      {"nine", 9, 0, 0},
    {"ten", 10, 0, 0},       {"eleven", 11, 0, 0},    {"twelve", 12, 0, 0},    {"thirteen", 13, 0, 0},
    {"fourteen", 14, 0, 0},  {"fifteen", 15, 0, 0},   {"sixteen", 16, 0, 0},   {"seventeen", 17, 0, 0},
    {"eighteen", 18, 0, 0},  {"nineteen", 19, 0, 0},  {"twenty", 20, 1, 9},    {"thirty", 30, 1, 9},
    {"forty", 40, 1, 9},     {"fourty", 40, 1, 9},    {"fifty", 50, 1, 9},     {"sixty", 60, 1, 9},
    {"seventy", 70, 1, 9},   {"eighty", 80, 1, 9},    {"ninety", 90, 1, 9},
    EN_HUNDRED("a", 100),    EN_HUNDRED("one", 100),  EN_HUNDRED("two", 200),  EN_HUNDRED("three", 300),
    EN_HUNDRED("four", 400), EN_HUNDRED("five", 500), EN_HUNDRED("six", 600),  EN_HUNDRED("seven", 700),
    EN_HUNDRED("eight", 800), EN_HUNDRED("nine", 900),
    {NULL, 0, 0, 0},
};
static ivrsm_number_index en_numbers_index;
/* One index of the lists per table: their relative days differ. */
static ivrsm_list_index en_us_lists_index, en_gb_lists_index;

/* Days of the month said as ordinals: "first" .. "thirty first". */
#define EN_ORDINAL_TENS(tens, value)                                                               \
    {tens " first", value + 1},  {tens " second", value + 2}, {tens " third", value + 3},          \
    {tens " fourth", value + 4}, {tens " fifth", value + 5},  {tens " sixth", value + 6},          \
    {tens " seventh", value + 7}, {tens " eighth", value + 8}, {tens " ninth", value + 9}
static const struct ivrsm_phrase_value en_day_ordinals[] = {
    {"first", 1},        {"second", 2},      {"third", 3},        {"fourth", 4},
    {"fifth", 5},        {"sixth", 6},       {"seventh", 7},      {"eighth", 8},
    {"ninth", 9},        {"tenth", 10},      {"eleventh", 11},    {"twelfth", 12},
    {"thirteenth", 13},  {"fourteenth", 14}, {"fifteenth", 15},   {"sixteenth", 16},
    {"seventeenth", 17}, {"eighteenth", 18}, {"nineteenth", 19},  {"twentieth", 20},
    EN_ORDINAL_TENS("twenty", 20),
    {"thirtieth", 30},   {"thirty first", 31},
    {NULL, 0},
};

static const struct ivrsm_phrase_value en_weekdays[] = {
    {"monday", 0}, {"tuesday", 1}, {"wednesday", 2}, {"thursday", 3},
    {"friday", 4}, {"saturday", 5}, {"sunday", 6},   {NULL, 0},
};

static const struct ivrsm_phrase_value en_months[] = {
    {"january", 1},   {"jan", 1},  {"february", 2}, {"feb", 2},  {"march", 3},     {"april", 4},
    {"apr", 4},       {"may", 5},  {"june", 6},     {"july", 7}, {"august", 8},    {"aug", 8},
    {"september", 9}, {"sept", 9}, {"sep", 9},      {"october", 10}, {"oct", 10},  {"november", 11},
    {"nov", 11},      {"december", 12}, {"dec", 12}, {NULL, 0},
};

/* clang-format on */

static const char *const en_number_joiners[] = {"and", NULL};
static const struct ivrsm_phrase_value en_repeat_words[] = {
    {"double", 2}, {"triple", 3}, {NULL, 0}};
static const char *const en_ordinal_suffixes[] = {"st", "nd", "rd", "th", NULL};
static const char *const en_plus_words[] = {"plus", NULL};
static const char *const en_digit_fillers[] = {"uh",
                                               "um",
                                               "er",
                                               "erm",
                                               "hmm",
                                               "so",
                                               "okay",
                                               "ok",
                                               "yes",
                                               "yeah",
                                               "sure",
                                               "well",
                                               "it is",
                                               "that is",
                                               "my number is",
                                               "my phone number is",
                                               "my cell is",
                                               "my cell phone is",
                                               "my mobile is",
                                               "my mobile number is",
                                               "the number is",
                                               "number",
                                               "my code is",
                                               "the code is",
                                               "code",
                                               "area code",
                                               "is",
                                               "and",
                                               "then",
                                               "and then",
                                               NULL};

static const struct ivrsm_phrase_value en_relative_days[] = {
    {"today", 0}, {"tomorrow", 1}, {"the day after tomorrow", 2}, {"day after tomorrow", 2},
    {NULL, 0},
};
static const struct ivrsm_phrase_value en_past_relative_days[] = {
    {"today", 0}, {"yesterday", 1}, {"the day before yesterday", 2}, {"day before yesterday", 2},
    {"this morning", 0},
    {NULL, 0},
};
static const char *const en_next_words_before[] = {"next", NULL};
static const char *const en_next_words[] = {"next", NULL};
static const char *const en_after_next_words[] = {"after next", NULL};
/* "Monday week" is British for a week after the coming Monday. */
static const char *const en_week_after_words[] = {"week", NULL};
static const char *const en_week_after_words_before[] = {"a week from", "a week on",
                                                         "one week from", NULL};
static const char *const en_next_week[] = {"next week", "the week after", "of next week",
                                           "the following week", NULL};
static const char *const en_this_week[] = {"this week", "later this week", NULL};
static const char *const en_this_weekend[] = {
    "this weekend", "at the weekend", "on the weekend", "the weekend", "this coming weekend", NULL};
static const char *const en_this_month[] = {"this month", "later this month", NULL};
static const char *const en_next_month[] = {"next month", "the following month", NULL};
static const char *const en_in_words[] = {"in", "within", NULL};
static const char *const en_from_now_words[] = {"from now", "from today", "time", NULL};
static const char *const en_one_words[] = {"a", "an", NULL};
static const char *const en_day_units[] = {"days", "day", NULL};
static const char *const en_week_units[] = {"weeks", "week", NULL};
static const char *const en_month_day_joiners[] = {"the", NULL};
static const char *const en_day_month_joiners[] = {"of", NULL};
/* Between a day and its month said as a number ("the 3rd of the 5th"). */
static const char *const en_month_number_joiners[] = {"of the", "of", NULL};
/* Before a year: "on the 3rd of May in 1985". */
static const char *const en_year_joiners[] = {"in", NULL};
static const char *const en_asap[] = {"as soon as possible",
                                      "asap",
                                      "a s a p",
                                      "the sooner the better",
                                      "as early as possible",
                                      "the earliest possible",
                                      "earliest possible",
                                      "the earliest you have",
                                      "whenever",
                                      "whenever you can",
                                      "any time",
                                      "anytime",
                                      "any day",
                                      "whatever works",
                                      "i do not know",
                                      "do not know",
                                      "i am not sure",
                                      "not sure",
                                      "no preference",
                                      "i have no preference",
                                      "i do not have a preference",
                                      "it does not matter",
                                      "does not matter",
                                      "i do not mind",
                                      "i do not care",
                                      NULL};
static const char *const en_date_articles[] = {"on", "the", "this", "coming", NULL};
/* Years said in words: "nineteen eighty five", "nineteen hundred and five", "two thousand five". */
static const struct ivrsm_phrase_value en_year_thousands[] = {
    {"one thousand", 1000}, {"a thousand", 1000}, {"thousand", 1000}, {"two thousand", 2000},
    {NULL, 0}};
static const char *const en_year_hundreds[] = {"hundred", NULL};
/* A day gone by counted from today: "three days ago", "last Monday", "Monday last". */
static const char *const en_ago_words[] = {"ago", "back", NULL};
static const char *const en_last_words_before[] = {"last", "this past", "past", NULL};
static const char *const en_last_words[] = {"last", "just gone", NULL};
/* A time after a date: "tomorrow at half past three", "Friday around 3 pm". */
static const char *const en_time_words_before[] = {
    "at", "around", "about", "after", "before", "by", "from", "for", NULL};
static const char *const en_time_words[] = {
    "o clock", "oclock", "am", "pm", "a m", "p m", "half past", "quarter past", "quarter to",
    "past",    "noon",   "midday", "midnight", "in the morning", "in the afternoon",
    "in the evening", "ish", "or so", NULL};
static const char *const en_past_lead_fillers[] = {
    "i was born on", "i was born", "he was born on", "she was born on", "born on", "born",
    "my date of birth is", "the date of birth is", "date of birth", "my birthday is",
    "it is", "that is", "it was", "that was", "it happened", "that happened",
    "since", "ever since", /* "since yesterday": the day it started */
    NULL};
static const char *const en_date_lead_fillers[] = {"uh",
                                                   "um",
                                                   "er",
                                                   "erm",
                                                   "hmm",
                                                   "well",
                                                   "so",
                                                   "okay",
                                                   "ok",
                                                   "yes",
                                                   "yeah",
                                                   "sure",
                                                   "maybe",
                                                   "perhaps",
                                                   "preferably",
                                                   "ideally",
                                                   "let us say",
                                                   "say",
                                                   "how about",
                                                   "what about",
                                                   "i would like",
                                                   "i would prefer",
                                                   "i prefer",
                                                   "i want",
                                                   "it is",
                                                   "it would be",
                                                   "that would be",
                                                   "for",
                                                   "starting",
                                                   "starting from",
                                                   "from",
                                                   "any time after",
                                                   "i am available",
                                                   "i am free",
                                                   "available",
                                                   "free",
                                                   NULL};
static const char *const en_date_trail_fillers[] = {"morning",
                                                    "in the morning",
                                                    "afternoon",
                                                    "in the afternoon",
                                                    "evening",
                                                    "in the evening",
                                                    "please",
                                                    "thanks",
                                                    "thank you",
                                                    "if possible",
                                                    "if you can",
                                                    "would be great",
                                                    "works for me",
                                                    "is fine",
                                                    "or later",
                                                    "onwards",
                                                    NULL};

static const char *const en_negative_answers[] = {"no",
                                                  "nope",
                                                  "nah",
                                                  "no thanks",
                                                  "no thank you",
                                                  "no comment",
                                                  "no comments",
                                                  "nothing",
                                                  "nothing else",
                                                  "nothing to add",
                                                  "nothing to say",
                                                  "no nothing",
                                                  "none",
                                                  "not really",
                                                  "i have nothing to add",
                                                  "i have nothing to say",
                                                  "i do not have anything to add",
                                                  "i do not have any comment",
                                                  "no that is all",
                                                  "that is all",
                                                  "that is it",
                                                  "no that is it",
                                                  "no that is fine",
                                                  "i am good",
                                                  "no i am good",
                                                  "i am fine",
                                                  "no i am fine",
                                                  "nothing special",
                                                  "nothing in particular",
                                                  "no message",
                                                  "all good",
                                                  "i am all good",
                                                  "all set",
                                                  "i am all set",
                                                  "that is everything",
                                                  "no that is everything",
                                                  "that will be all",
                                                  "that is all for now",
                                                  "nothing more",
                                                  NULL};
/* Said around a key said instead of pressed ("option 3", ivrsm_locale_key_said()). */
static const char *const en_key_words[] = {
    "option", "options", "press", "pressing", "push",  "hit",    "number", "key",
    "button", "choice",  "choose",   "pick", "select", "dial", "digit", "the",
    "please", "i",       "want",     "would", "like",  "will", "say",   NULL};

/* A choice from a list said by its place: the ordinals of the routes' phrases, and the places
 * counted from the end ("the last one", "the second to last") or the middle ("the middle one"). */
static const struct ivrsm_phrase_value en_position_ordinals[] = {
    {"first", 1}, {"second", 2},  {"third", 3},  {"fourth", 4}, {"fifth", 5}, {"sixth", 6},
    {"seventh", 7}, {"eighth", 8}, {"ninth", 9}, {"tenth", 10}, {NULL, 0}};
static const struct ivrsm_phrase_value en_position_relative[] = {
    {"last", IVRSM_POSITION_LAST},
    {"second to last", IVRSM_POSITION_BEFORE_LAST},
    {"second last", IVRSM_POSITION_BEFORE_LAST},
    {"next to last", IVRSM_POSITION_BEFORE_LAST},
    {"penultimate", IVRSM_POSITION_BEFORE_LAST},
    {"one before last", IVRSM_POSITION_BEFORE_LAST},
    {"middle", IVRSM_POSITION_MIDDLE},
    {NULL, 0}};

/* The caller's own thing against a new one, and the verbs that change what exists
 * (locale_tables.h): "my appointment" is no booking; "postponed" is moving it. */
static const char *const en_possessives[] = {"my", NULL};
static const char *const en_new_words[] = {"new", "another", "a", "an", "book", "make", NULL};
static const char *const en_change_reported[] = {"was", "were", "been", "already", NULL};
static const struct ivrsm_phrase_value en_change_verbs[] = {{"resched", IVRSM_CHANGE_MOVE},
                                                            {"postpon", IVRSM_CHANGE_MOVE},
                                                            {"move", IVRSM_CHANGE_MOVE},
                                                            {"moving", IVRSM_CHANGE_MOVE},
                                                            {"rebook", IVRSM_CHANGE_MOVE},
                                                            {"delay", IVRSM_CHANGE_MOVE},
                                                            {"cancel", IVRSM_CHANGE_CANCEL},
                                                            {"chang", IVRSM_CHANGE_ALTER},
                                                            {"modif", IVRSM_CHANGE_ALTER},
                                                            {"amend", IVRSM_CHANGE_ALTER},
                                                            {NULL, 0}};

static const char *const en_answer_fillers[] = {
    "uh",  "um",      "er",     "well", "thanks", "thank you", "thank you very much",
    "bye", "goodbye", "cheers", "ta",   NULL};

/* How values are said (template formats). */
static const char *const en_day_words[31] = {
    "1st",  "2nd",  "3rd",  "4th",  "5th",  "6th",  "7th",  "8th",  "9th",  "10th", "11th",
    "12th", "13th", "14th", "15th", "16th", "17th", "18th", "19th", "20th", "21st", "22nd",
    "23rd", "24th", "25th", "26th", "27th", "28th", "29th", "30th", "31st"};
static const struct ivrsm_phone_format en_us_phone_formats[] = {{"", 0, "3 3 4"}, {NULL, 0, NULL}};
/* London and the other 02 numbers: 020 XXXX XXXX; mobiles and the rest: 0XXXX XXXXXX. */
static const struct ivrsm_phone_format en_gb_phone_formats[] = {
    {"02", 11, "3 4 4"}, {"", 0, "5 6"}, {NULL, 0, NULL}};

#define EN_SAY_WORDS                                                                               \
    .weekdays = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},    \
    .months = {"January", "February", "March",     "April",   "May",      "June",                  \
               "July",    "August",   "September", "October", "November", "December"},             \
    .day_words = en_day_words, .time = "%I:%m %p", .time_on_the_hour = "%I %p",                    \
    .decimal_mark = '.', .currency_join = " and ", .minus = "minus",                               \
    .yes_no = {"yes", "no"}, .phone_by_digit = 1

/* The index of en_rewrites, built once for both tables (ivrsm_text_rules_prepare()). */
static ivrsm_rewrite_cache en_rewrite_cache;

static const char *const en_us_tags[] = {"en-US", "en", NULL};
static const char *const en_gb_tags[] = {"en-GB", "en-UK", NULL};

/* What takes a phrase back when matching speech (ivrsm_text_heard(), docs/runtime.md): the
 * words of not knowing are no answer ("sure" of "not sure", "no" of "no idea"), nor a phrase
 * right after a negation or a doubt ("not now", "do not cancel", "maybe yes"). Written as the
 * contractions are rewritten: "don't know" is "do not know". */
static const struct ivrsm_text_words en_dont_know[] = {
    IVRSM_WORDS("do not know"),
    IVRSM_WORDS("i do not know"),
    IVRSM_WORDS("dunno"),
    IVRSM_WORDS("no idea"),
    IVRSM_WORDS("i have no idea"),
    IVRSM_WORDS("no clue"),
    IVRSM_WORDS("not sure"),
    IVRSM_WORDS("i am not sure"),
    IVRSM_WORDS("not certain"),
    IVRSM_WORDS("i am not certain"),
    /* Not having heard or understood the question is no answer to it either. */
    IVRSM_WORDS("did not hear"),
    IVRSM_WORDS("did not catch"),
    IVRSM_WORDS("did not understand"),
    IVRSM_WORDS("do not understand"),
    IVRSM_WORDS("could not hear"),
    {NULL, 0},
};
static const struct ivrsm_text_words en_negations[] = {
    IVRSM_WORDS("not"),     IVRSM_WORDS("never"),   IVRSM_WORDS("maybe"),
    IVRSM_WORDS("perhaps"), IVRSM_WORDS("neither"), IVRSM_WORDS("nor"),
    IVRSM_WORDS("no longer"), {NULL, 0},
};
/* Where a negation's reach ends: "I do not want to move but cancel", "not now, yes, move it".
 * "no" is the answer here, not a negation ("no, cancel it" cancels). Not "and" ("I do not want
 * to move and cancel" refuses both), nor "so" ("not so sure I want to cancel"). */
static const struct ivrsm_text_words en_clause_breaks[] = {
    IVRSM_WORDS("but"),     IVRSM_WORDS("however"), IVRSM_WORDS("instead"), IVRSM_WORDS("rather"),
    IVRSM_WORDS("actually"), IVRSM_WORDS("yes"),    IVRSM_WORDS("yeah"),    IVRSM_WORDS("yep"),
    IVRSM_WORDS("no"),      IVRSM_WORDS("nope"),    IVRSM_WORDS("okay"),    IVRSM_WORDS("ok"),
    IVRSM_WORDS("i mean"),  IVRSM_WORDS("because"), IVRSM_WORDS("cause"), {NULL, 0},
};
/* English puts its negation before the verb ("I am not cancelling"): none follows it. The
 * answer "no" after a phrase corrects it: "cancel? no, not that", "cancel it no, move it"
 * moves. ("Cancel, not move" cancels: "not" after a phrase is no correction.) */
static const struct ivrsm_text_words en_clause_negations[] = {
    IVRSM_WORDS("no"), IVRSM_WORDS("nope"), IVRSM_WORDS("nah"),
    /* "not" that points back at the words before it ("cancel? not that"). */
    IVRSM_WORDS("not that"), IVRSM_WORDS("not this"), IVRSM_WORDS("not that one"),
    IVRSM_WORDS("not this one"), {NULL, 0}};
/* "not" ending its clause takes back the words right before it: "absolutely not", "of course
 * not", "please don't" ("please do not"); "cancel, not move" keeps "cancel". */
static const struct ivrsm_text_words en_negations_closing[] = {IVRSM_WORDS("not"), {NULL, 0}};
/* A caller corrects themselves: "yes, no wait, no", "yeah I mean no", "reschedule, actually no,
 * cancel" take back what came before. Not "sorry", said as often before a reason ("I need to
 * cancel, sorry for the short notice"). */
static const struct ivrsm_text_words en_corrections[] = {
    IVRSM_WORDS("wait"), IVRSM_WORDS("hold on"), IVRSM_WORDS("i mean"), IVRSM_WORDS("or rather"),
    IVRSM_WORDS("actually"), IVRSM_WORDS("scratch that"), {NULL, 0}};
/* A caller who says both has said neither: "yes no", "no, yes". */
static const struct ivrsm_text_words en_answers_yes[] = {
    IVRSM_WORDS("yes"), IVRSM_WORDS("yeah"), IVRSM_WORDS("yep"), IVRSM_WORDS("yup"), {NULL, 0}};
static const struct ivrsm_text_words en_answers_no[] = {
    IVRSM_WORDS("no"), IVRSM_WORDS("nope"), IVRSM_WORDS("nah"), {NULL, 0}};
/* Refusals complete in themselves: "not yet, I want to move" moves. */
static const struct ivrsm_text_words en_short_answers[] = {
    IVRSM_WORDS("not yet"),        IVRSM_WORDS("not now"),        IVRSM_WORDS("not today"),
    IVRSM_WORDS("not right now"),  IVRSM_WORDS("not really"),     IVRSM_WORDS("not this time"),
    IVRSM_WORDS("not for now"),    IVRSM_WORDS("not anymore"),    IVRSM_WORDS("not at the moment"),
    {NULL, 0},
};
/* Said every day, and no refusal: "no problem" is never the answer "no" (a machine that wants
 * it for "yes" lists it among the utterances of its "yes"). */
static const struct ivrsm_text_words en_idioms[] = {
    IVRSM_WORDS("no problem"),  IVRSM_WORDS("no problems"),      IVRSM_WORDS("not a problem"),
    IVRSM_WORDS("no worries"),  IVRSM_WORDS("no worry"),         IVRSM_WORDS("not to worry"),
    IVRSM_WORDS("not at all"),  IVRSM_WORDS("never mind"),       IVRSM_WORDS("no bother"),
    IVRSM_WORDS("no rush"),     IVRSM_WORDS("no hurry"),         IVRSM_WORDS("why not"),
    IVRSM_WORDS("no matter"),   IVRSM_WORDS("push it back"),     IVRSM_WORDS("push back"),
    IVRSM_WORDS("push it out"), IVRSM_WORDS("bring it forward"), {NULL, 0},
};
/* The ways of saying yes and no (format.md, Intents: an intent that lists "yes" hears every
 * form of yes, one that lists "no" every form of no): the answer words as the phone hears them,
 * the adverbs said alone as an answer, and their negations, longer ("absolutely not" is no where
 * "absolutely" is yes; a state without no takes "absolutely" back, en_negations_closing). The
 * bare answer first; contractions as they are rewritten. */
static const struct ivrsm_text_words en_yes_forms[] = {
    IVRSM_WORDS("yes"), IVRSM_WORDS("yeah"), IVRSM_WORDS("yep"), IVRSM_WORDS("yup"),
    IVRSM_WORDS("ya"), IVRSM_WORDS("yah"), IVRSM_WORDS("yes please"), IVRSM_WORDS("sure"),
    IVRSM_WORDS("sure thing"), IVRSM_WORDS("of course"), IVRSM_WORDS("absolutely"),
    IVRSM_WORDS("definitely"), IVRSM_WORDS("certainly"), IVRSM_WORDS("correct"),
    IVRSM_WORDS("that is right"), IVRSM_WORDS("that is correct"), IVRSM_WORDS("right"),
    IVRSM_WORDS("ok"), IVRSM_WORDS("okay"), IVRSM_WORDS("alright"), IVRSM_WORDS("all right"),
    IVRSM_WORDS("affirmative"), IVRSM_WORDS("uh huh"), IVRSM_WORDS("mm hmm"), IVRSM_WORDS("mhm"),
    IVRSM_WORDS("you bet"), IVRSM_WORDS("go ahead"), IVRSM_WORDS("please do"),
    IVRSM_WORDS("sounds good"), {NULL, 0},
};
static const struct ivrsm_text_words en_no_forms[] = {
    IVRSM_WORDS("no"), IVRSM_WORDS("nope"), IVRSM_WORDS("nah"), IVRSM_WORDS("no thanks"),
    IVRSM_WORDS("no thank you"), IVRSM_WORDS("not really"), IVRSM_WORDS("absolutely not"),
    IVRSM_WORDS("definitely not"), IVRSM_WORDS("certainly not"), IVRSM_WORDS("of course not"),
    IVRSM_WORDS("no way"), IVRSM_WORDS("not at all"), IVRSM_WORDS("negative"),
    IVRSM_WORDS("please do not"), IVRSM_WORDS("i do not think so"), IVRSM_WORDS("no sir"), {NULL, 0},
};
static ivrsm_heard_cache en_heard_cache;

/* The parts of the table that the United Kingdom shares with the United States. */
/* Letters said by their names, for codes spelled ("reference"). */
static const struct ivrsm_phrase_value en_letter_names[] = {
    {"bee", 'b'}, {"see", 'c'}, {"sea", 'c'}, {"cee", 'c'}, {"dee", 'd'}, {"ef", 'f'},
    {"eff", 'f'}, {"gee", 'g'}, {"aitch", 'h'}, {"haitch", 'h'}, {"eye", 'i'}, {"jay", 'j'},
    {"kay", 'k'}, {"el", 'l'}, {"ell", 'l'}, {"em", 'm'}, {"en", 'n'}, {"pee", 'p'}, {"cue", 'q'},
    {"queue", 'q'}, {"ar", 'r'}, {"are", 'r'}, {"ess", 's'}, {"tee", 't'}, {"tea", 't'},
    {"you", 'u'}, {"vee", 'v'}, {"double you", 'w'}, {"double u", 'w'}, {"ex", 'x'}, {"why", 'y'},
    {"zed", 'z'}, {"zee", 'z'}, {NULL, 0}};
#define EN_COMMON_FIELDS                                                                           \
    .text = {.rewrites = en_rewrites,                                                              \
             .cache = &en_rewrite_cache,                                                           \
             .dont_know = en_dont_know,                                                            \
             .idioms = en_idioms,                                                                  \
             .negations = en_negations,                                                            \
             .clause_breaks = en_clause_breaks,                                                    \
             .short_answers = en_short_answers,                                                    \
             .clause_negations = en_clause_negations,                                              \
             .answers_yes = en_answers_yes,                                                        \
             .answers_no = en_answers_no,                                                          \
             .heard_cache = &en_heard_cache,                                                       \
             .negations_closing = en_negations_closing,                                            \
             .corrections = en_corrections,                                                        \
             .yes_forms = en_yes_forms,                                                            \
             .no_forms = en_no_forms},                                                             \
    .numbers = en_numbers, .numbers_index = &en_numbers_index,                                     \
    .number_joiners = en_number_joiners, .repeat_words = en_repeat_words, .digit_group_max = 999,  \
    .plus_words = en_plus_words, .digit_fillers = en_digit_fillers, .weekdays = en_weekdays,       \
    .letter_names = en_letter_names, .months = en_months, .next_words = en_next_words,             \
    .week_units = en_week_units, .next_words_before = en_next_words_before,                        \
    .next_week = en_next_week, .after_next_words = en_after_next_words,                            \
    .week_after_words = en_week_after_words,                                                       \
    .week_after_words_before = en_week_after_words_before, .this_week = en_this_week,              \
    .next_month = en_next_month, .this_weekend = en_this_weekend, .this_month = en_this_month,     \
    .in_words = en_in_words, .from_now_words = en_from_now_words, .one_words = en_one_words,       \
    .day_units = en_day_units, .day_ordinals = en_day_ordinals,                                    \
    .ordinal_suffixes = en_ordinal_suffixes, .day_month_joiners = en_day_month_joiners,            \
    .month_day_joiners = en_month_day_joiners, .month_number_joiners = en_month_number_joiners,    \
    .year_joiners = en_year_joiners, .asap = en_asap, .date_articles = en_date_articles,           \
    .date_lead_fillers = en_date_lead_fillers, .date_trail_fillers = en_date_trail_fillers,        \
    .year_thousands = en_year_thousands, .year_hundreds = en_year_hundreds,                        \
    .past_lead_fillers = en_past_lead_fillers, .ago_words = en_ago_words,                          \
    .last_words_before = en_last_words_before, .last_words = en_last_words,                        \
    .time_words_before = en_time_words_before, .time_words = en_time_words,                        \
    .negative_answers = en_negative_answers, .answer_fillers = en_answer_fillers,                  \
    .key_words = en_key_words, .position_ordinals = en_position_ordinals,                          \
    .position_relative = en_position_relative, .possessives = en_possessives,                      \
    .new_words = en_new_words, .change_verbs = en_change_verbs,                                    \
    .change_reported = en_change_reported

const struct ivrsm_locale ivrsm_locale_en_us = {
    .tag = "en-US",
    .tags = en_us_tags,
    .name = "English (United States)",
    /* North American Numbering Plan: 1 + area code (2-9..) + 7 digits; 011 for abroad. */
    .country_code = "1",
    .trunk_prefix = "1",
    .international_prefix = "011",
    .national_digits_min = 10,
    .national_digits_max = 10,
    .national_leading = "23456789",
    .national_without_trunk = 1,
    .numeric_date_order = IVRSM_DATE_MDY,
    .relative_days = en_relative_days,
    .past_relative_days = en_past_relative_days,
    .lists_index = &en_us_lists_index,
    .say = {EN_SAY_WORDS, .date = "%W, %M %D", .year = ", %Y", .am_pm = {"AM", "PM"},
            .currency = {"dollar", "dollars"}, .subunit = {"cent", "cents"},
            .phone_formats = en_us_phone_formats},
    EN_COMMON_FIELDS,
};

/* "a fortnight" is two weeks in Britain: a unit of its own would need code, a phrase does not. */
static const struct ivrsm_phrase_value en_gb_relative_days[] = {
    {"today", 0},
    {"tomorrow", 1},
    {"the day after tomorrow", 2},
    {"day after tomorrow", 2},
    {"in a fortnight", 14},
    {"a fortnight from today", 14},
    {"in a fortnight s time", 14},
    {"in a fortnight time", 14},
    {NULL, 0},
};

const struct ivrsm_locale ivrsm_locale_en_gb = {
    .tag = "en-GB",
    .tags = en_gb_tags,
    .name = "English (United Kingdom)",
    /* 0 + 9 or 10 digits (01..., 02..., 03..., 07..., 08...); 00 for abroad. */
    .country_code = "44",
    .trunk_prefix = "0",
    .international_prefix = "00",
    .national_digits_min = 9,
    .national_digits_max = 10,
    .national_leading = "1235789",
    .national_without_trunk = 1,
    .numeric_date_order = IVRSM_DATE_DMY,
    .relative_days = en_gb_relative_days,
    .past_relative_days = en_past_relative_days,
    .lists_index = &en_gb_lists_index,
    .say = {EN_SAY_WORDS, .date = "%W the %D of %M", .year = " %Y", .am_pm = {"a.m.", "p.m."},
            .currency = {"pound", "pounds"}, .subunit = {"penny", "pence"},
            .phone_formats = en_gb_phone_formats},
    EN_COMMON_FIELDS,
};
