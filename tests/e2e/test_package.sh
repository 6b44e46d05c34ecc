#!/usr/bin/env bash
# Packaging: `cmake --install` lays out the binary, the shipped stages, playbooks, inventories and
# contrib, the man page and completions; the installed binary finds its shipped content; `cpack -G
# DEB` builds a .deb that is installed into a throwaway root (dpkg --root: the real system is never
# touched), run from there, and removed again.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
BUILD="$(dirname "$GW")"
unset GROUNDWORK_INVENTORY
export ADGUARD_PASSWORD_HASH=x RANCHER_BOOTSTRAP_PASSWORD=x CLOUDFLARE_API_TOKEN=x
LAYOUT="bin/groundwork share/groundwork/stages/20-metallb.yaml share/groundwork/playbooks/etcd-restore.yaml
share/groundwork/inventories/sim.yaml share/groundwork/contrib/systemd/groundwork-drill@.service
share/groundwork/contrib/completion/groundwork.bash share/man/man1/groundwork.1
share/bash-completion/completions/groundwork share/zsh/vendor-completions/_groundwork"

# The counts validate prints: "10 stages, 45 steps, 46 gates, 7 playbooks".
counts() { grep -oE '[0-9]+ stages, [0-9]+ steps, [0-9]+ gates, [0-9]+ playbooks' "$1"; }
# What the source tree's inventory validates to, with the source tree's stages and playbooks.
(cd "$ROOT" && "$GW" --no-color -i inventories/sim.yaml validate >"$WORK/src.out" 2>"$WORK/src.err")
check "the source tree's sim inventory validates" test -n "$(counts src.out)"

# ---- cmake --install
cmake --install "$BUILD" --prefix "$WORK/prefix" >install.log 2>&1
check "cmake --install" test $? -eq 0
for f in $LAYOUT; do check "installed $f" test -e "prefix/$f"; done
check "installed playbook helpers keep their mode" test -x prefix/share/groundwork/playbooks/restic-restore/restic_drill.py
check "installed man page is the build's" cmp -s prefix/share/man/man1/groundwork.1 "$BUILD/groundwork.1"

# The installed binary falls back to share/groundwork/{stages,playbooks}, from a folder with none.
mkdir -p empty own/stages
cat >own/inv.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Inventory
metadata: {name: own}
spec: {}
YAML
cat >own/stages/local.yaml <<'YAML'
apiVersion: groundwork/v1
kind: Stage
metadata: {name: local-only}
spec:
  steps:
    - name: first
      run: {argv: [true]}
YAML
cd empty
"$WORK/prefix/bin/groundwork" -i ../own/inv.yaml __complete stages >stages.out
expect_in stages.out "metallb" "no ./stages: the shipped stages"
"$WORK/prefix/bin/groundwork" -i ../own/inv.yaml __complete playbooks >pb.out
expect_in pb.out "etcd-restore" "no ./playbooks: the shipped playbooks"
cd ../own
"$WORK/prefix/bin/groundwork" -i inv.yaml __complete stages >stages.out
check "./stages wins over the shipped ones" test "$(cat stages.out)" = local-only
cd ../empty
"$WORK/prefix/bin/groundwork" -i ../own/inv.yaml --stages ../own/stages __complete stages >stages.out
check "--stages wins over the shipped ones" test "$(cat stages.out)" = local-only
"$BUILD/groundwork" -i ../own/inv.yaml __complete stages >stages.out
check "a binary that is not installed has no shipped stages" test ! -s stages.out
"$WORK/prefix/bin/groundwork" --no-color -i "$WORK/prefix/share/groundwork/inventories/sim.yaml" validate >val.out 2>val.err
check "installed: validate the shipped sim inventory" test $? -eq 0
check "installed: same stages and playbooks as the source tree" test "$(counts val.out)" = "$(counts "$WORK/src.out")"
cd "$WORK"

# ---- cpack -G DEB, installed into and removed from a throwaway root
mkdir -p pkg
(cd pkg && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$WORK/pkg") >cpack.log 2>&1
check "cpack -G DEB" test $? -eq 0
DEB=$(ls pkg/groundwork_*.deb 2>/dev/null | head -1)
if [ -z "$DEB" ]; then
  fail "no .deb built"; sed 's/^/  cpack: /' cpack.log | tail -20 >&2; finish; exit 1
fi
dpkg-deb -f "$DEB" Depends >depends.txt
# libmimalloc only when the binary links it (sanitizer builds leave it out).
LIBS="libssh2 libyaml libcurl libre2 libc-ares libstdc++6"
if ldd "$GW" | grep -q libmimalloc; then LIBS="$LIBS libmimalloc"; fi
for lib in $LIBS; do
  expect_in depends.txt "$lib" "Depends names $lib"
done
for p in $(tr ',' '\n' <depends.txt | sed 's/(.*//; s/[[:space:]]//g'); do
  check "dependency $p is installed here (a real dpkg -i would be satisfied)" dpkg-query -W "$p"
done >/dev/null
dpkg-deb -c "$DEB" >contents.txt
expect_in contents.txt "./usr/share/groundwork/stages/20-metallb.yaml" "the .deb ships the stages"
expect_in contents.txt "./usr/share/man/man1/groundwork.1" "the .deb ships the man page"

R="$WORK/root"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/log"
touch "$R/var/lib/dpkg/status"
DPKG=(dpkg --root="$R" --log="$R/var/log/dpkg.log" --force-depends --force-script-chrootless)
"${DPKG[@]}" -i "$DEB" >dpkg-i.log 2>&1
check "dpkg --root -i" test $? -eq 0
sed 's/^/  dpkg: /' dpkg-i.log | grep -i error | head -5 >&2
for f in $LAYOUT; do check "packaged /usr/$f" test -e "$R/usr/$f"; done
"$R/usr/bin/groundwork" --version >version.out 2>&1
expect_in version.out "groundwork " "the installed groundwork --version"
cd empty
"$R/usr/bin/groundwork" --no-color -i "$R/usr/share/groundwork/inventories/sim.yaml" validate >deb-val.out 2>deb-val.err
check "packaged: validate the shipped sim inventory" test $? -eq 0
check "packaged: same stages and playbooks as the source tree" test "$(counts deb-val.out)" = "$(counts "$WORK/src.out")"
for inv in homelab k3s; do
  "$R/usr/bin/groundwork" --no-color -i "$R/usr/share/groundwork/inventories/$inv.yaml" validate >inv.out 2>&1
  check "packaged: validate the shipped $inv inventory" test $? -eq 0
done
"$R/usr/bin/groundwork" -i ../own/inv.yaml __complete playbooks >pb.out
expect_in pb.out "restic-restore" "packaged: the shipped playbooks are found"
cd "$WORK"
check "dpkg knows the package" bash -c "dpkg --root='$R' -s groundwork | grep -q 'Status: install ok installed'"

"${DPKG[@]}" -r groundwork >dpkg-r.log 2>&1
check "dpkg --root -r" test $? -eq 0
for f in $LAYOUT; do check "removed /usr/$f" test ! -e "$R/usr/$f"; done
check "share/groundwork is gone" test ! -e "$R/usr/share/groundwork"
finish
