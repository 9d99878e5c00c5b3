"""GCPN training (notebook 06): behaviour cloning, then PPO + expert loss + adversarial reward.

``pretrain`` maximises ``log pi(a_expert | s_expert)`` on expert trajectories. ``Trainer`` runs the
paper's RL stage; each iteration:

1. roll out ``num_envs`` episodes with the current policy;
2. rewards: environment step rewards, ``reward_fn(final SMILES)`` on the last step, and, when
   ``adversarial``, ``w_step (2D(s_{t+1}) - 1)`` on every step and ``w_final (2D(s_T) - 1)`` at the end.
   With ``shaping`` the property reward is paid step by step as the potential difference
   ``reward_fn(s_{t+1}) - reward_fn(s_t)`` (Ng et al. 1999): it sums to ``reward_fn(s_T) - reward_fn(s_0)``,
   so the optimal policy is unchanged, but credit reaches the action that caused it;
3. GAE, then ``ppo_epochs`` passes of minibatch PPO with ``expert_coef * (-log pi(expert))`` added;
4. ``disc_steps`` discriminator updates (expert states vs this iteration's states).

Checkpoints hold the policy, discriminator, both optimisers, the trainer's generators and the
history, so ``Trainer.load(...)`` followed by ``train()`` continues exactly as an uninterrupted run.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from lecturekit.generation.gcpn.data import canonical
from lecturekit.generation.gcpn.discriminator import Discriminator, discriminator_loss
from lecturekit.generation.gcpn.env import EnvConfig, VecMoleculeEnv
from lecturekit.generation.gcpn.policy import GCPNPolicy
from lecturekit.generation.gcpn.ppo import Episodes, gae, ppo_loss, rollout, states_at

RewardFn = Callable[[list[str]], np.ndarray]


def _sample_rows(n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randint(n, (size,), generator=generator)


def bc_loss(policy: GCPNPolicy, expert: Episodes, idx: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of expert actions ``idx`` (behaviour cloning)."""
    batch = states_at(expert, expert.episode[idx], expert.t[idx], policy.env_config)
    return -policy(batch, actions=expert.actions(idx)).log_prob.mean()


def pretrain(policy: GCPNPolicy, expert: Episodes, steps: int, batch_size: int = 256, lr: float = 1e-3,
             seed: int = 0, progress: bool = True) -> list[float]:
    """Behaviour cloning on expert trajectories; returns the loss per step (notebook 06)."""
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


@dataclass
class TrainConfig:
    """Hyper-parameters of the RL stage (paper: PPO, lr 1e-3, clip 0.2, expert mixed in)."""

    iterations: int = 50
    num_envs: int = 32
    ppo_epochs: int = 3
    minibatch: int = 256
    lr: float = 3e-4
    gamma: float = 1.0
    lam: float = 0.95
    clip: float = 0.2
    entropy_coef: float = 0.001
    value_coef: float = 0.5
    expert_coef: float = 0.05
    expert_batch: int = 64
    adversarial: bool = True
    w_step: float = 0.02
    w_final: float = 0.3
    disc_steps: int = 2
    disc_batch: int = 128
    disc_lr: float = 1e-3
    shaping: bool = True
    seed: int = 0


