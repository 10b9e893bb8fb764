"""The words a family reads, in Bahasa Indonesia ("id") and English ("en").

Kept apart from the rendering logic so that a social worker can correct a sentence
without reading code. Indonesian is plain everyday language, not legal language:
"uang", "rekening", "kantor cabang", not "manfaat", "pembayaran jaminan".
The fixed text keeps to letters, digits and plain punctuation (the GSM 7-bit
alphabet, checked by a test): one character outside it,
such as an em dash, turns a whole SMS into UCS-2 at 70 instead of 160 characters
per part, more than doubling what each message costs.

Codes here (claim types, reason codes, component and document codes) are the ones
the claims service puts on its events; an unknown code still produces a readable
message (see the fallbacks in messages.py) rather than no message.
"""

from __future__ import annotations

Words = dict[str, str]  # language -> text

# --- claim types ---------------------------------------------------------------
CLAIM_TYPE_WORDS: dict[str, Words] = {  # shared.contracts.claims.ClaimType
    "JKM": {"id": "santunan kematian (JKM)", "en": "death benefit (JKM)"},
    "JKK": {"id": "kecelakaan kerja (JKK)", "en": "work-accident benefit (JKK)"},
    "JKK_DEATH": {
        "id": "meninggal karena kecelakaan kerja (JKK)",
        "en": "death from a work accident (JKK)",
    },
}
CLAIM_TYPE_FALLBACK: Words = {"id": "jaminan sosial ketenagakerjaan", "en": "social security benefit"}

# Payment deadlines after complete documents, in working days [reg]:
# JKM: PP 44/2015 art. 40; JKK: PP 44/2015 art. 37. Both owe 1 % a day when late.
SLA_WORKING_DAYS: dict[str, int] = {"JKM": 3, "JKK": 7}

# --- rejection reasons -------------------------------------------------------------
# Each reason: why, in one sentence, and what the family can do about it.
# {name} is the participant's name, {programme} the short programme name (JKM/JKK).
REASON_SENTENCES: dict[str, Words] = {
    "NOT_COVERED_ON_INCIDENT_DATE": {
        "id": "Pada tanggal kejadian, {name} tidak sedang terlindungi: kepesertaan belum "
        "mulai, atau sudah tidak aktif karena iuran tidak dibayar tiga bulan berturut-turut.",
        "en": "On the date of the incident {name} was not protected: membership had not yet "
        "started, or had become inactive because contributions went unpaid for three months in a row.",
    },
    "PROGRAMME_NOT_ENROLLED": {
        "id": "{name} tidak terdaftar dalam program {programme}, jadi program ini tidak dapat membayar.",
        "en": "{name} was not enrolled in the {programme} programme, so it cannot pay this claim.",
    },
    "DOCUMENTS_INCOMPLETE": {
        "id": "Dokumen yang diperlukan belum lengkap.",
        "en": "Some of the required documents are missing.",
    },
    "POLICE_REPORT_MISSING": {
        "id": "Untuk kecelakaan lalu lintas wajib ada laporan polisi, dan laporan itu belum ada.",
        "en": "A traffic accident needs a police report, and none has been provided.",
    },
    "CLAIM_RIGHT_EXPIRED": {
        # PP 82/2019: the right to claim JKK lapses 5 years after the accident.
        "id": "Hak mengajukan klaim kecelakaan kerja berakhir 5 tahun setelah kecelakaan, "
        "dan batas waktu itu sudah lewat.",
        "en": "The right to claim a work-accident benefit ends 5 years after the accident, and that time has passed.",
    },
    "DUPLICATE_INCIDENT": {
        "id": "Kejadian yang sama sudah pernah diajukan dalam klaim lain.",
        "en": "The same incident has already been claimed in another claim.",
    },
    # Not one of the claims service's ReasonCode values today: an officer's rejection
    # may carry it, or carry only the codes below, which the rules use for review.
    "OFFICER_REJECTED": {
        "id": "Petugas klaim sudah memeriksa berkas dan memutuskan klaim ini tidak dapat dibayar.",
        "en": "A claims officer reviewed the file and decided this claim cannot be paid.",
    },
    "DEATH_SOON_AFTER_ENROLMENT": {
        "id": "{name} baru sebentar menjadi peserta sebelum meninggal.",
        "en": "{name} had been a member only a short time before the death.",
    },
    "PARTICIPANT_NOT_IN_READ_MODEL": {
        "id": "Data kepesertaan {name} belum dapat kami temukan.",
        "en": "We could not find the membership record of {name}.",
    },
    "NO_HEIR": {
        "id": "Belum ada ahli waris yang tercatat untuk {name}.",
        "en": "No heir has been recorded for {name}.",
    },
    "GUARDIAN_MISSING": {
        "id": "Ahli waris yang belum berumur 18 tahun menerima uang melalui wali, dan wali belum dicatat.",
        "en": "An heir under 18 is paid through a guardian (wali), and no guardian has been recorded yet.",
    },
    # Fraud controls (claims' domain/sampling.py): said as the routine check it is.
    "SAMPLED_FOR_REVIEW": {
        "id": "Seorang penyelia memeriksa klaim ini sebelum dibayar; ini pemeriksaan biasa.",
        "en": "A supervisor checks this claim before it is paid; this is a routine check.",
    },
    "ABOVE_REVIEW_THRESHOLD": {
        "id": "Klaim dengan nilai sebesar ini diperiksa seorang penyelia sebelum dibayar.",
        "en": "A claim of this value is checked by a supervisor before it is paid.",
    },
    # A grievance showed a decision wrong: the claim is looked at again.
    "REOPENED_BY_SUPERVISOR": {
        "id": "Seorang penyelia membuka kembali klaim ini untuk diperiksa ulang.",
        "en": "A supervisor reopened this claim to look at it again.",
    },
}
REASON_FALLBACK: Words = {
    "id": "Ada alasan lain (kode {code}); petugas klaim dapat menjelaskannya.",
    "en": "There is another reason (code {code}); a claims officer can explain it.",
}

