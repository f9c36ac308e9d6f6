"""Data figures: every number comes from :mod:`lstmfigs.sim`.

* :mod:`.scenario` -- the built-in, deterministic scenario (a small LSTM and a vanilla RNN
  of the same size trained on remember-the-first-symbol at several lags and seeds), with an
  on-disk cache of the trained weights (:mod:`.cache`).
* :mod:`.measure` -- the numbers behind each figure (``lstmfigs.data(name)``) and the
  summary statistics the CLI prints.
* :mod:`.plots` -- reusable plotting functions (``ax=``/``fig=``, matplotlib conventions).
* :mod:`.figures` -- the catalog builders; :mod:`.registry` -- their catalog entries.

Importing this package is cheap; matplotlib is imported only by ``plots`` and ``figures``.
"""
