"""The seed machine (examples/synergia_rdv) through login, with canned backend answers,
and snapshot/restore after every event."""

import json
import unittest

from support import MENU, SEED, only, types

import ivrsm

OTP = "482913"


def login(s):
    """Drive a started seed session from the entry menu to the channel question.

    Returns the commands seen at each step, keyed by step name."""
    seen = {"start": s.commands()}
    s.feed_dtmf("1", event_id="e1")
    seen["entry"] = s.commands()
    s.feed_dtmf("0612345678#", event_id="e2")
    seen["phone"] = s.commands()
    request = only(seen["phone"], "http")
    s.feed_result(request, 200, '{"challenge_id":"c"}', event_id="e3")
    seen["request_otp"] = s.commands()
    s.feed_dtmf(OTP + "#", event_id="e4")
    seen["otp"] = s.commands()
    verify = only(seen["otp"], "http")
    s.feed_result(verify, 200, '{"session_token":"t","partner_id":42}', event_id="e5")
    seen["verify_otp"] = s.commands()
    s.feed_dtmf("1", event_id="e6")
    seen["consent"] = s.commands()
    return seen


class SeedTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.machine = ivrsm.Machine.load(SEED)

    def test_login_with_canned_results(self):
        s = self.machine.session(call_id="seed-1", ctx={"caller": "+33612345678"})
        s.start()
        seen = login(s)

        entry = only(seen["start"], "ask")
        self.assertEqual(entry["state"], "ivr.entry")
        self.assertTrue(entry["text"].startswith("Bonjour et bienvenue."))
        self.assertIn("rendez-vous", entry["hints"])

        phone = only(seen["entry"], "ask")
        self.assertEqual(phone["state"], "ivr.auth.phone_capture")
        self.assertEqual(phone["collect"], "phone")
        self.assertEqual(phone["terminators"], "#")

        request = only(seen["phone"], "http")
        self.assertEqual((request["method"], request["path"]), ("PUT", "/auth/request-otp"))
        self.assertEqual(request["endpoint"], "request_otp")
        self.assertEqual(
            request["body"],
            {
                "phone_e164": "+33612345678",
                "channel": "sms",
                "purpose": "portal_login",
                "role": "client",
                "call_id": "seed-1",
                "session_id": "s-seed-1",
            },
        )
        self.assertEqual(request["idempotency_key"], f"s-seed-1-{request['id']}")

        code = only(seen["request_otp"], "ask")
        self.assertEqual(code["state"], "ivr.auth.verify_otp")
        self.assertEqual(code["collect"], "otp")
        self.assertEqual(code["max_digits"], 6)
        self.assertIn("Un code à six chiffres", code["text"])

        verify = only(seen["otp"], "http")
        self.assertEqual(verify["path"], "/auth/verify-otp")
        self.assertEqual(verify["body"]["otp"], OTP)
        self.assertEqual(verify["body"]["challenge_id"], "c")

        consent = only(seen["verify_otp"], "ask")
        self.assertEqual(consent["state"], "ivr.auth.consent")

        channel = only(seen["consent"], "ask")
        self.assertEqual(channel["state"], "ivr.auth.preferred_channel")

        ctx = s.ctx
        self.assertEqual(ctx["phone_e164"], "+33612345678")
        self.assertEqual(ctx["otp_challenge_id"], "c")
        self.assertEqual(ctx["portal_session_token"], "t")
        self.assertEqual(ctx["partner_id"], 42)
        self.assertIs(ctx["consent_ok"], True)

        s.feed_dtmf("2")
        me = only(s.commands(), "http")
        self.assertEqual((me["method"], me["path"]), ("GET", "/portal/me"))
        self.assertEqual(me["headers"], {"Authorization": "Bearer t"})
        self.assertEqual(s.ctx["preferred_channel"], "sms")
        s.feed_result(me, 200, "{}")
        upcoming = only(s.commands(), "http")
        self.assertEqual(upcoming["query"], "scope=upcoming")
        s.feed_result(
            upcoming,
            200,
            {"count": 0, "appointments": [], "summary_voice": ""},
        )
        router = only(s.commands(), "ask")
        self.assertEqual(router["state"], "ivr.appointments.list.router")
        self.assertIn("Vous n'avez aucun rendez-vous à venir.", router["text"])
        s.feed_speech("je veux parler à un conseiller")
        handoff = only(s.commands(), "handoff")
        self.assertEqual(handoff["queue"], "care_queue_1")
        self.assertEqual(handoff["context"]["partner_id"], 42)
        self.assertEqual(handoff["context"]["ctx"]["portal_session_token"], "***")

    def test_what_reads_the_next_input(self):
        """A secret input and its collect, in the retry state too (whose ask shows no collect)."""
        s = self.machine.session(call_id="seed-3")
        self.assertIs(s.input_is_secret, False)  # not started
        self.assertIsNone(s.input_collect)
        s.start()
        s.commands()
        self.assertEqual((s.state, s.input_is_secret, s.input_collect), ("ivr.entry", False, None))
        s.feed_dtmf("1")
        s.commands()
        self.assertEqual((s.input_is_secret, s.input_collect), (False, "phone"))
        s.feed_dtmf("0612345678#")
        s.feed_result(only(s.commands(), "http"), 200, '{"challenge_id":"c"}')
        s.commands()
        self.assertEqual((s.state, s.input_is_secret, s.input_collect),
                         ("ivr.auth.verify_otp", True, "otp"))
        s.feed_dtmf("000000#")
        s.feed_result(only(s.commands(), "http"), 401, '{"error":"invalid_code"}')
        retry = only(s.commands(), "ask")
        self.assertEqual(retry["state"], "ivr.auth.verify_otp.retry")
        self.assertNotIn("collect", retry)
        self.assertEqual((s.input_is_secret, s.input_collect), (True, "otp"))
        s.close()
        with self.assertRaises(ValueError):
            s.input_is_secret

    def test_phone_numbers_in_e164(self):
        m = self.machine
        self.assertEqual(m.phone_e164("0612345678"), "+33612345678")
        self.assertEqual(m.phone_e164("0033612345678"), "+33612345678")
        self.assertEqual(m.phone_e164("+41221234567"), "+41221234567")
        self.assertIsNone(m.phone_e164("anonymous"))
        self.assertIsNone(m.phone_e164("+3361234"))
        self.assertEqual(ivrsm.phone_e164("2125551212", "en-US"), "+12125551212")
        self.assertIsNone(ivrsm.phone_e164("0612345678", "en-US"))
        with self.assertRaises(ivrsm.Error) as caught:
            ivrsm.phone_e164("0612345678", "xx-YY")
        self.assertEqual(caught.exception.code, ivrsm.ENOTFOUND)
        with self.assertRaises(TypeError):
            m.phone_e164(612345678)
        with self.assertRaises(TypeError):
            ivrsm.phone_e164("0612345678")

    def test_otp_and_token_never_reach_the_trace(self):
        records = []
        s = self.machine.session(call_id="seed-2", trace=records.append)
        s.start()
        seen = login(s)
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
        self.assertNotIn(OTP, text)
        self.assertNotIn('"t"', text)
        otp_event = next(r for r in records if r.get("event_id") == "e4")
        self.assertEqual(otp_event["text"], "***")
        verify = next(
            r
            for r in records
            if r["kind"] == "command" and r["id"] == only(seen["otp"], "http")["id"]
        )
        self.assertEqual(verify["body"]["otp"], "***")
        result = next(r for r in records if r.get("event_id") == "e5")
        self.assertEqual(result["body"]["session_token"], "***")
        self.assertEqual(result["body"]["partner_id"], 42)


class SnapshotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.machine = ivrsm.Machine.load(SEED)

    def steps(self):
        """The seed login as events; results name the http command pending then."""
        def result(body, event_id):
            return lambda s, pending: s.feed_result(pending["id"], 200, body, event_id=event_id)

        return [
            lambda s, pending: s.feed_dtmf("1", event_id="e1"),
            lambda s, pending: s.feed_noinput(event_id="e2"),
            lambda s, pending: s.feed_dtmf("0612345678#", event_id="e3"),
            result('{"challenge_id":"c"}', "e4"),
            lambda s, pending: s.feed_speech("quatre huit deux neuf un trois", event_id="e5"),
            result('{"session_token":"t","partner_id":42}', "e6"),
            lambda s, pending: s.feed_speech("oui", event_id="e7"),
            lambda s, pending: s.feed_dtmf("3", event_id="e8"),
        ]

    def test_restored_session_gives_the_same_next_commands(self):
        live = self.machine.session(call_id="snap-1")
        live.start()
        pending = None
        first = live.commands()
        self.assertEqual(types(first), ["ask"])
        for step in self.steps():
            snapshot = live.snapshot()
            self.assertEqual(json.loads(snapshot)["machine"], "synergia_rdv_mvp_ivr")
            with ivrsm.Session.restore(self.machine, snapshot) as restored:
                self.assertEqual(restored.state, live.state)
                self.assertEqual(restored.ctx, live.ctx)
                step(live, pending)
                step(restored, pending)
                expected = live.commands()
                self.assertEqual(restored.commands(), expected)
                self.assertEqual(restored.ctx, live.ctx)
                self.assertEqual(restored.state, live.state)
                # Event ids are saved too: replaying the step is a duplicate.
                with self.assertRaises(ivrsm.DuplicateEvent):
                    step(restored, pending)
            https = [c for c in expected if c["type"] == "http"]
            pending = https[-1] if https else pending
        self.assertEqual(live.state, "ivr.auth.persist_prefs")
        self.assertEqual(live.ctx["preferred_channel"], "email")

    def test_queued_commands_are_saved(self):
        s = self.machine.session(call_id="snap-2")
        s.start()
        restored = ivrsm.Session.restore(self.machine, s.snapshot())
        self.assertEqual(restored.commands(), s.commands())

    def test_restore_on_a_newly_loaded_copy_of_the_machine(self):
        s = self.machine.session(call_id="snap-3")
        s.start()
        s.commands()
        s.feed_dtmf("1")
        s.feed_dtmf("0612345678#")
        http = only(s.commands(), "http")
        with ivrsm.Machine.load(SEED) as reloaded:
            r = ivrsm.Session.restore(reloaded, s.snapshot())
        r.feed_result(http, 200, '{"challenge_id":"c"}')
        self.assertEqual(r.state, "ivr.auth.verify_otp")
        self.assertEqual(r.ctx["otp_challenge_id"], "c")

    def test_restore_keeps_the_clock_and_trace_given(self):
        records = []
        s = self.machine.session(call_id="snap-4")
        s.start()
        r = ivrsm.Session.restore(self.machine, s.snapshot(), trace=records.append)
        r.feed_dtmf("2")
        self.assertTrue(records)
        self.assertTrue(all(rec["session"] == "s-snap-4" for rec in records))

    def test_snapshot_of_another_machine_is_refused(self):
        s = self.machine.session()
        s.start()
        with ivrsm.Machine.load(MENU) as menu:
            with self.assertRaises(ivrsm.SnapshotError) as cm:
                ivrsm.Session.restore(menu, s.snapshot())
        self.assertEqual(cm.exception.code, ivrsm.ESNAPSHOT)
        self.assertEqual(str(cm.exception), "snapshot: taken on another machine or version")

    def test_malformed_snapshot(self):
        for bad in ("", "{", "[]", '{"machine": "synergia_rdv_mvp_ivr"}'):
            with self.subTest(snapshot=bad):
                with self.assertRaises(ivrsm.SnapshotError) as cm:
                    ivrsm.Session.restore(self.machine, bad)
                self.assertTrue(cm.exception.message)


if __name__ == "__main__":
    unittest.main()
