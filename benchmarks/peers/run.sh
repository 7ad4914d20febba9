#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SPDX-FileCopyrightText: 2026 The reprise authors

# reprise side by side with FTI and VeloC (issue 17, item 6; docs/benchmarks.md, "Side by
# side with FTI and VeloC"). Not part of CI or CTest: it builds two HPC libraries and
# writes gigabytes.
#
#   benchmarks/peers/run.sh --sources DIR [--work DIR] [--mib N] [--trials T]
#                           [--checkpoints C] [--no-deps] [--no-strace]
#
# DIR holds source trees obtained beforehand (this script downloads nothing):
#   fti/       leobago/fti v1.6
#   VELOC/     ECP-VeloC/VELOC veloc-1.8
#   KVTree/ AXL/ rankstr/ shuffile/ redset/ er/   at the tags veloc-1.8's auto-install.py
#              pins: v1.4.0, v0.8.0, v0.3.0, v0.3.0, v0.3.0, v0.4.0
#
# What it does:
#   1. As root, installs the Debian packages it needs with apt-get (only the missing ones);
#      otherwise names the missing ones and stops.
#   2. Copies each source tree into WORK/src, builds and installs it into WORK/install
#      (once: a stamp file per library; delete WORK to rebuild), then builds the four
#      drivers of this directory into WORK/bin.
#   3. For each trial (seed = trial number, so all five write the same bytes in a trial),
#      in an order rotated from trial to trial: the POSIX baseline, reprise, FTI (L1),
#      VeloC durable and VeloC fast each save C checkpoints (one process each, np=1 under
#      mpirun for FTI and VeloC), each save timed; then each restores, in a new process,
#      after the page cache was dropped (as root; otherwise it says the restores are warm).
#      Each figure is printed beside the POSIX baseline of the same trial.
#   4. Runs one checkpoint of each under strace and says whether it fsyncs the file,
#      renames it into place and fsyncs the directory.
#
# Defaults: --mib 1024 --trials 4 --checkpoints 3 --work ./build-peers (from where it runs).
# Needs about 3 x MIB of disk in WORK/data at a time and 1 x MIB of memory per driver.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

sources='' work="$PWD/build-peers" mib=1024 trials=4 checkpoints=3 deps=1 trace=1

usage() {
    sed -n '/^#   benchmarks/,/^#                           \[--checkpoints/p' "$0" | sed 's/^# \{0,3\}//' >&2
    echo "run.sh: $1" >&2
    exit 2
}

positive() { # name value
    [[ $2 =~ ^[1-9][0-9]{0,5}$ ]] || usage "$1 wants a positive integer, not '$2'"
}

while [ $# -gt 0 ]; do
    case $1 in
        --sources) [ $# -ge 2 ] || usage "--sources wants a directory"; sources=$2; shift 2 ;;
        --work) [ $# -ge 2 ] || usage "--work wants a directory"; work=$2; shift 2 ;;
        --mib) [ $# -ge 2 ] || usage "--mib wants a number"; positive --mib "$2"; mib=$2; shift 2 ;;
        --trials) [ $# -ge 2 ] || usage "--trials wants a number"; positive --trials "$2"; trials=$2; shift 2 ;;
        --checkpoints) [ $# -ge 2 ] || usage "--checkpoints wants a number"; positive --checkpoints "$2"; checkpoints=$2; shift 2 ;;
        --no-deps) deps=0; shift ;;
        --no-strace) trace=0; shift ;;
        -h|--help) sed -n '5,/^# Needs/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) usage "unknown argument '$1'" ;;
    esac
done
[ -n "$sources" ] || usage "--sources DIR is required"
resolved=$(cd "$sources" 2>/dev/null && pwd) || usage "no directory '$sources'"
sources=$resolved
# FTI_Protect counts elements in an int32_t.
[ "$mib" -le 16383 ] || usage "--mib at most 16383 (FTI_Protect counts doubles in an int32_t)"
mkdir -p "$work"
work=$(cd "$work" && pwd)
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

say() { printf '%s\n' "$*"; }
fail() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# ---- 1. Debian packages --------------------------------------------------------------
packages=(g++ make cmake libopenmpi-dev openmpi-bin zlib1g-dev libssl-dev libcereal-dev
          libboost-filesystem-dev libxxhash-dev strace)
if [ "$deps" -eq 1 ]; then
    missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$is_root" -eq 1 ]; then
            say "installing ${missing[*]}"
            apt-get update -q
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
        else
            fail "missing Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]}; or --no-deps)"
        fi
    fi
fi

