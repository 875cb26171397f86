"""Writes SAELens v6 folders of the variants SaeAlign reads beyond plain topk/jumprelu (gated, centred and not;
jumprelu saved with log_threshold; topk with rescale_acts_by_decoder_norm; jumprelu under expected_average_only_in
with its norm_scaling_factor) and an EleutherAI sparsify folder, with inputs and the codes SAELens' encode gives them, computed here in numpy
from SAELens' formulas, for SaeAlign's interop tests (tests/SaeAlign.Sae.Tests/Fixtures). numpy only.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/sae_variant_fixtures.py tests/SaeAlign.Sae.Tests/Fixtures
"""
import json
import os
import sys

import numpy as np

from safetensors_io import save_safetensors

D_IN, D_SAE, ROWS = 6, 10, 5


def write(folder, cfg, tensors, x, codes):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    save_safetensors(os.path.join(folder, "sae_weights.safetensors"), {k: v.astype(np.float32) for k, v in tensors.items()})
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"x": x.flatten().tolist(), "codes": codes.flatten().tolist(), "rows": ROWS}, f)


def main(root):
    rng = np.random.default_rng(11)
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    x = f32(rng.standard_normal((ROWS, D_IN)))
    w_enc = f32(rng.standard_normal((D_IN, D_SAE)) * 0.5)
    w_dec = f32(rng.standard_normal((D_SAE, D_IN)) * 0.5)
    b_dec = f32(rng.standard_normal(D_IN) * 0.1)
    base = {"d_in": D_IN, "d_sae": D_SAE, "dtype": "float32", "device": "cpu",
            "normalize_activations": "none", "reshape_activations": "none", "metadata": {"sae_lens_version": "6.0.0"}}

    # gated (SAELens GatedSAE.encode): gate = sae_in W_enc + b_gate; codes = (gate > 0) * relu(sae_in (W_enc * exp(r_mag)) + b_mag),
    # sae_in = x - b_dec when apply_b_dec_to_input, else x. Some thresholds b_mag - b_gate exp(r_mag) are negative.
    b_gate = f32(rng.standard_normal(D_SAE) * 0.3)
    r_mag = f32(rng.standard_normal(D_SAE) * 0.2)
    b_mag = f32(rng.standard_normal(D_SAE) * 0.3)
    for centred in (True, False):
        sae_in = x - b_dec if centred else x
        gate = sae_in @ w_enc + b_gate
        magnitude = sae_in @ (w_enc * np.exp(r_mag)) + b_mag
        codes = (gate > 0) * np.maximum(magnitude, 0)
        write(os.path.join(root, "saelens-gated" if centred else "saelens-gated-uncentred"),
              {**base, "architecture": "gated", "apply_b_dec_to_input": centred},
              {"W_enc": w_enc, "b_gate": b_gate, "r_mag": r_mag, "b_mag": b_mag, "W_dec": w_dec, "b_dec": b_dec}, x, codes)

    # jumprelu saved with log_threshold: codes = relu(pre) * (pre > exp(log_threshold)).
    b_enc = f32(rng.standard_normal(D_SAE) * 0.1)
    log_threshold = f32(np.log(rng.uniform(0.01, 0.3, D_SAE)))
    pre = (x - b_dec) @ w_enc + b_enc
    codes = np.maximum(pre, 0) * (pre > np.exp(log_threshold))
    write(os.path.join(root, "saelens-jumprelu-log-threshold"), {**base, "architecture": "jumprelu", "apply_b_dec_to_input": True},
          {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec, "log_threshold": log_threshold}, x, codes)


    # topk with rescale_acts_by_decoder_norm (SAELens TopKSAE): hidden_pre = ((x - b_dec) W_enc + b_enc) * ||W_dec,i||,
    # codes = relu of the k largest. k = 3.
    k = 3
    norms = np.linalg.norm(w_dec, axis=1)
    pre = ((x - b_dec) @ w_enc + b_enc) * norms
    codes = np.zeros_like(pre)
    top = np.argsort(-pre, axis=1)[:, :k]
    np.put_along_axis(codes, top, np.maximum(np.take_along_axis(pre, top, axis=1), 0), axis=1)
    write(os.path.join(root, "saelens-topk-rescaled"),
          {**base, "architecture": "topk", "k": k, "apply_b_dec_to_input": True, "rescale_acts_by_decoder_norm": True},
          {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec}, x, codes)

    # jumprelu trained on activations scaled by s (expected_average_only_in): SAELens users scale first, so the codes of
    # the activations as they are, x, are the SAE's codes of s x.
    scale = 2.5
    threshold = f32(rng.uniform(0.01, 0.3, D_SAE))
    pre = (scale * x - b_dec) @ w_enc + b_enc
    codes = np.maximum(pre, 0) * (pre > threshold)
    write(os.path.join(root, "saelens-jumprelu-scaled"),
          {**base, "architecture": "jumprelu", "apply_b_dec_to_input": True, "normalize_activations": "expected_average_only_in",
           "norm_scaling_factor": scale},
          {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec, "threshold": threshold}, x, codes)


    # sparsify (SparseCoder.encode, no transcoder): the k largest of relu((x - b_dec) encoder.weight^T + encoder.bias);
    # cfg.json holds k and d_in, sae.safetensors encoder.weight [d_sae, d_in], encoder.bias, W_dec [d_sae, d_in], b_dec.
    encoder = f32(rng.standard_normal((D_SAE, D_IN)) * 0.5)
    bias = f32(rng.standard_normal(D_SAE) * 0.1)
    pre = np.maximum((x - b_dec) @ encoder.T + bias, 0)
    codes = np.zeros_like(pre)
    top = np.argsort(-pre, axis=1)[:, :k]
    np.put_along_axis(codes, top, np.take_along_axis(pre, top, axis=1), axis=1)
    folder = os.path.join(root, "sparsify-topk")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        json.dump({"activation": "topk", "expansion_factor": 2, "normalize_decoder": True, "num_latents": D_SAE, "k": k,
                   "multi_topk": False, "skip_connection": False, "transcode": False, "d_in": D_IN}, f)
    save_safetensors(os.path.join(folder, "sae.safetensors"),
                     {"encoder.weight": encoder, "encoder.bias": bias, "W_dec": w_dec, "b_dec": b_dec})
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"x": x.flatten().tolist(), "codes": codes.flatten().tolist(), "rows": ROWS}, f)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/SaeAlign.Sae.Tests/Fixtures")
