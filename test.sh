#!/usr/bin/env bash
# The test command: builds every module and runs every test, offline after the first run's downloads.
# Test-time oracles (Debian's python3-onnx, python3-torch) are installed when possible; tests that need them
# skip themselves where they are missing.
set -euo pipefail
cd "$(dirname "$0")"
export ORT_DISABLE_TELEMETRY=1
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && { ! /usr/bin/python3 -c 'import onnx, torch, torchvision, sklearn' 2>/dev/null || ! command -v chromium >/dev/null \
    || ! command -v runc >/dev/null || ! command -v umoci >/dev/null || ! command -v skopeo >/dev/null; }; then
  echo "test.sh: installing test tools from Debian (python3-onnx, python3-torch, python3-torchvision, python3-sklearn, chromium, skopeo, umoci, runc, curl)"
  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-onnx python3-torch python3-torchvision python3-sklearn chromium \
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

# The documented commands (README.md and docs/*.md) count themselves: `ok` follows each verified step (a step that
# found its tools missing counts as skipped), and the EXIT trap prints how many passed, and that one failed when a step
# stopped the run. Every figure printed comes from the steps that ran.
passed=0; skipped=0; tmp=""; serve=""
ok() { passed=$((passed + 1)); }
finish() {
  local code=$?
  [ -n "$serve" ] && kill "$serve" 2>/dev/null
  [ -n "$tmp" ] && rm -rf "$tmp"
  echo "test.sh: documented commands: $passed passed, $skipped skipped, $([ "$code" = 0 ] && echo 0 || echo 1) failed"
}
trap finish EXIT

# The commands of README.md and docs/*.md, through the launcher, as a user types them.
echo "test.sh: documented commands through ./graft"
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
# the training reports graft train and graft demo leave in their run folders, and the demo's interpretation
grep -q 'id="confusion"' "$tmp/run/report.html" && grep -q 'id="losses"' "$tmp/demo/run/report.html" \
    && grep -q 'id="calibration"' "$tmp/demo/interp.html" || { echo "test.sh: training report"; exit 1; }; ok
