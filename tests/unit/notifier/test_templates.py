"""The e-mails carry no content: the templates take nothing but the login link (and the
address-verification mail its verification link)."""

import jinja2.meta
import pytest

from services.notifier.domain import REASON_TEMPLATES, TEMPLATES, VERIFICATION
from services.notifier.mail import build_message, render, template_env, verify_url
from shared.ids import uuid7


@pytest.mark.parametrize("name", sorted({*TEMPLATES.values(), *REASON_TEMPLATES.values()}))
def test_templates_have_no_slot_for_content_or_names(name):
    env = template_env()
    source = env.loader.get_source(env, name)[0]
    allowed = {"verify_url"} if name == "contact_verification.html" else {"login_url"}
    assert jinja2.meta.find_undeclared_variables(env.parse(source)) == allowed


def test_verification_mail_carries_its_link_escaped_in_html():
    url = verify_url("https://example.org/", "abc-_DEF&x")
    assert url == "https://example.org/settings/verify?token=abc-_DEF%26x"
    mail = render(template_env(), "patient", login_url="https://example.org/",
                  reason=VERIFICATION, verify_url=url)
    assert mail.subject == "Bekräfta din e-postadress i 1177"
    assert url in mail.text and url in mail.html
    assert verify_url("https://example.org", None) is None


def test_unit_mail_renders_in_swedish_with_english_line():
    mail = render(template_env(), "care_unit", login_url="https://example.org/")
    assert mail.subject == "Nytt meddelande i 1177-inkorgen"
    assert "Det finns ett nytt meddelande till er enhet. Logga in för att läsa det." in mail.text
    assert "There is a new message" in mail.text and "https://example.org/" in mail.html


def test_patient_mail_renders():
    mail = render(template_env(), "patient", login_url="https://example.org/?a=1&b=2")
    expected = "Du har fått svar från din vårdenhet. Logga in på 1177 för att läsa det."
    assert expected in mail.text
    assert "https://example.org/?a=1&b=2" in mail.text  # plain text is not HTML-escaped
    assert "a=1&amp;b=2" in mail.html
    assert "{{" not in mail.text + mail.html + mail.subject


def test_message_has_stable_message_id_and_both_parts():
    nid = uuid7()
    mail = render(template_env(), "patient", login_url="https://example.org/")
    message = build_message(mail, notification_id=nid, sender="a@example.org",
                            to="b@example.org")
    assert str(nid) in message["Message-ID"]
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_overdue_mail_renders_without_content():
    mail = render(template_env(), "care_unit", login_url="https://example.org/",
                  reason="messaging.message_overdue.v1")
    assert "inte besvarats inom den svarstid" in mail.text and "answer time" in mail.text
