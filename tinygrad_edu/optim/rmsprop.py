"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ._common import effective_grad, hyper_array
from .optimizer import Optimizer, ParamsLike, _check_nonneg


class RMSprop(Optimizer):
    r"""RMSprop (PyTorch's update rule; eps is added *after* the square root).

    $g \leftarrow g + \lambda\theta$, $v \leftarrow \alpha v + (1-\alpha) g^2$, $\tilde v = v$;
    centered: $\bar g \leftarrow \alpha \bar g + (1-\alpha) g$, $\tilde v = v - \bar g^2$.
    With momentum $\mu > 0$: $b \leftarrow \mu b + g / (\sqrt{\tilde v} + \epsilon)$,
    $\theta \leftarrow \theta - \gamma b$; otherwise
    $\theta \leftarrow \theta - \gamma g / (\sqrt{\tilde v} + \epsilon)$.

    Args:
        lr: learning rate $\gamma$.
        alpha: smoothing constant of the running mean of squares.
        eps: added to the denominator.
        weight_decay: L2 penalty $\lambda$.
        momentum: momentum factor $\mu$.
        centered: normalise by an estimate of the gradient's variance instead of its raw
            second moment.
        maximize: ascend instead of descend.
    """

    _flatten = True

    def __init__(self, params: ParamsLike, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))
        if params is None:
            self._validate(dict(self.defaults))

    def _validate(self, group: dict) -> None:
        _check_nonneg("RMSprop", group, "lr", "alpha", "eps", "weight_decay", "momentum")

    def _init_state(self, param: np.ndarray, group: dict) -> dict:
        state = {"step": 0, "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _hyper(self, group: dict, dtype: np.dtype) -> SimpleNamespace:
        alpha = float(group["alpha"])
        return SimpleNamespace(
            lr=hyper_array(float(group["lr"]), dtype), alpha=hyper_array(alpha, dtype),
            one_minus_alpha=hyper_array(1.0 - alpha, dtype),
            eps=hyper_array(float(group["eps"]), dtype),
            momentum=float(group["momentum"]), mu=hyper_array(float(group["momentum"]), dtype),
            weight_decay=hyper_array(float(group["weight_decay"]), dtype, none_if_zero=True),
            centered=bool(group["centered"]), maximize=bool(group["maximize"]))

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict,
                hyper: SimpleNamespace) -> None:
        state["step"] += 1
        g = effective_grad(param, grad, hyper.weight_decay, hyper.maximize)
        v = state["square_avg"]
        scratch = np.multiply(g, g, self._scratch.views[param.dtype, param.shape])
        scratch *= hyper.one_minus_alpha
        v *= hyper.alpha
        v += scratch
        if hyper.centered:
            g_avg = state.get("grad_avg")
            if g_avg is None:  # centered switched on after the first step
                g_avg = state["grad_avg"] = np.zeros_like(param)
            g_avg *= hyper.alpha
            np.multiply(g, hyper.one_minus_alpha, out=scratch)
            g_avg += scratch
            np.multiply(g_avg, g_avg, out=scratch)
            np.subtract(v, scratch, out=scratch)
            np.sqrt(scratch, out=scratch)
        else:
            np.sqrt(v, out=scratch)
        scratch += hyper.eps
        np.divide(g, scratch, out=scratch)
        if hyper.momentum > 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # momentum switched on after the first step
                buf = state["momentum_buffer"] = np.zeros_like(param)
            buf *= hyper.mu
            buf += scratch
            np.multiply(buf, hyper.lr, out=scratch)
        else:
            scratch *= hyper.lr
        param -= scratch
