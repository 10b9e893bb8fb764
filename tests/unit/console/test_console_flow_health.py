"""The flows headline is green only when every group has members and has read everything;
otherwise it names the worst group."""

from dataclasses import dataclass

from services.console.domain.flow_health import flow_health


@dataclass
class G:
    group_id: str
    members: tuple
    total_lag: int


ONE = ("claims-1",)


def test_every_group_with_members_and_nothing_unread_is_green():
    health = flow_health([G("claims.decisions", ONE, 0), G("notifications.payouts", ONE, 0)], {})
    assert health.green and health.worst is None


def test_a_group_without_members_and_with_unread_messages_is_named_first():
    # The issue's case: claims' consumers killed, two messages waiting for them.
    health = flow_health(
        [G("notifications.payouts", ONE, 5), G("claims.verification", (), 2), G("claims.decisions", ONE, 0)], {}
    )
    assert not health.green
    assert (health.worst.group_id, health.worst.concern, health.worst.lag) == (
        "claims.verification",
        "no_members_lagging",
        2,
    )
    assert health.troubled == 2


def test_a_lag_that_grew_since_the_last_look_comes_before_a_steady_one():
    health = flow_health([G("a.steady", ONE, 40), G("b.growing", ONE, 7)], {"a.steady": 40, "b.growing": 3})
    assert (health.worst.group_id, health.worst.concern, health.worst.grew_by) == ("b.growing", "lag_growing", 4)


def test_a_lag_that_shrinks_is_lagging_not_growing():
    health = flow_health([G("a", ONE, 3)], {"a": 9})
    assert health.worst.concern == "lagging"


def test_a_group_without_members_that_has_read_everything_still_keeps_it_off_green():
    health = flow_health([G("claims.decisions", ONE, 0), G("console_old.index", (), 0)], {})
    assert not health.green and health.worst.concern == "no_members"


def test_every_concern_has_its_headline_and_its_badge_in_both_languages():
    from services.console import i18n
    from services.console.domain.flow_health import CONCERNS

    assert [c for c in CONCERNS if f"worst_{c}" not in i18n.TEXT or f"concern_{c}" not in i18n.TEXT] == []
