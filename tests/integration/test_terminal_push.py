"""The OneTouch wait in a real pseudo-terminal: spinner and countdown, Enter for a code,
a denied push falling back to an SMS code, Ctrl-C."""
import os
import re
import signal
import tempfile
import unittest

from harness import PASSWORD, TWOFA
from ptyterm import PtySession
from test_onetouch import OneTouchCase


class TerminalPush(OneTouchCase):
    approve_after = "3600"  # the tests answer the phone

    def spawn(self, *args):
        s = PtySession([TWOFA, *args], self.env)
        self.addCleanup(s.close)
        return s

    def start_push(self, email, phone):
        self.enroll(email, phone)
        s = self.spawn("login", email)
        s.read_until("Password for")
        s.send(PASSWORD + "\n")
        s.read_until("Approve the request on your phone")
        return s

    def uuid(self):
        return self.query("SELECT challenge FROM login_sessions ORDER BY id DESC LIMIT 1")[0][0]

    def test_spinner_countdown_then_approval(self):
        s = self.start_push("alice@example.com", "555-123-0000")
        s.read_until("Enter: use a code")
        first = s.output
        # The spinner turns: its second frame follows the first on the same line.
        s.read_until("⠙")
        # The countdown runs: whatever it first showed (2:00 or 1:59), it reaches 1:58.
        s.read_until("expires in 1:58", timeout=5)
        frames = [f for f in ("⠋", "⠙", "⠹", "⠸", "⠼") if f.encode() in s.output]
        self.assertGreaterEqual(len(frames), 2, s.output[-400:])
        self.assertGreater(len(s.output), len(first))
        self.assertEqual(self.sandbox.call("POST", f"/sandbox/approval_requests/{self.uuid()}/approve")[0], 200)
        self.assertEqual(s.finish(), 0, s.output[-400:])
        self.assertIn(b"Logged in as alice@example.com.", s.output)
        self.assertTrue(s.echo_enabled())

    def status_rows(self, output):
        """What a terminal would show on the status row at each redraw: the text after the last
        carriage return and erase of each frame (escapes removed)."""
        rows = []
        for part in output.split(b"\r")[1:]:
            text = re.sub(rb"\x1b\[[0-9;]*[A-Za-z]", b"", part).split(b"\n")[0]
            if text.strip():
                rows.append(text.decode())
        return rows

    def test_status_line_fits_an_80_column_terminal_and_is_drawn_on_stderr(self):
        self.enroll("erin@example.com", "555-123-3333")
        with tempfile.TemporaryFile() as stdout:
            s = PtySession([TWOFA, "login", "erin@example.com"], self.env, size=(80, 24), stdout=stdout)
            self.addCleanup(s.close)
            s.read_until("Password for")
            s.send(PASSWORD + "\n")
            s.read_until("⠹")  # three frames drawn
            rows = [r for r in self.status_rows(s.output) if "Approve" in r]
            self.assertGreaterEqual(len(rows), 3, s.output)
            for row in rows:
                self.assertLessEqual(len(row), 79, row)
            self.assertIn("Enter: use a code", rows[-1])
            # A narrower window gets the short form from the next frame on.
            s.resize(44, 24)
            mark = len(s.output)
            s.read_until("Enter: code")
            narrow = [r for r in self.status_rows(s.output[mark:]) if "Approve" in r]
            self.assertTrue(narrow and all(len(r) <= 43 for r in narrow), narrow)
            # The wider line drawn before may have wrapped into two rows: the redraw goes up one.
            self.assertIn(b"\x1b[1A", s.output[mark:])
            self.assertEqual(self.sandbox.call("POST", f"/sandbox/approval_requests/{self.uuid()}/approve")[0], 200)
            self.assertEqual(s.finish(), 0, s.output[-400:])
            stdout.seek(0)
            printed = stdout.read()
        # stdout holds the result only: no spinner, no escapes.
        self.assertIn(b"Logged in as erin@example.com.", printed)
        self.assertNotIn(b"\x1b", printed)
        self.assertNotIn("⠋".encode(), printed)

    def test_dumb_terminal_and_no_color_get_one_plain_sentence(self):
        self.enroll("fay@example.com", "555-123-6666")
        for extra in ({"TERM": "dumb"}, {"NO_COLOR": "1"}):
            with self.subTest(extra=extra):
                s = PtySession([TWOFA, "login", "fay@example.com"], {**self.env, **extra})
                self.addCleanup(s.close)
                s.read_until("Password for")
                s.send(PASSWORD + "\n")
                s.read_until("Approve the request on your phone (expires in ")
                self.assertEqual(self.sandbox.call("POST", f"/sandbox/approval_requests/{self.uuid()}/approve")[0], 200)
                self.assertEqual(s.finish(), 0, s.output[-400:])
                tail = s.output.split(b"Approve the request", 1)[1]
                self.assertNotIn(b"\x1b", tail)
                for frame in ("⠋", "⠙"):
                    self.assertNotIn(frame.encode(), s.output)

    def test_enter_switches_to_a_code(self):
        s = self.start_push("alice@example.com", "555-123-0000")
        s.read_until("Enter: use a code")
        s.send("\n")
        s.read_until("We sent a code to +1 ***-***-0000.")
        s.read_until("Code: ")
        aid = self.authy_id("alice@example.com")
        s.send(self.sandbox.latest_code(aid) + "\n")
        self.assertEqual(s.finish(), 0, s.output[-400:])
        self.assertEqual(self.query("SELECT method, status FROM login_sessions"), [("sms", "approved")])

    def test_denied_push_falls_back_to_an_sms_code(self):
        s = self.start_push("dan@example.com", "555-123-1111")
        self.assertEqual(self.sandbox.call("POST", f"/sandbox/approval_requests/{self.uuid()}/deny")[0], 200)
        s.read_until("The request was denied; sending a code by SMS instead.")
        s.read_until("Code: ")
        s.send(self.sandbox.latest_code(self.authy_id("dan@example.com")) + "\n")
        self.assertEqual(s.finish(), 0, s.output[-400:])
        # The denied session stays denied; the code approved a new one, now the current one.
        self.assertEqual(self.query("SELECT method, status FROM login_sessions ORDER BY id"),
                         [("onetouch", "denied"), ("sms", "approved")])
        self.assertExit(self.twofa("status"), 0)

    def test_ctrl_c_while_waiting(self):
        s = self.start_push("alice@example.com", "555-123-0000")
        s.read_until("Enter: use a code")
        os.killpg(s.proc.pid, signal.SIGINT)
        self.assertEqual(s.finish(), 130)
        self.assertTrue(s.echo_enabled())
        self.assertIn(b"interrupted", s.output)
        self.assertExit(self.twofa("status"), 3)  # the request is still open


if __name__ == "__main__":
    unittest.main()
