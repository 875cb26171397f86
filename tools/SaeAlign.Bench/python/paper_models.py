"""The disentanglement paper's toy model and ToySAE (cest-andre/align-interp at 76dcda6, toy_models.py), shared by
the Python peers: paper_pipeline.py, sae_paper_reference.py and toy_training.py.

Two departures, neither changing the arithmetic: the importance is the power law (1 + 2i/n)^-2 of the paper's
text (toy_models.py's default is 1), and the AuxK top-k takes k = n_hidden where the paper reads its global
n_feats, which toy_align passes as n_hidden (ToySAE(n_neurons, n_feats)).
"""
import torch
from torch import nn
from torch.nn import functional as F


class Model(nn.Module):
    """toy_models.py Model: the hidden-ReLU toy model with generate_align_batch."""

    def __init__(self, n_features, n_hidden, feature_probability=0.1):
        super().__init__()
        self.n_features = n_features
        self.W = nn.Parameter(torch.empty((n_features, n_hidden)))
        nn.init.xavier_normal_(self.W)
        self.b_final = nn.Parameter(torch.zeros(n_features))
        self.feature_probability = torch.ones(()) * feature_probability
        self.importance = torch.pow(1 + 2 * torch.arange(n_features) / n_features, -2.0)

    def forward(self, features):
        hidden = F.relu(features @ self.W)
        out = F.relu(hidden @ self.W.T + self.b_final)
        return {"out": out, "hidden": hidden}

    def generate_batch(self, n_batch, generator=None):
        feat = torch.rand((n_batch, self.n_features), generator=generator)
        keep = torch.rand((n_batch, self.n_features), generator=generator) <= self.feature_probability
        return torch.where(keep, feat, torch.zeros(()))


class ToySAE(nn.Module):
    """toy_models.py ToySAE with top-k and the AuxK dead-latent reconstruction."""

    def __init__(self, n_inputs, n_hidden, topk):
        super().__init__()
        self.n_hidden = n_hidden
        self.topk = topk
        self.W_enc = nn.Parameter(torch.empty((n_inputs, n_hidden)))
        self.W_dec = nn.Parameter(torch.empty((n_hidden, n_inputs)))
        nn.init.xavier_normal_(self.W_enc)
        nn.init.xavier_normal_(self.W_dec)
        self.b_enc = nn.Parameter(torch.zeros(n_hidden))
        self.b_dec = nn.Parameter(torch.zeros(n_inputs))

    def forward(self, x, aux_loss=True):
        hidden = (x @ self.W_enc) + self.b_enc
        preact_feats = hidden
        hidden = F.relu(hidden)
        topk_res = torch.topk(hidden, k=self.topk, dim=-1)
        values = nn.ReLU()(topk_res.values)
        hidden = torch.zeros_like(hidden)
        hidden.scatter_(-1, topk_res.indices, values)
        out = (hidden @ self.W_dec) + self.b_dec
        dead_recon = None
        if aux_loss:
            is_dead = ((hidden > 0).sum(dim=0) == 0).float().detach()
            auxk_acts = is_dead * preact_feats
            deadk_res = torch.topk(auxk_acts, k=self.n_hidden, dim=-1)
            top_dead_acts = torch.zeros_like(auxk_acts)
            top_dead_acts.scatter_(-1, deadk_res.indices, deadk_res.values)
            dead_recon = (top_dead_acts @ self.W_dec) + self.b_dec
        return {"out": out, "hidden": hidden, "preact_feats": preact_feats, "dead_recon": dead_recon}
