#!/usr/bin/env python3
"""restic_drill.py ACTION: the steps of playbooks/restic-restore.yaml (restic 0.14, Debian 12).

ACTION is one of prepare, snapshot, check, restore, files, manifest, command, compare. The
playbook passes the params in the environment (GW_RESTIC_*, and restic's own RESTIC_REPOSITORY
and RESTIC_PASSWORD, which restic reads itself: the password never reaches a command line), and
those only one step uses as NAME=VALUE arguments after the action.
The steps share files in the work folder GW_RESTIC_WORK: snapshot.json (the chosen snapshot,
written by `snapshot`), cache/ (restic's cache: a drill starts cold, as after a disaster) and, in
drill mode, restore/ (the scratch copy).

restic commands, flags and JSON as in restic 0.14.0 (https://github.com/restic/restic/tree/v0.14.0):
`snapshots --json` (cmd/restic/cmd_snapshots.go: a JSON array of internal/restic/snapshot.go's
Snapshot plus id/short_id), `ls --json` (cmd/restic/cmd_ls.go: one snapshot line, then one node
line per file/dir/symlink with type, path, size), `check --read-data-subset`, `restore --target
--verify`, the global `--cache-dir`, `--no-lock` and `-o sftp.command=...`
(https://restic.readthedocs.io/en/v0.14.0/030_preparing_a_new_repo.html#sftp).
Messages go to stderr (the step log); stdout is what the step captures.
"""
import datetime
import filecmp
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys

ENV = os.environ


def param(name, default=""):
    return ENV.get("GW_RESTIC_" + name, default).strip()


def say(*parts):
    print(*parts, file=sys.stderr, flush=True)


def die(message):
    say("restic-restore: " + message)
    sys.exit(1)


MODE = param("MODE", "drill")
WORK = param("WORK")


def restic_argv(*args):
    """restic with the global flags every call takes (no secret among them)."""
    argv = [param("BIN", "restic") or "restic", "--cache-dir", os.path.join(WORK, "cache")]
    if param("NO_LOCK").lower() == "true":
        argv.append("--no-lock")
    sftp = param("SFTP_COMMAND")
    if sftp:
        argv += ["-o", "sftp.command=" + sftp]
    return argv + list(args)


def restic(*args, capture=False):
    argv = restic_argv(*args)
    say("+ " + " ".join(argv))
    if not ENV.get("RESTIC_REPOSITORY"):
        die("no repository: the 'repository' param is empty")
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE if capture else sys.stderr,
                           stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        die("%s: not found (Debian: apt install restic)" % argv[0])
    if p.returncode != 0:
        die("restic %s failed (exit %d)" % (args[0], p.returncode))
    return p.stdout


def filters():
    """--host/--path/--tag as `snapshots` and `restore latest` take them (each param may list
    several values, space-separated; tags within one --tag are comma-separated)."""
    out = []
    for flag, name in (("--host", "HOST"), ("--path", "PATH"), ("--tag", "TAG")):
        for v in param(name).split():
            out += [flag, v]
    return out


def snapshot():
    path = os.path.join(WORK, "snapshot.json")
    with open(path) as f:
        return json.load(f)


def restore_dir():
    if MODE == "restore":
        return os.path.abspath(param("TARGET"))
    return os.path.join(WORK, "restore")


def data_root():
    """Where the data of interest is in the restored tree: restic 0.14 restores a snapshot's
    absolute paths below --target, so the root is the target plus the `path` param, or plus the
    snapshot's only path (a K8up PVC backup has one: /data/<pvc>), else the target itself."""
    snap = snapshot()
    paths = param("PATH").split()
    base = restore_dir()
    if len(paths) == 1:
        return base + paths[0]
    if len(snap.get("paths") or []) == 1:
        return base + snap["paths"][0]
    return base


def utc_rfc3339(t):
    """restic's time (Go RFC 3339 with nanoseconds and the backup host's offset) as UTC seconds."""
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", t)
    if not m:
        die("snapshot time %r is not an RFC 3339 time" % t)
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    when = datetime.datetime.fromisoformat(m.group(1) + zone)
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- actions ------------------------------------------------------------------------------------


def act_prepare():
    if not WORK or not os.path.isabs(WORK):
        die("the work folder %r is not an absolute path (set the 'scratch' param)" % WORK)
    if MODE == "restore" and not param("TARGET"):
        die("restore mode needs --param target=PATH (where the snapshot is restored)")
    # Relative paths would resolve from the playbook's folder, where the steps run: refused.
    for name, value in (("target", param("TARGET")), ("live", param("LIVE")),
                        ("manifest", param("MANIFEST") if "/" in param("MANIFEST") else "")):
        if value and not os.path.isabs(value):
            die("%s %r must be an absolute path" % (name, value))
    if MODE == "drill" and os.path.exists(WORK):
        remove_tree(WORK)  # a drill starts from the beginning
    os.makedirs(WORK, exist_ok=True)
    say("work folder %s (%s mode)" % (WORK, MODE))


