#!/usr/bin/env python3
"""Generates the planning benchmark's workload: one inventory and N stage files.

    python3 bench/gen_workload.py OUT_DIR [--stages 10000] [--edges 30000] [--seed 1]

Writes OUT_DIR/inventory.yaml (kind Inventory, name `bench`, `stages: [./stages]`) and
OUT_DIR/stages/sNNNNN.yaml. The stages form a DAG: every stage needs only stages written before
it, so there is no cycle. Each stage needs up to 3 earlier stages (the first three stages fewer:
there is nothing, or less, before them); since 10,000 stages with at most 3 needs each allow
only 29,994 edges, the few edges still missing to reach --edges exactly go as a 4th need to
randomly chosen stages. Half of the needs are drawn from the 100 stages just before (long chains,
many waves), half from all earlier stages (wide fan-in).

Every stage has a helm step whose values file (stages/values/common.tmpl.yaml) is shared by all
stages and rendered, two stages in three a kubectl apply of a shared manifest
(stages/manifests/common.yaml), a `gate` step (rollout) and one health gate; strings use
`${vars.X}` templates. The RNG is seeded: the same arguments give the same files.
Python 3 standard library only.
"""
import argparse
import os
import random
import sys

INVENTORY = """\
apiVersion: groundwork/v1
kind: Inventory
metadata:
  name: bench
spec:
  kubernetes: {{kubeconfig: ./kubeconfig, context: bench}}
  stages: [./stages]
  vars:
    domain: bench.example.com
    chart_repo: https://charts.example.com/stable
    chart_version: 1.2.3
    namespace_prefix: bench
    registry: registry.example.com
    cluster:
      name: bench
      region: lab-1
    stage_count: "{stages}"
"""

VALUES = """\
# Shared Helm values, rendered for every release (a .tmpl file).
image:
  registry: "${vars.registry}"
  pullPolicy: IfNotPresent
ingress:
  enabled: true
  host: "app.${vars.domain}"
cluster: "${vars.cluster.name}"
region: "${vars.cluster.region}"
resources:
  requests: {cpu: 50m, memory: 64Mi}
  limits: {memory: 256Mi}
"""

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: bench-common
  namespace: default
data:
  purpose: groundwork planning benchmark
"""


def stage_name(i):
    return "s%05d" % i


def needs_counts(n, edges, cap, rng):
    """How many needs each stage gets: min(i, cap), then the rest of `edges` one by one."""
    counts = [min(i, cap) for i in range(n)]
    total = sum(counts)
    if total > edges:
        # Fewer edges than the cap allows: take needs away at random.
        candidates = [i for i in range(n) if counts[i] > 0]
        while total > edges:
            i = rng.choice(candidates)
            if counts[i] > 0:
                counts[i] -= 1
                total -= 1
    else:
        max_total = n * (n - 1) // 2
        if edges > max_total:
            sys.exit("gen_workload: %d stages allow at most %d edges" % (n, max_total))
        while total < edges:
            i = rng.randrange(1, n)
            if counts[i] < i:
                counts[i] += 1
                total += 1
    return counts


def pick_needs(i, k, rng):
    chosen = set()
    while len(chosen) < k:
        if rng.random() < 0.5:
            j = rng.randrange(max(0, i - 100), i)
        else:
            j = rng.randrange(0, i)
        chosen.add(j)
    return sorted(chosen)


def stage_yaml(i, needs, with_kubectl):
    name = stage_name(i)
    lines = [
        "apiVersion: groundwork/v1",
        "kind: Stage",
        "metadata:",
        "  name: %s" % name,
        "  description: generated benchmark stage %d" % i,
        "spec:",
    ]
    if needs:
        lines.append("  needs: [%s]" % ", ".join(stage_name(j) for j in needs))
    lines += [
        "  tools: [kubectl, helm]",
        "  steps:",
        "    - name: chart",
        "      helm:",
        "        release: %s" % name,
        "        chart: app-%d" % (i % 50),
        '        repo: "${vars.chart_repo}"',
        '        version: "${vars.chart_version}"',
        '        namespace: "${vars.namespace_prefix}-%s"' % name,
        "        createNamespace: true",
        "        values: [values/common.tmpl.yaml]",
        "        wait: true",
        "      timeout: 10m",
    ]
    if with_kubectl:
        lines += [
            "    - name: config",
            "      kubectl:",
            "        apply: [manifests/common.yaml]",
            '        namespace: "${vars.namespace_prefix}-%s"' % name,
            "      retry: {attempts: 5, delay: 2s, backoff: 2}",
            "      timeout: 1m",
        ]
    lines += [
        "    - name: rollout",
        "      gate:",
        "        rollout:",
        "          kind: deployment",
        "          name: %s" % name,
        '          namespace: "${vars.namespace_prefix}-%s"' % name,
        "        interval: 2s",
        "      timeout: 5m",
        "  gates:",
        "    - name: https",
        "      http:",
        '        url: "https://%s.${vars.domain}/healthz"' % name,
        "        status: 200",
        "      timeout: 2m",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="folder to write into (created if missing)")
    ap.add_argument("--stages", type=int, default=10_000)
    ap.add_argument("--edges", type=int, default=30_000)
    ap.add_argument("--max-needs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.stages < 1:
        sys.exit("gen_workload: --stages must be at least 1")

    rng = random.Random(a.seed)
    stages_dir = os.path.join(a.out, "stages")
    os.makedirs(os.path.join(stages_dir, "values"), exist_ok=True)
    os.makedirs(os.path.join(stages_dir, "manifests"), exist_ok=True)
    with open(os.path.join(a.out, "inventory.yaml"), "w") as f:
        f.write(INVENTORY.format(stages=a.stages))
    with open(os.path.join(stages_dir, "values", "common.tmpl.yaml"), "w") as f:
        f.write(VALUES)
    with open(os.path.join(stages_dir, "manifests", "common.yaml"), "w") as f:
        f.write(MANIFEST)

    counts = needs_counts(a.stages, a.edges, a.max_needs, rng)
    edges = 0
    for i in range(a.stages):
        needs = pick_needs(i, counts[i], rng)
        edges += len(needs)
        with open(os.path.join(stages_dir, stage_name(i) + ".yaml"), "w") as f:
            f.write(stage_yaml(i, needs, with_kubectl=(i % 3 != 2)))
    print("gen_workload: %d stages, %d edges in %s" % (a.stages, edges, a.out), file=sys.stderr)


if __name__ == "__main__":
    main()
