#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors

# Runs a command with a directory whose reads and writes are limited to a given bandwidth,
# so that a benchmark can show where compressing checkpoint files pays (docs/benchmarks.md,
# "A bandwidth-limited directory"). Not part of CI or CTest: it needs root.
#
#   benchmarks/throttled_dir.sh --mib-per-s N [--size-gib G] [--image PATH] -- COMMAND ARGS...
#
# What it does:
#   1. Creates a sparse file of G GiB (default 4) at PATH (default a new file under
#      /var/tmp; PATH must not exist), attaches it to a loop device with direct I/O on the
#      backing file where losetup and the file system allow it, makes an ext4 file system
#      on it and mounts that at a new directory under /tmp.
#   2. Limits reads and writes on that loop device to N MiB/s each, with the block I/O
#      controller of cgroups:
#      - cgroup v2 (the io controller in the v2 root's cgroup.controllers): a child of the
#        v2 root, reprise-throttle-PID, with io.max 'MAJ:MIN rbps=B wbps=B', and the io and
#        memory controllers enabled for it (without memory, the writeback of buffered
#        writes would be charged to the root cgroup, and escape the limit);
#      - cgroup v1 (blkio bound to a v1 hierarchy, as on a hybrid host): the rules
#        blkio.throttle.{read,write}_bps_device of the blkio root cgroup. v1 throttling
#        is flat (a group's limit covers only the I/O charged to that group, and v1 charges
#        writeback to whoever submits it: the flusher threads and jbd2 are in the root), so
#        only a rule in the root limits every write to the device. The device is this
#        script's own loop device, so the rule slows nothing else down.
#   3. Runs COMMAND in that cgroup (v1: in the blkio root) with THROTTLED_DIR set to a
#      directory on the mount (mode 1777); every '{dir}' in ARGS is replaced by that
#      directory too.
#   4. On exit, also after a failure or a signal: stops what is left of COMMAND's
#      processes (v2: everything in the cgroup; v1: COMMAND itself), removes the cgroup or
#      the v1 rules, unmounts, detaches the loop device and deletes the file. Exits with
#      COMMAND's status (128 + the signal's number when interrupted).
#
# Needs root, loop devices (/dev/loop-control), losetup, mkfs.ext4, and the block I/O
# controller (cgroup v2 'io', or a cgroup v1 'blkio' hierarchy with throttling). It stops
# with a message naming what is missing.

# shellcheck disable=SC2317 # cleanup and on_signal run from traps
set -euo pipefail

mib_per_s='' size_gib=4 image=''

usage() {
    sed -n '/^#   benchmarks/p' "$0" | sed 's/^# \{0,3\}//' >&2
    echo "throttled_dir.sh: $1" >&2
    exit 2
}

say() { printf 'throttled_dir.sh: %s\n' "$*" >&2; }
fail() { printf 'throttled_dir.sh: %s\n' "$*" >&2; exit 1; }

in_range() { # name value max
    if ! [[ $2 =~ ^[1-9][0-9]{0,6}$ ]] || [ "$2" -gt "$3" ]; then
        usage "$1 wants an integer from 1 to $3, not '$2'"
    fi
}

while [ $# -gt 0 ]; do
    case $1 in
        --mib-per-s) [ $# -ge 2 ] || usage "--mib-per-s wants a number"; in_range --mib-per-s "$2" 1000000; mib_per_s=$2; shift 2 ;;
        --size-gib) [ $# -ge 2 ] || usage "--size-gib wants a number"; in_range --size-gib "$2" 4096; size_gib=$2; shift 2 ;;
        --image) [ $# -ge 2 ] || usage "--image wants a path"; image=$2; shift 2 ;;
        -h|--help) sed -n '5,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        --) shift; break ;;
        *) usage "unknown argument '$1' (the command comes after --)" ;;
    esac
done
[ -n "$mib_per_s" ] || usage "--mib-per-s N is required"
[ $# -gt 0 ] || usage "no command after --"
bytes_per_s=$((mib_per_s * 1024 * 1024))

# ---- What the machine must offer ------------------------------------------------------
[ "$(id -u)" -eq 0 ] ||
    fail "must run as root (it attaches a loop device, mounts a file system and writes cgroup files); try: sudo $0 ..."

missing=()
for tool in losetup mkfs.ext4 mount umount mountpoint truncate; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] || fail "missing programs: ${missing[*]} (Debian: apt-get install util-linux e2fsprogs coreutils)"

