/*
 * Spanish locale table: es-ES (Spain).
 *
 * Speech keeps ñ apart from n ("año" is not "ano"): the table's fold says so,
 * and every phrase below is written with it. Other accents fold as usual
 * ("miércoles" is "miercoles"). Phone numbers have nine digits, no trunk
 * prefix, and are often said in groups of three: "seiscientos doce" is 612.
 */
#include "locale_tables.h"

#include <stddef.h>

/* clang-format off */

#define ES_ENYE "\xc3\xb1" /* ñ, kept by the normaliser */

static const struct ivrsm_text_fold es_folds[] = {
    {0x00D1, ES_ENYE}, /* Ñ */
    {0x00F1, ES_ENYE}, /* ñ */
    {0, NULL},
};

/* 0..99 and the hundreds: "treinta y cuatro" is 30 + 4, "ciento doce" 100 + 12. */
static const struct ivrsm_number_word es_numbers[] = {
    {"cero", 0, 0, 0},         {"uno", 1, 0, 0},          {"un", 1, 0, 0},
    {"una", 1, 0, 0},          {"dos", 2, 0, 0},          {"tres", 3, 0, 0},
    {"cuatro", 4, 0, 0},       {"cinco", 5, 0, 0},        {"seis", 6, 0, 0},
    {"siete", 7, 0, 0},        {"ocho", 8, 0, 0},         {"nueve", 9, 0, 0},
    {"diez", 10, 0, 0},        {"once", 11, 0, 0},        {"doce", 12, 0, 0},
    {"trece", 13, 0, 0},       {"catorce", 14, 0, 0},     {"quince", 15, 0, 0},
    {"dieciseis", 16, 0, 0},   {"diecisiete", 17, 0, 0},  {"dieciocho", 18, 0, 0},
    {"diecinueve", 19, 0, 0},  {"veinte", 20, 0, 0},      {"veintiuno", 21, 0, 0},
    {"veintiun", 21, 0, 0},    {"veintiuna", 21, 0, 0},   {"veintidos", 22, 0, 0},
    {"veintitres", 23, 0, 0},  {"veinticuatro", 24, 0, 0}, {"veinticinco", 25, 0, 0},
    {"veintiseis", 26, 0, 0},  {"veintisiete", 27, 0, 0}, {"veintiocho", 28, 0, 0},
    {"veintinueve", 29, 0, 0}, {"treinta", 30, 1, 9},     {"cuarenta", 40, 1, 9},
    {"cincuenta", 50, 1, 9},   {"sesenta", 60, 1, 9},     {"setenta", 70, 1, 9},
    {"ochenta", 80, 1, 9},     {"noventa", 90, 1, 9},     {"cien", 100, 0, 0},
    {"ciento", 100, 1, 99},    {"doscientos", 200, 1, 99}, {"doscientas", 200, 1, 99},
    {"trescientos", 300, 1, 99}, {"trescientas", 300, 1, 99}, {"cuatrocientos", 400, 1, 99},
    {"cuatrocientas", 400, 1, 99}, {"quinientos", 500, 1, 99}, {"quinientas", 500, 1, 99},
    {"seiscientos", 600, 1, 99}, {"seiscientas", 600, 1, 99}, {"setecientos", 700, 1, 99},
    {"setecientas", 700, 1, 99}, {"ochocientos", 800, 1, 99}, {"ochocientas", 800, 1, 99},
    {"novecientos", 900, 1, 99}, {"novecientas", 900, 1, 99},
    {NULL, 0, 0, 0},
};
static ivrsm_number_index es_numbers_index;
static ivrsm_list_index es_lists_index;

static const struct ivrsm_phrase_value es_weekdays[] = {
    {"lunes", 0},   {"martes", 1}, {"miercoles", 2}, {"jueves", 3},
    {"viernes", 4}, {"sabado", 5}, {"domingo", 6},   {NULL, 0},
};

