"""A small menu machine end to end, every feed error, callbacks and their failures."""

import json
import unittest

from support import AUDIO, DATES, LANGUAGES, MENU, MENU_CTX, NOW_MS, SEED, only, types

import ivrsm

MENU_PROMPT = "Pour nos horaires, dites horaires ou tapez 1. Pour un conseiller, tapez 0."


class PartsTest(unittest.TestCase):
    def test_recordings_and_words_in_order(self):
        machine = ivrsm.Machine.load(AUDIO)
        self.addCleanup(machine.close)
        s = machine.session(ctx={"name": "Ana"})
        self.addCleanup(s.close)
        s.start()
        (ask,) = s.commands()
        self.assertEqual(ask["parts"], [{"play": "ivr/welcome.wav"}, {"say": "Pour nos horaires, tapez 1."}])
        self.assertEqual(ask["text"], "Pour nos horaires, tapez 1.")
        s.feed_dtmf("1")
        say, hangup = s.commands()
        self.assertEqual((say["type"], say["parts"]), ("say", [{"say": "Au revoir Ana."}]))
        self.assertNotIn("parts", hangup)

    def test_inputs(self):
        machine = ivrsm.Machine.load(AUDIO)
        self.addCleanup(machine.close)
        self.assertEqual(machine.inputs, [{"name": "name", "type": "string", "default": "",
                                           "required": False,
                                           "description": "the caller's first name"}])


class MenuTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.machine = ivrsm.Machine.load(MENU)

    @classmethod
    def tearDownClass(cls):
        cls.machine.close()

    def started(self, **options):
        options.setdefault("call_id", "c-1")
        options.setdefault("ctx", MENU_CTX)
        s = self.machine.session(**options)
        self.addCleanup(s.close)
        s.start()
        return s

    def test_before_start(self):
        s = self.machine.session()
        self.assertIsNone(s.state)
        self.assertFalse(s.ended)
        self.assertEqual(s.commands(), [])
        with self.assertRaises(ivrsm.StateError) as cm:
            s.feed_dtmf("1")
        self.assertEqual(cm.exception.code, ivrsm.ESTATE)
        s.start()
        with self.assertRaises(ivrsm.StateError):
            s.start()

    def test_ask_carries_what_to_listen_for(self):
        s = self.started()
        (ask,) = s.commands()
        self.assertEqual(ask["type"], "ask")
        self.assertEqual(ask["id"], 1)
        self.assertEqual(ask["state"], "menu")
        self.assertEqual(ask["text"], MENU_PROMPT)
        self.assertEqual(ask["parts"], [{"say": MENU_PROMPT}])
        self.assertEqual(ask["language"], "fr-FR")
        # The library's encoding (ivrsm_command_to_json): what to listen for beside the text.
        listen = {k: ask[k] for k in ask if k not in ("type", "id", "state", "text", "parts", "language")}
        self.assertEqual(
            listen,
            {
                "dtmf": True,
                "speech": True,
                "min_digits": 1,
                "max_digits": 1,
                "terminators": "",
                "timeout_ms": 5000,
                "digit_timeout_ms": 3000,
                "barge_in": True,
                "hints": ["horaires", "heures d'ouverture", "conseiller"],
            },
        )
        self.assertEqual(s.state, "menu")
        self.assertEqual(s.ctx, dict(MENU_CTX, call_id="c-1", session_id="s-c-1", language="fr-FR"))

    def test_dtmf_noinput_http_speech_handoff(self):
        s = self.started()
        s.commands()
        s.feed_noinput()
        (again,) = s.commands()
        self.assertEqual((again["type"], again["id"], again["text"]), ("ask", 2, MENU_PROMPT))

        s.feed_dtmf("1")
        (http,) = s.commands()
        self.assertEqual(s.state, "hours")
        self.assertEqual(
            http,
            {
                "type": "http",
                "id": 3,
                "state": "hours",
                "endpoint": "get_hours",
                "method": "GET",
                "path": "/sites/lyon/hours",
                "query": "lang=fr",
                "headers": {"Authorization": "Bearer tok-abc"},
                "body": {"pin_code": "9876", "caller": "c-1"},
                "idempotency_key": "s-c-1-3",
                "timeout_ms": 2500,
            },
        )

        s.feed_result(http["id"], 200, '{"voice_hours": "de 9 heures à 18 heures"}')
        (ask,) = s.commands()
        self.assertEqual(ask["state"], "more")
        self.assertEqual(
            ask["text"],
            "Nous sommes ouverts de 9 heures à 18 heures. "
            "Autre chose ? Pour un conseiller, dites conseiller ou tapez 0.",
        )
        self.assertEqual(s.ctx["opening"], "de 9 heures à 18 heures")

        s.feed_speech("je voudrais un conseiller s'il vous plaît", confidence=0.9)
        (handoff,) = s.commands()
        self.assertEqual(handoff["type"], "handoff")
        self.assertEqual(handoff["queue"], "front_desk")
        self.assertEqual(handoff["text"], "Je vous passe un conseiller.")
        context = handoff["context"]
        self.assertEqual(context["call_id"], "c-1")
        self.assertEqual(context["path"], ["menu", "hours", "more", "agent"])
        self.assertEqual(context["ctx"]["pin_code"], "***")
        self.assertFalse(s.ended)

        s.feed_handoff(handoff, True)
        self.assertEqual(s.commands(), [])
        self.assertTrue(s.ended)
        with self.assertRaises(ivrsm.SessionEnded) as cm:
            s.feed_dtmf("1")
        self.assertEqual(cm.exception.code_name, "EENDED")

    def test_fallback_sets_and_says_goodbye(self):
        s = self.started()
        s.commands()
        s.feed_speech("quel temps fait-il")
        say, hangup = s.commands()
        self.assertEqual((say["type"], say["text"]), ("say", "Merci. Au revoir."))
        self.assertEqual((hangup["type"], hangup["reason"]), ("hangup", "goodbye"))
        self.assertTrue(s.ended)
        self.assertEqual(s.state, "goodbye")
        self.assertIs(s.ctx["fell_back"], True)

    def test_low_confidence_is_no_match(self):
        s = self.started()
        s.commands()
        s.feed_speech("horaires", confidence=0.1)
        self.assertEqual(types(s.commands()), ["say", "hangup"])
        with self.assertRaisesRegex(ValueError, "confidence must be within 0..1"):
            s.feed_speech("horaires", confidence=1.5)

    def test_intent_from_an_external_recogniser(self):
        s = self.started()
        s.commands()
        s.feed_intent("hours")
        self.assertEqual(only(s.commands(), "http")["path"], "/sites/lyon/hours")

    def test_silence_twice_ends_the_call(self):
        s = self.started()
        s.commands()
        s.feed_noinput()
        s.feed_noinput()
        self.assertEqual(types(s.commands()), ["ask", "say", "hangup"])
        self.assertTrue(s.ended)

    def test_failed_action_then_failed_handoff(self):
        s = self.started()
        s.commands()
        s.feed_dtmf("1")
        http = only(s.commands(), "http")
        s.feed_result(http, 503, '{"error": "down"}')
        handoff = only(s.commands(), "handoff")
        self.assertEqual(
            handoff["text"], "Je n'ai pas pu lire nos horaires. Je vous passe un conseiller."
        )
        s.feed_handoff(handoff["id"], False)
        say, hangup = s.commands()
        self.assertEqual(say["text"], "Tous nos conseillers sont occupés. Merci. Au revoir.")
        self.assertEqual(hangup["reason"], "goodbye")

    def test_transport_error(self):
        s = self.started()
        s.commands()
        s.feed_dtmf("1")
        http = only(s.commands(), "http")
        s.feed_result(http["id"], 0, error="timeout")
        self.assertEqual(only(s.commands(), "handoff")["state"], "agent")

    def test_body_as_a_python_value(self):
        s = self.started()
        s.commands()
        s.feed_dtmf("1")
        http = only(s.commands(), "http")
        s.feed_result(http, 200, {"voice_hours": "jour et nuit"})
        self.assertEqual(s.ctx["opening"], "jour et nuit")

    def test_limits_of_one_call_override_the_machine(self):
        s = self.started(limits={"max_consecutive_failures": 1})
        s.commands()
        s.feed_noinput()
        # One failure is the bound: the call escalates to the agent at once.
        handoff = only(s.commands(), "handoff")
        self.assertEqual(handoff["state"], "agent")
        strict = self.started(limits={"min_confidence": 0.95})
        strict.commands()
        strict.feed_speech("horaires", confidence=0.9)
        self.assertEqual(types(strict.commands()), ["say", "hangup"])
        restored = ivrsm.Session.restore(
            self.machine, self.started().snapshot(), limits={"max_consecutive_failures": 1}
        )
        restored.commands()
        restored.feed_nomatch()
        self.assertEqual(only(restored.commands(), "handoff")["queue"], "front_desk")

    def test_bad_limits(self):
        with self.assertRaisesRegex(ValueError, "unknown limits max_fun"):
            self.machine.session(limits={"max_fun": 1})
        with self.assertRaisesRegex(ValueError, "max_state_visits must be a non-negative int"):
            self.machine.session(limits={"max_state_visits": -1})
        with self.assertRaisesRegex(ValueError, "min_confidence must be within 0..1"):
            self.machine.session(limits={"min_confidence": 3})
        # The C fields are ints: a larger number was cut to its low 32 bits (2**32 + 1 was a
        # bound of 1 state visit, 2**31 a negative one) and the call ran under it.
        for value in (2**31, 2**32 + 1, 2**64):
            with self.assertRaisesRegex(ValueError, "max_state_visits must be a non-negative int"):
                self.machine.session(limits={"max_state_visits": value})
        self.machine.session(limits={"max_state_visits": 2**31 - 1}).close()
        with self.assertRaisesRegex(TypeError, "min_confidence must be a number"):
            self.machine.session(limits={"min_confidence": "0.5"})

    def test_caller_hangs_up(self):
        s = self.started()
        s.commands()
        s.hangup(event_id="h1")
        self.assertTrue(s.ended)
        self.assertEqual(s.commands(), [])
        with self.assertRaises(ivrsm.SessionEnded):
            s.hangup()


