import pytest

from services.notifications.domain.recipients import Heir, address_for, channels_for, dedup_key


def heir(phone=None, email=None, language="id"):
    return Heir("H-1", "Siti Aminah", "widow", phone=phone, email=email, language=language)


def test_heir_with_only_email_gets_email():
    assert channels_for(heir(email="siti@example.id")) == ["email"]


def test_heir_with_only_phone_gets_whatsapp_by_default():
    assert channels_for(heir(phone="+6281234567890")) == ["whatsapp"]


def test_heir_with_only_phone_gets_sms_when_the_city_chose_sms():
    assert channels_for(heir(phone="+6281234567890"), phone_channel="sms") == ["sms"]


def test_heir_with_phone_and_email_gets_both():
    both = heir(phone="+6281234567890", email="siti@example.id")
    assert channels_for(both) == ["email", "whatsapp"]
    assert channels_for(both, phone_channel="sms") == ["email", "sms"]


def test_heir_with_neither_gets_no_channel():
    assert channels_for(heir()) == []
    assert channels_for(heir(phone="", email="  ")) == []


def test_unknown_phone_channel_is_refused():
    with pytest.raises(ValueError):
        channels_for(heir(phone="+6281234567890"), phone_channel="telegram")


def test_unknown_language_is_refused():
    with pytest.raises(ValueError):
        heir(language="bug")


def test_address_is_the_email_or_the_phone():
    both = heir(phone="+6281234567890", email="siti@example.id")
    assert address_for(both, "email") == "siti@example.id"
    assert address_for(both, "sms") == "+6281234567890"
    assert address_for(both, "whatsapp") == "+6281234567890"
    with pytest.raises(ValueError):
        address_for(heir(email="siti@example.id"), "whatsapp")


def test_one_message_per_event_heir_and_channel():
    key = dedup_key("evt-1", "H-1", "email")
    assert key == dedup_key("evt-1", "H-1", "email")
    others = {dedup_key("evt-2", "H-1", "email"), dedup_key("evt-1", "H-2", "email"), dedup_key("evt-1", "H-1", "sms")}
    assert key not in others and len(others) == 3


def test_dedup_key_parts_cannot_be_ambiguous():
    with pytest.raises(ValueError):
        dedup_key("evt:1", "H-1", "email")
    with pytest.raises(ValueError):
        dedup_key("evt-1", "", "email")
    with pytest.raises(ValueError):
        dedup_key("evt-1", "H-1", "pigeon")
