"""A claim told by its events: steps with durations, where it stands, when it is stuck."""

from datetime import UTC, date, datetime, timedelta

from services.console.domain.story import IndexedEvent, claim_state, steps, stuck

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 WITA


def event(type_: str, seconds: float, topic: str = "claims.decisions.v1", **summary) -> IndexedEvent:
    return IndexedEvent(
        type=type_,
        topic=topic,
        occurred_at=T0 + timedelta(seconds=seconds),
        producer="claims",
        correlation_id="CL-1",
        summary=summary,
        participant_id="P-1",
    )


def paid_jkm_claim() -> list[IndexedEvent]:
    return [
        event(
            "NotificationDelivered",
            9.0,
            "notifications.deliveries.v1",
            channel="email",
            heir_id="H-2",
            about="PayoutRecorded",
        ),
        event("ClaimFiled", 0.0, "claims.filed.v1", claim_type="JKM"),
        event("ClaimApproved", 1.5, claim_type="JKM", decided_by="rules", reasons=[]),
        event(
            "NotificationDelivered",
            2.0,
            "notifications.deliveries.v1",
            channel="whatsapp",
            heir_id="H-1",
            about="ClaimFiled",
        ),
        event("PayoutRecorded", 4.0, "claims.payouts.v1", claim_type="JKM", total_cash=42_000_000),
        event(
            "NotificationDelivered",
            5.0,
            "notifications.deliveries.v1",
            channel="whatsapp",
            heir_id="H-1",
            about="PayoutRecorded",
        ),
    ]


def test_steps_run_in_time_order_whatever_topic_they_came_from():
    assert [s.name for s in steps(paid_jkm_claim())] == [
        "filed",
        "verified",
        "family_notified",
        "payout_recorded",
        "family_notified",
        "family_notified",
    ]


def test_a_main_step_takes_the_time_since_the_step_before_it():
    by_name = {s.name: s for s in steps(paid_jkm_claim()) if s.name != "family_notified"}
    assert by_name["filed"].since_previous is None
    assert by_name["verified"].since_previous == timedelta(seconds=1.5)
    assert by_name["verified"].outcome == "approved"
    assert by_name["payout_recorded"].since_previous == timedelta(seconds=2.5)
    assert by_name["payout_recorded"].since_filed == timedelta(seconds=4)


def test_a_family_message_takes_the_time_since_the_event_it_tells_about():
    told = [
        (s.event.summary["about"], s.since_previous) for s in steps(paid_jkm_claim()) if s.name == "family_notified"
    ]
    assert told == [
        ("ClaimFiled", timedelta(seconds=2)),
        ("PayoutRecorded", timedelta(seconds=1)),
        ("PayoutRecorded", timedelta(seconds=5)),
    ]


def test_an_officers_decision_is_its_own_step_after_the_rules_referred_the_claim():
    events = [
        event("ClaimFiled", 0, "claims.filed.v1", claim_type="JKM"),
        event(
            "ClaimReferredForReview",
            1,
            claim_type="JKM",
            reasons=["DEATH_SOON_AFTER_ENROLMENT"],
            documents_complete_on="2026-11-24",
            payment_deadline="2026-11-27",
        ),
        event("ClaimApproved", 3600, claim_type="JKM", decided_by="rahma.supervisor", reasons=["OFFICER_APPROVED"]),
    ]
    assert [(s.name, s.outcome) for s in steps(events)] == [
        ("filed", None),
        ("verified", "needs_review"),
        ("decided", "approved"),
    ]
    state = claim_state("CL-1", events)
    assert state.status == "approved" and state.waiting_for == "payout_recording"
    # The rules found nothing missing when they referred it: claims started the payment clock then.
    assert (state.documents_complete_on, state.payment_deadline) == (date(2026, 11, 24), date(2026, 11, 27))


def test_the_payment_clock_is_the_one_claims_announced_once_the_documents_were_complete():
    events = [
        event("ClaimFiled", 0, "claims.filed.v1", claim_type="JKK"),
        event(
            "ClaimReferredForReview",
            1,
            claim_type="JKK",
            reasons=["POLICE_REPORT_MISSING"],
            documents_complete_on=None,
            payment_deadline=None,
        ),
        event(
            "ClaimApproved",
            86_400,
            claim_type="JKK",
            decided_by="rules",
            reasons=[],
            documents_complete_on="2026-11-25",
            payment_deadline="2026-12-04",
        ),
    ]
    assert claim_state("CL-1", events[:2]).payment_deadline is None
    assert claim_state("CL-1", events).payment_deadline == date(2026, 12, 4)


def test_a_paid_or_rejected_claim_is_finished_and_never_stuck():
    paid = paid_jkm_claim() + [event("DisbursementChanged", 60, "claims.payouts.v1", status="paid")]
    rejected = [
        event("ClaimFiled", 0, "claims.filed.v1", claim_type="JKM"),
        event("ClaimRejected", 1, claim_type="JKM", decided_by="rules", reasons=["NOT_COVERED_ON_INCIDENT_DATE"]),
    ]
    assert claim_state("CL-1", paid).status == "paid" and claim_state("CL-1", paid).finished
    assert claim_state("CL-1", rejected).finished
    later = T0 + timedelta(days=30)
    assert stuck([claim_state("CL-1", paid), claim_state("CL-2", rejected)], later, timedelta(hours=1)) == []


def test_stuck_claims_are_the_quiet_unfinished_ones_oldest_first():
    waiting_payout = claim_state(
        "CL-A",
        [
            event("ClaimFiled", 0, "claims.filed.v1", claim_type="JKM"),
            event("ClaimApproved", 10, claim_type="JKM", decided_by="rules"),
        ],
    )
    waiting_rules = claim_state("CL-B", [event("ClaimFiled", 5, "claims.filed.v1", claim_type="JKM")])
    fresh = claim_state("CL-C", [event("ClaimFiled", 3500, "claims.filed.v1", claim_type="JKM")])
    found = stuck([fresh, waiting_payout, waiting_rules], T0 + timedelta(hours=1), timedelta(minutes=30))
    assert [(s.claim_id, s.waiting_for) for s in found] == [("CL-B", "verification"), ("CL-A", "payout_recording")]


def test_a_withdrawn_claim_is_finished_and_awaits_nothing():
    from datetime import datetime

    from services.console.domain.story import IndexedEvent, claim_state, steps

    at = datetime(2026, 11, 27, 2, tzinfo=UTC)
    events = [
        IndexedEvent("ClaimFiled", "claims.filed.v1", at, "claims", "CL-1", {"claim_type": "JKM"}),
        IndexedEvent(
            "ClaimReferredForReview",
            "claims.decisions.v1",
            at.replace(minute=1),
            "claims",
            "CL-1",
            {"claim_type": "JKM"},
        ),
        IndexedEvent(
            "ClaimWithdrawn",
            "claims.decisions.v1",
            at.replace(minute=3),
            "claims",
            "CL-1",
            {"claim_type": "JKM", "withdrawn_by": "rina.officer"},
        ),
    ]
    state = claim_state("CL-1", events)
    assert (state.status, state.finished) == ("withdrawn", True)
    assert [s.name for s in steps(events)] == ["filed", "verified", "withdrawn"]
