"""`make up` with JARING_KAFKA_BROKERS=3: three KRaft nodes with their own ports and data dirs,
one static quorum, topics the services create keeping three copies with min.insync.replicas 2."""

import pytest

from deploy.local import stack
from deploy.local.kafka import KafkaNode


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("JARING_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("JARING_IDP", "none")
    for name in (
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_PORT",
        "KAFKA_CONTROLLER_PORT",
        "KAFKA_REPLICATION_FACTOR",
        "JARING_KAFKA_BROKERS",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def props(node: KafkaNode) -> dict[str, str]:
    node.write_config()
    lines = node.config_file.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_one_broker_by_default(state):
    lay = stack.Layout.load()
    assert [n.bootstrap_servers for n in lay.kafka_nodes()] == ["127.0.0.1:9092"]
    env = stack._child_env(lay, "k" * 32)
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092"
    assert "KAFKA_REPLICATION_FACTOR" not in env
    config = props(lay.kafka())
    assert (config["node.id"], config["offsets.topic.replication.factor"], config["min.insync.replicas"]) == (
        "1",
        "1",
        "1",
    )
    assert "controller.quorum.voters" not in config


def test_three_brokers_each_with_its_ports_and_data_dir_in_one_quorum(state, tmp_path):
    state.setenv("JARING_KAFKA_BROKERS", "3")
    lay = stack.Layout.load()
    nodes = lay.kafka_nodes()
    assert [(n.port, n.controller_port) for n in nodes] == [(9092, 9093), (9094, 9095), (9096, 9097)]
    assert len({n.data_dir for n in nodes}) == 3
    assert [lay.kafka_name(n) for n in nodes] == ["kafka-1", "kafka-2", "kafka-3"]
    env = stack._child_env(lay, "k" * 32)
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
    assert env["KAFKA_REPLICATION_FACTOR"] == "3"
    for i, node in enumerate(nodes, start=1):
        config = props(node)
        assert config["node.id"] == str(i)
        assert config["controller.quorum.voters"] == "1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097"
        assert config["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{9092 + 2 * (i - 1)}"
        # Internal topics (consumer offsets among them) keep three copies; acks=all needs two.
        assert (
            config["offsets.topic.replication.factor"],
            config["transaction.state.log.min.isr"],
            config["min.insync.replicas"],
            config["default.replication.factor"],
        ) == ("3", "2", "2", "3")


def test_other_broker_counts_are_refused(state):
    state.setenv("JARING_KAFKA_BROKERS", "2")
    with pytest.raises(stack.StackError, match="1 or 3"):
        stack.Layout.load().kafka_nodes()
