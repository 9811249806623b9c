#!/bin/bash
# tests/readme.t — the README's examples leave nothing in the repository root (issue 22): every
# output path (-o) an example names is under build/ (or stdout), and the `bimi render` example,
# run as written, writes build/logo.png. TAP, run by make check.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/lib/tap.sh
echo "1..2"

bad=$(grep -oE '(^|[[:space:]])(-o|--output)[ =][^ ]+' README.md | awk '{print $NF}' | sed 's/^--output=//' \
      | grep -vE '^(build/|-$|/tmp/|/dev/)')
[ -z "$bad" ]; ok $? "every -o of a README example writes under build/"
[ -z "$bad" ] || printf '# outside build/: %s\n' $bad

cmd=$(grep -E '^build/bimi render ' README.md | head -1 | sed 's/ *#.*$//')
rm -f build/logo.png
[ -n "$cmd" ] && (eval "$cmd") > /dev/null 2>&1 && [ -s build/logo.png ] && [ ! -e logo.png ]
ok $? "the render example writes build/logo.png: $cmd"
rm -f build/logo.png
[ "$fails" = 0 ]
