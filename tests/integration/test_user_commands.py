"""twofa user add | list | show | remove | unlock against twofa-sandbox."""
import json
import os
import time
import stat
import unittest

from harness import PASSWORD, TwofaCase


class UserCommands(TwofaCase):
    def test_add_list_show_remove(self):
        r, doc = self.twofa_json("user", "add", "--email", "alice@example.com", "--phone", "555-123-0000",
                                 "--country-code", "1", "--name", "Alice A", "--password-stdin",
                                 input=PASSWORD + "\n")
        self.assertExit(r, 0)
        self.assertEqual(set(doc), {"email", "name", "provider", "authy_id", "country_code", "phone", "status", "unix_user"})
        self.assertEqual(doc["email"], "alice@example.com")
        self.assertEqual(doc["phone"], "+1 ***-***-0000")
        self.assertEqual(doc["status"], "unverified")
        self.assertEqual([u["authy_id"] for u in self.sandbox.users()], [doc["authy_id"]])

        r, listed = self.twofa_json("user", "list")
        self.assertExit(r, 0)
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["phone"], "+1 ***-***-0000")
        self.assertNotIn("5551230000", r.stdout)
        # Written by hand, a user at a time, as a document would dump: compact, keys sorted.
        self.assertEqual(set(listed[0]), set(doc) | {"locked", "created_at"})
        self.assertEqual(r.stdout, json.dumps(listed, sort_keys=True, separators=(",", ":"),
                                              ensure_ascii=False) + "\n")

        r, shown = self.twofa_json("user", "show", "ALICE@example.com")
        self.assertExit(r, 0)
        # The full number only in show, in the list's grouping; e164 for scripts.
        self.assertEqual((shown["phone"], shown["e164"]), ("+1 555-123-0000", "+15551230000"))
        r = self.twofa("user", "show", "alice@example.com")
        self.assertIn("Phone:        +1 555-123-0000\n", r.stdout)
        r = self.twofa("user", "list")
        self.assertIn("+1 ***-***-0000", r.stdout)
        self.assertEqual(shown["password"], "argon2id")
        self.assertNotIn("remote", shown)

        r, remote = self.twofa_json("user", "show", "alice@example.com", "--remote")
        self.assertExit(r, 0)
        self.assertTrue(remote["remote"]["registered"])

        # The stored hash is Argon2id and never the password.
        [(h,)] = self.query("SELECT password_hash FROM users")
        self.assertTrue(h.startswith("$argon2id$"))
        self.assertNotIn(PASSWORD, h)

        r, removed = self.twofa_json("user", "remove", "alice@example.com", "--yes")
        self.assertExit(r, 0)
        self.assertEqual(removed, {"email": "alice@example.com", "removed": True})
        self.assertEqual(self.sandbox.users(), [])
        self.assertExit(self.twofa("user", "show", "alice@example.com"), 6)
        self.assertExit(self.twofa("user", "remove", "alice@example.com", "--yes"), 6)

    def test_human_output(self):
        self.assertExit(self.add_user(), 0)
        r = self.twofa("user", "list")
        self.assertExit(r, 0)
        self.assertIn("alice@example.com", r.stdout)
        self.assertIn("+1 ***-***-0000", r.stdout)

    def test_duplicate_email_is_a_conflict(self):
        self.assertExit(self.add_user(), 0)
        before = self.db_rows()
        self.assertExit(self.add_user(email="ALICE@example.com"), 7)
        r, doc = self.twofa_json("user", "add", "--email", "alice@example.com", "--phone", "5551230000",
                                 "--country-code", "1", "--password-stdin", "--if-not-exists",
                                 input=PASSWORD + "\n")
        self.assertExit(r, 0)
        self.assertEqual(doc["email"], "alice@example.com")
        self.assertEqual(self.db_rows(), before)

    def test_database_and_folder_are_private(self):
        self.assertExit(self.add_user(), 0)
        if self.pg is not None:
            # PostgreSQL's credentials: a password file others can read is not used.
            os.chmod(os.path.join(self.home, "pgpass"), 0o644)
            r, doc = self.twofa_json("user", "list")
            self.assertExit(r, 11)
            self.assertIn("password", doc["error"]["message"])
            return
        self.assertEqual(stat.S_IMODE(os.stat(self.db).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.db)).st_mode), 0o700)
        os.chmod(self.db, 0o644)
        r, doc = self.twofa_json("user", "list")
        self.assertExit(r, 10)
        self.assertEqual(doc["error"]["name"], "CONFIG")

    def test_unlock(self):
        self.assertExit(self.add_user(), 0)
        self.query("UPDATE users SET status='locked', failed_logins=7, locked_until=4102444800")
        r, doc = self.twofa_json("user", "list")
        self.assertTrue(doc[0]["locked"])
        r, doc = self.twofa_json("user", "unlock", "alice@example.com")
        self.assertExit(r, 0)
        self.assertEqual(doc, {"email": "alice@example.com", "status": "unverified", "locked": False})
        r, shown = self.twofa_json("user", "show", "alice@example.com")
        self.assertEqual(shown["failed_logins"], 0)
        self.assertFalse(shown["locked"])
        self.assertExit(self.twofa("user", "unlock", "nobody@example.com"), 6)

    def test_remove_needs_confirmation_without_a_terminal(self):
        self.assertExit(self.add_user(), 0)
        self.assertExit(self.twofa("user", "remove", "alice@example.com"), 2)
        self.assertEqual(len(self.sandbox.users()), 1)

    def test_remove_of_a_user_authy_forgot(self):
        self.assertExit(self.add_user(), 0)
        authy_id = self.sandbox.users()[0]["authy_id"]
        self.assertEqual(self.sandbox.call("POST", f"/protected/json/users/{authy_id}/remove",
                                           headers={"X-Authy-API-Key": self.env["AUTHY_API_KEY"]})[0], 200)
        self.assertExit(self.twofa("user", "remove", "alice@example.com", "--yes"), 0)
        self.assertEqual(self.db_rows()[0], [])

    def test_busy_database_is_a_store_error(self):
        self.assertExit(self.add_user(), 0)
        con = self.hold_write_lock()  # past the 5 s busy (lock) timeout
        try:
            r, doc = self.twofa_json("user", "unlock", "alice@example.com")
        finally:
            con.close()
        self.assertExit(r, 11)
        self.assertIn("busy", doc["error"]["message"])
        self.assertExit(self.twofa("user", "unlock", "alice@example.com"), 0)

    def test_reading_commands_do_not_wait_for_a_busy_writer(self):
        # A listener committing callbacks holds the write lock over and over: commands that only
        # look (list, show, status of a session with nothing due, status --all) never wait for it.
        self.assertExit(self.add_user(), 0)
        r, doc = self.login()
        self.assertExit(r, 3)  # waiting for the code
        session = doc["session"]
        con = self.hold_write_lock()
        try:
            for argv, code in ((("user", "list"), 0), (("user", "show", "alice@example.com"), 0),
                               (("status", "--all"), 0), (("status", "--session", session), 3)):
                started = time.monotonic()
                r = self.twofa(*argv)
                self.assertExit(r, code)
                self.assertLess(time.monotonic() - started, 2.0, argv)  # the busy timeout is 5 s
            self.assertIn("alice@example.com", r.stdout)
        finally:
            con.close()

    def test_json_error_document(self):
        self.assertExit(self.add_user(), 0)
        r, doc = self.twofa_json("user", "show", "nobody@example.com")
        self.assertExit(r, 6)
        self.assertEqual(doc["error"]["code"], 6)
        self.assertEqual(doc["error"]["name"], "NOT_FOUND")
        self.assertIn("twofa: error:", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)

    def test_usage_errors(self):
        self.assertExit(self.twofa("user"), 2)
        self.assertExit(self.twofa("user", "frobnicate"), 2)
        self.assertExit(self.twofa("user", "add", "--email", "a@b.co"), 2)
        self.assertExit(self.twofa("--help"), 0)
        self.assertExit(self.twofa("user", "add", "--help"), 0)


