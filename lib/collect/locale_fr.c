/*
 * French locale tables: fr-FR (France), fr-BE (Belgium), fr-CH (Switzerland).
 *
 * They share the words of the language and differ in numbers and phones:
 * Belgium counts 70 and 90 as "septante" and "nonante" and has national
 * numbers of 8 or 9 digits after the trunk "0"; Switzerland adds "huitante"
 * for 80. All text is in normalised form (see locale_tables.h).
 */
#include "locale_tables.h"

#include <stddef.h>

/* clang-format off */

/* Words for 0..59 and 100 shared by every French-speaking country. */
#define FR_UNITS_AND_TENS                                                                          \
    {"zero", 0, 0, 0},      {"un", 1, 0, 0},        {"une", 1, 0, 0},      {"deux", 2, 0, 0},      \
    {"trois", 3, 0, 0},     {"quatre", 4, 0, 0},    {"cinq", 5, 0, 0},     {"six", 6, 0, 0},       \
    {"sept", 7, 0, 0},      {"huit", 8, 0, 0},      {"neuf", 9, 0, 0},     {"dix", 10, 7, 9},      \
    {"onze", 11, 0, 0},     {"douze", 12, 0, 0},    {"treize", 13, 0, 0},  {"quatorze", 14, 0, 0}, \
    {"quinze", 15, 0, 0},   {"seize", 16, 0, 0},    {"vingt", 20, 1, 9},   {"trente", 30, 1, 9},   \
    {"quarante", 40, 1, 9}, {"cinquante", 50, 1, 9}, {"cent", 100, 1, 99}

static const struct ivrsm_number_word fr_fr_numbers[] = {
    FR_UNITS_AND_TENS,
    /* 60..99 count by twenties: soixante-dix = 60 + 10, quatre-vingt-dix-neuf = 80 + 19. */
    {"soixante", 60, 1, 19},
    {"quatre vingt", 80, 1, 19},
    {"quatre vingts", 80, 0, 0},
    {NULL, 0, 0, 0},
};
static ivrsm_number_index fr_fr_numbers_index;
static ivrsm_list_index fr_fr_lists_index;

/* Belgium counts 70 and 90 by tens and keeps quatre-vingts for 80. */
static const struct ivrsm_number_word fr_be_numbers[] = {
    FR_UNITS_AND_TENS,
    {"soixante", 60, 1, 9},
    {"septante", 70, 1, 9},
    {"quatre vingt", 80, 1, 19},
    {"quatre vingts", 80, 0, 0},
    {"nonante", 90, 1, 9},
    {NULL, 0, 0, 0},
};
static ivrsm_number_index fr_be_numbers_index;
static ivrsm_list_index fr_be_lists_index;

/* Switzerland also says huitante (or octante) for 80; quatre-vingts is understood too. */
static const struct ivrsm_number_word fr_ch_numbers[] = {
    FR_UNITS_AND_TENS,
    {"soixante", 60, 1, 9},
    {"septante", 70, 1, 9},
    {"huitante", 80, 1, 9},
    {"octante", 80, 1, 9},
    {"quatre vingt", 80, 1, 19},
    {"quatre vingts", 80, 0, 0},
    {"nonante", 90, 1, 9},
    {NULL, 0, 0, 0},
};
static ivrsm_number_index fr_ch_numbers_index;
static ivrsm_list_index fr_ch_lists_index;

/* clang-format on */

static const char *const fr_number_joiners[] = {"et", NULL};
static const struct ivrsm_phrase_value fr_day_ordinals[] = {
    {"premier", 1}, {"1er", 1}, {"1ier", 1}, {NULL, 0}};
static const char *const fr_ordinal_suffixes[] = {"er", "ier", NULL};
static const char *const fr_plus_words[] = {"plus", NULL};
static const char *const fr_digit_fillers[] = {
    "euh",    "heu",      "hum",     "alors", "voila", "c est", "mon numero", "le numero",
    "numero", "mon code", "le code", "code",  "est",   "le",    NULL};

