#!/usr/bin/python3
"""SIMULATION -- loopback network responder of groundwork's simulated cluster (tests/sim).

The fakes in tests/sim/bin keep an imaginary cluster in $GROUNDWORK_SIM_STATE/state.json; nothing
answers on the LoadBalancer addresses they hand out. This program does, for two of them, and only
as far as the simulated cluster says something would answer there:

  DNS   (UDP and TCP) on $GROUNDWORK_SIM_DNS   (default <adguard_ip>:53 of inventories/sim.yaml)
        answers like AdGuard Home would, from the AdGuardHome.yaml the adguard Deployment mounts,
        when Deployment adguard/adguard-home is ready and Service adguard/adguard-home holds the
        address; else REFUSED.
  HTTPS on $GROUNDWORK_SIM_HTTPS                (default <traefik_ip>:443 of inventories/sim.yaml)
        answers like Traefik would, routing the Host header through the IngressRoutes and
        Ingresses of the state, when a ready Traefik Deployment backs the LoadBalancer Service
        holding the address; else 503.
  Talos API (TCP) on $GROUNDWORK_SIM_TALOS      (not served unless set, e.g. 127.0.0.11[:50000])
        accepts and closes connections, as a node's apid port would for a reachability check.

It never resolves anything for real and never sends a packet anywhere but back to the loopback
client that asked. It binds only 127.0.0.0/8 addresses. Python 3 standard library, plus the sim's
own simlib (readiness rules; YAML through the python3-yaml the fakes already need). The
certificate of the HTTPS server is made at start with the `openssl` command.

  netsim.py start    # in the background; pid in $GROUNDWORK_SIM_STATE/netsim.pid, log netsim.log
  netsim.py stop
  netsim.py status
  netsim.py run      # in the foreground, logging to stderr

See tests/sim/README.md, section "Network responder".
"""

import base64
import fcntl
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

SIM_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, SIM_DIR)
import simlib  # noqa: E402

INVENTORY = os.path.join(SIM_DIR, "..", "..", "inventories", "sim.yaml")
PIDFILE = "netsim.pid"
LOGFILE = "netsim.log"
CERTFILE = "netsim-tls.crt"
KEYFILE = "netsim-tls.key"

# The answer of the simulated upstream resolver for every name that no rewrite covers: a fixed
# loopback address (not a documentation range, not a real resolution). Nothing is ever forwarded.
UPSTREAM_ANSWER = "127.0.0.53"
UPSTREAM_TTL = 300
REWRITE_TTL = 10          # AdGuard answers rewrites with its blocked-response TTL (10 s)

ADGUARD_NS, ADGUARD_NAME = "adguard", "adguard-home"     # stages/manifests/adguard.tmpl.yaml
ADGUARD_CONFIG_KEY = "AdGuardHome.yaml"
TRAEFIK_CONTROLLER = "traefik.io/ingress-controller"

# What the backends behind Traefik answer, by application (see app_of): path -> body.
APP_ANSWERS = {
    "rancher": {"/ping": "pong"},
    "argocd-server": {"/healthz": "ok"},
}
# Traefik's internal services (IngressRoute services of kind TraefikService, name "x@internal").
INTERNAL_ANSWERS = {"ping@internal": "OK"}

_log_lock = threading.Lock()


def log(msg):
    line = "%s netsim[%d] %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), os.getpid(), msg)
    with _log_lock:
        try:
            sys.stderr.write(line)
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


def die(code, msg):
    sys.stderr.write("netsim: %s\n" % msg)
    sys.exit(code)


# --------------------------------------------------------------------------- addresses

def inventory_defaults():
    """adguard_ip / traefik_ip of inventories/sim.yaml (read as text: two plain scalars)."""
    d = {"adguard_ip": "127.0.0.200", "traefik_ip": "127.0.0.201"}
    try:
        with open(INVENTORY) as f:
            text = f.read()
        for k in d:
            m = re.search(r"^\s+%s:\s*[\"']?([0-9.]+)[\"']?\s*(#.*)?$" % k, text, re.M)
            if m:
                d[k] = m.group(1)
    except OSError:
        pass
    return d


def parse_addr(env, default_ip, default_port):
    """$env as IP[:PORT] on 127.0.0.0/8 -> (ip, port), or None when 'off'. Exits 2 when invalid."""
    raw = os.environ.get(env, "").strip() or "%s:%d" % (default_ip, default_port)
    if raw.lower() in ("off", "none", "disabled", "0"):
        return None
    host, sep, port = raw.rpartition(":")
    if not sep:
        host, port = raw, str(default_port)
    try:
        ip = ipaddress.IPv4Address(host)
        port = int(port)
    except ValueError:
        die(2, "%s=%r: expected IPV4:PORT on loopback, e.g. %s:%d" % (env, raw, default_ip, default_port))
    if ip not in ipaddress.IPv4Network("127.0.0.0/8"):
        die(2, "%s=%s: only loopback addresses (127.0.0.0/8) are allowed: the simulation never "
               "listens on a real network" % (env, raw))
    if not 0 < port < 65536:
        die(2, "%s=%s: port out of range" % (env, raw))
    return str(ip), port


def addresses():
    inv = inventory_defaults()
    return (parse_addr("GROUNDWORK_SIM_DNS", inv["adguard_ip"], 53),
            parse_addr("GROUNDWORK_SIM_HTTPS", inv["traefik_ip"], 443))


def talos_address():
    """$GROUNDWORK_SIM_TALOS as IP[:PORT] (port 50000 when left out), or None: off unless set."""
    if not os.environ.get("GROUNDWORK_SIM_TALOS", "").strip():
        return None
    return parse_addr("GROUNDWORK_SIM_TALOS", "127.0.0.11", 50000)


def fmt_addr(a):
    return "off" if a is None else "%s:%d" % a


# --------------------------------------------------------------------------- reading the sim state

