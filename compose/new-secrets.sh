#!/bin/sh
# Writes the passwords docker-compose.yml needs, one random hex password per engine account (and
# the codeflix-admin client's secret at Keycloak), to compose/secrets.env (or the file given). Pass it to every compose command with --env-file.
# The engines keep some passwords in their volumes (ScyllaDB's superuser, Elasticsearch's
# `elastic`, Keycloak's admin and the imported client secret): to change those, change them in the engine, or remove the volumes.
set -eu
out="${1:-$(dirname "$0")/secrets.env}"
if [ -e "$out" ]; then
  echo "$out exists: remove it first to make new passwords" >&2
  exit 1
fi
umask 077
password() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
{
  echo "# Passwords for compose/docker-compose.yml, made by new-secrets.sh. Keep this file private."
  for name in \
    KAFKA_ADMIN_PASSWORD KAFKA_CODEFLIX_PASSWORD KAFKA_REGISTRY_PASSWORD KAFKA_CONNECT_PASSWORD \
    REGISTRY_CODEFLIX_PASSWORD REGISTRY_CONNECT_PASSWORD \
    SCYLLA_SUPERUSER_PASSWORD SCYLLA_CODEFLIX_PASSWORD \
    ELASTIC_PASSWORD ELASTIC_CODEFLIX_PASSWORD \
    CONNECT_ADMIN_PASSWORD \
    KEYCLOAK_ADMIN_PASSWORD KEYCLOAK_CODEFLIX_ADMIN_SECRET \
    CONTEXT_DB_PASSWORD UNSUBSCRIBE_SECRET \
    GRAFANA_ADMIN_PASSWORD KAFKA_UI_ADMIN_PASSWORD; do
    printf '%s=%s\n' "$name" "$(password)"
  done
} > "$out"
echo "wrote $out"

# The gateway's TLS certificate (nginx): self-signed for localhost, kept if one is there already.
certs="$(dirname "$0")/nginx/certs"
if [ ! -e "$certs/codeflix.crt" ]; then
  mkdir -p "$certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$certs/codeflix.key" -out "$certs/codeflix.crt" 2>/dev/null
  chmod 644 "$certs/codeflix.key"  # read by nginx's unprivileged workers in the container
  echo "wrote $certs/codeflix.crt (self-signed; replace it with a real certificate for anything public)"
fi
