"""twofa user import: CSV and JSON lines, concurrency, idempotent re-runs, per-row reports."""
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
import unittest

from harness import TIME_SCALE, TWOFA, TwofaCase

WERKZEUG = "pbkdf2:sha256:260000$Ab3dEf9h$171812b191ff23efa042989a5ea44625549a0cefabc0878defea1333458f3441"


class Import(TwofaCase):
    def write(self, name, text):
        path = os.path.join(self.home, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_thousand_rows_twice_enrolls_each_once(self):
        lines = ["email,phone,country_code,name"]
        lines += [f"user{i:04d}@example.com,555{i:07d},1,User {i}" for i in range(1000)]
        path = self.write("users.csv", "\n".join(lines) + "\n")
        start = time.monotonic()
        r, docs = self.twofa_json("user", "import", path, "--jobs", "8", timeout=240)
        first = time.monotonic() - start
        self.assertExit(r, 0)
        rows, summary = docs[:-1], docs[-1]["summary"]
        self.assertEqual(len(rows), 1000)
        # Eight jobs finish rows out of order; they are reported in input order.
        self.assertEqual([d["line"] for d in rows], list(range(2, 1002)))
        self.assertEqual(summary, {"total": 1000, "enrolled": 1000, "existed": 0, "failed": 0})
        self.assertEqual({d["result"] for d in rows}, {"enrolled"})
        self.assertEqual(len(self.sandbox.users()), 1000)

        r, docs = self.twofa_json("user", "import", path, timeout=240)
        self.assertExit(r, 0)
        self.assertEqual(docs[-1]["summary"], {"total": 1000, "enrolled": 0, "existed": 1000, "failed": 0})
        self.assertEqual(len(self.sandbox.users()), 1000)
        self.assertEqual(self.query("SELECT COUNT(*), COUNT(DISTINCT provider_user) FROM users"),
                         [(1000, 1000)])
        print(f"\nimport of 1000 rows with --jobs 8: {first:.2f} s", flush=True)

    def test_bad_rows_are_reported_and_good_rows_enrolled(self):
        path = self.write("mixed.csv", "email,phone,country_code,name,password_hash\n"
                                       f"good@example.com,5551230000,1,Good,{WERKZEUG}\n"
                                       "bad-email,5551230000,1,Bad,\n"
                                       "short@example.com,12,1,Short,\n"
                                       "hash@example.com,5551230000,1,Hash,plaintext\n"
                                       "good@example.com,5551230000,1,Dup,\n"
                                       "invalid@example.com,5551234444,1,Invalid,\n")
        r, docs = self.twofa_json("user", "import", path, "--jobs", "3")
        self.assertExit(r, 2)  # the first failed row (line 3) is a usage error
        by_line = {d["line"]: d for d in docs[:-1]}
        self.assertEqual(by_line[2]["result"], "enrolled")
        for line in (3, 4, 5, 6, 7):
            self.assertEqual(by_line[line]["result"], "failed", line)
        self.assertEqual(by_line[7]["error"]["code"], 9)
        self.assertEqual(docs[-1]["summary"]["failed"], 5)
        stored = self.query("SELECT email, password_hash FROM users")
        self.assertEqual(stored, [("good@example.com", WERKZEUG)])

    def test_json_lines_from_stdin_and_human_report(self):
        data = "\n".join(json.dumps(d) for d in [
            {"email": "j1@example.com", "phone": "5551230000", "country_code": 1, "name": "J One"},
            {"email": "j2@example.com", "phone": "5551232222", "country_code": "44"},
        ]) + "\n"
        r = self.twofa("user", "import", "-", input=data)
        self.assertExit(r, 0)
        self.assertIn("2 rows: 2 enrolled, 0 already enrolled, 0 failed", r.stdout)
        self.assertIn("line 1: j1@example.com: enrolled", r.stdout)

    def test_malformed_file_is_usage_and_stores_nothing(self):
        path = self.write("broken.csv", "email,phone\nx@example.com,5551230000\n")
        self.assertExit(self.twofa("user", "import", path), 2)
        self.assertExit(self.twofa("user", "import", os.path.join(self.home, "missing.csv")), 2)
        self.assertEqual(self.api_requests(), [])
        self.assertEqual(self.db_rows()[0], [])

    def flask_db(self, users):
        """A database shaped as the tutorial app's migration f2733ec8543e makes it."""
        path = os.path.join(self.home, "authy2fa.sqlite")
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE users (id INTEGER NOT NULL PRIMARY KEY, email VARCHAR(64), "
                    "password_hash VARCHAR(128), full_name VARCHAR(256), country_code INTEGER, "
                    "phone VARCHAR(30), authy_id INTEGER, authy_status VARCHAR(10))")
        con.executemany("INSERT INTO users (email, password_hash, full_name, country_code, phone, authy_id, "
                        "authy_status) VALUES (?, ?, ?, ?, ?, 1234, 'approved')", users)
        con.commit()
        con.close()
        return path

    def test_from_flask_db_with_every_werkzeug_hash(self):
        # The hashes as werkzeug's generate_password_hash makes them (scrypt is its default since
        # 3.0), computed here the way werkzeug computes them.
        pw = "tutorial-pass-1"
        scrypt = "scrypt:32768:8:1$Sa1tSa1tSa1tSa1t$" + hashlib.scrypt(
            pw.encode(), salt=b"Sa1tSa1tSa1tSa1t", n=32768, r=8, p=1, maxmem=64 << 20, dklen=64).hex()
        sha256 = "pbkdf2:sha256:600000$Sa1t2$" + hashlib.pbkdf2_hmac("sha256", pw.encode(), b"Sa1t2", 600000).hex()
        sha1 = "pbkdf2:sha1:1000$Sa1t3$" + hashlib.pbkdf2_hmac("sha1", pw.encode(), b"Sa1t3", 1000).hex()
        path = self.flask_db([
            ("s@example.com", scrypt, "Scrypt User", 1, "555-123-0000"),
            ("p@example.com", sha256, "Pbkdf2 User", 1, "(555) 123-0001"),
            ("o@example.com", sha1, "Old User", 44, "7700 900123"),
        ])
        r, docs = self.twofa_json("user", "import", "--from-flask-db", path)
        self.assertExit(r, 0)
        self.assertEqual([(d["line"], d["email"], d["result"]) for d in docs[:-1]],
                         [(1, "s@example.com", "enrolled"), (2, "p@example.com", "enrolled"),
                          (3, "o@example.com", "enrolled")])
        stored = dict(self.query("SELECT email, password_hash FROM users"))
        self.assertEqual(stored["s@example.com"], scrypt)
        self.assertEqual(self.query("SELECT name, country_code, phone FROM users WHERE email = 'o@example.com'"),
                         [("Old User", 44, "7700900123")])
        self.assertEqual(self.twofa_json("user", "show", "s@example.com")[1]["password"], "scrypt")
        for email in ("s@example.com", "p@example.com", "o@example.com"):
            r, doc = self.login(email, password=pw)
            self.assertExit(r, 3)  # the password was right: a code was sent
            r, _ = self.login(email, password=pw + "x")
            self.assertExit(r, 1)
        # Each was re-hashed to Argon2id at its first login.
        for email, h in self.query("SELECT email, password_hash FROM users"):
            self.assertTrue(h.startswith("$argon2id$"), (email, h))
        # Re-running is safe; a file that is not the tutorial's database is exit 2.
        r, docs = self.twofa_json("user", "import", "--from-flask-db", path)
        self.assertExit(r, 0)
        self.assertEqual(docs[-1]["summary"]["existed"], 3)
        other = self.write("x.sqlite", "")
        sqlite3.connect(other).execute("CREATE TABLE users (id INTEGER, email TEXT)").connection.close()
        r = self.twofa("user", "import", "--from-flask-db", other)
        self.assertExit(r, 2)
        self.assertIn("has no users table with a password_hash column", r.stderr)
        self.assertExit(self.twofa("user", "import", "--from-flask-db", self.home), 2)

    def test_provider_down_fails_every_row(self):
        path = self.write("two.csv", "email,phone,country_code\na@example.com,5551230000,1\nb@example.com,5551230000,1\n")
        self.sandbox.fault("503", count=100)
        r, docs = self.twofa_json("user", "import", path)
        self.assertExit(r, 8)
        self.assertEqual(docs[-1]["summary"]["failed"], 2)
        self.assertEqual(self.db_rows()[0], [])

    def slow_import(self, latency_ms, rows, *args):
        """`twofa user import --json` of `rows` new users at a provider latency_ms away,
        running (not waited for)."""
        slow = self.use_slow_provider(latency_ms)
        lines = ["email,phone,country_code"] + [f"s{i:04d}@example.com,555{i:07d},1" for i in range(rows)]
        path = self.write("slow.csv", "\n".join(lines) + "\n")
        proc = subprocess.Popen([TWOFA, "--json", "user", "import", path, *args], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(proc.kill)
        return slow, path, proc

    def test_sigterm_stops_after_the_rows_started_and_a_rerun_goes_on(self):
        slow, path, proc = self.slow_import(40, 400, "--jobs", "4")
        reported = [json.loads(proc.stdout.readline()) for _ in range(20)]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.stdout.read(), proc.stderr.read()  # (what readline has buffered too)
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 130, err)
        docs = reported + [json.loads(line) for line in out.splitlines()]
        rows, summary = docs[:-1], docs[-1]["summary"]
        self.assertTrue(summary["stopped"])
        self.assertEqual(summary["total"], 400)
        self.assertGreater(summary["skipped"], 0)
        self.assertEqual(summary["enrolled"] + summary["skipped"], 400)
        # The rows reported are the first ones of the file, each enrolled, and nothing
        # registered at the provider was left unstored.
        self.assertEqual([d["line"] for d in rows], list(range(2, 2 + summary["enrolled"])))
        self.assertEqual({d["result"] for d in rows}, {"enrolled"})
        self.assertEqual(len(slow.users()), summary["enrolled"])
        self.assertEqual(self.query("SELECT COUNT(*) FROM users"), [(summary["enrolled"],)])
        self.assertIn("stopping: the rows already started are finished and stored", err)
        self.assertIn(f"stopped with {summary['skipped']} rows not started", err)

        r, docs = self.twofa_json("user", "import", path, "--jobs", "16", timeout=60)
        self.assertExit(r, 0)
        self.assertEqual(docs[-1]["summary"], {"total": 400, "enrolled": summary["skipped"],
                                               "existed": summary["enrolled"], "failed": 0})
        self.assertEqual(len(slow.users()), 400)

    def test_a_second_interrupt_quits_at_once(self):
        # A provider 3 s away: the rows in flight would keep the import for seconds.
        _, _, proc = self.slow_import(3000, 20, "--jobs", "2")
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        self.assertIsNone(proc.poll())  # finishing the rows started
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        self.assertLess(time.monotonic() - start, 1.0 * TIME_SCALE)
        self.assertEqual(proc.returncode, 130)
        self.assertIn("twofa: interrupted", err)
        self.assertEqual(out, "")  # no row had finished: nothing reported, no summary


if __name__ == "__main__":
    unittest.main()
