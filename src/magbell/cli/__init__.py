"""Command-line interface: ``magbell evolve | steady | spectrum | postselect | nsite | medium | ... | reproduce``
(the paper's two-qubit model, N-site Systems with ``magbell nsite``).

Every model option uses the paper's symbols (Zou, Zhang & Tserkovnyak, PRB 106, L180406, Eqs. 1–6,
S38); see ``magbell <command> --help``. Exit status: 0 on success, 2 on bad input (argparse's
rejections and magbell's validation errors alike are printed as ONE line ``magbell: error: <message>``
on stderr, argparse's with a pointer ``(see 'magbell <command> --help')``, never a usage block or a
traceback). Negative numbers in any notation (``--delta -1e-3``, ``-.5``, ``-inf``) are values.
No Python warning is printed: a NumPy RuntimeWarning during a computation stops it (a result computed
through an overflow or NaN is not printed) with one line and exit status 1, and so does any other
unexpected exception (``magbell: internal error: ...``); magbell's own warnings (e.g. the Markov check
of ``medium``) are one line ``magbell: warning: ...``.

JSON output (``--json``) is exactly one JSON object on stdout. Numbers are plain floats; complex
numbers are ``{"re": x, "im": y}`` (matrices ``{"re": [[...]], "im": [[...]]}``); quantities that are
infinite (e.g. an entanglement lifetime where the entanglement never decays) are ``null``; NaN never
appears.

The ``reproduce`` command runs the paper's reproduction, :mod:`magbell.paper` (data functions such as
``magbell.paper.fig2_data`` that return plain dicts with the full curves as NumPy arrays, and
``magbell.paper.reproduce_to`` for ``--out DIR``). It is imported inside that command only: the rest
of the CLI, like the library, never imports the paper's reproduction.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import warnings

from .. import __version__
from ..errors import MagbellError
from . import _dynamics, _medium, _nsite, _postselect, _reproduce, _sensing, _sweep  # the command groups
from ._parser import PROG, MagbellArgumentParser, _Formatter, _model_parent, _one_line
from ._parser import model_from_args as model_from_args

__all__ = [
    "main",
    "build_parser",
    "model_from_args",
]

#: the command groups, in the order of ``magbell --help``: each has ``register(subparsers, parent, formatter)``
#: which adds its parsers (``parents=[parent]`` gives the shared model options) with ``set_defaults(func=...)``;
#: the function returns the exit status and raises magbell's ValueError subclasses on bad input.
COMMAND_GROUPS = (_dynamics, _reproduce, _postselect, _medium, _sweep, _sensing, _nsite)
#: the names of the modules of :data:`COMMAND_GROUPS` (kept for code that read the old plugin list; the
#: groups are plain imports now, not loaded through this tuple)
SUBCOMMAND_MODULES: tuple = tuple(m.__name__ for m in COMMAND_GROUPS)

_MAIN_EPILOG = """\
examples:
  magbell evolve --a 1 --A 1 --delta 0.3 --t-max 5 --points 51 --json
  magbell steady --a 1 --A 1 --at 0.1 --At 0.1
  magbell spectrum --a 1 --A 1 --delta 0.3
  magbell reproduce

