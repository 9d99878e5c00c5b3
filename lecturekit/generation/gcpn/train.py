"""GCPN training (notebook 06): behaviour cloning, then PPO + expert loss + adversarial reward.

``pretrain`` maximises ``log pi(a_expert | s_expert)`` on expert trajectories. ``Trainer`` runs the
paper's RL stage; each iteration:

1. roll out ``num_envs`` episodes with the current policy;
2. rewards: environment step rewards, ``reward_fn(final SMILES)`` on the last step (plus
   ``reward_fn.terminal(final SMILES)`` when the reward has such terms: the paper's validity reward
   and filter penalties, see :class:`rewards.TaskReward`), and, when
   ``adversarial``, ``W_STEP (2D(s_{t+1}) - 1)`` on every step and ``W_FINAL (2D(s_T) - 1)`` at the end.
   With ``shaping`` the property reward is paid step by step as the potential difference
   ``reward_fn(s_{t+1}) - reward_fn(s_t)`` (Ng et al. 1999): it sums to ``reward_fn(s_T) - reward_fn(s_0)``,
   so the optimal policy is unchanged, but credit reaches the action that caused it;
3. GAE, then ``ppo_epochs`` passes of minibatch PPO; each minibatch step adds ``expert_weight`` times the
   behaviour-cloning loss ``-log pi(expert)`` on a fresh expert batch (the reference code's master branch: one
   Adam step on ``0.2 g_ppo + 0.05 g_expert``, a relative weight of 0.25; ``expert_weight=0`` leaves it out);
4. ``DISC_STEPS`` discriminator updates (expert states vs this iteration's states).

Checkpoints (through :mod:`lecturekit.checkpoints`: atomic, read with ``weights_only=True``) hold
the policy, discriminator, both optimisers, the trainer's generator, the history and the molecules
seen, so ``Trainer.load(...)`` followed by ``train()`` continues exactly as an uninterrupted run.
A checkpoint resumes only the identical run: its signature covers the :class:`TrainConfig`, the
:class:`EnvConfig`, the policy sizes, the reward (task, scale), content hashes of the expert
trajectories, of the start molecules and of the weights the run started from, and a hash of the
model and training source files. Anything else is refused naming the differing fields, unless
``overwrite=True`` asks to train afresh. :func:`pretrain_or_load` caches behaviour cloning the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from lecturekit import checkpoints
from lecturekit.devices import on_device, resolve_device
from lecturekit.generation.gcpn.data import canonical
from lecturekit.generation.gcpn.discriminator import Discriminator, discriminator_loss
from lecturekit.generation.gcpn.env import EnvConfig, VecMoleculeEnv, check_starts
from lecturekit.generation.gcpn.policy import GCPNPolicy
from lecturekit.generation.gcpn.ppo import Episodes, gae, ppo_loss, rollout, states_at
from lecturekit.generation.gcpn.rewards import TaskReward
from lecturekit.seed import torch_stream

RewardFn = Callable[[list[str]], np.ndarray]

_HERE = Path(__file__).parent
#: Source files whose bytes sign a behaviour-cloning cache (model, environment, expert, loop).
PRETRAIN_SOURCES = tuple(_HERE / f"{m}.py" for m in ("data", "env", "expert", "policy", "ppo", "train"))
#: ... and an RL checkpoint (plus the rewards and the discriminator).
FINETUNE_SOURCES = (*PRETRAIN_SOURCES, _HERE / "rewards.py", _HERE / "discriminator.py")


def episodes_hash(episodes: Episodes) -> str:
    """A content hash of stored episodes (the molecules and the order they are built in)."""
    return checkpoints.content_hash(
        episodes.bonds,
        episodes.edge_time,
        episodes.types,
        episodes.atom_time,
        episodes.episode,
        episodes.t,
        episodes.first,
        episodes.second,
        episodes.bond,
        episodes.stop,
    )


def reward_identity(reward_fn: RewardFn) -> dict[str, Any]:
    """What names a reward in a checkpoint signature: a :class:`TaskReward`'s task, scale, invalid
    reward, terminal terms and targeting form, or the ``name`` attribute (else the qualified name) of another callable."""
    if isinstance(reward_fn, TaskReward):
        return {
            "task": reward_fn.task,
            "scale": reward_fn.scale,
            "invalid": reward_fn.invalid,
            "paper_terms": reward_fn.paper_terms,
            "target_form": reward_fn.target_form,
        }
    name = getattr(reward_fn, "name", None)
    if isinstance(name, str) and name:
        return {"name": name}
    qualname = getattr(reward_fn, "__qualname__", "")
    if not qualname or "<" in qualname:  # lambdas and local functions all share a name
        raise ValueError(
            "a checkpointed run needs a named reward: pass a rewards.TaskReward or give the "
            "callable a 'name' attribute"
        )
    return {"name": f"{reward_fn.__module__}.{qualname}"}


def _sample_rows(n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randint(n, (size,), generator=generator)


def bc_loss(policy: GCPNPolicy, expert: Episodes, idx: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of expert actions ``idx`` (behaviour cloning)."""
    batch = states_at(expert, expert.episode[idx], expert.t[idx], policy.env_config)
    return -policy(batch, actions=expert.actions(idx)).log_prob.mean()


