#!/bin/sh
# Install every Debian package that clusterd's build, tests, lab and demo need.
# Idempotent: runs apt-get update and install only when something is missing.
#   packaging/deps.sh        what make build/test/demo need
#   packaging/deps.sh deb    that and what make deb/deb-test need
set -eu

PKGS="
build-essential cmake pkg-config clang llvm libclang-rt-14-dev
corosync libcorosync-common-dev libcpg-dev libquorum-dev libvotequorum-dev
libcmap-dev libcfg-dev libqb-dev libjson-c-dev libiscsi-dev libiscsi-bin libcunit1-dev
tgt iproute2 util-linux procps openssh-server openssh-client jq python3 iputils-ping
libxml2-dev libxml2-utils resource-agents pacemaker pacemaker-cli-utils
qemu-system-x86 qemu-utils busybox-static cpio xz-utils curl
libfuse3-dev fuse3 chromium libgnutls28-dev gnutls-bin tcpdump nftables rsyslog
fio
"
if [ "${1:-}" = deb ]; then
    PKGS="$PKGS debhelper dpkg-dev lintian man-db bash-completion"
fi

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    "install ok installed") ;;
    *) missing="$missing $p" ;;
    esac
done

# clusterctl access for administrators other than root (as Pacemaker's).
ensure_group() {
    getent group haclient >/dev/null && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "deps: group haclient missing; run 'make deps' as root" >&2
        return 1
    fi
    groupadd --system haclient
}

# The user guests' QEMUs run as (-runas; agents/vm/qemu-argv.h): never root.
ensure_qemu_user() {
    getent passwd clusterd-qemu >/dev/null && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "deps: user clusterd-qemu missing; run 'make deps' as root" >&2
        return 1
    fi
    useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --user-group clusterd-qemu
}

if [ -z "$missing" ]; then
    ensure_group
    ensure_qemu_user
    echo "deps: all packages present"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing; run 'make deps' as root" >&2
    exit 1
fi

# One line per step; apt's own output goes to a log named on failure.
LOG=${DEPS_LOG:-/var/tmp/clusterd-deps.log}
: >"$LOG"
step() {
    echo "deps: $1 (log: $LOG)"
    shift
    if ! "$@" >>"$LOG" 2>&1; then
        echo "deps: failed: $*" >&2
        tail -n 20 "$LOG" >&2
        echo "deps: the whole output is in $LOG" >&2
        exit 1
    fi
}
export DEBIAN_FRONTEND=noninteractive
step "apt-get update" apt-get update
# shellcheck disable=SC2086
step "installing$missing" apt-get install -y --no-install-recommends $missing
ensure_group
ensure_qemu_user
