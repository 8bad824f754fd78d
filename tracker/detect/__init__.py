"""Detection: is a retrieved document material about this agent's own past?"""

from selfref.detect.calibration import Calibration, load_calibration
from selfref.detect.detector import Detector, Similarity
from selfref.detect.features import Features, Known, Nearest
from selfref.detect.rules import RULES, Rule, decide
from selfref.detect.terms import Mention, Role, TermIndex
from selfref.detect.vocabulary import Vocabulary, load_vocabulary

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
