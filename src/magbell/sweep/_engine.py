"""The sweep as data: :class:`Spec` (what to compute), :class:`Kernel` (how one chunk is computed, the
part every worker needs once) and :class:`Plan` (one chunk). ``Kernel.compute(plan)`` is the whole
per-chunk job and is the same function in-process and on a dask worker, so both give the same numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import socket
import time
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameterError
from ..system._model import Model
from ._grid import Grid, Layout
from ._params import check_names, prepare_block
from ._tasks import EXTRA_COORDS, Function, _Task

__all__ = ["Spec", "Kernel", "Plan", "ChunkResult", "make_plan", "STATUS", "STATUS_CODES", "FIXED_REASONS", "CHUNK_BYTES"]

#: status codes of a grid point (0 is the fill value of a store: a chunk not computed yet)
STATUS = ("not_computed", "ok", "invalid_parameters", "not_unique", "failed")
STATUS_CODES = {name: k for k, name in enumerate(STATUS)}
#: reason table entries that exist in every sweep (the rest come from the parameter check)
FIXED_REASONS = (
    "",
    "the stationary state is not unique (dark states or conserved quantities), so the t -> infinity limit "
    "depends on the initial state: give an initial state",
    "the computation raised an error at this point (see the sweep's 'failures' attribute)",
)
_MAX_FAILURES = 20
#: default memory budget of one chunk (bytes)
CHUNK_BYTES = 64 * 2**20
#: largest default chunk (points), so that progress and resumption stay fine-grained
MAX_CHUNK_POINTS = 2**16
#: default chunks aim at this many chunks per sweep (for parallel workers), but hold at least MIN_CHUNK_POINTS
TARGET_CHUNKS = 16
MIN_CHUNK_POINTS = 1024


def _scalar(name: str, value):
    v = np.asarray(value)
    if v.ndim != 0 or v.dtype.kind not in "iufc" or not np.isfinite(v):  # a bool is no value (True was a = 1)
        raise InvalidParameterError(f"fixed parameter {name} must be one finite number, got {value!r}")
    if v.dtype.kind == "c":
        if name not in ("A", "A_tilde", "D_deph"):
            if v.imag != 0:
                raise InvalidParameterError(f"fixed parameter {name} must be real, got {value!r}")
            return float(v.real)
        return complex(v) if v.imag != 0 else float(v.real)
    return float(v)


@dataclass(frozen=True, eq=False)
class Spec:
    """A validated sweep: task, grid, fixed parameters and the rate unit used in attributes."""

    task: _Task
    grid: Grid
    fixed: dict
    unit: str
    medium: object = None

    def __post_init__(self):
        if not isinstance(self.grid, Grid):
            raise InvalidParameterError(f"grid must be a magbell.sweep.Grid, got {type(self.grid).__name__}")
        fixed = {k: _scalar(k, v) for k, v in dict(self.fixed or {}).items()}
        task = self.task
        native = task.native_axes
        loop = task.loop_fields
        both = sorted(set(fixed) & set(self.grid.params))
        if both:
            raise InvalidParameterError(f"{both} given both as grid axes and as fixed parameters")
        changes = {}
        for ax in self.grid.axes:
            kinds = {("native" if p in native else "loop" if p in loop else "model") for p in ax.params}
            if len(kinds) > 1:
                raise InvalidParameterError(f"axis {ax.name!r} mixes model parameters with run options {ax.params}")
            p0 = ax.params[0]
            if p0 in native:
                fld = native[p0]
                default = type(task).__dataclass_fields__[fld].default
                current = getattr(task, fld)
                if current is not None and not (isinstance(current, str) and current == default):
                    raise InvalidParameterError(f"{p0} given both as a grid axis and as {fld}=")
                vals = ax.values[p0]
                changes[fld] = tuple(vals.tolist()) if p0 == "initial" else vals
            elif p0 in loop:
                pass
            elif p0 in ("t", "initial", "tol"):
                raise InvalidParameterError(f"{task.name} cannot sweep {p0!r}")
        if changes:
            task = task.with_fields(**changes)
        if getattr(task, "times", 0) is None:
            raise InvalidParameterError("evolve needs times (times=[...] or a grid axis named 't')")
        model_names = [p for ax in self.grid.axes for p in ax.params if p not in native and p not in loop]
        if hasattr(task, "bind_grid"):  # an N-site task brings its qubits and medium (sweep/_nsite.py, issue 11)
            task, medium = task.bind_grid(self.grid, self.medium)
            object.__setattr__(self, "medium", medium)
        if self.medium is not None and not (callable(getattr(self.medium, "couplings", None))
                                            and callable(getattr(self.medium, "describe", None))):
            raise InvalidParameterError(
                "medium must be a magbell.medium.FilmSetup or PhysicalSetup (an object with couplings(separation, "
                f"temperature) and describe()), got {type(self.medium).__name__}"
            )
        check_names(set(model_names) | set(fixed), self.medium)
        if "A_phase" in model_names or "A_phase" in fixed:
            for name in ("A", "A_tilde"):
                v = fixed.get(name)
                if v is not None and (isinstance(v, complex) or v < 0):
                    # it was multiplied by e^{i A_phase}: the coordinate said arg A = A_phase, the model had
                    # arg A = A_phase + arg(value)
                    raise InvalidParameterError(
                        f"fixed parameter {name} = {v!r} has a phase of its own, but A_phase sets the phase "
                        f"({name} = |{name}| e^(i A_phase)): give {name} as a magnitude >= 0")
        if self.unit is not None:
            unit = str(self.unit)
        elif self.medium is not None:
            unit = "rad/s"  # magbell.medium: rates in 1/s, couplings in rad/s (hbar = 1); times in s
        else:
            unit = "rate unit (hbar = 1)"
        object.__setattr__(self, "task", task)
        object.__setattr__(self, "fixed", fixed)
        object.__setattr__(self, "unit", unit)
        kinds = {}
        for ax in self.grid.axes:
            p0 = ax.params[0]
            kinds[ax.name] = "native" if p0 in native else "loop" if p0 in loop else "model"
        object.__setattr__(self, "_kinds", kinds)

    # -------------------------------------------------------------- dimensions
    @property
    def model_axes(self) -> tuple:
        return tuple(n for n, k in self._kinds.items() if k == "model")

    @property
    def loop_axes(self) -> tuple:
        return tuple(n for n, k in self._kinds.items() if k == "loop")

    @property
    def chunk_dims(self) -> tuple:
        """Grid dimensions split into chunks (all but the task's native ones, ``t`` and ``initial``)."""
        return tuple(n for n, k in self._kinds.items() if k != "native")

    def final_dims(self, out_dims: tuple) -> tuple:
        """Dimensions of a variable whose computed trailing dimensions are ``out_dims``."""
        grid = [d for d in self.grid.dims if d in self.chunk_dims or d in out_dims]
        return tuple(grid + [d for d in out_dims if d not in grid])

    def trailing_sizes(self) -> dict:
        sizes = {k: len(v) for k, v in self.task.native_coords().items()}
        sizes.update({k: len(v) for k, v in EXTRA_COORDS.items()})
        if isinstance(self.task, Function):
            sizes.update(self.task.extra_coords())
        return sizes

    def layout(self, chunk_points: int | None) -> Layout:
        dims = self.chunk_dims
        shape = tuple(self.grid.axes[self.grid.dims.index(d)].size for d in dims)
        if chunk_points is None:
            # bounded memory per chunk, and enough chunks to keep several workers busy; it depends on the
            # sweep only (not on the scheduler), so a store can be resumed anywhere
            by_memory = max(1, min(MAX_CHUNK_POINTS, CHUNK_BYTES // max(1, self.task.bytes_per_point())))
            by_count = max(MIN_CHUNK_POINTS, -(-math.prod(shape) // TARGET_CHUNKS))
            chunk_points = min(by_memory, by_count)
        return Layout.auto(dims, shape, int(chunk_points), whole_one=self.loop_axes)

    # -------------------------------------------------------------- identity
    def describe(self) -> dict:
        """JSON-ready description; its hash identifies the sweep (a store holds exactly one)."""
        fixed = {k: ([v.real, v.imag] if isinstance(v, complex) else v) for k, v in self.fixed.items()}
        axes = [{"name": ax.name, "params": list(ax.params), "size": ax.size, "sha256": ax.digest()}
                for ax in self.grid.axes]
        t = getattr(self.task, "times", None)
        task = self.task.describe()
        if t is not None:
            task["times_sha256"] = hashlib.sha256(np.ascontiguousarray(t).tobytes()).hexdigest()
        out = {"task": task, "axes": axes, "fixed": fixed, "unit": self.unit}
        if self.medium is not None:
            out["medium"] = {"type": type(self.medium).__name__, **self.medium.describe()}
        return out

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.describe(), sort_keys=True).encode()).hexdigest()

    def block_params(self, slices: tuple) -> tuple:
        """(params dict broadcastable to the block, block shape, loop values) for chunk ``slices``."""
        sl = dict(zip(self.chunk_dims, slices))
        model_axes = self.model_axes
        shape = tuple(sl[n].stop - sl[n].start for n in model_axes)
        params = dict(self.fixed)
        for j, name in enumerate(model_axes):
            ax = self.grid.axes[self.grid.dims.index(name)]
            for p, v in ax.values.items():
                s = [1] * len(model_axes)
                s[j] = -1
                params[p] = v[sl[name]].reshape(s)
        loop = {}
        for name in self.loop_axes:
            ax = self.grid.axes[self.grid.dims.index(name)]
            loop[ax.params[0]] = ax.values[ax.params[0]][sl[name].start].item()
        return params, shape, loop

    def reason_table(self, layout: Layout) -> tuple:
        """The reason table (FIXED_REASONS + every distinct parameter violation, in grid order) and the
        number of invalid points: one pass of the point-by-point check over the grid, chunk by chunk."""
        table = list(FIXED_REASONS)
        seen = set(table)
        n_bad = 0
        for cid in range(layout.n_chunks):
            params, shape, _ = self.block_params(layout.slices(cid))
            _, ok, reasons = prepare_block(params, shape, self.medium)
            if not ok.all():
                n_bad += int((~ok).sum())
                for r in dict.fromkeys(reasons[~ok].tolist()):
                    if r not in seen:
                        seen.add(r)
                        table.append(r)
        return tuple(table), n_bad


@dataclass(frozen=True, eq=False)
class Plan:
    """One chunk: its id, its slices of the chunked dimensions and its parameter values."""

    cid: int
    slices: tuple
    params: dict
    shape: tuple
    loop: dict

    @property
    def points(self) -> int:
        return math.prod(self.shape)


@dataclass(eq=False)
class ChunkResult:
    cid: int
    arrays: dict | None
    points: int
    counts: dict
    failures: list
    seconds: float
    worker: str = ""
    duplicate: bool = False

    def record(self, run: int, fingerprint: str) -> dict:
        return {"chunk": self.cid, "run": run, "fingerprint": fingerprint, "points": self.points,
                "counts": self.counts, "failures": self.failures, "seconds": round(self.seconds, 6),
                "worker": self.worker, "finished": time.time()}


@dataclass(frozen=True, eq=False)
class Kernel:
    """What every chunk computation needs (sent to each worker once)."""

    task: _Task
    chunk_dims: tuple
    model_axes: tuple
    loop_axes: tuple
    final: dict  # output name -> final dims
    trailing: dict  # dim -> length
    table: dict  # reason -> code
    medium: object = None
    keep_not_unique: tuple = ("unique", "n_stationary")

    @classmethod
    def from_spec(cls, spec: Spec, table: tuple) -> "Kernel":
        final = {o.name: spec.final_dims(o.dims) for o in spec.task.outputs()}
        return cls(spec.task, spec.chunk_dims, spec.model_axes, spec.loop_axes, final,
                   spec.trailing_sizes(), {r: k for k, r in enumerate(table)}, spec.medium)

    def outputs(self) -> dict:
        return {o.name: o for o in self.task.outputs()}

    def regions(self, slices: tuple) -> dict:
        """Where each variable of the chunk at ``slices`` goes, in the variable's dimension order."""
        sl = dict(zip(self.chunk_dims, slices))
        out = {name: tuple(sl.get(d, slice(None)) for d in dims) for name, dims in self.final.items()}
        out["status"] = out["reason"] = tuple(slices)
        return out

    # -------------------------------------------------------------- the chunk job
    def compute(self, plan: Plan) -> ChunkResult:
        t0 = time.perf_counter()
        task = self.task
        if plan.loop:
            task = task.with_fields(**plan.loop)
        shape = plan.shape
        kw, ok, reasons = prepare_block(plan.params, shape, self.medium)
        status = np.where(ok, STATUS_CODES["ok"], STATUS_CODES["invalid_parameters"]).astype(np.int8)
        codes = np.zeros(shape, dtype=np.int16)
        if not ok.all():
            generic = self.table.get(FIXED_REASONS[2], 2)
            codes[~ok] = [self.table.get(r, generic) for r in reasons[~ok].tolist()]
        outs = self.outputs()
        values, not_unique, failed, failures = self._compute_block(task, kw, shape, outs)
        if not_unique is not None:
            nu = not_unique & ok
            status[nu] = STATUS_CODES["not_unique"]
            codes[nu] = self.table[FIXED_REASONS[1]]
        if failed is not None:
            status[failed] = STATUS_CODES["failed"]
            codes[failed] = self.table[FIXED_REASONS[2]]
        bad = status != STATUS_CODES["ok"]
        arrays = {}
        for name, o in outs.items():
            v = np.array(values[name], dtype=o.dtype, copy=True)
            mask = ~ok if name in self.keep_not_unique else bad
            if failed is not None:
                mask = mask | failed
            if mask.any():
                v[mask] = o.fill
            arrays[name] = self._to_final(v, o.dims, self.final[name])
        arrays["status"] = self._to_final(status, (), self.chunk_dims)
        arrays["reason"] = self._to_final(codes, (), self.chunk_dims)
        counts = {s: int((status == k).sum()) for k, s in enumerate(STATUS) if k}
        gl_failures = []
        for idx, msg in failures[:_MAX_FAILURES]:
            gl_failures.append({"index": self._global_index(plan, idx), "message": msg})
        return ChunkResult(plan.cid, arrays, plan.points, counts, gl_failures, time.perf_counter() - t0,
                           worker=f"{socket.gethostname()}:{os.getpid()}")

    def _to_final(self, v: np.ndarray, out_dims: tuple, final: tuple) -> np.ndarray:
        """(model block..., out_dims...) → the variable's final dimension order (loop axes: length 1)."""
        names = list(self.model_axes) + list(out_dims)
        for n in self.loop_axes:
            if n in final:
                v = v[..., None]
                names.append(n)
        out = np.transpose(v, [names.index(d) for d in final])
        return np.ascontiguousarray(out) if out.ndim else np.array(out)  # (ascontiguousarray makes a 0-d array 1-d)

    def _global_index(self, plan: Plan, local: tuple) -> list:
        loc = dict(zip(self.model_axes, local))
        return [int(s.start + loc.get(d, 0)) for d, s in zip(self.chunk_dims, plan.slices)]

    def _compute_block(self, task, kw, shape, outs):
        """Compute on the whole block; if that raises, bisect to isolate the points that fail."""
        try:
            values, not_unique = task.compute(Model(**kw))
            return values, not_unique, None, []
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:
            pass
        P = math.prod(shape)
        flat = {k: np.broadcast_to(v, shape).reshape(P) for k, v in kw.items()}
        failures = []
        failed = np.zeros(P, dtype=bool)
        parts = []

        def run(lo, hi):
            sub = {k: v[lo:hi] for k, v in flat.items()}
            try:
                vals, nu = task.compute(Model(**sub))
                parts.append((lo, hi, vals, nu))
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as e:
                if hi - lo == 1:
                    failed[lo] = True
                    failures.append((tuple(int(i) for i in np.unravel_index(lo, shape)) if shape else (),
                                     f"{type(e).__name__}: {' '.join(str(e).split())}"))
                else:
                    mid = (lo + hi) // 2
                    run(lo, mid)
                    run(mid, hi)

        run(0, P)
        values = {}
        not_unique = None
        for name, o in outs.items():
            trail = tuple(self.trailing[d] for d in o.dims)
            values[name] = np.full((P,) + trail, o.fill, dtype=o.dtype)
        for lo, hi, vals, nu in parts:
            for name in outs:
                values[name][lo:hi] = vals[name]
            if nu is not None:
                if not_unique is None:
                    not_unique = np.zeros(P, dtype=bool)
                not_unique[lo:hi] = nu
        values = {k: v.reshape(shape + v.shape[1:]) for k, v in values.items()}
        if not_unique is not None:
            not_unique = not_unique.reshape(shape)
        return values, not_unique, failed.reshape(shape), failures


def make_plan(spec: Spec, layout: Layout, cid: int) -> Plan:
    slices = layout.slices(cid)
    params, shape, loop = spec.block_params(slices)
    return Plan(cid, slices, params, shape, loop)
