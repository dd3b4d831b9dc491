"""Graph drawings: rendered with the real Graphviz and read back from the SVG.

Rendering tests need the ``dot`` executable (CI installs it); without it they are skipped with
a reason, while the DOT-only tests and the missing-Graphviz test still run.
"""

import re
import shutil
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import GradientTape, Tensor
from tinygrad_edu.viz import GraphvizNotFoundError, draw_graph, render, to_dot
from tinygrad_edu.viz import style

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="the Graphviz `dot` executable is not installed (apt-get install graphviz)")

SVG = "{http://www.w3.org/2000/svg}"


def read_svg(path):
    """(nodes, edges, clusters) of a Graphviz SVG: nodes title -> list of text lines, edges a
    list of "a->b" titles, clusters label -> bounding box (x0, y0, x1, y1)."""
    root = ET.parse(path).getroot()
    nodes, edges, clusters = {}, [], {}
    for g in root.iter(SVG + "g"):
        kind = g.get("class")
        title = g.find(SVG + "title").text if g.find(SVG + "title") is not None else None
        texts = ["".join(t.itertext()) for t in g.iter(SVG + "text")]
        if kind == "node":
            positions = [(float(t.get("x")), float(t.get("y"))) for t in g.iter(SVG + "text")]
            nodes[title] = dict(texts=texts, positions=positions, g=g)
        elif kind == "edge":
            edges.append(title)
        elif kind == "cluster":
            points = g.find(f"{SVG}path") if g.find(f"{SVG}polygon") is None else \
                g.find(f"{SVG}polygon")
            coords = [float(v) for v in re.findall(r"-?\d+\.?\d*", points.get("points")
                                                   or points.get("d"))]
            xs, ys = coords[0::2], coords[1::2]
            clusters[" ".join(texts)] = (min(xs), min(ys), max(xs), max(ys))
    return nodes, edges, clusters


def node_with(nodes, text):
    """The one node whose first text line is ``text``."""
    found = [n for n in nodes.values() if n["texts"] and n["texts"][0] == text]
    assert len(found) == 1, f"expected one node titled {text!r}, found {len(found)}"
    return found[0]


def fills(node):
    return {s.get("fill") for s in node["g"] if s.tag in (SVG + "ellipse", SVG + "polygon",
                                                           SVG + "path")}


def tanh_graph():
    w = Tensor([0.5, -1.0], requires_grad=True, name="w")
    x = Tensor([2.0, 3.0], name="x")
    b = Tensor([0.1, 0.2], requires_grad=True, name="b")
    y = (w * x + b).tanh()
    y.name = "y"
    return w, x, b, y


# --- structure ----------------------------------------------------------------------------------

@needs_dot
def test_tanh_graph_renders_expected_nodes_and_edges(tmp_path):
    w, x, b, y = tanh_graph()
    path = render(draw_graph(y), tmp_path / "tanh.svg")
    assert path == tmp_path / "tanh.svg"
    nodes, edges, _ = read_svg(path)
    titles = [n["texts"][0] for n in nodes.values()]
    assert sorted(t for t in titles if t in ("w", "x", "b", "y")) == ["b", "w", "x", "y"]
    assert sorted(t for t in titles if t in ("Mul", "Add", "Tanh")) == ["Add", "Mul", "Tanh"]
    tensors = [n for n in nodes if n.startswith("t")]
    ops = [n for n in nodes if n.startswith("op")]
    assert len(tensors) == 6 and len(ops) == 3   # 3 leaves, 2 intermediates, the output
    assert len(edges) == 8
    # Parameters, inputs, intermediates and the output are styled apart.
    assert fills(node_with(nodes, "w")) == fills(node_with(nodes, "b")) == \
        {style.TENSOR_STYLES["parameter"]["fillcolor"]}
    assert fills(node_with(nodes, "x")) == {style.TENSOR_STYLES["input"]["fillcolor"]}
    out = node_with(nodes, "y")
    assert len(list(out["g"].iter(SVG + "ellipse"))) == 2   # the double border
    unnamed = [n for t, n in nodes.items() if t.startswith("t") and n["texts"][0] == "(2,) float32"]
    assert len(unnamed) == 2
    assert all(fills(n) == {style.TENSOR_STYLES["intermediate"]["fillcolor"]} for n in unnamed)
    assert "(2,) float32" in node_with(nodes, "w")["texts"]


