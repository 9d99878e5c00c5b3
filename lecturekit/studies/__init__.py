"""One study module per notebook: its frozen config, ``PROFILES``, ``run_*_seed`` functions, typed results, ``rows()``.

The methods themselves live in the application packages (``lecturekit.recsys``, ``lecturekit.hetero``,
``lecturekit.generation``); a study composes them into the experiment a notebook runs.
:mod:`lecturekit.studies.contract` is the run contract every study follows and
:mod:`lecturekit.studies.report` turns a study's comparisons into the tables a notebook shows.
"""
