"""safetensors written by hand from its documented layout (8-byte header length, JSON header, raw little-endian data),
so the benchmark scripts need neither the safetensors package nor torch."""
import json
import struct

import numpy as np


def save_safetensors(path, tensors):
    """Writes each named array as float32."""
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = np.ascontiguousarray(t, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(t)), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