static const struct ivrsm_phrase_value es_months[] = {
    {"enero", 1},       {"febrero", 2},    {"marzo", 3},      {"abril", 4},
    {"mayo", 5},        {"junio", 6},      {"julio", 7},      {"agosto", 8},
    {"septiembre", 9},  {"setiembre", 9},  {"octubre", 10},   {"noviembre", 11},
    {"diciembre", 12},  {NULL, 0},
};

/* clang-format on */

static const char *const es_number_joiners[] = {"y", NULL};
static const struct ivrsm_phrase_value es_day_ordinals[] = {{"primero", 1}, {NULL, 0}};
static const char *const es_plus_words[] = {"mas", NULL};
/* "un cinco", "una tres": a grade or a score said with its article, not 1 then the number. */
/* Letters said by their names, for codes spelled ("reference"). */
static const struct ivrsm_phrase_value es_letter_names[] = {
    {"be", 'b'}, {"be larga", 'b'}, {"be alta", 'b'}, {"ce", 'c'}, {"de", 'd'}, {"efe", 'f'},
    {"ge", 'g'}, {"hache", 'h'}, {"jota", 'j'}, {"ka", 'k'}, {"ele", 'l'}, {"eme", 'm'},
    {"ene", 'n'}, {"pe", 'p'}, {"cu", 'q'}, {"erre", 'r'}, {"ere", 'r'}, {"ese", 's'}, {"te", 't'},
    {"uve", 'v'}, {"ve", 'v'}, {"ve corta", 'v'}, {"ve baja", 'v'}, {"uve doble", 'w'},
    {"doble uve", 'w'}, {"doble ve", 'w'}, {"ve doble", 'w'}, {"equis", 'x'}, {"i griega", 'y'},
    {"ye", 'y'}, {"zeta", 'z'}, {"ceta", 'z'}, {NULL, 0}};
static const char *const es_number_articles[] = {"un", "una", NULL};

static const char *const es_digit_fillers[] = {"eh",
                                               "em",
                                               "pues",
                                               "bueno",
                                               "vale",
                                               "si",
                                               "a ver",
                                               "mi numero es",
                                               "mi numero de telefono es",
                                               "mi telefono es",
                                               "mi movil es",
                                               "el numero es",
                                               "numero",
                                               "telefono",
                                               "el codigo es",
                                               "codigo",
                                               "es",
                                               "el",
                                               NULL};

static const struct ivrsm_phrase_value es_past_relative_days[] = {
    {"hoy", 0}, {"ayer", 1}, {"anteayer", 2}, {"antes de ayer", 2}, {"antier", 2},
    {"esta ma" ES_ENYE "ana", 0}, {"esta manana", 0}, {NULL, 0},
};
static const struct ivrsm_phrase_value es_relative_days[] = {
    {"hoy", 0},
    {"ma" ES_ENYE "ana", 1},
    {"manana", 1}, /* as written without the tilde */
    {"pasado ma" ES_ENYE "ana", 2},
    {"pasado manana", 2},
    {NULL, 0},
};
static const char *const es_next_words[] = {"que viene", "proximo", "proxima", NULL};
static const char *const es_next_words_before[] = {"proximo", "proxima", NULL};
static const char *const es_next_week[] = {"la semana que viene",
                                           "semana que viene",
                                           "la proxima semana",
                                           "proxima semana",
                                           "de la semana que viene",
                                           "de la proxima semana",
                                           NULL};
static const char *const es_this_weekend[] = {"este fin de semana", "el fin de semana", NULL};
static const char *const es_this_month[] = {"este mes", "este mismo mes", NULL};
static const char *const es_this_week[] = {"esta semana", "esta misma semana", NULL};
static const char *const es_next_month[] = {"el mes que viene", "mes que viene", "el proximo mes",
                                            "proximo mes", NULL};
