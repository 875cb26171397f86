"""Encodes rows with a SAELens v6 folder the way SAELens does (standard, topk, jumprelu, gated), reading
safetensors by hand so only torch is needed: the Python side of SaeAlign's export round-trip test.

Run: /usr/bin/python3 tools/SaeAlign.Bench/python/sae_saelens_encode.py FOLDER INPUT.json OUTPUT.json
INPUT.json holds {"x": [...], "rows": N}; OUTPUT.json gets {"codes": [...]} (row-major N x d_sae).
"""
import json
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64}


def load_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[entry["dtype"]])
        tensors[name] = flat.reshape(entry["shape"]).to(torch.float32)
    return tensors


def main(folder, input_path, output_path):
    with open(f"{folder}/cfg.json") as f:
        cfg = json.load(f)
    w = load_safetensors(f"{folder}/sae_weights.safetensors")
    with open(input_path) as f:
        inp = json.load(f)
    x = torch.tensor(inp["x"], dtype=torch.float32).reshape(inp["rows"], cfg["d_in"])
    sae_in = x - w["b_dec"] * cfg.get("apply_b_dec_to_input", True)
    arch = cfg["architecture"]
    if arch == "gated":
        gate = sae_in @ w["W_enc"] + w["b_gate"]
        magnitude = sae_in @ (w["W_enc"] * w["r_mag"].exp()) + w["b_mag"]
        codes = (gate > 0).to(torch.float32) * magnitude.relu()
    else:
        pre = sae_in @ w["W_enc"] + w["b_enc"]
        if arch == "standard":
            codes = pre.relu()
        elif arch == "topk":
            top = pre.topk(cfg["k"], dim=-1)
            codes = torch.zeros_like(pre).scatter(-1, top.indices, top.values.relu())
        elif arch == "jumprelu":
            codes = pre.relu() * (pre > w["threshold"])
        else:
            raise SystemExit(f"unsupported architecture {arch}")
    recon = codes @ w["W_dec"] + w["b_dec"]
    with open(output_path, "w") as f:
        json.dump({"codes": codes.flatten().tolist(), "recon": recon.flatten().tolist()}, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
