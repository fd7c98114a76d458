# remote.sh - the helper that clusterctl runs on a node over ssh ("sh -s").
#
# clusterctl embeds this file at build time and sends it on ssh's stdin,
# followed by variable assignments (base64 or validated tokens only, single-
# quoted) and a last line "main OP </dev/null". So nothing is installed on
# the nodes beforehand and no argument ever passes through a remote shell
# command line.
#
# Output: KEY=VALUE lines on stdout, always "helper=1" first. Errors: a line
# on stderr (the last line is the reason clusterctl shows) and exit status
# 1 (or the exit status of `clusterctl wait`: 3, 5...).
#
# Services: $CLUSTERD_SERVICE_CMD ACTION SERVICE when set (the lab sets it:
# "lab svc NAME NODE"), else systemd when /run/systemd/system exists.
# POSIX sh: Debian runs this with dash.

set -u
umask 022
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
COROSYNC_CONF=/etc/corosync/corosync.conf
AUTHKEY=/etc/corosync/authkey
CLUSTERD_CONF=/etc/clusterd/clusterd.conf
STATE_DIR=/var/lib/clusterd
TLS_DIR=/etc/clusterd/tls
TLS_CA_DIR=/etc/clusterd/tls-ca

node_name() {
	h=$(uname -n)
	echo "${h%%.*}"
}

say() { printf '%s=%s\n' "$1" "$2"; }

fail() {
	echo "$*" >&2
	exit 1
}

b64() { base64 -w0 <"$1"; }

svc_kind() {
	if [ -n "${CLUSTERD_SERVICE_CMD:-}" ]; then
		echo env
	elif [ -d /run/systemd/system ]; then
		echo systemd
	else
		echo none
	fi
}

# svc ACTION SERVICE: ACTION is start, stop, reload or status (exit 0 when
# running). systemd: start = enable --now, stop = disable --now.
svc() {
	case $(svc_kind) in
	env)
		# shellcheck disable=SC2086 # a command with arguments, split on purpose
		$CLUSTERD_SERVICE_CMD "$1" "$2" >&2
		;;
	systemd)
		case $1 in
		start) systemctl enable --now --quiet "$2.service" >&2 ;;
		stop) systemctl disable --now --quiet "$2.service" >&2 ;;
		reload) corosync-cfgtool -R >&2 ;;
		status) systemctl is-active --quiet "$2.service" ;;
		*) return 2 ;;
		esac
		;;
	*)
		echo "no service manager on $(node_name): no systemd (/run/systemd/system)" \
			"and no CLUSTERD_SERVICE_CMD" >&2
		return 2
		;;
	esac
}

running() { svc status "$1" >/dev/null 2>&1; }

quorum_flags() {
	corosync-quorumtool -s 2>/dev/null | sed -n 's/^Flags:[[:space:]]*//p' | sed 's/[[:space:]]*$//' | head -n 1
}

