"""MNIST-style loading on tiny IDX files made here, with a mocked network; Iris; synthetic sets."""

import gzip
import hashlib
import struct
import urllib.error

import numpy as np
import pytest

from tinygrad_edu import datasets
from tinygrad_edu.data import DataLoader
from tinygrad_edu.datasets import download as dl
from tinygrad_edu.datasets import (ChecksumError, DatasetNotFoundError, FashionMNIST, IDXError,
                                   MNIST, parse_idx)

# The shipped tables, read before any test patches them.
REAL = {cls: (dict(cls.resources), tuple(cls.system_dirs)) for cls in (MNIST, FashionMNIST)}

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file written from the format's definition (independently of the reader)."""
    code = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}[array.dtype]
    header = struct.pack(">BBBB", 0, 0, code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def tiny_split(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    return images, rng.integers(0, 10, n).astype(np.uint8)


@pytest.fixture
def files():
    """gz bytes of a tiny MNIST (5 training and 3 test images) and the table that accepts them."""
    train, test = tiny_split(5, 0), tiny_split(3, 1)
    payloads = dict(zip(FILES, [idx_bytes(a) for a in (*train, *test)]))
    blobs = {name: gzip.compress(p, mtime=0) for name, p in payloads.items()}
    table = {name: ("sha256", hashlib.sha256(blobs[name]).hexdigest(),
                    hashlib.sha256(payloads[name]).hexdigest()) for name in FILES}
    return {"train": train, "test": test, "blobs": blobs, "table": table}


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path, files):
    """Never touch the real cache or network: the cache is a temp folder, every fetch fails
    unless a test installs its own, and MNIST accepts the tiny files' checksums."""
    monkeypatch.setenv(dl.ENV_VAR, str(tmp_path / "cache"))

    def offline(url, out, timeout=30.0):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(dl, "fetch_url", offline)
    monkeypatch.setattr(MNIST, "resources", files["table"])
    monkeypatch.setattr(FashionMNIST, "resources", files["table"])
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())


def write(folder, blobs, names=FILES):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(blobs[name])


def test_loads_from_root(tmp_path, files):
    write(tmp_path / "here", files["blobs"])
    ds = MNIST(root=tmp_path / "here", download=False)
    images, labels = files["train"]
    assert ds.data.dtype == np.uint8 and ds.data.shape == (5, 28, 28)
    assert ds.targets.dtype == np.int64 and np.array_equal(ds.targets, labels)
    assert np.array_equal(ds.data, images) and len(ds) == 5
    x, y = ds[2]
    assert x.dtype == np.float32 and x.shape == (28, 28) and y == labels[2]
    np.testing.assert_allclose(x.data, images[2] / 255, rtol=1e-6)
    test = MNIST(root=tmp_path / "here", train=False, download=False)
    assert np.array_equal(test.data, files["test"][0])

    X, Y = ds.arrays()
    assert X.shape == (5, 784) and X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    Xs, _ = ds.arrays(normalize="standardize", flatten=False)
    np.testing.assert_allclose(Xs, (images / 255 - MNIST.mean) / MNIST.std, rtol=1e-5, atol=1e-5)
    assert ds.arrays(normalize=False)[0].max() == images.max()
    with pytest.raises(ValueError, match="normalize"):
        ds.arrays(normalize="zscore")

    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 28, 28) and xb.dtype == np.float32
    assert np.array_equal(yb.data, labels[:4])


def test_transform_and_target_transform(tmp_path, files):
    write(tmp_path, files["blobs"])
    ds = MNIST(root=tmp_path, download=False,
               transform=lambda im: im.reshape(-1).astype(np.float32),
               target_transform=lambda t: t + 100)
    x, y = ds[0]
    assert x.shape == (784,) and y == files["train"][1][0] + 100
    xb, yb = next(iter(DataLoader(ds, batch_size=2)))
    assert xb.shape == (2, 784)
    assert yb.data.tolist() == [v + 100 for v in files["train"][1][:2]]


