#!/usr/bin/env bash
# The shipped platform runs in the order docs/platform.md documents: every edge of its dependency
# graph (the mermaid block) holds in the plan, the plan has no undocumented edge, the deliberate
# non-edges stay absent, and the waves are the documented ones; per inventory, the stages whose
# `when` is false are skipped; and all three shipped inventories validate.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# validate and plan need no environment: secrets are read only by apply.
NOENV=(env -u ADGUARD_PASSWORD_HASH -u RANCHER_BOOTSTRAP_PASSWORD -u CLOUDFLARE_API_TOKEN)
for name in homelab k3s sim; do
  "${NOENV[@]}" "$GW" --no-color -i "inventories/$name.yaml" validate >"$WORK/out" 2>"$WORK/err"
  RC=$?
  expect_rc 0 "validate inventories/$name.yaml"
  expect_in "$WORK/out" "valid" "validate inventories/$name.yaml says valid"
  "${NOENV[@]}" "$GW" --no-color -i "inventories/$name.yaml" plan --format json >"$WORK/plan-$name.json" 2>"$WORK/err"
  RC=$?
  expect_rc 0 "plan inventories/$name.yaml"
done

# The documented graph: the mermaid block's edges (node ids mapped to their labels), the "edge | why"
# table, the deliberate non-edges and the waves table.
check "docs/platform.md documents a consistent graph" python3 - "$ROOT/docs/platform.md" "$WORK/docs.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
sec = text.split("## Dependency graph", 1)[1].split("\n## ", 1)[0]
mermaid = re.search(r"```mermaid\n(.*?)```", sec, re.S)
assert mermaid, "no mermaid block under '## Dependency graph'"
labels, edges = {}, []
for line in mermaid[1].splitlines():
    line = line.strip()
    if m := re.fullmatch(r"(\w+)\[([^\]]+)\]", line):
        labels[m[1]] = m[2]
    elif m := re.fullmatch(r"(\w+)\s*-->\s*(\w+)", line):
        edges.append((m[1], m[2]))
    elif line and not line.startswith(("graph ", "%%")):
        raise AssertionError(f"unparsed mermaid line: {line!r}")
edges = [(labels.get(a, a), labels.get(b, b)) for a, b in edges]
assert len(edges) >= 10, edges

# | edge | why |: "a → b, c" rows list the same edges.
table = set()
for m in re.finditer(r"^\| ([\w-]+) → ([\w\-, ]+?) \|", sec, re.M):
    for b in m[2].split(","):
        table.add((m[1], b.strip()))
assert table == set(edges), f"edge table and mermaid graph differ: table-only {table - set(edges)}, graph-only {set(edges) - table}"

# "- X does not need Y" / "- X, Y and Z do not need each other".
non_edges = set()
for m in re.finditer(r"^- (.+?) (?:does|do) not need (.+?)[:.]", sec, re.M):
    who = [w.strip() for w in re.split(r",| and ", m[1]) if w.strip()]
    if m[2] == "each other":
        non_edges |= {(a, b) for a in who for b in who if a != b}
    else:
        non_edges |= {(w, m[2].strip()) for w in who}
assert len(non_edges) >= 5, non_edges

waves = []
for m in re.finditer(r"^\| (\d+) \| ([\w\-, ]+) \|", sec, re.M):
    assert int(m[1]) == len(waves), m[0]
    waves.append(sorted(s.strip() for s in m[2].split(",")))
assert waves, "no waves table"
json.dump({"stages": sorted(set(labels.values())), "edges": edges, "non_edges": sorted(non_edges),
           "waves": waves}, open(sys.argv[2], "w"))
print(f"docs: {len(edges)} edges, {len(non_edges)} non-edges, {len(waves)} waves")
PY

# The plan against the docs, for every inventory (the graph does not depend on the inventory; which
# stages are skipped does).
for name in homelab k3s sim; do
  check "plan for $name follows docs/platform.md" python3 - "$WORK/plan-$name.json" "$WORK/docs.json" "inventories/$name.yaml" <<'PY'
import json, sys, yaml
plan, docs = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
inv = yaml.load(open(sys.argv[3]), Loader=yaml.BaseLoader)
name = inv["metadata"]["name"]
stages = {s["name"]: s for s in plan["stages"]}
pos = {s["name"]: i for i, s in enumerate(plan["stages"])}
errors = []
assert sorted(stages) == docs["stages"], (sorted(stages), docs["stages"])

