"""The multimodal graph as normalised sparse blocks, one block per (source type, target type).

Decagon's layer sums, over edge types r, the messages ``c^r_ij W_r h_j`` with
``c^r_ij = 1 / sqrt(|N_r(i)| |N_r(j)|)``. Square (same node type) adjacencies get self-loops first
(``A_r + I``, as in the authors' ``preprocess_graph``), so degrees count the loop.

To avoid a kernel launch per relation we stack all relations of one (source, target) pair of node types into
one sparse matrix ``M`` of shape ``(N_target, N_source * R)`` whose column ``j * R + r`` carries the
normalised entry of relation ``r`` from source node ``j``. A layer is then one dense matmul producing
``(H_source W_r)`` for all r at once, reshaped to ``(N_source * R, d_out)``, and one sparse matmul with ``M``
(see :mod:`lecturekit.hetero.encoder`). Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field

import torch
from torch_geometric.data import HeteroData

from lecturekit.data.polypharmacy import DDI, PPI_EDGE, TARGET_EDGE
from lecturekit.hetero.split import Triples


@dataclass
class Block:
    """All relations from node type ``src`` to node type ``dst``.

    ``matrix``: sparse COO ``(num_dst, num_src * num_relations)``, column ``j * R + r``.
    ``edges``: the (src, dst, rel) triples it was built from (directed, without self-loops).
    """

    src: str
    dst: str
    num_relations: int
    matrix: torch.Tensor
    edges: Triples

    def __post_init__(self) -> None:
        # CSR copies of M and M^T: the backward pass needs M^T, precomputing it avoids a sort per step.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            self.csr = self.matrix.to_sparse_csr()
            self.csr_t = self.matrix.t().coalesce().to_sparse_csr()

    def matmul(self, dense: torch.Tensor) -> torch.Tensor:
        """``M @ dense`` with gradient ``M^T @ grad`` (no gradient for ``M``)."""
        return _SparseMatmul.apply(self.csr, self.csr_t, dense)

    @property
    def name(self) -> str:
        return f"{self.src}->{self.dst}"

    @property
    def device(self) -> torch.device:
        return self.matrix.device

    def to(self, device: str | torch.device) -> Block:
        """A copy of this block on ``device`` (``self`` when it is there already); ``self`` is unchanged.

        The CSR copies are moved as they are (not rebuilt there), so both devices hold the same matrices.
        """
        device = torch.device(device)
        if all(t.device == device for t in (self.matrix, self.csr, self.csr_t, self.edges.src)):
            return self
        out = copy.copy(self)  # no __post_init__: the CSR conversion is not redone
        out.matrix, out.csr, out.csr_t = (t.to(device) for t in (self.matrix, self.csr, self.csr_t))
        out.edges = self.edges.to(device)
        return out


class _SparseMatmul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a: torch.Tensor, a_t: torch.Tensor, dense: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.a_t = a_t
        return a @ dense

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[None, None, torch.Tensor]:  # type: ignore[override]
        return None, None, ctx.a_t @ grad


@dataclass
class RelationalGraph:
    """Node counts and the normalised blocks of a heterogeneous multi-relational graph."""

    num_nodes: dict[str, int]
    blocks: list[Block] = field(default_factory=list)

    @property
    def device(self) -> torch.device:
        """Where the blocks live (the CPU for a graph without blocks)."""
        return self.blocks[0].device if self.blocks else torch.device("cpu")

    def to(self, device: str | torch.device) -> RelationalGraph:
        """A copy of this graph with every block on ``device`` (``self`` when all are there); ``self`` is unchanged."""
        blocks = [b.to(device) for b in self.blocks]
        if all(new is old for new, old in zip(blocks, self.blocks, strict=True)):
            return self
        return RelationalGraph(dict(self.num_nodes), blocks)

    def block(self, src: str, dst: str) -> Block:
        for b in self.blocks:
            if b.src == src and b.dst == dst:
                return b
        raise KeyError(f"no block {src}->{dst}; have {[b.name for b in self.blocks]}")


def normalized_block(
    edges: Triples, num_src: int, num_dst: int, num_relations: int, self_loops: bool
) -> torch.Tensor:
    """Sparse ``(num_dst, num_src * R)`` matrix with entries ``1/sqrt(deg_r(dst) deg_r(src))``.

    Args:
        edges: directed triples, message flows ``src -> dst``; duplicates are removed.
        self_loops: add ``(i, i, r)`` for every node and relation (square blocks only), counted in degrees.
    Degrees: ``deg_r(i)`` = number of relation-r edges at ``i`` on its side of the block (in-degree of the
    target, out-degree of the source); for a symmetric square relation both equal the usual degree.
    """
    src, dst, rel = edges.src, edges.dst, edges.rel
    if self_loops:
        if num_src != num_dst:
            raise ValueError(f"self-loops need a square block, got {num_src} sources and {num_dst} targets")
        nodes = torch.arange(num_src).repeat_interleave(num_relations)
        loops = torch.arange(num_relations).repeat(num_src)
        src, dst, rel = torch.cat([src, nodes]), torch.cat([dst, nodes]), torch.cat([rel, loops])
    key = torch.unique((rel * num_dst + dst) * num_src + src)
    src = key % num_src
    dst = (key // num_src) % num_dst
    rel = key // (num_src * num_dst)
    deg_dst = torch.bincount(rel * num_dst + dst, minlength=num_relations * num_dst).float()
    deg_src = torch.bincount(rel * num_src + src, minlength=num_relations * num_src).float()
    value = (deg_dst[rel * num_dst + dst] * deg_src[rel * num_src + src]).rsqrt()
    index = torch.stack([dst, src * num_relations + rel])
    return torch.sparse_coo_tensor(
        index, value, (num_dst, num_src * num_relations), check_invariants=False
    ).coalesce()


def build_graph(
    data: HeteroData, ddi_train: Triples | None, self_loops: bool = True, targets: torch.Tensor | None = None
) -> RelationalGraph:
    """Decagon's graph from ``data``: PPI, drug->protein, protein->drug and the training drug-drug edges.

    Args:
        ddi_train: directed drug-drug training triples (pass both directions); ``None`` leaves the drug-drug
            block out (protein-only message passing into drugs).
        targets: optional replacement ``(2, E)`` drug->protein edge index (the shuffled-targets ablation);
            ``data`` without proteins (no PPI edge type) gives a drug-drug-only graph.
    Used by ``notebooks/04_decagon.ipynb``.
    """
    num_drugs = int(data["drug"].num_nodes)
    graph = RelationalGraph(num_nodes={"drug": num_drugs})
    if PPI_EDGE in data.edge_types:
        num_proteins = int(data["protein"].num_nodes)
        graph.num_nodes["protein"] = num_proteins
        ppi = data[PPI_EDGE].edge_index
        dt = data[TARGET_EDGE].edge_index if targets is None else targets
        zeros = torch.zeros(ppi.size(1), dtype=torch.long)
        for src, dst, e, n_src, n_dst, loops in (
            ("protein", "protein", Triples(ppi[0], ppi[1], zeros), num_proteins, num_proteins, self_loops),
            (
                "drug",
                "protein",
                Triples(dt[0], dt[1], torch.zeros_like(dt[0])),
                num_drugs,
                num_proteins,
                False,
            ),
            (
                "protein",
                "drug",
                Triples(dt[1], dt[0], torch.zeros_like(dt[0])),
                num_proteins,
                num_drugs,
                False,
            ),
        ):
            graph.blocks.append(Block(src, dst, 1, normalized_block(e, n_src, n_dst, 1, loops), e))
    if ddi_train is not None:
        num_rel = int(data.num_side_effects)
        matrix = normalized_block(ddi_train, num_drugs, num_drugs, num_rel, self_loops)
        graph.blocks.append(Block("drug", "drug", num_rel, matrix, ddi_train))
    return graph


def drug_only(data: HeteroData) -> HeteroData:
    """A copy of ``data`` without proteins (for the drug-drug-only GCN baseline in notebook 04)."""
    out = HeteroData()
    for key in ("num_nodes", "x", "names"):
        if key in data["drug"]:
            out["drug"][key] = data["drug"][key]
    out[DDI].edge_index = data[DDI].edge_index
    out[DDI].edge_type = data[DDI].edge_type
    out.num_side_effects = data.num_side_effects
    out.side_effect_names = data.side_effect_names
    return out