[ -c /dev/loop-control ] ||
    fail "no loop devices: /dev/loop-control is missing or not a device (load the module: modprobe loop; in a container, the host must pass the loop devices in, e.g. docker run --privileged)"

# The block I/O controller: cgroup v2 'io' if the v2 hierarchy has it, else cgroup v1
# 'blkio' (a hybrid host, systemd.unified_cgroup_hierarchy=0, binds it to v1, and a
# controller lives in one hierarchy at a time).
v2_root='' v1_blkio=''
while read -r _ where type options _; do
    case $type in
        cgroup2) [ -n "$v2_root" ] || v2_root=$where ;;
        cgroup) [[ ,$options, == *,blkio,* ]] && [ -z "$v1_blkio" ] && v1_blkio=$where ;;
    esac
done </proc/self/mounts
mode=''
v2_controllers=''
if [ -n "$v2_root" ] && [ -r "$v2_root/cgroup.controllers" ]; then
    v2_controllers=$(<"$v2_root/cgroup.controllers")
    [[ " $v2_controllers " == *" io "* ]] && mode=v2
fi
if [ -z "$mode" ] && [ -n "$v1_blkio" ]; then
    [ -f "$v1_blkio/blkio.throttle.write_bps_device" ] ||
        fail "the cgroup v1 blkio hierarchy at $v1_blkio has no blkio.throttle.write_bps_device (a kernel without CONFIG_BLK_DEV_THROTTLING)"
    mode=v1
fi
if [ -z "$mode" ]; then
    if [ -n "$v2_root" ]; then
        fail "no block I/O controller: the cgroup v2 hierarchy at $v2_root offers '${v2_controllers:-nothing}' (no 'io'), and no cgroup v1 blkio hierarchy is mounted (in a container: the host must delegate the io controller to it)"
    fi
    fail "no block I/O controller: neither a cgroup v2 hierarchy nor a cgroup v1 blkio hierarchy is mounted (/proc/self/mounts)"
fi

# ---- Set up, and undo on the way out -------------------------------------------------
dir_created=0 image_created=0 loop='' mnt='' cgroup='' enabled=() v1_rules=0
child=''

stop_cgroup_processes() { # signal
    local pid
    if [ -z "$cgroup" ]; then
        [ -z "$child" ] || kill "-$1" "$child" 2>/dev/null || true
        return 0
    fi
    [ -f "$cgroup/cgroup.procs" ] || return 0
    while read -r pid; do
        kill "-$1" "$pid" 2>/dev/null || true
    done <"$cgroup/cgroup.procs"
}

cgroup_empty() {
    if [ -z "$cgroup" ]; then
        [ -z "$child" ] || ! kill -0 "$child" 2>/dev/null
    else
        [ ! -f "$cgroup/cgroup.procs" ] || [ -z "$(<"$cgroup/cgroup.procs")" ]
    fi
}