Bad input exits with status 2 and one line 'magbell: error: <message>' on stderr
(status 1: a numerical failure or an internal error, also one line; please report those).
"""



def build_parser() -> argparse.ArgumentParser:
    parser = MagbellArgumentParser(
        prog=PROG,
        description="Spin qubits entangled through a magnetic medium: the paper's two-qubit model and N-site "
                    "Systems (magbell nsite) — exact Lindblad dynamics, steady states, spectra, postselection "
                    "and trajectories (Zou, Zhang & Tserkovnyak, PRB 106, L180406 (2022)).",
        epilog=_MAIN_EPILOG,
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parent = _model_parent()

    for group in COMMAND_GROUPS:
        group.register(sub, parent=parent, formatter=_Formatter)
    return parser


def _ensure_printable(stream) -> None:
    enc = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if enc != "utf8" and hasattr(stream, "reconfigure"):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # pragma: no cover
            pass


#: commands whose own code decides about NumPy's RuntimeWarnings (a sweep marks the points it could not
#: compute and runs tasks in threads, where a warning turned into an exception would fail a whole chunk):
#: for them a RuntimeWarning is reported as one ``magbell: warning:`` line instead of stopping the run.
_RUNTIME_WARNINGS_REPORTED = frozenset({"sweep"})


class _NumericalFailure(Exception):
    """A RuntimeWarning (NumPy overflow / invalid value, LAPACK trouble) raised during a command: the
    result would not be reliable, so none is printed."""


def _warning_line(message, category) -> str | None:
    """The CLI's line for a warning: magbell's own warnings (and, for the commands in
    :data:`_RUNTIME_WARNINGS_REPORTED`, RuntimeWarnings) as ONE line ``magbell: warning: ...``; warnings
    of other libraries (deprecations and the like) are not the user's business and are dropped."""
    ours = getattr(category, "__module__", "").startswith("magbell")
    if ours or issubclass(category, RuntimeWarning):
        return f"{PROG}: warning: {_one_line(message)}\n"
    return None


def _subparser(parser: argparse.ArgumentParser, name):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name)
    return None


def _exit_status(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    sys.stderr.write(f"{PROG}: error: {_one_line(e.code)}\n")
    return 2


def _run(args) -> int:
    """Run the command with the CLI's warning policy; its stdout is held back until it has finished, so
    that a command that fails half-way prints nothing there (no half table, no half JSON object)."""
    strict = args.command not in _RUNTIME_WARNINGS_REPORTED
    held = io.StringIO()

    def show(message, category, filename, lineno, file=None, line=None):
        text = _warning_line(message, category)
        if text is not None:
            sys.stderr.write(text)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        if strict:
            warnings.simplefilter("error", RuntimeWarning)
        warnings.showwarning = show
        try:
            with contextlib.redirect_stdout(held):
                status = args.func(args)
        except RuntimeWarning as w:
            raise _NumericalFailure(_one_line(w)) from w
    sys.stdout.write(held.getvalue())
    sys.stdout.flush()
    return status


def main(argv=None) -> int:
    """Entry point of the ``magbell`` command; returns the exit status.

    The CLI's promise: exit 0 with the result on stdout (with ``--json`` exactly one JSON object), or
    exit 2 with ONE line ``magbell: error: <what is wrong with which argument>`` on stderr (argparse's
    rejections included), never a traceback or a stray warning. NumPy RuntimeWarnings during a
    computation are errors (a result computed through an overflow or a NaN is not printed), and any
    other unexpected exception is reported as one line ``magbell: internal error: ...`` with exit 1.
    """
    _ensure_printable(sys.stdout)
    _ensure_printable(sys.stderr)
    try:
        parser = build_parser()
        try:
            args, extra = parser.parse_known_args(argv)
            if extra:  # name the subcommand in the pointer to --help
                sub = _subparser(parser, getattr(args, "command", None)) or parser
                sub.error("unrecognized arguments: " + " ".join(extra))
        except SystemExit as e:  # --help, --version (0) and usage errors (2, already printed)
            return _exit_status(e)
        return _run(args)
    except (MagbellError, ValueError) as e:
        sys.stderr.write(f"{PROG}: error: {_one_line(e)}\n")
        return 2
    except BrokenPipeError:  # e.g. `magbell evolve ... | head`: stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when stdout is flushed at exit
        except (OSError, ValueError, AttributeError):  # pragma: no cover
            pass
        return 141
    except KeyboardInterrupt:
        return 130
    except SystemExit as e:  # a command that exits by itself
        return _exit_status(e)
    except _NumericalFailure as e:
        sys.stderr.write(
            f"{PROG}: error: numerical failure ({e}) with these parameters: no result printed because it would "
            "not be reliable; please report this input\n"
        )
        return 1
    except MemoryError:
        sys.stderr.write(f"{PROG}: error: out of memory; use fewer points or a smaller grid\n")
        return 1
    except Exception as e:  # last resort: one line, never a traceback
        sys.stderr.write(f"{PROG}: internal error: {type(e).__name__}: {_one_line(e)} (please report)\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
