"""Tests of lstmfigs.figures: the built-in diagrams and their variants."""
