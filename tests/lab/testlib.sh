# testlib.sh - helpers for the lab integration tests. Source it.
#
# Each test makes its own lab with a unique name, tears it down on exit
# (also on failure), and synchronises on events with deadlines
# (`clusterctl wait`), never on fixed sleeps.

set -euo pipefail

TESTLIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTLIB_DIR/../.." && pwd)
LAB="$TESTLIB_DIR/lab"
: "${LAB_BINDIR:=$REPO/build/bin}"
: "${LAB_ROOT:=/var/tmp/clusterd-lab}"
export LAB_BINDIR LAB_ROOT

# corosync timing used by the lab (lab default: token 1000, coefficient 0).
TOKEN_MS=1000
CONSENSUS_MS=$((TOKEN_MS * 12 / 10))
# The issue's bound for survivors to see a membership change.
DETECT_S=$(awk -v t=$TOKEN_MS -v c=$CONSENSUS_MS 'BEGIN { printf "%.1f", 2 * (t + c) / 1000 }')

if [ "$(id -u)" != 0 ]; then
	echo "lab tests need root (network namespaces, tgtd, corosync): skipped"
	exit 77
fi

FAILS=0
PASSES=0
COMPLETED=0
L=""

log() { printf '%s %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }

pass() { PASSES=$((PASSES + 1)); log "PASS: $*"; }
fail() { FAILS=$((FAILS + 1)); log "FAIL: $*"; }

# new_lab_name PREFIX: a name unique to this run (lab names: [a-z][a-z0-9]{0,7})
new_lab_name() {
	printf '%s%04x' "$1" $(( (RANDOM << 1 ^ $$) & 0xffff ))
}

lab() { "$LAB" "$@"; }

# on NODE CMD...: run a command inside a lab node
on() { local node=$1; shift; "$LAB" exec "$L" "$node" -- "$@"; }

# wait_daemon NODE [SECONDS]: until clusterd on NODE answers (after a start)
wait_daemon() {
	local deadline=$(( $(now_ms) + ${2:-20} * 1000 )) rc
	while :; do
		rc=0
		on "$1" clusterctl status >/dev/null 2>&1 || rc=$?
		[ "$rc" != 3 ] && return 0
		[ "$(now_ms)" -lt "$deadline" ] || { log "clusterd on $1 does not answer"; return 1; }
		sleep 0.05
	done
}

# status_field NODE JQ: one field of `clusterctl --json status` on NODE
status_field() { on "$1" clusterctl --json status | jq -r "$2"; }

# now_ms: CLOCK_MONOTONIC in ms (shared by all namespaces)
now_ms() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }

# wait_until SECS CMD...: run CMD every 50 ms until it succeeds (0) or SECS
# pass (1): every wait for an event has a deadline
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		(($(now_ms) < deadline)) || return 1
		sleep 0.05
	done
}

# check_sanitizers: fail the test on any ASan/UBSan report in the lab's logs
check_sanitizers() {
	local dir="$LAB_ROOT/$L" hits
	[ -d "$dir" ] || return 0
	hits=$(grep -rlE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
		--include='*.log' "$dir" 2>/dev/null || true)
	if [ -n "$hits" ]; then
		fail "sanitizer reports in: $hits"
		grep -rhE -A20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' $hits | head -60
	else
		pass "no sanitizer reports in the lab's logs"
	fi
}

# ---- guest integrity (issue 19): the lab guest's memory verifier prints
# "mem ok N ..." or "mem BAD N ..." on its console about every second; a
# move counts only if the guest verifies intact on its new node.

# vm_console NODE VM: path of the VM's serial console log on NODE (the
# target of a migration starts a new one)
vm_console() { echo "$LAB_ROOT/$L/nodes/$1/run/clusterd/vm/$2/console.log"; }

# console_crash FILE: print the first kernel crash line (BUG/Oops/panic);
# status 0 when there is one
console_crash() {
	grep -a -m1 -oE '(BUG: |kernel BUG at |Oops: |Kernel panic - |general protection fault).*' \
		"$1" 2>/dev/null
}

# mem_lines FILE: how many verifier lines the console has
mem_lines() { grep -a -c '^mem \(ok\|BAD\)' "$1" 2>/dev/null || true; }

# guest_intact NODE VM [AFTER] [SECS]: wait (SECS, 60) until VM's console
# on NODE shows two verifier passes after its first AFTER lines (0: a new
# target's console), the second begun and ended on NODE; status 0 and
# "intact: mem ok N ..." when they and every earlier one are ok and no crash
# line is there; else status 1 and what was found (a BUG line, "mem BAD ...",
# or "no verifier answer")
guest_intact() {
	local f after=${3:-0} deadline crash bad
	f=$(vm_console "$1" "$2")
	deadline=$(($(now_ms) + ${4:-60} * 1000))
	while :; do
		if crash=$(console_crash "$f"); then
			echo "crashed on $1: $crash"
			return 1
		fi
		if bad=$(grep -a -m1 '^mem BAD' "$f" 2>/dev/null); then
			echo "damaged on $1: $bad"
			return 1
		fi
		(($(mem_lines "$f") >= after + 2)) && break
		if (($(now_ms) > deadline)); then
			echo "no verifier answer on $1 after ${4:-60} s ($(mem_lines "$f") lines, $after before)"
			return 1
		fi
		sleep 0.2
	done
	echo "intact: $(grep -a '^mem ok' "$f" | tail -1)"
}

cleanup() {
	local rc=$?
	if [ -n "$L" ]; then
		check_sanitizers || true
		if [ "${LAB_KEEP:-0}" = 1 ]; then
			log "LAB_KEEP=1: leaving lab $L up"
		elif [ "${LAB_KEEP_FAILED:-0}" = 1 ] && [ "${FAILS:-0}" -gt 0 ]; then
			log "LAB_KEEP_FAILED=1 and $FAILS failed: leaving lab $L up"
		else
			lab down "$L" >/dev/null 2>&1 || lab down "$L" || true
		fi
	fi
	finish "$rc"
}

# done_testing: the last line of every test; a test that dies before it
# (syntax error, failed command under set -e) fails.
done_testing() { COMPLETED=1; }

# finish RC: print the closing summary line and exit
finish() {
	if [ "$COMPLETED" != 1 ]; then
		fail "the test stopped before its end (exit status ${1:-?})"
	fi
	echo
	echo "$PASSES passed, $FAILS failed"
	if [ "$FAILS" -gt 0 ] || [ "${1:-0}" != 0 ]; then
		exit 1
	fi
	exit 0
}

start_lab() {
	L=$(new_lab_name "$1"); shift
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	log "lab up $L $*"
	lab up "$L" "$@"
}
