"""Small builders for test forms."""

from services.forms.domain.model import FormDefinition, Item, check_definition
from services.forms.library.builder import choice, group, q, text, when  # noqa: F401


def form(*items: Item) -> FormDefinition:
    return check_definition(FormDefinition(title=text(("Test", "Test")), items=items))


def yes_no(link_id: str = "yn", **kw) -> Item:
    return choice(link_id, ("Ja eller nej?", "Yes or no?"),
                  [("yes", "Ja", "Yes"), ("no", "Nej", "No")], **kw)
