#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the DATABASE_URL database.
#
# Usage: scripts/restore.sh [--yes] FILE
#   Every table in the backup is dropped and recreated from it (pg_restore --clean --if-exists),
#   in one transaction: if anything fails, the database is left as it was. Tables that are not
#   in the backup are left alone. Stop the application first. Without --yes, you are asked to
#   type the database's name.
set -euo pipefail

usage() {
  echo "Usage: $0 [--yes] FILE" >&2
  exit 2
}

yes=0
file=""
for argument in "$@"; do
  case "$argument" in
    --yes | -y) yes=1 ;;
    -h | --help)
      sed -n '2,8s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    -*) usage ;;
    *)
      [[ -z "$file" ]] || usage
      file="$argument"
      ;;
  esac
done
[[ -n "$file" ]] || usage
if [[ ! -r "$file" ]]; then
  echo "Cannot read the backup file: $file" >&2
  exit 2
fi

# shellcheck source=scripts/database_url.sh
source "$(dirname "$0")/database_url.sh"
use_database_url

if [[ "$yes" -ne 1 ]]; then
  if [[ ! -t 0 ]]; then
    echo "Not restoring: nobody to confirm. Run it in a terminal, or pass --yes." >&2
    exit 2
  fi
  echo "This replaces every table of the backup in ${DB_LABEL} with its contents from ${file}."
  read -r -p "Type the database name (${DB_NAME}) to go on: " answer
  if [[ "$answer" != "$DB_NAME" ]]; then
    echo "Not restored." >&2
    exit 1
  fi
fi

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --exit-on-error --dbname="$DB_URI" "$file"
echo "Restored ${file} into ${DB_LABEL}"
