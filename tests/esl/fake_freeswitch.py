#!/usr/bin/env python3
"""A fake FreeSWITCH event socket on 127.0.0.1, with a scripted caller per call.

It is a model of FreeSWITCH, not of what we believe about it: every
behaviour below follows FreeSWITCH's C sources (signalwire/freeswitch), and
the comment on each names the file and function it reproduces. What an
application does with its argument (expansion, splitting, what is heard)
lives in fs_model.py.

The protocol (src/mod/event_socket/mod_event_socket.c): "auth/request"
first; "auth PASSWORD" answered "+OK accepted" or "-ERR invalid" and the
connection closed (parse_command); every command answered in order with
"command/reply" (Reply-Text) or, for "api", "api/response" (a body);
subscribed events sent as "text/event-plain" with URL-encoded values
(switch_url_encode's set) and an inner Content-Length for an event body;
include filters OR'ed; "exit" answered "+OK bye" then "text/disconnect-notice".

Several hosts may connect at once, each with its own connection, and each
gets its own copy of every event it subscribed to (mod_event_socket.c
event_handler: the event is duplicated, switch_event_dup, into the queue of
every listener whose event types and filters take it); any connection may
send sendmsg or api for any channel.

Calls: once "connections" connections (1 by default) have subscribed, each
scripted call is parked
(CHANNEL_PARK with its caller profile and channel variables). "sendmsg" is
queued on the channel and answered "+OK" at once (parse_command: only
queued); the channel runs what it is sent one application at a time when
each message carries "event-lock: true" (src/switch_core_session.c
switch_core_session_dequeue_private_event refuses to dequeue while
CF_EVENT_LOCK is set), and runs a message inside the application in
progress when it does not (src/switch_ivr_play_say.c: the playing loops
call switch_ivr_parse_all_events). Each application's argument is
expanded first unless the channel has app_disable_expand_variables=true
(src/switch_core_session.c switch_core_session_exec), and its completion
is a CHANNEL_EXECUTE_COMPLETE with Application, Application-Data (the
expanded argument), Application-Response ("_none_" when the application
set none), Application-UUID (the Event-UUID sent) and every channel
variable as variable_* (switch_core_session_exec, switch_channel_event_set_data).

The caller: each ask application takes the call's next scripted step. Keys
are typed into the channel's DTMF queue at their own times, whatever is
running; play_and_get_digits, play_and_detect_speech, speak and flush_dtmf
consume that queue as FreeSWITCH does, so keys typed too late for one
question wait for the next one. When a call's steps run out at an ask, the
caller hangs up. Timeouts given to applications are multiplied by the
script's time_scale, so a 5 s timeout takes 100 ms by default.

What it writes goes out split at random points (or byte by byte for the
first bytes, see "split"), several messages per write at times.

Usage:
    fake_freeswitch.py --script SCRIPT.json --report REPORT.json [--raw RAW.bin]

The first line on stdout is "listening on 127.0.0.1:PORT"; "all calls done"
follows once every call has ended (the report is written then, and again
on SIGTERM/SIGINT, which stop the server once the connections' last bytes
are read: up to 2 s for a host still connected).

Script (every key optional):
    {"password": "ClueCon",
     "passwords": ["ClueCon", "other"],     # the password of the 1st, 2nd... connection
     "split": {"mode": "random" | "none" | "bytes", "bytes": 20000, "seed": 1},
     "time_scale": 0.02,                    # application timeouts x this
     "prompt_ms": 2, "speak_ms": 2,         # how long a prompt or a speak plays
     "asr": "unimrcp",                      # how the recogniser ends without a result:
                                            # "unimrcp", "pocketsphinx" or "none"
     "honour_disable_expand": true,         # false: an older FreeSWITCH without
                                            # app_disable_expand_variables
     "pad_events": 0,                       # bytes of padding variable per event
     "reader": {"mode": "chunks" | "bytes",  # how commands are read: "bytes" one byte at
                "pause_every": 0, "pause_ms": 0},  # a time, pausing every N bytes
     "rcvbuf": 0,                           # SO_RCVBUF of the switch's sockets (small:
                                            # the host's own buffer soon holds the rest)
     "event_queue_len": 100000,             # events queued per connection before drops
     "foreign_calls": 0,                    # parked calls without the filter variable
     "connections": 1,                      # subscribed connections before the first park
     "auth_drops": 0,                       # the first N "auth" get no reply: the socket closes
     "calls": [{"uuid": "...", "vars": {"ivrsm_app": "synergia"},
                "caller": "+33612345678", "caller_name": "...", "destination": "3000",
                "start_after_ms": 0,
                "start_on_file": "/tmp/x",   # instead: parked once the file exists
                "before_connect": false,     # parked before any host connected
                "hangup_when_listed": false, # hangs up right after "show channels" lists
                                             # it, before the host can ask uuid_dump
                "handoff": "ok" | "fail" | "caller_hangup",  # bridge / callcenter outcome
                                             # (caller_hangup: while the bridge rings)
                "handoff_cause": "USER_BUSY",  # why a bridge failed (a hangup cause)
                "inputs": [
                    {"keys": "123456#", "gap_ms": 10, "after_ms": 3},  # typed keys
                    {"digits": "1"},                     # the same, keys "1"
                    {"silence": true},                   # nothing: the timeouts run
                    {"speech": "oui", "confidence": 0.9},# play_and_detect_speech (NLSML)
                    {"result": "<raw detect_speech_result>"},
                    {"nomatch": true},                   # the recogniser matched nothing
                    {"completion_cause": 6},             # ...or ended with this MRCP cause
                    {"response": "GRAMMAR ERROR"},       # recogniser failure
                    {"hangup": true},                    # the caller hangs up at this ask
                    {"hangup": true, "after_flood": true},  # ...once its flood was sent
                    {"drop_connection": true},           # close every connection at this ask
                    {"drop_connection": true, "then_hangup": true},  # ...and hang up meanwhile
                    {"drop_connection": true, "mid_frame": true},    # ...half an event sent first
                    {"digits": "1", "drop_before_completion": true},  # the keys read (or the
                                                         # speech recognised), every
                                                         # connection closed before the
                                                         # question's completion is written
                    {"restart": true},                   # the switch dies and comes back:
                                                         # every channel gone, no events
                    {"hold": true},                      # no answer: the question runs on
                                                         # until uuid_break (another host)
                    {"hold": true, "for_ms": 3000},      # ...or 3 s, then silence
                    {"digits": "0612345678", "hangup_after_ms": 300},
                    {"digits": "1", "stall": {"after_ms": 50, "for_ms": 800}},
                                                         # every connection's listener stops
                                                         # 50 ms after the keys, for 800 ms
                                                         # (no for_ms: for ever)
                    {"digits": "1", "stall": {"after_ms": 50, "mode": "write"}},
                                                         # ...reading and running commands,
                                                         # but nothing written reaches the host
                    {"digits": "1", "half_close": {"after_ms": 50}},
                                                         # every connection's switch side
                                                         # ends its stream, reading goes on
                    {"hold": true, "overlong_event": {"after_ms": 50, "extra": 100}},
                                                         # an event whose Content-Length
                                                         # says 100 bytes more than come
                    {"digits": "1", "stall": {"on_next_command": true, "app": "set",
                                              "until_voice_set_elsewhere": true}},
                                                         # ...stopped as it reads the host's
                                                         # next "set", back once another
                                                         # connection set another voice
                    {"digits": "1", "stall": {"on_next_command": true, "flood": 700}},
                                                         # ...at the next command the host
                                                         # sends, 700 events of the call then
                    {"digits": "1", "flood": 20000},     # 20,000 unasked events of the call
                    {"digits": "1", "flood": {"count": 700, "after_ms": 200}},
                    {"digits": "1", "after_ms": 50},
                    {"keys": "06#", "then": [{"keys": "9", "after_ms": 150}]}]}]}
"""

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sys
import time
import uuid as uuidlib
import xml.sax.saxutils

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fs_model  # noqa: E402

URL_UNSAFE = set(b'\r\n "#%&+:;<=>?@[\\]^`{|}')
ASK_APPS = {"play_and_get_digits", "play_and_detect_speech"}
CORE_UUID = "5f1a2c9e-0000-4000-8000-fa4ef5e1c0de"
# Applications this switch knows (mod_dptools and the handoff ones); any
# other is "Invalid Application" and hangs the channel up
# (switch_core_session.c switch_core_session_execute_application_get_flags).
# src/switch_channel.c switch_channel_event_set_extended_data: the events that carry the
# channel's variables (variable_*); any other (DTMF, DETECTED_SPEECH...) only on a channel
# with CF_VERBOSE_EVENTS (mod_dptools.c verbose_events_function) or with verbose events on
# for the whole switch.
EXTENDED_EVENTS = {"CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_ANSWER",
                   "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE",
                   "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_HANGUP",
                   "CHANNEL_HANGUP_COMPLETE", "REQUEST_PARAMS", "CHANNEL_DATA",
                   "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_DESTROY",
                   "SESSION_HEARTBEAT", "API", "RECORD_START", "RECORD_STOP", "PLAYBACK_START",
                   "PLAYBACK_STOP", "CALL_UPDATE", "MEDIA_BUG_START", "MEDIA_BUG_STOP", "CUSTOM"}
