"""GCPN performance (notebook 06): environment steps/s, molecules/s, policy forward, PPO iteration.

Ratios measured in one run:

* environment: our incremental valence check (touched atoms only) vs a naive full ``SanitizeMol``
  of a copy after every action;
* policy: one batched forward pass vs the same states one at a time;
* end to end: molecules per second sampled by a course-sized policy, and seconds per PPO iteration
  at the course profile's sizes (minimum number of actions and the paper's filters included: the
  steric-strain filter's 3D embedding is most of an iteration).

Run: ``.venv/bin/python -m benchmarks.bench_gcpn`` (``--smoke`` for a few seconds, ``--full`` for
paper-sized networks). Writes ``build/bench/gcpn.json``.
"""

from __future__ import annotations

import argparse
import copy
import time
from dataclasses import replace

import numpy as np
import torch
from rdkit import Chem

from benchmarks import write_report
from lecturekit.generation.gcpn import EnvConfig, MoleculeEnv, data, expert, rewards
from lecturekit.generation.gcpn.policy import GCPNPolicy
from lecturekit.generation.gcpn.ppo import expert_episodes, states_at
from lecturekit.generation.gcpn.train import Trainer, sample
from lecturekit.studies.nb06_gcpn import PROFILES


class NaiveEnv(MoleculeEnv):
    """Reference: validate every action by sanitising a full copy of the molecule."""

    def _valence_ok(self, *atoms: int) -> bool:
        if any(self.free[i] < 0 for i in atoms):
            return False
        try:
            Chem.SanitizeMol(Chem.Mol(self.rwmol))
        except Exception:  # noqa: BLE001 - any RDKit failure means invalid
            return False
        return True


def _env_rate(cls: type[MoleculeEnv], trajectories: list[list], config: EnvConfig) -> float:
    start, steps = time.perf_counter(), 0
    for actions in trajectories:
        env = cls(config)
        env.reset()
        for a in actions:
            env.step(a)
            steps += 1
    return steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--full", action="store_true", help="paper-sized network (hidden 64)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    S = PROFILES.get("full" if args.full else "course")
    n_mols, n_batch, n_sample, ppo_iters = (30, 8, 8, 1) if args.smoke else (500, 64, 128, 2)
    config = S.env(data.GCPN_VOCAB)
    molecules = data.load_moses("train", limit=n_mols).smiles
    trajectories = [expert.trajectory(s, config, rng=i) for i, s in enumerate(molecules)]
    result: dict = {"smoke": args.smoke, "full": args.full, "molecules": n_mols}

    ours, naive = _env_rate(MoleculeEnv, trajectories, config), _env_rate(NaiveEnv, trajectories, config)
    result["env_steps_per_s"] = ours
    result["env_steps_per_s_naive_sanitize"] = naive
    result["env_speedup"] = ours / naive

    torch.manual_seed(0)
    policy = GCPNPolicy(config, S.policy())
    policy.eval()
    ep = expert_episodes(molecules[: max(4, n_batch // 8)], config, np.random.default_rng(0))
    idx = torch.randperm(len(ep))[:n_batch]
    with torch.no_grad():
        batch = states_at(ep, ep.episode[idx], ep.t[idx], config)
        start = time.perf_counter()
        for _ in range(3):
            policy(batch)
        batched = (time.perf_counter() - start) / 3
        start = time.perf_counter()
        for i in idx:
            one = states_at(ep, ep.episode[i : i + 1], ep.t[i : i + 1], config)
            policy(one)
        single = time.perf_counter() - start
    result["policy_batch"] = len(idx)
    result["policy_forward_ms_per_batch"] = 1000 * batched
    result["policy_forward_ms_one_by_one"] = 1000 * single
    result["policy_batching_speedup"] = single / batched

    start = time.perf_counter()
    smiles = sample(policy, n_sample, seed=0, batch_size=S.num_envs)
    result["molecules_per_s"] = n_sample / (time.perf_counter() - start)
    result["validity"] = float(np.mean([bool(s) for s in smiles]))

    cfg = S.train(ppo_iters, adversarial=True, seed=0)
    if args.smoke:
        cfg = replace(cfg, num_envs=8)
    # as the notebook's runs: the minimum number of actions and the paper's terminal terms (filters)
    rl_policy = copy.deepcopy(policy)
    rl_policy.env_config = S.rl_env(data.GCPN_VOCAB)
    trainer = Trainer(rl_policy, ep, rewards.TaskReward("qed", scale=S.scale("qed"), paper_terms=True), cfg)
    start = time.perf_counter()
    trainer.train(progress=False)
    result["ppo_iteration_s"] = (time.perf_counter() - start) / ppo_iters
    result["ppo_num_envs"] = cfg.num_envs

    write_report("gcpn", result)
    return result


if __name__ == "__main__":
    main()
