"""Every bad input is exit 2: nothing is sent to the provider and nothing is stored."""
import json
import subprocess
import unittest

from harness import PASSWORD, SANDBOX, TWOFA, TwofaCase

GOOD = {"--email": "val@example.com", "--phone": "555 123 0000", "--country-code": "1", "--name": "Val"}

BAD_FIELDS = [
    ("--email", "not-an-email"),
    ("--email", "a@b"),
    ("--email", "x" * 65 + "@example.com"),
    ("--email", "a b@example.com"),
    ("--phone", "123"),
    ("--phone", "1234567890123456"),
    ("--phone", "555-CALL-NOW"),
    ("--phone", "+15551230000"),
    ("--country-code", "0"),
    ("--country-code", "1000"),
    ("--country-code", "one"),
    ("--name", "n" * 257),
    ("--name", "bell\x07name"),
]

BAD_PASSWORDS = ["short", "x" * 129, "password123", "Qwertyuiop", "val@example.com", ""]


class Validation(TwofaCase):
    def args(self, **override):
        fields = dict(GOOD)
        fields.update(override)
        out = ["user", "add"]
        for k, v in fields.items():
            out += [k, v]
        return out

    def assertRejectedCleanly(self, result):
        self.assertExit(result, 2)
        self.assertEqual(self.api_requests(), [], "a request reached the provider")
        self.assertEqual(self.db_rows(), ([], []))
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("(", result.stderr)  # a hint

    def test_bad_fields(self):
        for flag, value in BAD_FIELDS:
            with self.subTest(flag=flag, value=value):
                self.assertRejectedCleanly(self.twofa(*self.args(**{flag: value}), "--password-stdin",
                                                      input=PASSWORD + "\n"))

    def test_bad_passwords(self):
        for pw in BAD_PASSWORDS:
            with self.subTest(password=pw):
                self.assertRejectedCleanly(self.twofa(*self.args(), "--password-stdin", input=pw + "\n"))

    def test_no_password_source(self):
        # No terminal and no --password-stdin: refuse rather than read a password with echo.
        self.assertRejectedCleanly(self.twofa(*self.args()))
        # --password-stdin with nothing on stdin.
        self.assertRejectedCleanly(self.twofa(*self.args(), "--password-stdin", input=""))

    def test_command_line_mistakes_say_what_was_wrong(self):
        cases = [
            (["bogus"], "unknown command 'bogus' for twofa", "commands: user, login, verify"),
            (["usr", "list"], "unknown command 'usr' for twofa", "did you mean 'user'?"),
            (["user", "lst"], "unknown command 'lst' for twofa user", "did you mean 'list'?"),
            (["statsu"], "unknown command 'statsu' for twofa", "did you mean 'status'?"),
            (["--nope"], "unknown option --nope for twofa", "see twofa --help"),
            (["--jsn", "user", "list"], "unknown option --jsn for twofa", "did you mean --json?"),
            (["user"], "twofa user needs a command: add, list", "see twofa user --help"),
            (["login", "--timeout", "abc", "a@example.com"], "--timeout: 'abc' is not a whole number (1 to 86400)", "see twofa login --help"),
            (["login", "--timeout", "0", "a@example.com"], "--timeout: 0 is out of range (1 to 86400)", "see twofa login --help"),
            (["user", "list", "extra"], "unexpected argument 'extra' for twofa user list", "see twofa user list --help"),
        ]
        for argv, message, hint in cases:
            with self.subTest(argv=argv):
                r = self.twofa("--json", *argv)
                self.assertExit(r, 2)
                self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
                self.assertIn(message, r.stderr)
                self.assertIn(hint, r.stderr)
                err = json.loads(r.stdout)["error"]
                self.assertEqual((err["code"], err["name"]), (2, "USAGE"))
                self.assertIn(message, err["message"])
                self.assertNotIn(hint, err["message"])
                self.assertIn(hint, err["hint"])

    def test_subcommand_help_lists_the_global_options_and_every_tool_has_a_version(self):
        r = self.twofa("user", "list", "--help")
        self.assertExit(r, 0)
        tail = r.stdout.split("Global options", 1)[1]
        for flag in ("--json", "--config FILE", "--db PATH|URL", "--authy-url URL"):
            self.assertIn(flag, tail)
        # Above them, the settings table, as under the top-level help.
        self.assertIn("Settings (flag > environment > config file > default", r.stdout.split("Global options", 1)[0])
        self.assertIn("login.timeout", r.stdout)
        for tool in (TWOFA, SANDBOX):
            r = subprocess.run([tool, "--version"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"^twofa(-sandbox)? \d+\.\d+\.\d+\n$")

    def test_the_good_values_do_work(self):
        self.assertExit(self.twofa(*self.args(), "--password-stdin", input=PASSWORD + "\n"), 0)


if __name__ == "__main__":
    unittest.main()
