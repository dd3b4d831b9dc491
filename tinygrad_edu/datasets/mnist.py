"""MNIST and Fashion-MNIST: 28x28 grey images in ten classes, from the original IDX files.

Each split is two gzip files (images, labels). They are looked up, in order, in ``root`` if
given, else in the cache folder (see ``download.cache_dir``) and then in system folders where
distributions install them; missing files are downloaded into ``root`` or the cache. Every file
is verified: its published checksum, or, for copies that a distribution recompressed, the
SHA-256 of the decompressed IDX data.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path
from typing import Any, Callable, Optional, Union

import numpy as np

from ..data.dataset import Dataset
from ..tensor import Tensor
from . import download as _download
from .idx import IDXError, parse_idx

# filename -> (algorithm, digest of the .gz file, sha256 of the decompressed IDX data or None)
ChecksumTable = dict


class ChecksumError(ValueError):
    """A file's contents do not match its published checksum."""


class DatasetNotFoundError(RuntimeError):
    """The files are neither cached nor downloadable (e.g. offline)."""


class MNIST(Dataset):
    """The MNIST handwritten digits (60,000 training and 10,000 test images).

    Args:
        root: the folder holding (or to receive) the four ``.gz`` files. By default the cache,
            ``$TINYGRAD_EDU_DATA/mnist`` or ``~/.cache/tinygrad_edu/mnist``.
        train: the training split (else the test split).
        download: fetch missing files from the public mirrors.
        transform: applied to each image (a uint8 28x28 array) by ``__getitem__``; by default
            an image becomes a float32 Tensor in [0, 1].
        target_transform: applied to each label (an int).

    Attributes:
        data: uint8 array of shape (N, 28, 28).
        targets: int64 array of shape (N,).
    """

    name = "mnist"
    mirrors: tuple = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    resources: ChecksumTable = {
        "train-images-idx3-ubyte.gz": (
            "sha256", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        "train-labels-idx1-ubyte.gz": (
            "sha256", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        "t10k-images-idx3-ubyte.gz": (
            "sha256", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        "t10k-labels-idx1-ubyte.gz": (
            "sha256", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    }
    system_dirs: tuple = ()
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six",
               "7 - seven", "8 - eight", "9 - nine"]
    image_shape = (28, 28)
    mean, std = 0.1307, 0.3081  # of the training pixels scaled to [0, 1]

    def __init__(self, root: Optional[Union[str, Path]] = None, train: bool = True,
                 download: bool = True, transform: Optional[Callable[[np.ndarray], Any]] = None,
                 target_transform: Optional[Callable[[int], Any]] = None) -> None:
        self.root = Path(root).expanduser() if root is not None else None
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        split = "train" if train else "t10k"
        images, labels = self._load_files(
            [f"{split}-images-idx3-ubyte.gz", f"{split}-labels-idx1-ubyte.gz"], download)
        self._check_split(images, labels)
        self.data: np.ndarray = images
        self.targets: np.ndarray = labels.astype(np.int64)

    # --- finding, downloading and verifying the files ------------------------------------------
    def search_dirs(self) -> list:
        """The folders looked in, in order; the first one receives downloads."""
        if self.root is not None:
            return [self.root]
        return [_download.cache_dir(self.name)] + [Path(d) for d in self.system_dirs]

    def _load_files(self, filenames: list, download: bool) -> list:
        dirs = self.search_dirs()
        arrays, missing, problems = [], [], []
        download_error: Optional[str] = None
        for filename in filenames:
            array = None
            for d in dirs:
                path = d / filename
                if path.is_file():
                    try:
                        array = self._read_verified(path, filename)
                        break
                    except (ChecksumError, IDXError) as exc:
                        problems.append(str(exc))
            if array is None and download and download_error is None:
                got: list = []
                download_error = _download.download_verified(
                    [m + filename for m in self.mirrors], dirs[0] / filename,
                    lambda p, f=filename: got.append(self._read_verified(p, f)))
                array = got[0] if got else None
            if array is None:
                missing.append(filename)
            arrays.append(array)
        if missing:
            raise DatasetNotFoundError(self._not_found_message(missing, dirs, download,
                                                               download_error, problems))
        return arrays

    def _read_verified(self, path: Path, filename: str) -> np.ndarray:
        """The IDX array in ``path`` if the file matches ``resources[filename]``."""
        algorithm, digest, payload_sha256 = self.resources[filename]
        raw = path.read_bytes()
        actual = hashlib.new(algorithm, raw).hexdigest()
        try:
            payload = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            if actual != digest:
                raise ChecksumError(f"{path}: {algorithm} {actual} does not match the expected "
                                    f"{digest} (and it is not a valid gzip file: {exc})") from None
            raise IDXError(f"{path}: not a valid gzip file ({exc})") from None
        if actual != digest and (payload_sha256 is None or
                                 hashlib.sha256(payload).hexdigest() != payload_sha256):
            raise ChecksumError(f"{path}: {algorithm} {actual} does not match the expected "
                                f"{digest}; the file is corrupt or not the published one")
        return parse_idx(payload, str(path))

    def _check_split(self, images: np.ndarray, labels: np.ndarray) -> None:
        name = type(self).__name__
        if images.ndim != 3 or images.shape[1:] != self.image_shape or images.dtype != np.uint8:
            raise IDXError(f"{name}: expected uint8 images of shape (N, "
                           f"{self.image_shape[0]}, {self.image_shape[1]}), got {images.dtype} "
                           f"{images.shape}")
        if labels.ndim != 1 or len(labels) != len(images):
            raise IDXError(f"{name}: {len(images)} images but labels of shape {labels.shape}")
        if labels.size and int(labels.max()) >= len(self.classes):
            raise IDXError(f"{name}: label {int(labels.max())} is out of range for "
                           f"{len(self.classes)} classes")

    def _not_found_message(self, missing: list, dirs: list, download: bool,
                           download_error: Optional[str], problems: list) -> str:
        name = type(self).__name__
        split = "training" if self.train else "test"
        lines = [f"{name}: cannot load the {split} split: {', '.join(missing)} not available.",
                 "Looked in: " + ", ".join(str(d) for d in dirs) + "."]
        lines += [f"Rejected: {p}" for p in problems]
        if not download:
            lines.append("Downloading is off (download=False).")
        elif download_error:
            lines.append(f"Downloading failed (offline?): {download_error}")
        lines.append(f"Put the .gz files in one of those folders, or pass root='/path/to/folder' "
                     f"(the folder holding them), or set {_download.ENV_VAR} to a folder "
                     f"containing '{self.name}/'.")
        return "\n".join(lines)

    # --- the Dataset interface -----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple:
        image, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        else:
            image = Tensor(image.astype(np.float32) / 255)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __getitems__(self, indices: np.ndarray) -> tuple:
        if self.transform is not None or self.target_transform is not None:
            return super().__getitems__(indices)
        return self.data[indices].astype(np.float32) / 255, self.targets[indices]

    def arrays(self, normalize: Union[bool, str] = True, flatten: bool = True) -> tuple:
        """The whole split as float32 arrays ``(X, y)``, for fast full-batch work.

        Args:
            normalize: True scales pixels to [0, 1]; ``"standardize"`` also subtracts the
                training set's mean pixel and divides by its standard deviation; False keeps
                0..255.
            flatten: images as rows of 784 values (else N x 28 x 28).
        """
        x = self.data.astype(np.float32)
        if normalize == "standardize":
            x /= 255
            x -= np.float32(self.mean)
            x /= np.float32(self.std)
        elif normalize is True:
            x /= 255
        elif normalize is not False:
            raise ValueError(f"{type(self).__name__}.arrays: normalize must be True, False or "
                             f"'standardize', got {normalize!r}")
        if flatten:
            x = x.reshape(len(x), -1)
        return x, self.targets.copy()

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"{type(self).__name__}(split={split!r}, size={len(self)})"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and sizes, with clothing in ten classes.

    Also found where Debian's ``dataset-fashion-mnist`` package installs it
    (``/usr/share/datasets/fashion-mnist``). The ``.gz`` checksums are the MD5s published
    with the data set; the Debian copies are recompressed, so they are accepted by the SHA-256
    of their decompressed IDX data instead.
    """

    name = "fashion-mnist"
    mirrors = (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    )
    resources: ChecksumTable = {
        "train-images-idx3-ubyte.gz": (
            "md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        "train-labels-idx1-ubyte.gz": (
            "md5", "25c81989df183df01b3e8a0aad5dffbe",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        "t10k-images-idx3-ubyte.gz": (
            "md5", "bef4ecab320f06d8554ea6380940ec79",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        "t10k-labels-idx1-ubyte.gz": (
            "md5", "bb300cfdad3c16e7a12a480ee83cd310",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    }
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    mean, std = 0.2860, 0.3530
