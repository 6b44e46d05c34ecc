#!/usr/bin/env bash
# Every kubectl command line the shipped platform would run, for each shipped inventory, is one the
# REAL kubectl accepts: the `kubectl` steps' argv and `run` steps starting with kubectl (from
# `plan --format json`), the kube gates' queries (rebuilt from their descriptions the way
# orchestrator/plan/commands.cc build_gate_query builds them) and `command` gates running kubectl.
# Each is run against a temporary kubeconfig whose only cluster is https://127.0.0.1:1 (a closed
# port): it must fail to CONNECT, not on usage (unknown flag, bad jsonpath, unparsable manifest…).
# Nothing leaves loopback: proxies point at 127.0.0.1:1, and `-k <URL>` (remote kustomize) is not
# run with its URL.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# The real kubectl, never the simulated one in tests/sim/bin.
KUBECTL="${GW_E2E_KUBECTL:-}"
if [ -z "$KUBECTL" ]; then
  for k in /usr/bin/kubectl /usr/local/bin/kubectl $(type -ap kubectl); do
    case "$(realpath "$k" 2>/dev/null)" in "" | "$ROOT"/tests/sim/*) continue ;; esac
    [ -x "$k" ] && { KUBECTL="$k"; break; }
  done
fi
if [ -z "$KUBECTL" ]; then
  echo "SKIP: no real kubectl found (set GW_E2E_KUBECTL)"
  [ -z "${GW_E2E_REQUIRE_KUBECTL:-}" ] && exit 0
  fail "GW_E2E_REQUIRE_KUBECTL is set but there is no kubectl"; finish; exit
fi
echo "kubectl: $KUBECTL ($("$KUBECTL" version --client 2>/dev/null | head -1))"

# kubectl's environment: no real kubeconfig or home, every proxy on a closed loopback port.
mkdir -p "$WORK/home"
KENV=(env -i "PATH=$PATH" "HOME=$WORK/home" "KUBECONFIG=$WORK/kubeconfig-none"
      "HTTPS_PROXY=http://127.0.0.1:1" "HTTP_PROXY=http://127.0.0.1:1" "NO_PROXY=127.0.0.1"
      "https_proxy=http://127.0.0.1:1" "http_proxy=http://127.0.0.1:1" "no_proxy=127.0.0.1")

# KUBECONFIG for kubectl: empty, so a command without --kubeconfig reaches no cluster at all.
printf 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n' >"$WORK/kubeconfig-none"

# extract.py PLAN INVENTORY OUTDIR: writes OUTDIR/NNN/{argv (NUL-separated), label} for every
# kubectl command line to check, OUTDIR/NNN/skip (reason) for those not to run; prints structural
# problems on stderr and exits 1 when there are any.
cat >"$WORK/extract.py" <<'PY'
import json, os, re, shlex, sys, yaml

plan_file, inv_file, out, root, work_kubeconfig = sys.argv[1:6]
plan = json.load(open(plan_file))
inv = yaml.load(open(inv_file), Loader=yaml.BaseLoader)  # every scalar a string, as groundwork reads them
spec = inv["spec"]
inv_name = inv["metadata"]["name"]
inv_dir = os.path.dirname(os.path.abspath(inv_file))
context = spec["kubernetes"]["context"]
kubeconfig = os.path.normpath(os.path.join(inv_dir, spec["kubernetes"]["kubeconfig"]))
problems = []

def flatten(m, prefix=""):
    for k, v in (m or {}).items():
        if isinstance(v, dict):
            yield from flatten(v, prefix + k + ".")
        else:
            yield prefix + k, v

vars_ = dict(flatten(spec.get("vars")))
# A var the inventory leaves out takes the default of a stage declaring it (spec.vars).
for d in spec.get("stages", []):
    d = os.path.normpath(os.path.join(inv_dir, d))
    for f in sorted(os.listdir(d)):
        if f.endswith((".yaml", ".yml")):
            doc = yaml.load(open(os.path.join(d, f)), Loader=yaml.BaseLoader)
            for k, decl in (((doc or {}).get("spec") or {}).get("vars") or {}).items():
                if k not in vars_ and "default" in decl:
                    vars_[k] = decl["default"]
rendered_dir = os.path.join(out, "rendered")
os.makedirs(rendered_dir, exist_ok=True)

def render(path):
    """A minimal renderer for .tmpl files (docs/format.md, Templates): vars, secrets (as
    placeholders), env, inventory.name, and $${ for a literal ${."""
    text = open(path).read()
    res, i = [], 0
    while i < len(text):
        if text.startswith("$${", i):
            res.append("${"); i += 3; continue
        if text.startswith("${", i):
            j = text.find("}", i)
            if j < 0:
                raise ValueError(f"{path}: unterminated '${{'")
            ref = text[i + 2:j]
            if ref.startswith("vars.") and ref[5:] in vars_:
                res.append(vars_[ref[5:]])
            elif ref.startswith("secrets.") and ref[8:] in (spec.get("secrets") or {}):
                res.append("e2e-secret-" + ref[8:])
            elif ref.startswith("env.") and ref[4:] in os.environ:
                res.append(os.environ[ref[4:]])
            elif ref == "inventory.name":
                res.append(inv_name)
            else:
                raise ValueError(f"{path}: cannot render '${{{ref}}}'")
            i = j + 1; continue
        res.append(text[i]); i += 1
    dst = os.path.join(rendered_dir, os.path.basename(path))
    open(dst, "w").write("".join(res))
    return dst

def gate_query(desc):
    """The kubectl query of a kube gate, from describe_gate's text (plan/commands.cc); None for
    gates that are not kubectl queries, False for a description this does not understand."""
    base = ["kubectl", "--kubeconfig", kubeconfig, "--context", context, "get"]
    ns = lambda n: ["--namespace", n] if n else []
    if m := re.fullmatch(r"rollout ([^/\s]+)/(\S+?)(?: -n (\S+))?", desc):
        return base + [m[1], m[2]] + ns(m[3]) + ["-o", "json"]
    if m := re.fullmatch(r"condition (\S+?)(?: -n (\S+))? (\S+)=True", desc):
        return base + [m[1]] + ns(m[2]) + ["-o", "json"]
    if m := re.fullmatch(r"exists (\S+?)(?: -n (\S+))?", desc):
        return base + [m[1]] + ns(m[2]) + ["-o", "name"]
    if m := re.fullmatch(r"jsonpath (\S+?)(?: -n (\S+))? (.+?) (== '(.*)'|=~ /.*/|non-empty)", desc, re.S):
        jsonpaths.append({"resource": m[1], "namespace": m[2], "path": m[3],
                          "equals": m[5] if m[4].startswith("==") else None})
        return base + [m[1]] + ns(m[2]) + ["-o", "jsonpath=" + m[3]]
    if m := re.fullmatch(r"command (.*) \(exit \d+(?:, output ~ /.*/)?\)", desc, re.S):
        argv = shlex.split(m[1])
        return argv if argv and os.path.basename(argv[0]) == "kubectl" else None
    if re.match(r"(http|dns|tcp|ssh) ", desc):
        return None
    return False

