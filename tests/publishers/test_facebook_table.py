"""Every row of the Graph error table, answered by the Graph API sandbox.

The rows are read from `publishers.facebook.errors.TABLE`, so a new code is tested as
soon as it is added (docs/architecture.md "Facebook"). Each row is the sandbox's
error answer, over real HTTP, to a real publish() on both edges (feed and photos);
codes the sandbox produces by itself (a bad token, a duplicate...) are checked too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.platforms import Outcome, PublishError
from publishers.facebook import errors
from publishers.facebook.graph import GraphError
from sandbox import Fault
from sandbox.fbgraph import (
    invalid_token,
    known_error,
    no_permission_to_post,
    no_permission_to_read,
)
from tests.conftest import PAGE_ID, PAGE_TOKEN
from tests.publishers import harness
from tests.publishers.fb_harness import URL, Harness, article
from tests.publishers.harness import closed_port

# One sandbox and HTTP session for the module (not conftest's one per test); `fb` resets.
sandbox, http = harness.sandbox, harness.http

OTHER_PAGE = "100000000000077"
OTHER_TOKEN = "EAATESTotherPageToken9876543210fedcba"
# Invalidated for good: the sandbox's reset() keeps invalidated tokens.
REVOKED_TOKEN = "EAATESTrevokedPageToken0123456789abcd"
APP_ID = "900000000000009"  # the sandbox's app id, quoted in some token messages
RETRY_AFTER = 120  # seconds: estimated_time_to_regain_access is whole minutes

# Graph: 190 comes with these subcodes (expired, password changed, logged out...).
TOKEN_SUBCODES = (458, 459, 460, 463, 464, 467)
# Real messages where the sandbox only has a generic "(#N) An error occurred".
MESSAGES = {
    3: "(#3) Application does not have the capability to make this API call.",
    10: no_permission_to_read().message,
    100: "(#100) Invalid parameter",
    200: no_permission_to_post().message,
}


@dataclass(frozen=True)
class Case:
    """One error answer for a row: HTTP status, Graph code and subcode, message."""

    row: int
    expected: tuple[Outcome, str]
    status: int
    code: int
    subcode: int | None
    message: str

    @property
    def id(self) -> str:
        shape = f"{self.code}/{self.subcode}" if self.subcode else str(self.code)
        return f"{self.row}-{self.expected[1]}" + ("" if shape == str(self.row) else f"-as-{shape}")

    def fault(self, method: str) -> Fault:
        return Fault(
            kind="status",
            method=method,
            status=self.status,
            code=self.code,
            subcode=self.subcode,
            description=self.message,
        )


def cases_of(row: int, expected: tuple[Outcome, str]) -> list[Case]:
    """How Graph sends a row: its HTTP status and text as the sandbox knows them
    (`known_error`: 500 for codes 1 and 2, else 400), with the subcodes that matter."""
    shapes: list[tuple[int, int | None, str | None]] = [(row, None, MESSAGES.get(row))]
    if row == 190:
        shapes += [(190, s, invalid_token(s, APP_ID).message) for s in TOKEN_SUBCODES]
    if row == errors.LINK_NOT_SCRAPABLE:  # as observed: code 100 with this subcode
        shapes.append((100, row, "Invalid parameter"))
    return [
        Case(row, expected, known_error(code).status, code, sub, text or known_error(code).message)
        for code, sub, text in shapes
    ]


# The table as (outcome, code) pairs by Graph code; the kinds are checked on their own.
TABLE = {code: (rule.outcome, rule.code) for code, rule in errors.TABLE.items()}
CASES = [case for row, expected in sorted(TABLE.items()) for case in cases_of(row, expected)]
# publish() answers this one on the feed edge by posting again, the link in the text.
FALLBACK = "link_not_scrapable"
FALLBACK_CASES = [case for case in CASES if case.expected[1] == FALLBACK]
PUBLISH_CASES = [
    (case, edge)
    for case in CASES
    for edge in ("feed", "photos")
    if not (edge == "feed" and case in FALLBACK_CASES)
]
AMBIGUOUS_ROWS = [r for r, (outcome, _) in sorted(TABLE.items()) if outcome is Outcome.AMBIGUOUS]
RATE_ROWS = [r for r, (_, code) in sorted(TABLE.items()) if code == "rate_limited"]


async def raised(call: Awaitable[Any]) -> PublishError:
    """The PublishError for what a direct Graph client call raised."""
    with pytest.raises(GraphError) as info:
        await call
    return errors.classify(info.value, token=PAGE_TOKEN)


def test_every_row_has_a_case() -> None:
    assert {case.row for case in CASES} == set(errors.TABLE)
    assert AMBIGUOUS_ROWS and RATE_ROWS


@pytest.mark.parametrize(
    ("case", "edge"), PUBLISH_CASES, ids=[f"{case.id}-{edge}" for case, edge in PUBLISH_CASES]
)
async def test_row_through_publish(fb: Harness, case: Case, edge: str) -> None:
    fb.sandbox.facebook.faults.add(case.fault(edge))
    error = await fb.fail(post_type="link" if edge == "feed" else "photo")
    assert (error.outcome, error.code) == case.expected
    assert error.kind is errors.TABLE[case.row].kind
    assert error.message == case.message
    assert PAGE_TOKEN not in str(error)
    assert fb.sandbox.facebook.faults.pending == []  # the fault met the call it was for
    assert fb.sandbox.facebook.posts == []


@pytest.mark.parametrize("case", FALLBACK_CASES, ids=lambda case: case.id)
async def test_unscrapable_link_row_is_classified_and_publish_puts_the_link_in_the_text(
    fb: Harness, case: Case
) -> None:
    publisher = fb.publisher()
    payload = fb.render(article(), publisher.channel)
    fb.sandbox.facebook.faults.add(case.fault("feed"))
    error = await raised(publisher.client.post(f"{PAGE_ID}/feed", payload.call.params))
    assert (error.outcome, error.code, error.message) == (*case.expected, case.message)

    fb.sandbox.facebook.faults.add(case.fault("feed"))
    receipt = await publisher.publish(payload)
    assert fb.sandbox.facebook.faults.pending == []
    [post] = fb.sandbox.facebook.posts
    assert post.link is None
    assert post.message == f"Kaspi & Halyk\n\nБанки отчитались за квартал.\n\n{URL}"
    assert receipt.remote_id == post.id


@pytest.mark.parametrize("row", AMBIGUOUS_ROWS)
async def test_ambiguous_row_after_a_post_was_made_is_found_in_the_feed(
    fb: Harness, row: int
) -> None:
    """Graph codes 1, 2: "ambiguous for a publish (a post may exist: check the feed)"."""
    [case] = cases_of(row, TABLE[row])
    fault = case.fault("feed")
    fault.apply = True
    fb.sandbox.facebook.faults.add(fault)
    publisher = fb.publisher()
    payload = fb.render(article(), publisher.channel)
    with pytest.raises(PublishError) as info:
        await publisher.publish(payload)
    assert (info.value.outcome, info.value.code) == TABLE[row]
    [post] = fb.sandbox.facebook.posts
    found = await publisher.find_existing(payload, since_ms=0)
    assert found is not None
    assert found.remote_id == post.id


@pytest.mark.parametrize("row", AMBIGUOUS_ROWS)
async def test_ambiguous_row_outside_a_publish_is_retry(fb: Harness, row: int) -> None:
    """Graph codes 1, 2: "..., retry otherwise": reading the feed creates nothing."""
    [case] = cases_of(row, TABLE[row])
    fb.sandbox.facebook.faults.add(case.fault("read_feed"))
    publisher = fb.publisher()
    with pytest.raises(PublishError) as info:
        await publisher.find_existing(fb.render(article(), publisher.channel), since_ms=0)
    assert (info.value.outcome, info.value.code) == (Outcome.RETRY, TABLE[row][1])


@pytest.mark.parametrize("row", RATE_ROWS)
async def test_rate_limit_row_waits_for_the_regain_estimate(fb: Harness, row: int) -> None:
    fb.sandbox.facebook.faults.add(Fault(kind="rate_limit", code=row, retry_after=RETRY_AFTER))
    error = await fb.fail()
    assert (error.outcome, error.code, error.retry_after) == (
        Outcome.RETRY,
        "rate_limited",
        RETRY_AFTER,
    )


# -- codes the sandbox answers by itself, without a fault ------------------------------

Scenario = Callable[[Harness], Awaitable[PublishError]]


async def _bad_token(fb: Harness) -> PublishError:
    return await fb.fail(token="EAAwrongTokenNeverToBeLogged")


async def _password_changed(fb: Harness) -> PublishError:
    fb.sandbox.facebook.add_page(OTHER_PAGE, REVOKED_TOKEN)
    fb.sandbox.facebook.invalidate_token(REVOKED_TOKEN, 460)
    return await fb.fail(page_id=OTHER_PAGE, token=REVOKED_TOKEN)


async def _missing_scope(fb: Harness) -> PublishError:
    fb.sandbox.facebook.add_page(OTHER_PAGE, OTHER_TOKEN, scopes=("pages_read_engagement",))
    return await fb.fail(page_id=OTHER_PAGE, token=OTHER_TOKEN)


async def _another_pages_token(fb: Harness) -> PublishError:
    fb.sandbox.facebook.add_page(OTHER_PAGE, OTHER_TOKEN)
    return await fb.fail(page_id=OTHER_PAGE)


async def _unknown_page(fb: Harness) -> PublishError:
    fb.sandbox.facebook.strict_pages = True
    return await fb.fail(page_id=OTHER_PAGE)


async def _posted_twice(fb: Harness) -> PublishError:
    await fb.publish()
    return await fb.fail()


async def _unscrapable_link(fb: Harness) -> PublishError:
    fb.sandbox.facebook.unscrapable_urls.add(URL)
    publisher = fb.publisher()
    payload = fb.render(article(), publisher.channel)
    return await raised(publisher.client.post(f"{PAGE_ID}/feed", payload.call.params))


async def _page_budget_spent(fb: Harness) -> PublishError:
    fb.sandbox.facebook.calls_per_hour = 1
    await fb.publish()
    return await fb.fail(art=article(id="a2", url=URL + "2"))


async def _page_budget_spent_80001(fb: Harness) -> PublishError:
    fb.sandbox.facebook.page_limit_code = 80001
    return await _page_budget_spent(fb)


async def _app_budget_spent(fb: Harness) -> PublishError:
    fb.sandbox.facebook.app_calls_per_hour = 1
    await fb.publish()
    return await fb.fail(art=article(id="a2", url=URL + "2"))


NATURAL: dict[str, tuple[int, Scenario]] = {
    "bad-token": (190, _bad_token),
    "password-changed": (190, _password_changed),
    "missing-scope": (200, _missing_scope),
    "another-pages-token": (200, _another_pages_token),
    "unknown-page": (100, _unknown_page),
    "duplicate": (506, _posted_twice),
    "unscrapable-link": (errors.LINK_NOT_SCRAPABLE, _unscrapable_link),
    "page-limit": (32, _page_budget_spent),
    "page-limit-80001": (80001, _page_budget_spent_80001),
    "app-limit": (4, _app_budget_spent),
}


@pytest.mark.parametrize("name", NATURAL)
async def test_sandbox_answers_the_row_by_itself(fb: Harness, name: str) -> None:
    row, scenario = NATURAL[name]
    if row not in errors.TABLE:
        pytest.fail(f"{row} is no longer a row of errors.TABLE")
    error = await scenario(fb)
    assert (error.outcome, error.code) == TABLE[row]
    assert error.message
    if error.code == "rate_limited":
        assert error.retry_after and error.retry_after > 0


# -- beyond the table: unknown codes, transport ("1, 2, is_transient, 5xx") --


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(kind="status", status=503, code=9999), (Outcome.AMBIGUOUS, "server_error")),
        (
            Fault(kind="status", status=400, code=9999, is_transient=True),
            (Outcome.AMBIGUOUS, "transient"),
        ),
        (Fault(kind="status", status=400, code=9999), (Outcome.PERMANENT, "graph_error")),
        # The code decides, not the flag: a policy block flagged transient stays one.
        (
            Fault(kind="status", status=400, code=368, is_transient=True),
            (Outcome.PERMANENT, "policy_block"),
        ),
    ],
    ids=["5xx-unknown-code", "transient-unknown-code", "4xx-unknown-code", "368-transient"],
)
async def test_codes_outside_the_table(
    fb: Harness, fault: Fault, expected: tuple[Outcome, str]
) -> None:
    fb.sandbox.facebook.faults.add(fault)
    error = await fb.fail()
    assert (error.outcome, error.code) == expected


async def test_connection_refused_is_retry(fb: Harness) -> None:
    error = await fb.fail(graph_url=f"http://127.0.0.1:{closed_port()}")
    assert (error.outcome, error.code) == (Outcome.RETRY, "connect_failed")


@pytest.mark.parametrize("apply", [False, True], ids=["not-posted", "posted"])
async def test_timeout_after_sending_is_ambiguous(fb: Harness, apply: bool) -> None:
    fb.sandbox.facebook.faults.add(Fault(kind="timeout", delay=1.0, apply=apply))
    error = await fb.fail(timeout=0.2)
    assert (error.outcome, error.code) == (Outcome.AMBIGUOUS, "timeout")
    assert len(fb.sandbox.facebook.posts) == int(apply)


@pytest.mark.parametrize("apply", [False, True], ids=["not-posted", "posted"])
async def test_reset_is_ambiguous(fb: Harness, apply: bool) -> None:
    fb.sandbox.facebook.faults.add(Fault(kind="reset", apply=apply))
    error = await fb.fail()
    assert (error.outcome, error.code) == (Outcome.AMBIGUOUS, "network")
    assert PAGE_TOKEN not in str(error)
    assert len(fb.sandbox.facebook.posts) == int(apply)
