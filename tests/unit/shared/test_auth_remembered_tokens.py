"""A verified token is remembered, so an officer's next request skips PyJWT, but never past its exp,
never for another token string, never for a refused token, and never beyond a fixed number of tokens."""

import time

import jwt
import pytest

from shared.auth import RECHECK_SECONDS, TokenVerifier

SECRET = "s" * 32


class Clock:
    """The verifier's clock, moved by the test. PyJWT reads the system clock, so it starts there."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """Every token PyJWT decodes (verifies), in order."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token, *args, **kwargs):
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


def verifier(clock: Clock, **overrides) -> TokenVerifier:
    return TokenVerifier(SECRET, issuer="jaring-local", audience="jaring", clock=clock, **overrides)


def token(clock: Clock, subject: str = "andi", *, lives: int = 3600, role: str = "officer", **claims) -> str:
    iat = int(clock.now)
    full = {"iss": "jaring-local", "aud": "jaring", "sub": subject, "role": role, "iat": iat, "exp": iat + lives}
    return jwt.encode({**full, **claims}, SECRET, algorithm="HS256")


def test_a_token_verified_once_gives_the_same_actor_without_pyjwt_again(clock, decodes):
    check, officer = verifier(clock), token(clock)
    first = check.verify(officer)
    clock.now += 60
    again = [check.verify(officer) for _ in range(1000)]
    assert all(actor == first for actor in again) and (first.subject, first.role) == ("andi", "officer")
    assert decodes == [officer]  # one signature check for 1,001 requests


def test_a_remembered_token_is_refused_from_the_second_of_its_exp(clock, decodes):
    check, officer = verifier(clock), token(clock, lives=100)  # exp = iat + 100
    check.verify(officer)
    clock.now += 99  # the last second it is good: exp - 1
    assert check.verify(officer).subject == "andi"
    clock.now += 1  # exp itself: PyJWT refuses a token when exp <= now, with no leeway
    with pytest.raises(jwt.ExpiredSignatureError):
        check.verify(officer)
    with pytest.raises(jwt.ExpiredSignatureError):  # and stays refused; nothing remembered brings it back
        check.verify(officer)
    assert check.remembered(officer) is None


def test_a_token_expired_on_the_verifiers_clock_is_refused_even_when_pyjwt_passes_it(clock, decodes):
    check, officer = verifier(clock), token(clock, lives=100)
    clock.now += 100  # PyJWT reads the system clock, still before exp; the verifier's clock is past it
    with pytest.raises(jwt.ExpiredSignatureError):
        check.verify(officer)
    assert check.remembered(officer) is None


def test_a_token_is_not_taken_before_its_iat_on_the_verifiers_clock(clock):
    check, officer = verifier(clock), token(clock)
    check.verify(officer)
    clock.now -= 1  # the clock stepped back before the token's iat
    with pytest.raises(jwt.ImmatureSignatureError):
        check.verify(officer)


def test_a_remembered_token_has_its_signature_checked_again_after_the_recheck_interval(clock, decodes):
    check, officer = verifier(clock), token(clock, lives=3600)
    check.verify(officer)
    clock.now += RECHECK_SECONDS - 1
    check.verify(officer)
    assert len(decodes) == 1
    clock.now += 1  # 300 s after the check: checked again, and remembered again from then
    check.verify(officer)
    clock.now += RECHECK_SECONDS - 1
    check.verify(officer)
    assert decodes == [officer, officer]


def _with_byte_changed(token: str, segment: int) -> str:
    """The token with one character in the middle of one of its three segments changed: a middle
    base64url character carries six bits of data, never padding bits."""
    parts = token.split(".")
    middle = len(parts[segment]) // 2
    old = parts[segment][middle]
    parts[segment] = parts[segment][:middle] + ("A" if old != "A" else "B") + parts[segment][middle + 1 :]
    return ".".join(parts)


@pytest.mark.parametrize("segment", [1, 2], ids=["claims", "signature"])
def test_a_token_one_byte_different_from_a_remembered_one_is_verified_afresh_and_refused(clock, decodes, segment):
    check, officer = verifier(clock), token(clock)
    check.verify(officer)
    forged = _with_byte_changed(officer, segment)
    assert forged != officer and len(forged) == len(officer)
    assert check.remembered(forged) is None
    with pytest.raises(jwt.PyJWTError):
        check.verify(forged)
    assert decodes[-1] == forged


def test_a_token_refused_after_its_signature_checked_out_is_not_remembered(clock, decodes):
    check = verifier(clock)
    unknown_role = token(clock, role="admin")
    month = token(clock, lives=30 * 24 * 3600)
    for refused in (unknown_role, month, unknown_role, month):
        with pytest.raises(jwt.InvalidTokenError):
            check.verify(refused)
    assert decodes == [unknown_role, month, unknown_role, month]  # each checked in full, every time


def test_the_least_recently_used_token_is_forgotten_beyond_the_bound(clock, decodes):
    check = verifier(clock, remembered_tokens=2)
    andi, budi, citra = (token(clock, name) for name in ("andi", "budi", "citra"))
    check.verify(andi)
    check.verify(budi)
    check.verify(andi)  # andi used more recently than budi
    check.verify(citra)  # a third token: budi, the least recently used, goes
    assert check.remembered(andi) is not None and check.remembered(citra) is not None
    assert check.remembered(budi) is None
    check.verify(budi)
    assert decodes == [andi, budi, citra, budi]


def test_a_flood_of_distinct_tokens_never_grows_the_memory_past_its_bound(clock):
    check = verifier(clock, remembered_tokens=50)
    for n in range(500):
        check.verify(token(clock, f"officer-{n}"))
    assert len(check._remembered) == 50


def test_a_flood_of_garbage_tokens_takes_no_memory_and_forgets_no_good_token(clock, decodes):
    check, officer = verifier(clock, remembered_tokens=3), token(clock)
    check.verify(officer)
    forged_signatures = [token(clock, f"x{n}")[:-8] + f"{n:08d}" for n in range(300)]
    not_even_jwts = [f"garbage-{n}" for n in range(300)]
    for garbage in forged_signatures + not_even_jwts:
        with pytest.raises(jwt.PyJWTError):
            check.verify(garbage)
    assert len(check._remembered) == 1
    before = len(decodes)
    assert check.verify(officer).subject == "andi" and len(decodes) == before  # still remembered
