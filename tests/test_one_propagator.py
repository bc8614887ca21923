"""One propagator, one expm (issue 10 §2): the conditional engine calls the backend's propagate (its scaled
variant) and the backend's Padé expm; the copies it carried are gone; and the moved code returns what the
old one did on hard cases (recorded before the move at commit ff91366: exceptional point on a uniform grid
and at t·rate = 1e5, long subspace postselection with complex couplings and dephasing, P underflowing to
log P = −8000, a mixed initial state, partial postselection, periodic and continuous monitoring)."""

import ast
import pathlib

import numpy as np
import pytest

import magbell
from magbell.backend import _expm, _scaled, get_backend
from magbell.conditional import conditional_evolve, postselect
from magbell.solvers import _march

SOLVERS = pathlib.Path(magbell.__file__).parent / "solvers"
M = magbell.Model

CASES = {
    "ep_uniform": lambda: postselect(M(a=1, A=0.6, delta=0.4), "ud", np.linspace(0, 50, 101), measures=["concurrence"]),
    "ep_long": lambda: postselect(M(a=1, A=0.6, delta=0.4), "ud", [1e3, 1e5], measures=["concurrence"]),
    "long_subspace": lambda: postselect(M(a=1, A=0.5 + 0.3j, delta=0.2, d=0.1, D_deph=0.05j), "psi+", [10.0, 1e4, 1e6],
                                        scheme="subspace", measures=["concurrence", "bell_fidelity"]),
    "underflow": lambda: postselect(M(a=1, A=0.2, delta=0.9, Jperp=0.3), ["dd", "ud"], [0.0, 500.0, 2e3],
                                    measures=["concurrence", "bell_fidelity"]),
    "mixed_nojump": lambda: postselect(M(a=1, a2=0.5, A=0.3, a_tilde=0.2, d=0.05, delta=0.7, Jz=0.2), np.eye(4) / 4,
                                       np.linspace(0, 30, 40), measures=["concurrence", "bell_fidelity"]),
    "cond_evolve": lambda: conditional_evolve(M(a=1, A=0.5, a_tilde=0.3, A_tilde=0.1, d=0.2, delta=0.3), "ud",
                                              [0.5, 5.0, 200.0], forbid=["J1", "J3"], measures=["concurrence"]),
    "monitor_periodic": lambda: magbell.monitor(M(a=1, A=0.8, d=0.1, delta=0.2), "ud", [1.0, 20.0, 300.0], 0.05,
                                                measures=["concurrence", "bell_fidelity"]),
    "monitor_cont": lambda: magbell.monitor(M(a=1, A=0.8, d=0.1, delta=0.2), "ud", [1.0, 20.0], 0.05,
                                            kind="continuous", measures=["concurrence"]),
}
SUBSAMPLE = {"ep_uniform": slice(None, 50, 10), "mixed_nojump": slice(None, 50, 10)}

