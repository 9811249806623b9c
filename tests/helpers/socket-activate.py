#!/usr/bin/python3
"""tests/helpers/socket-activate.py — a minimal service manager for the tests: what systemd does
with conf/bimi-fcgi.socket + conf/bimi-fcgi.service, on a socket path of the test's.

  socket-activate.py SOCKET PIDFILE -- COMMAND [ARG...]

Binds and listens on the unix socket SOCKET (mode 0666) and keeps it for its whole life. Starts
COMMAND with the listening socket as fd 3 and LISTEN_FDS=1, LISTEN_PID=<its pid>
(sd_listen_fds(3)); writes the running instance's pid to PIDFILE.
  SIGUSR1  restart as `systemctl restart` does: SIGTERM the instance, wait for it to exit, start a
           new one on the same socket (connections made meanwhile wait in the socket's backlog);
  SIGUSR2  restart with overlap: start the new instance first, then SIGTERM the old one;
  SIGTERM  SIGTERM the instance, wait, remove SOCKET, exit.
One line per event on stdout: "start PID", "exit PID STATUS" (STATUS as subprocess reports it).
"""
import os
import signal
import socket
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    path, pidfile, command = sys.argv[1], sys.argv[2], sys.argv[4:]
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    sock.listen(4096)
    events = []  # appended by the handlers, which run on this (the only) thread

    def start():
        # LISTEN_PID must be the pid that ends up running COMMAND: sh execs it, keeping its pid.
        child = subprocess.Popen(["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"'] + command,
                                 pass_fds=(3,), preexec_fn=lambda: os.dup2(sock.fileno(), 3))
        with open(pidfile + ".tmp", "w") as f:
            f.write("%d\n" % child.pid)
        os.rename(pidfile + ".tmp", pidfile)
        print("start %d" % child.pid, flush=True)
        return child

    def stop(child):
        child.send_signal(signal.SIGTERM)
        rc = child.wait()
        print("exit %d %d" % (child.pid, rc), flush=True)

    def on_signal(signo, _frame):
        events.append(signo)

    for s in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT):
        signal.signal(s, on_signal)
    child = start()
    while True:
        while not events:
            time.sleep(0.05)
            if child.poll() is not None:
                print("exit %d %d (unasked)" % (child.pid, child.returncode), flush=True)
                sys.exit(1)
        signo = events.pop(0)
        if signo == signal.SIGUSR1:
            stop(child)
            child = start()
        elif signo == signal.SIGUSR2:
            old, child = child, start()
            stop(old)
        else:
            stop(child)
            os.unlink(path)
            return


if __name__ == "__main__":
    main()
