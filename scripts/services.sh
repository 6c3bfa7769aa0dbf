#!/usr/bin/env bash
# Make sure the services the tests use for real are up: PostgreSQL (127.0.0.1:5432) and Mosquitto (127.0.0.1:1883).
# Start one that is down when this machine can; otherwise fail with a message that says what to do.
set -u

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_up() {
  for _ in $(seq 1 50); do up "$1" && return 0; sleep 0.2; done
  return 1
}

if ! up 5432; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it" >&2
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
  wait_up 5432 || { echo "error: PostgreSQL is down on 127.0.0.1:5432 and could not be started; start it (trust auth, database 'test') and run again" >&2; exit 1; }
fi

if ! up 1883; then
  echo "Mosquitto is not answering on 127.0.0.1:1883; starting it" >&2
  if command -v mosquitto >/dev/null 2>&1; then
    if [ -f /etc/mosquitto/mosquitto.conf ]; then mosquitto -d -c /etc/mosquitto/mosquitto.conf || true; else mosquitto -d -p 1883 || true; fi
  fi
  wait_up 1883 || { echo "error: the MQTT broker is down on 127.0.0.1:1883 and could not be started; install/start mosquitto and run again" >&2; exit 1; }
fi
echo "services: PostgreSQL 127.0.0.1:5432 and MQTT 127.0.0.1:1883 are up"
