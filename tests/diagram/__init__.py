"""Tests of lstmfigs.diagram: specs and their files."""