@needs_dot
def test_png_and_pdf_are_real_files(tmp_path):
    *_, y = tanh_graph()
    png = render(draw_graph(y), tmp_path / "g.png")
    pdf = render(draw_graph(y), tmp_path / "g.pdf")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:4] == b"%PDF"
    svg = render(y, tmp_path / "plain")             # a tensor, no suffix: SVG by default
    assert svg.suffix == ".svg" and b"<svg" in svg.read_bytes()
    forced = render(draw_graph(y), tmp_path / "x.img", format="png")
    assert forced.read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_render_formats_are_checked_and_dot_suffix_writes_source(tmp_path):
    *_, y = tanh_graph()
    with pytest.raises(ValueError, match=r"\.svg, \.png or \.pdf"):
        render(draw_graph(y), tmp_path / "g.bmp")
    out = render(draw_graph(y), tmp_path / "g.dot")
    assert out.read_text() == to_dot(y)
    with pytest.raises(TypeError, match="draw_graph or a Tensor"):
        render("digraph {}", tmp_path / "g.svg")


@needs_dot
def test_shared_subexpression_is_drawn_once(tmp_path):
    w = Tensor([1.5], requires_grad=True, name="w")
    x = Tensor([2.0], name="x")
    a = w * x
    a.name = "a"
    y = a * a + a
    nodes, edges, _ = read_svg(render(draw_graph(y), tmp_path / "dag.svg"))
    node_with(nodes, "a")          # exactly once
    assert sum(t.startswith("t") for t in nodes) == 5    # w, x, a, a*a, y
    assert sum(t.startswith("op") for t in nodes) == 3
    a_key = next(k for k, n in nodes.items() if n["texts"][0] == "a")
    assert sum(e.startswith(a_key + "->") for e in edges) == 3   # a*a takes it twice, + once
    assert len(edges) == 9


def test_constants_and_op_options_in_labels():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = Tensor([3.0, 4.0], requires_grad=True, name="y")
    loss = ((x + y - 16) ** 2 + (10 * x + 25 * y - 250) ** 2).sum()
    dot = to_dot(loss)
    assert dot.count("exponent=2") == 2          # the exponent is in the Pow label
    for constant in ("16", "10", "25", "250"):   # operands are small constant nodes
        assert re.search(rf"c\d+ \[label=<{constant}>", dot), constant
    m = Tensor(np.ones((3, 4)), requires_grad=True)
    dot = to_dot(m.sum(axis=1, keepdims=True).leaky_relu(0.2))
    assert "axis=1" in dot and "keepdims=True" in dot and "negative_slope=0.2" in dot
    dot = to_dot(m.clip(None, 0.5))
    assert "max=0.5" in dot and "min" not in dot and "None" not in dot
    dot = to_dot(m.sum())
    assert "keepdims" not in dot and "axis" not in dot    # defaults are left out
    big = Tensor(np.arange(200.0), requires_grad=True)
    dot = to_dot(big[np.arange(100) % 7])
    assert "index=array(100,) int64" in dot and "99" not in dot


def test_params_dict_names_tensors():
    weight = Tensor(np.ones((2, 2)), requires_grad=True, name="ignored")
    x = Tensor(np.ones((3, 2)))
    dot = to_dot((x @ weight).sum(), params={"fc.weight": weight})
    assert "fc.weight" in dot and "ignored" not in dot
    dot = to_dot((x @ weight).sum(), params=[("w", weight)])   # (name, tensor) pairs work too
    assert "<b>w</b>" in dot
    with pytest.raises(TypeError, match="params"):
        to_dot(x @ weight, params={"w": 3.0})


# --- clusters -----------------------------------------------------------------------------------

