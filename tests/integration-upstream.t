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
# every DKIM case, every 10th ARC case).
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
  case ${CASES[$i]} in dkim*) n_ar=$((n_ar + 1)) ;; *) [ $((i % 10)) = 0 ] && n_ar=$((n_ar + 1)) ;; esac
done
int_plan $(( ${#CASES[@]} + n_ar + 1 ))

ORIGIN_PORT=$(int_free_port) # nothing is fetched: no case has a BIMI record
int_start_nsd "$INT_TMP/up/zones"
conf=$INT_TMP/bimi.conf
int_fcgi_conf "$conf" @1667843664
int_start_fcgi "$conf"
int_start_front

n_arc_pass=0 n_arc=0
for i in "${!CASES[@]}"; do
  IFS=$'\t' read -r -a c <<< "${CASES[$i]}"
  kind=${c[0]} file=${c[1]}
  out=$INT_TMP/out.json
  status=$(int_post "$INT_TMP/up/msg/$file" "$out")
  if [ "$kind" = arc ]; then
    want=${c[2]} todo=${c[3]}
    got=$($CHECK get "$out" auth.arc.result 2>&1)
    dec=$($CHECK get "$out" decision 2>&1)
    n_arc=$((n_arc + 1))
    if [ "$status" = 200 ] && [ "$got" = "$want" ] && [ "$dec" = none ]; then
      n_arc_pass=$((n_arc_pass + 1))
      int_ok 0 "ARC suite ${file#arc-}: arc=$want, decision none"
    elif [ "$todo" = todo ]; then
      INT_N=$((INT_N + 1))
      echo "not ok $INT_N - ARC suite ${file#arc-}: arc=$got, suite says $want # TODO tests/test-arc-suite.c expected failure"
    else
      int_ok 1 "ARC suite ${file#arc-}: arc=$want, decision none" "HTTP $status arc=$got decision=$dec" "$(head -c 400 "$out")"
    fi
  else
    want=${c[2]} dmarc=${c[3]} reason=${c[4]}
    got=$($CHECK results "$out" auth.dkim 2>&1)
    gd=$($CHECK get "$out" auth.dmarc.result 2>&1)
    d=$($CHECK decision "$out" --decision none --reason "$reason" 2>&1)
    [ "$status" = 200 ] && [ "$got" = "$want" ] && [ "$gd" = "$dmarc" ] && [ -z "$d" ]
    int_ok $? "DKIM vector $file: dkim=$want, dmarc=$dmarc, none ($reason)" \
      "HTTP $status dkim=$got dmarc=$gd" "$d" "$(head -c 400 "$out")"
  fi
  if [ "$kind" = dkim ] || [ $((i % 10)) = 0 ]; then
    ar=$($CHECK get "$out" authentication_results 2>&1)
    d=$($CHECK authres "$ar" "$HELPER" 2>&1)
    int_ok $? "$file: authentication_results parses alike in engine/authres and python3-authres" "$d"
  fi
done

# The summary the C suite prints, so that a regression in the count shows.
[ "$n_arc_pass" -ge $((n_arc - 1)) ]
int_ok $? "ARC suite through the service: $n_arc_pass of $n_arc as the suite says (at most the one documented exception)"
echo "# ARC suite through POST /bimi/v1/evaluate: $n_arc_pass/$n_arc" >&2

int_done
