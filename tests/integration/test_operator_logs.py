"""What operators read: security events in syslog (a socket standing in for the daemon), the
listener's log levels, and serve-callback's --json start line."""
import json
import os
import subprocess
import unittest

from harness import PASSWORD, TWOFA, Datagrams, TwofaCase
from test_onetouch import Listener, OneTouchCase


class SecurityEventsToSyslog(TwofaCase):
    def setUp(self):
        super().setUp()
        path = os.path.join(self.home, "log")
        self.daemon = Datagrams(path)
        self.addCleanup(self.daemon.close)
        self.env["TWOFA_SYSLOG_SOCKET"] = path

    def test_logins_and_lockouts_reach_syslog_with_their_severity(self):
        self.assertExit(self.add_user(), 0)
        r, _ = self.login(password="wrong-password-1")
        self.assertExit(r, 1)
        r, doc = self.login()
        self.assertExit(r, 3)
        for _ in range(5):
            self.twofa("verify", "--session", doc["session"], "0000000")
        lines = self.daemon.lines()
        text = "\n".join(lines)
        self.assertEqual(len(lines), 10, text)  # add, 2 passwords, start, send, 5 checks
        # authpriv = 10: info 86, notice 85, warning 84; "twofa[PID]: EVENT OUTCOME user=..."
        self.assertRegex(text, r"<86>\w{3} [ \d]\d \d\d:\d\d:\d\d twofa\[\d+\]: user.add ok user=alice@example.com")
        self.assertRegex(text, r"<85>.* twofa\[\d+\]: login.password denied user=alice@example.com")
        self.assertRegex(text, r"<86>.* login.password ok user=alice@example.com")
        self.assertRegex(text, r"(?m)<85>.* code.check wrong user=alice@example.com session=[0-9a-f]{12}$")
        self.assertRegex(text, r"<84>.* code.check locked user=alice@example.com")
        for line in lines:  # never a password or a code
            self.assertNotIn(PASSWORD, line)
            self.assertNotIn("0000000", line)
        # The audit table and syslog tell the same story.
        events = self.query("SELECT event, outcome FROM audit_events ORDER BY id")
        logged = [tuple(l.split(": ", 1)[1].split()[:2]) for l in lines]
        self.assertEqual(logged, events)

    def test_facility_setting_and_off(self):
        self.assertExit(self.twofa(
            "user", "add", "--email", "b@example.com", "--phone", "555-123-0000", "--country-code", "1",
            "--password-stdin", input=PASSWORD + "\n", env={"TWOFA_SYSLOG_FACILITY": "local3"}), 0)
        self.assertTrue(self.daemon.lines()[0].startswith("<158>"))  # 19 * 8 + 6
        self.assertExit(self.twofa("user", "unlock", "b@example.com", env={"TWOFA_SYSLOG_FACILITY": "off"}), 0)
        self.assertEqual(self.daemon.lines(), [])
        r = self.twofa("user", "list", env={"TWOFA_SYSLOG_FACILITY": "kern"})
        self.assertExit(r, 10)
        self.assertIn("syslog.facility must be one of authpriv|auth", r.stderr)


class ListenerOutput(OneTouchCase):
    def test_systemd_readiness_and_stopping_notifications(self):
        # Type=notify: READY=1 once the port is bound, STOPPING=1 on SIGTERM, over $NOTIFY_SOCKET.
        path = os.path.join(self.home, "notify")
        manager = Datagrams(path)
        self.addCleanup(manager.close)
        proc = subprocess.Popen([TWOFA, "serve-callback", "--listen", "127.0.0.1:0"],
                                env={**self.env, "NOTIFY_SOCKET": path}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        url = proc.stdout.readline().split()[4]
        ready = manager.lines()
        self.assertEqual(len(ready), 1, ready)
        self.assertEqual(ready[0].split("\n"), ["READY=1", "STATUS=listening on " + url])
        proc.terminate()
        self.assertEqual(proc.wait(timeout=10), 0)
        proc.stdout.close()
        self.assertEqual(manager.lines(), ["STOPPING=1"])

    def test_json_start_line_and_levels_in_the_log(self):
        proc = subprocess.Popen([TWOFA, "--json", "serve-callback", "--listen", "127.0.0.1:0"], env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            doc = json.loads(proc.stdout.readline())
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            proc.stdout.close()
        self.assertRegex(doc["listening"], r"^http://127\.0\.0\.1:\d+/authy/callback$")
        self.assertEqual((doc["provider"], doc["database"]), ("authy", self.db))
        self.assertEqual(doc["public_url"], doc["listening"])

        listener = Listener(self.env, self.home)
        self.addCleanup(listener.stop)
        self.assertEqual(listener.request("GET", "/healthz")[0], 200)
        self.assertEqual(listener.request("POST", body={"x": 1})[0], 401)
        levels = [(l["status"], l["level"]) for l in listener.lines()]
        self.assertEqual(levels, [(200, "info"), (401, "warning")])


if __name__ == "__main__":
    unittest.main()
