#!/bin/sh
# longhorn-volume-restore: creates the Longhorn Volume restored from a backup, and prints the
# backup's creation time (the playbook captures it as backupTime, for the RPO).
#
# Usage: volume-from-backup.sh CONTEXT LONGHORN_NS BACKUP_VOLUME BACKUP VOLUME SIZE REPLICAS
#   kubectl finds the cluster through $KUBECONFIG (groundwork sets it from the inventory) and
#   CONTEXT (empty: that kubeconfig's current context).
#   BACKUP empty: the newest Completed backup of BACKUP_VOLUME (label backup-volume, as Longhorn
#   sets it: types/types.go LonghornLabelBackupVolume, v1.9.3).
# The Volume's spec.fromBackup is the Backup's status.url (`<target>?backup=B&volume=V`,
# backupstore.EncodeBackupURL); spec.size is a string of bytes (volume.go: `json:"size,string"`).
# Built here rather than from a .tmpl file because the backup's URL is only known at run time.
# Needs kubectl on PATH. Longhorn v1.9.3, github.com/longhorn/longhorn-manager.
set -eu
context=$1 ns=$2 bv=$3 backup=$4 volume=$5 size=$6 replicas=$7
k() { kubectl ${context:+--context "$context"} -n "$ns" "$@"; }
fields='{.metadata.name} {.status.url} {.status.backupCreatedAt} {.status.state}{"\n"}'
if [ -n "$backup" ]; then
  line=$(k get backups.longhorn.io "$backup" -o "jsonpath=$fields")
else
  line=$(k get backups.longhorn.io -l "backup-volume=$bv" --sort-by=.status.backupCreatedAt \
    -o "jsonpath={range .items[?(@.status.state==\"Completed\")]}$fields{end}" | tail -n 1)
fi
[ -n "$line" ] || { echo "no Completed backup of backup volume $bv in namespace $ns" >&2; exit 1; }
set -- $line
name=$1 url=${2:-} created=${3:-} state=${4:-}
[ "$state" = Completed ] || { echo "backup $name is $state, not Completed" >&2; exit 1; }
[ -n "$url" ] || { echo "backup $name has no status.url" >&2; exit 1; }
echo "restoring backup $name ($url) into volume $volume" >&2
k apply -f - >&2 <<YAML
apiVersion: longhorn.io/v1beta2
kind: Volume
metadata:
  name: "$volume"
  namespace: "$ns"
  labels: {app.kubernetes.io/managed-by: groundwork, groundwork.io/playbook: longhorn-volume-restore}
spec:
  fromBackup: "$url"
  size: "$size"
  numberOfReplicas: $replicas
  frontend: blockdev
  dataEngine: v1
  accessMode: rwo
YAML
echo "$created"
