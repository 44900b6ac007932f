"""Operator input and process hardening: bounded imports, config files that are not files,
escape sequences in arguments, invisible characters in names, API keys that would split a
header, absurd imported hash costs, core dumps, databases that must not appear out of
nowhere, and session ids kept off argv."""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

from harness import API_KEY, PASSWORD, TWOFA, TwofaCase

ESC = "\x1b]0;pwned\x07\x1b[31m"


class Inputs(TwofaCase):
    def test_import_refuses_devices_folders_and_unbounded_input(self):
        t = time.monotonic()
        r = self.twofa("user", "import", "/dev/zero")
        self.assertExit(r, 2)
        self.assertIn("not a regular file", r.stderr)
        self.assertLess(time.monotonic() - t, 2)
        self.assertExit(self.twofa("user", "import", self.home), 2)
        big = os.path.join(self.home, "big.csv")
        with open(big, "w") as f:
            f.write("email,phone,country_code,name\n" + "a" * (70 * 1024) + "\n")
        r = self.twofa("user", "import", big)
        self.assertExit(r, 2)
        self.assertIn("line 2 is longer than 64 KiB", r.stderr)
        with open("/dev/zero", "rb") as zero:
            r = subprocess.run([TWOFA, "user", "import", "-"], stdin=zero, env=self.env,
                               capture_output=True, text=True, timeout=30)
        self.assertExit(r, 2)
        self.assertIn("larger than 64 MiB", r.stderr)

    def test_config_that_is_not_a_file_is_a_config_error(self):
        for path in (self.home, "/dev/null"):
            r = self.twofa("--config", path, "user", "list")
            self.assertExit(r, 10)
            self.assertIn("not a regular file", r.stderr)

    def test_escape_sequences_in_arguments_never_reach_the_terminal(self):
        missing = os.path.join(self.home, "missing")
        runs = [
            self.twofa("user", "import", missing + "/" + ESC),
            self.twofa("--config", missing + "/" + ESC, "user", "list"),
            self.twofa("--db", missing + "/" + ESC + "/t.db", "user", "list"),
            self.twofa("serve-callback", "--listen", ESC),
            self.twofa("user", "list", "--bogus" + ESC),
            self.twofa("user", "show", "a@example.com", "--remote",
                       env={"TWOFA_AUTHY_URL": "ftp://" + ESC}),
        ]
        for r in runs:
            self.assertNotEqual(r.returncode, 0)
            self.assertNotIn("\x1b", r.stderr + r.stdout)
            self.assertNotIn("\x07", r.stderr + r.stdout)

    def test_invisible_and_bidi_characters_in_names_are_refused(self):
        for bad in ("Ann\u202egnp.exe", "Ann\u2066x\u2069", "An\u200bn", "Ann\ufeff", "Ann\u2028"):
            r = self.add_user(name=bad)
            self.assertExit(r, 2)
            self.assertIn("invisible", r.stderr)
        self.assertExit(self.add_user(name="Zoë Ångström"), 0)
        csv = os.path.join(self.home, "u.csv")
        with open(csv, "w") as f:
            f.write("email,phone,country_code,name\nb@example.com,5551231000,1,Evil\u202eName\n")
        r = self.twofa("user", "import", csv)
        self.assertExit(r, 2)
        self.assertNotIn("b@example.com", self.twofa("user", "list").stdout)

    def test_api_keys_that_would_split_a_header_are_refused(self):
        self.assertExit(self.add_user(env_key=API_KEY + "\r\nX-Injected: 1"), 10)
        key_file = os.path.join(self.home, "key")
        with open(key_file, "w") as f:
            f.write("abc\rdef\n")
        os.chmod(key_file, 0o600)
        self.write_config(f'[authy]\napi_key_file = "{key_file}"\n')
        r = self.add_user(env_key=None)
        self.assertExit(r, 10)
        self.assertIn("control character", r.stderr)
        self.assertFalse([q for q in self.sandbox.requests() if not q["path"].startswith("/sandbox")])

    def add_user(self, email="alice@example.com", phone="555-123-0000", cc="1", name="Alice",
                 env_key=API_KEY):
        return self.twofa("user", "add", "--email", email, "--phone", phone, "--country-code", cc,
                          "--name", name, "--password-stdin", input=PASSWORD + "\n",
                          env={"AUTHY_API_KEY": env_key})

    def test_imported_hash_costs_are_bounded_and_rehashed_at_login(self):
        salt_hash = "c29tZXNhbHQ$aJ0kxkuwRmI/cWRNpRyhyRmmMYuwySdrDCKfRj+8VJA"
        csv = os.path.join(self.home, "h.csv")
        with open(csv, "w") as f:
            f.write("email,phone,country_code,name,password_hash\n")
            f.write(f'slow@example.com,5551230001,1,S,"$argon2id$v=19$m=65536,t=60,p=1${salt_hash}"\n')
            f.write(f'huge@example.com,5551230002,1,H,"$argon2id$v=19$m=4194304,t=1,p=1${salt_hash}"\n')
            f.write("pb@example.com,5551230003,1,P,pbkdf2:sha256:50000000$salt$" + "0" * 64 + "\n")
        r, rows = self.twofa_json("user", "import", csv)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("out of bounds", r.stdout + r.stderr)
        self.assertIn("2,000,000", r.stdout + r.stderr)
        self.assertEqual(self.twofa("--json", "user", "list").stdout.count("@example.com"), 0)
        # A stronger-than-current (but bounded) hash is replaced at the current cost on login.
        strong = subprocess.run(["python3", "-c", STRONG_HASH], capture_output=True, text=True)
        if strong.returncode != 0:
            self.fail("cannot make an Argon2id hash with t=3: " + strong.stderr)
        with open(csv, "w") as f:
            f.write("email,phone,country_code,name,password_hash\n")
            f.write(f'ok@example.com,5551230004,1,O,"{strong.stdout.strip()}"\n')
        self.assertExit(self.twofa("user", "import", csv), 0)
        r, doc = self.login("ok@example.com", via="token")
        self.assertExit(r, 3)
        stored = self.query("SELECT password_hash FROM users WHERE email = 'ok@example.com'")[0][0]
        self.assertIn("m=65536,t=2,p=1", stored)


