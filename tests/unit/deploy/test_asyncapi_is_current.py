"""The AsyncAPI documents in docs/asyncapi are what the code generates today."""

from pathlib import Path

import pytest

from deploy.asyncapi import SERVICES, to_yaml

DOCS = Path(__file__).resolve().parents[3] / "docs" / "asyncapi"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_checked_in_asyncapi_document_matches_the_code(service):
    generated = to_yaml(service)
    assert (DOCS / f"{service}.yaml").read_text() == generated, "run `make docs` and commit docs/asyncapi"


def test_every_catalogue_topic_is_in_its_producers_document():
    from shared.topics import CATALOGUE

    for topic in CATALOGUE:
        assert f"address: {topic.name}" in (DOCS / f"{topic.producer}.yaml").read_text()
