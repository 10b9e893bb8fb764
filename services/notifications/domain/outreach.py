"""Messages Jaring sends before the family asks (issue 19): a death the civil registry reported
opens a claim, and the heirs read who died, that they are entitled, the expected amount, what
to bring and where; a reminder if they have not come. Pure, like messages.py: the templates are
the catalogue's (templates.py), so WhatsApp, SMS and email read the same words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from services.notifications.domain.messages import RenderedMessage, document_words
from services.notifications.domain.money import format_rupiah
from services.notifications.domain.templates import CATALOGUE, one_line, whatsapp_language

PROACTIVE_CLAIM_OPENED = "ProactiveClaimOpened"
PROACTIVE_CLAIM_REMINDER = "ProactiveClaimReminderDue"
TEMPLATE_FOR = {
    PROACTIVE_CLAIM_OPENED: "jaring_proactive_claim_opened",
    PROACTIVE_CLAIM_REMINDER: "jaring_proactive_claim_reminder",
}


def render_proactive(
    kind: str,
    *,
    participant_name: str,
    claim_id: str,
    expected_amount: int,
    documents: Sequence[str],
    office: str,
    lang: str,
) -> RenderedMessage:
    lang = lang if lang in ("id", "en") else "id"
    template = CATALOGUE[TEMPLATE_FOR[kind]]
    values = {
        "name": participant_name,
        "office": office,
        "claim_id": claim_id,
        "amount": format_rupiah(expected_amount),
        "documents": "\n".join(f"- {document_words(d, lang)}" for d in documents),
    }
    subject = template.subject[lang].format(name=participant_name)
    return RenderedMessage(
        subject,
        template.fill(lang, values),
        template.name,
        whatsapp_language(lang),
        tuple(one_line(values[p]) for p in template.params),
    )


CONTRIBUTION_REMINDER = "ContributionReminderDue"
REMINDER_TEMPLATE_FOR = {
    "first_grace_month": "jaring_contribution_reminder_first",
    "before_lapse": "jaring_contribution_reminder_last",
}
_MONTHS = {
    "id": (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_AND = {"id": "dan", "en": "and"}


def day_words(day: date, lang: str) -> str:
    """ "31 Januari 2027": a date as a family reads it, not ISO."""
    return f"{day.day} {_MONTHS[lang][day.month - 1]} {day.year}"


def months_words(periods: Sequence[str], lang: str) -> str:
    names = [f"{_MONTHS[lang][int(p[5:7]) - 1]} {p[:4]}" for p in periods]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {_AND[lang]} {names[-1]}"


def render_reminder(
    kind: str, *, worker_name: str, months: Sequence[str], amount_due: int, cover_ends_on: date, lang: str = "id"
) -> RenderedMessage:
    lang = lang if lang in ("id", "en") else "id"
    template = CATALOGUE[REMINDER_TEMPLATE_FOR[kind]]
    values = {
        "name": worker_name,
        "months": months_words(months, lang),
        "amount": format_rupiah(amount_due),
        "cover_ends": day_words(cover_ends_on, lang),
    }
    subject = template.subject[lang].format(amount=values["amount"], cover_ends=values["cover_ends"])
    return RenderedMessage(
        subject,
        template.fill(lang, values),
        template.name,
        whatsapp_language(lang),
        tuple(one_line(values[p]) for p in template.params),
    )
