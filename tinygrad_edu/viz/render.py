"""``render``: a drawing written to an SVG, PNG or PDF file by Graphviz's ``dot`` program.

The Python package ``graphviz`` only writes DOT text; the drawing itself is made by the ``dot``
executable, which a pip install does not bring. When it is missing we still write the DOT source
next to the requested file and say how to install Graphviz, rather than failing silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Optional, Union

import graphviz

from ..tensor import Tensor
from ..utils import atomic_write_bytes
from .draw import draw_graph

FORMATS = ("svg", "png", "pdf")
INSTALL_HINT = ("Install Graphviz (the Python package alone is not enough): "
                "Debian/Ubuntu `sudo apt-get install graphviz`, macOS `brew install graphviz`, "
                "conda `conda install -c conda-forge graphviz`, Windows: the installer from "
                "graphviz.org (add its bin folder to PATH).")


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz ``dot`` executable is not installed or not on PATH."""


def render(graph_or_tensor: Union[graphviz.Digraph, graphviz.Source, Tensor],
           path: Union[str, os.PathLike], format: Optional[str] = None) -> Path:
    """Write a drawing to ``path`` (atomically) and return the path.

    Args:
        graph_or_tensor: what ``draw_graph`` returned, or a tensor (drawn with the defaults).
        path: the file to write; its suffix (.svg, .png, .pdf) gives the format. A path without
            suffix gets ``.svg``. A ``.dot``/``.gv`` suffix writes the DOT source only.
        format: "svg", "png" or "pdf", overriding the suffix.

    Raises:
        GraphvizNotFoundError: ``dot`` is missing; the DOT source was written to
            ``path.with_suffix(".dot")`` all the same.
    """
    path = Path(path)
    graph = draw_graph(graph_or_tensor) if isinstance(graph_or_tensor, Tensor) else \
        graph_or_tensor
    if not hasattr(graph, "source"):
        raise TypeError(f"render: expected a graph from draw_graph or a Tensor, got "
                        f"{type(graph_or_tensor).__name__}")
    suffix = path.suffix.lower().lstrip(".")
    if format is None:
        if suffix in ("dot", "gv"):
            atomic_write_bytes(path, graph.source.encode("utf-8"))
            return path
        if not suffix:
            path, suffix = path.with_suffix(".svg"), "svg"
        format = suffix
    format = format.lower()
    if format not in FORMATS:
        raise ValueError(f"render: cannot write format {format!r} (from {path.name!r}); use a "
                         f"path ending in .svg, .png or .pdf, or format= one of {FORMATS}")
    if shutil.which("dot") is None:
        raise _not_found(graph, path)
    try:
        data = graph.pipe(format=format)
    except graphviz.ExecutableNotFound as error:
        raise _not_found(graph, path) from error
    except subprocess.CalledProcessError as error:
        dot_path = path.with_suffix(".dot")
        atomic_write_bytes(dot_path, graph.source.encode("utf-8"))
        detail = (error.stderr or b"").decode("utf-8", "replace").strip()
        raise RuntimeError(f"render: Graphviz `dot` failed to draw {path.name} ({detail}); "
                           f"the DOT source is in {dot_path}") from error
    atomic_write_bytes(path, data)
    return path


def _not_found(graph: graphviz.Digraph, path: Path) -> GraphvizNotFoundError:
    dot_path = path.with_suffix(".dot")
    atomic_write_bytes(dot_path, graph.source.encode("utf-8"))
    return GraphvizNotFoundError(
        f"render: the Graphviz executable `dot` was not found on PATH, so {path} could not be "
        f"drawn. The DOT source was written to {dot_path} instead (turn it into a picture later "
        f"with `dot -T{path.suffix.lstrip('.') or 'svg'} {dot_path.name} -o {path.name}`). "
        f"{INSTALL_HINT}")