def closure(n, seen=None):
    seen = set() if seen is None else seen
    for d in stages[n]["needs"]:
        if d not in seen:
            seen.add(d)
            closure(d, seen)
    return seen

for a, b in docs["edges"]:
    print(f"  {name}: {a} -> {b}: waves {stages[a]['wave']} < {stages[b]['wave']}, "
          f"positions {pos[a]} < {pos[b]}, {a} in needs* of {b}")
    if not stages[a]["wave"] < stages[b]["wave"]:
        errors.append(f"{a} -> {b}: wave {stages[a]['wave']} is not before {stages[b]['wave']}")
    if not pos[a] < pos[b]:
        errors.append(f"{a} -> {b}: {a} is listed after {b}")
    if a not in closure(b):
        errors.append(f"{a} -> {b}: {b} does not need {a} (needs* = {sorted(closure(b))})")

plan_edges = {(d, s) for s in stages for d in stages[s]["needs"]}
for a, b in sorted(plan_edges - {tuple(e) for e in docs["edges"]}):
    errors.append(f"{b} needs {a}, which docs/platform.md does not document")
for a, b in docs["non_edges"]:
    if b in closure(a):
        errors.append(f"docs say {a} does not need {b}, but needs* of {a} = {sorted(closure(a))}")

# The waves: the documented ones, and the wave of each stage agrees with `waves`.
got = [sorted(w) for w in plan["waves"]]
if got != docs["waves"]:
    errors.append(f"waves {got}, documented {docs['waves']}")
for i, w in enumerate(plan["waves"]):
    for s in w:
        if stages[s]["wave"] != i:
            errors.append(f"{s}: wave {stages[s]['wave']} but listed in waves[{i}]")

# Skipped exactly where the inventory's vars make `when` false.
v = inv["spec"]["vars"]
want_skipped = set()
if v["platform"] != "talos":
    want_skipped.add("talos")
want_skipped |= {g for g in ("argocd", "flux") if v["gitops"] != g}
if v["platform"] != "k3s":
    want_skipped.add("etcd-snapshot")
if str(v.get("velero_enabled")).lower() != "true":
    want_skipped.add("velero")
skipped = {s for s in stages if stages[s]["status"] == "skipped"}
if skipped != want_skipped:
    errors.append(f"skipped stages {sorted(skipped)}, expected {sorted(want_skipped)}")
for s in stages:
    if s not in want_skipped and stages[s]["status"] != "pending":
        errors.append(f"{s}: status {stages[s]['status']}, expected pending (no state)")

for e in errors:
    print(f"  {name}: {e}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
done

# The homelab waves, spelled out (not only "as documented"), and what each inventory skips.
check "homelab waves" python3 - "$WORK/plan-homelab.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
want = [["talos"], ["cert-manager", "metallb", "storage-class"], ["adguard", "traefik", "velero"],
        ["argocd", "flux", "rancher"], ["etcd-snapshot"]]
got = [sorted(w) for w in p["waves"]]
assert got == want, got
st = {s["name"]: s["status"] for s in p["stages"]}
assert st["flux"] == "skipped" and st["argocd"] == "pending" and st["talos"] == "pending", st
PY
check "k3s skips talos (and argocd: gitops flux)" python3 -c "
import json; st = {s['name']: s['status'] for s in json.load(open('$WORK/plan-k3s.json'))['stages']}
assert st['talos'] == 'skipped' and st['argocd'] == 'skipped' and st['flux'] == 'pending', st"
check "sim runs talos, skips flux" python3 -c "
import json; st = {s['name']: s['status'] for s in json.load(open('$WORK/plan-sim.json'))['stages']}
assert st['talos'] == 'pending' and st['flux'] == 'skipped', st"

# A skipped stage still counts as satisfied: on k3s, the stages needing talos are planned to run.
check "k3s: talos skipped, its dependents pending" python3 -c "
import json; p = json.load(open('$WORK/plan-k3s.json'))
st = {s['name']: s for s in p['stages']}
for n in ('storage-class', 'metallb', 'cert-manager'):
    assert 'talos' in st[n]['needs'] and st[n]['status'] == 'pending', st[n]"

finish
