"""Messages about a family's own questions and complaints: a grievance filed, resolved,
reopened or late; a "Lacak Klaim" code; the answer to "STATUS <claim>". Pure, like
messages.py; the words reuse wording.py's tables (documents, claim types) and keep to the
GSM 7-bit alphabet so an SMS stays one part where it can.

Each message names the one thing the family can do next before any detail.

Every one is a catalogue template (domain/templates.py) except the STATUS answer: that is a
reply to the person's own "STATUS <claim>" message, sent within minutes of it, so it falls
inside WhatsApp's 24-hour customer-service window, where free text is allowed (on SMS there is
no window). Free text lets it list only the lines that apply (documents still missing, a
deadline, a share) instead of a template per combination. A code is an authentication template,
grievance and missing-documents messages are utility templates: the family did not just write,
or the message comes days later (resolved, overdue, a reminder)."""

from __future__ import annotations

from datetime import date

from services.notifications.domain import wording as w
from services.notifications.domain.messages import RenderedMessage, from_template
from services.notifications.domain.money import format_rupiah
from services.notifications.domain.templates import SHORT_SIGNATURE

Words = dict[str, str]

CATEGORY: dict[str, Words] = {  # shared.contracts.grievances.GrievanceCategory
    "wrong_heir": {"id": "ahli waris keliru", "en": "wrong heir"},
    "amount": {"id": "jumlah uang", "en": "amount"},
    "delay": {"id": "keterlambatan", "en": "delay"},
    "rejected_claim": {"id": "klaim ditolak", "en": "rejected claim"},
    "data_correction": {"id": "perbaikan data", "en": "data correction"},
    "other": {"id": "lainnya", "en": "other"},
}
STATUS: dict[str, Words] = {  # claims' statuses
    "filed": {"id": "sudah diterima, sedang diperiksa", "en": "received, being checked"},
    "needs_review": {"id": "menunggu pemeriksaan petugas", "en": "waiting for an officer's review"},
    "approved": {"id": "disetujui, pembayaran disiapkan", "en": "approved, payment being prepared"},
    "payout_recorded": {"id": "disetujui, jumlah bayar sudah dicatat", "en": "approved, amounts recorded"},
    "rejected": {"id": "tidak dapat dibayar", "en": "cannot be paid"},
    "awaiting_family": {"id": "dibuka, menunggu keluarga datang", "en": "open, waiting for the family to come"},
}
PAYMENT: dict[str, Words] = {  # shared.contracts.grievances.PaymentStatus
    "not_recorded": {"id": "belum ditentukan", "en": "not decided yet"},
    "recorded": {"id": "menunggu transfer", "en": "waiting for the transfer"},
    "scheduled": {"id": "transfer dijadwalkan", "en": "transfer scheduled"},
    "paid": {"id": "sudah ditransfer", "en": "transferred"},
    "failed": {
        "id": "transfer gagal, petugas akan menghubungi Anda",
        "en": "transfer failed, an officer will call you",
    },
}
PHRASES: dict[str, Words] = {  # the STATUS answer: free text, sent within the 24 h window (module docstring)
    "status_subject": {"id": "Status klaim {claim}", "en": "Status of claim {claim}"},
    "status_line": {"id": "Status: {status}.", "en": "Status: {status}."},
    "status_missing": {
        "id": "Bawa ke kantor cabang BPJS Ketenagakerjaan: {documents}. Batas waktu bayar mulai "
        "dihitung setelah dokumen lengkap.",
        "en": "Bring to the BPJS Ketenagakerjaan branch office: {documents}. The payment deadline "
        "starts once the documents are complete.",
    },
    "status_deadline": {"id": "Batas waktu bayar: {deadline}.", "en": "Payment deadline: {deadline}."},
    "status_share": {"id": "Bagian Anda: {amount}, {payment}.", "en": "Your share: {amount}, {payment}."},
}


def _p(key: str, lang: str, **values: object) -> str:
    return PHRASES[key][lang if lang in ("id", "en") else "id"].format(**values)


def _day(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _word(table: dict[str, Words], code: str, lang: str) -> str:
    return table.get(code, {}).get(lang, code)


def _message(subject: str, lines: list[str], lang: str) -> RenderedMessage:
    return RenderedMessage(subject, "\n".join([*lines, SHORT_SIGNATURE[_lang(lang)]]))


def _lang(lang: str) -> str:
    return lang if lang in ("id", "en") else "id"


def grievance_filed(gid: str, category: str, due: date, lang: str) -> RenderedMessage:
    lang = _lang(lang)
    return from_template(
        "jaring_grievance_filed", lang, {"gid": gid, "category": _word(CATEGORY, category, lang), "due": _day(due)}
    )


def grievance_resolved(
    gid: str, resolution: str, reopen_until: date, claim_id: str | None, claim_reopened: bool, lang: str
) -> RenderedMessage:
    lang = _lang(lang)
    values = {"gid": gid, "resolution": resolution, "until": _day(reopen_until)}
    if claim_reopened and claim_id:
        return from_template("jaring_grievance_resolved_claim_reviewed", lang, {**values, "claim": claim_id})
    return from_template("jaring_grievance_resolved", lang, values)


def grievance_reopened(gid: str, due: date, lang: str) -> RenderedMessage:
    return from_template("jaring_grievance_reopened", _lang(lang), {"gid": gid, "due": _day(due)})


def grievance_overdue(gid: str, due: date, lang: str) -> RenderedMessage:
    return from_template("jaring_grievance_overdue", _lang(lang), {"gid": gid, "due": _day(due)})


def lookup_code(code: str, lang: str) -> RenderedMessage:
    return from_template("jaring_lookup_code", _lang(lang), {"code": code})


def claim_status(
    claim_id: str, status: str, missing: list[str], deadline: date | None, amount: int | None, payment: str, lang: str
) -> RenderedMessage:
    lines = [_p("status_line", lang, status=_word(STATUS, status, lang))]
    if missing:
        documents = ", ".join(w.DOCUMENT_WORDS.get(d, {}).get(lang, d) for d in missing)
        lines.append(_p("status_missing", lang, documents=documents))
    if deadline is not None:
        lines.append(_p("status_deadline", lang, deadline=_day(deadline)))
    if amount is not None:
        lines.append(_p("status_share", lang, amount=format_rupiah(amount), payment=_word(PAYMENT, payment, lang)))
    return _message(_p("status_subject", lang, claim=claim_id), lines, lang)


DEATH_CLAIMS = frozenset({"JKM", "JKK_DEATH"})


def missing_documents(
    claim_id: str, claim_type: str, documents: list[str], reminder: bool, lang: str
) -> RenderedMessage:
    """What to bring, where, and that the payment clock starts once the file is complete; the
    thing to do comes first, after condolences for a death."""
    lang = _lang(lang)
    name = (
        "jaring_missing_documents"
        + ("_reminder" if reminder else "")
        + ("_death" if claim_type in DEATH_CLAIMS else "")
    )
    return from_template(
        name,
        lang,
        {
            "claim": claim_id,
            "claim_type": w.CLAIM_TYPE_WORDS.get(claim_type, w.CLAIM_TYPE_FALLBACK)[lang],
            "documents": "\n".join(f"- {w.DOCUMENT_WORDS.get(d, {}).get(lang, d)}" for d in documents),
            "days": str(w.SLA_WORKING_DAYS["JKM" if claim_type == "JKM" else "JKK"]),
        },
    )
