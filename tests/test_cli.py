"""The ``tinygrad-edu`` command, run as a user runs it: in a subprocess, from a scratch folder.

Each test checks the exit status, what is printed, and the files written; errors must be one
``tinygrad-edu: error:`` line (plus a caret line for equations), never a traceback.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu.cli.demo import linear_system
from tinygrad_edu.cli.svg_chart import Panel, chart_svg, nice_ticks

REPO = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
HAVE_DOT = shutil.which("dot") is not None


def run_cli(args, cwd, stdin="", pythonpath=(), path=None, timeout=120):
    """Run ``python -m tinygrad_edu *args`` in ``cwd``; returns the CompletedProcess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, pythonpath), str(REPO)])
    if path is not None:
        env["PATH"] = str(path)
    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *args], cwd=cwd, input=stdin,
                          capture_output=True, text=True, env=env, timeout=timeout)


def assert_error(proc, code, *fragments):
    """Exit status ``code``, no traceback, and an error line saying each fragment."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tinygrad-edu") and "error:" in lines[0], proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, (fragment, proc.stderr)


@pytest.fixture
def no_matplotlib(tmp_path):
    """A folder to put first on PYTHONPATH so that ``import matplotlib`` fails, as it does
    after a plain ``pip install`` (matplotlib is an optional extra)."""
    fake = tmp_path / "hide_matplotlib"
    (fake / "matplotlib").mkdir(parents=True)
    (fake / "matplotlib" / "__init__.py").write_text(
        "raise ImportError('matplotlib is hidden by the test')\n")
    return fake


@pytest.fixture
def no_dot(tmp_path):
    """A PATH without Graphviz's ``dot``."""
    empty = tmp_path / "empty_path"
    empty.mkdir()
    return empty


