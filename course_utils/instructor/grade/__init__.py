"""``course grade``: each submission run in a sandboxed kernel, judged outside it, reported per exercise.

* :mod:`~course_utils.instructor.grade.grading`: from submissions to results, and the verdicts;
* :mod:`~course_utils.instructor.grade.intake`: what is picked up, whose it is, what is skipped and why;
* :mod:`~course_utils.instructor.grade.running`: one notebook's run, its time and output limits;
* :mod:`~course_utils.instructor.grade.answers`: the grader's files for each grading cell, read with bounds;
* :mod:`~course_utils.instructor.grade.sandbox`: the bubblewrap sandbox and its limits;
* :mod:`~course_utils.instructor.grade.confine`: one core per kernel, kept; its process tree killed;
* :mod:`~course_utils.instructor.grade.submissions`: which instructor notebook a submission answers;
* :mod:`~course_utils.instructor.grade.refscan`: whether a solution reaches the course's reference code;
* :mod:`~course_utils.instructor.grade.reports`: the CSV report, gradebook and feedback files.
"""

__all__: list[str] = []