/* Letters said by their names, for codes spelled ("reference"). */
static const struct ivrsm_phrase_value fr_letter_names[] = {
    {"be", 'b'}, {"ce", 'c'}, {"de", 'd'}, {"effe", 'f'}, {"ef", 'f'}, {"ge", 'g'}, {"hache", 'h'},
    {"ache", 'h'}, {"ji", 'j'}, {"gi", 'j'}, {"ka", 'k'}, {"elle", 'l'}, {"el", 'l'},
    {"emme", 'm'}, {"em", 'm'}, {"enne", 'n'}, {"en", 'n'}, {"pe", 'p'}, {"ku", 'q'},
    {"erre", 'r'}, {"er", 'r'}, {"esse", 's'}, {"es", 's'}, {"te", 't'}, {"ve", 'v'},
    {"double ve", 'w'}, {"double v", 'w'}, {"ixe", 'x'}, {"iks", 'x'}, {"i grec", 'y'},
    {"zede", 'z'}, {NULL, 0}};
static const struct ivrsm_phrase_value fr_weekdays[] = {
    {"lundi", 0},    {"mardi", 1},  {"mercredi", 2}, {"jeudi", 3},
    {"vendredi", 4}, {"samedi", 5}, {"dimanche", 6}, {NULL, 0}};
static const struct ivrsm_phrase_value fr_months[] = {
    {"janvier", 1},   {"fevrier", 2},   {"mars", 3}, {"avril", 4},     {"mai", 5},
    {"juin", 6},      {"juillet", 7},   {"aout", 8}, {"septembre", 9}, {"octobre", 10},
    {"novembre", 11}, {"decembre", 12}, {NULL, 0}};
static const struct ivrsm_phrase_value fr_relative_days[] = {
    {"aujourd hui", 0},
    {"demain", 1},
    {"apres demain", 2},
    {NULL, 0},
};
static const struct ivrsm_phrase_value fr_past_relative_days[] = {
    {"aujourd hui", 0},
    {"hier", 1},
    {"avant hier", 2},
    {"ce matin", 0},
    {NULL, 0},
};
/* "lundi en huit": a week after the coming Monday. */
static const char *const fr_week_after_words[] = {"en huit", NULL};
static const char *const fr_next_words[] = {"prochain", "prochaine", "qui vient", NULL};
static const char *const fr_next_week[] = {"la semaine prochaine", "semaine prochaine",
                                           "la semaine d apres", NULL};
static const char *const fr_this_weekend[] = {"ce week end", "ce weekend", "le week end",
                                              "le weekend", NULL};
static const char *const fr_this_month[] = {"ce mois ci", "dans le mois", "ce mois", NULL};
static const char *const fr_this_week[] = {"cette semaine", "dans la semaine", NULL};
static const char *const fr_next_month[] = {"le mois prochain", "mois prochain", NULL};
static const char *const fr_in_words[] = {"dans", NULL};
static const char *const fr_day_units[] = {"jours", "jour", NULL};
static const char *const fr_week_units[] = {"semaines", "semaine", NULL};
/* Between a day and its month said as a number ("le 3 du 5"). */
static const char *const fr_month_number_joiners[] = {"du", "de", NULL};
static const char *const fr_asap[] = {"des que possible",
                                      "le plus tot possible",
                                      "au plus tot",
                                      "le plus vite possible",
                                      "au plus vite",
                                      "le plus rapidement possible",
                                      "je ne sais pas",
                                      "je sais pas",
                                      "j sais pas",
                                      "n importe quand",
                                      "n importe quel jour",
                                      "peu importe",
                                      "quand vous voulez",
                                      "ca m est egal",
                                      "pas de preference",
                                      "aucune preference",
                                      "je n ai pas de preference",
                                      NULL};
static const char *const fr_date_articles[] = {"le", "ce", NULL};
/* Years said in words: "mille neuf cent quatre-vingt-cinq", "dix-neuf cent cinq", "deux mille". */
static const struct ivrsm_phrase_value fr_year_thousands[] = {
    {"mille", 1000}, {"mil", 1000}, {"deux mille", 2000}, {NULL, 0}};
