#!/usr/bin/env bash
# Whole-process benchmark of the engine on generated ResourceLists.
#
# Builds the release binaries, generates kpt-style ResourceLists of 1,000
# and 10,000 workloads (benches/support/gen.rs, checked on generation), and
# runs each under GNU time:
#
#   read         the bench binary reading stdin and nothing else (RSS floor)
#   parse:saphyr the bench binary iterating saphyr-parser events (parse floor)
#   parse:doc    the bench binary building our Doc (Doc::parse)
#   pass-through the bench binary running cli::run with Passthrough, the
#                binary's code path whatever function main.rs runs
#                (engine --run passthrough < in > out; output == input)
#   edit-all     target/release/examples/edit-probe < in > out (the edit
#                probe of tests/support/probe.rs on every workload)
#   binary       with --binary: target/release/inject-otel-python < in > out
#                as it is (exit code 0 or 1 accepted, output unchecked)
#
# and prints wall time (median of --runs), MB/s (1 MB = 10^6 bytes), peak
# RSS (max over runs) and RSS / input size (also net of the RSS of the
# binary doing nothing, which dominates small inputs), then checks the
# targets (on the gross figures):
# pass-through >= 50 MB/s, edit of 10,000 workloads < 1 s, peak RSS <= 4x
# the input.
#
# Usage: scripts/bench.sh [--runs N] [--sizes "1000 10000"] [--phases]
#                         [--divan] [--binary] [--keep]
#   --runs N    runs per measurement (default 5)
#   --sizes S   workload counts (default "1000 10000")
#   --phases    also time the phases in-process (engine --phases)
#   --divan     also run `cargo bench --bench engine` (divan figures)
#   --binary    also measure target/release/inject-otel-python as it is
#   --keep      keep the temp dir with inputs and outputs
#
# Cargo runs with --offline (no network); set CARGO_FLAGS to change that.
set -euo pipefail

RUNS=5
SIZES="1000 10000"
PHASES=0
DIVAN=0
BINARY=0
KEEP=0
CARGO_FLAGS=${CARGO_FLAGS---offline}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
    case $1 in
        --runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
        --sizes) SIZES=${2:?--sizes needs a value}; shift 2 ;;
        --phases) PHASES=1; shift ;;
        --divan) DIVAN=1; shift ;;
        --binary) BINARY=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --runs must be a positive count" >&2; exit 2; }
for n in $SIZES; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: bad size $n" >&2; exit 2; }
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TIME=/usr/bin/time
if ! "$TIME" -v true >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "bench.sh: GNU time is missing; installing the 'time' package" >&2
        apt-get install -y time >/dev/null
    fi
    "$TIME" -v true >/dev/null 2>&1 || {
        echo "bench.sh: needs GNU time at $TIME (apt-get install time)" >&2
        exit 1
    }
fi

# --- build -------------------------------------------------------------------

# Prints "name executable" for each executable cargo reports.
executables() {
    sed -n 's/.*"target":{[^}]*"name":"\([^"]*\)".*"executable":"\([^"]*\)".*/\1 \2/p'
}

echo "building (release)..." >&2
# shellcheck disable=SC2086
built=$(
    cargo build $CARGO_FLAGS --release --bin inject-otel-python --examples \
        --message-format=json-render-diagnostics | executables
    cargo bench $CARGO_FLAGS --bench engine --no-run \
        --message-format=json-render-diagnostics | executables
)
exe() {
    local path
    path=$(awk -v n="$1" '$1 == n { print $2 }' <<<"$built" | tail -n 1)
    [[ -n $path && -x $path ]] || { echo "bench.sh: no executable for $1" >&2; exit 1; }
    echo "$path"
}
PASS_BIN=$(exe inject-otel-python)
EDIT_BIN=$(exe edit-probe)
BENCH_BIN=$(exe engine)

load1() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?"; }
LOAD_START=$(load1)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/inject-otel-bench.XXXXXX")
if [[ $KEEP -eq 1 ]]; then
    echo "bench.sh: keeping $TMP" >&2
else
    trap 'rm -rf "$TMP"' EXIT
fi

# --- measure -----------------------------------------------------------------

# measure IN OUT CMD...: runs CMD < IN > OUT $RUNS times; sets WALL (median,
# seconds) and RSS_KB (max). Exit codes up to $MAX_STATUS are accepted.
MAX_STATUS=0
measure() {
    local in=$1 out=$2
    shift 2
    local walls=() rss=0 r t0 t1 kb status
    for ((r = 0; r < RUNS; r++)); do
        t0=$(date +%s%N)
        status=0
        "$TIME" -v -o "$TMP/time.txt" "$@" <"$in" >"$out" 2>"$TMP/stderr.txt" || status=$?
        t1=$(date +%s%N)
        if ((status > MAX_STATUS)); then
            echo "bench.sh: failed ($status): $* < $in" >&2
            cat "$TMP/stderr.txt" "$TMP/time.txt" >&2
            exit 1
        fi
        walls+=($((t1 - t0)))
        kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$TMP/time.txt")
        if ((kb > rss)); then rss=$kb; fi
    done
    WALL=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.4f", a[int((NR + 1) / 2)] / 1e9 }')
    RSS_KB=$rss
}

ROWS=()
WARNINGS=()
MISSES=()

