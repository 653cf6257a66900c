"""E-mail alerts against a real SMTP server on 127.0.0.1 (aiosmtpd): plain, STARTTLS with
login, implicit SSL, and the failures that must not be retried (untrusted certificate, wrong
password) against the one that must (nobody listening)."""

from __future__ import annotations

import asyncio
import ssl

import pytest
from pydantic import SecretStr

from alerts_support import (
    SMTP_PASSWORD,
    SMTP_USER,
    alerts_settings,
    certificates,
    free_port,
    smtp_server,
)
from scalpbot.alerts import Alert, DeliveryError, EmailSender

ALERT = Alert(
    "stop_hit", "🛑 Stop-loss hit NSE:SBIN @ 812.35 (entry S1X4)", "2025-06-02 11:02:00 IST"
)


def send(sender: EmailSender, alert: Alert = ALERT) -> None:
    asyncio.run(sender.send(alert))


def test_plain_smtp_delivers_subject_and_body() -> None:
    with smtp_server() as (smtp, port):
        settings = alerts_settings(smtp_port=port, security="none").email
        send(EmailSender(settings))
        (mail,) = smtp.mails
    assert mail.subject == "[scalpbot] stop_hit"
    assert mail.message["From"] == "bot@example.com"
    assert mail.recipients == ["trader@example.com", "partner@example.com"]
    assert mail.body.startswith("🛑 Stop-loss hit NSE:SBIN @ 812.35 (entry S1X4)\n")
    assert "Session time: 2025-06-02 11:02:00 IST" in mail.body


def test_starttls_with_login() -> None:
    certs = certificates()
    with smtp_server(security="starttls", certs=certs, login=True) as (smtp, port):
        settings = alerts_settings(smtp_port=port, security="starttls", login=True).email
        assert settings.username == SMTP_USER
        assert settings.password is not None
        assert settings.password.get_secret_value() == SMTP_PASSWORD
        send(EmailSender(settings, tls_context=certs.client))
        assert smtp.subjects() == ["[scalpbot] stop_hit"]


def test_implicit_ssl() -> None:
    certs = certificates()
    with smtp_server(security="ssl", certs=certs) as (smtp, port):
        settings = alerts_settings(smtp_port=port, security="ssl").email
        send(EmailSender(settings, tls_context=certs.client))
        assert smtp.subjects() == ["[scalpbot] stop_hit"]


def test_an_untrusted_certificate_fails_without_retry() -> None:
    certs = certificates()
    stranger = ssl.create_default_context()  # the system CAs: not the test CA
    with smtp_server(security="starttls", certs=certs) as (smtp, port):
        settings = alerts_settings(smtp_port=port, security="starttls").email
        with pytest.raises(DeliveryError) as caught:
            send(EmailSender(settings, tls_context=stranger))
        assert not smtp.mails
    assert caught.value.retryable is False
    assert "TLS with 127.0.0.1" in str(caught.value)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)


def test_a_wrong_password_fails_without_retry_and_names_the_setting() -> None:
    certs = certificates()
    with smtp_server(security="starttls", certs=certs, login=True) as (smtp, port):
        settings = alerts_settings(smtp_port=port, security="starttls", login=True).email
        settings = settings.model_copy(update={"password": SecretStr("nope")})
        with pytest.raises(DeliveryError) as caught:
            send(EmailSender(settings, tls_context=certs.client))
        assert not smtp.mails
    assert caught.value.retryable is False
    assert "login refused (535" in str(caught.value)
    assert "nope" not in str(caught.value)


def test_nobody_listening_is_worth_retrying() -> None:
    settings = alerts_settings(smtp_port=free_port()).email
    with pytest.raises(DeliveryError) as caught:
        send(EmailSender(settings, timeout_s=5))
    assert caught.value.retryable is True
    assert "cannot reach SMTP server 127.0.0.1" in str(caught.value)