static const char *const fr_year_hundreds[] = {"cent", "cents", NULL};
/* A day gone by counted from today: "il y a trois jours", "lundi dernier". */
/* "depuis trois jours": the days counted back to when it started. */
static const char *const fr_ago_words_before[] = {"il y a", "ca fait", "depuis", NULL};
static const char *const fr_last_words[] = {"dernier", "passe", NULL};
/* A time after a date: "jeudi a quinze heures trente", "demain vers 10 h". */
static const char *const fr_time_words_before[] = {
    "a", "vers", "aux alentours de", "sur les", "dans les", "apres", "avant", "pour", NULL};
static const char *const fr_time_words[] = {
    "heures",   "heure",       "h",     "et demie", "et demi", "et quart", "moins le quart",
    "moins",    "du matin",    "de l apres midi",   "de l aprem", "du soir", "midi",
    "minuit",   "pile",        "environ", NULL};
static const char *const fr_past_lead_fillers[] = {
    "c etait",       "ca s est passe",     "c est arrive", "ca s est produit",
    "je suis ne",    "je suis nee",        "il est ne",  "elle est nee",
    "ne",            "nee",                "c est",      "ma date de naissance est",
    "ma date de naissance c est", "date de naissance", "sa date de naissance est",
    "depuis", /* "depuis hier", "depuis samedi": the day it started */
    NULL};
static const char *const fr_date_lead_fillers[] = {"euh",
                                                   "heu",
                                                   "alors",
                                                   "disons",
                                                   "plutot",
                                                   "de preference",
                                                   "je prefere",
                                                   "je voudrais",
                                                   "j aimerais",
                                                   "ce serait",
                                                   "c est",
                                                   "ca serait",
                                                   "pour",
                                                   "plutot pour",
                                                   "oui",
                                                   "a partir de",
                                                   "a partir du",
                                                   "a partir d",
                                                   "des",
                                                   "des le",
                                                   "je suis disponible",
                                                   "je suis libre",
                                                   "disponible",
                                                   "libre",
                                                   NULL};
static const char *const fr_date_trail_fillers[] = {"matin",
                                                    "au matin",
                                                    "dans la matinee",
                                                    "apres midi",
                                                    "dans l apres midi",
                                                    "soir",
                                                    "en fin de journee",
                                                    "s il vous plait",
                                                    "svp",
                                                    "merci",
                                                    "si possible",
                                                    "de preference",
                                                    NULL};

static const char *const fr_negative_answers[] = {"non",
                                                  "non merci",
                                                  "pas de commentaire",
                                                  "pas de commentaires",
                                                  "aucun commentaire",
                                                  "aucun",
                                                  "rien",
                                                  "rien du tout",
                                                  "non rien",
                                                  "rien a dire",
                                                  "rien a ajouter",
                                                  "je n ai rien a dire",
                                                  "j ai rien a dire",
                                                  "je n ai rien a ajouter",
                                                  "non c est tout",
                                                  "c est tout",
                                                  "ca ira",
                                                  "non ca ira",
                                                  "pas la peine",
                                                  "non pas de commentaire",
                                                  "rien de special",
                                                  "rien de particulier",
                                                  "rien d autre",
                                                  "pas de message",
                                                  "c est bon",
                                                  "non c est bon",
                                                  "c est bon comme ca",
                                                  "ca va",
                                                  "tout va bien",
                                                  "tout est bon",
                                                  "ce sera tout",
                                                  "ca sera tout",
                                                  "non ce sera tout",
                                                  NULL};
/* Said around a key said instead of pressed ("option 3", ivrsm_locale_key_said()). */
static const char *const fr_key_words[] = {
    "option", "touche", "la",    "le",   "l",    "choix",    "numero", "je",
    "tape",   "tapes",  "tapez", "taper", "appuie", "appuyer", "sur", "choisis",
    "prends", "veux",   "voudrais", "dis", "dire", "fais", "faire", "s",
    "il",     "vous",   "plait", "c",    "est",  "alors",    "donc",   NULL};

