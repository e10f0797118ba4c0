"""What the editors' bot says, in Russian (default) and English (NEWSBOT_LANGUAGE=en).

Values are plain text; handlers escape what comes from articles and users before
putting it into HTML.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from bot.routing import explain

HELP_RU = """<b>Команды</b>
/post URL|ID [канал ...] — опубликовать статью сейчас
/preview URL|ID — что получит каждый канал, с предупреждениями
/status URL|ID — состояние по каналам, попытки, ошибки, ссылки
/queue — что ждёт: одобрения, по расписанию, повторы, на удержании
/retry ID [канал] — повторить неудавшуюся или отменённую публикацию
/cancel ID [канал] — отменить ещё не отправленную
/delete ID [канал] — удалить опубликованное (Telegram — в течение 48 часов)
/retract ID [канал ...] — снять статью (удалить или заменить уведомлением)
/refresh ID — перечитать страницу статьи и исправить посты
/pause, /resume — остановить и возобновить все публикации
/channels — каналы и их здоровье
/stats — итоги за сегодня
/help — эта справка"""

HELP_EN = """<b>Commands</b>
/post URL|ID [channel ...] — post an article now
/preview URL|ID — what each channel would receive, with warnings
/status URL|ID — state per channel, attempts, errors, links
/queue — what is waiting: approval, scheduled, retrying, held
/retry ID [channel] — retry a failed or cancelled delivery
/cancel ID [channel] — cancel one not sent yet
/delete ID [channel] — delete a post (Telegram: within 48 hours)
/retract ID [channel ...] — take an article down (deleted, or replaced by a notice)
/refresh ID — read the article's page again and correct its posts
/pause, /resume — stop and restart every delivery
/channels — the channels and their health
/stats — today's counts
/help — this help"""

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "help": HELP_RU,
        "refused": "Этот бот только для редакторов.",
        "flood": "Слишком много команд: подождите минуту.",
        "usage": "Неверные аргументы: {usage}",
        "error": "Не получилось: {error}",
        "posted": "Статья принята: {title}",
        "already": "Эта статья уже есть: {title}",
        "paused_note": "Публикации на паузе ({who}): ничего не отправляется.",
        "paused": "Публикации на паузе. Приём статей продолжается. /resume — возобновить.",
        "resumed": "Публикации возобновлены.",
        "queue_empty": "Очередь пуста.",
        "applied": "{channel}: {state}",
        "not_applied": "{channel}: не изменено (сейчас {state}) {detail}",
        "approval": "Нужно одобрение для {channel}",
        "approve": "Опубликовать",
        "skip": "Пропустить",
        "edit": "Изменить текст",
        "delay": "Через 1 ч",
        "resend": "Отправить снова",
        "confirm": "Пост уже есть",
        "decided": "{channel}: {state} — решил {who}",
        "already_decided": "{channel}: уже решено (сейчас {state})",
        "send_text": "Пришлите новый текст поста для {channel} одним сообщением.",
        "text_accepted": "Текст для {channel} принят.",
        "stats_empty": "Сегодня статей не было.",
        "refreshed": "Статья изменилась, посты исправляются: {title}",
        "unchanged": "Статья не изменилась: {title}",
        "deleted_post": "(удалён)",
        "correction": "✏️ Исправление для {channel} · <code>{article}</code> ({cause})",
        "apply_edit": "Исправить пост",
        "keep_post": "Оставить как есть",
        "retract_button": "Снять статью",
        "gone_alert": "🗑 Страница статьи недоступна ({why}) · <code>{article}</code> {title}",
        "op_failed_alert": "❌ <b>{channel}</b>: не удалось изменить пост · <code>{article}</code> "
        "{title}: {error}",
        "feed_failing": "⚠️ Лента <b>{feed}</b>: {count} неудачных опросов подряд: {error}",
        "token_expiring": "⏳ <b>{channel}</b>: токен истекает через {days} дн. ({date}): "
        "замените его заранее, иначе публикации остановятся.",
        "token_broken": "🔑 <b>{channel}</b>: токен перестал работать, публикации не пройдут, "
        "пока его не заменят: {detail}",
        "right_lost": "🚫 <b>{channel}</b>: у бота нет нужного права: {detail}",
        "storm": "🚨 {count} оповещений сразу:",
        "and_more": "… и ещё {count}",
        "held_alert": "⏸ <b>{channel}</b>: ответ на публикацию потерян; пост может быть в "
        "канале, а может и не быть. Проверьте и решите · <code>{article}</code> {title}",
        "access_alert": "🔑 <b>{channel}</b>: проблема с токеном или правами ({kind}): {error} · "
        "исправьте токен или права бота, затем /retry {article}",
        "failed_alert": "❌ <b>{channel}</b>: не опубликовано · <code>{article}</code> {title}: "
        "{error}",
        "attempts": "попыток {count}",
        "link": "ссылка",
        "now": "сейчас",
        "due": "срок",
        "on": "вкл",
        "off": "выкл",
        "last_post": "последний пост",
        "approval_short": "одобрение",
        "last_error": "последняя ошибка",
        "paused_for": "пауза {seconds} с",
    },
    "en": {
        "help": HELP_EN,
        "refused": "This bot is for editors only.",
        "flood": "Too many commands: wait a minute.",
        "usage": "Wrong arguments: {usage}",
        "error": "Could not do it: {error}",
        "posted": "Article taken: {title}",
        "already": "This article is already known: {title}",
        "paused_note": "Deliveries are paused ({who}): nothing is being sent.",
        "paused": "Deliveries paused. Articles are still taken in. /resume to restart.",
        "resumed": "Deliveries resumed.",
        "queue_empty": "Nothing is waiting.",
        "applied": "{channel}: {state}",
        "not_applied": "{channel}: unchanged (now {state}) {detail}",
        "approval": "Approval needed for {channel}",
        "approve": "Publish now",
        "skip": "Skip",
        "edit": "Edit text",
        "delay": "Delay 1 h",
        "resend": "Resend",
        "confirm": "It is there",
        "decided": "{channel}: {state} — decided by {who}",
        "already_decided": "{channel}: already decided (now {state})",
        "send_text": "Send the new text of the post for {channel} as one message.",
        "text_accepted": "Text for {channel} accepted.",
        "stats_empty": "No articles today.",
        "refreshed": "The article changed; its posts are being corrected: {title}",
        "unchanged": "The article did not change: {title}",
        "deleted_post": "(deleted)",
        "correction": "✏️ Correction for {channel} · <code>{article}</code> ({cause})",
        "apply_edit": "Correct the post",
        "keep_post": "Keep it",
        "retract_button": "Retract",
        "gone_alert": "🗑 The article's page is gone ({why}) · <code>{article}</code> {title}",
        "op_failed_alert": "❌ <b>{channel}</b>: the post could not be changed · "
        "<code>{article}</code> {title}: {error}",
        "feed_failing": "⚠️ Feed <b>{feed}</b> failed {count} polls in a row: {error}",
        "token_expiring": "⏳ <b>{channel}</b>: the token expires in {days} day(s) ({date}): "
        "replace it before then, or posting stops.",
        "token_broken": "🔑 <b>{channel}</b>: the token stopped working; nothing is posted "
        "until it is replaced: {detail}",
        "right_lost": "🚫 <b>{channel}</b>: a right newsbot needs is missing: {detail}",
        "storm": "🚨 {count} alerts at once:",
        "and_more": "… and {count} more",
        "held_alert": "⏸ <b>{channel}</b>: the answer to a post was lost; it may or may not "
        "be in the channel. Check it and decide · <code>{article}</code> {title}",
        "access_alert": "🔑 <b>{channel}</b>: token or permission problem ({kind}): {error} · "
        "fix the token or the bot's rights, then /retry {article}",
        "failed_alert": "❌ <b>{channel}</b> failed · <code>{article}</code> {title}: {error}",
        "attempts": "attempts {count}",
        "link": "link",
        "now": "now",
        "due": "due",
        "on": "on",
        "off": "off",
        "last_post": "last post",
        "approval_short": "approval",
        "last_error": "last error",
        "paused_for": "paused for {seconds} s",
    },
}

# The core's EditorError in Russian, by key (English is the core's own text).
PROBLEMS_RU = {
    "no_channel": "нет активного канала {channel!r}: используйте один из {names}",
    "not_a_link": "{url!r} — не ссылка и не id статьи: пришлите адрес https://... или id из /queue",
    "unknown_article": "статья {ref!r} неизвестна: пришлите её ссылку или id из /queue",
    "no_delivery": "у статьи {article} нет публикации в {channel!r}: есть {names}",
    "no_post_to_edit": "у статьи {article} нет поста для {channel!r}, чтобы его править",
    "text_refused": "{reason}; пост не изменён",
}

# Why a channel was or was not chosen (bot.routing.REASONS), in Russian.
ROUTES_RU = {
    "every": "берёт все статьи",
    "editor": "по просьбе редактора",
    "matched": "подходит: {filters}",
    "not_feed": "берёт только ленты {feeds}",
    "not_language": "статья на языке {language}, канал берёт {wanted}",
    "not_section": "рубрики {section!r} нет среди его рубрик",
    "not_tags": "нет ни одного из его тегов tags_any",
    "not_keywords": "в тексте нет его слов keywords_any",
    "keywords_none": "в тексте есть {word!r} из его keywords_none",
}
# Why a planned delivery waits (bot.timing).
WAITS = {
    "ru": {
        "embargo": "эмбарго",
        "delay": "задержка",
        "quiet": "тихие часы",
        "spacing": "интервал между постами",
    },
    "en": {
        "embargo": "embargo",
        "delay": "delay",
        "quiet": "quiet hours",
        "spacing": "spacing between posts",
    },
}

USAGE = {
    "post": "/post URL|ID [channel ...]",
    "preview": "/preview URL|ID",
    "status": "/status URL|ID",
    "retry": "/retry ID [channel]",
    "cancel": "/cancel ID [channel]",
    "delete": "/delete ID [channel]",
    "retract": "/retract ID [channel ...]",
    "refresh": "/refresh ID",
}


class Texts:
    def __init__(self, language: str) -> None:
        self.language = language if language in TEXTS else "ru"
        self.table = TEXTS[self.language]
        self.problems = PROBLEMS_RU if language == "ru" else {}

    def __call__(self, key: str, **values: Any) -> str:
        return self.table[key].format(**values)

    def route(self, code: str, values: dict[str, str]) -> str:
        """Why a channel was or was not chosen, in the editors' language."""
        if self.language == "ru" and code in ROUTES_RU:
            return ROUTES_RU[code].format_map(defaultdict(str, values))
        return explain(code, values)

    def wait(self, code: str) -> str:
        return WAITS.get(self.language, WAITS["en"]).get(code, code)

    def problem(self, exc: Exception) -> str:
        """Why a request failed, in the editors' language when the core gave a key
        (a platform's or a page's own words stay as they were)."""
        key = getattr(exc, "key", None)
        template = self.problems.get(key) if isinstance(key, str) else None
        values = getattr(exc, "values", {})
        return template.format(**values) if template else str(exc)
