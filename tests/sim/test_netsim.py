"""Tests of the SIMULATED cluster's loopback network responder (tests/sim/netsim.py).

The cluster is prepared with the fakes (tests/sim/bin) from the shipped stage manifests and values;
netsim runs on unprivileged ports of 127.0.0.200 (DNS) and 127.0.0.201 (HTTPS), so no root is
needed. Every server a test starts is stopped in tearDown. No traffic leaves 127.0.0.0/8.

Run: /usr/bin/python3 -m unittest discover -s tests/sim -v
"""
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.path.join(HERE, "bin")
NETSIM = os.path.join(HERE, "netsim.py")
KUBECONFIG = os.path.join(HERE, "kubeconfig")
STAGES = os.path.join(ROOT, "stages")

sys.path.insert(0, HERE)
import netsim  # noqa: E402

DNS_IP, HTTPS_IP = "127.0.0.200", "127.0.0.201"
SECRETS = {"adguard_password_hash": "sim", "rancher_bootstrap_password": "sim"}


def inventory_vars():
    """vars of inventories/sim.yaml (flat scalars, read as text)."""
    with open(os.path.join(ROOT, "inventories", "sim.yaml")) as f:
        text = f.read()
    block = text.split("\n  vars:\n", 1)[1].split("\n  secrets:", 1)[0]
    res = {}
    for m in re.finditer(r"^    (\w+):\s*(.*?)\s*$", block, re.M):
        v = m.group(2)
        if v[:1] in "\"'":
            v = v[1:-1]
        res[m.group(1)] = v
    return res


VARS = inventory_vars()
DOMAIN = VARS["domain"]