/* A choice from a list said by its place: the ordinals of the routes' phrases, and the places
 * counted from the end ("le dernier", "l'avant-dernière") or the middle ("celui du milieu"). */
static const struct ivrsm_phrase_value fr_position_ordinals[] = {
    {"premier", 1},    {"premiere", 1},  {"deuxieme", 2}, {"second", 2},    {"seconde", 2},
    {"troisieme", 3},  {"quatrieme", 4}, {"cinquieme", 5}, {"sixieme", 6},  {"septieme", 7},
    {"huitieme", 8},   {"neuvieme", 9},  {"dixieme", 10},  {NULL, 0}};
static const struct ivrsm_phrase_value fr_position_relative[] = {
    {"dernier", IVRSM_POSITION_LAST},
    {"derniere", IVRSM_POSITION_LAST},
    {"avant dernier", IVRSM_POSITION_BEFORE_LAST},
    {"avant derniere", IVRSM_POSITION_BEFORE_LAST},
    {"du milieu", IVRSM_POSITION_MIDDLE},
    {"au milieu", IVRSM_POSITION_MIDDLE},
    {NULL, 0}};

/* The caller's own thing against a new one, and the verbs that change what exists
 * (locale_tables.h): "mon rendez-vous" is no booking; "le décaler" is moving it. */
static const char *const fr_possessives[] = {"mon", "ma", "mes", NULL};
static const char *const fr_new_words[] = {"nouveau", "nouvel",  "nouvelle", "un", "une",
                                           "autre",   "prendre", "reserver", NULL};
static const char *const fr_change_reported[] = {"ete", "etait", "etaient", "deja", NULL};
static const struct ivrsm_phrase_value fr_change_verbs[] = {{"deplac", IVRSM_CHANGE_MOVE},
                                                            {"decal", IVRSM_CHANGE_MOVE},
                                                            {"report", IVRSM_CHANGE_MOVE},
                                                            {"repouss", IVRSM_CHANGE_MOVE},
                                                            {"replanif", IVRSM_CHANGE_MOVE},
                                                            {"annul", IVRSM_CHANGE_CANCEL},
                                                            {"decommand", IVRSM_CHANGE_CANCEL},
                                                            {"supprim", IVRSM_CHANGE_CANCEL},
                                                            {"chang", IVRSM_CHANGE_ALTER},
                                                            {"modifi", IVRSM_CHANGE_ALTER},
                                                            {NULL, 0}};

static const char *const fr_answer_fillers[] = {
    "euh", "heu", "alors", "merci", "merci beaucoup", "au revoir", NULL};

/* How values are said (template formats): written for the synthesiser, accents kept. */
static const char *const fr_day_words[31] = {"1er"};
static const struct ivrsm_phone_format fr_fr_phone_formats[] = {{"", 0, "2"}, {NULL, 0, NULL}};
/* Belgium: mobiles 04XX XX XX XX; Brussels, Antwerp, Liège, Ghent 0X XXX XX XX; others 0XX XX XX
 * XX. */
static const struct ivrsm_phone_format fr_be_phone_formats[] = {
    {"04", 10, "4 2 2 2"}, {"02", 9, "2 3 2 2"}, {"03", 9, "2 3 2 2"}, {"04", 9, "2 3 2 2"},
    {"09", 9, "2 3 2 2"},  {"", 0, "3 2 2 2"},   {NULL, 0, NULL}};
static const struct ivrsm_phone_format fr_ch_phone_formats[] = {{"", 0, "3 3 2 2"},
                                                                {NULL, 0, NULL}};

