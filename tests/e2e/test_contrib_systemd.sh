#!/usr/bin/env bash
# contrib/systemd: the drill service and timer pass `systemd-analyze verify` (with the binary path
# pointed at this build), and the service runs `drill`.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
if ! command -v systemd-analyze >/dev/null; then
  fail "systemd-analyze is not installed (Debian: systemd)"; finish; exit 1
fi
for u in service timer; do
  sed "s|/opt/groundwork/build/groundwork|$GW|" "$ROOT/contrib/systemd/groundwork-drill@.$u" >"groundwork-drill@etcd-restore.$u"
done
check "units verify" systemd-analyze verify --man=no ./groundwork-drill@etcd-restore.service ./groundwork-drill@etcd-restore.timer
expect_in "groundwork-drill@etcd-restore.service" " drill %i " "the service runs a drill"
expect_in "groundwork-drill@etcd-restore.timer" "OnCalendar=" "the timer is scheduled"
finish