def _encoder_model():
    tg.manual_seed(0)
    params = {
        "encoder.layer1.weight": tg.randn(4, 3, requires_grad=True),
        "encoder.layer1.bias": tg.zeros(4, requires_grad=True),
        "encoder.layer2.weight": tg.randn(4, 4, requires_grad=True),
        "head.weight": tg.randn(2, 4, requires_grad=True),
    }
    x = tg.randn(5, 3)
    h = (x @ params["encoder.layer1.weight"].T + params["encoder.layer1.bias"]).sigmoid()
    h = (h @ params["encoder.layer2.weight"].T).sigmoid()
    loss = (h @ params["head.weight"].T).mean()
    return params, loss


def _inside(box, point):
    x0, y0, x1, y1 = box
    return x0 <= point[0] <= x1 and y0 <= point[1] <= y1


@needs_dot
def test_clusters_follow_module_names(tmp_path):
    params, loss = _encoder_model()
    nodes, _, clusters = read_svg(render(draw_graph(loss, params=params), tmp_path / "m.svg"))
    assert set(clusters) == {"encoder", "encoder.layer1", "encoder.layer2", "head"}
    w1 = node_with(nodes, "encoder.layer1.weight")["positions"][0]
    w2 = node_with(nodes, "encoder.layer2.weight")["positions"][0]
    head = node_with(nodes, "head.weight")["positions"][0]
    assert _inside(clusters["encoder.layer1"], w1) and _inside(clusters["encoder"], w1)
    assert not _inside(clusters["encoder.layer2"], w1)
    assert _inside(clusters["encoder.layer2"], w2) and _inside(clusters["encoder"], w2)
    assert _inside(clusters["head"], head) and not _inside(clusters["encoder"], head)
    # The layer's own ops sit in its box; the activation between layers does not.
    sigmoids = [n for n in nodes.values() if n["texts"][0] == "Sigmoid"]
    assert sigmoids and not any(_inside(b, s["positions"][0]) for s in sigmoids
                                for b in clusters.values())
    matmuls = [n["positions"][0] for n in nodes.values() if n["texts"][0] == "MatMul"]
    assert any(_inside(clusters["encoder.layer1"], p) for p in matmuls)


def test_no_clusters_without_dotted_names():
    params, loss = _encoder_model()
    assert "subgraph" not in to_dot(loss)
    flat = {k.replace(".", "_"): v for k, v in params.items()}
    assert "subgraph" not in to_dot(loss, params=flat)


# --- values and gradients -----------------------------------------------------------------------

def test_values_are_shown_small_or_summarized():
    small = Tensor([0.5, -1.0], requires_grad=True, name="small")
    big = Tensor(np.linspace(-2, 2, 1000), requires_grad=True, name="big")
    dot = to_dot((small * 2).sum() + big.sum(), show_values=True)
    assert "value [0.5, -1]" in dot
    assert "value mean 0  min -2  max 2" in dot
    assert "-1.996" not in dot                    # no dump of the 1000 values
    assert "value" not in to_dot(big.sum())


@needs_dot
def test_gradient_annotations_only_after_backward(tmp_path):
    params, loss = _encoder_model()
    before = to_dot(loss, params=params, show_grads=True)
    assert "mean |grad|" not in before and "legend" not in before
    loss.backward()
    after_path = render(draw_graph(loss, params=params, show_grads=True), tmp_path / "g.svg")
    nodes, _, _ = read_svg(after_path)
    for name, p in params.items():
        node = node_with(nodes, name)
        expected = float(np.mean(np.abs(p.grad.data)))
        line = next(t for t in node["texts"] if t.startswith("mean |grad|"))
        assert float(line.split()[-1]) == pytest.approx(expected, rel=1e-3)
        assert fills(node) == {style.grad_color(expected)[0]}
    assert "legend" in nodes
    # Without show_grads, after backward, nothing about gradients is drawn.
    assert "grad" not in to_dot(loss, params=params)