#define FR_SAY(money, money_plural, sub, sub_plural, formats)                                      \
    {                                                                                              \
        .weekdays = {"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"},     \
        .months = {"janvier", "février", "mars",      "avril",   "mai",      "juin",               \
                   "juillet", "août",    "septembre", "octobre", "novembre", "décembre"},          \
        .day_words = fr_day_words, .date = "%W %D %M", .year = " %Y", .time = "%H h %m",           \
        .time_on_the_hour = "%H h", .am_pm = {"", ""}, .decimal_mark = ',',                        \
        .currency = {money, money_plural}, .subunit = {sub, sub_plural}, .currency_join = " et ",  \
        .minus = "moins", .zero_singular = 1,                                                      \
        .yes_no = {"oui", "non"}, .phone_by_digit = 0, .phone_formats = formats                    \
    }

/* What takes a phrase back when matching speech (ivrsm_text_heard(), docs/runtime.md): the
 * words of not knowing are no answer ("pas" of "je sais pas"), nor a phrase right after a
 * negation or a doubt ("pas oui", "peut-être oui"). */
static const struct ivrsm_text_words fr_dont_know[] = {
    IVRSM_WORDS("je ne sais pas"),
    IVRSM_WORDS("je sais pas"),
    IVRSM_WORDS("j sais pas"),
    IVRSM_WORDS("sais pas"),
    IVRSM_WORDS("je n en sais rien"),
    IVRSM_WORDS("j en sais rien"),
    IVRSM_WORDS("aucune idee"),
    IVRSM_WORDS("pas d idee"),
    IVRSM_WORDS("je ne suis pas sur"),
    IVRSM_WORDS("je ne suis pas sure"),
    IVRSM_WORDS("je suis pas sur"),
    IVRSM_WORDS("je suis pas sure"),
    IVRSM_WORDS("pas sur"),
    IVRSM_WORDS("pas sure"),
    IVRSM_WORDS("pas certain"),
    IVRSM_WORDS("pas certaine"),
    /* Not having heard or understood the question is no answer to it either. */
    IVRSM_WORDS("pas compris"),
    IVRSM_WORDS("pas entendu"),
    IVRSM_WORDS("pas bien compris"),
    IVRSM_WORDS("pas bien entendu"),
    {NULL, 0},
};
/* "ne" and "n" too: "je n'annule pas" takes "annule" back ("sais pas" is still heard in "je
 * ne sais pas": a phrase that holds a negation is a refusal as said). The "pas" after a verb,
 * its "ne" dropped as it is on the phone ("j'annule pas"), is read by fr_negations_after.
 * "plus" is the "pas" of "no longer" ("je veux plus annuler", "je ne veux plus annuler"); where
 * it means "more" it is said in set phrases (fr_idioms: "plus tard", "en plus"), or the sentence
 * is a no-match: spoken "plus" is both ("j'en veux plus"), and the recogniser writes them alike. */
static const struct ivrsm_text_words fr_negations[] = {
    IVRSM_WORDS("pas"),  IVRSM_WORDS("peut etre"), IVRSM_WORDS("ne"),       IVRSM_WORDS("n"),
    IVRSM_WORDS("jamais"), IVRSM_WORDS("sans"),    IVRSM_WORDS("non plus"), IVRSM_WORDS("ni"),
    IVRSM_WORDS("plus"), {NULL, 0},
};
/* Where a negation's reach ends: "je ne veux pas déplacer mais annuler", "pas maintenant,
 * non, je veux annuler", "je veux annuler parce que je ne peux pas venir". Not "si" (also
 * "if": "je ne sais pas si je veux annuler"), nor "et". */
