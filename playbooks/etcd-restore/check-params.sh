#!/bin/sh
# check-params.sh MODE SOURCE PLATFORM NODE K3S_HOST SNAPSHOT BACKUP_DIR SKIP_HASH_CHECK: the
# params of playbooks/etcd-restore.yaml fit together, before anything is touched; says what is
# missing otherwise.
mode=$1 source=$2 platform=$3 node=$4 k3s_host=$5 snapshot=$6 backup_dir=$7 skip=$8
bad() { echo "etcd-restore: $*" >&2; exit 2; }
case $skip in true|false) ;; *) bad "skip_hash_check is '$skip', not true or false" ;; esac
case $source in
  etcdctl) ;;
  talos) [ -n "$node" ] || bad "source talos needs --param node=<control-plane node>" ;;
  k3s) [ -n "$k3s_host" ] || bad "source k3s needs --param k3s_host=<a key of the inventory's hosts>" ;;
  file) [ -f "$snapshot" ] || bad "source file needs --param snapshot=<an existing file> (got '$snapshot')" ;;
  dir) [ -d "$backup_dir" ] || bad "source dir needs --param backup_dir=<an existing folder> (got '$backup_dir')" ;;
  *) bad "source is '$source', not one of etcdctl, talos, k3s, file, dir" ;;
esac
if [ "$mode" = restore ]; then
  case $source in
    file|dir) ;;
    *) bad "a restore takes its snapshot from a backup: source file or dir, not '$source' (etcd is lost: take no fresh snapshot of it)" ;;
  esac
  case $platform in
    talos) [ -n "$node" ] || bad "a restore on talos needs --param node=<the one control-plane node to bootstrap>" ;;
    k3s) [ -n "$k3s_host" ] || bad "a restore on k3s needs --param k3s_host=<the server to reset>" ;;
    *) bad "a restore needs --param platform=talos or platform=k3s (got '$platform')" ;;
  esac
fi
echo "source $source${platform:+, platform $platform}, mode $mode"
