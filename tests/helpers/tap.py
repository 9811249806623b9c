"""tests/helpers/tap.py — TAP for the Python .t scripts: numbered "ok N - name" lines, the
diagnostic lines of a failure, the plan and the exit status (prove reads them)."""
import os
import subprocess
import sys

count = 0   # tests run so far
failed = 0  # of them, failed


def ok(cond, name, diag=None, max_lines=40):
    """One test line; on failure the first @max_lines lines of @diag as '# ' comments. Returns @cond."""
    global count, failed
    count += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (count, name))
    if not cond:
        failed += 1
        if diag is not None:
            for line in str(diag).splitlines()[:max_lines]:
                print("# " + line)
    sys.stdout.flush()
    return cond


def exit_status():
    """0 when every test passed, else 1 (for sys.exit)."""
    return 1 if failed else 0


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
