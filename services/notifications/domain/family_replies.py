"""Messages about a family's own questions and complaints: a grievance filed, resolved,
reopened or late; a "Lacak Klaim" code; the answer to "STATUS <claim>". Pure, like
messages.py; the words reuse wording.py's tables (documents, claim types) and keep to the
GSM 7-bit alphabet so an SMS stays one part where it can.

Each message names the one thing the family can do next before any detail."""

from __future__ import annotations

from datetime import date

from services.notifications.domain import wording as w
from services.notifications.domain.messages import RenderedMessage
from services.notifications.domain.money import format_rupiah

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
    "failed": {"id": "transfer gagal, petugas akan menghubungi Anda", "en": "transfer failed, an officer will call you"},
}
PHRASES: dict[str, Words] = {
    "signature": {"id": "Jaring - Pemkot Makassar & BPJS Ketenagakerjaan",
                  "en": "Jaring - City of Makassar & BPJS Ketenagakerjaan"},
    "filed_subject": {"id": "Pengaduan {gid} diterima", "en": "Complaint {gid} received"},
    "filed_body": {"id": "Pengaduan Anda ({category}) sudah kami terima. Kami menjawab paling lambat {due}. "
                         "Sebutkan nomor {gid} bila menghubungi kami.",
                   "en": "We have received your complaint ({category}). We will answer by {due}. "
                         "Give number {gid} when you contact us."},
    "resolved_subject": {"id": "Pengaduan {gid} selesai", "en": "Complaint {gid} resolved"},
    "resolved_body": {"id": "Jawaban kami: {resolution}", "en": "Our answer: {resolution}"},
    "resolved_claim": {"id": "Klaim {claim} diperiksa kembali oleh petugas.",
                       "en": "Claim {claim} is being reviewed again by an officer."},
    "resolved_reopen": {"id": "Bila belum sesuai, minta petugas membuka kembali pengaduan ini sampai {until}.",
                        "en": "If this does not settle it, ask an officer to reopen this complaint by {until}."},
    "reopened_subject": {"id": "Pengaduan {gid} dibuka kembali", "en": "Complaint {gid} reopened"},
    "reopened_body": {"id": "Pengaduan Anda kami periksa lagi. Kami menjawab paling lambat {due}.",
                      "en": "We are looking at your complaint again. We will answer by {due}."},
    "overdue_subject": {"id": "Maaf, pengaduan {gid} terlambat", "en": "Sorry, complaint {gid} is late"},
    "overdue_body": {"id": "Pengaduan Anda belum selesai pada {due}. Pengaduan sudah diteruskan ke kepala kantor "
                           "cabang dan tetap kami tangani. Anda tidak perlu mengirim ulang.",
                     "en": "Your complaint was not settled by {due}. It has been passed to the branch head and "
                           "we are still working on it. You do not need to send it again."},
    "code_subject": {"id": "Kode Lacak Klaim: {code}", "en": "Claim tracking code: {code}"},
    "code_body": {"id": "Masukkan kode {code} di halaman Lacak Klaim. Berlaku 5 menit. Jangan berikan kode ini "
                        "kepada siapa pun, juga kepada petugas.",
                  "en": "Enter code {code} on the claim tracking page. Valid for 5 minutes. Do not give this code "
                        "to anyone, not even an officer."},
    "condolence": {"id": "Kami turut berduka cita atas kepergian anggota keluarga Anda.",
                   "en": "We are deeply sorry for the loss of your family member."},
    "missing_subject": {"id": "Dokumen klaim {claim} masih kurang", "en": "Documents for claim {claim} are missing"},
    "reminder_subject": {"id": "Pengingat: dokumen klaim {claim} masih kurang",
                         "en": "Reminder: documents for claim {claim} are still missing"},
    "missing_todo": {"id": "Bawa dokumen berikut ke kantor cabang BPJS Ketenagakerjaan terdekat:",
                     "en": "Please bring these documents to the nearest BPJS Ketenagakerjaan branch office:"},
    "missing_clock": {"id": "BPJS Ketenagakerjaan wajib membayar paling lambat {days} hari kerja setelah dokumen "
                            "lengkap. Waktu itu mulai dihitung saat dokumen terakhir diterima.",
                      "en": "BPJS Ketenagakerjaan must pay within {days} working days of a complete file. That time "
                            "starts when the last document is received."},
    "missing_claim": {"id": "Nomor klaim: {claim} ({claim_type}).", "en": "Claim number: {claim} ({claim_type})."},
    "status_subject": {"id": "Status klaim {claim}", "en": "Status of claim {claim}"},
    "status_line": {"id": "Status: {status}.", "en": "Status: {status}."},
    "status_missing": {"id": "Bawa ke kantor cabang BPJS Ketenagakerjaan: {documents}. Batas waktu bayar mulai "
                             "dihitung setelah dokumen lengkap.",
                       "en": "Bring to the BPJS Ketenagakerjaan branch office: {documents}. The payment deadline "
                             "starts once the documents are complete."},
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
    return RenderedMessage(subject, "\n".join([*lines, _p("signature", lang)]))


def grievance_filed(gid: str, category: str, due: date, lang: str) -> RenderedMessage:
    return _message(_p("filed_subject", lang, gid=gid),
                    [_p("filed_body", lang, category=_word(CATEGORY, category, lang), due=_day(due), gid=gid)], lang)


def grievance_resolved(gid: str, resolution: str, reopen_until: date, claim_id: str | None, claim_reopened: bool,
                       lang: str) -> RenderedMessage:
    lines = [_p("resolved_body", lang, resolution=resolution)]
    if claim_reopened and claim_id:
        lines.append(_p("resolved_claim", lang, claim=claim_id))
    lines.append(_p("resolved_reopen", lang, until=_day(reopen_until)))
    return _message(_p("resolved_subject", lang, gid=gid), lines, lang)


def grievance_reopened(gid: str, due: date, lang: str) -> RenderedMessage:
    return _message(_p("reopened_subject", lang, gid=gid), [_p("reopened_body", lang, due=_day(due))], lang)


def grievance_overdue(gid: str, due: date, lang: str) -> RenderedMessage:
    return _message(_p("overdue_subject", lang, gid=gid), [_p("overdue_body", lang, due=_day(due))], lang)


def lookup_code(code: str, lang: str) -> RenderedMessage:
    return _message(_p("code_subject", lang, code=code), [_p("code_body", lang, code=code)], lang)


def claim_status(claim_id: str, status: str, missing: list[str], deadline: date | None, amount: int | None,
                 payment: str, lang: str) -> RenderedMessage:
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


def missing_documents(claim_id: str, claim_type: str, documents: list[str], reminder: bool,
                      lang: str) -> RenderedMessage:
    """What to bring, where, and that the payment clock starts once the file is complete; the
    thing to do comes first, after condolences for a death."""
    lang = lang if lang in ("id", "en") else "id"
    lines = [_p("condolence", lang)] if claim_type in DEATH_CLAIMS else []
    lines.append(_p("missing_todo", lang))
    lines += [f"- {w.DOCUMENT_WORDS.get(d, {}).get(lang, d)}" for d in documents]
    days = w.SLA_WORKING_DAYS.get("JKM" if claim_type == "JKM" else "JKK")
    if days:
        lines.append(_p("missing_clock", lang, days=days))
    claim_type_words = w.CLAIM_TYPE_WORDS.get(claim_type, w.CLAIM_TYPE_FALLBACK)[lang]
    lines.append(_p("missing_claim", lang, claim=claim_id, claim_type=claim_type_words))
    subject = _p("reminder_subject" if reminder else "missing_subject", lang, claim=claim_id)
    return _message(subject, lines, lang)
