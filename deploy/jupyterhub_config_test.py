# The class hub for `make test-hub` only (tests/hub/): the same settings as jupyterhub_config.py with a test
# sign-in: DummyAuthenticator with a random password, only the test's own students (allow_existing_users off,
# since setting allowed_users would otherwise turn it on), ports from the test, fast mode in the kernels.
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hub_settings import configure  # noqa: E402

c = get_config()  # noqa: F821 (JupyterHub defines it)
configure(
    c,
    port=int(os.environ["COURSE_HUB_PORT"]),
    hub_port=int(os.environ["COURSE_HUB_HUB_PORT"]),
    proxy_api_port=int(os.environ["COURSE_HUB_PROXY_API_PORT"]),
)
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["COURSE_HUB_TEST_PASSWORD"]
c.Authenticator.allowed_users = set(os.environ["COURSE_HUB_TEST_USERS"].split(","))
c.Authenticator.allow_existing_users = False
c.Spawner.environment["COURSE_FAST"] = "1"
c.Spawner.args = ["--LabApp.expose_app_in_browser=True"]  # the test edits cells through JupyterLab's own model
