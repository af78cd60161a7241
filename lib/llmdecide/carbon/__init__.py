"""The one package of llmdecide that talks to codecarbon (pinned to an exact version in pyproject).

One module per job, nothing else:

* ``grid``: grid intensity per ISO-3 country and per cloud region, read from codecarbon's bundled
  data through codecarbon's own emission engine (``grid_intensity_g_per_kwh``,
  ``cloud_region_intensity``);
* ``tracking``: ``track(...)`` runs codecarbon's ``OfflineEmissionsTracker`` with every setting
  passed explicitly and codecarbon's config files and ``CODECARBON_*`` variables ignored;
* ``emissions_log``: ``read_emissions_logs(...)`` sums a client's codecarbon ``emissions.csv`` files;
* ``probe``: ``run_probe(...)`` runs a client command under the tracker, with a timeout.

The pure formulas (operational and embodied kgCO2e) are in ``llmdecide.estimators.carbon``.

codecarbon is imported lazily inside the functions (it takes about a second to import and set up),
and only in this package: an upgrade of codecarbon is these files to review. The codecarbon
internals used are listed in ``docs/carbon.md``.
"""
