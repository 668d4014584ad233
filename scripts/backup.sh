#!/usr/bin/env bash
# Back up the DATABASE_URL database into one file, in pg_dump's custom format (-Fc).
#
# Usage: scripts/backup.sh [FILE]
#   FILE defaults to backups/backcramp-YYYYmmdd-HHMMSS.dump (UTC). The file holds patients'
#   health data: it is created readable by its owner only. Restore it with scripts/restore.sh.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,6s/^# \{0,1\}//p' "$0"
  exit 0
fi
if [[ $# -gt 1 ]]; then
  echo "Usage: $0 [FILE]" >&2
  exit 2
fi

# shellcheck source=scripts/database_url.sh
source "$(dirname "$0")/database_url.sh"
use_database_url

file="${1:-backups/backcramp-$(date -u +%Y%m%d-%H%M%S).dump}"
umask 077
mkdir -p "$(dirname "$file")"
# Written beside the target and renamed at the end, so a failed dump never looks like a backup.
partial="$(mktemp "${file}.partial.XXXXXX")"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --dbname="$DB_URI" --file="$partial"
pg_restore --list "$partial" >/dev/null # the file can be read back
mv "$partial" "$file"
trap - EXIT

echo "Backed up ${DB_LABEL} to ${file} ($(du -h "$file" | cut -f1))"