def free_port(ip, udp_too=False):
    """A port free on ip for TCP (and UDP), preferring the conventional test ports."""
    for port in [5300, 8443] + list(range(20000, 20100)):
        socks = []
        try:
            for typ in ((socket.SOCK_STREAM, socket.SOCK_DGRAM) if udp_too else (socket.SOCK_STREAM,)):
                s = socket.socket(socket.AF_INET, typ)
                socks.append(s)
                s.bind((ip, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port on %s" % ip)


# ------------------------------------------------------------------ a tiny independent DNS client

def dns_query(name, qtype=1, qid=0x4242, edns=False):
    q = b"".join(bytes([len(lb)]) + lb.encode() for lb in name.rstrip(".").split(".")) + b"\0"
    hdr = struct.pack("!6H", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    opt = (b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)) if edns else b""
    return hdr + q + struct.pack("!HH", qtype, 1) + opt


def skip_name(data, off):
    while True:
        n = data[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n
        if n == 0:
            return off


def dns_parse(data):
    """-> dict(id, rcode, flags, answers=[(type, ttl, text)], ede=text or None)."""
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
    off = 12
    for _ in range(qd):
        off = skip_name(data, off) + 4
    recs = []
    for _ in range(an + ns + ar):
        off = skip_name(data, off)
        rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", data[off:off + 10])
        off += 10
        recs.append((rtype, rclass, ttl, data[off:off + rdlen]))
        off += rdlen
    answers, ede = [], None
    for i, (rtype, _, ttl, rd) in enumerate(recs):
        if i < an:
            if rtype == 1:
                answers.append(("A", ttl, socket.inet_ntop(socket.AF_INET, rd)))
            elif rtype == 28:
                answers.append(("AAAA", ttl, socket.inet_ntop(socket.AF_INET6, rd)))
        elif rtype == 41:
            p = 0
            while p + 4 <= len(rd):
                code, ln = struct.unpack("!HH", rd[p:p + 4])
                if code == 15:
                    ede = rd[p + 6:p + 4 + ln].decode()
                p += 4 + ln
    return {"id": qid, "flags": flags, "rcode": flags & 0xF, "answers": answers, "ede": ede}


def dns_udp(port, name, qtype=1, edns=False):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(dns_query(name, qtype, edns=edns), (DNS_IP, port))
        data, src = s.recvfrom(4096)
    assert src == (DNS_IP, port), src
    return dns_parse(data)


def dns_tcp(port, *questions):
    """Several queries over one TCP connection (pipelined)."""
    with socket.create_connection((DNS_IP, port), timeout=5) as s:
        for i, (name, qtype) in enumerate(questions):
            m = dns_query(name, qtype, qid=100 + i)
            s.sendall(struct.pack("!H", len(m)) + m)
        res = []
        buf = b""
        for _ in questions:
            while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                chunk = s.recv(4096)
                if not chunk:
                    raise AssertionError("connection closed early")
                buf += chunk
            n = struct.unpack("!H", buf[:2])[0]
            res.append(dns_parse(buf[2:2 + n]))
            buf = buf[2 + n:]
    return res


NOERROR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED = 0, 2, 3, 4, 5


# ------------------------------------------------------------------ a tiny HTTPS client (SNI = Host)

def https_get(port, host, path, method="GET"):
    """-> (status, headers dict, body). Connects to HTTPS_IP:port, SNI and Host set to host
    (like curl --resolve host:443:HTTPS_IP / the engine's `resolve`), certificate not verified."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((HTTPS_IP, port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(("%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: test_netsim\r\nConnection: close\r\n\r\n"
                       % (method, path, host)).encode())
            data = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except (ssl.SSLEOFError, ConnectionResetError):
                pass
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body.decode()


# ------------------------------------------------------------------ the cases

class NetsimCase(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="gw-netsim-")
        self.tmp = tempfile.mkdtemp(prefix="gw-netsim-files-")
        self.dns_port = free_port(DNS_IP, udp_too=True)
        self.https_port = free_port(HTTPS_IP)
        self.env = dict(os.environ, GROUNDWORK_SIM_STATE=self.state,
                        GROUNDWORK_SIM_DNS="%s:%d" % (DNS_IP, self.dns_port),
                        GROUNDWORK_SIM_HTTPS="%s:%d" % (HTTPS_IP, self.https_port))
        self.started = []

    def tearDown(self):
        self.netsim("stop")
        for pid in self.started:  # only the servers this test started
            if netsim.proc_alive(pid):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.state, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- helpers
    def netsim(self, *args, env=None):
        return subprocess.run([sys.executable, NETSIM] + list(args), capture_output=True, text=True,
                              timeout=60, env=env or self.env)

    def start(self):
        r = self.netsim("start")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        pid = netsim.running_pid(self.state)
        self.assertIsNotNone(pid)
        self.started.append(pid)
        return pid

    def tool(self, tool, *args):
        r = subprocess.run([os.path.join(BIN, tool)] + list(args), capture_output=True, text=True,
                           timeout=60, env=self.env)
        self.assertEqual(r.returncode, 0, "%s %s failed:\n%s%s" % (tool, args, r.stdout, r.stderr))
        return r

    def kubectl(self, *args):
        return self.tool("kubectl", "--kubeconfig", KUBECONFIG, "--context", "sim", *args)

    def render(self, rel):
        """A stage file with ${vars.X}/${secrets.X} of inventories/sim.yaml, written to tmp."""
        with open(os.path.join(STAGES, rel)) as f:
            text = f.read()
        text = re.sub(r"\$\{vars\.(\w+)\}", lambda m: VARS[m.group(1)], text)
        text = re.sub(r"\$\{secrets\.(\w+)\}", lambda m: SECRETS[m.group(1)], text)
        self.assertNotIn("${", text)
        p = os.path.join(self.tmp, os.path.basename(rel).replace(".tmpl", ""))
        with open(p, "w") as f:
            f.write(text)
        return p

    def helm(self, release, chart, ns, *extra):
        return self.tool("helm", "upgrade", "--install", release, chart, "--repo", "https://127.0.0.1/charts",
                         "--namespace", ns, "--create-namespace", "--kubeconfig", KUBECONFIG,
                         "--kube-context", "sim", "--wait", *extra)

    def metallb(self):
        self.helm("metallb", "metallb", "metallb-system")
        self.kubectl("apply", "-f", self.render("manifests/metallb-pool.tmpl.yaml"))

    def rollout(self, ns, name):
        self.kubectl("rollout", "status", "deployment/%s" % name, "-n", ns, "--timeout", "10s")


class TestDns(NetsimCase):
    def test_refuses_until_adguard_ready_then_answers(self):
        self.start()
        probe, rancher = VARS["dns_probe_name"], "rancher.%s" % DOMAIN
        # No cluster yet: refused, with the reason as an Extended DNS Error when EDNS is used.
        r = dns_udp(self.dns_port, probe, edns=True)
        self.assertEqual(r["rcode"], REFUSED)
        self.assertEqual(r["id"], 0x4242)
        self.assertTrue(r["flags"] & 0x8000)
        self.assertIn("SIMULATION netsim", r["ede"])
        self.metallb()
        self.assertEqual(dns_udp(self.dns_port, probe)["rcode"], REFUSED)

        # Applied but not ready (readyAfterPolls 2): still refused, over UDP and TCP.
        self.kubectl("apply", "-f", self.render("manifests/adguard.tmpl.yaml"))
        r = dns_udp(self.dns_port, rancher, edns=True)
        self.assertEqual(r["rcode"], REFUSED)
        self.assertIn("deployment adguard/adguard-home is not ready", r["ede"])
        self.assertEqual(dns_tcp(self.dns_port, (rancher, 1))[0]["rcode"], REFUSED)
        self.assertEqual(r["answers"], [])

        # Ready (the rollout gate's observations): the rewrite and the simulated upstream answer.
        self.rollout("adguard", "adguard-home")
        r = dns_udp(self.dns_port, rancher)
        self.assertEqual(r["rcode"], NOERROR)
        self.assertEqual(r["answers"], [("A", 10, VARS["traefik_ip"])])
        self.assertEqual(dns_udp(self.dns_port, "argocd.%s." % DOMAIN.upper())["answers"], [("A", 10, HTTPS_IP)])
        self.assertEqual(dns_udp(self.dns_port, "a.b.%s" % DOMAIN)["answers"], [("A", 10, HTTPS_IP)])
        r = dns_udp(self.dns_port, probe)
        self.assertEqual(r["rcode"], NOERROR)
        self.assertEqual(r["answers"], [("A", 300, netsim.UPSTREAM_ANSWER)])
        # The bare domain is not covered by *.domain: it goes "upstream".
        self.assertEqual(dns_udp(self.dns_port, DOMAIN)["answers"], [("A", 300, "127.0.0.53")])
        r = dns_udp(self.dns_port, rancher, qtype=28)
        self.assertEqual((r["rcode"], r["answers"]), (NOERROR, []))
        r = dns_udp(self.dns_port, probe, qtype=28)
        self.assertEqual((r["rcode"], r["answers"]), (NOERROR, []))
        self.assertEqual(dns_udp(self.dns_port, "nothing.invalid")["rcode"], NXDOMAIN)
        self.assertEqual(dns_udp(self.dns_port, probe, qtype=255)["rcode"], NOTIMP)  # refuse_any
        tcp = dns_tcp(self.dns_port, (rancher, 1), (probe, 1), (rancher, 28))
        self.assertEqual([x["id"] for x in tcp], [100, 101, 102])
        self.assertEqual(tcp[0]["answers"], [("A", 10, HTTPS_IP)])
        self.assertEqual(tcp[1]["answers"], [("A", 300, "127.0.0.53")])
        self.assertEqual(tcp[2]["answers"], [])

        # Truthful to later changes: scaled to 0 -> refused again; back -> answers.
        self.kubectl("scale", "deployment/adguard-home", "-n", "adguard", "--replicas", "0")
        r = dns_udp(self.dns_port, rancher, edns=True)
        self.assertEqual(r["rcode"], REFUSED)
        self.assertIn("scaled to 0", r["ede"])
        self.kubectl("scale", "deployment/adguard-home", "-n", "adguard", "--replicas", "1")
        self.rollout("adguard", "adguard-home")
        self.assertEqual(dns_udp(self.dns_port, rancher)["answers"], [("A", 10, HTTPS_IP)])
        # The config Secret gone: AdGuard would have no configuration -> SERVFAIL.
        self.kubectl("delete", "secret", "adguard-home-config", "-n", "adguard")
        r = dns_udp(self.dns_port, rancher, edns=True)
        self.assertEqual(r["rcode"], SERVFAIL)
        self.assertIn("AdGuardHome.yaml", r["ede"])
        with open(os.path.join(self.state, "netsim.log")) as f:
            log = f.read()
        self.assertIn("A rancher.%s. -> NOERROR %s" % (DOMAIN, HTTPS_IP), log)

    def test_only_the_address_the_service_holds(self):
        self.metallb()
        self.kubectl("apply", "-f", self.render("manifests/adguard.tmpl.yaml"))
        self.rollout("adguard", "adguard-home")
        d = netsim.dns_decide(self.state, DNS_IP, "UDP", "rancher.%s." % DOMAIN, 1)
        self.assertEqual((d.rcode, d.answers), ("NOERROR", [(1, 10, HTTPS_IP)]))
        d = netsim.dns_decide(self.state, "127.0.0.202", "UDP", "rancher.%s." % DOMAIN, 1)
        self.assertEqual(d.rcode, "REFUSED")
        self.assertIn("holds LoadBalancer address 127.0.0.200, not 127.0.0.202", d.why)
        # The rewrite target follows the config in the state, not a constant.
        with open(self.render("manifests/adguard.tmpl.yaml")) as f:
            text = f.read().replace('answer: "%s"' % HTTPS_IP, 'answer: "127.0.0.210"')
        p = os.path.join(self.tmp, "adguard2.yaml")
        with open(p, "w") as f:
            f.write(text)
        self.kubectl("apply", "-f", p)
        d = netsim.dns_decide(self.state, DNS_IP, "TCP", "rancher.%s." % DOMAIN, 1)
        self.assertEqual(d.answers, [(1, 10, "127.0.0.210")])

    def test_malformed_queries(self):
        self.start()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(5)
            q = dns_query("example.com")
            s.sendto(q[:12] + b"\x40", (DNS_IP, self.dns_port))  # label runs past the end
            r = dns_parse(s.recvfrom(4096)[0])
            self.assertEqual((r["id"], r["rcode"]), (0x4242, 1))  # FORMERR
        # Still serving afterwards.
        self.assertEqual(dns_udp(self.dns_port, "example.com")["rcode"], REFUSED)


class TestHttps(NetsimCase):
    def get(self, host, path):
        return https_get(self.https_port, host, path)

    def test_routes_follow_the_state(self):
        self.start()
        smoke, rancher, argocd = ("%s.%s" % (h, DOMAIN) for h in ("traefik-smoke", "rancher", "argocd"))
        # Nothing holds the address yet: 503 with the reason.
        st, hd, body = self.get(smoke, "/ping")
        self.assertEqual(st, 503)
        self.assertIn("no simulated cluster yet", body)
        self.metallb()
        st, hd, body = self.get(smoke, "/ping")
        self.assertEqual(st, 503)
        self.assertIn("no LoadBalancer Service holds %s" % HTTPS_IP, body)
        # Traefik installed and ready, no route yet: Traefik's 404.
        self.helm("traefik", "traefik", "traefik", "-f", self.render("values/traefik.tmpl.yaml"))
        st, hd, body = self.get(smoke, "/ping")
        self.assertEqual((st, body), (404, "404 page not found\n"))
        self.assertIn("no router matches", hd["x-groundwork-sim"])
        # The smoke IngressRoute (ping@internal): 200 OK.
        self.kubectl("apply", "-f", self.render("manifests/traefik-smoke.tmpl.yaml"))
        self.assertEqual(self.get(smoke, "/ping")[::2], (200, "OK"))
        self.assertEqual(self.get("other.%s" % DOMAIN, "/ping")[0], 404)
        # Rancher: 404 before the chart, pong after (its Ingress, backend ready).
        self.assertEqual(self.get(rancher, "/ping")[0], 404)
        self.helm("rancher", "rancher", "cattle-system", "-f", self.render("values/rancher.tmpl.yaml"))
        st, hd, body = self.get(rancher, "/ping")
        self.assertEqual((st, body), (200, "pong"), hd)
        self.assertIn("ingress cattle-system/rancher", hd["x-groundwork-sim"])
        # Argo CD: server ready but no IngressRoute yet: not 200; then the IngressRoute: ok.
        self.helm("argocd", "argo-cd", "argocd", "-f", self.render("values/argocd.tmpl.yaml"))
        # (The sim's rancher chart template has an Ingress rule without a host: a catch-all, so
        # Traefik sends argocd.<domain> to Rancher, which has no /healthz here.)
        st, hd, _ = self.get(argocd, "/healthz")
        self.assertEqual(st, 404)
        self.assertIn("ingress cattle-system/rancher", hd["x-groundwork-sim"])
        self.kubectl("apply", "-f", self.render("manifests/argocd-ingress.tmpl.yaml"))
        st, hd, body = self.get(argocd, "/healthz")
        self.assertEqual((st, body), (200, "ok"), hd)
        self.assertIn("ingressroute argocd/argocd-server", hd["x-groundwork-sim"])
        self.assertEqual(self.get(argocd, "/nope")[0], 404)
        # A backend that stops being ready: Traefik's 503.
        self.kubectl("scale", "deployment/argocd-server", "-n", "argocd", "--replicas", "0")
        st, hd, body = self.get(argocd, "/healthz")
        self.assertEqual(st, 503)
        self.assertIn("scaled to 0", hd["x-groundwork-sim"])
        # Traefik itself not ready: nothing answers for any host.
        self.kubectl("scale", "deployment/traefik", "-n", "traefik", "--replicas", "0")
        st, _, body = self.get(smoke, "/ping")
        self.assertEqual(st, 503)
        self.assertIn("deployment traefik/traefik is scaled to 0", body)
        with open(os.path.join(self.state, "netsim.log")) as f:
            self.assertIn("host=%s GET /ping -> 200" % smoke, f.read())

    def test_rule_parser(self):
        req = {"host": "a.sim.lan", "path": "/x/y", "method": "GET", "headers": {}, "query": {}}
        yes = ["Host(`a.sim.lan`)", "Host(`b`, `a.sim.lan`) && PathPrefix(`/x`)", "Host(`b`) || Path(`/x/y`)",
               "!Host(`b`)", "(Host(`b`) || Host(`a.sim.lan`)) && Method(`GET`)", r"HostRegexp(`^[a-z]+\.sim\.lan$`)"]
        no = ["Host(`b`)", "Host(`a.sim.lan`) && Path(`/x`)", "PathPrefix(`/z`)"]
        for r in yes:
            self.assertTrue(netsim.parse_rule(r)(req), r)
        for r in no:
            self.assertFalse(netsim.parse_rule(r)(req), r)
        for bad in ["Host(`a`", "Host(a)", "ClientIP(`127.0.0.1`)", "Host(`a`) &&"]:
            with self.assertRaises(netsim.RuleError, msg=bad):
                netsim.parse_rule(bad)


class TestProcess(NetsimCase):
    def test_start_stop_clean(self):
        self.assertEqual(self.netsim("status").returncode, 3)
        pid = self.start()
        r = self.netsim("start")  # idempotent
        self.assertEqual(r.returncode, 0)
        self.assertIn("already running (pid %d)" % pid, r.stdout)
        self.assertEqual(self.netsim("status").returncode, 0)
        self.assertTrue(os.path.exists(os.path.join(self.state, netsim.CERTFILE)))
        self.assertEqual(os.stat(os.path.join(self.state, netsim.KEYFILE)).st_mode & 0o077, 0)
        r = self.netsim("stop")
        self.assertEqual(r.returncode, 0)
        self.assertIn("stopped (pid %d)" % pid, r.stdout)
        self.assertFalse(netsim.proc_alive(pid))
        self.assertFalse(os.path.exists(os.path.join(self.state, netsim.PIDFILE)))
        with open(os.path.join(self.state, netsim.LOGFILE)) as f:
            log = f.read()
        self.assertIn("serving state", log)
        self.assertIn("stopped", log)
        # The ports are free again.
        for typ, ip, port in ((socket.SOCK_DGRAM, DNS_IP, self.dns_port), (socket.SOCK_STREAM, DNS_IP, self.dns_port),
                              (socket.SOCK_STREAM, HTTPS_IP, self.https_port)):
            with socket.socket(socket.AF_INET, typ) as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1) if typ == socket.SOCK_STREAM else None
                s.bind((ip, port))
        self.assertIn("not running", self.netsim("stop").stdout)

    def test_talos_api_port_only_when_asked(self):
        talos_ip = "127.0.0.111"
        port = free_port(talos_ip)
        self.start()  # GROUNDWORK_SIM_TALOS unset: nothing listens there
        with socket.socket() as c:
            c.settimeout(5)
            self.assertNotEqual(c.connect_ex((talos_ip, port)), 0)
        self.netsim("stop")
        self.env["GROUNDWORK_SIM_TALOS"] = "%s:%d" % (talos_ip, port)
        r = self.netsim("start")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.started.append(netsim.running_pid(self.state))
        self.assertIn("Talos API %s:%d" % (talos_ip, port), r.stdout)
        with socket.create_connection((talos_ip, port), timeout=5) as c:
            c.settimeout(5)
            self.assertEqual(c.recv(1), b"")  # accepted, then closed
        deadline = time.time() + 5
        while time.time() < deadline:
            with open(os.path.join(self.state, netsim.LOGFILE)) as f:
                if "talos apid %s:%d: TCP connection" % (talos_ip, port) in f.read():
                    break
            time.sleep(0.05)
        else:
            self.fail("the connection was not logged")
        r = self.netsim("run", env=dict(self.env, GROUNDWORK_SIM_TALOS="10.0.0.11"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("only loopback addresses", r.stderr)

    def test_run_in_foreground_stops_on_sigterm(self):
        p = subprocess.Popen([sys.executable, NETSIM, "run"], env=self.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 20
            while netsim.running_pid(self.state) != p.pid and time.time() < deadline and p.poll() is None:
                time.sleep(0.05)
            self.assertEqual(netsim.running_pid(self.state), p.pid)
            self.assertEqual(dns_udp(self.dns_port, "example.com")["rcode"], REFUSED)
            p.send_signal(signal.SIGTERM)
            _, err = p.communicate(timeout=10)
            self.assertEqual(p.returncode, 0, err)
            self.assertIn("stopped", err)
            self.assertFalse(os.path.exists(os.path.join(self.state, netsim.PIDFILE)))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_loopback_only_and_bind_errors(self):
        r = self.netsim("start", env=dict(self.env, GROUNDWORK_SIM_DNS="10.1.2.3:53"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("only loopback addresses", r.stderr)
        r = self.netsim("run", env=dict(self.env, GROUNDWORK_SIM_HTTPS="example.com:443"))
        self.assertEqual(r.returncode, 2)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
            busy.bind((HTTPS_IP, self.https_port))
            busy.listen(1)
            r = self.netsim("start")
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot bind HTTPS on %s:%d" % (HTTPS_IP, self.https_port), r.stderr)
        self.assertIsNone(netsim.running_pid(self.state))

    def test_state_dir_required(self):
        env = dict(self.env)
        env.pop("GROUNDWORK_SIM_STATE")
        r = self.netsim("start", env=env)
        self.assertEqual(r.returncode, 2)
        self.assertIn("GROUNDWORK_SIM_STATE", r.stderr)


if __name__ == "__main__":
    unittest.main()