class View:
    """A read-only snapshot of the simulated cluster, read under a shared flock of the fakes' lock.
    Observing never counts as a poll: only the fakes make objects progress."""

    def __init__(self, state_dir):
        self.dir = state_dir
        self.st = None
        cfg = dict(simlib.DEFAULT_CONFIG)
        try:
            fd = os.open(os.path.join(state_dir, ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:  # the state directory was deleted (a reset): no cluster
            self.cfg, self.c = cfg, None
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                with open(os.path.join(state_dir, "state.json")) as f:
                    self.st = json.load(f)
            except FileNotFoundError:
                pass
            p = os.path.join(state_dir, "config.yaml")
            if os.path.exists(p):
                with open(p) as f:
                    data = simlib.yaml_load(f.read()) or {}
                if isinstance(data, dict):
                    cfg.update(data)
        finally:
            os.close(fd)  # releases the lock
        self.cfg = cfg
        self.c = simlib.Cluster(None, self.st, cfg) if self.st is not None else None

    def get(self, group, kind, ns, name):
        if self.st is None:
            return None
        return self.st["objects"].get(simlib.Cluster.key(group, kind, ns, name))

    def each(self, kinds, groups=None):
        if self.st is None:
            return []
        return sorted((r for r in self.st["objects"].values()
                       if r["kind"] in kinds and (groups is None or r["group"] in groups)),
                      key=lambda r: (r["ns"], r["name"]))

    def lb_ip(self, svc):
        """The LoadBalancer address the simulated MetalLB allocated to a Service record, or None."""
        if ((svc["obj"].get("spec") or {}).get("type")) != "LoadBalancer":
            return None
        return self.st["lb"].get(simlib.Cluster.key("", "Service", svc["ns"], svc["name"]))

    def backing(self, svc):
        """Workloads of the Service's namespace whose pod template matches its selector."""
        sel = ((svc["obj"].get("spec") or {}).get("selector")) or {}
        if not sel:
            return []
        res = []
        for w in self.each(("Deployment", "StatefulSet", "DaemonSet"), ("apps",)):
            if w["ns"] != svc["ns"]:
                continue
            lbl = ((((w["obj"].get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels")) or {}
            if all(lbl.get(k) == v for k, v in sel.items()):
                res.append(w)
        return res

    def ready(self, w):
        """(ready, why-not) of a workload: ready in the sim's sense and running at least one pod."""
        what = "%s %s/%s" % (w["kind"].lower(), w["ns"], w["name"])
        if not self.c.nodes():
            return False, "the cluster has no nodes"
        if w["kind"] != "DaemonSet":
            reps = (w["obj"].get("spec") or {}).get("replicas", 1)
            try:
                reps = int(reps)
            except (TypeError, ValueError):
                reps = 1
            if reps < 1:
                return False, "%s is scaled to 0 replicas" % what
        if self.c.is_ready(w):
            return True, ""
        n = self.c.threshold(w)
        if n is None:
            return False, "%s never becomes ready (sim.groundwork/ready-after-polls)" % what
        return False, "%s is not ready yet (observed %d of %d times)" % (what, w["polls"], n)


def svc_port(svc, port, protocol="TCP"):
    """The port entry of a Service matching a number or a name (and protocol), or None."""
    for p in ((svc["obj"].get("spec") or {}).get("ports") or []):
        if str(p.get("protocol", "TCP")).upper() != protocol:
            continue
        if str(p.get("port")) == str(port) or (p.get("name") and p.get("name") == str(port)):
            return p
    return None


def volume_sources(w):
    """(kind, name) of the Secrets and ConfigMaps a workload's pod template mounts."""
    vols = ((((w["obj"].get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes")) or []
    res = []
    for v in vols:
        if not isinstance(v, dict):
            continue
        if isinstance(v.get("secret"), dict) and v["secret"].get("secretName"):
            res.append(("Secret", v["secret"]["secretName"]))
        if isinstance(v.get("configMap"), dict) and v["configMap"].get("name"):
            res.append(("ConfigMap", v["configMap"]["name"]))
        for src in ((v.get("projected") or {}).get("sources") or []) if isinstance(v.get("projected"), dict) else []:
            if isinstance(src.get("secret"), dict) and src["secret"].get("name"):
                res.append(("Secret", src["secret"]["name"]))
            if isinstance(src.get("configMap"), dict) and src["configMap"].get("name"):
                res.append(("ConfigMap", src["configMap"]["name"]))
    return res


def object_key_text(rec, key):
    """The text of data key `key` of a Secret (stringData or base64 data) or ConfigMap, or None."""
    o = rec["obj"]
    if isinstance(o.get("stringData"), dict) and key in o["stringData"]:
        return str(o["stringData"][key])
    data = o.get("data") or {}
    if key not in data:
        return None
    if rec["kind"] == "Secret":
        try:
            return base64.b64decode(str(data[key])).decode()
        except (ValueError, UnicodeDecodeError):
            return None
    return str(data[key])


# --------------------------------------------------------------------------- DNS: AdGuard Home model

RCODE = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5}
QTYPE_NAMES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA",
               33: "SRV", 41: "OPT", 65: "HTTPS", 255: "ANY"}
EDE_OTHER, EDE_NOT_READY = 0, 14


class DnsDecision:
    def __init__(self, rcode, answers=(), why="", ede=None):
        self.rcode = rcode          # name from RCODE
        self.answers = list(answers)  # (qtype, ttl, address text)
        self.why = why
        self.ede = ede              # Extended DNS Error info code, or None


def adguard_config(view, deploy):
    """(config dict, None) or (None, why) from the AdGuardHome.yaml the Deployment mounts."""
    for kind, name in volume_sources(deploy):
        rec = view.get("", kind, deploy["ns"], name)
        if rec is None:
            continue
        text = object_key_text(rec, ADGUARD_CONFIG_KEY)
        if text is None:
            continue
        try:
            cfg = simlib.yaml_load(text)
        except Exception as e:  # noqa: BLE001 -- any YAML error
            return None, "%s %s/%s: %s is not valid YAML: %s" % (kind.lower(), deploy["ns"], name, ADGUARD_CONFIG_KEY,
                                                                 str(e).splitlines()[0])
        if not isinstance(cfg, dict):
            return None, "%s %s/%s: %s is not a mapping" % (kind.lower(), deploy["ns"], name, ADGUARD_CONFIG_KEY)
        return cfg, None
    return None, ("deployment %s/%s mounts no Secret/ConfigMap with a key %s (AdGuard Home would run its setup "
                  "wizard and serve no DNS)" % (deploy["ns"], deploy["name"], ADGUARD_CONFIG_KEY))


def rewrites_of(cfg):
    """AdGuard rewrites as [(domain, answer)]: filtering.rewrites (schema >= 20) or dns.rewrites."""
    filt = cfg.get("filtering") if isinstance(cfg.get("filtering"), dict) else {}
    dns = cfg.get("dns") if isinstance(cfg.get("dns"), dict) else {}
    if filt.get("protection_enabled") is False or dns.get("protection_enabled") is False:
        return []
    rw = filt.get("rewrites")
    if rw is None:
        rw = dns.get("rewrites")
    res = []
    for r in rw or []:
        if isinstance(r, dict) and r.get("domain") and r.get("answer") is not None and r.get("enabled", True) is not False:
            res.append((str(r["domain"]).lower().rstrip("."), str(r["answer"]).strip()))
    return res


def match_rewrite(rewrites, name):
    """AdGuard's rule: an exact domain wins over wildcards; `*.d` covers every name below d (not d
    itself); the longest wildcard wins."""
    for dom, ans in rewrites:
        if not dom.startswith("*.") and dom == name:
            return dom, ans
    best = None
    for dom, ans in rewrites:
        if dom.startswith("*.") and name.endswith(dom[1:]) and (best is None or len(dom) > len(best[0])):
            best = (dom, ans)
    return best


def ip_version(text):
    try:
        return ipaddress.ip_address(text).version
    except ValueError:
        return None


def dns_decide(state_dir, bind_ip, proto, qname, qtype):
    """What AdGuard Home at bind_ip would answer to (qname, qtype) over proto ('UDP'/'TCP')."""
    try:
        view = View(state_dir)
    except Exception as e:  # noqa: BLE001
        return DnsDecision("SERVFAIL", why="cannot read the sim state: %s" % e, ede=EDE_OTHER)
    if view.st is None:
        return DnsDecision("REFUSED", why="no simulated cluster yet (no state.json)", ede=EDE_NOT_READY)
    svc = view.get("", "Service", ADGUARD_NS, ADGUARD_NAME)
    if svc is None:
        return DnsDecision("REFUSED", why="service %s/%s does not exist" % (ADGUARD_NS, ADGUARD_NAME), ede=EDE_NOT_READY)
    ip = view.lb_ip(svc)
    if ip != bind_ip:
        return DnsDecision("REFUSED", why="service %s/%s holds LoadBalancer address %s, not %s"
                           % (ADGUARD_NS, ADGUARD_NAME, ip or "<none>", bind_ip), ede=EDE_NOT_READY)
    if svc_port(svc, 53, proto) is None:
        return DnsDecision("REFUSED", why="service %s/%s has no port 53/%s" % (ADGUARD_NS, ADGUARD_NAME, proto),
                           ede=EDE_NOT_READY)
    deploy = view.get("apps", "Deployment", ADGUARD_NS, ADGUARD_NAME)
    if deploy is None:
        return DnsDecision("REFUSED", why="deployment %s/%s does not exist" % (ADGUARD_NS, ADGUARD_NAME), ede=EDE_NOT_READY)
    if deploy not in view.backing(svc):
        return DnsDecision("REFUSED", why="the selector of service %s/%s does not select deployment %s/%s's pods"
                           % (ADGUARD_NS, ADGUARD_NAME, ADGUARD_NS, ADGUARD_NAME), ede=EDE_NOT_READY)
    ok, why = view.ready(deploy)
    if not ok:
        return DnsDecision("REFUSED", why=why, ede=EDE_NOT_READY)
    cfg, why = adguard_config(view, deploy)
    if cfg is None:
        return DnsDecision("SERVFAIL", why=why, ede=EDE_OTHER)
    dnscfg = cfg.get("dns") if isinstance(cfg.get("dns"), dict) else {}
    name = qname.lower().rstrip(".")
    if qtype == 255 and dnscfg.get("refuse_any", True):
        return DnsDecision("NOTIMP", why="ANY refused (dns.refuse_any)")
    hit = match_rewrite(rewrites_of(cfg), name)
    if hit is not None and hit[1].upper() not in ("A", "AAAA"):
        dom, ans = hit
        v = ip_version(ans)
        if v is None:
            return DnsDecision("SERVFAIL", why="rewrite %s -> %s: rewrites to a name (CNAME) are not simulated"
                               % (dom, ans), ede=EDE_OTHER)
        want = {1: 4, 28: 6}.get(qtype)
        if want == v:
            return DnsDecision("NOERROR", [(qtype, REWRITE_TTL, ans)], why="rewrite %s" % dom)
        return DnsDecision("NOERROR", why="rewrite %s (no %s record)" % (dom, QTYPE_NAMES.get(qtype, qtype)))
    upstreams = [u for u in (dnscfg.get("upstream_dns") or []) if str(u).strip() and not str(u).startswith("#")]
    if not upstreams:
        return DnsDecision("SERVFAIL", why="no dns.upstream_dns in %s" % ADGUARD_CONFIG_KEY, ede=EDE_OTHER)
    if name == "invalid" or name.endswith(".invalid"):
        return DnsDecision("NXDOMAIN", why="simulated upstream: .invalid never exists (RFC 6761)")
    if qtype == 1:
        return DnsDecision("NOERROR", [(1, UPSTREAM_TTL, UPSTREAM_ANSWER)],
                           why="simulated upstream (configured: %s; nothing is forwarded)" % ", ".join(map(str, upstreams)))
    return DnsDecision("NOERROR", why="simulated upstream: no %s record" % QTYPE_NAMES.get(qtype, qtype))


# --------------------------------------------------------------------------- DNS: wire format

class DnsFormatError(Exception):
    pass


class DnsQuery:
    __slots__ = ("id", "opcode", "rd", "question", "qname", "qtype", "qclass", "edns", "qdcount")


def read_name(data, off):
    """Decode a (possibly compressed) domain name at off. Returns (name, offset after it)."""
    labels, end, jumps, total = [], None, 0, 0
    while True:
        if off >= len(data):
            raise DnsFormatError("name runs past the message")
        n = data[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(data):
                raise DnsFormatError("truncated pointer")
            if end is None:
                end = off + 2
            jumps += 1
            if jumps > 32:
                raise DnsFormatError("pointer loop")
            off = ((n & 0x3F) << 8) | data[off + 1]
            continue
        if n & 0xC0:
            raise DnsFormatError("bad label type")
        off += 1
        if n == 0:
            break
        if off + n > len(data):
            raise DnsFormatError("label runs past the message")
        labels.append(data[off:off + n].decode("ascii", "replace"))
        total += n + 1
        if total > 255:
            raise DnsFormatError("name longer than 255 octets")
        off += n
    return ".".join(labels) + ".", (end if end is not None else off)


def skip_rr(data, off):
    _, off = read_name(data, off)
    if off + 10 > len(data):
        raise DnsFormatError("truncated record")
    rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", data[off:off + 10])
    off += 10
    if off + rdlen > len(data):
        raise DnsFormatError("truncated rdata")
    return off + rdlen, rtype, rclass, ttl


def parse_query(data):
    """A DnsQuery, or None for something that is not a query (a response): drop it.
    Raises DnsFormatError (with .query set when the header could be read) for FORMERR."""
    if len(data) < 12:
        raise DnsFormatError("shorter than a header")
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
    if flags & 0x8000:
        return None
    q = DnsQuery()
    q.id, q.opcode, q.rd = qid, (flags >> 11) & 0xF, flags & 0x0100
    q.question, q.qname, q.qtype, q.qclass, q.edns, q.qdcount = b"", "", 0, 0, None, qd
    if q.opcode != 0:
        return q
    try:
        if qd != 1:
            raise DnsFormatError("%d questions (expected 1)" % qd)
        name, off = read_name(data, 12)
        if off + 4 > len(data):
            raise DnsFormatError("truncated question")
        q.qname = name
        q.qtype, q.qclass = struct.unpack("!HH", data[off:off + 4])
        q.question = data[12:off + 4]
        off += 4
        for _ in range(an + ns):
            off, _, _, _ = skip_rr(data, off)
        for _ in range(ar):
            start = off
            off, rtype, rclass, ttl = skip_rr(data, off)
            if rtype == 41:
                q.edns = {"size": max(512, rclass), "version": (ttl >> 16) & 0xFF, "do": bool(ttl & 0x8000)}
                if data[start] != 0:
                    raise DnsFormatError("OPT record with a non-root owner")
    except DnsFormatError as e:
        e.query = q
        raise
    return q


def encode_rdata(qtype, text):
    if qtype == 1:
        return socket.inet_pton(socket.AF_INET, text)
    if qtype == 28:
        return socket.inet_pton(socket.AF_INET6, text)
    raise ValueError(qtype)


def build_response(q, rcode, answers=(), why="", ede=None, with_question=True, max_size=65535):
    rc = RCODE[rcode]
    flags = 0x8000 | (q.opcode << 11) | q.rd | 0x0080 | (rc & 0xF)
    body = q.question if with_question and q.question else b""
    rrs = b""
    for qtype, ttl, text in answers:
        rd = encode_rdata(qtype, text)
        rrs += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, ttl, len(rd)) + rd
    extra = b""
    if q.edns is not None:
        opts = b""
        if ede is not None and why:
            info = struct.pack("!H", ede) + ("SIMULATION netsim: " + why).encode("utf-8")[:400]
            opts += struct.pack("!HH", 15, len(info)) + info
        extra = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, len(opts)) + opts
    msg = struct.pack("!6H", q.id, flags, 1 if body else 0, len(answers), 0, 1 if extra else 0) + body + rrs + extra
    if len(msg) > max_size:  # does not happen with these small answers; kept correct anyway
        flags |= 0x0200
        msg = struct.pack("!6H", q.id, flags, 1 if body else 0, 0, 0, 0) + body
    return msg


def answer_packet(state_dir, bind_ip, proto, data, client):
    """Wire query -> wire response (or None to stay silent), logging the decision."""
    try:
        q = parse_query(data)
    except DnsFormatError as e:
        q = getattr(e, "query", None)
        log("dns %s %s: FORMERR (%s)" % (proto.lower(), fmt_addr(client), e))
        if q is None:
            if len(data) >= 2:  # echo the id: better than silence for a client waiting on it
                q = DnsQuery()
                q.id, q.opcode, q.rd, q.question, q.edns = struct.unpack("!H", data[:2])[0], 0, 0, b"", None
            else:
                return None
        q.question = b""
        return build_response(q, "FORMERR")
    if q is None:
        return None
    if q.opcode != 0:
        log("dns %s %s: opcode %d: NOTIMP" % (proto.lower(), fmt_addr(client), q.opcode))
        q.question = b""
        return build_response(q, "NOTIMP")
    qt = QTYPE_NAMES.get(q.qtype, str(q.qtype))
    if q.edns is not None and q.edns["version"] != 0:
        log("dns %s %s: unsupported EDNS version %d: FORMERR" % (proto.lower(), fmt_addr(client), q.edns["version"]))
        return build_response(q, "FORMERR")
    if q.qclass != 1:
        d = DnsDecision("REFUSED", why="class %d (only IN is served)" % q.qclass)
    else:
        d = dns_decide(state_dir, bind_ip, proto, q.qname, q.qtype)
    max_size = 65535 if proto == "TCP" else (q.edns["size"] if q.edns else 512)
    log("dns %s %s: %s %s -> %s%s (%s)" % (proto.lower(), fmt_addr(client), qt, q.qname, d.rcode,
                                         "".join(" " + a[2] for a in d.answers), d.why))
    return build_response(q, d.rcode, d.answers, d.why, d.ede, max_size=max_size)


class DnsUDPServer(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = False  # on Linux it would let two UDP servers share the port


class DnsTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class TalosAPIServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class TalosAPIHandler(socketserver.BaseRequestHandler):
    """A Talos node's apid port: accepts and closes. Enough for TCP reachability checks
    (`groundwork doctor`, tcp gates); the simulation speaks no gRPC (the fake talosctl answers)."""

    def handle(self):
        log("talos apid %s:%d: TCP connection from %s:%d accepted and closed (no gRPC in the simulation)"
            % (self.server.server_address[0], self.server.server_address[1], *self.client_address[:2]))


class DnsUDPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        srv = self.server
        resp = answer_packet(srv.state_dir, srv.server_address[0], "UDP", data, self.client_address)
        if resp is not None:
            sock.sendto(resp, self.client_address)


class DnsTCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(10)
        srv = self.server
        buf = b""
        try:
            while True:
                while len(buf) < 2:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    buf += chunk
                n = struct.unpack("!H", buf[:2])[0]
                while len(buf) < 2 + n:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                msg, buf = buf[2:2 + n], buf[2 + n:]
                resp = answer_packet(srv.state_dir, srv.server_address[0], "TCP", msg, self.client_address)
                if resp is None:
                    return
                self.request.sendall(struct.pack("!H", len(resp)) + resp)
        except (socket.timeout, OSError):
            return


# --------------------------------------------------------------------------- HTTPS: Traefik model

class RuleError(Exception):
    pass


_RULE_TOKEN = re.compile(r"\s*(?:(&&)|(\|\|)|(!)|(\()|(\))|(,)|`([^`]*)`|\"((?:[^\"\\]|\\.)*)\"|([A-Za-z][A-Za-z0-9]*))")


def parse_rule(rule):
    """A Traefik router rule -> a predicate over (host, path, method, headers, query)."""
    toks, pos = [], 0
    rule = rule.strip()
    while pos < len(rule):
        m = _RULE_TOKEN.match(rule, pos)
        if not m or m.end() == pos:
            raise RuleError("cannot parse rule at %r" % rule[pos:pos + 20])
        pos = m.end()
        if m.group(1):
            toks.append(("&&",))
        elif m.group(2):
            toks.append(("||",))
        elif m.group(3):
            toks.append(("!",))
        elif m.group(4):
            toks.append(("(",))
        elif m.group(5):
            toks.append((")",))
        elif m.group(6):
            toks.append((",",))
        elif m.group(7) is not None:
            toks.append(("str", m.group(7)))
        elif m.group(8) is not None:
            toks.append(("str", m.group(8)))
        elif m.group(9):
            toks.append(("id", m.group(9)))
    i = [0]

    def peek():
        return toks[i[0]] if i[0] < len(toks) else ("end",)

    def take(kind):
        t = peek()
        if t[0] != kind:
            raise RuleError("expected %s in rule %r" % (kind, rule))
        i[0] += 1
        return t

    def expr():
        left = conj()
        while peek()[0] == "||":
            i[0] += 1
            r = conj()
            left = (lambda a, b: lambda req: a(req) or b(req))(left, r)
        return left

    def conj():
        left = unary()
        while peek()[0] == "&&":
            i[0] += 1
            r = unary()
            left = (lambda a, b: lambda req: a(req) and b(req))(left, r)
        return left

    def unary():
        t = peek()
        if t[0] == "!":
            i[0] += 1
            inner = unary()
            return lambda req: not inner(req)
        if t[0] == "(":
            i[0] += 1
            e = expr()
            take(")")
            return e
        name = take("id")[1]
        take("(")
        args = [take("str")[1]]
        while peek()[0] == ",":
            i[0] += 1
            args.append(take("str")[1])
        take(")")
        return matcher(name, args)

    pred = expr()
    if peek()[0] != "end":
        raise RuleError("unexpected %r in rule %r" % (peek(), rule))
    return pred


def matcher(name, args):
    if name == "Host":
        hosts = [a.lower() for a in args]
        return lambda req: req["host"] in hosts
    if name == "HostRegexp":
        rxs = [re.compile(a, re.I) for a in args]
        return lambda req: any(r.search(req["host"]) for r in rxs)
    if name == "Path":
        return lambda req: req["path"] in args
    if name == "PathPrefix":
        return lambda req: any(req["path"].startswith(a) for a in args)
    if name == "PathRegexp":
        rxs = [re.compile(a) for a in args]
        return lambda req: any(r.search(req["path"]) for r in rxs)
    if name == "Method":
        ms = [a.upper() for a in args]
        return lambda req: req["method"] in ms
    if name == "Header" and len(args) == 2:
        return lambda req: req["headers"].get(args[0].lower()) == args[1]
    if name == "Query" and len(args) in (1, 2):
        return lambda req: (args[0] in req["query"]) if len(args) == 1 else (req["query"].get(args[0]) == args[1])
    raise RuleError("matcher %s(%s) is not simulated" % (name, ", ".join(args)))


class Route:
    def __init__(self, source, rule, priority, pred, backends):
        self.source, self.rule, self.priority, self.pred, self.backends = source, rule, priority, pred, backends


def traefik_at(view, bind_ip):
    """(traefik Deployment record, service record, None) or (None, None, why)."""
    svcs = [s for s in view.each(("Service",), ("",)) if view.lb_ip(s) == bind_ip]
    if not svcs:
        return None, None, "no LoadBalancer Service holds %s" % bind_ip
    whys = []
    for s in svcs:
        ref = "service %s/%s" % (s["ns"], s["name"])
        if svc_port(s, 443) is None:
            whys.append("%s (holding %s) has no port 443" % (ref, bind_ip))
            continue
        ws = [w for w in view.backing(s) if app_of(w) == "traefik"]
        if not ws:
            whys.append("%s (holding %s) selects no Traefik workload" % (ref, bind_ip))
            continue
        for w in ws:
            ok, why = view.ready(w)
            if ok:
                return w, s, None
            whys.append(why)
    return None, None, "; ".join(whys)


def app_of(w):
    """Which application a workload runs, judged by its name, labels and images."""
    tpl = (w["obj"].get("spec") or {}).get("template") or {}
    labels = (tpl.get("metadata") or {}).get("labels") or {}
    images = [str(c.get("image", "")) for c in ((tpl.get("spec") or {}).get("containers") or []) if isinstance(c, dict)]
    names = {w["name"], labels.get("app.kubernetes.io/name"), labels.get("app")}
    if "traefik" in names or any(re.search(r"(^|/)traefik(:|@|$)", i) for i in images):
        return "traefik"
    if any(re.search(r"(^|/)rancher/rancher(:|@|$)", i) for i in images):
        return "rancher"
    if "argocd-server" in names or w["name"].endswith("argocd-server"):
        return "argocd-server"
    return None


def ingress_class_ok(view, ing):
    cls = (ing["obj"].get("spec") or {}).get("ingressClassName") or \
        ((ing["obj"].get("metadata") or {}).get("annotations") or {}).get("kubernetes.io/ingress.class")
    if not cls:
        return True  # Traefik also serves Ingresses without a class
    ic = view.get("networking.k8s.io", "IngressClass", "", cls)
    if ic is not None:
        return (ic["obj"].get("spec") or {}).get("controller") == TRAEFIK_CONTROLLER
    return cls == "traefik"


def host_rule(host):
    if host.startswith("*."):
        return "HostRegexp(`^[a-z0-9-]+%s$`)" % re.escape(host[1:].lower()).replace("`", "")
    return "Host(`%s`)" % host.lower()


def routes(view):
    """Every router Traefik would build from the state: (routes, problems)."""
    res, problems = [], []

    def add(source, rule, priority, backends):
        try:
            pred = parse_rule(rule)
        except (RuleError, re.error) as e:
            problems.append("%s: %s" % (source, e))
            return
        res.append(Route(source, rule, priority if priority else len(rule), pred, backends))

    for ir in view.each(("IngressRoute",), ("traefik.io", "traefik.containo.us")):
        sp = ir["obj"].get("spec") or {}
        eps = sp.get("entryPoints") or []
        if eps and "websecure" not in eps:
            continue
        for i, r in enumerate(sp.get("routes") or []):
            if not isinstance(r, dict) or r.get("kind", "Rule") != "Rule" or not r.get("match"):
                continue
            bes = []
            for s in r.get("services") or []:
                if not isinstance(s, dict) or not s.get("name"):
                    continue
                if s.get("kind") == "TraefikService":
                    bes.append(("internal", str(s["name"])))
                else:
                    bes.append(("service", s.get("namespace") or ir["ns"], str(s["name"]), s.get("port")))
            try:
                prio = int(r.get("priority") or 0)
            except (TypeError, ValueError):
                prio = 0
            add("ingressroute %s/%s route %d" % (ir["ns"], ir["name"], i), r["match"], prio, bes)
    for ing in view.each(("Ingress",), ("networking.k8s.io", "extensions")):
        if not ingress_class_ok(view, ing):
            continue
        sp = ing["obj"].get("spec") or {}

        def be(b):
            svc = (b or {}).get("service") or {}
            port = (svc.get("port") or {})
            return ("service", ing["ns"], str(svc.get("name", "")), port.get("number", port.get("name")))
        for i, r in enumerate(sp.get("rules") or []):
            if not isinstance(r, dict):
                continue
            host = r.get("host")
            for p in ((r.get("http") or {}).get("paths") or []):
                path = p.get("path") or "/"
                pm = "Path(`%s`)" % path if p.get("pathType") == "Exact" else "PathPrefix(`%s`)" % path
                rule = "%s && %s" % (host_rule(host), pm) if host else pm
                add("ingress %s/%s rule %d" % (ing["ns"], ing["name"], i), rule, 0, [be(p.get("backend"))])
        if sp.get("defaultBackend"):
            add("ingress %s/%s defaultBackend" % (ing["ns"], ing["name"]), "PathPrefix(`/`)", 1,
                [be(sp["defaultBackend"])])
    res.sort(key=lambda r: -r.priority)
    return res, problems


def backend_problem(view, be):
    """Why Traefik would drop a router for this backend (missing Service or port), or None."""
    if be[0] == "internal":
        return None if be[1] in INTERNAL_ANSWERS else "internal service %s is not simulated" % be[1]
    _, ns, name, port = be
    svc = view.get("", "Service", ns, name)
    if svc is None:
        return 'service "%s/%s" not found' % (ns, name)
    if port is not None and svc_port(svc, port) is None:
        return 'service "%s/%s" has no port %s' % (ns, name, port)
    return None


def https_decide(state_dir, bind_ip, host, path, method="GET", headers=None, query=None):
    """(status, body, why) that Traefik at bind_ip would send for this request."""
    try:
        view = View(state_dir)
    except Exception as e:  # noqa: BLE001
        return 500, "SIMULATION netsim: cannot read the sim state: %s\n" % e, "state unreadable"
    if view.st is None:
        return 503, "SIMULATION netsim: nothing serves %s: no simulated cluster yet\n" % bind_ip, "no state.json"
    tw, tsvc, why = traefik_at(view, bind_ip)
    if tw is None:
        return 503, "SIMULATION netsim: no ready Traefik serves %s: %s\n" % (bind_ip, why), why
    req = {"host": host, "path": path, "method": method, "headers": headers or {}, "query": query or {}}
    rs, problems = routes(view)
    for r in rs:
        if not r.pred(req):
            continue
        bad = [p for p in (backend_problem(view, b) for b in r.backends) if p]
        if bad or not r.backends:
            problems.append("%s skipped: %s" % (r.source, "; ".join(bad) or "no services"))
            continue
        return answer_backend(view, r, req)
    why = "no router matches Host %s path %s" % (host, path)
    if problems:
        why += " (%s)" % "; ".join(problems)
    return 404, "404 page not found\n", why


def answer_backend(view, r, req):
    via = "%s [%s]" % (r.source, r.rule)
    whys = []
    for be in r.backends:
        if be[0] == "internal":
            if req["method"] not in ("GET", "HEAD"):
                return 405, "Method Not Allowed\n", "%s -> %s" % (via, be[1])
            return 200, INTERNAL_ANSWERS[be[1]], "%s -> %s" % (via, be[1])
        svc = view.get("", "Service", be[1], be[2])
        ws = view.backing(svc)
        if not ws:
            whys.append("service %s/%s selects no workload" % (be[1], be[2]))
            continue
        for w in ws:
            ok, why = view.ready(w)
            if not ok:
                whys.append(why)
                continue
            app = app_of(w)
            target = "%s -> service %s/%s -> %s %s/%s" % (via, be[1], be[2], w["kind"].lower(), w["ns"], w["name"])
            answers = APP_ANSWERS.get(app)
            if answers is None:
                return 404, "404 page not found\n", "%s: what this workload answers is not simulated" % target
            body = answers.get(req["path"])
            if body is None:
                return 404, "404 page not found\n", "%s (%s): path %s is not simulated" % (target, app, req["path"])
            if req["method"] not in ("GET", "HEAD"):
                return 405, "Method Not Allowed\n", "%s (%s)" % (target, app)
            return 200, body, "%s (%s)" % (target, app)
    return 503, "no available server\n", "%s: %s" % (via, "; ".join(whys))


class HTTPSServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log("https %s: TLS handshake failed: %s" % (fmt_addr(client_address), e))
            return
        try:
            HTTPHandler(conn, client_address, self)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.settimeout(1)
                conn.unwrap()
            except (OSError, ssl.SSLError, ValueError):
                pass
            try:
                conn.close()
            except OSError:
                pass


class HTTPHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SIMULATION-netsim"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):  # quiet: handle() logs one line per request
        pass

    def handle_one(self):
        from urllib.parse import parse_qsl, urlsplit
        sni = getattr(self.connection, "sim_sni", None)
        host = (self.headers.get("Host") or sni or "").strip().lower()
        if host.startswith("["):
            host = host[1:host.find("]")] if "]" in host else host
        elif host.count(":") == 1:
            host = host.split(":", 1)[0]
        host = host.rstrip(".")
        u = urlsplit(self.path)
        path = u.path or "/"
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, body, why = https_decide(self.server.state_dir, self.server.server_address[0], host, path,
                                         self.command, headers, dict(parse_qsl(u.query)))
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Groundwork-Sim", re.sub(r"[^\x20-\x7e]", "?", why)[:900])
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True
        log("https %s: sni=%s host=%s %s %s -> %d (%s)" % (fmt_addr(self.client_address), sni or "-", host or "-",
                                                          self.command, self.path, status, why))

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = handle_one


def make_certificate(state_dir):
    """Self-signed certificate like Traefik's default one, made with the openssl CLI."""
    openssl = shutil.which("openssl")
    if not openssl:
        die(1, "the openssl command is not on PATH: it makes the HTTPS server's self-signed certificate "
               "(install the Debian package `openssl`, or set GROUNDWORK_SIM_HTTPS=off for DNS only)")
    crt, key = os.path.join(state_dir, CERTFILE), os.path.join(state_dir, KEYFILE)
    tcrt, tkey = crt + ".tmp", key + ".tmp"
    cmd = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", tkey, "-out", tcrt, "-days", "825", "-subj", "/CN=TRAEFIK DEFAULT CERT",
           "-addext", "subjectAltName=DNS:traefik.default.simulation", "-batch"]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       preexec_fn=lambda: os.umask(0o077))
    if r.returncode != 0:
        die(1, "openssl failed to make the certificate (%s):\n%s" % (" ".join(cmd), r.stderr.strip()))
    os.replace(tkey, key)
    os.replace(tcrt, crt)
    return crt, key


def tls_context(crt, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(crt, key)
    ctx.set_alpn_protocols(["http/1.1"])

    def on_sni(sock, name, _ctx):
        sock.sim_sni = name.lower().rstrip(".") if name else None
    ctx.sni_callback = on_sni
    return ctx


# --------------------------------------------------------------------------- process control

def state_dir_from_env():
    d = os.environ.get("GROUNDWORK_SIM_STATE")
    if not d:
        die(2, "GROUNDWORK_SIM_STATE is not set; the simulated cluster needs a state directory "
               "(export GROUNDWORK_SIM_STATE=/some/dir)")
    d = os.path.abspath(d)
    try:
        os.makedirs(d, exist_ok=True)
    except OSError as e:
        die(2, "cannot create state dir %s: %s" % (d, e))
    return d


def proc_alive(pid):
    """True when pid is a live (not zombie) netsim process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
        if stat[stat.rfind(")") + 2:].startswith(("Z", "X")):
            return False
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"netsim.py" in f.read()
    except (OSError, ValueError):
        return False


def running_pid(state_dir):
    try:
        with open(os.path.join(state_dir, PIDFILE)) as f:
            pid = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if proc_alive(pid) else None


def bind_all(state_dir, dns, https, talos=None):
    servers = []

    def fail(what, addr, e):
        for s in servers:
            s.server_close()
        hint = ""
        if isinstance(e, PermissionError) or getattr(e, "errno", None) == 13:
            hint = (": ports below 1024 need root (or CAP_NET_BIND_SERVICE); run as root, or pick ports "
                    "above 1024, e.g. GROUNDWORK_SIM_DNS=%s:5300 GROUNDWORK_SIM_HTTPS=%s:8443"
                    % ((dns or ("127.0.0.200", 0))[0], (https or ("127.0.0.201", 0))[0]))
        elif getattr(e, "errno", None) == 98:
            hint = ": something else listens there (another netsim? `netsim.py stop`)"
        die(1, "cannot bind %s on %s: %s%s" % (what, fmt_addr(addr), e.strerror or e, hint))

    if dns:
        for cls, handler, what in ((DnsUDPServer, DnsUDPHandler, "DNS/UDP"), (DnsTCPServer, DnsTCPHandler, "DNS/TCP")):
            try:
                s = cls(dns, handler)
            except OSError as e:
                fail(what, dns, e)
            s.state_dir = state_dir
            servers.append(s)
    if https:
        try:
            s = HTTPSServer(https, None, bind_and_activate=True)
        except OSError as e:
            fail("HTTPS", https, e)
        s.state_dir = state_dir
        servers.append(s)
    if talos:
        try:
            s = TalosAPIServer(talos, TalosAPIHandler)
        except OSError as e:
            fail("Talos API", talos, e)
        servers.append(s)
    return servers


def cmd_run(state_dir):
    dns, https = addresses()
    talos = talos_address()
    if dns is None and https is None and talos is None:
        die(2, "GROUNDWORK_SIM_DNS and GROUNDWORK_SIM_HTTPS are off and GROUNDWORK_SIM_TALOS is not set: "
               "nothing to serve")
    pid = running_pid(state_dir)
    if pid and pid != os.getpid():
        die(1, "already running (pid %d, %s)" % (pid, os.path.join(state_dir, PIDFILE)))
    tls = None
    if https:
        crt, key = make_certificate(state_dir)
        tls = tls_context(crt, key)
    servers = bind_all(state_dir, dns, https, talos)
    for s in servers:
        if isinstance(s, HTTPSServer):
            s.tls = tls
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: stop.set())
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True) for s in servers]
    for t in threads:
        t.start()
    pidpath = os.path.join(state_dir, PIDFILE)

    def write_pid():
        tmp = "%s.%d.tmp" % (pidpath, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % os.getpid())
        os.replace(tmp, pidpath)

    write_pid()
    log("SIMULATION network responder serving state %s: DNS (udp+tcp) %s, HTTPS %s, Talos API %s"
        % (state_dir, fmt_addr(dns), fmt_addr(https), fmt_addr(talos)))
    while not stop.wait(0.5):
        # The state directory deleted (a reset) and made again by the next fake: keep `stop` working.
        if os.path.isdir(state_dir) and not os.path.exists(pidpath):
            try:
                write_pid()
            except OSError:
                pass
    log("stopping")
    for s in servers:
        s.shutdown()
        s.server_close()
    try:
        with open(pidpath) as f:
            if int(f.read().split()[0]) == os.getpid():
                os.unlink(pidpath)
    except (OSError, ValueError, IndexError):
        pass
    log("stopped")
    return 0


def cmd_start(state_dir):
    dns, https = addresses()  # invalid addresses fail here, before anything starts
    talos = talos_address()
    pid = running_pid(state_dir)
    if pid:
        print("netsim: already running (pid %d); log %s" % (pid, os.path.join(state_dir, LOGFILE)))
        return 0
    logpath = os.path.join(state_dir, LOGFILE)
    logf = open(logpath, "ab")
    offset = logf.tell()
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "run"], stdin=subprocess.DEVNULL,
                         stdout=logf, stderr=logf, start_new_session=True, cwd="/", close_fds=True)
    logf.close()
    deadline = time.time() + 20
    while time.time() < deadline:
        code = p.poll()
        if code is not None:
            with open(logpath, "rb") as f:
                f.seek(offset)
                sys.stderr.write(f.read().decode("utf-8", "replace"))
            sys.stderr.write("netsim: failed to start (exit %d); log %s\n" % (code, logpath))
            return code or 1
        if running_pid(state_dir) == p.pid:
            print("netsim: started (pid %d): DNS udp+tcp %s, HTTPS %s, Talos API %s; log %s"
                  % (p.pid, fmt_addr(dns), fmt_addr(https), fmt_addr(talos), logpath))
            return 0
        time.sleep(0.05)
    p.kill()
    sys.stderr.write("netsim: did not come up within 20 s; killed; log %s\n" % logpath)
    return 1


def cmd_stop(state_dir):
    pidpath = os.path.join(state_dir, PIDFILE)
    pid = running_pid(state_dir)
    if pid is None:
        if os.path.exists(pidpath):
            os.unlink(pidpath)
        print("netsim: not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 10
    while proc_alive(pid) and time.time() < deadline:
        time.sleep(0.05)
    if proc_alive(pid):
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        print("netsim: pid %d did not stop on SIGTERM within 10 s: killed" % pid)
    else:
        print("netsim: stopped (pid %d)" % pid)
    try:
        with open(pidpath) as f:
            if int(f.read().split()[0]) == pid:
                os.unlink(pidpath)
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cmd_status(state_dir):
    pid = running_pid(state_dir)
    if pid is None:
        print("netsim: not running")
        return 3
    print("netsim: running (pid %d)" % pid)
    return 0


USAGE = """usage: netsim.py start|stop|status|run

SIMULATION: loopback DNS (AdGuard) and HTTPS (Traefik) responder of groundwork's simulated cluster.
Environment: GROUNDWORK_SIM_STATE (required), GROUNDWORK_SIM_DNS=IP:PORT|off (default %s),
GROUNDWORK_SIM_HTTPS=IP:PORT|off (default %s), GROUNDWORK_SIM_TALOS=IP[:PORT] (a Talos node's
apid port that accepts TCP connections; default: not served). Only 127.0.0.0/8 addresses.
"""


def main(argv):
    if len(argv) != 1 or argv[0] not in ("start", "stop", "status", "run"):
        inv = inventory_defaults()
        sys.stderr.write(USAGE % (inv["adguard_ip"] + ":53", inv["traefik_ip"] + ":443"))
        return 0 if argv[:1] in (["-h"], ["--help"], ["help"]) else 2
    state_dir = state_dir_from_env()
    return {"start": cmd_start, "stop": cmd_stop, "status": cmd_status, "run": cmd_run}[argv[0]](state_dir)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