static const char *const es_in_words[] = {"dentro de", "en", NULL};
static const char *const es_from_now_words[] = {"a partir de hoy", NULL};
static const char *const es_day_units[] = {"dias", "dia", NULL};
static const char *const es_week_units[] = {"semanas", "semana", NULL};
static const char *const es_day_month_joiners[] = {"de", NULL};
static const char *const es_year_joiners[] = {"de", "del", NULL};
/* Between a day and its month said as a number ("el 3 del 5"). */
static const char *const es_month_number_joiners[] = {"del", "de", NULL};
static const char *const es_asap[] = {"lo antes posible",
                                      "cuanto antes",
                                      "lo mas pronto posible",
                                      "lo mas rapido posible",
                                      "lo primero que haya",
                                      "lo primero que tenga",
                                      "cuando sea",
                                      "cuando quiera",
                                      "cuando usted quiera",
                                      "cualquier dia",
                                      "me da igual",
                                      "me da lo mismo",
                                      "da igual",
                                      "no se",
                                      "no lo se",
                                      "ni idea",
                                      "sin preferencia",
                                      "no tengo preferencia",
                                      NULL};
static const char *const es_date_articles[] = {"el", "este", "esta", NULL};
/* Years said in words: "mil novecientos ochenta y cinco", "dos mil cinco". */
static const struct ivrsm_phrase_value es_year_thousands[] = {
    {"mil", 1000}, {"un mil", 1000}, {"dos mil", 2000}, {NULL, 0}};
/* A day gone by counted from today: "hace tres dias", "tres dias atras", "el lunes pasado". */
static const char *const es_ago_words_before[] = {"hace", "hara", NULL};
static const char *const es_ago_words[] = {"atras", NULL};
static const char *const es_last_words_before[] = {"pasado", NULL};
static const char *const es_last_words[] = {"pasado", "pasada", "anterior", NULL};
/* A time after a date: "el jueves a las diez y media", "manana sobre las cinco". */
static const char *const es_time_words_before[] = {
    "a las", "a la", "sobre las", "sobre la", "hacia las", "hacia la", "a eso de las",
    "despues de las", "antes de las", "para las", NULL};
static const char *const es_time_words[] = {
    "y media", "y cuarto", "menos cuarto", "menos", "en punto", "de la ma" ES_ENYE "ana", "de la manana", "de la tarde",
    "de la noche", "horas", "hora", "h", "mediodia", "mas o menos", NULL};
static const char *const es_past_lead_fillers[] = {
    "naci el",   "naci",       "nacio el", "nacio", "mi fecha de nacimiento es",
    "su fecha de nacimiento es", "fecha de nacimiento", "es", "fue", "era", "paso",
    "desde", /* "desde ayer", "desde hace una semana": the day it started */
    NULL};
static const char *const es_date_lead_fillers[] = {"eh",
                                                   "em",
                                                   "pues",
                                                   "bueno",
                                                   "vale",
                                                   "si",
                                                   "mejor",
                                                   "prefiero",
                                                   "preferiblemente",
                                                   "de preferencia",
                                                   "me gustaria",
                                                   "quisiera",
                                                   "me vendria bien",
                                                   "seria",
                                                   "puede ser",
                                                   "para",
                                                   "a partir de",
                                                   "a partir del",
                                                   "desde",
                                                   "desde el",
                                                   "estoy disponible",
                                                   "estoy libre",
                                                   "disponible",
                                                   "libre",
                                                   NULL};
static const char *const es_date_trail_fillers[] = {"por la ma" ES_ENYE "ana",
                                                    "por la manana",
                                                    "por la tarde",
                                                    "a primera hora",
                                                    "temprano",
                                                    "por favor",
                                                    "gracias",
                                                    "si es posible",
                                                    "si puede ser",
                                                    "en adelante",
                                                    NULL};

