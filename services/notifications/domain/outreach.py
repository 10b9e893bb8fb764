"""Messages Jaring sends before the family asks (issue 19): a death the civil registry reported
opens a claim, and the heirs read who died, that they are entitled, the expected amount, what
to bring and where; a reminder if they have not come. Pure, like messages.py: the templates are
the catalogue's (templates.py), so WhatsApp, SMS and email read the same words."""

from __future__ import annotations

from collections.abc import Sequence

from services.notifications.domain.messages import RenderedMessage, document_words
from services.notifications.domain.money import format_rupiah
from services.notifications.domain.templates import CATALOGUE, one_line, whatsapp_language

PROACTIVE_CLAIM_OPENED = "ProactiveClaimOpened"
PROACTIVE_CLAIM_REMINDER = "ProactiveClaimReminderDue"
TEMPLATE_FOR = {PROACTIVE_CLAIM_OPENED: "jaring_proactive_claim_opened",
                PROACTIVE_CLAIM_REMINDER: "jaring_proactive_claim_reminder"}


def render_proactive(kind: str, *, participant_name: str, claim_id: str, expected_amount: int,
                     documents: Sequence[str], office: str, lang: str) -> RenderedMessage:
    lang = lang if lang in ("id", "en") else "id"
    template = CATALOGUE[TEMPLATE_FOR[kind]]
    values = {"name": participant_name, "office": office, "claim_id": claim_id,
              "amount": format_rupiah(expected_amount),
              "documents": "\n".join(f"- {document_words(d, lang)}" for d in documents)}
    subject = template.subject[lang].format(name=participant_name)
    return RenderedMessage(subject, template.fill(lang, values), template.name, whatsapp_language(lang),
                           tuple(one_line(values[p]) for p in template.params))
