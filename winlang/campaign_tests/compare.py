"""Compare what each customer got in one step with what the test file expects, and say why
they differ in words a campaign's author can act on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..check import CheckedCampaign
from .spec import Expectation, Step, TestFile
from .times import show


@dataclass(frozen=True)
class Observed:
    """What one customer got in one run: a result (see ``spec.RESULTS``), the rule, the end
    of quiet hours for a deferred customer, and the message as the outbox received it."""

    result: str
    rule: str | None
    until: datetime | None  # naive UTC
    message: dict
    error: str | None = None

    def summary(self) -> dict[str, object]:
        found: dict[str, object] = {"result": self.result}
        if self.rule:
            found["rule"] = self.rule
        if self.until:
            found["until"] = show(self.until.replace(tzinfo=UTC))
        for key in ("channel", "template", "to", "subject", "text", "body", "parts", "variant"):
            if self.message.get(key) is not None:
                found[key] = self.message[key]
        if self.error:
            found["error"] = self.error
        return found


NOTHING = Observed("nothing", None, None, {})


@dataclass(frozen=True)
class Failure:
    """An expectation a run did not meet, at its line of the test file."""

    file: str
    line: int
    step: int
    at: datetime
    customer: object
    message: str
    expected: dict[str, object]
    actual: dict[str, object]
    hint: str | None = None
    engines: tuple[str, ...] = field(default=())

    @property
    def identity(self) -> tuple:
        return (self.line, self.step, str(self.customer), self.message, repr(self.actual))

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "step": self.step,
            "at": show(self.at),
            "customer": self.customer,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "hint": self.hint,
            "engines": list(self.engines),
        }


def compare_step(
    test: TestFile,
    step: Step,
    observed: dict[str, Observed],
    checked: CheckedCampaign,
    engine: str,
) -> tuple[list[Failure], int]:
    """The failures of one step on one engine, and how many comparisons were made."""
    failures: list[Failure] = []
    named: set[str] = set()
    checks = 0

    def fail(
        line: int, customer, message: str, expected: dict, got: Observed, hint: str | None
    ) -> None:
        failures.append(
            Failure(
                test.display,
                line,
                step.number,
                step.at,
                customer,
                message,
                expected,
                got.summary(),
                hint,
                (engine,),
            )
        )

    for expect in step.expect:
        for customer in expect.customers:
            named.add(str(customer))
            checks += 1
            got = observed.get(str(customer), NOTHING)
            wrong = mismatches(expect, got)
            if wrong:
                expected = {k: _shown(v) for k, v in wrong.items()}
                message = f"customer {customer}: " + "; ".join(
                    f"expected {k} {_said(v)}, got {_said(_actual(got, k))}"
                    for k, v in wrong.items()
                )
                fail(
                    expect.line,
                    customer,
                    message,
                    expected,
                    got,
                    hint(expect, got, checked, customer),
                )
    if step.strict:
        for customer in test.customers:
            key = str(customer.id)
            got = observed.get(key, NOTHING)
            if key in named:
                continue
            checks += 1
            if got.result != "nothing":
                fail(
                    step.line,
                    customer.id,
                    f"customer {customer.id} got {_said(got.result)}"
                    f"{f' from rule `{got.rule}`' if got.rule else ''}, "
                    f"but step {step.number} does not expect anything for them",
                    {"result": "nothing"},
                    got,
                    f'add {{ customer = {_toml(customer.id)}, result = "{got.result}"'
                    f"{f', rule = {_toml(got.rule)}' if got.rule else ''} }} to the step's "
                    'expect, or others = "any" to leave customers it does not name unchecked',
                )
    return failures, checks


def mismatches(expect: Expectation, got: Observed) -> dict[str, object]:
    """The expected values that differ from what the customer got, by key."""
    wrong: dict[str, object] = {}
    if expect.result is not None and expect.result != got.result:
        wrong["result"] = expect.result
    if expect.rule is not None and expect.rule != got.rule:
        wrong["rule"] = expect.rule
    if expect.until is not None:
        until = got.until.replace(tzinfo=UTC) if got.until else None
        if until != expect.until:
            wrong["until"] = expect.until
    if wrong.get("result"):
        return wrong  # the message can't be compared with a result that differs
    message = got.message
    for key, value in expect.message.items():
        if key == "contains":
            texts = " ".join(str(message.get(k) or "") for k in ("subject", "text", "body"))
            missing = tuple(v for v in value if v not in texts)
            if missing:
                wrong["contains"] = missing if len(missing) > 1 else missing[0]
        elif key == "text":
            if value != (
                message.get("text") if message.get("text") is not None else message.get("body")
            ):
                wrong["text"] = value
        elif message.get(key) != value:
            wrong[key] = value
    return wrong


def _actual(got: Observed, key: str) -> object:
    if key in ("result", "rule"):
        return getattr(got, key)
    if key == "until":
        return got.until.replace(tzinfo=UTC) if got.until else None
    if key == "contains":
        return got.message.get("text") or got.message.get("body")
    if key == "text":
        return got.message.get("text", got.message.get("body"))
    return got.message.get(key)


def _shown(value: object) -> object:
    return show(value) if isinstance(value, datetime) else value


def _said(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, datetime):
        return show(value)
    if isinstance(value, tuple):
        return ", ".join(_said(v) for v in value)
    return f'"{value}"' if isinstance(value, str) else str(value)


def _toml(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def hint(expect: Expectation, got: Observed, checked: CheckedCampaign, customer) -> str | None:
    """What usually explains the difference."""
    campaign = checked.campaign
    if got.result == "held_out":
        percent = campaign.setting("holdout")
        share = f"{float(percent.value):g}% " if percent is not None else ""
        return (
            f"customer {customer} is in the campaign's stable {share}holdout: test with "
            'another id, or expect result = "held_out"'
        )
    if got.result == "nothing" and expect.result not in (None, "nothing"):
        rule = f"`{expect.rule}`" if expect.rule else "any rule"
        return (
            f"no rule fired for customer {customer}: check their fields and events against "
            f"the conditions of {rule} and the audience at this step's clock"
        )
    if got.result in ("no_consent", "no_address", "bad_address"):
        return (
            f"the customer's consent or address for the rule's channel stops it "
            f"({got.result}); the rule's `else send` is used only when it can reach them"
        )
    if got.result == "unsubscribed":
        return "the customer is unsubscribed from the channel (an event, or a rule's action)"
    if got.result in ("cap", "global_cap"):
        cap = campaign.setting("cap")
        said = f" ({cap.value.count:g} per {cap.value.per})" if cap is not None else ""
        return f"the frequency cap{said} is reached; move the step later with `after`"
    if got.result == "too_long":
        return (
            "every usable channel's message renders longer than [limits] sms_max_parts "
            "SMS parts: shorten the template or the values that go into it"
        )
    if got.result == "no_longer_matches":
        return "the message deferred by quiet hours was dropped: the rule no longer matches"
    if got.result == "deferred":
        return "the step's clock is in the customer's quiet hours (their own time zone)"
    if expect.rule is not None and got.rule is not None and expect.rule != got.rule:
        return (
            "rules are tried in file order and each customer gets the first that "
            "matches; a rule already fired for a customer does not fire again"
        )
    if "text" in expect.message or "contains" in expect.message:
        return "the text is compared as the outbox received it, placeholders and link filled in"
    return None
