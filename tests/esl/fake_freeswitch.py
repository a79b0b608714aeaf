#!/usr/bin/env python3
"""A fake FreeSWITCH event socket on 127.0.0.1, with a scripted caller per call.

It speaks the inbound protocol the way mod_event_socket does: it sends
"auth/request", checks "auth PASSWORD" ("+OK accepted" or "-ERR invalid" and
a close), answers every command with "command/reply" (Reply-Text) or, for
"api", "api/response" (Content-Length body), sends subscribed events as
"text/event-plain" with URL-encoded values (switch_url_encode's set) and
honours "filter" (include filters, OR'ed), and says goodbye with
"text/disconnect-notice".

Calls: once a connection has subscribed, each scripted call is parked
(CHANNEL_PARK with its channel variables). Every "sendmsg" execute is
recorded (application, argument, whether the argument came in a body or a
header, Event-UUID, event-lock) and run: an ask (play_and_get_digits,
play_and_detect_speech) takes the call's next scripted input and completes
with CHANNEL_EXECUTE_COMPLETE carrying Application-UUID and the variables
FreeSWITCH sets (ivrsm_digits, read_result, detect_speech_result); other
applications complete at once; hangup, transfer, bridge and callcenter end
or hand over the call. When a call's inputs run out at an ask, the caller
hangs up (CHANNEL_HANGUP, CHANNEL_HANGUP_COMPLETE).

What it writes goes out split at random points (or byte by byte for the
first bytes, see "split"), several messages per write at times, so the
host's framing never depends on read boundaries.

Usage:
    fake_freeswitch.py --script SCRIPT.json --report REPORT.json [--raw RAW.bin]

The first line on stdout is "listening on 127.0.0.1:PORT"; "all calls done"
follows once every call has ended (the report is written then, and again
on SIGTERM/SIGINT, which stop the server).

Script (every key optional):
    {"password": "ClueCon",
     "split": {"mode": "random" | "none" | "bytes", "bytes": 20000, "seed": 1},
     "pad_events": 0,                       # bytes of padding variable per event
     "foreign_calls": 0,                    # parked calls without the filter variable
     "calls": [{"uuid": "...", "vars": {"ivrsm_app": "synergia"},
                "start_after_ms": 0,
                "handoff": "ok" | "fail",   # bridge / callcenter outcome
                "inputs": [
                    {"digits": "1"},                     # play_and_get_digits result
                    {"timeout": true},                   # no input
                    {"invalid": "9"},                    # refused by the regexp
                    {"speech": "oui", "confidence": 0.9},# play_and_detect_speech (NLSML)
                    {"result": "<raw detect_speech_result>"},
                    {"response": "GRAMMAR ERROR"},       # recogniser failure
                    {"hangup": true},                    # the caller hangs up at this ask
                    {"drop_connection": true},           # close every connection at this ask
                    {"drop_connection": true, "then_hangup": true},  # ...and hang up meanwhile
                    {"digits": "0612345678", "hangup_after_ms": 300},
                    {"digits": "1", "after_ms": 50}]}]}
"""

import argparse
import asyncio
import json
import random
import signal
import socket
import sys
import time
import uuid as uuidlib
import xml.sax.saxutils

URL_UNSAFE = set(b'\r\n "#%&+:;<=>?@[\\]^`{|}')
ASK_APPS = {"play_and_get_digits", "play_and_detect_speech"}
CORE_UUID = "5f1a2c9e-0000-4000-8000-fa4ef5e1c0de"


