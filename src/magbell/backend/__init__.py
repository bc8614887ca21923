"""Numerical backend seam (expm, propagate, kernel projector, batched linear algebra). NumPy/SciPy is the
default; another backend (e.g. JAX) is one new module here, never imported by the core."""
