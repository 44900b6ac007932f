"""OneTouch end to end: twofa login waiting, twofa-sandbox answering and calling back, and
twofa serve-callback checking and applying the callbacks."""
import hashlib
import http.server
import json
import threading
import os
import signal
import socket
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import authy_sign
from harness import API_KEY, PASSWORD, TWOFA, Sandbox, TwofaCase


class Listener:
    """twofa serve-callback on 127.0.0.1 and an ephemeral port; url is the callback URL it
    serves (its path the provider's default, or the public URL's)."""

    def __init__(self, env, home, extra=()):
        self.log_path = os.path.join(home, "listener.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([TWOFA, "serve-callback", "--listen", "127.0.0.1:0", *extra], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError("listener did not start: " + line + open(self.log_path).read())
        self.url = line.split()[4]
        path_start = self.url.index("/", self.url.index("//") + 2)
        self.base, self.path = self.url[:path_start], self.url[path_start:]

    def request(self, method, path=None, body=None, headers=None):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        req = urllib.request.Request(self.base + (path or self.path), data=data, method=method,
                                     headers=headers or {})
        if data is not None and "Content-Type" not in (headers or {}):
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def signed(self, body, nonce=None, method="POST", url=None, key=API_KEY):
        nonce = str(int(time.time())) if nonce is None else nonce
        sig = authy_sign.sign(key, nonce, method, url or self.url, body)
        headers = {"X-Authy-Signature": sig, "X-Authy-Signature-Nonce": nonce}
        if method == "GET":
            query = authy_sign.canonical(body)
            return self.request("GET", self.path + "?" + query, None, headers)
        return self.request(method, body=body, headers=headers)

    def lines(self, at_least=0, timeout=6.0):
        """The log's lines, once there are at_least of them (or at the timeout). A login wakes on
        the listener's commit, which comes before the reply and its log line: after a login,
        wait for the line rather than for luck."""
        deadline = time.monotonic() + timeout
        while True:
            self.log.flush()
            with open(self.log_path) as f:
                lines = [json.loads(l) for l in f if l.strip()]
            if len(lines) >= at_least or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=15)
        self.proc.stdout.close()
        self.log.close()
        return code


class OneTouchCase(TwofaCase):
    approve_after = "0.3"

    def setUp(self):
        super().setUp()
        self.sandbox.stop()  # replaced by one that calls the listener back
        self.listener = Listener(self.env, self.home)
        self.addCleanup(self.listener.stop)
        self.sandbox = Sandbox(self.home, extra=("--callback-url", self.listener.url,
                                                 "--approve-after", self.approve_after))
        self.env["TWOFA_AUTHY_URL"] = self.sandbox.url

    def enroll(self, email, phone):
        self.assertExit(self.add_user(email=email, phone=phone), 0)
        return self.authy_id(email)

    def push_login(self, email, *extra):
        return self.twofa_json("login", email, "--password-stdin", "--via", "onetouch", *extra,
                               input=PASSWORD + "\n", timeout=60)

    def pending(self, email="nora@example.com", phone="555-123-3333"):
        aid = self.enroll(email, phone)
        r, doc = self.push_login(email, "--no-wait")
        self.assertExit(r, 3)
        return aid, doc["session"], self.session_row(doc["session"])[1]

    def sessions(self):
        return self.query("SELECT id, status FROM login_sessions ORDER BY id")

    def session_row(self, session_id):
        h = hashlib.sha256(session_id.encode()).hexdigest()
        return self.query("SELECT status, challenge FROM login_sessions WHERE id_hash = ?", h)[0]


