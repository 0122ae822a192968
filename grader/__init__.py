"""grader: check a student's written science answer against a teacher's rubric."""

from .checker import Checker
from .feedback import Feedback
from .rubric import Rubric, load_rubric

__all__ = ["Checker", "Feedback", "Rubric", "load_rubric"]
__version__ = "0.1.0"
