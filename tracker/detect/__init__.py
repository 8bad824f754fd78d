"""Detection: is a retrieved document material about this agent's own past?"""

from tracker.detect.detector import Detector, Nearest, Similarity, Thresholds
from tracker.detect.terms import Mention, Role, TermIndex

__all__ = ["Detector", "Mention", "Nearest", "Role", "Similarity", "TermIndex", "Thresholds"]
