"""The e-mail alert channel: one message per alert over SMTP (plain, STARTTLS or SSL).

aiosmtplib rather than smtplib in a thread: it is cancellable (stopping the session does not
wait for a hung SMTP server to time out), needs no thread pool, and its exceptions carry the SMTP
reply code, which is what decides whether a retry can help (4xx: later; 5xx: never).

The subject is "[scalpbot] <event>"; the body is the alert's text and the session time.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from scalpbot.alerts.delivery import Alert, DeliveryError
from scalpbot.config import EmailSettings

SUBJECT_PREFIX = "[scalpbot]"
MAX_BODY_CHARS = 100_000


def build_message(settings: EmailSettings, alert: Alert) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"{SUBJECT_PREFIX} {alert.event}"
    message["From"] = settings.sender or ""
    message["To"] = ", ".join(settings.recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="scalpbot.local")
    body = alert.text
    if alert.at:
        body += f"\n\nSession time: {alert.at}"
    message.set_content(body + "\n\n-- \nscalpbot\n")
    return message


class EmailSender:
    """Mails alerts to `settings.recipients`.

    `tls_context` replaces the default certificate checks (tests pass one trusting their own
    CA; a server with a private CA can be reached the same way).
    """

    name = "email"
    max_chars = MAX_BODY_CHARS

    def __init__(
        self,
        settings: EmailSettings,
        *,
        tls_context: ssl.SSLContext | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        if not settings.smtp_host or not settings.sender or not settings.recipients:
            raise ValueError("e-mail alerts need smtp_host, sender and recipients")
        self.settings = settings
        self.tls_context = tls_context
        self.timeout_s = timeout_s

    async def send(self, alert: Alert) -> None:
        settings = self.settings
        password = settings.password.get_secret_value() if settings.password else None
        login = bool(settings.username)
        try:
            await aiosmtplib.send(
                build_message(settings, alert),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.username if login else None,
                password=password if login else None,
                use_tls=settings.security == "ssl",
                start_tls=settings.security == "starttls",
                tls_context=self.tls_context,
                timeout=self.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(f"{r.recipient} ({r.code} {r.message})" for r in exc.recipients)
            raise DeliveryError(
                f"SMTP refused the recipients: {refused}", retryable=False
            ) from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(
                f"SMTP login refused ({exc.code} {exc.message}); check alerts.email.username and "
                "the password in secrets.env",
                retryable=False,
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is "try again later"; 5xx is final.
            raise DeliveryError(
                f"SMTP server said {exc.code} {exc.message}", retryable=400 <= exc.code < 500
            ) from None
        except aiosmtplib.SMTPNotSupported as exc:
            raise DeliveryError(f"SMTP server: {exc}", retryable=False) from None
        except ssl.SSLError as exc:
            raise DeliveryError(
                f"TLS with {settings.smtp_host}:{settings.smtp_port} failed: {exc.reason or exc}"
                f" (security: {settings.security})",
                retryable=False,
            ) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            raise DeliveryError(
                f"cannot reach SMTP server {settings.smtp_host}:{settings.smtp_port}: {reason}",
                retryable=True,
            ) from None

    async def aclose(self) -> None:
        """Nothing to close: each message uses its own connection (alerts are rare)."""
