"""Real parts for the Redis tests and benchmark of the ESL host: a redis-server
started on 127.0.0.1 (a free port, no persistence), a small RESP client to
look at its keys, and a TCP proxy that can cut a host off from Redis while
keeping its connections open (a partition, not a refusal)."""

import os
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """redis-server on 127.0.0.1:PORT, restartable on the same port: without persistence
    (--save '' --appendonly no: a restart starts empty), or with persist=True an
    append-only file written on every command (--appendonly yes --appendfsync always), read
    again by the next start in the same directory."""

    def __init__(self, persist=False, extra_args=(), password=None):
        self.binary = shutil.which("redis-server")
        self.dir = tempfile.TemporaryDirectory(prefix="esl-redis-")
        self.persist = persist
        self.extra_args = list(extra_args)
        self.password = password  # requirepass: the tests' own client authenticates
        self.port = None
        self.process = None

    def start(self):
        for _ in range(5):
            port = self.port or free_port()
            self.process = subprocess.Popen(
                [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "yes" if self.persist else "no", "--appendfsync", "always",
                 "--dir", self.dir.name, "--daemonize", "no", "--loglevel", "warning",
                 *(["--requirepass", self.password] if self.password else []),
                 *self.extra_args],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    if RespClient(port, self.password).command("PING") == "PONG":
                        self.port = port
                        return self
                except (OSError, RuntimeError):  # not listening yet, or -LOADING its file
                    time.sleep(0.02)
            self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def crash(self):
        """kill -9: Redis keeps only what its append-only file holds (with persist)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self, down_s=0.0):
        """Stop, wait, start again on the same port, empty (no persistence)."""
        self.stop()
        time.sleep(down_s)
        return self.start()

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)

    def resume(self):
        self.process.send_signal(signal.SIGCONT)

    def client(self):
        return RespClient(self.port, self.password)

    def cleanup(self):
        self.stop()
        self.dir.cleanup()


class RespClient:
    """One command at a time over RESP (the Redis protocol), enough for tests."""

    def __init__(self, port, password=None):
        self.port = port
        self.password = password

    @staticmethod
    def _encode(args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        return out

    def command(self, *args):
        with socket.create_connection(("127.0.0.1", self.port), timeout=3) as s:
            reader = s.makefile("rb")
            if self.password:
                s.sendall(self._encode(("AUTH", self.password)))
                self._read(reader)
            s.sendall(self._encode(args))
            return self._read(reader)

    def _read(self, r):
        line = r.readline()
        if not line:
            raise OSError("Redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = r.read(n + 2)[:-2]
            return data.decode("utf-8", "replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read(r) for _ in range(n)]
        raise OSError("unexpected RESP reply %r" % line)


class Monitor:
    """Every command Redis runs, as MONITOR shows it (server.c replicationFeedMonitors:
    one line per command, its arguments quoted), read by a thread until close()."""

    def __init__(self, port, password=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=3)
        if password:
            self.sock.sendall(RespClient._encode(("AUTH", password)))
        self.sock.sendall(RespClient._encode(("MONITOR",)))
        self.lines = []
        self.lock = threading.Lock()
        self.reader = self.sock.makefile("rb")
        for _ in range(2 if password else 1):
            self.reader.readline()  # the +OK of AUTH, of MONITOR
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            for line in self.reader:
                with self.lock:
                    self.lines.append(line.decode("utf-8", "replace").rstrip("\r\n"))
        except (OSError, ValueError):
            pass

    def commands(self, *words):
        """The lines that hold each of `words` as a quoted argument."""
        with self.lock:
            return [x for x in self.lines if all('"%s"' % w in x for w in words)]

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Proxy:
    """127.0.0.1:PORT -> Redis. cut(): nothing passes any more, connections stay open (a
    partition: the host's requests go unanswered, as with a lost route, not refused);
    heal(): what waited passes again, in order. A connection opened while cut waits too.

    One thread and a selector; each direction keeps what it could not write yet (the
    sockets are non-blocking: a full socket buffer under load keeps bytes, never drops
    the connection)."""

    def __init__(self, target_port):
        self.target = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.cut_off = False
        self.stopped = False
        self.pairs = {}    # socket -> the other end
        self.pending = {}  # socket -> bytes read from it, not yet written to the other end
        self.lock = threading.Lock()
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.listener, selectors.EVENT_READ)
        self.wake_r, self.wake_w = os.pipe()
        self.sel.register(self.wake_r, selectors.EVENT_READ)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def cut(self):
        with self.lock:
            self.cut_off = True

    def heal(self):
        with self.lock:
            self.cut_off = False
        os.write(self.wake_w, b"x")

    def close(self):
        self.stopped = True
        os.write(self.wake_w, b"x")
        self.thread.join(timeout=5)
        for s in list(self.pairs):
            s.close()
        self.listener.close()
        os.close(self.wake_r)
        os.close(self.wake_w)

    def _drop(self, s):
        other = self.pairs.pop(s, None)
        for x in (s, other):
            if x is None:
                continue
            self.pairs.pop(x, None)
            self.pending.pop(x, None)
            try:
                self.sel.unregister(x)
            except (KeyError, ValueError):
                pass
            x.close()

    def _accept(self):
        client, _ = self.listener.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=2)
        except OSError:
            client.close()
            return
        for s in (client, upstream):
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ)
            self.pending[s] = b""
        self.pairs[client], self.pairs[upstream] = upstream, client

    def _read(self, s):
        try:
            data = s.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(s)
            return
        self.pending[s] += data

    def _flush(self, cut):
        """Write what waits to the other ends, as far as they take it (nothing while cut);
        an end that still has bytes waiting for it is watched for room."""
        for s, data in list(self.pending.items()):
            other = self.pairs.get(s)
            if other is None or cut or not data:
                continue
            try:
                n = other.send(data)
                self.pending[s] = data[n:]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._drop(s)
        for s in list(self.pairs):
            waiting = not cut and bool(self.pending.get(self.pairs[s]))
            try:
                self.sel.modify(s, selectors.EVENT_READ |
                                (selectors.EVENT_WRITE if waiting else 0))
            except (KeyError, ValueError):
                pass

    def _run(self):
        while not self.stopped:
            for key, _ in self.sel.select(0.5):
                if key.fileobj is self.listener:
                    self._accept()
                elif key.fileobj == self.wake_r:
                    os.read(self.wake_r, 64)
                elif key.fileobj in self.pairs:
                    self._read(key.fileobj)
            with self.lock:
                cut = self.cut_off
            self._flush(cut)
