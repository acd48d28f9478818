"""The CRM's mail templates, filled from the person's record (name, fund, amounts).

The original's CRM offered four (reference ``google-usage.md`` A5, ``fidus-data-model.md``
§3.3): ``document_request``, ``meeting_followup``, ``welcome`` and ``investment_report``. Their
subjects and content are kept; the wording is ours, and the figures come from the fund store
(the original printed placeholders such as "8-12% annually"). Each template gives a plain-text
body and an HTML body built from escaped values: a name from a record is text, never markup.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..domain.values import to_cents


class Template(enum.StrEnum):
    DOCUMENT_REQUEST = "document_request"
    MEETING_FOLLOWUP = "meeting_followup"
    WELCOME = "welcome"
    INVESTMENT_REPORT = "investment_report"

    @property
    def label(self) -> str:
        return {"document_request": "Document request", "meeting_followup": "Meeting follow-up",
                "welcome": "Welcome", "investment_report": "Investment report"}[self.value]


#: The KYC documents the CRM asks for (reference §3, "Documents").
KYC_DOCUMENTS = ("Government-issued photo ID (passport, driver's licence or national ID)",
                 "Proof of residence (utility bill, bank statement or lease, at most 3 months old)",
                 "Bank statement (recent, from your primary account)",
                 "Source of funds (salary slip, business registration or investment statements)")


@dataclass(frozen=True, slots=True)
class Holding:
    product: str
    principal: Decimal
    start: date | None = None


@dataclass(frozen=True, slots=True)
class DuePayment:
    due: date
    amount: Decimal
    label: str
    product: str = ""


@dataclass(frozen=True, slots=True)
class TemplateContext:
    """What a template may say about the person (built from the record by the caller)."""

    name: str
    fund_name: str
    holdings: Sequence[Holding] = ()
    #: The payment the mail is about (a workflow rule "payment falls due"), else the next one.
    payment: DuePayment | None = None
    sender_name: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def invested(self) -> Decimal:
        return sum((h.principal for h in self.holdings), Decimal(0))

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name


@dataclass(frozen=True, slots=True)
class FilledTemplate:
    template: Template
    subject: str
    text: str
    html: str


def money(amount: Decimal) -> str:
    return f"USD {to_cents(amount):,.2f}"


def _paragraphs(blocks: Sequence[str | tuple[str, Sequence[str]]]) -> tuple[str, str]:
    """Text and HTML of paragraphs; a ``(heading, items)`` pair is a list."""
    text: list[str] = []
    markup: list[str] = []
    for block in blocks:
        if isinstance(block, tuple):
            heading, items = block
            text.append(heading + "\n" + "\n".join(f"- {item}" for item in items))
            markup.append(f"<p>{html.escape(heading)}</p><ul>"
                          + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>")
        else:
            text.append(block)
            markup.append("<p>" + html.escape(block).replace("\n", "<br>") + "</p>")
    return "\n\n".join(text), "<html><body>" + "".join(markup) + "</body></html>"


def _signature(ctx: TemplateContext) -> str:
    who = f"{ctx.sender_name}\n" if ctx.sender_name else ""
    return f"Best regards,\n{who}{ctx.fund_name}"


def fill(template: Template | str, ctx: TemplateContext) -> FilledTemplate:
    template = Template(template)
    name = ctx.name.strip() or "Investor"
    greeting = f"Dear {name},"
    if template is Template.WELCOME:
        subject = f"Welcome to {ctx.fund_name}, {name}!"
        blocks: list[str | tuple[str, Sequence[str]]] = [
            greeting, f"Thank you for choosing {ctx.fund_name}. We are glad to have you with us."]
        if ctx.holdings:
            blocks.append(("Your investments with us:", [f"{h.product}: {money(h.principal)}"
                                                         + (f" from {h.start:%d %B %Y}" if h.start else "")
                                                         for h in ctx.holdings]))
        blocks.append("Our team will be in touch shortly about the next steps; reply to this mail at any time.")
    elif template is Template.DOCUMENT_REQUEST:
        subject = f"Document Request - {name}"
        blocks = [greeting, f"To proceed with your application to {ctx.fund_name}, we need the following "
                  "documents:", ("Required documents:", KYC_DOCUMENTS),
                  "You can reply to this mail with the documents attached, or upload them to the shared "
                  "folder we sent you.", "If you have any questions, do not hesitate to contact us."]
    elif template is Template.MEETING_FOLLOWUP:
        subject = "Follow-up - Investment Consultation"
        blocks = [greeting, f"Thank you for your time during our recent conversation about investing with "
                  f"{ctx.fund_name}.",
                  ("As discussed, the next steps are:", ["Review the investment proposal we will send separately",
                                                          "Complete the account documentation",
                                                          "Schedule a follow-up meeting if you have questions"]),
                  "We are here to help at every step."]
    else:
        subject = f"Your Investment Report - {name}"
        lines = [f"{h.product}: {money(h.principal)}" for h in ctx.holdings] or ["No active investment yet."]
        blocks = [greeting, f"Here is the summary of your investments with {ctx.fund_name}.",
                  ("Investment summary:", [*lines, f"Total invested: {money(ctx.invested)}"])]
        if ctx.payment is not None:
            p = ctx.payment
            blocks.append(f"Your next payment, {p.label}{f' ({p.product})' if p.product else ''}, of "
                          f"{money(p.amount)} is due on {p.due:%d %B %Y}.")
        blocks.append("Let us know if you would like to go through this report together.")
    blocks.append(_signature(ctx))
    text, markup = _paragraphs(blocks)
    return FilledTemplate(template, subject, text, markup)
