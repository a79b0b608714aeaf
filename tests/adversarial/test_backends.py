"""The libcurl adapter against backends that misbehave the way real ones do.

    test_backends.py DRIVE_BACKEND

A raw HTTP/1.1 server on 127.0.0.1 (the standard library's socketserver, each
answer written byte by byte as the case needs) plays each behaviour; the
adapter (tests/adversarial/drive_backend.c) sends one GET per case, and each
result must be the one the header (include/ivrsm/http_curl.h) promises: a
clear outcome the machine's error path takes, within the timeout, without a
crash or a leak (the suite runs it under ASan too).
"""

import gzip
import json
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import zlib

JSON = b'{"a":1,"items":[1,2,3]}'


def response(status, body=b"", headers=(), reason=b"OK", version=b"HTTP/1.1"):
    head = [version + b" " + str(status).encode() + b" " + reason]
    head += list(headers)
    if not any(h.lower().startswith(b"content-length") or h.lower().startswith(b"transfer-encoding")
               for h in headers):
        head.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def chunked(body, size=7):
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


# Each case: what the server does, and what the result must be
# (status, error; None = any), with the real server behaviour it follows.
CASES = {}


def case(path, status, error, timeout_ms=3000, max_bytes=0, why="", said=None, scheme="http"):
    """said: what the session says of the answer (its on_success says 'ok {{resp.a}}', its
    on_fail 'failed {{resp.error}}', then 'Bye.'), when the case says how a value is spoken.
    scheme: the base URL's, "https" for a host configured for TLS that reaches this server."""
    def deco(fn):
        CASES[path] = (fn, status, error, timeout_ms, max_bytes, why, said, scheme)
        return fn
    return deco


# The most the driver may grow while one case runs, in KiB of peak memory (ASan's shadow
# included): a body is kept up to its bound (IVRSM_MAX_RESULT_BODY_BYTES, 1 MiB by default),
# never as much as a backend sends.
GROWTH_KB = 48 * 1024


@case("/chunked", 200, "", why="RFC 9112 7.1: nginx streams a proxied body chunked")
def _chunked(sock):
    sock.sendall(response(200, chunked(JSON), [b"Transfer-Encoding: chunked", b"Content-Type: application/json"]))


@case("/gzip", 200, "invalid JSON",
      why="a server compressing although no Accept-Encoding was sent (nginx gzip_static always): "
          "the adapter asks for none, so the body is not JSON")
def _gzip(sock):
    sock.sendall(response(200, gzip.compress(JSON), [b"Content-Encoding: gzip"]))


@case("/deflate", 200, "invalid JSON", why="the same with deflate")
def _deflate(sock):
    sock.sendall(response(200, zlib.compress(JSON), [b"Content-Encoding: deflate"]))


@case("/br", 200, "invalid JSON", why="the same with br (bytes that are not JSON)")
def _br(sock):
    sock.sendall(response(200, b"\x8b\x02\x80" + JSON + b"\x03", [b"Content-Encoding: br"]))


@case("/204", 204, "", why="RFC 9110 15.3.5: 204 has no body (a DELETE done)")
def _204(sock):
    sock.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")


@case("/304", 304, "", why="RFC 9110 15.4.5: 304 has no body")
def _304(sock):
    sock.sendall(b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n")


@case("/100", 200, "", why="RFC 9110 15.2: interim 100 then the final answer")
def _100(sock):
    sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" + response(200, JSON))


@case("/103", 200, "", why="RFC 8297: 103 Early Hints (nginx, h2o) before the answer")
def _103(sock):
    sock.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + response(200, JSON))


@case("/redirect", 302, "", why="RFC 9110 15.4.3: not followed, the machine sees the 302")
def _redirect(sock):
    sock.sendall(response(302, b"", [b"Location: /json"], b"Found"))


@case("/redirect-loop", 301, "", why="a redirect to itself: not followed, no loop")
def _loop(sock):
    sock.sendall(response(301, b"", [b"Location: /redirect-loop"], b"Moved"))


