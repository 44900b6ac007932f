"""Hostile input against twofa serve-callback: deep and wide bodies, slow clients, framing
tricks, path patterns, a second listener on the same port. Every answer must come fast, the
process must live, and its memory stay bounded."""
import os
import socket
import subprocess
import sys
import time

import authy_sign
import test_onetouch as ot
from harness import API_KEY, TIME_SCALE, TWOFA

STRESS = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "stress")


def raw(listener, data, read_timeout=5):
    """Sends bytes on a fresh connection; the status code of the first reply (0: none)."""
    host, port = listener.base.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=read_timeout) as s:
        s.sendall(data)
        try:
            reply = s.recv(4096)
        except socket.timeout:
            return 0
    return int(reply.split(b" ")[1]) if reply.startswith(b"HTTP/1.1 ") else 0


def signed_headers(listener, body_bytes, method="POST"):
    nonce = str(int(time.time()))
    # A signature over something else: the listener must refuse before it would matter.
    sig = authy_sign.sign(API_KEY, nonce, method, listener.url, {"x": "y"})
    return {"X-Authy-Signature": sig, "X-Authy-Signature-Nonce": nonce}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class HostileBodies(ot.OneTouchCase):
    approve_after = "3600"

    def timed(self, body):
        headers = signed_headers(self.listener, body)
        t = time.monotonic()
        status, _ = self.listener.request("POST", body=body, headers=headers)
        return status, time.monotonic() - t

    def test_deep_wide_and_explosive_bodies_are_refused_fast(self):
        pid = self.listener.proc.pid
        before = rss_kib(pid)
        cases = {
            "10,000 deep objects": (b'{"a":' * 10000 + b"1" + b"}" * 10000, 400),
            "10,000 deep arrays": (b'{"a":' + b"[" * 10000 + b"]" * 10000 + b"}", 400),
            "33 deep": (b'{"a":' * 33 + b"1" + b"}" * 33, 400),
            "1 MiB wide": (b'{"a":[' + b"1," * (512 * 1024) + b"1]}", 413),
            # a long key repeated in every leaf: quadratic if flattened naively
            "long key, many leaves": (b'{"' + b"k" * 30000 + b'":[' + b"1," * 15000 + b"1]}", 400),
        }
        for name, (body, want) in cases.items():
            times = []
            for _ in range(3):
                status, took = self.timed(body)
                self.assertEqual(status, want, name)
                times.append(took)
            # The median of three: a cost in the listener shows in every try, while one try
            # delayed by the machine's other work (the tests run two at a time) does not count.
            self.assertLess(sorted(times)[1], 0.05 * TIME_SCALE, f"{name}: {times}")
        self.assertIsNone(self.listener.proc.poll(), "the listener died")
        self.assertEqual(self.listener.request("GET", "/healthz")[0], 200)
        self.assertLess(rss_kib(pid) - before, 32 * 1024, "memory grew by more than 32 MiB")
        # A real callback 3 levels deep still passes the depth check (and then the signature).
        aid, sid, uuid = self.pending()
        self.assertEqual(self.listener.signed(authy_sign.callback_body(aid, uuid))[0], 200)

    def test_framing_content_type_and_methods(self):
        body = b'{"a":"b"}'
        good = f"POST /authy/callback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        cases = {
            "two Content-Length": (good + "Content-Length: 9\r\nContent-Length: 9\r\n\r\n", body, 400),
            "chunked": (good + "Transfer-Encoding: chunked\r\n\r\n", b"9\r\n" + body + b"\r\n0\r\n\r\n", 411),
            "no length": (good + "\r\n", b"", 411),
            "bad length": (good + "Content-Length: 9x\r\n\r\n", body, 400),
            "text/plain": ("POST /authy/callback HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                           "X-Authy-Signature: a\r\nX-Authy-Signature-Nonce: " + str(int(time.time())) +
                           "\r\nContent-Length: 9\r\n\r\n", body, 415),
            "obs-fold": (good + "Content-Length: 9\r\n folded\r\n\r\n", body, 400),
            "bare LF in a header": (good + "X-A: 1\nX-B: 2\r\nContent-Length: 9\r\n\r\n", body, 400),
            "HTTP/2.0": ("GET /healthz HTTP/2.0\r\n\r\n", b"", 505),
            "headers too large": ("GET /healthz HTTP/1.1\r\n" + "X-Pad: " + "a" * 20000 + "\r\n\r\n", b"", 431),
            "PUT": ("PUT /authy/callback HTTP/1.1\r\nContent-Length: 0\r\n\r\n", b"", 405),
        }
        for name, (head, payload, want) in cases.items():
            self.assertEqual(raw(self.listener, head.encode() + payload), want, name)
        self.assertIsNone(self.listener.proc.poll())

    def test_second_listener_on_the_same_port_exits_8(self):
        r = subprocess.run([TWOFA, "serve-callback", "--listen", self.listener.base.split("//")[1]],
                           env=self.env, capture_output=True, text=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 8, r.stderr)
        self.assertIn("cannot listen", r.stderr)

    def test_slow_request_is_cut_off_at_the_whole_request_deadline(self):
        host, port = self.listener.base.split("//")[1].split(":")
        s = socket.create_connection((host, int(port)))
        s.sendall(b"POST /authy/callback HTTP/1.1\r\n")
        t = time.monotonic()
        s.settimeout(1)
        reply = b""
        while time.monotonic() - t < 20:
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                s.sendall(b"X-Drip: 1\r\n")  # one line a second: each read is timely
                continue
            if not chunk:
                break
            reply += chunk
        s.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 408"), reply)
        self.assertLess(time.monotonic() - t, 12)

    def test_200_slow_clients_leave_valid_callbacks_answered(self):
        r = subprocess.run([sys.executable, os.path.join(STRESS, "slow_clients"), "200", "100"],
                           capture_output=True, text=True, timeout=120,
                           env={**os.environ, "TWOFA_BIN": TWOFA})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("100/100", r.stdout)


class LiteralPath(ot.OneTouchCase):
    def public_url_listener(self, path):
        listener = ot.Listener(self.env, self.home, extra=("--public-url", "https://login.example.com" + path))
        listener.base = "/".join(listener.base.split("/")[:3])  # scheme://host:port
        return listener

    def test_the_public_url_path_is_matched_literally(self):
        for path in ("/.*", "/cb(", "/a+b"):
            listener = self.public_url_listener(path)
            try:
                self.assertEqual(listener.request("GET", "/anything")[0], 404, path)
                self.assertEqual(listener.request("GET", "/cbb")[0], 404, path)
                # the literal path is served: unsigned, so 401 (not 404)
                self.assertEqual(raw(listener, f"GET {path} HTTP/1.1\r\n\r\n".encode()), 401, path)
            finally:
                self.assertEqual(listener.stop(), 0)


if __name__ == "__main__":
    import unittest
    unittest.main()