static const struct ivrsm_text_words fr_clause_breaks[] = {
    IVRSM_WORDS("mais"),   IVRSM_WORDS("plutot"),      IVRSM_WORDS("par contre"),
    IVRSM_WORDS("en fait"), IVRSM_WORDS("en revanche"), IVRSM_WORDS("au contraire"),
    IVRSM_WORDS("oui"),    IVRSM_WORDS("ouais"),       IVRSM_WORDS("non"),
    IVRSM_WORDS("d accord"), IVRSM_WORDS("ok"),        IVRSM_WORDS("okay"),
    IVRSM_WORDS("alors"),  IVRSM_WORDS("donc"),        IVRSM_WORDS("sinon"),
    IVRSM_WORDS("parce que"), IVRSM_WORDS("car"),      IVRSM_WORDS("puisque"),
    {NULL, 0},
};
/* French puts "pas" right after the conjugated verb, and the phone drops its "ne": "j'annule
 * pas", "je veux pas", "je confirme pas du tout" take the verb before them back. Only the word
 * right before: the object follows "pas" ("j'annule pas le rendez-vous"), and a clause may
 * follow an other's verb ("je voudrais annuler je peux pas venir" cancels). */
static const struct ivrsm_text_words fr_negations_after[] = {
    IVRSM_WORDS("pas"), IVRSM_WORDS("jamais"), IVRSM_WORDS("pas du tout"), IVRSM_WORDS("plus"),
    {NULL, 0}};
/* A caller corrects themselves: "oui, enfin non", "oui non attendez non", "annuler, pardon,
 * déplacer" take back what came before (a phrase that holds one, "pardon" for "répétez", is
 * heard). */
static const struct ivrsm_text_words fr_corrections[] = {
    IVRSM_WORDS("attendez"), IVRSM_WORDS("attends"), IVRSM_WORDS("enfin"),
    IVRSM_WORDS("je veux dire"), IVRSM_WORDS("ou plutot"), IVRSM_WORDS("pardon"),
    IVRSM_WORDS("excusez moi"), IVRSM_WORDS("je me suis trompe"), {NULL, 0}};
/* "non" after a phrase corrects it: "j'annule, non, je déplace" moves. */
static const struct ivrsm_text_words fr_clause_negations[] = {
    IVRSM_WORDS("non"), IVRSM_WORDS("nan"), {NULL, 0}};
/* A caller who says both has said neither: "oui non", "non oui". */
static const struct ivrsm_text_words fr_answers_yes[] = {
    IVRSM_WORDS("oui"), IVRSM_WORDS("ouais"), IVRSM_WORDS("ouaip"), {NULL, 0}};
static const struct ivrsm_text_words fr_answers_no[] = {
    IVRSM_WORDS("non"), IVRSM_WORDS("nan"), {NULL, 0}};
/* Refusals complete in themselves: "pas encore, je veux déplacer" moves. */
static const struct ivrsm_text_words fr_short_answers[] = {
    IVRSM_WORDS("pas encore"),        IVRSM_WORDS("pas maintenant"),
    IVRSM_WORDS("pas tout de suite"), IVRSM_WORDS("pas aujourd hui"),
    IVRSM_WORDS("pas vraiment"),      IVRSM_WORDS("pas pour l instant"),
    IVRSM_WORDS("pas pour le moment"), IVRSM_WORDS("toujours pas"),
    IVRSM_WORDS("pas cette fois"),    {NULL, 0},
};
/* Said every day, and no refusal: "pas de problème" is never "non" (a machine that wants it for
 * "oui" lists it among the utterances of its "oui"). */
