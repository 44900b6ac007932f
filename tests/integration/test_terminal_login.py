"""Interactive login through a real pseudo-terminal: hidden password, code prompt, Ctrl-C."""
import os
import signal
import unittest

from harness import PASSWORD, TWOFA, TwofaCase
from ptyterm import PtySession


class TerminalLogin(TwofaCase):
    def setUp(self):
        super().setUp()
        self.assertExit(self.add_user(email="tty@example.com", phone="555-123-2222"), 0)  # no app: SMS
        self.aid = self.authy_id("tty@example.com")

    def spawn(self, *args):
        s = PtySession([TWOFA, *args], self.env)
        self.addCleanup(s.close)
        return s

    def test_interactive_sms_login(self):
        s = self.spawn("login", "tty@example.com")
        s.read_until("Password for tty@example.com: ")
        self.assertFalse(s.echo_enabled())
        s.send(PASSWORD + "\n")
        s.read_until("We sent a code to +1 ***-***-2222.")
        s.read_until("Code: ")
        self.assertTrue(s.echo_enabled())
        code = self.sandbox.latest_code(self.aid)
        wrong = "".join(str((int(c) + 1) % 10) for c in code)
        s.send(wrong + "\n")
        s.read_until("Wrong code. 4 attempts left.")
        s.read_until("Code: ", timeout=10)
        s.send("12ab\n")
        s.read_until("A code is 6 to 10 digits.")
        s.send(code + "\n")
        self.assertEqual(s.finish(), 0, s.output)
        self.assertIn(b"Logged in as tty@example.com.", s.output)
        self.assertNotIn(PASSWORD.encode(), s.output)
        self.assertTrue(s.echo_enabled())
        self.assertExit(self.twofa("status"), 0)

    def test_three_wrong_prompts_end_with_exit_1_and_the_session_kept(self):
        s = self.spawn("login", "tty@example.com")
        s.read_until("Password for")
        s.send(PASSWORD + "\n")
        s.read_until("Code: ")
        wrong = "".join(str((int(c) + 1) % 10) for c in self.sandbox.latest_code(self.aid))
        for left in (4, 3):
            s.send(wrong + "\n")
            s.read_until(f"Wrong code. {left} attempts left.")
            s.read_until("Code: ")
        s.send(wrong + "\n")
        self.assertEqual(s.finish(), 1, s.output)
        self.assertIn(b"twofa verify", s.output)
        r, doc = self.twofa_json("status")
        self.assertExit(r, 3)
        self.assertEqual(doc["attempts_left"], 2)

    def test_ctrl_c_at_the_password_and_code_prompts(self):
        s = self.spawn("login", "tty@example.com")
        s.read_until("Password for")
        self.assertFalse(s.echo_enabled())
        os.killpg(s.proc.pid, signal.SIGINT)
        self.assertEqual(s.finish(), 130)
        self.assertTrue(s.echo_enabled())
        self.assertEqual(self.query("SELECT COUNT(*) FROM login_sessions"), [(0,)])

        s = self.spawn("login", "tty@example.com")
        s.read_until("Password for")
        s.send(PASSWORD + "\n")
        s.read_until("Code: ")
        s.send("123")  # half-typed
        os.killpg(s.proc.pid, signal.SIGINT)
        self.assertEqual(s.finish(), 130)
        self.assertTrue(s.echo_enabled())
        self.assertIn(b"interrupted", s.output)

    def test_the_code_prompt_gives_up_at_the_timeout(self):
        s = self.spawn("login", "tty@example.com", "--timeout", "1")
        s.read_until("Password for")
        s.send(PASSWORD + "\n")
        s.read_until("Code: ")
        self.assertEqual(s.finish(), 4, s.output)
        self.assertTrue(s.echo_enabled())


if __name__ == "__main__":
    unittest.main()
