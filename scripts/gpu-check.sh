#!/usr/bin/env bash
# The GPU check in one command: builds `draw` offline, prints the adapter, refuses a CPU
# fallback, runs `draw parity`, then the benches (wgpu: `mnist` at batch 100 and 1000,
# `quick`, every preset at batch 100; the CPU backend on `mnist` at 100 and 1000 for
# comparison), and writes one JSON file of the results. Meant to finish within 8 minutes,
# the build included, on a GPU machine with no network (dependencies must already be in
# ~/.cargo/registry, or `DRAW=path/to/draw` names a release binary built beforehand).
#
# usage: scripts/gpu-check.sh [--allow-cpu] [--small] [--out FILE]
#   --allow-cpu  rehearse on a CPU adapter (lavapipe) instead of refusing it
#   --small      rehearsal sizes: batch 8, one timed run of one step, 10
#                parity steps; the figures mean nothing, the plumbing is what is checked
#   --out FILE   where the JSON goes (default: gpu-check.json)
set -uo pipefail

allow_cpu=0
small=0
out=gpu-check.json
while [ $# -gt 0 ]; do
    case "$1" in
        --allow-cpu) allow_cpu=1 ;;
        --small) small=1 ;;
        --out) shift; out="${1:?--out needs a file}" ;;
        *) echo "gpu-check: unknown flag $1 (see the header of $0)" >&2; exit 2 ;;
    esac
    shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
start=$(date +%s)
log() { echo "gpu-check [$(( $(date +%s) - start )) s]: $*" >&2; }

if [ -z "${DRAW:-}" ]; then
    log "building draw (release, offline)"
    (cd "$root" && cargo build --offline --release --quiet -p draw-cli) || {
        log "the offline build failed: are the dependencies in ~/.cargo/registry (run \`cargo fetch\` where there is network), or set DRAW to a prebuilt binary"
        exit 1
    }
    DRAW="$root/target/release/draw"
fi

adapters="$("$DRAW" adapters 2>&1)"
echo "$adapters" >&2
gpu_flag=(--require-gpu)
best="$(printf '%s\n' "$adapters" | head -n 1)"
if [ "$allow_cpu" != 1 ] && ! printf '%s' "$best" | grep -q -e '(DiscreteGpu,' -e '(IntegratedGpu,'; then
    log "the best adapter is not a GPU: $best. Is the GPU's Vulkan driver visible (VK_DRIVER_FILES, the ICD json)? --allow-cpu rehearses on it anyway"
    exit 1
fi
if [ "$allow_cpu" = 1 ]; then
    gpu_flag=()
    log "--allow-cpu: a CPU adapter is accepted (rehearsal; the figures are not a GPU's)"
fi

if [ "$small" = 1 ]; then
    batches=(8); runs=(--runs 1 --steps-per-run 1); parity=(--train-steps 10)
else
    batches=(100 1000); runs=(--runs 3 --steps-per-run 2); parity=()
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0

log "parity (CPU against wgpu)"
if "$DRAW" parity "${gpu_flag[@]}" "${parity[@]}" >"$tmp/parity.txt" 2>&1; then
    parity_ok=true
else
    parity_ok=false; status=1
fi
cat "$tmp/parity.txt" >&2

bench() {
    log "bench $*"
    "$DRAW" bench "${runs[@]}" --json "$tmp/bench.jsonl" "$@" >&2 || status=1
}
for n in "${batches[@]}"; do
    bench --backend wgpu "${gpu_flag[@]}" --preset mnist --batch-size "$n"
    bench --backend cpu --preset mnist --batch-size "$n"
done
bench --backend wgpu "${gpu_flag[@]}" --preset quick --batch-size "${batches[0]}"
while read -r preset; do
    [ "$preset" = mnist ] || [ "$preset" = quick ] || \
        bench --backend wgpu "${gpu_flag[@]}" --preset "$preset" --batch-size "${batches[0]}"
done < <("$DRAW" presets | awk '{print $1}')

# $1 as the inside of a JSON string: backslashes, quotes, tabs and newlines escaped, other
# control characters (a progress bar's escape codes) dropped.
json_string() {
    printf '%s' "$1" | tr -d '\000-\010\013-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' |
        awk 'BEGIN{ORS="\\n"} {print}'
}
{
    printf '{\n  "adapters": "%s",\n' "$(json_string "$adapters")"
    printf '  "allow_cpu": %s,\n  "small": %s,\n' "$([ $allow_cpu = 1 ] && echo true || echo false)" "$([ $small = 1 ] && echo true || echo false)"
    printf '  "parity_ok": %s,\n  "parity": "%s",\n' "$parity_ok" "$(json_string "$(cat "$tmp/parity.txt")")"
    printf '  "seconds": %s,\n  "benches": [\n' "$(( $(date +%s) - start ))"
    if [ -s "$tmp/bench.jsonl" ]; then sed -e '$!s/$/,/' -e 's/^/    /' "$tmp/bench.jsonl"; fi
    printf '  ]\n}\n'
} >"$out"
log "wrote $out ($([ $status = 0 ] && echo 'all passed' || echo 'SOME STEPS FAILED'))"
exit $status
