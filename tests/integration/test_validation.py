"""Every bad input is exit 2: nothing is sent to the provider and nothing is stored."""
import unittest

from harness import PASSWORD, TwofaCase

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

    def test_the_good_values_do_work(self):
        self.assertExit(self.twofa(*self.args(), "--password-stdin", input=PASSWORD + "\n"), 0)


if __name__ == "__main__":
    unittest.main()
