"""Adagrad: per-coordinate step sizes that shrink with the sum of squared gradients."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ._common import effective_grad, hyper_array
from .optimizer import Optimizer, ParamsLike, _check_nonneg


class Adagrad(Optimizer):
    r"""Adagrad (PyTorch's update rule).

    At step $t$: $\tilde\gamma = \gamma / (1 + (t-1)\eta)$, $g \leftarrow g + \lambda\theta$,
    $s \leftarrow s + g^2$ (with $s_0$ = ``initial_accumulator_value``),
    $\theta \leftarrow \theta - \tilde\gamma\, g / (\sqrt{s} + \epsilon)$.

    Args:
        lr: learning rate $\gamma$.
        lr_decay: $\eta$, the learning rate's 1/t decay.
        weight_decay: L2 penalty $\lambda$.
        initial_accumulator_value: starting value of the sum of squares.
        eps: added to the denominator for numerical stability.
        maximize: ascend instead of descend.
    """

    _flatten = True

    def __init__(self, params: ParamsLike, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))
        if params is None:
            self._validate(dict(self.defaults))

    def _validate(self, group: dict) -> None:
        _check_nonneg("Adagrad", group, "lr", "lr_decay", "weight_decay",
                      "initial_accumulator_value", "eps")

    def _init_state(self, param: np.ndarray, group: dict) -> dict:
        return {"step": 0,
                "sum": np.full_like(param, float(group["initial_accumulator_value"]))}

    def _hyper(self, group: dict, dtype: np.dtype) -> SimpleNamespace:
        return SimpleNamespace(
            dtype=dtype, lr=float(group["lr"]), lr_decay=float(group["lr_decay"]),
            eps=hyper_array(float(group["eps"]), dtype),
            weight_decay=hyper_array(float(group["weight_decay"]), dtype, none_if_zero=True),
            maximize=bool(group["maximize"]))

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict,
                hyper: SimpleNamespace) -> None:
        state["step"] += 1
        clr = hyper.lr / (1.0 + (state["step"] - 1) * hyper.lr_decay)
        g = effective_grad(param, grad, hyper.weight_decay, hyper.maximize)
        s = state["sum"]
        scratch = np.multiply(g, g, self._scratch.views[param.dtype, param.shape])
        s += scratch
        np.sqrt(s, out=scratch)
        scratch += hyper.eps
        np.divide(g, scratch, out=scratch)
        scratch *= hyper_array(clr, hyper.dtype)
        param -= scratch