# {documents} is filled with the missing documents when the event names them.
REASON_ADVICE: dict[str, Words] = {
    "NOT_COVERED_ON_INCIDENT_DATE": {
        "id": "Jika Anda punya bukti bayar iuran untuk bulan-bulan sebelum kejadian, bawa ke "
        "kantor cabang BPJS Ketenagakerjaan.",
        "en": "If you have receipts for contributions paid in the months before the incident, "
        "bring them to the BPJS Ketenagakerjaan branch office.",
    },
    "DOCUMENTS_INCOMPLETE": {
        "id": "Bawa dokumen yang masih kurang ke kantor cabang BPJS Ketenagakerjaan{documents}, "
        "lalu klaim dapat diperiksa lagi.",
        "en": "Bring the missing documents to the BPJS Ketenagakerjaan branch office{documents}; "
        "the claim can then be checked again.",
    },
    "PARTICIPANT_NOT_IN_READ_MODEL": {
        "id": "Bawa kartu peserta BPJS Ketenagakerjaan dan KTP {name} ke kantor cabang BPJS Ketenagakerjaan.",
        "en": "Bring the BPJS Ketenagakerjaan membership card and the identity card (KTP) of {name} "
        "to the BPJS Ketenagakerjaan branch office.",
    },
    "NO_HEIR": {
        "id": "Bawa Kartu Keluarga (KK) dan surat keterangan ahli waris ke kantor cabang BPJS Ketenagakerjaan.",
        "en": "Bring the family card (KK) and the heir statement (surat keterangan ahli waris) to the "
        "BPJS Ketenagakerjaan branch office.",
    },
    "POLICE_REPORT_MISSING": {
        "id": "Minta laporan polisi di kantor polisi (Polsek/Polres) yang menangani kecelakaan, "
        "lalu bawa ke kantor cabang BPJS Ketenagakerjaan.",
        "en": "Ask the police station (Polsek/Polres) that handled the accident for the report, "
        "and bring it to the BPJS Ketenagakerjaan branch office.",
    },
}
ADVICE_CALL_OFFICER: Words = {
    "id": "Jika menurut Anda keputusan ini keliru, hubungi petugas klaim dan sebutkan nomor klaim.",
    "en": "If you think this decision is wrong, call the claims officer and give the claim number.",
}

