"""The official Twilio libraries prove the sandbox's Verify v2: Debian's python3-twilio and
npm's twilio (installed by scripts/bootstrap into tests/clients) drive verification create /
fetch / check, services, entities with paging, TOTP and push factors and challenges, and
validate every webhook the sandbox sends with their own RequestValidator / validateRequest.
A sandbox answer a real client cannot parse fails here."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import Sandbox

CLIENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients")
AUTH_TOKEN = "fedcba9876543210fedcba9876543210"
ACCOUNT = "AC" + "0123456789abcdef" * 2


class OfficialClients(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="twofa-clients-")
        self.sandbox = Sandbox(self.home, extra=("--auth-token", AUTH_TOKEN, "--approve-after", "3600"))

    def tearDown(self):
        self.sandbox.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def run_client(self, argv):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.home}
        r = subprocess.run([*argv, self.sandbox.url, ACCOUNT, AUTH_TOKEN], capture_output=True, text=True,
                           env=env, timeout=120, cwd=CLIENTS)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return json.loads(r.stdout)

    def check_run(self, out, check_name, fetch_name):
        self.assertEqual(out["service_name"], "twofa sandbox")
        self.assertEqual(out["new_service_code_length"], 8)
        self.assertEqual(out["verification"]["status"], "pending")
        self.assertEqual(out["verification"]["channel"], "sms")
        self.assertEqual(out["verification"]["attempts"], 1)
        self.assertIn(out["verification"]["date_created_type"], ("datetime", "Date"))  # parsed, not raw text
        self.assertEqual(out["fetched_status"], "pending")
        self.assertEqual(out["checks"], ["pending", "approved", True])
        self.assertEqual(out["after_approval"], [404, 20404])
        self.assertEqual(len(out["entities_paged"]), 2)
        self.assertTrue(out["binding_uri"].startswith("otpauth://totp/twofa%20sandbox:"), out["binding_uri"])
        self.assertEqual(out["factor_status"], "verified")
        self.assertEqual(out["totp_challenge"], "approved")
        push = out["push_challenge"]
        self.assertEqual(push["status"], "pending")
        self.assertEqual(push["details"]["message"], "Log in to host1?")
        self.assertEqual(push["details"]["fields"], [{"label": "Host", "value": "host1"}])
        self.assertEqual(push["hidden"], {"session": "abc"})
        self.assertEqual(len(out["webhooks"]), 1)
        self.assertTrue(out["webhooks"][0]["valid"], "the library refused the sandbox's X-Twilio-Signature")
        self.assertEqual(out["webhooks"][0]["challenge_sid"], out["push_sid"])
        self.assertIn(check_name, out["calls"])
        self.assertIn(fetch_name, out["calls"])
        # PageSize=1 over two entities: the client followed next_page_url back to the sandbox.
        pages = [q for q in self.sandbox.requests() if q["method"] == "GET" and q["path"].endswith("/Entities")]
        self.assertEqual(len(pages), 2)

    def test_python3_twilio(self):
        out = self.run_client(["/usr/bin/python3", "verify_python.py"])
        self.check_run(out, "verification_checks.create", "challenges.fetch")
        self.assertEqual(out["push_fetched"], "approved")
        self.assertEqual(out["webhooks"][0]["type"], "challenge.approved")

    def test_npm_twilio(self):
        self.assertTrue(os.path.exists(os.path.join(CLIENTS, "node_modules", "twilio", "package.json")),
                        "npm's twilio is missing: run scripts/bootstrap")
        out = self.run_client(["node", "verify_node.js"])
        self.check_run(out, "verificationChecks.create", "challenges.fetch")
        self.assertEqual(out["push_fetched"], "denied")
        self.assertEqual(out["webhooks"][0]["type"], "challenge.denied")


if __name__ == "__main__":
    unittest.main()
