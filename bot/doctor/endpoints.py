"""The service's own doors and who hears it: the editors' bot (who gets the alerts), its
webhook, the CMS push endpoint and WebSub. Judged from the settings alone.

Telegram delivers webhooks only over https, to ports 443, 80, 88 or 8443 (Bot API
setWebhook, https://core.telegram.org/bots/api#setwebhook).
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from pydantic import SecretStr

from bot.doctor.model import Check, Level
from bot.settings import Settings

WEBHOOK_PORTS = (443, 80, 88, 8443)
MIN_SECRET = 32  # characters of a push secret worth the name


class EditorsView(Protocol):
    """What the doctor reads of the editors' bot's settings (handlers.settings)."""

    @property
    def configured(self) -> bool: ...

    @property
    def editors(self) -> frozenset[int]: ...

    @property
    def editors_chat_id(self) -> int | None: ...

    @property
    def webhook_url(self) -> str | None: ...


def endpoint_checks(settings: Settings, editors: EditorsView | None) -> list[Check]:
    return [_editors(editors), _webhook(settings, editors), _push(settings), _websub(settings)]


def _editors(editors: EditorsView | None) -> Check:
    if editors is None or not editors.configured:
        return Check(
            "editors", Level.WARN, "no editors' bot: nobody is told of failed posts, expiring "
            "tokens or lost rights", "set EDITOR_IDS (and EDITORS_CHAT_ID for the group)",
        )  # fmt: skip
    chat = f", alerts to chat {editors.editors_chat_id}" if editors.editors_chat_id else ""
    count = len(editors.editors)
    text = f"{count} editor{'' if count == 1 else 's'}{chat}"
    return Check("editors", Level.OK, text)


def _webhook(settings: Settings, editors: EditorsView | None) -> Check:
    url = editors.webhook_url if editors is not None and editors.configured else None
    if not url:
        return Check("webhook", Level.OK, "long polling (TELEGRAM_WEBHOOK_URL unset)")
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme != "https" or port not in WEBHOOK_PORTS:
        return Check(
            "webhook", Level.FAIL, f"{url}: Telegram calls only https on ports 443, 80, 88 "
            "or 8443", "put a TLS reverse proxy in front and set TELEGRAM_WEBHOOK_URL to its "
            "https address",
        )  # fmt: skip
    if settings.http_port == 0:
        text = f"{url}, but NEWSBOT_HTTP_PORT is 0 (any free port): the proxy cannot find it"
        return Check("webhook", Level.FAIL, text, "set NEWSBOT_HTTP_PORT to a fixed port")
    served = f"{settings.http_host}:{settings.http_port}{parts.path or '/'}"
    return Check("webhook", Level.OK, f"{url} → served on {served}, secret set")


def _push(settings: Settings) -> Check:
    secret: SecretStr | None = settings.ingest_secret
    where = f"POST /ingest on {settings.http_host}:{settings.http_port}"
    if secret is None or not secret.get_secret_value():
        return Check("push", Level.OK, f"off: {where} answers 401 (NEWSBOT_INGEST_SECRET unset)")
    if len(secret.get_secret_value()) < MIN_SECRET:
        return Check(
            "push", Level.WARN, f"{where}: NEWSBOT_INGEST_SECRET is shorter than {MIN_SECRET} "
            "characters", "use a long random one: openssl rand -hex 32",
        )  # fmt: skip
    return Check("push", Level.OK, f"{where}, signed with NEWSBOT_INGEST_SECRET")


def _websub(settings: Settings) -> Check:
    public = settings.public_url
    if not public:
        return Check("websub", Level.OK, "off (NEWSBOT_PUBLIC_URL unset): feeds are polled")
    callback = f"{public.rstrip('/')}/websub/<feed>"
    if not public.startswith("https://"):
        return Check(
            "websub", Level.WARN, f"callbacks at {callback}: plain http, a hub may refuse it "
            "and the deliveries travel unencrypted", "set NEWSBOT_PUBLIC_URL to an https address",
        )  # fmt: skip
    return Check("websub", Level.OK, f"callbacks at {callback}")
