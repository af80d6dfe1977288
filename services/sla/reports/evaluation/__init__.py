"""The semester evaluation (Perbup: the complaint service is evaluated every six months).

Built from the performance summary (``services.sla.reports.service.summary``) — the same figures, the same
SQL — for one semester and the one before it: counts, causes by category, per-OPD
performance and satisfaction, SLA breaches and the trend (delta per figure). Only the
rating distribution is counted here, as it is a figure the summary does not carry.

Publishing stores a snapshot of aggregates only in ``published_evaluations`` for
``/statistik``: rahasia cases' category and kecamatan are masked, kecamatan counts below 3
and satisfaction from fewer than 3 ratings are suppressed, exactly as on ``/statistik``.

The concept in the usual shape: ``schemas`` (figures, the publish body), ``repository``
(the rating distribution, published snapshots), ``service`` (semesters, figures, the
public snapshot, publishing), ``rendering`` (HTML, CSV, XLSX), ``endpoints``.
"""