def pretrain(
    policy: GCPNPolicy,
    expert: Episodes,
    steps: int,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
    *,
    device: str | torch.device = "cpu",
) -> list[float]:
    """Behaviour cloning on expert trajectories; returns the loss per step (notebook 06).

    ``device``: ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` (CUDA when available). The networks run
    there; the molecule environments, episode buffers and state encodings stay on the CPU (RDKit), and
    every random draw comes from a CPU generator, so a GPU run draws what the CPU run draws. ``policy``
    is trained in place and left on ``device``."""
    dev = resolve_device(device)  # first: a bad device is refused before any work
    policy.to(dev)
    generator = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    losses = []
    for _ in tqdm(range(steps), desc="expert pretraining", disable=not progress):
        loss = bc_loss(policy, expert, _sample_rows(len(expert), batch_size, generator))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()))
    return losses


def pretrain_or_load(
    policy: GCPNPolicy,
    expert: Episodes,
    steps: int,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    checkpoint: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
    *,
    device: str | torch.device = "cpu",
) -> list[float]:
    """:func:`pretrain` ``policy`` in place, or load the result of the identical earlier run (notebook 06).

    With ``checkpoint`` the pretrained weights and losses are cached there. The cache is reused
    only for the same settings (steps, batch size, lr, seed, environment and policy sizes), the
    same expert trajectories, the same initial weights and the same source files; another run's
    cache is refused (:class:`~lecturekit.checkpoints.CheckpointMismatch`, naming the fields) unless
    ``overwrite`` asks to pretrain afresh and replace it. Returns the loss per step.
    """
    dev = resolve_device(device)
    if checkpoint is None:
        return pretrain(policy, expert, steps, batch_size, lr, seed, progress, device=dev)
    sig = checkpoints.signature(
        {
            "stage": "behaviour-cloning",
            "steps": steps,
            "batch_size": batch_size,
            "lr": lr,
            "seed": seed,
            "env": asdict(policy.env_config),
            "policy": asdict(policy.config),
            "device": dev.type,
        },
        {"expert": episodes_hash(expert), "initial_weights": checkpoints.content_hash(policy.state_dict())},
        PRETRAIN_SOURCES,
    )
    state = checkpoints.load(
        checkpoint, sig, overwrite=overwrite, expect={"policy": policy.state_dict(), "losses": list}
    )
    if state is not None:
        policy.to(dev).load_state_dict(state["policy"])
        return [float(x) for x in state["losses"]]
    losses = pretrain(policy, expert, steps, batch_size, lr, seed, progress, device=dev)
    checkpoints.save(checkpoint, {"policy": policy.state_dict(), "losses": losses}, sig)
    return losses


#: PPO's discount and GAE's lambda: undiscounted episodes (the reward comes at the end), the usual lambda.
GAMMA, LAM = 1.0, 0.95
#: PPO's clip range (the paper's 0.2) and the weights of its value and entropy terms (the usual 0.5; a small bonus).
CLIP, VALUE_COEF, ENTROPY_COEF = 0.2, 0.5, 0.001
#: Weights of the discriminator's reward on every step and on the final molecule (adversarial runs).
W_STEP, W_FINAL = 0.02, 0.3
#: Discriminator updates per PPO iteration and their Adam learning rate.
DISC_STEPS, DISC_LR = 2, 1e-3


@dataclass
class TrainConfig:
    """Hyper-parameters of the RL stage (paper: PPO, lr 1e-3, clip 0.2, expert mixed in); the fixed ones are the
    module constants above (no profile, notebook, test or ablation varies them)."""

    iterations: int = 50
    num_envs: int = 32
    ppo_epochs: int = 3
    minibatch: int = 256
    lr: float = 3e-4
    expert_weight: float = 0.25  # reference: one Adam step on 0.2 g_ppo + 0.05 g_expert per minibatch
    expert_batch: int = 64
    adversarial: bool = True
    disc_batch: int = 128
    shaping: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.expert_weight >= 0:  # also refuses NaN
            raise ValueError(f"TrainConfig.expert_weight must be >= 0, got {self.expert_weight!r}")