# ---- 2. Build ----------------------------------------------------------------------
# name : expected version in its top-level project() : extra CMake arguments
libraries=(
    "KVTree:1.4.0:-DMPI=ON"
    "AXL:0.8.0:"
    "rankstr:0.3.0:"
    "shuffile:0.3.0:"
    "redset:0.3.0:"
    "er:0.4.0:"
    # veloc-1.8's installer defaults: socket_queue (no Boost), direct POSIX transfers.
    # Its CMakeLists still says 1.6.
    "VELOC:1.6:-DCOMM_QUEUE=socket_queue -DPOSIX_IO=direct"
    "fti:1.6:-DENABLE_EXAMPLES=OFF -DENABLE_FORTRAN=OFF -DENABLE_TESTS=OFF"
)
prefix=$work/install
mkdir -p "$work/src" "$work/build" "$work/stamps" "$work/logs" "$work/bin" "$prefix"
for entry in "${libraries[@]}"; do
    IFS=: read -r name version extra <<<"$entry"
    [ -f "$work/stamps/$name" ] && continue
    [ -f "$sources/$name/CMakeLists.txt" ] || fail "no $sources/$name/CMakeLists.txt (see the top of $0)"
    found=$(grep -m1 -io 'project *( *"\?[a-z]*"\? *version *[0-9.]*' "$sources/$name/CMakeLists.txt" | grep -o '[0-9.]*$' || true)
    [ "$found" = "$version" ] || say "warning: $name says version '$found', expected $version"
    say "building $name $found (log: $work/logs/$name.log)"
    rm -rf "$work/src/$name" "$work/build/$name"
    cp -a "$sources/$name" "$work/src/$name"
    if [ "$name" = VELOC ]; then
        # Its install step runs 'pip install --user .' for the Python bindings, which
        # downloads setuptools: not wanted here, and not needed by a C/C++ program.
        : >"$work/src/VELOC/src/bindings/CMakeLists.txt"
    fi
    # shellcheck disable=SC2086 # $extra is a list of arguments
    if ! { cmake -S "$work/src/$name" -B "$work/build/$name" -DCMAKE_BUILD_TYPE=Release \
               -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_PREFIX_PATH="$prefix" \
               -DCMAKE_INSTALL_RPATH="$prefix/lib" -DENABLE_TESTS=OFF $extra &&
           cmake --build "$work/build/$name" -j2 &&
           cmake --install "$work/build/$name"; } >"$work/logs/$name.log" 2>&1; then
        tail -n 30 "$work/logs/$name.log" >&2
        fail "building $name failed; the whole log is $work/logs/$name.log"
    fi
    touch "$work/stamps/$name"
done

say "building the drivers"
common=(-std=c++17 -O2 -Wall -Wextra)
# shellcheck disable=SC2054 # the commas belong to -Wl
mpi_link=(-I"$prefix/include" -L"$prefix/lib" -Wl,--disable-new-dtags,-rpath,"$prefix/lib")
g++ "${common[@]}" -o "$work/bin/posix" "$here/posix.cpp"
g++ "${common[@]}" -I"$repo/include" -o "$work/bin/reprise" "$here/reprise.cpp" -lboost_filesystem -pthread
mpicxx -DOMPI_SKIP_MPICXX "${common[@]}" "${mpi_link[@]}" -o "$work/bin/fti" "$here/fti.cpp" -lfti
mpicxx -DOMPI_SKIP_MPICXX "${common[@]}" "${mpi_link[@]}" -o "$work/bin/veloc" "$here/veloc.cpp" -lveloc-client

# ---- 3. Interleaved runs -------------------------------------------------------------
if [ "$is_root" -eq 1 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
tools=(posix reprise fti veloc-durable veloc-fast)
data=$work/data
results=$work/results.tsv # trial tool phase k seconds status
: >"$results"

command_of() { # tool -> the command that runs its driver (without mode and options)
    case $1 in
        posix) echo "$work/bin/posix" ;;
        reprise) echo "$work/bin/reprise" ;;
        fti) echo "mpirun -np 1 $work/bin/fti" ;;
        veloc-durable) echo "mpirun -np 1 $work/bin/veloc --variant durable" ;;
        veloc-fast) echo "mpirun -np 1 $work/bin/veloc --variant fast" ;;
    esac
}

cache_state=warm
drop_caches() {
    sync
    if [ "$is_root" -eq 1 ] && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
        cache_state=cold
    else
        cache_state=warm
    fi
}

