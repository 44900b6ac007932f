"""Audit retention (audit.keep_days): `twofa audit prune`, and the listener pruning by itself."""
import time
import unittest

import authy_sign
from harness import TwofaCase
from test_onetouch import Listener

DAY = 86400


class Retention(TwofaCase):
    def age(self, *days):
        """Audit events of these ages (days), besides what the test wrote itself."""
        now = int(time.time())
        for d in days:
            self.query("INSERT INTO audit_events (at, event, outcome) VALUES (?, 'old.event', 'ok')",
                       now - int(d * DAY))

    def ages(self):
        now = int(time.time())
        return sorted(round((now - at) / DAY) for (at,) in
                      self.query("SELECT at FROM audit_events WHERE event = 'old.event'"))

    def test_prune_by_flag_or_setting(self):
        self.assertExit(self.add_user(), 0)
        self.age(400, 90, 31, 29, 1)
        r, doc = self.twofa_json("audit", "prune")
        self.assertExit(r, 2)  # keep forever by default: nothing to prune by
        self.assertIn("audit.keep_days", doc["error"]["message"])
        self.assertEqual(self.ages(), [1, 29, 31, 90, 400])
        r, doc = self.twofa_json("audit", "prune", "--keep-days", "60")
        self.assertExit(r, 0)
        self.assertEqual(doc["removed"], 2)  # the 400- and the 90-day-old ones
        self.assertEqual(self.ages(), [1, 29, 31])

    def test_the_setting_and_the_user_add_event_survive(self):
        self.assertExit(self.add_user(), 0)
        self.age(40, 35)
        self.write_config("[audit]\nkeep_days = 30\n")
        r = self.twofa("audit", "prune")
        self.assertExit(r, 0)
        self.assertIn("Removed 2 audit events older than 30 days", r.stdout)
        self.assertEqual(self.ages(), [])
        self.assertEqual(self.query("SELECT COUNT(*) FROM audit_events WHERE event = 'user.add'"), [(1,)])
        self.assertExit(self.twofa("audit", "prune", "--keep-days", "0"), 2)

    def test_the_listener_prunes_between_batches(self):
        self.assertExit(self.add_user(), 0)
        self.age(10, 3, 0.25)
        self.write_config("[audit]\nkeep_days = 2\n")
        listener = Listener(self.env, self.home)
        self.addCleanup(listener.stop)
        status, _ = listener.signed(authy_sign.callback_body(1, "00000000-0000-4000-8000-000000000000"))
        self.assertEqual(status, 200)  # nothing to change, but a batch: the writer prunes after it
        self.assertEqual(self.ages(), [0])
        # Once an hour: events that age past the limit now wait for the next round.
        self.age(5)
        listener.signed(authy_sign.callback_body(1, "00000000-0000-4000-8000-000000000001"))
        self.assertEqual(self.ages(), [0, 5])


if __name__ == "__main__":
    unittest.main()
