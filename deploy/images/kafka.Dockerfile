# Apache Kafka, one KRaft node (broker + controller), where no image registry can be reached.
# The version is the one pinned in deploy/local/kafka/pom.xml, resolved by Maven from Maven
# Central in the first stage, as the local stack does; the final stage is a JRE and the jars.
# It reads the official apache/kafka image's settings: KAFKA_FOO_BAR=x is foo.bar=x
# (KAFKA_HEAP_OPTS and KAFKA_OPTS go to the JVM); CLUSTER_ID fixes the cluster id.
#   docker build -f deploy/images/kafka.Dockerfile -t jaring-kafka:4.1.1 .
ARG OS_BASE=jaring-os:bookworm

FROM ${OS_BASE} AS jars
# Debian's Maven brings the JRE it runs on; ca-certificates adds any extra CA of the base.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends maven ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY deploy/local/kafka/pom.xml ./pom.xml
RUN mvn -q -B -f pom.xml dependency:copy-dependencies -DoutputDirectory=/build/libs -DincludeScope=runtime \
 && rm -rf /root/.m2 \
 && ls libs/kafka_2.13-*.jar >/dev/null

FROM ${OS_BASE}
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/share/man/man1
RUN useradd --system --uid 10002 --user-group --home-dir /opt/kafka --no-create-home kafka \
 && mkdir -p /var/lib/kafka/data /etc/kafka \
 && chown kafka:kafka /var/lib/kafka/data /etc/kafka
COPY --from=jars /build/libs /opt/kafka/libs
COPY deploy/local/log4j2.xml /opt/kafka/config/log4j2.xml
COPY deploy/images/kafka/tools-log4j2.xml /opt/kafka/config/tools-log4j2.xml
COPY deploy/images/kafka/bin/ /opt/kafka/bin/
ENV PATH=/opt/kafka/bin:$PATH
USER kafka
WORKDIR /opt/kafka
EXPOSE 9092 9093
VOLUME /var/lib/kafka/data
HEALTHCHECK --interval=10s --timeout=15s --start-period=20s --retries=12 \
  CMD kafka-topics.sh --bootstrap-server localhost:9092 --list >/dev/null 2>&1
ENTRYPOINT ["/opt/kafka/bin/entrypoint.sh"]
