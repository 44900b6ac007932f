"""Drives twofa-sandbox's Verify v2 with Debian's python3-twilio: verification create / fetch /
check, entities and pages, a TOTP factor verified and challenged, a push challenge answered on
the sandbox's phone, and every webhook checked with the library's own RequestValidator.
Usage: /usr/bin/python3 verify_python.py SANDBOX_URL ACCOUNT_SID AUTH_TOKEN; prints one JSON
document of what it saw."""
import hashlib
import hmac
import http.server
import json
import struct
import sys
import threading
import time
import urllib.parse
import urllib.request

from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

BASE, ACCOUNT, TOKEN = sys.argv[1:4]
SERVICE = "VA" + "0" * 32
out = {"calls": [], "webhooks": []}


def call(name, fn):
    out["calls"].append(name)
    return fn()


def sandbox(method, path, body=None):
    req = urllib.request.Request(BASE + path, data=None if body is None else json.dumps(body).encode(),
                                 method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def totp(secret_b32, at=None):
    import base64
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    msg = struct.pack(">Q", int((at or time.time()) // 30))
    h = hmac.new(key, msg, hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        params = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
        valid = RequestValidator(TOKEN).validate(url, params, self.headers.get("X-Twilio-Signature", ""))
        out["webhooks"].append({"type": params.get("type"), "valid": valid,
                                "challenge_sid": params.get("challenge_sid")})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


hooks = http.server.HTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=hooks.serve_forever, daemon=True).start()

client = Client(ACCOUNT, TOKEN)
client.verify.base_url = BASE
service = client.verify.v2.services(SERVICE)
out["service_name"] = call("services.fetch", lambda: service.fetch().friendly_name)
made = call("services.create", lambda: client.verify.v2.services.create(friendly_name="py", code_length=8))
out["new_service_code_length"] = made.code_length
out["services_listed"] = len(call("services.list", lambda: client.verify.v2.services.list()))

v = call("verifications.create", lambda: service.verifications.create(to="+15017122661", channel="sms"))
out["verification"] = {"sid": v.sid, "status": v.status, "channel": v.channel,
                       "date_created_type": type(v.date_created).__name__,
                       "attempts": len(v.send_code_attempts)}
out["fetched_status"] = call("verifications.fetch", lambda: service.verifications(v.sid).fetch().status)
code = sandbox("GET", "/sandbox/messages?to=%2B15017122661")[-1]["code"]
wrong = call("verification_checks.create", lambda: service.verification_checks.create(to="+15017122661", code="0000"))
right = call("verification_checks.create", lambda: service.verification_checks.create(to="+15017122661", code=code))
out["checks"] = [wrong.status, right.status, right.valid]
try:
    call("verification_checks.create", lambda: service.verification_checks.create(to="+15017122661", code=code))
    out["after_approval"] = None
except TwilioRestException as e:
    out["after_approval"] = [e.status, e.code]

for identity in ("py-identity-0001", "py-identity-0002"):
    call("entities.create", lambda: service.entities.create(identity=identity))
out["entities_paged"] = sorted(e.identity for e in
                               call("entities.list", lambda: service.entities.list(page_size=1)))

entity = service.entities("py-identity-0001")
factor = call("new_factors.create", lambda: entity.new_factors.create(friendly_name="py@example.com",
                                                                     factor_type="totp"))
out["binding_uri"] = factor.binding["uri"]
verified = call("factors.update", lambda: entity.factors(factor.sid).update(
    auth_payload=totp(factor.binding["secret"], time.time() - 30)))
out["factor_status"] = verified.status
ch = call("challenges.create", lambda: entity.challenges.create(
    factor_sid=factor.sid, auth_payload=totp(factor.binding["secret"])))
out["totp_challenge"] = ch.status

call("webhooks.create", lambda: service.webhooks.create(
    friendly_name="py", event_types=["challenge.approved", "challenge.denied"],
    webhook_url=f"http://127.0.0.1:{hooks.server_port}/hook"))
push_factor = sandbox("POST", "/sandbox/entities/py-identity-0002/push_device", {"answer": "never"})
push = call("challenges.create", lambda: service.entities("py-identity-0002").challenges.create(
    factor_sid=push_factor["sid"], details_message="Log in to host1?",
    details_fields=[{"label": "Host", "value": "host1"}], hidden_details={"session": "abc"}))
out["push_challenge"] = {"status": push.status, "details": push.details, "hidden": push.hidden_details}
sandbox("POST", f"/sandbox/challenges/{push.sid}/approve")
for _ in range(100):
    if out["webhooks"]:
        break
    time.sleep(0.05)
out["push_fetched"] = call("challenges.fetch", lambda: service.entities("py-identity-0002")
                           .challenges(push.sid).fetch().status)
out["push_sid"] = push.sid
print(json.dumps(out))
