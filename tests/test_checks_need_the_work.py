"""Every exercise check needs the work (issue #26): the package's version of the step cannot stand in for
the student's code, the messages cannot fill a lookup table, a hard-coded parameter or a known wrong
variant fails on the hidden random cases, and every instructor solution in the notebooks passes."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from exercise_cells import NOTEBOOKS, define, failure

from lecturekit import checks
from lecturekit.checks.base import HARDENING, WRAP, CheckFailed, OwnCodeRequired, hidden_cases, stand_ins


def _solutions() -> list[tuple[str, str, str]]:
    """(notebook, function name, solution cell source) for every solution cell of every notebook."""
    found = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("solution") and cell["cell_type"] == "code":
                source = "".join(cell["source"])
                found.append((path.stem, re.search(r"^def (\w+)\(", source, re.M).group(1), source))
    return found


SOLUTIONS = {name: (notebook, source) for notebook, name, source in _solutions()}
EXPORTED = [name for name in checks.__all__ if name in HARDENING or name in SOLUTIONS]


def _solution(name: str):
    return define(SOLUTIONS[name][1], name)


def _variant(name: str, *edits: tuple[str, str]):
    """The notebook's solution with each (old, new) edit made: a plausible wrong answer."""
    source = SOLUTIONS[name][1]
    for old, new in edits:
        assert old in source, f"{name}: {old!r} is not in the notebook's solution any more"
        source = source.replace(old, new)
    return define(source, name)


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_every_instructor_solution_passes_hand_and_hidden_cases(name, capsys):
    getattr(checks, name)(_solution(name))
    out = capsys.readouterr().out
    assert out.startswith("\N{CHECK MARK}") and (
        "hidden random cases" in out or name == "clipped_policy_loss"
    ), out


def test_every_check_is_hardened_with_stand_ins_and_hidden_cases():
    for name in EXPORTED:
        hardening = HARDENING.get(name)
        assert hardening is not None, f"checks.{name} has no harden(...) registration"
        assert hardening.forbid and hardening.reference and hardening.draw, name
        assert hardening.count >= 20, name


def test_hidden_cases_are_seeded_and_vary_shapes_and_parameters():
    hardening = HARDENING["clipped_policy_loss"]
    first = hidden_cases("clipped_policy_loss", hardening.reference, hardening.draw)
    again = hidden_cases("clipped_policy_loss", hardening.reference, hardening.draw)
    assert [str(c.args) for c in first] == [str(c.args) for c in again]
    assert len({c.args[0].shape for c in first}) > 3 and len({round(c.args[3], 6) for c in first}) > 3
    assert 0.2 not in {round(c.args[3], 6) for c in first}  # epsilon varies, never only the default
    bonds = hidden_cases(
        "bond_order_log_probs",
        HARDENING["bond_order_log_probs"].reference,
        HARDENING["bond_order_log_probs"].draw,
    )
    assert any((c.args[1] > c.args[2]).any() for c in bonds)  # the first atom has more free valence
    ranks = hidden_cases("hit_at_k", HARDENING["hit_at_k"].reference, HARDENING["hit_at_k"].draw)
    assert any(len(set(row.tolist())) < len(row) for c in ranks for row in c.args[0])  # ties


