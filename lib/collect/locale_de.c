/*
 * German locale table: de-DE (Germany).
 *
 * Speech folds umlauts the way German writes them without: ä → ae, ö → oe,
 * ü → ue, and ß → ss, so "für", "fuer" and "FÜR" are one word, and
 * "Straße" is "strasse". Every phrase below is written that way.
 *
 * Numbers from 21 to 99 are one word, units first ("vierunddreißig"): the
 * table lists them, built by the macros below (data, expanded at compile time); "zwo" is the 2 of
 * phone numbers. National numbers vary in length (area codes of 2 to 5 digits), so a number is only
 * taken as national with its trunk "0".
 */
#include "locale_tables.h"

#include <stddef.h>

/* clang-format off */

static const struct ivrsm_text_fold de_folds[] = {
    {0x00C4, "ae"}, {0x00E4, "ae"}, /* Ä ä */
    {0x00D6, "oe"}, {0x00F6, "oe"}, /* Ö ö */
    {0x00DC, "ue"}, {0x00FC, "ue"}, /* Ü ü */
    {0x00DF, "ss"}, {0x1E9E, "ss"}, /* ß ẞ */
    {0, NULL},
};

/*
 * "zwanzig", "einundzwanzig" .. "neunundzwanzig", and the same written in
 * three words ("neun und vierzig"), as some recognisers do.
 */
#define DE_COMPOUND(unit, tens, value)                                                             \
    {unit "und" tens, value, 0, 0}, {unit " und " tens, value, 0, 0}
#define DE_TENS(tens, value)                                                                       \
    {tens, value, 0, 0},                  DE_COMPOUND("ein", tens, value + 1),                     \
    DE_COMPOUND("zwei", tens, value + 2), DE_COMPOUND("zwo", tens, value + 2),                     \
    DE_COMPOUND("drei", tens, value + 3), DE_COMPOUND("vier", tens, value + 4),                    \
    DE_COMPOUND("fuenf", tens, value + 5), DE_COMPOUND("sechs", tens, value + 6),                  \
    DE_COMPOUND("sieben", tens, value + 7), DE_COMPOUND("acht", tens, value + 8),                  \
    DE_COMPOUND("neun", tens, value + 9)

static const struct ivrsm_number_word de_numbers[] = {
    {"null", 0, 0, 0},       {"eins", 1, 0, 0},       {"ein", 1, 0, 0},        {"eine", 1, 0, 0},
    {"einen", 1, 0, 0}, /* "einen Tag" */
    {"zwei", 2, 0, 0},       {"zwo", 2, 0, 0},        {"drei", 3, 0, 0},       {"vier", 4, 0, 0},
    {"fuenf", 5, 0, 0},      {"sechs", 6, 0, 0},      {"sieben", 7, 0, 0},     {"acht", 8, 0, 0},
    {"neun", 9, 0, 0},       {"zehn", 10, 0, 0},      {"elf", 11, 0, 0},       {"zwoelf", 12, 0, 0},
    {"dreizehn", 13, 0, 0},  {"vierzehn", 14, 0, 0},  {"fuenfzehn", 15, 0, 0}, {"sechzehn", 16, 0, 0},
    {"siebzehn", 17, 0, 0},  {"achtzehn", 18, 0, 0},  {"neunzehn", 19, 0, 0},
    DE_TENS("zwanzig", 20),  DE_TENS("dreissig", 30), DE_TENS("vierzig", 40),
    DE_TENS("fuenfzig", 50), DE_TENS("sechzig", 60),  DE_TENS("siebzig", 70),
    DE_TENS("achtzig", 80),  DE_TENS("neunzig", 90),
    {"hundert", 100, 0, 0},  {"einhundert", 100, 0, 0},
    {NULL, 0, 0, 0},
};
static ivrsm_number_index de_numbers_index;
static ivrsm_list_index de_lists_index;

/* An ordinal day and its declined forms: "dritte", "dritten", "dritter". */
#define DE_ORDINAL(stem, value) {stem, value}, {stem "n", value}, {stem "r", value}
#define DE_ORDINAL_TENS(tens, value)                                                               \
    DE_ORDINAL("einund" tens, value + 1), DE_ORDINAL("zweiund" tens, value + 2),                   \
    DE_ORDINAL("dreiund" tens, value + 3), DE_ORDINAL("vierund" tens, value + 4),                  \
    DE_ORDINAL("fuenfund" tens, value + 5), DE_ORDINAL("sechsund" tens, value + 6),                \
    DE_ORDINAL("siebenund" tens, value + 7), DE_ORDINAL("achtund" tens, value + 8),                \
    DE_ORDINAL("neunund" tens, value + 9)

