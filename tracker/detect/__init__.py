"""Detection: is a retrieved document material about this agent's own past?"""

from tracker.detect.calibration import Calibration, load_calibration
from tracker.detect.detector import Detector, Similarity
from tracker.detect.features import Features, Known, Nearest
from tracker.detect.rules import RULES, Rule, decide
from tracker.detect.terms import Mention, Role, TermIndex
from tracker.detect.vocabulary import Vocabulary, load_vocabulary

__all__ = [
    "RULES",
    "Calibration",
    "Detector",
    "Features",
    "Known",
    "Mention",
    "Nearest",
    "Role",
    "Rule",
    "Similarity",
    "TermIndex",
    "Vocabulary",
    "decide",
    "load_calibration",
    "load_vocabulary",
]
