"""The staff console (``/konsol``): server-rendered pages in Bahasa Indonesia for officers.

Start with ``deps.py``: how a page gets the logged-in officer and checks a form's CSRF
token. ``identity/`` holds logging in and out, passwords, two-factor and sessions;
``home/`` the landing page of each role.
"""
