"""What stays with the instructor: never shipped to students, never imported by the student side.

* :mod:`~course_utils.instructor.exercises`: each exercise's whole definition (reference, mistakes, fresh cases);
* :mod:`~course_utils.instructor.release`: student copies from the instructor's notebooks;
* :mod:`~course_utils.instructor.grade`: grading submissions in a sandbox, the reports;
* :mod:`~course_utils.instructor.site`: the course as a static book;
* :mod:`~course_utils.instructor.cli`: the ``course`` command.

``tests/test_boundary.py`` fails when a module outside this folder imports one inside it.
"""

__all__: list[str] = []
