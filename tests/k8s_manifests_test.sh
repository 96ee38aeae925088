#!/usr/bin/env bash
# The Kubernetes manifests, checked without a cluster: every kustomization
# under deploy/k8s (the overlays and the sweep Job) rendered by
# deploy/k8s/tools/render.mjs, and every object checked by validate.mjs
# against the Kubernetes API schemas (unknown fields, wrong types, missing
# required fields). validate.mjs must also reject a rendered manifest with
# each of those broken on purpose. Where kubectl exists, `kubectl kustomize`
# must render the same objects as render.mjs. Needs Node.js and the tools'
# packages (scripts/setup.sh: npm ci in deploy/k8s/tools).
set -euo pipefail
root="$PWD"

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

command -v node >/dev/null || fail "node is missing: scripts/setup.sh installs Node.js"
# The tools' real folder, where npm ci put node_modules (runfiles are
# symlinks into the repository).
tools="$(dirname "$(readlink -f "$root/deploy/k8s/tools/render.mjs")")"
[ -d "$tools/node_modules/@kubernetes/client-node" ] ||
  fail "$tools/node_modules is missing: run scripts/setup.sh (npm ci in deploy/k8s/tools)"
k8s="$(dirname "$tools")"
work="$TEST_TMPDIR/k8s"
rm -rf "$work"
mkdir -p "$work"

passed=0
kustomizations=("$k8s"/overlays/*/ "$k8s"/jobs/*/)
for dir in "${kustomizations[@]}"; do
  name="$(basename "$(dirname "$dir")")-$(basename "$dir")"
  node "$tools/render.mjs" "$dir" >"$work/$name.yaml" 2>"$work/$name.err" ||
    fail "$name: render.mjs failed: $(cat "$work/$name.err")"
  node "$tools/validate.mjs" "$work/$name.yaml" >"$work/$name.out" 2>&1 ||
    fail "$name: the rendered manifests break the Kubernetes API schemas:
$(cat "$work/$name.out")"
  echo "$name: $(tail -1 "$work/$name.out")"
  passed=$((passed + 1))
done
[ "$passed" -ge 3 ] || fail "found only $passed kustomizations under $k8s"

# The same checks must fail on a manifest broken on purpose, naming the
# field: each case changes one thing in the dev overlay's first Deployment.
broken() {
  local case="$1" what="$2" expected="$3" edit="$4"
  node --input-type=module - "$work/overlays-dev.yaml" "$work/$case.yaml" "$edit" <<'JS'
import fs from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(`${process.env.TOOLS}/`);
const YAML = require("yaml");
const [input, output, edit] = process.argv.slice(2);
const objects = YAML.parseAllDocuments(fs.readFileSync(input, "utf8")).map((d) => d.toJS());
const deployment = objects.find((object) => object.kind === "Deployment");
new Function("deployment", "container", edit)(deployment, deployment.spec.template.spec.containers[0]);
fs.writeFileSync(output, objects.map((object) => YAML.stringify(object)).join("---\n"));
JS
  if node "$tools/validate.mjs" "$work/$case.yaml" >"$work/$case.out" 2>&1; then
    fail "validate.mjs accepted a manifest with $what"
  fi
  grep -qF "$expected" "$work/$case.out" ||
    fail "validate.mjs rejected $what but did not say \"$expected\": $(cat "$work/$case.out")"
  echo "rejected as it should: $what: $(grep -F "$expected" "$work/$case.out" |
    head -1 | sed 's/^[^ ]* //' | cut -c1-110)"
  passed=$((passed + 1))
}
export TOOLS="$tools"
broken unknown "an unknown field" "readinessProbe.grpcPort: unknown field" \
  'container.readinessProbe.grpcPort = 7101;'
broken misspelt "a misspelt field" \
  "securityContext.readOnlyRootFileSystem: unknown field" \
  'container.securityContext.readOnlyRootFileSystem = true;'
broken wrong-type "a wrong type" "/spec/replicas must be integer" \
  'deployment.spec.replicas = "two";'
broken nested-wrong-type "a wrong type deep inside" "grpc.port: expected a number" \
  'container.readinessProbe.grpc.port = "8100";'
broken no-name "a missing required field" \
  "containers/0 must have required property name" 'delete container.name;'

