"""grader: check a student's written science answer against a teacher's rubric."""

from .rubric import Rubric, load_rubric

__all__ = ["Rubric", "load_rubric"]
__version__ = "0.1.0"
