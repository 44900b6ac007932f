"""A small pseudo-terminal driver for the interactive tests."""
import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time


class PtySession:
    def __init__(self, argv, env, size=(80, 24), stdout=None):
        """A terminal of size (columns, lines) with TERM=xterm unless env sets one; stdout, when
        given, is a file the program's standard output goes to instead of the terminal."""
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        env = {"TERM": "xterm", **env}
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=stdout or slave, stderr=slave, env=env,
                                     start_new_session=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.output = b""

    def read_until(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while needle.encode() not in self.output:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {needle!r}; screen: {self.output!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.output += os.read(self.master, 4096)
                except OSError:
                    break
        return self.output

    def resize(self, columns, lines):
        """Resizes the window; the kernel sends SIGWINCH to the program."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))

    def send(self, text):
        os.write(self.master, text.encode())

    def echo_enabled(self):
        return bool(termios.tcgetattr(self.master)[3] & termios.ECHO)

    def finish(self, timeout=20):
        code = self.proc.wait(timeout=timeout)
        try:
            while True:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if not ready:
                    break
                chunk = os.read(self.master, 4096)
                if not chunk:
                    break
                self.output += chunk
        except OSError:
            pass
        return code

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
