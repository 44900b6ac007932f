"""twofa-gate as sshd's ForceCommand (the login_duo model), with a real sshd and ssh client:
the second factor before the session, SSH_ORIGINAL_COMMAND, a clean environment and no
inherited descriptors, non-tty sessions (refused, or a push), and a configuration the user
could write refused."""
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from harness import TWOFA
from test_sshd import HAVE_SSHD, SshdSetup
from test_totp import oathtool

GATE = os.path.join(os.path.dirname(TWOFA), "twofa-gate")


class GateSetup(SshdSetup):
    """sshd with ForceCommand twofa-gate (a setuid copy); no tests of its own."""
    methods = "publickey"
    non_tty = "refuse"

    def setUp(self):
        # A setuid copy the Unix user can reach (the build tree may not be).
        self.bindir = tempfile.mkdtemp(prefix="twofa-gate-bin-")
        os.chmod(self.bindir, 0o755)
        self.addCleanup(shutil.rmtree, self.bindir, True)
        self.gate = os.path.join(self.bindir, "twofa-gate")
        shutil.copy(GATE, self.gate)
        os.chmod(self.gate, 0o4755)
        super().setUp()

    def sshd_extra_config(self):
        return (f"ForceCommand {self.gate} --config {self.config} --non-tty {self.non_tty}\n"
                "SetEnv TWOFA_INJECTED=1 LD_LIBRARY_PATH=/nonexistent KEEP_ME=1\n")



@unittest.skipUnless(HAVE_SSHD and os.path.exists(GATE), "needs root, sshd and twofa-gate")
class Gate(GateSetup):
    def test_code_on_the_terminal_then_the_command_with_a_clean_environment(self):
        secret = self.add_totp("tina@example.com", self.unix)
        s = self.ssh(opts=("-t",), command="env; ls -1 /proc/self/fd; id -un")
        s.read_until("Code: ", timeout=20)
        s.send(oathtool(secret) + "\n")
        self.assertEqual(s.finish(timeout=30), 0, s.output)
        out = s.output.decode()
        self.assertIn(self.unix, out)
        self.assertIn("KEEP_ME=1", out)
        self.assertNotIn("TWOFA_", out.split("Code:")[-1])
        self.assertNotIn("LD_LIBRARY_PATH", out)
        fds = [l.strip() for l in out.split("\n") if l.strip().isdigit()]
        self.assertEqual(sorted(set(fds)), ["0", "1", "2", "3"])  # 3: the folder ls reads
        self.assertEqual(self.gate_audit()[-1][:2], ("tina@example.com", "allowed"))
        self.assertIn("service=twofa-gate", self.gate_audit()[-1][2])
        # A wrong code three times: no command.
        s = self.ssh(opts=("-t",), command="echo SHOULD-NOT-RUN")
        for _ in range(3):
            s.read_until("Code: ", timeout=20)
            s.send("000000\n")
        self.assertNotEqual(s.finish(timeout=30), 0)
        self.assertNotIn(b"SHOULD-NOT-RUN\r\n", s.output.split(b"Code:")[-1])

    def test_non_tty_is_refused_and_an_unmapped_user_too(self):
        self.add_totp("tina@example.com", self.unix)
        r = self.ssh("echo", "ran", tty=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn("ran", r.stdout)
        self.assertIn("no terminal", r.stderr)
        self.assertExit(self.twofa("user", "set", "tina@example.com", "--unix-user", ""), 0)
        s = self.ssh(opts=("-t",), command="echo SHOULD-NOT-RUN")
        self.assertNotEqual(s.finish(timeout=30), 0)
        self.assertIn(b"no second factor set up", s.output)

    def test_a_configuration_the_user_controls_is_refused(self):
        cfg = os.path.join("/home", self.unix, "mine.toml")
        with open(cfg, "w") as f:
            f.write('db = "/home/x/own.db"\n')
        subprocess.run(["chown", self.unix, cfg], check=True)
        r = subprocess.run(["runuser", "-u", self.unix, "--", self.gate, "--config", cfg],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 10, r.stderr)
        self.assertIn("root owns", r.stderr)


@unittest.skipUnless(HAVE_SSHD and os.path.exists(GATE), "needs root, sshd and twofa-gate")
class GatePush(GateSetup):
    non_tty = "push"

    def test_non_tty_session_with_a_push(self):
        self.add("alice@example.com", self.unix)
        r = self.ssh("echo", "pushed-ok", tty=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "pushed-ok")
        self.assertEqual(self.gate_audit()[-1][1], "allowed")
        # scp runs its remote end as SSH_ORIGINAL_COMMAND (the legacy protocol, -O) or as the
        # sftp subsystem (the default): after a push each, the copy works.
        for n, legacy in enumerate(([], ["-O"])):
            src = os.path.join(self.home, f"payload{n}.txt")
            with open(src, "w") as f:
                f.write("copied through the gate\n")
            r = subprocess.run(["scp", *legacy, "-P", str(self.port), "-i", self.key,
                                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                                "-o", "LogLevel=ERROR", src, f"{self.unix}@127.0.0.1:payload{n}.txt"],
                               capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join("/home", self.unix, f"payload{n}.txt")) as f:
                self.assertEqual(f.read(), "copied through the gate\n")
        self.assertEqual([o for _, o, _ in self.gate_audit()].count("allowed"), 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