cleanup() {
    set +e
    local i
    # What is left of COMMAND (after a signal, or processes it left behind) would keep the
    # file system busy and the cgroup alive: TERM, a few seconds, then KILL.
    if ! cgroup_empty; then
        say "stopping what is left of the command"
        stop_cgroup_processes TERM
        i=0
        while ! cgroup_empty && [ $((i += 1)) -le 50 ]; do sleep 0.1; done
        cgroup_empty || stop_cgroup_processes KILL
        i=0
        while ! cgroup_empty && [ $((i += 1)) -le 50 ]; do sleep 0.1; done
    fi
    if [ -n "$cgroup" ] && [ -d "$cgroup" ]; then
        for ((i = 0; i < 20; ++i)); do rmdir "$cgroup" 2>/dev/null && break; sleep 0.1; done
        [ -d "$cgroup" ] && say "could not remove the cgroup $cgroup"
    fi
    # Controllers this script enabled in the v2 root's cgroup.subtree_control, in reverse.
    for ((i = ${#enabled[@]} - 1; i >= 0; --i)); do
        echo "-${enabled[i]}" >"$v2_root/cgroup.subtree_control" 2>/dev/null ||
            say "left the ${enabled[i]} controller enabled in $v2_root/cgroup.subtree_control (something else uses it now)"
    done
    if [ -n "$mnt" ]; then
        if mountpoint -q "$mnt"; then
            # (v1: still throttled here, so the unmount writes back what is dirty at N MiB/s.)
            for ((i = 0; i < 20; ++i)); do umount "$mnt" 2>/dev/null && break; sleep 0.2; done
            if mountpoint -q "$mnt"; then
                # Processes COMMAND left behind (v1 cannot find them) still use it: detach
                # it lazily; the file system and the loop device go when they exit.
                say "$mnt is still in use$(command -v fuser >/dev/null && printf ' by PIDs%s' "$(fuser -m "$mnt" 2>/dev/null)"); unmounting it lazily"
                umount -l "$mnt"
            fi
        fi
        mountpoint -q "$mnt" || rmdir "$mnt"
    fi
    # Loop devices outlive their use: a rule left on this one would slow down its next
    # user. Writing 0 removes it.
    if [ "$v1_rules" -eq 1 ]; then
        echo "$majmin 0" >"$v1_blkio/blkio.throttle.write_bps_device" ||
            say "could not remove the rule for $majmin from $v1_blkio/blkio.throttle.write_bps_device"
        echo "$majmin 0" >"$v1_blkio/blkio.throttle.read_bps_device" ||
            say "could not remove the rule for $majmin from $v1_blkio/blkio.throttle.read_bps_device"
    fi
    if [ -n "$loop" ]; then
        losetup -d "$loop" 2>/dev/null || say "could not detach $loop"
    fi
    if [ "$image_created" -eq 1 ]; then
        rm -f "$image"
    fi
    if [ "$dir_created" -eq 1 ]; then
        rmdir "$(dirname "$image")" 2>/dev/null
    fi
}

on_signal() { # name number
    trap - INT TERM HUP
    say "caught SIG$1; stopping the command and cleaning up"
    [ -z "$child" ] || stop_cgroup_processes TERM
    exit $((128 + $2))
}

trap cleanup EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP

# The image file.
if [ -n "$image" ]; then
    [ ! -e "$image" ] || fail "--image $image exists; give a path to a new file (it is formatted and deleted)"
    [ -d "$(dirname "$image")" ] || fail "--image $image: no directory $(dirname "$image")"
fi
parent=$(dirname "${image:-/var/tmp/x}")
free_kib=$(df -Pk "$parent" | awk 'NR == 2 { print $4 }')
[ "$free_kib" -ge $((size_gib * 1024 * 1024)) ] ||
    fail "$parent has $((free_kib / 1024 / 1024)) GiB free, less than --size-gib $size_gib: the loop device would fail mid-write"
if [ -z "$image" ]; then
    image_dir=$(mktemp -d /var/tmp/reprise-throttle.XXXXXX)
    dir_created=1
    image=$image_dir/image
fi
truncate -s "${size_gib}G" "$image"
image_created=1

# The loop device. Direct I/O on the backing file keeps a second copy of every block out
# of the page cache (the limit itself sits on the loop device, above that cache).
if losetup --help 2>&1 | grep -q -- '--direct-io'; then
    loop=$(losetup --find --show --direct-io=on "$image")
else
    loop=$(losetup --find --show "$image")
fi
dio=$(cat "/sys/block/${loop#/dev/}/loop/dio" 2>/dev/null || echo 0)
[ "$dio" = 1 ] || say "note: $loop reads and writes $image through the page cache (no direct I/O here)"
majmin=$(<"/sys/block/${loop#/dev/}/dev")

# The file system. No lazy initialisation: ext4lazyinit would otherwise write the inode
# tables in the background, outside the cgroup, while COMMAND runs.
mkfs.ext4 -q -F -m 0 -E lazy_itable_init=0,lazy_journal_init=0 "$loop" >/dev/null
mnt=$(mktemp -d /tmp/reprise-throttle-mnt.XXXXXX)
mount -o noatime "$loop" "$mnt"
dir=$mnt/dir
mkdir "$dir"
chmod 1777 "$dir"

# The cgroup.
if [ "$mode" = v2 ]; then
    # A child of the v2 root: the root is exempt from the "no internal processes" rule,
    # so it can enable controllers for its children even though processes live in it.
    # (In a container with its own cgroup namespace, the root seen here is an ordinary
    # cgroup, and the write below fails with EBUSY while it holds processes.)
    # memory too: cgroup v2 charges the writeback of a dirty page to the io cgroup of the
    # page's memory cgroup, so without it buffered writes would escape the limit
    # (Documentation/admin-guide/cgroup-v2.rst, "Writeback").
    wanted=(io)
    if [[ " $v2_controllers " == *" memory "* ]]; then
        wanted+=(memory)
    else
        # memory bound to v1: no cgroup writeback, so the kernel charges writeback to
        # whoever submits it, and the flusher threads are not in the child.
        say "warning: the memory controller is not in $v2_root/cgroup.controllers: dirty pages that the kernel's flusher threads write back escape the limit (direct I/O, reads and the writeback of COMMAND's own fsync do not)"
    fi
    for c in "${wanted[@]}"; do
        [[ " $(<"$v2_root/cgroup.subtree_control") " == *" $c "* ]] && continue
        echo "+$c" >"$v2_root/cgroup.subtree_control" 2>/dev/null ||
            fail "cannot enable the $c controller in $v2_root/cgroup.subtree_control (cgroup v2's no internal processes rule: a non-root cgroup that holds processes cannot give controllers to its children; move them into a leaf cgroup first)"
        enabled+=("$c")
    done
    cgroup=$v2_root/reprise-throttle-$$
    mkdir "$cgroup"
    echo "$majmin rbps=$bytes_per_s wbps=$bytes_per_s" >"$cgroup/io.max" ||
        fail "cannot write '$majmin rbps=$bytes_per_s wbps=$bytes_per_s' to $cgroup/io.max"
    limits=$(grep "^$majmin " "$cgroup/io.max" || true)
    [ -n "$limits" ] || fail "$cgroup/io.max does not show the limit for $majmin"
    procs=$cgroup/cgroup.procs
    how="cgroup v2 $cgroup, io.max '$limits', controllers '$(<"$cgroup/cgroup.controllers")'"
else
    v1_rules=1
    for rw in write read; do
        echo "$majmin $bytes_per_s" >"$v1_blkio/blkio.throttle.${rw}_bps_device" ||
            fail "cannot write '$majmin $bytes_per_s' to $v1_blkio/blkio.throttle.${rw}_bps_device"
        grep -qx "$majmin $bytes_per_s" "$v1_blkio/blkio.throttle.${rw}_bps_device" ||
            fail "$v1_blkio/blkio.throttle.${rw}_bps_device does not show '$majmin $bytes_per_s'"
    done
    # COMMAND goes into the blkio root too: in a child group its own I/O would be charged
    # to that group, which has no limit.
    procs=$v1_blkio/cgroup.procs
    how="cgroup v1 blkio root $v1_blkio, blkio.throttle.write_bps_device and read_bps_device '$majmin $bytes_per_s'"
fi

say "$loop ($majmin, ${size_gib} GiB ext4, backing file $image, direct I/O $dio) at $mnt"
say "limit $mib_per_s MiB/s ($bytes_per_s bytes/s) read and write: $how"
say "THROTTLED_DIR=$dir"

# ---- Run -----------------------------------------------------------------------------
args=()
for a in "$@"; do args+=("${a//\{dir\}/$dir}"); done
export THROTTLED_DIR=$dir
# In the background, so that a signal to this script is handled at once rather than when
# COMMAND ends. The subshell moves itself into the cgroup before it becomes COMMAND, so
# COMMAND and every process it starts are limited from their first I/O on. stdin stays
# the script's (a background job would otherwise read /dev/null). A Ctrl-C at a terminal
# reaches COMMAND directly (one process group); a signal sent to this script alone
# reaches it as the SIGTERM that on_signal sends.
(
    echo "$BASHPID" >"$procs"
    exec "${args[@]}"
) <&0 &
child=$!
status=0
wait "$child" || status=$?
child=''
exit "$status"
