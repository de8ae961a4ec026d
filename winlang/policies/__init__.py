"""Contact policies: which planned messages may be sent now.

Pure functions over plain arrays, run after the decisions (customer → rule) and before
delivery, in one documented order (:data:`winlang.policies.reasons.ORDER`; see
``docs/policies.md``): already fired, holdout, consent and address (with failover),
suppressions, frequency caps, quiet hours, then the A/B variant.
"""