def act_snapshot():
    """Chooses the snapshot: the given id, else the newest matching the filters. Prints its time
    (UTC) on stdout: the playbook captures it as backupTime (the RPO)."""
    wanted = param("SNAPSHOT")
    args = ["snapshots", "--json"] + filters()
    if wanted and wanted != "latest":
        args.append(wanted)
    snaps = json.loads(restic(*args, capture=True) or b"[]") or []
    if not snaps:
        die("no snapshot matches (snapshot %r, host %r, path %r, tag %r)"
            % (wanted or "latest", param("HOST"), param("PATH"), param("TAG")))
    newest = max(snaps, key=lambda s: utc_rfc3339(s["time"]) + s["time"])
    with open(os.path.join(WORK, "snapshot.json"), "w") as f:
        json.dump(newest, f)
    say("%d matching snapshot(s); using %s of %s (host %s, paths %s, tags %s)" % (
        len(snaps), newest["short_id"], newest["time"], newest.get("hostname", "-"),
        " ".join(newest.get("paths") or []), ",".join(newest.get("tags") or []) or "-"))
    print(utc_rfc3339(newest["time"]))


def act_check():
    subset = param("READ_DATA_SUBSET")
    if subset:
        restic("check", "--read-data-subset=" + subset)
    else:
        restic("check")
    print("repository checked" + (", read %s of the data" % subset if subset else ""))


def act_restore():
    snap = snapshot()
    dest = restore_dir()
    os.makedirs(dest, exist_ok=True)
    args = ["restore", snap["id"], "--target", dest]
    if param("VERIFY", "true").lower() == "true":
        args.append("--verify")
    restic(*args)
    print("snapshot %s restored into %s" % (snap["short_id"], dest))


def act_files():
    """Every file of the snapshot is in the restore with its size; at least MIN_FILES of them
    below the data root (an empty backup — of a volume that was not mounted — fails here)."""
    snap = snapshot()
    dest = restore_dir()
    root = data_root()
    total = size = under_root = 0
    problems = []
    for line in restic("ls", "--json", snap["id"], capture=True).splitlines():
        node = json.loads(line)
        if node.get("struct_type") != "node" or node.get("type") != "file":
            continue
        total += 1
        size += node.get("size") or 0
        local = dest + node["path"]
        if local == root or local.startswith(root.rstrip("/") + "/"):
            under_root += 1
        try:
            st = os.lstat(local)
        except OSError:
            problems.append("missing: " + node["path"])
            continue
        if not stat.S_ISREG(st.st_mode):
            problems.append("not a regular file: " + node["path"])
        elif st.st_size != (node.get("size") or 0):
            problems.append("size %d, snapshot says %d: %s" % (st.st_size, node.get("size") or 0, node["path"]))
    for p in problems[:20]:
        say(p)
    if problems:
        die("%d of the snapshot's %d files are not restored as they were" % (len(problems), total))
    wanted = int(param("MIN_FILES", "1") or "0")
    if under_root < wanted:
        die("%d file(s) under %s, fewer than min_files=%d: is the backup empty?" % (under_root, root, wanted))
    print("%d files (%d bytes) restored, %d under %s" % (total, size, under_root, root))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_manifest(manifest, base):
    """`sha256sum -c` of a manifest (`HASH  NAME` or `HASH *NAME` lines), names relative to base."""
    bad, count = [], 0
    with open(manifest, encoding="utf-8", errors="surrogateescape") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            m = re.match(r"^([0-9a-fA-F]{64}) [ *](.+)$", line)
            if not m:
                die("%s:%d: not a sha256sum line" % (manifest, n))
            count += 1
            path = os.path.join(base, m.group(2))
            if not os.path.isfile(path):
                bad.append("missing: " + m.group(2))
            elif sha256(path) != m.group(1).lower():
                bad.append("checksum differs: " + m.group(2))
    return count, bad