class FeedErrorTest(unittest.TestCase):
    def setUp(self):
        self.machine = ivrsm.Machine.load(MENU)
        self.addCleanup(self.machine.close)
        self.s = self.machine.session(call_id="c-2", ctx=MENU_CTX)
        self.addCleanup(self.s.close)
        self.s.start()
        self.s.commands()

    def test_duplicate_event_id_is_ignored(self):
        s = self.s
        s.feed_noinput(event_id="ev-1")
        self.assertEqual(types(s.commands()), ["ask"])
        with self.assertRaises(ivrsm.DuplicateEvent) as cm:
            s.feed_noinput(event_id="ev-1")
        e = cm.exception
        self.assertEqual(e.code, ivrsm.EDUPLICATE)
        self.assertEqual(str(e), "noinput event 'ev-1': duplicate event id, event ignored")
        # Nothing happened: a second silence would have ended the call.
        self.assertEqual(s.commands(), [])
        self.assertFalse(s.ended)
        with self.assertRaises(ivrsm.DuplicateEvent):
            s.feed_dtmf("1", event_id="ev-1")
        s.feed_dtmf("1", event_id="ev-2")
        self.assertEqual(s.state, "hours")

    def test_stale_and_unexpected_while_http_is_pending(self):
        s = self.s
        s.feed_dtmf("1")
        http = only(s.commands(), "http")
        with self.assertRaises(ivrsm.StaleResult) as cm:
            s.feed_result(http["id"] + 100, 200, "{}")
        self.assertEqual(cm.exception.code, ivrsm.ESTALE)
        with self.assertRaises(ivrsm.StaleResult):
            s.feed_handoff(http["id"], True)
        with self.assertRaises(ivrsm.UnexpectedEvent) as cm:
            s.feed_dtmf("0")
        self.assertEqual(cm.exception.code, ivrsm.EUNEXPECTED)
        self.assertEqual(s.state, "hours")
        s.feed_result(http, 200, '{"voice_hours": "le matin"}')
        # Answered once: the same result again is stale.
        with self.assertRaises(ivrsm.StaleResult):
            s.feed_result(http, 200, '{"voice_hours": "le matin"}')
        self.assertEqual(s.state, "more")

    def test_too_long_input(self):
        with self.assertRaises(ivrsm.Error) as cm:
            self.s.feed_speech("a" * 5000)
        self.assertEqual(cm.exception.code, ivrsm.ELIMIT)
        self.assertEqual(self.s.state, "menu")

    def test_bad_arguments(self):
        s = self.s
        with self.assertRaisesRegex(ValueError, "digits contains a NUL"):
            s.feed_dtmf("1\x002")
        with self.assertRaises(TypeError):
            s.feed_dtmf(1)
        with self.assertRaisesRegex(TypeError, "command id"):
            s.feed_result(-1, 200)
        with self.assertRaisesRegex(TypeError, "command id"):
            s.feed_result("3", 200)

    def test_bad_initial_ctx(self):
        with self.assertRaises(ivrsm.Error) as cm:
            self.machine.session(ctx="[1, 2]")
        self.assertEqual(cm.exception.code, ivrsm.EINVAL)
        self.assertIn("ctx", str(cm.exception))


