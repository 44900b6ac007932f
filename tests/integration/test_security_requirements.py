"""Security requirements of the engineering guide that had no test of their own: TLS to the
provider is always verified (7), every descriptor is O_CLOEXEC (10), and no shell is ever
run (10)."""
import http.server
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import unittest

from harness import PASSWORD, TwofaCase

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
O_CLOEXEC = 0o2000000


class ProviderTls(TwofaCase):
    def test_a_self_signed_provider_is_refused(self):
        tmp = tempfile.mkdtemp(prefix="twofa-tls-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"user":{"id":1},"success":true}')

            def log_message(self, *a):
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        t = threading.Thread(target=server.serve_forever, daemon=True)
        t.start()
        try:
            url = f"https://127.0.0.1:{server.server_address[1]}"
            r = self.twofa("user", "add", "--email", "a@example.com", "--phone", "5551230000",
                           "--country-code", "1", "--password-stdin", input=PASSWORD + "\n",
                           env={"TWOFA_AUTHY_URL": url})
            self.assertEqual(r.returncode, 8, r.stderr)
            self.assertIn("certificate", r.stderr.lower())
            self.assertEqual(hits, [])  # nothing was sent to the unverified server
        finally:
            server.shutdown()
            server.server_close()


class Descriptors(TwofaCase):
    def test_every_descriptor_of_the_listener_is_close_on_exec(self):
        self.assertEqual(self.add_user().returncode, 0)
        p = subprocess.Popen([os.environ.get("TWOFA_BIN", "twofa"), "serve-callback", "--listen",
                              "127.0.0.1:0"], env=self.env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            self.assertIn("listening on", p.stdout.readline())
            fds = [int(n) for n in os.listdir(f"/proc/{p.pid}/fd") if int(n) > 2]
            self.assertGreaterEqual(len(fds), 4)  # database, WAL, socket, epoll, eventfd
            for fd in fds:
                with open(f"/proc/{p.pid}/fdinfo/{fd}") as f:
                    flags = int(re.search(r"flags:\s+(\d+)", f.read()).group(1), 8)
                target = os.readlink(f"/proc/{p.pid}/fd/{fd}")
                self.assertTrue(flags & O_CLOEXEC, f"fd {fd} ({target}) is inherited by children")
        finally:
            p.terminate()
            p.wait(timeout=10)
            p.stdout.close()


class NoShell(unittest.TestCase):
    def test_no_shell_in_the_sources(self):
        pattern = re.compile(r"\b(system|popen|execl|execlp|execvp|execv)\s*\(")
        found = []
        for top in ("lib", "cmd"):
            for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
                for name in files:
                    if name.endswith((".cpp", ".hpp")):
                        with open(os.path.join(dirpath, name)) as f:
                            for i, line in enumerate(f, 1):
                                if pattern.search(line):
                                    found.append(f"{name}:{i}: {line.strip()}")
        self.assertEqual(found, [])


if __name__ == "__main__":
    unittest.main()
