#!/bin/bash
# Runs one KRaft node (broker + controller). Settings (environment):
#   KAFKA_CLUSTER_ID      22-character cluster id; storage is formatted with it on first start
#   KAFKA_ADVERTISED_HOST the name clients use to reach this container (default: kafka)
#   KAFKA_HEAP_OPTS       JVM heap (default -Xms128m -Xmx512m: a small machine runs the rest too)
#   KAFKA_ADMIN_PASSWORD  the SASL/SCRAM super user "admin" (created with the storage; it
#                         creates the services' users and ACLs: shared/kafka_provision.py)
# Clients log in with SCRAM-SHA-512; what no ACL allows is denied (docs/security.md).
# `kafka-entrypoint healthcheck` is the container's healthcheck.
set -euo pipefail
CONF=/tmp/server.properties
DATA=/var/lib/kafka/data
CP='/opt/kafka/libs/*'
LOG_OPT=-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.xml

if [[ "${1:-}" == healthcheck ]]; then
    grep -q 'Kafka Server started' /tmp/kafka-server.log 2>/dev/null \
        && exec 3<>/dev/tcp/127.0.0.1/9092
    exit 1
fi

host="${KAFKA_ADVERTISED_HOST:-kafka}"
: "${KAFKA_ADMIN_PASSWORD:?KAFKA_ADMIN_PASSWORD must be set}"
pw="$KAFKA_ADMIN_PASSWORD"
umask 077  # the config holds the admin's password
cat >"$CONF" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=SASL_PLAINTEXT://0.0.0.0:9092,CONTROLLER://127.0.0.1:9093
advertised.listeners=SASL_PLAINTEXT://${host}:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${pw}";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${pw}" user_admin="${pw}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin
log.dirs=${DATA}
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
PROPS

# A volume formatted before authentication existed has no admin user: format it again.
if [[ -f "$DATA/meta.properties" && ! -f "$DATA/sasl-scram.formatted" ]]; then
    find "$DATA" -mindepth 1 -delete
fi
if [[ ! -f "$DATA/meta.properties" ]]; then
    : "${KAFKA_CLUSTER_ID:?KAFKA_CLUSTER_ID must be set for the first start}"
    java -Xmx256m -XX:TieredStopAtLevel=1 "$LOG_OPT" -cp "$CP" kafka.tools.StorageTool \
        format --ignore-formatted -t "$KAFKA_CLUSTER_ID" -c "$CONF" \
        --add-scram "SCRAM-SHA-512=[name=admin,password=${pw}]"
    touch "$DATA/sasl-scram.formatted"
fi
# The broker runs for weeks: it keeps the JVM's full tiered JIT (C1 only, as for the storage
# tool above, starts sooner but burns more CPU under sustained load).
# shellcheck disable=SC2086  # KAFKA_HEAP_OPTS is a list of JVM options
exec java ${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m} -XX:+UseSerialGC \
    -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true "$LOG_OPT" \
    -cp "$CP" kafka.Kafka "$CONF"
