"""A dependency-free progress bar on stderr: redrawn in place on a terminal, a line every ~10% otherwise."""

from __future__ import annotations

import math
import sys
import time

__all__ = ["Progress"]


def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Progress:
    def __init__(self, total_chunks: int, total_points: int, done_chunks: int = 0, done_points: int = 0,
                 enabled: bool = True, stream=None, label: str = "sweep"):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total_chunks, self.total_points = total_chunks, total_points
        self.chunks, self.points = done_chunks, done_points
        self.start_points = done_points
        self.t0 = time.perf_counter()
        self.last_draw = 0.0
        self.last_decile = -1
        self.label = label
        if enabled:
            self._draw(force=True)

    def update(self, chunks: int, points: int) -> None:
        self.chunks += chunks
        self.points += points
        if self.enabled:
            self._draw()

    def _line(self) -> str:
        frac = self.points / self.total_points if self.total_points else 1.0
        el = time.perf_counter() - self.t0
        rate = (self.points - self.start_points) / el if el > 0 else 0.0
        left = (self.total_points - self.points) / rate if rate > 0 else float("nan")
        width = 28
        full = int(frac * width)
        bar = "#" * full + "-" * (width - full)
        eta = "?" if math.isnan(left) else _hms(left)
        return (f"{self.label} {100 * frac:5.1f}% [{bar}] {self.chunks}/{self.total_chunks} chunks, "
                f"{self.points:,}/{self.total_points:,} points, {rate:,.0f} points/s, "
                f"elapsed {_hms(el)}, left {eta}")

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        done = self.chunks >= self.total_chunks
        if self.tty:
            if force or done or now - self.last_draw > 0.1:
                self.stream.write("\r" + self._line() + "\x1b[K")
                self.stream.flush()
                self.last_draw = now
        else:
            decile = int(10 * self.points / self.total_points) if self.total_points else 10
            if force or decile > self.last_decile:
                self.stream.write(self._line() + "\n")
                self.stream.flush()
                self.last_decile = decile

    def close(self) -> None:
        if self.enabled and self.tty:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
