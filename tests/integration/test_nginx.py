"""Debian's nginx as the TLS front of twofa serve-callback, with the shipped example site
(packaging/nginx-twofa.conf) on loopback: a self-signed certificate, the listener on loopback
behind it, a push login whose signed callback arrives through https, a signed callback from
here, and the proxy's limits (body size, slow clients) holding before the listener sees them."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import authy_sign
from harness import API_KEY, Sandbox, free_port
from test_onetouch import Listener, OneTouchCase

SOURCE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class NginxFront(OneTouchCase):
    def setUp(self):
        super().setUp()  # a listener and a sandbox; both replaced below, behind nginx
        self.sandbox.stop()
        self.listener.stop()
        self.port = free_port()
        self.public = f"https://127.0.0.1:{self.port}/authy/callback"
        cert, key = os.path.join(self.home, "cert.pem"), os.path.join(self.home, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.cert = cert
        self.listener = Listener(self.env, self.home, ("--public-url", self.public))
        self.addCleanup(self.listener.stop)
        upstream = self.listener.base.split("//")[1]
        # The shipped site, with this test's port, certificate and listener.
        with open(os.path.join(SOURCE, "packaging", "nginx-twofa.conf")) as f:
            site = f.read()
        site = (site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{self.port} ssl http2;")
                    .replace("listen [::]:443 ssl http2;", "")
                    .replace("server 127.0.0.1:8080;", f"server {upstream};")
                    .replace("/etc/ssl/certs/login.example.com.pem", cert)
                    .replace("/etc/ssl/private/login.example.com.key", key))
        prefix = os.path.join(self.home, "nginx")
        os.makedirs(prefix)
        with open(os.path.join(prefix, "site.conf"), "w") as f:
            f.write(site)
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write(f"daemon off;\nuser root;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
                    f"error_log {prefix}/error.log;\nevents {{ worker_connections 1024; }}\n"
                    f"http {{\n access_log {prefix}/access.log;\n client_body_temp_path {prefix}/body;\n"
                    f" proxy_temp_path {prefix}/proxy;\n include {prefix}/site.conf;\n}}\n")
        self.nginx = subprocess.Popen([NGINX, "-p", prefix, "-c", os.path.join(prefix, "nginx.conf"),
                                       "-e", os.path.join(prefix, "error.log")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.stop_nginx)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.nginx.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("nginx did not start: " + self.nginx.stderr.read())
                time.sleep(0.05)
        self.sandbox = Sandbox(self.home, extra=("--callback-url", self.public, "--approve-after", "0.3"))
        self.env["TWOFA_AUTHY_URL"] = self.sandbox.url
        self.tls = ssl.create_default_context(cafile=cert)

    def stop_nginx(self):
        self.nginx.terminate()
        self.nginx.wait(timeout=10)
        self.nginx.stderr.close()

    def post(self, body, headers=None, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        req = urllib.request.Request(self.public, data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=10, context=self.tls) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def signed_headers(self, body):
        nonce = str(int(time.time()))
        return {"X-Authy-Signature": authy_sign.sign(API_KEY, nonce, "POST", self.public, body),
                "X-Authy-Signature-Nonce": nonce}

    def test_push_login_and_signed_callbacks_through_the_tls_front(self):
        # The sandbox's phone approves; its callback goes to https://127.0.0.1:PORT through nginx.
        self.enroll("alice@example.com", "555-123-0000")
        r, doc = self.push_login("alice@example.com")
        self.assertExit(r, 0)
        self.assertEqual([l["outcome"] for l in self.listener.lines(at_least=1)], ["applied"])
        # A callback signed for the public https URL, from here; a tampered one is refused.
        aid, sid, uuid = self.pending()
        body = authy_sign.callback_body(aid, uuid, "approved")
        self.assertEqual(self.post(body, self.signed_headers(body)), 200)
        self.assertEqual(self.session_row(sid)[0], "approved")
        bad = dict(body, status="denied")
        self.assertEqual(self.post(bad, self.signed_headers(body)), 401)
        # The listener saw nginx's loopback connection; the transcript for the closing note.
        lines = self.listener.lines()
        print("\n" + "\n".join(json.dumps(l) for l in lines), flush=True)
        self.assertEqual([(l["status"], l["outcome"]) for l in lines[1:]],
                         [(200, "applied"), (401, "bad-signature")])
        self.assertTrue(all(l["remote"].startswith("127.0.0.1") for l in lines))

    def test_limits_hold_at_the_proxy(self):
        # A body over 64 KiB: 413 from nginx, never reaching the listener.
        self.assertEqual(self.post(None, raw=b'{"x":"' + b"a" * 70000 + b'"}'), 413)
        self.assertEqual(self.listener.lines(), [])
        # 200 slow clients trickling their headers: nginx holds them, a valid callback still
        # gets through at once, and each slow client is cut off at client_header_timeout (5 s).
        slow = []
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            t = self.tls.wrap_socket(s, server_hostname="127.0.0.1")
            t.sendall(b"POST /authy/callback HTTP/1.1\r\nHost: x\r\n")
            slow.append(t)
        self.addCleanup(lambda: [t.close() for t in slow])
        aid, sid, uuid = self.pending()
        body = authy_sign.callback_body(aid, uuid, "approved")
        start = time.monotonic()
        self.assertEqual(self.post(body, self.signed_headers(body)), 200)
        self.assertLess(time.monotonic() - start, 2.0)
        self.assertEqual(self.session_row(sid)[0], "approved")
        slow[0].settimeout(10)
        start = time.monotonic()
        closed = slow[0].recv(4096)  # nginx answers 408 or closes
        self.assertTrue(closed == b"" or b"408" in closed, closed)
        self.assertLess(time.monotonic() - start, 8.0)
        # The listener never saw the slow clients: one request, the valid callback.
        self.assertEqual([l["outcome"] for l in self.listener.lines()], ["applied"])


if __name__ == "__main__":
    unittest.main()
