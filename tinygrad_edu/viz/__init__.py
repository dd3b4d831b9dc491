"""Drawings of computation graphs with Graphviz.

``draw_graph(loss)`` returns a ``graphviz.Digraph`` (shown inline in Jupyter), ``to_dot`` its
DOT text, ``render(graph, "graph.svg")`` an SVG/PNG/PDF file. A ``GradientTape`` draws what it
recorded with ``tape.draw_graph()``. See docs/visualization.md for what each node style means.

Modules: ``trace`` walks the graph, ``labels`` writes escaped node labels, ``style`` holds the
colours and shapes, ``draw`` builds the Digraph, ``render`` runs Graphviz.
"""

from .draw import draw_graph, to_dot
from .render import GraphvizNotFoundError, render
from .trace import GraphTooLargeError

__all__ = ["draw_graph", "to_dot", "render", "GraphvizNotFoundError", "GraphTooLargeError"]