run_driver() { # trial tool mode
    local trial=$1 tool=$2 mode=$3 log="$work/logs/run-$1-$2-$3.log" cmd
    cmd=$(command_of "$tool")
    # shellcheck disable=SC2086 # $cmd is a command line
    if ! $cmd "$mode" --mib "$mib" --checkpoints "$checkpoints" --seed "$trial" --dir "$data/$tool" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        fail "$tool $mode failed in trial $trial; log: $log"
    fi
    grep '^RESULT' "$log" | while read -r _ phase a b; do
        if [ "$phase" = save ]; then
            printf '%s\t%s\tsave\t%s\t%s\tok\n' "$trial" "$tool" "$a" "$b"
        else
            printf '%s\t%s\trestore\t0\t%s\t%s\n' "$trial" "$tool" "$a" "$b"
        fi
    done >>"$results"
}

say ""
say "reprise side by side with FTI and VeloC: $mib MiB of doubles, $trials trials x $checkpoints checkpoints"
say "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs; $(uname -sr); data on $(df -T "$work" | awk 'NR==2{print $2}') at $data"
say "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

for ((trial = 1; trial <= trials; ++trial)); do
    order=()
    for ((i = 0; i < ${#tools[@]}; ++i)); do
        order+=("${tools[$(((i + trial - 1) % ${#tools[@]}))]}")
    done
    rm -rf "$data"
    for tool in "${order[@]}"; do mkdir -p "$data/$tool"; done
    say "trial $trial: ${order[*]}"
    for tool in "${order[@]}"; do
        drop_caches
        run_driver "$trial" "$tool" save
    done
    for tool in "${order[@]}"; do
        drop_caches
        run_driver "$trial" "$tool" restore
    done
    rm -rf "$data"
done
restore_note="cold: page cache dropped before every save and restore process"
[ "$cache_state" = cold ] || restore_note="WARM: the page cache could not be dropped (not root), restores read from memory"
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
say ""

# Per trial: each tool's save times (one per checkpoint) and restore time, each with its
# ratio to the POSIX baseline of the same trial (tool / POSIX: 1.00 = as fast as the
# plain durable write; above 1 slower).
awk -F'\t' -v C="$checkpoints" -v note="$restore_note" '
function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; ++i) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; --j) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    key = $1 SUBSEP $2
    if ($3 == "save") { saves[key] = saves[key] " " $5 }
    else { restore[key] = $5; status[key] = $6 }
    if (!($2 in seen)) { seen[$2] = 1; tools[++ntools] = $2 }
    if ($1 > trials) trials = $1
}
END {
    order = "posix reprise fti veloc-durable veloc-fast"
    split(order, names, " ")
    printf "save: seconds per checkpoint (1..%d), their median, and median / POSIX median of the same trial\n", C
    printf "restore: one restart in a new process, %s\n\n", note
    printf "%-5s  %-13s  %-26s  %8s  %6s  %8s  %6s  %s\n", "trial", "library", "save s (each checkpoint)", "median", "x posix", "restore", "x posix", "check"
    for (t = 1; t <= trials; ++t) {
        base_s = median(saves[t SUBSEP "posix"]); base_r = restore[t SUBSEP "posix"]
        for (i = 1; i <= 5; ++i) {
            k = t SUBSEP names[i]
            if (!(k in status)) continue
            m = median(saves[k])
            each = saves[k]; gsub(/^ /, "", each)
            n = split(each, v, " "); each = ""
            for (j = 1; j <= n; ++j) each = each sprintf("%s%.2f", j > 1 ? " " : "", v[j])
            printf "%-5d  %-13s  %-26s  %8.3f  %6.2f  %8.3f  %6.2f  %s\n", t, names[i], each, m, m / base_s, restore[k], restore[k] / base_r, status[k]
            sratio[names[i]] = sratio[names[i]] " " m / base_s
            rratio[names[i]] = rratio[names[i]] " " restore[k] / base_r
            sabs[names[i]] = sabs[names[i]] " " m
            rabs[names[i]] = rabs[names[i]] " " restore[k]
        }
    }
    printf "\nmedian over the %d trials (ratios: x the POSIX baseline of the same trial, then the median)\n\n", trials
    printf "%-13s  %9s  %8s  %9s  %8s\n", "library", "save s", "x posix", "restore s", "x posix"
    for (i = 1; i <= 5; ++i) {
        n = names[i]
        if (!(n in sratio)) continue
        printf "%-13s  %9.3f  %8.2f  %9.3f  %8.2f\n", n, median(sabs[n]), median(sratio[n]), median(rabs[n]), median(rratio[n])
    }
}' "$results"

if grep -qP '\tBAD$' "$results"; then
    fail "a restored state differed from the saved one (see $results)"
fi

