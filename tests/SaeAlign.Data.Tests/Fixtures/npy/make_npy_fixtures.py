#!/usr/bin/env python3
"""Writes the .npy fixtures of NpyFixtureTests with numpy itself, one file per layout numpy produces.

Run from this folder with a Python that has numpy (Debian: /usr/bin/python3 after
`apt-get install python3-numpy`); the files and expected.json are committed so that the tests
need no numpy. expected.json gives, per file, the header fields the file must carry (so a test
can prove the layout is really there) and the values as float32 in C order.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# 5 x 3, every value distinct; 1.1 steps are inexact in binary, so the float64 files test rounding.
BASE = np.arange(15, dtype=np.float64).reshape(5, 3) * 1.1 - 3.3
# Wider source for column fancy-indexing: numpy returns x[:, idx] in Fortran order.
WIDE = np.arange(20, dtype=np.float64).reshape(5, 4) * 1.1 - 3.3
VECTOR = np.array([0.5, -2.25, 7.0, 1e-3, 300.0])


def fixtures():
    f4 = BASE.astype("<f4")
    yield "c_f4.npy", f4
    yield "c_f8.npy", BASE.astype("<f8")
    yield "fortran_transpose_f4.npy", np.ascontiguousarray(f4.T).T  # np.save(p, acts.T) of a C array
    yield "fortran_asfortran_f4.npy", np.asfortranarray(f4)
    yield "fortran_fancy_columns_f4.npy", WIDE.astype("<f4")[:, [2, 0, 3]]
    yield "fortran_f8.npy", np.asfortranarray(BASE.astype("<f8"))
    yield "big_f4.npy", BASE.astype(">f4")
    yield "big_f8.npy", BASE.astype(">f8")
    yield "little_f2.npy", BASE.astype("<f2")
    yield "big_f2.npy", BASE.astype(">f2")
    yield "fortran_big_f4.npy", np.asfortranarray(BASE.astype(">f4"))
    yield "fortran_big_f8.npy", np.asfortranarray(BASE.astype(">f8"))
    yield "fortran_f2.npy", np.asfortranarray(BASE.astype("<f2"))
    yield "vector_f4.npy", VECTOR.astype("<f4")
    yield "vector_big_f8.npy", VECTOR.astype(">f8")
    yield "vector_f2.npy", VECTOR.astype("<f2")


def header_fields(array):
    return {"descr": np.lib.format.dtype_to_descr(array.dtype), "fortran_order": bool(np.isfortran(array))}


def main():
    expected = {}
    for name, array in fixtures():
        fields = header_fields(array)
        if name.startswith("fortran"):
            assert fields["fortran_order"], name
        path = os.path.join(HERE, name)
        np.save(path, array)
        loaded = np.load(path)
        assert loaded.dtype == array.dtype and np.array_equal(loaded, array), name
        expected[name] = {**fields, "shape": list(array.shape),
                          "values": [float(v) for v in array.astype(np.float32).ravel(order="C")]}

    # '=' (native) and '|' (not applicable) byte orders: numpy's own writer never emits them for floats,
    # but np.load accepts them as native order, so the same bytes with the descr swapped in must read alike.
    source = os.path.join(HERE, "c_f4.npy")
    for name, order in (("native_order_f4.npy", "="), ("no_order_f4.npy", "|")):
        with open(source, "rb") as f:
            data = f.read().replace(b"'descr': '<f4'", b"'descr': '" + order.encode() + b"f4'", 1)
        path = os.path.join(HERE, name)
        with open(path, "wb") as f:
            f.write(data)
        assert np.array_equal(np.load(path), BASE.astype("<f4")), name
        expected[name] = {**expected["c_f4.npy"], "descr": order + "f4"}

    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
