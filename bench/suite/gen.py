#!/usr/bin/env python3
"""Writes one benchmark workload for every tool of the suite (bench/suite/run.sh).

    python3 bench/suite/gen.py WORKLOAD OUT_DIR [--seed 1]

WORKLOAD is one of
  chain    1,000 steps running `true`, each needing the one before (-j 1)
  fanout   one `true` step, then 999 `true` steps that all need it (-j 4)
  dag      a random DAG of 200 steps (seeded), each sleeping 10-100 ms, up to 3 needs among the
           20 steps before it (-j 4)
  longjob  twelve steps sleeping 0.5 s and one sleeping 3 s, no needs; the long one is last in
           every tool's own order (-j 2): the optimum is 4.5 s, last-started 6 s
  done     the chain, for `apply` when every step is already done
  ansible  100 steps running `true`, in order (the Ansible comparison)

Into OUT_DIR it writes the same graph of commands as
  inventory.yaml + stages/*.yaml   groundwork: one stage per step, `needs` for the edges
  Makefile                         GNU make: one phony target per step, its needs as prerequisites
  build.ninja                      ninja: one edge per step (outputs are never created)
  playbook.yml                     Ansible: one `command` task per step on localhost, in order
  commands.txt                     one command per line (argv, space separated), needed ones first:
                                   what the bare posix_spawn loop (spawnloop.c) runs in order
  meta.json                        steps, jobs, total work and critical path in ms (from the sleeps)
Python 3 standard library only.
"""
import argparse
import json
import os
import random

JOBS = {"chain": 1, "fanout": 4, "dag": 4, "longjob": 2, "done": 1, "ansible": 1}


def workload(kind, rng):
    """[(name, argv, needs)] with needs naming earlier steps."""
    steps = []
    if kind in ("chain", "done", "ansible"):
        n = 100 if kind == "ansible" else 1000
        for i in range(n):
            steps.append(("s%04d" % i, ["/bin/true"], ["s%04d" % (i - 1)] if i else []))
    elif kind == "fanout":
        steps.append(("root", ["/bin/true"], []))
        for i in range(999):
            steps.append(("s%04d" % i, ["/bin/true"], ["root"]))
    elif kind == "dag":
        for i in range(200):
            ms = rng.randint(10, 100)
            earlier = list(range(max(0, i - 20), i))
            needs = sorted(rng.sample(earlier, min(len(earlier), rng.randint(0, 3))))
            steps.append(("s%03d" % i, ["/bin/sleep", "%.3f" % (ms / 1000)], ["s%03d" % j for j in needs]))
    elif kind == "longjob":
        for i in range(12):
            steps.append(("s%02d" % i, ["/bin/sleep", "0.5"], []))
        steps.append(("zlong", ["/bin/sleep", "3"], []))
    else:
        raise SystemExit("gen.py: unknown workload '%s'" % kind)
    return steps


def sleep_ms(argv):
    return float(argv[1]) * 1000 if argv[0] == "/bin/sleep" else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    steps = workload(a.workload, random.Random(a.seed))
    out = a.out
    os.makedirs(os.path.join(out, "stages"), exist_ok=True)
    with open(os.path.join(out, "inventory.yaml"), "w") as f:
        f.write("apiVersion: groundwork/v1\nkind: Inventory\nmetadata: {name: bench}\n"
                "spec:\n  stages: [./stages]\n")
    for name, argv, needs in steps:
        with open(os.path.join(out, "stages", name + ".yaml"), "w") as f:
            f.write("apiVersion: groundwork/v1\nkind: Stage\nmetadata: {name: %s}\nspec:\n" % name)
            if needs:
                f.write("  needs: [%s]\n" % ", ".join(needs))
            f.write("  steps:\n    - {name: t, run: {argv: [%s]}}\n"
                    % ", ".join('"%s"' % x for x in argv))
    sinks = set(n for n, _, _ in steps) - set(x for _, _, ns in steps for x in ns)
    with open(os.path.join(out, "Makefile"), "w") as f:
        f.write(".PHONY: all %s\nall: %s\n" % (" ".join(n for n, _, _ in steps),
                                              " ".join(sorted(sinks))))
        for name, argv, needs in steps:
            f.write("%s:%s\n\t@%s\n" % (name, "".join(" " + x for x in needs), " ".join(argv)))
    with open(os.path.join(out, "build.ninja"), "w") as f:
        f.write("rule r\n  command = $cmd\n")
        for name, argv, needs in steps:
            f.write("build %s: r%s\n  cmd = %s\n" % (name, "".join(" " + x for x in needs),
                                                    " ".join(argv)))
        f.write("default %s\n" % " ".join(sorted(sinks)))
    with open(os.path.join(out, "playbook.yml"), "w") as f:
        f.write("- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks:\n")
        for name, argv, _ in steps:
            f.write("    - name: %s\n      ansible.builtin.command: %s\n      changed_when: false\n"
                    % (name, " ".join(argv)))
    with open(os.path.join(out, "commands.txt"), "w") as f:
        for _, argv, _ in steps:
            f.write(" ".join(argv) + "\n")
    finish = {}
    for name, argv, needs in steps:  # needed steps come first
        finish[name] = max([finish[x] for x in needs] or [0.0]) + sleep_ms(argv)
    meta = {"workload": a.workload, "steps": len(steps), "jobs": JOBS[a.workload],
            "workMs": sum(sleep_ms(argv) for _, argv, _ in steps),
            "criticalPathMs": max(finish.values())}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f)
        f.write("\n")


if __name__ == "__main__":
    main()
