"""tests/helpers/tap.py — TAP for the Python .t scripts: numbered "ok N - name" lines, the
diagnostic lines of a failure, the plan and the exit status (prove reads them).

One Tap object counts the tests of a script. The module-level ok(), plan() and exit_status()
(and tap.count, tap.failed) use the module's own Tap; tests/web/harness.py's Tap is this class
with its own diagnostics format."""
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time


class Tap:
    """Numbered TAP lines; a failure's diagnostics as '#' lines under it.

    @diag_prefix starts each diagnostic line; @max_lines caps how many lines of one diagnostic
    are printed (None: all)."""

    def __init__(self, diag_prefix="# ", max_lines=40):
        self.n = 0       # tests run so far
        self.fails = 0   # of them, failed
        self.diag_prefix = diag_prefix
        self.max_lines = max_lines

    def plan(self, count=None):
        """The plan line "1..@count" (default: the tests run so far, for a plan at the end)."""
        print("1..%d" % (self.n if count is None else count), flush=True)

    def ok(self, cond, name, diag=None, max_lines=None):
        """One test line; on failure the first @max_lines (default: the object's) lines of @diag
        as comments. Returns @cond."""
        self.n += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, name))
        if not cond:
            self.fails += 1
            if diag is not None:
                limit = self.max_lines if max_lines is None else max_lines
                lines = str(diag).splitlines()
                for line in (lines if limit is None else lines[:limit]):
                    print(self.diag_prefix + line)
        sys.stdout.flush()
        return cond

    def exit_status(self):
        """0 when every test passed, else 1 (for sys.exit)."""
        return 1 if self.fails else 0


_tap = Tap()


def ok(cond, name, diag=None, max_lines=40):
    """One test line of the script (the module's Tap); see Tap.ok. Returns @cond."""
    return _tap.ok(cond, name, diag, max_lines)


def plan(count=None):
    """The plan line of the script; see Tap.plan."""
    _tap.plan(count)


def exit_status():
    """0 when every test passed, else 1 (for sys.exit)."""
    return _tap.exit_status()


def __getattr__(name):
    """tap.count (tests run so far) and tap.failed (of them, failed)."""
    if name == "count":
        return _tap.n
    if name == "failed":
        return _tap.fails
    raise AttributeError(name)



def clean_up_at_exit(tap, tmp, stop):
    """At the script's exit (SIGTERM, SIGINT and SIGHUP included): calls stop(), then removes the
    directory @tmp when no test of @tap failed; else keeps it and names it for inspection."""
    def clean_up():
        stop()
        if tap.fails == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f'# kept {tmp} for inspection')

    atexit.register(clean_up)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))


def stop_processes(procs):
    """Stops the subprocess.Popen objects @procs that still run: SIGTERM to all first (nginx's
    master then stops its workers; SIGKILL would orphan them), then up to 15 s each, SIGKILL past that."""
    procs = list(procs)
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def built(name):
    """The program @name of the build under test: $BIMI_BUILD/@name when it exists (make check sets
    BIMI_BUILD to the variant's directory), else build/@name."""
    path = os.path.join(os.environ.get("BIMI_BUILD", "build"), name)
    return path if os.path.exists(path) else os.path.join("build", name)


def enter_repository():
    """Changes into the repository root, where the tests run (paths in them are relative to it),
    and returns it."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.chdir(root)
    return root


def need_program(path):
    """"Bail out! @path is not built" and exit 1 unless @path is an executable file (the Python
    counterpart of tests/lib/tap.sh's need_program)."""
    if not os.access(path, os.X_OK):
        print("Bail out! %s is not built" % path)
        sys.exit(1)


def wait_for_socket(proc, sock, log_path, name="bimi-fcgi", connect=True, tries=200, interval=0.05):
    """Waits until the process @proc (a subprocess.Popen) listens on the Unix socket @sock: the path
    exists and, with @connect, a connection to it is accepted. Polls @tries times, @interval seconds
    apart. When @proc exits first or the time runs out: "Bail out! @name did not start: " with the
    text of its log @log_path, and exit 1."""
    for _ in range(tries):
        if proc.poll() is not None:
            break
        if os.path.exists(sock):
            if not connect:
                return
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock)
                s.close()
                return
            except OSError:
                pass
        time.sleep(interval)
    with open(log_path) as f:
        print("Bail out! %s did not start: %s" % (name, f.read()))
    sys.exit(1)
