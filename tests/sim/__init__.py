"""Tests of lstmfigs.sim: the simulator."""
