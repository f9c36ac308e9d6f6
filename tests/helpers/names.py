"""Figure and theme names as the package lists them, so that a figure or theme added to the
catalog or to ``styles/`` is tested without editing a list here."""

from __future__ import annotations


def figure_names(kind: str | None = None) -> list[str]:
    """The catalog's figure names (``kind``: ``"diagram"`` or ``"data"``; None for all)."""
    import lstmfigs

    return list(lstmfigs.names(kind))


def theme_names() -> list[str]:
    """Every built-in theme's name."""
    from lstmfigs.themes import theme_names as names

    return list(names())
