"""``python -m lstmfigs``: the same command as ``lstmfigs``."""

from .cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
