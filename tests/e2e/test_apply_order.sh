#!/usr/bin/env bash
# apply on the simulated cluster: the needs graph is respected, independent stages run in parallel
# up to --jobs, -j 1 runs one thing at a time, and status --format json reports every stage done.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

# A fan-out and a diamond:   base -> left, right, side;   left, right -> top.
#                            solo (no needs, no dependents)
sim_inventory inv.yaml order
mkdir -p stages/manifests
stage() {  # stage NAME NEEDS
  configmap "stages/manifests/$1.yaml" "$1"
  cat >"stages/$1.yaml" <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: $1}
spec:
  needs: $2
  tools: [kubectl]
  steps:
    - name: apply
      kubectl: {apply: [manifests/$1.yaml]}
    - name: label
      run: {argv: [kubectl, --kubeconfig, "\${vars.kubeconfig}", --context, "\${vars.context}",
                   label, configmap/$1, -n, default, "by=run-step", --overwrite]}
    - name: ready
      gate: {exists: {resource: configmap/$1, namespace: default}, interval: 200ms}
      timeout: 5s
  gates:
    - name: labelled
      jsonpath: {resource: configmap/$1, namespace: default, path: '{.metadata.labels.by}', equals: run-step}
      interval: 200ms
      timeout: 5s
YAML
}
stage base "[]"
stage left "[base]"
stage right "[base]"
stage side "[base]"
stage top "[left, right]"
stage solo "[]"

# Which stage made a call, and the needs edges, for the checks below.
cat >analyse.py <<'PY'
import json, sys
calls_file, mode = sys.argv[1], sys.argv[2]
needs = {"base": [], "left": ["base"], "right": ["base"], "side": ["base"], "top": ["left", "right"], "solo": []}
def owner(argv):
    for a in argv:
        for s in needs:
            if a.endswith("/manifests/%s.yaml" % s) or a == "configmap/" + s:
                return s
    return None
spans, applies = {}, {}
for line in open(calls_file):
    c = json.loads(line)
    s = owner(c["argv"])
    assert s, "call from no stage: %r" % c["argv"]
    assert c["exit"] == 0, c
    lo, hi = spans.get(s, (c["start"], c["end"]))
    spans[s] = (min(lo, c["start"]), max(hi, c["end"]))
    if "apply" in c["argv"]:
        applies[s] = (c["start"], c["end"])
assert set(spans) == set(needs), "stages without calls: %s" % (set(needs) - set(spans))
for s, ns in needs.items():
    for n in ns:
        assert spans[n][1] <= spans[s][0], "%s started (%.3f) before %s ended (%.3f)" % (s, spans[s][0], n, spans[n][1])
def overlap(a, b):
    return a[0] < b[1] and b[0] < a[1]
if mode == "parallel":
    for a, b in [("left", "right"), ("left", "side"), ("right", "side")]:
        assert overlap(applies[a], applies[b]), "%s %r and %s %r did not overlap" % (a, applies[a], b, applies[b])
else:
    names = sorted(spans, key=lambda s: spans[s][0])
    for a, b in zip(names, names[1:]):
        assert spans[a][1] <= spans[b][0], "%s %r and %s %r overlap with -j 1" % (a, spans[a], b, spans[b])
    # Longest remaining path first: base (base-left-top) before solo; then left and right (which
    # lead to top) before side, solo and top.
    assert names[0] == "base", names
    assert set(names[1:3]) == {"left", "right"}, names
PY

# Every apply takes 0.4s, so stages that run together overlap for sure.
faults() { set_faults <<'YAML'
- {tool: kubectl, match: " apply ", action: slow, seconds: 0.4}
YAML
}

# -j 4: the needs are respected and base's three dependents run at the same time.
new_sim sim-j4
faults
run_gw -i inv.yaml --state-dir state-j4 apply -j 4
expect_rc 0 "apply -j 4"
check "-j 4: needs respected, left/right/side overlap" python3 analyse.py "$GROUNDWORK_SIM_STATE/calls.jsonl" parallel
expect_in "$WORK/err" "ok after" "-j 4 summary says ok"
for s in base left right side top solo; do
  check "-j 4 summary: $s passed" grep -qE "^$s +passed" "$WORK/err"
done

# status --format json: every stage and step done, SPEC §6 shape.
run_gw -i inv.yaml --state-dir state-j4 status --format json
expect_rc 0 "status --format json"
check "status json: all done, SPEC shape" python3 - "$WORK/out" <<'PY'
import json, sys, re
j = json.load(open(sys.argv[1]))
assert j["inventory"] == "order", j["inventory"]
assert isinstance(j["drills"], list) and j["drills"] == [], j["drills"]
names = [s["name"] for s in j["stages"]]
assert sorted(names) == sorted(["base", "left", "right", "side", "top", "solo"]), names
assert names.index("base") < names.index("left") < names.index("top"), names
for s in j["stages"]:
    assert s["status"] == "done", s
    assert [st["name"] for st in s["steps"]] == ["apply", "label", "ready"], s["steps"]
    for st in s["steps"]:
        assert st["status"] == "done", (s["name"], st)
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", st["finishedAt"]), st
        assert isinstance(st["durationMs"], int) and st["durationMs"] >= 0, st
    apply = s["steps"][0]
    assert apply["durationMs"] >= 350, ("the slowed apply took %dms" % apply["durationMs"])
PY
run_gw -i inv.yaml --state-dir state-j4 status
expect_rc 0 "status text"
check "status text lists top done" grep -qE "^top +done" "$WORK/out"

# The objects are in the simulated cluster.
check "objects applied and labelled" python3 - "$GROUNDWORK_SIM_STATE/state.json" <<'PY'
import json, sys
st = json.dumps(json.load(open(sys.argv[1])))
for s in ["base", "left", "right", "side", "top", "solo"]:
    assert '"name": "%s"' % s in st, s
PY

# -j 1: the same graph, one call at a time, stages strictly one after another.
new_sim sim-j1
faults
run_gw -i inv.yaml --state-dir state-j1 apply -j 1
expect_rc 0 "apply -j 1"
check "-j 1: needs respected, nothing overlaps, longest path first" python3 analyse.py "$GROUNDWORK_SIM_STATE/calls.jsonl" serial

# A target applies itself and what it needs, nothing else.
new_sim sim-target
run_gw -i inv.yaml --state-dir state-target apply top
expect_rc 0 "apply top"
check "apply top: only top and its needs ran" python3 - "$GROUNDWORK_SIM_STATE/calls.jsonl" <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1]):
    for a in json.loads(line)["argv"]:
        for s in ["base", "left", "right", "side", "top", "solo"]:
            if a == "configmap/" + s or a.endswith("/manifests/%s.yaml" % s):
                seen.add(s)
assert seen == {"base", "left", "right", "top"}, seen
PY

# -j 0 is a usage error; nothing runs.
new_sim sim-bad
run_gw -i inv.yaml --state-dir state-bad apply -j 0
expect_rc 2 "apply -j 0"
check "-j 0 ran nothing" test "$(sim_calls)" -eq 0

finish
