"""save / load: round trips of nested state, no pickle, and atomic writes."""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu import serialization
from tinygrad_edu.serialization import load, save


def make_model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def test_model_state_round_trip(tmp_path):
    tg.manual_seed(0)
    model = make_model()
    model(tg.randn(5, 3))  # non-trivial running statistics
    path = tmp_path / "model.npz"
    save(model.state_dict(), path)
    loaded = load(path)
    assert list(loaded) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert isinstance(loaded[key], tg.Tensor)
        assert loaded[key].dtype == value.dtype and loaded[key].shape == value.shape
        np.testing.assert_array_equal(loaded[key].data, value.data)
    tg.manual_seed(1)
    fresh = make_model()
    fresh.load_state_dict(loaded)
    x = tg.randn(2, 3)
    np.testing.assert_array_equal(fresh.eval()(x).data, model.eval()(x).data)


def test_nested_optimizer_like_state_round_trip(tmp_path):
    state = {
        "model": OrderedDict(w=tg.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3),
                                         requires_grad=True)),
        "optimizer": {
            "state": {0: {"step": 7, "exp_avg": np.ones(3, np.float32),
                          "max": np.float64(2.5)},
                      1: {"momentum_buffer": None}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1],
                              "nesterov": False, "name": "head", "eps": float("inf")}],
        },
        "epoch": 3, "history": [0.5, 0.25], "flags": np.array([True, False]),
        "labels": np.array(["cat", "dog"]),
    }
    path = tmp_path / "checkpoint.npz"
    save(state, str(path))
    loaded = load(str(path))
    assert loaded["model"]["w"].requires_grad
    np.testing.assert_array_equal(loaded["model"]["w"].data, state["model"]["w"].data)
    opt = loaded["optimizer"]
    assert list(opt["state"]) == [0, 1]  # int keys stay ints
    assert opt["state"][0]["step"] == 7 and isinstance(opt["state"][0]["step"], int)
    assert isinstance(opt["state"][0]["exp_avg"], np.ndarray)
    assert opt["state"][0]["max"] == 2.5 and opt["state"][0]["max"].dtype == np.float64
    assert opt["state"][1]["momentum_buffer"] is None
    group = opt["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and isinstance(group["betas"], tuple)
    assert group["params"] == [0, 1] and group["name"] == "head"
    assert group["eps"] == float("inf") and group["nesterov"] is False
    assert loaded["epoch"] == 3 and loaded["history"] == [0.5, 0.25]
    assert loaded["flags"].dtype == np.bool_ and loaded["labels"].tolist() == ["cat", "dog"]


def test_files_contain_no_pickle(tmp_path):
    path = tmp_path / "m.npz"
    save({"w": tg.ones(2), "meta": {"name": "x"}}, path)
    with np.load(path, allow_pickle=False) as archive:  # every entry reads without pickle
        for name in archive.files:
            assert archive[name].dtype != object
    with zipfile.ZipFile(path) as archive:
        assert all(name.endswith(".npy") for name in archive.namelist())
    with pytest.raises(TypeError, match=r"obj\['bad'\] is an array of dtype object"):
        save({"bad": np.array([{"a": 1}], dtype=object)}, path)
    with pytest.raises(TypeError, match=r"obj\['fn'\] is a function"):
        save({"fn": lambda: 0}, path)
    with pytest.raises(TypeError, match="keys must be"):
        save({(1, 2): 3}, path)
    # A pickled .npz written by someone else is refused, not executed.
    evil = tmp_path / "evil.npz"
    structure = '{"format": "tinygrad_edu.save/1", "root": {"ndarray": "a0"}}'
    np.savez(evil, __structure__=np.array(structure), a0=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        load(evil)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(2))
    with pytest.raises(ValueError, match="not written by tinygrad_edu.save"):
        load(plain)


def test_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save({"w": tg.ones(3)}, path)
    original = path.read_bytes()

    def crash_midway(file, arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "_write_archive", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        save({"w": tg.zeros(1000)}, path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["model.npz"]  # the temporary file was removed
    np.testing.assert_array_equal(load(path)["w"].data, 1)


def test_unsaveable_value_writes_nothing(tmp_path):
    path = tmp_path / "model.npz"
    save({"w": tg.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        save({"w": tg.zeros(3), "obj": object()}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]


def test_overwrite_and_path_kept_as_given(tmp_path):
    path = tmp_path / "weights.bin"
    save([1, 2], path)
    save({"a": None}, path)
    assert load(path) == {"a": None}
    assert os.listdir(tmp_path) == ["weights.bin"]