# ---- a delegating answer: calls the package's (or a library's) version of the step -------------------
DELEGATING = {
    "item_cosine_similarity": (
        "from lecturekit.recsys.item_similarity import cosine_similarity_matrix\n"
        "def item_cosine_similarity(r):\n    return cosine_similarity_matrix(r.T)"
    ),
    "lightgcn_propagate": (
        "from torch_geometric.nn import LGConv\n"
        "def lightgcn_propagate(u, i, users, items):\n"
        "    n = len(u)\n"
        "    e = torch.stack([torch.cat([users, items + n]), torch.cat([items + n, users])])\n"
        "    out = LGConv()(torch.cat([u, i]), e)\n"
        "    return out[:n], out[n:]"
    ),
    "hit_at_k": (
        "from lecturekit.recsys.metrics import hit_rate, rank_of_targets\n"
        "def hit_at_k(s, t, seen, k):\n    return hit_rate(rank_of_targets(s, t, exclude=seen), k)"
    ),
    "importance_neighborhood": (
        "from lecturekit.recsys.pinsage import sampler\n"
        "def importance_neighborhood(c, t):\n    return sampler.importance_neighborhood(c, t)"
    ),
    "pinsage_convolution": (
        "from lecturekit.recsys.pinsage.layers import PinSageConv\n"
        "def pinsage_convolution(h, n, w, Q, q, W, b):\n"
        "    layer = PinSageConv(Q.shape[1], Q.shape[0], W.shape[0])\n    return layer(h, n, w)"
    ),
    "max_margin_loss": (
        "import lecturekit.recsys.pinsage.loss as L\n"
        "def max_margin_loss(q, p, n, margin):\n    return L.max_margin_loss(q, p, n, margin=margin)"
    ),
    "hard_negative_band": (
        "from lecturekit.recsys.pinsage.negatives import relative_band_ranks\n"
        "def hard_negative_band(s, q, r, a, b):\n"
        "    lo, hi = relative_band_ranks(torch.tensor([r]), (a, b), s.numel())\n"
        "    ranking = torch.argsort(s, descending=True)\n"
        "    return ranking[ranking != q][int(lo) - 1:int(hi)]"
    ),
    "hard_negatives_in_epoch": (
        "from lecturekit.recsys.pinsage.negatives import num_hard_negatives as n\n"
        "def hard_negatives_in_epoch(e, s, m, p):\n    return n(e, s, m, p)"
    ),
    "dedicom_logits": (
        "from lecturekit.hetero.decoders import dedicom_logits as package\n"
        "def dedicom_logits(a, b, d, R):\n    return package(a, b, d, R)"
    ),
    "degree_matched_candidates": (
        "from lecturekit.hetero import negatives\n"
        "def degree_matched_candidates(d, s, t, k):\n"
        "    return negatives.degree_matched_candidates(d, s, t, k)"
    ),
    "encode_bfs_sequence": (
        "from lecturekit.generation.graphrnn.encoding import encode_adj\n"
        "def encode_bfs_sequence(adj, M):\n    return encode_adj(adj, M, truncate=True)"
    ),
    "gaussian_emd_kernel": (
        "from lecturekit.generation.graph_metrics import mmd_terms\n"
        "def gaussian_emd_kernel(p, q, sigma=1.0):\n"
        "    return mmd_terms([p], [q], sigma=sigma).xy"
    ),
    "mmd2": (
        "from lecturekit.generation.graph_metrics import MMDTerms\n"
        "def mmd2(xs, ys, kernel, unbiased=False):\n"
        "    g = lambda a, b: np.array([[kernel(u, v) for v in b] for u in a])\n"
        "    return MMDTerms(g(xs, xs).mean(), g(ys, ys).mean(), g(xs, ys).mean()).mmd2"
    ),
    "penalized_logp_from_terms": (
        "from lecturekit.generation.gcpn.rewards import penalized_logp_from_terms as f\n"
        "def penalized_logp_from_terms(l, s, r, normalized=True):\n"
        "    return f(l, s, r, normalized)"
    ),
    "bond_order_log_probs": (
        "from lecturekit.generation.gcpn.policy import bond_order_log_probs as f\n"
        "def bond_order_log_probs(l, a, b):\n    return f(l, a, b)"
    ),
    "clipped_policy_loss": (
        "from lecturekit.generation.gcpn import ppo\n"
        "def clipped_policy_loss(n, o, a, clip=0.2):\n    return ppo.clipped_policy_loss(n, o, a, clip)"
    ),
}


def test_every_check_has_a_delegating_answer_here():
    assert set(DELEGATING) >= set(EXPORTED), set(EXPORTED) - set(DELEGATING)


@pytest.mark.parametrize("name", sorted(DELEGATING))
def test_a_delegating_answer_is_told_to_call_its_own_code(name):
    message = failure(getattr(checks, name), define(DELEGATING[name], name))
    assert "call your own code" in message, message