static const struct ivrsm_phrase_value de_day_ordinals[] = {
    DE_ORDINAL("erste", 1),       DE_ORDINAL("zweite", 2),       DE_ORDINAL("dritte", 3),
    DE_ORDINAL("vierte", 4),      DE_ORDINAL("fuenfte", 5),      DE_ORDINAL("sechste", 6),
    DE_ORDINAL("siebte", 7),      DE_ORDINAL("siebente", 7),     DE_ORDINAL("achte", 8),
    DE_ORDINAL("neunte", 9),      DE_ORDINAL("zehnte", 10),      DE_ORDINAL("elfte", 11),
    DE_ORDINAL("zwoelfte", 12),   DE_ORDINAL("dreizehnte", 13),  DE_ORDINAL("vierzehnte", 14),
    DE_ORDINAL("fuenfzehnte", 15), DE_ORDINAL("sechzehnte", 16), DE_ORDINAL("siebzehnte", 17),
    DE_ORDINAL("achtzehnte", 18), DE_ORDINAL("neunzehnte", 19),  DE_ORDINAL("zwanzigste", 20),
    DE_ORDINAL_TENS("zwanzigste", 20),
    DE_ORDINAL("dreissigste", 30), DE_ORDINAL("einunddreissigste", 31),
    {NULL, 0},
};

static const struct ivrsm_phrase_value de_weekdays[] = {
    {"montag", 0},  {"dienstag", 1}, {"mittwoch", 2},  {"donnerstag", 3},
    {"freitag", 4}, {"samstag", 5},  {"sonnabend", 5}, {"sonntag", 6},
    {NULL, 0},
};

/* "Juno" and "Julei" are how June and July are told apart on the phone. */
static const struct ivrsm_phrase_value de_months[] = {
    {"januar", 1},     {"jaenner", 1},   {"februar", 2},  {"maerz", 3},    {"april", 4},
    {"mai", 5},        {"juni", 6},      {"juno", 6},     {"juli", 7},     {"julei", 7},
    {"august", 8},     {"september", 9}, {"oktober", 10}, {"november", 11}, {"dezember", 12},
    {NULL, 0},
};

/* clang-format on */

static const char *const de_plus_words[] = {"plus", NULL};
/* "eine Fünf": a grade said with its article, not 1 then the number ("ein hundert" and
 * "eintausend" are numbers of their own, read before). */
/* Letters said by their names, for codes spelled ("reference"). */
static const struct ivrsm_phrase_value de_letter_names[] = {
    {"be", 'b'}, {"ce", 'c'},      {"ze", 'c'},       {"tse", 'c'},  {"de", 'd'},  {"ef", 'f'},
    {"ge", 'g'}, {"ha", 'h'},      {"jot", 'j'},      {"jott", 'j'}, {"ka", 'k'},  {"el", 'l'},
    {"em", 'm'}, {"en", 'n'},      {"pe", 'p'},       {"ku", 'q'},   {"kuh", 'q'}, {"er", 'r'},
    {"es", 's'}, {"te", 't'},      {"vau", 'v'},      {"fau", 'v'},  {"we", 'w'},  {"weh", 'w'},
    {"ix", 'x'}, {"ypsilon", 'y'}, {"uepsilon", 'y'}, {"zett", 'z'}, {"zet", 'z'}, {NULL, 0}};
static const char *const de_number_articles[] = {"ein", "eine", NULL};

static const char *const de_digit_fillers[] = {"aeh",
                                               "aehm",
                                               "hm",
                                               "also",
                                               "ja",
                                               "und",
                                               "dann",
                                               "meine nummer ist",
                                               "meine nummer lautet",
                                               "meine telefonnummer ist",
                                               "meine telefonnummer lautet",
                                               "meine handynummer ist",
                                               "die nummer ist",
                                               "nummer",
                                               "telefonnummer",
                                               "vorwahl",
                                               "der code ist",
                                               "der code lautet",
                                               "code",
                                               "ist",
                                               "lautet",
                                               NULL};

