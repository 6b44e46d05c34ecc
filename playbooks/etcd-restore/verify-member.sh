#!/bin/sh
# verify-member.sh DIR CLIENT_PORT PEER_PORT "KEY…": starts a throwaway etcd member on DIR/data
# (restored from DIR/snapshot.db), listening on 127.0.0.1 only; checks that it becomes healthy,
# that its revision is the snapshot's and that every KEY exists; stops it. Used by
# playbooks/etcd-restore.yaml (flags: etcd v3.4 `etcd --help`, https://etcd.io/docs/v3.4/op-guide/configuration/).
set -eu
dir=$1 client=$2 peer=$3 keys=$4
export ETCDCTL_API=3
ep="http://127.0.0.1:$client"
revision() { sed -n 's/.*"revision":\([0-9][0-9]*\).*/\1/p'; }
want=$(etcdctl snapshot status "$dir/snapshot.db" --write-out json | revision)
etcd --name drill --data-dir "$dir/data" \
  --listen-client-urls "$ep" --advertise-client-urls "$ep" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "drill=http://127.0.0.1:$peer" >"$dir/member.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true' EXIT
i=0
until etcdctl --endpoints "$ep" --dial-timeout 1s endpoint health >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then echo "the restored member exited:"; tail -n 5 "$dir/member.log"; exit 1; fi
  i=$((i + 1))
  if [ "$i" -ge 300 ]; then echo "the restored member is not healthy after 30s"; tail -n 5 "$dir/member.log"; exit 1; fi
  sleep 0.1
done
got=$(etcdctl --endpoints "$ep" endpoint status --write-out json | revision)
if [ "$got" != "$want" ]; then echo "the restored member is at revision $got, the snapshot at $want"; exit 1; fi
for k in $keys; do
  if [ -z "$(etcdctl --endpoints "$ep" get "$k" --keys-only)" ]; then echo "key $k is missing from the restored data"; exit 1; fi
done
echo "restored member healthy at revision $got, keys present: $keys"
