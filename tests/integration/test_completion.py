"""Shell completions are generated from the command definitions: for every command path, bash
and zsh offer exactly the subcommands and options its --help lists, choices for options that
have them, and file names where a file is wanted."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import TWOFA


def help_of(path):
    out = subprocess.run([TWOFA, *path, "--help"], capture_output=True, text=True, check=True).stdout
    subcommands, options, section = [], set(), None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            section = line.rstrip(":")
            continue
        entry = re.match(r"^  (\S+)", line)  # deeper indentation continues a description
        if entry and section == "Subcommands":
            subcommands.append(entry.group(1))
        elif entry and entry.group(1).startswith("-") and section in (
                "Options", "Global options (also accepted after the command)"):
            options.update(re.findall(r"--[a-z][a-z0-9-]*", entry.group(1)))
    return subcommands, options


def every_path(path=()):
    yield path
    for sub in help_of(list(path))[0]:
        yield from every_path(path + (sub,))


class Completion(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="twofa-comp-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        for shell in ("bash", "zsh"):
            r = subprocess.run([TWOFA, "completion", shell], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(self.tmp, shell), "w") as f:
                f.write(r.stdout)

    def bash(self, *words):
        """What bash offers after `twofa WORDS...` (the last word is being completed)."""
        script = (f"source {self.tmp}/bash; COMP_WORDS=(twofa {' '.join(repr(w) for w in words)}); "
                  f"COMP_CWORD={len(words)}; _twofa; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
        r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [w for w in r.stdout.splitlines() if w]

    def zsh(self, *words):
        """What zsh's completion function offers, with _describe, compadd and _files stubbed."""
        script = ("_describe() { local -a c; c=(\"${(@P)${@[-1]}}\"); print -rl -- ${c%%:*}; }; "
                  "compadd() { shift; print -rl -- \"$@\"; }; _files() { print FILES; }; "
                  f"words=(twofa {' '.join(repr(w) for w in words)}); CURRENT={len(words) + 1}; "
                  f"source {self.tmp}/zsh")
        r = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [w for w in r.stdout.splitlines() if w]

    def test_every_command_path_offers_what_its_help_lists(self):
        paths = list(every_path())
        self.assertIn(("user", "totp", "confirm"), paths)
        self.assertNotIn(("completion",), paths)  # hidden, as pam-helper is
        for path in paths:
            subcommands, options = help_of(list(path))
            want = set(subcommands) | options
            with self.subTest(path=path):
                got_bash = set(self.bash(*path, ""))
                got_zsh = set(self.zsh(*path, ""))
                # --version belongs to the top level but is accepted after any command.
                self.assertEqual(got_bash - {"--version"}, want - {"--version"})
                self.assertEqual(got_zsh, got_bash)
                self.assertTrue(set(subcommands) <= got_bash)

    def test_prefixes_choices_and_files(self):
        self.assertEqual(self.bash("us"), ["user"])
        self.assertEqual(self.bash("user", "totp", "r"), ["reset", "rotate-key"])
        self.assertEqual(self.bash("login", "--via", "s"), ["sms"])
        # The same option name on two commands: each offers its own values.
        self.assertEqual(self.bash("resend", "--via", ""), ["sms", "call", "email"])
        self.assertEqual(self.zsh("resend", "--via", ""), ["sms", "call", "email"])
        self.assertIn("token", self.bash("login", "--via", ""))
        self.assertEqual(sorted(self.bash("user", "add", "--provider", "")), ["authy", "totp", "verify"])
        self.assertEqual(sorted(self.bash("status", "--json", "--he")), ["--health", "--help"])
        open(os.path.join(self.tmp, "config.toml"), "w").close()
        self.assertEqual(self.bash("--config", "conf"), ["config.toml"])
        self.assertEqual(self.bash("user", "list", "--config", "conf"), ["config.toml"])  # global
        self.assertEqual(self.bash("login", "--timeout", ""), [])  # a number: nothing to offer
        self.assertEqual(self.zsh("--config", ""), ["FILES"])
        self.assertIn("sms", self.zsh("login", "--via", ""))

    def test_an_unknown_shell_is_a_usage_error(self):
        r = subprocess.run([TWOFA, "completion", "fish"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no completion for 'fish' (give bash or zsh)", r.stderr)


if __name__ == "__main__":
    unittest.main()
