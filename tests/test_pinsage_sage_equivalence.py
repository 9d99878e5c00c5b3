"""PinSage's mean-pooling baseline is GraphSAGE: the same numbers as PyG's ``SAGEConv(project=True)``.

What matches exactly (checked on random inputs): ``PinSageConv(pooling="mean")`` equals
``F.normalize(ReLU(SAGEConv(in, out, aggr="mean", project=True, normalize=False)(x)))`` with the weights
mapped ``Q -> lin`` (the projection, in -> in), ``W[:, in:] -> lin_l`` (with its bias) and ``W[:, :in] ->
lin_r``. ``SAGEConv(normalize=True)`` alone is *not* the same layer: PinSage applies the ReLU of
Algorithm 1 before the L2 normalisation, PyG normalises the pre-activation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch_geometric.nn import SAGEConv

from lecturekit.recsys.pinsage.layers import PinSageConv


def _sampled_neighbourhoods(n: int, t: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    nbr = torch.randint(0, n, (n, t), generator=g)
    nbr[0] = -1  # no neighbours at all
    nbr[1, 2:] = -1  # fewer than t (padding)
    nbr[2, 1] = nbr[2, 0]  # a neighbour sampled twice (uniform sampling with replacement)
    valid = (nbr >= 0).float()
    return nbr, valid / valid.sum(1, keepdim=True).clamp_min(1.0)  # sample_direct's uniform weights


def test_mean_pooling_is_pyg_sageconv_with_projection_then_relu_and_normalisation() -> None:
    torch.manual_seed(0)
    n, t, d, out = 30, 4, 6, 5
    x = torch.randn(n, d)
    nbr, weight = _sampled_neighbourhoods(n, t, seed=1)
    ours = PinSageConv(d, d, out, pooling="mean")  # hidden = in: PyG's projection keeps the width
    sage = SAGEConv(d, out, aggr="mean", project=True, normalize=False)
    with torch.no_grad():
        sage.lin.weight.copy_(ours.Q.weight)
        sage.lin.bias.copy_(ours.Q.bias)
        sage.lin_l.weight.copy_(ours.W.weight[:, d:])
        sage.lin_l.bias.copy_(ours.W.bias)
        sage.lin_r.weight.copy_(ours.W.weight[:, :d])
    dst = torch.arange(n).unsqueeze(1).expand_as(nbr)[nbr >= 0]
    edge_index = torch.stack([nbr[nbr >= 0], dst])  # every sampled (neighbour -> node) edge, duplicates kept
    expected = F.normalize(F.relu(sage(x, edge_index)), dim=1)
    torch.testing.assert_close(ours(x, nbr, weight), expected, atol=1e-6, rtol=1e-5)
    # SAGEConv's own normalisation is of the pre-activation: not the same layer
    sage.normalize = True
    assert not torch.allclose(ours(x, nbr, weight), sage(x, edge_index), atol=1e-3)