class Trainer:
    """PPO fine-tuning of a (pretrained) GCPN policy on a molecular reward (notebook 06).

    ``reward_fn`` maps final canonical SMILES (``""`` for an invalid one) to rewards;
    ``starts`` (optional) gives start molecules for constrained optimisation, drawn per episode.
    Every generated molecule and its reward is kept in ``seen``.
    """

    def __init__(self, policy: GCPNPolicy, expert: Episodes, reward_fn: RewardFn, config: TrainConfig,
                 starts: list[str] | None = None) -> None:
        self.policy, self.expert, self.reward_fn, self.config = policy, expert, reward_fn, config
        self.env_config: EnvConfig = policy.env_config
        self.starts = starts
        self._run_signature = self.run_signature(policy)
        self.venv = VecMoleculeEnv(config.num_envs, self.env_config)
        self.optimizer = torch.optim.Adam(policy.parameters(), lr=config.lr)
        with torch.random.fork_rng():  # the discriminator's initialisation depends on the seed only
            torch.manual_seed(config.seed)
            self.disc = Discriminator(self.env_config)
        self.disc_optimizer = torch.optim.Adam(self.disc.parameters(), lr=config.disc_lr)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.iteration = 0
        self.history: list[dict[str, float]] = []
        self.seen: dict[str, float] = {}

    # --------------------------------------------------------------- checkpoints
    def state_dict(self) -> dict:
        return {
            "policy": self.policy.state_dict(), "optimizer": self.optimizer.state_dict(),
            "disc": self.disc.state_dict(), "disc_optimizer": self.disc_optimizer.state_dict(),
            "generator": self.generator.get_state(), "iteration": self.iteration,
            "history": self.history, "seen": self.seen, "config": asdict(self.config),
            "run": self._run_signature,
        }

    def run_signature(self, pretrained: GCPNPolicy) -> dict:
        """What besides :class:`TrainConfig` must match to resume: environment settings, start
        molecules and a fingerprint of the pretrained weights the run started from."""
        weights = [round(float(p.detach().double().abs().sum()), 6) for p in pretrained.state_dict().values()]
        return {"env": asdict(self.env_config), "starts": list(self.starts or []), "pretrained": weights}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(self.state_dict(), tmp)
        tmp.replace(path)
        return path

    def load(self, path: str | Path) -> Trainer:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"checkpoint {path} does not exist")
        state = torch.load(path, weights_only=False)
        self.policy.load_state_dict(state["policy"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.disc.load_state_dict(state["disc"])
        self.disc_optimizer.load_state_dict(state["disc_optimizer"])
        self.generator.set_state(state["generator"])
        self.iteration, self.history, self.seen = state["iteration"], state["history"], state["seen"]
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
        if cfg.adversarial:
            with torch.no_grad():
                d_next = self.disc.reward(states_at(ep, ep.episode, ep.t + 1, self.env_config))
            reward += cfg.w_step * d_next
            reward[last] += cfg.w_final * d_next[last]
        return reward, final

    def step(self) -> dict[str, float]:
        """One PPO iteration; returns its log row."""
        cfg, policy = self.config, self.policy
        starts = None
        if self.starts is not None:
            pick = torch.randint(len(self.starts), (cfg.num_envs,), generator=self.generator)
            starts = [self.starts[int(i)] for i in pick]
        policy.eval()
        ep, smiles, valid_frac = rollout(policy, self.venv, self.generator, starts, with_smiles=cfg.shaping)
        default = self.venv.envs[0].__class__(self.env_config).smiles()
        self.venv_start_smiles = [canonical(s) for s in starts] if starts is not None else [default] * cfg.num_envs
        reward, final = self._rewards(ep, smiles)
        for s, r in zip(smiles, final, strict=True):
            if s:
                self.seen[s] = float(r)
        adv, ret = gae(reward, ep.value, ep.done, cfg.gamma, cfg.lam)
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)

        policy.train()
        parts: dict[str, float] = {}
        for _ in range(cfg.ppo_epochs):
            perm = torch.randperm(len(ep), generator=self.generator)
            for start in range(0, len(ep), cfg.minibatch):
                idx = perm[start:start + cfg.minibatch]
                new = policy(states_at(ep, ep.episode[idx], ep.t[idx], self.env_config), actions=ep.actions(idx))
                loss, parts = ppo_loss(new, ep.log_prob[idx], adv[idx], ret[idx], cfg.clip, cfg.value_coef,
                                       cfg.entropy_coef)
                if cfg.expert_coef > 0:
                    expert_idx = _sample_rows(len(self.expert), cfg.expert_batch, self.generator)
                    loss = loss + cfg.expert_coef * bc_loss(policy, self.expert, expert_idx)
                self.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
                self.optimizer.step()

        disc_loss = 0.0
        if cfg.adversarial:
            for _ in range(cfg.disc_steps):
                real_idx = _sample_rows(len(self.expert), cfg.disc_batch, self.generator)
                fake_idx = _sample_rows(len(ep), cfg.disc_batch, self.generator)
                real = states_at(self.expert, self.expert.episode[real_idx], self.expert.t[real_idx] + 1,
                                 self.env_config)
                fake = states_at(ep, ep.episode[fake_idx], ep.t[fake_idx] + 1, self.env_config)
                loss = discriminator_loss(self.disc, real, fake)
                self.disc_optimizer.zero_grad()
                loss.backward()
                self.disc_optimizer.step()
                disc_loss = float(loss.detach())

        self.iteration += 1
        row = {"iteration": self.iteration, "reward": float(final.mean()), "reward_max": float(final.max()),
               "valid_actions": float(valid_frac.mean()),
               "valid_molecules": float(np.mean([bool(s) for s in smiles])),
               "atoms": float(np.mean([env.n_atoms for env in self.venv.envs])),
               "disc_loss": disc_loss, **parts}
        self.history.append(row)
        return row

    def train(self, iterations: int | None = None, checkpoint: str | Path | None = None,
              checkpoint_every: int = 10, progress: bool = True) -> list[dict[str, float]]:
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
def sample(policy: GCPNPolicy, n: int, seed: int = 0, batch_size: int = 64,
           starts: list[str] | None = None, env_config: EnvConfig | None = None) -> list[str]:
    """``n`` molecules from ``policy`` (canonical SMILES, ``""`` when invalid); ``starts`` gives
    start molecules (cycled) for constrained optimisation; ``env_config`` overrides the policy's
    environment limits (same vocabulary and ``max_atoms``). Used by notebook 06."""
    env_config = env_config or policy.env_config
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


def finetune(pretrained: GCPNPolicy, expert: Episodes, reward_fn: RewardFn, config: TrainConfig,
             starts: list[str] | None = None, checkpoint: str | Path | None = None,
             checkpoint_every: int = 5, progress: bool = True) -> Trainer:
    """RL fine-tuning of a copy of ``pretrained`` (notebook 06).

    With ``checkpoint``: an existing checkpoint written with the same :class:`TrainConfig` (up to
    ``iterations``, and at most ``config.iterations`` done) is resumed -- an interrupted run
    continues exactly, a finished one can be extended -- and the run saves every
    ``checkpoint_every`` iterations and at the end.
    """
    trainer = Trainer(copy.deepcopy(pretrained), expert, reward_fn, config, starts)
    if checkpoint is not None and Path(checkpoint).is_file():
        state = torch.load(checkpoint, weights_only=False)
        saved = dict(state.get("config", {}), iterations=config.iterations)
        # Resume only the very same run: same training and environment settings, same start
        # molecules and the same pretrained weights; anything else trains afresh (and overwrites).
        same_run = (
            saved == asdict(config)
            and state.get("run") == trainer.run_signature(pretrained)
            and state["iteration"] <= config.iterations
        )
        if same_run:
            trainer.load(checkpoint)
    trainer.train(checkpoint=checkpoint, checkpoint_every=checkpoint_every, progress=progress)
    return trainer