# fenced FILE HEADING [N]: the Nth (default first) fenced block after the line HEADING of a Markdown file, as written.
fenced() {
  awk -v h="$2" -v n="${3:-1}" '$0 == h { on = 1; next }
      on && /^```/ { if (inb) { if (++k == n) exit; inb = 0 } else inb = 1; next }
      inb && k == n - 1' "$1"
}
# The main workflow, run as README.md shows it: its block is read from README.md (and must equal the one in
# docs/walkthrough.md), and every `./graft` in it runs this checkout's launcher inside a fresh folder.
walk=$(fenced README.md '## The main workflow: data, train, export, predict or serve')
[ "$(grep -c '^\./graft ' <<<"$walk")" = 5 ] || { echo "test.sh: README.md's main workflow is not five ./graft lines"; exit 1; }
[ "$walk" = "$(fenced docs/walkthrough.md '# Your own model, from a folder to a latency table')" ] \
    || { echo "test.sh: README.md and docs/walkthrough.md show different workflows"; exit 1; }
mkdir "$tmp/walk"
(cd "$tmp/walk" && G="$OLDPWD/graft" bash -euo pipefail -c "$(sed 's#^\./graft #"$G" #' <<<"$walk")") \
  >"$tmp/walk.log" 2>&1 || { echo "test.sh: README.md's main workflow"; tail -20 "$tmp/walk.log"; exit 1; }
grep -q '| djl cpu t2 b8 |' "$tmp/walk/mine.md" || { echo "test.sh: the walkthrough's latency table"; exit 1; }; ok
# "From fastai to a Java app, without Python": PyTorch's own files (learn.save layout, a torchvision download) written
# by Debian's torch, then docs/pytorch-checkpoints.md's commands on them (resnet18 and 3 classes standing in for
# resnet34 and 37 pets).
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
    >"$tmp/fastai.log" 2>&1 || { echo "test.sh: docs/pytorch-checkpoints.md's fastai commands"; tail -20 "$tmp/fastai.log"; exit 1; }
  grep -q 'converted models/stage-1.pth (torch-zip, 132 tensors' "$tmp/fastai.log" \
    || { echo "test.sh: graft convert"; tail -5 "$tmp/fastai.log"; exit 1; }; ok
else
  echo "test.sh: /usr/bin/python3 with torch is missing: the fastai commands are skipped"
  [ "${CI:-}" = true ] && { echo "test.sh: CI needs python3-torch"; exit 1; }
  skipped=$((skipped + 1))
fi
# graft serve with docs/serve.md's options, asked with its curl lines, then stopped with SIGTERM.
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
# The benchmark commands of docs/bench.md and docs/training-throughput.md, made short: one JMH benchmark, one iteration; training throughput, 2 epochs.
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
java -cp cli/target/graft-cli.jar -Dai.djl.offline=true dev.graft.benchmarks.weights.SeededCheckpoints "$tmp/seeded" resnet18 \
    >"$tmp/seeded.log" 2>&1 || { echo "test.sh: SeededCheckpoints"; tail -20 "$tmp/seeded.log"; exit 1; }
[ -s "$tmp/seeded/resnet18-224/checkpoint.json" ] || { echo "test.sh: SeededCheckpoints wrote no checkpoint"; exit 1; }; ok
# The latency programs of docs/verified.md, docs/mobile-bodies.md and docs/quantization.md, made short (one round,
# one small network, 64 px): they run and print their figures.
java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.EdgeOverhead "$tmp/model.onnx" 1 1 >"$tmp/edge-overhead.log" 2>&1 \
    && grep -q 'raw ONNX Runtime API p50 .* overhead' "$tmp/edge-overhead.log" \
    || { echo "test.sh: EdgeOverhead"; tail -20 "$tmp/edge-overhead.log"; exit 1; }; ok
java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.ArchLatency mobilenet_v3_small >"$tmp/arch-latency.log" 2>&1 \
    && grep -Eq '^mobilenet_v3_small +1,525,280 ' "$tmp/arch-latency.log" \
    || { echo "test.sh: ArchLatency"; tail -20 "$tmp/arch-latency.log"; exit 1; }; ok
java -cp cli/target/graft-cli.jar dev.graft.benchmarks.latency.QuantSpeed 1 64 resnet18 >"$tmp/quant-speed.log" 2>&1 \
    && grep -q 'runs 20 of 20 convolutions as integer kernels' "$tmp/quant-speed.log" \
    || { echo "test.sh: QuantSpeed"; tail -20 "$tmp/quant-speed.log"; exit 1; }; ok
# The export-proof benchmark, made short (docs/export-proof.md has the 224 px figures of every architecture).
ORT_DISABLE_TELEMETRY=1 java -cp "cli/target/graft-cli.jar:cli/target/lib/*" -Dai.djl.offline=true \
    dev.graft.benchmarks.proof.ExportProofBench 64 1 resnet18 >"$tmp/proof-bench.log" 2>&1 \
    || { echo "test.sh: ExportProofBench"; tail -20 "$tmp/proof-bench.log"; exit 1; }
grep -Eq '^resnet18 .* pass ' "$tmp/proof-bench.log" || { echo "test.sh: ExportProofBench: resnet18 not proven"; exit 1; }; ok
# graft interpret and export --calibrate on the trained shapes model (docs/interpret.md).
./graft interpret "$tmp/trained.onnx" --data "$tmp/shapes" --report "$tmp/interp.html" --json "$tmp/interp.json" \
    --no-progress >/dev/null
grep -q '"confusion_matrix"' "$tmp/interp.json" && grep -q 'class="chart reliability' "$tmp/interp.html" \
    || { echo "test.sh: graft interpret"; exit 1; }; ok
./graft export --checkpoint "$tmp/run" --calibrate "$tmp/shapes/valid" --out "$tmp/calibrated.onnx" >"$tmp/calibrate.log" 2>/dev/null \
    && grep -q '^calibration: T = ' "$tmp/calibrate.log" || { echo "test.sh: graft export --calibrate"; exit 1; }; ok
# Batch scoring on Spark (docs/spark.md), local mode: no Spark distribution can be had offline, so graft-spark-all.jar
# goes through org.apache.spark.deploy.SparkSubmit (what spark-submit runs) with Spark's Maven jars on the class path.
# (-am with package: Graft's own modules resolve from this build, never from ~/.m2, where a fresh machine has none)
./mvnw -B -ntp -q -pl spark -am package -DskipTests dependency:build-classpath -DincludeScope=compile \
    -Dmdep.outputFile="$tmp/spark-cp.txt" -DexcludeGroupIds=dev.graft,com.microsoft.onnxruntime,info.picocli >/dev/null \
    || { echo "test.sh: Spark's class path"; exit 1; }
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
# docs/java-applications.md: the example project on the page is docs/examples/edge-app (every file the page shows,
# byte for byte), the README's dependency snippet is the one in its pom, and graft-bom names every module's artifact.
# Then the page's install command (into a Maven repository of this checkout's own, target/example-m2, read-through to
# ~/.m2, so the user's installed artifacts are left alone) and, outside the reactor, the project built offline against
# it, predicting one image with the model exported above.
mkdir -p "$tmp/page"
awk -v out="$tmp/page" '/^<!-- file: [^ ]+ -->$/ { f = $3; next }
    f != "" && /^```/ { if (on) { on = 0; f = "" } else { on = 1; system("mkdir -p \"$(dirname \"" out "/" f "\")\"") }; next }
    on { print > (out "/" f) }' docs/java-applications.md
diff -r "$tmp/page/docs/examples/edge-app" docs/examples/edge-app >"$tmp/page.diff" \
    || { echo "test.sh: docs/java-applications.md differs from docs/examples/edge-app"; head -20 "$tmp/page.diff"; exit 1; }
snippet=$(fenced README.md '## Java applications' 2 | sed 's/^ *//')
[ -n "$snippet" ] && [[ "$(sed 's/^ *//' docs/examples/edge-app/pom.xml)" == *"$snippet"* ]] \
    || { echo "test.sh: README.md's dependency snippet is not the example project's"; exit 1; }
for pom in */pom.xml; do
  a=$(sed -n '/<parent>/,/<\/parent>/d; s#^  <artifactId>\(.*\)</artifactId>#\1#p' "$pom")
  [ "$pom" = bom/pom.xml ] || grep -q "<artifactId>$a</artifactId>" bom/pom.xml || { echo "test.sh: graft-bom lacks $a"; exit 1; }
done; ok
read -ra install <<<"$(fenced README.md '## Java applications')"
[ "${install[*]:0:2}" = './mvnw -B' ] && [ "${install[*]}" = "$(fenced docs/java-applications.md '## Getting the artifacts')" ] \
    || { echo "test.sh: README.md and docs/java-applications.md show different install commands"; exit 1; }
repo=(-Dmaven.repo.local="$PWD/target/example-m2" -Dmaven.repo.local.tail="$HOME/.m2/repository")
"${install[@]}" -ntp -q "${repo[@]}" >"$tmp/install.log" 2>&1 \
    || { echo "test.sh: the install command of docs/java-applications.md"; tail -20 "$tmp/install.log"; exit 1; }
cp -r docs/examples/edge-app "$tmp/edge-app"
(cd "$tmp/edge-app" && "$OLDPWD/mvnw" -B -q -o "${repo[@]}" compile exec:java -Dexec.args="$tmp/model.onnx $img") \
    >"$tmp/edge-app.out" 2>"$tmp/edge-app.err" \
    || { echo "test.sh: the example Java project"; tail -20 "$tmp/edge-app.out" "$tmp/edge-app.err"; exit 1; }
grep -qx 'ran on cpu' "$tmp/edge-app.out" && [ "$(grep -Ec '^[^ ]+ [0-9.E-]+$' "$tmp/edge-app.out")" -ge 1 ] \
    || { echo "test.sh: the example Java project printed no prediction"; cat "$tmp/edge-app.out"; exit 1; }; ok
