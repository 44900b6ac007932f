"""Runs the real twofa and twofa-sandbox binaries on loopback with a throw-away HOME."""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

TWOFA = os.environ.get("TWOFA_BIN", "twofa")
SANDBOX = os.environ.get("TWOFA_SANDBOX_BIN", "twofa-sandbox")
API_KEY = "sandbox-test-key-0123456789abcdef"
# Sanitizer builds run slower: time limits in assertions are multiplied by this.
TIME_SCALE = float(os.environ.get("TWOFA_TIME_SCALE", "1"))
PASSWORD = "correct horse battery staple"


def free_port():
    """A loopback port free a moment ago (for servers that cannot report the one they got)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Datagrams:
    """A Unix datagram socket at path, where syslog(3) lines (or sd_notify's) arrive."""

    def __init__(self, path, timeout=0.3):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(timeout)

    def next(self):
        """The next datagram, or None when none comes within the timeout."""
        try:
            return self.sock.recv(4096).decode(errors="replace")
        except socket.timeout:
            return None

    def lines(self):
        """Every datagram until a quiet moment."""
        out = []
        while (line := self.next()) is not None:
            out.append(line)
        return out

    def close(self):
        self.sock.close()


class Sandbox:
    """A twofa-sandbox on 127.0.0.1 and an ephemeral port."""

    def __init__(self, home, api_key=API_KEY, extra=()):
        self.proc = subprocess.Popen(
            [SANDBOX, "--listen", "127.0.0.1:0", "--api-key", api_key, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=home)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError("sandbox did not start: " + line + self.proc.stderr.read())
        self.url = line.strip().split()[-1]

    def call(self, method, path, body=None, headers=None):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        if body is not None and "Content-Type" not in (headers or {}):
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def fault(self, kind, count=1, **kw):
        status, _ = self.call("POST", "/sandbox/faults", {"kind": kind, "count": count, **kw})
        assert status == 200

    def requests(self):
        return self.call("GET", "/sandbox/requests")[1]

    def users(self):
        return self.call("GET", "/sandbox/users")[1]

    def messages(self, authy_id=None):
        path = "/sandbox/messages" + ("" if authy_id is None else f"?authy_id={authy_id}")
        return self.call("GET", path)[1]

    def latest_code(self, authy_id):
        msgs = self.messages(authy_id)
        assert msgs, f"no code was sent to {authy_id}"
        return msgs[-1]["code"]

    def app_token(self, authy_id):
        status, body = self.call("GET", f"/sandbox/users/{authy_id}/token")
        assert status == 200, body
        return body["token"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


class TwofaCase(unittest.TestCase):
    """Each test gets a fresh HOME, database and sandbox."""

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="twofa-it-")
        self.sandbox = Sandbox(self.home)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_CONFIG_HOME": os.path.join(self.home, "config"),
            "XDG_DATA_HOME": os.path.join(self.home, "data"),
            "XDG_STATE_HOME": os.path.join(self.home, "state"),
            "TWOFA_AUTHY_URL": self.sandbox.url,
            "AUTHY_API_KEY": API_KEY,
            "TWOFA_AUTHY_TIMEOUT_MS": "1500",
            # Security events go to syslog; the tests' own go nowhere unless a test listens.
            "TWOFA_SYSLOG_SOCKET": os.path.join(self.home, "no-syslog-here"),
        }
        self.db = os.path.join(self.home, "data", "twofa", "twofa.db")

    def tearDown(self):
        self.sandbox.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def twofa(self, *args, input=None, env=None, timeout=60):
        full_env = dict(self.env)
        for k, v in (env or {}).items():
            if v is None:
                full_env.pop(k, None)
            else:
                full_env[k] = v
        return subprocess.run([TWOFA, *args], input=input, env=full_env, capture_output=True,
                              text=True, timeout=timeout, stdin=None if input is not None else subprocess.DEVNULL)

    def twofa_json(self, *args, **kw):
        r = self.twofa("--json", *args, **kw)
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        docs = [json.loads(l) for l in lines]
        return r, docs[0] if len(docs) == 1 else docs

    def add_user(self, email="alice@example.com", phone="555-123-0000", cc="1", name="Alice", *extra):
        return self.twofa("user", "add", "--email", email, "--phone", phone, "--country-code", cc,
                          "--name", name, "--password-stdin", *extra, input=PASSWORD + "\n")

    def login(self, email="alice@example.com", *extra, password=PASSWORD, via="sms"):
        """twofa --json login --no-wait --via VIA; the result and its JSON document."""
        return self.twofa_json("login", email, "--password-stdin", "--no-wait", "--via", via, *extra,
                               input=password + "\n")

    def authy_id(self, email="alice@example.com"):
        con = sqlite3.connect(self.db)
        try:
            return con.execute("SELECT CAST(provider_user AS INTEGER) FROM users WHERE email = ?", (email,)).fetchone()[0]
        finally:
            con.close()

    def write_config(self, text):
        path = os.path.join(self.home, "config", "twofa", "config.toml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def query(self, sql, *args):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def assertExit(self, result, code):
        self.assertEqual(result.returncode, code,
                         f"exit {result.returncode}, want {code}\nstdout: {result.stdout}\nstderr: {result.stderr}")

    def db_rows(self):
        """Every user and audit row, for 'nothing changed' checks."""
        if not os.path.exists(self.db):
            return ([], [])
        con = sqlite3.connect(self.db)
        try:
            users = con.execute("SELECT * FROM users ORDER BY id").fetchall()
            audit = con.execute("SELECT * FROM audit_events ORDER BY id").fetchall()
            return (users, audit)
        finally:
            con.close()

    def api_requests(self):
        return [r for r in self.sandbox.requests() if not r["path"].startswith("/sandbox")]
