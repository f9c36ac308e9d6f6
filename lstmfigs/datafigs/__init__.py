"""Data figures: every number comes from :mod:`lstmfigs.sim`.

* :mod:`.scenario` -- the built-in scenario (a small LSTM and a vanilla RNN of the same size
  trained on remember-the-first-symbol at several lags, ten seeds each) and one training run.
* :mod:`.runs` -- a set of trained runs with the record of the machine that made it; the
  built-in figures draw from the set shipped in ``data/`` (``tools/make_scenario_data.py``).
* :mod:`.training` -- ``lstmfigs train``: worker processes, progress, the cache (:mod:`.cache`,
  keyed by this machine's numeric identity, :mod:`.environment`).
* :mod:`.measure` -- the numbers behind each figure (``lstmfigs.data(name)``) and the
  summary statistics the CLI prints; :mod:`.report` -- the README's outcome table.
* :mod:`.plots` -- reusable plotting functions (``ax=``/``fig=``, matplotlib conventions).
* :mod:`.figures` -- the catalog builders; :mod:`.registry` -- their catalog entries.

A user's own weights and inputs come through :mod:`lstmfigs.loader`.  Importing this
package is cheap; matplotlib is imported only by ``plots`` and ``figures``.
"""