# Argon2id at t=3, m=64 MiB through libsodium (ctypes): within bounds, not the current cost.
STRONG_HASH = r"""
import ctypes, ctypes.util
s = ctypes.CDLL(ctypes.util.find_library("sodium"))
assert s.sodium_init() >= 0
out = ctypes.create_string_buffer(128)
pw = b"correct horse battery staple"
assert s.crypto_pwhash_str(out, pw, ctypes.c_ulonglong(len(pw)), ctypes.c_ulonglong(3), ctypes.c_size_t(65536 * 1024)) == 0
print(out.value.decode())
"""


class Databases(TwofaCase):
    def test_no_home_means_no_database_in_the_root(self):
        env = {"HOME": None, "XDG_DATA_HOME": None, "XDG_STATE_HOME": None, "XDG_CONFIG_HOME": None,
               "TWOFA_DB": None}
        before = set(os.listdir("/"))
        r = self.twofa("user", "list", env=env)
        self.assertExit(r, 10)
        self.assertIn("HOME", r.stderr)
        r = self.twofa("user", "add", "--email", "a@example.com", "--phone", "5551230000",
                       "--country-code", "1", "--password-stdin", input=PASSWORD + "\n", env=env)
        self.assertExit(r, 10)
        # With --db but still no HOME, a login has nowhere to keep its session file: exit 10,
        # never a file in /.
        db = os.path.join(self.home, "t.db")
        r = self.twofa("--db", db, "user", "add", "--email", "a@example.com", "--phone",
                       "5551230000", "--country-code", "1", "--password-stdin",
                       input=PASSWORD + "\n", env=env)
        self.assertExit(r, 0)
        r = self.twofa("--db", db, "login", "a@example.com", "--password-stdin", "--no-wait",
                       "--via", "token", input=PASSWORD + "\n", env=env)
        self.assertExit(r, 10)
        self.assertIn("current-session file", r.stderr)
        con = sqlite3.connect(db)
        self.assertEqual(con.execute("SELECT COUNT(*) FROM login_sessions").fetchone()[0], 0)
        con.close()
        self.assertEqual(set(os.listdir("/")), before)
        self.assertFalse(os.path.exists("/twofa"))
        self.assertFalse(os.path.exists("/session"))

    def test_read_only_commands_never_create_a_database(self):
        for args in (["user", "list"], ["status", "--all"], ["status", "--health"],
                     ["status", "a@example.com"], ["user", "unlock", "a@example.com"]):
            r = self.twofa(*args)
            self.assertExit(r, 11)
            self.assertIn("no database", r.stdout + r.stderr)
            self.assertFalse(self.db_exists(), args)
            self.assertFalse(os.path.exists(os.path.dirname(self.default_db)), args)

    def test_explicit_db_in_a_missing_folder_is_refused(self):
        path = os.path.join(self.home, "no", "such", "dir", "t.db")
        r = self.twofa("--db", path, "user", "add", "--email", "a@example.com", "--phone",
                       "5551230000", "--country-code", "1", "--password-stdin", input=PASSWORD + "\n")
        self.assertExit(r, 11)
        self.assertFalse(os.path.exists(os.path.join(self.home, "no")))
        self.assertEqual(self.sandbox.users(), [])  # refused before the provider was asked
        os.makedirs(os.path.dirname(path))
        r = self.twofa("--db", path, "user", "add", "--email", "a@example.com", "--phone",
                       "5551230000", "--country-code", "1", "--password-stdin", input=PASSWORD + "\n")
        self.assertExit(r, 0)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)