static const struct ivrsm_text_words fr_idioms[] = {
    IVRSM_WORDS("pas de probleme"),  IVRSM_WORDS("pas de problemes"),
    IVRSM_WORDS("pas de souci"),     IVRSM_WORDS("pas de soucis"),
    IVRSM_WORDS("sans probleme"),    IVRSM_WORDS("sans souci"),
    IVRSM_WORDS("sans soucis"),      IVRSM_WORDS("aucun probleme"),
    IVRSM_WORDS("aucun souci"),      IVRSM_WORDS("il n y a pas de probleme"),
    IVRSM_WORDS("il n y a pas de souci"), IVRSM_WORDS("y a pas de probleme"),
    IVRSM_WORDS("y a pas de souci"), IVRSM_WORDS("pas grave"),
    IVRSM_WORDS("c est pas grave"),  IVRSM_WORDS("ce n est pas grave"),
    IVRSM_WORDS("ca ne fait rien"),  IVRSM_WORDS("ne vous inquietez pas"),
    IVRSM_WORDS("pas de quoi"),      IVRSM_WORDS("il n y a pas de quoi"),
    IVRSM_WORDS("pourquoi pas"),     IVRSM_WORDS("pas du tout"),
    IVRSM_WORDS("n est ce pas"),
    /* "plus" that means "more", not "no longer": "reporter plus tard", "en plus". */
    IVRSM_WORDS("plus tard"),        IVRSM_WORDS("plus tot"),
    IVRSM_WORDS("au plus vite"),     IVRSM_WORDS("au plus tot"),
    IVRSM_WORDS("en plus"),          IVRSM_WORDS("de plus"),
    IVRSM_WORDS("de plus en plus"),  {NULL, 0},
};
/* The ways of saying yes and no (format.md, Intents: an intent that lists "oui" hears every
 * form of yes, one that lists "non" every form of no): the answer words as the phone hears them,
 * the adverbs said alone as an answer, and their negations, longer ("absolument pas" is no where
 * "absolument" is yes). The bare answer first. */
static const struct ivrsm_text_words fr_yes_forms[] = {
    IVRSM_WORDS("oui"), IVRSM_WORDS("ouais"), IVRSM_WORDS("ouaip"), IVRSM_WORDS("ouai"),
    IVRSM_WORDS("bien sur"), IVRSM_WORDS("bien entendu"), IVRSM_WORDS("bien evidemment"),
    IVRSM_WORDS("evidemment"), IVRSM_WORDS("carrement"), IVRSM_WORDS("absolument"),
    IVRSM_WORDS("tout a fait"), IVRSM_WORDS("exactement"), IVRSM_WORDS("exact"),
    IVRSM_WORDS("d accord"), IVRSM_WORDS("ok"), IVRSM_WORDS("okay"), IVRSM_WORDS("entendu"),
    IVRSM_WORDS("volontiers"), IVRSM_WORDS("parfait"), IVRSM_WORDS("c est ca"),
    IVRSM_WORDS("c est bien ca"), IVRSM_WORDS("c est exact"), IVRSM_WORDS("c est correct"),
    IVRSM_WORDS("affirmatif"), IVRSM_WORDS("certainement"), {NULL, 0},
};
static const struct ivrsm_text_words fr_no_forms[] = {
    IVRSM_WORDS("non"), IVRSM_WORDS("nan"), IVRSM_WORDS("non merci"), IVRSM_WORDS("pas du tout"),
    IVRSM_WORDS("absolument pas"), IVRSM_WORDS("certainement pas"), IVRSM_WORDS("surtout pas"),
    IVRSM_WORDS("evidemment pas"), IVRSM_WORDS("carrement pas"), IVRSM_WORDS("bien sur que non"),
    IVRSM_WORDS("pas vraiment"), IVRSM_WORDS("pas question"), IVRSM_WORDS("hors de question"),
    IVRSM_WORDS("jamais de la vie"), IVRSM_WORDS("negatif"), {NULL, 0},
};
static ivrsm_heard_cache fr_heard_cache;

static const char *const fr_fr_tags[] = {"fr-FR", "fr", NULL};
static const char *const fr_be_tags[] = {"fr-BE", NULL};
static const char *const fr_ch_tags[] = {"fr-CH", NULL};

