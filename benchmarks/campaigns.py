"""The campaigns every system of the benchmarks evaluates, and the clock they run at.

- ``ladder``: the 30/60/90-day SMS ladder of language.md §2, as ``winlang demo`` ships it;
- ``mixed``: ten rules mixing attribute, text, time and event conditions (every kind of
  condition the language has: comparisons, sets, nulls, booleans, text tests, days since,
  ``before ... ago``, anniversaries, event existence, counts and sums);
- ``winback`` (dry runs only): one rule, ``days_since(last_purchase_at) > 90 and not opened
  email within 30 days`` (an anti-join on the events), about 40% of the customers matched:
  a dry run of it is mostly the contact fields of the matched customers.

The hand-written peers in :mod:`benchmarks.peers` implement exactly these rules; the
benchmarks check that every peer reaches the same decisions as winlang before timing it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)  # winlang.demo.DEFAULT_NOW: the data's clock
NOW_TEXT = "2026-11-22T10:00:00Z"

LADDER = (resources.files("winlang.demo") / "ladder.win").read_text(encoding="utf-8")

MIXED = """\
campaign "mixed-ten"
  audience country in ("KR", "RO", "US", "ES") and lifetime_value >= 10

template note     sms "Hi {first_name|there}, we have something for you"
template mail     email subject "Hi {first_name|there}" body "We have something for you"
template nudge    push "Something new for you"

rule gold_lapsed:  when tier = "gold" and days_since(last_purchase_at) between 30 and 90
                   then send email mail
rule seoul_quiet:  when lower(city) = "seoul" and not opened email within 30 days
                   then send push nudge
rule org_regulars: when email ends with "@example.org" and orders >= 3
                   then send email mail
rule frequent:     when count(purchase within 365 days) >= 2 and lifetime_value > 500
                   then send sms note
rule cart:         when did "cart_add" within 7 days and not purchased within 7 days
                   then send push nudge else send sms note
rule away:         when last_visit_at before 180 days ago and consent_email
                   then send email mail
rule a_names:      when first_name starts with "A" and days_since(signup_at) > 365
                   then send sms note
rule spenders:     when sum(purchase.amount within 365 days) > 300 and tier in ("silver", "bronze")
                   then send email mail
rule birthday:     when birthday is today then send sms note
rule sms_lapsed:   when phone is not null and consent_sms and days_since(last_purchase_at) > 180
                   then send sms note
"""

# A one-liner with an event condition (an anti-join on the events), matching about half of the
# customers: the dry run's cost is then mostly the contact fields of the matched ones.
WINBACK = """\
campaign "winback"
template winback email subject "We miss you, {first_name|friend}" body "10% off your next order."
rule winback: when days_since(last_purchase_at) > 90 and not opened email within 30 days
              then send email winback
"""

CAMPAIGNS = {"ladder": LADDER, "mixed": MIXED}  # evaluated by every peer
FILES = {**CAMPAIGNS, "winback": WINBACK}  # the campaign files of each project folder

# The event types beyond the standard ones that `mixed` names (winlang.toml [events] types).
EXTRA_EVENT_TYPES = ("cart_add",)
