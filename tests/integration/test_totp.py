"""Offline TOTP end to end: codes from oathtool, one use per time step (also racing), the
window's edges, recovery codes, a real google-authenticator file, a database copy without
the key file, mixed installations, and the QR code in an 80x24 tmux pane decoded by zbarimg."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import PASSWORD, TWOFA, TwofaCase

TOTP_ENV = {"TWOFA_PROVIDER": "totp"}


def oathtool(secret, at=None, digits=6, algorithm="sha1", period=30):
    args = ["oathtool", f"--totp={algorithm}", "-b", f"--digits={digits}", f"--time-step-size={period}s", secret]
    if at is not None:
        args.insert(1, f"--now=@{int(at)}")
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()


def away_from_step_edge(period=30, margin=4):
    """Waits until at least `margin` s remain in the current time step, so a code computed now
    is checked in the same step."""
    left = period - time.time() % period
    if left < margin:
        time.sleep(left + 0.2)


class Totp(TwofaCase):
    def add_totp(self, email="tina@example.com", *extra, env=TOTP_ENV):
        r, doc = self.twofa_json("user", "add", "--email", email, "--password-stdin", *extra,
                                 input=PASSWORD + "\n", env=env)
        self.assertExit(r, 0)
        return doc

    def confirm(self, email, secret):
        """Confirms with the previous step's code (in the window), leaving the current step's
        code unused; the caller's next code must come within the same step."""
        away_from_step_edge(margin=10)
        self.assertExit(self.twofa("user", "totp", "confirm", email,
                                   oathtool(secret, time.time() - 30)), 0)

    def start(self, email="tina@example.com"):
        r, doc = self.login(email, via="auto")
        self.assertExit(r, 3)
        self.assertEqual(doc["method"], "token")
        return doc["session"]

    def verify(self, code, session=None, **kw):
        extra = ["--session", session] if session else []
        return self.twofa_json("verify", code, *extra, **kw)

    def test_enrollment_shows_the_secret_once_and_needs_a_first_code(self):
        doc = self.add_totp()
        self.assertEqual(doc["provider"], "totp")
        self.assertTrue(doc["otpauth_uri"].startswith(
            "otpauth://totp/twofa:tina@example.com?secret=" + doc["secret"] + "&issuer=twofa"))
        self.assertEqual(len(doc["recovery_codes"]), 10)
        self.assertEqual(doc["phone"], "")
        # Never again without --show-secret: not in list, show, or the audit trail.
        for args in (("user", "list"), ("user", "show", "tina@example.com", "--remote")):
            r = self.twofa("--json", *args)
            self.assertExit(r, 0)
            self.assertNotIn(doc["secret"], r.stdout)
        audit = json.dumps(self.query("SELECT * FROM audit_events"))
        for secret in [doc["secret"], *doc["recovery_codes"]]:
            self.assertNotIn(secret, audit)
        r = self.twofa("user", "totp", "show", "tina@example.com")
        self.assertExit(r, 2)  # --show-secret is required
        r = self.twofa("user", "totp", "show", "tina@example.com", "--show-secret")
        self.assertExit(r, 2)  # and confirmation (no terminal here: --yes)
        r, shown = self.twofa_json("user", "totp", "show", "tina@example.com", "--show-secret", "--yes")
        self.assertEqual(shown["secret"], doc["secret"])
        # Unconfirmed: no login; a wrong first code does not confirm.
        r, _ = self.login("tina@example.com", via="auto")
        self.assertExit(r, 9)
        self.assertIn("not confirmed", r.stderr)
        self.assertExit(self.twofa("user", "totp", "confirm", "tina@example.com", "000000"), 1)
        self.confirm("tina@example.com", doc["secret"])
        r, d = self.twofa_json("user", "show", "tina@example.com", "--remote")
        self.assertTrue(d["remote"]["confirmed"])
        self.assertEqual(d["remote"]["recovery_codes_left"], 10)

    def test_oathtool_codes_log_in_once_per_time_step(self):
        doc = self.add_totp()
        self.confirm("tina@example.com", doc["secret"])
        code = oathtool(doc["secret"])
        s1 = self.start()
        r, d = self.verify(code, s1)
        self.assertExit(r, 0)
        self.assertTrue(d["accepted"])
        s2 = self.start()
        r, d = self.verify(code, s2)
        self.assertExit(r, 1)
        self.assertIn("already used", r.stderr)
        self.assertIn(("code.check", "wrong", "code already used"),
                      self.query("SELECT event, outcome, detail FROM audit_events"))
        # The next step's code (within the window of ±1) is accepted now; then the current
        # step's is not (an earlier step than one accepted).
        r, _ = self.verify(oathtool(doc["secret"], time.time() + 30), s2)
        self.assertExit(r, 0)

    def test_racing_processes_accept_a_code_once(self):
        doc = self.add_totp()
        self.confirm("tina@example.com", doc["secret"])
        sessions = [self.start() for _ in range(8)]
        code = oathtool(doc["secret"])
        procs = [subprocess.Popen([TWOFA, "verify", code, "--session", s], env=self.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for s in sessions]
        codes = sorted(p.wait(timeout=30) for p in procs)
        # One is let in; the others are reuses, counted as wrong codes (1), which soon back
        # the user off (5).
        self.assertEqual(codes.count(0), 1, codes)
        self.assertTrue(all(c in (1, 5) for c in codes[1:]), codes)
        self.assertEqual(self.query("SELECT count(*) FROM login_sessions WHERE status = 'approved'")[0][0], 1)

    def test_window_edges(self):
        doc = self.add_totp()
        self.confirm("tina@example.com", doc["secret"])  # one step back: inside the window
        now = time.time()
        s = self.start()
        self.assertExit(self.verify(oathtool(doc["secret"], now + 60), s)[0], 1)  # 2 ahead
        self.assertExit(self.verify(oathtool(doc["secret"], now - 60), s)[0], 1)  # 2 back
        self.assertExit(self.verify(oathtool(doc["secret"], now + 30), s)[0], 0)  # 1 ahead
        # With totp.window = 0 only the step of now counts (for factors made after it).
        self.write_config("[totp]\nwindow = 0\n")
        doc0 = self.add_totp("zero@example.com")
        away_from_step_edge(margin=8)
        confirm = ("user", "totp", "confirm", "zero@example.com")
        self.assertExit(self.twofa(*confirm, oathtool(doc0["secret"], time.time() - 30)), 1)
        self.assertExit(self.twofa(*confirm, oathtool(doc0["secret"], time.time() + 30)), 1)
        self.assertExit(self.twofa(*confirm, oathtool(doc0["secret"])), 0)

    def test_per_user_algorithm_digits_and_period(self):
        doc = self.add_totp("eight@example.com", "--totp-algorithm", "sha256", "--totp-digits", "8",
                            "--totp-period", "60")
        self.assertIn("&algorithm=SHA256&digits=8&period=60", doc["otpauth_uri"])
        away_from_step_edge(period=60, margin=8)
        confirm = ("user", "totp", "confirm", "eight@example.com")
        self.assertExit(self.twofa(*confirm, oathtool(doc["secret"])), 1)  # SHA-1, 6 digits
        self.assertExit(self.twofa(*confirm, oathtool(doc["secret"], digits=8, algorithm="sha256",
                                                      period=60)), 0)
        self.assertExit(self.twofa("user", "add", "--email", "x@example.com", "--provider", "totp",
                                   "--totp-digits", "7", "--password-stdin", input=PASSWORD + "\n"), 2)

    def test_recovery_codes_work_once_and_can_be_replaced(self):
        doc = self.add_totp()
        self.confirm("tina@example.com", doc["secret"])
        rc = doc["recovery_codes"][3]
        r, d = self.verify(rc, self.start())
        self.assertExit(r, 0)
        self.assertTrue(d["recovery_code"])
        self.assertExit(self.verify(rc, self.start())[0], 1)
        self.assertIn(("code.check", "recovery", "recovery code used"),
                      self.query("SELECT event, outcome, detail FROM audit_events"))
        r, d = self.twofa_json("user", "show", "tina@example.com", "--remote")
        self.assertEqual(d["remote"]["recovery_codes_left"], 9)
        r, d = self.twofa_json("status", "tina@example.com")
        self.assertEqual(d["recovery_codes_left"], 9)
        self.assertIn("9 recovery codes left", self.twofa("status", "tina@example.com").stdout)
        r, d = self.twofa_json("status", "--all")
        self.assertIn({"event": "code.check", "outcome": "recovery", "count": 1}, d["audit_24h"])
        self.assertExit(self.twofa("user", "recovery-codes", "tina@example.com"), 2)  # asks first
        r, fresh = self.twofa_json("user", "recovery-codes", "tina@example.com", "--yes")
        self.assertExit(r, 0)
        self.assertExit(self.verify(doc["recovery_codes"][4], self.start())[0], 1)
        self.assertExit(self.verify(fresh["recovery_codes"][0], self.start())[0], 0)
        # Reset: a new secret; the old app entry stops working until confirmed again.
        r, reset = self.twofa_json("user", "totp", "reset", "tina@example.com", "--yes")
        self.assertExit(r, 0)
        self.assertNotEqual(reset["secret"], doc["secret"])
        self.assertExit(self.login("tina@example.com", via="auto")[0], 9)

    def test_a_real_google_authenticator_file_imports(self):
        ga = os.path.join(self.home, "google_authenticator")
        subprocess.run(["google-authenticator", "-t", "-d", "-f", "-q", "-C", "-r", "3", "-R", "30",
                        "-w", "3", "-Q", "NONE", "-s", ga], check=True, stdin=subprocess.DEVNULL,
                       env={"PATH": os.environ["PATH"], "HOME": self.home})
        with open(ga) as f:
            lines = f.read().split("\n")
        secret, scratch = lines[0], [l for l in lines[1:] if l.isdigit()]
        self.assertEqual(len(scratch), 5)
        r, doc = self.twofa_json("user", "import", "--google-authenticator", ga,
                                 "--email", "gina@example.com", "--password-stdin",
                                 input=PASSWORD + "\n")
        self.assertExit(r, 0)
        self.assertEqual(doc["provider"], "totp")
        self.assertIn("5 scratch codes kept", doc["notes"])
        away_from_step_edge()
        r, d = self.verify(oathtool(secret), self.start("gina@example.com"))
        self.assertExit(r, 0)
        self.assertExit(self.verify(scratch[2], self.start("gina@example.com"))[0], 0)
        self.assertExit(self.verify(scratch[2], self.start("gina@example.com"))[0], 1)
        # Again: the user exists. An HOTP file is refused.
        r = self.twofa("user", "import", "--google-authenticator", ga, "--email", "gina@example.com")
        self.assertExit(r, 7)
        with open(ga, "w") as f:
            f.write(secret + "\n\" HOTP_COUNTER 1\n")
        r = self.twofa("user", "import", "--google-authenticator", ga, "--email", "h@example.com")
        self.assertExit(r, 2)
        self.assertIn("HOTP", r.stderr)

    def test_a_database_copy_without_the_key_file_reveals_no_secret(self):
        doc = self.add_totp()
        self.confirm("tina@example.com", doc["secret"])
        key = os.path.join(self.home, "data", "twofa", "totp.key")
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        data = self.raw_store()
        raw = __import__("base64").b32decode(doc["secret"] + "=" * (-len(doc["secret"]) % 8))
        for needle in [doc["secret"].encode(), raw, raw.hex().encode(),
                       *[c.encode() for c in doc["recovery_codes"]]]:
            self.assertNotIn(needle, data)
        # The copy works only with the key: without it every check is a config error.
        copy = os.path.join(self.home, "copy.db")
        if self.pg is None:
            shutil.copy(self.db, copy)
            os.chmod(copy, 0o600)
        else:
            self.assertExit(self.twofa("db", "copy", "--to", copy), 0)
        r, _ = self.twofa_json("login", "tina@example.com", "--password-stdin", "--no-wait", "--db", copy,
                               input=PASSWORD + "\n", env={"TWOFA_TOTP_KEY_FILE": os.path.join(self.home, "nokey")})
        self.assertExit(r, 3)
        r = self.twofa("verify", oathtool(doc["secret"]), "--db", copy,
                       env={"TWOFA_TOTP_KEY_FILE": os.path.join(self.home, "nokey")})
        self.assertExit(r, 10)
        self.assertIn("key file", r.stderr)
        # Rotation re-seals under a new key, and codes keep working.
        r, rot = self.twofa_json("user", "totp", "rotate-key")
        self.assertExit(r, 0)
        self.assertEqual(rot["resealed"], 1)

    def test_mixed_installation(self):
        # The installation's provider is Authy; one user has TOTP of their own.
        self.assertExit(self.add_user(), 0)
        doc = self.add_totp("tina@example.com", "--provider", "totp", env={})
        self.confirm("tina@example.com", doc["secret"])
        code = oathtool(doc["secret"])
        r, users = self.twofa_json("user", "list")
        self.assertEqual(sorted((u["email"], u["provider"]) for u in users),
                         [("alice@example.com", "authy"), ("tina@example.com", "totp")])
        self.assertIn("PROVIDER", self.twofa("user", "list").stdout)
        self.assertExit(self.verify(code, self.start())[0], 0)
        r, d = self.login("alice@example.com", via="sms")  # Authy's user still gets an SMS
        self.assertExit(r, 3)
        self.assertEqual(d["method"], "sms")
        # TOTP users have nothing to send or push.
        self.assertExit(self.login("tina@example.com", via="sms")[0], 2)
        self.start()
        r = self.twofa("resend")
        self.assertExit(r, 2)
        self.assertIn("the code is in the app", r.stderr)
        # Bulk CSV import cannot show each user a secret: refused.
        csv = os.path.join(self.home, "u.csv")
        with open(csv, "w") as f:
            f.write("email,phone,country_code,name\nx@example.com,5551230000,1,X\n")
        r = self.twofa("user", "import", csv, env=TOTP_ENV)
        self.assertExit(r, 2)
        self.assertIn("not imported in bulk", r.stderr)
        self.assertExit(self.twofa("user", "remove", "tina@example.com", "--yes"), 0)
        self.assertEqual(self.query("SELECT count(*) FROM app_factors")[0][0], 0)


@unittest.skipUnless(shutil.which("tmux") and shutil.which("zbarimg"), "needs tmux and zbarimg")
class TotpQrInTmux(TwofaCase):
    def test_the_qr_code_in_an_80x24_pane_decodes_to_the_uri(self):
        sock = "twofa-qr-%d" % os.getpid()
        out = os.path.join(self.home, "add.json")
        pw = os.path.join(self.home, "pw")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        env = " ".join(f"{k}={v}" for k, v in {**self.env, **TOTP_ENV}.items())
        cmd = (f"env {env} {TWOFA} user add --email qr@example.com --password-stdin < {pw}; "
               f"echo DONE; sleep 60")
        subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-x", "80",
                        "-y", "24", cmd], check=True)
        self.addCleanup(subprocess.run, ["tmux", "-L", sock, "kill-server"], capture_output=True)
        deadline = time.time() + 20
        text = ""
        while time.time() < deadline and "DONE" not in text:
            time.sleep(0.2)
            text = subprocess.run(["tmux", "-L", sock, "capture-pane", "-p", "-J", "-S", "-200"],
                                  capture_output=True, text=True).stdout
        self.assertIn("DONE", text)
        uri = next(l.split()[-1] for l in text.splitlines() if l.startswith("Key URI:"))
        lines = text.splitlines()
        start = lines.index("Scan this with the authenticator app:") + 1
        qr = []
        for l in lines[start:]:
            if l.startswith("Secret"):
                break
            qr.append(l)
        self.assertTrue(all(len(l) <= 80 for l in qr))
        # Cells back to modules (ink is a light module), then a PBM for zbarimg.
        width = max(len(l) for l in qr)
        rows = []
        for l in qr:
            l = l.ljust(width)
            rows.append([c in "\u2588\u2580" for c in l])  # upper half light
            rows.append([c in "\u2588\u2584" for c in l])  # lower half light
        scale, border = 6, 8
        w, h = width * scale + 2 * border, len(rows) * scale + 2 * border
        pbm = os.path.join(self.home, "qr.pbm")
        with open(pbm, "w") as f:
            f.write(f"P1\n{w} {h}\n")
            for y in range(h):
                ry = (y - border) // scale
                bits = []
                for x in range(w):
                    rx = (x - border) // scale
                    inside = 0 <= ry < len(rows) and 0 <= rx < width and y >= border and x >= border
                    bits.append("0" if not inside or rows[ry][rx] else "1")  # 1 = black
                f.write(" ".join(bits) + "\n")
        r = subprocess.run(["zbarimg", "--raw", "-q", pbm], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), uri)
        self.assertTrue(uri.startswith("otpauth://totp/twofa:qr@example.com?secret="))


if __name__ == "__main__":
    unittest.main(verbosity=2)
