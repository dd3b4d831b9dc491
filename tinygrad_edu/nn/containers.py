"""Modules that hold other modules: ``Sequential`` runs them in order, ``ModuleList`` just
registers them (so their parameters are found) and lets ``forward`` decide."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, Union

from .module import Module

_MODULE_CALL = Module.__call__


class Sequential(Module):
    """Feeds the input through each module in turn: ``Sequential(Linear(4, 8), ReLU())``, or
    with names: ``Sequential(OrderedDict([("fc", Linear(4, 8)), ("act", ReLU())]))``."""

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            # module(x), minus Module.__call__ when all it would do is call forward (no forward
            # hooks, __call__ not redefined): its star-arguments cost about 1% of a small
            # model's training step.
            if module._forward_hooks or type(module).__call__ is not _MODULE_CALL:
                x = module(x)
            else:
                x = module.forward(x)
        return x

    def __getitem__(self, index: Union[int, slice]) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_checked_index(index, len(items), "Sequential")][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters the parent finds (a plain Python list would hide
    them from ``parameters()`` and ``state_dict()``)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> "ModuleList":
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index: Union[int, slice]) -> Any:
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[_checked_index(index, len(values), "ModuleList")]

    def __setitem__(self, index: int, module: Module) -> None:
        index = _checked_index(index, len(self._modules), "ModuleList")
        self.add_module(str(index), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward: iterate over it in your own "
                                  "module's forward (or use Sequential)")


def _checked_index(index: int, length: int, kind: str) -> int:
    if not -length <= index < length:
        raise IndexError(f"{kind}: index {index} is out of range for {length} modules")
    return index % length
