# tests/lib/tap.sh — the TAP helpers of the tests/*.t scripts (sourced, bash):
#   ok STATUS NAME [DIAG] one test line: "ok N - NAME" when STATUS is 0, else "not ok N - NAME"
#                         followed by DIAG (when given and not empty) as "# " comment lines
#   check NAME WANT_RC PATTERN ARGS...
#                         runs "${CHECK_CMD[@]}" ARGS... (stdout and stderr together) and passes
#                         when it exits WANT_RC and, for a non-empty PATTERN, its output matches
#                         the extended regex PATTERN; otherwise the output goes to a # comment
#   $fails                how many tests failed, for the script's `exit $((fails > 0))`
#   need_program PATH WHY "Bail out! PATH WHY" and exit 1 unless PATH is an executable file
# A script sets CHECK_CMD (e.g. CHECK_CMD=("$BIMI" dkim)) before its first check.
n=0
fails=0
need_program() { [ -x "$1" ] || { echo "Bail out! $1 $2"; exit 1; }; }
ok() {
  n=$((n + 1))
  if [ "$1" = 0 ]; then echo "ok $n - $2"; return 0; fi
  echo "not ok $n - $2"
  fails=$((fails + 1))
  if [ -n "${3:-}" ]; then printf '%s\n' "$3" | sed 's/^/# /'; fi
  return 0
}
check() {
  local name=$1 want=$2 pattern=$3; shift 3
  local out rc
  out=$("${CHECK_CMD[@]}" "$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then echo "# $name: exit $rc, want $want; output: $out"; ok 1 "$name"; return; fi
  if [ -n "$pattern" ] && ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
    echo "# $name: output lacks /$pattern/: $out"; ok 1 "$name"; return
  fi
  ok 0 "$name"
}
