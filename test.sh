#!/usr/bin/env bash
# The test command: builds every module and runs every test, offline after the first run's downloads.
# Test-time oracles (Debian's python3-onnx, python3-torch) are installed when possible; tests that need them
# skip themselves where they are missing.
set -euo pipefail
cd "$(dirname "$0")"
export ORT_DISABLE_TELEMETRY=1
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && { ! /usr/bin/python3 -c 'import onnx, torch, torchvision' 2>/dev/null || ! command -v chromium >/dev/null \
    || ! command -v runc >/dev/null || ! command -v umoci >/dev/null || ! command -v skopeo >/dev/null; }; then
  echo "test.sh: installing test tools from Debian (python3-onnx, python3-torch, python3-torchvision, chromium, skopeo, umoci, runc, curl)"
  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-onnx python3-torch python3-torchvision chromium \
    skopeo umoci runc curl) \
    >/tmp/graft-test-oracles.log 2>&1 || echo "test.sh: oracles not installed (see /tmp/graft-test-oracles.log); their tests will skip"
fi
# Surefire prints its own per-module summary ("Tests run: ..."); the total over this run's reports follows it.
started=$(mktemp); trap 'rm -f "$started"' EXIT
maven=0; ./mvnw -B -ntp verify "$@" || maven=$?
find . -path '*/target/surefire-reports/TEST-*.xml' -newer "$started" -exec cat {} + 2>/dev/null \
  | grep -o '<testsuite [^>]*>' | awk '
      { for (k = 1; k <= NF; k++) if (split($k, kv, "=") == 2) { gsub(/"/, "", kv[2]); t[kv[1]] += kv[2] } }
      END { printf "test.sh: Maven tests (this run, all modules): %d run, %d failures, %d errors, %d skipped\n",
                   t["tests"], t["failures"], t["errors"], t["skipped"] }'
rm -f "$started"
[ "$maven" = 0 ] || exit "$maven"

# The README's commands count themselves: `ok` follows each verified step (a step that found its tools missing counts
# as skipped), and the EXIT trap prints how many passed, and that one failed when a step stopped the run. Every figure
# printed comes from the steps that ran.
passed=0; skipped=0; tmp=""; serve=""
ok() { passed=$((passed + 1)); }
finish() {
  local code=$?
  [ -n "$serve" ] && kill "$serve" 2>/dev/null
  [ -n "$tmp" ] && rm -rf "$tmp"
  echo "test.sh: README commands: $passed passed, $skipped skipped, $([ "$code" = 0 ] && echo 0 || echo 1) failed"
}
trap finish EXIT

# The README's commands, through the launcher, as a user types them.
echo "test.sh: README commands through ./graft"
./graft --help >/dev/null; ok
json=$(./graft summary --arch resnet50 --classes 10 --json)
for want in '"params" : 23508032' '"params" : 2111488' '"params" : 25619520'; do
  grep -qF "$want" <<<"$json" || { echo "test.sh: graft summary --json lacks $want"; exit 1; }
done; ok
./graft summary --arch resnet34 --classes 37 >/dev/null; ok
./graft summary --arch resnet18 --classes 1 --size 160x128 --n-in 4 --lin-ftrs 512,256 --ps 0.3 \
    --first-bn false --bn-final --lin-first --y-range 0,5 >/dev/null; ok
if ./graft summary --arch resnet19 --classes 3 2>/dev/null; then echo "test.sh: a bad --arch was accepted"; exit 1; fi; ok
tmp=$(mktemp -d)
./graft data synth --out "$tmp/shapes" --classes 3 --size 32 --per-class 10 --seed 1 >/dev/null; ok
./graft export --weights ../shared/golden/resnet18_c3_64.fastai.safetensors --arch resnet18 --classes 3 --size 64 \
    --out "$tmp/model.onnx" >/dev/null
[ -s "$tmp/model.onnx" ] || { echo "test.sh: graft export wrote nothing"; exit 1; }; ok
img=$(find "$tmp/shapes" -name '*.png' | sort | head -1)
./graft predict "$tmp/model.onnx" "$img" --json | grep -q '"predictions"' || { echo "test.sh: graft predict"; exit 1; }; ok
if ./graft predict "$tmp/model.onnx" "$tmp/missing.png" 2>/dev/null; then echo "test.sh: a missing image was accepted"; exit 1; fi; ok
./graft draw --arch resnet34 --classes 37 --out "$tmp/model.svg" >/dev/null
grep -q '</svg>' "$tmp/model.svg" || { echo "test.sh: graft draw wrote no SVG"; exit 1; }; ok
./graft lr-find --data "$tmp/shapes" --arch resnet18 --size 32 --batch 8 --iterations 10 --plot "$tmp/lr.svg" >/dev/null; ok
./graft train --data "$tmp/shapes" --arch resnet18 --size 32 --batch 8 --epochs 1 --out "$tmp/run" --no-progress >/dev/null; ok
./graft export --checkpoint "$tmp/run" --out "$tmp/trained.onnx" >/dev/null; ok
./graft bench "$tmp/model.onnx" --threads 1 --runs 5 --warmup 1 --out "$tmp/a.json" --label a --no-progress >/dev/null; ok
./graft bench "$tmp/model.onnx" --threads 1 --runs 5 --warmup 1 --out "$tmp/b.json" --label b --no-progress >/dev/null; ok
./graft bench merge "$tmp/a.json" "$tmp/b.json" --report "$tmp/all.html" >/dev/null
[ -s "$tmp/all.html" ] && [ -s "$tmp/all.csv" ] && [ -s "$tmp/all.md" ] || { echo "test.sh: graft bench merge wrote no report"; exit 1; }; ok
./graft demo --quick --no-progress --out "$tmp/demo" >/dev/null
grep -q '"format"' "$tmp/demo/bench.json" || { echo "test.sh: graft demo wrote no benchmark"; exit 1; }; ok
# "Your own model, from a folder to a latency table", exactly as the README has it.
mkdir "$tmp/walk"
(cd "$tmp/walk" && G="$OLDPWD/graft" \
  && "$G" data synth --out my-photos --classes 3 --size 64 --per-class 200 --seed 7 \
  && "$G" train --data my-photos --arch resnet18 --size 64 --batch 32 --fine-tune 10 --lr 6e-3 --lr-mult 1 --out runs/mine \
  && "$G" export --checkpoint runs/mine --out mine.onnx \
  && "$G" predict mine.onnx my-photos/valid/circle/*.png --top 3 \
  && "$G" bench mine.onnx --checkpoint runs/mine --engine ort,djl --threads 2 --batch 1,8 --report mine.html) \
  >"$tmp/walk.log" 2>&1 || { echo "test.sh: the README's own-model walkthrough"; tail -20 "$tmp/walk.log"; exit 1; }
grep -q '| djl cpu t2 b8 |' "$tmp/walk/mine.md" || { echo "test.sh: the walkthrough's latency table"; exit 1; }; ok
# "From fastai to a Java app, without Python": PyTorch's own files (learn.save layout, a torchvision download) written
# by Debian's torch, then the README's commands on them (resnet18 and 3 classes standing in for resnet34 and 37 pets).
if /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
  mkdir -p "$tmp/fastai/models"
  /usr/bin/python3 - ../shared/golden/resnet18_c3_64.fastai.safetensors "$tmp/fastai" <<'PY'
import json, struct, sys, torch, torchvision
with open(sys.argv[1], 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]; header = json.loads(f.read(n)); data = f.read()
types = {'F32': torch.float32, 'I64': torch.int64}
sd = {k: torch.frombuffer(bytearray(data[v['data_offsets'][0]:v['data_offsets'][1]]), dtype=types[v['dtype']])
      .reshape(v['shape']) for k, v in header.items() if k != '__metadata__'}
torch.save({'model': sd, 'opt': None}, sys.argv[2] + '/models/stage-1.pth')
torch.save(torchvision.models.resnet18().state_dict(), sys.argv[2] + '/resnet18-f37072fd.pth')
PY
  printf 'circle\nsquare\ntriangle\n' >"$tmp/fastai/labels.txt"
  (cd "$tmp/fastai" && G="$OLDPWD/graft" \
    && "$G" export --weights models/stage-1.pth --arch resnet18 --classes 3 --size 64 --labels labels.txt --out pets.onnx \
    && "$G" predict pets.onnx "$img" \
    && "$G" train --data "$tmp/shapes" --arch resnet18 --size 32 --batch 8 --pretrained resnet18-f37072fd.pth \
         --fine-tune 1 --out runs/pets --no-progress \
    && "$G" convert models/stage-1.pth stage-1.safetensors) \
    >"$tmp/fastai.log" 2>&1 || { echo "test.sh: the README's fastai commands"; tail -20 "$tmp/fastai.log"; exit 1; }
  grep -q 'converted models/stage-1.pth (torch-zip, 132 tensors' "$tmp/fastai.log" \
    || { echo "test.sh: graft convert"; tail -5 "$tmp/fastai.log"; exit 1; }; ok
else
  echo "test.sh: /usr/bin/python3 with torch is missing: the fastai commands are skipped"
  [ "${CI:-}" = true ] && { echo "test.sh: CI needs python3-torch"; exit 1; }
  skipped=$((skipped + 1))
fi
# graft serve with the README's options, asked with the README's curl lines, then stopped with SIGTERM.
port=$((20000 + RANDOM % 20000))
./graft serve "$tmp/model.onnx" --host 127.0.0.1 --port "$port" --threads 2 --queue 8 --max-body 10MB \
    >"$tmp/serve.log" 2>&1 &
serve=$!
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 1; done
curl -sf "http://127.0.0.1:$port/health" | grep -q '"ok"' || { echo "test.sh: graft serve /health"; cat "$tmp/serve.log"; exit 1; }; ok
curl -sf --data-binary @"$img" "http://127.0.0.1:$port/predict" | grep -q '"predictions"' \
    || { echo "test.sh: graft serve /predict"; exit 1; }; ok
curl -sf "http://127.0.0.1:$port/metadata" | grep -q '"labels"' || { echo "test.sh: graft serve /metadata"; exit 1; }; ok
curl -sf "http://127.0.0.1:$port/metrics" | grep -q 'graft_requests_total' || { echo "test.sh: graft serve /metrics"; exit 1; }; ok
kill -TERM "$serve"
code=0; wait "$serve" || code=$?
serve=""
[ "$code" = 143 ] || [ "$code" = 0 ] || { echo "test.sh: graft serve exited $code after SIGTERM"; exit 1; }; ok
# The README's benchmark commands, made short: one JMH benchmark, one iteration; training throughput, 2 epochs.
ORT_DISABLE_TELEMETRY=1 java -jar benchmarks/target/benchmarks-jmh.jar PreprocessBenchmark -p source=640x480 \
    -f 1 -wi 0 -i 1 -r 200ms >"$tmp/jmh.log" 2>&1 || { echo "test.sh: JMH"; tail -20 "$tmp/jmh.log"; exit 1; }
grep -q 'PreprocessBenchmark' "$tmp/jmh.log" || { echo "test.sh: JMH printed no result"; exit 1; }; ok
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=4294967296 \
  java -XX:+AlwaysPreTouch -cp cli/target/graft-cli.jar -Dai.djl.offline=true \
    dev.graft.benchmarks.training.TrainingThroughput 2 32 16 20 >"$tmp/train-bench.log" 2>&1 \
    || { echo "test.sh: TrainingThroughput"; tail -20 "$tmp/train-bench.log"; exit 1; }
grep -q 'head-only / full' "$tmp/train-bench.log" || { echo "test.sh: TrainingThroughput printed no result"; exit 1; }
grep -q 'per batch: data wait .* optimiser' "$tmp/train-bench.log" \
    || { echo "test.sh: TrainingThroughput printed no time breakdown"; exit 1; }
grep -q "outside the JVM's own .* -> " "$tmp/train-bench.log" \
    || { echo "test.sh: TrainingThroughput printed no native memory"; exit 1; }; ok
./mvnw -B -ntp -q -pl benchmarks -am test -Dtest=ClosingNoteCheckpoints -Dsurefire.failIfNoSpecifiedTests=false \
    -Dgraft.bench.models="$tmp/cnc" -Dgraft.bench.archs=resnet18 >"$tmp/cnc.log" 2>&1 \
    || { echo "test.sh: ClosingNoteCheckpoints"; tail -20 "$tmp/cnc.log"; exit 1; }
[ -s "$tmp/cnc/resnet18-224/checkpoint.json" ] || { echo "test.sh: ClosingNoteCheckpoints wrote no checkpoint"; exit 1; }; ok
# The export-proof benchmark, made short (docs/export-proof.md has the 224 px figures of every architecture).
ORT_DISABLE_TELEMETRY=1 java -cp "cli/target/graft-cli.jar:cli/target/lib/*" -Dai.djl.offline=true \
    dev.graft.benchmarks.proof.ExportProofBench 64 1 resnet18 >"$tmp/proof-bench.log" 2>&1 \
    || { echo "test.sh: ExportProofBench"; tail -20 "$tmp/proof-bench.log"; exit 1; }
grep -Eq '^resnet18 .* pass ' "$tmp/proof-bench.log" || { echo "test.sh: ExportProofBench: resnet18 not proven"; exit 1; }; ok
# Batch scoring on Spark (docs/spark.md), local mode: no Spark distribution can be had offline, so graft-spark-all.jar
# goes through org.apache.spark.deploy.SparkSubmit (what spark-submit runs) with Spark's Maven jars on the class path.
./mvnw -B -ntp -q -pl spark dependency:build-classpath -DincludeScope=compile -Dmdep.outputFile="$tmp/spark-cp.txt" \
    -DexcludeGroupIds=dev.graft,com.microsoft.onnxruntime,info.picocli >/dev/null
SPARK_LOCAL_IP=127.0.0.1 java -cp "$(cat "$tmp/spark-cp.txt")" org.apache.spark.deploy.SparkSubmit --master 'local[2]' \
    --conf spark.ui.enabled=false --class dev.graft.spark.ScoreImages spark/target/graft-spark-all.jar \
    --model "$tmp/model.onnx" --images "$tmp/shapes" --out "$tmp/scored.json" --format json >"$tmp/spark.log" 2>&1 \
    || { echo "test.sh: ScoreImages through SparkSubmit"; tail -20 "$tmp/spark.log"; exit 1; }
grep -Eq '^scored [1-9][0-9]* images, 0 with errors' "$tmp/spark.log" || { echo "test.sh: ScoreImages scored nothing"; exit 1; }; ok
if java -cp "spark/target/graft-spark-all.jar:$(cat "$tmp/spark-cp.txt")" dev.graft.spark.ScoreImages \
    --model "$tmp/model.onnx" --images "$tmp/shapes" --out "$tmp/scored.json" 2>/dev/null; then
  echo "test.sh: ScoreImages replaced an existing --out"; exit 1; fi; ok
# The container image: built with Jib (no Docker, nothing pulled), run with skopeo, umoci and runc
# (image-test.sh skips where those are missing or containers cannot start).
./mvnw -B -ntp -q -pl cli -am -Pimage package -DskipTests
cli/src/image/image-test.sh | tee "$tmp/image.log"
if grep -q '^image-test: SKIPPED' "$tmp/image.log"; then skipped=$((skipped + 1)); else ok; fi