/* The parts of the table that Belgium shares with France. */
#define FR_COMMON_FIELDS                                                                           \
    .text = {.dont_know = fr_dont_know,                                                            \
             .idioms = fr_idioms,                                                                  \
             .negations = fr_negations,                                                            \
             .clause_breaks = fr_clause_breaks,                                                    \
             .short_answers = fr_short_answers,                                                    \
             .negations_after = fr_negations_after,                                                \
             .clause_negations = fr_clause_negations,                                              \
             .answers_yes = fr_answers_yes,                                                        \
             .answers_no = fr_answers_no,                                                          \
             .heard_cache = &fr_heard_cache,                                                       \
             .corrections = fr_corrections,                                                        \
             .yes_forms = fr_yes_forms,                                                            \
             .no_forms = fr_no_forms},                                                             \
    .number_joiners = fr_number_joiners, .digit_group_max = 99, .day_ordinals = fr_day_ordinals,   \
    .ordinal_suffixes = fr_ordinal_suffixes, .national_without_trunk = 1,                          \
    .international_prefix = "00", .plus_words = fr_plus_words, .digit_fillers = fr_digit_fillers,  \
    .letter_names = fr_letter_names, .weekdays = fr_weekdays, .months = fr_months,                 \
    .numeric_date_order = IVRSM_DATE_DMY, .relative_days = fr_relative_days,                       \
    .past_relative_days = fr_past_relative_days, .next_words = fr_next_words,                      \
    .next_week = fr_next_week, .week_after_words = fr_week_after_words, .this_week = fr_this_week, \
    .this_weekend = fr_this_weekend, .this_month = fr_this_month, .next_month = fr_next_month,     \
    .in_words = fr_in_words, .day_units = fr_day_units, .week_units = fr_week_units,               \
    .asap = fr_asap, .month_number_joiners = fr_month_number_joiners,                              \
    .date_articles = fr_date_articles, .date_lead_fillers = fr_date_lead_fillers,                  \
    .date_trail_fillers = fr_date_trail_fillers, .negative_answers = fr_negative_answers,          \
    .year_thousands = fr_year_thousands, .year_hundreds = fr_year_hundreds,                        \
    .past_lead_fillers = fr_past_lead_fillers, .ago_words_before = fr_ago_words_before,            \
    .last_words = fr_last_words, .time_words_before = fr_time_words_before,                        \
    .time_words = fr_time_words, .answer_fillers = fr_answer_fillers, .key_words = fr_key_words,   \
    .position_ordinals = fr_position_ordinals, .position_relative = fr_position_relative,          \
    .possessives = fr_possessives, .new_words = fr_new_words, .change_verbs = fr_change_verbs,     \
    .change_reported = fr_change_reported

const struct ivrsm_locale ivrsm_locale_fr_fr = {
    .tag = "fr-FR",
    .tags = fr_fr_tags,
    .name = "French (France)",
    .numbers = fr_fr_numbers,
    .numbers_index = &fr_fr_numbers_index,
    .lists_index = &fr_fr_lists_index,
    .country_code = "33",
    .trunk_prefix = "0",
    .national_digits_min = 9,
    .national_digits_max = 9,
    .say = FR_SAY("euro", "euros", "centime", "centimes", fr_fr_phone_formats),
    FR_COMMON_FIELDS,
};

const struct ivrsm_locale ivrsm_locale_fr_be = {
    .tag = "fr-BE",
    .tags = fr_be_tags,
    .name = "French (Belgium)",
    .numbers = fr_be_numbers,
    .numbers_index = &fr_be_numbers_index,
    .lists_index = &fr_be_lists_index,
    .country_code = "32",
    .trunk_prefix = "0",
    .national_digits_min = 8, /* 0X XXX XX XX (fixed lines) */
    .national_digits_max = 9, /* 04XX XX XX XX (mobiles) */
    .say = FR_SAY("euro", "euros", "centime", "centimes", fr_be_phone_formats),
    FR_COMMON_FIELDS,
};

const struct ivrsm_locale ivrsm_locale_fr_ch = {
    .tag = "fr-CH",
    .tags = fr_ch_tags,
    .name = "French (Switzerland)",
    .numbers = fr_ch_numbers,
    .numbers_index = &fr_ch_numbers_index,
    .lists_index = &fr_ch_lists_index,
    .country_code = "41",
    .trunk_prefix = "0",
    .national_digits_min = 9, /* 0XX XXX XX XX */
    .national_digits_max = 9,
    .say = FR_SAY("franc", "francs", "centime", "centimes", fr_ch_phone_formats),
    FR_COMMON_FIELDS,
};
