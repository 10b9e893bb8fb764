"""The claims domain: pure rules, no I/O, no clock (every date is an argument).

    participant   the read model claims keeps of each participant (from enrollment's events)
    claim         claim types, statuses, the filing and its validation, duplicate fingerprints
    documents     the document checklist per claim type
    reasons       reason codes an officer reads, and which of them reject or refer for review
    verification  the rules that approve, reject or refer a claim for review
    benefits      what a claim pays (PP 44/2015 as amended by PP 82/2019), on the incident date's facts
    scholarship   the children's scholarship entitlement (PP 82/2019, Permenaker 5/2021)
    payees        which heirs are paid, and how each amount is split between them
    payout        who is paid what: payout_lines(claim, participant, on) -> PayoutLine, and what an
                  approval needs (a payee for a death benefit, a wali for a minor)
    heirs         heirs a reviewer names on a death claim, and the guardians of minors
    reclassification  JKM <-> JKK_DEATH corrected, and the difference paid after payout
    sla, holidays payment deadlines in Indonesia's working days and the 1 % a day owed when late
    decision      status changes: verification, an officer's decision, payout recorded
    sampling      fraud controls: would-be approvals drawn at random, or above a value, go to review
    duties        separation of duties: who may decide a claim or change its disbursement
    dates         calendar months

Words that cross the wire (claim types, statuses, reason codes, components, relationships)
are shared.contracts.vocabulary's; rupiah are written by shared.money.

Figures that are only *reported* come from services/reported_rules.py; figures read in
a regulation live beside the article they come from.
"""
