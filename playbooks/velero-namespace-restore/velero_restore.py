#!/usr/bin/env python3
"""Helper of playbooks/velero-namespace-restore.yaml and playbooks/cluster-rebuild.yaml (stdlib only).

    velero_restore.py restore MODE NAMESPACE BACKUP WAIT_SECONDS EXCLUDE
    velero_restore.py check MODE NAMESPACE FAIL_ON_WARNINGS
    velero_restore.py rollouts MODE NAMESPACE TIMEOUT_SECONDS
    velero_restore.py pvcs MODE NAMESPACE TIMEOUT_SECONDS
    velero_restore.py data-check MODE NAMESPACE COMMAND
    velero_restore.py rebuild BACKUP NAMESPACES EXCLUDE_NAMESPACES WAIT_SECONDS SYNC_SECONDS
    velero_restore.py verify-rebuild TIMEOUT_SECONDS

MODE is drill (the namespace is restored into NAMESPACE-drill) or restore (in place). `rebuild`
(playbooks/cluster-rebuild.yaml) restores the application namespaces of a backup in place, in one
Restore: NAMESPACES (space- or comma-separated), or the backup's included namespaces, or -- for a
backup of every namespace -- all of them but EXCLUDE_NAMESPACES; it first waits up to SYNC_SECONDS
for a Completed backup to appear (a new cluster's Velero syncs them from the bucket:
pkg/controller/backup_sync_controller.go). `verify-rebuild` checks rollouts and PVCs in every
namespace that restore restored.
Environment: VELERO and KUBECTL (the programs), KUBECONFIG and KUBE_CONTEXT, VELERO_NAMESPACE.

Velero commands and fields as in Velero v1.17 (https://github.com/vmware-tanzu/velero/tree/v1.17.0):
pkg/cmd/cli/restore/create.go (`restore create NAME --from-backup B --namespace-mappings src:dst
--exclude-resources … --labels … --wait`; --wait watches until the phase is FailedValidation,
Completed, PartiallyFailed or Failed and exits 0 whichever it is), pkg/apis/velero/v1/restore_types.go
(status.phase, errors, warnings, failureReason, validationErrors, progress), backup_types.go
(status.phase, startTimestamp), pkg/cmd/util/output/output.go (`get -o json` prints a list of one
item as that item). The newest backup is picked like create.go's mostRecentBackup: by startTimestamp.
"""
import json
import os
import subprocess
import sys
import time

PLAYBOOK_LABEL = "groundwork.dev/playbook"
NS_LABEL = "groundwork.dev/namespace"
MODE_LABEL = "groundwork.dev/mode"
TERMINAL = ("Completed", "PartiallyFailed", "Failed", "FailedValidation")


def env(name, default):
    return os.environ.get(name) or default


def velero(*args):
    return [env("VELERO", "velero"), "--kubeconfig", env("KUBECONFIG", ""), "--kubecontext",
            env("KUBE_CONTEXT", ""), "-n", env("VELERO_NAMESPACE", "velero")] + list(args)


def kubectl(*args):
    return [env("KUBECTL", "kubectl"), "--kubeconfig", env("KUBECONFIG", ""), "--context",
            env("KUBE_CONTEXT", "")] + list(args)


def say(text):
    print(text, flush=True)


def fail(text):
    say(text)
    sys.exit(1)


