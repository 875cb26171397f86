"""Peer of `saealign sae compare` at the width of real SAEs: two SAELens TopK folders of L latents over d_in = D whose
dictionaries share a fraction S of their directions (plus noise), then what a researcher runs today to match them
(Paulo & Belrose 2025): the dense cosine matrix of decoder rows and scipy's linear_sum_assignment.

Run:  /usr/bin/python3 tools/SaeAlign.Bench/python/sae_compare_peer.py make DIR L D S   (writes DIR/a, DIR/b)
      /usr/bin/python3 tools/SaeAlign.Bench/python/sae_compare_peer.py match DIR         (times the peer)
and time `saealign sae compare DIR/a DIR/b --json` on the same folders.
Debian: apt-get install python3-numpy python3-scipy.
"""
import json
import os
import resource
import struct
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

from safetensors_io import save_safetensors


def write(folder, w_dec, k=32):
    os.makedirs(folder, exist_ok=True)
    latents, d_in = w_dec.shape
    cfg = {"d_in": d_in, "d_sae": latents, "dtype": "float32", "device": "cpu", "architecture": "topk", "k": k,
           "apply_b_dec_to_input": False, "normalize_activations": "none", "reshape_activations": "none",
           "metadata": {"sae_lens_version": "6.0.0"}}
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    save_safetensors(os.path.join(folder, "sae_weights.safetensors"),
                     {"W_enc": w_dec.T, "W_dec": w_dec, "b_enc": np.zeros(latents), "b_dec": np.zeros(d_in)})


def unit(rows):
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def make(folder, latents, d_in, shared):
    rng = np.random.default_rng(3)
    a = unit(rng.standard_normal((latents, d_in)))
    b = unit(rng.standard_normal((latents, d_in)))
    same = rng.choice(latents, int(shared * latents), replace=False)
    # A shared latent is A's direction plus noise (cosine about 0.9); B's latents come in another order.
    b[same] = unit(a[same] + 0.5 * unit(rng.standard_normal((len(same), d_in))))
    b = b[rng.permutation(latents)]
    write(os.path.join(folder, "a"), a)
    write(os.path.join(folder, "b"), b)


def load_decoder(folder):
    with open(os.path.join(folder, "sae_weights.safetensors"), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header["W_dec"]
    start, end = meta["data_offsets"]
    return np.frombuffer(data[start:end], dtype=np.float32).reshape(meta["shape"]).astype(np.float64)


def match(folder, threshold=0.7):
    start = time.perf_counter()
    a, b = unit(load_decoder(os.path.join(folder, "a"))), unit(load_decoder(os.path.join(folder, "b")))
    cos = a @ b.T
    rows, cols = linear_sum_assignment(cos, maximize=True)
    matched = cos[rows, cols]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"decoder match {time.perf_counter() - start:8.1f} s   shared {np.mean(matched >= threshold):.4f}   "
          f"mean matched cosine {matched.mean():.6f}   peak RSS {peak:.0f} MB", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    else:
        match(sys.argv[2])