static const struct ivrsm_phrase_value de_past_relative_days[] = {
    {"heute", 0},
    {"gestern", 1},
    {"vorgestern", 2},
    {NULL, 0},
};
static const struct ivrsm_phrase_value de_relative_days[] = {
    {"heute", 0},
    {"morgen", 1},
    {"uebermorgen", 2},
    {NULL, 0},
};
static const char *const de_next_words_before[] = {"naechsten", "naechster", "naechste", NULL};
static const char *const de_after_next_words_before[] = {"uebernaechsten", "uebernaechster",
                                                         "uebernaechste", NULL};
static const char *const de_week_after_words[] = {"in einer woche", "in acht tagen", NULL};
static const char *const de_next_week[] = {"naechste woche",
                                           "naechster woche",
                                           "in der naechsten woche",
                                           "kommende woche",
                                           "kommender woche",
                                           "in der kommenden woche",
                                           NULL};
static const char *const de_this_weekend[] = {"am wochenende", "dieses wochenende",
                                              "an diesem wochenende", "wochenende", NULL};
static const char *const de_this_month[] = {"diesen monat", "in diesem monat", "noch diesen monat",
                                            NULL};
static const char *const de_this_week[] = {"diese woche", "dieser woche", "in dieser woche",
                                           "noch diese woche", NULL};
static const char *const de_next_month[] = {"naechsten monat",    "naechster monat",
                                            "im naechsten monat", "kommenden monat",
                                            "im kommenden monat", NULL};
static const char *const de_in_words[] = {"in", NULL};
static const char *const de_one_words[] = {"einer", "einem", NULL};
static const char *const de_day_units[] = {"tagen", "tage", "tag", NULL};
static const char *const de_week_units[] = {"wochen", "woche", NULL};
static const char *const de_asap[] = {"so bald wie moeglich",
                                      "so bald als moeglich",
                                      "so schnell wie moeglich",
                                      "so frueh wie moeglich",
                                      "moeglichst bald",
                                      "moeglichst schnell",
                                      "baldmoeglichst",
                                      "schnellstmoeglich",
                                      "egal",
                                      "ist mir egal",
                                      "egal wann",
                                      "ganz egal",
                                      "weiss nicht",
                                      "ich weiss nicht",
                                      "ich weiss es nicht",
                                      "keine ahnung",
                                      "wann immer",
                                      "jederzeit",
                                      "wann sie wollen",
                                      "keine praeferenz",
                                      "ich habe keine praeferenz",
                                      NULL};
/* Years said in words: "neunzehnhundertfuenfundachtzig", "zweitausendfuenf", cut apart at
 * hundert and tausend first. */
static const struct ivrsm_phrase_value de_year_thousands[] = {
    {"tausend", 1000},      {"ein tausend", 1000}, {"eintausend", 1000},
    {"zwei tausend", 2000}, {"zweitausend", 2000}, {NULL, 0}};
static const char *const de_year_hundreds[] = {"hundert", NULL};
static const char *const de_year_glued[] = {"hundert", "tausend", NULL};
/* A day gone by counted from today: "vor drei Tagen", "letzten Montag". */
/* "seit drei Tagen": the days counted back to when it started. */
static const char *const de_ago_words_before[] = {"vor", "seit", NULL};
static const char *const de_last_words_before[] = {
    "letzten", "letzter", "letzte", "vergangenen", "vergangener", "vorigen", "voriger", NULL};
/* A time after a date: "morgen um halb vier", "am Freitag gegen zehn Uhr". */
static const char *const de_time_words_before[] = {"um", "gegen", "so um", "so gegen",
                                                   "ab", "nach",  "vor",   NULL};
static const char *const de_time_words[] = {
    "uhr",     "halb",       "viertel nach", "viertel vor", "dreiviertel",
    "morgens", "vormittags", "mittags",      "nachmittags", "abends",
    "frueh",   "rum",        "herum",        "ungefaehr",   NULL};
static const char *const de_past_lead_fillers[] = {
    "ich bin",
    "er ist",
    "sie ist",
    "geboren am",
    "geboren",
    "mein geburtsdatum ist",
    "das geburtsdatum ist",
    "geburtsdatum",
    "es ist",
    "es war",
    "das war",
    "das ist",
    "seit", /* "seit gestern", "seit Samstag": the day it started */
    NULL};
static const char *const de_past_trail_fillers[] = {"geboren", NULL};
static const char *const de_date_articles[] = {"am",     "den",       "der",       "diesen",
                                               "dieser", "kommenden", "kommender", NULL};
