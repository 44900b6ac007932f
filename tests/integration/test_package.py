"""The Debian package (scripts/package builds it; scripts/test runs that first): lintian finds no
error or warning, it installs on this machine, and what it installs works: twofa --version, the
man pages, a completion, the system user, and the systemd unit (systemd-analyze verify, and an
exposure score of at most 2.0 from systemd-analyze security --offline)."""
import glob
import os
import re
import subprocess
import unittest

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
UNIT = "/lib/systemd/system/twofa-serve-callback.service"


def the_package():
    debs = glob.glob(os.path.join(SOURCE, "build", "package", "twofa_*.deb"))
    if len(debs) != 1:
        raise AssertionError(f"want one package in build/package, found {debs}: run scripts/package")
    return debs[0]


def run(*argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=300, **kw)


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise AssertionError("installing the package needs root (CI runs as root)")
        cls.deb = the_package()

    def test_lintian_reports_no_error_or_warning(self):
        r = run("lintian", "--fail-on", "error,warning", self.deb)
        tags = [l for l in r.stdout.splitlines() if re.match(r"^[EW]: ", l)]
        self.assertEqual(tags, [])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # Everything, info and overrides too; the one override is the setuid gate, with a reason.
        r = run("lintian", "-I", "--show-overrides", self.deb)
        print("\n" + r.stdout, flush=True)  # the closing note quotes it
        self.assertIn("O: twofa: elevated-privileges 4755 root/root [usr/bin/twofa-gate]", r.stdout)

    def test_installs_and_works(self):
        self.addCleanup(run, "dpkg", "--purge", "twofa")
        r = run("dpkg", "-i", self.deb, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        version = run("/usr/bin/twofa", "--version")
        self.assertEqual(version.stdout, "twofa 0.1.0\n")
        self.assertEqual(run("/usr/bin/twofa-sandbox", "--version").stdout, "twofa-sandbox 0.1.0\n")
        self.assertEqual(os.stat("/usr/bin/twofa-gate").st_mode & 0o7777, 0o4755)
        self.assertTrue(os.path.exists("/lib/x86_64-linux-gnu/security/pam_twofa.so"))
        for page, path in (("twofa", "/usr/share/man/man1/twofa.1.gz"),
                           ("twofa-sandbox", "/usr/share/man/man1/twofa-sandbox.1.gz"),
                           ("pam_twofa", "/usr/share/man/man8/pam_twofa.8.gz")):
            self.assertEqual(run("man", "-w", page).stdout.strip(), path)
        # Rendering the installed pages: groff has nothing to say.
        r = run("sh", "-c", "for p in /usr/share/man/man?/*twofa*.gz; do MANWIDTH=80 man -l $p >/dev/null; done")
        self.assertEqual(r.stderr, "")
        r = run("bash", "-c", "source /usr/share/bash-completion/completions/twofa; "
                              "COMP_WORDS=(twofa user im); COMP_CWORD=2; _twofa; echo ${COMPREPLY[@]}")
        self.assertEqual(r.stdout, "import\n", r.stderr)
        with open("/usr/share/zsh/vendor-completions/_twofa") as f:
            self.assertEqual(f.readline(), "#compdef twofa\n")
        self.assertEqual(run("id", "-un", "twofa").stdout, "twofa\n")  # postinst made the user
        for doc in ("copyright", "changelog.gz", "examples/config.toml", "examples/nginx-twofa.conf"):
            self.assertTrue(os.path.exists("/usr/share/doc/twofa/" + doc), doc)
        # The example configuration is one twofa accepts.
        r = run("/usr/bin/twofa", "--config", "/usr/share/doc/twofa/examples/config.toml", "--json",
                "status", "--health")
        self.assertNotIn("unknown config key", r.stderr)

        r = run("systemd-analyze", "verify", UNIT)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))
        r = run("systemd-analyze", "security", "--offline=yes", UNIT)
        score = re.search(r"Overall exposure level for twofa-serve-callback.service: ([0-9.]+)", r.stdout)
        self.assertIsNotNone(score, r.stdout + r.stderr)
        print(f"\nsystemd-analyze security: {score.group(1)}", flush=True)
        self.assertLessEqual(float(score.group(1)), 2.0)


if __name__ == "__main__":
    unittest.main()
