"""Statuses and reason codes of the contact policies.

Every planned customer ends with one :class:`Status`; a customer who is not sent to carries
the :class:`Reason` of the first policy that stopped it. The order the policies run in is
:data:`winlang.policies.steps.STEPS`, and the reasons in that order
:data:`winlang.policies.steps.ORDER`.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """What happens to one planned customer in this run."""

    SEND = "send"  # planned: the delivery loop writes the ledger row and calls the channel
    HELD_OUT = "held_out"  # the control group: never messaged, recorded for the lift report
    SKIPPED = "skipped"  # not messaged in this run, for the reason given
    DEFERRED = "deferred"  # quiet hours: planned again by the first run after the window


class Reason(StrEnum):
    """Why a customer is not sent to (``""`` for those who are)."""

    # Not a policy's: a rule that fired before (its `repeat every` not run out) does not
    # match, so its customer goes on to the next rule; `preview` and campaign tests name it.
    ALREADY_FIRED = "already_fired"
    HOLDOUT = "holdout"  # in the campaign's stable holdout share
    NO_CONSENT = "no_consent"  # consent field for the channel is not a yes (true, or 1)
    NO_ADDRESS = "no_address"  # address field for the channel is null or blank
    BAD_ADDRESS = "bad_address"  # present, but not one valid address for the channel's kind
    UNSUBSCRIBED = "unsubscribed"  # suppressed for the channel or for all channels
    CAP = "cap"  # the campaign's `cap N per D` is reached
    GLOBAL_CAP = "global_cap"  # the config's `limits.global_cap` across campaigns is reached
    QUIET_HOURS = "quiet_hours"  # inside quiet hours in the customer's zone: deferred


# Not a policy: decided when the message is rendered, after the policies. Every usable step
# of the chain renders to an SMS over `[limits] sms_max_parts` parts, so nothing is sent.
TOO_LONG = "too_long"
# Not a policy either: a firing deferred by an earlier run is dropped because the customer no
# longer matches its rule (they bought again, say) when a later run looks at it again.
NO_LONGER_MATCHES = "no_longer_matches"

# The reasons a channel of a send chain can be unusable for, most serious first.
CONTACT_REASONS: tuple[Reason, ...] = (
    Reason.NO_CONSENT,
    Reason.NO_ADDRESS,
    Reason.BAD_ADDRESS,
    Reason.UNSUBSCRIBED,
)
