"""Twilio Verify v2 end to end: twofa with provider = "verify" against twofa-sandbox's /v2/, the
login matrix of the Authy tests (codes, resends and both providers' limits, push approved /
denied / expired by webhook and by polling, TOTP factors, faults, credentials) and the
webhook listener."""
import base64
import json
import os
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import API_KEY, PASSWORD, Sandbox, TwofaCase
from test_onetouch import Listener
from test_totp import oathtool

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "1234567890abcdef" * 2
SERVICE = "VA" + "0" * 32


class WebhookListener(Listener):
    """The listener of test_onetouch, posting Verify's form webhooks."""

    def post(self, form, signature, content_type="application/x-www-form-urlencoded"):
        data = urllib.parse.urlencode(form).encode()
        return self.request("POST", body=data, headers={"Content-Type": content_type,
                                                        "X-Twilio-Signature": signature})[0]

    def outcomes(self, at_least=0):
        return [line["outcome"] for line in self.lines(at_least)]


def twilio_signature(token, url, form):
    import hashlib
    import hmac
    data = url + "".join(k + v for k, v in sorted(form.items()))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


class VerifyCase(TwofaCase):
    def setUp(self):
        super().setUp()
        self.sandbox.stop()
        self.sandbox = Sandbox(self.home, extra=("--auth-token", AUTH_TOKEN, "--approve-after", "0.3"))
        self.env.update({"TWOFA_PROVIDER": "verify", "TWOFA_VERIFY_URL": self.sandbox.url,
                         "TWOFA_VERIFY_SERVICE_SID": SERVICE, "TWILIO_ACCOUNT_SID": ACCOUNT,
                         "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
        self.env.pop("AUTHY_API_KEY")

    def v2(self, method, path, form=None):
        """The sandbox's Verify API with HTTP Basic."""
        data = None if form is None else urllib.parse.urlencode(form, doseq=True).encode()
        auth = base64.b64encode(f"{ACCOUNT}:{AUTH_TOKEN}".encode()).decode()
        req = urllib.request.Request(f"{self.sandbox.url}/v2/Services/{SERVICE}{path}", data=data, method=method,
                                     headers={"Authorization": "Basic " + auth})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def identity(self, email="alice@example.com"):
        return self.query("SELECT provider_user FROM users WHERE email = ?", email)[0][0]

    def code_for(self, to="+15551230000"):
        msgs = self.sandbox.call("GET", "/sandbox/messages?to=" + urllib.parse.quote(to))[1]
        self.assertTrue(msgs, f"no code was sent to {to}")
        return msgs[-1]["code"]

    def verify(self, code, session):
        return self.twofa_json("verify", code, "--session", session)

    def push_device(self, email, answer):
        status, body = self.sandbox.call("POST", f"/sandbox/entities/{self.identity(email)}/push_device",
                                         {"answer": answer})
        self.assertEqual(status, 201, body)


class Enrollment(VerifyCase):
    def test_add_creates_an_entity_and_remove_deletes_it(self):
        r, doc = self.twofa_json("user", "add", "--email", "alice@example.com", "--phone", "555-123-0000",
                                 "--country-code", "1", "--password-stdin", input=PASSWORD + "\n")
        self.assertExit(r, 0)
        identity = doc["verify_identity"]
        self.assertRegex(identity, r"^[0-9a-f]{32}$")  # opaque: nothing of the email or phone
        status, entity = self.v2("GET", f"/Entities/{identity}")
        self.assertEqual((status, entity["identity"]), (200, identity))
        # A re-run with --if-not-exists changes nothing, at twofa or at Verify.
        self.assertExit(self.add_user("alice@example.com", "555-123-0000", "1", "Alice", "--if-not-exists"), 0)
        self.assertEqual(len(self.v2("GET", "/Entities")[1]["entities"]), 1)
        self.assertExit(self.twofa("user", "remove", "alice@example.com", "--yes"), 0)
        self.assertEqual(self.v2("GET", f"/Entities/{identity}")[0], 404)

    def test_the_sandbox_keeps_verify_records_in_its_state_file(self):
        state = os.path.join(self.home, "sandbox.json")
        self.sandbox.stop()
        self.sandbox = Sandbox(self.home, extra=("--auth-token", AUTH_TOKEN, "--state", state))
        self.env["TWOFA_VERIFY_URL"] = self.sandbox.url
        self.assertExit(self.add_user(), 0)
        self.push_device("alice@example.com", "approve")
        r, doc = self.login()
        self.assertExit(r, 3)
        code = self.code_for()
        self.assertEqual(os.stat(state).st_mode & 0o777, 0o600)
        self.sandbox.stop()
        self.sandbox = Sandbox(self.home, extra=("--auth-token", AUTH_TOKEN, "--state", state))
        self.env["TWOFA_VERIFY_URL"] = self.sandbox.url
        r, shown = self.twofa_json("user", "show", "alice@example.com", "--remote")
        self.assertExit(r, 0)
        self.assertIn("push", json.dumps(shown))
        self.assertExit(self.verify(code, doc["session"])[0], 0)  # the pending verification survived

    def test_show_remote_lists_the_factors(self):
        self.assertExit(self.add_user(), 0)
        r, doc = self.twofa_json("user", "show", "alice@example.com", "--remote")
        self.assertEqual((doc["remote"]["registered"], doc["remote"]["devices"]), (False, []))
        self.push_device("alice@example.com", "approve")
        r, doc = self.twofa_json("user", "show", "alice@example.com", "--remote")
        self.assertExit(r, 0)
        self.assertEqual((doc["remote"]["registered"], doc["remote"]["devices"]), (True, ["push"]))


class Codes(VerifyCase):
    def setUp(self):
        super().setUp()
        self.assertExit(self.add_user(), 0)

    def test_sms_code_logs_in_and_the_verification_is_gone_after(self):
        r, doc = self.login()
        self.assertExit(r, 3)
        self.assertEqual(doc["method"], "sms")
        code = self.code_for()
        self.assertExit(self.verify("000000" if code != "000000" else "111111", doc["session"])[0], 1)
        r, doc2 = self.verify(code, doc["session"])
        self.assertExit(r, 0)
        self.assertEqual(doc2["status"], "approved")
        # Verify deletes an approved verification: checking it again is 20404.
        status, body = self.v2("POST", "/VerificationCheck", {"To": "+15551230000", "Code": code})
        self.assertEqual((status, body["code"]), (404, 20404))

    def test_a_check_answers_the_verification_without_its_links(self):
        status, v = self.v2("POST", "/Verifications", {"To": "+15551239999", "Channel": "sms"})
        self.assertEqual(status, 201)
        status, check = self.v2("POST", "/VerificationCheck", {"To": "+15551239999", "Code": "000000"})
        self.assertEqual((status, check["status"], check["sid"]), (200, "pending", v["sid"]))
        self.assertEqual(set(v) - set(check), {"url", "lookup", "send_code_attempts", "sna"})
        self.assertEqual(set(check) - set(v), {"sna_attempts_error_codes"})

    def test_voice_code(self):
        r, doc = self.login(via="call")
        self.assertExit(r, 3)
        msgs = self.sandbox.call("GET", "/sandbox/messages")[1]
        self.assertEqual(msgs[-1]["via"], "call")
        self.assertExit(self.verify(self.code_for(), doc["session"])[0], 0)

    def test_email_code(self):
        r, doc = self.login(via="email")
        self.assertExit(r, 3)
        self.assertEqual(doc["method"], "email")
        msgs = self.sandbox.call("GET", "/sandbox/messages")[1]
        self.assertEqual((msgs[-1]["via"], msgs[-1]["to"]), ("email", "alice@example.com"))
        r = self.twofa("resend", "--session", doc["session"], "--via", "sms", env={})
        self.assertEqual(r.returncode, 5, r.stderr)  # too soon: one code per 30 s
        self.assertExit(self.verify(self.code_for("alice@example.com"), doc["session"])[0], 0)

    def test_five_wrong_codes_lock_the_session(self):
        r, doc = self.login()
        code = self.code_for()
        wrong = "000000" if code != "000000" else "111111"
        exits = [self.verify(wrong, doc["session"])[0].returncode for _ in range(6)]
        self.assertEqual(exits, [1, 1, 1, 1, 5, 5])
        checks = [q for q in self.api_requests() if q["path"].endswith("/VerificationCheck")]
        self.assertEqual(len(checks), 5)  # twofa's own limit stops the sixth before Verify sees it
        self.assertExit(self.verify(code, doc["session"])[0], 5)

    def test_resends_reach_verify_s_send_limit(self):
        self.write_config("[login]\nresend_interval = 0\n")
        r, first = self.login()
        for _ in range(2):
            self.assertExit(self.twofa("resend", "--session", first["session"]), 0)
        r, second = self.login()  # the same number: Verify's same verification
        self.assertExit(r, 3)
        self.assertExit(self.twofa("resend", "--session", second["session"]), 0)
        r = self.twofa("resend", "--session", second["session"])
        self.assertExit(r, 5)
        self.assertIn("60203", r.stderr)
        self.assertIn("wait 10 minutes", r.stderr)
        status, body = self.v2("POST", "/Verifications", {"To": "+15551230000", "Channel": "sms"})
        self.assertEqual((status, body["code"]), (429, 60203))

    def test_invalid_number_is_a_usage_error(self):
        self.assertExit(self.add_user("ivan@example.com", "555-123-4444"), 0)  # Verify keeps no numbers
        r, _ = self.login("ivan@example.com")
        self.assertExit(r, 2)
        self.assertIn("Invalid parameter: To", r.stderr)


class Faults(VerifyCase):
    def test_provider_faults_and_failmode(self):
        self.assertExit(self.add_user(), 0)
        self.sandbox.fault("503", count=3)
        r, _ = self.login()
        self.assertExit(r, 8)
        self.write_config('failmode = "safe"\n')
        self.sandbox.fault("503", count=3)
        r, doc = self.login()
        self.assertExit(r, 0)
        self.assertEqual(self.query("SELECT outcome FROM audit_events WHERE event = 'failmode.safe'"), [("allowed",)])

    def test_credentials(self):
        def add(env):
            return self.twofa("user", "add", "--email", "a@example.com", "--phone", "555-123-0000",
                              "--country-code", "1", "--password-stdin", input=PASSWORD + "\n", env=env)
        r = add({"TWILIO_AUTH_TOKEN": "f" * 32})
        self.assertExit(r, 9)
        self.assertIn("20003", r.stderr)
        self.assertIn("TWILIO_AUTH_TOKEN", r.stderr)  # the hint names what to fix
        self.assertExit(add({"TWILIO_AUTH_TOKEN": None}), 10)
        self.assertExit(add({"TWOFA_VERIFY_SERVICE_SID": "VA123"}), 10)
        self.assertExit(add({"TWILIO_ACCOUNT_SID": "AC123"}), 10)
        self.assertEqual(self.v2("GET", "/Entities")[1]["entities"], [])  # nothing half-made
        # From a 0600 file instead of the environment; a file others can read is refused.
        creds = os.path.join(self.home, "verify.toml")
        with open(creds, "w") as f:
            f.write(f'account_sid = "{ACCOUNT}"\nauth_token = "{AUTH_TOKEN}"\n')
        os.chmod(creds, 0o600)
        file_env = {"TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None, "TWOFA_VERIFY_CREDENTIALS_FILE": creds}
        self.assertExit(self.add_user(), 0)
        r = self.twofa("status", "--health", env=file_env)
        self.assertExit(r, 0)
        self.assertIn("Twilio Verify (credentials accepted)", r.stdout)
        os.chmod(creds, 0o644)
        self.assertExit(self.twofa("status", "--health", env=file_env), 10)
        bad = self.twofa("status", "--health", env={"TWILIO_AUTH_TOKEN": "f" * 32})
        self.assertEqual(bad.returncode, 9, bad.stdout + bad.stderr)
        self.assertIn("20003", bad.stdout + bad.stderr)


class Push(VerifyCase):
    def setUp(self):
        super().setUp()
        self.listener = WebhookListener(self.env, self.home)
        self.addCleanup(self.listener.stop)
        status, hook = self.v2("POST", "/Webhooks", {"FriendlyName": "twofa", "WebhookUrl": self.listener.url,
                                                     "EventTypes": ["challenge.approved", "challenge.denied"]})
        self.assertEqual(status, 201, hook)
        self.assertExit(self.add_user(), 0)

    def push_login(self, *extra):
        return self.twofa_json("login", "alice@example.com", "--password-stdin", "--via", "onetouch", *extra,
                               input=PASSWORD + "\n", timeout=60)

    def test_approved_by_webhook(self):
        self.push_device("alice@example.com", "approve")
        t = time.monotonic()
        r, doc = self.push_login()
        self.assertExit(r, 0)
        self.assertLess(time.monotonic() - t, 3)  # the webhook, not the 3 s poll
        self.assertEqual((doc["status"], doc["method"]), ("approved", "onetouch"))
        self.assertEqual(self.listener.outcomes(at_least=1), ["applied"])
        calls = self.sandbox.callbacks(lambda calls: calls and calls[0]["attempts"] > 0)
        self.assertEqual([(c["attempts"], c["http_status"], c["status"]) for c in calls], [(1, 200, "approved")])
        # The challenge carried the details that help the user decide.
        identity = self.identity()
        challenge = self.v2("GET", f"/Entities/{identity}/Challenges")[1]["challenges"][0]
        labels = [f["label"] for f in challenge["details"]["fields"]]
        self.assertEqual(labels[:3], ["Email", "Host", "Time"])
        self.assertEqual(list(challenge["hidden_details"]), ["session"])

    def test_denied_is_exit_1_and_auto_falls_back_to_a_code(self):
        self.push_device("alice@example.com", "deny")
        r, doc = self.push_login()
        self.assertExit(r, 1)
        self.assertIn("denied", r.stderr)
        self.assertEqual(self.twofa_json("status")[1]["status"], "denied")
        # With --via auto the push goes to the device; once denied, a code follows by SMS (which
        # this test, with no code on stdin, cannot type).
        self.sandbox.call("DELETE", "/sandbox/requests")
        r = self.twofa("login", "alice@example.com", "--password-stdin", input=PASSWORD + "\n")
        self.assertIn("Sent a login request to the Twilio Verify app", r.stderr)
        # Which devices, then the push on the push factor: one listing of the factors.
        listings = [q for q in self.sandbox.requests() if q["method"] == "GET" and q["path"].endswith("/Factors")]
        self.assertEqual(len(listings), 1, listings)
        self.assertIn("denied; sending a code by SMS instead", r.stderr)
        self.assertTrue(self.code_for())

    def test_never_answered_expires(self):
        self.write_config("[onetouch]\nseconds_to_expire = 2\n")
        self.push_device("alice@example.com", "never")
        r, _ = self.push_login()
        self.assertExit(r, 4)

    def test_without_webhooks_the_challenge_is_polled(self):
        self.listener.stop()
        self.push_device("alice@example.com", "approve")
        t = time.monotonic()
        r, doc = self.push_login()
        self.assertExit(r, 0)
        self.assertGreater(time.monotonic() - t, 2.5)  # the poll
        self.assertEqual(self.query("SELECT outcome FROM audit_events WHERE event = 'onetouch.poll'")[-1], ("approved",))

    def test_no_push_device_is_refused(self):
        r, _ = self.push_login()
        self.assertExit(r, 9)
        self.assertIn("no Verify Push device", r.stderr)

    def test_forged_and_stray_webhooks_change_nothing(self):
        self.push_device("alice@example.com", "never")
        r, doc = self.push_login("--no-wait")
        self.assertExit(r, 3)
        identity = self.identity()
        sid = self.v2("GET", f"/Entities/{identity}/Challenges")[1]["challenges"][0]["sid"]
        form = {"type": "challenge.approved", "service_sid": SERVICE, "entity_identity": identity,
                "challenge_sid": sid}
        self.assertEqual(self.listener.post(form, twilio_signature("f" * 32, self.listener.url, form)), 401)
        other = dict(form, service_sid="VA" + "1" * 32)
        self.assertEqual(self.listener.post(other, twilio_signature(AUTH_TOKEN, self.listener.url, other)), 200)
        stray = dict(form, challenge_sid="YC" + "2" * 32)
        self.assertEqual(self.listener.post(stray, twilio_signature(AUTH_TOKEN, self.listener.url, stray)), 200)
        self.assertEqual(self.twofa_json("status", "--session", doc["session"])[1]["status"], "onetouch")
        self.assertEqual(self.listener.outcomes(), ["bad-signature", "other-service", "unknown-request"])
        # The real one, as the sandbox's phone would send it, signed without the port.
        no_port = self.listener.url.replace(":" + self.listener.url.split(":")[2].split("/")[0], "")
        self.assertEqual(self.listener.post(form, twilio_signature(AUTH_TOKEN, no_port, form)), 200)
        self.assertEqual(self.twofa_json("status", "--session", doc["session"])[1]["status"], "approved")


class Mixed(VerifyCase):
    """Authy and Verify users in one database, one listener for both providers' callbacks."""

    def test_one_listener_serves_both_providers(self):
        self.env["AUTHY_API_KEY"] = API_KEY
        listener = WebhookListener(self.env, self.home)
        self.addCleanup(listener.stop)
        self.sandbox.stop()
        self.sandbox = Sandbox(self.home, extra=("--auth-token", AUTH_TOKEN, "--approve-after", "0.3",
                                                 "--callback-url", listener.url,
                                                 "--verify-webhook-url", listener.url))
        self.env.update({"TWOFA_VERIFY_URL": self.sandbox.url, "TWOFA_AUTHY_URL": self.sandbox.url})
        self.assertExit(self.add_user("alice@example.com", "555-123-0000", "1", "Alice", "--provider", "authy"), 0)
        self.assertExit(self.add_user("bob@example.com", "555-123-0000"), 0)
        self.push_device("bob@example.com", "approve")
        for email in ("alice@example.com", "bob@example.com"):
            t = time.monotonic()
            r, doc = self.twofa_json("login", email, "--password-stdin", "--via", "onetouch",
                                     input=PASSWORD + "\n", timeout=60)
            self.assertExit(r, 0)
            self.assertLess(time.monotonic() - t, 2.5, email)  # by the callback, not the poll
        self.assertEqual(listener.outcomes(at_least=2), ["applied", "applied"])
        self.assertEqual(self.query("SELECT email, provider FROM users ORDER BY email"),
                         [("alice@example.com", "authy"), ("bob@example.com", "verify")])
        r, _ = self.login("alice@example.com", via="email")
        self.assertExit(r, 2)
        self.assertIn("Authy sends no codes by email", r.stderr)


class TotpFactor(VerifyCase):
    def test_reset_shows_the_binding_once_confirm_then_log_in(self):
        self.assertExit(self.add_user(), 0)
        r, doc = self.twofa_json("user", "totp", "reset", "alice@example.com", "--yes")
        self.assertExit(r, 0)
        secret = doc["secret"]
        self.assertTrue(doc["otpauth_uri"].startswith("otpauth://totp/twofa%20sandbox:alice@example.com?secret="),
                        doc["otpauth_uri"])
        r, _ = self.login(via="token")
        self.assertExit(r, 9)  # not confirmed yet
        self.assertExit(self.twofa("user", "totp", "confirm", "alice@example.com", "000000"
                                   if oathtool(secret) != "000000" else "111111"), 1)
        self.assertExit(self.twofa("user", "totp", "confirm", "alice@example.com", oathtool(secret, time.time() - 30)), 0)
        factors = self.v2("GET", f"/Entities/{self.identity()}/Factors")[1]["factors"]
        self.assertEqual([(f["factor_type"], f["status"]) for f in factors], [("totp", "verified")])
        self.assertNotIn("binding", factors[0])  # Verify shows the secret only at creation
        r, doc = self.login(via="token")
        self.assertExit(r, 3)
        code = oathtool(secret)
        self.assertExit(self.verify(code, doc["session"])[0], 0)
        r, doc = self.login(via="token")
        self.assertExit(self.verify(code, doc["session"])[0], 1)  # each time step once
        r = self.twofa("user", "totp", "show", "alice@example.com", "--show-secret", "--yes")
        self.assertExit(r, 2)
        self.assertIn("only when the factor is made", r.stderr)
        # Another reset replaces the factor (a failing one is the unit test's).
        self.assertExit(self.twofa("user", "totp", "reset", "alice@example.com", "--yes"), 0)
        factors = self.v2("GET", f"/Entities/{self.identity()}/Factors")[1]["factors"]
        self.assertEqual([(f["factor_type"], f["status"]) for f in factors], [("totp", "unverified")])


if __name__ == "__main__":
    unittest.main()