static const char *const es_negative_answers[] = {"no",
                                                  "no gracias",
                                                  "no muchas gracias",
                                                  "nada",
                                                  "nada mas",
                                                  "no nada",
                                                  "nada que decir",
                                                  "nada que a" ES_ENYE "adir",
                                                  "no tengo nada que decir",
                                                  "no tengo nada que a" ES_ENYE "adir",
                                                  "sin comentarios",
                                                  "ningun comentario",
                                                  "ninguno",
                                                  "eso es todo",
                                                  "no eso es todo",
                                                  "es todo",
                                                  "esta bien asi",
                                                  "no hace falta",
                                                  "nada en especial",
                                                  "nada en particular",
                                                  "nada especial",
                                                  "ningun mensaje",
                                                  "todo bien",
                                                  "esta todo bien",
                                                  "todo correcto",
                                                  "ya esta",
                                                  "eso seria todo",
                                                  "seria todo",
                                                  "mejor no",
                                                  NULL};
/* Said around a key said instead of pressed ("option 3", ivrsm_locale_key_said()). */
static const char *const es_key_words[] = {
    "opcion", "opciones", "la",     "el",      "numero", "tecla", "marco",
    "marcar", "pulso",    "pulsar", "presiono", "aprieto", "elijo", "quiero",
    "por",    "favor",    "digo",   "me",      "pues",   "entonces", NULL};

/* A choice from a list said by its place: the ordinals of the routes' phrases in both genders,
 * and the places counted from the end ("el último", "la penúltima") or the middle ("el del
 * medio"). */
static const struct ivrsm_phrase_value es_position_ordinals[] = {
    {"primero", 1}, {"primera", 1}, {"primer", 1},  {"segundo", 2}, {"segunda", 2},
    {"tercero", 3}, {"tercera", 3}, {"tercer", 3},  {"cuarto", 4},  {"cuarta", 4},
    {"quinto", 5},  {"quinta", 5},  {"sexto", 6},   {"sexta", 6},   {"septimo", 7},
    {"septima", 7}, {"octavo", 8},  {"octava", 8},  {"noveno", 9},  {"novena", 9},
    {"decimo", 10}, {"decima", 10}, {NULL, 0}};
static const struct ivrsm_phrase_value es_position_relative[] = {
    {"ultimo", IVRSM_POSITION_LAST},
    {"ultima", IVRSM_POSITION_LAST},
    {"penultimo", IVRSM_POSITION_BEFORE_LAST},
    {"penultima", IVRSM_POSITION_BEFORE_LAST},
    {"del medio", IVRSM_POSITION_MIDDLE},
    {"de en medio", IVRSM_POSITION_MIDDLE},
    {"del centro", IVRSM_POSITION_MIDDLE},
    {NULL, 0}};

/* The caller's own thing against a new one, and the verbs that change what exists
 * (locale_tables.h): "mi cita" is no booking; "aplazarla" is moving it. */
static const char *const es_possessives[] = {"mi", "mis", NULL};
static const char *const es_new_words[] = {"nueva", "nuevo", "una",      "un",    "otra",
                                           "otro",  "pedir", "reservar", "sacar", NULL};
static const char *const es_change_reported[] = {"fue", "sido", "estaba", "ya", NULL};
static const struct ivrsm_phrase_value es_change_verbs[] = {
    {"aplaz", IVRSM_CHANGE_MOVE},    {"pospon", IVRSM_CHANGE_MOVE},
    {"retras", IVRSM_CHANGE_MOVE},   {"reprogram", IVRSM_CHANGE_MOVE},
    {"mover", IVRSM_CHANGE_MOVE},    {"cancel", IVRSM_CHANGE_CANCEL},
    {"anul", IVRSM_CHANGE_CANCEL},   {"cambi", IVRSM_CHANGE_ALTER},
    {"modific", IVRSM_CHANGE_ALTER}, {NULL, 0}};

static const char *const es_answer_fillers[] = {
    "eh", "pues", "bueno", "gracias", "muchas gracias", "adios", "hasta luego", NULL};

/* What takes a phrase back when matching speech (ivrsm_text_heard(), docs/runtime.md): the
 * words of not knowing are no answer ("no" of "no sé"), nor a phrase right after a doubt
 * ("quizás sí"). "no" is both the answer and the negation (es_negations,
 * es_clause_negations). */