def test_library_calls_for_the_whole_step_and_hidden_references_are_refused_too():
    source = (
        "import torch.nn.functional as F\ndef item_cosine_similarity(r):\n    c = r.T.float()\n"
        "    s = F.cosine_similarity(c[:, None], c[None], dim=-1)\n    return s.fill_diagonal_(0)"
    )
    message = failure(checks.item_cosine_similarity, define(source, "item_cosine_similarity"))
    assert "cosine_similarity`" in message and "call your own code" in message

    from lecturekit.recsys.metrics import hit_rate, rank_of_targets

    def closure():  # a reference kept in a closure, and `except Exception` around the call
        ranks, rate = rank_of_targets, hit_rate

        def hit_at_k(s, t, seen, k):
            try:
                return rate(ranks(s, t, exclude=seen), k)
            except Exception:  # noqa: BLE001
                return 0.0

        return hit_at_k

    assert "call your own code" in failure(checks.hit_at_k, closure())


def test_stand_ins_are_removed_after_a_check_even_when_it_fails():
    from lecturekit.generation.gcpn.ppo import clipped_policy_loss
    from lecturekit.recsys.pinsage.layers import PinSageConv

    failure(checks.clipped_policy_loss, define(DELEGATING["clipped_policy_loss"], "clipped_policy_loss"))
    failure(checks.pinsage_convolution, define(DELEGATING["pinsage_convolution"], "pinsage_convolution"))
    assert float(clipped_policy_loss(torch.zeros(2), torch.zeros(2), torch.ones(2))) == pytest.approx(-1.0)
    assert PinSageConv(2, 2, 2)(torch.ones(2, 2), torch.tensor([[1], [0]]), torch.ones(2, 1)).shape == (2, 2)
    with pytest.raises(OwnCodeRequired), stand_ins(["lecturekit.generation.gcpn.ppo.clipped_policy_loss"]):
        clipped_policy_loss(torch.zeros(2), torch.zeros(2), torch.ones(2))


# ---- hard-coded parameters and known wrong variants, each built from the notebook's own solution -----
WRONG = {
    "item_cosine_similarity": [("    similarity.fill_diagonal_(0.0)\n", ""), (".clamp_min(1e-12)", "")],
    "hit_at_k": [
        ("(ranks <= k)", "(ranks <= 2)"),  # k hard-coded
        (" | wins_tie)", ")"),
    ],  # ties counted for the target: hit@10 = 1 on constant scores
    "lightgcn_propagate": [
        ("(user_degree[users] * item_degree[items]).rsqrt()", "user_degree[users].reciprocal()"),
        ("weight * user_emb[users]", "user_emb[users]"),
    ],  # row-normalised; items unnormalised
    "importance_neighborhood": [
        ("kept = min(top_t, counts.shape[1])", "kept = min(3, counts.shape[1])"),
        ("weights / weights.sum(", "weights / counts.sum("),
    ],  # over all visits
    "pinsage_convolution": [
        ("(weights.unsqueeze(-1) * gathered).sum(dim=1)", "gathered.mean(dim=1)"),
        ("torch.relu(h @ Q.T + q)", "h @ Q.T + q"),
    ],
    "max_margin_loss": [("+ margin)", "+ 0.1)"), (".mean()", ".sum()")],
    "hard_negative_band": [("a * size", "2 * size"), ("b * size", "4 * size")],
    "hard_negatives_in_epoch": [
        ("per_epoch * epoch", "epoch"),
        ("min(per_epoch * epoch, max_hard)", "per_epoch * epoch"),
    ],
    "dedicom_logits": [("(z_i * d_r) @ R", "z_i @ R"), ("(z_i * d_r) @ R", "(z_i * d_r) @ R.T")],
    "degree_matched_candidates": [
        ("degree == degree[target]", "degree == degree[source]"),
        ("    candidate[known] = False\n", ""),
    ],
    "encode_bfs_sequence": [("min(i, M)", "min(i, 2)"), ("adj[i, i - back]", "adj[i, back - 1]")],
    "gaussian_emd_kernel": [("(2 * sigma**2)", "2"), ("emd**2", "emd")],
    "mmd2": [("(unbiased and i == j)", "False"), ("- 2 * across", "- across")],
    "penalized_logp_from_terms": [
        ("if not normalized:", "if False:"),
        ("max(0, largest_ring - 6)", "largest_ring - 6"),
    ],
    # the bond mask that ignores the second atom's free valence (every old hand row had first <= second)
    "bond_order_log_probs": [
        ("torch.minimum(free_first, free_second)", "free_first"),
        ("torch.minimum(free_first, free_second)", "torch.maximum(free_first, free_second)"),
    ],
    # PPO with epsilon hard-coded to 0.2 (every old hand case used 0.2)
    "clipped_policy_loss": [
        ("ratio.clamp(1 - clip, 1 + clip)", "ratio.clamp(0.8, 1.2)"),
        ("torch.minimum(", "torch.maximum("),
    ],
}