class KeyConfiguration(TwofaCase):
    def add(self, env=None):
        return self.twofa("user", "add", "--email", "k@example.com", "--phone", "5551230000",
                          "--country-code", "1", "--password-stdin", input=PASSWORD + "\n", env=env)

    def test_no_key_is_exit_10(self):
        self.assertExit(self.add(env={"AUTHY_API_KEY": None}), 10)
        self.assertEqual(self.api_requests(), [])

    def test_key_file_must_be_private(self):
        key = os.path.join(self.home, "authy.key")
        with open(key, "w") as f:
            f.write(self.env["AUTHY_API_KEY"] + "\n")
        cfg_dir = os.path.join(self.home, "config", "twofa")
        os.makedirs(cfg_dir)
        with open(os.path.join(cfg_dir, "config.toml"), "w") as f:
            f.write(f'[authy]\napi_key_file = "{key}"\n')
        os.chmod(key, 0o644)
        r = self.add(env={"AUTHY_API_KEY": None})
        self.assertExit(r, 10)
        self.assertIn("chmod 600", r.stderr)
        self.assertEqual(self.db_rows()[0], [])
        os.chmod(key, 0o600)
        self.assertExit(self.add(env={"AUTHY_API_KEY": None}), 0)

    def test_wrong_key_is_rejected_by_the_provider(self):
        r = self.add(env={"AUTHY_API_KEY": "wrong"})
        self.assertExit(r, 9)
        self.assertIn("60001", r.stderr)
        self.assertEqual(self.db_rows()[0], [])

    def test_plain_http_only_to_loopback(self):
        r = self.add(env={"TWOFA_AUTHY_URL": "http://api.authy.com"})
        self.assertExit(r, 10)  # the environment's fault: configuration
        self.assertExit(self.twofa("--authy-url", "ftp://127.0.0.1", "user", "add", "--email", "k@example.com",
                                   "--phone", "5551230000", "--country-code", "1", "--password-stdin",
                                   input=PASSWORD + "\n"), 2)


if __name__ == "__main__":
    unittest.main()
