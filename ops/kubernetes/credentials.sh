#!/bin/sh
# Prints the keys of the codeflix-credentials Secret (KEY=value lines) from the passwords file
# compose/new-secrets.sh writes, with the engines at the addresses given in the environment
# (defaults: compose/'s service names).
#
#   sh ops/kubernetes/credentials.sh compose/secrets.env > credentials.env
#   kubectl -n codeflix create secret generic codeflix-credentials --from-env-file=credentials.env
set -eu
[ $# -eq 1 ] || { echo "usage: $0 SECRETS_ENV_FILE" >&2; exit 2; }
# shellcheck disable=SC1090
. "$1"
: "${REGISTRY_ADDRESS:=schema-registry:8081}"
: "${SCYLLA_ADDRESS:=scylla:9042}"
: "${SCYLLA_REPLICATION_FACTOR:=3}"
: "${ELASTICSEARCH_ADDRESS:=elasticsearch:9200}"
: "${CONTEXT_DB_ADDRESS:=context-db:5432}"
cat <<END
CODEFLIX__KAFKA__PROPERTIES__SASL_PASSWORD=${KAFKA_CODEFLIX_PASSWORD:?}
CODEFLIX__SCHEMA_REGISTRY__URL=http://codeflix:${REGISTRY_CODEFLIX_PASSWORD:?}@${REGISTRY_ADDRESS}
CODEFLIX__EVENT_LOG__SCYLLA_URL=scylla://codeflix:${SCYLLA_CODEFLIX_PASSWORD:?}@${SCYLLA_ADDRESS}/codeflix_commands?replication_factor=${SCYLLA_REPLICATION_FACTOR}
CODEFLIX__VIEWS__SCYLLA_URL=scylla://codeflix:${SCYLLA_CODEFLIX_PASSWORD}@${SCYLLA_ADDRESS}/codeflix_catalog?replication_factor=${SCYLLA_REPLICATION_FACTOR}
CODEFLIX__VIEWS__ELASTICSEARCH_URL=http://codeflix:${ELASTIC_CODEFLIX_PASSWORD:?}@${ELASTICSEARCH_ADDRESS}/codeflix-videos
CODEFLIX__AUTH__ADMIN_CLIENT_SECRET=${KEYCLOAK_CODEFLIX_ADMIN_SECRET:?}
CODEFLIX__NOTIFIER__UNSUBSCRIBE_SECRET=${UNSUBSCRIBE_SECRET:?}
CODEFLIX__PLAYBACK__ENTITLEMENTS=jdbc:postgresql://${CONTEXT_DB_ADDRESS}/playback?user=codeflix&password=${CONTEXT_DB_PASSWORD:?}
CODEFLIX__NOTIFIER__MIRROR=jdbc:postgresql://${CONTEXT_DB_ADDRESS}/notifications?user=codeflix&password=${CONTEXT_DB_PASSWORD}
KEDA_KAFKA_SASL=plaintext
KEDA_KAFKA_USERNAME=codeflix
END
