"""Shared behaviour of result objects."""

from __future__ import annotations


class MeasureAccess:
    """Expose the entries of ``self.measures`` as attributes (``result.concurrence``)."""

    _HOW_TO_ASK = "measures=[...]"

    def __getattr__(self, name):
        m = self.__dict__.get("measures", {})
        if name in m:
            return m[name]
        raise AttributeError(
            f"{type(self).__name__} has no attribute {name!r}; computed measures: {', '.join(m) or 'none'} "
            f"(ask for more with {self._HOW_TO_ASK})"
        )
