"""lecturekit: the tested package behind the GNN-applications course notebooks."""

from lecturekit.config import get_profile
from lecturekit.results import record

__all__ = ["get_profile", "record"]
__version__ = "0.1.0"