KNOWN_APPS = {"play_and_get_digits", "play_and_detect_speech", "speak", "playback", "set",
              "multiset", "flush_dtmf", "hangup", "transfer", "bridge", "callcenter"}


def url_encode(value: str) -> str:
    """src/switch_utils.c switch_url_encode: bytes below ' ' or above '~' and the
    unsafe set become %XX."""
    out = []
    for b in value.encode("utf-8"):
        if b < 0x20 or b > 0x7E or b in URL_UNSAFE:
            out.append("%%%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def serialize(headers):
    """src/switch_event.c switch_event_serialize with encoding: one "Name: value" line per
    header, the value URL-encoded, and an empty value written "_undef_" (the headers
    FreeSWITCH adds empty, such as Application-Data of an application without argument)."""
    return "".join("%s: %s\n" % (k, url_encode(str(v)) or "_undef_") for k, v in headers)


def parse_messages(buffer: bytearray):
    """Take complete client messages out of buffer: (command line, headers, body) each.
    mod_event_socket.c read_packet: header lines up to an empty line, a body of
    Content-Length bytes; a header value ends at the line break."""
    messages = []
    while True:
        while buffer[:1] in (b"\n", b"\r"):
            del buffer[:1]
        end = buffer.find(b"\n\n")
        if end < 0:
            return messages
        head = buffer[:end].decode("utf-8", "replace").replace("\r", "")
        lines = head.split("\n")
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.lstrip(" ")))
        length = 0
        for name, value in headers:
            if name.lower() == "content-length":
                length = int(value)
        if len(buffer) < end + 2 + length:
            return messages
        body = bytes(buffer[end + 2:end + 2 + length])
        del buffer[:end + 2 + length]
        messages.append((lines[0], headers, body))


def header(headers, name):
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


class Call:
    """A channel: its variables, its DTMF queue, what runs on it."""

    def __init__(self, spec, index):
        self.uuid = spec.get("uuid") or str(uuidlib.uuid4())
        self.vars = dict(spec.get("vars", {"ivrsm_app": "synergia"}))
        self.caller = spec.get("caller", "+33612345678")
        self.caller_name = spec.get("caller_name", "Client")
        self.destination = spec.get("destination", "3000")
        self.inputs = list(spec.get("inputs", []))
        self.handoff = spec.get("handoff", "ok")
        self.handoff_cause = spec.get("handoff_cause", "USER_BUSY")
        self.silent_after_bridge = False
        self.start_after_ms = spec.get("start_after_ms", 0)
        self.start_on_file = spec.get("start_on_file")  # parked once this file exists
        self.before_connect = spec.get("before_connect", False)
        self.hangup_when_listed = spec.get("hangup_when_listed", False)
        # The dialplan ran verbose_events (mod_dptools.c verbose_events_function sets
        # CF_VERBOSE_EVENTS): every event of the channel carries its variables.
        self.verbose_events = spec.get("verbose_events", False)
        self.state_number = "4"  # CS_EXECUTE
        self.away = False        # transferred out of the park (transfer_away)
        self.flood_done = asyncio.Event()  # its "flood" was all sent
        self.index = index
        self.executes = []
        self.refused = []        # sendmsg after the hangup: refused with -ERR
        self.queue = []          # messages waiting for the application in progress
        self.running = []        # applications in progress (more than one: nested)
        self.tasks = set()
        self.dtmf = []           # the channel's DTMF queue
        self.dtmf_wake = asyncio.Event()
        self.keys_typed = 0
        self.keys_eaten = []     # keys consumed by applications that do not collect them
        self.unanswered = {}     # id(execution) of a question: (its step, its keys' timers)
        self.api_calls = []
        self.apis = []           # uuid_exists / uuid_break received, with their connection
        self.ended = False
        self.ended_by = None
        self.parked = False
        self.cause = None


class Connection:
    def __init__(self, server, reader, writer, number):
        self.server = server
        self.reader = reader
        self.writer = writer
        self.number = number
        self.authed = False
        self.opened_ms = server.now_ms()
        # Closed by the switch (exit, a refused password, kill_listener, a lost network path):
        # its reader stops. A socket the host closed stops nothing by itself: the listener
        # goes on reading what it holds (mod_event_socket.c listener_run: read_packet until
        # it fails, the replies' sends unchecked).
        self.ended = False
        self.events = set()
        self.filters = []
        self.commands = []
        self.closed = False
        self.closing = False  # what is queued goes out, then the socket closes
        self.out = bytearray()
        self.wake = asyncio.Event()
        self.writer_task = None
        # A listener blocked (see FakeSwitch.stall): no command read, no event written.
        self.running = asyncio.Event()
        self.running.set()
        self.queued_events = 0   # events in `out`, not yet written (the listener's event_queue)
        self.lost_events = 0
        self.killed = False
        # What this switch writes no longer reaches the host (FakeSwitch.stall mode "write",
        # or a half-closed socket): commands are still read and run.
        self.mute = False
        self.bytes_muted = 0
        self.writing = False  # write_loop is in the middle of what it took from `out`
        self.let_others_run = False  # yield to released listeners before the next command

    @property
    def subscribed(self):
        return self.authed and bool(self.events)

    def send(self, data: bytes):
        if self.closed:
            return
        if self.mute:
            self.bytes_muted += len(data)
            return
        self.out += data
        self.wake.set()

    def queue_event(self, message: bytes):
        """mod_event_socket.c event_handler: the event goes to the listener's event_queue
        (MAX_QUEUE_LEN 100,000 events) with switch_queue_trypush; when the queue is full the
        event is dropped, and past MAX_MISSED (500) dropped events kill_listener closes the
        socket (no disconnect notice). Once one is queued again, the count starts over."""
        if self.closed:
            return
        if self.queued_events >= self.server.event_queue_len:
            self.lost_events += 1
            self.server.events_lost += 1
            if self.lost_events > 500 and not self.killed:
                self.killed = True
                asyncio.ensure_future(self.close(notice=False, flush=False))
            return
        self.lost_events = 0
        self.queued_events += 1
        self.send(message)

    def reply(self, text):
        self.send(("Content-Type: command/reply\nReply-Text: %s\n\n" % text).encode())

    def api_response(self, text):
        body = text.encode()
        self.send(b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body)

    def wants(self, name, headers):
        """mod_event_socket.c event_handler: the subscribed types, then the filters
        (any matching include filter lets the event through)."""
        if not self.subscribed or self.closed:
            return False
        if "ALL" not in self.events and name not in self.events:
            return False
        if not self.filters:
            return True
        values = dict(headers)
        return any(values.get(h) == v for h, v in self.filters)

    async def write_loop(self):
        """Write what is queued, cut at random points (or byte by byte at first)."""
        split = self.server.split
        rng = random.Random(split.get("seed", 1) + self.number)
        mode = split.get("mode", "random")
        bytewise_left = split.get("bytes", 0) if mode == "bytes" else 0
        try:
            while not self.closed:
                await self.wake.wait()
                self.wake.clear()
                # read_packet writes the queued events only when the listener runs.
                await self.running.wait()
                # Let more messages pile up now and then: several per read.
                if mode != "none" and rng.random() < 0.3:
                    await asyncio.sleep(0.002)
                data, self.out = bytes(self.out), bytearray()
                self.queued_events = 0
                self.writing = True
                pos = 0
                while pos < len(data) and not self.closed:
                    if bytewise_left > 0:
                        step = 1
                        bytewise_left -= 1
                    elif mode == "none":
                        step = len(data) - pos
                    else:
                        step = rng.randint(1, max(1, min(len(data) - pos, 700)))
                    self.writer.write(data[pos:pos + step])
                    self.server.bytes_sent += step
                    pos += step
                    if mode != "none":
                        await self.writer.drain()
                        await asyncio.sleep(0)
                if mode == "none":
                    await self.writer.drain()
                self.writing = False
                if self.closing and not self.out:
                    return
        except (ConnectionError, OSError):
            self.closed = True

    async def end_writes(self):
        """Write what was queued before the half-close, then the end of the stream."""
        self.wake.set()
        while (self.out or self.writing) and not self.closed:
            await asyncio.sleep(0.005)
        try:
            if self.writer.can_write_eof():
                self.writer.write_eof()
        except (ConnectionError, OSError):
            pass

    async def close(self, notice=True, flush=True):
        """Close the connection; `flush`: after writing what is queued.

        mod_event_socket.c listener_run writes a command's reply with a
        blocking switch_socket_send before it reads again, so the reply to a
        refused "auth" or to "exit" (and the disconnect notice after it)
        always reaches the host before the socket closes. flush=False is a
        lost network path: what was still queued never arrives.
        """
        if self.closed or self.closing:
            self.ended = True
            return
        self.ended = True
        if notice:
            body = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
            self.send(b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(body)
                      + body)
        if flush and self.writer_task is not None and not self.writer_task.done():
            self.closing = True
            self.wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self.writer_task), timeout=5)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                pass
        self.closed = True
        self.wake.set()
        try:
            self.writer.close()
        except OSError:
            pass