@pytest.mark.parametrize(
    "name, edit",
    [(n, e) for n, edits in sorted(WRONG.items()) for e in edits],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_hard_coded_parameter_or_a_known_mistake_fails(name, edit):
    failure(getattr(checks, name), _variant(name, edit))


def test_ties_are_broken_as_the_package_breaks_them():
    from lecturekit.recsys.metrics import hit_rate, rank_of_targets

    scores, seen = torch.zeros(4, 20), [torch.tensor([], dtype=torch.long)] * 4
    targets = torch.tensor([0, 5, 10, 19])
    expected = hit_rate(rank_of_targets(scores, targets, exclude=seen), 10)
    assert _solution("hit_at_k")(scores, targets, seen, 10) == pytest.approx(expected) and expected < 1.0


# ---- a lookup table filled from the failure messages ------------------------------------------------
class LookupTable:
    """An answer that never computes: it returns a stored value per input, filled from the check's messages
    (every number a message shows is tried at the index it names), starting from zeros of the right shape."""

    def __init__(self, blank):
        self.blank, self.table, self.tried, self.last = blank, {}, {}, None

    def __call__(self, *args, **kwargs):
        self.last = repr((args, sorted(kwargs.items())))
        if self.last not in self.table:
            self.table[self.last] = self.blank(*args, **kwargs)
        return self.table[self.last]

    def learn(self, message: str) -> bool:
        where = re.search(r"at \[([\d, ]+)\]", message)
        index = tuple(int(i) for i in where.group(1).split(",")) if where else ()
        for token in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", message):
            if (index, token) in self.tried.setdefault(self.last, set()):
                continue
            self.tried[self.last].add((index, token))
            value = self.table[self.last]
            if isinstance(value, torch.Tensor) and value.ndim == len(index) and value.numel():
                value = value.clone()
                value[index] = float(token)
                self.table[self.last] = value
            else:
                self.table[self.last] = float(token)
            return True
        return False


def _blank(name):
    solution = _solution(name)

    def blank(*args, **kwargs):
        result = solution(*args, **kwargs)  # only its type and shape are used
        if isinstance(result, tuple):
            return tuple(torch.zeros_like(torch.as_tensor(r)) for r in result)
        return (
            torch.zeros_like(torch.as_tensor(result)) if hasattr(result, "shape") and np.ndim(result) else 0.0
        )

    return blank


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_a_lookup_table_filled_from_the_messages_never_passes(name):
    answer = LookupTable(_blank(name))
    for _ in range(60):  # the probes needed 4-25 tries with the old messages
        try:
            getattr(checks, name)(answer)
        except CheckFailed as failed:
            if not answer.learn(str(failed)):
                break
        else:
            pytest.fail(f"checks.{name} passed a lookup table")


def test_failures_wrap_when_rendered():
    error = CheckFailed("`f`: " + "a long explanation of the mistake " * 12)
    lines = error._render_traceback_()
    assert len(lines) > 2 and all(len(line) <= WRAP for line in lines)
    assert lines[0].startswith("CheckFailed: ")