def test_cache_is_used_and_env_var_moves_it(tmp_path, files, monkeypatch):
    assert dl.cache_dir("mnist") == tmp_path / "cache" / "mnist"
    write(tmp_path / "cache" / "mnist", files["blobs"])
    assert len(MNIST(download=False)) == 5
    monkeypatch.delenv(dl.ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert dl.cache_dir("mnist") == tmp_path / "xdg" / "tinygrad_edu" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert dl.cache_dir("x") == tmp_path / "home" / ".cache" / "tinygrad_edu" / "x"


def test_offline_and_not_cached_says_what_where_and_how(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST()
    msg = str(info.value)
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" in msg
    assert str(tmp_path / "cache" / "mnist") in msg
    assert "network is unreachable" in msg and "root=" in msg and dl.ENV_VAR in msg
    with pytest.raises(DatasetNotFoundError, match="download=False"):
        MNIST(download=False)


def test_download_is_verified_and_atomic(tmp_path, files, monkeypatch):
    fetched = []

    def fake_fetch(url, out, timeout=30.0):
        fetched.append(url)
        out.write(files["blobs"][url.rsplit("/", 1)[-1]])

    monkeypatch.setattr(dl, "fetch_url", fake_fetch)
    ds = MNIST(train=False)
    assert len(ds) == 3 and np.array_equal(ds.targets, files["test"][1])
    cache = tmp_path / "cache" / "mnist"
    assert sorted(p.name for p in cache.iterdir()) == ["t10k-images-idx3-ubyte.gz",
                                                       "t10k-labels-idx1-ubyte.gz"]
    assert fetched[0] == MNIST.mirrors[0] + "t10k-images-idx3-ubyte.gz"
    # now cached: no more fetching
    fetched.clear()
    MNIST(train=False)
    assert fetched == []


def test_bad_download_is_never_cached_and_next_mirror_is_tried(tmp_path, files, monkeypatch):
    calls = []

    def flaky(url, out, timeout=30.0):
        calls.append(url)
        name = url.rsplit("/", 1)[-1]
        if url.startswith(MNIST.mirrors[0]):
            out.write(files["blobs"][name][:50])  # a partial download
            raise ConnectionResetError("connection reset")
        if url.startswith(MNIST.mirrors[1]):
            out.write(b"<html>not found</html>")  # wrong content, wrong checksum
            return
        out.write(files["blobs"][name])

    monkeypatch.setattr(dl, "fetch_url", flaky)
    ds = MNIST(root=tmp_path / "r")
    assert len(ds) == 5 and len(calls) == 6  # three mirrors for each of two files
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == FILES[:2]  # no .part files

    def always_bad(url, out, timeout=30.0):
        out.write(b"garbage")

    monkeypatch.setattr(dl, "fetch_url", always_bad)
    with pytest.raises(DatasetNotFoundError, match="does not match"):
        MNIST(root=tmp_path / "r", train=False)
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == FILES[:2]


def test_wrong_checksum_file_is_rejected_and_replaced(tmp_path, files, monkeypatch):
    blobs = dict(files["blobs"])
    blobs[FILES[0]] = gzip.compress(idx_bytes(tiny_split(5, 9)[0]), mtime=0)  # other images
    write(tmp_path / "r", blobs)
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(root=tmp_path / "r", download=False)
    assert "does not match the expected" in str(info.value) and FILES[0] in str(info.value)

    def good(url, out, timeout=30.0):
        out.write(files["blobs"][url.rsplit("/", 1)[-1]])

    monkeypatch.setattr(dl, "fetch_url", good)
    assert np.array_equal(MNIST(root=tmp_path / "r").data, files["train"][0])
    assert (tmp_path / "r" / FILES[0]).read_bytes() == files["blobs"][FILES[0]]


def test_corrupt_idx_with_matching_checksum_is_reported(tmp_path, files, monkeypatch):
    truncated = idx_bytes(files["train"][0])[:-100]
    blob = gzip.compress(truncated, mtime=0)
    table = dict(files["table"])
    table[FILES[0]] = ("sha256", hashlib.sha256(blob).hexdigest(), None)
    monkeypatch.setattr(MNIST, "resources", table)
    write(tmp_path, {**files["blobs"], FILES[0]: blob})
    with pytest.raises(DatasetNotFoundError, match="truncated or corrupt"):
        MNIST(root=tmp_path, download=False)
    not_gzip = b"\x00\x00\x08\x03 plain bytes"
    table[FILES[0]] = ("md5", hashlib.md5(not_gzip).hexdigest(), None)
    (tmp_path / FILES[0]).write_bytes(not_gzip)
    with pytest.raises(DatasetNotFoundError, match="not a valid gzip"):
        MNIST(root=tmp_path, download=False)


def test_recompressed_copy_is_accepted_by_payload_checksum(tmp_path, files):
    recompressed = {n: gzip.compress(gzip.decompress(b), compresslevel=1, mtime=12345)
                    for n, b in files["blobs"].items()}
    assert recompressed[FILES[0]] != files["blobs"][FILES[0]]
    write(tmp_path, recompressed)
    assert np.array_equal(MNIST(root=tmp_path, download=False).data, files["train"][0])


def test_fashion_mnist_found_in_system_dir(tmp_path, files, monkeypatch):
    system = tmp_path / "usr-share"
    write(system, files["blobs"])
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(system),))
    ds = FashionMNIST(download=False)
    assert len(ds) == 5 and ds.classes[9] == "Ankle boot"
    assert not (tmp_path / "cache" / "fashion-mnist").exists()  # nothing copied or downloaded