# Every service Deployment of every overlay is scraped and probed as
# docs/deploy.md ("Metrics and health") says: prometheus.io annotations whose
# port is the container's metrics port and --metrics-listen's, a plaintext
# health port that --health-listen serves and the readiness probe asks, and
# a liveness probe that does not ask health (NOT_SERVING must not restart a
# pod whose database is down).
for dir in "$k8s"/overlays/*/; do
  name="overlays-$(basename "$dir")"
  node --input-type=module - "$work/$name.yaml" <<'JS' ||
import fs from "node:fs";
import { createRequire } from "node:module";
const YAML = createRequire(`${process.env.TOOLS}/`)("yaml");
const objects = YAML.parseAllDocuments(fs.readFileSync(process.argv[2], "utf8"))
  .map((d) => d.toJS()).filter(Boolean);
const settings = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "seed-settings");
const portOf = (address) => Number(address.split(":").pop());
const problems = [];
let checked = 0;
for (const d of objects.filter((o) => o.kind === "Deployment")) {
  const pod = d.spec.template;
  const c = pod.spec.containers[0];
  const where = `Deployment ${d.metadata.name}`;
  const a = pod.metadata.annotations ?? {};
  const port = (n) => (c.ports ?? []).find((p) => p.name === n)?.containerPort;
  if (a["prometheus.io/scrape"] !== "true") problems.push(`${where}: no prometheus.io/scrape: "true"`);
  if (a["prometheus.io/path"] !== "/metrics") problems.push(`${where}: no prometheus.io/path: /metrics`);
  if (Number(a["prometheus.io/port"]) !== port("metrics") ||
      port("metrics") !== portOf(settings.data["metrics-listen"]))
    problems.push(`${where}: prometheus.io/port, the metrics containerPort and metrics-listen differ`);
  if (!c.args.includes("--metrics-listen=$(METRICS_LISTEN)")) problems.push(`${where}: no --metrics-listen`);
  if (!c.args.includes("--health-listen=$(HEALTH_LISTEN)")) problems.push(`${where}: no --health-listen`);
  if (c.readinessProbe?.grpc?.port !== port("health") ||
      port("health") !== portOf(settings.data["health-listen"]))
    problems.push(`${where}: readiness does not ask the health port that health-listen serves`);
  if (c.livenessProbe?.grpc) problems.push(`${where}: liveness asks health (NOT_SERVING would restart it)`);
  checked++;
}
if (checked < 6) problems.push(`only ${checked} Deployments`);
if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
console.log(`${checked} Deployments scraped and probed as documented`);
JS
    fail "$name: metrics or health wiring is wrong"
  passed=$((passed + 1))
done

if command -v kubectl >/dev/null; then
  for dir in "${kustomizations[@]}"; do
    name="$(basename "$(dirname "$dir")")-$(basename "$dir")"
    kubectl kustomize "$dir" >"$work/$name.kubectl.yaml" ||
      fail "$name: kubectl kustomize failed"
    node --input-type=module - "$work/$name.yaml" "$work/$name.kubectl.yaml" <<'JS' ||
import fs from "node:fs";
import { createRequire } from "node:module";
import { isDeepStrictEqual } from "node:util";
const YAML = createRequire(`${process.env.TOOLS}/`)("yaml");
const load = (file) => new Map(YAML.parseAllDocuments(fs.readFileSync(file, "utf8"),
  { version: "1.1" }).map((d) => d.toJS()).filter(Boolean)
  .map((o) => [`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, o]));
const [mine, theirs] = process.argv.slice(2).map(load);
const keys = new Set([...mine.keys(), ...theirs.keys()]);
const differ = [...keys].filter((key) => !isDeepStrictEqual(mine.get(key), theirs.get(key)));
if (differ.length > 0) {
  console.error(`render.mjs and kubectl kustomize differ on ${differ.join(", ")}`);
  process.exit(1);
}
JS
      fail "$name: render.mjs does not render what kubectl kustomize does"
    echo "$name: render.mjs = kubectl kustomize ($(kubectl version --client 2>/dev/null | grep -i kustomize))"
    passed=$((passed + 1))
  done
else
  echo "kubectl kustomize comparison skipped: no kubectl on this machine"
fi
echo "$passed passed, 0 failed"