op_probe() {
	say name "$(node_name)"
	# shellcheck disable=SC2086 # "client port server port"
	set -- ${SSH_CONNECTION:-}
	say addr "${3:-}"
	missing=""
	for p in corosync corosync-keygen corosync-cfgtool clusterd clusterctl certtool; do
		command -v "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	say missing "${missing# }"
	kind=$(svc_kind)
	say svc "$kind"
	if [ "$kind" != none ]; then
		if running corosync; then say corosync_running 1; else say corosync_running 0; fi
		if running clusterd; then say clusterd_running 1; else say clusterd_running 0; fi
	fi
	if [ -f "$COROSYNC_CONF" ]; then say corosync_conf "$(b64 "$COROSYNC_CONF")"; fi
	if [ -f "$CLUSTERD_CONF" ]; then say clusterd_conf "$(b64 "$CLUSTERD_CONF")"; fi
	if [ -f "$TLS_CA_DIR/ca-key.pem" ]; then say tls_ca 1; fi
	if [ -f "$AUTHKEY" ]; then
		say authkey_sha256 "$(sha256sum <"$AUTHKEY" | cut -d ' ' -f 1)"
	fi
	return 0
}

# put B64 FILE MODE: install FILE atomically (temp file in the same
# directory, fsync, rename) unless it already has that content.
put() {
	[ -n "$1" ] || return 0
	dir=${2%/*}
	mkdir -p "$dir" || fail "cannot create $dir"
	tmp=$(mktemp "$dir/.clusterctl.XXXXXX") || fail "cannot write in $dir"
	if ! printf '%s' "$1" | base64 -d >"$tmp"; then
		rm -f "$tmp"
		fail "cannot write $2"
	fi
	chmod "$3" "$tmp"
	if [ -f "$2" ] && cmp -s "$tmp" "$2"; then
		rm -f "$tmp"
		chmod "$3" "$2"
		return 0
	fi
	sync "$tmp" 2>/dev/null || true
	if ! mv -f "$tmp" "$2"; then
		rm -f "$tmp"
		fail "cannot install $2"
	fi
	changed="$changed ${2##*/}"
}

op_install() {
	changed=""
	put "${CONF_B64:-}" "$COROSYNC_CONF" 0644
	put "${KEY_B64:-}" "$AUTHKEY" 0400
	put "${CDCONF_B64:-}" "$CLUSTERD_CONF" 0644
	say changed "${changed# }"
}

# start: make corosync and clusterd run with the installed configuration.
# RESTART_COROSYNC (new authkey or another cluster before), RELOAD_COROSYNC
# (new corosync.conf), RESTART_CLUSTERD (another cluster uuid before).
# A running daemon is left alone otherwise.
op_start() {
	[ "$(svc_kind)" != none ] || svc status corosync || exit 1
	restarted_cd=0
	if [ "${RESTART_CLUSTERD:-0}" = 1 ] && running clusterd; then
		svc stop clusterd || fail "$(node_name): cannot stop clusterd"
		restarted_cd=1
	fi
	if running corosync; then
		if [ "${RESTART_COROSYNC:-0}" = 1 ]; then
			svc stop corosync || fail "$(node_name): cannot stop corosync"
			svc start corosync || fail "$(node_name): corosync does not start again" \
				"(see /var/log/corosync/corosync.log)"
			say corosync restarted
		elif [ "${RELOAD_COROSYNC:-0}" = 1 ]; then
			svc reload corosync || fail "$(node_name): corosync-cfgtool -R failed"
			say corosync reloaded
		else
			say corosync running
		fi
	else
		svc start corosync || fail "$(node_name): corosync does not start" \
			"(see /var/log/corosync/corosync.log)"
		say corosync started
	fi
	if running clusterd; then
		say clusterd running
	else
		svc start clusterd || fail "$(node_name): clusterd does not start" \
			"(see /var/log/clusterd or journalctl -u clusterd)"
		if [ "$restarted_cd" = 1 ]; then say clusterd restarted; else say clusterd started; fi
	fi
	if [ "$(svc_kind)" = systemd ]; then
		systemctl enable --quiet corosync.service clusterd.service >&2 || true
	fi
}

# apply: install, then start. SAME=1 when the node's files described this
# cluster already (else a running corosync belongs to another cluster and
# restarts); RESTART_CLUSTERD from clusterctl (it knows the old uuid).
# corosync-cfgtool -R reloads every node: a node that reloads early is
# reloaded again by the last node that installs, so all end current.
op_apply() {
	op_install
	RESTART_COROSYNC=0
	RELOAD_COROSYNC=0
	case " $changed " in *" authkey "*) RESTART_COROSYNC=1 ;; esac
	case " $changed " in *" corosync.conf "*) RELOAD_COROSYNC=1 ;; esac
	[ "${SAME:-0}" = 1 ] || RESTART_COROSYNC=1
	op_start
}

# wait: until clusterd here sees MEMBERS members, quorate (TIMEOUT seconds).
op_wait() {
	end=$(($(date +%s) + TIMEOUT))
	while :; do
		left=$((end - $(date +%s)))
		[ "$left" -ge 1 ] || left=1
		rc=0
		clusterctl wait --members "$MEMBERS" --quorate --timeout "$left" \
			>/dev/null 2>/dev/null || rc=$?
		# 3: clusterd does not listen yet
		if [ "$rc" = 3 ] && [ "$(date +%s)" -lt "$end" ]; then
			sleep 0.2
			continue
		fi
		break
	done
	if [ "$rc" != 0 ]; then
		clusterctl status >&2 || true
		echo "$(node_name): does not see $MEMBERS members, quorate, after" \
			"${TIMEOUT}s (clusterctl wait: exit $rc)" >&2
		exit "$rc"
	fi
	say quorum_flags "$(quorum_flags)"
}

op_getkey() {
	[ -f "$AUTHKEY" ] || fail "$(node_name): no $AUTHKEY"
	say authkey "$(b64 "$AUTHKEY")"
}