class Trainer:
    """PPO fine-tuning of a (pretrained) GCPN policy on a molecular reward (notebook 06).

    ``policy`` is the run's starting point (its weights are part of the run's identity in the
    checkpoint signature; the trainer updates it in place). ``reward_fn`` maps final canonical
    SMILES (``""`` for an invalid one) to rewards; ``starts`` (optional) gives start molecules for
    constrained optimisation, drawn per episode (each is checked up front: a molecule the
    environment cannot hold exactly is a ``ValueError`` naming it). Every generated molecule and
    its reward is kept in ``seen``. ``device``: where the policy and the discriminator run (the policy is
    moved there in place; see :func:`pretrain` for what stays on the CPU).
    """

    def __init__(
        self,
        policy: GCPNPolicy,
        expert: Episodes,
        reward_fn: RewardFn,
        config: TrainConfig,
        starts: list[str] | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.device = resolve_device(device)
        policy.to(self.device)
        self.policy, self.expert, self.reward_fn, self.config = policy, expert, reward_fn, config
        self.env_config: EnvConfig = policy.env_config
        if starts is not None:
            if not starts:
                raise ValueError("argument 'starts' is empty; pass None to start from a single atom")
            check_starts(list(starts), self.env_config)
        self.starts = None if starts is None else list(starts)
        self._expert_hash = episodes_hash(expert)
        self.start_weights = checkpoints.content_hash(policy.state_dict())
        self.resumed = False
        self.venv = VecMoleculeEnv(config.num_envs, self.env_config)
        self.optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
        with torch.random.fork_rng():  # the discriminator's initialisation depends on the seed only
            torch.manual_seed(config.seed)
            self.disc = Discriminator(self.env_config).to(self.device)
        self.disc_optimizer = torch.optim.Adam(self.disc.parameters(), lr=DISC_LR)
        self.generator = torch.Generator().manual_seed(config.seed)
        # the expert term's batches have a stream of their own: switching the term leaves PPO's draws alone
        self.expert_generator = torch_stream(config.seed, "expert-batches")
        self.iteration = 0
        self.history: list[dict[str, float]] = []
        self.seen: dict[str, float] = {}

    # --------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The resumable state as plain data (tensors, numbers, strings, lists and dicts)."""
        return {
            "policy": self.policy.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "disc": self.disc.state_dict(),
            "disc_optimizer": self.disc_optimizer.state_dict(),
            "generator": self.generator.get_state(),
            "expert_generator": self.expert_generator.get_state(),
            "iteration": self.iteration,
            "history": [dict(row) for row in self.history],
            "seen": dict(self.seen),
        }

    def signature(self) -> dict[str, Any]:
        """What must match for a checkpoint to resume this run (see the module docstring).

        ``TrainConfig.iterations`` is left out on purpose: nothing in the loop depends on the total,
        so a finished shorter run can be extended; :func:`finetune` refuses a checkpoint that is
        already further than asked.
        """
        train = {k: v for k, v in asdict(self.config).items() if k != "iterations"}
        config = {
            "stage": "ppo",
            "train": train,
            "env": asdict(self.env_config),
            "policy": asdict(self.policy.config),
            "reward": reward_identity(self.reward_fn),
            "device": self.device.type,
        }
        data = {
            "expert": self._expert_hash,
            "starts": checkpoints.content_hash(self.starts or []),
            "pretrained": self.start_weights,
        }
        return checkpoints.signature(config, data, FINETUNE_SOURCES)

    def save(self, path: str | Path) -> Path:
        """Atomically write the checkpoint of this run to ``path``."""
        return checkpoints.save(path, self.state_dict(), self.signature())

    def load(self, path: str | Path, overwrite: bool = False) -> Trainer:
        """Continue from the checkpoint at ``path`` of this very run (sets ``resumed``).

        A checkpoint of another run is refused with :class:`~lecturekit.checkpoints.CheckpointMismatch`
        naming the differing fields; with ``overwrite=True`` it is ignored instead (the trainer
        stays fresh and its next :meth:`save` replaces the file).
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"checkpoint {path} does not exist")
        form = {
            **self.state_dict(),
            "optimizer": dict,
            "disc_optimizer": dict,
            "seen": dict,
        }  # weights' shapes
        state = checkpoints.load(path, self.signature(), overwrite=overwrite, expect=form)
        if state is None:
            return self
        self.policy.load_state_dict(state["policy"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.disc.load_state_dict(state["disc"])
        self.disc_optimizer.load_state_dict(state["disc_optimizer"])
        self.generator.set_state(state["generator"])
        self.expert_generator.set_state(state["expert_generator"])
        self.iteration = int(state["iteration"])
        self.history = [dict(row) for row in state["history"]]
        self.seen = {str(k): float(v) for k, v in state["seen"].items()}
        self.resumed = True
        return self

    # --------------------------------------------------------------- one iteration
    def _rewards(self, ep: Episodes, smiles: list[str]) -> tuple[torch.Tensor, np.ndarray]:
        cfg = self.config
        final = np.asarray(self.reward_fn(smiles), dtype=np.float32)
        reward = ep.reward.clone()
        last = torch.nonzero(ep.done).squeeze(-1)
        if cfg.shaping and ep.next_smiles is not None:
            after = torch.from_numpy(np.asarray(self.reward_fn(ep.next_smiles), dtype=np.float32))
            first = torch.ones(len(ep), dtype=torch.bool)
            first[1:] = ep.episode[1:] != ep.episode[:-1]
            before = torch.roll(after, 1)
            start_smiles = [self.venv_start_smiles[int(e)] for e in ep.episode[first]]
            before[first] = torch.from_numpy(np.asarray(self.reward_fn(start_smiles), dtype=np.float32))
            reward += after - before
        else:
            reward[last] += torch.from_numpy(final[ep.episode[last].numpy()])
        terminal = getattr(self.reward_fn, "terminal", None)
        if terminal is not None:  # the paper's validity reward and filter penalties, final molecules only
            reward[last] += torch.from_numpy(
                np.asarray(terminal(smiles), dtype=np.float32)[ep.episode[last].numpy()]
            )
        if cfg.adversarial:
            with torch.no_grad():
                d_next = self.disc.reward(states_at(ep, ep.episode, ep.t + 1, self.env_config)).cpu()
            reward += W_STEP * d_next
            reward[last] += W_FINAL * d_next[last]
        return reward, final

    def step(self) -> dict[str, float]:
        """One PPO iteration; returns its log row."""
        cfg, policy = self.config, self.policy
        if self.iteration == 0:  # weights loaded after construction still count as the starting point
            self.start_weights = checkpoints.content_hash(policy.state_dict())
        starts = None
        if self.starts is not None:
            pick = torch.randint(len(self.starts), (cfg.num_envs,), generator=self.generator)
            starts = [self.starts[int(i)] for i in pick]
        policy.eval()
        ep, smiles, valid_frac = rollout(policy, self.venv, self.generator, starts, with_smiles=cfg.shaping)
        default = self.venv.envs[0].__class__(self.env_config).smiles()
        self.venv_start_smiles = (
            [canonical(s) for s in starts] if starts is not None else [default] * cfg.num_envs
        )
        reward, final = self._rewards(ep, smiles)
        for s, r in zip(smiles, final, strict=True):
            if s:
                self.seen[s] = float(r)
        adv, ret = gae(reward, ep.value, ep.done, GAMMA, LAM)
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)

        policy.train()
        parts: dict[str, float] = {}
        expert_loss = 0.0
        for _ in range(cfg.ppo_epochs):
            perm = torch.randperm(len(ep), generator=self.generator)
            for start in range(0, len(ep), cfg.minibatch):
                idx = perm[start : start + cfg.minibatch]
                new = policy(
                    states_at(ep, ep.episode[idx], ep.t[idx], self.env_config), actions=ep.actions(idx)
                )
                loss, parts = ppo_loss(
                    new, ep.log_prob[idx], adv[idx], ret[idx], CLIP, VALUE_COEF, ENTROPY_COEF
                )
                if cfg.expert_weight > 0:  # the reference's one update of 0.2 g_ppo + 0.05 g_expert
                    expert = bc_loss(
                        policy,
                        self.expert,
                        _sample_rows(len(self.expert), cfg.expert_batch, self.expert_generator),
                    )
                    loss = loss + cfg.expert_weight * expert
                    expert_loss = float(expert.detach())
                self.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
                self.optimizer.step()

        disc_loss = 0.0
        if cfg.adversarial:
            for _ in range(DISC_STEPS):
                real_idx = _sample_rows(len(self.expert), cfg.disc_batch, self.generator)
                fake_idx = _sample_rows(len(ep), cfg.disc_batch, self.generator)
                real = states_at(
                    self.expert, self.expert.episode[real_idx], self.expert.t[real_idx] + 1, self.env_config
                )
                fake = states_at(ep, ep.episode[fake_idx], ep.t[fake_idx] + 1, self.env_config)
                loss = discriminator_loss(self.disc, real, fake)
                self.disc_optimizer.zero_grad()
                loss.backward()
                self.disc_optimizer.step()
                disc_loss = float(loss.detach())

        self.iteration += 1
        row = {
            "iteration": self.iteration,
            "reward": float(final.mean()),
            "reward_max": float(final.max()),
            "valid_actions": float(valid_frac.mean()),
            "valid_molecules": float(np.mean([bool(s) for s in smiles])),
            "atoms": float(np.mean([env.n_atoms for env in self.venv.envs])),
            "disc_loss": disc_loss,
            "expert_loss": expert_loss,
            **parts,
        }
        self.history.append(row)
        return row

    def train(
        self,
        iterations: int | None = None,
        checkpoint: str | Path | None = None,
        checkpoint_every: int = 10,
        progress: bool = True,
    ) -> list[dict[str, float]]:
        """Run until ``iterations`` (default ``config.iterations``) are done in total."""
        total = self.config.iterations if iterations is None else iterations
        bar = tqdm(total=total, initial=self.iteration, desc="GCPN PPO", disable=not progress)
        while self.iteration < total:
            row = self.step()
            bar.update(1)
            bar.set_postfix(reward=f"{row['reward']:.3f}")
            if checkpoint is not None and (self.iteration % checkpoint_every == 0 or self.iteration == total):
                self.save(checkpoint)
        bar.close()
        return self.history


@torch.no_grad()
def sample(
    policy: GCPNPolicy,
    n: int,
    seed: int = 0,
    batch_size: int = 64,
    starts: list[str] | None = None,
    env_config: EnvConfig | None = None,
    *,
    device: str | torch.device = "cpu",
) -> list[str]:
    """``n`` molecules from ``policy`` (canonical SMILES, ``""`` when invalid); ``starts`` gives
    start molecules (cycled) for constrained optimisation; ``env_config`` overrides the policy's
    environment limits (same vocabulary and ``max_atoms``); ``device`` as in :func:`pretrain` (a policy that
    lives elsewhere is copied there; ``policy`` itself is not moved). Used by notebook 06."""
    policy = on_device(policy, resolve_device(device))
    env_config = env_config or policy.env_config
    if starts is not None:
        check_starts(list(starts), env_config)
    generator = torch.Generator().manual_seed(seed)
    policy.eval()
    out: list[str] = []
    while len(out) < n:
        b = min(batch_size, n - len(out))
        venv = VecMoleculeEnv(b, env_config)
        chunk = None if starts is None else [starts[(len(out) + i) % len(starts)] for i in range(b)]
        _, smiles, _ = rollout(policy, venv, generator, chunk)
        out.extend(smiles)
    return out


def finetune(
    pretrained: GCPNPolicy,
    expert: Episodes,
    reward_fn: RewardFn,
    config: TrainConfig,
    starts: list[str] | None = None,
    checkpoint: str | Path | None = None,
    checkpoint_every: int = 5,
    progress: bool = True,
    overwrite: bool = False,
    *,
    device: str | torch.device = "cpu",
) -> Trainer:
    """RL fine-tuning of a copy of ``pretrained`` (notebook 06).

    With ``checkpoint``: a checkpoint of the identical run (see :meth:`Trainer.signature`; any
    ``iterations`` up to ``config.iterations``) is resumed -- an interrupted run continues exactly,
    a finished one can be extended -- and the run saves every ``checkpoint_every`` iterations and
    at the end. A checkpoint of another run (another reward, settings, data, start weights or code,
    or one already past ``config.iterations``) is refused with
    :class:`~lecturekit.checkpoints.CheckpointMismatch` naming the fields, unless ``overwrite``
    asks to train afresh and replace it. ``device`` as in :func:`pretrain`: the trainer's copy of the
    policy lives there (``pretrained`` is not moved).
    """
    dev = resolve_device(device)
    trainer = Trainer(copy.deepcopy(pretrained), expert, reward_fn, config, starts, device=dev)
    if checkpoint is not None and Path(checkpoint).is_file():
        trainer.load(checkpoint, overwrite=overwrite)
        if trainer.iteration > config.iterations:
            if not overwrite:
                raise checkpoints.CheckpointMismatch(
                    Path(checkpoint), {"train.iterations (done)": (trainer.iteration, config.iterations)}
                )
            trainer = Trainer(copy.deepcopy(pretrained), expert, reward_fn, config, starts, device=dev)
    trainer.train(checkpoint=checkpoint, checkpoint_every=checkpoint_every, progress=progress)
    return trainer
