"""twofa-sandbox run -- COMMAND: the one-command CI smoke test. The sandbox and a listener on free
loopback ports, their URLs and keys in COMMAND's environment, both gone afterwards, COMMAND's exit
code."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

from harness import PASSWORD, SANDBOX, TWOFA

# A CI job's script: enroll, log in by push (the sandbox's phone approves), a Verify SMS login
# whose code it reads from the sandbox's outbox, and the health check; then its environment.
SCRIPT = r"""
import json, os, subprocess, sys, urllib.request
def twofa(*args, input=None, env=None):
    return subprocess.run(["twofa", *args], input=input, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
pw = sys.argv[1] + "\n"
assert twofa("user", "add", "--email", "ci@example.com", "--phone", "5551230000", "--country-code", "1",
             "--password-stdin", input=pw).returncode == 0
push = twofa("login", "ci@example.com", "--password-stdin", "--via", "onetouch", input=pw)
verify = {"TWOFA_PROVIDER": "verify"}
assert twofa("user", "add", "--email", "vera@example.com", "--phone", "5551230000", "--country-code", "1",
             "--password-stdin", input=pw, env=verify).returncode == 0
start = twofa("--json", "login", "vera@example.com", "--password-stdin", "--via", "sms", "--no-wait",
              input=pw, env=verify)
session = json.loads(start.stdout)["session"]
with urllib.request.urlopen(os.environ["TWOFA_SANDBOX_URL"] + "/sandbox/messages?to=%2B15551230000") as r:
    code = json.loads(r.read())[-1]["code"]
checked = twofa("verify", code, "--session", session)
health = twofa("--json", "status", "--health")
json.dump({"env": {k: v for k, v in os.environ.items() if k.startswith(("TWOFA", "AUTHY", "TWILIO"))},
           "which": subprocess.run(["which", "twofa"], capture_output=True, text=True).stdout.strip(),
           "push": [push.returncode, push.stdout], "verify": checked.returncode,
           "health": json.loads(health.stdout)}, open(sys.argv[2], "w"))
sys.exit(int(sys.argv[3]))
"""


def read_json(path):
    with open(path) as f:
        return json.load(f)


class SandboxRun(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="twofa-run-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        bindir = os.path.dirname(os.path.abspath(TWOFA)) if os.sep in TWOFA else ""
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": self.tmp,
                    "TMPDIR": self.tmp}
        self.twofa_flag = ["--twofa", os.path.abspath(TWOFA)] if bindir else []

    def run_sandbox(self, *command, timeout=60):
        return subprocess.run([SANDBOX, "--approve-after", "0.3", "run", *self.twofa_flag, "--", *command],
                              env=self.env, capture_output=True, text=True, timeout=timeout)

    def work_dirs(self):
        return [d for d in os.listdir(self.tmp) if d.startswith("twofa-sandbox-run.")]

    def test_a_ci_job_logs_in_by_push_and_verify_sms_and_gets_its_exit_code(self):
        out = os.path.join(self.tmp, "out.json")
        r = self.run_sandbox(sys.executable, "-c", SCRIPT, PASSWORD, out, "7")
        self.assertEqual(r.returncode, 7, r.stderr)
        seen = read_json(out)
        env = seen["env"]
        for name in ("TWOFA_AUTHY_URL", "TWOFA_VERIFY_URL", "TWOFA_SANDBOX_URL"):
            self.assertRegex(env[name], r"^http://127\.0\.0\.1:\d+$")
        self.assertRegex(env["TWOFA_CALLBACK_PUBLIC_URL"], r"^http://127\.0\.0\.1:\d+/authy/callback$")
        self.assertRegex(env["AUTHY_API_KEY"], r"^[0-9a-f]{32}$")
        self.assertRegex(env["TWILIO_ACCOUNT_SID"], r"^AC[0-9a-f]{32}$")
        self.assertEqual(env["TWOFA_VERIFY_SERVICE_SID"], "VA" + "0" * 32)
        self.assertEqual(seen["push"], [0, "Logged in as ci@example.com.\n"])
        self.assertEqual(seen["verify"], 0)
        self.assertTrue(seen["health"]["ok"], seen["health"])
        if self.twofa_flag:  # the command's `twofa` is the one serving callbacks
            self.assertEqual(seen["which"], os.path.abspath(TWOFA))
        # Both servers and the work folder are gone.
        self.assertEqual(self.work_dirs(), [])
        for url in (env["TWOFA_SANDBOX_URL"] + "/healthz", env["TWOFA_CALLBACK_PUBLIC_URL"]):
            with self.assertRaises(OSError):
                __import__("urllib.request").request.urlopen(url, timeout=2)
        # Keys differ from run to run.
        r = self.run_sandbox(sys.executable, "-c", SCRIPT, PASSWORD, out, "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotEqual(read_json(out)["env"]["AUTHY_API_KEY"], env["AUTHY_API_KEY"])

    def test_sigterm_reaches_the_command_and_everything_stops(self):
        proc = subprocess.Popen([SANDBOX, "run", *self.twofa_flag, "--", "sh", "-c",
                                 "echo $TWOFA_CALLBACK_LISTEN $TWOFA_SANDBOX_URL; exec sleep 30"],
                                env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        listen, sandbox_url = proc.stdout.readline().split()
        host, port = listen.split(":")
        socket.create_connection((host, int(port)), timeout=2).close()  # the listener is up
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=10), 128 + signal.SIGTERM)  # the command's own death
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(self.work_dirs(), [])
        for h, p in ((host, int(port)), ("127.0.0.1", int(sandbox_url.rsplit(":", 1)[1]))):
            with self.assertRaises(OSError):
                socket.create_connection((h, p), timeout=2).close()

    def test_usage_errors(self):
        r = subprocess.run([SANDBOX, "run"], env=self.env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("run needs a command", r.stderr)
        r = self.run_sandbox("no-such-command-anywhere")
        self.assertEqual(r.returncode, 127)
        self.assertIn("cannot run no-such-command-anywhere", r.stderr)
        r = self.run_sandbox("sh", "-c", "exit 3")
        self.assertEqual(r.returncode, 3)
        r = subprocess.run([SANDBOX, "run", *self.twofa_flag, "--keep", "--", "true"], env=self.env,
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        kept = self.work_dirs()
        self.assertEqual(len(kept), 1)
        self.assertIn("kept " + os.path.join(self.tmp, kept[0]), r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, kept[0], "listener.log")))


if __name__ == "__main__":
    unittest.main()
