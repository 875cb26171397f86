"""The PyTorch peer of saealign-gpu-check bench: one TopK SAE training step (encode, top-k, decode, MSE, backward,
AdamW, decoder unit-norm) at the same size on the same GPU, dense (scatter to [B, d_sae], then a GEMM, as SAELens'
TopK SAE does) and with a sparse decode (embedding_bag over the k active rows, as sparsify does). Prints one
"result: {json}" line per variant."""
import argparse
import json
import time

import torch


def step_fn(d_in, d_sae, k, batch, sparse, device):
    g = torch.Generator(device="cpu").manual_seed(1)
    w_dec = torch.randn(d_sae, d_in, generator=g)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    w_dec = torch.nn.Parameter(w_dec.to(device))
    w_enc = torch.nn.Parameter(w_dec.detach().t().contiguous())
    b_enc = torch.nn.Parameter(torch.zeros(d_sae, device=device))
    b_dec = torch.nn.Parameter(torch.zeros(d_in, device=device))
    params = [w_enc, w_dec, b_enc, b_dec]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    x = torch.randn(batch, d_in, generator=g).to(device)

    def step():
        pre = (x - b_dec) @ w_enc + b_enc
        values, indices = pre.topk(k, dim=-1)
        values = values.relu()
        if sparse:
            decoded = torch.nn.functional.embedding_bag(indices, w_dec, per_sample_weights=values, mode="sum")
        else:
            decoded = torch.zeros_like(pre).scatter(-1, indices, values) @ w_dec
        loss = (decoded + b_dec - x).pow(2).sum(-1).mean()
        opt.zero_grad(set_to_none=False)
        loss.backward()
        with torch.no_grad():
            w_dec.grad -= (w_dec.grad * w_dec).sum(-1, keepdim=True) * w_dec
        opt.step()
        with torch.no_grad():
            w_dec /= w_dec.norm(dim=1, keepdim=True).clamp_min(1e-12)
        return loss

    return step


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--d-in", type=int, default=2048)
    p.add_argument("--d-sae", type=int, default=65536)
    p.add_argument("--k", type=int, default=32)
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--steps", type=int, default=20)
    a = p.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    for sparse in (False, True):
        step = step_fn(a.d_in, a.d_sae, a.k, a.batch, sparse, device)
        for _ in range(2):
            step()
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(a.steps):
            step()
        if device == "cuda":
            torch.cuda.synchronize()
        ms = (time.perf_counter() - start) * 1e3 / a.steps
        name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
        print(f"pytorch {'sparse' if sparse else 'dense'} TopK step on {name}: {ms:.2f} ms (torch {torch.__version__}, TF32 matmul {torch.backends.cuda.matmul.allow_tf32})")
        print("result: " + json.dumps({"bench": "pytorch-sparse" if sparse else "pytorch-dense", "device": name, "stepMs": ms,
                                       "dIn": a.d_in, "dSae": a.d_sae, "k": a.k, "batch": a.batch, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
