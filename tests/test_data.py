"""Dataset, TensorDataset, DataLoader, random_split."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.data import DataLoader, Dataset, TensorDataset, default_collate, random_split
from tinygrad_edu.tensor import Tensor


class Squares(Dataset):
    """A per-item dataset without arrays: exercises the slow path and default_collate."""

    def __init__(self, n):
        self.n = n
        self.calls = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.calls += 1
        return np.array([i, i * i], dtype=np.float32), i % 3


class CountingArrays(TensorDataset):
    def __init__(self, *arrays):
        super().__init__(*arrays)
        self.batch_calls = 0
        self.item_calls = 0

    def __getitem__(self, i):
        self.item_calls += 1
        return super().__getitem__(i)

    def __getitems__(self, idx):
        self.batch_calls += 1
        return super().__getitems__(idx)


def xy(n=10):
    X = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64)
    return X, y


def test_tensor_dataset_items_and_validation():
    X, y = xy()
    ds = TensorDataset(Tensor(X), y)
    assert len(ds) == 10
    xi, yi = ds[4]
    assert isinstance(xi, Tensor) and np.array_equal(xi.data, X[4]) and yi.item() == 4
    assert np.shares_memory(ds.tensors[0].data, X)
    with pytest.raises(ValueError, match=r"same first dimension.*\(10, 3\), \(9,\)"):
        TensorDataset(X, y[:9])
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()


@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(),
       shuffle=st.booleans())
def test_loader_covers_every_sample_once(n, batch_size, drop_last, shuffle):
    X, y = xy(n)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last, seed=3)
    batches = list(loader)
    assert len(batches) == len(loader)
    seen = np.concatenate([b[1].data for b in batches]) if batches else np.array([], np.int64)
    for xb, yb in batches:
        assert isinstance(xb, Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
        assert np.array_equal(xb.data, X[yb.data])  # rows stay paired with their labels
        assert len(yb) == batch_size or not drop_last
    expected = n - n % batch_size if drop_last else n
    assert len(seen) == expected and len(set(seen.tolist())) == expected
    if not shuffle:
        assert np.array_equal(seen, np.arange(expected))


def test_loader_uses_getitems_not_per_item_calls():
    X, y = xy(100)
    ds = CountingArrays(X, y)
    list(DataLoader(ds, batch_size=32, shuffle=True, seed=0))
    assert ds.batch_calls == 4 and ds.item_calls == 0


def test_shuffle_is_reproducible_and_changes_between_epochs():
    X, y = xy(50)
    ds = TensorDataset(X, y)

    def orders(loader):
        return [np.concatenate([b[1].data for b in loader]) for _ in range(2)]

    a = orders(DataLoader(ds, 10, shuffle=True, seed=7))
    b = orders(DataLoader(ds, 10, shuffle=True, seed=7))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])
    tg.manual_seed(1)
    c = orders(DataLoader(ds, 10, shuffle=True))
    tg.manual_seed(1)
    d = orders(DataLoader(ds, 10, shuffle=True))
    assert np.array_equal(c[0], d[0])


def test_per_item_dataset_is_collated():
    ds = Squares(7)
    batches = list(DataLoader(ds, batch_size=3))
    assert [len(b[1]) for b in batches] == [3, 3, 1]
    xb, yb = batches[1]
    np.testing.assert_array_equal(xb.data, [[3, 9], [4, 16], [5, 25]])
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert ds.calls == 7


def test_default_collate_types():
    out = default_collate([(1.5, 2, {"a": Tensor(np.ones(2))}),
                           (2.5, 3, {"a": Tensor(np.zeros(2))})])
    assert out[0].dtype == np.float32 and out[1].dtype == np.int64
    assert out[2]["a"].shape == (2, 2)
    with pytest.raises(TypeError, match="collate_fn"):
        default_collate([object(), object()])


def test_custom_collate_fn():
    X, y = xy(6)
    loader = DataLoader(TensorDataset(X, y), batch_size=4,
                        collate_fn=lambda items: np.stack([i[1].data for i in items]) * 2)
    first = next(iter(loader))
    assert isinstance(first, Tensor) and first.tolist() == [0, 2, 4, 6]


def test_loader_rejects_bad_arguments():
    X, y = xy()
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(X, y), batch_size=0)
    with pytest.raises(TypeError, match="__len__"):
        DataLoader(object())


def test_random_split_lengths_and_fractions():
    X, y = xy(10)
    ds = TensorDataset(X, y)
    a, b = random_split(ds, [7, 3], seed=0)
    got = sorted(np.concatenate([a.indices, b.indices]).tolist())
    assert got == list(range(10)) and len(a) == 7 and len(b) == 3
    assert np.array_equal(a[0][0].data, X[a.indices[0]])
    parts = random_split(ds, [0.5, 0.3, 0.2], seed=0)
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(TensorDataset(*xy(11)), [0.5, 0.5], seed=0)
    assert [len(p) for p in parts] == [6, 5]
    with pytest.raises(ValueError, match="adding up"):
        random_split(ds, [5, 6])
    # batches of a Subset come from the underlying arrays in one call
    inner = CountingArrays(X, y)
    part = random_split(inner, [6, 4], seed=1)[0]
    (xb, yb), = list(DataLoader(part, batch_size=6))
    assert inner.batch_calls == 1 and np.array_equal(yb.data, part.indices)
