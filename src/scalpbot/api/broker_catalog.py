"""What each broker of `KNOWN_BROKERS` needs to log in, as published in its API's login docs.

A data table, so the dashboard can build each broker's credential form and say how its login
works without code per broker. Field names are the keys of the `broker` settings section (where
`scalpbot.config` decides which are secrets). "status" says whether this version has an adapter:
the paper broker and Zerodha do; the others are listed so a user can prepare their credentials.

Login kinds: "none" (nothing to log in to), "redirect" (the broker's login page redirects back
with a request token that is exchanged for the day's access token), "totp" (client id, PIN or
password and a TOTP code generated from the stored TOTP secret), "token" (an access token
generated in the broker's web portal is pasted in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scalpbot.config import KNOWN_BROKERS


@dataclass(frozen=True, slots=True)
class CredentialField:
    name: str
    label: str
    required: bool = True


@dataclass(frozen=True, slots=True)
class BrokerEntry:
    name: str
    title: str
    login_kind: str
    status: str
    fields: tuple[CredentialField, ...]
    docs: str

    def view(self, secret_fields: frozenset[str]) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "login_kind": self.login_kind,
            "status": self.status,
            "implemented": self.status == "available",
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "required": f.required,
                    "secret": f.name in secret_fields,
                }
                for f in self.fields
            ],
            "docs": self.docs,
        }


_F = CredentialField

CATALOG: dict[str, BrokerEntry] = {
    entry.name: entry
    for entry in (
        BrokerEntry(
            "paper",
            "Paper trading (simulated fills)",
            "none",
            "available",
            (),
            "No account: orders fill on scalpbot's simulated exchange.",
        ),
        BrokerEntry(
            "zerodha",
            "Zerodha Kite Connect",
            "redirect",
            "available",
            (
                _F("api_key", "API key"),
                _F("api_secret", "API secret"),
                _F("redirect_url", "Redirect URL of the Kite Connect app", required=False),
                _F("access_token", "Access token (set by the daily login)", required=False),
            ),
            "Kite Connect login: the Kite login page redirects with a request_token, which "
            "with the API secret's checksum is exchanged for the day's access_token.",
        ),
        BrokerEntry(
            "kotak",
            "Kotak Securities Neo",
            "totp",
            "planned",
            (
                _F("api_key", "Consumer key"),
                _F("api_secret", "Consumer secret"),
                _F("user_id", "Mobile number or UCC (client code)"),
                _F("password", "MPIN"),
                _F("totp_secret", "TOTP secret"),
            ),
            "Neo API login: consumer key and secret, then the client's TOTP and MPIN.",
        ),
        BrokerEntry(
            "angel",
            "Angel One SmartAPI",
            "totp",
            "planned",
            (
                _F("api_key", "API key (private key of the SmartAPI app)"),
                _F("user_id", "Client code"),
                _F("password", "PIN"),
                _F("totp_secret", "TOTP secret"),
            ),
            "SmartAPI login: client code, PIN and a TOTP give a JWT session and a feed token.",
        ),
        BrokerEntry(
            "upstox",
            "Upstox API v2",
            "redirect",
            "planned",
            (
                _F("api_key", "API key (client id)"),
                _F("api_secret", "API secret"),
                _F("redirect_url", "Redirect URL of the Upstox app"),
                _F("access_token", "Access token (set by the daily login)", required=False),
            ),
            "OAuth login: the authorisation page redirects with a code that is exchanged for "
            "an access token valid until the next morning.",
        ),
        BrokerEntry(
            "icici",
            "ICICI Direct Breeze",
            "redirect",
            "planned",
            (
                _F("api_key", "App key"),
                _F("api_secret", "Secret key"),
                _F("access_token", "Session token (from the daily login)", required=False),
            ),
            "Breeze login: the login page gives an API session token, exchanged with the app "
            "key and secret for the day's session.",
        ),
        BrokerEntry(
            "fyers",
            "FYERS API v3",
            "redirect",
            "planned",
            (
                _F("api_key", "App id (client id)"),
                _F("api_secret", "Secret key"),
                _F("redirect_url", "Redirect URL of the FYERS app"),
                _F("access_token", "Access token (set by the daily login)", required=False),
            ),
            "OAuth login: the login page redirects with an auth code, exchanged with the app "
            "id and secret's hash for the day's access token.",
        ),
        BrokerEntry(
            "dhan",
            "DhanHQ",
            "token",
            "planned",
            (
                _F("user_id", "Client id"),
                _F("access_token", "Access token generated in Dhan's web portal"),
            ),
            "No login flow: an access token generated in Dhan's web portal is sent with the "
            "client id on every request until it expires.",
        ),
    )
}


def supported() -> list[BrokerEntry]:
    """The entries in `KNOWN_BROKERS` order (a test checks that every known broker is here)."""
    return [CATALOG[name] for name in KNOWN_BROKERS if name in CATALOG]
