"""Numerical backend seam (expm, propagate, kernel projector, batched linear algebra).

The solvers obtain their numerics through :func:`get_backend` (``backend="numpy"`` by default); a backend
implements the small :class:`Backend` protocol with pure array functions (validation stays at the solvers'
boundary, in NumPy). NumPy/SciPy is the default and the only backend today; another one (e.g. JAX) is one
new module that adds itself to :data:`BACKENDS` — the core never imports it::

    >>> from magbell.backend import available_backends, get_backend
    >>> available_backends()
    ('numpy',)
    >>> get_backend().name
    'numpy'
"""

from __future__ import annotations

from ..errors import InvalidParameterError
from ._numpy import NumpyBackend as NumpyBackend
from ._protocol import Backend as Backend

__all__ = ["Backend", "NumpyBackend", "BACKENDS", "get_backend", "available_backends", "register_backend",
           "record_backend"]

#: the one registry: name → backend object
BACKENDS: dict[str, Backend] = {"numpy": NumpyBackend()}


def get_backend(name: str | Backend = "numpy") -> Backend:
    """The backend registered under ``name`` (a backend object passes through unchanged)."""
    if not isinstance(name, str):
        if isinstance(name, Backend):
            return name
        raise InvalidParameterError(f"backend must be a name ({', '.join(BACKENDS)}) or a Backend, got {name!r}")
    try:
        return BACKENDS[name]
    except KeyError:
        raise InvalidParameterError(
            f"backend={name!r} is not available; available: {', '.join(available_backends())}"
        ) from None


def available_backends() -> tuple[str, ...]:
    """Names of the registered backends."""
    return tuple(BACKENDS)


def register_backend(backend: Backend) -> None:
    """Add ``backend`` to :data:`BACKENDS` under ``backend.name`` (replacing one of the same name)."""
    if not isinstance(backend, Backend) or not isinstance(getattr(backend, "name", None), str):
        raise InvalidParameterError(f"backend must implement magbell.backend.Backend with a str name, got {backend!r}")
    BACKENDS[backend.name] = backend


def record_backend(result, backend: Backend):
    """``result`` with its ``backend`` field set to ``backend.name`` (results are frozen; the default,
    ``"numpy"``, is the class's)."""
    if backend.name != getattr(result, "backend", None):
        object.__setattr__(result, "backend", backend.name)
    return result
