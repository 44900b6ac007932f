"""Logging in with a code: twofa login / verify / resend / logout / status against the sandbox."""
import concurrent.futures
import hashlib
import json
import os
import resource
import stat
import subprocess
import threading
import time
import unittest

from harness import PASSWORD, TWOFA, TwofaCase


def wrong(code):
    """A code of the same length that is certainly not `code`."""
    return "".join(str((int(c) + 1) % 10) for c in code)


class LoginTest(TwofaCase):
    def setUp(self):
        super().setUp()
        self.assertExit(self.add_user(), 0)
        self.aid = self.authy_id()
        self.session_file = os.path.join(self.home, "state", "twofa", "session")

    def test_sms_login_verify_status(self):
        r, doc = self.login()
        self.assertExit(r, 3)
        self.assertEqual(set(doc) >= {"session", "email", "method", "status", "expires_at"}, True)
        self.assertEqual((doc["email"], doc["method"], doc["status"]), ("alice@example.com", "sms", "sms"))
        sid = doc["session"]
        self.assertGreaterEqual(len(sid), 22)
        # The current-session file: 0600, holding the id; the database holds only its hash.
        self.assertEqual(stat.S_IMODE(os.stat(self.session_file).st_mode), 0o600)
        with open(self.session_file) as f:
            self.assertEqual(f.read().strip(), sid)
        rows = self.query("SELECT id_hash, status, sends FROM login_sessions")
        self.assertEqual(rows, [(hashlib.sha256(sid.encode()).hexdigest(), "sms", 1)])
        self.assertNotIn(sid.encode(), self.raw_store())
        # The SMS went out with force=true.
        sms = [q for q in self.api_requests() if q["path"].startswith("/protected/json/sms/")]
        self.assertEqual(len(sms), 1)
        r, doc = self.twofa_json("status")
        self.assertExit(r, 3)
        self.assertEqual(doc["status"], "sms")
        r, doc = self.twofa_json("verify", self.sandbox.latest_code(self.aid))
        self.assertExit(r, 0)
        self.assertEqual((doc["status"], doc["accepted"]), ("approved", True))
        r, doc = self.twofa_json("status")
        self.assertExit(r, 0)
        self.assertEqual(doc["status"], "approved")
        self.assertEqual(self.query("SELECT status FROM users"), [("approved",)])
        r, doc = self.twofa_json("status", "alice@example.com")
        self.assertExit(r, 0)
        self.assertEqual(doc["status"], "approved")

    def test_wrong_codes_then_lock(self):
        self.assertExit(self.login()[0], 3)
        code = self.sandbox.latest_code(self.aid)
        lefts = []
        for _ in range(4):
            r, doc = self.twofa_json("verify", wrong(code))
            self.assertExit(r, 1)
            lefts.append(doc["attempts_left"])
        self.assertEqual(lefts, [4, 3, 2, 1])
        r, doc = self.twofa_json("verify", wrong(code))
        self.assertExit(r, 5)
        self.assertEqual(doc["status"], "locked")
        # Even the right code no longer helps, and it is not sent to Authy.
        before = len(self.api_requests())
        self.assertExit(self.twofa("verify", code), 5)
        self.assertEqual(len(self.api_requests()), before)
        self.assertExit(self.twofa("status"), 5)
        self.assertEqual(self.query("SELECT status FROM users"), [("locked",)])

    def test_malformed_codes_are_refused_before_any_request(self):
        self.assertExit(self.login()[0], 3)
        self.sandbox.call("DELETE", "/sandbox/requests")
        for bad in ["../sms", "12ab56", "12345678901", "12345", "1234567/../1", " 1234567"]:
            r = self.twofa("verify", bad)
            self.assertExit(r, 2)
            self.assertIn("6 to 10 digits", r.stderr)
        r = self.twofa("verify", "--code-stdin", input="../sms\n")
        self.assertExit(r, 2)
        self.assertEqual(self.api_requests(), [])
        self.assertEqual(self.query("SELECT attempts FROM login_sessions"), [(0,)])

    def test_resend_waits_30_seconds_by_default(self):
        self.assertExit(self.login()[0], 3)
        r = self.twofa("resend")
        self.assertExit(r, 5)
        self.assertRegex(r.stderr, r"wait (29|30) s")
        self.assertEqual(len(self.sandbox.messages(self.aid)), 1)

    def test_resend_limit_and_attempts_survive_resends(self):
        self.write_config("[login]\nresend_interval = 1\n")
        self.assertExit(self.login()[0], 3)
        first = self.sandbox.latest_code(self.aid)
        for _ in range(2):
            self.assertExit(self.twofa("verify", wrong(first)), 1)
        for i in range(4):
            time.sleep(1.05)
            r, doc = self.twofa_json("resend", *(["--via", "call"] if i == 1 else []))
            self.assertExit(r, 0)
            self.assertEqual(doc["sends"], i + 2)
        time.sleep(1.05)
        r = self.twofa("resend")
        self.assertExit(r, 5)
        self.assertIn("no more codes", r.stderr)
        vias = [m["via"] for m in self.sandbox.messages(self.aid)]
        self.assertEqual(vias, ["sms", "sms", "call", "call", "call"])
        # Two wrong codes before the resends still count.
        r, doc = self.twofa_json("verify", wrong(self.sandbox.latest_code(self.aid)))
        self.assertExit(r, 1)
        self.assertEqual(doc["attempts_left"], 2)
        # Only the latest code is valid.
        self.assertExit(self.twofa("verify", self.sandbox.latest_code(self.aid)), 0)

    def test_logout_then_status(self):
        self.assertExit(self.login()[0], 3)
        self.assertExit(self.twofa("verify", self.sandbox.latest_code(self.aid)), 0)
        r, doc = self.twofa_json("logout")
        self.assertExit(r, 0)
        self.assertEqual(doc["status"], "unverified")
        self.assertFalse(os.path.exists(self.session_file))
        r = self.twofa("status")
        self.assertExit(r, 6)
        self.assertIn("no current login session", r.stderr)
        self.assertExit(self.twofa("logout"), 6)
        self.assertEqual(self.query("SELECT status FROM users"), [("unverified",)])
        self.assertEqual(self.query("SELECT status FROM login_sessions"), [("unverified",)])

    def test_no_session_is_exit_6_everywhere(self):
        for args in (["verify", "1234567"], ["resend"], ["logout"], ["status"]):
            r = self.twofa(*args)
            self.assertExit(r, 6)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        r = self.twofa("status", "nobody@example.com")
        self.assertExit(r, 6)
        self.assertExit(self.twofa("status", "--session", "not-a-session"), 2)
        self.assertExit(self.twofa("status", "--session", "A" * 32), 6)
        self.assertExit(self.twofa("status", env={"TWOFA_SESSION": "B" * 32}), 6)

    def test_two_sessions_of_one_user_stay_independent(self):
        ra, a = self.login()
        rb, b = self.login()
        self.assertExit(ra, 3)
        self.assertExit(rb, 3)
        self.assertNotEqual(a["session"], b["session"])
        # B's code approves B only.
        self.assertExit(self.twofa("verify", "--session", b["session"], self.sandbox.latest_code(self.aid)), 0)
        self.assertExit(self.twofa("status", "--session", b["session"]), 0)
        self.assertExit(self.twofa("status", "--session", a["session"]), 3)
        # Ending A leaves B approved; the user mirrors its latest session, B.
        self.assertExit(self.twofa("logout", "--session", a["session"]), 0)
        self.assertExit(self.twofa("status", env={"TWOFA_SESSION": b["session"]}), 0)
        self.assertEqual(self.query("SELECT status FROM users"), [("approved",)])
        self.assertExit(self.twofa("status", "--session", a["session"]), 6)

    def test_concurrent_wrong_codes_never_pass_the_limit(self):
        r, doc = self.login()
        self.assertExit(r, 3)
        bad = wrong(self.sandbox.latest_code(self.aid))
        self.sandbox.call("DELETE", "/sandbox/requests")
        env = dict(self.env)
        procs = [subprocess.Popen([TWOFA, "verify", "--session", doc["session"], bad], env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(20)]
        codes = []
        for p in procs:
            p.wait(timeout=60)
            codes.append(p.returncode)
            p.stderr.close()
        checks = [q for q in self.api_requests() if q["path"].startswith("/protected/json/verify/")]
        self.assertLessEqual(len(checks), 5)
        # Exactly 5 checks reach Authy; the check holding the 5th attempt locks the session. The
        # others find no attempt left, or the session locked, when they finish: exit 5.
        self.assertEqual(len(checks), 5)
        self.assertEqual(set(codes) | {1, 5}, {1, 5}, codes)
        self.assertLessEqual(codes.count(1), 4, codes)
        self.assertGreaterEqual(codes.count(5), 16, codes)
        self.assertEqual(self.query("SELECT status, attempts FROM login_sessions"), [("locked", 5)])

    def test_app_token_login_and_reuse(self):
        r, doc = self.login("alice@example.com", via="token")
        self.assertExit(r, 3)
        self.assertEqual(doc["status"], "token")
        self.assertEqual(self.sandbox.messages(self.aid), [])
        token = self.sandbox.app_token(self.aid)
        self.assertExit(self.twofa("verify", token), 0)
        # The same app code in a new login is refused as reused (60019).
        self.assertExit(self.login("alice@example.com", via="token")[0], 3)
        r, doc = self.twofa_json("verify", token)
        self.assertExit(r, 1)
        self.assertEqual(doc["attempts_left"], 4)

    def test_voice_call_login(self):
        r, doc = self.login("alice@example.com", via="call")
        self.assertExit(r, 3)
        self.assertEqual(doc["method"], "call")
        self.assertEqual([m["via"] for m in self.sandbox.messages(self.aid)], ["call"])
        self.assertExit(self.twofa("verify", "--code-stdin", input=self.sandbox.latest_code(self.aid) + "\n"), 0)

    def test_password_failures_look_alike_then_back_off(self):
        self.write_config("[login]\npassword_backoff = 60\n")  # a window no slow machine misses
        r_unknown = self.login("nobody@example.com")[0]
        r_wrong = self.login("alice@example.com", password="not the password")[0]
        self.assertExit(r_unknown, 1)
        self.assertExit(r_wrong, 1)
        self.assertEqual(r_unknown.stderr, r_wrong.stderr)
        self.assertExit(self.login("alice@example.com", password="still not it")[0], 1)
        self.assertExit(self.login("alice@example.com", password="third time wrong")[0], 1)
        r = self.login("alice@example.com")[0]
        self.assertExit(r, 5)  # backing off: even the right password waits
        self.assertRegex(r.stderr, r"wait (59|60) s")
        self.assertEqual(self.query("SELECT COUNT(*) FROM login_sessions"), [(0,)])
        self.assertEqual(self.api_requests()[-1]["path"], "/protected/json/users/new")

    def test_password_timing_does_not_reveal_unknown_emails(self):
        def timed(email):
            # The login's own CPU time (its Argon2id work): wall time also holds whatever the
            # machine's other tests take from it (ctest runs two per core).
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            self.assertExit(self.login(email, password="wrong password here")[0], 1)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        # Alternate, so machine noise hits both sides alike; unlock between wrong tries.
        unknown, known = [], []
        for _ in range(3):
            unknown.append(timed("nobody@example.com"))
            known.append(timed("alice@example.com"))
            self.assertExit(self.twofa("user", "unlock", "alice@example.com"), 0)
        ratio = min(known) / min(unknown)
        self.assertTrue(0.6 < ratio < 1.6, f"known {known} vs unknown {unknown}")

    def test_pending_login_expires(self):
        self.write_config("[login]\npending_ttl = 1\n")
        self.assertExit(self.login()[0], 3)
        code = self.sandbox.latest_code(self.aid)
        time.sleep(1.2)
        r, doc = self.twofa_json("status")
        self.assertExit(r, 4)
        self.assertEqual(doc["status"], "expired")
        self.assertExit(self.twofa("verify", code), 4)
        self.assertExit(self.twofa("resend"), 4)

    def test_audit_trail_without_secrets(self):
        r, doc = self.login()
        code = self.sandbox.latest_code(self.aid)
        self.assertExit(self.twofa("verify", wrong(code)), 1)
        self.assertExit(self.twofa("verify", code), 0)
        self.assertExit(self.twofa("logout"), 0)
        rows = self.query("SELECT event, email, session, outcome, detail FROM audit_events "
                          "WHERE event != 'user.add' ORDER BY id")
        events = [(e, o) for e, _, _, o, _ in rows]
        self.assertEqual(events, [("login.password", "ok"), ("login.start", "ok"), ("code.send", "ok"),
                                  ("code.check", "wrong"), ("code.check", "ok"), ("logout", "ok")])
        hashed = hashlib.sha256(doc["session"].encode()).hexdigest()
        self.assertTrue(all(s == hashed for _, _, s, _, _ in rows[1:]))
        text = repr(rows)
        for secret in (PASSWORD, code, wrong(code), doc["session"]):
            self.assertNotIn(secret, text)
        r, summary = self.twofa_json("status", "--all")
        self.assertExit(r, 0)
        self.assertEqual(summary["counts"]["unverified"], 1)
        # Users written by hand, a line at a time, as a document would dump them.
        users = json.dumps(summary["users"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        self.assertTrue(r.stdout.startswith('{"users":' + users + ',"counts":'), r.stdout)
        self.assertIn({"event": "code.check", "outcome": "wrong", "count": 1}, summary["audit_24h"])

    def test_provider_failure_stores_no_session(self):
        self.sandbox.fault("503", count=3)
        r = self.login()[0]
        self.assertExit(r, 8)
        self.assertEqual(self.query("SELECT COUNT(*) FROM login_sessions"), [(0,)])
        self.assertFalse(os.path.exists(self.session_file))
        sms = [q for q in self.api_requests() if q["path"].startswith("/protected/json/sms/")]
        self.assertEqual(len(sms), 1)  # an SMS is never retried: it might have gone out

    def test_failmode_safe_lets_the_login_through_loudly(self):
        self.write_config('failmode = "safe"\n')
        self.sandbox.fault("503", count=1)
        r, doc = self.login()
        self.assertExit(r, 0)
        self.assertEqual(doc["status"], "approved")
        self.assertIn("failmode = safe", r.stderr)
        self.assertEqual(self.query("SELECT outcome FROM audit_events WHERE event = 'failmode.safe'"),
                         [("allowed",)])

    def test_no_terminal_means_usage_errors_not_echoed_input(self):
        r = self.twofa("login", "alice@example.com", "--no-wait")
        self.assertExit(r, 2)
        self.assertIn("--password-stdin", r.stderr)
        self.assertExit(self.twofa("login", "alice@example.com", "--via", "pigeon"), 2)
        self.assertEqual(self.query("SELECT COUNT(*) FROM audit_events WHERE event LIKE 'login.%'"), [(0,)])

    def test_without_a_terminal_codes_come_from_the_next_stdin_lines(self):
        # Only the password: the code cannot be read, exit 2 (the session stays pending).
        r = self.twofa("login", "alice@example.com", "--password-stdin", "--via", "sms", input=PASSWORD + "\n")
        self.assertExit(r, 2)
        self.assertIn("no code on standard input", r.stderr)
        # A wrong code, a malformed one, then the right one (known once the SMS went out).
        proc, code = self.start_stdin_login()
        out, err = proc.communicate(wrong(code) + "\n12ab\n" + code + "\n", timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("Wrong code. 4 attempts left.", err)
        self.assertIn("Logged in as alice@example.com.", out)

    def start_stdin_login(self):
        """`twofa login --via sms` reading its password and codes from stdin, once its code has
        gone out; and that code."""
        sent = len(self.sandbox.messages(self.aid))
        proc = subprocess.Popen([TWOFA, "login", "alice@example.com", "--password-stdin", "--via", "sms"],
                                env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.kill)
        proc.stdin.write(PASSWORD + "\n")
        proc.stdin.flush()
        for _ in range(100):
            if len(self.sandbox.messages(self.aid)) > sent:
                break
            time.sleep(0.05)
        return proc, self.sandbox.latest_code(self.aid)

    def test_a_code_the_provider_could_not_check_is_asked_for_again(self):
        proc, code = self.start_stdin_login()
        self.sandbox.fault("503")  # the first check (a code check is not retried: it is an attempt)
        out, err = proc.communicate(code + "\n" + code + "\n", timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("twofa: warning: the code was not checked (", err)
        self.assertIn("type it again", err)
        self.assertIn("Logged in as alice@example.com.", out)
        # The check the provider could not make gave its attempt back, on the record.
        self.assertEqual(self.query("SELECT email, outcome FROM audit_events WHERE event = 'code.check' "
                                    "ORDER BY id"),
                         [("alice@example.com", "failed"), ("alice@example.com", "ok")])
        # A script with one code: the login ends with the provider's error (exit 8), not with
        # the end of its input.
        proc, code = self.start_stdin_login()
        self.sandbox.fault("503")
        out, err = proc.communicate(code + "\n", timeout=30)
        self.assertEqual(proc.returncode, 8, err)
        self.assertNotIn("no code on standard input", err)

    def hold_store_lock(self, seconds):
        """Takes the store's write lock from another connection and holds it for `seconds`
        (in a thread): every writer waits out its 5 s (SQLite's busy timeout, PostgreSQL's
        lock_timeout), then gives up. Returns once the lock is held."""
        held = threading.Event()

        def hold():
            con = self.connect_db()
            try:
                if self.pg is None:
                    con.isolation_level = None
                    con.execute("BEGIN IMMEDIATE")
                else:
                    con.cursor().execute("LOCK TABLE login_sessions IN EXCLUSIVE MODE")
                held.set()
                time.sleep(seconds)
                if self.pg is None:
                    con.execute("COMMIT")
                else:
                    con.commit()
            finally:
                con.close()
        thread = threading.Thread(target=hold)
        thread.start()
        self.addCleanup(thread.join)
        self.assertTrue(held.wait(10))

    def test_a_code_the_store_could_not_check_is_asked_for_again(self):
        proc, code = self.start_stdin_login()
        for _ in range(100):  # the session is stored after its code went out
            if self.query("SELECT COUNT(*) FROM login_sessions") == [(1,)]:
                break
            time.sleep(0.05)
        self.hold_store_lock(6)
        out, err = proc.communicate(code + "\n" + code + "\n", timeout=40)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("the code was not checked (", err)
        self.assertIn("the database is busy", err)
        self.assertIn("Logged in as alice@example.com.", out)

    def test_health(self):
        r, doc = self.twofa_json("status", "--health")
        self.assertExit(r, 0)
        self.assertEqual([c["name"] for c in doc["checks"]], ["config", "database", "provider", "listener"])
        self.assertTrue(doc["ok"])
        r, doc = self.twofa_json("status", "--health", env={"AUTHY_API_KEY": "wrong-key"})
        self.assertExit(r, 9)
        self.assertEqual([c["ok"] for c in doc["checks"]], [True, True, False, True])
        r = self.twofa("status", "--health", env={"AUTHY_API_KEY": None})
        self.assertExit(r, 10)
        r, doc = self.twofa_json("status", "--health", env={"TWOFA_CALLBACK_LISTEN": "127.0.0.1:9"})
        self.assertExit(r, 8)
        self.assertFalse(doc["checks"][3]["ok"])

    def test_health_for_cron_and_nagios(self):
        # Passing checks on stdout, failures on stderr: `>/dev/null || alert` keeps the reason.
        r = self.twofa("status", "--health", env={"AUTHY_API_KEY": "wrong-key"})
        self.assertExit(r, 9)
        self.assertRegex(r.stderr, r"^FAIL  provider  Authy refused")
        self.assertNotIn("FAIL", r.stdout)
        self.assertIn("ok    database", r.stdout)
        # --quiet: silent when all is well, the failure alone otherwise.
        r = self.twofa("status", "--health", "--quiet")
        self.assertExit(r, 0)
        self.assertEqual((r.stdout, r.stderr), ("", ""))
        r = self.twofa("status", "--health", "-q", env={"TWOFA_CALLBACK_LISTEN": "127.0.0.1:9"})
        self.assertExit(r, 8)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertTrue(r.stderr.startswith("FAIL  listener"), r.stderr)
        # Nagios: OK 0, WARNING 1 (listener), CRITICAL 2 (database, provider), UNKNOWN 3 (config).
        cases = [({}, 0, "TWOFA OK - 4 checks passed"),
                 ({"TWOFA_CALLBACK_LISTEN": "127.0.0.1:9"}, 1, "TWOFA WARNING - listener: "),
                 ({"AUTHY_API_KEY": "wrong-key"}, 2, "TWOFA CRITICAL - provider: Authy refused"),
                 ({"TWOFA_DB": os.path.join(self.home, "none.db")}, 2, "TWOFA CRITICAL - database: no database"),
                 ({"TWOFA_PROVIDER": "nope"}, 3, "TWOFA UNKNOWN - config: ")]
        for env, code, first in cases:
            with self.subTest(env=env):
                r = self.twofa("status", "--health", "--nagios", env=env)
                self.assertEqual(r.returncode, code, r.stdout + r.stderr)
                lines = r.stdout.splitlines()
                self.assertTrue(lines[0].startswith(first), lines)
                self.assertEqual(lines[1].split(":")[0], "config")
        self.assertExit(self.twofa("status", "--nagios"), 2)
        self.assertExit(self.twofa("--json", "status", "--health", "--quiet"), 2)


if __name__ == "__main__":
    unittest.main()
