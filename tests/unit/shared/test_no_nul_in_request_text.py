"""Text a caller sends may not hold a NUL byte: PostgreSQL refuses it in text, so a value that got
through became a 500 (stateful fuzzing found one in a reversal's external_id). Each request model's
free-text fields answer 422 with the rule instead."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.claims.api import GuardianIn, HeirIn, ReclassificationIn, ReopenIn
from services.claims.disbursement.api import ReversalIn
from services.enrollment.api import DuplicateDecisionIn
from services.grievances.api import GrievanceIn

# Each model: a valid body, and its text fields.
VALID = {
    ReversalIn: ({"external_id": "TRF-1", "reason": "the bank reversed it"}, ("external_id", "reason")),
    HeirIn: (
        {"full_name": "Sitti Rahmawati", "relationship": "spouse", "phone": "+6281342001111", "email": "s@example.id"},
        ("full_name", "phone", "email"),
    ),
    GuardianIn: ({"name": "Hasnah", "relationship": "ibu"}, ("name", "relationship")),
    ReclassificationIn: ({"claim_type": "JKM", "reason": "the death was not at work"}, ("reason",)),
    ReopenIn: ({"reason": "the grievance showed a missing document"}, ("reason",)),
    DuplicateDecisionIn: ({"reason": "two people"}, ("reason",)),
    GrievanceIn: (
        {
            "category": "delay",
            "text": "the money did not arrive",
            "claim_id": "CL-1",
            "participant_id": "P-1",
            "contact_phone": "+6281342001111",
        },
        ("text", "claim_id", "participant_id", "contact_phone"),
    ),
}


@pytest.mark.parametrize(
    ("model", "field"),
    [(model, field) for model, (_, fields) in VALID.items() for field in fields],
    ids=lambda x: getattr(x, "__name__", x),
)
def test_a_nul_byte_in_a_text_field_is_refused_naming_the_field_and_the_rule(model, field):
    body = VALID[model][0]
    model.model_validate(body)  # the body as given is fine
    with pytest.raises(ValidationError) as refused:
        model.model_validate({**body, field: "TRF\x00-1"})
    (error,) = refused.value.errors()
    assert error["loc"] == (field,) and error["type"] == "no_nul_byte"
