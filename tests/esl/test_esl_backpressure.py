#!/usr/bin/env python3
"""The ESL host against a FreeSWITCH that is slow to read, stops, or floods it.

    test_esl_backpressure.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH

mod_event_socket.c (listener_run, read_packet, parse_command) gives each
connection one thread that reads the host's commands (a byte at a time for
their headers), runs each in turn, an "api" command in that same thread, and
writes the queued events only between commands. A slow API therefore stops
both directions of that connection; events queue meanwhile (100,000 at most,
then dropped, and past 500 drops the connection is closed: event_handler,
kill_listener). The fake FreeSWITCH models that (fake_freeswitch.py: "reader",
"rcvbuf", "stall", "flood", "event_queue_len"), and these tests run the host
against it over TCP on 127.0.0.1 with the seed's mock backend.
"""

import os
import re
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_esl_host as base  # noqa: E402
from test_esl_host import (OTP, Harness, call_uuid, prompt_of, scrape,  # noqa: E402
                           seed_login_inputs)

LIST_PROMPT = "Vous avez 3 rendez-vous à venir."


def app_sequence(h, uuid):
    """The applications a call ran, in order, with their arguments."""
    return [(e["app"], e["arg"]) for e in h.executes(uuid)]


class Scraper(threading.Thread):
    """Scrapes the metrics every 50 ms while a test runs; keeps the longest wait."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.longest = 0.0
        self.count = 0
        self.failures = []

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=10) as r:
                    r.read()
                self.count += 1
            except OSError as e:
                self.failures.append(repr(e))
            self.longest = max(self.longest, time.monotonic() - t0)
            self.stop.wait(0.05)


class BackpressureTest(unittest.TestCase):
    maxDiff = None

    def start(self, script, **kw):
        h = Harness(script, **kw)
        self.addCleanup(h.cleanup)
        h.host_args = ["--metrics", "127.0.0.1:0", *h.host_args]
        h.start()
        h.wait_log(r"metrics on http://127\.0\.0\.1:\d+/metrics")
        h.metrics_url = re.search(r"metrics on (http://\S+/metrics)", h.log()).group(1)
        return h

    def finish(self, h, timeout=30, scraper=None, waited=False):
        if not waited:
            h.wait_done(timeout)
            h.wait_ended()
        if scraper is not None:
            scraper.stop.set()
            scraper.join()
        h.stop_host()
        h.stop()
        self.assertEqual(h.host_rc, 0, h.host_log)
        self.assertIsNotNone(h.report)
        return h

    def assert_calls_alike(self, h, uuids):
        """Every call ran the same applications with the same arguments, in the same order,
        and reached the list: nothing lost, reordered or taken from another call."""
        first = app_sequence(h, uuids[0])
        self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuids[0])))
        for uuid in uuids[1:]:
            self.assertEqual(app_sequence(h, uuid), first, uuid)
        for uuid in uuids:
            ids = [e["event_uuid"] for e in h.executes(uuid)]
            self.assertEqual(len(ids), len(set(ids)))

    def test_slow_reader_and_a_stalled_listener(self):
        """FreeSWITCH reads the commands a byte at a time, slowly, through a small socket
        buffer, and its listener stops for 2 s in the middle of the calls (an API that
        blocks it): six calls go on over the one connection, each one's applications
        whole and in order, the metrics answered throughout, no reconnection."""
        uuids = [call_uuid(300 + i) for i in range(6)]
        calls = []
        for i, uuid in enumerate(uuids):
            inputs = seed_login_inputs()
            if i == 0:
                inputs[1] = dict(inputs[1], stall={"after_ms": 20, "for_ms": 2000})
            calls.append({"uuid": uuid, "inputs": inputs, "start_after_ms": 30 * i})
        h = self.start({"calls": calls, "rcvbuf": 2048,
                        "reader": {"mode": "bytes", "pause_every": 256, "pause_ms": 2}})
        scraper = Scraper(h.metrics_url)
        scraper.start()
        self.finish(h, scraper=scraper)
        self.assertEqual(h.report["stalls"], 1)
        self.assertEqual(len(h.report["connections"]), 1, h.host_log)
        self.assertNotIn("connection lost", h.host_log)
        self.assert_calls_alike(h, uuids)
        self.assertEqual(scraper.failures, [])
        self.assertGreater(scraper.count, 5)
        self.assertLess(scraper.longest, 1.5)  # a loop held by the stall would take 2 s

    def test_stuck_listener_is_dropped_and_calls_resume(self):
        """FreeSWITCH's listener stops for good (an API that never returns) while the host
        waits for the reply to a question it sent: after --esl-reply-timeout-ms the host
        drops the connection (logged), reconnects, and each call resumes with its command
        in flight sent again; the metrics are answered meanwhile."""
        uuids = [call_uuid(310), call_uuid(311)]
        # The first call (started first) waits at the phone question, which runs on until
        # the uuid_break of the resumption; the second types its number, and the listener
        # stops at the next command the host sends (its next question): never read.
        waiting = seed_login_inputs()
        waiting.insert(1, {"hold": True})
        stuck = seed_login_inputs()
        stuck[1] = dict(stuck[1], stall={"on_next_command": True})
        h = self.start({"calls": [{"uuid": uuids[0], "inputs": waiting},
                                  {"uuid": uuids[1], "inputs": stuck, "start_after_ms": 1000}]},
                       host_args=["--esl-reply-timeout-ms", "1000"])
        scraper = Scraper(h.metrics_url)
        scraper.start()
        h.wait_log(r"FreeSWITCH has not answered a command in 1000 ms", timeout=20)
        during = scrape(h.metrics_url)
        self.finish(h, scraper=scraper)
        self.assertEqual(len(h.report["connections"]), 2, h.host_log)
        self.assertIn("reconnecting to", h.host_log)
        self.assertIn("call %s: resumed in ivr.auth.phone_capture" % uuids[0], h.host_log)
        self.assertIn("call %s: resumed in ivr.auth.verify_otp" % uuids[1], h.host_log)
        for uuid in uuids:
            self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuid)), uuid)
            self.assertTrue([e for e in h.asks(uuid) if e["connection"] == 2], uuid)
        self.assertEqual(scraper.failures, [])
        self.assertLess(scraper.longest, 1.5)  # a loop held by the stuck switch: never
        self.assertEqual(during["ivrsm_esl_calls_active"], 2)

    def test_quiet_stuck_listener_is_found_out(self):
        """The listener stops for good while the only call waits for its caller (the host
        awaits no reply): after --esl-reply-timeout-ms of quiet the host asks "api status",
        gets no answer, drops the connection and resumes the call, its question asked
        again on the new connection."""
        uuid = call_uuid(315)
        inputs = seed_login_inputs()
        # At the phone question the caller says nothing yet (the question runs on until
        # the uuid_break of the resumption); 100 ms later the listener stops.
        inputs.insert(1, {"hold": True, "stall": {"after_ms": 100}})
        h = self.start({"calls": [{"uuid": uuid, "inputs": inputs}]},
                       host_args=["--esl-reply-timeout-ms", "1000"])
        self.finish(h)
        self.assertEqual(len(h.report["connections"]), 2, h.host_log)
        self.assertRegex(h.host_log, r"esl: nothing from FreeSWITCH for \d+ ms: asking for its "
                                     r"status")
        self.assertIn("FreeSWITCH has not answered a command in 1000 ms", h.host_log)
        self.assertIn("call %s: resumed in ivr.auth.phone_capture" % uuid, h.host_log)
        phone = [a for a in h.asks(uuid) if "Pour sécuriser votre accès" in prompt_of(a)]
        self.assertEqual([a["connection"] for a in phone], [1, 2])
        self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuid)))

    def test_listener_back_after_the_host_left_plays_nothing_whole(self):
        """The listener stops while two calls wait for the backend (request_otp, slow); both
        answers come meanwhile and the host sends each call its next question. After
        --esl-reply-timeout-ms the host drops the connection and resumes both calls on a new
        one; then the old listener comes back and runs what it had not read
        (mod_event_socket.c listener_run reads until the end of the stream). Each late
        application that plays is stopped as it starts (late.c); those that play nothing
        (flush_dtmf) run; both calls reach the list."""
        uuids = [call_uuid(340), call_uuid(341)]
        calls = []
        for i, uuid in enumerate(uuids):
            inputs = seed_login_inputs()
            if i == 0:
                # 150 ms after the phone number, during the slow request: stopped 2 s.
                inputs[1] = dict(inputs[1], stall={"after_ms": 150, "for_ms": 2000})
            # The code's question answered only after 1.5 s of silence: the calls are still
            # live when the old listener comes back.
            inputs.insert(2, {"hold": True, "for_ms": 1500})
            calls.append({"uuid": uuid, "inputs": inputs})
        h = self.start({"calls": calls}, host_args=["--esl-reply-timeout-ms", "1000"],
                       mock_args=["--fail", "request_otp=slow:400"])
        self.finish(h, timeout=40)
        connections = h.report["connections"]
        self.assertEqual(len(connections), 2, h.host_log)
        self.assertIn("FreeSWITCH has not answered a command in 1000 ms", h.host_log)
        second = connections[1]["opened_ms"]
        late = [e for uuid in uuids for e in h.executes(uuid)
                if e["connection"] == 1 and e.get("started", 0) > second]
        for e in late:
            if e["app"] in ("play_and_get_digits", "play_and_detect_speech", "speak",
                            "playback"):
                self.assertIn("broken_ms", e, e)
                self.assertLess(e["broken_ms"] - e["started"], 500, e)
            else:
                self.assertIn(e["app"], ("flush_dtmf", "multiset", "set"), e)
        for uuid in uuids:
            self.assertIn("call %s: resumed in" % uuid, h.host_log)
            self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuid)), uuid)

    def test_question_read_late_is_stopped_as_it_starts(self):
        """The listener stops as it reads a call's question (play_and_get_digits, after its
        flush_dtmf was answered) and comes back 2.5 s later, when the host has long dropped
        the connection and asked the question again on a new one: the old thread runs the
        question it had read (mod_event_socket.c listener_run). The host watches for that
        Event-UUID (CHANNEL_EXECUTE, subscribed to only meanwhile) and stops it with
        uuid_break as it starts: the caller hears the question once, answers it once, and
        the call goes on to the list."""
        uuid = call_uuid(342)
        inputs = seed_login_inputs()
        inputs[1] = dict(inputs[1], stall={"on_next_command": True, "app": "play_and_get_digits",
                                           "for_ms": 2500})
        # The code's question answered after 3 s: the call is still there when the old
        # listener comes back. The caller keys the code 50 ms into a question (they hear some
        # of it first; the question, time-scaled, waits 100 ms for a first key).
        inputs.insert(2, {"hold": True, "for_ms": 3000})
        inputs[3] = dict(inputs[3], after_ms=50)
        h = self.start({"calls": [{"uuid": uuid, "inputs": inputs}]},
                       host_args=["--esl-reply-timeout-ms", "1000"])
        self.finish(h, timeout=40)
        connections = h.report["connections"]
        self.assertEqual(len(connections), 2, h.host_log)
        second = connections[1]["opened_ms"]
        late = [e for e in h.executes(uuid) if e["connection"] == 1 and e.get("started", 0) > second]
        self.assertEqual([e["app"] for e in late], ["play_and_get_digits"], h.host_log)
        self.assertIn("broken_ms", late[0])
        self.assertLess(late[0]["broken_ms"] - late[0]["started"], 500)
        self.assertIn("call %s: play_and_get_digits sent on the connection lost started only now"
                      % uuid, h.host_log)
        self.assertIn("event plain CHANNEL_EXECUTE", [c["line"] for c in connections[1]["commands"]])
        self.assertIn("nixevent CHANNEL_EXECUTE", [c["line"] for c in connections[1]["commands"]])
        # The code went to a question the host asked, not to the late one.
        self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuid)))

    def test_spoken_question_read_late_is_stopped_as_it_starts(self):
        """The same with a recogniser and voices per language: the phone number's question
        (play_and_detect_speech) goes with its voice set before it and its mark
        ("set ivrsm_speech_done=UUID") after it, all three lost with the connection. The one
        watched for is the question, the one that plays: the old thread's voice set and mark
        run, the question is stopped as it starts. (The mark, written last, used to take
        the watch: the late question then played to its end to a caller who was answering
        the same question on the new connection.)"""
        uuid = call_uuid(347)
        phone = ("zéro six quatre-vingt-dix-huit soixante-seize cinquante-quatre "
                 "trente-huit")
        inputs = [{"digits": "1", "stall": {"on_next_command": True,
                                            "app": "play_and_detect_speech", "for_ms": 2500}},
                  {"hold": True, "for_ms": 3000},
                  {"speech": phone, "confidence": 0.9, "after_ms": 50},
                  {"digits": OTP}, {"digits": "1"}, {"digits": "1"}]
        h = self.start({"calls": [{"uuid": uuid, "inputs": inputs}]},
                       host_args=["--esl-reply-timeout-ms", "1000", "--asr-engine", "unimrcp",
                                  "--tts-voice", "fr-FR=bernard,kal"])
        self.finish(h, timeout=40)
        connections = h.report["connections"]
        self.assertEqual(len(connections), 2, h.host_log)
        second = connections[1]["opened_ms"]
        late = [e for e in h.executes(uuid) if e["connection"] == 1 and e.get("started", 0) > second]
        self.assertEqual([e["app"] for e in late], ["play_and_detect_speech", "set"], h.host_log)
        self.assertIn("broken_ms", late[0])
        self.assertLess(late[0]["broken_ms"] - late[0]["started"], 500)
        self.assertEqual(late[1]["arg"], "ivrsm_speech_done=" + late[0]["event_uuid"])
        self.assertIn("call %s: play_and_detect_speech sent on the connection lost started only "
                      "now" % uuid, h.host_log)
        self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuid)),
                        h.host_log)

    def test_every_prompt_carries_its_voice_whatever_ran_late(self):
        """Voices per language (--tts-voice), the language switched from French to English and
        back. The listener stops as it reads the "set tts_voice=slt" of the English question
        and comes back 2.5 s later, once the host has asked that question again on a new
        connection and moved on to French questions: the old thread runs the English voice
        set it had read (mod_event_socket.c listener_run) in the middle of the French ones.
        Every prompt is still spoken in its own language's voice: the host writes "set
        tts_voice" right before each prompt, and FreeSWITCH runs the messages queued on a
        channel in order, one at a time under event-lock (switch_ivr_parse_event,
        switch_core_session_dequeue_private_event). When the host set the voice only as the
        language changed, the French question after the late set was spoken in the English
        voice."""
        uuid = call_uuid(345)
        voices = {"fr": "bernard", "en": "slt"}
        inputs = [{"digits": "9", "stall": {"on_next_command": True, "app": "set",
                                            "for_ms": 2500}},
                  {"digits": "8"},
                  # The first French question runs 3 s unanswered: the old listener comes
                  # back meanwhile, its late voice set queued behind the question.
                  {"hold": True, "for_ms": 3000},
                  {"digits": "1", "after_ms": 50},
                  {"digits": "1"}]
        h = self.start({"calls": [{"uuid": uuid, "inputs": inputs}]},
                       machine=base.HERE / "voice_switch_machine.yaml", backend=False,
                       host_args=["--esl-reply-timeout-ms", "1000",
                                  "--tts-voice", "fr-FR=bernard,en-US=slt,kal"])
        self.finish(h, timeout=40)
        connections = h.report["connections"]
        self.assertEqual(len(connections), 2, h.host_log)
        second = connections[1]["opened_ms"]
        executes = h.executes(uuid)
        late_sets = [e for e in executes if e["connection"] == 1 and e["app"] == "set"
                     and e.get("started", 0) > second]
        self.assertEqual([e["arg"] for e in late_sets], ["tts_voice=slt"], h.host_log)
        french = ("Bonjour", "Pour le français", "Première", "Deuxième", "Au revoir")
        heard = [e for e in executes if e["app"] in base.ASKS + ("speak",) and "voice" in e]
        for e in heard:
            language = "fr" if prompt_of(e).startswith(french) else "en"
            self.assertEqual(e["voice"], voices[language], (prompt_of(e), e["connection"]))
        firsts = [e for e in heard if prompt_of(e) == "Première question ?"]
        self.assertEqual(len(firsts), 2, h.host_log)
        self.assertGreater(firsts[1]["started"], late_sets[0]["started"])
        # Each question of the host's comes right after its voice, in the channel's queue.
        ran = sorted((e for e in executes if "started" in e), key=lambda e: e["started"])
        for i, e in enumerate(ran):
            if e["app"] in base.ASKS and "broken_ms" not in e:
                self.assertEqual((ran[i - 1]["app"], ran[i - 1]["arg"]),
                                 ("set", "tts_voice=" + e["voice"]), prompt_of(e))
        self.assertIn("Au revoir.", [prompt_of(e) for e in heard])

    def test_voice_set_late_between_a_set_and_its_prompt_is_not_heard(self):
        """The listener stops as it reads the "set tts_voice=slt" of the English question and
        comes back at the worst moment: right after the new connection queued the "set
        tts_voice=bernard" of the first French question, before its prompt (two listener
        threads queue on one channel side by side: mod_event_socket.c parse_command). Its late
        set runs between the two, and the French prompt starts in the English voice. The host
        sees it in the prompt's CHANNEL_EXECUTE (the channel's variables as the application
        starts: switch_core_session_exec), stops it at once and sends the step again: no prompt
        plays to its end in another voice, and the caller answers the French question asked in
        French. When the host only wrote its set right before each prompt, "Première
        question ?" was spoken in the English voice."""
        uuid = call_uuid(346)
        voices = {"fr": "bernard", "en": "slt"}
        inputs = [{"digits": "9", "stall": {"on_next_command": True, "app": "set",
                                            "until_voice_set_elsewhere": True}},
                  {"digits": "8"},
                  {"digits": "1", "after_ms": 50},
                  {"digits": "1"}]
        h = self.start({"calls": [{"uuid": uuid, "inputs": inputs}]},
                       machine=base.HERE / "voice_switch_machine.yaml", backend=False,
                       host_args=["--esl-reply-timeout-ms", "1000",
                                  "--tts-voice", "fr-FR=bernard,en-US=slt,kal"])
        self.finish(h, timeout=40)
        self.assertEqual(len(h.report["connections"]), 2, h.host_log)
        executes = h.executes(uuid)
        ran = sorted((e for e in executes if "started" in e), key=lambda e: e["started"])
        late = [i for i, e in enumerate(ran) if e["connection"] == 1 and e["app"] == "set"
                and e["arg"] == "tts_voice=slt"]
        self.assertEqual(len(late), 1, h.host_log)
        # The late set ran right behind the host's own French voice.
        self.assertEqual((ran[late[0] - 1]["connection"], ran[late[0] - 1]["arg"]),
                         (2, "tts_voice=bernard"))
        french = ("Bonjour", "Pour le français", "Première", "Deuxième", "Au revoir")
        heard = [e for e in executes if e["app"] in base.ASKS + ("speak",) and "voice" in e
                 and "broken_ms" not in e]
        for e in heard:
            language = "fr" if prompt_of(e).startswith(french) else "en"
            self.assertEqual(e["voice"], voices[language], (prompt_of(e), e["connection"]))
        stopped = [e for e in executes if e["app"] in base.ASKS and "broken_ms" in e
                   and prompt_of(e) == "Première question ?"]
        self.assertEqual([e["voice"] for e in stopped], ["slt"], h.host_log)
        self.assertIn("call %s: its prompt started in voice 'slt', not 'bernard'" % uuid,
                      h.host_log)
        self.assertEqual([prompt_of(e) for e in heard if e["connection"] == 2],
                         ["For French, press 8.", "Première question ?", "Deuxième question ?",
                          "Au revoir."])

    def test_event_longer_than_its_bytes_is_found_out_without_a_reply_timeout(self):
        """An event whose Content-Length says 100 bytes more than FreeSWITCH wrote, while the
        caller is silent at the code's question: nothing else comes, and the reply timeout
        (30 s by default) has nothing to time. mod_event_socket.c read_packet writes each
        message whole, so the host takes 5 s without the rest of a message begun as a broken
        stream: a new connection, the question asked again on it, the call goes on. (The host
        used to wait for the body until a reply timed out, if one ever did.)"""
        uuid = call_uuid(348)
        inputs = seed_login_inputs()
        inputs.insert(2, {"hold": True, "overlong_event": {"after_ms": 50, "extra": 100}})
        h = self.start({"calls": [{"uuid": uuid, "inputs": inputs}]})
        self.finish(h, timeout=40)
        connections = h.report["connections"]
        self.assertEqual(len(connections), 2, h.host_log)
        waited = connections[1]["opened_ms"] - h.report["overlong_sent_ms"]
        self.assertGreaterEqual(waited, 4900, h.host_log)
        self.assertLess(waited, 9000, h.host_log)
        self.assertRegex(h.host_log, r"esl: a message from FreeSWITCH stopped after [0-9]+ of the "
                         r"[0-9]+ bytes it announced, nothing more for 5[0-9]{3} ms")
        self.assertNotIn("FreeSWITCH has not answered", h.host_log)
        self.assertIn("call %s: resumed in ivr.auth.verify_otp" % uuid, h.host_log)
        self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuid)))

    def run_cut_switch(self, cut, host_args=()):
        """Two calls wait at the phone question, their callers silent (the question runs on
        until a uuid_break); 50 ms in, `cut` happens to every connection. Returns the
        harness once both calls ended."""
        uuids = [call_uuid(343), call_uuid(344)]
        calls = []
        for i, uuid in enumerate(uuids):
            inputs = seed_login_inputs()
            hold = {"hold": True}
            if i == 1:
                hold.update(cut)
            inputs.insert(1, hold)
            calls.append({"uuid": uuid, "inputs": inputs, "start_after_ms": 40 * i})
        h = self.start({"calls": calls}, host_args=list(host_args))
        self.finish(h, timeout=40)
        connections = h.report["connections"]
        self.assertEqual(len(connections), 2, h.host_log)
        second = connections[1]["opened_ms"]
        for uuid in uuids:
            self.assertIn("call %s: resumed in ivr.auth.phone_capture" % uuid, h.host_log)
            phone = [a for a in h.asks(uuid) if "Pour sécuriser votre accès" in prompt_of(a)]
            self.assertEqual([a["connection"] for a in phone], [1, 2], uuid)
            self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuid)), uuid)
            late = [e for e in h.executes(uuid) if e["connection"] == 1
                    and e.get("started", 0) > second]
            self.assertEqual(late, [], uuid)
        return h

    def test_switch_that_stops_writing_is_dropped_and_calls_resume(self):
        """FreeSWITCH goes on reading and running the host's commands, but nothing it writes
        reaches the host any more (a path lost one way): no reply, no event. With every call
        waiting for its caller the host awaits no reply, so after --esl-reply-timeout-ms of
        quiet it asks "api status", gets nothing, drops the connection and resumes both
        calls on a new one: each question stopped by uuid_break and asked again once."""
        h = self.run_cut_switch({"stall": {"after_ms": 50, "mode": "write"}},
                                host_args=["--esl-reply-timeout-ms", "1000"])
        self.assertGreater(h.report["bytes_muted"], 0)
        self.assertRegex(h.host_log, r"nothing from FreeSWITCH for \d+ ms: asking for its status")
        self.assertIn("FreeSWITCH has not answered a command in 1000 ms", h.host_log)

    def test_switch_that_half_closes_is_dropped_and_calls_resume(self):
        """FreeSWITCH's side ends its stream (a FIN) while its listener goes on reading: the
        host takes the end of the stream as a lost connection at once, without waiting for a
        timeout (30 s here), reconnects and resumes both calls."""
        h = self.run_cut_switch({"half_close": {"after_ms": 50}})
        self.assertEqual(h.report["half_closes"], 1)
        self.assertIn("connection lost (closed by FreeSWITCH)", h.host_log)
        self.assertNotIn("has not answered", h.host_log)

    def test_listener_killed_for_lost_events_is_reconnected(self):
        """A stopped listener whose event queue is full (lowered here from 100,000) loses
        the events that follow; past 500 lost FreeSWITCH closes the connection
        (kill_listener). The host reconnects and the call resumes from where it was."""
        uuid = call_uuid(320)
        inputs = seed_login_inputs()
        # The listener stops at the next command after the phone number (the next
        # question, never read); 700 events of the call come then.
        inputs[1] = dict(inputs[1], stall={"on_next_command": True, "flood": 700})
        h = self.start({"calls": [{"uuid": uuid, "inputs": inputs}], "event_queue_len": 50})
        self.finish(h)
        self.assertGreater(h.report["events_lost"], 500)
        self.assertEqual(len(h.report["connections"]), 2, h.host_log)
        self.assertIn("connection lost (closed by FreeSWITCH)", h.host_log)
        self.assertIn("call %s: resumed in ivr.auth.verify_otp" % uuid, h.host_log)
        self.assertTrue(any(LIST_PROMPT in prompt_of(a) for a in h.asks(uuid)))

    def test_event_flood(self):
        """One call's channel floods the connection with 20,000 events of 2 KiB the host
        did not ask for, while two other calls log in: the host reads them all, the other
        calls are served in order, the metrics answered, and its memory stays bounded."""
        uuids = [call_uuid(330), call_uuid(331), call_uuid(332)]
        flooding = seed_login_inputs()
        flooding[1] = dict(flooding[1], flood=20000)
        flooding.append({"hangup": True, "after_flood": True})  # the call lasts out the flood
        calls = [{"uuid": uuids[0], "inputs": flooding}]
        calls += [{"uuid": u, "inputs": seed_login_inputs(), "start_after_ms": 50}
                  for u in uuids[1:]]
        h = self.start({"calls": calls, "pad_events": 2048, "split": {"mode": "none"}},
                       host_args=["--log-level", "info"])
        scraper = Scraper(h.metrics_url)
        scraper.start()
        h.wait_done(120)
        h.wait_ended()
        with open("/proc/%d/status" % h.host.pid, encoding="utf-8") as f:
            peak_kib = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))
        with open("/proc/%d/maps" % h.host.pid, encoding="utf-8") as f:
            sanitized = "libasan" in f.read()  # its shadow memory and quarantine are no leak
        self.finish(h, scraper=scraper, waited=True)
        self.assertEqual(h.report["events_flooded"], 20000)
        self.assertEqual(h.report["events_lost"], 0)
        self.assertEqual(len(h.report["connections"]), 1, h.host_log)
        self.assert_calls_alike(h, uuids)
        self.assertEqual(scraper.failures, [])
        self.assertLess(scraper.longest, 1.5)
        print("event flood: host peak RSS %d KiB, longest scrape %.3f s"
              % (peak_kib, scraper.longest), file=sys.stderr)
        if not sanitized:
            self.assertLess(peak_kib, 64 * 1024)

def main():
    if len(sys.argv) < 4:
        raise SystemExit("usage: test_esl_backpressure.py HOST_BINARY MOCK_SERVER FAKE_FREESWITCH")
    base.HOST, base.MOCK_SERVER, base.FAKE = sys.argv[1:4]
    del sys.argv[1:4]
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
