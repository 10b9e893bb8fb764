"""Claims' disbursement step: payees' accounts, transfers through the bank, the bank's
notifications, reversals and statement reconciliation (docs/disbursement.md)."""
