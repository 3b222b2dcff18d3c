"""The texts of outgoing mail: one editable file per kind, `string.Template` placeholders.

A template file starts with a `Subject:` line, then a blank line, then the body:

    Subject: We received your request: $subject

    Hello $requester, ...

The packaged files are in English; each file's whole text is also a msgid of the
gettext catalogues, so `[mail] language` (else the UI's) picks its translation. The
packaged files (`templates/*.txt`) can be overridden one by one by files of the
same name in `[mail] templates_dir`. Placeholders are `$name` or `${name}`, `$$` is a
dollar sign. Substitution is one pass of plain text: what a customer wrote (a subject,
a reply quoted in `$body`) is inserted as it is and never read as a template itself,
and nothing in a template can run code. An unknown placeholder is refused when the
templates are loaded, naming the file, not when a customer's mail is being composed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Template

from ..domain.followup import MailKind
from ..settings import i18n

PACKAGED = Path(__file__).resolve().parent / "templates"

PLACEHOLDERS = frozenset(
    {
        "key",
        "subject",
        "requester",
        "requester_email",
        "status",
        "priority",
        "agent",
        "body",
        "number",
        "close_date",
        "support",
    }
)
"""What every template may use (a value a kind has no use for is empty)."""

MAX_TEMPLATE = 64 * 1024


class TemplateError(ValueError):
    """A template that cannot be used; the message names the file and says why."""


@dataclass(frozen=True, slots=True)
class MailTemplate:
    subject: Template
    body: Template

    def render(self, values: Mapping[str, str]) -> tuple[str, str]:
        """The subject (one line) and the body, with `values` put in."""
        subject = " ".join(self.subject.substitute(values).split())
        return subject, self.body.substitute(values)


class Templates:
    """Every kind's template, checked once when loaded."""

    def __init__(self, override_dir: Path | None = None, language: str = i18n.DEFAULT) -> None:
        catalogue = i18n.translations(language)
        self._by_kind = {
            kind: _load(_source(kind, override_dir), catalogue.gettext) for kind in MailKind
        }

    def __getitem__(self, kind: MailKind) -> MailTemplate:
        return self._by_kind[kind]


def _source(kind: MailKind, override_dir: Path | None) -> Path:
    name = f"{kind.value}.txt"
    if override_dir is not None and (override_dir / name).is_file():
        return override_dir / name
    return PACKAGED / name


def _load(path: Path, translate: Callable[[str], str] = str) -> MailTemplate:
    try:
        if path.stat().st_size > MAX_TEMPLATE:
            raise TemplateError(f"{path}: larger than {MAX_TEMPLATE // 1024} KB")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TemplateError(f"{path}: not UTF-8 text") from None
    text = text.replace("\r\n", "\n")
    if path.parent == PACKAGED:
        # A team's own templates are theirs, in their language: only ours are translated.
        text = translate(text)
    first, _, rest = text.partition("\n")
    label, colon, subject = first.partition(":")
    if label.strip().lower() != "subject" or not colon:
        raise TemplateError(f"{path}: the first line must be 'Subject: ...'")
    if rest[:1] not in ("\n", ""):
        raise TemplateError(f"{path}: a blank line must follow the Subject line")
    template = MailTemplate(Template(subject.strip()), Template(rest[1:]))
    for part, name in ((template.subject, "subject"), (template.body, "body")):
        if not part.is_valid():
            raise TemplateError(f"{path}: the {name} has a stray $ (write $$ for a dollar sign)")
        unknown = sorted(set(part.get_identifiers()) - PLACEHOLDERS)
        if unknown:
            known = ", ".join(f"${n}" for n in sorted(PLACEHOLDERS))
            raise TemplateError(f"{path}: unknown placeholder ${unknown[0]} (known: {known})")
    return template