# Each built-in locale: the key that picks it, "tomorrow" in it, what is said back.
LANGUAGE_CALLS = [
    ("1", "fr-FR", "Quel jour ?", "demain", "C'est noté : jeudi 26 novembre, 12 euros et 50 centimes."),
    ("2", "en-US", "Which day?", "tomorrow", "Noted: Thursday, November 26th, 12 dollars and 50 cents."),
    ("3", "en-GB", "Which day?", "tomorrow",
     "Noted: Thursday the 26th of November, 12 pounds and 50 pence."),
    ("4", "es-ES", "¿Qué día?", "mañana", "Anotado: jueves 26 de noviembre, 12 euros con 50 céntimos."),
    ("5", "de-DE", "Welcher Tag?", "morgen", "Notiert: Donnerstag, den 26. November, 12 Euro und 50 Cent."),
    ("6", "fr-BE", "Quel jour ?", "demain", "C'est noté : jeudi 26 novembre, 12 euros et 50 centimes."),
    ("7", "fr-CH", "Quel jour ?", "demain", "C'est noté : jeudi 26 novembre, 12 francs et 50 centimes."),
]


class LanguagesTest(unittest.TestCase):
    def test_every_language(self):
        machine = ivrsm.Machine.load(LANGUAGES)
        self.addCleanup(machine.close)
        for key, language, question, tomorrow, said in LANGUAGE_CALLS:
            with self.subTest(language=language):
                s = machine.session(clock=lambda: NOW_MS)
                self.addCleanup(s.close)
                s.start()
                self.assertEqual(only(s.commands(), "ask")["language"], "fr-FR")
                s.feed_dtmf(key)
                ask = only(s.commands(), "ask")
                self.assertEqual((ask["language"], ask["text"], ask["collect"]),
                                 (language, question, "date_nl"))
                s.feed_speech(tomorrow)
                self.assertEqual(s.ctx["language"], language)
                self.assertEqual(s.ctx["pref_date_from"], "2026-11-26")
                say, hangup = s.commands()
                self.assertEqual((say["language"], say["text"], hangup["type"]),
                                 (language, said, "hangup"))


