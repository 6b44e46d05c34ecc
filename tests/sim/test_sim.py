"""Tests of groundwork's SIMULATED cluster (tests/sim): the fake kubectl, helm, talosctl, velero, flux.

Run: /usr/bin/python3 -m unittest discover -s tests/sim -v
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, "bin")
KUBECONFIG = os.path.join(HERE, "kubeconfig")
TALOSCONFIG = os.path.join(HERE, "talosconfig")

NS_AND_DEPLOY = """\
apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
"""

POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: default, namespace: metallb-system}
spec: {addresses: ["127.0.0.200-127.0.0.220"]}
"""


class SimCase(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="gw-sim-")
        self.tmp = tempfile.mkdtemp(prefix="gw-sim-files-")
        self.env = dict(os.environ, GROUNDWORK_SIM_STATE=self.state)
        self.pids = []

    def tearDown(self):
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(self.state, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- helpers
    def run_tool(self, tool, *args, stdin=None, timeout=20, env=None):
        return subprocess.run([os.path.join(BIN, tool)] + list(args), input=stdin, capture_output=True,
                              text=True, timeout=timeout, env=env or self.env)

    def ok(self, tool, *args, **kw):
        r = self.run_tool(tool, *args, **kw)
        self.assertEqual(r.returncode, 0, "%s %s failed (%d):\n%s%s" % (tool, args, r.returncode, r.stdout, r.stderr))
        return r

    def k(self, *args, **kw):
        return self.run_tool("kubectl", "--kubeconfig", KUBECONFIG, "--context", "sim", *args, **kw)

    def kok(self, *args, **kw):
        return self.ok("kubectl", "--kubeconfig", KUBECONFIG, "--context", "sim", *args, **kw)

    def write(self, name, text):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def config(self, text):
        with open(os.path.join(self.state, "config.yaml"), "w") as f:
            f.write(text)

    def faults(self, text):
        with open(os.path.join(self.state, "faults.yaml"), "w") as f:
            f.write(text)

    def calls(self):
        with open(os.path.join(self.state, "calls.jsonl")) as f:
            return [json.loads(line) for line in f]

    def get_json(self, *args):
        return json.loads(self.kok("get", *args, "-o", "json").stdout)


class TestBasics(SimCase):
    def test_state_dir_required(self):
        env = dict(os.environ)
        env.pop("GROUNDWORK_SIM_STATE", None)
        for tool in ("kubectl", "helm", "talosctl", "velero", "flux"):
            r = self.run_tool(tool, "version", env=env)
            self.assertEqual(r.returncode, 2, tool)
            self.assertIn("GROUNDWORK_SIM_STATE", r.stderr)

    def test_state_dir_created(self):
        sub = os.path.join(self.state, "a", "b")
        env = dict(self.env, GROUNDWORK_SIM_STATE=sub)
        self.assertEqual(self.run_tool("kubectl", "get", "ns", env=env).returncode, 0)
        self.assertTrue(os.path.exists(os.path.join(sub, "state.json")))

    def test_help_and_version_say_simulation(self):
        for tool in ("kubectl", "helm", "talosctl", "velero", "flux"):
            self.assertIn("SIMULATION", self.ok(tool, "--help").stdout, tool)
        self.assertIn("SIMULATION", self.kok("version").stdout)
        self.assertIn("simulation", self.ok("helm", "version", "--short").stdout)
        self.assertIn("SIMULATION", self.ok("helm", "version").stdout)
        self.assertIn("SIMULATION", self.ok("talosctl", "version", "--client").stdout)
        self.assertIn("SIMULATION", self.ok("velero", "version", "--client-only").stdout)
        self.assertIn("SIMULATION", self.ok("flux", "version", "--client").stdout)

    def test_unknown_flags_are_usage_errors(self):
        r = self.k("get", "ns", "--bogus")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown flag: --bogus", r.stderr)
        r = self.run_tool("helm", "list", "--nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown flag: --nope", r.stderr)
        r = self.run_tool("talosctl", "--nodes", "127.0.0.11", "version", "--zzz")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown flag", r.stderr)
        r = self.run_tool("velero", "backup", "get", "--what")
        self.assertEqual(r.returncode, 1)

    def test_kubeconfig_and_context_checked(self):
        r = self.run_tool("kubectl", "--kubeconfig", "/nonexistent/kc", "get", "ns")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no such file", r.stderr)
        r = self.run_tool("kubectl", "--kubeconfig", KUBECONFIG, "--context", "other", "get", "ns")
        self.assertEqual(r.returncode, 1)
        self.assertIn("context was not found", r.stderr)
        r = self.run_tool("helm", "list", "--kube-context", "other", "--kubeconfig", KUBECONFIG)
        self.assertEqual(r.returncode, 1)
        self.assertIn('context "other" does not exist', r.stderr)

    def test_fast(self):
        self.kok("get", "ns")  # warm the bytecode cache
        times = []
        for _ in range(5):
            t = time.time()
            self.kok("get", "ns", "-o", "json")
            times.append(time.time() - t)
        times.sort()
        self.assertLess(times[2], 0.5, times)  # typically ~40 ms; loose for busy CI machines


class TestKubectl(SimCase):
    def test_apply_and_get_json(self):
        f = self.write("m.yaml", NS_AND_DEPLOY)
        r = self.kok("apply", "-f", f)
        self.assertEqual(r.stdout.splitlines(), ["namespace/demo created", "deployment.apps/web created"])
        d = self.get_json("deployment", "web", "-n", "demo")
        self.assertEqual(d["kind"], "Deployment")
        self.assertEqual(d["metadata"]["namespace"], "demo")
        self.assertEqual(d["metadata"]["generation"], 1)
        self.assertEqual(d["spec"]["replicas"], 2)
        self.assertIn("uid", d["metadata"])
        r = self.kok("apply", "-f", f)
        self.assertEqual(r.stdout.splitlines(), ["namespace/demo unchanged", "deployment.apps/web unchanged"])
        self.write("m.yaml", NS_AND_DEPLOY.replace("replicas: 2", "replicas: 3"))
        r = self.kok("apply", "--server-side", "-f", f)
        self.assertIn("deployment.apps/web serverside-applied", r.stdout)
        d = self.get_json("deploy/web", "-n", "demo")
        self.assertEqual(d["metadata"]["generation"], 2)
        self.assertEqual(d["spec"]["replicas"], 3)
        # list forms and resource spellings
        for res in ("deployments", "deployment", "deploy", "deployments.apps", "deployment.apps"):
            lst = self.get_json(res, "-n", "demo")
            self.assertEqual(lst["kind"], "List")
            self.assertEqual([i["metadata"]["name"] for i in lst["items"]], ["web"], res)
        allns = self.get_json("deploy", "-A")
        self.assertEqual(len(allns["items"]), 1)
        self.assertEqual(self.kok("get", "ns", "demo", "-o", "name").stdout.strip(), "namespace/demo")
        y = self.kok("get", "deploy", "web", "-n", "demo", "-o", "yaml").stdout
        self.assertIn("kind: Deployment", y)

    def test_apply_multiple_files_and_stdin(self):
        f1 = self.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
        f2 = self.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n")
        r = self.kok("apply", "-f", f1, "-n", "a", "-f", f2)
        self.assertEqual(r.stdout.splitlines(), ["namespace/a created", "configmap/c created"])
        self.assertEqual(self.get_json("cm", "c", "-n", "a")["data"], {"k": "v"})
        r = self.kok("apply", "-f", "-", stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d, namespace: a}\n")
        self.assertEqual(r.stdout.strip(), "configmap/d created")

    def test_dry_run_server_does_not_store(self):
        f = self.write("m.yaml", NS_AND_DEPLOY)
        r = self.k("apply", "--dry-run=server", "-f", f)
        # like the real server: the dry-run namespace does not exist for the next object
        self.assertEqual(r.returncode, 1)
        self.assertIn("namespace/demo created (server dry run)", r.stdout)
        self.assertIn('namespaces "demo" not found', r.stderr)
        r = self.k("get", "ns", "demo")
        self.assertEqual(r.returncode, 1)
        self.kok("create", "ns", "demo")
        r = self.kok("apply", "--dry-run=server", "-f", f)
        self.assertIn("deployment.apps/web created (server dry run)", r.stdout)
        self.assertEqual(self.k("get", "deploy", "web", "-n", "demo").returncode, 1)
        bad = self.write("bad.yaml", "metadata: {name: x}\n")
        r = self.k("apply", "--dry-run=server", "-f", bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("apiVersion not set", r.stderr)

    def test_not_found(self):
        r = self.k("get", "deployment", "nope", "-n", "default")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(), 'Error from server (NotFound): deployments.apps "nope" not found')
        self.assertEqual(r.stdout, "")
        r = self.k("get", "ns/ghost")
        self.assertEqual(r.stderr.strip(), 'Error from server (NotFound): namespaces "ghost" not found')
        r = self.k("get", "crd/ipaddresspools.metallb.io")
        self.assertEqual(r.returncode, 1)
        self.assertIn('customresourcedefinitions.apiextensions.k8s.io "ipaddresspools.metallb.io" not found', r.stderr)
        self.assertEqual(self.k("get", "deploy", "nope", "--ignore-not-found").returncode, 0)
        r = self.k("get", "widgets")
        self.assertEqual(r.returncode, 1)
        self.assertIn('the server doesn\'t have a resource type "widgets"', r.stderr)

    def test_namespace_must_exist(self):
        f = self.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: missing}\n")
        r = self.k("apply", "-f", f)
        self.assertEqual(r.returncode, 1)
        self.assertIn('namespaces "missing" not found', r.stderr)
        self.kok("create", "namespace", "missing")
        self.kok("apply", "-f", f)
        r = self.k("create", "namespace", "missing")
        self.assertEqual(r.returncode, 1)
        self.assertIn("AlreadyExists", r.stderr)

    def test_namespace_mismatch(self):
        f = self.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: kube-system}\n")
        r = self.k("apply", "-n", "default", "-f", f)
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not match the namespace", r.stderr)

    def test_delete(self):
        f = self.write("m.yaml", NS_AND_DEPLOY)
        self.kok("apply", "-f", f)
        r = self.kok("delete", "deployment", "web", "-n", "demo")
        self.assertEqual(r.stdout.strip(), 'deployment.apps "web" deleted')
        r = self.k("delete", "deployment", "web", "-n", "demo")
        self.assertEqual(r.returncode, 1)
        self.assertIn('deployments.apps "web" not found', r.stderr)
        self.kok("delete", "deployment", "web", "-n", "demo", "--ignore-not-found")
        r = self.kok("delete", "--ignore-not-found", "-f", f)
        self.assertIn('namespace "demo" deleted', r.stdout)
        self.assertEqual(self.k("get", "ns", "demo").returncode, 1)

    def test_namespace_delete_cascades(self):
        self.kok("apply", "-f", self.write("m.yaml", NS_AND_DEPLOY))
        self.kok("delete", "ns", "demo")
        self.kok("create", "ns", "demo")
        self.assertEqual(self.get_json("deploy", "-n", "demo")["items"], [])

    def test_label_annotate_patch(self):
        self.kok("create", "namespace", "x")
        self.assertEqual(self.kok("label", "namespace", "x", "a=b").stdout.strip(), "namespace/x labeled")
        r = self.k("label", "namespace", "x", "a=c")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--overwrite is false", r.stderr)
        self.kok("label", "namespace", "x", "a=c", "--overwrite")
        self.kok("annotate", "ns/x", "note=hi")
        md = self.get_json("ns", "x")["metadata"]
        self.assertEqual(md["labels"]["a"], "c")
        self.assertEqual(md["annotations"]["note"], "hi")
        self.kok("label", "namespace", "x", "a-")
        self.assertNotIn("a", self.get_json("ns", "x")["metadata"]["labels"])
        self.kok("patch", "namespace", "x", "--type", "merge", "-p", '{"metadata":{"labels":{"p":"q"}}}')
        self.assertEqual(self.get_json("ns", "x")["metadata"]["labels"]["p"], "q")
        # labels set out of band survive a re-apply
        f = self.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {own: 'yes'}}\n")
        self.kok("apply", "-f", f)
        labels = self.get_json("ns", "x")["metadata"]["labels"]
        self.assertEqual((labels["own"], labels["p"]), ("yes", "q"))

    def test_jsonpath(self):
        self.kok("apply", "-f", self.write("m.yaml", NS_AND_DEPLOY))
        jp = lambda *a: self.kok("get", *a).stdout  # noqa: E731
        self.assertEqual(jp("ns", "-o", "jsonpath={.items[*].metadata.name}"),
                         "default demo kube-node-lease kube-public kube-system")
        self.assertEqual(jp("deploy", "web", "-n", "demo", "-o", "jsonpath={.spec.template.spec.containers[0].image}"), "nginx")
        self.assertEqual(jp("deploy", "web", "-n", "demo", "-o", "jsonpath={.spec.template.spec.containers[*].name}"), "web")
        self.assertEqual(jp("deploy", "-n", "demo", "-o", "jsonpath={.items[0].metadata.labels.app}"), "web")
        self.assertEqual(jp("ns", "demo", "-o", r"jsonpath={.metadata.labels.kubernetes\.io/metadata\.name}"), "demo")
        self.assertEqual(jp("ns", "-o", 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}').splitlines()[1], "demo")
        self.assertEqual(jp("ns", "demo", "-o", "jsonpath={.metadata.nothing}"), "")
        self.assertEqual(jp("ns", "demo", "-o", "jsonpath={.status.phase}"), "Active")
        self.kok("get", "deploy", "web", "-n", "demo")
        self.assertEqual(jp("deploy", "web", "-n", "demo", "-o",
                            'jsonpath={.status.conditions[?(@.type=="Available")].status}'), "True")
        self.assertEqual(jp("deploy", "-n", "demo", "-o", "jsonpath={.items[?(@.spec.replicas>1)].metadata.name}"), "web")

    def test_readiness_after_polls(self):
        self.config("readyAfterPolls: 3\n")
        self.kok("apply", "-f", self.write("m.yaml", NS_AND_DEPLOY))
        seen = []
        for _ in range(4):
            st = self.get_json("deploy", "web", "-n", "demo")["status"]
            seen.append((st.get("updatedReplicas", 0), st.get("readyReplicas", 0),
                         [c["status"] for c in st["conditions"] if c["type"] == "Available"][0]))
        self.assertEqual(seen[0], (0, 0, "False"))
        self.assertEqual(seen[1][2], "False")
        self.assertEqual(seen[2], (2, 2, "True"))
        self.assertEqual(seen[3], (2, 2, "True"))
        st = self.get_json("deploy", "web", "-n", "demo")["status"]
        self.assertEqual((st["observedGeneration"], st["replicas"], st["availableReplicas"]), (1, 2, 2))
        # a spec change starts a new rollout
        self.kok("apply", "-f", self.write("m.yaml", NS_AND_DEPLOY.replace("image: nginx", "image: nginx:2")))
        st = self.get_json("deploy", "web", "-n", "demo")["status"]
        self.assertEqual(st["observedGeneration"], 2)
        self.assertNotEqual(st.get("updatedReplicas"), 2)

    def test_daemonset_statefulset_pods(self):
        self.config("readyAfterPolls: 2\n")
        m = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: a, image: x}]}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: x}]}}