static const struct ivrsm_text_words es_dont_know[] = {
    IVRSM_WORDS("no se"),
    IVRSM_WORDS("no lo se"),
    IVRSM_WORDS("yo no se"),
    IVRSM_WORDS("no sabria decir"),
    IVRSM_WORDS("no sabria decirle"),
    IVRSM_WORDS("ni idea"),
    IVRSM_WORDS("no tengo ni idea"),
    IVRSM_WORDS("no estoy seguro"),
    IVRSM_WORDS("no estoy segura"),
    IVRSM_WORDS("no lo tengo claro"),
    /* Not having heard or understood the question is no answer to it either ("no" of "no le he
     * oído" is no answer). */
    IVRSM_WORDS("no le he oido"),
    IVRSM_WORDS("no he oido"),
    IVRSM_WORDS("no le oigo"),
    IVRSM_WORDS("no se oye"),
    IVRSM_WORDS("no entiendo"),
    IVRSM_WORDS("no le entiendo"),
    IVRSM_WORDS("no he entendido"),
    IVRSM_WORDS("no le he entendido"),
    IVRSM_WORDS("no entendi"),
    {NULL, 0},
};
/* "no" is the answer and the negation at once: without the comma a recogniser drops, "no
 * quiero cancelar" may be either, and is heard as the negation (no match, the caller is asked
 * again) rather than as "cancelar". */
static const struct ivrsm_text_words es_negations[] = {
    IVRSM_WORDS("quiza"),   IVRSM_WORDS("quizas"),    IVRSM_WORDS("tal vez"),
    IVRSM_WORDS("a lo mejor"), IVRSM_WORDS("puede que"), IVRSM_WORDS("no"),
    IVRSM_WORDS("nunca"),   IVRSM_WORDS("jamas"),     IVRSM_WORDS("ni"),
    IVRSM_WORDS("tampoco"), IVRSM_WORDS("sin"),       {NULL, 0},
};
/* Where a negation's reach ends: "no quiero cambiarla sino cancelarla", "no, pero quiero
 * cancelar". Not "si" (also "if": "no sé si quiero cancelar"), nor "y". */
static const struct ivrsm_text_words es_clause_breaks[] = {
    IVRSM_WORDS("pero"),      IVRSM_WORDS("sino"),       IVRSM_WORDS("sino que"),
    IVRSM_WORDS("mejor"),     IVRSM_WORDS("mas bien"),   IVRSM_WORDS("en realidad"),
    IVRSM_WORDS("de hecho"),  IVRSM_WORDS("vale"),       IVRSM_WORDS("de acuerdo"),
    IVRSM_WORDS("entonces"),  IVRSM_WORDS("ok"),         IVRSM_WORDS("okay"),
    IVRSM_WORDS("lo que quiero"), IVRSM_WORDS("porque"), IVRSM_WORDS("ya que"), {NULL, 0},
};
/* Spanish puts "no" before the verb, and after what it refuses when the verb is left out:
 * "cancelar no", "eso no", "cancelar la cita, no". So "no" takes back its whole clause, the
 * words before it too: "quiero cancelar no cambiar" is no match (which of the two?), and "quiero
 * cancelar, no puedo ir" too (its comma lost), where "quiero cancelar porque no puedo ir"
 * cancels. */
static const struct ivrsm_text_words es_clause_negations[] = {
    IVRSM_WORDS("no"), IVRSM_WORDS("tampoco"), IVRSM_WORDS("nunca"), IVRSM_WORDS("jamas"),
    {NULL, 0}};
/* A caller corrects themselves: "no, perdón, sí", "cancelar no, perdón, cambiar", "no espere
 * sí" take back what came before. */
static const struct ivrsm_text_words es_corrections[] = {
    IVRSM_WORDS("perdon"),  IVRSM_WORDS("espere"),      IVRSM_WORDS("espera"),
    IVRSM_WORDS("digo"),    IVRSM_WORDS("quiero decir"), IVRSM_WORDS("mejor dicho"),
    IVRSM_WORDS("o sea"),   {NULL, 0}};