class CallbackTest(unittest.TestCase):
    def test_clock_resolves_demain_to_the_next_day(self):
        m = ivrsm.Machine.load(DATES)
        asked = []

        def clock():
            asked.append(True)
            return NOW_MS

        s = m.session(clock=clock)
        s.start()
        ask = only(s.commands(), "ask")
        self.assertEqual(ask["collect"], "date_nl")
        # Once a start or an event: the date said is read at the time whose bounds were checked.
        self.assertEqual(len(asked), 1)
        s.feed_speech("demain")
        self.assertEqual(len(asked), 2)
        self.assertEqual(s.ctx["pref_date_from"], "2026-11-26")
        self.assertEqual(s.ctx["pref_date_to"], "2026-11-26")
        say, hangup = s.commands()
        self.assertEqual(say["text"], "C'est noté, à partir du 2026-11-26.")
        self.assertEqual(hangup["type"], "hangup")

    def test_clock_may_return_an_aware_datetime(self):
        import datetime

        paris = datetime.timezone(datetime.timedelta(hours=1))
        s = ivrsm.Machine.load(DATES).session(
            clock=lambda: datetime.datetime(2026, 12, 31, 23, 30, tzinfo=paris)
        )
        s.start()
        s.feed_speech("demain")
        self.assertEqual(s.ctx["pref_date_from"], "2027-01-01")

    def test_without_a_clock_dates_resolve_against_1970(self):
        s = ivrsm.Machine.load(DATES).session()
        s.start()
        s.feed_dtmf("")  # nothing keyed: a no-match, asked again
        s.feed_speech("demain")
        self.assertEqual(s.ctx["pref_date_from"], "1970-01-02")

    def test_clock_exception_reaches_the_caller_and_the_session_waits(self):
        """A clock that raises: the start or the event is not done (the library refuses the
        time the callback gives it then), the exception reaches the caller, and the same
        event fed again once the clock works is taken as if first given."""
        box = {"fail": True}

        def clock():
            if box["fail"]:
                raise KeyError("no time today")
            return NOW_MS

        s = ivrsm.Machine.load(DATES).session(clock=clock)
        with self.assertRaises(KeyError):
            s.start()
        self.assertIsNone(s.state)
        box["fail"] = False
        s.start()
        only(s.commands(), "ask")
        before = s.snapshot()
        box["fail"] = True
        with self.assertRaises(KeyError):
            s.feed_speech("demain", event_id="e-1")
        self.assertEqual(s.snapshot(), before)
        self.assertFalse(s.ended)
        box["fail"] = False
        s.feed_speech("demain", event_id="e-1")
        self.assertEqual(s.ctx["pref_date_from"], "2026-11-26")

    def test_a_clock_past_64_bits_is_an_error_not_the_epoch(self):
        """ctypes turned a time past int64 into 0 without a word: "demain" was 1970-01-02.
        Now the caller hears of it, as of any clock that fails."""
        for value in (2**70, -(2**70)):
            s = ivrsm.Machine.load(DATES).session(clock=lambda value=value: value)
            with self.assertRaisesRegex(OverflowError, "the clock returned"):
                s.start()
            self.assertIsNone(s.state)

    def test_a_clock_outside_the_calendar_is_refused(self):
        """The years 1 to 9999 (IVRSM_CLOCK_MIN_MS..IVRSM_CLOCK_MAX_MS): a time outside them,
        or no time at all, makes the call raise and leaves the session as it was."""
        import datetime

        first, last = -62135596800000, 253402300799999
        box = {}
        s = ivrsm.Machine.load(DATES).session(clock=lambda: box["now"])
        for now, kind, says in (
            (first - 1, ValueError, "outside the years 1 to 9999"),
            (last + 1, ValueError, "outside the years 1 to 9999"),
            (-(2**63), ValueError, "outside the years 1 to 9999"),
            (2**63 - 1, ValueError, "outside the years 1 to 9999"),
            (float("nan"), ValueError, "not a time"),
            (float("inf"), ValueError, "not a time"),
            ("10:00", TypeError, "must return milliseconds"),
            (None, TypeError, "must return milliseconds"),
            (True, TypeError, "must return milliseconds"),
        ):
            box["now"] = now
            with self.assertRaisesRegex(kind, says, msg=repr(now)):
                s.start()
            self.assertIsNone(s.state)
        # The edges themselves are times, and an aware datetime of year 9999 too.
        box["now"] = first
        s.start()
        only(s.commands(), "ask")
        box["now"] = datetime.datetime(9999, 12, 31, 23, 59, tzinfo=datetime.timezone.utc)
        before = s.snapshot()
        s.feed_speech("hier")  # the day before: not a date to come, asked again
        self.assertNotEqual(s.snapshot(), before)
        box["now"] = last + 1
        with self.assertRaisesRegex(ValueError, "outside the years"):
            s.feed_speech("demain")
        box["now"] = last
        s.feed_speech("demain")  # taken at the last millisecond of the calendar
        self.assertIn(s.state, ("when", "thanks"))

    def test_trace_records_are_dicts_with_secrets_redacted(self):
        records = []
        m = ivrsm.Machine.load(MENU)
        s = m.session(call_id="c-3", ctx=MENU_CTX, trace=records.append)
        s.start()
        s.feed_dtmf("1", event_id="k1")
        http = only(s.commands(), "http")
        s.feed_result(http, 200, {"voice_hours": "toujours"})
        kinds = [r["kind"] for r in records]
        self.assertEqual(kinds[:3], ["start", "transition", "command"])
        self.assertEqual([r["seq"] for r in records], list(range(1, len(records) + 1)))
        self.assertTrue(all(r["session"] == "s-c-3" for r in records))
        event = next(r for r in records if r["kind"] == "event")
        self.assertEqual((event["type"], event["event_id"], event["text"]), ("dtmf", "k1", "1"))
        transition = [r for r in records if r["kind"] == "transition"][1]
        self.assertEqual(
            (transition["from"], transition["to"], transition["reason"]),
            ("menu", "hours", "dtmf:hours"),
        )
        traced = next(r for r in records if r["kind"] == "command" and r["type"] == "http")
        self.assertEqual(traced["headers"], {"Authorization": "***"})
        self.assertEqual(traced["body"], {"pin_code": "***", "caller": "c-3"})
        # The host's own copy keeps the real values.
        self.assertEqual(http["body"]["pin_code"], "9876")
        self.assertNotIn("9876", repr(records))

    def test_trace_exception_reaches_the_caller(self):
        calls = []

        def trace(record):
            calls.append(record)
            raise RuntimeError("sink full")

        s = ivrsm.Machine.load(MENU).session(trace=trace)
        with self.assertRaisesRegex(RuntimeError, "sink full"):
            s.start()
        # Only the first failure is reported, later records are skipped.
        self.assertEqual(len(calls), 1)
        self.assertEqual(s.state, "menu")
        self.assertEqual(types(s.commands()), ["ask"])

    def test_callbacks_cannot_reenter_the_session(self):
        seen = []
        box = {}

        def trace(record):
            try:
                box["s"].commands()
            except RuntimeError as exc:
                seen.append(str(exc))

        box["s"] = s = ivrsm.Machine.load(MENU).session(trace=trace)
        s.start()
        self.assertTrue(seen)
        self.assertIn("cannot be used from its own clock or trace callback", seen[0])
        self.assertEqual(types(s.commands()), ["ask"])

    def test_callbacks_must_be_callable(self):
        m = ivrsm.Machine.load(MENU)
        with self.assertRaisesRegex(TypeError, "clock must be callable"):
            m.session(clock=NOW_MS)
        with self.assertRaisesRegex(TypeError, "trace must be callable"):
            m.session(trace="stderr")