def test_real_tables_are_complete():
    for cls in (MNIST, FashionMNIST):
        table = REAL[cls][0]
        assert sorted(table) == sorted(FILES)
        for algorithm, digest, payload in table.values():
            assert len(digest) == {"sha256": 64, "md5": 32}[algorithm] and len(payload) == 64
    assert REAL[MNIST][0]["train-images-idx3-ubyte.gz"][1].startswith("440fcabf73cc")
    fashion_labels = REAL[FashionMNIST][0]["t10k-labels-idx1-ubyte.gz"]
    assert fashion_labels[1] == "bb300cfdad3c16e7a12a480ee83cd310"
    assert "/usr/share/datasets/fashion-mnist" in REAL[FashionMNIST][1]


def test_wrong_shape_images_are_rejected(tmp_path, files, monkeypatch):
    images = np.zeros((5, 8, 8), np.uint8)
    blob = gzip.compress(idx_bytes(images), mtime=0)
    table = dict(files["table"])
    table[FILES[0]] = ("sha256", hashlib.sha256(blob).hexdigest(), None)
    monkeypatch.setattr(MNIST, "resources", table)
    write(tmp_path, {**files["blobs"], FILES[0]: blob})
    with pytest.raises(IDXError, match=r"\(5, 8, 8\)"):
        MNIST(root=tmp_path, download=False)


def test_parse_idx():
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    out = parse_idx(idx_bytes(a))
    assert np.array_equal(out, a) and out.dtype.isnative and out.flags.writeable
    with pytest.raises(IDXError, match="magic number"):
        parse_idx(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(IDXError, match="too short"):
        parse_idx(b"\x00")
    with pytest.raises(IDXError, match="holds 3 bytes"):
        parse_idx(idx_bytes(np.zeros(5, np.uint8))[:-2])
    assert issubclass(ChecksumError, ValueError)


# --- Iris and synthetic sets ------------------------------------------------------------------

def test_iris():
    iris = datasets.Iris()
    assert iris.data.shape == (150, 4) and iris.data.dtype == np.float32
    assert np.bincount(iris.targets).tolist() == [50, 50, 50]
    np.testing.assert_allclose(iris.data.mean(0), [5.843, 3.057, 3.758, 1.199], atol=1e-3)
    setosa = iris.data[iris.targets == 0]
    np.testing.assert_allclose(setosa.mean(0), [5.006, 3.428, 1.462, 0.246], atol=1e-4)
    x, y = iris[149]
    assert x.tolist() == pytest.approx([5.9, 3.0, 5.1, 1.8]) and y == 2
    X, _ = iris.arrays(standardize=True)
    np.testing.assert_allclose(X.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(X.std(0), 1, atol=1e-5)


@pytest.mark.parametrize("make, n, k", [
    (lambda s: datasets.spiral(40, 3, seed=s), 120, 3),
    (lambda s: datasets.moons(51, noise=0.05, seed=s), 51, 2),
    (lambda s: datasets.blobs(60, centers=4, seed=s), 60, 4),
])
def test_synthetic_sets(make, n, k):
    X, y = make(0)
    assert X.shape == (n, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert sorted(set(y.tolist())) == list(range(k))
    X2, y2 = make(0)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, make(1)[0])


def test_spiral_geometry_without_noise():
    X, y = datasets.spiral(5, 2, noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r, np.tile(np.linspace(0, 1, 5), 2), atol=1e-6)
    blobs_x, blobs_y = datasets.blobs(4, centers=[[0, 0], [100, 100]], std=0.01, seed=0)
    np.testing.assert_allclose(blobs_x[blobs_y == 1], 100, atol=0.1)
