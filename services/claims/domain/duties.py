"""Separation of duties: who may decide a claim, and who may change its disbursement.

A claim is decided by a supervisor, never by the person who filed it or added its
documents (four eyes: whoever assembled the file does not also approve the money). A
disbursement's status is the bank's to report (its signed callback); a supervisor may only
record a transfer made by hand, with the bank's reference for it. Officers file and
complete claims; they move no money.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class NotPermitted(Exception):
    """The actor may not do this; `code` is what a program reads, `message` what a person reads."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def check_may_withdraw(role: str, subject: str, filed_by: str) -> None:
    """The officer who filed a claim may take it back, and so may a supervisor; nobody else."""
    if role != SUPERVISOR and subject != filed_by:
        raise NotPermitted(
            "filer_or_supervisor_only", "only the officer who filed this claim, or a supervisor, may withdraw it"
        )


def check_may_decide(role: str, subject: str, filed_by: str, documents_added_by: Collection[str]) -> None:
    """Raises NotPermitted unless `subject` (in `role`) may approve or reject this claim."""
    if role != SUPERVISOR:
        raise NotPermitted("supervisor_only", f"only a supervisor decides a claim; you are signed in as {role}")
    if subject == filed_by:
        raise NotPermitted("four_eyes_filer", "you filed this claim, so another supervisor must decide it")
    if subject in documents_added_by:
        raise NotPermitted(
            "four_eyes_documents", "you added documents to this claim, so another supervisor must decide it"
        )