def parse_svg(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    return root


# --- the command itself -------------------------------------------------------------------------

def test_version_and_help(tmp_path):
    proc = run_cli(["--version"], tmp_path)
    assert proc.returncode == 0 and re.fullmatch(r"tinygrad-edu \d+\.\d+\.\d+\s*", proc.stdout)
    for command in ("solve", "graph", "train", "demo"):
        proc = run_cli([command, "--help"], tmp_path)
        assert proc.returncode == 0 and proc.stdout.startswith(f"usage: tinygrad-edu {command}")


def test_no_command_is_a_usage_error(tmp_path):
    proc = run_cli([], tmp_path)
    assert proc.returncode == 2 and "usage: tinygrad-edu" in proc.stderr


def test_unknown_option_is_a_usage_error(tmp_path):
    assert_error(run_cli(["solve", "x = 1", "--bogus"], tmp_path), 2, "--bogus")


# --- solve --------------------------------------------------------------------------------------

def test_solve_json(tmp_path):
    proc = run_cli(["solve", "x + y = 16", "10x + 25y = 250", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["values"]["x"] == pytest.approx(10, abs=1e-9)
    assert out["values"]["y"] == pytest.approx(6, abs=1e-9)
    assert out["variables"] == ["x", "y"]
    assert out["exact"] is True and out["unique"] is True and out["converged"] is True
    assert out["method"] == "lm" and out["loss_history"][-1] < 1e-16


def test_solve_human_output(tmp_path):
    proc = run_cli(["solve", "x + y = 16", "10x + 25y = 250", "--method", "gauss-newton",
                    "--initial", "x=1", "y=2"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^x = 10$", proc.stdout, re.M) and re.search(r"^y = 6$", proc.stdout, re.M)
    assert re.search(r"^exact\s+yes$", proc.stdout, re.M)
    assert "(gauss-newton)" in proc.stdout


def test_solve_inconsistent_system_says_not_exact(tmp_path):
    proc = run_cli(["solve", "x + y = 1", "x + y = 2"], tmp_path)
    assert proc.returncode == 0
    assert re.search(r"^exact\s+no$", proc.stdout, re.M)
    assert "least-squares solution" in proc.stdout


def test_solve_bad_equation_shows_a_caret(tmp_path):
    proc = run_cli(["solve", "x + y = 16", "10x + * 25y = 250"], tmp_path)
    assert_error(proc, 2, "equation 2", "column 7")
    lines = proc.stderr.splitlines()
    assert lines[1].strip() == "10x + * 25y = 250"
    assert lines[2].index("^") == lines[1].index("*")


def test_solve_from_file_with_comments(tmp_path):
    (tmp_path / "eqs.txt").write_text("# two unknowns\n2x + 3y = 9   # first\n\nx - y = 2\n")
    proc = run_cli(["solve", "--file", "eqs.txt", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    values = json.loads(proc.stdout)["values"]
    assert values == pytest.approx({"x": 3.0, "y": 1.0}, abs=1e-9)


def test_solve_file_error_names_the_line(tmp_path):
    (tmp_path / "eqs.txt").write_text("x + y = 1\n# comment\nx - = 2\n")
    assert_error(run_cli(["solve", "-f", "eqs.txt"], tmp_path), 2, "eqs.txt, line 3", "^")


def test_solve_missing_file(tmp_path):
    assert_error(run_cli(["solve", "--file", "nope.txt"], tmp_path), 1, "nope.txt",
                 "no such file")


def test_solve_from_stdin(tmp_path):
    proc = run_cli(["solve", "--json"], tmp_path, stdin="x + y = 16\n10x + 25y = 250\n")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["values"] == pytest.approx({"x": 10, "y": 6}, abs=1e-9)
    # '-' mixes standard input with arguments; ';' separates equations on a line
    proc = run_cli(["solve", "-", "10x + 25y = 250", "--json"], tmp_path, stdin="x + y = 16;")
    assert json.loads(proc.stdout)["values"] == pytest.approx({"x": 10, "y": 6}, abs=1e-9)


def test_solve_without_equations(tmp_path):
    assert_error(run_cli(["solve"], tmp_path, stdin=""), 2, "no equations")


@pytest.mark.parametrize("initial, fragment", [(["z=1"], "z"), (["x"], "NAME=VALUE"),
                                               (["x=abc"], "not a number")])
def test_solve_bad_initial(tmp_path, initial, fragment):
    proc = run_cli(["solve", "x + y = 16", "x - y = 4", "--initial", *initial], tmp_path)
    assert_error(proc, 2, "--initial", fragment)


def test_solve_bad_method(tmp_path):
    assert_error(run_cli(["solve", "x = 1", "--method", "newton"], tmp_path), 2,
                 "invalid choice")


def test_solve_plot_svg_without_matplotlib(tmp_path, no_matplotlib):
    proc = run_cli(["solve", "x + y = 16", "10x + 25y = 250", "--plot", "plots/loss.svg"],
                   tmp_path, pythonpath=[no_matplotlib])
    assert proc.returncode == 0, proc.stderr
    root = parse_svg(tmp_path / "plots" / "loss.svg")
    assert len(list(root.iter(SVG + "polyline"))) == 1
    # a PNG needs matplotlib: a clear error saying how to get it
    proc = run_cli(["solve", "x = 1", "--plot", "loss.png"], tmp_path,
                   pythonpath=[no_matplotlib])
    assert_error(proc, 1, "matplotlib", "pip install")
    assert not (tmp_path / "loss.png").exists()


# --- graph --------------------------------------------------------------------------------------

def neuron_reference():
    w, x, b = 0.5, 2.0, 0.1
    y = math.tanh(w * x + b)
    d = 1 - y * y
    return y, {"w": d * x, "x": d * w, "b": d}


def test_graph_writes_svg_with_values_and_gradients(tmp_path):
    proc = run_cli(["graph", "tanh(w*x + b)", "--set", "w=0.5", "x=2", "b=0.1", "-o",
                    "out/neuron.svg"], tmp_path)
    y, grads = neuron_reference()
    if not HAVE_DOT:
        assert_error(proc, 1, "Graphviz")
        assert (tmp_path / "out" / "neuron.dot").read_text().startswith("digraph")
        return
    assert proc.returncode == 0, proc.stderr
    root = parse_svg(tmp_path / "out" / "neuron.svg")
    texts = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    for name in ("w", "x", "b", "tanh"):
        assert re.search(rf"\b{name}\b", texts), name
    assert "grad" in texts
    assert "wrote out/neuron.svg" in proc.stdout
    value = float(re.search(r"= (\S+)", proc.stdout.splitlines()[1]).group(1))
    assert value == pytest.approx(y, rel=1e-5)
    for name, expected in grads.items():
        got = float(re.search(rf"d/d{name}\s*= (\S+)", proc.stdout).group(1))
        assert got == pytest.approx(expected, rel=1e-5)


def test_graph_unset_variables(tmp_path):
    proc = run_cli(["graph", "tanh(w*x + b)", "--set", "w=0.5"], tmp_path)
    assert_error(proc, 2, "no value for x, b", "--set x=... b=...")
    assert not list(tmp_path.iterdir())


def test_graph_unused_value_and_bad_expression(tmp_path):
    assert_error(run_cli(["graph", "w*x", "--set", "w=1", "x=2", "q=3"], tmp_path), 2, "q")
    assert_error(run_cli(["graph", "w*(x", "--set", "w=1", "x=2"], tmp_path), 2, "missing ')'")


def test_graph_without_graphviz_writes_dot_and_says_how_to_install(tmp_path, no_dot):
    proc = run_cli(["graph", "w*x", "--set", "w=1", "x=2", "-o", "g.png"], tmp_path,
                   path=no_dot)
    assert_error(proc, 1, "dot", "apt-get install graphviz", "g.dot")
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert not (tmp_path / "g.png").exists()


def test_graph_dot_format_and_vectors(tmp_path, no_dot):
    proc = run_cli(["graph", "sin(w) * x", "--set", "w=0.1,0.2", "x=2", "--format", "dot",
                    "--no-grads"], tmp_path, path=no_dot)
    assert proc.returncode == 0, proc.stderr
    assert "wrote graph.dot" in proc.stdout and "gradients" not in proc.stdout
    assert "digraph" in (tmp_path / "graph.dot").read_text()


# --- train --------------------------------------------------------------------------------------

def test_train_iris(tmp_path, no_matplotlib):
    proc = run_cli(["train", "iris", "--epochs", "3", "--seed", "1", "--plot", "curves.svg",
                    "--save", "model.npz"], tmp_path, pythonpath=[no_matplotlib])
    assert proc.returncode == 0, proc.stderr
    accuracy = float(re.search(r"test accuracy: ([\d.]+)% \((\d+)/30", proc.stdout).group(1))
    assert 0 <= accuracy <= 100
    assert "Training on iris" in proc.stderr          # the progress bar
    root = parse_svg(tmp_path / "curves.svg")
    assert len(list(root.iter(SVG + "polyline"))) == 4  # loss and accuracy, train and held-out
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        assert "__structure__" in archive.files


def test_train_unknown_dataset(tmp_path):
    assert_error(run_cli(["train", "cifar"], tmp_path), 2, "invalid choice", "iris")


def test_train_mnist_missing_files(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = run_cli(["train", "mnist", "--data-dir", "empty", "--no-download"], tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("tinygrad-edu: error: MNIST: cannot load")
    assert "train-images-idx3-ubyte.gz" in proc.stderr


def test_train_bad_numbers(tmp_path):
    assert_error(run_cli(["train", "iris", "--epochs", "0"], tmp_path), 2, "--epochs")
    assert_error(run_cli(["train", "iris", "--lr", "-1"], tmp_path), 2, "--lr")


# --- demo ---------------------------------------------------------------------------------------

def _demo_files(stdout: str) -> list:
    listing = stdout.split("Output folder:")[1].splitlines()[1:]
    return [line.split()[0] for line in listing if line.strip()]


def test_demo(tmp_path):
    proc = run_cli(["demo", "--out", "tour"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "tour"
    assert f"Output folder: {out.resolve()}" in proc.stdout
    # the three systems beside numpy
    assert proc.stdout.count("|difference|") == 3
    diff = float(re.search(r"largest difference from NumPy: (\S+)", proc.stdout).group(1))
    assert diff < 1e-9
    assert re.search(r"held-out accuracy: [\d.]+% \(\d+/30 flowers\)", proc.stdout)
    assert "Training on iris" in proc.stderr
    graphs = ["neuron.svg", "iris_loss.svg"] if HAVE_DOT else ["neuron.dot", "iris_loss.dot"]
    expected = graphs + ["loss_curve.svg", "training_curves.png"]
    assert _demo_files(proc.stdout) == expected
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    for name in expected:
        if name.endswith(".svg"):
            parse_svg(out / name)
    if HAVE_DOT:
        texts = " ".join(t.text or "" for t in parse_svg(out / "iris_loss.svg").iter(SVG + "text"))
        assert "fc1" in texts and "fc2" in texts and "mean |grad|" in texts
    assert (out / "training_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_with_runtime_dependencies_only(tmp_path, no_matplotlib, no_dot):
    """No Graphviz program, no matplotlib: still a full run, with notes on what to install."""
    proc = run_cli(["demo", "--out", "tour", "--epochs", "5", "--no-progress"], tmp_path,
                   pythonpath=[no_matplotlib], path=no_dot)
    assert proc.returncode == 0, proc.stderr
    assert _demo_files(proc.stdout) == ["neuron.dot", "iris_loss.dot", "loss_curve.svg"]
    assert "apt-get install graphviz" in proc.stdout and "matplotlib" in proc.stdout
    for name in ("neuron.dot", "iris_loss.dot"):
        assert (tmp_path / "tour" / name).read_text().startswith("digraph")
    parse_svg(tmp_path / "tour" / "loss_curve.svg")


# --- helpers, in process ------------------------------------------------------------------------

def test_nice_ticks():
    assert nice_ticks(0, 1) == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(1, 60) == [20, 40, 60]
    assert nice_ticks(-3, 97) == [0, 20, 40, 60, 80]
    assert nice_ticks(3, 3) == [3]


def test_chart_svg_is_xml_and_skips_bad_values():
    svg = chart_svg([Panel("loss <&>", {"train": [1.0, float("nan"), 0.5, 0.0]}, log_y=True),
                     Panel("flat", {"a": [2.0, 2.0]}), Panel("empty", {"a": []})])
    root = ET.fromstring(svg)
    polylines = list(root.iter(SVG + "polyline"))
    assert len(polylines) == 2                 # the empty panel has none
    points = polylines[0].get("points").split()
    assert len(points) == 2                    # nan and 0 (on a log axis) are left out
    assert "loss <&>" in [t.text for t in root.iter(SVG + "text")]


def test_linear_system_reads_coefficients():
    a, b, names = linear_system(["2x + 2 - (x - y) = 0", "3x + 2y = 0"])
    assert names == ["x", "y"]
    np.testing.assert_allclose(a, [[1, 1], [3, 2]])
    np.testing.assert_allclose(b, [-2, 0])
    with pytest.raises(ValueError, match="not linear"):
        linear_system(["x*y = 1", "x = 2"])
