"""Data sets: ``MNIST`` and ``FashionMNIST`` (downloaded once, cached, verified), ``Iris``
(shipped), and the synthetic ``spiral``, ``moons`` and ``blobs``."""

from .download import cache_dir
from .idx import IDXError, parse_idx
from .iris import Iris
from .mnist import MNIST, ChecksumError, DatasetNotFoundError, FashionMNIST
from .synthetic import blobs, moons, spiral

__all__ = ["MNIST", "FashionMNIST", "Iris", "spiral", "moons", "blobs", "cache_dir",
           "parse_idx", "IDXError", "ChecksumError", "DatasetNotFoundError"]