cmds = []       # (label, argv)
jsonpaths = []  # the jsonpath gates, for the offline checks below
labelled = []   # (label, jsonpath gate)

def add_gate(label, desc):
    if desc.startswith("(not rendered"):
        return  # a gate of a stage that is off from vars alone: another inventory checks it
    before = len(jsonpaths)
    q = gate_query(desc)
    if q is False:
        problems.append(f"{label}: unrecognised gate description {desc!r}")
    elif q:
        cmds.append((label, q))
    labelled.extend((label, j) for j in jsonpaths[before:])

for s in plan["stages"]:
    for st in s["steps"]:
        label = f"{s['name']}/{st['name']} ({st['kind']} step, {st['status']})"
        if st.get("description", "").startswith("(not rendered"):
            continue  # off from vars alone, so not rendered: another inventory runs it
        if st["kind"] == "kubectl" or (st["kind"] == "run" and os.path.basename(st["argv"][0]) == "kubectl"):
            cmds.append((label, list(st["argv"])))
        elif st["kind"] == "gate":
            add_gate(label, st.get("description", ""))
    for g in s.get("gates", []):
        add_gate(f"{s['name']} gate {g['name']} ({s['status']})", g.get("description", ""))

# Every gate of the stage files appears in the plan (so none escapes this test); skipIf gates do
# not appear in plan JSON at all: a kube or kubectl skipIf would need this test extended.
kube_kinds = {"rollout", "condition", "exists", "jsonpath"}
stage_dirs = [os.path.normpath(os.path.join(inv_dir, d)) for d in spec.get("stages", [])]
plan_stages = {s["name"]: s for s in plan["stages"]}
for d in stage_dirs:
    for f in sorted(os.listdir(d)):
        if not f.endswith((".yaml", ".yml")):
            continue
        doc = yaml.safe_load(open(os.path.join(d, f)))
        if not isinstance(doc, dict) or doc.get("kind") != "Stage":
            continue
        name = doc["metadata"]["name"]
        sp = doc.get("spec") or {}
        want = len(sp.get("gates") or []) + sum(1 for st in sp.get("steps") or [] if "gate" in st)
        ps = plan_stages.get(name)
        got = 0 if ps is None else len(ps.get("gates", [])) + sum(1 for st in ps["steps"] if st["kind"] == "gate")
        if ps is None:
            problems.append(f"{f}: stage {name} missing from the plan")
        elif got != want:
            problems.append(f"{f}: {want} gates in the file, {got} in the plan")
        for st in sp.get("steps") or []:
            sk = st.get("skipIf") or {}
            argv0 = ((sk.get("command") or {}).get("argv") or [""])[0]
            if kube_kinds & set(sk) or os.path.basename(str(argv0)) == "kubectl":
                problems.append(f"{f}: step {st.get('name')} has a kubectl skipIf, which plan JSON does not show: extend this test")