static const char *const de_date_lead_fillers[] = {"aeh",
                                                   "aehm",
                                                   "hm",
                                                   "also",
                                                   "na ja",
                                                   "ja",
                                                   "lieber",
                                                   "am liebsten",
                                                   "vielleicht",
                                                   "eher",
                                                   "gerne",
                                                   "gern",
                                                   "ich moechte",
                                                   "ich haette gern",
                                                   "ich haette gerne",
                                                   "wie waere es mit",
                                                   "es waere",
                                                   "waere",
                                                   "fuer",
                                                   "ab",
                                                   "ab dem",
                                                   "ich kann",
                                                   "ich bin frei",
                                                   "ich bin verfuegbar",
                                                   "frei",
                                                   "verfuegbar",
                                                   NULL};
static const char *const de_date_trail_fillers[] = {
    "vormittag", "vormittags", "am vormittag",  "nachmittag",   "nachmittags",  "am nachmittag",
    "morgen",    "morgens",    "frueh",         "abend",        "abends",       "am abend",
    "bitte",     "danke",      "wenn moeglich", "wenn es geht", "oder spaeter", NULL};

static const char *const de_negative_answers[] = {"nein",
                                                  "nein danke",
                                                  "nee",
                                                  "ne",
                                                  "noe",
                                                  "nichts",
                                                  "gar nichts",
                                                  "nein nichts",
                                                  "nichts weiter",
                                                  "sonst nichts",
                                                  "kein kommentar",
                                                  "keine kommentare",
                                                  "keinen kommentar",
                                                  "keine anmerkungen",
                                                  "nichts hinzuzufuegen",
                                                  "ich habe nichts hinzuzufuegen",
                                                  "das war s",
                                                  "das wars",
                                                  "das ist alles",
                                                  "nein das ist alles",
                                                  "nein das war s",
                                                  "passt schon",
                                                  "nein passt schon",
                                                  "alles gut",
                                                  "nichts besonderes",
                                                  "nichts bestimmtes",
                                                  "keine nachricht",
                                                  "das war es",
                                                  "das waere alles",
                                                  "alles klar",
                                                  "lieber nicht",
                                                  "doch lieber nicht",
                                                  "doch nicht",
                                                  "besser nicht",
                                                  "eher nicht",
                                                  "passt so",
                                                  "ist gut",
                                                  NULL};
/* Said around a key said instead of pressed ("option 3", ivrsm_locale_key_said()). */
static const char *const de_key_words[] = {"option",  "taste", "die",     "nummer",   "wahl",
                                           "auswahl", "ich",   "druecke", "druecken", "waehle",
                                           "waehlen", "nehme", "moechte", "will",     "bitte",
                                           "also",    "dann",  "sage",    NULL};

/* A choice from a list said by its place: the ordinals of the routes' phrases in every form,
 * and the places counted from the end ("die letzte", "den vorletzten") or the middle ("die
 * mittlere"). */
#define DE_POSITION(stem, value)                                                                   \
    {stem "e", value}, {stem "en", value}, {stem "er", value}, {stem "es", value},                 \
    {                                                                                              \
        stem "em", value                                                                           \
    }
static const struct ivrsm_phrase_value de_position_ordinals[] = {DE_POSITION("erst", 1),
                                                                 DE_POSITION("zweit", 2),
                                                                 DE_POSITION("dritt", 3),
                                                                 DE_POSITION("viert", 4),
                                                                 DE_POSITION("fuenft", 5),
                                                                 DE_POSITION("sechst", 6),
                                                                 DE_POSITION("siebt", 7),
                                                                 DE_POSITION("acht", 8),
                                                                 DE_POSITION("neunt", 9),
                                                                 DE_POSITION("zehnt", 10),
                                                                 {NULL, 0}};
static const struct ivrsm_phrase_value de_position_relative[] = {
    DE_POSITION("letzt", IVRSM_POSITION_LAST),
    DE_POSITION("vorletzt", IVRSM_POSITION_BEFORE_LAST),
    DE_POSITION("mittler", IVRSM_POSITION_MIDDLE),
    {"in der mitte", IVRSM_POSITION_MIDDLE},
    {NULL, 0}};

/* The caller's own thing against a new one, and the verbs that change what exists
 * (locale_tables.h): "mein Termin" is no booking; "auf Freitag verlegen" is moving it. */
static const char *const de_possessives[] = {"mein",   "meine",  "meinen", "meinem",
                                             "meiner", "meines", NULL};
