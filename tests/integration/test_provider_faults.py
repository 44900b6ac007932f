"""Provider faults map to exit 8 / 9 / 10 and store nothing; transient ones are retried."""
import time
import unittest

from harness import PASSWORD, Sandbox, TwofaCase


class ProviderFaults(TwofaCase):
    def add(self, email="f@example.com", phone="5551230000"):
        return self.twofa("user", "add", "--email", email, "--phone", phone, "--country-code", "1",
                          "--password-stdin", input=PASSWORD + "\n")

    def assertNothingStored(self):
        self.assertEqual(self.db_rows()[0], [])

    def test_503_after_retries_is_unavailable(self):
        self.sandbox.fault("503", count=3)
        r = self.add()
        self.assertExit(r, 8)
        self.assertNothingStored()
        self.assertEqual(len(self.api_requests()), 3)  # bounded retries

    def test_one_503_is_retried(self):
        self.sandbox.fault("503", count=1)
        self.assertExit(self.add(), 0)
        self.assertEqual(len(self.api_requests()), 2)

    def test_500_is_unavailable(self):
        self.sandbox.fault("500", count=3)
        self.assertExit(self.add(), 8)
        self.assertNothingStored()

    def test_429_with_retry_after_is_honoured(self):
        self.sandbox.fault("429", count=1, retry_after=1)
        start = time.monotonic()
        self.assertExit(self.add(), 0)
        self.assertGreaterEqual(time.monotonic() - start, 0.9)

    def test_persistent_429_is_rejected(self):
        self.sandbox.fault("429", count=5, retry_after=1)
        r = self.add()
        self.assertExit(r, 9)
        self.assertIn("rate", r.stderr)
        self.assertNothingStored()

    def test_long_retry_after_fails_at_once(self):
        self.sandbox.fault("429", count=1, retry_after=3600)
        start = time.monotonic()
        self.assertExit(self.add(), 9)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(len(self.api_requests()), 1)

    def test_hang_past_the_timeout(self):
        self.sandbox.fault("hang", count=1, hang_ms=20000)
        start = time.monotonic()
        r = self.add()
        elapsed = time.monotonic() - start
        self.assertExit(r, 8)
        self.assertIn("in time", r.stderr)
        self.assertLess(elapsed, 6)  # timeout is 1.5 s; a POST that may have landed is not retried
        self.assertNothingStored()

    def test_malformed_json(self):
        self.sandbox.fault("malformed", count=1)
        r = self.add()
        self.assertExit(r, 8)
        self.assertIn("malformed", r.stderr)
        self.assertNothingStored()

    def test_invalid_phone_scenario(self):
        r = self.add(phone="5551234444")
        self.assertExit(r, 9)
        self.assertIn("60033", r.stderr)
        self.assertNothingStored()

    def test_unreachable_provider(self):
        self.sandbox.stop()
        r = self.twofa("user", "add", "--email", "f@example.com", "--phone", "5551230000", "--country-code", "1",
                       "--password-stdin", input=PASSWORD + "\n")
        self.assertExit(r, 8)
        self.assertNothingStored()
        # tearDown stops the sandbox again; start a fresh one so it has something to stop.
        self.sandbox = Sandbox(self.home)

    def test_remove_keeps_the_user_when_authy_fails(self):
        self.assertExit(self.add(), 0)
        before = self.db_rows()
        self.sandbox.fault("503", count=3)
        self.assertExit(self.twofa("user", "remove", "f@example.com", "--yes"), 8)
        self.assertEqual(self.db_rows(), before)

    def test_show_remote_fault(self):
        self.assertExit(self.add(), 0)
        self.sandbox.fault("malformed", count=1)
        self.assertExit(self.twofa("user", "show", "f@example.com", "--remote"), 8)


if __name__ == "__main__":
    unittest.main()
