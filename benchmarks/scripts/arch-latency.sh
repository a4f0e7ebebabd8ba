#!/usr/bin/env bash
# The architecture table of docs/architectures.md, measured through the graft command as a user runs it:
#   1. a checkpoint per architecture at 224 px, fastai's default head with 10 classes, trained-like BatchNorm
#      statistics (ArchCheckpoints: TrainedLikeWeights, calibrated at 224 px);
#   2. graft export at 224 px: the export proof runs there (its figures go to logs/<arch>.export.log);
#   3. graft export --quantize int8, calibrated on synthetic 224 px images (logs/<arch>-int8.export.log says which
#      convolutions ONNX Runtime runs as integer kernels);
#   4. ONE graft bench over every fp32 and int8 model: batch 1, ONNX Runtime, --baseline arch=resnet50, so every
#      timing and every ratio to resnet50 comes from the same run (JSON + offline HTML report);
#   5. the Markdown table (ArchLatencyTable): P50s, ratios to resnet50 in the same precision, int8's speed-up, the
#      proof's logit difference / tolerance and the integer-kernel counts.
# Steps 1 to 3 are not timing-sensitive and skip what is already there (run --prepare-only at any time); step 4 is:
# run it (--bench-only) on a quiet machine. The architectures default to every --arch the code knows
# (ArchCheckpoints --list), so new ones join the table without editing this script.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: benchmarks/scripts/arch-latency.sh [--dir DIR] [--archs a,b,...] [--threads N] [--warmup N]
           [--min-seconds S] [--calibration-count N] [--bn-images N] [--no-spin] [--prepare-only | --bench-only]
  --dir DIR              where checkpoints, models, logs and results go (default: runs/arch-latency)
  --archs LIST           architectures (default: every --arch graft accepts); resnet50 is added for the ratios
  --threads N            ONNX Runtime intra-op threads for the benchmark (default: 2)
  --warmup N             warm-up inferences per model (default: 5)
  --min-seconds S        measured seconds per model (default: 5)
  --calibration-count N  images int8 is calibrated on (default: 32)
  --bn-images N          images per pass of the trained-like BatchNorm calibration, at 224 px (default: 8)
  --no-spin              ONNX Runtime threads sleep between work instead of spinning (shared machines)
  --prepare-only         steps 1-3 only: checkpoints and exports, no timing
  --bench-only           steps 4-5 only: time the models already exported
EOF
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/runs/arch-latency"
archs=""
threads=2
warmup=5
min_seconds=5
calibration_count=32
bn_images=8
spin=""
prepare=1
bench=1
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="${2:?--dir needs a folder}"; shift 2 ;;
    --archs) archs="${2:?--archs needs a list}"; shift 2 ;;
    --threads) threads="${2:?--threads needs a number}"; shift 2 ;;
    --warmup) warmup="${2:?--warmup needs a number}"; shift 2 ;;
    --min-seconds) min_seconds="${2:?--min-seconds needs a number}"; shift 2 ;;
    --calibration-count) calibration_count="${2:?--calibration-count needs a number}"; shift 2 ;;
    --bn-images) bn_images="${2:?--bn-images needs a number}"; shift 2 ;;
    --no-spin) spin="--no-spin"; shift ;;
    --prepare-only) bench=0; shift ;;
    --bench-only) prepare=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "arch-latency: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if [ "$prepare" = 0 ] && [ "$bench" = 0 ]; then
  echo "arch-latency: --prepare-only and --bench-only contradict each other" >&2
  exit 2
fi
for n in "$threads" "$warmup" "$calibration_count" "$bn_images"; do
  case "$n" in ''|*[!0-9]*) echo "arch-latency: '$n' is not a whole number" >&2; exit 2 ;; esac
done

graft="$root/graft"
"$graft" --version >/dev/null # builds the command line when it is missing or older than the sources
export ORT_DISABLE_TELEMETRY=1
helper() {
  java -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$root/cli/target/graft-cli.jar" \
    "dev.graft.benchmarks.latency.$@"
}

known="$(helper ArchCheckpoints --list | paste -sd, -)"
if [ -z "$archs" ]; then
  archs="$known"
fi
IFS=, read -r -a list <<<"$archs"
for a in "${list[@]}"; do
  case ",$known," in *,"$a",*) ;; *) echo "arch-latency: unknown architecture '$a' (known: $known)" >&2; exit 2 ;; esac