if __name__ == "__main__":
    unittest.main()


class WrongArgumentsTest(unittest.TestCase):
    """Every argument of every call given values of the wrong type or out of range: a
    TypeError or ValueError of the binding's (its message starts with "ivrsm:") or an
    ivrsm.Error each time, never another exception (json's, int()'s, an AttributeError) or
    a crash, and the session still answers afterwards."""

    WRONG = [None, 1, -1, 2**70, 1.5, float("nan"), [], {}, b"\x00", "a\x00b", object(), True,
             "x" * 100000, b"\xff\xfe", {"id": 2**70}]

    def test_wrong_values_everywhere(self):
        m = ivrsm.Machine.load(SEED)
        calls = {
            "feed_dtmf": lambda s, v: s.feed_dtmf(v),
            "feed_speech": lambda s, v: s.feed_speech(v),
            "confidence": lambda s, v: s.feed_speech("oui", v),
            "feed_intent": lambda s, v: s.feed_intent(v),
            "event_id": lambda s, v: s.feed_noinput(event_id=v),
            "result id": lambda s, v: s.feed_result(v, 200, "{}"),
            "result status": lambda s, v: s.feed_result(1, v, "{}"),
            "result body": lambda s, v: s.feed_result(1, 200, v),
            "result error": lambda s, v: s.feed_result(1, 0, None, v),
            "handoff id": lambda s, v: s.feed_handoff(v, True),
            "restore": lambda s, v: ivrsm.Session.restore(m, v),
            "call_id": lambda s, v: m.session(call_id=v),
            "ctx": lambda s, v: m.session(ctx=v),
            "clock": lambda s, v: m.session(clock=v),
            "trace": lambda s, v: m.session(trace=v),
            "limits": lambda s, v: m.session(limits=v),
            "load": lambda s, v: ivrsm.Machine.load(v),
            "from_string": lambda s, v: ivrsm.Machine.from_string(v),
            "phone_e164": lambda s, v: m.phone_e164(v),
            "restore machine": lambda s, v: ivrsm.Session.restore(v, s.snapshot()),
            "session machine": lambda s, v: ivrsm.Session(v),
            "load format": lambda s, v: ivrsm.Machine.load(SEED, v),
            "from_string format": lambda s, v: ivrsm.Machine.from_string("a: 1", v),
            "check": lambda s, v: ivrsm.check(v),
            "check_string": lambda s, v: ivrsm.check_string(v),
        }
        for name, call in calls.items():
            for value in self.WRONG:
                s = m.session(call_id="wrong")
                s.start()
                try:
                    result = call(s, value)
                except ivrsm.Error:
                    pass
                except (TypeError, ValueError) as exc:
                    self.assertTrue(str(exc).startswith("ivrsm: "), (name, value, exc))
                else:
                    if hasattr(result, "close"):
                        result.close()
                self.assertIn(s.state, ("ivr.entry", "ivr.auth.phone_capture"), (name, value))
                s.close()
        # A command id that does not fit the library's is refused, never cut short.
        with m.session() as s:
            s.start()
            for big in (2**64, 2**70, {"id": 2**64}):
                with self.assertRaises(TypeError):
                    s.feed_result(big, 200, "{}")
            with self.assertRaises(TypeError):
                s.feed_result({}, 200, "{}")
            with self.assertRaises(ValueError):
                s.feed_result(1, 2**40, "{}")
            with self.assertRaises(TypeError):
                m.session(limits=[("max_state_visits", 3)])
        m.close()


