"""Callers and their appointments: the data behind the /appointments endpoints.

Every caller (a phone number, mapped to a partner id) gets a deterministic
set of appointments at first contact, placed relative to "today" so that
upcoming ones are always in the future. How many depends on the last digit
of the phone number (see `default_counts`), so scenario tests reach the
0 / 1 / 3 appointment branches of the seed without any setup.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Optional

import voice
from errors import ApiError
from slots import SlotOffer

SCHEDULED = "scheduled"
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
DONE = "done"

MODES = ("home", "video", "clinic")
CHANNELS = ("whatsapp", "sms", "email")
CANCEL_REASONS = ("personal", "health", "unavailable", "other")

PRACTITIONERS = (("Dr Martin", "le docteur Martin"),
                 ("Dr Bernard", "la docteure Bernard"),
                 ("Dr Petit", "le docteur Petit"))
CLINICS = (("Cabinet de Lyon", "au cabinet de Lyon"),
           ("Cabinet de Villeurbanne", "au cabinet de Villeurbanne"))
REMOTE_PLACES = {"home": ("Domicile", "à domicile"),
                 "video": ("Visioconférence", "en visio")}
# The same in English, by the French spoken phrase.
ENGLISH_PHRASES = {"le docteur Martin": "Doctor Martin",
                   "la docteure Bernard": "Doctor Bernard",
                   "le docteur Petit": "Doctor Petit",
                   "au cabinet de Lyon": "at the Lyon practice",
                   "au cabinet de Villeurbanne": "at the Villeurbanne practice",
                   "à domicile": "at home",
                   "en visio": "by video"}

# (days from today, time, mode) of the first appointments of each kind;
# further ones follow every week (upcoming) or every month (past).
UPCOMING_PLAN = ((3, "14:30", "clinic"), (8, "09:05", "video"), (15, "15:00", "home"))
PAST_PLAN = ((-12, "10:00", "clinic"), (-45, "16:45", "clinic"))
EXTRA_TIMES = ("11:00", "16:15", "08:45")

STATUS_SENTENCES = {SCHEDULED: "Il reste à confirmer.",
                    CONFIRMED: "Il est confirmé.",
                    CANCELLED: "Il a été annulé.",
                    DONE: "Il a eu lieu."}
EN_STATUS_SENTENCES = {SCHEDULED: "It is yet to be confirmed.",
                       CONFIRMED: "It is confirmed.",
                       CANCELLED: "It was cancelled.",
                       DONE: "It took place."}

DEFAULT_NAME = "Camille Durand"
MAX_APPOINTMENTS = 10


def default_counts(phone: str) -> tuple[int, int]:
    """Return (upcoming, past) for a caller seen for the first time.

    Last digit 0: none at all; 1: one upcoming and two past;
    any other digit: three upcoming and two past.
    """
    last_digit = phone[-1:]
    if last_digit == "0":
        return 0, 0
    if last_digit == "1":
        return 1, 2
    return 3, 2


@dataclass
class Appointment:
    """One appointment; `location` follows `mode` (the clinic is kept for "clinic")."""

    id: str
    day: date
    time: str
    practitioner: str
    practitioner_voice: str
    clinic: tuple[str, str]
    mode: str
    status: str
    cancel_reason: Optional[str] = None
    offer: SlotOffer = field(default_factory=SlotOffer)

    def place(self) -> tuple[str, str]:
        """Return (label, spoken phrase) of where the appointment takes place."""
        return self.clinic if self.mode == "clinic" else REMOTE_PLACES[self.mode]

    def is_upcoming(self) -> bool:
        return self.status in (SCHEDULED, CONFIRMED)

    def to_json(self) -> dict:
        data = {"id": self.id, "date": self.day.isoformat(), "time": self.time,
                "practitioner": self.practitioner, "location": self.place()[0],
                "mode": self.mode, "status": self.status}
        if self.cancel_reason:
            data["cancel_reason"] = self.cancel_reason
        return data

    def voice_phrase(self, today: date, article: str = "le",
                     language: str = voice.FRENCH) -> str:
        """"le jeudi 3 décembre à 14 heures 30, avec le docteur Martin, au cabinet de Lyon",
        or "Thursday, December 3 at 2:30 PM, with Doctor Martin, at the Lyon practice"."""
        when = voice.say_when(self.day, self.time, today, article, language)
        if language == voice.ENGLISH:
            return (f"{when}, with {ENGLISH_PHRASES[self.practitioner_voice]}, "
                    f"{ENGLISH_PHRASES[self.place()[1]]}")
        return f"{when}, avec {self.practitioner_voice}, {self.place()[1]}"

    def voice_detail(self, today: date, language: str = voice.FRENCH) -> str:
        """The spoken detail sheet of the appointment (the seed's resp.voice_detail)."""
        if language == voice.ENGLISH:
            return (f"Your appointment on {self.voice_phrase(today, language=language)}. "
                    f"{EN_STATUS_SENTENCES[self.status]}")
        return (f"Votre rendez-vous {self.voice_phrase(today, 'du')}. "
                f"{STATUS_SENTENCES[self.status]}")


def _shift_off_weekend(day: date, forward: bool) -> date:
    step = timedelta(days=1 if forward else -1)
    while day.weekday() >= 5:
        day += step
    return day


def _planned(plan: tuple, index: int, step_days: int) -> tuple[int, str, str]:
    if index < len(plan):
        return plan[index]
    last_offset = plan[-1][0]
    offset = last_offset + step_days * (index - len(plan) + 1)
    return offset, EXTRA_TIMES[index % len(EXTRA_TIMES)], "clinic"


def _make_appointment(apt_id: str, index: int, upcoming: bool, today: date) -> Appointment:
    if upcoming:
        offset, hhmm, mode = _planned(UPCOMING_PLAN, index, 7)
    else:
        offset, hhmm, mode = _planned(PAST_PLAN, index, -30)
    day = _shift_off_weekend(today + timedelta(days=offset), forward=upcoming)
    name, spoken = PRACTITIONERS[index % len(PRACTITIONERS)]
    return Appointment(id=apt_id, day=day, time=hhmm, practitioner=name,
                       practitioner_voice=spoken, clinic=CLINICS[index % len(CLINICS)],
                       mode=mode, status=SCHEDULED if upcoming else DONE)


@dataclass
class Caller:
    """One caller and everything the backend remembers about them."""

    phone: str
    partner_id: int
    name: str = DEFAULT_NAME
    preferred_channel: str = "email"
    appointments: dict[str, Appointment] = field(default_factory=dict)
    callbacks: int = 0

    def fill(self, upcoming: int, past: int, today: date) -> None:
        """Replace the appointments by `upcoming` future and `past` past ones."""
        self.appointments.clear()
        number = 0
        for count, is_upcoming in ((upcoming, True), (past, False)):
            for index in range(count):
                number += 1
                apt_id = f"apt-{self.partner_id}-{number}"
                self.appointments[apt_id] = _make_appointment(apt_id, index, is_upcoming, today)

    def upcoming(self) -> list[Appointment]:
        """Scheduled and confirmed appointments, soonest first."""
        found = [apt for apt in self.appointments.values() if apt.is_upcoming()]
        return sorted(found, key=lambda apt: (apt.day, apt.time))

    def past(self) -> list[Appointment]:
        """Appointments that took place, most recent first."""
        found = [apt for apt in self.appointments.values() if apt.status == DONE]
        return sorted(found, key=lambda apt: (apt.day, apt.time), reverse=True)

    def find(self, apt_id: str) -> Appointment:
        """Return one of this caller's appointments, or raise a 404 ApiError."""
        if not apt_id:
            raise ApiError(404, "appointment_not_found", "no appointment id in the path")
        apt = self.appointments.get(apt_id)
        if apt is None:
            raise ApiError(404, "appointment_not_found",
                           f"no appointment '{apt_id}' for this caller")
        return apt

    def summary(self) -> dict:
        """What GET /portal/me and the admin endpoints tell about the caller."""
        return {"partner_id": self.partner_id, "phone_e164": self.phone, "name": self.name,
                "preferred_channel": self.preferred_channel,
                "upcoming_count": len(self.upcoming()), "past_count": len(self.past())}


def summary_voice(appointments: list[Appointment], scope: str, today: date,
                  language: str = voice.FRENCH) -> str:
    """The spoken list (the seed's resp.summary_voice) for 0, 1 or N appointments."""
    english = language == voice.ENGLISH
    if not appointments:
        if english:
            return f"You have no {'upcoming' if scope == 'upcoming' else 'past'} appointments."
        kind = "à venir" if scope == "upcoming" else "passé"
        return f"Vous n'avez aucun rendez-vous {kind}."
    phrases = [apt.voice_phrase(today, language=language) for apt in appointments]
    return voice.enumerate_phrases(phrases, "First appointment" if english else "Premier rendez-vous",
                                   language)


def require_active(apt: Appointment) -> None:
    """Refuse changes to an appointment that already took place or was cancelled."""
    if apt.status == DONE:
        raise ApiError(409, "appointment_past", f"appointment '{apt.id}' already took place")
    if apt.status == CANCELLED:
        raise ApiError(409, "appointment_cancelled", f"appointment '{apt.id}' is cancelled")


def confirm(apt: Appointment) -> None:
    """Mark an upcoming appointment as confirmed."""
    require_active(apt)
    apt.status = CONFIRMED


def cancel(apt: Appointment, reason: str) -> None:
    """Cancel an upcoming appointment: it leaves the upcoming list."""
    require_active(apt)
    apt.status = CANCELLED
    apt.cancel_reason = reason


def move_to_slot(apt: Appointment, slot: dict) -> None:
    """Book the appointment on a proposed slot (also books a cancelled one again)."""
    if apt.status == DONE:
        raise ApiError(409, "appointment_past", f"appointment '{apt.id}' already took place")
    apt.day = date.fromisoformat(slot["date"])
    apt.time = slot["time"]
    apt.mode = slot["mode"]
    apt.status = CONFIRMED
    apt.cancel_reason = None
