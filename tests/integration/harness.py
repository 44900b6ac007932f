"""Runs the real twofa and twofa-sandbox binaries on loopback with a throw-away HOME."""
import itertools
import json
import os
import re
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
# The store the tests run against: sqlite (a file per test) or postgresql (a database per test
# on the server TWOFA_PG_STATE describes; tests/integration/pgserver.py).
STORE = os.environ.get("TWOFA_TEST_STORE", "sqlite")
_databases = itertools.count()


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

    def callbacks(self, done, timeout=6.0):
        """The sandbox's record of the callbacks it sent, once done(calls) holds (or at the
        timeout). A callback's answer is recorded after the listener has committed it, so a
        login can end before the record of its callback says 200."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.call("GET", "/sandbox/callbacks")[1]
            if done(calls) or time.monotonic() > deadline:
                return calls
            time.sleep(0.05)

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
        # Where SQLite's database goes by default; self.db is the store in use (this path, or
        # the test's PostgreSQL URL).
        self.default_db = os.path.join(self.home, "data", "twofa", "twofa.db")
        self.db = self.default_db
        self.pg = None
        self.own_server = False  # use_own_server: the database goes with the server
        if STORE == "postgresql":
            self._use_postgres()

    def _use_postgres(self):
        import pgserver
        self.pg = pgserver.load(os.environ["TWOFA_PG_STATE"])
        self.pg_db = f"t_{os.getpid()}_{next(_databases)}"
        pgserver.admin(self.pg, f"CREATE DATABASE {self.pg_db} OWNER twofa")
        self.db = self.pg_url(self.passfile(self.home))
        self.env["TWOFA_DB"] = self.db

    def pg_url(self, passfile):
        """The test database's URL, its password in passfile (as a system install names it:
        the gate and PAM run with a clean environment)."""
        import pgserver
        return pgserver.url(self.pg, self.pg_db, passfile)

    def use_slow_provider(self, latency_ms):
        """A second sandbox, latency_ms away, as the provider from now on (stopped after)."""
        slow = Sandbox(self.home, extra=("--latency-ms", str(latency_ms)))
        self.addCleanup(slow.stop)
        self.env["TWOFA_AUTHY_URL"] = slow.url
        return slow

    def tearDown(self):
        self.sandbox.stop()
        if self.pg is not None and not self.own_server:
            import pgserver
            pgserver.admin(self.pg, f"DROP DATABASE IF EXISTS {self.pg_db} WITH (FORCE)")
        shutil.rmtree(self.home, ignore_errors=True)

    def connect_db(self):
        """A DB-API connection to the test's store (sqlite3 or psycopg2)."""
        if self.pg is None:
            return sqlite3.connect(self.db)
        import pgserver
        return pgserver.connect(self.pg, self.pg_db)

    def passfile(self, folder, uid=None):
        """A 0600 PostgreSQL password file in folder (owned by uid when given); its path."""
        import pgserver
        return pgserver.write_passfile(self.pg, os.path.join(folder, "pgpass"), uid)

    def use_own_server(self, options, dbname):
        """A PostgreSQL server of the test's own (one it stops or restarts) with one database,
        in place of the shared server's; its state."""
        import pgserver
        if self.pg is not None:
            pgserver.admin(self.pg, f"DROP DATABASE {self.pg_db} WITH (FORCE)")
        own = pgserver.start_server(options)
        self.addCleanup(pgserver.discard, own)
        pgserver.admin(own, f"CREATE DATABASE {dbname} OWNER twofa")
        self.pg, self.pg_db, self.own_server = own, dbname, True
        self.env["TWOFA_DB"] = self.db = self.pg_url(self.passfile(self.home))
        return own
    def _sql(self, sql):
        # The tests write SQLite's '?' placeholders.
        return sql if self.pg is None else re.sub(r"\?", "%s", sql.replace("%", "%%"))

    def raw_store(self):
        """Every byte the store keeps: SQLite's file and its WAL, or a pg_dump of the database."""
        if self.pg is None:
            data = b""
            for path in (self.db, self.db + "-wal"):
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        data += f.read()
            return data
        return subprocess.run(["pg_dump", "--data-only", self.db], env=self.env, check=True,
                              capture_output=True).stdout

    def hold_write_lock(self):
        """A connection holding the store's write lock until closed (a busy database)."""
        con = self.connect_db()
        if self.pg is None:
            con.isolation_level = None
            con.execute("BEGIN IMMEDIATE")
        else:
            con.autocommit = True
            con.cursor().execute("SELECT pg_advisory_lock(7420183)")
        return con

    def db_exists(self):
        if self.pg is None:
            return os.path.exists(self.db)
        con = self.connect_db()
        try:
            with con.cursor() as cur:
                cur.execute("SELECT to_regclass('twofa_schema') IS NOT NULL")
                return cur.fetchone()[0]
        finally:
            con.close()

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
        return self.query("SELECT CAST(provider_user AS INTEGER) FROM users WHERE email = ?", email)[0][0]

    def write_config(self, text):
        path = os.path.join(self.home, "config", "twofa", "config.toml")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)

    def query(self, sql, *args):
        """Rows of a query in SQLite's dialect (both backends share the schema)."""
        con = self.connect_db()
        try:
            cur = con.cursor()
            if args:
                cur.execute(self._sql(sql), args)
            else:  # without parameters a '%' is literal, for psycopg2 too
                cur.execute(sql)
            rows = cur.fetchall() if cur.description else []
            con.commit()
            return [tuple(r) for r in rows]
        finally:
            con.close()

    def assertExit(self, result, code):
        self.assertEqual(result.returncode, code,
                         f"exit {result.returncode}, want {code}\nstdout: {result.stdout}\nstderr: {result.stderr}")

    def db_rows(self):
        """Every user and audit row, for 'nothing changed' checks."""
        if not self.db_exists():
            return ([], [])
        return (self.query("SELECT * FROM users ORDER BY id"),
                self.query("SELECT * FROM audit_events ORDER BY id"))

    def api_requests(self):
        return [r for r in self.sandbox.requests() if not r["path"].startswith("/sandbox")]