def test_gradient_colour_scale_is_monotone_and_fixed():
    magnitudes = [1e-9, 3e-7, 2e-6, 5e-5, 4e-4, 3e-3, 2e-2, 0.5, 7.0]
    bins = [style.grad_bin(m) for m in magnitudes]
    assert bins == sorted(bins) and bins[0] == 0 and bins[-1] == len(style.grad_bins()) - 1
    assert len(set(style.grad_color(m)[0] for m in magnitudes)) == len(magnitudes)
    assert style.grad_color(0.0)[0] == style.ZERO_GRAD_COLOR
    assert style.grad_color(float("nan"))[0] == style.BAD_GRAD_COLOR


def test_vanishing_gradient_is_visible_in_colours():
    """A deep sigmoid net's first layer lands in a paler bin than a ReLU net's."""
    def first_layer_magnitude(activation):
        tg.manual_seed(1)
        layers = [tg.randn(16, 16, requires_grad=True) * 1.0 for _ in range(6)]
        weights = [Tensor(w.data / 4.0, requires_grad=True, name=f"{i}.weight")
                   for i, w in enumerate(layers)]
        h = tg.randn(8, 16)
        for w in weights:
            h = getattr(h @ w, activation)()
        h.sum().backward()
        dot = to_dot(h, params={w.name: w for w in weights}, show_grads=True)
        return float(np.mean(np.abs(weights[0].grad.data))), dot

    sig, sig_dot = first_layer_magnitude("sigmoid")
    relu, _ = first_layer_magnitude("relu")
    assert style.grad_bin(sig) < style.grad_bin(relu)
    assert style.grad_color(sig)[0] in sig_dot


# --- robustness ---------------------------------------------------------------------------------

HOSTILE = ['quote " and \' here', "braces {a|b} <port>", "tag <b>bold</b> & &amp;",
           "line\nbreak\ttab\x00nul", "back\\slash\\", "x" * 500, "]; node [shape=box"]


@needs_dot
def test_hostile_labels_render_valid_svg(tmp_path):
    leaves = [Tensor([float(i)], requires_grad=True, name=name) for i, name in enumerate(HOSTILE)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total + leaf
    total.name = "<out>&\"{}|"
    params = {"mod<1>.\"q\".weight": leaves[0]}
    graph = draw_graph(total, params=params, show_values=True)
    path = render(graph, tmp_path / "hostile.svg")
    nodes, edges, clusters = read_svg(path)          # parses: the XML is valid
    titles = [n["texts"][0] for n in nodes.values()]
    assert "braces {a|b} <port>" in titles and "tag <b>bold</b> & &amp;" in titles
    assert "line\\nbreak\\ttab\\x00nul" in titles
    assert "back\\slash\\" in titles and "]; node [shape=box" in titles
    assert "<out>&\"{}|" in titles and "mod<1>.\"q\".weight" in titles
    long = [t for t in titles if t.startswith("xxx")]
    assert len(long) == 1 and len(long[0]) <= 40 and "\u2026" in long[0]
    assert set(clusters) == {"mod<1>", "mod<1>.\"q\""}     # nested, as dotted names are
    assert len(edges) == 2 * (len(HOSTILE) - 1) + len(HOSTILE) - 1


def test_max_nodes_refuses_big_graphs_with_advice():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(2000):
        y = y * 1.0001
    with pytest.raises(ValueError, match=r"max_nodes=100 .*larger max_nodes.*smaller part"):
        draw_graph(y, max_nodes=100)
    with pytest.raises(ValueError, match="max_nodes"):
        to_dot(y)                                  # the default, 500
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        to_dot(y, max_nodes=0)


def test_max_nodes_stops_counting_early(monkeypatch):
    """The walk raises on reaching the limit, not after visiting the whole graph."""
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3000):
        y = y + 1.0
    visited = []
    from tinygrad_edu.viz import trace as trace_module
    original = trace_module.OpItem

    def counting(*args, **kwargs):
        visited.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(trace_module, "OpItem", counting)
    with pytest.raises(ValueError):
        to_dot(y, max_nodes=50)
    assert len(visited) <= 50


