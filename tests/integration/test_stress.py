"""The crash and load scripts of scripts/stress/, with small counts (longer runs: call the
scripts by hand with larger ones)."""
import os
import subprocess
import sys
import unittest

from harness import SANDBOX, TWOFA

STRESS = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "stress")


def stress(name, *counts):
    return subprocess.run([sys.executable, os.path.join(STRESS, name), *map(str, counts)],
                          capture_output=True, text=True, timeout=240,
                          env={**os.environ, "TWOFA_BIN": TWOFA, "TWOFA_SANDBOX_BIN": SANDBOX})


class Stress(unittest.TestCase):
    def test_kill_9_of_the_listener_loses_no_acknowledged_callback(self):
        r = stress("kill_listener", 8, 6)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("acknowledged but lost: 0", r.stdout)

    def test_racing_processes_never_pass_a_limit(self):
        r = stress("races", 25)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout.count(": ok"), 4, r.stdout)


if __name__ == "__main__":
    unittest.main()
