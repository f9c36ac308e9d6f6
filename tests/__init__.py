"""lstmfigs's test suite: a package, so that every test module, at any depth, imports the
shared helpers as :mod:`tests.helpers` (never from ``conftest``)."""