# --- payout components ---------------------------------------------------------------
COMPONENT_WORDS: dict[str, Words] = {  # services/claims/domain/benefits.py
    "lump_sum": {"id": "Santunan sekaligus", "en": "Lump-sum benefit"},
    "periodic_benefit": {
        "id": "Santunan berkala (senilai 24 bulan, dibayar sekaligus)",
        "en": "Periodic benefit (24 months' worth, paid at once)",
    },
    "funeral": {"id": "Biaya pemakaman", "en": "Funeral costs"},
    "death_benefit": {"id": "Santunan kematian", "en": "Death benefit"},
    "scholarship": {"id": "Beasiswa pendidikan anak", "en": "Children's education scholarship"},
    "temporary_incapacity": {
        "id": "Upah selama tidak mampu bekerja (STMB)",
        "en": "Pay while unable to work (STMB)",
    },
    "permanent_disability": {"id": "Santunan cacat tetap", "en": "Permanent disability benefit"},
    "transport": {"id": "Biaya transportasi ke rumah sakit", "en": "Transport to hospital"},
    "late_charge": {
        "id": "Denda karena pembayaran terlambat (1 persen per hari)",
        "en": "Charge for late payment (1 percent a day)",
    },
    "reclassification_adjustment": {
        "id": "Kekurangan bayar setelah jenis klaim diperbaiki",
        "en": "Amount still owed after the claim type was corrected",
    },
}

# --- documents (for DOCUMENTS_INCOMPLETE) ---------------------------------------------
DOCUMENT_WORDS: dict[str, Words] = {  # services/claims/domain/documents.py, plus the scholarship's
    "participant_card": {"id": "kartu peserta BPJS Ketenagakerjaan", "en": "BPJS Ketenagakerjaan membership card"},
    "ktp": {"id": "KTP peserta", "en": "the participant's identity card (KTP)"},
    "ktp_deceased": {"id": "KTP almarhum/almarhumah", "en": "the identity card (KTP) of the deceased"},
    "ktp_heir": {"id": "KTP ahli waris", "en": "the heir's identity card (KTP)"},
    "family_card": {"id": "Kartu Keluarga (KK)", "en": "family card (KK)"},
    "death_certificate": {"id": "surat/akta kematian", "en": "death certificate"},
    "heir_statement": {"id": "surat keterangan ahli waris", "en": "heir statement"},
    "marriage_book": {"id": "buku nikah", "en": "marriage book"},
    "bank_account": {"id": "buku tabungan (rekening bank)", "en": "bank account book"},
    "npwp": {"id": "NPWP", "en": "tax number (NPWP)"},
    "accident_chronology": {"id": "kronologi kecelakaan", "en": "account of the accident"},
    "witness_ktp_1": {"id": "KTP saksi pertama", "en": "identity card (KTP) of the first witness"},
    "witness_ktp_2": {"id": "KTP saksi kedua", "en": "identity card (KTP) of the second witness"},
    "medical_report": {"id": "surat keterangan dokter", "en": "medical report"},
    "medical_receipts": {"id": "kuitansi biaya pengobatan", "en": "medical receipts"},
    "police_report": {"id": "laporan polisi", "en": "police report"},
    "birth_certificate": {"id": "akta kelahiran anak", "en": "the child's birth certificate"},
    "school_enrolment": {"id": "surat keterangan sekolah", "en": "school enrolment letter"},
    "school_report": {"id": "rapor terakhir", "en": "latest school report"},
}

