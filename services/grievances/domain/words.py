"""The words the public "Lacak Klaim" page uses, in Bahasa Indonesia ("id", the default)
and English ("en"). Plain everyday language, as in notifications' wording: a family in
mourning reads it on a phone. Codes are the ones claims puts on its events
(shared.contracts.claims, claims' document checklist); an unknown code falls back to a
readable sentence, never to a raw key."""

from __future__ import annotations

Words = dict[str, str]

STATUS_WORDS: dict[str, Words] = {
    "filed": {
        "id": "Klaim sudah diterima dan sedang diperiksa.",
        "en": "The claim has been received and is being checked.",
    },
    "needs_review": {
        "id": "Klaim sedang menunggu pemeriksaan petugas.",
        "en": "The claim is waiting for an officer to review it.",
    },
    "approved": {
        "id": "Klaim disetujui. Pembayaran sedang disiapkan.",
        "en": "The claim is approved. Payment is being prepared.",
    },
    "payout_recorded": {
        "id": "Klaim disetujui dan jumlah yang dibayar sudah dicatat.",
        "en": "The claim is approved and the amounts to pay are recorded.",
    },
    "rejected": {
        "id": "Klaim tidak dapat dibayar. Petugas dapat menjelaskan alasannya.",
        "en": "The claim cannot be paid. An officer can explain why.",
    },
    "awaiting_family": {
        "id": "Klaim sudah dibuka untuk keluarga. Datanglah ke kantor dengan dokumen yang diminta.",
        "en": "The claim is open for the family. Come to the office with the documents asked for.",
    },
}
STATUS_FALLBACK: Words = {"id": "Klaim sedang diproses.", "en": "The claim is being processed."}

PAYMENT_WORDS: dict[str, Words] = {  # shared.contracts.grievances.PaymentStatus
    "not_recorded": {"id": "Belum ditentukan", "en": "Not decided yet"},
    "recorded": {"id": "Sudah dicatat, menunggu transfer", "en": "Recorded, waiting for the transfer"},
    "scheduled": {"id": "Transfer dijadwalkan", "en": "Transfer scheduled"},
    "paid": {"id": "Sudah ditransfer", "en": "Transferred"},
    "failed": {
        "id": "Transfer gagal; petugas akan menghubungi Anda",
        "en": "The transfer failed; an officer will contact you",
    },
}

# Claims' document checklist (services/claims/domain/documents.py).
DOCUMENT_WORDS: dict[str, Words] = {
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
}

CATEGORY_WORDS: dict[str, Words] = {  # shared.contracts.grievances.GrievanceCategory
    "wrong_heir": {"id": "Ahli waris yang tercatat keliru", "en": "The wrong heir is recorded"},
    "amount": {"id": "Jumlah uang tidak sesuai", "en": "The amount is wrong"},
    "delay": {"id": "Pembayaran terlambat", "en": "Payment is late"},
    "rejected_claim": {"id": "Klaim ditolak", "en": "The claim was rejected"},
    "data_correction": {"id": "Data perlu diperbaiki", "en": "Data needs correcting"},
    "other": {"id": "Lainnya", "en": "Something else"},
}

