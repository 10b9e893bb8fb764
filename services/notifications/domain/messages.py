"""Which claim events a family hears about, and the message they read.

Pure: no I/O, no clock. The input is a `ClaimNotice` holding this one claim's data,
and of a payout only the lines of the one recipient (the handler builds it from the
event), so a message cannot carry another family's data, nor another heir's share.
Every message is a template of domain.templates: its parameters are computed here.
A NIK appears only as `shared.privacy.mask_nik` made it: a notice with
anything that looks like a full NIK is refused, and so is a rendered message with a
16-digit run in it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from services.notifications.domain import wording as w
from services.notifications.domain.money import format_rupiah
from services.notifications.domain.recipients import Heir, channels_for, the_worker
from services.notifications.domain.templates import CATALOGUE, one_line, whatsapp_language

CLAIM_FILED = "ClaimFiled"
CLAIM_REJECTED = "ClaimRejected"
PAYOUT_RECORDED = "PayoutRecorded"
DISBURSEMENT_PAID = "DisbursementPaid"
TRANSFER_REJECTED = "TransferRejected"
RECEIPT_CHECK = "ReceiptCheck"
CLAIM_RECLASSIFIED = "ClaimReclassified"  # after payout: the difference each person receives
LATE_CHARGE_RECORDED = "LateChargeRecorded"  # paid late: each payee's late charge
MESSAGE_EVENTS: frozenset[str] = frozenset(
    {
        CLAIM_FILED,
        CLAIM_REJECTED,
        PAYOUT_RECORDED,
        DISBURSEMENT_PAID,
        TRANSFER_REJECTED,
        RECEIPT_CHECK,
        CLAIM_RECLASSIFIED,
        LATE_CHARGE_RECORDED,
    }
)
# Money added to a payout: only a person with lines of their own is told (no "others" message).
ADDED_MONEY_EVENTS: frozenset[str] = frozenset({CLAIM_RECLASSIFIED, LATE_CHARGE_RECORDED})

DEFAULT_LANGUAGE = "id"
CASH = "cash"
ENTITLEMENT = "entitlement"  # paid year by year on request (scholarship), not money paid now
COMPONENT_KINDS: frozenset[str] = frozenset({CASH, ENTITLEMENT})
DEATH_CLAIM_TYPES: frozenset[str] = frozenset({"JKM", "JKK_DEATH"})  # shared.contracts.claims.ClaimType

_FULL_NIK = re.compile(r"\d{16}")
_LONG_DIGIT_RUN = re.compile(r"\d{5,}")  # mask_nik keeps at most 4 leading digits


def produces_message(event_kind: str) -> bool:
    """Only these events reach families; the rest are for officers and operators."""
    return event_kind in MESSAGE_EVENTS


class PayoutComponent(NamedTuple):
    """One line of shared.contracts.claims.PayoutComponent; a plain
    (component, amount, kind) tuple is accepted too."""

    component: str  # "lump_sum", "periodic_benefit", "funeral", "death_benefit", "scholarship", …
    amount: int  # whole rupiah; for an entitlement, the most it can come to in all
    kind: str  # "cash" or "entitlement"
    payee_name: str | None = None  # who this line is paid to; else the notice's payee_names
    guardian_name: str | None = None  # a minor's share is paid through a guardian (wali)


@dataclass(frozen=True)
class RenderedMessage:
    """One message as each channel sends it: `subject` and `body` for email and SMS, and,
    for WhatsApp, the catalogue `template` with its `parameters` (one line each) in
    `language`. The body is the template filled in, so every channel reads the same words."""

    subject: str
    body: str
    template: str | None = None
    language: str = DEFAULT_LANGUAGE
    parameters: tuple[str, ...] = ()

    def as_text(self) -> str:
        """One text for channels without a subject line (SMS; WhatsApp free text)."""
        return f"{self.subject}\n\n{self.body}"


@dataclass(frozen=True)
class ClaimNotice:
    """What a message may say about one claim. `components` accepts plain
    (component, amount, kind[, payee_name]) tuples; `total` is the cash total and,
    for PayoutRecorded, must equal the sum of the cash components."""

    claim_id: str
    claim_type: str  # "JKM", "JKK", "JKK_DEATH" (shared.contracts.claims.ClaimType)
    participant_name: str
    masked_nik: str  # shared.privacy.mask_nik(nik) — never the NIK itself
    reasons: tuple[str, ...] = ()  # ClaimRejected reason codes
    components: tuple[PayoutComponent, ...] = ()
    payee_names: tuple[str, ...] = ()  # for lines without their own payee, and for DisbursementPaid
    total: int | None = None  # PayoutRecorded.total_cash; for DisbursementPaid, the amount transferred
    missing_documents: tuple[str, ...] = ()  # document codes, for DOCUMENTS_INCOMPLETE
    contact: str | None = None  # branch/officer contact line, if the city gives one
    days_late: int | None = None  # LateChargeRecorded: days after the payment deadline

    def __post_init__(self) -> None:
        if not self.masked_nik or "*" not in self.masked_nik or _LONG_DIGIT_RUN.search(self.masked_nik):
            raise ValueError("masked_nik must come from shared.privacy.mask_nik; a full NIK is never put in a message")
        object.__setattr__(self, "reasons", tuple(self.reasons))
        object.__setattr__(self, "payee_names", tuple(self.payee_names))
        object.__setattr__(self, "missing_documents", tuple(self.missing_documents))
        components = tuple(PayoutComponent(*c) for c in self.components)
        for c in components:
            if c.kind not in COMPONENT_KINDS:
                raise ValueError(f"component kind must be one of {sorted(COMPONENT_KINDS)}, got {c.kind!r}")
            format_rupiah(c.amount)  # refuses floats and negatives here, not half-way through a send
        object.__setattr__(self, "components", components)
        if self.total is not None:
            format_rupiah(self.total)

    @property
    def cash_total(self) -> int:
        return sum(c.amount for c in self.components if c.kind == CASH)


def render(event_kind: str, notice: ClaimNotice, heir_language: str | None = DEFAULT_LANGUAGE) -> RenderedMessage:
    """The message for one recipient about one event, in their language (Bahasa Indonesia
    unless they asked for English; an unknown language gets Bahasa Indonesia, because
    a message in the country's language beats no message). The notice holds what THIS
    recipient may read: for a payout, their own lines (none: the "others" template names
    who is paid, without amounts)."""
    lang = heir_language if heir_language in ("id", "en") else DEFAULT_LANGUAGE
    builders = {
        CLAIM_FILED: _claim_filed,
        CLAIM_REJECTED: _claim_rejected,
        PAYOUT_RECORDED: _payout_recorded,
        DISBURSEMENT_PAID: _disbursement_paid,
        TRANSFER_REJECTED: _transfer_rejected,
        RECEIPT_CHECK: _receipt_check,
        CLAIM_RECLASSIFIED: _claim_reclassified,
        LATE_CHARGE_RECORDED: _late_charge,
    }
    if event_kind not in builders:
        raise ValueError(f"{event_kind!r} does not produce a message; see MESSAGE_EVENTS")
    kind, values, subject_values = builders[event_kind](notice, lang)
    template = CATALOGUE[f"jaring_{kind}_death" if is_death(notice.claim_type) else f"jaring_{kind}"]
    values = {**_common(notice, lang), **values}
    subject = template.subject[lang].format(
        short=programme(notice.claim_type), name=notice.participant_name, **subject_values
    )
    message = RenderedMessage(
        subject,
        template.fill(lang, values),
        template.name,
        whatsapp_language(lang),
        tuple(one_line(values[p]) for p in template.params),
    )
    if _FULL_NIK.search(message.subject) or _FULL_NIK.search(message.body):
        # Last guard: a NIK smuggled in through a name or claim id never leaves.
        raise ValueError("rendered message contains a 16-digit number; refusing to send a possible NIK")
    return message


def from_template(name: str, lang: str, values: dict[str, str]) -> RenderedMessage:
    """A catalogue template filled in with `values` (its parameters; the subject may use any of
    them): the one way a family message that is not about a claim event is rendered."""
    template = CATALOGUE[name]
    return RenderedMessage(
        template.subject[lang].format(**values),
        template.fill(lang, values),
        template.name,
        whatsapp_language(lang),
        tuple(one_line(values[p]) for p in template.params),
    )


def is_death(claim_type: str) -> bool:
    """JKM, and JKK when the accident killed the worker: the family is in mourning."""
    return claim_type.upper() in DEATH_CLAIM_TYPES


def who_is_told(
    claim_type: str, participant_id: str, full_name: str, phone: str | None, heirs: list[Heir], phone_channel: str
) -> tuple[list[Heir], list[Heir]]:
    """(those told, those who cannot be: neither phone nor email). The person paid is the person
    told (issue 12.9): after a death the heirs; after a living worker's accident, the worker."""
    family = heirs if is_death(claim_type) else [the_worker(participant_id, full_name, phone)]
    return (
        [person for person in family if channels_for(person, phone_channel)],
        [person for person in family if not channels_for(person, phone_channel)],
    )


def what_they_receive(person: Heir, components: Sequence[Any], claim_type: str) -> dict[str, Any]:
    """The lines of a payout that are this person's: paid to them, or paid through them as
    a minor's guardian (wali); `total` their cash. A living worker is paid every line of their
    own claim."""

    def theirs(c: Any) -> bool:
        guardian = getattr(c, "guardian_name", None)  # added to the contract by the payout work
        if guardian and guardian.strip().casefold() == person.full_name.strip().casefold():
            return True
        if not is_death(claim_type):
            return person.relationship == "self"
        return c.payee_heir_id is not None and c.payee_heir_id == person.heir_id

    lines = tuple(
        PayoutComponent(c.component, c.amount, c.kind, c.payee_name, getattr(c, "guardian_name", None))
        for c in components
        if theirs(c)
    )
    return {"components": lines, "total": sum(c.amount for c in lines if c.kind == CASH) if lines else None}


def _common(n: ClaimNotice, lang: str) -> dict[str, str]:
    return {
        "claim_type": claim_type_words(n.claim_type, lang),
        "name": n.participant_name,
        "nik": n.masked_nik,
        "claim_id": n.claim_id,
        "contact": _contact(n, lang),
    }


# --- one builder per event: (template kind, parameters, subject values) ---------------------

Built = tuple[str, dict[str, str], dict[str, str]]


def _claim_filed(n: ClaimNotice, lang: str) -> Built:
    days = sla_working_days(n.claim_type)
    if days is None:
        raise ValueError(f"no payment deadline known for claim type {n.claim_type!r}")
    return "claim_filed", {"days": str(days)}, {}


def _claim_rejected(n: ClaimNotice, lang: str) -> Built:
    if not n.reasons:
        raise ValueError("a ClaimRejected message needs at least one reason code")
    fmt = {"name": n.participant_name, "programme": programme(n.claim_type)}
    reasons = [reason_sentence(code, lang, **fmt) for code in n.reasons]
    advice: list[str] = []
    for code in n.reasons:
        if code in w.REASON_ADVICE:
            documents = ""
            if code == "DOCUMENTS_INCOMPLETE" and n.missing_documents:
                names = ", ".join(document_words(d, lang) for d in n.missing_documents)
                documents = _p("documents_named", lang, documents=names)
            sentence = w.REASON_ADVICE[code][lang].format(documents=documents, **fmt)
            if sentence not in advice:
                advice.append(sentence)
    advice.append(w.ADVICE_CALL_OFFICER[lang])
    values = {"reasons": _bullets(reasons), "advice": _bullets(advice)}
    if is_death(n.claim_type):
        # The one thing to do comes first, under the condolences; the rest stays in the list.
        values["next_step"] = advice[0]
        values["advice"] = _bullets(advice[1:] or advice)
    return "claim_rejected", values, {}


def _payout_recorded(n: ClaimNotice, lang: str) -> Built:
    if not n.components:
        # This recipient is paid nothing: they read who is paid, not the amounts.
        if not n.payee_names:
            raise ValueError("a PayoutRecorded message needs its components or the payees' names")
        return "payout_recorded_others", {"payees": join_names(n.payee_names, lang)}, {}
    total = n.cash_total
    if n.total is not None and n.total != total:
        # A family must never read a total that is not the sum of the lines above it.
        raise ValueError(f"total {n.total} is not the sum of the cash components {total}")
    cash_lines = _cash_lines(n, lang)
    entitlement_lines = []
    for c in n.components:
        if c.kind != ENTITLEMENT:
            continue
        words = component_words(c.component, lang)
        if c.payee_name:
            words = _p("component_for", lang, component=words, payee=c.payee_name)
        entitlement_lines.append(_p("entitlement_line", lang, component=words, amount=format_rupiah(c.amount)))
    details = []
    if cash_lines:
        details += [_bullets(cash_lines), _p("payout_total", lang, total=format_rupiah(total))]
    if entitlement_lines:
        details += [_p("entitlement_heading", lang), _bullets(entitlement_lines)]
    return "payout_recorded", {"details": "\n".join(details)}, {"total": format_rupiah(total)}


def _cash_lines(n: ClaimNotice, lang: str) -> list[str]:
    """One line per cash component: what, how much, to whom (through whom, for a minor)."""
    lines = []
    for c in n.components:
        if c.kind != CASH:
            continue
        if not (c.payee_name or n.payee_names):
            raise ValueError(f"cash component {c.component!r} has no payee: a family must read who is paid")
        payees = c.payee_name or join_names(n.payee_names, lang)
        if c.guardian_name:
            payees = _p("through_guardian", lang, payee=payees, guardian=c.guardian_name)
        lines.append(
            _p(
                "payout_cash_line",
                lang,
                component=component_words(c.component, lang),
                amount=format_rupiah(c.amount),
                payees=payees,
            )
        )
    return lines


def _added_money(n: ClaimNotice, lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """The lines of money added to a payout that are this person's, and their total."""
    lines = _cash_lines(n, lang)
    if not lines:
        raise ValueError("a message about money added needs this person's cash lines")
    total = n.cash_total
    if n.total is not None and n.total != total:
        raise ValueError(f"total {n.total} is not the sum of the cash components {total}")
    details = "\n".join([_bullets(lines), _p("payout_total", lang, total=format_rupiah(total))])
    return {"details": details}, {"total": format_rupiah(total)}


def _claim_reclassified(n: ClaimNotice, lang: str) -> Built:
    values, subject = _added_money(n, lang)
    return "claim_reclassified", values, subject


def _late_charge(n: ClaimNotice, lang: str) -> Built:
    if not n.days_late or n.days_late < 1:
        raise ValueError("a LateChargeRecorded message needs the days late")
    values, subject = _added_money(n, lang)
    return "late_charge", {**values, "days": str(n.days_late)}, subject


def _disbursement_paid(n: ClaimNotice, lang: str) -> Built:
    # The disbursement event may carry neither amount nor payees (the handler adds them
    # from the recorded payout when it has it); the message then says it less exactly.
    total = format_rupiah(n.total) if n.total is not None else _p("paid_money", lang)
    payees = join_names(n.payee_names, lang) if n.payee_names else _p("paid_payees", lang)
    return "disbursement_paid", {"total": total, "payees": payees}, {}


def _transfer_rejected(n: ClaimNotice, lang: str) -> Built:
    # reasons: the bank's ISO 20022 code; payee_names: whose account it was.
    payee = join_names(n.payee_names, lang) if n.payee_names else _p("paid_payees", lang)
    why = (
        "; ".join(w.TRANSFER_REASONS.get(code, w.TRANSFER_REASON_FALLBACK)[lang] for code in n.reasons if code)
        or w.TRANSFER_REASON_FALLBACK[lang]
    )
    return (
        "transfer_rejected",
        {"payee": payee, "why": why, "bring": _p("transfer_rejected_bring", lang, payee=payee)},
        {},
    )


def _receipt_check(n: ClaimNotice, lang: str) -> Built:
    # One question: total is what this payee was paid.
    if n.total is None:
        raise ValueError("a ReceiptCheck message needs the amount paid")
    return "receipt_check", {"amount": format_rupiah(n.total)}, {}


# --- words ---------------------------------------------------------------------------


def programme(claim_type: str) -> str:
    """ "JKM" or "JKK" from a claim type such as "JKK_DEATH"; the raw type otherwise."""
    head = claim_type.upper().split("_", 1)[0]
    return head if head in w.SLA_WORKING_DAYS else claim_type


def sla_working_days(claim_type: str) -> int | None:
    return w.SLA_WORKING_DAYS.get(programme(claim_type))


def claim_type_words(claim_type: str, lang: str) -> str:
    return w.CLAIM_TYPE_WORDS.get(claim_type.upper(), w.CLAIM_TYPE_FALLBACK)[lang]


def reason_sentence(code: str, lang: str, name: str, programme: str) -> str:
    if code in w.REASON_SENTENCES:
        return w.REASON_SENTENCES[code][lang].format(name=name, programme=programme)
    return w.REASON_FALLBACK[lang].format(code=code)


def component_words(component: str, lang: str) -> str:
    if component in w.COMPONENT_WORDS:
        return w.COMPONENT_WORDS[component][lang]
    return component.replace("_", " ").capitalize()


def document_words(document: str, lang: str) -> str:
    if document in w.DOCUMENT_WORDS:
        return w.DOCUMENT_WORDS[document][lang]
    return document.replace("_", " ")


def join_names(names: tuple[str, ...], lang: str) -> str:
    """ "Siti", "Siti dan Andi", "Siti, Andi dan Nur" (no serial comma in either language)."""
    names = tuple(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {w.PHRASES['and'][lang]} " + names[-1]


def _p(key: str, lang: str, **values: object) -> str:
    return w.PHRASES[key][lang].format(**values) if values else w.PHRASES[key][lang]


def _contact(n: ClaimNotice, lang: str) -> str:
    if n.contact:
        return _p("contact_given", lang, contact=n.contact, claim_id=n.claim_id)
    return _p("contact_default", lang, claim_id=n.claim_id)


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)