static const char *const de_new_words[] = {"neu",         "neue",      "neuen", "neuer",  "neues",
                                           "ein",         "einen",     "eine",  "buchen", "machen",
                                           "vereinbaren", "ausmachen", NULL};
static const char *const de_change_reported[] = {"wurde", "wurden", "worden",  "war",
                                                 "waren", "schon",  "bereits", NULL};
static const struct ivrsm_phrase_value de_change_verbs[] = {
    {"verschieb", IVRSM_CHANGE_MOVE},   {"verschob", IVRSM_CHANGE_MOVE},
    {"verleg", IVRSM_CHANGE_MOVE},      {"umleg", IVRSM_CHANGE_MOVE},
    {"umgeleg", IVRSM_CHANGE_MOVE},     {"umbuch", IVRSM_CHANGE_MOVE},
    {"umgebucht", IVRSM_CHANGE_MOVE},   {"absag", IVRSM_CHANGE_CANCEL},
    {"abgesag", IVRSM_CHANGE_CANCEL},   {"stornier", IVRSM_CHANGE_CANCEL},
    {"abbestell", IVRSM_CHANGE_CANCEL}, {"aender", IVRSM_CHANGE_ALTER},
    {"geaender", IVRSM_CHANGE_ALTER},   {NULL, 0}};
#undef DE_POSITION

static const char *const de_answer_fillers[] = {"aeh",
                                                "aehm",
                                                "also",
                                                "danke",
                                                "danke schoen",
                                                "vielen dank",
                                                "tschuess",
                                                "auf wiederhoeren",
                                                "auf wiedersehen",
                                                NULL};

/* What takes a phrase back when matching speech (ivrsm_text_heard(), docs/runtime.md): the
 * words of not knowing are no answer ("nicht" of "weiß nicht"), nor a phrase right after a
 * negation or a doubt ("nicht jetzt", "vielleicht ja"). */
static const struct ivrsm_text_words de_dont_know[] = {
    IVRSM_WORDS("weiss nicht"),
    IVRSM_WORDS("weiss ich nicht"),
    IVRSM_WORDS("ich weiss nicht"),
    IVRSM_WORDS("ich weiss es nicht"),
    IVRSM_WORDS("keine ahnung"),
    IVRSM_WORDS("nicht sicher"),
    IVRSM_WORDS("bin mir nicht sicher"),
    IVRSM_WORDS("ich bin mir nicht sicher"),
    IVRSM_WORDS("ich bin nicht sicher"),
    /* Not having heard or understood the question is no answer to it either. */
    IVRSM_WORDS("nicht verstanden"),
    IVRSM_WORDS("nicht gehoert"),
    IVRSM_WORDS("verstehe nicht"),
    IVRSM_WORDS("versteh ich nicht"),
    {NULL, 0},
};
static const struct ivrsm_text_words de_negations[] = {
    IVRSM_WORDS("nicht"),
    IVRSM_WORDS("kein"),
    IVRSM_WORDS("keine"),
    IVRSM_WORDS("keinen"),
    IVRSM_WORDS("keinem"),
    IVRSM_WORDS("keiner"),
    IVRSM_WORDS("nie"),
    IVRSM_WORDS("niemals"),
    IVRSM_WORDS("vielleicht"),
    IVRSM_WORDS("eventuell"),
    IVRSM_WORDS("weder"),
    IVRSM_WORDS("ohne"),
    {NULL, 0},
};
/* Where a negation's reach ends: "ich will nicht verschieben sondern stornieren", "noch nicht,
 * ich möchte verschieben". A main clause puts its verb second, so "ich will" and "ich möchte"
 * start one ("dass ich stornieren will" puts it last). No short answers: "noch nicht den
 * Termin stornieren" refuses, so "noch nicht" is no clause of its own. */
