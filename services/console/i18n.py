"""Words and numbers as the person at the screen reads them: Bahasa Indonesia by default,
English on request; rupiah as `Rp 42.000.000`; times in Makassar's (WITA).

One table of texts, keyed by a short name, each with its Indonesian and English wording.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from shared.clock import MAKASSAR
from shared.money import format_rupiah

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

TEXT: dict[str, tuple[str, str]] = {
    # frame
    "app_title": ("Konsol Jaring", "Jaring console"),
    "sign_in": ("Masuk", "Sign in"),
    "skip_to_content": ("Langsung ke isi", "Skip to content"),
    "sign_out": ("Keluar", "Sign out"),
    "signed_in_as": ("Masuk sebagai", "Signed in as"),
    "language": ("Bahasa", "Language"),
    "role_officer": ("petugas", "officer"),
    "role_supervisor": ("supervisor", "supervisor"),
    "role_operator": ("operator", "operator"),
    "nav_flows": ("Arus", "Flows"),
    "nav_dlq": ("Surat mati", "Dead letters"),
    "nav_trace": ("Jejak", "Trace"),
    "nav_messages": ("Pesan Kafka", "Messages"),
    "messages_title": ("Pesan di topik", "Messages on a topic"),
    "partition": ("Partisi", "Partition"),
    "from_offset": ("Mulai offset", "From offset"),
    "show": ("Tampilkan", "Show"),
    "partition_holds": (
        "Partisi ini menyimpan offset {first} sampai {end} (retensi).",
        "This partition holds offsets {first} to {end} (retention).",
    ),
    "open_message": ("pesan", "message"),
    "nav_stuck": ("Macet", "Stuck"),
    "nav_sla": ("Tenggat", "Deadlines"),
    "nav_file": ("Ajukan klaim", "File a claim"),
    "nav_review": ("Antrean tinjauan", "Review queue"),
    "nav_participants": ("Peserta", "Participants"),
    "nav_grievances": ("Pengaduan", "Grievances"),
    # grievances (pengaduan)
    "grievances_title": ("Pengaduan terbuka menurut tenggat", "Open grievances by deadline"),
    "grievances_of_claim": ("Pengaduan keluarga", "The family's grievances"),
    "grievances_unavailable": ("Layanan pengaduan tidak menjawab.", "The grievances service did not answer."),
    "grievances_none": ("Tidak ada pengaduan.", "No grievances."),
    "grievances_overdue_only": ("Hanya yang lewat tenggat", "Overdue only"),
    "grievances_all": ("Semua yang terbuka", "All open"),
    "grievance": ("Pengaduan", "Grievance"),
    "category": ("Jenis", "Category"),
    "assigned_to": ("Penanggung jawab", "Owner"),
    "due_on": ("Tenggat", "Due"),
    "overdue": ("lewat tenggat", "overdue"),
    "escalated_to": ("diteruskan ke", "escalated to"),
    "grievance_channel": ("Lewat", "Via"),
    "grievance_status_open": ("terbuka", "open"),
    "grievance_status_resolved": ("selesai", "resolved"),
    "category_wrong_heir": ("ahli waris keliru", "wrong heir"),
    "category_amount": ("jumlah uang", "amount"),
    "category_delay": ("keterlambatan", "delay"),
    "category_rejected_claim": ("klaim ditolak", "rejected claim"),
    "category_data_correction": ("perbaikan data", "data correction"),
    "category_other": ("lainnya", "other"),
    "channel_web": ("halaman Lacak Klaim", "Lacak Klaim page"),
    "channel_officer": ("petugas", "officer"),
    "nav_my_claims": ("Klaim saya", "My claims"),
    "nav_all_claims": ("Semua klaim", "All claims"),
    "export_csv": ("Unduh CSV", "Download CSV"),
    "rows_shown": ("Baris {first}–{last}", "Rows {first}–{last}"),
    "pages": ("Halaman", "Pages"),
    "previous": ("Sebelumnya", "Previous"),
    "next": ("Berikutnya", "Next"),
    "page_n": ("Halaman {n}", "Page {n}"),
    "print_title": ("Ringkasan klaim {id}", "Claim summary {id}"),
    "print_help": (
        "Untuk keluarga: apa yang diajukan, keputusannya, dan siapa yang dibayar.",
        "For the family: what was filed, the decision, and who is paid.",
    ),
    "print_contact": (
        "Pertanyaan atau keberatan: kantor cabang atau halaman Lacak Klaim.",
        "Questions or objections: the branch office or the Lacak Klaim page.",
    ),
    "print": ("Cetak ringkasan", "Print summary"),
    "open_claim": ("Buka klaim", "Open claim"),
    "claim_id": ("ID klaim", "Claim id"),
    "go": ("Buka", "Open"),
    "search": ("Cari", "Search"),
    "refreshes_every": ("Diperbarui setiap {n} detik", "Refreshes every {n} s"),
    "none": ("Tidak ada", "None"),
    "back": ("Kembali", "Back"),
    # sign-in
    "signin_title": ("Masuk ke konsol", "Sign in to the console"),
    "signin_help": (
        "Demo lokal: tempel token peran Anda (JWT). Konsol menyimpannya di server; peramban hanya "
        "memegang cookie sesi yang tidak dapat dibaca skrip.",
        "Local demo: paste your role token (JWT). The console keeps it on the server; the browser holds "
        "only a session cookie no script can read.",
    ),
    "signin_idp_help": (
        "Masuk dengan akun Anda di penyedia identitas kantor (Keycloak).",
        "Sign in with your account at the office's identity provider (Keycloak).",
    ),
    "signin_with_idp": ("Masuk dengan Keycloak", "Sign in with Keycloak"),
    "signin_paste_title": ("Demo lokal: tempel token", "Local demo: paste a token"),
    "signin_paste_off": (
        "Masuk dengan menempel token hanya untuk demo lokal dan tidak aktif di sini.",
        "Signing in by pasting a token is for the local demo only and is off here.",
    ),
    "signin_no_idp": (
        "Konsol ini belum terhubung ke penyedia identitas; hubungi operator.",
        "This console has no identity provider configured; ask an operator.",
    ),
    "signin_failed": ("Masuk tidak berhasil; silakan coba lagi.", "Signing in did not succeed; please try again."),
    "signin_idp_down": (
        "Penyedia identitas (Keycloak) tidak dapat dihubungi; coba lagi sebentar lagi.",
        "The identity provider (Keycloak) cannot be reached; try again shortly.",
    ),
    "signin_no_role": (
        "Akun Anda tidak memiliki peran petugas, supervisor, atau operator.",
        "Your account has none of the roles officer, supervisor or operator.",
    ),
    "signin_continue": ("Anda sudah masuk; melanjutkan…", "You are signed in; continuing…"),
    "signout_continue": (
        "Sesi konsol sudah berakhir; mengakhiri sesi di penyedia identitas…",
        "The console session has ended; ending the session at the identity provider…",
    ),
    "continue": ("Lanjutkan", "Continue"),
    "token": ("Token", "Token"),
    "signin_bad_token": ("Token tidak sah atau sudah kedaluwarsa.", "The token is not valid or has expired."),
    "signin_bad_form": ("Formulir kedaluwarsa; silakan coba lagi.", "The form expired; please try again."),
    # refusals
    "refused_title": ("Akses ditolak", "Access refused"),
    "refused_text": (
        "Peran {role} tidak boleh membuka halaman ini; diperlukan: {allowed}.",
        "The role {role} may not open this page; it needs: {allowed}.",
    ),
    "csrf_text": (
        "Formulir ini tidak membawa token keamanan sesi Anda. Muat ulang halaman dan coba lagi.",
        "This form did not carry your session's security token. Reload the page and try again.",
    ),
    "upstream_error": (
        "Layanan {service} menjawab {status}: {detail}",
        "The {service} service answered {status}: {detail}",
    ),
    # flows
    "flows_title": ("Arus peristiwa", "Event flows"),
    "pipeline": ("Alur", "Pipeline"),
    "topics": ("Topik", "Topics"),
    "topic": ("Topik", "Topic"),
    "partitions": ("Partisi", "Partitions"),
    "end_offset": ("Offset akhir", "End offset"),
    "rate_1m": ("Pesan/detik (1 mnt)", "Msg/s (1 min)"),
    "rate_15m": ("Pesan/detik (15 mnt)", "Msg/s (15 min)"),
    "last_15_minutes": ("15 menit terakhir, per menit", "Last 15 minutes, per minute"),
    "producer": ("Produsen", "Producer"),
    "groups": ("Grup konsumen", "Consumer groups"),
    "group": ("Grup", "Group"),
    "state": ("Status", "State"),
    "members": ("Anggota", "Members"),
    "lag": ("Lag", "Lag"),
    "total_lag": ("Total lag", "Total lag"),
    # a consumer group's state as Kafka names it
    "group_state_Stable": ("stabil", "stable"),
    "group_state_Empty": ("kosong", "empty"),
    "group_state_PreparingRebalance": ("menyiapkan pembagian ulang", "preparing a rebalance"),
    "group_state_CompletingRebalance": ("menyelesaikan pembagian ulang", "completing a rebalance"),
    "group_state_Dead": ("mati", "dead"),
    "group_state_Unknown": ("tidak diketahui", "unknown"),
    "worst_partition": ("Partisi terburuk", "Worst partition"),
    "all_caught_up": ("Semua grup sudah mengejar: lag 0.", "Every group has caught up: lag 0."),
    "lagging": ("{n} pesan belum dibaca", "{n} messages not read yet"),
    "worst_no_members_lagging": (
        "Grup {group} tidak punya anggota: {n} pesan menunggu tanpa pembaca.",
        "Group {group} has no members: {n} messages wait with nobody reading.",
    ),
    "worst_lag_growing": (
        "Lag grup {group} bertambah {grew} sejak tadi: kini {n} pesan belum dibaca.",
        "Group {group}'s lag grew by {grew} since the last look: {n} messages not read yet.",
    ),
    "worst_lagging": ("Grup {group} tertinggal {n} pesan.", "Group {group} is {n} messages behind."),
    "worst_no_members": (
        "Grup {group} tidak punya anggota (tidak ada yang membaca).",
        "Group {group} has no members (nobody is reading).",
    ),
    "groups_troubled": ("{n} grup perlu perhatian", "{n} groups need attention"),
    "concern_no_members_lagging": ("tanpa anggota, ada pesan menunggu", "no members, messages waiting"),
    "concern_lag_growing": ("lag bertambah", "lag growing"),
    "concern_lagging": ("tertinggal", "behind"),
    "concern_no_members": ("tanpa anggota", "no members"),
    "idle_groups": (
        "{n} grup tanpa anggota (tidak membaca apa pun; lag {lag})",
        "{n} groups without members (reading nothing; lag {lag})",
    ),
    "kafka_unreachable": ("Kafka tidak dapat dihubungi: {error}", "Kafka cannot be reached: {error}"),
    # what the services' outboxes set aside (Kafka refused the events for good)
    "worst_quarantined": (
        "{n} peristiwa disisihkan ke karantina outbox: Kafka menolaknya, tidak ada yang akan "
        "membacanya sampai operator menanganinya.",
        "{n} events set aside in an outbox quarantine: Kafka refused them, nobody will read them "
        "until an operator deals with them.",
    ),
    "all_caught_up_quarantine_unknown": (
        "Semua grup sudah mengejar, tetapi karantina outbox {services} tidak diketahui (tidak menjawab).",
        "Every group has caught up, but the outbox quarantine of {services} is unknown (no answer).",
    ),
    "quarantine_title": ("Peristiwa yang disisihkan (karantina outbox)", "Events set aside (outbox quarantine)"),
    "quarantine_unknown": ("tidak diketahui (tidak menjawab)", "unknown (no answer)"),
    "quarantine_none": ("Tidak ada peristiwa yang disisihkan.", "No event is set aside."),
    "quarantine_more": ("dan {n} lagi", "and {n} more"),
    "service": ("Layanan", "Service"),
    "held_event_type": ("Jenis peristiwa", "Event type"),
    "size_bytes": ("Ukuran (bita)", "Size (bytes)"),
    # dead letters
    "dlq_title": ("Surat mati (DLQ)", "Dead letters (DLQ)"),
    "dlq_waiting": ("menunggu", "waiting"),
    "dlq_replayed": ("diputar ulang", "replayed"),
    "dlq_discarded": ("dibuang", "discarded"),
    "dlq_empty": ("Tidak ada pesan yang menunggu di topik ini.", "No message waits on this topic."),
    "reason": ("Alasan", "Reason"),
    "consumer": ("Konsumen", "Consumer"),
    "original": ("Asal", "Original"),
    "key": ("Kunci", "Key"),
    "headers": ("Header", "Headers"),
    "payload": ("Isi (NIK disamarkan)", "Payload (NIK masked)"),
    "replay": ("Putar ulang", "Replay"),
    "replay_all": ("Putar ulang semua", "Replay all"),
    "replay_all_confirm": (
        "{n} pesan akan dikirim lagi ke topik asalnya (dari {topic}). Lanjutkan?",
        "{n} messages will be sent again to their original topics (from {topic}). Go on?",
    ),
    "replay_all_yes": ("Ya, putar ulang {n} pesan", "Yes, replay {n} messages"),
    "replay_all_count_changed": (
        "Jumlah pesan yang menunggu berubah: kini {n}, bukan {expected}. Periksa lalu konfirmasi lagi.",
        "The number of waiting messages changed: {n} now, not {expected}. Check, then confirm again.",
    ),
    "replay_confirm": (
        "Pesan ini ({n} salinan dari konsumen yang gagal) dikirim lagi ke {topic}. Lanjutkan?",
        "This message ({n} copies from the consumers that failed) is sent again to {topic}. Go on?",
    ),
    "replay_yes": ("Ya, putar ulang", "Yes, replay"),
    "earlier_attempts": ("Percobaan sebelumnya", "Earlier attempts"),
    "discard": ("Buang", "Discard"),
    "discard_reason": ("Alasan membuang", "Reason to discard"),
    "replayed_flash": ("Diputar ulang ke {topic}: {what}", "Replayed to {topic}: {what}"),
    "discarded_flash": ("Dibuang: {what}", "Discarded: {what}"),
    "replayed_all_flash": ("{n} pesan diputar ulang.", "{n} messages replayed."),
    "already_resolved": ("Pesan ini sudah {status} oleh {by}.", "This message was already {status} by {by}."),
    "record_gone": (
        "Rekaman ini sudah tidak ada di Kafka (retensi).",
        "This record is no longer in Kafka (retention).",
    ),
    "audit": ("Jejak audit", "Audit trail"),
    "who": ("Siapa", "Who"),
    "when": ("Kapan", "When"),
    "what": ("Apa", "What"),
    # trace
    "trace_title": ("Jejak klaim atau peserta", "Trace a claim or a participant"),
    "trace_help": ("ID klaim (CL-…) atau ID peserta", "Claim id (CL-…) or participant id"),
    "trace_nothing": ("Tidak ada peristiwa untuk {q}.", "No events for {q}."),
    "trace_otel": ("Jejak di penampil trace", "Trace in the trace viewer"),
    "events": ("Peristiwa", "Events"),
    "event": ("Peristiwa", "Event"),
    "occurred_at": ("Terjadi", "Occurred"),
    "place": ("Letak", "Where"),
    "steps": ("Langkah dan durasi", "Steps and durations"),
    "step": ("Langkah", "Step"),
    "took": ("Lama", "Took"),
    "since_filed": ("Sejak diajukan", "Since filed"),
    # story steps, in plain words
    "step_filed": ("Klaim diajukan", "Claim filed"),
    "step_verified": ("Diperiksa aturan", "Checked by the rules"),
    "step_decided": ("Diputuskan petugas", "Decided by an officer"),
    "step_withdrawn": ("Klaim ditarik", "Claim withdrawn"),
    "step_payout_recorded": ("Pembayaran dicatat", "Payout recorded"),
    "step_disbursement_scheduled": ("Transfer dijadwalkan", "Transfer scheduled"),
    "step_disbursement_paid": ("Dana ditransfer", "Money transferred"),
    "step_disbursement_failed": ("Transfer gagal", "Transfer failed"),
    # each ledger line's transfer (G2P Connect statuses, shared/contracts/disbursements.py)
    "step_transfer_received": ("Transfer menunggu rekening", "Transfer waiting for an account"),
    "step_transfer_pending": ("Transfer dikirim ke bank", "Transfer sent to the bank"),
    "step_transfer_succeeded": ("Transfer berhasil", "Transfer succeeded"),
    "step_transfer_rejected": ("Transfer ditolak bank", "Transfer rejected by the bank"),
    "step_transfer_reversed": ("Transfer dibatalkan", "Transfer reversed"),
    # why a bank refuses (ISO 20022 reason codes)
    "reason_AC01": ("nomor rekening tidak ada", "no such account number"),
    "reason_AC04": ("rekening sudah ditutup", "account closed"),
    "reason_AC06": ("rekening diblokir", "account blocked"),
    "reason_MD07": ("pemilik rekening sudah meninggal", "account holder deceased"),
    "reason_BE01": ("nama di rekening bukan nama penerima", "the name on the account is not the payee's"),
    # why the rules referred or rejected a claim (shared/contracts/vocabulary.py REASON_CODES)
    "reason_NOT_COVERED_ON_INCIDENT_DATE": (
        "tidak terlindungi pada tanggal kejadian",
        "not covered on the incident date",
    ),
    "reason_PROGRAMME_NOT_ENROLLED": ("tidak terdaftar di program ini", "not enrolled in this programme"),
    "reason_CLAIM_RIGHT_EXPIRED": ("hak klaim sudah kedaluwarsa", "the right to claim has expired"),
    "reason_DUPLICATE_INCIDENT": ("kejadian yang sama sudah diklaim", "the same incident is already claimed"),
    "reason_DOCUMENTS_INCOMPLETE": ("dokumen belum lengkap", "documents incomplete"),
    "reason_POLICE_REPORT_MISSING": ("laporan polisi belum ada", "police report missing"),
    "reason_DEATH_SOON_AFTER_ENROLMENT": ("meninggal tak lama setelah mendaftar", "death soon after enrolment"),
    "reason_PARTICIPANT_NOT_IN_READ_MODEL": (
        "data peserta belum diterima layanan klaim",
        "claims has not received the participant yet",
    ),
    "reason_NO_HEIR": ("tidak ada ahli waris tercatat", "no heir recorded"),
    "reason_GUARDIAN_MISSING": ("ahli waris di bawah umur belum punya wali", "a minor heir has no guardian yet"),
    "reason_SAMPLED_FOR_REVIEW": ("terpilih dalam sampel acak untuk ditinjau", "drawn in the random review sample"),
    "reason_ABOVE_REVIEW_THRESHOLD": ("nilai pembayaran di atas batas tinjauan", "payout above the review threshold"),
    "reason_OFFICER_APPROVED": ("disetujui petugas", "approved by an officer"),
    "reason_OFFICER_REJECTED": ("ditolak petugas", "rejected by an officer"),
    "reason_REOPENED_BY_SUPERVISOR": ("dibuka kembali oleh supervisor", "reopened by a supervisor"),
    # events, as the people at the screen call them (shared/contracts EVENT_TYPES)
    "event_ClaimFiled": ("Klaim diajukan", "Claim filed"),
    "event_ClaimApproved": ("Klaim disetujui", "Claim approved"),
    "event_ClaimRejected": ("Klaim ditolak", "Claim rejected"),
    "event_ClaimReferredForReview": ("Klaim dirujuk untuk ditinjau", "Claim referred for review"),
    "event_ClaimWithdrawn": ("Klaim ditarik", "Claim withdrawn"),
    "event_DeathConfirmed": ("Kematian dikonfirmasi", "Death confirmed"),
    "event_HeirsNamedOnClaim": ("Ahli waris dicatat pada klaim", "Heirs named on the claim"),
    "event_PayoutRecorded": ("Pembayaran dicatat", "Payout recorded"),
    "event_DisbursementChanged": ("Status transfer berubah", "Transfer status changed"),
    "event_ClaimReclassified": ("Jenis klaim diubah", "Claim type corrected"),
    "event_LateChargeRecorded": ("Denda keterlambatan dicatat", "Late charge recorded"),
    "event_TransferStatusChanged": ("Status transfer bank berubah", "Bank transfer status changed"),
    "event_TransferReversed": ("Transfer dibatalkan", "Transfer reversed"),
    "event_ParticipantEnrolled": ("Peserta didaftarkan", "Participant enrolled"),
    "event_ParticipantDetailsChanged": ("Data peserta diubah", "Participant details changed"),
    "event_HeirsChanged": ("Ahli waris diubah", "Heirs changed"),
    "event_ContributionRecorded": ("Iuran dicatat", "Contribution recorded"),
    "event_CoverageChanged": ("Kepesertaan berubah", "Coverage changed"),
    "event_GrievanceFiled": ("Pengaduan diajukan", "Grievance filed"),
    "event_GrievanceResolved": ("Pengaduan diselesaikan", "Grievance resolved"),
    "event_GrievanceReopened": ("Pengaduan dibuka kembali", "Grievance reopened"),
    "event_GrievanceOverdue": ("Pengaduan lewat tenggat", "Grievance overdue"),
    "event_LookupCodeIssued": ("Kode lacak dikirim", "Lookup code sent"),
    "event_ClaimStatusShared": ("Status klaim dibagikan", "Claim status shared"),
    "event_InboundMessageReceived": ("Pesan masuk diterima", "Inbound message received"),
    "event_NotificationDelivered": ("Pesan terkirim", "Message delivered"),
    "event_NotificationFailed": ("Pesan gagal", "Message failed"),
    "event_FamilyMemberUnreachable": ("Keluarga tidak dapat dihubungi", "Family member unreachable"),
    "event_DeathReported": ("Kematian dilaporkan catatan sipil", "Death reported by the civil registry"),
    "event_ContributionReminderDue": ("Pengingat iuran", "Contribution reminder"),
    "event_ProactiveClaimOpened": ("Klaim dibuka untuk keluarga", "Claim opened for the family"),
    "event_ProactiveClaimReminderDue": ("Pengingat klaim untuk keluarga", "Claim reminder to the family"),
    "event_ReceiptCheckRequested": (
        "Penerima ditanya apakah uang sudah masuk",
        "Payee asked whether the money arrived",
    ),
    "event_ReceiptReplied": ("Jawaban penerima", "Payee's answer"),
    "event_MissingDocumentsNoticed": ("Keluarga diberi tahu dokumen yang kurang", "Family told of missing documents"),
    # work segments (shared/contracts/vocabulary.py SEGMENTS) and channels to families
    "segment_market_trader": ("pedagang pasar", "market trader"),
    "segment_daily_worker": ("pekerja harian lepas", "daily worker"),
    "segment_micro_business": ("pelaku usaha mikro", "micro-business owner"),
    "segment_driver": ("pengemudi / kurir", "driver / courier"),
    "segment_fisher": ("nelayan", "fisher"),
    "segment_other": ("lainnya", "other"),
    "channel_email": ("surel", "email"),
    "channel_sms": ("SMS", "SMS"),
    "channel_whatsapp": ("WhatsApp", "WhatsApp"),
    # what claims answers when a form or a decision is refused (its rule codes)
    "err_participant_id_required": ("Pilih peserta.", "Choose a participant."),
    "err_incident_date_invalid": ("Isi tanggal yang sah.", "Give a valid date."),
    "err_claim_type_unknown": ("Pilih jenis klaim.", "Choose a claim type."),
    "err_document_kind_unknown": ("Jenis dokumen tidak dikenal.", "Unknown document kind."),
    "err_not_for_claim_type": ("Tidak berlaku untuk jenis klaim ini.", "Does not apply to this claim type."),
    "err_incapacity_days_out_of_range": ("Jumlah hari di luar batas.", "Number of days out of range."),
    "err_disability_percent_out_of_range": ("Persentase harus 0–100.", "The percentage is 0–100."),
    "err_incapacity_days_invalid": ("Isi bilangan bulat.", "Give a whole number."),
    "err_disability_percent_invalid": ("Isi bilangan bulat.", "Give a whole number."),
    "err_reason_required": (
        "Tulis alasannya; keluarga dan jejak audit membacanya.",
        "Say why; the family and the audit trail read it.",
    ),
    "err_decision_unknown": ("Pilih setujui atau tolak.", "Choose approve or reject."),
    "err_claim_not_in_review": ("Klaim ini tidak sedang menunggu tinjauan.", "This claim is not waiting for review."),
    "err_documents_incomplete": (
        "Klaim tidak dapat disetujui selama dokumen ini kurang: {docs}.",
        "The claim cannot be approved while these are missing: {docs}.",
    ),
    "err_claim_already_decided": (
        "Klaim ini sudah {status} oleh {by} pukul {at}. Keputusan Anda belum dikirim; catatan Anda tetap di bawah.",
        "This claim was already {status} by {by} at {at}. Your decision was not sent; your note is kept below.",
    ),
    "the_rules": ("aturan", "the rules"),
    "decided_approved": ("disetujui", "approved"),
    "decided_rejected": ("ditolak", "rejected"),
    "decided_payout_recorded": ("disetujui (pembayaran sudah dicatat)", "approved (payout already recorded)"),
    "decided_withdrawn": ("ditarik", "withdrawn"),
    "err_not_understood": ("Isian ini tidak diterima.", "This entry was not accepted."),
    "attempt": ("percobaan", "attempt"),
    # money: reconciliation with the bank's statement, payees who said the money did not arrive
    "nav_money": ("Uang", "Money"),
    "money_title": ("Rekonsiliasi dan tindak lanjut", "Reconciliation and follow-ups"),
    "money_help": (
        "Entri rekening koran bank (camt.053) yang tidak cocok dengan transfer Jaring, dan penerima "
        "yang menjawab uangnya belum masuk.",
        "Bank statement (camt.053) entries that do not match Jaring's transfers, and payees who "
        "answered that the money has not arrived.",
    ),
    "mismatches": ("Tidak cocok", "Mismatches"),
    "statement": ("Rekening koran", "Statement"),
    "reference": ("Referensi", "Reference"),
    "expected": ("Dikirim Jaring", "Sent by Jaring"),
    "booked": ("Dibukukan bank", "Booked by the bank"),
    "action": ("Tindakan", "Action"),
    "mismatch_paid_not_on_statement": ("dibayar, tidak ada di rekening koran", "paid, not on the statement"),
    "mismatch_unknown_on_statement": ("di rekening koran, tidak dikenal", "on the statement, unknown"),
    "mismatch_amount_differs": ("jumlah berbeda", "amount differs"),
    "action_paid_not_on_statement": (
        "Tanyakan status transfer ke bank dengan referensinya; bila tidak pernah "
        "keluar, supervisor membatalkannya agar dibayar lagi.",
        "Ask the bank for the transfer's status by its reference; if it never left, "
        "a supervisor reverses it so the line is paid again.",
    ),
    "action_unknown_on_statement": (
        "Tanyakan ke bank debit apa ini; tidak ada transfer Jaring dengan referensi ini.",
        "Ask the bank what this debit is; no Jaring transfer carries its reference.",
    ),
    "action_amount_differs": (
        "Minta bank membetulkan jumlah yang dibukukan atau mengembalikan selisihnya.",
        "Ask the bank to correct the booked amount or return the difference.",
    ),
    "follow_ups": ("Perlu ditindaklanjuti", "To follow up"),
    "follow_up_money_not_received": (
        "penerima menjawab uang belum masuk",
        "the payee answered the money has not arrived",
    ),
    "step_family_notified": ("Keluarga diberi tahu", "Family told"),
    "step_family_not_reached": ("Keluarga tidak terjangkau", "Family not reached"),
    "outcome_approved": ("disetujui", "approved"),
    "outcome_rejected": ("ditolak", "rejected"),
    "outcome_needs_review": ("perlu ditinjau", "needs review"),
    "about": ("tentang", "about"),
    "by": ("oleh", "by"),
    # claim statuses
    "status": ("Status", "Status"),
    "status_filed": ("diajukan", "filed"),
    "status_needs_review": ("perlu ditinjau", "needs review"),
    "status_approved": ("disetujui", "approved"),
    "status_rejected": ("ditolak", "rejected"),
    "status_payout_recorded": ("pembayaran dicatat", "payout recorded"),
    "status_awaiting_family": ("menunggu keluarga", "awaiting the family"),
    "status_paid": ("dibayar", "paid"),
    "status_withdrawn": ("ditarik", "withdrawn"),
    "status_unknown": ("belum diketahui", "not known yet"),
    # stuck
    "stuck_title": ("Klaim macet", "Stuck claims"),
    "stuck_help": (
        "Klaim yang belum selesai tanpa peristiwa berikutnya selama lebih dari {d}.",
        "Unfinished claims with no next event for more than {d}.",
    ),
    "older_than": ("Lebih lama dari (detik)", "Older than (seconds)"),
    "last_event": ("Peristiwa terakhir", "Last event"),
    "quiet_for": ("Diam selama", "Quiet for"),
    "waiting_for": ("Menunggu", "Waiting for"),
    "waiting_filing": ("pengajuan", "filing"),
    "waiting_verification": ("pemeriksaan aturan", "verification"),
    "waiting_officer_review": ("tinjauan petugas", "an officer's review"),
    "waiting_payout_recording": ("pencatatan pembayaran", "payout recording"),
    "waiting_disbursement": ("transfer dana", "the transfer"),
    # SLA
    "sla_title": ("Tenggat pembayaran", "Payment deadlines"),
    "sla_help": (
        "JKM dibayar dalam 3 hari kerja dan JKK dalam 7 hari kerja sejak dokumen lengkap "
        "(PP 44/2015 ps. 37(2), 40(3)); terlambat, 1 % per hari.",
        "JKM is paid within 3 working days and JKK within 7 of a complete application "
        "(PP 44/2015 art. 37(2), 40(3)); late, 1 % a day.",
    ),
    "sla_show_all": ("Tampilkan semua", "Show all"),
    "sla_show_near": ("Hanya yang dekat atau lewat", "Only near or past"),
    "claim_type": ("Jenis", "Type"),
    "documents_complete": ("Dokumen lengkap", "Documents complete"),
    "days_since": ("Hari sejak lengkap", "Days since complete"),
    "deadline": ("Tenggat", "Deadline"),
    "days_left": ("Sisa hari", "Days left"),
    "flag_late": ("terlambat", "late"),
    "flag_due": ("hampir", "due"),
    "flag_ok": ("aman", "on time"),
    # officers: filing
    "file_title": ("Ajukan klaim", "File a claim"),
    "participant": ("Peserta", "Participant"),
    "participant_search_help": (
        "Cari nama atau NIK tersamar (mis. 7371************)",
        "Search a name or a masked NIK (e.g. 7371************)",
    ),
    "choose": ("Pilih", "Choose"),
    "no_participant_found": ("Tidak ada peserta yang cocok.", "No participant matches."),
    "coverage": ("Kepesertaan", "Coverage"),
    "incident_date": ("Tanggal kejadian / meninggal", "Date of incident / death"),
    "incident_place": ("Tempat kejadian", "Place"),
    "cause": ("Penyebab", "Cause"),
    "traffic_accident": ("Kecelakaan lalu lintas", "Traffic accident"),
    "reporter": ("Pelapor", "Reporter"),
    "reporter_name": ("Nama pelapor", "Reporter's name"),
    "reporter_phone": ("Telepon pelapor (0813… atau +62…)", "Reporter's phone (0813… or +62…)"),
    "reporter_organisation": ("Hubungan atau organisasi", "Relation or organisation"),
    "documents": (
        "Dokumen (centang yang diserahkan, isi nomornya)",
        "Documents (tick those handed in, with their number)",
    ),
    "incapacity_days": ("Hari tidak mampu bekerja (JKK)", "Days unable to work (JKK)"),
    "disability_percent": ("Cacat tetap % (JKK)", "Permanent disability % (JKK)"),
    "submit_claim": ("Ajukan", "File"),
    "check_claim": ("Periksa isian", "Check the form"),
    "documents_short": ("Dokumen", "Documents"),
    "documents_for_type": (
        "Hanya dokumen yang diminta untuk jenis klaim yang dipilih (daftar dari layanan klaim).",
        "Only the documents the chosen claim type needs (the list claims publishes).",
    ),
    "documents_all_kinds": (
        "Daftar dokumen dari layanan klaim belum dapat diambil; semua jenis ditampilkan.",
        "Claims' document list could not be fetched; every kind is shown.",
    ),
    "condition_traffic_accident": ("jika kecelakaan lalu lintas", "for a traffic accident"),
    "condition_payee_is_spouse": ("jika dibayar ke suami/istri", "when the spouse is paid"),
    "condition_payout_above_npwp_threshold": (
        "jika pembayaran di atas Rp 50.000.000",
        "when the payout is above Rp 50,000,000",
    ),
    "sixteen_digits": ("16 angka", "16 digits"),
    "document_number_of": ("Nomor {doc}", "Number of {doc}"),
    "confirm_title": ("Periksa sebelum mengajukan", "Check before filing"),
    "not_covered_warning": (
        "Perhatian: menurut layanan klaim, peserta tidak terlindungi pada tanggal kejadian; "
        "klaim ini kemungkinan ditolak.",
        "Careful: as claims sees it, the participant was not covered on the incident date; "
        "this claim will likely be rejected.",
    ),
    "last_protected_day": ("Hari terlindungi terakhir sebelumnya: {day}.", "Last protected day before it: {day}."),
    "confirm_file": ("Ya, ajukan klaim", "Yes, file the claim"),
    "confirm_help": (
        "Setelah diajukan, keluarga diberi tahu; klaim yang salah dapat ditarik.",
        "Once filed, the family is told; a wrong claim can be withdrawn.",
    ),
    "service_claims": ("klaim", "claims"),
    "service_enrollment": ("kepesertaan", "enrollment"),
    "service_notifications": ("notifikasi", "notifications"),
    "service_down_form_kept": (
        "Layanan {service} sedang tidak menjawab. Isian Anda tetap di halaman ini; "
        "coba lagi setelah layanan {service} kembali.",
        "The {service} service is not answering. What you typed stays on this page; "
        "try again once the {service} service is back.",
    ),
    "search_failed": (
        "Pencarian gagal: layanan {service} tidak menjawab. Coba lagi sebentar lagi.",
        "The search failed: the {service} service is not answering. Try again shortly.",
    ),
    "form_has_errors": ("Periksa isian yang ditandai.", "Check the marked fields."),
    "already_claimed": ("Kejadian ini sudah diklaim: {id}", "This incident is already claimed: {id}"),
    "filed_flash": ("Klaim {id} diajukan.", "Claim {id} filed."),
    "type_JKM": ("JKM — meninggal bukan karena kerja", "JKM — death not caused by work"),
    "type_JKK": ("JKK — kecelakaan kerja", "JKK — work accident"),
    "type_JKK_DEATH": ("JKK — meninggal karena kecelakaan kerja", "JKK — death from a work accident"),
    "short_type_JKM": ("JKM", "JKM"),
    "short_type_JKK": ("JKK", "JKK"),
    "short_type_JKK_DEATH": ("JKK meninggal", "JKK death"),
    "service_detail": ("rincian dari layanan klaim (bahasa Inggris)", "detail from the claims service"),
    "doc_participant_card": ("Kartu peserta", "Participant card"),
    "doc_ktp": ("KTP peserta", "Participant's KTP"),
    "doc_ktp_deceased": ("KTP almarhum/ah", "KTP of the deceased"),
    "doc_ktp_heir": ("KTP ahli waris", "Heir's KTP"),
    "doc_family_card": ("Kartu keluarga (KK)", "Family card (KK)"),
    "doc_death_certificate": ("Akta kematian", "Death certificate"),
    "doc_heir_statement": ("Surat keterangan ahli waris", "Heir statement"),
    "doc_marriage_book": ("Buku nikah", "Marriage book"),
    "doc_accident_chronology": ("Kronologi kecelakaan", "Accident chronology"),
    "doc_witness_ktp_1": ("KTP saksi 1", "Witness 1 KTP"),
    "doc_witness_ktp_2": ("KTP saksi 2", "Witness 2 KTP"),
    "doc_medical_report": ("Laporan medis", "Medical report"),
    "doc_medical_receipts": ("Kuitansi pengobatan", "Medical receipts"),
    "doc_police_report": ("Laporan polisi", "Police report"),
    "doc_bank_account": ("Rekening bank penerima", "Payee's bank account"),
    "doc_npwp": ("NPWP", "NPWP"),
    "err_required": ("Wajib diisi.", "Required."),
    "err_date_invalid": ("Isi tanggal yang sah.", "Give a valid date."),
    "err_incident_date_in_future": ("Tanggal tidak boleh setelah hari ini.", "The date cannot be after today."),
    "err_document_number_invalid": (
        "Nomor dokumen tidak sah (KTP/KK: 16 angka).",
        "The document number is not valid (KTP/KK: 16 digits).",
    ),
    "err_phone_invalid": (
        "Nomor telepon tidak sah (mis. 0813… atau +62813…).",
        "Not a valid phone number (e.g. 0813… or +62813…).",
    ),
    "err_participant_unknown": ("Peserta tidak dikenal.", "Unknown participant."),
    "err_reporter_contact_required": (
        "Laporan organisasi perlu telepon pelapor.",
        "A report by an organisation needs the reporter's phone.",
    ),
    # officers: claim page
    "next_step": ("Langkah berikutnya", "Next step"),
    "next_verification": ("Menunggu pemeriksaan aturan (otomatis).", "Waiting for the rules' check (automatic)."),
    "next_add_documents": ("Lengkapi dokumen yang kurang.", "Add the missing documents."),
    "next_decide": ("Menunggu keputusan supervisor.", "Waiting for a supervisor's decision."),
    "next_payout_recording": ("Pembayaran sedang dicatat (otomatis).", "The payout is being recorded (automatic)."),
    "next_transfer": ("Menunggu transfer bank.", "Waiting for the bank transfer."),
    "next_record_transfer": (
        "Transfer belum berhasil: catat transfer manual dengan referensi bank.",
        "The transfer has not gone through: record a manual transfer with the bank's reference.",
    ),
    "next_none_closed": (
        "Klaim ini sudah ditutup; tidak ada langkah lagi.",
        "This claim is closed; nothing more to do.",
    ),
    "next_none_done": ("Selesai: dana sudah ditransfer.", "Done: the money has been transferred."),
    "add_documents": ("Tambahkan dokumen", "Add documents"),
    "documents_added_flash": (
        "Dokumen klaim {id} ditambahkan; aturan memeriksanya lagi.",
        "Documents added to claim {id}; the rules check it again.",
    ),
    "bank_reference": ("Referensi bank", "Bank reference"),
    "note": ("Catatan", "Note"),
    "record_transfer": ("Catat transfer manual", "Record a manual transfer"),
    "transfer_recorded_flash": ("Transfer manual klaim {id} dicatat.", "Manual transfer of claim {id} recorded."),
    "only_supervisor_transfers": (
        "Hanya supervisor yang mencatat transfer manual.",
        "Only a supervisor records a manual transfer.",
    ),
    "withdraw_claim": ("Tarik klaim", "Withdraw the claim"),
    "withdraw_help": (
        "Untuk klaim yang salah diajukan (orang atau kejadian yang salah). Keluarga tidak diberi tahu "
        "lagi; pesan yang belum terkirim dibatalkan.",
        "For a claim filed in error (the wrong person or incident). The family is told nothing more; "
        "messages not yet sent are cancelled.",
    ),
    "withdraw_reason": ("Alasan menarik", "Reason to withdraw"),
    "withdrawn_flash": ("Klaim {id} ditarik.", "Claim {id} withdrawn."),
    "err_filer_or_supervisor_only": (
        "Hanya petugas yang mengajukan klaim ini, atau supervisor, yang boleh menariknya.",
        "Only the officer who filed this claim, or a supervisor, may withdraw it.",
    ),
    "err_claim_not_withdrawable": (
        "Klaim ini tidak dapat ditarik lagi (pembayaran sudah dicatat atau klaim ditutup).",
        "This claim can no longer be withdrawn (payout recorded or claim closed).",
    ),
    "deadline_stopped": (
        "tenggat berhenti (klaim ditutup atau sudah dibayar)",
        "the deadline has stopped (claim closed or paid)",
    ),
    "stale_panel": (
        "Data di bawah mungkin sudah lama: pembaruan gagal (layanan tidak menjawab). Dicoba lagi otomatis.",
        "What follows may be out of date: the refresh failed (a service is not answering). Retrying by itself.",
    ),
    "delivery_cancelled": ("dibatalkan", "cancelled"),
    "delivery_sending": ("sedang dikirim", "sending"),
    "delivery_unknown": ("belum pasti", "unknown"),
    "claim_title": ("Klaim {id}", "Claim {id}"),
    "timeline": ("Linimasa", "Timeline"),
    "payout": ("Pembayaran", "Payout"),
    "component": ("Komponen", "Component"),
    "payee": ("Penerima", "Payee"),
    "amount": ("Jumlah", "Amount"),
    "total_cash": ("Total tunai", "Cash total"),
    "kind_cash": ("tunai", "cash"),
    "kind_entitlement": ("hak", "entitlement"),
    "family_messages": ("Pesan ke keluarga", "Messages to the family"),
    "heir": ("Ahli waris", "Heir"),
    "channel": ("Saluran", "Channel"),
    "delivery": ("Pengiriman", "Delivery"),
    "delivery_pending": ("menunggu", "pending"),
    "delivery_delivered": ("terkirim", "delivered"),
    "delivery_failed": ("gagal", "failed"),
    "reasons": ("Alasan", "Reasons"),
    "missing_documents": ("Dokumen kurang", "Missing documents"),
    "sla_claims": ("Tenggat (menurut layanan klaim)", "Deadline (as claims counts it)"),
    "disbursement": ("Transfer", "Disbursement"),
    "disbursement_scheduled": ("dijadwalkan", "scheduled"),
    "disbursement_paid": ("sudah ditransfer", "paid"),
    "disbursement_failed": ("gagal", "failed"),
    "no_messages_yet": ("Belum ada pesan.", "No message yet."),
    "filed_by": ("Diajukan oleh", "Filed by"),
    "decision_note": ("Catatan keputusan", "Decision note"),
    "component_lump_sum": ("Santunan sekaligus", "Lump sum"),
    "component_periodic_benefit": ("Santunan berkala", "Periodic benefit"),
    "component_funeral": ("Biaya pemakaman", "Funeral costs"),
    "component_death_benefit": ("Santunan kematian", "Death benefit"),
    "component_scholarship": ("Beasiswa", "Scholarship"),
    "component_temporary_incapacity": ("Upah selama tidak mampu bekerja (STMB)", "Pay while unable to work (STMB)"),
    "component_permanent_disability": ("Santunan cacat tetap", "Permanent disability benefit"),
    "component_transport": ("Biaya transportasi ke rumah sakit", "Transport to hospital"),
    "component_late_charge": ("Denda keterlambatan bayar (1 % per hari)", "Late-payment charge (1 % a day)"),
    "component_reclassification_adjustment": (
        "Selisih setelah jenis klaim diubah",
        "Difference after the claim type was corrected",
    ),
    "guardian": ("Wali", "Guardian"),
    # officers: review
    "review_title": ("Antrean tinjauan", "Review queue"),
    "review_count": ("{shown} dari {waiting} klaim menunggu", "{shown} of {waiting} claims waiting"),
    "your_note": ("Catatan Anda (tidak dikirim)", "Your note (not sent)"),
    "all": ("Semua", "All"),
    "name_or_id": ("Nama atau ID klaim", "Name or claim id"),
    "sampled_only": ("Hanya sampel", "Sampled only"),
    "sort_by": ("Urutkan", "Sort by"),
    "sort_days_left": ("sisa hari", "days left"),
    "sort_filed_at": ("waktu diajukan", "time filed"),
    "sort_participant_name": ("nama peserta", "participant's name"),
    "apply": ("Terapkan", "Apply"),
    "no_deadline_yet": ("tenggat belum berjalan (dokumen belum lengkap)", "no deadline yet (documents incomplete)"),
    "review_empty": ("Tidak ada klaim yang menunggu tinjauan.", "No claim waits for review."),
    "filed_at": ("Diajukan", "Filed"),
    "decision_reason": ("Alasan keputusan", "Reason for the decision"),
    "approve": ("Setujui", "Approve"),
    "reject": ("Tolak", "Reject"),
    "decided_flash": ("Klaim {id}: {status}.", "Claim {id}: {status}."),
    "only_supervisor_decides": ("Hanya supervisor yang memutuskan.", "Only a supervisor decides."),
    "review_sampled_count": (
        "{sampled} dari {waiting} klaim di antrean dirujuk oleh kontrol kecurangan (sampel acak atau nilai besar).",
        "{sampled} of the {waiting} claims waiting were referred by the fraud controls "
        "(random sample or large payout).",
    ),
    "sampled_badge": ("sampel", "sampled"),
    "err_supervisor_only": ("Hanya supervisor yang memutuskan klaim.", "Only a supervisor decides a claim."),
    "err_four_eyes_filer": (
        "Anda yang mengajukan klaim ini; supervisor lain harus memutuskannya.",
        "You filed this claim, so another supervisor must decide it.",
    ),
    "err_four_eyes_documents": (
        "Anda menambahkan dokumen klaim ini; supervisor lain harus memutuskannya.",
        "You added documents to this claim, so another supervisor must decide it.",
    ),
    # officers: participants
    "participants_title": ("Peserta", "Participants"),
    "participants_search_help": (
        "Nama, NIK lengkap, NIK tersamar, atau nomor telepon",
        "A name, a full NIK, a masked NIK, or a phone number",
    ),
    "participants_found": ("{n} peserta ditemukan", "{n} participants found"),
    "name": ("Nama", "Name"),
    "nik": ("NIK", "NIK"),
    "kecamatan": ("Kecamatan", "Kecamatan"),
    "segment": ("Segmen", "Segment"),
    "member_since": ("Peserta sejak", "Member since"),
    "programs": ("Program", "Programmes"),
    "monthly_income": ("Penghasilan bulanan", "Monthly income"),
    "heirs": ("Ahli waris", "Heirs"),
    "relationship": ("Hubungan", "Relationship"),
    "relationship_spouse": ("suami/istri", "spouse"),
    "relationship_child": ("anak", "child"),
    "relationship_parent": ("orang tua", "parent"),
    "relationship_grandchild": ("cucu", "grandchild"),
    "relationship_grandparent": ("kakek/nenek", "grandparent"),
    "relationship_sibling": ("saudara kandung", "sibling"),
    "relationship_parent_in_law": ("mertua", "parent-in-law"),
    "relationship_named_in_will": ("ditunjuk dalam wasiat", "named in a will"),
    "coverage_active": ("aktif", "active"),
    "coverage_grace": ("masa tenggang", "grace"),
    "coverage_lapsed": ("nonaktif", "lapsed"),
    "coverage_not_started": ("belum mulai", "not started"),
    "months_paid": ("Bulan dibayar", "Months paid"),
    "last_paid_period": ("Iuran terakhir", "Last paid month"),
    "active_through": ("Aktif sampai", "Active through"),
    "grace_until": ("Tenggang sampai", "Grace until"),
    "claims": ("Klaim", "Claims"),
}


def translator(lang: str) -> Callable[..., str]:
    index = LANGUAGES.index(lang) if lang in LANGUAGES else 0

    def t(key: str, **values: object) -> str:
        words = TEXT.get(key)
        text = words[index] if words else key
        return text.format(**values) if values else text

    return t


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def rupiah(amount: int | None) -> str:
    """`Rp 42.000.000`: dots group thousands, no decimals (as claims and notifications write it)."""
    if amount is None:
        return "–"
    return format_rupiah(int(amount))


MONTHS = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def day(value: date | str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.day} {MONTHS[language_of(lang)][value.month - 1]} {value.year}"


def instant(value: datetime | str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A moment in Makassar's time: `26 Nov 2026 15:04:05 WITA`."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(MAKASSAR)
    return f"{day(local.date(), lang)} {local:%H:%M:%S} WITA"


def duration(value: timedelta | float | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """`0,4 dtk`, `2 mnt 5 dtk`, `3 j 20 mnt`, `2 h 4 j` (English: s, min, h, d)."""
    if value is None:
        return "–"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    units = {"id": ("dtk", "mnt", "j", "h"), "en": ("s", "min", "h", "d")}[language_of(lang)]
    if seconds < 10:
        text = f"{seconds:.1f}"
        return (text.replace(".", ",") if lang == "id" else text) + f" {units[0]}"
    whole = int(round(seconds))
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} {units[3]} {hours} {units[2]}"
    if hours:
        return f"{hours} {units[2]} {minutes} {units[1]}"
    if minutes:
        return f"{minutes} {units[1]} {secs} {units[0]}"
    return f"{secs} {units[0]}"


def number(value: float | int | None, lang: str = DEFAULT_LANGUAGE, decimals: int = 0) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    if language_of(lang) == "id":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text


# issue 19: the campaign page and the proactive claims' queue (pages/campaign.py)
TEXT.update(
    {
        "nav_campaign": ("Kampanye", "Campaign"),
        "nav_proactive": ("Menunggu keluarga", "Awaiting families"),
        "campaign_title": ("Kampanye perlindungan", "Coverage campaign"),
        "campaign_help": (
            "Pendaftaran terhadap target kota, pekerja mandiri yang bertahan, iuran yang tidak jadi "
            "terputus berkat pengingat, dan klaim yang dibuka sebelum keluarga datang.",
            "Enrolments against the city's target, self-paid workers who stay, lapses prevented by "
            "reminders, and claims opened before the family came.",
        ),
        "campaign_target": ("Target peserta baru", "Target of new participants"),
        "campaign_newly_covered": ("Peserta baru terlindungi", "Newly covered"),
        "campaign_progress": ("Capaian", "Progress"),
        "campaign_retention": (
            "Masih terlindungi {months} bulan setelah bergabung",
            "Still covered {months} months after joining",
        ),
        "campaign_reminded": ("Pekerja diingatkan", "Workers reminded"),
        "campaign_lapses_prevented": ("Putus perlindungan yang dicegah", "Lapses prevented"),
        "campaign_proactive_opened": ("Klaim proaktif dibuka", "Proactive claims opened"),
        "campaign_proactive_paid": ("Klaim proaktif dibayar", "Proactive claims paid"),
        "campaign_by_kecamatan": ("Peserta baru per kecamatan", "Newly covered by kecamatan"),
        "campaign_by_segment": ("Peserta baru per kelompok kerja", "Newly covered by segment"),
        "campaign_retention_chart": (
            "Masih terlindungi (%) setelah 3, 6 dan 12 bulan",
            "Still covered (%) after 3, 6 and 12 months",
        ),
        "campaign_proactive_chart": ("Klaim proaktif", "Proactive claims"),
        "proactive_title": ("Klaim kematian menunggu keluarga", "Death claims awaiting the family"),
        "proactive_help": (
            "Dibuka oleh Jaring saat catatan sipil mencatat kematian peserta yang terlindungi. "
            "Lengkapi klaim yang sama saat keluarga datang.",
            "Opened by Jaring when the civil registry recorded a covered participant's death. Complete "
            "the same claim when the family comes.",
        ),
        "proactive_deceased": ("Almarhum/almarhumah", "Deceased"),
        "proactive_died_on": ("Tanggal meninggal", "Date of death"),
        "proactive_expected": ("Perkiraan santunan", "Expected benefit"),
        "proactive_waiting": ("Hari kerja menunggu", "Working days waiting"),
        "proactive_reminded": ("Diingatkan", "Reminded"),
        "proactive_place": ("Tempat", "Place"),
        "proactive_home_visits": ("Kunjungan rumah oleh kelurahan", "Home visits by the kelurahan"),
        "proactive_counted": (
            "Kematian tercatat: {opened} klaim dibuka, {not_covered} tidak terlindungi.",
            "Deaths reported: {opened} claims opened, {not_covered} not covered.",
        ),
    }
)
