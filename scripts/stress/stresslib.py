"""Shared pieces of the stress scripts: the binaries, a throw-away HOME, a listener."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import authy_sign  # noqa: E402  (an independent signer)
from harness import API_KEY, PASSWORD, SANDBOX, TWOFA  # noqa: E402,F401


def binary(name, default):
    path = os.environ.get(name)
    if path:
        return path
    built = os.path.join(ROOT, "build", "dev", "cmd", default)
    return built if os.path.exists(built) else default


TWOFA_BIN = binary("TWOFA_BIN", "twofa")
SANDBOX_BIN = binary("TWOFA_SANDBOX_BIN", "twofa-sandbox")


class Store:
    """The store a stress run uses: SQLite in HOME, or (TWOFA_TEST_STORE=postgresql) a fresh
    database on the server TWOFA_PG_STATE describes, which any number of HOMEs (hosts) share."""

    def __init__(self, home):
        self.pg = None
        self.path = f"{home}/data/twofa/twofa.db"
        if os.environ.get("TWOFA_TEST_STORE") == "postgresql":
            import pgserver
            self.pg = pgserver.load(os.environ["TWOFA_PG_STATE"])
            self.name = f"stress_{os.getpid()}_{int(time.time() * 1000) % 10**9}"
            pgserver.admin(self.pg, f"CREATE DATABASE {self.name} OWNER twofa")
            passfile = pgserver.write_passfile(self.pg, os.path.join(home, "pgpass"))
            self.url = pgserver.url(self.pg, self.name, passfile)

    def env(self):
        return {} if self.pg is None else {"TWOFA_DB": self.url}

    def query(self, sql):
        if self.pg is None:
            con = sqlite3.connect(self.path)
            try:
                return con.execute(sql).fetchall()
            finally:
                con.close()
        import pgserver
        con = pgserver.connect(self.pg, self.name)
        try:
            with con.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            con.close()

    def intact(self):
        """SQLite's integrity_check; PostgreSQL is crash-safe by itself (a query answers)."""
        if self.pg is None:
            return self.query("PRAGMA integrity_check")[0][0]
        return "ok" if self.query("SELECT 1") == [(1,)] else "no answer"

    def drop(self):
        if self.pg is not None:
            import pgserver
            pgserver.admin(self.pg, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


def fresh_env(home):
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, "config"),
        "XDG_DATA_HOME": os.path.join(home, "data"),
        "XDG_STATE_HOME": os.path.join(home, "state"),
        "AUTHY_API_KEY": API_KEY,
        "TWOFA_AUTHY_TIMEOUT_MS": "1500",
    }


def new_home():
    return tempfile.mkdtemp(prefix="twofa-stress-")


class Listener:
    """twofa serve-callback on 127.0.0.1 and an ephemeral (or given) port."""

    def __init__(self, env, listen="127.0.0.1:0", log=subprocess.DEVNULL):
        self.proc = subprocess.Popen([TWOFA_BIN, "serve-callback", "--listen", listen], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                     text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.proc.kill()
            raise RuntimeError("listener did not start: " + line)
        self.url = line.split()[4]
        self.hostport = self.url.split("//")[1].split("/")[0]
        self.host, port = self.hostport.rsplit(":", 1)
        self.port = int(port)

    def post_signed(self, body, timeout=10):
        nonce = str(int(time.time()))
        sig = authy_sign.sign(API_KEY, nonce, "POST", self.url, body)
        req = urllib.request.Request(self.url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Authy-Signature": sig,
                                              "X-Authy-Signature-Nonce": nonce})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        code = self.proc.wait(timeout=20)
        self.proc.stdout.close()
        return code