def url_encode(value: str) -> str:
    """switch_url_encode: control bytes, non-ASCII bytes and the unsafe set become %XX."""
    out = []
    for b in value.encode("utf-8"):
        if b < 0x20 or b > 0x7E or b in URL_UNSAFE:
            out.append("%%%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def parse_messages(buffer: bytearray):
    """Take complete client messages out of buffer: (command line, headers, body) each."""
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
    def __init__(self, spec, index):
        self.uuid = spec.get("uuid") or str(uuidlib.uuid4())
        self.vars = dict(spec.get("vars", {"ivrsm_app": "synergia"}))
        self.inputs = list(spec.get("inputs", []))
        self.handoff = spec.get("handoff", "ok")
        self.start_after_ms = spec.get("start_after_ms", 0)
        self.index = index
        self.executes = []
        self.refused = []        # sendmsg after the hangup: refused with -ERR
        self.queue = []          # executes waiting for the one running
        self.running = None      # (event_uuid, app, arg) of the application running
        self.running_task = None
        self.ended = False
        self.ended_by = None
        self.parked = False


class Connection:
    def __init__(self, server, reader, writer, number):
        self.server = server
        self.reader = reader
        self.writer = writer
        self.number = number
        self.authed = False
        self.events = set()
        self.filters = []
        self.commands = []
        self.closed = False
        self.out = bytearray()
        self.wake = asyncio.Event()
        self.writer_task = None

    @property
    def subscribed(self):
        return self.authed and bool(self.events)

    def send(self, data: bytes):
        if self.closed:
            return
        self.out += data
        self.wake.set()

    def reply(self, text):
        self.send(("Content-Type: command/reply\nReply-Text: %s\n\n" % text).encode())

    def api_response(self, text):
        body = text.encode()
        self.send(b"Content-Type: api/response\nContent-Length: %d\n\n" % len(body) + body)

    def wants(self, name, headers):
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
                # Let more messages pile up now and then: several per read.
                if rng.random() < 0.3:
                    await asyncio.sleep(0.002)
                data, self.out = bytes(self.out), bytearray()
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
                    await self.writer.drain()
                    if mode != "none":
                        await asyncio.sleep(0)
        except (ConnectionError, OSError):
            self.closed = True

    async def close(self, notice=True):
        if self.closed:
            return
        if notice:
            body = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
            self.send(b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(body)
                      + body)
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
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
        self.pad = script.get("pad_events", 0)
        self.report_path = report_path
        self.raw = open(raw_path, "wb") if raw_path else None
        self.calls = [Call(spec, i) for i, spec in enumerate(script.get("calls", []))]
        for i in range(script.get("foreign_calls", 0)):
            self.calls.append(Call({"vars": {"other_app": "x"}, "inputs": []}, len(self.calls)))
        self.by_uuid = {c.uuid: c for c in self.calls}
        self.connections = []
        self.auth_attempts = 0
        self.auth_failures = 0
        self.bytes_sent = 0
        self.started = False
        self.t0 = time.monotonic()
        self.done = asyncio.Event()

    # -- events --------------------------------------------------------------

    def emit(self, call, name, extra=None, body=None):
        headers = [("Event-Name", name), ("Core-UUID", CORE_UUID),
                   ("Event-Date-Timestamp", "1741600000000000"),
                   ("Unique-ID", call.uuid), ("Channel-Call-UUID", call.uuid),
                   ("Caller-Caller-ID-Number", "+33612345678"),
                   ("Answer-State", "hangup" if call.ended else "answered"),
                   ("Channel-Call-State", "HANGUP" if call.ended else "ACTIVE")]
        if name != "DTMF":  # FreeSWITCH adds channel variables to channel events, not to DTMF
            headers += [("variable_" + k, v) for k, v in call.vars.items()]
            if self.pad:
                headers.append(("variable_padding", "x%" * (self.pad // 2)))
        headers += list((extra or {}).items())
        text = "".join("%s: %s\n" % (k, url_encode(str(v))) for k, v in headers)
        if body is not None:
            raw_body = body.encode()
            event = (text + "Content-Length: %d\n\n" % len(raw_body)).encode() + raw_body
        else:
            event = (text + "\n").encode()
        message = b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(event) + event
        for conn in self.connections:
            if conn.wants(name, headers):
                conn.send(message)

    # -- calls ---------------------------------------------------------------

    async def start_calls(self):
        for call in self.calls:
            asyncio.get_running_loop().call_later(call.start_after_ms / 1000.0, self.park, call)

    def park(self, call):
        call.parked = True
        self.emit(call, "CHANNEL_PARK")
        if not call.vars.get("ivrsm_app"):
            # Not for the host: it ends on its own.
            asyncio.get_running_loop().call_later(0.05, self.hangup, call, "NORMAL_CLEARING",
                                                  "script")

    def hangup(self, call, cause, by):
        if call.ended:
            return
        if call.running_task and call.running_task is not asyncio.current_task():
            call.running_task.cancel()
        running = call.running
        call.running = None
        call.queue.clear()
        call.ended = True
        call.ended_by = by
        if running is not None and running[1] in ASK_APPS:
            # The application in progress returns with no answer, the channel
            # already hanging up (Answer-State: hangup).
            self.complete(call, *running, "_none_", {"read_result": "failure"})
        self.emit(call, "CHANNEL_HANGUP", {"Hangup-Cause": cause})
        self.emit(call, "CHANNEL_HANGUP_COMPLETE", {"Hangup-Cause": cause})
        if all(c.ended for c in self.calls):
            self.write_report()
            print("all calls done", flush=True)
            self.done.set()

    def execute(self, call, app, arg, event_uuid):
        call.queue.append((event_uuid, app, arg))
        if call.running is None:
            self.run_next(call)

    def run_next(self, call):
        if call.ended or not call.queue:
            call.running = None
            return
        call.running = call.queue.pop(0)
        call.running_task = asyncio.ensure_future(self.run_app(call, *call.running))

    def complete(self, call, event_uuid, app, arg, response="_none_", variables=None):
        extra = {"Application": app, "Application-Data": arg,
                 "Application-Response": response, "Application-UUID": event_uuid}
        for k, v in (variables or {}).items():
            extra["variable_" + k] = v
        self.emit(call, "CHANNEL_EXECUTE_COMPLETE", extra)

    async def run_app(self, call, event_uuid, app, arg):
        try:
            if app in ASK_APPS:
                await self.run_ask(call, event_uuid, app, arg)
                return
            await asyncio.sleep(0.002)
            if app == "hangup":
                self.hangup(call, arg.strip() or "NORMAL_CLEARING", "host")
                return
            if app in ("bridge", "callcenter"):
                await self.run_handoff(call, event_uuid, app, arg)
                return
            self.complete(call, event_uuid, app, arg,
                          "FILE PLAYED" if app == "playback" else "_none_")
            if app == "transfer":
                # The call now belongs to the dialplan; it ends there a little later.
                asyncio.get_running_loop().call_later(0.05, self.hangup, call, "NORMAL_CLEARING",
                                                      "dialplan")
                return
        except asyncio.CancelledError:
            return
        call.running = None
        self.run_next(call)

    async def run_handoff(self, call, event_uuid, app, arg):
        if call.handoff == "ok":
            self.emit(call, "CHANNEL_BRIDGE", {"Other-Leg-Unique-ID": str(uuidlib.uuid4())})
            await asyncio.sleep(0.05)
            self.complete(call, event_uuid, app, arg, "_none_",
                          {"originate_disposition": "SUCCESS", "cc_cause": "answered"})
            self.hangup(call, "NORMAL_CLEARING", "agent")
        else:
            self.complete(call, event_uuid, app, arg, "_none_",
                          {"originate_disposition": "USER_BUSY", "cc_cause": "cancel"})
            call.running = None
            self.run_next(call)

    async def run_ask(self, call, event_uuid, app, arg):
        if not call.inputs:
            await asyncio.sleep(0.005)
            self.hangup(call, "NORMAL_CLEARING", "script")
            return
        step = call.inputs.pop(0)
        await asyncio.sleep(step.get("after_ms", 3) / 1000.0)
        if step.get("hangup"):
            self.hangup(call, "NORMAL_CLEARING", "script")
            return
        if step.get("drop_connection"):
            # The application keeps running on the switch; only the sockets go.
            for conn in list(self.connections):
                await conn.close(notice=False)
            if step.get("then_hangup"):
                # The caller hangs up while nobody listens: the host only learns
                # it from uuid_exists once reconnected.
                await asyncio.sleep(0.02)
                self.hangup(call, "NORMAL_CLEARING", "script")
                return
            await asyncio.Event().wait()  # until uuid_break cancels it
        variables = {}
        response = "_none_"
        if app == "play_and_get_digits":
            if "digits" in step:
                variables = {"ivrsm_digits": step["digits"], "read_result": "success"}
            elif "invalid" in step:
                variables = {"ivrsm_digits_invalid": step["invalid"], "read_result": "success"}
            else:
                variables = {"read_result": "timeout"}
        else:
            response = step.get("response", "DONE")
            result = step.get("result")
            if result is None and "speech" in step:
                result = ('<?xml version="1.0"?><result><interpretation grammar="g" '
                          'confidence="%s"><input mode="speech">%s</input></interpretation>'
                          '</result>' % (step.get("confidence", 0.9),
                                         xml.sax.saxutils.escape(step["speech"])))
            if result is None:
                result = ""
            if result:
                self.emit(call, "DETECTED_SPEECH", {"Speech-Type": "detected-speech"}, result)
            variables = {"detect_speech_result": result}
        self.complete(call, event_uuid, app, arg, response, variables)
        call.running = None
        if step.get("hangup_after_ms") is not None:
            asyncio.get_running_loop().call_later(step["hangup_after_ms"] / 1000.0, self.hangup,
                                                  call, "NORMAL_CLEARING", "script")
        self.run_next(call)

    def uuid_break(self, call):
        """Stop the application running (its completion still fires) and flush the queue."""
        if call.running is None:
            return
        event_uuid, app, arg = call.running
        if call.running_task:
            call.running_task.cancel()
        call.queue.clear()
        call.running = None
        self.complete(call, event_uuid, app, arg, "_none_", {"read_result": "failure"})

    # -- commands ------------------------------------------------------------

    def record(self, conn, line, headers, body):
        if self.raw is not None:
            self.raw.flush()
        conn.commands.append({"line": line if not line.startswith("auth ") else "auth ***",
                              "headers": [h for h, _ in headers], "body_bytes": len(body)})

    async def command(self, conn, line, headers, body):
        self.record(conn, line, headers, body)
        verb, _, rest = line.partition(" ")
        if not conn.authed:
            if verb != "auth":
                conn.reply("-ERR command not found")
                return
            self.auth_attempts += 1
            if rest == self.password:
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
        elif verb == "filter":
            name, _, value = rest.partition(" ")
            conn.filters.append((name, value))
            conn.reply("+OK filter added. [%s]=[%s]" % (name, value))
            if conn.subscribed and not self.started:
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
        if words and words[0] == "uuid_exists":
            conn.api_response("true" if call and not call.ended else "false")
        elif words and words[0] == "uuid_break":
            if call and not call.ended:
                self.uuid_break(call)
                conn.api_response("+OK")
            else:
                conn.api_response("-ERR no such channel!")
        else:
            conn.api_response("-ERR %s Command not found!" % (words[0] if words else ""))

    def sendmsg(self, conn, uuid, headers, body):
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
        if arg is None and (header(headers, "content-type") or "").lower() == "text/plain":
            arg = body.decode("utf-8", "replace")
            via = "body"
        event_uuid = header(headers, "Event-UUID") or ""
        call.executes.append({"app": app, "arg": arg or "", "via": via, "event_uuid": event_uuid,
                              "event_lock": (header(headers, "event-lock") or "") == "true",
                              "connection": conn.number,
                              "t": round((time.monotonic() - self.t0) * 1000)})
        conn.reply("+OK")
        self.execute(call, app, arg or "", event_uuid)

    # -- connections ---------------------------------------------------------

    async def serve(self, reader, writer):
        # Every write its own segment: the host must not count on reads holding whole messages.
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn = Connection(self, reader, writer, len(self.connections) + 1)
        self.connections.append(conn)
        conn.writer_task = asyncio.ensure_future(conn.write_loop())
        conn.send(b"Content-Type: auth/request\n\n")
        buffer = bytearray()
        try:
            while not conn.closed:
                data = await reader.read(65536)
                if not data:
                    break
                if self.raw is not None:
                    self.raw.write(data)
                buffer += data
                for line, headers, body in parse_messages(buffer):
                    await self.command(conn, line, headers, body)
                    if conn.closed:
                        break
        except (ConnectionError, OSError):
            pass
        conn.closed = True
        conn.wake.set()
        try:
            writer.close()
        except OSError:
            pass

    def write_report(self):
        report = {
            "auth_attempts": self.auth_attempts,
            "auth_failures": self.auth_failures,
            "bytes_sent": self.bytes_sent,
            "connections": [{"number": c.number, "authed": c.authed, "events": sorted(c.events),
                             "filters": c.filters, "commands": c.commands}
                            for c in self.connections],
            "calls": {c.uuid: {"index": c.index, "executes": c.executes, "refused": c.refused,
                               "ended": c.ended,
                               "ended_by": c.ended_by, "inputs_left": len(c.inputs),
                               "vars": c.vars}
                      for c in self.calls},
        }
        with open(self.report_path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
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
    server = await asyncio.start_server(switch.serve, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    print("listening on 127.0.0.1:%d" % port, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    switch.write_report()
    if switch.raw is not None:
        switch.raw.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
