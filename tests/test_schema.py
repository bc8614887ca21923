"""One parameter schema and one detailed balance (issue 10), and a cheap ``import magbell``.

* Model.detailed_balance, the CLI and the sweep agree on ã = r a, Ã = r A (phase kept) and ã2 = r a2
  (Model gave ã2 = ã before: the paper's relation, main text after Eq. 6, holds per qubit).
* The CLI's model options and the sweep's keys are generated from magbell._params (every Model parameter,
  canonical flags plus the old aliases --at, --At, --at2, --D).
* ``import magbell`` imports no scipy.integrate/special/optimize, matplotlib, xarray, dask or qutip.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import subprocess
import sys

import numpy as np
import pytest

import magbell
from magbell import _params, sweep
from magbell.cli import build_parser, main
from magbell.errors import InvalidParameterError


def _cli_json(*argv):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main([str(a) for a in argv])
    assert rc == 0
    return json.loads(buf.getvalue())


# ----------------------------------------------------------------------------- detailed balance
def test_model_detailed_balance_sets_a_tilde2():
    m = magbell.Model.detailed_balance(a=1, a2=2, A=0.5, ratio=0.5)
    assert float(m.a_tilde) == 0.5 and float(m.a_tilde2) == 1.0 and complex(m.A_tilde) == 0.25
    with pytest.raises(InvalidParameterError, match="a_tilde2 is fixed by detailed balance"):
        magbell.Model.detailed_balance(a=1, a2=2, a_tilde2=0.3, ratio=0.5)


def test_cli_agrees_with_model_detailed_balance():
    p = _cli_json("steady", "--a", 1, "--a2", 2, "--A", 0.5, "--ratio", 0.5, "--json")["params"]
    m = magbell.Model.detailed_balance(a=1, a2=2, A=0.5, ratio=0.5)
    assert p["a_tilde2"] == float(m.a_tilde2) == 1.0
    assert p["a_tilde"] == float(m.a_tilde)
    assert complex(p["A_tilde"]["re"], p["A_tilde"]["im"]) == complex(m.A_tilde)
    # with a phase and the temperature path: A~ = r A exactly as in the Model
    phi, T, f = 0.7, 0.05, 2.87
    p = _cli_json("steady", "--a", 3, "--a2", 2, "--A", 2, "--A-phase", phi, "--temperature", T, "--Delta-GHz", f,
                  "--json")["params"]
    m = magbell.Model.detailed_balance(a=3.0, a2=2.0, A=2.0 * complex(np.exp(1j * phi)), temperature=T, Delta_GHz=f)
    assert p["a_tilde"] == float(m.a_tilde) and p["a_tilde2"] == float(m.a_tilde2)
    assert complex(p["A_tilde"]["re"], p["A_tilde"]["im"]) == complex(m.A_tilde)


def test_sweep_agrees_with_model_detailed_balance():
    ds = sweep.run("steady_state", sweep.Grid(ratio=[0.0, 0.5, 1.0]), fixed={"a": 1.0, "a2": 2.0, "A": 0.5},
                   initial="ud")
    for k, r in enumerate([0.0, 0.5, 1.0]):
        m = magbell.Model.detailed_balance(a=1.0, a2=2.0, A=0.5, ratio=r)
        ref = magbell.steady_state(m, "ud")
        np.testing.assert_allclose(ds.populations.values[k], ref.populations, rtol=0, atol=1e-13)
    # the blocks the sweep builds are the Model's parameters, bit for bit
    from magbell.sweep._params import prepare_block

    kw, ok, _ = prepare_block({"a": 1.0, "a2": 2.0, "A": 0.5 * np.exp(0.3j), "ratio": 0.5}, ())
    m = magbell.Model.detailed_balance(a=1.0, a2=2.0, A=0.5 * np.exp(0.3j), ratio=0.5)
    assert ok and float(kw["a_tilde2"]) == 1.0
    assert all(complex(kw[n]) == complex(getattr(m, n)) for n in ("a_tilde", "A_tilde", "a_tilde2"))


def test_temperature_minus_zero_and_overflow_in_the_sweep():
    """Sweep: T = -0 K gave r = e^{+inf} = inf and stopped the whole sweep; T = 1e-300 K with a large f gave
    an overflow RuntimeWarning. Both are r = 0, as in Model.detailed_balance."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = sweep.run("steady_state", sweep.Grid(temperature=[-0.0, 0.0, 1e-300]),
                       fixed={"a": 1.0, "A": 0.5, "Delta_GHz": 1e10}, initial="ud")
    assert ds.status.values.tolist() == [1, 1, 1]
    ref = magbell.steady_state(magbell.Model(a=1.0, A=0.5), "ud").populations
    np.testing.assert_array_equal(ds.populations.values, np.broadcast_to(ref, (3, 4)))
    assert float(magbell.Model.detailed_balance(a=1.0, temperature=-0.0, Delta_GHz=2.87).a_tilde) == 0.0