class SnapshotsFromOutsideTest(unittest.TestCase):
    """A snapshot read back from a store, as text or bytes: whole, cut short, damaged, of
    another machine. Restored exactly or refused with SnapshotError, never a crash."""

    def setUp(self):
        self.machine = ivrsm.Machine.load(MENU)
        self.addCleanup(self.machine.close)
        s = self.machine.session(ctx=MENU_CTX)
        s.start()
        s.commands()
        s.feed_dtmf("1")
        self.snap = s.snapshot()
        s.close()

    def test_bytes_restore_as_the_text(self):
        with ivrsm.Session.restore(self.machine, self.snap.encode("utf-8")) as r:
            self.assertEqual(r.snapshot(), self.snap)
            self.assertEqual(r.state, "hours")

    def assert_quotes_no_secret(self, message, where):
        # The call's token and PIN (MENU_CTX), four characters of them in a row: a host logs
        # the message.
        for secret in (MENU_CTX["api_token"], MENU_CTX["pin_code"]):
            for i in range(len(secret) - 3):
                self.assertNotIn(secret[i:i + 4], message, f"{where}: {message}")

    def test_cut_short_damaged_or_foreign_are_refused(self):
        raw = self.snap.encode("utf-8")
        self.assertIn(b"tok-abc", raw)
        for n in range(len(raw)):
            with self.assertRaises(ivrsm.SnapshotError, msg=f"{n} bytes") as caught:
                ivrsm.Session.restore(self.machine, raw[:n])
            self.assert_quotes_no_secret(str(caught.exception), f"{n} bytes")
        for i in range(len(raw)):
            bad = raw[:i] + b"\xff" + raw[i + 1:]
            with self.assertRaises(ivrsm.SnapshotError, msg=f"0xff at {i}") as caught:
                ivrsm.Session.restore(self.machine, bad)
            self.assert_quotes_no_secret(str(caught.exception), f"0xff at {i}")
        with ivrsm.Machine.load(DATES) as other:
            with self.assertRaisesRegex(ivrsm.SnapshotError, "machine"):
                ivrsm.Session.restore(other, self.snap)
        # An integer past 64 bits, said as every reader of a call's data says it: without its
        # digits, which may be a card's.
        big = self.snap.replace('"next_id":', '"next_id":18446744073709551616,"x":', 1)
        self.assertNotEqual(big, self.snap)
        with self.assertRaisesRegex(
            ivrsm.SnapshotError,
            r"an integer is out of range \(-9223372036854775808 to 9223372036854775807\)",
        ) as caught:
            ivrsm.Session.restore(self.machine, big)
        self.assertNotIn("18446744073709551616", str(caught.exception))

    def test_ctx_that_is_no_json_quotes_no_secret(self):
        text = json.dumps(MENU_CTX)
        for n in range(len(text)):
            with self.assertRaises(ivrsm.Error, msg=f"{n} characters") as caught:
                self.machine.session(ctx=text[:n])
            self.assert_quotes_no_secret(str(caught.exception), f"{n} characters")

    def test_what_is_no_snapshot_is_a_type_error(self):
        import json

        for bad in (None, 42, json.loads(self.snap), [self.snap], bytearray(b"{}")):
            with self.assertRaisesRegex(TypeError, "ivrsm: a snapshot must be str or bytes"):
                ivrsm.Session.restore(self.machine, bad)


