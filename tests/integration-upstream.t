#!/bin/bash
# tests/integration-upstream.t — the upstream suites through POST /bimi/v1/evaluate.
#
# tests/integration-upstream-cases.py turns $BIMI_UPSTREAM_DIR into one root zone served by a
# real nsd on loopback, and a list of messages with what their suite expects:
#   - the 171 ValiMail ARC validation messages: auth.arc.result equals the suite's cv (empty = fail;
#     ams_fields_c_na is the expected failure tests/test-arc-suite.c documents, marked TODO);
#   - the DKIM vectors with a clear result (Stalwart dkim/001-006, RFC 8463 A.3, RFC 6376 A.2,
#     dkimpy's two signed messages): the sorted auth.dkim[].result list equals the vectors', the
#     DMARC result is the one the zone implies, and the decision is none with the pipeline's
#     reason (no-record after a DMARC pass — nobody publishes BIMI —, dmarc-not-enforcing without a
#     policy, dmarc-fail).
# bimi-fcgi runs at [testing] now = @1667843664 (the Stalwart vectors' time; their signatures
# expire), behind the nginx front of conf/nginx/bimi.conf; no envelope is given (SPF none).
# Every authentication_results parses with engine/authres as with python3-authres (sampled:
# every DKIM case, every 10th ARC case). The suite's empty message (cv_empty) must get HTTP 400
# naming the field "message" (DESIGN.md §4: not a message).
#
# TAP; every process is stopped by PID in an EXIT trap. Missing components fail, never skip.
set -u
. "$(dirname "$0")/integration-lib.sh"
int_require
HELPER=$INT_BUILD/tests/helpers/authres-json
[ -x "$HELPER" ] || int_bail "$HELPER is not built (make check builds it)"
int_setup

"$PY" tests/integration-upstream-cases.py "$BIMI_UPSTREAM_DIR" "$INT_TMP/up" || int_bail "cannot build the upstream cases"
mapfile -t CASES < "$INT_TMP/up/cases.tsv"
n_ar=0
for i in "${!CASES[@]}"; do
  case ${CASES[$i]} in dkim*) n_ar=$((n_ar + 1)) ;; arc-empty*) ;; *) [ $((i % 10)) = 0 ] && n_ar=$((n_ar + 1)) ;; esac
done
int_plan $(( ${#CASES[@]} + n_ar + 1 ))

ORIGIN_PORT=$(int_free_port) # nothing is fetched: no case has a BIMI record
int_start_nsd "$INT_TMP/up/zones"
conf=$INT_TMP/bimi.conf
int_fcgi_conf "$conf" @1667843664
int_start_fcgi "$conf"
int_start_front

# Post every message (curl), then check all answers in one python3 process (its start-up
# would otherwise dominate the run); it prints the TAP lines from number 1.
resp=$INT_TMP/resp
mkdir -p "$resp"
for row in "${CASES[@]}"; do
  IFS=$'\t' read -r -a c <<< "$row"
  int_post "$INT_TMP/up/msg/${c[1]}" "$resp/${c[1]}.json" > "$resp/${c[1]}.status"
done
out=$($CHECK upstream "$INT_TMP/up/cases.tsv" "$resp" "$HELPER" 1)
printf '%s\n' "$out" | grep -v '^# next '
next=$(printf '%s\n' "$out" | sed -n 's/^# next \([0-9]*\) fails \([0-9]*\)$/\1 \2/p')
[ -n "$next" ] || int_bail "the upstream checker did not finish: $(printf '%s\n' "$out" | tail -n 5)"
INT_N=$(( ${next% *} - 1 ))
INT_FAILS=${next#* }

int_done