static const struct ivrsm_text_words de_clause_breaks[] = {
    IVRSM_WORDS("aber"),
    IVRSM_WORDS("sondern"),
    IVRSM_WORDS("doch"),
    IVRSM_WORDS("ja"),
    IVRSM_WORDS("nein"),
    IVRSM_WORDS("nee"),
    IVRSM_WORDS("okay"),
    IVRSM_WORDS("ok"),
    IVRSM_WORDS("lieber"),
    IVRSM_WORDS("stattdessen"),
    IVRSM_WORDS("jedoch"),
    IVRSM_WORDS("vielmehr"),
    IVRSM_WORDS("ich will"),
    IVRSM_WORDS("ich moechte"),
    IVRSM_WORDS("ich wuerde"),
    IVRSM_WORDS("wir wollen"),
    IVRSM_WORDS("wir moechten"),
    IVRSM_WORDS("weil"),
    /* The other verbs a caller puts second after "ich" to start a main clause: "ich möchte
     * stornieren, ich kann nicht kommen" cancels ("stornieren kann ich nicht" puts "ich" after
     * its verb, and refuses). */
    IVRSM_WORDS("ich kann"),
    IVRSM_WORDS("ich muss"),
    IVRSM_WORDS("ich habe"),
    IVRSM_WORDS("ich hab"),
    IVRSM_WORDS("ich bin"),
    IVRSM_WORDS("ich werde"),
    IVRSM_WORDS("ich brauche"),
    IVRSM_WORDS("ich hatte"),
    IVRSM_WORDS("ich haette"),
    IVRSM_WORDS("ich komme"),
    IVRSM_WORDS("wir koennen"),
    IVRSM_WORDS("wir muessen"),
    {NULL, 0},
};
/* German puts "nicht" after the verb and its objects ("ich storniere den Termin nicht", "das
 * möchte ich nicht"), so it takes back its whole clause, the words before it too: "ich möchte
 * stornieren, nicht verschieben" is no match, its comma lost (which of the two?), where "nicht
 * verschieben, sondern stornieren" and "ich möchte stornieren, weil ich nicht kommen kann"
 * cancel. "nein" after a phrase corrects it ("stornieren, nein, verschieben" moves); "gar
 * nicht" and "überhaupt nicht" are listed as their idioms are, so that they take back too. */
static const struct ivrsm_text_words de_clause_negations[] = {IVRSM_WORDS("nicht"),
                                                              IVRSM_WORDS("nie"),
                                                              IVRSM_WORDS("niemals"),
                                                              IVRSM_WORDS("nein"),
                                                              IVRSM_WORDS("nee"),
                                                              IVRSM_WORDS("gar nicht"),
                                                              IVRSM_WORDS("ueberhaupt nicht"),
                                                              {NULL, 0}};
/* A caller corrects themselves: "nein doch ja", "stornieren, ich meine verschieben", "nein,
 * Moment, ja" take back what came before ("doch" contradicts it). */
static const struct ivrsm_text_words de_corrections[] = {
    IVRSM_WORDS("doch"),       IVRSM_WORDS("ich meine"),  IVRSM_WORDS("besser gesagt"),
    IVRSM_WORDS("moment"),     IVRSM_WORDS("moment mal"), IVRSM_WORDS("warte"),
    IVRSM_WORDS("warten sie"), IVRSM_WORDS("quatsch"),    {NULL, 0}};
/* A caller who says both has said neither: "ja nein", "nein, ja". */
static const struct ivrsm_text_words de_answers_yes[] = {
    IVRSM_WORDS("ja"), IVRSM_WORDS("jawohl"), IVRSM_WORDS("jo"), {NULL, 0}};
static const struct ivrsm_text_words de_answers_no[] = {
    IVRSM_WORDS("nein"), IVRSM_WORDS("nee"), IVRSM_WORDS("noe"), {NULL, 0}};
/* Said every day, and no refusal: "kein Problem" is never "nein" (a machine that wants it for
 * "ja" lists it among the utterances of its "ja"). */
static const struct ivrsm_text_words de_idioms[] = {
    IVRSM_WORDS("kein problem"),
    IVRSM_WORDS("keine probleme"),
    IVRSM_WORDS("kein thema"),
    IVRSM_WORDS("keine ursache"),
    IVRSM_WORDS("keine sorge"),
    IVRSM_WORDS("keine sorgen"),
    IVRSM_WORDS("nicht schlimm"),
    IVRSM_WORDS("nicht so schlimm"),
    IVRSM_WORDS("macht nichts"),
    IVRSM_WORDS("gar nicht"),
    IVRSM_WORDS("ueberhaupt nicht"),
    IVRSM_WORDS("warum nicht"),
    IVRSM_WORDS("nichts zu danken"),
    IVRSM_WORDS("nicht der rede wert"),
    IVRSM_WORDS("kein ding"),
    IVRSM_WORDS("kein stress"),
    {NULL, 0},
};
/* The ways of saying yes and no (format.md, Intents: an intent that lists "ja" hears every
 * form of yes, one that lists "nein" every form of no): the answer words as the phone hears them
 * (the south's "jo", "freilich"), the adverbs said alone as an answer, and their negations,
 * longer ("natürlich nicht" is no where "natürlich" is yes). The bare answer first. */