def test_ten_thousand_op_chain_without_recursion():
    x = Tensor([1.0], requires_grad=True, name="x")
    y = x
    for _ in range(10_000):
        y = y.tanh()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)   # any recursion over the graph would fail at once
    try:
        dot = to_dot(y, max_nodes=25_000)
    finally:
        sys.setrecursionlimit(limit)
    assert dot.count("->") == 20_000
    assert dot.count("<b>Tanh</b>") == 10_000


def test_bad_arguments_are_named():
    *_, y = tanh_graph()
    with pytest.raises(TypeError, match="expected Tensors"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="at least one tensor"):
        draw_graph()
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(y, rankdir="sideways")
    assert "rankdir=LR" in to_dot(y, rankdir="LR")
    assert to_dot([y]) == to_dot(y)


# --- a missing Graphviz -------------------------------------------------------------------------

def test_missing_dot_raises_and_writes_dot_file(tmp_path, monkeypatch):
    *_, y = tanh_graph()
    graph = draw_graph(y)
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    target = tmp_path / "out" / "graph.png"
    with pytest.raises(GraphvizNotFoundError) as info:
        render(graph, target)
    assert isinstance(info.value, RuntimeError)
    message = str(info.value)
    for needle in ("`dot`", "apt-get install graphviz", "brew install graphviz",
                   "conda install -c conda-forge graphviz", str(target.with_suffix(".dot"))):
        assert needle in message
    assert target.with_suffix(".dot").read_text() == graph.source
    assert not target.exists()


# --- GradientTape and Jupyter -------------------------------------------------------------------

def test_tape_draws_what_it_recorded():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    before = a * 3                     # outside the block: a constant to the tape
    before.name = "before"
    with GradientTape(persistent=True) as tape:
        z = (before + a) ** 2
        z.name = "z"
    dot = tape.draw_graph()
    assert "<b>z</b>" in dot.source and "<b>before</b>" in dot.source
    assert "Mul" not in dot.source      # the op before the block is not the tape's
    assert tape.draw_graph(z, show_values=True).source.count("value") == 4
    tape.gradient(z, [a])
    assert "<b>z</b>" in tape.draw_graph().source    # persistent: still there


def test_tape_freed_outputs_and_forgetful_tapes():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    with GradientTape() as tape:
        a * 3                          # the result is dropped at once
        z = (a @ Tensor(np.ones((2, 3)))).sum()
    dot = tape.draw_graph().source
    assert "(freed)" in dot and "(2,)" in dot   # its shape is still worked out
    tape.gradient(z, [a])
    with pytest.raises(ValueError, match=r"persistent=True"):
        tape.draw_graph()
    with pytest.raises(TypeError, match="unexpected keyword"):
        GradientTape().draw_graph(colour="red")


@needs_dot
def test_jupyter_shows_svg():
    *_, y = tanh_graph()
    bundle = draw_graph(y)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_drawings_are_reproducible_across_processes(tmp_path):
    """Cluster order must not depend on string hashing, or committed SVGs churn on every run."""
    import subprocess
    import os
    script = ("import tinygrad_edu as tg, sys; sys.path.insert(0, %r); "
              "from test_viz import _encoder_model; from tinygrad_edu.viz import to_dot; "
              "params, loss = _encoder_model(); print(to_dot(loss, params=params))"
              % os.path.dirname(__file__))
    outputs = []
    for seed in ("1", "2", "3", "4"):
        env = dict(os.environ, PYTHONHASHSEED=seed,
                   PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(__file__)),
                                               os.environ.get("PYTHONPATH", "")]))
        outputs.append(subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                      capture_output=True, text=True).stdout)
    assert all(out == outputs[0] for out in outputs) and "cluster" in outputs[0]


def test_user_defined_function_is_drawn_by_its_name():
    from tinygrad_edu.autograd import Function

    class ScaleBy(Function):
        @staticmethod
        def forward(ctx, a, factor, unused):
            return a * factor

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.inputs[1], None, None

    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    dot = to_dot(ScaleBy.apply(a, 3.5, None))
    assert "<b>ScaleBy</b>" in dot and "Backward" not in dot
    assert re.search(r"c0 \[label=<3.5>", dot) and "None" not in dot
