"""Reports: the run summary (``summary``); the funnel, reactivation and lift of a campaign
(``funnel``)."""