class Sessions(TwofaCase):
    def test_session_id_from_stdin_everywhere(self):
        self.assertExit(self.add_user(), 0)
        r, doc = self.login(via="sms")
        sid = doc["session"]
        os.remove(os.path.join(self.home, "state", "twofa", "session"))
        r = self.twofa("status", "--session-stdin", input=sid + "\n")
        self.assertExit(r, 3)
        self.assertExit(self.twofa("resend", "--session", "-", input=sid + "\n"), 5)  # too soon
        code = self.sandbox.latest_code(self.authy_id())
        r = self.twofa("verify", "--session-stdin", "--code-stdin", input=f"{sid}\n{code}\n")
        self.assertExit(r, 0)
        self.assertExit(self.twofa("logout", "--session-stdin", input=sid + "\n"), 0)
        self.assertExit(self.twofa("status", "--session-stdin", "--session", sid), 2)


class CoreDumps(TwofaCase):
    def test_processes_holding_secrets_are_not_dumpable(self):
        home = tempfile.mkdtemp(prefix="twofa-nobody-")
        self.addCleanup(shutil.rmtree, home, True)
        os.chmod(home, 0o755)
        os.chown(home, 65534, 65534)
        env = {**self.env, "HOME": home, "XDG_DATA_HOME": home + "/d", "XDG_STATE_HOME": home + "/s",
               "XDG_CONFIG_HOME": home + "/c"}
        if self.pg is not None:
            env["TWOFA_DB"] = self.pg_url(self.passfile(home, uid=65534))
        p = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              TWOFA, "serve-callback", "--listen", "127.0.0.1:0"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline()
            self.assertIn("listening on", line, p.stderr.read() if p.poll() is not None else "")
            with open(f"/proc/{p.pid}/limits") as f:
                core = [l for l in f if l.startswith("Max core file size")][0].split()
            self.assertEqual(core[4:6], ["0", "0"])
            # Not dumpable: the kernel hands its /proc files to root, out of the user's reach.
            self.assertEqual(os.stat(f"/proc/{p.pid}/environ").st_uid, 0)
            self.assertEqual(os.stat(f"/proc/{p.pid}").st_uid, 65534)
        finally:
            p.terminate()
            p.wait(timeout=10)
            p.stdout.close()
            p.stderr.close()


if __name__ == "__main__":
    unittest.main()