done
case ",$archs," in *,resnet50,*) ;; *) archs="resnet50,$archs"; echo "arch-latency: resnet50 added (the ratios' reference)" ;; esac
IFS=, read -r -a list <<<"$archs"
mkdir -p "$dir/checkpoints" "$dir/models" "$dir/logs"
echo "arch-latency: ${#list[@]} architectures into $dir: $archs"

if [ "$prepare" = 1 ]; then
  start=$SECONDS
  if [ ! -d "$dir/calibration/train" ]; then
    rm -rf "$dir/calibration.partial"
    "$graft" data synth --out "$dir/calibration.partial" --classes 4 --size 224 --per-class 16 --seed 3 >/dev/null
    rm -rf "$dir/calibration" # a folder without train/ is what an interrupted earlier version left
    mv "$dir/calibration.partial" "$dir/calibration"
  fi
  for a in "${list[@]}"; do
    ck="$dir/checkpoints/$a"
    # one architecture at a time, checkpoint then exports: an interrupted run leaves whole rows and resumes
    if [ ! -f "$ck/checkpoint.json" ]; then
      if ! helper ArchCheckpoints "$dir/checkpoints" "$a" "$bn_images" >"$dir/logs/$a.checkpoint.log" \
          2>"$dir/logs/$a.checkpoint.err"; then
        echo "arch-latency: $a: no checkpoint ($(grep -h '^ArchCheckpoints' "$dir/logs/$a.checkpoint.err" | head -1)); not exported"
        continue
      fi
      echo "arch-latency: $(cat "$dir/logs/$a.checkpoint.log")"
    fi
    for p in fp32 int8; do
      name="$a"; extra=(); figure='^parity:'
      if [ "$p" = int8 ]; then
        figure='^integer kernels:'
        name="$a-int8"
        extra=(--quantize int8 --calibration "$dir/calibration/train" --calibration-count "$calibration_count"
          --report-threads "$threads")
      fi
      [ -f "$dir/models/$name.onnx" ] && continue # graft export writes atomically: a file there is a finished one
      t=$SECONDS
      if "$graft" export --checkpoint "$ck" --out "$dir/models/$name.onnx" "${extra[@]}" \
          >"$dir/logs/$name.export.log" 2>"$dir/logs/$name.export.err"; then
        echo "arch-latency: exported $name in $((SECONDS - t)) s: $(grep -h -m1 "$figure" "$dir/logs/$name.export.log" \
          | cut -c1-150)"
      else
        echo "arch-latency: $name: export failed in $((SECONDS - t)) s: $(grep -v '^\s*$' "$dir/logs/$name.export.err" \
          | tr '\r' '\n' | grep -v '│' | tail -1 | cut -c1-300)"
        cat "$dir/logs/$name.export.err" >>"$dir/logs/$name.export.log"
      fi
    done
  done
  echo "arch-latency: checkpoints and exports took $((SECONDS - start)) s"
fi

if [ "$bench" = 1 ]; then
  models=()
  for a in "${list[@]}"; do
    for name in "$a" "$a-int8"; do
      if [ -f "$dir/models/$name.onnx" ]; then
        models+=("$dir/models/$name.onnx")
      else
        echo "arch-latency: no $dir/models/$name.onnx; left out of the benchmark"
      fi
    done
  done
  if [ ${#models[@]} -eq 0 ]; then
    echo "arch-latency: nothing to benchmark; run without --bench-only first" >&2
    exit 1
  fi
  echo "arch-latency: one graft bench over ${#models[@]} models, batch 1, $threads threads, $warmup warm-up, ${min_seconds} s each (load now: $(cut -d' ' -f1-3 /proc/loadavg))"
  start=$SECONDS
  "$graft" bench "${models[@]}" --engine ort --threads "$threads" --batch 1 --warmup "$warmup" \
    --min-seconds "$min_seconds" --baseline arch=resnet50 --label arch-latency $spin --no-progress \
    --out "$dir/arch-latency.json" --report "$dir/arch-latency.html" >"$dir/logs/bench.log"
  echo "arch-latency: graft bench took $((SECONDS - start)) s; $dir/arch-latency.json, $dir/arch-latency.html"
  helper ArchLatencyTable "$dir/arch-latency.json" "$dir/logs" "$dir/arch-latency-table.md"
fi
