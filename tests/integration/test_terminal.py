"""Interactive prompts through a real pseudo-terminal: no echo, confirmation, Ctrl-C."""
import os
import re
import signal
import unittest

from harness import PASSWORD, TWOFA, TwofaCase
from ptyterm import PtySession


class Terminal(TwofaCase):
    def spawn(self, *args):
        s = PtySession([TWOFA, *args], self.env)
        self.addCleanup(s.close)
        return s

    def add_args(self):
        return ("user", "add", "--email", "tty@example.com", "--phone", "5551230000", "--country-code", "1")

    def test_password_prompt_does_not_echo(self):
        s = self.spawn(*self.add_args())
        s.read_until("Password for tty@example.com: ")
        self.assertFalse(s.echo_enabled())
        s.send(PASSWORD + "\n")
        s.read_until("Repeat the password: ")
        s.send(PASSWORD + "\n")
        self.assertEqual(s.finish(), 0, s.output)
        self.assertNotIn(PASSWORD.encode(), s.output)
        self.assertIn(b"Enrolled tty@example.com", s.output)
        self.assertTrue(s.echo_enabled())

    def test_mismatched_passwords(self):
        s = self.spawn(*self.add_args())
        s.read_until("Password for")
        s.send(PASSWORD + "\n")
        s.read_until("Repeat")
        s.send(PASSWORD + "x\n")
        self.assertEqual(s.finish(), 2)
        self.assertIn(b"do not match", s.output)
        self.assertEqual(self.db_rows(), ([], []))

    def test_ctrl_c_at_the_prompt_restores_the_terminal(self):
        s = self.spawn(*self.add_args())
        s.read_until("Password for")
        self.assertFalse(s.echo_enabled())
        os.killpg(s.proc.pid, signal.SIGINT)
        self.assertEqual(s.finish(), 130)
        self.assertTrue(s.echo_enabled())
        self.assertEqual(self.db_rows(), ([], []))

    def test_remove_asks_for_confirmation(self):
        self.assertExit(self.add_user(email="tty@example.com"), 0)
        s = self.spawn("user", "remove", "tty@example.com")
        s.read_until("[y/N] ")
        s.send("n\n")
        self.assertEqual(s.finish(), 2)
        self.assertEqual(len(self.sandbox.users()), 1)
        s = self.spawn("user", "remove", "tty@example.com")
        s.read_until("[y/N] ")
        s.send("y\n")
        self.assertEqual(s.finish(), 0)
        self.assertEqual(self.sandbox.users(), [])

    def users_csv(self, prefix, count, extra=""):
        path = os.path.join(self.home, "users.csv")
        with open(path, "w") as f:
            f.write("email,phone,country_code\n")
            for i in range(count):
                f.write(f"{prefix}{i}@example.com,555{i:07d},1\n")
            f.write(extra)
        return path

    def test_import_shows_a_progress_bar_on_a_terminal(self):
        path = self.users_csv("p", 20, "bad-row,5551230000,1\n")
        s = self.spawn("user", "import", path, "--jobs", "2")
        self.assertEqual(s.finish(), 2)
        screen = s.output.decode()
        self.assertIn("] 21/21", screen)
        self.assertIn("line 22: bad-row: failed", screen)
        self.assertIn("21 rows: 20 enrolled, 0 already enrolled, 1 failed", screen)
        self.assertNotIn("p0@example.com: enrolled", screen)  # successes are summarised

    def test_import_progress_shows_rate_and_time_left_and_obeys_no_color(self):
        path = self.users_csv("q", 40)
        # A provider 30 ms away: the import takes over a second, long enough for a rate.
        self.use_slow_provider(30)
        s = self.spawn("user", "import", path, "--jobs", "1")
        self.assertEqual(s.finish(), 0)
        screen = s.output.decode()
        self.assertRegex(screen, r"\] \d+/40 · \d+ rows/s · \d+ s left")
        self.assertIn("40 rows: 40 enrolled", screen)
        # NO_COLOR: no bar, no escapes; each row on its own line instead.
        s = PtySession([TWOFA, "user", "import", path], {**self.env, "NO_COLOR": "1"})
        self.addCleanup(s.close)
        self.assertEqual(s.finish(), 0)
        self.assertNotIn(b"\x1b", s.output)
        self.assertNotIn(b"] ", s.output)
        self.assertIn(b"line 2: q0@example.com: exists", s.output)

    def test_ctrl_c_during_an_import_stops_it_cleanly(self):
        path = self.users_csv("c", 200)
        slow = self.use_slow_provider(40)
        s = self.spawn("user", "import", path, "--jobs", "2")
        s.read_until("rows/s")
        s.send("\x03")  # Ctrl-C, as the terminal sends it
        self.assertEqual(s.finish(), 130)
        screen = s.output.decode()
        self.assertIn("twofa: stopping: the rows already started are finished and stored", screen)
        m = re.search(r"200 rows: (\d+) enrolled, 0 already enrolled, 0 failed, (\d+) not started", screen)
        self.assertIsNotNone(m, screen)
        enrolled, skipped = int(m[1]), int(m[2])
        self.assertEqual(enrolled + skipped, 200)
        self.assertGreater(skipped, 0)
        self.assertIn(f"the import was stopped with {skipped} rows not started", screen)
        self.assertEqual(len(slow.users()), enrolled)
        self.assertEqual(self.query("SELECT COUNT(*) FROM users"), [(enrolled,)])


if __name__ == "__main__":
    unittest.main()
