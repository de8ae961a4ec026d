"""One run of a checked campaign, as its summary: ``winlang run``, ``winlang schedule`` and
the dashboard's dry runs all call :func:`execute`, so they can't disagree."""

from __future__ import annotations

from .evaluate import evaluate_campaign
from .report.summary import summary


class Quiet:
    """No progress shown: a scheduler's log or a web page is no terminal line."""

    def evaluated(self, customers: int) -> None:
        pass

    def __call__(self, stage: str, done: int, total: int) -> None:
        pass

    def close(self) -> None:
        pass


def ledger(project):
    """The engine's view of the state database, read-only; None before any run."""
    state = project.saved_state()
    return state.view() if state is not None else None


def execute(
    project,
    checked,
    now,
    dry_run: bool = False,
    only_deferred: bool = False,
    engine: str = "auto",
    batch_size: int | None = None,
    skip: tuple[str, ...] = (),
    progress=None,
) -> dict:
    """One run of a checked campaign (a dry run, or delivery), as its summary; shared by
    `winlang run`, `winlang schedule` and the dashboard's dry runs. ``progress``: told of
    each stage (the command line's progress bar); none by default."""
    progress = progress or Quiet()
    if not dry_run:
        project.state()  # created or migrated before anything reads it
    from .deliver.run import run_columns

    source = project.store()
    evaluation = evaluate_campaign(
        checked,
        source,
        now,
        engine,
        state=ledger(project),
        skip=skip,
        batch_size=batch_size,
        # read with the decisions: the columns the policies and the messages read
        carry=lambda delivery: run_columns(checked, source, project.config, delivery),
    )
    progress.evaluated(evaluation.decisions.audience)
    if dry_run:
        from .deliver.run import preview_campaign

        state = project.saved_state()
        outcome, preview = preview_campaign(checked, evaluation, source, project.config, state)
        return summary(evaluation, True, outcome, preview=preview)
    from .deliver.run import deliver_campaign

    delivery = deliver_campaign(
        checked,
        evaluation,
        source,
        project.config,
        project.state(),
        project.config.delivery,
        progress,
        only_deferred,
    )
    return summary(delivery.evaluation, False, delivery.outcome, delivery)
