"""Stochastic gradient descent, with optional (Nesterov) momentum and L2 weight decay."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ._common import _PLAIN_MAX, effective_grad, hyper_array, sub_scaled_
from .optimizer import Optimizer, ParamsLike, _check_nonneg, required


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's update rule).

    For each step, with gradient $g$ (negated when ``maximize``):

    $g \leftarrow g + \lambda\theta$; with momentum $\mu$: $b \leftarrow \mu b + (1-\tau) g$
    ($b \leftarrow g$ at the first step), then $g \leftarrow g + \mu b$ (Nesterov) or
    $g \leftarrow b$; finally $\theta \leftarrow \theta - \gamma g$.

    Args:
        params: Tensors or parameter-group dicts (see ``Optimizer``).
        lr: learning rate $\gamma$.
        momentum: momentum factor $\mu$.
        dampening: $\tau$, how much of the new gradient the momentum buffer ignores.
        nesterov: look ahead along the momentum (needs momentum > 0 and dampening = 0).
        weight_decay: L2 penalty $\lambda$ added to the gradient.
        maximize: ascend the objective instead of descending it.
    """

    # No flat buckets (``_flatten`` stays False, and ``_step_grads`` below never uses them):
    # two to five NumPy calls per parameter save less than the bucket's copies and checks cost
    # (about 5 against 4 us a step for two 0-d parameters, measured).

    def __init__(self, params: ParamsLike, lr: float = required, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      nesterov=nesterov, weight_decay=weight_decay,
                                      maximize=maximize))
        if params is None:  # groups made later must pass the same checks now
            self._validate(dict(self.defaults))

    def _validate(self, group: dict) -> None:
        if group["lr"] is required:
            raise TypeError("SGD: lr is required, e.g. SGD(model.parameters(), lr=0.1)")
        _check_nonneg("SGD", group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum requires momentum > 0 and zero dampening, "
                             f"got momentum={group['momentum']}, dampening={group['dampening']}")

    def _init_state(self, param: np.ndarray, group: dict) -> dict:
        return {"momentum_buffer": None}

    def _hyper(self, group: dict, dtype: np.dtype) -> SimpleNamespace:
        momentum, dampening = float(group["momentum"]), float(group["dampening"])
        return SimpleNamespace(
            lr=hyper_array(float(group["lr"]), dtype), momentum=momentum,
            mu=hyper_array(momentum, dtype),
            undamped=None if dampening == 0 else hyper_array(1.0 - dampening, dtype),
            weight_decay=hyper_array(float(group["weight_decay"]), dtype, none_if_zero=True),
            nesterov=bool(group["nesterov"]), maximize=bool(group["maximize"]),
            plain=(momentum == 0 and float(group["weight_decay"]) == 0
                   and not group["maximize"]))

    def _step_grads(self, group: dict) -> None:
        """The direct loop: each parameter with a gradient, its state made and its dtype
        matched, goes straight to its update, and the textbook step (no momentum, decay or
        maximize) is done right here: it is two NumPy calls, so every call around them counts.
        The general path (``_update_param``) takes the rest."""
        hypers = self._hypers(group)
        state_of, scratch = self.state, self._scratch.views
        subtract, multiply = np.subtract, np.multiply
        # The dtype of the last parameter that took the textbook step, and its lr: a model's
        # parameters share one dtype, so after the first the loop looks nothing else up. (Run
        # right after backward's matrix products, every table touched is a cache miss: this
        # saved about 1% of a 784-50-10 step.)
        textbook = lr = None
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data, grad = p.data, grad.data
            dtype = data.dtype
            if not (dtype is textbook and grad.dtype is dtype and p in state_of
                    and data.size <= _PLAIN_MAX):
                if grad.dtype is not dtype or p not in state_of:
                    self._update_param(p, grad, group, hypers)   # casts, makes the state
                    continue
                hyper = hypers[dtype]
                if not (hyper.plain and data.size <= _PLAIN_MAX):
                    self._update(data, grad, state_of[p], hyper)
                    continue
                textbook, lr = dtype, hyper.lr
            # theta <- theta - lr * g, the product in scratch memory (see sub_scaled_)
            subtract(data, multiply(grad, lr, scratch[dtype, data.shape]), data)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict,
                hyper: SimpleNamespace) -> None:
        if hyper.plain:   # the textbook step
            sub_scaled_(param, grad, hyper.lr, self._scratch)
            return
        g = effective_grad(param, grad, hyper.weight_decay, hyper.maximize)
        if hyper.momentum != 0:
            buf = state["momentum_buffer"]
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf *= hyper.mu
                buf += g if hyper.undamped is None else g * hyper.undamped
            if hyper.nesterov:
                g = buf * hyper.mu + g
            else:
                g = buf
        sub_scaled_(param, g, hyper.lr, self._scratch)