op_keygen() {
	d=$(mktemp -d) || fail "$(node_name): mktemp failed"
	if ! corosync-keygen -k "$d/authkey" >"$d/out" 2>&1; then
		cat "$d/out" >&2
		rm -rf "$d"
		fail "$(node_name): corosync-keygen failed"
	fi
	say authkey "$(b64 "$d/authkey")"
	rm -rf "$d"
}

# ---- migration TLS credentials (issue 16; agents/vm/qemu-tls.c) ----
# TLS_DIR: what QEMU reads as clusterd-qemu (root:clusterd-qemu, 0750/0640):
# ca-cert.pem (the CAs trusted: the current one, during a rotation also the
# previous), this node's certificate and key as server-* and client-*.pem.
# TLS_CA_DIR: the cluster CA's certificate and key (root only, 0700/0400),
# on every node as the authkey is, so that any node can add a node.

# tlsca: a new cluster CA (certtool, GnuTLS). Answers tls_ca_cert, tls_ca_key.
op_tlsca() {
	command -v certtool >/dev/null 2>&1 ||
		fail "$(node_name): no certtool; install with: apt-get install gnutls-bin"
	d=$(mktemp -d) || fail "$(node_name): mktemp failed"
	printf 'cn = clusterd cluster CA %s\nca\ncert_signing_key\nexpiration_days = 3650\n' \
		"$(date +%Y%m%d%H%M%S)" >"$d/ca.info"
	if ! certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
		--outfile "$d/ca-key.pem" >"$d/out" 2>&1 ||
	   ! certtool --generate-self-signed --load-privkey "$d/ca-key.pem" \
		--template "$d/ca.info" --outfile "$d/ca-cert.pem" >"$d/out" 2>&1; then
		cat "$d/out" >&2
		rm -rf "$d"
		fail "$(node_name): certtool failed to make the cluster CA"
	fi
	say tls_ca_cert "$(b64 "$d/ca-cert.pem")"
	say tls_ca_key "$(b64 "$d/ca-key.pem")"
	rm -rf "$d"
}

# tlsget: this node's copy of the cluster CA.
op_tlsget() {
	[ -f "$TLS_CA_DIR/ca-key.pem" ] ||
		fail "$(node_name): no $TLS_CA_DIR/ca-key.pem (a cluster made before" \
			"migration TLS: run 'clusterctl tls rotate')"
	say tls_ca_cert "$(b64 "$TLS_CA_DIR/ca-cert.pem")"
	say tls_ca_key "$(b64 "$TLS_CA_DIR/ca-key.pem")"
}