GOLDEN = {
    'ep_uniform': {
        'logP': [0.0, -5.643298329558455, -11.161204579747645, -16.688953975534787, -22.216816710793434],
        'concurrence': [0.0, 0.9999178126718821, 0.9999999894878911, 0.9999999999986287, 0.9999999999999999],
    },
    'ep_long': {
        'logP': [-1105.678169515742, -110557.38626052406],
        'concurrence': [0.9999999999999999, 1.0],
    },
    'long_subspace': {
        'logP': [-13.058607008567238, -12001.058606954051, -1200001.058606954],
        'concurrence': [0.7071068254274915, 0.7071067811865479, 0.7071067811865477],
        'bell_fidelity': [0.8516015183781239, 0.8516015044148038, 0.8516015044148036],
    },
    'underflow': {
        'logP': [0.0, -2000.0000000000025, -8000.000000000003, 0.0, -887.8122415416223, -3551.0255994060026],
        'concurrence': [0.0, 0.0, 0.0, 0.0, 0.5815814465606328, 0.5815814465606329],
        'bell_fidelity': [0.0, 0.0, 0.0, 0.4999999999999999, 0.7907907232803162, 0.7907907232803162],
    },
    'mixed_nojump': {
        'logP': [0.0, -9.062381235529564, -16.770681212658932, -24.46321423058996],
        'concurrence': [0.0, 0.00611101666712733, 9.115396906551507e-05, 1.2808452010545295e-06],
        'bell_fidelity': [0.24999999999999997, 0.01130790379258844, 0.00015987516300925868, 2.2441559932145064e-06],
    },
    'cond_evolve': {
        'logP': [-0.7212519224827758, -4.673777692053477, -167.7588652649016],
        'concurrence': [0.03803709525306273, 0.0, 0.0],
    },
    'monitor_periodic': {
        'logP': [-1.2102013599779924, -16.049923088966, -234.5384038523888],
        'concurrence': [0.7335084446182789, 0.7771090213741666, 0.7771090213741664],
        'bell_fidelity': [0.8646721677070688, 0.8879199360559652, 0.8879199360559649],
    },
    'monitor_cont': {
        'logP': [-1.2102013599779935, -16.049923088966032],
        'concurrence': [0.7335084446182785, 0.7771090213741669],
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_scaled_propagator_returns_the_old_results(case):
    r = CASES[case]()
    got = {"logP": np.asarray(r.log_success_probability).ravel()}
    got.update({n: np.asarray(v).ravel() for n, v in r.measures.items()})
    for name, ref in GOLDEN[case].items():
        g = got[name][SUBSAMPLE.get(case, slice(None))]
        # bit-identical when recorded; 1e-13 relative leaves room for another BLAS's summation order
        np.testing.assert_allclose(g, np.asarray(ref), rtol=1e-13, atol=1e-15, err_msg=f"{case}: {name}")


def _defs(path: pathlib.Path) -> set:
    return {n.name for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def test_the_conditional_solvers_carry_no_copy_of_the_propagator_or_the_expm():
    for path in SOLVERS.glob("*.py"):
        text = path.read_text()
        assert "_THETA13" not in text and "5.37192035" not in text, f"{path.name}: a copy of expm's Padé threshold"
        assert "np.ceil(0.5 * np.log2(" not in text, f"{path.name}: its own sqrt(T)-anchor plan"
        copies = _defs(path) & {"scaled_expm", "_march_anchors", "_march_substeps", "_substep_powers", "_pade13",
                                "expm", "propagate_scaled", "_renorm"}
        assert not copies, f"{path.name} defines {copies}: use magbell.backend"
    # the names the solvers use are the backend's objects
    assert _march.scaled_expm is _scaled.scaled_expm and _march._renorm is _scaled._renorm
    assert _scaled.expm is _expm.expm and _scaled._THETA13 is _expm._THETA13


def test_postselect_marches_through_the_backends_propagate(monkeypatch):
    bk = get_backend()
    calls = []
    real = type(bk).propagate

    def spy(*a, **k):
        calls.append(k.get("scaled", False))
        return real(*a, **k)

    monkeypatch.setattr(type(bk), "propagate", staticmethod(spy))
    ref_free = postselect(M(a=1, A=0.5, delta=0.2), "ud", [0.5, 40.0, 1e3])
    assert calls and all(calls)  # every call the scaled variant
    monkeypatch.undo()
    r = postselect(M(a=1, A=0.5, delta=0.2), "ud", [0.5, 40.0, 1e3])
    np.testing.assert_array_equal(r.concurrence, ref_free.concurrence)


def test_scaled_option_of_propagate_matches_the_unscaled_one_where_both_apply():
    """The same exp(L t) r0 from both variants of the one propagator (real |q| = 0 block, uniform grid)."""
    m = M(a=1.0, A=0.4, a_tilde=0.2, d=0.1, delta=0.3, Jz=0.2)
    L0 = np.asarray(m.liouvillian_blocks()[0])[None]
    r0 = np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    t = np.linspace(0, 5, 33)
    bk = get_backend()
    plain = bk.propagate(L0, r0[None], t)  # (1, 1, 6, T)
    X, LS = bk.propagate(L0, r0[None, None, :, None], t, scaled=True)
    scale = 1.0 if LS is None else np.ldexp(1.0, LS)[:, :, None, None, :]
    np.testing.assert_allclose((X * scale)[:, :, :, 0], plain, rtol=0, atol=1e-13)


def test_block0_takes_any_trace_functional():
    """One kernel projector for every size: ``block0=ℓ`` (the N-site form) equals ``block0=True`` on the
    two-site |q| = 0 block, bit for bit, on the deflated long-time path."""
    from magbell.backend._propagate import classify, propagate

    m = M(a=1.0, A=0.4, a_tilde=0.2, d=0.1, delta=0.3, Jz=0.2)
    L0 = np.asarray(m.liouvillian_blocks()[0])[None]
    r0 = np.array([[0.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    t = np.linspace(0, 5e4, 7)
    ell = np.array([1.0, 1, 1, 1, 0, 0])
    use_dd, P0 = classify(L0, float(t[-1]), ell)
    assert not use_dd[0] and P0 is not None and np.any(P0 != 0)  # deflated
    np.testing.assert_array_equal(propagate(L0, r0, t, block0=ell), propagate(L0, r0, t, block0=True))
    assert abs(propagate(L0, r0, t, block0=ell)[0, 0, :4, -1].sum() - 1) < 1e-14
