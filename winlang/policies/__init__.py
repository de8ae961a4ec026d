"""Contact policies: which planned messages may be sent now.

Pure functions over plain arrays, run after the decisions (customer → rule) and before
delivery, as one ordered tuple of steps (:data:`winlang.policies.steps.STEPS`; see
``docs/policies.md``): holdout, the A/B variant, consent and address with suppressions
(with failover), frequency caps, quiet hours.
"""