"""
        self.kok("apply", "-f", self.write("w.yaml", m))
        ds = self.get_json("ds", "agent")["status"]
        self.assertEqual((ds["desiredNumberScheduled"], ds["numberReady"]), (1, 0))
        ds = self.get_json("daemonset", "agent")["status"]
        self.assertEqual((ds["desiredNumberScheduled"], ds["numberReady"], ds["numberAvailable"]), (1, 1, 1))
        self.get_json("sts", "db")
        st = self.get_json("statefulsets.apps", "db")["status"]
        self.assertEqual(st["readyReplicas"], 2)
        pods = self.get_json("pods", "-l", "app=db")["items"]
        self.assertEqual([p["metadata"]["name"] for p in pods], ["db-0", "db-1"])
        self.assertTrue(all(p["status"]["phase"] == "Running" for p in pods))
        r = self.kok("wait", "--for=condition=Ready", "pod", "-l", "app=db", "--timeout=30s")
        self.assertIn("pod/db-0 condition met", r.stdout)

    def test_rollout_status_and_wait(self):
        self.config("readyAfterPolls: 3\n")
        self.kok("apply", "-f", self.write("m.yaml", NS_AND_DEPLOY))
        r = self.kok("rollout", "status", "deployment/web", "-n", "demo", "--timeout=60s")
        self.assertIn('deployment "web" successfully rolled out', r.stdout)
        self.assertIn("Waiting for", r.stdout)
        r = self.kok("wait", "--for=condition=Available", "deployment/web", "-n", "demo", "--timeout=10s")
        self.assertEqual(r.stdout.strip(), "deployment.apps/web condition met")
        r = self.k("rollout", "status", "deployment/none", "-n", "demo")
        self.assertEqual(r.returncode, 1)
        self.assertIn("NotFound", r.stderr)

    def test_never_ready_times_out(self):
        self.config("maxWaitSeconds: 0.3\n")
        m = NS_AND_DEPLOY.replace("labels: {app: web}}\nspec:",
                                  "labels: {app: web}, annotations: {sim.groundwork/ready-after-polls: never}}\nspec:")
        self.kok("apply", "-f", self.write("m.yaml", m))
        t = time.time()
        r = self.k("rollout", "status", "deployment/web", "-n", "demo", "--timeout=5m")
        self.assertEqual(r.returncode, 1)
        self.assertIn("timed out", r.stderr)
        self.assertLess(time.time() - t, 5)
        r = self.k("wait", "--for=condition=Available", "deploy/web", "-n", "demo", "--timeout=1s")
        self.assertEqual(r.returncode, 1)
        self.assertIn("timed out waiting for the condition on deployments/web", r.stderr)

    def test_crd_established_after_polls(self):
        crd = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  versions: [{name: v1, served: true, storage: true}]
"""
        self.kok("apply", "-f", self.write("crd.yaml", crd))
        path = 'jsonpath={.status.conditions[?(@.type=="Established")].status}'
        self.assertEqual(self.kok("get", "crd/widgets.example.com", "-o", path).stdout, "False")
        self.assertEqual(self.kok("get", "crd", "widgets.example.com", "-o", path).stdout, "True")
        self.kok("apply", "-f", self.write("w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: default}\n"))
        for res in ("widgets", "widget", "wd", "widgets.example.com", "widget.example.com/w1"):
            self.assertIn("w1", self.kok("get", res, "-o", "name").stdout, res)
        self.assertEqual(self.kok("get", "widgets", "-o", "name").stdout.strip(), "widget.example.com/w1")

    def test_require_crds(self):
        self.config("requireCRDs: true\n")
        self.kok("create", "ns", "metallb-system")
        r = self.k("apply", "-f", self.write("pool.yaml", POOL))
        self.assertEqual(r.returncode, 1)
        self.assertIn('no matches for kind "IPAddressPool" in version "metallb.io/v1beta1"', r.stderr)
        self.assertIn("ensure CRDs are installed first", r.stderr)

    def test_lb_allocation(self):
        svc = """\
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: pinned, namespace: default, annotations: {metallb.io/loadBalancerIPs: 127.0.0.210}}
spec: {type: LoadBalancer, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: c, namespace: default}
spec: {type: ClusterIP, ports: [{port: 80}]}
"""
        self.kok("apply", "-f", self.write("svc.yaml", svc))
        ip = "jsonpath={.status.loadBalancer.ingress[0].ip}"
        self.assertEqual(self.kok("get", "svc", "a", "-o", ip).stdout, "")
        self.assertIn("<pending>", self.kok("get", "svc", "a").stdout)
        self.kok("create", "ns", "metallb-system")
        self.kok("apply", "-f", self.write("pool.yaml", POOL))
        self.assertEqual(self.kok("get", "svc", "a", "-o", ip).stdout, "127.0.0.200")
        self.assertEqual(self.kok("get", "svc", "pinned", "-o", ip).stdout, "127.0.0.210")
        self.assertEqual(self.kok("get", "svc", "c", "-o", ip).stdout, "")
        # stable, and the next service gets the next address
        self.assertEqual(self.kok("get", "svc", "a", "-o", ip).stdout, "127.0.0.200")
        self.kok("apply", "-f", self.write("b.yaml", svc.split("---")[0].replace("name: a", "name: b")))
        self.assertEqual(self.kok("get", "svc", "b", "-o", ip).stdout, "127.0.0.201")

    def test_pvc_binds_with_consumer(self):
        pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: default}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"
        pod = """\
apiVersion: v1
kind: Pod
metadata: {name: user, namespace: default}
spec:
  containers: [{name: c, image: x, volumeMounts: [{name: d, mountPath: /d}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
"""
        self.kok("apply", "-f", self.write("pvc.yaml", pvc))
        phase = "jsonpath={.status.phase}"
        self.assertEqual(self.kok("get", "pvc", "data", "-o", phase).stdout, "Pending")
        self.assertEqual(self.kok("get", "pvc", "data", "-o", phase).stdout, "Pending")
        self.kok("apply", "-f", self.write("pod.yaml", pod))
        self.assertEqual(self.kok("get", "pvc/data", "-o", phase).stdout, "Bound")
        self.assertEqual(self.kok("get", "persistentvolumeclaims", "data", "-o", "jsonpath={.status.capacity.storage}").stdout, "1Gi")
        self.kok("get", "pod", "user")
        self.assertEqual(self.kok("get", "pod", "user", "-o", phase).stdout, "Running")

    def test_cert_manager_argo_flux_readiness(self):
        m = """\
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: platform}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: cert, namespace: default}
spec: {secretName: cert-tls, issuerRef: {name: platform, kind: ClusterIssuer}, dnsNames: [a.sim.lan]}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: root, namespace: default}
spec: {project: default}
"""
        self.kok("apply", "-f", self.write("m.yaml", m))
        ready = 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'
        self.assertEqual(self.kok("get", "clusterissuer", "platform", "-o", ready).stdout, "False")
        self.assertEqual(self.kok("get", "clusterissuer", "platform", "-o", ready).stdout, "True")
        self.kok("get", "certificate", "cert")
        self.assertEqual(self.kok("get", "certificates.cert-manager.io", "cert", "-o", ready).stdout, "True")
        self.assertEqual(self.kok("get", "secret", "cert-tls", "-o", "jsonpath={.type}").stdout, "kubernetes.io/tls")
        self.kok("get", "application.argoproj.io/root")
        out = self.kok("get", "applications.argoproj.io", "-o", "jsonpath={.items[*].status.sync.status} {.items[*].status.health.status}").stdout
        self.assertEqual(out, "Synced Healthy")

    def test_webhook_refuses_until_backend_ready(self):
        self.config("readyAfterPolls: 2\n")
        self.ok("helm", "upgrade", "--install", "metallb", "metallb", "--repo", "https://metallb.github.io/metallb",
                "--namespace", "metallb-system", "--create-namespace")
        pool = self.write("pool.yaml", POOL)
        r = self.k("apply", "-f", pool)
        self.assertEqual(r.returncode, 1)
        self.assertIn('failed calling webhook "ipaddresspoolvalidationwebhook.metallb.io"', r.stderr)
        r = self.k("apply", "-f", pool)
        self.assertEqual(r.returncode, 1)
        self.kok("apply", "-f", pool)

    def test_diff_exit_codes_and_unified_output(self):
        f = self.write("app.yaml", NS_AND_DEPLOY)
        r = self.k("diff", "-f", f)
        self.assertEqual(r.returncode, 1, r.stderr)  # new objects: differences
        self.assertRegex(r.stdout, r"diff -u -N \S*/LIVE-\w+/v1\.Namespace\.\.demo \S*/MERGED-\w+/v1\.Namespace\.\.demo")
        self.assertIn("MERGED-", r.stdout)
        self.assertIn("/apps.v1.Deployment.demo.web", r.stdout)
        self.assertIn("+  replicas: 2", r.stdout)
        self.assertEqual(self.k("get", "ns", "demo").returncode, 1)  # nothing was stored
        self.kok("apply", "-f", f)
        r = self.k("diff", "-f", f)
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        r = self.k("diff", "-f", "-", stdin=NS_AND_DEPLOY.replace("replicas: 2", "replicas: 3"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("-  replicas: 2", r.stdout)
        self.assertIn("+  replicas: 3", r.stdout)
        self.assertIn("--- ", r.stdout)
        self.assertIn("+++ ", r.stdout)
        self.assertEqual(self.get_json("deploy", "web", "-n", "demo")["spec"]["replicas"], 2)
        r = self.k("diff")
        self.assertEqual(r.returncode, 2)
        self.assertIn("must specify one of -f and -k", r.stderr)

    def test_diff_masks_secret_data(self):
        sec = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: default}\ndata: {a: %s, b: YmI=}\n"
        self.kok("apply", "-f", self.write("s.yaml", sec % "YWE="))
        r = self.k("diff", "-f", self.write("s2.yaml", sec % "Y2M="))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("*** (before)", r.stdout)
        self.assertIn("*** (after)", r.stdout)
        self.assertNotIn("YWE=", r.stdout)
        self.assertNotIn("Y2M=", r.stdout)

    def test_diff_missing_namespace(self):
        r = self.k("diff", "-f", self.write("d.yaml", NS_AND_DEPLOY.split("---\n")[1]))
        self.assertEqual(r.returncode, 2)
        self.assertIn('namespaces "demo" not found', r.stderr)

    def test_version_knob(self):
        with open(os.path.join(self.state, "config.yaml"), "w") as fh:
            fh.write("kubernetesVersion: v1.34.1\n")
        v = json.loads(self.kok("version", "-o", "json").stdout)
        self.assertEqual(v["serverVersion"]["gitVersion"], "v1.34.1")

    def test_version_cluster_info_raw(self):
        v = json.loads(self.kok("version", "-o", "json").stdout)
        self.assertIn("clientVersion", v)
        self.assertIn("serverVersion", v)
        self.assertIn("Kubernetes control plane is running", self.kok("cluster-info").stdout)
        raw = self.kok("get", "--raw", "/version").stdout
        self.assertRegex(raw, r'"minor": *"31"')
        self.config("apiDown: true\n")
        r = self.k("get", "ns")
        self.assertEqual(r.returncode, 1)
        self.assertIn("connection to the server 127.0.0.1:6443 was refused", r.stderr)

    def test_remote_kustomization_standin(self):
        r = self.kok("apply", "--server-side", "--force-conflicts", "-k",
                     "https://github.com/traefik/traefik-helm-chart//traefik/crds?ref=v37.3.0")
        self.assertIn("customresourcedefinition.apiextensions.k8s.io/ingressroutes.traefik.io serverside-applied", r.stdout)
        r = self.k("apply", "-f", "https://example.invalid/x.yaml")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no network", r.stderr)


class TestHelm(SimCase):
    def helm(self, *args):
        return self.ok("helm", *args, "--kube-context", "sim", "--kubeconfig", KUBECONFIG)

    def test_install_creates_chart_objects(self):
        vals = self.write("v.yaml", "controller: {logLevel: info}\nspeaker: {frr: {enabled: false}}\n")
        vals2 = self.write("v2.yaml", "speaker: {logLevel: debug}\n")
        r = self.helm("upgrade", "--install", "metallb", "metallb", "--repo", "https://metallb.github.io/metallb",
                      "--version", "0.15.3", "--namespace", "metallb-system", "--create-namespace",
                      "-f", vals, "-f", vals2, "--wait", "--timeout", "10m")
        self.assertIn("STATUS: deployed", r.stdout)
        self.assertIn("REVISION: 1", r.stdout)
        d = self.get_json("deploy", "metallb-controller", "-n", "metallb-system")
        self.assertEqual(d["metadata"]["annotations"]["meta.helm.sh/release-name"], "metallb")
        self.assertEqual(d["status"]["readyReplicas"], 1)  # --wait: ready right away
        self.get_json("ds", "metallb-speaker", "-n", "metallb-system")
        self.get_json("crd", "ipaddresspools.metallb.io")
        rel = json.loads(self.helm("list", "-A", "-o", "json").stdout)
        self.assertEqual(rel[0]["name"], "metallb")
        self.assertEqual(rel[0]["chart"], "metallb-0.15.3")
        self.assertEqual(rel[0]["revision"], "1")
        self.assertEqual(rel[0]["status"], "deployed")
        values = json.loads(self.helm("get", "values", "metallb", "-n", "metallb-system", "-o", "json").stdout)
        self.assertEqual(values, {"controller": {"logLevel": "info"}, "speaker": {"frr": {"enabled": False}, "logLevel": "debug"}})
        r = self.helm("upgrade", "--install", "metallb", "metallb", "--repo", "https://metallb.github.io/metallb",
                      "--namespace", "metallb-system")
        self.assertIn('Release "metallb" has been upgraded', r.stdout)
        self.assertIn("REVISION: 2", r.stdout)
        self.assertIn("STATUS: deployed", self.helm("status", "metallb", "-n", "metallb-system").stdout)
        self.assertEqual(self.helm("uninstall", "metallb", "-n", "metallb-system").stdout.strip(), 'release "metallb" uninstalled')
        self.assertEqual(self.k("get", "deploy", "metallb-controller", "-n", "metallb-system").returncode, 1)
        self.assertEqual(json.loads(self.helm("list", "-A", "-o", "json").stdout), [])

    def test_template_pipes_into_diff(self):
        vals = self.write("t.yaml", "deployment: {replicas: 1}\n")
        self.helm("upgrade", "--install", "traefik", "traefik", "--repo", "https://traefik.github.io/charts",
                  "-n", "traefik", "--create-namespace", "-f", vals)
        t = self.ok("helm", "template", "traefik", "traefik", "--repo", "https://traefik.github.io/charts",
                    "--namespace", "traefik", "-f", vals).stdout
        r = self.k("--namespace", "traefik", "diff", "-f", "-", stdin=t)
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        vals2 = self.write("t2.yaml", "deployment: {replicas: 2}\n")
        t = self.ok("helm", "template", "traefik", "traefik", "--repo", "https://traefik.github.io/charts",
                    "--namespace", "traefik", "-f", vals2).stdout
        r = self.k("--namespace", "traefik", "diff", "-f", "-", stdin=t)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("-  replicas: 1", r.stdout)
        self.assertIn("+  replicas: 2", r.stdout)
        self.assertEqual(self.ok("helm", "plugin", "list").stdout.split(), ["NAME", "VERSION", "DESCRIPTION"])
        self.assertIn('unknown command "diff"', self.run_tool("helm", "diff", "upgrade", "traefik", "traefik").stderr)

    def test_diff_plugin(self):
        with open(os.path.join(self.state, "config.yaml"), "w") as fh:
            fh.write("helmPlugins: [diff]\n")
        self.assertIn("diff", self.ok("helm", "plugin", "list").stdout.splitlines()[1])
        vals = self.write("t.yaml", "deployment: {replicas: 1}\n")
        args = ["traefik", "traefik", "--repo", "https://traefik.github.io/charts", "-n", "traefik"]
        r = self.run_tool("helm", "diff", "upgrade", *args, "-f", vals, "--detailed-exitcode")
        self.assertEqual(r.returncode, 1)
        self.assertIn('"traefik" has no deployed releases', r.stderr)
        r = self.run_tool("helm", "diff", "upgrade", *args, "-f", vals, "--allow-unreleased", "--detailed-exitcode",
                          "--kube-context", "sim", "--kubeconfig", KUBECONFIG)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("traefik, traefik, Deployment (apps) has been added:", r.stdout)
        self.helm("upgrade", "--install", *args, "--create-namespace", "-f", vals)
        r = self.run_tool("helm", "diff", "upgrade", *args, "-f", vals, "--allow-unreleased", "--detailed-exitcode")
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        vals2 = self.write("t2.yaml", "deployment: {replicas: 3}\n")
        r = self.run_tool("helm", "diff", "upgrade", *args, "-f", vals2, "--allow-unreleased", "--detailed-exitcode")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("traefik, traefik, Deployment (apps) has changed:", r.stdout)
        self.assertIn("-   replicas: 1", r.stdout)
        self.assertIn("+   replicas: 3", r.stdout)
        r = self.run_tool("helm", "diff", "upgrade", *args, "-f", vals2, "--allow-unreleased")
        self.assertEqual(r.returncode, 0)  # without --detailed-exitcode

    def test_unknown_chart_makes_one_deployment(self):
        self.helm("upgrade", "--install", "thing", "mycharts/thing", "--repo", "https://127.0.0.1/charts", "--namespace", "default")
        d = self.get_json("deployment", "thing")
        self.assertEqual(d["metadata"]["labels"]["app.kubernetes.io/managed-by"], "Helm")

    def test_chart_values_in_templates(self):
        vals = self.write("t.yaml", 'service:\n  annotations:\n    metallb.io/loadBalancerIPs: "127.0.0.205"\n')
        self.helm("upgrade", "--install", "traefik", "traefik", "--repo", "https://traefik.github.io/charts",
                  "-n", "traefik", "--create-namespace", "-f", vals)
        svc = self.get_json("svc", "traefik", "-n", "traefik")
        self.assertEqual(svc["metadata"]["annotations"]["metallb.io/loadBalancerIPs"], "127.0.0.205")
        self.kok("create", "ns", "metallb-system")
        self.kok("apply", "-f", self.write("pool.yaml", POOL))
        self.assertEqual(self.kok("get", "svc", "traefik", "-n", "traefik", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}").stdout,
                         "127.0.0.205")

    def test_state_dir_chart_override(self):
        os.makedirs(os.path.join(self.state, "charts"))
        with open(os.path.join(self.state, "charts", "custom.yaml"), "w") as f:
            f.write("- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: '{{release}}-cm'}\n  data: {ns: '{{namespace}}'}\n")
        self.helm("upgrade", "--install", "r1", "custom", "--repo", "https://x", "-n", "default")
        self.assertEqual(self.get_json("cm", "r1-cm")["data"], {"ns": "default"})

    def test_namespace_required_without_create(self):
        r = self.run_tool("helm", "upgrade", "--install", "x", "metallb", "--repo", "https://x", "--namespace", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn('namespaces "nope" not found', r.stderr)
        r = self.run_tool("helm", "upgrade", "x", "metallb", "--repo", "https://x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("has no deployed releases", r.stderr)
        r = self.run_tool("helm", "upgrade", "--install", "x", "nosuchrepo/metallb")
        self.assertEqual(r.returncode, 1)
        self.assertIn("repo nosuchrepo not found", r.stderr)
        self.ok("helm", "repo", "add", "nosuchrepo", "https://127.0.0.1/charts")
        self.ok("helm", "repo", "update")
        self.ok("helm", "upgrade", "--install", "x", "nosuchrepo/metallb")

    def test_wait_fails_on_pending_loadbalancer(self):
        self.config("maxWaitSeconds: 0.3\n")
        r = self.run_tool("helm", "upgrade", "--install", "traefik", "traefik", "--repo", "https://x", "-n", "traefik",
                          "--create-namespace", "--wait", "--timeout", "5m")
        self.assertEqual(r.returncode, 1)
        self.assertIn("context deadline exceeded", r.stderr)
        rel = json.loads(self.ok("helm", "list", "-A", "-o", "json").stdout)
        self.assertEqual(rel[0]["status"], "failed")


class TestTalos(SimCase):
    def t(self, *args):
        return self.run_tool("talosctl", "--talosconfig", TALOSCONFIG, "--endpoints", "127.0.0.11",
                             "--nodes", "127.0.0.11", *args)

    def test_bare_metal_bootstrap_twice(self):
        self.config("bareMetal: true\n")
        self.assertEqual(self.k("get", "ns").returncode, 1)  # no API before bootstrap
        self.assertEqual(self.t("version").returncode, 1)  # maintenance mode
        cp = os.path.join(HERE, "talos", "controlplane.yaml")
        r = self.run_tool("talosctl", "--nodes", "127.0.0.11", "apply-config", "--insecure", "--file", cp)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_tool("talosctl", "--nodes", "127.0.0.11", "apply-config", "--insecure", "--file", cp)
        self.assertEqual(r.returncode, 1)
        self.assertIn("certificate required", r.stderr)
        self.assertEqual(self.t("version").returncode, 0)
        self.assertIn("Preparing", self.t("service", "etcd").stdout)
        self.assertEqual(self.t("etcd", "status").returncode, 1)
        r = self.t("bootstrap")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.t("bootstrap")
        self.assertEqual(r.returncode, 1)
        self.assertIn("etcd data directory is not empty", r.stderr)
        self.assertIn("STATE    Running", self.t("service", "etcd").stdout)
        self.assertEqual(self.t("etcd", "status").returncode, 0)
        self.assertEqual(self.t("health", "--wait-timeout", "15m").returncode, 0)
        kc = os.path.join(self.tmp, "kubeconfig")
        self.assertEqual(self.t("kubeconfig", kc, "--force", "--force-context-name", "sim").returncode, 0)
        self.kok("get", "ns")
        nodes = self.kok("get", "nodes", "-o", 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}').stdout
        self.assertEqual(nodes, "True")
        with open(kc) as f:
            self.assertIn("127.0.0.1:6443", f.read())
        snap = os.path.join(self.tmp, "etcd.snapshot")
        r = self.t("etcd", "snapshot", snap)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("etcd snapshot saved to", r.stdout)
        self.assertTrue(os.path.getsize(snap) > 0)
        # reset forgets etcd: bootstrap works again, and can recover from the snapshot
        self.kok("create", "ns", "keepme")
        snap2 = os.path.join(self.tmp, "etcd2.snapshot")
        self.assertEqual(self.t("etcd", "snapshot", snap2).returncode, 0)
        self.assertEqual(self.t("reset", "--graceful=false").returncode, 0)
        self.assertEqual(self.run_tool("talosctl", "--nodes", "127.0.0.11", "apply-config", "--insecure", "--file", cp).returncode, 0)
        r = self.t("bootstrap", "--recover-from", snap2)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.kok("get", "ns", "keepme")

    def test_health_fails_without_bootstrap(self):
        self.config("bareMetal: true\nmaxWaitSeconds: 0.2\n")
        r = self.t("health", "--wait-timeout", "10m")
        self.assertEqual(r.returncode, 1)
        self.assertIn("healthcheck error", r.stderr)

    def test_default_cluster_is_bootstrapped(self):
        self.assertEqual(self.t("version").returncode, 0)
        self.assertEqual(self.t("etcd", "status").returncode, 0)
        r = self.t("bootstrap")
        self.assertIn("etcd data directory is not empty", r.stderr)
        # the committed kubeconfig is left untouched when it already matches
        kc = os.path.join(self.tmp, "kc")
        shutil.copy(KUBECONFIG, kc)
        self.assertEqual(self.t("kubeconfig", kc, "--force", "--force-context-name", "sim").returncode, 0)
        with open(kc) as a, open(KUBECONFIG) as b:
            self.assertEqual(a.read(), b.read())

    def test_only_loopback_nodes(self):
        r = self.run_tool("talosctl", "--nodes", "10.0.0.10", "version")
        self.assertEqual(r.returncode, 1)
        self.assertIn("only 127.0.0.0/8", r.stderr)
        r = self.run_tool("talosctl", "version")
        self.assertEqual(r.returncode, 1)
        self.assertIn("nodes are not set", r.stderr)


class TestVeleroFlux(SimCase):
    def test_velero_restore_copies_namespace(self):
        r = self.run_tool("velero", "backup", "create", "b1", "--include-namespaces", "demo", "--wait")
        self.assertEqual(r.returncode, 1)
        self.assertIn('namespaces "velero" not found', r.stderr)
        self.ok("helm", "upgrade", "--install", "velero", "velero", "--repo", "https://x", "-n", "velero",
                "--create-namespace", "--wait")
        self.kok("apply", "-f", self.write("m.yaml", NS_AND_DEPLOY))
        self.kok("apply", "-f", self.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: demo}\ndata: {a: '1'}\n"))
        r = self.ok("velero", "backup", "create", "b1", "--include-namespaces", "demo", "--wait")
        self.assertIn("Backup completed with status: Completed", r.stdout)
        b = json.loads(self.ok("velero", "backup", "get", "b1", "-o", "json").stdout)
        self.assertEqual(b["status"]["phase"], "Completed")
        # later changes are not in the backup
        self.kok("delete", "cm", "cfg", "-n", "demo")
        r = self.ok("velero", "restore", "create", "r1", "--from-backup", "b1", "--namespace-mappings", "demo:demo-drill", "--wait")
        self.assertIn("Restore completed with status: Completed", r.stdout)
        rs = json.loads(self.ok("velero", "restore", "get", "r1", "-o", "json").stdout)
        self.assertEqual(rs["status"]["phase"], "Completed")
        self.assertEqual(self.get_json("cm", "cfg", "-n", "demo-drill")["data"], {"a": "1"})
        d = self.get_json("deploy", "web", "-n", "demo-drill")
        self.assertEqual(d["metadata"]["labels"]["velero.io/restore-name"], "r1")
        self.kok("rollout", "status", "deploy/web", "-n", "demo-drill")
        r = self.run_tool("velero", "restore", "create", "r2", "--from-backup", "nope")
        self.assertEqual(r.returncode, 1)
        self.assertIn('backups.velero.io "nope" not found', r.stderr)
        self.ok("velero", "restore", "delete", "r1", "--confirm")
        self.ok("velero", "backup", "delete", "b1", "--confirm")
        self.assertEqual(self.run_tool("velero", "backup", "get", "b1").returncode, 1)

    def velero_app(self):
        """velero installed, namespace demo with a Deployment, a PVC it mounts, an Ingress, a
        Certificate and a ConfigMap, backed up as b1."""
        self.ok("helm", "upgrade", "--install", "velero", "velero", "--repo", "https://x", "-n", "velero",
                "--create-namespace", "--wait")
        self.kok("apply", "-f", self.write("m.yaml", NS_AND_DEPLOY))
        self.kok("apply", "-f", self.write("extra.yaml", """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: demo}
data: {a: '1'}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: demo}
spec: {rules: [{host: web.sim.lan}]}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: web, namespace: demo}
spec: {secretName: web-tls, issuerRef: {name: x, kind: ClusterIssuer}}
"""))
        self.ok("velero", "backup", "create", "b1", "--include-namespaces", "demo", "--wait")

    def test_velero_restore_filters_and_get(self):
        self.velero_app()
        r = self.ok("velero", "restore", "create", "r1", "--from-backup", "b1", "--namespace-mappings", "demo:demo-drill",
                    "--exclude-resources", "ingresses,certificates.cert-manager.io", "--labels", "gw=drill", "-w")
        self.assertIn("Restore completed with status: Completed.", r.stdout)
        self.assertEqual(self.k("get", "ingress", "web", "-n", "demo-drill").returncode, 1)
        self.assertEqual(self.k("get", "certificates.cert-manager.io", "web", "-n", "demo-drill").returncode, 1)
        self.kok("get", "cm", "cfg", "-n", "demo-drill")
        rs = json.loads(self.ok("velero", "restore", "get", "-l", "gw=drill", "-o", "json").stdout)
        self.assertEqual(rs["kind"], "Restore")  # a list of one prints that one (upstream)
        self.assertEqual(rs["spec"]["excludedResources"], ["ingresses", "certificates.cert-manager.io"])
        self.assertNotIn("errors", rs["status"])  # omitempty counts
        self.assertEqual(rs["status"]["progress"]["itemsRestored"], 3)  # ns, deploy, cm; not ing/cert
        # in place: everything exists already: warnings, still Completed
        r = self.ok("velero", "restore", "create", "r2", "--from-backup", "b1", "--include-namespaces", "demo", "--wait")
        self.assertIn("status: Completed", r.stdout)
        rs = json.loads(self.ok("velero", "restore", "get", "-o", "json").stdout)
        self.assertEqual(rs["kind"], "RestoreList")
        r2 = [i for i in rs["items"] if i["metadata"]["name"] == "r2"][0]
        self.assertGreater(r2["status"]["warnings"], 0)
        d = self.ok("velero", "restore", "describe", "r1").stdout
        self.assertIn("Namespace mappings:  demo=demo-drill", d)
        self.assertIn("Excluded:        ingresses, certificates.cert-manager.io", d)
        r = self.run_tool("velero", "restore", "create", "r3", "--from-backup", "b1", "--existing-resource-policy", "x")
        self.assertIn("accepts only none, update", r.stderr)
        # delete: asks without --confirm (EOF: nothing deleted, exit 0), by selector with it
        r = self.ok("velero", "restore", "delete", "r1", stdin="")
        self.ok("velero", "restore", "get", "r1")
        r = self.ok("velero", "restore", "delete", "--selector", "gw=drill", "--confirm")
        self.assertIn('Request to delete restore "r1" submitted successfully.', r.stdout)
        self.assertEqual(self.run_tool("velero", "restore", "get", "r1").returncode, 1)
        self.assertIn("No restores found", self.ok("velero", "restore", "delete", "--selector", "gw=drill", "--confirm").stdout)
        r = self.run_tool("velero", "restore", "delete", "nope", "--confirm")
        self.assertEqual(r.returncode, 1)
        self.assertIn('restores.velero.io "nope" not found', r.stderr)

    def test_velero_restore_faults(self):
        self.velero_app()
        self.faults("""\
- {tool: velero, match: "restore create pf", action: velero-restore, phase: PartiallyFailed, errors: 2, warnings: 1}
- {tool: velero, match: "restore create failed", action: velero-restore, phase: Failed, failureReason: "boom"}
- {tool: velero, match: "restore create fv", action: velero-restore, phase: FailedValidation}
- {tool: velero, match: "restore create stuck", action: velero-restore, phase: InProgress}
- {tool: velero, match: "restore create unready", action: velero-restore, unready: true}
""")
        for name, phase in (("pf", "PartiallyFailed"), ("failed", "Failed"), ("fv", "FailedValidation")):
            r = self.ok("velero", "restore", "create", name, "--from-backup", "b1", "--namespace-mappings", "demo:" + name, "--wait")
            self.assertIn("Restore completed with status: %s." % phase, r.stdout)  # exit 0 whatever the phase
        st = json.loads(self.ok("velero", "restore", "get", "pf", "-o", "json").stdout)["status"]
        self.assertEqual((st["phase"], st["errors"], st["warnings"]), ("PartiallyFailed", 2, 1))
        self.assertIn("velero restore logs pf", self.ok("velero", "restore", "describe", "pf").stdout)
        st = json.loads(self.ok("velero", "restore", "get", "failed", "-o", "json").stdout)["status"]
        self.assertEqual(st["failureReason"], "boom")
        self.assertEqual(self.k("get", "ns", "failed").returncode, 1)
        # never finishes: --wait waits like the real one (no timeout of its own)
        with self.assertRaises(subprocess.TimeoutExpired):
            self.run_tool("velero", "restore", "create", "stuck", "--from-backup", "b1", "--wait", timeout=3)
        st = json.loads(self.ok("velero", "restore", "get", "stuck", "-o", "json").stdout)["status"]
        self.assertEqual(st["phase"], "InProgress")
        self.assertNotIn("completionTimestamp", st)
        # restored workloads that never become ready (a verify fails)
        self.ok("velero", "restore", "create", "unready", "--from-backup", "b1", "--namespace-mappings", "demo:u", "--wait")
        r = self.k("rollout", "status", "deployment/web", "-n", "u", "--timeout", "1s")
        self.assertNotEqual(r.returncode, 0)

    def test_velero_bucket_shared_by_clusters(self):
        bucket = os.path.join(self.tmp, "bucket.json")
        self.config("veleroBucket: %s\n" % bucket)
        self.velero_app()
        self.assertIn("b1", json.load(open(bucket))["backups"])
        # a new cluster on the same bucket: the Backup appears once its velero server runs
        other = tempfile.mkdtemp(prefix="gw-sim-")
        self.addCleanup(shutil.rmtree, other, True)
        with open(os.path.join(other, "config.yaml"), "w") as f:
            f.write("veleroBucket: %s\n" % bucket)
        self.env = dict(self.env, GROUNDWORK_SIM_STATE=other)
        self.ok("helm", "upgrade", "--install", "velero", "velero", "--repo", "https://x", "-n", "velero",
                "--create-namespace", "--wait")
        b = json.loads(self.ok("velero", "backup", "get", "-o", "json").stdout)
        self.assertEqual((b["metadata"]["name"], b["status"]["phase"]), ("b1", "Completed"))
        self.ok("velero", "restore", "create", "r1", "--from-backup", "b1", "--wait")
        self.kok("rollout", "status", "deployment/web", "-n", "demo")

    def test_velero_bsl_available(self):
        self.ok("helm", "upgrade", "--install", "velero", "velero", "--repo", "https://x", "-n", "velero",
                "--create-namespace", "--wait")
        r = self.kok("get", "backupstoragelocations.velero.io", "default", "-n", "velero", "-o", "jsonpath={.status.phase}")
        self.assertEqual(r.stdout, "Available")

    def test_flux_bootstrap(self):
        r = self.ok("flux", "check", "--pre", "--kubeconfig", KUBECONFIG, "--context", "sim")
        self.assertIn("prerequisites checks passed", r.stderr)
        self.ok("flux", "bootstrap", "git", "--kubeconfig", KUBECONFIG, "--context", "sim",
                "--url=ssh://git@127.0.0.1/fleet.git", "--branch=main", "--path=clusters/sim",
                "--private-key-file=/dev/null", "--silent")
        ready = 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'
        self.assertEqual(self.kok("get", "kustomization.kustomize.toolkit.fluxcd.io/flux-system", "-n", "flux-system",
                                  "-o", ready).stdout, "True")
        self.kok("rollout", "status", "deployment/source-controller", "-n", "flux-system")
        self.ok("flux", "check")


class TestFaults(SimCase):
    def test_fail_nth(self):
        self.faults('- {tool: kubectl, match: "get ns", nth: 2, action: fail, exit: 3, stderr: "boom"}\n')
        self.assertEqual(self.k("get", "ns").returncode, 0)
        r = self.k("get", "ns")
        self.assertEqual((r.returncode, r.stderr.strip()), (3, "boom"))
        self.assertEqual(self.k("get", "ns").returncode, 0)
        self.assertEqual(self.k("get", "pods").returncode, 0)  # does not match
        self.assertEqual(self.run_tool("helm", "list").returncode, 0)  # other tool

    def test_fail_every_call_and_first(self):
        self.faults('- {tool: helm, action: fail}\n- {tool: kubectl, match: apply, first: 2, action: fail}\n')
        for _ in range(2):
            r = self.run_tool("helm", "list")
            self.assertEqual(r.returncode, 1)
            self.assertIn("injected failure", r.stderr)
        f = self.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
        self.assertEqual([self.k("apply", "-f", f).returncode for _ in range(3)], [1, 1, 0])

    def test_slow(self):
        self.faults('- {tool: kubectl, action: slow, seconds: 0.6}\n')
        t = time.time()
        r = self.k("get", "ns", "-o", "name")
        self.assertGreaterEqual(time.time() - t, 0.6)
        self.assertIn("namespace/default", r.stdout)

    def test_flood(self):
        self.faults('- {tool: kubectl, match: version, action: flood, lines: 20000}\n')
        r = self.kok("version", "--client")
        lines = r.stdout.splitlines()
        self.assertEqual(sum(1 for x in lines if x.startswith("SIMULATION flood line")), 20000)
        self.assertIn("Client Version", r.stdout)

    def test_signal(self):
        self.faults('- {tool: talosctl, action: signal, signal: 9}\n')
        r = self.run_tool("talosctl", "version", "--client")
        self.assertEqual(r.returncode, -9)
        self.assertEqual(self.calls()[-1]["exit"], -9)

    def test_hang_then_term(self):
        self.faults('- {tool: helm, match: upgrade, action: hang}\n')
        p = subprocess.Popen([os.path.join(BIN, "helm"), "upgrade", "--install", "x", "y"], env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self.pids.append(p.pid)
        with self.assertRaises(subprocess.TimeoutExpired):
            p.wait(timeout=1.0)
        os.killpg(p.pid, signal.SIGTERM)
        self.assertEqual(p.wait(timeout=5), -signal.SIGTERM)
        p.stdout.close()
        p.stderr.close()
        last = self.calls()[-1]
        self.assertEqual((last["tool"], last["exit"], last.get("fault")), ("helm", -15, "hang"))

    def test_spawn_and_hang(self):
        self.faults('- {tool: kubectl, action: spawn-and-hang}\n')
        p = subprocess.Popen([os.path.join(BIN, "kubectl"), "get", "ns"], env=self.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.pids.append(p.pid)
        pidfile = os.path.join(self.state, "grandchild.pid")
        deadline = time.time() + 5
        while not os.path.exists(pidfile) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        with open(pidfile) as f:
            gc = int(f.read())
        self.pids.append(gc)
        self.assertEqual(os.getpgid(gc), p.pid)  # same process group as the fake
        self.assertIsNone(p.poll())
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=5)
        deadline = time.time() + 5
        while time.time() < deadline and _alive(gc):
            time.sleep(0.05)
        self.assertFalse(_alive(gc))


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class TestCallsLog(SimCase):
    def test_calls_lines(self):
        self.kok("get", "ns")
        self.k("get", "deploy", "nope")
        self.ok("helm", "version", "--short")
        calls = self.calls()
        self.assertEqual(len(calls), 3)
        c0 = calls[0]
        self.assertEqual(set(c0), {"tool", "argv", "start", "end", "pid", "exit"})
        self.assertEqual(c0["tool"], "kubectl")
        self.assertEqual(c0["argv"], ["--kubeconfig", KUBECONFIG, "--context", "sim", "get", "ns"])
        self.assertLessEqual(c0["start"], c0["end"])
        self.assertEqual(calls[1]["exit"], 1)
        self.assertEqual(calls[2]["tool"], "helm")
        self.assertEqual(calls[2]["argv"], ["version", "--short"])

    def test_parallel_calls_overlap_and_lose_nothing(self):
        self.faults('- {tool: kubectl, match: "slow-", action: slow, seconds: 4}\n')
        procs = []
        for i in range(8):
            f = self.write("slow-cm%d.yaml" % i, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: slow-%d, namespace: default}\n" % i)
            procs.append(subprocess.Popen([os.path.join(BIN, "kubectl"), "apply", "-f", f], env=self.env,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        for p in procs:
            out, err = p.communicate(timeout=30)
            self.assertEqual(p.returncode, 0, err)
        names = self.kok("get", "cm", "-o", "jsonpath={.items[*].metadata.name}").stdout.split()
        self.assertEqual(sorted(names), sorted("slow-%d" % i for i in range(8)))
        calls = [c for c in self.calls() if c["argv"][0] == "apply"]
        self.assertEqual(len(calls), 8)
        latest_start = max(c["start"] for c in calls)
        earliest_end = min(c["end"] for c in calls)
        self.assertLess(latest_start, earliest_end)  # all eight ran at the same time


if __name__ == "__main__":
    unittest.main()
