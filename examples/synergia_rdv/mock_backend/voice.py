"""Speech rendering of dates, hours and appointments, in French or English.

The seed machine leaves the wording of appointments to the backend
(`resp.summary_voice`, `resp.voice_detail`, the slots' `voice_label`), so the
text produced here is read as is by a text-to-speech engine: French by
default, English for a request whose Accept-Language starts with "en" (the
English machine of examples/synergia_rdv_en asks for the call's language).

Numbers stay as digits because TTS engines read "14" as "quatorze", but
minutes are never zero-padded: "9 heures 05" is read "neuf heures zéro cinq"
by several engines, while people say "neuf heures cinq", hence "9 heures 5".
"""

from datetime import date

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
            "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet",
          "août", "septembre", "octobre", "novembre", "décembre")
ORDINALS = ("Premier", "Deuxième", "Troisième", "Quatrième", "Cinquième",
            "Sixième", "Septième", "Huitième", "Neuvième", "Dixième")

FRENCH = "fr"
ENGLISH = "en"
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
EN_ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth",
               "Ninth", "Tenth")


def language_of(accept_language) -> str:
    """ENGLISH when an Accept-Language header asks for English first, else FRENCH."""
    first = (accept_language or "").split(",")[0].strip().lower()
    return ENGLISH if first == "en" or first.startswith("en-") else FRENCH


def say_date_en(day: date, today: date) -> str:
    """Return "Thursday, December 3" (with the year when it is not this year's)."""
    text = f"{EN_WEEKDAYS[day.weekday()]}, {EN_MONTHS[day.month - 1]} {day.day}"
    if day.year != today.year:
        text += f", {day.year}"
    return text


def say_hour_en(hhmm: str) -> str:
    """Return "2:30 PM", "3 PM", "9:05 AM" or "12 PM" for "HH:MM"."""
    hour_text, minute_text = hhmm.split(":")
    hour, minute = int(hour_text), int(minute_text)
    suffix = "AM" if hour < 12 else "PM"
    clock = hour % 12 or 12
    return f"{clock}:{minute:02d} {suffix}" if minute else f"{clock} {suffix}"


def say_date(day: date, today: date, article: str = "le") -> str:
    """Return "le jeudi 3 décembre" ("1er" for the first day of a month).

    `article` is "le" or "du" ("votre rendez-vous du jeudi 3 décembre").
    The year is spoken only when it differs from today's year, as people do.
    """
    day_number = "1er" if day.day == 1 else str(day.day)
    text = f"{article} {WEEKDAYS[day.weekday()]} {day_number} {MONTHS[day.month - 1]}"
    if day.year != today.year:
        text += f" {day.year}"
    return text


def say_hour(hhmm: str) -> str:
    """Return "14 heures 30", "15 heures", "9 heures 5" or "1 heure" for "HH:MM"."""
    hour_text, minute_text = hhmm.split(":")
    hour, minute = int(hour_text), int(minute_text)
    text = f"{hour} heure" if hour <= 1 else f"{hour} heures"
    if minute:
        text += f" {minute}"
    return text


def say_when(day: date, hhmm: str, today: date, article: str = "le",
             language: str = FRENCH) -> str:
    """Return "le jeudi 3 décembre à 14 heures 30", or "Thursday, December 3 at 2:30 PM"."""
    if language == ENGLISH:
        return f"{say_date_en(day, today)} at {say_hour_en(hhmm)}"
    return f"{say_date(day, today, article)} à {say_hour(hhmm)}"


def ordinal(index: int, language: str = FRENCH) -> str:
    """Return the capitalised ordinal of a zero-based list position."""
    names = EN_ORDINALS if language == ENGLISH else ORDINALS
    if index < len(names):
        return names[index]
    return f"Number {index + 1}" if language == ENGLISH else f"Numéro {index + 1}"


def sentence(text: str) -> str:
    """Capitalise the first letter and end with a full stop."""
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def enumerate_phrases(phrases: list[str], first_label: str, language: str = FRENCH) -> str:
    """Read a list aloud the way the seed's prompts expect.

    One item is a plain sentence; several items become "Premier rendez-vous :
    ... Deuxième : ... Troisième : ..." so that a caller can answer
    "premier", "deuxième" or "troisième".
    """
    if len(phrases) == 1:
        return sentence(phrases[0])
    parts = []
    for index, phrase in enumerate(phrases):
        label = first_label if index == 0 else ordinal(index, language)
        # French puts a space before the colon, English none.
        parts.append(f"{label}: {phrase}." if language == ENGLISH else f"{label} : {phrase}.")
    return " ".join(parts)
