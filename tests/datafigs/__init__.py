"""Tests of lstmfigs.datafigs: the data figures, their runs, cache and training."""