@case("/redirect-file", 307, "", why="a redirect to file:// or gopher://: never followed")
def _redir_scheme(sock):
    sock.sendall(response(307, b"", [b"Location: file:///etc/passwd"], b"Temporary"))


@case("/huge-header", 0, "invalid response",
      why="a header line past libcurl's 100 KiB (CURL_MAX_HTTP_HEADER): libcurl 7.x refuses it "
          "with CURLE_OUT_OF_MEMORY (lib/dynbuf.c dyn_nappend(), no message), "
          "which the adapter once reported as the host's 'out of memory'")
def _huge_header(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 300000 + b"\r\nContent-Length: 2\r\n\r\n{}")


@case("/big", 0, "response too large", max_bytes=1000, why="Content-Length past the bound")
def _big(sock):
    sock.sendall(response(200, b'"' + b"x" * 5000 + b'"'))


@case("/big-chunked", 0, "response too large", max_bytes=1000,
      why="a chunked body past the bound (no length to refuse it by)")
def _big_chunked(sock):
    sock.sendall(response(200, chunked(b'"' + b"x" * 5000 + b'"', 500), [b"Transfer-Encoding: chunked"]))


@case("/drip", 0, "timeout", timeout_ms=600, why="a body dripped a byte at a time, past the timeout")
def _drip(sock):
    body = b'"' + b"x" * 100 + b'"'
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
    for b in body:
        sock.sendall(bytes([b]))
        time.sleep(0.05)


@case("/silent", 0, "timeout", timeout_ms=500, why="a backend that accepts and never answers")
def _silent(sock):
    time.sleep(2)


@case("/reset", 0, None, why="a connection reset (SO_LINGER 0) in the middle of the body")
def _reset(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b'{"a":"' + b"x" * 100)
    time.sleep(0.05)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


@case("/truncated", 0, "truncated response", why="closed before Content-Length was sent")
def _truncated(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b'{"a":"' + b"x" * 100)


@case("/empty", 0, "empty reply", why="closed without a byte (a crashed worker)")
def _empty(sock):
    pass


@case("/http10", 200, "", why="HTTP/1.0 without Content-Length: the body ends at the close")
def _http10(sock):
    sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + JSON)


@case("/html", 200, "", why="JSON labelled text/html (a framework's default): the body decides")
def _html(sock):
    sock.sendall(response(200, JSON, [b"Content-Type: text/html; charset=iso-8859-1"]))


@case("/latin1", 200, "invalid JSON", why="a body in ISO-8859-1 as its charset says: not UTF-8")
def _latin1(sock):
    sock.sendall(response(200, '{"a":"café"}'.encode("latin-1"),
                          [b"Content-Type: application/json; charset=iso-8859-1"]))


@case("/deep", 200, "invalid JSON", why="nesting past IVRSM_MAX_DEPTH")
def _deep(sock):
    sock.sendall(response(200, b"[" * 10000 + b"]" * 10000))


@case("/nul", 200, "invalid JSON", why="\\u0000 in a string, which no session takes")
def _nul(sock):
    sock.sendall(response(200, b'{"a":"x\\u0000y"}'))


@case("/surrogate", 200, "invalid JSON", why="a lone surrogate \\ud800")
def _surrogate(sock):
    sock.sendall(response(200, b'{"a":"\\ud800"}'))


@case("/huge-number", 200, None, why="1e400 (jansson: a real overflow) and 30-digit integers")
def _huge_number(sock):
    sock.sendall(response(200, b'{"a":1e400,"b":123456789012345678901234567890}'))


@case("/dup", 200, "", why="duplicate keys (RFC 8259 4: SHOULD be unique; the last one wins)")
def _dup(sock):
    sock.sendall(response(200, b'{"a":1,"a":2}'))


@case("/status-999", 0, "invalid response", why="a status outside 100 to 599")
def _999(sock):
    sock.sendall(response(999, JSON, reason=b"Weird"))