def act_manifest():
    name = param("MANIFEST")
    root = data_root()
    if "/" in name:  # a manifest on this machine, names relative to the data root
        if not os.path.isfile(name):
            die("manifest %s does not exist" % name)
        found = [(name, root)]
    else:
        found = []
        for d, _, files in os.walk(root):
            if name in files:
                found.append((os.path.join(d, name), d))
    if not found:
        print("no %s in the restored data: no checksum check" % name)
        return
    total, problems = 0, []
    for manifest, base in sorted(found):
        count, bad = check_manifest(manifest, base)
        total += count
        problems += ["%s: %s" % (manifest, b) for b in bad]
        say("%s: %d file(s), %d bad" % (manifest, count, len(bad)))
    for p in problems[:20]:
        say(p)
    if problems:
        die("%d of %d checksum(s) do not match" % (len(problems), total))
    print("%d checksum(s) of %d manifest(s) match" % (total, len(found)))


def act_command():
    """The user's check command, by sh -c, in the data root (RESTORED_ROOT, RESTORED_TARGET)."""
    root = data_root()
    # Not the repository's secrets: the command checks data, it does not need the repository.
    env = {k: v for k, v in ENV.items() if not k.startswith(("RESTIC_", "GW_RESTIC_"))}
    env.update(RESTORED_ROOT=root, RESTORED_TARGET=restore_dir())
    say("+ (in %s) sh -c %s" % (root, param("CHECK_COMMAND")))
    p = subprocess.run(["sh", "-c", param("CHECK_COMMAND")], cwd=root, env=env, stdin=subprocess.DEVNULL,
                       stdout=sys.stderr)
    if p.returncode != 0:
        die("the check command exited %d" % p.returncode)
    print("the check command passed")


def walk(top):
    """Relative path -> lstat of every file and symlink below top."""
    out = {}
    for d, dirs, files in os.walk(top):
        for n in files + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            p = os.path.join(d, n)
            out[os.path.relpath(p, top)] = os.lstat(p)
    return out


def same(a, b, sa, sb):
    if stat.S_ISLNK(sa.st_mode) or stat.S_ISLNK(sb.st_mode):
        return stat.S_ISLNK(sa.st_mode) and stat.S_ISLNK(sb.st_mode) and os.readlink(a) == os.readlink(b)
    if not (stat.S_ISREG(sa.st_mode) and stat.S_ISREG(sb.st_mode)):
        return stat.S_IFMT(sa.st_mode) == stat.S_IFMT(sb.st_mode)
    return sa.st_size == sb.st_size and filecmp.cmp(a, b, shallow=False)


def act_compare():
    """Compares the restored data root with the live path: files that differ, only in the backup,
    only in the live path. Listed in the log and captured (the report); a failure only with
    strict=true (live data changes after every backup)."""
    live = param("LIVE")
    if MODE != "drill":
        print("restore mode: no comparison")
        return
    if not os.path.isdir(live):
        die("live path %s is not a folder" % live)
    root = data_root()
    mine, theirs = walk(root), walk(live)
    differ = sorted(p for p in mine.keys() & theirs.keys()
                    if not same(os.path.join(root, p), os.path.join(live, p), mine[p], theirs[p]))
    only_backup = sorted(mine.keys() - theirs.keys())
    only_live = sorted(theirs.keys() - mine.keys())
    for title, names in (("differs", differ), ("only in the backup", only_backup), ("only in the live path", only_live)):
        for n in names:
            say("%s: %s" % (title, n))

    def part(title, names):
        shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
        return "%d %s%s" % (len(names), title, (": " + shown) if names else "")

    summary = "; ".join([part("differ", differ), part("only in the backup", only_backup),
                         part("only in the live path", only_live)])
    n = len(differ) + len(only_backup) + len(only_live)
    say("compared %d restored file(s) with %s: %s" % (len(mine), live, summary))
    if n and param("STRICT").lower() == "true":
        die("strict: the restored data differs from %s: %s" % (live, summary))
    print(summary if n else "identical to %s (%d files)" % (live, len(mine)))


def remove_tree(path):
    """rm -rf that also removes read-only folders a restore may have created."""
    def onerror(func, p, _):
        os.chmod(os.path.dirname(p), 0o700)
        if os.path.isdir(p) and not os.path.islink(p):
            os.chmod(p, 0o700)
        func(p)
    shutil.rmtree(path, onerror=onerror)


ACTIONS = {
    "prepare": act_prepare, "snapshot": act_snapshot, "check": act_check, "restore": act_restore,
    "files": act_files, "manifest": act_manifest, "command": act_command, "compare": act_compare,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ACTIONS:
        die("usage: restic_drill.py %s [NAME=VALUE…]" % "|".join(ACTIONS))
    # NAME=VALUE arguments: params only this step uses (as GW_RESTIC_NAME), so that changing one
    # changes only this step's checkpoint key (a resumed restore does not redo the others).
    for kv in sys.argv[2:]:
        name, _, value = kv.partition("=")
        os.environ["GW_RESTIC_" + name] = value
    ACTIONS[sys.argv[1]]()
