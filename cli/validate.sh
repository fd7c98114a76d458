# validate.sh - what `clusterctl validate` runs on each node over ssh ("sh -s").
#
# Embedded in clusterctl like remote.sh; variables come before the last line
# "main OP </dev/null" as NAME='VALUE' (validated tokens only). Output:
# KEY=VALUE lines, "helper=1" first. It changes nothing on the node except,
# for a LUN nobody has registered on, one pattern block at its last LBA
# (the read/write test). Every external program is looked up in PATH, so a
# test can put shims first (tests/lab/test-validate does).
# POSIX sh: Debian runs this with dash.

set -u
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
PEERS=${PEERS:-}
LUNS=${LUNS:-}
ROOTS=${ROOTS:-}

say() { printf '%s=%s\n' "$1" "$2"; }
first_line() { sed -n '1p' | tr -d '\r'; }
ver() {	# ver NAME CMD...: the first version-looking word of CMD's output
	n=$1
	shift
	v=$("$@" 2>/dev/null | grep -o '[0-9][0-9]*\.[0-9][0-9.]*[0-9a-z.+~-]*' | head -n 1)
	say "ver_$n" "${v:-none}"
}
pkgver() {
	v=$(dpkg-query -W -f='${Version}' "$2" 2>/dev/null || true)
	say "ver_$1" "${v:-none}"
}

op_time() {
	say time_ns "$(date +%s%N)"
}

op_inventory() {
	say name "$(uname -n | sed 's/\..*//')"
	os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")
	say os "${os:-unknown}"
	say kernel "$(uname -r)"
	say arch "$(uname -m)"
	ver corosync corosync -v
	pkgver libqb libqb100
	ver qemu qemu-system-x86_64 --version
	ver clusterd clusterctl --version
	if command -v qemu-system-x86_64 >/dev/null 2>&1; then say qemu yes; else say qemu no; fi
	if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then say kvm yes; else say kvm no; fi
	# the qemu plugin's accelerator verdict (a boot probe; /dev/kvm can open
	# and still not run guests), once clusterd has run on the node
	# migration TLS (agents/vm/qemu-tls.c): this node's certificate
	if [ -s /etc/clusterd/tls/server-cert.pem ] && [ -s /etc/clusterd/tls/ca-cert.pem ]; then
		say tls_creds yes
	else
		say tls_creds no
	fi
	# post-copy: QEMU (as clusterd-qemu) needs userfaultfd (validate-postcopy.c)
	u=$(cat /proc/sys/vm/unprivileged_userfaultfd 2>/dev/null)
	say uffd "${u:-unknown}"
	a=$(cut -d' ' -f1 /run/clusterd/qemu-accel 2>/dev/null)
	say accel "${a:-unknown}"
	say cpu_model "$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | first_line)"
	say cpu_flags "$(sed -n 's/^flags[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | first_line)"
	say bridges "$(ip -o link show type bridge 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); printf "%s%s", n++ ? "," : "", $2 }')"
	say mem_total_kb "$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo)"
	say mem_avail_kb "$(sed -n 's/^MemAvailable:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo)"
	d=/var/lib/clusterd
	[ -d $d ] || d=/var/lib
	say disk_free_kb "$(df -Pk $d 2>/dev/null | awk 'NR == 2 { print $4 }')"
	# free KB in each VM storage root (ROOTS: the property vm-storage-roots)
	s=""
	old_ifs=$IFS
	IFS=:
	for r in $ROOTS; do
		kb=missing
		[ -d "$r" ] && kb=$(df -Pk "$r" 2>/dev/null | awk 'NR == 2 { print $4 }')
		s="$s${s:+;}$r=${kb:-unknown}"
	done
	IFS=$old_ifs
	say vm_storage_free "$s"
	# interfaces: NAME,ADDR/PREFIX,MTU;...
	a=""
	for line in $(ip -o -4 addr show 2>/dev/null | awk '$2 != "lo" { print $2 "," $4 }'); do
		ifc=${line%%,*}
		ifc=${ifc%%@*}
		mtu=$(cat "/sys/class/net/$ifc/mtu" 2>/dev/null || echo 0)
		a="$a${a:+;}$line,$mtu"
	done
	say addrs "$a"
	if pidof corosync >/dev/null 2>&1 || corosync-cfgtool -s >/dev/null 2>&1; then
		say corosync_running yes
	else
		say corosync_running no
	fi
	if ss -Hulnp 2>/dev/null | awk '{ print $4 }' | grep -q ':5405$'; then
		say port5405 busy
	else
		say port5405 free
	fi
	i=0
	for u in $(echo "$LUNS" | tr ',' ' '); do
		i=$((i + 1))
		if ! command -v clusterd-pr >/dev/null 2>&1; then
			say "lun${i}_error" "clusterd-pr is not installed"
			continue
		fi
		out=$(printf 'inquiry\nkeys\nreservation\nread 0\n' |
			clusterd-pr --json --timeout 3000 --script "$u" 2>&1)
		echo "$out" | while IFS= read -r l; do say "lun${i}_pr" "$l"; done
		count=$(echo "$out" | sed -n 's/.*"command":"keys".*"count":\([0-9]*\).*/\1/p')
		held=$(echo "$out" | sed -n 's/.*"command":"reservation".*"reserved":\(true\).*/\1/p')
		blocks=$(echo "$out" | sed -n 's/.*"command":"inquiry".*"blocks":\([0-9]*\).*/\1/p')
		if [ "${count:-x}" = 0 ] && [ -z "$held" ] && [ -n "$blocks" ]; then
			w=$(clusterd-pr --json --timeout 3000 "$u" write $((blocks - 1)) validate 2>&1 | tail -n 1)
			say "lun${i}_write" "$w"
		else
			say "lun${i}_write" "skipped"
		fi
	done
}

# Every address in PEERS, 3 pings each, all at once: the average rtt in ms.
op_ping() {
	dir=$(mktemp -d)
	for p in $(echo "$PEERS" | tr ',' ' '); do
		ping -n -q -c 3 -i 0.2 -W 1 "$p" >"$dir/$p" 2>/dev/null &
	done
	wait
	for p in $(echo "$PEERS" | tr ',' ' '); do
		r=$(sed -n 's/^rtt.*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p' "$dir/$p")
		say "ping_$p" "${r:-unreachable}"
	done
	rm -rf "$dir"
}

main() {
	say helper 1
	case $1 in
	time) op_time ;;
	inventory) op_inventory ;;
	ping) op_ping ;;
	*) echo "unknown operation $1" >&2; exit 2 ;;
	esac
}
