"""GCPN (You et al., NeurIPS 2018): goal-directed molecule generation, notebook 06.

``env`` (the molecule-building MDP), ``policy`` (relational GCN with masked action heads),
``rewards`` (penalized logP, QED, targeting, similarity), ``expert`` (behaviour-cloning
trajectories), ``ppo`` (PPO loss and rollouts), ``discriminator`` (adversarial reward), ``data``
(MOSES / NCI / ZINC250k loaders) and ``train`` (pretraining and RL loops with checkpoints).
"""

from lecturekit.generation.gcpn import data, expert, rewards
from lecturekit.generation.gcpn.env import STOP, Action, EnvConfig, MoleculeEnv, VecMoleculeEnv

__all__ = ["STOP", "Action", "EnvConfig", "MoleculeEnv", "VecMoleculeEnv", "data", "expert", "rewards"]
