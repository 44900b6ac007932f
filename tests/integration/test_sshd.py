"""A real sshd on a loopback port with pam_twofa.so in its PAM stack and a real ssh client in
a pseudo-terminal: key first, then the second factor by keyboard-interactive. A throw-away
Unix user is created and removed. The PAM service is sshd's program name, so sshd runs
through a symlink named after a throw-away service in /etc/pam.d."""
import os
import shutil
import socket
import subprocess
import time
import unittest
import uuid

import test_pam
from harness import TWOFA
from ptyterm import PtySession
from test_totp import oathtool


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HAVE_SSHD = os.geteuid() == 0 and bool(test_pam.MODULE) and os.path.exists("/usr/sbin/sshd")


class SshdSetup(test_pam.PamSetup):
    """sshd on a free loopback port for a throw-away Unix user; no tests of its own."""
    sshd_extra = ""  # more sshd_config lines
    methods = "publickey,keyboard-interactive"

    def setUp(self):
        super().setUp()
        self.unix = "twofa-t" + uuid.uuid4().hex[:6]
        subprocess.run(["useradd", "-m", "-s", "/bin/sh", self.unix], check=True)
        self.addCleanup(subprocess.run, ["userdel", "-r", "-f", self.unix], capture_output=True)
        d = os.path.join(self.home, "ssh")
        os.makedirs(d)
        self.key = os.path.join(d, "id")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, "host")], check=True)
        # sshd reads the keys as the user: they go into its own home.
        dot_ssh = os.path.join("/home", self.unix, ".ssh")
        os.makedirs(dot_ssh, mode=0o700)
        shutil.copy(self.key + ".pub", os.path.join(dot_ssh, "authorized_keys"))
        subprocess.run(["chown", "-R", f"{self.unix}:", dot_ssh], check=True)
        self.port = free_port()
        cfg = os.path.join(d, "sshd_config")
        with open(cfg, "w") as f:
            f.write(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {d}/host
PidFile {d}/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication yes
AuthenticationMethods {self.methods}
StrictModes no
PrintMotd no
Subsystem sftp /usr/lib/openssh/sftp-server
{self.sshd_extra_config()}
""")
        # sshd names its PAM service after its program name.
        os.makedirs("/run/sshd", exist_ok=True)
        sshd = os.path.join(d, self.service)
        os.symlink("/usr/sbin/sshd", sshd)
        self.log = open(os.path.join(d, "sshd.log"), "w")
        self.sshd = subprocess.Popen([sshd, "-D", "-e", "-f", cfg], stderr=self.log)
        self.addCleanup(self.stop_sshd)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        self.ssh_stack("")

    def sshd_extra_config(self):
        return self.sshd_extra

    def stop_sshd(self):
        self.sshd.terminate()
        self.sshd.wait(timeout=10)
        self.log.close()

    def ssh_stack(self, options):
        with open(self.pam_file(), "w") as f:
            f.write(f"auth required {test_pam.MODULE} config={self.config} helper={TWOFA} timeout=20 {options}\n"
                    "account required pam_permit.so\nsession required pam_permit.so\n")

    def ssh(self, *words, tty=True, opts=(), command=None):
        words = (command,) if command is not None else words
        argv = ["ssh", *opts, "-p", str(self.port), "-i", self.key, "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "PreferredAuthentications=publickey,keyboard-interactive",
                "-o", "NumberOfPasswordPrompts=1",
                f"{self.unix}@127.0.0.1", *words]
        if tty:
            s = PtySession(argv, {"PATH": os.environ["PATH"], "HOME": self.home})
            self.addCleanup(s.close)
            return s
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                              env={"PATH": os.environ["PATH"], "HOME": self.home})



@unittest.skipUnless(HAVE_SSHD, "needs root, sshd and the module")
class Sshd(SshdSetup):
    def test_totp_code_then_a_shell_command(self):
        secret = self.add_totp("tina@example.com", self.unix)
        s = self.ssh("id -un")
        s.read_until("Code: ", timeout=20)
        s.send(oathtool(secret) + "\n")
        self.assertEqual(s.finish(timeout=30), 0, s.output)
        self.assertIn(self.unix.encode(), s.output)
        self.assertIn("allowed", [o for _, o, _ in self.gate_audit()])
        # A wrong code three times: no shell.
        s = self.ssh("id -un")
        for _ in range(3):
            s.read_until("Code: ", timeout=20)
            s.output = b""
            s.send("000000\n")
        code = s.finish(timeout=30)
        self.assertNotEqual(code, 0)
        self.assertNotIn(self.unix.encode() + b"\r\n", s.output)
        self.assertEqual(self.gate_audit()[-1][1], "denied")

    def test_push_approved_and_denied_and_non_tty(self):
        self.add("alice@example.com", self.unix)
        self.ssh_stack("autopush pushinfo")
        # Non-tty: no prompt is needed with autopush, so `ssh host cmd` works after the push.
        r = self.ssh("echo", "gated-ok", tty=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "gated-ok")
        # The phone denies: the fallback SMS code would need a prompt; no tty, so no shell.
        self.assertExit(self.twofa("user", "remove", "alice@example.com", "--yes"), 0)
        self.add("dan@example.com", self.unix, phone="555-123-1111")
        self.ssh_stack("autopush")
        r = self.ssh("echo", "gated-ok", tty=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn("gated-ok", r.stdout)

    def test_an_ordinary_user_cannot_read_the_store_nor_approve_through_the_helper(self):
        self.add("alice@example.com", "alice")
        as_user = ["runuser", "-u", self.unix, "--"]
        for path in (self.db, self.config, os.path.join(self.home, "authy.key")):
            r = subprocess.run(as_user + ["cat", path], capture_output=True)
            self.assertNotEqual(r.returncode, 0, path)
        before = self.gate_audit()
        r = subprocess.run(as_user + [TWOFA, "--config", self.config, "pam-helper", "--user", "alice",
                                      "--service", "sudo", "--autopush"],
                           capture_output=True, text=True, input="")
        self.assertEqual(r.returncode, 10, r.stderr)  # it ran, and could not read the configuration
        self.assertNotIn("done allowed", r.stdout)
        self.assertEqual(self.gate_audit(), before)  # it never reached the store

    def test_unmapped_user_is_refused(self):
        s = self.ssh("id")
        self.assertNotEqual(s.finish(timeout=30), 0, s.output)
        self.assertEqual(self.gate_audit()[-1][1], "unknown")


if __name__ == "__main__":
    unittest.main(verbosity=2)