# --- pieces of the messages (the messages themselves are templates.py) -------------------
PHRASES: dict[str, Words] = {
    "contact_given": {
        "id": "Untuk bertanya, hubungi: {contact}. Sebutkan nomor klaim {claim_id}.",
        "en": "For questions, contact: {contact}. Give claim number {claim_id}.",
    },
    "contact_default": {
        "id": "Untuk bertanya, datang ke kantor cabang BPJS Ketenagakerjaan terdekat atau hubungi "
        "petugas klaim, dan sebutkan nomor klaim {claim_id}.",
        "en": "For questions, visit the nearest BPJS Ketenagakerjaan branch office or call the claims "
        "officer, and give claim number {claim_id}.",
    },
    "and": {"id": "dan", "en": "and"},
    "documents_named": {"id": " ({documents})", "en": " ({documents})"},
    # PayoutRecorded
    "payout_cash_line": {"id": "{component}: {amount} untuk {payees}", "en": "{component}: {amount} to {payees}"},
    "through_guardian": {
        "id": "{payee}, dibayar melalui wali {guardian}",
        "en": "{payee}, paid through the guardian {guardian}",
    },
    "payout_total": {"id": "Jumlah uang yang dibayarkan: {total}", "en": "Total money to be paid: {total}"},
    "entitlement_heading": {
        "id": "Hak yang dibayar per tahun (bukan uang yang dibayar sekarang):",
        "en": "Yearly entitlements (not money paid now):",
    },
    "component_for": {"id": "{component} untuk {payee}", "en": "{component} for {payee}"},
    "entitlement_line": {
        "id": "{component}: hak hingga {amount} seluruhnya, dibayar tahun demi tahun; ajukan setiap "
        "tahun ajaran dengan surat keterangan sekolah dan rapor terakhir.",
        "en": "{component}: an entitlement of up to {amount} in all, paid year by year; claim it each "
        "school year with the school enrolment letter and the latest report.",
    },
    # DisbursementPaid
    "paid_money": {"id": "uangnya", "en": "the money"},
    "paid_payees": {"id": "penerima", "en": "the payee"},
    "paid_check": {
        "id": "Silakan periksa rekening Anda. Bila uang belum masuk, hubungi kantor cabang BPJS "
        "Ketenagakerjaan dan sebutkan nomor klaim.",
        "en": "Please check your account. If the money has not arrived, contact the BPJS "
        "Ketenagakerjaan branch office and give the claim number.",
    },
    # TransferRejected: the bank refused the payee's account; what the family brings instead.
    "transfer_rejected_bring": {
        "id": "Bawa buku tabungan rekening lain atas nama {payee} sendiri (bukan rekening orang lain) dan "
        "KTP {payee} ke kantor cabang BPJS Ketenagakerjaan. Bila tidak punya rekening, uang dapat "
        "diambil tunai di loket bank dengan kode yang kami kirim.",
        "en": "Bring the passbook of another account in the name of {payee} (not someone else's account) "
        "and the identity card (KTP) of {payee} to the BPJS Ketenagakerjaan branch office. Without "
        "an account, the money can be collected in cash at a bank counter with a code we send.",
    },
}

# Why a bank refused an account (ISO 20022 reason codes, shared/contracts/disbursements.py).
TRANSFER_REASONS: dict[str, Words] = {
    "AC01": {"id": "nomor rekening tidak ada", "en": "the account number does not exist"},
    "AC04": {"id": "rekening sudah ditutup", "en": "the account is closed"},
    "AC06": {"id": "rekening sedang diblokir", "en": "the account is blocked"},
    "MD07": {"id": "pemilik rekening sudah meninggal dunia", "en": "the account holder has died"},
    "BE01": {"id": "nama di rekening bukan nama penerima", "en": "the name on the account is not the payee's"},
}
TRANSFER_REASON_FALLBACK: Words = {"id": "bank menolak rekening ini", "en": "the bank refused this account"}
