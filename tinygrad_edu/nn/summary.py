"""``Module.summary``: a table of each layer's output shape and parameter count."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Tuple

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

if TYPE_CHECKING:  # pragma: no cover
    from .module import Module


def _shape_of(output: Any) -> str:
    if isinstance(output, Tensor):
        return str(list(output.shape))
    if isinstance(output, (tuple, list)):
        return ", ".join(_shape_of(item) for item in output)
    return type(output).__name__


def summarize(model: "Module", input_shape: Tuple[int, ...], dtype: np.dtype) -> str:
    """Run ``model`` on zeros of ``input_shape`` and tabulate what each submodule produced."""
    rows: List[Tuple[str, str, int]] = []
    depth_of = {id(m): name.count(".") + 1 for name, m in model.named_modules() if name}
    handles = []
    for name, module in model.named_modules():
        if not name:
            continue

        def record(mod, inputs, output, name=name):
            label = "  " * (depth_of[id(mod)] - 1) + f"{name.rsplit('.', 1)[-1]} " \
                    f"({type(mod).__name__})"
            rows.append((label, _shape_of(output), mod.num_parameters()))

        handles.append(module.register_forward_hook(record))
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with no_grad():
            output = model(Tensor(np.zeros(input_shape, dtype=dtype)))
    finally:
        for handle in handles:
            handle.remove()
        for module, mode in modes:
            object.__setattr__(module, "training", mode)
    header = ("Layer (type)", "Output shape", "Param #")
    table = [header] + [(label, shape, f"{count:,}") for label, shape, count in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    width = sum(widths) + 4

    def line(row: Tuple[str, str, str]) -> str:
        return f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}"

    total = model.num_parameters()
    trainable = model.num_parameters(trainable_only=True)
    out = [f"{type(model).__name__} summary for input {list(input_shape)}", "=" * width,
           line(header), "-" * width]
    out += [line(row) for row in table[1:]]
    out += ["=" * width,
            f"Output shape: {_shape_of(output)}",
            f"Total params: {total:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}"]
    return "\n".join(out)