PAGE: dict[str, Words] = {
    "title": {"id": "Lacak Klaim", "en": "Track a claim"},
    "intro": {
        "id": "Masukkan nomor klaim dan nomor HP yang tercatat untuk ahli waris atau pelapor. "
        "Kami mengirim kode 6 angka lewat WhatsApp atau SMS.",
        "en": "Enter the claim number and the phone number recorded for an heir or the reporter. "
        "We send a 6-digit code by WhatsApp or SMS.",
    },
    "claim_number": {"id": "Nomor klaim", "en": "Claim number"},
    "claim_hint": {
        "id": 'Tertulis di pesan "klaim sudah kami terima", misalnya CL-1a2b3c4d5e6f',
        "en": 'Written in the "claim received" message, for example CL-1a2b3c4d5e6f',
    },
    "phone": {"id": "Nomor HP", "en": "Phone number"},
    "phone_hint": {"id": "Misalnya 0812 3456 7890", "en": "For example 0812 3456 7890"},
    "send_code": {"id": "Kirim kode", "en": "Send the code"},
    "code_sent": {
        "id": "Jika nomor HP ini tercatat pada klaim tersebut, kami sudah mengirim kode 6 angka. Kode berlaku 5 menit.",
        "en": "If this phone number is recorded on that claim, we have sent a 6-digit code. "
        "The code is valid for 5 minutes.",
    },
    "code": {"id": "Kode 6 angka", "en": "6-digit code"},
    "check": {"id": "Lihat status klaim", "en": "See the claim's status"},
    "wrong_code": {
        "id": "Kode salah. Periksa kode di pesan terakhir dari kami, lalu coba lagi.",
        "en": "The code is wrong. Check the code in our last message and try again.",
    },
    "expired": {
        "id": "Kode sudah tidak berlaku. Minta kode baru.",
        "en": "The code is no longer valid. Ask for a new code.",
    },
    "locked": {
        "id": "Terlalu banyak kode salah. Coba lagi setelah 15 menit.",
        "en": "Too many wrong codes. Try again after 15 minutes.",
    },
    "too_many": {
        "id": "Terlalu banyak permintaan. Coba lagi nanti.",
        "en": "Too many requests. Please try again later.",
    },
    "invalid_input": {
        "id": "Periksa nomor klaim dan nomor HP, lalu coba lagi.",
        "en": "Check the claim number and the phone number, and try again.",
    },
    "new_code": {"id": "Minta kode baru", "en": "Ask for a new code"},
    "status_heading": {"id": "Status klaim", "en": "Claim status"},
    "missing_heading": {"id": "Dokumen yang masih kurang", "en": "Documents still missing"},
    "missing_where": {
        "id": "Bawa dokumen ini ke kantor cabang BPJS Ketenagakerjaan. Batas waktu pembayaran "
        "mulai dihitung setelah dokumen lengkap.",
        "en": "Bring these documents to the BPJS Ketenagakerjaan branch office. The payment "
        "deadline starts once the documents are complete.",
    },
    "nothing_missing": {"id": "Tidak ada dokumen yang kurang.", "en": "No documents are missing."},
    "deadline": {"id": "Batas waktu pembayaran", "en": "Payment deadline"},
    "deadline_none": {
        "id": "Belum berjalan (menunggu dokumen lengkap)",
        "en": "Not running yet (waiting for complete documents)",
    },
    "your_amount": {"id": "Bagian Anda", "en": "Your share"},
    "your_amount_none": {"id": "Belum ditentukan", "en": "Not decided yet"},
    "payment_status": {"id": "Status pembayaran", "en": "Payment status"},
    "complain_heading": {"id": "Ajukan pengaduan", "en": "File a complaint"},
    "category": {"id": "Jenis pengaduan", "en": "Kind of complaint"},
    "complaint_text": {"id": "Ceritakan masalahnya", "en": "Tell us what is wrong"},
    "complaint_hint": {"id": "Jangan menulis nomor NIK atau KTP.", "en": "Do not write a NIK or KTP number."},
    "send_complaint": {"id": "Kirim pengaduan", "en": "Send the complaint"},
    "complaint_filed": {
        "id": "Pengaduan Anda sudah kami terima dengan nomor {grievance_id}. Kami akan menjawab "
        "paling lambat {due_on}.",
        "en": "We have received your complaint, number {grievance_id}. We will answer by {due_on} at the latest.",
    },
    "complaint_invalid": {
        "id": "Tulis masalahnya dalam 5 sampai 2000 huruf dan pilih jenis pengaduan.",
        "en": "Describe the problem in 5 to 2000 characters and choose a kind.",
    },
    "session_over": {
        "id": "Waktu sudah habis. Lacak klaim lagi untuk mengajukan pengaduan.",
        "en": "Time is up. Track the claim again to file a complaint.",
    },
    "other_language": {"id": "English", "en": "Bahasa Indonesia"},
    "back": {"id": "Kembali ke awal", "en": "Back to the start"},
}