def test_thermal_violations_shared_messages():
    bad = _params.thermal_violations(ratio=np.array([0.5, 1.5]), temperature=-1.0, Delta_GHz=0.0)
    assert [m for _, m, _ in bad] == [
        "ratio = e^{-beta Delta} must satisfy 0 <= ratio <= 1 (positive temperature)",
        "temperature must be >= 0 K",
        "Delta_GHz must be > 0",
    ]
    ok, reasons = sweep._params.prepare_block({"a": 1.0, "ratio": np.array([0.5, 1.5])}, (2,))[1:]
    assert ok.tolist() == [True, False] and reasons[1] == bad[0][1]


# ----------------------------------------------------------------------------- the schema
def test_schema_covers_every_model_parameter():
    fields = [f.name for f in dataclasses.fields(magbell.Model)]
    assert sorted(_params.MODEL_NAMES) == sorted(fields)
    assert set(_params.COMPLEX_PARAMS) == {"A", "A_tilde", "D_deph"}
    for p in _params.SCHEMA:
        assert p.description and p.unit and p.cli_flag.startswith("--")


def _parser_dests_and_flags():
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    steady = sub.choices["steady"]
    return {a.dest: tuple(a.option_strings) for a in steady._actions}


def test_cli_flags_and_sweep_keys_derive_from_the_schema():
    flags = _parser_dests_and_flags()
    for p in _params.SCHEMA:
        assert flags[p.name] == p.flags
    assert set(sweep.MODEL_PARAMS) == set(_params.MODEL_NAMES)
    assert set(sweep.MODEL_PARAMS) | set(sweep.DERIVED_PARAMS) == {p.sweep_key for p in _params.SCHEMA}
    # canonical flags and the old aliases
    assert flags["a_tilde"] == ("--a-tilde", "--at") and flags["A_tilde"] == ("--A-tilde", "--At")
    assert flags["D_dm"] == ("--D-dm", "--D") and flags["a_tilde2"] == ("--a-tilde2", "--at2")


def test_a_parameter_added_to_the_schema_appears_in_both():
    extra = _params.Param("X_new", "a new test parameter")
    schema = _params.SCHEMA + (extra,)
    parser = argparse.ArgumentParser()
    _params.add_cli_options(parser, parser, float, schema)
    assert parser.parse_args(["--a", "1", "--X-new", "2.5"]).X_new == 2.5
    assert _params.sweep_table(schema)["X_new"] == ("rate", "a new test parameter")


def test_alias_and_canonical_flags_give_the_same_model():
    a = _cli_json("steady", "--a", 1, "--A", 0.5, "--at", 0.2, "--At", 0.1, "--D", 0.3, "--json")["params"]
    b = _cli_json("steady", "--a", 1, "--A", 0.5, "--a-tilde", 0.2, "--A-tilde", 0.1, "--D-dm", 0.3, "--json")["params"]
    assert a == b and a["D_dm"] == 0.3 and a["a_tilde"] == 0.2
    c = _cli_json("steady", "--a", 2, "--A-over-a", 0.5, "--json")["params"]
    assert c["A"] == {"re": 1.0, "im": 0.0}


def test_cli_refusals_name_the_flag(capsys):
    assert main(["steady", "--a", "1", "--ratio", "0.1", "--a-tilde", "0.1"]) == 2
    assert "--a-tilde/--at cannot be combined with --ratio" in capsys.readouterr().err
    assert main(["steady", "--a", "1", "--A", "0.5", "--A-over-a", "0.5"]) == 2
    assert "--A-over-a" in capsys.readouterr().err


# ----------------------------------------------------------------------------- import cost
def test_import_magbell_is_light():
    code = (
        "import sys, magbell\n"
        "heavy = ['scipy.integrate', 'scipy.special', 'scipy.optimize', 'matplotlib', 'xarray', 'dask', 'qutip',\n"
        "         'magbell.medium', 'magbell.sweep', 'magbell.sensing']\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "from magbell import medium\n"
        "import magbell.sweep\n"
        "print(magbell.medium is medium, hasattr(magbell.medium, 'PhysicalSetup'), 'sweep' in dir(magbell))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "True True True"