@case("/not-http", 0, None, why="a server that is not HTTP (an SMTP banner on the port)")
def _not_http(sock):
    sock.sendall(b"220 mail.example ESMTP ready\r\n")
    time.sleep(0.2)


@case("/switching", 101, "", why="101 Switching Protocols that no request asked for (a WebSocket "
      "gateway answering anything): an answer, not a 2xx")
def _switching(sock):
    sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                 + JSON)
    time.sleep(0.3)


@case("/interim-flood", 0, "invalid response", why="100 Continue without end (a proxy looping): "
      "libcurl counts interim answers into its 300 KiB of headers (lib/http.c, MAX_HTTP_RESP_HEADER_SIZE)")
def _interim_flood(sock):
    end = time.time() + 5
    while time.time() < end:
        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n" * 1000)


@case("/many-headers", 0, "invalid response", why="20,000 header lines, 1 MiB in all (Set-Cookie gone "
      "wild): past libcurl's 300 KiB of headers")
def _many_headers(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 40) for i in range(20000))
                 + b"Content-Length: 23\r\n\r\n" + JSON)


@case("/two-lengths", None, None, why="two different Content-Length (RFC 9112 6.3 says refuse; "
      "libcurl 7.88 takes the last): whatever it decides, an outcome in time")
def _two_lengths(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 23\r\n\r\n" + JSON)


@case("/negative-length", 0, "invalid response", why="Content-Length: -1")
def _negative_length(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n" + JSON)


@case("/chunk-overflow", 0, "network error", why="a chunk size past 64 bits (libcurl's "
      "lib/http_chunks.c: 'Too long hexadecimal number', CURLE_RECV_ERROR)")
def _chunk_overflow(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n" + JSON)
    time.sleep(0.3)


@case("/nul-in-header", 0, "invalid response", why="a NUL byte in a header value (RFC 9110 5.5 forbids it)")
def _nul_in_header(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 23\r\n\r\n" + JSON)


@case("/http09", 0, "invalid response", why="a body without a status line (HTTP/0.9, which libcurl "
      "refuses unless asked)")
def _http09(sock):
    sock.sendall(JSON)


@case("/bom", 200, "invalid JSON", why="a byte order mark before the JSON (some .NET backends): "
      "RFC 8259 8.1 says JSON texts carry none")
def _bom(sock):
    sock.sendall(response(200, b"\xef\xbb\xbf" + JSON))


@case("/unknown-coding", 0, "invalid response", why="Transfer-Encoding: bogus")
def _unknown_coding(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: bogus\r\n\r\n" + JSON)
    time.sleep(0.2)


@case("/status-overflow", 0, "invalid response", why="a status of 20 digits")
def _status_overflow(sock):
    sock.sendall(b"HTTP/1.1 20000000000000000000 OK\r\nContent-Length: 23\r\n\r\n" + JSON)


@case("/endless", 0, "response too large",
      why="a body that never ends (HTTP/1.1 200 without a length, until the close): refused at "
          "the default bound by libcurl's write callback (CURLE_WRITE_ERROR), not kept")
def _endless(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[")
    block = b'"' + b"x" * 65530 + b'",'
    end = time.time() + 20
    while time.time() < end:
        sock.sendall(block)


@case("/100mb", 0, "response too large",
      why="a 100 MB JSON body with its length: refused by the length (CURLOPT_MAXFILESIZE_LARGE, "
          "lib/transfer.c), before a byte of it is read")
def _100mb(sock):
    size = 100 * 1000 * 1000
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n[" % size)
    sent, block = 1, b"1," * 32768
    while sent < size - 1:
        sock.sendall(block)
        sent += len(block)


@case("/100mb-chunked", 0, "response too large",
      why="the same body chunked: no length to refuse it by, stopped at the bound as it comes")
def _100mb_chunked(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n[\r\n")
    block = b"1," * 32768
    for _ in range(100 * 1000 * 1000 // len(block)):
        sock.sendall(b"%x\r\n" % len(block) + block + b"\r\n")


@case("/trickle", 200, "", said="ok 1 Bye.",
      why="a body dripped a byte every 20 ms, whole within the timeout: taken")
def _trickle(sock):
    body = b'{"a":1,"pad":"' + b"." * 30 + b'"}'
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body))
    for b in body:
        sock.sendall(bytes([b]))
        time.sleep(0.02)


@case("/length-short", 200, "invalid JSON", said="failed invalid_json Bye.",
      why="a Content-Length shorter than the body: the body is what the length says ('{\"a\":'), "
          "the rest is not read (RFC 9112 6.3), and it is not JSON")
def _length_short(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + b'{"a":1}')
    time.sleep(0.2)


@case("/chunk-bad-size", 0, None,
      why="a chunk size that is not hexadecimal (libcurl's lib/http_chunks.c: CHUNKE_ILLEGAL_HEX)")
def _chunk_bad_size(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + JSON + b"\r\n0\r\n\r\n")
    time.sleep(0.3)


@case("/chunk-no-end", 0, None,
      why="a chunked body closed without its last chunk: a truncated answer, not a short one")
def _chunk_no_end(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(JSON) + JSON + b"\r\n")


@case("/chunk-short", 0, None,
      why="a chunk shorter than its size, then the close")
def _chunk_short(sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n" + JSON)


@case("/redirect-host", 302, "", said="failed status Bye.",
      why="a redirect to another host: not followed (no CURLOPT_FOLLOWLOCATION), the machine sees the 302")
def _redirect_host(sock):
    sock.sendall(response(302, b"", [b"Location: http://backend.invalid:8080/x"], b"Found"))


@case("/gzip-bomb", 200, "invalid JSON",
      why="10 MB of zeros gzipped to 10 KB: no Accept-Encoding is sent and libcurl decodes nothing "
          "without CURLOPT_ACCEPT_ENCODING, so the 10 KB are the body, and not JSON")
def _gzip_bomb(sock):
    sock.sendall(response(200, gzip.compress(b"0" * 10 * 1000 * 1000),
                          [b"Content-Encoding: gzip", b"Content-Type: application/json"]))


@case("/negative-zero", 200, "", said="ok 0 Bye.", why="-0: a number, said as zero ('minus zero' is no amount)")
def _negative_zero(sock):
    sock.sendall(response(200, b'{"a":-0}'))


@case("/two-to-64", 200, "invalid JSON", said="failed invalid_json Bye.",
      why="2^64, past a 64-bit integer (jansson: 'too big integer'): never wrapped or rounded, the "
          "action fails (docs/adversarial.md: a backend with 64-bit unsigned ids sends them as strings)")
def _two_to_64(sock):
    sock.sendall(response(200, b'{"a":18446744073709551616}'))


@case("/e999", 200, "invalid JSON", said="failed invalid_json Bye.",
      why="1e999, past a double (jansson: 'real number overflow'): never infinity, the action fails")
def _e999(sock):
    sock.sendall(response(200, b'{"a":1e999}'))


@case("/dup-last", 200, "", said="ok 2 Bye.",
      why="duplicate keys: the last one is the value (jansson's json_object_set, as most readers)")
def _dup_last(sock):
    sock.sendall(response(200, b'{"a":1,"a":2}'))


@case("/nul-raw", 200, "invalid JSON", said="failed invalid_json Bye.",
      why="a raw NUL byte inside a string (not \\u0000): not JSON (RFC 8259 7: controls escaped)")
def _nul_raw(sock):
    sock.sendall(response(200, b'{"a":"x\x00y"}'))


@case("/overlong-utf8", 200, "invalid JSON", said="failed invalid_json Bye.",
      why="an overlong UTF-8 form of '/' (C0 AF), which a lax decoder reads as a slash")
def _overlong(sock):
    sock.sendall(response(200, b'{"a":"\xc0\xaf"}'))


@case("/tls-to-plain", 0, "TLS error", scheme="https",
      why="an https base URL whose server speaks plain HTTP: libcurl's TLS handshake gets an "
          "HTTP answer for a ClientHello (lib/vtls/openssl.c, ossl_connect_step2(): "
          "'wrong version number'), CURLE_SSL_CONNECT_ERROR")
def _tls_to_plain(sock):
    sock.sendall(response(400, b"<html>plain HTTP to an HTTPS port</html>",
                          [b"Content-Type: text/html", b"Connection: close"], reason=b"Bad Request"))


@case("/plain-to-tls", 0, "invalid response",
      why="a plain http base URL whose server speaks TLS: a TLS alert record (15 03 01 00 02 02 "
          "28, handshake failure) where a status line belongs, which libcurl takes for HTTP/0.9 "
          "and refuses (lib/http.c, CURLE_UNSUPPORTED_PROTOCOL, or CURLE_WEIRD_SERVER_REPLY)")
def _plain_to_tls(sock):
    sock.sendall(b"\x15\x03\x01\x00\x02\x02\x28")


REQUESTS = {}


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        while b"\r\n\r\n" not in data and data[:1] != b"\x16":
            chunk = self.request.recv(65536)
            if not chunk:
                return
            data += chunk
        if data[:1] == b"\x16":
            # A TLS ClientHello (a handshake record), not HTTP: the case asked for an https URL
            # and the server answers as a plain one would.
            CASES["/tls-to-plain"][0](self.request)
            return
        target = data.split(b" ", 2)[1].decode()
        path = target.split("?", 1)[0]
        # What each case was sent: the call's secrets travel with it (drive_backend.c), and
        # no error nor trace record may show them.
        REQUESTS[path] = data
        try:
            CASES[path][0](self.request)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    drive = sys.argv[1]
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    lines = "".join("%s %d %d %s\n" % (p, c[3], c[4], c[7]) for p, c in CASES.items())
    try:
        run = subprocess.run([drive, base], input=lines, capture_output=True, text=True, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    failed = 0
    got = {}
    for line in run.stdout.splitlines():
        r = json.loads(line)
        got[r["path"]] = r
    peak_before = None
    for path, (_, status, error, timeout_ms, _, why, said, scheme) in CASES.items():
        r = got.get(path)
        problems = []
        if r is None:
            problems.append("no result")
        else:
            if r.get("bad"):
                problems.append(r["why"])
            if status is not None and r["status"] != status:
                problems.append("status %d, expected %d" % (r["status"], status))
            if error is not None and r["error"] != error:
                problems.append("error %r, expected %r" % (r["error"], error))
            if status == 0 and error is None and not r["error"]:
                problems.append("a failed transfer without an error")
            if r["wall_ms"] > timeout_ms + 1500:
                problems.append("took %.0f ms with a timeout of %d ms" % (r["wall_ms"], timeout_ms))
            sent = REQUESTS.get(path, b"")
            if scheme == "http" and not sent:
                problems.append("the server got no request")
            if sent and not (b"otp=987654" in sent and b"Authorization: Bearer Zq7vKx9Wp3" in sent):
                problems.append("the request did not carry the call's secrets: %r" % sent[:300])
            if said is not None and r["said"] != said:
                problems.append("said %r, expected %r" % (r["said"], said))
            if peak_before is not None and r["peak_kb"] - peak_before > GROWTH_KB:
                problems.append("memory grew by %d KiB" % (r["peak_kb"] - peak_before))
            peak_before = r["peak_kb"]
        print("%-16s %s  (%s)" % (path, "ok" if not problems else "FAIL: " + "; ".join(problems),
                                  json.dumps(r, ensure_ascii=False) if r else why))
        failed += bool(problems)
    if run.returncode not in (0, 1) or run.stderr:
        print("drive_backend: exit %d\n%s" % (run.returncode, run.stderr[-3000:]))
        failed += 1
    print("%d cases, %d failed" % (len(CASES), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
