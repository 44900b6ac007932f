"""twofa-sandbox speaks the Authy API strictly: keys, encodings, errors, scenarios, state."""
import os
import select
import socket
import subprocess
import time
import unittest
import urllib.parse
import urllib.request

from harness import API_KEY, SANDBOX, TIME_SCALE, Sandbox, TwofaCase

KEY = {"X-Authy-API-Key": API_KEY}


class SandboxApi(TwofaCase):
    def new_user(self, body, headers=None, query=""):
        return self.sandbox.call("POST", "/protected/json/users/new" + query, body, {**KEY, **(headers or {})})

    def test_api_key_is_required(self):
        for headers in ({}, {"X-Authy-API-Key": "wrong"}, {"X-Authy-API-Key": API_KEY + "x"}):
            status, body = self.sandbox.call("GET", "/protected/json/users/1/status", headers=headers)
            self.assertEqual(status, 401)
            self.assertEqual(body["error_code"], "60001")  # a string, as Authy sends it
            self.assertIs(body["success"], False)
            self.assertEqual(body["errors"]["message"], "Invalid API key")

    def test_three_encodings_of_users_new(self):
        status, body = self.new_user({"user": {"email": "j@example.com", "cellphone": "5551230000",
                                               "country_code": 1}})
        self.assertEqual(status, 200)
        self.assertEqual(body["message"], "User created successfully.")
        self.assertIsInstance(body["user"]["id"], int)
        form = urllib.parse.urlencode({"user[email]": "r@example.com", "user[cellphone]": "5551231111",
                                       "user[country_code]": "44"}).encode()
        status, body = self.new_user(form, {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(status, 200)
        query = "?" + urllib.parse.urlencode({"user[email]": "p@example.com", "user[cellphone]": "5551232222",
                                              "user[country_code]": "1"})
        status, body = self.new_user(b"", query=query)
        self.assertEqual(status, 200)
        self.assertEqual(len(self.sandbox.users()), 3)

    def test_codes_by_sms_and_call_and_the_ignored_answer(self):
        _, app_user = self.new_user({"user": {"email": "a@example.com", "cellphone": "5551230000", "country_code": 1}})
        _, no_app = self.new_user({"user": {"email": "n@example.com", "cellphone": "5551232222", "country_code": 1}})
        a, n = app_user["user"]["id"], no_app["user"]["id"]
        status, body = self.sandbox.call("GET", f"/protected/json/sms/{a}", headers=KEY)
        self.assertEqual((status, body["ignored"], body["success"]), (200, True, True))  # has the app, no force
        self.assertEqual(self.sandbox.messages(), [])
        status, body = self.sandbox.call("GET", f"/protected/json/sms/{a}?force=true", headers=KEY)
        self.assertEqual((status, body["message"]), (200, "SMS token was sent"))
        self.assertNotIn("ignored", body)
        status, body = self.sandbox.call("GET", f"/protected/json/call/{n}", headers=KEY)  # no app: no force needed
        self.assertEqual((status, body["message"]), (200, "Call started..."))
        msgs = self.sandbox.messages()
        self.assertEqual([(m["authy_id"], m["via"]) for m in msgs], [(a, "sms"), (n, "call")])
        self.assertTrue(all(len(m["code"]) == 7 and m["code"].isdigit() for m in msgs))
        self.assertEqual(len(self.sandbox.messages(n)), 1)
        status, body = self.sandbox.call("GET", "/protected/json/sms/999999?force=true", headers=KEY)
        self.assertEqual((status, body["error_code"]), (404, "60026"))
        self.assertEqual(self.sandbox.call("GET", f"/protected/json/sms/{a}?force=true")[0], 401)

    def test_verify_bodies_valid_invalid_reused(self):
        _, u = self.new_user({"user": {"email": "v@example.com", "cellphone": "5551232222", "country_code": 1}})
        uid = u["user"]["id"]
        self.sandbox.call("GET", f"/protected/json/sms/{uid}", headers=KEY)
        self.sandbox.call("GET", f"/protected/json/sms/{uid}", headers=KEY)
        old, new = [m["code"] for m in self.sandbox.messages(uid)]
        if old != new:  # only the newest code counts
            status, body = self.sandbox.call("GET", f"/protected/json/verify/{old}/{uid}", headers=KEY)
            self.assertEqual((status, body["error_code"], body["token"]), (401, "60020", "is invalid"))
        status, body = self.sandbox.call("GET", f"/protected/json/verify/{new}/{uid}?force=true", headers=KEY)
        self.assertEqual(status, 200)
        self.assertEqual((body["token"], body["success"], body["message"]), ("is valid", "true", "Token is valid."))
        status, body = self.sandbox.call("GET", f"/protected/json/verify/{new}/{uid}", headers=KEY)
        self.assertEqual((status, body["error_code"]), (401, "60019"))
        token = self.sandbox.app_token(uid)
        self.assertEqual(len(token), 7)
        self.assertEqual(self.sandbox.call("GET", f"/protected/json/verify/{token}/{uid}", headers=KEY)[0], 200)
        self.assertEqual(self.sandbox.call("GET", f"/protected/json/verify/{token}/{uid}", headers=KEY)[1]["error_code"],
                         "60019")
        self.assertEqual(self.sandbox.call("GET", "/sandbox/users/424242/token")[0], 404)

    def test_known_email_returns_the_same_id(self):
        _, a = self.new_user({"user": {"email": "same@example.com", "cellphone": "5551230000", "country_code": 1}})
        _, b = self.new_user({"user": {"email": "SAME@example.com", "cellphone": "5551230000", "country_code": 1}})
        self.assertEqual(a["user"]["id"], b["user"]["id"])

    def test_validation_errors(self):
        status, body = self.new_user({"user": {"email": "nope", "cellphone": "5551230000", "country_code": 1}})
        self.assertEqual(status, 400)
        self.assertEqual(body["error_code"], "60027")
        self.assertEqual(body["errors"]["email"], "is invalid")
        status, body = self.new_user({"user": {"email": "a@example.com", "cellphone": "12", "country_code": 1}})
        self.assertEqual((status, body["error_code"], body["cellphone"]), (400, "60027", "is invalid"))
        status, body = self.new_user({"user": {"email": "a@example.com", "cellphone": "5551234444", "country_code": 1}})
        self.assertEqual((status, body["error_code"]), (400, "60033"))
        status, body = self.new_user(b"{not json", {"Content-Type": "application/json"})
        self.assertEqual(status, 400)
        self.assertEqual(self.sandbox.users(), [])

    def test_status_and_app_scenarios(self):
        ids = {}
        for suffix in ("0000", "1111", "2222", "3333"):
            _, body = self.new_user({"user": {"email": f"s{suffix}@example.com", "cellphone": "555123" + suffix,
                                              "country_code": 1}})
            ids[suffix] = body["user"]["id"]
        for suffix, app in (("0000", True), ("1111", True), ("2222", False), ("3333", True)):
            status, body = self.sandbox.call("GET", f"/protected/json/users/{ids[suffix]}/status", headers=KEY)
            self.assertEqual(status, 200)
            self.assertEqual(body["status"]["registered"], app, suffix)
            self.assertEqual(body["status"]["phone_number"], "XXX-XXX-" + suffix)
            self.assertIs(body["success"], True)

    def test_three_delete_paths_and_unknown_user(self):
        for path in ("/protected/json/users/{}/delete", "/protected/json/users/delete/{}",
                     "/protected/json/users/{}/remove"):
            _, body = self.new_user({"user": {"email": "d@example.com", "cellphone": "5551230000", "country_code": 1}})
            uid = body["user"]["id"]
            status, body = self.sandbox.call("POST", path.format(uid), b"", KEY)
            self.assertEqual(status, 200, path)
            status, body = self.sandbox.call("POST", path.format(uid), b"", KEY)
            self.assertEqual((status, body["error_code"]), (404, "60026"), path)
        status, body = self.sandbox.call("GET", "/protected/json/users/999999/status", headers=KEY)
        self.assertEqual((status, body["error_code"], body["message"]), (404, "60026", "User not found."))

    def test_fault_control_rejects_unknown_kinds(self):
        status, _ = self.sandbox.call("POST", "/sandbox/faults", {"kind": "explode"})
        self.assertEqual(status, 400)

    def test_state_file_survives_a_restart(self):
        state = os.path.join(self.home, "sandbox-state.json")
        sb = Sandbox(self.home, extra=("--state", state))
        try:
            status, body = sb.call("POST", "/protected/json/users/new",
                                   {"user": {"email": "keep@example.com", "cellphone": "5551230000",
                                             "country_code": 1}}, KEY)
            self.assertEqual(status, 200)
            uid = body["user"]["id"]
        finally:
            self.assertEqual(sb.stop(), 0)  # SIGTERM: a clean exit
        self.assertEqual(os.stat(state).st_mode & 0o777, 0o600)
        sb = Sandbox(self.home, extra=("--state", state))
        try:
            self.assertEqual([u["authy_id"] for u in sb.users()], [uid])
            _, body = sb.call("POST", "/protected/json/users/new",
                              {"user": {"email": "next@example.com", "cellphone": "5551230000",
                                        "country_code": 1}}, KEY)
            self.assertGreater(body["user"]["id"], uid)
        finally:
            sb.stop()

    def test_force_takes_the_truthy_forms_authy_took(self):
        _, body = self.new_user({"user": {"email": "f@example.com", "cellphone": "5551230000", "country_code": 1}})
        aid = body["user"]["id"]
        status, body = self.sandbox.call("GET", f"/protected/json/sms/{aid}", headers=KEY)
        self.assertTrue(body.get("ignored"))  # the app user, no force
        for value in ("true", "True", "TRUE", "1", "t", "on"):
            status, body = self.sandbox.call("GET", f"/protected/json/sms/{aid}?force={value}", headers=KEY)
            self.assertEqual((status, body.get("ignored")), (200, None), value)
        for value in ("false", "0", "yes", ""):
            status, body = self.sandbox.call("GET", f"/protected/json/call/{aid}?force={value}", headers=KEY)
            self.assertTrue(body.get("ignored"), value)
        self.assertEqual(len(self.sandbox.messages(aid)), 6)

    def test_non_numeric_ids_and_bodiless_posts_get_authy_errors(self):
        for path in ("/protected/json/users/tony/status", "/protected/json/sms/abc",
                     "/protected/json/users/12abc/status", "/protected/json/verify/123456/tony"):
            status, body = self.sandbox.call("GET", path, headers=KEY)
            self.assertEqual((status, body["error_code"], body["message"]), (404, "60026", "User not found."), path)
        status, body = self.sandbox.call("POST", "/protected/json/users/tony/delete", b"", headers=KEY)
        self.assertEqual((status, body["error_code"]), (404, "60026"))
        import socket
        host, port = self.sandbox.url.split("//")[1].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            started = time.monotonic()
            sock.sendall(f"POST /protected/json/users/new HTTP/1.1\r\nHost: {host}\r\n"
                         f"X-Authy-API-Key: {API_KEY}\r\nConnection: close\r\n\r\n".encode())
            raw = b""
            while chunk := sock.recv(4096):
                raw += chunk
            self.assertLess(time.monotonic() - started, 2)  # no wait for a body that is not coming
        head, _, body = raw.partition(b"\r\n\r\n")
        self.assertEqual(int(head.split()[1]), 400, raw)
        self.assertIn(b'"error_code":"60027"', body)  # users/new without parameters
        self.assertIn(b'"success":false', body)  # an Authy error body, not an empty 400

    def test_phone_verification_and_information(self):
        def call(method, path, **params):
            query = urllib.parse.urlencode(params)
            if method == "POST":
                return self.sandbox.call("POST", path, urllib.parse.urlencode(params).encode(),
                                         {**KEY, "Content-Type": "application/x-www-form-urlencoded"})
            return self.sandbox.call("GET", f"{path}?{query}", headers=KEY)
        base = "/protected/json/phones/verification"
        status, body = call("POST", base + "/start", via="sms", phone_number="111-111-1111", country_code="1",
                            code_length="6", locale="en")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["message"], "Text message sent to +1 111-111-1111.")
        self.assertRegex(body["uuid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        self.assertEqual((body["is_cellphone"], body["is_ported"], body["success"]), (True, False, True))
        self.assertEqual(body["seconds_to_expire"], 599)
        msgs = self.sandbox.call("GET", "/sandbox/messages?to=%2B11111111111")[1]
        self.assertEqual((len(msgs), msgs[0]["via"], len(msgs[0]["code"])), (1, "sms", 6))
        code = msgs[0]["code"]
        status, body = call("GET", base + "/status", phone_number="111-111-1111", country_code="1")
        self.assertEqual((status, body["status"]), (200, "pending"))
        status, body = call("GET", base + "/check", phone_number="111-111-1111", country_code="1",
                            verification_code="0" * 6 if code != "0" * 6 else "1" * 6)
        self.assertEqual((status, body["error_code"], body["success"]), (401, "60022", False))
        status, body = call("GET", base + "/check", phone_number="111-111-1111", country_code="1",
                            verification_code=code)
        self.assertEqual((status, body), (200, {"message": "Verification code is correct.", "success": True}))
        self.assertEqual(call("GET", base + "/status", phone_number="111-111-1111", country_code="1")[1]["status"],
                         "verified")
        status, body = call("GET", base + "/check", phone_number="111-111-1111", country_code="1",
                            verification_code=code)
        self.assertEqual((status, body["error_code"]), (404, "60023"))
        status, body = call("POST", base + "/start", via="call", phone_number="111-111-1111", country_code="1")
        self.assertEqual(body["message"], "Call to +1 111-111-1111 initiated.")
        self.assertEqual(len(self.sandbox.call("GET", "/sandbox/messages?to=%2B11111111111")[1][-1]["code"]), 4)
        for bad in ({"via": "fax"}, {"code_length": "3"}, {"code_length": "11"}):
            self.assertEqual(call("POST", base + "/start", phone_number="111-111-1111", country_code="1", **bad)[0],
                             400, bad)
        status, body = call("POST", base + "/start", phone_number="555-123-4444", country_code="1")
        self.assertEqual((status, body["error_code"]), (400, "60033"))
        # A malformed JSON body is answered (400), also on the GET calls.
        status, body = self.sandbox.call("GET", base + "/check", b"{", {**KEY, "Content-Type": "application/json"})
        self.assertEqual((status, body["error_code"]), (400, "60000"))
        status, body = call("GET", "/protected/json/phones/info", phone_number="555-123-2222", country_code="1")
        self.assertEqual((status, body["type"], body["ported"], body["success"]), (200, "landline", False, True))
        self.assertTrue(body["message"].startswith("Phone number information as of "))

    def test_stats_activity_qr_install_link_and_os_type(self):
        _, body = self.new_user({"user": {"email": "q@example.com", "cellphone": "5551230000", "country_code": 1},
                                 "send_install_link_via_sms": True})
        aid = body["user"]["id"]
        msgs = self.sandbox.messages(aid)
        self.assertEqual((msgs[0]["code"], msgs[0]["via"]), ("", "sms"))
        self.assertIn("https://authy.com/download", msgs[0]["text"])
        status, stats = self.sandbox.call("GET", "/protected/json/app/stats", headers=KEY)
        self.assertEqual((status, stats["count"], len(stats["stats"]), stats["total_users"]), (200, 12, 12, 1))
        self.assertEqual(stats["message"], "Monthly statistics.")
        status, body = self.sandbox.call("POST", f"/protected/json/users/{aid}/register_activity",
                                         {"type": "cookie_login", "data": {"a": "b"}}, KEY)
        self.assertEqual((status, body), (200, {"message": "Activity was created.", "success": True}))
        self.assertEqual(self.sandbox.call("POST", "/protected/json/users/999/register_activity", {}, KEY)[0], 404)
        status, body = self.sandbox.call("POST", f"/protected/json/users/{aid}/secret", {"qr_size": 300}, KEY)
        self.assertEqual((status, body["label"]), (200, "q@example.com"))
        self.assertTrue(body["qr_code"].startswith(self.sandbox.url + "/sandbox/users/"), body)
        with urllib.request.urlopen(body["qr_code"], timeout=5) as r:
            self.assertEqual(r.headers["Content-Type"], "image/svg+xml")
            self.assertTrue(r.read().startswith(b"<svg"))
        # A verified SMS code says os_type sms; the app's code says the app's device.
        self.sandbox.call("GET", f"/protected/json/sms/{aid}?force=true", headers=KEY)
        status, body = self.sandbox.call("GET", f"/protected/json/verify/{self.sandbox.latest_code(aid)}/{aid}",
                                         headers=KEY)
        self.assertEqual((status, body["device"]["os_type"]), (200, "sms"))
        status, body = self.sandbox.call("GET", f"/protected/json/verify/{self.sandbox.app_token(aid)}/{aid}",
                                         headers=KEY)
        self.assertEqual((status, body["device"]["os_type"], body["device"]["id"]), (200, "android", aid + 1))

    def test_logos_are_echoed_and_ids_look_like_authy_s(self):
        _, body = self.new_user({"user": {"email": "l@example.com", "cellphone": "5551233333", "country_code": 1}})
        aid = body["user"]["id"]
        logos = [{"res": "default", "url": "https://example.com/logo.png"},
                 {"res": "low", "url": "https://example.com/low.png"}]
        status, body = self.sandbox.call("POST", f"/onetouch/json/users/{aid}/approval_requests",
                                         {"message": "Log in?", "logos": logos}, KEY)
        self.assertEqual(status, 200, body)
        uuid = body["approval_request"]["uuid"]
        status, body = self.sandbox.call("GET", f"/onetouch/json/approval_requests/{uuid}", headers=KEY)
        self.assertEqual(body["approval_request"]["logos"], logos)
        self.assertRegex(body["approval_request"]["_id"], r"^[0-9a-f]{24}$")

    def test_a_burst_of_connections_is_accepted_at_once(self):
        # 300 connects at the same moment (an import's jobs, a benchmark's clients): with a
        # listen backlog of 5 most would wait for a SYN retry, a second or more.
        host, port = self.sandbox.url.split("//")[1].split(":")
        socks = []
        start = time.monotonic()
        for _ in range(300):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex((host, int(port)))
            socks.append(s)
        pending = list(socks)
        while pending and time.monotonic() - start < 5:
            _, writable, _ = select.select([], pending, [], 0.1)
            pending = [s for s in pending if s not in writable]
        took = time.monotonic() - start
        errors = [s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) for s in socks]
        for s in socks:
            s.close()
        self.assertEqual(pending, [])
        self.assertEqual(set(errors), {0})
        self.assertLess(took, 0.9 * TIME_SCALE)

    def test_refuses_non_loopback_and_missing_key(self):
        r = subprocess.run([SANDBOX, "--listen", "0.0.0.0:0", "--api-key", "k"], capture_output=True, text=True,
                           timeout=10)
        self.assertEqual(r.returncode, 2)
        r = subprocess.run([SANDBOX, "--listen", "127.0.0.1:0"], capture_output=True, text=True, timeout=10,
                           env={"PATH": os.environ.get("PATH", "")})
        self.assertEqual(r.returncode, 10)


if __name__ == "__main__":
    unittest.main()
