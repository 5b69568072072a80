"""Grading of exercise notebooks, in nbgrader's cell format.

- `cells`: reads nbgrader metadata (answer cells, check cells, points).
- `exercises` (in course_lib.exercises): writes exercises/ from solutions/.
- `grader`: executes a learner's notebook with the grader's own checks and scores it.
"""
from .grader import GradeReport, QuestionResult, grade

__all__ = ["grade", "GradeReport", "QuestionResult"]