class CollectModesTest(unittest.TestCase):
    """Every collect mode of the format is one that input_collect names, in both bindings."""

    def test_reference_and_every_mode_listed(self):
        import json
        import re

        from support import ROOT

        machine = ivrsm.Machine.from_string(
            'machine: r\nversion: "1"\nstates:\n  code:\n    type: prompt_and_listen\n'
            '    prompt: "Code?"\n    collect: {mode: reference, pattern: "AA9999"}\n    next: bye\n'
            '  bye: {type: prompt_end, prompt: "Bye."}\n', "yaml")
        self.addCleanup(machine.close)
        s = machine.session()
        self.addCleanup(s.close)
        s.start()
        self.assertEqual(s.input_collect, "reference")
        schema = json.loads((ROOT / "schema" / "ivrsm-machine.schema.json").read_text())

        def modes(node):
            if isinstance(node, dict):
                if node.get("title") == "Mode" and "enum" in node:
                    return node["enum"]
                for v in node.values():
                    found = modes(v)
                    if found:
                        return found
            elif isinstance(node, list):
                for v in node:
                    found = modes(v)
                    if found:
                        return found
            return None

        listed = modes(schema)
        self.assertIn("reference", listed)
        doc = type(s).input_collect.__doc__
        dts = (ROOT / "bindings" / "node" / "index.d.ts").read_text()
        js = (ROOT / "bindings" / "node" / "index.js").read_text()
        union = re.search(r"readonly inputCollect:\s*([^;]+);", dts).group(1)
        ask_union = re.search(r"collect\?: ([^;]+);", dts).group(1)
        js_doc = js[js.index("The collect mode that reads the next input"):js.index("get inputCollect")]
        for mode in listed:
            self.assertIn(f'"{mode}"', doc)
            self.assertIn(f"'{mode}'", union)
            self.assertIn(f"'{mode}'", ask_union)
            self.assertIn(f"'{mode}'", js_doc)