static const struct ivrsm_text_words de_yes_forms[] = {
    IVRSM_WORDS("ja"),
    IVRSM_WORDS("jawohl"),
    IVRSM_WORDS("jawoll"),
    IVRSM_WORDS("jo"),
    IVRSM_WORDS("jap"),
    IVRSM_WORDS("japp"),
    IVRSM_WORDS("jep"),
    IVRSM_WORDS("jup"),
    IVRSM_WORDS("ja klar"),
    IVRSM_WORDS("klar"),
    IVRSM_WORDS("na klar"),
    IVRSM_WORDS("genau"),
    IVRSM_WORDS("richtig"),
    IVRSM_WORDS("stimmt"),
    IVRSM_WORDS("korrekt"),
    IVRSM_WORDS("sicher"),
    IVRSM_WORDS("natuerlich"),
    IVRSM_WORDS("selbstverstaendlich"),
    IVRSM_WORDS("auf jeden fall"),
    IVRSM_WORDS("gerne"),
    IVRSM_WORDS("gern"),
    IVRSM_WORDS("sehr gerne"),
    IVRSM_WORDS("okay"),
    IVRSM_WORDS("ok"),
    IVRSM_WORDS("in ordnung"),
    IVRSM_WORDS("einverstanden"),
    IVRSM_WORDS("passt"),
    IVRSM_WORDS("passt schon"),
    IVRSM_WORDS("freilich"),
    IVRSM_WORDS("bestimmt"),
    IVRSM_WORDS("absolut"),
    IVRSM_WORDS("exakt"),
    {NULL, 0},
};
static const struct ivrsm_text_words de_no_forms[] = {
    IVRSM_WORDS("nein"),
    IVRSM_WORDS("nee"),
    IVRSM_WORDS("noe"),
    IVRSM_WORDS("nein danke"),
    IVRSM_WORDS("auf keinen fall"),
    IVRSM_WORDS("auf gar keinen fall"),
    IVRSM_WORDS("keinesfalls"),
    IVRSM_WORDS("gar nicht"),
    IVRSM_WORDS("ueberhaupt nicht"),
    IVRSM_WORDS("eher nicht"),
    IVRSM_WORDS("lieber nicht"),
    IVRSM_WORDS("besser nicht"),
    IVRSM_WORDS("bloss nicht"),
    IVRSM_WORDS("nicht wirklich"),
    IVRSM_WORDS("natuerlich nicht"),
    IVRSM_WORDS("sicher nicht"),
    IVRSM_WORDS("bestimmt nicht"),
    IVRSM_WORDS("absolut nicht"),
    IVRSM_WORDS("niemals"),
    IVRSM_WORDS("negativ"),
    {NULL, 0},
};
static ivrsm_heard_cache de_heard_cache;

static const char *const de_de_tags[] = {"de-DE", "de", NULL};

/* How values are said (template formats): mobiles 0172 234 5678, others by area code. */
static const struct ivrsm_phone_format de_phone_formats[] = {
    {"01", 0, "4 3 4"}, {"", 0, "3 4"}, {NULL, 0, NULL}};

/* The prefixes of separable verbs ("absagen": "ich sage den Termin ab", "um ihn abzusagen"). */
/* A phrase's word said in another form: a noun of its verb ("Sperrung", "Absage" for
 * "sperren", "absagen") or inflected ("Karten", "meinen", "einem" for "Karte", "mein", "ein"),
 * and, with `compounds`, in a compound ("Kartensperrung", "Terminabsage", "Laborbefund"). */
static const struct ivrsm_word_ending de_word_endings[] = {
    /* inflected first, so that "Überweisungen" is "Überweisung" before "überweisen" */
    {"n", ""},  {"en", ""},      {"e", ""},     {"es", ""},  {"s", ""},   {"er", ""},
    {"em", ""}, {"ungen", "en"}, {"ung", "en"}, {"e", "en"}, {NULL, NULL}};

