"""The class hub's verbs: what a TA runs around a JupyterHub that serves the student edition (docs/deploy.md).

* :mod:`~course_utils.instructor.hub.publish`: the student edition as the next commit of the class repository;
* :mod:`~course_utils.instructor.hub.links`: each notebook's nbgitpuller link (and the book's hub button);
* :mod:`~course_utils.instructor.hub.collect`: each student's notebooks copied out of their home, safely.
"""

__all__: list[str] = []