n = 0
seen = set()
for label, argv in cmds:
    key = tuple(argv)
    if key in seen:
        continue
    seen.add(key)
    n += 1
    d = os.path.join(out, f"{n:03d}")
    os.makedirs(d)
    open(os.path.join(d, "label"), "w").write(label)
    open(os.path.join(d, "orig"), "w").write(shlex.join(argv))
    # Where the command would go: --kubeconfig (the same file as spec.kubernetes.kubeconfig, seen
    # from the repository root, where groundwork runs) and --context (the inventory's).
    def flag(name):
        vals = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == name]
        vals += [a.split("=", 1)[1] for a in argv if a.startswith(name + "=")]
        return vals
    kc, cx = flag("--kubeconfig"), flag("--context")
    if len(kc) != 1:
        problems.append(f"{label}: expected one --kubeconfig, got {kc}: {shlex.join(argv)}")
    elif os.path.normpath(os.path.join(root, kc[0])) != kubeconfig:
        problems.append(f"{label}: --kubeconfig {kc[0]} is not the inventory's kubeconfig {kubeconfig}")
    if cx != [context]:
        problems.append(f"{label}: --context {cx} is not the inventory's context [{context!r}]")
    # -k with a remote URL would make kustomize fetch from the internet: not run as is; its flags are
    # checked with a local kustomization instead.
    remote = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-k", "--kustomize") and re.match(r"https?://|git@|ssh://", argv[i + 1])]
    if remote:
        open(os.path.join(d, "skip"), "w").write(f"-k {remote[0]} would fetch from the network")
    new, i = [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--kubeconfig" and i + 1 < len(argv):
            new += [a, work_kubeconfig]; i += 2; continue
        if a.startswith("--kubeconfig="):
            new.append("--kubeconfig=" + work_kubeconfig); i += 1; continue
        if a in ("-f", "--filename") and i + 1 < len(argv):
            path = argv[i + 1]
            if not os.path.isabs(path):
                path = os.path.join(root, path)
            if not os.path.exists(path):
                problems.append(f"{label}: -f {argv[i + 1]}: no such file")
            elif ".tmpl" in os.path.basename(path):
                try:
                    path = render(path)
                except ValueError as e:
                    problems.append(f"{label}: {e}")
            new += [a, path]; i += 2; continue
        if a in ("-k", "--kustomize") and remote:
            kdir = os.path.join(out, "kustomization")
            os.makedirs(kdir, exist_ok=True)
            open(os.path.join(kdir, "kustomization.yaml"), "w").write(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [cm.yaml]\n")
            open(os.path.join(kdir, "cm.yaml"), "w").write(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e2e-stand-in, namespace: default}\n")
            new += [a, kdir]; i += 2; continue
        new.append(a); i += 1
    new[0] = "kubectl"
    if "--" in new:
        k = new.index("--"); new[k:k] = ["--request-timeout=2s"]
    else:
        new.append("--request-timeout=2s")
    open(os.path.join(d, "argv"), "wb").write(b"\0".join(x.encode() for x in new) + b"\0")

# The jsonpath gates, offline: kubectl's own parser must accept each template (kubectl get only
# parses it after reaching the server, so the closed port proves nothing about it). A gate that
# compares a .metadata field with a value is evaluated on every object of the same kind and name in
# the manifests this inventory applies: they must give the value the gate waits for.
applied = []
for s in plan["stages"]:
    for st in s["steps"]:
        if st["kind"] != "kubectl" or st["status"] == "skipped":
            continue
        for i, a in enumerate(st["argv"][:-1]):
            if a in ("-f", "--filename") and "apply" in st["argv"]:
                path = st["argv"][i + 1]
                try:
                    path = render(path) if ".tmpl" in os.path.basename(path) else path
                    applied += [(path, d) for d in yaml.safe_load_all(open(path)) if isinstance(d, dict)]
                except (ValueError, OSError, yaml.YAMLError) as e:
                    problems.append(f"{st['name']}: {path}: {e}")
short = {"ns": "namespace", "svc": "service", "pvc": "persistentvolumeclaim", "sc": "storageclass",
         "deploy": "deployment", "cm": "configmap", "crd": "customresourcedefinition"}
def kind_matches(typ, kind):
    typ, kind = short.get(typ.lower(), typ.lower()).split(".")[0], kind.lower()
    return typ in (kind, kind + "s", kind + "es")
dummy = os.path.join(out, "jsonpath-dummy.yaml")
open(dummy, "w").write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: e2e-dummy, namespace: default}\n")
n_jp = 0
seen_jp = set()
for label, j in labelled:
    typ, _, name = j["resource"].partition("/")
    targets = []
    if name and j["equals"] is not None and j["path"].startswith("{.metadata."):
        for path, d in applied:
            md = d.get("metadata") or {}
            if kind_matches(typ, str(d.get("kind", ""))) and md.get("name") == name and \
               (j["namespace"] is None or md.get("namespace") == j["namespace"]):
                targets.append((path, d))
    for k, (src, d) in enumerate(targets or [(None, None)]):
        key = (j["path"], src, id(d) if d is not None else None, j["equals"] if d is not None else None)
        if key in seen_jp:
            continue
        seen_jp.add(key)
        n_jp += 1
        jd = os.path.join(out, f"jp{n_jp:03d}")
        os.makedirs(jd)
        obj = dummy
        if d is not None:
            obj = os.path.join(jd, "object.yaml")
            open(obj, "w").write(yaml.safe_dump(d))
            open(os.path.join(jd, "equals"), "w").write(j["equals"])
            open(os.path.join(jd, "source"), "w").write(f"{d.get('kind')}/{name} in {os.path.basename(src)}")
        open(os.path.join(jd, "label"), "w").write(label)
        open(os.path.join(jd, "path"), "w").write(j["path"])
        open(os.path.join(jd, "object"), "w").write(obj)

print(f"{n} distinct kubectl command lines, {n_jp} jsonpath checks")
for p in problems:
    print("problem: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY

# A temp kubeconfig: the inventory's context on a closed loopback port, and nothing else.
write_kubeconfig() {  # write_kubeconfig FILE CONTEXT
  cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: closed-port
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: e2e
  user: {token: e2e-not-a-secret}
contexts:
- name: "$2"
  context: {cluster: closed-port, user: e2e}
YAML
}

USAGE_ERRORS=("unknown flag" "unknown command" "unknown shorthand" "error: unknown" "Error: unknown"
  "flags cannot be placed" "required flag" "error parsing" "context was not found"
  "invalid argument" "must specify" "does not exist" "is not a valid")

# run_checked LABEL ARGV…: runs the real kubectl; expects a connection failure to 127.0.0.1:1.
run_checked() {
  local label="$1"; shift
  echo "  check: $label"
  echo "         kubectl ${*:2}"
  "${KENV[@]}" timeout 20 "$KUBECTL" "${@:2}" >"$WORK/k.out" 2>"$WORK/k.err"
  local rc=$? bad="" p
  for p in "${USAGE_ERRORS[@]}"; do
    grep -qF -- "$p" "$WORK/k.err" && bad="$p" && break
  done
  if [ "$rc" -eq 0 ]; then
    fail "$label: kubectl succeeded against a closed port?"
  elif [ -n "$bad" ]; then
    fail "$label: usage error ('$bad'): kubectl ${*:2}"; sed 's/^/    | /' "$WORK/k.err" | head -5 >&2
  elif grep -q '127\.0\.0\.1:1\b' "$WORK/k.err" &&
       grep -qE 'connection refused|was refused|Unable to connect|dial tcp 127\.0\.0\.1:1' "$WORK/k.err"; then
    pass
  else
    fail "$label: exit $rc without a connection failure: kubectl ${*:2}"; sed 's/^/    | /' "$WORK/k.err" | head -5 >&2
  fi
}

# Sanity: this kubectl reports a bad flag as a usage error (else the checks below prove nothing).
write_kubeconfig "$WORK/kc-sanity" sanity
"${KENV[@]}" "$KUBECTL" --kubeconfig "$WORK/kc-sanity" --context sanity apply --no-such-flag -f /dev/null \
  >/dev/null 2>"$WORK/k.err"
expect_in "$WORK/k.err" "unknown flag" "kubectl reports a bad flag"

for name in homelab k3s sim; do
  inv="inventories/$name.yaml"
  echo "== $inv"
  # plan needs no environment: secrets are read only by apply.
  env -u ADGUARD_PASSWORD_HASH -u RANCHER_BOOTSTRAP_PASSWORD -u CLOUDFLARE_API_TOKEN \
    "$GW" --no-color -i "$inv" plan --format json >"$WORK/plan-$name.json" 2>"$WORK/err"
  RC=$?
  expect_rc 0 "plan $inv without secrets in the environment"
  [ "$RC" -eq 0 ] || continue
  ctx=$(python3 -c "import yaml,sys; print(yaml.load(open(sys.argv[1]), Loader=yaml.BaseLoader)['spec']['kubernetes']['context'])" "$inv")
  write_kubeconfig "$WORK/kc-$name" "$ctx"
  out="$WORK/cmds-$name"
  check "$inv: kubectl commands extracted, well-formed" \
    python3 "$WORK/extract.py" "$WORK/plan-$name.json" "$inv" "$out" "$ROOT" "$WORK/kc-$name"
  count=0
  for d in "$out"/[0-9]*; do
    [ -f "$d/argv" ] || continue
    label="$name: $(cat "$d/label")"
    if [ -f "$d/skip" ]; then
      echo "  skip:  $label: $(cat "$d/orig")"
      echo "         not run as is: $(cat "$d/skip"); its flags are checked with a local kustomization"
      label="$label [-k URL replaced by a local kustomization]"
    fi
    mapfile -d '' -t argv <"$d/argv"
    run_checked "$label" "${argv[@]}"
    count=$((count + 1))
  done
  check "$inv: found kubectl commands to check" test "$count" -gt 10

  # The jsonpath templates: parsed by kubectl offline (label --local prints without a server),
  # and evaluated on the manifests' objects where the gate checks a field they set.
  for d in "$out"/jp[0-9]*; do
    [ -f "$d/path" ] || continue
    label="$name: $(cat "$d/label")"
    path=$(cat "$d/path")
    "${KENV[@]}" KUBECONFIG="$WORK/kc-$name" "$KUBECTL" label --local -f "$(cat "$d/object")" e2e-check=1 \
      -o "jsonpath=$path" >"$WORK/k.out" 2>"$WORK/k.err"
    rc=$?
    if [ -f "$d/equals" ]; then
      echo "  jsonpath: $label: $path on $(cat "$d/source") == '$(cat "$d/equals")'"
      if [ "$rc" -eq 0 ] && [ "$(cat "$WORK/k.out")" = "$(cat "$d/equals")" ]; then pass; else
        fail "$label: jsonpath $path on $(cat "$d/source") gives '$(cat "$WORK/k.out")' (exit $rc), the gate wants '$(cat "$d/equals")'"
        sed 's/^/    | /' "$WORK/k.err" | head -3 >&2
      fi
    else
      echo "  jsonpath: $label: $path parses"
      if [ "$rc" -eq 0 ]; then pass; else
        fail "$label: kubectl rejects jsonpath $path"; sed 's/^/    | /' "$WORK/k.err" | head -3 >&2
      fi
    fi
  done
done

finish
