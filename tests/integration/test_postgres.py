"""The PostgreSQL store beyond the shared suite (which runs whole against it too): db copy both
ways, the two schemas kept in step, the URL's rules, health, wake-ups from a listener on
another host, and a server restart under a listener. Runs only with TWOFA_TEST_STORE=postgresql."""
import hashlib
import json
import os
import sqlite3
import subprocess
import time
import unittest

import authy_sign
import pgserver
from harness import PASSWORD, TWOFA, Sandbox, TwofaCase
from test_onetouch import Listener


class PostgresCase(TwofaCase):
    def setUp(self):
        super().setUp()
        self.assertIsNotNone(self.pg, "run with TWOFA_TEST_STORE=postgresql and TWOFA_PG_STATE")

    def new_database(self):
        """Another empty database on the test server; its URL."""
        name = f"{self.pg_db}_{len(getattr(self, '_extra', []))}"
        self._extra = [*getattr(self, "_extra", []), name]
        pgserver.admin(self.pg, f"CREATE DATABASE {name} OWNER twofa")
        self.addCleanup(pgserver.admin, self.pg, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        return pgserver.url(self.pg, name, os.path.join(self.home, "pgpass"))

    def fill(self):
        """Users of every kind, sessions and audit rows."""
        self.assertExit(self.add_user("a@example.com"), 0)
        self.assertExit(self.add_user("B@Example.com", "555-123-2222"), 0)
        r, totp = self.twofa_json("user", "add", "--email", "t@example.com", "--provider", "totp",
                                  "--password-stdin", "--unix-user", "tina", input=PASSWORD + "\n")
        self.assertExit(r, 0)
        self.assertExit(self.login("a@example.com")[0], 3)
        self.assertExit(self.login("b@example.com")[0], 3)
        return totp


class Copy(PostgresCase):
    def counts(self, db=None):
        tables = ("users", "login_sessions", "audit_events", "app_factors", "recovery_codes")
        if db is None:
            return {t: self.query(f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables}
        con = sqlite3.connect(db)
        try:
            return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
        finally:
            con.close()

    def test_both_ways_verified_idempotent_and_all_or_nothing(self):
        self.fill()
        lite = os.path.join(self.home, "copy.db")
        r, doc = self.twofa_json("db", "copy", "--to", "sqlite://" + lite)
        self.assertExit(r, 0)
        self.assertTrue(doc["verified"])
        counts = self.counts()
        self.assertEqual({t["table"]: t["rows"] for t in doc["tables"]}, counts)
        self.assertEqual(self.counts(lite), counts)
        self.assertGreater(counts["recovery_codes"], 0)
        sums = {t["table"]: t["checksum"] for t in doc["tables"]}
        # Again: nothing changes.
        r, again = self.twofa_json("db", "copy", "--to", "sqlite://" + lite)
        self.assertExit(r, 0)
        self.assertEqual({t["table"]: t["checksum"] for t in again["tables"]}, sums)
        self.assertEqual(self.counts(lite), counts)
        # The SQLite copy is a working store with the same users.
        listed = lambda *a: [u["email"] for u in self.twofa_json("user", "list", *a)[1]]
        self.assertEqual(listed("--db", lite), listed())
        # And back into another PostgreSQL database: the same checksums.
        back = self.new_database()
        r, doc = self.twofa_json("db", "copy", "--from", lite, "--to", back)
        self.assertExit(r, 0)
        self.assertEqual({t["table"]: t["checksum"] for t in doc["tables"]}, sums)
        # New rows continue after the copied ids.
        self.assertExit(self.add_user("c@example.com", "555-123-0000", "1", "C", "--db", back), 0)
        # A destination holding rows the source does not: refused, and nothing written.
        con = sqlite3.connect(lite)
        con.execute("INSERT INTO audit_events (at, event, outcome) VALUES (1, 'extra', 'ok')")
        con.execute("DELETE FROM recovery_codes")
        con.commit()
        con.close()
        before = self.counts(lite)
        r, doc = self.twofa_json("db", "copy", "--to", "sqlite://" + lite)
        self.assertExit(r, 11)
        self.assertIn("differs from the source", doc["error"]["message"])
        self.assertEqual(self.counts(lite), before)
        # Usage and location errors.
        self.assertExit(self.twofa("db", "copy", "--to", self.db), 2)
        self.assertExit(self.twofa("db", "copy", "--from", "mysql://x/y", "--to", lite), 10)

    def test_a_copy_without_the_key_file_reveals_no_secret(self):
        totp = self.fill()
        data = self.raw_store()
        self.assertIn(b"a@example.com", data)  # the dump is of the right database
        for needle in [totp["secret"].encode(), *[c.encode() for c in totp["recovery_codes"]],
                       PASSWORD.encode()]:
            self.assertNotIn(needle, data)


class Schema(PostgresCase):
    def test_both_backends_have_the_same_tables_and_columns(self):
        lite = os.path.join(self.home, "s.db")
        self.assertExit(self.twofa("--db", lite, "db", "migrate"), 0)
        r, doc = self.twofa_json("db", "migrate")
        self.assertExit(r, 0)
        self.assertEqual((doc["schema_version"], doc["migrated_from"]), (6, 0))
        self.assertEqual(self.twofa_json("db", "migrate")[1]["migrated_from"], 6)
        con = sqlite3.connect(lite)
        tables = [t for (t,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        # A primary key column is NOT NULL in PostgreSQL; SQLite declares it so only for INTEGER
        # PRIMARY KEY in effect (it never holds NULL here either).
        sqlite_side = {t: [(c[1], bool(c[3]) or c[5] > 0) for c in con.execute(f"PRAGMA table_info({t})")]
                       for t in tables}
        con.close()
        pg_side = {}
        for table, column, nullable in self.query(
                "SELECT table_name, column_name, is_nullable FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name <> 'twofa_schema' "
                "ORDER BY table_name, ordinal_position"):
            pg_side.setdefault(table, []).append((column, nullable == "NO"))
        self.assertEqual(sqlite_side, pg_side)
        self.assertEqual(self.query("SELECT version FROM twofa_schema"), [(6,)])


class Connections(PostgresCase):
    def test_url_rules_health_and_an_unreachable_server(self):
        r, doc = self.twofa_json("user", "list", "--db",
                                 pgserver.url(self.pg, self.pg_db).replace("twofa@", "twofa:hunter2@"))
        self.assertExit(r, 10)
        self.assertNotIn("hunter2", r.stdout + r.stderr)
        self.assertIn("password file", doc["error"]["hint"])
        self.assertExit(self.add_user(), 0)
        r = self.twofa("status", "--health")
        self.assertIn(f"ok    database  {self.db} (schema 6, PostgreSQL", r.stdout)
        down = f"postgresql://twofa@127.0.0.1:{pgserver._free_port()}/x"
        for args in (["user", "list"], ["status", "--all"]):
            r, doc = self.twofa_json(*args, env={"TWOFA_DB": down})
            self.assertExit(r, 11)
            self.assertIn("cannot connect to PostgreSQL", doc["error"]["message"])
        # Case-insensitive emails, as SQLite's NOCASE.
        self.assertExit(self.add_user("ALICE@example.com"), 7)
        self.assertEqual(self.twofa_json("user", "show", "Alice@Example.com")[1]["email"], "alice@example.com")


class WakeUps(PostgresCase):
    def test_a_callback_on_another_hosts_listener_wakes_the_login_at_once(self):
        # Host B: its own HOME (configuration, state), the same database.
        host_b = os.path.join(self.home, "host-b")
        os.makedirs(host_b)
        env_b = {**self.env, "HOME": host_b, "XDG_DATA_HOME": host_b + "/d",
                 "XDG_STATE_HOME": host_b + "/s", "XDG_CONFIG_HOME": host_b + "/c"}
        listener = Listener(env_b, host_b)
        self.addCleanup(listener.stop)
        self.assertExit(self.add_user("nora@example.com", "555-123-3333"), 0)  # never answers
        aid = self.authy_id("nora@example.com")
        login = subprocess.Popen([TWOFA, "--json", "login", "nora@example.com", "--password-stdin",
                                  "--via", "onetouch"], env=self.env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(login.kill)
        login.stdin.write(PASSWORD + "\n")
        login.stdin.close()
        started = time.monotonic()
        uuid = None
        while uuid is None and time.monotonic() - started < 5:
            rows = self.query("SELECT challenge FROM login_sessions WHERE challenge IS NOT NULL")
            uuid = rows[0][0] if rows else None
            time.sleep(0.02)
        self.assertIsNotNone(uuid)
        time.sleep(0.3)  # waiting on the feed now
        status, _ = listener.signed(authy_sign.callback_body(aid, uuid, "approved"))
        acked = time.monotonic()
        self.assertEqual(status, 200)
        login.wait(timeout=10)
        woke = time.monotonic() - acked
        out = login.stdout.read()
        self.assertEqual(json.loads(out)["status"], "approved")
        # Before the provider poll (every 3 s from the start) could have told it: the sandbox
        # saw no status request.
        self.assertLess(time.monotonic() - started, 2.5)
        polls = [q for q in self.api_requests() if q["method"] == "GET" and uuid in q["path"]]
        self.assertEqual(polls, [])
        print(f"\ncallback on another host's listener -> login exit: {woke * 1000:.1f} ms", flush=True)


class Restart(TwofaCase):
    """A server of its own: it is stopped and started under a listener."""

    def setUp(self):
        super().setUp()
        self.own = self.use_own_server("-c fsync=off", "r")

    def test_callbacks_get_503_while_it_is_down_and_the_listener_recovers(self):
        self.assertExit(self.add_user("nora@example.com", "555-123-3333"), 0)
        aid = self.authy_id("nora@example.com")
        listener = Listener(self.env, self.home)
        self.addCleanup(listener.stop)
        r, doc = self.twofa_json("login", "nora@example.com", "--password-stdin", "--no-wait",
                                 "--via", "onetouch", input=PASSWORD + "\n")
        self.assertExit(r, 3)
        sid = doc["session"]
        uuid = self.query("SELECT challenge FROM login_sessions")[0][0]
        pgserver.stop(self.own, "fast")
        status, body = listener.signed(authy_sign.callback_body(aid, uuid, "approved"))
        self.assertEqual(status, 503, body)
        r, doc = self.twofa_json("status", sid)
        self.assertExit(r, 11)
        pgserver.start(self.own)
        deadline = time.monotonic() + 10
        while True:  # the provider retries; the listener reconnects by itself
            status, body = listener.signed(authy_sign.callback_body(aid, uuid, "approved"))
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(status, 200, body)
        h = hashlib.sha256(sid.encode()).hexdigest()
        self.assertEqual(self.query("SELECT status FROM login_sessions WHERE id_hash = ?", h), [("approved",)])
        self.assertEqual(listener.proc.poll(), None)


if __name__ == "__main__":
    unittest.main()
