"""Several hosts: two `twofa serve-callback` on one PostgreSQL database behind Debian's nginx as
an upstream group. Under a load of valid callbacks (each moving a pending session) one listener
is killed (-9) and restarted, then PostgreSQL is restarted: every callback that got 200 is in
the database, none is applied twice, and the logins waiting on other processes all wake.
A PostgreSQL server of its own (it is restarted); runs only with TWOFA_TEST_STORE=postgresql."""
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid as uuidlib

import authy_sign
import pgserver
from harness import API_KEY, PASSWORD, TWOFA, TwofaCase, free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SESSIONS = 600


class SeveralListeners(TwofaCase):
    def setUp(self):
        super().setUp()
        self.assertIsNotNone(self.pg, "run with TWOFA_TEST_STORE=postgresql and TWOFA_PG_STATE")
        self.own = self.use_own_server("", "several")  # durable: fsync on
        self.port = free_port()
        self.public = f"http://127.0.0.1:{self.port}/authy/callback"
        self.listen = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
        self.listeners = [self.start_listener(i) for i in range(2)]
        self.addCleanup(lambda: [p.kill() for p in self.listeners])
        self.start_nginx()

    def start_listener(self, i):
        p = subprocess.Popen([TWOFA, "serve-callback", "--listen", self.listen[i], "--public-url", self.public],
                             env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        line = p.stdout.readline()
        self.assertIn("listening on", line)
        return p

    def start_nginx(self):
        prefix = os.path.join(self.home, "nginx")
        os.makedirs(prefix)
        servers = "".join(f"  server {a} max_fails=0;\n" for a in self.listen)
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write(f"daemon off;\nuser root;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
                    f"error_log {prefix}/error.log;\nevents {{ worker_connections 1024; }}\n"
                    f"http {{\n access_log off;\n client_body_temp_path {prefix}/body;\n"
                    f" proxy_temp_path {prefix}/proxy;\n upstream twofa {{\n{servers} }}\n"
                    f" server {{\n  listen 127.0.0.1:{self.port};\n"
                    f"  location /authy/callback {{\n   proxy_pass http://twofa;\n"
                    f"   proxy_set_header Host $host:$server_port;\n"
                    f"   proxy_next_upstream error timeout;\n   proxy_connect_timeout 1s;\n  }}\n }}\n}}\n")
        self.nginx = subprocess.Popen([NGINX, "-p", prefix, "-c", os.path.join(prefix, "nginx.conf"),
                                       "-e", os.path.join(prefix, "error.log")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.nginx.wait, 10)
        self.addCleanup(self.nginx.terminate)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                self.assertIsNone(self.nginx.poll(), "nginx did not start")
                self.assertLess(time.monotonic(), deadline, "nginx did not start")
                time.sleep(0.05)

    def seed(self):
        """SESSIONS pending push sessions of one user, straight into the database."""
        self.assertExit(self.add_user("load@example.com", "555-123-3333"), 0)
        (uid, aid), = self.query("SELECT id, provider_user FROM users")
        now = int(time.time())
        uuids = [str(uuidlib.uuid4()) for _ in range(SESSIONS)]
        con = self.connect_db()
        with con.cursor() as cur:
            for u in uuids:
                cur.execute("INSERT INTO login_sessions (id_hash, user_id, provider, provider_user, method, "
                            "status, challenge, created_at, expires_at, updated_at) VALUES "
                            "(%s, %s, 'authy', %s, 'onetouch', 'onetouch', %s, %s, %s, %s)",
                            (secrets.token_hex(32), uid, aid, u, now, now + 3600, now))
        con.commit()
        con.close()
        return int(aid), uuids

    def post(self, body):
        nonce = str(int(time.time()))
        req = urllib.request.Request(self.public, data=json.dumps(body).encode(), method="POST", headers={
            "Content-Type": "application/json", "X-Authy-Signature-Nonce": nonce,
            "X-Authy-Signature": authy_sign.sign(API_KEY, nonce, "POST", self.public, body)})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return 0

    def test_a_killed_listener_and_a_database_restart_lose_nothing(self):
        aid, uuids = self.seed()
        # Logins waiting on other processes (hosts): phone ...3333 never answers on its own.
        self.assertExit(self.add_user("wait@example.com", "555-123-3333"), 0)
        waiting = []
        for i in range(3):
            p = subprocess.Popen([TWOFA, "--json", "login", "wait@example.com", "--password-stdin",
                                  "--via", "onetouch"], env=self.env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            p.stdin.write(PASSWORD + "\n")
            p.stdin.close()
            waiting.append(p)
            self.addCleanup(p.kill)
        deadline = time.monotonic() + 10
        while len(self.query("SELECT challenge FROM login_sessions s JOIN users u ON u.id = s.user_id "
                          "WHERE u.email = 'wait@example.com' AND challenge IS NOT NULL")) < 3:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        wait_aid = int(self.query("SELECT provider_user FROM users WHERE email = 'wait@example.com'")[0][0])
        wait_uuids = [u for (u,) in self.query(
            "SELECT challenge FROM login_sessions s JOIN users u ON u.id = s.user_id "
            "WHERE u.email = 'wait@example.com'")]

        jobs = [(aid, u) for u in uuids] + [(wait_aid, u) for u in wait_uuids]
        acked, answers, lock = [], {}, threading.Lock()

        def client(part):
            for a, u in part:
                give_up = time.monotonic() + 60
                while time.monotonic() < give_up:  # as a provider: retry until a 200
                    status = self.post(authy_sign.callback_body(a, u, "approved"))
                    with lock:
                        answers[status] = answers.get(status, 0) + 1
                    if status == 200:
                        with lock:
                            acked.append(u)
                        break
                    time.sleep(0.1)

        threads = [threading.Thread(target=client, args=(jobs[i::8],)) for i in range(8)]
        for t in threads:
            t.start()

        def when_acked(n):
            while len(acked) < n:
                self.assertTrue(any(t.is_alive() for t in threads))
                time.sleep(0.01)

        when_acked(100)
        self.listeners[0].kill()  # mid-load
        self.listeners[0].wait()
        self.listeners[0].stdout.close()
        self.listeners[0] = self.start_listener(0)
        when_acked(300)
        pgserver.stop(self.own, "fast")  # mid-load: callbacks get 503 and are retried
        time.sleep(0.5)
        pgserver.start(self.own)
        for t in threads:
            t.join()
        self.assertEqual(sorted(acked), sorted(u for _, u in jobs))  # every callback got its 200
        self.assertGreater(answers.get(503, 0), 0, answers)  # the restart was seen
        # Every acknowledged callback is in the database, applied once.
        approved = {u for (u,) in self.query("SELECT challenge FROM login_sessions WHERE status = 'approved'")}
        self.assertEqual(approved, set(acked))
        applied = {}
        for (detail,) in self.query("SELECT detail FROM audit_events WHERE event = 'onetouch.callback' "
                                 "AND outcome = 'applied'"):
            for word in detail.split():
                if word.startswith("challenge="):
                    applied[word[10:]] = applied.get(word[10:], 0) + 1
        self.assertEqual(set(applied), set(acked))
        self.assertEqual(max(applied.values()), 1)
        for p in waiting:  # woken through LISTEN/NOTIFY by whichever listener committed
            p.wait(timeout=20)
            self.assertEqual(p.returncode, 0)
            self.assertEqual(json.loads(p.stdout.read())["status"], "approved")
        # Both listeners are still up and serving.
        self.assertEqual([p.poll() for p in self.listeners], [None, None])
        print(f"\ncallbacks: {len(jobs)}, answers by status: {answers}", flush=True)


if __name__ == "__main__":
    unittest.main()
