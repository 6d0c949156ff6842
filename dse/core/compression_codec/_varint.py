"""Byte-level primitives of the compressed formats: LEB128 varints and a bounds-checked reader."""

from __future__ import annotations

import numpy as np

__all__ = ["Reader", "varint"]


def varint(value: int) -> bytes:
    """The unsigned LEB128 bytes of a non-negative int: 7 bits a byte, low bits first."""
    if value < 0:
        raise ValueError(f"varint value must be >= 0, got {value}")
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


class Reader:
    """Reads a byte string front to back; running past its end is a ValueError naming `what`."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = memoryview(bytes(data))
        self.pos = 0
        self.what = what

    def corrupt(self, why: str) -> ValueError:
        """The error to raise for malformed bytes."""
        return ValueError(f"corrupt {self.what}: {why}")

    def varint(self, limit: int = 2**63 - 1) -> int:
        """The next unsigned LEB128 varint, which must not exceed `limit`."""
        value = 0
        shift = 0
        while True:
            if self.pos >= len(self.data):
                raise self.corrupt("truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if value > limit:
                raise self.corrupt(f"value {value} exceeds {limit}")
            if not byte & 0x80:
                return value

    def take(self, count: int) -> bytes:
        """The next `count` bytes."""
        if count > len(self.data) - self.pos:
            raise self.corrupt(f"needs {count} more bytes, {len(self.data) - self.pos} left")
        out = bytes(self.data[self.pos : self.pos + count])
        self.pos += count
        return out

    def floats(self, count: int, width: int) -> np.ndarray:
        """The next `count` little-endian float16 (width 2) or float32 (width 4) values, as a
        native float32 array."""
        kind = {2: "<f2", 4: "<f4"}[width]
        return np.frombuffer(self.take(width * count), dtype=kind).astype(np.float32)

    def rest(self) -> bytes:
        """All bytes not read yet."""
        return self.take(len(self.data) - self.pos)

    def expect_end(self) -> None:
        """Fail if bytes are left over."""
        if self.pos != len(self.data):
            raise self.corrupt(f"{len(self.data) - self.pos} unexpected trailing bytes")
