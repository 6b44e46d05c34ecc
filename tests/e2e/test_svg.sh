#!/usr/bin/env bash
# plan --format svg and status --format svg through the real binary: valid SVG 1.1 with a box per
# stage (names XML-escaped), the needs as edges, the critical path highlighted, a legend; rendered
# to PNG with rsvg-convert, whose size matches the SVG's and whose pixels show the status colours
# (a failed stage's red only once a stage failed).
source "$(dirname "$0")/lib.sh"
require rsvg-convert
cd "$WORK"

sim_inventory inv.yaml pictures
mkdir -p stages/manifests
stage() {  # stage NAME NEEDS [EXTRA-STEP-YAML]
  configmap "stages/manifests/$1.yaml" "$1"
  cat >"stages/$1.yaml" <<YAML
apiVersion: groundwork/v1
kind: Stage
metadata: {name: $1, description: "a <stage> & more"}
spec:
  needs: $2
  tools: [kubectl]
  steps:
    - name: apply
      kubectl: {apply: [manifests/$1.yaml]}
${3:-}
YAML
}
stage base "[]"
stage bad "[base]" "    - name: boom
      kubectl: {apply: [manifests/boom.yaml]}"
configmap stages/manifests/boom.yaml boom
stage after-bad "[bad]"
stage side "[base]"

# png_check PNG SVG [RGB-HEX MIN-PIXELS]...: the PNG's size is the SVG's width x height, and each
# colour covers at least MIN pixels (MIN 0: the colour must be absent). Decoded with the stdlib.
png_check() {
  python3 - "$@" <<'PY'
import re, struct, sys, zlib
png, svg, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
data = open(png, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, head = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR": head = struct.unpack(">IIBBBBB", body)
    if kind == b"IDAT": idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = head
text = open(svg).read()
sw = int(re.search(r'<svg[^>]* width="(\d+)"', text).group(1))
sh = int(re.search(r'<svg[^>]* height="(\d+)"', text).group(1))
assert (w, h) == (sw, sh), f"PNG {w}x{h}, SVG {sw}x{sh}"
assert depth == 8 and ctype in (2, 6) and interlace == 0, head
bpp = 4 if ctype == 6 else 3
raw, stride = zlib.decompress(idat), w * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b, c = prev[x], prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
count = {}
for line in rows:
    for x in range(0, stride, bpp):
        px = line[x:x + 3]
        count[px] = count.get(px, 0) + 1
for k in range(0, len(rest), 2):
    want, least = bytes.fromhex(rest[k]), int(rest[k + 1])
    got = count.get(want, 0)
    if least == 0:
        assert got == 0, f"#{rest[k]} appears on {got} pixels"
    else:
        assert got >= least, f"#{rest[k]} on {got} pixels, expected at least {least}"
print(f"{w}x{h} ok")
PY
}

# --- plan --format svg: every stage pending, the critical path base -> bad -> after-bad.
new_sim
run_gw -i inv.yaml plan --format svg
expect_rc 0 "plan --format svg"
cp "$WORK/out" plan.svg
expect_in plan.svg '<svg xmlns="http://www.w3.org/2000/svg" version="1.1"' "an SVG 1.1 document"
check "plan.svg is well-formed XML" python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" plan.svg
for s in base bad after-bad side; do expect_in plan.svg ">$s</text>" "plan.svg names stage $s"; done
expect_in plan.svg '<g class="stage pending critical">' "a critical stage is marked"
expect_in plan.svg '<path class="edge critical"' "a critical edge is marked"
expect_in plan.svg "<title>base → side</title>" "the need base -> side is an edge"
check "side is not on the critical path" grep -q '<title>side: pending' plan.svg
expect_not_in plan.svg '<g class="stage pending critical"><title>side:' "side is not critical"
expect_in plan.svg "<title>plan of inventory &apos;pictures&apos;</title>" "the title is XML-escaped"
expect_in plan.svg ">critical path</text>" "the legend explains the critical path"
expect_in plan.svg ">wave 2</text>" "three waves"
check "plan.svg renders" rsvg-convert -f png -o plan.png plan.svg
check "plan.png is not empty" test -s plan.png
# White pending boxes and the red critical path; no failed-red fill.
check "plan.png: size and colours" png_check plan.png plan.svg ffffff 10000 c62828 300 f8cecc 0

# --- status --format svg after a run where bad failed: its box is red, after-bad is pending.
set_faults <<'YAML'
- {tool: kubectl, match: "boom.yaml", action: fail, exit: 1, stderr: "Error: boom"}
YAML
run_gw -i inv.yaml --state-dir st apply -j 1 --keep-going
expect_rc 1 "apply with a failing stage"
run_gw -i inv.yaml --state-dir st status --format svg
expect_rc 0 "status --format svg"
cp "$WORK/out" status.svg
check "status.svg is well-formed XML" python3 -c "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])" status.svg
expect_in status.svg "<title>status of inventory &apos;pictures&apos;</title>" "status title"
expect_in status.svg '<g class="stage failed' "bad is failed"
expect_in status.svg '<title>bad: failed' "bad's box says failed"
check "base is done with its measured time" grep -q '<title>base: done, took [0-9.]*m\?s</title>' status.svg
expect_in status.svg '<title>after-bad: pending' "after-bad never ran"
check "status.svg renders" rsvg-convert -f png -o status.png status.svg
check "status.png: size, failed red and done green" png_check status.png status.svg f8cecc 5000 d9f2d9 5000

# --- plan --format svg once durations were measured: the expected duration in each box.
run_gw -i inv.yaml --state-dir st plan --format svg
expect_rc 0 "plan --format svg with history"
cp "$WORK/out" plan2.svg
check "a done stage shows its expected duration" grep -qE '<title>base: done, expected [0-9]+m?s</title>' plan2.svg
check "the failed stage shows as failed in the plan" grep -q '<g class="stage failed' plan2.svg

# --- the picture in README.md and docs/cli.md is the one plan draws for the shipped sim inventory.
run_gw -i "$ROOT/inventories/sim.yaml" --state-dir "$WORK/sim-state" plan --format svg
expect_rc 0 "plan --format svg of inventories/sim.yaml"
check "docs/img/plan.svg is current (else: groundwork -i inventories/sim.yaml --state-dir \$(mktemp -d) plan --format svg > docs/img/plan.svg)" \
  cmp -s "$WORK/out" "$ROOT/docs/img/plan.svg"
# --- bad format: exit 2, nothing on stdout.
run_gw -i inv.yaml status --format png
expect_rc 2 "unknown status format"
check "nothing written for a bad format" test ! -s "$WORK/out"
finish
