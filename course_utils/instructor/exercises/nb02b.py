"""Exercise 2.4 (notebook 02, MLE and MAP): the lecture's objective L(θ) = Σᵢ ℓ(xⁱ, yⁱ, θ) + λΩ(θ).

θ = [V, W] as on the slide "Select Optimizer": the prior is on the weights, not on the biases b and c.
Ω is ½‖θ‖² for L2 (a Gaussian prior) and ‖θ‖₁ for L1 (a Laplace prior), as notebook 02 derives them.
"""

from __future__ import annotations

import numpy as np

from course_utils.checking import Exercise, compare

__all__ = ["EXERCISES", "map_objective"]

_WEIGHTS = ("W", "V")


def _omega(params, penalty, names=_WEIGHTS, half=True):
    if penalty == "L2":
        return (0.5 if half else 1.0) * sum(float(np.sum(np.square(params[k]))) for k in names)
    return (0.5 if half else 1.0) * sum(float(np.sum(np.abs(params[k]))) for k in names)


def map_objective(losses, params, lam, penalty="L2"):
    """The course's answer to 2.4 (its fallback): Σᵢ losses[i] + lam · Ω(θ), θ = [V, W].

    losses (m,): the per-example losses ℓ(xⁱ, yⁱ, θ). params: dict with "W" (H, D), "b" (H,), "V" (K, H),
    "c" (K,). penalty: "L2" (Ω = ½ Σ θ²) or "L1" (Ω = Σ |θ|). Returns a float.
    """
    if penalty not in ("L2", "L1"):
        raise ValueError(f"penalty must be 'L2' or 'L1', got {penalty!r}")
    omega = _omega(params, "L2") if penalty == "L2" else _omega(params, "L1", half=False)
    return float(np.sum(losses) + lam * omega)


def _mistakes(losses, params, lam, penalty):
    other = "L1" if penalty == "L2" else "L2"
    right_omega = _omega(params, penalty, half=penalty == "L2")
    total = float(np.sum(losses))
    mistakes = {
        "the prior is put on the biases too. θ = [V, W] on the lecture's slide: Ω sums over the weights W and V "
        "only; b and c get no prior.": total
        + lam * _omega(params, penalty, names=("W", "b", "V", "c"), half=penalty == "L2"),
        "the data term is the mean of the losses; the lecture's L(θ) sums them, Σᵢ ℓ(xⁱ, yⁱ, θ) (the mean form "
        "would need λ/m to have the same minimiser).": float(np.mean(losses)) + lam * right_omega,
        f"this is the {other} penalty; penalty={penalty!r} asks for "
        + ("Ω = ½ Σ θ² (a Gaussian prior)." if penalty == "L2" else "Ω = Σ |θ| (a Laplace prior)."): total
        + lam * _omega(params, other, half=other == "L2"),
        "only W is penalised; θ = [V, W] has both weight matrices.": total
        + lam * _omega(params, penalty, names=("W",), half=penalty == "L2"),
        "only V is penalised; θ = [V, W] has both weight matrices.": total
        + lam * _omega(params, penalty, names=("V",), half=penalty == "L2"),
        "λ is missing: the prior's term is λ · Ω(θ).": total + right_omega,
        "this is L(θ)/m, the mean form with λ/m: it has the same minimiser, but the lecture's L(θ) sums the losses "
        "and adds λΩ(θ) once; do not divide by m.": (total + lam * right_omega) / len(losses),
    }
    if penalty == "L2":
        mistakes["the ½ is missing: the Gaussian prior gives Ω(θ) = ½ Σ θ², so λΩ = (λ/2) Σ θ² (then λ∇Ω = λθ)."] = (
            total + lam * _omega(params, "L2", half=False)
        )
        mistakes["Ω is the norm ‖θ‖₂; the Gaussian prior gives half its square, ½ Σ θ²."] = total + lam * np.sqrt(
            sum(float(np.sum(np.square(params[k]))) for k in _WEIGHTS)
        )
    else:
        mistakes["the L1 penalty has no ½: the Laplace prior gives Ω(θ) = Σ |θ|."] = total + lam * _omega(
            params, "L1", half=True
        )
    return mistakes


def _judge(case, got):
    losses, params, lam, penalty = case
    return compare(
        got,
        map_objective(losses, params, lam, penalty),
        case,
        what="L(θ)",
        mistakes=_mistakes(*case),
        rtol=1e-9,
        atol=1e-9,
    )


def _case(rng, m, d, h, k, lam, penalty):
    params = {
        "W": rng.normal(size=(h, d)),
        "b": rng.normal(size=h) + 1.0,
        "V": rng.normal(size=(k, h)),
        "c": rng.normal(size=k) - 1.0,
    }
    return (rng.exponential(size=m), params, float(lam), penalty)


def _cases():
    rng = np.random.default_rng(24)
    return [_case(rng, 5, 3, 2, 1, 0.2, "L2"), _case(rng, 8, 4, 3, 2, 3.0, "L1"), _case(rng, 3, 3, 4, 3, 1.5, "L2")]


def _fresh(rng):
    return [
        _case(rng, int(rng.integers(4, 20)), int(rng.integers(2, 6)), int(rng.integers(2, 6)), k, lam, penalty)
        for k, lam, penalty in ((1, 0.3, "L1"), (2, 1.5, "L2"), (3, 4.0, "L1"))
    ]


EXERCISES = [
    Exercise(
        number="2.4",
        target="map_objective",
        cases=_cases,
        fresh=_fresh,
        judge=_judge,
        references=("course_utils.losses.l2_penalty", "course_utils.losses.l1_penalty"),
        fallback="course_utils.instructor.exercises.nb02b.map_objective",
    )
]
