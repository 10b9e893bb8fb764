"""The claims domain: pure rules, no I/O, no clock (every date is an argument).

    participant   the read model claims keeps of each participant (from enrollment's events)
    claim         claim types, statuses, the filing and its validation, duplicate fingerprints
    documents     the document checklist per claim type
    reasons       reason codes an officer reads, and which of them reject or refer for review
    verification  the rules that approve, reject or refer a claim for review
    benefits      what a claim pays (PP 44/2015 as amended by PP 82/2019)
    scholarship   the children's scholarship entitlement (PP 82/2019, Permenaker 5/2021)
    payees        which heirs are paid, and how each amount is split between them
    sla           payment deadlines in working days and the 1 % a day owed when late
    decision      status changes: verification, an officer's decision, payout recorded
    sampling      fraud controls: would-be approvals drawn at random, or above a value, go to review
    duties        separation of duties: who may decide a claim or change its disbursement
    dates, money  calendar months and rupiah as a person reads them

Figures that are only *reported* come from services/reported_rules.py; figures read in
a regulation live beside the article they come from.
"""
