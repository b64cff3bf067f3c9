# The class hub on one machine (docs/deploy.md). Run as root:  jupyterhub -f deploy/jupyterhub_config.py
# Needs the university's sign-in: COURSE_HUB_AUTHENTICATOR names an OAuth or LTI authenticator class, e.g.
#   oauthenticator.generic.LocalGenericOAuthenticator    (pip install oauthenticator; its client id, secret
#       and URLs in the OAUTH_* variables or c.GenericOAuthenticator.* below; Local... makes the system user)
#   ltiauthenticator.lti13.auth.LTI13Authenticator        (pip install jupyterhub-ltiauthenticator; the LMS's
#       issuer, client id and key-set URL as c.LTI13Authenticator.*)
# It refuses DummyAuthenticator (anyone who reaches the port logs in as any account with a writable home)
# and allow_all. Who may log in: the roster's hub_user column (COURSE_HUB_ROSTER, the CSV course collect reads).
import csv
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hub_settings import configure  # noqa: E402

c = get_config()  # noqa: F821 (JupyterHub defines it)
configure(c, ip=os.environ.get("COURSE_HUB_IP", "127.0.0.1"), port=int(os.environ.get("COURSE_HUB_PORT", "8000")))

authenticator = os.environ.get("COURSE_HUB_AUTHENTICATOR", "").strip()
if not authenticator:
    sys.exit(
        "error: set COURSE_HUB_AUTHENTICATOR to the university's OAuth or LTI authenticator class (docs/deploy.md)"
    )
if any(word in authenticator.lower().replace("-", "") for word in ("dummy", "sharedpassword")):
    sys.exit(f"error: {authenticator} lets anyone log in as anyone: the class hub needs the university's sign-in")
c.JupyterHub.authenticator_class = authenticator
c.Authenticator.allow_all = False
roster = os.environ.get("COURSE_HUB_ROSTER", "").strip()
if not roster:
    sys.exit("error: set COURSE_HUB_ROSTER to the class roster CSV (columns hub_user,lms_id): who may log in")
with open(roster, newline="", encoding="utf-8") as handle:
    c.Authenticator.allowed_users = {row["hub_user"].strip() for row in csv.DictReader(handle)}
c.Authenticator.admin_users = set(filter(None, os.environ.get("COURSE_HUB_ADMINS", "").split(",")))
c.LocalAuthenticator.create_system_users = True  # with a Local... authenticator: useradd with a 0700 home
