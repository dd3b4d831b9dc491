"""Adam and AdamW: momentum plus per-coordinate scaling, with bias correction."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from ._common import effective_grad, hyper_array
from .optimizer import Optimizer, ParamsLike, _check_nonneg, _check_unit


class Adam(Optimizer):
    r"""Adam (PyTorch's update rule), optionally AMSGrad.

    At step $t$: $g \leftarrow g + \lambda\theta$ (L2, coupled to the gradient),
    $m \leftarrow \beta_1 m + (1-\beta_1) g$, $v \leftarrow \beta_2 v + (1-\beta_2) g^2$;
    AMSGrad keeps $v^{max} \leftarrow \max(v^{max}, v)$ and uses it in place of $v$;
    $\theta \leftarrow \theta - \gamma \frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} +
    \epsilon}$.

    Args:
        lr: learning rate $\gamma$.
        betas: decay rates $(\beta_1, \beta_2)$ of the first and second moment averages.
        eps: added to the denominator.
        weight_decay: L2 penalty $\lambda$ (for decoupled decay use ``AdamW``).
        amsgrad: use the running maximum of the second moment (never-growing steps).
        maximize: ascend instead of descend.
    """

    _decoupled = False
    _flatten = True
    _scalar_max = 8   # has _update_scalar: see Optimizer._scalar_max

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))
        if params is None:
            self._validate(dict(self.defaults))

    def _validate(self, group: dict) -> None:
        name = type(self).__name__
        _check_nonneg(name, group, "lr", "eps", "weight_decay")
        betas = group["betas"]
        if len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        _check_unit(name, "beta1 (betas[0])", float(betas[0]))
        _check_unit(name, "beta2 (betas[1])", float(betas[1]))

    def _init_state(self, param: np.ndarray, group: dict) -> dict:
        state = {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _hyper(self, group: dict, dtype: np.dtype) -> SimpleNamespace:
        lr, eps, wd = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        decoupled = self._decoupled
        # eps_hat and step_size change with every step: two 0-d views of one pair, so that
        # ``_bias_correct`` sets both with one NumPy call.
        bias = np.empty(2, dtype)
        betas = (hyper_array(beta1, dtype), hyper_array(1.0 - beta1, dtype),
                 hyper_array(beta2, dtype), hyper_array(1.0 - beta2, dtype))
        hyper = SimpleNamespace(
            dtype=dtype, lr=lr, beta1=beta1, beta2=beta2,
            betas=betas, scalar_betas=tuple(b[()] for b in betas),
            eps=eps, t=None, bias=bias, eps_hat=bias[0, ...], step_size=bias[1, ...],
            scalar_bias=None,
            weight_decay=None if decoupled else hyper_array(wd, dtype, none_if_zero=True),
            shrink=hyper_array(1.0 - lr * wd, dtype) if decoupled and wd != 0 else None,
            amsgrad=bool(group["amsgrad"]), maximize=bool(group["maximize"]))
        # The plain rule: no decay of either kind, no AMSGrad, descending (one test, not four).
        hyper.plain = (hyper.weight_decay is None and hyper.shrink is None
                       and not hyper.amsgrad and not hyper.maximize)
        return hyper

    def _step_grads(self, group: dict) -> None:
        """A group of at most ``_scalar_max`` parameters (an equation's unknowns, typically)
        sends each 0-d one that has its state straight to ``_update_scalar``: for two of them
        the general path's lists, plan check and dispatch cost about as much as their
        updates. The others, and every parameter of a larger group, take the general path."""
        params = group["params"]
        if len(params) > self._scalar_max:
            super()._step_grads(group)
            return
        state_of = self.state
        hypers = rest = None   # the general path finds its own hyperparameters
        for p in params:
            grad = p.grad
            if grad is None:
                continue
            data, grad = p.data, grad.data
            state = state_of.get(p)
            if data.ndim or state is None or grad.dtype is not data.dtype:
                if rest is None:
                    rest = []
                rest.append(p)
                continue
            if hypers is None:
                hypers = self._hypers(group)
            self._update_scalar(data, grad, state, hypers[data.dtype])
        if rest:
            self._step_group(group, rest, [p.grad.data for p in rest])

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict,
                hyper: SimpleNamespace) -> None:
        if not param.ndim:
            self._update_scalar(param, grad, state, hyper)
            return
        state["step"] += 1
        t = state["step"]
        if hyper.shrink is not None:  # AdamW: decay the weights, not the gradient
            param *= hyper.shrink
        g = effective_grad(param, grad, hyper.weight_decay, hyper.maximize)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        b1, one_minus_b1, b2, one_minus_b2 = hyper.betas
        # Ufuncs called with their output, not in-place operators (m *= ...), which take a
        # slower path: on a bucket of small parameters the calls are the whole cost.
        scratch = np.multiply(g, one_minus_b1, self._scratch.views[param.dtype, param.shape])
        np.multiply(m, b1, m)
        np.add(m, scratch, m)
        np.multiply(g, g, scratch)
        np.multiply(scratch, one_minus_b2, scratch)
        np.multiply(v, b2, v)
        np.add(v, scratch, v)
        if hyper.amsgrad:
            v_max = state.get("max_exp_avg_sq")
            if v_max is None:  # amsgrad switched on after the first step
                v_max = state["max_exp_avg_sq"] = np.zeros_like(param)
            np.maximum(v_max, v, out=v_max)
            v = v_max
        if hyper.t != t:
            self._bias_correct(hyper, t)
        np.sqrt(v, scratch)
        np.add(scratch, hyper.eps_hat, scratch)
        np.divide(m, scratch, scratch)
        np.multiply(scratch, hyper.step_size, scratch)
        np.subtract(param, scratch, param)

    def _update_scalar(self, param: np.ndarray, grad: np.ndarray, state: dict,
                       hyper: SimpleNamespace) -> None:
        """``_update`` for a 0-d parameter: the same operations, in the same order, on NumPy
        scalars of the parameter's dtype, so the same bits (``tests/test_optim_flat.py``
        checks), for a tenth of the cost of ufunc calls on 0-d arrays."""
        t = state["step"] = state["step"] + 1
        p = param[()]
        g = grad[()]
        if not hyper.plain:
            if hyper.shrink is not None:
                p = p * hyper.shrink[()]
            if hyper.maximize:
                g = -g
            if hyper.weight_decay is not None:
                g = p * hyper.weight_decay[()] + g
        b1, one_minus_b1, b2, one_minus_b2 = hyper.scalar_betas
        m_state, v_state = state["exp_avg"], state["exp_avg_sq"]
        m = m_state[()] * b1 + g * one_minus_b1
        v = v_state[()] * b2 + g * g * one_minus_b2
        m_state[()] = m
        v_state[()] = v
        if not hyper.plain and hyper.amsgrad:
            v_max = state.get("max_exp_avg_sq")
            if v_max is None:  # amsgrad switched on after the first step
                v_max = state["max_exp_avg_sq"] = np.zeros_like(param)
            v = v_max[()] = np.maximum(v_max[()], v)
        if hyper.t != t:
            self._bias_correct(hyper, t)
        eps_hat, step_size = hyper.scalar_bias
        param[()] = p - m / (np.sqrt(v) + eps_hat) * step_size

    @staticmethod
    def _bias_correct(hyper: SimpleNamespace, t: int) -> None:
        r"""Set ``hyper.eps_hat`` $= \epsilon c_2$ and ``hyper.step_size`` $= \gamma c_2 / c_1$
        for step ``t``, with $c_1 = 1-\beta_1^t$ and $c_2 = \sqrt{1-\beta_2^t}$; they are kept
        for the next parameter at the same step. (Both are written into ``hyper.bias``, of which
        they are views: the assignment rounds each to the dtype as ``hyper_array`` would;
        ``hyper.scalar_bias`` holds the same two as NumPy scalars.)

        Multiplying numerator and denominator of
        $\gamma \frac{m / c_1}{\sqrt{v} / c_2 + \epsilon}$ by $c_2$ gives
        $\frac{\gamma c_2}{c_1} \frac{m}{\sqrt{v} + \epsilon c_2}$: the same update, one
        pass over the parameter fewer (the form in Kingma & Ba's paper).
        """
        c2 = math.sqrt(1.0 - hyper.beta2 ** t)
        bias = hyper.bias
        bias[0] = hyper.eps * c2
        bias[1] = hyper.lr * c2 / (1.0 - hyper.beta1 ** t)
        hyper.scalar_bias = (bias[0], bias[1])   # the same two, as scalars for _update_scalar
        hyper.t = t


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter): the weights shrink by
    $\theta \leftarrow \theta(1 - \gamma\lambda)$ before the Adam step, and the decay never
    enters the moment estimates. Same arguments as ``Adam``; ``weight_decay`` defaults to 1e-2.
    """

    _decoupled = True

    def __init__(self, params: ParamsLike, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False,
                 maximize: bool = False) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
