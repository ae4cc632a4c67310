"""Reading server-rendered HTML forms (the login pages) without a browser: the login helper
(devstack/oidc_login.py) and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden and prefilled inputs


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", "")))
        elif tag == "input" and self.forms and "name" in a:
            self.forms[-1].fields[a["name"]] = a.get("value", "")


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form(html: str, action: str, **matching: str) -> Form:
    """The first form posting to `action` whose fields include `matching`."""
    for found in forms(html):
        if found.action == action and all(found.fields.get(k) == v for k, v in matching.items()):
            return found
    raise AssertionError(f"no form to {action} with {matching} in the page")