/* A caller who says both has said neither: "sí no", "no, sí" ("sí" is written as the
 * normaliser gives it). */
static const struct ivrsm_text_words es_answers_yes[] = {IVRSM_WORDS("si"), {NULL, 0}};
static const struct ivrsm_text_words es_answers_no[] = {IVRSM_WORDS("no"), {NULL, 0}};
/* Refusals complete in themselves: "no gracias, quiero hablar con alguien". */
static const struct ivrsm_text_words es_short_answers[] = {
    IVRSM_WORDS("no gracias"),       IVRSM_WORDS("no muchas gracias"),
    IVRSM_WORDS("no se" ES_ENYE "or"), IVRSM_WORDS("no se" ES_ENYE "ora"),
    IVRSM_WORDS("no se" ES_ENYE "orita"), IVRSM_WORDS("no por ahora"),
    IVRSM_WORDS("no de momento"),    IVRSM_WORDS("no por el momento"),
    {NULL, 0},
};
/* Said every day, and no refusal: "no pasa nada" is never "no" (a machine that wants it for
 * "sí" lists it among the utterances of its "sí"). */
static const struct ivrsm_text_words es_idioms[] = {
    IVRSM_WORDS("no pasa nada"),    IVRSM_WORDS("no hay problema"),
    IVRSM_WORDS("no hay ningun problema"), IVRSM_WORDS("ningun problema"),
    IVRSM_WORDS("sin problema"),    IVRSM_WORDS("sin problemas"),
    IVRSM_WORDS("no se preocupe"),  IVRSM_WORDS("no te preocupes"),
    IVRSM_WORDS("no importa"),      IVRSM_WORDS("no hay de que"),
    IVRSM_WORDS("de nada"),         IVRSM_WORDS("por que no"),
    IVRSM_WORDS("para nada"),       {NULL, 0},
};
/* The ways of saying yes and no (format.md, Intents: an intent that lists "sí" hears every
 * form of yes, one that lists "no" every form of no): the answer words, the adverbs said alone
 * as an answer, and their negations, longer ("claro que no" is no where "claro" is yes). The
 * bare answer first, "sí" as the normaliser gives it. */
static const struct ivrsm_text_words es_yes_forms[] = {
    IVRSM_WORDS("si"), IVRSM_WORDS("vale"), IVRSM_WORDS("claro"), IVRSM_WORDS("claro que si"),
    IVRSM_WORDS("por supuesto"), IVRSM_WORDS("desde luego"), IVRSM_WORDS("de acuerdo"),
    IVRSM_WORDS("correcto"), IVRSM_WORDS("exacto"), IVRSM_WORDS("eso es"),
    IVRSM_WORDS("efectivamente"), IVRSM_WORDS("perfecto"), IVRSM_WORDS("venga"),
    IVRSM_WORDS("dale"), IVRSM_WORDS("ok"), IVRSM_WORDS("okay"), IVRSM_WORDS("afirmativo"),
    IVRSM_WORDS("cierto"), IVRSM_WORDS("esta bien"), IVRSM_WORDS("muy bien"),
    IVRSM_WORDS("si claro"), IVRSM_WORDS("si se" ES_ENYE "or"), {NULL, 0},
};
static const struct ivrsm_text_words es_no_forms[] = {
    IVRSM_WORDS("no"), IVRSM_WORDS("no gracias"), IVRSM_WORDS("para nada"),
    IVRSM_WORDS("de ninguna manera"), IVRSM_WORDS("en absoluto"), IVRSM_WORDS("ni hablar"),
    IVRSM_WORDS("que va"), IVRSM_WORDS("claro que no"), IVRSM_WORDS("por supuesto que no"),
    IVRSM_WORDS("desde luego que no"), IVRSM_WORDS("nunca"), IVRSM_WORDS("negativo"),
    IVRSM_WORDS("ni de broma"), IVRSM_WORDS("no se" ES_ENYE "or"), {NULL, 0},
};
static ivrsm_heard_cache es_heard_cache;

