#!/bin/bash
# One KRaft node (broker + controller). Writes /etc/kafka/server.properties from the defaults
# below and the KAFKA_* environment (the official apache/kafka image's convention:
# KAFKA_FOO_BAR=x -> foo.bar=x, '__' -> '_', '___' -> '-'), formats the storage on the first
# start only, then runs the broker in the foreground.
set -euo pipefail

CONFIG=/etc/kafka/server.properties
declare -A props=(
  [process.roles]=broker,controller
  [node.id]=1
  [listeners]=PLAINTEXT://:9092,CONTROLLER://:9093
  [advertised.listeners]=PLAINTEXT://localhost:9092
  [listener.security.protocol.map]=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
  [inter.broker.listener.name]=PLAINTEXT
  [controller.listener.names]=CONTROLLER
  [controller.quorum.bootstrap.servers]=localhost:9093
  [log.dirs]=/var/lib/kafka/data
  [num.partitions]=3
  [auto.create.topics.enable]=false
  [offsets.topic.replication.factor]=1
  [transaction.state.log.replication.factor]=1
  [transaction.state.log.min.isr]=1
  [share.coordinator.state.topic.replication.factor]=1
  [share.coordinator.state.topic.min.isr]=1
  [group.initial.rebalance.delay.ms]=0
)
# Read by the JVM or by this script, not broker properties.
not_props=" KAFKA_HEAP_OPTS KAFKA_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_LOG4J_OPTS KAFKA_VERSION KAFKA_TOOL_OPTS "
while IFS='=' read -r var _; do
  [[ "$var" == KAFKA_* && "$not_props" != *" $var "* ]] || continue
  name="${var#KAFKA_}"; name="${name,,}"
  name="${name//___/-}"; name="${name//__/@}"; name="${name//_/.}"; name="${name//@/_}"
  props[$name]="${!var}"
done < <(env)
# A static quorum (controller.quorum.voters) and a dynamic one (bootstrap.servers) exclude each other.
if [[ -n "${props[controller.quorum.voters]:-}" ]]; then
  unset 'props[controller.quorum.bootstrap.servers]'
fi
{
  echo "# Written by /opt/kafka/bin/entrypoint.sh on every start from its defaults and KAFKA_* variables."
  for key in "${!props[@]}"; do echo "$key=${props[$key]}"; done | sort
} >"$CONFIG"

log_dir="${props[log.dirs]%%,*}"
if [[ ! -f "$log_dir/meta.properties" ]]; then
  cluster_id="${CLUSTER_ID:-$(kafka-run-class.sh kafka.tools.StorageTool random-uuid)}"
  echo "formatting $log_dir for cluster $cluster_id (first start)"
  if [[ -n "${props[controller.quorum.voters]:-}" ]]; then
    kafka-run-class.sh kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG"
  else
    kafka-run-class.sh kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG" --standalone
  fi
fi

# shellcheck disable=SC2086  # the *_OPTS are word lists
exec java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms512m} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent} \
  -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
  ${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.xml} ${KAFKA_OPTS:-} \
  -cp '/opt/kafka/libs/*' kafka.Kafka "$CONFIG"
