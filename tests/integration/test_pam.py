"""pam_twofa.so driven by pamtester (a sudo-style service): every PAM return code, TOTP codes
from oathtool, pushes approved and denied by the sandbox's phone, nullok, groups, failmode
with the provider down, the helper's fixed environment, the timeout, the audit trail."""
import os
import subprocess
import time
import unittest
import uuid

import test_onetouch as ot
from harness import API_KEY, PASSWORD, TWOFA, Datagrams
from test_totp import away_from_step_edge, oathtool

MODULE = os.environ.get("TWOFA_PAM_MODULE", "")


class SyslogCatcher:
    """Listens on /dev/log (there is no syslog daemon in the test machine) for the lines the
    helper logs; refuses to replace a real one."""

    def __enter__(self):
        if os.path.exists("/dev/log"):
            raise unittest.SkipTest("a syslog daemon owns /dev/log")
        self.log = Datagrams("/dev/log", timeout=0.2)
        self.lines = []
        return self

    def wait_for(self, needle, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for l in self.lines:
                if needle in l:
                    return l
            if (line := self.log.next()) is not None:
                self.lines.append(line)
        raise AssertionError(f"no syslog line with {needle!r}: {self.lines}")

    def __exit__(self, *exc):
        self.log.close()
        os.unlink("/dev/log")


class PamSetup(ot.OneTouchCase):
    """A system config, a throw-away PAM service and helpers; no tests of its own."""
    approve_after = "0.3"

    def setUp(self):
        super().setUp()
        key = os.path.join(self.home, "authy.key")
        with open(key, "w") as f:
            f.write(API_KEY + "\n")
        os.chmod(key, 0o600)
        self.config = os.path.join(self.home, "system.toml")
        self.write_system_config()
        self.service = "twofa-test-" + uuid.uuid4().hex[:8]
        self.addCleanup(lambda: os.path.exists(self.pam_file()) and os.unlink(self.pam_file()))
        self.stack("")

    def write_system_config(self, extra=""):
        with open(self.config, "w") as f:
            f.write(f'db = "{self.db}"\nfailmode = "secure"\n[authy]\nurl = "{self.sandbox.url}"\n'
                    f'api_key_file = "{self.home}/authy.key"\ntimeout_ms = 1500\n'
                    f'[totp]\nkey_file = "{self.home}/data/twofa/totp.key"\n{extra}')

    def pam_file(self):
        return os.path.join("/etc/pam.d", self.service)

    def stack(self, options, control="required", after=""):
        with open(self.pam_file(), "w") as f:
            f.write(f"auth {control} {MODULE} config={self.config} helper={TWOFA} timeout=20 {options}\n{after}")

    def pamtester(self, user, answers="", timeout=60):
        r = subprocess.run(["pamtester", self.service, user, "authenticate"], input=answers,
                           capture_output=True, text=True, timeout=timeout)
        return r.returncode, r.stdout + r.stderr

    def add(self, email, unix, *extra, phone="555-123-0000"):
        r = self.twofa("user", "add", "--email", email, "--phone", phone, "--country-code", "1",
                       "--unix-user", unix, "--password-stdin", *extra, input=PASSWORD + "\n")
        self.assertExit(r, 0)
        return r

    def add_totp(self, email, unix):
        r, doc = self.twofa_json("user", "add", "--email", email, "--provider", "totp", "--unix-user",
                                 unix, "--password-stdin", input=PASSWORD + "\n")
        self.assertExit(r, 0)
        away_from_step_edge(margin=10)
        self.assertExit(self.twofa("user", "totp", "confirm", email,
                                   oathtool(doc["secret"], time.time() - 30)), 0)
        return doc["secret"]

    def gate_audit(self):
        return [tuple(r) for r in self.query("SELECT email, outcome, detail FROM audit_events WHERE event = 'gate'")]



@unittest.skipUnless(os.geteuid() == 0 and MODULE, "writes /etc/pam.d: needs root and the built module")
class Pam(PamSetup):
    def test_totp_codes_and_every_refusal(self):
        secret = self.add_totp("tina@example.com", "tina")
        code, out = self.pamtester("tina", oathtool(secret) + "\n")
        self.assertEqual(code, 0, out)
        self.assertIn("successfully authenticated", out)
        self.assertIn("Code:", out)
        # Wrong codes: the prompts run out (PAM_AUTH_ERR); the user locks later (PAM_MAXTRIES).
        code, out = self.pamtester("tina", "000000\n111111\n222222\n")
        self.assertNotEqual(code, 0)
        self.assertIn("Authentication failure", out)
        self.assertIn("Wrong code. 4 attempts left.", out)
        self.stack("prompts=5")
        code, out = self.pamtester("tina", "000000\n111111\n222222\n333333\n444444\n")
        self.assertIn("Have exhausted maximum number of retries", out)
        # Unknown account: PAM_USER_UNKNOWN, with nothing about how to enroll it.
        code, out = self.pamtester("nobody-here", "\n")
        self.assertIn("User not known to the underlying authentication module", out)
        self.assertNotIn("twofa user set", out)
        outcomes = [o for _, o, _ in self.gate_audit()]
        self.assertEqual(outcomes[:2], ["allowed", "denied"])
        self.assertIn("locked", outcomes)
        self.assertEqual(outcomes[-1], "unknown")
        self.assertTrue(all(f"service={self.service}" in d for _, _, d in self.gate_audit()))

    def test_a_mapping_rule_and_syslog(self):
        # gate.user_map names the twofa user of accounts nobody set with --unix-user.
        self.write_system_config('[gate]\nuser_map = "{user}@example.com"\n')
        r, doc = self.twofa_json("user", "add", "--email", "ruled@example.com", "--provider", "totp",
                                 "--password-stdin", input=PASSWORD + "\n")
        away_from_step_edge(margin=10)
        self.assertExit(self.twofa("user", "totp", "confirm", "ruled@example.com",
                                   oathtool(doc["secret"], time.time() - 30)), 0)
        with SyslogCatcher() as log:
            code, out = self.pamtester("ruled", oathtool(doc["secret"]) + "\n")
            self.assertEqual(code, 0, out)
            line = log.wait_for("gate allowed user=ruled@example.com")
        self.assertTrue(line.startswith(f"<{10 * 8 + 6}>"), line)  # authpriv.info, as audited
        self.assertRegex(line, r"twofa\[\d+\]: gate allowed user=ruled@example.com "
                               r'detail="service=twofa-test-[0-9a-f]{8} unix_user=ruled"$')
        self.assertEqual(len([l for l in log.lines if "gate allowed user=ruled@" in l]), 1)  # once
        self.assertEqual(self.gate_audit()[-1][:2], ("ruled@example.com", "allowed"))

    def test_nullok_and_groups(self):
        # nullok: an account nobody guards is ignored, so the rest of the stack decides.
        self.stack("nullok", control="[success=done ignore=ignore default=die]",
                   after="auth required pam_permit.so\n")
        code, out = self.pamtester("nobody-here")
        self.assertEqual(code, 0, out)
        self.assertEqual(self.gate_audit()[-1][1], "ignored")
        # groups=: outside the groups, the module ignores the login without running the helper.
        self.stack("groups=twofa-no-such-group", control="[success=done ignore=ignore default=die]",
                   after="auth required pam_permit.so\n")
        before = len(self.gate_audit())
        code, out = self.pamtester("root")
        self.assertEqual(code, 0, out)
        self.assertEqual(len(self.gate_audit()), before)  # the helper never ran

    def test_push_approved_with_autopush_and_the_menu(self):
        self.add("alice@example.com", "alice")
        # The conversation ends at the first question: refused (the module ends the helper).
        code, out = self.pamtester("alice")
        self.assertIn("Authentication failure", out)
        self.stack("autopush pushinfo")
        code, out = self.pamtester("alice")
        self.assertEqual(code, 0, out)
        self.assertIn("Waiting for approval on your phone", out)
        self.assertEqual(self.gate_audit()[-1][1], "allowed")
        # Without autopush the user picks: Enter asks the phone.
        self.stack("")
        code, out = self.pamtester("alice", "\n")
        self.assertEqual(code, 0, out)
        self.assertIn("Press Enter for a login request", out)
        # (What pushinfo puts into the push is checked by the unit test of Gate.)

    def test_denied_push_falls_back_to_an_sms_code(self):
        self.add("dan@example.com", "dan", phone="555-123-1111")  # denies pushes
        aid = self.authy_id("dan@example.com")
        # The denied push falls back to SMS; the code is read from the sandbox's outbox.
        proc = subprocess.Popen(["pamtester", self.service, "dan", "authenticate"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        proc.stdin.write("\n")
        proc.stdin.flush()
        deadline = time.time() + 20
        code = None
        while time.time() < deadline and not code:
            time.sleep(0.3)
            msgs = self.sandbox.messages(aid)
            code = msgs[-1]["code"] if msgs else None
        self.assertTrue(code)
        out, _ = proc.communicate(code + "\n", timeout=30)
        self.assertEqual(proc.returncode, 0, out)
        self.assertIn("denied; sending a code by SMS", out)

    def test_failmode_with_the_provider_down_and_the_timeout(self):
        self.add("alice@example.com", "alice")
        self.sandbox.stop()
        code, out = self.pamtester("alice", "\n")
        self.assertIn("Authentication service cannot retrieve authentication info", out)  # secure: closed
        self.stack("failmode=safe")
        code, out = self.pamtester("alice", "\n")
        self.assertEqual(code, 0, out)
        self.assertIn("second factor was skipped", out)
        self.assertIn("failmode = safe", self.gate_audit()[-1][2])

    def test_a_failed_conversation_is_a_denied_login_in_the_audit_trail(self):
        self.add_totp("olga@example.com", "olga")
        with SyslogCatcher() as syslog:
            t = time.monotonic()
            code, out = self.pamtester("olga", "")  # the input ends at the code prompt
            self.assertIn("Authentication failure", out)  # PAM_AUTH_ERR
            self.assertLess(time.monotonic() - t, 8, out)
            self.assertEqual(self.gate_audit()[-1][:2], ("olga@example.com", "denied"))
            self.assertIn("the conversation ended", self.gate_audit()[-1][2])
            syslog.wait_for("pam-helper for olga: the conversation failed")

    def write_line(self, line):
        with open(self.pam_file(), "w") as f:
            f.write(line + "\n")

    def test_the_timeout_kills_the_helper_and_bad_setups_fail_closed(self):
        self.add("nora@example.com", "nora", phone="555-123-3333")  # never answers
        self.write_line(f"auth required {MODULE} config={self.config} helper={TWOFA} timeout=5 autopush")
        t = time.monotonic()
        code, out = self.pamtester("nora")
        self.assertIn("Authentication failure", out)
        self.assertLess(time.monotonic() - t, 12, out)
        # Hung up on rather than killed outright: the helper recorded the login.
        self.assertEqual(self.gate_audit()[-1][:1], ("nora@example.com",))
        self.assertNotEqual(self.gate_audit()[-1][1], "allowed")
        # A helper that cannot run, or a missing configuration: closed.
        self.write_line(f"auth required {MODULE} config={self.config} helper=/nonexistent/twofa")
        self.assertIn("Authentication service cannot retrieve authentication info", self.pamtester("nora")[1])
        self.write_line(f"auth required {MODULE} config=/nonexistent.toml helper={TWOFA}")
        self.assertIn("Authentication service cannot retrieve authentication info", self.pamtester("nora")[1])
        # An unknown option: the module line is wrong (PAM_SERVICE_ERR).
        self.write_line(f"auth required {MODULE} bogus")
        self.assertIn("Error in service module", self.pamtester("nora")[1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
