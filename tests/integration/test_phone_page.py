"""The sandbox's phone in a real browser: headless Chromium opens GET /phone while `twofa login`
waits for a push, sees the push (message, details, Approve / Deny), the user's app code and
inbox, clicks Approve, and the login exits 0. Client-supplied text stays text."""
import json
import os
import shutil
import subprocess
import unittest
import urllib.request

from harness import PASSWORD, TWOFA
from test_onetouch import OneTouchCase

CLIENTS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "clients"))


class PhonePage(OneTouchCase):
    approve_after = "3600"  # only the browser answers

    def browser(self, email):
        r = subprocess.run(["node", os.path.join(CLIENTS, "phone_page.js"), self.sandbox.url, email],
                           capture_output=True, text=True, timeout=90, cwd=CLIENTS)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_approve_in_the_browser_logs_in(self):
        self.assertTrue(shutil.which("chromium") or os.path.exists("/usr/bin/chromium"),
                        "scripts/bootstrap installs Debian's chromium")
        self.enroll("alice@example.com", "555-123-0000")
        # A name that would be markup if the page used innerHTML.
        self.assertExit(self.add_user(email="bob@example.com", phone="555-123-2222",
                                      name="<img src=x onerror=alert(1)>"), 0)
        self.twofa("login", "bob@example.com", "--password-stdin", "--via", "sms", "--no-wait",
                   input=PASSWORD + "\n")
        login = subprocess.Popen([TWOFA, "login", "alice@example.com", "--password-stdin", "--via", "onetouch"],
                                 env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        login.stdin.write(PASSWORD + "\n")
        login.stdin.close()
        seen = self.browser("alice@example.com")
        login.wait(timeout=30)
        out, err = login.stdout.read(), login.stderr.read()
        login.stdout.close()
        login.stderr.close()
        self.assertEqual(login.returncode, 0, err)
        self.assertIn("Logged in as alice@example.com.", out)
        # What the page showed: the push with its details and both buttons, the users' cards.
        push = seen["push"]
        self.assertEqual(push["buttons"], ["Approve", "Deny"])
        self.assertTrue(seen["kept"], "the push's card was rebuilt by a refresh")
        for text in ("Request to log in", "alice@example.com (Authy)", "Email", "Host", "expires in"):
            self.assertIn(text, push["text"])
        self.assertRegex(seen["code"], r"^\d{7}$")
        bob = [u for u in seen["users"] if "bob@example.com" in u][0]
        self.assertIn("no app installed", bob)
        self.assertRegex(bob, r"sms: \d{7}")  # the SMS inbox
        self.assertEqual(seen["errors"], [])
        self.assertTrue(seen["status"].startswith("updated "), seen["status"])
        # The push left the list, approved.
        with urllib.request.urlopen(self.sandbox.url + "/sandbox/pushes") as r:
            self.assertEqual(json.loads(r.read()), [])
        self.assertEqual(self.query("SELECT status FROM login_sessions WHERE method = 'onetouch'"), [("approved",)])

    def test_the_page_and_the_pending_list(self):
        with urllib.request.urlopen(self.sandbox.url + "/phone") as r:
            self.assertEqual(r.headers["Content-Type"], "text/html; charset=utf-8")
            self.assertIn("default-src 'none'", r.headers["Content-Security-Policy"])
            page = r.read().decode()
        self.assertIn("<title>twofa-sandbox phone</title>", page)
        self.assertNotIn("innerHTML", page)
        aid, sid, uuid = self.pending()
        with urllib.request.urlopen(self.sandbox.url + "/sandbox/pushes") as r:
            pushes = json.loads(r.read())
        self.assertEqual([(p["uuid"], p["kind"], p["authy_id"], p["email"]) for p in pushes],
                         [(uuid, "authy", aid, "nora@example.com")])
        self.assertIn(["Email", "nora@example.com"], pushes[0]["details"])


if __name__ == "__main__":
    unittest.main()
