#!/usr/bin/env bash
# Runs the graft-serve container image without Docker: skopeo turns the image tar into an OCI layout, umoci unpacks it
# into a runtime bundle, runc starts it with the host's network, and curl calls GET /health and POST /predict; then
# SIGTERM must stop it cleanly. Skips (exit 0) where skopeo, umoci, runc or curl are missing or containers cannot be
# started here (no privileges for namespaces).
#
# Usage: cli/src/image/image-test.sh [IMAGE_TAR] [MODEL.onnx] [IMAGE_FILE]
#   defaults: cli/target/graft-serve-image.tar (build it: ./mvnw -B -o -pl cli -am -Pimage package -DskipTests),
#   a model exported from the shared golden weights with ./graft export, and a synthetic image from ./graft data synth.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
tar_file="${1:-$root/cli/target/graft-serve-image.tar}"
model="${2:-}"
image="${3:-}"

for tool in skopeo umoci runc curl python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "image-test: SKIPPED: $tool is not installed (Debian: apt-get install skopeo umoci runc curl)"
    exit 0
  fi
done
if [ "$(id -u)" != 0 ]; then
  echo "image-test: SKIPPED: runc needs root here (rootless bundles are not set up by this script)"
  exit 0
fi
[ -f "$tar_file" ] || { echo "image-test: no image at $tar_file; build it with ./mvnw -B -o -pl cli -am -Pimage package -DskipTests" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/graft-image-test.XXXXXX")"
id="graft-image-test-$$"
cleanup() {
  runc kill "$id" KILL >/dev/null 2>&1 || true
  runc delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$model" ]; then
  model="$work/model.onnx"
  "$root/graft" export --weights "$root/../shared/golden/resnet18_c3_64.fastai.safetensors" --arch resnet18 \
    --classes 3 --size 64 --labels <(printf 'circle\nsquare\ntriangle\n') --out "$model" >"$work/prep.log" 2>&1 \
    || { echo "image-test: graft export failed:"; cat "$work/prep.log"; exit 1; }
fi
if [ -z "$image" ]; then
  "$root/graft" data synth --out "$work/data" --classes 3 --size 64 --per-class 2 --seed 3 >"$work/prep.log" 2>&1 \
    || { echo "image-test: graft data synth failed:"; cat "$work/prep.log"; exit 1; }
  image="$(find "$work/data" -name '*.png' | sort | head -1)"
fi

echo "image-test: unpacking $(basename "$tar_file") ($(du -h "$tar_file" | cut -f1)) with skopeo and umoci"
skopeo copy --quiet "docker-archive:$tar_file" "oci:$work/oci:graft" 
umoci unpack --image "$work/oci:graft" "$work/bundle" >/dev/null
cp "$model" "$work/bundle/rootfs/models/model.onnx"
chmod 644 "$work/bundle/rootfs/models/model.onnx"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# Run in the host's network namespace (no bridge to set up), not as a terminal, with the port chosen here.
python3 - "$work/bundle/config.json" "$port" <<'PY'
import json, sys
path, port = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] += ["--port", port]
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
json.dump(c, open(path, "w"), indent=2)
PY
echo "image-test: starting the container with runc (entrypoint: graft serve /models/model.onnx --port $port)"
runc run --bundle "$work/bundle" "$id" >"$work/out.log" 2>&1 &
runner=$!

ok=""
for _ in $(seq 1 120); do
  if curl -sf "http://127.0.0.1:$port/health" >"$work/health.json" 2>/dev/null; then ok=1; break; fi
  if ! kill -0 "$runner" 2>/dev/null; then break; fi
  sleep 0.5
done
if [ -z "$ok" ]; then
  if grep -qiE "operation not permitted|permission denied|cgroup|namespace" "$work/out.log"; then
    echo "image-test: SKIPPED: containers cannot start here:"; sed 's/^/  /' "$work/out.log" | head -5
    exit 0
  fi
  echo "image-test: FAILED: the server did not answer /health; its output:"; sed 's/^/  /' "$work/out.log"
  exit 1
fi
echo "image-test: GET /health -> $(cat "$work/health.json")"
curl -sf -X POST --data-binary "@$image" "http://127.0.0.1:$port/predict?file=$(basename "$image")" >"$work/predict.json"
echo "image-test: POST /predict -> $(cat "$work/predict.json")"
python3 - "$work/predict.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["device"] == "cpu", p
assert len(p["predictions"]) == 3 and p["predictions"][0]["label"] in ("circle", "square", "triangle"), p
PY
meta="$(curl -sf "http://127.0.0.1:$port/metadata")"
echo "image-test: GET /metadata -> task $(python3 -c 'import json,sys; m=json.loads(sys.argv[1]); print(m["task"], m["labels"], m["input"]["height"])' "$meta")"

runc kill "$id" TERM
for _ in $(seq 1 60); do kill -0 "$runner" 2>/dev/null || break; sleep 0.5; done
if kill -0 "$runner" 2>/dev/null; then echo "image-test: FAILED: still running 30 s after SIGTERM"; exit 1; fi
grep -q "graft: stopped" "$work/out.log" || { echo "image-test: FAILED: no clean stop; output:"; sed 's/^/  /' "$work/out.log"; exit 1; }
echo "image-test: SIGTERM -> $(grep 'graft: stopped' "$work/out.log")"
echo "image-test: PASSED"