static const char *const es_es_tags[] = {"es-ES", "es", NULL};

/* How values are said (template formats): 612 34 56 78, said group by group. */
static const struct ivrsm_phone_format es_phone_formats[] = {{"", 0, "3 2 2 2"}, {NULL, 0, NULL}};

const struct ivrsm_locale ivrsm_locale_es_es = {
    .tag = "es-ES",
    .tags = es_es_tags,
    .name = "Spanish (Spain)",
    .text = {.folds = es_folds,
             .dont_know = es_dont_know,
             .idioms = es_idioms,
             .negations = es_negations,
             .clause_breaks = es_clause_breaks,
             .short_answers = es_short_answers,
             .clause_negations = es_clause_negations,
             .answers_yes = es_answers_yes,
             .answers_no = es_answers_no,
             .heard_cache = &es_heard_cache,
             .corrections = es_corrections,
             .yes_forms = es_yes_forms,
             .no_forms = es_no_forms},
    .numbers = es_numbers,
    .numbers_index = &es_numbers_index,
    .lists_index = &es_lists_index,
    .number_joiners = es_number_joiners,
    .digit_group_max = 999,
    /* Nine digits, no trunk prefix: 6xx and 7xx mobiles, 8xx and 9xx fixed lines. */
    .country_code = "34",
    .trunk_prefix = "",
    .international_prefix = "00",
    .national_digits_min = 9,
    .national_digits_max = 9,
    .national_leading = "6789",
    .national_without_trunk = 1,
    .plus_words = es_plus_words,
    .digit_fillers = es_digit_fillers,
    .letter_names = es_letter_names,
    .number_articles = es_number_articles,
    .weekdays = es_weekdays,
    .months = es_months,
    .numeric_date_order = IVRSM_DATE_DMY,
    .relative_days = es_relative_days,
    .past_relative_days = es_past_relative_days,
    .next_words = es_next_words,
    .next_words_before = es_next_words_before,
    .next_week = es_next_week,
    .this_week = es_this_week,
    .this_weekend = es_this_weekend,
    .this_month = es_this_month,
    .next_month = es_next_month,
    .in_words = es_in_words,
    .from_now_words = es_from_now_words,
    .day_units = es_day_units,
    .week_units = es_week_units,
    .day_ordinals = es_day_ordinals,
    .day_month_joiners = es_day_month_joiners,
    .year_joiners = es_year_joiners,
    .month_number_joiners = es_month_number_joiners,
    .asap = es_asap,
    .date_articles = es_date_articles,
    .date_lead_fillers = es_date_lead_fillers,
    .date_trail_fillers = es_date_trail_fillers,
    .year_thousands = es_year_thousands,
    .past_lead_fillers = es_past_lead_fillers,
    .ago_words_before = es_ago_words_before,
    .ago_words = es_ago_words,
    .last_words_before = es_last_words_before,
    .last_words = es_last_words,
    .time_words_before = es_time_words_before,
    .time_words = es_time_words,
    .negative_answers = es_negative_answers,
    .answer_fillers = es_answer_fillers,
    .key_words = es_key_words,
    .position_ordinals = es_position_ordinals,
    .position_relative = es_position_relative,
    .possessives = es_possessives,
    .new_words = es_new_words,
    .change_verbs = es_change_verbs,
    .change_reported = es_change_reported,
    .say =
        {
            .weekdays = {"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"},
            .months = {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                       "septiembre", "octubre", "noviembre", "diciembre"},
            .date = "%W %d de %M",
            .year = " de %Y",
            .time = "%H:%m",
            .time_on_the_hour = "%H",
            .decimal_mark = ',',
            .currency = {"euro", "euros"},
            .subunit = {"céntimo", "céntimos"},
            .currency_join = " con ",
            .minus = "menos",
            .yes_no = {"sí", "no"},
            .phone_by_digit = 0, /* "seiscientos doce, treinta y cuatro..." */
            .phone_formats = es_phone_formats,
        },
};