# ---- 4. Durability facts -------------------------------------------------------------
[ "$trace" -eq 1 ] || exit 0
say ""
say "durability: one checkpoint of each (16 MiB) under strace -f -y -e trace=fsync,fdatasync,sync_file_range,rename,renameat,renameat2,openat"
say "(only system calls on paths under the tool's own directory count)"
say ""
printf '%-13s  %-10s  %-10s  %-10s  %s\n' library "fsync file" "renames" "fsync dir" "calls on its files (count)"
declare -A details
for tool in "${tools[@]}"; do
    dir=$data/trace/$tool
    rm -rf "$dir"
    mkdir -p "$dir"
    trace_file=$work/logs/strace-$tool.txt
    cmd=$(command_of "$tool")
    # strace runs inside mpirun, on the driver alone (not on mpirun's own daemons).
    case $tool in
        posix|reprise) launcher=() ; read -r -a program <<<"$cmd" ;;
        *) launcher=(mpirun -np 1) ; read -r -a program <<<"${cmd#mpirun -np 1 }" ;;
    esac
    "${launcher[@]}" strace -f -y -o "$trace_file" \
        -e trace=fsync,fdatasync,sync_file_range,rename,renameat,renameat2,openat \
        "${program[@]}" save --mib 16 --checkpoints 1 --seed 1 --dir "$dir" >"$work/logs/strace-$tool.out" 2>&1 ||
        fail "$tool failed under strace; see $work/logs/strace-$tool.out"
    # Only the calls on this tool's own files and directory count (not MPI's). With -y
    # strace prints each descriptor's path: fsync(3</dir/file>). A synced path that is a
    # directory now is a directory sync.
    mine=$(grep -F "$dir" "$trace_file" || true)
    file_sync=no dir_sync=no
    while read -r path; do
        [ -n "$path" ] || continue
        if [ -d "$path" ]; then dir_sync=yes; else file_sync=yes; fi
    done < <(grep -oP '\b(fsync|fdatasync)\(\d+<\K[^>]*' <<<"$mine" || true)
    calls=$(grep -oP '\b(fsync|fdatasync|sync_file_range|renameat2|renameat|rename|openat)\(' <<<"$mine" |
            sort | uniq -c | awk '{sub(/\($/, "", $2); printf "%s%s %d", (NR > 1 ? ", " : ""), $2, $1}')
    # The details: which files were synced, what was renamed (a directory or a file), and
    # which files it created or truncated for writing and never synced.
    details[$tool]=$(awk -v dir="$dir" '
        function base(p) { sub(/.*\//, "", p); return p }
        function rel(p) { return p == dir ? "./" : substr(p, length(dir) + 2) }
        function isdir(p) { return system("test -d \"" p "\"") == 0 }
        BEGIN { kind = "no" }
        /(fsync|fdatasync)\(/ && match($0, /\(([0-9]+)<[^>]*>/) {
            p = substr($0, RSTART, RLENGTH); sub(/^\([0-9]+</, "", p); sub(/>$/, "", p)
            synced[p] = 1; if (!isdir(p)) fs = fs " " rel(p); else ds = ds " " rel(p)
        }
        /openat\(.*O_(WRONLY|RDWR).*O_CREAT/ && match($0, /= [0-9]+<[^>]*>$/) {
            p = substr($0, RSTART, RLENGTH); sub(/^= [0-9]+</, "", p); sub(/>$/, "", p)
            if (index(p, dir) == 1) written[p] = 1
        }
        /rename(at2?)?\(/ {
            n = split($0, q, "\""); if (n < 5) next
            to = q[4]; if (to !~ /^\//) { d = $0; sub(/^[^,]*, "[^"]*", [0-9]+</, "", d); sub(/>.*/, "", d); to = d "/" to }
            if (isdir(to)) { rn = rn " " base(q[2]) "->" base(q[4]) " (a directory)"; if (kind == "no") kind = "directory" }
            else { rn = rn " " base(q[2]) "->" base(q[4]); kind = "file" }
        }
        END {
            for (p in written) if (!(p in synced)) ns = ns " " rel(p)
            printf "%s\t", kind
            printf "fsync:%s; fsync of a directory:%s; rename:%s; written, never synced:%s",
                   fs ? fs : " none", ds ? ds : " none", rn ? rn : " none", ns ? ns : " none"
        }' <<<"$mine")
    renames=${details[$tool]%%$'\t'*}
    details[$tool]=${details[$tool]#*$'\t'}
    printf '%-13s  %-10s  %-10s  %-10s  %s\n' "$tool" "$file_sync" "$renames" "$dir_sync" "${calls:-none}"
done
say ""
for tool in "${tools[@]}"; do say "$tool: ${details[$tool]}"; done
say ""
say "strace logs: $work/logs/strace-*.txt"
rm -rf "$data/trace"