def run_json(argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s failed (exit %d): %s" % (" ".join(argv), r.returncode, r.stderr.strip()))
    try:
        return json.loads(r.stdout)
    except ValueError:
        fail("%s printed no JSON: %s" % (" ".join(argv), r.stdout[:200]))


def items(doc):
    """A velero `get -o json` answer: a list, or the one item itself."""
    if doc.get("kind", "").endswith("List") or "items" in doc:
        return doc.get("items") or []
    return [doc]


def covers(backup, ns):
    sp = backup.get("spec") or {}
    inc = sp.get("includedNamespaces") or ["*"]
    return ("*" in inc or ns in inc) and ns not in (sp.get("excludedNamespaces") or [])


def find_backup(ns, name, wait_s=0):
    """The backup to restore: NAME (must be Completed), else the newest Completed one that
    includes NS (any, when NS is empty); waits up to WAIT_S seconds for it to appear."""
    deadline = time.time() + wait_s
    while True:
        b, problem = find_backup_once(ns, name)
        if b is not None:
            return b
        if time.time() >= deadline:
            fail(problem)
        say("%s; waiting for the backups to be synced from the backup location" % problem)
        time.sleep(5)


def find_backup_once(ns, name):
    if name:
        r = subprocess.run(velero("backup", "get", name, "-o", "json"), capture_output=True, text=True)
        if r.returncode != 0:
            return None, "backup %s: %s" % (name, r.stderr.strip())
        b = items(json.loads(r.stdout))[0]
        phase = (b.get("status") or {}).get("phase") or "New"
        if phase != "Completed":
            return None, "backup %s is %s, not Completed" % (name, phase)
        if ns and not covers(b, ns):
            fail("backup %s does not include namespace %s" % (name, ns))
        return b, None
    all_b = items(run_json(velero("backup", "get", "-o", "json")))
    ok = [b for b in all_b if (b.get("status") or {}).get("phase") == "Completed" and (not ns or covers(b, ns))]
    if not ok:
        return None, "no Completed backup%s among the %d in velero namespace %s" % (
            " of namespace " + ns if ns else "", len(all_b), env("VELERO_NAMESPACE", "velero"))
    ok.sort(key=lambda b: (b.get("status") or {}).get("startTimestamp") or "", reverse=True)
    return ok[0], None


def our_restores(mode, ns):
    sel = "%s=%s,%s=%s" % (NS_LABEL, ns, MODE_LABEL, mode)
    rs = items(run_json(velero("restore", "get", "-l", sel, "-o", "json")))
    rs.sort(key=lambda r: r["metadata"].get("creationTimestamp") or "", reverse=True)
    return rs


def target_of(mode, ns):
    return ns + "-drill" if mode == "drill" else ns


def cmd_restore(mode, ns, backup_name, wait_s, exclude):
    b = find_backup(ns, backup_name)
    target = target_of(mode, ns)
    extra = ["--include-namespaces", ns]
    if mode == "drill":
        extra += ["--namespace-mappings", "%s:%s" % (ns, target)]
        if exclude:
            extra += ["--exclude-resources", exclude]
    say_backup(b)
    say("restoring namespace %s of backup %s into %s" % (ns, b["metadata"]["name"], target))
    start_restore(mode, ns, b, extra, wait_s)


def say_backup(b):
    st = b.get("status") or {}
    say("backup: %s (started %s, completed %s, %s items)" % (
        b["metadata"]["name"], st.get("startTimestamp"), st.get("completionTimestamp"),
        (st.get("progress") or {}).get("totalItems", "?")))
    say("backupTime: %s" % st.get("startTimestamp"))


def start_restore(mode, key, b, extra, wait_s):
    """velero restore create --wait, labelled with the playbook, KEY and MODE. In restore mode a
    restore of the same backup that is still running (this run was killed while it ran) is waited
    for instead of starting a second one."""
    bname = b["metadata"]["name"]
    if mode == "restore":
        for r in our_restores(mode, key):
            if (r.get("spec") or {}).get("backupName") == bname and \
                    (r.get("status") or {}).get("phase", "New") in ("New", "InProgress"):
                say("restore %s of backup %s is still running: waiting for it" % (r["metadata"]["name"], bname))
                return wait_existing(r["metadata"]["name"], wait_s)
    name = "%s-%s-%s" % (key, mode, time.strftime("%Y%m%d%H%M%S", time.gmtime()))
    argv = velero("restore", "create", name, "--from-backup", bname,
                  "--labels", "%s=%s,%s=%s,%s=%s" % (PLAYBOOK_LABEL, "cluster-rebuild" if key == "cluster-rebuild" else
                                                     "velero-namespace-restore", NS_LABEL, key, MODE_LABEL, mode),
                  "--wait", *extra)
    say("+ " + " ".join(argv[:1] + argv[7:]))
    try:
        r = subprocess.run(argv, timeout=wait_s)
    except subprocess.TimeoutExpired:
        say("")  # after velero's progress dots
        fail("restore %s did not finish within %ds (phase %s); it goes on in the cluster: "
             "velero restore describe %s" % (name, wait_s, restore_phase(name), name))
    if r.returncode != 0:
        fail("velero restore create failed (exit %d)" % r.returncode)


def cmd_rebuild(backup_name, namespaces, exclude_ns, wait_s, sync_s):
    b = find_backup("", backup_name, sync_s)
    say_backup(b)
    given = namespaces.replace(",", " ").split()
    inc = (b.get("spec") or {}).get("includedNamespaces") or ["*"]
    if given:
        extra = ["--include-namespaces", ",".join(given)]
        what = ", ".join(given)
    elif "*" not in inc:
        apps = [n for n in inc if n not in exclude_ns.replace(",", " ").split()]
        if not apps:
            fail("backup %s includes no application namespace (only %s)" % (b["metadata"]["name"], ", ".join(inc)))
        extra = ["--include-namespaces", ",".join(apps)]
        what = ", ".join(apps)
    else:
        extra = ["--exclude-namespaces", ",".join(exclude_ns.replace(",", " ").split())]
        what = "every namespace but " + exclude_ns
    say("restoring %s of backup %s in place" % (what, b["metadata"]["name"]))
    start_restore("restore", "cluster-rebuild", b, extra, wait_s)


def cmd_verify_rebuild(timeout):
    rs = our_restores("restore", "cluster-rebuild")
    if not rs:
        fail("no cluster-rebuild restore found")
    r = rs[0]
    inc = (r.get("spec") or {}).get("includedNamespaces") or ["*"]
    if "*" in inc:
        out = subprocess.run(kubectl("get", "namespaces", "-l", "velero.io/restore-name=" + r["metadata"]["name"], "-o", "name"),
                             capture_output=True, text=True).stdout
        inc = [n.split("/", 1)[1] for n in out.split() if "/" in n]
    if not inc:
        fail("restore %s restored no namespace" % r["metadata"]["name"])
    say("namespaces restored by %s: %s" % (r["metadata"]["name"], ", ".join(inc)))
    bad = []
    for ns in inc:
        for fn in (cmd_rollouts, cmd_pvcs):
            try:
                fn(ns, timeout)
            except SystemExit as e:
                if e.code:
                    bad.append(ns)
    if bad:
        fail("not healthy after the restore: %s" % ", ".join(sorted(set(bad))))


def restore_phase(name):
    r = subprocess.run(velero("restore", "get", name, "-o", "json"), capture_output=True, text=True)
    try:
        return (json.loads(r.stdout).get("status") or {}).get("phase") or "New"
    except ValueError:
        return "unknown"


def wait_existing(name, wait_s):
    deadline = time.time() + wait_s
    while True:
        phase = restore_phase(name)
        if phase in TERMINAL:
            say("restore %s finished: %s" % (name, phase))
            return
        if time.time() >= deadline:
            fail("restore %s did not finish within %ds (phase %s)" % (name, wait_s, phase))
        time.sleep(2)


def cmd_check(mode, ns, fail_on_warnings):
    rs = our_restores(mode, ns)
    if not rs:
        fail("no restore of namespace %s (mode %s) found" % (ns, mode))
    r = rs[0]
    name = r["metadata"]["name"]
    st = r.get("status") or {}
    phase = st.get("phase") or "New"
    errors, warnings = int(st.get("errors") or 0), int(st.get("warnings") or 0)
    prog = st.get("progress") or {}
    say("restore %s of backup %s: phase %s, %d errors, %d warnings, %s of %s items restored" % (
        name, (r.get("spec") or {}).get("backupName"), phase, errors, warnings,
        prog.get("itemsRestored", 0), prog.get("totalItems", 0)))
    problem = None
    if phase != "Completed":
        problem = "phase %s, not Completed" % phase
        if st.get("failureReason"):
            problem += ": " + st["failureReason"]
        if st.get("validationErrors"):
            problem += ": " + "; ".join(st["validationErrors"])
    elif errors:
        problem = "%d errors" % errors
    elif warnings and fail_on_warnings == "true":
        problem = "%d warnings (fail_on_warnings is true)" % warnings
    if problem:
        d = subprocess.run(velero("restore", "describe", name), capture_output=True, text=True)
        sys.stdout.write(d.stdout[-4000:])
        fail("restore %s failed: %s; %d errors, %d warnings (velero restore logs %s)" % (name, problem, errors, warnings, name))


def cmd_rollouts(target, timeout):
    if subprocess.run(kubectl("get", "namespace", target), capture_output=True).returncode != 0:
        fail("namespace %s does not exist" % target)
    r = subprocess.run(kubectl("get", "deployments,statefulsets,daemonsets", "-n", target, "-o", "name"),
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("kubectl get workloads failed: %s" % r.stderr.strip())
    names = [n.strip() for n in r.stdout.split() if n.strip()]
    if not names:
        say("namespace %s has no Deployment, StatefulSet or DaemonSet" % target)
        return
    bad = []
    for n in names:
        kind, _, obj = n.partition("/")
        ref = "%s/%s" % (kind.split(".")[0], obj)
        rr = subprocess.run(kubectl("rollout", "status", ref, "-n", target, "--timeout", "%ds" % timeout),
                            capture_output=True, text=True)
        say("%s: %s" % (ref, (rr.stdout + rr.stderr).strip().splitlines()[-1] if (rr.stdout + rr.stderr).strip() else rr.returncode))
        if rr.returncode != 0:
            bad.append(ref)
    if bad:
        fail("not rolled out in %s: %s" % (target, ", ".join(bad)))
    say("%d workloads rolled out in %s" % (len(names), target))


def cmd_pvcs(target, timeout):
    deadline = time.time() + timeout
    while True:
        doc = run_json(kubectl("get", "persistentvolumeclaims", "-n", target, "-o", "json"))
        pvcs = {p["metadata"]["name"]: (p.get("status") or {}).get("phase") or "Pending" for p in doc.get("items") or []}
        pending = sorted(n for n, ph in pvcs.items() if ph != "Bound")
        if not pending:
            say("%d PersistentVolumeClaims Bound in %s%s" % (len(pvcs), target, ": " + ", ".join(sorted(pvcs)) if pvcs else ""))
            return
        if time.time() >= deadline:
            fail("not Bound after %ds in %s: %s" % (timeout, target, ", ".join("%s (%s)" % (n, pvcs[n]) for n in pending)))
        time.sleep(2)


def cmd_data_check(target, command):
    e = dict(os.environ, TARGET_NAMESPACE=target)
    say("+ " + command)
    r = subprocess.run(["sh", "-c", command], env=e)
    if r.returncode != 0:
        fail("data check failed (exit %d)" % r.returncode)


def main(argv):
    if not argv:
        fail(__doc__)
    cmd, args = argv[0], argv[1:]
    if cmd == "restore" and len(args) == 5:
        return cmd_restore(args[0], args[1], args[2], int(args[3]), args[4])
    if cmd == "check" and len(args) == 3:
        return cmd_check(*args)
    if cmd == "rollouts" and len(args) == 3:
        return cmd_rollouts(target_of(args[0], args[1]), int(args[2]))
    if cmd == "pvcs" and len(args) == 3:
        return cmd_pvcs(target_of(args[0], args[1]), int(args[2]))
    if cmd == "data-check" and len(args) == 3:
        return cmd_data_check(target_of(args[0], args[1]), args[2])
    if cmd == "rebuild" and len(args) == 5:
        return cmd_rebuild(args[0], args[1], args[2], int(args[3]), int(args[4]))
    if cmd == "verify-rebuild" and len(args) == 1:
        return cmd_verify_rebuild(int(args[0]))
    fail("usage: " + __doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
