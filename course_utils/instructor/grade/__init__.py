"""``course grade``: each submission run in a sandboxed kernel, judged outside it, reported per exercise.

* :mod:`~course_utils.instructor.grade.grading`: the run, from submissions to results;
* :mod:`~course_utils.instructor.grade.sandbox`: the bubblewrap sandbox and its limits;
* :mod:`~course_utils.instructor.grade.submissions`: which instructor notebook a submission answers;
* :mod:`~course_utils.instructor.grade.refscan`: whether a solution reaches the course's reference code;
* :mod:`~course_utils.instructor.grade.reports`: the CSV report, gradebook and feedback files.
"""

__all__: list[str] = []
