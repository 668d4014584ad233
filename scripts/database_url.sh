# Sourced by backup.sh and restore.sh: turn DATABASE_URL into what PostgreSQL's tools read.
#
# The password goes into PGPASSWORD, never onto a command line, where every user of the machine
# could read it in the process list. DB_URI is the URL without its password (libpq reads the
# rest, query options such as sslmode included); DB_NAME is the database's name and DB_LABEL
# names it for messages.

use_database_url() {
  local url="${DATABASE_URL:-}"
  if [[ -z "$url" ]]; then
    echo "DATABASE_URL is not set: give the PostgreSQL database, postgres://user@host:5432/name" >&2
    exit 2
  fi
  local scheme="${url%%://*}"
  case "$scheme" in
    postgres | postgresql | pgsql | postgis) ;;
    *)
      echo "DATABASE_URL is not a PostgreSQL URL (${scheme}://...); these scripts handle PostgreSQL only." >&2
      exit 2
      ;;
  esac
  local rest="${url#*://}"
  local authority="${rest%%[/?]*}"
  local tail="${rest:${#authority}}"
  local host="$authority" userinfo="" user="" password=""
  if [[ "$authority" == *@* ]]; then
    userinfo="${authority%@*}"
    host="${authority##*@}"
  fi
  user="${userinfo%%:*}"
  if [[ "$userinfo" == *:* ]]; then
    password="${userinfo#*:}"
    # Percent-decode, as every other reader of the URL does.
    password="${password//\\/\\\\}"
    printf -v password '%b' "${password//%/\\x}"
    export PGPASSWORD="$password"
  fi
  DB_URI="postgresql://${user:+$user@}${host}${tail}"
  DB_NAME="${tail#/}"
  DB_NAME="${DB_NAME%%\?*}"
  if [[ -z "$DB_NAME" ]]; then
    echo "DATABASE_URL names no database." >&2
    exit 2
  fi
  DB_LABEL="database \"${DB_NAME}\" on ${host:-the local socket}"
}
