"""Rescheduling: the caller's preferences and the slots proposed from them.

Proposals always hold three slots inside the preferred date window and
time window, on weekdays when the window has any. Each "propose-slots"
call moves to the next three candidates, so the caller hears new slots.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

import voice
from errors import ApiError

SLOTS_PER_OFFER = 3
DEFAULT_WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 92
TIME_WINDOWS = ("morning", "afternoon")
SLOT_TIMES = {"morning": ("09:00", "10:30", "11:15"),
              "afternoon": ("14:00", "15:30", "16:45"),
              None: ("09:00", "14:00", "16:30")}
PREFERENCE_MODES = ("home", "video", "clinic")


@dataclass
class Preferences:
    """What the caller asked for; None means "no preference"."""

    date_from: Optional[date] = None
    date_to: Optional[date] = None
    time_window: Optional[str] = None
    mode: Optional[str] = None

    def to_json(self) -> dict:
        return {"date_from": self.date_from.isoformat() if self.date_from else None,
                "date_to": self.date_to.isoformat() if self.date_to else None,
                "time_window": self.time_window, "mode": self.mode}


@dataclass
class SlotOffer:
    """Rescheduling state of one appointment."""

    preferences: Preferences = field(default_factory=Preferences)
    round: int = 0
    slots: Optional[list] = None

    def find(self, slot_id: str) -> Optional[dict]:
        """Return the slot with this id in the current offer, if any."""
        for slot in self.slots or ():
            if slot["id"] == slot_id:
                return slot
        return None


def _optional_date(body: dict, name: str) -> Optional[date]:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(422, "invalid_preferences", f"'{name}' must be a YYYY-MM-DD string",
                       field=name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "invalid_preferences",
                       f"'{name}' must be a date as YYYY-MM-DD, got '{value}'",
                       field=name) from None


def _required_choice(body: dict, name: str, choices: tuple) -> str:
    value = body.get(name)
    if value not in choices:
        raise ApiError(422, "invalid_preferences",
                       f"'{name}' must be one of {', '.join(choices)}, got {value!r}",
                       field=name)
    return value


def parse_preferences(body: dict) -> Preferences:
    """Validate a preferences body; raise a 422 ApiError naming the bad field.

    date_from and date_to are optional ("dès que possible" gives no end date);
    time_window and mode are required.
    """
    prefs = Preferences(date_from=_optional_date(body, "date_from"),
                        date_to=_optional_date(body, "date_to"),
                        time_window=_required_choice(body, "time_window", TIME_WINDOWS),
                        mode=_required_choice(body, "mode", PREFERENCE_MODES))
    if prefs.date_from and prefs.date_to and prefs.date_to < prefs.date_from:
        raise ApiError(422, "invalid_preferences", "'date_to' is before 'date_from'",
                       field="date_to")
    return prefs


def _candidate_days(prefs: Preferences, today: date) -> list[date]:
    """The days of the preferred window, from tomorrow on, weekdays if any."""
    tomorrow = today + timedelta(days=1)
    start = max(prefs.date_from or tomorrow, tomorrow)
    if prefs.date_to is None:
        end = start + timedelta(days=DEFAULT_WINDOW_DAYS - 1)
    else:
        end = max(prefs.date_to, start)
    end = min(end, start + timedelta(days=MAX_WINDOW_DAYS - 1))
    days = [start + timedelta(days=k) for k in range((end - start).days + 1)]
    return [day for day in days if day.weekday() < 5] or days


def build_offer(offer: SlotOffer, default_mode: str, today: date) -> list:
    """Compute the three slots of the offer's current round.

    Candidate n is on day n mod D and at a time that shifts by one each
    time the days wrap around, so all D x 3 (day, time) pairs come once
    before any repeats.
    """
    days = _candidate_days(offer.preferences, today)
    times = SLOT_TIMES[offer.preferences.time_window]
    mode = offer.preferences.mode or default_mode
    slots = []
    for position in range(SLOTS_PER_OFFER):
        number = SLOTS_PER_OFFER * offer.round + position
        day = days[number % len(days)]
        hhmm = times[(number // len(days) + number % len(days)) % len(times)]
        slots.append({"id": f"slot-{number + 1}", "date": day.isoformat(), "time": hhmm,
                      "mode": mode, "voice_label": voice.say_when(day, hhmm, today)})
    slots.sort(key=lambda slot: (slot["date"], slot["time"]))
    return slots


def offer_voice(slots: list, language: str = voice.FRENCH) -> str:
    """The three slots read as "Premier : ... Deuxième : ... Troisième : ..."."""
    first = "First" if language == voice.ENGLISH else "Premier"
    return voice.enumerate_phrases([slot["voice_label"] for slot in slots], first, language)


def label_slots(slots: list, today: date, language: str) -> list:
    """Copies of the slots with their voice_label said in `language`."""
    labelled = []
    for slot in slots:
        copy = dict(slot)
        copy["voice_label"] = voice.say_when(date.fromisoformat(slot["date"]), slot["time"],
                                             today, language=language)
        labelled.append(copy)
    return labelled
