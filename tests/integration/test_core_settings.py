"""The composition root as users meet it: the provider setting, the store chosen by the db
setting's scheme, the key-file variable, the settings table in --help and status --health,
and the command line's own hints on the library's errors."""
import os
import re
import unittest

from harness import API_KEY, PASSWORD, TwofaCase


class CoreSettings(TwofaCase):
    def test_provider_setting(self):
        self.assertExit(self.add_user(), 0)
        r = self.twofa("status", "--health", env={"TWOFA_PROVIDER": "nope"})
        self.assertExit(r, 10)
        self.assertIn("unknown provider 'nope'", r.stderr + r.stdout)
        # New users get the setting's provider; a listing shows each user's own.
        r = self.twofa("user", "add", "--email", "n@example.com", "--phone", "555-123-4567",
                       "--country-code", "1", "--password-stdin", input="correct horse battery\n",
                       env={"TWOFA_PROVIDER": "nope"})
        self.assertExit(r, 10)
        r, doc = self.twofa_json("user", "list", env={"TWOFA_PROVIDER": "nope"})
        self.assertExit(r, 0)
        self.assertEqual([(u["provider"], "authy_id" in u) for u in doc], [("authy", True)])

    def test_store_by_scheme(self):
        db = os.path.join(self.home, "by-url.db")
        os.makedirs(os.path.dirname(db), exist_ok=True)
        self.assertExit(self.add_user("url@example.com", "555-123-0000", "1", "U", "--db", "sqlite://" + db), 0)
        r, doc = self.twofa_json("user", "list", env={"TWOFA_DB": "sqlite://" + db})
        self.assertExit(r, 0)
        self.assertEqual([u["email"] for u in doc], ["url@example.com"])
        self.assertFalse(os.path.exists(self.default_db))  # the default location was not touched
        r = self.twofa("user", "list", "--db", "mysql://db.example/twofa")
        self.assertExit(r, 10)
        self.assertIn("no store backend", r.stderr)

    def test_api_key_file_from_the_environment(self):
        key = os.path.join(self.home, "authy.key")
        with open(key, "w") as f:
            f.write(API_KEY + "\n")
        os.chmod(key, 0o600)
        env = {"AUTHY_API_KEY": None, "TWOFA_AUTHY_API_KEY_FILE": key}
        r = self.twofa("user", "add", "--email", "k@example.com", "--phone", "5551230000",
                       "--country-code", "1", "--password-stdin", input=PASSWORD + "\n", env=env)
        self.assertExit(r, 0)
        os.chmod(key, 0o644)
        r = self.twofa("status", "--health", env=env)
        self.assertExit(r, 10)
        self.assertIn("chmod 600", r.stdout + r.stderr)

    def test_settings_table_in_help_and_health(self):
        r = self.twofa("--help")
        self.assertExit(r, 0)
        for key in ("login.user_lock_seconds", "TWOFA_AUTHY_API_KEY_FILE", "TWOFA_PROVIDER", "failmode"):
            self.assertIn(key, r.stdout)
        self.assertExit(self.add_user(), 0)
        r, doc = self.twofa_json("status", "--health", env={"TWOFA_CALLBACK_LISTEN": None})
        self.assertExit(r, 0)
        s = doc["settings"]
        self.assertEqual(s["provider"], {"value": "authy", "source": "default"})
        self.assertEqual(s["authy.url"], {"value": self.sandbox.url, "source": "environment"})
        self.assertEqual(s["authy.timeout_ms"]["value"], "1500")
        self.assertNotIn(API_KEY, r.stdout)  # the key itself is no setting to show

    def test_unknown_keys_and_insecure_urls_are_configuration_errors(self):
        self.assertExit(self.add_user(), 0)
        # A misspelt key would otherwise run on the defaults without a word.
        self.write_config('dbb = "/x"\n')
        r = self.twofa("user", "list")
        self.assertExit(r, 10)
        self.assertIn("unknown config key 'dbb'", r.stderr)
        self.assertIn("(did you mean 'db'?)", r.stderr)
        self.write_config('[login]\ntimeout = 30\nresend_intervall = 5\n')
        r = self.twofa("status", "--health")
        self.assertExit(r, 10)
        self.assertIn("did you mean 'login.resend_interval'?", r.stderr)
        self.write_config('[login]\ntimeout = 30\n')
        self.assertExit(self.twofa("user", "list"), 0)
        # Plain http to a remote host: the environment's or the file's fault is exit 10, a flag's 2.
        r = self.twofa("user", "show", "alice@example.com", "--remote", env={"TWOFA_AUTHY_URL": "http://api.authy.com"})
        self.assertExit(r, 10)
        self.assertIn("authy.url: plain http:// is allowed only to a loopback host", r.stderr)
        r = self.twofa("--authy-url", "http://api.authy.com", "user", "show", "alice@example.com", "--remote")
        self.assertExit(r, 2)

    def loaded_libraries(self, *args, **kw):
        """The shared libraries the dynamic loader opened while twofa ran ARGS (LD_DEBUG)."""
        env = dict(kw.pop("env", None) or {}, LD_DEBUG="files")
        r = self.twofa(*args, env=env, **kw)
        return r, set(re.findall(r"file=(lib[a-z0-9+_-]+)\.so", r.stderr))

    def test_commands_load_the_network_and_crypto_libraries_only_when_they_use_them(self):
        self.assertExit(self.add_user(), 0)
        # On PostgreSQL, libpq is the store's, and it brings libssl and libcrypto with it.
        on_postgres = self.env.get("TWOFA_DB", "").startswith("postgresql")
        lazy = {"libcurl", "libqrencode"} | (set() if on_postgres else {"libpq", "libcrypto", "libssl"})
        for args in (("user", "list"), ("user", "show", "alice@example.com"),
                     ("status", "--session", "no-such-session"), ("logout", "--session", "nope")):
            r, libs = self.loaded_libraries(*args)
            self.assertIn("libsqlite3", libs, args)  # the trace did see the loader's work
            self.assertEqual(libs & lazy, set(), args)
        # A command that talks to the provider loads libcurl (and libcrypto under it) then.
        r, libs = self.loaded_libraries("user", "add", "--email", "b@example.com", "--phone",
                                        "555-123-0001", "--country-code", "1",
                                        "--password-stdin", input=PASSWORD + "\n")
        self.assertExit(r, 0)
        self.assertLessEqual({"libcurl", "libcrypto"}, libs)
        self.assertNotIn("libqrencode", libs)
        # A QR code loads libqrencode: asked for (on a pipe, auto draws none and loads nothing).
        r, libs = self.loaded_libraries("user", "add", "--email", "t@example.com", "--provider", "totp",
                                        "--qr", "compact", "--password-stdin", input=PASSWORD + "\n")
        self.assertExit(r, 0)
        self.assertIn("libqrencode", libs)
        self.assertTrue(set("\u2580\u2584\u2588") & set(r.stdout), r.stdout)  # the symbol's blocks

    def test_front_end_words_the_hints(self):
        # The library says "log in again"; the command line names its command.
        self.assertExit(self.add_user(), 0)
        r = self.twofa("status", "--session", "A" * 32)
        self.assertExit(r, 6)
        self.assertIn("twofa login", r.stderr)


if __name__ == "__main__":
    unittest.main()
