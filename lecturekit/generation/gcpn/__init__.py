"""GCPN (You et al., NeurIPS 2018): goal-directed molecule generation, notebook 06.

``env`` (the molecule-building MDP), ``policy`` (relational GCN with masked action heads),
``rewards`` (penalized logP, QED, targeting, similarity), ``expert`` (behaviour-cloning
trajectories), ``ppo`` (PPO loss and rollouts), ``discriminator`` (adversarial reward), ``data``
(MOSES / NCI / ZINC250k loaders), ``train`` (pretraining and RL loops with checkpoints),
``evaluate`` (the paper's metrics), ``experiment`` (the notebook's frozen config, ``PROFILES`` and
``run_seed``) and ``discussion`` (the notebook's discussion, written from the results).
"""

from lecturekit.generation.gcpn import data, expert, rewards
from lecturekit.generation.gcpn.env import STOP, Action, EnvConfig, MoleculeEnv, VecMoleculeEnv

__all__ = ["STOP", "Action", "EnvConfig", "MoleculeEnv", "VecMoleculeEnv", "data", "expert", "rewards"]