static const struct ivrsm_text_words de_separable_prefixes[] = {IVRSM_WORDS("ab"),
                                                                IVRSM_WORDS("an"),
                                                                IVRSM_WORDS("auf"),
                                                                IVRSM_WORDS("aus"),
                                                                IVRSM_WORDS("ein"),
                                                                IVRSM_WORDS("mit"),
                                                                IVRSM_WORDS("nach"),
                                                                IVRSM_WORDS("vor"),
                                                                IVRSM_WORDS("zu"),
                                                                IVRSM_WORDS("um"),
                                                                IVRSM_WORDS("zurueck"),
                                                                IVRSM_WORDS("weg"),
                                                                IVRSM_WORDS("fest"),
                                                                IVRSM_WORDS("her"),
                                                                IVRSM_WORDS("hin"),
                                                                IVRSM_WORDS("los"),
                                                                IVRSM_WORDS("durch"),
                                                                IVRSM_WORDS("vorbei"),
                                                                {NULL, 0}};

const struct ivrsm_locale ivrsm_locale_de_de = {
    .tag = "de-DE",
    .tags = de_de_tags,
    .name = "German (Germany)",
    .text = {.folds = de_folds,
             .dont_know = de_dont_know,
             .idioms = de_idioms,
             .negations = de_negations,
             .clause_breaks = de_clause_breaks,
             .clause_negations = de_clause_negations,
             .answers_yes = de_answers_yes,
             .answers_no = de_answers_no,
             .heard_cache = &de_heard_cache,
             .corrections = de_corrections,
             .yes_forms = de_yes_forms,
             .no_forms = de_no_forms,
             .separable_prefixes = de_separable_prefixes,
             .word_endings = de_word_endings,
             .compounds = true},
    .numbers = de_numbers,
    .numbers_index = &de_numbers_index,
    .lists_index = &de_lists_index,
    .digit_group_max = 99,
    /* 0 + area code (2 to 5 digits) + subscriber: 7 to 11 digits after the 0. */
    .country_code = "49",
    .trunk_prefix = "0",
    .international_prefix = "00",
    .national_digits_min = 7,
    .national_digits_max = 11,
    .national_without_trunk = 0,
    .plus_words = de_plus_words,
    .digit_fillers = de_digit_fillers,
    .letter_names = de_letter_names,
    .number_articles = de_number_articles,
    .weekdays = de_weekdays,
    .months = de_months,
    .numeric_date_order = IVRSM_DATE_DMY,
    .relative_days = de_relative_days,
    .past_relative_days = de_past_relative_days,
    .next_words_before = de_next_words_before,
    .after_next_words_before = de_after_next_words_before,
    .week_after_words = de_week_after_words,
    .next_week = de_next_week,
    .this_week = de_this_week,
    .this_weekend = de_this_weekend,
    .this_month = de_this_month,
    .next_month = de_next_month,
    .in_words = de_in_words,
    .one_words = de_one_words,
    .day_units = de_day_units,
    .week_units = de_week_units,
    .day_ordinals = de_day_ordinals,
    .asap = de_asap,
    .date_articles = de_date_articles,
    .date_lead_fillers = de_date_lead_fillers,
    .date_trail_fillers = de_date_trail_fillers,
    .year_thousands = de_year_thousands,
    .year_hundreds = de_year_hundreds,
    .year_glued = de_year_glued,
    .past_lead_fillers = de_past_lead_fillers,
    .ago_words_before = de_ago_words_before,
    .last_words_before = de_last_words_before,
    .time_words_before = de_time_words_before,
    .time_words = de_time_words,
    .past_trail_fillers = de_past_trail_fillers,
    .negative_answers = de_negative_answers,
    .answer_fillers = de_answer_fillers,
    .key_words = de_key_words,
    .position_ordinals = de_position_ordinals,
    .position_relative = de_position_relative,
    .possessives = de_possessives,
    .new_words = de_new_words,
    .change_verbs = de_change_verbs,
    .change_reported = de_change_reported,
    .say =
        {
            .weekdays = {"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag",
                         "Sonntag"},
            .months = {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
                       "September", "Oktober", "November", "Dezember"},
            .date = "%W, den %d. %M", /* "am Donnerstag, den 3. Dezember" */
            .year = " %Y",
            .time = "%H Uhr %n",
            .time_on_the_hour = "%H Uhr",
            .decimal_mark = ',',
            .currency = {"Euro", "Euro"},
            .subunit = {"Cent", "Cent"},
            .currency_join = " und ",
            .minus = "minus",
            .yes_no = {"ja", "nein"},
            .phone_by_digit = 1,
            .phone_formats = de_phone_formats,
        },
};
