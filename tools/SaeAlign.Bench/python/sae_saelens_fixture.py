"""Writes small SAELens v6 folders (cfg.json + sae_weights.safetensors) from PyTorch, with inputs and the
codes SAELens' encode gives them, for SaeAlign's interop tests (tests/SaeAlign.Sae.Tests/Fixtures).
safetensors is written by hand from its documented layout, so only torch is needed.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/sae_saelens_fixture.py tests/SaeAlign.Sae.Tests/Fixtures
"""
import json
import os
import sys

import torch

from safetensors_io import save_safetensors

D_IN, D_SAE, K, ROWS = 6, 10, 3, 5


def write(folder, cfg, tensors, x, codes):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    save_safetensors(os.path.join(folder, "sae_weights.safetensors"), {name: t.detach().numpy() for name, t in tensors.items()})
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"x": x.flatten().tolist(), "codes": codes.flatten().tolist(), "rows": ROWS}, f)


def main(root):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(ROWS, D_IN, generator=g)
    w_enc = torch.randn(D_IN, D_SAE, generator=g) * 0.5
    w_dec = torch.randn(D_SAE, D_IN, generator=g) * 0.5
    b_enc = torch.randn(D_SAE, generator=g) * 0.1
    b_dec = torch.randn(D_IN, generator=g) * 0.1
    base = {"d_in": D_IN, "d_sae": D_SAE, "dtype": "float32", "device": "cpu",
            "normalize_activations": "none", "reshape_activations": "none", "metadata": {"sae_lens_version": "6.0.0"}}

    # topk without b_dec subtraction: SAELens TopK encode = scatter(topk(hidden_pre).relu()).
    pre = x @ w_enc + b_enc
    top = pre.topk(K, dim=-1)
    codes = torch.zeros_like(pre).scatter(-1, top.indices, top.values.relu())
    write(os.path.join(root, "saelens-topk"), {**base, "architecture": "topk", "k": K, "apply_b_dec_to_input": False},
          {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec}, x, codes)

    # jumprelu with b_dec subtraction: hidden_pre = (x - b_dec) W_enc + b_enc; codes = relu(pre) * (pre > threshold).
    threshold = torch.rand(D_SAE, generator=g) * 0.3
    pre = (x - b_dec) @ w_enc + b_enc
    codes = pre.relu() * (pre > threshold)
    write(os.path.join(root, "saelens-jumprelu"), {**base, "architecture": "jumprelu", "apply_b_dec_to_input": True},
          {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec, "threshold": threshold}, x, codes)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/SaeAlign.Sae.Tests/Fixtures")