row() { # workloads bytes mode
    local n=$1 bytes=$2 mode=$3
    ROWS+=("$(awk -v b="$bytes" -v n="$n" -v m="$mode" -v w="$WALL" -v k="$RSS_KB" -v z="$BASE_KB" 'BEGIN {
        printf "%8.2f  %9d  %-12s  %8.3f  %8.1f  %9.1f  %6.2f  %6.2f",
            b / 1e6, n, m, w, b / 1e6 / w, k / 1024, k * 1024 / b, (k - z) * 1024 / b }')")
}

check_targets() { # workloads bytes mode
    local n=$1 bytes=$2 mode=$3 verdict
    verdict=$(awk -v b="$bytes" -v n="$n" -v m="$mode" -v w="$WALL" -v k="$RSS_KB" 'BEGIN {
        if (m == "pass-through" && b / 1e6 / w < 50)
            printf "%s %d workloads: %.1f MB/s < 50 MB/s\n", m, n, b / 1e6 / w
        if (m == "edit-all" && n >= 10000 && w >= 1)
            printf "%s %d workloads: %.3f s >= 1 s\n", m, n, w
        if ((m == "pass-through" || m == "edit-all") && k * 1024 / b > 4)
            printf "%s %d workloads: peak RSS %.2fx the input > 4x\n", m, n, k * 1024 / b
    }')
    if [[ -n $verdict ]]; then
        while IFS= read -r line; do MISSES+=("$line"); done <<<"$verdict"
    fi
}

# The RSS of the bench binary doing nothing, for the net column.
: >"$TMP/empty"
measure "$TMP/empty" /dev/null "$BENCH_BIN" --floor read
BASE_KB=$RSS_KB

for n in $SIZES; do
    in=$TMP/list-$n.yaml
    echo "generating $n workloads..." >&2
    "$BENCH_BIN" --generate "$n" "$in" 2>"$TMP/generate.txt" || {
        cat "$TMP/generate.txt" >&2
        exit 1
    }
    while IFS= read -r line; do
        [[ $line == *warning:* ]] && WARNINGS+=("$line")
    done <"$TMP/generate.txt"
    bytes=$(wc -c <"$in")
    editable=$(sed -n 's/.*editable=\([0-9]*\).*/\1/p' "$TMP/generate.txt")

    echo "measuring $n workloads ($((bytes / 1000)) kB, $RUNS runs each)..." >&2
    for mode in read saphyr doc; do
        measure "$in" /dev/null "$BENCH_BIN" --floor "$mode"
        case $mode in
            read) label=read ;;
            *) label=parse:$mode ;;
        esac
        row "$n" "$bytes" "$label"
    done

    measure "$in" "$TMP/out-pass-$n.yaml" "$BENCH_BIN" --run passthrough
    cmp -s "$in" "$TMP/out-pass-$n.yaml" || {
        echo "bench.sh: pass-through changed the input" >&2
        exit 1
    }
    row "$n" "$bytes" pass-through
    check_targets "$n" "$bytes" pass-through

    measure "$in" "$TMP/out-edit-$n.yaml" "$EDIT_BIN"
    edited=$(grep -c 'probe: edited the first container' "$TMP/out-edit-$n.yaml" || true)
    [[ $edited == "$editable" ]] || {
        echo "bench.sh: the edit probe edited $edited workloads, expected $editable" >&2
        exit 1
    }
    row "$n" "$bytes" edit-all
    check_targets "$n" "$bytes" edit-all

    if [[ $BINARY -eq 1 ]]; then
        MAX_STATUS=1
        measure "$in" "$TMP/out-binary-$n.yaml" "$PASS_BIN"
        MAX_STATUS=0
        row "$n" "$bytes" binary
    fi

    if [[ $PHASES -eq 1 ]]; then
        echo >&2
        echo "phases, $n workloads (in-process, best of 3):" >&2
        "$BENCH_BIN" --phases <"$in" >&2
        echo >&2
    fi
done

# --- report ------------------------------------------------------------------

echo
LOAD_END=$(load1)
echo "host: $(nproc) CPUs, $(uname -sm); runs: $RUNS (wall = median, RSS = max);" \
    "1-min load average $LOAD_START at start, $LOAD_END at end"
if awk -v a="$LOAD_START" -v b="$LOAD_END" -v c="$(nproc)" 'BEGIN { exit !(a + 0 > c / 4 || b + 0 > c / 2 + 1) }'; then
    echo "note: other work was running; wall times are pessimistic"
fi
echo "RSS/in = peak RSS / input size; net/in = the same less the RSS of the binary" \
    "doing nothing ($(awk -v k="$BASE_KB" 'BEGIN { printf "%.1f", k / 1024 }') MiB)"
printf '%8s  %9s  %-12s  %8s  %8s  %9s  %6s  %6s\n' \
    "size MB" workloads mode "wall s" "MB/s" "RSS MiB" "RSS/in" "net/in"
printf '%s\n' "${ROWS[@]}"
echo
echo "targets: pass-through >= 50 MB/s; edit-all of 10,000 workloads < 1 s; peak RSS <= 4x input"
if [[ ${#MISSES[@]} -eq 0 ]]; then
    echo "all met"
else
    printf 'MISSED: %s\n' "${MISSES[@]}"
fi
if [[ ${#WARNINGS[@]} -gt 0 ]]; then
    echo
    printf '%s\n' "${WARNINGS[@]}"
fi

if [[ $DIVAN -eq 1 ]]; then
    echo
    # shellcheck disable=SC2086
    cargo bench $CARGO_FLAGS --bench engine -- --bytes-format decimal --sort location
fi
