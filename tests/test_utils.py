"""atomic_write: all or nothing, with ordinary file permissions; readonly_constant."""

import os
import stat

import numpy as np
import pytest

from tinygrad_edu.utils import atomic_write, atomic_write_bytes, readonly_constant


def test_new_file_gets_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "a.bin", b"data")
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").read_bytes() == b"data"
    assert stat.S_IMODE(os.stat(tmp_path / "a.bin").st_mode) == 0o644


def test_a_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write(b"half of the new")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.npz"]


def test_creates_missing_folders(tmp_path):
    atomic_write_bytes(tmp_path / "a" / "b" / "c.txt", b"x")
    assert (tmp_path / "a" / "b" / "c.txt").read_bytes() == b"x"


def test_readonly_constant_makes_once_and_freezes_every_array():
    calls = []

    def make(n):
        calls.append(n)
        return np.arange(n), np.ones(n)

    first = readonly_constant(("test pair", 3), make, 3)
    again = readonly_constant(("test pair", 3), make, 3)
    assert again is first and calls == [3]
    for array in first:
        assert not array.flags.writeable
    single = readonly_constant(("test single", 2), np.zeros, 2)
    assert not single.flags.writeable and single.shape == (2,)
