#!/usr/bin/env bash
# Make sure the real components the tests use are there: PostgreSQL at 127.0.0.1:5432 (trust
# auth, database `test`) and Debian's Chromium for the console tests. Installs what is missing.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
apt_updated=0
apt_install() {
  if [ $apt_updated = 0 ]; then $SUDO apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! pg_up; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
  ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$ver" ]; then
    conf=/etc/postgresql/$ver/main
    # trust auth on loopback, as the test contract expects
    if ! grep -q "yibao-trust" "$conf/pg_hba.conf" 2>/dev/null; then
      $SUDO sed -i '1i host all all 127.0.0.1/32 trust # yibao-trust\nhost all all ::1/128 trust # yibao-trust\nlocal all all trust # yibao-trust' "$conf/pg_hba.conf"
    fi
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if pg_up; then
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
  echo "postgresql: up at 127.0.0.1:5432"
else
  echo "postgresql: NOT available at 127.0.0.1:5432" >&2
fi

if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium chromium-driver fonts-noto-cjk || echo "chromium: install failed" >&2
fi
command -v chromium >/dev/null 2>&1 && echo "chromium: $(chromium --version 2>/dev/null | head -n 1)"
command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
exit 0