class PushFlow(OneTouchCase):
    def test_approved_on_the_phone_logs_in(self):
        self.enroll("alice@example.com", "555-123-0000")
        t = time.monotonic()
        r, doc = self.push_login("alice@example.com")
        self.assertExit(r, 0)
        self.assertLess(time.monotonic() - t, 5)
        self.assertEqual((doc["status"], doc["method"]), ("approved", "onetouch"))
        self.assertExit(self.twofa("status"), 0)
        applied = [l for l in self.listener.lines(at_least=1) if l["outcome"] == "applied"]
        self.assertEqual(len(applied), 1)
        # The request carried the details that help the user decide, and an explicit expiry.
        create = [q for q in self.api_requests() if q["path"].endswith("/approval_requests")]
        self.assertEqual(len(create), 1)
        status, body = self.sandbox.call("GET", f"/onetouch/json/approval_requests/{self.session_row(doc['session'])[1]}",
                                         headers={"X-Authy-API-Key": API_KEY})
        self.assertEqual((status, body["approval_request"]["status"]), (200, "approved"))
        self.assertEqual(body["approval_request"]["_user_email"], "alice@example.com")

    def test_denied_with_via_onetouch_is_exit_1(self):
        self.enroll("dan@example.com", "555-123-1111")
        r, _ = self.push_login("dan@example.com")
        self.assertExit(r, 1)
        self.assertIn("denied", r.stderr)
        r, doc = self.twofa_json("status")
        self.assertExit(r, 1)
        self.assertEqual(doc["status"], "denied")

    def test_never_answered_expires(self):
        self.write_config("[onetouch]\nseconds_to_expire = 2\n")
        self.enroll("nora@example.com", "555-123-3333")
        t = time.monotonic()
        r, _ = self.push_login("nora@example.com")
        self.assertExit(r, 4)
        # Expiry is kept in whole seconds: a push started at second S + f expires at S + 2, so
        # the wait is over 1 s, not over 1.5 (a start late in its second made that fail).
        self.assertGreater(time.monotonic() - t, 1.0)
        self.assertExit(self.twofa("status"), 4)
        self.assertEqual(self.query("SELECT status FROM users"), [("expired",)])

    def test_without_a_listener_authy_is_polled(self):
        self.listener.stop()
        self.sandbox.stop()
        self.sandbox = Sandbox(self.home, extra=("--approve-after", "0.3"))  # no callbacks at all
        self.env["TWOFA_AUTHY_URL"] = self.sandbox.url
        self.enroll("alice@example.com", "555-123-0000")
        t = time.monotonic()
        r, doc = self.push_login("alice@example.com")
        self.assertExit(r, 0)
        self.assertTrue(2.5 < time.monotonic() - t < 10, time.monotonic() - t)  # the 3 s poll
        self.assertEqual(self.query("SELECT outcome FROM audit_events WHERE event = 'onetouch.poll'"),
                         [("approved",)])

    def test_sandbox_callbacks_verify_with_an_independent_signer(self):
        seen = []

        class Catcher(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                seen.append((dict(self.headers), json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Catcher)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.shutdown)
        url = f"http://127.0.0.1:{server.server_port}/hook"
        self.sandbox.stop()
        self.sandbox = Sandbox(self.home, extra=("--callback-url", url, "--approve-after", "0.1"))
        self.env["TWOFA_AUTHY_URL"] = self.sandbox.url
        aid = self.enroll("alice@example.com", "555-123-0000")
        self.assertExit(self.push_login("alice@example.com", "--no-wait")[0], 3)
        for _ in range(100):
            if seen:
                break
            time.sleep(0.05)
        headers, body = seen[0]
        self.assertEqual(headers["X-Authy-Signature"],
                         authy_sign.sign(API_KEY, headers["X-Authy-Signature-Nonce"], "POST", url, body))
        self.assertLess(abs(int(headers["X-Authy-Signature-Nonce"]) - time.time()), 60)
        self.assertEqual((body["authy_id"], body["status"], body["callback_action"]),
                         (aid, "approved", "approval_request_status"))
        for key in ("device_uuid", "uuid", "signature", "approval_request", "device"):
            self.assertIn(key, body)
        tx = body["approval_request"]["transaction"]
        for key in ("details", "device_details", "device_geolocation", "device_signing_time", "encrypted",
                    "flagged", "hidden_details", "message", "reason", "requester_details", "status", "uuid",
                    "created_at_time", "customer_uuid"):
            self.assertIn(key, tx)
        self.assertEqual(tx["details"]["Email"], "alice@example.com")
        for key in ("expiration_timestamp", "logos", "app_id"):
            self.assertIn(key, body["approval_request"])

    def test_wait_limit(self):
        self.enroll("nora@example.com", "555-123-3333")
        r, _ = self.push_login("nora@example.com", "--timeout", "1")
        self.assertExit(r, 4)
        self.assertIn("wait limit", r.stderr)
        r, doc = self.twofa_json("status")
        self.assertExit(r, 3)
        self.assertEqual(doc["status"], "onetouch")

    def test_no_wait_reports_onetouch_until_the_callback(self):
        self.enroll("nora@example.com", "555-123-3333")
        r, doc = self.push_login("nora@example.com", "--no-wait")
        self.assertExit(r, 3)
        self.assertEqual(doc["status"], "onetouch")
        self.assertExit(self.twofa("status"), 3)
        uuid = self.session_row(doc["session"])[1]
        status, _ = self.sandbox.call("POST", f"/sandbox/approval_requests/{uuid}/approve")
        self.assertEqual(status, 200)
        for _ in range(50):
            if self.twofa("status").returncode == 0:
                break
            time.sleep(0.1)
        self.assertExit(self.twofa("status"), 0)
        # A second answer is refused by the phone.
        self.assertEqual(self.sandbox.call("POST", f"/sandbox/approval_requests/{uuid}/deny")[0], 409)

    def test_auto_picks_onetouch_when_the_user_has_the_app(self):
        self.enroll("alice@example.com", "555-123-0000")
        self.enroll("bob@example.com", "555-123-2222")
        r, doc = self.login("alice@example.com", via="auto")
        self.assertExit(r, 3)
        self.assertEqual(doc["status"], "onetouch")
        r, doc = self.login("bob@example.com", via="auto")
        self.assertExit(r, 3)
        self.assertEqual(doc["status"], "sms")

    def test_one_session_approved_never_approves_another(self):
        self.enroll("nora@example.com", "555-123-3333")
        _, a = self.push_login("nora@example.com", "--no-wait")
        _, b = self.push_login("nora@example.com", "--no-wait")
        uuid_a = self.session_row(a["session"])[1]
        self.assertEqual(self.sandbox.call("POST", f"/sandbox/approval_requests/{uuid_a}/approve")[0], 200)
        for _ in range(50):
            if self.session_row(a["session"])[0] == "approved":
                break
            time.sleep(0.1)
        self.assertEqual(self.session_row(a["session"])[0], "approved")
        self.assertEqual(self.session_row(b["session"])[0], "onetouch")
        self.assertExit(self.twofa("status", "--session", b["session"]), 3)


class TlsListener(OneTouchCase):
    """serve-callback over HTTPS with a self-signed certificate; the sandbox calls it back."""

    def setUp(self):
        TwofaCase.setUp(self)
        self.sandbox.stop()
        cert, key = os.path.join(self.home, "cert.pem"), os.path.join(self.home, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        os.chmod(key, 0o600)
        self.cert, self.key = cert, key
        self.listener = Listener(self.env, self.home, ("--tls-cert", cert, "--tls-key", key))
        self.addCleanup(self.listener.stop)
        self.sandbox = Sandbox(self.home, extra=("--callback-url", self.listener.url, "--approve-after", "0.3"))
        self.env["TWOFA_AUTHY_URL"] = self.sandbox.url

    def test_push_login_over_https(self):
        self.assertTrue(self.listener.url.startswith("https://127.0.0.1:"), self.listener.url)
        self.enroll("alice@example.com", "555-123-0000")
        r, doc = self.push_login("alice@example.com")
        self.assertExit(r, 0)
        self.assertEqual([l["outcome"] for l in self.listener.lines(at_least=1)], ["applied"])
        # The login wakes on the listener's commit, which can come before the sandbox's delivery
        # thread has read the 200 and recorded it: wait for the record, not for luck.
        calls = self.sandbox.callbacks(lambda calls: calls and calls[0]["attempts"] > 0)
        self.assertEqual([(c["attempts"], c["http_status"]) for c in calls], [(1, 200)])

    def test_missing_key_or_bad_files_are_config_errors(self):
        r = self.twofa("serve-callback", "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem",
                       "--tls-key", "/nonexistent.key")
        self.assertExit(r, 10)
        r = self.twofa("serve-callback", "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent.pem")
        self.assertExit(r, 2)
        r = self.twofa("serve-callback", "--listen", "127.0.0.1:0", env={"AUTHY_API_KEY": None})
        self.assertExit(r, 10)
        r = self.twofa("serve-callback", "--listen", "127.0.0.1:0", "--public-url", "ftp://x/cb")
        self.assertExit(r, 2)
        # A private key others can read (or its group can write) is refused before listening.
        for mode in (0o644, 0o604, 0o620):
            os.chmod(self.key, mode)
            r = self.twofa("serve-callback", "--listen", "127.0.0.1:0", "--tls-cert", self.cert,
                           "--tls-key", self.key)
            self.assertExit(r, 10)
            self.assertIn("is accessible by others or writable by its group (run: chmod 600", r.stderr)
        os.chmod(self.key, 0o600)


class CallbackSecurity(OneTouchCase):
    approve_after = "3600"  # the phones wait; the tests answer

    def test_valid_callback_applies_once_and_repeats_change_nothing(self):
        aid, sid, uuid = self.pending()
        body = authy_sign.callback_body(aid, uuid, "approved")
        status, _ = self.listener.signed(body)
        self.assertEqual(status, 200)
        self.assertEqual(self.session_row(sid)[0], "approved")  # committed before the 200
        before = self.sessions()
        self.assertEqual(self.listener.signed(body)[0], 200)  # replay
        self.assertEqual(self.listener.signed(authy_sign.callback_body(aid, uuid, "denied"))[0], 200)
        self.assertEqual(self.sessions(), before)
        outcomes = [l["outcome"] for l in self.listener.lines() if l["path"] == "/authy/callback"]
        self.assertEqual(outcomes, ["applied", "repeat", "not-pending"])

    def test_get_callback_with_a_query_string(self):
        aid, sid, uuid = self.pending()
        flat = {"authy_id": str(aid), "uuid": uuid, "status": "denied",
                "callback_action": "approval_request_status", "device_uuid": "2102943"}
        status, _ = self.listener.signed(flat, method="GET")
        self.assertEqual(status, 200)
        self.assertEqual(self.session_row(sid)[0], "denied")

    def test_rejected_callbacks_change_nothing(self):
        aid, sid, uuid = self.pending()
        body = authy_sign.callback_body(aid, uuid, "approved")
        before = (self.sessions(), self.query("SELECT status FROM users"))
        nonce = str(int(time.time()))
        good = authy_sign.sign(API_KEY, nonce, "POST", self.listener.url, body)
        cases = {
            "no headers": self.listener.request("POST", body=body),
            "wrong key": self.listener.signed(body, key=API_KEY + "x"),
            "tampered field": self.listener.request("POST", body={**body, "status": "approved", "authy_id": aid + 1},
                                                    headers={"X-Authy-Signature": good, "X-Authy-Signature-Nonce": nonce}),
            "another nonce": self.listener.request("POST", body=body, headers={
                "X-Authy-Signature": good, "X-Authy-Signature-Nonce": str(int(nonce) + 1)}),
            "Host-based URL": self.listener.signed(body, url="http://evil.example.com/authy/callback"),
            "stale nonce": self.listener.signed(body, nonce=str(int(time.time()) - 1000)),
            "future nonce": self.listener.signed(body, nonce=str(int(time.time()) + 1000)),
            "text nonce": self.listener.signed(body, nonce="yesterday"),
        }
        for name, (status, _) in cases.items():
            self.assertEqual(status, 401, name)
        self.assertEqual((self.sessions(), self.query("SELECT status FROM users")), before)
        with open(self.listener.log_path) as f:
            log = f.read()
        self.assertNotIn(good, log)
        self.assertNotIn(API_KEY, log)

    def test_valid_signature_but_nothing_to_change(self):
        aid, sid, uuid = self.pending()
        other = self.enroll("olga@example.com", "555-123-3334")
        before = self.sessions()
        self.assertEqual(self.listener.signed(authy_sign.callback_body(other, uuid))[0], 200)  # another user
        self.assertEqual(self.listener.signed(authy_sign.callback_body(aid, "0b8f3a55-1c65-4133-9113-34363b620e52"))[0], 200)
        self.assertEqual(self.listener.signed(authy_sign.callback_body(1234, uuid))[0], 200)  # dashboard test
        self.assertEqual(self.sessions(), before)
        outcomes = [l["outcome"] for l in self.listener.lines() if l["path"] == "/authy/callback"]
        self.assertEqual(outcomes, ["user-mismatch", "unknown-request", "dashboard-test"])
        self.assertEqual(self.listener.signed({"callback_action": "something_else"})[0], 400)

    def test_limits_methods_and_health(self):
        status, _ = self.listener.request("POST", body=b"{" + b" " * (65 * 1024) + b"}")
        self.assertEqual(status, 413)
        self.assertEqual(self.listener.request("PUT", body={})[0], 405)
        self.assertEqual(self.listener.request("DELETE")[0], 405)
        status, body = self.listener.request("GET", "/healthz")
        self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))
        self.assertEqual(self.listener.request("GET", "/elsewhere")[0], 404)
        r, doc = self.twofa_json("status", "--health", env={"TWOFA_CALLBACK_LISTEN": self.listener.base.split("//")[1]})
        self.assertExit(r, 0)
        self.assertEqual(doc["checks"][3]["ok"], True)

    def test_keeps_answering_while_50_slow_clients_hold_connections(self):
        host, port = self.listener.base.split("//")[1].split(":")
        slow = []
        for _ in range(50):
            s = socket.create_connection((host, int(port)))
            s.sendall(b"POST /authy/callback HTTP/1.1\r\nHost: x\r\n")  # and never finishes
            slow.append(s)
        try:
            aid, sid, uuid = self.pending()
            t = time.monotonic()
            self.assertEqual(self.listener.request("GET", "/healthz")[0], 200)
            self.assertEqual(self.listener.signed(authy_sign.callback_body(aid, uuid))[0], 200)
            self.assertLess(time.monotonic() - t, 2)
            self.assertEqual(self.session_row(sid)[0], "approved")
        finally:
            for s in slow:
                s.close()

    def test_sigterm_stops_cleanly(self):
        self.assertEqual(self.listener.request("GET", "/healthz")[0], 200)
        self.listener.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.listener.stop(), 0)

    def test_the_sandbox_can_call_back_by_get(self):
        self.sandbox.stop()
        self.sandbox = Sandbox(self.home, extra=("--callback-url", self.listener.url, "--approve-after", "0.2",
                                                 "--callback-method", "GET"))
        self.env["TWOFA_AUTHY_URL"] = self.sandbox.url
        self.enroll("alice@example.com", "555-123-0000")
        r, doc = self.twofa_json("login", "alice@example.com", "--password-stdin", "--via", "onetouch",
                                 input=PASSWORD + "\n", timeout=60)
        self.assertExit(r, 0)
        lines = [l for l in self.listener.lines(at_least=1) if l["path"] == "/authy/callback"]
        self.assertEqual([(l["method"], l["outcome"]) for l in lines], [("GET", "applied")])

    def test_the_sandbox_signs_and_retries_its_callbacks(self):
        aid, sid, uuid = self.pending()
        self.listener.stop()  # nobody listens now
        self.assertEqual(self.sandbox.call("POST", f"/sandbox/approval_requests/{uuid}/approve")[0], 200)
        calls = self.sandbox.callbacks(lambda calls: calls and calls[0]["attempts"] == 3)
        self.assertEqual(calls, [{"uuid": uuid, "status": "approved", "attempts": 3, "http_status": 0}])
        # Authy's status endpoint still knows the answer: a waiting login polls it.
        self.assertEqual(self.session_row(sid)[0], "onetouch")


if __name__ == "__main__":
    unittest.main()