# tls: install the CA (TLS_CA_CERT_B64, TLS_CA_KEY_B64; TLS_CA_OLD_B64: a
# previous CA still trusted) and this node's key and certificate, made here
# and signed by the CA. An existing certificate of this node signed by this
# CA is kept unless ROTATE=1. Answers tls=new|kept.
op_tls() {
	command -v certtool >/dev/null 2>&1 ||
		fail "$(node_name): no certtool; install with: apt-get install gnutls-bin"
	mkdir -p "$TLS_CA_DIR" "$TLS_DIR" || fail "$(node_name): cannot create $TLS_DIR"
	chmod 0700 "$TLS_CA_DIR"
	grp=root
	getent group clusterd-qemu >/dev/null 2>&1 && grp=clusterd-qemu
	chown "root:$grp" "$TLS_DIR" && chmod 0750 "$TLS_DIR" ||
		fail "$(node_name): cannot set the owner of $TLS_DIR"
	changed=""
	put "$TLS_CA_KEY_B64" "$TLS_CA_DIR/ca-key.pem" 0400
	put "$TLS_CA_CERT_B64" "$TLS_CA_DIR/ca-cert.pem" 0444
	n=$(node_name)
	d=$(mktemp -d) || fail "$n: mktemp failed"
	{ printf '%s' "$TLS_CA_CERT_B64" | base64 -d
	  [ -z "${TLS_CA_OLD_B64:-}" ] || printf '%s' "$TLS_CA_OLD_B64" | base64 -d
	} >"$d/bundle.pem" || fail "$n: bad CA certificate"
	if [ "${ROTATE:-0}" != 1 ] && [ -f "$TLS_DIR/server-cert.pem" ] &&
	   certtool --verify --load-ca-certificate "$TLS_CA_DIR/ca-cert.pem" \
		--infile "$TLS_DIR/server-cert.pem" >/dev/null 2>&1 &&
	   certtool -i --infile "$TLS_DIR/server-cert.pem" 2>/dev/null |
		grep -q "Subject: .*CN=$n\(,\|\$\)"; then
		install -m 0640 -g "$grp" "$d/bundle.pem" "$TLS_DIR/ca-cert.pem"
		rm -rf "$d"
		say tls kept
		return 0
	fi
	printf 'organization = clusterd\ncn = %s\ndns_name = %s\ntls_www_server\ntls_www_client\nsigning_key\nexpiration_days = 3650\n' \
		"$n" "$n" >"$d/node.info"
	if ! certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
		--outfile "$d/key.pem" >"$d/out" 2>&1 ||
	   ! certtool --generate-certificate --load-privkey "$d/key.pem" \
		--load-ca-certificate "$TLS_CA_DIR/ca-cert.pem" \
		--load-ca-privkey "$TLS_CA_DIR/ca-key.pem" \
		--template "$d/node.info" --outfile "$d/cert.pem" >"$d/out" 2>&1; then
		cat "$d/out" >&2
		rm -rf "$d"
		fail "$n: certtool failed to make this node's certificate"
	fi
	# Keys before certificates, each file replaced atomically.
	for f in server-key client-key; do
		install -m 0640 -g "$grp" "$d/key.pem" "$TLS_DIR/.$f.pem.new" &&
			mv -f "$TLS_DIR/.$f.pem.new" "$TLS_DIR/$f.pem" || fail "$n: cannot install $f.pem"
	done
	for f in server-cert client-cert; do
		install -m 0640 -g "$grp" "$d/cert.pem" "$TLS_DIR/.$f.pem.new" &&
			mv -f "$TLS_DIR/.$f.pem.new" "$TLS_DIR/$f.pem" || fail "$n: cannot install $f.pem"
	done
	install -m 0640 -g "$grp" "$d/bundle.pem" "$TLS_DIR/.ca-cert.pem.new" &&
		mv -f "$TLS_DIR/.ca-cert.pem.new" "$TLS_DIR/ca-cert.pem" || fail "$n: cannot install ca-cert.pem"
	rm -rf "$d"
	say tls new
}

# destroy: stop clusterd and corosync, remove the cluster's files. Goes on
# after a failure and reports it at the end.
op_destroy() {
	rc=0
	if [ "$(svc_kind)" = none ]; then
		echo "$(node_name): cannot stop clusterd and corosync: no service manager" \
			"(no systemd, no CLUSTERD_SERVICE_CMD)" >&2
		rc=1
	else
		for s in clusterd corosync; do
			if running "$s"; then
				if svc stop "$s"; then say "$s" stopped; else
					echo "$(node_name): cannot stop $s" >&2
					rc=1
				fi
			else
				if [ "$(svc_kind)" = systemd ]; then
					systemctl disable --quiet "$s.service" 2>/dev/null || true
				fi
				say "$s" not-running
			fi
		done
	fi
	removed=""
	for f in "$COROSYNC_CONF" "$AUTHKEY" "$CLUSTERD_CONF" "$STATE_DIR"/state.json* \
		"$TLS_DIR"/*.pem "$TLS_CA_DIR"/*.pem; do
		[ -e "$f" ] || continue
		if rm -f "$f"; then removed="$removed $f"; else rc=1; fi
	done
	say removed "${removed# }"
	return "$rc"
}

op_nodes_update() {
	json=$(printf '%s' "$NODES_B64" | base64 -d) || fail "bad node list"
	clusterctl internal-nodes-update "$json" >&2
}

# witness: check the witness LUN (WITNESS_B64) from this node (login,
# register and remove a test key: clusterctl quorum check).
op_witness() {
	command -v clusterctl >/dev/null 2>&1 || fail "$(node_name): no clusterctl"
	url=$(printf '%s' "$WITNESS_B64" | base64 -d) || fail "bad witness URL"
	err=$(clusterctl quorum check --witness "$url" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = 0 ] || fail "$(printf '%s\n' "$err" | tail -n 1)"
	say witness ok
}

main() {
	say helper 1
	case $1 in
	probe) op_probe ;;
	apply) op_apply ;;
	wait) op_wait ;;
	getkey) op_getkey ;;
	keygen) op_keygen ;;
	destroy) op_destroy ;;
	nodes-update) op_nodes_update ;;
	witness) op_witness ;;
	tlsca) op_tlsca ;;
	tlsget) op_tlsget ;;
	tls) op_tls ;;
	*) fail "clusterctl helper: unknown operation '$1'" ;;
	esac
}
