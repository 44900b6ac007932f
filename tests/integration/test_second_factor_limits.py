"""Limits on the second factor that hold across sessions and faults: a stolen password does not
buy unlimited guesses, an approved login never certifies an unchecked code, failmode = safe
skips only for an unreachable provider, and a killed verify does not wedge its session."""
import os
import signal
import subprocess
import time
import unittest

from harness import PASSWORD, TWOFA, TwofaCase


class SecondFactorLimits(TwofaCase):
    def setUp(self):
        super().setUp()
        self.assertExit(self.add_user(), 0)
        self.aid = self.authy_id()

    def verify_calls(self):
        return [r for r in self.api_requests() if r["path"].startswith("/protected/json/verify/")]

    def wrong(self, code="0000000"):
        return self.twofa("verify", code)

    def test_eight_logins_of_five_wrong_codes_reach_the_provider_at_most_n_times(self):
        self.write_config("[login]\nuser_code_failures = 7\n")
        for via in ["token", "sms"] * 4:
            r, doc = self.login(via=via)
            self.assertIn(r.returncode, (3, 5))  # started, or refused while backing off
            if r.returncode != 3:
                continue
            for _ in range(5):
                self.assertIn(self.wrong().returncode, (1, 5))
        self.assertLessEqual(len(self.verify_calls()), 7)
        # Back-off waits are honoured until the lock: then every channel refuses, exit 5.
        for _ in range(20):
            r, doc = self.login(via="token")
            if r.returncode == 3:
                self.wrong()
            elif "unlock" in r.stderr:
                break
            time.sleep(1.1)
        self.assertExit(r, 5)
        self.assertIn("twofa user unlock", r.stderr)
        self.assertEqual(len(self.verify_calls()), 7)
        for via in ("sms", "call", "onetouch", "token"):
            self.assertExit(self.login(via=via)[0], 5)
        self.assertEqual(len(self.verify_calls()), 7)
        self.assertIn(("code.lock", "locked"), self.query("SELECT event, outcome FROM audit_events"))
        self.assertEqual(self.query("SELECT status, code_failures FROM users")[0], ("locked", 7))
        # An administrator lifts it; the right code then logs in.
        self.assertExit(self.twofa("user", "unlock", "alice@example.com"), 0)
        r, doc = self.login(via="sms")
        self.assertExit(r, 3)
        self.assertExit(self.twofa("verify", self.sandbox.latest_code(self.aid)), 0)
        self.assertEqual(self.query("SELECT code_failures, code_locked_until FROM users")[0], (0, 0))

    def test_a_correct_code_resets_the_count(self):
        for _ in range(2):
            r, doc = self.login(via="sms")
            self.assertExit(self.wrong(), 1)
            self.assertExit(self.twofa("verify", self.sandbox.latest_code(self.aid)), 0)
        self.assertEqual(self.query("SELECT code_failures FROM users")[0][0], 0)

    def test_verify_on_an_approved_login_checks_nothing_and_is_not_ok(self):
        r, doc = self.login(via="sms")
        self.assertExit(self.twofa("verify", self.sandbox.latest_code(self.aid)), 0)
        calls = len(self.verify_calls())
        r = self.twofa("verify", "9999999")
        self.assertExit(r, 7)
        self.assertIn("already approved", r.stderr)
        self.assertEqual(len(self.verify_calls()), calls)


class FailModeSafe(TwofaCase):
    def setUp(self):
        super().setUp()
        self.assertExit(self.add_user(), 0)
        self.write_config('failmode = "safe"\n')

    def test_malformed_answers_fail_closed(self):
        r, doc = self.login(via="sms")
        self.assertExit(r, 3)
        self.sandbox.fault("malformed", count=3)
        r = self.twofa("verify", "1234567")
        self.assertExit(r, 8)
        self.assertEqual(self.twofa("status").returncode, 3)  # still pending
        self.assertNotIn(("failmode.safe",), self.query("SELECT event FROM audit_events"))

    def test_5xx_skips_the_factor_loudly_and_never_calls_the_code_approved(self):
        r, doc = self.login(via="sms")
        self.sandbox.fault("503", count=3)
        r, doc = self.twofa_json("verify", "1234567")
        self.assertExit(r, 0)
        self.assertEqual((doc["accepted"], doc["second_factor"], doc["status"]), (False, "skipped", "approved"))
        self.assertIn("NOT checked", r.stderr)
        self.assertIn(("failmode.safe", "allowed"), self.query("SELECT event, outcome FROM audit_events"))
        self.assertIn(("code.check", "skipped"), self.query("SELECT event, outcome FROM audit_events"))

    def test_closed_port_skips_the_factor_at_login_loudly(self):
        self.sandbox.stop()
        r, doc = self.twofa_json("login", "alice@example.com", "--password-stdin", "--via", "sms",
                                 input=PASSWORD + "\n")
        self.assertExit(r, 0)
        self.assertIn("skipped", r.stderr)
        self.assertIn(("failmode.safe", "allowed"), self.query("SELECT event, outcome FROM audit_events"))
        self.sandbox = type(self.sandbox)(self.home)  # for tearDown

    def test_secure_mode_denies_on_5xx(self):
        self.write_config('failmode = "secure"\n')
        r, doc = self.login(via="sms")
        self.sandbox.fault("503", count=3)
        self.assertExit(self.twofa("verify", "1234567"), 8)
        self.assertEqual(self.twofa("status").returncode, 3)


class KilledVerify(TwofaCase):
    def test_five_killed_checks_lapse_and_the_session_recovers(self):
        self.assertExit(self.add_user(), 0)
        r, doc = self.login(via="sms")
        for _ in range(5):
            self.sandbox.fault("hang", count=1, hang_ms=20000)
            p = subprocess.Popen([TWOFA, "verify", "1234567"], env=self.env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.6)  # the check is out at the provider
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
        r = self.twofa("verify", "1234567")
        self.assertExit(r, 5)  # every attempt is leased
        self.assertEqual(self.twofa("status").returncode, 3)
        time.sleep(3 * 2 + 6 + 2)  # the lease: three 1.5 s timeouts (rounded up) and 6 s
        r, doc = self.twofa_json("status")
        self.assertEqual((r.returncode, doc["attempts_left"]), (3, 5))
        self.assertExit(self.twofa("verify", self.sandbox.latest_code(self.authy_id())), 0)
        self.assertIn(("code.check", "lapsed"), self.query("SELECT event, outcome FROM audit_events"))


if __name__ == "__main__":
    unittest.main()
