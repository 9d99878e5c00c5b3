"""PPO for GCPN (notebook 06): episode storage, rollouts, GAE and the clipped loss.

Molecules only grow during an episode, so an episode is stored once as its final state plus the
index of the action that created each atom and bond (:meth:`MoleculeEnv.history`); the state
before action ``t`` is recovered with :func:`states_at`. The same storage holds expert
trajectories (:func:`expert_episodes`), so behaviour cloning and PPO read states the same way.

GAE (Schulman et al. 2016), with ``delta_t = r_t + gamma V(s_{t+1}) (1 - done_t) - V(s_t)``::

    A_t = delta_t + gamma lambda (1 - done_t) A_{t+1},      R_t = A_t + V(s_t)

PPO loss (Schulman et al. 2017), ratio ``rho = exp(log pi(a|s) - log pi_old(a|s))``::

    L = -mean(min(rho A, clip(rho, 1-eps, 1+eps) A)) + c_v mean((V - R)^2) - c_H mean(H)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from lecturekit.generation.gcpn.env import Action, EnvConfig, VecMoleculeEnv
from lecturekit.generation.gcpn.expert import trajectory
from lecturekit.generation.gcpn.policy import ActionOutput, Batch, GCPNPolicy, make_batch


@dataclass
class Episodes:
    """Stored episodes (E of them) and their T transitions.

    Per episode: ``bonds`` (E, A, A) int8, ``edge_time`` (E, A, A) int16, ``types`` (E, A) int8,
    ``atom_time`` (E, A) int16. Per transition: ``episode``, ``t`` (long), the action columns
    ``first, second, bond, stop`` and, for rollouts, ``log_prob``, ``value``, ``reward``, ``done``.
    """

    bonds: Tensor
    edge_time: Tensor
    types: Tensor
    atom_time: Tensor
    episode: Tensor
    t: Tensor
    first: Tensor
    second: Tensor
    bond: Tensor
    stop: Tensor
    log_prob: Tensor | None = None
    value: Tensor | None = None
    reward: Tensor | None = None
    done: Tensor | None = None
    next_smiles: list[str] | None = None

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def actions(self, idx: Tensor) -> ActionOutput:
        z = torch.zeros(len(idx))
        return ActionOutput(self.first[idx], self.second[idx], self.bond[idx], self.stop[idx], z, z, z)


def states_at(ep: Episodes, episode: Tensor, t: Tensor, config: EnvConfig) -> Batch:
    """The policy :class:`Batch` of the states before action ``t`` of episodes ``episode``."""
    t = t.long()
    edge_on = ep.edge_time[episode].long() < t[:, None, None]
    atom_on = ep.atom_time[episode].long() < t[:, None]
    bonds = torch.where(edge_on, ep.bonds[episode].long(), 0)
    types = torch.where(atom_on, ep.types[episode].long(), -1)
    n_atoms = (types >= 0).sum(1)
    return make_batch(bonds, types, n_atoms, config)


def _stack_histories(histories: list[tuple[np.ndarray, ...]]) -> tuple[Tensor, ...]:
    bonds, edge_time, types, atom_time = (np.stack(col) for col in zip(*histories, strict=True))
    return (
        torch.from_numpy(bonds),
        torch.from_numpy(edge_time.astype(np.int16)),
        torch.from_numpy(types),
        torch.from_numpy(atom_time.astype(np.int16)),
    )


def expert_episodes(smiles: list[str], config: EnvConfig, rng: np.random.Generator) -> Episodes:
    """Behaviour-cloning data: one random connected-subgraph trajectory per molecule.

    Stop actions that the environment would reject (fewer than ``min_atoms`` atoms) or not honour
    (before ``min_steps`` actions) are dropped, and molecules needing more than ``max_steps`` actions
    are skipped.
    """
    from lecturekit.generation.gcpn.expert import replay

    min_steps = config.min_steps
    config = replace(config, min_steps=0)  # replay must honour the expert's stop wherever it comes
    histories, rows = [], []
    for smi in smiles:
        actions = trajectory(smi, config, rng)
        if len(actions) > config.max_steps:
            continue
        e = len(histories)
        env = replay(actions, config)
        histories.append(env.history())
        n_final = env.n_atoms
        for t, a in enumerate(actions):
            if a.stop and (n_final < config.min_atoms or t < min_steps):
                continue
            rows.append((e, t, a.first, a.second, a.bond, a.stop))
    if not rows:
        raise ValueError("argument 'smiles' produced no expert transitions")
    cols = torch.tensor(rows, dtype=torch.long).T
    return Episodes(*_stack_histories(histories), cols[0], cols[1], cols[2], cols[3], cols[4], cols[5].bool())


def _safe_smiles(env) -> str:
    try:
        return env.smiles()
    except Exception:  # noqa: BLE001 - RDKit raises several types; an unsanitisable molecule is invalid
        return ""


@torch.no_grad()
def rollout(
    policy: GCPNPolicy,
    venv: VecMoleculeEnv,
    generator: torch.Generator,
    starts: list[str] | None = None,
    greedy: bool = False,
    with_smiles: bool = False,
) -> tuple[Episodes, list[str], np.ndarray]:
    """Run one episode in every environment of ``venv`` with ``policy``.

    Returns the :class:`Episodes` (step rewards from the environment only; the trainer adds the
    final property and adversarial rewards), the final canonical SMILES (``""`` when RDKit cannot
    sanitise the final molecule) and the fraction of valid actions per episode. With
    ``with_smiles`` the SMILES after every transition is kept in ``Episodes.next_smiles`` (for
    potential-based reward shaping).
    """
    config = venv.config
    venv.reset(starts)
    rows: list[tuple] = []
    valid_count = np.zeros(len(venv))
    step_count = np.zeros(len(venv))
    while True:
        active = venv.active
        if not active:
            break
        bonds, types, n_atoms = venv.observe(active)
        out = policy(make_batch(bonds, types, n_atoms, config), generator=generator, greedy=greedy).cpu()
        actions = out.actions()
        ts = [venv.envs[i].steps for i in active]
        rewards, dones, valid = venv.step(active, actions)
        for j, i in enumerate(active):
            a: Action = actions[j]
            rows.append(
                (
                    i,
                    ts[j],
                    a.first,
                    a.second,
                    a.bond,
                    a.stop,
                    float(out.log_prob[j]),
                    float(out.value[j]),
                    float(rewards[j]),
                    bool(dones[j]),
                    _safe_smiles(venv.envs[i]) if with_smiles else "",
                )
            )
            valid_count[i] += valid[j]
            step_count[i] += 1
    rows.sort(key=lambda r: (r[0], r[1]))
    histories = [env.history() for env in venv.envs]
    ints = torch.tensor([r[:6] for r in rows], dtype=torch.long).T
    floats = torch.tensor([r[6:9] for r in rows], dtype=torch.float32).T
    done = torch.tensor([r[9] for r in rows], dtype=torch.bool)
    ep = Episodes(
        *_stack_histories(histories),
        ints[0],
        ints[1],
        ints[2],
        ints[3],
        ints[4],
        ints[5].bool(),
        floats[0],
        floats[1],
        floats[2],
        done,
        [r[10] for r in rows] if with_smiles else None,
    )
    smiles = [_safe_smiles(env) for env in venv.envs]
    return ep, smiles, valid_count / np.maximum(step_count, 1)


def gae(
    reward: Tensor, value: Tensor, done: Tensor, gamma: float = 1.0, lam: float = 0.95
) -> tuple[Tensor, Tensor]:
    """Advantages and returns for transitions stored episode by episode in time order.

    ``reward``, ``value``, ``done``: (T,). The value after a transition is the next row's value
    unless ``done``. Returns ``(advantages, returns)``, both (T,).
    """
    n = reward.shape[0]
    adv = torch.zeros(n)
    running = 0.0
    for i in range(n - 1, -1, -1):
        nonterminal = 0.0 if bool(done[i]) else 1.0
        next_value = float(value[i + 1]) if (i + 1 < n and nonterminal) else 0.0
        delta = float(reward[i]) + gamma * next_value * nonterminal - float(value[i])
        running = delta + gamma * lam * nonterminal * running
        adv[i] = running
    return adv, adv + value


def clipped_policy_loss(
    log_prob: Tensor, old_log_prob: Tensor, advantages: Tensor, clip: float = 0.2
) -> Tensor:
    """PPO's clipped surrogate as a loss to minimise: ``-mean(min(rho A, clip(rho, 1 - eps, 1 + eps) A))``
    with ``rho = exp(log_prob - old_log_prob)``. Notebook 06's exercise."""
    ratio = torch.exp(log_prob - old_log_prob)
    surrogate = torch.minimum(ratio * advantages, ratio.clamp(1 - clip, 1 + clip) * advantages)
    return -surrogate.mean()


def ppo_loss(
    new: ActionOutput,
    old_log_prob: Tensor,
    advantages: Tensor,
    returns: Tensor,
    clip: float = 0.2,
    value_coef: float = 0.5,
    entropy_coef: float = 0.01,
) -> tuple[Tensor, dict]:
    """Clipped PPO loss of one minibatch; returns ``(loss, parts)`` with the three terms (on ``new``'s device:
    the stored log-probabilities, advantages and returns are moved there)."""
    old_log_prob, advantages, returns = (
        t.to(new.log_prob.device) for t in (old_log_prob, advantages, returns)
    )
    policy_loss = clipped_policy_loss(new.log_prob, old_log_prob, advantages, clip)
    value_loss = (new.value - returns).pow(2).mean()
    entropy = new.entropy.mean()
    loss = policy_loss + value_coef * value_loss - entropy_coef * entropy
    return loss, {
        "policy": float(policy_loss.detach()),
        "value": float(value_loss.detach()),
        "entropy": float(entropy.detach()),
    }
