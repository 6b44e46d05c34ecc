#!/bin/sh
# newest.sh DIR DEST: copies the newest regular file of DIR (by modification time, keeping it) to
# DEST, leaving out hidden files and half-written ones (*.part, groundwork's *.groundwork-XXXXXXXXXX
# download/upload temporaries). Used by playbooks/etcd-restore.yaml, source dir.
set -eu
dir=$1 dest=$2
newest=
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  case ${f##*/} in *.part|*.groundwork-*) continue ;; esac
  if [ -z "$newest" ] || [ "$f" -nt "$newest" ]; then newest=$f; fi
done
[ -n "$newest" ] || { echo "no snapshot file in $dir" >&2; exit 1; }
echo "newest snapshot in $dir: ${newest##*/}"
cp -p "$newest" "$dest"
