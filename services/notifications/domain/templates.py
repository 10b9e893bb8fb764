"""The message templates a family reads: one catalogue for every channel.

WhatsApp's Cloud API sends a business-initiated message only as a template approved in
advance (name, language, body with numbered parameters {{1}}, {{2}}, …); free text only
within 24 hours of the person's last message, which a family never has. So every family
message is one of these templates: WhatsApp gets the name, the language and the
parameters; SMS and email get the same body with the parameters filled in (SMS and
WhatsApp: no subject line; SMS puts the subject first, as before).

Rules the Cloud API sets on a template, kept here so the catalogue can be submitted as is
(checked by tests): a body of at most 1024 characters that neither starts nor ends with a
parameter, each parameter used once, and parameter values without new lines or tabs
(`one_line` turns a list into "a; b; c" for WhatsApp, while SMS and email keep bullets).

Messages about a death open with condolences and the one thing the family must do next,
before any detail (issue 14: the family reads the first line on a locked phone).

The text keeps to the GSM 7-bit alphabet (see wording.py: one character outside it
halves what an SMS part holds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Words = dict[str, str]  # language -> text

_PLACEHOLDER = re.compile(r"\{(\w+)\}")

GREETING: Words = {"id": "Bapak/Ibu yang kami hormati,", "en": "Dear Sir or Madam,"}
SIGNATURE: Words = {
    "id": "Salam,\nJaring - Pemerintah Kota Makassar bersama BPJS Ketenagakerjaan",
    "en": "Regards,\nJaring - City of Makassar with BPJS Ketenagakerjaan",
}
SHORT_SIGNATURE: Words = {
    "id": "Jaring - Pemkot Makassar & BPJS Ketenagakerjaan",
    "en": "Jaring - City of Makassar & BPJS Ketenagakerjaan",
}
CONDOLENCES: Words = {
    "id": "Turut berduka cita atas meninggalnya {name}.",
    "en": "Our condolences on the death of {name}.",
}


@dataclass(frozen=True)
class Template:
    name: str  # as registered with Meta: lower case, digits and underscores
    params: tuple[str, ...]  # body parameters in order: params[0] is {{1}}
    subject: Words  # email subject and first line of an SMS; may use any notice value
    body: Words  # between greeting and signature; uses each of `params` once
    # Meta's template category: "utility" (about something the person asked for or is owed),
    # or "authentication" (a one-time code; Meta prices and reviews it apart).
    category: str = "utility"
    # A letter (greeting, full signature) or a short note (a code, a reply to the family's own
    # question: the short signature only, so an SMS stays as few parts as it can).
    letter: bool = True

    def text(self, lang: str) -> str:
        """The whole body with named placeholders, greeting and signature included."""
        if not self.letter:
            return f"{self.body[lang]}\n{SHORT_SIGNATURE[lang]}"
        return f"{GREETING[lang]}\n\n{self.body[lang]}\n\n{SIGNATURE[lang]}"

    def whatsapp_body(self, lang: str) -> str:
        """The body as submitted to Meta: {name} becomes {{n}}."""
        return _PLACEHOLDER.sub(lambda m: "{{" + str(self.params.index(m.group(1)) + 1) + "}}", self.text(lang))

    def fill(self, lang: str, values: dict[str, str]) -> str:
        return self.text(lang).format(**{p: values[p] for p in self.params})


def whatsapp_language(lang: str) -> str:
    """Meta's language code for a template translation ("id" Indonesian, "en" English)."""
    return {"id": "id", "en": "en"}[lang]


def one_line(value: str) -> str:
    """A parameter value as WhatsApp accepts it: bullet lines joined with "; "."""
    lines = [line.strip().removeprefix("- ").strip() for line in value.splitlines()]
    return "; ".join(line for line in lines if line)


