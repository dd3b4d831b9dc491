"""The IDX format of the MNIST files: a tiny header, then one big-endian array.

Header: two zero bytes, a type code (0x08 = uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64), the number of dimensions, then each dimension as a big-endian
uint32. So MNIST's image files start with the magic number 2051 (0x00000803: uint8, 3-d) and
label files with 2049 (0x00000801: uint8, 1-d).
"""

from __future__ import annotations

import struct

import numpy as np

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXError(ValueError):
    """The bytes are not a well-formed IDX file."""


def parse_idx(payload: bytes, source: str = "data") -> np.ndarray:
    """The array stored in IDX ``payload`` (uncompressed bytes), in native byte order.

    Raises ``IDXError`` naming ``source`` when the magic number is wrong or the data is
    shorter or longer than the header says (a truncated or corrupt file).
    """
    if len(payload) < 4:
        raise IDXError(f"{source}: only {len(payload)} bytes, too short for an IDX header")
    zero, type_code, ndim = payload[:2], payload[2], payload[3]
    if zero != b"\x00\x00" or type_code not in IDX_TYPES:
        magic = struct.unpack(">I", payload[:4])[0]
        raise IDXError(f"{source}: not an IDX file (magic number {magic}, expected e.g. 2051 for "
                       "images or 2049 for labels)")
    header = 4 + 4 * ndim
    if len(payload) < header:
        raise IDXError(f"{source}: the header announces {ndim} dimensions but the file ends "
                       "before their sizes")
    dims = struct.unpack(f">{ndim}I", payload[4:header])
    dtype = np.dtype(IDX_TYPES[type_code])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(payload) - header != expected:
        raise IDXError(f"{source}: the header says shape {dims} ({expected} bytes of data) but "
                       f"the file holds {len(payload) - header} bytes; it is truncated or corrupt")
    data = np.frombuffer(payload, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="), copy=True)
