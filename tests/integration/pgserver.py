"""A throw-away PostgreSQL 15 server on loopback for the tests and benchmarks.

    python3 pgserver.py start STATE_FILE [--durable]   # initdb, start, write STATE_FILE (JSON)
    python3 pgserver.py stop STATE_FILE                # stop, remove the data directory

The server runs as the invoking user, or as `postgres` when that is root (PostgreSQL refuses
root). It listens on 127.0.0.1 on a free port, password authentication only (scram), with a
superuser `twofa_admin` and a role `twofa` that may create databases. Without --durable it
runs with fsync off: the tests exercise semantics, and the benchmark starts its own durable
server.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ADMIN_PASSWORD = "twofa-admin-test"
USER_PASSWORD = "twofa-test"


def _bin(name):
    for version in ("15", "16", "17"):
        path = f"/usr/lib/postgresql/{version}/bin/{name}"
        if os.path.exists(path):
            return path
    raise RuntimeError(f"no PostgreSQL {name}: apt-get install postgresql")


def _as_owner(cmd):
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_ctl(state, *args):
    subprocess.run(_as_owner([_bin("pg_ctl"), "-D", state["data"], *args]), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def start_server(options):
    state = {"port": _free_port(), "options": options}
    base = tempfile.mkdtemp(prefix="twofa-pg-")
    os.chmod(base, 0o755)
    state["base"], state["data"] = base, os.path.join(base, "data")
    pwfile = os.path.join(base, "pw")
    with open(pwfile, "w") as f:
        f.write(ADMIN_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(pwfile, "postgres", "postgres")
    subprocess.run(_as_owner([_bin("initdb"), "-D", state["data"], "-U", "twofa_admin",
                              "--auth=scram-sha-256", "--pwfile", pwfile, "-E", "UTF8",
                              "--locale=C.UTF-8"]),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    os.unlink(pwfile)
    start(state)
    admin(state, f"CREATE ROLE twofa LOGIN CREATEDB PASSWORD '{USER_PASSWORD}'")
    return state


def start(state):
    opts = (f"-c listen_addresses=127.0.0.1 -p {state['port']} "
            f"-c unix_socket_directories={state['base']} -c max_connections=300 "
            + state["options"])
    pg_ctl(state, "-o", opts, "-l", os.path.join(state["base"], "log"), "-w", "-t", "60",
           "start")


def stop(state, mode="fast"):
    pg_ctl(state, "-m", mode, "-w", "stop")


def discard(state):
    """Stops the server at once and removes its directory (data, log and socket)."""
    try:
        stop(state, "immediate")
    finally:
        shutil.rmtree(state["base"], ignore_errors=True)


def connect(state, dbname="postgres", user="twofa"):
    import psycopg2
    password = ADMIN_PASSWORD if user == "twofa_admin" else USER_PASSWORD
    return psycopg2.connect(host="127.0.0.1", port=state["port"], dbname=dbname, user=user,
                            password=password, connect_timeout=5)


def admin(state, sql, dbname="postgres"):
    con = connect(state, dbname, "twofa_admin")
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


def write_passfile(state, path, uid=None):
    """A 0600 password file for the twofa role (owned by uid when given); its path."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(f"127.0.0.1:{state['port']}:*:twofa:{USER_PASSWORD}\n")
    if uid is not None:
        os.chown(path, uid, uid)
    return path


def url(state, dbname, passfile=None):
    """The database's URL; with a password file, named in it (as a system install would)."""
    base = f"postgresql://twofa@127.0.0.1:{state['port']}/{dbname}"
    return base if passfile is None else base + "?passfile=" + passfile


def load(path):
    with open(path) as f:
        return json.load(f)


def main():
    action, path = sys.argv[1], sys.argv[2]
    if action == "start":
        durable = "--durable" in sys.argv[3:]
        state = start_server("" if durable else "-c fsync=off -c full_page_writes=off")
        with open(path, "w") as f:
            json.dump(state, f)
    elif action == "stop":
        if not os.path.exists(path):
            return
        try:
            discard(load(path))
        finally:
            os.unlink(path)
    else:
        sys.exit("usage: pgserver.py start|stop STATE_FILE")


if __name__ == "__main__":
    main()