def placeholders(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


_CLAIM_LINE: Words = {
    "id": "Klaim {claim_type} atas nama {name} (NIK {nik}), nomor klaim {claim_id},",
    "en": "The {claim_type} claim for {name} (NIK {nik}), claim number {claim_id},",
}
# In a death message the name is in the condolences already (a parameter is used once).
_DEATH_CLAIM_LINE: Words = {
    "id": "Klaim {claim_type} (NIK {nik}), nomor klaim {claim_id},",
    "en": "The {claim_type} claim (NIK {nik}), claim number {claim_id},",
}
_NEXT: Words = {"id": "Yang perlu Anda lakukan sekarang: {next_step}", "en": "What you need to do now: {next_step}"}


def _death(condolence_then: Words, rest: Words) -> Words:
    """Condolences, the next step, then the details."""
    return {lang: f"{CONDOLENCES[lang]}\n{condolence_then[lang]}\n\n{rest[lang]}" for lang in rest}


def _join(*parts: Words, sep: str = " ") -> Words:
    return {lang: sep.join(p[lang] for p in parts) for lang in parts[0]}


_FILED_REST: Words = {
    "id": "sudah kami terima.\n\nApa selanjutnya:\n"
    "- Petugas klaim memeriksa dokumen. Bila ada yang kurang, kami memberi tahu Anda.\n"
    "- Setelah dokumen lengkap, BPJS Ketenagakerjaan wajib membayar paling lambat {days} hari kerja.\n"
    "- Kami mengirim pesan lagi saat ada keputusan dan saat uang sudah ditransfer.\n\n{contact}",
    "en": "has been received.\n\nWhat happens next:\n"
    "- A claims officer checks the documents. If anything is missing, we will tell you.\n"
    "- Once the documents are complete, BPJS Ketenagakerjaan must pay within {days} working days.\n"
    "- We will write again when there is a decision and when the money has been transferred.\n\n{contact}",
}
_FILED_NEXT: Words = {
    "id": "simpan nomor klaim di bawah ini. Anda belum perlu datang ke kantor; bila ada dokumen yang "
    "kurang, kami memberi tahu Anda.",
    "en": "keep the claim number below. You need not come to the office yet; if a document is missing, "
    "we will tell you.",
}
_REJECTED_REST: Words = {
    "id": "tidak dapat dibayar karena:\n{reasons}\n\nYang dapat Anda lakukan:\n{advice}\n\n{contact}",
    "en": "cannot be paid because:\n{reasons}\n\nWhat you can do:\n{advice}\n\n{contact}",
}
_PAYOUT_REST: Words = {
    "id": "disetujui. Yang Anda terima:\n{details}\n\nUang akan ditransfer ke rekening penerima. "
    "Kami memberi tahu Anda saat transfer selesai.\n\n{contact}",
    "en": "is approved. What you receive:\n{details}\n\nThe money will be transferred to the payee's bank "
    "account. We will tell you when it is done.\n\n{contact}",
}
_PAYOUT_NEXT: Words = {
    "id": "pastikan rekening bank penerima masih aktif; uang akan ditransfer ke sana.",
    "en": "make sure the payee's bank account is still open; the money will be transferred to it.",
}
_PAYOUT_OTHERS_REST: Words = {
    "id": "disetujui. Uang dibayarkan kepada {payees}; rincian jumlahnya kami kirim kepada penerima.\n\n{contact}",
    "en": "is approved. The money is paid to {payees}; we send the amounts to the payees themselves.\n\n{contact}",
}
_PAYOUT_OTHERS_NEXT: Words = {
    "id": "tidak ada; penerima uang akan dihubungi langsung.",
    "en": "nothing; the payees will be contacted directly.",
}
_PAID_REST: Words = {
    "id": "sudah dibayar: {total} sudah ditransfer ke rekening {payees}.\n\n{contact}",
    "en": "has been paid: {total} was transferred to the bank account of {payees}.\n\n{contact}",
}
_PAID_CHECK: Words = {
    "id": "Silakan periksa rekening Anda. Bila uang belum masuk, hubungi kantor cabang BPJS "
    "Ketenagakerjaan dan sebutkan nomor klaim.",
    "en": "Please check your account. If the money has not arrived, contact the BPJS "
    "Ketenagakerjaan branch office and give the claim number.",
}
_PAID_NEXT: Words = {
    "id": "periksa rekening penerima. Bila uang belum masuk, hubungi kantor cabang BPJS Ketenagakerjaan "
    "dan sebutkan nomor klaim.",
    "en": "check the payee's bank account. If the money has not arrived, contact the BPJS Ketenagakerjaan "
    "branch office and give the claim number.",
}
_PAID_REST_WITH_CHECK: Words = {
    lang: _PAID_REST[lang].replace("\n\n{contact}", f"\n\n{_PAID_CHECK[lang]}\n\n{{contact}}") for lang in _PAID_REST
}

# TransferRejected: the bank refused the payee's account. {bring} names the payee (what to bring).
_TRANSFER_REJECTED_REST: Words = {
    "id": "belum dapat ditransfer ke rekening {payee}: {why}.",
    "en": "could not be transferred to the bank account of {payee}: {why}.",
}
_TODO: Words = {
    "id": "Yang perlu Anda lakukan:\n- {bring}\n\n{contact}",
    "en": "What you need to do:\n- {bring}\n\n{contact}",
}
# ReceiptCheck: one question to a sampled payee; the reply (YA / TIDAK) is read by domain/receipts.py.
_RECEIPT_REST: Words = {
    "id": "sudah dibayar. Apakah Anda sudah menerima {amount}? Balas YA atau TIDAK.\n\n{contact}",
    "en": "has been paid. Have you received {amount}? Reply YA (yes) or TIDAK (no).\n\n{contact}",
}
_RECEIPT_NEXT: Words = {
    "id": "periksa rekening Anda, lalu balas pesan ini: YA bila uangnya sudah masuk, TIDAK bila belum.",
    "en": "check your bank account, then reply to this message: YA if the money has arrived, TIDAK if not.",
}

# ClaimReclassified after payout: the type was corrected and this person receives the difference.
_RECLASSIFIED_REST: Words = {
    "id": "sudah diperbaiki jenisnya oleh petugas. Karena itu Anda menerima tambahan:\n{details}\n\n"
    "Uang tambahan ini akan ditransfer ke rekening penerima. Kami memberi tahu Anda saat transfer "
    "selesai.\n\n{contact}",
    "en": "has had its type corrected by an officer. Because of that you receive more:\n{details}\n\n"
    "This money will be transferred to the payee's bank account. We will tell you when it is done.\n\n{contact}",
}
# LateChargeRecorded: paid after the deadline; 1 % of the benefit per day late is added (PP 44/2015).
_LATE_REST: Words = {
    "id": "dibayar terlambat {days} hari dari batas waktu. Karena itu ditambahkan untuk Anda:\n{details}\n\n"
    "Uang tambahan ini akan ditransfer ke rekening penerima.\n\n{contact}",
    "en": "was paid {days} days after the deadline. Because of that this is added for you:\n{details}\n\n"
    "This money will be transferred to the payee's bank account.\n\n{contact}",
}
_MORE_NEXT: Words = {
    "id": "pastikan rekening bank penerima masih aktif; uang tambahan akan ditransfer ke sana.",
    "en": "make sure the payee's bank account is still open; the extra money will be transferred to it.",
}

_SUBJECTS: dict[str, Words] = {
    "filed": {
        "id": "Klaim {short} untuk {name} sudah kami terima",
        "en": "We have received the {short} claim for {name}",
    },
    "rejected": {
        "id": "Klaim {short} untuk {name} tidak dapat dibayar",
        "en": "The {short} claim for {name} cannot be paid",
    },
    "payout": {
        "id": "Klaim {short} untuk {name} disetujui: {total}",
        "en": "The {short} claim for {name} is approved: {total}",
    },
    "payout_others": {"id": "Klaim {short} untuk {name} disetujui", "en": "The {short} claim for {name} is approved"},
    "paid": {
        "id": "Uang klaim {short} untuk {name} sudah ditransfer",
        "en": "The {short} claim money for {name} has been transferred",
    },
    "transfer_rejected": {
        "id": "Uang klaim {short} untuk {name} belum dapat ditransfer",
        "en": "The {short} claim money for {name} could not be transferred yet",
    },
    "receipt_check": {"id": "Apakah uangnya sudah masuk?", "en": "Has the money arrived?"},
    "reclassified": {
        "id": "Klaim {short} untuk {name}: Anda menerima tambahan {total}",
        "en": "The {short} claim for {name}: you receive {total} more",
    },
    "late_charge": {
        "id": "Klaim {short} untuk {name} terlambat dibayar: {total} ditambahkan",
        "en": "The {short} claim for {name} was paid late: {total} added",
    },
}


def _template(name: str, subject: str, body: Words) -> Template:
    params = tuple(dict.fromkeys(placeholders(body["id"])))
    subjects = _DEATH_SUBJECTS if name.endswith("_death") else _SUBJECTS
    return Template(name, params, subjects[subject], body)


_DEATH_SUBJECT_ENDS: dict[str, Words] = {
    "filed": {"id": "Klaim {short} sudah kami terima", "en": "The {short} claim has been received"},
    "rejected": {"id": "Klaim {short} tidak dapat dibayar", "en": "The {short} claim cannot be paid"},
    "payout": {"id": "Klaim {short} disetujui: {total}", "en": "The {short} claim is approved: {total}"},
    "payout_others": {"id": "Klaim {short} disetujui", "en": "The {short} claim is approved"},
    "paid": {"id": "Uang klaim {short} sudah ditransfer", "en": "The {short} claim money has been transferred"},
    "transfer_rejected": {
        "id": "Uang klaim {short} belum dapat ditransfer",
        "en": "The {short} claim money could not be transferred yet",
    },
    "receipt_check": {"id": "Apakah uangnya sudah masuk?", "en": "Has the money arrived?"},
    "reclassified": {
        "id": "Klaim {short}: Anda menerima tambahan {total}",
        "en": "The {short} claim: you receive {total} more",
    },
    "late_charge": {
        "id": "Klaim {short} terlambat dibayar: {total} ditambahkan",
        "en": "The {short} claim was paid late: {total} added",
    },
}
# The subject is the first line an SMS or a mail list shows: condolences first there too.
_DEATH_SUBJECTS = {k: {lang: f"{CONDOLENCES[lang]} {v[lang]}" for lang in v} for k, v in _DEATH_SUBJECT_ENDS.items()}


def _fixed_next(step: Words) -> Words:
    return {lang: _NEXT[lang].replace("{next_step}", step[lang]) for lang in _NEXT}


TEMPLATES: tuple[Template, ...] = (
    _template("jaring_claim_filed", "filed", _join(_CLAIM_LINE, _FILED_REST)),
    _template(
        "jaring_claim_filed_death", "filed", _death(_fixed_next(_FILED_NEXT), _join(_DEATH_CLAIM_LINE, _FILED_REST))
    ),
    _template("jaring_claim_rejected", "rejected", _join(_CLAIM_LINE, _REJECTED_REST)),
    _template("jaring_claim_rejected_death", "rejected", _death(_NEXT, _join(_DEATH_CLAIM_LINE, _REJECTED_REST))),
    _template("jaring_payout_recorded", "payout", _join(_CLAIM_LINE, _PAYOUT_REST)),
    _template(
        "jaring_payout_recorded_death",
        "payout",
        _death(_fixed_next(_PAYOUT_NEXT), _join(_DEATH_CLAIM_LINE, _PAYOUT_REST)),
    ),
    _template("jaring_payout_recorded_others", "payout_others", _join(_CLAIM_LINE, _PAYOUT_OTHERS_REST)),
    _template(
        "jaring_payout_recorded_others_death",
        "payout_others",
        _death(_fixed_next(_PAYOUT_OTHERS_NEXT), _join(_DEATH_CLAIM_LINE, _PAYOUT_OTHERS_REST)),
    ),
    _template("jaring_disbursement_paid", "paid", _join(_CLAIM_LINE, _PAID_REST_WITH_CHECK)),
    _template(
        "jaring_disbursement_paid_death", "paid", _death(_fixed_next(_PAID_NEXT), _join(_DEATH_CLAIM_LINE, _PAID_REST))
    ),
    _template(
        "jaring_transfer_rejected",
        "transfer_rejected",
        _join(_join(_CLAIM_LINE, _TRANSFER_REJECTED_REST), _TODO, sep="\n\n"),
    ),
    # For a death the thing to bring is the next step, under the condolences.
    _template(
        "jaring_transfer_rejected_death",
        "transfer_rejected",
        _death(
            {lang: _NEXT[lang].replace("{next_step}", "{bring}") for lang in _NEXT},
            _join(
                _join(_DEATH_CLAIM_LINE, _TRANSFER_REJECTED_REST), {"id": "{contact}", "en": "{contact}"}, sep="\n\n"
            ),
        ),
    ),
    _template("jaring_receipt_check", "receipt_check", _join(_CLAIM_LINE, _RECEIPT_REST)),
    _template(
        "jaring_receipt_check_death",
        "receipt_check",
        _death(_fixed_next(_RECEIPT_NEXT), _join(_DEATH_CLAIM_LINE, _RECEIPT_REST)),
    ),
    _template("jaring_claim_reclassified", "reclassified", _join(_CLAIM_LINE, _RECLASSIFIED_REST)),
    _template(
        "jaring_claim_reclassified_death",
        "reclassified",
        _death(_fixed_next(_MORE_NEXT), _join(_DEATH_CLAIM_LINE, _RECLASSIFIED_REST)),
    ),
    _template("jaring_late_charge", "late_charge", _join(_CLAIM_LINE, _LATE_REST)),
    _template(
        "jaring_late_charge_death", "late_charge", _death(_fixed_next(_MORE_NEXT), _join(_DEATH_CLAIM_LINE, _LATE_REST))
    ),
)

# --- issue 19: Jaring goes to the family first (domain/outreach.py renders these) ---------------
# A death the civil registry reported: nobody filed a claim, so the message says who died, that
# the family is entitled, how much, what to bring and where, condolences first (they carry the
# name; a parameter is used once, so the rest says "the deceased").
_PROACTIVE_REST: Words = {
    "id": "Almarhum/almarhumah terdaftar sebagai peserta BPJS Ketenagakerjaan dan terlindungi pada hari meninggalnya, "
    "sehingga ahli waris berhak atas santunan Jaminan Kematian (JKM). Perkiraan jumlahnya: {amount}. "
    "Klaim sudah kami buka untuk keluarga; Anda tidak perlu mengisi formulir baru.\n\n"
    "Dokumen yang perlu dibawa:\n{documents}\n\n"
    "Bila ada pertanyaan, balas pesan ini atau datang ke kantor yang sama.",
    "en": "The deceased was a BPJS Ketenagakerjaan participant, protected on the day of death, so the heirs are "
    "entitled to the death benefit (JKM). The expected amount: {amount}. We have opened the claim for "
    "the family; you need not fill in a new form.\n\n"
    "Documents to bring:\n{documents}\n\n"
    "If you have a question, reply to this message or come to the same office.",
}
_PROACTIVE_NEXT: Words = {
    "id": "Yang perlu Anda lakukan sekarang: datang ke {office} dengan dokumen di bawah ini dan sebutkan "
    "nomor klaim {claim_id}.",
    "en": "What you need to do now: come to {office} with the documents below and give the claim number {claim_id}.",
}
_PROACTIVE_REMINDER_NEXT: Words = {
    "id": "Yang perlu Anda lakukan sekarang: datang ke {office} dengan dokumen di bawah ini dan sebutkan "
    "nomor klaim {claim_id}. Kami belum bertemu keluarga, dan santunan ini menunggu Anda.",
    "en": "What you need to do now: come to {office} with the documents below and give the claim number "
    "{claim_id}. We have not met the family yet, and this benefit is waiting for you.",
}


def _proactive(name: str, next_step: Words, subject: Words) -> Template:
    body = {lang: f"{CONDOLENCES[lang]}\n{next_step[lang]}\n\n{_PROACTIVE_REST[lang]}" for lang in next_step}
    return Template(name, tuple(dict.fromkeys(placeholders(body["id"]))), subject, body)


PROACTIVE_TEMPLATES: tuple[Template, ...] = (
    _proactive(
        "jaring_proactive_claim_opened",
        _PROACTIVE_NEXT,
        {
            "id": "Turut berduka cita atas meninggalnya {name}. Keluarga berhak atas santunan JKM",
            "en": "Our condolences on the death of {name}. The family is entitled to the JKM death benefit",
        },
    ),
    _proactive(
        "jaring_proactive_claim_reminder",
        _PROACTIVE_REMINDER_NEXT,
        {
            "id": "Turut berduka cita atas meninggalnya {name}. Santunan JKM keluarga masih menunggu",
            "en": "Our condolences on the death of {name}. The family's JKM death benefit is still waiting",
        },
    ),
)
_HOW_TO_PAY: Words = {
    "id": "Cara membayar: di kantor cabang BPJS Ketenagakerjaan, kantor pos, bank, atau aplikasi JMO, dengan "
    "nomor kepesertaan Anda.\n\nBalas STOP bila tidak ingin menerima pengingat ini lagi.",
    "en": "How to pay: at a BPJS Ketenagakerjaan branch office, a post office, a bank, or in the JMO app, with "
    "your membership number.\n\nReply STOP if you do not want these reminders any more.",
}
_REMINDER_FIRST: Words = {
    "id": "Pengingat untuk {name}: iuran BPJS Ketenagakerjaan untuk {months} belum kami terima. Perlindungan "
    "Anda masih berlaku sampai {cover_ends}, lalu berhenti.\n\nYang perlu Anda lakukan: bayar {amount} "
    "paling lambat pada tanggal itu agar tetap terlindungi.",
    "en": "A reminder for {name}: we have not received the BPJS Ketenagakerjaan contribution for {months}. Your "
    "cover holds until {cover_ends}, then it stops.\n\nWhat you need to do: pay {amount} by that day "
    "to stay covered.",
}
_REMINDER_LAST: Words = {
    "id": "Pengingat terakhir untuk {name}: perlindungan BPJS Ketenagakerjaan Anda berakhir pada {cover_ends}, "
    "karena iuran untuk {months} belum dibayar.\n\nYang perlu Anda lakukan: bayar {amount} paling "
    "lambat pada tanggal itu agar tetap terlindungi.",
    "en": "A last reminder for {name}: your BPJS Ketenagakerjaan cover ends on {cover_ends}, because the "
    "contribution for {months} is unpaid.\n\nWhat you need to do: pay {amount} by that day to stay "
    "covered.",
}
REMINDER_TEMPLATES: tuple[Template, ...] = tuple(
    Template(
        name,
        tuple(dict.fromkeys(placeholders(body["id"]))),
        subject,
        {lang: f"{body[lang]}\n\n{_HOW_TO_PAY[lang]}" for lang in body},
    )
    for name, body, subject in (
        (
            "jaring_contribution_reminder_first",
            _REMINDER_FIRST,
            {
                "id": "Pengingat iuran BPJS Ketenagakerjaan: bayar {amount} paling lambat {cover_ends}",
                "en": "BPJS Ketenagakerjaan contribution reminder: pay {amount} by {cover_ends}",
            },
        ),
        (
            "jaring_contribution_reminder_last",
            _REMINDER_LAST,
            {
                "id": "Perlindungan BPJS Ketenagakerjaan Anda berakhir {cover_ends}: bayar {amount}",
                "en": "Your BPJS Ketenagakerjaan cover ends on {cover_ends}: pay {amount}",
            },
        ),
    )
)
TEMPLATES = TEMPLATES + PROACTIVE_TEMPLATES + REMINDER_TEMPLATES

# --- the family's own questions and complaints (domain/family_replies.py renders these) ----------
# Each opens with the line a family looks for (the grievance or claim number and what happened),
# then the one thing to do. Resolutions and documents are parameters: one line each on WhatsApp.
_GRIEVANCE: dict[str, tuple[Words, Words]] = {  # name -> (subject, body)
    "jaring_grievance_filed": (
        {"id": "Pengaduan {gid} diterima", "en": "Complaint {gid} received"},
        {
            "id": "Pengaduan {gid} diterima. Yang Anda adukan: {category}. Kami menjawab paling lambat {due}. "
            "Sebutkan nomor pengaduan ini bila menghubungi kami.",
            "en": "Complaint {gid} received. What you raised: {category}. We will answer by {due}. "
            "Give this complaint number when you contact us.",
        },
    ),
    "jaring_grievance_resolved": (
        {"id": "Pengaduan {gid} selesai", "en": "Complaint {gid} resolved"},
        {
            "id": "Pengaduan {gid} selesai. Jawaban kami: {resolution}\n\n"
            "Bila belum sesuai, minta petugas membuka kembali pengaduan ini sampai {until}.",
            "en": "Complaint {gid} resolved. Our answer: {resolution}\n\n"
            "If this does not settle it, ask an officer to reopen this complaint by {until}.",
        },
    ),
    # The answer reopened the claim itself: the family reads that an officer looks at it again.
    "jaring_grievance_resolved_claim_reviewed": (
        {"id": "Pengaduan {gid} selesai", "en": "Complaint {gid} resolved"},
        {
            "id": "Pengaduan {gid} selesai. Jawaban kami: {resolution}\n\nKlaim {claim} diperiksa kembali oleh "
            "petugas. Bila belum sesuai, minta petugas membuka kembali pengaduan ini sampai {until}.",
            "en": "Complaint {gid} resolved. Our answer: {resolution}\n\nClaim {claim} is being reviewed again by an "
            "officer. If this does not settle it, ask an officer to reopen this complaint by {until}.",
        },
    ),
    "jaring_grievance_reopened": (
        {"id": "Pengaduan {gid} dibuka kembali", "en": "Complaint {gid} reopened"},
        {
            "id": "Pengaduan {gid} dibuka kembali. Pengaduan Anda kami periksa lagi. "
            "Kami menjawab paling lambat {due}.",
            "en": "Complaint {gid} reopened. We are looking at your complaint again. We will answer by {due}.",
        },
    ),
    "jaring_grievance_overdue": (
        {"id": "Maaf, pengaduan {gid} terlambat", "en": "Sorry, complaint {gid} is late"},
        {
            "id": "Maaf, pengaduan {gid} terlambat: belum selesai pada {due}. Pengaduan sudah diteruskan ke kepala "
            "kantor cabang dan tetap kami tangani. Anda tidak perlu mengirim ulang.",
            "en": "Sorry, complaint {gid} is late: it was not settled by {due}. It has been passed to the branch head "
            "and we are still working on it. You do not need to send it again.",
        },
    ),
}
# A one-time code is an "authentication" template in Meta's terms (reviewed and priced apart from
# utility messages; it may be sent whether or not the person wrote in the last 24 hours).
_LOOKUP_CODE: tuple[Words, Words] = (
    {"id": "Kode Lacak Klaim: {code}", "en": "Claim tracking code: {code}"},
    {
        "id": "Masukkan kode {code} di halaman Lacak Klaim. Berlaku 5 menit. Jangan berikan kode ini kepada siapa "
        "pun, juga kepada petugas.",
        "en": "Enter code {code} on the claim tracking page. Valid for 5 minutes. Do not give this code to anyone, "
        "not even an officer.",
    },
)
# Missing documents: what to bring and where first, then that the payment clock starts once the file is
# complete. After a death, sympathy comes first; the event carries no name, so it names no one.
_MISSING_CONDOLENCE: Words = {
    "id": "Kami turut berduka cita atas kepergian anggota keluarga Anda.",
    "en": "We are deeply sorry for the loss of your family member.",
}
_MISSING: Words = {
    "id": "Dokumen klaim {claim} masih kurang. Jenis klaim: {claim_type}.\n"
    "Yang perlu Anda lakukan: bawa dokumen berikut ke kantor cabang BPJS Ketenagakerjaan terdekat:\n"
    "{documents}\n\nBPJS Ketenagakerjaan wajib membayar paling lambat {days} hari kerja setelah dokumen "
    "lengkap. Waktu itu mulai dihitung saat dokumen terakhir diterima.",
    "en": "Documents for claim {claim} are missing. Claim type: {claim_type}.\n"
    "What you need to do: bring these documents to the nearest BPJS Ketenagakerjaan branch office:\n"
    "{documents}\n\nBPJS Ketenagakerjaan must pay within {days} working days of a complete file. That "
    "time starts when the last document is received.",
}
_MISSING_SUBJECTS: dict[bool, Words] = {
    False: {"id": "Dokumen klaim {claim} masih kurang", "en": "Documents for claim {claim} are missing"},
    True: {
        "id": "Pengingat: dokumen klaim {claim} masih kurang",
        "en": "Reminder: documents for claim {claim} are still missing",
    },
}
_REMINDER_OPENING: Words = {"id": "Pengingat: ", "en": "Reminder: "}


def _missing_body(reminder: bool, death: bool) -> Words:
    body = {
        lang: (_REMINDER_OPENING[lang] + text[0].lower() + text[1:]) if reminder else text
        for lang, text in _MISSING.items()
    }
    return {lang: f"{_MISSING_CONDOLENCE[lang]}\n{text}" for lang, text in body.items()} if death else body


def _named(name: str, subject: Words, body: Words, category: str = "utility") -> Template:
    return Template(name, tuple(dict.fromkeys(placeholders(body["id"]))), subject, body, category, letter=False)


FAMILY_REPLY_TEMPLATES: tuple[Template, ...] = (
    *(_named(name, subject, body) for name, (subject, body) in _GRIEVANCE.items()),
    _named("jaring_lookup_code", *_LOOKUP_CODE, category="authentication"),
    *(
        _named(
            "jaring_missing_documents" + ("_reminder" if reminder else "") + ("_death" if death else ""),
            _MISSING_SUBJECTS[reminder],
            _missing_body(reminder, death),
        )
        for reminder in (False, True)
        for death in (False, True)
    ),
)
TEMPLATES = TEMPLATES + FAMILY_REPLY_TEMPLATES


CATALOGUE: dict[str, Template] = {t.name: t for t in TEMPLATES}
