#!/bin/bash
# Runs one of Kafka's classes with a small heap and quiet logging (for the tools below).
# shellcheck disable=SC2086
exec java ${KAFKA_TOOL_OPTS:--Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1} \
  -Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.xml -cp '/opt/kafka/libs/*' "$@"
