"""twofa user import: CSV and JSON lines, concurrency, idempotent re-runs, per-row reports."""
import json
import os
import sqlite3
import time
import unittest

from harness import TwofaCase

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
        con = sqlite3.connect(self.db)
        (count,) = con.execute("SELECT COUNT(*) FROM users").fetchone()
        (distinct,) = con.execute("SELECT COUNT(DISTINCT provider_user) FROM users").fetchone()
        con.close()
        self.assertEqual((count, distinct), (1000, 1000))
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
        con = sqlite3.connect(self.db)
        stored = con.execute("SELECT email, password_hash FROM users").fetchall()
        con.close()
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

    def test_provider_down_fails_every_row(self):
        path = self.write("two.csv", "email,phone,country_code\na@example.com,5551230000,1\nb@example.com,5551230000,1\n")
        self.sandbox.fault("503", count=100)
        r, docs = self.twofa_json("user", "import", path)
        self.assertExit(r, 8)
        self.assertEqual(docs[-1]["summary"]["failed"], 2)
        self.assertEqual(self.db_rows()[0], [])


if __name__ == "__main__":
    unittest.main()