class FakeSwitch:
    def __init__(self, script, report_path, raw_path):
        self.script = script
        self.password = script.get("password", "ClueCon")
        self.split = script.get("split", {"mode": "random"})
        self.scale = script.get("time_scale", 0.02)
        self.prompt_ms = script.get("prompt_ms", 2)
        self.speak_ms = script.get("speak_ms", 2)
        self.honour_disable = script.get("honour_disable_expand", True)
        self.pad = script.get("pad_events", 0)
        # mod_event_socket.c MAX_QUEUE_LEN: events queued per listener (a test may lower it).
        self.event_queue_len = script.get("event_queue_len", 100000)
        self.events_lost = 0
        self.reader = script.get("reader", {"mode": "chunks"})
        self.report_path = report_path
        self.raw = open(raw_path, "wb") if raw_path else None
        self.calls = [Call(spec, i) for i, spec in enumerate(script.get("calls", []))]
        for _ in range(script.get("foreign_calls", 0)):
            self.calls.append(Call({"vars": {"other_app": "x"}, "inputs": []}, len(self.calls)))
        self.by_uuid = {c.uuid: c for c in self.calls}
        self.connections = []
        self.serving = set()  # the tasks reading a connection, until it closes
        self.auth_attempts = 0
        self.auth_failures = 0
        self.bytes_sent = 0
        self.stalls = 0
        self.half_closes = 0
        self.overlong_sent_ms = None  # when the overlong event was written
        self.delivered = {}  # events queued to a listener, by name
        self.stall_armed = None  # (stall, call): stop at the next command read
        self.stalled = []        # the connections the last stall stopped
        # (stalled set's argument): the stalled listeners come back right after another
        # connection's "set tts_voice" of another voice (stall "until_voice_set_elsewhere")
        self.release_on_voice = None
        self.flooded = 0
        self.started = False
        self.calls_left = len(self.calls)
        self.t0 = time.monotonic()
        self.done = asyncio.Event()

    def password_for(self, conn):
        """The password of the conn-th connection: "passwords" changes it over time
        (as an operator would, FreeSWITCH restarted with another one)."""
        passwords = self.script.get("passwords")
        if passwords:
            return passwords[min(conn.number, len(passwords)) - 1]
        return self.password

    def now_ms(self):
        return round((time.monotonic() - self.t0) * 1000)

    # -- events --------------------------------------------------------------

    def channel_headers(self, call, name):
        """src/switch_channel.c switch_channel_event_set_data: the basic data (the caller
        profile, Caller-*, and the channel's state) on every channel event, then
        (switch_channel_event_set_extended_data) every channel variable as variable_* on
        the EXTENDED_EVENTS, or on any event of a channel with verbose events."""
        headers = [("Event-Name", name), ("Core-UUID", CORE_UUID),
                   ("Event-Date-Timestamp", "%d" % int(time.time() * 1e6)),
                   ("Unique-ID", call.uuid), ("Channel-Call-UUID", call.uuid),
                   ("Caller-Caller-ID-Number", call.caller),
                   ("Caller-Caller-ID-Name", call.caller_name),
                   ("Caller-Destination-Number", call.destination),
                   ("Answer-State", "hangup" if call.ended else "answered"),
                   ("Channel-Call-State", "HANGUP" if call.ended else "ACTIVE"),
                   # channel->state: CS_EXECUTE (4) while the dialplan's park runs,
                   # CS_ROUTING (2) once transferred, CS_HANGUP (10).
                   ("Channel-State-Number", "10" if call.ended else call.state_number)]
        if name in EXTENDED_EVENTS or call.verbose_events:
            # src/switch_channel.c switch_channel_set_variable_var_check: a variable set to
            # an empty value is deleted, so no variable_* header is ever empty.
            headers += [("variable_" + k, v) for k, v in call.vars.items() if v not in (None, "")]
            if self.pad:
                headers.append(("variable_padding", "x%" * (self.pad // 2)))
        return headers

    def emit(self, call, name, extra=None, body=None):
        """A channel event (channel_headers) to every listener that takes it."""
        if not any(c.subscribed and not c.closed and ("ALL" in c.events or name in c.events)
                   for c in self.connections):
            return  # nobody takes it: not even built
        headers, message = self.event_message(call, name, extra, body)
        self.deliver(name, headers, message)

    def deliver(self, name, headers, message):
        # mod_event_socket.c event_handler: each listener whose types and
        # filters take the event gets its own copy.
        for conn in self.connections:
            if conn.wants(name, headers):
                conn.queue_event(message)
                self.delivered[name] = self.delivered.get(name, 0) + 1

    def event_message(self, call, name, extra=None, body=None):
        """The event as mod_event_socket.c read_packet writes it: Content-Length and
        Content-Type text/event-plain, then switch_event_serialize's lines. call None: an
        event without the channel's data."""
        if call is None:
            headers = [("Event-Name", name), ("Core-UUID", CORE_UUID),
                       ("Event-Date-Timestamp", "%d" % int(time.time() * 1e6))]
        else:
            headers = self.channel_headers(call, name)
        headers += list((extra or {}).items())
        text = serialize(headers)
        if body is not None:
            raw_body = body.encode()
            event = (text + "Content-Length: %d\n\n" % len(raw_body)).encode() + raw_body
        else:
            event = (text + "\n").encode()
        message = b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(event) + event
        return headers, message

    # -- calls ---------------------------------------------------------------

    def park_before_connect(self):
        """Calls parked before any host connected: their CHANNEL_PARK reaches nobody
        (mod_event_socket.c event_handler only queues an event to the listeners
        connected when it fires; nothing is replayed)."""
        for call in self.calls:
            if call.before_connect:
                self.park(call)

    async def start_calls(self):
        for call in self.calls:
            if call.before_connect:
                continue
            if call.start_on_file:
                self.spawn(call, self.park_on_file(call))
            else:
                asyncio.get_running_loop().call_later(call.start_after_ms / 1000.0, self.park,
                                                      call)

    async def park_on_file(self, call):
        """The test's own trigger (no FreeSWITCH behaviour): park once the file exists."""
        while not os.path.exists(call.start_on_file):
            await asyncio.sleep(0.02)
        self.park(call)

    def park(self, call):
        call.parked = True
        # src/switch_core_session.c switch_core_session_exec sets current_application
        # (SWITCH_CURRENT_APPLICATION_VARIABLE) for each application, the dialplan's park too.
        call.vars["current_application"] = "park"
        self.emit(call, "CHANNEL_PARK")
        if not call.vars.get("ivrsm_app"):
            # Not for the host: it ends on its own.
            asyncio.get_running_loop().call_later(0.05, self.hangup, call, "NORMAL_CLEARING",
                                                  "script")

    def spawn(self, call, coro):
        task = asyncio.ensure_future(coro)
        call.tasks.add(task)
        task.add_done_callback(call.tasks.discard)
        return task

    def hangup(self, call, cause, by):
        """src/switch_channel.c switch_channel_perform_hangup fires CHANNEL_HANGUP at
        once; the application in progress then sees the channel gone and returns,
        so its CHANNEL_EXECUTE_COMPLETE follows, without the variables it sets on
        success (switch_ivr_read leaves read_result unset when the prompt fails);
        CHANNEL_HANGUP_COMPLETE comes last, from the hangup state handler."""
        if call.ended:
            return
        call.ended = True
        call.ended_by = by
        call.cause = cause
        running = list(call.running)
        call.running = []
        call.queue.clear()
        for task in list(call.tasks):
            if task is not asyncio.current_task():
                task.cancel()
        self.emit(call, "CHANNEL_HANGUP", {"Hangup-Cause": cause})
        for event_uuid, app, data, _ in running:
            if app in ("play_and_get_digits",):
                call.vars["read_result"] = None
            self.complete(call, event_uuid, app, data, "_none_")
        self.emit(call, "CHANNEL_HANGUP_COMPLETE", {"Hangup-Cause": cause})
        self.calls_left -= 1
        if self.calls_left == 0:
            self.write_report()
            print("all calls done", flush=True)
            self.done.set()

    def complete(self, call, event_uuid, app, data, response="_none_"):
        """switch_core_session_exec: CHANNEL_EXECUTE_COMPLETE."""
        extra = {"Application": app, "Application-Data": data or "",
                 "Application-Response": response, "Application-UUID": event_uuid}
        self.emit(call, "CHANNEL_EXECUTE_COMPLETE", extra)

    # -- the caller's keys ---------------------------------------------------

    def type_keys(self, call, keys, after_ms, gap_ms, question=None):
        """The caller presses keys: each lands in the channel's DTMF queue at its
        time (src/switch_channel.c switch_channel_queue_dtmf), whatever runs.
        question: the execution of the question they answer. Returns the timers."""
        loop = asyncio.get_running_loop()
        return [loop.call_later((after_ms + i * gap_ms) / 1000.0, self.key_arrives, call, key,
                                question)
                for i, key in enumerate(keys)]

    def give_back_answer(self, call, ex):
        """A caller answers a question they heard: one stopped (uuid_break) before they
        began to answer it is not answered, and that answer goes to the next question."""
        step, handles = call.unanswered.pop(id(ex), (None, []))
        if step is None:
            return
        for handle in handles:
            handle.cancel()
        call.inputs.insert(0, {k: v for k, v in step.items()
                               if k in ("keys", "digits", "after_ms", "gap_ms", "speech",
                                        "confidence", "result")})

    def key_arrives(self, call, key, question=None):
        if question is not None:
            call.unanswered.pop(id(question), None)  # the answer has begun
        if call.ended:
            return
        call.dtmf.append(key)
        call.keys_typed += 1
        call.dtmf_wake.set()

    async def next_key(self, call, timeout_s):
        """The next key of the DTMF queue, waiting at most timeout_s (None: forever);
        None when none came."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not call.dtmf:
            call.dtmf_wake.clear()
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            try:
                await asyncio.wait_for(call.dtmf_wake.wait(), left)
            except asyncio.TimeoutError:
                return None
        key = call.dtmf.pop(0)
        # src/switch_channel.c switch_channel_dequeue_dtmf fires DTMF as an application
        # takes the key from the queue (not as it is queued; flush_dtmf fires none).
        self.emit(call, "DTMF", {"DTMF-Digit": key, "DTMF-Duration": "2000"})
        return key

    def take_step(self, call, ex=None):
        """The caller's answer to the question being asked (ex: its execution), and its keys
        typed."""
        if not call.inputs:
            return None
        step = call.inputs.pop(0)
        keys = step.get("keys", step.get("digits"))
        if keys:
            handles = self.type_keys(call, keys, step.get("after_ms", 3), step.get("gap_ms", 2),
                                     question=ex)
            if ex is not None:
                call.unanswered[id(ex)] = (step, handles)
        elif ex is not None and ("speech" in step or "result" in step):
            # Words said once the prompt has played a moment: a question stopped before then
            # is not answered, its words go to the next one.
            call.unanswered[id(ex)] = (step, [])
        for late in step.get("then", []):
            # Keys typed later, whatever the host is doing by then.
            self.type_keys(call, late["keys"], late.get("after_ms", 0), late.get("gap_ms", 2))
        if step.get("hangup_after_ms") is not None:
            asyncio.get_running_loop().call_later(step["hangup_after_ms"] / 1000.0, self.hangup,
                                                  call, "NORMAL_CLEARING", "script")
        if step.get("stall"):
            stall = step["stall"]
            if stall.get("on_next_command"):
                # The listener stops at the next command the host sends (whatever its
                # timing): that command is not answered.
                self.stall_armed = (stall, call)
            else:
                asyncio.get_running_loop().call_later(stall.get("after_ms", 0) / 1000.0,
                                                      self.stall, stall.get("for_ms"),
                                                      stall.get("mode", "all"))
        if step.get("half_close"):
            asyncio.get_running_loop().call_later(step["half_close"].get("after_ms", 0) / 1000.0,
                                                  self.half_close)
        if step.get("overlong_event"):
            o = step["overlong_event"]
            asyncio.get_running_loop().call_later(o.get("after_ms", 0) / 1000.0,
                                                  self.overlong_event, call, o.get("extra", 100))
        if step.get("flood"):
            self.spawn(call, self.flood(call, step["flood"]))
        return step

    def stall(self, for_ms, mode="all"):
        """Every listener connected now stops, for for_ms or for ever: mod_event_socket.c
        listener_run handles one command at a time in the listener's thread, and
        parse_command runs an "api" command right there (api_exec, called, not a thread),
        so an API that blocks stops both the reading of the next commands and the writing
        of events (read_packet writes the event_queue only between commands); events go
        on queueing meanwhile (event_handler). A connection made later has its own
        listener and runs.

        mode "write": the listener goes on reading and running the host's commands, but
        nothing it writes reaches the host (replies, events): a path lost in one
        direction only. listener_run does not check its sends (switch_socket_send's
        status is ignored in read_packet and api_exec), so the commands keep running."""
        stalled = [c for c in self.connections if not c.closed]
        self.stalled = stalled
        for conn in stalled:
            if mode == "write":
                conn.mute = True
            else:
                conn.running.clear()
        self.stalls += 1
        if for_ms is not None:
            def resume():
                for conn in stalled:
                    conn.mute = False
                    conn.running.set()
                    conn.wake.set()
            asyncio.get_running_loop().call_later(for_ms / 1000.0, resume)

    def overlong_event(self, call, extra):
        """One event of the call whose outer Content-Length says `extra` bytes more than
        what follows, then nothing more while the call waits. mod_event_socket.c read_packet
        writes the Content-Length line and the serialized event back to back, from one
        thread, and never such a message: this is the broken stream a reader must not wait
        on for ever (the length of what really came is what esl_recv_event would need)."""
        extra_headers = {"Application": "set", "Application-Data": "overlong=1",
                         "Application-Response": "_none_",
                         "Application-UUID": str(uuidlib.uuid4())}
        headers, message = self.event_message(call, "CHANNEL_EXECUTE_COMPLETE", extra_headers)
        head, _, event = message.partition(b"\n")
        length = int(head.split(b":")[1])
        message = b"Content-Length: %d\n" % (length + extra) + event
        for conn in self.connections:
            if conn.wants("CHANNEL_EXECUTE_COMPLETE", headers):
                conn.queue_event(message)
                self.overlong_sent_ms = self.now_ms()

    def half_close(self):
        """Every connection open now is half-closed by the switch's side: what is queued
        goes out, then the end of its stream (a FIN, shutdown of the write side), while
        its listener goes on reading and running the host's commands until the host
        closes (read_packet stops only when switch_socket_recv fails)."""
        for conn in [c for c in self.connections if not c.closed]:
            self.half_closes += 1
            conn.mute = True
            asyncio.ensure_future(conn.end_writes())

    async def flood(self, call, count):
        """A burst of events of this channel that the host did not ask for: completions of
        applications someone else ran on it (switch_core_session_exec fires
        CHANNEL_EXECUTE_COMPLETE for every application, with every channel variable, so
        they pass the host's filter). Yields now and then, as a switch's threads would."""
        if isinstance(count, dict):
            await asyncio.sleep(count.get("after_ms", 0) / 1000.0)
            count = count["count"]
        # One serialisation, each event then given its own Application-UUID (same length).
        blank = "00000000-0000-4000-8000-000000000000"
        extra = {"Application": "set", "Application-Data": "flood=1",
                 "Application-Response": "_none_", "Application-UUID": blank}
        headers, message = self.event_message(call, "CHANNEL_EXECUTE_COMPLETE", extra)
        for i in range(count):
            if call.ended:
                return
            one = message.replace(blank.encode(), str(uuidlib.uuid4()).encode())
            self.deliver("CHANNEL_EXECUTE_COMPLETE", headers, one)
            self.flooded += 1
            if i % 200 == 199:
                await asyncio.sleep(0)
        call.flood_done.set()

    # -- applications --------------------------------------------------------

    def execute(self, call, app, arg, event_uuid, locked):
        if call.away:
            # Queued on a channel that left the park: whatever the new extension runs decides
            # if and when it is parsed; this switch never runs it.
            ex = next((e for e in call.executes if e["event_uuid"] == event_uuid), None)
            if ex is not None:
                ex["after_unpark"] = True
            return
        call.queue.append((event_uuid, app, arg, locked))
        self.run_next(call)

    def run_next(self, call):
        """One message at a time while the one in progress holds the event lock;
        without the lock, the next message runs inside the application in
        progress (switch_ivr_parse_all_events from its playing loop)."""
        while call.queue and not call.ended:
            if call.running and call.running[-1][3]:
                return
            entry = call.queue.pop(0)
            nested = bool(call.running)
            call.running.append(entry)
            self.spawn(call, self.run_app(call, entry, nested))

    def expand_argument(self, call, arg, record):
        """src/switch_core_session.c switch_core_session_exec: the argument is
        expanded unless app_disable_expand_variables is true on the channel."""
        disabled = self.honour_disable and (call.vars.get("app_disable_expand_variables") or "") \
            .lower() in ("true", "yes", "on", "1", "enabled", "active", "allow")
        if disabled or arg is None:
            return arg
        return fs_model.expand(arg, call.vars, {}, self.api_function(call), record)

    def api_function(self, call):
        """An API command run by an expansion (SCF_API_EXPANSION is on by default):
        recorded; `system` is what an attacker wants, so it is noted as such."""
        def run(name, arg):
            call.api_calls.append([name, arg])
            return ""
        return run

    async def run_app(self, call, entry, nested):
        event_uuid, app, arg, locked = entry
        record = fs_model.Expansion()
        data = self.expand_argument(call, arg, record)
        ex = next((e for e in call.executes if e["event_uuid"] == event_uuid and e["app"] == app
                   and "data" not in e), None)
        if ex is not None:
            ex["data"] = data
            ex["nested"] = nested
            ex["lookups"] = record.lookups
            ex["api_calls"] = record.api_calls
            ex["started"] = self.now_ms()
        try:
            if app not in KNOWN_APPS:
                self.hangup(call, "DESTINATION_OUT_OF_ORDER", "invalid application")
                return
            call.vars["current_application"] = app  # switch_core_session_exec
            # switch_core_session_exec fires CHANNEL_EXECUTE as the application starts, its
            # Application-UUID the sendmsg's Event-UUID (the app_uuid variable that
            # switch_ivr_parse_event sets, read and cleared there).
            self.emit(call, "CHANNEL_EXECUTE", {"Application": app, "Application-Data": data or "",
                                                "Application-UUID": event_uuid})
            response = await self.run_known(call, app, data, ex, event_uuid)
            if response is None:
                return  # hung up, or handed over
            call.running = [r for r in call.running if r[0] != event_uuid]
            self.complete(call, event_uuid, app, data, response)
        except asyncio.CancelledError:
            return
        self.run_next(call)

    async def run_known(self, call, app, data, ex, event_uuid):
        """Run one application; returns its Application-Response, or None when the
        call ended or left the switch's hands."""
        if app == "play_and_get_digits":
            return await self.play_and_get_digits(call, data, ex)
        if app == "play_and_detect_speech":
            return await self.play_and_detect_speech(call, data, ex)
        if app == "speak":
            return await self.speak(call, data, ex)
        if app == "playback":
            if ex is not None:
                ex["heard"] = fs_model.heard(data, call.vars.get("playback_delimiter"))
                ex["tts_params"] = fs_model.tts_params(data, call.vars.get("playback_delimiter"))
            await self.play_eating_keys(call, self.speak_ms)
            return "FILE PLAYED"
        if app in ("set", "multiset"):
            self.set_variables(call, app, data)
            return "_none_"
        if app == "flush_dtmf":
            # mod_dptools.c flush_dtmf_function: switch_channel_flush_dtmf.
            call.dtmf.clear()
            return "_none_"
        await asyncio.sleep(0.002)
        if app == "hangup":
            self.hangup(call, (data or "").strip() or "NORMAL_CLEARING", "host")
            return None
        if app in ("bridge", "callcenter", "transfer") and ex is not None:
            # Where the call goes, as the application reads its argument (fs_model:
            # switch_ivr_originate, transfer_function, callcenter_function).
            ex["target"] = fs_model.handoff_target(app, data)
        if app in ("bridge", "callcenter"):
            return await self.run_handoff(call, app, data, event_uuid)
        if app == "transfer":
            self.complete(call, event_uuid, app, data, "_none_")
            call.running = [r for r in call.running if r[0] != event_uuid]
            # The call now belongs to the dialplan; it ends there a little later.
            asyncio.get_running_loop().call_later(0.05, self.hangup, call, "NORMAL_CLEARING",
                                                  "dialplan")
            return None
        return "_none_"

    def set_variables(self, call, app, data):
        """mod_dptools.c set_function / multiset_function: base_set on NAME=VALUE,
        the value expanded again (multiset: for each part, split on spaces or on
        the delimiter given as ^^X)."""
        parts = [data]
        if app == "multiset":
            delim = " "
            text = data or ""
            if text.startswith("^^") and len(text) > 2:
                delim, text = text[2], text[3:]
            parts = fs_model.separate_string(text, delim, 256)
        for part in parts:
            pair = fs_model.base_set(part)
            if not pair:
                continue
            name, value = pair
            record = fs_model.Expansion()
            if value is not None:
                value = fs_model.expand(value, call.vars, {}, self.api_function(call), record)
            call.vars[name] = value

    async def play_eating_keys(self, call, ms, terminators=None):
        """src/switch_ivr_play_say.c switch_ivr_play_file / switch_ivr_speak_text_handle
        with mod_dptools.c on_dtmf: a key pressed while it plays is dequeued and
        lost; one of playback_terminators (default "*") stops it."""
        if terminators is None:
            terminators = call.vars.get("playback_terminators") or "*"
        if terminators == "none":
            terminators = ""
        elif terminators == "any":
            terminators = "1234567890*#"
        deadline = time.monotonic() + ms / 1000.0
        while True:
            key = await self.next_key(call, max(0.0, deadline - time.monotonic()))
            if key is None:
                return
            call.keys_eaten.append(key)
            if key in terminators:
                call.vars["playback_terminator_used"] = key
                return

    async def speak(self, call, data, ex):
        """mod_dptools.c speak_function: ENGINE|VOICE|TEXT; without an engine or a
        voice (nor tts_engine / tts_voice on the channel) the channel is hung up."""
        a = fs_model.speak_arguments(data or "")
        engine = a["engine"] or call.vars.get("tts_engine")
        voice = a["voice"] or call.vars.get("tts_voice")
        if not (engine and voice and a["text"]):
            self.hangup(call, "DESTINATION_OUT_OF_ORDER", "speak without engine or voice")
            return None
        if ex is not None:
            # speak_function → switch_ivr_speak_text → switch_core_speech_feed_tts.
            params, spoken = fs_model.tts_text(a["text"])
            ex["heard"] = spoken or ""
            ex["tts_params"] = params
            ex["voice"] = voice
        await self.play_eating_keys(call, self.speak_ms)
        return "_none_"

    async def play_and_get_digits(self, call, data, ex):
        """mod_dptools.c play_and_get_digits_function, then src/switch_ivr_play_say.c
        switch_play_and_get_digits / switch_ivr_read, one try:
        - the prompt plays; a key pressed meanwhile stops it and is the first digit,
          a terminator too (switch_ivr_play_file with args.buf);
        - src/switch_ivr.c switch_ivr_collect_digits_count takes keys from the
          channel's queue: a terminator ends the read (and is not a digit), the
          max-th digit ends it at once (later keys stay queued), the timeout runs
          until the first digit and the digit timeout between digits;
        - switch_ivr_read sets read_result: fewer digits than min is "failure"
          (so is an empty read when min >= 1), a read ended by a timeout is
          "timeout", otherwise "success"; read_terminator_used only when a
          terminator ended the read; the digits in VAR, or VAR_invalid when the
          regular expression refuses them; on a failed try the invalid file plays."""
        a = fs_model.pagd_arguments(data or "")
        if ex is not None:
            ex["pagd"] = {k: a[k] for k in ("min", "max", "timeout", "digit_timeout",
                                            "terminators", "regex", "var", "argc")}
            ex["heard"] = fs_model.heard(a["file"], call.vars.get("playback_delimiter"))
            ex["tts_params"] = fs_model.tts_params(a["file"], call.vars.get("playback_delimiter"))
            # src/switch_ivr_play_say.c switch_ivr_play_file: "say:" speaks with the
            # channel's tts_voice at the time it plays.
            ex["voice"] = call.vars.get("tts_voice")
        # The scripted caller answers questions it hears; a read without a prompt
        # (the rest of an entry) only takes the keys already on their way.
        step = None
        if fs_model.heard(a["file"], call.vars.get("playback_delimiter")):
            step = self.take_step(call, ex)
            if step is None:
                await asyncio.sleep(0.005)
                self.hangup(call, "NORMAL_CLEARING", "script")
                return None
            if await self.scripted_events(call, step):
                return None
        digits = ""
        # The prompt, with barge-in.
        if a["file"] and a["file"] != "silence":
            key = await self.next_key(call, self.prompt_ms / 1000.0)
            if key is not None:
                digits = key
        terminator = ""
        timed_out = False
        # switch_ivr_read: the key that stopped the prompt went into the digit buffer
        # (switch_ivr_play_file with args.buf): it is the first digit, a terminator too.
        # Only keys read after the prompt (switch_ivr_collect_digits_count) end the read
        # as terminators; read_result clears a lone terminator when max is 1.
        if len(digits) < a["max"] or (a["min"] and len(digits) < a["min"]):
            while True:
                wait = (a["digit_timeout"] if digits else a["timeout"]) * self.scale / 1000.0
                key = await self.next_key(call, wait)
                if key is None:
                    timed_out = True
                    break
                if key in a["terminators"]:
                    terminator = key
                    break
                digits += key
                if len(digits) >= a["max"]:
                    break
        variables = fs_model.read_result(a, digits, terminator, timed_out, False)
        for k, v in variables.items():
            call.vars[k] = v
        if ex is not None:
            ex["read"] = {"digits": digits, "terminator": terminator, "timed_out": timed_out}
        accepted = bool(call.vars.get(a["var"] or "")) if a["var"] else bool(digits)
        if not accepted and a["invalid_file"]:
            await self.play_eating_keys(call, self.prompt_ms, terminators="")
        # switch_ivr_read sets VAR as it ends: the keys are on the channel.
        await self.drop_before_completion(step)
        return "_none_"

    async def drop_before_completion(self, step):
        """The switch stops writing as a question ends ("drop_before_completion"): what the
        application set is on the channel, and the CHANNEL_EXECUTE_COMPLETE that follows
        reaches no connection (mod_event_socket.c: a listener only gets the events fired
        while it is there; nothing is replayed to a later one). The messages queued on the
        channel stay there and run (switch_core_session_queue_private_event: the channel's
        queue, not the connection's)."""
        if step is not None and step.get("drop_before_completion"):
            for conn in list(self.connections):
                await conn.close(notice=False, flush=False)

    async def scripted_events(self, call, step):
        """Steps that are not the caller's answer: a hangup, a dropped connection.
        Returns True when the application cannot go on."""
        await asyncio.sleep(0)
        if step.get("hangup"):
            if step.get("after_flood"):
                await call.flood_done.wait()
            await asyncio.sleep(step.get("after_ms", 3) / 1000.0)
            self.hangup(call, "NORMAL_CLEARING", "script")
            return True
        if step.get("hold"):
            # The caller says nothing and the application runs on, until a
            # uuid_break (mod_commands.c) ends it, or for for_ms; then its
            # timeouts run (silence).
            if "for_ms" in step:
                await asyncio.sleep(step["for_ms"] / 1000.0)
                return False
            await asyncio.Event().wait()
        if step.get("restart"):
            # The switch dies and comes back (a crash, kill -9, a restart): its
            # sockets close without a disconnect notice, and every channel is gone
            # with it, its hangup fired to no listener; the new switch accepts
            # connections and knows none of them (uuid_exists says false).
            await asyncio.sleep(step.get("after_ms", 3) / 1000.0)
            for conn in list(self.connections):
                await conn.close(notice=False, flush=False)
            for other in self.calls:
                if other.parked and not other.ended:
                    self.hangup(other, "CRASH", "restart")
            return True
        if step.get("transfer_away"):
            await asyncio.sleep(step.get("after_ms", 3) / 1000.0)
            self.transfer_away(call)
            return True
        if step.get("drop_connection"):
            await asyncio.sleep(step.get("after_ms", 3) / 1000.0)
            if step.get("mid_frame"):
                # The connection breaks in the middle of an event: the host has half of
                # it, and must not take it, nor carry it over to the next connection.
                for conn in list(self.connections):
                    conn.send(b"Content-Length: 900\nContent-Type: text/event-plain\n\n"
                              b"Event-Name: CHANNEL_EXECUTE_COMPLETE\nUnique-ID: " +
                              call.uuid.encode() + b"\nApplication: play_and_get_d")
                    await conn.close(notice=False, flush=True)
            # The application keeps running on the switch; only the sockets go.
            for conn in list(self.connections):
                await conn.close(notice=False, flush=False)
            if step.get("then_hangup"):
                # The caller hangs up while nobody listens: the host only learns
                # it from uuid_exists once reconnected.
                await asyncio.sleep(0.02)
                self.hangup(call, "NORMAL_CLEARING", "script")
                return True
            await asyncio.Event().wait()  # until uuid_break cancels it
        return False

    async def play_and_detect_speech(self, call, data, ex):
        """mod_dptools.c play_and_detect_speech_function and src/switch_ivr_async.c
        switch_ivr_play_and_detect_speech: detect_speech_result is cleared, the
        prompt plays while the recogniser listens; the result (NLSML) is stored in
        detect_speech_result and the response is DONE, or GRAMMAR ERROR / ASR INIT
        ERROR when recognition cannot start, USAGE ERROR for a bad argument.
        A key (play_and_detect_input_callback): one of playback_terminators ("any":
        every key) ends the application with "DIGIT: K" as its result and sets
        playback_terminator_used; any other key is dropped. DETECTED_SPEECH events
        reach the event socket only with fire_asr_events=true (speech_thread)."""
        call.vars["detect_speech_result"] = ""
        d = fs_model.detect_arguments(data or "")
        if ex is not None:
            ex["heard"] = fs_model.heard(d["file"], call.vars.get("playback_delimiter")) if d else ""
            ex["tts_params"] = fs_model.tts_params(d["file"], call.vars.get("playback_delimiter")) \
                if d else []
            ex["voice"] = call.vars.get("tts_voice")
            if d:
                ex["speech_language"] = fs_model.grammar_params(d["grammar"]).get(
                    "speech-language")
        if d is None:
            return "USAGE ERROR"
        step = self.take_step(call, ex)
        if step is None:
            await asyncio.sleep(0.005)
            self.hangup(call, "NORMAL_CLEARING", "script")
            return None
        if await self.scripted_events(call, step):
            return None
        if step.get("response"):
            return step["response"]
        terminators = call.vars.get("playback_terminators") or ""
        if terminators == "any":
            terminators = "1234567890*#"
        elif terminators == "none":
            terminators = ""
        result = step.get("result")
        if result is None and "speech" in step:
            result = ('<?xml version="1.0"?><result><interpretation grammar="g" '
                      'confidence="%s"><input mode="speech">%s</input></interpretation>'
                      '</result>' % (step.get("confidence", 0.9),
                                     xml.sax.saxutils.escape(step["speech"])))
        if result is None and step.get("nomatch"):
            result = self.recognition_without_result(1)
        if result is None and "completion_cause" in step:
            result = self.recognition_without_result(step["completion_cause"])
        speech_at = time.monotonic() + step.get("after_ms", 3) / 1000.0
        # no-input-timeout from the grammar's parameters, else 5000 (the default).
        wait = 5000
        if d and "no-input-timeout=" in d["grammar"]:
            try:
                wait = int(d["grammar"].split("no-input-timeout=", 1)[1].split("}")[0].split(",")[0])
            except ValueError:
                pass
        give_up = time.monotonic() + (wait * self.scale / 1000.0 if result is None else 3600)
        while True:
            until = speech_at if result is not None else give_up
            key = await self.next_key(call, max(0.0, until - time.monotonic()))
            if key is None:
                break
            if key in terminators:
                call.vars["playback_terminator_used"] = key
                call.vars["detect_speech_result"] = "DIGIT: %s" % key
                await self.drop_before_completion(step)
                return "DONE"
            call.keys_eaten.append(key)
        if ex is not None:
            call.unanswered.pop(id(ex), None)  # the words are said
        if result is None:
            # The caller said nothing: the recogniser's no-input-timeout ends it.
            result = self.recognition_without_result(2)
        if result:
            if (call.vars.get("fire_asr_events") or "").lower() == "true":
                # src/switch_ivr_async.c speech_thread: "begin-speaking" when the engine
                # reports the start of speech, "detected-speech" with the result as body;
                # the copy fired for the event socket (SWITCH_ASR_FLAG_FIRE_EVENTS) has none
                # of the channel's data (the copy queued to the session is taken by
                # play_and_detect_input_callback), so no filter on a channel variable takes
                # it. An engine error ends speech_thread without any event.
                for kind, text in (("begin-speaking", None), ("detected-speech", result)):
                    headers, message = self.event_message(None, "DETECTED_SPEECH",
                                                           {"Speech-Type": kind}, text)
                    self.deliver("DETECTED_SPEECH", headers, message)
            call.vars["detect_speech_result"] = result
        # mod_dptools.c play_and_detect_speech_function sets detect_speech_result as
        # switch_ivr_play_and_detect_speech returns.
        await self.drop_before_completion(step)
        return "DONE"

    def recognition_without_result(self, cause):
        """What a recogniser leaves in detect_speech_result when it heard nothing it
        could return (the MRCP completion cause: 1 no-match, 2 no-input-timeout, 6
        error...), per the script's "asr":
        - "unimrcp" (the default): mod_unimrcp.c recog_on_message_receive gives
          "Completion-Cause: NNN" for a RECOGNITION-COMPLETE without a body, which is
          how MRCP servers end a no-input or a no-match;
        - "pocketsphinx": mod_pocketsphinx.c pocketsphinx_asr_get_results writes NLSML
          with <noinput/> or <nomatch/> in its input (and nothing else for an error);
        - "none": an engine that returns nothing (detect_speech_result stays unset)."""
        engine = self.script.get("asr", "unimrcp")
        if engine == "unimrcp":
            return "Completion-Cause: %03d" % cause
        if engine == "pocketsphinx" and cause in (1, 2):
            return ('<?xml version="1.0"?>\n<result grammar="g">\n  <interpretation>\n'
                    '    <input mode="speech"><%s/></input>\n  </interpretation>\n'
                    '</result>\n' % ("nomatch" if cause == 1 else "noinput"))
        return ""

    async def run_handoff(self, call, app, data, event_uuid):
        if app == "bridge":
            return await self.bridge(call, app, data, event_uuid)
        # callcenter (mod_callcenter.c callcenter_function): cc_cause says how it went.
        if call.handoff == "ok":
            self.emit(call, "CHANNEL_BRIDGE", {"Other-Leg-Unique-ID": str(uuidlib.uuid4())})
            await asyncio.sleep(0.05)
            call.vars["cc_cause"] = "answered"
            call.running = [r for r in call.running if r[0] != event_uuid]
            self.complete(call, event_uuid, app, data, "_none_")
            self.hangup(call, "NORMAL_CLEARING", "agent")
            return None
        call.vars["cc_cause"] = "cancel"
        return "_none_"

    async def bridge(self, call, app, data, event_uuid):
        """mod_dptools.c audio_bridge_function.

        The originate fails ("handoff": "fail", its cause "handoff_cause", USER_BUSY by
        default): switch_ivr_originate leaves originate_disposition (the cause's name) on
        the channel; then the caller's channel is HUNG UP with that cause unless
        continue_on_fail is true (or lists the cause), or the cause is NO_ANSWER,
        NO_USER_RESPONSE or ORIGINATOR_CANCEL ("no answer is always a reason to
        continue"). Only then does the application return and the call go on.

        The originate succeeds: CHANNEL_BRIDGE, the agent talks, then hangs up. At the
        end of the bridge (src/switch_ivr_bridge.c switch_ivr_multi_threaded_bridge) the
        caller's channel is hung up only when hangup_after_bridge is true; otherwise the
        application returns and the channel goes back to what it was doing, here the
        dialplan's park: the caller hears silence until they hang up."""
        if call.handoff == "caller_hangup":
            # The caller hangs up while the agent's phone rings: switch_ivr_originate.c
            # switch_ivr_originate ends the originate with ORIGINATOR_CANCEL (IDX_CANCEL: the
            # originator went away), the disposition left on the caller's channel; the
            # caller's hangup fires first
            # (switch_channel_perform_hangup: CHANNEL_HANGUP, then the bridge's
            # completion, then CHANNEL_HANGUP_COMPLETE).
            await asyncio.sleep(0.02)
            call.vars["originate_disposition"] = "ORIGINATOR_CANCEL"
            self.hangup(call, "NORMAL_CLEARING", "caller, while the bridge rang")
            return None
        if call.handoff == "ok":
            call.vars["originate_disposition"] = "SUCCESS"
            self.emit(call, "CHANNEL_BRIDGE", {"Other-Leg-Unique-ID": str(uuidlib.uuid4())})
            await asyncio.sleep(0.05)
            self.emit(call, "CHANNEL_UNBRIDGE")
            if fs_model.switch_true(call.vars.get("hangup_after_bridge")):
                self.hangup(call, "NORMAL_CLEARING", "agent (hangup_after_bridge)")
                return None
            call.running = [r for r in call.running if r[0] != event_uuid]
            self.complete(call, event_uuid, app, data, "_none_")
            call.silent_after_bridge = True
            # Parked again, nothing plays: the caller gives up after a while.
            asyncio.get_running_loop().call_later(0.3, self.hangup, call, "NORMAL_CLEARING",
                                                  "caller, left in silence after the bridge")
            return None
        cause = call.handoff_cause
        call.vars["originate_disposition"] = cause
        if cause in ("NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"):
            return "_none_"
        go_on = call.vars.get("continue_on_fail")
        if go_on and (fs_model.switch_true(go_on) or cause.lower() in
                      [c.strip().lower() for c in go_on.split(",")]):
            return "_none_"
        self.hangup(call, cause, "bridge failed (no continue_on_fail)")
        return None

    def transfer_away(self, call):
        """Someone else transfers the call (mod_commands.c transfer_function, uuid_transfer):
        src/switch_ivr.c switch_ivr_session_transfer sets CF_TRANSFER (switch_channel_ready
        is false from then on) and the state CS_ROUTING; the application in progress
        returns and its completion fires (read_result failure), then switch_ivr_park's loop
        ends: CF_PARK cleared and CHANNEL_UNPARK fired. The channel runs the new extension
        (here: it ends 300 ms later)."""
        call.away = True
        call.state_number = "2"  # CS_ROUTING
        call.vars["transfer_source"] = "%d:%s:uuid_br:9999/default/XML" % (time.time(), call.uuid)
        running, call.running = call.running, []
        call.queue.clear()
        for event_uuid, app, data, _ in running:
            if app == "play_and_get_digits":
                call.vars["read_result"] = "failure"
            self.complete(call, event_uuid, app, data, "_none_")
        self.emit(call, "CHANNEL_UNPARK")
        asyncio.get_running_loop().call_later(0.3, self.hangup, call, "NORMAL_CLEARING",
                                              "dialplan, after a transfer")

    def uuid_break(self, call, flush=True):
        """mod_commands.c break_function: CF_BREAK stops the application in progress
        (its completion still fires); with "all", the messages queued on the channel
        are flushed first (switch_core_session_flush_private_events), without it they
        stay and the next one runs."""
        if flush:
            call.queue.clear()
        if not call.running:
            return
        for task in list(call.tasks):
            task.cancel()
        running, call.running = call.running, []
        for event_uuid, app, data, _ in running:
            if app == "play_and_get_digits":
                call.vars["read_result"] = "failure"
            ex = next((e for e in call.executes if e["event_uuid"] == event_uuid), None)
            if ex is not None:
                ex["broken_ms"] = self.now_ms()
                self.give_back_answer(call, ex)
            self.complete(call, event_uuid, app, data, "_none_")
        if not flush:
            self.run_next(call)

    # -- commands ------------------------------------------------------------

    def record(self, conn, line, headers, body):
        if self.raw is not None:
            self.raw.flush()
        conn.commands.append({"line": line if not line.startswith("auth ") else "auth ***",
                              "headers": [h for h, _ in headers], "body_bytes": len(body)})

    async def command(self, conn, line, headers, body):
        """mod_event_socket.c parse_command."""
        self.record(conn, line, headers, body)
        verb, _, rest = line.partition(" ")
        if not conn.authed:
            if verb != "auth":
                conn.reply("-ERR command not found")
                return
            self.auth_attempts += 1
            if self.auth_attempts <= self.script.get("auth_drops", 0):
                # The connection breaks while the password is checked (a network cut,
                # the switch going down): no reply, the socket just closes.
                await conn.close(notice=False, flush=False)
                return
            if rest == self.password_for(conn):
                conn.authed = True
                conn.reply("+OK accepted")
            else:
                self.auth_failures += 1
                conn.reply("-ERR invalid")
                await asyncio.sleep(0.02)
                await conn.close(notice=False)
            return
        if verb == "event":
            kind, _, types = rest.partition(" ")
            if kind != "plain" or not types.strip():
                conn.reply("-ERR invalid event format")
                return
            conn.events.update(types.split())
            conn.reply("+OK event listener enabled plain")
        elif verb == "nixevent":
            # parse_command "nixevent": the types leave the listener's event_list.
            if not rest.split():
                conn.reply("-ERR no keywords supplied")
                return
            conn.events.difference_update(rest.split())
            conn.reply("+OK events nixed")
        elif verb == "filter":
            name, _, value = rest.partition(" ")
            conn.filters.append((name, value))
            conn.reply("+OK filter added. [%s]=[%s]" % (name, value))
            ready = sum(1 for c in self.connections if c.subscribed and not c.closed)
            if ready >= self.script.get("connections", 1) and not self.started:
                self.started = True
                await self.start_calls()
        elif verb == "api":
            self.api(conn, rest)
        elif verb == "sendmsg":
            self.sendmsg(conn, rest.strip(), headers, body)
        elif verb == "exit":
            conn.reply("+OK bye")
            await conn.close()
        else:
            conn.reply("-ERR command not found")

    def api(self, conn, rest):
        words = rest.split()
        call = self.by_uuid.get(words[1]) if len(words) > 1 else None
        if call is not None:
            call.apis.append({"api": words[0], "connection": conn.number, "t": self.now_ms()})
        if words and words[0] == "uuid_exists":
            conn.api_response("true" if call and not call.ended else "false")
        elif words and words[0] == "uuid_break":
            if call and not call.ended:
                self.uuid_break(call, flush="all" in words[2:])
                conn.api_response("+OK")
            else:
                conn.api_response("-ERR no such channel!")
        elif words == ["status"]:
            # mod_commands.c status_function: the uptime, then the sessions.
            up = int(time.monotonic() - self.t0)
            live = sum(1 for c in self.calls if c.parked and not c.ended)
            conn.api_response("UP 0 years, 0 days, 0 hours, %d minutes, %d seconds, 0 milliseconds,"
                              " 0 microseconds\nFreeSWITCH (Version 1.10) is ready\n"
                              "%d session(s) since startup\n%d session(s) - peak %d, last 5min %d\n"
                              % (up // 60, up % 60, len(self.calls), live, live, live))
        elif words[:2] == ["show", "channels"] and len(words) == 2:
            conn.api_response(self.show_channels())
            self.hang_up_listed()
        elif words and words[0] == "uuid_getvar":
            # mod_commands.c uuid_getvar_function: the value as is, "_undef_" when the
            # channel has no such variable, "-ERR No Such Channel!" for an unknown channel.
            if call and not call.ended and len(words) > 2:
                value = call.vars.get(words[2])
                conn.api_response(value if value else "_undef_")
            else:
                conn.api_response("-ERR No Such Channel!\n")
        elif words and words[0] == "uuid_dump":
            # mod_commands.c uuid_dump_function: the channel's data as a CHANNEL_DATA
            # event (switch_channel_event_set_data), serialised as "txt" by default
            # (switch_event_serialize with URL-encoded values, an empty line last).
            if call and call.parked and not call.ended:
                headers = self.channel_headers(call, "CHANNEL_DATA")
                conn.api_response(serialize(headers) + "\n")
            else:
                conn.api_response("-ERR No Such Channel!\n")
        else:
            conn.api_response("-ERR %s Command not found!" % (words[0] if words else ""))

    def hang_up_listed(self):
        """Calls that hang up just after they were listed ("hangup_when_listed"), before the
        host asks for their data: uuid_dump then finds no channel."""
        for call in self.calls:
            if call.hangup_when_listed and call.parked and not call.ended:
                call.hangup_when_listed = False
                self.hangup(call, "NORMAL_CLEARING", "script")

    def show_channels(self):
        """mod_commands.c show_function "channels" (as delim, the default): the
        channels table (switch_core_sqldb.c, a row per channel from its creation to
        its hangup) printed by show_callback: the column names, then one line per
        channel, values joined by ",", then "N total."."""
        columns = ["uuid", "direction", "created", "created_epoch", "name", "state", "cid_name",
                   "cid_num", "ip_addr", "dest", "application", "application_data", "dialplan",
                   "context"]
        rows = []
        for call in self.calls:
            if call.parked and not call.ended:
                rows.append([call.uuid, "inbound", "", "0", "sofia/internal/" + call.caller,
                             "CS_EXECUTE", call.caller_name, call.caller, "127.0.0.1",
                             call.destination, call.vars.get("current_application") or "", "",
                             "XML", "default"])
        lines = [",".join(columns)] + [",".join(r) for r in rows]
        return "\n".join(lines) + "\n\n%d total.\n" % len(rows)

    def sendmsg(self, conn, uuid, headers, body):
        """mod_event_socket.c parse_command "sendmsg": the message is queued on the
        channel (switch_core_session_queue_private_event) and "+OK" only means
        that; an unknown channel is "-ERR invalid session id". src/switch_ivr.c
        switch_ivr_parse_event reads execute-app-arg, or the body when
        content-type is text/plain and there is no execute-app-arg."""
        call = self.by_uuid.get(uuid)
        if call is None or call.ended:
            if call is not None:
                call.refused.append(header(headers, "execute-app-name") or "")
            conn.reply("-ERR invalid session id [%s]" % uuid)
            return
        if (header(headers, "call-command") or "").lower() != "execute":
            conn.reply("-ERR unsupported call-command")
            return
        app = header(headers, "execute-app-name") or ""
        arg = header(headers, "execute-app-arg")
        via = "header"
        if not arg and (header(headers, "content-type") or "").lower() == "text/plain":
            arg = body.decode("utf-8", "replace")
            via = "body"
        event_uuid = header(headers, "Event-UUID") or ""
        locked = (header(headers, "event-lock") or "").lower() in ("true", "yes", "on", "1")
        call.executes.append({"app": app, "arg": arg or "", "via": via, "event_uuid": event_uuid,
                              "event_lock": locked, "connection": conn.number,
                              "t": self.now_ms()})
        conn.reply("+OK")
        self.execute(call, app, arg or "", event_uuid, locked)
        self.release_on_other_voice(conn, app, arg or "")

    def release_on_other_voice(self, conn, app, arg):
        """Stall "until_voice_set_elsewhere": the listener stopped as it read a "set
        tts_voice=A" comes back the moment another connection has queued a "set
        tts_voice=B" on a channel, and queues its own set right behind it, before that
        connection's next message (each listener thread queues what it reads:
        mod_event_socket.c parse_command, switch_core_session_queue_private_event). The
        worst moment for a voice set late: between another voice's set and its prompt."""
        held = self.release_on_voice
        if held is None or conn in self.stalled or app != "set" or \
                not arg.startswith("tts_voice=") or arg == held:
            return
        self.release_on_voice = None
        for other in self.stalled:
            other.running.set()
            other.wake.set()
        conn.let_others_run = True

    # -- connections ---------------------------------------------------------

    async def serve(self, reader, writer):
        # Every write its own segment: the host must not count on reads holding whole messages.
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(self, reader, writer, len(self.connections) + 1)
        self.connections.append(conn)
        task = asyncio.current_task()
        self.serving.add(task)
        task.add_done_callback(self.serving.discard)
        conn.writer_task = asyncio.ensure_future(conn.write_loop())
        conn.send(b"Content-Type: auth/request\n\n")
        buffer = bytearray()
        # mod_event_socket.c read_packet reads a command's headers one byte at a time
        # (switch_socket_recv with mlen = 1); "bytes" does the same, with a pause of pause_ms
        # every pause_every bytes for a switch that reads slowly. "chunks" reads what is
        # there (the switch's reading is never what a test waits for).
        bytewise = self.reader.get("mode") == "bytes"
        pause_every = self.reader.get("pause_every", 0)
        pause_s = self.reader.get("pause_ms", 0) / 1000.0
        taken = 0
        try:
            while not conn.ended:
                await conn.running.wait()
                data = await reader.read(1 if bytewise else 65536)
                if not data:
                    break
                taken += len(data)
                if pause_every and taken % pause_every == 0:
                    await asyncio.sleep(pause_s)
                if self.raw is not None:
                    self.raw.write(data)
                buffer += data
                for line, headers, body in parse_messages(buffer):
                    if self.stall_armed and conn.authed and self.stall_armed[0].get("app") in (
                            None, header(headers, "execute-app-name")):
                        stall, call = self.stall_armed
                        self.stall_armed = None
                        self.stall(stall.get("for_ms"))
                        if stall.get("until_voice_set_elsewhere"):
                            self.release_on_voice = body.decode("utf-8", "replace") or \
                                header(headers, "execute-app-arg") or ""
                        if stall.get("flood"):
                            # Events of the call go on while the listener is stopped.
                            self.spawn(call, self.flood(call, stall["flood"]))
                    await conn.running.wait()
                    await self.command(conn, line, headers, body)
                    if conn.let_others_run:
                        # The listeners just released read and run what they hold before
                        # this one reads its next command: the threads race in FreeSWITCH,
                        # and this is the order that wins it for them.
                        conn.let_others_run = False
                        await asyncio.sleep(0.01)
                    if conn.ended:
                        break
        except (ConnectionError, OSError):
            pass
        conn.closed = True
        conn.wake.set()
        try:
            writer.close()
        except OSError:
            pass

    async def read_what_is_left(self, timeout=2.0):
        """Before the report, the commands a host sent before it went away.

        A test stops the host, then this server: the host's last command
        ("exit") and its end of the connection may still sit in the socket
        when the signal arrives, on a loaded machine. Each connection's reader
        ends at the host's end of the connection; one still open after
        `timeout` is reported as it stands.
        """
        if self.serving:
            await asyncio.wait(set(self.serving), timeout=timeout)

    def write_report(self):
        report = {
            "auth_attempts": self.auth_attempts,
            "auth_failures": self.auth_failures,
            "bytes_sent": self.bytes_sent,
            "stalls": self.stalls,
            "overlong_sent_ms": self.overlong_sent_ms,
            "half_closes": self.half_closes,
            "delivered": self.delivered,
            "bytes_muted": sum(c.bytes_muted for c in self.connections),
            "events_flooded": self.flooded,
            "events_lost": self.events_lost,
            "connections": [{"number": c.number, "opened_ms": c.opened_ms, "authed": c.authed,
                             "events": sorted(c.events),
                             "filters": c.filters, "commands": c.commands}
                            for c in self.connections],
            "calls": {c.uuid: {"index": c.index, "executes": c.executes, "refused": c.refused,
                               "ended": c.ended, "ended_by": c.ended_by, "cause": c.cause,
                               "inputs_left": len(c.inputs), "keys_left": "".join(c.dtmf),
                               "keys_eaten": "".join(c.keys_eaten), "api_calls": c.api_calls,
                               "apis": c.apis,
                               "vars": c.vars}
                      for c in self.calls},
        }
        tmp = self.report_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
        os.replace(tmp, self.report_path)
        if self.raw is not None:
            self.raw.flush()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--script", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--raw", help="file that receives every byte the host sent")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with open(args.script, encoding="utf-8") as f:
        script = json.load(f)
    switch = FakeSwitch(script, args.report, args.raw)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if script.get("rcvbuf"):
        # A small receive buffer (accepted sockets inherit it): what the switch does not
        # read soon fills the host's socket, and the host holds the rest.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, script["rcvbuf"])
    listener.bind(("127.0.0.1", args.port))
    server = await asyncio.start_server(switch.serve, sock=listener, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    switch.park_before_connect()
    print("listening on 127.0.0.1:%d" % port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await switch.read_what_is_left()
    switch.write_report()
    if switch.raw is not None:
        switch.raw.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
